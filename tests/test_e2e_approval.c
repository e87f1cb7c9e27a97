/* test_e2e_approval.c — [invoice] approval = required, end to end with the
 * emulator: a valid bilan is previewed into review/ and waits, nothing
 * reaches Chorus Pro until `chorusctl approve`, then exactly one deposit;
 * `chorusctl cancel` sends it to rejected/ with the reason, using no
 * number; both are in the audit log with the Unix user and --as; a second
 * bilan for a convention already waiting is refused naming the waiting
 * job; SIGKILL in each approval state, then a restart, loses nothing and
 * deposits nothing twice. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emulator.h"
#include "base/macro.h"
#include "test_daemon.h"

#define SEC TEST_USEC_PER_SEC
#define BILANS "tests/data/e2e/bilans/"
#define KILLED (128 + SIGKILL)
#define DEPOSER "/cpro/factures/v1/deposer/flux"
#define APPROVAL "approval = required\n"

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

TestSuite(e2e_approval, .init = setup, .fini = teardown, .timeout = 180);

static void start(const char *const *env) {
        TestDaemonOptions o = { .env = env ? env : fast_env, .invoice_extra = APPROVAL,
                                .chorus_extra = "poll_interval = 10\nretry_deadline = 120\n" };

        cr_assert_eq(test_daemon_setup(&d, &o), 0);
        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0);
}

static const char *unix_user(void) {
        struct passwd *pw = getpwuid(getuid());
        cr_assert_not_null(pw);
        return pw->pw_name;
}

/* The job of `name` parked in review/, in state awaiting_approval, with its
 * preview and summary; nothing deposited, no number. */
static void wait_awaiting(const char *name, char id[static 25]) {
        char file[64], *number, *text = NULL;

        cr_assert_eq(test_daemon_wait_job(&d, "review", name, 30 * SEC, id), 0, "%s never reached review/", name);
        cr_assert_eq(test_daemon_wait_state(&d, id, "awaiting_approval", 10 * SEC), 0);
        snprintf(file, sizeof file, "%s.apercu.pdf", id);
        cr_assert(test_daemon_has_file(&d, "review", file), "no preview %s in review/", file);
        snprintf(file, sizeof file, "%s.apercu.txt", id);
        cr_assert_eq(test_daemon_read_file(&d, "review", file, &text), 0, "no summary %s in review/", file);
        cr_assert(strstr(text, "APERÇU — FACTURE NON ÉMISE"), "%s", text);
        cr_assert(strstr(text, id), "%s", text);
        free(text);
        number = test_daemon_job_field(&d, id, "INVOICE");
        cr_assert_null(number, "a number (%s) before approval", number);
        cr_assert_eq(test_daemon_count(&d, "processing"), 0);
}

static void assert_nothing_deposited(void) {
        cr_assert_eq(emulator_count_requests(emu, DEPOSER), 0, "a deposit before approval");
        cr_assert_eq(test_emulator_flux_count(emu), 0);
}

static void assert_review_empty_of(const char *id) {
        char file[64];

        snprintf(file, sizeof file, "%s.apercu.pdf", id);
        cr_assert(!test_daemon_has_file(&d, "review", file), "the preview stayed in review/");
        snprintf(file, sizeof file, "%s.apercu.txt", id);
        cr_assert(!test_daemon_has_file(&d, "review", file), "the summary stayed in review/");
}

/* Approved: numbered, deposited once, followed to payment in done/. */
static void approve_and_check_done(const char *id, const char *expect_number) {
        char *out = NULL, *number;

        cr_assert_eq(test_daemon_ctl(&d, &out, "approve", id, "--as", "Marie Dupont", NULL), 0, "approve: %s", out);
        free(out);
        cr_assert_eq(test_daemon_wait_state(&d, id, "done", 60 * SEC), 0, "job %s not done after approval", id);
        number = test_daemon_job_field(&d, id, "INVOICE");
        cr_assert_not_null(number);
        cr_assert(strstr(number, expect_number), "number %s, expected …%s", number, expect_number);
        cr_assert_eq(test_emulator_invoice_count(emu, number), 1, "invoice %s is on Chorus Pro %d times", number,
                     test_emulator_invoice_count(emu, number));
        free(number);
        assert_review_empty_of(id);
}

