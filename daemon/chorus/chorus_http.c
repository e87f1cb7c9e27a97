/* chorus_http.c — libcurl multi ⇄ sd-event glue (see chorus_http.h).
 *
 * Ownership: a ChorusHttp owns its multi handle, the io sources of the
 * sockets curl asks us to watch (IoWatch, attached to each socket with
 * curl_multi_assign), one timer source, the trust store shared by its
 * connections (chorus_trust.c), the TLS session caches (SessionCache), and
 * every request in flight. A
 * request owns its easy handle, its header list, its body and the answer
 * buffers; all of them are wiped before they are freed, since headers carry
 * the bearer token and cpro-account, the token request's body the client
 * secret, and the token answer the token.
 *
 * Flow: curl_multi_add_handle → curl asks for a timer (timer callback) →
 * sd-event fires it → curl_multi_socket_action(TIMEOUT) → curl connects and
 * asks to watch sockets (socket callback → sd_event_add_io) → sd-event
 * reports readiness → curl_multi_socket_action(fd) → … → curl_multi_info_read
 * gives CURLMSG_DONE → the request's callback runs, then the request is
 * freed. User callbacks run only from http_process_done(), never from inside
 * a curl callback, so that they may start or cancel transfers.
 *
 * Connections: the deposit (and every call that must never be sent twice,
 * ChorusHttpSpec.fresh_connection) gets a connection of its own, closed
 * after it: libcurl silently sends a request again when a reused connection
 * turns out to be dead. Every other call (the token, the look-ups and
 * status queries, which may be sent twice without harm) reuses the idle
 * connections of the multi handle. Every connection may resume a TLS
 * session of an earlier one (a CURLSH sharing CURL_LOCK_DATA_SSL_SESSION):
 * the fresh connection of a deposit costs a resumed handshake, not a full
 * one. A connection or session is only ever reused under the trust store it
 * was verified with: a new store (a day later) comes with a new session
 * cache and a new, empty connection pool (http_trust_refresh).
 * Before issue 14, every request had a connection of its own: a full TCP +
 * TLS handshake, 18 % of the daemon's user time per bilan.
 *
 * Failures: setup errors (allocation, curl_easy_setopt, sd-event) are
 * returned as negative errno; transfer failures reach the callback as a
 * ChorusHttpAnswer with curl_code set. */
#include <assert.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include "chorus/chorus_http.h"
#include "chorus/chorus_trust.h"
#include "base/fileio.h"
#include "base/fsutil.h"
#include "base/log.h"
#include "base/macro.h"

#define HEADER_VALUE_MAX 1024 /* longest WWW-Authenticate / Retry-After kept */
#define RESPONSE_CHUNK_MIN 4096

static inline size_t size_max(size_t a, size_t b) {
        return a > b ? a : b;
}
static inline size_t size_min(size_t a, size_t b) {
        return a < b ? a : b;
}

/* The TLS sessions of the connections verified with one trust store (one
 * generation of it). A request keeps the cache it started with until it is
 * freed: libcurl wants the share alive as long as an easy handle uses it. */
typedef struct SessionCache {
        CURLSH *share;
        unsigned generation;
        unsigned users; /* requests, plus one while it is the current cache */
} SessionCache;

typedef struct IoWatch IoWatch;
struct IoWatch {
        ChorusHttp *http;
        curl_socket_t fd;
        sd_event_source *source;
        IoWatch *prev, *next;
};

struct ChorusHttpRequest {
        ChorusHttp *http;
        ChorusHttpRequest *prev, *next;
        CURL *easy;
        struct curl_slist *headers;
        char *body;
        size_t body_size;
        char *url;
        char *response;
        size_t response_size, response_allocated;
        bool too_large;
        bool in_headers;        /* a status line came, the blank line after the headers not yet */
        bool headers_too_large;
        size_t headers_size;
        bool finishing; /* in its callback: cancel is a no-op */
        bool trust_failed; /* no trust store could be given to its connection */
        SessionCache *sessions;
        char *www_authenticate;
        char *retry_after;
        char error[CURL_ERROR_SIZE];
        ChorusHttpDone done;
        void *userdata;
};

