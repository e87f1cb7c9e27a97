/* smtp.h — one e-mail at a time to an SMTP server, without blocking the
 * event loop: libcurl's SMTP in its multi interface, driven by sd-event
 * (sockets → sd_event_add_io, curl's timer → sd_event_add_time), as
 * chorus_http.h does for HTTPS.
 *
 * TLS: smtps://, or smtp:// with STARTTLS required (CURLUSESSL_ALL: a
 * server that does not offer it is refused before anything is sent), the
 * peer's certificate and host name always verified; only [notify]
 * smtp_tls = none sends in clear text. The password is given by the
 * caller (secret memory) and never logged; CURLOPT_VERBOSE is never set. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-event.h>

#include "base/macro.h"

typedef struct Smtp Smtp;

/* r = 0: the server accepted the message for every recipient; r < 0: it
 * did not (error: curl's words, for the journal). */
typedef void (*SmtpDone)(int r, const char *error, void *userdata);

typedef struct SmtpSpec {
        const char *url;          /* smtp://HOST[:PORT] or smtps://… */
        bool tls;                 /* false: [notify] smtp_tls = none */
        const char *user;         /* NULL: no authentication */
        const char *password;
        const char *ca_file;      /* NULL: the system CAs */
        const char *from;
        const char *const *to;
        size_t n_to;
        unsigned timeout_ms;      /* the whole transaction */
} SmtpSpec;

int smtp_new(sd_event *event, Smtp **ret);
/* Abandons the message in flight (no callback). */
Smtp *smtp_free(Smtp *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(Smtp *, smtp_free);

/* Starts sending `message` (RFC 5322 bytes, CRLF lines; copied). -EBUSY
 * while another is in flight; -ENOMEM, -EIO (curl refused an option). */
int smtp_send(Smtp *s, const SmtpSpec *spec, const char *message, size_t size, SmtpDone done, void *userdata);
bool smtp_busy(const Smtp *s);
