/* test_facturx.c — the Factur-X PDF (facturx), the readable invoice
 * (invoice_pdf) and the bilan report (bilan_report), on the render test
 * data and on an invoice built by hand.
 *
 * The external checks (validate-invoice, qpdf --check, pdftotext, an
 * independent Factur-X reader) are in tests/suites/30-facturx; here the
 * structure is read back with a few string searches and zlib. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <zlib.h>

#include "writers/bilan_report.h"
#include "writers/facturx.h"
#include "writers/invoice_cii.h"
#include "writers/invoice_pdf.h"
#include "writers/pdf_document.h"
#include "writers/pdf_writer.h"
#include "render_fixture.h"

#define EXAMPLE_CII FIXTURE_STANDARDS "/examples/cii/CII_example1.xml"

/* ASCII base-85 decoding (ISO 32000-1 §7.4.3), written from the standard
 * as the writer's oracle: groups of 5 characters '!'..'u', 'z' for four
 * zero bytes, a last group of n + 1 characters for n bytes, "~>" at the
 * end, white space ignored. Returns the number of bytes, or -1. */
static long ascii85_decode(const char *s, size_t n, unsigned char *out, size_t room) {
        uint64_t v = 0;
        size_t got = 0, k = 0;

        for (size_t i = 0; i < n; i++) {
                char c = s[i];

                if (c == '~')
                        break;
                if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
                        continue;
                if (c == 'z' && k == 0) {
                        if (got + 4 > room)
                                return -1;
                        memset(out + got, 0, 4);
                        got += 4;
                        continue;
                }
                if (c < '!' || c > 'u')
                        return -1;
                v = v * 85 + (uint64_t) (c - '!');
                if (++k == 5) {
                        if (v > UINT32_MAX || got + 4 > room)
                                return -1;
                        for (int b = 0; b < 4; b++)
                                out[got++] = (unsigned char) (v >> (24 - 8 * b));
                        v = 0;
                        k = 0;
                }
        }
        if (k == 1)
                return -1;
        if (k > 1) {
                size_t keep = k - 1;

                for (; k < 5; k++)
                        v = v * 85 + 84; /* padded with 'u' */
                if (got + keep > room)
                        return -1;
                for (size_t b = 0; b < keep; b++)
                        out[got++] = (unsigned char) (v >> (24 - 8 * b));
        }
        return (long) got;
}

Test(facturx, ascii85_known_values) {
        unsigned char out[32];

        /* The classic example: "Man " is "9jqo^"; a last group of 1–3 bytes. */
        cr_assert_eq(ascii85_decode("9jqo^~>", 7, out, sizeof(out)), 4);
        cr_expect_eq(memcmp(out, "Man ", 4), 0);
        cr_assert_eq(ascii85_decode("9jqo^BlbD-BleB1DJ+*+F(f,q~>", 27, out, sizeof(out)), 16 + 4);
        cr_expect_eq(memcmp(out, "Man is distinguished", 20), 0);
}

Test(facturx, ascii85_stream_round_trip) {
        static const unsigned char bytes[] = { 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 'M', 'a', 'n', 1, 2, 3,
                                               0x80, 0x7F, 'e', 'n', 'd', 'o', 'b', 'j', 9, 10, 11, 12, 13,
                                               0,    0xFE, 'x', 'y', 'z', 'A', 'B', 'C', 'D', 'E', 'F', 'G',
                                               'H',  'I',  'J', 'K', 'L', 'M', 'N', 'O', 'P', 'Q', 'R', 'S',
                                               'T',  'U',  'V', 'W', 'X', 'Y', 'Z', 'a', 'b', 'c', 'd', 'e',
                                               'f',  'g',  'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q' };

        /* Every size from empty to past a line break (16 groups), so that
         * each length of last group is met. */
        for (size_t size = 0; size <= sizeof(bytes); size++) {
                _cleanup_(pdf_writer_freep) PdfWriter *w = NULL;
                _cleanup_(freep) char *pdf = NULL;
                const char *stream;
                unsigned char decoded[sizeof(bytes) + 1];
                size_t pdf_size, length;
                uint32_t num;

                cr_assert_eq(pdf_writer_new(&w), 0);
                num = pdf_writer_reserve(w);
                pdf_writer_stream_ascii85(w, num, NULL, bytes, size);
                cr_assert_eq(pdf_writer_finish(w, num, num, &pdf, &pdf_size), 0);
                stream = memmem(pdf, pdf_size, "stream\n", 7);
                cr_assert_not_null(stream);
                cr_assert_eq(sscanf(strstr(pdf, "/Length "), "/Length %zu", &length), 1);
                stream += 7;
                cr_assert_eq(memcmp(stream + length, "\nendstream", 10), 0, "size %zu: /Length is exact", size);
                cr_assert_eq(ascii85_decode(stream, length, decoded, sizeof(decoded)), (long) size, "size %zu",
                             size);
                cr_expect_eq(memcmp(decoded, bytes, size), 0, "size %zu", size);
        }
}

