/* render_fixture.h — what the invoice tests share (test_invoice,
 * test_invoice_ubl, test_invoice_cii, test_render, test_facturx): the test
 * configuration and conventions of tests/data/render/, a bilan loaded
 * through the real parsers, the render pipeline, and XPath/XSD checks on
 * the XML it writes.
 *
 * Header-only (static inline) so that only the tests that include it link
 * the modules it calls. Every helper asserts: a fixture that cannot be
 * built is a failed test, not a skipped one. */
#pragma once

#include <criterion/criterion.h>
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/bilan.h"
#include "base/config.h"
#include "core/convention.h"
#include "base/fileio.h"
#include "core/invoice.h"
#include "core/proration.h"
#include "writers/render.h"
#include "service/convention_dir.h"
#include "pdf_assets_fixture.h"

#define FIXTURE_DIR "tests/data/render"
#define FIXTURE_NUMBER "CMA34-2026-0001"
#define FIXTURE_ISSUE_DATE ((Date) { .year = 2026, .month = 12, .day = 15 })
#define FIXTURE_STANDARDS "../shared/standards"
#define FIXTURE_UBL_XSD FIXTURE_STANDARDS "/ubl-2.1/xsd/maindoc/UBL-Invoice-2.1.xsd"
#define FIXTURE_UBL_CREDIT_NOTE_XSD FIXTURE_STANDARDS "/ubl-2.1/xsd/maindoc/UBL-CreditNote-2.1.xsd"
#define FIXTURE_CII_XSD \
        FIXTURE_STANDARDS "/cii-d16b/xsd/uncefact/data/standard/CrossIndustryInvoice_100pD16B.xsd"

typedef struct Fixture {
        Config *config;
        ConventionSet *conventions;
        Bilan *bilan;
        const Convention *convention;
} Fixture;

/* tests/data/render/chorusd.conf.in with @DATADIR@ replaced by the absolute
 * path of tests/data/render (config.c wants absolute paths), loaded. The
 * temporary copy is removed at once. `edit`, when set, sees each line and
 * returns the line to write instead, or NULL to drop it. */
static inline Config *fixture_config_full(const char *(*edit)(const char *line)) {
        char datadir[PATH_MAX], path[] = "/tmp/chorusd-render-test-XXXXXX";
        _cleanup_(freep) char *template = NULL;
        Diagnostics diags = DIAGNOSTICS_INIT;
        Config *config = NULL;
        size_t size;
        FILE *f;
        int fd, r;

        cr_assert_not_null(realpath(FIXTURE_DIR, datadir), "run the tests from the repository root");
        r = read_file_bounded(FIXTURE_DIR "/chorusd.conf.in", 1 << 16, &template, &size);
        cr_assert_eq(r, 0, "read chorusd.conf.in: %s", strerror(-r));
        fd = mkstemp(path);
        cr_assert_geq(fd, 0);
        f = fdopen(fd, "w");
        cr_assert_not_null(f);
        for (char *line = strtok(template, "\n"); line; line = strtok(NULL, "\n")) {
                const char *l = edit ? edit(line) : line;
                const char *at = l ? strstr(l, "@DATADIR@") : NULL;

                if (!l)
                        continue;
                if (at)
                        fprintf(f, "%.*s%s%s\n", (int) (at - l), l, datadir, at + strlen("@DATADIR@"));
                else
                        fprintf(f, "%s\n", l);
        }
        cr_assert_eq(fclose(f), 0);
        r = config_load(path, &config, &diags);
        unlink(path);
        if (r < 0)
                diagnostics_print(&diags, stderr, false);
        diagnostics_clear(&diags);
        cr_assert_eq(r, 0, "config_load: %s", strerror(-r));
        return config;
}

static inline Config *fixture_config(void) {
        return fixture_config_full(NULL);
}

/* An `edit` for fixture_config_full(): the configuration without [seller]
 * vat_id. */
static inline const char *fixture_drop_vat_id(const char *line) {
        return strncmp(line, "vat_id", 6) == 0 ? NULL : line;
}

static inline void fixture_done(Fixture *f) {
        bilan_free(f->bilan);
        convention_set_free(f->conventions);
        config_free(f->config);
        *f = (Fixture) {};
}

