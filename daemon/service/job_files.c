/* job_files.c — a job's files in the spool (job.c): moving them between
 * the spool folders, failed/ with its error file (Chorus Pro's rejection,
 * retries that ran out, a local failure), and done/ with the receipt once
 * Chorus Pro integrated the invoice.
 *
 * Failures: temporary ones (network, 5xx, 429, token, and also the
 * operator's PISTE/TLS setup, which a reload can fix) are retried with
 * retry_next_delay() from the persisted attempt count until retry_deadline,
 * then failed/. The deadline counts a run of failures without any answer
 * from Chorus Pro (an outage): any answer, "not found" included, ends it.
 * Functional ones go to failed/ (or rejected/ for a bad bilan) at once,
 * with the reason. A failed fsync is fatal (manager_fatal).
 * */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "service/audit.h"
#include "core/bilan.h"
#include "chorus/chorus_client.h"
#include "chorus/chorus_json.h"
#include "base/fileio.h"
#include "base/fsutil.h"
#include "service/job.h"
#include "service/job_host.h"
#include "service/log-ids.h"
#include "base/log.h"
#include "base/money.h"
#include "service/numbering.h"
#include "writers/render.h"
#include "service/pdf_assets.h"
#include "chorus/retry.h"
#include "service/job_internal.h"
#include "core/receipt_text.h"

/* ---- Files in the spool -------------------------------------------------------- */

/* Moves one of the job's files to `to` from wherever it is (idempotent:
 * a file already there, or gone, is left alone), without the fsyncs: the
 * folders it left are added to `*left` (a bit per SpoolDir), and the
 * caller fsyncs them and `to` (run_move_all). Returns 1 when it moved. */
static int run_move_file(JobRun *r, const char *name, SpoolDir to, unsigned *left) {
        SpoolDir where;
        int k;

        if (!name)
                return 0;
        k = spool_locate(r->host->spool, name, &where);
        if (k == -ENOENT || (k >= 0 && where == to))
                return 0;
        if (k < 0)
                return k;
        k = spool_move_nosync(r->host->spool, where, to, name);
        if (k < 0)
                return k;
        *left |= 1u << where;
        return 1;
}

/* fsync of `to` and of every folder in `*left` (when something moved),
 * which is emptied; a failed fsync is fatal. */
static int run_sync_moves(JobRun *r, SpoolDir to, unsigned *left) {
        int k = 0;

        if (*left == 0)
                return 0;
        k = spool_sync(r->host->spool, to);
        for (SpoolDir d = 0; d < _SPOOL_DIR_MAX && k >= 0; d++)
                if (d != to && (*left & (1u << d)))
                        k = spool_sync(r->host->spool, d);
        *left = 0;
        if (k < 0)
                job_host_fatal(r->host, k, "moving a job's file");
        return k;
}

int job_receipt_name(const Job *j, char ret[static SPOOL_NAME_MAX]) {
        char suffix[48];

        if (j->n_voided == 0)
                return spool_artifact_name(j->id, "receipt.json", ret);
        snprintf(suffix, sizeof suffix, "receipt-%zu.json", j->n_voided);
        return spool_artifact_name(j->id, suffix, ret);
}

/* JOBID.NUMBER.EXT → JOBID.NUMBER.`suffix`. */
static int payload_sibling_name(const Job *j, const char *suffix, char ret[static SPOOL_NAME_MAX]) {
        const char *dot;
        size_t n;

        if (isempty(j->payload_name))
                return -ENOENT;
        n = strlen(j->payload_name);
        dot = strrchr(j->payload_name, '.');
        if (dot && dot > j->payload_name + JOB_ID_LEN)
                n = (size_t) (dot - j->payload_name);
        if (snprintf(ret, SPOOL_NAME_MAX, "%.*s.%s", (int) n, j->payload_name, suffix) >= SPOOL_NAME_MAX)
                return -ENAMETOOLONG;
        return 0;
}

int job_readable_pdf_name(const Job *j, char ret[static SPOOL_NAME_MAX]) {
        return payload_sibling_name(j, "pdf", ret);
}

int job_text_receipt_name(const Job *j, char ret[static SPOOL_NAME_MAX]) {
        return payload_sibling_name(j, TEXT_RECEIPT_SUFFIX, ret);
}

