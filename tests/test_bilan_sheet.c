/* test_bilan_sheet.c — spreadsheet bilans (core/bilan_sheet.h) and the
 * reading of any dropped file (core/bilan_input.h).
 *
 * Workbooks are built by hand here, cell by cell, as the reader
 * (core/workbook.h) gives them: a workbook equivalent to
 * config/examples/complete.json gives the same Bilan as bilan_parse() of
 * that file; each cell conversion (dates, SIRET, numbers) has its case;
 * errors are located by sheet and cell, printed in English and French and
 * in the error file; hidden rows, labels, header, actions by label. Then the
 * content sniffing of bilan_read(): every kind of file a person may drop,
 * each refused with its own message. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "core/bilan.h"
#include "core/bilan_input.h"
#include "core/bilan_sheet.h"
#include "core/error_report.h"
#include "core/workbook.h"
#include "json_mutate.h"
#include "base/macro.h"
#include "service/convention_dir.h"

#define COMPLETE "config/examples/complete.json"
#define STRNULL(s) ((s) ? (s) : "(null)")

static ConventionSet *conventions;

static void load_conventions(void) {
        cr_assert_eq(convention_set_load_dir("config/conventions.d", &conventions, NULL), 0);
}

static void free_conventions(void) {
        conventions = convention_set_free(conventions);
}

TestSuite(sheet, .init = load_conventions, .fini = free_conventions);
TestSuite(sniff);

/* ---- building workbooks ---- */

/* Frees a workbook built here (not by workbook_read(), whose memory
 * layout is the reader's business). */
static Workbook *wb_free(Workbook *w) {
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
DEFINE_TRIVIAL_CLEANUP_FUNC(Workbook *, wb_free);

static Workbook *wb_new(void) {
        Workbook *w = calloc(1, sizeof(Workbook));

        cr_assert_not_null(w);
        w->format = WORKBOOK_XLSX;
        return w;
}

static Sheet *wb_sheet(Workbook *w, const char *name) {
        Sheet *s;

        w->sheets = realloc(w->sheets, (w->n_sheets + 1) * sizeof(Sheet));
        cr_assert_not_null(w->sheets);
        s = &w->sheets[w->n_sheets++];
        *s = (Sheet) { .name = strdup(name) };
        return s;
}

/* "E7" → row 6, column 4 */
static void parse_cell(const char *name, uint32_t *row, uint32_t *column) {
        uint32_t c = 0;

        for (; *name >= 'A' && *name <= 'Z'; name++)
                c = c * 26 + (uint32_t) (*name - 'A' + 1);
        *column = c - 1;
        *row = (uint32_t) atoi(name) - 1;
}

static int cell_compare(const void *a, const void *b) {
        const Cell *x = a, *y = b;

        if (x->row != y->row)
                return x->row < y->row ? -1 : 1;
        return x->column < y->column ? -1 : x->column > y->column;
}

static Cell *wb_put(Sheet *s, const char *name, CellType type, const char *text) {
        Cell *c;

        s->cells = realloc(s->cells, (s->n_cells + 1) * sizeof(Cell));
        cr_assert_not_null(s->cells);
        c = &s->cells[s->n_cells++];
        *c = (Cell) { .type = type, .text = strdup(text) };
        parse_cell(name, &c->row, &c->column);
        qsort(s->cells, s->n_cells, sizeof(Cell), cell_compare);
        for (size_t i = 0; i < s->n_cells; i++)
                if (streq(s->cells[i].text, text) && s->cells[i].type == type) {
                        uint32_t row, column;
                        parse_cell(name, &row, &column);
                        if (s->cells[i].row == row && s->cells[i].column == column)
                                return &s->cells[i];
                }
        cr_assert_fail("cell %s lost", name);
        return NULL;
}

static void wb_text(Sheet *s, const char *name, const char *text) {
        wb_put(s, name, CELL_TEXT, text);
}

static void wb_number(Sheet *s, const char *name, const char *text) {
        wb_put(s, name, CELL_NUMBER, text);
}

static void wb_date(Sheet *s, const char *name, const char *iso) {
        Cell *c = wb_put(s, name, CELL_DATE, iso);

        cr_assert_eq(date_parse(iso, &c->date), 0);
}

static void wb_hide_row(Sheet *s, uint32_t row1) {
        s->hidden_rows = realloc(s->hidden_rows, (s->n_hidden_rows + 1) * sizeof(uint32_t));
        cr_assert_not_null(s->hidden_rows);
        s->hidden_rows[s->n_hidden_rows++] = row1 - 1;
}

/* The Bilan sheet of complete.json; the date of the bilan as a date cell. */
static Sheet *complete_main(Workbook *w) {
        Sheet *s = wb_sheet(w, "Bilan");

        wb_text(s, "A1", "Bilan d'activité");
        wb_text(s, "A3", "Convention");
        wb_text(s, "B3", "CDCMC-2026");
        wb_text(s, "A4", "Période");
        wb_text(s, "B4", "du 1er janvier 2026 au 31 décembre 2026");
        wb_text(s, "A5", "Date du bilan");
        wb_date(s, "B5", "2026-12-10");
        wb_text(s, "A6", "Auteur");
        wb_text(s, "B6", "Service économie, CMA 34");
        wb_text(s, "A8", "Partie qualitative");
        wb_text(s, "A9", "Les entreprises accompagnées ont toutes engagé au moins une action ; les deux "
                         "réunions ont réuni 40 personnes.");
        return s;
}

/* The Réalisations sheet's title and header, row 3. */
static Sheet *realisations_header(Workbook *w) {
        Sheet *s = wb_sheet(w, "Réalisations");

        wb_text(s, "A1", "Réalisations de la convention CDCMC-2026");
        wb_text(s, "A3", "Action");
        wb_text(s, "B3", "Référence");
        wb_text(s, "C3", "Nom");
        wb_text(s, "D3", "Type");
        wb_text(s, "E3", "Date");
        wb_text(s, "F3", "Participants");
        wb_text(s, "G3", "Note");
        return s;
}

/* complete.json, with every way a cell may be written. */
static Workbook *complete_workbook(void) {
        Workbook *w = wb_new();
        Sheet *s;

        wb_sheet(w, "Mode d'emploi");
        complete_main(w);
        s = realisations_header(w);
        wb_text(s, "A4", "geometiers");
        wb_text(s, "B4", "acces-2026");
        wb_text(s, "E4", "20/01/2026");
        wb_text(s, "A5", "dev-durable");
        wb_number(s, "B5", "33471711731137");
        wb_text(s, "C5", "Atelier Vélo du Caroux");
        wb_text(s, "D5", "label-repar-acteurs");
        wb_date(s, "E5", "2026-03-14");
        /* the action by its label, the SIRET with spaces, an ISO text date */
        wb_text(s, "A6", "Accompagnement de 5 entreprises (labels environnementaux, visites énergie)");
        wb_text(s, "B6", "284 537 876 46966");
        wb_text(s, "C6", "Boulangerie des Monts");
        wb_text(s, "D6", "visite-energie");
        wb_text(s, "E6", "2026-06-02");
        /* a SIRET as Excel may write a big number, a short year */
        wb_text(s, "A7", "dev-durable");
        wb_number(s, "B7", "5.3779873710078E+13");
        wb_text(s, "C7", "Ébénisterie Vidal");
        wb_text(s, "D7", "label-eco-defis");
        wb_text(s, "E7", "09/04/26");
        wb_text(s, "A8", "  DEV-durable ");
        wb_number(s, "B8", "67639904670358");
        wb_text(s, "C8", "Coiffure Saint-Pons");
        wb_text(s, "D8", "Label-Zero-Dechet");
        wb_date(s, "E8", "2026-05-21");
        wb_text(s, "A9", "dev-durable");
        wb_text(s, "B9", "90082259645520");
        wb_text(s, "C9", "Garage du Jaur");
        wb_text(s, "D9", "visite-energie");
        wb_date(s, "E9", "2026-09-17");
        /* an empty row, then the meetings: ref as a date cell, attendees as
         * a number and as text */
        wb_date(s, "B11", "2026-05-12");
        wb_text(s, "A11", "animation");
        wb_text(s, "D11", "transmission-reprise");
        wb_date(s, "E11", "2026-05-12");
        wb_number(s, "F11", "17");
        wb_text(s, "G11", "co-animée avec la CCI");
        wb_text(s, "A12", "animation");
        wb_text(s, "B12", "2026-10-20");
        wb_text(s, "D12", "strategie-numerique");
        wb_date(s, "E12", "2026-10-20");
        wb_text(s, "F12", " 23 ");
        /* a column that is not the bilan's, ignored */
        wb_text(s, "H3", "Commentaire interne");
        wb_text(s, "H5", "à relancer");
        return w;
}

static int sheet_parse(Workbook *w, Bilan **b, Diagnostics *d) {
        const Convention *c = NULL;
        int r = bilan_sheet_parse("bilan.xlsx", w, conventions, b, &c, d);

        if (r >= 0)
                cr_assert_str_eq(c->id, "CDCMC-2026");
        return r;
}

static Bilan *sheet_ok(Workbook *w, Diagnostics *d) {
        Bilan *b = NULL;
        int r = sheet_parse(w, &b, d);

        if (r < 0)
                diag_dump(d);
        cr_assert_eq(r, 0, "bilan_sheet_parse() = %d", r);
        return b;
}

static void sheet_fails(Workbook *w, Diagnostics *d) {
        Bilan *b = NULL;

        cr_assert_eq(sheet_parse(w, &b, d), -EINVAL);
        cr_assert_null(b);
}

/* The diagnostic located at sheet/cell whose French text has `fr`. */
static const Diag *find_at(const Diagnostics *d, DiagSeverity sev, const char *sheet, const char *cell,
                           const char *fr) {
        for (size_t i = 0; i < d->n_items; i++) {
                const Diag *x = &d->items[i];
                if (x->severity == sev && streq_ptr(x->sheet, sheet) && streq_ptr(x->cell, cell) &&
                    strstr(x->message_fr ? x->message_fr : x->message, fr))
                        return x;
        }
        diag_dump(d);
        cr_assert_fail("no diagnostic at %s %s with \"%s\"", sheet, STRNULL(cell), fr);
        return NULL;
}

static char *printed(const Diagnostics *d, bool french) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        cr_assert_not_null(f);
        diagnostics_print(d, f, french);
        fclose(f);
        return buf;
}

