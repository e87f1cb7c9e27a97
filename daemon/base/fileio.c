/* fileio.c — bounded reads of whole files that come from outside (see
 * fileio.h). Postfix's mail_open_ok and systemd's read_full_file_full are
 * the models: refuse symlinks and anything but a regular file, and never
 * trust st_size for the amount to read. Fails with -errno; logs nothing. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/fsutil.h"
#include "base/macro.h"

int read_fd_bounded(int fd, size_t max, char **ret, size_t *ret_size) {
        _cleanup_(freep) char *buf = NULL;
        size_t size = 0, allocated;
        struct stat st;

        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;

        /* st_size is a hint (the file may grow while we read): start there,
         * grow when needed, and read at most max + 1 bytes, the extra byte
         * telling an over-long file from one exactly `max` long. */
        allocated = st.st_size > 0 ? (size_t) st.st_size + 2 : 4096;
        if (allocated > max + 2)
                allocated = max + 2;
        buf = malloc(allocated);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n;

                if (size + 1 >= allocated) {
                        size_t bigger = allocated * 2 > max + 2 ? max + 2 : allocated * 2;
                        char *p;

                        if (bigger <= allocated)
                                return -EFBIG;
                        p = realloc(buf, bigger);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                        allocated = bigger;
                }
                n = fs_read(fd, buf + size, allocated - 1 - size);
                if (n < 0)
                        return (int) n;
                if (n == 0)
                        break;
                size += (size_t) n;
                if (size > max)
                        return -EFBIG;
        }
        buf[size] = '\0';
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = size;
        return 0;
}

int read_file_bounded_at(int dir_fd, const char *path, size_t max, char **ret, size_t *ret_size) {
        _cleanup_(closep) int fd = -1;

        fd = openat(dir_fd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        return read_fd_bounded(fd, max, ret, ret_size);
}

int read_file_bounded(const char *path, size_t max, char **ret, size_t *ret_size) {
        return read_file_bounded_at(AT_FDCWD, path, max, ret, ret_size);
}
