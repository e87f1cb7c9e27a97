/* chorusctl — the administrator's tool: check the configuration, preview
 * and validate bilans, talk to Chorus Pro, inspect, approve and requeue jobs, verify
 * the audit log. Exit status: sysexits.h's (ctl.h, chorusctl(8)). */
#include <stdio.h>
#include <string.h>

#include "ctl/ctl.h"
#include "base/log.h"
#include "version.h" /* CHORUSD_VERSION, from the Makefile */

typedef struct CtlCommand {
        const char *name;
        const char *summary;
        int (*run)(int argc, char *argv[]);
} CtlCommand;

static const CtlCommand commands[] = {
        { "check-config", "parse and check the configuration, conventions and credentials", ctl_check_config },
        { "validate", "validate bilans and print the computed lines and total", ctl_validate },
        { "render", "preview a bilan's invoice as UBL, CII or Factur-X (allocates no number)", ctl_render },
        { "template", "write the spreadsheet (.ods or .xlsx) the staff fill in for a convention", ctl_template },
        { "ping", "check the PISTE token, Chorus Pro health and the technical account", ctl_ping },
        { "structure", "look a buyer up on Chorus Pro by SIRET", ctl_structure },
        { "status", "list jobs, or show one job's history", ctl_status },
        { "requeue", "send a job from failed/ through the pipeline again", ctl_requeue },
        { "approve", "let an invoice awaiting approval be numbered and deposited", ctl_approve },
        { "cancel", "refuse an invoice awaiting approval: its bilan goes to rejected/", ctl_cancel },
        { "credit", "issue the credit note (avoir) cancelling an integrated invoice", ctl_credit },
        { "complete", "answer a suspended invoice (SUSPENDUE, A_COMPLETER) with PDF files and a comment", ctl_complete },
        { "recycle", "give an A_RECYCLER invoice its right service code and engagement", ctl_recycle },
        { "audit", "audit log tools: 'audit verify' checks the chain, 'audit init' makes its key", ctl_audit },
        { "health", "one-line check for monitoring (exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)", ctl_health },
};

static void usage(FILE *f) {
        fprintf(f, "usage: chorusctl COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].summary);
        fprintf(f, "\nEvery command takes -c FILE (default %s) and --help.\n"
                   "'chorusctl --version' prints the version.\n"
                   "Exit status: 0 ok, 64 usage, 65 invalid data, 66 missing input,\n"
                   "69 Chorus Pro unavailable, 70 internal error, 74 I/O error,\n"
                   "75 temporary failure, 78 configuration error.\n",
                CONFIG_DEFAULT_PATH);
}

int main(int argc, char *argv[]) {
        log_set_identifier("chorusctl");
        log_set_target(LOG_TARGET_STDERR);
        (void) log_parse_environment();

        if (argc < 2) {
                usage(stderr);
                return CTL_EXIT_USAGE;
        }
        if (streq(argv[1], "--help") || streq(argv[1], "-h") || streq(argv[1], "help")) {
                usage(stdout);
                return CTL_EXIT_OK;
        }
        if (streq(argv[1], "--version") || streq(argv[1], "version")) {
                printf("chorusctl %s\n", CHORUSD_VERSION);
                return CTL_EXIT_OK;
        }
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (streq(argv[1], commands[i].name))
                        return commands[i].run(argc - 1, argv + 1);

        fprintf(stderr, "chorusctl: unknown command '%s'\n", argv[1]);
        usage(stderr);
        return CTL_EXIT_USAGE;
}
