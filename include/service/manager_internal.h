/* manager_internal.h — private to manager.c, manager_claim.c,
 * manager_disk.c and manager_host.c: the delays of the manager's timers and
 * the functions they call across files. No other module includes it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "service/job_host.h"
#include "service/spool.h"

typedef struct AuditRecord AuditRecord;
typedef struct Manager Manager;

#define ROOM_RECHECK_USEC (60 * USEC_PER_SEC)
#define ORPHAN_RECHECK_USEC (60 * USEC_PER_SEC)
#define SETTLE_ACCURACY_USEC (USEC_PER_SEC / 10)
/* Bilans claimed per loop iteration, their folders fsynced once for all. */
#define CLAIM_BATCH 32
#define RESOURCE_RECHECK_USEC (5 * USEC_PER_SEC) /* fds or memory ran out: claim again soon */
#define WAKE_LATER_USEC (5 * USEC_PER_SEC)
#define DISK_RECHECK_USEC (10 * USEC_PER_SEC) /* the state directory was full */
#define DISK_PROBE_SIZE (64 * 1024)
/* IN_OPEN, IN_MODIFY and IN_CLOSE_NOWRITE tell the spool who still holds a
 * file open (spool_note_opened() and friends); they never start a rescan. */
#define INCOMING_EVENTS                                                                                 \
        (IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE | IN_OPEN | IN_MODIFY | IN_CLOSE_NOWRITE | IN_ONLYDIR | \
         IN_DONT_FOLLOW)

/* What start-up recovery and a rescan of processing/ count (on_recovered). */
typedef struct RecoveryCounts {
        Manager *manager;
        unsigned resumed;
        unsigned failed; /* jobs that could not be resumed (not fatally) */
        int fatal;
} RecoveryCounts;

/* ---- manager.c */
int on_recovered(SpoolRecoveredJob *rec, void *userdata);

/* ---- manager_disk.c */
void audit_pending_free(Manager *m);
int audit_pending_flush(Manager *m);

/* ---- manager_claim.c */
void claim_wake(Manager *m, bool rewind);
void manager_resume_later(Manager *m);
int manager_setup_claiming(Manager *m);

/* ---- manager_conventions.c */
int manager_read_conventions_later(Manager *m);

/* ---- manager_notify.c */
int manager_setup_notices(Manager *m);
int manager_setup_password_check(Manager *m);
void manager_password_check_cancel(Manager *m);
/* A reload: the SMTP password of the new configuration (refused reload on
 * failure), then, once swapped in, the outbox told. */
int manager_notices_prepare_reload(const Config *config, char **ret_password);
void manager_notices_reloaded(Manager *m, char *password);
void manager_notices_chorus_answered(Manager *m);
void manager_notices_free(Manager *m);
void manager_notice_last_words(Manager *m, const Notice *n);

/* ---- manager_host.c */
extern const JobHostOps manager_job_host_ops;
