/* bilan_report.c — the readable bilan (see bilan_report.h).
 *
 * Three parts, one y cursor: the title block (convention, period, buyer,
 * author and date), the quantitative summary (one row per action from the
 * proration, then the totals), the entries of each action in a table that
 * repeats its header after every page break, and the qualitative text
 * paragraph by paragraph, line by line, so that nothing overflows a page
 * whatever the size of the bilan (at most BILAN_ENTRIES_MAX entries and
 * BILAN_SIZE_MAX bytes, which bounds the page count). */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "writers/bilan_report.h"
#include "core/invoice.h"
#include "base/money.h"
#include "writers/pdf_document.h"
#include "writers/pdf_layout.h"

#define LEFT LAYOUT_LEFT
#define RIGHT LAYOUT_RIGHT

static const PdfTextStyle title_style = { PDF_BOLD, 20, LAYOUT_ACCENT };
static const PdfTextStyle subtitle_style = { PDF_BOLD, 11.5, LAYOUT_TEXT };
static const PdfTextStyle section_style = { PDF_BOLD, 12, LAYOUT_ACCENT };
static const PdfTextStyle cell_style = { PDF_REGULAR, 8, LAYOUT_TEXT };
static const PdfTextStyle cell_bold_style = { PDF_BOLD, 8, LAYOUT_TEXT };

#define CELL_LEADING 10.0
#define CELL_PAD 4.0

/* A table: columns with a left x, a width and an alignment. */
typedef struct Column {
        const char *title;
        double x, width;
        PdfAlign align;
} Column;

typedef struct Table {
        const Column *columns;
        size_t n_columns;
} Table;

typedef struct Report {
        PdfLayout l;
        const Convention *c;
        const Bilan *b;
        const Proration *p;
        const Table *table; /* the table being drawn, for its header on a new page */
} Report;

/* Summary: Art. | Action | Objectif | Réalisé | Retenu | Prévu | Dû */
static const Column summary_columns[] = {
        { "Art.", LEFT + 4, 24, PDF_ALIGN_LEFT },
        { "Action", LEFT + 30, 200, PDF_ALIGN_LEFT },
        { "Objectif", LEFT + 234, 44, PDF_ALIGN_RIGHT },
        { "Réalisé", LEFT + 282, 44, PDF_ALIGN_RIGHT },
        { "Retenu", LEFT + 330, 40, PDF_ALIGN_RIGHT },
        { "Montant prévu", LEFT + 374, 64, PDF_ALIGN_RIGHT },
        { "Montant dû", LEFT + 442, 59, PDF_ALIGN_RIGHT },
};

/* Entries: Date | Référence | Nom | Type / thème | Participants | Note */
static const Column entry_columns[] = {
        { "Date", LEFT + 4, 50, PDF_ALIGN_LEFT },
        { "Référence", LEFT + 58, 78, PDF_ALIGN_LEFT },
        { "Nom", LEFT + 140, 130, PDF_ALIGN_LEFT },
        { "Type / thème", LEFT + 274, 96, PDF_ALIGN_LEFT },
        { "Particip.", LEFT + 374, 36, PDF_ALIGN_RIGHT },
        { "Note", LEFT + 416, 85, PDF_ALIGN_LEFT },
};

static const Table summary_table = { summary_columns, ELEMENTSOF(summary_columns) };
static const Table entry_table = { entry_columns, ELEMENTSOF(entry_columns) };

static void draw_table_header(Report *r) {
        const Table *t = r->table;

        pdf_document_fill_rect(r->l.d, LEFT, r->l.y, RIGHT - LEFT, 18, LAYOUT_ACCENT);
        for (size_t i = 0; i < t->n_columns; i++) {
                const Column *col = &t->columns[i];
                double x = col->align == PDF_ALIGN_RIGHT ? col->x + col->width : col->x;
                pdf_document_text(r->l.d, &layout_th_style, x, r->l.y + 12, col->align, col->title);
        }
        r->l.y += 18;
}

static void on_new_page(PdfLayout *l, void *userdata) {
        Report *r = userdata;

        (void) l;
        if (r->table)
                draw_table_header(r);
}

