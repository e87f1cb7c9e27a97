/* test_daemon.c — runs the real chorusd for end-to-end tests (see
 * test_daemon.h). Plain POSIX: fork/exec, a datagram socket for
 * NOTIFY_SOCKET, polling of the spool folders with short sleeps (a test may
 * poll; the daemon may not). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <criterion/criterion.h>

#include "emulator.h"
#include "base/macro.h"
#include "test_daemon.h"

#define E2E_CONVENTIONS "tests/data/e2e/conventions.d"
#define READ_MAX (8u << 20)
#define POLL_STEP_USEC 20000

uint64_t test_now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * TEST_USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

const char *test_build_dir(void) {
        const char *b = getenv("BUILD");
        return b && *b ? b : "build";
}

static void sleep_usec(uint64_t usec) {
        struct timespec ts = { .tv_sec = (time_t) (usec / TEST_USEC_PER_SEC),
                               .tv_nsec = (long) (usec % TEST_USEC_PER_SEC) * 1000 };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

int test_daemon_read_path(const char *path, char **ret, size_t *ret_size) {
        FILE *f = fopen(path, "re");
        char *buf;
        size_t n;

        if (!f)
                return -errno;
        buf = malloc(READ_MAX + 1);
        if (!buf) {
                fclose(f);
                return -ENOMEM;
        }
        n = fread(buf, 1, READ_MAX, f);
        fclose(f);
        buf[n] = 0;
        *ret = buf;
        if (ret_size)
                *ret_size = n;
        return 0;
}

static int write_file(const char *path, const void *data, size_t size) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
        const char *p = data;

        if (fd < 0)
                return -errno;
        while (size > 0) {
                ssize_t k = write(fd, p, size);
                if (k < 0) {
                        int r = -errno;
                        close(fd);
                        return r;
                }
                p += k;
                size -= (size_t) k;
        }
        return close(fd) < 0 ? -errno : 0;
}

static char *path_join(const char *a, const char *b) {
        char *p;
        if (asprintf(&p, "%s/%s", a, b) < 0)
                return NULL;
        return p;
}

static int copy_file(const char *from, const char *to) {
        char *data;
        size_t size;
        int r = test_daemon_read_path(from, &data, &size);
        if (r < 0)
                return r;
        r = write_file(to, data, size);
        free(data);
        return r;
}

static int install_conventions(TestDaemon *d, const char *dir) {
        DIR *src;
        struct dirent *de;
        int r = 0;

        if (mkdir(dir, 0750) < 0)
                return -errno;
        if (d->options.conventions) {
                for (const char *const *c = d->options.conventions; *c && r >= 0; c++) {
                        char *from = path_join(E2E_CONVENTIONS, *c), *to = path_join(dir, *c);
                        r = from && to ? copy_file(from, to) : -ENOMEM;
                        free(from);
                        free(to);
                }
                return r;
        }
        src = opendir(E2E_CONVENTIONS);
        if (!src)
                return -errno;
        while (r >= 0 && (de = readdir(src))) {
                if (de->d_name[0] == '.' || !strstr(de->d_name, ".json"))
                        continue;
                char *from = path_join(E2E_CONVENTIONS, de->d_name), *to = path_join(dir, de->d_name);
                r = from && to ? copy_file(from, to) : -ENOMEM;
                free(from);
                free(to);
        }
        closedir(src);
        return r;
}

static const char *env_or(const char *name, const char *fallback) {
        const char *v = getenv(name);
        return v && *v ? v : fallback;
}

static int write_config(TestDaemon *d, const char *conventions) {
        const char *url = env_or("CHORUS_EMULATOR_URL", "https://127.0.0.1:1");
        char *text;
        int r;

        r = asprintf(&text,
                     "[seller]\n"
                     "name = Chambre de Métiers et de l'Artisanat de la Région Occitanie — Hérault\n"
                     "siret = %s\n"
                     "street = 154 rue Bernard Giraudeau\n"
                     "postcode = 34187\n"
                     "city = Montpellier\n"
                     "country = FR\n"
                     "email = facturation@example.org\n"
                     "iban = FR7630001007941234567890185\n"
                     "bic = BDFEFRPPXXX\n"
                     "\n[invoice]\n"
                     "number_prefix = CMA34-\n"
                     /* The test bilans are dated 2026-12-10 whatever day the
                      * tests run: the future-date refusal has tests of its
                      * own (test_bilan, e2e_pipeline). */
                     "clock_tolerance_days = 366\n"
                     "%s\n"
                     "\n[spool]\n"
                     "dir = %s\n"
                     "min_free_space = 1M\n"
                     "%s"
                     "\n[state]\n"
                     "dir = %s\n"
                     "%s\n"
                     "\n[conventions]\n"
                     "dir = %s\n"
                     "\n[chorus]\n"
                     "environment = custom\n"
                     "api_url = %s\n"
                     "oauth_url = %s/api/oauth/token\n"
                     "ca_file = %s\n"
                     "client_id = %s\n"
                     "technical_login = %s\n"
                     "client_secret_file = %s\n"
                     "cpro_password_file = %s\n"
                     "connect_timeout = 2\n"
                     "timeout = 5\n"
                     "%s\n",
                     env_or("CHORUS_EMULATOR_SUPPLIER_SIRET", "13002602400013"),
                     d->options.invoice_extra ? d->options.invoice_extra : "", d->spool,
                     d->options.spool_extra ? d->options.spool_extra : "settle_seconds = 0\n", d->state,
                     d->options.state_extra ? d->options.state_extra : "", conventions, url, url,
                     env_or("CHORUS_EMULATOR_CA", "/nonexistent/ca.pem"),
                     env_or("CHORUS_EMULATOR_CLIENT_ID", "test-client"),
                     env_or("CHORUS_EMULATOR_TECH_LOGIN", "TECH_1_test@cpro.fr"),
                     env_or("CHORUS_EMULATOR_CLIENT_SECRET_FILE", "/nonexistent/secret"),
                     env_or("CHORUS_EMULATOR_TECH_PASSWORD_FILE", "/nonexistent/password"),
                     d->options.chorus_extra ? d->options.chorus_extra : "");
        if (r < 0)
                return -ENOMEM;
        r = write_file(d->config, text, strlen(text));
        free(text);
        return r;
}

