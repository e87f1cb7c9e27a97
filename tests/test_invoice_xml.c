/* test_invoice_xml.c — the invoice XML serializer writes the very bytes
 * libxml2's xmlTextWriter wrote (the writer it replaced, issue 14): the
 * same calls are made on both, with libxml2 set up as the old
 * invoice_xml.c set it up (indent "  ", UTF-8 declaration), over a fixed
 * tree and thousands of random ones whose text is made of everything that
 * needs escaping (< > & " ' CR LF tab, UTF-8 of 2, 3 and 4 bytes) and
 * whose attachments have every length modulo 3. Also the refusals. */
#include <criterion/criterion.h>
#include <libxml/xmlwriter.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "base/macro.h"
#include "writers/invoice_xml.h"

#define XC(s) ((const xmlChar *) (s))

/* The oracle: libxml2, called as the old invoice_xml.c called it. */
typedef struct Oracle {
        xmlBufferPtr buf;
        xmlTextWriterPtr w;
} Oracle;

static void oracle_begin(Oracle *x) {
        x->buf = xmlBufferCreate();
        x->w = xmlNewTextWriterMemory(x->buf, 0);
        cr_assert(x->buf && x->w);
        cr_assert_geq(xmlTextWriterSetIndent(x->w, 1), 0);
        cr_assert_geq(xmlTextWriterSetIndentString(x->w, XC("  ")), 0);
        cr_assert_geq(xmlTextWriterStartDocument(x->w, "1.0", "UTF-8", NULL), 0);
}

static char *oracle_finish(Oracle *x) {
        char *s;

        cr_assert_geq(xmlTextWriterEndDocument(x->w), 0);
        xmlFreeTextWriter(x->w);
        s = strndup((const char *) xmlBufferContent(x->buf), (size_t) xmlBufferLength(x->buf));
        xmlBufferFree(x->buf);
        cr_assert(s);
        return s;
}

/* Both writers side by side. */
typedef struct Pair {
        Oracle x;
        XmlOut o;
} Pair;

static void pair_start(Pair *p, const char *name) {
        xml_start(&p->o, name);
        cr_assert_geq(xmlTextWriterStartElement(p->x.w, XC(name)), 0);
}

static void pair_end(Pair *p) {
        xml_end(&p->o);
        cr_assert_geq(xmlTextWriterEndElement(p->x.w), 0);
}

static void pair_attr(Pair *p, const char *name, const char *value) {
        xml_attr(&p->o, name, value);
        cr_assert_geq(xmlTextWriterWriteAttribute(p->x.w, XC(name), XC(value)), 0);
}

static void pair_text_attr(Pair *p, const char *name, const char *attr, const char *value, const char *text) {
        xml_text_attr(&p->o, name, attr, value, text);
        cr_assert_geq(xmlTextWriterStartElement(p->x.w, XC(name)), 0);
        if (attr)
                cr_assert_geq(xmlTextWriterWriteAttribute(p->x.w, XC(attr), XC(value)), 0);
        cr_assert_geq(xmlTextWriterWriteString(p->x.w, XC(text)), 0);
        cr_assert_geq(xmlTextWriterEndElement(p->x.w), 0);
}

static void pair_binary(Pair *p, const char *name, const unsigned char *data, size_t size) {
        _cleanup_(freep) unsigned char *b64 = malloc((size + 2) / 3 * 4 + 1);

        cr_assert(b64);
        (void) EVP_EncodeBlock(b64, data, (int) size);
        xml_binary(&p->o, name, "application/pdf", "rapport \"1\" <&>.pdf", data, size);
        cr_assert_geq(xmlTextWriterStartElement(p->x.w, XC(name)), 0);
        cr_assert_geq(xmlTextWriterWriteAttribute(p->x.w, XC("mimeCode"), XC("application/pdf")), 0);
        cr_assert_geq(xmlTextWriterWriteAttribute(p->x.w, XC("filename"), XC("rapport \"1\" <&>.pdf")), 0);
        cr_assert_geq(xmlTextWriterWriteString(p->x.w, b64), 0);
        cr_assert_geq(xmlTextWriterEndElement(p->x.w), 0);
}

static void pair_compare(Pair *p, const char *what) {
        _cleanup_(freep) char *expected = oracle_finish(&p->x);
        _cleanup_(freep) char *data = NULL;
        size_t size = 0;

        cr_assert_eq(xml_out_finish(&p->o, &data, &size), 0, "%s", what);
        cr_assert_eq(size, strlen(data));
        cr_assert_str_eq(data, expected, "%s", what);
}

static const char *const pieces[] = {
        "a", "Z", " ", "0.00", "<", ">", "&", "\"", "'", "\r", "\n", "\t", "é", "—", "€", "𝄞",
        "&amp;", "]]>", "<!--", "=", "/", "\\", "EUR", "Chambre de Métiers",
};

static unsigned rnd(unsigned *seed) {
        *seed = *seed * 1103515245u + 12345u;
        return (*seed >> 16) & 0x7fff;
}

static void random_text(unsigned *seed, char *buf, size_t max) {
        size_t n = rnd(seed) % 8;

        buf[0] = '\0';
        for (size_t i = 0; i < n; i++) {
                const char *piece = pieces[rnd(seed) % ELEMENTSOF(pieces)];

                if (strlen(buf) + strlen(piece) < max)
                        strcat(buf, piece);
        }
}

static const char *const names[] = {"cbc:ID", "cac:Party", "ram:Name", "a", "Invoice"};

