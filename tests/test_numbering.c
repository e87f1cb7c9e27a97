/* test_numbering.c — durable, gap-free invoice numbers (numbering.h) on a
 * scratch state directory: the sequence, the year change, idempotent
 * re-allocation, one invoice per convention, voiding, and crashes injected
 * after each durable step (a failed rename stands for a crash there: what
 * was fsynced before it is what a restart finds). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "service/numbering.h"
#include "scratch.h"

#define J1 "20261210-100000-00000001"
#define J2 "20261210-100000-00000002"
#define J3 "20261210-100000-00000003"
#define J4 "20261210-100000-00000004"

static char prefix[] = "CMA34-";
static Config config = { .invoice = { .number_prefix = prefix } };
static const Date DEC10 = { 2026, 12, 10 }, DEC11 = { 2026, 12, 11 }, JAN5 = { 2027, 1, 5 };

static char *dir;
static Numbering *num;

static void setup(void) {
        dir = scratch_new();
        cr_assert_eq(numbering_open(dir, &num), 0);
}

static void teardown(void) {
        scratch_faults_off();
        numbering_free(num);
        scratch_remove(dir);
}

TestSuite(numbering, .init = setup, .fini = teardown);

static void reopen(void) {
        numbering_free(num);
        num = NULL;
        cr_assert_eq(numbering_open(dir, &num), 0);
}

static void expect_number(const char *job, const char *conv, Date today, int ret, const char *number) {
        NumberingEntry e = {};

        cr_assert_eq(numbering_allocate(num, &config, job, conv, today, &e, NULL), ret, "%s", number);
        cr_assert_str_eq(e.number, number);
        cr_assert_str_eq(e.job_id, job);
        cr_assert_str_eq(e.convention, conv);
}

/* Lines of the ledger that contain `needle`. */
static int ledger_count(const char *needle) {
        char *nd = scratch_path(dir, NUMBERING_DIR), *text = scratch_read(nd, "ledger");
        int n = 0;

        cr_assert_not_null(text);
        for (char *p = text; (p = strstr(p, needle)); p++)
                n++;
        free(text);
        free(nd);
        return n;
}

Test(numbering, sequence) {
        uint64_t last;

        expect_number(J1, "CONV-A", DEC10, 0, "CMA34-2026-0001");
        expect_number(J2, "CONV-B", DEC10, 0, "CMA34-2026-0002");
        expect_number(J3, "CONV-C", DEC11, 0, "CMA34-2026-0003");
        cr_assert_eq(numbering_last_sequence(num, 2026, &last), 0);
        cr_assert_eq(last, 3);
        cr_assert_eq(numbering_last_sequence(num, 2025, &last), 0);
        cr_assert_eq(last, 0);
        cr_assert_eq(ledger_count("\tallocated\t"), 3);
        reopen();
        expect_number(J4, "CONV-D", DEC11, 0, "CMA34-2026-0004");
}

Test(numbering, year_change) {
        expect_number(J1, "CONV-A", DEC10, 0, "CMA34-2026-0001");
        expect_number(J2, "CONV-B", JAN5, 0, "CMA34-2027-0001");
        expect_number(J4, "CONV-D", JAN5, 0, "CMA34-2027-0002");
}

/* A clock set back (here 400 days, then one day) must not number invoices
 * in an earlier year, or date one before invoices already issued: refused,
 * nothing used, and the job that already has its number still gets it. */
