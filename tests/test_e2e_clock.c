/* test_e2e_clock.c — chorusd's time handling and its exactly-once deposit
 * logic around uncertain deposits (issue 9): the wall clock stepped while
 * a deposit is looked up or while chorusd is stopped
 * (CHORUSD_TEST_WALL_CLOCK_FILE, a TEST_HOOKS build), uncertain deposits
 * in a row, a refusal of a number whose first deposit was uncertain, and
 * a clock set back before the last invoice's issue date.
 * Chorus Pro is the emulator; the time scale is 10 (poll_interval 10 s is
 * 1 s, retry_deadline 120 s is 12 s, its lookup window 6 s). */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emulator.h"
#include "base/macro.h"
#include "test_daemon.h"

#define SEC TEST_USEC_PER_SEC
#define BILANS "tests/data/e2e/bilans/"
#define JOB_WAIT (60 * SEC)
#define DEPOSIT "/cpro/factures/v1/deposer/flux"
#define SEARCH "/cpro/factures/v1/rechercher/fournisseur"

static TestDaemon d;
static Emulator *emu;
static char clock_env[600];
static const char *env[] = { "CHORUSD_TEST_TIME_SCALE=10", clock_env, NULL };

static void setup(void) {
        test_e2e_setup(&emu);
}

static void teardown(void) {
        test_daemon_done(&d);
        emu = emulator_free(emu);
}

TestSuite(e2e_clock, .init = setup, .fini = teardown, .timeout = 240);

/* The daemon's wall clock is off by `seconds` from now on. */
static void set_clock_offset(long seconds) {
        char path[512], tmp[520], text[32];
        int fd, n;

        snprintf(path, sizeof path, "%s/clock-offset", d.root);
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        n = snprintf(text, sizeof text, "%ld\n", seconds);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        cr_assert_geq(fd, 0);
        cr_assert_eq(write(fd, text, (size_t) n), n);
        cr_assert_eq(close(fd), 0);
        cr_assert_eq(rename(tmp, path), 0);
}

static void start(const char *chorus_extra, long clock_offset) {
        TestDaemonOptions o = { .env = env, .chorus_extra = chorus_extra };

        cr_assert_eq(test_daemon_setup(&d, &o), 0);
        snprintf(clock_env, sizeof clock_env, "CHORUSD_TEST_WALL_CLOCK_FILE=%s/clock-offset", d.root);
        set_clock_offset(clock_offset);
        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0, "chorusd did not become ready");
}

static void wait_log(const char *needle, uint64_t timeout) {
        uint64_t deadline = test_now_usec() + timeout;

        while (!test_daemon_log_contains(&d, needle) && test_now_usec() < deadline)
                usleep(20000);
        cr_assert(test_daemon_log_contains(&d, needle), "the log never said '%s'", needle);
}

static char *job_field(const char *id, const char *key) {
        char *v = test_daemon_job_field(&d, id, key);
        cr_assert_not_null(v, "job %s has no %s", id, key);
        return v;
}

/* The answer to the deposit is lost and Chorus Pro takes its time. While
 * the number is looked up, the wall clock jumps a day ahead: the lookup
 * window is elapsed time, so the job goes on looking (it used to conclude
 * "never arrived" at once and deposit the number a second time). */