static int notify_socket_open(TestDaemon *d) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int one = 1;

        if (strlen(d->notify_path) >= sizeof sa.sun_path)
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, d->notify_path);
        d->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (d->notify_fd < 0)
                return -errno;
        if (bind(d->notify_fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                return -errno;
        /* Credentials are not needed, but systemd's own listener asks for them. */
        (void) setsockopt(d->notify_fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
        return 0;
}

static int notifications_append(TestDaemon *d, const char *msg, size_t n) {
        char *p = realloc(d->notifications, d->notifications_size + n + 2);
        if (!p)
                return -ENOMEM;
        d->notifications = p;
        memcpy(p + d->notifications_size, msg, n);
        d->notifications_size += n;
        if (n == 0 || msg[n - 1] != '\n')
                p[d->notifications_size++] = '\n';
        p[d->notifications_size] = 0;
        return 0;
}

static void *notify_reader(void *userdata) {
        TestDaemon *d = userdata;
        char buf[4096];

        while (!d->reader_stop) {
                struct pollfd pfd = { .fd = d->notify_fd, .events = POLLIN };
                if (poll(&pfd, 1, 20) <= 0)
                        continue;
                for (;;) {
                        ssize_t n = recv(d->notify_fd, buf, sizeof buf, MSG_DONTWAIT);
                        if (n < 0)
                                break;
                        pthread_mutex_lock(&d->lock);
                        (void) notifications_append(d, buf, (size_t) n);
                        pthread_mutex_unlock(&d->lock);
                }
        }
        return NULL;
}

bool test_daemon_has_hooks(void) {
        char *cmd = NULL, line[128] = "";
        bool hooks = false;
        FILE *f;

        if (asprintf(&cmd, "%s/chorusd --version 2>/dev/null", test_build_dir()) < 0)
                return false;
        f = popen(cmd, "re");
        free(cmd);
        if (!f)
                return false;
        if (fgets(line, sizeof line, f))
                hooks = strstr(line, "+test-hooks") != NULL;
        pclose(f);
        return hooks;
}

/* credentials/audit-key beside the configuration, where chorusd looks for
 * it outside systemd: the tests run with a keyed audit log, as installed. */
static int write_audit_key(TestDaemon *d) {
        char *dir = path_join(d->root, "credentials"), *path = NULL;
        int fd, r = 0;

        if (!dir)
                return -ENOMEM;
        path = path_join(dir, "audit-key");
        if (!path || (mkdir(dir, 0700) < 0 && errno != EEXIST))
                r = path ? -errno : -ENOMEM;
        if (r >= 0) {
                fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
                if (fd < 0)
                        r = -errno;
                else {
                        if (write(fd, TEST_AUDIT_KEY "\n", strlen(TEST_AUDIT_KEY) + 1) !=
                            (ssize_t) strlen(TEST_AUDIT_KEY) + 1)
                                r = -EIO;
                        close(fd);
                }
        }
        free(path);
        free(dir);
        return r;
}

int test_daemon_setup(TestDaemon *d, const TestDaemonOptions *o) {
        char tmpl[] = "/tmp/chorusd-e2e-XXXXXX";
        char *conventions = NULL;
        int r;

        *d = (TestDaemon) { .notify_fd = -1 };
        if (o)
                d->options = *o;
        if (!mkdtemp(tmpl))
                return -errno;
        d->root = strdup(tmpl);
        d->spool = path_join(tmpl, "spool");
        d->state = path_join(tmpl, "state");
        d->config = path_join(tmpl, "chorusd.conf");
        d->log = path_join(tmpl, "chorusd.log");
        d->notify_path = path_join(tmpl, "notify");
        conventions = path_join(tmpl, "conventions.d");
        if (!d->root || !d->spool || !d->state || !d->config || !d->log || !d->notify_path ||
            !conventions) {
                free(conventions);
                return -ENOMEM;
        }
        r = mkdir(d->spool, 0750) < 0 ? -errno : 0;
        if (r >= 0)
                r = mkdir(d->state, 0750) < 0 ? -errno : 0;
        if (r >= 0)
                r = install_conventions(d, conventions);
        if (r >= 0)
                r = write_config(d, conventions);
        if (r >= 0 && !d->options.no_audit_key)
                r = write_audit_key(d);
        if (r >= 0)
                r = notify_socket_open(d);
        if (r >= 0) {
                pthread_mutex_init(&d->lock, NULL);
                r = -pthread_create(&d->reader, NULL, notify_reader, d);
                d->reader_running = r >= 0;
        }
        free(conventions);
        return r;
}

static void child_exec(TestDaemon *d) {
        char *daemon_path = path_join(test_build_dir(), "chorusd");
        int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);

        if (!daemon_path || fd < 0)
                _exit(127);
        (void) dup2(fd, STDERR_FILENO);
        (void) dup2(fd, STDOUT_FILENO);
        setenv("NOTIFY_SOCKET", d->notify_path, 1);
        setenv("CHORUSD_LOG_TARGET", "stderr", 1);
        unsetenv("WATCHDOG_USEC");
        unsetenv("WATCHDOG_PID");
        for (const char *const *e = d->options.env; e && *e; e++) {
                const char *eq = strchr(*e, '=');
                char *name = eq ? strndup(*e, (size_t) (eq - *e)) : NULL;
                if (name)
                        setenv(name, eq + 1, 1);
                free(name);
        }
        if (d->options.nofile_limit > 0) {
                struct rlimit rl = { .rlim_cur = d->options.nofile_limit, .rlim_max = d->options.nofile_limit };
                if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                        _exit(127);
        }
        execl(daemon_path, "chorusd", "-c", d->config, (char *) NULL);
        _exit(127);
}

int test_daemon_start(TestDaemon *d) {
        pid_t pid;

        if (d->pid > 0)
                return -EBUSY;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0)
                child_exec(d);
        d->pid = pid;
        return 0;
}

