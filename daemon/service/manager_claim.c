/* manager_claim.c — claiming bilans (see manager.c, manager.h): the claim
 * defer source that takes up to CLAIM_BATCH bilans per loop iteration from
 * incoming/, the
 * inotify watches on incoming/, processing/ and STATE_DIR/corrections (a
 * complete/recycle request wakes its job), the timers for settling
 * files, orphans left in processing/ and a disk too full to claim, and the
 * rescan of processing/ for requeued jobs. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
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
#include "service/correction.h"
#include "service/manager_internal.h"

/* ---- Claiming --------------------------------------------------------------- */

void claim_wake(Manager *m, bool rewind) {
        if (m->stopping || !m->claim_source)
                return;
        if (rewind)
                m->claim_rewind = true;
        (void) sd_event_source_set_enabled(m->claim_source, SD_EVENT_ON);
}

static int on_room_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        (void) s;
        (void) usec;
        claim_wake(m, true);
        return 0;
}

/* Arms the one-shot timer *source (created on first use) `usec` from now. */
static int manager_arm_timer(Manager *m, sd_event_source **source, uint64_t usec,
                             sd_event_time_handler_t handler, const char *description) {
        int r;

        if (!*source) {
                r = sd_event_add_time_relative(m->event, source, CLOCK_MONOTONIC, usec, USEC_PER_SEC,
                                               handler, m);
                if (r >= 0)
                        (void) sd_event_source_set_description(*source, description);
        } else {
                r = sd_event_source_set_time_relative(*source, usec);
                if (r >= 0)
                        r = sd_event_source_set_enabled(*source, SD_EVENT_ONESHOT);
        }
        return r < 0 ? log_error_errno(r, "Failed to arm the %s timer: %m", description) : 0;
}

/* The disk is too full: files wait in incoming/; look again in a minute. */
static int claim_pause_for_room(Manager *m) {
        (void) sd_event_source_set_enabled(m->claim_source, SD_EVENT_OFF);
        return manager_arm_timer(m, &m->room_source, ROOM_RECHECK_USEC, on_room_timer, "room-recheck");
}

static int on_settle_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        (void) s;
        (void) usec;
        claim_wake(m, false);
        return 0;
}

/* End of a pass: a timer for the first file still settling, none if no
 * file waits (nothing wakes us while incoming/ is quiet). */
static void claim_arm_settle(Manager *m) {
        uint64_t deadline = spool_next_deadline(m->spool);
        int r;

        if (deadline == 0) {
                if (m->settle_source)
                        (void) sd_event_source_set_enabled(m->settle_source, SD_EVENT_OFF);
                return;
        }
        if (!m->settle_source) {
                r = sd_event_add_time(m->event, &m->settle_source, CLOCK_MONOTONIC, deadline,
                                      SETTLE_ACCURACY_USEC, on_settle_timer, m);
                if (r >= 0)
                        (void) sd_event_source_set_description(m->settle_source, "settle");
        } else {
                r = sd_event_source_set_time(m->settle_source, deadline);
                if (r >= 0)
                        r = sd_event_source_set_enabled(m->settle_source, SD_EVENT_ONESHOT);
        }
        if (r < 0)
                log_error_errno(r, "Failed to arm the settle timer, files in incoming/ wait for the next "
                                   "change there: %m");
}

/* File descriptors or memory ran out: temporary, as calls end and free
 * theirs. The files wait in incoming/ and the pass starts again from the
 * top a little later, instead of waiting for the next inotify event (which
 * may never come: everything was already dropped). */
static bool error_is_resource(int r) {
        return r == -EMFILE || r == -ENFILE || r == -ENOMEM;
}

static int claim_pause_for_resources(Manager *m, int error) {
        log_warning_errno(error, "Cannot claim bilans for now (%m): they wait in incoming/; trying again in %u s.",
                          (unsigned) (RESOURCE_RECHECK_USEC / USEC_PER_SEC));
        (void) sd_event_source_set_enabled(m->claim_source, SD_EVENT_OFF);
        return manager_arm_timer(m, &m->room_source, manager_delay(m, RESOURCE_RECHECK_USEC), on_room_timer,
                                 "room-recheck");
}

/* Walks processing/ and the job states as start-up recovery does, resuming
 * every job not already running. Returns true if all could be resumed. */