/* The decoded data of the embedded file whose stream dictionary contains
 * `subtype` ("/Subtype /text#2Fxml"), and its filter in *ret_filter. */
static unsigned char *embedded_file_filtered(const char *pdf, size_t n, const char *subtype, size_t *ret_size,
                                             const char **ret_filter) {
        const char *p, *params, *stream, *end;
        unsigned char *data;
        size_t length, size;
        uLongf out;

        p = memmem(pdf, n, subtype, strlen(subtype));
        cr_assert_not_null(p, "no embedded file %s", subtype);
        params = strstr(p, "/Params << /Size ");
        cr_assert_not_null(params);
        cr_assert_eq(sscanf(params, "/Params << /Size %zu", &size), 1);
        cr_assert_eq(sscanf(strstr(p, "/Length "), "/Length %zu", &length), 1);
        stream = strstr(p, "stream\n");
        cr_assert_not_null(stream);
        stream += strlen("stream\n");
        end = strstr(p, ">>\nstream\n");
        cr_assert_not_null(end);
        data = malloc(size + 1);
        cr_assert_not_null(data);
        if (memmem(p, (size_t) (end - p), "/Filter /FlateDecode", 20)) {
                *ret_filter = "FlateDecode";
                out = size;
                cr_assert_eq(uncompress(data, &out, (const Bytef *) stream, length), Z_OK);
                cr_assert_eq(out, size, "/Params /Size is the uncompressed size");
        } else if (memmem(p, (size_t) (end - p), "/Filter /ASCII85Decode", 22)) {
                *ret_filter = "ASCII85Decode";
                cr_assert_eq(memcmp(stream + length - 2, "~>", 2), 0, "base-85 data ends with ~>");
                cr_assert_eq(ascii85_decode(stream, length, data, size + 1), (long) size,
                             "/Params /Size is the decoded size");
        } else {
                *ret_filter = "";
                cr_assert_eq(length, size, "a stream without filter is the file as is");
                memcpy(data, stream, size);
        }
        *ret_size = size;
        return data;
}

static unsigned char *embedded_file(const char *pdf, size_t n, const char *subtype, size_t *ret_size) {
        const char *filter;

        return embedded_file_filtered(pdf, n, subtype, ret_size, &filter);
}

static RenderedInvoice *render_facturx(const char *bilan, Fixture *f) {
        fixture_load(f, bilan);
        return fixture_render(f, INVOICE_FORMAT_FACTURX);
}

Test(facturx, embedded_xml_is_the_cii_byte_for_byte) {
        _cleanup_(rendered_invoice_freep) RenderedInvoice *out = NULL;
        _cleanup_(freep) unsigned char *xml = NULL, *report = NULL;
        _cleanup_(freep) char *cii = NULL;
        size_t xml_size, cii_size, report_size;
        const char *filter;
        Fixture f;

        out = render_facturx("complete", &f);
        cr_expect_str_eq(out->filename, "CMA34-2026-0001.pdf");
        cr_assert_eq(memcmp(out->data, "%PDF-1.7\n", 9), 0);
        xml = embedded_file(out->data, out->size, "/Subtype /text#2Fxml", &xml_size);
        cr_assert_eq(invoice_cii_render(out->invoice, &cii, &cii_size), 0);
        cr_assert_eq(xml_size, cii_size);
        cr_expect_eq(memcmp(xml, cii, cii_size), 0);

        /* the bilan report rides along as a supplement, the same bytes as BG-24 */
        cr_assert_eq(out->invoice->n_attachments, 1u);
        report = embedded_file_filtered(out->data, out->size, "/Subtype /application#2Fpdf", &report_size,
                                        &filter);
        cr_assert_eq(report_size, out->invoice->attachments[0].size);
        cr_expect_eq(memcmp(report, out->invoice->attachments[0].data, report_size), 0);
        /* Already compressed, the report is base-85 encoded rather than
         * deflated again (issue 14), so its own "obj" lines stay hidden;
         * the XML, mostly its base64, is stored as is. */
        cr_expect_str_eq(filter, "ASCII85Decode");
        cr_expect_null(memmem(out->data + 9, out->size - 9, "%PDF-", 5),
                       "the report's header does not appear in the Factur-X's bytes");
        free(embedded_file_filtered(out->data, out->size, "/Subtype /text#2Fxml", &xml_size, &filter));
        cr_expect_str_eq(filter, "");
        fixture_done(&f);
}

