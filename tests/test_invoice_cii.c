/* test_invoice_cii.c — the CII D16B writer: every datum at its EN 16931 /
 * Chorus Pro XPath, the mandatory ApplicableHeaderTradeDelivery,
 * plain-text notes, optional data absent rather than empty, the official
 * XSD, the BG-24 attachment and determinism. The schematron runs in
 * tests/suites/20-invoices. */
#include <criterion/criterion.h>

#include "writers/invoice_cii.h"
#include "render_fixture.h"

#define CII "/rsm:CrossIndustryInvoice"
#define CONTEXT CII "/rsm:ExchangedDocumentContext"
#define DOC CII "/rsm:ExchangedDocument"
#define TRANSACTION CII "/rsm:SupplyChainTradeTransaction"
#define AGREEMENT TRANSACTION "/ram:ApplicableHeaderTradeAgreement"
#define SELLER AGREEMENT "/ram:SellerTradeParty"
#define BUYER AGREEMENT "/ram:BuyerTradeParty"
#define SETTLEMENT TRANSACTION "/ram:ApplicableHeaderTradeSettlement"
#define SUMMATION SETTLEMENT "/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
#define LINE(n) TRANSACTION "/ram:IncludedSupplyChainTradeLineItem[" #n "]"

/* Renders bilans/NAME.json as CII and parses it. */
static xmlDocPtr render_cii(const char *bilan, char **ret_data) {
        return fixture_render_xml(bilan, INVOICE_FORMAT_CII, ret_data);
}

Test(invoice_cii, header) {
        xmlDocPtr doc = render_cii("complete", NULL);

        cr_expect(fixture_xsd_valid(doc, FIXTURE_CII_XSD), "CrossIndustryInvoice_100pD16B.xsd");
        fixture_assert_xpath_eq(doc, CONTEXT "/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID", "A1");
        fixture_assert_xpath_eq(doc, CONTEXT "/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID",
                                "urn:cen.eu:en16931:2017");
        fixture_assert_xpath_eq(doc, DOC "/ram:ID", "CMA34-2026-0001");
        fixture_assert_xpath_eq(doc, DOC "/ram:TypeCode", "380");
        fixture_assert_xpath_eq(doc, DOC "/ram:IssueDateTime/udt:DateTimeString[@format='102']", "20261215");
        cr_expect_eq(fixture_xpath_count(doc, DOC "/ram:IncludedNote/ram:Content"), 4);
        /* Chorus Pro answers ERR_XSD_001 to child elements in a note */
        cr_expect_eq(fixture_xpath_count(doc, DOC "/ram:IncludedNote/ram:Content/*"), 0);
        fixture_assert_xpath_eq(doc, DOC "/ram:IncludedNote[4]/ram:Content", "TVA non applicable, art. 256 B du CGI.");
        fixture_assert_xpath_eq(doc, AGREEMENT "/ram:ContractReferencedDocument/ram:IssuerAssignedID", "CDCMC-2026");
        fixture_assert_xpath_eq(doc, SETTLEMENT "/ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString",
                                "20260101");
        fixture_assert_xpath_eq(doc, SETTLEMENT "/ram:BillingSpecifiedPeriod/ram:EndDateTime/udt:DateTimeString",
                                "20261231");
        /* mandatory in the XSD; holds BT-72, the last realisation */
        cr_expect_eq(fixture_xpath_count(doc, TRANSACTION "/ram:ApplicableHeaderTradeDelivery"), 1);
        fixture_assert_xpath_eq(doc,
                                TRANSACTION "/ram:ApplicableHeaderTradeDelivery/ram:ActualDeliverySupplyChainEvent"
                                            "/ram:OccurrenceDateTime/udt:DateTimeString[@format='102']",
                                "20260710");
        xmlFreeDoc(doc);
}

