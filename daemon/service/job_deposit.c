/* job_deposit.c — depositing the invoice on Chorus Pro, exactly once
 * (job.c), and the retry policy of every Chorus Pro call.
 *
 * Exactly once (domain.md §7): `depositing` is fsynced before the deposit
 * request is sent, and Job.deposit_uncertain_usec remembers that a deposit
 * may have reached Chorus Pro without us learning its flux (an answer lost
 * after the body was sent, a 5xx, a crash while depositing). Such a job
 * never deposits again blindly: it looks its invoice number up with
 * rechercher/fournisseur first and adopts the flux it finds. Chorus Pro
 * lists an invoice only once it has integrated it, so "not found" may mean
 * "still being processed": the lookup is repeated with growing intervals for
 * half of retry_deadline, counted from that uncertain deposit, before we
 * conclude that the deposit never arrived and send it again (README.md,
 * "Exactly once", explains the reasoning). A number whose deposit was ever
 * uncertain (Job.deposit_ever_uncertain) is never voided automatically: a
 * refusal of a later flux may be Chorus Pro refusing a duplicate of an
 * invoice it holds. */
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

/* ---- Deposit, exactly once ----------------------------------------------------- */

/* Classes of failure that the operator's setup causes (credentials, PISTE
 * subscription, certificates): not this invoice's fault, fixable by a
 * reload, so retried until the deadline rather than failed at once. */
static bool error_is_environment(const ChorusError *e) {
        switch (e->kind) {
        case CHORUS_ERROR_UNAUTHORIZED:
        case CHORUS_ERROR_FORBIDDEN:
        case CHORUS_ERROR_TOKEN:
        case CHORUS_ERROR_TLS:
        case CHORUS_ERROR_CONFIG:
        case CHORUS_ERROR_INTERNAL:
                return true;
        default:
                return false;
        }
}

static bool error_is_retryable(const ChorusError *e) {
        return e->temporary || error_is_environment(e);
}

/* Schedules the next try of a failed call with the durable backoff, in
 * state `state`; past the deadline, failed/. */
StepResult run_retry_later(JobRun *r, JobState state, const char *what, const ChorusError *e) {
        Job *j = r->job;
        uint64_t delay, outage;

        if (j->first_attempt_usec == 0) {
                /* The first failure since Chorus Pro last answered starts a run
                 * of failures, and its backoff starts small: attempts also
                 * counted the polls of a pending flux or a lookup. */
                run_outage_start(r);
                j->attempts = 1;
        }
        delay = job_host_delay(r->host,
                              retry_next_delay(j->attempts > 0 ? j->attempts - 1 : 0, &RETRY_POLICY_DAEMON,
                                               e->has_retry_after ? e->retry_after_usec : 0, random_u64()));
        /* Give up only once the outage (time without any answer from Chorus
         * Pro, to any job) has lasted the deadline; a next attempt that would
         * come later is brought forward to the deadline: the platform may
         * well answer another job before then, and this one goes on. */
        outage = run_outage_elapsed(r);
        /* An hour without any answer: the admins hear of it (once per
         * outage, manager_notice). */
        if (outage >= job_host_delay(r->host, UNREACHABLE_NOTICE_USEC))
                run_notice(r, NOTICE_CHORUS_UNREACHABLE, e->message, NULL);
        if (outage >= retry_deadline(r))
                return run_fail_retries(r, what, e->message);
        if (!retry_within_deadline(outage, delay, retry_deadline(r)))
                delay = retry_deadline(r) - outage;
        run_next_in(r, delay);
        if (run_save(r, state) < 0)
                return STEP_WAIT;
        run_log(r, error_is_environment(e) ? LOG_ERR : LOG_WARNING, NULL,
                "%s for invoice %s failed (attempt %u): %s; trying again in %llu s.", what,
                strempty(j->invoice_number), j->attempts, strempty(e->message),
                (unsigned long long) ((delay + USEC_PER_SEC - 1) / USEC_PER_SEC));
        (void) run_schedule(r, r->next_elapsed);
        return STEP_WAIT;
}

/* A follow-up call failed: count the attempt, keep the error, retry later. */
StepResult run_call_failed(JobRun *r, JobState state, const char *what, const ChorusError *e) {
        (void) job_set_last_error(r->job, e->message);
        r->job->attempts++;
        return run_retry_later(r, state, what, e);
}

static void on_deposit_done(ChorusCall *call, int k, ChorusError *error, void *userdata);

