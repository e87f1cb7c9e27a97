/* test_e2e_security.c — the real chorusd (issue 9): it is not dumpable
 * once started (a core would hold the Chorus Pro secrets). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
