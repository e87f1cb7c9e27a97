/* test_manager.c — the Manager in-process: start-up, the STATUS= text, and
 * what a failed fsync does (fsutil's fault-injection hook): LOG_CRIT, no
 * more claims, the loop ends with -EIO (chorusd then exits non-zero and
 * systemd restarts it into recovery), and the bilan is not lost; a job
 * state, an error file or a move to done/ or failed/ that fails for a
 * moment (ENOSPC) is done again while chorusd runs. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/config.h"
#include "core/convention.h"
#include "chorus/credentials.h"
#include "emulator.h"
#include "service/audit.h"
#include "base/fsutil.h"
#include "service/job.h"
#include "base/log.h"
#include "service/manager.h"
#include "test_daemon.h"
#include "service/convention_dir.h"

static TestDaemon d;
static Manager *m;

static void setup(void) {
        sigset_t mask;

        if (!getenv("CHORUS_EMULATOR_URL"))
                cr_skip_test("not under scripts/with-emulator");
        /* As chorusd's main() does: sd-event takes them through a signalfd. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        cr_assert_eq(sigprocmask(SIG_BLOCK, &mask, NULL), 0);
        log_set_target(LOG_TARGET_NULL);
        cr_assert_eq(test_daemon_setup(&d, NULL), 0);
}

static void teardown(void) {
        fs_set_fault_hook(NULL, NULL);
        m = manager_free(m);
        test_daemon_done(&d);
}

TestSuite(manager, .init = setup, .fini = teardown, .timeout = 60);

static void manager_up(void) {
        _cleanup_(config_freep) Config *config = NULL;
        _cleanup_(convention_set_freep) ConventionSet *conventions = NULL;
        _cleanup_(freep) char *message = NULL;
        ChorusSecrets secrets = {};
        Diagnostics diags = DIAGNOSTICS_INIT;

        cr_assert_eq(config_load(d.config, &config, &diags), 0);
        cr_assert_eq(convention_set_load_dir(config->conventions.dir, &conventions, &diags), 0);
        diagnostics_clear(&diags);
        cr_assert_eq(credentials_load(&config->chorus, &secrets, &message), 0, "%s", message);
        cr_assert_eq(manager_new(&config, &conventions, &secrets, &m), 0);
        cr_assert_null(config, "manager_new takes the configuration");
        cr_assert_null(secrets.client_secret, "manager_new takes the secrets");
        cr_assert_eq(manager_start(m), 0);
}

Test(manager, status_counts_start_at_zero) {
        _cleanup_(freep) char *status = NULL;

        manager_up();
        cr_assert_eq(manager_status_text(m, &status), 0);
        cr_assert_str_eq(status, "0 in progress, 0 awaiting Chorus Pro, 0 followed to payment; "
                                 "since start: 0 done, 0 rejected, 0 failed");
        manager_job_state_changed(m, _JOB_STATE_INVALID, JOB_STATE_RECEIVED);
        manager_job_state_changed(m, JOB_STATE_RECEIVED, JOB_STATE_DEPOSITED);
        free(status);
        cr_assert_eq(manager_status_text(m, &status), 0);
        cr_assert(strstr(status, "0 in progress, 1 awaiting Chorus Pro"), "%s", status);
        manager_job_state_changed(m, JOB_STATE_DEPOSITED, JOB_STATE_INTEGRATED);
        free(status);
        cr_assert_eq(manager_status_text(m, &status), 0);
        cr_assert(strstr(status, "1 followed to payment; since start: 1 done"), "%s", status);
        manager_job_state_changed(m, JOB_STATE_INTEGRATED, _JOB_STATE_INVALID);
}

typedef struct Fault {
        FsOp op;
        unsigned calls;
} Fault;

static int fail_op(FsOp op, int fd, void *userdata) {
        Fault *f = userdata;
        (void) fd;

        if (op != f->op)
                return 0;
        f->calls++;
        return -EIO;
}

static void expect_fatal_on(FsOp op) {
        Fault fault = { .op = op };

        manager_up();
        cr_assert_eq(test_daemon_drop_file(&d, "bilan.json", "tests/data/e2e/bilans/cdcmc-2026.json"), 0);
        fs_set_fault_hook(fail_op, &fault);
        cr_assert_eq(manager_run(m), -EIO, "the loop must stop on a failed %s", op == FS_OP_FSYNC ? "fsync" : "fdatasync");
        fs_set_fault_hook(NULL, NULL);
        cr_assert_gt(fault.calls, 0);
        cr_assert(m->stopping, "claiming must stop");
        /* Not lost: still waiting, or claimed into processing/. */
        cr_assert(test_daemon_count(&d, "incoming") + test_daemon_count(&d, "processing") >= 1);
        cr_assert_eq(test_daemon_count(&d, "done"), 0);
}

