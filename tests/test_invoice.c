/* test_invoice.c — the EN 16931 invoice model (invoice.c): amounts, lines,
 * allowance, VAT, notes and the French line descriptions, built from the
 * test conventions and bilans of tests/data/render/ through the real
 * convention, bilan and proration modules. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "render_fixture.h"

/* ---- the seed examples (domain.md §4) and the other test bilans ---- */

/* Criterion runs each parameter in a fresh process (a re-executed, PIE
 * binary): parameters hold arrays, never pointers. */
typedef struct ModelCase {
        char bilan[32];
        int64_t line_total;
        int64_t allowance;
        int64_t tax;
        int64_t payable;
        size_t n_lines;
        /* quantity × unit price of each invoice line */
        int64_t quantity[3];
        int64_t unit_price[3];
} ModelCase;

/* not const: cr_make_param_array casts to void * (clang -Wcast-qual) */
static ModelCase model_cases[] = {
        { "complete", 400000, 0, 0, 400000, 3, { 1, 5, 2 }, { 50000, 50000, 50000 } },
        { "partial", 300000, 0, 0, 300000, 3, { 1, 4, 1 }, { 50000, 50000, 50000 } },
        /* 7 companies are paid as 5; geometiers (q = 0) is not a line */
        { "over-target", 350000, 0, 0, 350000, 2, { 5, 2 }, { 50000, 50000 } },
        { "two-thousand", 200000, 0, 0, 200000, 2, { 1, 3 }, { 50000, 50000 } },
        /* 4000.00 of lines against a 3000.00 cap: the allowance is the excess */
        { "capped", 400000, 100000, 0, 300000, 3, { 1, 5, 2 }, { 50000, 50000, 50000 } },
        /* 1000.00 / 3 does not divide: quantity 1 at the prorated amount */
        { "third", 33333, 0, 0, 33333, 1, { 1 }, { 33333 } },
        /* S 20 %: 2 × 500.00 + 4 × 250.00 = 2000.00, VAT 400.00 */
        { "vat-s", 200000, 0, 40000, 240000, 2, { 2, 4 }, { 50000, 25000 } },
};

ParameterizedTestParameters(invoice, seed_amounts) {
        return cr_make_param_array(ModelCase, model_cases, ELEMENTSOF(model_cases));
}

ParameterizedTest(const ModelCase *c, invoice, seed_amounts) {
        _cleanup_(invoice_freep) Invoice *inv = NULL;
        Fixture f;

        fixture_load(&f, c->bilan);
        inv = fixture_model(&f, NULL);

        cr_expect_eq(inv->n_lines, c->n_lines, "%s: lines", c->bilan);
        for (size_t i = 0; i < inv->n_lines && i < c->n_lines; i++) {
                cr_expect_eq(inv->lines[i].quantity, c->quantity[i], "%s line %zu quantity", c->bilan, i + 1);
                cr_expect_eq(inv->lines[i].unit_price, c->unit_price[i], "%s line %zu price", c->bilan, i + 1);
                cr_expect_eq(inv->lines[i].net_amount, c->quantity[i] * c->unit_price[i]);
        }
        cr_expect_eq(inv->line_total, c->line_total, "%s: BT-106", c->bilan);
        cr_expect_eq(inv->allowance_total, c->allowance, "%s: BT-107", c->bilan);
        cr_expect_eq(inv->n_allowances, c->allowance > 0 ? 1u : 0u);
        cr_expect_eq(inv->tax_exclusive, c->line_total - c->allowance, "%s: BT-109", c->bilan);
        cr_expect_eq(inv->tax_total, c->tax, "%s: BT-110", c->bilan);
        cr_expect_eq(inv->tax_inclusive, c->payable, "%s: BT-112", c->bilan);
        cr_expect_eq(inv->payable, c->payable, "%s: BT-115", c->bilan);
        cr_assert_eq(inv->n_vat, 1u);
        cr_expect_eq(inv->vat[0].taxable_amount, inv->tax_exclusive, "%s: BT-116", c->bilan);
        cr_expect_eq(inv->vat[0].tax_amount, c->tax, "%s: BT-117", c->bilan);
        fixture_done(&f);
}

