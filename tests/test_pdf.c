/* test_pdf.c — the PDF layers under Factur-X: pdf_writer (numbers, strings,
 * names, objects, xref, /ID), pdf_face and pdf_font (shaping, the fast
 * path against HarfBuzz, substitution, subset embedding) and pdf_document (pages, wrapping, PDF/A parts). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "writers/pdf_document.h"
#include "writers/pdf_face.h"
#include "writers/pdf_font.h"
#include "writers/pdf_layout.h"
#include "writers/pdf_writer.h"
#include "pdf_assets_fixture.h"

static const char *buffer_str(PdfBuffer *b) {
        pdf_buffer_append(b, "", 1);
        cr_assert_eq(pdf_buffer_error(b), 0);
        return b->data;
}

/* ---------------------------------------------------------------- writer */

typedef struct NumberCase {
        double value;
        char expected[16];
} NumberCase;

ParameterizedTestParameters(pdf_writer, number) {
        static NumberCase cases[] = {
                { 0, "0" },       { 12, "12" },         { 12.5, "12.5" },   { 12.25, "12.25" },
                { 0.004, "0" },   { -0.004, "0" },      { -3.1, "-3.1" },   { 841.89, "841.89" },
                { 595.276, "595.28" }, { 1e6, "1000000" }, { 0.999, "1" },
        };
        return cr_make_param_array(NumberCase, cases, ELEMENTSOF(cases));
}

ParameterizedTest(NumberCase *c, pdf_writer, number) {
        PdfBuffer b = {};

        pdf_buffer_number(&b, c->value);
        cr_expect_str_eq(buffer_str(&b), c->expected);
        pdf_buffer_done(&b);
}

Test(pdf_writer, integers_and_hex) {
        PdfBuffer b = {};

        pdf_buffer_uint(&b, 0);
        pdf_buffer_puts(&b, " ");
        pdf_buffer_uint(&b, 18446744073709551615ULL);
        pdf_buffer_puts(&b, " ");
        pdf_buffer_int(&b, -9223372036854775807LL - 1);
        pdf_buffer_puts(&b, " ");
        pdf_buffer_int(&b, 42);
        pdf_buffer_puts(&b, " ");
        pdf_buffer_hex4(&b, 0x4F);
        pdf_buffer_hex4(&b, 0xBEEF);
        cr_expect_str_eq(buffer_str(&b), "0 18446744073709551615 -9223372036854775808 42 004FBEEF");
        pdf_buffer_done(&b);
}

/* The /ID hash is XXH64 with seed 0 in its first half: the reference
 * values of the algorithm's own test suite, one per code path (empty, the
 * 1-, 4- and 8-byte tails, whole 32-byte stripes). */
Test(pdf_writer, id_hash_is_xxh64) {
        static const struct {
                const char *s;
                uint64_t h;
        } cases[] = {
                { "", UINT64_C(0xEF46DB3751D8E999) },
                { "a", UINT64_C(0xD24EC4F1A98C6E5B) },
                { "abc", UINT64_C(0x44BC2CF5AD770999) },
                { "message digest", UINT64_C(0x066ED728FCEEB3BE) },
                { "abcdefghijklmnopqrstuvwxyz", UINT64_C(0xCFE1F278FA89835C) },
                { "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                  UINT64_C(0xE04A477F19EE145D) },
        };
        uint64_t h[2], again[2];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                pdf_id_hash(cases[i].s, strlen(cases[i].s), h);
                cr_expect_eq(h[0], cases[i].h, "XXH64(\"%s\") = %016llx", cases[i].s, (unsigned long long) h[0]);
                cr_expect_neq(h[1], h[0]);
                pdf_id_hash(cases[i].s, strlen(cases[i].s), again);
                cr_expect(h[0] == again[0] && h[1] == again[1]);
        }
}

/* Arrays, not pointers: Criterion copies parameters into the test process. */
typedef struct StringCase {
        char input[16];
        char expected[48];
} StringCase;