/* Moves the job's files to `to`: the artifacts first, the bilan last, so
 * that a bilan still in processing/ means "not finished" after a crash.
 * The renames are grouped (daemon/README.md, "Durability"): the artifacts
 * are renamed, then one fsync of `to` makes them durable there, then the
 * bilan is renamed and `to` and the folders the files left are fsynced —
 * 3 syncs for six files, where each move had its own two. A crash in
 * between leaves the artifacts in `to` and the bilan where it was (an
 * artifact's old name may linger as well, as after the link() fallback of
 * a no-replace rename), which the next wake-up or start-up recovery
 * finishes, as before. */
static int run_move_all_dirty(JobRun *r, SpoolDir to, const char *extra, unsigned dirty) {
        char receipt[SPOOL_NAME_MAX], readable[SPOOL_NAME_MAX], text[SPOOL_NAME_MAX];
        const char *artifacts[5];
        unsigned left = dirty;
        bool moved = false;
        int k = 0, q;

        if (job_receipt_name(r->job, receipt) < 0)
                receipt[0] = 0;
        /* A Factur-X invoice is its own readable PDF: moved as the payload. */
        if (job_readable_pdf_name(r->job, readable) < 0 || streq_ptr(readable, r->job->payload_name))
                readable[0] = 0;
        if (job_text_receipt_name(r->job, text) < 0)
                text[0] = 0;
        artifacts[0] = extra;
        artifacts[1] = receipt[0] ? receipt : NULL;
        artifacts[2] = text[0] ? text : NULL;
        artifacts[3] = readable[0] ? readable : NULL;
        artifacts[4] = r->job->payload_name;
        for (size_t i = 0; i < ELEMENTSOF(artifacts) && k >= 0; i++) {
                k = run_move_file(r, artifacts[i], to, &left);
                moved = moved || k > 0;
        }
        /* What moved is made durable in `to` even when a later move failed. */
        if (moved) {
                q = spool_sync(r->host->spool, to);
                if (q < 0) {
                        job_host_fatal(r->host, q, "moving a job's file");
                        return q;
                }
        }
        crash_point("moved-artifacts");
        if (k >= 0)
                k = run_move_file(r, r->job->spool_name, to, &left);
        q = run_sync_moves(r, to, &left);
        if (q < 0)
                return q;
        if (k < 0 && fs_error_is_fatal(k))
                job_host_fatal(r->host, k, "moving a job's file");
        else if (k < 0)
                run_log_errno(r, LOG_ERR, k, NULL, "Failed to move the files of job %s to %s/: %m",
                              r->job->id, spool_dir_to_string(to));
        return k < 0 ? k : 0;
}

static int run_move_all(JobRun *r, SpoolDir to, const char *extra) {
        return run_move_all_dirty(r, to, extra, 0);
}

/* ---- failed/: Chorus Pro's rejection, or retries that ran out --------------- */

static int failed_text(const Job *j, JobState state, const char *reasons, char **ret) {
        const char *what_fr = state == JOB_STATE_REJECTED
                                      ? "Chorus Pro a rejeté cette facture."
                                      : "La facture n'a pas pu être transmise ou suivie sur Chorus Pro.";
        const char *todo_fr = state == JOB_STATE_REJECTED
                                      ? "Corriger la cause (SIRET, code service ou numéro d'engagement de la "
                                        "convention, configuration du vendeur), puis demander à "
                                        "l'administrateur « chorusctl requeue %s » : un nouveau numéro de facture "
                                        "sera attribué, l'ancien restera annulé."
                                      : "Vérifier la connexion à Chorus Pro et les identifiants (« chorusctl ping »), "
                                        "puis demander à l'administrateur « chorusctl requeue %s » : la facture "
                                        "garde son numéro.";
        char todo[512];
        int n;

        snprintf(todo, sizeof todo, todo_fr, j->id);
        n = asprintf(ret,
                     "Bilan : %s\nRéférence : %s\nConvention : %s\nFacture : %s\nFlux Chorus Pro : %s\n\n"
                     "%s\n\nMotif :\n  %s\n\nQue faire : %s\n\n"
                     "--- English ---\n%s\nReason: %s\n",
                     strempty(j->bilan_name), j->id, strempty(j->convention),
                     j->invoice_number ? j->invoice_number : "(aucune)", j->flux ? j->flux : "(aucun)",
                     what_fr, reasons, todo,
                     state == JOB_STATE_REJECTED ? "Chorus Pro rejected this invoice."
                                                 : "The invoice could not be sent to or followed on Chorus Pro.",
                     reasons);
        return n < 0 ? -ENOMEM : 0;
}

