/* bilan_sheet_cells.c — part of bilan_sheet (bilan_sheet_internal.h): one
 * cell of a spreadsheet bilan to the value its JSON document holds. Text
 * trimmed of blanks, no-break spaces included; a SIRET given back the
 * leading zeros a spreadsheet drops, or the spaces a person types removed;
 * dates from date cells or as people type them; whole counts. A number
 * cell's text is read as a decimal, never through floating point. A cell
 * that cannot be read (a formula's error, not a date, not a count) is
 * reported at the cell here. Apart so that bilan_sheet.c reads as the
 * layout of the two sheets. Pure: no I/O, no logging. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/bilan_sheet_internal.h"
#include "base/jsoncheck.h"

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
char *bilan_sheet_trimmed(const char *s) {
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

bool bilan_sheet_text_is_blank(const char *s) {
        size_t n;

        while ((n = blank_len(s)) > 0)
                s += n;
        return *s == '\0';
}

/* The cell at (row, column) unless it is empty or blank; column < 0 is a
 * column the sheet does not have. */
const Cell *bilan_sheet_field_cell(const Sheet *s, uint32_t row, int64_t column) {
        const Cell *c;

        if (column < 0)
                return NULL;
        c = sheet_cell(s, row, (uint32_t) column);
        return c && !bilan_sheet_text_is_blank(c->text) ? c : NULL;
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

bool bilan_sheet_cell_is_error(SheetRead *r, const char *sheet, const Cell *c) {
        char name[CELL_NAME_MAX];
        char shown[JSONCHECK_SHOWN_MAX];

        if (c->type != CELL_ERROR)
                return false;
        bilan_sheet_error(r, sheet, cell_name(c->row, c->column, name),
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
bool bilan_sheet_cell_date(SheetRead *r, const char *sheet, const Cell *c, char out[static DATE_STRING_MAX]) {
        _cleanup_(freep) char *t = NULL;
        char name[CELL_NAME_MAX], shown[JSONCHECK_SHOWN_MAX];
        Date d;
        int k;

        if (bilan_sheet_cell_is_error(r, sheet, c))
                return false;
        if (c->type == CELL_DATE) {
                date_format(c->date, out);
                return true;
        }
        t = bilan_sheet_trimmed(c->text);
        if (!t) {
                r->error = -ENOMEM;
                return false;
        }
        k = c->type == CELL_TEXT ? text_date(t, &d) : -EINVAL;
        if (k >= 0) {
                date_format(d, out);
                return true;
        }
        cell_name(c->row, c->column, name);
        jsoncheck_shown(t, shown);
        if (k == -ERANGE)
                bilan_sheet_error(r, sheet, name, "the date %s does not exist", "la date %s n'existe pas", shown);
        else
                bilan_sheet_error(r, sheet, name, "\"%s\" is not a date: write it DD/MM/YYYY",
                                  "« %s » n'est pas une date : écrivez-la JJ/MM/AAAA, par exemple 14/03/2026", shown);
        return false;
}

/* The Référence column: a SIRET typed as a number gets back the leading
 * zeros a spreadsheet drops, a SIRET typed with spaces loses them, a date
 * cell becomes AAAA-MM-JJ, other text stays as written (trimmed). */
char *bilan_sheet_cell_ref(const Cell *c) {
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
        return bilan_sheet_trimmed(c->text);
}

/* Participants: an integer number cell, or text of digits. */
bool bilan_sheet_cell_count(SheetRead *r, const char *sheet, const Cell *c, int64_t *ret) {
        _cleanup_(freep) char *t = NULL;
        char digits[16], name[CELL_NAME_MAX], shown[JSONCHECK_SHOWN_MAX];
        bool ok;

        if (bilan_sheet_cell_is_error(r, sheet, c))
                return false;
        t = bilan_sheet_trimmed(c->text);
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
        bilan_sheet_error(r, sheet, cell_name(c->row, c->column, name),
                          "expected a whole number of attendees, got \"%s\"",
                          "il faut un nombre entier de participants, pas « %s »", jsoncheck_shown(t, shown));
        return false;
}

/* Adds `key`: `text` trimmed to `object`. */
void bilan_sheet_add_text(SheetRead *r, cJSON *object, const char *key, const char *text) {
        _cleanup_(freep) char *t = bilan_sheet_trimmed(text);

        if (!t || !cJSON_AddStringToObject(object, key, t))
                r->error = -ENOMEM;
}
