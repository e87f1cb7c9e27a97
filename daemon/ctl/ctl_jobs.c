/* ctl_jobs.c — `chorusctl status [JOB]` and `chorusctl requeue JOB`.
 *
 * status: a table of every job (bilan, convention, invoice number, state,
 * Chorus Pro status, next attempt, last error), oldest first; with a JOB,
 * everything about it: its persisted state, where its files are, and its
 * history from the audit log. Reads only: safe while chorusd runs.
 *
 * requeue: sends a job from failed/ through the pipeline again. A job that
 * Chorus Pro (or the buyer) rejected gets a new invoice number, the old one
 * staying voided in the register; any other failed job keeps its number,
 * its invoice file and its flux, and resumes where it stopped (a deposit
 * whose fate is unknown is looked up on Chorus Pro before being sent
 * again). The state is written first, then the files go back to
 * processing/, the bilan last: chorusd watches processing/ and resumes the
 * job at once (or at its next start). Run as root, it acts as the owner of
 * the state directory (chorusd's user), so that chorusd can read what it
 * writes.
 *
 * Exit status: 0 ok, 66 no such job (or its state cannot be read), 65 the
 * job is not requeueable, 75 its bilan is not in failed/ yet (try again),
 * 64 usage error, 74 I/O error, 78 the configuration does not load. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "service/audit.h"
#include "ctl/ctl.h"
#include "ctl/ctl_status.h"
#include "base/fsutil.h"
#include "base/identifiers.h"
#include "service/job.h"
#include "service/jobstate.h"
#include "service/metrics.h"
#include "core/notice.h"
#include "base/date.h"
#include "base/money.h"
#include "service/numbering.h"
#include "chorus/retry.h"
#include "service/spool.h"

typedef struct JobsContext {
        Config *config;
        JobStore *store;
} JobsContext;

static void jobs_context_done(JobsContext *c) {
        c->store = jobstore_free(c->store);
        c->config = config_free(c->config);
}

static void requeue_help(void) {
        printf("usage: chorusctl requeue [-c FILE] JOB\n"
               "\n"
               "Sends a job from failed/ through the pipeline again. If Chorus Pro or the\n"
               "buyer rejected its invoice, a new invoice number is allocated and the old\n"
               "one stays voided; otherwise the job keeps its number and resumes where it\n"
               "stopped. chorusd picks the job up at once.\n"
               "\n"
               "  -c, --config FILE   main configuration (default %s)\n"
               "  -h, --help          show this help\n",
               CONFIG_DEFAULT_PATH);
}

/* Returns -1 to go on (with *ret_job the optional argument), or an exit status. */
static int parse_options(const char *command, int argc, char *argv[], void (*help)(void),
                         bool job_required, const char **ret_config, const char **ret_job) {
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "c:h", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        *ret_config = optarg;
                        break;
                case 'h':
                        help();
                        return CTL_EXIT_OK;
                default:
                        return ctl_usage_error(command, "invalid option");
                }
        if (optind < argc)
                *ret_job = argv[optind++];
        if (optind < argc)
                return ctl_usage_error(command, "unexpected argument '%s'", argv[optind]);
        if (job_required && !*ret_job)
                return ctl_usage_error(command, "missing JOB (see 'chorusctl status')");
        if (*ret_job && !job_id_is_valid(*ret_job))
                return ctl_usage_error(command, "'%s' is not a job id (YYYYMMDD-HHMMSS-xxxxxxxx)", *ret_job);
        return -1;
}

static int context_open(const char *config_path, JobsContext *c) {
        int r = ctl_load_config(config_path, &c->config);

        if (r < 0)
                return ctl_exit_config(r);
        r = jobstore_open(c->config->state.dir, &c->store);
        if (r < 0) {
                fprintf(stderr, "chorusctl: cannot open the job states in '%s': %s\n", c->config->state.dir,
                        strerror(-r));
                return ctl_exit_input(r);
        }
        return CTL_EXIT_OK;
}

static int load_job(JobsContext *c, const char *id, Job **ret) {
        return ctl_load_job(NULL, c->store, c->config->state.dir, id, ret);
}

/* ---- status: the table --------------------------------------------------------- */

