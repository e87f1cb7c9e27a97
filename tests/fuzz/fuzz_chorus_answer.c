/* fuzz_chorus_answer — an answer of the Chorus Pro API: chorus_answer_check()
 * (HTTP status, JSON, codeRetour, libelle) and then every answer parser of
 * chorus_api.c on the JSON it accepts: health-check, deposer/flux,
 * consulterCRDetaille (flux report), rechercher/fournisseur (invoice search
 * pages), consulterHistorique (history pages), structure search, structure
 * consultation, service search and service consultation.
 *
 * The input is the body. It is checked as a 200 answer, and as the error
 * answers whose body chorus_error.c reads too (400, 500, 503). */
#include <cjson/cJSON.h>

#include "chorus/chorus_api.h"
#include "chorus/chorus_error.h"
#include "fuzz.h"

#define NOW ((time_t) 1796083200) /* 2026-12-01 */

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        fuzz_quiet_log();
        return 0;
}

static void take_message(char **m) {
        free(*m);
        *m = NULL;
}

static void parse_all(const cJSON *json) {
        char *m = NULL;
        ChorusPage page;
        {
                ChorusHealth h = {};
                if (chorus_parse_health(json, &h, &m) >= 0)
                        chorus_health_done(&h);
                take_message(&m);
        }
        {
                ChorusDepositResult d = {};
                if (chorus_parse_deposit(json, &d, &m) >= 0)
                        chorus_deposit_result_done(&d);
                take_message(&m);
        }
        {
                ChorusFluxReport r = {};
                if (chorus_parse_flux_report(json, &r, &m) >= 0)
                        chorus_flux_report_done(&r);
                take_message(&m);
        }
        /* Paged answers accumulate: parse each twice into one list. */
        {
                ChorusInvoiceList l = {};
                for (int i = 0; i < 2; i++) {
                        (void) chorus_parse_invoice_search_page(json, &l, &page, &m);
                        take_message(&m);
                }
                chorus_invoice_list_done(&l);
        }
        {
                ChorusInvoiceHistory h = {};
                for (int i = 0; i < 2; i++) {
                        (void) chorus_parse_invoice_history_page(json, &h, &page, &m);
                        take_message(&m);
                }
                chorus_invoice_history_done(&h);
        }
        {
                ChorusStructureList l = {};
                for (int i = 0; i < 2; i++) {
                        (void) chorus_parse_structure_search_page(json, &l, &page, &m);
                        take_message(&m);
                }
                chorus_structure_list_done(&l);
        }
        {
                ChorusStructure s = {};
                if (chorus_parse_structure(json, &s, &m) >= 0) {
                        (void) chorus_requirement_to_string(chorus_structure_requirement(&s.params));
                        chorus_structure_done(&s);
                }
                take_message(&m);
        }
        {
                ChorusServiceList l = {};
                for (int i = 0; i < 2; i++) {
                        (void) chorus_parse_service_search_page(json, &l, &page, &m);
                        take_message(&m);
                }
                for (size_t i = 0; i < l.n_items; i++)
                        (void) chorus_service_is_invoiceable(&l.items[i]);
                chorus_service_list_done(&l);
        }
        {
                ChorusServiceDetail d = {};
                if (chorus_parse_service(json, &d, &m) >= 0)
                        chorus_service_detail_done(&d);
                take_message(&m);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const long statuses[] = { 200, 400, 500, 503 };
        char *body = fuzz_strndup(data, size);

        for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
                ChorusHttpAnswer a = {
                        .status = statuses[i],
                        .connected = true,
                        .body = body,
                        .body_size = size,
                        .url = "https://127.0.0.1/cpro/fuzz",
                };
                ChorusError e = {};
                cJSON *json = NULL;
                int r;

                r = chorus_answer_check(&a, "fuzz", NOW, &json, &e);
                if (r >= 0) {
                        if (!json)
                                abort();
                        parse_all(json);
                        cJSON_Delete(json);
                } else if (!e.message && r != -ENOMEM)
                        abort(); /* every failure is explained */
                chorus_error_done(&e);
        }
        free(body);
        return 0;
}
