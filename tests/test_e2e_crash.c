/* test_e2e_crash.c — chorusd killed with SIGKILL right after each durable
 * step (CHORUSD_TEST_CRASH_AFTER, compiled in with TEST_HOOKS=1), right
 * after a deposit answer arrived but before it was recorded, and while a
 * deposit request is on the wire; then restarted. Every bilan must still
 * end in done/ with exactly one flux on Chorus Pro, gap-free numbers,
 * nothing left behind in incoming/ or processing/, and an audit log whose
 * chain verifies. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emulator.h"
#include "base/macro.h"
#include "test_daemon.h"

#define SEC TEST_USEC_PER_SEC
#define BILANS "tests/data/e2e/bilans/"
#define KILLED (128 + SIGKILL)

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

TestSuite(e2e_crash, .init = setup, .fini = teardown, .timeout = 180);

static void drop_two(void) {
        cr_assert_eq(test_daemon_drop_file(&d, "cdcmc.json", BILANS "cdcmc-2026.json"), 0);
        cr_assert_eq(test_daemon_drop_file(&d, "commune.json", BILANS "commune-2026.json"), 0);
}

static void drop_cdcmc(void) {
        cr_assert_eq(test_daemon_drop_file(&d, "cdcmc.json", BILANS "cdcmc-2026.json"), 0);
}

static void drop_inactif(void) {
        cr_assert_eq(test_daemon_drop_file(&d, "inactif.json", BILANS "inactif-2026.json"), 0);
}

/* Starts chorusd with CHORUSD_TEST_CRASH_AFTER=point, lets `drop` put its
 * bilans in incoming/, and waits for the SIGKILL at that point. The hook
 * is static: d.options keeps pointing at it until the test restarts
 * chorusd with fast_env. */
static void run_until_crash(const char *point, void (*drop)(void)) {
        static char hook[64];
        static const char *env[] = { "CHORUSD_TEST_TIME_SCALE=10", hook, NULL };
        TestDaemonOptions o = { .env = env, .chorus_extra = "poll_interval = 10\nretry_deadline = 120\n" };

        snprintf(hook, sizeof hook, "CHORUSD_TEST_CRASH_AFTER=%s", point);
        cr_assert_eq(test_daemon_setup(&d, &o), 0);
        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0);
        drop();
        cr_assert_eq(test_daemon_wait_exit(&d, 60 * SEC), 0, "chorusd never reached '%s'", point);
        cr_assert_eq(d.exit_status, KILLED, "exit status %d, not a SIGKILL at '%s'", d.exit_status, point);
}

/* done/ also holds the readable PDF and the text receipt of the job's
 * invoice, up to date (JOBID.NUMBER.xml → .pdf, .recu.txt). */
static void check_files_for_people(const char *id) {
        char *payload = test_daemon_job_field(&d, id, "PAYLOAD"), *dot, name[300], *text = NULL;

        cr_assert_not_null(payload);
        dot = strrchr(payload, '.');
        cr_assert_not_null(dot);
        *dot = 0;
        snprintf(name, sizeof name, "%s.pdf", payload);
        cr_assert(test_daemon_has_file(&d, "done", name), "no readable PDF %s in done/", name);
        snprintf(name, sizeof name, "%s.recu.txt", payload);
        cr_assert_eq(test_daemon_read_file(&d, "done", name, &text), 0, "no text receipt %s in done/", name);
        cr_assert(strstr(text, "mise en paiement (MISE_EN_PAIEMENT)"), "%s", text);
        free(text);
        free(payload);
}