/* Writes JOBID.error.txt (JOBID.error-N.txt if an earlier failure left one
 * in failed/) in processing/; its name in *ret. One found in processing/ is
 * this failure's, written before a crash: it is kept. */
static int run_write_failed_file(JobRun *r, JobState state, const char *reasons,
                                 char ret[static SPOOL_NAME_MAX]) {
        _cleanup_(freep) char *text = NULL;
        SpoolDir where;
        int k;

        k = failed_text(r->job, state, reasons, &text);
        if (k < 0)
                return k;
        for (unsigned n = 0; n < 100; n++) {
                char suffix[32];
                if (n == 0)
                        snprintf(suffix, sizeof suffix, "%s", FAILED_SUFFIX);
                else
                        snprintf(suffix, sizeof suffix, "error-%u.txt", n);
                k = spool_artifact_name(r->job->id, suffix, ret);
                if (k < 0)
                        return k;
                if (spool_locate(r->host->spool, ret, &where) >= 0) {
                        if (where == SPOOL_PROCESSING)
                                return 0;
                        continue; /* an earlier failure's, in failed/ */
                }
                k = spool_write(r->host->spool, SPOOL_PROCESSING, ret, text, strlen(text));
                if (k != -EEXIST)
                        return k;
        }
        return -EEXIST;
}

/* The files of a job in state rejected or failed: its error file, then
 * everything to failed/, the bilan last. Also what a recovered job in one
 * of those states does if its bilan is still in processing/. */
int run_fail_files(JobRun *r) {
        char error_name[SPOOL_NAME_MAX];
        int k;

        k = run_write_failed_file(r, r->job->state, strempty(r->job->last_error), error_name);
        if (k < 0 && fs_error_is_fatal(k)) {
                job_host_fatal(r->host, k, "writing an error file");
                return k;
        }
        if (k < 0)
                run_log_errno(r, LOG_ERR, k, NULL, "Failed to write the error file of job %s, ignoring: %m",
                              r->job->id);
        crash_point("failed-file");
        return run_move_all(r, SPOOL_FAILED, k >= 0 ? error_name : NULL);
}

/* The job goes to failed/: JOB_STATE_REJECTED (Chorus Pro or the buyer
 * rejected the invoice: its number is voided now, requeue gives a new one)
 * or JOB_STATE_FAILED (retries ran out, or an error we cannot retry: the
 * number is kept). State first, then the files. */
StepResult run_fail(JobRun *r, JobState state, const char *message_id, const char *reasons) {
        Job *j = r->job;
        NumberingEntry voided;
        int k;

        (void) job_set_last_error(j, reasons);
        run_next_now(r);
        run_lookup_stop(r);
        if (state == JOB_STATE_REJECTED && j->invoice_number) {
                k = numbering_void(r->host->numbering, j->id, reasons, &voided);
                if (k < 0 && k != -ENOENT) {
                        if (fs_error_is_fatal(k))
                                job_host_fatal(r->host, k, "voiding an invoice number");
                        return STEP_WAIT;
                }
        }
        if (run_save(r, state) < 0)
                return STEP_WAIT;
        run_log(r, LOG_ERR, message_id,
                "%s %s: %s. Bilan '%s' moved to failed/; fix the cause, then 'chorusctl requeue %s'.",
                state == JOB_STATE_REJECTED ? "Chorus Pro rejected invoice" : "Giving up on invoice",
                j->invoice_number ? j->invoice_number : j->bilan_name, reasons, j->bilan_name, j->id);
        if (run_audit(r, state == JOB_STATE_REJECTED ? "chorus_rejected" : "failed", reasons) < 0)
                return STEP_WAIT;
        run_notice(r, NOTICE_JOB_FAILED, reasons, NULL);
        k = run_fail_files(r);
        if (k < 0) {
                /* Not fatal (a full disk): moved at the next wake-up (on_timer). */
                r->save_failed = !fs_error_is_fatal(k);
                return STEP_WAIT;
        }
        return STEP_OVER;
}

