/* invoice_xml.h — what the UBL and CII writers (and the Factur-X one) share:
 * a libxml2 xmlTextWriter into a memory buffer, indented, UTF-8, with a
 * sticky error so that a writer reads as a flat list of elements.
 *
 * After the first failure every call is a no-op and xml_out_finish()
 * returns that error: -ENOMEM (allocation), -EFBIG (an attachment too large
 * to encode), -EINVAL (text or an attribute value that XML 1.0 cannot
 * carry: invalid UTF-8, a C0 control other than tab/LF/CR, U+FFFE/U+FFFF;
 * never written as is) or -EIO (any other libxml2 failure). xml_out_begin() frees
 * what it made when it fails. Output is deterministic: no timestamps, no
 * generator comment. */
#pragma once

#include <libxml/xmlwriter.h>
#include <stddef.h>
#include <stdint.h>

#include "base/date.h"

typedef struct XmlOut {
        xmlBufferPtr buf;
        xmlTextWriterPtr w;
        int r; /* first error, 0 while all is well */
} XmlOut;

#define XML_OUT_INIT ((XmlOut){})

/* Starts a document: <?xml version="1.0" encoding="UTF-8"?>, two-space indent. */
int xml_out_begin(XmlOut *o);
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
/* <name mimeCode="…" filename="…">base64</name>, the data on one line. */
void xml_binary(XmlOut *o, const char *name, const char *mime, const char *filename,
                const void *data, size_t size);
