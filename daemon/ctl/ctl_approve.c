/* ctl_approve.c — `chorusctl approve JOB [--as NAME]` and `chorusctl
 * cancel JOB --reason TEXT`: a person's decision on an invoice awaiting
 * approval ([invoice] approval = required, chorusd(8) JOB STATES).
 *
 * While a job awaits approval chorusd does not hold it: its bilan, its
 * preview and its summary are in review/, its state says
 * awaiting_approval, and nothing happens. These commands act the way
 * requeue does, with durable files the daemon picks up:
 *
 *   approve: the audit record (who, when), then the state validated with
 *     APPROVED, APPROVED_BY, APPROVED_AS, then the bilan back into
 *     processing/: chorusd sees it there (inotify) and resumes the job at
 *     once (numbering, rendering, deposit), or at its next start; it
 *     removes the preview.
 *   cancel: the audit record, then the bilan to rejected/ with the French
 *     error file giving the reason, then the state invalid, then the
 *     preview removed. No number was allocated: the convention stays open.
 *
 * Who: the Unix user running chorusctl, from its real uid (never from the
 * environment, which the caller controls), and the name given with --as
 * (a shared admin account, sudo). The audit record is written first and
 * must succeed: a decision nobody can trace is not taken.
 *
 * A crash (or ^C) in between leaves files the next run, or chorusd's
 * start-up recovery, completes: approve again finds the job validated and
 * approved with its bilan still in review/ and moves it; chorusd does the
 * same at start. Cancel again finds the bilan already in rejected/ and
 * saves the state; chorusd at start saves it as well.
 *
 * Exit status: 0 ok, 64 usage, 65 the job is not awaiting approval, 66 no
 * such job, 74 I/O error (the audit log included), 75 its bilan is not in
 * review/ yet (chorusd is moving it: try again), 78 configuration. */
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/fsutil.h"
#include "base/identifiers.h"
#include "ctl/ctl.h"
#include "service/jobstate.h"
#include "service/spool.h"

#define NAME_MAX_BYTES 128   /* --as */
#define REASON_MAX_BYTES 400 /* --reason: one line of the error file and the audit record */

typedef struct ApproveOptions {
        const char *config;
        const char *job;
        const char *as;
        const char *reason;
} ApproveOptions;

typedef struct ApproveContext {
        Config *config;
        JobStore *store;
        Spool *spool;
        Job *job;
        char user[64]; /* the Unix user running chorusctl */
} ApproveContext;

static void context_done(ApproveContext *c) {
        c->job = job_free(c->job);
        c->spool = spool_free(c->spool);
        c->store = jobstore_free(c->store);
        c->config = config_free(c->config);
}

static void approve_help(void) {
        printf("usage: chorusctl approve [-c FILE] JOB [--as NAME]\n"
               "\n"
               "Lets an invoice awaiting approval go on: chorusd allocates its number,\n"
               "renders it and deposits it on Chorus Pro. The preview and summary are in\n"
               "the spool's review/ folder. The audit log records the Unix user running\n"
               "this command and NAME.\n"
               "\n"
               "  -c, --config FILE   main configuration (default %s)\n"
               "      --as NAME       who approves (recorded with the Unix user)\n"
               "  -h, --help          show this help\n",
               CONFIG_DEFAULT_PATH);
}

static void cancel_help(void) {
        printf("usage: chorusctl cancel [-c FILE] JOB --reason TEXT [--as NAME]\n"
               "\n"
               "Refuses an invoice awaiting approval: its bilan goes to rejected/ with an\n"
               "error file giving TEXT (in French, for the staff). No invoice number is\n"
               "used; a corrected bilan for the same convention can be dropped. The audit\n"
               "log records the Unix user running this command, NAME and TEXT.\n"
               "\n"
               "  -c, --config FILE   main configuration (default %s)\n"
               "      --reason TEXT   why (required, one line)\n"
               "      --as NAME       who cancels (recorded with the Unix user)\n"
               "  -h, --help          show this help\n",
               CONFIG_DEFAULT_PATH);
}

