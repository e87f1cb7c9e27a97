/* test_chorus_client.c — the Chorus Pro client over real HTTPS against the
 * project's emulator (scripts/with-emulator; tests/run-all starts it): every
 * operation's happy path, every injected fault with its classification and
 * retry behaviour (attempts counted on the emulator's side), the PISTE token
 * (sharing, expiry, refresh once), TLS (a wrong CA fails and never falls
 * back), the response size limit, concurrent calls and cancellation in one
 * sd-event loop, and chorusctl ping/structure, whose output must never
 * carry a secret.
 *
 * The emulator is reset at the start of every test (Criterion runs each
 * test in its own process). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "chorus/chorus_client.h"
#include "emulator.h"
#include "json_mutate.h"
#include "base/fileio.h"
#include "base/log.h"
#include "scratch.h"

#define TOKEN_PATH "/api/oauth/token"
#define BUYER_SIRET "20003478300015" /* tests/data/structures/01-cc-minervois-caroux.json */
#define BUYER_ID 26073617
#define UBL_FILE "tests/data/emulator/ubl-invoice.xml"
#define CII_FILE "tests/data/emulator/cii-invoice.xml"
#define FIXTURE_NUMBER "CMA34-2026-0001"
#define WRONG_CA "tests/data/chorus/wrong-ca.pem"

static Emulator *emu;
static ChorusConfig cfg;
static ChorusSecrets secrets;

/* Every retry the client scheduled, from the retry hook. */
typedef struct Retries {
        unsigned n;
        unsigned attempt[64];
        uint64_t delay[64];
        bool temporary[64];
} Retries;
static Retries retries;

static void on_retry(const ChorusError *e, unsigned attempt, uint64_t delay, void *userdata) {
        Retries *r = userdata;

        if (r->n < ELEMENTSOF(r->attempt)) {
                r->attempt[r->n] = attempt;
                r->delay[r->n] = delay;
                r->temporary[r->n] = e->temporary;
        }
        r->n++;
}

static void setup(void) {
        log_set_target(LOG_TARGET_STDERR);
        cr_assert_eq(emulator_from_env(&emu), 0, "run this test under scripts/with-emulator");
        cr_assert_eq(emulator_reset(emu), 0);
        cr_assert_eq(emulator_chorus_config(emu, &cfg), 0);
        cr_assert_eq(emulator_chorus_secrets(emu, &secrets), 0);
        retries = (Retries){};
}

static void teardown(void) {
        emulator_chorus_config_done(&cfg);
        chorus_secrets_done(&secrets);
        emu = emulator_free(emu);
}

TestSuite(chorus_client, .init = setup, .fini = teardown, .timeout = 60);

/* Fast backoff so that retried tests take well under a second per retry. */
static const RetryPolicy fast = { .base_usec = 50 * USEC_PER_MSEC, .cap_usec = 400 * USEC_PER_MSEC };

typedef struct ClientSpec {
        uint64_t deadline_usec;
        unsigned timeout_ms;
        uint64_t max_response_size;
        sd_event *event;
} ClientSpec;

static ChorusClient *client_new_with(const ChorusConfig *c, const ChorusSecrets *s, const ClientSpec *spec) {
        ChorusClientOptions o = {
                .config = c, .secrets = s, .event = spec->event, .retry_deadline_usec = spec->deadline_usec,
                .retry_policy = fast, .max_response_size = spec->max_response_size,
                .timeout_ms = spec->timeout_ms, .retry_hook = on_retry, .retry_hook_userdata = &retries,
        };
        ChorusClient *client = NULL;
        char *message = NULL;
        int r;

        r = chorus_client_new(&o, &client, &message);
        cr_assert_eq(r, 0, "chorus_client_new: %s", strempty(message));
        return client;
}

/* Retries allowed for 10 s, 3 s timeout. */
static ChorusClient *client_default(void) {
        return client_new_with(&cfg, &secrets, &(ClientSpec){ .deadline_usec = 10 * USEC_PER_SEC, .timeout_ms = 3000 });
}

/* One attempt only, as the daemon uses it. */
static ChorusClient *client_single(void) {
        return client_new_with(&cfg, &secrets, &(ClientSpec){ .timeout_ms = 3000 });
}

static int count(const char *prefix) {
        int n = emulator_count_requests(emu, prefix);
        cr_assert_geq(n, 0, "cannot read the emulator's requests");
        return n;
}

static void add_fault(EmulatorFault f) {
        cr_assert_eq(emulator_add_fault(emu, &f), 0);
}

static char *read_all(const char *path, size_t *ret_size) {
        char *data = NULL;
        size_t size = 0;

        cr_assert_eq(read_file_bounded(path, 1 << 20, &data, &size), 0, "cannot read %s", path);
        if (ret_size)
                *ret_size = size;
        return data;
}

/* The UBL fixture with its invoice number replaced. */
static char *ubl_numbered(const char *number, size_t *ret_size) {
        _cleanup_(freep) char *xml = read_all(UBL_FILE, NULL);
        char *at = strstr(xml, FIXTURE_NUMBER), *out = NULL;

        cr_assert_not_null(at);
        cr_assert(asprintf(&out, "%.*s%s%s", (int) (at - xml), xml, number, at + strlen(FIXTURE_NUMBER)) > 0);
        *ret_size = strlen(out);
        return out;
}

static char *unique_number(unsigned i) {
        char *n = NULL;
        cr_assert(asprintf(&n, "T%u-%ld-%u", (unsigned) getpid() % 100000, (long) time(NULL) % 100000, i) > 0);
        return n;
}

static void deposit_ok(ChorusClient *c, const char *data, size_t size, InvoiceFormat format, const char *name,
                       ChorusDepositResult *ret) {
        ChorusDepositRequest req = { .data = data, .size = size, .file_name = name, .format = format };
        ChorusError e = {};

        cr_assert_eq(chorus_deposit_sync(c, &req, ret, &e), 0, "deposit: %s", strempty(e.message));
        cr_assert_not_null(ret->numero_flux_depot);
}

static const cJSON *header(const cJSON *request, const char *name) {
        const cJSON *h, *headers = cJSON_GetObjectItem(request, "headers");

        cJSON_ArrayForEach(h, headers)
                if (strcasecmp(h->string, name) == 0)
                        return h;
        return NULL;
}

static char *cpro_account_value(void) {
        _cleanup_(freep) char *plain = NULL;
        char *b64;

        cr_assert(asprintf(&plain, "%s:%s", emu->tech_login, emu->tech_password) > 0);
        b64 = malloc(4 * (strlen(plain) + 2) / 3 + 4);
        EVP_EncodeBlock((unsigned char *) b64, (unsigned char *) plain, (int) strlen(plain));
        return b64;
}

static void expect_no_secret(const char *text, const char *where) {
        _cleanup_(freep) char *account = cpro_account_value();

        cr_expect_null(strstr(strempty(text), emu->client_secret), "%s shows the client secret", where);
        cr_expect_null(strstr(strempty(text), emu->tech_password), "%s shows the technical password", where);
        cr_expect_null(strstr(strempty(text), account), "%s shows the cpro-account value", where);
}

/* Every text of an error: message and what the server said. */
static void expect_error_without_secret(const ChorusError *e, const char *where) {
        expect_no_secret(e->message, where);
        expect_no_secret(e->libelle, where);
        expect_no_secret(e->auth_error, where);
        expect_no_secret(e->auth_detail, where);
}

/* ---- happy paths ---- */

Test(chorus_client, health_check_and_headers) {
        _cleanup_(chorus_client_freep) ChorusClient *c = client_default();
        cJSON *list = NULL, *req;
        ChorusHealth h = {};
        ChorusError e = {};

        cr_assert_eq(chorus_health_check_sync(c, &h, &e), 0, "%s", strempty(e.message));
        cr_expect_str_eq(h.message, "L'API CPRO est actuellement disponible et fonctionnel.");
        chorus_health_done(&h);
        cr_expect_eq(count(TOKEN_PATH), 1);
        cr_expect_eq(count(CHORUS_PATH_HEALTH_CHECK), 1);

        cr_assert_eq(emulator_requests(emu, CHORUS_PATH_HEALTH_CHECK, &list), 0);
        req = cJSON_GetArrayItem(list, 0);
        cr_expect_str_eq(cJSON_GetObjectItem(req, "method")->valuestring, "GET");
        cr_expect(cJSON_IsTrue(cJSON_GetObjectItem(req, "bearer_valid")), "Authorization: Bearer not accepted");
        cr_expect_str_eq(cJSON_GetObjectItem(req, "technical_login")->valuestring, emu->tech_login,
                         "cpro-account not accepted");
        cr_expect_str_eq(cJSON_GetStringValue(header(req, "Content-Type")), "application/json;charset=utf-8");
        cr_expect_not_null(header(req, "cpro-account"));
        cJSON_Delete(list);
}

Test(chorus_client, token_request_form_and_cache) {
        _cleanup_(chorus_client_freep) ChorusClient *c = client_default();
        cJSON *list = NULL, *body;
        ChorusHealth h = {};

        for (int i = 0; i < 3; i++) {
                cr_assert_eq(chorus_health_check_sync(c, &h, NULL), 0);
                chorus_health_done(&h);
        }
        cr_expect_eq(count(TOKEN_PATH), 1, "the token is cached");
        cr_assert_eq(emulator_requests(emu, TOKEN_PATH, &list), 0);
        body = cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0), "body");
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(body, "grant_type")), "client_credentials");
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(body, "client_id")), emu->client_id);
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(body, "scope")), "openid");
        cr_expect_not_null(cJSON_GetObjectItem(body, "client_secret"));
        cr_expect_str_eq(cJSON_GetStringValue(header(cJSON_GetArrayItem(list, 0), "Content-Type")),
                         "application/x-www-form-urlencoded");
        cJSON_Delete(list);
}

Test(chorus_client, token_refresh_explicit) {
        _cleanup_(chorus_client_freep) ChorusClient *c = client_default();
        ChorusTokenInfo t = {};

        cr_assert_eq(chorus_token_refresh_sync(c, &t, NULL), 0);
        cr_expect_eq(t.lifetime_usec, 3600 * USEC_PER_SEC);
        cr_assert_eq(chorus_token_refresh_sync(c, &t, NULL), 0);
        cr_expect_eq(count(TOKEN_PATH), 2, "refresh drops the cached token");
}