Test(manager, failed_fsync_stops_the_daemon) {
        expect_fatal_on(FS_OP_FSYNC);
}

Test(manager, failed_audit_fdatasync_stops_the_daemon) {
        expect_fatal_on(FS_OP_FDATASYNC);
}

/* Fails the n-th write into a temporary file whose path contains `where`
 * (state/jobs/: a job state being saved) with ENOSPC: a full disk, which
 * is not fatal. */
typedef struct NoSpace {
        const char *where;
        unsigned nth, seen, failed;
} NoSpace;

/* ENOSPC for the n-th operation `op` on an fd whose path `matches`. */
static int no_space_on(FsOp op, FsOp wanted, int fd, NoSpace *f,
                       bool (*matches)(const char *path, const char *where)) {
        char link[64], path[PATH_MAX];
        ssize_t n;

        if (op != wanted)
                return 0;
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        n = readlink(link, path, sizeof path - 1);
        if (n < 0)
                return 0;
        path[n] = 0;
        if (!matches(path, f->where) || ++f->seen != f->nth)
                return 0;
        f->failed++;
        return -ENOSPC;
}

static bool path_contains(const char *path, const char *where) {
        return strstr(path, where);
}

static bool path_ends_with(const char *path, const char *where) {
        size_t n = strlen(path), k = strlen(where);

        return n >= k && streq(path + n - k, where);
}

static int no_space_on_state_write(FsOp op, int fd, void *userdata) {
        return no_space_on(op, FS_OP_WRITE, fd, userdata, path_contains);
}

/* Drops a bilan with the n-th job state write failing (ENOSPC) and runs
 * the loop until the job is past received: it must go on without a
 * restart. */
static void expect_job_goes_on_after_state_write_failure(unsigned nth) {
        NoSpace fault = { .where = "/jobs/.", .nth = nth };
        char id[25], state[32] = "";
        uint64_t deadline;

        cr_assert_eq(setenv("CHORUSD_TEST_TIME_SCALE", "1000", 1), 0);
        manager_up();
        cr_assert_eq(unsetenv("CHORUSD_TEST_TIME_SCALE"), 0);
        fs_set_fault_hook(no_space_on_state_write, &fault);
        cr_assert_eq(test_daemon_drop_file(&d, "bilan.json", "tests/data/e2e/bilans/cdcmc-2026.json"), 0);
        deadline = test_now_usec() + 10 * TEST_USEC_PER_SEC;
        while (test_now_usec() < deadline) {
                cr_assert_geq(sd_event_run(m->event, 50000), 0);
                if (fault.failed > 0 &&
                    (test_daemon_wait_job(&d, "processing", "bilan.json", 0, id) >= 0 ||
                     test_daemon_wait_job(&d, "done", "bilan.json", 0, id) >= 0) &&
                    test_daemon_job_state(&d, id, state) >= 0 && !streq(state, "received"))
                        break;
        }
        fs_set_fault_hook(NULL, NULL);
        cr_assert_eq(fault.failed, 1, "the fault was not injected");
        cr_assert(!m->stopping, "ENOSPC is not fatal");
        cr_assert_str_neq(state, "", "no state for the job: the claimed bilan never got a job");
        cr_assert_str_neq(state, "received", "the job stalled after a failed state write");
}

