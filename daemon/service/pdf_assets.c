/* pdf_assets.c — the fonts and ICC profile of our PDFs, read from their
 * files (see pdf_assets.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include "base/fileio.h"
#include "service/pdf_assets.h"

/* A font path may be a symlink (as hb_blob_create_from_file() allowed when
 * the writer opened the fonts itself); still bounded, regular files only. */
static int read_font(const char *path, PdfAsset *ret) {
        _cleanup_(closep) int fd = -1;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        return read_fd_bounded(fd, PDF_FONT_SIZE_MAX, &ret->data, &ret->size);
}

PdfAssets *pdf_assets_free(PdfAssets *a) {
        if (!a)
                return NULL;
        for (size_t i = 0; i < _PDF_FONT_STYLE_MAX; i++)
                free(a->fonts[i].data);
        free(a->icc.data);
        pdf_cache_free(a->cache);
        free(a);
        return NULL;
}

int pdf_assets_load_from(const char *regular, const char *bold, const char *icc, PdfAssets **ret) {
        _cleanup_(pdf_assets_freep) PdfAssets *a = NULL;
        const char *const fonts[_PDF_FONT_STYLE_MAX] = {
                [PDF_REGULAR] = regular,
                [PDF_BOLD] = bold,
        };
        int r;

        a = calloc(1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < _PDF_FONT_STYLE_MAX; i++) {
                r = read_font(fonts[i], &a->fonts[i]);
                if (r < 0)
                        return r;
        }
        r = read_file_bounded(icc, PDF_ICC_SIZE_MAX, &a->icc.data, &a->icc.size);
        if (r < 0)
                return r;
        /* Empty until the first document: loading stays a read of files. */
        a->cache = pdf_cache_new();
        if (!a->cache)
                return -ENOMEM;
        *ret = TAKE_PTR(a);
        return 0;
}

int pdf_assets_load(PdfAssets **ret) {
        return pdf_assets_load_from(PDF_FONT_REGULAR_PATH, PDF_FONT_BOLD_PATH, PDF_ICC_SRGB_PATH, ret);
}
