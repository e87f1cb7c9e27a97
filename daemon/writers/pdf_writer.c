/* pdf_writer.c — PDF serialisation to memory (see pdf_writer.h).
 *
 * Owns one PdfBuffer (the file being written) and the byte offset of every
 * object, by number, for the cross-reference table. Objects may be written
 * in any order once reserved. Errors are sticky: the first -ENOMEM/-EFBIG
 * stops all output and pdf_writer_finish() returns it. Streams are deflated
 * by libdeflate at a fixed level, so output is byte-for-byte reproducible.
 * Numbers and operators are formatted by hand: vsnprintf() was a sixth of
 * a Factur-X's instructions (issue 14). */
#include <assert.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libdeflate.h>

#include "base/identifiers.h"
#include "base/macro.h"
#include "writers/pdf_writer.h"

struct PdfWriter {
        PdfBuffer out;
        size_t *offsets; /* offsets[num]: where "num 0 obj" starts; 0 = not written yet */
        uint32_t n_objects; /* numbers 1..n_objects are reserved */
        size_t allocated;
        bool in_object;
        struct libdeflate_compressor *deflater; /* made at the first compressed stream, or shared */
        bool owns_deflater;
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
        /* Most appends are a few bytes into room already there: no call
         * to realloc() or memcpy() for them (issue 14). */
        if (b->error == 0 && n <= 16 && b->allocated - b->size >= n) {
                const char *s = p;
                char *d = b->data + b->size;

                for (size_t i = 0; i < n; i++)
                        d[i] = s[i];
                b->size += n;
                return;
        }
        if (n == 0 || !buffer_reserve(b, n))
                return;
        memcpy(b->data + b->size, p, n);
        b->size += n;
}

