/* pdf_font.c — a font as one document uses it (see pdf_font.h): which
 * glyphs it drew and which text each stands for (the ToUnicode map). What
 * does not depend on the document (HarfBuzz, metrics, widths, the font
 * program of the fixed glyph set) is the face's, made once per process
 * (pdf_face.h). Allocation failures while drawing go to the content
 * buffer's sticky error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "writers/pdf_face.h"
#include "writers/pdf_font.h"

struct PdfFont {
        PdfFace *face; /* not owned */
        unsigned n_glyphs;
        bool *used;        /* by glyph id */
        uint32_t **text;   /* by glyph id: the code points it stands for, 0-terminated */
        /* The used glyph ids, in the order of first use (sorted when the
         * font is written): the loops at the end go over the few dozen a
         * document draws rather than the font's 2 620. */
        uint32_t *list;
        size_t n_list, list_allocated;
        bool any_used;
};

PdfFont *pdf_font_free(PdfFont *f) {
        if (!f)
                return NULL;
        if (f->text)
                for (size_t i = 0; i < f->n_list; i++)
                        free(f->text[f->list[i]]);
        free(f->text);
        free(f->list);
        free(f->used);
        free(f);
        return NULL;
}

int pdf_font_new(PdfFace *face, PdfFont **ret) {
        _cleanup_(pdf_font_freep) PdfFont *f = NULL;

        f = calloc(1, sizeof(*f));
        if (!f)
                return -ENOMEM;
        f->face = face;
        f->n_glyphs = pdf_face_n_glyphs(face);
        f->used = calloc(f->n_glyphs, sizeof(bool));
        f->text = calloc(f->n_glyphs, sizeof(uint32_t *));
        if (!f->used || !f->text)
                return -ENOMEM;
        *ret = TAKE_PTR(f);
        return 0;
}

bool pdf_font_used(const PdfFont *f) {
        return f->any_used;
}

double pdf_font_width_n(PdfFont *f, const char *utf8, size_t size) {
        PdfRun run;

        if (pdf_face_shape(f->face, utf8, size, &run) < 0)
                return 0;
        return (double) run.width * 1000.0 / pdf_face_upem(f->face);
}

double pdf_font_width(PdfFont *f, const char *utf8) {
        return pdf_font_width_n(f, utf8, strlen(utf8));
}

/* Records the code points of cluster [from, to) of `text` as the meaning
 * of `gid`, unless the glyph already has one. */
static void record_text(PdfFont *f, uint32_t gid, const char *from, const char *to,
                        PdfBuffer *content) {
        uint32_t *cps;
        size_t n = 0;

        if (f->text[gid])
                return;
        cps = calloc((size_t) (to - from) + 1, sizeof(uint32_t));
        if (!cps) {
                content->error = -ENOMEM;
                return;
        }
        for (const char *p = from; p < to;)
                cps[n++] = pdf_utf8_next(&p, to);
        f->text[gid] = cps;
}

static void mark_used(PdfFont *f, uint32_t gid, PdfBuffer *content) {
        if (f->n_list == f->list_allocated) {
                size_t n = f->list_allocated ? f->list_allocated * 2 : 128;
                uint32_t *p = reallocarray(f->list, n, sizeof(uint32_t));

                if (!p) {
                        content->error = -ENOMEM;
                        return;
                }
                f->list = p;
                f->list_allocated = n;
        }
        f->list[f->n_list++] = gid;
        f->used[gid] = true;
}

static int cmp_gid(const void *a, const void *b) {
        uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;

        return (x > y) - (x < y);
}

/* A glyph id as the two bytes of its code (Identity-H) in a literal
 * string: half the size of hex, so half the bytes to write and deflate.
 * ( ) \\ are escaped, and CR and LF, which a reader would normalise.
 * Writes at most 4 bytes at d; returns how many. */
static size_t glyph_code(char *d, uint32_t gid) {
        size_t n = 0;

        for (int shift = 8; shift >= 0; shift -= 8) {
                unsigned char c = (unsigned char) (gid >> shift);

                if (c == '(' || c == ')' || c == '\\')
                        d[n++] = '\\', d[n++] = (char) c;
                else if (c == '\r')
                        d[n++] = '\\', d[n++] = 'r';
                else if (c == '\n')
                        d[n++] = '\\', d[n++] = 'n';
                else
                        d[n++] = (char) c;
        }
        return n;
}

