/* invoice_ubl.c — the invoice model as a UBL 2.1 Invoice (see invoice_ubl.h).
 *
 * A translation only: every decision is in invoice.c. Elements are written
 * in the order of UBL-Invoice-2.1.xsd and the common aggregate schema (an
 * element out of order is an XSD error that Chorus Pro rejects), following
 * the EN 16931 UBL binding; daemon/README.md (The invoices, Mapping) maps each BT
 * to its path.
 * A credit note (type 381) is a UBL CreditNote (UBL-CreditNote-2.1.xsd):
 * CreditNoteTypeCode, CreditNoteLine/CreditedQuantity, and its due date in
 * PaymentMeans/PaymentDueDate, as CreditNote 2.1 has no header DueDate
 * (the EN 16931 UBL binding of BT-9 for credit notes).
 * Absent optional data (BT-10, BT-13, BIC) means an absent element, never an
 * empty one. Fails with -ENOMEM/-EIO from the writer, or -EINVAL for text XML
 * cannot carry (invoice_xml.h). Pure. */
#include "writers/invoice_ubl.h"
#include "writers/invoice_xml.h"
#include "base/macro.h"

#define UBL_NS_INVOICE "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
#define UBL_NS_CREDIT_NOTE "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
#define UBL_NS_CAC "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
#define UBL_NS_CBC "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
#define UBL_UNIT_CODE "C62"

static bool ubl_is_credit_note(const Invoice *inv) {
        return inv->type_code == INVOICE_TYPE_CREDIT_NOTE;
}

static void ubl_type_code(XmlOut *o, const char *name, int code) {
        char buf[16];

        (void) snprintf(buf, sizeof buf, "%d", code);
        xml_text(o, name, buf);
}

/* cac:TaxCategory / cac:ClassifiedTaxCategory: ID, Percent, reason code
 * (BT-121), reason (BT-120), scheme. */
static void ubl_tax_category(XmlOut *o, const char *element, VatCategory category, int64_t rate,
                             const char *exemption_code, const char *exemption_reason) {
        xml_start(o, element);
        xml_text(o, "cbc:ID", vat_category_to_string(category));
        if (invoice_vat_category_has_rate(category))
                xml_amount(o, "cbc:Percent", /* currency= */ NULL, rate);
        if (exemption_code)
                xml_text(o, "cbc:TaxExemptionReasonCode", exemption_code);
        if (exemption_reason)
                xml_text(o, "cbc:TaxExemptionReason", exemption_reason);
        xml_start(o, "cac:TaxScheme");
        xml_text(o, "cbc:ID", "VAT");
        xml_end(o);
        xml_end(o);
}

static void ubl_address(XmlOut *o, const Address *a) {
        xml_start(o, "cac:PostalAddress");
        xml_text(o, "cbc:StreetName", a->line1);
        if (a->line2)
                xml_text(o, "cbc:AdditionalStreetName", a->line2);
        xml_text(o, "cbc:CityName", a->city);
        xml_text(o, "cbc:PostalZone", a->postcode);
        xml_start(o, "cac:Country");
        xml_text(o, "cbc:IdentificationCode", a->country);
        xml_end(o);
        xml_end(o);
}

/* cac:Party of BG-4 or BG-7. The SIRET goes three times: as electronic
 * address (BT-34/BT-49, cbc:EndpointID, first in cac:Party), as party identifier
 * (BT-29/BT-46, where Chorus Pro routes) and as legal registration
 * identifier (BT-30/BT-47), both with the ISO 6523 scheme 0009. */
static void ubl_party(XmlOut *o, const char *element, const InvoiceParty *p) {
        xml_start(o, element);
        xml_start(o, "cac:Party");

        /* BT-34 / BT-49 electronic address: the SIRET, scheme 0009, as
         * every peer generator writes it and the French 2026 rules want. */
        xml_text_attr(o, "cbc:EndpointID", "schemeID", INVOICE_SIRET_SCHEME, p->siret);
        xml_start(o, "cac:PartyIdentification");
        xml_text_attr(o, "cbc:ID", "schemeID", INVOICE_SIRET_SCHEME, p->siret);
        xml_end(o);
        xml_start(o, "cac:PartyName");
        xml_text(o, "cbc:Name", p->name);
        xml_end(o);
        ubl_address(o, &p->address);
        if (p->vat_id) {
                xml_start(o, "cac:PartyTaxScheme");
                xml_text(o, "cbc:CompanyID", p->vat_id);
                xml_start(o, "cac:TaxScheme");
                xml_text(o, "cbc:ID", "VAT");
                xml_end(o);
                xml_end(o);
        }
        xml_start(o, "cac:PartyLegalEntity");
        xml_text(o, "cbc:RegistrationName", p->name);
        xml_text_attr(o, "cbc:CompanyID", "schemeID", INVOICE_SIRET_SCHEME, p->siret);
        xml_end(o);
        if (p->email) {
                xml_start(o, "cac:Contact");
                xml_text(o, "cbc:ElectronicMail", p->email);
                xml_end(o);
        }

        xml_end(o);
        xml_end(o);
}

