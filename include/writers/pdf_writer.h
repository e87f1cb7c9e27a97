/* pdf_writer.h — the lowest layer of our PDF output: a growing byte buffer
 * with a sticky error, PDF lexical helpers (numbers, literal strings, dates)
 * and the object/stream/xref/trailer serialisation of ISO 32000-1 §7.
 *
 * Everything is written to memory (a PDF of ours is at most PDF_SIZE_MAX
 * bytes), deterministically: the same calls give the same bytes, the trailer
 * /ID is a hash of the body, and numbers never go through the C locale.
 * Pure: no I/O. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/date.h"
#include "base/macro.h"

#define PDF_SIZE_MAX ((size_t) 64 << 20) /* 64 MiB: far above a 10 000-entry bilan report */

/* A byte buffer whose first failure (-ENOMEM, -EFBIG past PDF_SIZE_MAX) is
 * kept in `error` and makes every later append a no-op, so that drawing code
 * can append freely and check once at the end. Zero-initialise it. */
typedef struct PdfBuffer {
        char *data;
        size_t size;
        size_t allocated;
        int error;
} PdfBuffer;

void pdf_buffer_append(PdfBuffer *b, const void *p, size_t n);
/* Room for n more bytes at the end, to be written directly and then
 * counted by adding to b->size; NULL after an error (kept in b). */
char *pdf_buffer_room(PdfBuffer *b, size_t n);
/* Inline so that the length of a literal is known when compiling. */
static inline void pdf_buffer_puts(PdfBuffer *b, const char *s) {
        pdf_buffer_append(b, s, strlen(s));
}
void pdf_buffer_printf(PdfBuffer *b, const char *format, ...) _printf_(2, 3);
/* A real number with at most 2 decimals, trailing zeros dropped: 12.5 → "12.5",
 * -0.004 → "0". Locale-independent. */
void pdf_buffer_number(PdfBuffer *b, double v);
/* Integers in decimal, and 4 upper-case hex digits ("004F"), without printf. */
void pdf_buffer_uint(PdfBuffer *b, unsigned long long v);
void pdf_buffer_int(PdfBuffer *b, long long v);
void pdf_buffer_hex4(PdfBuffer *b, unsigned v);
/* A PDF text string as a literal: printable ASCII as is (with \( \) \\
 * escapes), anything else as UTF-16BE with a BOM, byte-escaped. Invalid
 * UTF-8 becomes U+FFFD. */
void pdf_buffer_text_string(PdfBuffer *b, const char *utf8);
/* A PDF name, '/' included, with #xx escapes for anything outside the
 * regular characters: "text/xml" → "/text#2Fxml". */
void pdf_buffer_name(PdfBuffer *b, const char *name);
/* Returns the buffer's error, or 0. */
int pdf_buffer_error(const PdfBuffer *b);
void pdf_buffer_done(PdfBuffer *b);

/* Dates at 00:00:00 UTC of `d`: "D:20261210000000+00'00'" (PDF, §7.9.4) and
 * "2026-12-10T00:00:00+00:00" (XMP), the two forms PDF/A wants to agree. */
#define PDF_DATE_MAX 32
char *pdf_date(Date d, char buf[static PDF_DATE_MAX]);
char *pdf_xmp_date(Date d, char buf[static PDF_DATE_MAX]);

/* Decodes one UTF-8 sequence at *p, never reading at or past `end`, and
 * advances *p; invalid or truncated input yields U+FFFD and advances one
 * byte. The text need not be NUL-terminated. */
uint32_t pdf_utf8_next(const char **p, const char *end);

typedef struct PdfWriter PdfWriter;

/* Starts a PDF 1.7 file (header with the binary comment line). */
int pdf_writer_new(PdfWriter **ret);
PdfWriter *pdf_writer_free(PdfWriter *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(PdfWriter *, pdf_writer_free);

/* Makes room for a file of about `bytes` at once (an error is kept). */
void pdf_writer_expect(PdfWriter *w, size_t bytes);

/* A compressor at PDF_DEFLATE_LEVEL that several writers, one after the
 * other, may share (pdf_writer_share_deflater(); it must outlive them):
 * making one per document was 2 % of a bilan report (PdfCache keeps one).
 * NULL on -ENOMEM. */
struct libdeflate_compressor;
struct libdeflate_compressor *pdf_deflater_new(void);
void pdf_deflater_free(struct libdeflate_compressor *c);
void pdf_writer_share_deflater(PdfWriter *w, struct libdeflate_compressor *c);

/* Reserves the next object number (1, 2…) so that it can be referenced
 * before it is written. Returns 0 (and sets the sticky error) on -ENOMEM. */
uint32_t pdf_writer_reserve(PdfWriter *w);
/* Opens object `num` ("N 0 obj") and returns the buffer to write its
 * value into; pdf_writer_end_object() closes it. */
PdfBuffer *pdf_writer_begin_object(PdfWriter *w, uint32_t num);
void pdf_writer_end_object(PdfWriter *w);
/* The deflate level of the streams deflated per document (libdeflate's
 * scale, 1–12): level 6 costs a quarter of zlib 9's instructions for about
 * the same size (issue 14). Constant streams (ICC profile, font programs)
 * are deflated once per process at PDF_DEFLATE_LEVEL_ONCE: 6, not 12,
 * because a one-shot `chorusctl render` pays it every time (level 12 was
 * 5 ms of the 17 ms of CPU it took, for files 0.3 % smaller). */
#define PDF_DEFLATE_LEVEL 1
#define PDF_DEFLATE_LEVEL_ONCE 6

/* Writes a whole stream object: "<< DICT /Length n [/Filter /FlateDecode] >>
 * stream … endstream". `dict` holds the other entries (may be NULL).
 * `compress` deflates the data (libdeflate, PDF_DEFLATE_LEVEL). */
void pdf_writer_stream(PdfWriter *w, uint32_t num, const char *dict, const void *data, size_t size,
                       bool compress);
/* The same with data already deflated by pdf_deflate() (a cached stream). */
void pdf_writer_stream_deflated(PdfWriter *w, uint32_t num, const char *dict, const void *z, size_t size);
/* The same, the data ASCII base-85 encoded (/ASCII85Decode): for data
 * already compressed, such as a PDF to embed, that deflate would only cost
 * instructions (~48 a byte) to shrink by a tenth, and that must not appear
 * as is (its "N 0 obj" lines would be found by readers that scan a file for
 * objects). 25 % larger, ~10 instructions a byte. */
void pdf_writer_stream_ascii85(PdfWriter *w, uint32_t num, const char *dict, const void *data, size_t size);
/* Deflates `data` at `level` (zlib format, what /FlateDecode reads) into a
 * new buffer (free()). Returns 0, -EFBIG or -ENOMEM. */
int pdf_deflate(const void *data, size_t size, int level, char **ret, size_t *ret_size);

/* The 128 bits of a trailer /ID: two XXH64 of data, seeds 0 and another. */
void pdf_id_hash(const void *data, size_t n, uint64_t ret[static 2]);

/* Records `error` (< 0) as the writer's error unless one is already set;
 * 0 does nothing. */
void pdf_writer_fail(PdfWriter *w, int error);

/* Writes the cross-reference table and the trailer (/Root, /Info, /ID from
 * a 128-bit hash of the body, pdf_id_hash()) and hands the file over. Fails with the sticky
 * error, or -EINVAL if a reserved object was never written (a bug). */
int pdf_writer_finish(PdfWriter *w, uint32_t root, uint32_t info, char **ret, size_t *ret_size);
