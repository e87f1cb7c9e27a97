/* mime.c — e-mail messages as bytes (see mime.h).
 *
 * One growing buffer; every piece is encoded as it is appended. Nothing
 * the caller gives goes into a header unencoded but the addresses (the
 * configuration checked them: printable ASCII, no space, no CR or LF; here
 * they are checked again, since a header injection would be silent). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/identifiers.h"
#include "writers/mime.h"

#define QP_LINE_MAX 76     /* RFC 2045 §6.7 (5), "=" of a soft break included */
#define B64_LINE_MAX 76
#define ENCODED_WORD_MAX 75 /* RFC 2047 §2 */
#define HEADER_LINE_MAX 78  /* RFC 5322 §2.1.1, the "should" */

typedef struct Buf {
        char *data;
        size_t size, allocated;
        bool oom;
} Buf;

static void buf_add(Buf *b, const void *p, size_t n) {
        if (b->oom)
                return;
        if (b->size + n + 1 > b->allocated) {
                size_t a = b->allocated ? b->allocated : 1024;
                char *d;

                while (a < b->size + n + 1)
                        a *= 2;
                d = realloc(b->data, a);
                if (!d) {
                        b->oom = true;
                        return;
                }
                b->data = d;
                b->allocated = a;
        }
        memcpy(b->data + b->size, p, n);
        b->size += n;
        b->data[b->size] = '\0';
}

static void buf_str(Buf *b, const char *s) {
        buf_add(b, s, strlen(s));
}

static void buf_char(Buf *b, char c) {
        buf_add(b, &c, 1);
}

/* Hands the buffer over (NUL-terminated), or frees it. */
static int buf_finish(Buf *b, char **ret, size_t *ret_size) {
        if (b->oom || !b->data) {
                free(b->data);
                return -ENOMEM;
        }
        *ret = b->data;
        if (ret_size)
                *ret_size = b->size;
        return 0;
}

/* ---- base64 ---- */

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Plain base64 of `size` bytes, no line breaks. */
static void b64_add(Buf *b, const unsigned char *p, size_t size) {
        for (size_t i = 0; i < size; i += 3) {
                unsigned v = (unsigned) p[i] << 16;
                char out[4];

                if (i + 1 < size)
                        v |= (unsigned) p[i + 1] << 8;
                if (i + 2 < size)
                        v |= p[i + 2];
                out[0] = b64_alphabet[(v >> 18) & 63];
                out[1] = b64_alphabet[(v >> 12) & 63];
                out[2] = i + 1 < size ? b64_alphabet[(v >> 6) & 63] : '=';
                out[3] = i + 2 < size ? b64_alphabet[v & 63] : '=';
                buf_add(b, out, 4);
        }
}

static void b64_lines_add(Buf *b, const void *data, size_t size) {
        const unsigned char *p = data;
        const size_t chunk = B64_LINE_MAX / 4 * 3; /* 57 bytes: one line */

        for (size_t i = 0; i < size; i += chunk) {
                b64_add(b, p + i, size - i < chunk ? size - i : chunk);
                buf_str(b, "\r\n");
        }
}

int mime_encode_base64(const void *data, size_t size, char **ret, size_t *ret_size) {
        Buf b = {};

        buf_str(&b, "");
        b64_lines_add(&b, data, size);
        return buf_finish(&b, ret, ret_size);
}

/* ---- quoted-printable ---- */

static bool qp_literal(unsigned char c) {
        return (c >= 33 && c <= 126 && c != '=') || c == ' ' || c == '\t';
}

static void qp_line_add(Buf *b, const unsigned char *s, size_t len) {
        static const char hex[] = "0123456789ABCDEF";
        size_t col = 0;

        for (size_t i = 0; i < len; i++) {
                unsigned char c = s[i];
                /* Space or tab at the end of a line is encoded: transports
                 * strip it. A '.' opening a line too, for SMTP's sake. */
                bool literal = qp_literal(c) && !((c == ' ' || c == '\t') && i + 1 == len) &&
                               !(c == '.' && col == 0);
                char enc[3] = { '=', hex[c >> 4], hex[c & 15] };
                size_t w = literal ? 1 : 3;
                /* Room for a soft break "=" unless this is the line's end. */
                size_t room = i + 1 == len ? QP_LINE_MAX : QP_LINE_MAX - 1;

                if (col + w > room) {
                        buf_str(b, "=\r\n");
                        col = 0;
                        if (c == '.') {
                                literal = false;
                                w = 3;
                        }
                }
                if (literal)
                        buf_char(b, (char) c);
                else
                        buf_add(b, enc, 3);
                col += w;
        }
        buf_str(b, "\r\n");
}

