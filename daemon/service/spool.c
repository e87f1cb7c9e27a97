/* spool.c — spool folders, claim by rename, moves, rejections, recovery
 * (see spool.h). The watched entries of incoming/ (settling, stuck) and the
 * claim pass are in spool_watch.c; the Spool is in spool_internal.h.
 *
 * Owns the open folder fds and the readdir() cursor on incoming/. Never
 * deletes, never overwrites (every rename into a folder is no-replace), and
 * never opens what it has not first lstat()ed as a regular file. Every
 * failure comes back as -errno; -EIO means an fsync failed and the daemon
 * must stop (fsutil.h). Logs only what it decides alone (a file moved back
 * from processing/ during recovery); the manager logs the rest. */
#include <assert.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/error_report.h"
#include "base/fileio.h"
#include "base/fsutil.h"
#include "base/identifiers.h"
#include "base/log.h"
#include "service/spool.h"
#include "service/spool_internal.h"

static const char *const spool_dir_table[_SPOOL_DIR_MAX] = {
        [SPOOL_INCOMING] = "incoming", [SPOOL_PROCESSING] = "processing", [SPOOL_DONE] = "done",
        [SPOOL_REJECTED] = "rejected", [SPOOL_FAILED] = "failed",     [SPOOL_REVIEW] = "review",
};

DEFINE_STRING_TABLE_LOOKUP(spool_dir, SpoolDir, spool_dir_table, _SPOOL_DIR_MAX, _SPOOL_DIR_INVALID);

void spool_set_max_file_size(Spool *s, uint64_t max_file_size) {
        assert(s);
        assert(max_file_size > 0);
        s->max_file_size = max_file_size;
}

int64_t clock_offset_now(void) {
        return (int64_t) now_clock_usec(CLOCK_REALTIME) - (int64_t) now_clock_usec(CLOCK_MONOTONIC);
}

void spool_set_settle(Spool *s, uint64_t settle_usec) {
        assert(s);
        s->settle_usec = settle_usec;
}

void spool_set_writer_wait(Spool *s, uint64_t usec) {
        assert(s);
        s->writer_wait_usec = usec;
}

int spool_open(const char *dir, uint64_t max_file_size, Spool **ret) {
        _cleanup_(spool_freep) Spool *s = NULL;
        int r;

        if (max_file_size == 0)
                return -EINVAL;
        s = calloc(1, sizeof(Spool));
        if (!s)
                return -ENOMEM;
        s->root_fd = -1;
        for (int i = 0; i < _SPOOL_DIR_MAX; i++)
                s->dirfds[i] = -1;
        s->max_file_size = max_file_size;
        s->writer_wait_usec = SPOOL_WRITER_WAIT_USEC;
        s->clock_offset = clock_offset_now();
        s->pass_from_top = true;
        s->root_fd = fs_open_dir(AT_FDCWD, dir, /* create= */ false);
        if (s->root_fd < 0)
                return s->root_fd;
        for (int i = 0; i < _SPOOL_DIR_MAX; i++) {
                s->dirfds[i] = fs_open_dir(s->root_fd, spool_dir_table[i], /* create= */ true);
                if (s->dirfds[i] < 0)
                        return s->dirfds[i];
        }
        r = fs_opendir_at(s->dirfds[SPOOL_INCOMING], &s->incoming);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

SpoolWatch *watch_free(SpoolWatch *w) {
        if (w) {
                free(w->name);
                free(w);
        }
        return NULL;
}

Spool *spool_free(Spool *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_buckets; i++)
                for (SpoolWatch *w = s->buckets[i], *next; w; w = next) {
                        next = w->hnext;
                        watch_free(w);
                }
        free(s->buckets);
        if (s->incoming)
                closedir(s->incoming);
        for (int i = 0; i < _SPOOL_DIR_MAX; i++)
                safe_close(s->dirfds[i]);
        safe_close(s->root_fd);
        free(s);
        return NULL;
}

