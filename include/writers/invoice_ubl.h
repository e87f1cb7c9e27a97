/* invoice_ubl.h — the invoice model as a UBL 2.1 Invoice document, written
 * with the element writer of invoice_xml.h (never by string concatenation). Pure. */
#pragma once

#include <stddef.h>

#include "core/invoice.h"

/* Returns 0 and a NUL-terminated UTF-8 document in *ret (free()), or
 * -ENOMEM / -EIO (a writer call out of order) / -EFBIG (attachment too large) /
 * -EINVAL (text XML cannot carry, see invoice_xml.h). */
int invoice_ubl_render(const Invoice *inv, char **ret, size_t *ret_size);