Test(invoice, header_and_parties) {
        _cleanup_(invoice_freep) Invoice *inv = NULL;
        Fixture f;

        fixture_load(&f, "complete");
        inv = fixture_model(&f, NULL);

        cr_expect_str_eq(inv->number, FIXTURE_NUMBER);
        cr_expect_eq(inv->type_code, 380);
        cr_expect_str_eq(inv->currency, "EUR");
        cr_expect_str_eq(inv->business_process, "A1");
        cr_expect_str_eq(inv->specification_id, "urn:cen.eu:en16931:2017");
        cr_expect_eq(date_compare(inv->issue_date, FIXTURE_ISSUE_DATE), 0);
        /* issue 2026-12-15 + 30 days */
        cr_expect_eq(date_compare(inv->due_date, (Date) { 2027, 1, 14 }), 0);
        cr_expect_eq(date_compare(inv->period_start, (Date) { 2026, 1, 1 }), 0);
        cr_expect_eq(date_compare(inv->period_end, (Date) { 2026, 12, 31 }), 0);
        cr_expect_str_eq(inv->buyer_reference, "ECO");
        cr_expect_str_eq(inv->order_reference, "EJ-2026-0042");
        cr_expect_str_eq(inv->contract_reference, "CDCMC-2026");
        cr_expect(inv->has_delivery_date);
        cr_expect_eq(date_compare(inv->delivery_date, (Date) { 2026, 7, 10 }), 0, "BT-72: the last realisation");

        cr_expect_str_eq(inv->seller.siret, "13002602400013");
        cr_expect_str_eq(inv->seller.email, "facturation@example.org");
        cr_expect_str_eq(inv->seller.address.line1, "154 rue Bernard Giraudeau");
        cr_expect_null(inv->seller.vat_id, "BR-O-02: no seller VAT id on an O invoice");
        cr_expect_str_eq(inv->buyer.siret, "20003478300015");
        cr_expect_str_eq(inv->buyer.name, "Communauté de Communes du Minervois au Caroux");
        cr_expect_str_eq(inv->buyer.address.city, "Saint-Pons-de-Thomières");
        cr_expect_null(inv->buyer.email);

        cr_expect_str_eq(inv->payment_means_code, "30");
        cr_expect_str_eq(inv->iban, "FR7630001007941234567890185");
        cr_expect_str_eq(inv->bic, "BDFEFRPPXXX");
        cr_expect_str_eq(inv->remittance_information, FIXTURE_NUMBER);
        cr_expect_str_eq(inv->payment_terms, "Paiement par virement à 30 jours, au plus tard le 14 janvier "
                                             "2027, en rappelant la référence CMA34-2026-0001.");

        cr_assert_eq(inv->n_lines, 3u);
        cr_expect_str_eq(inv->lines[1].id, "2");
        cr_expect_str_eq(inv->lines[1].action_id, "dev-durable");
        cr_expect_str_eq(inv->lines[1].name,
                         "Accompagnement de 5 entreprises (labels environnementaux, visites énergie)");
        cr_expect_str_eq(inv->lines[1].description, "Article 2 — 5 entreprises accompagnées sur 5 prévues");
        cr_expect_eq(inv->lines[1].vat_category, VAT_CATEGORY_O);
        cr_expect_eq(inv->n_attachments, 0u, "invoice_build attaches nothing: render does");
        fixture_done(&f);
}

