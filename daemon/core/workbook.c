/* workbook.c — the common part of the spreadsheet reader (workbook.h):
 * workbook_read() itself, lookups, cell names, label matching, and for the
 * two format readers the sheet builder (where the row, column and cell
 * limits are enforced), bounded text, number and serial-date helpers and
 * the wording of refusals (workbook_internal.h). Pure: no I/O, no logging. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/workbook_internal.h"
#include "base/identifiers.h"

static uint32_t clamp32(uint64_t v) {
        return v > UINT32_MAX ? UINT32_MAX : (uint32_t) v;
}

/* ---- freeing ---- */

static void sheet_done(Sheet *s) {
        for (size_t i = 0; i < s->n_cells; i++)
                free(s->cells[i].text);
        free(s->cells);
        free(s->hidden_rows);
        free(s->name);
}

Workbook *workbook_free(Workbook *w) {
        if (!w)
                return NULL;
        for (size_t i = 0; i < w->n_sheets; i++)
                sheet_done(&w->sheets[i]);
        free(w->sheets);
        free(w);
        return NULL;
}

/* ---- reading ---- */

int workbook_read(const char *file, const void *data, size_t size, WorkbookFormat format,
                  Workbook **ret, Diagnostics *diags) {
        _cleanup_(workbook_freep) Workbook *w = NULL;
        WorkbookInput in = {
                .file = file,
                .diags = diags,
        };
        WorkbookXmlErrors errors;
        int r;

        if (!ret || (!data && size > 0) || format < 0 || format >= _WORKBOOK_FORMAT_MAX)
                return -EINVAL;
        w = calloc(1, sizeof(Workbook));
        if (!w)
                return -ENOMEM;
        w->format = format;
        in.workbook = w;
        in.nocase = format == WORKBOOK_XLSX;

        workbook_xml_errors_silence(&errors);
        r = workbook_zip_open(&in, data, size);
        if (r >= 0)
                r = format == WORKBOOK_ODS ? workbook_ods_read(&in) : workbook_xlsx_read(&in);
        workbook_zip_close(&in);
        workbook_xml_errors_restore(&errors);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(w);
        return 0;
}

/* ---- lookups ---- */

const Sheet *workbook_find_sheet(const Workbook *w, const char *name) {
        if (!w || !name)
                return NULL;
        for (size_t i = 0; i < w->n_sheets; i++)
                if (workbook_label_equal(w->sheets[i].name, name))
                        return &w->sheets[i];
        return NULL;
}

static int cell_position_compare(uint32_t row_a, uint32_t col_a, uint32_t row_b, uint32_t col_b) {
        if (row_a != row_b)
                return row_a < row_b ? -1 : 1;
        if (col_a != col_b)
                return col_a < col_b ? -1 : 1;
        return 0;
}

