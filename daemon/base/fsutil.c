/* fsutil.c — durable file primitives (see fsutil.h).
 *
 * Owns nothing but the test fault hook. Every fsync()/fdatasync() failure is
 * logged here at LOG_CRIT, once, with the file it was for, and returned as
 * -EIO: the caller stops taking jobs (STYLE.md §4) and logs that decision;
 * this is the only place that still knows which file and which errno. */
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "base/log.h"

static FsFaultHook fault_hook;
static uint64_t sync_count;
static void *fault_userdata;

void fs_set_fault_hook(FsFaultHook hook, void *userdata) {
        fault_hook = hook;
        fault_userdata = userdata;
}

static int fault(FsOp op, int fd) {
        return fault_hook ? fault_hook(op, fd, fault_userdata) : 0;
}

int fs_adopt_dir_owner(int fd, int dirfd) {
        struct stat dir_st, st;

        /* Only root creates files for someone else: chorusctl run by the
         * administrator must not leave root-owned files the daemon (user
         * chorusd) can no longer read or replace. */
        if (geteuid() != 0)
                return 0;
        if (fstat(dirfd, &dir_st) < 0 || fstat(fd, &st) < 0)
                return negative_errno();
        if (st.st_uid == dir_st.st_uid && st.st_gid == dir_st.st_gid)
                return 0;
        if (fchown(fd, dir_st.st_uid, dir_st.st_gid) < 0)
                return negative_errno();
        return 0;
}

ssize_t fs_read(int fd, void *buf, size_t size) {
        ssize_t n;

        do
                n = read(fd, buf, size);
        while (n < 0 && errno == EINTR);
        return n < 0 ? negative_errno() : n;
}

ssize_t fs_write_once(int fd, const void *buf, size_t size) {
        int f = fault(FS_OP_WRITE, fd);
        ssize_t n;

        if (f < 0)
                return f;
        if (f > 0 && (size_t) f < size)
                size = (size_t) f;
        do
                n = write(fd, buf, size);
        while (n < 0 && errno == EINTR);
        return n < 0 ? negative_errno() : n;
}

int fs_write_all(int fd, const void *buf, size_t size) {
        const char *p = buf;

        while (size > 0) {
                ssize_t n = fs_write_once(fd, p, size);
                if (n < 0)
                        return (int) n;
                if (n == 0)
                        return -ENOSPC; /* no progress: treat as a full disk */
                p += n;
                size -= (size_t) n;
        }
        return 0;
}

static int sync_failed(int error, const char *call, const char *what) {
        log_crit_errno(error, "%s() of %s failed, its content on disk is unknown: %m", call,
                       strempty(what));
        return -EIO;
}

static int sync_with(int (*sync_fn)(int), FsOp op, const char *call, int fd, const char *what) {
        int f = fault(op, fd);

        sync_count++;
        if (f < 0)
                return sync_failed(f, call, what);
        if (sync_fn(fd) < 0)
                return sync_failed(negative_errno(), call, what);
        return 0;
}

int fs_fsync(int fd, const char *what) {
        return sync_with(fsync, FS_OP_FSYNC, "fsync", fd, what);
}

int fs_fdatasync(int fd, const char *what) {
        return sync_with(fdatasync, FS_OP_FDATASYNC, "fdatasync", fd, what);
}

uint64_t fs_sync_count(void) {
        return sync_count;
}

int fs_ftruncate(int fd, off_t length) {
        int f = fault(FS_OP_FTRUNCATE, fd);

        if (f < 0)
                return f;
        if (ftruncate(fd, length) < 0)
                return negative_errno();
        return 0;
}

int fs_flock(int fd, int operation) {
        while (flock(fd, operation) < 0)
                if (errno != EINTR)
                        return negative_errno();
        return 0;
}

int fsync_dir(int dirfd) {
        _cleanup_(closep) int cwd = -1;

        if (dirfd == AT_FDCWD) {
                cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (cwd < 0)
                        return negative_errno();
                dirfd = cwd;
        }
        return fs_fsync(dirfd, "a directory");
}

