/* bilan_sheet_locate.c — part of bilan_sheet (bilan_sheet_internal.h):
 * where each diagnostic of a spreadsheet bilan points, in the sheet and
 * cell the author fixes. The reports of the sheet readers, located
 * directly and listed up to JSONCHECK_REPORTS_MAX; the origin (sheet,
 * cell) of each JSON path of the built document; bilan.c's diagnostics
 * located by their path (the exact path, else the longest recorded prefix,
 * else the sheet), those already reported here dropped, a row's quoted
 * path named as its row; then all of them sorted by sheet, row and column.
 * Apart from bilan_sheet.c because none of it depends on the layout of the
 * sheets. Pure: no I/O, no logging. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/bilan_sheet_internal.h"
#include "base/json-cleanup.h"
#include "base/jsoncheck.h"

/* ---- reports located by sheet and cell ---- */

static void report_list_full(SheetRead *r, DiagSeverity severity) {
        int k;

        if (severity == DIAG_ERROR)
                k = diag_error2(r->diags, r->file, NULL,
                                "more than %d errors in the cells: the others are not listed; correct these and "
                                "check the file again",
                                "plus de %d erreurs dans les cellules : les suivantes ne sont pas listées ; "
                                "corrigez celles-ci puis vérifiez à nouveau le classeur",
                                JSONCHECK_REPORTS_MAX);
        else
                k = diag_warning2(r->diags, r->file, NULL, "more than %d warnings in the cells: the others are not listed",
                                  "plus de %d avertissements dans les cellules : les suivants ne sont pas listés",
                                  JSONCHECK_REPORTS_MAX);
        if (k < 0)
                r->error = -ENOMEM;
}

/* Adds an error or warning at `sheet` (NULL: the whole workbook) and
 * `cell` (NULL: the whole sheet). Listed up to JSONCHECK_REPORTS_MAX of
 * each severity, like bilan.c's own (a thousand hidden rows must not hide
 * an error); counted anyway. */
void bilan_sheet_report(SheetRead *r, DiagSeverity severity, const char *sheet, const char *cell,
                        const char *format_en, const char *format_fr, ...) {
        size_t *listed = &r->n_listed[severity == DIAG_ERROR];
        _cleanup_(freep) char *en = NULL, *fr = NULL;
        va_list ap, aq;
        int r1, r2;

        if (severity == DIAG_ERROR)
                r->n_errors++;
        if (!r->diags || *listed > JSONCHECK_REPORTS_MAX)
                return;
        if ((*listed)++ == JSONCHECK_REPORTS_MAX) {
                report_list_full(r, severity);
                return;
        }
        va_start(ap, format_fr);
        va_copy(aq, ap);
        r1 = vasprintf(&en, format_en, ap);
        r2 = vasprintf(&fr, format_fr, aq);
        va_end(aq);
        va_end(ap);
        if (r1 < 0 || r2 < 0) {
                if (r1 < 0)
                        en = NULL;
                if (r2 < 0)
                        fr = NULL;
                r->error = -ENOMEM;
                return;
        }
        if (diag_add2(r->diags, severity, r->file, 0, NULL, "%s%.0s", "%.0s%s", en, fr) < 0 ||
            (sheet && diag_set_location(&r->diags->items[r->diags->n_items - 1], sheet, cell) < 0))
                r->error = -ENOMEM;
}

/* ---- origins ---- */

Origin *bilan_sheet_origin_add(SheetRead *r, const char *path, const char *sheet) {
        Origin *o;

        if (r->n_origins == r->n_alloc) {
                size_t n = r->n_alloc ? r->n_alloc * 2 : 64;
                Origin *a = reallocarray(r->origins, n, sizeof(Origin));
                if (!a) {
                        r->error = -ENOMEM;
                        return NULL;
                }
                r->origins = a;
                r->n_alloc = n;
        }
        o = &r->origins[r->n_origins];
        *o = (Origin) { .path = strdup(path), .sheet = sheet };
        if (!o->path) {
                r->error = -ENOMEM;
                return NULL;
        }
        r->n_origins++;
        return o;
}

