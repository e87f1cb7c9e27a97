/* bilan_sheet.c — a spreadsheet bilan turned into the same Bilan as the
 * equivalent JSON (see bilan_sheet.h and chorusd-bilan(5)).
 *
 * The cells become the JSON document a bilan file would hold, and bilan.c
 * checks that document with its own rules (bilan_check_tree()): one set of
 * rules and messages for both kinds of file. While the document is built,
 * each JSON path it gets is recorded with the sheet and cell it came from;
 * bilan.c's diagnostics are then located by their path (the exact path,
 * else the longest recorded prefix, else the sheet). What only a sheet can
 * get wrong (a missing label or header, a cell that is not a date, a
 * formula error) is reported here, located directly, and bilan.c's report
 * at the same path ("missing") is dropped. Numbers never go through
 * floating point: a number cell's text is read as a decimal. Pure: no I/O,
 * no logging. */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/bilan_sheet.h"
#include "base/identifiers.h"
#include "base/json-cleanup.h"
#include "base/jsoncheck.h"

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

enum {
        COL_ACTION,
        COL_REF,
        COL_NAME,
        COL_KIND,
        COL_DATE,
        COL_ATTENDEES,
        COL_NOTE,
        _COL_MAX,
};

static const char *const column_labels[_COL_MAX] = {
        [COL_ACTION] = "Action",   [COL_REF] = "Référence",         [COL_NAME] = "Nom",
        [COL_KIND] = "Type",       [COL_DATE] = "Date",             [COL_ATTENDEES] = "Participants",
        [COL_NOTE] = "Note",
};

