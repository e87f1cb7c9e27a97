/* pdf_writer.c — PDF serialisation to memory (see pdf_writer.h).
 *
 * Owns one PdfBuffer (the file being written) and the byte offset of every
 * object, by number, for the cross-reference table. Objects may be written
 * in any order once reserved. Errors are sticky: the first -ENOMEM/-EFBIG
 * stops all output and pdf_writer_finish() returns it. Streams are deflated
 * with zlib at a fixed level, so output is byte-for-byte reproducible. */
#include <assert.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/identifiers.h"
#include "base/macro.h"
#include "writers/pdf_writer.h"

struct PdfWriter {
        PdfBuffer out;
        size_t *offsets; /* offsets[num]: where "num 0 obj" starts; 0 = not written yet */
        uint32_t n_objects; /* numbers 1..n_objects are reserved */
        size_t allocated;
        bool in_object;
};

/* ---------------------------------------------------------------- buffer */

static bool buffer_reserve(PdfBuffer *b, size_t n) {
        size_t want;
        char *p;

        if (b->error < 0)
                return false;
        if (n > PDF_SIZE_MAX || b->size > PDF_SIZE_MAX - n) {
                b->error = -EFBIG;
                return false;
        }
        want = b->size + n;
        if (want <= b->allocated)
                return true;
        if (want < 4096)
                want = 4096;
        if (want < b->allocated * 2)
                want = b->allocated * 2;
        if (want > PDF_SIZE_MAX + 1)
                want = PDF_SIZE_MAX + 1;
        p = realloc(b->data, want);
        if (!p) {
                b->error = -ENOMEM;
                return false;
        }
        b->data = p;
        b->allocated = want;
        return true;
}

void pdf_buffer_append(PdfBuffer *b, const void *p, size_t n) {
        if (n == 0 || !buffer_reserve(b, n))
                return;
        memcpy(b->data + b->size, p, n);
        b->size += n;
}

void pdf_buffer_puts(PdfBuffer *b, const char *s) {
        pdf_buffer_append(b, s, strlen(s));
}

void pdf_buffer_printf(PdfBuffer *b, const char *format, ...) {
        va_list ap;
        int n;

        if (b->error < 0)
                return;
        va_start(ap, format);
        n = vsnprintf(NULL, 0, format, ap);
        va_end(ap);
        if (n < 0) {
                b->error = -EINVAL;
                return;
        }
        /* +1 for vsnprintf's NUL, which we then drop from the size. */
        if (!buffer_reserve(b, (size_t) n + 1))
                return;
        va_start(ap, format);
        vsnprintf(b->data + b->size, (size_t) n + 1, format, ap);
        va_end(ap);
        b->size += (size_t) n;
}

void pdf_buffer_number(PdfBuffer *b, double v) {
        long long h = (long long) (v * 100.0 + (v < 0 ? -0.5 : 0.5));
        unsigned long long a = h < 0 ? (unsigned long long) -h : (unsigned long long) h;
        unsigned frac = (unsigned) (a % 100);

        if (h < 0)
                pdf_buffer_puts(b, "-");
        pdf_buffer_printf(b, "%llu", a / 100);
        if (frac == 0)
                return;
        if (frac % 10 == 0)
                pdf_buffer_printf(b, ".%u", frac / 10);
        else
                pdf_buffer_printf(b, ".%02u", frac);
}

uint32_t pdf_utf8_next(const char **p, const char *end) {
        uint32_t cp;
        size_t len = utf8_decode(*p, (size_t) (end - *p), &cp);

        if (len == 0) {
                *p += 1;
                return 0xFFFD;
        }
        *p += len;
        return cp;
}

static void append_string_byte(PdfBuffer *b, unsigned char c) {
        if (c == '(' || c == ')' || c == '\\')
                pdf_buffer_printf(b, "\\%c", c);
        else if (c < 0x20 || c > 0x7E)
                pdf_buffer_printf(b, "\\%03o", c);
        else
                pdf_buffer_append(b, &c, 1);
}