Test(numbering, clock_set_back_allocates_nothing) {
        static const Date LAST_YEAR = { 2025, 11, 7 };
        NumberingEntry e = {}, last = {};
        uint64_t seq;

        cr_assert_eq(numbering_clock_behind(num, LAST_YEAR, &last), 0, "nothing allocated yet");
        expect_number(J1, "CONV-A", DEC10, 0, "CMA34-2026-0001");
        expect_number(J2, "CONV-B", DEC11, 0, "CMA34-2026-0002");
        /* What validation asks first (job_intake.c), the same rule. */
        cr_assert_eq(numbering_clock_behind(num, LAST_YEAR, &last), 1);
        cr_assert_str_eq(last.number, "CMA34-2026-0002");
        cr_assert_eq(numbering_clock_behind(num, DEC10, NULL), 1);
        cr_assert_eq(numbering_clock_behind(num, DEC11, NULL), 0);
        cr_assert_eq(numbering_allocate(num, &config, J3, "CONV-C", LAST_YEAR, &e, &last), -ETIME);
        cr_assert_str_eq(last.number, "CMA34-2026-0002");
        cr_assert_eq(date_compare(last.issue_date, DEC11), 0);
        cr_assert_eq(numbering_allocate(num, &config, J3, "CONV-C", DEC10, &e, &last), -ETIME);
        cr_assert_eq(numbering_last_sequence(num, 2025, &seq), 0);
        cr_assert_eq(seq, 0);
        cr_assert_eq(numbering_lookup_job(num, J3, &e), -ENOENT);
        cr_assert_eq(numbering_lookup_convention(num, "CONV-C", &e), -ENOENT);
        cr_assert_eq(numbering_allocate(num, &config, J1, "CONV-A", LAST_YEAR, &e, NULL), 1);
        reopen();
        cr_assert_eq(numbering_allocate(num, &config, J3, "CONV-C", LAST_YEAR, &e, NULL), -ETIME);
        /* The clock is right again: the sequence goes on, no gap. */
        expect_number(J3, "CONV-C", DEC11, 0, "CMA34-2026-0003");
        /* A counter that only knows a later year (no last allocation). */
        char *nd = scratch_path(dir, NUMBERING_DIR);
        scratch_write(nd, "counter", "VERSION=1\nYEAR_2026=3\nYEAR_2027=1\nEND=1\n");
        cr_assert_eq(numbering_allocate(num, &config, J4, "CONV-D", DEC11, &e, &last), -ETIME);
        cr_assert_eq(last.issue_date.year, 2027);
        expect_number(J4, "CONV-D", JAN5, 0, "CMA34-2027-0002");
        free(nd);
}

Test(numbering, sequence_grows_past_four_digits) {
        char *nd = scratch_path(dir, NUMBERING_DIR);

        scratch_write(nd, "counter", "VERSION=1\nYEAR_2026=9999\nEND=1\n");
        expect_number(J1, "CONV-A", DEC10, 0, "CMA34-2026-10000");
        free(nd);
}

Test(numbering, reallocation_is_idempotent) {
        NumberingEntry e = {};

        expect_number(J1, "CONV-A", DEC10, 0, "CMA34-2026-0001");
        /* Asked again (a crash before the job state recorded it), even on
         * another day: the same number and the same issue date. */
        cr_assert_eq(numbering_allocate(num, &config, J1, "CONV-A", DEC11, &e, NULL), 1);
        cr_assert_str_eq(e.number, "CMA34-2026-0001");
        cr_assert_eq(date_compare(e.issue_date, DEC10), 0);
        expect_number(J2, "CONV-B", DEC10, 0, "CMA34-2026-0002");
        cr_assert_eq(ledger_count("CMA34-2026-0001"), 1);
        cr_assert_eq(numbering_lookup_job(num, J1, &e), 0);
        cr_assert_str_eq(e.number, "CMA34-2026-0001");
        cr_assert_eq(numbering_lookup_job(num, J3, &e), -ENOENT);
}

Test(numbering, one_invoice_per_convention) {
        NumberingEntry e = {}, conflict = {};
        uint64_t last;

        expect_number(J1, "CDCMC-2026", DEC10, 0, "CMA34-2026-0001");
        cr_assert_eq(numbering_record_flux(num, J1, "CPP_FLUX_42"), 0);
        cr_assert_eq(numbering_allocate(num, &config, J2, "CDCMC-2026", DEC11, &e, &conflict), -EEXIST);
        cr_assert_str_eq(conflict.number, "CMA34-2026-0001");
        cr_assert_str_eq(conflict.job_id, J1);
        cr_assert_str_eq(conflict.flux, "CPP_FLUX_42");
        cr_assert_eq(numbering_last_sequence(num, 2026, &last), 0);
        cr_assert_eq(last, 1, "a refused bilan consumes no number");
        cr_assert_eq(numbering_lookup_convention(num, "CDCMC-2026", &e), 0);
        cr_assert_str_eq(e.flux, "CPP_FLUX_42");
        cr_assert_not(e.voided);
        cr_assert_eq(numbering_lookup_convention(num, "OTHER", &e), -ENOENT);
        cr_assert_eq(ledger_count("\tflux\t"), 1);
}

