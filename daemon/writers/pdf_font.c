/* pdf_font.c — TrueType fonts through HarfBuzz (see pdf_font.h).
 *
 * A PdfFont owns the HarfBuzz blob/face/font of one file and, per glyph id,
 * whether the document used it and which text it stands for (the ToUnicode
 * map). Shaping runs on every call (a few microseconds for a table cell);
 * subsetting runs once, in pdf_font_write(). Allocation failures while
 * drawing go to the content buffer's sticky error. */
#include <errno.h>
#include <hb-ot.h>
#include <hb-subset.h>
#include <hb.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "writers/pdf_font.h"

#define TEXT_MAX 65536 /* bytes of one drawn string: longer input is cut */

struct PdfFont {
        hb_blob_t *blob;
        hb_face_t *face;
        hb_font_t *font;
        unsigned upem;
        unsigned n_glyphs;
        char *postscript_name;
        bool *used;        /* by glyph id */
        uint32_t **text;   /* by glyph id: the code points it stands for, 0-terminated */
        bool any_used;
};

PdfFont *pdf_font_free(PdfFont *f) {
        if (!f)
                return NULL;
        if (f->text)
                for (unsigned i = 0; i < f->n_glyphs; i++)
                        free(f->text[i]);
        free(f->text);
        free(f->used);
        free(f->postscript_name);
        hb_font_destroy(f->font);
        hb_face_destroy(f->face);
        hb_blob_destroy(f->blob);
        free(f);
        return NULL;
}

static char *font_postscript_name(hb_face_t *face) {
        char name[64];
        unsigned n = sizeof(name);
        char *s;

        hb_ot_name_get_utf8(face, HB_OT_NAME_ID_POSTSCRIPT_NAME, HB_LANGUAGE_INVALID, &n, name);
        if (n == 0)
                return strdup("Font");
        s = strdup(name);
        if (!s)
                return NULL;
        /* A PDF name must stay a plain name: keep [A-Za-z0-9-]. */
        for (char *p = s; *p; p++)
                if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-", *p))
                        *p = '-';
        return s;
}

static bool face_has_table(hb_face_t *face, hb_tag_t tag) {
        hb_blob_t *t = hb_face_reference_table(face, tag);
        bool r = hb_blob_get_length(t) > 0;

        hb_blob_destroy(t);
        return r;
}

int pdf_font_new(const char *data, size_t size, PdfFont **ret) {
        _cleanup_(pdf_font_freep) PdfFont *f = NULL;

        f = calloc(1, sizeof(*f));
        if (!f)
                return -ENOMEM;
        if (size > UINT_MAX)
                return -EINVAL;
        f->blob = hb_blob_create_or_fail(data, (unsigned) size, HB_MEMORY_MODE_READONLY, NULL, NULL);
        if (!f->blob)
                return -ENOMEM;
        f->face = hb_face_create(f->blob, 0);
        f->upem = hb_face_get_upem(f->face);
        f->n_glyphs = hb_face_get_glyph_count(f->face);
        if (f->n_glyphs == 0 || f->upem == 0 || !face_has_table(f->face, HB_TAG('g', 'l', 'y', 'f')))
                return -EINVAL;
        f->font = hb_font_create(f->face);
        f->postscript_name = font_postscript_name(f->face);
        f->used = calloc(f->n_glyphs, sizeof(bool));
        f->text = calloc(f->n_glyphs, sizeof(uint32_t *));
        if (!f->font || !f->postscript_name || !f->used || !f->text)
                return -ENOMEM;
        *ret = TAKE_PTR(f);
        return 0;
}

bool pdf_font_used(const PdfFont *f) {
        return f->any_used;
}

static void append_utf8(PdfBuffer *b, uint32_t cp) {
        char u[4];
        size_t n;

        if (cp < 0x80)
                u[0] = (char) cp, n = 1;
        else if (cp < 0x800)
                u[0] = (char) (0xC0 | (cp >> 6)), u[1] = (char) (0x80 | (cp & 0x3F)), n = 2;
        else if (cp < 0x10000)
                u[0] = (char) (0xE0 | (cp >> 12)), u[1] = (char) (0x80 | ((cp >> 6) & 0x3F)),
                u[2] = (char) (0x80 | (cp & 0x3F)), n = 3;
        else
                u[0] = (char) (0xF0 | (cp >> 18)), u[1] = (char) (0x80 | ((cp >> 12) & 0x3F)),
                u[2] = (char) (0x80 | ((cp >> 6) & 0x3F)), u[3] = (char) (0x80 | (cp & 0x3F)), n = 4;
        pdf_buffer_append(b, u, n);
}

