/* invoice_format.h — the three invoice syntaxes chorusd produces, and their
 * names in the configuration, in conventions and on the command line. */
#pragma once

#include <errno.h>

typedef enum InvoiceFormat {
        INVOICE_FORMAT_UBL,     /* UBL 2.1 Invoice, Chorus Pro IN_DP_E1_UBL_INVOICE */
        INVOICE_FORMAT_CII,     /* UN/CEFACT CII D16B, IN_DP_E1_CII_16B */
        INVOICE_FORMAT_FACTURX, /* PDF/A-3 with CII inside, IN_DP_E2_CII_FACTURX */
        _INVOICE_FORMAT_MAX,
        _INVOICE_FORMAT_INVALID = -EINVAL,
} InvoiceFormat;

/* "ubl", "cii", "facturx". */
const char *invoice_format_to_string(InvoiceFormat f);
InvoiceFormat invoice_format_from_string(const char *s);
/* The Chorus Pro syntaxeFlux of each format. */
const char *invoice_format_to_syntaxe_flux(InvoiceFormat f);
/* File name extension without the dot: "xml" or "pdf". */
const char *invoice_format_extension(InvoiceFormat f);