static void assert_audit(const char *event, const char *needle) {
        char path[512], *log = NULL, *p, *out = NULL, pattern[64];
        size_t size;

        snprintf(path, sizeof path, "%s/audit.log", d.state);
        cr_assert_eq(test_daemon_read_path(path, &log, &size), 0);
        snprintf(pattern, sizeof pattern, "\"event\":\"%s\"", event);
        p = strstr(log, pattern);
        cr_assert_not_null(p, "no %s record in the audit log", event);
        *strchrnul(p, '\n') = 0;
        cr_assert(strstr(p, needle), "the %s record lacks %s: %s", event, needle, p);
        free(log);
        cr_assert_eq(test_daemon_ctl(&d, &out, "audit", "verify", NULL), 0, "audit verify: %s", out);
        free(out);
}

Test(e2e_approval, nothing_is_deposited_before_approve_then_exactly_once) {
        char id[25], user[128], *text = NULL, file[64], *out = NULL;

        start(NULL);
        cr_assert_eq(test_daemon_drop_file(&d, "cdcmc.json", BILANS "cdcmc-2026.json"), 0);
        wait_awaiting("cdcmc.json", id);
        snprintf(file, sizeof file, "%s.apercu.txt", id);
        cr_assert_eq(test_daemon_read_file(&d, "review", file, &text), 0);
        cr_assert(strstr(text, "Rédigé par"), "%s", text);
        cr_assert(strstr(text, "Service économie, CMA 34"), "the bilan's author is missing:\n%s", text);
        cr_assert(strstr(text, "CDCMC-2026"), "%s", text);
        cr_assert(strstr(text, "Total à payer (TTC)"), "%s", text);
        free(text);
        /* Waiting is idle: a while later, still nothing on Chorus Pro. */
        usleep(1500 * 1000);
        assert_nothing_deposited();
        cr_assert_eq(test_daemon_ctl(&d, &out, "status", id, NULL), 0);
        cr_assert(strstr(out, "awaiting_approval"), "%s", out);
        free(out);

        approve_and_check_done(id, "-0001");
        cr_assert_eq(emulator_count_requests(emu, DEPOSER), 1);
        snprintf(user, sizeof user, "\"user\":\"%s\"", unix_user());
        assert_audit("approved", user);
        assert_audit("approved", "\"as\":\"Marie Dupont\"");
        /* chorusctl status says who approved, from the state and the history. */
        cr_assert_eq(test_daemon_ctl(&d, &out, "status", id, NULL), 0);
        snprintf(user, sizeof user, "by %s as Marie Dupont", unix_user());
        cr_assert(strstr(out, "Approved:") && strstr(out, user), "%s", out);
        cr_assert(strstr(out, "approved") && strstr(out, "as=Marie Dupont"), "%s", out);
        free(out);
        cr_assert_eq(test_daemon_ctl(&d, &out, "status", "--json", id, NULL), 0);
        snprintf(user, sizeof user, "\"approved_by\":\"%s\"", unix_user());
        cr_assert(strstr(out, user) && strstr(out, "\"approved_as\":\"Marie Dupont\""), "%s", out);
        free(out);
        /* A second approve has nothing to do. */
        cr_assert_eq(test_daemon_ctl(&d, &out, "approve", id, NULL), 65, "%s", out);
        free(out);
        cr_assert_eq(test_daemon_stop(&d), 0);
}