/* Lines [first, first + count) of a row's cells, from the cursor down. */
static void draw_row_part(Report *r, const Table *t, char **const *lines, const size_t *n, size_t first,
                          size_t count, const bool *bold, bool shade) {
        double y = r->l.y, h = (double) count * CELL_LEADING + 2 * CELL_PAD;

        if (shade)
                pdf_document_fill_rect(r->l.d, LEFT, y, RIGHT - LEFT, h, LAYOUT_SHADE);
        for (size_t i = 0; i < t->n_columns; i++) {
                const Column *col = &t->columns[i];
                const PdfTextStyle *s = bold && bold[i] ? &cell_bold_style : &cell_style;
                double x = col->align == PDF_ALIGN_RIGHT ? col->x + col->width : col->x;
                for (size_t k = first; k < n[i] && k < first + count; k++)
                        pdf_document_text(r->l.d, s, x, y + CELL_PAD + 7.5 + (double) (k - first) * CELL_LEADING,
                                          col->align, lines[i][k]);
        }
        r->l.y += h;
}

/* One row: every cell wrapped in its column, the row as tall as its
 * tallest cell, kept whole on a page when a page can hold it; a taller row
 * (a 4 KiB note wraps to some 250 lines) goes on over the next pages, its
 * lines never drawn below the footer. `bold` marks cells drawn in bold. */
static int draw_row(Report *r, const Table *t, const char *const *cells, const bool *bold, bool shade) {
        /* What a page holds below the repeated table header. */
        static const double page_room = LAYOUT_BOTTOM - LAYOUT_TOP - 18;
        char **lines[8] = {};
        size_t n[8] = {}, height = 1;
        double row;
        int ret = 0;

        assert(t->n_columns <= ELEMENTSOF(lines));
        for (size_t i = 0; i < t->n_columns; i++) {
                const PdfTextStyle *s = bold && bold[i] ? &cell_bold_style : &cell_style;
                ret = pdf_document_wrap(r->l.d, s, strempty(cells[i]), t->columns[i].width, &lines[i]);
                if (ret < 0)
                        goto finish;
                while (lines[i][n[i]])
                        n[i]++;
                if (n[i] > height)
                        height = n[i];
        }
        row = (double) height * CELL_LEADING + 2 * CELL_PAD;
        /* Whole on this page or the next; too tall for any page, at least
         * two of its lines here. */
        pdf_layout_ensure_space(&r->l, row <= page_room ? row : 2 * CELL_LEADING + 2 * CELL_PAD);
        for (size_t first = 0; first < height;) {
                double room = LAYOUT_BOTTOM - r->l.y - 2 * CELL_PAD;
                size_t fit = room >= CELL_LEADING ? (size_t) (room / CELL_LEADING) : 1;
                size_t count = height - first < fit ? height - first : fit;

                draw_row_part(r, t, lines, n, first, count, bold, shade);
                first += count;
                if (first < height)
                        /* The rest does not fit here: a new page. */
                        pdf_layout_ensure_space(&r->l, (double) (height - first) * CELL_LEADING + 2 * CELL_PAD);
        }
finish:
        for (size_t i = 0; i < ELEMENTSOF(lines); i++)
                strv_free(lines[i]);
        return ret;
}

static void begin_table(Report *r, const Table *t) {
        pdf_layout_ensure_space(&r->l, 18 + 2 * CELL_LEADING + 2 * CELL_PAD);
        r->table = t;
        draw_table_header(r);
}

static void end_table(Report *r) {
        pdf_document_line(r->l.d, LEFT, r->l.y, RIGHT, r->l.y, 0.6, LAYOUT_ACCENT);
        r->table = NULL;
}

static void draw_section_title(Report *r, const char *title) {
        pdf_layout_ensure_space(&r->l, 80);
        r->l.y += 10;
        pdf_document_text(r->l.d, &section_style, LEFT, r->l.y + 12, PDF_ALIGN_LEFT, title);
        pdf_document_line(r->l.d, LEFT, r->l.y + 18, RIGHT, r->l.y + 18, 0.8, LAYOUT_ACCENT);
        r->l.y += 30;
}

/* ---------------------------------------------------------------- title block */

