/* job_correct.c — answering a blocked invoice (job_follow.c): a request
 * of `chorusctl complete` (SUSPENDUE, A_COMPLETER: completer, with PDF
 * attachments and a comment) or `chorusctl recycle` (A_RECYCLER:
 * recycler, a new service code and engagement, the same number), kept in
 * STATE_DIR/corrections (correction.h), is sent when the invoice's
 * history comes back.
 *
 * Exactly once: the request's id is saved in the job (CORRECTION_SENT)
 * before the call. When the answer is lost (or chorusd died around the
 * call), the histories decide: a status that moved on means it arrived
 * (the request is done). The status still the one the request answers
 * proves nothing: Chorus Pro may show its new status late. So the request
 * is not sent again for that: only when the status stayed put for the
 * whole look-up window (half of retry_deadline, on the job's elapsed
 * look-up clock, as after an uncertain deposit) is it taken as lost and
 * sent again. A request for an invoice no longer in that status,
 * never sent, is dropped with a warning. Chorus Pro's refusal drops it
 * too (audited): the person asks again with what Chorus Pro wants. A
 * failure never fails the job: the invoice is on Chorus Pro, and the
 * follow-up goes on. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "chorus/chorus_client.h"
#include "chorus/retry.h"
#include "service/correction.h"
#include "service/job.h"
#include "service/job_host.h"
#include "service/log-ids.h"
#include "service/job_internal.h"

static const char *what(CorrectionKind k) {
        return k == CORRECTION_COMPLETE ? "Completing" : "Recycling";
}

/* The request is over: audited (before the step it records: a crash
 * after it records it again at worst, never loses it), removed, and the
 * job no longer remembers sending it. A request that cannot be removed
 * keeps CORRECTION_SENT: found again, it is taken as sent with an unknown
 * outcome, never sent at once. */
static void correction_over(JobRun *r, const char *event, const char *detail) {
        int dirfd, k;

        (void) run_audit(r, event, detail);
        dirfd = correction_dir_open(run_config(r)->state.dir);
        k = dirfd < 0 ? dirfd : correction_remove(dirfd, r->job->id);

        if (k < 0)
                run_log_errno(r, LOG_ERR, k, NULL, "Cannot remove the correction request of job %s: %m (it is "
                              "not sent again before the invoice's status tells).", r->job->id);
        if (dirfd >= 0)
                close(dirfd);
        crash_point("correction-removed");
        if (k >= 0)
                (void) job_set(&r->job->correction_sent, NULL);
        run_lookup_stop(r);
}

/* The next history soon: the status the answer brought. */
static void follow_soon(JobRun *r, uint64_t delay) {
        run_next_in(r, delay);
        if (run_save(r, JOB_STATE_INTEGRATED) < 0)
                return;
        crash_point("correction-saved");
        (void) run_schedule(r, r->next_elapsed);
}

