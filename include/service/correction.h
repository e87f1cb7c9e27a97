/* correction.h — a request to answer a blocked invoice on Chorus Pro
 * (`chorusctl complete`, `chorusctl recycle`), kept durably under
 * STATE_DIR/corrections until chorusd has sent it (job_correct.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "base/macro.h"
#include "chorus/chorus_api.h"

#define CORRECTIONS_DIR "corrections"

typedef enum CorrectionKind {
        CORRECTION_COMPLETE, /* completer: SUSPENDUE, A_COMPLETER */
        CORRECTION_RECYCLE,  /* recycler: A_RECYCLER */
        _CORRECTION_KIND_MAX,
} CorrectionKind;

typedef struct Correction {
        CorrectionKind kind;
        char *id;      /* names this request (the time it was asked, µs): audit and CORRECTION_SENT */
        char *comment; /* complete */
        char *service; /* recycle */
        char *engagement;
        char *user; /* the Unix user who asked, and --as */
        char *as;
        size_t n_attachments;
        char *names[CHORUS_ATTACHMENTS_MAX]; /* pieceJointeDesignation */
        char *data[CHORUS_ATTACHMENTS_MAX];  /* read by correction_read only */
        size_t sizes[CHORUS_ATTACHMENTS_MAX];
} Correction;

const char *correction_kind_to_string(CorrectionKind k);
/* The statuses this kind answers: SUSPENDUE/A_COMPLETER, A_RECYCLER. */
bool correction_answers(CorrectionKind k, const char *statut);

/* STATE_DIR/corrections, created if missing. Returns an fd or -errno. */
int correction_dir_open(const char *state_dir);
/* The attachments (JOB.N.pdf) first, then JOB.request last: its presence
 * makes the request. -EEXIST if one is pending for the job. */
int correction_write(int dirfd, const char *job, const Correction *c);
/* Whether JOB.request exists. */
bool correction_pending(int dirfd, const char *job);
/* -ENOENT if none is pending; the attachments are read back. */
int correction_read(int dirfd, const char *job, Correction **ret);
/* The request of JOB without its attachments' bytes (names only), for
 * `chorusctl status`: nothing is created. -ENOENT if none is pending. */
int correction_peek(const char *state_dir, const char *job, Correction **ret);
/* The request first (it is gone once this returns 0), then its files. */
int correction_remove(int dirfd, const char *job);
Correction *correction_free(Correction *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Correction *, correction_free);
