/* test_e2e_credit.c — credit notes (avoirs) end to end with the emulator:
 * an invoice deposited and integrated, `chorusctl credit`, the credit note
 * (type 381, typeFacture AVOIR on Chorus Pro) numbered in the same register,
 * deposited once and integrated, a second credit refused, a corrected bilan
 * refused while the credit note is not integrated and accepted after it,
 * under a third number; and chorusd killed at each durable step of the
 * credit note's way then restarted: no number lost, nothing deposited
 * twice. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "emulator.h"
#include "base/macro.h"
#include "test_daemon.h"

#define SEC TEST_USEC_PER_SEC
#define BILAN "tests/data/e2e/bilans/cdcmc-2026.json"
#define KILLED (128 + SIGKILL)
#define REASON "Bilan corrigé : un accompagnement compté deux fois"

static TestDaemon d;
static Emulator *emu;
static const char *const fast_env[] = { "CHORUSD_TEST_TIME_SCALE=10", NULL };

static void setup(void) {
        test_e2e_setup(&emu);
}

static void teardown(void) {
        test_daemon_done(&d);
        emu = emulator_free(emu);
}

TestSuite(e2e_credit, .init = setup, .fini = teardown, .timeout = 240);

static void start(void) {
        TestDaemonOptions o = { .env = fast_env, .chorus_extra = "poll_interval = 10\nretry_deadline = 120\n" };

        cr_assert_eq(test_daemon_setup(&d, &o), 0);
        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0);
}

/* The bilan, with another author: a corrected bilan of the same convention. */
static void drop_corrected(const char *name) {
        char *data = NULL, *p;
        size_t size;

        cr_assert_eq(test_daemon_read_path(BILAN, &data, &size), 0);
        p = strstr(data, "Service économie, CMA 34");
        cr_assert_not_null(p);
        memcpy(p, "Service economie, CMA 34", strlen("Service economie, CMA 34"));
        memmove(p + strlen("Service economie, CMA 34"), p + strlen("Service économie, CMA 34"),
                strlen(p + strlen("Service économie, CMA 34")) + 1);
        cr_assert_eq(test_daemon_drop(&d, name, data, strlen(data)), 0);
        free(data);
}

/* The invoice of the bilan, deposited, integrated and paid (done/). */
static void invoice_done(char id[static 25]) {
        char *number;

        cr_assert_eq(test_daemon_drop_file(&d, "cdcmc.json", BILAN), 0);
        cr_assert_eq(test_daemon_wait_job(&d, "done", "cdcmc.json", 60 * SEC, id), 0, "the invoice never reached done/");
        cr_assert_eq(test_daemon_wait_state(&d, id, "done", 60 * SEC), 0);
        number = test_daemon_job_field(&d, id, "INVOICE");
        cr_assert_not_null(number);
        cr_assert(strstr(number, "-0001"), "%s", number);
        free(number);
}

/* The credit job chorusctl credit recorded for invoice job `id`. */
static void credit_job_of(const char *id, char ret[static 25]) {
        char path[512], *text = NULL, *p;
        size_t size;

        snprintf(path, sizeof path, "%s/numbers/credits/%s", d.state, id);
        cr_assert_eq(test_daemon_read_path(path, &text, &size), 0, "no %s", path);
        p = strstr(text, "CREDIT_JOB=");
        cr_assert_not_null(p, "%s", text);
        snprintf(ret, 25, "%.24s", p + strlen("CREDIT_JOB="));
        free(text);
}

static void credit(const char *id, char credit_id[static 25]) {
        char *out = NULL;

        cr_assert_eq(test_daemon_ctl(&d, &out, "credit", id, "--reason", REASON, "--as", "Marie Dupont", NULL), 0,
                     "credit: %s", out);
        free(out);
        credit_job_of(id, credit_id);
}