Test(facturx, pdfa3_and_facturx_structure) {
        _cleanup_(rendered_invoice_freep) RenderedInvoice *out = NULL;
        const char *pdf, *spec;
        size_t n;
        Fixture f;

        out = render_facturx("capped", &f);
        pdf = out->data;
        n = out->size;
        /* the file specification: literal names, /Alternative, in /AF */
        spec = memmem(pdf, n, "<< /Type /Filespec /F (factur-x.xml) /UF (factur-x.xml)", 55);
        cr_assert_not_null(spec);
        cr_expect_not_null(strstr(spec, "/AFRelationship /Alternative"));
        cr_expect_not_null(memmem(pdf, n, "/AFRelationship /Supplement", 27));
        cr_expect_not_null(memmem(pdf, n, "/AF [", 5));
        cr_expect_not_null(memmem(pdf, n, "(factur-x.xml)", 14));
        cr_expect_not_null(memmem(pdf, n, "/Params << /Size ", 17));
        cr_expect_not_null(memmem(pdf, n, "/ModDate (D:20261215000000+00'00')", 34));
        /* every /F key before the pages is a literal string or the /EF entry */
        for (const char *p = pdf; (p = memmem(p, n - (size_t) (p - pdf), "/F ", 3)); p += 3)
                cr_expect(p[3] == '(' || strncmp(p - 7, "/EF << /F ", 10) == 0, "non-literal /F at %td",
                          p - pdf);
        /* XMP: PDF/A-3b, the Factur-X extension schema and its properties */
        cr_expect_not_null(memmem(pdf, n, "<pdfaid:part>3</pdfaid:part>", 28));
        cr_expect_not_null(memmem(pdf, n, "<pdfaSchema:namespaceURI>" FACTURX_NAMESPACE "</pdfaSchema:namespaceURI>",
                                  strlen("<pdfaSchema:namespaceURI>" FACTURX_NAMESPACE "</pdfaSchema:namespaceURI>")));
        cr_expect_not_null(memmem(pdf, n, "<fx:DocumentType>INVOICE</fx:DocumentType>", 42));
        cr_expect_not_null(memmem(pdf, n, "<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>", 55));
        cr_expect_not_null(memmem(pdf, n, "<fx:Version>1.0</fx:Version>", 28));
        cr_expect_not_null(memmem(pdf, n, "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>", 51));
        cr_expect_not_null(memmem(pdf, n, "/Title (Facture CMA34-2026-0001)", 32));
        cr_expect_not_null(memmem(pdf, n, "<rdf:li xml:lang=\"x-default\">Facture CMA34-2026-0001</rdf:li>", 61));
        cr_expect_not_null(memmem(pdf, n, "/OutputIntents [", 16));
        cr_expect_not_null(memmem(pdf, n, "/PageMode /UseAttachments", 25));
        cr_expect_null(memmem(pdf, n, "/Encrypt", 8));
        cr_expect_null(memmem(pdf, n, "/JavaScript", 11));
        cr_expect_null(memmem(pdf, n, "/Annots", 7));
        fixture_done(&f);
}

Test(facturx, deterministic) {
        _cleanup_(rendered_invoice_freep) RenderedInvoice *a = NULL, *b = NULL;
        Fixture f;

        fixture_load(&f, "partial");
        a = fixture_render(&f, INVOICE_FORMAT_FACTURX);
        b = fixture_render(&f, INVOICE_FORMAT_FACTURX);
        cr_assert_eq(a->size, b->size);
        cr_expect_eq(memcmp(a->data, b->data, a->size), 0);
        fixture_done(&f);
}