Test(numbering, void_and_reallocate) {
        NumberingEntry e = {}, v = {};

        expect_number(J1, "CONV-A", DEC10, 0, "CMA34-2026-0001");
        expect_number(J2, "CONV-B", DEC10, 0, "CMA34-2026-0002");
        cr_assert_eq(numbering_void(num, J1, "rejected by Chorus Pro: wrong buyer", &v), 0);
        cr_assert_str_eq(v.number, "CMA34-2026-0001");
        cr_assert(v.voided);
        cr_assert_eq(numbering_void(num, J1, "again", NULL), -ENOENT);
        cr_assert_eq(numbering_lookup_job(num, J1, &e), -ENOENT);
        cr_assert_eq(numbering_lookup_convention(num, "CONV-A", &e), 0);
        cr_assert(e.voided);
        /* Requeued: a new number, never the voided one. */
        expect_number(J1, "CONV-A", DEC11, 0, "CMA34-2026-0003");
        cr_assert_eq(numbering_lookup_convention(num, "CONV-A", &e), 0);
        cr_assert_str_eq(e.number, "CMA34-2026-0003");
        cr_assert_not(e.voided);
        cr_assert_eq(ledger_count("\tvoided\tCMA34-2026-0001\t"), 1);
        /* The job's file still lists what it voided. */
        char *jd = scratch_path(dir, NUMBERING_DIR "/by-job"), *text = scratch_read(jd, J1);
        cr_assert_not_null(strstr(text, "VOIDED=CMA34-2026-0001\n"), "%s", text);
        cr_assert_not_null(strstr(text, "NUMBER=CMA34-2026-0003\n"), "%s", text);
        free(text);
        free(jd);
}

Test(numbering, voided_convention_may_be_invoiced_by_another_job) {
        expect_number(J1, "CONV-A", DEC10, 0, "CMA34-2026-0001");
        cr_assert_eq(numbering_void(num, J1, "rejected", NULL), 0);
        expect_number(J2, "CONV-A", DEC11, 0, "CMA34-2026-0002");
        /* J1 may not come back for it now. */
        NumberingEntry e, conflict;
        cr_assert_eq(numbering_allocate(num, &config, J1, "CONV-A", DEC11, &e, &conflict), -EEXIST);
        cr_assert_str_eq(conflict.job_id, J2);
}

Test(numbering, too_long_consumes_nothing) {
        static char long_prefix[] = "A-VERY-LONG-PREFIX-";
        Config lc = { .invoice = { .number_prefix = long_prefix } };
        NumberingEntry e;
        uint64_t last;

        cr_assert_eq(numbering_allocate(num, &lc, J1, "CONV-A", DEC10, &e, NULL), -ERANGE);
        cr_assert_eq(numbering_last_sequence(num, 2026, &last), 0);
        cr_assert_eq(last, 0);
        expect_number(J1, "CONV-A", DEC10, 0, "CMA34-2026-0001");
}

Test(numbering, bad_arguments) {
        NumberingEntry e;

        cr_assert_eq(numbering_allocate(num, &config, "../etc", "CONV-A", DEC10, &e, NULL), -EINVAL);
        cr_assert_eq(numbering_allocate(num, &config, J1, "../x", DEC10, &e, NULL), -EINVAL);
        cr_assert_eq(numbering_allocate(num, &config, J1, "CONV", (Date){ 2026, 2, 30 }, &e, NULL), -EINVAL);
        cr_assert_eq(numbering_record_flux(num, J1, ""), -EINVAL);
        cr_assert_eq(numbering_record_flux(num, J1, "F"), -ENOENT);
}

