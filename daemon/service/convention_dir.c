/* convention_dir.c — reads conventions.d/ (see convention_dir.h): the file
 * and directory side of the conventions, whose parsing is pure and lives in
 * core/convention.c. Reads are bounded, take no symlink and regular files
 * only. Failures: -EINVAL with diagnostics, -ENOMEM, or the -errno of the
 * directory or file. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fileio.h"
#include "base/macro.h"
#include "service/convention_dir.h"

/* A read failure as a diagnostic on `file`; returns r. */
static int report_read_error(Diagnostics *diags, const char *file, int r, size_t max) {
        if (r == -ENOMEM)
                return r;
        if (r == -EFBIG)
                diag_error(diags, file, NULL, "the file is larger than %zu bytes", max);
        else if (r == -ELOOP)
                diag_error(diags, file, NULL, "is a symbolic link; put the file itself here");
        else if (r == -EBADFD || r == -EISDIR)
                diag_error(diags, file, NULL, "is not a regular file");
        else
                diag_error(diags, file, NULL, "cannot be read: %s", strerror(-r));
        return r;
}

static int load_at(int dir_fd, const char *name, const char *file, Convention **ret, Diagnostics *diags) {
        _cleanup_(freep) char *data = NULL;
        size_t size;
        int r;

        r = read_file_bounded_at(dir_fd, name, CONVENTION_FILE_MAX, &data, &size);
        if (r < 0)
                return report_read_error(diags, file, r, CONVENTION_FILE_MAX);
        return convention_parse(file, data, size, ret, diags);
}

int convention_load_file(const char *path, Convention **ret, Diagnostics *diags) {
        return load_at(AT_FDCWD, path, path, ret, diags);
}

static bool is_convention_file_name(const char *name) {
        size_t n = strlen(name);

        return name[0] != '.' && n > strlen(".json") && streq(name + n - strlen(".json"), ".json");
}

static int compare_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The sorted names of the *.json files in `d` (NULL-terminated). */
static int list_convention_files(DIR *d, char ***ret) {
        _cleanup_(strv_freep) char **names = NULL;
        size_t n = 0;
        struct dirent *de;

        errno = 0;
        while ((de = readdir(d))) {
                char **grown;

                if (!is_convention_file_name(de->d_name))
                        continue;
                grown = realloc(names, (n + 2) * sizeof(char *));
                if (!grown)
                        return -ENOMEM;
                names = grown;
                names[n] = strdup(de->d_name);
                if (!names[n])
                        return -ENOMEM;
                names[++n] = NULL;
        }
        if (errno != 0)
                return negative_errno();
        if (names)
                qsort(names, n, sizeof(char *), compare_names);
        *ret = TAKE_PTR(names);
        return 0;
}

/* Loads one file into the set. Returns -ENOMEM, or whether it was valid. */
static int set_load_one(ConventionSet *s, int dir_fd, const char *dir, const char *name, Diagnostics *diags) {
        _cleanup_(freep) char *file = NULL;
        Convention *conv = NULL;
        int r;

        if (asprintf(&file, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        r = load_at(dir_fd, name, file, &conv, diags);
        if (r < 0)
                return r;
        return convention_set_add(s, conv, diags);
}

int convention_set_load_dir(const char *dir, ConventionSet **ret, Diagnostics *diags) {
        _cleanup_(convention_set_freep) ConventionSet *s = NULL;
        _cleanup_(strv_freep) char **names = NULL;
        bool failed = false;
        DIR *d;
        int fd, r;

        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        d = fdopendir(fd);
        if (!d) {
                r = negative_errno();
                safe_close(fd);
                return r;
        }
        r = list_convention_files(d, &names);
        if (r >= 0) {
                s = calloc(1, sizeof(ConventionSet));
                if (!s)
                        r = -ENOMEM;
        }
        for (size_t i = 0; r >= 0 && names && names[i]; i++) {
                r = set_load_one(s, dirfd(d), dir, names[i], diags);
                if (r < 0 && r != -ENOMEM) {
                        failed = true;
                        r = 0;
                }
        }
        closedir(d);
        if (r < 0)
                return r;
        if (failed)
                return -EINVAL;
        if (s->n_items == 0)
                diag_warning(diags, dir, NULL, "no convention (*.json) in this directory: every bilan will be rejected");
        *ret = TAKE_PTR(s);
        return 0;
}