Origin *bilan_sheet_origin_add_cell(SheetRead *r, const char *path, const char *sheet, uint32_t row,
                                    uint32_t column) {
        Origin *o = bilan_sheet_origin_add(r, path, sheet);

        if (o) {
                o->row = row;
                o->column = column;
                o->has_cell = true;
        }
        return o;
}

static int origin_compare(const void *a, const void *b) {
        return strcmp(((const Origin *) a)->path, ((const Origin *) b)->path);
}

void bilan_sheet_origins_sort(SheetRead *r) {
        qsort(r->origins, r->n_origins, sizeof(Origin), origin_compare);
}

static int origin_key_compare(const void *key, const void *o) {
        return strcmp(key, ((const Origin *) o)->path);
}

static const Origin *origin_find(const SheetRead *r, const char *path) {
        return bsearch(path, r->origins, r->n_origins, sizeof(Origin), origin_key_compare);
}

/* The origin of `path`, or of its longest recorded prefix (cut before a
 * '.' or a '['). *ret_exact says which. */
static const Origin *origin_for(const SheetRead *r, const char *path, bool *ret_exact) {
        _cleanup_(freep) char *p = NULL;
        const Origin *o = origin_find(r, path);

        *ret_exact = o != NULL;
        if (o)
                return o;
        p = strdup(path);
        if (!p)
                return NULL;
        for (size_t i = strlen(p); i > 0; i--) {
                if (p[i - 1] != '.' && p[i - 1] != '[')
                        continue;
                p[i - 1] = '\0';
                o = origin_find(r, p);
                if (o)
                        return o;
        }
        return NULL;
}

/* ---- bilan.c's diagnostics, located ---- */

/* Replaces the first `from` in *s by `to`. */
static int replace_text(char **s, const char *from, const char *to) {
        char *at = *s ? strstr(*s, from) : NULL, *n = NULL;

        if (!at)
                return 0;
        if (asprintf(&n, "%.*s%s%s", (int) (at - *s), *s, to, at + strlen(from)) < 0)
                return -ENOMEM;
        free(*s);
        *s = n;
        return 0;
}

/* A message that quotes a row's JSON path (a repeated ref: "figure déjà
 * en realisations[…][1]") names the row instead. */
static int rewrite_row_paths(const SheetRead *r, Diag *x) {
        static const char path_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                         "._-[]\"";
        char *msgs[2] = { x->message, x->message_fr };
        int k;

        for (size_t i = 0; i < 2; i++) {
                const char *at = msgs[i] ? strstr(msgs[i], "realisations") : NULL;
                _cleanup_(freep) char *p = NULL, *to = NULL;
                const Origin *o;

                if (!at)
                        continue;
                p = strndup(at, strspn(at, path_chars));
                if (!p)
                        return -ENOMEM;
                o = origin_find(r, p);
                if (!o || !o->is_row)
                        continue;
                if (asprintf(&to, i == 0 ? "row %" PRIu32 : "ligne %" PRIu32, o->row + 1) < 0)
                        return -ENOMEM;
                k = replace_text(i == 0 ? &x->message : &x->message_fr, p, to);
                if (k < 0)
                        return k;
        }
        return 0;
}

static bool path_is_realisations(const char *path) {
        return strncmp(path, "realisations", strlen("realisations")) == 0;
}

/* Locates `x` (from bilan.c) by its path. Returns 1 when it must be
 * dropped (already reported here), 0, or -ENOMEM. */
