/* invoice.h — the EN 16931 semantic model of one invoice, built from the
 * seller configuration, the convention, the bilan and its proration.
 *
 * The writers (invoice_ubl, invoice_cii, facturx) only translate this model
 * into a syntax: every business decision (what goes in the notes, which
 * lines appear, the cap allowance, the totals) is taken once, here. The BT/BG
 * numbers are those of EN 16931-1. Amounts are int64 cents. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bilan.h"
#include "base/config.h"
#include "core/convention.h"
#include "base/date.h"
#include "core/proration.h"

#define INVOICE_TYPE_COMMERCIAL 380  /* BT-3 */
#define INVOICE_TYPE_CREDIT_NOTE 381
#define INVOICE_SPECIFICATION_ID "urn:cen.eu:en16931:2017" /* BT-24, also Factur-X EN 16931 */
#define INVOICE_BUSINESS_PROCESS "A1" /* BT-23: Chorus Pro cadre "facture fournisseur" */
#define INVOICE_SIRET_SCHEME "0009"   /* ISO 6523 ICD of the SIRET */

typedef struct InvoiceParty {
        char *name;   /* BT-27 / BT-44 */
        char *siret;  /* BT-30 / BT-47 legal registration id (scheme 0009), also BT-29 / BT-46 */
        char *vat_id; /* BT-31 / BT-48; NULL when not to be written */
        Address address; /* BG-5 / BG-8 */
        char *email;  /* BT-43 seller contact e-mail; NULL for the buyer */
} InvoiceParty;

typedef struct InvoiceLine {
        char *id;          /* BT-126: "1", "2"… */
        char *action_id;   /* BT-155 seller's item identifier: the convention action id */
        char *name;        /* BT-153: the action label */
        char *description; /* BT-154: "Article 2 — 4 entreprises accompagnées sur 5 prévues" */
        int64_t quantity;  /* BT-129, whole units, unit code C62 (BT-130) */
        int64_t unit_price; /* BT-146 net price, cents */
        int64_t net_amount; /* BT-131 = quantity × unit_price */
        VatCategory vat_category; /* BT-151 */
        int64_t vat_rate;         /* BT-152, hundredths of a percent */
} InvoiceLine;

typedef struct InvoiceAllowance { /* BG-20 document-level allowance */
        int64_t amount;            /* BT-92 */
        char *reason;              /* BT-97 */
        VatCategory vat_category;  /* BT-95 */
        int64_t vat_rate;          /* BT-96 */
} InvoiceAllowance;

typedef struct InvoiceVatBreakdown { /* BG-23 */
        VatCategory category;    /* BT-118 */
        int64_t rate;            /* BT-119 */
        int64_t taxable_amount;  /* BT-116 */
        int64_t tax_amount;      /* BT-117 */
        char *exemption_reason;  /* BT-120; required for E and O */
        char *exemption_code;    /* BT-121 VATEX code, E and O, when the convention has one */
} InvoiceVatBreakdown;

typedef struct InvoiceAttachment { /* BG-24 additional supporting document */
        char *id;          /* BT-122 */
        char *description; /* BT-123 */
        char *filename;    /* BT-125 filename attribute */
        char *mime;        /* BT-125 mimeCode, e.g. application/pdf */
        unsigned char *data;
        size_t size;
} InvoiceAttachment;

