/* invoice_pdf.c — the readable invoice layout (see invoice_pdf.h).
 *
 * One pass from top to bottom with a y cursor: header (seller, title,
 * number and dates), parties (object of the invoice, buyer), the table of
 * lines (repeating its header on a new page), totals with the VAT mention,
 * payment, notes. Each block is measured first and moved whole to the next
 * page when it does not fit above the footer. Colours and sizes are the
 * constants below; nothing here computes an amount. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "writers/invoice_pdf.h"
#include "base/money.h"
#include "writers/pdf_layout.h"

#define LEFT LAYOUT_LEFT
#define RIGHT LAYOUT_RIGHT
#define TOP LAYOUT_TOP

/* Width of the right-hand blocks (buyer, totals), aligned on RIGHT. */
#define SIDE_WIDTH 255.0

/* Table columns: right edges of the numeric ones. */
#define COL_ID LEFT + 6
#define COL_LABEL (LEFT + 28)
#define COL_LABEL_WIDTH 262.0
#define COL_QTY (LEFT + 345)
#define COL_PRICE (LEFT + 430)
#define COL_AMOUNT (RIGHT - 6)

static const PdfTextStyle title_style = { PDF_BOLD, 22, LAYOUT_ACCENT };
static const PdfTextStyle seller_style = { PDF_BOLD, 12, LAYOUT_ACCENT };
static const PdfTextStyle total_style = { PDF_BOLD, 11, LAYOUT_WHITE };
#define heading_style layout_heading_style
#define text_style layout_text_style
#define bold_style layout_bold_style
#define small_style layout_small_style
#define th_style layout_th_style

typedef struct Ctx {
        PdfLayout l;
        const Invoice *inv;
} Ctx;

/* ---------------------------------------------------------------- formatting */

/* "FR76 3000 1007 9412 3456 7890 185": IBAN in groups of four. */
static void format_iban(const char *s, char buf[static 64]) {
        size_t n = 0;

        for (size_t i = 0; s[i] && n + 2 < 64; i++) {
                if (i > 0 && i % 4 == 0)
                        buf[n++] = ' ';
                buf[n++] = s[i];
        }
        buf[n] = 0;
}

/* VAT rate in hundredths of a percent: 2000 → "20 %", 550 → "5,5 %". */
static void format_rate(int64_t rate, char buf[static 32]) {
        long long units = (long long) (rate / 100), frac = (long long) (rate % 100);

        if (frac == 0)
                snprintf(buf, 32, "%lld\u00A0%%", units);
        else if (frac % 10 == 0)
                snprintf(buf, 32, "%lld,%lld\u00A0%%", units, frac / 10);
        else
                snprintf(buf, 32, "%lld,%02lld\u00A0%%", units, frac);
}

static const char *payment_means_name(const char *code) {
        if (streq_ptr(code, "30"))
                return "Virement";
        return strempty(code);
}

/* ---------------------------------------------------------------- header and parties */

/* One text of a block, wrapped to `width` at *y, which moves past it: drawn
 * when `draw`, only measured otherwise, so that a block's height and its
 * drawing follow the same steps. Nothing is ever cut or drawn beyond the
 * block, however long the text (a 256-byte city, a 100-character service
 * code). */
static void block_text(Ctx *c, const PdfTextStyle *s, double x, double *y, double width, double leading,
                       const char *text, bool draw) {
        size_t n;

        if (isempty(text))
                return;
        n = draw ? pdf_document_paragraph(c->l.d, s, x, *y, width, leading, text)
                 : pdf_layout_count_lines(&c->l, s, text, width);
        *y += (double) n * leading;
}

