/* pdf_face_internal.h — the inside of a PdfFace (pdf_face.c), shared with
 * pdf_face_snapshot.c, which fills one from a snapshot made at build time
 * or prints that snapshot (pdf_face.h, snapshots), and with the C file the
 * build generates from it. Nothing else includes it. */
#pragma once

#include <hb.h>
#include <stdbool.h>
#include <stdint.h>

#include "writers/pdf_face.h"

/* Characters the fast path knows, by slot: U+0000–U+024F (Latin, Latin-1,
 * Latin Extended-A and B) and U+2000–U+20FF (punctuation, spaces, €). */
#define SLOT_LATIN_END 0x250
#define SLOT_PUNCT_FIRST 0x2000
#define SLOT_PUNCT_END 0x2100
#define N_SLOTS (SLOT_LATIN_END + (SLOT_PUNCT_END - SLOT_PUNCT_FIRST))

typedef enum CharState {
        CHAR_UNKNOWN,
        CHAR_SIMPLE,  /* one nominal glyph, no context: the fast path */
        CHAR_COMPLEX, /* HarfBuzz every time */
} CharState;

typedef struct CharInfo {
        uint32_t subst; /* the character drawn for it */
        uint32_t gid;
        int32_t advance;
        int32_t width; /* /W width */
        uint8_t state;
} CharInfo;

/* Pair kerning, learnt: open addressing, key (slot a << 16 | slot b) + 1
 * (0 = empty), value the adjustment of a's advance or PAIR_COMPLEX. */
#define PAIR_COMPLEX INT32_MIN
#define DENSE_SLOTS 256
#define DENSE_BIAS 0x4000
#define DENSE_COMPLEX 0xFFFF
typedef struct Pair {
        uint32_t key;
        int32_t kern;
} Pair;

struct PdfFace {
        /* The font file's bytes (not ours) and, from the snapshot or
         * HarfBuzz, what pdf_face_new() needs at once. */
        const char *data;
        size_t size;
        bool from_snapshot;
        /* HarfBuzz's objects: made by pdf_face_new(), or by
         * pdf_face_open_harfbuzz() at the first need when the face came
         * from a snapshot (for simple French text, never). */
        int harfbuzz_error; /* what opening them failed with, once */
        hb_blob_t *blob;
        hb_face_t *face;
        hb_font_t *font;
        hb_shape_plan_t *plan;
        hb_segment_properties_t props;
        unsigned upem, n_glyphs;
        char *postscript_name;
        CharInfo chars[N_SLOTS];
        Pair *pairs;
        size_t n_pairs, pairs_allocated; /* allocated: a power of two */
        /* Pairs of characters below U+0100, the common case, by a[b]:
         * kern + DENSE_BIAS, 0 = not known, DENSE_COMPLEX. Calloc'd: pages
         * never touched cost no memory. */
        uint16_t *dense;
        /* From a snapshot: every pair of these slots is known, its
         * kerning 0 unless in dense or pairs. */
        bool pair_known[N_SLOTS];
        int16_t *widths; /* /W width by glyph id, INT16_MIN = not computed */
        PdfFaceMetrics metrics;
        bool have_metrics;
        /* The fixed glyph set and its program, made at the first need
         * (base_z_owned) or taken from the snapshot. */
        bool *base;
        const char *base_z;
        char *base_z_owned;
        size_t base_z_size, base_length1;
        char base_tag[7];
        /* Scratch of pdf_face_shape(), reused from call to call. */
        PdfBuffer text;
        /* The input of the last fast-path layout in f->glyphs, to give
         * it again without work: text is measured, then drawn. */
        PdfBuffer memo;
        size_t memo_n;
        int64_t memo_width;
        bool memo_valid;
        PdfGlyph *glyphs;
        int *slots;
        uint32_t *offsets;
        size_t glyphs_allocated;
        hb_buffer_t *buffer;
};

/* The character in slot `slot`, and the slot of a character (-1: none). */
uint32_t pdf_face_slot_char(int slot);
int pdf_face_slot_of(uint32_t cp);
void pdf_face_append_utf8(PdfBuffer *b, uint32_t cp);
/* What the fast path knows of the character in `slot` (learnt on first
 * use; needs HarfBuzz then). */
const CharInfo *pdf_face_char_info(PdfFace *f, int slot, uint32_t cp);
bool pdf_face_pair_get(PdfFace *f, int a, int b, int32_t *ret);
void pdf_face_pair_set(PdfFace *f, int a, int b, int32_t kern);
/* HarfBuzz's face, font, buffer and shape plan, when not made yet (once:
 * a failure is answered again). Returns 0, -EINVAL (not a TrueType font
 * with glyf outlines), -ELIBACC (HarfBuzz cannot be loaded), -ENOMEM. */
int pdf_face_open_harfbuzz(PdfFace *f);
/* The characters of the fixed glyph set (UTF-8). */
extern const char pdf_face_base_text[];

/* A snapshot (pdf_face.h), as gen_face_snapshots prints it. */
typedef struct PdfFaceSnapshotPair {
        uint16_t a, b; /* slots */
        int32_t kern;  /* not 0, or PAIR_COMPLEX */
} PdfFaceSnapshotPair;

struct PdfFaceSnapshot {
        uint64_t key; /* pdf_face_snapshot_key() of the font file */
        unsigned upem, n_glyphs;
        const char *postscript_name;
        PdfFaceMetrics metrics;
        const CharInfo *chars;  /* every slot (N_SLOTS), learnt */
        const int16_t *widths; /* /W width of every glyph id */
        /* Every pair of these slots is known: kerning 0 unless listed. */
        const uint16_t *pair_slots;
        size_t n_pair_slots;
        const PdfFaceSnapshotPair *pairs;
        size_t n_pairs;
        /* The fixed glyph set and its program (pdf_face_program()). */
        const uint16_t *base_glyphs;
        size_t n_base_glyphs;
        const unsigned char *program;
        size_t program_size, program_length1;
        char tag[7];
};

/* Fills `f` (fresh from calloc, data and size set) from `s`. Returns 0 or
 * -ENOMEM. */
int pdf_face_load_snapshot(PdfFace *f, const PdfFaceSnapshot *s);