Test(e2e_approval, cancel_uses_no_number_and_the_convention_stays_open) {
        char id[25], id2[25], error_name[128], *text = NULL, *out = NULL, user[128];

        start(NULL);
        cr_assert_eq(test_daemon_drop_file(&d, "cdcmc.json", BILANS "cdcmc-2026.json"), 0);
        wait_awaiting("cdcmc.json", id);
        cr_assert_eq(test_daemon_ctl(&d, &out, "cancel", id, NULL), 64, "cancel without a reason: %s", out);
        free(out);
        cr_assert_eq(test_daemon_ctl(&d, &out, "cancel", id, "--reason", "Le réalisé de l'article 2 est faux", "--as",
                                     "Jean Martin", NULL),
                     0, "cancel: %s", out);
        free(out);
        cr_assert_eq(test_daemon_wait_job(&d, "rejected", "cdcmc.json", 10 * SEC, id2), 0);
        cr_assert_str_eq(id2, id);
        snprintf(error_name, sizeof error_name, "%s--cdcmc.json.error.txt", id);
        cr_assert_eq(test_daemon_read_file(&d, "rejected", error_name, &text), 0, "no error file");
        cr_assert(strstr(text, "Le réalisé de l'article 2 est faux"), "the reason is missing:\n%s", text);
        cr_assert(strstr(text, "Jean Martin"), "%s", text);
        free(text);
        char state[32];
        cr_assert_eq(test_daemon_job_state(&d, id, state), 0);
        cr_assert_str_eq(state, "invalid");
        assert_review_empty_of(id);
        assert_nothing_deposited();
        snprintf(user, sizeof user, "\"user\":\"%s\"", unix_user());
        assert_audit("cancelled", user);
        assert_audit("cancelled", "Le réalisé de l'article 2 est faux");

        /* The corrected bilan: not refused as already invoiced, and it gets
         * the year's first number: the cancel used none. */
        cr_assert_eq(test_daemon_drop_file(&d, "cdcmc-corrige.json", BILANS "cdcmc-2026.json"), 0);
        wait_awaiting("cdcmc-corrige.json", id2);
        approve_and_check_done(id2, "-0001");
        cr_assert_eq(test_emulator_flux_count(emu), 1);
        cr_assert_eq(test_daemon_stop(&d), 0);
}

Test(e2e_approval, a_second_bilan_for_a_waiting_convention_is_refused) {
        char id[25], id2[25], error_name[128], *text = NULL;

        start(NULL);
        cr_assert_eq(test_daemon_drop_file(&d, "premier.json", BILANS "cdcmc-2026.json"), 0);
        wait_awaiting("premier.json", id);
        cr_assert_eq(test_daemon_drop_file(&d, "second.json", BILANS "cdcmc-2026.json"), 0);
        cr_assert_eq(test_daemon_wait_job(&d, "rejected", "second.json", 30 * SEC, id2), 0);
        snprintf(error_name, sizeof error_name, "%s--second.json.error.txt", id2);
        cr_assert_eq(test_daemon_wait_file(&d, "rejected", error_name, 10 * SEC), 0);
        cr_assert_eq(test_daemon_read_file(&d, "rejected", error_name, &text), 0);
        cr_assert(strstr(text, "en attente d'approbation"), "%s", text);
        cr_assert(strstr(text, id), "the waiting job %s is not named:\n%s", id, text);
        free(text);
        /* The first one still waits, untouched; another convention is not held up. */
        char state[32];
        cr_assert_eq(test_daemon_job_state(&d, id, state), 0);
        cr_assert_str_eq(state, "awaiting_approval");
        cr_assert_eq(test_daemon_drop_file(&d, "commune.json", BILANS "commune-2026.json"), 0);
        wait_awaiting("commune.json", id2);
        assert_nothing_deposited();
        approve_and_check_done(id, "-0001");
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* voluntary_ctxt_switches of the daemon's main thread. */
static long context_switches(pid_t pid) {
        char path[64], *text = NULL;
        long n = -1;

        snprintf(path, sizeof path, "/proc/%d/status", (int) pid);
        if (test_daemon_read_path(path, &text, NULL) < 0)
                return -1;
        const char *p = strstr(text, "voluntary_ctxt_switches:");
        if (p)
                n = strtol(p + strlen("voluntary_ctxt_switches:"), NULL, 10);
        free(text);
        return n;
}

static void assert_idle(const char *when) {
        long before, after;

        usleep(300000); /* let the last step settle */
        before = context_switches(d.pid);
        cr_assert_geq(before, 0);
        sleep(3);
        after = context_switches(d.pid);
        cr_assert_leq(after - before, 1, "%s: the daemon woke up %ld times in 3 s", when, after - before);
}

/* A job awaiting approval has no timer: the daemon sleeps, before and
 * after a restart, however long the approval takes. */
Test(e2e_approval, a_waiting_job_costs_no_wake_up) {
        char id[25];

        start(NULL);
        cr_assert_eq(test_daemon_drop_file(&d, "cdcmc.json", BILANS "cdcmc-2026.json"), 0);
        wait_awaiting("cdcmc.json", id);
        assert_idle("waiting");
        cr_assert_eq(test_daemon_stop(&d), 0);
        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0);
        assert_idle("waiting, after a restart");
        assert_nothing_deposited();
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* ---- Crashes ---------------------------------------------------------------------- */

/* chorusd killed at `point` on the way to awaiting_approval, restarted:
 * the job waits in review/, nothing deposited; approved, once. */
static void crash_before_waiting(const char *point) {
        char hook[64], id[25];
        const char *env[] = { "CHORUSD_TEST_TIME_SCALE=10", hook, NULL };

        snprintf(hook, sizeof hook, "CHORUSD_TEST_CRASH_AFTER=%s", point);
        start(env);
        cr_assert_eq(test_daemon_drop_file(&d, "cdcmc.json", BILANS "cdcmc-2026.json"), 0);
        cr_assert_eq(test_daemon_wait_exit(&d, 60 * SEC), 0, "chorusd never reached '%s'", point);
        cr_assert_eq(d.exit_status, KILLED, "exit status %d, not a SIGKILL at '%s'", d.exit_status, point);
        d.options.env = fast_env;
        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0, "no READY after the crash");
        wait_awaiting("cdcmc.json", id);
        usleep(500 * 1000);
        assert_nothing_deposited();
        approve_and_check_done(id, "-0001");
        cr_assert_eq(test_emulator_flux_count(emu), 1);
        cr_assert_eq(test_daemon_count(&d, "processing"), 0);
        assert_audit("approved", "Marie Dupont");
        cr_assert_eq(test_daemon_stop(&d), 0);
}