int fs_open_dir(int dirfd, const char *path, bool create) {
        _cleanup_(closep) int fd = -1;
        bool created = false;
        int r;

        if (create) {
                if (mkdirat(dirfd, path, 0750) >= 0)
                        created = true;
                else if (errno != EEXIST)
                        return negative_errno();
        }
        fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        if (created) {
                /* The new entry lives in the parent: make it durable too. */
                _cleanup_(closep) int parent = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (parent < 0)
                        return negative_errno();
                r = fs_adopt_dir_owner(fd, parent);
                if (r < 0)
                        return r;
                r = fsync_dir(parent);
                if (r < 0)
                        return r;
        }
        return TAKE_FD(fd);
}

int fs_opendir_at(int dirfd, DIR **ret) {
        int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d;

        if (fd < 0)
                return negative_errno();
        d = fdopendir(fd); /* takes the fd: the caller's dirfd stays its own */
        if (!d) {
                int r = negative_errno();
                safe_close(fd);
                return r;
        }
        *ret = d;
        return 0;
}

int fs_readdir(DIR *d, struct dirent **ret) {
        errno = 0;
        *ret = readdir(d);
        if (*ret)
                return 1;
        return errno > 0 ? -errno : 0;
}

/* ".NAME.XXXXXXXX.tmp": NAME is cut so that the temp name stays under
 * NAME_MAX; the random part alone makes it unique. */
