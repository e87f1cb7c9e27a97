/* test_fileio.c — bounded reads of outside files (fileio.h): exact bounds,
 * files whose st_size lies, and everything that is not a regular file. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/macro.h"

static char dir[] = "/tmp/test-fileio-XXXXXX";

static void setup(void) {
        cr_assert_not_null(mkdtemp(dir));
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st, (void) flag, (void) ftw;
        return remove(path);
}

static void teardown(void) {
        nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

TestSuite(fileio, .init = setup, .fini = teardown);

/* Writes `size` bytes of 'x' to dir/name; returns the path (malloc'd). */
static char *make_file(const char *name, size_t size) {
        char *path = NULL;
        FILE *f;

        cr_assert_geq(asprintf(&path, "%s/%s", dir, name), 0);
        f = fopen(path, "we");
        cr_assert_not_null(f);
        for (size_t i = 0; i < size; i++)
                fputc('x', f);
        cr_assert_eq(fclose(f), 0);
        return path;
}

Test(fileio, bounds) {
        static const struct {
                size_t size, max;
                int ret;
        } cases[] = {
                { 0, 10, 0 },       { 10, 10, 0 },          { 11, 10, -EFBIG },   { 1, 0, -EFBIG },
                { 0, 0, 0 },        { 5000, 4096, -EFBIG }, { 100000, 100000, 0 }, { 100001, 100000, -EFBIG },
                { 4095, 1 << 20, 0 }, { 4096, 1 << 20, 0 }, { 4097, 1 << 20, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(freep) char *path = make_file("f", cases[i].size);
                char *buf = NULL;
                size_t size = 0;
                int r = read_file_bounded(path, cases[i].max, &buf, &size);

                cr_expect_eq(r, cases[i].ret, "%zu bytes, max %zu: %d", cases[i].size, cases[i].max, r);
                if (r == 0) {
                        cr_expect_eq(size, cases[i].size);
                        cr_expect_eq(buf[size], '\0', "NUL-terminated");
                        cr_expect_eq(strspn(buf, "x"), size);
                } else
                        cr_expect_null(buf, "output set on failure");
                free(buf);
        }
}

/* st_size 0 but content: /proc files. The size hint must not be trusted. */
Test(fileio, size_hint_is_not_trusted) {
        char *buf = NULL;
        size_t size = 0;

        cr_assert_eq(read_file_bounded("/proc/self/maps", 1 << 20, &buf, &size), 0);
        cr_expect_gt(size, 0);
        cr_expect_eq(strlen(buf), size);
        free(buf);
        cr_expect_eq(read_file_bounded("/proc/self/maps", 10, &buf, &size), -EFBIG);
}

Test(fileio, not_regular_files) {
        _cleanup_(freep) char *target = make_file("target", 3);
        _cleanup_(freep) char *link = NULL, *fifo = NULL, *sub = NULL;
        char *buf = NULL;
        size_t size;

        cr_assert_geq(asprintf(&link, "%s/link", dir), 0);
        cr_assert_eq(symlink(target, link), 0);
        cr_expect_eq(read_file_bounded(link, 100, &buf, &size), -ELOOP);
        cr_assert_geq(asprintf(&fifo, "%s/fifo", dir), 0);
        cr_assert_eq(mkfifo(fifo, 0600), 0);
        cr_expect_eq(read_file_bounded(fifo, 100, &buf, &size), -EBADFD, "a FIFO neither blocks nor reads");
        cr_assert_geq(asprintf(&sub, "%s/sub", dir), 0);
        cr_assert_eq(mkdir(sub, 0700), 0);
        cr_expect_eq(read_file_bounded(sub, 100, &buf, &size), -EISDIR);
        cr_expect_eq(read_file_bounded("/dev/null", 100, &buf, &size), -EBADFD);
        cr_expect_eq(read_file_bounded("/nonexistent/x", 100, &buf, &size), -ENOENT);
        cr_expect_null(buf);
}

Test(fileio, at_and_fd) {
        _cleanup_(freep) char *path = make_file("g", 6);
        _cleanup_(closep) int dfd = -1, fd = -1;
        _cleanup_(freep) char *a = NULL, *b = NULL;
        size_t size;

        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cr_assert_geq(dfd, 0);
        cr_expect_eq(read_file_bounded_at(dfd, "g", 6, &a, &size), 0);
        cr_expect_eq(size, 6);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        cr_assert_geq(fd, 0);
        cr_assert_eq(lseek(fd, 2, SEEK_SET), 2);
        cr_expect_eq(read_fd_bounded(fd, 4, &b, NULL), 0, "from the current offset, size may be NULL");
        cr_expect_str_eq(b, "xxxx");
}
