/* pdf_face.c — a font's per-process part (see pdf_face.h): HarfBuzz
 * objects and shape plan, the fast path for simple text and its caches,
 * metrics, and the font program of the fixed glyph set. */
#include <errno.h>
#include <hb-ot.h>
#include <hb-subset.h>
#include <hb.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/identifiers.h"
#include "writers/harfbuzz_lazy.h"
#include "writers/pdf_face_internal.h"

#define TEXT_MAX 65536 /* bytes of one drawn string: longer input is cut */

PdfFace *pdf_face_free(PdfFace *f) {
        if (!f)
                return NULL;
        free(f->pairs);
        free(f->dense);
        free(f->widths);
        free(f->base);
        free(f->base_z_owned);
        pdf_buffer_done(&f->text);
        pdf_buffer_done(&f->memo);
        free(f->glyphs);
        free(f->slots);
        free(f->offsets);
        free(f->postscript_name);
        if (f->blob) {
                /* Not otherwise: even with NULL, a HarfBuzz call loads
                 * HarfBuzz (harfbuzz_lazy.c). The blob is made first. */
                hb_buffer_destroy(f->buffer);
                hb_shape_plan_destroy(f->plan);
                hb_font_destroy(f->font);
                hb_face_destroy(f->face);
                hb_blob_destroy(f->blob);
        }
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

static int open_harfbuzz(PdfFace *f) {
        int r;

        if (f->size > UINT_MAX)
                return -EINVAL;
        r = harfbuzz_lazy_load();
        if (r < 0)
                return r;
        f->blob = hb_blob_create_or_fail(f->data, (unsigned) f->size, HB_MEMORY_MODE_READONLY, NULL, NULL);
        if (!f->blob)
                return -ENOMEM;
        f->face = hb_face_create(f->blob, 0);
        if (!f->from_snapshot) {
                f->upem = hb_face_get_upem(f->face);
                f->n_glyphs = hb_face_get_glyph_count(f->face);
        }
        if (f->n_glyphs == 0 || f->n_glyphs > 65536 || f->upem == 0 ||
            !face_has_table(f->face, HB_TAG('g', 'l', 'y', 'f')))
                return -EINVAL;
        f->buffer = hb_buffer_create();
        f->props = (hb_segment_properties_t) {
                .direction = HB_DIRECTION_LTR,
                .script = HB_SCRIPT_LATIN,
                .language = hb_language_from_string("fr", -1),
        };
        /* One plan for every string: hb_shape() looked one up in the
         * face's cache on every call, a fifth of its cost. */
        f->plan = hb_shape_plan_create_cached(f->face, &f->props, NULL, 0, NULL);
        if (!hb_buffer_allocation_successful(f->buffer) || !f->plan || hb_shape_plan_get_empty() == f->plan)
                return -ENOMEM;
        /* Last: a face with f->font has all of the above. */
        f->font = hb_font_create(f->face);
        if (!f->font || hb_font_get_empty() == f->font) {
                f->font = NULL;
                return -ENOMEM;
        }
        return 0;
}

int pdf_face_open_harfbuzz(PdfFace *f) {
        if (f->font)
                return 0;
        /* Once only: a second try would leak the first's objects. */
        if (f->harfbuzz_error == 0)
                f->harfbuzz_error = open_harfbuzz(f);
        return f->harfbuzz_error;
}

int pdf_face_new(const char *data, size_t size, PdfFace **ret) {
        _cleanup_(pdf_face_freep) PdfFace *f = NULL;
        const PdfFaceSnapshot *s;
        int r;

        f = calloc(1, sizeof(*f));
        if (!f)
                return -ENOMEM;
        f->data = data;
        f->size = size;
        s = pdf_face_snapshot_find(pdf_face_snapshot_key(data, size));
        if (s) {
                r = pdf_face_load_snapshot(f, s);
                if (r < 0)
                        return r;
                *ret = TAKE_PTR(f);
                return 0;
        }
        r = pdf_face_open_harfbuzz(f);
        if (r < 0)
                return r;
        f->postscript_name = font_postscript_name(f->face);
        f->widths = malloc(f->n_glyphs * sizeof(int16_t));
        f->dense = calloc(DENSE_SLOTS * DENSE_SLOTS, sizeof(uint16_t));
        if (!f->postscript_name || !f->widths || !f->dense)
                return -ENOMEM;
        for (unsigned i = 0; i < f->n_glyphs; i++)
                f->widths[i] = INT16_MIN;
        *ret = TAKE_PTR(f);
        return 0;
}

bool pdf_face_is_from_snapshot(const PdfFace *f) {
        return f->from_snapshot;
}

bool pdf_face_harfbuzz_opened(const PdfFace *f) {
        return f->font != NULL;
}

unsigned pdf_face_upem(const PdfFace *f) {
        return f->upem;
}

unsigned pdf_face_n_glyphs(const PdfFace *f) {
        return f->n_glyphs;
}

const char *pdf_face_postscript_name(const PdfFace *f) {
        return f->postscript_name;
}

int pdf_face_glyph_width(PdfFace *f, uint32_t gid) {
        if (gid >= f->n_glyphs)
                return 0;
        if (f->widths[gid] == INT16_MIN) { /* never from a snapshot: it has them all */
                int64_t a = hb_font_get_glyph_h_advance(f->font, gid);
                f->widths[gid] = (int16_t) ((a * 1000 + f->upem / 2) / f->upem);
        }
        return f->widths[gid];
}

/* ---------------------------------------------------------------- characters */

uint32_t pdf_face_slot_char(int slot) {
        return slot < SLOT_LATIN_END ? (uint32_t) slot : (uint32_t) (SLOT_PUNCT_FIRST + slot - SLOT_LATIN_END);
}

int pdf_face_slot_of(uint32_t cp) {
        if (cp < SLOT_LATIN_END)
                return (int) cp;
        if (cp >= SLOT_PUNCT_FIRST && cp < SLOT_PUNCT_END)
                return (int) (SLOT_LATIN_END + cp - SLOT_PUNCT_FIRST);
        return -1;
}

/* The character we draw for `cp`: itself when the font has it, else a
 * near equivalent, so that no .notdef glyph is ever shown. */
static uint32_t font_substitute(PdfFace *f, uint32_t cp) {
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

static bool hidden_or_mark(uint32_t cp) {
        hb_unicode_general_category_t c = hb_unicode_general_category(hb_unicode_funcs_get_default(), cp);

        /* Marks combine with what precedes them; default ignorables (soft
         * hyphen, zero-width and bidi controls) HarfBuzz hides. */
        return c == HB_UNICODE_GENERAL_CATEGORY_NON_SPACING_MARK ||
               c == HB_UNICODE_GENERAL_CATEGORY_SPACING_MARK || c == HB_UNICODE_GENERAL_CATEGORY_ENCLOSING_MARK ||
               c == HB_UNICODE_GENERAL_CATEGORY_FORMAT || cp == 0x00AD || cp == 0x034F ||
               (cp >= 0x2060 && cp <= 0x206F);
}

void pdf_face_append_utf8(PdfBuffer *b, uint32_t cp) {
        char u[4];

        pdf_buffer_append(b, u, utf8_encode(cp, u));
}

static void hb_shape_text(PdfFace *f, const char *text, size_t size) {
        hb_buffer_clear_contents(f->buffer);
        if (size > 0)
                hb_buffer_add_utf8(f->buffer, text, (int) size, 0, (int) size);
        hb_buffer_set_segment_properties(f->buffer, &f->props);
        hb_shape_plan_execute(f->plan, f->font, f->buffer, NULL, 0);
}

/* Whether HarfBuzz draws `cp` alone as its nominal glyph at its nominal
 * advance: only then can its advance be cached. */
static bool shapes_alone(PdfFace *f, uint32_t cp, uint32_t gid, int32_t advance) {
        PdfBuffer t = {};
        hb_glyph_position_t *pos;
        hb_glyph_info_t *info;
        unsigned n;
        bool ok;

        pdf_face_append_utf8(&t, cp);
        if (t.error < 0)
                return false;
        hb_shape_text(f, t.data, t.size);
        info = hb_buffer_get_glyph_infos(f->buffer, &n);
        pos = hb_buffer_get_glyph_positions(f->buffer, NULL);
        ok = n == 1 && info[0].codepoint == gid && pos[0].x_advance == advance && pos[0].x_offset == 0 &&
             pos[0].y_offset == 0 && pos[0].y_advance == 0;
        pdf_buffer_done(&t);
        return ok;
}

const CharInfo *pdf_face_char_info(PdfFace *f, int slot, uint32_t cp) {
        CharInfo *c = &f->chars[slot];
        hb_codepoint_t g = 0;

        if (c->state != CHAR_UNKNOWN)
                return c;
        c->subst = font_substitute(f, cp);
        (void) hb_font_get_nominal_glyph(f->font, c->subst, &g);
        c->gid = g;
        c->advance = hb_font_get_glyph_h_advance(f->font, g);
        c->width = pdf_face_glyph_width(f, g);
        c->state = !hidden_or_mark(c->subst) && shapes_alone(f, c->subst, c->gid, c->advance) ? CHAR_SIMPLE
                                                                                             : CHAR_COMPLEX;
        return c;
}

/* ---------------------------------------------------------------- pairs */

static Pair *pair_find(PdfFace *f, uint32_t key) {
        /* Fibonacci hashing takes the product's high bits: its low bits
         * depend only on b's (the key's low bits). */
        size_t mask = f->pairs_allocated - 1, i = ((key * UINT64_C(11400714819323198485)) >> 32) & mask;

        while (f->pairs[i].key != 0 && f->pairs[i].key != key)
                i = (i + 1) & mask;
        return &f->pairs[i];
}

static uint32_t pair_key(int a, int b) {
        return ((uint32_t) a << 16 | (uint32_t) b) + 1;
}

/* Returns the kerning of (a, b), PAIR_COMPLEX, or false when not known. */
bool pdf_face_pair_get(PdfFace *f, int a, int b, int32_t *ret) {
        Pair *p;

        if (a < DENSE_SLOTS && b < DENSE_SLOTS) {
                uint16_t v = f->dense[a * DENSE_SLOTS + b];

                if (v == 0)
                        return false;
                *ret = v == DENSE_COMPLEX ? PAIR_COMPLEX : (int32_t) v - DENSE_BIAS;
                return true;
        }
        p = f->n_pairs > 0 ? pair_find(f, pair_key(a, b)) : NULL;
        if (p && p->key != 0)
                *ret = p->kern;
        else if (f->pair_known[a] && f->pair_known[b])
                *ret = 0; /* a snapshot's pair with no kerning */
        else
                return false;
        return true;
}

void pdf_face_pair_set(PdfFace *f, int a, int b, int32_t kern) {
        Pair *p;

        if (a < DENSE_SLOTS && b < DENSE_SLOTS) {
                if (kern == PAIR_COMPLEX || kern <= -DENSE_BIAS || kern >= DENSE_BIAS)
                        f->dense[a * DENSE_SLOTS + b] = DENSE_COMPLEX; /* a kern that large: HarfBuzz */
                else
                        f->dense[a * DENSE_SLOTS + b] = (uint16_t) (kern + DENSE_BIAS);
                return;
        }

        if ((f->n_pairs + 1) * 2 > f->pairs_allocated) {
                size_t n = f->pairs_allocated ? f->pairs_allocated * 2 : 1024;
                Pair *old = f->pairs, *np = calloc(n, sizeof(Pair));
                size_t old_n = f->pairs_allocated;

                if (!np)
                        return; /* only a cache: the pair stays unknown */
                f->pairs = np;
                f->pairs_allocated = n;
                for (size_t i = 0; i < old_n; i++)
                        if (old[i].key != 0)
                                *pair_find(f, old[i].key) = old[i];
                free(old);
        }
        p = pair_find(f, pair_key(a, b));
        if (p->key == 0)
                f->n_pairs++;
        *p = (Pair) { .key = pair_key(a, b), .kern = kern };
}

/* ---------------------------------------------------------------- shaping */

static int reserve_glyphs(PdfFace *f, size_t n) {
        PdfGlyph *g;
        uint32_t *o;
        int *s;

        if (n <= f->glyphs_allocated)
                return 0;
        n = n < 64 ? 64 : n * 2;
        g = reallocarray(f->glyphs, n, sizeof(PdfGlyph));
        if (!g)
                return -ENOMEM;
        f->glyphs = g;
        s = reallocarray(f->slots, n, sizeof(int));
        if (!s)
                return -ENOMEM;
        f->slots = s;
        o = reallocarray(f->offsets, n, sizeof(uint32_t));
        if (!o)
                return -ENOMEM;
        f->offsets = o;
        f->glyphs_allocated = n;
        return 0;
}

/* HarfBuzz's result into f->glyphs. */
static int take_harfbuzz(PdfFace *f, PdfRun *run) {
        hb_glyph_position_t *pos;
        hb_glyph_info_t *info;
        unsigned n;
        int r;

        if (!hb_buffer_allocation_successful(f->buffer))
                /* A failed allocation leaves an empty buffer: the text
                 * would silently not be drawn. */
                return -ENOMEM;
        info = hb_buffer_get_glyph_infos(f->buffer, &n);
        pos = hb_buffer_get_glyph_positions(f->buffer, NULL);
        r = reserve_glyphs(f, n);
        if (r < 0)
                return r;
        run->width = 0;
        for (unsigned i = 0; i < n; i++) {
                PdfGlyph *g = &f->glyphs[i];

                *g = (PdfGlyph) { .gid = info[i].codepoint < f->n_glyphs ? info[i].codepoint : 0,
                                  .advance = pos[i].x_advance };
                g->width = pdf_face_glyph_width(f, g->gid);
                if (i == 0 || info[i].cluster != info[i - 1].cluster) {
                        g->from = info[i].cluster;
                        g->to = (uint32_t) f->text.size;
                        for (unsigned j = i + 1; j < n; j++)
                                if (info[j].cluster != info[i].cluster) {
                                        g->to = info[j].cluster;
                                        break;
                                }
                }
                run->width += g->advance;
        }
        run->glyphs = f->glyphs;
        run->n_glyphs = n;
        return 0;
}

/* When HarfBuzz drew one nominal glyph per character of a simple string
 * (f->glyphs as the fast path laid it out, f->offsets where each
 * character starts in f->text), its advances are the cached ones plus
 * pair kerning: records the pairs. Otherwise the unknown pairs are marked
 * for HarfBuzz. */
static void learn_pairs(PdfFace *f, size_t n_chars) {
        hb_glyph_position_t *pos;
        hb_glyph_info_t *info;
        unsigned n;
        bool nominal;

        info = hb_buffer_get_glyph_infos(f->buffer, &n);
        pos = hb_buffer_get_glyph_positions(f->buffer, NULL);
        nominal = n == n_chars;
        for (unsigned i = 0; nominal && i < n; i++)
                nominal = info[i].codepoint == f->glyphs[i].gid && info[i].cluster == f->offsets[i] &&
                          pos[i].x_offset == 0 && pos[i].y_offset == 0 && pos[i].y_advance == 0;
        if (nominal && n > 0 && pos[n - 1].x_advance != f->glyphs[n - 1].advance)
                nominal = false;
        for (size_t i = 0; i + 1 < n_chars; i++) {
                int32_t k;

                if (pdf_face_pair_get(f, f->slots[i], f->slots[i + 1], &k))
                        continue;
                pdf_face_pair_set(f, f->slots[i], f->slots[i + 1],
                         nominal ? pos[i].x_advance - f->glyphs[i].advance : PAIR_COMPLEX);
        }
}

/* The fast path: fills f->glyphs and f->slots from the caches. Returns
 * the number of characters, with *simple false when a character needs
 * HarfBuzz and *unknown true when a pair is not known yet. */
static int lay_out(PdfFace *f, const char *utf8, const char *end, bool *simple, bool *unknown) {
        size_t n = 0;
        int r;

        /* At most one character per byte. */
        r = reserve_glyphs(f, (size_t) (end - utf8) + 1);
        if (r < 0)
                return r;
        for (const char *p = utf8; p < end; n++) {
                uint32_t cp = (unsigned char) *p < 0x80 ? (uint32_t) *p++ : pdf_utf8_next(&p, end);
                int slot = pdf_face_slot_of(cp);
                const CharInfo *c;

                if (slot < 0) {
                        *simple = false;
                        return 0;
                }
                c = f->chars[slot].state == CHAR_SIMPLE ? &f->chars[slot] : pdf_face_char_info(f, slot, cp);
                if (c->state != CHAR_SIMPLE) {
                        *simple = false;
                        return 0;
                }
                f->glyphs[n] = (PdfGlyph) { .gid = c->gid, .advance = c->advance, .width = c->width, .cp = c->subst };
                f->slots[n] = slot;
        }
        for (size_t i = 0; i + 1 < n; i++) {
                int a = f->slots[i], b = f->slots[i + 1];
                int32_t k;

                if (a < DENSE_SLOTS && b < DENSE_SLOTS) {
                        /* pdf_face_pair_get()'s common case, inline: a sixth of the
                         * report's layout instructions */
                        uint16_t v = f->dense[a * DENSE_SLOTS + b];

                        if (v == 0)
                                *unknown = true;
                        else if (v == DENSE_COMPLEX) {
                                *simple = false;
                                return 0;
                        } else
                                f->glyphs[i].advance += (int32_t) v - DENSE_BIAS;
                } else if (!pdf_face_pair_get(f, a, b, &k))
                        *unknown = true;
                else if (k == PAIR_COMPLEX) {
                        *simple = false;
                        return 0;
                } else
                        f->glyphs[i].advance += k;
        }
        return (int) n;
}

static int shape(PdfFace *f, const char *utf8, size_t size, bool fast, PdfRun *ret) {
        const char *end = utf8 + (size < TEXT_MAX ? size : TEXT_MAX);
        bool simple = fast, unknown = false;
        int n = 0, r;

        *ret = (PdfRun) { .glyphs = f->glyphs };
        if (simple && f->memo_valid && f->memo.size == (size_t) (end - utf8) &&
            memcmp(f->memo.data, utf8, f->memo.size) == 0) {
                ret->n_glyphs = f->memo_n;
                ret->width = f->memo_width;
                return 0;
        }
        f->memo_valid = false;
        if (simple) {
                n = lay_out(f, utf8, end, &simple, &unknown);
                if (n < 0)
                        return n;
        }
        if (simple && !unknown) {
                ret->glyphs = f->glyphs;
                ret->n_glyphs = (size_t) n;
                for (int i = 0; i < n; i++)
                        ret->width += f->glyphs[i].advance;
                f->memo.size = 0;
                f->memo.error = 0;
                pdf_buffer_append(&f->memo, utf8, (size_t) (end - utf8));
                f->memo_valid = f->memo.error == 0 && n > 0;
                f->memo_n = (size_t) n;
                f->memo_width = ret->width;
                return 0;
        }
        /* HarfBuzz, on the substituted text. */
        r = pdf_face_open_harfbuzz(f);
        if (r < 0)
                return r;
        f->text.size = 0;
        f->text.error = 0;
        for (size_t i = 0; utf8 < end; i++) {
                uint32_t cp = pdf_utf8_next(&utf8, end);
                int slot = pdf_face_slot_of(cp);

                if (simple)
                        f->offsets[i] = (uint32_t) f->text.size;
                pdf_face_append_utf8(&f->text, slot >= 0 ? pdf_face_char_info(f, slot, cp)->subst : font_substitute(f, cp));
        }
        if (f->text.error < 0)
                return f->text.error;
        hb_shape_text(f, f->text.data, f->text.size);
        if (simple) {
                /* lay_out() left the advances with the known pairs'
                 * kerning: back to the cached ones. */
                for (int i = 0; i < n; i++)
                        f->glyphs[i].advance = f->chars[f->slots[i]].advance;
                learn_pairs(f, (size_t) n);
        }
        *ret = (PdfRun) { .text = f->text.data, .text_size = f->text.size };
        return take_harfbuzz(f, ret);
}

/* The character at *p for the fast path (advancing *p), or NULL. */
static inline const CharInfo *next_simple(PdfFace *f, const char **p, const char *end, int *ret_slot) {
        uint32_t cp = (unsigned char) **p < 0x80 ? (uint32_t) *(*p)++ : pdf_utf8_next(p, end);
        int slot = pdf_face_slot_of(cp);
        const CharInfo *c;

        if (slot < 0)
                return NULL;
        *ret_slot = slot;
        c = &f->chars[slot];
        if (c->state != CHAR_SIMPLE)
                c = pdf_face_char_info(f, slot, cp);
        return c->state == CHAR_SIMPLE ? c : NULL;
}

/* pdf_face_pair_get() with its common case inline. */
static inline bool pair_kern(PdfFace *f, int a, int b, int32_t *ret) {
        if (a < DENSE_SLOTS && b < DENSE_SLOTS) {
                uint16_t v = f->dense[a * DENSE_SLOTS + b];

                if (v == 0)
                        return false;
                *ret = v == DENSE_COMPLEX ? PAIR_COMPLEX : (int32_t) v - DENSE_BIAS;
                return true;
        }
        return pdf_face_pair_get(f, a, b, ret);
}

int pdf_face_fit(PdfFace *f, const char *utf8, size_t size, double size_pt, double width, size_t *ret) {
        const char *end = utf8 + (size < TEXT_MAX ? size : TEXT_MAX), *p = utf8;
        const CharInfo *c = NULL;
        int64_t w = 0;
        int slot = -1;

        if (size > TEXT_MAX)
                return 0;
        /* Character by character, stopping at the first that does not
         * fit: a paragraph costs what its lines hold, not its length per
         * line. A prefix of k characters is the advances of the first
         * k - 1 with their kerning, the last one's without (what
         * pdf_face_shape() gives for the prefix alone); same arithmetic as
         * pdf_document_text_width(). */
        if (p < end && !(c = next_simple(f, &p, end, &slot)))
                return 0;
        *ret = 0;
        while (c) {
                const char *here = p;
                const CharInfo *next = NULL;
                int next_slot = -1;
                int32_t k = 0;

                if ((double) (w + c->advance) * 1000.0 / f->upem * size_pt / 1000.0 > width)
                        break;
                *ret = (size_t) (here - utf8);
                if (p < end) {
                        next = next_simple(f, &p, end, &next_slot);
                        if (!next || !pair_kern(f, slot, next_slot, &k) || k == PAIR_COMPLEX)
                                return 0;
                }
                w += c->advance + k;
                c = next;
                slot = next_slot;
        }
        return 1;
}

int pdf_face_shape(PdfFace *f, const char *utf8, size_t size, PdfRun *ret) {
        return shape(f, utf8, size, true, ret);
}

int pdf_face_shape_harfbuzz(PdfFace *f, const char *utf8, size_t size, PdfRun *ret) {
        return shape(f, utf8, size, false, ret);
}

/* ---------------------------------------------------------------- metrics */

static int16_t be16(const char *p) {
        return (int16_t) (((unsigned) (unsigned char) p[0] << 8) | (unsigned char) p[1]);
}

const PdfFaceMetrics *pdf_face_metrics(PdfFace *f) {
        hb_position_t asc = 0, desc = 0, cap = 0;
        hb_blob_t *head;
        unsigned len;
        const char *h;

        if (f->have_metrics)
                return &f->metrics;
        hb_ot_metrics_get_position_with_fallback(f->font, HB_OT_METRICS_TAG_HORIZONTAL_ASCENDER, &asc);
        hb_ot_metrics_get_position_with_fallback(f->font, HB_OT_METRICS_TAG_HORIZONTAL_DESCENDER, &desc);
        hb_ot_metrics_get_position_with_fallback(f->font, HB_OT_METRICS_TAG_CAP_HEIGHT, &cap);
        head = hb_face_reference_table(f->face, HB_TAG('h', 'e', 'a', 'd'));
        h = hb_blob_get_data(head, &len);
        if (len >= 44)
                for (unsigned i = 0; i < 4; i++)
                        f->metrics.bbox[i] = (int) ((int64_t) be16(h + 36 + 2 * i) * 1000 / (int64_t) f->upem);
        hb_blob_destroy(head);
        f->metrics.ascent = (long long) asc * 1000 / f->upem;
        f->metrics.descent = (long long) desc * 1000 / f->upem;
        f->metrics.cap_height = (long long) cap * 1000 / f->upem;
        f->have_metrics = true;
        return &f->metrics;
}

/* ---------------------------------------------------------------- font program */

/* The glyphs every program carries: what French invoices and bilans are
 * written with. A Latin-1 set (ñ, ß, ø…) made each program 3 KB larger
 * (deflated, 11 KB instead of 8 KB): such a character costs a subset of
 * its own to the document that draws it instead. */
const char pdf_face_base_text[] =
        " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"
        "àâäçéèêëîïôöùûüÿÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒœÆæ€«»°’‘“”–—…•×÷§²\u00A0\u202F";

static int make_base(PdfFace *f) {
        const char *end = pdf_face_base_text + strlen(pdf_face_base_text);
        hb_codepoint_t g;

        f->base = calloc(f->n_glyphs, sizeof(bool));
        if (!f->base)
                return -ENOMEM;
        f->base[0] = true;
        for (const char *p = pdf_face_base_text; p < end;)
                if (hb_font_get_nominal_glyph(f->font, pdf_utf8_next(&p, end), &g) && g < f->n_glyphs)
                        f->base[g] = true;
        return 0;
}

/* The six-letter subset tag, from the set of glyphs, so that the same set
 * gives the same name. */
static void subset_tag(const bool *glyphs, unsigned n, char tag[static 7]) {
        uint64_t h = UINT64_C(1469598103934665603);

        for (unsigned i = 0; i < n; i++)
                if (glyphs[i]) {
                        h ^= i;
                        h *= UINT64_C(1099511628211);
                }
        for (unsigned i = 0; i < 6; i++) {
                tag[i] = (char) ('A' + h % 26);
                h /= 26;
        }
        tag[6] = 0;
}

/* Subsets to `glyphs` and deflates at `level`. */
static int subset(PdfFace *f, const bool *glyphs, int level, char **ret, size_t *ret_size, size_t *ret_length1) {
        static const hb_tag_t drop[] = {
                /* Layout and hinting tables a PDF viewer never reads. */
                HB_TAG('G', 'S', 'U', 'B'), HB_TAG('G', 'P', 'O', 'S'), HB_TAG('G', 'D', 'E', 'F'),
                HB_TAG('k', 'e', 'r', 'n'), HB_TAG('D', 'S', 'I', 'G'), HB_TAG('g', 'a', 's', 'p'),
        };
        hb_subset_input_t *input;
        hb_face_t *sub;
        hb_blob_t *blob;
        const char *data;
        unsigned len = 0;
        int r;

        input = hb_subset_input_create_or_fail();
        if (!input)
                return -ENOMEM;
        for (unsigned i = 0; i < f->n_glyphs; i++)
                if (glyphs[i])
                        hb_set_add(hb_subset_input_glyph_set(input), i);
        for (size_t i = 0; i < ELEMENTSOF(drop); i++)
                hb_set_add(hb_subset_input_set(input, HB_SUBSET_SETS_DROP_TABLE_TAG), drop[i]);
        /* Glyph ids kept: they are the CIDs (/CIDToGIDMap /Identity). */
        hb_subset_input_set_flags(input, HB_SUBSET_FLAGS_RETAIN_GIDS | HB_SUBSET_FLAGS_NO_HINTING);
        sub = hb_subset_or_fail(f->face, input);
        hb_subset_input_destroy(input);
        if (!sub)
                /* hb-subset fails only for lack of memory on a font we
                 * could load and shape. */
                return -ENOMEM;
        blob = hb_face_reference_blob(sub);
        hb_face_destroy(sub);
        data = hb_blob_get_data(blob, &len);
        r = data && len > 0 ? pdf_deflate(data, len, level, ret, ret_size) : -ENOMEM;
        hb_blob_destroy(blob);
        *ret_length1 = len;
        return r;
}

int pdf_face_program(PdfFace *f, const uint32_t *list, size_t n_list, PdfFaceProgram *ret) {
        _cleanup_(freep) bool *glyphs = NULL;
        bool beyond = false;
        int r;

        if (!f->base) { /* never from a snapshot: it has the set */
                r = make_base(f);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < n_list && !beyond; i++)
                beyond = list[i] < f->n_glyphs && !f->base[list[i]];
        if (!beyond) {
                if (!f->base_z) {
                        r = subset(f, f->base, PDF_DEFLATE_LEVEL_ONCE, &f->base_z_owned, &f->base_z_size,
                                   &f->base_length1);
                        if (r < 0)
                                return r;
                        f->base_z = f->base_z_owned;
                        subset_tag(f->base, f->n_glyphs, f->base_tag);
                }
                *ret = (PdfFaceProgram) { .z = f->base_z, .z_size = f->base_z_size, .length1 = f->base_length1 };
                memcpy(ret->tag, f->base_tag, sizeof(ret->tag));
                return 0;
        }
        glyphs = malloc(f->n_glyphs * sizeof(bool));
        if (!glyphs)
                return -ENOMEM;
        memcpy(glyphs, f->base, f->n_glyphs * sizeof(bool));
        for (size_t i = 0; i < n_list; i++)
                if (list[i] < f->n_glyphs)
                        glyphs[list[i]] = true;
        *ret = (PdfFaceProgram) {};
        r = pdf_face_open_harfbuzz(f);
        if (r < 0)
                return r;
        r = subset(f, glyphs, PDF_DEFLATE_LEVEL, &ret->owned, &ret->z_size, &ret->length1);
        if (r < 0)
                return r;
        ret->z = ret->owned;
        subset_tag(glyphs, f->n_glyphs, ret->tag);
        return 0;
}
