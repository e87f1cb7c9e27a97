/* job_render.c — the local steps after validation (job.c): allocate the
 * invoice number (waiting while the clock is behind the last invoice),
 * render the invoice and store the payload in processing/. */
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

/* Said once (at CRIT) until a number is allocated again, not at every
 * retry of every waiting job. */
static bool clock_behind_said;

/* Today is earlier than the last invoice's issue date: the clock is behind
 * (not synchronised, or stepped back). Numbering now would issue invoices
 * dated before, or in a year before, invoices already issued, and
 * validating would judge the bilan's dates against a wrong today (refusing
 * them as future): wait. */
StepResult run_wait_for_clock(JobRun *r, Date today, const NumberingEntry *last) {
        char d1[DATE_STRING_MAX], d2[DATE_STRING_MAX];

        if (!clock_behind_said) {
                clock_behind_said = true;
                run_log(r, LOG_CRIT, NULL,
                        "The clock says %s, earlier than the issue date %s of the last invoice number%s%s: no "
                        "invoice number is allocated until the clock is right again (check its synchronisation: "
                        "timedatectl). Bilans wait in processing/ and go on by themselves.",
                        date_format(today, d1), date_format(last->issue_date, d2), last->number[0] ? " " : "",
                        last->number);
        }
        run_log(r, LOG_DEBUG, NULL, "Bilan '%s' waits for the clock.", r->job->bilan_name);
        run_retry_step_later(r);
        return STEP_WAIT;
}

StepResult step_number(JobRun *r) {
        Job *j = r->job;
        NumberingEntry e, conflict;
        Diagnostics d = DIAGNOSTICS_INIT;
        char date[DATE_STRING_MAX];
        Date today = date_from_time((time_t) (now_usec() / USEC_PER_SEC));
        StepResult s;
        int k;

        if (job_is_credit_note(j))
                k = numbering_allocate_credit(r->host->numbering, run_config(r), j->id, j->convention,
                                              j->credit_of_invoice, today, &e, &conflict);
        else
                k = numbering_allocate(r->host->numbering, run_config(r), j->id, j->convention, today, &e,
                                       &conflict);
        if (k == -ESTALE) {
                char reasons[256];
                snprintf(reasons, sizeof reasons,
                         "cannot issue the credit note of invoice %s: it is no longer convention %s's invoice "
                         "(now %s%s)",
                         strempty(j->credit_of_invoice), j->convention, conflict.number[0] ? conflict.number : "none",
                         conflict.credited_by[0] ? ", already credited" : conflict.voided ? ", voided" : "");
                return run_fail(r, JOB_STATE_FAILED, NULL, reasons);
        }
        if (k == -ETIME)
                return run_wait_for_clock(r, today, &conflict);
        if (k == -EEXIST) {
                diag_error2(&d, j->bilan_name, "convention",
                            "convention %s is already invoiced: invoice %s (flux %s, job %s)",
                            "la convention %s a déjà été facturée : facture %s (flux Chorus Pro %s, "
                            "référence %s)",
                            j->convention, conflict.number, conflict.flux[0] ? conflict.flux : "-",
                            conflict.job_id);
                s = run_reject(r, &d);
                diagnostics_clear(&d);
                return s;
        }
        if (fs_error_is_fatal(k)) {
                job_host_fatal(r->host, k, "allocating an invoice number");
                return STEP_WAIT;
        }
        if (k == -ENOSPC || k == -EDQUOT) {
                /* Not the invoice's fault: the same step once space is back. */
                job_host_disk_full(r->host, k, "allocating an invoice number");
                run_retry_step_later(r);
                return STEP_WAIT;
        }
        if (k < 0) {
                char reasons[256];
                snprintf(reasons, sizeof reasons, "cannot allocate an invoice number: %s",
                         k == -ERANGE ? "the number would exceed 20 characters (number_prefix too long)"
                                      : strerror(-k));
                return run_fail(r, JOB_STATE_FAILED, NULL, reasons);
        }
        clock_behind_said = false;
        if (job_set(&j->invoice_number, e.number) < 0)
                return STEP_WAIT;
        j->has_issue_date = true;
        j->issue_date = e.issue_date;
        if (run_save(r, JOB_STATE_NUMBERED) < 0)
                return STEP_WAIT;
        run_log(r, LOG_INFO, MESSAGE_ID_NUMBER_ALLOCATED,
                "%s number %s (issued %s) allocated to bilan '%s' (convention %s)%s%s.",
                job_is_credit_note(j) ? "Credit note" : "Invoice", e.number, date_format(e.issue_date, date),
                j->bilan_name, j->convention, job_is_credit_note(j) ? ", cancelling invoice " : "",
                job_is_credit_note(j) ? j->credit_of_invoice : "");
        (void) run_audit(r, "numbered", NULL);
        return STEP_NEXT;
}

/* Writes the readable PDF of a UBL or CII invoice into processing/, beside
 * the payload (a Factur-X invoice is its own). One a previous run wrote
 * before a crash is kept: rendering is deterministic, same bytes. */
static int run_store_readable(JobRun *r, const char *pdf, size_t size) {
        char name[SPOOL_NAME_MAX];
        int k;

        if (!pdf)
                return 0;
        k = job_readable_pdf_name(r->job, name);
        if (k >= 0)
                k = spool_write_full(r->host->spool, SPOOL_PROCESSING, name, pdf, size,
                                     WRITE_FILE_NOREPLACE | WRITE_FILE_NO_DIR_SYNC);
        return k == -EEXIST ? 0 : k;
}

