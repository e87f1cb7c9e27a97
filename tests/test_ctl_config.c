/* test_ctl_config.c — `chorusctl check-config` on a scratch installation:
 * a configuration pointing at temporary spool, state and secret files and at
 * tests/data/config/conventions.d. Checks the exit status, the summary line
 * and the messages, and that a secret never reaches the output. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ctl/ctl.h"
#include "base/fileio.h"

#define SECRET "TopSecret-42!"

static char root[] = "/tmp/test_ctl_config-XXXXXX";
static char conventions[PATH_MAX];

static char *join(const char *a, const char *b) {
        char *s = NULL;
        cr_assert(asprintf(&s, "%s/%s", a, b) > 0);
        return s;
}

/* Runs a shell command built from `format` (paths under root only). */
static void shell(const char *format, ...) _printf_(1, 2);
static void shell(const char *format, ...) {
        _cleanup_(freep) char *cmd = NULL;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&cmd, format, ap);
        va_end(ap);
        cr_assert(r > 0);
        cr_assert_eq(system(cmd), 0, "%s failed", cmd);
}

static void make_secret(const char *name, mode_t mode) {
        _cleanup_(freep) char *path = join(root, name);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        cr_assert(fd >= 0);
        cr_assert_eq(write(fd, SECRET "\n", strlen(SECRET) + 1), (ssize_t) strlen(SECRET) + 1);
        cr_assert_eq(fchmod(fd, mode), 0);
        close(fd);
}

static void make_dir(const char *name) {
        _cleanup_(freep) char *path = join(root, name);
        cr_assert_eq(mkdir(path, 0700), 0);
}

/* The configuration: good-minimal.conf plus our directories and, if
 * `with_files`, the secret files. */
static void write_config(bool with_files) {
        _cleanup_(freep) char *base = NULL, *path = join(root, "chorusd.conf");
        size_t size;
        FILE *f;

        cr_assert_eq(read_file_bounded("tests/data/config/good-minimal.conf", 1 << 16, &base, &size), 0);
        f = fopen(path, "we");
        cr_assert(f);
        fputs(base, f);
        if (with_files)
                fprintf(f, "client_secret_file = %s/client-secret\n"
                           "cpro_password_file = %s/cpro-password\n", root, root);
        fprintf(f,
                "[spool]\ndir = %s/spool\nmin_free_space = 1M\n"
                "[state]\ndir = %s/state\n"
                "[conventions]\ndir = %s\n",
                root, root, conventions);
        cr_assert_eq(fclose(f), 0);
}

static void setup(void) {
        cr_assert(mkdtemp(root));
        cr_assert(realpath("tests/data/config/conventions.d", conventions));
        unsetenv("CREDENTIALS_DIRECTORY");
        make_secret("client-secret", 0600);
        make_secret("cpro-password", 0600);
        make_dir("spool");
        make_dir("state");
        for (const char *const *s = (const char *const[]) { "incoming", "processing", "done",
                                                             "rejected", "failed", NULL };
             *s; s++) {
                _cleanup_(freep) char *sub = NULL;
                cr_assert(asprintf(&sub, "spool/%s", *s) > 0);
                make_dir(sub);
        }
        write_config(/* with_files= */ true);
}

static void teardown(void) {
        shell("rm -rf '%s'", root);
}

TestSuite(check_config, .init = setup, .fini = teardown);

typedef struct Output {
        int status;
        char *out;
        char *err;
} Output;

static void output_done(Output *o) {
        free(o->out);
        free(o->err);
}

static char *slurp(const char *path) {
        char *text = NULL;
        size_t size;
        cr_assert_eq(read_file_bounded(path, 1 << 20, &text, &size), 0);
        return text;
}

/* Runs chorusctl's `command` in this process with stdout and stderr in
 * files. */
static Output run_command(int (*command)(int, char *[]), char *name, char **args) {
        _cleanup_(freep) char *out_path = join(root, "stdout"), *err_path = join(root, "stderr");
        char *argv[8] = { name };
        int argc = 1, saved_out, saved_err, fd_out, fd_err;
        Output o = {};

        for (; args && args[argc - 1]; argc++)
                argv[argc] = args[argc - 1];
        fflush(stdout);
        fflush(stderr);
        saved_out = dup(STDOUT_FILENO);
        saved_err = dup(STDERR_FILENO);
        fd_out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        fd_err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        cr_assert(saved_out >= 0 && saved_err >= 0 && fd_out >= 0 && fd_err >= 0);
        dup2(fd_out, STDOUT_FILENO);
        dup2(fd_err, STDERR_FILENO);

        o.status = command(argc, argv);

        fflush(stdout);
        fflush(stderr);
        dup2(saved_out, STDOUT_FILENO);
        dup2(saved_err, STDERR_FILENO);
        close(saved_out);
        close(saved_err);
        close(fd_out);
        close(fd_err);
        o.out = slurp(out_path);
        o.err = slurp(err_path);
        cr_log_info("status %d\nstdout: %s\nstderr: %s", o.status, o.out, o.err);
        cr_expect_null(strstr(o.out, SECRET), "the secret leaked to stdout");
        cr_expect_null(strstr(o.err, SECRET), "the secret leaked to stderr");
        return o;
}

