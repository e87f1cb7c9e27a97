/* workbook_fuzz.h — what fuzz_ods and fuzz_xlsx share: the input made into
 * a workbook, and the checks every accepted workbook must pass.
 *
 * Mutated ZIP bytes rarely get past the CRC, so an input that does not
 * start like a ZIP ("PK\3\4") is the XML of the parts, separated by
 * WORKBOOK_FUZZ_SEPARATOR, zipped here (stored) around fixed defaults; an
 * input that does is read as the whole archive. */
#pragma once

#include <zip.h>

#include "core/workbook.h"
#include "fuzz.h"

#define WORKBOOK_FUZZ_SEPARATOR "\n--part--\n"
#define WORKBOOK_FUZZ_PARTS_MAX 6

/* Splits the input at the separators: parts[i] (NUL-terminated copies in
 * one buffer); returns how many. */
static inline size_t workbook_fuzz_split(const uint8_t *data, size_t size, char *buf,
                                         const char *parts[static WORKBOOK_FUZZ_PARTS_MAX]) {
        size_t n = 0, sep = strlen(WORKBOOK_FUZZ_SEPARATOR);
        char *p = buf, *end;

        memcpy(buf, data, size);
        buf[size] = 0;
        end = buf + size;
        while (n < WORKBOOK_FUZZ_PARTS_MAX) {
                char *next = n + 1 < WORKBOOK_FUZZ_PARTS_MAX ? memmem(p, (size_t) (end - p), WORKBOOK_FUZZ_SEPARATOR, sep)
                                                             : NULL;

                parts[n++] = p;
                if (!next)
                        break;
                *next = 0;
                p = next + sep;
        }
        return n;
}

/* A stored ZIP of (name, content) pairs; content NULL: left out. Aborts on
 * failure (the harness, not the code under test). */
static inline void *workbook_fuzz_zip(const char *const *names, const char *const *contents, size_t n,
                                      size_t *ret_size) {
        zip_source_t *out = zip_source_buffer_create(NULL, 0, 0, NULL);
        zip_int64_t size;
        zip_t *zip;
        void *data;

        if (!out)
                abort();
        zip_source_keep(out);
        zip = zip_open_from_source(out, ZIP_TRUNCATE, NULL);
        if (!zip)
                abort();
        for (size_t i = 0; i < n; i++) {
                zip_source_t *s;
                zip_int64_t index;

                if (!contents[i])
                        continue;
                s = zip_source_buffer(zip, contents[i], strlen(contents[i]), 0);
                if (!s)
                        abort();
                index = zip_file_add(zip, names[i], s, ZIP_FL_OVERWRITE);
                if (index < 0 || zip_set_file_compression(zip, (zip_uint64_t) index, ZIP_CM_STORE, 0) < 0)
                        abort();
        }
        if (zip_close(zip) < 0 || zip_source_open(out) < 0 || zip_source_seek(out, 0, SEEK_END) < 0)
                abort();
        size = zip_source_tell(out);
        if (size < 0 || zip_source_seek(out, 0, SEEK_SET) < 0)
                abort();
        data = malloc((size_t) size + 1);
        if (!data || zip_source_read(out, data, (zip_uint64_t) size) != size)
                abort();
        zip_source_close(out);
        zip_source_free(out);
        *ret_size = (size_t) size;
        return data;
}

/* What workbook.h promises of an accepted workbook. */
static inline void workbook_fuzz_check(const Workbook *w) {
        if (!w)
                abort();
        for (size_t i = 0; i < w->n_sheets; i++) {
                const Sheet *s = &w->sheets[i];
                size_t rows = 0;

                if (!s->name || workbook_find_sheet(w, s->name) == NULL)
                        abort();
                for (size_t j = 0; j < s->n_cells; j++) {
                        const Cell *c = &s->cells[j];

                        if (!c->text || !c->text[0] || strlen(c->text) > WORKBOOK_CELL_TEXT_MAX ||
                            c->column >= WORKBOOK_COLUMNS_MAX || sheet_cell(s, c->row, c->column) != c)
                                abort();
                        if (j > 0 && (c[-1].row > c->row || (c[-1].row == c->row && c[-1].column >= c->column)))
                                abort(); /* sorted, no duplicate */
                        if (j == 0 || c[-1].row != c->row)
                                rows++;
                        if (c->type == CELL_DATE) {
                                char buf[DATE_STRING_MAX];
                                if (!date_is_valid(c->date.year, c->date.month, c->date.day) ||
                                    strcmp(date_format(c->date, buf), c->text) != 0)
                                        abort();
                        }
                }
                if (rows > WORKBOOK_ROWS_MAX)
                        abort();
                for (size_t j = 1; j < s->n_hidden_rows; j++)
                        if (s->hidden_rows[j - 1] >= s->hidden_rows[j])
                                abort();
        }
}

/* Reads it; an accepted workbook is checked, a refusal must say why. */
static inline void workbook_fuzz_read(const void *data, size_t size, WorkbookFormat format) {
        Diagnostics diags = DIAGNOSTICS_INIT;
        Workbook *w = NULL;
        int r;

        r = workbook_read("fuzz", data, size, format, &w, &diags);
        if (r >= 0)
                workbook_fuzz_check(w);
        else if (r != -ENOMEM && !diagnostics_has_errors(&diags))
                abort();
        workbook_free(w);
        diagnostics_clear(&diags);
}

static inline bool workbook_fuzz_is_zip(const uint8_t *data, size_t size) {
        return size >= 4 && memcmp(data, "PK\3\4", 4) == 0;
}
