/* chorus_error.h — what went wrong with a Chorus Pro / PISTE call, and
 * whether to try again. Pure: it turns what came back from one HTTPS
 * exchange (a ChorusHttpAnswer) into either a usable JSON answer or a
 * ChorusError; chorus_client.c does the I/O around it.
 *
 * Every failure is either TEMPORARY (try again later, with backoff) or
 * FUNCTIONAL (trying again gives the same answer: an operator or a fix is
 * needed). Independently, `maybe_processed` says whether Chorus Pro may have
 * acted on the request although we have no usable answer: after a deposit
 * that failed that way, look the invoice up before depositing again.
 *
 *  | What happened                                   | kind         | class      | maybe_processed |
 *  |-------------------------------------------------|--------------|------------|-----------------|
 *  | DNS failure, connection refused/unreachable     | NETWORK      | temporary  | no              |
 *  | connect timeout (nothing sent)                  | TIMEOUT      | temporary  | no              |
 *  | timeout once connected (request may be sent)    | TIMEOUT      | temporary  | yes             |
 *  | connection cut / reset / empty reply after send | NETWORK      | temporary  | yes             |
 *  | TLS handshake failed (not verification)         | NETWORK      | temporary  | no              |
 *  | TLS certificate verification failed             | TLS          | functional | no              |
 *  | URL or protocol refused (not https)             | CONFIG       | functional | no              |
 *  | answer larger than the maximum                  | TOO_LARGE    | functional | yes             |
 *  | response headers over CHORUS_HTTP_HEADERS_MAX   | TOO_LARGE    | functional | yes             |
 *  | HTTP 429 (Retry-After kept)                     | HTTP         | temporary  | no              |
 *  | HTTP 408                                        | HTTP         | temporary  | no              |
 *  | HTTP 503 (Retry-After kept)                     | HTTP         | temporary  | yes (1)         |
 *  | HTTP 500, 502, 504, other 5xx                   | HTTP         | temporary  | yes (1)         |
 *  | HTTP 401, first time (token expired)            | UNAUTHORIZED | temporary  | no  (2)         |
 *  | HTTP 401 again after one token refresh          | UNAUTHORIZED | functional | no              |
 *  | HTTP 403 (API not subscribed / CGU)             | FORBIDDEN    | functional | no              |
 *  | HTTP 400 with or without {codeRetour, libelle}  | HTTP         | functional | no              |
 *  | HTTP 404, 413, 415, other 4xx, 1xx, 3xx         | HTTP         | functional | no              |
 *  | HTTP 2xx other than 200 (202 "accepted"…)       | RESPONSE     | functional | yes             |
 *  | HTTP 200 with codeRetour ≠ 0                    | BUSINESS     | functional | no              |
 *  | HTTP 200 that is not the expected JSON (or its  | RESPONSE     | functional | yes             |
 *  |   codeRetour is not an integer)                 |              |            |                 |
 *  | out of memory reading an answer                 | INTERNAL     | temporary  | as the answer,  |
 *  |                                                 |              |            | yes for a 200   |
 *  | token endpoint: 400/401 invalid_client etc.     | TOKEN        | functional | no              |
 *  | token endpoint: 5xx, 429, 408, network          | as above     | temporary  | no  (3)         |
 *
 *  (1) A 5xx may come from a gateway after the backend acted: we count it as
 *      "maybe processed", so that a deposit is never sent twice blindly.
 *  (2) chorus_client.c refreshes the token once and tries again at once; only
 *      a second 401 is reported (functional), with the WWW-Authenticate
 *      error_description ("login or password incorrects": the technical
 *      account's password is wrong or has expired).
 *  (3) A failed token request means the API request itself was never sent.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/macro.h"

typedef struct cJSON cJSON;

typedef enum ChorusErrorKind {
        CHORUS_ERROR_NETWORK,      /* resolve, connect, send or receive failed */
        CHORUS_ERROR_TIMEOUT,      /* connect_timeout or timeout elapsed */
        CHORUS_ERROR_TLS,          /* the server's certificate could not be verified */
        CHORUS_ERROR_CONFIG,       /* bad URL or protocol: fix chorusd.conf */
        CHORUS_ERROR_TOO_LARGE,    /* answer over the maximum response size */
        CHORUS_ERROR_HTTP,         /* an HTTP status other than the ones below */
        CHORUS_ERROR_UNAUTHORIZED, /* 401 */
        CHORUS_ERROR_FORBIDDEN,    /* 403 */
        CHORUS_ERROR_TOKEN,        /* PISTE refused the token request */
        CHORUS_ERROR_BUSINESS,     /* codeRetour ≠ 0 */
        CHORUS_ERROR_RESPONSE,     /* the answer is not what the API documents */
        CHORUS_ERROR_INTERNAL,     /* out of memory or another local failure */
        _CHORUS_ERROR_KIND_MAX,
        _CHORUS_ERROR_KIND_INVALID = -EINVAL,
} ChorusErrorKind;

