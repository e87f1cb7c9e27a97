/* job_approval.c — [invoice] approval = required (job.c): between
 * validated and numbered, a person signs the invoice off.
 *
 * A validated bilan that is not approved yet gets a preview (the invoice
 * pages marked « APERÇU — facture non émise », then the bilan report) and
 * a French summary in review/, its state becomes awaiting_approval, and
 * its bilan moves to review/ beside them, in that order (state first, then
 * the move, as for failed/). The job then leaves memory: no timer, no
 * wake-up, nothing happens until `chorusctl approve` (which records who and
 * when, saves validated + approved, and moves the bilan back into
 * processing/, where the daemon resumes it as a requeue) or `chorusctl
 * cancel` (rejected/, with the reason). No number is allocated before
 * approval, so a cancelled bilan uses none and its convention stays open.
 *
 * A second bilan for a convention that already has one waiting is
 * refused, naming the waiting job: it replaces nothing.
 *
 * Crashes: every step can be redone. Validated and not approved: the
 * preview is written again (replacing a partial one). awaiting_approval
 * with the bilan still in processing/: recovery finishes the move
 * (job.c, resume_reconcile). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/fileio.h"
#include "base/fsutil.h"
#include "base/log.h"
#include "base/money.h"
#include "core/approval_text.h"
#include "service/job.h"
#include "service/job_host.h"
#include "service/log-ids.h"
#include "service/outbox.h"
#include "service/pdf_assets.h"
#include "writers/render.h"
#include "service/job_internal.h"

bool run_needs_approval(const JobRun *r) {
        /* A credit note was asked for by a person (chorusctl credit): no second approval. */
        return run_config(r)->invoice.approval == INVOICE_APPROVAL_REQUIRED && r->job->approved_usec == 0 &&
               !job_is_credit_note(r->job);
}

/* ---- The one place a job enters awaiting_approval ------------------------------- */

/* The job's bilan, preview and summary are in review/, its state
 * awaiting_approval is durable: whoever must know that an invoice waits
 * for approval is told here (the journal today). */
/* The staff who approve hear of it by e-mail ([notify]), the preview
 * attached (left out if it cannot be read: the notice names it). */
static void run_notice_awaiting_approval(JobRun *r, const char *preview_name) {
        _cleanup_(freep) char *pdf = NULL, *where = NULL;
        size_t size = 0;
        int dirfd = spool_dirfd(r->host->spool, SPOOL_REVIEW);
        bool have = dirfd >= 0 && read_file_bounded_at(dirfd, preview_name, OUTBOX_ATTACHMENT_MAX, &pdf, &size) >= 0;
        Notice n = {
                .kind = NOTICE_AWAITING_APPROVAL,
                .job = r->job->id,
                .bilan = r->job->bilan_name,
                .convention = r->job->convention,
                .has_amount = r->job->has_amounts,
                .amount = r->job->total,
        };

        if (asprintf(&where, "review/%s%s", preview_name, have ? " (joint)" : "") < 0)
                where = NULL;
        n.detail = where;
        job_host_notice(r->host, &n,
                        have ? &(NoticeAttachment) { .name = preview_name, .content_type = "application/pdf",
                                                     .data = pdf, .size = size }
                             : NULL);
}

static void run_entered_awaiting_approval(JobRun *r, const char *preview_name) {
        Job *j = r->job;
        char total[MONEY_DECIMAL_MAX];

        run_log(r, LOG_NOTICE, NULL,
                "Bilan '%s' (convention %s, %s EUR) awaits approval: preview review/%s; "
                "'chorusctl approve %s' issues the invoice, 'chorusctl cancel %s --reason …' rejects it.",
                j->bilan_name, strempty(j->convention), money_format(j->total, total), preview_name, j->id,
                j->id);
        run_notice_awaiting_approval(r, preview_name);
}

/* ---- One bilan waiting per convention -------------------------------------------- */

/* Another job of the same convention awaiting approval: live (its bilan on
 * its way to review/), or parked in review/. Its id in ret_id, and 1. */
static int find_waiting(JobRun *r, char ret_id[static JOB_ID_MAX]) {
        _cleanup_(closedirp) DIR *d = NULL;
        int k;

        for (JobRun *o = r->host->runs; o; o = o->next)
                if (o != r && o->job && o->job->state == JOB_STATE_AWAITING_APPROVAL &&
                    streq_ptr(o->job->convention, r->job->convention)) {
                        snprintf(ret_id, JOB_ID_MAX, "%s", o->job->id);
                        return 1;
                }
        k = fs_opendir_at(spool_dirfd(r->host->spool, SPOOL_REVIEW), &d);
        if (k < 0)
                return k;
        for (;;) {
                _cleanup_(job_freep) Job *other = NULL;
                char id[JOB_ID_MAX];
                struct dirent *de;

                k = fs_readdir(d, &de);
                if (k <= 0)
                        return k;
                if (!spool_name_job_id(de->d_name, id) || streq(id, r->job->id))
                        continue;
                if (jobstore_load(r->host->jobs, id, &other, NULL) < 0)
                        continue;
                if (other->state == JOB_STATE_AWAITING_APPROVAL && streq_ptr(other->convention, r->job->convention)) {
                        snprintf(ret_id, JOB_ID_MAX, "%s", id);
                        return 1;
                }
        }
}

