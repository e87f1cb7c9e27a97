/* job_follow.c — following a deposited invoice (job.c): the flux report
 * (consulterCRDetaille) until Chorus Pro integrates or refuses it, the
 * integration (done/ and the receipt), then the invoice's lifecycle
 * (consulter/historique) until it is paid. */
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

/* ---- Following the flux: consulterCRDetaille --------------------------------- */

static void on_report_done(ChorusCall *call, int k, ChorusError *error, void *userdata);
static void on_find_id_done(ChorusCall *call, int k, ChorusError *error, void *userdata);

StepResult step_poll_flux(JobRun *r) {
        int k;

        if (run_wait_next_attempt(r) || run_wait_call_slot(r))
                return STEP_WAIT;
        k = run_prepare_result(r, report);
        if (k >= 0)
                k = chorus_flux_report(job_host_chorus(r->host), r->job->flux, &r->result->report, on_report_done, r,
                                       &r->call);
        return run_call_begun(r, k, JOB_STATE_DEPOSITED, "Following the flux");
}

/* An error of listeErreurDP that names our invoice, or no invoice at all. */
static bool invoice_error_concerns(const ChorusInvoiceError *e, const char *number) {
        return !e->numero_facture || streq(e->numero_facture, number);
}

/* Chorus Pro's own reasons, one line: technical errors and the errors
 * about our invoice. */
static void report_reasons(const ChorusFluxReport *rep, const char *flux, const char *number, char *buf,
                           size_t size) {
        size_t n = 0;

        buf[0] = 0;
        n += (size_t) snprintf(buf + n, size - n, "flux %s %s", strempty(flux), strempty(rep->etat));
        for (size_t i = 0; i < rep->n_technical_errors && n < size; i++)
                n += (size_t) snprintf(buf + n, size - n, "; %s%s%s", strempty(rep->technical_errors[i].code),
                                       rep->technical_errors[i].code ? " " : "",
                                       strempty(rep->technical_errors[i].libelle));
        for (size_t i = 0; i < rep->n_invoice_errors && n < size; i++)
                if (!number || invoice_error_concerns(&rep->invoice_errors[i], number))
                        n += (size_t) snprintf(buf + n, size - n, "; %s",
                                               strempty(rep->invoice_errors[i].libelle));
}

static bool report_names_invoice(const ChorusFluxReport *rep, const char *number) {
        for (size_t i = 0; i < rep->n_invoice_errors; i++)
                if (invoice_error_concerns(&rep->invoice_errors[i], number))
                        return true;
        return false;
}

/* IN_INTEGRE: find the invoice's identifiantFactureCPP. */
static StepResult run_find_invoice_id(JobRun *r) {
        ChorusInvoiceSearch search = {
                .numero_flux_depot = r->job->flux,
                .numero_facture = r->job->invoice_number,
        };

        return run_search(r, &search, on_find_id_done, "Finding the invoice id");
}

static StepResult report_pending(JobRun *r, const ChorusFluxReport *rep) {
        Job *j = r->job;
        uint64_t now = now_elapsed(), poll = config_seconds(r, run_config(r)->chorus.poll_interval);

        if (!streq_ptr(j->cpp_flux_state, rep->etat)) {
                run_log(r, rep->state_known ? LOG_INFO : LOG_WARNING, NULL, "Flux %s of invoice %s: %s%s.",
                        j->flux, j->invoice_number, strempty(rep->etat),
                        rep->state_known ? "" : " (a state chorusd does not know: still waiting)");
                (void) job_set(&j->cpp_flux_state, rep->etat);
        }
        if (r->pending_since == 0)
                r->pending_since = now;
        if (!r->warned_pending && now - r->pending_since > retry_deadline(r)) {
                r->warned_pending = true;
                run_log(r, LOG_WARNING, NULL,
                        "Flux %s of invoice %s is still %s on Chorus Pro after %u s; still waiting "
                        "(check it on the Chorus Pro portal).",
                        j->flux, j->invoice_number, strempty(rep->etat), run_config(r)->chorus.retry_deadline);
        }
        /* Chorus Pro answered: the deadline is for a run of failures, not
         * for how long Chorus Pro takes; a later failure starts a new run. */
        run_answered(r);
        j->attempts++;
        run_next_in(r, growing_delay(poll, j->attempts, poll > FLUX_POLL_CAP_USEC ? poll : FLUX_POLL_CAP_USEC));
        if (run_save(r, JOB_STATE_DEPOSITED) < 0)
                return STEP_WAIT;
        (void) run_schedule(r, r->next_elapsed);
        return STEP_WAIT;
}