Test(invoice, absent_service_code_and_engagement_stay_absent) {
        _cleanup_(invoice_freep) Invoice *inv = NULL;
        Fixture f;

        fixture_load(&f, "capped");
        inv = fixture_model(&f, NULL);
        cr_expect_null(inv->buyer_reference);
        cr_expect_null(inv->order_reference);
        cr_expect_str_eq(inv->contract_reference, "CAPPED-2026");
        fixture_done(&f);
}

Test(invoice, cap_allowance) {
        _cleanup_(invoice_freep) Invoice *inv = NULL;
        Fixture f;

        fixture_load(&f, "capped");
        inv = fixture_model(&f, NULL);
        cr_assert_eq(inv->n_allowances, 1u);
        cr_expect_eq(inv->allowances[0].amount, 100000);
        cr_expect_str_eq(inv->allowances[0].reason, "Plafond de la convention");
        cr_expect_eq(inv->allowances[0].vat_category, VAT_CATEGORY_O);
        cr_expect_eq(inv->payable, f.convention->cap, "the cap exactly");
        fixture_done(&f);
}

Test(invoice, vat_standard_rate) {
        _cleanup_(invoice_freep) Invoice *inv = NULL;
        Fixture f;

        fixture_load(&f, "vat-s");
        inv = fixture_model(&f, NULL);
        cr_expect_str_eq(inv->seller.vat_id, "FR53130026024", "BR-S-02: seller VAT id on S");
        cr_assert_eq(inv->n_vat, 1u);
        cr_expect_eq(inv->vat[0].category, VAT_CATEGORY_S);
        cr_expect_eq(inv->vat[0].rate, 2000);
        cr_expect_null(inv->vat[0].exemption_reason, "no BT-120 with S");
        for (size_t i = 0; i < inv->n_lines; i++) {
                cr_expect_eq(inv->lines[i].vat_category, VAT_CATEGORY_S);
                cr_expect_eq(inv->lines[i].vat_rate, 2000);
        }
        for (size_t i = 0; i < inv->n_notes; i++)
                cr_expect_null(strstr(inv->notes[i], "TVA non applicable"), "no exemption note with S");
        fixture_done(&f);
}

Test(invoice, vat_exempt_keeps_reason_and_seller_vat_id) {
        _cleanup_(invoice_freep) Invoice *inv = NULL;
        Fixture f;

        fixture_load(&f, "third");
        inv = fixture_model(&f, NULL);
        cr_expect_eq(inv->vat[0].category, VAT_CATEGORY_E);
        cr_expect_eq(inv->vat[0].tax_amount, 0);
        cr_expect_str_eq(inv->vat[0].exemption_reason, "Exonération de TVA, art. 261 du CGI");
        cr_expect_str_eq(inv->seller.vat_id, "FR53130026024", "BR-E-02: seller VAT id on E");
        cr_expect_str_eq(inv->notes[inv->n_notes - 1], "Exonération de TVA, art. 261 du CGI.");
        fixture_done(&f);
}

/* ---- notes (BT-22) ---- */

static bool notes_contain(const Invoice *inv, const char *needle) {
        for (size_t i = 0; i < inv->n_notes; i++)
                if (strstr(inv->notes[i], needle))
                        return true;
        return false;
}

Test(invoice, notes_describe_the_convention) {
        _cleanup_(invoice_freep) Invoice *inv = NULL;
        Fixture f;

        fixture_load(&f, "partial");
        inv = fixture_model(&f, NULL);
        cr_assert_eq(inv->n_notes, 4u);
        cr_assert_null(inv->notes[inv->n_notes], "NULL-terminated");
        cr_expect_str_eq(inv->notes[0], "Convention CDCMC-2026 : « Convention d'exécution annuelle 2026 — "
                                        "partenariat 2024-2026 », période du 1er janvier 2026 au "
                                        "31 décembre 2026.");
        cr_expect(notes_contain(inv, "bilan du 10 décembre 2026 (Service économie, CMA 34)"));
        cr_expect(notes_contain(inv, "article 1 : 1 sur 1 ; article 2 : 4 sur 5 ; article 3 : 1 sur 2."));
        cr_expect(notes_contain(inv, "Plafond de la convention : 4\u202f000,00\u00a0€, non dépassé."));
        cr_expect_str_eq(inv->notes[3], "TVA non applicable, art. 256 B du CGI.");
        for (size_t i = 0; i < inv->n_notes; i++)
                cr_expect_null(strpbrk(inv->notes[i], "<>\n"), "plain one-line text: %s", inv->notes[i]);
        fixture_done(&f);
}

