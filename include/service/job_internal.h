/* job_internal.h — private to the job pipeline's files (job.c, job_calls.c,
 * job_files.c, job_intake.c, job_approval.c, job_render.c, job_deposit.c,
 * job_follow.c):
 * the live JobRun, what a step returns, and the functions they call across
 * files. No other module includes it; they use job.h. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <systemd/sd-event.h>

#include "base/diag.h"
#include "base/log.h"
#include "chorus/chorus_client.h"
#include "core/bilan.h"
#include "core/convention.h"
#include "service/job.h"
#include "service/job_host.h"
#include "service/jobstate.h"
#include "service/numbering.h"
#include "service/spool.h"

#define RETRY_LATER_USEC (60 * USEC_PER_SEC)       /* a local step that could not write */
#define FLUX_POLL_CAP_USEC (3600 * USEC_PER_SEC)   /* consulterCRDetaille at least hourly */
#define TIMER_ACCURACY_USEC (10 * USEC_PER_MSEC)
#define FAILED_SUFFIX "error.txt"
/* No answer from Chorus Pro for this long: a notice to the admins. */
#define UNREACHABLE_NOTICE_USEC (UINT64_C(3600) * USEC_PER_SEC)
#define TEXT_RECEIPT_SUFFIX "recu.txt"

typedef enum StepResult {
        STEP_WAIT, /* a timer or a call will continue the job */
        STEP_NEXT, /* the state moved on: run the next step now */
        STEP_OVER, /* terminal: the job leaves memory */
} StepResult;

/* What a job's calls fill on success. Not a union: a callback may start
 * the next call (flux report → invoice search) while it still reads its
 * own result. */
typedef struct RunResults {
        ChorusDepositResult deposit;
        ChorusFluxReport report;
        ChorusInvoiceList list;
        ChorusInvoiceHistory history;
        ChorusCorrectionResult correction;
} RunResults;

