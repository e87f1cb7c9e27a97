/* invoice_cii.c — the invoice model as a UN/CEFACT Cross Industry Invoice
 * D16B (see invoice_cii.h); also the factur-x.xml of a Factur-X invoice.
 *
 * A translation only: every decision is in invoice.c. Elements follow the
 * order of CrossIndustryInvoice_100pD16B.xsd and the EN 16931 CII binding;
 * daemon/README.md (The invoices, Mapping) maps each BT to its path.
 * ApplicableHeaderTradeDelivery is mandatory in the XSD (other generators forget it); it holds BT-72;
 * notes are plain ram:Content text (Chorus Pro rejects child elements there);
 * a credit note is TypeCode 381 with its invoice in
 * InvoiceReferencedDocument (BT-25/BT-26); dates use format 102 (YYYYMMDD). Fails with -ENOMEM/-EIO, or -EINVAL for
 * text XML cannot carry (invoice_xml.h). Pure. */
#include "writers/invoice_cii.h"
#include "writers/invoice_xml.h"
#include "base/macro.h"

#define CII_NS_RSM "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
#define CII_NS_RAM "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
#define CII_NS_QDT "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
#define CII_NS_UDT "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
#define CII_UNIT_CODE "C62"
#define CII_DOCUMENT_TYPE_SUPPORTING "916" /* UNTDID 1001: related document, BG-24 */

/* <element><udt:DateTimeString format="102">20261215</udt:DateTimeString></element> */
static void cii_date(XmlOut *o, const char *element, Date d) {
        char buf[9];

        xml_start(o, element);
        xml_text_attr(o, "udt:DateTimeString", "format", "102", date_format_compact(d, buf));
        xml_end(o);
}

static void cii_id_element(XmlOut *o, const char *element, const char *id) {
        xml_start(o, element);
        xml_text(o, "ram:ID", id);
        xml_end(o);
}

/* ram:ApplicableTradeTax (lines) / ram:CategoryTradeTax (allowances). */
static void cii_tax_category(XmlOut *o, const char *element, VatCategory category, int64_t rate) {
        xml_start(o, element);
        xml_text(o, "ram:TypeCode", "VAT");
        xml_text(o, "ram:CategoryCode", vat_category_to_string(category));
        if (invoice_vat_category_has_rate(category))
                xml_amount(o, "ram:RateApplicablePercent", /* currency= */ NULL, rate);
        xml_end(o);
}

static void cii_context(XmlOut *o, const Invoice *inv) {
        char code[16];

        xml_start(o, "rsm:ExchangedDocumentContext");
        cii_id_element(o, "ram:BusinessProcessSpecifiedDocumentContextParameter", inv->business_process);
        cii_id_element(o, "ram:GuidelineSpecifiedDocumentContextParameter", inv->specification_id);
        xml_end(o);

        xml_start(o, "rsm:ExchangedDocument");
        xml_text(o, "ram:ID", inv->number);
        (void) snprintf(code, sizeof code, "%d", inv->type_code);
        xml_text(o, "ram:TypeCode", code);
        cii_date(o, "ram:IssueDateTime", inv->issue_date);
        for (size_t i = 0; i < inv->n_notes; i++) {
                xml_start(o, "ram:IncludedNote");
                xml_text(o, "ram:Content", inv->notes[i]);
                xml_end(o);
        }
        xml_end(o);
}

static void cii_line(XmlOut *o, const InvoiceLine *l) {
        xml_start(o, "ram:IncludedSupplyChainTradeLineItem");

        xml_start(o, "ram:AssociatedDocumentLineDocument");
        xml_text(o, "ram:LineID", l->id);
        xml_end(o);

        xml_start(o, "ram:SpecifiedTradeProduct");
        xml_text(o, "ram:SellerAssignedID", l->action_id);
        xml_text(o, "ram:Name", l->name);
        xml_text(o, "ram:Description", l->description);
        xml_end(o);

        xml_start(o, "ram:SpecifiedLineTradeAgreement");
        xml_start(o, "ram:NetPriceProductTradePrice");
        xml_amount(o, "ram:ChargeAmount", /* currency= */ NULL, l->unit_price);
        xml_end(o);
        xml_end(o);

        xml_start(o, "ram:SpecifiedLineTradeDelivery");
        xml_quantity(o, "ram:BilledQuantity", CII_UNIT_CODE, l->quantity);
        xml_end(o);

        xml_start(o, "ram:SpecifiedLineTradeSettlement");
        cii_tax_category(o, "ram:ApplicableTradeTax", l->vat_category, l->vat_rate);
        xml_start(o, "ram:SpecifiedTradeSettlementLineMonetarySummation");
        xml_amount(o, "ram:LineTotalAmount", NULL, l->net_amount);
        xml_end(o);
        xml_end(o);

        xml_end(o);
}

