/* job.c — the job pipeline (see job.h): one small function per step, each
 * persisting the state it announces before it acts. This file holds a live
 * job's lifecycle: its clocks and timer, saving its state and auditing its
 * steps, the step dispatch, and the entry points (start, resume after a
 * restart or a requeue, requeue state); the steps live in job_intake.c,
 * job_render.c, job_deposit.c and job_follow.c, the files in job_files.c,
 * the Chorus Pro call slots in job_calls.c (job_internal.h joins them).
 *
 * Owns each live JobRun: its persisted Job, its timer, its Chorus Pro call.
 * The JobHost (job_host.h) holds the list.
 *
 * Time: every delay, window and deadline is elapsed time (CLOCK_BOOTTIME,
 * timers too), persisted as durations (OUTAGE_ELAPSED, LOOKUP_ELAPSED,
 * NEXT_DELAY) that count while chorusd runs; the wall clock, which may step
 * either way, only dates things (issue dates, search periods, display). */
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
#include "base/identifiers.h"
#include "service/job.h"
#include "service/job_host.h"
#include "service/log-ids.h"
#include "base/log.h"
#include "base/money.h"
#include "service/numbering.h"
#include "service/outbox.h"
#include "writers/render.h"
#include "service/pdf_assets.h"
#include "chorus/retry.h"
#include "service/job_internal.h"

/* ---- Test hooks --------------------------------------------------------------- */

/* CHORUSD_TEST_CRASH_AFTER=<point> kills the daemon right after that durable
 * step (a state name: "received", "validated", …) or at a point between two
 * ("deposit-answered": the deposit request was sent and Chorus Pro answered,
 * nothing recorded yet; "moved-done": the files are in done/;
 * "failed-file": a failure's error file is written, nothing moved yet;
 * "correction-sent", "-answered", "-removed", "-saved": job_correct.c).
 * Only in builds made with TEST_HOOKS=1 (make check). */
void crash_point(const char *point) {
#ifdef CHORUSD_TEST_HOOKS
        const char *e = getenv("CHORUSD_TEST_CRASH_AFTER");
        if (e && streq(e, point)) {
                log_notice("Test hook: crashing after '%s'.", point);
                (void) raise(SIGKILL);
        }
#else
        (void) point;
#endif
}

/* ---- Small helpers ------------------------------------------------------------- */

LogFields run_fields(const JobRun *r) {
        return (LogFields) {
                .job = r->job->id,
                .convention = r->job->convention,
                .invoice = r->job->invoice_number,
                .flux = r->job->flux,
                .cpp_id = r->job->cpp_invoice_id,
        };
}

/* The wall clock: dates and display only. */
uint64_t now_usec(void) {
        return now_realtime_usec();
}

/* Elapsed time, suspend included, immune to clock steps. */
uint64_t now_elapsed(void) {
        return now_clock_usec(CLOCK_BOOTTIME);
}

const Config *run_config(const JobRun *r) {
        return job_host_config(r->host);
}

uint64_t config_seconds(const JobRun *r, unsigned seconds) {
        return job_host_delay(r->host, (uint64_t) seconds * USEC_PER_SEC);
}

uint64_t retry_deadline(const JobRun *r) {
        return config_seconds(r, run_config(r)->chorus.retry_deadline);
}

/* How long "not found" is looked up after an uncertain deposit, or after a
 * refusal of a number whose deposit was once uncertain. */
uint64_t lookup_window(const JobRun *r) {
        return retry_deadline(r) / 2;
}

/* Brings the job's elapsed clocks (Job.outage_usec, Job.lookup_usec) up to
 * now: each counts while its run (first_attempt_usec, lookup_started_usec)
 * is on. Before a save, and before a clock is read. */
static void run_clocks_update(JobRun *r) {
        uint64_t now = now_elapsed(), d = now > r->clocks_since ? now - r->clocks_since : 0;

        r->clocks_since = now;
        if (r->job->first_attempt_usec > 0)
                r->job->outage_usec += d;
        if (r->job->lookup_started_usec > 0)
                r->job->lookup_usec += d;
}

