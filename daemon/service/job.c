/* job.c — the job pipeline (see job.h): one small function per step, each
 * persisting the state it announces before it acts.
 *
 * Owns each live JobRun: its persisted Job, its timer, its Chorus Pro call.
 * The Manager owns the list.
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
 * invoice it holds.
 *
 * Failures: temporary ones (network, 5xx, 429, token, and also the
 * operator's PISTE/TLS setup, which a reload can fix) are retried with
 * retry_next_delay() from the persisted attempt count until retry_deadline,
 * then failed/. The deadline counts a run of failures without any answer
 * from Chorus Pro (an outage): any answer, "not found" included, ends it.
 * Functional ones go to failed/ (or rejected/ for a bad bilan) at once,
 * with the reason. A failed fsync is fatal (manager_fatal).
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
#include "service/job.h"
#include "service/job_host.h"
#include "service/log-ids.h"
#include "base/log.h"
#include "base/money.h"
#include "service/numbering.h"
#include "writers/render.h"
#include "service/pdf_assets.h"
#include "chorus/retry.h"

#define RETRY_LATER_USEC (60 * USEC_PER_SEC)       /* a local step that could not write */
#define FLUX_POLL_CAP_USEC (3600 * USEC_PER_SEC)   /* consulterCRDetaille at least hourly */
#define TIMER_ACCURACY_USEC (10 * USEC_PER_MSEC)
#define FAILED_SUFFIX "error.txt"

typedef enum StepResult {
        STEP_WAIT, /* a timer or a call will continue the job */
        STEP_NEXT, /* the state moved on: run the next step now */
        STEP_OVER, /* terminal: the job leaves memory */
} StepResult;

struct JobRun {
        JobHost *host;
        Job *job;
        sd_event_source *timer;
        ChorusCall *call;
        ChorusClient *call_client;
        char *payload; /* the bytes being deposited, until the answer */
        /* What the call in flight fills on success. Not a union: a callback
         * may start the next call (flux report → invoice search) while it
         * still reads its own result. */
        struct {
                ChorusDepositResult deposit;
                ChorusFluxReport report;
                ChorusInvoiceList list;
                ChorusInvoiceHistory history;
        } result;
        bool warned_pending; /* "still pending after retry_deadline", once */
        uint64_t pending_since; /* CLOCK_BOOTTIME of the first pending flux report this run */
        uint64_t next_elapsed;  /* CLOCK_BOOTTIME of the next attempt; 0 = now */
        uint64_t clocks_since;  /* CLOCK_BOOTTIME up to which the job's elapsed clocks count */
        /* A state could not be saved, or the files could not follow it
         * (not fatal: a full disk): the timer first brings the files where
         * the state says (run_reconcile). */
        bool save_failed;
        /* Waiting for a Chorus Pro call slot (manager's call queue). */
        bool queued;
        JobRun *queue_next, *queue_prev;
        /* The timer could not be armed: manager_wake_later() wakes it. */
        bool wake_marked;
        JobRun *next, *prev;
};

static void run_continue(JobRun *r);
static void run_after(JobRun *r, StepResult s);

/* ---- Test hooks --------------------------------------------------------------- */

/* CHORUSD_TEST_CRASH_AFTER=<point> kills the daemon right after that durable
 * step (a state name: "received", "validated", …) or at a point between two
 * ("deposit-answered": the deposit request was sent and Chorus Pro answered,
 * nothing recorded yet; "moved-done": the files are in done/;
 * "failed-file": a failure's error file is written, nothing moved yet).
 * Only in builds made with TEST_HOOKS=1 (make check). */