Test(e2e_approval, crash_after_validated) {
        crash_before_waiting("validated");
}

Test(e2e_approval, crash_after_awaiting_approval_saved) {
        crash_before_waiting("awaiting_approval");
}

Test(e2e_approval, crash_after_moved_to_review) {
        crash_before_waiting("moved-review");
}

/* SIGKILL while the job waits (idle), restart: it still waits. */
Test(e2e_approval, kill_while_waiting) {
        char id[25], id2[25];

        start(NULL);
        cr_assert_eq(test_daemon_drop_file(&d, "cdcmc.json", BILANS "cdcmc-2026.json"), 0);
        wait_awaiting("cdcmc.json", id);
        test_daemon_kill(&d);
        cr_assert_eq(d.exit_status, KILLED);
        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0);
        wait_awaiting("cdcmc.json", id2);
        cr_assert_str_eq(id, id2);
        cr_assert(test_daemon_log_contains(&d, "awaits approval (review/)"));
        usleep(500 * 1000);
        assert_nothing_deposited();
        approve_and_check_done(id, "-0001");
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* Approved while chorusd is stopped: it goes on at the next start. A
 * chorusctl approve cut short after it saved the state, before it moved
 * the bilan (the bilan put back in review/ by hand): chorusd finishes the
 * move at start. Either way, one deposit. */
Test(e2e_approval, approval_while_stopped_and_approval_cut_short) {
        char id[25], *out = NULL, from[512], to[512];

        start(NULL);
        cr_assert_eq(test_daemon_drop_file(&d, "cdcmc.json", BILANS "cdcmc-2026.json"), 0);
        wait_awaiting("cdcmc.json", id);
        cr_assert_eq(test_daemon_stop(&d), 0);
        cr_assert_eq(test_daemon_ctl(&d, &out, "approve", id, NULL), 0, "approve: %s", out);
        free(out);
        snprintf(from, sizeof from, "%s/processing/%s--cdcmc.json", d.spool, id);
        snprintf(to, sizeof to, "%s/review/%s--cdcmc.json", d.spool, id);
        cr_assert_eq(rename(from, to), 0);
        /* approve again finishes the move too; here chorusd does. */
        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0);
        cr_assert_eq(test_daemon_wait_state(&d, id, "done", 60 * SEC), 0);
        char *number = test_daemon_job_field(&d, id, "INVOICE");
        cr_assert_eq(test_emulator_invoice_count(emu, number), 1);
        free(number);
        cr_assert_eq(emulator_count_requests(emu, DEPOSER), 1);
        assert_review_empty_of(id);
        cr_assert_eq(test_daemon_stop(&d), 0);
}

