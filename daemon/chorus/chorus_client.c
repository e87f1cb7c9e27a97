/* chorus_client.c — the Chorus Pro client: calls, the shared PISTE token,
 * 401 refresh, paging and in-process retries (see chorus_client.h). The
 * operations table, the operations and the synchronous wrappers are in
 * chorus_client_ops.c; the client and call structs in
 * chorus_client_internal.h.
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
#include "chorus/chorus_client_internal.h"
#include "chorus/chorus_http.h"
#include "chorus/chorus_json.h"
#include "base/fsutil.h"
#include "base/log.h"
#include "base/macro.h"

#define SECRET_REDACT_MIN 4 /* shorter secrets would blank out ordinary words */
/* Server texts are kept up to a length (chorus_error.c): one cut inside a
 * secret keeps its start, masked from this many bytes on. */
#define SECRET_START_MIN 8

static void call_step(ChorusCall *call);
static void call_fail(ChorusCall *call, ChorusError *e);

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
        spec.fresh_connection = call->op->send_once;
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
int call_start(ChorusClient *c, const ChorusOperation *op, cJSON *request, void *ret_result,
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
