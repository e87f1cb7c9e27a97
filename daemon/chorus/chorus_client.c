/* chorus_client.c — the Chorus Pro client: calls, the shared PISTE token,
 * 401 refresh, paging, in-process retries and the synchronous wrappers (see
 * chorus_client.h).
 *
 * Ownership: the client owns the HTTP layer, copies of the URLs and
 * secrets, the cached token and every call in flight. A call owns its
 * request JSON, its private result (moved into the caller's struct on
 * success), its HTTP request or retry timer. Freeing the client cancels the
 * calls without callbacks.
 *
 * A call moves through: WAITING_TOKEN (no valid token: one shared token
 * request is in flight) → SENDING (an HTTPS request in flight; paged
 * operations go round this state once per page) → WAITING_RETRY (a
 * temporary failure, timer armed) → … → FINISHING (its callback runs).
 *
 * Failures are classified by chorus_error.c; this file decides what to do
 * with them: refresh the token once on a 401, retry temporary failures until
 * the deadline (never a deposit that may have been processed), otherwise
 * report. Every error handed out is first scrubbed of the secrets. */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "chorus/chorus_client.h"
#include "chorus/chorus_http.h"
#include "chorus/chorus_json.h"
#include "base/fsutil.h"
#include "base/log.h"
#include "base/macro.h"

#define SECRET_REDACT_MIN 4 /* shorter secrets would blank out ordinary words */
/* Server texts are kept up to a length (chorus_error.c): one cut inside a
 * secret keeps its start, masked from this many bytes on. */
#define SECRET_START_MIN 8

typedef union ChorusResults {
        ChorusTokenInfo token;
        ChorusHealth health;
        ChorusDepositResult deposit;
        ChorusFluxReport flux_report;
        ChorusInvoiceList invoices;
        ChorusInvoiceHistory history;
        ChorusStructureList structures;
        ChorusStructure structure;
        ChorusServiceList services;
        ChorusServiceDetail service;
} ChorusResults;

typedef struct ChorusOperation {
        const char *name; /* for messages: "deposer/flux" */
        const char *path; /* under api_url; NULL = the token request itself */
        bool get;
        bool send_once;         /* never resent blindly after an unclear failure (deposit) */
        const char *paging_key; /* NULL = one page */
        size_t result_size;
        int (*parse)(const cJSON *json, void *result, ChorusPage *ret_page, char **reterr_message);
        void (*result_done)(void *result);
} ChorusOperation;

typedef enum CallState {
        CALL_NEW,
        CALL_WAITING_TOKEN,
        CALL_TOKEN_READY, /* transient: the token arrived, about to send */
        CALL_SENDING,
        CALL_WAITING_RETRY,
        CALL_FINISHING,
} CallState;

struct ChorusCall {
        ChorusClient *client;
        ChorusCall *prev, *next;
        const ChorusOperation *op;
        cJSON *request;
        ChorusResults result;
        void *ret_result;
        ChorusCallback done;
        void *userdata;
        CallState state;
        ChorusHttpRequest *http;
        sd_event_source *timer; /* the first step (defer) or the next retry */
        unsigned attempt; /* failed attempts so far */
        unsigned page;
        bool refreshed;   /* the token was refreshed after a 401 in this attempt */
        uint64_t token_generation;
        uint64_t deadline;
};

struct ChorusClient {
        sd_event *event;
        ChorusHttp *http;
        char *api_url;
        char *oauth_url;
        char *client_id;
        char *client_secret;
        char *client_secret_form; /* as the token form carries it (percent-encoded) */
        char *cpro_password; /* kept only to scrub it from messages */
        char *cpro_account;  /* base64(login:password) */
        char *token;
        uint64_t token_lifetime;
        uint64_t token_renew_at; /* CLOCK_MONOTONIC */
        uint64_t token_generation;
        ChorusHttpRequest *token_request;
        uint64_t token_requested_at; /* CLOCK_MONOTONIC: when token_request was sent */
        ChorusCall *calls;
        uint64_t retry_deadline;
        RetryPolicy retry_policy;
        ChorusRetryHook retry_hook;
        void *retry_hook_userdata;
        ChorusAnswerHook answer_hook;
        void *answer_hook_userdata;
};

static void call_step(ChorusCall *call);
static void call_fail(ChorusCall *call, ChorusError *e);

/* ---- operations ---- */

#define PARSE_ONE(fn, type)                                                                    \
        static int fn##_any(const cJSON *j, void *r, ChorusPage *p, char **m) {                \
                (void) p;                                                                      \
                return fn(j, (type *) r, m);                                                   \
        }
#define PARSE_PAGED(fn, type)                                                                  \
        static int fn##_any(const cJSON *j, void *r, ChorusPage *p, char **m) {                \
                return fn(j, (type *) r, p, m);                                                \
        }
#define DONE(fn, type)                                                                         \
        static void fn##_any(void *r) {                                                        \
                fn((type *) r);                                                                \
        }

