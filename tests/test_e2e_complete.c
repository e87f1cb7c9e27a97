/* test_e2e_complete.c — completing and recycling end to end with the
 * emulator: an invoice deposited and integrated, put in SUSPENDUE (or
 * A_RECYCLER) through the emulator's control API; `chorusctl complete`
 * (or `recycle`) refuses what Chorus Pro would refuse, then records the
 * request; chorusd sends it once (the emulator checks and records the
 * body: comment, PDF name and hash; service and engagement), the invoice
 * moves to COMPLETEE (or back on its way), then to MISE_EN_PAIEMENT, and
 * the job to done; a lost answer is not followed by a second call. The
 * emulator does not advance by itself here: the test moves every status. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "emulator.h"
#include "base/macro.h"
#include "test_daemon.h"

#define SEC TEST_USEC_PER_SEC
#define KILLED (128 + SIGKILL)
#define BILAN "tests/data/e2e/bilans/cdcmc-2026.json"
#define PDF_TEXT "%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"

static TestDaemon d;
static Emulator *emu;
/* 100: lifecycle_poll_interval (300 s at least) becomes 3 s. */
static const char *const fast_env[] = { "CHORUSD_TEST_TIME_SCALE=100", NULL };
/* 10: poll_interval 1 s, lifecycle_poll_interval 30 s (the next poll of
 * a waiting invoice soon seconds away). */
static const char *const slow_env[] = { "CHORUSD_TEST_TIME_SCALE=10", NULL };
static const char *const *env = fast_env;
#define CHORUS_FAST "poll_interval = 10\nlifecycle_poll_interval = 300\n"
/* retry_deadline 120 s: an uncertain request is looked at for 60 s (0.6 s here). */
static const char *chorus_extra = CHORUS_FAST "retry_deadline = 120\n";

static void setup(void) {
        int r;

        if (!test_daemon_has_hooks())
                cr_skip_test("needs $BUILD/chorusd built with TEST_HOOKS=1 (make check does)");
        r = test_emulator_open(&emu, "0");
        if (r == -ENXIO)
                cr_skip_test("not under scripts/with-emulator");
        cr_assert_eq(r, 0);
}

static void teardown(void) {
        env = fast_env;
        chorus_extra = CHORUS_FAST "retry_deadline = 120\n";
        test_daemon_done(&d);
        emu = emulator_free(emu);
}

TestSuite(e2e_complete, .init = setup, .fini = teardown, .timeout = 120);

static void start(void) {
        TestDaemonOptions o = { .env = env, .chorus_extra = chorus_extra };

        cr_assert_eq(test_daemon_setup(&d, &o), 0);
        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0);
}

static void sleep_ms(long ms) {
        nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL);
}

/* Waits until the job's KEY is `value`. */
static void wait_field(const char *id, const char *key, const char *value) {
        uint64_t end = test_now_usec() + 40 * SEC;
        char *v = NULL;

        for (;;) {
                free(v);
                v = test_daemon_job_field(&d, id, key);
                if (v && streq(v, value))
                        break;
                cr_assert(test_now_usec() < end, "job %s: %s=%s, expected %s", id, key, strempty(v), value);
                sleep_ms(100);
        }
        free(v);
}

/* The emulator's record of the one invoice (a new cJSON). */
static cJSON *emulator_invoice(const char *number) {
        cJSON *list = NULL, *inv;

        cr_assert_eq(emulator_invoices(emu, number, &list), 0);
        cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(list, "invoices")), 1);
        inv = cJSON_DetachItemFromArray(cJSON_GetObjectItem(list, "invoices"), 0);
        cJSON_Delete(list);
        return inv;
}

/* The bilan deposited, integrated (done/), then put in `statut` on Chorus
 * Pro and seen there by chorusd. Its invoice number in ret_number. */
static void invoice_in(const char *statut, char id[static 25], char **ret_number) {
        uint64_t end = test_now_usec() + 40 * SEC;

        start();
        cr_assert_eq(test_daemon_drop_file(&d, "cdcmc.json", BILAN), 0);
        while (test_emulator_flux_count(emu) < 1) {
                cr_assert(test_now_usec() < end, "nothing deposited");
                sleep_ms(100);
        }
        cr_assert_eq(emulator_advance_flux(emu, NULL, NULL), 0);
        cr_assert_eq(test_daemon_wait_job(&d, "done", "cdcmc.json", 40 * SEC, id), 0, "never integrated");
        wait_field(id, "CPP_INVOICE_STATUS", "DEPOSEE");
        *ret_number = test_daemon_job_field(&d, id, "INVOICE");
        cr_assert_not_null(*ret_number);
        cr_assert_eq(emulator_set_invoice_status(emu, *ret_number, statut, "Le service attend une pièce"), 0);
        wait_field(id, "CPP_INVOICE_STATUS", statut);
}

