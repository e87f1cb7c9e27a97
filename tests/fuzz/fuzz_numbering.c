/* fuzz_numbering — the numbering files (numbering.h) as chorusd reads them
 * back: numbering_open() (which completes the allocation a crash left in
 * the counter), numbering_last_sequence(), numbering_lookup_job() and
 * numbering_lookup_convention(). They read STATE_DIR/numbers/ only, so each
 * input becomes a small state folder in /dev/shm (memory). The folders are
 * made once; before each run every file in numbers/, numbers/by-job/ and
 * numbers/by-convention/ is removed (rebuilding the whole tree per input
 * was most of this target's time, in the kernel).
 *
 * The input is up to three files separated by an empty line:
 *     counter "\n\n" by-job/<JOB of the counter> "\n\n" by-convention/<CONVENTION>.invoiced
 * (the names come from the counter, as in the daemon; "J" and "C" when the
 * counter names none). The folder sits a few levels down in the fuzzer's
 * own folder, and after each run nothing may have appeared beside numbers/
 * or any folder above it: a damaged file must never make chorusd write
 * outside numbers/. */
#include <dirent.h>
#include <stdbool.h>
#include <ftw.h>
#include <limits.h>
#include <sys/inotify.h>

#include "fuzz.h"
#include "base/kvfile.h"
#include "service/numbering.h"

#define STATE_PARENT "p1/p2/p3"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        fuzz_quiet_log();
        return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st;
        (void) flag;
        (void) ftw;
        return remove(path) < 0 ? -1 : 0;
}

static void write_at(const char *dir, const char *name, const char *data, size_t size) {
        char path[1024];
        FILE *f;

        /* Names the counter gives that are not plain file names are left
         * to the daemon to refuse (or not): just do not create them here. */
        if (!name[0] || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
            strlen(name) > 200)
                return;
        snprintf(path, sizeof path, "%s/%s", dir, name);
        f = fopen(path, "we");
        if (!f)
                abort();
        if (size > 0 && fwrite(data, 1, size, f) != size)
                abort();
        fclose(f);
}

/* Splits at the first "\n\n": the first part keeps its '\n'. */
static const char *split(const char *p, const char *end, size_t *ret_len) {
        const char *sep = memmem(p, (size_t) (end - p), "\n\n", 2);

        *ret_len = sep ? (size_t) (sep - p) + 1 : (size_t) (end - p);
        return sep ? sep + 2 : end;
}

/* Aborts if `dir` holds anything but `only`. */
static void check_only(const char *dir, const char *only) {
        DIR *d = opendir(dir);
        struct dirent *de;

        if (!d)
                abort();
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
                    strcmp(de->d_name, only) != 0) {
                        fprintf(stderr, "fuzz_numbering: '%s/%s' written outside the state folder\n",
                                dir, de->d_name);
                        abort();
                }
        closedir(d);
}

/* The folders from the fuzzer's own down to numbers/: each may hold only
 * the next one. */
static const char *const levels[] = { "p1", "p2", "p3", "state", NUMBERING_DIR };
#define N_LEVELS (sizeof levels / sizeof levels[0])

/* inotify on the fuzzer's folder and every level down to state/ (not
 * numbers/): any entry created, moved or removed there, or the folder itself
 * moved or removed, is an event. One read per input instead of a readdir of
 * five folders; -1 if inotify is missing (then the readdirs). */
static int watch_fd = -1;
#define WATCH_MASK (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF)

static void watch_levels(const char *root) {
        char dir[600];
        size_t len;

        watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (watch_fd < 0)
                return;
        len = (size_t) snprintf(dir, sizeof dir, "%s", root);
        for (size_t i = 0; i < N_LEVELS; i++) {
                if (inotify_add_watch(watch_fd, dir, WATCH_MASK) < 0) {
                        close(watch_fd);
                        watch_fd = -1;
                        return;
                }
                len += (size_t) snprintf(dir + len, sizeof dir - len, "/%s", levels[i]);
        }
}