PARSE_ONE(chorus_parse_health, ChorusHealth)
PARSE_ONE(chorus_parse_deposit, ChorusDepositResult)
PARSE_ONE(chorus_parse_flux_report, ChorusFluxReport)
PARSE_PAGED(chorus_parse_invoice_search_page, ChorusInvoiceList)
PARSE_PAGED(chorus_parse_invoice_history_page, ChorusInvoiceHistory)
PARSE_PAGED(chorus_parse_structure_search_page, ChorusStructureList)
PARSE_ONE(chorus_parse_structure, ChorusStructure)
PARSE_PAGED(chorus_parse_service_search_page, ChorusServiceList)
PARSE_ONE(chorus_parse_service, ChorusServiceDetail)
DONE(chorus_health_done, ChorusHealth)
DONE(chorus_deposit_result_done, ChorusDepositResult)
DONE(chorus_flux_report_done, ChorusFluxReport)
DONE(chorus_invoice_list_done, ChorusInvoiceList)
DONE(chorus_invoice_history_done, ChorusInvoiceHistory)
DONE(chorus_structure_list_done, ChorusStructureList)
DONE(chorus_structure_done, ChorusStructure)
DONE(chorus_service_list_done, ChorusServiceList)
DONE(chorus_service_detail_done, ChorusServiceDetail)

static void token_info_done(void *r) {
        (void) r;
}

#define OPERATION(n, p, pk, type, parser, destructor, ...)                                     \
        { .name = (n), .path = (p), .paging_key = (pk), .result_size = sizeof(type),           \
          .parse = parser##_any, .result_done = destructor##_any, __VA_ARGS__ }

static const ChorusOperation op_token = {
        .name = "token", .result_size = sizeof(ChorusTokenInfo),
        .result_done = token_info_done,
};
static const ChorusOperation op_health = OPERATION("health-check", CHORUS_PATH_HEALTH_CHECK, NULL, ChorusHealth,
                                                   chorus_parse_health, chorus_health_done, .get = true);
static const ChorusOperation op_deposit = OPERATION("deposer/flux", CHORUS_PATH_DEPOSIT, NULL, ChorusDepositResult,
                                                    chorus_parse_deposit, chorus_deposit_result_done,
                                                    .send_once = true);
static const ChorusOperation op_flux_report = OPERATION("consulterCRDetaille", CHORUS_PATH_FLUX_REPORT, NULL,
                                                        ChorusFluxReport, chorus_parse_flux_report,
                                                        chorus_flux_report_done);
static const ChorusOperation op_invoice_search = OPERATION("rechercher/fournisseur", CHORUS_PATH_INVOICE_SEARCH,
                                                           CHORUS_INVOICE_SEARCH_PAGING, ChorusInvoiceList,
                                                           chorus_parse_invoice_search_page,
                                                           chorus_invoice_list_done);
static const ChorusOperation op_invoice_history = OPERATION("consulter/historique", CHORUS_PATH_INVOICE_HISTORY,
                                                            CHORUS_HISTORY_PAGING, ChorusInvoiceHistory,
                                                            chorus_parse_invoice_history_page,
                                                            chorus_invoice_history_done);
static const ChorusOperation op_structure_search = OPERATION("structures/rechercher", CHORUS_PATH_STRUCTURE_SEARCH,
                                                             CHORUS_STRUCTURE_SEARCH_PAGING, ChorusStructureList,
                                                             chorus_parse_structure_search_page,
                                                             chorus_structure_list_done);
static const ChorusOperation op_structure_get = OPERATION("structures/consulter", CHORUS_PATH_STRUCTURE_GET, NULL,
                                                          ChorusStructure, chorus_parse_structure,
                                                          chorus_structure_done);
static const ChorusOperation op_service_search = OPERATION("structures/rechercher/services",
                                                           CHORUS_PATH_SERVICE_SEARCH, CHORUS_SERVICE_SEARCH_PAGING,
                                                           ChorusServiceList, chorus_parse_service_search_page,
                                                           chorus_service_list_done);
static const ChorusOperation op_service_get = OPERATION("structures/consulter/service", CHORUS_PATH_SERVICE_GET,
                                                        NULL, ChorusServiceDetail, chorus_parse_service,
                                                        chorus_service_detail_done);

/* ---- small helpers ---- */

static uint64_t now_usec(void) {
        return now_clock_usec(CLOCK_MONOTONIC);
}

/* Overwrites with '*' every occurrence of `secret` in `s`, and every run of
 * at least SECRET_START_MIN bytes that is the start of it (a secret cut off
 * where a server text was cut). */
static void scrub(char *s, const char *secret) {
        size_t n;

        if (!s || !secret)
                return;
        n = strlen(secret);
        if (n < SECRET_REDACT_MIN)
                return;
        for (char *p = s; *p;) {
                size_t k = 0;

                while (k < n && p[k] == secret[k])
                        k++;
                if (k == n || k >= SECRET_START_MIN) {
                        memset(p, '*', k);
                        p += k;
                } else
                        p++;
        }
}

static void client_scrub_error(ChorusClient *c, ChorusError *e) {
        char *fields[] = { e->message, e->libelle, e->auth_error, e->auth_detail };
        const char *secrets[] = { c->client_secret, c->client_secret_form, c->cpro_password, c->cpro_account,
                                  c->token };

        for (size_t i = 0; i < ELEMENTSOF(fields); i++)
                for (size_t j = 0; j < ELEMENTSOF(secrets); j++)
                        scrub(fields[i], secrets[j]);
}

static char *base64_string(const char *s) {
        size_t n = strlen(s);
        char *out = malloc(4 * ((n + 2) / 3) + 1);

        if (out)
                EVP_EncodeBlock((unsigned char *) out, (const unsigned char *) s, (int) n);
        return out;
}

/* application/x-www-form-urlencoded value (RFC 3986 unreserved kept). */
static char *form_escape(const char *s) {
        static const char hex[] = "0123456789ABCDEF";
        char *out = malloc(strlen(s) * 3 + 1), *o = out;

        if (!out)
                return NULL;
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                    strchr("-._~", *p))
                        *o++ = (char) *p;
                else {
                        *o++ = '%';
                        *o++ = hex[*p >> 4];
                        *o++ = hex[*p & 15];
                }
        }
        *o = '\0';
        return out;
}