/* A run of failures without any answer from Chorus Pro: retry_deadline
 * counts its elapsed time. first_attempt_usec (wall clock) says since when,
 * for people. */
uint64_t run_outage_elapsed(JobRun *r) {
        uint64_t last = r->host->last_answer_elapsed, now = now_elapsed();

        run_clocks_update(r);
        if (r->job->first_attempt_usec == 0)
                return 0;
        /* Chorus Pro answered another job's call since: the platform is up,
         * and this job's failures (a 503 on its look-up, a dropped answer)
         * are not an outage. The deadline counts time without any answer. */
        if (last > 0 && now >= last && now - last < r->job->outage_usec)
                r->job->outage_usec = now - last;
        return r->job->outage_usec;
}

void run_outage_start(JobRun *r) {
        run_clocks_update(r);
        r->job->first_attempt_usec = now_usec();
        r->job->outage_usec = 0;
}

/* Chorus Pro answered (whatever it said): not an outage. */
void run_answered(JobRun *r) {
        r->job->first_attempt_usec = 0;
        r->job->outage_usec = 0;
}

/* A look-up window starts (an uncertain deposit, a suspicious refusal). */
void run_lookup_start(JobRun *r) {
        run_clocks_update(r);
        r->job->lookup_started_usec = now_usec();
        r->job->lookup_usec = 0;
}

void run_lookup_stop(JobRun *r) {
        r->job->lookup_started_usec = 0;
        r->job->lookup_usec = 0;
}

uint64_t run_lookup_elapsed(JobRun *r) {
        run_clocks_update(r);
        return r->job->lookup_usec;
}

/* The next attempt, in `delay` of elapsed time. The wall-clock time is
 * kept for display, and with the delay as its bound for a resume. */
void run_next_in(JobRun *r, uint64_t delay) {
        r->next_elapsed = now_elapsed() + delay;
        r->job->next_attempt_usec = now_usec() + delay;
        r->job->next_delay_usec = delay;
}

void run_next_now(JobRun *r) {
        r->next_elapsed = 0;
        r->job->next_attempt_usec = 0;
        r->job->next_delay_usec = 0;
}

/* poll × 2^attempts, capped. */
uint64_t growing_delay(uint64_t first, unsigned attempts, uint64_t cap) {
        uint64_t d = first;
        for (unsigned i = 0; i < attempts && d < cap; i++)
                d *= 2;
        return d < cap ? d : cap;
}

/* The name Chorus Pro sees: the payload's name without our "JOBID." prefix. */
const char *payload_public_name(const Job *j) {
        const char *n = j->payload_name;
        return n && strlen(n) > JOB_ID_LEN + 1 ? n + JOB_ID_LEN + 1 : n;
}

/* ---- Persisting ---------------------------------------------------------------- */

/* A local step that could not read or write: try again in a minute. */
void run_retry_step_later(JobRun *r) {
        run_next_in(r, job_host_delay(r->host, RETRY_LATER_USEC));
        (void) run_schedule(r, r->next_elapsed);
}

/* The one way a job changes state: durably first (jobstore_save fsyncs),
 * then the counters. On a failed fsync the daemon stops. Another write
 * failure (a full disk) leaves the old state on disk and in memory, and
 * the step is tried again later from it: every step can be redone (see
 * jobstate.h), and the retry first finishes a move to rejected/ or failed/
 * that went ahead of its state (run_reconcile). */
