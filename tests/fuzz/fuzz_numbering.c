/* fuzz_numbering — the numbering files (numbering.h) as chorusd reads them
 * back: numbering_open() (which completes the allocation a crash left in
 * the counter), numbering_last_sequence(), numbering_lookup_job() and
 * numbering_lookup_convention(). They read STATE_DIR/numbers/ only, so each
 * input becomes a small state folder in /dev/shm (memory), rebuilt per run.
 *
 * The input is up to three files separated by an empty line:
 *     counter "\n\n" by-job/<JOB of the counter> "\n\n" by-convention/<CONVENTION>.invoiced
 * (the names come from the counter, as in the daemon; "J" and "C" when the
 * counter names none). The folder sits a few levels down in the fuzzer's
 * own folder, and after each run nothing may have appeared beside it: a
 * damaged file must never make chorusd write outside numbers/. */
#include <dirent.h>
#include <ftw.h>

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

static void check_nothing_outside(const char *root) {
        DIR *d = opendir(root);
        struct dirent *de;

        if (!d)
                abort();
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
                    strcmp(de->d_name, "p1") != 0) {
                        fprintf(stderr, "fuzz_numbering: '%s' written outside the state folder\n", de->d_name);
                        abort();
                }
        closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *p = (const char *) data, *end = p + size, *counter, *job, *conv;
        size_t counter_len, job_len, conv_len;
        char state[512], numbers[600], dir[700], job_name[256] = "J", conv_name[300] = "C.invoiced";
        Numbering *n = NULL;
        NumberingEntry e;
        uint64_t seq;

        snprintf(state, sizeof state, "%s/" STATE_PARENT "/state", fuzz_tmpdir());
        (void) nftw(fuzz_tmpdir(), remove_one, 16, FTW_DEPTH | FTW_PHYS);
        (void) mkdir(fuzz_tmpdir(), 0700);
        snprintf(numbers, sizeof numbers, "%s/" NUMBERING_DIR, state);
        {
                char cmd[700];
                snprintf(cmd, sizeof cmd, "%s/p1", fuzz_tmpdir());
                (void) mkdir(cmd, 0700);
                snprintf(cmd, sizeof cmd, "%s/p1/p2", fuzz_tmpdir());
                (void) mkdir(cmd, 0700);
                snprintf(cmd, sizeof cmd, "%s/p1/p2/p3", fuzz_tmpdir());
                (void) mkdir(cmd, 0700);
                (void) mkdir(state, 0700);
                (void) mkdir(numbers, 0700);
        }

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