struct ChorusHttp {
        sd_event *event;
        CURLM *multi;
        sd_event_source *timer;
        IoWatch *watches;
        ChorusHttpRequest *requests;
        ChorusTrust *trust;
        SessionCache *sessions;      /* for the current trust store */
        unsigned pool_generation;    /* of the store the pooled connections were verified with */
        unsigned connect_timeout_ms;
        unsigned timeout_ms;
        uint64_t max_response_size;
        char *user_agent;
};

/* ---- secrets hygiene ---- */

void chorus_strv_erase_free(char **l) {
        if (!l)
                return;
        for (char **i = l; *i; i++)
                erase_and_free(*i);
        free(l);
}

static void slist_erase_free(struct curl_slist *l) {
        for (struct curl_slist *i = l; i; i = i->next)
                explicit_bzero_safe(i->data, strlen(i->data));
        curl_slist_free_all(l);
}

static void buffer_erase_free(char *p, size_t size) {
        explicit_bzero_safe(p, size);
        free(p);
}

/* ---- TLS sessions ---- */

static void session_cache_unref(SessionCache *c) {
        if (!c || --c->users > 0)
                return;
        curl_share_cleanup(c->share);
        free(c);
}

static int session_cache_new(unsigned generation, SessionCache **ret) {
        SessionCache *c = calloc(1, sizeof(SessionCache));

        if (!c)
                return -ENOMEM;
        c->share = curl_share_init();
        /* One thread: no lock functions needed. */
        if (!c->share || curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK ||
            curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK) {
                if (c->share)
                        curl_share_cleanup(c->share);
                free(c);
                return -ENOMEM;
        }
        c->generation = generation;
        c->users = 1;
        *ret = c;
        return 0;
}

static int http_multi_setup(ChorusHttp *h);
static void io_watch_free(IoWatch *w);

/* Closes the idle connections (verified with an older trust store): a new
 * multi handle, with an empty connection pool. Only with no request in
 * flight. */
static int http_pool_renew(ChorusHttp *h) {
        assert(!h->requests);
        if (h->multi)
                curl_multi_cleanup(h->multi); /* reports its sockets as removed, or not */
        h->multi = NULL;
        while (h->watches)
                io_watch_free(h->watches);
        if (h->timer)
                (void) sd_event_source_set_enabled(h->timer, SD_EVENT_OFF);
        return http_multi_setup(h);
}

/* Before a request: renews the trust store when it is due (built now for
 * the first request, not at start). With a new store, nothing verified with
 * the old one is used again: a new session cache, and the idle connections
 * closed; while requests of the old store are still in flight, the new
 * ones get fresh connections of their own (*ret_fresh). */
static int http_trust_refresh(ChorusHttp *h, bool *ret_fresh) {
        SessionCache *c = NULL;
        unsigned generation;
        int r;

        (void) chorus_trust_store(h->trust, true); /* a failure is reported by on_ssl_ctx */
        generation = chorus_trust_generation(h->trust);
        if (!h->sessions || h->sessions->generation != generation) {
                r = session_cache_new(generation, &c);
                if (r < 0)
                        return r;
                session_cache_unref(h->sessions);
                h->sessions = c;
        }
        *ret_fresh = false;
        if (h->pool_generation == generation)
                return 0;
        if (h->requests) {
                *ret_fresh = true;
                return 0;
        }
        r = http_pool_renew(h);
        if (r < 0)
                return r;
        h->pool_generation = generation;
        return 0;
}

/* The two libssl calls of on_ssl_ctx(), from the libssl libcurl loaded
 * (RTLD_NOLOAD): nothing links -lssl, so that chorusctl commands that never
 * talk to Chorus Pro do not map and relocate it (0.7 M instructions and
 * 0.3 MiB of a `chorusctl render`; issue 14). NULL if it cannot be found,
 * which cannot happen while libcurl (built on OpenSSL) calls on_ssl_ctx(). */