/* Moves the invoice along the lifecycle to MISE_EN_PAIEMENT: the job is done. */
static void paid(const char *id, const char *number) {
        char json[160];
        long status = 0;

        snprintf(json, sizeof json, "{\"numeroFacture\": \"%s\", \"steps\": 10}", number);
        cr_assert_eq(emulator_request(emu, "POST", "/_emulator/invoice/status", json, &status, NULL), 0);
        cr_assert_eq(status, 200);
        cr_assert_eq(test_daemon_wait_state(&d, id, "done", 40 * SEC), 0, "never paid");
        wait_field(id, "CPP_INVOICE_STATUS", "MISE_EN_PAIEMENT");
}

static char *audit_log(void) {
        char path[512], *text = NULL;
        size_t size;

        snprintf(path, sizeof path, "%s/audit.log", d.state);
        cr_assert_eq(test_daemon_read_path(path, &text, &size), 0);
        return text;
}

static void write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "w");

        cr_assert_not_null(f);
        fputs(text, f);
        fclose(f);
}

static bool request_pending(const char *id) {
        char path[512];

        snprintf(path, sizeof path, "%s/corrections/%s.request", d.state, id);
        return access(path, F_OK) == 0;
}

Test(e2e_complete, suspended_invoice_completed_then_paid) {
        char id[25], pdf[512], doc[512], *number = NULL, *out = NULL, *audit, hex[65];
        unsigned char md[32];
        cJSON *inv, *corr, *pj;

        invoice_in("SUSPENDUE", id, &number);
        snprintf(pdf, sizeof pdf, "%s/attestation-tva.pdf", d.state);
        snprintf(doc, sizeof doc, "%s/attestation.docx", d.state);
        write_file(pdf, PDF_TEXT);
        write_file(doc, "PK\3\4 not a pdf");

        /* Refused before anything is recorded: not a PDF, the wrong command, nothing to send. */
        cr_assert_eq(test_daemon_ctl(&d, &out, "complete", id, "--attach", doc, NULL), 65, "%s", out);
        cr_assert(strstr(out, "not a PDF"), "%s", out);
        free(out);
        cr_assert_eq(test_daemon_ctl(&d, &out, "recycle", id, "--service", "ECO", NULL), 65, "%s", out);
        free(out);
        cr_assert_eq(test_daemon_ctl(&d, &out, "complete", id, NULL), 64, "%s", out);
        free(out);
        audit = audit_log();
        cr_assert_null(strstr(audit, "complete_requested"), "a refused request was audited");
        free(audit);

        cr_assert_eq(test_daemon_ctl(&d, &out, "complete", id, "--attach", pdf, "--comment",
                                     "Attestation de TVA jointe", "--as", "Marie Dupont", NULL), 0, "%s", out);
        free(out);

        wait_field(id, "CPP_INVOICE_STATUS", "COMPLETEE");
        cr_assert_eq(emulator_count_requests(emu, "/cpro/factures/v1/completer"), 1, "sent once");
        cr_assert(!request_pending(id), "the request stays after it was sent");
        cr_assert_null(test_daemon_job_field(&d, id, "CORRECTION_SENT"));
        inv = emulator_invoice(number);
        corr = cJSON_GetArrayItem(cJSON_GetObjectItem(inv, "corrections"), 0);
        cr_assert_not_null(corr);
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(corr, "action")), "completer");
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(corr, "commentaire")), "Attestation de TVA jointe");
        pj = cJSON_GetArrayItem(cJSON_GetObjectItem(corr, "piecesJointes"), 0);
        cr_assert_not_null(pj);
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(pj, "pieceJointeDesignation")), "attestation-tva.pdf");
        EVP_Digest(PDF_TEXT, strlen(PDF_TEXT), md, NULL, EVP_sha256(), NULL);
        for (int i = 0; i < 32; i++)
                snprintf(hex + 2 * i, 3, "%02x", md[i]);
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(pj, "sha256")), hex, "the PDF arrived whole");
        cJSON_Delete(inv);

        paid(id, number);
        cr_assert_eq(emulator_count_requests(emu, "/cpro/factures/v1/completer"), 1, "sent once");
        audit = audit_log();
        cr_assert(strstr(audit, "\"event\":\"complete_requested\""), "no complete_requested record");
        cr_assert(strstr(audit, "Marie Dupont"));
        cr_assert(strstr(audit, "\"event\":\"completed\""), "no completed record");
        cr_assert(strstr(audit, "\"event\":\"paid\""));
        free(audit);
        cr_assert_eq(test_daemon_ctl(&d, &out, "audit", "verify", NULL), 0, "audit verify: %s", out);
        free(out);
        free(number);
        cr_assert_eq(test_daemon_stop(&d), 0);
}