/* Formats into a buffer of exactly the right size: asprintf() may leave
 * copies of a secret in blocks it reallocated and freed. */
static int secret_printf(char **ret, const char *format, ...) _printf_(2, 3);
static int secret_printf(char **ret, const char *format, ...) {
        va_list ap;
        char *buf;
        int n;

        va_start(ap, format);
        n = vsnprintf(NULL, 0, format, ap);
        va_end(ap);
        if (n < 0)
                return -EINVAL;
        buf = malloc((size_t) n + 1);
        if (!buf)
                return -ENOMEM;
        va_start(ap, format);
        (void) vsnprintf(buf, (size_t) n + 1, format, ap);
        va_end(ap);
        *ret = buf;
        return 0;
}

/* A NULL-terminated list of n headers, filled by header_add(); NULL on
 * -ENOMEM. The strings hold secrets: chorus_http wipes them. */
static char **headers_new(size_t n) {
        return calloc(n + 1, sizeof(char *));
}

static int header_add(char **headers, size_t i, const char *name, const char *value) {
        return secret_printf(&headers[i], "%s: %s", name, value);
}

/* ---- the PISTE token ---- */

static bool client_token_valid(ChorusClient *c) {
        return c->token && now_usec() < c->token_renew_at;
}

/* Drops the token if it is still the one a failed request carried (another
 * call may already have fetched a newer one). */
static void client_token_invalidate(ChorusClient *c, uint64_t generation) {
        if (c->token && c->token_generation == generation)
                c->token = erase_and_free(c->token);
}

static ChorusCall *client_find_call(ChorusClient *c, CallState state) {
        for (ChorusCall *i = c->calls; i; i = i->next)
                if (i->state == state)
                        return i;
        return NULL;
}

/* Hands the token request's outcome to every call that waited for it. The
 * waiting calls are marked first: a call that starts waiting meanwhile (from
 * a callback) waits for the next token request. */
static void client_token_wake(ChorusClient *c, const ChorusError *failure) {
        ChorusCall *call;

        for (call = c->calls; call; call = call->next)
                if (call->state == CALL_WAITING_TOKEN)
                        call->state = CALL_TOKEN_READY;
        for (;;) {
                ChorusError e = {};

                call = client_find_call(c, CALL_TOKEN_READY);
                if (!call)
                        break;
                if (!failure) {
                        call_step(call);
                        continue;
                }
                if (chorus_error_copy(&e, failure) < 0)
                        (void) chorus_error_internal(&e, "token", -ENOMEM);
                call_fail(call, &e);
        }
}

/* expires_in counts from when PISTE issued the token, which may be up to a
 * whole timeout before its answer reached us: count from the request. */
static void client_token_store(ChorusClient *c, char *token, uint64_t lifetime) {
        uint64_t margin = lifetime / 2 < CHORUS_TOKEN_RENEW_MARGIN_USEC ? lifetime / 2 : CHORUS_TOKEN_RENEW_MARGIN_USEC;

        erase_and_free(c->token);
        c->token = token;
        c->token_lifetime = lifetime;
        c->token_renew_at = c->token_requested_at + lifetime - margin;
        c->token_generation++;
}

static void on_token_http(ChorusHttpRequest *req, const ChorusHttpAnswer *answer, void *userdata) {
        ChorusClient *c = userdata;
        ChorusError e = {};
        uint64_t lifetime = 0;
        char *token = NULL;
        int r;

        (void) req;
        c->token_request = NULL;
        r = chorus_token_answer_parse(answer, time(NULL), &token, &lifetime, &e);
        if (r < 0) {
                /* The message may quote the server, which may echo a secret. */
                client_scrub_error(c, &e);
                log_debug("PISTE token request failed: %s", strempty(e.message));
                client_token_wake(c, &e);
                chorus_error_done(&e);
                return;
        }
        log_debug("PISTE token obtained, valid %" PRIu64 " s", lifetime / USEC_PER_SEC);
        client_token_store(c, token, lifetime);
        client_token_wake(c, NULL);
}

static int token_form(ChorusClient *c, char **ret) {
        _cleanup_(erase_and_freep) char *id = form_escape(c->client_id);

        if (!id)
                return -ENOMEM;
        return secret_printf(ret, "grant_type=client_credentials&client_id=%s&client_secret=%s&scope=openid", id,
                             c->client_secret_form);
}