StepResult step_deposit(JobRun *r) {
        _cleanup_(freep) char *data = NULL;
        char sha[SHA256_HEX_SIZE];
        StepResult s;
        size_t size;
        Job *j = r->job;
        int k;

        /* A deposit of this number may already be on Chorus Pro: look first. */
        if (j->deposit_uncertain_usec > 0) {
                run_next_now(r);
                return run_save(r, JOB_STATE_DEPOSITING) < 0 ? STEP_WAIT : STEP_NEXT;
        }
        if (run_wait_next_attempt(r))
                return STEP_WAIT;
        if (j->first_attempt_usec > 0 && run_outage_elapsed(r) > retry_deadline(r))
                return run_fail_retries(r, "Deposit", j->last_error);
        if (run_wait_call_slot(r))
                return STEP_WAIT;

        k = read_file_bounded_at(spool_dirfd(r->host->spool, SPOOL_PROCESSING), j->payload_name,
                         CHORUS_DEPOSIT_MAX, &data, &size);
        if (k >= 0)
                k = sha256_hex(data, size, sha);
        if (k == -EMFILE || k == -ENFILE || k == -ENOMEM) {
                /* Out of descriptors or memory, not a changed invoice: later. */
                run_log_errno(r, LOG_WARNING, k, NULL, "Cannot read invoice %s for now, trying again later: %m",
                              j->invoice_number);
                run_retry_step_later(r);
                return STEP_WAIT;
        }
        if (k < 0 || !streq_ptr(sha, j->payload_sha256)) {
                char reasons[256];
                snprintf(reasons, sizeof reasons, "the invoice file processing/%s %s", j->payload_name,
                         k < 0 ? "cannot be read" : "changed on disk since it was rendered");
                return run_fail(r, JOB_STATE_FAILED, NULL, reasons);
        }

        /* Durable before the request: from here on, a crash means "maybe sent". */
        j->attempts++;
        if (j->first_attempt_usec == 0)
                run_outage_start(r);
        run_next_now(r);
        /* The record first: the save's one fdatasync of the audit log
         * makes it durable with those of the steps before, and with the
         * state, before the request leaves. A crash in between, or a save
         * that fails, costs a second `depositing` record, never a lost one. */
        if (run_audit(r, "depositing", payload_public_name(j)) < 0)
                return STEP_WAIT;
        if (run_save(r, JOB_STATE_DEPOSITING) < 0)
                return STEP_WAIT;

        ChorusDepositRequest req = {
                .data = data,
                .size = size,
                .file_name = payload_public_name(j),
                .format = j->format,
        };
        k = run_prepare_result(r, deposit);
        if (k >= 0)
                k = chorus_deposit(job_host_chorus(r->host), &req, &r->result->deposit, on_deposit_done, r, &r->call);
        s = run_call_begun(r, k, JOB_STATE_RENDERED, "Deposit"); /* not started: nothing left, back to rendered */
        if (k < 0)
                return s;
        r->payload = TAKE_PTR(data);
        run_log(r, LOG_INFO, NULL, "Depositing invoice %s on Chorus Pro (attempt %u).", j->invoice_number,
                j->attempts);
        return STEP_WAIT;
}

static StepResult deposit_succeeded(JobRun *r) {
        Job *j = r->job;
        int k;

        k = numbering_record_flux(r->host->numbering, j->id, r->result->deposit.numero_flux_depot);
        if (fs_error_is_fatal(k)) {
                job_host_fatal(r->host, k, "recording a flux number");
                return STEP_WAIT;
        }
        if (k < 0)
                run_log_errno(r, LOG_WARNING, k, NULL, "Failed to record flux %s in the numbering register, ignoring: %m",
                              r->result->deposit.numero_flux_depot);
        if (job_set(&j->flux, r->result->deposit.numero_flux_depot) < 0)
                return STEP_WAIT;
        j->deposited_usec = now_usec();
        j->deposit_uncertain_usec = 0;
        run_lookup_stop(r);
        (void) job_set_last_error(j, NULL);
        run_reset_attempts(r, config_seconds(r, run_config(r)->chorus.poll_interval));
        if (run_save(r, JOB_STATE_DEPOSITED) < 0)
                return STEP_WAIT;
        run_log(r, LOG_NOTICE, MESSAGE_ID_INVOICE_DEPOSITED,
                "Invoice %s deposited on Chorus Pro: flux %s (%s).", j->invoice_number, j->flux,
                invoice_format_to_string(j->format));
        (void) run_audit(r, "deposited", NULL);
        run_notice(r, NOTICE_INVOICE_DEPOSITED, NULL, NULL);
        return STEP_NEXT;
}

