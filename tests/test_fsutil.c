/* test_fsutil.c — the durable primitives (fsutil.h) on real files in a
 * scratch directory: atomic writes (content, mode, no temp file left, the
 * old content intact on every failure), no-replace moves, the regular-file
 * checks, SHA-256, append-only records and their tails. Failures of write,
 * fsync, rename and ftruncate are injected through fs_set_fault_hook(). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "scratch.h"

static char *dir;
static int dirfd_;

static void setup(void) {
        dir = scratch_new();
        dirfd_ = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cr_assert(dirfd_ >= 0);
}

static void teardown(void) {
        scratch_faults_off();
        close(dirfd_);
        scratch_remove(dir);
}

TestSuite(fsutil, .init = setup, .fini = teardown);

static void assert_content(const char *name, const char *expected) {
        char *got = scratch_read(dir, name);
        cr_assert(got, "%s missing", name);
        cr_assert_str_eq(got, expected);
        free(got);
}

Test(fsutil, write_atomic_creates_with_mode_and_leaves_no_temp) {
        struct stat st;
        char *p;

        umask(077); /* the mode must not depend on it */
        cr_assert_eq(write_file_atomic(dirfd_, "state", "hello\n", 6), 0);
        assert_content("state", "hello\n");
        p = scratch_path(dir, "state");
        cr_assert(stat(p, &st) == 0);
        cr_assert_eq(st.st_mode & 07777, WRITE_FILE_MODE);
        free(p);
        cr_assert_eq(scratch_count(dir), 1, "a temp file was left behind");
}

Test(fsutil, write_atomic_replaces) {
        cr_assert_eq(write_file_atomic(dirfd_, "f", "one", 3), 0);
        cr_assert_eq(write_file_atomic(dirfd_, "f", "two!", 4), 0);
        assert_content("f", "two!");
        cr_assert_eq(scratch_count(dir), 1);
}

Test(fsutil, write_atomic_noreplace) {
        scratch_write(dir, "f", "original");
        cr_assert_eq(write_file_atomic_full(dirfd_, "f", "new", 3, 0600, WRITE_FILE_NOREPLACE), -EEXIST);
        assert_content("f", "original");
        cr_assert_eq(scratch_count(dir), 1);
        cr_assert_eq(write_file_atomic_full(dirfd_, "g", "new", 3, 0600, WRITE_FILE_NOREPLACE), 0);
        assert_content("g", "new");
}

Test(fsutil, write_atomic_keep_previous) {
        cr_assert_eq(write_file_atomic_full(dirfd_, "s", "v1", 2, 0600, WRITE_FILE_KEEP_PREVIOUS), 0);
        cr_assert_not(scratch_exists(dir, "s.prev"));
        cr_assert_eq(write_file_atomic_full(dirfd_, "s", "v2", 2, 0600, WRITE_FILE_KEEP_PREVIOUS), 0);
        cr_assert_eq(write_file_atomic_full(dirfd_, "s", "v3", 2, 0600, WRITE_FILE_KEEP_PREVIOUS), 0);
        assert_content("s", "v3");
        assert_content("s.prev", "v2");
        cr_assert_eq(scratch_count(dir), 2);
}

Test(fsutil, write_atomic_bad_names) {
        cr_assert_eq(write_file_atomic(dirfd_, "", "x", 1), -EINVAL);
        cr_assert_eq(write_file_atomic(dirfd_, "a/b", "x", 1), -EINVAL);
        cr_assert_eq(write_file_atomic_full(dirfd_, "a", "x", 1, 0600,
                                            WRITE_FILE_NOREPLACE | WRITE_FILE_KEEP_PREVIOUS),
                     -EINVAL);
}

typedef struct FailCase {
        const char *label;
        FsOp op;
        unsigned fail_at;
        int error;
        int expected;
        const char *content_after; /* what "f" holds afterwards */
} FailCase;

/* Each failure before the rename leaves the old content and no temp file;
 * an fsync failure is always -EIO. A failed directory fsync comes after the
 * rename: the new content is there but the caller is told it is not durable. */
