/* emulator.c — the tests' helper for the Chorus Pro emulator (see
 * emulator.h). Blocking libcurl easy calls, TLS verified against the
 * emulator's CA. */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "emulator.h"
#include "base/macro.h"

#define EMULATOR_ANSWER_MAX (64 * 1024 * 1024)
#define SECRET_FILE_MAX 4096

static int read_secret_file(const char *path, char **ret) {
        _cleanup_(fclosep) FILE *f = fopen(path, "re");
        char buf[SECRET_FILE_MAX];
        size_t n;

        if (!f)
                return negative_errno();
        n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = '\0';
        if (n > 0 && buf[n - 1] == '\n')
                buf[--n] = '\0';
        *ret = strdup(buf);
        explicit_bzero(buf, sizeof buf);
        return *ret ? 0 : -ENOMEM;
}

static int env_dup(const char *name, char **ret) {
        const char *v = getenv(name);

        if (isempty(v))
                return -ENXIO;
        *ret = strdup(v);
        return *ret ? 0 : -ENOMEM;
}

int emulator_from_env(Emulator **ret) {
        Emulator *e = calloc(1, sizeof(Emulator));
        int r;

        if (!e)
                return -ENOMEM;
        r = env_dup("CHORUS_EMULATOR_URL", &e->url);
        if (r >= 0)
                r = env_dup("CHORUS_EMULATOR_CA", &e->ca_file);
        if (r >= 0)
                r = env_dup("CHORUS_EMULATOR_DIR", &e->dir);
        if (r >= 0)
                r = env_dup("CHORUS_EMULATOR_CONTROL_TOKEN", &e->control_token);
        if (r >= 0)
                r = env_dup("CHORUS_EMULATOR_CLIENT_ID", &e->client_id);
        if (r >= 0)
                r = env_dup("CHORUS_EMULATOR_CLIENT_SECRET_FILE", &e->client_secret_file);
        if (r >= 0)
                r = env_dup("CHORUS_EMULATOR_TECH_LOGIN", &e->tech_login);
        if (r >= 0)
                r = env_dup("CHORUS_EMULATOR_TECH_PASSWORD_FILE", &e->tech_password_file);
        if (r >= 0)
                r = env_dup("CHORUS_EMULATOR_SUPPLIER_SIRET", &e->supplier_siret);
        if (r >= 0)
                r = read_secret_file(e->client_secret_file, &e->client_secret);
        if (r >= 0)
                r = read_secret_file(e->tech_password_file, &e->tech_password);
        if (r < 0) {
                if (r == -ENXIO)
                        fprintf(stderr, "emulator: CHORUS_EMULATOR_* not set: run the tests under scripts/with-emulator\n");
                emulator_free(e);
                return r;
        }
        *ret = e;
        return 0;
}

Emulator *emulator_free(Emulator *e) {
        if (!e)
                return NULL;
        free(e->url);
        free(e->ca_file);
        free(e->dir);
        free(e->control_token);
        free(e->client_id);
        free(e->client_secret_file);
        erase_and_free(e->client_secret);
        free(e->tech_login);
        free(e->tech_password_file);
        erase_and_free(e->tech_password);
        free(e->supplier_siret);
        free(e);
        return NULL;
}

/* ---- requests ---- */

typedef struct Answer {
        char *data;
        size_t size;
} Answer;

static size_t on_write(char *data, size_t size, size_t n, void *userdata) {
        Answer *a = userdata;
        size_t len = size * n;
        char *p;

        if (a->size + len > EMULATOR_ANSWER_MAX)
                return 0;
        p = realloc(a->data, a->size + len + 1);
        if (!p)
                return 0;
        memcpy(p + a->size, data, len);
        a->data = p;
        a->size += len;
        a->data[a->size] = '\0';
        return len;
}

static struct curl_slist *control_headers(Emulator *e) {
        _cleanup_(freep) char *token = NULL;
        struct curl_slist *l = NULL, *n;

