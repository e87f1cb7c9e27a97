/* ctl_correct.c — `chorusctl complete JOB --attach FILE… --comment TEXT`
 * (an invoice Chorus Pro lists as SUSPENDUE or A_COMPLETER: the buyer
 * waits for documents) and `chorusctl recycle JOB --service CODE
 * [--engagement EJ]` (A_RECYCLER: the routing was wrong; the invoice keeps
 * its number).
 *
 * Like credit and approve, they act through durable files the daemon
 * picks up, never by talking to it:
 *
 *   1. every limit checked first (PDF only, 10 files of 10 MB, names of
 *      100 characters, a comment of 2000: chorus_api.h), so that what
 *      Chorus Pro would refuse is refused here, before anything is
 *      recorded;
 *   2. the audit record "complete_requested" / "recycle_requested" (the
 *      Unix user, --as, what is sent): a decision nobody can trace is not
 *      taken;
 *   3. the request in STATE_DIR/corrections (correction.h): the PDFs
 *      copied there, then the request file.
 *
 * chorusd sees it at once (inotify on corrections/), asks for the
 * invoice's history and sends it with it, exactly once
 * (job_correct.c), and the follow-up goes on to the next status.
 *
 * Exit status: 0 ok, 64 usage, 65 the invoice is not in a status this
 * command answers, or a request is already pending, or an attachment is
 * refused, 66 no such job or file, 74 I/O error (the audit log included),
 * 78 configuration. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/fsutil.h"
#include "base/identifiers.h"
#include "ctl/ctl.h"
#include "service/correction.h"
#include "service/jobstate.h"

#define NAME_MAX_BYTES 128 /* --as */

typedef struct CorrectOptions {
        CorrectionKind kind;
        const char *command;
        const char *config;
        const char *job;
        const char *as;
        const char *comment;
        const char *service;
        const char *engagement;
        const char *attach[CHORUS_ATTACHMENTS_MAX];
        size_t n_attach;
} CorrectOptions;

static void complete_help(void) {
        printf("usage: chorusctl complete [-c FILE] JOB [--attach FILE]... [--comment TEXT] [--as NAME]\n"
               "\n"
               "Answers an invoice Chorus Pro lists as SUSPENDUE or A_COMPLETER (the buyer asks for\n"
               "documents): chorusd sends the PDF files and the comment (completer) once, within\n"
               "seconds, and follows the invoice on (COMPLETEE, then on to payment). At\n"
               "most %d PDF files of 10 MB each; a comment, an attachment, or both. The audit log\n"
               "records the Unix user and NAME.\n"
               "\n"
               "  -c, --config FILE   main configuration (default %s)\n"
               "      --attach FILE   a PDF to send (repeat for several)\n"
               "      --comment TEXT  the answer to the buyer (%d characters at most)\n"
               "      --as NAME       who asks (recorded with the Unix user)\n"
               "  -h, --help          show this help\n",
               CHORUS_ATTACHMENTS_MAX, CONFIG_DEFAULT_PATH, CHORUS_COMMENT_MAX);
}

static void recycle_help(void) {
        printf("usage: chorusctl recycle [-c FILE] JOB --service CODE [--engagement EJ] [--as NAME]\n"
               "\n"
               "Fixes the routing of an invoice Chorus Pro lists as A_RECYCLER: chorusd sends the\n"
               "new service code and engagement number (recycler) once, within seconds; the\n"
               "invoice keeps its number and goes on its way to payment. Fix the\n"
               "convention too, for the next invoices. The audit log records the Unix user and NAME.\n"
               "\n"
               "  -c, --config FILE      main configuration (default %s)\n"
               "      --service CODE     the buyer's service code (see chorusctl structure SIRET)\n"
               "      --engagement EJ    the engagement number, if the buyer needs one\n"
               "      --as NAME          who asks (recorded with the Unix user)\n"
               "  -h, --help             show this help\n",
               CONFIG_DEFAULT_PATH);
}