static void on_refusal_checked(ChorusCall *call, int k, ChorusError *error, void *userdata);

/* Chorus Pro refused the invoice in this flux. Before its number is
 * voided, make sure Chorus Pro holds no invoice with that number from
 * another flux: after a deposit that never seemed to arrive (step_lookup)
 * the number may have been sent twice, and when the first flux is
 * integrated after all, the second is refused as a duplicate. Voiding then
 * would free the convention for a second invoice while the first is live. */
static StepResult run_check_refusal(JobRun *r, const char *reasons) {
        const Job *j = r->job;

        (void) job_set_last_error(r->job, reasons);
        return run_search_number(r, j->created_usec > 0 ? j->created_usec : j->deposited_usec, on_refusal_checked,
                                 "Checking a refusal");
}

/* A refusal of a number whose deposit was once uncertain, and Chorus Pro
 * does not list the number: the uncertain deposit may still be on its way
 * (and a refusal as a duplicate number says it is there). Never voided:
 * looked up again (the flux report first, then the search) for a whole
 * window, then failed/ with the number kept, for the administrator. */
static StepResult refusal_look_again(JobRun *r, const char *reasons) {
        Job *j = r->job;
        uint64_t window = lookup_window(r), used, poll, delay;
        char why[1024];

        if (j->lookup_started_usec == 0) {
                run_lookup_start(r);
                run_log(r, LOG_WARNING, NULL,
                        "Flux %s of invoice %s was refused (%s), but an earlier deposit of this number had an "
                        "unknown outcome: Chorus Pro may hold the invoice from it (a refusal as a duplicate "
                        "number says it does). Not voiding the number; looking it up for %llu min.",
                        j->flux, j->invoice_number, reasons,
                        (unsigned long long) (window / (60 * USEC_PER_SEC)));
        }
        used = run_lookup_elapsed(r);
        if (used >= window) {
                /* Within JOB_LAST_ERROR_MAX: the advice must reach the error file whole. */
                snprintf(why, sizeof why,
                         "invoice %s may be on Chorus Pro from an earlier deposit whose outcome was unknown (a "
                         "refusal as a duplicate number means it is), though not listed after %llu min; flux %s "
                         "was refused (%.80s). Number kept, not voided: look for %s on the Chorus Pro portal; "
                         "once listed, 'chorusctl requeue %s' adopts it. Do not invoice the convention again "
                         "meanwhile",
                         j->invoice_number, (unsigned long long) (used / (60 * USEC_PER_SEC)), strempty(j->flux),
                         reasons, j->invoice_number, j->id);
                return run_fail(r, JOB_STATE_FAILED, MESSAGE_ID_CHORUS_REJECTED, why);
        }
        poll = config_seconds(r, run_config(r)->chorus.poll_interval);
        delay = growing_delay(poll, ++j->attempts, FLUX_POLL_CAP_USEC);
        run_next_in(r, delay < window - used ? delay : window - used);
        if (run_save(r, j->state) < 0)
                return STEP_WAIT;
        (void) run_schedule(r, r->next_elapsed);
        return STEP_WAIT;
}

static void on_refusal_checked(ChorusCall *call, int k, ChorusError *error, void *userdata) {
        JobRun *r = userdata;
        Job *j = r->job;
        StepResult s;
        (void) call;

        run_call_done(r);
        if (k < 0)
                /* The flux report is asked again at the next try. */
                s = run_call_failed(r, j->state, "Checking a refusal", error);
        else {
                const ChorusInvoiceSummary *found = list_find(&r->result->list, j->invoice_number, NULL);
                char reasons[JOB_LAST_ERROR_MAX];

                run_answered(r);
                snprintf(reasons, sizeof reasons, "%s", strempty(j->last_error));
                if (found) {
                        run_log(r, LOG_WARNING, NULL,
                                "Flux %s refused invoice %s (%s), but Chorus Pro has it from flux %s, an earlier "
                                "deposit of the same number.",
                                j->flux, j->invoice_number, reasons, strempty(found->numero_flux_depot));
                        s = lookup_adopt(r, found);
                } else if (j->deposit_ever_uncertain)
                        s = refusal_look_again(r, reasons);
                else
                        s = run_fail(r, JOB_STATE_REJECTED, MESSAGE_ID_CHORUS_REJECTED, reasons);
        }
        chorus_invoice_list_done(&r->result->list);
        run_after(r, s);
}