Test(invoice, notes_say_when_the_cap_bites) {
        _cleanup_(invoice_freep) Invoice *inv = NULL;
        Fixture f;

        fixture_load(&f, "capped");
        inv = fixture_model(&f, NULL);
        cr_expect(notes_contain(inv, "Plafond de la convention : 3\u202f000,00\u00a0€. Total des actions avant "
                                     "plafond : 4\u202f000,00\u00a0€ ; une remise de 1\u202f000,00\u00a0€ "
                                     "ramène le montant au plafond."));
        fixture_done(&f);
}

Test(invoice, over_target_description_says_what_is_paid) {
        _cleanup_(invoice_freep) Invoice *inv = NULL;
        Fixture f;

        fixture_load(&f, "over-target");
        inv = fixture_model(&f, NULL);
        cr_assert_eq(inv->n_lines, 2u);
        cr_expect_str_eq(inv->lines[0].id, "1", "line ids follow the invoice, not the convention");
        cr_expect_str_eq(inv->lines[0].action_id, "dev-durable");
        cr_expect_str_eq(inv->lines[0].description,
                         "Article 2 — 7 entreprises accompagnées sur 5 prévues (5 retenues)");
        cr_expect(notes_contain(inv, "article 1 : 0 sur 1 ; article 2 : 7 sur 5"), "q = 0 actions in the notes");
        fixture_done(&f);
}

/* ---- descriptions: French agreement ---- */

typedef struct DescriptionCase {
        char one[32], other[32]; /* "" = no unit */
        bool feminine;
        int64_t target, realised, counted;
        char expected[96];
} DescriptionCase;

static DescriptionCase description_cases[] = {
        { "entreprise accompagnée", "entreprises accompagnées", true, 5, 4, 4,
          "Article 2 — 4 entreprises accompagnées sur 5 prévues" },
        { "entreprise accompagnée", "entreprises accompagnées", true, 5, 1, 1,
          "Article 2 — 1 entreprise accompagnée sur 5 prévues" },
        { "entreprise accompagnée", "entreprises accompagnées", true, 1, 1, 1,
          "Article 2 — 1 entreprise accompagnée sur 1 prévue" },
        { "diagnostic réalisé", "diagnostics réalisés", false, 4, 3, 3,
          "Article 2 — 3 diagnostics réalisés sur 4 prévus" },
        { "accès annuel", "accès annuels", false, 1, 1, 1, "Article 2 — 1 accès annuel sur 1 prévu" },
        { "diagnostic réalisé", "diagnostics réalisés", false, 2, 3, 2,
          "Article 2 — 3 diagnostics réalisés sur 2 prévus (2 retenus)" },
        { "réunion", "réunions", true, 1, 2, 1, "Article 2 — 2 réunions sur 1 prévue (1 retenue)" },
        /* no unit: réalisation(s), feminine */
        { "", "", false, 3, 1, 1, "Article 2 — 1 réalisation sur 3 prévues" },
        { "", "", false, 3, 2, 2, "Article 2 — 2 réalisations sur 3 prévues" },
        /* French: 0 takes the singular */
        { "session", "sessions", true, 2, 0, 0, "Article 2 — 0 session sur 2 prévues" },
};

ParameterizedTestParameters(invoice, description_wording) {
        return cr_make_param_array(DescriptionCase, description_cases, ELEMENTSOF(description_cases));
}

