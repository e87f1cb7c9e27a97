/* test_credit_note.c — the credit note (avoir, type 381) of an invoice:
 * the model (same lines, allowance, VAT and totals as the invoice, BT-25 /
 * BT-26, the reason in a note, the buyer routing kept), the UBL CreditNote
 * against UBL-CreditNote-2.1.xsd, the CII and Factur-X with TypeCode 381
 * and InvoiceReferencedDocument, and the refusals. The EN 16931 schematron
 * runs in tests/suites/20-invoices on the same credit notes. */
#include <criterion/criterion.h>

#include "writers/facturx.h"
#include "writers/invoice_cii.h"
#include "writers/invoice_ubl.h"
#include "render_fixture.h"

#define CN "/cn:CreditNote"
#define CREDIT_NUMBER "CMA34-2026-0002"
#define CREDIT_DATE ((Date) { .year = 2026, .month = 12, .day = 20 })
#define CII_SETTLEMENT "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"

static const InvoiceCreditRef credit_ref = {
        .invoice_number = FIXTURE_NUMBER,
        .invoice_date = FIXTURE_ISSUE_DATE,
        .reason = "Bilan corrigé : un accompagnement compté deux fois",
};

/* The credit note of bilans/NAME.json's invoice, through the whole pipeline. */
static RenderedInvoice *render_credit(const char *bilan, InvoiceFormat format) {
        RenderedInvoice *out;
        RenderRequest req;
        Fixture f;

        fixture_load(&f, bilan);
        req = fixture_request(&f, format);
        req.number = CREDIT_NUMBER;
        req.issue_date = CREDIT_DATE;
        req.credit = &credit_ref;
        out = fixture_render_request(&req);
        fixture_done(&f);
        return out;
}

static xmlDocPtr render_credit_xml(const char *bilan, InvoiceFormat format) {
        _cleanup_(rendered_invoice_freep) RenderedInvoice *out = render_credit(bilan, format);

        return fixture_parse_xml(out->data, out->size);
}

Test(credit_note, model_mirrors_the_invoice) {
        static const char *const bilans[] = { "complete", "partial", "capped" };

        for (size_t k = 0; k < ELEMENTSOF(bilans); k++) {
                _cleanup_(rendered_invoice_freep) RenderedInvoice *inv = NULL, *cn = NULL;
                Fixture f;

                fixture_load(&f, bilans[k]);
                inv = fixture_render(&f, INVOICE_FORMAT_UBL);
                fixture_done(&f);
                cn = render_credit(bilans[k], INVOICE_FORMAT_UBL);

                cr_expect_eq(cn->invoice->type_code, INVOICE_TYPE_CREDIT_NOTE);
                cr_expect_eq(inv->invoice->type_code, INVOICE_TYPE_COMMERCIAL);
                cr_expect_null(inv->invoice->preceding_number);
                cr_expect_str_eq(cn->invoice->number, CREDIT_NUMBER);
                cr_expect_str_eq(cn->invoice->preceding_number, FIXTURE_NUMBER);
                cr_expect_eq(date_compare(cn->invoice->preceding_date, FIXTURE_ISSUE_DATE), 0);
                cr_expect_eq(date_compare(cn->invoice->issue_date, CREDIT_DATE), 0);
                cr_expect_eq(cn->invoice->n_lines, inv->invoice->n_lines, "%s", bilans[k]);
                for (size_t i = 0; i < cn->invoice->n_lines && i < inv->invoice->n_lines; i++) {
                        cr_expect_eq(cn->invoice->lines[i].quantity, inv->invoice->lines[i].quantity);
                        cr_expect_eq(cn->invoice->lines[i].net_amount, inv->invoice->lines[i].net_amount);
                }
                cr_expect_eq(cn->invoice->n_allowances, inv->invoice->n_allowances);
                cr_expect_eq(cn->invoice->allowance_total, inv->invoice->allowance_total);
                cr_expect_eq(cn->invoice->tax_total, inv->invoice->tax_total);
                cr_expect_eq(cn->invoice->payable, inv->invoice->payable, "%s", bilans[k]);
                cr_expect_str_eq(strempty(cn->invoice->buyer_reference), strempty(inv->invoice->buyer_reference));
                cr_expect_str_eq(strempty(cn->invoice->order_reference), strempty(inv->invoice->order_reference));
                cr_expect_str_eq(cn->invoice->buyer.siret, inv->invoice->buyer.siret);
                cr_expect_eq(cn->invoice->n_notes, inv->invoice->n_notes + 1);
                cr_expect_str_eq(cn->invoice->notes[1],
                                 "Avoir annulant intégralement la facture CMA34-2026-0001 du 15 décembre 2026. "
                                 "Motif : Bilan corrigé : un accompagnement compté deux fois");
                cr_expect(strstr(cn->invoice->payment_terms, "CMA34-2026-0001"));
        }
}