StepResult run_fail_retries(JobRun *r, const char *what, const char *last_error) {
        char reasons[JOB_LAST_ERROR_MAX];

        snprintf(reasons, sizeof reasons, "%s: retries ran out after %u attempt(s); last error: %s",
                 what, r->job->attempts, strempty(last_error));
        return run_fail(r, JOB_STATE_FAILED, MESSAGE_ID_RETRIES_EXHAUSTED, reasons);
}

/* ---- Integrated: done/ and the receipt ---------------------------------------- */

static int receipt_json(const Job *j, char **ret) {
        _cleanup_(cJSON_Deletep) cJSON *o = cJSON_CreateObject();
        char money[3][MONEY_DECIMAL_MAX], t[3][TIMESTAMP_ISO_MAX], date[DATE_STRING_MAX];
        char *text;

        if (!o)
                return -ENOMEM;
        money_format(j->total, money[0]);
        money_format(j->total_before_cap, money[1]);
        money_format(j->allowance, money[2]);
        if (!cJSON_AddStringToObject(o, "invoice", strempty(j->invoice_number)) ||
            !cJSON_AddStringToObject(o, "issue_date", j->has_issue_date ? date_format(j->issue_date, date) : "") ||
            !cJSON_AddStringToObject(o, "job", j->id) ||
            !cJSON_AddStringToObject(o, "bilan", strempty(j->bilan_name)) ||
            !cJSON_AddStringToObject(o, "convention", strempty(j->convention)) ||
            !cJSON_AddStringToObject(o, "format", strempty(invoice_format_to_string(j->format))) ||
            !cJSON_AddStringToObject(o, "payload", strempty(j->payload_name)) ||
            !cJSON_AddStringToObject(o, "payload_sha256", strempty(j->payload_sha256)) ||
            !cJSON_AddStringToObject(o, "currency", "EUR") ||
            !cJSON_AddStringToObject(o, "total", money[0]) ||
            !cJSON_AddStringToObject(o, "total_before_cap", money[1]) ||
            !cJSON_AddStringToObject(o, "cap_allowance", money[2]) ||
            !cJSON_AddStringToObject(o, "flux", strempty(j->flux)) ||
            !cJSON_AddStringToObject(o, "chorus_invoice_id", strempty(j->cpp_invoice_id)) ||
            !cJSON_AddStringToObject(o, "chorus_status_at_integration", strempty(j->cpp_invoice_status)) ||
            !cJSON_AddStringToObject(o, "claimed_at", format_timestamp_iso(j->created_usec, t[0])) ||
            !cJSON_AddStringToObject(o, "deposited_at", format_timestamp_iso(j->deposited_usec, t[1])) ||
            !cJSON_AddStringToObject(o, "integrated_at", format_timestamp_iso(j->updated_usec, t[2])))
                return -ENOMEM;
        text = cJSON_Print(o);
        if (!text)
                return -ENOMEM;
        *ret = text;
        return 0;
}

/* ---- The text receipt: JOBID.NUMBER.recu.txt --------------------------------- */

/* The local time of a CLOCK_REALTIME µs, to the minute. */
static ReceiptMoment moment_from_usec(uint64_t usec) {
        time_t t = (time_t) (usec / USEC_PER_SEC);
        struct tm tm;

        if (usec == 0 || !localtime_r(&t, &tm))
                return (ReceiptMoment) {};
        return (ReceiptMoment) {
                .set = true,
                .date = date_from_time(t),
                .has_time = true,
                .hour = (unsigned) tm.tm_hour,
                .minute = (unsigned) tm.tm_min,
        };
}

/* Everything comes from the job state: the same state, the same text. */
static int text_receipt(const Job *j, char **ret, size_t *ret_size) {
        ReceiptTextInput in = {
                .job_id = j->id,
                .bilan_name = j->bilan_name,
                .convention = j->convention,
                .buyer = j->buyer,
                .invoice_number = j->invoice_number,
                .has_issue_date = j->has_issue_date,
                .issue_date = j->issue_date,
                .has_total = j->has_amounts,
                .total = j->total,
                .deposited = moment_from_usec(j->deposited_usec),
                .flux = j->flux,
                .chorus_invoice_id = j->cpp_invoice_id,
                .status = j->cpp_invoice_status,
                .status_comment = j->cpp_status_comment,
                .credit_of_invoice = j->credit_of_invoice,
        };

        if (j->cpp_status_date && receipt_moment_parse(j->cpp_status_date, &in.status_at) < 0)
                in.status_at = (ReceiptMoment) {};
        return receipt_text_format(&in, ret, ret_size);
}