ParameterizedTestParameters(pdf_writer, text_string) {
        static StringCase cases[] = {
                { "factur-x.xml", "(factur-x.xml)" },
                { "a(b)c\\", "(a\\(b\\)c\\\\)" },
                /* non-ASCII: UTF-16BE with BOM, every byte outside printable ASCII escaped */
                { "é", "(\\376\\377\\000\\351)" },
                { "€", "(\\376\\377 \\254)" },
                /* invalid UTF-8 becomes U+FFFD, one per byte skipped */
                { "\xff", "(\\376\\377\\377\\375)" },
                { "\xE2\x82", "(\\376\\377\\377\\375\\377\\375)" },
                /* outside the BMP: a surrogate pair */
                { "\xF0\x9F\x98\x80", "(\\376\\377\\330=\\336\\000)" },
        };
        return cr_make_param_array(StringCase, cases, ELEMENTSOF(cases));
}

ParameterizedTest(StringCase *c, pdf_writer, text_string) {
        PdfBuffer b = {};

        pdf_buffer_text_string(&b, c->input);
        cr_expect_str_eq(buffer_str(&b), c->expected);
        pdf_buffer_done(&b);
}

Test(pdf_writer, name_escapes) {
        PdfBuffer b = {};

        pdf_buffer_name(&b, "text/xml");
        pdf_buffer_puts(&b, " ");
        pdf_buffer_name(&b, "application/pdf");
        pdf_buffer_puts(&b, " ");
        pdf_buffer_name(&b, "a b#");
        cr_expect_str_eq(buffer_str(&b), "/text#2Fxml /application#2Fpdf /a#20b#23");
        pdf_buffer_done(&b);
}

Test(pdf_writer, dates_agree) {
        char pdf[PDF_DATE_MAX], xmp[PDF_DATE_MAX];
        Date d = { 2026, 12, 5 };

        cr_expect_str_eq(pdf_date(d, pdf), "D:20261205000000+00'00'");
        cr_expect_str_eq(pdf_xmp_date(d, xmp), "2026-12-05T00:00:00+00:00");
}

static void write_minimal(char **ret, size_t *ret_size) {
        _cleanup_(pdf_writer_freep) PdfWriter *w = NULL;
        uint32_t catalog, pages;
        PdfBuffer *b;

        cr_assert_eq(pdf_writer_new(&w), 0);
        catalog = pdf_writer_reserve(w);
        pages = pdf_writer_reserve(w);
        /* written out of order on purpose */
        b = pdf_writer_begin_object(w, pages);
        pdf_buffer_puts(b, "<< /Type /Pages /Kids [] /Count 0 >>");
        pdf_writer_end_object(w);
        b = pdf_writer_begin_object(w, catalog);
        pdf_buffer_printf(b, "<< /Type /Catalog /Pages %u 0 R >>", pages);
        pdf_writer_end_object(w);
        cr_assert_eq(pdf_writer_finish(w, catalog, 0, ret, ret_size), 0);
}

Test(pdf_writer, xref_points_at_objects_and_id_is_stable) {
        _cleanup_(freep) char *a = NULL, *b = NULL;
        size_t na, nb, xref;
        const char *p;
        unsigned long off1, off2;

        write_minimal(&a, &na);
        write_minimal(&b, &nb);
        cr_assert_eq(na, nb);
        cr_expect_eq(memcmp(a, b, na), 0, "same calls, same bytes");
        cr_expect_eq(memcmp(a, "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n", 15), 0);

        p = strstr(a, "startxref\n");
        cr_assert_not_null(p);
        cr_assert_eq(sscanf(p, "startxref\n%zu", &xref), 1);
        cr_assert_eq(strncmp(a + xref, "xref\n0 3\n", 9), 0);
        cr_assert_eq(sscanf(a + xref + 9 + 20, "%010lu 00000 n \n%010lu", &off1, &off2), 2);
        cr_expect_eq(strncmp(a + off1, "1 0 obj\n<< /Type /Catalog", 25), 0);
        cr_expect_eq(strncmp(a + off2, "2 0 obj\n<< /Type /Pages", 23), 0);
        cr_expect_not_null(strstr(a, "/ID [<"));
        cr_expect_eq(memcmp(a + na - 6, "%%EOF\n", 6), 0);
}