static void on_correction_done(ChorusCall *call, int k, ChorusError *error, void *userdata) {
        JobRun *r = userdata;
        Job *j = r->job;
        CorrectionKind kind = (CorrectionKind) r->correction_kind;
        const char *name = correction_kind_to_string(kind);
        char event[32];
        (void) call;

        run_call_done(r);
        crash_point("correction-answered");
        if (k >= 0) {
                run_log(r, LOG_NOTICE, MESSAGE_ID_INVOICE_STATUS, "%s invoice %s on Chorus Pro: done (%s).",
                        what(kind), j->invoice_number, strempty(r->result->correction.statut));
                snprintf(event, sizeof event, "%s", kind == CORRECTION_COMPLETE ? "completed" : "recycled");
                correction_over(r, event, r->result->correction.statut);
                chorus_correction_result_done(&r->result->correction);
                j->attempts = 0;
                follow_soon(r, config_seconds(r, run_config(r)->chorus.poll_interval));
        } else if (!error->temporary) {
                run_log(r, LOG_ERR, NULL, "%s invoice %s: Chorus Pro refused it: %s. Run chorusctl %s again "
                                          "with what Chorus Pro asks for.",
                        what(kind), j->invoice_number, strempty(error->message), name);
                snprintf(event, sizeof event, "%s_refused", name);
                correction_over(r, event, error->message);
                follow_soon(r, config_seconds(r, run_config(r)->chorus.lifecycle_poll_interval));
        } else {
                uint64_t cap = config_seconds(r, run_config(r)->chorus.lifecycle_poll_interval);
                uint64_t delay = job_host_delay(r->host, retry_next_delay(j->attempts, &RETRY_POLICY_DAEMON,
                                                                            error->has_retry_after ? error->retry_after_usec : 0,
                                                                            random_u64()));
                /* Not received for sure: no need to look at the status first. */
                if (!error->maybe_processed)
                        (void) job_set(&j->correction_sent, NULL);
                j->attempts++;
                (void) job_set_last_error(j, error->message);
                run_log(r, LOG_WARNING, NULL, "%s invoice %s failed: %s; trying again later.", what(kind),
                        j->invoice_number, strempty(error->message));
                follow_soon(r, delay < cap ? delay : cap);
        }
        run_after(r, STEP_WAIT);
}

static int start_call(JobRun *r, const Correction *c, int64_t id) {
        ChorusClient *client = job_host_chorus(r->host);
        ChorusAttachment a[CHORUS_ATTACHMENTS_MAX];

        if (run_prepare_result(r, correction) < 0)
                return -ENOMEM;
        r->correction_kind = c->kind;
        if (c->kind == CORRECTION_RECYCLE)
                return chorus_invoice_recycle(client, &(ChorusRecycleRequest){ .id_facture = id,
                                                                               .service_code = c->service,
                                                                               .engagement = c->engagement },
                                              &r->result->correction, on_correction_done, r, &r->call);
        for (size_t i = 0; i < c->n_attachments; i++)
                a[i] = (ChorusAttachment){ c->names[i], c->data[i], c->sizes[i] };
        return chorus_invoice_complete(client, &(ChorusCompleteRequest){ .id_facture = id, .comment = c->comment,
                                                                         .attachments = a,
                                                                         .n_attachments = c->n_attachments },
                                       &r->result->correction, on_correction_done, r, &r->call);
}

static bool invoice_id(const Job *j, int64_t *ret) {
        char *end;

        if (!j->cpp_invoice_id)
                return false;
        errno = 0;
        *ret = strtoll(j->cpp_invoice_id, &end, 10);
        return errno == 0 && *end == 0 && *ret > 0;
}

/* The request was sent (CORRECTION_SENT), its outcome unknown, and the
 * invoice is still in the status it answers. True: wait (the look-up clock
 * runs; the next history comes at the usual pace); false: the window is
 * over, the request is taken as lost and may be sent again. */
static bool correction_uncertain(JobRun *r, const Correction *c, const char *statut) {
        uint64_t window = lookup_window(r), used;
        Job *j = r->job;

        if (j->lookup_started_usec == 0) {
                run_lookup_start(r);
                run_log(r, LOG_WARNING, NULL, "%s invoice %s: the request may have reached Chorus Pro (its answer "
                        "was lost, or chorusd stopped); the invoice is still %s, which Chorus Pro may show late. "
                        "Not sending it again; watching the status for %llu min.", what(c->kind),
                        j->invoice_number, strempty(statut), (unsigned long long) (window / (60 * USEC_PER_SEC)));
                return true; /* saved with the next poll's time (history_status) */
        }
        used = run_lookup_elapsed(r);
        if (used < window)
                return true;
        run_lookup_stop(r);
        run_log(r, LOG_WARNING, NULL, "%s invoice %s: still %s after %llu min: the request did not arrive; "
                "sending it again.", what(c->kind), j->invoice_number, strempty(statut),
                (unsigned long long) (used / (60 * USEC_PER_SEC)));
        return false;
}

