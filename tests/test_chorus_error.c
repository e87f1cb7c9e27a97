/* test_chorus_error.c — the failure classification table of chorus_error.h,
 * without network: a synthetic ChorusHttpAnswer in, the verdict out
 * (kind, temporary or functional, maybe processed, the details kept for the
 * operator); the PISTE token answers; WWW-Authenticate parsing. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <string.h>

#include "chorus/chorus_error.h"
#include "base/macro.h"
#include "chorus/retry.h"

#define URL "https://api.example/cpro/x"
#define NOW ((time_t) 784111777) /* Sun, 06 Nov 1994 08:49:37 GMT */
#define WWW_ACCOUNT "Bearer realm=\"PISTE\",error=\"Unauthorized\",error_description=\"login or password incorrects\""

typedef struct AnswerCase {
        const char *label;
        ChorusHttpAnswer answer;
        int r;
        ChorusErrorKind kind;
        bool temporary;
        bool maybe_processed;
        int code_retour; /* -1 = none */
        int64_t retry_after_sec; /* -1 = none */
        const char *in_message;
        const char *libelle;
        const char *auth_detail;
} AnswerCase;

#define HTTP(s, b, ...) { .status = (s), .body = (b), .body_size = sizeof(b) - 1, .url = URL, __VA_ARGS__ }
#define CURL_FAIL(c, conn, ...) { .curl_code = (c), .connected = (conn), .curl_message = "curl says no", .url = URL, __VA_ARGS__ }

