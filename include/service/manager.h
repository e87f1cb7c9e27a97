/* manager.h — the one object that owns chorusd's runtime state, and the
 * event loop around it.
 *
 * One thread, one sd-event loop: signals (SIGTERM, SIGINT, SIGHUP, blocked
 * and taken as events), inotify on incoming/ as a wake-up, a defer source
 * that claims one bilan per loop iteration, one timer per job waiting for
 * Chorus Pro, the libcurl multi sockets of the Chorus Pro client, and the
 * watchdog. Nothing runs while nothing happens (the watchdog ping aside).
 *
 * main() loads the configuration, the conventions and the secrets, hands
 * them to manager_new(), calls manager_start() (recovery, then READY=1) and
 * manager_run(). Every sd-event callback receives the Manager as userdata;
 * there is no other mutable global. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "base/config.h"
#include "core/convention.h"
#include "chorus/chorus_api.h"
#include "chorus/credentials.h"
#include "service/job_host.h"
#include "service/jobstate.h"

typedef struct AuditLog AuditLog;
typedef struct AuditRecord AuditRecord;
typedef struct ChorusCall ChorusCall;
typedef struct ChorusClient ChorusClient;
typedef struct JobRun JobRun;
typedef struct JobStore JobStore;
typedef struct Metrics Metrics;
typedef struct Numbering Numbering;
typedef struct Outbox Outbox;
typedef struct PdfAssets PdfAssets;
typedef struct Spool Spool;

/* Where a live job is, for STATUS= and `chorusctl status`. */
typedef enum JobPhase {
        JOB_PHASE_LOCAL,     /* received … rendered: ours to finish */
        JOB_PHASE_CHORUS,    /* depositing, deposited: awaiting Chorus Pro */
        JOB_PHASE_LIFECYCLE, /* integrated: followed until paid */
        JOB_PHASE_OVER,      /* terminal */
        _JOB_PHASE_MAX,
} JobPhase;

JobPhase job_state_phase(JobState s);

typedef struct Manager {
        sd_event *event;

        /* What main() loaded; replaced as a whole by a successful reload. */
        Config *config;
        ConventionSet *conventions;
        ChorusSecrets secrets;

        int spool_lock_fd, state_lock_fd; /* flock()ed: one chorusd per spool and state */
        Spool *spool;
        JobStore *jobs;
        Numbering *numbering;
        AuditLog *audit;
        ChorusClient *chorus;
        /* Clients replaced by a reload, freed once their calls are over,
         * with the configurations they point into. */
        ChorusClient **old_chorus;
        Config **old_configs;
        size_t n_old;
        sd_event_source *drain_source;

        sd_event_source *sigterm_source, *sigint_source, *sighup_source;
        sd_event_source *inotify_source;    /* incoming/: new bilans */
        sd_event_source *processing_source; /* processing/: requeued jobs */
        sd_event_source *corrections_source; /* STATE_DIR/corrections: complete/recycle requests */
        sd_event_source *claim_source; /* defer: one bilan per iteration */
        sd_event_source *room_source;  /* timer while the disk is full */
        sd_event_source *orphan_source; /* timer: a claim left a bilan in processing/ */
        sd_event_source *settle_source; /* timer: a file in incoming/ has settled */
        bool claim_rewind;             /* incoming/ changed: rescan from the top */

        /* What the jobs see of us (job_host.h): the live jobs and the call
         * queue are kept there. */
        JobHost host;
        sd_event_source *call_queue_source; /* defer: the call queue may move */
        /* Jobs whose timer could not be armed (out of memory): woken by
         * this timer, created at start so that arming it needs nothing. */
        sd_event_source *wake_source;
        sd_event_source *clock_source; /* keeps sd-event's CLOCK_REALTIME timerfd open */

        /* The state directory is full (ENOSPC, EDQUOT on the audit log or
         * a job state): no claim, no step; audit records that could not
         * be written wait here, in order, and a timer tries again. */
        bool disk_full;
        AuditRecord *audit_pending;
        size_t n_audit_pending;
        sd_event_source *disk_source;
        /* defer: reads the rest of conventions.d/ (manager_conventions.c) */
        sd_event_source *conventions_source;
        size_t conventions_logged; /* problems logged so far */
        /* After every loop iteration: the audit records of that iteration
         * made durable at once (group commit, manager_audit_flush). */
        sd_event_source *audit_flush_source;
        unsigned n_phase[_JOB_PHASE_MAX];
        unsigned n_done, n_rejected, n_failed; /* since start */
        char *status;                           /* last STATUS= sent */
        Metrics *metrics; /* [state] metrics_file and STATE_DIR/health (metrics.h) */
        PdfAssets *pdf_assets; /* fonts and ICC profile, read at the first render */
        /* E-mail notices (manager_notify.c): the outbox, one notice per
         * Chorus Pro outage, the password check and its calls. */
        Outbox *outbox;
        bool unreachable_noticed;
        sd_event_source *password_source;
        ChorusCall *password_call;
        ChorusStructureList password_list;
        ChorusStructure password_structure;

        bool stopping;
        uint64_t time_scale; /* tests only (CHORUSD_TEST_TIME_SCALE): delays / this */
} Manager;