Test(e2e_complete, misrouted_invoice_recycled_keeps_its_number) {
        char id[25], *number = NULL, *out = NULL, *audit;
        cJSON *inv;

        invoice_in("A_RECYCLER", id, &number);
        cr_assert_eq(test_daemon_ctl(&d, &out, "complete", id, "--comment", "x", NULL), 65, "%s", out);
        free(out);
        cr_assert_eq(test_daemon_ctl(&d, &out, "recycle", id, "--service", "TRAVAUX", "--engagement",
                                     "EJ-2026-0077", NULL), 0, "%s", out);
        free(out);
        wait_field(id, "CPP_INVOICE_STATUS", "EN_COURS_ACHEMINEMENT");
        cr_assert_eq(emulator_count_requests(emu, "/cpro/factures/v1/recycler"), 1, "sent once");
        inv = emulator_invoice(number);
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(inv, "service_code")), "TRAVAUX");
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(inv, "engagement")), "EJ-2026-0077");
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(inv, "numeroFacture")), number, "same number");
        cJSON_Delete(inv);

        paid(id, number);
        cr_assert_eq(test_emulator_flux_count(emu), 1, "nothing deposited again");
        audit = audit_log();
        cr_assert(strstr(audit, "\"event\":\"recycle_requested\""));
        cr_assert(strstr(audit, "\"event\":\"recycled\""));
        free(audit);
        free(number);
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* The answer of completer lost after Chorus Pro acted on it: chorusd does
 * not send it again; the next history (COMPLETEE) tells it arrived. */
Test(e2e_complete, lost_answer_is_not_sent_again) {
        char id[25], *number = NULL, *out = NULL, *audit;

        invoice_in("SUSPENDUE", id, &number);
        cr_assert_eq(emulator_add_fault(emu, &EMULATOR_FAULT(.route = "/cpro/factures/v1/completer",
                                                             .drop = "after_body")), 0);
        cr_assert_eq(test_daemon_ctl(&d, &out, "complete", id, "--comment", "Bon de commande : BC-77", NULL), 0,
                     "%s", out);
        free(out);
        wait_field(id, "CPP_INVOICE_STATUS", "COMPLETEE");
        cr_assert(!request_pending(id));
        cr_assert_null(test_daemon_job_field(&d, id, "CORRECTION_SENT"));
        cr_assert(test_daemon_log_contains(&d, "the answer was lost; the invoice is now COMPLETEE"),
                  "the lost answer was not noticed");
        paid(id, number);
        cr_assert_eq(emulator_count_requests(emu, "/cpro/factures/v1/completer"), 1, "sent again blindly");
        audit = audit_log();
        cr_assert(strstr(audit, "\"event\":\"completed\""), "no completed record");
        free(audit);
        free(number);
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* Asked while chorusd is stopped, and the invoice paid meanwhile: at the
 * next start the request is dropped (audited), nothing is sent. */
Test(e2e_complete, stale_request_dropped) {
        char id[25], *number = NULL, *out = NULL, *audit;

        invoice_in("SUSPENDUE", id, &number);
        cr_assert_eq(test_daemon_stop(&d), 0);
        cr_assert_eq(test_daemon_ctl(&d, &out, "complete", id, "--comment", "trop tard", NULL), 0, "%s", out);
        free(out);
        cr_assert(request_pending(id));
        cr_assert_eq(test_daemon_ctl(&d, &out, "status", id, NULL), 0, "%s", out);
        cr_assert(strstr(out, "chorusctl complete, on ") && strstr(out, "trop tard") &&
                  strstr(out, "waiting for chorusd"), "status JOB does not show the request:\n%s", out);
        free(out);
        cr_assert_eq(emulator_set_invoice_status(emu, number, "MISE_EN_PAIEMENT", NULL), 0);
        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0);
        cr_assert_eq(test_daemon_wait_state(&d, id, "done", 40 * SEC), 0, "never paid");
        cr_assert(!request_pending(id), "the stale request stays");
        cr_assert_eq(emulator_count_requests(emu, "/cpro/factures/v1/completer"), 0, "sent to a paid invoice");
        audit = audit_log();
        cr_assert(strstr(audit, "\"event\":\"complete_dropped\""), "no complete_dropped record");
        free(audit);
        free(number);
        cr_assert_eq(test_daemon_stop(&d), 0);
}

