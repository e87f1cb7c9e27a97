/* workbook_stub.h — stand-ins for the common part of include/core/workbook.h
 * (cell lookup, names, labels, free) while the reader (daemon/core/workbook*.c,
 * another branch of issue 11) is not merged: tests/test_bilan_sheet.c builds
 * its Workbooks by hand and needs only these. Every definition is weak, so
 * the real ones win as soon as they are linked in; delete this file then
 * (and its #include in test_bilan_sheet.c). workbook_read() here refuses
 * everything. */
#pragma once

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/workbook.h"

#define WB_STUB __attribute__((weak))

WB_STUB Workbook *workbook_free(Workbook *w) {
        if (!w)
                return NULL;
        for (size_t i = 0; i < w->n_sheets; i++) {
                Sheet *s = &w->sheets[i];
                for (size_t j = 0; j < s->n_cells; j++)
                        free(s->cells[j].text);
                free(s->cells);
                free(s->hidden_rows);
                free(s->name);
        }
        free(w->sheets);
        free(w);
        return NULL;
}

WB_STUB int workbook_read(const char *file, const void *data, size_t size, WorkbookFormat format,
                          Workbook **ret, Diagnostics *diags) {
        (void) data;
        (void) size;
        (void) format;
        (void) ret;
        return diag_error(diags, file, NULL, "workbook reader not built in (test stub)") < 0 ? -ENOMEM : -EINVAL;
}

/* One folded character of `*s` (ASCII lowercase, Latin-1 letters without
 * their accent), advancing *s. */
static inline int wb_stub_fold(const char **s) {
        static const char map[] = "aaaaaaaceeeeiiiidnooooo*ouuuuyts"; /* U+00C0..U+00DF */
        const unsigned char *p = (const unsigned char *) *s;

        if (p[0] == 0xC3 && p[1] >= 0x80 && p[1] <= 0xBF) {
                *s += 2;
                return map[(p[1] - 0x80) & 0x1F];
        }
        *s += 1;
        return p[0] >= 'A' && p[0] <= 'Z' ? p[0] + 32 : p[0];
}

static inline char *wb_stub_normal(const char *s) {
        char *r = malloc(strlen(s) + 1), *o = r;
        bool space = false;

        if (!r)
                return NULL;
        while (*s == ' ')
                s++;
        while (*s) {
                if (*s == ' ') {
                        space = true;
                        s++;
                        continue;
                }
                if (space)
                        *o++ = ' ';
                space = false;
                *o++ = (char) wb_stub_fold(&s);
        }
        *o = '\0';
        return r;
}

WB_STUB bool workbook_label_equal(const char *a, const char *b) {
        char *x = wb_stub_normal(a), *y = wb_stub_normal(b);
        bool eq = x && y && strcmp(x, y) == 0;

        free(x);
        free(y);
        return eq;
}

WB_STUB const Sheet *workbook_find_sheet(const Workbook *w, const char *name) {
        for (size_t i = 0; i < w->n_sheets; i++)
                if (workbook_label_equal(w->sheets[i].name, name))
                        return &w->sheets[i];
        return NULL;
}

WB_STUB const Cell *sheet_cell(const Sheet *s, uint32_t row, uint32_t column) {
        for (size_t i = 0; i < s->n_cells; i++)
                if (s->cells[i].row == row && s->cells[i].column == column)
                        return &s->cells[i];
        return NULL;
}

WB_STUB bool sheet_row_is_hidden(const Sheet *s, uint32_t row) {
        for (size_t i = 0; i < s->n_hidden_rows; i++)
                if (s->hidden_rows[i] == row)
                        return true;
        return false;
}

WB_STUB const char *cell_name(uint32_t row, uint32_t column, char ret[static CELL_NAME_MAX]) {
        char letters[8];
        size_t n = 0;
        uint32_t c = column + 1;

        while (c > 0) {
                letters[n++] = (char) ('A' + (c - 1) % 26);
                c = (c - 1) / 26;
        }
        for (size_t i = 0; i < n; i++)
                ret[i] = letters[n - 1 - i];
        snprintf(ret + n, CELL_NAME_MAX - n, "%" PRIu32, row + 1);
        return ret;
}