ParameterizedTest(DescriptionCase *c, invoice, description_wording) {
        ConventionAction a = {
                .id = (char *) "x",
                .article = (char *) "2",
                .target = c->target,
                .unit_one = c->one[0] ? c->one : NULL,
                .unit_other = c->other[0] ? c->other : NULL,
                .unit_feminine = c->feminine,
        };
        _cleanup_(freep) char *s = invoice_line_description(&a, c->realised, c->counted);

        cr_assert_not_null(s);
        cr_expect_str_eq(s, c->expected);
}

/* ---- refusals ---- */

static const char *no_bic(const char *line) {
        if (strncmp(line, "bic", 3) == 0)
                return NULL;
        if (strncmp(line, "payment_terms_days", 18) == 0)
                return "payment_terms_days = 0";
        return line;
}

Test(invoice, taxable_without_seller_vat_id_is_refused) {
        Invoice *inv = NULL;
        InvoiceInput in;
        Proration *p = NULL;
        Fixture f;

        fixture_load_with(&f, fixture_config_full(fixture_drop_vat_id), "vat-s");
        cr_assert_eq(proration_compute(f.convention, f.bilan, &p, NULL), 0);
        in = fixture_invoice_input(&f, p);
        cr_expect_eq(invoice_build(&in, &inv), -EINVAL);
        cr_expect_null(inv);
        proration_free(p);
        fixture_done(&f);
}

Test(invoice, out_of_scope_without_seller_vat_id_is_fine) {
        _cleanup_(invoice_freep) Invoice *inv = NULL;
        Fixture f;

        fixture_load_with(&f, fixture_config_full(fixture_drop_vat_id), "complete");
        inv = fixture_model(&f, NULL);
        cr_expect_null(inv->seller.vat_id);
        fixture_done(&f);
}

Test(invoice, without_bic_payable_on_receipt) {
        _cleanup_(invoice_freep) Invoice *inv = NULL;
        Fixture f;

        fixture_load_with(&f, fixture_config_full(no_bic), "complete");
        inv = fixture_model(&f, NULL);
        cr_expect_str_eq(inv->payment_means_code, "30");
        cr_expect_null(inv->bic);
        cr_expect_eq(date_compare(inv->due_date, inv->issue_date), 0);
        cr_expect_str_eq(inv->payment_terms, "Paiement par virement à réception, le 15 décembre 2026, "
                                             "en rappelant la référence CMA34-2026-0001.");
        fixture_done(&f);
}

Test(invoice, bad_input_is_refused) {
        static const char *const numbers[] = { "", "CMA34-2026-0000000001" /* 21 */ };
        Invoice *inv = NULL;
        InvoiceInput in;
        Proration *p = NULL;
        Fixture f;

        fixture_load(&f, "complete");
        cr_assert_eq(proration_compute(f.convention, f.bilan, &p, NULL), 0);
        for (size_t i = 0; i < ELEMENTSOF(numbers); i++) {
                in = fixture_invoice_input(&f, p);
                in.number = numbers[i];
                cr_expect_eq(invoice_build(&in, &inv), -EINVAL, "number '%s'", numbers[i]);
        }

        /* a proration that does not add up is a caller bug */
        in = fixture_invoice_input(&f, p);
        p->total -= 1;
        cr_expect_eq(invoice_build(&in, &inv), -EINVAL);
        p->total += 1;
        p->lines[1].unit_price += 1;
        cr_expect_eq(invoice_build(&in, &inv), -EINVAL);
        p->lines[1].unit_price -= 1;
        cr_expect_eq(invoice_build(NULL, &inv), -EINVAL);
        cr_expect_null(inv);

        /* a due date past 9999-12-31 (chorusctl render --issue-date
         * 9999-12-20) is refused, not an assertion failure */
        in.issue_date = (Date) { 9999, 12, 20 };
        cr_expect_eq(invoice_build(&in, &inv), -ERANGE);
        cr_expect_null(inv);
        in.issue_date = (Date) { 9999, 12, 1 };
        cr_expect_eq(invoice_build(&in, &inv), 0, "due 9999-12-31");
        invoice_free(inv);
        inv = NULL;

        in = fixture_invoice_input(&f, p);
        cr_expect_eq(invoice_build(&in, &inv), 0, "and the untouched input still builds");
        invoice_free(inv);
        proration_free(p);
        fixture_done(&f);
}

