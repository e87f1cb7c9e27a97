/* test_chorus_api.c — the pure half of the Chorus Pro client: request
 * builders (exact JSON), answer parsers (real-shaped answers, int64 ids,
 * amounts as cents, paging, errors), and what flux states, invoice statuses
 * and structure parameters mean. No network. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <string.h>

#include "chorus/chorus_api.h"
#include "chorus/chorus_json.h"
#include "base/macro.h"

static cJSON *parse(const char *text) {
        cJSON *j = cJSON_Parse(text);
        cr_assert_not_null(j, "bad test JSON: %s", text);
        return j;
}

/* The builder's output, printed compactly, for exact comparisons. */
static char *print(cJSON *j) {
        char *s = cJSON_PrintUnformatted(j);
        cr_assert_not_null(s);
        cJSON_Delete(j);
        return s;
}

static void expect_json(cJSON *built, const char *expected) {
        char *s = print(built);
        cr_expect_str_eq(s, expected);
        free(s);
}

/* ---- builders ---- */

Test(chorus_api, build_deposit) {
        static const struct {
                InvoiceFormat format;
                const char *syntaxe;
        } formats[] = {
                { INVOICE_FORMAT_UBL, "IN_DP_E1_UBL_INVOICE" },
                { INVOICE_FORMAT_CII, "IN_DP_E1_CII_16B" },
                { INVOICE_FORMAT_FACTURX, "IN_DP_E2_CII_FACTURX" },
        };
        const char data[] = "<Invoice>é\x01\xff</Invoice>";

        for (size_t i = 0; i < ELEMENTSOF(formats); i++) {
                ChorusDepositRequest req = { .data = data, .size = sizeof data - 1, .file_name = "F-2026-0001.xml",
                                             .format = formats[i].format };
                unsigned char decoded[64];
                cJSON *j = NULL;
                const char *b64;
                int n;

                cr_assert_eq(chorus_build_deposit(&req, &j), 0);
                cr_expect_str_eq(chorus_json_string(j, "nomFichier"), "F-2026-0001.xml");
                cr_expect_str_eq(chorus_json_string(j, "syntaxeFlux"), formats[i].syntaxe);
                cr_expect(cJSON_IsFalse(cJSON_GetObjectItem(j, "avecSignature")));
                cr_expect_null(cJSON_GetObjectItem(j, "idUtilisateurCourant"));
                b64 = chorus_json_string(j, "fichierFlux");
                cr_assert_not_null(b64);
                cr_expect_null(strchr(b64, '\n'), "no line breaks in base64");
                n = EVP_DecodeBlock(decoded, (const unsigned char *) b64, (int) strlen(b64));
                cr_assert_geq(n, (int) req.size);
                cr_expect_eq(memcmp(decoded, data, req.size), 0, "base64 round trip");
                cJSON_Delete(j);
        }
}

Test(chorus_api, build_deposit_refuses) {
        ChorusDepositRequest ok = { .data = "x", .size = 1, .file_name = "a.xml", .format = INVOICE_FORMAT_UBL };
        ChorusDepositRequest r;
        cJSON *j = NULL;

        r = ok, r.file_name = "";
        cr_expect_eq(chorus_build_deposit(&r, &j), -EINVAL);
        r = ok, r.file_name = NULL;
        cr_expect_eq(chorus_build_deposit(&r, &j), -EINVAL);
        r = ok, r.size = 0;
        cr_expect_eq(chorus_build_deposit(&r, &j), -EINVAL);
        r = ok, r.data = NULL;
        cr_expect_eq(chorus_build_deposit(&r, &j), -EINVAL);
        r = ok, r.format = _INVOICE_FORMAT_INVALID;
        cr_expect_eq(chorus_build_deposit(&r, &j), -EINVAL);
        r = ok, r.size = CHORUS_DEPOSIT_MAX + 1;
        cr_expect_eq(chorus_build_deposit(&r, &j), -EFBIG);
        cr_expect_null(j);
}

