/* test_invoice_ubl.c — the UBL 2.1 writer: every datum at its EN 16931 /
 * Chorus Pro XPath, optional data absent rather than empty, the official
 * XSD, the BG-24 attachment, escaping and determinism. The schematron runs
 * in tests/suites/20-invoices (one JVM for every file). */
#include <criterion/criterion.h>

#include "writers/invoice_ubl.h"
#include "render_fixture.h"

#define INV "/ubl:Invoice"
#define SUPPLIER INV "/cac:AccountingSupplierParty/cac:Party"
#define CUSTOMER INV "/cac:AccountingCustomerParty/cac:Party"
#define TOTALS INV "/cac:LegalMonetaryTotal"

/* Renders bilans/NAME.json as UBL and parses it. */
static xmlDocPtr render_ubl(const char *bilan, char **ret_data) {
        return fixture_render_xml(bilan, INVOICE_FORMAT_UBL, ret_data);
}

/* Writes a model as UBL and parses it. */
static xmlDocPtr write_ubl(const Invoice *inv) {
        _cleanup_(freep) char *data = NULL;
        size_t size;

        cr_assert_eq(invoice_ubl_render(inv, &data, &size), 0);
        return fixture_parse_xml(data, size);
}

Test(invoice_ubl, header) {
        xmlDocPtr doc = render_ubl("complete", NULL);

        cr_expect(fixture_xsd_valid(doc, FIXTURE_UBL_XSD), "UBL-Invoice-2.1.xsd");
        fixture_assert_xpath_eq(doc, INV "/cbc:CustomizationID", "urn:cen.eu:en16931:2017");
        fixture_assert_xpath_eq(doc, INV "/cbc:ProfileID", "A1");
        fixture_assert_xpath_eq(doc, INV "/cbc:ID", "CMA34-2026-0001");
        fixture_assert_xpath_eq(doc, INV "/cbc:IssueDate", "2026-12-15");
        fixture_assert_xpath_eq(doc, INV "/cbc:DueDate", "2027-01-14");
        fixture_assert_xpath_eq(doc, INV "/cbc:InvoiceTypeCode", "380");
        fixture_assert_xpath_eq(doc, INV "/cbc:DocumentCurrencyCode", "EUR");
        cr_expect_eq(fixture_xpath_count(doc, INV "/cbc:Note"), 4);
        fixture_assert_xpath_eq(doc, INV "/cbc:Note[4]", "TVA non applicable, art. 256 B du CGI.");
        fixture_assert_xpath_eq(doc, INV "/cac:InvoicePeriod/cbc:StartDate", "2026-01-01");
        fixture_assert_xpath_eq(doc, INV "/cac:InvoicePeriod/cbc:EndDate", "2026-12-31");
        fixture_assert_xpath_eq(doc, INV "/cac:ContractDocumentReference/cbc:ID", "CDCMC-2026");
        fixture_assert_xpath_eq(doc, INV "/cac:Delivery/cbc:ActualDeliveryDate", "2026-07-10");
        xmlFreeDoc(doc);
}

Test(invoice_ubl, chorus_routing_data) {
        xmlDocPtr doc = render_ubl("complete", NULL);

        fixture_assert_xpath_eq(doc, INV "/cbc:BuyerReference", "ECO");
        fixture_assert_xpath_eq(doc, INV "/cac:OrderReference/cbc:ID", "EJ-2026-0042");
        fixture_assert_xpath_eq(doc, CUSTOMER "/cac:PartyIdentification/cbc:ID[@schemeID='0009']",
                                "20003478300015");
        fixture_assert_xpath_eq(doc, CUSTOMER "/cac:PartyLegalEntity/cbc:CompanyID[@schemeID='0009']",
                                "20003478300015");
        fixture_assert_xpath_eq(doc, CUSTOMER "/cac:PartyLegalEntity/cbc:RegistrationName",
                                "Communauté de Communes du Minervois au Caroux");
        fixture_assert_xpath_eq(doc, CUSTOMER "/cac:PostalAddress/cbc:CityName", "Saint-Pons-de-Thomières");
        fixture_assert_xpath_eq(doc, CUSTOMER "/cac:PostalAddress/cac:Country/cbc:IdentificationCode", "FR");
        fixture_assert_xpath_eq(doc, SUPPLIER "/cac:PartyIdentification/cbc:ID[@schemeID='0009']",
                                "13002602400013");
        fixture_assert_xpath_eq(doc, SUPPLIER "/cac:PartyLegalEntity/cbc:CompanyID[@schemeID='0009']",
                                "13002602400013");
        fixture_assert_xpath_eq(doc, SUPPLIER "/cac:Contact/cbc:ElectronicMail", "facturation@example.org");
        fixture_assert_xpath_eq(doc, SUPPLIER "/cac:PostalAddress/cbc:PostalZone", "34187");
        fixture_assert_absent(doc, SUPPLIER "/cac:PartyTaxScheme"); /* BR-O-02 */
        xmlFreeDoc(doc);
}

