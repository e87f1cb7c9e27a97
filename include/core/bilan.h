/* bilan.h — the year-end activity report dropped into the spool
 * (domain.md §3), parsed and validated against its convention.
 *
 * Bilans are untrusted input: size, UTF-8, nesting and entry-count limits
 * are checked before anything else, and every problem is reported with the
 * file, the JSON path and what was expected, in English and in French. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/convention.h"
#include "base/date.h"
#include "base/diag.h"

#define BILAN_FORMAT_VERSION 1
#define BILAN_SIZE_MAX (1 << 20)  /* 1 MiB */
#define BILAN_DEPTH_MAX 32        /* JSON nesting levels */
#define BILAN_ENTRIES_MAX 10000   /* realisation entries, all actions together */

typedef struct BilanEntry {
        char *ref;       /* what makes two entries the same realisation */
        char *kind;      /* may be NULL */
        char *name;      /* may be NULL */
        char *note;      /* may be NULL */
        Date date;
        int64_t attendees; /* -1 when absent */
        bool duplicate;    /* an earlier entry of the same action has this ref */
} BilanEntry;

typedef struct BilanAction {
        const ConventionAction *action; /* points into the convention */
        BilanEntry *entries;
        size_t n_entries;
        int64_t quantity; /* distinct refs */
} BilanAction;

typedef struct Bilan {
        int version;
        char *convention_id;
        Date issued_on;
        char *author;
        char *qualitative; /* may be NULL */
        /* One per convention action, in the convention's order, including
         * actions absent from the file (quantity 0). */
        BilanAction *actions;
        size_t n_actions;
        char *source_file;
        /* A workbook's sheet of realisations, where later checks of the
         * whole bilan locate their diagnostics; NULL for JSON. */
        char *realisations_sheet;
} Bilan;

/* Parses `data` (the whole file, `size` bytes) and validates it against the
 * convention it names, looked up in `conventions`. On success returns 0,
 * the bilan and (optionally) its convention; warnings (repeated refs) go to
 * `diags`. On failure returns -EINVAL (invalid content: every problem is in
 * `diags`), -EFBIG (over BILAN_SIZE_MAX) or -ENOMEM. */
int bilan_parse(const char *file, const char *data, size_t size, const ConventionSet *conventions,
                Bilan **ret, const Convention **ret_convention, Diagnostics *diags);
/* bilan_parse() without the text: checks a document already built as a
 * cJSON tree (by the spreadsheet reader, bilan_sheet.h), with the same
 * entry limit, rules, JSON paths and messages. Same returns, no -EFBIG. */
struct cJSON;
int bilan_check_tree(const char *file, const struct cJSON *root, const ConventionSet *conventions, Bilan **ret,
                     const Convention **ret_convention, Diagnostics *diags);
Bilan *bilan_free(Bilan *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(Bilan *, bilan_free);

/* Refuses what has not happened yet: the bilan's issue date or a
 * realisation's date after `today` + `tolerance_days` (a clock a little
 * ahead, a bilan finished late in the evening), each reported at its JSON
 * path in English and French. Invoicing a future date would give an
 * invoice issued before its delivery date (BT-72). Returns 0, -EINVAL
 * (reported) or -ENOMEM. */
int bilan_check_not_future(const Bilan *b, Date today, unsigned tolerance_days, Diagnostics *diags);

/* Only the "convention" member, without validating the rest: lets the
 * daemon name the convention of a bilan it is about to reject. Returns a
 * new string or NULL. */
char *bilan_peek_convention(const char *data, size_t size);
