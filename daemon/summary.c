/* summary.c — the bilan's quantitative summary as CSV (see summary.h).
 *
 * Built with open_memstream from the proration (which already holds q,
 * counted and the amount of every action, q = 0 included), so the CSV and
 * the invoice cannot disagree. Text fields that a spreadsheet would take for
 * a formula (=, +, -, @ first) get a leading apostrophe. Fails with -EINVAL
 * when the proration is not one line per action of the convention, or
 * -ENOMEM. Pure: no I/O beyond memory streams. */
#include <inttypes.h>
#include <stdio.h>

#include "invoice.h"
#include "macro.h"
#include "money.h"
#include "summary.h"

#define CSV_SEP ";"
#define CSV_EOL "\r\n"
#define CSV_BOM "\xEF\xBB\xBF"

static void csv_text(FILE *f, const char *text) {
        const char *s = strempty(text);
        bool quote = strpbrk(s, ";\"\r\n") != NULL;
        bool formula = s[0] != '\0' && strchr("=+-@", s[0]) != NULL;

        if (!quote && !formula) {
                fputs(s, f);
                return;
        }
        fputc('"', f);
        if (formula)
                fputc('\'', f);
        for (; *s; s++) {
                if (*s == '"')
                        fputc('"', f);
                fputc(*s, f);
        }
        fputc('"', f);
}

/* 250000 → "2500,00": no thousands separator, so that it stays a number. */
static void csv_amount(FILE *f, int64_t cents) {
        char buf[MONEY_DECIMAL_MAX];
        char *dot;

        money_format(cents, buf);
        dot = strchr(buf, '.');
        if (dot)
                *dot = ',';
        fputs(buf, f);
}

static void csv_action_row(FILE *f, const ProrationLine *l) {
        csv_text(f, l->action->article);
        fputs(CSV_SEP, f);
        csv_text(f, l->action->id);
        fputs(CSV_SEP, f);
        csv_text(f, l->action->label);
        fprintf(f, CSV_SEP "%" PRId64 CSV_SEP "%" PRId64 CSV_SEP "%" PRId64 CSV_SEP, l->action->target,
                l->realised, l->counted);
        csv_amount(f, l->amount);
        fputs(CSV_EOL, f);
}

static void csv_total_row(FILE *f, const char *label, int64_t cents) {
        fputs(CSV_SEP CSV_SEP, f);
        csv_text(f, label);
        fputs(CSV_SEP CSV_SEP CSV_SEP CSV_SEP, f);
        csv_amount(f, cents);
        fputs(CSV_EOL, f);
}

static int summary_check(const Convention *c, const Bilan *b, const Proration *p) {
        if (!c || !b || !p || p->n_lines != c->n_actions || !streq_ptr(b->convention_id, c->id))
                return -EINVAL;
        for (size_t i = 0; i < p->n_lines; i++)
                if (!p->lines[i].action)
                        return -EINVAL;
        return 0;
}

int summary_csv(const Convention *c, const Bilan *b, const Proration *p, char **ret, size_t *ret_size) {
        _cleanup_(freep) char *data = NULL;
        size_t size = 0;
        FILE *f;
        int r;

        r = summary_check(c, b, p);
        if (r < 0)
                return r;

        f = open_memstream(&data, &size);
        if (!f)
                return -ENOMEM;
        fputs(CSV_BOM "Article" CSV_SEP "Action" CSV_SEP "Libellé" CSV_SEP "Objectif" CSV_SEP
                      "Réalisé" CSV_SEP "Retenu" CSV_SEP "Montant (EUR)" CSV_EOL,
              f);
        for (size_t i = 0; i < p->n_lines; i++)
                csv_action_row(f, &p->lines[i]);
        csv_total_row(f, "Total avant plafond", p->total_before_cap);
        csv_total_row(f, "Plafond de la convention", c->cap);
        if (p->cap_allowance > 0)
                csv_total_row(f, "Remise (plafond)", -p->cap_allowance);
        csv_total_row(f, "Total facturé HT", p->total);
        if (ferror(f)) {
                fclose(f);
                return -ENOMEM;
        }
        if (fclose(f) != 0)
                return -ENOMEM;

        *ret = TAKE_PTR(data);
        *ret_size = size;
        return 0;
}

int summary_filename(const char *number, char buf[static SUMMARY_FILENAME_MAX + 1]) {
        int n;

        n = snprintf(buf, SUMMARY_FILENAME_MAX + 1, "bilan-%s.csv", strempty(number));
        if (n < 0 || n > SUMMARY_FILENAME_MAX || isempty(number))
                return -ENAMETOOLONG;
        invoice_sanitize_file_name(buf);
        return 0;
}

char *summary_description(const Convention *c, const Bilan *b) {
        char issued[32];
        char *s;

        if (asprintf(&s, "Bilan quantitatif de la convention %s, transmis le %s : réalisé par action",
                     c->id, date_format_french(b->issued_on, issued)) < 0)
                return NULL;
        return s;
}