static void block_address(Ctx *c, const Address *a, double x, double *y, double width, double leading,
                          bool draw) {
        bool fr = streq_ptr(a->country, "FR");
        _cleanup_(freep) char *town = pdf_document_format(c->l.d, "%s %s%s%s", strempty(a->postcode),
                                                          strempty(a->city), fr ? "" : ", ",
                                                          fr ? "" : strempty(a->country));

        block_text(c, &text_style, x, y, width, leading, a->line1, draw);
        block_text(c, &text_style, x, y, width, leading, a->line2, draw);
        block_text(c, &text_style, x, y, width, leading, town, draw);
}

static void key_value(Ctx *c, double x_label, double x_value, double y, const char *label, const char *value,
                      const PdfTextStyle *vs) {
        pdf_document_text(c->l.d, &small_style, x_label, y, PDF_ALIGN_LEFT, label);
        pdf_document_text(c->l.d, vs, x_value, y, PDF_ALIGN_RIGHT, value);
}

/* The seller, top left; returns where it ends. */
static double draw_seller(Ctx *c, double width) {
        const InvoiceParty *s = &c->inv->seller;
        PdfDocument *d = c->l.d;
        char siret[32];
        _cleanup_(freep) char *siret_line = pdf_document_format(d, "SIRET %s", pdf_format_siret(s->siret, siret));
        _cleanup_(freep) char *vat_line = isempty(s->vat_id) ? NULL
                                                              : pdf_document_format(d, "N° TVA intracommunautaire %s",
                                                                                    s->vat_id);
        double y = TOP + 8;

        block_text(c, &seller_style, LEFT, &y, width, 14, s->name, true);
        y += 2;
        block_address(c, &s->address, LEFT, &y, width, 12, true);
        block_text(c, &small_style, LEFT, &y, width, 11, siret_line, true);
        block_text(c, &small_style, LEFT, &y, width, 11, vat_line, true);
        block_text(c, &small_style, LEFT, &y, width, 11, s->email, true);
        return y;
}

static void draw_header(Ctx *c) {
        const Invoice *inv = c->inv;
        char issue[32], due[32];
        double y, right_y;

        y = draw_seller(c, 270);

        /* Title, number and dates, top right. */
        pdf_document_text(c->l.d, &title_style, RIGHT, TOP + 14, PDF_ALIGN_RIGHT,
                          inv->type_code == INVOICE_TYPE_CREDIT_NOTE ? "AVOIR" : "FACTURE");
        right_y = TOP + 40;
        key_value(c, RIGHT - 190, RIGHT, right_y,
                  inv->type_code == INVOICE_TYPE_CREDIT_NOTE ? "Avoir n°" : "Facture n°", inv->number,
                  &bold_style);
        key_value(c, RIGHT - 190, RIGHT, right_y + 14, "Date d'émission", date_format_french(inv->issue_date, issue),
                  &text_style);
        key_value(c, RIGHT - 190, RIGHT, right_y + 28, "Échéance", date_format_french(inv->due_date, due),
                  &text_style);
        /* A credit note names the invoice it cancels (BT-25, BT-26). */
        if (inv->preceding_number) {
                char issued[32];

                key_value(c, RIGHT - 190, RIGHT, right_y + 42, "Facture annulée", inv->preceding_number,
                          &bold_style);
                key_value(c, RIGHT - 190, RIGHT, right_y + 56, "Date de la facture",
                          date_format_french(inv->preceding_date, issued), &text_style);
                right_y += 28;
        }
        pdf_document_line(c->l.d, RIGHT - 190, right_y + 36, RIGHT, right_y + 36, 0.5, LAYOUT_RULE);

        c->l.y = (y > right_y + 36 ? y : right_y + 36) + 22;
}

/* What the buyer's box holds, from its top at y: measured (draw false) or
 * drawn. Returns the box's height. */