static void qp_add(Buf *b, const char *text, size_t size) {
        size_t i = 0;

        while (i < size) {
                const char *nl = memchr(text + i, '\n', size - i);
                size_t len = nl ? (size_t) (nl - (text + i)) : size - i;
                size_t content = len;

                if (content > 0 && text[i + content - 1] == '\r')
                        content--;
                qp_line_add(b, (const unsigned char *) text + i, content);
                i += len + (nl ? 1 : 0);
        }
}

int mime_encode_quoted_printable(const char *text, size_t size, char **ret, size_t *ret_size) {
        Buf b = {};

        buf_str(&b, "");
        qp_add(&b, text, size);
        return buf_finish(&b, ret, ret_size);
}

/* ---- headers ---- */

static bool is_plain_ascii(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || (unsigned char) *s > 0x7E)
                        return false;
        return true;
}

/* Encoded-words of at most 75 characters: "=?UTF-8?B?" + base64 + "?=".
 * Each holds whole characters (RFC 2047 §5: a character is never split
 * between two words). The first line has `used` characters already. */
static void encoded_words_add(Buf *b, const char *s, size_t used) {
        const size_t overhead = strlen("=?UTF-8?B?") + strlen("?=");
        size_t len = strlen(s), i = 0;
        bool first = true;

        while (i < len) {
                size_t line_room = (first ? HEADER_LINE_MAX - (used < HEADER_LINE_MAX - 20 ? used : 40)
                                          : HEADER_LINE_MAX - 1);
                size_t word_max = line_room < ENCODED_WORD_MAX ? line_room : ENCODED_WORD_MAX;
                size_t bytes = (word_max - overhead) / 4 * 3, n;

                n = len - i <= bytes ? len - i : utf8_char_start(s + i, bytes);
                if (n == 0) /* cannot happen: a character is at most 4 bytes */
                        n = len - i < 4 ? len - i : 4;
                if (!first)
                        buf_str(b, "\r\n ");
                buf_str(b, "=?UTF-8?B?");
                b64_add(b, (const unsigned char *) s + i, n);
                buf_str(b, "?=");
                i += n;
                first = false;
        }
}

int mime_encode_header_text(const char *utf8, size_t first_line_used, char **ret) {
        Buf b = {};

        if (!utf8 || !utf8_text_is_valid(utf8, strlen(utf8)))
                return -EINVAL;
        buf_str(&b, "");
        if (is_plain_ascii(utf8) && first_line_used + strlen(utf8) <= HEADER_LINE_MAX)
                buf_str(&b, utf8);
        else
                encoded_words_add(&b, utf8, first_line_used);
        return buf_finish(&b, ret, NULL);
}