static bool manager_rescan_processing(Manager *m, const char *why) {
        RecoveryCounts counts = { .manager = m };
        int r;

        r = spool_recover(m->spool, m->jobs, on_recovered, &counts);
        if (counts.fatal < 0)
                r = counts.fatal;
        if (fs_error_is_fatal(r))
                manager_fatal(m, r, why);
        else if (r < 0)
                log_error_errno(r, "Failed to look for jobs to resume in processing/: %m");
        return r >= 0 && counts.failed == 0;
}

static int on_orphan_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        (void) s;
        (void) usec;

        if (!m->stopping && !manager_rescan_processing(m, "resuming a bilan left in processing/") &&
            !m->stopping)
                manager_resume_later(m);
        return 0;
}

/* A claim failed after its rename (no job state could be written, memory
 * ran out), or recovery could not resume a job: its bilan is safe in
 * processing/ but no job holds it. Look again in a minute rather than wait
 * for the next start. */
void manager_resume_later(Manager *m) {
        log_notice("A bilan may be waiting in processing/ without a job: looking again in %u s.",
                   (unsigned) (ORPHAN_RECHECK_USEC / USEC_PER_SEC));
        (void) manager_arm_timer(m, &m->orphan_source, manager_delay(m, ORPHAN_RECHECK_USEC), on_orphan_timer,
                                 "orphan-recheck");
}

/* Starts the job of one claim of a batch, once the batch is durable. A
 * stuck entry (left in incoming/) is only said, once. */
static void claim_start(Manager *m, SpoolClaim *claim) {
        int r;

        if (claim->stuck) {
                LogFields f = { .job = claim->job_id };
                log_job(LOG_WARNING, &f, MESSAGE_ID_BILAN_REJECTED,
                        "'%s' in incoming/: %s; the other bilans are claimed (rejected/%s%s says more).",
                        claim->name, strempty(claim->reason), claim->spool_name, SPOOL_ERROR_SUFFIX);
                return;
        }
        r = jobrun_start_claimed(&m->host, claim);
        if (fs_error_is_fatal(r))
                manager_fatal(m, r, "starting a job");
        else if (r < 0) {
                manager_resume_later(m);
                if (error_is_resource(r))
                        (void) claim_pause_for_resources(m, r);
        }
}

/* What ended a batch: the end of the pass (0) or an error. */
static int claim_pass_ended(Manager *m, sd_event_source *s, int r) {
        if (r == 0) {
                /* End of this pass. Something arrived meanwhile: one more pass
                 * from the top (rewinding only here keeps each claim O(1)
                 * however many wake-ups come); otherwise sleep until inotify
                 * says more. */
                if (!m->claim_rewind) {
                        claim_arm_settle(m);
                        return sd_event_source_set_enabled(s, SD_EVENT_OFF);
                }
                m->claim_rewind = false;
                spool_rewind(m->spool);
                return 0;
        }
        if (fs_error_is_fatal(r)) {
                manager_fatal(m, r, "claiming a bilan");
                return 0;
        }
        /* A resource error may come after the rename, while the claim copies
         * the bilan: it may wait in processing/ with no job, so look there
         * again too. */
        if (error_is_resource(r)) {
                manager_resume_later(m);
                return claim_pause_for_resources(m, r);
        }
        /* Something odd about one entry (permissions…): say so, and wait for
         * the next change rather than spin on it. */
        log_error_errno(r, "Failed to claim a bilan from incoming/: %m");
        manager_resume_later(m);
        return sd_event_source_set_enabled(s, SD_EVENT_OFF);
}

/* Up to CLAIM_BATCH bilans per loop iteration: their renames and copies,
 * then one fsync of processing/ and one of incoming/ for all of them
 * (spool_claims_sync), then their jobs. 1 + 2/n syncs per bilan instead of
 * 3 when bilans were dropped together; the same order for each bilan (its
 * copy durable in processing/ before its name leaves incoming/). */