typedef struct IdList {
        char (*ids)[JOB_ID_MAX];
        size_t n, allocated;
} IdList;

static int collect_id(JobStore *s, const char *id, void *userdata) {
        IdList *l = userdata;
        (void) s;

        if (l->n == l->allocated) {
                size_t k = l->allocated ? l->allocated * 2 : 64;
                void *p = reallocarray(l->ids, k, sizeof *l->ids);
                if (!p)
                        return -ENOMEM;
                l->ids = p;
                l->allocated = k;
        }
        snprintf(l->ids[l->n++], JOB_ID_MAX, "%s", id);
        return 0;
}

static int compare_ids(const void *a, const void *b) {
        return strcmp(a, b);
}

/* "2026-12-10 14:30" (local time), "" for 0. */
static const char *format_local(uint64_t usec, char buf[static 32]) {
        time_t t = (time_t) (usec / USEC_PER_SEC);
        struct tm tm;

        buf[0] = 0;
        if (usec > 0 && localtime_r(&t, &tm))
                strftime(buf, 32, "%Y-%m-%d %H:%M:%S", &tm);
        return buf;
}

/* A cell cuts a long value with a visible "…". */
static void print_cell(const char *s, int width) {
        status_print_cell(s, width);
}

static void print_row(const StatusLinks *links, const Job *j) {
        char next[32], buf[CTL_PRINTABLE_MAX], link[64];

        print_cell(j->id, JOB_ID_LEN);
        print_cell(j->bilan_name, 24);
        print_cell(j->convention ? j->convention : "-", 16);
        print_cell(j->invoice_number ? j->invoice_number : "-", 20);
        print_cell(status_kind(j), 11);
        print_cell(status_link(links, j->id, j, link, sizeof link), 32);
        print_cell(job_state_to_string(j->state), 17); /* "awaiting_approval" */
        print_cell(j->cpp_invoice_status ? j->cpp_invoice_status : j->cpp_flux_state ? j->cpp_flux_state : "-", 28);
        print_cell(j->next_attempt_usec && !job_state_is_terminal(j->state) ? format_local(j->next_attempt_usec, next) : "-", 19);
        printf("%s\n", ctl_printable(j->last_error, buf));
}

/* What chorusd (its daily check, with [notify]) or `chorusctl ping` last
 * heard of the technical account's password: STATE_DIR/chorus-account. */
static void print_password_expiry(const Config *config) {
        _cleanup_(freep) char *expiry = NULL;
        char buf[CTL_PRINTABLE_MAX], when[32];
        uint64_t checked = 0;
        int64_t days;
        Date d;

        if (chorus_account_file_read(config->state.dir, &expiry, &checked) < 0 || !expiry ||
            date_parse(expiry, &d) < 0)
                return;
        days = date_to_days(d) - date_to_days(date_from_time(time(NULL)));
        printf("Technical account password expires on %s (%s%" PRId64 " days%s), as Chorus Pro said on %s%s\n",
               ctl_printable(expiry, buf), days < 0 ? "" : "in ", days < 0 ? -days : days, days < 0 ? " ago" : "",
               format_local(checked, when), days <= NOTICE_PASSWORD_DAYS ? ": renew it soon" : "");
}