/* A TJ offset ")-12(" at d (at most 24 bytes); returns how many. */
static size_t tj_offset(char *d, int64_t v) {
        char digits[20];
        size_t n = 0, k = 0;
        uint64_t a = v < 0 ? (uint64_t) 0 - (uint64_t) v : (uint64_t) v;

        d[n++] = ')';
        if (v < 0)
                d[n++] = '-';
        do
                digits[k++] = (char) ('0' + a % 10);
        while ((a /= 10) > 0);
        while (k > 0)
                d[n++] = digits[--k];
        d[n++] = '(';
        return n;
}

static void record_char(PdfFont *f, uint32_t gid, uint32_t cp, PdfBuffer *content) {
        if (f->text[gid])
                return;
        f->text[gid] = calloc(2, sizeof(uint32_t));
        if (!f->text[gid]) {
                content->error = -ENOMEM;
                return;
        }
        f->text[gid][0] = cp;
}

void pdf_font_show(PdfFont *f, const char *utf8, PdfBuffer *content) {
        unsigned upem = pdf_face_upem(f->face);
        int64_t ideal = 0, drawn = 0; /* pen positions, in 1/1000 em × upem */
        PdfRun run;
        int r;

        r = pdf_face_shape(f->face, utf8, strlen(utf8), &run);
        if (r < 0) {
                content->error = content->error < 0 ? content->error : r;
                return;
        }
        pdf_buffer_puts(content, "[(");
        for (size_t i = 0; i < run.n_glyphs; i++) {
                const PdfGlyph *g = &run.glyphs[i];
                int64_t diff;
                size_t k;
                char *d;

                if (!f->used[g->gid])
                        mark_used(f, g->gid, content);
                if (f->text[g->gid])
                        ; /* its meaning is known */
                else if (g->cp != 0)
                        record_char(f, g->gid, g->cp, content);
                else if (g->to > g->from)
                        record_text(f, g->gid, run.text + g->from, run.text + g->to, content);
                d = pdf_buffer_room(content, 4 + 24);
                if (!d)
                        return;
                k = glyph_code(d, g->gid);
                /* The viewer advances by the /W width; kerning and rounding
                 * are corrected with TJ offsets (positive moves left) so that
                 * the error never accumulates along the line. */
                ideal += (int64_t) g->advance * 1000;
                drawn += (int64_t) g->width * upem;
                diff = (drawn - ideal) / upem;
                if (diff != 0 && i + 1 < run.n_glyphs) {
                        k += tj_offset(d + k, diff);
                        drawn -= diff * upem;
                }
                content->size += k;
        }
        pdf_buffer_puts(content, ")] TJ\n");
        if (run.n_glyphs > 0)
                f->any_used = true;
}

/* ---------------------------------------------------------------- embedding */

static void write_descriptor(PdfFont *f, PdfWriter *w, uint32_t num, const char *base, uint32_t file) {
        const PdfFaceMetrics *m = pdf_face_metrics(f->face);
        PdfBuffer *b;

        b = pdf_writer_begin_object(w, num);
        pdf_buffer_puts(b, "<< /Type /FontDescriptor /FontName /");
        pdf_buffer_puts(b, base);
        pdf_buffer_puts(b, " /Flags 4 /FontBBox [");
        for (unsigned i = 0; i < 4; i++) {
                pdf_buffer_int(b, m->bbox[i]);
                pdf_buffer_puts(b, i < 3 ? " " : "]");
        }
        pdf_buffer_puts(b, " /ItalicAngle 0 /Ascent ");
        pdf_buffer_int(b, m->ascent);
        pdf_buffer_puts(b, " /Descent ");
        pdf_buffer_int(b, m->descent);
        pdf_buffer_puts(b, " /CapHeight ");
        pdf_buffer_int(b, m->cap_height);
        pdf_buffer_puts(b, " /StemV 80 /FontFile2 ");
        pdf_buffer_uint(b, file);
        pdf_buffer_puts(b, " 0 R >>");
        pdf_writer_end_object(w);
}

/* /W [gid [w w …] gid [w …] …] over the used glyphs, runs of consecutive ids
 * sharing one entry. */
static void write_widths(PdfFont *f, PdfBuffer *b) {
        pdf_buffer_puts(b, " /W [");
        for (size_t k = 0; k < f->n_list; k++) {
                uint32_t i = f->list[k];

                if (k == 0 || i != f->list[k - 1] + 1) {
                        if (k > 0)
                                pdf_buffer_puts(b, "]");
                        pdf_buffer_puts(b, " ");
                        pdf_buffer_uint(b, i);
                        pdf_buffer_puts(b, " [");
                } else
                        pdf_buffer_puts(b, " ");
                pdf_buffer_int(b, pdf_face_glyph_width(f->face, i));
        }
        if (f->n_list > 0)
                pdf_buffer_puts(b, "]");
        pdf_buffer_puts(b, " ]");
}