/* ---------------------------------------------------------------- an invoice built by hand */

static char line_ids[40][24], line_names[40][160];

static void hand_invoice(Invoice *inv, InvoiceLine *lines, size_t n_lines) {
        static char *notes[] = { "Convention TEST-1 : « Essai », période du 1er janvier 2026 au 31 décembre 2026.",
                                 "Une note d'information.", "TVA non applicable, art. 256 B du CGI.", NULL };
        static InvoiceVatBreakdown vat = { VAT_CATEGORY_O, 0, 0, 0, "TVA non applicable, art. 256 B du CGI", NULL };
        int64_t total = 0;

        for (size_t i = 0; i < n_lines; i++) {
                snprintf(line_ids[i], sizeof(line_ids[i]), "%zu", i + 1);
                snprintf(line_names[i], sizeof(line_names[i]),
                         "Action numéro %zu, avec un libellé assez long pour passer à la ligne dans la colonne", i + 1);
                lines[i] = (InvoiceLine) {
                        .id = line_ids[i], .action_id = "a", .name = line_names[i],
                        .description = "Article 1 — 3 réalisations sur 4 prévues",
                        .quantity = 3, .unit_price = 12345, .net_amount = 37035,
                        .vat_category = VAT_CATEGORY_O,
                };
                total += 37035;
        }
        vat.taxable_amount = total;
        *inv = (Invoice) {
                .number = "TEST-2026-0001", .type_code = INVOICE_TYPE_COMMERCIAL,
                .issue_date = { 2026, 12, 15 }, .due_date = { 2027, 1, 14 }, .currency = "EUR",
                .business_process = INVOICE_BUSINESS_PROCESS, .specification_id = INVOICE_SPECIFICATION_ID,
                .buyer_reference = "ECO", .order_reference = "EJ-1", .contract_reference = "TEST-1",
                .period_start = { 2026, 1, 1 }, .period_end = { 2026, 12, 31 },
                .notes = notes, .n_notes = 3,
                .seller = { .name = "CMA Test", .siret = "13002602400013",
                            .address = { .line1 = "1 rue A", .postcode = "34000", .city = "Montpellier", .country = "FR" },
                            .email = "f@example.org" },
                .buyer = { .name = "Communauté de communes Test", .siret = "20003478300015",
                           .address = { .line1 = "2 place B", .line2 = "BP 3", .postcode = "34220", .city = "Saint-Pons",
                                        .country = "FR" } },
                .payment_means_code = "30", .iban = "FR7630001007941234567890185", .bic = "BDFEFRPPXXX",
                .remittance_information = "TEST-2026-0001",
                .payment_terms = "Paiement par virement à 30 jours.",
                .lines = lines, .n_lines = n_lines,
                .vat = &vat, .n_vat = 1,
                .line_total = total, .tax_exclusive = total, .tax_inclusive = total, .payable = total,
        };
}

static int page_count(const char *pdf, size_t n) {
        const char *p = memmem(pdf, n, "/Type /Pages /Kids [", 20);
        int count = -1;

        cr_assert_not_null(p);
        cr_assert_eq(sscanf(strstr(p, "/Count "), "/Count %d", &count), 1);
        return count;
}

Test(facturx, hand_built_invoice_with_example_xml_paginates) {
        _cleanup_(freep) char *xml = NULL, *pdf = NULL;
        _cleanup_(freep) unsigned char *embedded = NULL;
        InvoiceLine lines[40];
        size_t xml_size, n, embedded_size;
        Invoice inv;

        cr_assert_eq(read_file_bounded(EXAMPLE_CII, 1 << 20, &xml, &xml_size), 0);
        hand_invoice(&inv, lines, 1);
        cr_assert_eq(facturx_assemble(&inv, fixture_pdf_assets(), xml, xml_size, &pdf, &n), 0);
        cr_expect_eq(page_count(pdf, n), 1);
        embedded = embedded_file(pdf, n, "/Subtype /text#2Fxml", &embedded_size);
        cr_assert_eq(embedded_size, xml_size);
        cr_expect_eq(memcmp(embedded, xml, xml_size), 0);
        free(pdf);
        pdf = NULL;

        /* 40 lines do not fit on one page: the table continues */
        hand_invoice(&inv, lines, 40);
        cr_assert_eq(facturx_assemble(&inv, fixture_pdf_assets(), xml, xml_size, &pdf, &n), 0);
        cr_expect_geq(page_count(pdf, n), 3);
        cr_expect_lt(n, 80000u);
}

