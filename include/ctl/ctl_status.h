/* ctl_status.h — `chorusctl status`'s filters, its JSON output and its
 * table cells (ctl_status.c); the command itself is in ctl_jobs.c. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "service/jobstate.h"

typedef struct StatusOptions {
        const char *config_path;
        const char *job; /* the JOB argument, or NULL */
        bool states[_JOB_STATE_MAX]; /* --state: which states to show */
        bool any_state;              /* false: every state */
        const char *convention;      /* --convention, or NULL */
        uint64_t since_usec;         /* --since: local midnight of that day, CLOCK_REALTIME µs; 0 = none */
        bool json;
} StatusOptions;

/* Parses status's command line. Returns -1 to go on, or an exit status
 * (after --help or a usage error). */
int status_parse_options(int argc, char *argv[], StatusOptions *ret);
/* Whether a job passes --state, --convention and --since. */
bool status_filter_match(const StatusOptions *o, const Job *j);
/* Whether any filter is set (unreadable jobs are then left out). */
bool status_filter_any(const StatusOptions *o);

/* One table cell: `s` made printable, padded to `width` characters, or cut
 * to width - 1 characters and "…" so that no cut goes unseen. */
void status_print_cell(const char *s, int width);

/* ---- The table's TYPE and LINK columns: invoices and credit notes ---- */

typedef struct StatusCreditNote {
        char *job, *of_job, *of_invoice, *number, *convention;
} StatusCreditNote;

typedef struct StatusLinks {
        StatusCreditNote *notes;
        size_t n;
} StatusLinks;

/* Remembers job `id` if it is a credit note (a first pass over the jobs).
 * Returns 0 or -ENOMEM. */
int status_links_add(StatusLinks *l, const char *id, const Job *j);
void status_links_done(StatusLinks *l);
/* "invoice" or "credit note". */
const char *status_kind(const Job *j);
/* The LINK cell: "cancels NUMBER" (a credit note), "cancelled by NUMBER"
 * (an invoice with a credit note), "replaces NUMBER" (an invoice that
 * came after a credit note of its convention), or "-". */
const char *status_link(const StatusLinks *l, const char *id, const Job *j, char *buf, size_t size);

/* `status JOB`: the complete/recycle request waiting in
 * STATE_DIR/corrections for this job, if any: what was asked, when, by
 * whom, and where it stands. */
void status_print_correction(const char *state_dir, const Job *j);

/* The JSON object of a job (chorusctl(8), "status --json"), printed on
 * one line; a job whose state cannot be read as {"id":…,"unreadable":true}
 * with every other field null (voided_numbers empty). With `audit_path`, the object also has the
 * job's history from the audit log; with `state_dir`, its pending
 * complete/recycle request (or null). Returns 0 or -ENOMEM. */
int status_print_json(const char *id, const Job *j, const char *audit_path, const char *state_dir);
