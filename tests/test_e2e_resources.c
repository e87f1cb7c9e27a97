/* test_e2e_resources.c — the real chorusd when resources run short: many
 * bilans at once against a slow Chorus Pro, with few file descriptors
 * (RLIMIT_NOFILE set in the child before exec, as a unit without
 * LimitNOFILE= gets 1024 under systemd). Calls to Chorus Pro are capped
 * ([chorus] max_parallel_calls), the other jobs wait their turn, and every
 * bilan ends deposited and in done/, with none left in incoming/ or
 * processing/. A test build aborts if a live job ever has nothing to wake
 * it up (manager.c), which this test would see as a dead daemon.
 *
 * Needs scripts/with-emulator and a chorusd built with TEST_HOOKS=1. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator.h"
#include "base/macro.h"
#include "test_daemon.h"

#define SEC TEST_USEC_PER_SEC
#define N_BILANS 48
#define CONVENTION_SOURCE "tests/data/e2e/conventions.d/cdcmc-2026.json"
#define BILAN_SOURCE "tests/data/e2e/bilans/cdcmc-2026.json"

static TestDaemon d;
static Emulator *emu;

static const char *const fast_env[] = { "CHORUSD_TEST_TIME_SCALE=10", NULL };
static const char *const only_cdcmc[] = { "cdcmc-2026.json", NULL };

static void setup(void) {
        test_e2e_setup(&emu);
}

static void teardown(void) {
        test_daemon_done(&d);
        emu = emulator_free(emu);
}

TestSuite(e2e_resources, .init = setup, .fini = teardown, .timeout = 300);

/* `text` with every "CDCMC-2026" replaced by `id` (same length or not). */
static char *replace_id(const char *text, const char *id) {
        const char *needle = "\"CDCMC-2026\"";
        size_t n = 0, cap = strlen(text) + 1024;
        char *out = malloc(cap);
        const char *p = text, *q;

        cr_assert_not_null(out);
        while ((q = strstr(p, needle))) {
                n += (size_t) snprintf(out + n, cap - n, "%.*s\"%s\"", (int) (q - p), p, id);
                p = q + strlen(needle);
        }
        snprintf(out + n, cap - n, "%s", p);
        return out;
}

/* N conventions LOAD-NNN (copies of CDCMC-2026: one invoice each) in the
 * daemon's conventions.d/. */
static void write_conventions(void) {
        _cleanup_(freep) char *text = NULL;
        size_t size;

        cr_assert_eq(test_daemon_read_path(CONVENTION_SOURCE, &text, &size), 0);
        for (unsigned i = 0; i < N_BILANS; i++) {
                _cleanup_(freep) char *path = NULL, *copy = NULL;
                char id[32];
                FILE *f;

                snprintf(id, sizeof id, "LOAD-%03u", i);
                copy = replace_id(text, id);
                cr_assert(asprintf(&path, "%s/conventions.d/load-%03u.json", d.root, i) > 0);
                f = fopen(path, "we");
                cr_assert_not_null(f, "%s", path);
                cr_assert_eq(fputs(copy, f) >= 0, true);
                cr_assert_eq(fclose(f), 0);
        }
}

static void drop_bilans(void) {
        _cleanup_(freep) char *text = NULL;
        size_t size;

        cr_assert_eq(test_daemon_read_path(BILAN_SOURCE, &text, &size), 0);
        for (unsigned i = 0; i < N_BILANS; i++) {
                _cleanup_(freep) char *copy = NULL;
                char id[32], name[64];

                snprintf(id, sizeof id, "LOAD-%03u", i);
                snprintf(name, sizeof name, "bilan-%03u.json", i);
                copy = replace_id(text, id);
                cr_assert_eq(test_daemon_drop(&d, name, copy, strlen(copy)), 0);
        }
}

/* 48 bilans at once, Chorus Pro answering each deposit in 3 s, and 64
 * file descriptors: uncapped, the deposits in flight took them all, the
 * claim pass stopped on EMFILE and never started again, and jobs were left
 * with no timer. Capped at 4 calls, every bilan reaches done/. */
Test(e2e_resources, few_file_descriptors_and_a_slow_chorus_pro) {
        TestDaemonOptions o = {
                .env = fast_env,
                .conventions = only_cdcmc,
                .chorus_extra = "poll_interval = 10\nretry_deadline = 3600\nmax_parallel_calls = 2\n",
                .nofile_limit = 40,
        };
        char job[25];

        cr_assert_eq(emulator_add_fault(emu, &EMULATOR_FAULT(.route = "/cpro/factures/v1/deposer/flux",
                                                               .count = N_BILANS, .delay_ms = 1500)),
                     0);
        cr_assert_eq(test_daemon_setup(&d, &o), 0);
        write_conventions();
        cr_assert_eq(test_daemon_start_ready(&d, 60 * SEC), 0, "chorusd did not become ready");
        drop_bilans(); /* all within a fraction of the deposits' 3 s */

        for (unsigned i = 0; i < N_BILANS; i++) {
                char name[64];

                snprintf(name, sizeof name, "bilan-%03u.json", i);
                cr_assert_eq(test_daemon_wait_job(&d, "done", name, 200 * SEC, job), 0,
                             "%s never reached done/ (%d left in incoming/, %d in processing/)", name,
                             test_daemon_count(&d, "incoming"), test_daemon_count(&d, "processing"));
        }
        cr_assert_eq(test_daemon_count(&d, "incoming"), 0);
        cr_assert_eq(test_daemon_count(&d, "processing"), 0);
        cr_assert(!test_daemon_log_contains(&d, "Failed to arm the timer"), "a job timer could not be armed");
        cr_assert_eq(test_emulator_flux_count(emu), N_BILANS, "one deposit per bilan");
        cr_assert_eq(test_daemon_stop(&d), 0);
}