/* ---------------------------------------------------------------- bilan report */

Test(bilan_report, names) {
        char name[BILAN_REPORT_FILENAME_MAX + 1];
        _cleanup_(freep) char *desc = NULL;
        Fixture f;

        cr_assert_eq(bilan_report_filename("CMA34-2026-0001", name), 0);
        cr_expect_str_eq(name, "bilan-CMA34-2026-0001.pdf");
        cr_assert_eq(bilan_report_filename("CMA/34 2026", name), 0);
        cr_expect_str_eq(name, "bilan-CMA_34_2026.pdf");
        cr_expect_eq(bilan_report_filename("0123456789012345678901234567890123456789012345", name), -ENAMETOOLONG);
        /* Chorus Pro's 50-character limit, extension included: 40 for the number */
        cr_expect_eq(bilan_report_filename("0123456789012345678901234567890123456789", name), 0);
        cr_expect_eq(strlen(name), (size_t) BILAN_REPORT_FILENAME_MAX);
        cr_expect_eq(bilan_report_filename("01234567890123456789012345678901234567890", name), -ENAMETOOLONG);

        fixture_load(&f, "complete");
        desc = bilan_report_description(f.convention, f.bilan);
        cr_expect_str_eq(desc, "Bilan d'exécution de la convention CDCMC-2026 (quantitatif et qualitatif), "
                               "établi le 10 décembre 2026");
        fixture_done(&f);
}

Test(bilan_report, refuses_a_foreign_proration) {
        _cleanup_(proration_freep) Proration *p = NULL;
        _cleanup_(invoice_freep) Invoice *inv = NULL;
        Fixture f, g;
        char *pdf = NULL;
        size_t n;

        fixture_load(&f, "complete");
        fixture_load(&g, "third"); /* another convention */
        inv = fixture_model(&g, &p);
        cr_expect_eq(bilan_report_render(f.convention, f.bilan, p, fixture_pdf_assets(), &pdf, &n), -EINVAL);
        cr_expect_null(pdf);
        fixture_done(&f);
        fixture_done(&g);
}

/* A bilan at the limits: BILAN_ENTRIES_MAX entries, under BILAN_SIZE_MAX. */
static char *big_bilan(size_t *ret_size) {
        static const char *const kinds[] = { "label-eco-defis", "label-repar-acteurs", "label-zero-dechet",
                                             "visite-energie" };
        FILE *f;
        char *s = NULL;
        size_t size = 0;

        f = open_memstream(&s, &size);
        cr_assert_not_null(f);
        fprintf(f, "{\"bilan\":1,\"convention\":\"CDCMC-2026\",\"issued_on\":\"2026-12-10\",\"author\":\"CMA 34\","
                   "\"realisations\":{\"geometiers\":[{\"ref\":\"acces\",\"date\":\"2026-01-20\"}],\"dev-durable\":[");
        for (int i = 0; i < BILAN_ENTRIES_MAX - 1; i++)
                fprintf(f, "%s{\"ref\":\"%014d\",\"kind\":\"%s\",\"name\":\"Entreprise n° %d\",\"date\":\"2026-%02d-%02d\"}",
                        i ? "," : "", 41234567 + i, kinds[i % 4], i, 1 + i % 12, 1 + i % 28);
        fprintf(f, "]},\"qualitative\":\"Une année riche.\\nDeuxième paragraphe.\"}");
        cr_assert_eq(fclose(f), 0);
        cr_assert_lt(size, (size_t) BILAN_SIZE_MAX);
        *ret_size = size;
        return s;
}

