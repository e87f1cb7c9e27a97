/* chorus_http.h — HTTPS transfers driven by an sd-event loop: the libcurl
 * multi interface with CURLMOPT_SOCKETFUNCTION → sd_event_add_io and
 * CURLMOPT_TIMERFUNCTION → sd_event_add_time, so that any number of
 * transfers run at once without ever blocking the loop.
 *
 * Every transfer: a reused connection, or its own when it must never be
 * sent twice (see chorus_http.c), TLS sessions resumed, https only (no
 * redirects), TLS verification always on (peer and host name, TLS ≥ 1.2;
 * an optional extra CA bundle is added to the system store, it does not
 * replace it; that store is built by the first request of a ChorusHttp,
 * and again once a day, not per connection), connect and total timeouts, CURLOPT_NOSIGNAL,
 * an error buffer, a maximum response size (the transfer is aborted beyond
 * it), never CURLOPT_VERBOSE, never a TLS key log ($SSLKEYLOGFILE is
 * ignored). Request headers and bodies are wiped before they are freed:
 * they carry secrets.
 *
 * Internal to chorus_client.c (and its tests). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "chorus/chorus_error.h"

typedef struct ChorusHttp ChorusHttp;
typedef struct ChorusHttpRequest ChorusHttpRequest;

#define CHORUS_HTTP_RESPONSE_MAX_DEFAULT (UINT64_C(16) * 1024 * 1024)

typedef struct ChorusHttpOptions {
        const char *ca_file;         /* PEM bundle added to the system CAs; NULL = none */
        unsigned connect_timeout_ms; /* 0 = libcurl's default (300 s) */
        unsigned timeout_ms;         /* whole transfer; 0 = none (not advised) */
        uint64_t max_response_size;  /* 0 = CHORUS_HTTP_RESPONSE_MAX_DEFAULT */
        const char *user_agent;      /* NULL = "chorusd" */
} ChorusHttpOptions;

/* Called once per transfer, from the event loop, with what came back
 * (answer->curl_code ≠ 0 for a transport failure). `answer` and its strings
 * live until the callback returns; the request is freed right after. The
 * callback may start or cancel other transfers, but must not free the
 * ChorusHttp. */
typedef void (*ChorusHttpDone)(ChorusHttpRequest *req, const ChorusHttpAnswer *answer, void *userdata);

/* Creates the multi handle on `event` (referenced). Reads and checks
 * ca_file now, so that a missing or unreadable bundle is reported at start
 * (the trust store itself is built by the first request):
 * on failure *reterr_message (free()) says why. */
int chorus_http_new(sd_event *event, const ChorusHttpOptions *o, ChorusHttp **ret, char **reterr_message);
/* Cancels every transfer in flight (no callback), frees everything. */
ChorusHttp *chorus_http_free(ChorusHttp *h);
DEFINE_TRIVIAL_CLEANUP_FUNC(ChorusHttp *, chorus_http_free);

typedef struct ChorusHttpSpec {
        const char *url;
        char **headers;   /* NULL-terminated "Name: value" strings; ownership taken */
        char *body;       /* POST body, ownership taken; NULL = GET */
        size_t body_size;
        /* A connection of its own, closed after it: for a request that must
         * never be sent twice (libcurl silently sends a request again on a
         * reused connection found dead). Otherwise an idle one is reused. */
        bool fresh_connection;
} ChorusHttpSpec;

/* Starts a transfer. Takes ownership of spec->headers and spec->body in all
 * cases (they are wiped and freed). *ret (optional) lets the caller cancel
 * it until `done` is called. Returns 0, -ENOMEM or -EIO. */
int chorus_http_start(ChorusHttp *h, ChorusHttpSpec *spec, ChorusHttpDone done, void *userdata,
                      ChorusHttpRequest **ret);
/* Cancels a transfer in flight: `done` is not called. Accepts NULL. */
void chorus_http_request_cancel(ChorusHttpRequest *req);

/* Wipes and frees a NULL-terminated string array. */
void chorus_strv_erase_free(char **l);

/* If `line` (len bytes, as libcurl gives a header, "\r\n" included or not)
 * is the header `name` (case-insensitive), replaces *target with its
 * trimmed value (at most 1 KiB; NULL when out of memory). Exposed for
 * tests/fuzz. */
void chorus_http_header_capture(const char *line, size_t len, const char *name, char **target);