static int relocate(const SheetRead *r, Diag *x) {
        char name[CELL_NAME_MAX];
        const Origin *o;
        bool exact;
        int k;

        if (!x->path)
                return 0;
        o = origin_for(r, x->path, &exact);
        if (o && exact && o->reported)
                return 1;
        if (o)
                k = diag_set_location(x, o->sheet, o->has_cell ? cell_name(o->row, o->column, name) : NULL);
        else
                k = diag_set_location(x, path_is_realisations(x->path) ? r->real_name : r->main_name, NULL);
        if (k < 0)
                return k;
        k = replace_text(&x->message_fr, "(\"kind\")", "(colonne « Type »)");
        if (k < 0)
                return k;
        return rewrite_row_paths(r, x);
}

/* Locates every diagnostic of `inner`, drops those already reported
 * here, and moves the rest to `out`. */
int bilan_sheet_relocate_all(const SheetRead *r, Diagnostics *inner, Diagnostics *out) {
        for (size_t i = 0; i < inner->n_items;) {
                int k = relocate(r, &inner->items[i]);
                if (k < 0)
                        return k;
                if (k > 0)
                        diagnostics_remove(inner, i);
                else
                        i++;
        }
        return diagnostics_move(out, inner);
}

/* ---- in the order the author reads the workbook ---- */

typedef struct DiagPlace {
        size_t index;
        unsigned rank; /* sheet Bilan, sheet Réalisations, other */
        uint32_t row, column;
} DiagPlace;

/* "E7" → row 7, column 5 (1-based; 0 for no cell). */
static void cell_place(const char *cell, uint32_t *row, uint32_t *column) {
        uint32_t c = 0, n = 0;

        *row = *column = 0;
        if (!cell)
                return;
        for (; *cell >= 'A' && *cell <= 'Z' && c < UINT32_MAX / 27; cell++)
                c = c * 26 + (uint32_t) (*cell - 'A' + 1);
        for (; *cell >= '0' && *cell <= '9' && n < UINT32_MAX / 11; cell++)
                n = n * 10 + (uint32_t) (*cell - '0');
        *row = n;
        *column = c;
}

static int diag_place_compare(const void *a, const void *b) {
        const DiagPlace *x = a, *y = b;

        if (x->rank != y->rank)
                return x->rank < y->rank ? -1 : 1;
        if (x->row != y->row)
                return x->row < y->row ? -1 : 1;
        if (x->column != y->column)
                return x->column < y->column ? -1 : 1;
        return x->index < y->index ? -1 : x->index > y->index;
}

/* Sorts the diagnostics located in the workbook, from `first` on, by
 * sheet, row and column (stable), in the slots they already hold: the
 * checks run in two passes (the cells here, then bilan.c), but the author
 * fixes the workbook from top to bottom. The others (a missing sheet, the
 * macros, "the list stops here") stay where they are. */
int bilan_sheet_sort_by_place(const SheetRead *r, Diagnostics *d, size_t first) {
        _cleanup_(freep) DiagPlace *places = NULL;
        _cleanup_(freep) size_t *slots = NULL;
        _cleanup_(freep) Diag *sorted = NULL;
        size_t n = 0;

        if (d->n_items - first < 2)
                return 0;
        places = calloc(d->n_items - first, sizeof(DiagPlace));
        slots = calloc(d->n_items - first, sizeof(size_t));
        sorted = calloc(d->n_items - first, sizeof(Diag));
        if (!places || !slots || !sorted)
                return -ENOMEM;
        for (size_t i = first; i < d->n_items; i++) {
                const Diag *x = &d->items[i];
                if (!x->sheet)
                        continue;
                places[n].index = i;
                places[n].rank = streq(x->sheet, r->main_name) ? 1 : streq(x->sheet, r->real_name) ? 2 : 3;
                cell_place(x->cell, &places[n].row, &places[n].column);
                slots[n++] = i;
        }
        qsort(places, n, sizeof(DiagPlace), diag_place_compare);
        for (size_t i = 0; i < n; i++)
                sorted[i] = d->items[places[i].index];
        for (size_t i = 0; i < n; i++)
                d->items[slots[i]] = sorted[i];
        return 0;
}