Test(chorus_api, build_requests) {
        Date from = { 2026, 12, 1 }, to = { 2026, 12, 31 };
        ChorusInvoiceSearch by_flux = { .numero_flux_depot = "CPP0011100000000000000001" };
        ChorusInvoiceSearch by_number = { .numero_facture = "CMA34-2026-0007", .deposited_from = &from,
                                          .deposited_to = &to, .page_size = 5 };
        ChorusInvoiceSearch none = {};
        cJSON *j = NULL;

        cr_assert_eq(chorus_build_flux_report("CPP0011100000000000000001", &j), 0);
        expect_json(j, "{\"numeroFluxDepot\":\"CPP0011100000000000000001\"}");
        cr_expect_eq(chorus_build_flux_report("", &j), -EINVAL);

        cr_assert_eq(chorus_build_invoice_search(&by_flux, &j), 0);
        expect_json(j, "{\"numeroFluxDepot\":\"CPP0011100000000000000001\",\"rechercheFactureParFournisseur\":"
                       "{\"pageResultatDemandee\":1,\"nbResultatsParPage\":100}}");
        cr_assert_eq(chorus_build_invoice_search(&by_number, &j), 0);
        expect_json(j, "{\"numeroFacture\":\"CMA34-2026-0007\",\"periodeDateDepotDu\":\"2026-12-01\","
                       "\"periodeDateDepotAu\":\"2026-12-31\",\"rechercheFactureParFournisseur\":"
                       "{\"pageResultatDemandee\":1,\"nbResultatsParPage\":5}}");
        cr_expect_eq(chorus_build_invoice_search(&none, &j), -EINVAL);
        none.deposited_to = &to;
        cr_expect_eq(chorus_build_invoice_search(&none, &j), -EINVAL, "an end date alone is no criterion");
        none.deposited_from = &from;
        cr_assert_eq(chorus_build_invoice_search(&none, &j), 0);
        expect_json(j, "{\"periodeDateDepotDu\":\"2026-12-01\",\"periodeDateDepotAu\":\"2026-12-31\","
                       "\"rechercheFactureParFournisseur\":{\"pageResultatDemandee\":1,\"nbResultatsParPage\":100}}");

        /* Ids beyond 2^53 keep every digit. */
        cr_assert_eq(chorus_build_invoice_history(INT64_C(9007199254740993), &j), 0);
        expect_json(j, "{\"idFacture\":9007199254740993,\"paramRechercheHistoStatuts\":"
                       "{\"pageResultatDemandee\":1,\"nbResultatsParPage\":100}}");
        cr_expect_eq(chorus_build_invoice_history(0, &j), -EINVAL);

        cr_assert_eq(chorus_build_structure_search("20003478300015", &j), 0);
        expect_json(j, "{\"structure\":{\"identifiantStructure\":\"20003478300015\",\"typeIdentifiantStructure\":"
                       "\"SIRET\"},\"restreindreStructuresPrivees\":false,\"parametres\":"
                       "{\"pageResultatDemandee\":1,\"nbResultatsParPage\":100}}");
        cr_expect_eq(chorus_build_structure_search("2000347830001", &j), -EINVAL);
        cr_expect_eq(chorus_build_structure_search("2000347830001X", &j), -EINVAL);

        cr_assert_eq(chorus_build_structure_get(3100000002, &j), 0);
        expect_json(j, "{\"idStructureCPP\":3100000002,\"codeLangue\":\"fr\"}");
        cr_assert_eq(chorus_build_service_search(26073617, &j), 0);
        expect_json(j, "{\"idStructure\":26073617,\"parametresRechercherServicesStructure\":"
                       "{\"pageResultatDemandee\":1,\"nbResultatsParPage\":100}}");
        cr_assert_eq(chorus_build_service_get(26073617, 10652003, &j), 0);
        expect_json(j, "{\"idStructure\":26073617,\"idService\":10652003,\"codeLangue\":\"fr\"}");
        cr_expect_eq(chorus_build_service_get(26073617, -1, &j), -EINVAL);
}

Test(chorus_api, set_page) {
        ChorusInvoiceSearch req = { .numero_facture = "X" };
        cJSON *j = NULL;

        cr_assert_eq(chorus_build_invoice_search(&req, &j), 0);
        cr_assert_eq(chorus_request_set_page(j, CHORUS_INVOICE_SEARCH_PAGING, 3), 0);
        cr_expect_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(j, CHORUS_INVOICE_SEARCH_PAGING),
                                         "pageResultatDemandee")->valueint, 3);
        cr_expect_eq(chorus_request_set_page(j, "parametres", 2), -EINVAL);
        cJSON_Delete(j);
}

/* ---- parsers ---- */

Test(chorus_api, parse_health) {
        cJSON *ok = parse("{\"body\":\"L'API CPRO est actuellement disponible et fonctionnel.\","
                          "\"statusCodeValue\":200,\"statusCode\":\"OK\"}");
        cJSON *down = parse("{\"statusCode\":\"SERVICE_UNAVAILABLE\"}");
        ChorusHealth h = {};
        char *m = NULL;

        cr_assert_eq(chorus_parse_health(ok, &h, &m), 0);
        cr_expect_str_eq(h.message, "L'API CPRO est actuellement disponible et fonctionnel.");
        chorus_health_done(&h);
        cr_expect_eq(chorus_parse_health(down, &h, &m), -EBADMSG);
        cr_expect(strstr(strempty(m), "SERVICE_UNAVAILABLE"));
        cr_expect_null(h.message);
        free(m);
        cJSON_Delete(ok);
        cJSON_Delete(down);
}

