/* pdf_font.h — a TrueType font for our PDFs: shaping and metrics through
 * HarfBuzz, and embedding as a subset (hb-subset) in a Type0 / CIDFontType2
 * font with Identity-H encoding and a ToUnicode CMap, so that text copied
 * or extracted from the PDF (pdftotext) is the text we drew, accents and €
 * included.
 *
 * Glyph ids are written as CIDs and the subset keeps the original glyph
 * numbering (HB_SUBSET_FLAGS_RETAIN_GIDS), hence /CIDToGIDMap /Identity and a
 * single layout pass. Characters the font lacks are replaced (U+202F by
 * U+00A0, then by a space; others by '?') rather than drawn as .notdef, which
 * PDF/A forbids. */
#pragma once

#include <stdint.h>

#include "base/macro.h"
#include "writers/pdf_face.h"
#include "writers/pdf_writer.h"

typedef struct PdfFont PdfFont;

/* A document's use of `face` (which must outlive it). Returns 0 or -ENOMEM. */
int pdf_font_new(PdfFace *face, PdfFont **ret);
PdfFont *pdf_font_free(PdfFont *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(PdfFont *, pdf_font_free);

/* Advance width of `utf8` in thousandths of the font size (kerning
 * included). Does not mark glyphs as used. */
double pdf_font_width(PdfFont *f, const char *utf8);
/* The same for the first `size` bytes of `utf8`. */
double pdf_font_width_n(PdfFont *f, const char *utf8, size_t size);
/* Appends the text-showing operator for `utf8` to `content`
 * ("[<0030004F>-12<0051>] TJ"), marks its glyphs as used and records what
 * they mean for ToUnicode. */
void pdf_font_show(PdfFont *f, const char *utf8, PdfBuffer *content);
/* True once pdf_font_show() drew something. */
bool pdf_font_used(const PdfFont *f);

/* Writes the Type0 font as object `num` and the objects it needs
 * (CIDFontType2, FontDescriptor, the subset FontFile2, ToUnicode). Errors go
 * to the writer's sticky error. */
void pdf_font_write(PdfFont *f, PdfWriter *w, uint32_t num);