Test(bilan_report, ten_thousand_entries_paginate, .timeout = 120) {
        _cleanup_(freep) char *json = NULL, *pdf = NULL;
        _cleanup_(proration_freep) Proration *p = NULL;
        _cleanup_(bilan_freep) Bilan *b = NULL;
        Diagnostics diags = DIAGNOSTICS_INIT;
        const Convention *c = NULL;
        size_t size, n;
        Fixture f;

        fixture_load(&f, "complete");
        json = big_bilan(&size);
        cr_assert_eq(bilan_parse("big.json", json, size, f.conventions, &b, &c, &diags), 0);
        cr_assert_eq(proration_compute(c, b, &p, &diags), 0);
        diagnostics_clear(&diags);
        cr_assert_eq(bilan_report_render(c, b, p, fixture_pdf_assets(), &pdf, &n), 0);
        /* ~40 rows a page */
        cr_expect_gt(page_count(pdf, n), 200);
        cr_expect_lt(page_count(pdf, n), 400);
        cr_expect_lt(n, (size_t) 4 << 20);
        fixture_done(&f);
}

Test(bilan_report, report_of_a_fixture) {
        _cleanup_(proration_freep) Proration *p = NULL;
        _cleanup_(invoice_freep) Invoice *inv = NULL;
        _cleanup_(freep) char *a = NULL, *b = NULL;
        size_t na, nb;
        Fixture f;

        fixture_load(&f, "over-target");
        inv = fixture_model(&f, &p);
        cr_assert_eq(bilan_report_render(f.convention, f.bilan, p, fixture_pdf_assets(), &a, &na), 0);
        cr_assert_eq(bilan_report_render(f.convention, f.bilan, p, fixture_pdf_assets(), &b, &nb), 0);
        cr_assert_eq(na, nb);
        cr_expect_eq(memcmp(a, b, na), 0, "deterministic");
        cr_expect_geq(page_count(a, na), 1);
        cr_expect_leq(page_count(a, na), 2);
        /* non-ASCII title: UTF-16BE in Info, UTF-8 in XMP */
        cr_expect_not_null(memmem(a, na, "/Title (\\376\\377", 15));
        cr_expect_not_null(strstr(a, "<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">Bilan d'exécution de la "
                                     "convention CDCMC-2026</rdf:li>"));
        cr_expect_not_null(memmem(a, na, "/CreationDate (D:20261210000000+00'00')", 39), "dated by issued_on");
        cr_expect_not_null(memmem(a, na, "<pdfaid:part>3</pdfaid:part>", 28));
        fixture_done(&f);
}

/* ---------------------------------------------------------------- the readable PDF of done/ */

/* Writes `data` to a temporary file and runs `command` on it ("%s" is the
 * file name); its output in *ret_output. Returns the exit status, or -1
 * when the tool is not installed (the check is then skipped). */