static int open_tmpfile(int dirfd, const char *name, mode_t mode, char ret_tmp[static 256]) {
        for (unsigned attempt = 0; attempt < 16; attempt++) {
                uint32_t rnd;
                int fd;

                random_bytes(&rnd, sizeof rnd);
                snprintf(ret_tmp, 256, ".%.200s.%08x.tmp", name, (unsigned) rnd);
                fd = openat(dirfd, ret_tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
                if (fd >= 0) {
                        /* The umask must not decide who can read an invoice. */
                        int r = fchmod(fd, mode) < 0 ? negative_errno() : fs_adopt_dir_owner(fd, dirfd);
                        if (r < 0) {
                                (void) unlinkat(dirfd, ret_tmp, 0);
                                safe_close(fd);
                                return r;
                        }
                        return fd;
                }
                if (errno != EEXIST)
                        return negative_errno();
        }
        return -EEXIST;
}

static int rename_raw(int from_dirfd, const char *name, int to_dirfd, const char *newname,
                      bool noreplace) {
        int f = fault(FS_OP_RENAME, from_dirfd);

        if (f < 0)
                return f;
        if (!noreplace)
                return renameat(from_dirfd, name, to_dirfd, newname) < 0 ? negative_errno() : 0;
        if (renameat2(from_dirfd, name, to_dirfd, newname, RENAME_NOREPLACE) >= 0)
                return 0;
        if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
                return negative_errno();
        /* No RENAME_NOREPLACE here (some network and FUSE file systems):
         * link() refuses an existing target just the same. */
        if (linkat(from_dirfd, name, to_dirfd, newname, 0) < 0)
                return negative_errno();
        if (unlinkat(from_dirfd, name, 0) < 0)
                return negative_errno();
        return 0;
}

/* name.prev becomes a hard link to the current name, which stays in place
 * throughout: a reader (chorusctl status next to the daemon) never finds it
 * missing. Where the file system has no hard links, name is renamed to
 * name.prev instead (*ret_moved), and for an instant only .prev exists. */
static int keep_previous(int dirfd, const char *name, bool *ret_moved) {
        char prev[256], link_tmp[256];
        int r;

        *ret_moved = false;
        if (snprintf(prev, sizeof prev, "%s.prev", name) >= (int) sizeof prev ||
            snprintf(link_tmp, sizeof link_tmp, ".%s.prev.tmp", name) >= (int) sizeof link_tmp)
                return -ENAMETOOLONG;
        (void) unlinkat(dirfd, link_tmp, 0); /* our own leftover from a crash */
        if (linkat(dirfd, name, dirfd, link_tmp, 0) < 0) {
                if (errno == ENOENT)
                        return 0; /* first write: nothing to keep */
                if (errno != EPERM && errno != EOPNOTSUPP && errno != ENOSYS && errno != EMLINK)
                        return negative_errno();
                r = rename_raw(dirfd, name, dirfd, prev, /* noreplace= */ false);
                *ret_moved = r >= 0;
                return r == -ENOENT ? 0 : r;
        }
        r = rename_raw(dirfd, link_tmp, dirfd, prev, /* noreplace= */ false);
        if (r < 0)
                (void) unlinkat(dirfd, link_tmp, 0);
        return r;
}

static void restore_previous(int dirfd, const char *name) {
        char prev[256];

        snprintf(prev, sizeof prev, "%s.prev", name);
        (void) renameat(dirfd, prev, dirfd, name);
}

static int write_tmpfile(int fd, const char *name, const void *data, size_t size, bool sync) {
        int r;

        r = fs_write_all(fd, data, size);
        if (r < 0 || !sync)
                return r;
        return fs_fsync(fd, name);
}

int write_file_atomic_full(int dirfd, const char *name, const void *data, size_t size,
                           mode_t mode, WriteFileFlags flags) {
        bool noreplace = flags & WRITE_FILE_NOREPLACE, keep = flags & WRITE_FILE_KEEP_PREVIOUS, moved = false;
        char tmp[256];
        int fd, r;

        if (isempty(name) || strchr(name, '/') || (noreplace && keep) ||
            (flags & ~(WRITE_FILE_NOREPLACE | WRITE_FILE_KEEP_PREVIOUS | WRITE_FILE_NO_DIR_SYNC |
                       WRITE_FILE_NO_SYNC)))
                return -EINVAL;
        fd = open_tmpfile(dirfd, name, mode, tmp);
        if (fd < 0)
                return fd;
        r = write_tmpfile(fd, name, data, size, !(flags & WRITE_FILE_NO_SYNC));
        if (close(fd) < 0 && r >= 0)
                r = errno == EINTR ? 0 : -EIO; /* NFS reports write errors at close */
        if (r < 0)
                goto fail;
        if (keep) {
                r = keep_previous(dirfd, name, &moved);
                if (r < 0)
                        goto fail;
        }
        r = rename_raw(dirfd, tmp, dirfd, name, noreplace);
        if (r < 0) {
                if (moved)
                        restore_previous(dirfd, name);
                goto fail;
        }
        return flags & (WRITE_FILE_NO_DIR_SYNC | WRITE_FILE_NO_SYNC) ? 0 : fsync_dir(dirfd);
fail:
        (void) unlinkat(dirfd, tmp, 0); /* our own temp file, never anyone's data */
        return r;
}

int write_file_atomic(int dirfd, const char *name, const void *data, size_t size) {
        return write_file_atomic_full(dirfd, name, data, size, WRITE_FILE_MODE, 0);
}

int move_file(int from_dirfd, const char *name, int to_dirfd, const char *newname,
              MoveFileFlags flags) {
        int r;

        r = rename_raw(from_dirfd, name, to_dirfd, newname, flags & MOVE_FILE_NOREPLACE);
        if (r < 0 || (flags & MOVE_FILE_NO_SYNC))
                return r;
        r = fsync_dir(to_dirfd);
        if (r < 0)
                return r;
        if (from_dirfd != to_dirfd)
                return fsync_dir(from_dirfd);
        return 0;
}

static int check_regular(const struct stat *st, uint64_t max_size) {
        if (S_ISLNK(st->st_mode))
                return -ELOOP;
        if (S_ISDIR(st->st_mode))
                return -EISDIR;
        if (!S_ISREG(st->st_mode))
                return -EBADFD;
        if (max_size > 0 && (uint64_t) st->st_size > max_size)
                return -EFBIG;
        return 0;
}

int fs_check_regular_at(int dirfd, const char *name, uint64_t max_size, struct stat *ret_st) {
        struct stat st;
        int r;

        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return negative_errno();
        if (ret_st)
                *ret_st = st;
        r = check_regular(&st, max_size);
        return r;
}

int fs_open_regular(int dirfd, const char *name, uint64_t max_size) {
        _cleanup_(closep) int fd = -1;
        struct stat st;
        int r;

        r = fs_check_regular_at(dirfd, name, max_size, /* ret_st= */ NULL);
        if (r < 0)
                return r;
        fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        /* It may have been swapped between the lstat and the open. */
        if (fstat(fd, &st) < 0)
                return negative_errno();
        r = check_regular(&st, max_size);
        if (r < 0)
                return r;
        return TAKE_FD(fd);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_MD_CTX *, EVP_MD_CTX_free);

void hex_encode(const unsigned char *digest, size_t n, char *ret) {
        static const char hex[] = "0123456789abcdef";

        for (size_t i = 0; i < n; i++) {
                ret[2 * i] = hex[digest[i] >> 4];
                ret[2 * i + 1] = hex[digest[i] & 15];
        }
        ret[2 * n] = 0;
}

static int sha256_begin(EVP_MD_CTX **ret) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();

        if (!ctx)
                return -ENOMEM;
        if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
                EVP_MD_CTX_free(ctx);
                return -EIO;
        }
        *ret = ctx;
        return 0;
}

