/* metrics.c — the metrics file and STATE_DIR/health (see metrics.h).
 *
 * The counts are kept here, fed by manager_job_state_changed(): jobs in
 * memory per state (the non-terminal ones: a job leaves memory as soon as
 * it ends), and, since this start, deposits acknowledged and jobs sent to
 * failed/. Nothing is read from disk to write them: a write costs one
 * small file, whatever the number of jobs. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "base/kvfile.h"
#include "base/log.h"
#include "service/metrics.h"

struct Metrics {
        sd_event *event;
        sd_event_source *timer; /* one-shot, armed only while a write is pending */
        char *state_dir;
        char *metrics_file;     /* NULL = none */

        unsigned live[_JOB_STATE_MAX]; /* jobs in memory, per state */
        uint64_t deposits, failures;   /* since start */
        uint64_t start_usec;
        uint64_t last_contact_usec;  /* CLOCK_REALTIME; 0 = none known */
        uint64_t health_written_usec; /* the last contact STATE_DIR/health holds */
        uint64_t last_write;          /* CLOCK_MONOTONIC of the last write, 0 = none */
        bool dirty;
        bool metrics_failed, health_failed; /* said once, not at every change */
};

int write_file_replace_nosync(const char *path, const void *data, size_t size, mode_t mode) {
        _cleanup_(freep) char *tmp = NULL, *dir = NULL;
        _cleanup_(closep) int fd = -EBADF, dirfd = -EBADF;
        const char *slash = strrchr(path, '/');
        int r;

        /* ".NAME.XXXXXX.tmp" beside NAME: the rename stays in one folder. */
        if (asprintf(&tmp, "%.*s.%s.XXXXXX.tmp", slash ? (int) (slash - path + 1) : 0, path,
                     slash ? slash + 1 : path) < 0 ||
            !(dir = slash ? strndup(path, slash == path ? 1 : (size_t) (slash - path)) : strdup(".")))
                return -ENOMEM;
        dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return -errno;
        fd = mkostemps(tmp, 4, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* chorusctl run as root: the file stays the daemon's user's. */
        r = fs_adopt_dir_owner(fd, dirfd);
        if (r >= 0)
                r = fs_write_all(fd, data, size);
        if (r >= 0 && fchmod(fd, mode) < 0)
                r = -errno;
        if (r >= 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                (void) unlink(tmp);
        return r;
}

int health_file_read(const char *state_dir, uint64_t *ret_last_contact_usec) {
        _cleanup_(kv_file_freep) KvFile *kv = NULL;
        _cleanup_(closep) int dirfd = -EBADF;
        uint64_t v = 0;
        int r;

        dirfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return -errno;
        r = kv_read_file(dirfd, HEALTH_FILE, &kv);
        if (r < 0)
                return r;
        r = kv_get_u64(kv, "LAST_CONTACT_USEC", &v);
        if (r < 0 && r != -ENOENT)
                return r;
        *ret_last_contact_usec = v;
        return 0;
}

int chorus_account_file_write(const char *state_dir, const char *password_expiry) {
        _cleanup_(kv_writer_done) KvWriter w = KV_WRITER_INIT;
        _cleanup_(freep) char *path = NULL, *text = NULL, *day = NULL;
        size_t size;
        int r;

        if (password_expiry && !(day = strndup(password_expiry, 10)))
                return -ENOMEM;
        r = kv_writer_open(&w, 1);
        if (r < 0)
                return r;
        kv_put(&w, "PASSWORD_EXPIRY", day);
        kv_put_u64(&w, "CHECKED_USEC", now_realtime_usec());
        r = kv_writer_finish(&w, &text, &size);
        if (r < 0)
                return r;
        if (asprintf(&path, "%s/%s", state_dir, CHORUS_ACCOUNT_FILE) < 0)
                return -ENOMEM;
        return write_file_replace_nosync(path, text, size, WRITE_FILE_MODE);
}

int chorus_account_file_read(const char *state_dir, char **ret_expiry, uint64_t *ret_checked_usec) {
        _cleanup_(kv_file_freep) KvFile *kv = NULL;
        _cleanup_(closep) int dirfd = -EBADF;
        const char *expiry = NULL;
        char *copy = NULL;
        uint64_t checked = 0;
        int r;

        dirfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return -errno;
        r = kv_read_file(dirfd, CHORUS_ACCOUNT_FILE, &kv);
        if (r < 0)
                return r;
        r = kv_get_optional(kv, "PASSWORD_EXPIRY", &expiry);
        if (r < 0)
                return r;
        r = kv_get_u64(kv, "CHECKED_USEC", &checked);
        if (r < 0 && r != -ENOENT)
                return r;
        if (expiry && !(copy = strdup(expiry)))
                return -ENOMEM;
        *ret_expiry = copy;
        *ret_checked_usec = checked;
        return 0;
}

static int health_file_write(Metrics *m) {
        _cleanup_(kv_writer_done) KvWriter w = KV_WRITER_INIT;
        _cleanup_(freep) char *path = NULL, *text = NULL;
        size_t size;
        int r;

        r = kv_writer_open(&w, HEALTH_FILE_VERSION);
        if (r < 0)
                return r;
        kv_put_u64(&w, "LAST_CONTACT_USEC", m->last_contact_usec);
        kv_put_u64(&w, "UPDATED_USEC", now_realtime_usec());
        r = kv_writer_finish(&w, &text, &size);
        if (r < 0)
                return r;
        if (asprintf(&path, "%s/%s", m->state_dir, HEALTH_FILE) < 0)
                return -ENOMEM;
        return write_file_replace_nosync(path, text, size, WRITE_FILE_MODE);
}

int metrics_format(const Metrics *m, uint64_t now_usec, char **ret) {
        _cleanup_(freep) char *buf = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fputs("# HELP chorusd_jobs Jobs chorusd is working on, by state (terminal jobs leave it at once).\n"
              "# TYPE chorusd_jobs gauge\n", f);
        /* Jobs awaiting approval are not in memory (chorusctl status lists them). */
        for (JobState s = 0; s < _JOB_STATE_MAX; s++)
                if (!job_state_is_terminal(s) && !job_state_waits_for_person(s))
                        fprintf(f, "chorusd_jobs{state=\"%s\"} %u\n", job_state_to_string(s), m->live[s]);
        fprintf(f,
                "# HELP chorusd_deposits_total Deposits Chorus Pro acknowledged (numeroFluxDepot) since chorusd started.\n"
                "# TYPE chorusd_deposits_total counter\n"
                "chorusd_deposits_total %" PRIu64 "\n"
                "# HELP chorusd_failures_total Jobs sent to failed/ (failed or rejected) since chorusd started.\n"
                "# TYPE chorusd_failures_total counter\n"
                "chorusd_failures_total %" PRIu64 "\n"
                "# HELP chorusd_chorus_last_contact_timestamp_seconds Last answer from Chorus Pro (Unix time, 0 = none known).\n"
                "# TYPE chorusd_chorus_last_contact_timestamp_seconds gauge\n"
                "chorusd_chorus_last_contact_timestamp_seconds %" PRIu64 "\n"
                "# HELP chorusd_syncs_total fsync() and fdatasync() calls chorusd made since it started (files and folders).\n"
                "# TYPE chorusd_syncs_total counter\n"
                "chorusd_syncs_total %" PRIu64 "\n"
                "# HELP chorusd_start_timestamp_seconds When chorusd started (Unix time).\n"
                "# TYPE chorusd_start_timestamp_seconds gauge\n"
                "chorusd_start_timestamp_seconds %" PRIu64 "\n"
                "# HELP chorusd_metrics_timestamp_seconds When chorusd wrote this file (Unix time).\n"
                "# TYPE chorusd_metrics_timestamp_seconds gauge\n"
                "chorusd_metrics_timestamp_seconds %" PRIu64 "\n",
                m->deposits, m->failures, m->last_contact_usec / USEC_PER_SEC, fs_sync_count(), m->start_usec / USEC_PER_SEC,
                now_usec / USEC_PER_SEC);
        if (fclose(f) != 0) {
                free(TAKE_PTR(buf));
                return -ENOMEM;
        }
        *ret = TAKE_PTR(buf);
        return 0;
}

static void metrics_write(Metrics *m) {
        const char *path = m->metrics_file;
        int r;

        m->dirty = false;
        m->last_write = now_clock_usec(CLOCK_MONOTONIC);
        if (m->last_contact_usec != m->health_written_usec) {
                r = health_file_write(m);
                if (r < 0)
                        log_full_errno(m->health_failed ? LOG_DEBUG : LOG_WARNING, r,
                                       "Failed to write %s/%s, ignoring: %m", m->state_dir, HEALTH_FILE);
                else
                        m->health_written_usec = m->last_contact_usec;
                m->health_failed = r < 0;
        }
        if (path && *path) {
                _cleanup_(freep) char *text = NULL;

                r = metrics_format(m, now_realtime_usec(), &text);
                if (r >= 0)
                        r = write_file_replace_nosync(path, text, strlen(text), 0644);
                if (r < 0)
                        log_full_errno(m->metrics_failed ? LOG_DEBUG : LOG_WARNING, r,
                                       "Failed to write the metrics file '%s', ignoring: %m", path);
                m->metrics_failed = r < 0;
        }
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Metrics *m = userdata;
        (void) s;
        (void) usec;

        if (m->dirty)
                metrics_write(m);
        return 0;
}

/* Something changed: write at once if the last write is old enough, else
 * when it will be; the timer coalesces everything in between. */
static void metrics_changed(Metrics *m) {
        uint64_t now = now_clock_usec(CLOCK_MONOTONIC), when = 0;
        int r, enabled = SD_EVENT_OFF;

        m->dirty = true;
        if (m->timer && sd_event_source_get_enabled(m->timer, &enabled) >= 0 && enabled != SD_EVENT_OFF)
                return; /* already pending */
        if (m->last_write > 0 && now < m->last_write + METRICS_MIN_INTERVAL_USEC)
                when = m->last_write + METRICS_MIN_INTERVAL_USEC;
        else
                when = now;
        if (!m->timer) {
                r = sd_event_add_time(m->event, &m->timer, CLOCK_MONOTONIC, when, USEC_PER_SEC / 10, on_timer, m);
                if (r >= 0) {
                        (void) sd_event_source_set_description(m->timer, "metrics");
                        (void) sd_event_source_set_enabled(m->timer, SD_EVENT_ONESHOT);
                }
        } else {
                r = sd_event_source_set_time(m->timer, when);
                if (r >= 0)
                        r = sd_event_source_set_enabled(m->timer, SD_EVENT_ONESHOT);
        }
        if (r < 0)
                log_warning_errno(r, "Failed to arm the metrics timer, ignoring: %m");
}

int metrics_set_file(Metrics *m, const char *metrics_file) {
        char *p = NULL;

        if (metrics_file && *metrics_file) {
                p = strdup(metrics_file);
                if (!p)
                        return -ENOMEM;
        }
        free(m->metrics_file);
        m->metrics_file = p;
        metrics_changed(m);
        return 0;
}

int metrics_new(sd_event *event, const char *state_dir, const char *metrics_file, Metrics **ret) {
        _cleanup_(metrics_freep) Metrics *m = NULL;
        int r;

        m = calloc(1, sizeof *m);
        if (!m)
                return -ENOMEM;
        m->event = sd_event_ref(event);
        m->state_dir = strdup(state_dir);
        if (!m->state_dir)
                return -ENOMEM;
        r = metrics_set_file(m, metrics_file);
        if (r < 0)
                return r;
        m->start_usec = now_realtime_usec();
        r = health_file_read(state_dir, &m->last_contact_usec);
        if (r < 0 && r != -ENOENT)
                log_warning_errno(r, "Failed to read %s/%s, ignoring: %m", state_dir, HEALTH_FILE);
        m->health_written_usec = m->last_contact_usec;
        *ret = TAKE_PTR(m);
        return 0;
}

void metrics_flush(Metrics *m) {
        if (m && m->dirty)
                metrics_write(m);
}

Metrics *metrics_free(Metrics *m) {
        if (!m)
                return NULL;
        m->timer = sd_event_source_disable_unref(m->timer);
        sd_event_unref(m->event);
        free(m->state_dir);
        free(m->metrics_file);
        free(m);
        return NULL;
}

void metrics_job_state_changed(Metrics *m, JobState old_state, JobState new_state) {
        if (!m || old_state == new_state)
                return;
        if (old_state >= 0 && m->live[old_state] > 0)
                m->live[old_state]--;
        if (new_state >= 0)
                m->live[new_state]++;
        if (old_state >= 0 && new_state == JOB_STATE_DEPOSITED &&
            (old_state == JOB_STATE_DEPOSITING || old_state == JOB_STATE_RENDERED))
                m->deposits++;
        if (old_state >= 0 && (new_state == JOB_STATE_FAILED || new_state == JOB_STATE_REJECTED))
                m->failures++;
        metrics_changed(m);
}

void metrics_chorus_answered(Metrics *m) {
        uint64_t now = now_realtime_usec();

        if (!m)
                return;
        m->last_contact_usec = now;
        /* To the second is enough: do not rewrite for every answer of a burst. */
        if (now / USEC_PER_SEC != m->health_written_usec / USEC_PER_SEC)
                metrics_changed(m);
}
