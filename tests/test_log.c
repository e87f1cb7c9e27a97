/* test_log.c — the stderr target: "LEVEL: message key=value…", one line per
 * event whatever the message or the context fields hold, and the level
 * filter. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
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