/* After the restart: both jobs done, one flux each, numbers 1 and 2. */
static void check_outcome(void) {
        static const char *const names[] = { "cdcmc.json", "commune.json" };
        char numbers[2][32];
        char *out = NULL;

        for (size_t i = 0; i < 2; i++) {
                char id[25];
                cr_assert_eq(test_daemon_wait_job(&d, "done", names[i], 60 * SEC, id), 0, "%s not in done/",
                             names[i]);
                cr_assert_eq(test_daemon_wait_state(&d, id, "done", 60 * SEC), 0, "%s: job not done", names[i]);
                char *number = test_daemon_job_field(&d, id, "INVOICE");
                cr_assert_not_null(number);
                cr_assert_eq(test_emulator_invoice_count(emu, number), 1, "invoice %s is on Chorus Pro %d times",
                             number, test_emulator_invoice_count(emu, number));
                snprintf(numbers[i], sizeof numbers[i], "%s", number);
                free(number);
                check_files_for_people(id);
        }
        cr_assert_eq(test_emulator_flux_count(emu), 2, "%d fluxes for 2 bilans", test_emulator_flux_count(emu));
        /* Gap-free: the two numbers are the year's first two, in some order. */
        cr_assert(strstr(numbers[0], "-0001") || strstr(numbers[1], "-0001"), "%s %s", numbers[0], numbers[1]);
        cr_assert(strstr(numbers[0], "-0002") || strstr(numbers[1], "-0002"), "%s %s", numbers[0], numbers[1]);
        cr_assert_eq(test_daemon_count(&d, "incoming"), 0);
        cr_assert_eq(test_daemon_count(&d, "processing"), 0, "files left in processing/");
        cr_assert_eq(test_daemon_count(&d, "failed"), 0);
        cr_assert_eq(test_daemon_count(&d, "rejected"), 0);
        cr_assert_eq(test_daemon_ctl(&d, &out, "audit", "verify", NULL), 0, "audit verify: %s", out);
        free(out);
}

static void crash_and_recover(const char *point) {
        run_until_crash(point, drop_two);
        cr_assert(test_daemon_log_contains(&d, "Test hook: crashing after"));

        d.options.env = fast_env; /* no hook this time */
        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0, "no READY after the crash");
        check_outcome();
        cr_assert_eq(test_daemon_stop(&d), 0);
}

#define CRASH_TEST(name, point)                \
        Test(e2e_crash, name) {                \
                crash_and_recover(point);      \
        }

CRASH_TEST(after_received, "received")
CRASH_TEST(after_validated, "validated")
CRASH_TEST(after_numbered, "numbered")
CRASH_TEST(after_rendered, "rendered")
CRASH_TEST(after_depositing, "depositing")
CRASH_TEST(after_deposit_answered, "deposit-answered")
CRASH_TEST(after_deposited, "deposited")
CRASH_TEST(after_integrated, "integrated")
/* The grouped move to done/: the invoice, its PDF and receipts renamed
 * and done/ fsynced once, the bilan still in processing/. */
CRASH_TEST(after_moved_artifacts, "moved-artifacts")
CRASH_TEST(after_moved_to_done, "moved-done")
CRASH_TEST(after_done, "done")
/* The first text receipt, in processing/ before the move to done/. */
CRASH_TEST(after_text_receipt, "text-receipt")
/* A claim batch (manager_claim.c): its bilans renamed into processing/ and
 * copied, processing/ and incoming/ not fsynced yet; then fsynced, no job
 * started. Start-up recovery finds them in processing/ without a job. */
CRASH_TEST(after_claims_renamed, "claims-renamed")
CRASH_TEST(after_claims_synced, "claims-synced")

/* A power cut, unlike SIGKILL, can take back a state saved without the
 * fsync of jobs/ (daemon/README.md, "What is synced when"): `received` on
 * creation, `validated`, `numbered`, `rendered`, and `deposited` after
 * `depositing`. Killed right after such a save, the job's state is rolled
 * back by hand to what the disk may then hold — no state file at all for
 * `received`, the previous version for the others — and recovery must
 * still deposit each invoice once, with gap-free numbers. */
static void crash_and_roll_back(const char *point) {
        static const char *const names[] = { "cdcmc.json", "commune.json" };
        int rolled = 0;

        run_until_crash(point, drop_two);

        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                char id[25], state[32], *path = NULL, *prev = NULL;

                if (test_daemon_wait_job(&d, "processing", names[i], 0, id) < 0 ||
                    test_daemon_job_state(&d, id, state) < 0 || strcmp(state, point) != 0)
                        continue;
                cr_assert(asprintf(&path, "%s/jobs/%s.state", d.state, id) > 0);
                cr_assert(asprintf(&prev, "%s/jobs/%s.state.prev", d.state, id) > 0);
                if (strcmp(point, "received") == 0)
                        cr_assert_eq(unlink(path), 0, "%s: %m", path);
                else
                        cr_assert_eq(rename(prev, path), 0, "%s: %m", prev);
                rolled++;
                free(path);
                free(prev);
        }
        cr_assert_geq(rolled, 1, "no job was left in state %s", point);

        d.options.env = fast_env;
        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0, "no READY after the crash");
        check_outcome();
        cr_assert_eq(test_daemon_stop(&d), 0);
}