int mime_format_date(int64_t t, char ret[static 40]) {
        static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
        static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
        time_t tt = (time_t) t;
        struct tm tm;

        if (!gmtime_r(&tt, &tm))
                return -EINVAL;
        /* By hand: strftime's %a and %b follow the locale. */
        snprintf(ret, 40, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
                 months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
        return 0;
}

/* An address or message id as it goes into a header: printable ASCII, no
 * space, no angle bracket, no comma. */
static bool header_token_is_valid(const char *s) {
        if (!s || !*s)
                return false;
        for (; *s; s++)
                if ((unsigned char) *s <= ' ' || (unsigned char) *s >= 0x7F || strchr("<>,;\"()", *s))
                        return false;
        return true;
}

static void to_add(Buf *b, const MimeMessage *m) {
        size_t col = strlen("To: ");

        buf_str(b, "To: ");
        for (size_t i = 0; i < m->n_to; i++) {
                size_t w = strlen(m->to[i]) + 2;

                if (i > 0) {
                        buf_char(b, ',');
                        if (col + w > HEADER_LINE_MAX) {
                                buf_str(b, "\r\n ");
                                col = 1;
                        } else {
                                buf_char(b, ' ');
                                col += 2;
                        }
                }
                buf_str(b, m->to[i]);
                col += w - 2;
        }
        buf_str(b, "\r\n");
}

/* RFC 2231 parameter: filename*=UTF-8''%C3%A9… for anything but plain
 * attribute characters (filename="…" otherwise), cut into continuations
 * (filename*0*=…; filename*1*=…) so that no line passes 78 characters. */
#define FILENAME_CHUNK 56

static bool attr_char(unsigned char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._", c);
}

static void filename_add(Buf *b, const char *name) {
        static const char hex[] = "0123456789ABCDEF";
        Buf enc = {};
        bool plain = *name && strlen(name) <= FILENAME_CHUNK;
        size_t n = 0;

        for (const unsigned char *p = (const unsigned char *) name; *p; p++)
                if (!attr_char(*p) && *p != '+')
                        plain = false;
        if (plain) {
                buf_str(b, "filename=\"");
                buf_str(b, name);
                buf_str(b, "\"");
                return;
        }
        buf_str(&enc, "");
        for (const unsigned char *p = (const unsigned char *) name; *p; p++) {
                if (attr_char(*p))
                        buf_char(&enc, (char) *p);
                else {
                        char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
                        buf_add(&enc, e, 3);
                }
        }
        if (enc.oom) {
                b->oom = true;
                return;
        }
        for (size_t i = 0; i < enc.size; n++) {
                size_t len = enc.size - i <= FILENAME_CHUNK ? enc.size - i : FILENAME_CHUNK;
                char head[32];

                /* Never cut a %XX in two. */
                if (len < enc.size - i && len >= 1 && enc.data[i + len - 1] == '%')
                        len -= 1;
                else if (len < enc.size - i && len >= 2 && enc.data[i + len - 2] == '%')
                        len -= 2;
                snprintf(head, sizeof head, "%sfilename*%zu*=%s", n > 0 ? ";\r\n " : "", n,
                         n == 0 ? "UTF-8''" : "");
                buf_str(b, head);
                buf_add(b, enc.data + i, len);
                i += len;
        }
        free(enc.data);
}

static int headers_add(Buf *b, const MimeMessage *m) {
        _cleanup_(freep) char *subject = NULL;
        char date[40];
        int r;

        r = mime_encode_header_text(m->subject, strlen("Subject: "), &subject);
        if (r < 0)
                return r;
        r = mime_format_date(m->date, date);
        if (r < 0)
                return r;
        buf_str(b, "From: ");
        buf_str(b, m->from);
        buf_str(b, "\r\n");
        to_add(b, m);
        buf_str(b, "Subject: ");
        buf_str(b, subject);
        buf_str(b, "\r\nDate: ");
        buf_str(b, date);
        buf_str(b, "\r\nMessage-ID: <");
        buf_str(b, m->message_id);
        /* RFC 3834: no vacation or bounce loop with an automaton. */
        buf_str(b, ">\r\nAuto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n");
        return 0;
}

static void text_part_add(Buf *b, const char *body) {
        buf_str(b, "Content-Type: text/plain; charset=UTF-8\r\n"
                   "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
        qp_add(b, body, strlen(body));
}

static int attachment_add(Buf *b, const MimeAttachment *a) {
        if (!a->filename || !utf8_text_is_valid(a->filename, strlen(a->filename)) || (!a->data && a->size > 0))
                return -EINVAL;
        /* The type is ours (a constant), never the caller's input. */
        if (a->content_type && !is_plain_ascii(a->content_type))
                return -EINVAL;
        buf_str(b, "Content-Type: ");
        buf_str(b, a->content_type ? a->content_type : "application/octet-stream");
        buf_str(b, "\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment;\r\n ");
        filename_add(b, a->filename);
        buf_str(b, "\r\n\r\n");
        b64_lines_add(b, a->data, a->size);
        return 0;
}

/* "=_" never occurs in quoted-printable or base64 text: the boundary
 * cannot appear in a part, whatever the content (RFC 2045 §6.7 note). */
static void boundary_make(const char *seed, char ret[static 48]) {
        uint64_t h = UINT64_C(14695981039346656037); /* FNV-1a */

        for (const char *p = seed ? seed : ""; *p; p++)
                h = (h ^ (unsigned char) *p) * UINT64_C(1099511628211);
        snprintf(ret, 48, "=_chorusd_%016llx", (unsigned long long) h);
}

int mime_build(const MimeMessage *m, char **ret, size_t *ret_size) {
        char boundary[48];
        Buf b = {};
        int r;

        if (!m || !header_token_is_valid(m->from) || !m->body || m->n_to == 0 || !m->to ||
            !header_token_is_valid(m->message_id) || !utf8_text_is_valid(m->body, strlen(m->body)))
                return -EINVAL;
        for (size_t i = 0; i < m->n_to; i++)
                if (!header_token_is_valid(m->to[i]))
                        return -EINVAL;
        r = headers_add(&b, m);
        if (r < 0)
                goto fail;
        if (m->n_attachments == 0) {
                text_part_add(&b, m->body);
                return buf_finish(&b, ret, ret_size);
        }
        boundary_make(m->boundary_seed ? m->boundary_seed : m->message_id, boundary);
        buf_str(&b, "Content-Type: multipart/mixed; boundary=\"");
        buf_str(&b, boundary);
        buf_str(&b, "\"\r\n\r\nThis is a MIME message.\r\n");
        buf_str(&b, "\r\n--");
        buf_str(&b, boundary);
        buf_str(&b, "\r\n");
        text_part_add(&b, m->body);
        for (size_t i = 0; i < m->n_attachments; i++) {
                buf_str(&b, "\r\n--");
                buf_str(&b, boundary);
                buf_str(&b, "\r\n");
                r = attachment_add(&b, &m->attachments[i]);
                if (r < 0)
                        goto fail;
        }
        buf_str(&b, "\r\n--");
        buf_str(&b, boundary);
        buf_str(&b, "--\r\n");
        return buf_finish(&b, ret, ret_size);
fail:
        free(b.data);
        return r;
}