Test(chorus_api, parse_deposit) {
        cJSON *ok = parse("{\"codeRetour\":0,\"libelle\":\"TRA_MSG_00.000\",\"numeroFluxDepot\":"
                          "\"CPP0011117000000001273055\",\"dateDepot\":\"2023-08-14\",\"syntaxeFlux\":"
                          "\"IN_DP_E2_CII_FACTURX\"}");
        cJSON *bare = parse("{\"numeroFluxDepot\":\"CPP1\",\"dateDepot\":null}");
        cJSON *missing = parse("{\"codeRetour\":0,\"dateDepot\":\"2023-08-14\"}");
        ChorusDepositResult d = {};
        char *m = NULL;

        cr_assert_eq(chorus_parse_deposit(ok, &d, &m), 0);
        cr_expect_str_eq(d.numero_flux_depot, "CPP0011117000000001273055");
        cr_expect_str_eq(d.date_depot, "2023-08-14");
        cr_expect_str_eq(d.syntaxe_flux, "IN_DP_E2_CII_FACTURX");
        chorus_deposit_result_done(&d);
        cr_assert_eq(chorus_parse_deposit(bare, &d, &m), 0);
        cr_expect_null(d.date_depot);
        chorus_deposit_result_done(&d);
        cr_expect_eq(chorus_parse_deposit(missing, &d, &m), -EBADMSG);
        cr_expect(strstr(strempty(m), "numeroFluxDepot"));
        cr_expect_null(d.numero_flux_depot);
        free(m);
        cJSON_Delete(ok);
        cJSON_Delete(bare);
        cJSON_Delete(missing);

        /* The flux number is kept in the job state and sent back: a bounded
         * printable token, whatever the server says. */
        static const char *const bad[] = {
                "{\"numeroFluxDepot\":\"CPP001\\nEND=1\"}",
                "{\"numeroFluxDepot\":\"CPP 001\"}",
                "{\"numeroFluxDepot\":\"CPP0011117000000001273055\u00e9\"}",
                "{\"numeroFluxDepot\":\"CPP00111170000000012730550000000000000000000000000000000000000000000\"}",
                "{\"numeroFluxDepot\":12}",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                cJSON *j = parse(bad[i]);

                m = NULL;
                cr_expect_eq(chorus_parse_deposit(j, &d, &m), -EBADMSG, "%s", bad[i]);
                cr_expect(strstr(strempty(m), "numeroFluxDepot"), "%s", strempty(m));
                cr_expect_null(d.numero_flux_depot);
                free(m);
                cJSON_Delete(j);
        }
}

typedef struct EtatCase {
        const char *etat;
        ChorusFluxState state;
        bool known;
        bool final;
} EtatCase;

Test(chorus_api, flux_states) {
        static const EtatCase cases[] = {
                { "IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP", CHORUS_FLUX_PENDING, true, false },
                { "IN_RECU", CHORUS_FLUX_PENDING, true, false },
                { "IN_TRAITE_SE_CPP", CHORUS_FLUX_PENDING, true, false },
                { "IN_EN_ATTENTE_TRAITEMENT_CPP", CHORUS_FLUX_PENDING, true, false },
                { "IN_EN_COURS_TRAITEMENT_CPP", CHORUS_FLUX_PENDING, true, false },
                { "IN_EN_ATTENTE_RETRAITEMENT_CPP", CHORUS_FLUX_PENDING, true, false },
                { "IN_INTEGRE", CHORUS_FLUX_INTEGRATED, true, true },
                { "IN_INTEGRE_PARTIEL", CHORUS_FLUX_PARTIAL, true, true },
                { "IN_REJETE", CHORUS_FLUX_REJECTED, true, true },
                { "IN_INCIDENTE", CHORUS_FLUX_INCIDENT, true, true },
                { "IN_A_RELANCER", CHORUS_FLUX_INCIDENT, true, true },
                { "IN_ERREUR_INTERNE", CHORUS_FLUX_INCIDENT, true, true },
                { "QP_RECEVABLE", CHORUS_FLUX_PENDING, false, false },
                { "IN_SOMETHING_NEW", CHORUS_FLUX_PENDING, false, false },
                { NULL, CHORUS_FLUX_PENDING, false, false },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                bool known = !cases[i].known;
                ChorusFluxState s = chorus_flux_state_from_etat(cases[i].etat, &known);

                cr_expect_eq(s, cases[i].state, "%s", strempty(cases[i].etat));
                cr_expect_eq(known, cases[i].known, "%s", strempty(cases[i].etat));
                cr_expect_eq(chorus_flux_state_is_final(s), cases[i].final, "%s", strempty(cases[i].etat));
                cr_expect_not_null(chorus_flux_state_to_string(s));
        }
}