int spool_dirfd(const Spool *s, SpoolDir d) {
        return d >= 0 && d < _SPOOL_DIR_MAX ? s->dirfds[d] : -EINVAL;
}

SpoolStats spool_get_stats(const Spool *s) {
        return s->stats;
}

/* ---- Names ------------------------------------------------------------------ */

static bool startswith(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool endswith(const char *s, const char *suffix) {
        size_t n = strlen(s), k = strlen(suffix);
        return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* Dot files (the Maildir way of writing, LibreOffice's lock files
 * ".~lock.NAME#"), temporary files and editor backups, and the lock files
 * Word and Excel leave beside a document they have open ("~$NAME.xlsx"):
 * none of them is a bilan. */
bool spool_name_is_ignored(const char *name) {
        return name[0] == '.' || startswith(name, "~$") || endswith(name, ".tmp") || endswith(name, "~");
}

void spool_bilan_name(const char *job_id, const char *name, char ret[static SPOOL_NAME_MAX]) {
        /* 255 = id + "--" + NAME + ".error.txt" */
        size_t keep = 255 - JOB_ID_LEN - strlen(SPOOL_NAME_SEPARATOR) - strlen(SPOOL_ERROR_SUFFIX);
        size_t n = strlen(name);

        if (n > keep)
                n = utf8_char_start(name, keep);
        snprintf(ret, SPOOL_NAME_MAX, "%s%s%.*s", job_id, SPOOL_NAME_SEPARATOR, (int) n, name);
}

int spool_artifact_name(const char *job_id, const char *suffix, char ret[static SPOOL_NAME_MAX]) {
        if (!job_id_is_valid(job_id) || isempty(suffix) || strchr(suffix, '/'))
                return -EINVAL;
        if (snprintf(ret, SPOOL_NAME_MAX, "%s.%s", job_id, suffix) >= SPOOL_NAME_MAX)
                return -ENAMETOOLONG;
        return 0;
}

static bool name_has_job_prefix(const char *name, const char *sep, char ret[static JOB_ID_MAX]) {
        size_t k = strlen(sep);

        if (strlen(name) <= JOB_ID_LEN + k || memcmp(name + JOB_ID_LEN, sep, k) != 0)
                return false;
        memcpy(ret, name, JOB_ID_LEN);
        ret[JOB_ID_LEN] = 0;
        return job_id_is_valid(ret);
}

bool spool_name_job_id(const char *name, char ret_job_id[static JOB_ID_MAX]) {
        return name_has_job_prefix(name, SPOOL_NAME_SEPARATOR, ret_job_id);
}

/* ---- Moves and writes ------------------------------------------------------- */

int spool_move(Spool *s, SpoolDir from, SpoolDir to, const char *name) {
        if (spool_dirfd(s, from) < 0 || spool_dirfd(s, to) < 0)
                return -EINVAL;
        return move_file(s->dirfds[from], name, s->dirfds[to], name, MOVE_FILE_NOREPLACE);
}

int spool_write(Spool *s, SpoolDir dir, const char *name, const void *data, size_t size) {
        if (spool_dirfd(s, dir) < 0)
                return -EINVAL;
        return write_file_atomic_full(s->dirfds[dir], name, data, size, WRITE_FILE_MODE,
                                      WRITE_FILE_NOREPLACE);
}

int spool_rewrite(Spool *s, SpoolDir dir, const char *name, const void *data, size_t size) {
        return spool_write_full(s, dir, name, data, size, 0);
}

int spool_write_full(Spool *s, SpoolDir dir, const char *name, const void *data, size_t size,
                     WriteFileFlags flags) {
        if (spool_dirfd(s, dir) < 0)
                return -EINVAL;
        return write_file_atomic_full(s->dirfds[dir], name, data, size, WRITE_FILE_MODE, flags);
}

int spool_move_nosync(Spool *s, SpoolDir from, SpoolDir to, const char *name) {
        if (spool_dirfd(s, from) < 0 || spool_dirfd(s, to) < 0)
                return -EINVAL;
        return move_file(s->dirfds[from], name, s->dirfds[to], name,
                         MOVE_FILE_NOREPLACE | MOVE_FILE_NO_SYNC);
}

int spool_sync(Spool *s, SpoolDir dir) {
        if (spool_dirfd(s, dir) < 0)
                return -EINVAL;
        return fsync_dir(s->dirfds[dir]);
}

/* Rejects `from_name` in folder `from`, which becomes rejected/SPOOL_NAME. */
static int reject_file(Spool *s, SpoolDir from, const char *from_name, const char *job_id,
                       const char *bilan_name, const char *spool_name, const Diagnostics *d) {
        _cleanup_(freep) char *text = NULL;
        char error_name[SPOOL_NAME_MAX + 16];
        size_t size;
        int r;

        if (spool_dirfd(s, from) < 0 || from == SPOOL_REJECTED)
                return -EINVAL;
        snprintf(error_name, sizeof error_name, "%s%s", spool_name, SPOOL_ERROR_SUFFIX);
        r = error_report_format(bilan_name, spool_name, job_id, d, &text, &size);
        if (r < 0)
                return r;
        /* The explanation first, then the bilan: a crash in between leaves
         * the bilan where it was, to be rejected again. */
        r = spool_write(s, SPOOL_REJECTED, error_name, text, size);
        if (r < 0 && r != -EEXIST)
                return r;
        r = move_file(s->dirfds[from], from_name, s->dirfds[SPOOL_REJECTED], spool_name,
                      MOVE_FILE_NOREPLACE);
        if (r < 0)
                return r;
        s->stats.rejected++;
        return 0;
}

int spool_reject(Spool *s, SpoolDir from, const char *job_id, const char *bilan_name,
                 const char *spool_name, const Diagnostics *d) {
        return reject_file(s, from, spool_name, job_id, bilan_name, spool_name, d);
}

int spool_locate(Spool *s, const char *spool_name, SpoolDir *ret) {
        static const SpoolDir order[] = { SPOOL_PROCESSING, SPOOL_REVIEW, SPOOL_DONE, SPOOL_FAILED,
                                          SPOOL_REJECTED };
        struct stat st;

        for (size_t i = 0; i < ELEMENTSOF(order); i++) {
                if (fstatat(s->dirfds[order[i]], spool_name, &st, AT_SYMLINK_NOFOLLOW) >= 0) {
                        *ret = order[i];
                        return 0;
                }
                if (errno != ENOENT)
                        return negative_errno();
        }
        return -ENOENT;
}

int spool_review_clear(Spool *s, const char *job_id) {
        static const char *const suffixes[] = { SPOOL_PREVIEW_SUFFIX, SPOOL_SUMMARY_SUFFIX };
        int dirfd = s->dirfds[SPOOL_REVIEW];
        bool removed = false;

        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                char name[SPOOL_NAME_MAX];
                int r = spool_artifact_name(job_id, suffixes[i], name);

                if (r < 0)
                        return r;
                if (unlinkat(dirfd, name, 0) >= 0)
                        removed = true;
                else if (errno != ENOENT)
                        return negative_errno();
        }
        return removed ? fsync_dir(dirfd) : 0;
}

int spool_has_room(Spool *s, uint64_t min_free_bytes) {
        return fs_has_room(s->root_fd, min_free_bytes, SPOOL_MIN_FREE_INODES);
}

/* ---- Claiming ---------------------------------------------------------------- */

void spool_claim_done(SpoolClaim *c) {
        free(c->name);
        free(c->spool_name);
        free(c->reason);
        *c = SPOOL_CLAIM_INIT;
}

static int claim_init(SpoolClaim *c, const char *name) {
        char spool_name[SPOOL_NAME_MAX];

        *c = SPOOL_CLAIM_INIT;
        c->claimed_usec = now_realtime_usec();
        job_id_new(c->claimed_usec, c->job_id);
        spool_bilan_name(c->job_id, name, spool_name);
        c->name = strdup(name);
        c->spool_name = strdup(spool_name);
        if (!c->name || !c->spool_name) {
                spool_claim_done(c);
                return -ENOMEM;
        }
        return 0;
}

/* The texts without arguments go through diag_add2() directly:
 * diag_error2() needs at least one argument to check. */
int spool_unreadable_diag(Diagnostics *d, const char *name, int error, uint64_t size, uint64_t max_size) {
        switch (error) {
        case -ELOOP:
                return diag_add2(d, DIAG_ERROR, name, 0, NULL,
                                 "is a symbolic link, not a file: not followed",
                                 "ce n'est pas un fichier mais un lien symbolique (un raccourci) : "
                                 "chorusd ne suit pas les liens. Déposez le fichier lui-même.");
        case -EISDIR:
                return diag_add2(d, DIAG_ERROR, name, 0, NULL, "is a directory, not a file",
                                 "c'est un dossier, pas un fichier. Déposez chaque bilan "
                                 "directement dans incoming/, sans sous-dossier.");
        case -EACCES:
                return diag_add2(d, DIAG_ERROR, name, 0, NULL,
                                 "cannot be read by chorusd (permission denied): a file moved into "
                                 "incoming/ from elsewhere keeps its own permissions, only files created "
                                 "there get the folder's default ACL; not read",
                                 "chorusd n'a pas le droit de lire ce fichier. Cela arrive quand il a été "
                                 "déplacé dans incoming/ depuis un autre dossier : il y garde ses droits "
                                 "d'origine. Enregistrez ou copiez le bilan directement dans incoming/, "
                                 "sans l'y déplacer depuis un autre dossier.");
        case -EFBIG:
                return diag_error2(d, name, NULL,
                                   "is %" PRIu64 " bytes, over the limit of %" PRIu64 " bytes: not read",
                                   "le fichier fait %" PRIu64 " octets, plus que la limite de %" PRIu64
                                   " octets d'un bilan. Vérifiez qu'il s'agit bien du bilan (un classeur "
                                   ".ods ou .xlsx, ou un fichier JSON), sans image ni pièce jointe.",
                                   size, max_size);
        default:
                return diag_add2(d, DIAG_ERROR, name, 0, NULL,
                                 "is not a regular file (FIFO, socket or device): not opened",
                                 "ce n'est pas un fichier ordinaire (tube, socket ou périphérique). "
                                 "Déposez un fichier ordinaire (un classeur .ods ou .xlsx, ou un fichier JSON).");
        }
}

/* Moves a dropped thing that is not a readable bilan to rejected/. */
static int claim_reject(Spool *s, SpoolDir from, const char *from_name, SpoolClaim *c, int error,
                        const struct stat *st) {
        _cleanup_(diagnostics_clear) Diagnostics d = DIAGNOSTICS_INIT;
        int r;

        r = spool_unreadable_diag(&d, c->name, error, (uint64_t) st->st_size, s->max_file_size);
        if (r < 0)
                return r;
        free(c->reason);
        c->reason = strdup(d.items[0].message);
        if (!c->reason)
                return -ENOMEM;
        r = reject_file(s, from, from_name, c->job_id, c->name, c->spool_name, &d);
        if (r < 0)
                return r;
        c->rejected = true;
        return 0;
}

bool spool_error_is_unreadable(int r) {
        return r == -ELOOP || r == -EISDIR || r == -EBADFD || r == -EFBIG || r == -EACCES;
}

/* Our own copy of the claimed bilan. The dropped file keeps its dropper's
 * owner and mode, so that its owner could still write to it in processing/
 * or done/ after we validated it. Its bytes are read once, hashed, and
 * written back under the same name as a new file of ours, read-only
 * (SPOOL_BILAN_MODE); the job checks that hash whenever it reads the bilan
 * again. The entry may also have been swapped since the lstat in incoming/,
 * or be a regular file we may not open (its permissions are its owner's,
 * see spool_unreadable_diag()): those errors are spool_error_is_unreadable(). */
static int adopt_claimed(Spool *s, SpoolClaim *c, struct stat *ret_st) {
        int dirfd = s->dirfds[SPOOL_PROCESSING];
        _cleanup_(closep) int fd = -EBADF;
        _cleanup_(freep) char *data = NULL;
        size_t size;
        int r;

        r = fs_check_regular_at(dirfd, c->spool_name, s->max_file_size, ret_st);
        if (r < 0)
                return r;
        fd = fs_open_regular(dirfd, c->spool_name, s->max_file_size);
        if (fd < 0)
                return fd;
        r = read_fd_bounded(fd, (size_t) s->max_file_size, &data, &size);
        if (r < 0)
                return r;
        r = sha256_hex(data, size, c->sha256);
        if (r < 0)
                return r;
        return write_file_atomic_full(dirfd, c->spool_name, data, size, SPOOL_BILAN_MODE,
                                      s->defer_claim_sync ? WRITE_FILE_NO_DIR_SYNC : 0);
}

/* Renames incoming/NAME to processing/JOBID--NAME; a job id already taken
 * there (practically impossible) gets a new one. Without the fsyncs: the
 * caller makes processing/ durable first (the adopted copy's write fsyncs
 * it), then incoming/ (claim_one), so the bilan is never in neither. */
static int claim_rename(Spool *s, const char *name, SpoolClaim *c) {
        for (unsigned attempt = 0;; attempt++) {
                int r = move_file(s->dirfds[SPOOL_INCOMING], name, s->dirfds[SPOOL_PROCESSING],
                                  c->spool_name, MOVE_FILE_NOREPLACE | MOVE_FILE_NO_SYNC);
                if (r != -EEXIST || attempt >= 8)
                        return r;
                spool_claim_done(c);
                r = claim_init(c, name);
                if (r < 0)
                        return r;
        }
}

/* Errors of a rename that concern the entry, not the spool: a directory
 * we may not write into (its ".." must change), a file in a sticky
 * incoming/ that is not ours, an immutable file, a mount point. */
static bool move_error_is_entrys(int r) {
        return r == -EACCES || r == -EPERM || r == -EBUSY || r == -EXDEV;
}

/* `name` cannot leave incoming/ (`error`, from the rename); `check` says why
 * it is not a bilan we would read (0: a regular file). Writes
 * rejected/SPOOL_NAME.error.txt, which a rejection may have written a moment
 * ago under this claim's new job id (so replacing it loses nothing), and
 * remembers the entry: it is skipped, unreported, while it stays the same
 * (spool.h). The claim comes back with stuck = true. */
static int claim_stuck(Spool *s, const char *name, SpoolClaim *c, int check, int error,
                       const struct stat *st) {
        _cleanup_(diagnostics_clear) Diagnostics d = DIAGNOSTICS_INIT;
        _cleanup_(freep) char *text = NULL;
        char error_name[SPOOL_NAME_MAX + 16];
        SpoolWatch *w;
        size_t size;
        int r;

        if (check < 0) {
                r = spool_unreadable_diag(&d, c->name, check, (uint64_t) st->st_size, s->max_file_size);
                if (r < 0)
                        return r;
        }
        r = diag_error2(&d, c->name, NULL,
                        "cannot be moved out of incoming/ (%s): left there, and ignored until it changes",
                        "chorusd ne peut pas sortir cet élément du dossier incoming/ (%s). Il y reste, "
                        "et chorusd l'ignore tant qu'il ne change pas ; les autres bilans sont traités "
                        "normalement. Retirez-le d'incoming/ (ou demandez à l'administrateur de corriger "
                        "ses droits), puis déposez le bilan comme un fichier ordinaire.",
                        strerror(-error));
        if (r < 0)
                return r;
        free(c->reason);
        c->reason = NULL;
        if (asprintf(&c->reason, "%s%s%s", check < 0 ? d.items[0].message : "", check < 0 ? "; " : "",
                     d.items[d.n_items - 1].message) < 0)
                return -ENOMEM;
        snprintf(error_name, sizeof error_name, "%s%s", c->spool_name, SPOOL_ERROR_SUFFIX);
        r = error_report_format(c->name, c->spool_name, c->job_id, &d, &text, &size);
        if (r < 0)
                return r;
        r = write_file_atomic_full(s->dirfds[SPOOL_REJECTED], error_name, text, size, WRITE_FILE_MODE, 0);
        if (r < 0)
                return r;
        r = watch_add(s, name, st, &w);
        if (r < 0)
                return r;
        w->stuck = true;
        w->pass = s->pass;
        s->n_stuck++;
        c->stuck = true;
        return 0;
}

/* After a claim's rename and copy (result r): the adopted copy's write (or
 * the move to rejected/) fsynced processing/, otherwise it is done here;
 * then the name leaves incoming/ for good: 3 syncs per claim where the move
 * and the copy made 4. In a batch (defer_claim_sync) both folder syncs are
 * left to spool_claims_sync(), once for every claim of the batch. */
static int claim_sync_folders(Spool *s, int r) {
        int q;

        if (fs_error_is_fatal(r))
                return r;
        if (s->defer_claim_sync) {
                s->claims_unsynced = true;
                return r;
        }
        q = r < 0 ? fsync_dir(s->dirfds[SPOOL_PROCESSING]) : 0;
        if (q >= 0)
                q = fsync_dir(s->dirfds[SPOOL_INCOMING]);
        return q < 0 ? q : r;
}

int spool_claims_sync(Spool *s) {
        int r;

        if (!s->claims_unsynced)
                return 0;
        r = fsync_dir(s->dirfds[SPOOL_PROCESSING]);
        if (r >= 0)
                r = fsync_dir(s->dirfds[SPOOL_INCOMING]);
        if (r >= 0)
                s->claims_unsynced = false;
        return r;
}

int claim_one(Spool *s, const char *name, SpoolClaim *ret) {
        _cleanup_(spool_claim_done) SpoolClaim c = SPOOL_CLAIM_INIT;
        struct stat st = {};
        int r, check;

        check = fs_check_regular_at(s->dirfds[SPOOL_INCOMING], name, s->max_file_size, &st);
        if (check < 0 && !spool_error_is_unreadable(check))
                return check; /* -ENOENT: gone since readdir(), the caller skips it */
        r = claim_init(&c, name);
        if (r < 0)
                return r;
        if (check < 0) {
                r = claim_reject(s, SPOOL_INCOMING, name, &c, check, &st);
                if (move_error_is_entrys(r))
                        r = claim_stuck(s, name, &c, check, r, &st);
        } else {
                r = claim_rename(s, name, &c);
                if (move_error_is_entrys(r))
                        r = claim_stuck(s, name, &c, 0, r, &st);
                else if (r >= 0) {
                        s->stats.claimed++;
                        check = adopt_claimed(s, &c, &st);
                        if (spool_error_is_unreadable(check))
                                r = claim_reject(s, SPOOL_PROCESSING, c.spool_name, &c, check, &st);
                        else
                                r = check;
                        r = claim_sync_folders(s, r);
                }
        }
        if (r < 0)
                return r;
        *ret = c;
        c = SPOOL_CLAIM_INIT;
        return 0;
}

/* ---- Recovery ------------------------------------------------------------------ */

typedef struct RecoverContext {
        Spool *spool;
        SpoolRecoverFunc f;
        void *userdata;
} RecoverContext;

static int report(RecoverContext *c, SpoolRecoveredJob *rj) {
        int r = c->f(rj, c->userdata);
        rj->job = job_free(rj->job);
        return r;
}

static int report_from_processing(RecoverContext *c, JobStore *store, const char *id,
                                  const char *name) {
        SpoolRecoveredJob rj = {
                .job_id = id,
                .spool_name = name,
                .location = SPOOL_PROCESSING,
        };

        rj.state_error = jobstore_load(store, id, &rj.job, &rj.source);
        if (rj.state_error < 0 && rj.state_error != -ENOENT && rj.state_error != -EBADMSG)
                return rj.state_error;
        return report(c, &rj);
}

/* A file someone put in processing/ by hand: give it back to incoming/,
 * where it will be claimed like any other. */
static void return_foreign_file(Spool *s, const char *name) {
        int r = move_file(s->dirfds[SPOOL_PROCESSING], name, s->dirfds[SPOOL_INCOMING], name,
                          MOVE_FILE_NOREPLACE);
        if (r < 0)
                log_warning_errno(r, "Cannot move processing/%s (not a job's file) back to incoming/: %m; "
                                     "leaving it, ignoring", name);
        else
                log_notice("Moved processing/%s (not a job's file) back to incoming/", name);
}

static int recover_processing(RecoverContext *c, JobStore *store) {
        _cleanup_(closedirp) DIR *d = NULL;
        int r;

        r = fs_opendir_at(c->spool->dirfds[SPOOL_PROCESSING], &d);
        if (r < 0)
                return r;
        for (;;) {
                char id[JOB_ID_MAX];
                struct dirent *de;

                r = fs_readdir(d, &de);
                if (r <= 0)
                        return r;
                if (spool_name_is_ignored(de->d_name))
                        continue;
                if (spool_name_job_id(de->d_name, id))
                        r = report_from_processing(c, store, id, de->d_name);
                else if (!name_has_job_prefix(de->d_name, ".", id))
                        return_foreign_file(c->spool, de->d_name);
                if (r < 0)
                        return r;
        }
}

/* Is some JOBID--* in processing/? Only asked for a job whose state cannot
 * be read, which should never happen: a scan is fine there. */
static int processing_has_job(Spool *s, const char *id) {
        _cleanup_(closedirp) DIR *d = NULL;
        int r;

        r = fs_opendir_at(s->dirfds[SPOOL_PROCESSING], &d);
        if (r < 0)
                return r;
        for (;;) {
                char other[JOB_ID_MAX];
                struct dirent *de;

                r = fs_readdir(d, &de);
                if (r <= 0)
                        return r;
                if (spool_name_job_id(de->d_name, other) && streq(other, id))
                        return 1;
        }
}

static int recover_state(JobStore *store, const char *id, void *userdata) {
        RecoverContext *c = userdata;
        SpoolRecoveredJob rj = { .job_id = id, .location = _SPOOL_DIR_INVALID };
        SpoolDir where;
        int r;

        rj.state_error = jobstore_load(store, id, &rj.job, &rj.source);
        if (rj.state_error == -EBADMSG) {
                r = processing_has_job(c->spool, id);
                if (r != 0)
                        return r < 0 ? r : 0; /* reported with its bilan already */
                return report(c, &rj);
        }
        if (rj.state_error < 0)
                return rj.state_error == -ENOENT ? 0 : rj.state_error;
        if (job_state_is_terminal(rj.job->state)) {
                rj.job = job_free(rj.job);
                return 0;
        }
        if (!rj.job->spool_name)
                return report(c, &rj); /* cannot happen: jobs are created with it */
        r = spool_locate(c->spool, rj.job->spool_name, &where);
        if (r < 0 && r != -ENOENT) {
                rj.job = job_free(rj.job);
                return r;
        }
        if (r >= 0 && where == SPOOL_PROCESSING) {
                rj.job = job_free(rj.job); /* reported by the processing/ pass */
                return 0;
        }
        rj.spool_name = rj.job->spool_name;
        rj.location = r >= 0 ? where : _SPOOL_DIR_INVALID;
        return report(c, &rj);
}

int spool_recover(Spool *s, JobStore *store, SpoolRecoverFunc f, void *userdata) {
        RecoverContext c = { .spool = s, .f = f, .userdata = userdata };
        int r;

        r = recover_processing(&c, store);
        if (r < 0)
                return r;
        return jobstore_foreach(store, recover_state, &c);
}
