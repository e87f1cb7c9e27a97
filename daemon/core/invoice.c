/* invoice.c — the EN 16931 semantic model of one invoice (see invoice.h).
 *
 * Every business decision about the invoice is taken here, once, so that
 * the UBL, CII and Factur-X writers only translate: which lines appear
 * (actions with counted > 0), their French description, the cap allowance,
 * the VAT breakdown and the totals, the BT-22 notes, the payment terms, and
 * whether the seller's VAT id may appear (never with category O: BR-O-02).
 *
 * The Invoice owns copies of every string, so it outlives the configuration,
 * the convention and the bilan it was built from (the daemon keeps it for
 * receipts and logs). Fails with -EINVAL when the input is inconsistent (a
 * proration that does not add up, a number over 20 characters, a taxable
 * category without seller VAT id: the caller should have checked) or with
 * -ENOMEM. Pure: no I/O, no logging. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "core/invoice.h"
#include "base/macro.h"
#include "base/money.h"

#define INVOICE_CURRENCY "EUR"
#define INVOICE_PAYMENT_MEANS_DEFAULT "30"
#define INVOICE_UNIT_ONE_DEFAULT "réalisation"
#define INVOICE_UNIT_OTHER_DEFAULT "réalisations"

static int strdup_to(char **dst, const char *src) {
        if (!src) {
                *dst = NULL;
                return 0;
        }
        *dst = strdup(src);
        return *dst ? 0 : -ENOMEM;
}

static void party_done(InvoiceParty *p) {
        free(p->name);
        free(p->siret);
        free(p->vat_id);
        free(p->email);
        address_done(&p->address);
}

static void attachment_done(InvoiceAttachment *a) {
        free(a->id);
        free(a->description);
        free(a->filename);
        free(a->mime);
        free(a->data);
}

Invoice *invoice_free(Invoice *inv) {
        if (!inv)
                return NULL;
        free(inv->number);
        free(inv->currency);
        free(inv->business_process);
        free(inv->specification_id);
        free(inv->buyer_reference);
        free(inv->order_reference);
        free(inv->contract_reference);
        free(inv->contract_title);
        strv_free(inv->notes);
        party_done(&inv->seller);
        party_done(&inv->buyer);
        free(inv->payment_means_code);
        free(inv->iban);
        free(inv->bic);
        free(inv->remittance_information);
        free(inv->payment_terms);
        free(inv->preceding_number);
        for (size_t i = 0; i < inv->n_lines; i++) {
                free(inv->lines[i].id);
                free(inv->lines[i].action_id);
                free(inv->lines[i].name);
                free(inv->lines[i].description);
        }
        free(inv->lines);
        for (size_t i = 0; i < inv->n_allowances; i++)
                free(inv->allowances[i].reason);
        free(inv->allowances);
        for (size_t i = 0; i < inv->n_vat; i++) {
                free(inv->vat[i].exemption_reason);
                free(inv->vat[i].exemption_code);
        }
        free(inv->vat);
        for (size_t i = 0; i < inv->n_attachments; i++)
                attachment_done(&inv->attachments[i]);
        free(inv->attachments);
        free(inv);
        return NULL;
}

static int address_copy(Address *dst, const Address *src) {
        if (strdup_to(&dst->line1, src->line1) < 0 || strdup_to(&dst->line2, src->line2) < 0 ||
            strdup_to(&dst->postcode, src->postcode) < 0 || strdup_to(&dst->city, src->city) < 0 ||
            strdup_to(&dst->country, src->country) < 0)
                return -ENOMEM;
        return 0;
}

/* EN 16931 wants the seller's VAT id (BT-31) with S, Z and E (BR-S-02,
 * BR-Z-02, BR-E-02) and forbids it with O (BR-O-02). */
bool invoice_vat_category_needs_seller_vat_id(VatCategory c) {
        return c != VAT_CATEGORY_O;
}

/* BT-120: E and O need one (BR-E-10, BR-O-10), S and Z must not have one. */
bool invoice_vat_category_needs_exemption_reason(VatCategory c) {
        return c == VAT_CATEGORY_E || c == VAT_CATEGORY_O;
}

/* BT-152/BT-96/BT-119 are written for every category but O (BR-O-05/06). */
bool invoice_vat_category_has_rate(VatCategory c) {
        return c != VAT_CATEGORY_O;
}