/* Starts the one shared token request, unless it is already in flight. */
static int client_token_fetch(ChorusClient *c) {
        ChorusHttpSpec spec = { .url = c->oauth_url };
        int r;

        if (c->token_request)
                return 0;
        spec.headers = headers_new(2);
        if (!spec.headers)
                return -ENOMEM;
        r = token_form(c, &spec.body);
        if (r >= 0)
                r = header_add(spec.headers, 0, "Content-Type", "application/x-www-form-urlencoded");
        if (r >= 0)
                r = header_add(spec.headers, 1, "Accept", "application/json");
        if (r < 0) {
                chorus_strv_erase_free(spec.headers);
                erase_and_free(spec.body);
                return r;
        }
        spec.body_size = strlen(spec.body);
        c->token_requested_at = now_usec();
        return chorus_http_start(c->http, &spec, on_token_http, c, &c->token_request);
}

/* ---- calls ---- */

static void call_unlink(ChorusCall *call) {
        ChorusClient *c = call->client;

        if (call->prev)
                call->prev->next = call->next;
        else if (c->calls == call)
                c->calls = call->next;
        if (call->next)
                call->next->prev = call->prev;
        call->prev = call->next = NULL;
}

static void call_free(ChorusCall *call) {
        call_unlink(call);
        chorus_http_request_cancel(call->http);
        sd_event_source_disable_unref(call->timer);
        cJSON_Delete(call->request);
        free(call);
}

void chorus_call_cancel(ChorusCall *call) {
        if (!call || call->state == CALL_FINISHING)
                return;
        call->op->result_done(&call->result);
        call_free(call);
}

static void call_finish(ChorusCall *call, int r, ChorusError *e) {
        ChorusClient *c = call->client;

        call_unlink(call);
        call->state = CALL_FINISHING;
        if (r >= 0) {
                memcpy(call->ret_result, &call->result, call->op->result_size);
                memset(&call->result, 0, sizeof call->result);
                call->done(call, 0, NULL, call->userdata);
        } else {
                call->op->result_done(&call->result);
                e->attempts = call->attempt + 1;
                client_scrub_error(c, e);
                call->done(call, r, e, call->userdata);
        }
        chorus_error_done(e);
        call_free(call);
}

static int on_retry_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        ChorusCall *call = userdata;

        (void) usec;
        call->timer = sd_event_source_disable_unref(s);
        call->refreshed = false;
        call_step(call);
        return 0;
}

static int on_first_step(sd_event_source *s, void *userdata) {
        ChorusCall *call = userdata;

        call->timer = sd_event_source_disable_unref(s);
        call_step(call);
        return 0;
}

static bool call_may_retry(ChorusCall *call, const ChorusError *e) {
        if (!e->temporary || call->client->retry_deadline == 0)
                return false;
        /* A deposit that may have reached Chorus Pro is not sent again
         * blindly: the caller looks the invoice up first. */
        return !call->op->send_once || !e->maybe_processed;
}

/* Schedules the next attempt: returns 1, or 0 when the deadline forbids it
 * (*ret_delay then says how long the wait would have been), or < 0 when no
 * timer could be armed. */
static int call_schedule_retry(ChorusCall *call, ChorusError *e, uint64_t *ret_delay) {
        ChorusClient *c = call->client;
        uint64_t delay = retry_next_delay(call->attempt, &c->retry_policy,
                                          e->has_retry_after ? e->retry_after_usec : 0, random_u64());
        int r;

        *ret_delay = delay;
        if (!retry_within_deadline(now_usec(), delay, call->deadline))
                return 0;
        r = sd_event_add_time_relative(c->event, &call->timer, CLOCK_MONOTONIC, delay, 10 * USEC_PER_MSEC,
                                       on_retry_timer, call);
        if (r < 0)
                return r;
        call->attempt++;
        call->state = CALL_WAITING_RETRY;
        client_scrub_error(c, e);
        log_debug("%s: attempt %u failed (%s), retrying in %" PRIu64 " ms", call->op->name, call->attempt,
                  strempty(e->message), delay / USEC_PER_MSEC);
        if (c->retry_hook)
                c->retry_hook(e, call->attempt + 1, delay, c->retry_hook_userdata);
        chorus_error_done(e);
        return 1;
}

/* Says in the message why a temporary failure is reported after all. */
static void call_note_gave_up(ChorusCall *call, ChorusError *e, uint64_t delay) {
        char *m;
        int r;

        if (!e->message)
                return;
        if (call->attempt == 0)
                r = asprintf(&m, "%s (not retried: waiting %" PRIu64 " s would pass the retry deadline)", e->message,
                             delay / USEC_PER_SEC);
        else
                r = asprintf(&m, "%s (gave up after %u attempts: the next one would pass the retry deadline)",
                             e->message, call->attempt + 1);
        if (r < 0)
                return;
        free(e->message);
        e->message = m;
}

static void call_fail(ChorusCall *call, ChorusError *e) {
        uint64_t delay = 0;
        int r;

        call->http = NULL;
        if (call_may_retry(call, e)) {
                r = call_schedule_retry(call, e, &delay);
                if (r > 0)
                        return;
                if (r == 0) /* else reported as it is: the deadline was not the reason */
                        call_note_gave_up(call, e, delay);
        }
        call_finish(call, chorus_error_to_errno(e), e);
}