/* The first state after received (validated) cannot be saved once: the job
 * tries again a little later and goes on, without waiting for a restart. */
Test(manager, job_state_write_failure_is_retried) {
        expect_job_goes_on_after_state_write_failure(2);
}

/* The claim's first job state (received) cannot be written: the bilan is
 * in processing/ with no job. chorusd looks for it again a little later
 * and the job goes on, without waiting for a restart. */
Test(manager, claim_state_write_failure_is_retried) {
        expect_job_goes_on_after_state_write_failure(1);
}

/* EMFILE while the claim makes its own copy of the bilan, after the rename
 * into processing/: a resource error pauses claiming, and the bilan waits
 * in processing/ with no job. chorusd looks for it again a little later
 * (the fault suite found it left there until the next restart). */
static int no_files_on_processing_copy(FsOp op, int fd, void *userdata) {
        int r = no_space_on(op, FS_OP_WRITE, fd, userdata, path_contains);
        return r == -ENOSPC ? -EMFILE : r;
}

Test(manager, claim_copy_out_of_files_is_retried) {
        NoSpace fault = { .where = "/processing/.", .nth = 1 };
        char id[25], state[32] = "";
        uint64_t deadline;

        cr_assert_eq(setenv("CHORUSD_TEST_TIME_SCALE", "1000", 1), 0);
        manager_up();
        cr_assert_eq(unsetenv("CHORUSD_TEST_TIME_SCALE"), 0);
        fs_set_fault_hook(no_files_on_processing_copy, &fault);
        cr_assert_eq(test_daemon_drop_file(&d, "bilan.json", "tests/data/e2e/bilans/cdcmc-2026.json"), 0);
        deadline = test_now_usec() + 10 * TEST_USEC_PER_SEC;
        while (test_now_usec() < deadline) {
                cr_assert_geq(sd_event_run(m->event, 50000), 0);
                if (fault.failed > 0 &&
                    (test_daemon_wait_job(&d, "processing", "bilan.json", 0, id) >= 0 ||
                     test_daemon_wait_job(&d, "done", "bilan.json", 0, id) >= 0) &&
                    test_daemon_job_state(&d, id, state) >= 0 && !streq(state, "received"))
                        break;
        }
        fs_set_fault_hook(NULL, NULL);
        cr_assert_eq(fault.failed, 1, "the fault was not injected");
        cr_assert(!m->stopping, "EMFILE is not fatal");
        cr_assert_str_neq(state, "", "the bilan left in processing/ never got a job");
        cr_assert_str_neq(state, "received", "the job stalled after the claim");
}

/* A bilan claimed just before a crash waits in processing/ without a state;
 * at the next start its first state cannot be written (ENOSPC). Recovery
 * looks for it again a little later instead of leaving it until the next
 * restart. */
Test(manager, recovery_failure_is_retried) {
        NoSpace fault = { .where = "/jobs/.", .nth = 1 };
        const char *id = "20261128-120000-0000abcd";
        _cleanup_(freep) char *path = NULL, *data = NULL;
        char state[32] = "";
        uint64_t deadline;
        size_t size;
        FILE *f;

        cr_assert_eq(test_daemon_read_path("tests/data/e2e/bilans/cdcmc-2026.json", &data, &size), 0);
        cr_assert(asprintf(&path, "%s/processing", d.spool) > 0);
        cr_assert(mkdir(path, 0750) == 0 || errno == EEXIST, "%s: %m", path);
        free(path);
        cr_assert(asprintf(&path, "%s/processing/%s--bilan.json", d.spool, id) > 0);
        f = fopen(path, "we");
        cr_assert_not_null(f);
        cr_assert_eq(fwrite(data, 1, size, f), size);
        cr_assert_eq(fclose(f), 0);

        fs_set_fault_hook(no_space_on_state_write, &fault);
        cr_assert_eq(setenv("CHORUSD_TEST_TIME_SCALE", "1000", 1), 0);
        manager_up();
        cr_assert_eq(unsetenv("CHORUSD_TEST_TIME_SCALE"), 0);
        deadline = test_now_usec() + 10 * TEST_USEC_PER_SEC;
        while (test_now_usec() < deadline) {
                cr_assert_geq(sd_event_run(m->event, 50000), 0);
                if (fault.failed > 0 && test_daemon_job_state(&d, id, state) >= 0 && !streq(state, "received"))
                        break;
        }
        fs_set_fault_hook(NULL, NULL);
        cr_assert_eq(fault.failed, 1, "the fault was not injected");
        cr_assert(!m->stopping, "ENOSPC is not fatal");
        cr_assert_str_neq(state, "", "the bilan left in processing/ never got a job");
        cr_assert_str_neq(state, "received", "the job stalled after recovery");
}

