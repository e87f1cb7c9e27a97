/* chorusd — the service: turns bilans dropped in the spool into invoices
 * deposited on Chorus Pro, and follows them until they are paid.
 *
 * main() builds everything in a fixed order — configuration, conventions,
 * secrets, then the Manager (spool, job store, numbering, audit log, Chorus
 * Pro client, event loop) — and frees it in reverse. Exit status:
 * sysexits.h's (exit_status() below, chorusd(8) EXIT STATUS). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sysexits.h>

#include "base/config.h"
#include "core/convention.h"
#include "chorus/credentials.h"
#include "base/log.h"
#include "service/manager.h"
#include "service/convention_dir.h"

#include "version.h" /* CHORUSD_VERSION, from the Makefile */

static const char *arg_config = CONFIG_DEFAULT_PATH;

static void help(void) {
        printf("usage: chorusd [-c FILE] [--log-target=auto|journal|stderr]\n"
               "Turns bilans dropped in the spool into invoices deposited on Chorus Pro.\n"
               "\n"
               "  -c, --config=FILE   configuration (default %s)\n"
               "      --log-target=T  auto (journal; stderr on a terminal or without journald), journal, stderr\n"
               "      --version       print the version (and \"+test-hooks\" in test builds)\n"
               "  -h, --help          this help\n"
               "\n"
               "Signals: SIGHUP reloads the configuration, conventions and secrets;\n"
               "SIGTERM stops after the current step. See chorusd(8).\n",
               CONFIG_DEFAULT_PATH);
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_LOG_TARGET = 0x100, ARG_VERSION };
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "log-target", required_argument, NULL, ARG_LOG_TARGET },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "c:h", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        arg_config = optarg;
                        break;
                case ARG_LOG_TARGET: {
                        LogTarget t = log_target_from_string(optarg);
                        if (t < 0)
                                return log_error_errno(t, "Unknown log target '%s'.", optarg);
                        log_set_target(t);
                        break;
                }
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
#ifdef CHORUSD_TEST_HOOKS
                        printf("chorusd %s +test-hooks\n", CHORUSD_VERSION);
#else
                        printf("chorusd %s\n", CHORUSD_VERSION);
#endif
                        return 0;
                default:
                        return -EINVAL;
                }
        if (optind < argc)
                return log_error_errno(-EINVAL, "Unexpected argument '%s'.", argv[optind]);
        return 1;
}

static int load_everything(Config **ret_config, ConventionSet **ret_conventions,
                           ChorusSecrets *ret_secrets) {
        _cleanup_(config_freep) Config *config = NULL;
        _cleanup_(convention_set_freep) ConventionSet *conventions = NULL;
        _cleanup_(freep) char *message = NULL;
        Diagnostics diags = DIAGNOSTICS_INIT;
        int r;

        r = config_load(arg_config, &config, &diags);
        manager_log_diagnostics(&diags);
        diagnostics_clear(&diags);
        if (r == -EINVAL)
                return log_error_errno(r, "Invalid configuration '%s'; 'chorusctl check-config' "
                                          "lists every problem.",
                                       arg_config);
        if (r < 0)
                return log_error_errno(r, "Cannot read the configuration '%s': %m", arg_config);
        /* Indexed: a convention is read when a bilan first needs it. */
        r = convention_set_index_dir(config->conventions.dir, &conventions, &diags);
        manager_log_diagnostics(&diags);
        diagnostics_clear(&diags);
        if (r == -EINVAL)
                return log_error_errno(r, "Invalid conventions in '%s'.", config->conventions.dir);
        if (r < 0)
                return log_error_errno(r, "Cannot read the conventions in '%s': %m", config->conventions.dir);
        r = credentials_load(&config->chorus, ret_secrets, &message);
        if (r < 0)
                return log_error_errno(r, "%s", message ? message : "Failed to load the Chorus Pro secrets.");
        *ret_config = TAKE_PTR(config);
        *ret_conventions = TAKE_PTR(conventions);
        return 0;
}

/* The exit status for a failure (r < 0, -errno) after start-up: EX_SOFTWARE
 * when memory ran out, EX_TEMPFAIL when another chorusd holds the state
 * directory (-EBUSY), EX_IOERR otherwise (a durable write failed: systemd
 * restarts us into recovery). A configuration that does not load is
 * EX_CONFIG (main()), which chorusd.service does not restart on. */
static int exit_status(int r) {
        switch (r) {
        case -ENOMEM:
                return EX_SOFTWARE;
        case -ENOKEY: /* the audit key is unreadable or badly protected */
                return EX_CONFIG;
        case -EBADMSG: /* the audit log is damaged, or emptied beside job states */
                return EX_DATAERR;
        case -EBUSY:
        case -EMFILE: /* too low a LimitNOFILE= at start: systemd restarts us */
        case -ENFILE:
                return EX_TEMPFAIL;
        default:
                return EX_IOERR;
        }
}

static int block_signals(void) {
        sigset_t mask;

        /* Taken by sd-event through a signalfd (manager.c); SIGPIPE ignored
         * as a belt to libcurl's MSG_NOSIGNAL. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error_errno(negative_errno(), "Failed to block signals: %m");
        (void) signal(SIGPIPE, SIG_IGN);
        return 0;
}

int main(int argc, char *argv[]) {
        _cleanup_(config_freep) Config *config = NULL;
        _cleanup_(convention_set_freep) ConventionSet *conventions = NULL;
        _cleanup_(chorus_secrets_done) ChorusSecrets secrets = {};
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        log_set_identifier("chorusd");
        if (log_parse_environment() < 0)
                log_warning("Ignoring a bad $CHORUSD_LOG_LEVEL or $CHORUSD_LOG_TARGET.");
        /* Before anything else is read: a core of this process would hold
         * the secrets. The tests read the debug line. */
        credentials_forbid_core_dumps();
        log_debug("Core dumps off (dumpable=%d).", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EX_USAGE : EX_OK;

        r = block_signals();
        if (r < 0)
                return EX_SOFTWARE;
        r = load_everything(&config, &conventions, &secrets);
        if (r < 0)
                return r == -ENOMEM ? EX_SOFTWARE : EX_CONFIG;
        log_info("Configuration '%s' loaded: %zu conventions, spool '%s'.", arg_config,
                 convention_set_size(conventions), config->spool.dir);

        r = manager_new(&config, &conventions, &secrets, &m);
        if (r < 0)
                return exit_status(r);
        r = manager_start(m);
        if (r < 0)
                return exit_status(r);
        r = manager_run(m);
        if (r < 0)
                return exit_status(r);
        log_info("Stopped.");
        return EX_OK;
}