static const AnswerCase answer_cases[] = {
        { "200 business error", HTTP(200, "{\"codeRetour\":20001,\"libelle\":\"GDP_MSG_11.022\"}"), -EREMOTEIO,
          CHORUS_ERROR_BUSINESS, false, false, 20001, -1, "codeRetour 20001", "GDP_MSG_11.022", NULL },
        { "200 not JSON", HTTP(200, "<html>maintenance</html>"), -EREMOTEIO, CHORUS_ERROR_RESPONSE, false, true, -1,
          -1, "not a JSON object", NULL, NULL },
        { "200 JSON array", HTTP(200, "[1,2]"), -EREMOTEIO, CHORUS_ERROR_RESPONSE, false, true, -1, -1,
          "not a JSON object", NULL, NULL },
        { "200 empty", HTTP(200, ""), -EREMOTEIO, CHORUS_ERROR_RESPONSE, false, true, -1, -1, NULL, NULL, NULL },
        { "400 codeRetour", HTTP(400, "{\"codeRetour\":20000,\"libelle\":\"Le champ nomFichier est obligatoire\"}"),
          -EREMOTEIO, CHORUS_ERROR_HTTP, false, false, 20000, -1, "HTTP 400",
          "Le champ nomFichier est obligatoire", NULL },
        { "400 empty", HTTP(400, ""), -EREMOTEIO, CHORUS_ERROR_HTTP, false, false, -1, -1, "malformed", NULL,
          NULL },
        { "401 technical account", HTTP(401, "", .www_authenticate = WWW_ACCOUNT), -EREMOTEIO,
          CHORUS_ERROR_UNAUTHORIZED, false, false, -1, -1, "technical account", NULL,
          "login or password incorrects" },
        { "401 bearer", HTTP(401, "", .www_authenticate = "Bearer realm=\"PISTE\""), -EREMOTEIO,
          CHORUS_ERROR_UNAUTHORIZED, false, false, -1, -1, "HTTP 401", NULL, NULL },
        { "403", HTTP(403, ""), -EREMOTEIO, CHORUS_ERROR_FORBIDDEN, false, false, -1, -1, "not subscribed", NULL,
          NULL },
        { "404", HTTP(404, "{}"), -EREMOTEIO, CHORUS_ERROR_HTTP, false, false, -1, -1, "api_url", NULL, NULL },
        { "413", HTTP(413, ""), -EREMOTEIO, CHORUS_ERROR_HTTP, false, false, -1, -1, "HTTP 413", NULL, NULL },
        { "415", HTTP(415, ""), -EREMOTEIO, CHORUS_ERROR_HTTP, false, false, -1, -1, "HTTP 415", NULL, NULL },
        { "302", HTTP(302, ""), -EREMOTEIO, CHORUS_ERROR_HTTP, false, false, -1, -1, "HTTP 302", NULL, NULL },
        /* The Swagger lists 202 "requête acceptée": a deposit answered so may
         * well exist, and must be looked up, not sent again. */
        { "202 accepted", HTTP(202, "{\"codeRetour\":0}"), -EREMOTEIO, CHORUS_ERROR_RESPONSE, false, true, -1, -1,
          "may have been processed", NULL, NULL },
        { "204", HTTP(204, ""), -EREMOTEIO, CHORUS_ERROR_RESPONSE, false, true, -1, -1, "HTTP 204", NULL, NULL },
        /* codeRetour is checked whatever its JSON type. */
        { "200 codeRetour as a string", HTTP(200, "{\"codeRetour\":\"20001\",\"libelle\":\"GDP_MSG_11.022\"}"),
          -EREMOTEIO, CHORUS_ERROR_BUSINESS, false, false, 20001, -1, "codeRetour 20001", "GDP_MSG_11.022", NULL },
        { "200 codeRetour a fraction", HTTP(200, "{\"codeRetour\":1.5,\"numeroFluxDepot\":\"CPP1\"}"), -EREMOTEIO,
          CHORUS_ERROR_RESPONSE, false, true, -1, -1, "codeRetour", NULL, NULL },
        { "200 codeRetour beyond int32", HTTP(200, "{\"codeRetour\":3000000000}"), -EREMOTEIO, CHORUS_ERROR_RESPONSE,
          false, true, -1, -1, "codeRetour", NULL, NULL },
        { "200 codeRetour a boolean", HTTP(200, "{\"codeRetour\":true}"), -EREMOTEIO, CHORUS_ERROR_RESPONSE, false,
          true, -1, -1, "codeRetour", NULL, NULL },
        { "200 codeRetour text", HTTP(200, "{\"codeRetour\":\"KO\"}"), -EREMOTEIO, CHORUS_ERROR_RESPONSE, false,
          true, -1, -1, "codeRetour", NULL, NULL },
        { "408", HTTP(408, ""), -EAGAIN, CHORUS_ERROR_HTTP, true, false, -1, -1, "HTTP 408", NULL, NULL },
        { "429 Retry-After seconds", HTTP(429, "", .retry_after = "7"), -EAGAIN, CHORUS_ERROR_HTTP, true, false, -1,
          7, "throttling", NULL, NULL },
        { "429 without Retry-After", HTTP(429, ""), -EAGAIN, CHORUS_ERROR_HTTP, true, false, -1, -1, "HTTP 429",
          NULL, NULL },
        { "429 bad Retry-After", HTTP(429, "", .retry_after = "later"), -EAGAIN, CHORUS_ERROR_HTTP, true, false,
          -1, -1, "HTTP 429", NULL, NULL },
        { "500", HTTP(500, "{\"codeRetour\":1,\"libelle\":\"boom\"}"), -EAGAIN, CHORUS_ERROR_HTTP, true, true, 1, -1,
          "HTTP 500", "boom", NULL },
        { "502", HTTP(502, ""), -EAGAIN, CHORUS_ERROR_HTTP, true, true, -1, -1, "server error", NULL, NULL },
        { "503 Retry-After date", HTTP(503, "", .retry_after = "Sun, 06 Nov 1994 08:50:07 GMT"), -EAGAIN,
          CHORUS_ERROR_HTTP, true, true, -1, 30, "HTTP 503", NULL, NULL },
        { "504", HTTP(504, ""), -EAGAIN, CHORUS_ERROR_HTTP, true, true, -1, -1, "HTTP 504", NULL, NULL },
        { "connection refused", CURL_FAIL(CURLE_COULDNT_CONNECT, false), -EAGAIN, CHORUS_ERROR_NETWORK, true, false,
          -1, -1, "curl says no", NULL, NULL },
        { "DNS", CURL_FAIL(CURLE_COULDNT_RESOLVE_HOST, false), -EAGAIN, CHORUS_ERROR_NETWORK, true, false, -1, -1,
          NULL, NULL, NULL },
        { "connect timeout", CURL_FAIL(CURLE_OPERATION_TIMEDOUT, false), -EAGAIN, CHORUS_ERROR_TIMEOUT, true, false,
          -1, -1, "timeout", NULL, NULL },
        { "timeout after sending", CURL_FAIL(CURLE_OPERATION_TIMEDOUT, true), -EAGAIN, CHORUS_ERROR_TIMEOUT, true,
          true, -1, -1, "may have been processed", NULL, NULL },
        { "empty reply after sending", CURL_FAIL(CURLE_GOT_NOTHING, true), -EAGAIN, CHORUS_ERROR_NETWORK, true, true,
          -1, -1, "may have been processed", NULL, NULL },
        { "reset while receiving", CURL_FAIL(CURLE_RECV_ERROR, true), -EAGAIN, CHORUS_ERROR_NETWORK, true, true, -1,
          -1, NULL, NULL, NULL },
        { "partial body", CURL_FAIL(CURLE_PARTIAL_FILE, true), -EAGAIN, CHORUS_ERROR_NETWORK, true, true, -1, -1,
          NULL, NULL, NULL },
        { "TLS handshake cut", CURL_FAIL(CURLE_SSL_CONNECT_ERROR, false), -EAGAIN, CHORUS_ERROR_NETWORK, true, false,
          -1, -1, NULL, NULL, NULL },
        { "TLS verification", CURL_FAIL(CURLE_PEER_FAILED_VERIFICATION, false), -EREMOTEIO, CHORUS_ERROR_TLS, false,
          false, -1, -1, "check ca_file", NULL, NULL },
        { "not https", CURL_FAIL(CURLE_UNSUPPORTED_PROTOCOL, false), -EREMOTEIO, CHORUS_ERROR_CONFIG, false, false,
          -1, -1, "https only", NULL, NULL },
        { "too large", CURL_FAIL(CURLE_WRITE_ERROR, true, .too_large = true), -EREMOTEIO, CHORUS_ERROR_TOO_LARGE,
          false, true, -1, -1, "maximum response size", NULL, NULL },
        { "too large by Content-Length", CURL_FAIL(CURLE_FILESIZE_EXCEEDED, true), -EREMOTEIO,
          CHORUS_ERROR_TOO_LARGE, false, true, -1, -1, "maximum response size", NULL, NULL },
};