Test(invoice_ubl, absent_service_code_and_engagement) {
        xmlDocPtr doc = render_ubl("capped", NULL);

        cr_expect(fixture_xsd_valid(doc, FIXTURE_UBL_XSD));
        fixture_assert_absent(doc, INV "/cbc:BuyerReference");
        fixture_assert_absent(doc, INV "/cac:OrderReference");
        fixture_assert_xpath_eq(doc, CUSTOMER "/cac:PartyLegalEntity/cbc:CompanyID[@schemeID='0009']",
                                "20003478300015");
        xmlFreeDoc(doc);
}

Test(invoice_ubl, payment) {
        xmlDocPtr doc = render_ubl("complete", NULL);

        fixture_assert_xpath_eq(doc, INV "/cac:PaymentMeans/cbc:PaymentMeansCode", "30");
        fixture_assert_xpath_eq(doc, INV "/cac:PaymentMeans/cbc:PaymentID", "CMA34-2026-0001");
        fixture_assert_xpath_eq(doc, INV "/cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID",
                                "FR7630001007941234567890185");
        fixture_assert_xpath_eq(doc,
                                INV "/cac:PaymentMeans/cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID",
                                "BDFEFRPPXXX");
        fixture_assert_xpath_eq(doc, INV "/cac:PaymentTerms/cbc:Note",
                                "Paiement par virement à 30 jours, au plus tard le 14 janvier 2027, en "
                                "rappelant la référence CMA34-2026-0001.");
        xmlFreeDoc(doc);
}

Test(invoice_ubl, lines_and_totals_out_of_scope) {
        xmlDocPtr doc = render_ubl("complete", NULL);

        cr_expect_eq(fixture_xpath_count(doc, INV "/cac:InvoiceLine"), 3);
        fixture_assert_xpath_eq(doc, INV "/cac:InvoiceLine[2]/cbc:ID", "2");
        fixture_assert_xpath_eq(doc, INV "/cac:InvoiceLine[2]/cbc:InvoicedQuantity[@unitCode='C62']", "5");
        fixture_assert_xpath_eq(doc, INV "/cac:InvoiceLine[2]/cbc:LineExtensionAmount[@currencyID='EUR']",
                                "2500.00");
        fixture_assert_xpath_eq(doc, INV "/cac:InvoiceLine[2]/cac:Item/cbc:Name",
                                "Accompagnement de 5 entreprises (labels environnementaux, visites énergie)");
        fixture_assert_xpath_eq(doc, INV "/cac:InvoiceLine[2]/cac:Item/cbc:Description",
                                "Article 2 — 5 entreprises accompagnées sur 5 prévues");
        fixture_assert_xpath_eq(doc, INV "/cac:InvoiceLine[2]/cac:Item/cac:SellersItemIdentification/cbc:ID",
                                "dev-durable");
        fixture_assert_xpath_eq(doc, INV "/cac:InvoiceLine[2]/cac:Item/cac:ClassifiedTaxCategory/cbc:ID", "O");
        fixture_assert_absent(doc, INV "/cac:InvoiceLine/cac:Item/cac:ClassifiedTaxCategory/cbc:Percent");
        fixture_assert_xpath_eq(doc, INV "/cac:InvoiceLine[2]/cac:Price/cbc:PriceAmount", "500.00");

        fixture_assert_xpath_eq(doc, INV "/cac:TaxTotal/cbc:TaxAmount[@currencyID='EUR']", "0.00");
        fixture_assert_xpath_eq(doc, INV "/cac:TaxTotal/cac:TaxSubtotal/cbc:TaxableAmount", "4000.00");
        fixture_assert_xpath_eq(doc, INV "/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID", "O");
        fixture_assert_xpath_eq(doc, INV "/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReason",
                                "TVA non applicable, art. 256 B du CGI");
        fixture_assert_absent(doc, INV "/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:Percent");
        fixture_assert_xpath_eq(doc, TOTALS "/cbc:LineExtensionAmount", "4000.00");
        fixture_assert_xpath_eq(doc, TOTALS "/cbc:TaxExclusiveAmount", "4000.00");
        fixture_assert_xpath_eq(doc, TOTALS "/cbc:TaxInclusiveAmount", "4000.00");
        fixture_assert_xpath_eq(doc, TOTALS "/cbc:PayableAmount", "4000.00");
        fixture_assert_absent(doc, TOTALS "/cbc:AllowanceTotalAmount");
        fixture_assert_absent(doc, INV "/cac:AllowanceCharge");
        xmlFreeDoc(doc);
}