static void append_utf16be(PdfBuffer *b, uint32_t cp) {
        if (cp >= 0x10000) {
                uint32_t v = cp - 0x10000;
                append_utf16be(b, 0xD800 | (v >> 10));
                append_utf16be(b, 0xDC00 | (v & 0x3FF));
                return;
        }
        append_string_byte(b, (unsigned char) (cp >> 8));
        append_string_byte(b, (unsigned char) (cp & 0xFF));
}

void pdf_buffer_text_string(PdfBuffer *b, const char *utf8) {
        bool ascii = true;

        for (const char *s = utf8; *s; s++)
                if ((unsigned char) *s < 0x20 || (unsigned char) *s > 0x7E)
                        ascii = false;
        pdf_buffer_puts(b, "(");
        if (ascii)
                for (const char *s = utf8; *s; s++)
                        append_string_byte(b, (unsigned char) *s);
        else {
                const char *end = utf8 + strlen(utf8);

                append_utf16be(b, 0xFEFF);
                for (const char *s = utf8; s < end;)
                        append_utf16be(b, pdf_utf8_next(&s, end));
        }
        pdf_buffer_puts(b, ")");
}

void pdf_buffer_name(PdfBuffer *b, const char *name) {
        pdf_buffer_puts(b, "/");
        for (const unsigned char *s = (const unsigned char *) name; *s; s++)
                if (*s <= 0x20 || *s >= 0x7F || strchr("#%()<>[]{}/", *s))
                        pdf_buffer_printf(b, "#%02X", *s);
                else
                        pdf_buffer_append(b, s, 1);
}

int pdf_buffer_error(const PdfBuffer *b) {
        return b->error < 0 ? b->error : 0;
}

void pdf_buffer_done(PdfBuffer *b) {
        free(b->data);
        *b = (PdfBuffer) {};
}

char *pdf_date(Date d, char buf[static PDF_DATE_MAX]) {
        snprintf(buf, PDF_DATE_MAX, "D:%04d%02d%02d000000+00'00'", d.year, d.month, d.day);
        return buf;
}

char *pdf_xmp_date(Date d, char buf[static PDF_DATE_MAX]) {
        snprintf(buf, PDF_DATE_MAX, "%04d-%02d-%02dT00:00:00+00:00", d.year, d.month, d.day);
        return buf;
}

/* ---------------------------------------------------------------- writer */

int pdf_writer_new(PdfWriter **ret) {
        PdfWriter *w;

        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        /* The comment with four bytes above 127 tells transfer programs the
         * file is binary (ISO 32000-1 §7.5.2; PDF/A requires it). */
        pdf_buffer_puts(&w->out, "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n");
        if (w->out.error < 0) {
                int r = w->out.error;
                pdf_writer_free(w);
                return r;
        }
        *ret = w;
        return 0;
}

PdfWriter *pdf_writer_free(PdfWriter *w) {
        if (!w)
                return NULL;
        pdf_buffer_done(&w->out);
        free(w->offsets);
        free(w);
        return NULL;
}

uint32_t pdf_writer_reserve(PdfWriter *w) {
        if (w->out.error < 0)
                return 0;
        if ((size_t) w->n_objects + 2 > w->allocated) {
                size_t n = w->allocated ? w->allocated * 2 : 64;
                size_t *p = realloc(w->offsets, n * sizeof(*p));
                if (!p) {
                        w->out.error = -ENOMEM;
                        return 0;
                }
                memset(p + w->allocated, 0, (n - w->allocated) * sizeof(*p));
                w->offsets = p;
                w->allocated = n;
        }
        return ++w->n_objects;
}

PdfBuffer *pdf_writer_begin_object(PdfWriter *w, uint32_t num) {
        assert(!w->in_object);
        if (num == 0 || num > w->n_objects || w->offsets[num] != 0) {
                /* Unreserved or written twice: a bug of the caller, or an
                 * earlier reservation that failed (error already set). */
                pdf_writer_fail(w, -EINVAL);
        } else
                w->offsets[num] = w->out.size;
        w->in_object = true;
        pdf_buffer_printf(&w->out, "%u 0 obj\n", num);
        return &w->out;
}

