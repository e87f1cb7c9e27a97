/* pdf_document.c — pages, drawing and the PDF/A-3b parts (see
 * pdf_document.h).
 *
 * A PdfDocument owns its two fonts, one content buffer per page, copies of
 * the files to embed and the extra XMP. Nothing is written until
 * pdf_document_render(), which lays the objects out in this order: catalog,
 * file specifications and embedded files (before anything else that has an
 * /F key: some Factur-X readers scan objects in number order and stop at the
 * first /F that is not a string), XMP, OutputIntent and ICC profile, Info,
 * page tree, pages and their contents, fonts. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/identifiers.h"
#include "writers/pdf_document.h"
#include "writers/pdf_face.h"
#include "writers/pdf_font.h"
#include "writers/pdf_writer.h"

#define PAGES_MAX 100000
#define ATTACHMENTS_MAX 16
#define PRODUCER "chorusd"

typedef struct Attachment {
        char *name, *description, *mime;
        PdfRelationship relationship;
        const void *data; /* the caller's, not copied */
        size_t size;
        PdfStorage storage;
} Attachment;

/* The graphics and text state a page's content has set, so that an
 * operator that would set it to what it already is is left out (a table
 * row repeats its style for every cell): fewer bytes to write and deflate.
 * PDF keeps both across BT/ET, and we never save or restore the state. */
typedef struct PageState {
        uint32_t fill, stroke;
        double size, line_width;
        PdfFontStyle font;
        bool fill_set, stroke_set, font_set, line_width_set;
} PageState;

struct PdfDocument {
        char *title, *author, *subject;
        Date date;
        PdfFont *fonts[_PDF_FONT_STYLE_MAX];
        PdfFace *faces[_PDF_FONT_STYLE_MAX]; /* in the cache */
        const PdfAssets *assets;
        PdfCache *cache;     /* the assets' one, or own_cache */
        PdfCache *own_cache; /* when the assets have none */
        PdfBuffer *pages;
        PageState *states; /* by page, what its content has set so far */
        size_t n_pages;
        Attachment attachments[ATTACHMENTS_MAX];
        size_t n_attachments;
        char *xmp_extra;
        char *watermark; /* drawn across every page, under its content; NULL = none */
        int error; /* first failure outside the page buffers */
};

static const char *const relationship_names[_PDF_AF_MAX] = {
        [PDF_AF_ALTERNATIVE] = "Alternative",
        [PDF_AF_SUPPLEMENT] = "Supplement",
        [PDF_AF_DATA] = "Data",
        [PDF_AF_SOURCE] = "Source",
};

static void document_fail(PdfDocument *d, int r) {
        if (r < 0 && d->error == 0)
                d->error = r;
}