static double buyer_block(Ctx *c, double x, double y, double width, bool draw) {
        const Invoice *inv = c->inv;
        const InvoiceParty *b = &inv->buyer;
        PdfDocument *d = c->l.d;
        char siret[32];
        _cleanup_(freep) char *siret_line = pdf_document_format(d, "SIRET %s", pdf_format_siret(b->siret, siret));
        _cleanup_(freep) char *code_line = isempty(inv->buyer_reference)
                                                   ? NULL
                                                   : pdf_document_format(d, "Code service Chorus Pro : %s",
                                                                         inv->buyer_reference);
        _cleanup_(freep) char *order_line = isempty(inv->order_reference)
                                                    ? NULL
                                                    : pdf_document_format(d, "Engagement juridique : %s",
                                                                          inv->order_reference);
        double top = y, inner = width - 20;

        if (draw)
                pdf_document_text(d, &heading_style, x + 12, y + 14, PDF_ALIGN_LEFT, "FACTURÉ À");
        y += 30;
        block_text(c, &bold_style, x + 12, &y, inner, 12, b->name, draw);
        block_address(c, &b->address, x + 12, &y, inner, 12, draw);
        block_text(c, &text_style, x + 12, &y, inner, 12, siret_line, draw);
        block_text(c, &text_style, x + 12, &y, inner, 12, code_line, draw);
        block_text(c, &text_style, x + 12, &y, inner, 12, order_line, draw);
        return y - 12 + 8 - top; /* 8 points below the last baseline */
}

static double draw_buyer(Ctx *c, double x, double y, double width) {
        double h = buyer_block(c, x, y, width, /* draw= */ false);

        pdf_document_fill_rect(c->l.d, x, y, width, h, LAYOUT_SHADE);
        pdf_document_fill_rect(c->l.d, x, y, 2.5, h, LAYOUT_ACCENT);
        (void) buyer_block(c, x, y, width, /* draw= */ true);
        return h;
}

/* The object of the invoice, left of the buyer, each thing once: the
 * convention (BT-12) and its title, the invoicing period (BG-14), and the
 * day the service was completed (BT-72), which French law wants on the
 * invoice when it differs from the issue date. The first BT-22 note says
 * the same in one sentence: it is not printed (note_is_shown_elsewhere). */
static double draw_object(Ctx *c, double x, double y, double width) {
        const Invoice *inv = c->inv;
        PdfDocument *d = c->l.d;
        char start[32], end[32], done[32];
        _cleanup_(freep) char *convention = pdf_document_format(d, "Convention %s",
                                                                strempty(inv->contract_reference));
        _cleanup_(freep) char *title = isempty(inv->contract_title)
                                               ? NULL
                                               : pdf_document_format(d, "« %s »", inv->contract_title);
        _cleanup_(freep) char *period = pdf_document_format(d, "Période facturée : du %s au %s",
                                                            date_format_french(inv->period_start, start),
                                                            date_format_french(inv->period_end, end));
        _cleanup_(freep) char *delivery = !inv->has_delivery_date
                                                  ? NULL
                                                  : pdf_document_format(d, "Prestation achevée le %s",
                                                                        date_format_french(inv->delivery_date,
                                                                                           done));
        double yy = y + 30;

        pdf_document_text(d, &heading_style, x, y + 14, PDF_ALIGN_LEFT, "OBJET");
        block_text(c, &bold_style, x, &yy, width, 12, convention, true);
        block_text(c, &text_style, x, &yy, width, 12, title, true);
        yy += 2;
        block_text(c, &text_style, x, &yy, width, 12, period, true);
        block_text(c, &text_style, x, &yy, width, 12, delivery, true);
        return yy - 12 + 6 - y;
}

static void draw_parties(Ctx *c) {
        double bx = RIGHT - SIDE_WIDTH, h_buyer, h_object;

        h_object = draw_object(c, LEFT, c->l.y, bx - LEFT - 25);
        h_buyer = draw_buyer(c, bx, c->l.y, SIDE_WIDTH);
        c->l.y += (h_buyer > h_object ? h_buyer : h_object) + 24;
}

/* ---------------------------------------------------------------- lines */