Test(chorus_client, deposit_report_search_history) {
        _cleanup_(chorus_client_freep) ChorusClient *c = client_default();
        _cleanup_(freep) char *number = unique_number(1), *xml = NULL;
        ChorusDepositResult d = {};
        ChorusFluxReport rep = {};
        ChorusInvoiceList l = {};
        ChorusInvoiceHistory h = {};
        ChorusError e = {};
        cJSON *fluxes = NULL, *flux;
        Date deposited;
        size_t size;

        xml = ubl_numbered(number, &size);
        deposit_ok(c, xml, size, INVOICE_FORMAT_UBL, "facture.xml", &d);
        cr_expect_eq(strlen(d.numero_flux_depot), 25, "CPP001 + 4 + 15 digits: %s", d.numero_flux_depot);
        cr_expect_eq(date_parse(strempty(d.date_depot), &deposited), 0, "dateDepot %s", strempty(d.date_depot));
        cr_expect_str_eq(d.syntaxe_flux, "IN_DP_E1_UBL_INVOICE");

        cr_assert_eq(emulator_fluxes(emu, &fluxes), 0);
        flux = cJSON_GetArrayItem(cJSON_IsArray(fluxes) ? fluxes : cJSON_GetObjectItem(fluxes, "fluxes"), 0);
        cr_assert_not_null(flux);
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(flux, "numeroFluxDepot")), d.numero_flux_depot);
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(flux, "nomFichier")), "facture.xml");
        cr_expect_eq(cJSON_GetObjectItem(flux, "size")->valuedouble, (double) size, "the file arrived whole");
        cJSON_Delete(fluxes);

        cr_assert_eq(chorus_flux_report_sync(c, d.numero_flux_depot, &rep, &e), 0, "%s", strempty(e.message));
        cr_expect_eq(rep.state, CHORUS_FLUX_PENDING);
        cr_expect(rep.state_known, "%s", rep.etat);
        chorus_flux_report_done(&rep);

        cr_assert_eq(emulator_advance_flux(emu, d.numero_flux_depot, NULL), 0);
        cr_assert_eq(chorus_flux_report_sync(c, d.numero_flux_depot, &rep, &e), 0);
        cr_expect_str_eq(rep.etat, "IN_INTEGRE");
        cr_expect_eq(rep.state, CHORUS_FLUX_INTEGRATED);
        chorus_flux_report_done(&rep);

        cr_assert_eq(chorus_invoice_search_sync(c, &(ChorusInvoiceSearch){ .numero_flux_depot = d.numero_flux_depot },
                                                &l, &e), 0, "%s", strempty(e.message));
        cr_assert_eq(l.n_items, 1);
        cr_expect_gt(l.items[0].identifiant_facture_cpp, INT64_C(4294967296), "ids above 2^32 survive");
        cr_expect_str_eq(l.items[0].numero_facture, number);
        cr_expect_str_eq(l.items[0].statut, "DEPOSEE");
        cr_expect(l.items[0].has_montant_ttc);
        cr_expect_eq(l.items[0].montant_ttc, 400000, "4000.00 EUR in cents");

        cr_assert_eq(emulator_set_invoice_status(emu, number, "MISE_A_DISPOSITION", "vu"), 0);
        cr_assert_eq(chorus_invoice_history_sync(c, l.items[0].identifiant_facture_cpp, &h, &e), 0, "%s",
                     strempty(e.message));
        cr_expect_str_eq(h.statut_courant, "MISE_A_DISPOSITION");
        cr_expect_eq(h.id_facture, l.items[0].identifiant_facture_cpp);
        cr_assert_geq(h.n_entries, 2);
        cr_expect_str_eq(h.entries[0].code, "DEPOSEE");
        chorus_invoice_history_done(&h);

        /* A status code nobody documented is kept as it is, never an error. */
        cr_assert_eq(emulator_set_invoice_status(emu, number, "STATUT_DU_FUTUR", NULL), 0);
        cr_assert_eq(chorus_invoice_history_sync(c, l.items[0].identifiant_facture_cpp, &h, &e), 0);
        cr_expect_str_eq(h.statut_courant, "STATUT_DU_FUTUR");
        cr_expect(!chorus_invoice_status_is_known(h.statut_courant));
        chorus_invoice_history_done(&h);

        /* Looking the invoice up by number and deposit window (the daemon's
         * check before depositing again). */
        chorus_invoice_list_done(&l);
        /* Chorus Pro (and the emulator) dates deposits in Paris time: from
         * 23:00 UTC its day is tomorrow. A day of margin, as the daemon. */
        Date d0 = date_add_days(date_from_time(time(NULL)), -1), d1 = date_add_days(d0, 2);
        cr_assert_eq(chorus_invoice_search_sync(c, &(ChorusInvoiceSearch){ .numero_facture = number,
                                                                           .deposited_from = &d0,
                                                                           .deposited_to = &d1 },
                                                &l, &e), 0);
        cr_expect_eq(l.n_items, 1);
        cr_expect_str_eq(l.items[0].numero_flux_depot, d.numero_flux_depot);
        chorus_invoice_list_done(&l);
        chorus_deposit_result_done(&d);
}

Test(chorus_client, deposit_cii) {
        _cleanup_(chorus_client_freep) ChorusClient *c = client_default();
        _cleanup_(freep) char *xml = NULL;
        ChorusDepositResult d = {};
        cJSON *fluxes = NULL, *flux;
        size_t size;

        xml = read_all(CII_FILE, &size);
        deposit_ok(c, xml, size, INVOICE_FORMAT_CII, "facture-cii.xml", &d);
        cr_expect_str_eq(d.syntaxe_flux, "IN_DP_E1_CII_16B");
        cr_assert_eq(emulator_fluxes(emu, &fluxes), 0);
        flux = cJSON_GetArrayItem(cJSON_IsArray(fluxes) ? fluxes : cJSON_GetObjectItem(fluxes, "fluxes"), 0);
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(flux, "syntaxeFlux")), "IN_DP_E1_CII_16B");
        cJSON_Delete(fluxes);
        chorus_deposit_result_done(&d);
}

Test(chorus_client, flux_rejections_keep_their_texts) {
        _cleanup_(chorus_client_freep) ChorusClient *c = client_default();
        _cleanup_(freep) char *number = unique_number(2), *xml = NULL, *unknown_buyer = NULL;
        const char *garbage = "<Invoice>not well formed";
        ChorusDepositResult d1 = {}, d2 = {};
        ChorusFluxReport rep = {};
        char *at;
        size_t size;

        /* An invoice to a buyer that has no service ECO: per-invoice error. */
        xml = ubl_numbered(number, &size);
        /* The fixture's commune that needs a service code and an EJ, and has
         * no service ECO. */
        cr_assert_not_null(strstr(xml, BUYER_SIRET));
        while ((at = strstr(xml, BUYER_SIRET)))
                memcpy(at, "21003401500011", 14);
        unknown_buyer = strdup(xml);
        deposit_ok(c, unknown_buyer, size, INVOICE_FORMAT_UBL, "f1.xml", &d1);
        cr_assert_eq(emulator_advance_flux(emu, d1.numero_flux_depot, NULL), 0);
        cr_assert_eq(chorus_flux_report_sync(c, d1.numero_flux_depot, &rep, NULL), 0);
        cr_expect(rep.state == CHORUS_FLUX_REJECTED || rep.state == CHORUS_FLUX_PARTIAL, "%s", rep.etat);
        cr_assert_geq(rep.n_invoice_errors, 1, "%s", rep.etat);
        cr_expect_str_eq(rep.invoice_errors[0].numero_facture, number);
        cr_expect_not_null(rep.invoice_errors[0].libelle);
        cr_expect(strstr(strempty(rep.invoice_errors[0].libelle), "21003401500011"), "%s",
                  strempty(rep.invoice_errors[0].libelle));
        chorus_flux_report_done(&rep);

        /* A file that is not even XML: technical error. */
        deposit_ok(c, garbage, strlen(garbage), INVOICE_FORMAT_UBL, "f2.xml", &d2);
        cr_assert_eq(emulator_advance_flux(emu, d2.numero_flux_depot, NULL), 0);
        cr_assert_eq(chorus_flux_report_sync(c, d2.numero_flux_depot, &rep, NULL), 0);
        cr_expect_eq(rep.state, CHORUS_FLUX_REJECTED, "%s", rep.etat);
        cr_assert_geq(rep.n_technical_errors, 1);
        cr_expect_not_null(rep.technical_errors[0].libelle);
        chorus_flux_report_done(&rep);
        chorus_deposit_result_done(&d1);
        chorus_deposit_result_done(&d2);
}

Test(chorus_client, search_walks_every_page) {
        _cleanup_(chorus_client_freep) ChorusClient *c = client_default();
        /* A day of margin each side: deposits are dated in Paris time. */
        Date from = date_add_days(date_from_time(time(NULL)), -1), to = date_add_days(from, 2);
        ChorusInvoiceList l = {};
        ChorusError e = {};

        for (unsigned i = 0; i < 3; i++) {
                _cleanup_(freep) char *number = unique_number(10 + i), *xml = NULL;
                ChorusDepositResult d = {};
                size_t size;

                xml = ubl_numbered(number, &size);
                deposit_ok(c, xml, size, INVOICE_FORMAT_UBL, "f.xml", &d);
                cr_assert_eq(emulator_advance_flux(emu, d.numero_flux_depot, NULL), 0);
                chorus_deposit_result_done(&d);
        }
        cr_assert_eq(chorus_invoice_search_sync(c, &(ChorusInvoiceSearch){ .deposited_from = &from,
                                                                           .deposited_to = &to,
                                                                           .page_size = 2 },
                                                &l, &e), 0, "%s", strempty(e.message));
        cr_expect_eq(l.n_items, 3, "all pages walked");
        cr_expect_eq(count(CHORUS_PATH_INVOICE_SEARCH), 2, "two pages of two");
        for (size_t i = 0; i < l.n_items; i++)
                for (size_t j = i + 1; j < l.n_items; j++)
                        cr_expect_neq(l.items[i].identifiant_facture_cpp, l.items[j].identifiant_facture_cpp);
        chorus_invoice_list_done(&l);
}

