/* chorus_error.c — classification of Chorus Pro / PISTE answers into a
 * usable JSON answer or a ChorusError (see the table in chorus_error.h).
 *
 * Pure: it reads a ChorusHttpAnswer that chorus_client.c filled and never
 * does I/O. Messages quote only what the server said (status, codeRetour,
 * libelle, WWW-Authenticate detail) and the URL, never a request header or
 * body, so no secret can reach them from here; chorus_client.c still scrubs
 * them (a hostile server could echo a secret back). */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "chorus/chorus_error.h"
#include "chorus/chorus_json.h"
#include "base/identifiers.h"
#include "base/macro.h"
#include "chorus/retry.h"

#define TOKEN_LIFETIME_DEFAULT_SEC 3600
#define TOKEN_LIFETIME_MAX_SEC (24 * 3600)
#define TOKEN_SIZE_MAX 8192
#define SERVER_TEXT_MAX 300 /* longest libelle or detail quoted in a message */

static const char *const kind_names[_CHORUS_ERROR_KIND_MAX] = {
        [CHORUS_ERROR_NETWORK] = "network",
        [CHORUS_ERROR_TIMEOUT] = "timeout",
        [CHORUS_ERROR_TLS] = "tls",
        [CHORUS_ERROR_CONFIG] = "config",
        [CHORUS_ERROR_TOO_LARGE] = "too-large",
        [CHORUS_ERROR_HTTP] = "http",
        [CHORUS_ERROR_UNAUTHORIZED] = "unauthorized",
        [CHORUS_ERROR_FORBIDDEN] = "forbidden",
        [CHORUS_ERROR_TOKEN] = "token",
        [CHORUS_ERROR_BUSINESS] = "business",
        [CHORUS_ERROR_RESPONSE] = "response",
        [CHORUS_ERROR_INTERNAL] = "internal",
};

const char *chorus_error_kind_to_string(ChorusErrorKind k) {
        return k >= 0 && k < _CHORUS_ERROR_KIND_MAX ? kind_names[k] : NULL;
}

void chorus_error_done(ChorusError *e) {
        if (!e)
                return;
        free(e->libelle);
        free(e->auth_error);
        free(e->auth_detail);
        free(e->message);
        *e = (ChorusError){};
}

void chorus_error_move(ChorusError *dst, ChorusError *src) {
        *dst = *src;
        *src = (ChorusError){};
}