static int check_options(CorrectOptions *o) {
        const char *c = o->command;

        if (!o->job)
                return ctl_usage_error(c, "missing JOB (see 'chorusctl status --state integrated')");
        if (!job_id_is_valid(o->job))
                return ctl_usage_error(c, "'%s' is not a job id (YYYYMMDD-HHMMSS-xxxxxxxx)", o->job);
        if (o->as && !ctl_line_is_valid(o->as, NAME_MAX_BYTES))
                return ctl_usage_error(c, "--as takes a name: one line of text, at most %d bytes", NAME_MAX_BYTES);
        if (o->kind == CORRECTION_COMPLETE) {
                if (o->n_attach == 0 && !o->comment)
                        return ctl_usage_error(c, "give --attach FILE, --comment TEXT, or both");
                if (o->comment && chorus_complete_check(&(ChorusCompleteRequest){ .id_facture = 1,
                                                                                  .comment = o->comment }) < 0)
                        return ctl_usage_error(c, "--comment takes text of %d characters at most, without "
                                                  "control characters but line breaks", CHORUS_COMMENT_MAX);
        } else {
                if (!o->service)
                        return ctl_usage_error(c, "missing --service CODE (see 'chorusctl structure SIRET')");
                cJSON *json = NULL;
                int r = chorus_build_recycle(&(ChorusRecycleRequest){ .id_facture = 1, .service_code = o->service,
                                                                      .engagement = o->engagement }, &json);
                cJSON_Delete(json);
                if (r < 0)
                        return ctl_usage_error(c, "--service and --engagement take one line of text (engagement: "
                                                  "50 characters at most)");
        }
        return -1;
}

static int parse_options(int argc, char *argv[], CorrectOptions *o) {
        enum { OPT_AS = 0x100, OPT_ATTACH, OPT_COMMENT, OPT_SERVICE, OPT_ENGAGEMENT };
        static const struct option complete_options[] = {
                { "config", required_argument, NULL, 'c' }, { "as", required_argument, NULL, OPT_AS },
                { "attach", required_argument, NULL, OPT_ATTACH },
                { "comment", required_argument, NULL, OPT_COMMENT }, { "help", no_argument, NULL, 'h' }, {},
        };
        static const struct option recycle_options[] = {
                { "config", required_argument, NULL, 'c' }, { "as", required_argument, NULL, OPT_AS },
                { "service", required_argument, NULL, OPT_SERVICE },
                { "engagement", required_argument, NULL, OPT_ENGAGEMENT }, { "help", no_argument, NULL, 'h' }, {},
        };
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "c:h", o->kind == CORRECTION_COMPLETE ? complete_options : recycle_options,
                                NULL)) >= 0)
                switch (c) {
                case 'c':
                        o->config = optarg;
                        break;
                case OPT_AS:
                        o->as = optarg;
                        break;
                case OPT_ATTACH:
                        if (o->n_attach >= CHORUS_ATTACHMENTS_MAX)
                                return ctl_usage_error(o->command, "at most %d --attach", CHORUS_ATTACHMENTS_MAX);
                        o->attach[o->n_attach++] = optarg;
                        break;
                case OPT_COMMENT:
                        o->comment = optarg;
                        break;
                case OPT_SERVICE:
                        o->service = optarg;
                        break;
                case OPT_ENGAGEMENT:
                        o->engagement = optarg;
                        break;
                case 'h':
                        if (o->kind == CORRECTION_COMPLETE)
                                complete_help();
                        else
                                recycle_help();
                        return CTL_EXIT_OK;
                default:
                        return ctl_usage_error(o->command, "invalid option");
                }
        if (optind < argc)
                o->job = argv[optind++];
        if (optind < argc)
                return ctl_usage_error(o->command, "unexpected argument '%s'", argv[optind]);
        return check_options(o);
}

