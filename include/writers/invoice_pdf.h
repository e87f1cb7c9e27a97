/* invoice_pdf.h — the readable French invoice: the invoice model
 * (invoice.h) drawn on A4 pages, as a CMA would send it on paper.
 *
 * Everything shown comes from the model, nothing is recomputed: parties
 * with SIRET and the Chorus Pro service code and engagement, number and
 * dates, the convention and its period, the lines, the cap allowance, the
 * totals and VAT (with the exemption mention for O/E), payment terms and
 * bank details, the BT-22 notes. Amounts in French format (3 500,00 €). */
#pragma once

#include "core/invoice.h"
#include "writers/pdf_document.h"

/* Draws the invoice into `d`, starting on a new page and adding pages as
 * needed. Drawing errors are reported by pdf_document_render(). Returns 0
 * or -ENOMEM. */
int invoice_pdf_draw(const Invoice *inv, PdfDocument *d);

/* The document title, author and subject for an invoice's PDF metadata
 * ("Facture CMA34-2026-0007", the seller, "… à BUYER"). Returns 0 or
 * -ENOMEM; free the three strings. */
int invoice_pdf_info(const Invoice *inv, PdfDocumentInfo *ret, char **ret_title, char **ret_subject);

/* The readable invoice alone, as its own PDF/A-3b: the pages of the
 * Factur-X (the same invoice_pdf_draw()) without factur-x.xml or any
 * attachment. What done/ holds beside a UBL or CII invoice for the staff.
 * Returns 0, or pdf_document_new()'s and pdf_document_render()'s errors. */
int invoice_pdf_render(const Invoice *inv, const PdfAssets *assets, char **ret, size_t *ret_size);