Test(credit_note, ubl_credit_note_schema_and_paths) {
        xmlDocPtr doc = render_credit_xml("capped", INVOICE_FORMAT_UBL);

        cr_expect(fixture_xsd_valid(doc, FIXTURE_UBL_CREDIT_NOTE_XSD), "UBL-CreditNote-2.1.xsd");
        fixture_assert_xpath_eq(doc, CN "/cbc:ID", CREDIT_NUMBER);
        fixture_assert_xpath_eq(doc, CN "/cbc:IssueDate", "2026-12-20");
        fixture_assert_xpath_eq(doc, CN "/cbc:CreditNoteTypeCode", "381");
        fixture_assert_absent(doc, CN "/cbc:DueDate");
        fixture_assert_xpath_eq(doc, CN "/cac:PaymentMeans/cbc:PaymentDueDate", "2027-01-19");
        fixture_assert_xpath_eq(doc, CN "/cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", FIXTURE_NUMBER);
        fixture_assert_xpath_eq(doc, CN "/cac:BillingReference/cac:InvoiceDocumentReference/cbc:IssueDate",
                                "2026-12-15");
        cr_expect_eq(fixture_xpath_count(doc, CN "/cac:CreditNoteLine"), 3);
        fixture_assert_xpath_eq(doc, CN "/cac:CreditNoteLine[2]/cbc:CreditedQuantity", "5");
        fixture_assert_xpath_eq(doc, CN "/cac:AllowanceCharge/cbc:Amount", "1000.00");
        fixture_assert_xpath_eq(doc, CN "/cac:LegalMonetaryTotal/cbc:PayableAmount", "3000.00");
        cr_expect_eq(fixture_xpath_count(doc, "//cac:InvoiceLine | //cbc:InvoicedQuantity"), 0);
        xmlFreeDoc(doc);
}

Test(credit_note, ubl_keeps_the_buyer_routing) {
        xmlDocPtr doc = render_credit_xml("complete", INVOICE_FORMAT_UBL);

        cr_expect(fixture_xsd_valid(doc, FIXTURE_UBL_CREDIT_NOTE_XSD), "UBL-CreditNote-2.1.xsd");
        fixture_assert_xpath_eq(doc, CN "/cbc:BuyerReference", "ECO");
        fixture_assert_xpath_eq(doc, CN "/cac:OrderReference/cbc:ID", "EJ-2026-0042");
        fixture_assert_xpath_eq(doc,
                                CN "/cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyID"
                                   "[@schemeID='0009']",
                                "20003478300015");
        xmlFreeDoc(doc);
}

Test(credit_note, cii_type_381_and_preceding_invoice) {
        xmlDocPtr doc = render_credit_xml("partial", INVOICE_FORMAT_CII);

        cr_expect(fixture_xsd_valid(doc, FIXTURE_CII_XSD), "CrossIndustryInvoice_100pD16B.xsd");
        fixture_assert_xpath_eq(doc, "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:TypeCode", "381");
        fixture_assert_xpath_eq(doc, "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID", CREDIT_NUMBER);
        fixture_assert_xpath_eq(doc, CII_SETTLEMENT "/ram:InvoiceReferencedDocument/ram:IssuerAssignedID",
                                FIXTURE_NUMBER);
        fixture_assert_xpath_eq(doc,
                                CII_SETTLEMENT "/ram:InvoiceReferencedDocument/ram:FormattedIssueDateTime/*",
                                "20261215");
        fixture_assert_xpath_eq(doc,
                                CII_SETTLEMENT "/ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
                                               "ram:DuePayableAmount",
                                "3000.00");
        xmlFreeDoc(doc);
}

Test(credit_note, facturx_embeds_the_381_cii) {
        _cleanup_(rendered_invoice_freep) RenderedInvoice *out = render_credit("complete", INVOICE_FORMAT_FACTURX);
        _cleanup_(freep) char *cii = NULL;
        size_t size;

        cr_assert_gt(out->size, 1000);
        cr_assert(out->size > 5 && memcmp(out->data, "%PDF-", 5) == 0);
        /* The embedded XML is invoice_cii_render()'s, byte for byte (test_facturx). */
        cr_assert_eq(invoice_cii_render(out->invoice, &cii, &size), 0);
        cr_expect(strstr(cii, "<ram:TypeCode>381</ram:TypeCode>"));
}

Test(credit_note, refused_without_reference_or_reason) {
        _cleanup_(proration_freep) Proration *p = NULL;
        InvoiceCreditRef ref = credit_ref;
        Invoice *inv = NULL;
        InvoiceInput in;
        Fixture f;

        fixture_load(&f, "complete");
        cr_assert_eq(proration_compute(f.convention, f.bilan, &p, NULL), 0);
        in = fixture_invoice_input(&f, p);
        in.credit = &ref;
        /* Its own number: the credit note cannot carry the invoice's. */
        cr_expect_eq(invoice_build(&in, &inv), -EINVAL);
        in.number = CREDIT_NUMBER;
        ref.reason = "";
        cr_expect_eq(invoice_build(&in, &inv), -EINVAL);
        ref.reason = credit_ref.reason;
        ref.invoice_number = NULL;
        cr_expect_eq(invoice_build(&in, &inv), -EINVAL);
        ref.invoice_number = FIXTURE_NUMBER;
        cr_expect_eq(invoice_build(&in, &inv), 0);
        invoice_free(inv);
        fixture_done(&f);
}