Test(chorus_api, parse_flux_report) {
        cJSON *rejected = parse(
                "{\"codeRetour\":0,\"libelle\":\"TRA_MSG_00.000\",\"nomFichier\":\"FSO1117A_CPP001_CPP0011117000000001273055\","
                "\"codeInterfaceDepotFlux\":\"FSO1117A\",\"dateDepotFlux\":\"2023-08-14T17:09:27+02:00\","
                "\"etatCourantDepotFlux\":\"IN_REJETE\",\"dateHeureEtatCourantFlux\":\"2023-08-14T17:09:27+02:00\","
                "\"listeErreurTechnique\":[{\"natureErreur\":\"ERR_XSD\",\"codeErreur\":\"ERR_XSD_001\","
                "\"libelleErreur\":\"IRRECEVABILITE: cvc-complex-type.2.2\"}]}");
        cJSON *partial = parse(
                "{\"etatCourantDepotFlux\":\"IN_INTEGRE_PARTIEL\",\"listeErreurTechnique\":null,"
                "\"listeErreurDP\":[{\"numeroDP\":\"F-1\",\"identifiantFournisseur\":\"13002602400013\","
                "\"identifiantDestinataire\":\"20003478300015\",\"libelleErreurDP\":\"Le code service est obligatoire\"},"
                "{\"numeroDP\":\"F-2\",\"libelleErreurDP\":\"Destinataire inconnu\"}]}");
        cJSON *no_state = parse("{\"codeRetour\":0}");
        cJSON *bad_list = parse("{\"etatCourantDepotFlux\":\"IN_INTEGRE\",\"listeErreurDP\":{}}");
        cJSON *bad_item = parse("{\"etatCourantDepotFlux\":\"IN_INTEGRE\",\"listeErreurDP\":[3]}");
        ChorusFluxReport r = {};
        char *m = NULL;

        cr_assert_eq(chorus_parse_flux_report(rejected, &r, &m), 0);
        cr_expect_str_eq(r.etat, "IN_REJETE");
        cr_expect_eq(r.state, CHORUS_FLUX_REJECTED);
        cr_expect(r.state_known);
        cr_expect_str_eq(r.nom_fichier, "FSO1117A_CPP001_CPP0011117000000001273055");
        cr_expect_str_eq(r.date_depot, "2023-08-14T17:09:27+02:00");
        cr_assert_eq(r.n_technical_errors, 1);
        cr_expect_str_eq(r.technical_errors[0].nature, "ERR_XSD");
        cr_expect_str_eq(r.technical_errors[0].code, "ERR_XSD_001");
        cr_expect_str_eq(r.technical_errors[0].libelle, "IRRECEVABILITE: cvc-complex-type.2.2");
        cr_expect_eq(r.n_invoice_errors, 0);
        chorus_flux_report_done(&r);

        cr_assert_eq(chorus_parse_flux_report(partial, &r, &m), 0);
        cr_expect_eq(r.state, CHORUS_FLUX_PARTIAL);
        cr_expect_eq(r.n_technical_errors, 0);
        cr_assert_eq(r.n_invoice_errors, 2);
        cr_expect_str_eq(r.invoice_errors[0].numero_facture, "F-1");
        cr_expect_str_eq(r.invoice_errors[0].identifiant_destinataire, "20003478300015");
        cr_expect_str_eq(r.invoice_errors[0].libelle, "Le code service est obligatoire");
        cr_expect_str_eq(r.invoice_errors[1].libelle, "Destinataire inconnu");
        cr_expect_null(r.invoice_errors[1].identifiant_fournisseur);
        chorus_flux_report_done(&r);

        cr_expect_eq(chorus_parse_flux_report(no_state, &r, &m), -EBADMSG);
        cr_expect(strstr(strempty(m), "etatCourantDepotFlux"));
        free(m);
        m = NULL;
        cr_expect_eq(chorus_parse_flux_report(bad_list, &r, &m), -EBADMSG);
        free(m);
        m = NULL;
        cr_expect_eq(chorus_parse_flux_report(bad_item, &r, &m), -EBADMSG);
        cr_expect(strstr(strempty(m), "listeErreurDP[0]"));
        cr_expect_null(r.etat, "result set on failure");
        free(m);
        cJSON_Delete(rejected);
        cJSON_Delete(partial);
        cJSON_Delete(no_state);
        cJSON_Delete(bad_list);
        cJSON_Delete(bad_item);
}

