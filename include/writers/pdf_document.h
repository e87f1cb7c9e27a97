/* pdf_document.h — an A4 PDF/A-3b document: pages we draw text, rules and
 * filled rectangles on, in two embedded fonts, plus the archival parts
 * PDF/A-3 requires (ISO 19005-3): XMP metadata that agrees with the Info
 * dictionary, an sRGB OutputIntent, embedded subset fonts, a trailer /ID,
 * and associated files (/AF) for embedded documents. No transparency, no
 * encryption, no JavaScript, no annotations.
 *
 * Coordinates are PDF points (1/72 inch) from the top-left corner of the
 * page, y growing downwards; text is placed by its baseline. Drawing calls
 * do not fail one by one: the first error is kept and returned by
 * pdf_document_render(). Colours are 0xRRGGBB in DeviceRGB (sRGB through
 * the OutputIntent).
 *
 * Reads the two font files (pdf_font.h) and the ICC profile; otherwise
 * pure. Output is deterministic: same calls, same date, same bytes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/date.h"
#include "base/macro.h"
#include "writers/pdf_face.h"

#define PDF_A4_WIDTH 595.28
#define PDF_A4_HEIGHT 841.89
/* Where pdf_document_render() writes "Page i / n" (when there is more than
 * one page): layouts keep their content above PDF_FOOTER_TOP. */
#define PDF_FOOTER_BASELINE (PDF_A4_HEIGHT - 28.0)
#define PDF_FOOTER_TOP (PDF_A4_HEIGHT - 48.0)

typedef enum PdfFontStyle {
        PDF_REGULAR,
        PDF_BOLD,
        _PDF_FONT_STYLE_MAX,
} PdfFontStyle;

/* The bytes of a file the PDFs embed. */
typedef struct PdfAsset {
        char *data;
        size_t size;
} PdfAsset;

/* What the documents derive from the assets once per process: HarfBuzz
 * faces, metrics, the fixed-set font programs and the ICC profile
 * deflated (writers/pdf_face.h). */
typedef struct PdfCache PdfCache;

/* What every PDF we write needs from the system: the TrueType fonts (one
 * per PdfFontStyle) and the sRGB ICC profile of the PDF/A OutputIntent.
 * The writers do no I/O: a caller loads these once (pdf_assets_load(),
 * service/pdf_assets.h) and hands them down; they must outlive every
 * document made with them. `cache` (pdf_cache_new(), filled on first use
 * by the documents, single-threaded) may be NULL: each document then
 * derives its own, for the same bytes at a higher cost. */
typedef struct PdfAssets {
        PdfAsset fonts[_PDF_FONT_STYLE_MAX];
        PdfAsset icc;
        PdfCache *cache;
} PdfAssets;

/* What the documents of one PdfAssets derive from its files, once: the
 * fonts' faces (writers/pdf_face.h), the deflated ICC profile. */