/* Which numbers are bound, to whom: every number 1..n exactly once. */
static void assert_gap_free(int n, const char *const jobs[]) {
        char expected[INVOICE_NUMBER_MAX + 1];
        bool seen[16] = {};

        for (int k = 0; jobs[k]; k++) {
                NumberingEntry e;
                cr_assert_eq(numbering_lookup_job(num, jobs[k], &e), 0, "job %s has no number", jobs[k]);
                int seq = atoi(e.number + strlen("CMA34-2026-"));
                cr_assert(seq >= 1 && seq <= n, "%s", e.number);
                cr_assert_not(seen[seq], "%s bound twice", e.number);
                seen[seq] = true;
        }
        for (int s = 1; s <= n; s++) {
                snprintf(expected, sizeof expected, "CMA34-2026-%04d", s);
                cr_assert(seen[s], "%s is a gap", expected);
                cr_assert_eq(ledger_count(expected), 1, "%s in the ledger", expected);
        }
}

/* A crash after each durable step of J2's allocation (renames: 1 the
 * counter, 2 by-convention/, 3 by-job/; the ledger append sits between 2
 * and 3), then another job allocates before J2 is resumed: no gap, no
 * number twice, and J2 gets back what it had been given. */
Test(numbering, crash_at_every_step_leaves_no_gap) {
        static const char *const jobs[] = { J1, J2, J3, NULL };

        for (unsigned step = 1; step <= 3; step++) {
                FaultPlan plan = { .op = FS_OP_RENAME, .fail_at = step, .error = -EIO };
                NumberingEntry e = {};
                int r;

                teardown();
                setup();
                expect_number(J1, "CONV-A", DEC10, 0, "CMA34-2026-0001");
                scratch_faults(&plan);
                r = numbering_allocate(num, &config, J2, "CONV-B", DEC10, &e, NULL);
                scratch_faults_off();
                cr_assert_eq(r, -EIO, "step %u", step);
                reopen(); /* the restart */
                /* J3 asks first; then J2 is resumed and asks again. */
                cr_assert_eq(numbering_allocate(num, &config, J3, "CONV-C", DEC10, &e, NULL), 0);
                cr_assert_str_eq(e.number, step == 1 ? "CMA34-2026-0002" : "CMA34-2026-0003", "step %u", step);
                r = numbering_allocate(num, &config, J2, "CONV-B", DEC10, &e, NULL);
                cr_assert_eq(r, step == 1 ? 0 : 1, "step %u", step);
                cr_assert_str_eq(e.number, step == 1 ? "CMA34-2026-0003" : "CMA34-2026-0002", "step %u", step);
                assert_gap_free(3, jobs);
        }
}

/* A crash after each durable step of voiding J1's number (renames: 1
 * by-convention/, 2 by-job/; the ledger append sits between them), then
 * another job takes the convention before J1 voids again: the number stays
 * voided, once, never bound again; no gap, no number twice. */
Test(numbering, crash_while_voiding_leaves_no_gap) {
        static const char *const jobs[] = { J2, J3, NULL };

        for (unsigned step = 1; step <= 2; step++) {
                FaultPlan plan = { .op = FS_OP_RENAME, .fail_at = step, .error = -EIO };
                NumberingEntry e = {}, c = {};
                int r;

                teardown();
                setup();
                expect_number(J1, "CONV-A", DEC10, 0, "CMA34-2026-0001");
                scratch_faults(&plan);
                cr_assert_eq(numbering_void(num, J1, "rejected", NULL), -EIO, "step %u", step);
                scratch_faults_off();
                reopen();
                /* Voided in by-convention/ (step 2): J2 may take the convention. */
                r = numbering_allocate(num, &config, J2, "CONV-A", DEC10, &e, &c);
                cr_assert_eq(r, step == 1 ? -EEXIST : 0, "step %u", step);
                cr_assert_eq(numbering_void(num, J1, "rejected", NULL), 0, "step %u: voiding again", step);
                cr_assert_eq(numbering_lookup_job(num, J1, &e), -ENOENT, "step %u", step);
                if (step == 1)
                        expect_number(J2, "CONV-A", DEC10, 0, "CMA34-2026-0002");
                expect_number(J3, "CONV-C", DEC11, 0, "CMA34-2026-0003");
                cr_assert_eq(numbering_lookup_convention(num, "CONV-A", &e), 0);
                cr_assert_str_eq(e.number, "CMA34-2026-0002", "step %u", step);
                cr_assert_not(e.voided, "step %u", step);
                /* Redone after J2's line, the void may show twice (numbering.c). */
                cr_assert_geq(ledger_count("\tvoided\tCMA34-2026-0001\t"), 1, "step %u", step);
                /* 0001 stays J1's, voided; 0002 and 0003 are bound once each. */
                for (int k = 0; jobs[k]; k++) {
                        cr_assert_eq(numbering_lookup_job(num, jobs[k], &e), 0);
                        cr_assert_str_eq(e.number, k == 0 ? "CMA34-2026-0002" : "CMA34-2026-0003");
                }
                char *jd = scratch_path(dir, NUMBERING_DIR "/by-job"), *text = scratch_read(jd, J1);
                cr_assert_not_null(strstr(text, "VOIDED=CMA34-2026-0001\n"), "step %u: %s", step, text);
                cr_assert_null(strstr(text, "NUMBER="), "step %u: %s", step, text);
                free(text);
                free(jd);
        }
}