static int invoice_set_seller(Invoice *inv, const SellerConfig *s, VatCategory category) {
        InvoiceParty *p = &inv->seller;
        const Address a = {
                .line1 = s->street,
                .postcode = s->postcode,
                .city = s->city,
                .country = s->country,
        };
        const char *vat_id = invoice_vat_category_needs_seller_vat_id(category) ? s->vat_id : NULL;

        if (invoice_vat_category_needs_seller_vat_id(category) && isempty(s->vat_id))
                return -EINVAL;
        if (strdup_to(&p->name, s->name) < 0 || strdup_to(&p->siret, s->siret) < 0 ||
            strdup_to(&p->vat_id, vat_id) < 0 || strdup_to(&p->email, s->email) < 0 ||
            address_copy(&p->address, &a) < 0)
                return -ENOMEM;
        if (strdup_to(&inv->payment_means_code,
                      isempty(s->payment_means) ? INVOICE_PAYMENT_MEANS_DEFAULT : s->payment_means) < 0 ||
            strdup_to(&inv->iban, s->iban) < 0 || strdup_to(&inv->bic, isempty(s->bic) ? NULL : s->bic) < 0)
                return -ENOMEM;
        return 0;
}

static int invoice_set_buyer(Invoice *inv, const ConventionBuyer *b) {
        InvoiceParty *p = &inv->buyer;

        if (strdup_to(&p->name, b->name) < 0 || strdup_to(&p->siret, b->siret) < 0 ||
            address_copy(&p->address, &b->address) < 0)
                return -ENOMEM;
        /* Absent stays absent: an empty BT-10/BT-13 element is worse than none. */
        if (strdup_to(&inv->buyer_reference, isempty(b->service_code) ? NULL : b->service_code) < 0 ||
            strdup_to(&inv->order_reference, isempty(b->engagement) ? NULL : b->engagement) < 0)
                return -ENOMEM;
        return 0;
}

/* French participles agreeing with the unit's gender and the number
 * (French takes the singular for 0 and 1): [feminine][plural]. */
static const char *const planned_words[2][2] = { { "prévu", "prévus" }, { "prévue", "prévues" } };
static const char *const kept_words[2][2] = { { "retenu", "retenus" }, { "retenue", "retenues" } };

static const char *agree(const char *const words[2][2], bool feminine, int64_t n) {
        return words[feminine][n > 1];
}

/* "Article 2 — 4 entreprises accompagnées sur 5 prévues"; over the target,
 * "7 entreprises accompagnées sur 5 prévues (5 retenues)" says what is paid. */
char *invoice_line_description(const ConventionAction *a, int64_t realised, int64_t counted) {
        bool custom = !isempty(a->unit_one) && !isempty(a->unit_other);
        const char *one = custom ? a->unit_one : INVOICE_UNIT_ONE_DEFAULT;
        const char *other = custom ? a->unit_other : INVOICE_UNIT_OTHER_DEFAULT;
        bool feminine = custom ? a->unit_feminine : true;
        char *s = NULL;
        int n;

        if (counted < realised)
                n = asprintf(&s, "Article %s — %" PRId64 " %s sur %" PRId64 " %s (%" PRId64 " %s)",
                             strempty(a->article), realised, realised > 1 ? other : one, a->target,
                             agree(planned_words, feminine, a->target), counted,
                             agree(kept_words, feminine, counted));
        else
                n = asprintf(&s, "Article %s — %" PRId64 " %s sur %" PRId64 " %s", strempty(a->article),
                             realised, realised > 1 ? other : one, a->target,
                             agree(planned_words, feminine, a->target));
        return n < 0 ? NULL : s;
}

static int invoice_add_line(Invoice *inv, const ProrationLine *pl, const ConventionVat *vat) {
        InvoiceLine *l = &inv->lines[inv->n_lines];

        if (pl->invoiced_quantity <= 0 || pl->unit_price < 0 ||
            pl->invoiced_quantity * pl->unit_price != pl->amount)
                return -EINVAL;

        *l = (InvoiceLine) {
                .quantity = pl->invoiced_quantity,
                .unit_price = pl->unit_price,
                .net_amount = pl->amount,
                .vat_category = vat->category,
                .vat_rate = invoice_vat_category_has_rate(vat->category) ? vat->rate : 0,
        };
        inv->n_lines++; /* from here on invoice_free() frees what is set */
        if (asprintf(&l->id, "%zu", inv->n_lines) < 0) {
                l->id = NULL;
                return -ENOMEM;
        }
        if (strdup_to(&l->action_id, pl->action->id) < 0 || strdup_to(&l->name, pl->action->label) < 0)
                return -ENOMEM;
        l->description = invoice_line_description(pl->action, pl->realised, pl->counted);
        if (!l->description)
                return -ENOMEM;
        inv->line_total += l->net_amount;
        return 0;
}