typedef struct SslCalls {
        void (*set_cert_store)(SSL_CTX *ctx, X509_STORE *store);
        void (*set_keylog_callback)(SSL_CTX *ctx, SSL_CTX_keylog_cb_func cb);
} SslCalls;

static const SslCalls *ssl_calls(void) {
        static SslCalls calls;
        static bool looked;
        void *h;

        if (looked)
                return calls.set_cert_store && calls.set_keylog_callback ? &calls : NULL;
        looked = true;
        h = dlopen("libssl.so.3", RTLD_NOW | RTLD_NOLOAD);
        if (h) {
                *(void **) &calls.set_cert_store = dlsym(h, "SSL_CTX_set_cert_store");
                *(void **) &calls.set_keylog_callback = dlsym(h, "SSL_CTX_set_keylog_callback");
        }
        if (!calls.set_cert_store || !calls.set_keylog_callback) {
                log_error("Cannot find libssl.so.3 (the one libcurl uses): %s",
                          h ? "a function is missing" : dlerror());
                return NULL;
        }
        return &calls;
}

/* Called for each connection before its handshake. libcurl sets up its own
 * store before this call (≥ 8.3) or after it, on ours (7.88); either way it
 * has no CA file, folder or cache to add, only the flags we set too. */
static CURLcode on_ssl_ctx(CURL *curl, void *ssl_ctx, void *userdata) {
        ChorusHttp *h = userdata;
        /* Built or renewed when the request started (http_trust_refresh);
         * tried again here only when there is none at all. */
        X509_STORE *store = chorus_trust_store(h->trust, false);
        const SslCalls *ssl = ssl_calls();
        ChorusHttpRequest *req = NULL;

        if (!store)
                store = chorus_trust_store(h->trust, true);

        if (!ssl || !store || !X509_STORE_up_ref(store)) {
                if (curl_easy_getinfo(curl, CURLINFO_PRIVATE, (char **) &req) == CURLE_OK && req)
                        req->trust_failed = true;
                return CURLE_SSL_CACERT_BADFILE;
        }
        ssl->set_cert_store(ssl_ctx, store); /* takes our reference, frees curl's empty store */
        /* libcurl hands the session keys to $SSLKEYLOGFILE when it is set:
         * with them, a capture of the traffic shows the secrets and tokens. */
        ssl->set_keylog_callback(ssl_ctx, NULL);
        return CURLE_OK;
}

/* ---- sockets and timer: curl → sd-event ---- */

static void io_watch_free(IoWatch *w) {
        ChorusHttp *h = w->http;

        if (w->prev)
                w->prev->next = w->next;
        else
                h->watches = w->next;
        if (w->next)
                w->next->prev = w->prev;
        sd_event_source_disable_unref(w->source);
        free(w);
}

static void http_process_done(ChorusHttp *h);

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        ChorusHttp *h = userdata;
        int action = 0, running;

        (void) s;
        if (revents & (EPOLLIN | EPOLLPRI | EPOLLHUP))
                action |= CURL_CSELECT_IN;
        if (revents & EPOLLOUT)
                action |= CURL_CSELECT_OUT;
        if (revents & EPOLLERR)
                action |= CURL_CSELECT_ERR;
        (void) curl_multi_socket_action(h->multi, fd, action, &running);
        http_process_done(h);
        return 0;
}