/* Brings the text receipt up to date with the job state, where the job's
 * files are: the folder that holds it, else the bilan's. Rewritten whole
 * and atomically (spool_rewrite), and only when its text changed, so it
 * can be called after every answer of Chorus Pro and after a restart. A
 * failed fsync is fatal; other errors are logged and returned. */
static int write_text_receipt(JobRun *r, WriteFileFlags flags, unsigned *dirty) {
        _cleanup_(freep) char *text = NULL, *old = NULL;
        char name[SPOOL_NAME_MAX];
        size_t size, old_size;
        SpoolDir where;
        int k;

        k = job_text_receipt_name(r->job, name);
        if (k == -ENOENT || !r->job->invoice_number)
                return 0; /* not rendered yet: no invoice to speak of */
        if (k >= 0)
                k = text_receipt(r->job, &text, &size);
        if (k >= 0) {
                k = spool_locate(r->host->spool, name, &where);
                if (k == -ENOENT)
                        k = spool_locate(r->host->spool, r->job->spool_name, &where);
                if (k == -ENOENT)
                        return 0; /* the bilan left the spool (by hand): nowhere to write */
        }
        if (k >= 0 && read_file_bounded_at(spool_dirfd(r->host->spool, where), name, size, &old, &old_size) >= 0 &&
            old_size == size && memcmp(old, text, size) == 0)
                return 0;
        if (k >= 0)
                k = spool_write_full(r->host->spool, where, name, text, size, flags);
        if (k >= 0 && dirty && (flags & WRITE_FILE_NO_DIR_SYNC))
                *dirty |= 1u << where;
        if (k >= 0)
                crash_point("text-receipt");
        if (k < 0 && fs_error_is_fatal(k))
                job_host_fatal(r->host, k, "writing a text receipt");
        else if (k < 0)
                run_log_errno(r, LOG_ERR, k, NULL, "Failed to write the text receipt %s of invoice %s: %m", name,
                              strempty(r->job->invoice_number));
        return k;
}

int run_write_text_receipt(JobRun *r) {
        return write_text_receipt(r, 0, NULL);
}

/* The receipt (written once, at integration: later statuses are in the job
 * state and the audit log, see `chorusctl status JOB`, and in the text
 * receipt, rewritten at each one), then the files to done/. Idempotent:
 * also what a resumed job in state integrated does if its bilan is still
 * in processing/. The two receipts are written (content fsynced) without
 * an fsync of their folder each: the moves' fsyncs (run_move_all_dirty)
 * cover them, whether they move or were written where they stay. */
int run_finish_integration(JobRun *r) {
        char name[SPOOL_NAME_MAX];
        unsigned dirty = 0;
        SpoolDir where;
        int k;

        k = job_receipt_name(r->job, name);
        if (k < 0)
                return k;
        if (spool_locate(r->host->spool, name, &where) == -ENOENT) {
                _cleanup_(freep) char *text = NULL;
                k = receipt_json(r->job, &text);
                if (k >= 0)
                        k = spool_write_full(r->host->spool, SPOOL_PROCESSING, name, text, strlen(text),
                                             WRITE_FILE_NOREPLACE | WRITE_FILE_NO_DIR_SYNC);
                if (k >= 0)
                        dirty |= 1u << SPOOL_PROCESSING;
                if (k < 0 && k != -EEXIST) {
                        if (fs_error_is_fatal(k))
                                job_host_fatal(r->host, k, "writing a receipt");
                        return k;
                }
        }
        k = write_text_receipt(r, WRITE_FILE_NO_DIR_SYNC, &dirty);
        if (k < 0) {
                /* The receipt written above stays durable where it is. */
                if (dirty && !fs_error_is_fatal(k)) {
                        int q = spool_sync(r->host->spool, SPOOL_PROCESSING);
                        if (q < 0)
                                job_host_fatal(r->host, q, "writing a receipt");
                }
                return k;
        }
        return run_move_all_dirty(r, SPOOL_DONE, NULL, dirty);
}