static int invoice_build_lines(Invoice *inv, const Proration *p, const ConventionVat *vat) {
        int64_t sum = 0;
        int r;

        inv->lines = calloc(p->n_lines ? p->n_lines : 1, sizeof(InvoiceLine));
        if (!inv->lines)
                return -ENOMEM;
        for (size_t i = 0; i < p->n_lines; i++) {
                const ProrationLine *pl = &p->lines[i];

                if (!pl->action)
                        return -EINVAL;
                sum += pl->amount;
                if (!proration_line_is_invoiced(pl))
                        continue; /* q = 0, or 0.00: in the bilan report, not on the invoice */
                r = invoice_add_line(inv, pl, vat);
                if (r < 0)
                        return r;
        }
        if (inv->n_lines == 0 || sum != p->total_before_cap || inv->line_total != sum)
                return -EINVAL;
        return 0;
}

static int invoice_build_allowance(Invoice *inv, const Proration *p, const ConventionVat *vat) {
        InvoiceAllowance *a;

        if (p->cap_allowance < 0 || p->total != p->total_before_cap - p->cap_allowance || p->total <= 0)
                return -EINVAL;
        if (p->cap_allowance == 0)
                return 0;

        inv->allowances = calloc(1, sizeof(InvoiceAllowance));
        if (!inv->allowances)
                return -ENOMEM;
        a = &inv->allowances[0];
        inv->n_allowances = 1;
        *a = (InvoiceAllowance) {
                .amount = p->cap_allowance,
                .vat_category = vat->category,
                .vat_rate = invoice_vat_category_has_rate(vat->category) ? vat->rate : 0,
        };
        inv->allowance_total = p->cap_allowance;
        return strdup_to(&a->reason, PRORATION_CAP_REASON);
}

/* One VAT breakdown: every line and the allowance share the convention's
 * category. The tax is computed once on the taxable amount, in cents. */
static int invoice_build_vat(Invoice *inv, const ConventionVat *vat) {
        InvoiceVatBreakdown *b;
        bool taxed = vat->category == VAT_CATEGORY_S;

        if (invoice_vat_category_needs_exemption_reason(vat->category) && isempty(vat->exemption_reason))
                return -EINVAL;
        inv->vat = calloc(1, sizeof(InvoiceVatBreakdown));
        if (!inv->vat)
                return -ENOMEM;
        b = &inv->vat[0];
        inv->n_vat = 1;
        *b = (InvoiceVatBreakdown) {
                .category = vat->category,
                .rate = invoice_vat_category_has_rate(vat->category) ? vat->rate : 0,
                .taxable_amount = inv->line_total - inv->allowance_total,
                .tax_amount = taxed ? money_apply_rate(inv->line_total - inv->allowance_total, vat->rate) : 0,
        };
        inv->tax_exclusive = b->taxable_amount;
        inv->tax_total = b->tax_amount;
        inv->tax_inclusive = inv->tax_exclusive + inv->tax_total;
        inv->payable = inv->tax_inclusive;
        /* BT-120 and BT-121 with E and O only: S and Z must not have one
         * (BR-S-10, BR-Z-10). */
        if (!invoice_vat_category_needs_exemption_reason(vat->category))
                return 0;
        if (strdup_to(&b->exemption_reason, vat->exemption_reason) < 0 ||
            strdup_to(&b->exemption_code, vat->exemption_code) < 0)
                return -ENOMEM;
        return 0;
}

/* Appends a formatted note to a NULL-terminated list. */
static int notes_add(char ***notes, size_t *n, const char *format, ...) _printf_(3, 4);
static int notes_add(char ***notes, size_t *n, const char *format, ...) {
        char **l;
        char *s;
        va_list ap;
        int k;

        va_start(ap, format);
        k = vasprintf(&s, format, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        l = realloc(*notes, (*n + 2) * sizeof(char *));
        if (!l) {
                free(s);
                return -ENOMEM;
        }
        l[(*n)++] = s;
        l[*n] = NULL;
        *notes = l;
        return 0;
}

/* "article 1 : 1 sur 1 ; article 2 : 4 sur 5 ; article 3 : 0 sur 2" — every
 * action, done ones and others, so that the buyer sees the whole bilan. */
static char *invoice_realisations_text(const Proration *p) {
        _cleanup_(freep) char *s = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&s, &size);
        if (!f)
                return NULL;
        for (size_t i = 0; i < p->n_lines; i++)
                fprintf(f, "%sarticle %s : %" PRId64 " sur %" PRId64, i > 0 ? " ; " : "",
                        strempty(p->lines[i].action->article), p->lines[i].realised,
                        p->lines[i].action->target);
        if (fclose(f) != 0)
                return NULL;
        return TAKE_PTR(s);
}