/* The credit note of the first invoice: -0002, on Chorus Pro once, as an AVOIR. */
static void check_credit_note(const char *credit_id) {
        char *number, *of;
        cJSON *list = NULL;

        number = test_daemon_job_field(&d, credit_id, "INVOICE");
        cr_assert_not_null(number);
        cr_assert(strstr(number, "-0002"), "credit note number %s, expected …-0002", number);
        of = test_daemon_job_field(&d, credit_id, "CREDIT_OF_INVOICE");
        cr_assert(of && strstr(of, "-0001"), "%s", of);
        free(of);
        cr_assert_eq(test_emulator_invoice_count(emu, number), 1, "credit note %s on Chorus Pro %d times", number,
                     test_emulator_invoice_count(emu, number));
        cr_assert_eq(emulator_invoices(emu, number, &list), 0);
        {
                _cleanup_(freep) char *s = cJSON_PrintUnformatted(list);
                cr_assert(s && strstr(s, "AVOIR"), "not an AVOIR on Chorus Pro: %s", s);
        }
        cJSON_Delete(list);
        free(number);
}

/* A corrected bilan after the credit note: a third number, once on Chorus Pro. */
static void corrected_invoiced(void) {
        char id[25], *number, *out = NULL;

        drop_corrected("cdcmc-corrige.json");
        cr_assert_eq(test_daemon_wait_job(&d, "done", "cdcmc-corrige.json", 60 * SEC, id), 0,
                     "the corrected bilan never reached done/");
        cr_assert_eq(test_daemon_wait_state(&d, id, "done", 60 * SEC), 0);
        number = test_daemon_job_field(&d, id, "INVOICE");
        cr_assert(number && strstr(number, "-0003"), "corrected invoice %s, expected …-0003", number);
        cr_assert_eq(test_emulator_invoice_count(emu, number), 1);
        free(number);
        cr_assert_eq(test_emulator_flux_count(emu), 3, "three documents, three fluxes");
        cr_assert_eq(test_daemon_ctl(&d, &out, "audit", "verify", NULL), 0, "audit verify: %s", out);
        free(out);
}

Test(e2e_credit, credit_note_once_then_a_corrected_invoice) {
        char id[25], credit_id[25], *out = NULL, path[512], *audit = NULL;
        size_t size;

        start();
        invoice_done(id);

        /* While the invoice stands, a corrected bilan is refused. */
        drop_corrected("trop-tot.json");
        {
                char rid[25];
                cr_assert_eq(test_daemon_wait_job(&d, "rejected", "trop-tot.json", 30 * SEC, rid), 0,
                             "a corrected bilan was accepted before the credit note");
        }

        credit(id, credit_id);
        cr_assert_eq(test_daemon_wait_state(&d, credit_id, "done", 90 * SEC), 0, "the credit note never got done");
        check_credit_note(credit_id);

        /* One credit note per invoice. */
        cr_assert_eq(test_daemon_ctl(&d, &out, "credit", id, "--reason", "encore", NULL), 65, "%s", out);
        cr_assert(strstr(out, "already has a credit note"), "%s", out);
        free(out);
        /* Nor a credit note of a credit note. */
        cr_assert_eq(test_daemon_ctl(&d, &out, "credit", credit_id, "--reason", "non", NULL), 65, "%s", out);
        free(out);

        snprintf(path, sizeof path, "%s/audit.log", d.state);
        cr_assert_eq(test_daemon_read_path(path, &audit, &size), 0);
        cr_assert(strstr(audit, "\"event\":\"credit_requested\""), "no credit_requested record");
        cr_assert(strstr(audit, "\"event\":\"credited\""), "no credited record");
        cr_assert(strstr(audit, "Marie Dupont"));
        free(audit);

        corrected_invoiced();
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* The credit note's way is in the audit log: asked, then credited once
 * integrated, whatever the crash (a step killed right after its state was
 * saved is recorded as "resumed" at the restart, as for any job). */
static void assert_audited(const char *credit_id) {
        static const char *const events[] = { "credited" };
        char path[512], *audit = NULL, needle[128];
        size_t size;

        snprintf(path, sizeof path, "%s/audit.log", d.state);
        cr_assert_eq(test_daemon_read_path(path, &audit, &size), 0);
        cr_assert(strstr(audit, "\"event\":\"credit_requested\""), "no credit_requested record");
        for (size_t i = 0; i < ELEMENTSOF(events); i++) {
                snprintf(needle, sizeof needle, "\"event\":\"%s\",\"job\":\"%s\"", events[i], credit_id);
                cr_assert(strstr(audit, needle), "no %s record for the credit note's job", events[i]);
        }
        free(audit);
}

/* SIGKILL right after `point` on the credit note's way, then a restart. */
static void credit_crash_and_recover(const char *point) {
        char id[25], credit_id[25], hook[64];
        const char *env[] = { "CHORUSD_TEST_TIME_SCALE=10", hook, NULL };

        start();
        invoice_done(id);
        cr_assert_eq(test_daemon_stop(&d), 0);

        snprintf(hook, sizeof hook, "CHORUSD_TEST_CRASH_AFTER=%s", point);
        d.options.env = env;
        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0);
        credit(id, credit_id);
        cr_assert_eq(test_daemon_wait_exit(&d, 90 * SEC), 0, "chorusd never reached '%s'", point);
        cr_assert_eq(d.exit_status, KILLED, "exit status %d, not a SIGKILL at '%s'", d.exit_status, point);

        d.options.env = fast_env;
        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0, "no READY after the crash");
        cr_assert_eq(test_daemon_wait_state(&d, credit_id, "done", 90 * SEC), 0, "the credit note never got done");
        check_credit_note(credit_id);
        assert_audited(credit_id);
        corrected_invoiced();
        cr_assert_eq(test_daemon_count(&d, "processing"), 0, "files left in processing/");
        cr_assert_eq(test_daemon_count(&d, "failed"), 0);
        cr_assert_eq(test_daemon_stop(&d), 0);
}