typedef struct ChorusError {
        ChorusErrorKind kind;
        bool temporary;         /* false: functional, do not retry */
        bool maybe_processed;   /* Chorus Pro may have acted on the request */
        const char *operation;  /* static: "deposer/flux", "token", … */
        long http_status;       /* 0 when no HTTP answer came */
        bool has_code_retour;
        int code_retour;
        char *libelle;          /* Chorus Pro's libelle, or NULL */
        char *auth_error;       /* OAuth / WWW-Authenticate "error", e.g. invalid_client */
        char *auth_detail;      /* its error_description, e.g. "login or password incorrects" */
        bool has_retry_after;
        uint64_t retry_after_usec;
        int curl_code;          /* CURLcode, 0 when the transfer itself worked */
        unsigned attempts;      /* attempts made, with in-process retries */
        char *message;          /* one English sentence for the operator; never a secret */
} ChorusError;

/* Frees the strings and resets *e to zero. Accepts NULL. */
void chorus_error_done(ChorusError *e);
/* Moves *src into *dst (which must be empty or done); *src ends zeroed. */
void chorus_error_move(ChorusError *dst, ChorusError *src);
/* Deep copy. Returns 0 or -ENOMEM. */
int chorus_error_copy(ChorusError *dst, const ChorusError *src);
/* The errno the call returns for this error: -EAGAIN (temporary),
 * -ENOMEM (INTERNAL), -EREMOTEIO (every functional failure). */
int chorus_error_to_errno(const ChorusError *e);
const char *chorus_error_kind_to_string(ChorusErrorKind k);
/* Sets the message from a format (replacing it). Returns 0 or -ENOMEM. */
int chorus_error_set_message(ChorusError *e, const char *format, ...) _printf_(2, 3);
/* A local failure (allocation, event loop): kind INTERNAL, temporary. */
int chorus_error_internal(ChorusError *e, const char *operation, int error);

/* The most bytes of response headers (all lines, status line included) we
 * take. Chorus Pro's are a few hundred; below libcurl's own limit of one
 * line (CURL_MAX_HTTP_HEADER, 100 KiB), so that every line libcurl refuses
 * is over ours too. */
#define CHORUS_HTTP_HEADERS_MAX (64 * 1024)

/* What one HTTPS exchange gave: either a transport failure (curl_code ≠ 0)
 * or an HTTP answer. Strings may be NULL. */
typedef struct ChorusHttpAnswer {
        int curl_code;               /* CURLcode */
        const char *curl_message;    /* libcurl's error buffer */
        bool connected;              /* the connection (and TLS) was up: bytes may have left */
        bool too_large;              /* the body passed the maximum and was cut */
        bool headers_too_large;      /* the headers passed CHORUS_HTTP_HEADERS_MAX: refused */
        long status;
        const char *body;            /* NUL-terminated */
        size_t body_size;
        const char *www_authenticate;
        const char *retry_after;
        const char *url;             /* for messages: never carries a secret */
} ChorusHttpAnswer;

/* Checks an answer of the Chorus Pro API. On success (HTTP 200, JSON,
 * codeRetour absent or 0) returns 0 and the parsed JSON in *ret_json.
 * Otherwise fills *reterr per the table above and returns
 * chorus_error_to_errno(). `now` is used for a Retry-After HTTP-date. */
int chorus_answer_check(const ChorusHttpAnswer *a, const char *operation, time_t now, cJSON **ret_json,
                        ChorusError *reterr);

/* Checks an answer of the PISTE token endpoint. On success returns 0, the
 * access token (free it with erase_and_free()) and its lifetime. An answer
 * without expires_in counts as 3600 s; the value is clamped to [1 s, 1 day].
 * Otherwise fills *reterr (operation "token") and returns a negative errno. */
int chorus_token_answer_parse(const ChorusHttpAnswer *a, time_t now, char **ret_token,
                              uint64_t *ret_lifetime_usec, ChorusError *reterr);

/* Parses a WWW-Authenticate value such as
 *   Bearer realm="PISTE",error="Unauthorized",error_description="login or password incorrects"
 * into its error and error_description parameters (each NULL when absent).
 * Returns 0 or -ENOMEM. */
int chorus_www_authenticate_parse(const char *value, char **ret_error, char **ret_description);
