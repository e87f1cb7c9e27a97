/* ctl_credit.c — `chorusctl credit JOB --reason TEXT [--as NAME]`: issue
 * the credit note (avoir, type 381) that cancels the whole invoice of a job
 * Chorus Pro integrated (state integrated or done, files in done/).
 *
 * Like approve, it acts through durable files the daemon picks up, never
 * by talking to it. In this order:
 *
 *   1. the audit record "credit_requested" (who, --as, the reason): a
 *      decision nobody can trace is not taken;
 *   2. numbers/credits/JOB names the new credit-note job K, under the
 *      numbering lock: this is what makes a second credit note for JOB
 *      impossible;
 *   3. K's state, received, with CREDIT_OF_JOB, CREDIT_OF_INVOICE,
 *      CREDIT_OF_DATE, CREDIT_REASON and the invoice's format;
 *   4. a copy of JOB's bilan (from done/) into processing/ as K's bilan:
 *      chorusd sees it (inotify) or finds it at start and runs K through the
 *      invoice pipeline, numbered in the same register
 *      (numbering_allocate_credit), deposited exactly once, followed.
 *
 * A crash (or ^C) in between: `credit` again finds numbers/credits/JOB
 * naming K and finishes steps 3 and 4; once K's bilan is in the spool, it
 * refuses (a credit note exists). The convention is open again only when
 * Chorus Pro has integrated the credit note (job_follow.c).
 *
 * Exit status: 0 ok, 64 usage, 65 the job cannot be credited (not
 * integrated, a credit note itself, or it already has one), 66 no such job,
 * 74 I/O error (the audit log included), 78 configuration. */
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/fsutil.h"
#include "base/identifiers.h"
#include "ctl/ctl.h"
#include "service/jobstate.h"
#include "service/numbering.h"
#include "service/spool.h"

#define COMMAND "credit"
#define NAME_MAX_BYTES 128   /* --as */
#define REASON_MAX_BYTES 400 /* --reason: one BT-22 note and the audit record */

typedef struct CreditOptions {
        const char *config;
        const char *job;
        const char *as;
        const char *reason;
} CreditOptions;

typedef struct CreditContext {
        Config *config;
        JobStore *store;
        Spool *spool;
        Numbering *numbering;
        Job *job;      /* the invoice's */
        Job *credit;   /* the credit note's */
        char user[64]; /* the Unix user running chorusctl */
} CreditContext;

static void context_done(CreditContext *c) {
        c->credit = job_free(c->credit);
        c->job = job_free(c->job);
        c->numbering = numbering_free(c->numbering);
        c->spool = spool_free(c->spool);
        c->store = jobstore_free(c->store);
        c->config = config_free(c->config);
}

static void credit_help(void) {
        printf("usage: chorusctl credit [-c FILE] JOB --reason TEXT [--as NAME]\n"
               "\n"
               "Issues the credit note (avoir) that cancels the whole invoice of JOB, which\n"
               "Chorus Pro integrated: chorusd numbers it in the same register, deposits it\n"
               "once and follows it. Once it is integrated, a corrected bilan for the\n"
               "convention is accepted and invoiced under a new number. A job has at most\n"
               "one credit note. The audit log records the Unix user, NAME and TEXT.\n"
               "\n"
               "  -c, --config FILE   main configuration (default %s)\n"
               "      --reason TEXT   why (required, one line: printed on the credit note)\n"
               "      --as NAME       who asks (recorded with the Unix user)\n"
               "  -h, --help          show this help\n",
               CONFIG_DEFAULT_PATH);
}

