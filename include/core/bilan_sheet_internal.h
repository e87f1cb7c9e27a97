/* bilan_sheet_internal.h — what the parts of the spreadsheet bilan reader
 * share (bilan_sheet.c, bilan_sheet_cells.c, bilan_sheet_locate.c), not for
 * other modules: the read in progress (SheetRead), the origin of each JSON
 * path of the built document (Origin), the reports located by sheet and
 * cell, the cell conversions the sheet readers call, and the locating of
 * bilan.c's diagnostics the entry point calls. Pure, like the module. */
#pragma once

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/bilan_sheet.h"

/* Where a JSON path of the built document came from. */
typedef struct Origin {
        char *path;
        const char *sheet; /* the sheet's name as the workbook spells it */
        uint32_t row, column;
        bool has_cell;
        bool reported; /* already reported here: bilan.c's report at this exact path is dropped */
        bool is_row;   /* a whole row: a message quoting this path says "ligne N" instead */
} Origin;

/* The document being built for one action: its array and entry count. */
typedef struct ActionList {
        char *key;
        cJSON *array;
        size_t n;
} ActionList;

/* One bilan_sheet_parse() in progress. */
typedef struct SheetRead {
        const char *file;
        Diagnostics *diags;
        const Convention *convention;
        const char *main_name, *real_name; /* sheet names to show */
        Origin *origins;
        size_t n_origins, n_alloc;
        ActionList *lists;
        size_t n_lists;
        char *known_actions; /* "geometiers, dev-durable, …", for messages */
        size_t n_errors;
        size_t n_listed[2]; /* warnings, errors listed so far */
        int error;
} SheetRead;

/* ---- bilan_sheet_locate.c ---- */

/* Adds an error or warning at `sheet` (NULL: the whole workbook) and
 * `cell` (NULL: the whole sheet). Listed up to JSONCHECK_REPORTS_MAX of
 * each severity, like bilan.c's own (a thousand hidden rows must not hide
 * an error); counted anyway. Called through the two macros below, which
 * have the compiler check both formats against the arguments. */
void bilan_sheet_report(SheetRead *r, DiagSeverity severity, const char *sheet, const char *cell,
                        const char *format_en, const char *format_fr, ...);

#define bilan_sheet_error(r, sheet, cell, en, fr, ...)                                   \
        ((void) sizeof(printf(en, __VA_ARGS__)), (void) sizeof(printf(fr, __VA_ARGS__)), \
         bilan_sheet_report((r), DIAG_ERROR, (sheet), (cell), (en), (fr), __VA_ARGS__))
#define bilan_sheet_warning(r, sheet, cell, en, fr, ...)                                 \
        ((void) sizeof(printf(en, __VA_ARGS__)), (void) sizeof(printf(fr, __VA_ARGS__)), \
         bilan_sheet_report((r), DIAG_WARNING, (sheet), (cell), (en), (fr), __VA_ARGS__))

/* Records that `path` came from `sheet` (as a whole, or from one cell).
 * Returns the new origin, or NULL (r->error set). */
Origin *bilan_sheet_origin_add(SheetRead *r, const char *path, const char *sheet);
Origin *bilan_sheet_origin_add_cell(SheetRead *r, const char *path, const char *sheet, uint32_t row,
                                    uint32_t column);
/* Sorts the origins by path: done once, when the document is built,
 * before any diagnostic is located. */
void bilan_sheet_origins_sort(SheetRead *r);

/* Locates every diagnostic of `inner` (from bilan.c), drops those already
 * reported here, and moves the rest to `out`. */
int bilan_sheet_relocate_all(const SheetRead *r, Diagnostics *inner, Diagnostics *out);
/* Sorts the diagnostics located in the workbook, from `first` on, by
 * sheet, row and column. */
int bilan_sheet_sort_by_place(const SheetRead *r, Diagnostics *d, size_t first);

/* ---- bilan_sheet_cells.c ---- */

/* `s` without its surrounding blanks (no-break spaces included), as a new
 * string. */
char *bilan_sheet_trimmed(const char *s);
bool bilan_sheet_text_is_blank(const char *s);
/* The cell at (row, column) unless it is empty or blank; column < 0 is a
 * column the sheet does not have. */
const Cell *bilan_sheet_field_cell(const Sheet *s, uint32_t row, int64_t column);

/* A formula's error is reported at the cell: true. */
bool bilan_sheet_cell_is_error(SheetRead *r, const char *sheet, const Cell *c);
/* A date cell, or text that is a date, as "AAAA-MM-JJ"; reports anything
 * else at the cell. */
bool bilan_sheet_cell_date(SheetRead *r, const char *sheet, const Cell *c, char out[static DATE_STRING_MAX]);
/* The Référence column's value, SIRETs given back their leading zeros. */
char *bilan_sheet_cell_ref(const Cell *c);
/* Participants: an integer number cell, or text of digits. */
bool bilan_sheet_cell_count(SheetRead *r, const char *sheet, const Cell *c, int64_t *ret);
/* Adds `key`: `text` trimmed to `object`. */
void bilan_sheet_add_text(SheetRead *r, cJSON *object, const char *key, const char *text);
