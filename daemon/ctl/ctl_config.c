/* ctl_config.c — `chorusctl check-config [-c FILE]`: reads everything
 * chorusd reads at start-up and says "configuration OK" with a one-line
 * summary, or names every problem.
 *
 * What it reads: the configuration file (config_load), the conventions
 * directory (ctl_load_conventions), the two secrets (presence, owner, mode
 * and size; the content is read only to see that it is not empty, wiped and
 * never printed), and the spool and state directories (a warning when they
 * do not exist yet: systemd-tmpfiles and StateDirectory= create them).
 *
 * Secrets are looked for where chorusd would find them: the files named in
 * [chorus], else $CREDENTIALS_DIRECTORY. Run by hand, outside the service,
 * there is no $CREDENTIALS_DIRECTORY: then the files chorusd.service loads
 * with LoadCredential= are checked instead, in the credentials/ directory
 * beside the configuration file (root's, mode 0600).
 *
 * Exit status: 0 the configuration is usable, 78 it is not or cannot be
 * read (every error is printed on stderr), 64 usage error. */
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

#include "chorus/credentials.h"
#include "ctl/ctl.h"

#define SERVICE_USER "chorusd" /* systemd/chorusd.sysusers */

/* What check-config found beyond the configuration file itself. `failed`
 * is set by every error, even one that could not be recorded for lack of
 * memory, so that "configuration OK" is never printed by mistake. */
typedef struct Check {
        const Config *config;
        Diagnostics diags;
        bool failed;
} Check;

static void check_report(Check *k, DiagSeverity severity, const char *key, const char *format, ...)
        _printf_(4, 5);
static void check_report(Check *k, DiagSeverity severity, const char *key, const char *format, ...) {
        _cleanup_(freep) char *message = NULL;
        va_list ap;
        int r;

        if (severity == DIAG_ERROR)
                k->failed = true;
        va_start(ap, format);
        r = vasprintf(&message, format, ap);
        va_end(ap);
        if (r < 0 || diag_add(&k->diags, severity, k->config->path, 0, key, "%s", message) < 0) {
                message = NULL;
                k->failed = true;
        }
}

static const char *const spool_subdirs[] = { "incoming", "processing", "done", "rejected", "failed" };

static void help(void) {
        printf("usage: chorusctl check-config [-c FILE]\n"
               "\n"
               "Reads what chorusd reads at start-up: the configuration, the conventions, the\n"
               "Chorus Pro secrets (their files only; secrets are never printed), the spool\n"
               "and state directories. Prints \"configuration OK\" and a summary, or every\n"
               "problem found.\n"
               "\n"
               "  -c, --config FILE   main configuration (default %s)\n"
               "  -h, --help          show this help\n"
               "\n"
               "Run it as root to check the secrets that chorusd.service loads with\n"
               "LoadCredential=.\n"
               "\n"
               "Exit status: 0 the configuration is valid, 78 it is not or cannot\n"
               "be read, 64 usage error.\n",
               CONFIG_DEFAULT_PATH);
}

