/* test_e2e_conventions.c — conventions.d/ is indexed at start, not parsed
 * (issue 14: 10 000 conventions took 1.5 s before READY=1): a broken
 * convention no longer keeps chorusd from starting; the bilans that name it
 * are rejected with what is wrong with its file, and only those, while the
 * others are invoiced. `chorusctl check-config` still reads every file. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/macro.h"
#include "emulator.h"
#include "json_mutate.h"
#include "test_daemon.h"

#define SEC TEST_USEC_PER_SEC
#define BILANS "tests/data/e2e/bilans/"
#define JOB_WAIT (60 * SEC)

static TestDaemon d;
static Emulator *emu;

static void setup(void) {
        test_e2e_setup(&emu);
}

static void teardown(void) {
        test_daemon_done(&d);
        emu = emulator_free(emu);
}

TestSuite(e2e_conventions, .init = setup, .fini = teardown, .timeout = 180);

static const char *const fast_env[] = { "CHORUSD_TEST_TIME_SCALE=10", NULL };

static void write_convention(const char *name, const char *text) {
        char path[512];
        FILE *f;

        snprintf(path, sizeof path, "%s/conventions.d/%s", d.root, name);
        f = fopen(path, "we");
        cr_assert_not_null(f, "%s", path);
        fputs(text, f);
        cr_assert_eq(fclose(f), 0);
}

/* The cdcmc-2026 bilan, naming convention `id` instead. */
static void drop_for(const char *name, const char *id) {
        _cleanup_(freep) char *bilan = test_read_file(BILANS "cdcmc-2026.json", NULL);
        _cleanup_(freep) char *other = NULL;
        char quoted[64];

        cr_assert_not_null(bilan);
        snprintf(quoted, sizeof quoted, "\"%s\"", id);
        other = test_replace_first(bilan, "\"CDCMC-2026\"", quoted);
        cr_assert_not_null(other);
        cr_assert_eq(test_daemon_drop(&d, name, other, strlen(other)), 0);
}

static char *error_file(const char *name) {
        char id[25], error_name[300];
        char *text = NULL;

        cr_assert_eq(test_daemon_wait_job(&d, "rejected", name, JOB_WAIT, id), 0, "%s never rejected", name);
        snprintf(error_name, sizeof error_name, "%s--%s.error.txt", id, name);
        cr_assert_eq(test_daemon_wait_file(&d, "rejected", error_name, 10 * SEC), 0);
        cr_assert_eq(test_daemon_read_file(&d, "rejected", error_name, &text), 0);
        return text;
}

Test(e2e_conventions, broken_convention_rejects_only_its_bilans) {
        TestDaemonOptions o = { .env = fast_env, .chorus_extra = "poll_interval = 10\nretry_deadline = 120\n" };
        _cleanup_(freep) char *broken = NULL, *unparsable = NULL, *twin = NULL, *check = NULL;
        char id[25];

        cr_assert_eq(test_daemon_setup(&d, &o), 0);
        /* Valid JSON, but not a convention; not JSON at all, named after
         * its id; and a second file with the id of a valid one. */
        write_convention("broken.json", "{\"id\": \"BROKEN\"}\n");
        write_convention("cassee-2026.json", "{\"id\": \"CASSEE-2026\", \n");
        {
                char path[512];
                _cleanup_(freep) char *seed = NULL;

                snprintf(path, sizeof path, "%s/conventions.d/commune-2026.json", d.root);
                seed = test_read_file(path, NULL);
                cr_assert_not_null(seed, "no commune-2026.json among the e2e conventions");
                write_convention("zz-copie.json", seed);
        }
        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0, "chorusd did not become ready");
        /* After READY=1, the rest of conventions.d/ is read in the
         * background and what does not load is logged: the repeated id is
         * known once that is done. */
        for (int i = 0; i < 300 && !test_daemon_log_contains(&d, "Conventions: 9 files read, 6 valid, 3 do not load");
             i++)
                usleep(100000);
        cr_assert(test_daemon_log_contains(&d, "Conventions: 9 files read, 6 valid, 3 do not load"),
                  "the background reading of conventions.d/ did not end");
        cr_assert(test_daemon_log_contains(&d, "Convention file does not load"), "nothing logged");

        drop_for("pour-broken.json", "BROKEN");
        drop_for("pour-cassee.json", "CASSEE-2026");
        drop_for("pour-commune.json", "COMMUNE-2026");
        cr_assert_eq(test_daemon_drop_file(&d, "valide.json", BILANS "cdcmc-2026.json"), 0);

        broken = error_file("pour-broken.json");
        cr_assert(strstr(broken, "la convention « BROKEN » est inutilisable"), "%s", broken);
        cr_assert(strstr(broken, "broken.json: error: "), "the convention's own error is not given:\n%s", broken);
        unparsable = error_file("pour-cassee.json");
        cr_assert(strstr(unparsable, "la convention « CASSEE-2026 » est inutilisable"), "%s", unparsable);
        cr_assert(strstr(unparsable, "cassee-2026.json"), "%s", unparsable);
        twin = error_file("pour-commune.json");
        cr_assert(strstr(twin, "COMMUNE-2026"), "%s", twin);
        cr_assert(strstr(twin, "already used by"), "the repeated id is not told:\n%s", twin);

        /* The bilan of a sound convention is invoiced all the same. */
        cr_assert_eq(test_daemon_wait_job(&d, "done", "valide.json", JOB_WAIT, id), 0, "valide.json not invoiced");
        cr_assert_eq(test_daemon_wait_state(&d, id, "done", JOB_WAIT), 0);

        /* check-config reads every file, and says what each lacks. */
        cr_assert_eq(test_daemon_ctl(&d, &check, "check-config", NULL), 78, "%s", check);
        cr_assert(strstr(check, "broken.json"), "%s", check);
        cr_assert(strstr(check, "cassee-2026.json"), "%s", check);
        cr_assert(strstr(check, "zz-copie.json"), "%s", check);
        cr_assert_eq(test_daemon_stop(&d), 0);
}
