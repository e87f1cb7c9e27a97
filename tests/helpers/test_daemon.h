/* test_daemon.h — runs the real chorusd binary ($BUILD/chorusd) for
 * end-to-end tests: a scratch root with spool, state, conventions and a
 * configuration pointing at the emulator (CHORUS_EMULATOR_* from
 * scripts/with-emulator), a NOTIFY_SOCKET of our own, stderr captured to a
 * file, and helpers to drop bilans the Maildir way and wait for results.
 *
 * Every function returns 0 or a negative errno; waits return -ETIMEDOUT.
 * The scratch root is removed by test_daemon_done() unless $CHORUSD_TEST_KEEP
 * is set (then its path is printed). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#define TEST_USEC_PER_SEC UINT64_C(1000000)

typedef struct TestDaemonOptions {
        /* Files of tests/data/e2e/conventions.d/ to install (NULL-terminated;
         * NULL = all of them). */
        const char *const *conventions;
        /* Extra lines appended to the [chorus] section, e.g. "timeout = 3". */
        const char *chorus_extra;
        /* Extra lines appended after [invoice] number_prefix. */
        const char *invoice_extra;
        /* Lines for the [spool] section after dir and min_free_space; NULL =
         * "settle_seconds = 0", so that a dropped file is claimed at once. */
        const char *spool_extra;
        /* Extra lines appended after [state] dir. */
        const char *state_extra;
        /* Environment for the daemon, "NAME=value", NULL-terminated. */
        const char *const *env;
        /* RLIMIT_NOFILE of the daemon (soft and hard); 0 = inherited. */
        unsigned nofile_limit;
        /* No root/credentials/audit-key (TEST_AUDIT_KEY): an unkeyed log. */
        bool no_audit_key;
} TestDaemonOptions;

/* The audit key test_daemon_setup() writes (64 hex digits). */
#define TEST_AUDIT_KEY "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

typedef struct TestDaemon {
        char *root;   /* scratch directory */
        char *spool;  /* root/spool */
        char *state;  /* root/state */
        char *config; /* root/chorusd.conf */
        char *log;    /* root/chorusd.log: the daemon's stderr */
        char *notify_path;
        int notify_fd;
        pid_t pid; /* 0 when not running */
        int exit_status; /* of the last run: exit code, or 128+signal */
        /* Every notification received, in order, one per line. A thread
         * reads the socket all the time: a datagram socket holds only a few
         * messages, and sd_notify() blocks when it is full. */
        char *notifications;
        size_t notifications_size;
        pthread_t reader;
        bool reader_running;
        volatile bool reader_stop;
        pthread_mutex_t lock;
        size_t notify_cursor; /* offset after the last matched line */
        TestDaemonOptions options;
} TestDaemon;

uint64_t test_now_usec(void);
/* The build directory: $BUILD, default "build". */
const char *test_build_dir(void);

/* True if $BUILD/chorusd was built with TEST_HOOKS=1 (crash points, time
 * scale), as `chorusd --version` says. The end-to-end tests need it. */
bool test_daemon_has_hooks(void);

/* Creates the scratch root and writes the configuration. */
int test_daemon_setup(TestDaemon *d, const TestDaemonOptions *o);
/* Starts chorusd (--log-target=stderr), without waiting for READY. */
int test_daemon_start(TestDaemon *d);
/* Starts and waits for READY=1. */
int test_daemon_start_ready(TestDaemon *d, uint64_t timeout_usec);
/* Waits for a notification line containing `needle` (such as "READY=1")
 * that comes after the previous match: notifications are kept in order, one
 * line each, and each successful wait moves a cursor past its match, so
 * that a test can check their order. *ret_line (optional) gets a copy of the
 * matched line. */
int test_daemon_wait_notify(TestDaemon *d, const char *needle, uint64_t timeout_usec,
                            char **ret_line);