int pdf_document_new(const PdfDocumentInfo *info, PdfDocument **ret) {
        _cleanup_(pdf_document_freep) PdfDocument *d = NULL;
        int r;

        if (!info->assets)
                return -EINVAL;
        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->title = strdup(strempty(info->title));
        d->author = info->author ? strdup(info->author) : NULL;
        d->subject = info->subject ? strdup(info->subject) : NULL;
        if (!d->title || (info->author && !d->author) || (info->subject && !d->subject))
                return -ENOMEM;
        d->date = info->date;
        d->assets = info->assets;
        d->cache = info->assets->cache;
        if (!d->cache) {
                d->cache = d->own_cache = pdf_cache_new();
                if (!d->cache)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < _PDF_FONT_STYLE_MAX; i++) {
                PdfFace *face;

                r = pdf_cache_face(d->cache, d->assets, (PdfFontStyle) i, &face);
                if (r < 0)
                        return r;
                d->faces[i] = face;
                r = pdf_font_new(face, &d->fonts[i]);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(d);
        return 0;
}

PdfDocument *pdf_document_free(PdfDocument *d) {
        if (!d)
                return NULL;
        for (size_t i = 0; i < _PDF_FONT_STYLE_MAX; i++)
                pdf_font_free(d->fonts[i]);
        pdf_cache_free(d->own_cache);
        for (size_t i = 0; i < d->n_pages; i++)
                pdf_buffer_done(&d->pages[i]);
        free(d->pages);
        free(d->states);
        for (size_t i = 0; i < d->n_attachments; i++) {
                Attachment *a = &d->attachments[i];
                free(a->name);
                free(a->description);
                free(a->mime);
        }
        free(d->xmp_extra);
        free(d->watermark);
        free(d->title);
        free(d->author);
        free(d->subject);
        free(d);
        return NULL;
}

/* ---------------------------------------------------------------- drawing */

static void draw_watermark(PdfDocument *d, PdfBuffer *b);

void pdf_document_add_page(PdfDocument *d) {
        PageState *st;
        PdfBuffer *p;

        if (d->n_pages >= PAGES_MAX) {
                document_fail(d, -EFBIG);
                return;
        }
        p = reallocarray(d->pages, d->n_pages + 1, sizeof(PdfBuffer));
        if (!p) {
                document_fail(d, -ENOMEM);
                return;
        }
        d->pages = p;
        st = reallocarray(d->states, d->n_pages + 1, sizeof(PageState));
        if (!st) {
                document_fail(d, -ENOMEM);
                return;
        }
        d->states = st;
        d->states[d->n_pages] = (PageState) {};
        d->pages[d->n_pages++] = (PdfBuffer) {};
        if (d->watermark)
                draw_watermark(d, &d->pages[d->n_pages - 1]);
}

size_t pdf_document_n_pages(const PdfDocument *d) {
        return d->n_pages;
}

static PdfBuffer *current_page(PdfDocument *d) {
        if (d->n_pages == 0)
                pdf_document_add_page(d);
        return d->n_pages > 0 ? &d->pages[d->n_pages - 1] : NULL;
}

static PageState *page_state(PdfDocument *d, const PdfBuffer *b) {
        return &d->states[b - d->pages];
}

/* Sets the fill (rg) or stroke (RG) colour, unless already set. */
static void set_color(PageState *st, PdfBuffer *b, uint32_t color, bool stroke) {
        if (stroke ? st->stroke_set && st->stroke == color : st->fill_set && st->fill == color)
                return;
        if (stroke) {
                st->stroke = color;
                st->stroke_set = true;
        } else {
                st->fill = color;
                st->fill_set = true;
        }
        pdf_buffer_number(b, ((color >> 16) & 0xFF) / 255.0);
        pdf_buffer_puts(b, " ");
        pdf_buffer_number(b, ((color >> 8) & 0xFF) / 255.0);
        pdf_buffer_puts(b, " ");
        pdf_buffer_number(b, (color & 0xFF) / 255.0);
        pdf_buffer_puts(b, stroke ? " RG\n" : " rg\n");
}

/* "BT", and the font and size unless already set. */
static void begin_text(PageState *st, PdfBuffer *b, PdfFontStyle font, double size) {
        pdf_buffer_puts(b, "BT\n");
        if (st->font_set && st->font == font && st->size == size)
                return;
        st->font = font;
        st->size = size;
        st->font_set = true;
        pdf_buffer_puts(b, "/F");
        pdf_buffer_uint(b, (unsigned) font + 1);
        pdf_buffer_puts(b, " ");
        pdf_buffer_number(b, size);
        pdf_buffer_puts(b, " Tf\n");
}

static void point(PdfBuffer *b, double x, double y) {
        pdf_buffer_number(b, x);
        pdf_buffer_puts(b, " ");
        pdf_buffer_number(b, PDF_A4_HEIGHT - y);
}

double pdf_document_text_width(PdfDocument *d, const PdfTextStyle *s, const char *utf8) {
        return pdf_font_width(d->fonts[s->font], utf8) * s->size / 1000.0;
}

static void draw_text(PdfDocument *d, PdfBuffer *b, const PdfTextStyle *s, double x, double y,
                      PdfAlign align, const char *utf8) {
        PageState *st = page_state(d, b);

        if (align != PDF_ALIGN_LEFT) {
                double w = pdf_document_text_width(d, s, utf8);
                x -= align == PDF_ALIGN_RIGHT ? w : w / 2;
        }

        begin_text(st, b, s->font, s->size);
        set_color(st, b, s->color, false);
        /* BT starts from the identity matrix: "x y Td" is
         * "1 0 0 1 x y Tm" in 8 bytes less. */
        point(b, x, y);
        pdf_buffer_puts(b, " Td\n");
        pdf_font_show(d->fonts[s->font], utf8, b);
        pdf_buffer_puts(b, "ET\n");
}

void pdf_document_text(PdfDocument *d, const PdfTextStyle *s, double x, double y, PdfAlign align,
                       const char *utf8) {
        PdfBuffer *b = current_page(d);

        if (b && !isempty(utf8))
                draw_text(d, b, s, x, y, align, utf8);
}

/* The watermark: one line along the page's rising diagonal, centred, in a
 * pale colour, drawn first so that the page's text stays on top and
 * readable. As large as fits in 85 % of the diagonal, at most 54 pt. */
static void draw_watermark(PdfDocument *d, PdfBuffer *b) {
        /* hypot(PDF_A4_WIDTH, PDF_A4_HEIGHT), without libm */
        const double w = PDF_A4_WIDTH, h = PDF_A4_HEIGHT, diagonal = 1031.0854;
        const double c = w / diagonal, s = h / diagonal; /* cos and sin of the diagonal's angle */
        PdfTextStyle style = { .font = PDF_BOLD, .size = 54, .color = 0xF6D6D6 };
        double width = pdf_document_text_width(d, &style, d->watermark), x, y;

        if (width > 0.85 * diagonal) {
                style.size *= 0.85 * diagonal / width;
                width = 0.85 * diagonal;
        }
        /* PDF coordinates (origin bottom left): start so that the line's
         * middle, raised by half the cap height, is the page's centre. */
        x = w / 2 - c * width / 2 + s * style.size * 0.35;
        y = h / 2 - s * width / 2 - c * style.size * 0.35;
        begin_text(page_state(d, b), b, style.font, style.size);
        set_color(page_state(d, b), b, style.color, false);
        pdf_buffer_number(b, c);
        pdf_buffer_puts(b, " ");
        pdf_buffer_number(b, s);
        pdf_buffer_puts(b, " ");
        pdf_buffer_number(b, -s);
        pdf_buffer_puts(b, " ");
        pdf_buffer_number(b, c);
        pdf_buffer_puts(b, " ");
        pdf_buffer_number(b, x);
        pdf_buffer_puts(b, " ");
        pdf_buffer_number(b, y);
        pdf_buffer_puts(b, " Tm\n");
        pdf_font_show(d->fonts[style.font], d->watermark, b);
        pdf_buffer_puts(b, "ET\n");
}

int pdf_document_set_watermark(PdfDocument *d, const char *utf8) {
        char *copy = NULL;

        if (!isempty(utf8)) {
                copy = strdup(utf8);
                if (!copy)
                        return -ENOMEM;
        }
        free(d->watermark);
        d->watermark = copy;
        return 0;
}

char *pdf_document_format(PdfDocument *d, const char *format, ...) {
        va_list ap;
        char *s;
        int n;

        va_start(ap, format);
        n = vasprintf(&s, format, ap);
        va_end(ap);
        if (n < 0) {
                document_fail(d, -ENOMEM);
                return NULL;
        }
        return s;
}

void pdf_document_fill_rect(PdfDocument *d, double x, double y, double w, double h, uint32_t color) {
        PdfBuffer *b = current_page(d);

        if (!b)
                return;
        set_color(page_state(d, b), b, color, false);
        point(b, x, y + h);
        pdf_buffer_puts(b, " ");
        pdf_buffer_number(b, w);
        pdf_buffer_puts(b, " ");
        pdf_buffer_number(b, h);
        pdf_buffer_puts(b, " re f\n");
}

void pdf_document_line(PdfDocument *d, double x1, double y1, double x2, double y2, double width,
                       uint32_t color) {
        PdfBuffer *b = current_page(d);
        PageState *st;

        if (!b)
                return;
        st = page_state(d, b);
        set_color(st, b, color, true);
        if (!st->line_width_set || st->line_width != width) {
                st->line_width = width;
                st->line_width_set = true;
                pdf_buffer_number(b, width);
                pdf_buffer_puts(b, " w ");
        }
        point(b, x1, y1);
        pdf_buffer_puts(b, " m ");
        point(b, x2, y2);
        pdf_buffer_puts(b, " l S\n");
}

/* ---------------------------------------------------------------- wrapping */

typedef struct Lines {
        char **items;
        size_t n, allocated;
} Lines;

static int lines_add(Lines *l, const char *s, size_t n) {
        if (l->n + 2 > l->allocated) {
                size_t want = l->allocated ? l->allocated * 2 : 16;
                char **p = reallocarray(l->items, want, sizeof(char *));

                if (!p)
                        return -ENOMEM;
                l->items = p;
                l->allocated = want;
        }
        l->items[l->n] = strndup(s, n);
        if (!l->items[l->n])
                return -ENOMEM;
        l->items[++l->n] = NULL;
        return 0;
}

static double span_width(PdfDocument *d, const PdfTextStyle *s, const char *p, size_t n) {
        return pdf_font_width_n(d->fonts[s->font], p, n) * s->size / 1000.0;
}

/* Where the character after the one at byte `i` starts (at most n). */
static size_t char_next(const char *p, size_t i, size_t n) {
        const char *q = p + i;

        pdf_utf8_next(&q, p + n);
        return (size_t) (q - p);
}

/* The longest prefix of [p, p+n) that fits in `width`, cut on a character
 * boundary, at least one character. A prefix is never narrower than a
 * shorter one, so: a prefix too wide is found by doubling, then the
 * longest one that fits by bisection. Each measure is then about a line's
 * length, whatever n is: a 100 000-character run without spaces costs
 * what fits on its lines, not its whole length per line. */
static size_t fitting_prefix(PdfDocument *d, const PdfTextStyle *s, const char *p, size_t n, double width) {
        size_t fits = char_next(p, 0, n), too_wide = n + 1; /* n + 1: none known */
        size_t fast;

        /* Simple text: one pass over the cached advances (issue 14). */
        if (pdf_face_fit(d->faces[s->font], p, n, s->size, width, &fast) > 0)
                return fast > fits ? fast : fits;

        for (size_t k = 64; too_wide > n; k *= 2) {
                size_t c = k < n ? utf8_char_start(p, k) : n;

                if (c <= fits) {
                        if (c == n)
                                return fits;
                        continue;
                }
                if (span_width(d, s, p, c) > width)
                        too_wide = c;
                else if (c == n)
                        return n;
                else
                        fits = c;
        }
        for (;;) {
                size_t mid = utf8_char_start(p, fits + (too_wide - fits) / 2);

                if (mid <= fits)
                        mid = char_next(p, fits, n);
                if (mid >= too_wide)
                        return fits;
                if (span_width(d, s, p, mid) > width)
                        too_wide = mid;
                else
                        fits = mid;
        }
}

/* Wraps one paragraph (no '\n') into `l`: each line is the longest run of
 * whole words that fits, or the part that fits of a word wider than the
 * line. */
static int wrap_paragraph(PdfDocument *d, const PdfTextStyle *s, const char *p, size_t n, double width,
                          Lines *l) {
        const char *end = p + n;
        int r;

        while (p < end && *p == ' ')
                p++;
        if (p == end)
                return lines_add(l, "", 0);
        while (p < end) {
                size_t fit = fitting_prefix(d, s, p, (size_t) (end - p), width);
                const char *line_end = p + fit;

                /* Unless the whole rest fits or the cut falls between words,
                 * back up to the last space: the word it cuts goes on the
                 * next line. A first word wider than the line stays cut. */
                if (line_end < end && *line_end != ' ') {
                        const char *q = line_end;
                        while (q > p && q[-1] != ' ')
                                q--;
                        if (q > p)
                                line_end = q;
                }
                while (line_end > p && line_end[-1] == ' ')
                        line_end--;
                r = lines_add(l, p, (size_t) (line_end - p));
                if (r < 0)
                        return r;
                p = line_end;
                while (p < end && *p == ' ')
                        p++;
        }
        return 0;
}

int pdf_document_wrap(PdfDocument *d, const PdfTextStyle *s, const char *utf8, double width,
                      char ***ret_lines) {
        Lines l = {};
        const char *p = strempty(utf8);
        int r = 0;

        for (;;) {
                const char *nl = strchr(p, '\n');
                size_t n = nl ? (size_t) (nl - p) : strlen(p);

                if (n > 0 && p[n - 1] == '\r')
                        n--;
                r = wrap_paragraph(d, s, p, n, width, &l);
                if (r < 0 || !nl)
                        break;
                p = nl + 1;
        }
        if (r < 0) {
                strv_free(l.items);
                /* Kept too: callers that draw what they wrapped (table
                 * cells, footers) cannot lose text silently. */
                document_fail(d, r);
                return r;
        }
        *ret_lines = l.items;
        return 0;
}

size_t pdf_document_paragraph(PdfDocument *d, const PdfTextStyle *s, double x, double y, double width,
                              double leading, const char *utf8) {
        _cleanup_(strv_freep) char **lines = NULL;
        size_t n = 0;
        int r;

        r = pdf_document_wrap(d, s, utf8, width, &lines);
        if (r < 0)
                return 0;
        for (; lines[n]; n++)
                pdf_document_text(d, s, x, y + (double) n * leading, PDF_ALIGN_LEFT, lines[n]);
        return n;
}

/* ---------------------------------------------------------------- attachments, XMP */

int pdf_document_attach(PdfDocument *d, const PdfAttachment *a) {
        Attachment *t;

        if (d->n_attachments >= ATTACHMENTS_MAX || a->relationship >= _PDF_AF_MAX)
                return -EINVAL;
        for (size_t i = 0; i < d->n_attachments; i++)
                if (streq(d->attachments[i].name, a->name))
                        return -EEXIST;
        t = &d->attachments[d->n_attachments];
        *t = (Attachment) {
                .name = strdup(a->name),
                .description = strdup(strempty(a->description)),
                .mime = strdup(a->mime),
                .relationship = a->relationship,
                .data = a->data,
                .size = a->size,
                .storage = a->storage,
        };
        d->n_attachments++; /* counted now so that free() releases a half-built one */
        if (!t->name || !t->description || !t->mime)
                return -ENOMEM;
        return 0;
}

int pdf_document_set_xmp_extra(PdfDocument *d, const char *rdf) {
        char *s = strdup(rdf);

        if (!s)
                return -ENOMEM;
        free(d->xmp_extra);
        d->xmp_extra = s;
        return 0;
}

char *pdf_xml_escape(const char *s) {
        PdfBuffer b = {};

        for (const char *p = strempty(s); *p; p++)
                switch (*p) {
                case '&': pdf_buffer_puts(&b, "&amp;"); break;
                case '<': pdf_buffer_puts(&b, "&lt;"); break;
                case '>': pdf_buffer_puts(&b, "&gt;"); break;
                case '"': pdf_buffer_puts(&b, "&quot;"); break;
                /* A raw CR would be read as LF (XML 1.0 §2.11), and the XMP
                 * would no longer say what the Info dictionary says. */
                case '\r': pdf_buffer_puts(&b, "&#13;"); break;
                default: pdf_buffer_append(&b, p, 1);
                }
        pdf_buffer_append(&b, "", 1);
        if (b.error < 0) {
                pdf_buffer_done(&b);
                return NULL;
        }
        return b.data;
}

/* The XMP packet (ISO 16684-1) with the PDF/A identification and the same
 * title, author, subject, producer and dates as the Info dictionary. */
static int build_xmp(const PdfDocument *d, PdfBuffer *x) {
        _cleanup_(freep) char *title = pdf_xml_escape(d->title), *author = pdf_xml_escape(d->author),
                              *subject = pdf_xml_escape(d->subject);
        char date[PDF_DATE_MAX];

        if (!title || !author || !subject)
                return -ENOMEM;
        pdf_xmp_date(d->date, date);
        pdf_buffer_puts(x,
                        "<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
                        "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n"
                        "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
                        "<rdf:Description rdf:about=\"\" xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\">\n"
                        " <pdfaid:part>3</pdfaid:part>\n <pdfaid:conformance>B</pdfaid:conformance>\n"
                        "</rdf:Description>\n"
                        "<rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n"
                        " <dc:format>application/pdf</dc:format>\n");
        pdf_buffer_printf(x, " <dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">%s</rdf:li></rdf:Alt></dc:title>\n",
                          title);
        if (d->author)
                pdf_buffer_printf(x, " <dc:creator><rdf:Seq><rdf:li>%s</rdf:li></rdf:Seq></dc:creator>\n", author);
        if (d->subject)
                pdf_buffer_printf(x,
                                  " <dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">%s</rdf:li></rdf:Alt></dc:description>\n",
                                  subject);
        pdf_buffer_printf(x,
                          "</rdf:Description>\n"
                          "<rdf:Description rdf:about=\"\" xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\">\n"
                          " <pdf:Producer>" PRODUCER "</pdf:Producer>\n"
                          "</rdf:Description>\n"
                          "<rdf:Description rdf:about=\"\" xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\">\n"
                          " <xmp:CreatorTool>" PRODUCER "</xmp:CreatorTool>\n"
                          " <xmp:CreateDate>%s</xmp:CreateDate>\n"
                          " <xmp:ModifyDate>%s</xmp:ModifyDate>\n"
                          " <xmp:MetadataDate>%s</xmp:MetadataDate>\n"
                          "</rdf:Description>\n",
                          date, date, date);
        pdf_buffer_puts(x, strempty(d->xmp_extra));
        pdf_buffer_puts(x, "</rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>\n");
        return pdf_buffer_error(x);
}

/* ---------------------------------------------------------------- rendering */

typedef struct Layout {
        uint32_t catalog, pages, info, metadata, output_intent, icc;
        uint32_t filespecs[ATTACHMENTS_MAX], files[ATTACHMENTS_MAX];
        uint32_t *page, *content;
        uint32_t fonts[_PDF_FONT_STYLE_MAX];
} Layout;

static int reserve_layout(PdfDocument *d, PdfWriter *w, Layout *l) {
        l->catalog = pdf_writer_reserve(w);
        for (size_t i = 0; i < d->n_attachments; i++) {
                l->filespecs[i] = pdf_writer_reserve(w);
                l->files[i] = pdf_writer_reserve(w);
        }
        l->metadata = pdf_writer_reserve(w);
        l->output_intent = pdf_writer_reserve(w);
        l->icc = pdf_writer_reserve(w);
        l->info = pdf_writer_reserve(w);
        l->pages = pdf_writer_reserve(w);
        l->page = calloc(d->n_pages, sizeof(uint32_t));
        l->content = calloc(d->n_pages, sizeof(uint32_t));
        if (!l->page || !l->content)
                return -ENOMEM;
        for (size_t i = 0; i < d->n_pages; i++) {
                l->page[i] = pdf_writer_reserve(w);
                l->content[i] = pdf_writer_reserve(w);
        }
        for (size_t i = 0; i < _PDF_FONT_STYLE_MAX; i++)
                if (pdf_font_used(d->fonts[i]))
                        l->fonts[i] = pdf_writer_reserve(w);
        return 0;
}

/* Attachments sorted by name: the /EmbeddedFiles name tree needs its keys
 * in order. */
static void sort_attachments(PdfDocument *d) {
        for (size_t i = 1; i < d->n_attachments; i++)
                for (size_t j = i; j > 0 && strcmp(d->attachments[j - 1].name, d->attachments[j].name) > 0; j--) {
                        Attachment t = d->attachments[j];
                        d->attachments[j] = d->attachments[j - 1];
                        d->attachments[j - 1] = t;
                }
}

static void write_catalog(PdfDocument *d, PdfWriter *w, const Layout *l) {
        PdfBuffer *b = pdf_writer_begin_object(w, l->catalog);

        pdf_buffer_printf(b, "<< /Type /Catalog /Pages %u 0 R /Metadata %u 0 R /OutputIntents [%u 0 R]"
                             " /Lang (fr-FR) /ViewerPreferences << /DisplayDocTitle true >>",
                          l->pages, l->metadata, l->output_intent);
        if (d->n_attachments > 0) {
                pdf_buffer_puts(b, " /PageMode /UseAttachments /AF [");
                for (size_t i = 0; i < d->n_attachments; i++)
                        pdf_buffer_printf(b, "%s%u 0 R", i ? " " : "", l->filespecs[i]);
                pdf_buffer_puts(b, "] /Names << /EmbeddedFiles << /Names [");
                for (size_t i = 0; i < d->n_attachments; i++) {
                        pdf_buffer_text_string(b, d->attachments[i].name);
                        pdf_buffer_printf(b, " %u 0 R ", l->filespecs[i]);
                }
                pdf_buffer_puts(b, "] >> >>");
        }
        pdf_buffer_puts(b, " >>");
        pdf_writer_end_object(w);
}

static void write_attachment(PdfDocument *d, PdfWriter *w, const Attachment *a, uint32_t spec,
                             uint32_t file) {
        PdfBuffer dict = {}, *b;
        char date[PDF_DATE_MAX];

        /* /F and /UF as literal strings: readers look the name up there. */
        b = pdf_writer_begin_object(w, spec);
        pdf_buffer_puts(b, "<< /Type /Filespec /F ");
        pdf_buffer_text_string(b, a->name);
        pdf_buffer_puts(b, " /UF ");
        pdf_buffer_text_string(b, a->name);
        pdf_buffer_printf(b, " /EF << /F %u 0 R /UF %u 0 R >> /Desc ", file, file);
        pdf_buffer_text_string(b, a->description);
        pdf_buffer_printf(b, " /AFRelationship /%s >>", relationship_names[a->relationship]);
        pdf_writer_end_object(w);

        pdf_buffer_puts(&dict, "/Type /EmbeddedFile /Subtype ");
        pdf_buffer_name(&dict, a->mime);
        pdf_buffer_printf(&dict, " /Params << /Size %zu /ModDate (%s) >>", a->size, pdf_date(d->date, date));
        pdf_buffer_append(&dict, "", 1);
        pdf_writer_fail(w, dict.error);
        /* A PDF (the bilan report) is already compressed: deflating it
         * again was 1.4 M instructions to gain a tenth (issue 14). Stored as
         * is, its own "N 0 obj" lines would be in the Factur-X's bytes, where
         * readers that scan for objects would find them: base-85 instead. */
        if (a->storage == PDF_STORAGE_PLAIN)
                pdf_writer_stream(w, file, dict.data, a->data, a->size, false);
        else if (streq(a->mime, "application/pdf"))
                pdf_writer_stream_ascii85(w, file, dict.data, a->data, a->size);
        else
                pdf_writer_stream(w, file, dict.data, a->data, a->size, true);
        pdf_buffer_done(&dict);
}

static int write_metadata(PdfDocument *d, PdfWriter *w, const Layout *l) {
        PdfBuffer xmp = {}, *b;
        const char *icc;
        size_t icc_size;
        int r;

        r = build_xmp(d, &xmp);
        if (r >= 0)
                /* Not compressed: PDF/A wants metadata readable as is. */
                pdf_writer_stream(w, l->metadata, "/Type /Metadata /Subtype /XML", xmp.data, xmp.size, false);
        pdf_buffer_done(&xmp);
        if (r < 0)
                return r;

        b = pdf_writer_begin_object(w, l->output_intent);
        pdf_buffer_printf(b, "<< /Type /OutputIntent /S /GTS_PDFA1 /OutputConditionIdentifier (sRGB IEC61966-2.1)"
                             " /RegistryName (http://www.color.org) /Info (sRGB IEC61966-2.1)"
                             " /DestOutputProfile %u 0 R >>",
                          l->icc);
        pdf_writer_end_object(w);
        /* /N 3: the profile's number of colour components, required. */
        r = pdf_cache_icc(d->cache, d->assets, &icc, &icc_size);
        if (r < 0)
                return r;
        pdf_writer_stream_deflated(w, l->icc, "/N 3", icc, icc_size);
        return 0;
}

static void write_info(PdfDocument *d, PdfWriter *w, const Layout *l) {
        PdfBuffer *b = pdf_writer_begin_object(w, l->info);
        char date[PDF_DATE_MAX];

        pdf_date(d->date, date);
        pdf_buffer_puts(b, "<< /Title ");
        pdf_buffer_text_string(b, d->title);
        if (d->author) {
                pdf_buffer_puts(b, " /Author ");
                pdf_buffer_text_string(b, d->author);
        }
        if (d->subject) {
                pdf_buffer_puts(b, " /Subject ");
                pdf_buffer_text_string(b, d->subject);
        }
        pdf_buffer_printf(b, " /Creator (" PRODUCER ") /Producer (" PRODUCER ") /CreationDate (%s) /ModDate (%s) >>",
                          date, date);
        pdf_writer_end_object(w);
}

static void write_pages(PdfDocument *d, PdfWriter *w, const Layout *l) {
        PdfBuffer *b = pdf_writer_begin_object(w, l->pages);

        pdf_buffer_puts(b, "<< /Type /Pages /Kids [");
        for (size_t i = 0; i < d->n_pages; i++)
                pdf_buffer_printf(b, "%s%u 0 R", i ? " " : "", l->page[i]);
        pdf_buffer_printf(b, "] /Count %zu >>", d->n_pages);
        pdf_writer_end_object(w);

        for (size_t i = 0; i < d->n_pages; i++) {
                b = pdf_writer_begin_object(w, l->page[i]);
                pdf_buffer_printf(b, "<< /Type /Page /Parent %u 0 R /MediaBox [0 0 ", l->pages);
                pdf_buffer_number(b, PDF_A4_WIDTH);
                pdf_buffer_puts(b, " ");
                pdf_buffer_number(b, PDF_A4_HEIGHT);
                pdf_buffer_puts(b, "] /Resources << /Font <<");
                for (size_t f = 0; f < _PDF_FONT_STYLE_MAX; f++)
                        if (l->fonts[f] > 0)
                                pdf_buffer_printf(b, " /F%zu %u 0 R", f + 1, l->fonts[f]);
                pdf_buffer_printf(b, " >> >> /Contents %u 0 R >>", l->content[i]);
                pdf_writer_end_object(w);
                pdf_writer_fail(w, d->pages[i].error);
                pdf_writer_stream(w, l->content[i], NULL, d->pages[i].data, d->pages[i].size, true);
        }
}

static void number_pages(PdfDocument *d) {
        static const PdfTextStyle style = { PDF_REGULAR, 8, 0x5A6270 };
        char s[64];

        if (d->n_pages < 2)
                return;
        for (size_t i = 0; i < d->n_pages; i++) {
                snprintf(s, sizeof(s), "Page %zu / %zu", i + 1, d->n_pages);
                draw_text(d, &d->pages[i], &style, PDF_A4_WIDTH - 45, PDF_FOOTER_BASELINE, PDF_ALIGN_RIGHT, s);
        }
}

int pdf_document_render(PdfDocument *d, char **ret, size_t *ret_size) {
        _cleanup_(pdf_writer_freep) PdfWriter *w = NULL;
        Layout l = {};
        size_t expected;
        int r;

        if (d->error < 0)
                return d->error;
        if (d->n_pages == 0) {
                pdf_document_add_page(d);
                if (d->error < 0)
                        return d->error;
        }
        number_pages(d);
        sort_attachments(d);

        r = pdf_writer_new(&w);
        if (r < 0)
                return r;
        pdf_writer_share_deflater(w, pdf_cache_deflater(d->cache));
        /* Embedded files are most of a Factur-X: room for them (base-85
         * adds a quarter) at once, rather than a buffer copied as it doubles. */
        expected = 65536;
        for (size_t i = 0; i < d->n_attachments; i++)
                expected += d->attachments[i].size / 4 * 5;
        pdf_writer_expect(w, expected);
        r = reserve_layout(d, w, &l);
        if (r >= 0) {
                write_catalog(d, w, &l);
                for (size_t i = 0; i < d->n_attachments; i++)
                        write_attachment(d, w, &d->attachments[i], l.filespecs[i], l.files[i]);
                r = write_metadata(d, w, &l);
        }
        if (r >= 0) {
                write_info(d, w, &l);
                write_pages(d, w, &l);
                for (size_t i = 0; i < _PDF_FONT_STYLE_MAX; i++)
                        if (l.fonts[i] > 0)
                                pdf_font_write(d->fonts[i], w, l.fonts[i]);
                r = pdf_writer_finish(w, l.catalog, l.info, ret, ret_size);
        }
        free(l.page);
        free(l.content);
        return r;
}
