/* test_e2e_security.c — the real chorusd (issue 9): it is not dumpable
 * once started (a core would hold the Chorus Pro secrets). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_daemon.h"

#define SEC TEST_USEC_PER_SEC

static TestDaemon d;

static void teardown(void) {
        test_daemon_done(&d);
}

TestSuite(e2e_security, .fini = teardown, .timeout = 120);

/* After kill -SEGV a core held the client secret three times and the
 * password twice: chorusd must turn core dumps off for itself. */
/* /proc/PID/status does not show the flag, and /proc/PID's owner (root when
 * not dumpable) tells nothing when the tests run as root: chorusd says
 * what prctl(PR_GET_DUMPABLE) answers, at debug level. */
Test(e2e_security, daemon_is_not_dumpable) {
        static const char *const env[] = { "CHORUSD_LOG_LEVEL=debug", NULL };
        TestDaemonOptions o = { .env = env };

        cr_assert_eq(test_daemon_setup(&d, &o), 0);
        cr_assert_eq(test_daemon_start_ready(&d, 20 * SEC), 0);
        cr_expect(test_daemon_log_contains(&d, "Core dumps off (dumpable=0)."),
                  "chorusd is dumpable: a core would hold its secrets");
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* The number of whole lines of the audit log (0 if none). */
static int audit_lines(void) {
        char path[512], *text = NULL;
        int n = 0;

        snprintf(path, sizeof path, "%s/audit.log", d.state);
        if (test_daemon_read_path(path, &text, NULL) < 0)
                return 0;
        for (char *p = text; (p = strchr(p, '\n')); p++)
                n++;
        free(text);
        return n;
}

/* An emptied or deleted audit.log was started again at seq 1 while job
 * states existed: chorusd must refuse to start, and say why. */
Test(e2e_security, deleted_audit_log_with_jobs_refuses_to_start) {
        uint64_t deadline;
        char path[512];

        cr_assert_eq(test_daemon_setup(&d, NULL), 0);
        cr_assert_eq(test_daemon_start_ready(&d, 20 * SEC), 0);
        cr_assert_eq(test_daemon_drop_file(&d, "one.json", "tests/data/e2e/bilans/cdcmc-2026.json"), 0);
        /* "claimed" then "validated": the job is past its claim. */
        deadline = test_now_usec() + 20 * SEC;
        while (audit_lines() < 2) {
                cr_assert(test_now_usec() < deadline, "the job was not validated");
                usleep(50000);
        }
        cr_assert_eq(test_daemon_stop(&d), 0);
        snprintf(path, sizeof path, "%s/audit.log", d.state);
        cr_assert_eq(unlink(path), 0);

        cr_assert_eq(test_daemon_start(&d), 0);
        cr_assert_eq(test_daemon_wait_exit(&d, 20 * SEC), 0);
        cr_expect_eq(d.exit_status, 65, "exit status %d (EX_DATAERR)", d.exit_status);
        cr_expect(test_daemon_log_contains(&d, "Refusing to start it again at seq 1"),
                  "chorusd does not say why it stops");
}

/* No key configured: keyed when there is one, a warning when not. */
Test(e2e_security, no_audit_key_is_a_warning) {
        TestDaemonOptions o = { .no_audit_key = true };

        cr_assert_eq(test_daemon_setup(&d, &o), 0);
        cr_assert_eq(test_daemon_start_ready(&d, 20 * SEC), 0);
        cr_expect(test_daemon_log_contains(&d, "warning: No audit key"), "no warning without a key");
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* With the key the tests install, the daemon's records carry a mac. */
Test(e2e_security, daemon_writes_a_keyed_log) {
        char path[512], *text = NULL;
        uint64_t deadline;

        cr_assert_eq(test_daemon_setup(&d, NULL), 0);
        cr_assert_eq(test_daemon_start_ready(&d, 20 * SEC), 0);
        cr_assert_eq(test_daemon_drop_file(&d, "keyed.json", "tests/data/e2e/bilans/cdcmc-2026.json"), 0);
        snprintf(path, sizeof path, "%s/audit.log", d.state);
        deadline = test_now_usec() + 20 * SEC;
        for (;;) {
                free(text);
                text = NULL;
                if (test_daemon_read_path(path, &text, NULL) == 0 && strchr(text, '\n'))
                        break;
                cr_assert(test_now_usec() < deadline, "nothing in the audit log");
                usleep(50000);
        }
        cr_assert_eq(test_daemon_stop(&d), 0);
        free(text);
        cr_assert_eq(test_daemon_read_path(path, &text, NULL), 0);
        for (char *line = text, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
                *nl = '\0';
                cr_expect(strstr(line, ",\"mac\":\""), "a record without mac: %s", line);
        }
        free(text);
        cr_expect_not(test_daemon_log_contains(&d, "No audit key"));
}