static void call_fail_errno(ChorusCall *call, int r) {
        ChorusError e = {};

        (void) chorus_error_internal(&e, call->op->name, r);
        call_fail(call, &e);
}

static void call_send(ChorusCall *call);

/* One page parsed: ask for the next one, or finish. */
static void call_page_done(ChorusCall *call, const ChorusPage *page) {
        ChorusError e;

        /* The answer must be the page asked for: an earlier one would loop,
         * a later one would skip results (and a lookup miss its invoice). */
        if (call->op->paging_key && page->current != call->page) {
                e = (ChorusError){ .operation = call->op->name, .kind = CHORUS_ERROR_RESPONSE, .http_status = 200 };
                (void) chorus_error_set_message(&e, "%s: asked for page %u, the answer is page %u of %u",
                                                call->op->name, call->page, page->current, page->pages);
                call_fail(call, &e);
                return;
        }
        if (!call->op->paging_key || page->current >= page->pages) {
                call_finish(call, 0, NULL);
                return;
        }
        if (page->current + 1 > CHORUS_PAGES_MAX) {
                e = (ChorusError){ .operation = call->op->name, .kind = CHORUS_ERROR_RESPONSE, .http_status = 200 };
                (void) chorus_error_set_message(&e, "%s: the answer has %u pages, more than the %u a search may walk",
                                                call->op->name, page->pages, CHORUS_PAGES_MAX);
                call_fail(call, &e);
                return;
        }
        call->page = page->current + 1;
        call->refreshed = false;
        call_step(call);
}

static void call_answer_parse(ChorusCall *call, const cJSON *json) {
        _cleanup_(freep) char *message = NULL;
        ChorusPage page = { .current = call->page, .pages = call->page };
        ChorusError e = {};
        int r;

        r = call->op->parse(json, &call->result, &page, &message);
        if (r >= 0) {
                call_page_done(call, &page);
                return;
        }
        if (r == -ENOMEM) {
                /* Out of memory reading a 200: it was processed all the same. */
                (void) chorus_error_internal(&e, call->op->name, r);
                e.maybe_processed = true;
                call_fail(call, &e);
                return;
        }
        /* A 200 we cannot read: the request was processed, or may have been. */
        e = (ChorusError){ .operation = call->op->name, .kind = CHORUS_ERROR_RESPONSE, .http_status = 200,
                           .maybe_processed = true };
        (void) chorus_error_set_message(&e, "unexpected %s answer: %s", call->op->name, strempty(message));
        call_fail(call, &e);
}

static void on_call_http(ChorusHttpRequest *req, const ChorusHttpAnswer *answer, void *userdata) {
        _cleanup_(cJSON_Deletep) cJSON *json = NULL;
        ChorusCall *call = userdata;
        ChorusError e = {};
        int r;

        (void) req;
        call->http = NULL;
        r = chorus_answer_check(answer, call->op->name, time(NULL), &json, &e);
        if ((r >= 0 || e.kind == CHORUS_ERROR_BUSINESS) && call->client->answer_hook)
                call->client->answer_hook(call->client->answer_hook_userdata);
        if (r >= 0) {
                call_answer_parse(call, json);
                return;
        }
        if (e.kind == CHORUS_ERROR_UNAUTHORIZED && !call->refreshed) {
                /* Most likely an expired token: fetch another, send again once. */
                log_debug("%s: HTTP 401, refreshing the PISTE token once", call->op->name);
                call->refreshed = true;
                client_token_invalidate(call->client, call->token_generation);
                chorus_error_done(&e);
                call_step(call);
                return;
        }
        call_fail(call, &e);
}

static int call_headers(ChorusCall *call, char ***ret) {
        ChorusClient *c = call->client;
        char **h = headers_new(4);

        if (!h)
                return -ENOMEM;
        if (secret_printf(&h[0], "Authorization: Bearer %s", c->token) < 0 ||
            header_add(h, 1, "cpro-account", c->cpro_account) < 0 ||
            header_add(h, 2, "Content-Type", "application/json;charset=utf-8") < 0 ||
            header_add(h, 3, "Accept", "application/json") < 0) {
                chorus_strv_erase_free(h);
                return -ENOMEM;
        }
        *ret = h;
        return 0;
}

static int call_body(ChorusCall *call, char **ret) {
        if (!call->request) {
                *ret = NULL;
                return 0;
        }
        if (call->op->paging_key && chorus_request_set_page(call->request, call->op->paging_key, call->page) < 0)
                return -EINVAL;
        *ret = cJSON_PrintUnformatted(call->request);
        return *ret ? 0 : -ENOMEM;
}

