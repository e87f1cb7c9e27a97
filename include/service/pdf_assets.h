/* pdf_assets.h — reads the files every PDF we write embeds (the writers do
 * no I/O and take them as bytes, writers/pdf_document.h): the fonts and the
 * sRGB ICC profile, from the Debian packages scripts/install-deps installs. */
#pragma once

#include "base/macro.h"
#include "writers/pdf_document.h"

/* The fonts we embed, from Debian's fonts-liberation2 (SIL Open Font
 * License 1.1): metric-compatible with Arial, complete for French and €. */
#define PDF_FONT_REGULAR_PATH "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf"
#define PDF_FONT_BOLD_PATH "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf"
#define PDF_FONT_SIZE_MAX (32u << 20)

/* sRGB IEC 61966-2.1 profile of Debian's icc-profiles-free (zlib licence). */
#define PDF_ICC_SRGB_PATH "/usr/share/color/icc/sRGB.icc"
#define PDF_ICC_SIZE_MAX (1u << 20)

/* Reads the two fonts and the ICC profile (bounded, no symlink). Returns 0,
 * -ENOENT (a file is missing: install fonts-liberation2 and
 * icc-profiles-free), -EFBIG, -ENOMEM, or another read error. */
int pdf_assets_load(PdfAssets **ret);
/* The same from other paths (tests). */
int pdf_assets_load_from(const char *regular, const char *bold, const char *icc, PdfAssets **ret);
PdfAssets *pdf_assets_free(PdfAssets *a);
DEFINE_TRIVIAL_CLEANUP_FUNC(PdfAssets *, pdf_assets_free);