int run_save(JobRun *r, JobState state) {
        JobState old = r->job->state;
        bool lazy;
        int k;

        lazy = job_state_may_go_back(old, state);
        /* A state that will not go back needs the records of the steps
         * before it: one fdatasync makes them all durable first. */
        if (!lazy) {
                k = job_host_audit_flush(r->host);
                if (k < 0)
                        return k; /* fatal: the daemon stops */
        }
        r->job->state = state;
        run_clocks_update(r);
        k = lazy ? jobstore_save_lazy(r->host->jobs, r->job) : jobstore_save(r->host->jobs, r->job);
        if (k < 0) {
                r->job->state = old;
                if (fs_error_is_fatal(k)) {
                        job_host_fatal(r->host, k, "saving a job state");
                        return k;
                }
                run_log_errno(r, LOG_ERR, k, NULL, "Failed to save the state of job %s, trying again later: %m",
                              r->job->id);
                if (k == -ENOSPC || k == -EDQUOT)
                        job_host_disk_full(r->host, k, "saving a job state");
                r->save_failed = true;
                run_retry_step_later(r);
                return k;
        }
        job_host_state_changed(r->host, old, state);
        crash_point(job_state_to_string(state));
        return 0;
}

/* An audit record of the job as it stands. A failed fsync is fatal. A
 * record that cannot be written for want of space waits in memory and the
 * pipeline pauses until it is written (manager_audit): no step happens
 * while the record of the one before is not durable. */
int run_audit(JobRun *r, const char *event, const char *detail) {
        const Job *j = r->job;
        AuditRecord rec = {
                .event = event,
                .job = j->id,
                .convention = j->convention,
                .invoice = j->invoice_number,
                .has_amounts = j->has_amounts,
                .total = j->total,
                .total_before_cap = j->total_before_cap,
                .allowance = j->allowance,
                .bilan_sha256 = j->bilan_sha256,
                .payload_sha256 = j->payload_sha256,
                .flux = j->flux,
                .cpp_id = j->cpp_invoice_id,
                .detail = detail,
        };

        return job_host_audit(r->host, &rec);
}

void run_notice(JobRun *r, NoticeKind kind, const char *reason, const NoticeAttachment *attachment) {
        const Job *j = r->job;
        Notice n = {
                .kind = kind,
                .job = j->id,
                .bilan = j->bilan_name,
                .convention = j->convention,
                .invoice = j->invoice_number,
                .flux = j->flux,
                .has_amount = j->has_amounts,
                .amount = j->total,
                .status = j->cpp_invoice_status,
                .reason = reason,
                .date = j->cpp_status_date,
                .credit_note = job_is_credit_note(j),
        };

        job_host_notice(r->host, &n, attachment);
}

void run_notice_refused(JobRun *r, const char *reason) {
        _cleanup_(freep) char *text = NULL;
        char name[SPOOL_NAME_MAX + 16];
        size_t size;
        int dirfd = spool_dirfd(r->host->spool, SPOOL_REJECTED);

        snprintf(name, sizeof name, "%s%s", strempty(r->job->spool_name), SPOOL_ERROR_SUFFIX);
        /* Without its error file (unreadable: said in the journal), the
         * notice goes anyway: the reason is in it. */
        if (dirfd < 0 || read_file_bounded_at(dirfd, name, OUTBOX_ATTACHMENT_MAX, &text, &size) < 0 ||
            !utf8_text_is_valid(text, size)) {
                free(text);
                text = NULL;
        }
        run_notice(r, NOTICE_BILAN_REFUSED, reason,
                   text ? &(NoticeAttachment) { .name = name, .content_type = "text/plain; charset=UTF-8",
                                                .data = text, .size = size }
                        : NULL);
}

static int run_reconcile(JobRun *r);

/* What the job's timer does. */
void run_wake(JobRun *r) {
        if (!r->job && run_awake(r) < 0)
                return;
        log_debug("Job %s: timer fired in state %s.", r->job->id, job_state_to_string(r->job->state));
        if (r->save_failed) {
                int k = run_reconcile(r);

                if (fs_error_is_fatal(k))
                        return;
                /* Still not done (a bilan gone from the spool: nothing to do):
                 * again at the next wake-up. */
                r->save_failed = k < 0 && k != -ENOENT;
                if (job_state_is_terminal(r->job->state)) {
                        if (r->save_failed)
                                run_retry_step_later(r);
                        else
                                jobrun_free(r);
                        return;
                }
        }
        run_continue(r);
}