/* Writes the payload into processing/, or takes the one a previous run
 * wrote (a crash after the write, before the state): what is on disk is
 * what gets deposited. */
static int run_store_payload(JobRun *r, const RenderedInvoice *inv, char name[static SPOOL_NAME_MAX],
                             char sha[static SHA256_HEX_SIZE]) {
        int dirfd = spool_dirfd(r->host->spool, SPOOL_PROCESSING);
        int k;

        k = spool_artifact_name(r->job->id, inv->filename, name);
        if (k < 0)
                return k;
        k = spool_write_full(r->host->spool, SPOOL_PROCESSING, name, inv->data, inv->size,
                             WRITE_FILE_NOREPLACE | WRITE_FILE_NO_DIR_SYNC);
        if (k == -EEXIST)
                return sha256_file_at(dirfd, name, sha);
        if (k < 0)
                return k;
        return sha256_hex(inv->data, inv->size, sha);
}

StepResult step_render(JobRun *r) {
        _cleanup_(bilan_context_done) BilanContext c = {};
        _cleanup_(rendered_invoice_freep) RenderedInvoice *inv = NULL;
        _cleanup_(freep) char *readable = NULL;
        size_t readable_size = 0;
        Diagnostics d = DIAGNOSTICS_INIT;
        const PdfAssets *assets = NULL;
        char name[SPOOL_NAME_MAX], sha[SHA256_HEX_SIZE], reasons[JOB_LAST_ERROR_MAX];
        InvoiceCreditRef credit = {};
        Job *j = r->job;
        int k;

        k = run_load_bilan(r, &c, &d);
        if (k >= 0 && !streq_ptr(c.convention->id, j->convention))
                k = diag_error2(&d, j->bilan_name, "convention",
                                "the bilan now names convention %s, but invoice %s was allocated for %s",
                                "le bilan désigne maintenant la convention %s, mais la facture %s a été "
                                "numérotée pour %s",
                                c.convention->id, j->invoice_number, strempty(j->convention)) < 0
                            ? -ENOMEM
                            : -EINVAL;
        if (k >= 0)
                k = job_host_pdf_assets(r->host, &assets);
        if (k >= 0 && job_is_credit_note(j) &&
            (!j->credit_of_date || date_parse(j->credit_of_date, &credit.invoice_date) < 0 || !j->credit_of_invoice ||
             isempty(j->credit_reason)))
                k = diag_error2(&d, j->bilan_name, "credit",
                                "the reference of credit note %s to its invoice is incomplete",
                                "la référence de l'avoir %s à sa facture est incomplète", j->invoice_number) < 0
                            ? -ENOMEM
                            : -EINVAL;
        if (k >= 0) {
                RenderRequest req = {
                        .config = run_config(r),
                        .convention = c.convention,
                        .bilan = c.bilan,
                        .number = j->invoice_number,
                        .issue_date = j->issue_date,
                        .format = j->format,
                        .pdf_assets = assets,
                        .credit = job_is_credit_note(j) ? &credit : NULL,
                };
                credit.invoice_number = j->credit_of_invoice;
                credit.reason = j->credit_reason;
                k = render_invoice(&req, &inv, &d);
                if (k >= 0)
                        k = render_readable_pdf(inv, assets, &readable, &readable_size);
        }
        if (k < 0) {
                /* The number is allocated: never reject now, keep it in failed/. */
                snprintf(reasons, sizeof reasons, "cannot render invoice %s: %s", j->invoice_number,
                         d.n_errors > 0 ? diags_first_error(&d) : strerror(-k));
                diagnostics_clear(&d);
                return run_fail(r, JOB_STATE_FAILED, NULL, reasons);
        }
        diagnostics_clear(&d);
        k = run_store_payload(r, inv, name, sha);
        if (k >= 0)
                k = job_set(&j->payload_name, name);
        if (k >= 0)
                k = run_store_readable(r, readable, readable_size);
        /* Both files' contents are fsynced; one fsync of processing/ makes
         * both names durable before the state names them (3 syncs, not 4). */
        if (k >= 0)
                k = spool_sync(r->host->spool, SPOOL_PROCESSING);
        if (k < 0) {
                if (fs_error_is_fatal(k))
                        job_host_fatal(r->host, k, "writing an invoice");
                else
                        run_log_errno(r, LOG_ERR, k, NULL, "Failed to write invoice %s: %m",
                                      j->invoice_number);
                return STEP_WAIT;
        }
        if (job_set(&j->payload_sha256, sha) < 0 || job_set(&j->buyer, inv->invoice->buyer.name) < 0)
                return STEP_WAIT;
        j->has_amounts = true;
        j->total = inv->proration->total;
        j->total_before_cap = inv->proration->total_before_cap;
        j->allowance = inv->proration->cap_allowance;
        j->format = inv->format;
        run_reset_attempts(r, 0); /* the deposit phase starts with its first attempt */
        if (run_save(r, JOB_STATE_RENDERED) < 0)
                return STEP_WAIT;
        run_log(r, LOG_INFO, MESSAGE_ID_INVOICE_RENDERED, "Invoice %s rendered as %s (%zu bytes, sha256 %s).",
                j->invoice_number, invoice_format_to_string(inv->format), inv->size, sha);
        (void) run_audit(r, "rendered", name);
        return STEP_NEXT;
}