Test(pdf_writer, unwritten_object_is_a_bug) {
        _cleanup_(pdf_writer_freep) PdfWriter *w = NULL;
        char *out = NULL;
        size_t n;
        uint32_t catalog;

        cr_assert_eq(pdf_writer_new(&w), 0);
        catalog = pdf_writer_reserve(w);
        pdf_writer_reserve(w); /* never written */
        pdf_writer_begin_object(w, catalog);
        pdf_writer_end_object(w);
        cr_expect_eq(pdf_writer_finish(w, catalog, 0, &out, &n), -EINVAL);
        cr_expect_null(out);
}

Test(pdf_writer, sticky_error) {
        _cleanup_(pdf_writer_freep) PdfWriter *w = NULL;
        char *out = NULL;
        size_t n;
        uint32_t catalog;

        cr_assert_eq(pdf_writer_new(&w), 0);
        catalog = pdf_writer_reserve(w);
        pdf_writer_begin_object(w, catalog);
        pdf_writer_end_object(w);
        pdf_writer_fail(w, -EFBIG);
        pdf_writer_fail(w, -ENOMEM); /* the first error wins */
        cr_expect_eq(pdf_writer_finish(w, catalog, 0, &out, &n), -EFBIG);
}

/* ---------------------------------------------------------------- fonts */

Test(pdf_font, missing_file) {
        PdfAssets *a = NULL;

        cr_expect_eq(pdf_assets_load_from("/nonexistent/font.ttf", PDF_FONT_BOLD_PATH, PDF_ICC_SRGB_PATH, &a),
                     -ENOENT);
        cr_expect_null(a);
}

Test(pdf_font, not_a_font) {
        PdfFace *f = NULL;

        cr_expect_eq(pdf_face_new("not a font", strlen("not a font"), &f), -EINVAL);
        cr_expect_null(f);
}

static PdfFace *face_of(PdfFontStyle style) {
        const PdfAssets *a = fixture_pdf_assets();
        PdfFace *face = NULL;

        cr_assert_not_null(a->cache);
        cr_assert_eq(pdf_cache_face(a->cache, a, style, &face), 0);
        return face;
}

static int font_regular(PdfFont **ret) {
        return pdf_font_new(face_of(PDF_REGULAR), ret);
}

/* The fast path (cached advances and pair kerning learnt from HarfBuzz)
 * draws exactly what HarfBuzz draws: the same glyphs with the same
 * advances, on French words, figures, punctuation, accents, and random
 * strings of them, in both fonts; and a fitting prefix measured in one
 * pass is the one measured prefix by prefix. */
static void expect_same_run(PdfFace *face, const char *s) {
        PdfRun fast, hb;
        PdfGlyph *copy;
        size_t n;
        int64_t width;

        cr_assert_eq(pdf_face_shape(face, s, strlen(s), &fast), 0);
        n = fast.n_glyphs;
        width = fast.width;
        copy = calloc(n + 1, sizeof(PdfGlyph));
        cr_assert_not_null(copy);
        memcpy(copy, fast.glyphs, n * sizeof(PdfGlyph));
        cr_assert_eq(pdf_face_shape_harfbuzz(face, s, strlen(s), &hb), 0);
        cr_expect_eq(hb.n_glyphs, n, "'%s': %zu glyphs, HarfBuzz %zu", s, n, hb.n_glyphs);
        for (size_t i = 0; i < n && i < hb.n_glyphs; i++) {
                cr_expect_eq(copy[i].gid, hb.glyphs[i].gid, "'%s' glyph %zu", s, i);
                cr_expect_eq(copy[i].advance, hb.glyphs[i].advance, "'%s' advance %zu", s, i);
        }
        cr_expect_eq(width, hb.width, "'%s' width", s);
        free(copy);
}