static int sha256_end(EVP_MD_CTX *ctx, char ret[static SHA256_HEX_SIZE]) {
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned n = 0;

        if (EVP_DigestFinal_ex(ctx, digest, &n) != 1 || n != 32)
                return -EIO;
        hex_encode(digest, n, ret);
        return 0;
}

int sha256_hex(const void *data, size_t size, char ret[static SHA256_HEX_SIZE]) {
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = NULL;
        int r;

        r = sha256_begin(&ctx);
        if (r < 0)
                return r;
        if (EVP_DigestUpdate(ctx, data, size) != 1)
                return -EIO;
        return sha256_end(ctx, ret);
}

int sha256_file_at(int dirfd, const char *name, char ret[static SHA256_HEX_SIZE]) {
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = NULL;
        _cleanup_(closep) int fd = -1;
        char buf[65536];
        int r;

        fd = fs_open_regular(dirfd, name, /* max_size= */ 0);
        if (fd < 0)
                return fd;
        r = sha256_begin(&ctx);
        if (r < 0)
                return r;
        for (;;) {
                ssize_t n = fs_read(fd, buf, sizeof buf);
                if (n < 0)
                        return (int) n;
                if (n == 0)
                        break;
                if (EVP_DigestUpdate(ctx, buf, (size_t) n) != 1)
                        return -EIO;
        }
        return sha256_end(ctx, ret);
}

bool sha256_hex_is_valid(const char *s) {
        if (!s || strlen(s) != SHA256_HEX_SIZE - 1)
                return false;
        return strspn(s, "0123456789abcdef") == SHA256_HEX_SIZE - 1;
}

/* The log, and whether this call created it (a creator racing us wins the
 * O_EXCL, and we open what it made). */