static StepResult run_refuse_second(JobRun *r, const char *other) {
        Diagnostics d = DIAGNOSTICS_INIT;
        StepResult s;

        if (diag_error2(&d, r->job->bilan_name, "convention",
                        "convention %s already has a bilan awaiting approval: job %s; this one is not used (cancel %s to replace it)",
                        "la convention %s a déjà un bilan en attente d'approbation : référence %s (voir le "
                        "dossier review/). Ce bilan-ci n'est pas pris en compte et ne remplace rien ; pour "
                        "remplacer le bilan en attente, faites-le annuler (chorusctl cancel %s), puis déposez "
                        "à nouveau celui-ci",
                        r->job->convention, other, other) < 0) {
                run_retry_step_later(r);
                return STEP_WAIT;
        }
        s = run_reject(r, &d);
        diagnostics_clear(&d);
        return s;
}

/* ---- The preview ----------------------------------------------------------------- */

/* The preview PDF and the summary, into review/ (replacing those of a run
 * cut short). The buyer is kept for chorusctl status. */
static int run_write_review(JobRun *r, const BilanContext *c, char preview[static SPOOL_NAME_MAX],
                            Diagnostics *d) {
        _cleanup_(rendered_invoice_freep) RenderedInvoice *inv = NULL;
        _cleanup_(freep) char *text = NULL;
        const PdfAssets *assets = NULL;
        char summary[SPOOL_NAME_MAX];
        Date today = date_from_time((time_t) (now_usec() / USEC_PER_SEC));
        size_t size = 0;
        int k;

        k = job_host_pdf_assets(r->host, &assets);
        if (k < 0)
                return k;
        k = render_preview(&(RenderRequest) {
                .config = run_config(r),
                .convention = c->convention,
                .bilan = c->bilan,
                .number = RENDER_UNNUMBERED,
                .issue_date = today,
                .format = r->job->format,
                .pdf_assets = assets,
        }, &inv, d);
        if (k < 0)
                return k;
        k = spool_artifact_name(r->job->id, SPOOL_PREVIEW_SUFFIX, preview);
        if (k >= 0)
                k = spool_artifact_name(r->job->id, SPOOL_SUMMARY_SUFFIX, summary);
        if (k >= 0)
                k = approval_text(&(ApprovalTextInput) {
                        .job_id = r->job->id,
                        .bilan_name = r->job->bilan_name,
                        .preview_name = preview,
                        .convention = c->convention,
                        .bilan = c->bilan,
                        .invoice = inv->invoice,
                }, &text, &size);
        if (k >= 0)
                k = spool_rewrite(r->host->spool, SPOOL_REVIEW, preview, inv->data, inv->size);
        if (k >= 0)
                k = spool_rewrite(r->host->spool, SPOOL_REVIEW, summary, text, size);
        if (k >= 0)
                k = job_set(&r->job->buyer, inv->invoice->buyer.name);
        return k;
}

/* The bilan follows its saved state into review/. Not fatal when it cannot
 * (a full disk): the timer finishes the move (run_reconcile). */
int run_park_for_approval(JobRun *r) {
        int k = spool_move(r->host->spool, SPOOL_PROCESSING, SPOOL_REVIEW, r->job->spool_name);

        if (k < 0 && !fs_error_is_fatal(k))
                run_log_errno(r, LOG_ERR, k, NULL, "Failed to move bilan '%s' to review/, trying again later: %m",
                              r->job->spool_name);
        return k;
}

static StepResult step_await_approval(JobRun *r) {
        _cleanup_(bilan_context_done) BilanContext c = {};
        Diagnostics d = DIAGNOSTICS_INIT;
        char preview[SPOOL_NAME_MAX], other[JOB_ID_MAX];
        StepResult s;
        int k;

        k = find_waiting(r, other);
        if (k > 0)
                return run_refuse_second(r, other);
        k = run_load_bilan(r, &c, &d);
        if (k == -EINVAL) {
                s = run_reject(r, &d); /* it was valid: only if someone changed it */
                diagnostics_clear(&d);
                return s;
        }
        if (k >= 0)
                k = run_write_review(r, &c, preview, &d);
        if (k < 0) {
                if (fs_error_is_fatal(k))
                        job_host_fatal(r->host, k, "writing a preview");
                else
                        run_log_errno(r, LOG_ERR, k, NULL, "Failed to write the preview of bilan '%s': %s",
                                      r->job->bilan_name, d.n_errors > 0 ? diags_first_error(&d) : strerror(-k));
                diagnostics_clear(&d);
                run_retry_step_later(r);
                return STEP_WAIT;
        }
        diagnostics_clear(&d);
        run_next_now(r);
        if (run_save(r, JOB_STATE_AWAITING_APPROVAL) < 0)
                return STEP_WAIT;
        (void) run_audit(r, "awaiting_approval", preview);
        k = run_park_for_approval(r);
        if (k < 0) {
                if (fs_error_is_fatal(k))
                        job_host_fatal(r->host, k, "moving a bilan to review/");
                r->save_failed = true;
                run_retry_step_later(r);
                return STEP_WAIT;
        }
        crash_point("moved-review");
        run_entered_awaiting_approval(r, preview);
        return STEP_OVER;
}

/* An approved job: its preview would show an invoice that is not the one
 * any more (no number; the issue date of the day it was made). */
static void run_clear_review(JobRun *r) {
        int k = spool_review_clear(r->host->spool, r->job->id);

        if (fs_error_is_fatal(k))
                job_host_fatal(r->host, k, "removing a preview");
        else if (k < 0)
                run_log_errno(r, LOG_WARNING, k, NULL, "Failed to remove the preview of job %s from review/: %m",
                              r->job->id);
}

StepResult step_validated(JobRun *r) {
        if (run_needs_approval(r))
                return step_await_approval(r);
        if (r->job->approved_usec > 0)
                run_clear_review(r);
        return step_number(r);
}