        if (asprintf(&token, "X-Emulator-Token: %s", e->control_token) < 0)
                return NULL;
        l = curl_slist_append(NULL, "Content-Type: application/json");
        n = l ? curl_slist_append(l, token) : NULL;
        if (!n)
                curl_slist_free_all(l);
        return n;
}

static int perform(Emulator *e, const char *method, const char *url, const char *json, long *ret_status,
                   Answer *answer) {
        struct curl_slist *headers = control_headers(e);
        CURL *c = curl_easy_init();
        CURLcode code;
        int r = 0;

        if (!headers || !c) {
                curl_slist_free_all(headers);
                curl_easy_cleanup(c);
                return -ENOMEM;
        }
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_CAINFO, e->ca_file);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, answer);
        if (json)
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
        code = curl_easy_perform(c);
        if (code != CURLE_OK) {
                fprintf(stderr, "emulator: %s %s: %s\n", method, url, curl_easy_strerror(code));
                r = -EIO;
        } else
                curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, ret_status);
        curl_slist_free_all(headers);
        curl_easy_cleanup(c);
        return r;
}

int emulator_request(Emulator *e, const char *method, const char *path, const char *json, long *ret_status,
                     cJSON **ret_json) {
        _cleanup_(freep) char *url = NULL;
        Answer answer = {};
        long status = 0;
        int r;

        if (asprintf(&url, "%s%s", e->url, path) < 0)
                return -ENOMEM;
        r = perform(e, method, url, json, &status, &answer);
        if (r >= 0) {
                if (ret_status)
                        *ret_status = status;
                if (ret_json)
                        *ret_json = answer.data ? cJSON_ParseWithLength(answer.data, answer.size) : NULL;
        }
        free(answer.data);
        return r;
}

/* A control call that must answer 200; the JSON answer is optional. */
static int control(Emulator *e, const char *method, const char *path, const char *json, cJSON **ret_json) {
        cJSON *answer = NULL;
        long status = 0;
        int r;

        r = emulator_request(e, method, path, json, &status, &answer);
        if (r < 0)
                return r;
        if (status != 200) {
                char *text = answer ? cJSON_PrintUnformatted(answer) : NULL;
                fprintf(stderr, "emulator: %s %s answered %ld: %s\n", method, path, status, strempty(text));
                free(text);
                cJSON_Delete(answer);
                return -EPROTO;
        }
        if (ret_json)
                *ret_json = answer;
        else
                cJSON_Delete(answer);
        return 0;
}

/* Sends a cJSON object (consumed) as the body of a control call. */
static int control_object(Emulator *e, const char *path, cJSON *body, cJSON **ret_json) {
        char *text;
        int r;

        if (!body)
                return -ENOMEM;
        text = cJSON_PrintUnformatted(body);
        cJSON_Delete(body);
        if (!text)
                return -ENOMEM;
        r = control(e, "POST", path, text, ret_json);
        free(text);
        return r;
}

int emulator_reset(Emulator *e) {
        return control(e, "POST", "/_emulator/reset", "{}", NULL);
}

int emulator_configure(Emulator *e, const char *json) {
        return control(e, "POST", "/_emulator/config", json, NULL);
}

int emulator_add_fault(Emulator *e, const EmulatorFault *f) {
        cJSON *o = cJSON_CreateObject();

        if (!o)
                return -ENOMEM;
        cJSON_AddStringToObject(o, "route", f->route);
        cJSON_AddNumberToObject(o, "count", f->count ? f->count : 1);
        if (f->status)
                cJSON_AddNumberToObject(o, "status", f->status);
        if (f->retry_after > 0)
                cJSON_AddNumberToObject(o, "retry_after", f->retry_after);
        if (f->delay_ms)
                cJSON_AddNumberToObject(o, "delay", f->delay_ms / 1000.0);
        if (f->drop)
                cJSON_AddStringToObject(o, "drop", f->drop);
        if (f->has_code_retour)
                cJSON_AddNumberToObject(o, "code_retour", f->code_retour);
        if (f->libelle)
                cJSON_AddStringToObject(o, "libelle", f->libelle);
        if (f->body_json) {
                cJSON *body = cJSON_Parse(f->body_json);
                if (!body) {
                        cJSON_Delete(o);
                        return -EINVAL;
                }
                cJSON_AddItemToObject(o, "body", body);
        }
        if (f->expire_token)
                cJSON_AddTrueToObject(o, "expire_token");
        if (f->header_bytes)
                cJSON_AddNumberToObject(o, "header_bytes", f->header_bytes);
        return control_object(e, "/_emulator/faults", o, NULL);
}

