/* manager_disk.c — the manager while the state directory is full (see
 * manager.c, manager.h): ENOSPC or EDQUOT on a job state or the audit log
 * pauses the pipeline (no claim, no step), the audit records that could
 * not be written wait in memory, in order, and a timer probes for space
 * and resumes everything once it is back. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "service/audit.h"
#include "chorus/chorus_client.h"
#include "base/fsutil.h"
#include "service/job.h"
#include "service/log-ids.h"
#include "base/log.h"
#include "service/manager.h"
#include "service/metrics.h"
#include "service/notify.h"
#include "service/numbering.h"
#include "service/pdf_assets.h"
#include "service/spool.h"
#include "service/convention_dir.h"
#include "service/manager_internal.h"

/* ---- A full state directory ----------------------------------------------- */

static bool error_is_no_space(int r) {
        return r == -ENOSPC || r == -EDQUOT;
}

/* AuditRecord's strings are const for audit_append(); the copies waiting
 * here are ours. */
static void free_const(const char *p) {
        free((void *) (uintptr_t) p);
}

static void audit_record_done(AuditRecord *a) {
        free_const(a->event);
        free_const(a->job);
        free_const(a->convention);
        free_const(a->invoice);
        free_const(a->payload_sha256);
        free_const(a->flux);
        free_const(a->cpp_id);
        free_const(a->bilan_sha256);
        free_const(a->user);
        free_const(a->as);
        free_const(a->detail);
        *a = (AuditRecord) {};
}

static int strdup_opt(const char *s, const char **ret) {
        char *c = NULL;

        if (s) {
                c = strdup(s);
                if (!c)
                        return -ENOMEM;
        }
        *ret = c;
        return 0;
}

/* Keeps a copy of `rec`, stamped with the time the step happened. */
static int audit_pending_push(Manager *m, const AuditRecord *rec) {
        AuditRecord *p, c = *rec;

        p = reallocarray(m->audit_pending, m->n_audit_pending + 1, sizeof *p);
        if (!p)
                return -ENOMEM;
        m->audit_pending = p;
        if (c.time_usec == 0)
                c.time_usec = now_realtime_usec();
        /* Every string: the job's own may leave memory before the record is
         * written (a sleeping job, job_sleep.c). */
        c.event = c.job = c.convention = c.invoice = c.payload_sha256 = c.flux = c.cpp_id = c.detail = NULL;
        c.bilan_sha256 = c.user = c.as = NULL;
        if (strdup_opt(rec->event, &c.event) < 0 || strdup_opt(rec->job, &c.job) < 0 ||
            strdup_opt(rec->convention, &c.convention) < 0 || strdup_opt(rec->invoice, &c.invoice) < 0 ||
            strdup_opt(rec->payload_sha256, &c.payload_sha256) < 0 || strdup_opt(rec->flux, &c.flux) < 0 ||
            strdup_opt(rec->cpp_id, &c.cpp_id) < 0 || strdup_opt(rec->detail, &c.detail) < 0 ||
            strdup_opt(rec->bilan_sha256, &c.bilan_sha256) < 0 || strdup_opt(rec->user, &c.user) < 0 ||
            strdup_opt(rec->as, &c.as) < 0) {
                audit_record_done(&c);
                return -ENOMEM;
        }
        m->audit_pending[m->n_audit_pending++] = c;
        return 0;
}

void audit_pending_free(Manager *m) {
        for (size_t i = 0; i < m->n_audit_pending; i++)
                audit_record_done(&m->audit_pending[i]);
        free(m->audit_pending);
        m->audit_pending = NULL;
        m->n_audit_pending = 0;
}

/* Writes the waiting records in order. 0: all written; -ENOSPC/-EDQUOT:
 * still full (those written are gone from the list); other: fatal. */
int audit_pending_flush(Manager *m) {
        size_t done = 0;
        int r = 0;

        for (; done < m->n_audit_pending; done++) {
                r = audit_append(m->audit, &m->audit_pending[done]);
                if (r < 0)
                        break;
                audit_record_done(&m->audit_pending[done]);
        }
        if (done == 0)
                return r;
        /* Durable before the pipeline resumes (group commit: audit.h). */
        if (r >= 0 || !fs_error_is_fatal(r)) {
                int q = audit_flush(m->audit);
                if (q < 0)
                        r = q;
        }
        memmove(m->audit_pending, m->audit_pending + done, (m->n_audit_pending - done) * sizeof *m->audit_pending);
        m->n_audit_pending -= done;
        return r;
}