static void sheet_read_done(SheetRead *r) {
        for (size_t i = 0; i < r->n_origins; i++)
                free(r->origins[i].path);
        free(r->origins);
        for (size_t i = 0; i < r->n_lists; i++)
                free(r->lists[i].key);
        free(r->lists);
        free(r->known_actions);
}

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
static void sheet_report(SheetRead *r, DiagSeverity severity, const char *sheet, const char *cell,
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

#define sheet_error(r, sheet, cell, en, fr, ...)                                          \
        ((void) sizeof(printf(en, __VA_ARGS__)), (void) sizeof(printf(fr, __VA_ARGS__)), \
         sheet_report((r), DIAG_ERROR, (sheet), (cell), (en), (fr), __VA_ARGS__))
#define sheet_warning(r, sheet, cell, en, fr, ...)                                        \
        ((void) sizeof(printf(en, __VA_ARGS__)), (void) sizeof(printf(fr, __VA_ARGS__)), \
         sheet_report((r), DIAG_WARNING, (sheet), (cell), (en), (fr), __VA_ARGS__))

/* ---- origins ---- */

static Origin *origin_add(SheetRead *r, const char *path, const char *sheet) {
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

static Origin *origin_add_cell(SheetRead *r, const char *path, const char *sheet, uint32_t row,
                               uint32_t column) {
        Origin *o = origin_add(r, path, sheet);

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

/* ---- cell text ---- */

/* The length of the blank at `s`: ASCII blanks, no-break spaces (U+00A0,
 * U+202F, which spreadsheets put in numbers), else 0. */
static size_t blank_len(const char *s) {
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
                return 1;
        if ((unsigned char) s[0] == 0xC2 && (unsigned char) s[1] == 0xA0)
                return 2;
        if ((unsigned char) s[0] == 0xE2 && (unsigned char) s[1] == 0x80 && (unsigned char) s[2] == 0xAF)
                return 3;
        return 0;
}

/* `s` without its surrounding blanks, as a new string. */
static char *trimmed(const char *s) {
        const char *end;
        size_t n;

        while ((n = blank_len(s)) > 0)
                s += n;
        end = s;
        for (const char *p = s; *p;) {
                n = blank_len(p);
                if (n > 0)
                        p += n;
                else
                        end = ++p;
        }
        return strndup(s, (size_t) (end - s));
}

static bool text_is_blank(const char *s) {
        size_t n;

        while ((n = blank_len(s)) > 0)
                s += n;
        return *s == '\0';
}

/* The cell at (row, column) unless it is empty or blank; column < 0 is a
 * column the sheet does not have. */
static const Cell *field_cell(const Sheet *s, uint32_t row, int64_t column) {
        const Cell *c;

        if (column < 0)
                return NULL;
        c = sheet_cell(s, row, (uint32_t) column);
        return c && !text_is_blank(c->text) ? c : NULL;
}

static const char *cell_at(uint32_t row, uint32_t column, char buf[static CELL_NAME_MAX]) {
        return cell_name(row, column, buf);
}

/* A number cell's decimal text ("17", "1.3002602400013E+13", "130026024")
 * as the digits of a non-negative integer without leading zeros, if it is
 * one of at most `max_digits` digits. No floating point: the exponent moves
 * the decimal point in the text. */
static bool number_integer_digits(const char *s, char *buf, size_t max_digits) {
        char mantissa[64];
        size_t n = 0, int_len = 0, k = 0;
        bool fraction = false;
        long exponent = 0, point;
        const char *p = s;

        if (*p == '+')
                p++;
        for (; *p && *p != 'e' && *p != 'E'; p++) {
                if (*p == '.' && !fraction) {
                        fraction = true;
                        continue;
                }
                if (*p < '0' || *p > '9' || n >= sizeof mantissa)
                        return false;
                mantissa[n++] = *p;
                if (!fraction)
                        int_len++;
        }
        if (n == 0)
                return false;
        if (*p) {
                char *end;
                exponent = strtol(p + 1, &end, 10);
                if (end == p + 1 || *end || exponent > 40 || exponent < -40)
                        return false;
        }
        point = (long) int_len + exponent; /* how many digits are before the point */
        if (point < 0)
                point = 0;
        for (long i = point; i < (long) n; i++)
                if (mantissa[i] != '0')
                        return false; /* not an integer */
        for (long i = 0; i < point; i++) {
                char d = i < (long) n ? mantissa[i] : '0';
                if (k == 0 && d == '0')
                        continue;
                if (k >= max_digits)
                        return false;
                buf[k++] = d;
        }
        if (k == 0)
                buf[k++] = '0';
        buf[k] = '\0';
        return true;
}

/* "130 026 024 00013" → "13002602400013": digits and blanks making 14
 * digits. */
static bool spaced_siret(const char *s, char buf[static 15]) {
        size_t k = 0, n;

        while (*s) {
                n = blank_len(s);
                if (n > 0) {
                        s += n;
                        continue;
                }
                if (*s < '0' || *s > '9' || k >= 14)
                        return false;
                buf[k++] = *s++;
        }
        buf[k] = '\0';
        return k == 14;
}

/* ---- values ---- */

static bool cell_is_error(SheetRead *r, const char *sheet, const Cell *c) {
        char name[CELL_NAME_MAX];
        char shown[JSONCHECK_SHOWN_MAX];

        if (c->type != CELL_ERROR)
                return false;
        sheet_error(r, sheet, cell_at(c->row, c->column, name),
                    "the formula gives an error (%s): fix the formula or write the value",
                    "la formule de cette cellule donne une erreur (%s) : corrigez-la ou écrivez la valeur",
                    jsoncheck_shown(c->text, shown));
        return true;
}

static int parse_small(const char *s, size_t len, int *ret) {
        int v = 0;

        if (len == 0)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                v = v * 10 + (s[i] - '0');
        }
        *ret = v;
        return 0;
}

/* Text dates as people type them: 14/03/2026, 14/03/26 (20YY), 2026-03-14.
 * Returns 0 and the date, -ERANGE when the shape is right but the day does
 * not exist, -EINVAL when it is not a date. */
static int text_date(const char *s, Date *ret) {
        size_t n = strlen(s);
        const char *a, *b;
        int d, m, y;

        if (n == 10 && s[4] == '-' && s[7] == '-') {
                if (parse_small(s, 4, &y) < 0 || parse_small(s + 5, 2, &m) < 0 || parse_small(s + 8, 2, &d) < 0)
                        return -EINVAL;
        } else {
                a = strchr(s, '/');
                b = a ? strchr(a + 1, '/') : NULL;
                if (!a || !b || a - s < 1 || a - s > 2 || b - a - 1 < 1 || b - a - 1 > 2)
                        return -EINVAL;
                if (parse_small(s, (size_t) (a - s), &d) < 0 || parse_small(a + 1, (size_t) (b - a - 1), &m) < 0)
                        return -EINVAL;
                n = strlen(b + 1);
                if ((n != 2 && n != 4) || parse_small(b + 1, n, &y) < 0)
                        return -EINVAL;
                if (n == 2)
                        y += 2000;
        }
        if (!date_is_valid(y, m, d))
                return -ERANGE;
        *ret = (Date) { .year = y, .month = m, .day = d };
        return 0;
}

/* A date cell, or text that is a date, as "AAAA-MM-JJ"; reports anything
 * else at the cell. */
static bool cell_date(SheetRead *r, const char *sheet, const Cell *c, char out[static DATE_STRING_MAX]) {
        _cleanup_(freep) char *t = NULL;
        char name[CELL_NAME_MAX], shown[JSONCHECK_SHOWN_MAX];
        Date d;
        int k;

        if (cell_is_error(r, sheet, c))
                return false;
        if (c->type == CELL_DATE) {
                date_format(c->date, out);
                return true;
        }
        t = trimmed(c->text);
        if (!t) {
                r->error = -ENOMEM;
                return false;
        }
        k = c->type == CELL_TEXT ? text_date(t, &d) : -EINVAL;
        if (k >= 0) {
                date_format(d, out);
                return true;
        }
        cell_at(c->row, c->column, name);
        jsoncheck_shown(t, shown);
        if (k == -ERANGE)
                sheet_error(r, sheet, name, "the date %s does not exist", "la date %s n'existe pas", shown);
        else
                sheet_error(r, sheet, name, "\"%s\" is not a date: write it DD/MM/YYYY",
                            "« %s » n'est pas une date : écrivez-la JJ/MM/AAAA, par exemple 14/03/2026", shown);
        return false;
}

/* The Référence column: a SIRET typed as a number gets back the leading
 * zeros a spreadsheet drops, a SIRET typed with spaces loses them, a date
 * cell becomes AAAA-MM-JJ, other text stays as written (trimmed). */
static char *cell_ref(const Cell *c) {
        char digits[16];

        if (c->type == CELL_DATE) {
                char d[DATE_STRING_MAX];
                return strdup(date_format(c->date, d));
        }
        if (c->type == CELL_NUMBER && number_integer_digits(c->text, digits, 14) && strlen(digits) >= 9) {
                size_t n = strlen(digits);
                char *s = malloc(15);
                if (s) {
                        memset(s, '0', 14 - n);
                        memcpy(s + 14 - n, digits, n + 1);
                }
                return s;
        }
        if (c->type == CELL_TEXT && spaced_siret(c->text, digits))
                return strdup(digits);
        return trimmed(c->text);
}

/* Participants: an integer number cell, or text of digits. */
static bool cell_count(SheetRead *r, const char *sheet, const Cell *c, int64_t *ret) {
        _cleanup_(freep) char *t = NULL;
        char digits[16], name[CELL_NAME_MAX], shown[JSONCHECK_SHOWN_MAX];
        bool ok;

        if (cell_is_error(r, sheet, c))
                return false;
        t = trimmed(c->text);
        if (!t) {
                r->error = -ENOMEM;
                return false;
        }
        if (c->type == CELL_NUMBER)
                ok = number_integer_digits(t, digits, 15);
        else
                ok = c->type == CELL_TEXT && t[0] && strlen(t) <= 15 && strspn(t, "0123456789") == strlen(t);
        if (ok) {
                *ret = strtoll(c->type == CELL_NUMBER ? digits : t, NULL, 10);
                return true;
        }
        sheet_error(r, sheet, cell_at(c->row, c->column, name),
                    "expected a whole number of attendees, got \"%s\"",
                    "il faut un nombre entier de participants, pas « %s »", jsoncheck_shown(t, shown));
        return false;
}

/* Adds `key`: `text` trimmed to `object`. */
static void add_text(SheetRead *r, cJSON *object, const char *key, const char *text) {
        _cleanup_(freep) char *t = trimmed(text);

        if (!t || !cJSON_AddStringToObject(object, key, t))
                r->error = -ENOMEM;
}

/* ---- sheet Bilan ---- */

typedef struct MainLabel {
        const char *label, *key;
        bool required, is_date, below;
        const char *hint_en, *hint_fr;
} MainLabel;

static const MainLabel main_labels[] = {
        { "Convention", "convention", true, false, false, "the convention's identifier",
          "indiquez l'identifiant de la convention" },
        { "Date du bilan", "issued_on", true, true, false, "the date of the bilan",
          "indiquez la date du bilan (JJ/MM/AAAA)" },
        { "Auteur", "author", true, false, false, "who wrote the bilan", "indiquez qui a rédigé le bilan" },
        { "Partie qualitative", "qualitative", false, false, true, NULL, NULL },
};

/* The first text cell that is `label`, or NULL. */
static const Cell *find_label(const Sheet *s, const char *label) {
        for (size_t i = 0; i < s->n_cells; i++)
                if (s->cells[i].type == CELL_TEXT && workbook_label_equal(s->cells[i].text, label))
                        return &s->cells[i];
        return NULL;
}

/* The label's value: the first non-blank cell to its right in the same
 * row; for `below` labels, when there is none, the cell just below. */
static const Cell *label_value(const Sheet *s, const Cell *label, bool below) {
        for (const Cell *c = label + 1; c < s->cells + s->n_cells && c->row == label->row; c++)
                if (!text_is_blank(c->text))
                        return c;
        return below ? field_cell(s, label->row + 1, label->column) : NULL;
}

static void read_main_label(SheetRead *r, const Sheet *s, const MainLabel *m, const ConventionSet *set,
                            cJSON *root) {
        const Cell *label = find_label(s, m->label), *value;
        char name[CELL_NAME_MAX], date[DATE_STRING_MAX];
        Origin *o;

        if (!label) {
                if (!m->required)
                        return;
                o = origin_add(r, m->key, r->main_name);
                if (o)
                        o->reported = true;
                sheet_error(r, r->main_name, NULL,
                            "label \"%s\" not found: write it in a cell, and %s in the cell to its right%.0s",
                            "l'étiquette « %s » est introuvable : écrivez « %.0s%s » dans une cellule, et la "
                            "valeur dans la cellule à sa droite",
                            m->label, m->hint_en, m->label);
                return;
        }
        value = label_value(s, label, m->below);
        if (!value) {
                o = origin_add_cell(r, m->key, r->main_name, label->row, label->column);
                if (o)
                        o->reported = m->required;
                if (m->required)
                        sheet_error(r, r->main_name, cell_at(label->row, label->column, name),
                                    "nothing to the right of \"%s\": write %s there%.0s",
                                    "rien à droite de « %s » : %.0s%s dans la cellule à sa droite", m->label,
                                    m->hint_en, m->hint_fr);
                return;
        }
        o = origin_add_cell(r, m->key, r->main_name, value->row, value->column);
        if (!o)
                return;
        if (cell_is_error(r, r->main_name, value)) {
                o->reported = true;
                return;
        }
        if (m->is_date) {
                if (!cell_date(r, r->main_name, value, date)) {
                        o->reported = true;
                        return;
                }
                if (!cJSON_AddStringToObject(root, m->key, date))
                        r->error = -ENOMEM;
                return;
        }
        add_text(r, root, m->key, value->text);
        if (streq(m->key, "convention")) {
                const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "convention");
                if (cJSON_IsString(id))
                        r->convention = convention_set_find(set, id->valuestring);
        }
}

static void read_main(SheetRead *r, const Workbook *w, const ConventionSet *set, cJSON *root) {
        const Sheet *s = workbook_find_sheet(w, BILAN_SHEET_MAIN);

        if (!origin_add(r, "bilan", r->main_name))
                return;
        if (!cJSON_AddNumberToObject(root, "bilan", BILAN_FORMAT_VERSION)) {
                r->error = -ENOMEM;
                return;
        }
        if (!s) {
                /* What it would have held is not reported again, missing. */
                for (size_t i = 0; i < ELEMENTSOF(main_labels); i++) {
                        Origin *o = origin_add(r, main_labels[i].key, r->main_name);
                        if (o)
                                o->reported = true;
                }
                sheet_error(r, NULL, NULL, "the workbook has no sheet \"%s\"%s",
                            "le classeur n'a pas de feuille « %s » : ajoutez-la (partez du modèle de la "
                            "convention)%s",
                            BILAN_SHEET_MAIN, "");
                return;
        }
        r->main_name = s->name;
        for (size_t i = 0; i < ELEMENTSOF(main_labels); i++)
                read_main_label(r, s, &main_labels[i], set, root);
}

/* ---- sheet Réalisations ---- */

/* Whether the cells [begin, end) of one row make a header row: both
 * Action and Référence; sets the column of each known label. */
static bool header_at(const Cell *begin, const Cell *end, int64_t cols[static _COL_MAX]) {
        for (size_t k = 0; k < _COL_MAX; k++)
                cols[k] = -1;
        for (const Cell *c = begin; c < end; c++) {
                if (c->type != CELL_TEXT)
                        continue;
                for (size_t k = 0; k < _COL_MAX; k++)
                        if (cols[k] < 0 && workbook_label_equal(c->text, column_labels[k])) {
                                cols[k] = c->column;
                                break;
                        }
        }
        return cols[COL_ACTION] >= 0 && cols[COL_REF] >= 0;
}

/* The end of the row that starts at `c`. */
static const Cell *row_end(const Sheet *s, const Cell *c) {
        const Cell *e = c;

        while (e < s->cells + s->n_cells && e->row == c->row)
                e++;
        return e;
}

/* The header row, or NULL. */
static const Cell *find_header(const Sheet *s, int64_t cols[static _COL_MAX]) {
        for (const Cell *c = s->cells; c < s->cells + s->n_cells && c->row < BILAN_SHEET_HEADER_ROWS;
             c = row_end(s, c))
                if (header_at(c, row_end(s, c), cols))
                        return c;
        return NULL;
}

/* The convention's id for what the Action cell says: the id itself, or
 * its label, matched like labels; NULL when none. Without a known
 * convention, the text as it is (bilan.c then checks nothing about it). */
static const char *action_key(const SheetRead *r, const char *text) {
        const Convention *c = r->convention;

        if (!c)
                return text;
        for (size_t i = 0; i < c->n_actions; i++)
                if (streq(c->actions[i].id, text))
                        return c->actions[i].id;
        for (size_t i = 0; i < c->n_actions; i++)
                if (workbook_label_equal(c->actions[i].id, text) || workbook_label_equal(c->actions[i].label, text))
                        return c->actions[i].id;
        return NULL;
}

static const char *known_actions(SheetRead *r) {
        _cleanup_(freep) const char **ids = NULL;
        const Convention *c = r->convention;

        if (r->known_actions)
                return r->known_actions;
        ids = calloc(c->n_actions + 1, sizeof(char *));
        if (!ids) {
                r->error = -ENOMEM;
                return "";
        }
        for (size_t i = 0; i < c->n_actions; i++)
                ids[i] = c->actions[i].id;
        r->known_actions = jsoncheck_join(ids);
        if (!r->known_actions) {
                r->error = -ENOMEM;
                return "";
        }
        return r->known_actions;
}

/* The array of `key` in realisations, made on first use. */
static ActionList *action_list(SheetRead *r, cJSON *realisations, const char *key) {
        ActionList *l;

        for (size_t i = 0; i < r->n_lists; i++)
                if (streq(r->lists[i].key, key))
                        return &r->lists[i];
        l = reallocarray(r->lists, r->n_lists + 1, sizeof(ActionList));
        if (!l) {
                r->error = -ENOMEM;
                return NULL;
        }
        r->lists = l;
        l = &r->lists[r->n_lists];
        *l = (ActionList) { .key = strdup(key), .array = cJSON_AddArrayToObject(realisations, key) };
        if (!l->key || !l->array) {
                free(l->key);
                r->error = -ENOMEM;
                return NULL;
        }
        r->n_lists++;
        return l;
}

/* The kind as the convention spells it, when the cell matches one of the
 * action's kinds like a label; else the text. */
static const char *kind_of(const SheetRead *r, const char *action, const char *text) {
        const ConventionAction *a = r->convention ? convention_find_action(r->convention, action) : NULL;

        if (!a || !a->kinds || convention_action_accepts_kind(a, text))
                return text;
        for (char **k = a->kinds; *k; k++)
                if (workbook_label_equal(*k, text))
                        return *k;
        return text;
}

typedef struct Row {
        const Sheet *sheet;
        uint32_t row;
        const int64_t *cols;
        const Cell *cells[_COL_MAX];
        char *path; /* realisations.ACTION[k] */
        uint32_t action_column;
} Row;

/* Records `field` of the row at its column (or at the Action cell when
 * the sheet has no such column). */
static Origin *row_origin(SheetRead *r, const Row *w, const char *field, size_t col) {
        _cleanup_(freep) char *p = jsoncheck_path_key(w->path, field);

        if (!p) {
                r->error = -ENOMEM;
                return NULL;
        }
        return origin_add_cell(r, p, w->sheet->name, w->row,
                               w->cols[col] >= 0 ? (uint32_t) w->cols[col] : w->action_column);
}

static void row_text(SheetRead *r, const Row *w, cJSON *o, const char *field, size_t col) {
        const Cell *c = w->cells[col];
        Origin *origin = row_origin(r, w, field, col);

        if (!origin || !c)
                return;
        if (cell_is_error(r, w->sheet->name, c)) {
                origin->reported = true;
                return;
        }
        add_text(r, o, field, c->text);
}

/* Type: the kind as the convention spells it. */
static void row_kind(SheetRead *r, const Row *w, cJSON *o, const char *action) {
        const Cell *c = w->cells[COL_KIND];
        Origin *origin = row_origin(r, w, "kind", COL_KIND);
        _cleanup_(freep) char *t = NULL;

        if (!origin || !c)
                return;
        if (cell_is_error(r, w->sheet->name, c)) {
                origin->reported = true;
                return;
        }
        t = trimmed(c->text);
        if (!t || !cJSON_AddStringToObject(o, "kind", kind_of(r, action, t)))
                r->error = -ENOMEM;
}

static void row_ref(SheetRead *r, const Row *w, cJSON *o) {
        const Cell *c = w->cells[COL_REF];
        Origin *origin = row_origin(r, w, "ref", COL_REF);
        _cleanup_(freep) char *ref = NULL;
        char name[CELL_NAME_MAX];

        if (!origin)
                return;
        if (!c) {
                origin->reported = true;
                sheet_error(r, w->sheet->name, cell_at(w->row, (uint32_t) w->cols[COL_REF], name),
                            "the reference is empty%s",
                            "la référence est vide : indiquez le SIRET de l'entreprise, la date de la "
                            "réunion ou la référence de la réalisation%s",
                            "");
                return;
        }
        if (cell_is_error(r, w->sheet->name, c)) {
                origin->reported = true;
                return;
        }
        ref = cell_ref(c);
        if (!ref || !cJSON_AddStringToObject(o, "ref", ref))
                r->error = -ENOMEM;
}

static void row_date(SheetRead *r, const Row *w, cJSON *o) {
        const Cell *c = w->cells[COL_DATE];
        Origin *origin = row_origin(r, w, "date", COL_DATE);
        char name[CELL_NAME_MAX], date[DATE_STRING_MAX];

        if (!origin)
                return;
        if (w->cols[COL_DATE] < 0) {
                origin->reported = true; /* the missing column is reported once */
                return;
        }
        if (!c) {
                origin->reported = true;
                sheet_error(r, w->sheet->name, cell_at(w->row, (uint32_t) w->cols[COL_DATE], name),
                            "the date is empty%s",
                            "la date est vide : indiquez la date de la réalisation (JJ/MM/AAAA)%s", "");
                return;
        }
        if (!cell_date(r, w->sheet->name, c, date)) {
                origin->reported = true;
                return;
        }
        if (!cJSON_AddStringToObject(o, "date", date))
                r->error = -ENOMEM;
}

static void row_attendees(SheetRead *r, const Row *w, cJSON *o) {
        const Cell *c = w->cells[COL_ATTENDEES];
        Origin *origin = row_origin(r, w, "attendees", COL_ATTENDEES);
        int64_t n;

        if (!origin || !c)
                return;
        if (!cell_count(r, w->sheet->name, c, &n)) {
                origin->reported = true;
                return;
        }
        /* ≤ 15 digits: exact as a double, and bilan.c checks the range. */
        if (!cJSON_AddNumberToObject(o, "attendees", (double) n))
                r->error = -ENOMEM;
}

/* The Action cell: the action's key, or NULL (reported). */
static const char *row_action(SheetRead *r, const Row *w, char **ret_text) {
        const Cell *c = w->cells[COL_ACTION];
        char name[CELL_NAME_MAX], shown[JSONCHECK_SHOWN_MAX];
        const char *key;

        cell_at(w->row, w->action_column, name);
        if (!c) {
                if (r->convention)
                        sheet_error(r, w->sheet->name, name, "the action is empty (expected one of: %s)",
                                    "l'action est vide : indiquez l'action de cette ligne, parmi : %s",
                                    known_actions(r));
                else
                        sheet_error(r, w->sheet->name, name, "the action is empty%s",
                                    "l'action est vide : indiquez l'action de cette ligne%s", "");
                return NULL;
        }
        if (cell_is_error(r, w->sheet->name, c))
                return NULL;
        *ret_text = trimmed(c->text);
        if (!*ret_text) {
                r->error = -ENOMEM;
                return NULL;
        }
        key = action_key(r, *ret_text);
        if (!key)
                sheet_error(r, w->sheet->name, name, "unknown action \"%s\" for convention %s (expected one of: %s)",
                            "l'action « %s » n'existe pas dans la convention %s ; les actions possibles "
                            "sont : %s (ou leurs intitulés)",
                            jsoncheck_shown(*ret_text, shown), r->convention->id, known_actions(r));
        return key;
}

static void read_row(SheetRead *r, Row *w, cJSON *realisations) {
        _cleanup_(freep) char *text = NULL, *list_path = NULL;
        const char *key = row_action(r, w, &text);
        ActionList *l;
        cJSON *o;
        Origin *origin;

        if (!key)
                return;
        l = action_list(r, realisations, key);
        if (!l)
                return;
        list_path = jsoncheck_path_key("realisations", key);
        w->path = list_path ? jsoncheck_path_index(list_path, l->n) : NULL;
        if (!w->path) {
                r->error = -ENOMEM;
                return;
        }
        if (l->n == 0 && !origin_add_cell(r, list_path, w->sheet->name, w->row, w->action_column))
                return;
        origin = origin_add_cell(r, w->path, w->sheet->name, w->row, w->action_column);
        if (!origin)
                return;
        origin->is_row = true;
        o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(l->array, o)) {
                cJSON_Delete(o);
                r->error = -ENOMEM;
                return;
        }
        l->n++;
        row_ref(r, w, o);
        row_date(r, w, o);
        row_kind(r, w, o, key);
        row_text(r, w, o, "name", COL_NAME);
        row_text(r, w, o, "note", COL_NOTE);
        row_attendees(r, w, o);
}

