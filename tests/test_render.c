/* test_render.c — the render pipeline: golden files (byte for byte, the
 * attachment's content aside), format resolution, previews, and the
 * refusals that must come with a reason (zero total, bad number, taxable
 * convention without seller VAT id).
 *
 * Golden files live in tests/golden/. The base64 content of the BG-24
 * binary object (the bilan report PDF) is replaced by a fixed placeholder
 * before the comparison (the golden files hold the placeholder): its bytes
 * depend on the fonts, HarfBuzz and the ICC profile Debian ships, not on
 * our rules, and a security update of one of them must not break the
 * golden tests. What the attachment is (a PDF, with its MIME code and file
 * name, byte-identical to the bilan report of the same input) is asserted
 * beside each comparison instead. Everything else, the binary object's
 * attributes included, is compared byte for byte.
 *
 * On a mismatch the (masked) actual output is written next to the golden
 * file as NAME.actual; run
 *     diff -u tests/golden/NAME tests/golden/NAME.actual
 * and, when the change is intended, CHORUSD_UPDATE_GOLDEN=1 rewrites the
 * golden files (commit them with the rule change). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <fcntl.h>

#include "writers/bilan_report.h"
#include "base/fsutil.h"
#include "render_fixture.h"

#define GOLDEN_DIR "tests/golden"

/* Valid base64 (xs:base64Binary), so that a golden file stays XSD-valid. */
#define GOLDEN_ATTACHMENT_PLACEHOLDER "BilanReportPdfMaskedByTestRender"
_Static_assert((sizeof(GOLDEN_ATTACHMENT_PLACEHOLDER) - 1) % 4 == 0, "not base64");

#define BASE64_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="

typedef struct GoldenCase {
        char bilan[32];
        InvoiceFormat format;
        char golden[64];
} GoldenCase;

/* not const: cr_make_param_array casts to void * (clang -Wcast-qual) */
static GoldenCase golden_cases[] = {
        { "complete", INVOICE_FORMAT_UBL, "complete.ubl.xml" },
        { "complete", INVOICE_FORMAT_CII, "complete.cii.xml" },
        { "vat-s", INVOICE_FORMAT_UBL, "vat-s.ubl.xml" },
        { "vat-s", INVOICE_FORMAT_CII, "vat-s.cii.xml" },
        { "capped", INVOICE_FORMAT_CII, "capped.cii.xml" },
};

/* The BG-24 binary object of each XML syntax: element name and XPath. */
static const struct {
        const char *element;
        const char *xpath;
} golden_binary_objects[_INVOICE_FORMAT_MAX] = {
        [INVOICE_FORMAT_UBL] = {
                "cbc:EmbeddedDocumentBinaryObject",
                "/ubl:Invoice/cac:AdditionalDocumentReference/cac:Attachment/cbc:EmbeddedDocumentBinaryObject",
        },
        [INVOICE_FORMAT_CII] = {
                "ram:AttachmentBinaryObject",
                "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement"
                "/ram:AdditionalReferencedDocument/ram:AttachmentBinaryObject",
        },
};

/* The next start tag <element …> or <element> at or after p, or NULL. */
static const char *find_start_tag(const char *p, const char *element) {
        size_t n = strlen(element);

        for (const char *s = strstr(p, "<"); s; s = strstr(s + 1, "<"))
                if (strncmp(s + 1, element, n) == 0 && (s[1 + n] == ' ' || s[1 + n] == '>'))
                        return s;
        return NULL;
}

/* `xml` with the content of every <element …>BASE64</element> replaced by
 * GOLDEN_ATTACHMENT_PLACEHOLDER; the rest is copied byte for byte. Only a
 * non-empty run of base64 characters directly followed by the closing tag
 * is replaced, so markup never hides behind the placeholder. */
static char *golden_mask(const char *xml, const char *element, size_t *ret_size, unsigned *ret_masked) {
        _cleanup_(freep) char *end_tag = NULL;
        char *out = NULL;
        size_t size = 0;
        unsigned n = 0;
        const char *p = xml;
        FILE *f;

        cr_assert_geq(asprintf(&end_tag, "</%s>", element), 0);
        f = open_memstream(&out, &size);
        cr_assert_not_null(f);
        for (const char *tag = find_start_tag(p, element); tag; tag = find_start_tag(p, element)) {
                const char *content = strchr(tag, '>');
                size_t len;

                cr_assert_not_null(content);
                content++;
                len = strspn(content, BASE64_CHARS);
                cr_assert_gt(len, 0u, "<%s> has no base64 content", element);
                cr_assert_eq(strncmp(content + len, end_tag, strlen(end_tag)), 0,
                             "<%s> holds something else than base64", element);
                fwrite(p, 1, (size_t) (content - p), f);
                fputs(GOLDEN_ATTACHMENT_PLACEHOLDER, f);
                p = content + len;
                n++;
        }
        fputs(p, f);
        cr_assert_eq(fclose(f), 0);
        *ret_size = size;
        *ret_masked = n;
        return out;
}