Test(invoice_cii, chorus_routing_data) {
        xmlDocPtr doc = render_cii("complete", NULL);

        fixture_assert_xpath_eq(doc, AGREEMENT "/ram:BuyerReference", "ECO");
        fixture_assert_xpath_eq(doc, AGREEMENT "/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID",
                                "EJ-2026-0042");
        fixture_assert_xpath_eq(doc, BUYER "/ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0009']",
                                "20003478300015");
        fixture_assert_xpath_eq(doc, BUYER "/ram:GlobalID[@schemeID='0009']", "20003478300015");
        fixture_assert_xpath_eq(doc, BUYER "/ram:Name", "Communauté de Communes du Minervois au Caroux");
        fixture_assert_xpath_eq(doc, BUYER "/ram:PostalTradeAddress/ram:PostcodeCode", "34220");
        fixture_assert_xpath_eq(doc, BUYER "/ram:PostalTradeAddress/ram:CountryID", "FR");
        fixture_assert_xpath_eq(doc, SELLER "/ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0009']",
                                "13002602400013");
        fixture_assert_xpath_eq(doc, SELLER "/ram:GlobalID[@schemeID='0009']", "13002602400013");
        fixture_assert_xpath_eq(doc, SELLER "/ram:DefinedTradeContact/ram:EmailURIUniversalCommunication/ram:URIID",
                                "facturation@example.org");
        fixture_assert_absent(doc, SELLER "/ram:SpecifiedTaxRegistration"); /* BR-O-02 */
        xmlFreeDoc(doc);
}

Test(invoice_cii, absent_service_code_and_engagement) {
        xmlDocPtr doc = render_cii("capped", NULL);

        cr_expect(fixture_xsd_valid(doc, FIXTURE_CII_XSD));
        fixture_assert_absent(doc, AGREEMENT "/ram:BuyerReference");
        fixture_assert_absent(doc, AGREEMENT "/ram:BuyerOrderReferencedDocument");
        fixture_assert_xpath_eq(doc, BUYER "/ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0009']",
                                "20003478300015");
        xmlFreeDoc(doc);
}

Test(invoice_cii, payment) {
        xmlDocPtr doc = render_cii("complete", NULL);

        fixture_assert_xpath_eq(doc, SETTLEMENT "/ram:PaymentReference", "CMA34-2026-0001");
        fixture_assert_xpath_eq(doc, SETTLEMENT "/ram:InvoiceCurrencyCode", "EUR");
        fixture_assert_xpath_eq(doc, SETTLEMENT "/ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode", "30");
        fixture_assert_xpath_eq(doc,
                                SETTLEMENT "/ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeePartyCreditorFinancialAccount/ram:IBANID",
                                "FR7630001007941234567890185");
        fixture_assert_xpath_eq(doc,
                                SETTLEMENT "/ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID",
                                "BDFEFRPPXXX");
        fixture_assert_xpath_eq(doc,
                                SETTLEMENT "/ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString[@format='102']",
                                "20270114");
        fixture_assert_xpath_eq(doc, SETTLEMENT "/ram:SpecifiedTradePaymentTerms/ram:Description",
                                "Paiement par virement à 30 jours, au plus tard le 14 janvier 2027, en "
                                "rappelant la référence CMA34-2026-0001.");
        xmlFreeDoc(doc);
}