void pdf_writer_end_object(PdfWriter *w) {
        assert(w->in_object);
        w->in_object = false;
        pdf_buffer_puts(&w->out, "\nendobj\n");
}

static int deflate_data(const void *data, size_t size, unsigned char **ret, size_t *ret_size) {
        _cleanup_(freep) unsigned char *z = NULL;
        uLongf n;

        if (size > PDF_SIZE_MAX)
                return -EFBIG;
        n = compressBound((uLong) size);
        z = malloc(n);
        if (!z)
                return -ENOMEM;
        if (compress2(z, &n, data, (uLong) size, Z_BEST_COMPRESSION) != Z_OK)
                return -ENOMEM; /* compress2 fails only for lack of memory here */
        *ret = TAKE_PTR(z);
        *ret_size = n;
        return 0;
}

void pdf_writer_stream(PdfWriter *w, uint32_t num, const char *dict, const void *data, size_t size,
                       bool compress) {
        _cleanup_(freep) unsigned char *z = NULL;
        PdfBuffer *b;
        size_t n = size;
        int r;

        if (compress) {
                r = deflate_data(data, size, &z, &n);
                if (r < 0) {
                        pdf_writer_fail(w, r);
                        return;
                }
                data = z;
        }
        b = pdf_writer_begin_object(w, num);
        pdf_buffer_printf(b, "<<%s%s /Length %zu%s >>\nstream\n", dict ? " " : "", strempty(dict), n,
                          compress ? " /Filter /FlateDecode" : "");
        pdf_buffer_append(b, data, n);
        pdf_buffer_puts(b, "\nendstream");
        pdf_writer_end_object(w);
}

void pdf_writer_fail(PdfWriter *w, int error) {
        if (error < 0 && w->out.error == 0)
                w->out.error = error;
}

static int body_id(const PdfBuffer *b, char hex[static 33]) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned len = 0;

        if (EVP_Digest(b->data, b->size, md, &len, EVP_sha256(), NULL) != 1 || len < 16)
                return -EIO;
        for (unsigned i = 0; i < 16; i++)
                snprintf(hex + 2 * i, 3, "%02X", md[i]);
        return 0;
}

int pdf_writer_finish(PdfWriter *w, uint32_t root, uint32_t info, char **ret, size_t *ret_size) {
        char id[33];
        size_t xref;
        int r;

        assert(!w->in_object);
        if (w->out.error < 0)
                return w->out.error;
        for (uint32_t i = 1; i <= w->n_objects; i++)
                if (w->offsets[i] == 0)
                        return -EINVAL;
        /* The /ID is derived from the content, so identical input gives an
         * identical file (ISO 32000-1 §14.4 only asks for uniqueness). */
        r = body_id(&w->out, id);
        if (r < 0)
                return r;
        xref = w->out.size;
        pdf_buffer_printf(&w->out, "xref\n0 %u\n0000000000 65535 f \n", w->n_objects + 1);
        for (uint32_t i = 1; i <= w->n_objects; i++)
                pdf_buffer_printf(&w->out, "%010zu 00000 n \n", w->offsets[i]);
        pdf_buffer_printf(&w->out, "trailer\n<< /Size %u /Root %u 0 R", w->n_objects + 1, root);
        if (info > 0)
                pdf_buffer_printf(&w->out, " /Info %u 0 R", info);
        pdf_buffer_printf(&w->out, " /ID [<%s> <%s>] >>\nstartxref\n%zu\n%%%%EOF\n", id, id, xref);
        if (w->out.error < 0)
                return w->out.error;
        *ret_size = w->out.size;
        *ret = TAKE_PTR(w->out.data);
        w->out = (PdfBuffer) {};
        return 0;
}