static int on_claim(sd_event_source *s, void *userdata) {
        Manager *m = userdata;
        SpoolClaim claims[CLAIM_BATCH];
        size_t n = 0;
        int r, q;

        if (m->stopping || m->disk_full)
                return sd_event_source_set_enabled(s, SD_EVENT_OFF);

        r = spool_has_room(m->spool, m->config->spool.min_free_space);
        if (r == 0) {
                log_warning("Less than %llu bytes or %u inodes free in the spool: bilans wait in "
                            "incoming/ until space is freed.",
                            (unsigned long long) m->config->spool.min_free_space,
                            (unsigned) SPOOL_MIN_FREE_INODES);
                return claim_pause_for_room(m);
        }
        if (r < 0)
                log_warning_errno(r, "Failed to check free space in the spool, ignoring: %m");

        do {
                claims[n] = SPOOL_CLAIM_INIT;
                r = spool_claim_next_unsynced(m->spool, &claims[n]);
        } while (r > 0 && ++n < CLAIM_BATCH);
        if (r <= 0)
                spool_claim_done(&claims[n]); /* left unfilled by the last call */
        if (n > 0)
                crash_point("claims-renamed");
        q = spool_claims_sync(m->spool);
        if (q < 0) {
                /* Not durable: no job may rely on these claims. Their bilans
                 * are in processing/ (looked for again) or incoming/. */
                for (size_t i = 0; i < n; i++)
                        spool_claim_done(&claims[i]);
                return claim_pass_ended(m, s, q);
        }
        if (n > 0)
                crash_point("claims-synced");
        for (size_t i = 0; i < n; i++) {
                if (!m->stopping)
                        claim_start(m, &claims[i]);
                spool_claim_done(&claims[i]);
        }
        return r > 0 || m->stopping ? 0 : claim_pass_ended(m, s, r);
}

/* inotify is only a wake-up. A regular file that was just created is told
 * to the spool, which will not take it before it is closed (IN_CLOSE_WRITE)
 * and then quiet for settle_seconds, so that a half-written bilan is not
 * taken; opens and closes (IN_OPEN, IN_CLOSE_*) are counted, so that a file
 * still open is not taken however long its writer pauses (an SMB copy that
 * stalls); a file renamed in (IN_MOVED_TO) waits settle_seconds too; a
 * symlink, FIFO, directory or device is taken (to rejected/) at once. */
static int on_incoming_event(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        Manager *m = userdata;
        int r;
        (void) s;

        if (ev->mask & IN_Q_OVERFLOW) {
                log_debug("inotify queue overflow: rescanning incoming/.");
                spool_forget_writers(m->spool);
                claim_wake(m, true);
                return 0;
        }
        if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)) {
                log_error("The spool folder incoming/ went away: no new bilan will be seen until "
                          "chorusd is restarted.");
                return 0;
        }
        if (ev->len == 0 || spool_name_is_ignored(ev->name))
                return 0;
        if (ev->mask & (IN_OPEN | IN_MODIFY | IN_CLOSE_NOWRITE)) {
                /* Bookkeeping only: no rescan. A file newly watched, or one
                 * whose last opener left, needs the timer armed: a pass that
                 * goes on from the cursor does it. */
                if (ev->mask & IN_ISDIR)
                        return 0;
                if (ev->mask & IN_CLOSE_NOWRITE)
                        r = spool_note_released(m->spool, ev->name);
                else if (ev->mask & IN_OPEN)
                        r = spool_note_opened(m->spool, ev->name);
                else
                        r = spool_note_modified(m->spool, ev->name);
                if (r < 0)
                        log_oom();
                else if (r > 0)
                        claim_wake(m, false);
                return 0;
        }
        if ((ev->mask & IN_CREATE) && !(ev->mask & IN_ISDIR)) {
                struct stat st;
                if (fstatat(spool_dirfd(m->spool, SPOOL_INCOMING), ev->name, &st,
                            AT_SYMLINK_NOFOLLOW) < 0)
                        return 0;
                if (S_ISREG(st.st_mode)) {
                        if (spool_note_created(m->spool, ev->name) < 0)
                                log_oom();
                        /* Its close wakes us; with settle_seconds, a pass
                         * ending now arms the timer in case no close comes. */
                        if (m->config->spool.settle_seconds > 0)
                                claim_wake(m, false);
                        return 0;
                }
        }
        if (ev->mask & IN_CLOSE_WRITE)
                spool_note_closed(m->spool, ev->name);
        claim_wake(m, true);
        return 0;
}

/* Our own claims land in processing/ too. A job still under way is
 * recognised as live by jobrun_resume_moved_in(); one that ended during its
 * claim (a bilan rejected at once) has already moved its file out again.
 * Looking for the file is one fstatat(), where loading the job's state to
 * find it over is a file read and a parse (8 % of a rejected bilan). Only
 * a name that is not there is skipped: nothing in processing/ to resume. */
static bool processing_holds(Manager *m, const char *name) {
        struct stat st;

        return fstatat(spool_dirfd(m->spool, SPOOL_PROCESSING), name, &st, AT_SYMLINK_NOFOLLOW) >= 0 ||
               errno != ENOENT;
}

/* processing/ is ours, but `chorusctl requeue` moves a failed job's bilan
 * back into it: resume that job. */