Test(chorus_client, search_refuses_a_page_it_did_not_ask_for) {
        _cleanup_(chorus_client_freep) ChorusClient *c = client_single();
        ChorusInvoiceSearch q = { .numero_facture = "CMA34-2026-0001" };
        ChorusInvoiceList l = {};
        ChorusError e = {};

        /* Asked for page 1, the server answers page 2 of 3: page 1 would be
         * skipped, and a lookup could miss the invoice it looks for. */
        add_fault(EMULATOR_FAULT(.route = CHORUS_PATH_INVOICE_SEARCH,
                                 .body_json = "{\"codeRetour\":0,\"libelle\":\"TRA_MSG_00.000\",\"listeFactures\":[],"
                                              "\"parametresRetour\":{\"pageCourante\":2,\"pages\":3,"
                                              "\"nbResultatsParPage\":100,\"total\":250}}"));
        cr_assert_eq(chorus_invoice_search_sync(c, &q, &l, &e), -EREMOTEIO, "%s", strempty(e.message));
        cr_expect_eq(e.kind, CHORUS_ERROR_RESPONSE);
        cr_expect(strstr(strempty(e.message), "page 2"), "%s", strempty(e.message));
        cr_expect_eq(l.n_items, 0);
        cr_expect_eq(count(CHORUS_PATH_INVOICE_SEARCH), 1, "no further page asked for");
        chorus_error_done(&e);

        /* A server stuck on page 1 that always says there are more. */
        add_fault(EMULATOR_FAULT(.route = CHORUS_PATH_INVOICE_SEARCH, .count = 5,
                                 .body_json = "{\"codeRetour\":0,\"listeFactures\":[],"
                                              "\"parametresRetour\":{\"pageCourante\":1,\"pages\":9}}"));
        cr_assert_eq(chorus_invoice_search_sync(c, &q, &l, &e), -EREMOTEIO, "%s", strempty(e.message));
        cr_expect(strstr(strempty(e.message), "asked for page 2"), "%s", strempty(e.message));
        cr_expect_eq(count(CHORUS_PATH_INVOICE_SEARCH), 3, "pages 1 and 2, then no more");
        chorus_error_done(&e);
}

Test(chorus_client, structures) {
        _cleanup_(chorus_client_freep) ChorusClient *c = client_default();
        ChorusStructureList l = {};
        ChorusStructure s = {};
        ChorusServiceList services = {};
        ChorusServiceDetail eco = {}, travaux = {};
        ChorusError e = {};
        int64_t id_eco = 0, id_travaux = 0;
        size_t invoiceable = 0;

        cr_assert_eq(chorus_structure_search_sync(c, BUYER_SIRET, &l, &e), 0, "%s", strempty(e.message));
        cr_assert_eq(l.n_items, 1);
        cr_expect_eq(l.items[0].id_structure_cpp, BUYER_ID);
        cr_expect_str_eq(l.items[0].statut, "ACTIVE");
        chorus_structure_list_done(&l);

        cr_assert_eq(chorus_structure_get_sync(c, BUYER_ID, &s, &e), 0, "%s", strempty(e.message));
        cr_expect_str_eq(s.raison_sociale, "Communauté de Communes du Minervois au Caroux");
        cr_expect_eq(chorus_structure_requirement(&s.params), CHORUS_REQUIRES_SERVICE);
        chorus_structure_done(&s);

        cr_assert_eq(chorus_service_search_sync(c, BUYER_ID, &services, &e), 0, "%s", strempty(e.message));
        cr_expect_eq(services.n_items, 4);
        for (size_t i = 0; i < services.n_items; i++) {
                invoiceable += chorus_service_is_invoiceable(&services.items[i]);
                if (streq(services.items[i].code, "ECO"))
                        id_eco = services.items[i].id_service;
                if (streq(services.items[i].code, "TRAVAUX"))
                        id_travaux = services.items[i].id_service;
        }
        cr_expect_eq(invoiceable, 2, "ECO and TRAVAUX; not FACTURES_PUBLIQUES, not the inactive one");
        chorus_service_list_done(&services);

        cr_assert_eq(chorus_service_get_sync(c, BUYER_ID, id_eco, &eco, &e), 0);
        cr_assert_eq(chorus_service_get_sync(c, BUYER_ID, id_travaux, &travaux, &e), 0);
        cr_expect(!eco.engagement_required);
        cr_expect(travaux.engagement_required);
        chorus_service_detail_done(&eco);
        chorus_service_detail_done(&travaux);

        /* An id above 2^31 goes out and comes back whole. */
        cr_assert_eq(chorus_structure_get_sync(c, INT64_C(3100000002), &s, &e), 0, "%s", strempty(e.message));
        cr_expect_eq(s.id_structure_cpp, INT64_C(3100000002));
        cr_expect_eq(chorus_structure_requirement(&s.params), CHORUS_REQUIRES_ENGAGEMENT);
        chorus_structure_done(&s);
}

/* ---- faults: classification and retries ---- */

typedef enum FaultOp {
        OP_HEALTH,
        OP_DEPOSIT,
} FaultOp;

typedef struct FaultCase {
        const char *label;
        FaultOp op;
        EmulatorFault fault;
        uint64_t deadline_ms;   /* 0 = one attempt */
        unsigned timeout_ms;    /* 0 = 3000 */
        int r;                  /* expected result */
        ChorusErrorKind kind;
        bool temporary;
        bool maybe_processed;
        int attempts;           /* requests the emulator saw on the route */
        int min_attempts;       /* when the count depends on timing: at least this (attempts = -1) */
        int code_retour;        /* -1 = none expected */
        const char *in_message;
        int fluxes;             /* fluxes the emulator recorded, for deposits; -1 = do not check */
        /* Requests libcurl sent again by itself on a new connection, the
         * reused one found dead: look-ups only, never a deposit (which has
         * a connection of its own). Not attempts of the retry logic. */
        int resent;
} FaultCase;

#define HEALTH CHORUS_PATH_HEALTH_CHECK
#define DEPOSIT CHORUS_PATH_DEPOSIT

/* Criterion runs each case in a new process: the parameter is an index into
 * this table, whose pointers are valid in every process. */
static const FaultCase fault_cases[] = {
        { "503 twice, then success", OP_HEALTH, EMULATOR_FAULT(.route = HEALTH, .count = 2, .status = 503),
          5000, 0, 0, 0, false, false, 3, 0, -1, NULL, -1, 0 },
        { "500 once, then success", OP_HEALTH, EMULATOR_FAULT(.route = HEALTH, .status = 500), 5000, 0, 0, 0,
          false, false, 2, 0, -1, NULL, -1, 0 },
        { "429 without Retry-After", OP_HEALTH, EMULATOR_FAULT(.route = HEALTH, .status = 429), 5000, 0, 0, 0,
          false, false, 2, 0, -1, NULL, -1, 0 },
        { "503 for good: retries until the deadline", OP_HEALTH,
          EMULATOR_FAULT(.route = HEALTH, .count = 1000, .status = 503), 1500, 0, -EAGAIN, CHORUS_ERROR_HTTP,
          true, true, -1, 3, -1, "gave up", -1, 0 },
        { "503 with one attempt", OP_HEALTH, EMULATOR_FAULT(.route = HEALTH, .status = 503), 0, 0, -EAGAIN,
          CHORUS_ERROR_HTTP, true, true, 1, 0, -1, "HTTP 503", -1, 0 },
        { "slow answer beyond the timeout, then success", OP_HEALTH,
          EMULATOR_FAULT(.route = HEALTH, .delay_ms = 2500), 5000, 1000, 0, 0, false, false, 2, 0, -1, NULL,
          -1, 0 },
        { "slow answer, one attempt", OP_HEALTH, EMULATOR_FAULT(.route = HEALTH, .delay_ms = 2500), 0, 1000,
          -EAGAIN, CHORUS_ERROR_TIMEOUT, true, true, 1, 0, -1, "timeout", -1, 0 },
        /* The health check reuses the token's connection: libcurl sends it
         * again on a new one when that connection drops (resent), the retry
         * logic sees the second drop. */
        { "connection dropped before the answer, then success", OP_HEALTH,
          EMULATOR_FAULT(.route = HEALTH, .count = 2, .drop = "before_body"), 5000, 0, 0, 0, false, false, 3, 0,
          -1, NULL, -1, 1 },
        { "connection dropped before the answer, one attempt", OP_HEALTH,
          EMULATOR_FAULT(.route = HEALTH, .count = 2, .drop = "before_body"), 0, 0, -EAGAIN, CHORUS_ERROR_NETWORK,
          true, true, 2, 0, -1, NULL, -1, 1 },
        { "200 with codeRetour", OP_HEALTH,
          EMULATOR_FAULT(.route = HEALTH, .status = 200, .has_code_retour = true, .code_retour = 20099,
                         .libelle = "Erreur métier simulée"),
          5000, 0, -EREMOTEIO, CHORUS_ERROR_BUSINESS, false, false, 1, 0, 20099, "Erreur métier simulée", -1, 0 },
        { "400 with codeRetour and libelle", OP_HEALTH,
          EMULATOR_FAULT(.route = HEALTH, .status = 400, .has_code_retour = true, .code_retour = 20000,
                         .libelle = "Le champ X est obligatoire"),
          5000, 0, -EREMOTEIO, CHORUS_ERROR_HTTP, false, false, 1, 0, 20000, "Le champ X est obligatoire", -1, 0 },
        { "415", OP_HEALTH, EMULATOR_FAULT(.route = HEALTH, .status = 415), 5000, 0, -EREMOTEIO,
          CHORUS_ERROR_HTTP, false, false, 1, 0, -1, "HTTP 415", -1, 0 },
        { "403", OP_HEALTH, EMULATOR_FAULT(.route = HEALTH, .status = 403), 5000, 0, -EREMOTEIO,
          CHORUS_ERROR_FORBIDDEN, false, false, 1, 0, -1, "not subscribed", -1, 0 },
        /* Deposits are never sent again blindly once they may have arrived. */
        { "deposit: answer lost after processing", OP_DEPOSIT,
          EMULATOR_FAULT(.route = DEPOSIT, .drop = "after_body"), 5000, 0, -EAGAIN, CHORUS_ERROR_NETWORK, true,
          true, 1, 0, -1, "may have been processed", 1, 0 },
        { "deposit: connection dropped before processing", OP_DEPOSIT,
          EMULATOR_FAULT(.route = DEPOSIT, .drop = "before_body"), 5000, 0, -EAGAIN, CHORUS_ERROR_NETWORK,
          true, true, 1, 0, -1, NULL, 0, 0 },
        { "deposit: 500", OP_DEPOSIT, EMULATOR_FAULT(.route = DEPOSIT, .status = 500), 5000, 0, -EAGAIN,
          CHORUS_ERROR_HTTP, true, true, 1, 0, -1, "HTTP 500", 0, 0 },
        { "deposit: slow answer", OP_DEPOSIT, EMULATOR_FAULT(.route = DEPOSIT, .delay_ms = 2500), 5000, 1000,
          -EAGAIN, CHORUS_ERROR_TIMEOUT, true, true, 1, 0, -1, "may have been processed", -1, 0 },
        { "deposit: 429 is retried (not processed)", OP_DEPOSIT,
          EMULATOR_FAULT(.route = DEPOSIT, .status = 429), 5000, 0, 0, 0, false, false, 2, 0, -1, NULL, 1, 0 },
        { "deposit: file too large (codeRetour 20001)", OP_DEPOSIT,
          EMULATOR_FAULT(.route = DEPOSIT, .status = 200, .has_code_retour = true, .code_retour = 20001,
                         .libelle = "GDP_MSG_11.022"),
          5000, 0, -EREMOTEIO, CHORUS_ERROR_BUSINESS, false, false, 1, 0, 20001, "GDP_MSG_11.022", 0, 0 },
        { "deposit: 202 accepted", OP_DEPOSIT,
          EMULATOR_FAULT(.route = DEPOSIT, .status = 202, .body_json = "{\"codeRetour\":0}"), 5000, 0, -EREMOTEIO,
          CHORUS_ERROR_RESPONSE, false, true, 1, 0, -1, "may have been processed", 0, 0 },
        /* libcurl refuses a header line over 100 KiB itself ("Out of memory"
         * in 7.88); chorusd refuses headers over 64 KiB in all. */
        { "200 kB response header", OP_HEALTH, EMULATOR_FAULT(.route = HEALTH, .header_bytes = 200000), 5000, 0,
          -EREMOTEIO, CHORUS_ERROR_TOO_LARGE, false, true, 1, 0, -1, "response headers over our limit of 64 KiB",
          -1, 0 },
        { "80 kB response header", OP_HEALTH, EMULATOR_FAULT(.route = HEALTH, .header_bytes = 80000), 5000, 0,
          -EREMOTEIO, CHORUS_ERROR_TOO_LARGE, false, true, 1, 0, -1, "response headers over our limit of 64 KiB",
          -1, 0 },
        { "deposit: 200 kB response header", OP_DEPOSIT, EMULATOR_FAULT(.route = DEPOSIT, .header_bytes = 200000),
          5000, 0, -EREMOTEIO, CHORUS_ERROR_TOO_LARGE, false, true, 1, 0, -1, "refused as malformed", 1, 0 },
        { "token endpoint 503 once", OP_HEALTH, EMULATOR_FAULT(.route = TOKEN_PATH, .status = 503), 5000, 0,
          0, 0, false, false, 1, 0, -1, NULL, -1, 0 },
};
ParameterizedTestParameters(chorus_client, faults) {
        static size_t indexes[ELEMENTSOF(fault_cases)];

        for (size_t i = 0; i < ELEMENTSOF(indexes); i++)
                indexes[i] = i;
        return cr_make_param_array(size_t, indexes, ELEMENTSOF(indexes));
}