static void expect_error(const AnswerCase *c, int r, const ChorusError *e) {
        cr_expect_eq(r, c->r, "%s: r=%d", c->label, r);
        cr_expect_eq(e->kind, c->kind, "%s: kind %s", c->label, chorus_error_kind_to_string(e->kind));
        cr_expect_eq(e->temporary, c->temporary, "%s: temporary", c->label);
        cr_expect_eq(e->maybe_processed, c->maybe_processed, "%s: maybe_processed", c->label);
        cr_expect_eq(e->has_code_retour, c->code_retour >= 0, "%s: has_code_retour", c->label);
        if (c->code_retour >= 0)
                cr_expect_eq(e->code_retour, c->code_retour, "%s: codeRetour %d", c->label, e->code_retour);
        cr_expect_eq(e->has_retry_after, c->retry_after_sec >= 0, "%s: has_retry_after", c->label);
        if (c->retry_after_sec >= 0)
                cr_expect_eq(e->retry_after_usec, (uint64_t) c->retry_after_sec * USEC_PER_SEC, "%s", c->label);
        cr_expect(e->message && e->message[0], "%s: no message", c->label);
        if (c->in_message)
                cr_expect(strstr(strempty(e->message), c->in_message), "%s: '%s' lacks '%s'", c->label,
                          strempty(e->message), c->in_message);
        if (c->libelle)
                cr_expect_str_eq(strempty(e->libelle), c->libelle, "%s", c->label);
        if (c->auth_detail)
                cr_expect_str_eq(strempty(e->auth_detail), c->auth_detail, "%s", c->label);
        cr_expect_eq(e->http_status, c->answer.curl_code ? 0 : c->answer.status, "%s: status", c->label);
        cr_expect_str_eq(strempty(e->operation), "op", "%s", c->label);
}