/* Loads the configuration, every test convention, and bilans/NAME.json. */
static inline void fixture_load_with(Fixture *f, Config *config, const char *bilan_name) {
        _cleanup_(freep) char *path = NULL, *data = NULL;
        Diagnostics diags = DIAGNOSTICS_INIT;
        size_t size;
        int r;

        *f = (Fixture) { .config = config };
        r = convention_set_load_dir(f->config->conventions.dir, &f->conventions, &diags);
        diagnostics_print(&diags, stderr, false);
        diagnostics_clear(&diags);
        cr_assert_eq(r, 0, "conventions: %s", strerror(-r));

        cr_assert_geq(asprintf(&path, FIXTURE_DIR "/bilans/%s.json", bilan_name), 0);
        r = read_file_bounded(path, BILAN_SIZE_MAX, &data, &size);
        cr_assert_eq(r, 0, "%s: %s", path, strerror(-r));
        r = bilan_parse(path, data, size, f->conventions, &f->bilan, &f->convention, &diags);
        diagnostics_print(&diags, stderr, false);
        cr_assert_eq(diags.n_errors, 0);
        diagnostics_clear(&diags);
        cr_assert_eq(r, 0, "%s: %s", path, strerror(-r));
}

static inline void fixture_load(Fixture *f, const char *bilan_name) {
        fixture_load_with(f, fixture_config(), bilan_name);
}

static inline RenderRequest fixture_request(const Fixture *f, InvoiceFormat format) {
        return (RenderRequest) {
                .config = f->config,
                .convention = f->convention,
                .bilan = f->bilan,
                .number = FIXTURE_NUMBER,
                .issue_date = FIXTURE_ISSUE_DATE,
                .format = format,
                .pdf_assets = fixture_pdf_assets(),
        };
}

/* The whole pipeline on `req`, asserted to succeed. */
static inline RenderedInvoice *fixture_render_request(const RenderRequest *req) {
        Diagnostics diags = DIAGNOSTICS_INIT;
        RenderedInvoice *out = NULL;
        int r;

        r = render_invoice(req, &out, &diags);
        diagnostics_print(&diags, stderr, false);
        diagnostics_clear(&diags);
        cr_assert_eq(r, 0, "render_invoice: %s", strerror(-r));
        return out;
}

/* The whole pipeline on the fixture, asserted to succeed. */
static inline RenderedInvoice *fixture_render(const Fixture *f, InvoiceFormat format) {
        RenderRequest req = fixture_request(f, format);

        return fixture_render_request(&req);
}

/* What invoice_build() gets for the fixture and proration `p` (the
 * fixture's number and issue date, the configuration's payment terms), for
 * the tests that bend one field. */
static inline InvoiceInput fixture_invoice_input(const Fixture *f, const Proration *p) {
        return (InvoiceInput) {
                .seller = &f->config->seller,
                .convention = f->convention,
                .bilan = f->bilan,
                .proration = p,
                .number = FIXTURE_NUMBER,
                .issue_date = FIXTURE_ISSUE_DATE,
                .payment_terms_days = f->config->invoice.payment_terms_days,
        };
}

/* Only the model: proration + invoice_build, no attachment. */
static inline Invoice *fixture_model(const Fixture *f, Proration **ret_proration) {
        _cleanup_(proration_freep) Proration *p = NULL;
        Invoice *inv = NULL;
        InvoiceInput in;
        int r;

        r = proration_compute(f->convention, f->bilan, &p, NULL);
        cr_assert_eq(r, 0, "proration_compute: %s", strerror(-r));
        in = fixture_invoice_input(f, p);
        r = invoice_build(&in, &inv);
        cr_assert_eq(r, 0, "invoice_build: %s", strerror(-r));
        if (ret_proration)
                *ret_proration = TAKE_PTR(p);
        return inv;
}

/* ---- XML ---- */

static inline xmlDocPtr fixture_parse_xml(const char *data, size_t size) {
        xmlDocPtr doc = xmlReadMemory(data, (int) size, "invoice.xml", "UTF-8", XML_PARSE_NONET);

        cr_assert_not_null(doc, "the output is not well-formed XML");
        return doc;
}

static inline xmlXPathObjectPtr fixture_xpath_eval(xmlDocPtr doc, const char *expr) {
        static const char *const ns[][2] = {
                { "ubl", "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" },
                { "cn", "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2" },
                { "cac", "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" },
                { "cbc", "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2" },
                { "rsm", "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" },
                { "ram", "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" },
                { "udt", "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100" },
        };
        xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
        xmlXPathObjectPtr obj;

        cr_assert_not_null(ctx);
        for (size_t i = 0; i < ELEMENTSOF(ns); i++)
                cr_assert_eq(xmlXPathRegisterNs(ctx, (const xmlChar *) ns[i][0], (const xmlChar *) ns[i][1]), 0);
        obj = xmlXPathEvalExpression((const xmlChar *) expr, ctx);
        xmlXPathFreeContext(ctx);
        cr_assert_not_null(obj, "bad XPath: %s", expr);
        return obj;
}

/* Number of nodes `expr` selects. */
static inline int fixture_xpath_count(xmlDocPtr doc, const char *expr) {
        xmlXPathObjectPtr obj = fixture_xpath_eval(doc, expr);
        int n = obj->type == XPATH_NODESET && obj->nodesetval ? obj->nodesetval->nodeNr : 0;

        xmlXPathFreeObject(obj);
        return n;
}