static int run_fault_op(ChorusClient *c, FaultOp op, ChorusError *e) {
        _cleanup_(freep) char *number = NULL, *xml = NULL;
        ChorusDepositResult d = {};
        ChorusHealth h = {};
        size_t size;
        int r;

        if (op == OP_HEALTH) {
                r = chorus_health_check_sync(c, &h, e);
                chorus_health_done(&h);
                return r;
        }
        number = unique_number(99);
        xml = ubl_numbered(number, &size);
        r = chorus_deposit_sync(c, &(ChorusDepositRequest){ .data = xml, .size = size, .file_name = "f.xml",
                                                            .format = INVOICE_FORMAT_UBL },
                                &d, e);
        chorus_deposit_result_done(&d);
        return r;
}

static int count_fluxes(void) {
        cJSON *fluxes = NULL;
        int n;

        cr_assert_eq(emulator_fluxes(emu, &fluxes), 0);
        n = cJSON_GetArraySize(cJSON_IsArray(fluxes) ? fluxes : cJSON_GetObjectItem(fluxes, "fluxes"));
        cJSON_Delete(fluxes);
        return n;
}

ParameterizedTest(size_t *index, chorus_client, faults) {
        const FaultCase *fc = &fault_cases[*index];
        _cleanup_(chorus_client_freep) ChorusClient *c = NULL;
        const char *route = fc->op == OP_HEALTH ? HEALTH : DEPOSIT;
        ChorusError e = {};
        int r, seen;

        c = client_new_with(&cfg, &secrets, &(ClientSpec){ .deadline_usec = fc->deadline_ms * USEC_PER_MSEC,
                                                            .timeout_ms = fc->timeout_ms ? fc->timeout_ms : 3000 });
        add_fault(fc->fault);
        r = run_fault_op(c, fc->op, &e);
        cr_expect_eq(r, fc->r, "%s: r=%d (%s)", fc->label, r, strempty(e.message));
        seen = count(route);
        if (fc->attempts >= 0)
                cr_expect_eq(seen, fc->attempts, "%s: the emulator saw %d attempts", fc->label, seen);
        else
                cr_expect_geq(seen, fc->min_attempts, "%s: the emulator saw %d attempts", fc->label, seen);
        if (fc->fluxes >= 0)
                cr_expect_eq(count_fluxes(), fc->fluxes, "%s: fluxes recorded", fc->label);
        if (fc->r == 0) {
                cr_expect_eq(retries.n, (unsigned) (streq(fc->fault.route, TOKEN_PATH) ? 1 : seen - 1 - fc->resent),
                             "%s: retries scheduled", fc->label);
                return;
        }
        cr_expect_eq(e.kind, fc->kind, "%s: kind %s", fc->label, chorus_error_kind_to_string(e.kind));
        cr_expect_eq(e.temporary, fc->temporary, "%s: temporary", fc->label);
        cr_expect_eq(e.maybe_processed, fc->maybe_processed, "%s: maybe_processed", fc->label);
        cr_expect_eq(e.attempts, (unsigned) (seen - fc->resent), "%s: attempts %u, emulator saw %d", fc->label,
                     e.attempts, seen);
        cr_expect_eq(e.has_code_retour, fc->code_retour >= 0, "%s", fc->label);
        if (fc->code_retour >= 0)
                cr_expect_eq(e.code_retour, fc->code_retour, "%s", fc->label);
        if (fc->in_message)
                cr_expect(strstr(strempty(e.message), fc->in_message), "%s: '%s'", fc->label, strempty(e.message));
        if (!fc->temporary)
                cr_expect_eq(retries.n, 0, "%s: functional failures are not retried", fc->label);
        expect_error_without_secret(&e, fc->label);
        chorus_error_done(&e);
}

Test(chorus_client, retry_after_is_honoured) {
        _cleanup_(chorus_client_freep) ChorusClient *c = client_default();
        ChorusHealth h = {};
        ChorusError e = {};

        add_fault(EMULATOR_FAULT(.route = HEALTH, .status = 429, .retry_after = 1));
        cr_assert_eq(chorus_health_check_sync(c, &h, &e), 0, "%s", strempty(e.message));
        chorus_health_done(&h);
        cr_assert_eq(retries.n, 1);
        cr_expect_eq(retries.attempt[0], 2);
        /* The jitter's ceiling is 50 ms: Retry-After (1 s) wins. */
        cr_expect_eq(retries.delay[0], 1 * USEC_PER_SEC, "scheduled %" PRIu64 " µs", retries.delay[0]);
        cr_expect_eq(count(HEALTH), 2);

        /* 503 + Retry-After too. */
        retries = (Retries){};
        add_fault(EMULATOR_FAULT(.route = HEALTH, .status = 503, .retry_after = 1));
        cr_assert_eq(chorus_health_check_sync(c, &h, &e), 0);
        chorus_health_done(&h);
        cr_assert_eq(retries.n, 1);
        cr_expect_eq(retries.delay[0], 1 * USEC_PER_SEC);
}

Test(chorus_client, retry_after_beyond_the_deadline_gives_up_at_once) {
        _cleanup_(chorus_client_freep) ChorusClient *c = client_default(); /* deadline 10 s */
        ChorusHealth h = {};
        ChorusError e = {};

        add_fault(EMULATOR_FAULT(.route = HEALTH, .status = 429, .retry_after = 3600));
        cr_assert_eq(chorus_health_check_sync(c, &h, &e), -EAGAIN);
        cr_expect(e.temporary);
        cr_expect(e.has_retry_after);
        cr_expect_eq(e.retry_after_usec, 3600 * USEC_PER_SEC, "kept for the daemon's durable retry");
        cr_expect_eq(e.attempts, 1);
        cr_expect_eq(retries.n, 0, "no retry scheduled past the deadline");
        cr_expect(strstr(strempty(e.message), "not retried: waiting 3600 s would pass the retry deadline"), "%s",
                  strempty(e.message));
        cr_expect_eq(count(HEALTH), 1);
        chorus_error_done(&e);
}

Test(chorus_client, backoff_delays_stay_under_the_ceiling) {
        _cleanup_(chorus_client_freep) ChorusClient *c = client_default();
        ChorusHealth h = {};

        add_fault(EMULATOR_FAULT(.route = HEALTH, .count = 4, .status = 500));
        cr_assert_eq(chorus_health_check_sync(c, &h, NULL), 0);
        chorus_health_done(&h);
        cr_assert_eq(retries.n, 4);
        for (unsigned i = 0; i < retries.n; i++) {
                cr_expect_eq(retries.attempt[i], i + 2);
                cr_expect(retries.temporary[i]);
                cr_expect_leq(retries.delay[i], retry_ceiling(i, &fast), "retry %u: %" PRIu64, i, retries.delay[i]);
        }
        cr_expect_eq(count(HEALTH), 5);
}

/* ---- the PISTE token ---- */

Test(chorus_client, token_expired_mid_session_refreshes_once) {
        _cleanup_(chorus_client_freep) ChorusClient *c = client_single(); /* no retry: the refresh is not one */
        ChorusHealth h = {};
        ChorusError e = {};

        cr_assert_eq(chorus_health_check_sync(c, &h, &e), 0);
        chorus_health_done(&h);
        cr_assert_eq(emulator_expire_tokens(emu), 0);
        cr_assert_eq(chorus_health_check_sync(c, &h, &e), 0, "%s", strempty(e.message));
        chorus_health_done(&h);
        cr_expect_eq(count(TOKEN_PATH), 2, "one refresh");
        cr_expect_eq(count(HEALTH), 3, "one 401, then the same request again");
        cr_expect_eq(retries.n, 0);

        /* The fault form: this Bearer expires while the request is made. */
        add_fault(EMULATOR_FAULT(.route = HEALTH, .expire_token = true));
        cr_assert_eq(chorus_health_check_sync(c, &h, &e), 0, "%s", strempty(e.message));
        chorus_health_done(&h);
        cr_expect_eq(count(TOKEN_PATH), 3);
}

