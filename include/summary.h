/* summary.h — the bilan's quantitative summary as a CSV file: the readable
 * supporting document (EN 16931 BG-24) attached to UBL and CII invoices.
 *
 * One row per convention action, those with nothing realised included
 * (article, action id, label, target, realised, counted, amount), then the
 * totals (before the cap, the cap, the allowance, the amount invoiced).
 * French spreadsheet conventions, so that it opens as columns on the buyer's
 * desk: UTF-8 with a byte order mark, ';' separators, ',' decimal separator,
 * CRLF line ends and RFC 4180 quoting. Pure. */
#pragma once

#include <stddef.h>

#include "bilan.h"
#include "convention.h"
#include "proration.h"

#define SUMMARY_MIME "text/csv"
/* Chorus Pro refuses attachment names over 50 characters, extension included. */
#define SUMMARY_FILENAME_MAX 50

/* The CSV document (not NUL-terminated data, but a NUL follows it; free()).
 * Returns 0, -EINVAL (the proration is not the bilan's) or -ENOMEM. */
int summary_csv(const Convention *c, const Bilan *b, const Proration *p, char **ret, size_t *ret_size);

/* "bilan-CMA34-2026-0001.csv": the invoice number with any character
 * outside [A-Za-z0-9._-] replaced by '_'. Returns 0 or -ENAMETOOLONG. */
int summary_filename(const char *number, char buf[static SUMMARY_FILENAME_MAX + 1]);

/* The BT-123 description, e.g. "Bilan quantitatif de la convention
 * CDCMC-2026, transmis le 10 décembre 2026 : réalisé par action". Returns a
 * new string or NULL. */
char *summary_description(const Convention *c, const Bilan *b);