int test_daemon_start_ready(TestDaemon *d, uint64_t timeout_usec) {
        int r = test_daemon_start(d);
        if (r < 0)
                return r;
        return test_daemon_wait_notify(d, "READY=1", timeout_usec, NULL);
}

/* Finds a whole line containing needle at or after the cursor. */
static const char *find_line(TestDaemon *d, const char *needle, size_t *ret_len) {
        const char *p = d->notifications ? d->notifications + d->notify_cursor : NULL;

        while (p && *p) {
                const char *eol = strchr(p, '\n');
                size_t len = eol ? (size_t) (eol - p) : strlen(p);
                if (memmem(p, len, needle, strlen(needle))) {
                        *ret_len = len;
                        return p;
                }
                p = eol ? eol + 1 : NULL;
        }
        return NULL;
}

int test_daemon_wait_notify(TestDaemon *d, const char *needle, uint64_t timeout_usec,
                            char **ret_line) {
        uint64_t deadline = test_now_usec() + timeout_usec;

        for (;;) {
                size_t len;
                const char *line;

                pthread_mutex_lock(&d->lock);
                line = find_line(d, needle, &len);
                if (line) {
                        if (ret_line)
                                *ret_line = strndup(line, len);
                        d->notify_cursor = (size_t) (line - d->notifications) + len +
                                           (line[len] == '\n' ? 1 : 0);
                }
                pthread_mutex_unlock(&d->lock);
                if (line)
                        return 0;
                if (test_now_usec() >= deadline)
                        return -ETIMEDOUT;
                sleep_usec(POLL_STEP_USEC);
        }
}

