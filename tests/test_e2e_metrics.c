/* test_e2e_metrics.c — the real chorusd against the emulator, with
 * [state] metrics_file: the file exists once chorusd is ready, says how
 * many jobs are in each state, counts the deposit and records the last
 * answer from Chorus Pro, as STATE_DIR/health does for `chorusctl health`;
 * once the job is over, an idle chorusd leaves both files alone.
 *
 * Needs scripts/with-emulator and a chorusd built with TEST_HOOKS=1. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "emulator.h"
#include "base/macro.h"
#include "test_daemon.h"

#define SEC TEST_USEC_PER_SEC

static TestDaemon d;
static Emulator *emu;
static char dir[] = "/tmp/test_e2e_metrics-XXXXXX";
static char metrics[sizeof dir + 32];

static void setup(void) {
        test_e2e_setup(&emu);
        cr_assert(mkdtemp(dir));
        snprintf(metrics, sizeof metrics, "%s/chorusd.prom", dir);
}

static void teardown(void) {
        test_daemon_done(&d);
        emu = emulator_free(emu);
        (void) unlink(metrics);
        (void) rmdir(dir);
}

TestSuite(e2e_metrics, .init = setup, .fini = teardown, .timeout = 180);

/* Waits until the metrics file contains `needle`; returns its text. */
static char *wait_metrics(const char *needle, uint64_t timeout) {
        uint64_t end = test_now_usec() + timeout;
        char *text = NULL;

        for (;;) {
                free(text);
                text = NULL;
                if (test_daemon_read_path(metrics, &text, NULL) >= 0 && strstr(text, needle))
                        return text;
                if (test_now_usec() > end)
                        break;
                usleep(100 * 1000);
        }
        cr_assert_fail("the metrics file never said '%s':\n%s", needle, text ? text : "(no file)");
        return NULL;
}

/* The value of the sample `name` (with its trailing space), not its # HELP. */
static uint64_t value_of(const char *text, const char *name) {
        char line[128];
        const char *p;

        snprintf(line, sizeof line, "\n%s", name);
        p = strstr(text, line);
        cr_assert(p, "no %s in:\n%s", name, text);
        return strtoull(p + strlen(line), NULL, 10);
}

static struct timespec mtime_of(const char *path) {
        struct stat st;
        cr_assert_eq(stat(path, &st), 0, "%s", path);
        return st.st_mtim;
}

Test(e2e_metrics, counts_deposits_and_the_last_contact) {
        static const char *const env[] = { "CHORUSD_TEST_TIME_SCALE=100", NULL };
        char extra[sizeof metrics + 32], id[25], *text, *out = NULL, health_path[512];
        uint64_t start = (uint64_t) time(NULL), contact;
        struct timespec before, after;
        struct stat st;
        TestDaemonOptions o = {
                .env = env,
                .chorus_extra = "poll_interval = 10\nretry_deadline = 120\nlifecycle_poll_interval = 300\n",
                .state_extra = extra,
        };

        snprintf(extra, sizeof extra, "metrics_file = %s", metrics);
        cr_assert_eq(test_daemon_setup(&d, &o), 0);
        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0, "chorusd did not become ready");

        /* Written at start, every non-terminal state listed. */
        text = wait_metrics("chorusd_deposits_total 0\n", 10 * SEC);
        cr_expect(strstr(text, "# TYPE chorusd_jobs gauge\nchorusd_jobs{state=\"received\"} 0\n"), "%s", text);
        cr_expect(strstr(text, "chorusd_jobs{state=\"integrated\"} 0\n"), "%s", text);
        cr_expect_null(strstr(text, "state=\"done\""), "%s", text);
        cr_expect(strstr(text, "chorusd_failures_total 0\n"), "%s", text);
        cr_expect(strstr(text, "chorusd_chorus_last_contact_timestamp_seconds 0\n"), "%s", text);
        cr_expect(value_of(text, "chorusd_start_timestamp_seconds ") >= start, "%s", text);
        cr_expect(strstr(text, "# TYPE chorusd_syncs_total counter\nchorusd_syncs_total "), "%s", text);
        cr_expect(value_of(text, "chorusd_metrics_timestamp_seconds ") >= start, "%s", text);
        free(text);
        cr_assert_eq(stat(metrics, &st), 0);
        cr_expect_eq(st.st_mode & 0777, 0644, "node_exporter must read it: %o", st.st_mode & 0777);

        cr_assert_eq(test_daemon_drop_file(&d, "cdcmc-2026.json", "tests/data/e2e/bilans/cdcmc-2026.json"), 0);
        cr_assert_eq(test_daemon_wait_job(&d, "done", "cdcmc-2026.json", 60 * SEC, id), 0);
        cr_assert_eq(test_daemon_wait_state(&d, id, "done", 60 * SEC), 0);

        /* Within the coalescing interval (5 s) of the last change. */
        text = wait_metrics("chorusd_deposits_total 1\n", 10 * SEC);
        text = (free(text), wait_metrics("chorusd_jobs{state=\"integrated\"} 0\n", 10 * SEC));
        cr_expect(strstr(text, "chorusd_failures_total 0\n"), "%s", text);
        contact = value_of(text, "chorusd_chorus_last_contact_timestamp_seconds ");
        cr_expect(contact >= start, "contact %" PRIu64 ", start %" PRIu64, contact, start);
        cr_expect(contact <= (uint64_t) time(NULL), "contact %" PRIu64, contact);
        /* One bilan made durable: its syncs are counted. */
        cr_expect(value_of(text, "chorusd_syncs_total ") > 0, "%s", text);
        free(text);

        /* STATE_DIR/health has it too, and chorusctl health reads it. */
        snprintf(health_path, sizeof health_path, "%s/health", d.state);
        cr_assert_eq(test_daemon_read_path(health_path, &text, NULL), 0);
        cr_expect(strstr(text, "VERSION=1\nLAST_CONTACT_USEC="), "%s", text);
        cr_expect(strstr(text, "\nEND=1\n"), "%s", text);
        free(text);
        cr_expect_eq(test_daemon_ctl(&d, &out, "health", NULL), 0, "%s", out);
        cr_expect(strstr(out, "CHORUSD OK - 1 jobs, 0 in failed/ | ") && strstr(out, " last_contact="), "%s", out);
        free(out);

        /* ping records the password expiry; health --ping asks Chorus Pro. */
        cr_expect_eq(test_daemon_ctl(&d, &out, "ping", NULL), 0, "%s", out);
        free(out);
        snprintf(health_path, sizeof health_path, "%s/chorus-account", d.state);
        cr_assert_eq(test_daemon_read_path(health_path, &text, NULL), 0);
        cr_expect(strstr(text, "\nPASSWORD_EXPIRY="), "%s", text);
        free(text);
        cr_expect_eq(test_daemon_ctl(&d, &out, "health", "--ping", NULL), 0, "%s", out);
        cr_expect(strstr(out, " password_days="), "%s", out);
        free(out);

        /* Idle: nothing changes, nothing is written. */
        usleep(6 * 1000 * 1000);
        before = mtime_of(metrics);
        usleep(6 * 1000 * 1000);
        after = mtime_of(metrics);
        cr_expect(before.tv_sec == after.tv_sec && before.tv_nsec == after.tv_nsec,
                  "an idle chorusd rewrote the metrics file");
        cr_assert_eq(test_daemon_stop(&d), 0);
}
