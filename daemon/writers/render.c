/* render.c — bilan to invoice document, the pipeline both the daemon and
 * `chorusctl render` call (see render.h).
 *
 * One table row per format says which supporting document the format
 * carries (the bilan report PDF, bilan_report.h, in all three) and which
 * writer produces the bytes; adding a format is adding a row. Problems the
 * administrator can fix (a taxable convention without a seller VAT id, a
 * number too long, a zero total) go to `diags` with English and French
 * text; everything else is an errno. Pure: no I/O, no logging. */
#include <stdio.h>

#include "writers/bilan_report.h"
#include "writers/facturx.h"
#include "writers/invoice_cii.h"
#include "writers/invoice_pdf.h"
#include "writers/invoice_ubl.h"
#include "base/macro.h"
#include "writers/render.h"

#define RENDER_BILAN_REPORT_ID_PREFIX "BILAN-"

typedef struct RenderFormat {
        /* Adds the format's BG-24 supporting document(s) to the model. */
        int (*attach)(const RenderRequest *req, const Proration *p, Invoice *inv);
        /* Writes the document. */
        int (*write)(const RenderRequest *req, const Invoice *inv, char **ret, size_t *ret_size);
} RenderFormat;

/* The bilan as a readable PDF report (bilan_report.h): the supporting
 * document Article 5 asks for, in every format (BG-24 allows
 * application/pdf in UBL and CII; Factur-X also embeds it beside
 * factur-x.xml). */
static int render_attach_bilan_report(const RenderRequest *req, const Proration *p, Invoice *inv) {
        _cleanup_(freep) char *pdf = NULL, *description = NULL, *id = NULL;
        char filename[BILAN_REPORT_FILENAME_MAX + 1];
        size_t size;
        int r;

        r = bilan_report_render(req->convention, req->bilan, p, req->pdf_assets, &pdf, &size);
        if (r < 0)
                return r;
        r = bilan_report_filename(inv->number, filename);
        if (r < 0)
                return r;
        description = bilan_report_description(req->convention, req->bilan);
        if (!description)
                return -ENOMEM;
        if (asprintf(&id, RENDER_BILAN_REPORT_ID_PREFIX "%s", req->convention->id) < 0) {
                id = NULL;
                return -ENOMEM;
        }
        return invoice_add_attachment(inv, id, description, filename, BILAN_REPORT_MIME, pdf, size);
}

static int render_write_ubl(const RenderRequest *req, const Invoice *inv, char **ret, size_t *ret_size) {
        (void) req;
        return invoice_ubl_render(inv, ret, ret_size);
}

static int render_write_cii(const RenderRequest *req, const Invoice *inv, char **ret, size_t *ret_size) {
        (void) req;
        return invoice_cii_render(inv, ret, ret_size);
}

static int render_write_facturx(const RenderRequest *req, const Invoice *inv, char **ret, size_t *ret_size) {
        (void) req;
        return facturx_render(inv, req->pdf_assets, ret, ret_size);
}

static const RenderFormat render_formats[_INVOICE_FORMAT_MAX] = {
        [INVOICE_FORMAT_UBL] = { .attach = render_attach_bilan_report, .write = render_write_ubl },
        [INVOICE_FORMAT_CII] = { .attach = render_attach_bilan_report, .write = render_write_cii },
        [INVOICE_FORMAT_FACTURX] = { .attach = render_attach_bilan_report, .write = render_write_facturx },
};

InvoiceFormat render_resolve_format(const Config *config, const Convention *convention,
                                    InvoiceFormat requested) {
        if (requested >= 0 && requested < _INVOICE_FORMAT_MAX)
                return requested;
        if (convention && convention->format >= 0 && convention->format < _INVOICE_FORMAT_MAX)
                return convention->format;
        return config->invoice.default_format;
}

int render_check(const Config *config, const Convention *convention, Diagnostics *diags) {
        char number[INVOICE_NUMBER_MAX + 1];
        int r, ret = 0;

        if (invoice_vat_category_needs_seller_vat_id(convention->vat.category) &&
            isempty(config->seller.vat_id)) {
                r = diag_error2(diags, config->path, "seller.vat_id",
                                "convention '%s' has VAT category %s, which needs the seller's VAT "
                                "identifier (EN 16931 BR-%s-02): set vat_id in [seller]",
                                "la convention « %s » a la catégorie de TVA %s, qui exige le numéro de "
                                "TVA du vendeur (EN 16931 BR-%s-02) : renseigner vat_id dans [seller]",
                                convention->id, vat_category_to_string(convention->vat.category),
                                vat_category_to_string(convention->vat.category));
                ret = r < 0 ? r : -EINVAL;
        }
        /* The longest number of the year must still fit in BT-1. */
        if (config_format_invoice_number(config, 9999, 9999, number) < 0) {
                r = diag_error2(diags, config->path, "invoice.number_prefix",
                                "number_prefix '%s' leaves no room for YYYY-NNNN within the %d "
                                "characters Chorus Pro accepts",
                                "le préfixe « %s » ne laisse pas la place de AAAA-NNNN dans les %d "
                                "caractères acceptés par Chorus Pro",
                                strempty(config->invoice.number_prefix), INVOICE_NUMBER_MAX);
                ret = ret < 0 ? ret : (r < 0 ? r : -EINVAL);
        }
        return ret;
}

