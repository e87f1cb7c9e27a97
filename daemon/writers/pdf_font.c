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

/* A glyph the document drew, and what it stands for (ToUnicode). */
typedef struct Used {
        uint32_t gid;
        uint32_t one[2]; /* the one character it stands for, 0-terminated */
        uint32_t *text;  /* or these code points (a cluster), 0-terminated */
} Used;

struct PdfFont {
        PdfFace *face; /* not owned */
        unsigned n_glyphs;
        /* By glyph id, 1 + where the glyph is in used[], 0 for a glyph not
         * drawn: 5 KB to clear per font and document, not 26. */
        uint16_t *index;
        /* The glyphs drawn, in the order of first use (sorted by id when
         * the font is written): the loops at the end go over the few dozen
         * a document draws rather than the font's 2 620. */
        Used *used;
        size_t n_used, used_allocated;
        bool any_used;
};

PdfFont *pdf_font_free(PdfFont *f) {
        if (!f)
                return NULL;
        for (size_t i = 0; i < f->n_used; i++)
                free(f->used[i].text);
        free(f->used);
        free(f->index);
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
        f->index = calloc(f->n_glyphs, sizeof(uint16_t));
        if (!f->index)
                return -ENOMEM;
        *ret = TAKE_PTR(f);
        return 0;
}

static const uint32_t *meaning(const Used *u) {
        return u->text ? u->text : u->one;
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
 * of the glyph, unless it already has one. */
static void record_text(Used *u, const char *from, const char *to, PdfBuffer *content) {
        uint32_t *cps;
        size_t n = 0;

        if (u->text || u->one[0])
                return;
        cps = calloc((size_t) (to - from) + 1, sizeof(uint32_t));
        if (!cps) {
                content->error = -ENOMEM;
                return;
        }
        for (const char *p = from; p < to;)
                cps[n++] = pdf_utf8_next(&p, to);
        u->text = cps;
}

/* The glyph's entry in used[], added at its first use; NULL after
 * -ENOMEM (kept in content). */
static Used *mark_used(PdfFont *f, uint32_t gid, PdfBuffer *content) {
        if (f->index[gid] != 0)
                return &f->used[f->index[gid] - 1];
        if (f->n_used == f->used_allocated) {
                size_t n = f->used_allocated ? f->used_allocated * 2 : 128;
                Used *p = reallocarray(f->used, n, sizeof(Used));

                if (!p) {
                        content->error = -ENOMEM;
                        return NULL;
                }
                f->used = p;
                f->used_allocated = n;
        }
        f->used[f->n_used] = (Used) { .gid = gid };
        f->index[gid] = (uint16_t) ++f->n_used;
        return &f->used[f->n_used - 1];
}

static int cmp_gid(const void *a, const void *b) {
        uint32_t x = ((const Used *) a)->gid, y = ((const Used *) b)->gid;

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

                Used *u = mark_used(f, g->gid, content);

                if (!u)
                        return;
                if (u->one[0] || u->text)
                        ; /* its meaning is known */
                else if (g->cp != 0)
                        u->one[0] = g->cp;
                else if (g->to > g->from)
                        record_text(u, run.text + g->from, run.text + g->to, content);
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
        for (size_t k = 0; k < f->n_used; k++) {
                uint32_t i = f->used[k].gid;

                if (k == 0 || i != f->used[k - 1].gid + 1) {
                        if (k > 0)
                                pdf_buffer_puts(b, "]");
                        pdf_buffer_puts(b, " ");
                        pdf_buffer_uint(b, i);
                        pdf_buffer_puts(b, " [");
                } else
                        pdf_buffer_puts(b, " ");
                pdf_buffer_int(b, pdf_face_glyph_width(f->face, i));
        }
        if (f->n_used > 0)
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
        for (size_t k = 0; k < f->n_used; k++)
                if (meaning(&f->used[k])[0])
                        n++;
        for (size_t k = 0; k < f->n_used; k++) {
                uint32_t i = f->used[k].gid;

                if (!meaning(&f->used[k])[0])
                        continue;
                /* At most 100 entries per block (ISO 32000-1 §9.10.3). */
                if (chunk == 0)
                        pdf_buffer_printf(&cmap, "%u beginbfchar\n", n < 100 ? n : 100);
                pdf_buffer_puts(&cmap, "<");
                pdf_buffer_hex4(&cmap, i);
                pdf_buffer_puts(&cmap, "> <");
                for (const uint32_t *c = meaning(&f->used[k]); *c; c++)
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
        _cleanup_(freep) uint32_t *gids = NULL;
        uint32_t cid, desc, file, tounicode;
        char base[128], dict[64];
        PdfFaceProgram program;
        PdfBuffer *b;
        int r;

        /* Glyph 0 is always in the program; the viewer needs .notdef. */
        qsort(f->used, f->n_used, sizeof(Used), cmp_gid);
        for (size_t k = 0; k < f->n_used; k++)
                f->index[f->used[k].gid] = (uint16_t) (k + 1);
        gids = malloc((f->n_used + 1) * sizeof(uint32_t));
        if (!gids) {
                pdf_writer_fail(w, -ENOMEM);
                return;
        }
        for (size_t k = 0; k < f->n_used; k++)
                gids[k] = f->used[k].gid;
        r = pdf_face_program(f->face, gids, f->n_used, &program);
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