static void crash_point(const char *point) {
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

static LogFields run_fields(const JobRun *r) {
        return (LogFields) {
                .job = r->job->id,
                .convention = r->job->convention,
                .invoice = r->job->invoice_number,
                .flux = r->job->flux,
                .cpp_id = r->job->cpp_invoice_id,
        };
}

#define run_log(r, level, id, ...)                               \
        do {                                                     \
                LogFields _f_ = run_fields(r);                   \
                log_job(level, &_f_, id, __VA_ARGS__);           \
        } while (0)

#define run_log_errno(r, level, error, id, ...)                            \
        __extension__({                                                    \
                LogFields _f_ = run_fields(r);                             \
                log_job_errno(level, error, &_f_, id, __VA_ARGS__);        \
        })

/* The wall clock: dates and display only. */
static uint64_t now_usec(void) {
        return now_realtime_usec();
}

/* Elapsed time, suspend included, immune to clock steps. */
static uint64_t now_elapsed(void) {
        return now_clock_usec(CLOCK_BOOTTIME);
}

static const Config *run_config(const JobRun *r) {
        return job_host_config(r->host);
}

static uint64_t config_seconds(const JobRun *r, unsigned seconds) {
        return job_host_delay(r->host, (uint64_t) seconds * USEC_PER_SEC);
}

static uint64_t retry_deadline(const JobRun *r) {
        return config_seconds(r, run_config(r)->chorus.retry_deadline);
}

/* How long "not found" is looked up after an uncertain deposit, or after a
 * refusal of a number whose deposit was once uncertain. */
static uint64_t lookup_window(const JobRun *r) {
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
static uint64_t run_outage_elapsed(JobRun *r) {
        run_clocks_update(r);
        return r->job->first_attempt_usec > 0 ? r->job->outage_usec : 0;
}

static void run_outage_start(JobRun *r) {
        run_clocks_update(r);
        r->job->first_attempt_usec = now_usec();
        r->job->outage_usec = 0;
}

/* Chorus Pro answered (whatever it said): not an outage. */
static void run_answered(JobRun *r) {
        r->job->first_attempt_usec = 0;
        r->job->outage_usec = 0;
}

/* A look-up window starts (an uncertain deposit, a suspicious refusal). */
static void run_lookup_start(JobRun *r) {
        run_clocks_update(r);
        r->job->lookup_started_usec = now_usec();
        r->job->lookup_usec = 0;
}

static void run_lookup_stop(JobRun *r) {
        r->job->lookup_started_usec = 0;
        r->job->lookup_usec = 0;
}

static uint64_t run_lookup_elapsed(JobRun *r) {
        run_clocks_update(r);
        return r->job->lookup_usec;
}

/* The next attempt, in `delay` of elapsed time. The wall-clock time is
 * kept for display, and with the delay as its bound for a resume. */
static void run_next_in(JobRun *r, uint64_t delay) {
        r->next_elapsed = now_elapsed() + delay;
        r->job->next_attempt_usec = now_usec() + delay;
        r->job->next_delay_usec = delay;
}

static void run_next_now(JobRun *r) {
        r->next_elapsed = 0;
        r->job->next_attempt_usec = 0;
        r->job->next_delay_usec = 0;
}

/* poll × 2^attempts, capped. */
static uint64_t growing_delay(uint64_t first, unsigned attempts, uint64_t cap) {
        uint64_t d = first;
        for (unsigned i = 0; i < attempts && d < cap; i++)
                d *= 2;
        return d < cap ? d : cap;
}

/* The name Chorus Pro sees: the payload's name without our "JOBID." prefix. */
static const char *payload_public_name(const Job *j) {
        const char *n = j->payload_name;
        return n && strlen(n) > JOB_ID_LEN + 1 ? n + JOB_ID_LEN + 1 : n;
}

/* The message of a call that could not even be started (-ENOMEM). */
static char not_started[] = "could not start the request";

/* ---- Persisting ---------------------------------------------------------------- */

static int run_schedule(JobRun *r, uint64_t when);

/* A local step that could not read or write: try again in a minute. */
static void run_retry_step_later(JobRun *r) {
        run_next_in(r, job_host_delay(r->host, RETRY_LATER_USEC));
        (void) run_schedule(r, r->next_elapsed);
}

/* The one way a job changes state: durably first (jobstore_save fsyncs),
 * then the counters. On a failed fsync the daemon stops. Another write
 * failure (a full disk) leaves the old state on disk and in memory, and
 * the step is tried again later from it: every step can be redone (see
 * jobstate.h), and the retry first finishes a move to rejected/ or failed/
 * that went ahead of its state (run_reconcile). */
static int run_save(JobRun *r, JobState state) {
        JobState old = r->job->state;
        int k;

        r->job->state = state;
        run_clocks_update(r);
        k = jobstore_save(r->host->jobs, r->job);
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
static int run_audit(JobRun *r, const char *event, const char *detail) {
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

static int run_reconcile(JobRun *r);

/* What the job's timer does. */
static void run_wake(JobRun *r) {
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

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) s;
        (void) usec;
        run_wake(userdata);
        return 0;
}

/* Arms the job's timer for `when` (CLOCK_BOOTTIME µs, r->next_elapsed). */
static int run_schedule(JobRun *r, uint64_t when) {
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
static bool run_wait_next_attempt(JobRun *r) {
        if (r->next_elapsed <= now_elapsed())
                return false;
        (void) run_schedule(r, r->next_elapsed);
        return true;
}

/* Chorus Pro answered and the job moved on: counts start again, the next
 * step in `delay`. */
static void run_reset_attempts(JobRun *r, uint64_t delay) {
        r->job->attempts = 0;
        run_answered(r);
        if (delay > 0)
                run_next_in(r, delay);
        else
                run_next_now(r);
}

/* ---- Live jobs list ---------------------------------------------------------- */

static JobRun *jobrun_find(JobHost *h, const char *id) {
        for (JobRun *r = h->runs; r; r = r->next)
                if (streq(r->job->id, id))
                        return r;
        return NULL;
}

static JobRun *jobrun_new(JobHost *h, Job *job) {
        JobRun *r = calloc(1, sizeof *r);

        if (!r)
                return NULL;
        r->host = h;
        r->job = job;
        r->clocks_since = now_elapsed();
        r->next = h->runs;
        if (h->runs)
                h->runs->prev = r;
        h->runs = r;
        job_host_state_changed(h, _JOB_STATE_INVALID, job->state);
        return r;
}

static void run_cancel_call(JobRun *r) {
        if (!r->call)
                return;
        chorus_call_cancel(r->call);
        r->call = NULL;
        r->call_client = NULL;
        r->host->n_calls--;
        job_host_call_finished(r->host);
}

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
static bool run_wait_call_slot(JobRun *r) {
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

static bool run_has_wakeup(JobRun *r) {
        int enabled = SD_EVENT_OFF;

        if (r->call || r->queued || r->wake_marked)
                return true;
        return r->timer && sd_event_source_get_enabled(r->timer, &enabled) >= 0 && enabled != SD_EVENT_OFF;
}

unsigned jobrun_count_without_wakeup(JobHost *h) {
        unsigned n = 0;

        for (JobRun *r = h->runs; r; r = r->next)
                if (!run_has_wakeup(r)) {
                        log_full(LOG_CRIT, "Job %s (state %s) has nothing to wake it up.", r->job->id,
                                 job_state_to_string(r->job->state));
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
        job_host_state_changed(h, r->job->state, _JOB_STATE_INVALID);
        job_free(r->job);
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

/* Bookkeeping common to every Chorus Pro callback. */
static void run_call_done(JobRun *r) {
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

/* A result is filled only on success: start from zero, so that the
 * callback's _done() never frees what an earlier call left. */
#define run_prepare_result(p) memset((p), 0, sizeof *(p))

static StepResult run_retry_later(JobRun *r, JobState state, const char *what, const ChorusError *e);

/* After starting a call that returned `k`: wait for its callback, or, when
 * it could not even start, try again later from `state`. */
static StepResult run_call_begun(JobRun *r, int k, JobState state, const char *what) {
        if (k < 0) {
                ChorusError e = { .temporary = true, .message = not_started };
                return run_retry_later(r, state, what, &e);
        }
        r->call_client = job_host_chorus(r->host);
        r->host->n_calls++;
        return STEP_WAIT;
}

/* ---- Files in the spool -------------------------------------------------------- */

/* Moves one of the job's files to `to` from wherever it is (idempotent:
 * a file already there, or gone, is left alone). */
static int run_move_file(JobRun *r, const char *name, SpoolDir to) {
        SpoolDir where;
        int k;

        if (!name)
                return 0;
        k = spool_locate(r->host->spool, name, &where);
        if (k == -ENOENT || (k >= 0 && where == to))
                return 0;
        if (k < 0)
                return k;
        k = spool_move(r->host->spool, where, to, name);
        if (k < 0 && fs_error_is_fatal(k))
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

/* Moves the job's files to `to`: the artifacts first, the bilan last, so
 * that a bilan still in processing/ means "not finished" after a crash. */
static int run_move_all(JobRun *r, SpoolDir to, const char *extra) {
        char receipt[SPOOL_NAME_MAX];
        int k;

        if (job_receipt_name(r->job, receipt) < 0)
                receipt[0] = 0;
        k = run_move_file(r, extra, to);
        if (k >= 0)
                k = run_move_file(r, receipt[0] ? receipt : NULL, to);
        if (k >= 0)
                k = run_move_file(r, r->job->payload_name, to);
        if (k >= 0)
                k = run_move_file(r, r->job->spool_name, to);
        if (k < 0 && !fs_error_is_fatal(k))
                run_log_errno(r, LOG_ERR, k, NULL, "Failed to move the files of job %s to %s/: %m",
                              r->job->id, spool_dir_to_string(to));
        return k;
}

/* ---- Rejecting a bilan (rejected/) ------------------------------------------- */

static const char *diags_first_error(const Diagnostics *d) {
        for (size_t i = 0; i < d->n_items; i++)
                if (d->items[i].severity == DIAG_ERROR)
                        return d->items[i].message;
        return "invalid bilan";
}

/* rejected/ with the French error file, then the state: the bilan in
 * rejected/ is the durable fact (a crash in between is completed at
 * recovery from where the bilan is). */
static StepResult run_reject(JobRun *r, const Diagnostics *d) {
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
        return STEP_OVER;
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
static int run_fail_files(JobRun *r) {
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
static StepResult run_fail(JobRun *r, JobState state, const char *message_id, const char *reasons) {
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
        k = run_fail_files(r);
        if (k < 0) {
                /* Not fatal (a full disk): moved at the next wake-up (on_timer). */
                r->save_failed = !fs_error_is_fatal(k);
                return STEP_WAIT;
        }
        return STEP_OVER;
}

static StepResult run_fail_retries(JobRun *r, const char *what, const char *last_error) {
        char reasons[JOB_LAST_ERROR_MAX];

        snprintf(reasons, sizeof reasons, "%s: retries ran out after %u attempt(s); last error: %s",
                 what, r->job->attempts, strempty(last_error));
        return run_fail(r, JOB_STATE_FAILED, MESSAGE_ID_RETRIES_EXHAUSTED, reasons);
}

/* ---- Local steps: validate, number, render ----------------------------------- */

typedef struct BilanContext {
        Bilan *bilan;
        const Convention *convention; /* in the host's conventions */
} BilanContext;

static void bilan_context_done(BilanContext *c) {
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
static int run_load_bilan(JobRun *r, BilanContext *ret, Diagnostics *d) {
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
        return bilan_parse(r->job->bilan_name, data, size, job_host_conventions(r->host), &ret->bilan,
                           &ret->convention, d);
}

/* A second bilan for a convention that already has a live invoice. */
static bool convention_already_invoiced(JobRun *r, const char *convention_id, Diagnostics *d) {
        NumberingEntry e;
        int k = numbering_lookup_convention(r->host->numbering, convention_id, &e);

        if (k < 0 || e.voided || streq(e.job_id, r->job->id))
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
        for (size_t i = 0; i < d->n_items; i++)
                if (d->items[i].severity == DIAG_WARNING)
                        run_log(r, LOG_NOTICE, NULL, "Bilan '%s': %s%s%s.", r->job->bilan_name,
                                strempty(d->items[i].path), d->items[i].path ? ": " : "",
                                d->items[i].message);
}

static StepResult step_validate(JobRun *r) {
        _cleanup_(bilan_context_done) BilanContext c = {};
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

/* Said once (at CRIT) until a number is allocated again, not at every
 * retry of every waiting job. */
static bool clock_behind_said;

/* Today is earlier than the last invoice's issue date: the clock is behind
 * (not synchronised, or stepped back). Numbering now would issue invoices
 * dated before, or in a year before, invoices already issued: wait. */
static StepResult number_wait_for_clock(JobRun *r, Date today, const NumberingEntry *last) {
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
        run_log(r, LOG_DEBUG, NULL, "Bilan '%s' waits for the clock before it is numbered.", r->job->bilan_name);
        run_retry_step_later(r);
        return STEP_WAIT;
}

static StepResult step_number(JobRun *r) {
        Job *j = r->job;
        NumberingEntry e, conflict;
        Diagnostics d = DIAGNOSTICS_INIT;
        char date[DATE_STRING_MAX];
        Date today = date_from_time((time_t) (now_usec() / USEC_PER_SEC));
        StepResult s;
        int k;

        k = numbering_allocate(r->host->numbering, run_config(r), j->id, j->convention, today, &e, &conflict);
        if (k == -ETIME)
                return number_wait_for_clock(r, today, &conflict);
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
                "Invoice number %s (issued %s) allocated to bilan '%s' (convention %s).", e.number,
                date_format(e.issue_date, date), j->bilan_name, j->convention);
        (void) run_audit(r, "numbered", NULL);
        return STEP_NEXT;
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
        k = spool_write(r->host->spool, SPOOL_PROCESSING, name, inv->data, inv->size);
        if (k == -EEXIST)
                return sha256_file_at(dirfd, name, sha);
        if (k < 0)
                return k;
        return sha256_hex(inv->data, inv->size, sha);
}

static StepResult step_render(JobRun *r) {
        _cleanup_(bilan_context_done) BilanContext c = {};
        _cleanup_(rendered_invoice_freep) RenderedInvoice *inv = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        const PdfAssets *assets = NULL;
        char name[SPOOL_NAME_MAX], sha[SHA256_HEX_SIZE], reasons[JOB_LAST_ERROR_MAX];
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
        if (k >= 0) {
                RenderRequest req = {
                        .config = run_config(r),
                        .convention = c.convention,
                        .bilan = c.bilan,
                        .number = j->invoice_number,
                        .issue_date = j->issue_date,
                        .format = j->format,
                        .pdf_assets = assets,
                };
                k = render_invoice(&req, &inv, &d);
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
        if (k < 0) {
                if (fs_error_is_fatal(k))
                        job_host_fatal(r->host, k, "writing an invoice");
                else
                        run_log_errno(r, LOG_ERR, k, NULL, "Failed to write invoice %s: %m",
                                      j->invoice_number);
                return STEP_WAIT;
        }
        if (job_set(&j->payload_name, name) < 0 || job_set(&j->payload_sha256, sha) < 0)
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
static StepResult run_retry_later(JobRun *r, JobState state, const char *what, const ChorusError *e) {
        Job *j = r->job;
        uint64_t delay;

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
        if (!retry_within_deadline(run_outage_elapsed(r), delay, retry_deadline(r)))
                return run_fail_retries(r, what, e->message);
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
static StepResult run_call_failed(JobRun *r, JobState state, const char *what, const ChorusError *e) {
        (void) job_set_last_error(r->job, e->message);
        r->job->attempts++;
        return run_retry_later(r, state, what, e);
}

static void on_deposit_done(ChorusCall *call, int k, ChorusError *error, void *userdata);

static StepResult step_deposit(JobRun *r) {
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
        if (run_save(r, JOB_STATE_DEPOSITING) < 0)
                return STEP_WAIT;
        (void) run_audit(r, "depositing", payload_public_name(j));

        ChorusDepositRequest req = {
                .data = data,
                .size = size,
                .file_name = payload_public_name(j),
                .format = j->format,
        };
        run_prepare_result(&r->result.deposit);
        k = chorus_deposit(job_host_chorus(r->host), &req, &r->result.deposit, on_deposit_done, r, &r->call);
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

        k = numbering_record_flux(r->host->numbering, j->id, r->result.deposit.numero_flux_depot);
        if (fs_error_is_fatal(k)) {
                job_host_fatal(r->host, k, "recording a flux number");
                return STEP_WAIT;
        }
        if (k < 0)
                run_log_errno(r, LOG_WARNING, k, NULL, "Failed to record flux %s in the numbering register, ignoring: %m",
                              r->result.deposit.numero_flux_depot);
        if (job_set(&j->flux, r->result.deposit.numero_flux_depot) < 0)
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
                chorus_deposit_result_done(&r->result.deposit);
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

/* Starts rechercher/fournisseur into r->result.list; `cb` gets the answer. */
static StepResult run_search(JobRun *r, const ChorusInvoiceSearch *search, ChorusCallback cb, const char *what) {
        int k;

        if (run_wait_call_slot(r))
                return STEP_WAIT;
        run_prepare_result(&r->result.list);
        k = chorus_invoice_search(job_host_chorus(r->host), search, &r->result.list, cb, r, &r->call);
        return run_call_begun(r, k, r->job->state, what);
}

/* Looks the job's invoice number up on Chorus Pro among the invoices
 * deposited since `since_usec` (CLOCK_REALTIME), or since now if the wall
 * clock has gone back since. */
static StepResult run_search_number(JobRun *r, uint64_t since_usec, ChorusCallback cb, const char *what) {
        uint64_t now = now_usec();
        /* Chorus Pro dates deposits in Paris time: a day of margin. */
        Date from = date_add_days(date_from_time((time_t) ((since_usec < now ? since_usec : now) / USEC_PER_SEC)), -1);
        ChorusInvoiceSearch search = {
                .numero_facture = r->job->invoice_number,
                .deposited_from = &from,
        };

        return run_search(r, &search, cb, what);
}

static StepResult step_lookup(JobRun *r) {
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

static const ChorusInvoiceSummary *list_find(const ChorusInvoiceList *l, const char *number,
                                             const char *flux) {
        for (size_t i = 0; i < l->n_items; i++)
                if (streq_ptr(l->items[i].numero_facture, number) &&
                    (!flux || streq_ptr(l->items[i].numero_flux_depot, flux)))
                        return &l->items[i];
        return NULL;
}

static int set_cpp_invoice(Job *j, const ChorusInvoiceSummary *s) {
        char id[32];

        snprintf(id, sizeof id, "%lld", (long long) s->identifiant_facture_cpp);
        if (job_set(&j->cpp_invoice_id, id) < 0 || job_set(&j->cpp_invoice_status, s->statut) < 0)
                return -ENOMEM;
        return 0;
}

static StepResult run_integrated(JobRun *r, const ChorusInvoiceSummary *s);

/* Chorus Pro has the invoice: take its flux, never deposit again. */
static StepResult lookup_adopt(JobRun *r, const ChorusInvoiceSummary *s) {
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
                const ChorusInvoiceSummary *found = list_find(&r->result.list, j->invoice_number, NULL);
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
        chorus_invoice_list_done(&r->result.list);
        run_after(r, s);
}

/* ---- Following the flux: consulterCRDetaille --------------------------------- */

static void on_report_done(ChorusCall *call, int k, ChorusError *error, void *userdata);
static void on_find_id_done(ChorusCall *call, int k, ChorusError *error, void *userdata);

static StepResult step_poll_flux(JobRun *r) {
        int k;

        if (run_wait_next_attempt(r) || run_wait_call_slot(r))
                return STEP_WAIT;
        run_prepare_result(&r->result.report);
        k = chorus_flux_report(job_host_chorus(r->host), r->job->flux, &r->result.report, on_report_done, r, &r->call);
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
                const ChorusInvoiceSummary *found = list_find(&r->result.list, j->invoice_number, NULL);
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
        chorus_invoice_list_done(&r->result.list);
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
                s = chorus_flux_state_is_final(r->result.report.state) ? report_final(r, &r->result.report)
                                                                       : report_pending(r, &r->result.report);
                chorus_flux_report_done(&r->result.report);
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
                const ChorusInvoiceSummary *found = list_find(&r->result.list, j->invoice_number, j->flux);
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
        chorus_invoice_list_done(&r->result.list);
        run_after(r, s);
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

/* The receipt (written once, at integration: later statuses are in the job
 * state and the audit log, see `chorusctl status JOB`), then the files to
 * done/. Idempotent: also what a resumed job in state integrated does if its
 * bilan is still in processing/. */
static int run_finish_integration(JobRun *r) {
        char name[SPOOL_NAME_MAX];
        SpoolDir where;
        int k;

        k = job_receipt_name(r->job, name);
        if (k < 0)
                return k;
        if (spool_locate(r->host->spool, name, &where) == -ENOENT) {
                _cleanup_(freep) char *text = NULL;
                k = receipt_json(r->job, &text);
                if (k >= 0)
                        k = spool_write(r->host->spool, SPOOL_PROCESSING, name, text, strlen(text));
                if (k < 0 && k != -EEXIST) {
                        if (fs_error_is_fatal(k))
                                job_host_fatal(r->host, k, "writing a receipt");
                        return k;
                }
        }
        return run_move_all(r, SPOOL_DONE, NULL);
}

static StepResult run_integrated(JobRun *r, const ChorusInvoiceSummary *s) {
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

static StepResult step_lifecycle(JobRun *r) {
        int64_t id;
        char *end;
        int k;

        if (run_wait_next_attempt(r))
                return STEP_WAIT;
        if (!r->job->cpp_invoice_id)
                return run_find_invoice_id(r);
        errno = 0;
        id = strtoll(r->job->cpp_invoice_id, &end, 10);
        if (errno != 0 || *end != 0 || id <= 0)
                return run_find_invoice_id(r);
        if (run_wait_call_slot(r))
                return STEP_WAIT;
        run_prepare_result(&r->result.history);
        k = chorus_invoice_history(job_host_chorus(r->host), id, &r->result.history, on_history_done, r, &r->call);
        return run_call_begun(r, k, JOB_STATE_INTEGRATED, "Following the invoice");
}

static const char *status_advice(ChorusInvoiceStatusClass c, const char *statut) {
        if (c != CHORUS_INVOICE_ACTION_REQUIRED)
                return "";
        if (streq_ptr(statut, "A_RECYCLER"))
                return " The buyer's routing data (SIRET, service code or engagement number) is wrong: "
                       "correct it on the Chorus Pro portal (the invoice keeps its number) and fix the "
                       "convention for next time.";
        return " The buyer asks for supporting documents or information: complete the invoice on the "
               "Chorus Pro portal.";
}

static StepResult history_status(JobRun *r, const ChorusInvoiceHistory *h) {
        Job *j = r->job;
        const char *statut = h->statut_courant;
        ChorusInvoiceStatusClass c = chorus_invoice_status_classify(statut);
        const char *comment = h->n_entries > 0 ? h->entries[h->n_entries - 1].commentaire : NULL;

        if (isempty(comment))
                comment = NULL;

        if (!streq_ptr(statut, j->cpp_invoice_status)) {
                run_log(r, c == CHORUS_INVOICE_ACTION_REQUIRED ? LOG_WARNING : LOG_INFO, MESSAGE_ID_INVOICE_STATUS,
                        "Invoice %s on Chorus Pro: %s → %s%s%s%s.%s", j->invoice_number,
                        strempty(j->cpp_invoice_status), strempty(statut), comment ? " (" : "",
                        strempty(comment), comment ? ")" : "", status_advice(c, statut));
                (void) job_set(&j->cpp_invoice_status, statut);
                (void) run_audit(r, "status", statut);
        }
        if (c == CHORUS_INVOICE_PAID) {
                run_next_now(r);
                if (run_save(r, JOB_STATE_DONE) < 0)
                        return STEP_WAIT;
                run_log(r, LOG_NOTICE, MESSAGE_ID_INVOICE_PAID, "Invoice %s is being paid (%s): job done.",
                        j->invoice_number, statut);
                (void) run_audit(r, "paid", statut);
                return STEP_OVER;
        }
        if (c == CHORUS_INVOICE_REJECTED) {
                char reasons[JOB_LAST_ERROR_MAX];
                snprintf(reasons, sizeof reasons, "the buyer rejected the invoice on Chorus Pro (%s%s%s)",
                         strempty(statut), comment ? ": " : "", strempty(comment));
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
                s = history_status(r, &r->result.history);
                chorus_invoice_history_done(&r->result.history);
        }
        run_after(r, s);
}

/* ---- Driving a job --------------------------------------------------------------- */

static StepResult run_step(JobRun *r) {
        switch (r->job->state) {
        case JOB_STATE_RECEIVED:
                return step_validate(r);
        case JOB_STATE_VALIDATED:
                return step_number(r);
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
        if (job_host_stopping(r->host) || run_has_wakeup(r))
                return;
        run_retry_step_later(r);
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
static void run_continue(JobRun *r) {
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
static void run_after(JobRun *r, StepResult s) {
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
        k = jobstore_create(h->jobs, job);
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

        if (location == SPOOL_REJECTED && !job_state_is_terminal(s))
                /* The move to rejected/ happened, its state did not. */
                return run_save(r, JOB_STATE_INVALID);
        if (location == SPOOL_FAILED && !job_state_is_terminal(s)) {
                (void) job_set_last_error(j, "found in failed/ at start-up");
                return run_save(r, JOB_STATE_FAILED);
        }
        if (location != SPOOL_PROCESSING)
                return 0;
        switch (s) {
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
        k = jobrun_resume_full(h, &rec, "requeued");
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
