/* ctl_audit.c — `chorusctl audit verify [-c FILE] [--file PATH]`: checks
 * the audit log's whole hash chain (audit_verify) and says "audit log OK"
 * or names the first broken record.
 *
 * The log is STATE_DIR/audit.log from the configuration, or --file PATH
 * (then no configuration is read: handy on a copy of the log).
 *
 * Exit status: 0 the chain is whole (a last line cut by a crash is
 * accepted and reported), 1 the chain is broken, 2 usage error, or the
 * configuration or the log cannot be read. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "ctl.h"

static void help(void) {
        printf("usage: chorusctl audit verify [-c FILE] [--file PATH]\n"
               "\n"
               "Checks the hash chain of the audit log from the first record to the last:\n"
               "each record must follow the previous one (seq + 1) and carry the SHA-256 of\n"
               "the previous line. Prints \"audit log OK\" or the first broken record.\n"
               "\n"
               "  -c, --config FILE   main configuration (default %s);\n"
               "                      the log is [state] dir/%s\n"
               "  -f, --file PATH     verify this file instead (no configuration read)\n"
               "  -h, --help          show this help\n"
               "\n"
               "Exit status: 0 the chain is whole, 1 it is broken,\n"
               "2 usage error or the log cannot be read.\n",
               CONFIG_DEFAULT_PATH, AUDIT_LOG_FILE);
}

/* Returns -1 to go on, or an exit status. */
static int parse_options(int argc, char *argv[], const char **ret_config, const char **ret_file) {
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "file", required_argument, NULL, 'f' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        optind = 0; /* full reinitialisation: argv[0] is the command name */
        while ((c = getopt_long(argc, argv, "c:f:h", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        *ret_config = optarg;
                        break;
                case 'f':
                        *ret_file = optarg;
                        break;
                case 'h':
                        help();
                        return CTL_EXIT_OK;
                default:
                        return ctl_usage_error("audit", "invalid option");
                }
        if (optind >= argc)
                return ctl_usage_error("audit", "missing subcommand (verify)");
        if (!streq(argv[optind], "verify"))
                return ctl_usage_error("audit", "unknown subcommand '%s'", argv[optind]);
        if (optind + 1 < argc)
                return ctl_usage_error("audit", "unexpected argument '%s'", argv[optind + 1]);
        return -1;
}

static int print_report(const char *path, const AuditVerifyReport *rep) {
        if (rep->broken) {
                printf("audit log BROKEN: %s: line %" PRIu64, path, rep->broken_line);
                if (rep->broken_seq > 0)
                        printf(" (seq %" PRIu64 ")", rep->broken_seq);
                printf(": %s\n", rep->problem);
                printf("%" PRIu64 " %s before it %s intact (last good seq %" PRIu64 ").\n", rep->n_records,
                       rep->n_records == 1 ? "record" : "records", rep->n_records == 1 ? "is" : "are",
                       rep->last_seq);
                return CTL_EXIT_INVALID;
        }
        printf("audit log OK: %" PRIu64 " records, last seq %" PRIu64 "\n", rep->n_records, rep->last_seq);
        if (rep->torn_bytes > 0)
                printf("note: the last line (%" PRIu64 " bytes) was cut short by a crash; chorusd "
                       "removes it when it next starts.\n",
                       rep->torn_bytes);
        return CTL_EXIT_OK;
}

static int verify(const char *path) {
        AuditVerifyReport rep;
        int r;

        r = audit_verify(path, &rep);
        if (r < 0) {
                fprintf(stderr, "chorusctl audit: cannot read '%s': %s\n", path, strerror(-r));
                return CTL_EXIT_USAGE;
        }
        return print_report(path, &rep);
}

int ctl_audit(int argc, char *argv[]) {
        _cleanup_(config_freep) Config *config = NULL;
        _cleanup_(freep) char *path = NULL;
        const char *config_path = NULL, *file = NULL;
        int r;

        r = parse_options(argc, argv, &config_path, &file);
        if (r >= 0)
                return r;
        if (file)
                return verify(file);
        r = ctl_load_config(config_path, &config);
        if (r < 0)
                return ctl_exit_config(r, /* checking= */ false); /* exit 1 is kept for a broken log */
        if (asprintf(&path, "%s/%s", config->state.dir, AUDIT_LOG_FILE) < 0)
                return CTL_EXIT_USAGE;
        return verify(path);
}