/* string(expr), asserting that `expr` selects exactly one node. */
static inline char *fixture_xpath_string(xmlDocPtr doc, const char *expr) {
        _cleanup_(freep) char *wrapped = NULL;
        xmlXPathObjectPtr obj;
        char *s;

        cr_assert_eq(fixture_xpath_count(doc, expr), 1, "expected exactly one node at %s", expr);
        cr_assert_geq(asprintf(&wrapped, "string(%s)", expr), 0);
        obj = fixture_xpath_eval(doc, wrapped);
        s = strdup((const char *) obj->stringval);
        xmlXPathFreeObject(obj);
        cr_assert_not_null(s);
        return s;
}

#define fixture_assert_xpath_eq(doc, expr, expected)                                   \
        do {                                                                           \
                char *_s_ = fixture_xpath_string((doc), (expr));                       \
                cr_expect_str_eq(_s_, (expected), "at %s", (expr));                    \
                free(_s_);                                                             \
        } while (0)

#define fixture_assert_absent(doc, expr) \
        cr_expect_eq(fixture_xpath_count((doc), (expr)), 0, "expected nothing at %s", (expr))

/* Renders bilans/NAME.json as UBL or CII through the whole pipeline and
 * parses it; the document's bytes go to *ret_data when asked for. */
static inline xmlDocPtr fixture_render_xml(const char *bilan, InvoiceFormat format, char **ret_data) {
        _cleanup_(rendered_invoice_freep) RenderedInvoice *out = NULL;
        xmlDocPtr doc;
        Fixture f;

        fixture_load(&f, bilan);
        out = fixture_render(&f, format);
        cr_assert_eq(out->format, format);
        cr_assert_str_eq(out->filename, FIXTURE_NUMBER ".xml");
        cr_assert_eq(strlen(out->data), out->size, "NUL-terminated, no NUL inside");
        doc = fixture_parse_xml(out->data, out->size);
        if (ret_data)
                *ret_data = TAKE_PTR(out->data);
        fixture_done(&f);
        return doc;
}

/* Validates against an official XSD when /work/shared is there; returns
 * false (and the test is skipped) when it is not. */
static inline bool fixture_xsd_valid(xmlDocPtr doc, const char *xsd) {
        xmlSchemaParserCtxtPtr pctx;
        xmlSchemaValidCtxtPtr vctx;
        xmlSchemaPtr schema;
        int r;

        if (access(xsd, R_OK) < 0)
                cr_skip_test("%s not found: XSD check skipped", xsd);
        pctx = xmlSchemaNewParserCtxt(xsd);
        cr_assert_not_null(pctx);
        schema = xmlSchemaParse(pctx);
        xmlSchemaFreeParserCtxt(pctx);
        cr_assert_not_null(schema, "cannot load %s", xsd);
        vctx = xmlSchemaNewValidCtxt(schema);
        cr_assert_not_null(vctx);
        r = xmlSchemaValidateDoc(vctx, doc);
        xmlSchemaFreeValidCtxt(vctx);
        xmlSchemaFree(schema);
        return r == 0;
}

/* The BG-24 attachment of an XML invoice, base64-decoded (free()). */
static inline unsigned char *fixture_decode_attachment(xmlDocPtr doc, const char *expr, size_t *ret_size) {
        _cleanup_(freep) char *b64 = fixture_xpath_string(doc, expr);
        size_t n = strlen(b64);
        unsigned char *out = malloc(n / 4 * 3 + 1);
        size_t k = 0;
        unsigned bits = 0, acc = 0;

        cr_assert_not_null(out);
        for (size_t i = 0; i < n && b64[i] != '='; i++) {
                const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
                const char *p = strchr(alphabet, b64[i]);

                cr_assert(p && b64[i], "not base64 at %zu", i);
                acc = (acc << 6) | (unsigned) (p - alphabet);
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        out[k++] = (unsigned char) (acc >> bits);
                        acc &= (1u << bits) - 1;
                }
        }
        out[k] = '\0';
        *ret_size = k;
        return out;
}

/* The BG-24 binary object at `expr` holds a whole PDF (the bilan report;
 * its content is tested in test_facturx.c). */
static inline void fixture_assert_pdf_attachment(xmlDocPtr doc, const char *expr) {
        _cleanup_(freep) unsigned char *pdf = NULL;
        size_t size;

        pdf = fixture_decode_attachment(doc, expr, &size);
        cr_assert_gt(size, 1000u);
        cr_expect_eq(memcmp(pdf, "%PDF-1.7\n", 9), 0);
        cr_expect_eq(memcmp(pdf + size - 6, "%%EOF\n", 6), 0);
}