static int parse_options(int argc, char *argv[], CreditOptions *o) {
        enum { OPT_AS = 0x100, OPT_REASON };
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "as", required_argument, NULL, OPT_AS },
                { "reason", required_argument, NULL, OPT_REASON },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        *o = (CreditOptions) {};
        optind = 0;
        while ((c = getopt_long(argc, argv, "c:h", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        o->config = optarg;
                        break;
                case OPT_AS:
                        o->as = optarg;
                        break;
                case OPT_REASON:
                        o->reason = optarg;
                        break;
                case 'h':
                        credit_help();
                        return CTL_EXIT_OK;
                default:
                        return ctl_usage_error(COMMAND, "invalid option");
                }
        if (optind < argc)
                o->job = argv[optind++];
        if (optind < argc)
                return ctl_usage_error(COMMAND, "unexpected argument '%s'", argv[optind]);
        if (!o->job)
                return ctl_usage_error(COMMAND, "missing JOB (see 'chorusctl status --state integrated,done')");
        if (!job_id_is_valid(o->job))
                return ctl_usage_error(COMMAND, "'%s' is not a job id (YYYYMMDD-HHMMSS-xxxxxxxx)", o->job);
        if (o->as && !ctl_line_is_valid(o->as, NAME_MAX_BYTES))
                return ctl_usage_error(COMMAND, "--as takes a name: one line of text, at most %d bytes",
                                       NAME_MAX_BYTES);
        if (!o->reason)
                return ctl_usage_error(COMMAND, "missing --reason TEXT (printed on the credit note)");
        if (!ctl_line_is_valid(o->reason, REASON_MAX_BYTES))
                return ctl_usage_error(COMMAND, "--reason takes one line of text, at most %d bytes",
                                       REASON_MAX_BYTES);
        return -1;
}

static void current_user(char ret[static 64]) {
        struct passwd *pw = getpwuid(getuid());

        if (pw && pw->pw_name && strlen(pw->pw_name) < 64)
                snprintf(ret, 64, "%s", pw->pw_name);
        else
                snprintf(ret, 64, "uid %u", (unsigned) getuid());
}

static int context_open(const CreditOptions *o, CreditContext *c) {
        int r;

        current_user(c->user); /* before we become the state directory's owner */
        r = ctl_load_config(o->config, &c->config);
        if (r < 0)
                return ctl_exit_config(r);
        r = ctl_become_state_owner(c->config);
        if (r < 0) {
                fprintf(stderr, "chorusctl %s: cannot act as the owner of %s: %s\n", COMMAND, c->config->state.dir,
                        strerror(-r));
                return ctl_exit_output(r);
        }
        r = jobstore_open(c->config->state.dir, &c->store);
        if (r >= 0)
                r = spool_open(c->config->spool.dir, c->config->spool.max_file_size, &c->spool);
        if (r >= 0)
                r = numbering_open(c->config->state.dir, &c->numbering);
        if (r < 0) {
                fprintf(stderr, "chorusctl %s: cannot open the state or the spool: %s\n", COMMAND, strerror(-r));
                return ctl_exit_input(r);
        }
        return ctl_load_job(COMMAND, c->store, c->config->state.dir, o->job, &c->job);
}

/* Integrated or later, an invoice (not a credit note), its bilan in done/. */
static int check_creditable(CreditContext *c) {
        const Job *j = c->job;
        SpoolDir where;

        if (job_is_credit_note(j)) {
                fprintf(stderr, "chorusctl %s: job %s is itself the credit note of invoice %s: nothing to credit.\n",
                        COMMAND, j->id, strempty(j->credit_of_invoice));
                return CTL_EXIT_DATAERR;
        }
        if ((j->state != JOB_STATE_INTEGRATED && j->state != JOB_STATE_DONE) || !j->invoice_number ||
            !j->has_issue_date || !j->convention) {
                fprintf(stderr, "chorusctl %s: job %s is %s: only an invoice Chorus Pro integrated (state "
                                "integrated or done) can be credited.\n",
                        COMMAND, j->id, job_state_to_string(j->state));
                return CTL_EXIT_DATAERR;
        }
        if (spool_locate(c->spool, j->spool_name, &where) < 0 || where != SPOOL_DONE) {
                fprintf(stderr, "chorusctl %s: the bilan of job %s is not in done/ yet (chorusd is moving it: "
                                "try again in a moment). Nothing done.\n", COMMAND, j->id);
                return CTL_EXIT_TEMPFAIL;
        }
        return CTL_EXIT_OK;
}

static int record(CreditContext *c, const char *as, const char *reason) {
        _cleanup_(freep) char *message = NULL;
        AuditRecord rec = {
                .event = "credit_requested",
                .job = c->job->id,
                .convention = c->job->convention,
                .invoice = c->job->invoice_number,
                .has_amounts = c->job->has_amounts,
                .total = c->job->total,
                .total_before_cap = c->job->total_before_cap,
                .allowance = c->job->allowance,
                .bilan_sha256 = c->job->bilan_sha256,
                .user = c->user,
                .as = as,
                .detail = reason,
        };
        int r = ctl_audit_append(c->config, &rec, &message);

        if (r < 0)
                fprintf(stderr, "chorusctl %s: cannot write the audit log, nothing done: %s\n", COMMAND,
                        message ? message : strerror(-r));
        return r;
}

/* Step 3: the credit-note job's state, from the invoice's. */
static int create_credit_job(CreditContext *c, const char *id, const char *reason) {
        const Job *j = c->job;
        char spool_name[SPOOL_NAME_MAX], date[DATE_STRING_MAX];
        int r;

        spool_bilan_name(id, j->bilan_name, spool_name);
        r = job_new(id, j->bilan_name, spool_name, &c->credit);
        if (r < 0)
                return r;
        c->credit->created_usec = now_realtime_usec();
        c->credit->format = j->format;
        if (job_set(&c->credit->convention, j->convention) < 0 ||
            job_set(&c->credit->bilan_sha256, j->bilan_sha256) < 0 ||
            job_set(&c->credit->credit_of_job, j->id) < 0 ||
            job_set(&c->credit->credit_of_invoice, j->invoice_number) < 0 ||
            job_set(&c->credit->credit_of_date, date_format(j->issue_date, date)) < 0 ||
            job_set(&c->credit->credit_reason, reason) < 0)
                return -ENOMEM;
        r = jobstore_create(c->store, c->credit);
        return r == -EEXIST ? 0 : r;
}

/* Step 4: the invoice's bilan, byte for byte, as the credit job's. */
static int copy_bilan(CreditContext *c) {
        _cleanup_(freep) char *data = NULL;
        size_t size;
        int r;

        r = read_file_bounded_at(spool_dirfd(c->spool, SPOOL_DONE), c->job->spool_name,
                                 c->config->spool.max_file_size, &data, &size);
        if (r < 0)
                return r;
        r = spool_write(c->spool, SPOOL_PROCESSING, c->credit->spool_name, data, size);
        return r == -EEXIST ? 0 : r;
}

static int failed(CreditContext *c, int r) {
        fprintf(stderr, "chorusctl %s: %s: %s (run the same command again to finish)\n", COMMAND, c->job->id,
                strerror(-r));
        return ctl_exit_output(r);
}

int ctl_credit(int argc, char *argv[]) {
        _cleanup_(context_done) CreditContext c = {};
        char id[JOB_ID_MAX], existing[JOB_ID_MAX];
        CreditOptions o;
        SpoolDir where;
        int r;

        r = parse_options(argc, argv, &o);
        if (r >= 0)
                return r;
        r = context_open(&o, &c);
        if (r != CTL_EXIT_OK)
                return r;
        r = check_creditable(&c);
        if (r != CTL_EXIT_OK)
                return r;

        r = numbering_lookup_credit(c.numbering, c.job->id, existing);
        if (r >= 0) {
                Job *k = NULL;

                /* Already asked: finished, or cut short before its bilan was in the spool. */
                if (jobstore_load(c.store, existing, &k, NULL) >= 0 && spool_locate(c.spool, k->spool_name, &where) >= 0) {
                        fprintf(stderr, "chorusctl %s: job %s (invoice %s) already has a credit note: job %s%s%s, "
                                        "state %s. Nothing done.\n",
                                COMMAND, c.job->id, c.job->invoice_number, k->id, k->invoice_number ? ", " : "",
                                strempty(k->invoice_number), job_state_to_string(k->state));
                        job_free(k);
                        return CTL_EXIT_DATAERR;
                }
                job_free(k);
                memcpy(id, existing, JOB_ID_MAX);
        } else if (r == -ENOENT) {
                if (record(&c, o.as, o.reason) < 0)
                        return CTL_EXIT_IOERR;
                job_id_new(now_realtime_usec(), id);
                r = numbering_request_credit(c.numbering, c.job->id, id, existing);
                if (r == -EEXIST) { /* another chorusctl credit, just now */
                        fprintf(stderr, "chorusctl %s: job %s already has a credit note: job %s. Nothing done.\n",
                                COMMAND, c.job->id, existing);
                        return CTL_EXIT_DATAERR;
                }
                if (r < 0)
                        return failed(&c, r);
        } else
                return failed(&c, r);

        r = create_credit_job(&c, id, o.reason);
        if (r >= 0 && !c.credit->credit_reason)
                r = -EBADMSG;
        /* The bilan last: chorusd resumes the job when it sees it in processing/. */
        if (r >= 0)
                r = copy_bilan(&c);
        if (r < 0)
                return failed(&c, r);
        printf("Credit note of invoice %s (job %s) asked by %s%s%s: job %s. chorusd numbers and deposits it now "
               "if it is running, otherwise at its next start; once Chorus Pro integrates it, a corrected bilan "
               "for convention %s can be dropped.\n",
               c.job->invoice_number, c.job->id, c.user, o.as ? " as " : "", strempty(o.as), id,
               c.job->convention);
        return CTL_EXIT_OK;
}