Test(chorus_error, classification_table) {
        for (size_t i = 0; i < ELEMENTSOF(answer_cases); i++) {
                const AnswerCase *c = &answer_cases[i];
                ChorusError e = {};
                cJSON *json = NULL;
                int r;

                r = chorus_answer_check(&c->answer, "op", NOW, &json, &e);
                cr_expect_null(json, "%s: JSON returned on failure", c->label);
                expect_error(c, r, &e);
                cr_expect_eq(chorus_error_to_errno(&e), r, "%s", c->label);
                chorus_error_done(&e);
        }
}

Test(chorus_error, usable_answers) {
        static const char *const bodies[] = {
                "{\"codeRetour\":0,\"libelle\":\"TRA_MSG_00.000\",\"numeroFluxDepot\":\"CPP1\"}",
                "{\"body\":\"L'API CPRO est actuellement disponible\",\"statusCode\":\"OK\"}", /* no codeRetour */
                "{\"codeRetour\":null,\"libelle\":null}",
                "{\"codeRetour\":\"0\"}",
        };

        for (size_t i = 0; i < ELEMENTSOF(bodies); i++) {
                ChorusHttpAnswer a = { .status = 200, .body = bodies[i], .body_size = strlen(bodies[i]), .url = URL };
                ChorusError e = { .message = strdup("left alone") };
                cJSON *json = NULL;

                cr_assert_eq(chorus_answer_check(&a, "op", NOW, &json, &e), 0, "%s", bodies[i]);
                cr_expect(cJSON_IsObject(json));
                cr_expect_str_eq(e.message, "left alone", "reterr touched on success");
                cJSON_Delete(json);
                chorus_error_done(&e);
        }
}

typedef struct TokenCase {
        const char *label;
        ChorusHttpAnswer answer;
        int r;
        const char *token;
        uint64_t lifetime_sec;
        ChorusErrorKind kind;
        bool temporary;
        const char *in_message;
        const char *auth_error;
} TokenCase;