/* ---- the same Bilan as the JSON ---- */

static void expect_same_entry(const BilanEntry *a, const BilanEntry *b, const char *what) {
        cr_expect_str_eq(a->ref, b->ref, "%s ref", what);
        cr_expect(streq_ptr(a->kind, b->kind), "%s kind %s / %s", what, STRNULL(a->kind), STRNULL(b->kind));
        cr_expect(streq_ptr(a->name, b->name), "%s name %s / %s", what, STRNULL(a->name), STRNULL(b->name));
        cr_expect(streq_ptr(a->note, b->note), "%s note", what);
        cr_expect_eq(date_compare(a->date, b->date), 0, "%s date", what);
        cr_expect_eq(a->attendees, b->attendees, "%s attendees %lld / %lld", what, (long long) a->attendees,
                     (long long) b->attendees);
        cr_expect_eq(a->duplicate, b->duplicate, "%s duplicate", what);
}

static void expect_same_bilan(const Bilan *a, const Bilan *b) {
        cr_expect_eq(a->version, b->version);
        cr_expect_str_eq(a->convention_id, b->convention_id);
        cr_expect_eq(date_compare(a->issued_on, b->issued_on), 0);
        cr_expect_str_eq(a->author, b->author);
        cr_expect(streq_ptr(a->qualitative, b->qualitative));
        cr_assert_eq(a->n_actions, b->n_actions);
        for (size_t i = 0; i < a->n_actions; i++) {
                const BilanAction *x = &a->actions[i], *y = &b->actions[i];
                cr_expect_eq(x->action, y->action);
                cr_expect_eq(x->quantity, y->quantity, "%s quantity", x->action->id);
                cr_assert_eq(x->n_entries, y->n_entries, "%s: %zu entries, JSON %zu", x->action->id, x->n_entries,
                             y->n_entries);
                for (size_t j = 0; j < x->n_entries; j++) {
                        char what[64];
                        snprintf(what, sizeof what, "%s[%zu]", x->action->id, j);
                        expect_same_entry(&x->entries[j], &y->entries[j], what);
                }
        }
}