/* No usable answer, but Chorus Pro may have the invoice: look it up. */
static StepResult deposit_uncertain(JobRun *r, const ChorusError *e) {
        Job *j = r->job;

        if (j->deposit_uncertain_usec == 0)
                j->deposit_uncertain_usec = now_usec();
        j->deposit_ever_uncertain = true;
        /* Its full look-up window, counted from this deposit. */
        run_lookup_start(r);
        (void) job_set_last_error(j, e->message);
        run_next_in(r, config_seconds(r, run_config(r)->chorus.poll_interval));
        if (run_save(r, JOB_STATE_DEPOSITING) < 0)
                return STEP_WAIT;
        run_log(r, LOG_WARNING, NULL,
                "The deposit of invoice %s may have reached Chorus Pro (%s): looking the number up "
                "before sending anything again.",
                j->invoice_number, strempty(e->message));
        (void) run_audit(r, "deposit_uncertain", e->message);
        (void) run_schedule(r, r->next_elapsed);
        return STEP_WAIT;
}

static void on_deposit_done(ChorusCall *call, int k, ChorusError *error, void *userdata) {
        JobRun *r = userdata;
        StepResult s;
        (void) call;

        run_call_done(r);
        free(r->payload);
        r->payload = NULL;
        crash_point("deposit-answered");
        if (k >= 0) {
                s = deposit_succeeded(r);
                chorus_deposit_result_done(&r->result->deposit);
        } else if (error->maybe_processed || error->kind == CHORUS_ERROR_INTERNAL)
                /* A local failure (out of memory) may strike after the request
                 * left, even while reading a 200: the client cannot tell us. */
                s = deposit_uncertain(r, error);
        else if (error_is_retryable(error)) {
                (void) job_set_last_error(r->job, error->message);
                s = run_retry_later(r, JOB_STATE_RENDERED, "Deposit", error);
        } else
                s = run_fail(r, JOB_STATE_FAILED, MESSAGE_ID_CHORUS_REJECTED, error->message);
        run_after(r, s);
}

/* ---- Lookup after an uncertain deposit ---------------------------------------- */

static void on_lookup_done(ChorusCall *call, int k, ChorusError *error, void *userdata);

/* Starts rechercher/fournisseur into r->result->list; `cb` gets the answer. */
StepResult run_search(JobRun *r, const ChorusInvoiceSearch *search, ChorusCallback cb, const char *what) {
        int k;

        if (run_wait_call_slot(r))
                return STEP_WAIT;
        k = run_prepare_result(r, list);
        if (k >= 0)
                k = chorus_invoice_search(job_host_chorus(r->host), search, &r->result->list, cb, r, &r->call);
        return run_call_begun(r, k, r->job->state, what);
}

/* Looks the job's invoice number up on Chorus Pro among the invoices
 * deposited since `since_usec` (CLOCK_REALTIME), or since now if the wall
 * clock has gone back since. */
StepResult run_search_number(JobRun *r, uint64_t since_usec, ChorusCallback cb, const char *what) {
        uint64_t now = now_usec();
        /* Chorus Pro dates deposits in Paris time: a day of margin. */
        Date from = date_add_days(date_from_time((time_t) ((since_usec < now ? since_usec : now) / USEC_PER_SEC)), -1);
        ChorusInvoiceSearch search = {
                .numero_facture = r->job->invoice_number,
                .deposited_from = &from,
        };

        return run_search(r, &search, cb, what);
}

StepResult step_lookup(JobRun *r) {
        Job *j = r->job;

        /* Resumed in depositing: the request may have left before the crash. */
        if (j->deposit_uncertain_usec == 0 || j->lookup_started_usec == 0) {
                if (j->deposit_uncertain_usec == 0)
                        j->deposit_uncertain_usec = j->updated_usec ? j->updated_usec : now_usec();
                j->deposit_ever_uncertain = true;
                if (j->lookup_started_usec == 0)
                        run_lookup_start(r);
                if (run_save(r, JOB_STATE_DEPOSITING) < 0)
                        return STEP_WAIT;
        }
        if (run_wait_next_attempt(r))
                return STEP_WAIT;
        /* From the job's start: an earlier deposit of the number may be the
         * one Chorus Pro holds. */
        return run_search_number(r, j->created_usec > 0 && j->created_usec < j->deposit_uncertain_usec
                                            ? j->created_usec
                                            : j->deposit_uncertain_usec,
                                 on_lookup_done, "Looking up");
}

