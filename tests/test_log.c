/* test_log.c — the stderr target: "LEVEL: message key=value…", one line per
 * event whatever the message or the context fields hold, and the level
 * filter. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/log.h"
#include "scratch.h"

/* What `f` logs to stderr. */
static char *stderr_of(void (*f)(void *)) {
        log_set_target(LOG_TARGET_STDERR);
        return scratch_stderr_of(f, NULL);
}

static void log_plain(void *userdata) {
        (void) userdata;
        log_info("claimed %s", "bilan.json");
        log_debug("not shown at the default level");
        (void) log_warning_errno(-ENOENT, "cannot open %s: %m", "x");
}

Test(log, stderr_format_and_level) {
        _cleanup_(freep) char *out = stderr_of(log_plain);

        cr_expect_str_eq(out, "info: claimed bilan.json\n"
                              "warning: cannot open x: No such file or directory\n");
}

static void log_hostile(void *userdata) {
        LogFields f = { .job = "job\n1", .flux = "CPP\r\nerror: forged" };
        (void) userdata;

        /* A server text, a file name: anything may end up in a message. */
        log_job(LOG_ERR, &f, NULL, "rejected: %s", "line one\nerror: forged line\tand a tab\x1b[31m");
}

Test(log, one_line_per_event) {
        _cleanup_(freep) char *out = stderr_of(log_hostile);

        cr_expect_str_eq(out, "error: rejected: line one error: forged line and a tab [31m job=job 1 "
                              "flux=CPP  error: forged\n");
}

static void log_crit_auto(void *userdata) {
        (void) userdata;
        (void) log_crit_errno(-EIO, "Failed to sync %s: %m", "audit.log");
}

/* "auto" with stderr not a terminal (a file here) and no journald: the
 * message must reach stderr. sd-journal reports success when its socket is
 * missing, so without a look at the socket it was silently dropped. */
Test(log, auto_without_journal_falls_back_to_stderr) {
        _cleanup_(freep) char *out = NULL;

        log_set_target(LOG_TARGET_AUTO);
        log_set_journal_socket("/nonexistent/chorusd-test/journal/socket");
        out = scratch_stderr_of(log_crit_auto, NULL);
        log_set_journal_socket(NULL);
        cr_expect_str_eq(out, "crit: Failed to sync audit.log: Input/output error\n");
}

/* A path that exists but is not a socket is no journal either. */
Test(log, auto_with_a_file_for_socket_falls_back_to_stderr) {
        _cleanup_(freep) char *out = NULL;

        log_set_target(LOG_TARGET_AUTO);
        log_set_journal_socket("/dev/null");
        out = scratch_stderr_of(log_crit_auto, NULL);
        log_set_journal_socket(NULL);
        cr_expect_str_eq(out, "crit: Failed to sync audit.log: Input/output error\n");
}
