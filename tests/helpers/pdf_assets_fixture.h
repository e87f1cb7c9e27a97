/* pdf_assets_fixture.h — the fonts and ICC profile the writers take as
 * bytes (writers/pdf_document.h), read once per test process. */
#pragma once

#include <criterion/criterion.h>
#include <string.h>

#include "service/pdf_assets.h"

static inline const PdfAssets *fixture_pdf_assets(void) {
        static PdfAssets *assets; /* kept to the end of the process */
        int r;

        if (!assets) {
                r = pdf_assets_load(&assets);
                cr_assert_eq(r, 0, "install fonts-liberation2 and icc-profiles-free: %s", strerror(-r));
        }
        return assets;
}