static void check_nothing_outside(const char *root) {
        char dir[600];
        size_t len;

        if (watch_fd >= 0) {
                union {
                        struct inotify_event e;
                        char buf[sizeof(struct inotify_event) + NAME_MAX + 1];
                } ev;
                ssize_t n = read(watch_fd, &ev, sizeof ev);

                if (n < 0 && errno == EAGAIN)
                        return;
                fprintf(stderr, "fuzz_numbering: '%s' (event 0x%x) outside the state folder\n",
                        n > 0 && ev.e.len > 0 ? ev.e.name : "a watched folder", n > 0 ? ev.e.mask : 0);
                abort();
        }
        len = (size_t) snprintf(dir, sizeof dir, "%s", root);
        for (size_t i = 0; i < N_LEVELS; i++) {
                check_only(dir, levels[i]);
                len += (size_t) snprintf(dir + len, sizeof dir - len, "/%s", levels[i]);
        }
}

/* Removes everything in `dir` but the entries named keep1 and keep2 (files
 * with unlink, anything else with nftw). */
static void empty_dir(const char *dir, const char *keep1, const char *keep2) {
        DIR *d = opendir(dir);
        struct dirent *de;

        if (!d)
                abort();
        while ((de = readdir(d))) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
                    (keep1 && strcmp(de->d_name, keep1) == 0) || (keep2 && strcmp(de->d_name, keep2) == 0))
                        continue;
                if (unlinkat(dirfd(d), de->d_name, 0) < 0) {
                        char path[1024];
                        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
                        (void) nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
                }
        }
        closedir(d);
}

/* The state folder of this run: made once, emptied before each run. */
static void prepare_state(const char *root, char state[static 512], char numbers[static 600]) {
        static bool made;
        char dir[700];
        size_t len;

        snprintf(state, 512, "%s/" STATE_PARENT "/state", root);
        snprintf(numbers, 600, "%s/" NUMBERING_DIR, state);
        if (!made) {
                len = (size_t) snprintf(dir, sizeof dir, "%s", root);
                for (size_t i = 0; i < N_LEVELS; i++) {
                        len += (size_t) snprintf(dir + len, sizeof dir - len, "/%s", levels[i]);
                        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                                abort();
                }
                for (size_t i = 0; i < 2; i++) {
                        snprintf(dir, sizeof dir, "%s/%s", numbers, i == 0 ? "by-job" : "by-convention");
                        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                                abort();
                }
                watch_levels(root);
                made = true;
        }
        empty_dir(numbers, "by-job", "by-convention");
        snprintf(dir, sizeof dir, "%s/by-job", numbers);
        empty_dir(dir, NULL, NULL);
        snprintf(dir, sizeof dir, "%s/by-convention", numbers);
        empty_dir(dir, NULL, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *p = (const char *) data, *end = p + size, *counter, *job, *conv;
        size_t counter_len, job_len, conv_len;
        char state[512], numbers[600], dir[700], job_name[256] = "J", conv_name[300] = "C.invoiced";
        Numbering *n = NULL;
        NumberingEntry e;
        uint64_t seq;

        prepare_state(fuzz_tmpdir(), state, numbers);

        counter = p;
        job = split(counter, end, &counter_len);
        conv = split(job, end, &job_len);
        (void) split(conv, end, &conv_len);
        if (job == end)
                job_len = 0;
        if (conv == end)
                conv_len = 0;

        {
                _cleanup_(kv_file_freep) KvFile *kv = NULL;
                if (kv_parse(counter, counter_len, &kv) >= 0) {
                        const char *v = kv_get(kv, "JOB");
                        if (v)
                                snprintf(job_name, sizeof job_name, "%s", v);
                        v = kv_get(kv, "CONVENTION");
                        if (v)
                                snprintf(conv_name, sizeof conv_name, "%s.invoiced", v);
                }
        }
        write_at(numbers, "counter", counter, counter_len);
        snprintf(dir, sizeof dir, "%s/by-job", numbers);
        (void) mkdir(dir, 0700);
        write_at(dir, job_name, job, job_len);
        snprintf(dir, sizeof dir, "%s/by-convention", numbers);
        (void) mkdir(dir, 0700);
        write_at(dir, conv_name, conv, conv_len);

        if (numbering_open(state, &n) >= 0) {
                (void) numbering_last_sequence(n, 2026, &seq);
                if (job_id_is_valid(job_name))
                        (void) numbering_lookup_job(n, job_name, &e);
                conv_name[strlen(conv_name) - strlen(".invoiced")] = 0;
                (void) numbering_lookup_convention(n, conv_name, &e);
                numbering_free(n);
        }
        check_nothing_outside(fuzz_tmpdir());
        return 0;
}