static void draw_table_header(Ctx *c) {
        double y = c->l.y;

        pdf_document_fill_rect(c->l.d, LEFT, y, RIGHT - LEFT, 20, LAYOUT_ACCENT);
        pdf_document_text(c->l.d, &th_style, COL_ID, y + 13, PDF_ALIGN_LEFT, "N°");
        pdf_document_text(c->l.d, &th_style, COL_LABEL, y + 13, PDF_ALIGN_LEFT, "Désignation");
        pdf_document_text(c->l.d, &th_style, COL_QTY, y + 13, PDF_ALIGN_RIGHT, "Qté");
        pdf_document_text(c->l.d, &th_style, COL_PRICE, y + 13, PDF_ALIGN_RIGHT, "Prix unitaire HT");
        pdf_document_text(c->l.d, &th_style, COL_AMOUNT, y + 13, PDF_ALIGN_RIGHT, "Montant HT");
        c->l.y += 20;
}

static void draw_line(Ctx *c, const InvoiceLine *l, size_t index) {
        _cleanup_(strv_freep) char **name = NULL, **desc = NULL;
        char qty[32], price[MONEY_FRENCH_MAX], amount[MONEY_FRENCH_MAX];
        double h, y;
        size_t n_name = 0, n_desc = 0;

        if (pdf_document_wrap(c->l.d, &bold_style, l->name, COL_LABEL_WIDTH, &name) < 0 ||
            pdf_document_wrap(c->l.d, &small_style, l->description, COL_LABEL_WIDTH, &desc) < 0)
                return;
        while (name[n_name])
                n_name++;
        while (!isempty(l->description) && desc[n_desc])
                n_desc++;
        h = 10 + (double) n_name * 11.5 + (double) n_desc * 10 + 6;
        pdf_layout_ensure_space(&c->l, h);
        y = c->l.y;
        if (index % 2 == 1)
                pdf_document_fill_rect(c->l.d, LEFT, y, RIGHT - LEFT, h, LAYOUT_SHADE);
        pdf_document_text(c->l.d, &text_style, COL_ID, y + 15, PDF_ALIGN_LEFT, l->id);
        for (size_t i = 0; i < n_name; i++)
                pdf_document_text(c->l.d, &bold_style, COL_LABEL, y + 15 + (double) i * 11.5, PDF_ALIGN_LEFT, name[i]);
        for (size_t i = 0; i < n_desc; i++)
                pdf_document_text(c->l.d, &small_style, COL_LABEL, y + 15 + (double) n_name * 11.5 + (double) i * 10,
                                  PDF_ALIGN_LEFT, desc[i]);
        snprintf(qty, sizeof(qty), "%lld", (long long) l->quantity);
        pdf_document_text(c->l.d, &text_style, COL_QTY, y + 15, PDF_ALIGN_RIGHT, qty);
        pdf_document_text(c->l.d, &text_style, COL_PRICE, y + 15, PDF_ALIGN_RIGHT,
                          money_format_french(l->unit_price, true, price));
        pdf_document_text(c->l.d, &bold_style, COL_AMOUNT, y + 15, PDF_ALIGN_RIGHT,
                          money_format_french(l->net_amount, true, amount));
        c->l.y += h;
        pdf_document_line(c->l.d, LEFT, c->l.y, RIGHT, c->l.y, 0.4, LAYOUT_RULE);
}

static void repeat_table_header(PdfLayout *l, void *userdata) {
        (void) l;
        draw_table_header(userdata);
}

static void draw_lines(Ctx *c) {
        pdf_layout_ensure_space(&c->l, 60);
        draw_table_header(c);
        c->l.on_new_page = repeat_table_header;
        c->l.userdata = c;
        for (size_t i = 0; i < c->inv->n_lines; i++)
                draw_line(c, &c->inv->lines[i], i);
        c->l.on_new_page = NULL;
        c->l.y += 16;
}