static void read_realisations(SheetRead *r, const Workbook *w, cJSON *root) {
        const Sheet *s = workbook_find_sheet(w, BILAN_SHEET_REALISATIONS);
        int64_t cols[_COL_MAX];
        const Cell *header;
        cJSON *realisations;
        char name[CELL_NAME_MAX];
        Origin *o;

        o = origin_add(r, "realisations", s ? s->name : r->real_name);
        if (!o)
                return;
        if (!s) {
                o->reported = true;
                sheet_error(r, NULL, NULL, "the workbook has no sheet \"%s\"%s",
                            "le classeur n'a pas de feuille « %s » : ajoutez-la, avec une ligne d'en-tête "
                            "(Action, Référence, Date…) puis une ligne par réalisation%s",
                            BILAN_SHEET_REALISATIONS, "");
                return;
        }
        r->real_name = s->name;
        header = find_header(s, cols);
        if (!header) {
                o->reported = true;
                sheet_error(r, s->name, NULL, "no header row (a row with Action and Référence) in the first %d rows",
                            "la ligne d'en-tête est introuvable : il faut, dans les %d premières lignes, une "
                            "ligne avec au moins les colonnes « Action » et « Référence »",
                            BILAN_SHEET_HEADER_ROWS);
                return;
        }
        if (cols[COL_DATE] < 0)
                sheet_error(r, s->name, NULL, "the header row (row %" PRIu32 ") has no \"Date\" column",
                            "la ligne d'en-tête (ligne %" PRIu32 ") n'a pas de colonne « Date » : ajoutez-la",
                            header->row + 1);
        realisations = cJSON_AddObjectToObject(root, "realisations");
        if (!realisations) {
                r->error = -ENOMEM;
                return;
        }
        for (const Cell *c = row_end(s, header); c < s->cells + s->n_cells && r->error >= 0; c = row_end(s, c)) {
                Row row = { .sheet = s, .row = c->row, .cols = cols, .action_column = (uint32_t) cols[COL_ACTION] };
                bool empty = true;

                for (size_t k = 0; k < _COL_MAX; k++) {
                        row.cells[k] = field_cell(s, c->row, cols[k]);
                        empty = empty && !row.cells[k];
                }
                if (empty)
                        continue;
                if (sheet_row_is_hidden(s, c->row)) {
                        sheet_warning(r, s->name, cell_at(c->row, row.action_column, name),
                                      "row %" PRIu32 " is hidden: not read",
                                      "la ligne %" PRIu32 " est masquée : elle n'est pas lue (affichez-la si "
                                      "elle doit compter)",
                                      c->row + 1);
                        continue;
                }
                read_row(r, &row, realisations);
                free(row.path);
        }
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
                k = diag_set_location(x, o->sheet, o->has_cell ? cell_at(o->row, o->column, name) : NULL);
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
static int relocate_all(const SheetRead *r, Diagnostics *inner, Diagnostics *out) {
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
static int sort_by_place(const SheetRead *r, Diagnostics *d, size_t first) {
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

/* ---- entry points ---- */

int bilan_sheet_parse(const char *file, const Workbook *w, const ConventionSet *conventions, Bilan **ret,
                      const Convention **ret_convention, Diagnostics *diags) {
        _cleanup_(diagnostics_clear) Diagnostics inner = DIAGNOSTICS_INIT;
        _cleanup_(cJSON_Deletep) cJSON *root = NULL;
        _cleanup_(bilan_freep) Bilan *b = NULL;
        const Convention *c = NULL;
        SheetRead r = {
                .file = file,
                .diags = diags,
                .main_name = BILAN_SHEET_MAIN,
                .real_name = BILAN_SHEET_REALISATIONS,
        };
        size_t first = diags ? diags->n_items : 0;
        int k;

        root = cJSON_CreateObject();
        if (!root)
                return -ENOMEM;
        /* .xlsm, or an ODS with Basic or Scripts: nothing in a workbook is
         * ever run, and the author should know that formulas computed by a
         * macro only count for the value saved in the file. */
        if (w->has_macros)
                sheet_warning(&r, NULL, NULL, "the workbook has macros: they are not run, only its cells are read%s",
                              "le classeur contient des macros : les macros ne sont pas exécutées, seules les "
                              "valeurs enregistrées dans les cellules sont lues%s",
                              "");
        read_main(&r, w, conventions, root);
        if (r.error >= 0)
                read_realisations(&r, w, root);
        if (r.error < 0) {
                sheet_read_done(&r);
                return r.error;
        }
        qsort(r.origins, r.n_origins, sizeof(Origin), origin_compare);
        k = bilan_check_tree(file, root, conventions, &b, &c, diags ? &inner : NULL);
        if (k == -ENOMEM || (diags && (relocate_all(&r, &inner, diags) < 0 || sort_by_place(&r, diags, first) < 0))) {
                sheet_read_done(&r);
                return -ENOMEM;
        }
        sheet_read_done(&r);
        if (k < 0)
                return k;
        if (r.n_errors > 0)
                return -EINVAL;
        if (ret_convention)
                *ret_convention = c;
        *ret = TAKE_PTR(b);
        return 0;
}

char *bilan_sheet_peek_convention(const Workbook *w) {
        const Sheet *s = workbook_find_sheet(w, BILAN_SHEET_MAIN);
        const Cell *label = s ? find_label(s, "Convention") : NULL;
        const Cell *value = label ? label_value(s, label, false) : NULL;
        char *id;

        if (!value || value->type == CELL_ERROR)
                return NULL;
        id = trimmed(value->text);
        /* Only a valid identifier: callers put it in logs and file names. */
        if (id && !identifier_is_valid(id)) {
                free(id);
                return NULL;
        }
        return id;
}