#define ROLL_BACK_TEST(name, point)            \
        Test(e2e_crash, name) {                \
                crash_and_roll_back(point);    \
        }

/* A power cut before a claim batch's one fsync of processing/ and
 * incoming/ may take its renames back: each bilan is put back in incoming/
 * by hand, as the disk would then show it. It is claimed again, once. */
Test(e2e_crash, claim_batch_lost_before_its_sync) {
        static const char *const names[] = { "cdcmc.json", "commune.json" };
        int moved = 0;

        run_until_crash("claims-renamed", drop_two);
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                char id[25], *from = NULL, *to = NULL;

                if (test_daemon_wait_job(&d, "processing", names[i], 0, id) < 0)
                        continue;
                cr_assert(asprintf(&from, "%s/processing/%s--%s", d.spool, id, names[i]) > 0);
                cr_assert(asprintf(&to, "%s/incoming/%s", d.spool, names[i]) > 0);
                cr_assert_eq(rename(from, to), 0, "%s: %m", from);
                cr_assert_neq(access(to, F_OK), -1);
                moved++;
                free(from);
                free(to);
        }
        cr_assert_geq(moved, 1, "no bilan was claimed before the crash");

        d.options.env = fast_env;
        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0, "no READY after the crash");
        check_outcome();
        cr_assert_eq(test_daemon_stop(&d), 0);
}

ROLL_BACK_TEST(lazy_received_lost, "received")
ROLL_BACK_TEST(lazy_rendered_lost, "rendered")
ROLL_BACK_TEST(lazy_deposited_lost, "deposited")

/* Killed while a Chorus Pro rejection goes to failed/: right after its
 * state was saved ("rejected"), or after its error file was written
 * ("failed-file"). Recovery finishes the move: the bilan, its invoice and
 * one error file with Chorus Pro's reason in failed/, nothing left in
 * processing/. */
static void crash_while_failing(const char *point) {
        char id[25], error_name[64], *text = NULL, *out = NULL;

        run_until_crash(point, drop_inactif);

        d.options.env = fast_env;
        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0, "no READY after the crash");
        cr_assert_eq(test_daemon_wait_job(&d, "failed", "inactif.json", 30 * SEC, id), 0);
        snprintf(error_name, sizeof error_name, "%s.error.txt", id);
        cr_assert(test_daemon_has_file(&d, "failed", error_name), "no error file in failed/");
        cr_assert_eq(test_daemon_read_file(&d, "failed", error_name, &text), 0);
        cr_assert(strstr(text, "20034003700015"), "Chorus Pro's reason is missing:\n%s", text);
        free(text);
        snprintf(error_name, sizeof error_name, "%s.error-1.txt", id);
        cr_assert(!test_daemon_has_file(&d, "failed", error_name), "a second error file for one failure");
        cr_assert_eq(test_daemon_count(&d, "processing"), 0, "files left in processing/");
        cr_assert_eq(test_daemon_ctl(&d, &out, "audit", "verify", NULL), 0, "audit verify: %s", out);
        free(out);
        cr_assert_eq(test_daemon_stop(&d), 0);
}

Test(e2e_crash, after_rejected) {
        crash_while_failing("rejected");
}

Test(e2e_crash, after_failed_file) {
        crash_while_failing("failed-file");
}

/* SIGKILL from outside while the emulator holds the deposit request (fully
 * sent) and has not answered: on restart the job is in depositing, looks
 * the number up, finds it once Chorus Pro integrated it, and adopts it. */