int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) s;
        (void) usec;
        run_wake(userdata);
        return 0;
}

/* Arms the job's timer for `when` (CLOCK_BOOTTIME µs, r->next_elapsed). */
int run_schedule(JobRun *r, uint64_t when) {
        int k;

        if (when == 0)
                when = 1; /* now */
        log_debug("Job %s: next step in %lld ms.", r->job->id,
                  (long long) ((int64_t) (when - now_elapsed()) / 1000));
        if (!r->timer) {
                k = sd_event_add_time(r->host->event, &r->timer, CLOCK_BOOTTIME, when,
                                      TIMER_ACCURACY_USEC, on_timer, r);
                if (k >= 0)
                        (void) sd_event_source_set_description(r->timer, "job");
        } else {
                k = sd_event_source_set_time(r->timer, when);
                if (k >= 0)
                        k = sd_event_source_set_enabled(r->timer, SD_EVENT_ONESHOT);
        }
        if (k < 0) {
                /* Out of memory: the manager's own timer, armed in advance,
                 * wakes the job instead (it must not wait for a restart). */
                r->wake_marked = true;
                (void) job_host_wake_later(r->host);
                return run_log_errno(r, LOG_ERR, k, NULL, "Failed to arm the timer of job %s, waking it "
                                     "up a little later: %m", r->job->id);
        }
        return 0;
}

/* Waits until the next attempt, if it is in the future. */
bool run_wait_next_attempt(JobRun *r) {
        if (r->next_elapsed <= now_elapsed())
                return false;
        (void) run_schedule(r, r->next_elapsed);
        return true;
}

/* Chorus Pro answered and the job moved on: counts start again, the next
 * step in `delay`. */
void run_reset_attempts(JobRun *r, uint64_t delay) {
        r->job->attempts = 0;
        run_answered(r);
        if (delay > 0)
                run_next_in(r, delay);
        else
                run_next_now(r);
}

/* ---- Live jobs list ---------------------------------------------------------- */

JobRun *jobrun_find(JobHost *h, const char *id) {
        for (JobRun *r = h->runs; r; r = r->next)
                if (streq(r->id, id))
                        return r;
        return NULL;
}

static JobRun *jobrun_new(JobHost *h, Job *job) {
        JobRun *r = calloc(1, sizeof *r);

        if (!r)
                return NULL;
        r->host = h;
        r->job = job;
        snprintf(r->id, sizeof r->id, "%s", job->id);
        r->clocks_since = now_elapsed();
        r->next = h->runs;
        if (h->runs)
                h->runs->prev = r;
        h->runs = r;
        job_host_state_changed(h, _JOB_STATE_INVALID, job->state);
        return r;
}

void run_cancel_call(JobRun *r) {
        if (!r->call)
                return;
        chorus_call_cancel(r->call);
        r->call = NULL;
        r->call_client = NULL;
        r->host->n_calls--;
        job_host_call_finished(r->host);
}

/* ---- Driving a job --------------------------------------------------------------- */

static StepResult run_step(JobRun *r) {
        switch (r->job->state) {
        case JOB_STATE_RECEIVED:
                return step_validate(r);
        case JOB_STATE_VALIDATED:
                return step_validated(r);
        case JOB_STATE_AWAITING_APPROVAL:
                return STEP_OVER; /* parked in review/: chorusctl approve or cancel */
        case JOB_STATE_NUMBERED:
                return step_render(r);
        case JOB_STATE_RENDERED:
                return step_deposit(r);
        case JOB_STATE_DEPOSITING:
                return step_lookup(r);
        case JOB_STATE_DEPOSITED:
                return step_poll_flux(r);
        case JOB_STATE_INTEGRATED:
                return step_lifecycle(r);
        default:
                return STEP_OVER;
        }
}