/* The error file of an invalid bilan cannot be written once (ENOSPC): the
 * job tries again later and the bilan reaches rejected/, instead of
 * staying in processing/ with nothing left to wake its job up. */
Test(manager, reject_write_failure_is_retried) {
        NoSpace fault = { .where = "/rejected/.", .nth = 1 };
        char id[25];
        uint64_t deadline;

        cr_assert_eq(setenv("CHORUSD_TEST_TIME_SCALE", "1000", 1), 0);
        manager_up();
        cr_assert_eq(unsetenv("CHORUSD_TEST_TIME_SCALE"), 0);
        fs_set_fault_hook(no_space_on_state_write, &fault);
        cr_assert_eq(test_daemon_drop(&d, "bad.json", "{", 1), 0);
        deadline = test_now_usec() + 5 * TEST_USEC_PER_SEC;
        while (test_now_usec() < deadline) {
                cr_assert_geq(sd_event_run(m->event, 50000), 0);
                if (test_daemon_wait_job(&d, "rejected", "bad.json", 0, id) >= 0)
                        break;
        }
        fs_set_fault_hook(NULL, NULL);
        cr_assert_eq(fault.failed, 1, "the fault was not injected");
        cr_assert(!m->stopping, "ENOSPC is not fatal");
        cr_assert_eq(test_daemon_wait_job(&d, "rejected", "bad.json", 0, id), 0,
                     "the bilan never reached rejected/: its job is stuck");
}

/* With the emulator up and `hook` injecting `fault`, drops bilan SOURCE
 * (tests/data/e2e/bilans/) as NAME and runs the loop until the fault was
 * injected and NAME is in spool/SUBDIR: the files must get there while
 * chorusd runs. Then checks the job's final state and an empty processing/. */
static void expect_files_reach(FsFaultHook hook, NoSpace *fault, const char *source, const char *name,
                               const char *subdir, const char *final_state) {
        _cleanup_(freep) char *path = NULL;
        Emulator *emu = NULL;
        char id[25], state[32] = "";
        uint64_t deadline;

        cr_assert(asprintf(&path, "tests/data/e2e/bilans/%s", source) > 0);
        cr_assert_eq(test_emulator_open(&emu, "0.2"), 0);
        cr_assert_eq(setenv("CHORUSD_TEST_TIME_SCALE", "1000", 1), 0);
        manager_up();
        cr_assert_eq(unsetenv("CHORUSD_TEST_TIME_SCALE"), 0);
        fs_set_fault_hook(hook, fault);
        cr_assert_eq(test_daemon_drop_file(&d, name, path), 0);
        deadline = test_now_usec() + 30 * TEST_USEC_PER_SEC;
        while (test_now_usec() < deadline) {
                cr_assert_geq(sd_event_run(m->event, 50000), 0);
                if (fault->failed > 0 && test_daemon_wait_job(&d, subdir, name, 0, id) >= 0)
                        break;
        }
        fs_set_fault_hook(NULL, NULL);
        emulator_free(emu);
        cr_assert_eq(fault->failed, 1, "the fault was not injected");
        cr_assert(!m->stopping, "ENOSPC is not fatal");
        cr_assert_eq(test_daemon_wait_job(&d, subdir, name, 0, id), 0, "the bilan stayed in processing/");
        cr_assert_eq(test_daemon_job_state(&d, id, state), 0);
        cr_assert_str_eq(state, final_state);
        cr_assert_eq(test_daemon_count(&d, "processing"), 0, "files left in processing/");
}