static int parse_options(const char *command, int argc, char *argv[], ApproveOptions *o) {
        enum { OPT_AS = 0x100, OPT_REASON };
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "as", required_argument, NULL, OPT_AS },
                { "reason", required_argument, NULL, OPT_REASON },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        bool cancel = streq(command, "cancel");
        int c;

        *o = (ApproveOptions) {};
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
                        if (!cancel)
                                return ctl_usage_error(command, "--reason is for 'chorusctl cancel'");
                        o->reason = optarg;
                        break;
                case 'h':
                        cancel ? cancel_help() : approve_help();
                        return CTL_EXIT_OK;
                default:
                        return ctl_usage_error(command, "invalid option");
                }
        if (optind < argc)
                o->job = argv[optind++];
        if (optind < argc)
                return ctl_usage_error(command, "unexpected argument '%s'", argv[optind]);
        if (!o->job)
                return ctl_usage_error(command, "missing JOB (see 'chorusctl status --state awaiting_approval')");
        if (!job_id_is_valid(o->job))
                return ctl_usage_error(command, "'%s' is not a job id (YYYYMMDD-HHMMSS-xxxxxxxx)", o->job);
        if (o->as && !ctl_line_is_valid(o->as, NAME_MAX_BYTES))
                return ctl_usage_error(command, "--as takes a name: one line of text, at most %d bytes",
                                       NAME_MAX_BYTES);
        if (cancel && !o->reason)
                return ctl_usage_error(command, "missing --reason TEXT (the staff read it in rejected/)");
        if (o->reason && !ctl_line_is_valid(o->reason, REASON_MAX_BYTES))
                return ctl_usage_error(command, "--reason takes one line of text, at most %d bytes",
                                       REASON_MAX_BYTES);
        return -1;
}

/* The Unix user from the real uid: under sudo, root (--as says who). */
static void current_user(char ret[static 64]) {
        struct passwd *pw = getpwuid(getuid());

        if (pw && pw->pw_name && strlen(pw->pw_name) < 64)
                snprintf(ret, 64, "%s", pw->pw_name);
        else
                snprintf(ret, 64, "uid %u", (unsigned) getuid());
}

static int context_open(const char *command, const ApproveOptions *o, ApproveContext *c) {
        int r;

        current_user(c->user); /* before we become the state directory's owner */
        r = ctl_load_config(o->config, &c->config);
        if (r < 0)
                return ctl_exit_config(r);
        r = ctl_become_state_owner(c->config);
        if (r < 0) {
                fprintf(stderr, "chorusctl %s: cannot act as the owner of %s: %s\n", command, c->config->state.dir,
                        strerror(-r));
                return ctl_exit_output(r);
        }
        r = jobstore_open(c->config->state.dir, &c->store);
        if (r >= 0)
                r = spool_open(c->config->spool.dir, c->config->spool.max_file_size, &c->spool);
        if (r < 0) {
                fprintf(stderr, "chorusctl %s: cannot open the state or the spool: %s\n", command, strerror(-r));
                return ctl_exit_input(r);
        }
        return ctl_load_job(command, c->store, c->config->state.dir, o->job, &c->job);
}

/* Where the bilan is, or _SPOOL_DIR_INVALID. */
static SpoolDir bilan_location(ApproveContext *c) {
        SpoolDir where;

        return spool_locate(c->spool, c->job->spool_name, &where) >= 0 ? where : _SPOOL_DIR_INVALID;
}

static int not_waiting(const char *command, ApproveContext *c, SpoolDir where) {
        char buf[CTL_PRINTABLE_MAX];

        if (c->job->state == JOB_STATE_AWAITING_APPROVAL && where == SPOOL_PROCESSING) {
                fprintf(stderr, "chorusctl %s: job %s is awaiting approval, but its bilan %s is still in "
                                "processing/: chorusd is moving it to review/ (try again in a moment). Nothing "
                                "done.\n", command, c->job->id, ctl_printable(c->job->spool_name, buf));
                return CTL_EXIT_TEMPFAIL;
        }
        fprintf(stderr, "chorusctl %s: job %s is %s, not awaiting approval: nothing to %s.\n", command, c->job->id,
                job_state_to_string(c->job->state), command);
        return CTL_EXIT_DATAERR;
}

static int record(const char *command, ApproveContext *c, const char *event, const char *as, const char *detail) {
        _cleanup_(freep) char *message = NULL;
        AuditRecord rec = {
                .event = event,
                .job = c->job->id,
                .convention = c->job->convention,
                .has_amounts = c->job->has_amounts,
                .total = c->job->total,
                .total_before_cap = c->job->total_before_cap,
                .allowance = c->job->allowance,
                .bilan_sha256 = c->job->bilan_sha256,
                .user = c->user,
                .as = as,
                .detail = detail,
        };
        int r = ctl_audit_append(c->config, &rec, &message);

        if (r < 0)
                fprintf(stderr, "chorusctl %s: cannot write the audit log, nothing done: %s\n", command,
                        message ? message : strerror(-r));
        return r;
}

static int failed(const char *command, ApproveContext *c, int r) {
        fprintf(stderr, "chorusctl %s: %s: %s (run the same command again to finish)\n", command, c->job->id,
                strerror(-r));
        return ctl_exit_output(r);
}

/* ---- approve --------------------------------------------------------------------- */