/* The real attachment: exactly one, the bilan report PDF under its name,
 * byte for byte what bilan_report_render() makes of the same input. */
static void golden_check_attachment(const Fixture *f, InvoiceFormat format, const RenderedInvoice *out) {
        _cleanup_(proration_freep) Proration *p = NULL;
        _cleanup_(freep) unsigned char *decoded = NULL;
        _cleanup_(freep) char *expr = NULL, *report = NULL;
        const char *xpath = golden_binary_objects[format].xpath;
        xmlDocPtr doc = fixture_parse_xml(out->data, out->size);
        size_t decoded_size, report_size;

        cr_assert_eq(fixture_xpath_count(doc, "//cbc:EmbeddedDocumentBinaryObject | //ram:AttachmentBinaryObject"),
                     1);
        cr_assert_geq(asprintf(&expr, "%s/@mimeCode", xpath), 0);
        fixture_assert_xpath_eq(doc, expr, "application/pdf");
        free(expr);
        cr_assert_geq(asprintf(&expr, "%s/@filename", xpath), 0);
        fixture_assert_xpath_eq(doc, expr, "bilan-" FIXTURE_NUMBER ".pdf");
        decoded = fixture_decode_attachment(doc, xpath, &decoded_size);
        xmlFreeDoc(doc);
        cr_assert_geq(decoded_size, 5u);
        cr_expect_eq(memcmp(decoded, "%PDF-", 5), 0, "the attachment is not a PDF");

        cr_assert_eq(proration_compute(f->convention, f->bilan, &p, NULL), 0);
        cr_assert_eq(bilan_report_render(f->convention, f->bilan, p, fixture_pdf_assets(), &report, &report_size), 0);
        cr_assert_eq(decoded_size, report_size, "the attachment is not the bilan report");
        cr_expect_eq(memcmp(decoded, report, report_size), 0, "the attachment is not the bilan report");
}

static void golden_write(const char *name, const char *data, size_t size) {
        _cleanup_(closep) int dirfd = fs_open_dir(AT_FDCWD, GOLDEN_DIR, /* create= */ false);

        cr_assert_geq(dirfd, 0);
        cr_assert_eq(write_file_atomic(dirfd, name, data, size), 0, "cannot write %s/%s", GOLDEN_DIR, name);
}

ParameterizedTestParameters(render, golden) {
        return cr_make_param_array(GoldenCase, golden_cases, ELEMENTSOF(golden_cases));
}

ParameterizedTest(GoldenCase *c, render, golden) {
        _cleanup_(rendered_invoice_freep) RenderedInvoice *out = NULL;
        _cleanup_(freep) char *path = NULL, *expected = NULL, *actual_name = NULL, *masked = NULL;
        size_t size = 0, masked_size;
        unsigned n_masked;
        Fixture f;
        int r;

        fixture_load(&f, c->bilan);
        out = fixture_render(&f, c->format);
        cr_assert_eq(strlen(out->data), out->size, "NUL-terminated, no NUL inside");
        golden_check_attachment(&f, c->format, out);
        fixture_done(&f);
        masked = golden_mask(out->data, golden_binary_objects[c->format].element, &masked_size, &n_masked);
        cr_assert_eq(n_masked, 1u);

        cr_assert_geq(asprintf(&path, GOLDEN_DIR "/%s", c->golden), 0);
        if (getenv("CHORUSD_UPDATE_GOLDEN")) {
                golden_write(c->golden, masked, masked_size);
                cr_log_warn("rewrote %s", path);
                return;
        }
        r = read_file_bounded(path, 1 << 20, &expected, &size);
        cr_assert_eq(r, 0, "%s: %s (CHORUSD_UPDATE_GOLDEN=1 creates it)", path, strerror(-r));
        if (size == masked_size && memcmp(expected, masked, size) == 0)
                return;

        cr_assert_geq(asprintf(&actual_name, "%s.actual", c->golden), 0);
        golden_write(actual_name, masked, masked_size);
        cr_assert_fail("%s differs from the rendered invoice: diff -u %s %s/%s "
                "(if intended: CHORUSD_UPDATE_GOLDEN=1 and commit the golden file with the change)",
                path, path, GOLDEN_DIR, actual_name);
}

