/* templates.c — keeps modele-bilan-ID.ods and .xlsx of every loaded
 * convention in [spool] templates_dir (see templates.h).
 *
 * A template is compared with the file already there before anything is
 * written, so that a restart or a reload that changes nothing leaves the
 * files (and the staff's open copies, and their mtimes) alone. Everything
 * fails softly: a warning naming the file, then the next file. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/fileio.h"
#include "base/fsutil.h"
#include "base/log.h"
#include "service/convention_dir.h"
#include "service/templates.h"
#include "writers/bilan_template.h"

#define TEMPLATE_MODE 0644
#define TEMPLATE_DIR_MODE 0755
/* Far above what bilan_template_write() makes (tens of KiB): a larger file
 * of that name is not ours as it is, and is replaced. */
#define TEMPLATE_COMPARE_MAX (4 * 1024 * 1024)

static const WorkbookFormat formats[] = { WORKBOOK_ODS, WORKBOOK_XLSX };

/* Opens the folder, making it (0755, keeping an inherited setgid bit) when
 * it is missing. */
static int templates_open_dir(const char *path) {
        _cleanup_(closep) int fd = -1;
        struct stat st;

        fd = fs_open_dir(AT_FDCWD, path, /* create= */ false);
        if (fd != -ENOENT)
                return TAKE_FD(fd);
        if (mkdir(path, TEMPLATE_DIR_MODE) < 0 && errno != EEXIST)
                return negative_errno();
        fd = fs_open_dir(AT_FDCWD, path, /* create= */ false);
        if (fd < 0)
                return fd;
        /* UMask= of the unit took the bits for others away. */
        if (fstat(fd, &st) < 0 || fchmod(fd, (st.st_mode & S_ISGID) | TEMPLATE_DIR_MODE) < 0)
                return negative_errno();
        log_info("Created the templates folder '%s'.", path);
        return TAKE_FD(fd);
}

/* 1 if `name` in dirfd holds exactly data with mode TEMPLATE_MODE, 0 if
 * not (or missing), -errno on a read error. */
static int template_is_current(int dirfd, const char *name, const char *data, size_t size) {
        _cleanup_(freep) char *old = NULL;
        size_t old_size;
        struct stat st;
        int r;

        r = fs_check_regular_at(dirfd, name, TEMPLATE_COMPARE_MAX, &st);
        if (r == -ENOENT || r == -EFBIG)
                return 0;
        if (r < 0)
                return r;
        if ((st.st_mode & 07777) != TEMPLATE_MODE || (uint64_t) st.st_size != size)
                return 0;
        r = read_file_bounded_at(dirfd, name, TEMPLATE_COMPARE_MAX, &old, &old_size);
        if (r < 0)
                return r;
        return old_size == size && memcmp(old, data, size) == 0;
}

static int template_refresh_one(int dirfd, const char *dir, const Convention *c, const TemplateInfo *info,
                                WorkbookFormat format, TemplatesStats *stats) {
        _cleanup_(freep) char *data = NULL, *name = NULL;
        size_t size;
        int r;

        if (asprintf(&name, "%s%s%s", BILAN_TEMPLATE_PREFIX, c->id, bilan_template_extension(format)) < 0) {
                name = NULL;
                return log_oom();
        }
        r = bilan_template_write(c, info, format, &data, &size);
        if (r < 0)
                return log_warning_errno(r, "Failed to make the template '%s', ignoring: %m", name);
        r = template_is_current(dirfd, name, data, size);
        if (r > 0) {
                stats->unchanged++;
                return 0;
        }
        if (r < 0)
                log_debug_errno(r, "Cannot read '%s/%s' (%m): writing it again.", dir, name);
        r = write_file_atomic_full(dirfd, name, data, size, TEMPLATE_MODE, 0);
        if (r < 0)
                return log_warning_errno(r, "Failed to write the template '%s/%s', ignoring: %m", dir, name);
        stats->written++;
        log_info("Template '%s/%s' written.", dir, name);
        return 0;
}