static int render_check_request(const RenderRequest *req, InvoiceFormat format, Diagnostics *diags) {
        int r;

        if (format < 0 || format >= _INVOICE_FORMAT_MAX || !render_formats[format].write) {
                r = diag_error2(diags, /* file= */ NULL, "format",
                                "invoice format '%s' is not available in this build",
                                "le format de facture « %s » n'est pas disponible dans cette version",
                                strempty(invoice_format_to_string(format)));
                return r < 0 ? r : -EOPNOTSUPP;
        }
        if (isempty(req->number) || strlen(req->number) > INVOICE_NUMBER_MAX) {
                r = diag_error2(diags, /* file= */ NULL, "number",
                                "invoice number '%s' must have 1 to %d characters",
                                "le numéro de facture « %s » doit avoir de 1 à %d caractères",
                                strempty(req->number), INVOICE_NUMBER_MAX);
                return r < 0 ? r : -EINVAL;
        }
        return render_check(req->config, req->convention, diags);
}

/* "CMA34-2026-0001.xml"; characters that have no place in a file name
 * (the prefix is the administrator's) become '_'. */
static char *render_filename(const char *number, InvoiceFormat format) {
        char *s;

        if (asprintf(&s, "%s.%s", number, invoice_format_extension(format)) < 0)
                return NULL;
        invoice_sanitize_file_name(s);
        return s;
}

RenderedInvoice *rendered_invoice_free(RenderedInvoice *r) {
        if (!r)
                return NULL;
        free(r->data);
        free(r->filename);
        proration_free(r->proration);
        invoice_free(r->invoice);
        free(r);
        return NULL;
}

static int render_model(const RenderRequest *req, RenderedInvoice *out) {
        const InvoiceInput in = {
                .seller = &req->config->seller,
                .convention = req->convention,
                .bilan = req->bilan,
                .proration = out->proration,
                .number = req->number,
                .issue_date = req->issue_date,
                .payment_terms_days = req->config->invoice.payment_terms_days,
                .credit = req->credit,
        };

        return invoice_build(&in, &out->invoice);
}

int render_invoice(const RenderRequest *req, RenderedInvoice **ret, Diagnostics *diags) {
        _cleanup_(rendered_invoice_freep) RenderedInvoice *out = NULL;
        const RenderFormat *f;
        InvoiceFormat format;
        int r;

        if (!req || !req->config || !req->convention || !req->bilan)
                return -EINVAL;
        format = render_resolve_format(req->config, req->convention, req->format);
        r = render_check_request(req, format, diags);
        if (r < 0)
                return r;
        f = &render_formats[format];

        out = calloc(1, sizeof(RenderedInvoice));
        if (!out)
                return -ENOMEM;
        out->format = format;

        r = proration_compute(req->convention, req->bilan, &out->proration, diags);
        if (r < 0)
                return r;
        r = render_model(req, out);
        if (r < 0)
                return r;
        if (f->attach) {
                r = f->attach(req, out->proration, out->invoice);
                if (r < 0)
                        return r;
        }
        r = f->write(req, out->invoice, &out->data, &out->size);
        if (r < 0)
                return r;
        out->filename = render_filename(req->number, format);
        if (!out->filename)
                return -ENOMEM;

        *ret = TAKE_PTR(out);
        return 0;
}

int render_readable_pdf(const RenderedInvoice *inv, const PdfAssets *assets, char **ret, size_t *ret_size) {
        if (!inv || !inv->invoice)
                return -EINVAL;
        if (inv->format == INVOICE_FORMAT_FACTURX) {
                *ret = NULL;
                *ret_size = 0;
                return 0;
        }
        return invoice_pdf_render(inv->invoice, assets, ret, ret_size);
}

/* The invoice pages, then the bilan report, each page marked across. */
static int render_preview_pdf(const RenderRequest *req, const RenderedInvoice *out, char **ret, size_t *ret_size) {
        _cleanup_(pdf_document_freep) PdfDocument *d = NULL;
        _cleanup_(freep) char *title = NULL, *subject = NULL;
        PdfDocumentInfo info;
        int r;

        r = invoice_pdf_info(out->invoice, &info, &title, &subject);
        if (r < 0)
                return r;
        info.assets = req->pdf_assets;
        r = pdf_document_new(&info, &d);
        if (r >= 0)
                r = pdf_document_set_watermark(d, RENDER_PREVIEW_WATERMARK);
        if (r >= 0)
                r = invoice_pdf_draw(out->invoice, d);
        if (r >= 0)
                r = bilan_report_draw(req->convention, req->bilan, out->proration, d);
        if (r < 0)
                return r;
        return pdf_document_render(d, ret, ret_size);
}

int render_preview(const RenderRequest *req, RenderedInvoice **ret, Diagnostics *diags) {
        _cleanup_(rendered_invoice_freep) RenderedInvoice *out = NULL;
        InvoiceFormat format;
        int r;

        if (!req || !req->config || !req->convention || !req->bilan || !req->pdf_assets)
                return -EINVAL;
        format = render_resolve_format(req->config, req->convention, req->format);
        r = render_check_request(req, format, diags);
        if (r < 0)
                return r;
        out = calloc(1, sizeof(RenderedInvoice));
        if (!out)
                return -ENOMEM;
        out->format = format;
        r = proration_compute(req->convention, req->bilan, &out->proration, diags);
        if (r < 0)
                return r;
        r = render_model(req, out);
        if (r < 0)
                return r;
        r = render_preview_pdf(req, out, &out->data, &out->size);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(out);
        return 0;
}