/* A waiting job must have something that wakes it: a call in flight, an
 * armed timer, a place in the call queue (or a mark for the manager's wake
 * timer when its own could not be armed). A step that failed without any
 * (a file it could not write, an allocation) is tried again later, instead
 * of leaving the job stuck in memory until the next restart. */
static void run_ensure_wakeup(JobRun *r) {
        if (job_host_stopping(r->host))
                return;
        if (!run_has_wakeup(r))
                run_retry_step_later(r);
        run_sleep(r);
}

/* A job is over: it leaves memory, unless its files could not follow its
 * state (a full spool: save_failed). Then its timer moves them (on_timer,
 * run_reconcile) before it goes: a job that reached done while the disk
 * was full must still bring its bilan, invoice and receipt to done/. */
static void run_over(JobRun *r) {
        if (r->save_failed && !job_host_stopping(r->host)) {
                run_retry_step_later(r);
                return;
        }
        jobrun_free(r);
}

/* Runs steps until the job waits or is over. Each callback of the loop
 * runs whole steps: a SIGTERM is served between two of them. While the
 * state directory is full, no step runs: the job is marked, and woken when
 * space is back (manager.c, on_disk_timer). */
void run_continue(JobRun *r) {
        for (;;) {
                StepResult s;

                if (job_host_stopping(r->host) || r->call)
                        return;
                if (job_host_paused(r->host)) {
                        r->wake_marked = true;
                        return;
                }
                s = run_step(r);
                if (s == STEP_OVER) {
                        run_over(r);
                        return;
                }
                if (s == STEP_WAIT) {
                        run_ensure_wakeup(r);
                        return;
                }
        }
}

/* What a callback does once its step is decided: go on, wait, or let the
 * job leave memory. */
void run_after(JobRun *r, StepResult s) {
        r->host->call_granted = NULL;
        if (s == STEP_NEXT)
                run_continue(r);
        else if (s == STEP_OVER)
                run_over(r);
        else
                run_ensure_wakeup(r);
}

/* ---- Entry points ------------------------------------------------------------------ */

int jobrun_start_claimed(JobHost *h, const SpoolClaim *claim) {
        _cleanup_(job_freep) Job *job = NULL;
        JobRun *r;
        int k;

        k = job_new(claim->job_id, claim->name, claim->spool_name, &job);
        if (k < 0)
                return log_error_errno(k, "Failed to create job %s: %m", claim->job_id);
        job->created_usec = claim->claimed_usec;
        if (!isempty(claim->sha256) && job_set(&job->bilan_sha256, claim->sha256) < 0)
                return log_oom();
        /* Lazy: the bilan is durable in processing/ as JOBID--NAME, and
         * recovery makes this very job again, `received`, if a crash takes
         * the file away (the audit log then says `resumed`, not `claimed`). */
        k = jobstore_create_lazy(h->jobs, job);
        if (k < 0) {
                if (fs_error_is_fatal(k))
                        return k;
                /* The bilan is safe in processing/ (or rejected/): the
                 * manager looks for it again a minute later, and start-up
                 * recovery would too. */
                return log_error_errno(k, "Failed to save job %s for '%s': %m", claim->job_id, claim->name);
        }
        r = jobrun_new(h, TAKE_PTR(job));
        if (!r)
                return log_oom(); /* its state is on disk: resumed the same way */
        crash_point("received");
        if (claim->rejected) {
                /* Not a regular file, or too large: the spool already put it in
                 * rejected/ with its error file, unread. */
                (void) job_set_last_error(r->job, claim->reason);
                k = run_save(r, JOB_STATE_INVALID);
                if (k >= 0) {
                        run_log(r, LOG_WARNING, MESSAGE_ID_BILAN_REJECTED,
                                "'%s' in incoming/ rejected: %s (rejected/%s%s says more).", claim->name,
                                strempty(claim->reason), claim->spool_name, SPOOL_ERROR_SUFFIX);
                        k = run_audit(r, "rejected", claim->reason);
                        run_notice_refused(r, claim->reason);
                }
                jobrun_free(r);
                return fs_error_is_fatal(k) ? k : 0;
        }
        run_log(r, LOG_INFO, MESSAGE_ID_BILAN_CLAIMED, "Bilan '%s' claimed as job %s (sha256 %s).",
                claim->name, r->job->id, strempty(r->job->bilan_sha256));
        k = run_audit(r, "claimed", claim->name);
        if (k < 0)
                return k;
        run_continue(r);
        return 0;
}