Test(pdf_font, fast_path_is_harfbuzz) {
        static const char *const words[] = {
                "Facture", "AVOIR", "Total TTC", "4 000,00\u00A0€", "Objectif", "Réalisé", "Montant dû",
                "L'Année", "«\u00A0Tâches\u00A0»", "Wa", "To", "Yo", "AV", "LT", "P.", "F,", "r.", "y,",
                "N° TVA", "Chambre de métiers et de l'artisanat", "œuvre", "ÉCOLE", "11/12/2026", "—", "…",
                "1 234 567,89", "(Art. 3)", "x ÷ y", "§ 2", "m²", "ça", "Où", "Ÿ", "été à", "  ", "\t",
        };
        static const char alphabet[] = "AVWTYLPFrvywo.,;:-'’ éèàçùÉÀ0123456789€«»()/%&@aeiosntTmM";
        uint32_t seed = 12345;

        for (PdfFontStyle style = 0; style < _PDF_FONT_STYLE_MAX; style++) {
                PdfFace *face = face_of(style);

                for (size_t i = 0; i < ELEMENTSOF(words); i++)
                        for (size_t j = 0; j < ELEMENTSOF(words); j++) {
                                char s[256];

                                snprintf(s, sizeof(s), "%s %s%s", words[i], words[j], words[i]);
                                expect_same_run(face, s);
                        }
                for (unsigned k = 0; k < 3000; k++) {
                        char s[128];
                        size_t len = 0, n;

                        seed = seed * 1103515245u + 12345u;
                        n = 1 + (seed >> 16) % 24;
                        for (size_t c = 0; c < n; c++) {
                                const char *p = alphabet;
                                size_t pick;

                                seed = seed * 1103515245u + 12345u;
                                pick = (seed >> 16) % 60;
                                /* the pick-th character of the UTF-8 alphabet */
                                for (size_t m = 0; m < pick && *p; m++)
                                        p += ((unsigned char) *p < 0x80) ? 1 : ((unsigned char) *p < 0xE0) ? 2 : 3;
                                if (!*p)
                                        p = alphabet;
                                n = ((unsigned char) *p < 0x80) ? 1 : ((unsigned char) *p < 0xE0) ? 2 : 3;
                                memcpy(s + len, p, n);
                                len += n;
                        }
                        s[len] = 0;
                        expect_same_run(face, s);
                        expect_same_run(face, s); /* now from the learnt pairs */
                }
        }
}

Test(pdf_font, fast_fit_is_the_longest_prefix) {
        static const char text[] = "Chambre de métiers et de l'artisanat — AVOIR n° 12 « été » Wa To Yo";
        PdfFace *face = face_of(PDF_REGULAR);
        PdfRun run;

        /* learn the pairs first */
        cr_assert_eq(pdf_face_shape(face, text, strlen(text), &run), 0);
        for (double width = 5; width < 400; width += 7.3) {
                size_t fit = 0, expected = 0;

                cr_assert_eq(pdf_face_fit(face, text, strlen(text), 9, width, &fit), 1);
                for (size_t k = 1; k <= strlen(text); k++) {
                        if (((unsigned char) text[k] & 0xC0) == 0x80)
                                continue;
                        cr_assert_eq(pdf_face_shape(face, text, k, &run), 0);
                        if ((double) run.width * 1000.0 / pdf_face_upem(face) * 9 / 1000.0 > width)
                                break;
                        expected = k;
                }
                cr_expect_eq(fit, expected, "width %g: %zu bytes fit, not %zu", width, expected, fit);
        }
}