static void call_send(ChorusCall *call) {
        ChorusClient *c = call->client;
        _cleanup_(freep) char *url = NULL;
        ChorusHttpSpec spec = {};
        int r;

        if (!call->op->path) { /* the token request was the whole call */
                call->result.token.lifetime_usec = c->token_lifetime;
                call_finish(call, 0, NULL);
                return;
        }
        if (asprintf(&url, "%s%s", c->api_url, call->op->path) < 0) {
                call_fail_errno(call, -ENOMEM);
                return;
        }
        r = call_headers(call, &spec.headers);
        if (r >= 0)
                r = call_body(call, &spec.body);
        if (r < 0) {
                chorus_strv_erase_free(spec.headers);
                call_fail_errno(call, r);
                return;
        }
        spec.url = url;
        spec.body_size = spec.body ? strlen(spec.body) : 0;
        call->token_generation = c->token_generation;
        call->state = CALL_SENDING;
        r = chorus_http_start(c->http, &spec, on_call_http, call, &call->http);
        if (r < 0)
                call_fail_errno(call, r);
}

/* Sends the call when a token is at hand, else waits for the shared one. */
static void call_step(ChorusCall *call) {
        ChorusClient *c = call->client;
        int r;

        if (call->state == CALL_TOKEN_READY || client_token_valid(c)) {
                call_send(call);
                return;
        }
        call->state = CALL_WAITING_TOKEN;
        r = client_token_fetch(c);
        if (r < 0)
                call_fail_errno(call, r);
}

/* Takes ownership of `request` in all cases. The first step runs from the
 * loop, so that the callback never runs before this returns. */
static int call_start(ChorusClient *c, const ChorusOperation *op, cJSON *request, void *ret_result,
                      ChorusCallback cb, void *userdata, ChorusCall **ret_call) {
        ChorusCall *call = calloc(1, sizeof(ChorusCall));
        int r;

        if (!call) {
                cJSON_Delete(request);
                return -ENOMEM;
        }
        *call = (ChorusCall){
                .client = c, .op = op, .request = request, .ret_result = ret_result, .done = cb,
                .userdata = userdata, .state = CALL_NEW, .page = 1,
                .deadline = now_usec() + c->retry_deadline,
        };
        r = sd_event_add_defer(c->event, &call->timer, on_first_step, call);
        if (r < 0) {
                call_free(call);
                return r;
        }
        call->next = c->calls;
        if (c->calls)
                c->calls->prev = call;
        c->calls = call;
        if (ret_call)
                *ret_call = call;
        return 0;
}

/* ---- the operations ---- */

/* Runs a builder's result into call_start: `r` is the builder's return. */
static int start_built(ChorusClient *c, const ChorusOperation *op, int r, cJSON *request, void *result,
                       ChorusCallback cb, void *userdata, ChorusCall **ret_call) {
        if (r < 0)
                return r;
        return call_start(c, op, request, result, cb, userdata, ret_call);
}

int chorus_token_refresh(ChorusClient *c, ChorusTokenInfo *result, ChorusCallback cb, void *userdata,
                         ChorusCall **ret_call) {
        /* Drop the cached token, unless a request for a new one is already
         * in flight: that one is fresh. */
        if (!c->token_request)
                c->token = erase_and_free(c->token);
        return call_start(c, &op_token, NULL, result, cb, userdata, ret_call);
}

int chorus_health_check(ChorusClient *c, ChorusHealth *result, ChorusCallback cb, void *userdata,
                        ChorusCall **ret_call) {
        return call_start(c, &op_health, NULL, result, cb, userdata, ret_call);
}

int chorus_deposit(ChorusClient *c, const ChorusDepositRequest *req, ChorusDepositResult *result,
                   ChorusCallback cb, void *userdata, ChorusCall **ret_call) {
        cJSON *j = NULL;
        int r = chorus_build_deposit(req, &j);
        return start_built(c, &op_deposit, r, j, result, cb, userdata, ret_call);
}

int chorus_flux_report(ChorusClient *c, const char *numero_flux_depot, ChorusFluxReport *result,
                       ChorusCallback cb, void *userdata, ChorusCall **ret_call) {
        cJSON *j = NULL;
        int r = chorus_build_flux_report(numero_flux_depot, &j);
        return start_built(c, &op_flux_report, r, j, result, cb, userdata, ret_call);
}

int chorus_invoice_search(ChorusClient *c, const ChorusInvoiceSearch *req, ChorusInvoiceList *result,
                          ChorusCallback cb, void *userdata, ChorusCall **ret_call) {
        cJSON *j = NULL;
        int r = chorus_build_invoice_search(req, &j);
        return start_built(c, &op_invoice_search, r, j, result, cb, userdata, ret_call);
}

int chorus_invoice_history(ChorusClient *c, int64_t id_facture, ChorusInvoiceHistory *result,
                           ChorusCallback cb, void *userdata, ChorusCall **ret_call) {
        cJSON *j = NULL;
        int r = chorus_build_invoice_history(id_facture, &j);
        return start_built(c, &op_invoice_history, r, j, result, cb, userdata, ret_call);
}

int chorus_structure_search(ChorusClient *c, const char *siret, ChorusStructureList *result,
                            ChorusCallback cb, void *userdata, ChorusCall **ret_call) {
        cJSON *j = NULL;
        int r = chorus_build_structure_search(siret, &j);
        return start_built(c, &op_structure_search, r, j, result, cb, userdata, ret_call);
}

int chorus_structure_get(ChorusClient *c, int64_t id_structure_cpp, ChorusStructure *result,
                         ChorusCallback cb, void *userdata, ChorusCall **ret_call) {
        cJSON *j = NULL;
        int r = chorus_build_structure_get(id_structure_cpp, &j);
        return start_built(c, &op_structure_get, r, j, result, cb, userdata, ret_call);
}