Test(invoice_ubl, cap_allowance) {
        xmlDocPtr doc = render_ubl("capped", NULL);

        cr_expect_eq(fixture_xpath_count(doc, INV "/cac:AllowanceCharge"), 1);
        fixture_assert_xpath_eq(doc, INV "/cac:AllowanceCharge/cbc:ChargeIndicator", "false");
        fixture_assert_xpath_eq(doc, INV "/cac:AllowanceCharge/cbc:AllowanceChargeReason",
                                "Plafond de la convention");
        fixture_assert_xpath_eq(doc, INV "/cac:AllowanceCharge/cbc:Amount[@currencyID='EUR']", "1000.00");
        fixture_assert_xpath_eq(doc, INV "/cac:AllowanceCharge/cac:TaxCategory/cbc:ID", "O");
        fixture_assert_absent(doc, INV "/cac:AllowanceCharge/cac:TaxCategory/cbc:Percent"); /* BR-O-06 */
        fixture_assert_xpath_eq(doc, TOTALS "/cbc:LineExtensionAmount", "4000.00");
        fixture_assert_xpath_eq(doc, TOTALS "/cbc:AllowanceTotalAmount", "1000.00");
        fixture_assert_xpath_eq(doc, TOTALS "/cbc:TaxExclusiveAmount", "3000.00");
        fixture_assert_xpath_eq(doc, TOTALS "/cbc:PayableAmount", "3000.00");
        xmlFreeDoc(doc);
}

Test(invoice_ubl, vat_standard_rate) {
        xmlDocPtr doc = render_ubl("vat-s", NULL);

        cr_expect(fixture_xsd_valid(doc, FIXTURE_UBL_XSD));
        fixture_assert_xpath_eq(doc, SUPPLIER "/cac:PartyTaxScheme/cbc:CompanyID", "FR53130026024");
        fixture_assert_xpath_eq(doc, SUPPLIER "/cac:PartyTaxScheme/cac:TaxScheme/cbc:ID", "VAT");
        fixture_assert_xpath_eq(doc, INV "/cbc:BuyerReference", "DEV-ECO");
        fixture_assert_xpath_eq(doc, INV "/cac:OrderReference/cbc:ID", "EJ 2026/118");
        fixture_assert_xpath_eq(doc, INV "/cac:TaxTotal/cbc:TaxAmount", "400.00");
        fixture_assert_xpath_eq(doc, INV "/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID", "S");
        fixture_assert_xpath_eq(doc, INV "/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:Percent", "20.00");
        fixture_assert_absent(doc, INV "//cbc:TaxExemptionReason");
        fixture_assert_xpath_eq(doc, INV "/cac:InvoiceLine[1]/cac:Item/cac:ClassifiedTaxCategory/cbc:Percent",
                                "20.00");
        fixture_assert_xpath_eq(doc, TOTALS "/cbc:TaxExclusiveAmount", "2000.00");
        fixture_assert_xpath_eq(doc, TOTALS "/cbc:TaxInclusiveAmount", "2400.00");
        fixture_assert_xpath_eq(doc, TOTALS "/cbc:PayableAmount", "2400.00");
        xmlFreeDoc(doc);
}

