/* facturx.c — Factur-X assembly (see facturx.h): the readable invoice
 * pages, factur-x.xml and the supporting documents as PDF/A-3 associated
 * files, and the Factur-X XMP extension schema.
 *
 * The drawing is invoice_pdf's, the PDF/A machinery pdf_document's; this
 * module only decides what goes where, so it does no I/O of its own (the
 * document reads fonts and the ICC profile). */
#include <errno.h>
#include <stdlib.h>

#include "writers/facturx.h"
#include "writers/invoice_cii.h"
#include "writers/invoice_pdf.h"
#include "writers/pdf_document.h"

/* The PDF/A extension schema for the fx: properties, as the Factur-X 1.0
 * specification gives it (PDF/A requires every non-standard XMP property
 * to be described), followed by the properties themselves. */
static const char fx_xmp[] =
        "<rdf:Description rdf:about=\"\""
        " xmlns:pdfaExtension=\"http://www.aiim.org/pdfa/ns/extension/\""
        " xmlns:pdfaSchema=\"http://www.aiim.org/pdfa/ns/schema#\""
        " xmlns:pdfaProperty=\"http://www.aiim.org/pdfa/ns/property#\">\n"
        " <pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType=\"Resource\">\n"
        "  <pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>\n"
        "  <pdfaSchema:namespaceURI>" FACTURX_NAMESPACE "</pdfaSchema:namespaceURI>\n"
        "  <pdfaSchema:prefix>fx</pdfaSchema:prefix>\n"
        "  <pdfaSchema:property><rdf:Seq>\n"
        "   <rdf:li rdf:parseType=\"Resource\"><pdfaProperty:name>DocumentFileName</pdfaProperty:name>"
        "<pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category>"
        "<pdfaProperty:description>The name of the embedded XML document</pdfaProperty:description></rdf:li>\n"
        "   <rdf:li rdf:parseType=\"Resource\"><pdfaProperty:name>DocumentType</pdfaProperty:name>"
        "<pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category>"
        "<pdfaProperty:description>The type of the hybrid document in capital letters, e.g. INVOICE or ORDER</pdfaProperty:description></rdf:li>\n"
        "   <rdf:li rdf:parseType=\"Resource\"><pdfaProperty:name>Version</pdfaProperty:name>"
        "<pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category>"
        "<pdfaProperty:description>The actual version of the standard applying to the embedded XML document</pdfaProperty:description></rdf:li>\n"
        "   <rdf:li rdf:parseType=\"Resource\"><pdfaProperty:name>ConformanceLevel</pdfaProperty:name>"
        "<pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category>"
        "<pdfaProperty:description>The conformance level of the embedded XML document</pdfaProperty:description></rdf:li>\n"
        "  </rdf:Seq></pdfaSchema:property>\n"
        " </rdf:li></rdf:Bag></pdfaExtension:schemas>\n"
        "</rdf:Description>\n"
        "<rdf:Description rdf:about=\"\" xmlns:fx=\"" FACTURX_NAMESPACE "\">\n"
        " <fx:DocumentType>INVOICE</fx:DocumentType>\n"
        " <fx:DocumentFileName>" FACTURX_XML_NAME "</fx:DocumentFileName>\n"
        " <fx:Version>" FACTURX_VERSION "</fx:Version>\n"
        " <fx:ConformanceLevel>" FACTURX_CONFORMANCE_LEVEL "</fx:ConformanceLevel>\n"
        "</rdf:Description>\n";

static int attach_files(PdfDocument *d, const Invoice *inv, const char *xml, size_t xml_size) {
        int r;

        r = pdf_document_attach(d, &(PdfAttachment) {
                .name = FACTURX_XML_NAME,
                .description = "Factur-X invoice (UN/CEFACT CII D16B, EN 16931 profile)",
                .mime = "text/xml",
                .relationship = PDF_AF_ALTERNATIVE,
                .data = xml,
                .size = xml_size,
                /* With files attached, the XML is mostly their base64
                 * (BG-24): deflating it cost 2.5 M instructions, half a
                 * Factur-X, to shrink it by a quarter (issue 14). */
                .storage = inv->n_attachments > 0 ? PDF_STORAGE_PLAIN : PDF_STORAGE_AUTO,
        });
        if (r < 0)
                return r;
        for (size_t i = 0; i < inv->n_attachments; i++) {
                const InvoiceAttachment *a = &inv->attachments[i];

                r = pdf_document_attach(d, &(PdfAttachment) {
                        .name = a->filename,
                        .description = a->description,
                        .mime = a->mime,
                        .relationship = PDF_AF_SUPPLEMENT,
                        .data = a->data,
                        .size = a->size,
                });
                if (r < 0)
                        return r;
        }
        return 0;
}

int facturx_assemble(const Invoice *inv, const PdfAssets *assets, const char *xml, size_t xml_size, char **ret,
                     size_t *ret_size) {
        _cleanup_(pdf_document_freep) PdfDocument *d = NULL;
        _cleanup_(freep) char *title = NULL, *subject = NULL;
        PdfDocumentInfo info;
        int r;

        r = invoice_pdf_info(inv, &info, &title, &subject);
        if (r < 0)
                return r;
        info.assets = assets;
        r = pdf_document_new(&info, &d);
        if (r < 0)
                return r;
        r = invoice_pdf_draw(inv, d);
        if (r < 0)
                return r;
        r = attach_files(d, inv, xml, xml_size);
        if (r < 0)
                return r;
        r = pdf_document_set_xmp_extra(d, fx_xmp);
        if (r < 0)
                return r;
        return pdf_document_render(d, ret, ret_size);
}

int facturx_render(const Invoice *inv, const PdfAssets *assets, char **ret, size_t *ret_size) {
        _cleanup_(freep) char *xml = NULL;
        size_t size;
        int r;

        r = invoice_cii_render(inv, &xml, &size);
        if (r < 0)
                return r;
        return facturx_assemble(inv, assets, xml, size, ret, ret_size);
}