Test(pdf_font, shows_glyphs_and_measures) {
        _cleanup_(pdf_font_freep) PdfFont *f = NULL;
        PdfBuffer b = {};
        double w_euro, w_ab, w_a, w_b;

        cr_assert_eq(font_regular(&f), 0);
        w_euro = pdf_font_width(f, "€");
        w_a = pdf_font_width(f, "A");
        w_b = pdf_font_width(f, "V");
        w_ab = pdf_font_width(f, "AV");
        cr_expect_gt(w_euro, 400);
        cr_expect_lt(w_euro, 700);
        cr_expect_lt(w_ab, w_a + w_b, "kerning of AV applies");
        cr_expect_not(pdf_font_used(f));

        pdf_font_show(f, "AV", &b);
        cr_expect(pdf_font_used(f));
        /* two glyphs with a negative kerning offset between them (binary:
         * the codes' high bytes are NULs) */
        cr_expect_not_null(memmem(b.data, b.size, ")] TJ\n", 6));
        cr_expect_eq(strncmp(b.data, "[(", 2), 0);
        /* the codes of A and V as two bytes each, the kerning offset between */
        cr_expect_eq(b.data[4], ')');
        cr_expect(strchr("-0123456789", b.data[5]) != NULL);
        pdf_buffer_done(&b);
}

Test(pdf_font, missing_characters_are_substituted) {
        _cleanup_(pdf_font_freep) PdfFont *f = NULL;

        cr_assert_eq(font_regular(&f), 0);
        /* no CJK in Liberation Sans: '?' rather than .notdef */
        cr_expect_float_eq(pdf_font_width(f, "中"), pdf_font_width(f, "?"), 0.01);
        /* control characters are drawn as spaces */
        cr_expect_float_eq(pdf_font_width(f, "a\tb"), pdf_font_width(f, "a b"), 0.01);
}

/* ---------------------------------------------------------------- document */

static PdfDocument *new_document(void) {
        PdfDocument *d = NULL;

        cr_assert_eq(pdf_document_new(&(PdfDocumentInfo) {
                .title = "Essai (test) été",
                .author = "CMA & co",
                .subject = "<sujet>",
                .date = { 2026, 12, 15 },
                .assets = fixture_pdf_assets(),
        }, &d), 0);
        return d;
}

Test(pdf_document, wrap) {
        _cleanup_(pdf_document_freep) PdfDocument *d = new_document();
        _cleanup_(strv_freep) char **lines = NULL;
        static const PdfTextStyle s = { PDF_REGULAR, 10, 0 };
        size_t n = 0;

        cr_assert_eq(pdf_document_wrap(d, &s, "un deux trois quatre cinq six sept huit neuf dix\nfin", 80, &lines), 0);
        for (; lines[n]; n++)
                cr_expect_leq(pdf_document_text_width(d, &s, lines[n]), 80.0, "line '%s' too wide", lines[n]);
        cr_expect_geq(n, 4u);
        cr_expect_str_eq(lines[0], "un deux trois");
        cr_expect_str_eq(lines[n - 1], "fin");
        strv_free(lines);

        /* a word longer than the line is cut, not lost */
        cr_assert_eq(pdf_document_wrap(d, &s, "anticonstitutionnellement", 40, &lines), 0);
        cr_expect_not_null(lines[1]);
        strv_free(lines);

        cr_assert_eq(pdf_document_wrap(d, &s, "", 40, &lines), 0);
        cr_expect_str_eq(lines[0], "");
        cr_expect_null(lines[1]);
}

/* Every line fits, and would not with what follows it (the next word, or
 * the next character of a word cut because it is wider than the line):
 * greedy wrapping, in order, nothing lost. */
static void expect_greedy_lines(PdfDocument *d, const PdfTextStyle *s, const char *text, double width,
                                char **lines) {
        const char *p = text;

        for (size_t i = 0; lines[i]; i++) {
                const char *start;
                size_t n = strlen(lines[i]), more;
                _cleanup_(freep) char *longer = NULL;

                cr_assert_leq(pdf_document_text_width(d, s, lines[i]), width, "line %zu too wide", i);
                p += strspn(p, " ");
                start = p;
                cr_assert_eq(strncmp(p, lines[i], n), 0, "line %zu is not the text that follows", i);
                p += n;
                if (!lines[i + 1])
                        break;
                if (*p == ' ')
                        more = strspn(p, " ") + strcspn(p + strspn(p, " "), " ");
                else
                        for (more = 1; ((unsigned char) p[more] & 0xC0) == 0x80; more++)
                                ;
                longer = strndup(start, n + more);
                cr_assert_not_null(longer);
                cr_expect_gt(pdf_document_text_width(d, s, longer), width, "line %zu '%s' could take more", i,
                             lines[i]);
        }
        p += strspn(p, " ");
        cr_expect_eq(*p, '\0', "text left over: '%.20s'", p);
}