/* Is there room again in the state directory? A durable write of a
 * scratch file says it for ENOSPC and quotas alike, where statvfs() would
 * not see a quota. */
static int state_dir_probe(Manager *m) {
        _cleanup_(freep) char *buf = calloc(1, DISK_PROBE_SIZE);
        int r;

        if (!buf)
                return -ENOMEM;
        r = write_file_atomic(m->state_lock_fd, ".space-probe", buf, DISK_PROBE_SIZE);
        (void) unlinkat(m->state_lock_fd, ".space-probe", 0);
        return r;
}

static int on_disk_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        int r;
        (void) s;
        (void) usec;

        if (m->stopping || !m->disk_full)
                return 0;
        r = audit_pending_flush(m);
        if (r >= 0)
                r = state_dir_probe(m);
        if (fs_error_is_fatal(r) || r == -EBADMSG) {
                manager_fatal(m, r, "appending to the audit log");
                return 0;
        }
        if (r < 0) {
                log_debug_errno(r, "The state directory is still full (%m): looking again later.");
                (void) sd_event_source_set_time_relative(s, manager_delay(m, DISK_RECHECK_USEC));
                return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        }
        m->disk_full = false;
        log_full(LOG_CRIT, "Space is back in the state directory '%s': resuming (waiting audit records "
                           "written, bilans claimed again).",
                 m->config->state.dir);
        (void) notify_status("Resuming: space is back in the state directory");
        claim_wake(m, true);
        jobrun_wake_marked(&m->host);
        free(m->status); /* STATUS= again with the next change */
        m->status = NULL;
        return 0;
}

void manager_disk_full(Manager *m, int error, const char *what) {
        int r;

        if (m->disk_full || m->stopping)
                return;
        m->disk_full = true;
        log_full_errno(LOG_CRIT, error,
                       "The state directory '%s' is full (%s): %m. Pausing: no bilan is claimed and no job "
                       "moves on until space is freed; nothing is lost, chorusd tries again every %u s.",
                       m->config->state.dir, what, (unsigned) (DISK_RECHECK_USEC / USEC_PER_SEC));
        (void) notify_status("Paused: the state directory is full, see the journal");
        if (m->claim_source)
                (void) sd_event_source_set_enabled(m->claim_source, SD_EVENT_OFF);
        if (!m->disk_source) {
                r = sd_event_add_time_relative(m->event, &m->disk_source, CLOCK_MONOTONIC,
                                               manager_delay(m, DISK_RECHECK_USEC), USEC_PER_SEC, on_disk_timer, m);
                if (r >= 0)
                        (void) sd_event_source_set_description(m->disk_source, "disk-recheck");
        } else {
                r = sd_event_source_set_time_relative(m->disk_source, manager_delay(m, DISK_RECHECK_USEC));
                if (r >= 0)
                        r = sd_event_source_set_enabled(m->disk_source, SD_EVENT_ONESHOT);
        }
        if (r < 0)
                /* Nothing would end the pause: better restart. */
                manager_fatal(m, r, "arming the timer of a full state directory");
}

int manager_audit_flush(Manager *m) {
        int r = audit_flush(m->audit);

        if (r < 0)
                manager_fatal(m, r, "syncing the audit log");
        return r;
}

int manager_audit(Manager *m, const AuditRecord *rec) {
        int r;

        /* Records keep their order: behind those already waiting. */
        r = m->n_audit_pending > 0 ? -ENOSPC : audit_append(m->audit, rec);
        if (r >= 0)
                return 0;
        if (error_is_no_space(r)) {
                r = audit_pending_push(m, rec);
                if (r >= 0) {
                        manager_disk_full(m, -ENOSPC, "appending to the audit log");
                        return 0;
                }
        }
        /* A step must not happen unrecorded: stop, recovery resumes it. */
        manager_fatal(m, r, "appending to the audit log");
        return r;
}