static StepResult report_final(JobRun *r, const ChorusFluxReport *rep) {
        Job *j = r->job;
        char reasons[JOB_LAST_ERROR_MAX];

        (void) job_set(&j->cpp_flux_state, rep->etat);
        report_reasons(rep, j->flux, j->invoice_number, reasons, sizeof reasons);
        switch (rep->state) {
        case CHORUS_FLUX_INTEGRATED:
        case CHORUS_FLUX_PARTIAL:
                if (!report_names_invoice(rep, j->invoice_number))
                        return run_find_invoice_id(r);
                return run_check_refusal(r, reasons);
        case CHORUS_FLUX_INCIDENT:
                /* Not processed by Chorus Pro: the invoice does not exist there
                 * and the flux is dead. Forget it, so that requeue deposits the
                 * same number again instead of polling that flux. */
                (void) job_set(&j->flux, NULL);
                j->deposited_usec = 0;
                return run_fail(r, JOB_STATE_FAILED, MESSAGE_ID_CHORUS_REJECTED, reasons);
        default:
                return run_check_refusal(r, reasons);
        }
}

static void on_report_done(ChorusCall *call, int k, ChorusError *error, void *userdata) {
        JobRun *r = userdata;
        StepResult s;
        (void) call;

        run_call_done(r);
        if (k < 0) {
                s = run_call_failed(r, JOB_STATE_DEPOSITED, "Following the flux", error);
        } else {
                s = chorus_flux_state_is_final(r->result->report.state) ? report_final(r, &r->result->report)
                                                                       : report_pending(r, &r->result->report);
                chorus_flux_report_done(&r->result->report);
        }
        run_after(r, s);
}

static void on_find_id_done(ChorusCall *call, int k, ChorusError *error, void *userdata) {
        JobRun *r = userdata;
        Job *j = r->job;
        StepResult s;
        (void) call;

        run_call_done(r);
        if (k < 0) {
                s = run_call_failed(r, j->state, "Finding the invoice id", error);
        } else {
                const ChorusInvoiceSummary *found = list_find(&r->result->list, j->invoice_number, j->flux);
                if (found)
                        s = run_integrated(r, found);
                else {
                        /* Integrated but not listed yet: Chorus Pro catches up. */
                        run_answered(r);
                        j->attempts++;
                        run_next_in(r, config_seconds(r, run_config(r)->chorus.poll_interval));
                        (void) run_save(r, j->state);
                        s = STEP_WAIT;
                        run_log(r, LOG_INFO, NULL, "Flux %s is integrated but invoice %s is not listed yet; "
                                "looking again.", j->flux, j->invoice_number);
                        (void) run_schedule(r, r->next_elapsed);
                }
        }
        chorus_invoice_list_done(&r->result->list);
        run_after(r, s);
}

/* A credit note integrated by Chorus Pro cancels its invoice for good: the
 * convention is free again (numbering_record_credited, idempotent, so it is
 * redone after a crash between the state save and the record). Returns 0,
 * or < 0 when the record could not be written (tried again at the next
 * lifecycle step). */
static int run_credit_integrated(JobRun *r) {
        Job *j = r->job;
        NumberingEntry c;
        int k;

        if (!job_is_credit_note(j))
                return 0;
        k = numbering_lookup_convention(r->host->numbering, j->convention, &c);
        if (k >= 0 && (!streq_ptr(j->credit_of_invoice, c.number) || c.credited_by[0]))
                return 0; /* recorded (or the convention moved on): the usual case */
        /* The audit record before the step it records; redone after a crash. */
        (void) run_audit(r, "credited", j->credit_of_invoice);
        k = numbering_record_credited(r->host->numbering, j->id);
        if (fs_error_is_fatal(k)) {
                job_host_fatal(r->host, k, "recording a credit note");
                return k;
        }
        if (k < 0) {
                run_log_errno(r, LOG_ERR, k, NULL, "Failed to record credit note %s of invoice %s: %m",
                              j->invoice_number, strempty(j->credit_of_invoice));
                return k;
        }
        run_log(r, LOG_NOTICE, NULL,
                "Credit note %s integrated: invoice %s is cancelled, convention %s may be invoiced again.",
                j->invoice_number, strempty(j->credit_of_invoice), j->convention);
        crash_point("credited");
        return 0;
}