static uint32_t epoll_events(int what) {
        return (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
}

static int io_watch_add(ChorusHttp *h, curl_socket_t fd, uint32_t events) {
        IoWatch *w = calloc(1, sizeof(IoWatch));
        int r;

        if (!w)
                return -ENOMEM;
        r = sd_event_add_io(h->event, &w->source, fd, events, on_io, h);
        if (r < 0) {
                free(w);
                return r;
        }
        (void) sd_event_source_set_description(w->source, "chorus-http-io");
        w->http = h;
        w->fd = fd;
        w->next = h->watches;
        if (h->watches)
                h->watches->prev = w;
        h->watches = w;
        if (curl_multi_assign(h->multi, fd, w) != CURLM_OK) {
                io_watch_free(w);
                return -EIO;
        }
        return 0;
}

static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp) {
        ChorusHttp *h = userp;
        IoWatch *w = socketp;

        (void) easy;
        if (what == CURL_POLL_REMOVE) {
                if (w) {
                        (void) curl_multi_assign(h->multi, fd, NULL);
                        io_watch_free(w);
                }
                return 0;
        }
        if (!w)
                return io_watch_add(h, fd, epoll_events(what)) < 0 ? -1 : 0;
        if (sd_event_source_set_io_events(w->source, epoll_events(what)) < 0 ||
            sd_event_source_set_enabled(w->source, SD_EVENT_ON) < 0)
                return -1;
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        ChorusHttp *h = userdata;
        int running;

        (void) s;
        (void) usec;
        (void) curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        http_process_done(h);
        return 0;
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp) {
        ChorusHttp *h = userp;
        uint64_t usec;
        int r;

        (void) multi;
        if (timeout_ms < 0)
                return h->timer && sd_event_source_set_enabled(h->timer, SD_EVENT_OFF) < 0 ? -1 : 0;

        usec = (uint64_t) timeout_ms * 1000;
        if (!h->timer) {
                /* Accuracy 1 ms: curl's unit. sd-event's default would let the
                 * timer slip by 250 ms. */
                r = sd_event_add_time_relative(h->event, &h->timer, CLOCK_MONOTONIC, usec, 1000, on_timer, h);
                if (r >= 0)
                        (void) sd_event_source_set_description(h->timer, "chorus-http-timer");
                return r < 0 ? -1 : 0;
        }
        r = sd_event_source_set_time_relative(h->timer, usec);
        if (r >= 0)
                r = sd_event_source_set_enabled(h->timer, SD_EVENT_ONESHOT);
        return r < 0 ? -1 : 0;
}

/* ---- requests ---- */

static void request_unlink(ChorusHttpRequest *req) {
        ChorusHttp *h = req->http;

        if (req->prev)
                req->prev->next = req->next;
        else if (h->requests == req)
                h->requests = req->next;
        if (req->next)
                req->next->prev = req->prev;
        req->prev = req->next = NULL;
}

static void request_free(ChorusHttpRequest *req) {
        if (!req)
                return;
        request_unlink(req);
        if (req->easy) {
                (void) curl_multi_remove_handle(req->http->multi, req->easy);
                curl_easy_cleanup(req->easy);
        }
        session_cache_unref(req->sessions); /* after the easy handle that used it */
        slist_erase_free(req->headers);
        buffer_erase_free(req->body, req->body_size);
        buffer_erase_free(req->response, req->response_allocated);
        free(req->www_authenticate);
        free(req->retry_after);
        free(req->url);
        free(req);
}

void chorus_http_request_cancel(ChorusHttpRequest *req) {
        if (req && !req->finishing)
                request_free(req);
}

/* Grows the answer buffer without leaving an unwiped copy behind (realloc
 * could free the old block with a token in it). */
static int response_reserve(ChorusHttpRequest *req, size_t need) {
        size_t n = size_max(size_max(need, req->response_allocated * 2), RESPONSE_CHUNK_MIN);
        char *p;

        if (need <= req->response_allocated)
                return 0;
        n = size_min(n, (size_t) req->http->max_response_size + 1);
        p = malloc(n);
        if (!p)
                return -ENOMEM;
        if (req->response)
                memcpy(p, req->response, req->response_size);
        buffer_erase_free(req->response, req->response_allocated);
        req->response = p;
        req->response_allocated = n;
        return 0;
}

static size_t on_write(char *data, size_t size, size_t n, void *userdata) {
        ChorusHttpRequest *req = userdata;
        size_t len = size * n;

        if (len > req->http->max_response_size - req->response_size) {
                req->too_large = true;
                return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
        }
        if (response_reserve(req, req->response_size + len + 1) < 0)
                return 0;
        memcpy(req->response + req->response_size, data, len);
        req->response_size += len;
        req->response[req->response_size] = '\0';
        return len;
}

