/* ctl_jobs.c — placeholder until the command is implemented. */
#include <stdio.h>

#include "ctl.h"

int ctl_status(int argc, char *argv[]) {
        (void) argc;
        fprintf(stderr, "chorusctl %s: not implemented yet\n", argv[0]);
        return CTL_EXIT_USAGE;
}

int ctl_requeue(int argc, char *argv[]) {
        (void) argc;
        fprintf(stderr, "chorusctl %s: not implemented yet\n", argv[0]);
        return CTL_EXIT_USAGE;
}