#define CREDIT_CRASH_TEST(name, point)                  \
        Test(e2e_credit, name) {                        \
                credit_crash_and_recover(point);        \
        }

CREDIT_CRASH_TEST(crash_after_validated, "validated")
CREDIT_CRASH_TEST(crash_after_numbered, "numbered")
CREDIT_CRASH_TEST(crash_after_rendered, "rendered")
CREDIT_CRASH_TEST(crash_after_depositing, "depositing")
CREDIT_CRASH_TEST(crash_after_deposit_answered, "deposit-answered")
CREDIT_CRASH_TEST(crash_after_deposited, "deposited")
CREDIT_CRASH_TEST(crash_after_integrated, "integrated")
CREDIT_CRASH_TEST(crash_after_credited, "credited")
CREDIT_CRASH_TEST(crash_after_moved_to_done, "moved-done")
CREDIT_CRASH_TEST(crash_after_done, "done")

/* `credit` while chorusd is stopped, cut short after numbers/credits/JOB
 * (its state and bilan copy lost), then run again: the same credit job is
 * finished, and chorusd issues it once at its next start. */
Test(e2e_credit, credit_cut_short_then_finished_while_stopped) {
        char id[25], credit_id[25], again[25], path[512], *out = NULL;

        start();
        invoice_done(id);
        cr_assert_eq(test_daemon_stop(&d), 0);
        credit(id, credit_id);
        /* As if killed right after step 2. */
        snprintf(path, sizeof path, "%s/jobs/%s.state", d.state, credit_id);
        cr_assert_eq(unlink(path), 0);
        snprintf(path, sizeof path, "%s/processing/%s--cdcmc.json", d.spool, credit_id);
        cr_assert_eq(unlink(path), 0);
        cr_assert_eq(test_daemon_ctl(&d, &out, "credit", id, "--reason", REASON, NULL), 0, "%s", out);
        free(out);
        credit_job_of(id, again);
        cr_assert_str_eq(again, credit_id, "a second credit job");
        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0);
        cr_assert_eq(test_daemon_wait_state(&d, credit_id, "done", 90 * SEC), 0, "the credit note never got done");
        check_credit_note(credit_id);
        corrected_invoiced();
        /* status links the invoice, its credit note and the new invoice. */
        cr_assert_eq(test_daemon_ctl(&d, &out, "status", credit_id, NULL), 0, "%s", out);
        cr_assert(strstr(out, "Documents of convention CDCMC-2026"), "%s", out);
        cr_assert(strstr(out, "CMA34-2026-0001") && strstr(out, "CMA34-2026-0002") && strstr(out, "CMA34-2026-0003"),
                  "%s", out);
        cr_assert(strstr(out, "cancels invoice"), "%s", out);
        free(out);
        cr_assert_eq(test_daemon_stop(&d), 0);
}