/* The character we draw for `cp`: itself when the font has it, else a
 * near equivalent, so that no .notdef glyph is ever shown. */
static uint32_t font_substitute(PdfFont *f, uint32_t cp) {
        static const uint32_t fallbacks[][2] = {
                { 0x202F, 0x00A0 }, /* narrow no-break space → no-break space */
                { 0x00A0, 0x0020 },
                { 0x2019, 0x0027 }, /* ’ → ' */
                { 0x2014, 0x002D }, /* — → - */
                { 0x2013, 0x002D },
                { 0x2026, 0x002E },
        };
        hb_codepoint_t g;

        if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
                return 0x20; /* control characters: tabs, stray newlines */
        for (;;) {
                bool found = false;

                if (hb_font_get_nominal_glyph(f->font, cp, &g))
                        return cp;
                for (size_t i = 0; i < ELEMENTSOF(fallbacks); i++)
                        if (fallbacks[i][0] == cp) {
                                cp = fallbacks[i][1];
                                found = true;
                                break;
                        }
                if (!found)
                        return '?';
        }
}

/* Shapes `utf8` (substituted, cut at TEXT_MAX bytes). Returns the HarfBuzz
 * buffer and, in *ret_text, the substituted string its clusters index. */
static hb_buffer_t *font_shape(PdfFont *f, const char *utf8, PdfBuffer *ret_text) {
        hb_buffer_t *buf;
        const char *end;

        end = utf8 + strnlen(utf8, TEXT_MAX);
        for (const char *p = utf8; p < end;)
                append_utf8(ret_text, font_substitute(f, pdf_utf8_next(&p, end)));
        buf = hb_buffer_create();
        if (ret_text->size > 0)
                hb_buffer_add_utf8(buf, ret_text->data, (int) ret_text->size, 0, (int) ret_text->size);
        hb_buffer_set_direction(buf, HB_DIRECTION_LTR);
        hb_buffer_set_script(buf, HB_SCRIPT_LATIN);
        hb_buffer_set_language(buf, hb_language_from_string("fr", -1));
        hb_shape(f->font, buf, NULL, 0);
        /* HarfBuzz never returns NULL: a failed allocation leaves an empty
         * buffer, and the text would silently not be drawn. */
        if (!hb_buffer_allocation_successful(buf) && ret_text->error == 0)
                ret_text->error = -ENOMEM;
        return buf;
}

double pdf_font_width(PdfFont *f, const char *utf8) {
        PdfBuffer text = {};
        hb_glyph_position_t *pos;
        hb_buffer_t *buf;
        unsigned n;
        int64_t w = 0;

        buf = font_shape(f, utf8, &text);
        pos = hb_buffer_get_glyph_positions(buf, &n);
        for (unsigned i = 0; i < n; i++)
                w += pos[i].x_advance;
        hb_buffer_destroy(buf);
        pdf_buffer_done(&text);
        return (double) w * 1000.0 / f->upem;
}

/* The glyph's width as written in /W: whole thousandths of an em. */
static int glyph_width(PdfFont *f, hb_codepoint_t gid) {
        int64_t a = hb_font_get_glyph_h_advance(f->font, gid);
        return (int) ((a * 1000 + f->upem / 2) / f->upem);
}

/* Records the code points of cluster [from, to) of `text` as the meaning
 * of `gid`, unless the glyph already has one. */
