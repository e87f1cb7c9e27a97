/* chorusd — the service: for now it parses its configuration and exits.
 * The event loop, spool and Chorus Pro follow-up come with issue 4. */
#include <getopt.h>
#include <stdio.h>

#include "config.h"
#include "log.h"

static const char *arg_config = CONFIG_DEFAULT_PATH;

static void help(void) {
        printf("usage: chorusd [-c FILE] [--log-target=auto|journal|stderr]\n"
               "Turns bilans dropped in the spool into invoices deposited on Chorus Pro.\n");
}

static int parse_argv(int argc, char *argv[]) {
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "log-target", required_argument, NULL, 'L' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "c:h", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        arg_config = optarg;
                        break;
                case 'L': {
                        LogTarget t = log_target_from_string(optarg);
                        if (t < 0)
                                return log_error_errno(t, "Unknown log target '%s'.", optarg);
                        log_set_target(t);
                        break;
                }
                case 'h':
                        help();
                        return 0;
                default:
                        return -EINVAL;
                }
        if (optind < argc)
                return log_error_errno(-EINVAL, "Unexpected argument '%s'.", argv[optind]);
        return 1;
}

int main(int argc, char *argv[]) {
        _cleanup_(config_freep) Config *config = NULL;
        Diagnostics diags = DIAGNOSTICS_INIT;
        int r;

        log_set_identifier("chorusd");
        (void) log_parse_environment();
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : 0;

        r = config_load(arg_config, &config, &diags);
        diagnostics_print(&diags, stderr, /* french= */ false);
        diagnostics_clear(&diags);
        if (r < 0)
                return log_error_errno(r, "Failed to load configuration '%s'.", arg_config), 1;
        log_info("Configuration '%s' loaded.", arg_config);
        return 0;
}