/* ---------------------------------------------------------------- totals */

typedef struct TotalRow {
        char label[256];
        char value[MONEY_FRENCH_MAX + 8];
} TotalRow;

static size_t total_rows(const Invoice *inv, TotalRow rows[static 8 + 2 * 8]) {
        char amount[MONEY_FRENCH_MAX], rate[32];
        size_t n = 0;

        if (inv->n_allowances > 0) {
                snprintf(rows[n].label, sizeof(rows[n].label), "Total des lignes HT");
                money_format_french(inv->line_total, true, rows[n++].value);
                for (size_t i = 0; i < inv->n_allowances && i < 8; i++) {
                        snprintf(rows[n].label, sizeof(rows[n].label), "Remise : %s", inv->allowances[i].reason);
                        snprintf(rows[n++].value, sizeof(rows[0].value), "− %s",
                                 money_format_french(inv->allowances[i].amount, true, amount));
                }
        }
        snprintf(rows[n].label, sizeof(rows[n].label), "Total HT");
        money_format_french(inv->tax_exclusive, true, rows[n++].value);
        for (size_t i = 0; i < inv->n_vat && i < 8; i++) {
                const InvoiceVatBreakdown *v = &inv->vat[i];
                if (v->category == VAT_CATEGORY_S || v->category == VAT_CATEGORY_Z) {
                        format_rate(v->rate, rate);
                        snprintf(rows[n].label, sizeof(rows[n].label), "TVA %s", rate);
                } else if (v->category == VAT_CATEGORY_E) /* exempt, with its legal basis beside */
                        snprintf(rows[n].label, sizeof(rows[n].label), "TVA exonérée");
                else
                        snprintf(rows[n].label, sizeof(rows[n].label), "TVA (non applicable)");
                money_format_french(v->tax_amount, true, rows[n++].value);
        }
        snprintf(rows[n].label, sizeof(rows[n].label), "Total TTC");
        money_format_french(inv->tax_inclusive, true, rows[n++].value);
        return n;
}

/* The VAT mentions left of the totals: the exemption reason of each O/E
 * breakdown (CGI article), which French law wants printed. Drawn when
 * `draw`, only measured otherwise (a reason may be 1024 bytes, taller than
 * the totals beside it). Returns their height. */
static double vat_mention(Ctx *c, double y, double width, bool draw) {
        double yy = y;

        for (size_t i = 0; i < c->inv->n_vat; i++) {
                const InvoiceVatBreakdown *v = &c->inv->vat[i];
                size_t n;

                if (isempty(v->exemption_reason))
                        continue;
                if (yy == y) {
                        if (draw)
                                pdf_document_text(c->l.d, &heading_style, LEFT, yy + 12, PDF_ALIGN_LEFT,
                                                  "MENTION TVA");
                        yy += 26;
                }
                n = draw ? pdf_document_paragraph(c->l.d, &bold_style, LEFT, yy, width, 11.5, v->exemption_reason)
                         : pdf_layout_count_lines(&c->l, &bold_style, v->exemption_reason, width);
                yy += (double) n * 11.5 + 4;
        }
        return yy - y;
}