static void current_user(char ret[static 64]) {
        struct passwd *pw = getpwuid(getuid());

        if (pw && pw->pw_name && strlen(pw->pw_name) < 64)
                snprintf(ret, 64, "%s", pw->pw_name);
        else
                snprintf(ret, 64, "uid %u", (unsigned) getuid());
}

/* Step 1 for the files: read as the user (before we become the state
 * directory's owner), each checked as Chorus Pro would. */
static int read_attachments(const CorrectOptions *o, Correction *c) {
        for (size_t i = 0; i < o->n_attach; i++) {
                const char *base = strrchr(o->attach[i], '/');
                int r;

                base = base ? base + 1 : o->attach[i];
                r = read_file_bounded(o->attach[i], CHORUS_ATTACHMENT_MAX, &c->data[i], &c->sizes[i]);
                if (r == -EFBIG || r == -E2BIG || r == -EOVERFLOW) {
                        fprintf(stderr, "chorusctl %s: %s: larger than 10 MB, the most Chorus Pro takes. Nothing done.\n",
                                o->command, o->attach[i]);
                        return CTL_EXIT_DATAERR;
                }
                if (r < 0) {
                        fprintf(stderr, "chorusctl %s: cannot read %s: %s. Nothing done.\n", o->command, o->attach[i],
                                strerror(-r));
                        return r == -ENOENT ? CTL_EXIT_NOINPUT : ctl_exit_input(r);
                }
                c->names[i] = strdup(base);
                if (!c->names[i])
                        return CTL_EXIT_IOERR;
                c->n_attachments = i + 1;
                r = chorus_attachment_check(c->names[i], c->data[i], c->sizes[i]);
                if (r < 0) {
                        fprintf(stderr, "chorusctl %s: %s: %s. Nothing done.\n", o->command, o->attach[i],
                                r == -EMEDIUMTYPE ? "not a PDF (Chorus Pro takes PDF attachments only)"
                                : r == -EFBIG     ? "larger than 10 MB, the most Chorus Pro takes"
                                                  : "empty, or a name over 100 characters or with control characters");
                        return CTL_EXIT_DATAERR;
                }
        }
        return CTL_EXIT_OK;
}

static int check_job(const CorrectOptions *o, const Job *j) {
        if (j->state != JOB_STATE_INTEGRATED || !j->cpp_invoice_id || !correction_answers(o->kind, j->cpp_invoice_status)) {
                fprintf(stderr, "chorusctl %s: job %s is %s%s%s: only an invoice Chorus Pro lists as %s can be %s.\n",
                        o->command, j->id, job_state_to_string(j->state), j->cpp_invoice_status ? ", on Chorus Pro " : "",
                        strempty(j->cpp_invoice_status),
                        o->kind == CORRECTION_COMPLETE ? "SUSPENDUE or A_COMPLETER" : "A_RECYCLER",
                        o->kind == CORRECTION_COMPLETE ? "completed" : "recycled");
                return CTL_EXIT_DATAERR;
        }
        return CTL_EXIT_OK;
}

static int record(const Config *config, const CorrectOptions *o, const Job *j, const char *user) {
        _cleanup_(freep) char *message = NULL, *detail = NULL;
        char event[32];
        int r;

        snprintf(event, sizeof event, "%s_requested", o->command);
        if (o->kind == CORRECTION_COMPLETE)
                r = asprintf(&detail, "%zu attachment(s); %s", o->n_attach, o->comment ? o->comment : "no comment");
        else
                r = asprintf(&detail, "service %s; engagement %s", o->service, o->engagement ? o->engagement : "none");
        if (r < 0)
                return -ENOMEM;
        AuditRecord rec = {
                .event = event, .job = j->id, .convention = j->convention, .invoice = j->invoice_number,
                .has_amounts = j->has_amounts, .total = j->total, .total_before_cap = j->total_before_cap,
                .allowance = j->allowance, .bilan_sha256 = j->bilan_sha256, .cpp_id = j->cpp_invoice_id,
                .user = user, .as = o->as, .detail = detail,
        };
        r = ctl_audit_append(config, &rec, &message);
        if (r < 0)
                fprintf(stderr, "chorusctl %s: cannot write the audit log, nothing done: %s\n", o->command,
                        message ? message : strerror(-r));
        return r;
}

