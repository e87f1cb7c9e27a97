/* job_intake.c — the first step of a job (job.c): load the bilan from
 * processing/, check it is the one claimed and validate it against its
 * convention; a bad bilan goes to rejected/ with the French error file. */
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
#include "core/bilan_input.h"
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

/* ---- Rejecting a bilan (rejected/) ------------------------------------------- */

const char *diags_first_error(const Diagnostics *d) {
        for (size_t i = 0; i < d->n_items; i++)
                if (d->items[i].severity == DIAG_ERROR)
                        return d->items[i].message;
        return "invalid bilan";
}

/* rejected/ with the French error file, then the state: the bilan in
 * rejected/ is the durable fact (a crash in between is completed at
 * recovery from where the bilan is). */
StepResult run_reject(JobRun *r, const Diagnostics *d) {
        Job *j = r->job;
        char detail[AUDIT_DETAIL_MAX];
        int k;

        k = spool_reject(r->host->spool, SPOOL_PROCESSING, j->id, j->bilan_name, j->spool_name, d);
        if (k < 0) {
                if (fs_error_is_fatal(k))
                        job_host_fatal(r->host, k, "rejecting a bilan");
                else
                        run_log_errno(r, LOG_ERR, k, NULL, "Failed to move bilan '%s' to rejected/: %m",
                                      j->bilan_name);
                return STEP_WAIT;
        }
        snprintf(detail, sizeof detail, "%s", diags_first_error(d));
        (void) job_set_last_error(j, detail);
        run_next_now(r);
        if (run_save(r, JOB_STATE_INVALID) < 0)
                return STEP_WAIT;
        run_log(r, LOG_WARNING, MESSAGE_ID_BILAN_REJECTED,
                "Bilan '%s' rejected: %s (%zu problem(s); rejected/%s%s says how to fix it).",
                j->bilan_name, detail, d->n_errors, j->spool_name, SPOOL_ERROR_SUFFIX);
        (void) run_audit(r, "rejected", detail);
        run_notice_refused(r, detail);
        return STEP_OVER;
}

/* ---- Local steps: validate, number, render ----------------------------------- */

void bilan_context_done(BilanContext *c) {
        c->bilan = bilan_free(c->bilan);
}

/* The bilan must be the one claimed: the claim recorded its SHA-256 (the
 * copy in processing/ is ours and read-only, so only someone with our
 * rights could have changed it). A state from before that hash was kept, or
 * a claim cut short by a crash, records it now, at the first read. */
static int run_check_bilan_hash(JobRun *r, const char *data, size_t size, Diagnostics *d) {
        char sha[SHA256_HEX_SIZE];
        int k;

        k = sha256_hex(data, size, sha);
        if (k < 0)
                return k;
        if (!r->job->bilan_sha256)
                return job_set(&r->job->bilan_sha256, sha);
        if (streq(sha, r->job->bilan_sha256))
                return 0;
        return diag_error2(d, r->job->bilan_name, NULL,
                           "changed after it was claimed (SHA-256 %s, claimed as %s): not used",
                           "le bilan a été modifié après sa prise en charge (SHA-256 %s au lieu de %s) : "
                           "chorusd ne l'utilise pas. Déposez à nouveau le bilan voulu dans incoming/.",
                           sha, r->job->bilan_sha256) < 0
                       ? -ENOMEM
                       : -EINVAL;
}

/* Reads and parses the bilan in processing/. -EINVAL: invalid (diags). */
int run_load_bilan(JobRun *r, BilanContext *ret, Diagnostics *d) {
        _cleanup_(freep) char *data = NULL;
        size_t size;
        int k;

        int dirfd = spool_dirfd(r->host->spool, SPOOL_PROCESSING);
        uint64_t max = run_config(r)->spool.max_file_size;
        struct stat st = {};

        k = read_file_bounded_at(dirfd, r->job->spool_name, max, &data, &size);
        if (spool_error_is_unreadable(k)) {
                /* Not a bilan chorusd may read (the claim normally catches it;
                 * here after a crash, or a swap in processing/): rejected, with
                 * the same explanation, never retried. */
                (void) fstatat(dirfd, r->job->spool_name, &st, AT_SYMLINK_NOFOLLOW);
                return spool_unreadable_diag(d, r->job->bilan_name, k, (uint64_t) st.st_size, max) < 0 ? -ENOMEM
                                                                                                     : -EINVAL;
        }
        if (k < 0)
                return run_log_errno(r, LOG_ERR, k, NULL, "Failed to read bilan '%s': %m",
                                     r->job->spool_name);
        k = run_check_bilan_hash(r, data, size, d);
        if (k < 0)
                return k;
        return bilan_read(r->job->bilan_name, data, size, job_host_conventions(r->host), &ret->bilan,
                           &ret->convention, d);
}

