/* invoice_xml.h — what the UBL and CII writers (and the Factur-X one) share:
 * an XML serializer into one growing memory buffer, indented, UTF-8, with a
 * sticky error so that a writer reads as a flat list of elements.
 *
 * It writes exactly the bytes libxml2's xmlTextWriter wrote with the same
 * calls (indent "  ", the same escaping of text and attribute values, <a/>
 * for an element without content): tests/test_invoice_xml.c keeps libxml2
 * as the oracle and compares both on hostile strings. It exists because the
 * writer was 1.57 M instructions per invoice, two thirds of it copying the
 * base64 of the attachment through libxml2 (issue 14); this one encodes
 * straight into the output buffer.
 *
 * After the first failure every call is a no-op and xml_out_finish()
 * returns that error: -ENOMEM (allocation), -EFBIG (an attachment too large
 * to encode), -EINVAL (text or an attribute value that XML 1.0 cannot
 * carry: invalid UTF-8, a C0 control other than tab/LF/CR, U+FFFE/U+FFFF;
 * never written as is) or -EIO (a call out of order: an attribute after
 * content, an end without a start, nesting deeper than XML_OUT_DEPTH_MAX).
 * Output is deterministic: no timestamps, no generator comment. Element and
 * attribute names are the writers' string literals: kept by pointer, never
 * escaped. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/date.h"

#define XML_OUT_DEPTH_MAX 32

typedef struct XmlOut {
        char *data; /* the document so far, NUL-terminated */
        size_t size, allocated;
        const char *open[XML_OUT_DEPTH_MAX]; /* names of the open elements */
        size_t depth;
        bool in_tag;   /* the last start tag is not closed by '>' yet */
        bool doindent; /* an end tag goes on its own indented line */
        int r;         /* first error, 0 while all is well */
} XmlOut;

#define XML_OUT_INIT ((XmlOut){})

/* Starts a document: <?xml version="1.0" encoding="UTF-8"?>, two-space indent. */
int xml_out_begin(XmlOut *o);
/* The same, with room for `hint` bytes reserved up front (the size of the
 * attachments, so that the buffer grows once). */
int xml_out_begin_sized(XmlOut *o, size_t hint);
/* The bytes xml_binary() writes for `size` bytes of data, its tags apart. */
size_t xml_base64_size(size_t size);
/* Ends the document and hands over its bytes (NUL-terminated, free()).
 * Frees the writer whatever happens. Returns 0 or the first error. */
int xml_out_finish(XmlOut *o, char **ret, size_t *ret_size);
/* Frees a writer that will not be finished (error paths). Idempotent. */
void xml_out_done(XmlOut *o);

void xml_start(XmlOut *o, const char *name);
void xml_end(XmlOut *o);
void xml_attr(XmlOut *o, const char *name, const char *value);

/* <name>text</name>, text escaped. */
void xml_text(XmlOut *o, const char *name, const char *text);
/* <name attr="value">text</name>. */
void xml_text_attr(XmlOut *o, const char *name, const char *attr, const char *value, const char *text);
/* <name>4000.00</name>, or with currencyID="EUR" when `currency` is set. */
void xml_amount(XmlOut *o, const char *name, const char *currency, int64_t cents);
/* <name>5</name>, or with unitCode="C62" when `unit` is set. */
void xml_quantity(XmlOut *o, const char *name, const char *unit, int64_t quantity);
/* <name>2026-12-15</name> (ISO 8601, as UBL wants). */
void xml_date(XmlOut *o, const char *name, Date d);
/* <name mimeCode="…" filename="…">base64</name>, the data on one line
 * (RFC 4648 alphabet, '=' padding, no line breaks). */
void xml_binary(XmlOut *o, const char *name, const char *mime, const char *filename,
                const void *data, size_t size);