StepResult run_integrated(JobRun *r, const ChorusInvoiceSummary *s) {
        Job *j = r->job;
        char money[MONEY_DECIMAL_MAX];
        int k;

        if (set_cpp_invoice(j, s) < 0)
                return STEP_WAIT;
        (void) job_set_last_error(j, NULL);
        run_lookup_stop(r);
        run_reset_attempts(r, config_seconds(r, run_config(r)->chorus.poll_interval));
        if (run_save(r, JOB_STATE_INTEGRATED) < 0)
                return STEP_WAIT;
        (void) run_credit_integrated(r); /* a failure is retried at the next lifecycle step */
        k = run_finish_integration(r);
        if (k < 0 && job_host_stopping(r->host))
                return STEP_WAIT;
        if (k < 0)
                r->save_failed = true; /* a full disk: moved at the next wake-up (on_timer) */
        run_log(r, LOG_NOTICE, MESSAGE_ID_INVOICE_INTEGRATED,
                "Invoice %s (%s EUR, convention %s) integrated by Chorus Pro: id %s, status %s; %s.",
                j->invoice_number, money_format(j->total, money), j->convention, j->cpp_invoice_id,
                strempty(j->cpp_invoice_status),
                k < 0 ? "its files could not be moved to done/ yet, trying again later"
                      : "bilan, invoice and receipt in done/");
        (void) run_audit(r, "integrated", j->cpp_invoice_status);
        crash_point("moved-done");
        return STEP_NEXT;
}

/* ---- Lifecycle: consulter/historique until paid ------------------------------- */

static void on_history_done(ChorusCall *call, int k, ChorusError *error, void *userdata);

StepResult step_lifecycle(JobRun *r) {
        int64_t id;
        char *end;
        int k;

        if (run_wait_next_attempt(r))
                return STEP_WAIT;
        if (run_credit_integrated(r) < 0) {
                run_retry_step_later(r);
                return STEP_WAIT;
        }
        if (!r->job->cpp_invoice_id)
                return run_find_invoice_id(r);
        errno = 0;
        id = strtoll(r->job->cpp_invoice_id, &end, 10);
        if (errno != 0 || *end != 0 || id <= 0)
                return run_find_invoice_id(r);
        if (run_wait_call_slot(r))
                return STEP_WAIT;
        k = run_prepare_result(r, history);
        if (k >= 0)
                k = chorus_invoice_history(job_host_chorus(r->host), id, &r->result->history, on_history_done, r,
                                           &r->call);
        return run_call_begun(r, k, JOB_STATE_INTEGRATED, "Following the invoice");
}

static const char *status_advice(ChorusInvoiceStatusClass c, const char *statut) {
        if (c != CHORUS_INVOICE_ACTION_REQUIRED)
                return "";
        if (streq_ptr(statut, "A_RECYCLER"))
                return " The buyer's routing data (SIRET, service code or engagement number) is wrong: "
                       "correct it with chorusctl recycle (the invoice keeps its number) and fix the "
                       "convention for next time.";
        return " The buyer asks for supporting documents or information: answer with chorusctl complete "
               "(PDF files, a comment).";
}

/* The latest history entry of the current status (the history is listed
 * oldest first, but the dates decide): its date and comment are the
 * status's. NULL if the history does not list it. */
static const ChorusStatusEntry *history_current_entry(const ChorusInvoiceHistory *h) {
        const ChorusStatusEntry *found = NULL;

        for (size_t i = 0; i < h->n_entries; i++) {
                const ChorusStatusEntry *e = &h->entries[i];
                if (streq_ptr(e->code, h->statut_courant) &&
                    (!found || strcmp(strempty(e->date), strempty(found->date)) >= 0))
                        found = e;
        }
        return found;
}

/* The status's date (validated, or none) and comment, for the text
 * receipt; saved with the state the caller saves next. */
static void history_status_details(Job *j, const ChorusStatusEntry *e) {
        char when[RECEIPT_MOMENT_MAX];
        ReceiptMoment m;

        if (e && e->date && receipt_moment_parse(e->date, &m) >= 0)
                (void) job_set(&j->cpp_status_date, receipt_moment_format(m, when));
        else
                (void) job_set(&j->cpp_status_date, NULL);
        if (e && !isempty(e->commentaire)) {
                char one_line[JOB_LAST_ERROR_MAX];
                snprintf(one_line, sizeof one_line, "%s", e->commentaire);
                (void) job_set(&j->cpp_status_comment, one_line);
        } else
                (void) job_set(&j->cpp_status_comment, NULL);
}