/* The receipt cannot be written once when Chorus Pro has integrated the
 * invoice: the files still reach done/ while chorusd runs, not only at the
 * next start. */
Test(manager, done_move_failure_is_retried) {
        NoSpace fault = { .where = "receipt.json.", .nth = 1 };

        expect_files_reach(no_space_on_state_write, &fault, "cdcmc-2026.json", "bilan.json", "done", "integrated");
}

/* Fails the n-th rename out of spool/processing/ with ENOSPC (not fatal). */
static int no_space_on_processing_rename(FsOp op, int fd, void *userdata) {
        return no_space_on(op, FS_OP_RENAME, fd, userdata, path_ends_with);
}

/* Chorus Pro refuses the invoice and the move of its files to failed/
 * fails once: the files still reach failed/ while chorusd runs. Renames
 * out of processing/: the invoice written, the error file written, then
 * the first move (the third). */
Test(manager, failed_move_failure_is_retried) {
        NoSpace fault = { .where = "/spool/processing", .nth = 3 };

        expect_files_reach(no_space_on_processing_rename, &fault, "inactif-2026.json", "inactif.json", "failed",
                           "rejected");
}

/* A disk that stays full until the test frees it: every operation `op` on
 * an fd whose path contains `where` fails with ENOSPC while `full`. */
typedef struct FullDisk {
        const char *where;
        FsOp op;
        bool full;
        unsigned failed;
} FullDisk;

static int full_disk(FsOp op, int fd, void *userdata) {
        FullDisk *f = userdata;
        char link[64], path[PATH_MAX];
        ssize_t n;

        if (!f->full || op != f->op)
                return 0;
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        n = readlink(link, path, sizeof path - 1);
        if (n < 0)
                return 0;
        path[n] = 0;
        if (!strstr(path, f->where))
                return 0;
        f->failed++;
        return -ENOSPC;
}

/* Runs the loop for up to `seconds` until `done(id)` says so, checking
 * after each iteration that every live job has a wake-up. */
static bool run_until(double seconds, bool (*done)(const char *id), const char *id) {
        uint64_t deadline = test_now_usec() + (uint64_t) (seconds * TEST_USEC_PER_SEC);

        while (test_now_usec() < deadline) {
                cr_assert_geq(sd_event_run(m->event, 20000), 0);
                cr_assert(m->stopping || jobrun_count_without_wakeup(&m->host) == 0, "a job has no wake-up");
                if (done(id))
                        return true;
        }
        return false;
}

static bool job_is_done(const char *id) {
        char state[32];

        return test_daemon_job_state(&d, id, state) >= 0 && streq(state, "done");
}

static bool bilan_in_done(const char *id) {
        (void) id;
        return test_daemon_count(&d, "processing") == 0 && test_daemon_count(&d, "done") >= 3;
}

/* The spool is full from integration until the job is done (MISE_EN
 * PAIEMENT): the receipt cannot be written. Once space is back, the bilan,
 * the invoice and the receipt reach done/ while chorusd runs; before, the
 * job left memory at done with its files in processing/ until a restart. */
