/* pdf_face.h — what a TrueType font costs to use, paid once per process
 * (issue 14): the HarfBuzz face, font and shape plan, the metrics of the
 * FontDescriptor, the /W widths, a fast path for the simple Latin text we
 * draw, and the font program of a fixed glyph set, subset and deflated
 * once. pdf_font.h is the per-document side (which glyphs a document used,
 * what they mean for ToUnicode).
 *
 * The fast path: a string whose characters are all "simple" (one glyph, the
 * font's nominal one, no mark, nothing HarfBuzz treats specially: each
 * checked once by shaping it alone) is laid out from cached advances plus
 * pair kerning, the font's GPOS kerning being pair adjustments only (its
 * GSUB has no default feature for Latin: ccmp, dlig, subs, sups). Kerning
 * values are learnt from HarfBuzz: a string with a pair not seen yet is
 * shaped by HarfBuzz, and its result both drawn and, when it is one
 * nominal glyph per character, recorded pair by pair. Anything else
 * (marks, other scripts, a result that is not one glyph per character)
 * goes through HarfBuzz every time. tests/test_pdf.c checks that the fast
 * path gives HarfBuzz's glyphs and advances on thousands of strings.
 *
 * Everything here is deterministic: what the caches hold depends only on
 * the font, never on what was drawn before, so a document's bytes do not
 * depend on the documents rendered before it in the process. Single
 * threaded (the daemon and chorusctl render on one thread). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/macro.h"
#include "writers/pdf_writer.h"

typedef struct PdfFace PdfFace;

/* One glyph of a shaped string: its id, its advance in font units (kerning
 * included) and what it stands for: the character `cp` (after
 * substitution), or when cp is 0 the bytes [from, to) of the run's text
 * (from == to for a glyph that continues the previous one's cluster). */
typedef struct PdfGlyph {
        uint32_t gid;
        int32_t advance;
        int32_t width; /* pdf_face_glyph_width(gid) */
        uint32_t cp;
        uint32_t from, to;
} PdfGlyph;

/* A shaped string, valid until the next pdf_face_shape() on the face. */
typedef struct PdfRun {
        const char *text; /* the string with unavailable characters substituted
                           * (only when a glyph's cp is 0: HarfBuzz's runs) */
        size_t text_size;
        const PdfGlyph *glyphs;
        size_t n_glyphs;
        int64_t width; /* sum of the advances, font units */
} PdfRun;

/* A face over the bytes of a font file (not copied: they must outlive it).
 * Returns 0, -EINVAL (not a TrueType font with glyf outlines) or -ENOMEM. */
int pdf_face_new(const char *data, size_t size, PdfFace **ret);
PdfFace *pdf_face_free(PdfFace *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(PdfFace *, pdf_face_free);

unsigned pdf_face_upem(const PdfFace *f);
unsigned pdf_face_n_glyphs(const PdfFace *f);
const char *pdf_face_postscript_name(const PdfFace *f);

/* Shapes the first `size` bytes of `utf8` (cut at 64 KiB), characters the
 * font lacks replaced (U+202F by U+00A0, then by a space; others by '?';
 * control characters by a space). Returns 0 or -ENOMEM. */
int pdf_face_shape(PdfFace *f, const char *utf8, size_t size, PdfRun *ret);
/* The fast path of wrapping: sets *ret to the length in bytes of the
 * longest prefix of utf8[0..size) (whole characters) that is no wider
 * than `width` points at `size_pt`, possibly 0, and returns 1; returns 0
 * when the string is not for the fast path (measure its prefixes with
 * pdf_face_shape()), -ENOMEM. */
int pdf_face_fit(PdfFace *f, const char *utf8, size_t size, double size_pt, double width, size_t *ret);
/* The same through HarfBuzz only, never the fast path (tests). */
int pdf_face_shape_harfbuzz(PdfFace *f, const char *utf8, size_t size, PdfRun *ret);
/* The glyph's width as written in /W: whole thousandths of an em. */
int pdf_face_glyph_width(PdfFace *f, uint32_t gid);

/* FontDescriptor values, in thousandths of an em. */
typedef struct PdfFaceMetrics {
        int bbox[4];
        long long ascent, descent, cap_height;
} PdfFaceMetrics;
const PdfFaceMetrics *pdf_face_metrics(PdfFace *f);

/* The FontFile2 of a document that used the glyphs list[0..n_list): the
 * subset of the face's fixed glyph set (printable ASCII, French letters, €,
 * « », °, typographic quotes, dashes, …), made and deflated once per process, when
 * the document used nothing else; otherwise the subset of that set plus
 * the document's glyphs, made for it. `z` is deflated; `length1` its size
 * before; `tag` the six letters of the subset name (ISO 32000-1 §9.6.4), a
 * function of the glyph set. `owned` (free()) is set when the bytes were
 * made for this call. Returns 0 or -ENOMEM. */
typedef struct PdfFaceProgram {
        const char *z;
        size_t z_size, length1;
        char tag[7];
        char *owned;
} PdfFaceProgram;
int pdf_face_program(PdfFace *f, const uint32_t *list, size_t n_list, PdfFaceProgram *ret);

/* ---------------------------------------------------------------- snapshots
 *
 * What a face learns of a font (the characters and pairs of the fast path,
 * widths, metrics, the fixed set's program), learnt once at build time
 * instead of in every process (issue 14). A one-shot `chorusctl render`
 * spent half its instructions learning the same things about the same two
 * fonts. The build runs gen_face_snapshots (daemon/ctl), which does it
 * with this code on the installed fonts and prints the result as C
 * ($(BUILD)/gen/face_snapshots.c), linked into chorusd and chorusctl.
 *
 * pdf_face_new() uses a snapshot only for the font it was made from: the
 * key covers the file's size and its table directory (each table's
 * checksum, offset and length), so a font updated by Debian after the
 * build goes back to learning, with the same output. With a snapshot,
 * HarfBuzz is not even loaded (harfbuzz_lazy.c) for text made of the fixed
 * set's characters; a pair or a glyph beyond it opens HarfBuzz as before.
 * tests/test_face_snapshot.c checks that documents are byte for byte those
 * made without. */
typedef struct PdfFaceSnapshot PdfFaceSnapshot;

/* What the build linked in: NULL-terminated, or an undefined weak symbol
 * (NULL) in a program without snapshots (the tests but one, the fuzz
 * targets, gen_face_snapshots itself). */
extern const PdfFaceSnapshot *const pdf_face_snapshots[] __attribute__((weak));

/* The key of a font file: FNV-1a of its size and its table directory. */
uint64_t pdf_face_snapshot_key(const char *data, size_t size);
/* The linked-in snapshot for a font with this key, or NULL (also after
 * pdf_face_use_snapshots(false)). */
const PdfFaceSnapshot *pdf_face_snapshot_find(uint64_t key);
/* Tests: make faces without snapshots from now on (true: with, the default). */
void pdf_face_use_snapshots(bool on);
/* Whether the face was filled from a snapshot, and whether it has had to
 * open HarfBuzz since (tests). */
bool pdf_face_is_from_snapshot(const PdfFace *f);
bool pdf_face_harfbuzz_opened(const PdfFace *f);
/* gen_face_snapshots: learns everything a snapshot holds on `f` (a face
 * made without snapshot) and appends it to `out` as C source defining
 * `const PdfFaceSnapshot NAME`, `origin` in a comment. Returns 0,
 * -EINVAL or -ENOMEM. */
int pdf_face_snapshot_print(PdfFace *f, const char *name, const char *origin, PdfBuffer *out);
