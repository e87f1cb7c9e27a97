/* fileio.h — reading a whole file that comes from outside, with a bound.
 *
 * Used for bilans (spool input, chorusctl validate) and conventions: the file
 * is opened with O_NOFOLLOW|O_CLOEXEC|O_NONBLOCK (a symlink is refused, a
 * FIFO cannot block us), must be a regular file, and at most `max` bytes are
 * ever read or allocated, whatever the file claims its size is. */
#pragma once

#include <stddef.h>

/* Reads all of `path` (relative to `dir_fd`, or AT_FDCWD) into a new
 * NUL-terminated buffer; `*ret_size` excludes the NUL. Returns 0, or
 * -EFBIG (more than `max` bytes), -ELOOP (a symlink), -EISDIR, -EBADFD
 * (neither a regular file nor a directory), -ENOMEM, or the -errno of
 * open/read (-ENOENT, -EACCES…). */
int read_file_bounded_at(int dir_fd, const char *path, size_t max, char **ret, size_t *ret_size);
int read_file_bounded(const char *path, size_t max, char **ret, size_t *ret_size);
/* Same on an open descriptor (checked to be a regular file, read from its
 * current offset). */
int read_fd_bounded(int fd, size_t max, char **ret, size_t *ret_size);