/* The same crashes, but nobody else asks in between and the daemon is not
 * restarted (numbering is reused in the same process). */
Test(numbering, crash_then_same_job_asks_again) {
        for (unsigned step = 1; step <= 3; step++) {
                FaultPlan plan = { .op = FS_OP_RENAME, .fail_at = step, .error = -EIO };
                NumberingEntry e = {};

                teardown();
                setup();
                scratch_faults(&plan);
                cr_assert_eq(numbering_allocate(num, &config, J1, "CONV-A", DEC10, &e, NULL), -EIO);
                scratch_faults_off();
                cr_assert_eq(numbering_allocate(num, &config, J1, "CONV-A", DEC11, &e, NULL), step == 1 ? 0 : 1);
                cr_assert_str_eq(e.number, "CMA34-2026-0001");
                cr_assert_eq(date_compare(e.issue_date, step == 1 ? DEC11 : DEC10), 0);
                cr_assert_eq(ledger_count("CMA34-2026-0001"), 1, "step %u", step);
        }
}

Test(numbering, fsync_failure_is_fatal) {
        FaultPlan plan = { .op = FS_OP_FSYNC, .fail_at = 1, .error = -EIO };
        NumberingEntry e;

        scratch_faults(&plan);
        cr_assert_eq(numbering_allocate(num, &config, J1, "CONV-A", DEC10, &e, NULL), -EIO);
        scratch_faults_off();
}

Test(numbering, ledger_fdatasync_failure_is_fatal) {
        FaultPlan plan = { .op = FS_OP_FDATASYNC, .fail_at = 1, .error = -EIO };
        NumberingEntry e;

        scratch_faults(&plan);
        cr_assert_eq(numbering_allocate(num, &config, J1, "CONV-A", DEC10, &e, NULL), -EIO);
        scratch_faults_off();
}

Test(numbering, torn_ledger_line_is_cut_at_open) {
        char *nd = scratch_path(dir, NUMBERING_DIR), *text;
        FILE *f;

        expect_number(J1, "CONV-A", DEC10, 0, "CMA34-2026-0001");
        char *ledger = scratch_path(nd, "ledger");
        f = fopen(ledger, "ae");
        fputs("2026-12-10T00:00:00Z\tallocated\tCMA34-20", f);
        fclose(f);
        reopen();
        text = scratch_read(nd, "ledger");
        cr_assert_eq(text[strlen(text) - 1], '\n');
        cr_assert_eq(ledger_count("\tallocated\t"), 1);
        free(text);
        free(ledger);
        free(nd);
}

/* Every line of the ledger: a timestamp and five tab-separated fields. */
static void assert_ledger_well_formed(unsigned expected_lines) {
        char *nd = scratch_path(dir, NUMBERING_DIR), *text = scratch_read(nd, "ledger"), *save = NULL;
        unsigned lines = 0;

        cr_assert_not_null(text);
        cr_assert_eq(text[strlen(text) - 1], '\n', "the ledger ends with a torn line");
        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                unsigned tabs = 0;
                for (char *p = l; *p; p++)
                        tabs += *p == '\t';
                cr_assert_eq(tabs, 5, "ledger line %u is not one record: '%s'", lines + 1, l);
                cr_assert_eq(strncmp(l, "20", 2), 0, "ledger line %u: '%s'", lines + 1, l);
                lines++;
        }
        cr_assert_eq(lines, expected_lines);
        free(text);
        free(nd);
}