/* A long run without spaces (a pasted link, an encoded image) must cost
 * about what fits on each line, not its whole length per line: 100 000
 * characters took minutes, long enough for systemd's watchdog to kill the
 * daemon in the middle of a render, again at every restart. */
Test(pdf_document, wrap_long_run_without_spaces, .timeout = 30) {
        _cleanup_(pdf_document_freep) PdfDocument *d = new_document();
        _cleanup_(strv_freep) char **lines = NULL;
        _cleanup_(freep) char *text = malloc(100001);
        static const PdfTextStyle s = { PDF_REGULAR, 8, 0 };
        size_t n = 0;

        cr_assert_not_null(text);
        memset(text, 'a', 100000);
        text[100000] = '\0';
        memcpy(text + 50000, " deux mots ", 11);
        cr_assert_eq(pdf_document_wrap(d, &s, text, 85, &lines), 0);
        while (lines[n])
                n++;
        cr_expect_gt(n, 4000u);
        expect_greedy_lines(d, &s, text, 85, lines);
}

Test(pdf_document, wrap_is_greedy) {
        static const char text[] =
                "Accompagnement de cinq entreprises artisanales du Minervois : labels environnementaux, "
                "visites énergie, diagnostics « zéro déchet » et anticonstitutionnellement un mot très long, "
                "puis des mots courts a b c d e f g h i j k l m n o p q r s t u v w x y z.";
        static const double widths[] = { 30, 60, 85, 130, 262, 505 };
        _cleanup_(pdf_document_freep) PdfDocument *d = new_document();

        for (size_t i = 0; i < ELEMENTSOF(widths); i++) {
                static const PdfTextStyle s = { PDF_REGULAR, 9, 0 };
                char **lines = NULL;

                cr_assert_eq(pdf_document_wrap(d, &s, text, widths[i], &lines), 0);
                expect_greedy_lines(d, &s, text, widths[i], lines);
                strv_free(lines);
        }
}

Test(pdf_layout, format_siret) {
        static const char ref[] = "acces-plateforme-geometiers-occitanie-2026-reference-longue";
        char buf[32];

        cr_expect_str_eq(pdf_format_siret("41234567000019", buf), "412 345 670 00019");
        /* anything else is shown as it is, whole: not copied into 32 bytes */
        cr_expect_eq(pdf_format_siret(ref, buf), ref);
        cr_expect_str_eq(pdf_format_siret("4123456700001", buf), "4123456700001");
        cr_expect_str_eq(pdf_format_siret(NULL, buf), "");
}

/* PDF/A wants the XMP and the Info dictionary to agree. An XML parser
 * reads a raw CR as LF (XML 1.0 §2.11): "a\rb" in the Info /Author would
 * be "a\nb" in dc:creator unless the CR is a character reference. */