static Output run(char **args) {
        static char name[] = "check-config";
        return run_command(ctl_check_config, name, args);
}

static Output run_config(void) {
        _cleanup_(freep) char *path = join(root, "chorusd.conf");
        char *args[] = { "-c", path, NULL };
        return run(args);
}

Test(check_config, ok_with_summary) {
        Output o = run_config();
        char number[32];
        time_t now = time(NULL);
        struct tm tm;

        localtime_r(&now, &tm);
        snprintf(number, sizeof number, "CMA34-%d-0001", tm.tm_year + 1900);
        cr_expect_eq(o.status, CTL_EXIT_OK);
        cr_expect(strstr(o.out, "configuration OK"));
        cr_expect(strstr(o.out, "CMA Hérault (SIRET 13002602400013)"));
        cr_expect(strstr(o.out, number), "expected %s in the summary", number);
        cr_expect(strstr(o.out, "1 convention,"));
        cr_expect(strstr(o.out, "approval none,"), "no [invoice] approval: none, as before");
        cr_expect(strstr(o.out, "Chorus Pro sandbox at https://sandbox-api.piste.gouv.fr"));
        cr_expect_str_eq(o.err, "");
        output_done(&o);
}

/* [notify]: its summary line, and the SMTP password checked like the
 * Chorus Pro secrets (only with smtp_user). */
Test(check_config, notify_summary_and_smtp_password) {
        _cleanup_(freep) char *path = join(root, "chorusd.conf");
        Output o;
        FILE *f = fopen(path, "ae");

        cr_assert(f);
        fprintf(f, "[notify]\nsmtp_url = smtp://mail.example.org:587\nsmtp_user = chorusd\n"
                   "smtp_password_file = %s/smtp-password\nfrom = chorusd@example.org\n"
                   "staff = compta@example.org, direction@example.org\n", root);
        cr_assert_eq(fclose(f), 0);
        o = run_config();
        cr_expect_eq(o.status, CTL_EXIT_CONFIG);
        cr_expect(strstr(o.err, "error: notify.smtp_password_file:"), "%s", o.err);
        output_done(&o);
        make_secret("smtp-password", 0644);
        o = run_config();
        cr_expect_eq(o.status, CTL_EXIT_CONFIG);
        cr_expect(strstr(o.err, "chmod 600"), "%s", o.err);
        output_done(&o);
        make_secret("smtp-password", 0600);
        o = run_config();
        cr_expect_eq(o.status, CTL_EXIT_OK, "%s", o.err);
        cr_expect(strstr(o.out, "e-mail notices: smtp://mail.example.org:587 (STARTTLS required), from "
                                "chorusd@example.org, staff compta@example.org, direction@example.org, admins (none)"),
                  "%s", o.out);
        cr_expect_null(strstr(o.out, SECRET));
        cr_expect_null(strstr(o.err, SECRET));
        output_done(&o);
}

Test(check_config, secret_readable_by_others) {
        Output o;

        make_secret("cpro-password", 0644);
        o = run_config();
        cr_expect_eq(o.status, CTL_EXIT_CONFIG);
        cr_expect(strstr(o.err, "error: chorus.cpro_password_file:"));
        cr_expect(strstr(o.err, "chmod 600"));
        cr_expect(strstr(o.err, "configuration invalid"));
        cr_expect_null(strstr(o.out, "configuration OK"));
        output_done(&o);
}

Test(check_config, secret_missing) {
        _cleanup_(freep) char *path = join(root, "client-secret");
        Output o;

        cr_assert_eq(unlink(path), 0);
        o = run_config();
        cr_expect_eq(o.status, CTL_EXIT_CONFIG);
        cr_expect(strstr(o.err, "chorus.client_secret_file:"));
        cr_expect(strstr(o.err, "does not exist"));
        output_done(&o);
}