/* Returns -1 to go on, or an exit status. */
static int parse_options(int argc, char *argv[], const char **ret_path) {
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        optind = 0; /* full reinitialisation: argv[0] is the command name */
        while ((c = getopt_long(argc, argv, "c:h", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        *ret_path = optarg;
                        break;
                case 'h':
                        help();
                        return CTL_EXIT_OK;
                default:
                        return ctl_usage_error("check-config", "invalid option");
                }
        if (optind < argc)
                return ctl_usage_error("check-config", "unexpected argument '%s'", argv[optind]);
        return -1;
}

/* The user whose files the secrets must be: ourselves, except when root
 * checks on behalf of the service. */
static uid_t secret_owner(void) {
        struct passwd *pw;

        if (geteuid() != 0)
                return geteuid();
        pw = getpwnam(SERVICE_USER);
        return pw ? pw->pw_uid : 0;
}

/* Outside the service: the LoadCredential= source, beside the configuration. */
static void check_secret_source(Check *k, const char *name, const char *key) {
        _cleanup_(freep) char *path = NULL, *message = NULL;
        int r;

        if (credentials_source_path(k->config->path, name, &path) < 0) {
                check_report(k, DIAG_ERROR, key, "out of memory");
                return;
        }
        r = credentials_check_file(path, /* owner= */ 0, &message);
        if (r == -EACCES && geteuid() != 0)
                check_report(k, DIAG_WARNING, key,
                             "%s (loaded by chorusd.service with LoadCredential=%s:…) was not "
                             "checked: run check-config as root", path, name);
        else if (r < 0)
                check_report(k, DIAG_ERROR, key,
                             "chorusd.service loads this secret with LoadCredential=%s:%s; %s",
                             name, path, message ? message : strerror(-r));
}

/* `key` is the [chorus] key that names the file, e.g. "chorus.cpro_password_file". */
static void check_secret(Check *k, const char *configured, const char *name, const char *key) {
        _cleanup_(freep) char *path = NULL, *message = NULL;
        int r;

        r = credentials_path(configured, name, &path);
        if (r == -ENOENT) {
                check_secret_source(k, name, key);
                return;
        }
        if (r < 0) {
                check_report(k, DIAG_ERROR, key, "%s", strerror(-r));
                return;
        }
        /* Files from $CREDENTIALS_DIRECTORY are systemd's copies for us;
         * configured ones are the service user's. */
        r = configured ? credentials_check_file(path, secret_owner(), &message)
                       : credentials_check_systemd_file(path, &message);
        if (r < 0)
                check_report(k, DIAG_ERROR, key, "%s", message ? message : strerror(-r));
}

/* Returns true if `path` is a directory; warns if it does not exist yet
 * (`created_by` says what creates it). */
static bool check_directory(Check *k, const char *path, const char *key, const char *created_by) {
        struct stat st;

        if (stat(path, &st) < 0) {
                if (errno == ENOENT)
                        check_report(k, DIAG_WARNING, key, "%s does not exist yet: %s", path,
                                     created_by);
                else
                        check_report(k, DIAG_WARNING, key, "cannot check %s: %s", path,
                                     strerror(errno));
                return false;
        }
        if (!S_ISDIR(st.st_mode)) {
                check_report(k, DIAG_ERROR, key, "%s is not a directory", path);
                return false;
        }
        return true;
}

static void check_free_space(Check *k) {
        const Config *c = k->config;
        struct statvfs sv;
        uint64_t available;

        if (statvfs(c->spool.dir, &sv) < 0)
                return;
        available = (uint64_t) sv.f_bavail * sv.f_frsize;
        if (available < c->spool.min_free_space)
                check_report(k, DIAG_WARNING, "spool.min_free_space",
                             "only %" PRIu64 " MiB free on %s, less than min_free_space (%" PRIu64
                             " MiB): chorusd will not claim bilans until space is freed",
                             available >> 20, c->spool.dir, c->spool.min_free_space >> 20);
}

#define SPOOL_CREATED_BY "'systemd-tmpfiles --create chorusd.conf' creates the spool at installation"

static void check_spool(Check *k) {
        const char *spool = k->config->spool.dir;

        if (!check_directory(k, spool, "spool.dir", SPOOL_CREATED_BY))
                return;
        for (size_t i = 0; i < ELEMENTSOF(spool_subdirs); i++) {
                _cleanup_(freep) char *sub = NULL;
                if (asprintf(&sub, "%s/%s", spool, spool_subdirs[i]) < 0) {
                        sub = NULL;
                        check_report(k, DIAG_ERROR, "spool.dir", "out of memory");
                        return;
                }
                (void) check_directory(k, sub, "spool.dir", SPOOL_CREATED_BY);
        }
        check_free_space(k);
}

static void print_summary(const Config *c, const ConventionSet *conventions) {
        char number[INVOICE_NUMBER_MAX + 1];
        struct tm tm;
        time_t now = time(NULL);

        localtime_r(&now, &tm);
        if (config_format_invoice_number(c, tm.tm_year + 1900, 1, number) < 0)
                strcpy(number, "?");
        printf("configuration OK: %s (SIRET %s), invoice numbers like %s, %zu convention%s, "
               "approval %s, Chorus Pro %s at %s\n",
               c->seller.name, c->seller.siret, number, conventions->n_items,
               conventions->n_items == 1 ? "" : "s", invoice_approval_to_string(c->invoice.approval),
               chorus_environment_to_string(c->chorus.environment), c->chorus.api_url);
        if (c->notify.smtp_url)
                printf("e-mail notices: %s (%s), from %s, staff %s, admins %s\n", c->notify.smtp_url,
                       strncmp(c->notify.smtp_url, "smtps://", 8) == 0 ? "TLS"
                       : c->notify.smtp_tls == SMTP_TLS_NONE         ? "clear text"
                                                                      : "STARTTLS required",
                       c->notify.from, c->notify.staff ? c->notify.staff : "(none)",
                       c->notify.admins ? c->notify.admins : "(none)");
}

int ctl_check_config(int argc, char *argv[]) {
        _cleanup_(config_freep) Config *config = NULL;
        _cleanup_(convention_set_freep) ConventionSet *conventions = NULL;
        const char *path = NULL;
        Check k;
        int r;

        r = parse_options(argc, argv, &path);
        if (r >= 0)
                return r;
        r = ctl_load_config(path, &config);
        if (r < 0)
                return ctl_exit_config(r);
        k = (Check) { .config = config, .diags = DIAGNOSTICS_INIT };

        /* ctl_load_conventions() prints its own diagnostics. */
        if (ctl_load_conventions(config, &conventions) < 0)
                k.failed = true;
        else if (conventions->n_items == 0)
                check_report(&k, DIAG_WARNING, "conventions.dir",
                             "no convention in %s: every bilan would be rejected",
                             config->conventions.dir);
        check_secret(&k, config->chorus.client_secret_file, CREDENTIAL_CLIENT_SECRET,
                     "chorus.client_secret_file");
        check_secret(&k, config->chorus.cpro_password_file, CREDENTIAL_CPRO_PASSWORD,
                     "chorus.cpro_password_file");
        /* The SMTP password only with an SMTP login ([notify]). */
        if (config->notify.smtp_url && config->notify.smtp_user)
                check_secret(&k, config->notify.smtp_password_file, CREDENTIAL_SMTP_PASSWORD,
                             "notify.smtp_password_file");
        check_spool(&k);
        (void) check_directory(&k, config->state.dir, "state.dir",
                               "systemd creates it when chorusd starts (StateDirectory=)");

        diagnostics_print(&k.diags, stderr, /* french= */ false);
        diagnostics_clear(&k.diags);
        if (k.failed) {
                fprintf(stderr, "configuration invalid: %s\n", config->path);
                return CTL_EXIT_CONFIG;
        }
        print_summary(config, conventions);
        return CTL_EXIT_OK;
}