/* Where the bilan is decides what a recovered job still has to do. */
static int resume_reconcile(JobRun *r, SpoolDir location) {
        Job *j = r->job;
        JobState s = j->state;

        if (location == SPOOL_REJECTED && !job_state_is_terminal(s)) {
                /* The move to rejected/ happened, its state did not (a
                 * chorusctl cancel cut short: its preview goes too). */
                int k;

                if (s == JOB_STATE_AWAITING_APPROVAL) {
                        (void) job_set_last_error(j, "cancelled before approval (chorusctl cancel); the error "
                                                     "file in rejected/ gives the reason");
                        k = spool_review_clear(r->host->spool, j->id);
                        if (k < 0)
                                return k;
                }
                return run_save(r, JOB_STATE_INVALID);
        }
        if (location == SPOOL_REVIEW)
                /* Waiting for approval; or approved by a chorusctl approve
                 * cut short before it moved the bilan back: finish it. */
                return s == JOB_STATE_AWAITING_APPROVAL
                               ? 0
                               : spool_move(r->host->spool, SPOOL_REVIEW, SPOOL_PROCESSING, j->spool_name);
        if (location == SPOOL_FAILED && !job_state_is_terminal(s)) {
                (void) job_set_last_error(j, "found in failed/ at start-up");
                return run_save(r, JOB_STATE_FAILED);
        }
        if (location == SPOOL_DONE && (s == JOB_STATE_INTEGRATED || s == JOB_STATE_DONE))
                /* A text receipt that could not follow the last status (a
                 * full disk), or one from before chorusd wrote them. */
                return run_write_text_receipt(r);
        if (location != SPOOL_PROCESSING)
                return 0;
        switch (s) {
        case JOB_STATE_AWAITING_APPROVAL:
                /* Saved, then a crash before its bilan reached review/. */
                return run_park_for_approval(r);
        case JOB_STATE_INTEGRATED:
        case JOB_STATE_DONE:
                return run_finish_integration(r);
        case JOB_STATE_REJECTED:
        case JOB_STATE_FAILED:
                return run_fail_files(r);
        case JOB_STATE_INVALID: {
                Diagnostics d = DIAGNOSTICS_INIT;
                int k = diag_error2(&d, j->bilan_name, NULL, "%s", "%s", strempty(j->last_error));
                if (k >= 0)
                        k = spool_reject(r->host->spool, SPOOL_PROCESSING, j->id, j->bilan_name, j->spool_name, &d);
                diagnostics_clear(&d);
                return k;
        }
        default:
                return 0;
        }
}

/* The same for a live job whose state could not be saved (run_save). */
static int run_reconcile(JobRun *r) {
        SpoolDir where;
        int k;

        k = spool_locate(r->host->spool, r->job->spool_name, &where);
        if (k < 0)
                return k;
        return resume_reconcile(r, where);
}

/* A job whose state cannot be read: its bilan goes to failed/ with the
 * reason, under a fresh state (the damaged file is kept as .prev). */