static int strdup_or_null(const char *s, char **ret) {
        *ret = NULL;
        if (!s)
                return 0;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

int chorus_error_copy(ChorusError *dst, const ChorusError *src) {
        ChorusError c = *src;

        c.libelle = c.auth_error = c.auth_detail = c.message = NULL;
        if (strdup_or_null(src->libelle, &c.libelle) < 0 ||
            strdup_or_null(src->auth_error, &c.auth_error) < 0 ||
            strdup_or_null(src->auth_detail, &c.auth_detail) < 0 ||
            strdup_or_null(src->message, &c.message) < 0) {
                chorus_error_done(&c);
                return -ENOMEM;
        }
        *dst = c;
        return 0;
}

int chorus_error_to_errno(const ChorusError *e) {
        if (e->kind == CHORUS_ERROR_INTERNAL)
                return -ENOMEM;
        return e->temporary ? -EAGAIN : -EREMOTEIO;
}

int chorus_error_set_message(ChorusError *e, const char *format, ...) {
        va_list ap;
        char *m;
        int r;

        va_start(ap, format);
        r = vasprintf(&m, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        free(e->message);
        e->message = m;
        return 0;
}

int chorus_error_internal(ChorusError *e, const char *operation, int error) {
        chorus_error_done(e);
        *e = (ChorusError){ .kind = CHORUS_ERROR_INTERNAL, .temporary = true, .operation = operation };
        (void) chorus_error_set_message(e, "local failure: %s", strerror(error < 0 ? -error : error));
        return chorus_error_to_errno(e);
}

/* Sets kind, class and delivery at once: every path below goes through it,
 * so that no field of the table is forgotten. */
static void classify(ChorusError *e, ChorusErrorKind kind, bool temporary, bool maybe_processed) {
        e->kind = kind;
        e->temporary = temporary;
        e->maybe_processed = maybe_processed;
}

/* --- transport failures (no HTTP answer) --- */

static bool curl_code_is_tls_verification(int code) {
        switch (code) {
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
        case CURLE_SSL_CRL_BADFILE:
                return true;
        default:
                return false;
        }
}

static bool curl_code_is_config(int code) {
        switch (code) {
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
        case CURLE_NOT_BUILT_IN:
        case CURLE_BAD_FUNCTION_ARGUMENT:
        case CURLE_SSL_ENGINE_NOTFOUND:
        case CURLE_SSL_CIPHER:
                return true;
        default:
                return false;
        }
}

static bool curl_code_before_sending(int code) {
        switch (code) {
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_CONNECT:
        case CURLE_SSL_CONNECT_ERROR:
                return true;
        default:
                return false;
        }
}

static int transport_error(const ChorusHttpAnswer *a, ChorusError *e) {
        const char *detail = !isempty(a->curl_message) ? a->curl_message : curl_easy_strerror(a->curl_code);
        /* Bytes of the request may have left once the connection was up,
         * unless curl says it failed while connecting. */
        bool maybe = a->connected && !curl_code_before_sending(a->curl_code);

        e->curl_code = a->curl_code;
        if (a->headers_too_large) {
                classify(e, CHORUS_ERROR_TOO_LARGE, false, true);
                return chorus_error_set_message(e, "the answer from %s has response headers over our limit of %d KiB: "
                                                "refused as malformed, transfer aborted",
                                                strempty(a->url), CHORUS_HTTP_HEADERS_MAX / 1024);
        }
        if (a->too_large || a->curl_code == CURLE_FILESIZE_EXCEEDED) {
                classify(e, CHORUS_ERROR_TOO_LARGE, false, true);
                return chorus_error_set_message(e, "the answer from %s is larger than the maximum response size, transfer aborted",
                                                strempty(a->url));
        }
        if (curl_code_is_tls_verification(a->curl_code)) {
                classify(e, CHORUS_ERROR_TLS, false, false);
                return chorus_error_set_message(e, "TLS verification failed for %s: %s: check ca_file (or the system CA certificates); verification is never turned off",
                                                strempty(a->url), detail);
        }
        if (curl_code_is_config(a->curl_code)) {
                classify(e, CHORUS_ERROR_CONFIG, false, false);
                return chorus_error_set_message(e, "cannot use %s: %s: check api_url and oauth_url (https only)",
                                                strempty(a->url), detail);
        }
        if (a->curl_code == CURLE_OPERATION_TIMEDOUT) {
                classify(e, CHORUS_ERROR_TIMEOUT, true, a->connected);
                return chorus_error_set_message(e, "no complete answer from %s within the timeout (%s)%s",
                                                strempty(a->url), detail,
                                                a->connected ? ": the request may have been processed" : "");
        }
        classify(e, CHORUS_ERROR_NETWORK, true, maybe);
        return chorus_error_set_message(e, "cannot talk to %s: %s%s", strempty(a->url), detail,
                                        maybe ? ": the request may have been processed" : "");
}

/* --- HTTP answers --- */

/* Copies at most SERVER_TEXT_MAX bytes of a server string, cut between two
 * UTF-8 characters, replacing control characters (C0, DEL, and C1 written
 * in UTF-8) with spaces, so that a message stays one line and drives no
 * terminal. */
static char *server_text(const char *s) {
        size_t n = strnlen(s, SERVER_TEXT_MAX);
        char *t;

        if (n == SERVER_TEXT_MAX)
                n = utf8_char_start(s, n);
        t = strndup(s, n);
        for (char *p = t; p && *p;) {
                size_t c = utf8_control_len(p);

                if (c == 0)
                        p++;
                for (; c > 0; c--)
                        *p++ = ' ';
        }
        return t;
}

/* Reads {codeRetour, libelle} when present. Returns 1 with codeRetour (an
 * int32, as a JSON integer or a string of digits), 0 when it is absent or
 * null, -EBADMSG when it is anything else (a fraction, a boolean, a number
 * beyond int32): such a codeRetour cannot be taken for 0. */
static int read_code_retour(const cJSON *json, ChorusError *e) {
        const char *libelle = chorus_json_string(json, "libelle");
        int64_t code;
        int r;

        if (libelle && !e->libelle)
                e->libelle = server_text(libelle);
        r = chorus_json_int64(json, "codeRetour", &code);
        if (r == -ENOENT)
                return 0;
        if (r < 0 || code < INT32_MIN || code > INT32_MAX)
                return -EBADMSG;
        e->has_code_retour = true;
        e->code_retour = (int) code;
        return 1;
}

static void read_retry_after(const ChorusHttpAnswer *a, time_t now, ChorusError *e) {
        uint64_t usec;

        if (retry_after_parse(a->retry_after, now, &usec) >= 0) {
                e->has_retry_after = true;
                e->retry_after_usec = usec;
        }
}

static cJSON *parse_json(const ChorusHttpAnswer *a) {
        if (!a->body || a->body_size == 0)
                return NULL;
        return cJSON_ParseWithLength(a->body, a->body_size);
}

static int read_www_authenticate(const ChorusHttpAnswer *a, ChorusError *e) {
        if (!a->www_authenticate)
                return 0;
        return chorus_www_authenticate_parse(a->www_authenticate, &e->auth_error, &e->auth_detail);
}

static int unauthorized_error(const ChorusHttpAnswer *a, ChorusError *e) {
        int r;

        classify(e, CHORUS_ERROR_UNAUTHORIZED, false, false);
        r = read_www_authenticate(a, e);
        if (r < 0)
                return r;
        if (e->auth_detail && strcasestr(e->auth_detail, "login or password"))
                return chorus_error_set_message(e, "Chorus Pro refused the technical account (%s): the technical account password may be wrong or expired — renew it in the Chorus Pro portal, Raccordement EDI/API, then update the cpro-password credential; check technical_login too",
                                                e->auth_detail);
        return chorus_error_set_message(e, "HTTP 401 from %s (%s%s%s) even with a fresh PISTE token: check the technical account (technical_login, cpro-password) and the PISTE application",
                                        strempty(a->url), strempty(e->auth_error),
                                        e->auth_detail ? ": " : "", strempty(e->auth_detail));
}

static int forbidden_error(const ChorusHttpAnswer *a, ChorusError *e) {
        classify(e, CHORUS_ERROR_FORBIDDEN, false, false);
        return chorus_error_set_message(e, "HTTP 403 from %s: the PISTE application is not subscribed to this API (Factures, Structures, Transverses) or its terms (CGU) are not accepted, or the technical account may not use it",
                                        strempty(a->url));
}

static int business_message(ChorusError *e, const char *what) {
        return chorus_error_set_message(e, "%s: codeRetour %d, libelle \"%s\"", what, e->code_retour,
                                        strempty(e->libelle));
}

static int client_error(const ChorusHttpAnswer *a, ChorusError *e) {
        _cleanup_(cJSON_Deletep) cJSON *json = parse_json(a);

        classify(e, CHORUS_ERROR_HTTP, false, false);
        if (json && read_code_retour(json, e) > 0)
                return business_message(e, a->status == 400 ? "Chorus Pro rejected the request (HTTP 400)"
                                                            : "Chorus Pro rejected the request");
        switch (a->status) {
        case 400:
                return chorus_error_set_message(e, "HTTP 400 from %s: the request was refused as malformed%s%s",
                                                strempty(a->url), e->libelle ? ": " : "", strempty(e->libelle));
        case 404:
                return chorus_error_set_message(e, "HTTP 404 from %s: unknown API path: check api_url (and the environment)",
                                                strempty(a->url));
        case 415:
                return chorus_error_set_message(e, "HTTP 415 from %s: content type refused (a chorusd bug: please report it)",
                                                strempty(a->url));
        default:
                return chorus_error_set_message(e, "HTTP %ld from %s%s%s", a->status, strempty(a->url),
                                                e->libelle ? ": " : "", strempty(e->libelle));
        }
}

static int temporary_http_error(const ChorusHttpAnswer *a, time_t now, ChorusError *e) {
        _cleanup_(cJSON_Deletep) cJSON *json = parse_json(a);
        bool server = a->status >= 500;

        /* A 5xx may come from a gateway after the backend acted (see (1)). */
        classify(e, CHORUS_ERROR_HTTP, true, server);
        read_retry_after(a, now, e);
        if (json)
                (void) read_code_retour(json, e);
        if (a->status == 429)
                return chorus_error_set_message(e, "Chorus Pro is throttling requests (HTTP 429%s)",
                                                e->has_retry_after ? ", with Retry-After" : "");
        return chorus_error_set_message(e, "HTTP %ld from %s%s%s%s", a->status, strempty(a->url),
                                        server ? " (server error)" : "", e->libelle ? ": " : "",
                                        strempty(e->libelle));
}

static bool status_is_temporary(long status) {
        return status == 408 || status == 429 || status >= 500;
}

/* A 2xx other than 200 (the Swagger lists 202, "requête acceptée"): the
 * request went through, but not with the answer the API documents. */
static int other_success_error(const ChorusHttpAnswer *a, ChorusError *e) {
        classify(e, CHORUS_ERROR_RESPONSE, false, true);
        return chorus_error_set_message(e, "HTTP %ld from %s instead of 200: the request may have been processed, but the answer is not the documented one",
                                        a->status, strempty(a->url));
}

/* Returns 1 with the JSON when the answer is usable, 0 with *e filled when
 * it is not, or -ENOMEM. */
static int success_answer(const ChorusHttpAnswer *a, cJSON **ret_json, ChorusError *e) {
        _cleanup_(cJSON_Deletep) cJSON *json = parse_json(a);
        int k;

        if (!cJSON_IsObject(json)) {
                classify(e, CHORUS_ERROR_RESPONSE, false, true);
                return chorus_error_set_message(e, "the answer from %s is not a JSON object", strempty(a->url));
        }
        k = read_code_retour(json, e);
        if (k < 0) {
                classify(e, CHORUS_ERROR_RESPONSE, false, true);
                return chorus_error_set_message(e, "the answer from %s carries a codeRetour that is not an integer",
                                                strempty(a->url));
        }
        if (k > 0 && e->code_retour != 0) {
                classify(e, CHORUS_ERROR_BUSINESS, false, false);
                return business_message(e, "Chorus Pro refused the request");
        }
        *ret_json = TAKE_PTR(json);
        return 1;
}

static int answer_error(const ChorusHttpAnswer *a, time_t now, ChorusError *e) {
        if (a->curl_code != CURLE_OK || a->too_large)
                return transport_error(a, e);
        e->http_status = a->status;
        if (a->status == 401)
                return unauthorized_error(a, e);
        if (a->status == 403)
                return forbidden_error(a, e);
        if (status_is_temporary(a->status))
                return temporary_http_error(a, now, e);
        if (a->status >= 200 && a->status < 300)
                return other_success_error(a, e);
        return client_error(a, e);
}

static bool answer_is_200(const ChorusHttpAnswer *a) {
        return a->curl_code == CURLE_OK && !a->too_large && a->status == 200;
}

/* Hands a built error over to the caller, or reports the allocation
 * failure that prevented building it. */
static int error_return(ChorusError *e, int r, ChorusError *reterr) {
        if (r < 0) {
                /* A local failure (memory) while reading an answer: what the
                 * answer said about delivery still holds, and a 200 was
                 * processed, whatever we could make of it. */
                bool maybe_processed = e->maybe_processed || e->http_status == 200;
                const char *operation = e->operation;

                chorus_error_done(e);
                r = chorus_error_internal(reterr, operation, r);
                reterr->maybe_processed = maybe_processed;
                return r;
        }
        chorus_error_done(reterr);
        chorus_error_move(reterr, e);
        return chorus_error_to_errno(reterr);
}

int chorus_answer_check(const ChorusHttpAnswer *a, const char *operation, time_t now, cJSON **ret_json,
                        ChorusError *reterr) {
        ChorusError e = { .operation = operation };
        int r;

        if (answer_is_200(a)) {
                e.http_status = 200;
                r = success_answer(a, ret_json, &e);
                if (r > 0) {
                        chorus_error_done(&e);
                        return 0;
                }
        } else
                r = answer_error(a, now, &e);
        return error_return(&e, r, reterr);
}

/* --- the PISTE token endpoint --- */

static int token_refused(const ChorusHttpAnswer *a, ChorusError *e) {
        _cleanup_(cJSON_Deletep) cJSON *json = parse_json(a);
        const char *error = json ? chorus_json_string(json, "error") : NULL;
        const char *description = json ? chorus_json_string(json, "error_description") : NULL;

        classify(e, CHORUS_ERROR_TOKEN, false, false);
        e->auth_error = error ? server_text(error) : NULL;
        e->auth_detail = description ? server_text(description) : NULL;
        if (error && streq(error, "invalid_client"))
                return chorus_error_set_message(e, "PISTE refused the client id/secret (invalid_client%s%s): check client_id and the piste-client-secret credential",
                                                description ? ": " : "", strempty(e->auth_detail));
        return chorus_error_set_message(e, "PISTE refused the token request (HTTP %ld%s%s%s%s): check client_id, the piste-client-secret credential and oauth_url",
                                        a->status, error ? ", " : "", strempty(e->auth_error),
                                        description ? ": " : "", strempty(e->auth_detail));
}

static uint64_t token_lifetime(const cJSON *json) {
        int64_t seconds;

        /* expires_in is a number; some servers send it as a string. */
        if (chorus_json_int64(json, "expires_in", &seconds) < 0)
                seconds = TOKEN_LIFETIME_DEFAULT_SEC;
        if (seconds < 1)
                seconds = 1;
        if (seconds > TOKEN_LIFETIME_MAX_SEC)
                seconds = TOKEN_LIFETIME_MAX_SEC;
        return (uint64_t) seconds * USEC_PER_SEC;
}

/* Returns 1 with the token, 0 with *e filled, or -ENOMEM. */
static int token_success(const ChorusHttpAnswer *a, char **ret_token, uint64_t *ret_lifetime_usec,
                         ChorusError *e) {
        _cleanup_(chorus_json_delete_wipedp) cJSON *json = parse_json(a);
        const char *token = chorus_json_string(json, "access_token");
        const char *type = chorus_json_string(json, "token_type");
        char *copy;

        classify(e, CHORUS_ERROR_RESPONSE, false, false);
        if (isempty(token) || strlen(token) > TOKEN_SIZE_MAX || strpbrk(token, " \t\r\n\"\\"))
                return chorus_error_set_message(e, "the PISTE token answer from %s carries no usable access_token",
                                                strempty(a->url));
        if (type && strcasecmp(type, "Bearer") != 0)
                return chorus_error_set_message(e, "the PISTE token from %s is of type \"%.40s\", not Bearer",
                                                strempty(a->url), type);
        copy = strdup(token);
        if (!copy)
                return -ENOMEM;
        *ret_lifetime_usec = token_lifetime(json);
        *ret_token = copy;
        return 1;
}

int chorus_token_answer_parse(const ChorusHttpAnswer *a, time_t now, char **ret_token,
                              uint64_t *ret_lifetime_usec, ChorusError *reterr) {
        ChorusError e = { .operation = "token" };
        int r;

        if (answer_is_200(a)) {
                e.http_status = 200;
                r = token_success(a, ret_token, ret_lifetime_usec, &e);
                if (r > 0) {
                        chorus_error_done(&e);
                        return 0;
                }
        } else if (a->curl_code == CURLE_OK && !a->too_large && !status_is_temporary(a->status)) {
                e.http_status = a->status;
                r = token_refused(a, &e);
        } else
                r = answer_error(a, now, &e);

        /* No API request was sent when the token could not be had. */
        e.maybe_processed = false;
        return error_return(&e, r, reterr);
}

/* --- WWW-Authenticate --- */

/* Reads one auth-param value at *p (quoted-string or token); returns it
 * allocated, with *p after it. */
static char *auth_param_value(const char **p) {
        const char *s = *p;
        char *v, *o;

        if (*s != '"') {
                size_t n = strcspn(s, ", \t");
                *p = s + n;
                return strndup(s, n);
        }
        v = o = malloc(strlen(s) + 1);
        if (!v)
                return NULL;
        for (s++; *s && *s != '"'; s++) {
                if (*s == '\\' && s[1])
                        s++;
                *o++ = *s;
        }
        *o = '\0';
        *p = *s == '"' ? s + 1 : s;
        return v;
}

int chorus_www_authenticate_parse(const char *value, char **ret_error, char **ret_description) {
        _cleanup_(freep) char *error = NULL, *description = NULL;
        const char *p = value;

        /* Skip the scheme ("Bearer"), then read name=value pairs. */
        p += strcspn(p, " \t");
        while (p && *p) {
                char name[32], **target = NULL;
                size_t n;

                p += strspn(p, " \t,");
                n = strcspn(p, "= \t,");
                if (n == 0 || p[n] != '=')
                        break;
                snprintf(name, sizeof name, "%.*s", (int) (n < sizeof name ? n : sizeof name - 1), p);
                p += n + 1;
                if (strcasecmp(name, "error") == 0)
                        target = &error;
                else if (strcasecmp(name, "error_description") == 0)
                        target = &description;
                _cleanup_(freep) char *v = auth_param_value(&p);
                if (!v)
                        return -ENOMEM;
                if (target && !*target) {
                        *target = server_text(v);
                        if (!*target)
                                return -ENOMEM;
                }
        }
        *ret_error = TAKE_PTR(error);
        *ret_description = TAKE_PTR(description);
        return 0;
}
