/* invoice_cii.h — the invoice model as a UN/CEFACT Cross Industry Invoice
 * D16B document (also the factur-x.xml of a Factur-X, EN 16931 profile),
 * written with the element writer of invoice_xml.h. Pure. */
#pragma once

#include <stddef.h>

#include "core/invoice.h"

/* Returns 0 and a NUL-terminated UTF-8 document in *ret (free()), or
 * -ENOMEM / -EIO (a writer call out of order) / -EFBIG (attachment too large) /
 * -EINVAL (text XML cannot carry, see invoice_xml.h). */
int invoice_cii_render(const Invoice *inv, char **ret, size_t *ret_size);
