/* test_chorus_corrections.c — completer and recycler (chorus_corrections.c
 * and the client): the limits checked before any call, then the calls over
 * real HTTPS against the emulator (scripts/with-emulator), whose record of
 * what it received checks the bodies; both are sent once, never again
 * blindly after an unclear failure. */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/fileio.h"
#include "base/log.h"
#include "chorus/chorus_client.h"
#include "emulator.h"

#define UBL_FILE "tests/data/emulator/ubl-invoice.xml"
#define FIXTURE_NUMBER "CMA34-2026-0001"

static const char PDF[] = "%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";

/* ---- the limits, before any call (no emulator) ---- */

Test(chorus_corrections_check, attachments) {
        char *big = calloc(1, CHORUS_ATTACHMENT_MAX + 1);
        char name[CHORUS_ATTACHMENT_NAME_MAX + 2];

        cr_assert_not_null(big);
        memcpy(big, "%PDF-", 5);
        cr_expect_eq(chorus_attachment_check("a.pdf", PDF, sizeof PDF - 1), 0);
        cr_expect_eq(chorus_attachment_check("a.pdf", big, CHORUS_ATTACHMENT_MAX), 0, "exactly 10 MB passes");
        cr_expect_eq(chorus_attachment_check("a.pdf", big, CHORUS_ATTACHMENT_MAX + 1), -EFBIG);
        cr_expect_eq(chorus_attachment_check("a.docx", "PK\3\4xxxx", 8), -EMEDIUMTYPE);
        cr_expect_eq(chorus_attachment_check("a.pdf", "%PD", 3), -EMEDIUMTYPE);
        cr_expect_eq(chorus_attachment_check("a.pdf", PDF, 0), -EINVAL);
        cr_expect_eq(chorus_attachment_check("", PDF, sizeof PDF - 1), -EINVAL);
        cr_expect_eq(chorus_attachment_check("a\nb.pdf", PDF, sizeof PDF - 1), -EINVAL);
        cr_expect_eq(chorus_attachment_check("d/a.pdf", PDF, sizeof PDF - 1), -EINVAL);
        memset(name, 'a', sizeof name - 1);
        name[sizeof name - 1] = 0;
        cr_expect_eq(chorus_attachment_check(name, PDF, sizeof PDF - 1), -EINVAL, "101 characters");
        name[sizeof name - 2] = 0;
        cr_expect_eq(chorus_attachment_check(name, PDF, sizeof PDF - 1), 0, "100 characters");
        free(big);
}

Test(chorus_corrections_check, complete_and_recycle_requests) {
        ChorusAttachment a[CHORUS_ATTACHMENTS_MAX + 1];
        char *comment = malloc(2 * (CHORUS_COMMENT_MAX + 1) + 1);
        cJSON *j = NULL;
        char *text;

        for (size_t i = 0; i < ELEMENTSOF(a); i++)
                a[i] = (ChorusAttachment){ "a.pdf", PDF, sizeof PDF - 1 };
        cr_expect_eq(chorus_complete_check(&(ChorusCompleteRequest){ .id_facture = 1, .comment = "vu" }), 0);
        cr_expect_eq(chorus_complete_check(&(ChorusCompleteRequest){ .id_facture = 1, .attachments = a,
                                                                     .n_attachments = 1 }), 0);
        cr_expect_eq(chorus_complete_check(&(ChorusCompleteRequest){ .id_facture = 1 }), -EINVAL,
                     "a comment or an attachment");
        cr_expect_eq(chorus_complete_check(&(ChorusCompleteRequest){ .id_facture = 0, .comment = "x" }), -EINVAL);
        cr_expect_eq(chorus_complete_check(&(ChorusCompleteRequest){ .id_facture = 1, .comment = "x",
                                                                     .attachments = a,
                                                                     .n_attachments = CHORUS_ATTACHMENTS_MAX }), 0);
        cr_expect_eq(chorus_complete_check(&(ChorusCompleteRequest){ .id_facture = 1, .comment = "x",
                                                                     .attachments = a,
                                                                     .n_attachments = CHORUS_ATTACHMENTS_MAX + 1 }),
                     -EINVAL);
        /* 2000 characters (two bytes each) pass, 2001 do not; lines are allowed, other controls not. */
        comment[0] = 0;
        for (int i = 0; i < CHORUS_COMMENT_MAX; i++)
                strcat(comment, "é");
        cr_expect_eq(chorus_complete_check(&(ChorusCompleteRequest){ .id_facture = 1, .comment = comment }), 0);
        strcat(comment, "é");
        cr_expect_eq(chorus_complete_check(&(ChorusCompleteRequest){ .id_facture = 1, .comment = comment }), -EINVAL);
        cr_expect_eq(chorus_complete_check(&(ChorusCompleteRequest){ .id_facture = 1, .comment = "a\nb" }), 0);
        cr_expect_eq(chorus_complete_check(&(ChorusCompleteRequest){ .id_facture = 1, .comment = "a\tb" }), -EINVAL);
        cr_expect_eq(chorus_complete_check(&(ChorusCompleteRequest){ .id_facture = 1, .comment = "\xff" }), -EINVAL);
        free(comment);

        cr_expect_eq(chorus_build_recycle(&(ChorusRecycleRequest){ .id_facture = 1 }, &j), -EINVAL, "a service");
        cr_expect_eq(chorus_build_recycle(&(ChorusRecycleRequest){ .id_facture = 1, .service_code = "ECO",
                                                                   .engagement = "EJ-12345678901234567890123456789"
                                                                                 "01234567890123456789" }, &j),
                     -EINVAL, "51 characters of engagement");
        cr_assert_eq(chorus_build_recycle(&(ChorusRecycleRequest){ .id_facture = 5000000001, .service_code = "ECO" },
                                          &j), 0);
        text = cJSON_PrintUnformatted(j);
        cr_expect_not_null(strstr(strempty(text), "\"idFacture\":5000000001"), "%s", strempty(text));
        free(text);
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "codeServiceExecutant")), "ECO");
        cr_expect(cJSON_IsNull(cJSON_GetObjectItem(j, "numeroEngagement")));
        cJSON_Delete(j);
}