int emulator_clear_faults(Emulator *e) {
        return control(e, "DELETE", "/_emulator/faults", NULL, NULL);
}

int emulator_expire_tokens(Emulator *e) {
        return control(e, "POST", "/_emulator/expire-tokens", "{}", NULL);
}

int emulator_requests(Emulator *e, const char *path_prefix, cJSON **ret) {
        _cleanup_(freep) char *path = NULL;
        int r;

        if (asprintf(&path, "/_emulator/requests%s%s", path_prefix ? "?path=" : "", strempty(path_prefix)) < 0)
                return -ENOMEM;
        r = control(e, "GET", path, NULL, ret);
        if (r >= 0 && !cJSON_IsArray(*ret)) {
                /* An object wrapping the list is accepted too. */
                cJSON *list = cJSON_DetachItemFromObjectCaseSensitive(*ret, "requests");
                cJSON_Delete(*ret);
                *ret = list;
                if (!cJSON_IsArray(list))
                        return -EPROTO;
        }
        return r;
}

int emulator_count_requests(Emulator *e, const char *path_prefix) {
        cJSON *list = NULL;
        int r;

        r = emulator_requests(e, path_prefix, &list);
        if (r < 0)
                return r;
        r = cJSON_GetArraySize(list);
        cJSON_Delete(list);
        return r;
}

int emulator_fluxes(Emulator *e, cJSON **ret) {
        return control(e, "GET", "/_emulator/fluxes", NULL, ret);
}

int emulator_invoices(Emulator *e, const char *numero_facture, cJSON **ret) {
        _cleanup_(freep) char *path = NULL;

        if (asprintf(&path, "/_emulator/invoices?numeroFacture=%s", numero_facture) < 0)
                return -ENOMEM;
        return control(e, "GET", path, NULL, ret);
}

int emulator_advance_flux(Emulator *e, const char *numero_flux_depot, const char *to) {
        cJSON *o = cJSON_CreateObject();

        if (o && numero_flux_depot)
                cJSON_AddStringToObject(o, "numeroFluxDepot", numero_flux_depot);
        if (o && to)
                cJSON_AddStringToObject(o, "to", to);
        return control_object(e, "/_emulator/flux/advance", o, NULL);
}

int emulator_set_invoice_status(Emulator *e, const char *numero_facture, const char *statut,
                                const char *commentaire) {
        cJSON *o = cJSON_CreateObject();

        if (o) {
                cJSON_AddStringToObject(o, "numeroFacture", numero_facture);
                cJSON_AddStringToObject(o, "statut", statut);
                if (commentaire)
                        cJSON_AddStringToObject(o, "commentaire", commentaire);
        }
        return control_object(e, "/_emulator/invoice/status", o, NULL);
}

/* ---- configurations ---- */

int emulator_chorus_config(Emulator *e, ChorusConfig *ret) {
        ChorusConfig c = {
                .environment = CHORUS_ENVIRONMENT_CUSTOM,
                .api_url = strdup(e->url),
                .ca_file = strdup(e->ca_file),
                .client_id = strdup(e->client_id),
                .technical_login = strdup(e->tech_login),
                .client_secret_file = strdup(e->client_secret_file),
                .cpro_password_file = strdup(e->tech_password_file),
                .connect_timeout = 5,
                .timeout = 5,
                .retry_deadline = 60,
                .poll_interval = 60,
                .lifecycle_poll_interval = 21600,
        };

        if (asprintf(&c.oauth_url, "%s/api/oauth/token", e->url) < 0)
                c.oauth_url = NULL;
        if (!c.api_url || !c.oauth_url || !c.ca_file || !c.client_id || !c.technical_login ||
            !c.client_secret_file || !c.cpro_password_file) {
                emulator_chorus_config_done(&c);
                return -ENOMEM;
        }
        *ret = c;
        return 0;
}

