/* fsutil.h — the durable file primitives every stateful module uses: atomic
 * whole-file writes, no-replace moves, directory fsync, bounded reads that
 * never follow symlinks or block on FIFOs, SHA-256, free-space checks.
 *
 * The recipe (STYLE.md §8, domain.md §7): a durable write is a temp file in
 * the same directory, a write loop, fsync, a checked close, rename, and an
 * fsync of the directory; a move fsyncs both directories.
 *
 * Error contract: functions return 0 (or a count) on success and -errno on
 * failure. A failed fsync()/fdatasync() is reported as -EIO whatever the
 * kernel said, and logged once at LOG_CRIT with the file and the original
 * error: after a failed fsync the page cache no longer tells what is on disk
 * (Redis, PostgreSQL "fsyncgate"), so the caller must not retry but stop
 * taking jobs and exit non-zero (STYLE.md §4). fs_error_is_fatal() names that
 * test. Other errors (ENOENT, EEXIST, ENOSPC on a temp file...) leave the
 * previous durable state intact and are the caller's to judge. */
#pragma once

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "base/macro.h"

#define SHA256_HEX_SIZE 65 /* 64 lowercase hex digits + NUL */

/* True for errors after which durability is unknown (fsync/fdatasync failed,
 * or a file we append to could not be put back to its last good length). */
static inline bool fs_error_is_fatal(int r) {
        return r == -EIO;
}

/* ---- Fault injection (tests only) ----------------------------------------
 * Every write, fsync, fdatasync, rename and ftruncate done by fsutil, spool,
 * jobstate, numbering and audit goes through the fs_* wrappers below, which
 * first ask the hook installed here. Production never installs one. The hook
 * returns 0 to let the call run, -errno to make it fail as the kernel would,
 * or (for FS_OP_WRITE only) a positive count to cut the write short to at
 * most that many bytes. This is the one mutable global of these modules: a
 * test seam, like log.c's target. */
typedef enum FsOp {
        FS_OP_WRITE,
        FS_OP_FSYNC,     /* fsync() of a file or a directory */
        FS_OP_FDATASYNC,
        FS_OP_RENAME,    /* renameat()/renameat2(), linkat() fallback included */
        FS_OP_FTRUNCATE,
        _FS_OP_MAX,
        _FS_OP_INVALID = -EINVAL,
} FsOp;

typedef int (*FsFaultHook)(FsOp op, int fd, void *userdata);
/* Installs (or with NULL removes) the hook. */
void fs_set_fault_hook(FsFaultHook hook, void *userdata);

/* ---- Wrappers: -errno on failure, never a bare -1 -------------------------- */

/* One read(2) call (EINTR retried); returns the count read, 0 at end of
 * file, which may be short. */
ssize_t fs_read(int fd, void *buf, size_t size);
/* One write(2) call (EINTR retried); returns the count written, which may be
 * short. */
ssize_t fs_write_once(int fd, const void *buf, size_t size);
/* Writes all of buf or fails (-ENOSPC on a write that makes no progress). */
int fs_write_all(int fd, const void *buf, size_t size);
/* fsync()/fdatasync(); any failure is logged at LOG_CRIT naming `what` and
 * returned as -EIO. */
int fs_fsync(int fd, const char *what);
int fs_fdatasync(int fd, const char *what);
/* How many fsync()/fdatasync() calls this process made (files and
 * directories, failed ones included): the metrics file shows it, so that
 * the benchmark can count syncs per bilan without strace. */
uint64_t fs_sync_count(void);
int fs_ftruncate(int fd, off_t length);
/* flock(2), EINTR retried (a blocking LOCK_EX waits for the other process). */
int fs_flock(int fd, int operation);

/* ---- Directories ---------------------------------------------------------- */

/* When running as root (chorusctl by hand), gives the file or directory
 * `fd` the owner and group of the folder `dirfd` holding it, so that the
 * daemon's user can still read and replace it. Does nothing for other
 * users. Every file and folder fsutil creates goes through it. */
int fs_adopt_dir_owner(int fd, int dirfd);

/* fsync of a directory fd (-EIO on failure, see above). */
int fsync_dir(int dirfd);
/* Opens `path` (relative to dirfd, or absolute) as a directory, O_CLOEXEC,
 * without following a final symlink; with `create`, makes it first (mode
 * 0750) and fsyncs the parent. Returns the fd or -errno. */