static int correct(int argc, char *argv[], CorrectOptions *o) {
        _cleanup_(correction_freep) Correction *c = calloc(1, sizeof(Correction));
        _cleanup_(config_freep) Config *config = NULL;
        _cleanup_(jobstore_freep) JobStore *store = NULL;
        _cleanup_(job_freep) Job *j = NULL;
        _cleanup_(closep) int dirfd = -1;
        char user[64], id[32];
        int r;

        r = parse_options(argc, argv, o);
        if (r >= 0)
                return r;
        if (!c)
                return CTL_EXIT_IOERR;
        current_user(user);
        r = read_attachments(o, c);
        if (r != CTL_EXIT_OK)
                return r;
        r = ctl_load_config(o->config, &config);
        if (r < 0)
                return ctl_exit_config(r);
        r = ctl_become_state_owner(config);
        if (r < 0) {
                fprintf(stderr, "chorusctl %s: cannot act as the owner of %s: %s\n", o->command, config->state.dir,
                        strerror(-r));
                return ctl_exit_output(r);
        }
        r = jobstore_open(config->state.dir, &store);
        if (r < 0) {
                fprintf(stderr, "chorusctl %s: cannot open the state directory %s: %s\n", o->command,
                        config->state.dir, strerror(-r));
                return ctl_exit_input(r);
        }
        r = ctl_load_job(o->command, store, config->state.dir, o->job, &j);
        if (r != CTL_EXIT_OK)
                return r;
        r = check_job(o, j);
        if (r != CTL_EXIT_OK)
                return r;
        dirfd = correction_dir_open(config->state.dir);
        if (dirfd < 0) {
                fprintf(stderr, "chorusctl %s: cannot open %s/%s: %s\n", o->command, config->state.dir,
                        CORRECTIONS_DIR, strerror(-dirfd));
                return ctl_exit_output(dirfd);
        }
        if (correction_pending(dirfd, j->id)) {
                fprintf(stderr, "chorusctl %s: job %s already has a request waiting for chorusd. Nothing done.\n",
                        o->command, j->id);
                return CTL_EXIT_DATAERR;
        }
        if (record(config, o, j, user) < 0)
                return CTL_EXIT_IOERR;
        snprintf(id, sizeof id, "%" PRIu64, now_realtime_usec());
        c->kind = o->kind;
        if (job_set(&c->id, id) < 0 || job_set(&c->comment, o->comment) < 0 || job_set(&c->service, o->service) < 0 ||
            job_set(&c->engagement, o->engagement) < 0 || job_set(&c->user, user) < 0 || job_set(&c->as, o->as) < 0)
                return CTL_EXIT_IOERR;
        r = correction_write(dirfd, j->id, c);
        if (r < 0) {
                fprintf(stderr, "chorusctl %s: cannot write the request of job %s: %s (run the same command again)\n",
                        o->command, j->id, strerror(-r));
                return ctl_exit_output(r);
        }
        printf("%s of invoice %s (job %s) asked by %s%s%s: chorusd sends it to Chorus Pro within seconds "
               "(if it is running).\n", o->kind == CORRECTION_COMPLETE ? "Completion" : "Recycling", j->invoice_number, j->id,
               user, o->as ? " as " : "", strempty(o->as));
        return CTL_EXIT_OK;
}

int ctl_complete(int argc, char *argv[]) {
        CorrectOptions o = { .kind = CORRECTION_COMPLETE, .command = "complete" };
        return correct(argc, argv, &o);
}

int ctl_recycle(int argc, char *argv[]) {
        CorrectOptions o = { .kind = CORRECTION_RECYCLE, .command = "recycle" };
        return correct(argc, argv, &o);
}