static const TokenCase token_cases[] = {
        { "ok", HTTP(200, "{\"access_token\":\"tok-1\",\"token_type\":\"Bearer\",\"expires_in\":3600,\"scope\":\"openid\"}"),
          0, "tok-1", 3600, 0, false, NULL, NULL },
        { "no expires_in", HTTP(200, "{\"access_token\":\"tok-2\"}"), 0, "tok-2", 3600, 0, false, NULL, NULL },
        { "expires_in string", HTTP(200, "{\"access_token\":\"t3\",\"token_type\":\"bearer\",\"expires_in\":\"120\"}"),
          0, "t3", 120, 0, false, NULL, NULL },
        { "expires_in 0", HTTP(200, "{\"access_token\":\"t4\",\"expires_in\":0}"), 0, "t4", 1, 0, false, NULL, NULL },
        { "expires_in huge", HTTP(200, "{\"access_token\":\"t5\",\"expires_in\":99999999}"), 0, "t5", 86400, 0, false,
          NULL, NULL },
        { "no access_token", HTTP(200, "{\"token_type\":\"Bearer\"}"), -EREMOTEIO, NULL, 0, CHORUS_ERROR_RESPONSE,
          false, "no usable access_token", NULL },
        { "token with a space", HTTP(200, "{\"access_token\":\"a b\"}"), -EREMOTEIO, NULL, 0, CHORUS_ERROR_RESPONSE,
          false, NULL, NULL },
        { "not Bearer", HTTP(200, "{\"access_token\":\"t\",\"token_type\":\"MAC\"}"), -EREMOTEIO, NULL, 0,
          CHORUS_ERROR_RESPONSE, false, "not Bearer", NULL },
        { "invalid_client 400",
          HTTP(400, "{\"error\":\"invalid_client\",\"error_description\":\"Client authentication failed\"}"),
          -EREMOTEIO, NULL, 0, CHORUS_ERROR_TOKEN, false,
          "PISTE refused the client id/secret (invalid_client: Client authentication failed): check client_id and the piste-client-secret credential",
          "invalid_client" },
        { "invalid_client 401", HTTP(401, "{\"error\":\"invalid_client\"}"), -EREMOTEIO, NULL, 0, CHORUS_ERROR_TOKEN,
          false, "invalid_client", "invalid_client" },
        { "invalid_scope", HTTP(400, "{\"error\":\"invalid_scope\"}"), -EREMOTEIO, NULL, 0, CHORUS_ERROR_TOKEN, false,
          "refused the token request", "invalid_scope" },
        { "403 empty", HTTP(403, ""), -EREMOTEIO, NULL, 0, CHORUS_ERROR_TOKEN, false, "HTTP 403", NULL },
        { "503", HTTP(503, "", .retry_after = "3"), -EAGAIN, NULL, 0, CHORUS_ERROR_HTTP, true, "HTTP 503", NULL },
        { "500", HTTP(500, ""), -EAGAIN, NULL, 0, CHORUS_ERROR_HTTP, true, NULL, NULL },
        { "429", HTTP(429, ""), -EAGAIN, NULL, 0, CHORUS_ERROR_HTTP, true, NULL, NULL },
        { "timeout after sending", CURL_FAIL(CURLE_OPERATION_TIMEDOUT, true), -EAGAIN, NULL, 0, CHORUS_ERROR_TIMEOUT,
          true, NULL, NULL },
        { "TLS", CURL_FAIL(CURLE_PEER_FAILED_VERIFICATION, false), -EREMOTEIO, NULL, 0, CHORUS_ERROR_TLS, false,
          "ca_file", NULL },
};

Test(chorus_error, token_answers) {
        for (size_t i = 0; i < ELEMENTSOF(token_cases); i++) {
                const TokenCase *c = &token_cases[i];
                ChorusError e = {};
                uint64_t lifetime = 0;
                char *token = NULL;
                int r;

                r = chorus_token_answer_parse(&c->answer, NOW, &token, &lifetime, &e);
                cr_expect_eq(r, c->r, "%s: r=%d (%s)", c->label, r, strempty(e.message));
                if (c->r == 0) {
                        cr_expect_str_eq(strempty(token), c->token, "%s", c->label);
                        cr_expect_eq(lifetime, c->lifetime_sec * USEC_PER_SEC, "%s", c->label);
                        cr_expect_null(e.message, "%s", c->label);
                } else {
                        cr_expect_null(token, "%s", c->label);
                        cr_expect_eq(e.kind, c->kind, "%s: kind %s", c->label, chorus_error_kind_to_string(e.kind));
                        cr_expect_eq(e.temporary, c->temporary, "%s", c->label);
                        /* A failed token request never sent the API request. */
                        cr_expect(!e.maybe_processed, "%s", c->label);
                        cr_expect_str_eq(strempty(e.operation), "token", "%s", c->label);
                        if (c->in_message)
                                cr_expect(strstr(strempty(e.message), c->in_message), "%s: '%s'", c->label,
                                          strempty(e.message));
                        if (c->auth_error)
                                cr_expect_str_eq(strempty(e.auth_error), c->auth_error, "%s", c->label);
                }
                erase_and_free(token);
                chorus_error_done(&e);
        }
}

