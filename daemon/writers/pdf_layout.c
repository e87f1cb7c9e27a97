/* pdf_layout.c — page frame, house style and cursor of the readable
 * documents (see pdf_layout.h). No state of its own beyond the PdfLayout
 * its callers hold. */
#include <stdio.h>
#include <string.h>

#include "writers/pdf_layout.h"

const PdfTextStyle layout_heading_style = { PDF_BOLD, 8, LAYOUT_ACCENT };
const PdfTextStyle layout_text_style = { PDF_REGULAR, 9, LAYOUT_TEXT };
const PdfTextStyle layout_bold_style = { PDF_BOLD, 9, LAYOUT_TEXT };
const PdfTextStyle layout_small_style = { PDF_REGULAR, 8, LAYOUT_MUTED };
const PdfTextStyle layout_th_style = { PDF_BOLD, 8, LAYOUT_WHITE };

static const PdfTextStyle footer_style = { PDF_REGULAR, 7.5, LAYOUT_MUTED };

static const PdfTextStyle continuation_style = { PDF_BOLD, 8, LAYOUT_ACCENT };

/* The band at the top of a continuation page: the left text wrapped
 * beside the right one (a 200-character seller name is whole), a rule
 * under both, the cursor below. */
static void draw_continuation(PdfLayout *l) {
        static const double right_room = 190, leading = 10;
        size_t n = 1;

        if (l->continuation_left)
                n = pdf_document_paragraph(l->d, &continuation_style, LAYOUT_LEFT, LAYOUT_TOP,
                                           LAYOUT_RIGHT - LAYOUT_LEFT - right_room, leading, l->continuation_left);
        if (l->continuation_right)
                pdf_document_text(l->d, &continuation_style, LAYOUT_RIGHT, LAYOUT_TOP, PDF_ALIGN_RIGHT,
                                  l->continuation_right);
        l->y = LAYOUT_TOP + (double) (n > 0 ? n - 1 : 0) * leading + 6;
        pdf_document_line(l->d, LAYOUT_LEFT, l->y, LAYOUT_RIGHT, l->y, 0.5, LAYOUT_RULE);
        l->y += 12;
}

void pdf_layout_new_page(PdfLayout *l) {
        pdf_document_add_page(l->d);
        pdf_document_line(l->d, LAYOUT_LEFT, PDF_FOOTER_TOP + 8, LAYOUT_RIGHT, PDF_FOOTER_TOP + 8, 0.5,
                          LAYOUT_RULE);
        /* Leave room for pdf_document_render()'s "Page i / n" on the right.
         * Below the rule there is room for three lines: a long seller name
         * wraps the invoice's footer to two, and drawing only the first cut
         * the SIRET after it ("— SIRET 130"). Only a footer longer than
         * about 330 characters (a 200-character name and a long e-mail
         * address) still loses its end; the first page's header has all of
         * it. */
        if (l->footer) {
                static const double page_number_room = 70, leading = 9;
                static const size_t lines_max = 3;
                _cleanup_(strv_freep) char **lines = NULL;

                if (pdf_document_wrap(l->d, &footer_style, l->footer,
                                      LAYOUT_RIGHT - LAYOUT_LEFT - page_number_room, &lines) >= 0)
                        for (size_t i = 0; i < lines_max && lines[i]; i++)
                                pdf_document_text(l->d, &footer_style, LAYOUT_LEFT,
                                                  PDF_FOOTER_BASELINE + (double) i * leading, PDF_ALIGN_LEFT,
                                                  lines[i]);
        }
        l->y = LAYOUT_TOP;
        if (pdf_document_n_pages(l->d) > 1 && (l->continuation_left || l->continuation_right))
                draw_continuation(l);
}

bool pdf_layout_ensure_space(PdfLayout *l, double height) {
        if (l->y + height <= LAYOUT_BOTTOM)
                return false;
        pdf_layout_new_page(l);
        if (l->on_new_page)
                l->on_new_page(l, l->userdata);
        return true;
}

size_t pdf_layout_count_lines(PdfLayout *l, const PdfTextStyle *s, const char *text, double width) {
        _cleanup_(strv_freep) char **lines = NULL;
        size_t n = 0;

        if (pdf_document_wrap(l->d, s, text, width, &lines) < 0)
                return 1;
        while (lines[n])
                n++;
        return n > 0 ? n : 1;
}

const char *pdf_format_siret(const char *s, char buf[static 32]) {
        if (!s || strlen(s) != 14 || strspn(s, "0123456789") != 14)
                return strempty(s);
        snprintf(buf, 32, "%.3s %.3s %.3s %.5s", s, s + 3, s + 6, s + 9);
        return buf;
}
