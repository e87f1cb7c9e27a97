/* invoice_format.c — string tables for InvoiceFormat (see invoice_format.h). */
#include "base/invoice_format.h"
#include "base/macro.h"

static const char *const format_names[_INVOICE_FORMAT_MAX] = {
        [INVOICE_FORMAT_UBL] = "ubl",
        [INVOICE_FORMAT_CII] = "cii",
        [INVOICE_FORMAT_FACTURX] = "facturx",
};

static const char *const syntaxe_flux[_INVOICE_FORMAT_MAX] = {
        [INVOICE_FORMAT_UBL] = "IN_DP_E1_UBL_INVOICE",
        [INVOICE_FORMAT_CII] = "IN_DP_E1_CII_16B",
        [INVOICE_FORMAT_FACTURX] = "IN_DP_E2_CII_FACTURX",
};

DEFINE_STRING_TABLE_LOOKUP(invoice_format, InvoiceFormat, format_names, _INVOICE_FORMAT_MAX, _INVOICE_FORMAT_INVALID);

const char *invoice_format_to_syntaxe_flux(InvoiceFormat f) {
        return f >= 0 && f < _INVOICE_FORMAT_MAX ? syntaxe_flux[f] : NULL;
}

const char *invoice_format_extension(InvoiceFormat f) {
        return f == INVOICE_FORMAT_FACTURX ? "pdf" : "xml";
}