PdfCache *pdf_cache_new(void);
PdfCache *pdf_cache_free(PdfCache *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(PdfCache *, pdf_cache_free);
/* The face of `style` in `assets` (made at the first call). */
int pdf_cache_face(PdfCache *c, const PdfAssets *assets, PdfFontStyle style, PdfFace **ret);
/* The compressor the documents' writers share (made at the first call;
 * NULL when it could not be: each writer then makes its own). */
struct libdeflate_compressor *pdf_cache_deflater(PdfCache *c);
/* The ICC profile of `assets`, deflated (at the first call). */
int pdf_cache_icc(PdfCache *c, const PdfAssets *assets, const char **ret, size_t *ret_size);

typedef enum PdfAlign {
        PDF_ALIGN_LEFT,
        PDF_ALIGN_CENTER,
        PDF_ALIGN_RIGHT,
} PdfAlign;

typedef struct PdfTextStyle {
        PdfFontStyle font;
        double size;    /* points */
        uint32_t color; /* 0xRRGGBB */
} PdfTextStyle;

/* PDF/A-3 associated file relationship (ISO 32000-2 §14.13). */
typedef enum PdfRelationship {
        PDF_AF_ALTERNATIVE, /* another form of the document: factur-x.xml */
        PDF_AF_SUPPLEMENT,  /* supplements it: the bilan report */
        PDF_AF_DATA,
        PDF_AF_SOURCE,
        _PDF_AF_MAX,
} PdfRelationship;

/* How an embedded file's bytes are stored. */
typedef enum PdfStorage {
        /* Deflated; a PDF (mime application/pdf), already compressed, is
         * ASCII base-85 encoded instead (pdf_writer_stream_ascii85()). */
        PDF_STORAGE_AUTO,
        /* As is: text that deflate would barely shrink, such as an XML
         * made mostly of the base64 of compressed files. */
        PDF_STORAGE_PLAIN,
} PdfStorage;

typedef struct PdfAttachment {
        const char *name;        /* file name, also the /EmbeddedFiles key */
        const char *description; /* /Desc */
        const char *mime;        /* "text/xml", "application/pdf" */
        PdfRelationship relationship;
        const void *data;
        size_t size;
        PdfStorage storage;
} PdfAttachment;

typedef struct PdfDocumentInfo {
        const char *title;   /* /Title and dc:title */
        const char *author;  /* /Author and dc:creator; may be NULL */
        const char *subject; /* /Subject and dc:description; may be NULL */
        Date date;           /* creation = modification date, at 00:00:00 UTC */
        const PdfAssets *assets; /* fonts and ICC profile; must outlive the document */
} PdfDocumentInfo;

typedef struct PdfDocument PdfDocument;

/* Sets the fonts up from info->assets. Returns 0, -EINVAL (no assets, or a
 * font that is not a usable TrueType font), -ENOMEM. */
int pdf_document_new(const PdfDocumentInfo *info, PdfDocument **ret);
PdfDocument *pdf_document_free(PdfDocument *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(PdfDocument *, pdf_document_free);

/* Starts a new A4 page; later drawing goes there. */
void pdf_document_add_page(PdfDocument *d);
/* Draws `utf8` across every page added from now on, diagonally, in a pale
 * colour under the page's content (a preview's « APERÇU — facture non
 * émise »). NULL or "" stops it. Returns 0 or -ENOMEM. */
int pdf_document_set_watermark(PdfDocument *d, const char *utf8);
size_t pdf_document_n_pages(const PdfDocument *d);

double pdf_document_text_width(PdfDocument *d, const PdfTextStyle *s, const char *utf8);
/* Draws one line of text with its baseline at y; x is its left edge,
 * centre or right edge according to `align`. */
void pdf_document_text(PdfDocument *d, const PdfTextStyle *s, double x, double y, PdfAlign align,
                       const char *utf8);
/* Breaks `utf8` into lines no wider than `width` (at spaces; a word wider
 * than the line is cut; '\n' starts a new line). Returns 0 and a
 * NULL-terminated list (strv_free()) with at least one line, or -ENOMEM
 * (also kept for pdf_document_render(), like a drawing error). */
int pdf_document_wrap(PdfDocument *d, const PdfTextStyle *s, const char *utf8, double width,
                      char ***ret_lines);
/* Wraps `utf8` to `width` and draws the lines from baseline y, `leading`
 * points apart. Returns the number of lines drawn (0 on error, kept for
 * pdf_document_render()). */
size_t pdf_document_paragraph(PdfDocument *d, const PdfTextStyle *s, double x, double y, double width,
                              double leading, const char *utf8);
/* Text for the drawing calls, formatted without a length limit (a fixed
 * buffer would cut long names and references). Returns a new string
 * (free()), or NULL after keeping -ENOMEM for pdf_document_render(); the
 * drawing calls take NULL as empty text. */
char *pdf_document_format(PdfDocument *d, const char *format, ...) _printf_(2, 3);
void pdf_document_fill_rect(PdfDocument *d, double x, double y, double w, double h, uint32_t color);
void pdf_document_line(PdfDocument *d, double x1, double y1, double x2, double y2, double width,
                       uint32_t color);

/* Embeds a file. The data is not copied (a bilan report and the XML that
 * carries it in base64 are most of a Factur-X's bytes): it must stay until
 * pdf_document_render() has returned. Names must be unique. */
int pdf_document_attach(PdfDocument *d, const PdfAttachment *a);
/* Extra rdf:Description elements for the XMP packet (already escaped XML),
 * e.g. the Factur-X extension schema and its fx: properties. */
int pdf_document_set_xmp_extra(PdfDocument *d, const char *rdf);

/* Numbers the pages (when more than one) and writes the file. Returns 0,
 * the first drawing error, -ENOENT/-EIO (ICC profile unreadable), -EFBIG or
 * -ENOMEM. */
int pdf_document_render(PdfDocument *d, char **ret, size_t *ret_size);

/* Escapes &, <, > and " for XML text and attribute values, and CR as a
 * character reference (a raw one would be read as LF). Returns a new
 * string or NULL. */
char *pdf_xml_escape(const char *s);