static void draw_key_value(Report *r, const char *key, const char *value) {
        size_t n;

        pdf_document_text(r->l.d, &layout_small_style, LEFT, r->l.y, PDF_ALIGN_LEFT, key);
        n = pdf_document_paragraph(r->l.d, &layout_text_style, LEFT + 110, r->l.y, RIGHT - LEFT - 110, 11.5, value);
        r->l.y += (double) (n > 0 ? n : 1) * 11.5 + 3;
}

static void draw_title(Report *r) {
        const Convention *c = r->c;
        PdfDocument *d = r->l.d;
        char start[32], end[32], signed_on[32], issued[32], siret[32];
        _cleanup_(freep) char *convention = NULL, *period = NULL, *partner = NULL, *established = NULL;
        size_t n;

        pdf_document_text(d, &title_style, LEFT, r->l.y + 18, PDF_ALIGN_LEFT, "Bilan d'exécution");
        r->l.y += 42;
        n = pdf_document_paragraph(d, &subtitle_style, LEFT, r->l.y, RIGHT - LEFT, 14, c->title);
        r->l.y += (double) n * 14 + 12;

        convention = pdf_document_format(d, "%s, signée le %s", c->id, date_format_french(c->signed_on, signed_on));
        draw_key_value(r, "Convention", convention);
        period = pdf_document_format(d, "du %s au %s", date_format_french(c->period_start, start),
                                     date_format_french(c->period_end, end));
        draw_key_value(r, "Période", period);
        partner = pdf_document_format(d, "%s (SIRET %s)", c->buyer.name, pdf_format_siret(c->buyer.siret, siret));
        draw_key_value(r, "Partenaire", partner);
        established = pdf_document_format(d, "le %s par %s", date_format_french(r->b->issued_on, issued),
                                          strempty(r->b->author));
        draw_key_value(r, "Bilan établi", established);
        r->l.y += 8;
}

/* ---------------------------------------------------------------- quantitative summary */

static int draw_summary(Report *r) {
        char target[24], realised[24], counted[24], planned[MONEY_FRENCH_MAX], due[MONEY_FRENCH_MAX];
        const Proration *p = r->p;
        int ret;

        draw_section_title(r, "1. Synthèse quantitative");
        begin_table(r, &summary_table);
        for (size_t i = 0; i < p->n_lines; i++) {
                const ProrationLine *pl = &p->lines[i];
                const ConventionAction *a = pl->action;
                const char *cells[] = {
                        a->article, a->label, target, realised, counted,
                        money_format_french(a->amount, true, planned), money_format_french(pl->amount, true, due),
                };
                static const bool bold[] = { false, false, false, true, false, false, true };

                snprintf(target, sizeof(target), "%lld", (long long) a->target);
                snprintf(realised, sizeof(realised), "%lld", (long long) pl->realised);
                snprintf(counted, sizeof(counted), "%lld", (long long) pl->counted);
                ret = draw_row(r, &summary_table, cells, bold, i % 2 == 1);
                if (ret < 0)
                        return ret;
        }
        end_table(r);
        return 0;
}

static void draw_total_row(Report *r, const char *label, const char *value, bool strong) {
        const PdfTextStyle *s = strong ? &layout_bold_style : &layout_text_style;

        pdf_document_text(r->l.d, s, RIGHT - 230, r->l.y + 12, PDF_ALIGN_LEFT, label);
        pdf_document_text(r->l.d, s, RIGHT - 4, r->l.y + 12, PDF_ALIGN_RIGHT, value);
        r->l.y += 16;
}

/* Under the totals: each action counted whose prorated amount rounds to
 * 0.00, which the invoice leaves out (proration_line_is_invoiced()). */
static void draw_zero_lines(Report *r) {
        const double width = RIGHT - LEFT;

        for (size_t i = 0; i < r->p->n_lines; i++) {
                const ProrationLine *pl = &r->p->lines[i];
                _cleanup_(freep) char *text = NULL;
                size_t n;

                if (pl->counted == 0 || proration_line_is_invoiced(pl))
                        continue;
                text = pdf_document_format(r->l.d,
                                           "Article %s — %s : le montant au prorata s'arrondit à 0,00 € ; "
                                           "cette action ne figure pas sur la facture.",
                                           pl->action->article, pl->action->label);
                n = pdf_layout_count_lines(&r->l, &layout_small_style, text, width);
                pdf_layout_ensure_space(&r->l, (double) n * 10 + 4);
                n = pdf_document_paragraph(r->l.d, &layout_small_style, LEFT, r->l.y + 8, width, 10, text);
                r->l.y += (double) n * 10 + 4;
        }
}

