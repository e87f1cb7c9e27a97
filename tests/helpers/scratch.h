/* scratch.h — scratch directories and files for the durability tests
 * (fsutil, spool, jobstate, numbering, audit), plus a fault hook driver
 * for fsutil's test seam.
 *
 * Functions abort the test (cr_assert) on unexpected failures, so tests
 * read as the scenario they check. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/fsutil.h"

/* A fresh directory under $TMPDIR (or /tmp); free with scratch_remove(). */
char *scratch_new(void);
/* rm -rf without following symlinks, then free(path). */
void scratch_remove(char *path);

/* Writes `content` to dir/name (plain write, not durable: setup only). */
void scratch_write(const char *dir, const char *name, const char *content);
/* The content of dir/name (NUL-terminated, malloc'd), or NULL if absent. */
char *scratch_read(const char *dir, const char *name);
/* Does dir/name exist (lstat)? */
bool scratch_exists(const char *dir, const char *name);
/* Entries of dir except "." and "..", or -errno. */
int scratch_count(const char *dir);
/* "a/b" joined; malloc'd. */
char *scratch_path(const char *dir, const char *name);

/* Runs f(userdata) with stderr sent to a temporary file; returns what was
 * written there (malloc'd). */
char *scratch_stderr_of(void (*f)(void *), void *userdata);

/* ---- Fault injection through fs_set_fault_hook() --------------------------- */

typedef struct FaultPlan {
        FsOp op;           /* which operation to fail */
        unsigned fail_at;  /* 1-based count of that op to fail (0 = never) */
        unsigned fail_count; /* how many calls fail from there (0 = 1) */
        int error;         /* -errno to return; for FS_OP_WRITE a positive value
                            * cuts the write short to that many bytes */
        unsigned seen[_FS_OP_MAX]; /* calls counted so far, per op */
} FaultPlan;

/* Installs the plan (counts restart at 0); scratch_faults_off() removes it. */
void scratch_faults(FaultPlan *plan);
void scratch_faults_off(void);