Test(chorus_api, parse_invoice_search_pages) {
        cJSON *page1 = parse(
                "{\"codeRetour\":0,\"listeFactures\":["
                "{\"identifiantFactureCPP\":5000000001,\"numeroFacture\":\"CMA34-2026-0001\",\"statut\":\"DEPOSEE\","
                "\"numeroFluxDepot\":\"CPP1\",\"dateDepot\":\"2026-12-10\",\"montantHT\":1000,\"montantTTC\":1200.5,"
                "\"montantAPayer\":\"1200.50\",\"devise\":\"EUR\"},"
                "{\"identifiantFactureCPP\":\"9007199254740993\",\"numeroFacture\":\"CMA34-2026-0002\","
                "\"statut\":\"UN_STATUT_INCONNU\",\"montantHT\":0.07,\"montantTTC\":1e20,\"montantAPayer\":0.001}],"
                "\"parametresRetour\":{\"pageCourante\":1,\"pages\":2,\"nbResultatsParPage\":2,\"total\":3}}");
        cJSON *page2 = parse("{\"listeFactures\":[{\"identifiantFactureCPP\":5000000003,\"montantTTC\":-5.5}],"
                             "\"parametresRetour\":{\"pageCourante\":2,\"pages\":2}}");
        cJSON *no_id = parse("{\"listeFactures\":[{\"numeroFacture\":\"X\"}]}");
        cJSON *fraction_id = parse("{\"listeFactures\":[{\"identifiantFactureCPP\":1.5}]}");
        cJSON *bad_flux = parse("{\"listeFactures\":[{\"identifiantFactureCPP\":1,\"numeroFluxDepot\":\"a\\nb\"}]}");
        cJSON *empty = parse("{\"listeFactures\":[],\"parametresRetour\":{\"pageCourante\":1,\"pages\":0}}");
        ChorusInvoiceList l = {};
        ChorusPage p = {};
        char *m = NULL;

        cr_assert_eq(chorus_parse_invoice_search_page(page1, &l, &p, &m), 0);
        cr_expect_eq(p.current, 1);
        cr_expect_eq(p.pages, 2);
        cr_assert_eq(l.n_items, 2);
        cr_expect_eq(l.items[0].identifiant_facture_cpp, INT64_C(5000000001));
        cr_expect_str_eq(l.items[0].statut, "DEPOSEE");
        cr_expect_str_eq(l.items[0].numero_flux_depot, "CPP1");
        cr_expect(l.items[0].has_montant_ht && l.items[0].montant_ht == 100000);
        cr_expect(l.items[0].has_montant_ttc && l.items[0].montant_ttc == 120050);
        cr_expect(l.items[0].has_montant_a_payer && l.items[0].montant_a_payer == 120050);
        cr_expect_eq(l.items[1].identifiant_facture_cpp, INT64_C(9007199254740993));
        cr_expect_str_eq(l.items[1].statut, "UN_STATUT_INCONNU", "unknown statuses are kept");
        cr_expect(l.items[1].has_montant_ht && l.items[1].montant_ht == 7);
        cr_expect(!l.items[1].has_montant_ttc, "1e20 is not an amount");
        cr_expect(!l.items[1].has_montant_a_payer, "three decimals are not an amount");

        cr_assert_eq(chorus_parse_invoice_search_page(page2, &l, &p, &m), 0);
        cr_expect_eq(p.current, 2);
        cr_assert_eq(l.n_items, 3, "pages accumulate");
        cr_expect_eq(l.items[2].montant_ttc, -550);

        cr_expect_eq(chorus_parse_invoice_search_page(no_id, &l, &p, &m), -EBADMSG);
        cr_expect(strstr(strempty(m), "identifiantFactureCPP"));
        free(m);
        m = NULL;
        cr_expect_eq(chorus_parse_invoice_search_page(fraction_id, &l, &p, &m), -EBADMSG);
        free(m);
        m = NULL;
        cr_expect_eq(chorus_parse_invoice_search_page(bad_flux, &l, &p, &m), -EBADMSG);
        cr_expect(strstr(strempty(m), "listeFactures[0].numeroFluxDepot"), "%s", strempty(m));
        cJSON_Delete(bad_flux);
        free(m);
        cr_expect_eq(l.n_items, 3, "a failed page adds nothing");
        cr_assert_eq(chorus_parse_invoice_search_page(empty, &l, &p, NULL), 0);
        cr_expect_eq(p.pages, 0);
        cr_expect_eq(l.n_items, 3);
        chorus_invoice_list_done(&l);
        cJSON_Delete(page1);
        cJSON_Delete(page2);
        cJSON_Delete(no_id);
        cJSON_Delete(fraction_id);
        cJSON_Delete(empty);
}

Test(chorus_api, paging_defaults) {
        cJSON *no_paging = parse("{\"listeStructures\":[]}");
        ChorusStructureList l = {};
        ChorusPage p = { 42, 42 };

        cr_assert_eq(chorus_parse_structure_search_page(no_paging, &l, &p, NULL), 0);
        cr_expect_eq(p.current, 1);
        cr_expect_eq(p.pages, 1);
        cJSON_Delete(no_paging);
}

