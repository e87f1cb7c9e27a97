/* invoice_xml.c — libxml2 xmlTextWriter helpers shared by the invoice
 * writers (see invoice_xml.h).
 *
 * Owns the writer and its memory buffer until xml_out_finish() hands the
 * bytes over. Fails with a sticky -ENOMEM/-EIO: libxml2 reports a failed
 * write as a negative return without saying why, so anything that is not a
 * failed allocation of ours is -EIO; text that XML cannot carry is -EINVAL.
 * Pure: no I/O. */
#include <inttypes.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>

#include "base/identifiers.h"
#include "writers/invoice_xml.h"
#include "base/macro.h"
#include "base/money.h"

/* libxml2 takes const xmlChar * (unsigned char); BAD_CAST would drop const. */
#define XC(s) ((const xmlChar *) (s))

/* Whether XML 1.0 (§2.2) can carry `s`: well-formed UTF-8 without C0
 * controls other than tab, LF and CR, and without U+FFFE/U+FFFF.
 * libxml2's writer copies text as it is, so anything else would make the
 * document not well-formed. The validators refuse such text upstream: this
 * is the last guard, for data that came another way. */
static bool xml_text_is_valid(const char *s) {
        size_t n = strlen(s);

        for (size_t i = 0; i < n;) {
                uint32_t cp;
                size_t len = utf8_decode(s + i, n - i, &cp);

                if (len == 0 || (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xFFFE ||
                    cp == 0xFFFF)
                        return false;
                i += len;
        }
        return true;
}

/* Checks text before it is written: -EINVAL (sticky) when XML cannot carry
 * it. Returns true when the caller may go on. */
static bool xml_check_text(XmlOut *o, const char *s) {
        if (o->r == 0 && (!s || !xml_text_is_valid(s)))
                o->r = -EINVAL;
        return o->r == 0;
}

/* Records a libxml2 result; returns true when the caller may go on. */
static bool xml_ok(XmlOut *o, int lr) {
        if (lr < 0 && o->r == 0)
                o->r = -EIO;
        return o->r == 0;
}

int xml_out_begin(XmlOut *o) {
        *o = XML_OUT_INIT;
        o->buf = xmlBufferCreate();
        if (!o->buf)
                return (o->r = -ENOMEM);
        o->w = xmlNewTextWriterMemory(o->buf, /* compression= */ 0);
        if (!o->w) {
                xml_out_done(o);
                return (o->r = -ENOMEM);
        }
        (void) (xml_ok(o, xmlTextWriterSetIndent(o->w, 1)) &&
                xml_ok(o, xmlTextWriterSetIndentString(o->w, XC("  "))) &&
                xml_ok(o, xmlTextWriterStartDocument(o->w, "1.0", "UTF-8", NULL)));
        if (o->r < 0)
                xml_out_done(o);
        return o->r;
}

void xml_out_done(XmlOut *o) {
        if (o->w)
                xmlFreeTextWriter(o->w);
        if (o->buf)
                xmlBufferFree(o->buf);
        o->w = NULL;
        o->buf = NULL;
}

int xml_out_finish(XmlOut *o, char **ret, size_t *ret_size) {
        char *data;
        size_t size;
        int r;

        if (o->w && o->r == 0)
                (void) xml_ok(o, xmlTextWriterEndDocument(o->w));
        if (o->w) {
                /* Freeing the writer flushes what it still holds into buf. */
                xmlFreeTextWriter(o->w);
                o->w = NULL;
        }
        r = o->r;
        if (r < 0) {
                xml_out_done(o);
                return r;
        }
        size = (size_t) xmlBufferLength(o->buf);
        data = malloc(size + 1);
        if (!data) {
                xml_out_done(o);
                return -ENOMEM;
        }
        memcpy(data, xmlBufferContent(o->buf), size);
        data[size] = '\0';
        xml_out_done(o);
        *ret = data;
        if (ret_size)
                *ret_size = size;
        return 0;
}

void xml_start(XmlOut *o, const char *name) {
        if (o->r == 0)
                (void) xml_ok(o, xmlTextWriterStartElement(o->w, XC(name)));
}

void xml_end(XmlOut *o) {
        if (o->r == 0)
                (void) xml_ok(o, xmlTextWriterEndElement(o->w));
}

void xml_attr(XmlOut *o, const char *name, const char *value) {
        if (xml_check_text(o, value))
                (void) xml_ok(o, xmlTextWriterWriteAttribute(o->w, XC(name), XC(value)));
}

void xml_text_attr(XmlOut *o, const char *name, const char *attr, const char *value, const char *text) {
        xml_start(o, name);
        if (attr)
                xml_attr(o, attr, value);
        if (xml_check_text(o, text))
                (void) xml_ok(o, xmlTextWriterWriteString(o->w, XC(text)));
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

void xml_binary(XmlOut *o, const char *name, const char *mime, const char *filename,
                const void *data, size_t size) {
        _cleanup_(freep) unsigned char *b64 = NULL;

        if (o->r != 0)
                return;
        /* EVP_EncodeBlock takes an int and writes one line, no newlines:
         * xmlTextWriterWriteBase64 would break lines with CR LF. */
        if (size > (size_t) INT_MAX / 4 * 3 - 3) {
                o->r = -EFBIG;
                return;
        }
        b64 = malloc((size + 2) / 3 * 4 + 1);
        if (!b64) {
                o->r = -ENOMEM;
                return;
        }
        (void) EVP_EncodeBlock(b64, data, (int) size);

        xml_start(o, name);
        xml_attr(o, "mimeCode", mime);
        xml_attr(o, "filename", filename);
        if (o->r == 0)
                (void) xml_ok(o, xmlTextWriterWriteString(o->w, XC(b64)));
        xml_end(o);
}