Test(check_config, credentials_directory) {
        _cleanup_(freep) char *credentials = join(root, "credentials");
        Output o;

        /* No files in the configuration: $CREDENTIALS_DIRECTORY is used. */
        write_config(/* with_files= */ false);
        make_dir("credentials");
        make_secret("credentials/piste-client-secret", 0400);
        make_secret("credentials/cpro-password", 0400);
        cr_assert_eq(setenv("CREDENTIALS_DIRECTORY", credentials, 1), 0);
        o = run_config();
        cr_expect_eq(o.status, CTL_EXIT_OK);
        output_done(&o);

        /* 0440 is what systemd's ACL for the service looks like: accepted;
         * readable by others is not a credential systemd wrote. */
        make_secret("credentials/cpro-password", 0440);
        o = run_config();
        cr_expect_eq(o.status, CTL_EXIT_OK, "%s", o.err);
        output_done(&o);
        make_secret("credentials/cpro-password", 0444);
        o = run_config();
        cr_expect_eq(o.status, CTL_EXIT_CONFIG);
        cr_expect(strstr(o.err, "credentials/cpro-password has mode 0444"), "%s", o.err);
        output_done(&o);
        unsetenv("CREDENTIALS_DIRECTORY");
}

Test(check_config, load_credential_sources_beside_the_configuration) {
        Output o;

        /* Outside the service, without files in the configuration, the
         * files chorusd.service loads are checked: <confdir>/credentials/. */
        write_config(/* with_files= */ false);
        o = run_config();
        if (geteuid() == 0) {
                cr_expect_eq(o.status, CTL_EXIT_CONFIG);
                cr_expect(strstr(o.err, "chorusd.service loads this secret with "
                                        "LoadCredential=piste-client-secret:"));
                cr_expect(strstr(o.err, "/credentials/piste-client-secret does not exist"));
        } else {
                cr_expect_eq(o.status, CTL_EXIT_CONFIG); /* does not exist: not EACCES */
        }
        output_done(&o);

        /* Root-owned 0600 files there are what we want. */
        make_dir("credentials");
        make_secret("credentials/piste-client-secret", 0600);
        make_secret("credentials/cpro-password", 0600);
        o = run_config();
        cr_expect_eq(o.status, geteuid() == 0 ? CTL_EXIT_OK : CTL_EXIT_CONFIG);
        output_done(&o);
}

Test(check_config, missing_directories_are_warnings) {
        Output o;

        shell("rm -rf '%s/spool' '%s/state'", root, root);
        o = run_config();
        cr_expect_eq(o.status, CTL_EXIT_OK);
        cr_expect(strstr(o.err, "warning: spool.dir:"));
        cr_expect(strstr(o.err, "systemd-tmpfiles"));
        cr_expect(strstr(o.err, "warning: state.dir:"));
        cr_expect(strstr(o.out, "configuration OK"));
        output_done(&o);
}

Test(check_config, spool_is_a_file) {
        Output o;

        shell("rm -rf '%s/spool' && touch '%s/spool'", root, root);
        o = run_config();
        cr_expect_eq(o.status, CTL_EXIT_CONFIG);
        cr_expect(strstr(o.err, "is not a directory"));
        output_done(&o);
}

Test(check_config, invalid_configuration) {
        char *args[] = { "-c", "tests/data/config/several-errors.conf", NULL };
        Output o = run(args);

        cr_expect_eq(o.status, CTL_EXIT_CONFIG);
        cr_expect(strstr(o.err, "several-errors.conf:4: error: seller.siret:"));
        cr_expect(strstr(o.err, "several-errors.conf:20: error: chorus.poll_interval:"));
        output_done(&o);
}

Test(check_config, usage_errors) {
        char *missing[] = { "-c", "/nonexistent/chorusd.conf", NULL };
        char *bad_option[] = { "--bogus", NULL };
        char *extra[] = { "extra", NULL };
        char *help[] = { "--help", NULL };
        Output o;

        o = run(missing); /* a configuration error, not a usage error */
        cr_expect_eq(o.status, CTL_EXIT_CONFIG);
        cr_expect(strstr(o.err, "/nonexistent/chorusd.conf"));
        output_done(&o);
        o = run(bad_option);
        cr_expect_eq(o.status, CTL_EXIT_USAGE);
        output_done(&o);
        o = run(extra);
        cr_expect_eq(o.status, CTL_EXIT_USAGE);
        cr_expect(strstr(o.err, "unexpected argument 'extra'"));
        output_done(&o);
        o = run(help);
        cr_expect_eq(o.status, CTL_EXIT_OK);
        cr_expect(strstr(o.out, "usage: chorusctl check-config"));
        output_done(&o);
}

/* ---- a configuration or conventions.d/ that does not load: one exit
 * status for every command ---- */

typedef struct Command {
        int (*run)(int, char *[]);
        char *name;
        char *args[4]; /* after -c FILE */
} Command;

static Command commands[] = {
        { ctl_validate, "validate", { "config/examples/complete.json" } },
        { ctl_render, "render", { "config/examples/complete.json", "-o", "/tmp" } },
        { ctl_ping, "ping", {} },
        { ctl_structure, "structure", { "20003478300015" } },
        { ctl_status, "status", {} },
        { ctl_requeue, "requeue", { "20260101-000000-0123abcd" } },
        { ctl_audit, "audit", { "verify" } },
};