bool run_correction(JobRun *r, const char *statut) {
        _cleanup_(correction_freep) Correction *c = NULL;
        Job *j = r->job;
        char event[32];
        int64_t id;
        int dirfd, k;

        dirfd = correction_dir_open(run_config(r)->state.dir);
        if (dirfd < 0)
                return false;
        k = correction_read(dirfd, j->id, &c);
        close(dirfd);
        if (k == -ENOENT) {
                /* Removed, then chorusd stopped before the job said so. */
                if (j->correction_sent)
                        (void) job_set(&j->correction_sent, NULL);
                return false;
        }
        if (k < 0) {
                run_log(r, LOG_ERR, NULL, "Cannot read the correction request of job %s: %s.", j->id, strerror(-k));
                return false;
        }
        if (!correction_answers(c->kind, statut)) {
                if (streq_ptr(j->correction_sent, c->id)) {
                        /* Sent, the answer lost, and the status moved on: Chorus Pro acted on it. */
                        run_log(r, LOG_NOTICE, MESSAGE_ID_INVOICE_STATUS, "%s invoice %s on Chorus Pro: done "
                                "(the answer was lost; the invoice is now %s).", what(c->kind), j->invoice_number,
                                strempty(statut));
                        correction_over(r, c->kind == CORRECTION_COMPLETE ? "completed" : "recycled", statut);
                } else {
                        run_log(r, LOG_WARNING, NULL, "%s invoice %s: dropped, the invoice is %s on Chorus Pro "
                                "now.", what(c->kind), j->invoice_number, strempty(statut));
                        snprintf(event, sizeof event, "%s_dropped", correction_kind_to_string(c->kind));
                        correction_over(r, event, statut);
                }
                (void) run_save(r, JOB_STATE_INTEGRATED);
                return false;
        }
        if (streq_ptr(j->correction_sent, c->id) && correction_uncertain(r, c, statut))
                return false;
        if (!invoice_id(j, &id))
                return false;
        /* Durable before the call: a crash or a lost answer is found out from the status. */
        if (job_set(&j->correction_sent, c->id) < 0 || run_save(r, JOB_STATE_INTEGRATED) < 0)
                return false;
        crash_point("correction-sent");
        k = start_call(r, c, id);
        if (k < 0) {
                /* chorusctl checked the same limits: a request edited by hand. */
                run_log(r, LOG_ERR, NULL, "%s invoice %s: the request is not valid (%s): dropped.", what(c->kind),
                        j->invoice_number, strerror(-k));
                snprintf(event, sizeof event, "%s_refused", correction_kind_to_string(c->kind));
                correction_over(r, event, strerror(-k));
                (void) run_save(r, JOB_STATE_INTEGRATED);
                return false;
        }
        r->call_client = job_host_chorus(r->host);
        r->host->n_calls++;
        run_log(r, LOG_INFO, NULL, "%s invoice %s on Chorus Pro (request %s).", what(c->kind), j->invoice_number,
                c->id);
        return true;
}

void jobrun_correction_requested(JobHost *h, const char *id) {
        JobRun *r = jobrun_find(h, id);

        /* A job waiting for its next poll may have left memory (job_sleep.c):
         * read it again first. */
        if (!r || (!r->job && run_awake(r) < 0))
                return;
        /* A call in flight or a place in the call queue: the history comes
         * soon anyway, and run_correction() reads the request then. */
        if (r->job->state != JOB_STATE_INTEGRATED || r->call || r->queued || job_host_stopping(h))
                return;
        run_log(r, LOG_INFO, NULL, "Job %s: a correction request arrived; following invoice %s now.", r->job->id,
                strempty(r->job->invoice_number));
        run_next_now(r);
        (void) run_schedule(r, r->next_elapsed);
}
