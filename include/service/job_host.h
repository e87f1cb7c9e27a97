/* job_host.h — what a job sees of the daemon that runs it (job.h).
 *
 * The Manager (manager.h) owns one JobHost and fills it: the durable modules
 * the jobs write to, the live jobs and the Chorus Pro call queue that the
 * job pipeline (job.c, job_calls.c) keeps here, and a table of operations
 * for what belongs to the manager (the configuration and client a reload
 * replaces, the pause while the state directory is full, fatal errors,
 * audit records, the STATUS= counters). The job code includes this
 * header, never manager.h: jobs depend on this narrow interface, the
 * manager depends on the jobs. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "base/config.h"
#include "core/convention.h"
#include "core/notice.h"
#include "service/jobstate.h"

typedef struct AuditRecord AuditRecord;
typedef struct ChorusClient ChorusClient;
typedef struct JobHost JobHost;
typedef struct JobRun JobRun;
typedef struct JobStore JobStore;
typedef struct Numbering Numbering;
typedef struct PdfAssets PdfAssets;
typedef struct Spool Spool;

typedef struct JobHostOps {
        /* The current configuration, conventions and Chorus Pro client
         * (a reload replaces them between two loop iterations). */
        const Config *(*config)(JobHost *h);
        const ConventionSet *(*conventions)(JobHost *h);
        ChorusClient *(*chorus)(JobHost *h);
        /* The fonts and ICC profile of the PDFs, read at the first call
         * (pdf_assets.h); a failure is returned and retried next time. */
        int (*pdf_assets)(JobHost *h, const PdfAssets **ret);
        /* chorusd is stopping: no new step, no new call. */
        bool (*stopping)(JobHost *h);
        /* The pipeline is paused: the state directory is full. */
        bool (*paused)(JobHost *h);
        /* A durable write failed (-EIO): log at LOG_CRIT, stop, exit with
         * the error (manager_fatal). */
        void (*fatal)(JobHost *h, int error, const char *what);
        /* The state directory is full: pause the pipeline, retry on a timer
         * (manager_disk_full). */
        void (*disk_full)(JobHost *h, int error, const char *what);
        /* Appends an audit record, or keeps it while the disk is full
         * (manager_audit). Returns 0 or a fatal error. */
        int (*audit)(JobHost *h, const AuditRecord *rec);
        /* Makes the audit records appended so far durable (one fdatasync
         * for all, manager_audit_flush). Returns 0 or a fatal error. */
        int (*audit_flush)(JobHost *h);
        /* A job moved from one state to another (_JOB_STATE_INVALID: it
         * enters or leaves memory): counters, STATUS=, metrics. */
        void (*state_changed)(JobHost *h, JobState old_state, JobState new_state);
        /* A Chorus Pro call is over: retired clients may go, the call queue
         * may move (manager_call_finished). */
        void (*call_finished)(JobHost *h);
        /* A job's timer could not be armed: wake the marked jobs in a few
         * seconds (manager_wake_later). Returns 0 or -errno. */
        int (*wake_later)(JobHost *h);
        /* A delay, scaled down in test builds (CHORUSD_TEST_TIME_SCALE). */
        uint64_t (*delay)(const JobHost *h, uint64_t usec);
        /* Tells the staff or the admins by e-mail ([notify], outbox.h),
         * with an optional text attachment. Never fails the caller: a
         * notice that cannot be written is logged (a failed fsync stops the
         * daemon, as everywhere). Nothing happens without [notify]. The
         * approval step raises NOTICE_AWAITING_APPROVAL here. */
        void (*notice)(JobHost *h, const Notice *n, const NoticeAttachment *attachment);
} JobHostOps;

struct JobHost {
        const JobHostOps *ops;
        void *userdata; /* the Manager, for the operations */

        /* Set once by manager_new(), for the daemon's lifetime. */
        sd_event *event;
        Spool *spool;
        JobStore *jobs;
        Numbering *numbering;

        /* Kept by job.c and job_calls.c. */
        JobRun *runs; /* live jobs, a doubly-linked list */
        /* Chorus Pro calls: at most [chorus] max_parallel_calls in flight
         * (each holds a socket, TLS state and its payload); the other jobs
         * wait their turn in a FIFO, run from the manager's call-queue
         * defer source (manager_kick_call_queue). */
        unsigned n_calls;
        JobRun *call_queue, *call_queue_tail;
        JobRun *call_granted; /* the queue's head, running its step again */

        /* Kept by the manager: CLOCK_BOOTTIME of the last answer from Chorus
         * Pro to any call (0: none since start). While it answers, no job
         * is in an outage (run_outage_elapsed). */
        uint64_t last_answer_elapsed;
};

static inline const Config *job_host_config(JobHost *h) {
        return h->ops->config(h);
}
static inline const ConventionSet *job_host_conventions(JobHost *h) {
        return h->ops->conventions(h);
}
static inline ChorusClient *job_host_chorus(JobHost *h) {
        return h->ops->chorus(h);
}
static inline int job_host_pdf_assets(JobHost *h, const PdfAssets **ret) {
        return h->ops->pdf_assets(h, ret);
}
static inline bool job_host_stopping(JobHost *h) {
        return h->ops->stopping(h);
}
static inline bool job_host_paused(JobHost *h) {
        return h->ops->paused(h);
}
static inline void job_host_fatal(JobHost *h, int error, const char *what) {
        h->ops->fatal(h, error, what);
}
static inline void job_host_disk_full(JobHost *h, int error, const char *what) {
        h->ops->disk_full(h, error, what);
}
static inline int job_host_audit(JobHost *h, const AuditRecord *rec) {
        return h->ops->audit(h, rec);
}
static inline int job_host_audit_flush(JobHost *h) {
        return h->ops->audit_flush(h);
}
static inline void job_host_state_changed(JobHost *h, JobState old_state, JobState new_state) {
        h->ops->state_changed(h, old_state, new_state);
}
static inline void job_host_call_finished(JobHost *h) {
        h->ops->call_finished(h);
}
static inline int job_host_wake_later(JobHost *h) {
        return h->ops->wake_later(h);
}
static inline uint64_t job_host_delay(const JobHost *h, uint64_t usec) {
        return h->ops->delay(h, usec);
}
static inline void job_host_notice(JobHost *h, const Notice *n, const NoticeAttachment *attachment) {
        h->ops->notice(h, n, attachment);
}