Test(e2e_crash, killed_while_the_deposit_is_on_the_wire) {
        TestDaemonOptions o = { .env = fast_env, .chorus_extra = "poll_interval = 10\nretry_deadline = 120\n" };
        char id[25];

        cr_assert_eq(emulator_add_fault(emu, &EMULATOR_FAULT(.route = "/cpro/factures/v1/deposer/flux", .count = 1,
                                                             .delay_ms = 3000)),
                     0);
        cr_assert_eq(test_daemon_setup(&d, &o), 0);
        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0);
        drop_two();
        cr_assert_eq(test_daemon_wait_job(&d, "processing", "cdcmc.json", 30 * SEC, id), 0);
        /* Wait until one deposit request has reached the emulator. */
        uint64_t deadline = test_now_usec() + 30 * SEC;
        while (emulator_count_requests(emu, "/cpro/factures/v1/deposer/flux") < 1 && test_now_usec() < deadline)
                usleep(20000);
        cr_assert_geq(emulator_count_requests(emu, "/cpro/factures/v1/deposer/flux"), 1);
        test_daemon_kill(&d);
        cr_assert_eq(d.exit_status, KILLED);

        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0);
        check_outcome();
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* Killed once the deposit has reached Chorus Pro, and then the job state
 * that said "depositing" is found torn (a disk fault, a hand edit): the
 * job resumes from JOBID.state.prev, which says "rendered". The deposit
 * may have left, so it is looked up, never sent blindly a second time. */
Test(e2e_crash, torn_depositing_state_is_looked_up_not_deposited_again) {
        static const char *const names[] = { "cdcmc.json", "commune.json" };
        int torn = 0;

        run_until_crash("deposit-answered", drop_two);
        cr_assert_geq(test_emulator_flux_count(emu), 1, "the crash came after a deposit");

        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                char id[25], state[32], *path = NULL, *prev = NULL;

                if (test_daemon_wait_job(&d, "processing", names[i], 0, id) < 0 ||
                    test_daemon_job_state(&d, id, state) < 0 || strcmp(state, "depositing") != 0)
                        continue;
                cr_assert(asprintf(&path, "%s/jobs/%s.state", d.state, id) > 0);
                cr_assert(asprintf(&prev, "%s/jobs/%s.state.prev", d.state, id) > 0);
                cr_assert_eq(access(prev, F_OK), 0, "no previous state to resume from");
                cr_assert_eq(truncate(path, 20), 0, "%s: %m", path); /* torn: no END=1 */
                torn++;
                free(path);
                free(prev);
        }
        cr_assert_geq(torn, 1, "a job was depositing when chorusd was killed");

        d.options.env = fast_env;
        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0, "no READY after the crash");
        cr_assert(test_daemon_log_contains(&d, "resumed from the previous one"));
        check_outcome();
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* Killed right after a claim, and the bilan in processing/ is then a
 * symbolic link (swapped there while chorusd was down). On restart it is
 * rejected with the same explanation as at a claim, never followed and
 * never retried until failed/. */
Test(e2e_crash, unreadable_bilan_after_a_crash_is_rejected) {
        char id[25], error_name[64], *path = NULL, *target = NULL, *text = NULL;

        run_until_crash("received", drop_cdcmc);
        cr_assert_eq(test_daemon_wait_job(&d, "processing", "cdcmc.json", 0, id), 0);
        cr_assert(asprintf(&path, "%s/processing/%s--cdcmc.json", d.spool, id) > 0);
        target = realpath(BILANS "cdcmc-2026.json", NULL);
        cr_assert_not_null(target);
        cr_assert_eq(unlink(path), 0);
        cr_assert_eq(symlink(target, path), 0, "%s: %m", path);

        d.options.env = fast_env;
        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0);
        cr_assert_eq(test_daemon_wait_job(&d, "rejected", "cdcmc.json", 30 * SEC, id), 0, "not rejected");
        snprintf(error_name, sizeof error_name, "%s--cdcmc.json.error.txt", id);
        cr_assert_eq(test_daemon_wait_file(&d, "rejected", error_name, 5 * SEC), 0);
        cr_assert_eq(test_daemon_read_file(&d, "rejected", error_name, &text), 0);
        cr_assert(strstr(text, "lien symbolique"), "%s", text);
        cr_assert_eq(test_daemon_count(&d, "processing"), 0, "files left in processing/");
        cr_assert_eq(test_daemon_count(&d, "failed"), 0);
        cr_assert_eq(test_emulator_flux_count(emu), 0);
        free(text);
        free(target);
        free(path);
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* Issue 9, item 7: the bilan in processing/ is changed after its claim
 * (here while chorusd is down; the staff could before, the file being
 * theirs). The hash recorded at the claim, shown by `chorusctl status`,
 * no longer matches: the job does not use it, even though it is still a
 * valid bilan, and nothing is deposited. */