int chorus_service_search(ChorusClient *c, int64_t id_structure_cpp, ChorusServiceList *result,
                          ChorusCallback cb, void *userdata, ChorusCall **ret_call) {
        cJSON *j = NULL;
        int r = chorus_build_service_search(id_structure_cpp, &j);
        return start_built(c, &op_service_search, r, j, result, cb, userdata, ret_call);
}

int chorus_service_get(ChorusClient *c, int64_t id_structure_cpp, int64_t id_service,
                       ChorusServiceDetail *result, ChorusCallback cb, void *userdata, ChorusCall **ret_call) {
        cJSON *j = NULL;
        int r = chorus_build_service_get(id_structure_cpp, id_service, &j);
        return start_built(c, &op_service_get, r, j, result, cb, userdata, ret_call);
}

/* ---- synchronous wrappers ---- */

typedef struct SyncWait {
        bool done;
        int r;
        ChorusError error;
} SyncWait;

static void on_sync_done(ChorusCall *call, int r, ChorusError *error, void *userdata) {
        SyncWait *w = userdata;

        (void) call;
        w->done = true;
        w->r = r;
        if (error)
                chorus_error_move(&w->error, error);
}

/* Runs the loop until the call started with `w` as userdata reports. */
static int sync_wait(ChorusClient *c, const char *operation, int r, ChorusCall *call, SyncWait *w,
                     ChorusError *reterr) {
        ChorusError e = {};

        if (r < 0) {
                (void) chorus_error_internal(&e, operation, r);
                goto fail;
        }
        while (!w->done) {
                r = sd_event_run(c->event, UINT64_MAX);
                if (r < 0) {
                        chorus_call_cancel(call);
                        (void) chorus_error_internal(&e, operation, r);
                        goto fail;
                }
        }
        if (w->r >= 0)
                return 0;
        r = w->r;
        chorus_error_move(&e, &w->error);
fail:
        if (reterr) {
                chorus_error_done(reterr);
                chorus_error_move(reterr, &e);
        }
        chorus_error_done(&e);
        return r;
}

#define SYNC_CALL(c, operation, start_expr, reterr)                                            \
        __extension__({                                                                        \
                SyncWait _w = {};                                                              \
                ChorusCall *_call = NULL;                                                      \
                int _r = (start_expr);                                                         \
                sync_wait((c), (operation), _r, _call, &_w, (reterr));                         \
        })
#define SYNC_ARGS on_sync_done, &_w, &_call

int chorus_token_refresh_sync(ChorusClient *c, ChorusTokenInfo *ret, ChorusError *reterr) {
        return SYNC_CALL(c, "token", chorus_token_refresh(c, ret, SYNC_ARGS), reterr);
}

int chorus_health_check_sync(ChorusClient *c, ChorusHealth *ret, ChorusError *reterr) {
        return SYNC_CALL(c, op_health.name, chorus_health_check(c, ret, SYNC_ARGS), reterr);
}

int chorus_deposit_sync(ChorusClient *c, const ChorusDepositRequest *req, ChorusDepositResult *ret,
                        ChorusError *reterr) {
        return SYNC_CALL(c, op_deposit.name, chorus_deposit(c, req, ret, SYNC_ARGS), reterr);
}

int chorus_flux_report_sync(ChorusClient *c, const char *numero_flux_depot, ChorusFluxReport *ret,
                            ChorusError *reterr) {
        return SYNC_CALL(c, op_flux_report.name, chorus_flux_report(c, numero_flux_depot, ret, SYNC_ARGS),
                         reterr);
}

int chorus_invoice_search_sync(ChorusClient *c, const ChorusInvoiceSearch *req, ChorusInvoiceList *ret,
                               ChorusError *reterr) {
        return SYNC_CALL(c, op_invoice_search.name, chorus_invoice_search(c, req, ret, SYNC_ARGS), reterr);
}

int chorus_invoice_history_sync(ChorusClient *c, int64_t id_facture, ChorusInvoiceHistory *ret,
                                ChorusError *reterr) {
        return SYNC_CALL(c, op_invoice_history.name, chorus_invoice_history(c, id_facture, ret, SYNC_ARGS),
                         reterr);
}

int chorus_structure_search_sync(ChorusClient *c, const char *siret, ChorusStructureList *ret,
                                 ChorusError *reterr) {
        return SYNC_CALL(c, op_structure_search.name, chorus_structure_search(c, siret, ret, SYNC_ARGS),
                         reterr);
}

int chorus_structure_get_sync(ChorusClient *c, int64_t id_structure_cpp, ChorusStructure *ret,
                              ChorusError *reterr) {
        return SYNC_CALL(c, op_structure_get.name, chorus_structure_get(c, id_structure_cpp, ret, SYNC_ARGS),
                         reterr);
}

int chorus_service_search_sync(ChorusClient *c, int64_t id_structure_cpp, ChorusServiceList *ret,
                               ChorusError *reterr) {
        return SYNC_CALL(c, op_service_search.name,
                         chorus_service_search(c, id_structure_cpp, ret, SYNC_ARGS), reterr);
}