void emulator_chorus_config_done(ChorusConfig *c) {
        free(c->api_url);
        free(c->oauth_url);
        free(c->ca_file);
        free(c->client_id);
        free(c->technical_login);
        free(c->client_secret_file);
        free(c->cpro_password_file);
        *c = (ChorusConfig){};
}

int emulator_chorus_secrets(Emulator *e, ChorusSecrets *ret) {
        ChorusSecrets s = { .client_secret = credentials_secret_strdup(e->client_secret),
                           .cpro_password = credentials_secret_strdup(e->tech_password) };

        if (!s.client_secret || !s.cpro_password) {
                chorus_secrets_done(&s);
                return -ENOMEM;
        }
        *ret = s;
        return 0;
}

static int make_dir(const char *dir, const char *name) {
        _cleanup_(freep) char *p = NULL;

        if (asprintf(&p, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        if (mkdir(p, 0700) < 0 && errno != EEXIST)
                return negative_errno();
        return 0;
}

#define FOREACH_SUBDIR_MAKE(dir, r, ...)                                        \
        do {                                                                    \
                const char *_names[] = { __VA_ARGS__ };                         \
                r = 0;                                                          \
                for (size_t _i = 0; r >= 0 && _i < ELEMENTSOF(_names); _i++)    \
                        r = make_dir((dir), _names[_i]);                        \
        } while (0)

static void write_chorus_section(Emulator *e, FILE *f, const EmulatorConfigOptions *o) {
        const char *ca = o->ca_file ? o->ca_file : e->ca_file;

        fprintf(f, "[chorus]\nenvironment = custom\napi_url = %s\noauth_url = %s/api/oauth/token\n", e->url,
                e->url);
        if (!isempty(ca))
                fprintf(f, "ca_file = %s\n", ca);
        fprintf(f, "client_id = %s\ntechnical_login = %s\nclient_secret_file = %s\ncpro_password_file = %s\n",
                o->client_id ? o->client_id : e->client_id, e->tech_login,
                o->client_secret_file ? o->client_secret_file : e->client_secret_file,
                o->cpro_password_file ? o->cpro_password_file : e->tech_password_file);
        fputs(strempty(o->chorus_extra), f);
}

int emulator_write_config(Emulator *e, const char *dir, const EmulatorConfigOptions *o, char **ret_path) {
        const EmulatorConfigOptions none = {};
        _cleanup_(freep) char *path = NULL;
        FILE *f;
        int r;

        if (!o)
                o = &none;
        FOREACH_SUBDIR_MAKE(dir, r, "spool", "state", "conventions");
        if (r < 0)
                return r;
        if (asprintf(&path, "%s/chorusd.conf", dir) < 0)
                return -ENOMEM;
        f = fopen(path, "we");
        if (!f)
                return negative_errno();
        fprintf(f,
                "[seller]\nname = CMA test\nsiret = %s\nstreet = 1 rue du Test\npostcode = 34000\n"
                "city = Montpellier\ncountry = FR\nemail = test@example.org\n"
                "iban = FR7630001007941234567890185\n\n"
                "[invoice]\nnumber_prefix = TEST-\n\n"
                "[spool]\ndir = %s/spool\n\n[state]\ndir = %s/state\n\n[conventions]\ndir = %s/conventions\n\n",
                e->supplier_siret, dir, dir, dir);
        write_chorus_section(e, f, o);
        if (fclose(f) != 0)
                return negative_errno();
        *ret_path = TAKE_PTR(path);
        return 0;
}