static int open_or_create(int dirfd, const char *name, mode_t mode, bool *ret_created) {
        for (unsigned attempt = 0; attempt < 2; attempt++) {
                int fd = openat(dirfd, name, O_RDWR | O_APPEND | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
                if (fd >= 0 || errno != ENOENT) {
                        *ret_created = false;
                        return fd >= 0 ? fd : negative_errno();
                }
                fd = openat(dirfd, name, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
                if (fd >= 0 || errno != EEXIST) {
                        *ret_created = fd >= 0;
                        return fd >= 0 ? fd : negative_errno();
                }
        }
        return -EEXIST;
}

int fs_open_append(int dirfd, const char *name, mode_t mode) {
        _cleanup_(closep) int fd = -1;
        struct stat st;
        bool created;
        int r;

        fd = open_or_create(dirfd, name, mode, &created);
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        r = check_regular(&st, /* max_size= */ 0);
        if (r < 0)
                return r;
        r = fs_adopt_dir_owner(fd, dirfd);
        if (r < 0)
                return r;
        if (created) {
                /* The umask must not decide who can read the log. */
                if (fchmod(fd, mode) < 0)
                        return negative_errno();
                r = fsync_dir(dirfd);
                if (r < 0)
                        return r;
        }
        return TAKE_FD(fd);
}

static int append_record(int fd, uint64_t *good_size, const void *data, size_t size, const char *what,
                         bool sync) {
        ssize_t n;
        int r;

        n = fs_write_once(fd, data, size);
        if (n < 0 || (size_t) n != size) {
                r = n < 0 ? (int) n : -ENOSPC;
                /* Leave no half record behind: the next one would be glued to it. */
                int q = fs_ftruncate(fd, (off_t) *good_size);
                if (q < 0) {
                        log_crit_errno(q, "Cannot cut %s back to %" PRIu64 " bytes after a failed write (%m)",
                                       strempty(what), *good_size);
                        return -EIO;
                }
                return r;
        }
        r = sync ? fs_fdatasync(fd, what) : 0;
        if (r < 0)
                return r;
        *good_size += size;
        return 0;
}

int fs_append_record(int fd, uint64_t *good_size, const void *data, size_t size, const char *what) {
        return append_record(fd, good_size, data, size, what, /* sync= */ true);
}

int fs_append_record_nosync(int fd, uint64_t *good_size, const void *data, size_t size, const char *what) {
        return append_record(fd, good_size, data, size, what, /* sync= */ false);
}

void fs_tail_done(FsTail *t) {
        free(t->last_line);
        *t = FS_TAIL_INIT;
}

static int pread_all(int fd, char *buf, size_t size, off_t offset) {
        while (size > 0) {
                ssize_t n = pread(fd, buf, size, offset);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        return -EIO; /* shrank under us */
                buf += n;
                size -= (size_t) n;
                offset += n;
        }
        return 0;
}

int fs_read_tail(int fd, size_t max_line, FsTail *ret) {
        _cleanup_(freep) char *buf = NULL;
        size_t window, end, start;
        const char *nl;
        struct stat st;
        int r;

        if (fstat(fd, &st) < 0)
                return negative_errno();
        *ret = FS_TAIL_INIT;
        if (st.st_size == 0)
                return 0;
        window = (uint64_t) st.st_size < 2 * (uint64_t) max_line + 2 ? (size_t) st.st_size : 2 * max_line + 2;
        buf = malloc(window);
        if (!buf)
                return -ENOMEM;
        r = pread_all(fd, buf, window, st.st_size - (off_t) window);
        if (r < 0)
                return r;
        nl = memrchr(buf, '\n', window);
        if (!nl && window < (size_t) st.st_size)
                return -EBADMSG;
        end = nl ? (size_t) (nl - buf) + 1 : 0; /* just after the last '\n' */
        if (window - end > max_line)
                return -EBADMSG;
        ret->torn_bytes = window - end;
        ret->good_size = (uint64_t) st.st_size - ret->torn_bytes;
        if (end == 0)
                return 0;
        nl = end >= 2 ? memrchr(buf, '\n', end - 1) : NULL;
        if (!nl && window < (size_t) st.st_size)
                return -EBADMSG; /* the line starts before the window */
        start = nl ? (size_t) (nl - buf) + 1 : 0;
        if (end - 1 - start > max_line)
                return -EBADMSG;
        /* Not strndup(): a NUL byte in a damaged line would make last_line
         * shorter than last_line_len, which callers read. */
        ret->last_line = malloc(end - start);
        if (!ret->last_line)
                return -ENOMEM;
        ret->last_line_len = end - 1 - start;
        memcpy(ret->last_line, buf + start, ret->last_line_len);
        ret->last_line[ret->last_line_len] = 0;
        return 0;
}

int fs_cut_torn_tail(int fd, const FsTail *tail, const char *what) {
        int r;

        if (tail->torn_bytes == 0)
                return 0;
        log_warning("%s ends with %" PRIu64 " bytes of a record cut short by a crash; removing them",
                    strempty(what), tail->torn_bytes);
        r = fs_ftruncate(fd, (off_t) tail->good_size);
        if (r < 0)
                return log_error_errno(r, "Cannot cut the torn end of %s: %m", strempty(what));
        return fs_fsync(fd, what);
}

int fs_has_room(int fd, uint64_t min_free_bytes, uint64_t min_free_inodes) {
        struct statvfs sv;
        uint64_t bytes;

        if (fstatvfs(fd, &sv) < 0)
                return negative_errno();
        if (sv.f_frsize > 0 && sv.f_bavail > UINT64_MAX / sv.f_frsize)
                bytes = UINT64_MAX;
        else
                bytes = (uint64_t) sv.f_bavail * sv.f_frsize;
        if (bytes < min_free_bytes)
                return 0;
        if (sv.f_files > 0 && (uint64_t) sv.f_favail < min_free_inodes)
                return 0;
        return 1;
}

void random_bytes(void *buf, size_t size) {
        unsigned char *p = buf;

        while (size > 0) {
                ssize_t n = getrandom(p, size, GRND_NONBLOCK);
                if (n > 0) {
                        p += n;
                        size -= (size_t) n;
                        continue;
                }
                if (n < 0 && errno == EINTR)
                        continue;
                /* Early boot without entropy: uniqueness, not secrecy, is
                 * all callers need. */
                uint64_t x = now_realtime_usec() ^ ((uint64_t) getpid() << 32) ^ (uintptr_t) p;
                for (; size > 0; size--, x = x * 6364136223846793005ULL + 1442695040888963407ULL)
                        *p++ = (unsigned char) (x >> 56);
        }
}

uint64_t random_u64(void) {
        uint64_t v;

        random_bytes(&v, sizeof v);
        return v;
}

#ifdef CHORUSD_TEST_HOOKS
/* CHORUSD_TEST_WALL_CLOCK_FILE=<path>: the wall clock (CLOCK_REALTIME) is
 * off by the signed number of seconds that file holds, read at every call
 * (a test steps the clock of a running daemon by rewriting it). Only in
 * builds made with TEST_HOOKS=1. */
static int64_t test_wall_clock_offset_usec(void) {
        const char *path = getenv("CHORUSD_TEST_WALL_CLOCK_FILE");
        char buf[32];
        ssize_t n;
        int fd;

        if (!path)
                return 0;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return 0;
        n = read(fd, buf, sizeof buf - 1);
        (void) close(fd);
        if (n <= 0)
                return 0;
        buf[n] = 0;
        return (int64_t) strtoll(buf, NULL, 10) * 1000000;
}
#endif

uint64_t now_clock_usec(clockid_t clock) {
        struct timespec ts;
        uint64_t usec;

        (void) clock_gettime(clock, &ts);
        usec = (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
#ifdef CHORUSD_TEST_HOOKS
        if (clock == CLOCK_REALTIME)
                usec += (uint64_t) test_wall_clock_offset_usec();
#endif
        return usec;
}

uint64_t now_realtime_usec(void) {
        return now_clock_usec(CLOCK_REALTIME);
}

char *format_timestamp_iso(uint64_t usec, char buf[static TIMESTAMP_ISO_MAX]) {
        time_t t = (time_t) (usec / 1000000u);
        struct tm tm;

        if (!gmtime_r(&t, &tm)) {
                snprintf(buf, TIMESTAMP_ISO_MAX, "invalid");
                return buf;
        }
        size_t n = strftime(buf, TIMESTAMP_ISO_MAX - 9, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf + n, TIMESTAMP_ISO_MAX - n, ".%06uZ", (unsigned) (usec % 1000000u));
        return buf;
}