static void ubl_header(XmlOut *o, const Invoice *inv) {
        xml_text(o, "cbc:CustomizationID", inv->specification_id);
        xml_text(o, "cbc:ProfileID", inv->business_process);
        xml_text(o, "cbc:ID", inv->number);
        xml_date(o, "cbc:IssueDate", inv->issue_date);
        if (!ubl_is_credit_note(inv))
                xml_date(o, "cbc:DueDate", inv->due_date);
        ubl_type_code(o, ubl_is_credit_note(inv) ? "cbc:CreditNoteTypeCode" : "cbc:InvoiceTypeCode",
                      inv->type_code);
        for (size_t i = 0; i < inv->n_notes; i++)
                xml_text(o, "cbc:Note", inv->notes[i]);
        xml_text(o, "cbc:DocumentCurrencyCode", inv->currency);
        if (inv->buyer_reference)
                xml_text(o, "cbc:BuyerReference", inv->buyer_reference);

        xml_start(o, "cac:InvoicePeriod");
        xml_date(o, "cbc:StartDate", inv->period_start);
        xml_date(o, "cbc:EndDate", inv->period_end);
        xml_end(o);
        if (inv->order_reference) {
                xml_start(o, "cac:OrderReference");
                xml_text(o, "cbc:ID", inv->order_reference);
                xml_end(o);
        }
        if (inv->preceding_number) { /* BG-3 */
                xml_start(o, "cac:BillingReference");
                xml_start(o, "cac:InvoiceDocumentReference");
                xml_text(o, "cbc:ID", inv->preceding_number);
                xml_date(o, "cbc:IssueDate", inv->preceding_date);
                xml_end(o);
                xml_end(o);
        }
        xml_start(o, "cac:ContractDocumentReference");
        xml_text(o, "cbc:ID", inv->contract_reference);
        xml_end(o);
}

static void ubl_attachments(XmlOut *o, const Invoice *inv) {
        for (size_t i = 0; i < inv->n_attachments; i++) {
                const InvoiceAttachment *a = &inv->attachments[i];

                xml_start(o, "cac:AdditionalDocumentReference");
                xml_text(o, "cbc:ID", a->id);
                if (a->description)
                        xml_text(o, "cbc:DocumentDescription", a->description);
                xml_start(o, "cac:Attachment");
                xml_binary(o, "cbc:EmbeddedDocumentBinaryObject", a->mime, a->filename, a->data, a->size);
                xml_end(o);
                xml_end(o);
        }
}

static void ubl_payment(XmlOut *o, const Invoice *inv) {
        xml_start(o, "cac:PaymentMeans");
        xml_text(o, "cbc:PaymentMeansCode", inv->payment_means_code);
        if (ubl_is_credit_note(inv))
                xml_date(o, "cbc:PaymentDueDate", inv->due_date);
        xml_text(o, "cbc:PaymentID", inv->remittance_information);
        xml_start(o, "cac:PayeeFinancialAccount");
        xml_text(o, "cbc:ID", inv->iban);
        if (inv->bic) {
                xml_start(o, "cac:FinancialInstitutionBranch");
                xml_text(o, "cbc:ID", inv->bic);
                xml_end(o);
        }
        xml_end(o);
        xml_end(o);

        xml_start(o, "cac:PaymentTerms");
        xml_text(o, "cbc:Note", inv->payment_terms);
        xml_end(o);
}

static void ubl_allowances(XmlOut *o, const Invoice *inv) {
        for (size_t i = 0; i < inv->n_allowances; i++) {
                const InvoiceAllowance *a = &inv->allowances[i];

                xml_start(o, "cac:AllowanceCharge");
                xml_text(o, "cbc:ChargeIndicator", "false");
                xml_text(o, "cbc:AllowanceChargeReason", a->reason);
                xml_amount(o, "cbc:Amount", inv->currency, a->amount);
                ubl_tax_category(o, "cac:TaxCategory", a->vat_category, a->vat_rate,
                                 /* exemption_code= */ NULL, /* exemption_reason= */ NULL);
                xml_end(o);
        }
}