int fs_open_dir(int dirfd, const char *path, bool create);

/* A new DIR* reading the folder `dirfd` from its start, with an fd of its
 * own (the caller's dirfd is left alone). Returns 0 or -errno. */
int fs_opendir_at(int dirfd, DIR **ret);
/* readdir() with the end told apart from an error: 1 and the entry, 0 at
 * the end, -errno. */
int fs_readdir(DIR *d, struct dirent **ret);
DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

/* ---- Durable writes and moves ---------------------------------------------- */

typedef enum WriteFileFlags {
        /* Fail with -EEXIST rather than replace an existing `name`. */
        WRITE_FILE_NOREPLACE = 1 << 0,
        /* Before replacing `name`, keep the old copy as `name.prev` (a hard
         * link: `name` itself never goes missing). A reader that finds
         * `name` damaged falls back on it (see jobstate.h). */
        WRITE_FILE_KEEP_PREVIOUS = 1 << 1,
        /* The content is fsynced before the rename (so the name, if a
         * crash keeps it, never shows a torn file), but the folder is not:
         * the caller either fsyncs the folder itself later (one fsync for
         * several renames, fsync_dir()) or can afford to find the old
         * version (or no file) after a crash — see daemon/README.md,
         * "Durability", for each use. */
        WRITE_FILE_NO_DIR_SYNC = 1 << 2,
        /* Nothing synced, neither content nor folder: still atomic for
         * readers, but a crash may leave the old file, none, or an empty
         * one. Only for files made again at will from what is durable
         * elsewhere: the output of `chorusctl render` (a preview). */
        WRITE_FILE_NO_SYNC = 1 << 3,
} WriteFileFlags;

#define WRITE_FILE_MODE 0640

/* Writes `name` in `dirfd` atomically with WRITE_FILE_MODE: readers see the
 * old content or the new, never a mix, and on success the new content and
 * the name are on disk. The temp file is ".NAME.XXXXXXXX.tmp" (a dotfile and
 * a *.tmp, so spool scanners ignore it); it is removed on failure. */
int write_file_atomic(int dirfd, const char *name, const void *data, size_t size);
int write_file_atomic_full(int dirfd, const char *name, const void *data, size_t size,
                           mode_t mode, WriteFileFlags flags);

typedef enum MoveFileFlags {
        MOVE_FILE_NOREPLACE = 1 << 0, /* -EEXIST rather than replace `newname` */
        /* The rename only: the caller fsyncs both folders afterwards (one
         * fsync of each for several moves), before anything depends on the
         * move being on disk. */
        MOVE_FILE_NO_SYNC = 1 << 1,
} MoveFileFlags;

/* rename() from one directory to another (or the same), then fsync of the
 * destination and, if different, the source directory. With
 * MOVE_FILE_NOREPLACE uses renameat2(RENAME_NOREPLACE); where the file
 * system does not support it, falls back on linkat() + unlinkat(), which is
 * also no-replace (a crash in between leaves both names, never none). Moves
 * whatever `name` is (regular file, symlink, FIFO, directory) without
 * following or opening it; but link() refuses a directory (-EPERM), so
 * with the fallback a directory stays where it is. */
int move_file(int from_dirfd, const char *name, int to_dirfd, const char *newname,
              MoveFileFlags flags);

/* ---- Untrusted files (reading them whole: fileio.h) ------------------------- */

struct stat;
/* lstat()s `name` and refuses anything but a regular file of at most
 * max_size bytes (0 = no limit), without opening it: a symlink is never
 * followed and a FIFO or device never opened. Returns 0, or -ELOOP
 * (symlink), -EISDIR (directory), -EBADFD (FIFO, socket, device), -EFBIG
 * (too large): in these cases too ret_st holds what lstat() said; or the
 * -errno of lstat() (-ENOENT...). */
int fs_check_regular_at(int dirfd, const char *name, uint64_t max_size, struct stat *ret_st);
/* The same check, then open(O_RDONLY|O_NOFOLLOW|O_NONBLOCK|O_NOCTTY|
 * O_CLOEXEC) and the check again with fstat() (the file may have been
 * swapped in between). Returns the fd or the errors above. */
int fs_open_regular(int dirfd, const char *name, uint64_t max_size);

/* ---- SHA-256 (OpenSSL EVP) ------------------------------------------------- */