Test(sheet, complete_is_the_json_bilan) {
        _cleanup_(wb_freep) Workbook *w = complete_workbook();
        _cleanup_(bilan_freep) Bilan *b = NULL, *json = NULL;
        _cleanup_(freep) char *data = NULL;
        Diagnostics d = DIAGNOSTICS_INIT, dj = DIAGNOSTICS_INIT;
        const Convention *c = NULL;
        size_t size;

        b = sheet_ok(w, &d);
        cr_expect_eq(d.n_items, 0);
        diag_dump(&d);
        data = test_read_file(COMPLETE, &size);
        cr_assert_eq(bilan_parse(COMPLETE, data, size, conventions, &json, &c, &dj), 0);
        expect_same_bilan(b, json);
        cr_expect_str_eq(b->source_file, "bilan.xlsx");
        diagnostics_clear(&d);
        diagnostics_clear(&dj);
}

/* Labels and sheet names as people type them, the header anywhere in the
 * first 50 rows, in any column order. */
Test(sheet, labels_and_header_in_any_order) {
        _cleanup_(wb_freep) Workbook *w = wb_new();
        _cleanup_(bilan_freep) Bilan *b = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        char buf[DATE_STRING_MAX];
        Sheet *s;

        s = wb_sheet(w, "  BILAN ");
        wb_text(s, "C2", "  date du   BILAN ");
        wb_text(s, "F2", "14/12/2026"); /* the first non-empty cell to the right */
        wb_text(s, "C1", "CONVENTION");
        wb_text(s, "D1", "   ");
        wb_text(s, "E1", "CDCMC-2026");
        wb_text(s, "C3", "auteur");
        wb_text(s, "D3", "Moi");
        wb_text(s, "C4", "Partie qualitative");
        wb_text(s, "D4", "Bien.");
        s = wb_sheet(w, "REALISATIONS");
        wb_text(s, "B20", "date");
        wb_text(s, "C20", "TYPE");
        wb_text(s, "D20", "reference");
        wb_text(s, "E20", "Participants ");
        wb_text(s, "F20", " action");
        wb_date(s, "B21", "2026-02-03");
        wb_text(s, "D21", "acces-2026");
        wb_text(s, "F21", "geometiers");
        b = sheet_ok(w, &d);
        cr_expect_str_eq(date_format(b->issued_on, buf), "2026-12-14");
        cr_expect_str_eq(b->author, "Moi");
        cr_expect_str_eq(b->qualitative, "Bien.");
        cr_assert_eq(b->actions[0].n_entries, 1);
        cr_expect_str_eq(b->actions[0].entries[0].ref, "acces-2026");
        cr_expect_str_eq(date_format(b->actions[0].entries[0].date, buf), "2026-02-03");
        diagnostics_clear(&d);
}

/* ---- cell conversions ---- */

/* A workbook with the seed convention's header and one dev-durable row
 * (row 4) whose cells the test fills. */
static Workbook *one_row(Sheet **ret) {
        Workbook *w = wb_new();

        complete_main(w);
        *ret = realisations_header(w);
        wb_text(*ret, "A4", "dev-durable");
        wb_text(*ret, "D4", "visite-energie");
        return w;
}

static const BilanEntry *one_entry(Workbook *w, Bilan **b, Diagnostics *d) {
        *b = sheet_ok(w, d);
        cr_assert_eq((*b)->actions[1].n_entries, 1);
        return &(*b)->actions[1].entries[0];
}

