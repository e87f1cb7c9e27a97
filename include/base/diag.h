/* diag.h — validation diagnostics: what is wrong with an input, where, and
 * what was expected.
 *
 * Validators (config, convention, bilan) report every problem they find
 * instead of stopping at the first, so that the person fixing a file sees all
 * of it at once. Each Diag names the file, either the line (INI) or the JSON
 * path (`actions[1].amount`), and a message. Bilan diagnostics also carry a
 * French message: they end up in rejected/NAME.error.txt for the staff who
 * wrote the bilan. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "base/macro.h"

typedef enum DiagSeverity {
        DIAG_WARNING,
        DIAG_ERROR,
} DiagSeverity;

typedef struct Diag {
        DiagSeverity severity;
        char *file;       /* may be NULL */
        unsigned line;    /* 0 when not line-based */
        char *path;       /* JSON path or "section.key"; may be NULL */
        char *message;    /* English, for administrators and logs */
        char *message_fr; /* French, for bilan authors; NULL = same as message */
        /* A spreadsheet bilan's location, shown instead of the path: the
         * sheet, and the cell ("E7") when there is one. Both may be NULL. */
        char *sheet;
        char *cell;
} Diag;

typedef struct Diagnostics {
        Diag *items;
        size_t n_items;
        size_t n_errors;
        size_t n_warnings;
} Diagnostics;

#define DIAGNOSTICS_INIT ((Diagnostics){})

/* Frees the contents (not the struct itself) and resets it to empty. */
void diagnostics_clear(Diagnostics *d);

/* Adds one diagnostic. `d` may be NULL (the caller only wants the verdict).
 * Returns 0, or -ENOMEM. */
int diag_add(Diagnostics *d, DiagSeverity severity, const char *file, unsigned line,
             const char *path, const char *format, ...) _printf_(6, 7);

/* Same, with a French text too. Use the diag_error2()/diag_warning2() macros:
 * they make the compiler check both format strings against the arguments. */
int diag_add2(Diagnostics *d, DiagSeverity severity, const char *file, unsigned line,
              const char *path, const char *format_en, const char *format_fr, ...);

#define diag_error(d, file, path, ...) diag_add((d), DIAG_ERROR, (file), 0, (path), __VA_ARGS__)
#define diag_warning(d, file, path, ...) diag_add((d), DIAG_WARNING, (file), 0, (path), __VA_ARGS__)
#define diag_error2(d, file, path, en, fr, ...)                                           \
        ((void) sizeof(printf(en, __VA_ARGS__)), (void) sizeof(printf(fr, __VA_ARGS__)), \
         diag_add2((d), DIAG_ERROR, (file), 0, (path), (en), (fr), __VA_ARGS__))
#define diag_warning2(d, file, path, en, fr, ...)                                         \
        ((void) sizeof(printf(en, __VA_ARGS__)), (void) sizeof(printf(fr, __VA_ARGS__)), \
         diag_add2((d), DIAG_WARNING, (file), 0, (path), (en), (fr), __VA_ARGS__))

static inline bool diagnostics_has_errors(const Diagnostics *d) {
        return d && d->n_errors > 0;
}

/* Locates `x` in a spreadsheet: `sheet` (not NULL) and `cell` ("E7", or
 * NULL for the whole sheet). Printing then names them instead of the path,
 * "sheet Réalisations, cell E7" or "feuille Réalisations, cellule E7".
 * Returns 0, or -ENOMEM (`x` unchanged). */
int diag_set_location(Diag *x, const char *sheet, const char *cell);

/* Prints one line per diagnostic: "FILE:LINE: error: PATH: message" (English)
 * or the French text when `french` is set; a spreadsheet location replaces
 * PATH ("FILE: error: sheet Bilan, cell B3: message", French "FILE: erreur:
 * feuille Bilan, cellule B3 : message"). */
void diagnostics_print(const Diagnostics *d, FILE *f, bool french);

/* Removes (and frees) the i-th diagnostic. */
void diagnostics_remove(Diagnostics *d, size_t i);

/* Appends all of `src` to `dst` (moves the items; `src` ends empty). */
int diagnostics_move(Diagnostics *dst, Diagnostics *src);