Test(render, golden_mask_replaces_only_the_base64_content) {
        static const char xml[] =
                "<r><ram:AttachmentBinaryObject mimeCode=\"application/pdf\" filename=\"b.pdf\">JVBERi0x+/9=="
                "</ram:AttachmentBinaryObject><ram:AttachmentBinaryObjectX>QUJD</ram:AttachmentBinaryObjectX>"
                "<ram:AttachmentBinaryObject>QUJD</ram:AttachmentBinaryObject></r>\n";
        static const char expected[] =
                "<r><ram:AttachmentBinaryObject mimeCode=\"application/pdf\" filename=\"b.pdf\">"
                GOLDEN_ATTACHMENT_PLACEHOLDER
                "</ram:AttachmentBinaryObject><ram:AttachmentBinaryObjectX>QUJD</ram:AttachmentBinaryObjectX>"
                "<ram:AttachmentBinaryObject>" GOLDEN_ATTACHMENT_PLACEHOLDER "</ram:AttachmentBinaryObject></r>\n";
        _cleanup_(freep) char *masked = NULL;
        unsigned n;
        size_t size;

        masked = golden_mask(xml, "ram:AttachmentBinaryObject", &size, &n);
        cr_expect_eq(n, 2u);
        cr_expect_eq(size, strlen(masked));
        cr_expect_str_eq(masked, expected);
}

Test(render, format_resolution) {
        _cleanup_(rendered_invoice_freep) RenderedInvoice *a = NULL, *b = NULL, *c = NULL;
        Fixture cdcmc, third;

        fixture_load(&cdcmc, "complete"); /* convention says ubl */
        fixture_load(&third, "third");    /* convention says nothing */

        a = fixture_render(&cdcmc, _INVOICE_FORMAT_INVALID);
        cr_expect_eq(a->format, INVOICE_FORMAT_UBL);
        b = fixture_render(&cdcmc, INVOICE_FORMAT_CII);
        cr_expect_eq(b->format, INVOICE_FORMAT_CII, "asked for beats the convention");
        cr_expect_not_null(strstr(b->data, "<rsm:CrossIndustryInvoice"));

        third.config->invoice.default_format = INVOICE_FORMAT_CII;
        c = fixture_render(&third, _INVOICE_FORMAT_INVALID);
        cr_expect_eq(c->format, INVOICE_FORMAT_CII, "the configured default");
        cr_expect_eq(render_resolve_format(third.config, third.convention, INVOICE_FORMAT_UBL), INVOICE_FORMAT_UBL);
        cr_expect_eq(render_resolve_format(cdcmc.config, NULL, _INVOICE_FORMAT_INVALID), INVOICE_FORMAT_UBL);
        fixture_done(&cdcmc);
        fixture_done(&third);
}

Test(render, result_carries_model_and_amounts) {
        _cleanup_(rendered_invoice_freep) RenderedInvoice *out = NULL;
        Fixture f;

        fixture_load(&f, "capped");
        out = fixture_render(&f, INVOICE_FORMAT_UBL);
        cr_expect_str_eq(out->filename, "CMA34-2026-0001.xml");
        cr_assert_not_null(out->proration);
        cr_expect_eq(out->proration->total_before_cap, 400000);
        cr_expect_eq(out->proration->cap_allowance, 100000);
        cr_assert_not_null(out->invoice);
        cr_expect_eq(out->invoice->payable, 300000);
        cr_assert_eq(out->invoice->n_attachments, 1u);
        cr_expect_str_eq(out->invoice->attachments[0].mime, "application/pdf");
        cr_expect_str_eq(out->invoice->attachments[0].filename, "bilan-CMA34-2026-0001.pdf");
        fixture_done(&f);
}