int test_daemon_signal(TestDaemon *d, int sig) {
        if (d->pid <= 0)
                return -ESRCH;
        return kill(d->pid, sig) < 0 ? -errno : 0;
}

int test_daemon_wait_exit(TestDaemon *d, uint64_t timeout_usec) {
        uint64_t deadline = test_now_usec() + timeout_usec;
        int status;

        if (d->pid <= 0)
                return -ESRCH;
        for (;;) {
                pid_t p = waitpid(d->pid, &status, WNOHANG);
                if (p == d->pid)
                        break;
                if (p < 0)
                        return -errno;
                if (test_now_usec() >= deadline)
                        return -ETIMEDOUT;
                sleep_usec(POLL_STEP_USEC);
        }
        d->pid = 0;
        d->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        sleep_usec(50000); /* the reader thread picks up the last messages */
        return 0;
}

int test_daemon_stop(TestDaemon *d) {
        int r = test_daemon_signal(d, SIGTERM);
        if (r < 0)
                return r;
        r = test_daemon_wait_exit(d, 20 * TEST_USEC_PER_SEC);
        if (r < 0) {
                test_daemon_kill(d);
                return r;
        }
        return d->exit_status;
}

void test_daemon_kill(TestDaemon *d) {
        if (d->pid <= 0)
                return;
        (void) kill(d->pid, SIGKILL);
        (void) test_daemon_wait_exit(d, 10 * TEST_USEC_PER_SEC);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st;
        (void) ftw;
        return flag == FTW_DP ? rmdir(path) : unlink(path);
}

