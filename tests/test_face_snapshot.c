/* test_face_snapshot.c — the fonts' snapshots learnt at build time
 * (writers/pdf_face.h, snapshots): linked for the installed fonts, they give
 * the same bytes as learning at run time, and HarfBuzz is not loaded for
 * French text. This binary links $(BUILD)/gen/face_snapshots.o, as chorusd
 * and chorusctl do (Makefile). */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <string.h>

#include "render_fixture.h"

static RenderedInvoice *render_with(const Fixture *f, const PdfAssets *assets, InvoiceFormat format) {
        RenderRequest req = fixture_request(f, format);

        req.pdf_assets = assets;
        return fixture_render_request(&req);
}

static bool harfbuzz_loaded(void) {
        void *h = dlopen("libharfbuzz.so.0", RTLD_NOW | RTLD_NOLOAD);

        if (h)
                dlclose(h);
        return h != NULL;
}

Test(face_snapshot, linked_for_the_installed_fonts) {
        const PdfAssets *assets = fixture_pdf_assets();

        cr_assert(pdf_face_snapshots != NULL, "this test links the snapshots");
        for (size_t i = 0; i < _PDF_FONT_STYLE_MAX; i++) {
                _cleanup_(pdf_face_freep) PdfFace *face = NULL;

                cr_assert_eq(pdf_face_new(assets->fonts[i].data, assets->fonts[i].size, &face), 0);
                cr_expect(pdf_face_is_from_snapshot(face), "font %zu: no snapshot matches the installed font", i);
                cr_expect(!pdf_face_harfbuzz_opened(face));
        }
}

/* Every format, the bilan report included: the same bytes with the
 * snapshots as learnt at run time, and HarfBuzz never loaded for them
 * (this process links no HarfBuzz itself: harfbuzz_lazy.c). */
Test(face_snapshot, documents_are_the_same_bytes) {
        static const InvoiceFormat formats[] = { INVOICE_FORMAT_FACTURX, INVOICE_FORMAT_UBL, INVOICE_FORMAT_CII };
        _cleanup_(pdf_assets_freep) PdfAssets *with = NULL, *without = NULL;
        RenderedInvoice *a[ELEMENTSOF(formats)];
        Fixture f;

        fixture_load(&f, "complete");
        cr_assert_eq(pdf_assets_load(&with), 0);
        cr_assert_eq(pdf_assets_load(&without), 0);
        for (size_t i = 0; i < ELEMENTSOF(formats); i++)
                a[i] = render_with(&f, with, formats[i]);
        cr_expect(!harfbuzz_loaded(), "HarfBuzz loaded for French text");
        pdf_face_use_snapshots(false);
        for (size_t i = 0; i < ELEMENTSOF(formats); i++) {
                _cleanup_(rendered_invoice_freep) RenderedInvoice *b = render_with(&f, without, formats[i]);

                cr_assert_eq(a[i]->size, b->size, "format %d: %zu bytes with snapshots, %zu without", formats[i],
                             a[i]->size, b->size);
                cr_expect_eq(memcmp(a[i]->data, b->data, b->size), 0, "format %d: other bytes", formats[i]);
                a[i] = rendered_invoice_free(a[i]);
        }
        pdf_face_use_snapshots(true);
        cr_expect(harfbuzz_loaded(), "the faces made without snapshot use HarfBuzz");
        fixture_done(&f);
}

/* Beyond the fixed set (ñ, ß, Ω, a ligature, a combining accent) a face
 * from a snapshot opens HarfBuzz and shapes exactly as a face without. */