Test(render, preview_number) {
        _cleanup_(rendered_invoice_freep) RenderedInvoice *out = NULL;
        Diagnostics diags = DIAGNOSTICS_INIT;
        RenderRequest req;
        Fixture f;

        fixture_load(&f, "partial");
        req = fixture_request(&f, INVOICE_FORMAT_UBL);
        req.number = RENDER_PREVIEW_NUMBER;
        cr_assert_eq(render_invoice(&req, &out, &diags), 0);
        cr_expect_str_eq(out->filename, "PREVIEW.xml");
        cr_expect_str_eq(out->invoice->number, "PREVIEW");
        cr_expect_not_null(strstr(out->data, "<cbc:ID>PREVIEW</cbc:ID>"));
        cr_expect_not_null(strstr(out->data, "filename=\"bilan-PREVIEW.pdf\""));
        cr_expect_eq(diags.n_items, 0u);
        fixture_done(&f);
}

Test(render, zero_total_is_not_invoiced) {
        RenderedInvoice *out = NULL;
        Diagnostics diags = DIAGNOSTICS_INIT;
        RenderRequest req;
        Fixture f;

        fixture_load(&f, "zero");
        req = fixture_request(&f, INVOICE_FORMAT_UBL);
        cr_expect_eq(render_invoice(&req, &out, &diags), -EDOM);
        cr_expect_null(out);
        cr_expect_geq(diags.n_errors, 1u, "the reason is given");
        diagnostics_clear(&diags);
        fixture_done(&f);
}

Test(render, bad_numbers) {
        static const char *const numbers[] = { "", "CMA34-2026-0000000001" };
        RenderedInvoice *out = NULL;
        Diagnostics diags = DIAGNOSTICS_INIT;
        RenderRequest req;
        Fixture f;

        fixture_load(&f, "complete");
        for (size_t i = 0; i < ELEMENTSOF(numbers); i++) {
                req = fixture_request(&f, INVOICE_FORMAT_UBL);
                req.number = numbers[i];
                cr_expect_eq(render_invoice(&req, &out, &diags), -EINVAL, "'%s'", numbers[i]);
                cr_expect_null(out);
                cr_expect_eq(diags.n_errors, i + 1);
        }
        cr_expect_str_eq(diags.items[0].path, "number");
        diagnostics_clear(&diags);
        fixture_done(&f);
}

Test(render, taxable_convention_needs_seller_vat_id) {
        RenderedInvoice *out = NULL;
        Diagnostics diags = DIAGNOSTICS_INIT;
        RenderRequest req;
        Fixture f;

        fixture_load_with(&f, fixture_config_full(fixture_drop_vat_id), "vat-s");
        cr_expect_eq(render_check(f.config, f.convention, &diags), -EINVAL);
        cr_assert_eq(diags.n_errors, 1u);
        cr_expect_str_eq(diags.items[0].path, "seller.vat_id");
        cr_expect_not_null(strstr(diags.items[0].message, "BR-S-02"), "%s", diags.items[0].message);
        cr_expect_not_null(diags.items[0].message_fr);
        diagnostics_clear(&diags);

        req = fixture_request(&f, INVOICE_FORMAT_CII);
        cr_expect_eq(render_invoice(&req, &out, &diags), -EINVAL);
        cr_expect_null(out);
        cr_expect_eq(diags.n_errors, 1u);
        diagnostics_clear(&diags);
        fixture_done(&f);
}

Test(render, out_of_scope_convention_without_seller_vat_id_is_fine) {
        Diagnostics diags = DIAGNOSTICS_INIT;
        Fixture f;

        fixture_load_with(&f, fixture_config_full(fixture_drop_vat_id), "complete");
        cr_expect_eq(render_check(f.config, f.convention, &diags), 0);
        cr_expect_eq(diags.n_items, 0u);
        fixture_done(&f);
}

Test(render, facturx_is_rendered_or_refused_with_a_reason) {
        RenderedInvoice *out = NULL;
        Diagnostics diags = DIAGNOSTICS_INIT;
        RenderRequest req;
        Fixture f;
        int r;

        fixture_load(&f, "complete");
        req = fixture_request(&f, INVOICE_FORMAT_FACTURX);
        r = render_invoice(&req, &out, &diags);
        if (r == 0) {
                cr_expect_eq(out->format, INVOICE_FORMAT_FACTURX);
                cr_expect_str_eq(out->filename, "CMA34-2026-0001.pdf");
                cr_expect_eq(memcmp(out->data, "%PDF-", 5), 0);
        } else {
                cr_expect_eq(r, -EOPNOTSUPP);
                cr_expect_eq(diags.n_errors, 1u);
        }
        rendered_invoice_free(out);
        diagnostics_clear(&diags);
        fixture_done(&f);
}