Test(pdf_document, xml_escape) {
        static const struct {
                const char *in, *out;
        } cases[] = {
                { "R&D <b> \"x\"", "R&amp;D &lt;b&gt; &quot;x&quot;" },
                { "ligne 1\r\nligne 2", "ligne 1&#13;\nligne 2" },
                { "a\tb\nc", "a\tb\nc" },
                { "été", "été" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(freep) char *e = pdf_xml_escape(cases[i].in);

                cr_expect_str_eq(e, cases[i].out);
        }
}

Test(pdf_document, pdfa_parts) {
        _cleanup_(pdf_document_freep) PdfDocument *d = new_document();
        _cleanup_(freep) char *pdf = NULL;
        static const PdfTextStyle s = { PDF_BOLD, 12, 0x1F3A5F };
        size_t n;

        pdf_document_text(d, &s, 45, 60, PDF_ALIGN_LEFT, "Net à payer : 3 500,00 €");
        pdf_document_add_page(d);
        pdf_document_fill_rect(d, 45, 60, 100, 20, 0xF1F3F6);
        cr_assert_eq(pdf_document_attach(d, &(PdfAttachment) {
                .name = "b.txt", .description = "B", .mime = "text/plain",
                .relationship = PDF_AF_SUPPLEMENT, .data = "b", .size = 1 }), 0);
        cr_assert_eq(pdf_document_attach(d, &(PdfAttachment) {
                .name = "a.txt", .description = "A", .mime = "text/plain",
                .relationship = PDF_AF_DATA, .data = "a", .size = 1 }), 0);
        cr_expect_eq(pdf_document_attach(d, &(PdfAttachment) {
                .name = "a.txt", .mime = "text/plain", .data = "x", .size = 1 }), -EEXIST);
        cr_assert_eq(pdf_document_render(d, &pdf, &n), 0);

        cr_expect_not_null(memmem(pdf, n, "/Count 2", 8));
        /* Info and XMP say the same, escaped each its own way */
        cr_expect_not_null(memmem(pdf, n, "/Author (CMA & co)", 18));
        cr_expect_not_null(memmem(pdf, n, "<dc:creator><rdf:Seq><rdf:li>CMA &amp; co</rdf:li>", 50));
        cr_expect_not_null(memmem(pdf, n, "<rdf:li xml:lang=\"x-default\">&lt;sujet&gt;</rdf:li>", 50));
        cr_expect_not_null(memmem(pdf, n, "/CreationDate (D:20261215000000+00'00') /ModDate (D:20261215000000+00'00')", 73));
        cr_expect_not_null(memmem(pdf, n, "<xmp:CreateDate>2026-12-15T00:00:00+00:00</xmp:CreateDate>", 58));
        cr_expect_not_null(memmem(pdf, n, "<xmp:ModifyDate>2026-12-15T00:00:00+00:00</xmp:ModifyDate>", 58));
        cr_expect_not_null(memmem(pdf, n, "<pdfaid:part>3</pdfaid:part>", 28));
        cr_expect_not_null(memmem(pdf, n, "<pdfaid:conformance>B</pdfaid:conformance>", 42));
        cr_expect_not_null(memmem(pdf, n, "/Type /Metadata /Subtype /XML", 29));
        /* OutputIntent with an sRGB profile of 3 components */
        cr_expect_not_null(memmem(pdf, n, "/S /GTS_PDFA1", 13));
        cr_expect_not_null(memmem(pdf, n, "<< /N 3 /Length", 15));
        /* name tree sorted, relationships kept */
        cr_expect_not_null(memmem(pdf, n, "/EmbeddedFiles << /Names [(a.txt)", 33));
        cr_expect_not_null(memmem(pdf, n, "/AFRelationship /Data", 21));
        cr_expect_not_null(memmem(pdf, n, "/AFRelationship /Supplement", 27));
        /* subset fonts, CID-keyed, with ToUnicode */
        cr_expect_not_null(memmem(pdf, n, "/CIDToGIDMap /Identity", 22));
        cr_expect_not_null(memmem(pdf, n, "/ToUnicode", 10));
        cr_expect_not_null(memmem(pdf, n, "/FontFile2", 10));
        cr_expect_lt(n, 60000u, "fonts must be subset, not embedded whole");
        /* what PDF/A forbids */
        cr_expect_null(memmem(pdf, n, "/Encrypt", 8));
        cr_expect_null(memmem(pdf, n, "/JavaScript", 11));
        cr_expect_null(memmem(pdf, n, "/Group", 6));
        cr_expect_null(memmem(pdf, n, "/SMask", 6));
        cr_expect_null(memmem(pdf, n, "/ca ", 4));
}

Test(pdf_document, only_used_fonts_are_embedded) {
        _cleanup_(pdf_document_freep) PdfDocument *d = new_document();
        _cleanup_(freep) char *pdf = NULL;
        static const PdfTextStyle s = { PDF_REGULAR, 10, 0 };
        size_t n;

        pdf_document_text(d, &s, 45, 60, PDF_ALIGN_LEFT, "régulier");
        cr_assert_eq(pdf_document_render(d, &pdf, &n), 0);
        cr_expect_not_null(memmem(pdf, n, "LiberationSans /Encoding", 24));
        cr_expect_null(memmem(pdf, n, "LiberationSans-Bold", 19));
        cr_expect_null(memmem(pdf, n, "/Count 2", 8));
}

/* ---------------------------------------------------------------- caches */

static void render_text(const PdfAssets *assets, const char *text, char **ret, size_t *ret_size) {
        _cleanup_(pdf_document_freep) PdfDocument *d = NULL;
        static const PdfTextStyle s = { PDF_REGULAR, 10, 0x222222 };

        cr_assert_eq(pdf_document_new(&(PdfDocumentInfo) {
                .title = "Cache",
                .date = { 2026, 12, 15 },
                .assets = assets,
        }, &d), 0);
        pdf_document_paragraph(d, &s, 50, 100, 300, 12, text);
        pdf_document_text(d, &s, 500, 200, PDF_ALIGN_RIGHT, text);
        cr_assert_eq(pdf_document_render(d, ret, ret_size), 0);
}

/* The per-process caches (faces, learnt kerning, font programs, ICC
 * profile) change nothing in the bytes: the same document from assets
 * without a cache (a fresh one for the document), from the fixture's after
 * other documents warmed it (other pairs, a program beyond the fixed set),
 * and again. */
Test(pdf_document, caches_do_not_change_the_bytes) {
        static const char text[] = "Chambre de métiers — « AVOIR » n° 12 : 4 000,00 € ; Wa To Yo L'Tâche";
        const PdfAssets *shared = fixture_pdf_assets();
        PdfAssets bare = *shared;
        _cleanup_(freep) char *a = NULL, *b = NULL, *c = NULL;
        size_t na, nb, nc;

        bare.cache = NULL;
        render_text(&bare, text, &a, &na);
        render_text(shared, "Quantité réalisée, España, ŒUVRE « Vive » — AT&T VA", &b, &nb);
        free(b);
        render_text(shared, text, &b, &nb);
        render_text(shared, text, &c, &nc);
        cr_assert_eq(na, nb);
        cr_expect_eq(memcmp(a, b, na), 0);
        cr_assert_eq(nb, nc);
        cr_expect_eq(memcmp(b, c, nb), 0);
}

/* A glyph outside the fixed set (ñ, ß) gets the document a font program of
 * its own, with another subset tag; the fixed-set one is shared. */
Test(pdf_document, glyphs_beyond_the_fixed_set) {
        const PdfAssets *assets = fixture_pdf_assets();
        _cleanup_(freep) char *plain = NULL, *plain2 = NULL, *beyond = NULL;
        size_t n_plain, n_plain2, n_beyond;
        const char *tag_plain, *tag_plain2, *tag_beyond;

        render_text(assets, "Facture été", &plain, &n_plain);
        render_text(assets, "Avoir où", &plain2, &n_plain2);
        render_text(assets, "España Straße", &beyond, &n_beyond);
        tag_plain = memmem(plain, n_plain, "+LiberationSans ", 16);
        tag_plain2 = memmem(plain2, n_plain2, "+LiberationSans ", 16);
        tag_beyond = memmem(beyond, n_beyond, "+LiberationSans ", 16);
        cr_assert(tag_plain && tag_plain2 && tag_beyond);
        cr_expect_eq(memcmp(tag_plain - 6, tag_plain2 - 6, 6), 0, "one program for the fixed set");
        cr_expect_neq(memcmp(tag_plain - 6, tag_beyond - 6, 6), 0, "ñ and ß: a program of its own");
}