static void record_text(PdfFont *f, hb_codepoint_t gid, const char *from, const char *to,
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

void pdf_font_show(PdfFont *f, const char *utf8, PdfBuffer *content) {
        PdfBuffer text = {};
        hb_glyph_position_t *pos;
        hb_glyph_info_t *info;
        hb_buffer_t *buf;
        int64_t ideal = 0, drawn = 0; /* pen positions, in 1/1000 em × upem */
        unsigned n;

        buf = font_shape(f, utf8, &text);
        info = hb_buffer_get_glyph_infos(buf, &n);
        pos = hb_buffer_get_glyph_positions(buf, NULL);
        pdf_buffer_puts(content, "[<");
        for (unsigned i = 0; i < n; i++) {
                hb_codepoint_t gid = info[i].codepoint;
                int64_t diff;

                if (gid >= f->n_glyphs)
                        gid = 0;
                f->used[gid] = true;
                if (i == 0 || info[i].cluster != info[i - 1].cluster) {
                        unsigned end = (unsigned) text.size;
                        for (unsigned j = i + 1; j < n; j++)
                                if (info[j].cluster != info[i].cluster) {
                                        end = info[j].cluster;
                                        break;
                                }
                        record_text(f, gid, text.data + info[i].cluster, text.data + end, content);
                }
                pdf_buffer_hex4(content, gid);
                /* The viewer advances by the /W width; kerning and rounding
                 * are corrected with TJ offsets (positive moves left) so that
                 * the error never accumulates along the line. */
                ideal += (int64_t) pos[i].x_advance * 1000;
                drawn += (int64_t) glyph_width(f, gid) * f->upem;
                diff = (drawn - ideal) / f->upem;
                if (diff != 0 && i + 1 < n) {
                        pdf_buffer_puts(content, ">");
                        pdf_buffer_int(content, (long long) diff);
                        pdf_buffer_puts(content, "<");
                        drawn -= diff * f->upem;
                }
        }
        pdf_buffer_puts(content, ">] TJ\n");
        if (n > 0)
                f->any_used = true;
        hb_buffer_destroy(buf);
        if (text.error < 0)
                content->error = content->error < 0 ? content->error : text.error;
        pdf_buffer_done(&text);
}

/* ---------------------------------------------------------------- embedding */

/* The six-letter subset tag (ISO 32000-1 §9.6.4), from the set of glyphs so
 * that the same text gives the same name. */
static void subset_tag(const PdfFont *f, char tag[static 7]) {
        uint64_t h = UINT64_C(1469598103934665603);

        for (unsigned i = 0; i < f->n_glyphs; i++)
                if (f->used[i]) {
                        h ^= i;
                        h *= UINT64_C(1099511628211);
                }
        for (unsigned i = 0; i < 6; i++) {
                tag[i] = (char) ('A' + h % 26);
                h /= 26;
        }
        tag[6] = 0;
}

static hb_blob_t *font_subset(PdfFont *f) {
        static const hb_tag_t drop[] = {
                /* Layout and hinting tables a PDF viewer never reads. */
                HB_TAG('G', 'S', 'U', 'B'), HB_TAG('G', 'P', 'O', 'S'), HB_TAG('G', 'D', 'E', 'F'),
                HB_TAG('k', 'e', 'r', 'n'), HB_TAG('D', 'S', 'I', 'G'), HB_TAG('g', 'a', 's', 'p'),
        };
        hb_subset_input_t *input;
        hb_face_t *sub;
        hb_set_t *glyphs;
        hb_blob_t *blob;

        input = hb_subset_input_create_or_fail();
        if (!input)
                return NULL;
        glyphs = hb_subset_input_glyph_set(input);
        hb_set_add(glyphs, 0);
        for (unsigned i = 0; i < f->n_glyphs; i++)
                if (f->used[i])
                        hb_set_add(glyphs, i);
        for (size_t i = 0; i < ELEMENTSOF(drop); i++)
                hb_set_add(hb_subset_input_set(input, HB_SUBSET_SETS_DROP_TABLE_TAG), drop[i]);
        hb_subset_input_set_flags(input, HB_SUBSET_FLAGS_RETAIN_GIDS | HB_SUBSET_FLAGS_NO_HINTING);
        sub = hb_subset_or_fail(f->face, input);
        hb_subset_input_destroy(input);
        if (!sub)
                return NULL;
        blob = hb_face_reference_blob(sub);
        hb_face_destroy(sub);
        return blob;
}

static int16_t be16(const char *p) {
        return (int16_t) (((unsigned) (unsigned char) p[0] << 8) | (unsigned char) p[1]);
}

static void write_descriptor(PdfFont *f, PdfWriter *w, uint32_t num, const char *base,
                             uint32_t file) {
        hb_position_t asc = 0, desc = 0, cap = 0;
        int bbox[4] = { 0, 0, 0, 0 };
        hb_blob_t *head;
        unsigned len;
        const char *h;
        PdfBuffer *b;

        hb_ot_metrics_get_position_with_fallback(f->font, HB_OT_METRICS_TAG_HORIZONTAL_ASCENDER, &asc);
        hb_ot_metrics_get_position_with_fallback(f->font, HB_OT_METRICS_TAG_HORIZONTAL_DESCENDER, &desc);
        hb_ot_metrics_get_position_with_fallback(f->font, HB_OT_METRICS_TAG_CAP_HEIGHT, &cap);
        head = hb_face_reference_table(f->face, HB_TAG('h', 'e', 'a', 'd'));
        h = hb_blob_get_data(head, &len);
        if (len >= 44)
                for (unsigned i = 0; i < 4; i++)
                        bbox[i] = (int) ((int64_t) be16(h + 36 + 2 * i) * 1000 / (int64_t) f->upem);
        hb_blob_destroy(head);

        b = pdf_writer_begin_object(w, num);
        pdf_buffer_printf(b,
                          "<< /Type /FontDescriptor /FontName /%s /Flags 4 /FontBBox [%d %d %d %d]"
                          " /ItalicAngle 0 /Ascent %lld /Descent %lld /CapHeight %lld /StemV 80"
                          " /FontFile2 %u 0 R >>",
                          base, bbox[0], bbox[1], bbox[2], bbox[3],
                          (long long) asc * 1000 / f->upem, (long long) desc * 1000 / f->upem,
                          (long long) cap * 1000 / f->upem, file);
        pdf_writer_end_object(w);
}

/* /W [gid [w w …] gid [w …] …] over the used glyphs, runs of consecutive ids
 * sharing one entry. */
static void write_widths(PdfFont *f, PdfBuffer *b) {
        bool open = false;

        pdf_buffer_puts(b, " /W [");
        for (unsigned i = 0; i < f->n_glyphs; i++) {
                if (!f->used[i]) {
                        if (open)
                                pdf_buffer_puts(b, "]");
                        open = false;
                        continue;
                }
                if (!open)
                        pdf_buffer_printf(b, " %u [", i);
                else
                        pdf_buffer_puts(b, " ");
                pdf_buffer_printf(b, "%d", glyph_width(f, i));
                open = true;
        }
        if (open)
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
        for (unsigned i = 0; i < f->n_glyphs; i++)
                if (f->used[i] && f->text[i] && f->text[i][0])
                        n++;
        for (unsigned i = 0; i < f->n_glyphs; i++) {
                if (!f->used[i] || !f->text[i] || !f->text[i][0])
                        continue;
                /* At most 100 entries per block (ISO 32000-1 §9.10.3). */
                if (chunk == 0)
                        pdf_buffer_printf(&cmap, "%u beginbfchar\n", n < 100 ? n : 100);
                pdf_buffer_printf(&cmap, "<%04X> <", i);
                for (const uint32_t *c = f->text[i]; *c; c++)
                        if (*c >= 0x10000)
                                pdf_buffer_printf(&cmap, "%04X%04X", 0xD800 | ((*c - 0x10000) >> 10),
                                                  0xDC00 | ((*c - 0x10000) & 0x3FF));
                        else
                                pdf_buffer_printf(&cmap, "%04X", *c);
                pdf_buffer_puts(&cmap, ">\n");
                n--;
                if (++chunk == 100 || n == 0) {
                        pdf_buffer_puts(&cmap, "endbfchar\n");
                        chunk = 0;
                }
        }
        pdf_buffer_puts(&cmap, "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
        pdf_writer_fail(w, cmap.error);
        pdf_writer_stream(w, num, NULL, cmap.data, cmap.size, true);
        pdf_buffer_done(&cmap);
}

void pdf_font_write(PdfFont *f, PdfWriter *w, uint32_t num) {
        uint32_t cid, desc, file, tounicode;
        char tag[7], base[128], dict[64];
        hb_blob_t *sub;
        const char *data;
        unsigned len;
        PdfBuffer *b;

        cid = pdf_writer_reserve(w);
        desc = pdf_writer_reserve(w);
        file = pdf_writer_reserve(w);
        tounicode = pdf_writer_reserve(w);
        subset_tag(f, tag);
        snprintf(base, sizeof(base), "%s+%s", tag, f->postscript_name);

        b = pdf_writer_begin_object(w, num);
        pdf_buffer_printf(b,
                          "<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H"
                          " /DescendantFonts [%u 0 R] /ToUnicode %u 0 R >>",
                          base, cid, tounicode);
        pdf_writer_end_object(w);

        b = pdf_writer_begin_object(w, cid);
        pdf_buffer_printf(b,
                          "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s"
                          " /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >>"
                          " /FontDescriptor %u 0 R /CIDToGIDMap /Identity /DW 1000",
                          base, desc);
        write_widths(f, b);
        pdf_buffer_puts(b, " >>");
        pdf_writer_end_object(w);

        write_descriptor(f, w, desc, base, file);

        sub = font_subset(f);
        data = sub ? hb_blob_get_data(sub, &len) : NULL;
        if (!data || len == 0) {
                /* hb-subset fails only for lack of memory on a font we
                 * could load and shape. */
                pdf_writer_stream(w, file, NULL, "", 0, false);
                pdf_writer_fail(w, -ENOMEM);
        } else {
                snprintf(dict, sizeof(dict), "/Length1 %u", len);
                pdf_writer_stream(w, file, dict, data, len, true);
        }
        hb_blob_destroy(sub);

        write_to_unicode(f, w, tounicode);
}