static Output run_with(const Command *c, char *config) {
        static char dash_c[] = "-c";
        char *args[8] = { dash_c, config };

        for (size_t i = 0; c->args[i]; i++)
                args[2 + i] = c->args[i];
        return run_command(c->run, c->name, args);
}

Test(check_config, configuration_that_does_not_load_is_exit_78_for_every_command) {
        static char invalid[] = "tests/data/config/several-errors.conf", missing[] = "/nonexistent/chorusd.conf";
        char *const configs[] = { invalid, missing };

        for (size_t k = 0; k < ELEMENTSOF(configs); k++)
                for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
                        Output o = run_with(&commands[i], configs[k]);

                        cr_expect_eq(o.status, CTL_EXIT_CONFIG, "%s with %s: exit %d", commands[i].name, configs[k],
                                     o.status);
                        cr_expect(strstr(o.err, configs[k]), "%s: the file is named: %s", commands[i].name, o.err);
                        output_done(&o);
                }
}

Test(check_config, convention_for_factures_publiques_is_refused) {
        _cleanup_(freep) char *dir = join(root, "conventions.d"), *config = join(root, "chorusd.conf");
        Output o;

        /* The seed convention, its service code replaced. */
        make_dir("conventions.d");
        shell("sed 's/\"service_code\": \"ECO\"/\"service_code\": \"FACTURES_PUBLIQUES\"/' "
              "'%s/cdcmc-2026.json' >'%s/cdcmc-2026.json' && grep -q FACTURES_PUBLIQUES '%s/cdcmc-2026.json'",
              conventions, dir, dir);
        strcpy(conventions, dir);
        write_config(/* with_files= */ true);

        o = run_config();
        cr_expect_eq(o.status, CTL_EXIT_CONFIG);
        cr_expect(strstr(o.err, "cdcmc-2026.json: error: buyer.service_code: FACTURES_PUBLIQUES is reserved for "
                                "invoices between public entities"),
                  "%s", o.err);
        output_done(&o);

        /* For the other commands, conventions that do not load are a
         * configuration error too. */
        for (size_t i = 0; i < 2; i++) {
                o = run_with(&commands[i], config);
                cr_expect_eq(o.status, CTL_EXIT_CONFIG, "%s: exit %d", commands[i].name, o.status);
                cr_expect(strstr(o.err, "buyer.service_code: FACTURES_PUBLIQUES"), "%s: %s", commands[i].name, o.err);
                output_done(&o);
        }
}

/* The exit statuses are an interface (chorusctl(8), EXIT STATUS): sysexits.h's
 * numbers, whatever the names. */
Test(check_config, exit_statuses_are_sysexits) {
        cr_expect_eq(CTL_EXIT_OK, 0);
        cr_expect_eq(CTL_EXIT_USAGE, 64);
        cr_expect_eq(CTL_EXIT_DATAERR, 65);
        cr_expect_eq(CTL_EXIT_NOINPUT, 66);
        cr_expect_eq(CTL_EXIT_UNAVAILABLE, 69);
        cr_expect_eq(CTL_EXIT_SOFTWARE, 70);
        cr_expect_eq(CTL_EXIT_IOERR, 74);
        cr_expect_eq(CTL_EXIT_TEMPFAIL, 75);
        cr_expect_eq(CTL_EXIT_CONFIG, 78);
}

Test(check_config, input_errors_map_to_sysexits) {
        cr_expect_eq(ctl_exit_input(-ENOENT), CTL_EXIT_NOINPUT);
        cr_expect_eq(ctl_exit_input(-EACCES), CTL_EXIT_NOINPUT);
        cr_expect_eq(ctl_exit_input(-ELOOP), CTL_EXIT_NOINPUT);
        cr_expect_eq(ctl_exit_input(-EBADMSG), CTL_EXIT_DATAERR);
        cr_expect_eq(ctl_exit_input(-ENOMEM), CTL_EXIT_SOFTWARE);
        cr_expect_eq(ctl_exit_input(-EIO), CTL_EXIT_IOERR);
        cr_expect_eq(ctl_exit_output(-ENOSPC), CTL_EXIT_IOERR);
        cr_expect_eq(ctl_exit_output(-ENOMEM), CTL_EXIT_SOFTWARE);
        cr_expect_eq(ctl_exit_config(-EINVAL), CTL_EXIT_CONFIG);
        cr_expect_eq(ctl_exit_config(-ENOENT), CTL_EXIT_CONFIG);
        cr_expect_eq(ctl_exit_config(-ENOMEM), CTL_EXIT_SOFTWARE);
}