const ChorusInvoiceSummary *list_find(const ChorusInvoiceList *l, const char *number,
                                      const char *flux) {
        for (size_t i = 0; i < l->n_items; i++)
                if (streq_ptr(l->items[i].numero_facture, number) &&
                    (!flux || streq_ptr(l->items[i].numero_flux_depot, flux)))
                        return &l->items[i];
        return NULL;
}

int set_cpp_invoice(Job *j, const ChorusInvoiceSummary *s) {
        char id[32];

        snprintf(id, sizeof id, "%lld", (long long) s->identifiant_facture_cpp);
        if (job_set(&j->cpp_invoice_id, id) < 0 || job_set(&j->cpp_invoice_status, s->statut) < 0)
                return -ENOMEM;
        return 0;
}

/* Chorus Pro has the invoice: take its flux, never deposit again. */
StepResult lookup_adopt(JobRun *r, const ChorusInvoiceSummary *s) {
        Job *j = r->job;
        int k;

        if (job_set(&j->flux, s->numero_flux_depot) < 0)
                return STEP_WAIT;
        k = numbering_record_flux(r->host->numbering, j->id, s->numero_flux_depot);
        if (fs_error_is_fatal(k)) {
                job_host_fatal(r->host, k, "recording a flux number");
                return STEP_WAIT;
        }
        if (!j->deposited_usec)
                j->deposited_usec = j->deposit_uncertain_usec;
        j->deposit_uncertain_usec = 0;
        run_lookup_stop(r);
        run_log(r, LOG_NOTICE, MESSAGE_ID_INVOICE_DEPOSITED,
                "Invoice %s is already on Chorus Pro (flux %s): adopting that deposit, not sending it again.",
                j->invoice_number, s->numero_flux_depot);
        (void) run_audit(r, "adopted", s->numero_flux_depot);
        run_notice(r, NOTICE_INVOICE_DEPOSITED, NULL, NULL);
        return run_integrated(r, s);
}

static void on_lookup_done(ChorusCall *call, int k, ChorusError *error, void *userdata) {
        JobRun *r = userdata;
        Job *j = r->job;
        StepResult s;
        (void) call;

        run_call_done(r);
        if (k < 0) {
                s = run_call_failed(r, JOB_STATE_DEPOSITING, "Looking up a deposit", error);
        } else {
                const ChorusInvoiceSummary *found = list_find(&r->result->list, j->invoice_number, NULL);
                uint64_t window = lookup_window(r), used = run_lookup_elapsed(r);

                run_answered(r); /* "not found" is an answer: no outage */
                if (found)
                        s = lookup_adopt(r, found);
                else if (used < window) {
                        uint64_t poll = config_seconds(r, run_config(r)->chorus.poll_interval);
                        uint64_t delay = growing_delay(poll, ++j->attempts, FLUX_POLL_CAP_USEC);

                        /* Grow, but look once more right at the end of the window. */
                        run_next_in(r, delay < window - used ? delay : window - used);
                        (void) run_save(r, JOB_STATE_DEPOSITING);
                        s = STEP_WAIT;
                        run_log(r, LOG_INFO, NULL,
                                "Invoice %s is not listed on Chorus Pro (yet): Chorus Pro lists an invoice "
                                "once it is integrated; looking again in %llu s.",
                                j->invoice_number, (unsigned long long) (j->next_delay_usec / USEC_PER_SEC));
                        (void) run_schedule(r, r->next_elapsed);
                } else {
                        run_log(r, LOG_WARNING, NULL,
                                "Invoice %s is still not on Chorus Pro %llu min after the uncertain deposit: "
                                "it never arrived; depositing it again.",
                                j->invoice_number, (unsigned long long) (used / (60 * USEC_PER_SEC)));
                        j->deposit_uncertain_usec = 0;
                        run_lookup_stop(r);
                        run_next_now(r);
                        s = run_save(r, JOB_STATE_RENDERED) < 0 ? STEP_WAIT : STEP_NEXT;
                        if (s == STEP_NEXT)
                                (void) run_audit(r, "deposit_lost", NULL);
                }
        }
        chorus_invoice_list_done(&r->result->list);
        run_after(r, s);
}

