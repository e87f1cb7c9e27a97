/* bilan_report.h — the bilan as a readable report: the supporting document
 * Article 5 of the convention asks for beside the invoice, a PDF/A-3b in
 * French.
 *
 * Per action: article, label, target, realised (distinct refs) and counted
 * quantities and the computed amounts (from the proration, not recomputed);
 * then every entry of the bilan (date, reference — the SIRET for companies —,
 * name, kind or theme, attendees, note; repeated refs marked); then the
 * qualitative text. Paginates: a 10 000-entry bilan is a few hundred pages,
 * the table header repeated on each. Deterministic: the document date is the
 * bilan's issued_on. */
#pragma once

#include <stddef.h>

#include "core/bilan.h"
#include "core/convention.h"
#include "core/proration.h"
#include "writers/pdf_document.h"

#define BILAN_REPORT_MIME "application/pdf"
/* Chorus Pro refuses attachment names over 50 characters, extension included. */
#define BILAN_REPORT_FILENAME_MAX 50

/* Draws the report's pages into `d`, after any pages it has (the preview
 * of an invoice awaiting approval puts it after the invoice). Returns 0,
 * -EINVAL (the proration is not the bilan's), -ENOMEM. */
int bilan_report_draw(const Convention *c, const Bilan *b, const Proration *p, PdfDocument *d);

/* The PDF, with the fonts and ICC profile of `assets`. Returns 0, -EINVAL
 * (the proration is not the bilan's, no assets, an unusable font), -EFBIG
 * or -ENOMEM. */
int bilan_report_render(const Convention *c, const Bilan *b, const Proration *p, const PdfAssets *assets,
                        char **ret, size_t *ret_size);

/* "bilan-CMA34-2026-0001.pdf" (characters outside [A-Za-z0-9._-] become
 * '_'). Returns 0 or -ENAMETOOLONG. */
int bilan_report_filename(const char *number, char buf[static BILAN_REPORT_FILENAME_MAX + 1]);

/* The BT-123 description: "Bilan d'exécution de la convention CDCMC-2026
 * (quantitatif et qualitatif), établi le 10 décembre 2026". Returns a new
 * string or NULL. */
char *bilan_report_description(const Convention *c, const Bilan *b);
