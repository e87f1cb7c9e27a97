/* fuzz.h — what every libFuzzer target of tests/fuzz shares (README.md).
 *
 * Each fuzz_NAME.c defines LLVMFuzzerTestOneInput() over one parser of
 * outside input; `make fuzz` builds them with clang in build/fuzz. */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The daemon's log would only slow the fuzzer down: keep it quiet, unless
 * CHORUSD_LOG_LEVEL asks for it (to look at one input). */
static inline void fuzz_quiet_log(void) {
        log_set_target(LOG_TARGET_STDERR);
        log_set_max_level(LOG_CRIT);
        (void) log_parse_environment();
}

/* A NUL-terminated copy of the input (parsers taking C strings). Never NULL:
 * aborts when out of memory (the fuzzer's rss limit is the check). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size) {
        char *s = malloc(size + 1);

        if (!s)
                abort();
        if (size > 0)
                memcpy(s, data, size);
        s[size] = 0;
        return s;
}

/* For parsers that only read a path: one private folder in /dev/shm (memory,
 * not disk; $TMPDIR if /dev/shm is missing), removed at exit. */
static char fuzz_dir[256];

static inline void fuzz_dir_cleanup(void) {
        char cmd[300];

        if (!fuzz_dir[0])
                return;
        snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", fuzz_dir);
        (void) system(cmd);
}

static inline const char *fuzz_tmpdir(void) {
        if (!fuzz_dir[0]) {
                const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
                snprintf(fuzz_dir, sizeof fuzz_dir, "%s/chorusd-fuzz-XXXXXX", base ? base : "/tmp");
                if (!mkdtemp(fuzz_dir))
                        abort();
                atexit(fuzz_dir_cleanup);
        }
        return fuzz_dir;
}

/* Writes the input to fuzz_tmpdir()/name (replacing it) and returns the path
 * in `path`. Aborts on a write failure: that is the harness, not the code. */
static inline void fuzz_write_file(const char *name, const uint8_t *data, size_t size, char path[static 512]) {
        int fd;

        snprintf(path, 512, "%s/%s", fuzz_tmpdir(), name);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                abort();
        for (size_t done = 0; done < size;) {
                ssize_t n = write(fd, data + done, size - done);
                if (n <= 0)
                        abort();
                done += (size_t) n;
        }
        close(fd);
}
