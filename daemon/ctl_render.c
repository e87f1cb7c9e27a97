/* ctl_render.c — placeholder until the command is implemented. */
#include <stdio.h>

#include "ctl.h"

int ctl_render(int argc, char *argv[]) {
        (void) argc;
        fprintf(stderr, "chorusctl %s: not implemented yet\n", argv[0]);
        return CTL_EXIT_USAGE;
}
