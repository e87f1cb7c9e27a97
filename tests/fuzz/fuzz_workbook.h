/* fuzz_workbook.h — what fuzz_ods and fuzz_xlsx share: splitting an input
 * into XML parts, building a ZIP of them in memory, and reading the result
 * with workbook_read() the way bilan_sheet.c then looks at it. */
#pragma once

#include <zip.h>

#include "core/workbook.h"
#include "fuzz.h"

typedef struct FuzzPart {
        const uint8_t *data;
        size_t size;
} FuzzPart;

typedef struct FuzzZipEntry {
        const char *name;
        const void *data;
        size_t size;
} FuzzZipEntry;

/* Splits data at NUL bytes into n parts (the last ones empty when there
 * are fewer NULs; the last part keeps any further NULs). */
static inline void fuzz_split(const uint8_t *data, size_t size, FuzzPart *parts, size_t n) {
        for (size_t i = 0; i < n; i++) {
                const uint8_t *nul = i + 1 < n && size > 0 ? memchr(data, 0, size) : NULL;
                size_t len = nul ? (size_t) (nul - data) : size;

                parts[i] = (FuzzPart) { data, len };
                data += nul ? len + 1 : len;
                size -= nul ? len + 1 : len;
        }
}

/* A ZIP of the entries, stored (no compression: the reader's inflate is
 * reached through the "PK" inputs), in a malloc()ed buffer. Aborts on any
 * libzip failure: that is the harness, not the code under test. */
static inline void fuzz_zip_build(const FuzzZipEntry *entries, size_t n, void **ret, size_t *ret_size) {
        zip_error_t error;
        zip_source_t *out;
        zip_t *za;
        zip_stat_t st;
        void *buf;

        zip_error_init(&error);
        out = zip_source_buffer_create(NULL, 0, 0, &error);
        if (!out)
                abort();
        za = zip_open_from_source(out, ZIP_TRUNCATE, &error);
        if (!za)
                abort();
        zip_source_keep(out);
        for (size_t i = 0; i < n; i++) {
                zip_source_t *s = zip_source_buffer(za, entries[i].data, entries[i].size, 0);
                zip_int64_t idx;

                if (!s)
                        abort();
                idx = zip_file_add(za, entries[i].name, s, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8);
                if (idx < 0) {
                        zip_source_free(s);
                        abort();
                }
                if (zip_set_file_compression(za, (zip_uint64_t) idx, ZIP_CM_STORE, 0) < 0)
                        abort();
        }
        if (zip_close(za) < 0)
                abort();
        if (zip_source_stat(out, &st) < 0 || zip_source_open(out) < 0)
                abort();
        buf = malloc(st.size ? st.size : 1);
        if (!buf || zip_source_read(out, buf, st.size) != (zip_int64_t) st.size)
                abort();
        zip_source_close(out);
        zip_source_free(out);
        *ret = buf;
        *ret_size = st.size;
}

/* Reads a workbook and walks it as bilan_sheet.c does: sheets by name,
 * every cell, its name, the hidden rows. A success must give a workbook. */
static inline void fuzz_workbook_read(const void *data, size_t size, WorkbookFormat format) {
        Diagnostics diags = DIAGNOSTICS_INIT;
        Workbook *w = NULL;
        int r;

        r = workbook_read("fuzz", data, size, format, &w, &diags);
        if (r >= 0 && !w)
                abort();
        if (r < 0 && w)
                abort();
        if (w) {
                (void) workbook_find_sheet(w, "Bilan");
                (void) workbook_find_sheet(w, "R\xc3\xa9" "alisations");
                for (size_t i = 0; i < w->n_sheets; i++) {
                        const Sheet *s = &w->sheets[i];

                        for (size_t j = 0; j < s->n_cells; j++) {
                                const Cell *c = &s->cells[j];
                                char name[CELL_NAME_MAX];

                                if (!c->text)
                                        abort();
                                if (j > 0 && (s->cells[j - 1].row > c->row ||
                                              (s->cells[j - 1].row == c->row && s->cells[j - 1].column >= c->column)))
                                        abort(); /* the contract: sorted by row, then column */
                                if (c->column >= WORKBOOK_COLUMNS_MAX)
                                        abort();
                                (void) cell_name(c->row, c->column, name);
                                if (sheet_cell(s, c->row, c->column) != c)
                                        abort();
                                (void) sheet_row_is_hidden(s, c->row);
                                (void) workbook_label_equal(c->text, "R\xc3\xa9" "f\xc3\xa9rence");
                        }
                }
        }
        workbook_free(w);
        diagnostics_clear(&diags);
}