/* Writes the 2n lowercase hex digits of n bytes and a NUL to ret. */
void hex_encode(const unsigned char *digest, size_t n, char *ret);
/* Lowercase hex digest of a buffer. Returns 0, or -ENOMEM/-EIO if OpenSSL
 * fails. */
int sha256_hex(const void *data, size_t size, char ret[static SHA256_HEX_SIZE]);
/* Digest of a file's content, read in blocks (memory stays flat). */
int sha256_file_at(int dirfd, const char *name, char ret[static SHA256_HEX_SIZE]);
/* True if s is 64 lowercase hex digits. */
bool sha256_hex_is_valid(const char *s);

/* ---- Append-only logs (the audit log, the numbering ledger) -------------- */

/* Opens the log `name` in `dirfd` for appending (O_RDWR|O_APPEND|O_NOFOLLOW|
 * O_CLOEXEC), creating it with `mode` if it is missing; a new log's folder
 * is fsynced before anything is written into it (fdatasync of the records
 * does not cover the name). Gives the log the folder's owner when root
 * (fs_adopt_dir_owner). Refuses anything but a regular file (-ELOOP,
 * -EISDIR, -EBADFD). Returns the fd, -EIO (fatal), or -errno. */
int fs_open_append(int dirfd, const char *name, mode_t mode);
/* Appends one record to `fd` (opened O_APPEND) with a single write(), then
 * fdatasync()s it. *good_size is the file's size up to its last whole
 * record: on a short or failed write the file is cut back to it
 * (ftruncate) and the write's error returned (-ENOSPC for a short write);
 * if that cut fails, -EIO. On success *good_size grows by `size`. */
int fs_append_record(int fd, uint64_t *good_size, const void *data, size_t size, const char *what);
/* The same without the fdatasync: the caller syncs later (one fdatasync
 * for several records, audit_flush()). */
int fs_append_record_nosync(int fd, uint64_t *good_size, const void *data, size_t size, const char *what);

typedef struct FsTail {
        uint64_t good_size;  /* size up to and including the last '\n' */
        uint64_t torn_bytes; /* bytes after it: a record cut short by a crash */
        char *last_line;     /* the last whole line without its '\n'; NULL if none */
        size_t last_line_len;
} FsTail;

#define FS_TAIL_INIT ((FsTail){})
void fs_tail_done(FsTail *t);

/* Reads only the end of a line-oriented file (at most 2 × max_line + 2
 * bytes, however large the file), to find its last whole line and any torn
 * bytes after it. Returns 0, or -EBADMSG if a line there is longer than
 * max_line (the file is not one of ours, or damaged), -errno. */
int fs_read_tail(int fd, size_t max_line, FsTail *ret);
/* Cuts the torn bytes after tail->good_size (a record a crash cut short)
 * with a warning naming `what`, then fsyncs: the next record, appended with
 * O_APPEND at the true end of the file, must not be glued to them. Does
 * nothing when tail->torn_bytes is 0. Returns 0, -EIO (fatal), -errno. */
int fs_cut_torn_tail(int fd, const FsTail *tail, const char *what);

/* ---- Space ---------------------------------------------------------------- */

/* 1 if the file system holding `fd` has at least min_free_bytes available
 * to unprivileged users and at least min_free_inodes free inodes (a file
 * system without inode accounting, f_files == 0, always passes that part),
 * 0 if not, -errno if statvfs fails. */
int fs_has_room(int fd, uint64_t min_free_bytes, uint64_t min_free_inodes);

/* ---- Misc ------------------------------------------------------------------ */

/* Random bytes from getrandom(); falls back on a time/pid mix if the kernel
 * pool is not ready (the values only need to be unlikely to repeat). */
void random_bytes(void *buf, size_t size);
uint64_t random_u64(void);
/* `clock` (CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME…) in microseconds.
 * The wall clock (CLOCK_REALTIME) may step either way: it dates things;
 * delays, windows and deadlines are measured with CLOCK_BOOTTIME. (Test
 * builds: $CHORUSD_TEST_WALL_CLOCK_FILE offsets CLOCK_REALTIME, fsutil.c.) */
uint64_t now_clock_usec(clockid_t clock);
/* CLOCK_REALTIME in microseconds. */
uint64_t now_realtime_usec(void);
/* "2026-12-10T14:30:00.123456Z" from realtime microseconds (UTC). */
#define TIMESTAMP_ISO_MAX 32
char *format_timestamp_iso(uint64_t usec, char buf[static TIMESTAMP_ISO_MAX]);