static StepResult history_status(JobRun *r, const ChorusInvoiceHistory *h) {
        Job *j = r->job;
        const char *statut = h->statut_courant;
        ChorusInvoiceStatusClass c = chorus_invoice_status_classify(statut);
        const char *comment = h->n_entries > 0 ? h->entries[h->n_entries - 1].commentaire : NULL;
        bool receipt_failed, changed = false;
        int k;

        if (isempty(comment))
                comment = NULL;

        if (!streq_ptr(statut, j->cpp_invoice_status)) {
                changed = true;
                run_log(r, c == CHORUS_INVOICE_ACTION_REQUIRED ? LOG_WARNING : LOG_INFO, MESSAGE_ID_INVOICE_STATUS,
                        "Invoice %s on Chorus Pro: %s → %s%s%s%s.%s", j->invoice_number,
                        strempty(j->cpp_invoice_status), strempty(statut), comment ? " (" : "",
                        strempty(comment), comment ? ")" : "", status_advice(c, statut));
                (void) job_set(&j->cpp_invoice_status, statut);
                (void) run_audit(r, "status", statut);
        }
        /* The text receipt follows every status, before the job moves on
         * (to failed/ with REJETEE) or stops (MISE_EN_PAIEMENT). */
        history_status_details(j, history_current_entry(h));
        k = run_write_text_receipt(r);
        if (fs_error_is_fatal(k))
                return STEP_WAIT; /* the daemon stops */
        receipt_failed = k < 0;
        if (changed && streq_ptr(statut, "SUSPENDUE"))
                run_notice(r, NOTICE_INVOICE_SUSPENDED, j->cpp_status_comment ? j->cpp_status_comment : comment,
                           NULL);
        /* A person answered a blocked invoice (chorusctl complete/recycle);
         * a request left for a paid or rejected invoice is dropped here. */
        if (run_correction(r, statut))
                return STEP_WAIT;
        if (c == CHORUS_INVOICE_PAID) {
                run_next_now(r);
                if (run_save(r, JOB_STATE_DONE) < 0)
                        return STEP_WAIT;
                run_log(r, LOG_NOTICE, MESSAGE_ID_INVOICE_PAID, "Invoice %s is being paid (%s): job done.",
                        j->invoice_number, statut);
                (void) run_audit(r, "paid", statut);
                run_notice(r, NOTICE_INVOICE_PAID, NULL, NULL);
                /* The job stays until its text receipt says so (run_over, run_reconcile). */
                if (receipt_failed)
                        r->save_failed = true;
                return STEP_OVER;
        }
        if (c == CHORUS_INVOICE_REJECTED) {
                char reasons[JOB_LAST_ERROR_MAX];
                snprintf(reasons, sizeof reasons, "the buyer rejected the invoice on Chorus Pro (%s%s%s)",
                         strempty(statut), comment ? ": " : "", strempty(comment));
                /* Once: a run_fail() cut short (a full disk) comes back here. */
                if (changed)
                        run_notice(r, NOTICE_INVOICE_REJECTED,
                                   j->cpp_status_comment ? j->cpp_status_comment : comment, NULL);
                return run_fail(r, JOB_STATE_REJECTED, MESSAGE_ID_CHORUS_REJECTED, reasons);
        }
        /* Quick at first (the first statuses follow integration within
         * minutes), then at lifecycle_poll_interval. */
        j->attempts++;
        run_next_in(r, growing_delay(config_seconds(r, run_config(r)->chorus.poll_interval), j->attempts,
                                     config_seconds(r, run_config(r)->chorus.lifecycle_poll_interval)));
        if (run_save(r, JOB_STATE_INTEGRATED) < 0)
                return STEP_WAIT;
        (void) run_schedule(r, r->next_elapsed);
        return STEP_WAIT;
}

static void on_history_done(ChorusCall *call, int k, ChorusError *error, void *userdata) {
        JobRun *r = userdata;
        Job *j = r->job;
        StepResult s;
        (void) call;

        run_call_done(r);
        if (k < 0) {
                /* The invoice is safe on Chorus Pro: never give up following it,
                 * but never faster than the lifecycle interval once retries grow. */
                uint64_t cap = config_seconds(r, run_config(r)->chorus.lifecycle_poll_interval);
                uint64_t delay = job_host_delay(r->host, retry_next_delay(j->attempts, &RETRY_POLICY_DAEMON,
                                                                            error->has_retry_after ? error->retry_after_usec : 0,
                                                                            random_u64()));
                j->attempts++;
                (void) job_set_last_error(j, error->message);
                run_next_in(r, delay < cap ? delay : cap);
                run_log(r, LOG_WARNING, NULL, "Following invoice %s failed: %s; trying again later.",
                        j->invoice_number, strempty(error->message));
                (void) run_save(r, JOB_STATE_INTEGRATED);
                s = STEP_WAIT;
                (void) run_schedule(r, r->next_elapsed);
        } else {
                s = history_status(r, &r->result->history);
                chorus_invoice_history_done(&r->result->history);
        }
        run_after(r, s);
}