Test(manager, done_while_spool_full_reaches_done_later) {
        FullDisk fault = { .where = "receipt.json.", .op = FS_OP_WRITE };
        Emulator *emu = NULL;
        char id[25] = "", receipt[64];

        cr_assert_eq(test_emulator_open(&emu, "0.2"), 0);
        cr_assert_eq(setenv("CHORUSD_TEST_TIME_SCALE", "1000", 1), 0);
        manager_up();
        cr_assert_eq(unsetenv("CHORUSD_TEST_TIME_SCALE"), 0);
        fault.full = true;
        fs_set_fault_hook(full_disk, &fault);
        cr_assert_eq(test_daemon_drop_file(&d, "bilan.json", "tests/data/e2e/bilans/cdcmc-2026.json"), 0);
        for (uint64_t t = test_now_usec() + 5 * TEST_USEC_PER_SEC; !id[0] && test_now_usec() < t;) {
                cr_assert_geq(sd_event_run(m->event, 20000), 0);
                (void) test_daemon_wait_job(&d, "processing", "bilan.json", 0, id);
        }
        cr_assert(id[0], "the bilan was not claimed");
        cr_assert(run_until(40, job_is_done, id), "the job never reached done");
        cr_assert_gt(fault.failed, 0, "the fault was not injected");
        cr_assert_eq(test_daemon_count(&d, "done"), 0, "nothing can be in done/ yet");
        fault.full = false;
        cr_assert(run_until(10, bilan_in_done, id), "the files stayed in processing/ after space came back");
        fs_set_fault_hook(NULL, NULL);
        emulator_free(emu);
        snprintf(receipt, sizeof receipt, "%s.receipt.json", id);
        cr_assert(test_daemon_has_file(&d, "done", receipt), "no receipt in done/");
        cr_assert(!m->stopping, "ENOSPC is not fatal");
}

static bool disk_is_full(const char *id) {
        (void) id;
        return m->disk_full;
}

static bool job_integrated(const char *id) {
        (void) id;
        return test_daemon_count(&d, "done") >= 3 && test_daemon_count(&d, "processing") == 0;
}

/* The state directory is full when a bilan is claimed: the audit record
 * cannot be appended. chorusd pauses (no exit: systemd would restart it
 * every 5 s), and once space is back writes the waiting record, goes on,
 * and the audit chain is whole. */
Test(manager, audit_log_full_pauses_then_resumes) {
        FullDisk fault = { .where = "audit.log", .op = FS_OP_WRITE };
        _cleanup_(freep) char *audit_path = NULL;
        AuditVerifyReport report = {};
        Emulator *emu = NULL;
        uint64_t t;

        cr_assert_eq(test_emulator_open(&emu, "0.2"), 0);
        cr_assert_eq(setenv("CHORUSD_TEST_TIME_SCALE", "1000", 1), 0);
        manager_up();
        cr_assert_eq(unsetenv("CHORUSD_TEST_TIME_SCALE"), 0);
        fault.full = true;
        fs_set_fault_hook(full_disk, &fault);
        cr_assert_eq(test_daemon_drop_file(&d, "bilan.json", "tests/data/e2e/bilans/cdcmc-2026.json"), 0);
        cr_assert(run_until(5, disk_is_full, NULL) || m->stopping, "the full audit log went unnoticed");
        cr_assert(!m->stopping, "a full state directory is not fatal");
        /* Paused: nothing moves on, nothing stops. */
        t = test_now_usec() + TEST_USEC_PER_SEC;
        while (test_now_usec() < t)
                cr_assert_geq(sd_event_run(m->event, 20000), 0);
        cr_assert(!m->stopping);
        cr_assert(m->disk_full);
        cr_assert_eq(test_daemon_count(&d, "done"), 0);
        cr_assert_gt(fault.failed, 1, "no retry while full");
        fault.full = false;
        cr_assert(run_until(30, job_integrated, NULL), "the job did not go on once space was back");
        fs_set_fault_hook(NULL, NULL);
        emulator_free(emu);
        cr_assert(!m->disk_full);
        cr_assert(asprintf(&audit_path, "%s/audit.log", d.state) > 0);
        cr_assert_eq(audit_verify(audit_path, &report), 0);
        cr_assert(!report.broken, "the audit chain is broken: %s", report.problem);
        cr_assert_geq(report.n_records, 5, "records missing: %llu", (unsigned long long) report.n_records);
}