Test(invoice_cii, lines_and_totals_out_of_scope) {
        xmlDocPtr doc = render_cii("complete", NULL);

        cr_expect_eq(fixture_xpath_count(doc, TRANSACTION "/ram:IncludedSupplyChainTradeLineItem"), 3);
        fixture_assert_xpath_eq(doc, LINE(2) "/ram:AssociatedDocumentLineDocument/ram:LineID", "2");
        fixture_assert_xpath_eq(doc, LINE(2) "/ram:SpecifiedTradeProduct/ram:SellerAssignedID", "dev-durable");
        fixture_assert_xpath_eq(doc, LINE(2) "/ram:SpecifiedTradeProduct/ram:Name",
                                "Accompagnement de 5 entreprises (labels environnementaux, visites énergie)");
        fixture_assert_xpath_eq(doc, LINE(2) "/ram:SpecifiedTradeProduct/ram:Description",
                                "Article 2 — 5 entreprises accompagnées sur 5 prévues");
        fixture_assert_xpath_eq(doc,
                                LINE(2) "/ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount",
                                "500.00");
        fixture_assert_xpath_eq(doc, LINE(2) "/ram:SpecifiedLineTradeDelivery/ram:BilledQuantity[@unitCode='C62']",
                                "5");
        fixture_assert_xpath_eq(doc, LINE(2) "/ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode",
                                "O");
        fixture_assert_absent(doc, TRANSACTION "//ram:RateApplicablePercent"); /* BR-O-05, and none in BG-23 */
        fixture_assert_xpath_eq(doc,
                                LINE(2) "/ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount",
                                "2500.00");

        fixture_assert_xpath_eq(doc, SETTLEMENT "/ram:ApplicableTradeTax/ram:CalculatedAmount", "0.00");
        fixture_assert_xpath_eq(doc, SETTLEMENT "/ram:ApplicableTradeTax/ram:BasisAmount", "4000.00");
        fixture_assert_xpath_eq(doc, SETTLEMENT "/ram:ApplicableTradeTax/ram:CategoryCode", "O");
        fixture_assert_xpath_eq(doc, SETTLEMENT "/ram:ApplicableTradeTax/ram:ExemptionReason",
                                "TVA non applicable, art. 256 B du CGI");
        fixture_assert_xpath_eq(doc, SUMMATION "/ram:LineTotalAmount", "4000.00");
        fixture_assert_xpath_eq(doc, SUMMATION "/ram:TaxBasisTotalAmount", "4000.00");
        fixture_assert_xpath_eq(doc, SUMMATION "/ram:TaxTotalAmount[@currencyID='EUR']", "0.00");
        fixture_assert_xpath_eq(doc, SUMMATION "/ram:GrandTotalAmount", "4000.00");
        fixture_assert_xpath_eq(doc, SUMMATION "/ram:DuePayableAmount", "4000.00");
        fixture_assert_absent(doc, SUMMATION "/ram:AllowanceTotalAmount");
        fixture_assert_absent(doc, SETTLEMENT "/ram:SpecifiedTradeAllowanceCharge");
        xmlFreeDoc(doc);
}

Test(invoice_cii, cap_allowance) {
        xmlDocPtr doc = render_cii("capped", NULL);

#define ALLOWANCE SETTLEMENT "/ram:SpecifiedTradeAllowanceCharge"
        cr_expect_eq(fixture_xpath_count(doc, ALLOWANCE), 1);
        fixture_assert_xpath_eq(doc, ALLOWANCE "/ram:ChargeIndicator/udt:Indicator", "false");
        fixture_assert_xpath_eq(doc, ALLOWANCE "/ram:ActualAmount", "1000.00");
        fixture_assert_xpath_eq(doc, ALLOWANCE "/ram:Reason", "Plafond de la convention");
        fixture_assert_xpath_eq(doc, ALLOWANCE "/ram:CategoryTradeTax/ram:TypeCode", "VAT");
        fixture_assert_xpath_eq(doc, ALLOWANCE "/ram:CategoryTradeTax/ram:CategoryCode", "O");
#undef ALLOWANCE
        fixture_assert_xpath_eq(doc, SUMMATION "/ram:LineTotalAmount", "4000.00");
        fixture_assert_xpath_eq(doc, SUMMATION "/ram:AllowanceTotalAmount", "1000.00");
        fixture_assert_xpath_eq(doc, SUMMATION "/ram:TaxBasisTotalAmount", "3000.00");
        fixture_assert_xpath_eq(doc, SUMMATION "/ram:DuePayableAmount", "3000.00");
        xmlFreeDoc(doc);
}