static int resume_damaged(JobHost *h, SpoolRecoveredJob *rec, Job **ret) {
        const char *name = rec->spool_name ? strstr(rec->spool_name, SPOOL_NAME_SEPARATOR) : NULL;
        _cleanup_(job_freep) Job *job = NULL;
        int k;

        k = job_new(rec->job_id, name ? name + strlen(SPOOL_NAME_SEPARATOR) : rec->job_id, rec->spool_name, &job);
        if (k < 0)
                return k;
        job->state = JOB_STATE_FAILED;
        (void) job_set_last_error(job, "the job's state file is damaged; check it before requeueing");
        k = jobstore_save(h->jobs, job);
        if (k < 0)
                return k;
        log_error("Job %s: state file damaged; bilan moved to failed/.", rec->job_id);
        job_host_notice(h, &(Notice) { .kind = NOTICE_STATE_DAMAGED, .job = rec->job_id,
                                       .bilan = job->bilan_name,
                                       .detail = "état d'un travail (dossier jobs/ de l'état)",
                                       .reason = "fichier d'état illisible ; le bilan est mis dans failed/" },
                        NULL);
        *ret = TAKE_PTR(job);
        return 0;
}

static int jobrun_resume_full(JobHost *h, SpoolRecoveredJob *rec, const char *why);

/* The longest wait any step schedules (the backoff cap, the poll caps). */
static uint64_t run_max_delay(const JobRun *r) {
        uint64_t max = RETRY_POLICY_DAEMON.cap_usec;
        uint64_t candidates[] = {
                FLUX_POLL_CAP_USEC,
                RETRY_LATER_USEC,
                (uint64_t) run_config(r)->chorus.poll_interval * USEC_PER_SEC,
                (uint64_t) run_config(r)->chorus.lifecycle_poll_interval * USEC_PER_SEC,
        };

        for (size_t i = 0; i < ELEMENTSOF(candidates); i++)
                if (candidates[i] > max)
                        max = candidates[i];
        return job_host_delay(r->host, max);
}

/* The persisted next attempt, on the wall clock, is only trusted within
 * its delay (NEXT_DELAY; an older state file: the longest delay any step
 * schedules): a clock that stepped forward makes it past (run now), one
 * that stepped back makes it far (clamped). */
static void run_resume_next_attempt(JobRun *r) {
        Job *j = r->job;
        uint64_t now = now_usec(), left, bound;

        if (j->next_attempt_usec == 0) {
                run_next_now(r);
                return;
        }
        left = j->next_attempt_usec > now ? j->next_attempt_usec - now : 0;
        bound = j->next_delay_usec > 0 ? j->next_delay_usec : run_max_delay(r);
        if (left > bound) {
                run_log(r, LOG_NOTICE, NULL,
                        "Job %s: next attempt was set for %llu s from now, more than its delay (%llu s): the "
                        "clock went back; waiting %llu s.",
                        j->id, (unsigned long long) (left / USEC_PER_SEC),
                        (unsigned long long) (bound / USEC_PER_SEC), (unsigned long long) (bound / USEC_PER_SEC));
                left = bound;
        }
        run_next_in(r, left);
}

int jobrun_resume(JobHost *h, SpoolRecoveredJob *rec) {
        return jobrun_resume_full(h, rec, "resumed");
}

int jobrun_resume_moved_in(JobHost *h, const char *spool_name) {
        SpoolRecoveredJob rec = { .spool_name = spool_name, .location = SPOOL_PROCESSING };
        char id[JOB_ID_MAX];
        int k;

        if (!spool_name_job_id(spool_name, id) || jobrun_find(h, id))
                return 0; /* not a bilan, or one of ours on its way */
        rec.job_id = id;
        k = jobstore_load(h->jobs, id, &rec.job, &rec.source);
        if (k < 0 || job_state_is_terminal(rec.job->state)) {
                job_free(rec.job);
                return 0;
        }
        k = jobrun_resume_full(h, &rec,
                               rec.job->approved_usec > 0 && rec.job->state == JOB_STATE_VALIDATED ? "approved"
                               : job_is_credit_note(rec.job) && rec.job->state == JOB_STATE_RECEIVED
                                       ? "credit_started" /* chorusctl credit */
                                       : "requeued");
        job_free(rec.job);
        return k;
}