int ctl_approve(int argc, char *argv[]) {
        _cleanup_(context_done) ApproveContext c = {};
        ApproveOptions o;
        SpoolDir where;
        int r;

        r = parse_options("approve", argc, argv, &o);
        if (r >= 0)
                return r;
        r = context_open("approve", &o, &c);
        if (r != CTL_EXIT_OK)
                return r;
        where = bilan_location(&c);
        if (c.job->state == JOB_STATE_VALIDATED && c.job->approved_usec > 0 && where == SPOOL_REVIEW) {
                /* An approval cut short before the move: finish it. */
        } else if (c.job->state != JOB_STATE_AWAITING_APPROVAL || where != SPOOL_REVIEW)
                return not_waiting("approve", &c, where);
        else {
                if (record("approve", &c, "approved", o.as, NULL) < 0)
                        return CTL_EXIT_IOERR;
                c.job->approved_usec = now_realtime_usec();
                if (job_set(&c.job->approved_by, c.user) < 0 || job_set(&c.job->approved_as, o.as) < 0)
                        return CTL_EXIT_SOFTWARE;
                c.job->state = JOB_STATE_VALIDATED;
                c.job->next_attempt_usec = c.job->next_delay_usec = 0;
                r = jobstore_save(c.store, c.job);
                if (r < 0)
                        return failed("approve", &c, r);
        }
        /* The bilan last: chorusd resumes the job when it sees it in processing/. */
        r = spool_move(c.spool, SPOOL_REVIEW, SPOOL_PROCESSING, c.job->spool_name);
        if (r < 0)
                return failed("approve", &c, r);
        printf("Job %s approved by %s%s%s: chorusd numbers and deposits the invoice now if it is running, "
               "otherwise at its next start.\n",
               c.job->id, c.user, o.as ? " as " : "", strempty(o.as));
        return CTL_EXIT_OK;
}

/* ---- cancel ---------------------------------------------------------------------- */

static int cancel_reject(ApproveContext *c, const char *as, const char *reason) {
        Diagnostics d = DIAGNOSTICS_INIT;
        char who[64 + NAME_MAX_BYTES + 16];
        int r;

        snprintf(who, sizeof who, "%s%s%s%s", as ? as : c->user, as ? " (" : "", as ? c->user : "", as ? ")" : "");
        r = diag_error2(&d, c->job->bilan_name, NULL, "cancelled before approval by %s: %s",
                        "la facture de ce bilan a été annulée avant d'être émise, par %s. Motif : %s", who, reason);
        if (r >= 0)
                r = spool_reject(c->spool, SPOOL_REVIEW, c->job->id, c->job->bilan_name, c->job->spool_name, &d);
        diagnostics_clear(&d);
        return r;
}

int ctl_cancel(int argc, char *argv[]) {
        _cleanup_(context_done) ApproveContext c = {};
        char last_error[JOB_LAST_ERROR_MAX];
        ApproveOptions o;
        SpoolDir where;
        int r;

        r = parse_options("cancel", argc, argv, &o);
        if (r >= 0)
                return r;
        r = context_open("cancel", &o, &c);
        if (r != CTL_EXIT_OK)
                return r;
        where = bilan_location(&c);
        if (c.job->state == JOB_STATE_AWAITING_APPROVAL && where == SPOOL_REVIEW) {
                if (record("cancel", &c, "cancelled", o.as, o.reason) < 0)
                        return CTL_EXIT_IOERR;
                r = cancel_reject(&c, o.as, o.reason);
                if (r < 0)
                        return failed("cancel", &c, r);
        } else if (!(c.job->state == JOB_STATE_AWAITING_APPROVAL && where == SPOOL_REJECTED))
                return not_waiting("cancel", &c, where);
        /* else: a cancel cut short after the move: finish it. */
        snprintf(last_error, sizeof last_error, "cancelled before approval by %s%s%s: %s", c.user,
                 o.as ? " as " : "", strempty(o.as), o.reason);
        r = job_set_last_error(c.job, last_error);
        if (r >= 0) {
                c.job->state = JOB_STATE_INVALID;
                c.job->next_attempt_usec = c.job->next_delay_usec = 0;
                r = jobstore_save(c.store, c.job);
        }
        if (r >= 0)
                r = spool_review_clear(c.spool, c.job->id);
        if (r < 0)
                return failed("cancel", &c, r);
        printf("Job %s cancelled by %s%s%s: its bilan is in rejected/ with the reason; no invoice number was "
               "used, and a corrected bilan for convention %s can be dropped.\n",
               c.job->id, c.user, o.as ? " as " : "", strempty(o.as), strempty(c.job->convention));
        return CTL_EXIT_OK;
}