/* Keeps the value of header `name` if `line` is that header. */
static void header_capture(const char *line, size_t len, const char *name, char **target) {
        size_t n = strlen(name);
        const char *v, *end = line + len;

        if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
                return;
        v = line + n + 1;
        while (v < end && (*v == ' ' || *v == '\t'))
                v++;
        while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
                end--;
        free(*target);
        *target = strndup(v, size_min((size_t) (end - v), HEADER_VALUE_MAX));
}

/* For tests/fuzz (fuzz_http_headers): header_capture() is what on_header()
 * does with each header line libcurl hands over. */
void chorus_http_header_capture(const char *line, size_t len, const char *name, char **target) {
        header_capture(line, len, name, target);
}

static size_t on_header(char *line, size_t size, size_t n, void *userdata) {
        ChorusHttpRequest *req = userdata;
        size_t len = size * n;

        /* Every answer's lines count, "100 Continue" too: one limit. */
        if (len > (size_t) CHORUS_HTTP_HEADERS_MAX - req->headers_size) {
                req->headers_too_large = true;
                return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
        }
        req->headers_size += len;
        /* A new status line (after "100 Continue"): forget earlier headers. */
        if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
                free(req->www_authenticate);
                free(req->retry_after);
                req->www_authenticate = req->retry_after = NULL;
                req->in_headers = true;
                return len;
        }
        if (len <= 2 && (line[0] == '\r' || line[0] == '\n'))
                req->in_headers = false;
        header_capture(line, len, "WWW-Authenticate", &req->www_authenticate);
        header_capture(line, len, "Retry-After", &req->retry_after);
        return len;
}

/* A header line too long for libcurl to hold never reaches on_header():
 * libcurl fails the transfer with CURLE_OUT_OF_MEMORY ("Out of memory", up
 * to 8.5) or CURLE_TOO_LARGE (8.6 on). Between a status line and the end of
 * its headers, that is what it means: the line is over libcurl's 100 KiB,
 * so over our CHORUS_HTTP_HEADERS_MAX too. */
static bool code_is_header_too_large(const ChorusHttpRequest *req, CURLcode code) {
        if (!req->in_headers)
                return false;
#if LIBCURL_VERSION_NUM >= 0x080600
        if (code == CURLE_TOO_LARGE)
                return true;
#endif
        return code == CURLE_OUT_OF_MEMORY;
}

static void request_finish(ChorusHttpRequest *req, CURLcode code) {
        curl_off_t pretransfer = 0;
        long status = 0, request_size = 0;
        ChorusHttpAnswer a;

        /* curl's own text would only say "error signaled by ssl ctx callback". */
        if (req->trust_failed)
                (void) snprintf(req->error, sizeof(req->error), "%s",
                                chorus_trust_error(req->http->trust) ? chorus_trust_error(req->http->trust)
                                                                     : "cannot set up the CA certificates");
        (void) curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &status);
        (void) curl_easy_getinfo(req->easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
        (void) curl_easy_getinfo(req->easy, CURLINFO_REQUEST_SIZE, &request_size);
        a = (ChorusHttpAnswer){
                .curl_code = code,
                .curl_message = req->error,
                .connected = pretransfer > 0 || request_size > 0,
                .too_large = req->too_large,
                .headers_too_large = req->headers_too_large || code_is_header_too_large(req, code),
                .status = status,
                .body = req->response ? req->response : "",
                .body_size = req->response_size,
                .www_authenticate = req->www_authenticate,
                .retry_after = req->retry_after,
                .url = req->url,
        };
        req->finishing = true;
        request_unlink(req);
        req->done(req, &a, req->userdata);
        request_free(req);
}