Test(invoice_cii, vat_standard_rate) {
        xmlDocPtr doc = render_cii("vat-s", NULL);

        cr_expect(fixture_xsd_valid(doc, FIXTURE_CII_XSD));
        fixture_assert_xpath_eq(doc, SELLER "/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']", "FR53130026024");
        fixture_assert_xpath_eq(doc, SETTLEMENT "/ram:ApplicableTradeTax/ram:CalculatedAmount", "400.00");
        fixture_assert_xpath_eq(doc, SETTLEMENT "/ram:ApplicableTradeTax/ram:CategoryCode", "S");
        fixture_assert_xpath_eq(doc, SETTLEMENT "/ram:ApplicableTradeTax/ram:RateApplicablePercent", "20.00");
        fixture_assert_absent(doc, SETTLEMENT "/ram:ApplicableTradeTax/ram:ExemptionReason");
        fixture_assert_xpath_eq(doc,
                                LINE(1) "/ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent",
                                "20.00");
        fixture_assert_xpath_eq(doc, SUMMATION "/ram:TaxBasisTotalAmount", "2000.00");
        fixture_assert_xpath_eq(doc, SUMMATION "/ram:TaxTotalAmount", "400.00");
        fixture_assert_xpath_eq(doc, SUMMATION "/ram:GrandTotalAmount", "2400.00");
        fixture_assert_xpath_eq(doc, SUMMATION "/ram:DuePayableAmount", "2400.00");
        xmlFreeDoc(doc);
}

Test(invoice_cii, bilan_report_attachment) {
        xmlDocPtr doc = render_cii("over-target", NULL);

#define REF AGREEMENT "/ram:AdditionalReferencedDocument"
        fixture_assert_xpath_eq(doc, REF "/ram:IssuerAssignedID", "BILAN-CDCMC-2026");
        fixture_assert_xpath_eq(doc, REF "/ram:TypeCode", "916");
        fixture_assert_xpath_eq(doc, REF "/ram:AttachmentBinaryObject/@mimeCode", "application/pdf");
        fixture_assert_xpath_eq(doc, REF "/ram:AttachmentBinaryObject/@filename", "bilan-CMA34-2026-0001.pdf");
        fixture_assert_pdf_attachment(doc, REF "/ram:AttachmentBinaryObject");
#undef REF
        xmlFreeDoc(doc);
}

Test(invoice_cii, optional_model_fields) {
        _cleanup_(invoice_freep) Invoice *inv = NULL;
        _cleanup_(freep) char *data = NULL;
        xmlDocPtr doc;
        size_t size;
        Fixture f;

        fixture_load(&f, "third");
        inv = fixture_model(&f, NULL);
        free(inv->bic);
        inv->bic = NULL;
        inv->has_delivery_date = false;
        free(inv->notes[0]);
        inv->notes[0] = strdup("R&D <b>gras</b>");
        cr_assert_not_null(inv->notes[0]);

        cr_assert_eq(invoice_cii_render(inv, &data, &size), 0);
        doc = fixture_parse_xml(data, size);
        cr_expect(fixture_xsd_valid(doc, FIXTURE_CII_XSD));
        fixture_assert_absent(doc, SETTLEMENT "//ram:PayeeSpecifiedCreditorFinancialInstitution");
        /* without BT-72 the element the XSD requires is still there, empty */
        cr_expect_eq(fixture_xpath_count(doc, TRANSACTION "/ram:ApplicableHeaderTradeDelivery[not(*)]"), 1);
        fixture_assert_xpath_eq(doc, DOC "/ram:IncludedNote[1]/ram:Content", "R&D <b>gras</b>");
        cr_expect_eq(fixture_xpath_count(doc, DOC "/ram:IncludedNote/ram:Content/*"), 0, "escaped, not markup");
        fixture_assert_xpath_eq(doc, BUYER "/ram:PostalTradeAddress/ram:LineTwo", "BP 12");
        fixture_assert_xpath_eq(doc, SETTLEMENT "/ram:ApplicableTradeTax/ram:CategoryCode", "E");
        fixture_assert_xpath_eq(doc, SETTLEMENT "/ram:ApplicableTradeTax/ram:RateApplicablePercent", "0.00");
        fixture_assert_xpath_eq(doc, SELLER "/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']", "FR53130026024");
        xmlFreeDoc(doc);
        fixture_done(&f);
}

