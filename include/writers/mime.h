/* mime.h — an e-mail message as RFC 5322 + MIME bytes, in memory (no I/O).
 *
 * What chorusd's notices need and nothing more: a UTF-8 subject (RFC 2047
 * encoded-words when it is not plain ASCII), a UTF-8 text body in
 * quoted-printable, Date, Message-ID, From, To, Auto-Submitted, and
 * attachments in base64 under multipart/mixed (file names RFC 2231-encoded
 * when not plain ASCII). Lines end with CRLF, none is longer than 78
 * characters but the To: line folded at commas. The caller's strings are
 * never copied into a header raw: a CR or LF in a subject or a file name
 * cannot add a header. Only builds; nothing here parses outside input. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "base/macro.h"

typedef struct MimeAttachment {
        const char *filename;     /* UTF-8; shown to the reader */
        const char *content_type; /* e.g. "text/plain; charset=UTF-8"; NULL = application/octet-stream */
        const void *data;
        size_t size;
} MimeAttachment;

typedef struct MimeMessage {
        const char *from;          /* an address (checked by the configuration) */
        const char *const *to;     /* addresses */
        size_t n_to;
        const char *subject;       /* UTF-8 */
        const char *body;          /* UTF-8 text, lines ending with \n */
        int64_t date;              /* seconds since the epoch, written in UTC */
        const char *message_id;    /* without the angle brackets: "LOCAL@DOMAIN" */
        const char *boundary_seed; /* makes the multipart boundary unique (e.g. the message id) */
        const MimeAttachment *attachments;
        size_t n_attachments;
} MimeMessage;

/* The whole message. Returns 0, -EINVAL (a NULL field, a subject or body
 * that is not UTF-8, an address with a control character) or -ENOMEM. */
int mime_build(const MimeMessage *m, char **ret, size_t *ret_size);

/* The pieces, for tests. */
/* "=?UTF-8?B?…?=" words (each at most 75 characters, cut between
 * characters), joined by CRLF SP; plain ASCII text is returned as it is. */
int mime_encode_header_text(const char *utf8, size_t first_line_used, char **ret);
/* Quoted-printable (RFC 2045 §6.7): text lines to CRLF lines of at most 76
 * characters. */
int mime_encode_quoted_printable(const char *text, size_t size, char **ret, size_t *ret_size);
/* Base64 in CRLF lines of 76 characters. */
int mime_encode_base64(const void *data, size_t size, char **ret, size_t *ret_size);
/* "Tue, 01 Dec 2026 09:30:00 +0000" (RFC 5322 §3.3). */
int mime_format_date(int64_t t, char ret[static 40]);