static int invoice_build_notes(Invoice *inv, const InvoiceInput *in) {
        const Convention *c = in->convention;
        const Proration *p = in->proration;
        char start[32], end[32], issued[32], cap[MONEY_FRENCH_MAX], before[MONEY_FRENCH_MAX],
                allowance[MONEY_FRENCH_MAX];
        _cleanup_(freep) char *done = NULL;
        int r;

        r = notes_add(&inv->notes, &inv->n_notes, "Convention %s : « %s », période du %s au %s.", c->id,
                      c->title, date_format_french(c->period_start, start),
                      date_format_french(c->period_end, end));
        if (r < 0)
                return r;

        /* A credit note says, right after what it is about, what it cancels
         * and why (the convention note stays first, as on the invoice). */
        if (in->credit) {
                r = notes_add(&inv->notes, &inv->n_notes, "Avoir annulant intégralement la facture %s du %s. Motif : %s",
                              in->credit->invoice_number, date_format_french(in->credit->invoice_date, issued),
                              in->credit->reason);
                if (r < 0)
                        return r;
        }

        done = invoice_realisations_text(p);
        if (!done)
                return -ENOMEM;
        r = notes_add(&inv->notes, &inv->n_notes,
                      "Montant calculé au prorata des réalisations du bilan du %s (%s) : pour chaque "
                      "action, montant prévu × réalisé ÷ objectif, le réalisé étant retenu au plus "
                      "à hauteur de l'objectif. Réalisé sur prévu — %s.",
                      date_format_french(in->bilan->issued_on, issued), strempty(in->bilan->author), done);
        if (r < 0)
                return r;

        money_format_french(c->cap, /* with_euro= */ true, cap);
        if (p->cap_allowance > 0)
                r = notes_add(&inv->notes, &inv->n_notes,
                              "Plafond de la convention : %s. Total des actions avant plafond : %s ; "
                              "une remise de %s ramène le montant au plafond.",
                              cap, money_format_french(p->total_before_cap, true, before),
                              money_format_french(p->cap_allowance, true, allowance));
        else
                r = notes_add(&inv->notes, &inv->n_notes, "Plafond de la convention : %s, non dépassé.", cap);
        if (r < 0)
                return r;

        /* The legal mention, as a sentence: a full stop unless it has one. */
        if (invoice_vat_category_needs_exemption_reason(c->vat.category)) {
                const char *reason = c->vat.exemption_reason;
                bool stop = reason[strlen(reason) - 1] == '.';

                r = notes_add(&inv->notes, &inv->n_notes, "%s%s", reason, stop ? "" : ".");
                if (r < 0)
                        return r;
        }
        return 0;
}

static int invoice_build_payment(Invoice *inv, const InvoiceInput *in) {
        char due[32];
        const char *means = "virement"; /* BT-81 is always 30 (config.c) */

        if (strdup_to(&inv->remittance_information, inv->number) < 0)
                return -ENOMEM;
        date_format_french(inv->due_date, due);
        if (in->credit) {
                char issued[32];

                /* Nothing is to be paid for a credit note: it says what it cancels. */
                if (asprintf(&inv->payment_terms,
                             "Avoir à imputer sur la facture %s du %s, qu'il annule intégralement ; "
                             "toute somme versée au titre de cette facture sera remboursée par %s.",
                             in->credit->invoice_number, date_format_french(in->credit->invoice_date, issued),
                             means) < 0) {
                        inv->payment_terms = NULL;
                        return -ENOMEM;
                }
                return 0;
        }
        if ((in->payment_terms_days == 0
                     ? asprintf(&inv->payment_terms,
                                "Paiement par %s à réception, le %s, en rappelant la référence %s.", means,
                                due, inv->number)
                     : asprintf(&inv->payment_terms,
                                "Paiement par %s à %u jours, au plus tard le %s, en rappelant la référence %s.",
                                means, in->payment_terms_days, due, inv->number)) < 0) {
                inv->payment_terms = NULL;
                return -ENOMEM;
        }
        return 0;
}