Test(chorus_api, parse_history) {
        cJSON *j = parse(
                "{\"idFacture\":5000000001,\"numeroFacture\":\"CMA34-2026-0001\",\"statutCourantCode\":\"MISE_A_DISPOSITION\","
                "\"historiquesDesStatuts\":{\"histoStatut\":["
                "{\"histoStatutCode\":\"DEPOSEE\",\"histoStatutDatePassage\":\"2026-12-10 10:00\",\"histoStatutCommentaire\":null},"
                "{\"histoStatutCode\":\"MISE_A_DISPOSITION\",\"histoStatutDatePassage\":\"2026-12-11 09:30\","
                "\"histoStatutCommentaire\":\"ok\"}],\"pageCouranteHistoStatut\":1,\"pagesHistoStatut\":3}}");
        cJSON *none = parse("{\"idFacture\":1}");
        ChorusInvoiceHistory h = {};
        ChorusPage p = {};
        char *m = NULL;

        cr_assert_eq(chorus_parse_invoice_history_page(j, &h, &p, &m), 0);
        cr_expect_eq(h.id_facture, INT64_C(5000000001));
        cr_expect_str_eq(h.statut_courant, "MISE_A_DISPOSITION");
        cr_expect_str_eq(h.numero_facture, "CMA34-2026-0001");
        cr_assert_eq(h.n_entries, 2);
        cr_expect_str_eq(h.entries[0].code, "DEPOSEE");
        cr_expect_null(h.entries[0].commentaire);
        cr_expect_str_eq(h.entries[1].date, "2026-12-11 09:30");
        cr_expect_str_eq(h.entries[1].commentaire, "ok");
        cr_expect_eq(p.current, 1);
        cr_expect_eq(p.pages, 3);
        cr_expect_eq(chorus_parse_invoice_history_page(none, &h, &p, &m), -EBADMSG);
        cr_expect(strstr(strempty(m), "statutCourantCode"));
        cr_expect_eq(h.n_entries, 2);
        free(m);
        chorus_invoice_history_done(&h);
        cJSON_Delete(j);
        cJSON_Delete(none);
}

typedef struct StatusCase {
        const char *statut;
        ChorusInvoiceStatusClass cls;
        bool known;
} StatusCase;

Test(chorus_api, invoice_statuses) {
        static const StatusCase cases[] = {
                { "DEPOSEE", CHORUS_INVOICE_IN_PROGRESS, true },
                { "MISE_A_DISPOSITION", CHORUS_INVOICE_IN_PROGRESS, true },
                { "SERVICE_FAIT", CHORUS_INVOICE_IN_PROGRESS, true },
                { "SERVICE-FAIT", CHORUS_INVOICE_IN_PROGRESS, true },
                { "MANDATEE", CHORUS_INVOICE_IN_PROGRESS, true },
                { "MISE_EN_PAIEMENT", CHORUS_INVOICE_PAID, true },
                { "REJETEE", CHORUS_INVOICE_REJECTED, true },
                { "A_RECYCLER", CHORUS_INVOICE_ACTION_REQUIRED, true },
                { "SUSPENDUE", CHORUS_INVOICE_ACTION_REQUIRED, true },
                { "A_COMPLETER", CHORUS_INVOICE_ACTION_REQUIRED, true },
                { "TECHNIQUE_INCONNU", CHORUS_INVOICE_IN_PROGRESS, true },
                { "NOUVEAU_STATUT_2027", CHORUS_INVOICE_IN_PROGRESS, false },
                { NULL, CHORUS_INVOICE_IN_PROGRESS, false },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                cr_expect_eq(chorus_invoice_status_classify(cases[i].statut), cases[i].cls, "%s",
                             strempty(cases[i].statut));
                cr_expect_eq(chorus_invoice_status_is_known(cases[i].statut), cases[i].known, "%s",
                             strempty(cases[i].statut));
        }
        for (int c = 0; c < _CHORUS_INVOICE_STATUS_CLASS_MAX; c++)
                cr_expect_not_null(chorus_invoice_status_class_to_string(c));
}

