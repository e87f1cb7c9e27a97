/* manager_host.c — the JobHost the manager hands to its jobs (job_host.h):
 * each operation forwards to the Manager behind it. */
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

/* ---- The job host (job_host.h) -------------------------------------------- */

static Manager *host_manager(JobHost *h) {
        return h->userdata;
}

static const Config *host_config(JobHost *h) {
        return host_manager(h)->config;
}

static const ConventionSet *host_conventions(JobHost *h) {
        return host_manager(h)->conventions;
}

static ChorusClient *host_chorus(JobHost *h) {
        return host_manager(h)->chorus;
}

static int host_pdf_assets(JobHost *h, const PdfAssets **ret) {
        return manager_pdf_assets(host_manager(h), ret);
}

static bool host_stopping(JobHost *h) {
        return host_manager(h)->stopping;
}

static bool host_paused(JobHost *h) {
        return host_manager(h)->disk_full;
}

static void host_fatal(JobHost *h, int error, const char *what) {
        manager_fatal(host_manager(h), error, what);
}

static void host_disk_full(JobHost *h, int error, const char *what) {
        manager_disk_full(host_manager(h), error, what);
}

static int host_audit(JobHost *h, const AuditRecord *rec) {
        return manager_audit(host_manager(h), rec);
}

static void host_state_changed(JobHost *h, JobState old_state, JobState new_state) {
        manager_job_state_changed(host_manager(h), old_state, new_state);
}

static void host_call_finished(JobHost *h) {
        manager_call_finished(host_manager(h));
}

static int host_wake_later(JobHost *h) {
        return manager_wake_later(host_manager(h));
}

static uint64_t host_delay(const JobHost *h, uint64_t usec) {
        return manager_delay(h->userdata, usec);
}

static int host_audit_flush(JobHost *h) {
        return manager_audit_flush(host_manager(h));
}

static void host_notice(JobHost *h, const Notice *n, const NoticeAttachment *attachment) {
        manager_notice(host_manager(h), n, attachment);
}

const JobHostOps manager_job_host_ops = {
        .config = host_config,
        .conventions = host_conventions,
        .chorus = host_chorus,
        .pdf_assets = host_pdf_assets,
        .stopping = host_stopping,
        .paused = host_paused,
        .fatal = host_fatal,
        .disk_full = host_disk_full,
        .audit = host_audit,
        .audit_flush = host_audit_flush,
        .state_changed = host_state_changed,
        .call_finished = host_call_finished,
        .wake_later = host_wake_later,
        .delay = host_delay,
        .notice = host_notice,
};