Test(face_snapshot, beyond_the_fixed_set_as_harfbuzz) {
        static const char *const strings[] = {
                "Chambre de métiers — « AVOIR » n° 12 : 4 000,00 € ; Wa To Yo L'Tâche AVATAR",
                "España Straße ñandú",
                "Ωmega and ﬁ",
                "e\xcc\x81t\xc3\xa9 (e + U+0301)",
                "Œuvre “Té” — fin…",
                "AT&T LT Vo Wo Ye P. F. 1 111,11 €",
        };
        const PdfAssets *assets = fixture_pdf_assets();
        _cleanup_(pdf_face_freep) PdfFace *snap = NULL, *plain = NULL;

        cr_assert_eq(pdf_face_new(assets->fonts[PDF_REGULAR].data, assets->fonts[PDF_REGULAR].size, &snap), 0);
        pdf_face_use_snapshots(false);
        cr_assert_eq(pdf_face_new(assets->fonts[PDF_REGULAR].data, assets->fonts[PDF_REGULAR].size, &plain), 0);
        pdf_face_use_snapshots(true);
        cr_assert(pdf_face_is_from_snapshot(snap) && !pdf_face_is_from_snapshot(plain));
        for (size_t i = 0; i < ELEMENTSOF(strings); i++) {
                PdfRun a, b;
                PdfGlyph ga[256], gb[256];

                cr_assert_eq(pdf_face_shape(snap, strings[i], strlen(strings[i]), &a), 0);
                cr_assert_leq(a.n_glyphs, ELEMENTSOF(ga));
                memcpy(ga, a.glyphs, a.n_glyphs * sizeof(PdfGlyph));
                cr_assert_eq(pdf_face_shape(plain, strings[i], strlen(strings[i]), &b), 0);
                cr_assert_leq(b.n_glyphs, ELEMENTSOF(gb));
                memcpy(gb, b.glyphs, b.n_glyphs * sizeof(PdfGlyph));
                cr_assert_eq(a.n_glyphs, b.n_glyphs, "'%s'", strings[i]);
                cr_expect_eq(a.width, b.width, "'%s'", strings[i]);
                for (size_t j = 0; j < a.n_glyphs; j++) {
                        cr_expect_eq(ga[j].gid, gb[j].gid, "'%s' glyph %zu", strings[i], j);
                        cr_expect_eq(ga[j].advance, gb[j].advance, "'%s' glyph %zu", strings[i], j);
                }
        }
        cr_expect(pdf_face_harfbuzz_opened(snap), "ñ and Ω are not in the snapshot");
        cr_expect(pdf_face_metrics(snap)->ascent == pdf_face_metrics(plain)->ascent);
        cr_expect_eq(pdf_face_upem(snap), pdf_face_upem(plain));
        cr_expect_str_eq(pdf_face_postscript_name(snap), pdf_face_postscript_name(plain));
}

/* A font that is not the one the build learnt (here: one table's checksum
 * changed in its directory) gets no snapshot, and still works. */
Test(face_snapshot, another_font_gets_none) {
        const PdfAssets *assets = fixture_pdf_assets();
        const PdfAsset *font = &assets->fonts[PDF_BOLD];
        _cleanup_(freep) char *copy = malloc(font->size);
        _cleanup_(pdf_face_freep) PdfFace *face = NULL;
        PdfRun run;

        cr_assert(copy);
        memcpy(copy, font->data, font->size);
        copy[12 + 4] ^= 1; /* the first table's checksum */
        cr_expect_neq(pdf_face_snapshot_key(copy, font->size), pdf_face_snapshot_key(font->data, font->size));
        cr_assert_eq(pdf_face_new(copy, font->size, &face), 0);
        cr_expect(!pdf_face_is_from_snapshot(face));
        cr_expect(pdf_face_harfbuzz_opened(face));
        cr_expect_eq(pdf_face_shape(face, "Facture", 7, &run), 0);
        cr_expect_eq(run.n_glyphs, 7);
}

/* The key reads no further than the file, however many tables it claims. */
Test(face_snapshot, key_of_short_files) {
        static const char header[12] = { 0, 1, 0, 0, (char) 0xFF, (char) 0xFF };

        cr_expect_neq(pdf_face_snapshot_key("", 0), pdf_face_snapshot_key("x", 1));
        (void) pdf_face_snapshot_key(header, sizeof(header));
        cr_expect_null(pdf_face_snapshot_find(pdf_face_snapshot_key(header, sizeof(header))));
}