typedef struct Invoice {
        char *number;            /* BT-1, at most 20 characters */
        int type_code;           /* BT-3 */
        Date issue_date;         /* BT-2 */
        Date due_date;           /* BT-9 */
        char *currency;          /* BT-5 "EUR" */
        char *business_process;  /* BT-23 "A1" */
        char *specification_id;  /* BT-24 */
        char *buyer_reference;   /* BT-10 Chorus Pro service code; NULL if none */
        char *order_reference;   /* BT-13 engagement juridique; NULL if none */
        char *contract_reference; /* BT-12 the convention id */
        char *contract_title;    /* the convention's title, for the PDF's OBJET; may be NULL */
        Date period_start, period_end; /* BG-14 invoicing period: the convention period */
        /* BT-72 actual delivery date: the last realisation reported in the
         * bilan, when the service was completed. Also keeps the CII's
         * mandatory ApplicableHeaderTradeDelivery from being an empty
         * element (Factur-X warns on those). has_delivery_date is false
         * only for a bilan without any dated entry. */
        Date delivery_date;
        bool has_delivery_date;
        char **notes;            /* BT-22, NULL-terminated */
        size_t n_notes;
        InvoiceParty seller;     /* BG-4 */
        InvoiceParty buyer;      /* BG-7 */
        char *payment_means_code; /* BT-81 "30" or "58" */
        char *iban;              /* BT-84 */
        char *bic;               /* BT-86; may be NULL */
        char *remittance_information; /* BT-83: the invoice number */
        char *payment_terms;     /* BT-20 text */
        InvoiceLine *lines;      /* BG-25: actions with counted > 0 */
        size_t n_lines;
        InvoiceAllowance *allowances; /* BG-20: the cap, when it bites */
        size_t n_allowances;
        InvoiceVatBreakdown *vat;     /* BG-23 */
        size_t n_vat;
        int64_t line_total;       /* BT-106 Σ line net amounts */
        int64_t allowance_total;  /* BT-107 */
        int64_t tax_exclusive;    /* BT-109 */
        int64_t tax_total;        /* BT-110 */
        int64_t tax_inclusive;    /* BT-112 */
        int64_t payable;          /* BT-115 */
        InvoiceAttachment *attachments; /* BG-24 */
        size_t n_attachments;
        /* BG-3 preceding invoice reference: a credit note's (type 381)
         * invoice, which it cancels whole. NULL on an invoice. */
        char *preceding_number;  /* BT-25 */
        Date preceding_date;     /* BT-26 */
} Invoice;

/* What turns an invoice into its credit note (avoir): the invoice it
 * cancels and why. The credit note has the same lines, allowance, VAT,
 * totals and buyer routing as the invoice, which is why it is built from
 * the same configuration, convention and bilan. */
typedef struct InvoiceCreditRef {
        const char *invoice_number; /* BT-25 */
        Date invoice_date;          /* BT-26 */
        const char *reason;         /* one line, given to chorusctl credit; in a BT-22 note */
} InvoiceCreditRef;

typedef struct InvoiceInput {
        const SellerConfig *seller;
        const Convention *convention;
        const Bilan *bilan;
        const Proration *proration;
        const char *number;          /* "PREVIEW" for previews */
        Date issue_date;
        unsigned payment_terms_days;
        const InvoiceCreditRef *credit; /* set: a credit note (type 381) of that invoice */
} InvoiceInput;

/* Builds the model (a credit note when in->credit is set). Pure. Returns 0, -EINVAL (inconsistent input: a bug in
 * the caller), -ERANGE (the due date would be after 9999-12-31) or
 * -ENOMEM. */
int invoice_build(const InvoiceInput *in, Invoice **ret);
Invoice *invoice_free(Invoice *inv);
DEFINE_TRIVIAL_CLEANUP_FUNC(Invoice *, invoice_free);

/* Adds a BG-24 supporting document (the data is copied). Returns 0,
 * -EINVAL (id, filename or mime missing) or -ENOMEM (the invoice is then
 * left as it was). */
int invoice_add_attachment(Invoice *inv, const char *id, const char *description,
                           const char *filename, const char *mime, const void *data, size_t size);

/* EN 16931 wants the seller's VAT id (BT-31) with S, Z and E (BR-S-02,
 * BR-Z-02, BR-E-02) and forbids it with O (BR-O-02). invoice_build()
 * returns -EINVAL when it is needed and not configured: check first. */
bool invoice_vat_category_needs_seller_vat_id(VatCategory c);
/* E and O need an exemption reason (BT-120, BR-E-10/BR-O-10); S and Z must
 * not have one (BR-S-10/BR-Z-10): invoice_build() leaves it out. */
bool invoice_vat_category_needs_exemption_reason(VatCategory c);
/* Whether the VAT rate (BT-96, BT-119, BT-152) is written: not with O
 * (BR-O-05, BR-O-06); writers leave the element out. */
bool invoice_vat_category_has_rate(VatCategory c);

/* The French line description (BT-154): "Article 2 — 4 entreprises
 * accompagnées sur 5 prévues", with "(5 retenues)" when more was realised
 * than counted. Uses the action's unit (default réalisation/réalisations,
 * feminine); "prévu" agrees in gender and number. Returns a new string or
 * NULL (out of memory). */
char *invoice_line_description(const ConventionAction *a, int64_t realised, int64_t counted);

/* Replaces, in place, every character outside [A-Za-z0-9._-] by '_': file
 * names derived from the invoice number (the prefix is the administrator's
 * choice) stay portable and within Chorus Pro's attachment rules. */
void invoice_sanitize_file_name(char *s);
