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
#include "writers/pdf_writer.h"

typedef struct PdfFont PdfFont;

/* A TrueType font from the bytes of its file (not copied: they must outlive
 * the font; pdf_assets_load() reads them). Returns 0, -EINVAL (not a usable
 * TrueType font: no glyf outlines) or -ENOMEM. */
int pdf_font_new(const char *data, size_t size, PdfFont **ret);
PdfFont *pdf_font_free(PdfFont *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(PdfFont *, pdf_font_free);

/* Advance width of `utf8` in thousandths of the font size (kerning
 * included). Does not mark glyphs as used. */
double pdf_font_width(PdfFont *f, const char *utf8);
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