static uint64_t wall_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * SEC + (uint64_t) ts.tv_nsec / 1000;
}

/* Waits until the job's next poll of the invoice is at least `ahead` away
 * (the polls of a waiting invoice grow); returns that poll's wall time. */
static uint64_t wait_next_poll_ahead(const char *id, uint64_t ahead) {
        uint64_t end = test_now_usec() + 40 * SEC;

        for (;;) {
                char *v = test_daemon_job_field(&d, id, "NEXT_ATTEMPT");
                uint64_t next = v ? strtoull(v, NULL, 10) : 0;

                free(v);
                if (next > wall_usec() + ahead)
                        return next;
                cr_assert(test_now_usec() < end, "the next poll never got %llu s away",
                          (unsigned long long) (ahead / SEC));
                sleep_ms(100);
        }
}

/* chorusd watches corrections/: a request is sent within a second, not
 * at the invoice's next poll (up to lifecycle_poll_interval away, six hours
 * by default). Before the watch, it waited for that poll. */
Test(e2e_complete, request_sent_at_once_not_at_next_poll) {
        char id[25], *number = NULL, *out = NULL;
        uint64_t next, end;

        env = slow_env;
        invoice_in("SUSPENDUE", id, &number);
        next = wait_next_poll_ahead(id, 6 * SEC);
        cr_assert_eq(test_daemon_ctl(&d, &out, "complete", id, "--comment", "Bon de commande : BC-78", NULL), 0,
                     "%s", out);
        free(out);
        end = test_now_usec() + 3 * SEC;
        while (emulator_count_requests(emu, "/cpro/factures/v1/completer") < 1) {
                cr_assert(test_now_usec() < end, "the request waited for the next poll");
                sleep_ms(50);
        }
        cr_assert(wall_usec() + 2 * SEC < next, "sent only at the next poll");
        wait_field(id, "CPP_INVOICE_STATUS", "COMPLETEE");
        cr_assert(!request_pending(id));
        cr_assert_eq(emulator_count_requests(emu, "/cpro/factures/v1/completer"), 1, "sent twice");
        free(number);
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* Chorus Pro took the completer but its status shows it only 4 s later
 * (the emulator's correction_lag), and the answer was lost: the histories
 * meanwhile still say SUSPENDUE. The request is not sent again for that:
 * only a status that stays put for the whole look-up window would (12 s
 * here, retry_deadline 2400 s / 2 scaled by 100). */
Test(e2e_complete, lagging_status_after_lost_answer_not_sent_again) {
        char id[25], *number = NULL, *out = NULL;
        long status = 0;

        chorus_extra = CHORUS_FAST "retry_deadline = 2400\n";
        invoice_in("SUSPENDUE", id, &number);
        cr_assert_eq(emulator_request(emu, "POST", "/_emulator/config", "{\"correction_lag\": 4}", &status, NULL), 0);
        cr_assert_eq(status, 200);
        cr_assert_eq(emulator_add_fault(emu, &EMULATOR_FAULT(.route = "/cpro/factures/v1/completer",
                                                             .drop = "after_body")), 0);
        cr_assert_eq(test_daemon_ctl(&d, &out, "complete", id, "--comment", "Bon de commande : BC-79", NULL), 0,
                     "%s", out);
        free(out);
        wait_field(id, "CPP_INVOICE_STATUS", "COMPLETEE");
        cr_assert_eq(emulator_count_requests(emu, "/cpro/factures/v1/completer"), 1,
                     "sent again while the status lagged");
        cr_assert(!request_pending(id));
        cr_assert_null(test_daemon_job_field(&d, id, "CORRECTION_SENT"));
        cr_assert(test_daemon_log_contains(&d, "the answer was lost; the invoice is now COMPLETEE"));
        free(number);
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* SIGKILL right after `point` on the way of a complete (or recycle)
 * request, then a restart: the request reaches Chorus Pro once (the
 * emulator counts the calls), its outcome is audited, nothing waits in
 * corrections/, and the invoice goes on to payment. */
static void correct_crash_and_recover(bool recycle, const char *point, int lag) {
        const char *route = recycle ? "/cpro/factures/v1/recycler" : "/cpro/factures/v1/completer";
        char id[25], hook[64], *number = NULL, *out = NULL, *audit, *sent = NULL;
        const char *crash_env[] = { "CHORUSD_TEST_TIME_SCALE=100", hook, NULL };
        uint64_t end;
        long status = 0;

        if (lag > 0)
                chorus_extra = CHORUS_FAST "retry_deadline = 2400\n"; /* a look-up window of 12 s */
        invoice_in(recycle ? "A_RECYCLER" : "SUSPENDUE", id, &number);
        if (lag > 0) {
                snprintf(hook, sizeof hook, "{\"correction_lag\": %d}", lag);
                cr_assert_eq(emulator_request(emu, "POST", "/_emulator/config", hook, &status, NULL), 0);
                cr_assert_eq(status, 200);
        }
        cr_assert_eq(test_daemon_stop(&d), 0);
        snprintf(hook, sizeof hook, "CHORUSD_TEST_CRASH_AFTER=%s", point);
        d.options.env = crash_env;
        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0);
        if (recycle)
                cr_assert_eq(test_daemon_ctl(&d, &out, "recycle", id, "--service", "TRAVAUX", "--engagement",
                                             "EJ-2026-0077", NULL), 0, "%s", out);
        else
                cr_assert_eq(test_daemon_ctl(&d, &out, "complete", id, "--comment", "Pièce jointe", NULL), 0, "%s",
                             out);
        free(out);
        cr_assert_eq(test_daemon_wait_exit(&d, 40 * SEC), 0, "chorusd never reached '%s'", point);
        cr_assert_eq(d.exit_status, KILLED, "exit status %d, not a SIGKILL at '%s'", d.exit_status, point);

        d.options.env = fast_env;
        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0, "no READY after the crash");
        wait_field(id, "CPP_INVOICE_STATUS", recycle ? "EN_COURS_ACHEMINEMENT" : "COMPLETEE");
        end = test_now_usec() + 20 * SEC;
        while (request_pending(id) || (sent = test_daemon_job_field(&d, id, "CORRECTION_SENT"))) {
                free(sent);
                sent = NULL;
                cr_assert(test_now_usec() < end, "the request or CORRECTION_SENT stays after '%s'", point);
                sleep_ms(100);
        }
        cr_assert_eq(emulator_count_requests(emu, route), 1, "sent %s times", recycle ? "recycler" : "completer");
        audit = audit_log();
        cr_assert(strstr(audit, recycle ? "\"event\":\"recycled\"" : "\"event\":\"completed\""),
                  "the outcome was not audited after '%s'", point);
        free(audit);
        paid(id, number);
        cr_assert_eq(emulator_count_requests(emu, route), 1, "sent again later");
        cr_assert_eq(test_emulator_flux_count(emu), 1, "deposited again");
        cr_assert_eq(test_daemon_ctl(&d, &out, "audit", "verify", NULL), 0, "audit verify: %s", out);
        free(out);
        free(number);
        cr_assert_eq(test_daemon_stop(&d), 0);
}

#define CORRECT_CRASH_TEST(name, recycle, point, lag)                \
        Test(e2e_complete, name) {                                   \
                correct_crash_and_recover(recycle, point, lag);      \
        }

/* CORRECTION_SENT saved, nothing sent: taken as lost after the look-up window, sent then. */
CORRECT_CRASH_TEST(crash_after_correction_sent, false, "correction-sent", 0)
/* Chorus Pro acted, its answer not recorded: the status says it arrived. */
CORRECT_CRASH_TEST(crash_after_correction_answered, false, "correction-answered", 0)
/* Audited and removed, the job not saved: CORRECTION_SENT forgotten. */
CORRECT_CRASH_TEST(crash_after_correction_removed, false, "correction-removed", 0)
CORRECT_CRASH_TEST(crash_after_correction_saved, false, "correction-saved", 0)
CORRECT_CRASH_TEST(recycle_crash_after_correction_sent, true, "correction-sent", 0)
CORRECT_CRASH_TEST(recycle_crash_after_correction_answered, true, "correction-answered", 0)
/* The same, Chorus Pro showing the new status 3 s late: the restarted
 * chorusd still sees SUSPENDUE and does not send it again. */
CORRECT_CRASH_TEST(crash_after_correction_answered_status_lagging, false, "correction-answered", 3)