static void copy_file(const char *from, const char *to) {
        char *data = NULL;
        size_t size;
        FILE *f;

        cr_assert_eq(test_daemon_read_path(from, &data, &size), 0, "%s", from);
        f = fopen(to, "we");
        cr_assert_not_null(f, "%s", to);
        cr_assert_eq(fwrite(data, 1, size, f), size);
        cr_assert_eq(fclose(f), 0);
        free(data);
}

/* A chorusctl cancel cut short after the bilan reached rejected/, before
 * the state was saved (the state and the preview put back by hand, as they
 * were then): chorusd's start finishes it, invalid, the preview gone,
 * nothing deposited, no number. */
Test(e2e_approval, cancel_cut_short_is_finished_at_start) {
        char id[25], *out = NULL, state_path[512], saved[512], review[512], review_saved[512], state[32];

        start(NULL);
        cr_assert_eq(test_daemon_drop_file(&d, "cdcmc.json", BILANS "cdcmc-2026.json"), 0);
        wait_awaiting("cdcmc.json", id);
        cr_assert_eq(test_daemon_stop(&d), 0);
        snprintf(state_path, sizeof state_path, "%s/jobs/%s.state", d.state, id);
        snprintf(saved, sizeof saved, "%s/saved.state", d.root);
        snprintf(review, sizeof review, "%s/review/%s.apercu.txt", d.spool, id);
        snprintf(review_saved, sizeof review_saved, "%s/saved.apercu.txt", d.root);
        copy_file(state_path, saved);
        copy_file(review, review_saved);
        cr_assert_eq(test_daemon_ctl(&d, &out, "cancel", id, "--reason", "doublon", NULL), 0, "cancel: %s", out);
        free(out);
        copy_file(saved, state_path);
        copy_file(review_saved, review);
        cr_assert_eq(test_daemon_job_state(&d, id, state), 0);
        cr_assert_str_eq(state, "awaiting_approval");

        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0);
        cr_assert_eq(test_daemon_wait_state(&d, id, "invalid", 10 * SEC), 0);
        assert_review_empty_of(id);
        cr_assert_eq(test_daemon_count(&d, "review"), 0);
        cr_assert_eq(test_daemon_count(&d, "processing"), 0);
        usleep(500 * 1000);
        assert_nothing_deposited();
        cr_assert_null(test_daemon_job_field(&d, id, "INVOICE"));
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* Approved, then chorusd killed right after it numbered the job:
 * restarted, it deposits once with that number. */
Test(e2e_approval, crash_after_approved_job_numbered) {
        char id[25], *out = NULL;
        const char *env[] = { "CHORUSD_TEST_TIME_SCALE=10", "CHORUSD_TEST_CRASH_AFTER=numbered", NULL };

        start(NULL);
        cr_assert_eq(test_daemon_drop_file(&d, "cdcmc.json", BILANS "cdcmc-2026.json"), 0);
        wait_awaiting("cdcmc.json", id);
        cr_assert_eq(test_daemon_stop(&d), 0);
        d.options.env = env;
        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0);
        cr_assert_eq(test_daemon_ctl(&d, &out, "approve", id, NULL), 0, "approve: %s", out);
        free(out);
        cr_assert_eq(test_daemon_wait_exit(&d, 60 * SEC), 0, "chorusd never reached 'numbered'");
        cr_assert_eq(d.exit_status, KILLED);
        d.options.env = fast_env;
        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0);
        cr_assert_eq(test_daemon_wait_state(&d, id, "done", 60 * SEC), 0);
        char *number = test_daemon_job_field(&d, id, "INVOICE");
        cr_assert(strstr(number, "-0001"), "%s", number);
        cr_assert_eq(test_emulator_invoice_count(emu, number), 1);
        free(number);
        cr_assert_eq(emulator_count_requests(emu, DEPOSER), 1);
        cr_assert_eq(test_daemon_stop(&d), 0);
}