static void draw_totals(Report *r) {
        char before[MONEY_FRENCH_MAX], cap[MONEY_FRENCH_MAX], allowance[MONEY_FRENCH_MAX + 8],
                total[MONEY_FRENCH_MAX], tmp[MONEY_FRENCH_MAX];

        pdf_layout_ensure_space(&r->l, 4 * 16 + 20);
        r->l.y += 4;
        draw_total_row(r, "Total des actions", money_format_french(r->p->total_before_cap, true, before), false);
        draw_total_row(r, "Plafond de la convention", money_format_french(r->c->cap, true, cap), false);
        if (r->p->cap_allowance > 0) {
                snprintf(allowance, sizeof(allowance), "− %s", money_format_french(r->p->cap_allowance, true, tmp));
                draw_total_row(r, "Remise (plafond atteint)", allowance, false);
        }
        pdf_document_line(r->l.d, RIGHT - 230, r->l.y + 2, RIGHT, r->l.y + 2, 0.6, LAYOUT_ACCENT);
        r->l.y += 2;
        draw_total_row(r, "Montant dû au titre du bilan HT", money_format_french(r->p->total, true, total), true);
        r->l.y += 8;
}

/* ---------------------------------------------------------------- entries */

/* The reference cell: a SIRET grouped (it reads better), and a repeated
 * ref, counted once, says so. */
static char *ref_cell(PdfDocument *d, const BilanEntry *e) {
        char siret[32];

        return pdf_document_format(d, "%s%s", pdf_format_siret(e->ref, siret),
                                   e->duplicate ? " (doublon, compté une fois)" : "");
}

static int draw_entries(Report *r, const BilanAction *ba) {
        const ConventionAction *a = ba->action;
        _cleanup_(freep) char *title = NULL;
        char summary[160];
        size_t n;
        int ret;

        title = pdf_document_format(r->l.d, "Article %s — %s", a->article, a->label);
        /* The title (a label may wrap to ten lines), the summary line and
         * the start of the table, together. */
        pdf_layout_ensure_space(&r->l, 60 + (double) (pdf_layout_count_lines(&r->l, &layout_bold_style, title,
                                                                            RIGHT - LEFT) - 1) * 11.5);
        n = pdf_document_paragraph(r->l.d, &layout_bold_style, LEFT, r->l.y + 10, RIGHT - LEFT, 11.5, title);
        r->l.y += 10 + (double) n * 11.5;
        snprintf(summary, sizeof(summary), "%zu entrée%s, %lld réalisation%s distincte%s, objectif %lld", ba->n_entries,
                 ba->n_entries > 1 ? "s" : "", (long long) ba->quantity, ba->quantity > 1 ? "s" : "",
                 ba->quantity > 1 ? "s" : "", (long long) a->target);
        pdf_document_text(r->l.d, &layout_small_style, LEFT, r->l.y + 1, PDF_ALIGN_LEFT, summary);
        r->l.y += 10;
        if (ba->n_entries == 0) {
                pdf_document_text(r->l.d, &layout_text_style, LEFT, r->l.y + 10, PDF_ALIGN_LEFT,
                                  "Aucune réalisation déclarée.");
                r->l.y += 24;
                return 0;
        }
        begin_table(r, &entry_table);
        for (size_t i = 0; i < ba->n_entries; i++) {
                const BilanEntry *e = &ba->entries[i];
                _cleanup_(freep) char *ref = ref_cell(r->l.d, e);
                char date[32], attendees[24];
                const char *cells[6];

                snprintf(date, sizeof(date), "%02d/%02d/%04d", e->date.day, e->date.month, e->date.year);
                snprintf(attendees, sizeof(attendees), "%lld", (long long) e->attendees);
                cells[0] = date;
                cells[1] = ref;
                cells[2] = strempty(e->name);
                cells[3] = strempty(e->kind);
                cells[4] = e->attendees >= 0 ? attendees : "";
                cells[5] = strempty(e->note);
                ret = draw_row(r, &entry_table, cells, NULL, i % 2 == 1);
                if (ret < 0)
                        return ret;
        }
        end_table(r);
        r->l.y += 14;
        return 0;
}