static void http_process_done(ChorusHttp *h) {
        CURLMsg *m;
        int left;

        /* Read one message at a time: a callback may add or remove handles,
         * which changes the queue. */
        for (;;) {
                ChorusHttpRequest *req = NULL;
                CURLcode code;

                m = curl_multi_info_read(h->multi, &left);
                if (!m)
                        break;
                code = m->data.result;
                if (m->msg != CURLMSG_DONE)
                        continue;
                if (curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **) &req) != CURLE_OK || !req)
                        continue;
                request_finish(req, code);
        }
}

static bool request_setopt(ChorusHttpRequest *req, const ChorusHttpSpec *spec, bool fresh) {
        ChorusHttp *h = req->http;
        CURL *e = req->easy;
        bool ok = true;

#define SET(opt, val) ok = ok && curl_easy_setopt(e, (opt), (val)) == CURLE_OK
        SET(CURLOPT_URL, spec->url);
        SET(CURLOPT_PRIVATE, req);
        SET(CURLOPT_NOSIGNAL, 1L);
        SET(CURLOPT_VERBOSE, 0L); /* never: it would print the headers */
        SET(CURLOPT_NOPROGRESS, 1L);
        SET(CURLOPT_PROTOCOLS_STR, "https");
        SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
        SET(CURLOPT_FOLLOWLOCATION, 0L);
        SET(CURLOPT_SSL_VERIFYPEER, 1L);
        SET(CURLOPT_SSL_VERIFYHOST, 2L);
        SET(CURLOPT_SSLVERSION, (long) CURL_SSLVERSION_TLSv1_2);
        SET(CURLOPT_CONNECTTIMEOUT_MS, (long) h->connect_timeout_ms);
        SET(CURLOPT_TIMEOUT_MS, (long) h->timeout_ms);
        SET(CURLOPT_ERRORBUFFER, req->error);
        SET(CURLOPT_WRITEFUNCTION, on_write);
        SET(CURLOPT_WRITEDATA, req);
        SET(CURLOPT_HEADERFUNCTION, on_header);
        SET(CURLOPT_HEADERDATA, req);
        SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) h->max_response_size);
        SET(CURLOPT_ACCEPT_ENCODING, ""); /* the size limit applies to the decoded bytes */
        SET(CURLOPT_USERAGENT, h->user_agent);
        SET(CURLOPT_TCP_KEEPALIVE, 1L);
        SET(CURLOPT_HTTPHEADER, req->headers);
        /* The CAs come from the shared trust store only (see on_ssl_ctx). */
        SET(CURLOPT_CAINFO, NULL);
        SET(CURLOPT_CAPATH, NULL);
#if LIBCURL_VERSION_NUM >= 0x075700
        /* libcurl 7.88 sets its store up after on_ssl_ctx: with its cache on,
         * it would put back the first connection's store over ours. */
        SET(CURLOPT_CA_CACHE_TIMEOUT, 0L);
#endif
        SET(CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
        SET(CURLOPT_SSL_CTX_DATA, h);
        SET(CURLOPT_SHARE, req->sessions->share);
        if (req->body) {
                SET(CURLOPT_POSTFIELDS, req->body);
                SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) req->body_size);
        } else
                SET(CURLOPT_HTTPGET, 1L);
        /* curl silently sends a request again when a reused connection
         * turns out to be dead: a deposit must never be sent twice behind
         * our back, so it has a connection of its own (resuming a TLS
         * session all the same), and every attempt the retry logic counts
         * is then exactly one request. */
        if (spec->fresh_connection || fresh) {
                SET(CURLOPT_FRESH_CONNECT, 1L);
                SET(CURLOPT_FORBID_REUSE, 1L);
        }
#undef SET
        return ok;
}

static int request_headers(ChorusHttpRequest *req, char **headers) {
        /* No "Expect: 100-continue" wait on large bodies. */
        req->headers = curl_slist_append(NULL, "Expect:");
        if (!req->headers)
                return -ENOMEM;
        for (char **i = headers; i && *i; i++) {
                /* On failure the list is left as it was: request_free() wipes it. */
                struct curl_slist *l = curl_slist_append(req->headers, *i);
                if (!l)
                        return -ENOMEM;
                req->headers = l;
        }
        return 0;
}