typedef struct WwwCase {
        const char *value;
        const char *error;
        const char *description;
} WwwCase;

Test(chorus_error, www_authenticate) {
        static const WwwCase cases[] = {
                { WWW_ACCOUNT, "Unauthorized", "login or password incorrects" },
                { "Bearer realm=\"PISTE\"", NULL, NULL },
                { "Bearer", NULL, NULL },
                { "", NULL, NULL },
                { "Bearer error=invalid_token, error_description=\"a \\\"quoted\\\" text\"", "invalid_token",
                  "a \"quoted\" text" },
                { "Bearer ERROR=\"x\",Error_Description=\"y\",error=\"ignored second\"", "x", "y" },
                { "Bearer realm=\"PISTE\",error_description=\"unterminated", NULL, "unterminated" },
                { "Bearer error=\"line\nbreak\"", "line break", NULL },
                /* U+009B, the one-character CSI of C1: a terminal control too. */
                { "Bearer error=\"csi\xC2\x9B" "31m\"", "csi  31m", NULL },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *error = NULL, *description = NULL;

                cr_assert_eq(chorus_www_authenticate_parse(cases[i].value, &error, &description), 0);
                cr_expect_str_eq(strempty(error), strempty(cases[i].error), "'%s'", cases[i].value);
                cr_expect_eq(!error, !cases[i].error, "'%s'", cases[i].value);
                cr_expect_str_eq(strempty(description), strempty(cases[i].description), "'%s'", cases[i].value);
                cr_expect_eq(!description, !cases[i].description, "'%s'", cases[i].value);
                free(error);
                free(description);
        }
}

Test(chorus_error, server_text_is_cut_between_characters) {
        char body[400], libelle[300];
        ChorusHttpAnswer a = { .status = 400, .url = URL };
        ChorusError e = {};
        cJSON *json = NULL;

        /* 299 bytes, then a 2-byte "é" across the 300-byte limit. */
        memset(libelle, 'a', 299);
        libelle[299] = '\0';
        snprintf(body, sizeof body, "{\"codeRetour\":1,\"libelle\":\"%s\xC3\xA9\"}", libelle);
        a.body = body;
        a.body_size = strlen(body);
        cr_assert_eq(chorus_answer_check(&a, "op", NOW, &json, &e), -EREMOTEIO);
        cr_expect_str_eq(strempty(e.libelle), libelle, "half a character kept");
        chorus_error_done(&e);
}

Test(chorus_error, copy_move_and_errno) {
        ChorusError a = { .kind = CHORUS_ERROR_BUSINESS, .libelle = strdup("L"), .auth_detail = strdup("D"),
                          .message = strdup("M"), .code_retour = 7, .has_code_retour = true };
        ChorusError b = {}, c = {};

        cr_assert_eq(chorus_error_copy(&b, &a), 0);
        cr_expect_str_eq(b.libelle, "L");
        cr_expect_neq(b.libelle, a.libelle);
        cr_expect_eq(b.code_retour, 7);
        chorus_error_move(&c, &b);
        cr_expect_null(b.message);
        cr_expect_str_eq(c.message, "M");
        cr_expect_eq(chorus_error_to_errno(&c), -EREMOTEIO);
        c.temporary = true;
        cr_expect_eq(chorus_error_to_errno(&c), -EAGAIN);
        cr_expect_eq(chorus_error_internal(&c, "op", -ENOMEM), -ENOMEM);
        cr_expect_eq(c.kind, CHORUS_ERROR_INTERNAL);
        cr_expect_null(c.libelle);
        for (int k = 0; k < _CHORUS_ERROR_KIND_MAX; k++)
                cr_expect_not_null(chorus_error_kind_to_string(k));
        chorus_error_done(&a);
        chorus_error_done(&c);
        chorus_error_done(NULL);
}