/* The credit notes, for the LINK column (each job is read once more). */
static int collect_links(JobsContext *c, const IdList *l, StatusLinks *ret) {
        for (size_t i = 0; i < l->n; i++) {
                _cleanup_(job_freep) Job *j = NULL;

                if (jobstore_load(c->store, l->ids[i], &j, NULL) >= 0 && status_links_add(ret, l->ids[i], j) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int status_table(JobsContext *c, const StatusOptions *o) {
        _cleanup_(status_links_done) StatusLinks links = {};
        IdList l = {};
        unsigned n_by_state[_JOB_STATE_MAX] = {};
        size_t shown = 0;
        int r;

        /* Only the ids are kept (25 bytes each), to sort them; jobs are read
         * one at a time. */
        r = jobstore_foreach(c->store, collect_id, &l);
        if (r < 0) {
                free(l.ids);
                fprintf(stderr, "chorusctl: cannot list jobs: %s\n", strerror(-r));
                return ctl_exit_input(r);
        }
        if (l.n > 0) /* l.ids is NULL when there is no job */
                qsort(l.ids, l.n, sizeof *l.ids, compare_ids);
        if (!o->json && collect_links(c, &l, &links) < 0) {
                free(l.ids);
                return CTL_EXIT_SOFTWARE;
        }
        if (o->json)
                printf("[");
        else
                printf("%-*s  %-24s  %-16s  %-20s  %-11s  %-32s  %-17s  %-28s  %-19s  %s\n", JOB_ID_LEN, "JOB",
                       "BILAN", "CONVENTION", "INVOICE", "TYPE", "LINK", "STATE", "CHORUS PRO", "NEXT ATTEMPT",
                       "LAST ERROR");
        for (size_t i = 0; i < l.n; i++) {
                _cleanup_(job_freep) Job *j = NULL;
                bool readable = jobstore_load(c->store, l.ids[i], &j, NULL) >= 0;

                if (readable ? !status_filter_match(o, j) : status_filter_any(o))
                        continue;
                if (o->json) {
                        printf("%s\n", shown == 0 ? "" : ",");
                        if (status_print_json(l.ids[i], j, NULL, NULL) < 0) {
                                free(l.ids);
                                return CTL_EXIT_SOFTWARE;
                        }
                } else if (!readable)
                        printf("%-*s  (state file unreadable)\n", JOB_ID_LEN, l.ids[i]);
                else
                        print_row(&links, j);
                shown++;
                if (readable)
                        n_by_state[j->state]++;
        }
        free(l.ids);
        if (o->json) {
                printf("%s]\n", shown == 0 ? "" : "\n");
                return CTL_EXIT_OK;
        }
        printf("\n%zu jobs", shown);
        for (int s = 0; s < _JOB_STATE_MAX; s++)
                if (n_by_state[s] > 0)
                        printf(", %u %s", n_by_state[s], job_state_to_string(s));
        printf("\n");
        print_password_expiry(c->config);
        return CTL_EXIT_OK;
}

/* ---- status JOB ------------------------------------------------------------------ */

static void print_field(const char *name, const char *value) {
        char buf[CTL_PRINTABLE_MAX];

        if (value && *value)
                printf("  %-20s %s\n", name, ctl_printable(value, buf));
}

static void print_job(const Job *j) {
        char buf[4][32], money[3][MONEY_DECIMAL_MAX], date[DATE_STRING_MAX];

        printf("Job %s\n", j->id);
        print_field("State:", job_state_to_string(j->state));
        print_field("Bilan:", j->bilan_name);
        print_field("Spool name:", j->spool_name);
        print_field("Bilan SHA-256:", j->bilan_sha256);
        print_field("Convention:", j->convention);
        print_field(job_is_credit_note(j) ? "Credit note:" : "Invoice:", j->invoice_number);
        if (job_is_credit_note(j)) {
                printf("  %-20s invoice %s of %s (job %s)\n", "Cancels:", strempty(j->credit_of_invoice),
                       strempty(j->credit_of_date), strempty(j->credit_of_job));
                print_field("Reason:", j->credit_reason);
        }
        print_field("Issue date:", j->has_issue_date ? date_format(j->issue_date, date) : NULL);
        print_field("Format:", j->format >= 0 ? invoice_format_to_string(j->format) : NULL);
        if (j->has_amounts) {
                money_format(j->total, money[0]);
                money_format(j->total_before_cap, money[1]);
                money_format(j->allowance, money[2]);
                printf("  %-20s %s EUR (before cap %s, cap allowance %s)\n", "Total:", money[0], money[1], money[2]);
        }
        print_field("Invoice file:", j->payload_name);
        print_field("SHA-256:", j->payload_sha256);
        print_field("Flux:", j->flux);
        print_field("Flux state:", j->cpp_flux_state);
        print_field("Chorus Pro id:", j->cpp_invoice_id);
        print_field("Chorus Pro status:", j->cpp_invoice_status);
        print_field("Claimed:", format_local(j->created_usec, buf[0]));
        if (j->approved_usec > 0) {
                char when[32], who[CTL_PRINTABLE_MAX], as[CTL_PRINTABLE_MAX];

                printf("  %-20s %s by %s%s%s\n", "Approved:", format_local(j->approved_usec, when),
                       ctl_printable(j->approved_by, who), j->approved_as ? " as " : "",
                       j->approved_as ? ctl_printable(j->approved_as, as) : "");
        }
        print_field("Deposited:", format_local(j->deposited_usec, buf[1]));
        print_field("Updated:", format_local(j->updated_usec, buf[2]));
        if (!job_state_is_terminal(j->state))
                print_field("Next attempt:", format_local(j->next_attempt_usec, buf[3]));
        if (j->attempts > 0)
                printf("  %-20s %u\n", "Attempts:", j->attempts);
        print_field("Last error:", j->last_error);
        for (size_t i = 0; i < j->n_voided; i++)
                print_field(i == 0 ? "Voided numbers:" : "", j->voided[i]);
}

static void print_location(Spool *s, const char *what, const char *name) {
        char buf[CTL_PRINTABLE_MAX];
        SpoolDir where;

        if (!name)
                return;
        if (spool_locate(s, name, &where) >= 0)
                printf("  %-20s %s/%s\n", what, spool_dir_to_string(where), ctl_printable(name, buf));
        else
                printf("  %-20s %s (not found in the spool)\n", what, ctl_printable(name, buf));
}

/* A file that may not exist (yet): shown only when it does. */
static void print_location_if_any(Spool *s, const char *what, const char *name) {
        SpoolDir where;

        if (spool_locate(s, name, &where) >= 0)
                print_location(s, what, name);
}

static void print_files(const Config *config, const Job *j) {
        _cleanup_(spool_freep) Spool *s = NULL;
        char name[SPOOL_NAME_MAX];

        if (spool_open(config->spool.dir, config->spool.max_file_size, &s) < 0)
                return;
        printf("\nFiles (in %s):\n", config->spool.dir);
        print_location(s, "Bilan:", j->spool_name);
        print_location(s, "Invoice:", j->payload_name);
        if (job_readable_pdf_name(j, name) >= 0 && !streq_ptr(name, j->payload_name))
                print_location_if_any(s, "Readable PDF:", name);
        if (job_receipt_name(j, name) >= 0)
                print_location_if_any(s, "Receipt:", name);
        if (spool_artifact_name(j->id, SPOOL_PREVIEW_SUFFIX, name) >= 0)
                print_location_if_any(s, "Preview:", name);
        if (spool_artifact_name(j->id, SPOOL_SUMMARY_SUFFIX, name) >= 0)
                print_location_if_any(s, "Summary:", name);
        if (job_text_receipt_name(j, name) >= 0)
                print_location_if_any(s, "Text receipt:", name);
}

static int print_audit_record(uint64_t seq, const char *time, const AuditRecord *rec, void *userdata) {
        const char *id = userdata;
        char buf[CTL_PRINTABLE_MAX];

        if (!streq_ptr(rec->job, id))
                return 0;
        printf("  %-27s", ctl_printable(time, buf));
        printf(" #%-6" PRIu64 " %-18s", seq, ctl_printable(rec->event, buf));
        if (rec->invoice)
                printf(" invoice=%s", ctl_printable(rec->invoice, buf));
        if (rec->flux)
                printf(" flux=%s", ctl_printable(rec->flux, buf));
        if (rec->cpp_id)
                printf(" id=%s", ctl_printable(rec->cpp_id, buf));
        if (rec->user)
                printf(" by=%s", ctl_printable(rec->user, buf));
        if (rec->as)
                printf(" as=%s", ctl_printable(rec->as, buf));
        if (rec->detail)
                printf(" — %s", ctl_printable(rec->detail, buf));
        printf("\n");
        return 0;
}

/* The documents issued for the job's convention, oldest first: its
 * invoices and credit notes, each credit note with the invoice it cancels,
 * so that an invoice, its credit note and the new invoice are read
 * together. */
static void print_convention_documents(JobsContext *c, const Job *j) {
        IdList l = {};
        bool header = false;

        if (!j->convention || jobstore_foreach(c->store, collect_id, &l) < 0) {
                free(l.ids);
                return;
        }
        qsort(l.ids, l.n, sizeof *l.ids, compare_ids);
        for (size_t i = 0; i < l.n; i++) {
                _cleanup_(job_freep) Job *o = NULL;

                if (jobstore_load(c->store, l.ids[i], &o, NULL) < 0 || !streq_ptr(o->convention, j->convention) ||
                    (!o->invoice_number && o->n_voided == 0 && !job_is_credit_note(o)))
                        continue;
                if (!header) {
                        printf("\nDocuments of convention %s:\n", j->convention);
                        header = true;
                }
                printf("  %s %-20s %-12s job %s, %s", streq(o->id, j->id) ? "*" : " ",
                       o->invoice_number ? o->invoice_number : "(no number yet)",
                       job_is_credit_note(o) ? "credit note" : "invoice", o->id, job_state_to_string(o->state));
                if (job_is_credit_note(o))
                        printf(", cancels invoice %s", strempty(o->credit_of_invoice));
                printf("\n");
        }
        free(l.ids);
}

static int status_job(JobsContext *c, const char *id, bool json) {
        _cleanup_(job_freep) Job *j = NULL;
        _cleanup_(freep) char *audit_path = NULL;
        char job_id[JOB_ID_MAX];
        int r = load_job(c, id, &j);

        if (r != CTL_EXIT_OK)
                return r;
        if (asprintf(&audit_path, "%s/%s", c->config->state.dir, AUDIT_LOG_FILE) < 0)
                return CTL_EXIT_SOFTWARE;
        if (json) {
                if (status_print_json(id, j, audit_path, c->config->state.dir) < 0)
                        return CTL_EXIT_SOFTWARE;
                printf("\n");
                return CTL_EXIT_OK;
        }
        print_job(j);
        status_print_correction(c->config->state.dir, j);
        print_files(c->config, j);
        print_convention_documents(c, j);
        printf("\nHistory (audit log):\n");
        snprintf(job_id, sizeof job_id, "%s", id);
        r = audit_foreach(audit_path, print_audit_record, job_id);
        if (r < 0)
                printf("  (the audit log cannot be read completely: %s; 'chorusctl audit verify')\n",
                       strerror(-r));
        return CTL_EXIT_OK;
}

int ctl_status(int argc, char *argv[]) {
        _cleanup_(jobs_context_done) JobsContext c = {};
        StatusOptions o;
        int r;

        r = status_parse_options(argc, argv, &o);
        if (r >= 0)
                return r;
        r = context_open(o.config_path, &c);
        if (r != CTL_EXIT_OK)
                return r;
        return o.job ? status_job(&c, o.job, o.json) : status_table(&c, &o);
}

/* ---- requeue ----------------------------------------------------------------------- */

/* The Job back at `state`, ready to run again: the deadline starts now. */
static int requeue_reset(Numbering *n, Job *j, JobState state) {
        NumberingEntry voided;
        int r;

        if (j->state == JOB_STATE_REJECTED) {
                /* Normally voided when Chorus Pro rejected it; make sure. */
                r = numbering_void(n, j->id, "requeued after a Chorus Pro rejection", &voided);
                if (r < 0 && r != -ENOENT)
                        return r;
                r = job_void_number(j);
                if (r < 0 && r != -ENOENT)
                        return r;
                j->has_amounts = false;
                j->deposit_uncertain_usec = 0;
                j->deposited_usec = 0;
        }
        j->state = state;
        j->attempts = 0;
        j->first_attempt_usec = j->outage_usec = 0;
        j->next_attempt_usec = j->next_delay_usec = 0;
        j->lookup_started_usec = j->lookup_usec = 0; /* a look-up starts a full window */
        return job_set_last_error(j, NULL);
}

/* Moves `name` from failed/ to processing/ if it is in failed/. */
static int requeue_move(Spool *s, const char *name) {
        SpoolDir where;

        if (!name || spool_locate(s, name, &where) < 0 || where != SPOOL_FAILED)
                return 0;
        return spool_move(s, SPOOL_FAILED, SPOOL_PROCESSING, name);
}

/* chorusd saves a failed state first, then moves the files, the bilan
 * last: only a bilan in failed/ says that it is done with the job. */
static bool requeue_bilan_is_failed(Spool *s, const Job *j) {
        char buf[CTL_PRINTABLE_MAX], place[32] = "nowhere in the spool";
        SpoolDir where;

        if (spool_locate(s, j->spool_name, &where) >= 0) {
                if (where == SPOOL_FAILED)
                        return true;
                snprintf(place, sizeof place, "in %s/", spool_dir_to_string(where));
        }
        fprintf(stderr,
                "chorusctl requeue: job %s is %s, but its bilan %s is %s, not in failed/: chorusd may still be "
                "moving it (try again in a moment), or it was moved by hand. Nothing done.\n",
                j->id, job_state_to_string(j->state), ctl_printable(j->spool_name, buf), place);
        return false;
}

/* The administrator's action, in the audit log. Each append takes the
 * log's flock, so this is safe next to a running chorusd (which records in
 * turn that it resumed the job). The requeue is done by then: a failure
 * here is reported, not undone. */
static void requeue_audit(const Config *config, const Job *j, const char *detail) {
        _cleanup_(freep) char *message = NULL;
        AuditRecord rec = { .event = "requeued", .job = j->id, .convention = j->convention,
                            .invoice = j->invoice_number, .detail = detail };
        int r = ctl_audit_append(config, &rec, &message);

        if (r < 0)
                fprintf(stderr, "chorusctl requeue: warning: the requeue is not in the audit log: %s\n",
                        message ? message : strerror(-r));
}

int ctl_requeue(int argc, char *argv[]) {
        _cleanup_(jobs_context_done) JobsContext c = {};
        _cleanup_(numbering_freep) Numbering *n = NULL;
        _cleanup_(spool_freep) Spool *s = NULL;
        _cleanup_(job_freep) Job *j = NULL;
        const char *config = NULL, *id = NULL;
        JobState from, to;
        char detail[128], readable[SPOOL_NAME_MAX];
        int r;

        r = parse_options("requeue", argc, argv, requeue_help, true, &config, &id);
        if (r >= 0)
                return r;
        r = context_open(config, &c);
        if (r != CTL_EXIT_OK)
                return r;
        r = ctl_become_state_owner(c.config);
        if (r < 0) {
                fprintf(stderr, "chorusctl requeue: cannot act as the owner of %s: %s\n", c.config->state.dir,
                        strerror(-r));
                return ctl_exit_output(r);
        }
        r = load_job(&c, id, &j);
        if (r != CTL_EXIT_OK)
                return r;
        from = j->state;
        to = job_requeue_state(j);
        if (to < 0) {
                fprintf(stderr, "chorusctl requeue: job %s is %s, not in failed/: nothing to requeue.\n", id,
                        job_state_to_string(from));
                return CTL_EXIT_DATAERR;
        }
        r = spool_open(c.config->spool.dir, c.config->spool.max_file_size, &s);
        if (r >= 0 && !requeue_bilan_is_failed(s, j))
                return CTL_EXIT_TEMPFAIL; /* chorusd may still be moving it */
        if (r >= 0)
                r = numbering_open(c.config->state.dir, &n);
        if (r >= 0)
                r = requeue_reset(n, j, to);
        if (r >= 0)
                r = jobstore_save(c.store, j);
        /* The files, the bilan last: chorusd resumes the job when it sees it. */
        if (r >= 0 && job_readable_pdf_name(j, readable) >= 0 && !streq_ptr(readable, j->payload_name))
                r = requeue_move(s, readable);
        if (r >= 0)
                r = requeue_move(s, j->payload_name);
        if (r >= 0)
                r = requeue_move(s, j->spool_name);
        if (r < 0) {
                fprintf(stderr, "chorusctl requeue: %s: %s\n", id, strerror(-r));
                return ctl_exit_output(r);
        }
        snprintf(detail, sizeof detail, "from %s to %s", job_state_to_string(from), job_state_to_string(to));
        requeue_audit(c.config, j, detail);
        if (from == JOB_STATE_REJECTED)
                printf("Job %s requeued: a new invoice number will be allocated (%s stays voided).\n", id,
                       j->n_voided > 0 ? j->voided[j->n_voided - 1] : "the old one");
        else
                printf("Job %s requeued at '%s'%s%s.\n", id, job_state_to_string(to),
                       j->invoice_number ? ", keeping invoice number " : "", strempty(j->invoice_number));
        printf("chorusd resumes it now if it is running, otherwise at its next start.\n");
        return CTL_EXIT_OK;
}