Test(e2e_clock, forward_step_during_the_lookup_does_not_deposit_again) {
        char id[25];

        cr_assert_eq(emulator_configure(emu, "{\"auto_advance\": 0}"), 0);
        cr_assert_eq(emulator_add_fault(emu, &EMULATOR_FAULT(.route = DEPOSIT, .count = 1, .drop = "after_body")), 0);
        start("poll_interval = 10\nretry_deadline = 1200\n", 0);
        cr_assert_eq(test_daemon_drop_file(&d, "cdcmc.json", BILANS "cdcmc-2026.json"), 0);
        wait_log("may have reached Chorus Pro", JOB_WAIT);
        set_clock_offset(86400);
        wait_log("looking again in", 10 * SEC);
        usleep(4 * 1000000); /* lookups at 1, 2 and 4 s after the deposit */
        cr_assert(!test_daemon_log_contains(&d, "never arrived"), "a clock step ended the lookup window");
        cr_assert_eq(emulator_count_requests(emu, DEPOSIT), 1, "deposited again");

        cr_assert_eq(emulator_advance_flux(emu, NULL, NULL), 0);
        cr_assert_eq(test_daemon_wait_job(&d, "done", "cdcmc.json", JOB_WAIT, id), 0);
        cr_assert(test_daemon_log_contains(&d, "adopting"));
        cr_assert_eq(emulator_count_requests(emu, DEPOSIT), 1, "deposited again");
        cr_assert_eq(test_emulator_flux_count(emu), 1);
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* chorusd schedules a retry while its clock is a day ahead, is stopped,
 * and starts again once the clock was set right (a day back): the
 * persisted next attempt is a day away on the wall clock, but is bounded
 * by the delay it was given. It used to wait that day. */
Test(e2e_clock, backward_step_while_stopped_does_not_freeze_the_job) {
        char id[25], *number;

        cr_assert_eq(emulator_add_fault(emu, &EMULATOR_FAULT(.route = DEPOSIT, .count = 1000, .status = 429)), 0);
        start("poll_interval = 10\nretry_deadline = 1200\n", 86400);
        cr_assert_eq(test_daemon_drop_file(&d, "cdcmc.json", BILANS "cdcmc-2026.json"), 0);
        wait_log("trying again in", JOB_WAIT);
        test_daemon_kill(&d);
        cr_assert_eq(emulator_clear_faults(emu), 0);

        set_clock_offset(0);
        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0);
        cr_assert_eq(test_daemon_wait_job(&d, "done", "cdcmc.json", 30 * SEC, id), 0, "the job froze");
        number = job_field(id, "INVOICE");
        cr_assert_eq(test_emulator_invoice_count(emu, number), 1);
        free(number);
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* Three deposits in a row end in a 503 (Chorus Pro may have processed
 * them): each is looked up for its whole window, every lookup is answered
 * ("not found"), so this is no outage and retry_deadline is not used up.
 * The fourth deposit goes through. It used to end in failed/ ("retries ran
 * out") during the second window, whatever retry_deadline was. */
Test(e2e_clock, uncertain_deposits_in_a_row_do_not_use_up_the_deadline) {
        char id[25], *number;

        cr_assert_eq(emulator_add_fault(emu, &EMULATOR_FAULT(.route = DEPOSIT, .count = 3, .status = 503)), 0);
        start("poll_interval = 10\nretry_deadline = 120\n", 0);
        cr_assert_eq(test_daemon_drop_file(&d, "cdcmc.json", BILANS "cdcmc-2026.json"), 0);
        cr_assert_eq(test_daemon_wait_job(&d, "done", "cdcmc.json", 90 * SEC, id), 0, "not in done/ (%s)",
                     test_daemon_log_contains(&d, "retries ran out") ? "retries ran out" : "?");
        cr_assert(!test_daemon_log_contains(&d, "retries ran out"));
        cr_assert_eq(emulator_count_requests(emu, DEPOSIT), 4);
        number = job_field(id, "INVOICE");
        cr_assert_eq(test_emulator_invoice_count(emu, number), 1);
        cr_assert_eq(test_emulator_flux_count(emu), 1);
        free(number);
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* The answer to the first deposit is lost and its flux stays pending past
 * the lookup window; the number is deposited again, and Chorus Pro refuses
 * that second flux as a duplicate number while its search still does not
 * list the first. The number must not be voided (the convention would be
 * invoiced twice after a requeue): the job looks it up for a window, then
 * goes to failed/ keeping its number, saying why. Once the first flux is
 * integrated, a requeue adopts it. */
Test(e2e_clock, refused_duplicate_after_an_uncertain_deposit_keeps_its_number) {
        char id[25], error_name[64], *number, *second, *first = NULL, *text = NULL, *out = NULL, *flux;
        cJSON *fluxes = NULL, *f;
        char body[512];
        long status = 0;

        cr_assert_eq(emulator_configure(emu, "{\"auto_advance\": 0}"), 0);
        cr_assert_eq(emulator_add_fault(emu, &EMULATOR_FAULT(.route = DEPOSIT, .count = 1, .drop = "after_body")), 0);
        start("poll_interval = 10\nretry_deadline = 120\n", 0);
        cr_assert_eq(test_daemon_drop_file(&d, "cdcmc.json", BILANS "cdcmc-2026.json"), 0);
        cr_assert_eq(test_daemon_wait_job(&d, "processing", "cdcmc.json", JOB_WAIT, id), 0);
        cr_assert_eq(test_daemon_wait_state(&d, id, "deposited", JOB_WAIT), 0);
        cr_assert(test_daemon_log_contains(&d, "never arrived"));
        number = job_field(id, "INVOICE");
        second = job_field(id, "FLUX");
        cr_assert_eq(emulator_fluxes(emu, &fluxes), 0);
        cJSON_ArrayForEach(f, cJSON_GetObjectItem(fluxes, "fluxes")) {
                const char *n = cJSON_GetStringValue(cJSON_GetObjectItem(f, "numeroFluxDepot"));
                if (n && !streq(n, second))
                        first = strdup(n);
        }
        cJSON_Delete(fluxes);
        cr_assert_not_null(first);

        snprintf(body, sizeof body,
                 "{\"numeroFluxDepot\": \"%s\", \"listeErreurDP\": [{\"numeroDP\": \"%s\", "
                 "\"libelleErreurDP\": \"Numéro de facture déjà utilisé\"}]}",
                 second, number);
        cr_assert_eq(emulator_request(emu, "POST", "/_emulator/flux/advance", body, &status, NULL), 0);
        cr_assert_eq(status, 200);
        cr_assert_eq(test_daemon_wait_job(&d, "failed", "cdcmc.json", JOB_WAIT, id), 0);
        cr_assert_eq(test_daemon_wait_state(&d, id, "failed", 5 * SEC), 0, "not failed (rejected: number voided?)");
        cr_assert_null(test_daemon_job_field(&d, id, "VOIDED"), "the number was voided");
        cr_assert(!test_daemon_log_contains(&d, "Chorus Pro rejected invoice"));
        cr_assert(test_daemon_log_contains(&d, "Not voiding the number"));
        snprintf(error_name, sizeof error_name, "%s.error.txt", id);
        cr_assert_eq(test_daemon_read_file(&d, "failed", error_name, &text), 0);
        cr_assert(strstr(text, "kept, not voided"), "%s", text);
        cr_assert(strstr(text, number), "%s", text);
        free(text);

        /* Chorus Pro integrates the first flux after all: requeue adopts it. */
        cr_assert_eq(emulator_advance_flux(emu, first, "IN_INTEGRE"), 0);
        cr_assert_eq(test_daemon_ctl(&d, &out, "requeue", id, NULL), 0, "%s", out);
        free(out);
        cr_assert_eq(test_daemon_wait_job(&d, "done", "cdcmc.json", JOB_WAIT, id), 0);
        flux = job_field(id, "FLUX");
        cr_assert_str_eq(flux, first);
        free(flux);
        free(first);
        free(second);
        free(number);
        cr_assert_eq(test_daemon_stop(&d), 0);
}

static int count_in_log(const char *needle) {
        char *text = NULL;
        size_t size = 0;
        int n = 0;

        cr_assert_eq(test_daemon_read_path(d.log, &text, &size), 0);
        for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
                n++;
        free(text);
        return n;
}

/* The clock goes back 400 days after a first invoice: no number is
 * allocated (it would be in the year before, after this year's), the
 * journal says why at CRIT once for all waiting bilans, and they are
 * numbered in sequence once the clock is right again. */
Test(e2e_clock, clock_behind_the_last_issue_date_allocates_nothing) {
        static const char *const names[] = { "commune.json", "dept34.json" };
        static const char *const sources[] = { BILANS "commune-2026.json", BILANS "dept34-2026.json" };
        char id[25], first_year[8], expect[64];
        char *number;

        start("poll_interval = 10\nretry_deadline = 120\n", 0);
        cr_assert_eq(test_daemon_drop_file(&d, "cdcmc.json", BILANS "cdcmc-2026.json"), 0);
        cr_assert_eq(test_daemon_wait_job(&d, "done", "cdcmc.json", JOB_WAIT, id), 0);
        number = job_field(id, "INVOICE");
        cr_assert(strlen(number) > 10);
        snprintf(first_year, sizeof first_year, "%.4s", number + strlen(number) - 9); /* PREFIX-YYYY-0001 */
        cr_assert(strstr(number, "-0001"), "%s", number);
        free(number);

        set_clock_offset(-400L * 86400);
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                cr_assert_eq(test_daemon_drop_file(&d, names[i], sources[i]), 0);
        wait_log("earlier than the issue date", 30 * SEC);
        usleep(8 * 1000000); /* the two jobs try again (every 6 s at this scale) */
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                cr_assert_eq(test_daemon_wait_job(&d, "processing", names[i], 0, id), 0);
                cr_assert_null(test_daemon_job_field(&d, id, "INVOICE"), "%s numbered on a clock set back", names[i]);
        }
        cr_assert_eq(count_in_log("earlier than the issue date"), 1, "said more than once");

        set_clock_offset(0);
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                cr_assert_eq(test_daemon_wait_job(&d, "done", names[i], JOB_WAIT, id), 0, "%s", names[i]);
                number = job_field(id, "INVOICE");
                snprintf(expect, sizeof expect, "-%s-000", first_year);
                cr_assert(strstr(number, expect), "%s is not in %s", number, first_year);
                free(number);
        }
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* A deposit's answer is lost; every look-up of its number then gets a 503,
 * while Chorus Pro answers another job's flux reports all along. That is
 * not an outage: retry_deadline counts time without any answer from the
 * platform, so the job keeps looking instead of giving up. It used to end
 * in failed/ ("retries ran out") once its own failures filled the deadline,
 * its invoice live on Chorus Pro (the fault suite's long run saw it). */
Test(e2e_clock, failing_lookups_while_chorus_pro_answers_others_are_no_outage) {
        char a[25], b[25];

        cr_assert_eq(emulator_configure(emu, "{\"auto_advance\": 0}"), 0);
        cr_assert_eq(emulator_add_fault(emu, &EMULATOR_FAULT(.route = DEPOSIT, .count = 1, .drop = "after_body")), 0);
        cr_assert_eq(emulator_add_fault(emu, &EMULATOR_FAULT(.route = SEARCH, .count = 1000, .status = 503)), 0);
        /* retry_deadline 300 s is 30 s here; flux reports come at 1, 3, 7,
         * 15 and 31 s: never 30 s without an answer. */
        start("poll_interval = 10\nretry_deadline = 300\n", 0);
        cr_assert_eq(test_daemon_drop_file(&d, "cdcmc.json", BILANS "cdcmc-2026.json"), 0);
        cr_assert_eq(test_daemon_wait_job(&d, "processing", "cdcmc.json", JOB_WAIT, a), 0);
        wait_log("may have reached Chorus Pro", JOB_WAIT);
        cr_assert_eq(test_daemon_drop_file(&d, "commune.json", BILANS "commune-2026.json"), 0);
        cr_assert_eq(test_daemon_wait_job(&d, "processing", "commune.json", JOB_WAIT, b), 0);
        cr_assert_eq(test_daemon_wait_state(&d, b, "deposited", JOB_WAIT), 0);

        sleep(40); /* more than the deadline, with only 503s for the look-ups */
        cr_assert(!test_daemon_log_contains(&d, "retries ran out"), "the job gave up while Chorus Pro answered");
        cr_assert_gt(emulator_count_requests(emu, SEARCH), 3, "the job did not keep looking");
        cr_assert_eq(test_daemon_wait_state(&d, a, "depositing", 5 * SEC), 0);
        cr_assert_eq(emulator_count_requests(emu, DEPOSIT), 2, "a number was deposited again");
        cr_assert_eq(test_daemon_stop(&d), 0);
}
