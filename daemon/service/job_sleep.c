/* job_sleep.c — jobs waiting on Chorus Pro leave memory between two calls
 * (job.c drives them; see "Sleeping jobs" below and daemon/README.md,
 * module notes). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/macro.h"
#include "service/job.h"
#include "service/job_host.h"
#include "service/jobstate.h"
#include "service/job_internal.h"

/* ---- Sleeping jobs ------------------------------------------------------------
 *
 * A job waiting on Chorus Pro (deposited: the flux report; integrated: the
 * lifecycle) waits minutes to hours between two calls, and thousands of
 * them may wait at once. While it waits, its Job (some 0.8 KiB with its
 * strings) leaves memory: only the JobRun and its timer stay, and the state
 * is read again from disk when the timer fires (issue 14: 10 000 waiting
 * jobs took 31 MiB). Only when nothing is lost: the state on disk must be
 * the one in memory (serialized, byte for byte, but for the next attempt's
 * display time and delay), with no elapsed
 * clock running (an outage or a look-up window counts in memory between
 * two saves). */

static bool run_may_sleep(JobRun *r) {
        int enabled = SD_EVENT_OFF;

        if (!r->job || (r->job->state != JOB_STATE_DEPOSITED && r->job->state != JOB_STATE_INTEGRATED))
                return false;
        if (r->call || r->queued || r->wake_marked || r->save_failed || job_host_stopping(r->host))
                return false;
        if (r->job->first_attempt_usec > 0 || r->job->lookup_started_usec > 0)
                return false;
        return r->timer && sd_event_source_get_enabled(r->timer, &enabled) >= 0 && enabled == SD_EVENT_ONESHOT;
}

/* Whether the state file says exactly what memory holds. */
static bool run_saved_as_is(JobRun *r) {
        _cleanup_(job_freep) Job *disk = NULL;
        _cleanup_(freep) char *a = NULL, *b = NULL;
        JobLoadSource source;
        size_t na, nb;

        if (jobstore_load(r->host->jobs, r->id, &disk, &source) < 0 || source != JOB_LOAD_CURRENT)
                return false;
        /* Except the next attempt as a resume recomputes it (run_next_in):
         * the timer keeps the one in memory (JobRun.next_elapsed), and the
         * one on disk stays a valid bound for a resume. */
        disk->next_attempt_usec = r->job->next_attempt_usec;
        disk->next_delay_usec = r->job->next_delay_usec;
        if (job_serialize(r->job, &a, &na) < 0 || job_serialize(disk, &b, &nb) < 0)
                return false;
        return na == nb && memcmp(a, b, na) == 0;
}

/* Lets a waiting job's state leave memory, when nothing is lost. */
void run_sleep(JobRun *r) {
        if (!run_may_sleep(r) || !run_saved_as_is(r))
                return;
        log_debug("Job %s: sleeping in state %s.", r->id, job_state_to_string(r->job->state));
        r->asleep_state = r->job->state;
        r->job = job_free(r->job);
        free(r->result); /* no call in flight: nothing in it */
        r->result = NULL;
}

/* Reads a sleeping job's state again. A state that cannot be read (being
 * replaced, a transient error) is tried again later; one that is gone
 * (the job was purged) ends the job's run. */
int run_awake(JobRun *r) {
        _cleanup_(job_freep) Job *job = NULL;
        JobHost *h = r->host;
        int k;

        k = jobstore_load(h->jobs, r->id, &job, NULL);
        if (k < 0) {
                log_job_errno(LOG_ERR, k, &(LogFields){ .job = r->id }, NULL,
                              "Job %s: cannot read its state again: %m; %s.", r->id,
                              k == -ENOENT ? "no longer followed" : "trying again later");
                if (k == -ENOENT)
                        jobrun_free(r);
                else if (sd_event_source_set_time_relative(r->timer, job_host_delay(h, RETRY_LATER_USEC)) < 0 ||
                         sd_event_source_set_enabled(r->timer, SD_EVENT_ONESHOT) < 0) {
                        r->wake_marked = true;
                        (void) job_host_wake_later(h);
                }
                return k;
        }
        r->job = TAKE_PTR(job);
        r->clocks_since = now_elapsed();
        if (r->job->state != r->asleep_state)
                job_host_state_changed(h, r->asleep_state, r->job->state);
        return 0;
}
