/* test_e2e_notify.c — the real chorusd talks to systemd through a
 * NOTIFY_SOCKET of the test's own: READY=1 after recovery, STATUS=,
 * WATCHDOG=1 at the rate WATCHDOG_USEC asks, RELOADING=1 + READY=1 on SIGHUP
 * (also when the new configuration is refused), STOPPING=1 and exit 0 on
 * SIGTERM. Also checks that an idle daemon does not wake up, that a reload
 * applies a new size limit to the next claims, and that a second chorusd
 * on the same state directory refuses to start. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "json_mutate.h"
#include "test_daemon.h"

#define SEC TEST_USEC_PER_SEC

static TestDaemon d;

static void teardown(void) {
        test_daemon_done(&d);
}

TestSuite(e2e_notify, .fini = teardown, .timeout = 120);

static void append_to_config(const char *text) {
        FILE *f = fopen(d.config, "ae");
        cr_assert_not_null(f);
        fputs(text, f);
        cr_assert_eq(fclose(f), 0);
}

Test(e2e_notify, ready_watchdog_reload_stopping) {
        static const char *const env[] = { "WATCHDOG_USEC=400000", NULL };
        TestDaemonOptions o = { .env = env };
        char *line = NULL, *original = NULL;
        size_t original_size;

        cr_assert_eq(test_daemon_setup(&d, &o), 0);
        cr_assert_eq(test_daemon_start(&d), 0);

        /* READY comes with a STATUS line that counts jobs. */
        cr_assert_eq(test_daemon_wait_notify(&d, "READY=1", 20 * SEC, NULL), 0, "no READY=1");
        cr_assert_eq(test_daemon_wait_notify(&d, "STATUS=", 1 * SEC, &line), 0);
        cr_assert(strstr(line, "done"), "STATUS does not count jobs: %s", line);
        free(line);
        cr_assert(test_daemon_log_contains(&d, "recovery"), "no recovery line in the log");

        /* Watchdog pings: WATCHDOG_USEC/2 apart at most, so several in 1.5 s. */
        for (int i = 0; i < 3; i++)
                cr_assert_eq(test_daemon_wait_notify(&d, "WATCHDOG=1", 2 * SEC, NULL), 0,
                             "watchdog ping %d missing", i);

        /* Reload with a valid configuration: RELOADING, then READY. */
        cr_assert_eq(test_daemon_signal(&d, SIGHUP), 0);
        cr_assert_eq(test_daemon_wait_notify(&d, "RELOADING=1", 10 * SEC, NULL), 0);
        cr_assert_eq(test_daemon_wait_notify(&d, "MONOTONIC_USEC=", 1 * SEC, NULL), 0);
        cr_assert_eq(test_daemon_wait_notify(&d, "READY=1", 10 * SEC, NULL), 0,
                     "no READY=1 after the reload");
        cr_assert(test_daemon_log_contains(&d, "reloaded"), "no 'reloaded' line");

        /* Reload with an invalid one: refused, old one kept, still READY. */
        cr_assert_eq(test_daemon_read_path(d.config, &original, &original_size), 0);
        append_to_config("\n[bogus]\nkey = value\n");
        cr_assert_eq(test_daemon_signal(&d, SIGHUP), 0);
        cr_assert_eq(test_daemon_wait_notify(&d, "RELOADING=1", 10 * SEC, NULL), 0);
        cr_assert_eq(test_daemon_wait_notify(&d, "READY=1", 10 * SEC, NULL), 0);
        cr_assert(test_daemon_log_contains(&d, "refused"), "the refused configuration is not logged");
        cr_assert(test_daemon_log_contains(&d, "bogus"), "the reason (the bad section) is not logged");
        cr_assert_eq(kill(d.pid, 0), 0, "the daemon died on a bad configuration");
        /* It still pings the watchdog. */
        cr_assert_eq(test_daemon_wait_notify(&d, "WATCHDOG=1", 2 * SEC, NULL), 0);
        free(original);

        /* SIGTERM: STOPPING=1, exit 0, quickly. */
        uint64_t t0 = test_now_usec();
        cr_assert_eq(test_daemon_signal(&d, SIGTERM), 0);
        cr_assert_eq(test_daemon_wait_exit(&d, 10 * SEC), 0);
        cr_assert_eq(d.exit_status, 0, "exit status %d", d.exit_status);
        cr_assert_lt(test_now_usec() - t0, 5 * SEC, "stopping took too long");
        cr_assert_eq(test_daemon_wait_notify(&d, "STOPPING=1", 1 * SEC, NULL), 0, "no STOPPING=1");
}