Test(chorus_api, parse_structures) {
        cJSON *search = parse(
                "{\"listeStructures\":[{\"idStructureCPP\":26073617,\"identifiantStructure\":\"20003478300015\","
                "\"designationStructure\":\"Communauté de Communes du Minervois au Caroux\","
                "\"typeIdentifiantStructure\":\"SIRET\",\"statut\":\"ACTIVE\"}],"
                "\"parametresRetour\":{\"pageCourante\":1,\"pages\":1,\"total\":1}}");
        cJSON *get = parse(
                "{\"informationGenerales\":{\"idStructureCPP\":3100000002,\"identifiantStructure\":\"22003400100010\","
                "\"raisonSocialeStructure\":\"Département\",\"libelleStructure\":null,\"structurePriveePublique\":\"PUBLIQUE\","
                "\"dateExpirationMotPasseCompteTech\":\"2027-06-30T00:00:00.000+02:00\"},"
                "\"parametres\":{\"codeServiceDoitEtreRenseigne\":false,\"numeroEJDoitEtreRenseigne\":true,"
                "\"gestionNumeroEJOuCodeService\":false,\"connexionEDI\":true}}");
        cJSON *get_bad = parse("{\"informationGenerales\":{\"idStructureCPP\":1},\"parametres\":"
                               "{\"numeroEJDoitEtreRenseigne\":\"oui\"}}");
        cJSON *get_none = parse("{\"parametres\":{}}");
        ChorusStructureList l = {};
        ChorusStructure s = {};
        ChorusPage p = {};
        char *m = NULL;

        cr_assert_eq(chorus_parse_structure_search_page(search, &l, &p, &m), 0);
        cr_assert_eq(l.n_items, 1);
        cr_expect_eq(l.items[0].id_structure_cpp, 26073617);
        cr_expect_str_eq(l.items[0].designation, "Communauté de Communes du Minervois au Caroux");
        cr_expect_str_eq(l.items[0].statut, "ACTIVE");
        chorus_structure_list_done(&l);

        cr_assert_eq(chorus_parse_structure(get, &s, &m), 0);
        cr_expect_eq(s.id_structure_cpp, INT64_C(3100000002));
        cr_expect_str_eq(s.raison_sociale, "Département");
        cr_expect_null(s.libelle);
        cr_expect_str_eq(s.password_expiry, "2027-06-30T00:00:00.000+02:00");
        cr_expect(!s.params.code_service_required);
        cr_expect(s.params.engagement_required);
        cr_expect_eq(chorus_structure_requirement(&s.params), CHORUS_REQUIRES_ENGAGEMENT);
        chorus_structure_done(&s);

        cr_expect_eq(chorus_parse_structure(get_bad, &s, &m), -EBADMSG);
        cr_expect(strstr(strempty(m), "numeroEJDoitEtreRenseigne"));
        free(m);
        m = NULL;
        cr_expect_eq(chorus_parse_structure(get_none, &s, &m), -EBADMSG);
        cr_expect(strstr(strempty(m), "informationGenerales"));
        free(m);
        cJSON_Delete(search);
        cJSON_Delete(get);
        cJSON_Delete(get_bad);
        cJSON_Delete(get_none);
}

typedef struct RequirementCase {
        ChorusStructureParams params;
        ChorusRequirement expected;
        const char *text;
} RequirementCase;