char *pdf_buffer_room(PdfBuffer *b, size_t n) {
        return buffer_reserve(b, n) ? b->data + b->size : NULL;
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

void pdf_buffer_uint(PdfBuffer *b, unsigned long long v) {
        char buf[24], *p = buf + sizeof(buf);

        do
                *--p = (char) ('0' + v % 10);
        while ((v /= 10) > 0);
        pdf_buffer_append(b, p, (size_t) (buf + sizeof(buf) - p));
}

void pdf_buffer_int(PdfBuffer *b, long long v) {
        if (v < 0) {
                pdf_buffer_append(b, "-", 1);
                pdf_buffer_uint(b, 0ULL - (unsigned long long) v);
        } else
                pdf_buffer_uint(b, (unsigned long long) v);
}

void pdf_buffer_number(PdfBuffer *b, double v) {
        long long h = (long long) (v * 100.0 + (v < 0 ? -0.5 : 0.5));
        unsigned long long a = h < 0 ? (unsigned long long) -h : (unsigned long long) h, units = a / 100;
        unsigned frac = (unsigned) (a % 100);
        char buf[32], *end = buf + sizeof(buf), *p = end;

        /* Built from the right, appended once: a page has thousands. */
        if (frac != 0) {
                if (frac % 10 != 0)
                        *--p = (char) ('0' + frac % 10);
                *--p = (char) ('0' + frac / 10);
                *--p = '.';
        }
        do
                *--p = (char) ('0' + units % 10);
        while ((units /= 10) > 0);
        if (h < 0)
                *--p = '-';
        pdf_buffer_append(b, p, (size_t) (end - p));
}

void pdf_buffer_hex4(PdfBuffer *b, unsigned v) {
        static const char hex[] = "0123456789ABCDEF";
        char h[4] = { hex[(v >> 12) & 0xF], hex[(v >> 8) & 0xF], hex[(v >> 4) & 0xF], hex[v & 0xF] };

        pdf_buffer_append(b, h, 4);
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
        if (c == '(' || c == ')' || c == '\\') {
                char e[2] = { '\\', (char) c };
                pdf_buffer_append(b, e, 2);
        } else if (c < 0x20 || c > 0x7E) {
                char e[4] = { '\\', (char) ('0' + (c >> 6)), (char) ('0' + ((c >> 3) & 7)), (char) ('0' + (c & 7)) };
                pdf_buffer_append(b, e, 4);
        } else
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
                if (*s <= 0x20 || *s >= 0x7F || strchr("#%()<>[]{}/", *s)) {
                        static const char hex[] = "0123456789ABCDEF";
                        char e[3] = { '#', hex[*s >> 4], hex[*s & 0xF] };
                        pdf_buffer_append(b, e, 3);
                } else
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

void pdf_writer_expect(PdfWriter *w, size_t bytes) {
        /* Only a hint: a size past the limit is left to the writes to refuse. */
        if (bytes <= PDF_SIZE_MAX - w->out.size)
                (void) buffer_reserve(&w->out, bytes);
}

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

struct libdeflate_compressor *pdf_deflater_new(void) {
        return libdeflate_alloc_compressor(PDF_DEFLATE_LEVEL);
}

void pdf_deflater_free(struct libdeflate_compressor *c) {
        if (c)
                libdeflate_free_compressor(c);
}

void pdf_writer_share_deflater(PdfWriter *w, struct libdeflate_compressor *c) {
        if (!w->deflater && c)
                w->deflater = c;
}

PdfWriter *pdf_writer_free(PdfWriter *w) {
        if (!w)
                return NULL;
        pdf_buffer_done(&w->out);
        free(w->offsets);
        if (w->owns_deflater)
                libdeflate_free_compressor(w->deflater);
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
        pdf_buffer_uint(&w->out, num);
        pdf_buffer_puts(&w->out, " 0 obj\n");
        return &w->out;
}

void pdf_writer_end_object(PdfWriter *w) {
        assert(w->in_object);
        w->in_object = false;
        pdf_buffer_puts(&w->out, "\nendobj\n");
}

/* Deflates into `out` (appended), in the zlib format /FlateDecode reads. */
static int deflate_append(struct libdeflate_compressor *c, const void *data, size_t size, PdfBuffer *out) {
        size_t bound, n;

        if (size > PDF_SIZE_MAX)
                return -EFBIG;
        bound = libdeflate_zlib_compress_bound(c, size);
        if (!buffer_reserve(out, bound))
                return out->error;
        n = libdeflate_zlib_compress(c, data, size, out->data + out->size, bound);
        if (n == 0)
                return -ENOMEM; /* cannot happen with a bound-sized buffer */
        out->size += n;
        return 0;
}

int pdf_deflate(const void *data, size_t size, int level, char **ret, size_t *ret_size) {
        struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
        PdfBuffer z = {};
        int r;

        if (!c)
                return -ENOMEM;
        r = deflate_append(c, data, size, &z);
        libdeflate_free_compressor(c);
        if (r < 0) {
                pdf_buffer_done(&z);
                return r;
        }
        *ret = z.data ? z.data : strdup("");
        *ret_size = z.size;
        return *ret ? 0 : -ENOMEM;
}

static void stream_header(PdfWriter *w, uint32_t num, const char *dict, size_t n, const char *filter) {
        PdfBuffer *b = pdf_writer_begin_object(w, num);

        pdf_buffer_puts(b, "<<");
        if (dict) {
                pdf_buffer_puts(b, " ");
                pdf_buffer_puts(b, dict);
        }
        pdf_buffer_puts(b, " /Length ");
        pdf_buffer_uint(b, n);
        if (filter) {
                pdf_buffer_puts(b, " /Filter /");
                pdf_buffer_puts(b, filter);
        }
        pdf_buffer_puts(b, " >>\nstream\n");
}

static void stream_end(PdfWriter *w) {
        pdf_buffer_puts(&w->out, "\nendstream");
        pdf_writer_end_object(w);
}

void pdf_writer_stream(PdfWriter *w, uint32_t num, const char *dict, const void *data, size_t size,
                       bool compress) {
        PdfBuffer z = {};
        int r;

        if (!compress) {
                stream_header(w, num, dict, size, NULL);
                pdf_buffer_append(&w->out, data, size);
                stream_end(w);
                return;
        }
        if (!w->deflater) {
                w->deflater = libdeflate_alloc_compressor(PDF_DEFLATE_LEVEL);
                if (!w->deflater) {
                        pdf_writer_fail(w, -ENOMEM);
                        return;
                }
                w->owns_deflater = true;
        }
        r = deflate_append(w->deflater, data, size, &z);
        if (r < 0)
                pdf_writer_fail(w, r);
        else
                pdf_writer_stream_deflated(w, num, dict, z.data, z.size);
        pdf_buffer_done(&z);
}

void pdf_writer_stream_deflated(PdfWriter *w, uint32_t num, const char *dict, const void *z, size_t size) {
        stream_header(w, num, dict, size, "FlateDecode");
        pdf_buffer_append(&w->out, z, size);
        stream_end(w);
}

/* ASCII base-85 (ISO 32000-1 §7.4.3): 4 bytes as 5 characters '!'..'u', a
 * last group of n bytes as n + 1 characters, then "~>"; a line break every
 * 80 characters, which the filter ignores. Written straight into `out`,
 * which has room for 5: the division by a constant is a multiplication. */
static char *ascii85_group(const unsigned char *in, size_t n, char *out) {
        uint32_t v = (uint32_t) in[0] << 24;

        if (n > 1)
                v |= (uint32_t) in[1] << 16;
        if (n > 2)
                v |= (uint32_t) in[2] << 8;
        if (n > 3)
                v |= in[3];
        /* Unrolled: one multiplication per digit gives quotient and rest. */
        out[4] = (char) ('!' + v % 85);
        v /= 85;
        out[3] = (char) ('!' + v % 85);
        v /= 85;
        out[2] = (char) ('!' + v % 85);
        v /= 85;
        out[1] = (char) ('!' + v % 85);
        out[0] = (char) ('!' + v / 85);
        return out + n + 1;
}

void pdf_writer_stream_ascii85(PdfWriter *w, uint32_t num, const char *dict, const void *data, size_t size) {
        const unsigned char *in = data;
        size_t groups = (size + 3) / 4, length;
        char *p;

        /* The exact length first (/Length precedes the data): full groups of
         * 5, the last of n + 1, a line break after every 16th, then "~>". */
        length = size == 0 ? 2 : (groups - 1) * 5 + (size - (groups - 1) * 4) + 1 + groups / 16 + 2;
        stream_header(w, num, dict, length, "ASCII85Decode");
        /* +4: the last group writes 5 characters even when it keeps fewer. */
        p = pdf_buffer_room(&w->out, length + 4);
        if (!p)
                return;
        for (size_t g = 0, line = 0; g < groups; g++) {
                p = ascii85_group(in + g * 4, g + 1 < groups ? 4 : size - g * 4, p);
                if (++line == 16) {
                        *p++ = '\n';
                        line = 0;
                }
        }
        *p++ = '~';
        *p++ = '>';
        assert((size_t) (p - (w->out.data + w->out.size)) == length);
        w->out.size += length;
        stream_end(w);
}

void pdf_writer_fail(PdfWriter *w, int error) {
        if (error < 0 && w->out.error == 0)
                w->out.error = error;
}

/* ---------------------------------------------------------------- /ID */

/* The /ID only has to tell files apart (ISO 32000-1 §14.4) and to be the
 * same for the same bytes; SHA-256 was 3 % of a Factur-X's instructions.
 * Two XXH64 (Yann Collet's, public domain algorithm) of the body with
 * different seeds, computed in one pass, give 128 bits. */
#define P1 UINT64_C(0x9E3779B185EBCA87)
#define P2 UINT64_C(0xC2B2AE3D27D4EB4F)
#define P3 UINT64_C(0x165667B19E3779F9)
#define P4 UINT64_C(0x85EBCA77C2B2AE63)
#define P5 UINT64_C(0x27D4EB2F165667C5)

static uint64_t rotl64(uint64_t x, unsigned r) {
        return (x << r) | (x >> (64 - r));
}

static uint64_t le64(const unsigned char *p) {
        uint64_t v;

        memcpy(&v, p, sizeof(v));
        return le64toh(v);
}

static uint64_t le32(const unsigned char *p) {
        uint32_t v;

        memcpy(&v, p, sizeof(v));
        return le32toh(v);
}

static uint64_t xxh_round(uint64_t acc, uint64_t input) {
        return rotl64(acc + input * P2, 31) * P1;
}

static uint64_t xxh_merge(uint64_t acc, uint64_t v) {
        return (acc ^ xxh_round(0, v)) * P1 + P4;
}

/* XXH64 of p[0..n) from lanes v[] (already fed every whole 32-byte stripe
 * below `stripes_end`), finishing with the tail. */
static uint64_t xxh_finish(const uint64_t v[4], uint64_t seed, const unsigned char *p, size_t n,
                           size_t stripes_end) {
        uint64_t h;
        size_t i = stripes_end;

        if (n >= 32) {
                h = rotl64(v[0], 1) + rotl64(v[1], 7) + rotl64(v[2], 12) + rotl64(v[3], 18);
                for (unsigned k = 0; k < 4; k++)
                        h = xxh_merge(h, v[k]);
        } else
                h = seed + P5;
        h += (uint64_t) n;
        for (; i + 8 <= n; i += 8)
                h = rotl64(h ^ xxh_round(0, le64(p + i)), 27) * P1 + P4;
        if (i + 4 <= n) {
                h = rotl64(h ^ (le32(p + i) * P1), 23) * P2 + P3;
                i += 4;
        }
        for (; i < n; i++)
                h = rotl64(h ^ (p[i] * P5), 11) * P1;
        h ^= h >> 33;
        h *= P2;
        h ^= h >> 29;
        h *= P3;
        h ^= h >> 32;
        return h;
}

void pdf_id_hash(const void *data, size_t n, uint64_t ret[static 2]) {
        static const uint64_t seeds[2] = { 0, UINT64_C(0x636886F7A5E3B1C9) };
        const unsigned char *p = data;
        uint64_t v[2][4];
        size_t i = 0;

        for (unsigned s = 0; s < 2; s++) {
                v[s][0] = seeds[s] + P1 + P2;
                v[s][1] = seeds[s] + P2;
                v[s][2] = seeds[s];
                v[s][3] = seeds[s] - P1;
        }
        for (; i + 32 <= n; i += 32)
                for (unsigned k = 0; k < 4; k++) {
                        uint64_t x = le64(p + i + 8 * k);
                        v[0][k] = xxh_round(v[0][k], x);
                        v[1][k] = xxh_round(v[1][k], x);
                }
        for (unsigned s = 0; s < 2; s++)
                ret[s] = xxh_finish(v[s], seeds[s], p, n, i);
}

static void body_id(const PdfBuffer *b, char hex[static 33]) {
        static const char digits[] = "0123456789ABCDEF";
        uint64_t h[2];

        pdf_id_hash(b->data, b->size, h);
        for (unsigned i = 0; i < 32; i++)
                hex[i] = digits[(h[i / 16] >> (60 - 4 * (i % 16))) & 0xF];
        hex[32] = 0;
}

/* "0000012345 00000 n \n" */
static void xref_entry(PdfBuffer *b, size_t offset) {
        char e[20];

        for (int i = 9; i >= 0; i--, offset /= 10)
                e[i] = (char) ('0' + offset % 10);
        memcpy(e + 10, " 00000 n \n", 10);
        pdf_buffer_append(b, e, 20);
}

int pdf_writer_finish(PdfWriter *w, uint32_t root, uint32_t info, char **ret, size_t *ret_size) {
        char id[33];
        size_t xref;

        assert(!w->in_object);
        if (w->out.error < 0)
                return w->out.error;
        for (uint32_t i = 1; i <= w->n_objects; i++)
                if (w->offsets[i] == 0)
                        return -EINVAL;
        /* The /ID is derived from the content, so identical input gives an
         * identical file (ISO 32000-1 §14.4 only asks for uniqueness). */
        body_id(&w->out, id);
        xref = w->out.size;
        pdf_buffer_printf(&w->out, "xref\n0 %u\n0000000000 65535 f \n", w->n_objects + 1);
        for (uint32_t i = 1; i <= w->n_objects; i++)
                xref_entry(&w->out, w->offsets[i]);
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