/* ---------------------------------------------------------------- qualitative */

static int draw_qualitative(Report *r) {
        _cleanup_(strv_freep) char **lines = NULL;
        const double leading = 12.5;
        int ret;

        draw_section_title(r, "3. Bilan qualitatif");
        if (isempty(r->b->qualitative)) {
                pdf_document_text(r->l.d, &layout_text_style, LEFT, r->l.y, PDF_ALIGN_LEFT,
                                  "Aucun bilan qualitatif n'a été joint.");
                return 0;
        }
        ret = pdf_document_wrap(r->l.d, &layout_text_style, r->b->qualitative, RIGHT - LEFT, &lines);
        if (ret < 0)
                return ret;
        for (char **l = lines; *l; l++) {
                pdf_layout_ensure_space(&r->l, leading);
                pdf_document_text(r->l.d, &layout_text_style, LEFT, r->l.y + 9, PDF_ALIGN_LEFT, *l);
                r->l.y += leading;
        }
        return 0;
}

/* ---------------------------------------------------------------- document */

static int report_draw(Report *r) {
        int ret;

        pdf_layout_new_page(&r->l);
        draw_title(r);
        ret = draw_summary(r);
        if (ret < 0)
                return ret;
        draw_totals(r);
        draw_zero_lines(r);
        draw_section_title(r, "2. Détail des réalisations");
        for (size_t i = 0; i < r->b->n_actions; i++) {
                ret = draw_entries(r, &r->b->actions[i]);
                if (ret < 0)
                        return ret;
        }
        return draw_qualitative(r);
}

int bilan_report_draw(const Convention *c, const Bilan *b, const Proration *p, PdfDocument *d) {
        _cleanup_(freep) char *footer = NULL;
        char issued[32];
        Report r = { .c = c, .b = b, .p = p };

        if (!c || !b || !p || p->n_lines != b->n_actions)
                return -EINVAL;
        for (size_t i = 0; i < p->n_lines; i++)
                if (p->lines[i].action != b->actions[i].action)
                        return -EINVAL;
        if (asprintf(&footer, "Bilan d'exécution de la convention %s, établi le %s", c->id,
                     date_format_french(b->issued_on, issued)) < 0) {
                footer = NULL;
                return -ENOMEM;
        }
        r.l = (PdfLayout) { .d = d, .footer = footer, .on_new_page = on_new_page, .userdata = &r };
        return report_draw(&r);
}

int bilan_report_render(const Convention *c, const Bilan *b, const Proration *p, const PdfAssets *assets,
                        char **ret, size_t *ret_size) {
        _cleanup_(pdf_document_freep) PdfDocument *d = NULL;
        _cleanup_(freep) char *title = NULL;
        int k;

        if (!c || !b || !p)
                return -EINVAL;
        if (asprintf(&title, "Bilan d'exécution de la convention %s", c->id) < 0) {
                title = NULL;
                return -ENOMEM;
        }
        k = pdf_document_new(&(PdfDocumentInfo) {
                .title = title,
                .author = b->author,
                .subject = c->title,
                .date = b->issued_on,
                .assets = assets,
        }, &d);
        if (k < 0)
                return k;
        k = bilan_report_draw(c, b, p, d);
        if (k < 0)
                return k;
        return pdf_document_render(d, ret, ret_size);
}

int bilan_report_filename(const char *number, char buf[static BILAN_REPORT_FILENAME_MAX + 1]) {
        int n = snprintf(buf, BILAN_REPORT_FILENAME_MAX + 1, "bilan-%s.pdf", number);

        if (n < 0 || n > BILAN_REPORT_FILENAME_MAX)
                return -ENAMETOOLONG;
        invoice_sanitize_file_name(buf);
        return 0;
}

char *bilan_report_description(const Convention *c, const Bilan *b) {
        char issued[32];
        char *s;

        if (asprintf(&s, "Bilan d'exécution de la convention %s (quantitatif et qualitatif), établi le %s", c->id,
                     date_format_french(b->issued_on, issued)) < 0)
                return NULL;
        return s;
}