Test(invoice_ubl, prorated_third) {
        xmlDocPtr doc = render_ubl("third", NULL);

        fixture_assert_xpath_eq(doc, INV "/cac:InvoiceLine/cbc:InvoicedQuantity", "1");
        fixture_assert_xpath_eq(doc, INV "/cac:InvoiceLine/cac:Price/cbc:PriceAmount", "333.33");
        fixture_assert_xpath_eq(doc, INV "/cac:InvoiceLine/cac:Item/cac:ClassifiedTaxCategory/cbc:Percent",
                                "0.00"); /* E: rate 0 (BR-E-05) */
        fixture_assert_xpath_eq(doc, TOTALS "/cbc:PayableAmount", "333.33");
        fixture_assert_xpath_eq(doc, CUSTOMER "/cac:PostalAddress/cbc:AdditionalStreetName", "BP 12");
        fixture_assert_xpath_eq(doc, INV "/cbc:BuyerReference", "SERVICE ÉCONOMIE");
        fixture_assert_absent(doc, INV "/cac:OrderReference");
        xmlFreeDoc(doc);
}

Test(invoice_ubl, bilan_report_attachment) {
        _cleanup_(freep) char *filename = NULL;
        xmlDocPtr doc = render_ubl("complete", NULL);

#define OBJ INV "/cac:AdditionalDocumentReference/cac:Attachment/cbc:EmbeddedDocumentBinaryObject"
        fixture_assert_xpath_eq(doc, INV "/cac:AdditionalDocumentReference/cbc:ID", "BILAN-CDCMC-2026");
        fixture_assert_xpath_eq(doc, INV "/cac:AdditionalDocumentReference/cbc:DocumentDescription",
                                "Bilan d'exécution de la convention CDCMC-2026 (quantitatif et qualitatif), "
                                "établi le 10 décembre 2026");
        fixture_assert_xpath_eq(doc, OBJ "/@mimeCode", "application/pdf");
        filename = fixture_xpath_string(doc, OBJ "/@filename");
        cr_expect_str_eq(filename, "bilan-CMA34-2026-0001.pdf");
        cr_expect_leq(strlen(filename), 50u, "Chorus Pro attachment name limit");
        fixture_assert_pdf_attachment(doc, OBJ);
#undef OBJ
        xmlFreeDoc(doc);
}

Test(invoice_ubl, optional_model_fields) {
        _cleanup_(invoice_freep) Invoice *inv = NULL;
        xmlDocPtr doc;
        Fixture f;

        fixture_load(&f, "complete");
        inv = fixture_model(&f, NULL);
        free(inv->bic);
        inv->bic = NULL;
        free(inv->seller.email);
        inv->seller.email = NULL;
        free(inv->notes[0]);
        inv->notes[0] = strdup("R&D <convention> \"A\" 'B'");
        cr_assert_not_null(inv->notes[0]);

        doc = write_ubl(inv);
        cr_expect(fixture_xsd_valid(doc, FIXTURE_UBL_XSD));
        fixture_assert_absent(doc, INV "//cac:FinancialInstitutionBranch");
        fixture_assert_absent(doc, SUPPLIER "/cac:Contact");
        fixture_assert_xpath_eq(doc, INV "/cbc:Note[1]", "R&D <convention> \"A\" 'B'");
        fixture_assert_absent(doc, INV "/cac:AdditionalDocumentReference");
        xmlFreeDoc(doc);
        fixture_done(&f);
}