static int request_new(ChorusHttp *h, ChorusHttpSpec *spec, bool fresh, ChorusHttpRequest **ret) {
        ChorusHttpRequest *req = calloc(1, sizeof(ChorusHttpRequest));

        if (!req)
                return -ENOMEM;
        req->http = h;
        req->sessions = h->sessions;
        req->sessions->users++;
        req->body = TAKE_PTR(spec->body);
        req->body_size = spec->body_size;
        *ret = req;
        req->url = strdup(spec->url);
        req->easy = curl_easy_init();
        if (!req->url || !req->easy || request_headers(req, spec->headers) < 0)
                return -ENOMEM;
        return request_setopt(req, spec, fresh) ? 0 : -EIO;
}

int chorus_http_start(ChorusHttp *h, ChorusHttpSpec *spec, ChorusHttpDone done, void *userdata,
                      ChorusHttpRequest **ret) {
        ChorusHttpRequest *req = NULL;
        bool fresh = false;
        int r;

        r = http_trust_refresh(h, &fresh);
        if (r >= 0)
                r = request_new(h, spec, fresh, &req);
        chorus_strv_erase_free(spec->headers); /* copied into the curl list, or not needed */
        spec->headers = NULL;
        erase_and_free(TAKE_PTR(spec->body)); /* still ours only if request_new failed early */
        if (r < 0) {
                request_free(req);
                return r;
        }
        req->done = done;
        req->userdata = userdata;
        req->next = h->requests;
        if (h->requests)
                h->requests->prev = req;
        h->requests = req;
        if (curl_multi_add_handle(h->multi, req->easy) != CURLM_OK) {
                request_free(req);
                return -EIO;
        }
        if (ret)
                *ret = req;
        return 0;
}

/* ---- the multi handle ---- */

static int http_multi_setup(ChorusHttp *h) {
        h->multi = curl_multi_init();
        if (!h->multi)
                return -ENOMEM;
        if (curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket) != CURLM_OK ||
            curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h) != CURLM_OK ||
            curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer) != CURLM_OK ||
            curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h) != CURLM_OK)
                return -EIO;
        return 0;
}

int chorus_http_new(sd_event *event, const ChorusHttpOptions *o, ChorusHttp **ret, char **reterr_message) {
        _cleanup_(chorus_http_freep) ChorusHttp *h = NULL;
        int r;

        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return -EIO;
        h = calloc(1, sizeof(ChorusHttp));
        if (!h) {
                curl_global_cleanup();
                return -ENOMEM;
        }
        h->event = sd_event_ref(event);
        h->connect_timeout_ms = o->connect_timeout_ms;
        h->timeout_ms = o->timeout_ms;
        h->max_response_size = o->max_response_size ? o->max_response_size : CHORUS_HTTP_RESPONSE_MAX_DEFAULT;
        h->user_agent = strdup(o->user_agent ? o->user_agent : "chorusd");
        if (!h->user_agent)
                return -ENOMEM;
        /* ca_file is read now; the store is built by the first request. */
        r = chorus_trust_new(o->ca_file, &h->trust, reterr_message);
        if (r < 0)
                return r;
        r = http_multi_setup(h);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(h);
        return 0;
}

ChorusHttp *chorus_http_free(ChorusHttp *h) {
        if (!h)
                return NULL;
        while (h->requests)
                request_free(h->requests);
        if (h->multi)
                curl_multi_cleanup(h->multi); /* may still report sockets as removed */
        while (h->watches)
                io_watch_free(h->watches);
        sd_event_source_disable_unref(h->timer);
        session_cache_unref(h->sessions); /* after every easy handle and connection */
        chorus_trust_free(h->trust);
        free(h->user_agent);
        sd_event_unref(h->event);
        free(h);
        curl_global_cleanup();
        return NULL;
}