Test(invoice, add_attachment_copies) {
        _cleanup_(invoice_freep) Invoice *inv = NULL;
        char data[] = "a;b\r\n";
        Fixture f;

        fixture_load(&f, "complete");
        inv = fixture_model(&f, NULL);
        cr_assert_eq(invoice_add_attachment(inv, "ID", "desc", "x.csv", "text/csv", data, 5), 0);
        data[0] = 'z';
        cr_assert_eq(inv->n_attachments, 1u);
        cr_expect_eq(inv->attachments[0].size, 5u);
        cr_expect_eq(memcmp(inv->attachments[0].data, "a;b\r\n", 5), 0);
        cr_expect_str_eq(inv->attachments[0].filename, "x.csv");
        cr_expect_eq(invoice_add_attachment(inv, "", "d", "x.csv", "text/csv", data, 5), -EINVAL);
        cr_expect_eq(invoice_add_attachment(inv, "ID", "d", NULL, "text/csv", data, 5), -EINVAL);
        cr_expect_eq(inv->n_attachments, 1u);
        fixture_done(&f);
}

Test(invoice, sanitize_file_name) {
        char s[] = "CMA/34 2026é-1.x";

        invoice_sanitize_file_name(s);
        cr_expect_str_eq(s, "CMA_34_2026__-1.x");
}

/* The fixture's conventions are const for the callers; a test that bends
 * one finds it in the set it owns. */
static Convention *fixture_mutable_convention(Fixture *f) {
        for (size_t i = 0; i < f->conventions->n_items; i++)
                if (f->conventions->items[i] == f->convention)
                        return f->conventions->items[i];
        cr_assert_fail("convention not in its set");
        return NULL;
}

Test(invoice, vat_zero_rated_has_rate_but_no_exemption_reason) {
        _cleanup_(invoice_freep) Invoice *inv = NULL;
        Convention *c;
        Fixture f;

        fixture_load(&f, "capped");
        c = fixture_mutable_convention(&f);
        c->vat.category = VAT_CATEGORY_Z; /* the reason stays set: it must not reach BT-120 */
        inv = fixture_model(&f, NULL);
        cr_expect_eq(inv->vat[0].category, VAT_CATEGORY_Z);
        cr_expect_eq(inv->vat[0].rate, 0);
        cr_expect_eq(inv->vat[0].tax_amount, 0);
        cr_expect_null(inv->vat[0].exemption_reason, "BR-Z-10");
        cr_expect_str_eq(inv->seller.vat_id, "FR53130026024", "BR-Z-02");
        cr_expect_eq(inv->allowances[0].vat_category, VAT_CATEGORY_Z);
        cr_expect_eq(inv->n_notes, 3u, "no exemption mention");
        fixture_done(&f);
}

Test(invoice, exempt_without_reason_is_refused) {
        Invoice *inv = NULL;
        InvoiceInput in;
        Proration *p = NULL;
        Convention *c;
        Fixture f;

        fixture_load(&f, "third");
        c = fixture_mutable_convention(&f);
        free(c->vat.exemption_reason);
        c->vat.exemption_reason = NULL;
        cr_assert_eq(proration_compute(f.convention, f.bilan, &p, NULL), 0);
        in = fixture_invoice_input(&f, p);
        cr_expect_eq(invoice_build(&in, &inv), -EINVAL, "BR-E-10");
        cr_expect_null(inv);
        proration_free(p);
        fixture_done(&f);
}