/* Text XML cannot carry (U+FFFE/U+FFFF, C0 controls, invalid UTF-8) is
 * refused, never written as is: libxml2's writer would copy it and make
 * the document not well-formed. The validators refuse it upstream; the
 * writer is the last guard. */
Test(invoice_ubl, text_xml_cannot_carry) {
        static const char *const texts[] = {
                "note \xEF\xBF\xBE", "note \xEF\xBF\xBF", "bell \x07", "cut \xC3", "overlong \xC0\xAF",
        };

        for (size_t i = 0; i < ELEMENTSOF(texts); i++) {
                _cleanup_(invoice_freep) Invoice *inv = NULL;
                char *data = NULL;
                size_t size = 0;
                Fixture f;

                fixture_load(&f, "complete");
                inv = fixture_model(&f, NULL);
                free(inv->notes[1]);
                inv->notes[1] = strdup(texts[i]);
                cr_assert_not_null(inv->notes[1]);
                cr_expect_eq(invoice_ubl_render(inv, &data, &size), -EINVAL, "text %zu", i);
                cr_expect_null(data);
                free(data);

                /* in an attribute too */
                free(inv->notes[1]);
                inv->notes[1] = strdup("ok");
                free(inv->buyer.siret);
                inv->buyer.siret = strdup(texts[i]);
                cr_assert(inv->notes[1] && inv->buyer.siret);
                cr_expect_eq(invoice_ubl_render(inv, &data, &size), -EINVAL, "attribute text %zu", i);
                free(data);
                fixture_done(&f);
        }
}

Test(invoice_ubl, deterministic) {
        _cleanup_(freep) char *a = NULL, *b = NULL;
        xmlDocPtr d1 = render_ubl("partial", &a), d2 = render_ubl("partial", &b);

        cr_expect_str_eq(a, b, "no timestamps, no randomness");
        cr_expect_eq(strncmp(a, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Invoice ", 47), 0);
        xmlFreeDoc(d1);
        xmlFreeDoc(d2);
}

/* Review finding: BT-34 (seller) and BT-49 (buyer) electronic addresses
 * were absent; written as cbc:EndpointID with scheme 0009 and the SIRET,
 * first child of cac:Party (UBL order), and the XSD still holds. */
Test(invoice_ubl, review_electronic_addresses_bt34_bt49) {
        xmlDocPtr doc = render_ubl("complete", NULL);

        cr_expect(fixture_xsd_valid(doc, FIXTURE_UBL_XSD));
        fixture_assert_xpath_eq(doc, SUPPLIER "/cbc:EndpointID[@schemeID='0009']", "13002602400013");
        fixture_assert_xpath_eq(doc, CUSTOMER "/cbc:EndpointID[@schemeID='0009']", "20003478300015");
        cr_expect_eq(fixture_xpath_count(doc, SUPPLIER "/*[1][self::cbc:EndpointID]"), 1);
        cr_expect_eq(fixture_xpath_count(doc, CUSTOMER "/*[1][self::cbc:EndpointID]"), 1);
        xmlFreeDoc(doc);
}

/* Review finding: an exempt category (E) was worded like O; its tax
 * subtotal carries the exemption reason (BT-120) and, where the convention
 * gives one, the VATEX code (BT-121) before it (UBL order), for every
 * exempt category, O included. */
Test(invoice_ubl, review_vat_exempt_e_reason_and_vatex_code) {
        xmlDocPtr doc = render_ubl("third", NULL);

        cr_expect(fixture_xsd_valid(doc, FIXTURE_UBL_XSD));
        fixture_assert_xpath_eq(doc, INV "/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID", "E");
        fixture_assert_xpath_eq(doc, INV "/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReasonCode",
                                "VATEX-EU-132");
        fixture_assert_xpath_eq(doc, INV "/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReason",
                                "Exonération de TVA, art. 261 du CGI");
        xmlFreeDoc(doc);

        doc = render_ubl("capped", NULL);
        fixture_assert_xpath_eq(doc, INV "/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReasonCode",
                                "VATEX-EU-O");
        xmlFreeDoc(doc);
}