int chorus_service_get_sync(ChorusClient *c, int64_t id_structure_cpp, int64_t id_service,
                            ChorusServiceDetail *ret, ChorusError *reterr) {
        return SYNC_CALL(c, op_service_get.name,
                         chorus_service_get(c, id_structure_cpp, id_service, ret, SYNC_ARGS), reterr);
}

/* ---- the client ---- */

static int client_error(char **reterr_message, int error, const char *message) {
        if (reterr_message)
                *reterr_message = strdup(message);
        return error;
}

static bool url_is_https(const char *url) {
        return url && strncasecmp(url, "https://", 8) == 0 && url[8] != '\0';
}

static int client_copy_settings(ChorusClient *c, const ChorusClientOptions *o, char **reterr_message) {
        const ChorusConfig *cfg = o->config;
        _cleanup_(erase_and_freep) char *account = NULL, *form = NULL, *encoded = NULL;
        size_t n;

        if (!url_is_https(cfg->api_url) || !url_is_https(cfg->oauth_url))
                return client_error(reterr_message, -EINVAL,
                                    "api_url and oauth_url must be set and start with https:// (TLS is never turned off)");
        if (isempty(cfg->client_id) || isempty(cfg->technical_login))
                return client_error(reterr_message, -EINVAL, "client_id and technical_login must be set");
        if (!o->secrets || isempty(o->secrets->client_secret) || isempty(o->secrets->cpro_password))
                return client_error(reterr_message, -EINVAL,
                                    "the piste-client-secret and cpro-password credentials must not be empty");

        c->api_url = strdup(cfg->api_url);
        c->oauth_url = strdup(cfg->oauth_url);
        c->client_id = strdup(cfg->client_id);
        /* Kept for the client's life: in secret memory (credentials.h), out
         * of core dumps; the malloc'd intermediates are wiped at once. */
        c->client_secret = credentials_secret_strdup(o->secrets->client_secret);
        form = form_escape(o->secrets->client_secret);
        c->client_secret_form = credentials_secret_strdup(form);
        c->cpro_password = credentials_secret_strdup(o->secrets->cpro_password);
        (void) secret_printf(&account, "%s:%s", cfg->technical_login, o->secrets->cpro_password);
        if (!c->api_url || !c->oauth_url || !c->client_id || !c->client_secret || !c->client_secret_form ||
            !c->cpro_password || !account)
                return -ENOMEM;
        encoded = base64_string(account);
        c->cpro_account = credentials_secret_strdup(encoded);
        if (!c->cpro_account)
                return -ENOMEM;
        /* "https://host/" + "/cpro/…" would give a double slash. */
        n = strlen(c->api_url);
        while (n > 8 && c->api_url[n - 1] == '/')
                c->api_url[--n] = '\0';
        return 0;
}

static int client_http_setup(ChorusClient *c, const ChorusClientOptions *o, char **reterr_message) {
        const ChorusConfig *cfg = o->config;
        ChorusHttpOptions h = {
                .ca_file = isempty(cfg->ca_file) ? NULL : cfg->ca_file,
                .connect_timeout_ms = o->connect_timeout_ms ? o->connect_timeout_ms : cfg->connect_timeout * 1000,
                .timeout_ms = o->timeout_ms ? o->timeout_ms : cfg->timeout * 1000,
                .max_response_size = o->max_response_size,
        };

        return chorus_http_new(c->event, &h, &c->http, reterr_message);
}

int chorus_client_new(const ChorusClientOptions *o, ChorusClient **ret, char **reterr_message) {
        _cleanup_(chorus_client_freep) ChorusClient *c = NULL;
        int r;

        c = calloc(1, sizeof(ChorusClient));
        if (!c)
                return -ENOMEM;
        if (o->event)
                c->event = sd_event_ref(o->event);
        else {
                r = sd_event_new(&c->event);
                if (r < 0)
                        return r;
        }
        c->retry_deadline = o->retry_deadline_usec;
        c->retry_policy = o->retry_policy.base_usec || o->retry_policy.cap_usec ? o->retry_policy
                                                                                 : RETRY_POLICY_INTERACTIVE;
        c->retry_hook = o->retry_hook;
        c->retry_hook_userdata = o->retry_hook_userdata;
        c->answer_hook = o->answer_hook;
        c->answer_hook_userdata = o->answer_hook_userdata;
        r = client_copy_settings(c, o, reterr_message);
        if (r < 0)
                return r;
        r = client_http_setup(c, o, reterr_message);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

ChorusClient *chorus_client_free(ChorusClient *c) {
        if (!c)
                return NULL;
        while (c->calls)
                chorus_call_cancel(c->calls);
        chorus_http_request_cancel(c->token_request);
        chorus_http_free(c->http);
        free(c->api_url);
        free(c->oauth_url);
        free(c->client_id);
        credentials_secret_free(c->client_secret);
        credentials_secret_free(c->client_secret_form);
        credentials_secret_free(c->cpro_password);
        credentials_secret_free(c->cpro_account);
        erase_and_free(c->token);
        sd_event_unref(c->event);
        free(c);
        return NULL;
}

sd_event *chorus_client_get_event(ChorusClient *c) {
        return c->event;
}