Test(e2e_crash, bilan_changed_after_the_claim_is_not_used) {
        char id[25], error_name[80], *path = NULL, *text = NULL, *out = NULL, *sha;
        struct stat st;
        FILE *f;

        run_until_crash("received", drop_cdcmc);
        cr_assert_eq(test_daemon_wait_job(&d, "processing", "cdcmc.json", 0, id), 0);
        sha = test_daemon_job_field(&d, id, "BILAN_SHA256");
        cr_assert_not_null(sha, "no BILAN_SHA256 in the state");
        cr_assert_eq(strlen(sha), 64);
        cr_assert_eq(test_daemon_ctl(&d, &out, "status", id, NULL), 0, "%s", out);
        cr_assert(strstr(out, "Bilan SHA-256:") && strstr(out, sha), "status does not show the hash:\n%s", out);
        free(out);

        cr_assert(asprintf(&path, "%s/processing/%s--cdcmc.json", d.spool, id) > 0);
        cr_assert_eq(stat(path, &st), 0);
        cr_assert_eq(st.st_mode & 0222, 0, "the claimed copy is writable: %o", st.st_mode & 0777);
        cr_assert_eq(chmod(path, 0640), 0);
        f = fopen(path, "a");
        cr_assert_not_null(f);
        fputs("\n\n", f); /* still the same, valid bilan for a JSON parser */
        cr_assert_eq(fclose(f), 0);

        d.options.env = fast_env;
        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0);
        cr_assert_eq(test_daemon_wait_job(&d, "rejected", "cdcmc.json", 30 * SEC, id), 0, "the changed bilan was used");
        snprintf(error_name, sizeof error_name, "%s--cdcmc.json.error.txt", id);
        cr_assert_eq(test_daemon_wait_file(&d, "rejected", error_name, 5 * SEC), 0);
        cr_assert_eq(test_daemon_read_file(&d, "rejected", error_name, &text), 0);
        cr_assert(strstr(text, "modifié après sa prise en charge"), "%s", text);
        cr_assert_eq(test_emulator_flux_count(emu), 0);
        cr_assert_eq(test_daemon_ctl(&d, &out, "audit", "verify", NULL), 0, "audit verify: %s", out);
        free(out);
        free(text);
        free(path);
        free(sha);
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* Killed again and again at random moments while four bilans go through. */
Test(e2e_crash, repeated_kills_lose_nothing) {
        static const char *const files[] = { "cdcmc-2026.json", "dept34-2026.json", "commune-2026.json",
                                             "syndicat-2026.json" };
        TestDaemonOptions o = { .env = fast_env, .chorus_extra = "poll_interval = 10\nretry_deadline = 120\n" };
        char *out = NULL;

        cr_assert_eq(test_daemon_setup(&d, &o), 0);
        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0);
        for (size_t i = 0; i < 4; i++) {
                char source[128];
                snprintf(source, sizeof source, BILANS "%s", files[i]);
                cr_assert_eq(test_daemon_drop_file(&d, files[i], source), 0);
        }
        for (unsigned round = 0; round < 6; round++) {
                usleep(150000 + 137000 * round);
                test_daemon_kill(&d);
                cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0, "no READY after kill %u", round);
        }
        for (size_t i = 0; i < 4; i++) {
                char id[25];
                cr_assert_eq(test_daemon_wait_job(&d, "done", files[i], 90 * SEC, id), 0, "%s lost", files[i]);
                cr_assert_eq(test_daemon_wait_state(&d, id, "done", 90 * SEC), 0);
                char *number = test_daemon_job_field(&d, id, "INVOICE");
                cr_assert_eq(test_emulator_invoice_count(emu, number), 1, "%s deposited %d times", number,
                             test_emulator_invoice_count(emu, number));
                free(number);
        }
        cr_assert_eq(test_emulator_flux_count(emu), 4);
        cr_assert_eq(test_daemon_count(&d, "processing"), 0);
        cr_assert_eq(test_daemon_ctl(&d, &out, "audit", "verify", NULL), 0, "%s", out);
        free(out);
        cr_assert_eq(test_daemon_stop(&d), 0);
}