Test(fsutil, write_atomic_failures) {
        static const FailCase cases[] = {
                { "write ENOSPC", FS_OP_WRITE, 1, -ENOSPC, -ENOSPC, "old" },
                { "write EIO", FS_OP_WRITE, 1, -EIO, -EIO, "old" },
                { "file fsync", FS_OP_FSYNC, 1, -EIO, -EIO, "old" },
                { "file fsync ENOSPC", FS_OP_FSYNC, 1, -ENOSPC, -EIO, "old" },
                { "rename", FS_OP_RENAME, 1, -EXDEV, -EXDEV, "old" },
                { "directory fsync", FS_OP_FSYNC, 2, -EIO, -EIO, "new content" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                FaultPlan plan = { .op = cases[i].op, .fail_at = cases[i].fail_at, .error = cases[i].error };

                scratch_write(dir, "f", "old");
                scratch_faults(&plan);
                cr_assert_eq(write_file_atomic(dirfd_, "f", "new content", 11), cases[i].expected, "%s",
                             cases[i].label);
                scratch_faults_off();
                assert_content("f", cases[i].content_after);
                cr_assert_eq(scratch_count(dir), 1, "%s: temp file left", cases[i].label);
                cr_assert(fs_error_is_fatal(cases[i].expected) == (cases[i].expected == -EIO));
        }
}

Test(fsutil, write_atomic_survives_short_writes) {
        FaultPlan plan = { .op = FS_OP_WRITE, .fail_at = 1, .fail_count = 100, .error = 3 };
        const char *text = "a somewhat longer content, written three bytes at a time";

        scratch_faults(&plan);
        cr_assert_eq(write_file_atomic(dirfd_, "f", text, strlen(text)), 0);
        scratch_faults_off();
        assert_content("f", text);
        cr_assert_gt(plan.seen[FS_OP_WRITE], 10);
}

/* A failed save leaves the current file as it was: s keeps v1 (s.prev is
 * then a link to it), and no temporary file is left. */
Test(fsutil, keep_previous_intact_when_rename_fails) {
        FaultPlan plan = { .op = FS_OP_RENAME, .fail_at = 2, .error = -EIO };

        cr_assert_eq(write_file_atomic_full(dirfd_, "s", "v1", 2, 0600, WRITE_FILE_KEEP_PREVIOUS), 0);
        scratch_faults(&plan); /* rename 1: link of s → s.prev; rename 2: temp → s */
        cr_assert_eq(write_file_atomic_full(dirfd_, "s", "v2", 2, 0600, WRITE_FILE_KEEP_PREVIOUS), -EIO);
        scratch_faults_off();
        assert_content("s", "v1");
        assert_content("s.prev", "v1");
        cr_assert_eq(scratch_count(dir), 2, "a temporary file was left");
}

/* Counts, at every rename of a save, whether "s" is there. */
static int check_s_present(FsOp op, int fd, void *userdata) {
        unsigned *missing = userdata;
        struct stat st;

        (void) fd;
        if (op == FS_OP_RENAME && fstatat(dirfd_, "s", &st, AT_SYMLINK_NOFOLLOW) < 0)
                (*missing)++;
        return 0;
}

/* While a save replaces s, s never goes missing: the previous version is
 * kept as s.prev through a hard link, not by moving s away. A reader next
 * to the writer (chorusctl status) always finds the current file. */
Test(fsutil, keep_previous_never_removes_the_current_file) {
        unsigned missing = 0;

        cr_assert_eq(write_file_atomic_full(dirfd_, "s", "v1", 2, 0600, WRITE_FILE_KEEP_PREVIOUS), 0);
        fs_set_fault_hook(check_s_present, &missing);
        cr_assert_eq(write_file_atomic_full(dirfd_, "s", "v2", 2, 0600, WRITE_FILE_KEEP_PREVIOUS), 0);
        cr_assert_eq(write_file_atomic_full(dirfd_, "s", "v3", 2, 0600, WRITE_FILE_KEEP_PREVIOUS), 0);
        fs_set_fault_hook(NULL, NULL);
        cr_expect_eq(missing, 0, "s was missing at %u rename(s) of a save", missing);
        assert_content("s", "v3");
        assert_content("s.prev", "v2");
        cr_assert_eq(scratch_count(dir), 2, "a temporary file was left");
}

Test(fsutil, move_file_noreplace) {
        int sub;

        cr_assert(mkdirat(dirfd_, "sub", 0755) == 0);
        sub = openat(dirfd_, "sub", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cr_assert(sub >= 0);
        scratch_write(dir, "a", "A");
        scratch_write(dir, "sub/b", "B");

        cr_assert_eq(move_file(dirfd_, "a", sub, "b", MOVE_FILE_NOREPLACE), -EEXIST);
        assert_content("a", "A");
        assert_content("sub/b", "B");

        cr_assert_eq(move_file(dirfd_, "a", sub, "a", MOVE_FILE_NOREPLACE), 0);
        cr_assert_not(scratch_exists(dir, "a"));
        assert_content("sub/a", "A");

        /* Without the flag, rename replaces (used for nothing in the spool). */
        cr_assert_eq(move_file(sub, "a", sub, "b", 0), 0);
        assert_content("sub/b", "A");
        close(sub);
}

Test(fsutil, move_file_moves_symlink_itself) {
        char target[512], *link_path;
        ssize_t n;

        scratch_write(dir, "target", "secret");
        cr_assert(symlinkat("target", dirfd_, "link") == 0);
        cr_assert(mkdirat(dirfd_, "out", 0755) == 0);
        int out = openat(dirfd_, "out", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cr_assert_eq(move_file(dirfd_, "link", out, "link", MOVE_FILE_NOREPLACE), 0);
        link_path = scratch_path(dir, "out/link");
        n = readlink(link_path, target, sizeof target - 1);
        cr_assert_eq(n, 6);
        assert_content("target", "secret");
        free(link_path);
        close(out);
}

Test(fsutil, move_file_fsync_failure_is_fatal) {
        FaultPlan plan = { .op = FS_OP_FSYNC, .fail_at = 1, .error = -EIO };
        int sub;

        cr_assert(mkdirat(dirfd_, "sub", 0755) == 0);
        sub = openat(dirfd_, "sub", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        scratch_write(dir, "a", "A");
        scratch_faults(&plan);
        cr_assert_eq(move_file(dirfd_, "a", sub, "a", MOVE_FILE_NOREPLACE), -EIO);
        scratch_faults_off();
        cr_assert_eq(plan.seen[FS_OP_RENAME], 1);
        close(sub);
}

Test(fsutil, check_regular) {
        struct stat st;

        scratch_write(dir, "small", "12345");
        cr_assert(symlinkat("small", dirfd_, "link") == 0);
        cr_assert(mkdirat(dirfd_, "d", 0755) == 0);
        cr_assert(mkfifoat(dirfd_, "fifo", 0600) == 0);

        cr_assert_eq(fs_check_regular_at(dirfd_, "small", 5, &st), 0);
        cr_assert_eq(st.st_size, 5);
        cr_assert_eq(fs_check_regular_at(dirfd_, "small", 4, &st), -EFBIG);
        cr_assert_eq(st.st_size, 5, "the stat is returned with -EFBIG");
        cr_assert_eq(fs_check_regular_at(dirfd_, "small", 0, NULL), 0);
        cr_assert_eq(fs_check_regular_at(dirfd_, "link", 0, NULL), -ELOOP);
        cr_assert_eq(fs_check_regular_at(dirfd_, "d", 0, NULL), -EISDIR);
        cr_assert_eq(fs_check_regular_at(dirfd_, "fifo", 0, NULL), -EBADFD);
        cr_assert_eq(fs_check_regular_at(dirfd_, "missing", 0, NULL), -ENOENT);
        cr_assert_eq(fs_open_regular(dirfd_, "fifo", 0), -EBADFD);
        cr_assert_eq(fs_open_regular(dirfd_, "link", 0), -ELOOP);
        int fd = fs_open_regular(dirfd_, "small", 0);
        cr_assert(fd >= 0);
        close(fd);
}

Test(fsutil, sha256) {
        char hex[SHA256_HEX_SIZE];

        cr_assert_eq(sha256_hex("abc", 3, hex), 0);
        cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        cr_assert_eq(sha256_hex("", 0, hex), 0);
        cr_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        scratch_write(dir, "abc", "abc");
        cr_assert_eq(sha256_file_at(dirfd_, "abc", hex), 0);
        cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        cr_assert(sha256_hex_is_valid(hex));
        cr_assert_not(sha256_hex_is_valid("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
        cr_assert_not(sha256_hex_is_valid("abc"));
        cr_assert_not(sha256_hex_is_valid(NULL));
}

static int open_log(const char *name) {
        int fd = openat(dirfd_, name, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        cr_assert(fd >= 0);
        return fd;
}

Test(fsutil, read_and_flock_wrappers) {
        int fds[2], other;
        char buf[8];

        cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
        cr_assert_eq(write(fds[1], "abc", 3), 3);
        cr_expect_eq(fs_read(fds[0], buf, sizeof buf), 3, "a short read is returned as is");
        cr_expect_eq(memcmp(buf, "abc", 3), 0);
        close(fds[1]);
        cr_expect_eq(fs_read(fds[0], buf, sizeof buf), 0, "end of file");
        close(fds[0]);
        cr_expect_eq(fs_read(fds[0], buf, sizeof buf), -EBADF);

        scratch_write(dir, "lock", "");
        other = openat(dirfd_, "lock", O_RDONLY | O_CLOEXEC);
        cr_assert_geq(other, 0);
        cr_expect_eq(fs_flock(other, LOCK_EX | LOCK_NB), 0);
        fds[0] = openat(dirfd_, "lock", O_RDONLY | O_CLOEXEC);
        cr_assert_geq(fds[0], 0);
        cr_expect_eq(fs_flock(fds[0], LOCK_EX | LOCK_NB), -EWOULDBLOCK, "held by the other open file");
        cr_expect_eq(fs_flock(other, LOCK_UN), 0);
        cr_expect_eq(fs_flock(fds[0], LOCK_EX | LOCK_NB), 0);
        close(fds[0]);
        close(other);
        cr_expect_eq(fs_flock(other, LOCK_EX), -EBADF);
}

Test(fsutil, append_record_and_short_write) {
        FaultPlan plan = { .op = FS_OP_WRITE, .fail_at = 1, .error = 4 };
        uint64_t good = 0;
        int fd = open_log("log");

        cr_assert_eq(fs_append_record(fd, &good, "one\n", 4, "log"), 0);
        cr_assert_eq(good, 4);
        scratch_faults(&plan);
        cr_assert_eq(fs_append_record(fd, &good, "two two\n", 8, "log"), -ENOSPC);
        scratch_faults_off();
        cr_assert_eq(good, 4);
        assert_content("log", "one\n"); /* the 4 bytes written were cut back */
        cr_assert_eq(fs_append_record(fd, &good, "three\n", 6, "log"), 0);
        assert_content("log", "one\nthree\n");
        close(fd);
}

Test(fsutil, append_record_write_and_sync_failures) {
        FaultPlan sync = { .op = FS_OP_FDATASYNC, .fail_at = 1, .error = -EIO };
        FaultPlan wr = { .op = FS_OP_WRITE, .fail_at = 1, .error = -EDQUOT };
        uint64_t good = 0;
        int fd = open_log("log");

        scratch_faults(&wr);
        cr_assert_eq(fs_append_record(fd, &good, "a\n", 2, "log"), -EDQUOT);
        scratch_faults_off();
        cr_assert_eq(good, 0);
        assert_content("log", "");

        scratch_faults(&sync);
        cr_assert_eq(fs_append_record(fd, &good, "b\n", 2, "log"), -EIO);
        scratch_faults_off();
        cr_assert_eq(good, 0, "not counted as written when it may not be durable");
        close(fd);
}

static int fail_write_and_truncate(FsOp op, int fd, void *userdata) {
        (void) fd;
        (void) userdata;
        if (op == FS_OP_WRITE)
                return 1; /* one byte only */
        if (op == FS_OP_FTRUNCATE)
                return -EROFS;
        return 0;
}

Test(fsutil, append_record_unrepairable_short_write_is_fatal) {
        uint64_t good = 0;
        int fd = open_log("log");

        fs_set_fault_hook(fail_write_and_truncate, NULL);
        cr_assert_eq(fs_append_record(fd, &good, "abc\n", 4, "log"), -EIO);
        fs_set_fault_hook(NULL, NULL);
        close(fd);
}

typedef struct TailCase {
        const char *label;
        const char *content;
        int ret;
        uint64_t good_size;
        uint64_t torn;
        const char *last; /* NULL = no last line */
} TailCase;

Test(fsutil, read_tail) {
        static const TailCase cases[] = {
                { "empty", "", 0, 0, 0, NULL },
                { "one line", "abc\n", 0, 4, 0, "abc" },
                { "two lines", "abc\ndef\n", 0, 8, 0, "def" },
                { "torn tail", "abc\ndef\ngh", 0, 8, 2, "def" },
                { "only a torn line", "abcdef", 0, 0, 6, NULL },
                { "empty last line", "abc\n\n", 0, 5, 0, "" },
                { "torn line too long", "abc\n0123456789012345678901234567890123456789", -EBADMSG, 0, 0, NULL },
                { "line too long", "0123456789012345678901234567890123456789\n", -EBADMSG, 0, 0, NULL },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                FsTail tail = FS_TAIL_INIT;
                int fd;

                scratch_write(dir, "t", cases[i].content);
                fd = open_log("t");
                cr_assert_eq(fs_read_tail(fd, 16, &tail), cases[i].ret, "%s", cases[i].label);
                if (cases[i].ret == 0) {
                        cr_assert_eq(tail.good_size, cases[i].good_size, "%s", cases[i].label);
                        cr_assert_eq(tail.torn_bytes, cases[i].torn, "%s", cases[i].label);
                        if (cases[i].last)
                                cr_assert_str_eq(tail.last_line, cases[i].last, "%s", cases[i].label);
                        else
                                cr_assert_null(tail.last_line, "%s", cases[i].label);
                }
                fs_tail_done(&tail);
                close(fd);
        }
}

Test(fsutil, open_append) {
        FaultPlan plan = { .op = FS_OP_FSYNC, .fail_at = 1, .error = -EIO };
        struct stat st;
        int fd;

        umask(077); /* the mode must not depend on it */
        fd = fs_open_append(dirfd_, "log", 0640);
        cr_assert_geq(fd, 0);
        cr_assert(fstat(fd, &st) == 0);
        cr_assert_eq(st.st_mode & 07777, 0640);
        cr_assert_eq(write(fd, "a\n", 2), 2);
        close(fd);
        scratch_faults(&plan);
        fd = fs_open_append(dirfd_, "log", 0640);
        scratch_faults_off();
        cr_assert_geq(fd, 0, "an existing log: no folder fsync to fail");
        cr_assert_eq(write(fd, "b\n", 2), 2);
        close(fd);
        assert_content("log", "a\nb\n");

        cr_assert(symlinkat("log", dirfd_, "link") == 0);
        cr_assert(mkfifoat(dirfd_, "fifo", 0600) == 0);
        cr_assert(mkdirat(dirfd_, "d", 0755) == 0);
        cr_assert_eq(fs_open_append(dirfd_, "link", 0640), -ELOOP);
        cr_assert_eq(fs_open_append(dirfd_, "fifo", 0640), -EBADFD);
        cr_assert_eq(fs_open_append(dirfd_, "d", 0640), -EISDIR);
        scratch_faults(&plan);
        cr_assert_eq(fs_open_append(dirfd_, "new", 0640), -EIO, "a new log's folder fsync failed");
        scratch_faults_off();
}

Test(fsutil, cut_torn_tail) {
        FaultPlan plan = { .op = FS_OP_FSYNC, .fail_at = 1, .error = -EIO };
        FsTail tail = FS_TAIL_INIT;
        uint64_t good;
        int fd;

        scratch_write(dir, "t", "abc\ndef\ngh");
        fd = open_log("t");
        cr_assert_eq(fs_read_tail(fd, 16, &tail), 0);
        scratch_faults(&plan);
        cr_assert_eq(fs_cut_torn_tail(fd, &tail, "t"), -EIO, "a failed fsync of the cut is fatal");
        scratch_faults_off();
        cr_assert_eq(fs_cut_torn_tail(fd, &tail, "t"), 0);
        assert_content("t", "abc\ndef\n");
        good = tail.good_size;
        cr_assert_eq(fs_append_record(fd, &good, "ij\n", 3, "t"), 0);
        assert_content("t", "abc\ndef\nij\n");
        fs_tail_done(&tail);
        cr_assert_eq(fs_read_tail(fd, 16, &tail), 0);
        cr_assert_eq(fs_cut_torn_tail(fd, &tail, "t"), 0, "nothing torn: nothing done");
        assert_content("t", "abc\ndef\nij\n");
        fs_tail_done(&tail);
        close(fd);
}

/* A NUL byte in the last line (a damaged file, found by tests/fuzz/fuzz_audit):
 * last_line must still hold last_line_len bytes, which the audit log reads. */
Test(fsutil, read_tail_nul_byte) {
        FsTail tail = FS_TAIL_INIT;
        int fd = open_log("nul");

        cr_assert(write(fd, "abc\n{\"a\0b\"}\n", 12) == 12);
        cr_assert_eq(fs_read_tail(fd, 16, &tail), 0);
        cr_assert_eq(tail.last_line_len, 7);
        cr_assert(memcmp(tail.last_line, "{\"a\0b\"}", 8) == 0, "the whole line, NUL-terminated");
        fs_tail_done(&tail);
        close(fd);
}

/* A large file: only its end is read, so a damaged start does not matter. */
Test(fsutil, read_tail_reads_only_the_end) {
        FsTail tail = FS_TAIL_INIT;
        int fd = open_log("big");
        char line[32];

        cr_assert(write(fd, "\x01\x02 not a line of ours, far too long for max_line ...", 52) == 52);
        for (int i = 0; i < 10000; i++) {
                int n = snprintf(line, sizeof line, "line %05d\n", i);
                cr_assert(write(fd, line, (size_t) n) == n);
        }
        cr_assert_eq(fs_read_tail(fd, 16, &tail), 0);
        cr_assert_str_eq(tail.last_line, "line 09999");
        fs_tail_done(&tail);
        close(fd);
}

Test(fsutil, has_room) {
        struct statvfs sv;

        cr_assert_eq(fs_has_room(dirfd_, 0, 0), 1);
        cr_assert_eq(fs_has_room(dirfd_, UINT64_MAX, 0), 0);
        cr_assert(fstatvfs(dirfd_, &sv) == 0);
        /* btrfs and some others keep no inode count: that part then passes. */
        cr_assert_eq(fs_has_room(dirfd_, 0, UINT64_MAX), sv.f_files > 0 ? 0 : 1);
}

Test(fsutil, timestamps) {
        char buf[TIMESTAMP_ISO_MAX];

        cr_assert_str_eq(format_timestamp_iso(UINT64_C(1797000000123456), buf), "2026-12-11T14:40:00.123456Z");
        cr_assert_str_eq(format_timestamp_iso(0, buf), "1970-01-01T00:00:00.000000Z");
}

Test(fsutil, open_dir_creates) {
        int fd = fs_open_dir(dirfd_, "new", true);

        cr_assert(fd >= 0);
        close(fd);
        cr_assert(scratch_exists(dir, "new"));
        cr_assert_eq(fs_open_dir(dirfd_, "missing", false), -ENOENT);
        scratch_write(dir, "file", "x");
        cr_assert_eq(fs_open_dir(dirfd_, "file", false), -ENOTDIR);
}

/* A folder it creates is made durable in its parent (fsync of the parent);
 * opening one that exists syncs nothing. */
Test(fsutil, open_dir_fsyncs_the_parent_of_a_new_folder) {
        FaultPlan plan = { .op = FS_OP_FSYNC, .fail_at = 1, .error = -EIO };
        int fd;

        scratch_faults(&plan);
        cr_assert_eq(fs_open_dir(dirfd_, "new", true), -EIO);
        scratch_faults_off();
        cr_assert_eq(plan.seen[FS_OP_FSYNC], 1);
        scratch_faults(&plan);
        fd = fs_open_dir(dirfd_, "new", true);
        scratch_faults_off();
        cr_assert_geq(fd, 0, "an existing folder: no fsync to fail");
        cr_assert_eq(plan.seen[FS_OP_FSYNC], 0);
        close(fd);
}

/* Run as root (chorusctl by hand), new files and folders take the owner of
 * the folder they are in, so the daemon's user keeps access. */
Test(fsutil, root_creates_files_for_the_folder_owner) {
        struct stat st;
        char *p;
        int sub, fd;

        if (geteuid() != 0)
                cr_skip_test("needs root to create files for another user");
        cr_assert(mkdirat(dirfd_, "state", 0750) == 0);
        cr_assert(fchownat(dirfd_, "state", 65534, 65534, 0) == 0);
        sub = openat(dirfd_, "state", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cr_assert_eq(write_file_atomic(sub, "f", "x", 1), 0);
        fd = fs_open_dir(sub, "jobs", true);
        cr_assert(fd >= 0);
        close(fd);
        for (const char *const *n = (const char *const[]){ "state/f", "state/jobs", NULL }; *n; n++) {
                p = scratch_path(dir, *n);
                cr_assert(stat(p, &st) == 0);
                cr_assert_eq(st.st_uid, 65534, "%s", *n);
                cr_assert_eq(st.st_gid, 65534, "%s", *n);
                free(p);
        }
        close(sub);
}

/* The grouped forms: what each costs in syncs (fs_sync_count, which the
 * metrics file shows), and that they still write or move. */
Test(fsutil, sync_counts_of_grouped_writes_and_moves) {
        uint64_t before = fs_sync_count(), good = 0;
        int sub, fd;

        cr_assert_eq(write_file_atomic(dirfd_, "full", "1", 1), 0);
        cr_expect_eq(fs_sync_count() - before, 2, "the content and the folder");
        before = fs_sync_count();
        cr_assert_eq(write_file_atomic_full(dirfd_, "lazy", "2", 1, WRITE_FILE_MODE, WRITE_FILE_NO_DIR_SYNC), 0);
        cr_expect_eq(fs_sync_count() - before, 1, "the content only");
        assert_content("lazy", "2");
        before = fs_sync_count();
        cr_assert_eq(write_file_atomic_full(dirfd_, "lazy", "3", 1, WRITE_FILE_MODE,
                                            WRITE_FILE_KEEP_PREVIOUS | WRITE_FILE_NO_DIR_SYNC), 0);
        cr_expect_eq(fs_sync_count() - before, 1);
        assert_content("lazy", "3");
        assert_content("lazy.prev", "2");
        before = fs_sync_count();
        cr_assert_eq(write_file_atomic_full(dirfd_, "preview", "p", 1, WRITE_FILE_MODE, WRITE_FILE_NO_SYNC), 0);
        cr_assert_eq(write_file_atomic_full(dirfd_, "preview", "q", 1, WRITE_FILE_MODE, WRITE_FILE_NO_SYNC), 0);
        cr_expect_eq(fs_sync_count(), before, "a preview is not synced");
        assert_content("preview", "q");
        cr_expect_eq(write_file_atomic_full(dirfd_, "x", "4", 1, WRITE_FILE_MODE, 1 << 7), -EINVAL);

        cr_assert(mkdirat(dirfd_, "sub", 0755) == 0);
        sub = openat(dirfd_, "sub", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cr_assert(sub >= 0);
        before = fs_sync_count();
        cr_assert_eq(move_file(dirfd_, "full", sub, "full", MOVE_FILE_NOREPLACE | MOVE_FILE_NO_SYNC), 0);
        cr_assert_eq(move_file(dirfd_, "lazy", sub, "lazy", MOVE_FILE_NOREPLACE | MOVE_FILE_NO_SYNC), 0);
        cr_expect_eq(fs_sync_count(), before, "the caller syncs the folders");
        assert_content("sub/full", "1");
        cr_assert_eq(move_file(sub, "full", dirfd_, "full", MOVE_FILE_NOREPLACE), 0);
        cr_expect_eq(fs_sync_count() - before, 2, "both folders");
        close(sub);

        fd = open_log("log");
        before = fs_sync_count();
        cr_assert_eq(fs_append_record_nosync(fd, &good, "one\n", 4, "log"), 0);
        cr_assert_eq(fs_append_record_nosync(fd, &good, "two\n", 4, "log"), 0);
        cr_expect_eq(fs_sync_count(), before);
        cr_expect_eq(good, 8);
        cr_assert_eq(fs_append_record(fd, &good, "three\n", 6, "log"), 0);
        cr_expect_eq(fs_sync_count() - before, 1);
        assert_content("log", "one\ntwo\nthree\n");
        close(fd);
}