Test(chorus_client, token_renewed_before_expiry) {
        _cleanup_(chorus_client_freep) ChorusClient *c = NULL;
        ChorusHealth h = {};

        /* A 2 s token is renewed after 1 s (margin: half its life, as it is
         * shorter than 240 s). */
        cr_assert_eq(emulator_configure(emu, "{\"token_lifetime\": 2}"), 0);
        c = client_single();
        cr_assert_eq(chorus_health_check_sync(c, &h, NULL), 0);
        chorus_health_done(&h);
        cr_assert_eq(chorus_health_check_sync(c, &h, NULL), 0);
        chorus_health_done(&h);
        cr_expect_eq(count(TOKEN_PATH), 1);
        usleep(1100 * 1000);
        cr_assert_eq(chorus_health_check_sync(c, &h, NULL), 0);
        chorus_health_done(&h);
        cr_expect_eq(count(TOKEN_PATH), 2, "renewed ahead of expiry");
        cr_expect_eq(count(HEALTH), 3, "no 401 on the way");
}

Test(chorus_client, token_lifetime_counts_from_the_request) {
        _cleanup_(chorus_client_freep) ChorusClient *c = NULL;
        ChorusHealth h = {};

        /* A 4 s token (renewed 2 s into its life) whose answer takes 1.5 s:
         * 1 s after it arrived, 2.5 s of its life are gone. Counted from its
         * arrival, it would be kept until 3.5 s. */
        cr_assert_eq(emulator_configure(emu, "{\"token_lifetime\": 4}"), 0);
        add_fault(EMULATOR_FAULT(.route = TOKEN_PATH, .delay_ms = 1500));
        c = client_single();
        cr_assert_eq(chorus_health_check_sync(c, &h, NULL), 0);
        chorus_health_done(&h);
        cr_expect_eq(count(TOKEN_PATH), 1);
        usleep(1000 * 1000);
        cr_assert_eq(chorus_health_check_sync(c, &h, NULL), 0);
        chorus_health_done(&h);
        cr_expect_eq(count(TOKEN_PATH), 2, "renewed 2 s after it was asked for");
}

Test(chorus_client, wrong_technical_password) {
        ChorusSecrets bad = { .client_secret = credentials_secret_strdup(secrets.client_secret),
                             .cpro_password = credentials_secret_strdup("not-the-password") };
        _cleanup_(chorus_client_freep) ChorusClient *c = NULL;
        ChorusHealth h = {};
        ChorusError e = {};

        c = client_new_with(&cfg, &bad, &(ClientSpec){ .deadline_usec = 10 * USEC_PER_SEC, .timeout_ms = 3000 });
        cr_assert_eq(chorus_health_check_sync(c, &h, &e), -EREMOTEIO);
        cr_expect_eq(e.kind, CHORUS_ERROR_UNAUTHORIZED);
        cr_expect(!e.temporary);
        cr_expect_eq(e.http_status, 401);
        cr_expect_str_eq(strempty(e.auth_detail), "login or password incorrects");
        cr_expect(strstr(strempty(e.message), "technical account"), "%s", strempty(e.message));
        cr_expect(strstr(strempty(e.message), "login or password incorrects"), "%s", strempty(e.message));
        cr_expect_eq(count(TOKEN_PATH), 2, "exactly one refresh");
        cr_expect_eq(count(HEALTH), 2, "no retry loop");
        cr_expect_eq(retries.n, 0);
        expect_error_without_secret(&e, "wrong password");
        chorus_error_done(&e);
        chorus_secrets_done(&bad);
}

Test(chorus_client, wrong_client_secret) {
        ChorusSecrets bad = { .client_secret = credentials_secret_strdup("not-the-secret"),
                              .cpro_password = credentials_secret_strdup(secrets.cpro_password) };
        _cleanup_(chorus_client_freep) ChorusClient *c = NULL;
        ChorusHealth h = {};
        ChorusError e = {};

        c = client_new_with(&cfg, &bad, &(ClientSpec){ .deadline_usec = 10 * USEC_PER_SEC, .timeout_ms = 3000 });
        cr_assert_eq(chorus_health_check_sync(c, &h, &e), -EREMOTEIO);
        cr_expect_eq(e.kind, CHORUS_ERROR_TOKEN);
        cr_expect_str_eq(strempty(e.auth_error), "invalid_client");
        cr_expect(!e.maybe_processed);
        cr_expect(strstr(strempty(e.message), "PISTE refused the client id/secret (invalid_client"), "%s",
                  strempty(e.message));
        cr_expect_eq(count(TOKEN_PATH), 1);
        cr_expect_eq(count(HEALTH), 0, "nothing sent without a token");
        expect_error_without_secret(&e, "wrong client secret");
        chorus_error_done(&e);
        chorus_secrets_done(&bad);
}

Test(chorus_client, not_subscribed_api) {
        _cleanup_(chorus_client_freep) ChorusClient *c = client_default();
        ChorusInvoiceList l = {};
        ChorusHealth h = {};
        ChorusError e = {};

        cr_assert_eq(emulator_configure(emu, "{\"not_subscribed\": [\"/cpro/factures\"]}"), 0);
        cr_assert_eq(chorus_health_check_sync(c, &h, &e), 0);
        chorus_health_done(&h);
        cr_assert_eq(chorus_invoice_search_sync(c, &(ChorusInvoiceSearch){ .numero_facture = "X" }, &l, &e),
                     -EREMOTEIO);
        cr_expect_eq(e.kind, CHORUS_ERROR_FORBIDDEN);
        cr_expect_eq(e.http_status, 403);
        cr_expect_eq(count(CHORUS_PATH_INVOICE_SEARCH), 1);
        chorus_error_done(&e);
}

Test(chorus_client, unknown_path) {
        ChorusConfig c2 = cfg;
        _cleanup_(chorus_client_freep) ChorusClient *c = NULL;
        ChorusHealth h = {};
        ChorusError e = {};

        cr_assert(asprintf(&c2.api_url, "%s/wrong/prefix/", cfg.api_url) > 0);
        c = client_new_with(&c2, &secrets, &(ClientSpec){ .deadline_usec = 5 * USEC_PER_SEC });
        cr_assert_eq(chorus_health_check_sync(c, &h, &e), -EREMOTEIO);
        cr_expect_eq(e.http_status, 404);
        cr_expect(strstr(strempty(e.message), "api_url"));
        cr_expect(strstr(strempty(e.message), "/wrong/prefix/cpro/"), "trailing slash trimmed: %s", e.message);
        chorus_error_done(&e);
        free(c2.api_url);
}

/* ---- TLS ---- */

static void expect_tls_failure(char *ca_file) {
        ChorusConfig c2 = cfg;
        _cleanup_(chorus_client_freep) ChorusClient *c = NULL;
        ChorusHealth h = {};
        ChorusError e = {};

        c2.ca_file = ca_file;
        c = client_new_with(&c2, &secrets, &(ClientSpec){ .deadline_usec = 5 * USEC_PER_SEC });
        cr_assert_eq(chorus_health_check_sync(c, &h, &e), -EREMOTEIO, "%s", strempty(e.message));
        cr_expect_eq(e.kind, CHORUS_ERROR_TLS, "%s", chorus_error_kind_to_string(e.kind));
        cr_expect(!e.temporary);
        cr_expect(!e.maybe_processed);
        cr_expect(strstr(strempty(e.message), "TLS verification failed"), "%s", strempty(e.message));
        cr_expect(strstr(strempty(e.message), "ca_file"));
        cr_expect_eq(retries.n, 0);
        cr_expect_eq(count(NULL), 0, "no request ever reached the server");
        expect_error_without_secret(&e, "TLS");
        chorus_error_done(&e);
}

Test(chorus_client, wrong_ca_fails_and_never_falls_back) {
        char ca[] = WRONG_CA;
        expect_tls_failure(ca);
}

Test(chorus_client, system_cas_alone_do_not_trust_the_emulator) {
        expect_tls_failure(NULL);
}

/* The right CA, the right server, the wrong name: [::ffff:127.0.0.1] is
 * the emulator's address (IPv4-mapped), but its certificate names only
 * 127.0.0.1, ::1 and localhost. Host-name verification refuses it. */
Test(chorus_client, certificate_for_another_name_is_refused) {
        ChorusConfig c2 = cfg;
        _cleanup_(chorus_client_freep) ChorusClient *c = NULL;
        _cleanup_(freep) char *api = test_replace_first(cfg.api_url, "127.0.0.1", "[::ffff:127.0.0.1]");
        _cleanup_(freep) char *oauth = test_replace_first(cfg.oauth_url, "127.0.0.1", "[::ffff:127.0.0.1]");
        ChorusHealth h = {};
        ChorusError e = {};

        cr_assert(strstr(api, "[::ffff:127.0.0.1]") && strstr(oauth, "[::ffff:127.0.0.1]"));
        c2.api_url = api;
        c2.oauth_url = oauth;
        c = client_new_with(&c2, &secrets, &(ClientSpec){ .deadline_usec = 5 * USEC_PER_SEC });
        cr_assert_eq(chorus_health_check_sync(c, &h, &e), -EREMOTEIO, "%s", strempty(e.message));
        cr_expect_eq(e.kind, CHORUS_ERROR_TLS, "%s: %s", chorus_error_kind_to_string(e.kind), strempty(e.message));
        cr_expect(!e.temporary);
        cr_expect_eq(retries.n, 0);
        cr_expect_eq(count(NULL), 0, "no request ever reached the server");
        chorus_error_done(&e);
}

Test(chorus_client, bad_ca_file_is_refused_at_start) {
        static char missing[] = "tests/data/chorus/does-not-exist.pem", not_pem[] = "tests/data/chorus/not-a-ca.pem";
        char *const files[] = { missing, not_pem };

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                ChorusConfig c2 = cfg;
                ChorusClientOptions o = { .config = &c2, .secrets = &secrets };
                ChorusClient *c = NULL;
                char *message = NULL;

                c2.ca_file = files[i];
                cr_expect_lt(chorus_client_new(&o, &c, &message), 0, "%s", files[i]);
                cr_expect_null(c);
                cr_expect(strstr(strempty(message), files[i]), "%s", strempty(message));
                cr_expect(strstr(strempty(message), "ca_file"), "%s", strempty(message));
                free(message);
        }
}

/* ---- the trust store: built once per client, shared by its connections ----
 *
 * CHORUSD_TEST_SYSTEM_CA_FILE (TEST_HOOKS=1 builds) stands for the system
 * bundle, so that the emulator can be trusted "system-wide" or not at all. */

#define SYSTEM_BUNDLE "system-ca.pem"

static void require_test_hooks(void) {
#ifndef CHORUSD_TEST_HOOKS
        cr_skip_test("needs a build with TEST_HOOKS=1 (make check does)");
#endif
}

/* The stand-in system bundle dir/system-ca.pem now holds pem_file's certificates. */
static void system_bundle_write(const char *dir, const char *pem_file) {
        _cleanup_(freep) char *pem = read_all(pem_file, NULL);
        _cleanup_(freep) char *path = scratch_path(dir, SYSTEM_BUNDLE);

        scratch_write(dir, SYSTEM_BUNDLE, pem);
        cr_assert_eq(setenv("CHORUSD_TEST_SYSTEM_CA_FILE", path, 1), 0);
}

