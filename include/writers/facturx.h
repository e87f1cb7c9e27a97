/* facturx.h — the Factur-X invoice (Chorus Pro IN_DP_E2_CII_FACTURX): a
 * PDF/A-3b whose pages are the readable French invoice (invoice_pdf.h) and
 * whose embedded factur-x.xml is the CII invoice of the same model, byte for
 * byte what invoice_cii_render() writes (Factur-X 1.0, EN 16931 profile:
 * guideline ID urn:cen.eu:en16931:2017).
 *
 * The XML is an associated file (/AF) of the document with /AFRelationship
 * /Alternative; each BG-24 supporting document of the invoice (the bilan
 * report) is embedded beside it as a /Supplement. The XMP carries the PDF/A
 * identification and the Factur-X extension schema with its fx:
 * properties. */
#pragma once

#include <stddef.h>

#include "core/invoice.h"
#include "writers/pdf_document.h"

#define FACTURX_XML_NAME "factur-x.xml"
#define FACTURX_VERSION "1.0"
#define FACTURX_CONFORMANCE_LEVEL "EN 16931"
#define FACTURX_NAMESPACE "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"

/* Renders the Factur-X PDF with the fonts and ICC profile of `assets`.
 * Returns 0, or -EINVAL (no assets, or an unusable font), -EFBIG, -ENOMEM,
 * or invoice_cii_render()'s error. */
int facturx_render(const Invoice *inv, const PdfAssets *assets, char **ret, size_t *ret_size);

/* The same with the factur-x.xml given instead of rendered: for callers
 * that already hold the CII, and for tests. */
int facturx_assemble(const Invoice *inv, const PdfAssets *assets, const char *xml, size_t xml_size, char **ret,
                     size_t *ret_size);