const Cell *sheet_cell(const Sheet *s, uint32_t row, uint32_t column) {
        size_t lo = 0, hi;

        if (!s)
                return NULL;
        hi = s->n_cells;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                const Cell *c = &s->cells[mid];
                int k = cell_position_compare(c->row, c->column, row, column);

                if (k == 0)
                        return c;
                if (k < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

bool sheet_row_is_hidden(const Sheet *s, uint32_t row) {
        size_t lo = 0, hi;

        if (!s)
                return false;
        hi = s->n_hidden_rows;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (s->hidden_rows[mid] == row)
                        return true;
                if (s->hidden_rows[mid] < row)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return false;
}

const char *cell_name(uint32_t row, uint32_t column, char ret[static CELL_NAME_MAX]) {
        char letters[8];
        size_t n = 0;
        uint64_t c = (uint64_t) column + 1;
        int k;

        /* Bijective base 26: A..Z, AA..ZZ, AAA… */
        while (c > 0) {
                c--;
                letters[n++] = (char) ('A' + c % 26);
                c /= 26;
        }
        for (size_t i = 0; i < n; i++)
                ret[i] = letters[n - 1 - i];
        k = snprintf(ret + n, CELL_NAME_MAX - n, "%" PRIu64, (uint64_t) row + 1);
        if (k < 0 || (size_t) k >= CELL_NAME_MAX - n)
                strcpy(ret, "?"); /* beyond any spreadsheet's size */
        return ret;
}

int workbook_parse_cell_ref(const char *s, uint32_t *ret_row, uint32_t *ret_column) {
        uint64_t column = 0, row = 0;
        size_t letters = 0, digits = 0;
        const char *p = s;

        /* Optional '$' of absolute references: never in <c r>, harmless. */
        if (*p == '$')
                p++;
        for (; *p >= 'A' && *p <= 'Z'; p++, letters++) {
                if (letters >= 3)
                        return -EINVAL;
                column = column * 26 + (uint64_t) (*p - 'A' + 1);
        }
        if (*p == '$')
                p++;
        for (; *p >= '0' && *p <= '9'; p++, digits++) {
                if (digits >= 7)
                        return -EINVAL;
                row = row * 10 + (uint64_t) (*p - '0');
        }
        /* Excel's grid: XFD (16384 columns), 1048576 rows. */
        if (*p || letters == 0 || digits == 0 || row == 0 || row > 1048576 || column > 16384)
                return -EINVAL;
        *ret_row = (uint32_t) (row - 1);
        *ret_column = (uint32_t) (column - 1);
        return 0;
}

/* ---- labels ---- */

/* Latin-1 Supplement and Latin Extended-A, U+00C0..U+017F, folded to lower
 * case ASCII without accents; "" keeps the character (× and ÷). */
static const char *const latin_fold[] = {
        "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i", /* U+00C0 */
        "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "ss", /* U+00D0 */
        "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i", /* U+00E0 */
        "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y", /* U+00F0 */
        "a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d", /* U+0100 */
        "d", "d", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g", /* U+0110 */
        "g", "g", "g", "g", "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i", /* U+0120 */
        "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l", /* U+0130 */
        "l", "l", "l", "n", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o", /* U+0140 */
        "o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s", /* U+0150 */
        "s", "s", "t", "t", "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u", /* U+0160 */
        "u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s", /* U+0170 */
};

static bool label_is_space(uint32_t cp) {
        return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0xA0 || cp == 0x202F ||
               (cp >= 0x2000 && cp <= 0x200A) || cp == 0x3000;
}

/* Combining accents (text typed on a Mac arrives decomposed: "e" U+0301)
 * and zero-width characters pasted from the web: nothing to compare. */
static bool label_is_ignorable(uint32_t cp) {
        return (cp >= 0x300 && cp <= 0x36F) || cp == 0x200B || cp == 0xFEFF;
}

/* Walks a label as the folded characters it is compared by. */
typedef struct LabelIter {
        const char *p, *end;
        uint32_t pending[3];
        size_t n_pending, i_pending;
        bool started, space;
} LabelIter;

static void label_fold(LabelIter *it, uint32_t cp) {
        it->n_pending = it->i_pending = 0;
        if (cp >= 'A' && cp <= 'Z')
                cp += 'a' - 'A';
        else if (cp >= 0xC0 && cp <= 0x17F && latin_fold[cp - 0xC0][0]) {
                for (const char *f = latin_fold[cp - 0xC0]; *f; f++)
                        it->pending[it->n_pending++] = (unsigned char) *f;
                return;
        } else if (cp == 0x2018 || cp == 0x2019 || cp == 0x02BC)
                cp = '\''; /* Word's typographic apostrophe */
        else if (cp >= 0x2010 && cp <= 0x2015)
                cp = '-';
        it->pending[it->n_pending++] = cp;
}

/* The next folded character, or 0 at the end (spaces at the end dropped). */
static uint32_t label_next(LabelIter *it) {
        for (;;) {
                uint32_t cp;
                size_t n;

                if (it->i_pending < it->n_pending)
                        return it->pending[it->i_pending++];
                if (it->p >= it->end)
                        return 0;
                n = utf8_decode(it->p, (size_t) (it->end - it->p), &cp);
                if (n == 0) {
                        /* Not UTF-8: compared byte for byte, never equal to a letter. */
                        cp = 0x80000000u | (unsigned char) *it->p;
                        n = 1;
                }
                it->p += n;
                if (label_is_space(cp)) {
                        it->space = it->started;
                        continue;
                }
                if (label_is_ignorable(cp))
                        continue;
                label_fold(it, cp);
                it->started = true;
                if (it->space) {
                        it->space = false;
                        return ' ';
                }
        }
}

bool workbook_label_equal(const char *a, const char *b) {
        LabelIter x, y;

        if (!a || !b)
                return false;
        x = (LabelIter) { .p = a, .end = a + strlen(a) };
        y = (LabelIter) { .p = b, .end = b + strlen(b) };
        for (;;) {
                uint32_t cx = label_next(&x), cy = label_next(&y);

                if (cx != cy)
                        return false;
                if (cx == 0)
                        return true;
        }
}

/* ---- arrays ---- */

void *workbook_grow(void *array, size_t *cap, size_t n, size_t size) {
        size_t want;
        void *p;

        if (array && n < *cap)
                return array;
        want = *cap ? *cap * 2 : 16;
        if (want > SIZE_MAX / size)
                return NULL;
        p = realloc(array, want * size);
        if (!p)
                return NULL;
        *cap = want;
        return p;
}

/* ---- bounded text ---- */

static int workbook_text_reserve(WorkbookText *t, size_t n) {
        size_t need, cap;
        char *s;

        if (n > WORKBOOK_CELL_TEXT_MAX || t->len > WORKBOOK_CELL_TEXT_MAX - n)
                return -E2BIG;
        need = t->len + n + 1;
        if (need <= t->cap)
                return 0;
        cap = t->cap ? t->cap : 64;
        while (cap < need)
                cap *= 2;
        s = realloc(t->s, cap);
        if (!s)
                return -ENOMEM;
        t->s = s;
        t->cap = cap;
        return 0;
}

int workbook_text_append(WorkbookText *t, const char *s, size_t n) {
        int r;

        r = workbook_text_reserve(t, n);
        if (r < 0)
                return r;
        if (n > 0)
                memcpy(t->s + t->len, s, n);
        t->len += n;
        t->s[t->len] = 0;
        return 0;
}

int workbook_text_repeat(WorkbookText *t, char c, uint64_t n) {
        int r;

        if (n > WORKBOOK_CELL_TEXT_MAX)
                return -E2BIG;
        r = workbook_text_reserve(t, (size_t) n);
        if (r < 0)
                return r;
        memset(t->s + t->len, c, (size_t) n);
        t->len += (size_t) n;
        t->s[t->len] = 0;
        return 0;
}

/* ---- refusals ---- */

char *workbook_display_name(const char *name, char buf[static 128]) {
        const char *p = strempty(name);
        size_t n = 0;

        while (*p && n < 100) {
                size_t c = utf8_control_len(p);

                if (c > 0) {
                        buf[n++] = '?';
                        p += c;
                } else
                        buf[n++] = *p++;
        }
        if (*p) {
                /* Cut at 100 bytes, never inside a UTF-8 sequence. */
                uint32_t cp;
                size_t start = utf8_char_start(buf, n - 1);

                if (utf8_decode(buf + start, n - start, &cp) == 0)
                        n = start;
                memcpy(buf + n, "…", strlen("…"));
                n += strlen("…");
        }
        buf[n] = 0;
        return buf;
}

int workbook_damaged(WorkbookInput *in, const char *detail_en, const char *detail_fr) {
        int r;

        r = diag_error2(in->diags, in->file, NULL,
                        "the workbook is damaged or incomplete (%s%.0s): open it and save it again",
                        "le classeur est abîmé ou incomplet (%.0s%s) : ouvrez-le et enregistrez-le de nouveau",
                        detail_en, detail_fr);
        return r < 0 ? r : -EINVAL;
}

static int sheet_limit_rows(SheetBuilder *b) {
        char name[128];
        int r;

        workbook_display_name(b->sheet->name, name);
        r = diag_error2(b->in->diags, b->in->file, NULL,
                        "sheet %s has more than 20000 non-empty rows",
                        "la feuille %s contient plus de 20 000 lignes remplies",
                        name);
        return r < 0 ? r : -EINVAL;
}

int sheet_builder_column_limit(SheetBuilder *b) {
        char name[128];
        int r;

        workbook_display_name(b->sheet->name, name);
        r = diag_error2(b->in->diags, b->in->file, NULL,
                        "row %" PRIu64 " of sheet %s has a cell beyond column 1024",
                        "la ligne %" PRIu64 " de la feuille %s a une cellule au-delà de la colonne 1 024",
                        b->row + 1, name);
        return r < 0 ? r : -EINVAL;
}

int sheet_builder_text_error(SheetBuilder *b, uint64_t column, int r) {
        char name[128], cell[CELL_NAME_MAX];

        if (r != -E2BIG)
                return r;
        workbook_display_name(b->sheet->name, name);
        cell_name(clamp32(b->row), clamp32(column), cell);
        r = diag_error2(b->in->diags, b->in->file, NULL,
                        "sheet %s, cell %s: the text is longer than 1 MiB",
                        "feuille %s, cellule %s : le texte dépasse 1 Mio",
                        name, cell);
        return r < 0 ? r : -EINVAL;
}

int workbook_too_much_text(WorkbookInput *in) {
        int r;

        r = diag_add2(in->diags, DIAG_ERROR, in->file, 0, NULL,
                      "the workbook has more than 1000000 non-empty cells, or more than 64 MiB of text",
                      "le classeur contient plus de 1 000 000 cellules remplies, ou plus de 64 Mio de texte");
        return r < 0 ? r : -EINVAL;
}

/* ---- sheets under construction ---- */

int sheet_builder_start(SheetBuilder *b, WorkbookInput *in, const char *name, bool hidden) {
        Workbook *w = in->workbook;
        Sheet *sheets;
        char *copy;

        if (w->n_sheets >= WORKBOOK_SHEETS_MAX) {
                int r = diag_add2(in->diags, DIAG_ERROR, in->file, 0, NULL,
                                  "the workbook has more than 1000 sheets",
                                  "le classeur contient plus de 1 000 feuilles");
                return r < 0 ? r : -EINVAL;
        }
        name = strempty(name);
        /* Cut long names, never inside a UTF-8 sequence. */
        copy = strndup(name, strlen(name) > WORKBOOK_NAME_MAX ? utf8_char_start(name, WORKBOOK_NAME_MAX)
                                                               : WORKBOOK_NAME_MAX);
        if (!copy)
                return -ENOMEM;
        sheets = realloc(w->sheets, (w->n_sheets + 1) * sizeof(Sheet));
        if (!sheets) {
                free(copy);
                return -ENOMEM;
        }
        w->sheets = sheets;
        w->sheets[w->n_sheets] = (Sheet) { .name = copy, .hidden = hidden };
        *b = (SheetBuilder) {
                .in = in,
                .sheet = &w->sheets[w->n_sheets++],
                .sorted = true,
        };
        return 0;
}

void sheet_builder_row(SheetBuilder *b, uint64_t row, bool hidden) {
        b->row = row;
        b->row_hidden = hidden;
        b->row_has_cells = false;
}

static int sheet_builder_first_cell_of_row(SheetBuilder *b) {
        Sheet *s = b->sheet;

        if (b->n_rows >= WORKBOOK_ROWS_MAX)
                return sheet_limit_rows(b);
        b->n_rows++;
        b->row_has_cells = true;
        if (!b->row_hidden)
                return 0;
        if (s->n_hidden_rows == b->cap_hidden) {
                size_t cap = b->cap_hidden ? b->cap_hidden * 2 : 16;
                uint32_t *rows = realloc(s->hidden_rows, cap * sizeof(uint32_t));

                if (!rows)
                        return -ENOMEM;
                s->hidden_rows = rows;
                b->cap_hidden = cap;
        }
        s->hidden_rows[s->n_hidden_rows++] = (uint32_t) b->row;
        return 0;
}

int sheet_builder_cell(SheetBuilder *b, uint64_t column, CellType type, const char *text, size_t len,
                       const Date *date) {
        WorkbookInput *in = b->in;
        Sheet *s = b->sheet;
        Cell *c;
        int r;

        if (len == 0)
                return 0; /* an empty string is an empty cell */
        if (column >= WORKBOOK_COLUMNS_MAX)
                return sheet_builder_column_limit(b);
        if (b->row > UINT32_MAX - 1)
                return workbook_damaged(in, "row number out of range", "numéro de ligne hors limites");
        if (in->total_cells >= WORKBOOK_CELLS_MAX || len > WORKBOOK_TEXT_TOTAL_MAX - in->total_text)
                return workbook_too_much_text(in);
        if (!b->row_has_cells) {
                r = sheet_builder_first_cell_of_row(b);
                if (r < 0)
                        return r;
        }
        if (s->n_cells == b->cap_cells) {
                size_t cap = b->cap_cells ? b->cap_cells * 2 : 64;
                Cell *cells = realloc(s->cells, cap * sizeof(Cell));

                if (!cells)
                        return -ENOMEM;
                s->cells = cells;
                b->cap_cells = cap;
        }
        c = &s->cells[s->n_cells];
        *c = (Cell) {
                .row = (uint32_t) b->row,
                .column = (uint32_t) column,
                .type = type,
                .date = date ? *date : (Date) {},
        };
        c->text = strndup(text, len);
        if (!c->text)
                return -ENOMEM;
        if (s->n_cells > 0 &&
            cell_position_compare(c[-1].row, c[-1].column, c->row, c->column) >= 0)
                b->sorted = false;
        s->n_cells++;
        in->total_cells++;
        in->total_text += len;
        return 0;
}

static int cell_compare(const void *a, const void *b) {
        const Cell *x = a, *y = b;
        int k = cell_position_compare(x->row, x->column, y->row, y->column);

        /* The sort is not stable: the address keeps the file's order, so that
         * the first of two cells at one place is the one kept. */
        if (k == 0)
                k = x < y ? -1 : x > y;
        return k;
}

static int row_compare(const void *a, const void *b) {
        uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
        return x < y ? -1 : x > y;
}

int sheet_builder_finish(SheetBuilder *b) {
        Sheet *s = b->sheet;
        size_t n = 0;

        if (!b->sorted) {
                /* Only hand-made or hostile files: sort, keep the first of duplicates. */
                qsort(s->cells, s->n_cells, sizeof(Cell), cell_compare);
                for (size_t i = 0; i < s->n_cells; i++) {
                        if (n > 0 && s->cells[n - 1].row == s->cells[i].row &&
                            s->cells[n - 1].column == s->cells[i].column) {
                                free(s->cells[i].text);
                                continue;
                        }
                        s->cells[n++] = s->cells[i];
                }
                s->n_cells = n;
        }
        if (s->n_hidden_rows > 1)
                qsort(s->hidden_rows, s->n_hidden_rows, sizeof(uint32_t), row_compare);
        n = 0;
        for (size_t i = 0; i < s->n_hidden_rows; i++)
                if (n == 0 || s->hidden_rows[n - 1] != s->hidden_rows[i])
                        s->hidden_rows[n++] = s->hidden_rows[i];
        s->n_hidden_rows = n;
        return 0;
}

/* ---- values ---- */

bool workbook_number_is_valid(const char *s) {
        size_t digits = 0;

        if (*s == '-' || *s == '+')
                s++;
        for (; *s >= '0' && *s <= '9'; s++)
                digits++;
        if (*s == '.')
                for (s++; *s >= '0' && *s <= '9'; s++)
                        digits++;
        if (digits == 0)
                return false;
        if (*s == 'e' || *s == 'E') {
                size_t exp = 0;

                s++;
                if (*s == '-' || *s == '+')
                        s++;
                for (; *s >= '0' && *s <= '9'; s++)
                        exp++;
                if (exp == 0)
                        return false;
        }
        return *s == 0;
}

int workbook_serial_to_date(const char *number, bool date1904, Date *ret) {
        int64_t serial = 0;
        const char *p = number;
        Date base;

        /* Only the plain decimal form: an exponent or a sign is no day. */
        if (*p < '0' || *p > '9')
                return -EINVAL;
        for (; *p >= '0' && *p <= '9'; p++) {
                if (serial > 10000000)
                        return -EINVAL;
                serial = serial * 10 + (*p - '0');
        }
        if (*p == '.') /* the time of day: ignored */
                for (p++; *p >= '0' && *p <= '9'; p++)
                        ;
        if (*p)
                return -EINVAL;
        if (date1904)
                base = (Date) { 1904, 1, 1 };
        else if (serial == 0 || serial == 60)
                return -EINVAL; /* "1900-01-00" and Lotus 1-2-3's 1900-02-29 */
        else if (serial < 60)
                base = (Date) { 1899, 12, 31 }; /* not a Date: only used for days */
        else
                base = (Date) { 1899, 12, 30 };
        return date_add_days_checked(base, serial, ret) < 0 ? -EINVAL : 0;
}