/* The power fails while J2's "allocated" line is being appended: the ledger
 * ends with a torn line, and the counter holds J2's reservation. At the
 * restart, completing the reservation must not glue its line to the torn
 * bytes (O_APPEND writes after them). */
Test(numbering, torn_ledger_line_with_a_pending_reservation) {
        FaultPlan plan = { .op = FS_OP_RENAME, .fail_at = 3, .error = -EIO }; /* by-job/ */
        char *nd = scratch_path(dir, NUMBERING_DIR), *ledger = scratch_path(nd, "ledger");
        NumberingEntry e = {};
        struct stat st;

        expect_number(J1, "CONV-A", DEC10, 0, "CMA34-2026-0001");
        scratch_faults(&plan);
        cr_assert_eq(numbering_allocate(num, &config, J2, "CONV-B", DEC10, &e, NULL), -EIO);
        scratch_faults_off();
        /* What reached the disk of the append: all but its last 9 bytes. */
        cr_assert(stat(ledger, &st) == 0);
        cr_assert(truncate(ledger, st.st_size - 9) == 0);

        reopen();
        assert_ledger_well_formed(2);
        cr_assert_eq(ledger_count("\tallocated\tCMA34-2026-0002\t" J2 "\tCONV-B\t\n"), 1);
        cr_assert_eq(numbering_allocate(num, &config, J2, "CONV-B", DEC10, &e, NULL), 1);
        cr_assert_str_eq(e.number, "CMA34-2026-0002");
        free(ledger);
        free(nd);
}

/* A new ledger's name is made durable (folder fsync), like every file. */
Test(numbering, new_ledger_fsyncs_its_folder) {
        FaultPlan plan = { .op = FS_OP_FSYNC, .fail_at = 1, .error = -EIO };
        char *nd = scratch_path(dir, NUMBERING_DIR), *ledger = scratch_path(nd, "ledger");

        numbering_free(num);
        num = NULL;
        cr_assert(unlink(ledger) == 0);
        scratch_faults(&plan);
        cr_assert_eq(numbering_open(dir, &num), -EIO);
        scratch_faults_off();
        reopen();
        scratch_faults(&plan);
        reopen(); /* the ledger exists now: nothing to fsync at open */
        scratch_faults_off();
        free(ledger);
        free(nd);
}

/* A damaged by-job/ file (a key twice) stops the job: it is not taken for
 * "no number yet", which would bind a second number to the job. */
Test(numbering, repeated_key_is_damage_not_absence) {
        char *jd = scratch_path(dir, NUMBERING_DIR "/by-job"), *text, *damaged = NULL;
        NumberingEntry e;
        uint64_t last;

        expect_number(J1, "CONV-A", DEC10, 0, "CMA34-2026-0001");
        cr_assert_eq(numbering_record_flux(num, J1, "CPP_FLUX_1"), 0);
        text = scratch_read(jd, J1);
        cr_assert(asprintf(&damaged, "VERSION=1\nNUMBER=CMA34-2026-0009\n%s", strchr(text, '\n') + 1) > 0);
        scratch_write(jd, J1, damaged);
        cr_assert_eq(numbering_allocate(num, &config, J1, "CONV-A", DEC11, &e, NULL), -EBADMSG);
        cr_assert_eq(numbering_lookup_job(num, J1, &e), -EBADMSG);
        /* It was the last allocation, which cannot be checked now: numbering
         * stops, as with a damaged counter, until it is repaired. */
        cr_assert_eq(numbering_last_sequence(num, 2026, &last), -EBADMSG);
        char *nd = scratch_path(dir, NUMBERING_DIR), *counter = scratch_read(nd, "counter");
        cr_assert_not_null(strstr(counter, "\nYEAR_2026=1\n"), "no second number for the job: %s", counter);
        free(counter);
        free(nd);
        char *after = scratch_read(jd, J1);
        cr_assert_str_eq(after, damaged, "the damaged file is left for the administrator");
        free(after);
        free(damaged);
        scratch_write(jd, J1, text); /* repaired */
        free(text);
        cr_assert_eq(numbering_last_sequence(num, 2026, &last), 0);
        cr_assert_eq(last, 1);

        /* An optional key twice is damage too. */
        expect_number(J2, "CONV-B", DEC10, 0, "CMA34-2026-0002");
        text = scratch_read(jd, J2);
        cr_assert(asprintf(&damaged, "VERSION=1\nFLUX=A\nFLUX=B\n%s", strchr(text, '\n') + 1) > 0);
        scratch_write(jd, J2, damaged);
        cr_assert_eq(numbering_lookup_job(num, J2, &e), -EBADMSG);
        free(damaged);
        free(text);
        free(jd);
}