Test(chorus_api, structure_requirement) {
        /* OCA's reading (chorus-pro-api.md §3.7): the "or" flag wins. */
        static const RequirementCase cases[] = {
                { {}, CHORUS_REQUIRES_NOTHING, "nothing" },
                { { .code_service_required = true }, CHORUS_REQUIRES_SERVICE, "a service code" },
                { { .engagement_required = true }, CHORUS_REQUIRES_ENGAGEMENT, "an engagement number" },
                { { .code_service_required = true, .engagement_required = true },
                  CHORUS_REQUIRES_SERVICE_AND_ENGAGEMENT, "a service code and an engagement number" },
                { { .engagement_or_service = true }, CHORUS_REQUIRES_SERVICE_OR_ENGAGEMENT,
                  "a service code or an engagement number" },
                { { .engagement_or_service = true, .code_service_required = true, .engagement_required = true },
                  CHORUS_REQUIRES_SERVICE_OR_ENGAGEMENT, "a service code or an engagement number" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                ChorusRequirement r = chorus_structure_requirement(&cases[i].params);
                cr_expect_eq(r, cases[i].expected, "case %zu", i);
                cr_expect_str_eq(chorus_requirement_to_string(r), cases[i].text);
        }
}

Test(chorus_api, parse_services) {
        cJSON *j = parse(
                "{\"listeServices\":["
                "{\"idService\":10652001,\"codeService\":\"ECO\",\"libelleService\":\"Service éco\",\"estActif\":true},"
                "{\"idService\":10652002,\"codeService\":\"FACTURES_PUBLIQUES\",\"estActif\":true},"
                "{\"idService\":10652004,\"codeService\":\"ANCIEN\",\"estActif\":false},"
                "{\"idService\":10652005,\"codeService\":\"STATUT\",\"statutService\":\"INACTIF\"},"
                "{\"idService\":10652006,\"codeService\":\"SANS\"}],"
                "\"parametresRetour\":{\"pageCourante\":1,\"pages\":1}}");
        cJSON *no_code = parse("{\"listeServices\":[{\"idService\":1}]}");
        cJSON *detail = parse("{\"informationsGenerales\":{\"codeService\":\"TRAVAUX\",\"nomService\":\"Travaux\"},"
                              "\"parametres\":{\"numeroEngagement\":true,\"miseEnPaiement\":true}}");
        cJSON *detail_bare = parse("{\"codeRetour\":0}");
        static const bool invoiceable[] = { true, false, false, false, true };
        ChorusServiceList l = {};
        ChorusServiceDetail d = {};
        ChorusPage p = {};
        char *m = NULL;

        cr_assert_eq(chorus_parse_service_search_page(j, &l, &p, &m), 0);
        cr_assert_eq(l.n_items, 5);
        cr_expect_eq(l.items[0].id_service, 10652001);
        cr_expect_str_eq(l.items[0].libelle, "Service éco");
        for (size_t i = 0; i < l.n_items; i++)
                cr_expect_eq(chorus_service_is_invoiceable(&l.items[i]), invoiceable[i], "%s", l.items[i].code);
        chorus_service_list_done(&l);
        cr_expect_eq(chorus_parse_service_search_page(no_code, &l, &p, &m), -EBADMSG);
        cr_expect(strstr(strempty(m), "codeService"));
        free(m);

        cr_assert_eq(chorus_parse_service(detail, &d, NULL), 0);
        cr_expect_str_eq(d.code, "TRAVAUX");
        cr_expect_str_eq(d.nom, "Travaux");
        cr_expect(d.engagement_required);
        chorus_service_detail_done(&d);
        cr_assert_eq(chorus_parse_service(detail_bare, &d, NULL), 0);
        cr_expect(!d.engagement_required);
        chorus_service_detail_done(&d);
        cJSON_Delete(j);
        cJSON_Delete(no_code);
        cJSON_Delete(detail);
        cJSON_Delete(detail_bare);
}

typedef struct CentsCase {
        const char *json;
        int r;
        int64_t cents;
} CentsCase;

Test(chorus_api, json_amounts_and_ids) {
        static const CentsCase cents[] = {
                { "{\"a\":1200.5}", 0, 120050 },     { "{\"a\":19.99}", 0, 1999 },
                { "{\"a\":0.07}", 0, 7 },            { "{\"a\":100}", 0, 10000 },
                { "{\"a\":1234567890.12}", 0, 123456789012 },
                { "{\"a\":-5.5}", 0, -550 },         { "{\"a\":\"99.90\"}", 0, 9990 },
                { "{\"a\":0.001}", -EBADMSG, 0 },    { "{\"a\":\"12.345\"}", -EBADMSG, 0 },
                { "{\"a\":1e20}", -EBADMSG, 0 },     { "{\"a\":true}", -EBADMSG, 0 },
                { "{\"a\":null}", -ENOENT, 0 },      { "{}", -ENOENT, 0 },
        };
        static const CentsCase ids[] = {
                { "{\"a\":5000000001}", 0, INT64_C(5000000001) },
                { "{\"a\":9007199254740991}", 0, INT64_C(9007199254740991) }, /* 2^53 - 1 */
                /* 2^53 + 1 reads as the double 2^53: refused, not a wrong id. */
                { "{\"a\":9007199254740993}", -EBADMSG, 0 },
                { "{\"a\":9007199254740992}", -EBADMSG, 0 },
                { "{\"a\":-9007199254740993}", -EBADMSG, 0 },
                { "{\"a\":\"9223372036854775807\"}", 0, INT64_MAX },
                { "{\"a\":\"9223372036854775808\"}", -EBADMSG, 0 },
                { "{\"a\":\"-12\"}", 0, -12 },
                { "{\"a\":\"12a\"}", -EBADMSG, 0 },
                { "{\"a\":1.5}", -EBADMSG, 0 },
                { "{\"a\":1e300}", -EBADMSG, 0 },
                { "{\"a\":null}", -ENOENT, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cents); i++) {
                cJSON *j = parse(cents[i].json);
                int64_t v = 0;
                cr_expect_eq(chorus_json_cents(j, "a", &v), cents[i].r, "%s", cents[i].json);
                if (cents[i].r == 0)
                        cr_expect_eq(v, cents[i].cents, "%s: %" PRId64, cents[i].json, v);
                cJSON_Delete(j);
        }
        for (size_t i = 0; i < ELEMENTSOF(ids); i++) {
                cJSON *j = parse(ids[i].json);
                int64_t v = 0;
                cr_expect_eq(chorus_json_int64(j, "a", &v), ids[i].r, "%s", ids[i].json);
                if (ids[i].r == 0)
                        cr_expect_eq(v, ids[i].cents, "%s", ids[i].json);
                cJSON_Delete(j);
        }
}