static void ubl_totals(XmlOut *o, const Invoice *inv) {
        xml_start(o, "cac:TaxTotal");
        xml_amount(o, "cbc:TaxAmount", inv->currency, inv->tax_total);
        for (size_t i = 0; i < inv->n_vat; i++) {
                const InvoiceVatBreakdown *b = &inv->vat[i];

                xml_start(o, "cac:TaxSubtotal");
                xml_amount(o, "cbc:TaxableAmount", inv->currency, b->taxable_amount);
                xml_amount(o, "cbc:TaxAmount", inv->currency, b->tax_amount);
                ubl_tax_category(o, "cac:TaxCategory", b->category, b->rate, b->exemption_code,
                                 b->exemption_reason);
                xml_end(o);
        }
        xml_end(o);

        xml_start(o, "cac:LegalMonetaryTotal");
        xml_amount(o, "cbc:LineExtensionAmount", inv->currency, inv->line_total);
        xml_amount(o, "cbc:TaxExclusiveAmount", inv->currency, inv->tax_exclusive);
        xml_amount(o, "cbc:TaxInclusiveAmount", inv->currency, inv->tax_inclusive);
        if (inv->n_allowances > 0)
                xml_amount(o, "cbc:AllowanceTotalAmount", inv->currency, inv->allowance_total);
        xml_amount(o, "cbc:PayableAmount", inv->currency, inv->payable);
        xml_end(o);
}

static void ubl_line(XmlOut *o, const Invoice *inv, const InvoiceLine *l) {
        bool credit = ubl_is_credit_note(inv);

        xml_start(o, credit ? "cac:CreditNoteLine" : "cac:InvoiceLine");
        xml_text(o, "cbc:ID", l->id);
        xml_quantity(o, credit ? "cbc:CreditedQuantity" : "cbc:InvoicedQuantity", UBL_UNIT_CODE, l->quantity);
        xml_amount(o, "cbc:LineExtensionAmount", inv->currency, l->net_amount);

        xml_start(o, "cac:Item");
        xml_text(o, "cbc:Description", l->description);
        xml_text(o, "cbc:Name", l->name);
        xml_start(o, "cac:SellersItemIdentification");
        xml_text(o, "cbc:ID", l->action_id);
        xml_end(o);
        ubl_tax_category(o, "cac:ClassifiedTaxCategory", l->vat_category, l->vat_rate,
                         /* exemption_code= */ NULL, /* exemption_reason= */ NULL);
        xml_end(o);

        xml_start(o, "cac:Price");
        xml_amount(o, "cbc:PriceAmount", inv->currency, l->unit_price);
        xml_end(o);
        xml_end(o);
}

int invoice_ubl_render(const Invoice *inv, char **ret, size_t *ret_size) {
        XmlOut o;
        size_t hint = 0; /* the attachments' base64: the buffer grows once */
        int r;

        for (size_t i = 0; i < inv->n_attachments; i++)
                hint += xml_base64_size(inv->attachments[i].size);
        r = xml_out_begin_sized(&o, hint);
        if (r < 0)
                return r;

        xml_start(&o, ubl_is_credit_note(inv) ? "CreditNote" : "Invoice");
        xml_attr(&o, "xmlns", ubl_is_credit_note(inv) ? UBL_NS_CREDIT_NOTE : UBL_NS_INVOICE);
        xml_attr(&o, "xmlns:cac", UBL_NS_CAC);
        xml_attr(&o, "xmlns:cbc", UBL_NS_CBC);
        ubl_header(&o, inv);
        ubl_attachments(&o, inv);
        ubl_party(&o, "cac:AccountingSupplierParty", &inv->seller);
        ubl_party(&o, "cac:AccountingCustomerParty", &inv->buyer);
        if (inv->has_delivery_date) {
                xml_start(&o, "cac:Delivery");
                xml_date(&o, "cbc:ActualDeliveryDate", inv->delivery_date);
                xml_end(&o);
        }
        ubl_payment(&o, inv);
        ubl_allowances(&o, inv);
        ubl_totals(&o, inv);
        for (size_t i = 0; i < inv->n_lines; i++)
                ubl_line(&o, inv, &inv->lines[i]);
        xml_end(&o);

        return xml_out_finish(&o, ret, ret_size);
}