void test_daemon_done(TestDaemon *d) {
        if (d->pid > 0 && test_daemon_stop(d) < 0)
                test_daemon_kill(d);
        if (d->reader_running) {
                d->reader_stop = true;
                pthread_join(d->reader, NULL);
                pthread_mutex_destroy(&d->lock);
        }
        if (d->notify_fd >= 0)
                close(d->notify_fd);
        if (d->root) {
                if (getenv("CHORUSD_TEST_KEEP"))
                        fprintf(stderr, "test_daemon: kept %s\n", d->root);
                else
                        (void) nftw(d->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        }
        free(d->root);
        free(d->spool);
        free(d->state);
        free(d->config);
        free(d->log);
        free(d->notify_path);
        free(d->notifications);
        *d = (TestDaemon) { .notify_fd = -1 };
}

static char *spool_path(TestDaemon *d, const char *subdir, const char *name) {
        char *p;
        if (asprintf(&p, "%s/%s%s%s", d->spool, subdir, name ? "/" : "", name ? name : "") < 0)
                return NULL;
        return p;
}

int test_daemon_drop(TestDaemon *d, const char *name, const void *data, size_t size) {
        char *tmp_name = NULL, *tmp = NULL, *final = spool_path(d, "incoming", name);
        int r = -ENOMEM;

        if (asprintf(&tmp_name, ".%s.tmp", name) >= 0)
                tmp = spool_path(d, "incoming", tmp_name);
        if (tmp && final) {
                r = write_file(tmp, data, size);
                if (r >= 0 && rename(tmp, final) < 0)
                        r = -errno;
        }
        free(tmp_name);
        free(tmp);
        free(final);
        return r;
}

int test_daemon_drop_file(TestDaemon *d, const char *name, const char *source) {
        char *data;
        size_t size;
        int r = test_daemon_read_path(source, &data, &size);
        if (r < 0)
                return r;
        r = test_daemon_drop(d, name, data, size);
        free(data);
        return r;
}

bool test_daemon_has_file(TestDaemon *d, const char *subdir, const char *name) {
        char *p = spool_path(d, subdir, name);
        struct stat st;
        bool found = p && lstat(p, &st) >= 0;
        free(p);
        return found;
}

int test_daemon_wait_file(TestDaemon *d, const char *subdir, const char *name,
                          uint64_t timeout_usec) {
        uint64_t deadline = test_now_usec() + timeout_usec;

        while (!test_daemon_has_file(d, subdir, name)) {
                if (test_now_usec() >= deadline)
                        return -ETIMEDOUT;
                sleep_usec(POLL_STEP_USEC);
        }
        return 0;
}

int test_daemon_read_file(TestDaemon *d, const char *subdir, const char *name, char **ret) {
        char *p = spool_path(d, subdir, name);
        int r = p ? test_daemon_read_path(p, ret, NULL) : -ENOMEM;
        free(p);
        return r;
}

int test_daemon_count(TestDaemon *d, const char *subdir) {
        char *p = spool_path(d, subdir, NULL);
        DIR *dir = p ? opendir(p) : NULL;
        struct dirent *de;
        int n = 0;

        free(p);
        if (!dir)
                return -errno;
        while ((de = readdir(dir)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(dir);
        return n;
}

bool test_daemon_log_contains(TestDaemon *d, const char *needle) {
        char *text;
        bool found;

        if (test_daemon_read_path(d->log, &text, NULL) < 0)
                return false;
        found = strstr(text, needle) != NULL;
        free(text);
        return found;
}

unsigned test_daemon_log_count(TestDaemon *d, const char *needle) {
        unsigned n = 0;
        char *text;

        if (test_daemon_read_path(d->log, &text, NULL) < 0)
                return 0;
        for (const char *p = strstr(text, needle); p; p = strstr(p + strlen(needle), needle))
                n++;
        free(text);
        return n;
}

int test_daemon_ctl(TestDaemon *d, char **ret_output, ...) {
        char *argv[32];
        size_t n = 0;
        int pipefd[2], status;
        char *ctl = path_join(test_build_dir(), "chorusctl");
        char *out = NULL;
        size_t size = 0;
        va_list ap;
        pid_t pid;

        /* chorusctl COMMAND -c CONFIG [ARGS…] */
        argv[n++] = "chorusctl";
        va_start(ap, ret_output);
        for (char *a; n < 28 && (a = va_arg(ap, char *));) {
                argv[n++] = a;
                if (n == 2) {
                        argv[n++] = "-c";
                        argv[n++] = d->config;
                }
        }
        va_end(ap);
        argv[n] = NULL;
        if (!ctl || pipe2(pipefd, O_CLOEXEC) < 0) {
                free(ctl);
                return -errno;
        }
        pid = fork();
        if (pid == 0) {
                (void) dup2(pipefd[1], STDOUT_FILENO);
                (void) dup2(pipefd[1], STDERR_FILENO);
                execv(ctl, argv);
                _exit(127);
        }
        close(pipefd[1]);
        free(ctl);
        for (;;) {
                char buf[4096];
                ssize_t k = read(pipefd[0], buf, sizeof buf);
                if (k <= 0)
                        break;
                char *p = realloc(out, size + (size_t) k + 1);
                if (!p)
                        break;
                out = p;
                memcpy(out + size, buf, (size_t) k);
                size += (size_t) k;
                out[size] = 0;
        }
        close(pipefd[0]);
        if (pid < 0 || waitpid(pid, &status, 0) < 0) {
                free(out);
                return -ECHILD;
        }
        if (ret_output)
                *ret_output = out ? out : strdup("");
        else
                free(out);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int test_daemon_wait_job(TestDaemon *d, const char *subdir, const char *name, uint64_t timeout_usec,
                         char ret_id[static 25]) {
        uint64_t deadline = test_now_usec() + timeout_usec;
        char *dir_path = spool_path(d, subdir, NULL);
        int r = -ETIMEDOUT;

        if (!dir_path)
                return -ENOMEM;
        for (;;) {
                DIR *dir = opendir(dir_path);
                struct dirent *de;
                while (dir && (de = readdir(dir))) {
                        const char *sep = strstr(de->d_name, "--");
                        if (sep && sep - de->d_name == 24 && streq(sep + 2, name)) {
                                memcpy(ret_id, de->d_name, 24);
                                ret_id[24] = 0;
                                r = 0;
                                break;
                        }
                }
                if (dir)
                        closedir(dir);
                if (r == 0 || test_now_usec() >= deadline)
                        break;
                sleep_usec(POLL_STEP_USEC);
        }
        free(dir_path);
        return r;
}

char *test_daemon_job_field(TestDaemon *d, const char *id, const char *key) {
        char *path = NULL, *text = NULL, *value = NULL, *needle = NULL;

        if (asprintf(&path, "%s/jobs/%s.state", d->state, id) < 0 || asprintf(&needle, "\n%s=", key) < 0)
                goto out;
        if (test_daemon_read_path(path, &text, NULL) < 0)
                goto out;
        const char *p = strstr(text, needle);
        if (p) {
                p += strlen(needle);
                value = strndup(p, strcspn(p, "\n"));
        }
out:
        free(path);
        free(needle);
        free(text);
        return value;
}

int test_daemon_job_state(TestDaemon *d, const char *id, char ret[static 32]) {
        char *v = test_daemon_job_field(d, id, "STATE");

        if (!v)
                return -ENOENT;
        snprintf(ret, 32, "%s", v);
        free(v);
        return 0;
}

int test_daemon_wait_state(TestDaemon *d, const char *id, const char *state, uint64_t timeout_usec) {
        uint64_t deadline = test_now_usec() + timeout_usec;
        char now[32];

        for (;;) {
                if (test_daemon_job_state(d, id, now) >= 0 && streq(now, state))
                        return 0;
                if (test_now_usec() >= deadline)
                        return -ETIMEDOUT;
                sleep_usec(POLL_STEP_USEC);
        }
}

int test_emulator_open(Emulator **ret, const char *auto_advance) {
        char json[64];
        Emulator *e;
        int r;

        r = emulator_from_env(&e);
        if (r < 0)
                return r;
        snprintf(json, sizeof json, "{\"auto_advance\": %s}", auto_advance);
        r = emulator_reset(e);
        if (r >= 0)
                r = emulator_configure(e, json);
        if (r < 0) {
                emulator_free(e);
                return r;
        }
        *ret = e;
        return 0;
}

static int member_count(cJSON *json, const char *key) {
        int n = cJSON_IsArray(cJSON_GetObjectItem(json, key)) ? cJSON_GetArraySize(cJSON_GetObjectItem(json, key))
                                                              : -EBADMSG;
        cJSON_Delete(json);
        return n;
}

void test_e2e_setup(Emulator **ret) {
        int r;

        if (!test_daemon_has_hooks())
                cr_skip_test("needs $BUILD/chorusd built with TEST_HOOKS=1 (make check does)");
        r = test_emulator_open(ret, "0.2");
        if (r == -ENXIO)
                cr_skip_test("not under scripts/with-emulator");
        cr_assert_eq(r, 0);
}

int test_emulator_invoice_count(Emulator *e, const char *number) {
        cJSON *json = NULL;
        int r = emulator_invoices(e, number, &json);

        if (r >= 0)
                r = member_count(json, "invoices");
        cr_assert_geq(r, 0, "the emulator did not list its invoices");
        return r;
}

int test_emulator_flux_count(Emulator *e) {
        cJSON *json = NULL;
        int r = emulator_fluxes(e, &json);

        if (r >= 0)
                r = member_count(json, "fluxes");
        cr_assert_geq(r, 0, "the emulator did not list its fluxes");
        return r;
}