/* ---- against the emulator ---- */

static Emulator *emu;
static ChorusConfig cfg;
static ChorusSecrets secrets;

static void setup(void) {
        log_set_target(LOG_TARGET_STDERR);
        cr_assert_eq(emulator_from_env(&emu), 0, "run this test under scripts/with-emulator");
        cr_assert_eq(emulator_reset(emu), 0);
        cr_assert_eq(emulator_chorus_config(emu, &cfg), 0);
        cr_assert_eq(emulator_chorus_secrets(emu, &secrets), 0);
}

static void teardown(void) {
        emulator_chorus_config_done(&cfg);
        chorus_secrets_done(&secrets);
        emu = emulator_free(emu);
}

TestSuite(chorus_corrections, .init = setup, .fini = teardown, .timeout = 60);

static ChorusClient *client(void) {
        ChorusClientOptions o = { .config = &cfg, .secrets = &secrets, .timeout_ms = 3000,
                                  .retry_deadline_usec = 5 * USEC_PER_SEC,
                                  .retry_policy = { .base_usec = 50 * USEC_PER_MSEC,
                                                    .cap_usec = 400 * USEC_PER_MSEC } };
        ChorusClient *c = NULL;
        char *message = NULL;

        cr_assert_eq(chorus_client_new(&o, &c, &message), 0, "%s", strempty(message));
        return c;
}

/* The fixture invoice deposited, integrated and put in `statut`: its id. */
static int64_t invoice_in(ChorusClient *c, const char *statut) {
        _cleanup_(freep) char *xml = NULL;
        ChorusDepositResult d = {};
        ChorusInvoiceList l = {};
        ChorusError e = {};
        size_t size;
        int64_t id;

        cr_assert_eq(read_file_bounded(UBL_FILE, 1 << 20, &xml, &size), 0);
        cr_assert_eq(chorus_deposit_sync(c, &(ChorusDepositRequest){ .data = xml, .size = size,
                                                                     .file_name = "f.xml",
                                                                     .format = INVOICE_FORMAT_UBL }, &d, &e),
                     0, "%s", strempty(e.message));
        cr_assert_eq(emulator_advance_flux(emu, d.numero_flux_depot, NULL), 0);
        cr_assert_eq(chorus_invoice_search_sync(c, &(ChorusInvoiceSearch){ .numero_facture = FIXTURE_NUMBER },
                                                &l, &e), 0);
        cr_assert_eq(l.n_items, 1);
        id = l.items[0].identifiant_facture_cpp;
        chorus_invoice_list_done(&l);
        chorus_deposit_result_done(&d);
        cr_assert_eq(emulator_set_invoice_status(emu, FIXTURE_NUMBER, statut, "pièce manquante"), 0);
        return id;
}

static char *sha256_hex(const void *data, size_t size) {
        unsigned char md[32];
        char *hex = malloc(65);

        EVP_Digest(data, size, md, NULL, EVP_sha256(), NULL);
        for (int i = 0; i < 32; i++)
                sprintf(hex + 2 * i, "%02x", md[i]);
        return hex;
}

static cJSON *invoice_record(void) {
        cJSON *list = NULL, *inv;

        cr_assert_eq(emulator_invoices(emu, FIXTURE_NUMBER, &list), 0);
        inv = cJSON_DetachItemFromArray(cJSON_IsArray(list) ? list : cJSON_GetObjectItem(list, "invoices"), 0);
        cJSON_Delete(list);
        cr_assert_not_null(inv);
        return inv;
}

