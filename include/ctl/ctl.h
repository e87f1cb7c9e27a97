/* ctl.h — chorusctl's commands. chorusctl.c dispatches; each command lives
 * in a ctl_*.c file of its own and returns the process exit status. */
#pragma once

#include <sysexits.h>

#include "base/config.h"
#include "core/convention.h"
#include "service/audit.h"

/* Exit statuses: sysexits.h's, the Debian habit, so that scripts can tell
 * a bad bilan from a bad configuration from a Chorus Pro outage. Every
 * command returns one of these, and nothing else (chorusctl(8), EXIT
 * STATUS). */
#define CTL_EXIT_OK EX_OK                   /* 0 */
#define CTL_EXIT_USAGE EX_USAGE             /* 64: bad option or argument */
#define CTL_EXIT_DATAERR EX_DATAERR         /* 65: an invalid bilan, a broken audit chain */
#define CTL_EXIT_NOINPUT EX_NOINPUT         /* 66: an input file or job not there or not readable */
#define CTL_EXIT_UNAVAILABLE EX_UNAVAILABLE /* 69: Chorus Pro or PISTE unreachable or not working */
#define CTL_EXIT_SOFTWARE EX_SOFTWARE       /* 70: out of memory, another internal failure */
#define CTL_EXIT_CANTCREAT EX_CANTCREAT     /* 73: an output that must be new exists, or cannot be created */
#define CTL_EXIT_IOERR EX_IOERR             /* 74: a file could not be read or written */
#define CTL_EXIT_TEMPFAIL EX_TEMPFAIL       /* 75: try again later (Chorus Pro throttling) */
#define CTL_EXIT_CONFIG EX_CONFIG           /* 78: configuration, conventions or credentials */

int ctl_check_config(int argc, char *argv[]); /* ctl_config.c */
int ctl_validate(int argc, char *argv[]);     /* ctl_validate.c */
int ctl_render(int argc, char *argv[]);       /* ctl_render.c */
int ctl_template(int argc, char *argv[]);     /* ctl_template.c */
int ctl_ping(int argc, char *argv[]);         /* ctl_chorus.c */
int ctl_structure(int argc, char *argv[]);    /* ctl_chorus.c */
int ctl_status(int argc, char *argv[]);       /* ctl_jobs.c */
int ctl_requeue(int argc, char *argv[]);      /* ctl_jobs.c */
int ctl_approve(int argc, char *argv[]);      /* ctl_approve.c */
int ctl_cancel(int argc, char *argv[]);       /* ctl_approve.c */
int ctl_credit(int argc, char *argv[]);       /* ctl_credit.c */
int ctl_complete(int argc, char *argv[]);     /* ctl_correct.c */
int ctl_recycle(int argc, char *argv[]);      /* ctl_correct.c */
int ctl_audit(int argc, char *argv[]);        /* ctl_audit.c */
int ctl_health(int argc, char *argv[]);       /* ctl_health.c */

/* health --ping: the Chorus Pro health-check with the technical account,
 * and its password expiry recorded (ctl_chorus.c). Returns 0, or < 0 with
 * *ret_message (free()) saying why when Chorus Pro could be asked. */
int ctl_chorus_live_check(const char *config_path, long deadline_sec, char **ret_message);

/* Shared by the commands (ctl_common.c). */

/* Loads the configuration (default CONFIG_DEFAULT_PATH when path is NULL),
 * printing every diagnostic, or why it cannot be read, to stderr. Returns 0,
 * -EINVAL (the file is invalid) or the -errno that kept it from being read. */
int ctl_load_config(const char *path, Config **ret);

/* Job `id` from `store` (jobstate.h), or a message on stderr naming
 * `command` (NULL: none) and the exit status: CTL_EXIT_NOINPUT when there
 * is no such job in `state_dir`. */
typedef struct Job Job;
typedef struct JobStore JobStore;
/* One line of UTF-8 text without control characters, 1 to max bytes (what
 * --reason and --as take: they go into the audit log and documents). */
bool ctl_line_is_valid(const char *s, size_t max);
int ctl_load_job(const char *command, JobStore *store, const char *state_dir, const char *id, Job **ret);
/* Loads the configuration's conventions.d/, printing diagnostics. Same
 * return values. */
int ctl_load_conventions(const Config *config, ConventionSet **ret);
/* The same, indexed only (convention_set_index_dir()): a file is read when
 * the bilan names it. For one-shot commands that need one convention. */
int ctl_index_conventions(const Config *config, ConventionSet **ret);
/* The exit status of every command whose configuration, conventions.d/ or
 * Chorus Pro secrets do not load (r < 0 from the two functions above, or
 * from credentials_load_by_hand()), the one place that maps it:
 * CTL_EXIT_CONFIG, whether the file is invalid, missing or unreadable
 * (check-config too), except CTL_EXIT_SOFTWARE when memory ran out. */
int ctl_exit_config(int r);
/* The exit status for an input that cannot be read (r < 0, -errno): a bilan,
 * a job's state, the audit log. CTL_EXIT_NOINPUT when it is not there or
 * not a readable regular file, CTL_EXIT_DATAERR when it is damaged
 * (-EBADMSG), CTL_EXIT_SOFTWARE when memory ran out, CTL_EXIT_IOERR
 * otherwise. */
int ctl_exit_input(int r);
/* The exit status for a file that cannot be written (r < 0, -errno):
 * CTL_EXIT_SOFTWARE when memory ran out, CTL_EXIT_IOERR otherwise. */
int ctl_exit_output(int r);
/* Prints "chorusctl COMMAND: MESSAGE" and a pointer to --help on stderr;
 * returns CTL_EXIT_USAGE. */
int ctl_usage_error(const char *command, const char *format, ...) _printf_(2, 3);

/* Run as root, a command that writes job states or spool files would
 * leave root-owned files that chorusd (its own user) could not replace:
 * act as the owner of the state directory instead (requeue, approve,
 * cancel). Does nothing for another user. Returns 0 or -errno. */
int ctl_become_state_owner(const Config *config);
/* Appends an administrator's action to the audit log, keyed as the daemon
 * keys it (each append takes the log's flock: safe beside a running
 * chorusd). Returns 0 or -errno, with a message in *ret_message (optional,
 * to free) saying what failed. */
int ctl_audit_append(const Config *config, const AuditRecord *rec, char **ret_message);

/* s (NULL: "") with every control character (C0, DEL, and C1 written in
 * UTF-8) as '?', byte for byte, cut to the buffer. File names come from the
 * staff and names and statuses from Chorus Pro: none may drive the
 * administrator's terminal or start a line of its own. Returns buf. */
#define CTL_PRINTABLE_MAX 2048
const char *ctl_printable(const char *s, char buf[static CTL_PRINTABLE_MAX]);
