/* pdf_cache.c — what the documents of one PdfAssets derive from its files
 * once per process (see PdfCache in pdf_document.h): the fonts' faces
 * (pdf_face.h) and the ICC profile deflated. Filled on first use; single
 * threaded, like everything that renders. */
#include <errno.h>
#include <stdlib.h>

#include "writers/pdf_document.h"
#include "writers/pdf_face.h"
#include "writers/pdf_writer.h"

struct PdfCache {
        PdfFace *faces[_PDF_FONT_STYLE_MAX];
        char *icc_z;
        size_t icc_z_size;
        struct libdeflate_compressor *deflater;
};

PdfCache *pdf_cache_new(void) {
        return calloc(1, sizeof(PdfCache));
}

PdfCache *pdf_cache_free(PdfCache *c) {
        if (!c)
                return NULL;
        for (size_t i = 0; i < _PDF_FONT_STYLE_MAX; i++)
                pdf_face_free(c->faces[i]);
        free(c->icc_z);
        pdf_deflater_free(c->deflater);
        free(c);
        return NULL;
}

int pdf_cache_face(PdfCache *c, const PdfAssets *assets, PdfFontStyle style, PdfFace **ret) {
        int r;

        if (!c->faces[style]) {
                r = pdf_face_new(assets->fonts[style].data, assets->fonts[style].size, &c->faces[style]);
                if (r < 0)
                        return r;
        }
        *ret = c->faces[style];
        return 0;
}

int pdf_cache_icc(PdfCache *c, const PdfAssets *assets, const char **ret, size_t *ret_size) {
        int r;

        if (!c->icc_z) {
                r = pdf_deflate(assets->icc.data, assets->icc.size, PDF_DEFLATE_LEVEL_ONCE, &c->icc_z, &c->icc_z_size);
                if (r < 0)
                        return r;
        }
        *ret = c->icc_z;
        *ret_size = c->icc_z_size;
        return 0;
}

struct libdeflate_compressor *pdf_cache_deflater(PdfCache *c) {
        if (!c->deflater)
                c->deflater = pdf_deflater_new(); /* NULL: each writer makes its own */
        return c->deflater;
}