/* As in production: no ca_file, the system CAs only. */
static ChorusClient *client_system_cas(void) {
        ChorusConfig c2 = cfg;

        c2.ca_file = NULL;
        return client_new_with(&c2, &secrets, &(ClientSpec){ .timeout_ms = 3000 });
}

static int health(ChorusClient *c, ChorusError *e) {
        ChorusHealth h = {};
        int r = chorus_health_check_sync(c, &h, e);

        chorus_health_done(&h);
        return r;
}

static void expect_tls_error(int r, ChorusError *e) {
        cr_expect_eq(r, -EREMOTEIO, "%s", strempty(e->message));
        cr_expect_eq(e->kind, CHORUS_ERROR_TLS, "%s: %s", chorus_error_kind_to_string(e->kind), strempty(e->message));
        cr_expect(!e->temporary);
        chorus_error_done(e);
}

Test(chorus_client, system_bundle_is_read_once_per_client) {
        _cleanup_(chorus_client_freep) ChorusClient *c = NULL, *reloaded = NULL;
        char *dir = scratch_new();
        ChorusError e = {};
        int before;

        require_test_hooks();
        system_bundle_write(dir, emu->ca_file);
        c = client_system_cas();
        cr_assert_eq(health(c, &e), 0, "the system bundle alone is trusted: %s", strempty(e.message));

        /* The bundle changes: this client's connections keep the store it built. */
        system_bundle_write(dir, WRONG_CA);
        cr_expect_eq(health(c, &e), 0, "the bundle was read again: %s", strempty(e.message));
        chorus_error_done(&e);
        cr_expect_eq(count(CHORUS_PATH_HEALTH_CHECK), 2);

        /* A new client (a reload) reads it again. */
        before = count(NULL);
        reloaded = client_system_cas();
        expect_tls_error(health(reloaded, &e), &e);
        cr_expect_eq(count(NULL), before, "no request reached the server");
        scratch_remove(dir);
}

Test(chorus_client, system_bundle_is_read_again_once_old) {
        _cleanup_(chorus_client_freep) ChorusClient *c = NULL;
        _cleanup_(freep) char *bundle = NULL;
        char *dir = scratch_new();
        ChorusError e = {};

        require_test_hooks();
        cr_assert_eq(setenv("CHORUSD_TEST_CA_MAX_AGE_MS", "0", 1), 0);
        system_bundle_write(dir, emu->ca_file);
        c = client_system_cas();
        cr_assert_eq(health(c, &e), 0, "%s", strempty(e.message));

        /* Being replaced: a bundle that cannot be read keeps the store. */
        bundle = scratch_path(dir, SYSTEM_BUNDLE);
        cr_assert_eq(unlink(bundle), 0);
        cr_expect_eq(health(c, &e), 0, "%s", strempty(e.message));
        chorus_error_done(&e);

        /* Replaced, without the emulator's CA: no longer trusted. */
        system_bundle_write(dir, WRONG_CA);
        expect_tls_error(health(c, &e), &e);
        cr_expect_eq(count(CHORUS_PATH_HEALTH_CHECK), 2);
        scratch_remove(dir);
}

/* ---- connections: reused by look-ups, never by a deposit (issue 14) ----
 *
 * The emulator records on which connection each request came, and whether
 * that connection resumed a TLS session. */

static int request_connection(const cJSON *request) {
        const cJSON *id = cJSON_GetObjectItem(request, "connection");

        cr_assert(cJSON_IsNumber(id), "the emulator records connections");
        return id->valueint;
}

static void deposit_twice(ChorusClient *c) {
        _cleanup_(freep) char *xml = NULL;
        ChorusDepositResult d1 = {}, d2 = {};
        size_t size;

        xml = read_all(UBL_FILE, &size);
        deposit_ok(c, xml, size, INVOICE_FORMAT_UBL, "facture-1.xml", &d1);
        deposit_ok(c, xml, size, INVOICE_FORMAT_UBL, "facture-2.xml", &d2);
        chorus_deposit_result_done(&d1);
        chorus_deposit_result_done(&d2);
}

Test(chorus_client, lookups_reuse_connections_a_deposit_never) {
        _cleanup_(chorus_client_freep) ChorusClient *c = client_default();
        cJSON *requests = NULL, *r, *q;
        ChorusError e = {};
        int lookups = -1, deposits = 0;

        for (int i = 0; i < 3; i++)
                cr_assert_eq(health(c, &e), 0, "%s", strempty(e.message));
        deposit_twice(c);
        cr_assert_eq(health(c, &e), 0, "%s", strempty(e.message));

        cr_assert_eq(emulator_requests(emu, NULL, &requests), 0);
        cr_assert_eq(cJSON_GetArraySize(requests), 7, "token, 3 health checks, 2 deposits, 1 health check");
        cJSON_ArrayForEach(r, requests) {
                const char *path = cJSON_GetStringValue(cJSON_GetObjectItem(r, "path"));
                int id = request_connection(r);

                if (!streq(strempty(path), CHORUS_PATH_DEPOSIT)) {
                        /* The token and every health check: one connection. */
                        if (lookups < 0)
                                lookups = id;
                        cr_expect_eq(id, lookups, "%s came on connection %d, not %d", path, id, lookups);
                        continue;
                }
                deposits++;
                /* A deposit: a connection of its own, used by nothing else,
                 * whose TLS handshake resumed an earlier session. */
                cJSON_ArrayForEach(q, requests)
                        cr_expect(q == r || request_connection(q) != id, "deposit's connection %d reused", id);
                cr_expect(cJSON_IsTrue(cJSON_GetObjectItem(r, "tls_resumed")), "a deposit resumes a TLS session");
        }
        cr_expect_eq(deposits, 2);
        cJSON_Delete(requests);
}

/* A new trust store (once a day): no connection or TLS session verified with
 * the old one is used again. */
Test(chorus_client, new_trust_store_new_connections) {
        _cleanup_(chorus_client_freep) ChorusClient *c = NULL;
        char *dir = scratch_new();
        cJSON *requests = NULL, *r;
        ChorusError e = {};
        int ids[3], n = 0;

        require_test_hooks();
        cr_assert_eq(setenv("CHORUSD_TEST_CA_MAX_AGE_MS", "0", 1), 0);
        system_bundle_write(dir, emu->ca_file);
        c = client_system_cas();
        for (int i = 0; i < 3; i++)
                cr_assert_eq(health(c, &e), 0, "%s", strempty(e.message));
        cr_assert_eq(emulator_requests(emu, CHORUS_PATH_HEALTH_CHECK, &requests), 0);
        cJSON_ArrayForEach(r, requests) {
                cr_assert_lt(n, 3);
                ids[n++] = request_connection(r);
                cr_expect(!cJSON_IsTrue(cJSON_GetObjectItem(r, "tls_resumed")), "no session of an older store");
        }
        cr_expect_eq(n, 3);
        cr_expect(ids[0] != ids[1] && ids[1] != ids[2], "one connection per store: %d %d %d", ids[0], ids[1],
                  ids[2]);
        cJSON_Delete(requests);
        scratch_remove(dir);
}

Test(chorus_client, missing_system_bundle_fails_closed) {
        static const char missing[] = "tests/data/chorus/no-system-bundle.pem";
        _cleanup_(chorus_client_freep) ChorusClient *c = NULL;
        ChorusError e = {};

        require_test_hooks();
        /* Even with ca_file trusting the emulator, as libcurl did when it
         * loaded the bundle itself. */
        cr_assert_eq(setenv("CHORUSD_TEST_SYSTEM_CA_FILE", missing, 1), 0);
        c = client_single();
        cr_assert_eq(health(c, &e), -EREMOTEIO);
        cr_expect_eq(e.kind, CHORUS_ERROR_TLS, "%s", chorus_error_kind_to_string(e.kind));
        cr_expect(strstr(strempty(e.message), missing), "%s", strempty(e.message));
        cr_expect(strstr(strempty(e.message), "system CA certificates"), "%s", strempty(e.message));
        cr_expect_eq(count(NULL), 0, "no request ever reached the server");
        chorus_error_done(&e);
}

Test(chorus_client, only_https) {
        static char u1[] = "http://127.0.0.1:1", u2[] = "ftp://127.0.0.1", u3[] = "", u4[] = "https://";
        char *const urls[] = { u1, u2, u3, u4 };

        for (size_t i = 0; i < ELEMENTSOF(urls); i++) {
                ChorusConfig c2 = cfg;
                ChorusClientOptions o = { .config = &c2, .secrets = &secrets };
                ChorusClient *c = NULL;
                char *message = NULL;

                c2.api_url = urls[i];
                cr_expect_eq(chorus_client_new(&o, &c, &message), -EINVAL, "%s", urls[i]);
                cr_expect(strstr(strempty(message), "https://"), "%s", strempty(message));
                free(message);
        }
}

/* ---- size limit ---- */

Test(chorus_client, oversize_answer_is_cut) {
        _cleanup_(chorus_client_freep) ChorusClient *c = NULL;
        ChorusServiceList l = {};
        ChorusError e = {};

        /* The token answer (~150 bytes) fits; the services list (~1 KiB)
         * does not. */
        c = client_new_with(&cfg, &secrets,
                            &(ClientSpec){ .deadline_usec = 5 * USEC_PER_SEC, .max_response_size = 400 });
        cr_assert_eq(chorus_service_search_sync(c, BUYER_ID, &l, &e), -EREMOTEIO, "%s", strempty(e.message));
        cr_expect_eq(e.kind, CHORUS_ERROR_TOO_LARGE);
        cr_expect(!e.temporary);
        cr_expect(strstr(strempty(e.message), "maximum response size"));
        cr_expect_eq(count(CHORUS_PATH_SERVICE_SEARCH), 1, "not retried");
        chorus_error_done(&e);
}

/* ---- one event loop, several calls ---- */

typedef struct Done {
        unsigned n, failed, expected;
        sd_event *event;
} Done;

static void on_done(ChorusCall *call, int r, ChorusError *error, void *userdata) {
        Done *d = userdata;

        (void) call;
        cr_expect_eq(r, 0, "%s", error ? strempty(error->message) : "");
        d->n++;
        d->failed += r < 0;
        if (d->n == d->expected)
                sd_event_exit(d->event, 0);
}

static uint64_t mono_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