static void random_tree(Pair *p, unsigned *seed, unsigned depth) {
        char text[128], value[128];
        unsigned n = rnd(seed) % 5;

        for (unsigned i = 0; i < n; i++) {
                const char *name = names[rnd(seed) % ELEMENTSOF(names)];

                random_text(seed, text, sizeof text);
                random_text(seed, value, sizeof value);
                switch (rnd(seed) % 5) {
                case 0:
                        pair_text_attr(p, name, NULL, NULL, text);
                        break;
                case 1:
                        pair_text_attr(p, name, "schemeID", value, text);
                        break;
                case 2: { /* an element without content: <a/> */
                        pair_start(p, name);
                        if (rnd(seed) % 2)
                                pair_attr(p, "currencyID", value);
                        pair_end(p);
                        break;
                }
                case 3: {
                        unsigned char data[40];
                        size_t size = rnd(seed) % sizeof data;

                        for (size_t k = 0; k < size; k++)
                                data[k] = (unsigned char) rnd(seed);
                        pair_binary(p, name, data, size);
                        break;
                }
                default:
                        if (depth < 6) {
                                pair_start(p, name);
                                if (rnd(seed) % 2)
                                        pair_attr(p, "xmlns:cac", value);
                                random_tree(p, seed, depth + 1);
                                pair_end(p);
                        }
                }
        }
}

Test(invoice_xml, same_bytes_as_libxml2_fixed) {
        Pair p;

        oracle_begin(&p.x);
        cr_assert_eq(xml_out_begin(&p.o), 0);
        pair_start(&p, "Invoice");
        pair_attr(&p, "xmlns", "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2");
        pair_text_attr(&p, "cbc:Note", NULL, NULL, "Tom & Jerry <\"SARL\"> l'été\r\nligne\t2 𝄞");
        pair_text_attr(&p, "cbc:ID", "schemeID", "a\"b<c>&d'e\tf\ng\rh é", "x");
        pair_text_attr(&p, "cbc:Empty", NULL, NULL, "");
        pair_start(&p, "cac:Empty");
        pair_end(&p);
        pair_start(&p, "cac:Party");
        pair_start(&p, "cac:Inner");
        pair_text_attr(&p, "cbc:Name", NULL, NULL, "n");
        pair_end(&p);
        pair_end(&p);
        for (size_t size = 0; size < 7; size++)
                pair_binary(&p, "cbc:EmbeddedDocumentBinaryObject", (const unsigned char *) "\xff\x00\xfe\x01\x80\x7f\x3e",
                            size);
        pair_end(&p);
        pair_compare(&p, "fixed");
}

Test(invoice_xml, same_bytes_as_libxml2_random) {
        unsigned seed = 14;

        for (unsigned i = 0; i < 2000; i++) {
                Pair p;
                char what[32];

                oracle_begin(&p.x);
                cr_assert_eq(xml_out_begin(&p.o), 0);
                pair_start(&p, "Invoice");
                random_tree(&p, &seed, 1);
                pair_end(&p);
                (void) snprintf(what, sizeof what, "tree %u", i);
                pair_compare(&p, what);
        }
}

Test(invoice_xml, large_attachment_same_bytes) {
        size_t size = 300001;
        _cleanup_(freep) unsigned char *data = malloc(size);
        Pair p;

        cr_assert(data);
        for (size_t i = 0; i < size; i++)
                data[i] = (unsigned char) (i * 7919u >> 3);
        oracle_begin(&p.x);
        cr_assert_eq(xml_out_begin_sized(&p.o, xml_base64_size(size)), 0);
        pair_start(&p, "a");
        pair_binary(&p, "b", data, size);
        pair_end(&p);
        pair_compare(&p, "large");
}

Test(invoice_xml, refusals) {
        static const char *const bad[] = {"a\x01", "\xff", "\xc3", "\xef\xbf\xbe", "\xef\xbf\xbf", "\xed\xa0\x80"};
        _cleanup_(freep) char *data = NULL;
        XmlOut o;
        size_t size;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                cr_assert_eq(xml_out_begin(&o), 0);
                xml_text(&o, "a", bad[i]);
                cr_expect_eq(xml_out_finish(&o, &data, &size), -EINVAL, "text %zu", i);
                cr_assert_eq(xml_out_begin(&o), 0);
                xml_text_attr(&o, "a", "b", bad[i], "ok");
                cr_expect_eq(xml_out_finish(&o, &data, &size), -EINVAL, "attribute %zu", i);
        }
        cr_assert_eq(xml_out_begin(&o), 0);
        xml_text(&o, "a", NULL);
        cr_expect_eq(xml_out_finish(&o, &data, &size), -EINVAL);
        /* Out of order: an attribute after content, an end too many. */
        cr_assert_eq(xml_out_begin(&o), 0);
        xml_start(&o, "a");
        xml_text(&o, "b", "x");
        xml_attr(&o, "c", "d");
        cr_expect_eq(xml_out_finish(&o, &data, &size), -EIO);
        cr_assert_eq(xml_out_begin(&o), 0);
        xml_end(&o);
        cr_expect_eq(xml_out_finish(&o, &data, &size), -EIO);
        /* Unclosed elements are closed, as xmlTextWriterEndDocument did. */
        cr_assert_eq(xml_out_begin(&o), 0);
        xml_start(&o, "a");
        xml_start(&o, "b");
        cr_assert_eq(xml_out_finish(&o, &data, &size), 0);
        cr_expect_str_eq(data, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a>\n  <b/>\n</a>\n");
}