static int on_processing_event(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        Manager *m = userdata;
        int r = 0;
        (void) s;

        if (m->stopping)
                return 0;
        if (ev->mask & IN_Q_OVERFLOW)
                manager_rescan_processing(m, "resuming a requeued job");
        else if (ev->len > 0 && !spool_name_is_ignored(ev->name) && processing_holds(m, ev->name))
                r = jobrun_resume_moved_in(&m->host, ev->name);
        if (fs_error_is_fatal(r))
                manager_fatal(m, r, "resuming a requeued job");
        return 0;
}

/* The job a corrections/ entry names: JOBID.request (the request is
 * renamed into place last, correction.c), or NULL. */
static bool correction_request_job(const char *name, char ret[static JOB_ID_MAX]) {
        const char *dot = strchr(name, '.');

        if (!dot || !streq(dot, ".request") || (size_t) (dot - name) != JOB_ID_LEN)
                return false;
        memcpy(ret, name, JOB_ID_LEN);
        ret[JOB_ID_LEN] = 0;
        return job_id_is_valid(ret);
}

/* The queue overflowed: every request waiting is looked at. */
static void corrections_rescan(Manager *m) {
        _cleanup_(closep) int dirfd = correction_dir_open(m->config->state.dir);
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        char id[JOB_ID_MAX];

        if (dirfd < 0 || fs_opendir_at(dirfd, &d) < 0)
                return; /* the next poll of each job reads its request */
        while (fs_readdir(d, &de) > 0)
                if (correction_request_job(de->d_name, id))
                        jobrun_correction_requested(&m->host, id);
}

/* `chorusctl complete` / `recycle` wrote a request: its job sends it now
 * rather than at its next poll of the invoice (hours, once the invoice
 * waits for the buyer). */
static int on_corrections_event(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        Manager *m = userdata;
        char id[JOB_ID_MAX];
        (void) s;

        if (m->stopping)
                return 0;
        if (ev->mask & IN_Q_OVERFLOW)
                corrections_rescan(m);
        else if (ev->len > 0 && correction_request_job(ev->name, id))
                jobrun_correction_requested(&m->host, id);
        return 0;
}

static int manager_watch_corrections(Manager *m) {
        _cleanup_(freep) char *path = NULL;
        int fd, r;

        /* Created here if missing: the watch needs it, chorusctl writes in it. */
        fd = correction_dir_open(m->config->state.dir);
        if (fd < 0)
                return log_error_errno(fd, "Failed to open '%s/%s': %m", m->config->state.dir, CORRECTIONS_DIR);
        safe_close(fd);
        if (asprintf(&path, "%s/%s", m->config->state.dir, CORRECTIONS_DIR) < 0)
                return log_oom();
        /* IN_CREATE too: where rename cannot refuse to replace, the request
         * is linked into place (fsutil.c). */
        r = sd_event_add_inotify(m->event, &m->corrections_source, path,
                                 IN_MOVED_TO | IN_CREATE | IN_ONLYDIR | IN_DONT_FOLLOW, on_corrections_event, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch '%s': %m", path);
        (void) sd_event_source_set_description(m->corrections_source, "corrections");
        return 0;
}

int manager_setup_claiming(Manager *m) {
        _cleanup_(freep) char *incoming = NULL;
        int r;

        r = sd_event_add_defer(m->event, &m->claim_source, on_claim, m);
        if (r < 0)
                return log_error_errno(r, "Failed to create the claim source: %m");
        /* After timers, I/O and signals: a full incoming/ must not starve the
         * Chorus Pro calls or a SIGTERM. */
        (void) sd_event_source_set_priority(m->claim_source, SD_EVENT_PRIORITY_IDLE);
        (void) sd_event_source_set_description(m->claim_source, "claim");
        (void) sd_event_source_set_enabled(m->claim_source, SD_EVENT_OFF);

        if (asprintf(&incoming, "%s/incoming", m->config->spool.dir) < 0)
                return log_oom();
        r = sd_event_add_inotify(m->event, &m->inotify_source, incoming, INCOMING_EVENTS,
                                 on_incoming_event, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch '%s': %m", incoming);
        (void) sd_event_source_set_description(m->inotify_source, "incoming");

        free(incoming);
        if (asprintf(&incoming, "%s/processing", m->config->spool.dir) < 0)
                return log_oom();
        r = sd_event_add_inotify(m->event, &m->processing_source, incoming,
                                 IN_MOVED_TO | IN_ONLYDIR | IN_DONT_FOLLOW, on_processing_event, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch '%s': %m", incoming);
        (void) sd_event_source_set_description(m->processing_source, "processing");
        return manager_watch_corrections(m);
}