/* A second bilan for a convention that already has a live invoice. */
static bool convention_already_invoiced(JobRun *r, const char *convention_id, Diagnostics *d) {
        NumberingEntry e;
        int k = numbering_lookup_convention(r->host->numbering, convention_id, &e);

        /* A credit note is of the convention's invoice; a credited invoice frees it. */
        if (k < 0 || e.voided || e.credited_by[0] || streq(e.job_id, r->job->id) || job_is_credit_note(r->job))
                return false;
        diag_error2(d, r->job->bilan_name, "convention",
                    "convention %s is already invoiced: invoice %s (flux %s, job %s)",
                    "la convention %s a déjà été facturée : facture %s (flux Chorus Pro %s, référence "
                    "%s). Une convention ne se facture qu'une fois ; si cette facture doit être "
                    "remplacée, voyez l'administrateur",
                    convention_id, e.number, e.flux[0] ? e.flux : "-", e.job_id);
        return true;
}

static void log_warnings(JobRun *r, const Diagnostics *d) {
        for (size_t i = 0; i < d->n_items; i++) {
                const Diag *x = &d->items[i];
                if (x->severity != DIAG_WARNING)
                        continue;
                if (x->sheet) /* a workbook's: where its author looks */
                        run_log(r, LOG_NOTICE, NULL, "Bilan '%s': sheet %s%s%s: %s.", r->job->bilan_name, x->sheet,
                                x->cell ? ", cell " : "", strempty(x->cell), x->message);
                else
                        run_log(r, LOG_NOTICE, NULL, "Bilan '%s': %s%s%s.", r->job->bilan_name, strempty(x->path),
                                x->path ? ": " : "", x->message);
        }
}

StepResult step_validate(JobRun *r) {
        Date today = date_from_time((time_t) (now_usec() / USEC_PER_SEC));
        _cleanup_(bilan_context_done) BilanContext c = {};
        NumberingEntry last;
        _cleanup_(proration_freep) Proration *p = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        StepResult s;
        Job *j = r->job;
        int k;

        k = run_load_bilan(r, &c, &d);
        if (k == -EINVAL)
                goto reject;
        if (k < 0)
                goto later;
        (void) job_set(&j->convention, c.convention->id);
        /* A clock behind the last invoice's issue date would refuse the
         * bilan's dates as future: wait for it, as the numbering does. */
        k = numbering_clock_behind(r->host->numbering, today, &last);
        if (k > 0) {
                diagnostics_clear(&d);
                return run_wait_for_clock(r, today, &last);
        }
        if (k < 0)
                goto later;
        /* Today as the numbering will date the invoice (step_number): a
         * future date would make an invoice issued before its delivery. */
        k = bilan_check_not_future(c.bilan, today, run_config(r)->invoice.clock_tolerance_days, &d);
        if (k == -EINVAL)
                goto reject;
        if (k < 0)
                goto later;
        if (convention_already_invoiced(r, c.convention->id, &d))
                goto reject;
        if (render_check(run_config(r), c.convention, &d) < 0)
                goto reject;
        k = proration_compute(c.convention, c.bilan, &p, &d);
        if (k == -EDOM || k == -EINVAL)
                goto reject;
        if (k < 0)
                goto later;
        log_warnings(r, &d);
        diagnostics_clear(&d);

        j->has_amounts = true;
        j->total = p->total;
        j->total_before_cap = p->total_before_cap;
        j->allowance = p->cap_allowance;
        j->format = render_resolve_format(run_config(r), c.convention, _INVOICE_FORMAT_INVALID);
        if (run_save(r, JOB_STATE_VALIDATED) < 0)
                return STEP_WAIT;
        (void) run_audit(r, "validated", NULL);
        return STEP_NEXT;

reject:
        s = run_reject(r, &d);
        diagnostics_clear(&d);
        return s;
later:
        diagnostics_clear(&d);
        run_retry_step_later(r);
        return STEP_WAIT;
}