/* A reload that lowers [spool] max_file_size applies to the next claims:
 * a bilan over the new limit goes to rejected/, unread. */
Test(e2e_notify, reload_applies_the_new_size_limit) {
        char *config = NULL, *lowered = NULL, *text = NULL, id[25], error_name[64];
        size_t size;
        FILE *f;

        cr_assert_eq(test_daemon_setup(&d, NULL), 0);
        cr_assert_eq(test_daemon_start_ready(&d, 20 * SEC), 0);
        cr_assert_eq(test_daemon_read_path(d.config, &config, &size), 0);
        cr_assert_not_null(strstr(config, "[spool]\n"));
        lowered = test_replace_first(config, "[spool]\n", "[spool]\nmax_file_size = 1K\n");
        f = fopen(d.config, "we");
        cr_assert_not_null(f);
        fputs(lowered, f);
        cr_assert_eq(fclose(f), 0);
        cr_assert_eq(test_daemon_signal(&d, SIGHUP), 0);
        cr_assert_eq(test_daemon_wait_notify(&d, "RELOADING=1", 10 * SEC, NULL), 0);
        cr_assert_eq(test_daemon_wait_notify(&d, "READY=1", 10 * SEC, NULL), 0);
        cr_assert(test_daemon_log_contains(&d, "reloaded"), "the new configuration was not taken");

        /* 1523 bytes: under the old 1 MiB limit, over the new 1 KiB one. */
        cr_assert_eq(test_daemon_drop_file(&d, "big.json", "tests/data/e2e/bilans/ancieneco-2026.json"), 0);
        cr_assert_eq(test_daemon_wait_job(&d, "rejected", "big.json", 20 * SEC, id), 0, "not rejected");
        snprintf(error_name, sizeof error_name, "%s--big.json.error.txt", id);
        cr_assert_eq(test_daemon_wait_file(&d, "rejected", error_name, 5 * SEC), 0);
        cr_assert_eq(test_daemon_read_file(&d, "rejected", error_name, &text), 0);
        cr_assert(strstr(text, "limite de 1024 octets"), "%s", text);
        free(text);
        free(lowered);
        free(config);
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* voluntary_ctxt_switches of the process's main thread. */
static long context_switches(pid_t pid) {
        char path[64], *text = NULL;
        long n = -1;

        snprintf(path, sizeof path, "/proc/%d/status", (int) pid);
        if (test_daemon_read_path(path, &text, NULL) < 0)
                return -1;
        const char *p = strstr(text, "voluntary_ctxt_switches:");
        if (p)
                n = strtol(p + strlen("voluntary_ctxt_switches:"), NULL, 10);
        free(text);
        return n;
}

Test(e2e_notify, idle_daemon_does_not_wake_up) {
        long before, after;

        cr_assert_eq(test_daemon_setup(&d, NULL), 0);
        cr_assert_eq(test_daemon_start_ready(&d, 20 * SEC), 0);
        usleep(300000); /* let start-up settle */
        before = context_switches(d.pid);
        cr_assert_geq(before, 0);
        sleep(3);
        after = context_switches(d.pid);
        /* No timer, no polling: the loop sleeps in epoll_wait the whole time. */
        cr_assert_leq(after - before, 1, "the idle daemon woke up %ld times in 3 s", after - before);
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* EX_CONFIG: the status chorusd.service does not restart on
 * (RestartPreventExitStatus=78). */
#define EXIT_CONFIG 78

Test(e2e_notify, invalid_configuration_at_start_exits_78) {
        cr_assert_eq(test_daemon_setup(&d, NULL), 0);
        append_to_config("\n[chorus]\ntimeout = forever\n");
        cr_assert_eq(test_daemon_start(&d), 0);
        cr_assert_eq(test_daemon_wait_exit(&d, 20 * SEC), 0);
        cr_assert_eq(d.exit_status, EXIT_CONFIG, "exit status %d", d.exit_status);
        cr_assert(test_daemon_log_contains(&d, "timeout"), "the bad key is not named");
        cr_assert_eq(test_daemon_wait_notify(&d, "READY=1", 0, NULL), -ETIMEDOUT, "READY despite a bad config");
}

Test(e2e_notify, missing_configuration_at_start_exits_78) {
        cr_assert_eq(test_daemon_setup(&d, NULL), 0);
        cr_assert_eq(unlink(d.config), 0);
        cr_assert_eq(test_daemon_start(&d), 0);
        cr_assert_eq(test_daemon_wait_exit(&d, 20 * SEC), 0);
        cr_assert_eq(d.exit_status, EXIT_CONFIG, "exit status %d", d.exit_status);
        cr_assert(test_daemon_log_contains(&d, "Cannot read the configuration"), "no reason given");
}

/* A broken convention no longer keeps chorusd from starting: conventions.d/
 * is indexed, and only the bilans naming it are rejected
 * (test_e2e_conventions.c). */

/* Runs a second chorusd with the first one's configuration; its exit
 * status, or -ETIMEDOUT (it is then killed). Its stderr goes to LOG. */
static int run_second_daemon(const char *log, uint64_t timeout_usec) {
        char daemon_path[512];
        uint64_t deadline = test_now_usec() + timeout_usec;
        int status;
        pid_t pid;

        snprintf(daemon_path, sizeof daemon_path, "%s/chorusd", test_build_dir());
        pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
                if (fd < 0)
                        _exit(127);
                (void) dup2(fd, STDERR_FILENO);
                unsetenv("NOTIFY_SOCKET");
                setenv("CHORUSD_LOG_TARGET", "stderr", 1);
                execl(daemon_path, "chorusd", "-c", d.config, (char *) NULL);
                _exit(127);
        }
        for (;;) {
                pid_t p = waitpid(pid, &status, WNOHANG);
                if (p == pid)
                        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                if (test_now_usec() >= deadline) {
                        (void) kill(pid, SIGKILL);
                        (void) waitpid(pid, &status, 0);
                        return -ETIMEDOUT;
                }
                usleep(20000);
        }
}

/* Two daemons on one spool and state directory would both resume every job
 * in processing/, and both deposit it: the second one must not start. */
Test(e2e_notify, second_daemon_on_the_same_state_refuses_to_start) {
        char log[512], *text = NULL;
        int status;

        cr_assert_eq(test_daemon_setup(&d, NULL), 0);
        cr_assert_eq(test_daemon_start_ready(&d, 20 * SEC), 0);
        snprintf(log, sizeof log, "%s/second.log", d.root);
        status = run_second_daemon(log, 20 * SEC);
        /* EX_TEMPFAIL: systemd may try again once the first one is gone. */
        cr_assert_eq(status, 75, "the second chorusd %s (%d)", status == -ETIMEDOUT ? "kept running" : "did not exit 75",
                     status);
        cr_assert_eq(test_daemon_read_path(log, &text, NULL), 0);
        cr_assert(strstr(text, "already running"), "the second chorusd does not say why:\n%s", text);
        free(text);
        cr_assert_eq(kill(d.pid, 0), 0, "the first chorusd died");
        cr_assert_eq(test_daemon_stop(&d), 0);

        /* Once the first one is gone, the lock goes with it. */
        cr_assert_eq(test_daemon_start_ready(&d, 20 * SEC), 0, "no restart after the first one stopped");
        cr_assert_eq(test_daemon_stop(&d), 0);
}
