/* pdf_layout.h — what the readable documents (invoice_pdf, bilan_report)
 * share: the page frame and house style (margins, colours, text styles),
 * a y cursor that moves to a new page when a block does not fit above the
 * footer, and French formatting of identifiers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "writers/pdf_document.h"

#define LAYOUT_LEFT 45.0
#define LAYOUT_RIGHT (PDF_A4_WIDTH - 45.0)
#define LAYOUT_TOP 50.0
#define LAYOUT_BOTTOM (PDF_FOOTER_TOP - 6.0)

#define LAYOUT_ACCENT 0x1F3A5F
#define LAYOUT_TEXT 0x222222
#define LAYOUT_MUTED 0x5A6270
#define LAYOUT_RULE 0xC9CED6
#define LAYOUT_SHADE 0xF1F3F6
#define LAYOUT_WHITE 0xFFFFFF

extern const PdfTextStyle layout_heading_style; /* small bold capitals in the accent colour */
extern const PdfTextStyle layout_text_style;
extern const PdfTextStyle layout_bold_style;
extern const PdfTextStyle layout_small_style;   /* secondary text, muted */
extern const PdfTextStyle layout_th_style;      /* white, on an accent band */

typedef struct PdfLayout {
        PdfDocument *d;
        double y;            /* next free baseline area, from the top */
        const char *footer;  /* drawn at the bottom of every page */
        /* Drawn at the top of every page but the first, when set: who and
         * what the page belongs to (the seller; "Facture n° …"), so that a
         * page on its own is still identified. */
        const char *continuation_left, *continuation_right;
        /* Called after a page break (e.g. to repeat a table header); may be NULL. */
        void (*on_new_page)(struct PdfLayout *l, void *userdata);
        void *userdata;
} PdfLayout;

/* Starts a page: footer rule and text, cursor at the top. */
void pdf_layout_new_page(PdfLayout *l);
/* Moves to a new page unless `height` points fit above the footer (calls
 * on_new_page then). Returns true when it broke the page. */
bool pdf_layout_ensure_space(PdfLayout *l, double height);
/* Number of lines `text` wraps to in `width` (at least 1). */
size_t pdf_layout_count_lines(PdfLayout *l, const PdfTextStyle *s, const char *text, double width);

/* "130 026 024 00013": SIREN by threes, then the NIC, as on a Kbis, in
 * buf. Returns buf, or `s` itself when it is not 14 digits (a bilan ref
 * that is not a SIRET: shown as it is, however long). */
const char *pdf_format_siret(const char *s, char buf[static 32]);