Test(chorus_client, concurrent_calls_share_one_token) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(chorus_client_freep) ChorusClient *c = NULL;
        ChorusHealth health[4] = {};
        ChorusStructureList structures[2] = {};
        ChorusServiceDetail service = {};
        ChorusStructure structure = {};
        Done d = { .expected = 8 };
        uint64_t start;

        cr_assert_geq(sd_event_new(&event), 0);
        d.event = event;
        c = client_new_with(&cfg, &secrets, &(ClientSpec){ .event = event, .timeout_ms = 5000 });
        /* Each API answer takes 700 ms: run one after the other, 8 calls
         * would take 5.6 s. */
        add_fault(EMULATOR_FAULT(.route = "/cpro/*", .count = 8, .delay_ms = 700));
        for (size_t i = 0; i < ELEMENTSOF(health); i++)
                cr_assert_eq(chorus_health_check(c, &health[i], on_done, &d, NULL), 0);
        for (size_t i = 0; i < ELEMENTSOF(structures); i++)
                cr_assert_eq(chorus_structure_search(c, BUYER_SIRET, &structures[i], on_done, &d, NULL), 0);
        cr_assert_eq(chorus_structure_get(c, BUYER_ID, &structure, on_done, &d, NULL), 0);
        cr_assert_eq(chorus_service_get(c, BUYER_ID, 10652003, &service, on_done, &d, NULL), 0);
        start = mono_usec();
        cr_assert_geq(sd_event_loop(event), 0);
        cr_expect_eq(d.n, 8);
        cr_expect_eq(d.failed, 0);
        cr_expect_lt(mono_usec() - start, 3 * USEC_PER_SEC, "the calls ran together");
        cr_expect_eq(count(TOKEN_PATH), 1, "one token request shared by all");
        cr_expect_eq(count("/cpro/"), 8);
        for (size_t i = 0; i < ELEMENTSOF(health); i++) {
                cr_expect_not_null(health[i].message);
                chorus_health_done(&health[i]);
        }
        for (size_t i = 0; i < ELEMENTSOF(structures); i++) {
                cr_expect_eq(structures[i].n_items, 1);
                chorus_structure_list_done(&structures[i]);
        }
        cr_expect(service.engagement_required);
        chorus_service_detail_done(&service);
        cr_expect_eq(structure.id_structure_cpp, BUYER_ID);
        chorus_structure_done(&structure);
}

static void on_never(ChorusCall *call, int r, ChorusError *error, void *userdata) {
        (void) call;
        (void) r;
        (void) error;
        (void) userdata;
        cr_assert_fail("a cancelled call's callback ran");
}

static int on_stop(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) s;
        (void) usec;
        *(bool *) userdata = true;
        return 0;
}

/* Runs the loop for a while (sd_event_exit() would end the loop for good). */
static void run_for(sd_event *event, uint64_t usec) {
        _cleanup_(sd_event_source_unrefp) sd_event_source *t = NULL;
        bool stop = false;

        cr_assert_geq(sd_event_add_time_relative(event, &t, CLOCK_MONOTONIC, usec, 0, on_stop, &stop), 0);
        while (!stop)
                cr_assert_geq(sd_event_run(event, UINT64_MAX), 0);
}

Test(chorus_client, cancellation) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        ChorusClient *c;
        ChorusHealth h1 = {}, h2 = {}, h3 = {};
        ChorusCall *in_flight = NULL, *retrying = NULL, *waiting_token = NULL;

        cr_assert_geq(sd_event_new(&event), 0);
        c = client_new_with(&cfg, &secrets,
                            &(ClientSpec){ .event = event, .deadline_usec = 30 * USEC_PER_SEC, .timeout_ms = 5000 });

        /* 1. A call whose answer is slow, cancelled while in flight. */
        add_fault(EMULATOR_FAULT(.route = HEALTH, .delay_ms = 3000));
        cr_assert_eq(chorus_health_check(c, &h1, on_never, NULL, &in_flight), 0);
        run_for(event, 700 * USEC_PER_MSEC);
        cr_expect_eq(count(HEALTH), 1, "the request is in flight");
        chorus_call_cancel(in_flight);
        cr_expect_null(h1.message, "a cancelled call leaves its result alone");

        /* 2. A call waiting for its retry (Retry-After 10 s), cancelled. */
        add_fault(EMULATOR_FAULT(.route = HEALTH, .status = 503, .retry_after = 10));
        cr_assert_eq(chorus_health_check(c, &h2, on_never, NULL, &retrying), 0);
        run_for(event, 500 * USEC_PER_MSEC);
        cr_expect_eq(retries.n, 1, "the retry is scheduled");
        chorus_call_cancel(retrying);

        /* 3. A call waiting for a token that is slow to come, cancelled; then
         * the client is freed with a call still in flight: no callback,
         * nothing leaks (ASan checks). */
        cr_assert_eq(emulator_expire_tokens(emu), 0);
        cr_assert_eq(chorus_token_refresh(c, &(ChorusTokenInfo){}, on_never, NULL, NULL), 0);
        add_fault(EMULATOR_FAULT(.route = TOKEN_PATH, .delay_ms = 3000));
        cr_assert_eq(chorus_health_check(c, &h3, on_never, NULL, &waiting_token), 0);
        run_for(event, 300 * USEC_PER_MSEC);
        chorus_call_cancel(waiting_token);
        chorus_call_cancel(NULL);
        c = chorus_client_free(c);
        cr_expect_null(h2.message);
        cr_expect_null(h3.message);
}

/* ---- secrets ---- */

Test(chorus_client, server_texts_are_scrubbed_of_secrets) {
        _cleanup_(chorus_client_freep) ChorusClient *c = client_single();
        _cleanup_(freep) char *libelle = NULL;
        ChorusHealth h = {};
        ChorusError e = {};

        /* A hostile or buggy server echoing our secrets back in a libelle. */
        cr_assert(asprintf(&libelle, "secret=%s password=%s", emu->client_secret, emu->tech_password) > 0);
        add_fault(EMULATOR_FAULT(.route = HEALTH, .status = 400, .has_code_retour = true, .code_retour = 1,
                                 .libelle = libelle));
        cr_assert_eq(chorus_health_check_sync(c, &h, &e), -EREMOTEIO);
        cr_expect(strstr(strempty(e.libelle), "secret=***"), "%s", strempty(e.libelle));
        expect_no_secret(e.libelle, "the libelle");
        expect_no_secret(e.message, "the message");
        chorus_error_done(&e);
}

Test(chorus_client, secret_cut_off_in_a_server_text_is_scrubbed) {
        _cleanup_(chorus_client_freep) ChorusClient *c = client_single();
        _cleanup_(freep) char *libelle = NULL, *start = NULL;
        ChorusHealth h = {};
        ChorusError e = {};

        /* A libelle is kept up to 300 bytes: the secret at byte 290 is cut,
         * and its first 10 bytes must not survive the cut. */
        cr_assert(asprintf(&libelle, "%290s%s", "padding", emu->client_secret) > 0);
        cr_assert(asprintf(&start, "%.10s", emu->client_secret) > 0);
        add_fault(EMULATOR_FAULT(.route = HEALTH, .status = 400, .has_code_retour = true, .code_retour = 1,
                                 .libelle = libelle));
        cr_assert_eq(chorus_health_check_sync(c, &h, &e), -EREMOTEIO);
        cr_expect(strstr(strempty(e.libelle), "padding"), "%s", strempty(e.libelle));
        cr_expect_null(strstr(strempty(e.libelle), start), "%s", strempty(e.libelle));
        cr_expect_null(strstr(strempty(e.message), start), "%s", strempty(e.message));
        chorus_error_done(&e);
}

/* What `f` writes to stderr with the log at debug level. */
static char *stderr_of(void (*f)(void *), void *userdata) {
        char *text;

        log_set_max_level(LOG_DEBUG);
        text = scratch_stderr_of(f, userdata);
        log_set_max_level(LOG_INFO);
        return text;
}

static void health_once(void *userdata) {
        ChorusError *e = userdata;
        _cleanup_(chorus_client_freep) ChorusClient *c = client_single();
        ChorusHealth h = {};

        cr_expect_eq(chorus_health_check_sync(c, &h, e), -EAGAIN);
        chorus_health_done(&h);
}

Test(chorus_client, token_failure_logged_without_secrets) {
        _cleanup_(freep) char *libelle = NULL, *log = NULL;
        ChorusError e = {};

        /* The token endpoint echoing our secrets in a 503 body: not even the
         * debug log may show them. */
        cr_assert(asprintf(&libelle, "secret=%s password=%s", emu->client_secret, emu->tech_password) > 0);
        add_fault(EMULATOR_FAULT(.route = TOKEN_PATH, .status = 503, .has_code_retour = true, .code_retour = 1,
                                 .libelle = libelle));
        log = stderr_of(health_once, &e);
        cr_expect(strstr(log, "PISTE token request failed"), "%s", log);
        cr_expect(strstr(log, "secret=***"), "%s", log);
        expect_no_secret(log, "the debug log");
        expect_error_without_secret(&e, "the error");
        chorus_error_done(&e);
}

Test(chorus_client, form_encoded_secret_is_scrubbed_too) {
        ChorusSecrets s = { .client_secret = credentials_secret_strdup("Sx+k/9q=Zz"),
                            .cpro_password = credentials_secret_strdup(secrets.cpro_password) };
        _cleanup_(chorus_client_freep) ChorusClient *c = NULL;
        ChorusTokenInfo t = {};
        ChorusError e = {};

        /* A gateway quoting the form body it refused: the secret as it was
         * sent, percent-encoded. */
        add_fault(EMULATOR_FAULT(.route = TOKEN_PATH, .status = 400,
                                 .body_json = "{\"error\":\"invalid_request\",\"error_description\":"
                                              "\"bad body: client_secret=Sx%2Bk%2F9q%3DZz&scope=openid\"}"));
        c = client_new_with(&cfg, &s, &(ClientSpec){ .timeout_ms = 3000 });
        cr_assert_eq(chorus_token_refresh_sync(c, &t, &e), -EREMOTEIO);
        cr_expect(strstr(strempty(e.auth_detail), "client_secret="), "%s", strempty(e.auth_detail));
        cr_expect_null(strstr(strempty(e.auth_detail), "Sx%2Bk%2F9q%3DZz"), "%s", strempty(e.auth_detail));
        cr_expect_null(strstr(strempty(e.message), "Sx%2Bk%2F9q%3DZz"), "%s", strempty(e.message));
        chorus_error_done(&e);
        chorus_secrets_done(&s);
}

/* ---- chorusctl ping and structure ---- */

static char *chorusctl_path(void) {
        char exe[PATH_MAX], *p = NULL;
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

        cr_assert_gt(n, 0);
        exe[n] = '\0';
        /* BUILD/tests/test_chorus_client → BUILD/chorusctl */
        cr_assert(asprintf(&p, "%s/chorusctl", dirname(dirname(exe))) > 0);
        cr_assert_eq(access(p, X_OK), 0, "%s is not built", p);
        return p;
}