struct JobRun {
        JobHost *host;
        /* NULL while the job sleeps (run_sleep): waiting on Chorus Pro, its
         * state on disk is all there is to it until its timer fires. */
        Job *job;
        char id[JOB_ID_MAX];
        JobState asleep_state; /* the state of a sleeping job, for the counters */
        sd_event_source *timer;
        ChorusCall *call;
        ChorusClient *call_client;
        char *payload; /* the bytes being deposited, until the answer */
        /* What the call in flight fills on success (RunResults): allocated
         * by the first call, freed when the job sleeps or leaves memory. */
        RunResults *result;
        int correction_kind; /* CorrectionKind of the completer/recycler call in flight */
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

typedef struct BilanContext {
        Bilan *bilan;
        const Convention *convention; /* in the host's conventions */
} BilanContext;

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

/* A result is filled only on success: start from zero, so that the
 * callback's _done() never frees what an earlier call left. */
int run_results(JobRun *r);
#define run_prepare_result(r, member) \
        (run_results(r) < 0 ? -ENOMEM : (memset(&(r)->result->member, 0, sizeof (r)->result->member), 0))

/* ---- job.c: clocks, timer, persisting, driving */
LogFields run_fields(const JobRun *r);
uint64_t now_usec(void);
uint64_t now_elapsed(void);
const Config *run_config(const JobRun *r);
uint64_t config_seconds(const JobRun *r, unsigned seconds);
uint64_t retry_deadline(const JobRun *r);
uint64_t lookup_window(const JobRun *r);
uint64_t run_outage_elapsed(JobRun *r);
void run_outage_start(JobRun *r);
void run_answered(JobRun *r);
void run_lookup_start(JobRun *r);
void run_lookup_stop(JobRun *r);
uint64_t run_lookup_elapsed(JobRun *r);
void run_next_in(JobRun *r, uint64_t delay);
void run_next_now(JobRun *r);
uint64_t growing_delay(uint64_t first, unsigned attempts, uint64_t cap);
const char *payload_public_name(const Job *j);
void run_retry_step_later(JobRun *r);
int run_save(JobRun *r, JobState state);
int run_audit(JobRun *r, const char *event, const char *detail);
/* An e-mail notice of `kind` about this job (job_host.h), its facts filled
 * from the job; `reason` as the notice says it. */
void run_notice(JobRun *r, NoticeKind kind, const char *reason, const NoticeAttachment *attachment);
/* NOTICE_BILAN_REFUSED with the bilan's error file from rejected/. */
void run_notice_refused(JobRun *r, const char *reason);
void run_wake(JobRun *r);
/* The live job of that id, or NULL. */
JobRun *jobrun_find(JobHost *h, const char *id);
/* ---- job_sleep.c: a job waiting on Chorus Pro leaves memory */
/* Frees r->job when it waits on Chorus Pro and its state file holds exactly
 * what memory does; r stays, with its timer. */
void run_sleep(JobRun *r);
/* Reads a sleeping job's state again (its timer fired). < 0: it could not
 * be (tried again later, or r freed when the state is gone). */
int run_awake(JobRun *r);
int on_timer(sd_event_source *s, uint64_t usec, void *userdata);
int run_schedule(JobRun *r, uint64_t when);
bool run_wait_next_attempt(JobRun *r);
void run_reset_attempts(JobRun *r, uint64_t delay);
void run_cancel_call(JobRun *r);
void run_continue(JobRun *r);
void run_after(JobRun *r, StepResult s);

/* ---- job_calls.c */
bool run_wait_call_slot(JobRun *r);
bool run_has_wakeup(JobRun *r);
void run_call_done(JobRun *r);
StepResult run_call_begun(JobRun *r, int k, JobState state, const char *what);

/* ---- job_files.c */
int run_fail_files(JobRun *r);
StepResult run_fail(JobRun *r, JobState state, const char *message_id, const char *reasons);
StepResult run_fail_retries(JobRun *r, const char *what, const char *last_error);
int run_finish_integration(JobRun *r);
int run_write_text_receipt(JobRun *r);

/* ---- job_intake.c */
const char *diags_first_error(const Diagnostics *d);
StepResult run_reject(JobRun *r, const Diagnostics *d);
void bilan_context_done(BilanContext *c);
int run_load_bilan(JobRun *r, BilanContext *ret, Diagnostics *d);
StepResult step_validate(JobRun *r);

/* ---- job_approval.c */
bool run_needs_approval(const JobRun *r);
int run_park_for_approval(JobRun *r);
StepResult step_validated(JobRun *r);

/* ---- job_render.c */
/* The clock is behind `last`'s issue date: said once at CRIT, the job
 * tries again later. */
StepResult run_wait_for_clock(JobRun *r, Date today, const NumberingEntry *last);
StepResult step_number(JobRun *r);
StepResult step_render(JobRun *r);

/* ---- job_deposit.c */
StepResult run_retry_later(JobRun *r, JobState state, const char *what, const ChorusError *e);
StepResult run_call_failed(JobRun *r, JobState state, const char *what, const ChorusError *e);
StepResult step_deposit(JobRun *r);
StepResult run_search(JobRun *r, const ChorusInvoiceSearch *search, ChorusCallback cb, const char *what);
StepResult run_search_number(JobRun *r, uint64_t since_usec, ChorusCallback cb, const char *what);
StepResult step_lookup(JobRun *r);
const ChorusInvoiceSummary *list_find(const ChorusInvoiceList *l, const char *number, const char *flux);
int set_cpp_invoice(Job *j, const ChorusInvoiceSummary *s);
StepResult lookup_adopt(JobRun *r, const ChorusInvoiceSummary *s);

/* ---- job_follow.c */
StepResult step_poll_flux(JobRun *r);
StepResult run_integrated(JobRun *r, const ChorusInvoiceSummary *s);
StepResult step_lifecycle(JobRun *r);
/* job_correct.c: a pending `chorusctl complete`/`recycle` request for a
 * job whose invoice Chorus Pro lists in `statut`. true: a call started,
 * its callback goes on with the job. */
bool run_correction(JobRun *r, const char *statut);