/* Text XML cannot carry is refused, never written (see test_invoice_ubl). */
Test(invoice_cii, text_xml_cannot_carry) {
        _cleanup_(invoice_freep) Invoice *inv = NULL;
        char *data = NULL;
        size_t size = 0;
        Fixture f;

        fixture_load(&f, "complete");
        inv = fixture_model(&f, NULL);
        free(inv->buyer.name);
        inv->buyer.name = strdup("CC \xEF\xBF\xBF");
        cr_assert_not_null(inv->buyer.name);
        cr_expect_eq(invoice_cii_render(inv, &data, &size), -EINVAL);
        cr_expect_null(data);
        free(data);
        fixture_done(&f);
}

Test(invoice_cii, deterministic) {
        _cleanup_(freep) char *a = NULL, *b = NULL;
        xmlDocPtr d1 = render_cii("partial", &a), d2 = render_cii("partial", &b);

        cr_expect_str_eq(a, b);
        cr_expect_eq(strncmp(a, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rsm:CrossIndustryInvoice ", 63), 0);
        xmlFreeDoc(d1);
        xmlFreeDoc(d2);
}

/* Review finding: BT-34 (seller) and BT-49 (buyer) electronic addresses
 * were absent; written as ram:URIUniversalCommunication/ram:URIID with
 * scheme 0009 and the SIRET, between the address and the tax registration
 * (CII order), and the XSD still holds. */
Test(invoice_cii, review_electronic_addresses_bt34_bt49) {
        xmlDocPtr doc = render_cii("complete", NULL);

        cr_expect(fixture_xsd_valid(doc, FIXTURE_CII_XSD));
        fixture_assert_xpath_eq(doc, SELLER "/ram:URIUniversalCommunication/ram:URIID[@schemeID='0009']",
                                "13002602400013");
        fixture_assert_xpath_eq(doc, BUYER "/ram:URIUniversalCommunication/ram:URIID[@schemeID='0009']",
                                "20003478300015");
        xmlFreeDoc(doc);
}

/* Review finding: an exempt category (E) was worded like O; its BG-23
 * carries the exemption reason (BT-120) and, where the convention gives
 * one, the VATEX code (BT-121) — for every exempt category, O included —
 * after the category code (CII order). */
Test(invoice_cii, review_vat_exempt_e_reason_and_vatex_code) {
        xmlDocPtr doc = render_cii("third", NULL);

        cr_expect(fixture_xsd_valid(doc, FIXTURE_CII_XSD));
        fixture_assert_xpath_eq(doc, SETTLEMENT "/ram:ApplicableTradeTax/ram:CategoryCode", "E");
        fixture_assert_xpath_eq(doc, SETTLEMENT "/ram:ApplicableTradeTax/ram:ExemptionReason",
                                "Exonération de TVA, art. 261 du CGI");
        fixture_assert_xpath_eq(doc, SETTLEMENT "/ram:ApplicableTradeTax/ram:ExemptionReasonCode", "VATEX-EU-132");
        cr_expect_eq(fixture_xpath_count(doc, SETTLEMENT "/ram:ApplicableTradeTax/ram:CategoryCode"
                                              "/following-sibling::ram:ExemptionReasonCode"), 1);
        xmlFreeDoc(doc);

        doc = render_cii("capped", NULL);
        cr_expect(fixture_xsd_valid(doc, FIXTURE_CII_XSD));
        fixture_assert_xpath_eq(doc, SETTLEMENT "/ram:ApplicableTradeTax/ram:ExemptionReasonCode", "VATEX-EU-O");
        xmlFreeDoc(doc);

        doc = render_cii("complete", NULL); /* no code in its convention: none written */
        fixture_assert_absent(doc, SETTLEMENT "/ram:ApplicableTradeTax/ram:ExemptionReasonCode");
        xmlFreeDoc(doc);
}