Test(numbering, damaged_counter_stops_allocation) {
        char *nd = scratch_path(dir, NUMBERING_DIR);
        NumberingEntry e;

        expect_number(J1, "CONV-A", DEC10, 0, "CMA34-2026-0001");
        scratch_write(nd, "counter", "VERSION=1\nYEAR_2026=1\n"); /* torn */
        cr_assert_eq(numbering_allocate(num, &config, J2, "CONV-B", DEC10, &e, NULL), -EBADMSG);
        free(nd);
}

/* chorusctl and the daemon open the same directory: the lock keeps their
 * allocations apart. */
Test(numbering, two_openers_share_the_sequence) {
        Numbering *other = NULL;
        NumberingEntry e;

        cr_assert_eq(numbering_open(dir, &other), 0);
        expect_number(J1, "CONV-A", DEC10, 0, "CMA34-2026-0001");
        cr_assert_eq(numbering_allocate(other, &config, J2, "CONV-B", DEC10, &e, NULL), 0);
        cr_assert_str_eq(e.number, "CMA34-2026-0002");
        expect_number(J3, "CONV-C", DEC10, 0, "CMA34-2026-0003");
        numbering_free(other);
}

/* ---- Credit notes --------------------------------------------------------------- */

/* A credit note takes the next number of the same sequence, never holds the
 * convention; once integrated (record_credited) the convention is free and
 * a corrected bilan gets the third number. */
Test(numbering, credit_note_same_register_then_convention_free) {
        NumberingEntry e = {}, conflict = {};

        expect_number(J1, "CONV-A", DEC10, 0, "CMA34-2026-0001");
        cr_assert_eq(numbering_record_flux(num, J1, "CPP_FLUX_1"), 0);
        cr_assert_eq(numbering_allocate_credit(num, &config, J2, "CONV-A", "CMA34-2026-0001", DEC11, &e, NULL), 0);
        cr_assert_str_eq(e.number, "CMA34-2026-0002");
        cr_assert_str_eq(e.credits, "CMA34-2026-0001");
        /* Again after a crash: the same number. */
        cr_assert_eq(numbering_allocate_credit(num, &config, J2, "CONV-A", "CMA34-2026-0001", DEC11, &e, NULL), 1);
        cr_assert_str_eq(e.number, "CMA34-2026-0002");
        cr_assert_eq(numbering_record_flux(num, J2, "CPP_FLUX_2"), 0);
        /* The convention is still the invoice's: a new bilan is refused. */
        cr_assert_eq(numbering_lookup_convention(num, "CONV-A", &e), 0);
        cr_assert_str_eq(e.number, "CMA34-2026-0001");
        cr_assert_str_eq(e.flux, "CPP_FLUX_1");
        cr_assert_eq(numbering_allocate(num, &config, J3, "CONV-A", DEC11, &e, &conflict), -EEXIST);
        /* The credit note integrated: free, and idempotent. */
        cr_assert_eq(numbering_record_credited(num, J2), 1);
        expect_number(J4, "CONV-B", DEC11, 0, "CMA34-2026-0003"); /* another line in the ledger */
        cr_assert_eq(numbering_record_credited(num, J2), 0);
        cr_assert_eq(ledger_count("\tcredited\tCMA34-2026-0001\t"), 1);
        cr_assert_eq(numbering_lookup_convention(num, "CONV-A", &e), 0);
        cr_assert_str_eq(e.credited_by, "CMA34-2026-0002");
        /* No second credit note of a credited invoice. */
        cr_assert_eq(numbering_allocate_credit(num, &config, J3, "CONV-A", "CMA34-2026-0001", DEC11, &e, &conflict),
                     -ESTALE);
        expect_number(J3, "CONV-A", DEC11, 0, "CMA34-2026-0004");
        cr_assert_eq(numbering_record_credited(num, J2), 0, "the convention moved on: nothing more");
        cr_assert_eq(ledger_count("\tcredited\t"), 1);
        cr_assert_eq(numbering_record_credited(num, J1), -ENOENT, "an invoice is not a credit note");
}