/* Takes ownership of config, conventions and secrets as soon as the Manager
 * is allocated, whatever happens next (the caller's pointers are cleared
 * and secrets zeroed). Locks the spool and the state directory (-EBUSY:
 * another chorusd uses them), opens the spool, the job store, the numbering
 * and the audit log and creates the Chorus Pro client. */
int manager_new(Config **config, ConventionSet **conventions, ChorusSecrets *secrets,
                Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);

/* Resumes every job from its persisted state, sets up signals, inotify and
 * the watchdog, rescans incoming/, then sends READY=1. */
int manager_start(Manager *m);
/* Runs the loop until SIGTERM/SIGINT (returns 0) or a fatal error
 * (returns it, negative). */
int manager_run(Manager *m);

/* Logs each diagnostic as one line (errors at LOG_ERR, warnings at
 * LOG_WARNING), "FILE:LINE: PATH: message", so they reach the journal. */
void manager_log_diagnostics(const Diagnostics *d);

/* ---- Behind the job host (job_host.h, filled by manager_new()) ----------- */

/* A durable write failed (fsync: -EIO): log at LOG_CRIT, stop taking jobs,
 * leave the loop with the error; systemd restarts us into recovery. */
void manager_fatal(Manager *m, int error, const char *what);
/* The state directory is full (`error` -ENOSPC or -EDQUOT while `what`):
 * pause the pipeline (no claim, no step) and try again on a timer; one
 * LOG_CRIT line now, one when space is back. Not fatal. */
void manager_disk_full(Manager *m, int error, const char *what);
/* Appends an audit record. When the state directory is full, the record
 * waits in memory, in order, and is written as soon as space returns (the
 * pipeline paused meanwhile). Returns 0 (written or waiting), or a fatal
 * error after manager_fatal() (-EIO, a damaged log, no memory to keep it). */
int manager_audit(Manager *m, const AuditRecord *rec);
/* audit_flush(); a failure is fatal (manager_fatal). Returns 0 or -EIO. */
int manager_audit_flush(Manager *m);
/* Counters: a job moved from one state to another (old = _JOB_STATE_INVALID
 * for a new job, new = _JOB_STATE_INVALID when it leaves memory). Sends
 * STATUS= when the text changes. */
void manager_job_state_changed(Manager *m, JobState old_state, JobState new_state);
/* The STATUS= text, e.g. "2 in progress, 1 awaiting Chorus Pro, 0 followed
 * to payment; since start: 12 done, 1 rejected, 0 failed". */
int manager_status_text(const Manager *m, char **ret);
/* A Chorus Pro call of a job is over: clients retired by a reload may be
 * freed now (from a defer source, not from the call's callback), and the
 * next job waiting for a call may start. */
void manager_call_finished(Manager *m);
/* Jobs wait in the call queue: run it once a slot is free. */
void manager_kick_call_queue(Manager *m);
/* A job's timer could not be armed: wake the jobs marked so (see
 * jobrun_wake_marked) in a few seconds. Returns 0 or -errno. */
int manager_wake_later(Manager *m);
/* The fonts and ICC profile of the PDFs (pdf_assets.h), read at the first
 * call and kept; a failure is returned (the job that renders fails, as when
 * the writer read them itself) and the next call tries again. */
int manager_pdf_assets(Manager *m, const PdfAssets **ret);
/* Tells the staff or the admins by e-mail (outbox.h); nothing without
 * [notify]. One NOTICE_CHORUS_UNREACHABLE per outage. */
void manager_notice(Manager *m, const Notice *n, const NoticeAttachment *attachment);
/* How long without an answer from Chorus Pro makes an outage worth a notice
 * (an hour, scaled down in test builds). */
uint64_t manager_unreachable_after(const Manager *m);
/* Scales a delay down in test builds (CHORUSD_TEST_TIME_SCALE); identity
 * otherwise. */
uint64_t manager_delay(const Manager *m, uint64_t usec);