static void cii_address(XmlOut *o, const Address *a) {
        xml_start(o, "ram:PostalTradeAddress");
        xml_text(o, "ram:PostcodeCode", a->postcode);
        xml_text(o, "ram:LineOne", a->line1);
        if (a->line2)
                xml_text(o, "ram:LineTwo", a->line2);
        xml_text(o, "ram:CityName", a->city);
        xml_text(o, "ram:CountryID", a->country);
        xml_end(o);
}

/* SellerTradeParty / BuyerTradeParty. The SIRET is both the party's global
 * identifier (BT-29/BT-46) and its legal registration (BT-30/BT-47), with
 * scheme 0009: Chorus Pro routes on the latter. */
static void cii_party(XmlOut *o, const char *element, const InvoiceParty *p) {
        xml_start(o, element);
        xml_text_attr(o, "ram:GlobalID", "schemeID", INVOICE_SIRET_SCHEME, p->siret);
        xml_text(o, "ram:Name", p->name);
        xml_start(o, "ram:SpecifiedLegalOrganization");
        xml_text_attr(o, "ram:ID", "schemeID", INVOICE_SIRET_SCHEME, p->siret);
        xml_end(o);
        if (p->email) {
                xml_start(o, "ram:DefinedTradeContact");
                xml_start(o, "ram:EmailURIUniversalCommunication");
                xml_text(o, "ram:URIID", p->email);
                xml_end(o);
                xml_end(o);
        }
        cii_address(o, &p->address);
        /* BT-34 / BT-49 electronic address: the SIRET, scheme 0009. */
        xml_start(o, "ram:URIUniversalCommunication");
        xml_text_attr(o, "ram:URIID", "schemeID", INVOICE_SIRET_SCHEME, p->siret);
        xml_end(o);
        if (p->vat_id) {
                xml_start(o, "ram:SpecifiedTaxRegistration");
                xml_text_attr(o, "ram:ID", "schemeID", "VA", p->vat_id);
                xml_end(o);
        }
        xml_end(o);
}

static void cii_referenced_document(XmlOut *o, const char *element, const char *id) {
        xml_start(o, element);
        xml_text(o, "ram:IssuerAssignedID", id);
        xml_end(o);
}

static void cii_agreement(XmlOut *o, const Invoice *inv) {
        xml_start(o, "ram:ApplicableHeaderTradeAgreement");
        if (inv->buyer_reference)
                xml_text(o, "ram:BuyerReference", inv->buyer_reference);
        cii_party(o, "ram:SellerTradeParty", &inv->seller);
        cii_party(o, "ram:BuyerTradeParty", &inv->buyer);
        if (inv->order_reference)
                cii_referenced_document(o, "ram:BuyerOrderReferencedDocument", inv->order_reference);
        cii_referenced_document(o, "ram:ContractReferencedDocument", inv->contract_reference);
        for (size_t i = 0; i < inv->n_attachments; i++) {
                const InvoiceAttachment *a = &inv->attachments[i];

                xml_start(o, "ram:AdditionalReferencedDocument");
                xml_text(o, "ram:IssuerAssignedID", a->id);
                xml_text(o, "ram:TypeCode", CII_DOCUMENT_TYPE_SUPPORTING);
                if (a->description)
                        xml_text(o, "ram:Name", a->description);
                xml_binary(o, "ram:AttachmentBinaryObject", a->mime, a->filename, a->data, a->size);
                xml_end(o);
        }
        xml_end(o);
}

static void cii_payment_means(XmlOut *o, const Invoice *inv) {
        xml_start(o, "ram:SpecifiedTradeSettlementPaymentMeans");
        xml_text(o, "ram:TypeCode", inv->payment_means_code);
        xml_start(o, "ram:PayeePartyCreditorFinancialAccount");
        xml_text(o, "ram:IBANID", inv->iban);
        xml_end(o);
        if (inv->bic) {
                xml_start(o, "ram:PayeeSpecifiedCreditorFinancialInstitution");
                xml_text(o, "ram:BICID", inv->bic);
                xml_end(o);
        }
        xml_end(o);
}

static void cii_vat_breakdown(XmlOut *o, const InvoiceVatBreakdown *b) {
        xml_start(o, "ram:ApplicableTradeTax");
        xml_amount(o, "ram:CalculatedAmount", /* currency= */ NULL, b->tax_amount);
        xml_text(o, "ram:TypeCode", "VAT");
        if (b->exemption_reason)
                xml_text(o, "ram:ExemptionReason", b->exemption_reason);
        xml_amount(o, "ram:BasisAmount", NULL, b->taxable_amount);
        xml_text(o, "ram:CategoryCode", vat_category_to_string(b->category));
        if (b->exemption_code) /* BT-121, after the category in the XSD */
                xml_text(o, "ram:ExemptionReasonCode", b->exemption_code);
        if (invoice_vat_category_has_rate(b->category))
                xml_amount(o, "ram:RateApplicablePercent", NULL, b->rate);
        xml_end(o);
}

