/* render.h — the one pipeline from a validated bilan to invoice bytes,
 * shared by the daemon (after it has allocated a number) and by
 * `chorusctl render` (a preview, number "PREVIEW"):
 *
 *   config + convention + bilan → proration → invoice model (invoice.h)
 *   → supporting document (BG-24) → UBL / CII / Factur-X document.
 *
 * Pure: no I/O, no logging; callers write the bytes where they belong. */
#pragma once

#include <stddef.h>

#include "core/bilan.h"
#include "base/config.h"
#include "core/convention.h"
#include "base/date.h"
#include "base/diag.h"
#include "core/invoice.h"
#include "base/invoice_format.h"
#include "core/proration.h"
#include "writers/pdf_document.h"

#define RENDER_PREVIEW_NUMBER "PREVIEW"
/* The preview of an invoice awaiting approval: no number is allocated yet. */
#define RENDER_UNNUMBERED "(non attribué)"
#define RENDER_PREVIEW_WATERMARK "APERÇU — facture non émise"

typedef struct RenderRequest {
        const Config *config;         /* [seller], [invoice] */
        const Convention *convention; /* the bilan's convention */
        const Bilan *bilan;           /* parsed and validated against it */
        const char *number;           /* BT-1, at most INVOICE_NUMBER_MAX characters */
        Date issue_date;              /* BT-2 */
        InvoiceFormat format;         /* _INVOICE_FORMAT_INVALID: render_resolve_format() */
        const PdfAssets *pdf_assets;  /* fonts and ICC profile of the PDFs (pdf_assets_load()) */
        const InvoiceCreditRef *credit; /* set: render the credit note (avoir) of that invoice */
} RenderRequest;

typedef struct RenderedInvoice {
        InvoiceFormat format;
        char *data; /* the document (NUL-terminated for XML) */
        size_t size;
        char *filename;        /* suggested name: "CMA34-2026-0001.xml" */
        Proration *proration;  /* the amounts, for receipts and logs */
        Invoice *invoice;      /* the model, for receipts and logs */
} RenderedInvoice;

/* The format used when none is asked for: the convention's, else the
 * configuration's default. */
InvoiceFormat render_resolve_format(const Config *config, const Convention *convention,
                                    InvoiceFormat requested);

/* What makes a convention impossible to invoice with this configuration,
 * independently of any bilan: a taxable VAT category while [seller] vat_id
 * is unset (BR-S-02/BR-Z-02/BR-E-02), a number prefix that leaves no room in
 * BT-1's 20 characters. Lets the daemon refuse before it allocates a
 * number. Returns 0 or -EINVAL with the reasons in `diags`. */
int render_check(const Config *config, const Convention *convention, Diagnostics *diags);

/* Renders one invoice. Returns 0 and the result, or:
 *   -EDOM        the bilan's total is 0: not invoiced (reason in diags)
 *   -EINVAL      render_check() failed, or a bad number (reason in diags)
 *   -EOPNOTSUPP  the format is not available in this build (diags)
 *   -ENOMEM, -EIO (libxml2), or a writer's error. */
int render_invoice(const RenderRequest *req, RenderedInvoice **ret, Diagnostics *diags);
RenderedInvoice *rendered_invoice_free(RenderedInvoice *r);

/* The readable PDF of a rendered invoice, for people (done/): the invoice
 * pages alone (invoice_pdf_render()). Returns 0 with *ret NULL for a
 * Factur-X invoice, whose document already is that PDF (the same pages,
 * with the XML inside): there is nothing to add. Otherwise 0 and the
 * bytes, or invoice_pdf_render()'s error. */
int render_readable_pdf(const RenderedInvoice *inv, const PdfAssets *assets, char **ret, size_t *ret_size);
DEFINE_TRIVIAL_CLEANUP_FUNC(RenderedInvoice *, rendered_invoice_free);

/* The preview of an invoice awaiting approval ([invoice] approval =
 * required): one PDF, the readable invoice pages then the bilan report,
 * every page marked RENDER_PREVIEW_WATERMARK across, for whoever approves.
 * req->number is what the invoice shows (RENDER_UNNUMBERED: none is
 * allocated before approval). The result's data is that PDF, filename
 * NULL; its proration and model are those of the invoice the approval
 * would issue. Errors as render_invoice(). */
int render_preview(const RenderRequest *req, RenderedInvoice **ret, Diagnostics *diags);
