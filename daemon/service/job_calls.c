/* job_calls.c — the Chorus Pro call slots of the jobs (job.c): at most
 * [chorus] max_parallel_calls calls in flight, the other jobs waiting in a
 * FIFO call queue kept in the JobHost; the bookkeeping of a call that
 * starts and ends, and freeing live jobs. */
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

/* The message of a call that could not even be started (-ENOMEM). */
static char not_started[] = "could not start the request";

/* ---- The call queue ---------------------------------------------------------- */

static void queue_remove(JobRun *r) {
        JobHost *h = r->host;

        if (!r->queued)
                return;
        if (r->queue_prev)
                r->queue_prev->queue_next = r->queue_next;
        else
                h->call_queue = r->queue_next;
        if (r->queue_next)
                r->queue_next->queue_prev = r->queue_prev;
        else
                h->call_queue_tail = r->queue_prev;
        r->queue_next = r->queue_prev = NULL;
        r->queued = false;
}

static void queue_append(JobRun *r) {
        JobHost *h = r->host;

        if (r->queued)
                return;
        r->queue_prev = h->call_queue_tail;
        r->queue_next = NULL;
        if (h->call_queue_tail)
                h->call_queue_tail->queue_next = r;
        else
                h->call_queue = r;
        h->call_queue_tail = r;
        r->queued = true;
}

/* Chorus Pro calls are capped ([chorus] max_parallel_calls): each holds a
 * socket, TLS state and, for a deposit, its payload, and with thousands of
 * bilans at once file descriptors ran out (EMFILE) and memory grew. A job
 * that may not call now waits at the end of the FIFO queue, its place in it
 * being its wake-up; when a call ends, the head runs its step again (every
 * step can be redone) and starts its call. Returns true if the job must
 * wait; call it before the step does anything it would not redo. */
bool run_wait_call_slot(JobRun *r) {
        JobHost *h = r->host;
        bool granted = h->call_granted == r;

        h->call_granted = NULL;
        if (h->n_calls < run_config(r)->chorus.max_parallel_calls && (granted || !h->call_queue)) {
                queue_remove(r);
                return false;
        }
        if (!r->queued)
                log_debug("Job %s: %u Chorus Pro calls in flight, waiting for one to end.", r->job->id,
                          h->n_calls);
        queue_append(r);
        return true;
}

void jobrun_run_call_queue(JobHost *h) {
        /* Each turn takes one job off the queue, and a job only goes back
         * into it when no slot is free: this ends. */
        while (!job_host_stopping(h) && h->call_queue && h->n_calls < job_host_config(h)->chorus.max_parallel_calls) {
                JobRun *r = h->call_queue;

                queue_remove(r);
                h->call_granted = r;
                run_continue(r); /* may free r */
                h->call_granted = NULL;
        }
}

void jobrun_wake_marked(JobHost *h) {
        JobRun *next;

        for (JobRun *r = h->runs; r && !job_host_stopping(h); r = next) {
                next = r->next;
                if (!r->wake_marked)
                        continue;
                r->wake_marked = false;
                run_wake(r); /* may free r */
        }
}

bool run_has_wakeup(JobRun *r) {
        int enabled = SD_EVENT_OFF;

        if (r->call || r->queued || r->wake_marked)
                return true;
        return r->timer && sd_event_source_get_enabled(r->timer, &enabled) >= 0 && enabled != SD_EVENT_OFF;
}

unsigned jobrun_count_without_wakeup(JobHost *h) {
        unsigned n = 0;

        for (JobRun *r = h->runs; r; r = r->next)
                if (!run_has_wakeup(r)) {
                        log_full(LOG_CRIT, "Job %s (state %s) has nothing to wake it up.", r->id,
                                 job_state_to_string(r->job ? r->job->state : r->asleep_state));
                        n++;
                }
        return n;
}

JobRun *jobrun_free(JobRun *r) {
        JobHost *h;

        if (!r)
                return NULL;
        h = r->host;
        run_cancel_call(r);
        queue_remove(r);
        r->timer = sd_event_source_disable_unref(r->timer);
        if (r->prev)
                r->prev->next = r->next;
        else
                h->runs = r->next;
        if (r->next)
                r->next->prev = r->prev;
        job_host_state_changed(h, r->job ? r->job->state : r->asleep_state, _JOB_STATE_INVALID);
        job_free(r->job);
        free(r->result);
        free(r->payload);
        free(r);
        return NULL;
}

void jobrun_free_all(JobHost *h) {
        while (h->runs)
                jobrun_free(h->runs);
}

bool jobrun_any_call_on(JobHost *h, ChorusClient *client) {
        for (JobRun *r = h->runs; r; r = r->next)
                if (r->call && r->call_client == client)
                        return true;
        return false;
}

int run_results(JobRun *r) {
        if (!r->result)
                r->result = malloc(sizeof(RunResults));
        return r->result ? 0 : -ENOMEM;
}

/* Bookkeeping common to every Chorus Pro callback. */
void run_call_done(JobRun *r) {
        r->call = NULL;
        r->call_client = NULL;
        r->host->n_calls--;
        /* The slot just freed is the job's own for the call that follows
         * from this answer (flux report → invoice search): queueing again
         * would redo the step, and the report, at each turn. run_after()
         * takes the grant back. */
        r->host->call_granted = r;
        job_host_call_finished(r->host);
}

/* After starting a call that returned `k`: wait for its callback, or, when
 * it could not even start, try again later from `state`. */
StepResult run_call_begun(JobRun *r, int k, JobState state, const char *what) {
        if (k < 0) {
                ChorusError e = { .temporary = true, .message = not_started };
                return run_retry_later(r, state, what, &e);
        }
        r->call_client = job_host_chorus(r->host);
        r->host->n_calls++;
        return STEP_WAIT;
}

