/* invoice_xml.c — the XML serializer shared by the invoice writers (see
 * invoice_xml.h).
 *
 * One buffer, grown by doubling; names are copied, text is checked then
 * escaped in runs, base64 is encoded in place. The state machine is
 * libxml2's xmlTextWriter's with indentation on (xmlwriter.c, 2.9.14), so
 * that the bytes are the ones it wrote: a start tag stays open (in_tag)
 * until an attribute, text, a child or the end decides how it closes
 * ('>' then a new line before a child, '/>' when empty); an end tag is
 * indented only when the element held children (doindent). Pure: no I/O. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/identifiers.h"
#include "writers/invoice_xml.h"
#include "base/macro.h"
#include "base/money.h"

#define XML_DECLARATION "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define XML_INITIAL_SIZE 8192

/* Whether XML 1.0 (§2.2) can carry `s`: well-formed UTF-8 without C0
 * controls other than tab, LF and CR, and without U+FFFE/U+FFFF. The
 * validators refuse such text upstream: this is the last guard, for data
 * that came another way. */
static bool xml_text_is_valid(const char *s, size_t n) {
        for (size_t i = 0; i < n;) {
                uint32_t cp;
                size_t len;

                if ((unsigned char) s[i] >= 0x20 && (unsigned char) s[i] < 0x80) {
                        i++; /* the common case: printable ASCII */
                        continue;
                }
                len = utf8_decode(s + i, n - i, &cp);
                if (len == 0 || (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xFFFE ||
                    cp == 0xFFFF)
                        return false;
                i += len;
        }
        return true;
}

/* Makes room for `n` more bytes and the final NUL; false (sticky
 * -ENOMEM) if not. The NUL is written by xml_out_finish() only. */
static bool xml_grow(XmlOut *o, size_t n) {
        size_t need, a;
        char *p;

        if (o->r != 0)
                return false;
        if (n > SIZE_MAX - o->size - 1) {
                o->r = -ENOMEM;
                return false;
        }
        need = o->size + n + 1;
        a = o->allocated ? o->allocated : XML_INITIAL_SIZE;
        while (a < need)
                a = a > SIZE_MAX / 2 ? need : a * 2;
        p = realloc(o->data, a);
        if (!p) {
                o->r = -ENOMEM;
                return false;
        }
        o->data = p;
        o->allocated = a;
        return true;
}

static inline bool xml_reserve(XmlOut *o, size_t n) {
        return (o->r == 0 && n < o->allocated - o->size) || xml_grow(o, n);
}

static inline void xml_put(XmlOut *o, const char *s, size_t n) {
        if (!xml_reserve(o, n))
                return;
        memcpy(o->data + o->size, s, n);
        o->size += n;
}

static void xml_puts(XmlOut *o, const char *s) {
        xml_put(o, s, strlen(s));
}

static inline void xml_putc(XmlOut *o, char c) {
        if (!xml_reserve(o, 1))
                return;
        o->data[o->size++] = c;
}

/* libxml2's xmlTextWriterWriteIndent: one indent ("  ") per open element
 * but the innermost. */
static void xml_indent(XmlOut *o) {
        size_t n = o->depth > 1 ? 2 * (o->depth - 1) : 0;

        if (!xml_reserve(o, n))
                return;
        memset(o->data + o->size, ' ', n);
        o->size += n;
}

/* The bytes that need a replacement: in text, those libxml2's
 * xmlEncodeSpecialChars replaces; in attribute values, those its
 * xmlBufAttrSerializeTxtContent replaces (tab and LF too). Every other
 * byte, UTF-8 sequences included, is copied. */
static const bool xml_special_text[256] = {['<'] = true, ['>'] = true, ['&'] = true, ['"'] = true, ['\r'] = true};
static const bool xml_special_attr[256] = {['<'] = true, ['>'] = true, ['&'] = true, ['"'] = true, ['\r'] = true,
                                           ['\n'] = true, ['\t'] = true};

static const char *xml_replacement(unsigned char c) {
        switch (c) {
        case '<':
                return "&lt;";
        case '>':
                return "&gt;";
        case '&':
                return "&amp;";
        case '"':
                return "&quot;";
        case '\r':
                return "&#13;";
        case '\n':
                return "&#10;";
        default: /* '\t' */
                return "&#9;";
        }
}

/* Checks `s` (-EINVAL, sticky, if XML cannot carry it), then writes it
 * escaped, copying the runs between replacements in one go. */
static void xml_put_escaped(XmlOut *o, const char *s, const bool special[static 256]) {
        size_t n, run = 0;

        if (o->r != 0)
                return;
        if (!s) {
                o->r = -EINVAL;
                return;
        }
        n = strlen(s);
        if (!xml_text_is_valid(s, n)) {
                o->r = -EINVAL;
                return;
        }
        for (size_t i = 0; i < n; i++) {
                if (!special[(unsigned char) s[i]])
                        continue;
                xml_put(o, s + run, i - run);
                xml_puts(o, xml_replacement((unsigned char) s[i]));
                run = i + 1;
        }
        xml_put(o, s + run, n - run);
}

/* Closes a start tag still open before content: '>' (libxml2's
 * xmlTextWriterHandleStateDependencies). */
static void xml_close_tag(XmlOut *o) {
        if (o->in_tag) {
                xml_putc(o, '>');
                o->in_tag = false;
        }
}

int xml_out_begin_sized(XmlOut *o, size_t hint) {
        *o = XML_OUT_INIT;
        o->doindent = true;
        if (hint > SIZE_MAX / 2 - XML_INITIAL_SIZE)
                hint = 0;
        if (!xml_reserve(o, hint + XML_INITIAL_SIZE))
                return o->r;
        xml_puts(o, XML_DECLARATION);
        return o->r;
}

int xml_out_begin(XmlOut *o) {
        return xml_out_begin_sized(o, 0);
}

void xml_out_done(XmlOut *o) {
        free(o->data);
        o->data = NULL;
        o->size = o->allocated = 0;
}

int xml_out_finish(XmlOut *o, char **ret, size_t *ret_size) {
        int r;

        /* As xmlTextWriterEndDocument: what is still open is closed. */
        while (o->r == 0 && o->depth > 0)
                xml_end(o);
        r = o->r;
        if (r < 0) {
                xml_out_done(o);
                return r;
        }
        o->data[o->size] = '\0'; /* room kept by xml_reserve() */
        *ret = TAKE_PTR(o->data);
        if (ret_size)
                *ret_size = o->size;
        xml_out_done(o);
        return 0;
}

void xml_start(XmlOut *o, const char *name) {
        if (o->r != 0)
                return;
        if (o->depth == XML_OUT_DEPTH_MAX) {
                o->r = -EIO;
                return;
        }
        if (o->in_tag) { /* the parent gets its first child */
                xml_put(o, ">\n", 2);
                o->in_tag = false;
        }
        o->open[o->depth++] = name;
        xml_indent(o);
        xml_putc(o, '<');
        xml_puts(o, name);
        o->in_tag = true;
}

void xml_end(XmlOut *o) {
        if (o->r != 0)
                return;
        if (o->depth == 0) {
                o->r = -EIO;
                return;
        }
        if (o->in_tag) {
                xml_put(o, "/>", 2);
                o->in_tag = false;
                o->doindent = true;
        } else {
                if (o->doindent)
                        xml_indent(o);
                o->doindent = true;
                xml_put(o, "</", 2);
                xml_puts(o, o->open[o->depth - 1]);
                xml_putc(o, '>');
        }
        xml_putc(o, '\n');
        o->depth--;
}

void xml_attr(XmlOut *o, const char *name, const char *value) {
        if (o->r == 0 && !o->in_tag)
                o->r = -EIO; /* libxml2 refuses an attribute after content */
        if (o->r != 0)
                return;
        xml_putc(o, ' ');
        xml_puts(o, name);
        xml_put(o, "=\"", 2);
        xml_put_escaped(o, value, xml_special_attr);
        xml_putc(o, '"');
}

/* Text content of the innermost element. */
static void xml_content(XmlOut *o, const char *text) {
        if (o->r != 0)
                return;
        if (!text) {
                o->r = -EINVAL;
                return;
        }
        xml_close_tag(o);
        o->doindent = false;
        xml_put_escaped(o, text, xml_special_text);
}

void xml_text_attr(XmlOut *o, const char *name, const char *attr, const char *value, const char *text) {
        xml_start(o, name);
        if (attr)
                xml_attr(o, attr, value);
        xml_content(o, text);
        xml_end(o);
}

void xml_text(XmlOut *o, const char *name, const char *text) {
        xml_text_attr(o, name, /* attr= */ NULL, NULL, text);
}

void xml_amount(XmlOut *o, const char *name, const char *currency, int64_t cents) {
        char buf[MONEY_DECIMAL_MAX];

        xml_text_attr(o, name, currency ? "currencyID" : NULL, currency, money_format(cents, buf));
}

void xml_quantity(XmlOut *o, const char *name, const char *unit, int64_t quantity) {
        char buf[32];

        (void) snprintf(buf, sizeof buf, "%" PRId64, quantity);
        xml_text_attr(o, name, unit ? "unitCode" : NULL, unit, buf);
}

void xml_date(XmlOut *o, const char *name, Date d) {
        char buf[DATE_STRING_MAX];

        xml_text(o, name, date_format(d, buf));
}

size_t xml_base64_size(size_t size) {
        return size > SIZE_MAX / 2 ? 0 : (size + 2) / 3 * 4;
}

/* The RFC 4648 alphabet as a constant expression, for the table below. */
#define B64(x) ((char) ((x) < 26 ? 'A' + (x) : (x) < 52 ? 'a' + (x) - 26 : (x) < 62 ? '0' + (x) - 52 : (x) == 62 ? '+' : '/'))
/* Two base64 digits for each 12-bit value: a group of three bytes is two
 * look-ups (half the work of one digit at a time). Built by the compiler. */
#define B64_PAIR(i) {B64((i) >> 6), B64((i) & 63)}
#define B64_4(i) B64_PAIR(i), B64_PAIR((i) + 1), B64_PAIR((i) + 2), B64_PAIR((i) + 3)
#define B64_16(i) B64_4(i), B64_4((i) + 4), B64_4((i) + 8), B64_4((i) + 12)
#define B64_64(i) B64_16(i), B64_16((i) + 16), B64_16((i) + 32), B64_16((i) + 48)
#define B64_256(i) B64_64(i), B64_64((i) + 64), B64_64((i) + 128), B64_64((i) + 192)
#define B64_1024(i) B64_256(i), B64_256((i) + 256), B64_256((i) + 512), B64_256((i) + 768)
static const char base64_pairs[4096][2] = {B64_1024(0), B64_1024(1024), B64_1024(2048), B64_1024(3072)};

/* RFC 4648 base64 of `in` at `out` (xml_base64_size(size) bytes), '='
 * padded. Nothing in the alphabet needs escaping in XML. */
static void base64_encode(char *restrict out, const unsigned char *restrict in, size_t size) {
        size_t i = 0;

        for (; i + 3 <= size; i += 3) {
                uint32_t v = (uint32_t) in[i] << 16 | (uint32_t) in[i + 1] << 8 | in[i + 2];

                memcpy(out, base64_pairs[v >> 12], 2);
                memcpy(out + 2, base64_pairs[v & 0xfff], 2);
                out += 4;
        }
        if (i < size) {
                uint32_t v = (uint32_t) in[i] << 16 | (i + 1 < size ? (uint32_t) in[i + 1] << 8 : 0);

                memcpy(out, base64_pairs[v >> 12], 2);
                out[2] = i + 1 < size ? base64_pairs[v & 0xfff][0] : '=';
                out[3] = '=';
        }
}

void xml_binary(XmlOut *o, const char *name, const char *mime, const char *filename,
                const void *data, size_t size) {
        size_t n;

        if (o->r != 0)
                return;
        /* The limit the writer always had (EVP_EncodeBlock's int). */
        if (size > (size_t) INT_MAX / 4 * 3 - 3) {
                o->r = -EFBIG;
                return;
        }
        xml_start(o, name);
        xml_attr(o, "mimeCode", mime);
        xml_attr(o, "filename", filename);
        xml_close_tag(o);
        o->doindent = false;
        n = (size + 2) / 3 * 4;
        if (xml_reserve(o, n)) {
                base64_encode(o->data + o->size, data, size);
                o->size += n;
        }
        xml_end(o);
}
