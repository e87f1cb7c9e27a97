/* spool.h — the spool folders, claiming by rename, moves between folders,
 * rejections with their French error file, free space, startup recovery.
 *
 *   SPOOL/incoming/    staff drop bilans here (Maildir: write elsewhere or
 *                      to a dotfile, then rename in)
 *   SPOOL/processing/  claimed by a no-replace rename; the job's files
 *   SPOOL/done/        the bilan, the invoice file(s) and the receipt
 *   SPOOL/rejected/    invalid bilans, each with NAME.error.txt
 *   SPOOL/failed/      rejected by Chorus Pro or out of retries (requeue)
 *   SPOOL/review/      with [invoice] approval = required: the bilans waiting
 *                      for chorusctl approve or cancel, each with its preview
 *                      JOBID.apercu.pdf and summary JOBID.apercu.txt (the
 *                      only spool files chorusd removes: once the job moves
 *                      on, they would show an invoice that is not the one)
 *
 * Names: a claimed bilan NAME becomes JOBID--NAME in every folder after
 * incoming/ (NAME cut at a UTF-8 boundary when the whole would exceed
 * NAME_MAX with ".error.txt" added); the job's other files are
 * JOBID.SUFFIX (e.g. JOBID.CMA34-2026-0007.xml, JOBID.receipt.json). The
 * job id prefix keeps a job's files together in `ls`, and no two jobs can
 * collide; every rename is no-replace all the same, so nothing is ever
 * overwritten. Nothing is ever deleted.
 *
 * Claiming keeps one readdir() cursor on incoming/ between calls: each
 * claim examines only the entries it passes over, so with 10 000 files
 * waiting a claim costs the same as with one, and memory does not grow
 * with the listing (only files still settling, and entries that cannot be
 * moved, are remembered, in a hash table by name). The cursor is rewound only by spool_rewind() (the
 * manager calls it at the end of a pass when inotify reported something
 * during it, never per wake-up).
 *
 * Errors: -errno; -EIO (a failed fsync) is fatal, see fsutil.h. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/diag.h"
#include "base/fsutil.h"
#include "service/jobstate.h"
#include "base/macro.h"

typedef enum SpoolDir {
        SPOOL_INCOMING,
        SPOOL_PROCESSING,
        SPOOL_DONE,
        SPOOL_REJECTED,
        SPOOL_FAILED,
        SPOOL_REVIEW,
        _SPOOL_DIR_MAX,
        _SPOOL_DIR_INVALID = -EINVAL,
} SpoolDir;

/* "incoming", "processing", "done", "rejected", "failed", "review". */
const char *spool_dir_to_string(SpoolDir d);
SpoolDir spool_dir_from_string(const char *s);

#define SPOOL_MIN_FREE_INODES 1000
#define SPOOL_ERROR_SUFFIX ".error.txt"
/* review/: the preview (invoice + bilan report, marked « APERÇU ») and the
 * French summary of a job awaiting approval (JOBID.SUFFIX). */
#define SPOOL_PREVIEW_SUFFIX "apercu.pdf"
#define SPOOL_SUMMARY_SUFFIX "apercu.txt"
#define SPOOL_NAME_SEPARATOR "--"
/* A claimed bilan is our own read-only copy (spool_claim_next). */
#define SPOOL_BILAN_MODE 0440

typedef struct Spool Spool;

typedef struct SpoolStats {
        uint64_t entries_examined; /* readdir() entries looked at by claims */
        uint64_t claimed;          /* moved into processing/ */
        uint64_t rejected;         /* moved into rejected/ (claims and spool_reject) */
        uint64_t rewinds;
} SpoolStats;

/* Opens SPOOL (which must exist) and its five folders, creating missing
 * folders (mode 0750). Files larger than max_file_size (> 0) are rejected
 * when claimed, without being read. */
int spool_open(const char *dir, uint64_t max_file_size, Spool **ret);
/* True for what makes a dropped entry something chorusd will not read: a
 * symlink, a directory, not a regular file, too large, or not readable
 * (the errors of fs_check_regular_at() and read_file_bounded_at()). */