static int run_tool(const char *tool, const char *command, const char *data, size_t size, char **ret_output) {
        char path[] = "/tmp/chorusd-readable-XXXXXX", cmd[512];
        char *out = NULL;
        size_t out_size = 0;
        FILE *f, *p, *o;
        int fd, status;

        snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
        if (system(cmd) != 0)
                return -1;
        fd = mkstemp(path);
        cr_assert_geq(fd, 0);
        f = fdopen(fd, "w");
        cr_assert_not_null(f);
        cr_assert_eq(fwrite(data, 1, size, f), size);
        cr_assert_eq(fclose(f), 0);
        snprintf(cmd, sizeof cmd, command, path);
        p = popen(cmd, "r");
        cr_assert_not_null(p);
        o = open_memstream(&out, &out_size);
        cr_assert_not_null(o);
        for (int c; (c = fgetc(p)) != EOF;)
                fputc(c, o);
        cr_assert_eq(fclose(o), 0);
        status = pclose(p);
        unlink(path);
        *ret_output = out;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* UBL and CII: the invoice pages alone, a valid PDF whose text is the
 * Factur-X's, nothing embedded; Factur-X: nothing to add. */
Test(readable_pdf, the_facturx_pages_without_the_xml) {
        _cleanup_(rendered_invoice_freep) RenderedInvoice *fx = NULL;
        _cleanup_(freep) char *fx_text = NULL;
        Fixture f;

        fixture_load(&f, "capped");
        fx = fixture_render(&f, INVOICE_FORMAT_FACTURX);
        {
                char *none = (char *) "untouched";
                size_t n = 1;
                cr_assert_eq(render_readable_pdf(fx, fixture_pdf_assets(), &none, &n), 0);
                cr_expect_null(none, "a Factur-X invoice is its own readable PDF");
                cr_expect_eq(n, 0u);
        }
        int have_pdftotext = run_tool("pdftotext", "pdftotext -layout %s - 2>&1", fx->data, fx->size, &fx_text);

        for (InvoiceFormat format = INVOICE_FORMAT_UBL; format <= INVOICE_FORMAT_CII; format++) {
                _cleanup_(rendered_invoice_freep) RenderedInvoice *out = fixture_render(&f, format);
                _cleanup_(freep) char *pdf = NULL, *again = NULL, *log = NULL, *text = NULL;
                size_t n, n_again;

                cr_assert_eq(render_readable_pdf(out, fixture_pdf_assets(), &pdf, &n), 0);
                cr_assert_not_null(pdf);
                cr_expect_eq(memcmp(pdf, "%PDF-1.7\n", 9), 0);
                cr_expect_not_null(memmem(pdf, n, "/Title (Facture CMA34-2026-0001)", 32));
                cr_expect_not_null(memmem(pdf, n, "<pdfaid:part>3</pdfaid:part>", 28));
                cr_expect_null(memmem(pdf, n, "/EmbeddedFile", 13), "nothing embedded");
                cr_expect_null(memmem(pdf, n, "/AF [", 5));
                cr_expect_null(memmem(pdf, n, "factur-x", 8));
                cr_expect_eq(page_count(pdf, n), page_count(fx->data, fx->size));
                /* deterministic: a resumed job writes the same bytes */
                cr_assert_eq(render_readable_pdf(out, fixture_pdf_assets(), &again, &n_again), 0);
                cr_assert_eq(n_again, n);
                cr_expect_eq(memcmp(pdf, again, n), 0);

                int k = run_tool("qpdf", "qpdf --check %s 2>&1", pdf, n, &log);
                if (k >= 0) {
                        cr_expect_eq(k, 0, "qpdf --check:\n%s", log);
                        cr_expect_not_null(strstr(log, "No syntax or stream encoding errors found"), "%s", log);
                        cr_expect_null(strstr(log, "WARNING"), "%s", log);
                } else
                        cr_log_warn("qpdf not installed: not checked");
                if (have_pdftotext >= 0) {
                        cr_assert_eq(run_tool("pdftotext", "pdftotext -layout %s - 2>&1", pdf, n, &text), 0);
                        cr_expect_str_eq(text, fx_text, "the readable PDF does not show the Factur-X's page");
                        cr_expect_not_null(strstr(text, "CMA34-2026-0001"));
                }
        }
        fixture_done(&f);
}

/* ---------------------------------------------------------------- the review's findings on the PDF */

/* The text of a PDF's pages first..last (0: to the end), by pdftotext;
 * NULL when pdftotext is not installed. */
static char *pdf_text(const char *pdf, size_t n, int first, int last) {
        char command[128];
        char *text = NULL;

        snprintf(command, sizeof command, "pdftotext -f %d -l %d %%s - 2>&1", first, last);
        if (run_tool("pdftotext", command, pdf, n, &text) < 0)
                return NULL;
        return text;
}

static size_t count_of(const char *text, const char *s) {
        size_t k = 0;

        for (const char *p = strstr(text, s); p; p = strstr(p + strlen(s), s))
                k++;
        return k;
}

/* The text of the Factur-X PDF of bilans/NAME.json. */
static char *fixture_pdf_text(const char *bilan) {
        _cleanup_(rendered_invoice_freep) RenderedInvoice *fx = NULL;
        char *text;
        Fixture f;

        fx = render_facturx(bilan, &f);
        text = pdf_text(fx->data, fx->size, 1, 0);
        fixture_done(&f);
        if (!text)
                cr_skip_test("pdftotext not installed");
        for (char *p = text; *p; p++) /* a wrapped line reads as one */
                if (*p == '\n')
                        *p = ' ';
        return text;
}

/* Review finding: the delivery date (BT-72) was in the XML but not on the
 * PDF, though a French invoice must show when the service was done when
 * it differs from the issue date; the invoicing period is shown too. */
Test(invoice_pdf, review_delivery_date_and_period_printed) {
        _cleanup_(freep) char *text = fixture_pdf_text("complete");

        cr_expect(strstr(text, "Prestation achevée le 10 juillet 2026"), "no BT-72 on the PDF:\n%s", text);
        cr_expect(strstr(text, "Période facturée : du 1er janvier 2026 au 31 décembre 2026"),
                  "no invoicing period on the PDF:\n%s", text);
}

/* Review finding: the OBJET block printed the convention and its period
 * twice (its own lines, then the first note saying the same). */
Test(invoice_pdf, review_objet_says_each_thing_once) {
        _cleanup_(freep) char *text = fixture_pdf_text("complete");

        cr_expect_eq(count_of(text, "CDCMC-2026"), 1u, "the convention id more than once:\n%s", text);
        cr_expect_eq(count_of(text, "1er janvier 2026"), 1u, "the period more than once:\n%s", text);
        cr_expect_eq(count_of(text, "partenariat 2024-2026"), 1u, "the title not exactly once:\n%s", text);
}

/* Review finding: category E was worded « TVA (non applicable) », the
 * wording of O; it is « TVA exonérée », with its exemption reason. */
Test(invoice_pdf, review_vat_e_worded_exoneree_with_its_reason) {
        _cleanup_(freep) char *e = fixture_pdf_text("third");
        _cleanup_(freep) char *o = fixture_pdf_text("complete");

        cr_expect(strstr(e, "TVA exonérée"), "%s", e);
        cr_expect_null(strstr(e, "non applicable"), "%s", e);
        cr_expect(strstr(e, "Exonération de TVA, art. 261 du CGI"), "%s", e);
        cr_expect(strstr(o, "TVA (non applicable)"), "%s", o);
}

/* Review finding: the pages after the first of a long invoice carried
 * neither the invoice number nor « page n / N »; each shows the seller,
 * the number and its page out of the total. */
Test(invoice_pdf, review_continuation_pages_show_seller_number_and_page) {
        _cleanup_(freep) char *pdf = NULL;
        InvoiceLine lines[40];
        Invoice inv;
        size_t n;
        int pages;

        hand_invoice(&inv, lines, 40);
        cr_assert_eq(invoice_pdf_render(&inv, fixture_pdf_assets(), &pdf, &n), 0);
        pages = page_count(pdf, n);
        cr_assert_geq(pages, 3);
        for (int i = 2; i <= pages; i++) {
                _cleanup_(freep) char *text = pdf_text(pdf, n, i, i), *page = NULL;

                if (!text)
                        cr_skip_test("pdftotext not installed");
                cr_assert_geq(asprintf(&page, "page %d / %d", i, pages), 0);
                cr_expect(strstr(text, "CMA Test"), "page %d: no seller:\n%s", i, text);
                cr_expect(strstr(text, "TEST-2026-0001"), "page %d: no invoice number:\n%s", i, text);
                cr_expect(strcasestr(text, page), "page %d: no « %s »:\n%s", i, page, text);
        }
}

/* Review finding (the bilan report's side): an action counted whose
 * prorated amount rounds to 0.00 is left out of the invoice; the bilan
 * report, which the buyer and the staff read beside it, says so. */
Test(bilan_report, review_line_rounding_to_zero_noted) {
        _cleanup_(proration_freep) Proration *p = NULL;
        _cleanup_(freep) char *pdf = NULL, *text = NULL;
        Convention *c;
        size_t n;
        Fixture f;

        fixture_load(&f, "complete");
        memcpy(&c, &f.convention, sizeof c); /* this test's own copy of the set */
        c->actions[0].amount = 1;            /* 0.01 for five: one is 0.002 → 0.00 */
        c->actions[0].target = 5;
        cr_assert_eq(proration_compute(c, f.bilan, &p, NULL), 0);
        cr_assert_eq(p->lines[0].amount, 0);
        cr_assert_eq(bilan_report_render(c, f.bilan, p, fixture_pdf_assets(), &pdf, &n), 0);
        if (run_tool("pdftotext", "pdftotext %s - 2>&1", pdf, n, &text) < 0) {
                fixture_done(&f);
                cr_skip_test("pdftotext not installed");
        }
        for (char *s = text; *s; s++)
                if (*s == '\n')
                        *s = ' ';
        cr_expect(strstr(text, "s'arrondit à 0,00 €") && strstr(text, "ne figure pas sur la facture"),
                  "%s", text);
        fixture_done(&f);
}