static void draw_totals(Ctx *c) {
        TotalRow rows[8 + 2 * 8];
        char payable[MONEY_FRENCH_MAX];
        double x = RIGHT - SIDE_WIDTH, y, mention_end;
        size_t n = total_rows(c->inv, rows);
        double height = (double) n * 16 + 40, mention = vat_mention(c, 0, x - LEFT - 25, /* draw= */ false);

        pdf_layout_ensure_space(&c->l, mention > height ? mention : height);
        y = c->l.y;
        mention_end = y + vat_mention(c, y, x - LEFT - 25, /* draw= */ true);
        for (size_t i = 0; i < n; i++) {
                const PdfTextStyle *s = streq(rows[i].label, "Total TTC") ? &bold_style : &text_style;
                pdf_document_text(c->l.d, s, x + 8, y + 12, PDF_ALIGN_LEFT, rows[i].label);
                pdf_document_text(c->l.d, s, RIGHT - 8, y + 12, PDF_ALIGN_RIGHT, rows[i].value);
                pdf_document_line(c->l.d, x, y + 17, RIGHT, y + 17, 0.4, LAYOUT_RULE);
                y += 17;
        }
        y += 6;
        pdf_document_fill_rect(c->l.d, x, y, RIGHT - x, 26, LAYOUT_ACCENT);
        pdf_document_text(c->l.d, &total_style, x + 8, y + 17, PDF_ALIGN_LEFT,
                          c->inv->type_code == INVOICE_TYPE_CREDIT_NOTE ? "Montant de l'avoir" : "Net à payer");
        pdf_document_text(c->l.d, &total_style, RIGHT - 8, y + 17, PDF_ALIGN_RIGHT,
                          money_format_french(c->inv->payable, true, payable));
        /* Below the totals and below the VAT mention, whichever ends lower. */
        c->l.y = (y + 26 > mention_end ? y + 26 : mention_end) + 22;
}

/* ---------------------------------------------------------------- payment, notes */

static void draw_payment(Ctx *c) {
        const Invoice *inv = c->inv;
        char iban[64];
        const double width = RIGHT - LEFT, label = 100, holder_width = 255 - label;
        size_t n_terms = pdf_layout_count_lines(&c->l, &text_style, inv->payment_terms, width);
        size_t n_holder = pdf_layout_count_lines(&c->l, &text_style, inv->seller.name, holder_width);
        double y, h = 28 + (double) n_terms * 11.5 + 4 + (double) (1 + n_holder) * 13 + 30;

        pdf_layout_ensure_space(&c->l, h);
        y = c->l.y;
        pdf_document_line(c->l.d, LEFT, y, RIGHT, y, 0.8, LAYOUT_ACCENT);
        pdf_document_text(c->l.d, &heading_style, LEFT, y + 14, PDF_ALIGN_LEFT, "RÈGLEMENT");
        y += 28;
        if (!isempty(inv->payment_terms))
                y += (double) pdf_document_paragraph(c->l.d, &text_style, LEFT, y, width, 11.5, inv->payment_terms) * 11.5 + 6;

        /* Left: how and to whom; right: the bank details, values aligned. */
        pdf_document_text(c->l.d, &small_style, LEFT, y, PDF_ALIGN_LEFT, "Mode de paiement");
        pdf_document_text(c->l.d, &text_style, LEFT + label, y, PDF_ALIGN_LEFT, payment_means_name(inv->payment_means_code));
        pdf_document_text(c->l.d, &small_style, LEFT, y + 13, PDF_ALIGN_LEFT, "Titulaire du compte");
        pdf_document_paragraph(c->l.d, &text_style, LEFT + label, y + 13, holder_width, 11.5, inv->seller.name);

        format_iban(strempty(inv->iban), iban);
        key_value(c, LEFT + 280, RIGHT, y, "IBAN", iban, &bold_style);
        if (!isempty(inv->bic))
                key_value(c, LEFT + 280, RIGHT, y + 13, "BIC", inv->bic, &bold_style);
        key_value(c, LEFT + 280, RIGHT, y + 26, "Référence à rappeler", strempty(inv->remittance_information),
                  &bold_style);
        c->l.y = y + (n_holder > 1 ? 13 + (double) n_holder * 11.5 : 26) + 22;
}

/* BT-22 notes other than the first (shown with the object) and the VAT
 * exemption reason (shown with the totals). */
static bool note_is_shown_elsewhere(const Invoice *inv, size_t i) {
        const char *note = inv->notes[i];

        if (i == 0)
                return true;
        for (size_t v = 0; v < inv->n_vat; v++) {
                const char *r = inv->vat[v].exemption_reason;
                size_t n = r ? strlen(r) : 0;
                if (n > 0 && strncmp(note, r, n) == 0 && (note[n] == 0 || streq(note + n, ".")))
                        return true;
        }
        return false;
}