Test(sheet, text_dates) {
        static const struct {
                const char *text, *iso;
        } cases[] = {
                { "14/03/2026", "2026-03-14" }, { "14/03/26", "2026-03-14" }, { "2026-03-14", "2026-03-14" },
                { "1/3/2026", "2026-03-01" },   { " 29/02/2028 ", NULL },    { "31/12/2026", "2026-12-31" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(bilan_freep) Bilan *b = NULL;
                Diagnostics d = DIAGNOSTICS_INIT;
                char buf[DATE_STRING_MAX];
                Sheet *s;
                _cleanup_(wb_freep) Workbook *w = one_row(&s);

                wb_text(s, "B4", "13002602400013");
                wb_text(s, "E4", cases[i].text);
                if (!cases[i].iso) { /* a real day, outside the convention */
                        sheet_fails(w, &d);
                        find_at(&d, DIAG_ERROR, "Réalisations", "E4", "en dehors de la période");
                } else {
                        const BilanEntry *e = one_entry(w, &b, &d);
                        cr_expect_str_eq(date_format(e->date, buf), cases[i].iso, "%s", cases[i].text);
                }
                diagnostics_clear(&d);
        }
}

Test(sheet, bad_dates_located) {
        _cleanup_(freep) char *fr = NULL, *en = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        Sheet *s;
        _cleanup_(wb_freep) Workbook *w = one_row(&s);

        wb_text(s, "B4", "13002602400013");
        wb_text(s, "E4", "14/13/2026");
        wb_text(s, "A5", "dev-durable");
        wb_text(s, "B5", "41234567000019");
        wb_text(s, "D5", "visite-energie");
        wb_text(s, "E5", "demain");
        wb_text(s, "A6", "dev-durable");
        wb_text(s, "B6", "52345678800018");
        wb_text(s, "D6", "visite-energie");
        wb_number(s, "E6", "46000"); /* a serial without a date style: not a date */
        wb_text(s, "A7", "dev-durable");
        wb_text(s, "B7", "63456789600014");
        wb_text(s, "D7", "visite-energie");
        wb_text(s, "E7", "30/02/2026");
        sheet_fails(w, &d);
        find_at(&d, DIAG_ERROR, "Réalisations", "E4", "la date 14/13/2026 n'existe pas");
        find_at(&d, DIAG_ERROR, "Réalisations", "E5", "« demain » n'est pas une date : écrivez-la JJ/MM/AAAA");
        find_at(&d, DIAG_ERROR, "Réalisations", "E6", "« 46000 » n'est pas une date");
        find_at(&d, DIAG_ERROR, "Réalisations", "E7", "la date 30/02/2026 n'existe pas");
        /* each said once: bilan.c's "missing" for these dates is dropped */
        cr_expect_eq(d.n_errors, 4);
        fr = printed(&d, true);
        en = printed(&d, false);
        cr_expect_not_null(strstr(fr, "bilan.xlsx: erreur: feuille Réalisations, cellule E4 : la date 14/13/2026 "
                                      "n'existe pas\n"),
                           "%s", fr);
        cr_expect_not_null(strstr(en, "bilan.xlsx: error: sheet Réalisations, cell E4: the date 14/13/2026 does "
                                      "not exist\n"),
                           "%s", en);
        diagnostics_clear(&d);
}

Test(sheet, siret_and_references) {
        static const struct {
                CellType type;
                const char *text, *ref;
        } cases[] = {
                { CELL_NUMBER, "33471711731137", "33471711731137" },
                { CELL_NUMBER, "30026024000134", "30026024000134" },
                { CELL_NUMBER, "3002602400013", "03002602400013" },  /* a dropped leading zero */
                { CELL_NUMBER, "300260240", "00000300260240" },      /* 9 digits: a SIREN-sized number, padded */
                { CELL_NUMBER, "1.3002602400013E+13", "13002602400013" },
                { CELL_NUMBER, "3.002602400013E12", "03002602400013" },
                { CELL_NUMBER, "12345678", "12345678" },             /* 8 digits: kept as written */
                { CELL_NUMBER, "12.5", "12.5" },
                { CELL_TEXT, "130 026 024 00013", "13002602400013" },
                { CELL_TEXT, "130\xC2\xA0" "026\xC2\xA0" "024\xC2\xA0" "00013", "13002602400013" },
                { CELL_TEXT, "  acces 2026 ", "acces 2026" },
                { CELL_TEXT, "130 026 024", "130 026 024" },         /* not 14 digits: as written */
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(bilan_freep) Bilan *b = NULL;
                Diagnostics d = DIAGNOSTICS_INIT;
                Sheet *s;
                _cleanup_(wb_freep) Workbook *w = one_row(&s);
                const BilanEntry *e;

                wb_put(s, "B4", cases[i].type, cases[i].text);
                wb_date(s, "E4", "2026-03-14");
                e = one_entry(w, &b, &d);
                cr_expect_str_eq(e->ref, cases[i].ref, "%s", cases[i].text);
                diagnostics_clear(&d);
        }
}

Test(sheet, attendees) {
        static const struct {
                CellType type;
                const char *text;
                int64_t n; /* -2: refused */
        } cases[] = {
                { CELL_NUMBER, "17", 17 }, { CELL_TEXT, "23", 23 },      { CELL_NUMBER, "1.7E+1", 17 },
                { CELL_NUMBER, "0", 0 },   { CELL_NUMBER, "12.5", -2 },  { CELL_TEXT, "douze", -2 },
                { CELL_NUMBER, "-3", -2 }, { CELL_TEXT, "1 000 000 000", -2 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(bilan_freep) Bilan *b = NULL;
                Diagnostics d = DIAGNOSTICS_INIT;
                Sheet *s;
                _cleanup_(wb_freep) Workbook *w = one_row(&s);

                wb_text(s, "B4", "13002602400013");
                wb_date(s, "E4", "2026-03-14");
                wb_put(s, "F4", cases[i].type, cases[i].text);
                if (cases[i].n >= 0)
                        cr_expect_eq(one_entry(w, &b, &d)->attendees, cases[i].n, "%s", cases[i].text);
                else {
                        sheet_fails(w, &d);
                        find_at(&d, DIAG_ERROR, "Réalisations", "F4", "il faut un nombre entier de participants");
                        cr_expect_eq(d.n_errors, 1, "%s", cases[i].text);
                }
                diagnostics_clear(&d);
        }
}

/* Over bilan.c's range: its own message, at the cell. */
Test(sheet, attendees_range_checked_by_bilan) {
        Diagnostics d = DIAGNOSTICS_INIT;
        Sheet *s;
        _cleanup_(wb_freep) Workbook *w = one_row(&s);

        wb_text(s, "B4", "13002602400013");
        wb_date(s, "E4", "2026-03-14");
        wb_number(s, "F4", "2000000");
        sheet_fails(w, &d);
        find_at(&d, DIAG_ERROR, "Réalisations", "F4", "il faut un nombre entier de 0 à 1000000, pas 2000000");
        diagnostics_clear(&d);
}

/* ---- errors located ---- */

Test(sheet, bilan_errors_relocated_to_cells) {
        _cleanup_(freep) char *report = NULL, *fr = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        size_t size;
        Sheet *s;
        _cleanup_(wb_freep) Workbook *w = one_row(&s);

        wb_text(s, "B4", "13002602400013");
        wb_date(s, "E4", "2027-01-08");                /* outside the period */
        wb_text(s, "A5", "dev-durable");
        wb_text(s, "B5", "41234567000019");
        wb_text(s, "D5", "label-repar-acteur");         /* not a kind of the action */
        wb_date(s, "E5", "2026-03-14");
        wb_text(s, "A6", "dev-durable");
        wb_text(s, "B6", "52345678800018");              /* no kind */
        wb_date(s, "E6", "2026-03-14");
        wb_text(s, "A7", "dev-durable");
        wb_text(s, "B7", "ligne 1\tet 2");               /* a tab in a ref */
        wb_text(s, "D7", "visite-energie");
        wb_date(s, "E7", "2026-03-14");
        sheet_fails(w, &d);
        find_at(&d, DIAG_ERROR, "Réalisations", "E4", "la date 8 janvier 2027 est en dehors de la période");
        find_at(&d, DIAG_ERROR, "Réalisations", "D5", "type « label-repar-acteur » inconnu");
        find_at(&d, DIAG_ERROR, "Réalisations", "D6", "précisez le type de réalisation de l'action dev-durable (colonne « Type »)");
        find_at(&d, DIAG_ERROR, "Réalisations", "B7", "ni tabulation");
        cr_expect_eq(d.n_errors, 4);
        /* in the order of the sheet, whichever check found them */
        cr_assert_eq(d.n_items, 4);
        cr_expect_str_eq(d.items[0].cell, "E4");
        cr_expect_str_eq(d.items[1].cell, "D5");
        cr_expect_str_eq(d.items[2].cell, "D6");
        cr_expect_str_eq(d.items[3].cell, "B7");

        fr = printed(&d, true);
        cr_expect_not_null(strstr(fr, "erreur: feuille Réalisations, cellule E4 : la date 8 janvier 2027"), "%s", fr);
        cr_assert_eq(error_report_format("bilan.xlsx", "J--bilan.xlsx", "J", &d, &report, &size), 0);
        cr_expect_not_null(strstr(report, "  1. feuille Réalisations, cellule E4 : la date 8 janvier 2027"), "%s",
                           report);
        cr_expect_not_null(strstr(report, "  error: sheet Réalisations, cell E4: 2027-01-08 is outside"), "%s",
                           report);
        cr_expect_null(strstr(report, "champ «"), "%s", report);
        diagnostics_clear(&d);
}

/* Errors found here (a text date) and by bilan.c (a date outside the
 * period) come out in the sheet's order. */
Test(sheet, errors_in_sheet_order) {
        Diagnostics d = DIAGNOSTICS_INIT;
        Sheet *s;
        _cleanup_(wb_freep) Workbook *w = one_row(&s);

        wb_text(s, "B4", "13002602400013");
        wb_date(s, "E4", "2027-01-08");
        wb_text(s, "A5", "dev-durable");
        wb_text(s, "B5", "41234567000019");
        wb_text(s, "D5", "visite-energie");
        wb_text(s, "E5", "32/01/2026");
        free(w->sheets[0].cells[8].text); /* Bilan's B6, the author */
        cr_assert_eq(w->sheets[0].cells[8].row, 5);
        w->sheets[0].cells[8].text = strdup("x\x01y");
        sheet_fails(w, &d);
        cr_assert_eq(d.n_items, 3);
        cr_expect_str_eq(d.items[0].sheet, "Bilan");
        cr_expect_str_eq(d.items[0].cell, "B6");
        cr_expect_str_eq(d.items[1].cell, "E4");
        cr_expect_str_eq(d.items[2].cell, "E5");
        diagnostics_clear(&d);
}

Test(sheet, duplicate_ref_names_rows) {
        _cleanup_(bilan_freep) Bilan *b = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        const Diag *x;
        Sheet *s;
        _cleanup_(wb_freep) Workbook *w = one_row(&s);

        wb_text(s, "B4", "13002602400013");
        wb_date(s, "E4", "2026-03-14");
        wb_text(s, "A5", "dev-durable");
        wb_number(s, "B5", "13002602400013");
        wb_text(s, "D5", "visite-energie");
        wb_date(s, "E5", "2026-04-14");
        b = sheet_ok(w, &d);
        cr_expect_eq(b->actions[1].quantity, 1);
        x = find_at(&d, DIAG_WARNING, "Réalisations", "B5", "figure déjà en ligne 4");
        cr_expect_not_null(strstr(x->message, "already appears at row 4"), "%s", x->message);
        diagnostics_clear(&d);
}

Test(sheet, unknown_convention_at_its_cell) {
        Diagnostics d = DIAGNOSTICS_INIT;
        _cleanup_(wb_freep) Workbook *w = complete_workbook();

        free(w->sheets[1].cells[2].text); /* B3 of Bilan */
        cr_assert_eq(w->sheets[1].cells[2].row, 2);
        cr_assert_eq(w->sheets[1].cells[2].column, 1);
        w->sheets[1].cells[2].text = strdup("CDCMC-2025");
        sheet_fails(w, &d);
        find_at(&d, DIAG_ERROR, "Bilan", "B3", "convention « CDCMC-2025 » inconnue");
        diagnostics_clear(&d);
}

Test(sheet, actions_by_id_or_label) {
        Diagnostics d = DIAGNOSTICS_INIT;
        Sheet *s;
        _cleanup_(wb_freep) Workbook *w = one_row(&s);

        wb_text(s, "B4", "13002602400013");
        wb_date(s, "E4", "2026-03-14");
        wb_text(s, "A5", "Préparation et animation de deux réunions thématiques");
        wb_text(s, "B5", "2026-05-12");
        wb_text(s, "D5", "transmission-reprise");
        wb_date(s, "E5", "2026-05-12");
        wb_text(s, "A6", "formation");
        wb_text(s, "B6", "x");
        wb_date(s, "E6", "2026-05-12");
        wb_text(s, "B7", "y"); /* no action */
        wb_date(s, "E7", "2026-05-12");
        sheet_fails(w, &d);
        find_at(&d, DIAG_ERROR, "Réalisations", "A6",
                "l'action « formation » n'existe pas dans la convention CDCMC-2026 ; les actions possibles sont : "
                "geometiers, dev-durable, animation");
        find_at(&d, DIAG_ERROR, "Réalisations", "A7", "l'action est vide");
        cr_expect_eq(d.n_errors, 2);
        diagnostics_clear(&d);
}

Test(sheet, hidden_rows_skipped_with_a_warning) {
        _cleanup_(bilan_freep) Bilan *b = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        Sheet *s;
        _cleanup_(wb_freep) Workbook *w = one_row(&s);

        wb_text(s, "B4", "13002602400013");
        wb_date(s, "E4", "2026-03-14");
        wb_text(s, "A5", "dev-durable");
        wb_text(s, "B5", "41234567000019");
        wb_text(s, "D5", "visite-energie");
        wb_text(s, "E5", "n'importe quoi"); /* not read: no error */
        wb_hide_row(s, 5);
        b = sheet_ok(w, &d);
        cr_expect_eq(b->actions[1].n_entries, 1);
        find_at(&d, DIAG_WARNING, "Réalisations", "A5", "la ligne 5 est masquée");
        cr_expect_eq(d.n_errors, 0);
        diagnostics_clear(&d);
}

/* .xlsm or an ODS with scripts: read, with a warning; nothing is run. */
Test(sheet, macros_warned) {
        _cleanup_(wb_freep) Workbook *w = complete_workbook();
        _cleanup_(bilan_freep) Bilan *b = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;

        w->has_macros = true;
        b = sheet_ok(w, &d);
        cr_expect_eq(d.n_warnings, 1);
        find_at(&d, DIAG_WARNING, NULL, NULL, "les macros ne sont pas exécutées");
        diagnostics_clear(&d);
}

/* Listed up to 1 000 of each severity: hidden rows by the thousand do not
 * hide the error after them. */
Test(sheet, many_warnings_do_not_hide_errors) {
        Diagnostics d = DIAGNOSTICS_INIT;
        char name[16];
        Sheet *s;
        _cleanup_(wb_freep) Workbook *w = one_row(&s);

        wb_text(s, "B4", "13002602400013");
        wb_text(s, "E4", "14/13/2026");
        for (unsigned row = 5; row < 5 + 1100; row++) {
                snprintf(name, sizeof name, "A%u", row);
                wb_text(s, name, "dev-durable");
                wb_hide_row(s, row);
        }
        sheet_fails(w, &d);
        cr_expect_eq(d.n_errors, 1);
        cr_expect_eq(d.n_warnings, 1001);
        find_at(&d, DIAG_ERROR, "Réalisations", "E4", "la date 14/13/2026 n'existe pas");
        find_at(&d, DIAG_WARNING, NULL, NULL, "plus de 1000 avertissements dans les cellules");
        diagnostics_clear(&d);
}

Test(sheet, formula_error_cell) {
        Diagnostics d = DIAGNOSTICS_INIT;
        Sheet *s;
        _cleanup_(wb_freep) Workbook *w = one_row(&s);

        wb_put(s, "B4", CELL_ERROR, "#N/A");
        wb_date(s, "E4", "2026-03-14");
        sheet_fails(w, &d);
        find_at(&d, DIAG_ERROR, "Réalisations", "B4", "la formule de cette cellule donne une erreur (#N/A)");
        cr_expect_eq(d.n_errors, 1);
        diagnostics_clear(&d);
}

Test(sheet, empty_required_cells) {
        Diagnostics d = DIAGNOSTICS_INIT;
        Sheet *s;
        _cleanup_(wb_freep) Workbook *w = one_row(&s);

        wb_text(s, "C4", "Boulangerie"); /* no ref, no date */
        sheet_fails(w, &d);
        find_at(&d, DIAG_ERROR, "Réalisations", "B4", "la référence est vide");
        find_at(&d, DIAG_ERROR, "Réalisations", "E4", "la date est vide");
        cr_expect_eq(d.n_errors, 2);
        diagnostics_clear(&d);
}

Test(sheet, missing_sheets) {
        _cleanup_(freep) char *fr = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        _cleanup_(wb_freep) Workbook *w = wb_new();

        wb_sheet(w, "Feuille1");
        sheet_fails(w, &d);
        find_at(&d, DIAG_ERROR, NULL, NULL, "le classeur n'a pas de feuille « Bilan »");
        find_at(&d, DIAG_ERROR, NULL, NULL, "le classeur n'a pas de feuille « Réalisations »");
        cr_expect_eq(d.n_errors, 2);
        fr = printed(&d, true);
        cr_expect_not_null(strstr(fr, "bilan.xlsx: erreur: le classeur n'a pas de feuille « Bilan »"), "%s", fr);
        diagnostics_clear(&d);
}

Test(sheet, missing_labels_and_values) {
        Diagnostics d = DIAGNOSTICS_INIT;
        _cleanup_(wb_freep) Workbook *w = wb_new();
        _cleanup_(freep) char *fr = NULL;
        Sheet *s = wb_sheet(w, "Bilan");

        wb_text(s, "A1", "Convention");
        wb_text(s, "B1", "CDCMC-2026");
        wb_text(s, "A2", "Date du bilan"); /* nothing to its right */
        s = wb_sheet(w, "Réalisations");
        wb_text(s, "A1", "Action");
        wb_text(s, "B1", "Référence");
        wb_text(s, "C1", "Date");
        sheet_fails(w, &d);
        find_at(&d, DIAG_ERROR, "Bilan", NULL, "l'étiquette « Auteur » est introuvable");
        find_at(&d, DIAG_ERROR, "Bilan", "A2", "rien à droite de « Date du bilan » : indiquez la date du bilan");
        cr_expect_eq(d.n_errors, 2);
        fr = printed(&d, true);
        cr_expect_not_null(strstr(fr, "erreur: feuille Bilan : l'étiquette « Auteur » est introuvable"), "%s", fr);
        diagnostics_clear(&d);
}

Test(sheet, no_header_row) {
        Diagnostics d = DIAGNOSTICS_INIT;
        _cleanup_(wb_freep) Workbook *w = wb_new();
        Sheet *s;

        complete_main(w);
        s = wb_sheet(w, "Réalisations");
        wb_text(s, "A1", "Action");
        wb_text(s, "B1", "Nom");
        wb_text(s, "B60", "Référence"); /* too far down */
        sheet_fails(w, &d);
        find_at(&d, DIAG_ERROR, "Réalisations", NULL, "la ligne d'en-tête est introuvable");
        cr_expect_eq(d.n_errors, 1);
        diagnostics_clear(&d);
}

Test(sheet, no_date_column) {
        Diagnostics d = DIAGNOSTICS_INIT;
        _cleanup_(wb_freep) Workbook *w = wb_new();
        Sheet *s;

        complete_main(w);
        s = wb_sheet(w, "Réalisations");
        wb_text(s, "A1", "Action");
        wb_text(s, "B1", "Référence");
        wb_text(s, "A2", "geometiers");
        wb_text(s, "B2", "acces-2026");
        sheet_fails(w, &d);
        find_at(&d, DIAG_ERROR, "Réalisations", NULL, "la ligne d'en-tête (ligne 1) n'a pas de colonne « Date »");
        cr_expect_eq(d.n_errors, 1);
        diagnostics_clear(&d);
}

/* A template read back unfilled: refused only because nothing is realised
 * (proration's "nothing to invoice" comes later); here it is valid. */
Test(sheet, empty_template_is_valid_with_nothing) {
        _cleanup_(bilan_freep) Bilan *b = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        _cleanup_(wb_freep) Workbook *w = wb_new();

        complete_main(w);
        realisations_header(w);
        b = sheet_ok(w, &d);
        for (size_t i = 0; i < b->n_actions; i++)
                cr_expect_eq(b->actions[i].quantity, 0);
        diagnostics_clear(&d);
}

Test(sheet, peek_convention) {
        _cleanup_(wb_freep) Workbook *w = complete_workbook(), *e = wb_new();
        _cleanup_(freep) char *id = bilan_sheet_peek_convention(w);

        cr_expect_str_eq(id, "CDCMC-2026");
        cr_expect_null(bilan_sheet_peek_convention(e));
}

/* ---- sniffing: every kind a person may drop ---- */

/* A ZIP of (name, content) pairs, built in memory. */
static char *make_zip(size_t *ret_size, const char *const *entries) {
        zip_source_t *out, *src;
        zip_error_t e;
        zip_t *z;
        char *buf;
        zip_int64_t n;

        zip_error_init(&e);
        out = zip_source_buffer_create(NULL, 0, 0, &e);
        cr_assert_not_null(out);
        zip_source_keep(out);
        z = zip_open_from_source(out, ZIP_TRUNCATE, &e);
        cr_assert_not_null(z);
        for (const char *const *p = entries; *p; p += 2) {
                src = zip_source_buffer_create(p[1], strlen(p[1]), 0, &e);
                cr_assert_not_null(src);
                cr_assert_geq(zip_file_add(z, p[0], src, ZIP_FL_ENC_UTF_8), 0);
        }
        cr_assert_eq(zip_close(z), 0);
        cr_assert_eq(zip_source_open(out), 0);
        cr_assert_eq(zip_source_seek(out, 0, SEEK_END), 0);
        n = zip_source_tell(out);
        cr_assert_gt(n, 0);
        cr_assert_eq(zip_source_seek(out, 0, SEEK_SET), 0);
        buf = malloc((size_t) n);
        cr_assert_not_null(buf);
        cr_assert_eq(zip_source_read(out, buf, (zip_uint64_t) n), n);
        zip_source_close(out);
        zip_source_free(out);
        zip_error_fini(&e);
        *ret_size = (size_t) n;
        return buf;
}

#define CT_HEAD "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
#define CT(t) CT_HEAD "<Override PartName=\"/main.xml\" ContentType=\"application/" t "\"/></Types>"

static void expect_zip_kind(const char *const *entries, BilanFileKind kind) {
        size_t size;
        _cleanup_(freep) char *zip = make_zip(&size, entries);

        cr_expect_eq(bilan_file_kind(zip, size), kind, "%s: %s, expected %s", entries[0],
                     bilan_file_kind_to_string(bilan_file_kind(zip, size)), bilan_file_kind_to_string(kind));
}

Test(sniff, zips) {
        expect_zip_kind((const char *const[]) { "mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                                                "content.xml", "<x/>", NULL },
                        BILAN_FILE_ODS);
        expect_zip_kind((const char *const[]) { "mimetype", "application/vnd.oasis.opendocument.spreadsheet-template",
                                                NULL },
                        BILAN_FILE_ODS);
        expect_zip_kind((const char *const[]) { "mimetype", "application/vnd.oasis.opendocument.spreadsheet\n", NULL },
                        BILAN_FILE_ODS);
        expect_zip_kind((const char *const[]) { "mimetype", "application/vnd.oasis.opendocument.text", NULL },
                        BILAN_FILE_ODT);
        expect_zip_kind((const char *const[]) { "mimetype", "application/vnd.oasis.opendocument.presentation", NULL },
                        BILAN_FILE_OPENDOCUMENT);
        expect_zip_kind((const char *const[]) { "[Content_Types].xml",
                                                CT("vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
                                                NULL },
                        BILAN_FILE_XLSX);
        expect_zip_kind((const char *const[]) { "[Content_Types].xml",
                                                CT("vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml"),
                                                NULL },
                        BILAN_FILE_XLSX);
        expect_zip_kind((const char *const[]) { "[Content_Types].xml",
                                                CT("vnd.ms-excel.sheet.macroEnabled.main+xml"), NULL },
                        BILAN_FILE_XLSM);
        expect_zip_kind((const char *const[]) { "[Content_Types].xml",
                                                CT("vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
                                                "word/document.xml", "<w/>", NULL },
                        BILAN_FILE_DOCX);
        expect_zip_kind((const char *const[]) { "[Content_Types].xml",
                                                CT("vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"),
                                                NULL },
                        BILAN_FILE_PPTX);
        /* content types that say nothing: the parts' names */
        expect_zip_kind((const char *const[]) { "[Content_Types].xml", CT_HEAD "</Types>", "xl/workbook.xml", "<w/>",
                                                NULL },
                        BILAN_FILE_XLSX);
        expect_zip_kind((const char *const[]) { "photos/a.txt", "hello", NULL }, BILAN_FILE_ZIP);
}

static char *ole2(size_t *ret_size, const char *stream) {
        static const unsigned char magic[8] = { 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1 };
        size_t size = 2048;
        char *d = calloc(1, size);

        cr_assert_not_null(d);
        memcpy(d, magic, 8);
        for (size_t i = 0; stream && stream[i]; i++)
                d[1024 + 2 * i] = stream[i]; /* a directory entry name, UTF-16LE */
        *ret_size = size;
        return d;
}

Test(sniff, ole2) {
        static const struct {
                const char *stream;
                BilanFileKind kind;
        } cases[] = {
                { "EncryptedPackage", BILAN_FILE_ENCRYPTED },
                { "Workbook", BILAN_FILE_XLS },
                { "WordDocument", BILAN_FILE_DOC },
                { "PowerPoint Document", BILAN_FILE_OLE2 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                size_t size;
                _cleanup_(freep) char *d = ole2(&size, cases[i].stream);
                cr_expect_eq(bilan_file_kind(d, size), cases[i].kind, "%s", cases[i].stream);
        }
}

static BilanFileKind text_kind(const char *s) {
        return bilan_file_kind(s, strlen(s));
}

Test(sniff, text_and_others) {
        size_t size;
        _cleanup_(freep) char *json = test_read_file(COMPLETE, &size);
        _cleanup_(freep) char *broken = test_read_file("config/examples/invalid-not-json.json", &size);

        cr_expect_eq(text_kind(json), BILAN_FILE_JSON);
        cr_expect_eq(text_kind(broken), BILAN_FILE_JSON);
        cr_expect_eq(text_kind("\xEF\xBB\xBF{\"bilan\": 1}"), BILAN_FILE_JSON);
        cr_expect_eq(text_kind("\"bilan\": 1,\n\"convention\": \"X\"\n"), BILAN_FILE_JSON); /* lost its brace */
        cr_expect_eq(text_kind(""), BILAN_FILE_JSON);
        cr_expect_eq(text_kind("bonjour\n"), BILAN_FILE_JSON);
        cr_expect_eq(text_kind("Action;Référence;Date\ndev-durable;13002602400013;14/03/2026\n"), BILAN_FILE_CSV);
        cr_expect_eq(text_kind("Action,Référence,Date\r\n"), BILAN_FILE_CSV);
        cr_expect_eq(text_kind("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n"), BILAN_FILE_PDF);
        cr_expect_eq(bilan_file_kind("\xFF\xFE{\0\"\0", 6), BILAN_FILE_JSON); /* UTF-16: bilan_parse says so */
        cr_expect_eq(bilan_file_kind("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16), BILAN_FILE_BINARY);
        cr_expect_eq(bilan_file_kind("PK\x03\x04garbage-not-a-zip", 21), BILAN_FILE_ZIP_DAMAGED);
}

/* bilan_read(): each refusal with its own French message, -EINVAL. */
static void expect_refused(const void *data, size_t size, const char *fr) {
        Diagnostics d = DIAGNOSTICS_INIT;
        Bilan *b = NULL;

        cr_expect_eq(bilan_read("x", data, size, conventions, &b, NULL, &d), -EINVAL, "%s", fr);
        cr_expect_null(b);
        cr_expect_eq(d.n_errors, 1, "%s", fr);
        if (d.n_items > 0)
                cr_expect_not_null(strstr(d.items[0].message_fr, fr), "%s\nexpected: %s", d.items[0].message_fr, fr);
        diagnostics_clear(&d);
}

Test(sheet, read_refusals) {
        size_t size;
        static const char csv[] = "Action;Référence;Date\ndev-durable;13002602400013;14/03/2026\n";
        static const char pdf[] = "%PDF-1.4\n";

        {
                _cleanup_(freep) char *d = ole2(&size, "EncryptedPackage");
                expect_refused(d, size, "le classeur est protégé par un mot de passe : enregistrez-le sans mot de passe");
        }
        {
                _cleanup_(freep) char *d = ole2(&size, "Workbook");
                expect_refused(d, size, "enregistrez au format .xlsx ou .ods");
        }
        {
                _cleanup_(freep) char *d = ole2(&size, "WordDocument");
                expect_refused(d, size, "ce fichier est un document Word (.doc) ; un bilan est un classeur .ods ou "
                                        ".xlsx, ou un fichier JSON");
        }
        {
                _cleanup_(freep) char *d = make_zip(&size, (const char *const[]) {
                        "[Content_Types].xml",
                        CT("vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"), NULL });
                expect_refused(d, size, "ce fichier est un document Word (.docx) ; un bilan est un classeur .ods ou "
                                        ".xlsx, ou un fichier JSON");
        }
        {
                _cleanup_(freep) char *d = make_zip(&size, (const char *const[]) {
                        "mimetype", "application/vnd.oasis.opendocument.text", NULL });
                expect_refused(d, size, "ce fichier est un document texte (.odt)");
        }
        {
                _cleanup_(freep) char *d = make_zip(&size, (const char *const[]) {
                        "[Content_Types].xml",
                        CT("vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"), NULL });
                expect_refused(d, size, "ce fichier est une présentation PowerPoint (.pptx)");
        }
        {
                _cleanup_(freep) char *d = make_zip(&size, (const char *const[]) { "a.txt", "a", NULL });
                expect_refused(d, size, "ce fichier est une archive ZIP qui n'est ni un classeur .ods ni un classeur .xlsx");
        }
        expect_refused(pdf, strlen(pdf), "ce fichier est un document PDF");
        expect_refused(csv, strlen(csv), "un fichier CSV");
        expect_refused("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16, "ce fichier n'est ni un classeur ni un fichier JSON");
        expect_refused("PK\x03\x04garbage-not-a-zip", 21, "il est abîmé ou incomplet");
}

/* JSON through bilan_read() is bilan_parse(), messages included; over
 * 1 MiB it is still refused, with bilan_parse()'s message, as -EINVAL. */
Test(sheet, read_json) {
        _cleanup_(bilan_freep) Bilan *b = NULL;
        _cleanup_(freep) char *data = NULL, *big = NULL, *peek = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        const Convention *c = NULL;
        size_t size;

        data = test_read_file(COMPLETE, &size);
        cr_assert_eq(bilan_read(COMPLETE, data, size, conventions, &b, &c, &d), 0);
        cr_expect_eq(b->actions[1].quantity, 5);
        peek = bilan_read_peek_convention(data, size);
        cr_expect_str_eq(peek, "CDCMC-2026");
        free(data);
        data = test_read_file("config/examples/invalid-not-json.json", &size);
        cr_expect_eq(bilan_read("n.json", data, size, conventions, &b, &c, &d), -EINVAL);
        cr_expect_not_null(diag_find(&d, DIAG_ERROR, NULL, "not valid JSON: syntax error at line 8"));
        diagnostics_clear(&d);

        big = malloc(BILAN_SIZE_MAX + 2);
        cr_assert_not_null(big);
        memset(big, ' ', BILAN_SIZE_MAX + 1);
        big[0] = '{';
        cr_expect_eq(bilan_read("big.json", big, BILAN_SIZE_MAX + 1, conventions, &b, &c, &d), -EINVAL);
        cr_expect_not_null(diag_find(&d, DIAG_ERROR, NULL, "1048577 bytes, more than the 1048576 accepted"));
        diagnostics_clear(&d);
        cr_expect_eq(bilan_read("huge", big, BILAN_FILE_MAX + 1, conventions, &b, &c, &d), -EINVAL);
        diagnostics_clear(&d);
}
