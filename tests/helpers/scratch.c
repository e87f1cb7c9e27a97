/* scratch.c — scratch directories, files and fault plans for tests (see
 * scratch.h). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileio.h"
#include "scratch.h"

char *scratch_new(void) {
        const char *tmp = getenv("TMPDIR");
        char *path = NULL;

        cr_assert(asprintf(&path, "%s/chorusd-test-XXXXXX", tmp && *tmp ? tmp : "/tmp") > 0);
        cr_assert(mkdtemp(path), "mkdtemp: %m");
        return path;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        (void) st;
        (void) ftw;
        if (type == FTW_DP)
                return rmdir(path) < 0 ? -1 : 0;
        return unlink(path) < 0 ? -1 : 0; /* files, symlinks (not followed: FTW_PHYS), FIFOs */
}

void scratch_remove(char *path) {
        if (!path)
                return;
        (void) nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
        free(path);
}

char *scratch_path(const char *dir, const char *name) {
        char *p = NULL;

        cr_assert(asprintf(&p, "%s/%s", dir, name) > 0);
        return p;
}

void scratch_write(const char *dir, const char *name, const char *content) {
        char *p = scratch_path(dir, name);
        FILE *f = fopen(p, "we");

        cr_assert(f, "fopen %s: %m", p);
        cr_assert(fputs(content, f) >= 0);
        cr_assert(fclose(f) == 0);
        free(p);
}

char *scratch_read(const char *dir, const char *name) {
        char *p = scratch_path(dir, name), *buf = NULL;
        size_t size = 0;
        FILE *f = fopen(p, "re"), *out;
        int c;

        free(p);
        if (!f)
                return NULL;
        out = open_memstream(&buf, &size);
        cr_assert(out);
        while ((c = fgetc(f)) != EOF)
                fputc(c, out);
        fclose(f);
        cr_assert(fclose(out) == 0);
        return buf;
}

bool scratch_exists(const char *dir, const char *name) {
        char *p = scratch_path(dir, name);
        struct stat st;
        bool r = lstat(p, &st) >= 0;

        free(p);
        return r;
}

int scratch_count(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;
        int n = 0;

        if (!d)
                return -errno;
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        n++;
        closedir(d);
        return n;
}

static int fault_hook(FsOp op, int fd, void *userdata) {
        FaultPlan *p = userdata;
        unsigned n, last;

        (void) fd;
        n = ++p->seen[op];
        last = p->fail_at + (p->fail_count > 0 ? p->fail_count : 1) - 1;
        if (op != p->op || p->fail_at == 0 || n < p->fail_at || n > last)
                return 0;
        return p->error;
}

void scratch_faults(FaultPlan *plan) {
        memset(plan->seen, 0, sizeof plan->seen);
        fs_set_fault_hook(fault_hook, plan);
}

void scratch_faults_off(void) {
        fs_set_fault_hook(NULL, NULL);
}

char *scratch_stderr_of(void (*f)(void *), void *userdata) {
        char path[] = "/tmp/scratch-stderr-XXXXXX";
        int fd = mkstemp(path), saved = dup(STDERR_FILENO);
        char *text = NULL;
        size_t size = 0;

        cr_assert(fd >= 0 && saved >= 0);
        fflush(stderr);
        cr_assert_geq(dup2(fd, STDERR_FILENO), 0);
        f(userdata);
        fflush(stderr);
        cr_assert_geq(dup2(saved, STDERR_FILENO), 0);
        close(saved);
        close(fd);
        cr_assert_eq(read_file_bounded(path, 1 << 20, &text, &size), 0);
        unlink(path);
        return text;
}