bool spool_error_is_unreadable(int error);
/* The diagnostic, for the error file (in French too), of such an entry
 * `name`; `size` is its size when error is -EFBIG. */
int spool_unreadable_diag(Diagnostics *d, const char *name, int error, uint64_t size, uint64_t max_size);

/* A new limit for the next claims (a reload changed [spool] max_file_size). */
void spool_set_max_file_size(Spool *s, uint64_t max_file_size);
/* How long a regular file must stay unchanged before it is claimed
 * ([spool] settle_seconds; 0, the default of spool_open(), claims at once). */
void spool_set_settle(Spool *s, uint64_t settle_usec);
/* A file created or written under our eyes waits for its writer's close; a
 * hard link made into incoming/ never sends one, so after this much quiet
 * (with no open seen: an open file is never taken) we stop waiting. Only
 * tests change it. */
#define SPOOL_WRITER_WAIT_USEC (UINT64_C(60) * 1000000)
void spool_set_writer_wait(Spool *s, uint64_t usec);
Spool *spool_free(Spool *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(Spool *, spool_free);

/* The open folder, for openat()/read_file_bounded_at(). */
int spool_dirfd(const Spool *s, SpoolDir d);
/* Cumulative counters (tests use them to bound the work of a claim). */
SpoolStats spool_get_stats(const Spool *s);

/* ---- Names ------------------------------------------------------------------ */

#define SPOOL_NAME_MAX 256 /* NAME_MAX + NUL */

/* Dotfiles (LibreOffice's ".~lock.NAME#" among them), "*.tmp", names ending
 * in '~' and Office lock files "~$NAME" are left alone in incoming/ (a
 * dropper's temp files, editors' backups and lock files). */
bool spool_name_is_ignored(const char *name);
/* JOBID--NAME, NAME cut so that the result plus SPOOL_ERROR_SUFFIX fits. */
void spool_bilan_name(const char *job_id, const char *name, char ret[static SPOOL_NAME_MAX]);
/* JOBID.SUFFIX; -ENAMETOOLONG, or -EINVAL if the suffix has a '/'. */
int spool_artifact_name(const char *job_id, const char *suffix, char ret[static SPOOL_NAME_MAX]);
/* If `name` is JOBID--NAME, the job id (and returns true). */
bool spool_name_job_id(const char *name, char ret_job_id[static JOB_ID_MAX]);

/* ---- Claiming --------------------------------------------------------------- */

typedef struct SpoolClaim {
        char job_id[JOB_ID_MAX];
        char *name;       /* as dropped in incoming/ */
        char *spool_name; /* JOBID--NAME, now in processing/ (or rejected/) */
        bool rejected;    /* not a regular file, too large, or not readable by us:
                           * already in rejected/ with its error file; `reason`
                           * says why */
        bool stuck;       /* could not be moved out of incoming/ at all: left
                           * there, with rejected/SPOOL_NAME.error.txt saying
                           * why; no job; `reason` says why */
        char *reason;     /* English, one line, for the journal */
        uint64_t claimed_usec;
        char sha256[SHA256_HEX_SIZE]; /* of the bilan claimed ("" if rejected or stuck) */
} SpoolClaim;

#define SPOOL_CLAIM_INIT ((SpoolClaim){})
void spool_claim_done(SpoolClaim *c);

/* Takes the next file waiting in incoming/: a no-replace rename into
 * processing/ and an fsync of both folders, then our own copy: the bytes
 * are read once, hashed (`sha256`) and written back under the same name as
 * a new file of ours, mode SPOOL_BILAN_MODE, so that the dropper can no
 * longer change what we validated. Ignored names are skipped. A symlink,
 * directory, FIFO, socket or device, or a file over the size limit, is
 * moved to rejected/ with its error file instead, never followed, opened
 * or read (the claim then has rejected = true); so is a regular file whose
 * permissions do not let us open it (-EACCES: a file moved into incoming/
 * from elsewhere keeps them, see chorusd.tmpfiles).
 *
 * An entry that cannot be renamed at all (a directory we may not write
 * into, a file that is not ours in a sticky incoming/, an immutable file:
 * -EACCES, -EPERM, -EBUSY, -EXDEV from the rename) stays where it is: the
 * claim comes back with stuck = true and its error file written once in
 * rejected/; the entry is then skipped, silently, while it stays the same
 * entry (same inode, mode and owner), and forgotten once a pass from the
 * top no longer finds it. A new start reports it once again.
 *
 * Settling (settle > 0): a regular file is claimed only once its size,
 * mtime and ctime have stayed the same for `settle` µs of CLOCK_MONOTONIC
 * from our first look at it in that state; a file spool_note_created()
 * announced waits for spool_note_closed() first (or, if no close ever
 * comes, as for a hard link, for max(settle, 60 s) of quiet). A file whose
 * mtime and ctime are both older than `settle` by the wall clock is taken
 * at once, unless that clock moved against CLOCK_MONOTONIC since the spool
 * was opened (stepped, or the machine suspended). A file the cursor passes
 * before it settled is remembered: the next calls take it once its
 * deadline (spool_next_deadline()) has come, without a rescan.
 *
 * Returns 1 with `ret` filled, 0 when the cursor reached the end of
 * incoming/ and no remembered file is due (nothing more until
 * spool_rewind() or spool_next_deadline()), or -errno. A file that
 * vanishes during the scan is skipped. */
int spool_claim_next(Spool *s, SpoolClaim *ret);
/* The same, without the fsyncs of processing/ and incoming/: a pass that
 * claims several bilans makes them all durable with one spool_claims_sync(),
 * two syncs for the batch instead of two per bilan. Each copy's content is
 * still fsynced before its rename, so a name in processing/ never shows a
 * torn bilan. Call spool_claims_sync() after the batch, whatever the
 * claims returned, and before a job relies on any of them. */
int spool_claim_next_unsynced(Spool *s, SpoolClaim *ret);
/* Makes the claims since the last call durable: processing/ is fsynced,
 * then incoming/, so a bilan is never in neither. 0 (also when there was
 * nothing to sync), or -errno (-EIO is fatal, fsutil.h). */
int spool_claims_sync(Spool *s);
/* The CLOCK_MONOTONIC µs at which the earliest settling file should be
 * looked at again (call spool_claim_next() then), or 0 if none waits. */
uint64_t spool_next_deadline(const Spool *s);
/* inotify said `name` was created (IN_CREATE) or written (IN_MODIFY),
 * opened (IN_OPEN), closed after writing (IN_CLOSE_WRITE) or closed after
 * reading (IN_CLOSE_NOWRITE): a created or written regular file is not
 * taken before it is closed, a file opened under our eyes not while it is
 * still open (however long the writer pauses), and then only after `settle`
 * of quiet. No-ops when settle is 0. spool_note_created() returns 0 or
 * -ENOMEM; spool_note_modified() and spool_note_opened() 1 when the file
 * was not watched yet (arm the timer: a claim pass does), 0, or -ENOMEM;
 * spool_note_released() true when the last opener closed the file, which
 * then settles (arm the timer too). */
int spool_note_created(Spool *s, const char *name);
int spool_note_modified(Spool *s, const char *name);
int spool_note_opened(Spool *s, const char *name);
void spool_note_closed(Spool *s, const char *name);
bool spool_note_released(Spool *s, const char *name);
/* inotify lost events (IN_Q_OVERFLOW): opens and closes may have been
 * missed, so the files waiting for a close are taken after the writer
 * wait (SPOOL_WRITER_WAIT_USEC) of quiet, open or not. */
void spool_forget_writers(Spool *s);
/* Starts the next scan of incoming/ from the beginning. */
void spool_rewind(Spool *s);

/* 1 if the spool's file system has at least min_free_bytes and
 * SPOOL_MIN_FREE_INODES free, 0 if not (stop claiming: files wait in
 * incoming/), -errno. */
int spool_has_room(Spool *s, uint64_t min_free_bytes);

/* ---- Moving and writing a job's files ------------------------------------- */

/* No-replace rename of `name` from one folder to another, fsync of both. */
int spool_move(Spool *s, SpoolDir from, SpoolDir to, const char *name);
/* Writes a new file durably (temp + fsync + no-replace rename + fsync of
 * the folder): invoice payloads, receipts. -EEXIST if it exists. */
int spool_write(Spool *s, SpoolDir dir, const char *name, const void *data, size_t size);
/* The same, replacing the file if it exists (temp + fsync + rename): the
 * one file of the spool rewritten in place, the text receipt that follows
 * the invoice's status. Readers see the old text or the new, never a mix. */
int spool_rewrite(Spool *s, SpoolDir dir, const char *name, const void *data, size_t size);
/* spool_write() (WRITE_FILE_NOREPLACE) or spool_rewrite() (0) with more
 * WriteFileFlags: WRITE_FILE_NO_DIR_SYNC when the caller fsyncs the folder
 * later (spool_sync()). */
int spool_write_full(Spool *s, SpoolDir dir, const char *name, const void *data, size_t size,
                     WriteFileFlags flags);
/* spool_move() without its two fsyncs: the caller makes the moves durable
 * with spool_sync() of both folders, once for several moves. */
int spool_move_nosync(Spool *s, SpoolDir from, SpoolDir to, const char *name);
/* fsync of one spool folder (-EIO on failure: fatal). */
int spool_sync(Spool *s, SpoolDir dir);
/* Rejects the bilan `spool_name`, now in folder `from`: writes
 * rejected/SPOOL_NAME.error.txt (error_report.h) from the diagnostics, then
 * moves the bilan next to it. An existing error file (a crash between the
 * two steps) is kept, not overwritten. */
int spool_reject(Spool *s, SpoolDir from, const char *job_id, const char *bilan_name,
                 const char *spool_name, const Diagnostics *d);
/* Which folder holds `spool_name` (checked in processing, review, done,
 * failed, rejected order). Returns 0, or -ENOENT. */
int spool_locate(Spool *s, const char *spool_name, SpoolDir *ret);
/* Removes the job's preview and summary from review/ (those absent are
 * fine), then fsyncs the folder: the job moved on (approved, cancelled,
 * refused). Returns 0 or -errno (-EIO fatal). */
int spool_review_clear(Spool *s, const char *job_id);

/* ---- Startup recovery ------------------------------------------------------- */

typedef struct SpoolRecoveredJob {
        const char *job_id;
        const char *spool_name; /* the bilan's name after incoming/ */
        SpoolDir location;      /* where the bilan is; _SPOOL_DIR_INVALID: nowhere */
        /* The persisted state, or NULL. The callback may take it (set it to
         * NULL); otherwise it is freed after the call. */
        Job *job;
        JobLoadSource source;   /* JOB_LOAD_PREVIOUS: the current copy was torn */
        /* 0; -ENOENT: no state (a crash right after the claim: resume at
         * received); -EBADMSG: no readable copy (move it to failed/). */
        int state_error;
} SpoolRecoveredJob;

typedef int (*SpoolRecoverFunc)(SpoolRecoveredJob *job, void *userdata);

/* Reports every job that needs the daemon's attention:
 *  1. every bilan in processing/ (with its state, or none), whatever its
 *     state says: a terminal state there means a move was cut short;
 *  2. every job whose state is not terminal and whose bilan is elsewhere
 *     (e.g. integrated, its bilan already in done/, lifecycle followed).
 * A job whose bilan the callback moved out of processing/ in pass 1, and
 * whose state is still not terminal, is reported again by pass 2: the
 * callback must ignore a job it already holds.
 * Files in processing/ that are not JOBID--NAME nor JOBID.SUFFIX (dropped
 * there by hand) are moved back to incoming/ to be claimed normally.
 * Streams both directories: memory stays flat. The callback may move the
 * job's files. A negative return from it stops the walk. */
int spool_recover(Spool *s, JobStore *store, SpoolRecoverFunc f, void *userdata);