static void cii_allowance(XmlOut *o, const InvoiceAllowance *a) {
        xml_start(o, "ram:SpecifiedTradeAllowanceCharge");
        xml_start(o, "ram:ChargeIndicator");
        xml_text(o, "udt:Indicator", "false");
        xml_end(o);
        xml_amount(o, "ram:ActualAmount", /* currency= */ NULL, a->amount);
        xml_text(o, "ram:Reason", a->reason);
        cii_tax_category(o, "ram:CategoryTradeTax", a->vat_category, a->vat_rate);
        xml_end(o);
}

static void cii_totals(XmlOut *o, const Invoice *inv) {
        xml_start(o, "ram:SpecifiedTradeSettlementHeaderMonetarySummation");
        xml_amount(o, "ram:LineTotalAmount", /* currency= */ NULL, inv->line_total);
        if (inv->n_allowances > 0)
                xml_amount(o, "ram:AllowanceTotalAmount", NULL, inv->allowance_total);
        xml_amount(o, "ram:TaxBasisTotalAmount", NULL, inv->tax_exclusive);
        xml_amount(o, "ram:TaxTotalAmount", inv->currency, inv->tax_total);
        xml_amount(o, "ram:GrandTotalAmount", NULL, inv->tax_inclusive);
        xml_amount(o, "ram:DuePayableAmount", NULL, inv->payable);
        xml_end(o);
}

static void cii_settlement(XmlOut *o, const Invoice *inv) {
        char date[9];

        xml_start(o, "ram:ApplicableHeaderTradeSettlement");
        xml_text(o, "ram:PaymentReference", inv->remittance_information);
        xml_text(o, "ram:InvoiceCurrencyCode", inv->currency);
        cii_payment_means(o, inv);
        for (size_t i = 0; i < inv->n_vat; i++)
                cii_vat_breakdown(o, &inv->vat[i]);

        xml_start(o, "ram:BillingSpecifiedPeriod");
        cii_date(o, "ram:StartDateTime", inv->period_start);
        cii_date(o, "ram:EndDateTime", inv->period_end);
        xml_end(o);

        for (size_t i = 0; i < inv->n_allowances; i++)
                cii_allowance(o, &inv->allowances[i]);

        xml_start(o, "ram:SpecifiedTradePaymentTerms");
        xml_text(o, "ram:Description", inv->payment_terms);
        cii_date(o, "ram:DueDateDateTime", inv->due_date);
        xml_end(o);

        cii_totals(o, inv);
        if (inv->preceding_number) { /* BG-3: a credit note's invoice */
                xml_start(o, "ram:InvoiceReferencedDocument");
                xml_text(o, "ram:IssuerAssignedID", inv->preceding_number);
                xml_start(o, "ram:FormattedIssueDateTime");
                xml_text_attr(o, "qdt:DateTimeString", "format", "102",
                              date_format_compact(inv->preceding_date, date));
                xml_end(o);
                xml_end(o);
        }
        xml_end(o);
}

int invoice_cii_render(const Invoice *inv, char **ret, size_t *ret_size) {
        XmlOut o;
        size_t hint = 0; /* the attachments' base64: the buffer grows once */
        int r;

        for (size_t i = 0; i < inv->n_attachments; i++)
                hint += xml_base64_size(inv->attachments[i].size);
        r = xml_out_begin_sized(&o, hint);
        if (r < 0)
                return r;

        xml_start(&o, "rsm:CrossIndustryInvoice");
        xml_attr(&o, "xmlns:rsm", CII_NS_RSM);
        xml_attr(&o, "xmlns:qdt", CII_NS_QDT);
        xml_attr(&o, "xmlns:ram", CII_NS_RAM);
        xml_attr(&o, "xmlns:udt", CII_NS_UDT);
        cii_context(&o, inv);

        xml_start(&o, "rsm:SupplyChainTradeTransaction");
        for (size_t i = 0; i < inv->n_lines; i++)
                cii_line(&o, &inv->lines[i]);
        cii_agreement(&o, inv);
        /* Required by the XSD, whether or not there is a delivery date. */
        xml_start(&o, "ram:ApplicableHeaderTradeDelivery");
        if (inv->has_delivery_date) {
                xml_start(&o, "ram:ActualDeliverySupplyChainEvent");
                cii_date(&o, "ram:OccurrenceDateTime", inv->delivery_date);
                xml_end(&o);
        }
        xml_end(&o);
        cii_settlement(&o, inv);
        xml_end(&o);

        xml_end(&o);
        return xml_out_finish(&o, ret, ret_size);
}