/* The convention id of a template file name, or NULL: "modele-bilan-" +
 * id + ".ods" or ".xlsx". Writes into buf. */
static const char *template_name_id(const char *name, char buf[static NAME_MAX + 1]) {
        size_t prefix = strlen(BILAN_TEMPLATE_PREFIX), n = strlen(name);

        if (n <= prefix || strncmp(name, BILAN_TEMPLATE_PREFIX, prefix) != 0)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(formats); i++) {
                const char *ext = bilan_template_extension(formats[i]);
                size_t e = strlen(ext);

                if (n > prefix + e && streq(name + n - e, ext)) {
                        memcpy(buf, name + prefix, n - prefix - e);
                        buf[n - prefix - e] = 0;
                        return buf;
                }
        }
        return NULL;
}

/* Deletes the templates of conventions that are no longer loaded. */
static int templates_remove_stale(int dirfd, const char *dir, ConventionSet *conventions,
                                  TemplatesStats *stats) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        bool removed = false;
        int r, first = 0;

        r = fs_opendir_at(dirfd, &d);
        if (r < 0)
                return log_warning_errno(r, "Failed to list the templates folder '%s', ignoring: %m", dir);
        while ((r = fs_readdir(d, &de)) > 0) {
                char id[NAME_MAX + 1];

                if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
                        continue;
                if (!template_name_id(de->d_name, id))
                        continue;
                bool configured = convention_set_find(conventions, id);
                convention_set_forget(conventions, CONVENTIONS_KEPT);
                if (configured)
                        continue;
                if (unlinkat(dirfd, de->d_name, 0) < 0) {
                        r = negative_errno();
                        stats->failed++;
                        log_warning_errno(r, "Failed to remove the old template '%s/%s', ignoring: %m", dir,
                                          de->d_name);
                        if (first == 0)
                                first = r;
                        continue;
                }
                stats->removed++;
                removed = true;
                log_info("Template '%s/%s' removed: convention %s is no longer configured.", dir, de->d_name, id);
        }
        if (r < 0)
                return log_warning_errno(r, "Failed to list the templates folder '%s', ignoring: %m", dir);
        if (removed)
                (void) fsync_dir(dirfd);
        return first;
}

int templates_refresh(const Config *config, ConventionSet *conventions, Date today,
                      TemplatesStats *ret_stats) {
        const char *dir = config->spool.templates_dir;
        TemplatesStats stats = {};
        _cleanup_(closep) int dirfd = -1;
        TemplateInfo info;
        int r, first = 0;

        if (ret_stats)
                *ret_stats = stats;
        if (!dir)
                return 0;
        dirfd = templates_open_dir(dir);
        if (dirfd < 0)
                return log_warning_errno(dirfd, "Failed to open the templates folder '%s', ignoring: %m", dir);

        /* One template per convention: every file is read (an indexed set),
         * a few kept in memory at a time. */
        info = (TemplateInfo) { .author = config->seller.name, .today = today };
        for (size_t i = 0;; i++) {
                const Convention *c;

                r = convention_set_load_nth(conventions, i, &c);
                if (r == -ENOENT)
                        break;
                if (r < 0) {
                        stats.failed++;
                        if (first == 0)
                                first = r;
                        continue;
                }
                for (size_t j = 0; c && j < ELEMENTSOF(formats); j++) {
                        r = template_refresh_one(dirfd, dir, c, &info, formats[j], &stats);
                        if (r < 0) {
                                stats.failed++;
                                if (first == 0)
                                        first = r;
                        }
                }
                convention_set_forget(conventions, CONVENTIONS_KEPT);
        }
        r = templates_remove_stale(dirfd, dir, conventions, &stats);
        if (r < 0 && first == 0)
                first = r;
        if (ret_stats)
                *ret_stats = stats;
        return first;
}