/* Sends a signal to the daemon. */
int test_daemon_signal(TestDaemon *d, int sig);
/* Waits for the daemon to exit; sets d->exit_status. */
int test_daemon_wait_exit(TestDaemon *d, uint64_t timeout_usec);
/* SIGTERM and wait; returns the exit status (>= 0) or -ETIMEDOUT. */
int test_daemon_stop(TestDaemon *d);
/* SIGKILL and wait. */
void test_daemon_kill(TestDaemon *d);
/* Stops the daemon if running and removes the scratch root. */
void test_daemon_done(TestDaemon *d);

/* Writes `size` bytes as incoming/.NAME.tmp then renames it to incoming/NAME. */
int test_daemon_drop(TestDaemon *d, const char *name, const void *data, size_t size);
/* Same with the content of a file (relative to the repository root). */
int test_daemon_drop_file(TestDaemon *d, const char *name, const char *source);
/* Waits until spool/SUBDIR/NAME exists. */
int test_daemon_wait_file(TestDaemon *d, const char *subdir, const char *name,
                          uint64_t timeout_usec);
/* True if spool/SUBDIR/NAME exists (lstat). */
bool test_daemon_has_file(TestDaemon *d, const char *subdir, const char *name);
/* Reads spool/SUBDIR/NAME (at most 1 MiB) into a new string. */
int test_daemon_read_file(TestDaemon *d, const char *subdir, const char *name, char **ret);
/* Number of entries (dotfiles excluded) in spool/SUBDIR. */
int test_daemon_count(TestDaemon *d, const char *subdir);
/* True if the daemon's log contains `needle`. */
bool test_daemon_log_contains(TestDaemon *d, const char *needle);
/* How many times the daemon's log contains `needle`. */
unsigned test_daemon_log_count(TestDaemon *d, const char *needle);

/* The job id of the bilan dropped as NAME, once it is in spool/SUBDIR
 * (JOBID--NAME); waits up to timeout_usec. */
int test_daemon_wait_job(TestDaemon *d, const char *subdir, const char *name, uint64_t timeout_usec,
                         char ret_id[static 25]);
/* The STATE= of state/jobs/ID.state into ret (at most 32 bytes). */
int test_daemon_job_state(TestDaemon *d, const char *id, char ret[static 32]);
/* The value of KEY= in the job's state file (new string), or NULL. */
char *test_daemon_job_field(TestDaemon *d, const char *id, const char *key);
/* Waits until the job's state is `state`. */
int test_daemon_wait_state(TestDaemon *d, const char *id, const char *state, uint64_t timeout_usec);

/* Runs $BUILD/chorusctl COMMAND -c CONFIG ARGS… (COMMAND and ARGS given,
 * NULL-terminated), capturing stdout
 * (and stderr, appended) into *ret_output (optional). Returns the exit status. */
int test_daemon_ctl(TestDaemon *d, char **ret_output, ...);

/* ---- The emulator (emulator.h) as the end-to-end tests use it ---- */

typedef struct Emulator Emulator;
/* emulator_from_env(), reset, and {"auto_advance": seconds}. -ENXIO when
 * not under scripts/with-emulator. */
int test_emulator_open(Emulator **ret, const char *auto_advance);
/* The .init of an end-to-end suite: skips the test unless $BUILD/chorusd
 * has test hooks and scripts/with-emulator runs; opens the emulator with
 * states advancing every 0.2 s. */
void test_e2e_setup(Emulator **ret);
/* How many invoices numbered `number` the emulator holds, across fluxes
 * (exactly one is the exactly-once promise), and how many fluxes. Fail
 * the test if the emulator cannot say. */
int test_emulator_invoice_count(Emulator *e, const char *number);
int test_emulator_flux_count(Emulator *e);

/* Reads a whole file (at most 8 MiB) into a new NUL-terminated string. */
int test_daemon_read_path(const char *path, char **ret, size_t *ret_size);
