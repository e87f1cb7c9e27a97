/* metrics.h — what chorusd tells monitoring without being asked: the
 * optional [state] metrics_file (node_exporter's text-file format) and
 * STATE_DIR/health, the time of the last answer from Chorus Pro, which
 * `chorusctl health` reads.
 *
 * Both are caches, rewritten whole (temp file + rename in the same folder,
 * no fsync: a crash may lose the last update, never tear a file), when
 * something they say changed, at most once per METRICS_MIN_INTERVAL_USEC:
 * changes arm a one-shot timer, so an idle chorusd never wakes up for
 * them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "service/jobstate.h"
#include "base/macro.h"
#include "chorus/retry.h" /* USEC_PER_SEC */

#define METRICS_MIN_INTERVAL_USEC (5 * USEC_PER_SEC)
#define HEALTH_FILE "health" /* in the state directory */
#define HEALTH_FILE_VERSION 1
/* In the state directory too, written by `chorusctl ping` (and `health
 * --ping`): what Chorus Pro said of the technical account. */
#define CHORUS_ACCOUNT_FILE "chorus-account"

/* Records the technical account's password expiry (an ISO date or
 * date-time, "YYYY-MM-DD…"; NULL: not reported) in STATE_DIR/chorus-account. */
int chorus_account_file_write(const char *state_dir, const char *password_expiry);
/* Reads it back: *ret_expiry the date (NULL when not reported; free()),
 * *ret_checked_usec when it was recorded. -ENOENT when there is no file. */
int chorus_account_file_read(const char *state_dir, char **ret_expiry, uint64_t *ret_checked_usec);

typedef struct Metrics Metrics;

/* `state_dir` cannot change on reload; metrics_file (NULL or "" = none)
 * can: metrics_set_file(). Reads STATE_DIR/health for the last contact
 * known before this start. */
int metrics_new(sd_event *event, const char *state_dir, const char *metrics_file, Metrics **ret);
/* A reload changed [state] metrics_file: written there from now on. */
int metrics_set_file(Metrics *m, const char *metrics_file);
Metrics *metrics_free(Metrics *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Metrics *, metrics_free);

/* A job moved from `old` to `new` (_JOB_STATE_INVALID: entering or leaving
 * memory), as manager_job_state_changed() sees it. */
void metrics_job_state_changed(Metrics *m, JobState old_state, JobState new_state);
/* Chorus Pro answered a request as its API says (a result or a refusal). */
void metrics_chorus_answered(Metrics *m);
/* Writes now what is pending (at exit). */
void metrics_flush(Metrics *m);

/* The node_exporter text of the current counts, at `now_usec` (for tests). */
int metrics_format(const Metrics *m, uint64_t now_usec, char **ret);

/* STATE_DIR/health as chorusctl reads it: the last answer from Chorus Pro
 * (CLOCK_REALTIME µs, 0 = none recorded). -ENOENT when there is no file. */
int health_file_read(const char *state_dir, uint64_t *ret_last_contact_usec);

/* Writes `path` by temp file + rename in its folder, with `mode` (and, run
 * as root, the folder's owner), without fsync: for caches only. */
int write_file_replace_nosync(const char *path, const void *data, size_t size, mode_t mode);