static void write_to_unicode(PdfFont *f, PdfWriter *w, uint32_t num) {
        PdfBuffer cmap = {};
        unsigned n = 0, chunk = 0;

        pdf_buffer_puts(&cmap,
                        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
                        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
                        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
                        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n");
        for (size_t k = 0; k < f->n_list; k++)
                if (f->text[f->list[k]] && f->text[f->list[k]][0])
                        n++;
        for (size_t k = 0; k < f->n_list; k++) {
                uint32_t i = f->list[k];

                if (!f->text[i] || !f->text[i][0])
                        continue;
                /* At most 100 entries per block (ISO 32000-1 §9.10.3). */
                if (chunk == 0)
                        pdf_buffer_printf(&cmap, "%u beginbfchar\n", n < 100 ? n : 100);
                pdf_buffer_puts(&cmap, "<");
                pdf_buffer_hex4(&cmap, i);
                pdf_buffer_puts(&cmap, "> <");
                for (const uint32_t *c = f->text[i]; *c; c++)
                        if (*c >= 0x10000) {
                                pdf_buffer_hex4(&cmap, 0xD800 | ((*c - 0x10000) >> 10));
                                pdf_buffer_hex4(&cmap, 0xDC00 | ((*c - 0x10000) & 0x3FF));
                        } else
                                pdf_buffer_hex4(&cmap, *c);
                pdf_buffer_puts(&cmap, ">\n");
                n--;
                if (++chunk == 100 || n == 0) {
                        pdf_buffer_puts(&cmap, "endbfchar\n");
                        chunk = 0;
                }
        }
        pdf_buffer_puts(&cmap, "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
        pdf_writer_fail(w, cmap.error);
        /* Not deflated: ~1.2 KB of text that deflating shrank by 700 bytes
         * for 90 000 instructions, most of them libdeflate's fixed cost
         * per stream (issue 14). */
        pdf_writer_stream(w, num, NULL, cmap.data, cmap.size, false);
        pdf_buffer_done(&cmap);
}

void pdf_font_write(PdfFont *f, PdfWriter *w, uint32_t num) {
        uint32_t cid, desc, file, tounicode;
        char base[128], dict[64];
        PdfFaceProgram program;
        PdfBuffer *b;
        int r;

        /* Glyph 0 is always in the program; the viewer needs .notdef. */
        qsort(f->list, f->n_list, sizeof(uint32_t), cmp_gid);
        r = pdf_face_program(f->face, f->used, f->list, f->n_list, &program);
        if (r < 0) {
                pdf_writer_fail(w, r);
                return;
        }
        cid = pdf_writer_reserve(w);
        desc = pdf_writer_reserve(w);
        file = pdf_writer_reserve(w);
        tounicode = pdf_writer_reserve(w);
        snprintf(base, sizeof(base), "%s+%s", program.tag, pdf_face_postscript_name(f->face));

        b = pdf_writer_begin_object(w, num);
        pdf_buffer_puts(b, "<< /Type /Font /Subtype /Type0 /BaseFont /");
        pdf_buffer_puts(b, base);
        pdf_buffer_puts(b, " /Encoding /Identity-H /DescendantFonts [");
        pdf_buffer_uint(b, cid);
        pdf_buffer_puts(b, " 0 R] /ToUnicode ");
        pdf_buffer_uint(b, tounicode);
        pdf_buffer_puts(b, " 0 R >>");
        pdf_writer_end_object(w);

        b = pdf_writer_begin_object(w, cid);
        pdf_buffer_puts(b, "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /");
        pdf_buffer_puts(b, base);
        pdf_buffer_puts(b, " /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >>"
                           " /FontDescriptor ");
        pdf_buffer_uint(b, desc);
        pdf_buffer_puts(b, " 0 R /CIDToGIDMap /Identity /DW 1000");
        write_widths(f, b);
        pdf_buffer_puts(b, " >>");
        pdf_writer_end_object(w);

        write_descriptor(f, w, desc, base, file);

        snprintf(dict, sizeof(dict), "/Length1 %zu", program.length1);
        pdf_writer_stream_deflated(w, file, dict, program.z, program.z_size);
        free(program.owned);

        write_to_unicode(f, w, tounicode);
}