static int jobrun_resume_full(JobHost *h, SpoolRecoveredJob *rec, const char *why) {
        _cleanup_(job_freep) Job *job = NULL;
        JobRun *r;
        int k;

        if (jobrun_find(h, rec->job_id))
                return 0;
        if (rec->state_error == -EBADMSG)
                k = resume_damaged(h, rec, &job);
        else if (!rec->job) {
                /* Claimed, then a crash before its first state: start over. */
                const char *name = strstr(rec->spool_name, SPOOL_NAME_SEPARATOR);
                k = job_new(rec->job_id, name ? name + strlen(SPOOL_NAME_SEPARATOR) : rec->spool_name,
                            rec->spool_name, &job);
                if (k >= 0)
                        k = jobstore_create(h->jobs, job);
        } else {
                job = TAKE_PTR(rec->job);
                k = 0;
        }
        if (k < 0)
                return log_error_errno(k, "Failed to resume job %s: %m", rec->job_id);

        r = jobrun_new(h, TAKE_PTR(job));
        if (!r)
                return log_oom();
        if (rec->source == JOB_LOAD_PREVIOUS) {
                run_log(r, LOG_WARNING, NULL, "Job %s: current state file torn, resumed from the previous one.",
                        r->job->id);
                /* The torn copy may have said depositing, and the request may
                 * have left: look the number up rather than deposit blindly. */
                if (r->job->state == JOB_STATE_RENDERED)
                        r->job->state = JOB_STATE_DEPOSITING;
        }
        k = resume_reconcile(r, rec->location);
        if (fs_error_is_fatal(k)) {
                jobrun_free(r);
                return k;
        }
        if (job_state_is_terminal(r->job->state)) {
                jobrun_free(r);
                return 0;
        }
        if (job_state_waits_for_person(r->job->state)) {
                if (k < 0) {
                        /* Its bilan could not reach review/ (a full disk):
                         * the timer tries again. */
                        r->save_failed = true;
                        run_retry_step_later(r);
                        return 1;
                }
                /* Parked: no timer, no memory, until chorusctl acts. */
                run_log(r, LOG_INFO, NULL, "Job %s ('%s') awaits approval (review/).", r->job->id,
                        r->job->bilan_name);
                jobrun_free(r);
                return 0;
        }
        /* The retry deadline and the lookup window count elapsed time while
         * chorusd runs (a stop does not use them up). An expired deadline
         * starts again rather than fail the job on its first hiccup. */
        if (r->job->first_attempt_usec > 0 && r->job->outage_usec > retry_deadline(r))
                r->job->outage_usec = 0;
        run_resume_next_attempt(r);
        run_log(r, LOG_INFO, NULL, "Job %s ('%s') %s in state %s.", r->job->id, r->job->bilan_name, why,
                job_state_to_string(r->job->state));
        (void) run_audit(r, why, job_state_to_string(r->job->state));
        /* After READY=1: the first step runs from the loop. */
        (void) run_schedule(r, r->next_elapsed);
        /* Just read from disk: one waiting on Chorus Pro may sleep at once
         * (unless resuming it changed its state: a clock that went back). */
        run_sleep(r);
        return 1;
}

JobState job_requeue_state(const Job *j) {
        if (j->state == JOB_STATE_REJECTED)
                return JOB_STATE_RECEIVED;
        if (j->state != JOB_STATE_FAILED)
                return _JOB_STATE_INVALID;
        if (j->flux)
                return j->cpp_invoice_id ? JOB_STATE_INTEGRATED : JOB_STATE_DEPOSITED;
        if (j->payload_name && j->payload_sha256)
                /* A deposit once uncertain may be on Chorus Pro: look first. */
                return j->deposit_uncertain_usec > 0 || j->deposit_ever_uncertain ? JOB_STATE_DEPOSITING
                                                                                  : JOB_STATE_RENDERED;
        if (j->invoice_number)
                return JOB_STATE_NUMBERED;
        return JOB_STATE_RECEIVED;
}