Test(chorus_corrections, complete_sends_the_pdfs_and_the_comment) {
        _cleanup_(chorus_client_freep) ChorusClient *c = client();
        _cleanup_(freep) char *sha = sha256_hex(PDF, sizeof PDF - 1);
        ChorusAttachment a[] = { { "attestation.pdf", PDF, sizeof PDF - 1 }, { "pv réception.pdf", PDF, sizeof PDF - 1 } };
        ChorusCorrectionResult res = {};
        ChorusError e = {};
        int64_t id = invoice_in(c, "SUSPENDUE");
        cJSON *inv, *corr, *pj;

        cr_assert_eq(chorus_invoice_complete_sync(c, &(ChorusCompleteRequest){ .id_facture = id,
                                                                               .comment = "Pièces jointes",
                                                                               .attachments = a,
                                                                               .n_attachments = 2 },
                                                  &res, &e), 0, "%s", strempty(e.message));
        cr_expect_eq(res.id_facture, id);
        cr_expect_str_eq(res.statut, "COMPLETEE");
        cr_expect_str_eq(res.numero_facture, FIXTURE_NUMBER);
        chorus_correction_result_done(&res);

        inv = invoice_record();
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(inv, "statut")), "COMPLETEE");
        corr = cJSON_GetArrayItem(cJSON_GetObjectItem(inv, "corrections"), 0);
        cr_assert_not_null(corr);
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(corr, "commentaire")), "Pièces jointes");
        pj = cJSON_GetArrayItem(cJSON_GetObjectItem(corr, "piecesJointes"), 1);
        cr_assert_not_null(pj);
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(pj, "pieceJointeDesignation")), "pv réception.pdf");
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(pj, "sha256")), sha, "the PDF arrived whole");
        cJSON_Delete(inv);

        /* Completing it again is Chorus Pro's refusal (no longer suspended), not a retry. */
        cr_expect_lt(chorus_invoice_complete_sync(c, &(ChorusCompleteRequest){ .id_facture = id, .comment = "x" },
                                                  &res, &e), 0);
        cr_expect(!e.temporary);
        cr_expect_eq(e.code_retour, 20015);
        chorus_error_done(&e);
}

Test(chorus_corrections, recycle_keeps_the_number) {
        _cleanup_(chorus_client_freep) ChorusClient *c = client();
        ChorusCorrectionResult res = {};
        ChorusError e = {};
        int64_t id = invoice_in(c, "A_RECYCLER");
        cJSON *inv;

        cr_assert_eq(chorus_invoice_recycle_sync(c, &(ChorusRecycleRequest){ .id_facture = id,
                                                                             .service_code = "TRAVAUX",
                                                                             .engagement = "EJ-2026-0077" },
                                                 &res, &e), 0, "%s", strempty(e.message));
        cr_expect_str_eq(res.statut, "EN_COURS_ACHEMINEMENT");
        chorus_correction_result_done(&res);
        inv = invoice_record();
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(inv, "service_code")), "TRAVAUX");
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(inv, "engagement")), "EJ-2026-0077");
        cr_expect_eq(cJSON_GetObjectItem(inv, "identifiantFactureCPP")->valuedouble, (double) id);
        cJSON_Delete(inv);

        /* A service the buyer does not have: refused, nothing changes. */
        cr_assert_eq(emulator_set_invoice_status(emu, FIXTURE_NUMBER, "A_RECYCLER", NULL), 0);
        cr_expect_lt(chorus_invoice_recycle_sync(c, &(ChorusRecycleRequest){ .id_facture = id, .service_code = "NOPE" },
                                                 &res, &e), 0);
        cr_expect(!e.temporary);
        cr_expect_eq(e.code_retour, 20005, "%s", strempty(e.message));
        chorus_error_done(&e);
}

Test(chorus_corrections, sent_once_after_an_unclear_failure) {
        _cleanup_(chorus_client_freep) ChorusClient *c = client();
        ChorusCorrectionResult res = {};
        ChorusError e = {};
        int64_t id = invoice_in(c, "SUSPENDUE");

        cr_assert_eq(emulator_add_fault(emu, &EMULATOR_FAULT(.route = CHORUS_PATH_COMPLETE, .drop = "after_body")), 0);
        cr_expect_eq(chorus_invoice_complete_sync(c, &(ChorusCompleteRequest){ .id_facture = id, .comment = "x" },
                                                  &res, &e), -EAGAIN);
        cr_expect(e.maybe_processed);
        cr_expect_eq(emulator_count_requests(emu, CHORUS_PATH_COMPLETE), 1, "never sent again blindly");
        chorus_error_done(&e);

        /* A 429 (nothing done) is retried; a 5xx may have been processed: not. */
        cr_assert_eq(emulator_add_fault(emu, &EMULATOR_FAULT(.route = CHORUS_PATH_RECYCLE, .status = 429)), 0);
        cr_assert_eq(emulator_set_invoice_status(emu, FIXTURE_NUMBER, "A_RECYCLER", NULL), 0);
        cr_expect_eq(chorus_invoice_recycle_sync(c, &(ChorusRecycleRequest){ .id_facture = id, .service_code = "ECO" },
                                                 &res, &e), 0, "a 429 is retried: %s", strempty(e.message));
        cr_expect_eq(emulator_count_requests(emu, CHORUS_PATH_RECYCLE), 2);
        chorus_correction_result_done(&res);
}