static void draw_notes(Ctx *c) {
        const double width = RIGHT - LEFT;
        bool first = true;

        for (size_t i = 0; i < c->inv->n_notes; i++) {
                size_t n;

                if (note_is_shown_elsewhere(c->inv, i))
                        continue;
                n = pdf_layout_count_lines(&c->l, &small_style, c->inv->notes[i], width);
                pdf_layout_ensure_space(&c->l, (double) n * 10 + (first ? 22 : 4));
                if (first) {
                        pdf_document_text(c->l.d, &heading_style, LEFT, c->l.y + 4, PDF_ALIGN_LEFT, "INFORMATIONS");
                        c->l.y += 18;
                        first = false;
                }
                n = pdf_document_paragraph(c->l.d, &small_style, LEFT, c->l.y, width, 10, c->inv->notes[i]);
                c->l.y += (double) n * 10 + 4;
        }
}

int invoice_pdf_draw(const Invoice *inv, PdfDocument *d) {
        _cleanup_(freep) char *footer = NULL, *continued = NULL;
        char siret[32];
        Ctx c = { .inv = inv, .l.d = d };

        if (asprintf(&footer, "%s — SIRET %s%s%s", inv->seller.name, pdf_format_siret(inv->seller.siret, siret),
                     inv->seller.email ? " — " : "", strempty(inv->seller.email)) < 0)
                return -ENOMEM;
        c.l.footer = footer;
        if (asprintf(&continued, "%s n° %s (suite)",
                     inv->type_code == INVOICE_TYPE_CREDIT_NOTE ? "Avoir" : "Facture", inv->number) < 0) {
                continued = NULL;
                return -ENOMEM;
        }
        c.l.continuation_left = inv->seller.name;
        c.l.continuation_right = continued;
        pdf_layout_new_page(&c.l);
        draw_header(&c);
        draw_parties(&c);
        draw_lines(&c);
        draw_totals(&c);
        draw_payment(&c);
        draw_notes(&c);
        return 0;
}

int invoice_pdf_info(const Invoice *inv, PdfDocumentInfo *ret, char **ret_title, char **ret_subject) {
        _cleanup_(freep) char *title = NULL, *subject = NULL;
        const char *kind = inv->type_code == INVOICE_TYPE_CREDIT_NOTE ? "Avoir" : "Facture";

        if (asprintf(&title, "%s %s", kind, inv->number) < 0) {
                title = NULL;
                return -ENOMEM;
        }
        if (asprintf(&subject, "%s %s de %s à %s, convention %s", kind, inv->number, inv->seller.name,
                     inv->buyer.name, strempty(inv->contract_reference)) < 0) {
                subject = NULL;
                return -ENOMEM;
        }
        *ret = (PdfDocumentInfo) {
                .title = title,
                .author = inv->seller.name,
                .subject = subject,
                .date = inv->issue_date,
        };
        *ret_title = TAKE_PTR(title);
        *ret_subject = TAKE_PTR(subject);
        return 0;
}

int invoice_pdf_render(const Invoice *inv, const PdfAssets *assets, char **ret, size_t *ret_size) {
        _cleanup_(pdf_document_freep) PdfDocument *d = NULL;
        _cleanup_(freep) char *title = NULL, *subject = NULL;
        PdfDocumentInfo info;
        int r;

        r = invoice_pdf_info(inv, &info, &title, &subject);
        if (r < 0)
                return r;
        info.assets = assets;
        r = pdf_document_new(&info, &d);
        if (r < 0)
                return r;
        r = invoice_pdf_draw(inv, d);
        if (r < 0)
                return r;
        return pdf_document_render(d, ret, ret_size);
}
