/* ctl.h — chorusctl's commands. chorusctl.c dispatches; each command lives
 * in a ctl_*.c file of its own and returns the process exit status. */
#pragma once

#include "config.h"
#include "convention.h"

/* Exit statuses (domain.md §8). */
#define CTL_EXIT_OK 0
#define CTL_EXIT_INVALID 1 /* the input is invalid */
#define CTL_EXIT_USAGE 2   /* usage or environment error */

int ctl_check_config(int argc, char *argv[]); /* ctl_config.c */
int ctl_validate(int argc, char *argv[]);     /* ctl_validate.c */
int ctl_render(int argc, char *argv[]);       /* ctl_render.c */
int ctl_ping(int argc, char *argv[]);         /* ctl_chorus.c */
int ctl_structure(int argc, char *argv[]);    /* ctl_chorus.c */
int ctl_status(int argc, char *argv[]);       /* ctl_jobs.c */
int ctl_requeue(int argc, char *argv[]);      /* ctl_jobs.c */
int ctl_audit(int argc, char *argv[]);        /* ctl_audit.c */

/* Shared by the commands (ctl_common.c). */

/* Loads the configuration (default CONFIG_DEFAULT_PATH when path is NULL),
 * printing every diagnostic, or why it cannot be read, to stderr. Returns 0,
 * -EINVAL (the file is invalid) or the -errno that kept it from being read. */
int ctl_load_config(const char *path, Config **ret);
/* Loads the configuration's conventions.d/, printing diagnostics. Same
 * return values. */
int ctl_load_conventions(const Config *config, ConventionSet **ret);
/* The exit status of every command whose configuration or conventions.d/
 * does not load (r < 0 from the two functions above), the one place that
 * maps it: an environment error (2) — except for check-config (`checking`),
 * whose input they are: invalid is 1 there, unreadable 2. (A later move to
 * sysexits.h, EX_CONFIG = 78, changes only this function.) */
int ctl_exit_config(int r, bool checking);
/* Prints "chorusctl COMMAND: MESSAGE" and a pointer to --help on stderr;
 * returns CTL_EXIT_USAGE. */
int ctl_usage_error(const char *command, const char *format, ...) _printf_(2, 3);

/* s (NULL: "") with every control character (C0, DEL, and C1 written in
 * UTF-8) as '?', byte for byte, cut to the buffer. File names come from the
 * staff and names and statuses from Chorus Pro: none may drive the
 * administrator's terminal or start a line of its own. Returns buf. */
#define CTL_PRINTABLE_MAX 2048
const char *ctl_printable(const char *s, char buf[static CTL_PRINTABLE_MAX]);