Test(numbering, credit_note_needs_the_live_invoice) {
        NumberingEntry e = {}, conflict = {};

        cr_assert_eq(numbering_allocate_credit(num, &config, J2, "CONV-A", "CMA34-2026-0001", DEC10, &e, NULL),
                     -ESTALE, "no invoice at all");
        expect_number(J1, "CONV-A", DEC10, 0, "CMA34-2026-0001");
        cr_assert_eq(numbering_allocate_credit(num, &config, J2, "CONV-A", "CMA34-2026-0009", DEC10, &e, &conflict),
                     -ESTALE);
        cr_assert_str_eq(conflict.number, "CMA34-2026-0001");
        cr_assert_eq(numbering_void(num, J1, "rejected", NULL), 0);
        cr_assert_eq(numbering_allocate_credit(num, &config, J2, "CONV-A", "CMA34-2026-0001", DEC10, &e, NULL),
                     -ESTALE, "a voided invoice is not credited");
        cr_assert_eq(numbering_allocate_credit(num, &config, J2, "CONV-A", "", DEC10, &e, NULL), -EINVAL);
}

/* A crash at each durable step of a credit note's allocation: completed at
 * the next open, no gap, the convention left to its invoice. */
Test(numbering, crash_while_allocating_a_credit_note_leaves_no_gap) {
        for (unsigned step = 1; step <= 2; step++) {
                FaultPlan plan = { .op = FS_OP_RENAME, .fail_at = step, .error = -EIO };
                NumberingEntry e = {};
                int r;

                teardown();
                setup();
                expect_number(J1, "CONV-A", DEC10, 0, "CMA34-2026-0001");
                scratch_faults(&plan);
                r = numbering_allocate_credit(num, &config, J2, "CONV-A", "CMA34-2026-0001", DEC10, &e, NULL);
                scratch_faults_off();
                cr_assert_eq(r, -EIO, "step %u", step);
                reopen();
                r = numbering_allocate_credit(num, &config, J2, "CONV-A", "CMA34-2026-0001", DEC10, &e, NULL);
                cr_assert(r == 0 || r == 1, "step %u: %d", step, r);
                cr_assert_str_eq(e.number, "CMA34-2026-0002", "step %u", step);
                cr_assert_str_eq(e.credits, "CMA34-2026-0001", "step %u", step);
                cr_assert_eq(numbering_lookup_convention(num, "CONV-A", &e), 0);
                cr_assert_str_eq(e.number, "CMA34-2026-0001", "step %u: the credit note took the convention", step);
                expect_number(J3, "CONV-B", DEC10, 0, "CMA34-2026-0003");
        }
}

Test(numbering, one_credit_request_per_invoice_job) {
        char existing[JOB_ID_MAX];

        cr_assert_eq(numbering_lookup_credit(num, J1, existing), -ENOENT);
        cr_assert_eq(numbering_request_credit(num, J1, J2, existing), 0);
        cr_assert_eq(numbering_request_credit(num, J1, J2, existing), 1);
        cr_assert_eq(numbering_request_credit(num, J1, J3, existing), -EEXIST);
        cr_assert_str_eq(existing, J2);
        reopen();
        cr_assert_eq(numbering_lookup_credit(num, J1, existing), 0);
        cr_assert_str_eq(existing, J2);
}