/* The date of the last realisation: when the service was completed. */
static void invoice_set_delivery_date(Invoice *inv, const Bilan *b) {
        for (size_t i = 0; i < b->n_actions; i++)
                for (size_t j = 0; j < b->actions[i].n_entries; j++) {
                        Date d = b->actions[i].entries[j].date;

                        if (!inv->has_delivery_date || date_compare(d, inv->delivery_date) > 0) {
                                inv->delivery_date = d;
                                inv->has_delivery_date = true;
                        }
                }
}

static int invoice_check_input(const InvoiceInput *in) {
        if (!in || !in->seller || !in->convention || !in->bilan || !in->proration || !in->number)
                return -EINVAL;
        if (isempty(in->number) || strlen(in->number) > INVOICE_NUMBER_MAX)
                return -EINVAL;
        if (!streq_ptr(in->bilan->convention_id, in->convention->id))
                return -EINVAL;
        if (in->credit && (isempty(in->credit->invoice_number) || isempty(in->credit->reason) ||
                           strlen(in->credit->invoice_number) > INVOICE_NUMBER_MAX ||
                           streq(in->credit->invoice_number, in->number)))
                return -EINVAL;
        return 0;
}

int invoice_build(const InvoiceInput *in, Invoice **ret) {
        _cleanup_(invoice_freep) Invoice *inv = NULL;
        const Convention *c;
        int r;

        r = invoice_check_input(in);
        if (r < 0)
                return r;
        c = in->convention;

        inv = calloc(1, sizeof(Invoice));
        if (!inv)
                return -ENOMEM;
        inv->type_code = in->credit ? INVOICE_TYPE_CREDIT_NOTE : INVOICE_TYPE_COMMERCIAL;
        if (in->credit) {
                if (strdup_to(&inv->preceding_number, in->credit->invoice_number) < 0)
                        return -ENOMEM;
                inv->preceding_date = in->credit->invoice_date;
        }
        inv->issue_date = in->issue_date;
        /* The issue date may be anyone's (chorusctl render --issue-date). */
        r = date_add_days_checked(in->issue_date, in->payment_terms_days, &inv->due_date);
        if (r < 0)
                return r;
        inv->period_start = c->period_start;
        inv->period_end = c->period_end;
        invoice_set_delivery_date(inv, in->bilan);
        if (strdup_to(&inv->number, in->number) < 0 || strdup_to(&inv->currency, INVOICE_CURRENCY) < 0 ||
            strdup_to(&inv->business_process, INVOICE_BUSINESS_PROCESS) < 0 ||
            strdup_to(&inv->specification_id, INVOICE_SPECIFICATION_ID) < 0 ||
            strdup_to(&inv->contract_reference, c->id) < 0 || strdup_to(&inv->contract_title, c->title) < 0)
                return -ENOMEM;

        r = invoice_set_seller(inv, in->seller, c->vat.category);
        if (r < 0)
                return r;
        r = invoice_set_buyer(inv, &c->buyer);
        if (r < 0)
                return r;
        r = invoice_build_lines(inv, in->proration, &c->vat);
        if (r < 0)
                return r;
        r = invoice_build_allowance(inv, in->proration, &c->vat);
        if (r < 0)
                return r;
        r = invoice_build_vat(inv, &c->vat);
        if (r < 0)
                return r;
        r = invoice_build_notes(inv, in);
        if (r < 0)
                return r;
        r = invoice_build_payment(inv, in);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(inv);
        return 0;
}

int invoice_add_attachment(Invoice *inv, const char *id, const char *description, const char *filename,
                           const char *mime, const void *data, size_t size) {
        InvoiceAttachment *l, *a;

        if (!inv || isempty(id) || isempty(filename) || isempty(mime) || (!data && size > 0))
                return -EINVAL;
        l = realloc(inv->attachments, (inv->n_attachments + 1) * sizeof(InvoiceAttachment));
        if (!l)
                return -ENOMEM;
        inv->attachments = l;
        a = &l[inv->n_attachments];
        *a = (InvoiceAttachment) { .size = size };
        a->data = malloc(size ? size : 1);
        if (!a->data || strdup_to(&a->id, id) < 0 || strdup_to(&a->description, description) < 0 ||
            strdup_to(&a->filename, filename) < 0 || strdup_to(&a->mime, mime) < 0) {
                attachment_done(a); /* the invoice is left as it was */
                return -ENOMEM;
        }
        if (size > 0)
                memcpy(a->data, data, size);
        inv->n_attachments++;
        return 0;
}

void invoice_sanitize_file_name(char *s) {
        static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";

        for (; s && *s; s++)
                if (!strchr(allowed, *s))
                        *s = '_';
}