typedef struct CtlRun {
        int status;
        char *output; /* stdout then stderr */
} CtlRun;

static CtlRun run_chorusctl_env(const char *env, const char *args) {
        _cleanup_(freep) char *ctl = chorusctl_path(), *cmd = NULL;
        CtlRun run = {};
        char buf[4096];
        size_t size = 0, n;
        FILE *f;
        int status;

        cr_assert(asprintf(&cmd, "%s '%s' %s 2>&1", strempty(env), ctl, args) > 0);
        f = popen(cmd, "re");
        cr_assert_not_null(f);
        while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
                run.output = realloc(run.output, size + n + 1);
                cr_assert_not_null(run.output);
                memcpy(run.output + size, buf, n);
                size += n;
                run.output[size] = '\0';
        }
        status = pclose(f);
        run.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
        if (!run.output)
                run.output = strdup("");
        return run;
}

static CtlRun run_chorusctl(const char *args) {
        return run_chorusctl_env(NULL, args);
}

static char *make_config(const EmulatorConfigOptions *o) {
        char *dir = NULL, *path = NULL;

        cr_assert(asprintf(&dir, "%s/ctl-%d", emu->dir, (int) getpid()) > 0);
        (void) mkdir(dir, 0700);
        cr_assert_eq(emulator_write_config(emu, dir, o, &path), 0);
        free(dir);
        return path;
}

static char *write_secret(const char *name, const char *value) {
        char *path = NULL;
        FILE *f;

        cr_assert(asprintf(&path, "%s/%s-%d", emu->dir, name, (int) getpid()) > 0);
        f = fopen(path, "we");
        cr_assert_not_null(f);
        fprintf(f, "%s\n", value);
        fclose(f);
        cr_assert_eq(chmod(path, 0600), 0);
        return path;
}

static CtlRun ctl(const char *command, const char *config, const char *extra) {
        _cleanup_(freep) char *args = NULL;

        cr_assert(asprintf(&args, "%s -c '%s' %s", command, config, strempty(extra)) > 0);
        return run_chorusctl(args);
}

static void expect_run(CtlRun *run, int status, const char *needle, const char *label) {
        cr_expect_eq(run->status, status, "%s: exit %d\n%s", label, run->status, run->output);
        if (needle)
                cr_expect(strstr(run->output, needle), "%s: no '%s' in\n%s", label, needle, run->output);
        expect_no_secret(run->output, label);
        free(run->output);
        run->output = NULL;
}

Test(chorus_client, chorusctl_ping) {
        _cleanup_(freep) char *conf = make_config(NULL), *args = NULL;
        CtlRun run = ctl("ping", conf, NULL);

        cr_expect(strstr(run.output, "PISTE token"), "%s", run.output);
        cr_expect(strstr(run.output, "Chorus Pro health-check"), "%s", run.output);
        cr_expect(strstr(run.output, "password expires on 2027-06-30"), "%s", run.output);
        cr_expect(strstr(run.output, "Factures API"), "%s", run.output);
        expect_run(&run, 0, "All checks passed", "ping");

        /* Debug logging (retries, token refreshes) shows no secret either. */
        add_fault(EMULATOR_FAULT(.route = HEALTH, .status = 401));
        add_fault(EMULATOR_FAULT(.route = "/cpro/structures/*", .status = 503));
        cr_assert(asprintf(&args, "ping -c '%s'", conf) > 0);
        run = run_chorusctl_env("CHORUSD_LOG_LEVEL=debug", args);
        cr_expect(strstr(run.output, "debug:"), "%s", run.output);
        expect_run(&run, 0, "All checks passed", "ping, debug log");
}

Test(chorus_client, tls_keys_are_never_logged) {
        _cleanup_(freep) char *conf = make_config(NULL), *keylog = NULL, *env = NULL, *args = NULL;
        struct stat st;
        CtlRun run;

        /* libcurl writes the TLS session keys to $SSLKEYLOGFILE: with them,
         * a capture of the traffic shows the client secret, the technical
         * password and every token. */
        cr_assert(asprintf(&keylog, "%s/keylog-%d", emu->dir, (int) getpid()) > 0);
        (void) unlink(keylog);
        cr_assert(asprintf(&env, "SSLKEYLOGFILE='%s'", keylog) > 0);
        cr_assert(asprintf(&args, "ping -c '%s'", conf) > 0);
        run = run_chorusctl_env(env, args);
        expect_run(&run, 0, "All checks passed", "ping with SSLKEYLOGFILE");
        cr_expect(stat(keylog, &st) < 0 || st.st_size == 0, "%s holds %jd bytes of TLS keys", keylog,
                  (intmax_t) st.st_size);
        (void) unlink(keylog);
}

Test(chorus_client, chorusctl_ping_diagnoses) {
        _cleanup_(freep) char *bad_password = write_secret("bad-password", "wrong-password");
        _cleanup_(freep) char *bad_secret = write_secret("bad-secret", "wrong-secret");
        _cleanup_(freep) char *wrong_ca = realpath(WRONG_CA, NULL);
        CtlRun run;
        char *conf;

        conf = make_config(&(EmulatorConfigOptions){ .cpro_password_file = bad_password });
        run = ctl("ping", conf, "--deadline 0");
        cr_expect(strstr(run.output, "Raccordement EDI/API"), "%s", run.output);
        expect_run(&run, 78, "Chorus Pro refused the technical account (login or password incorrects)",
                   "ping, wrong password");
        free(conf);

        conf = make_config(&(EmulatorConfigOptions){ .client_secret_file = bad_secret });
        run = ctl("ping", conf, "--deadline 0");
        expect_run(&run, 78, "check client_id and the piste-client-secret credential", "ping, wrong secret");
        free(conf);

        conf = make_config(&(EmulatorConfigOptions){ .ca_file = wrong_ca });
        run = ctl("ping", conf, NULL);
        expect_run(&run, 69, "TLS verification failed", "ping, wrong CA");
        free(conf);

        cr_assert_eq(emulator_configure(emu, "{\"not_subscribed\": [\"/cpro/factures\"]}"), 0);
        conf = make_config(NULL);
        run = ctl("ping", conf, NULL);
        expect_run(&run, 78, "not subscribed to this API", "ping, Factures not subscribed");

        cr_assert_eq(emulator_reset(emu), 0);
        add_fault(EMULATOR_FAULT(.route = HEALTH, .count = 2, .status = 503));
        run = ctl("ping", conf, NULL);
        cr_expect(strstr(run.output, "temporary failure"), "%s", run.output);
        expect_run(&run, 0, "All checks passed", "ping, 503 twice");

        /* Still unavailable at the deadline: EX_UNAVAILABLE; throttled: EX_TEMPFAIL. */
        cr_assert_eq(emulator_reset(emu), 0);
        add_fault(EMULATOR_FAULT(.route = HEALTH, .count = 1, .status = 503));
        run = ctl("ping", conf, "--deadline 0");
        expect_run(&run, 69, "Chorus Pro health-check", "ping, 503 at the deadline");
        cr_assert_eq(emulator_reset(emu), 0);
        add_fault(EMULATOR_FAULT(.route = HEALTH, .count = 1, .status = 429));
        run = ctl("ping", conf, "--deadline 0");
        expect_run(&run, 75, "Chorus Pro health-check", "ping, 429 at the deadline");
        free(conf);

        /* No secret where the configuration says: EX_CONFIG. */
        conf = make_config(&(EmulatorConfigOptions){ .client_secret_file = "/nonexistent/secret" });
        run = ctl("ping", conf, NULL);
        expect_run(&run, 78, "/nonexistent/secret", "ping, missing secret");
        free(conf);
}

Test(chorus_client, chorusctl_structure) {
        _cleanup_(freep) char *conf = make_config(NULL);
        CtlRun run;

        run = ctl("structure", conf, BUYER_SIRET);
        cr_expect(strstr(run.output, "Communauté de Communes du Minervois au Caroux"), "%s", run.output);
        cr_expect(strstr(run.output, "ACTIVE"), "%s", run.output);
        cr_expect(strstr(run.output, "Invoices require   a service code\n"), "%s", run.output);
        cr_expect(strstr(run.output, "ECO "), "%s", run.output);
        cr_expect(strstr(run.output, "TRAVAUX              required"), "%s", run.output);
        cr_expect_null(strstr(run.output, "  FACTURES_PUBLIQUES "), "%s", run.output);
        cr_expect_null(strstr(run.output, "ANCIEN-ECO"), "%s", run.output);
        expect_run(&run, 0, "Services: 2 active", "structure");

        run = ctl("structure", conf, "20034002600018");
        expect_run(&run, 0, "a service code or an engagement number", "structure, EJ or service");
        run = ctl("structure", conf, "20034003700015");
        expect_run(&run, 0, "not active", "structure, inactive");
        run = ctl("structure", conf, "12345678901234");
        expect_run(&run, 65, "not a valid SIRET", "structure, bad SIRET");
        run = ctl("structure", conf, "73282932000074"); /* valid Luhn, unknown to the emulator */
        expect_run(&run, 65, "no Chorus Pro structure", "structure, unknown SIRET");
        run = ctl("structure", conf, NULL);
        expect_run(&run, 64, "no SIRET given", "structure, no argument");
}

/* What Chorus Pro says is printed, but never a control character: an
 * escape sequence in a name or a message would drive the administrator's
 * terminal. */
Test(chorus_client, chorusctl_prints_no_control_character_from_the_server) {
        _cleanup_(freep) char *conf = make_config(NULL);
        CtlRun run;

        add_fault(EMULATOR_FAULT(.route = HEALTH, .count = 1,
                                 .body_json = "{\"statusCode\": \"OK\", \"body\": \"up\\u001b[2J\\u009b31m!\"}"));
        run = ctl("ping", conf, NULL);
        cr_expect(strstr(run.output, "up?[2J??31m!"), "%s", run.output); /* C1: both bytes */
        for (const char *c = run.output; *c; c++)
                cr_expect((unsigned char) *c >= 0x20 || *c == '\n', "control character 0x%02x in\n%s",
                          (unsigned char) *c, run.output);
        cr_expect_null(strstr(run.output, "\xc2\x9b"), "%s", run.output);
        expect_run(&run, 0, "All checks passed", "ping, hostile health-check text");
}

Test(chorus_client, chorusctl_help) {
        CtlRun run;

        run = run_chorusctl("ping --help");
        expect_run(&run, 0, "usage: chorusctl ping", "ping --help");
        run = run_chorusctl("structure --help");
        expect_run(&run, 0, "usage: chorusctl structure", "structure --help");
        run = run_chorusctl("ping --deadline soon");
        expect_run(&run, 64, "--deadline", "ping --deadline soon");
}
