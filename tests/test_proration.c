/* test_proration.c — domain.md §4 exactly: the seed examples (4000.00,
 * 3000.00, 3500.00, 2000.00), 1000.00 / 3 → 333.33 / 666.67, how lines are
 * invoiced (quantity × unit price), the cap allowance, the zero total. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/bilan.h"
#include "json_mutate.h"
#include "base/money.h"
#include "base/macro.h"
#include "core/proration.h"
#include "service/convention_dir.h"

/* A bilan reporting quantity q[i] for action i of `c`: all proration reads. */
typedef struct FakeBilan {
        Bilan bilan;
        BilanAction actions[8];
} FakeBilan;

static void fake_bilan(FakeBilan *f, const Convention *c, const int64_t *q) {
        cr_assert_leq(c->n_actions, ELEMENTSOF(f->actions));
        *f = (FakeBilan) {};
        for (size_t i = 0; i < c->n_actions; i++)
                f->actions[i] = (BilanAction) { .action = &c->actions[i], .quantity = q[i] };
        f->bilan.actions = f->actions;
        f->bilan.n_actions = c->n_actions;
        f->bilan.source_file = (char *) "fake.json";
}

static Convention *load(const char *path) {
        Convention *c = NULL;

        cr_assert_eq(convention_load_file(path, &c, NULL), 0, "%s", path);
        return c;
}

static Proration *compute_ok(const Convention *c, const int64_t *q) {
        Diagnostics d = DIAGNOSTICS_INIT;
        Proration *p = NULL;
        FakeBilan f;

        fake_bilan(&f, c, q);
        cr_assert_eq(proration_compute(c, &f.bilan, &p, &d), 0);
        cr_expect_eq(d.n_items, 0);
        diagnostics_clear(&d);
        return p;
}

typedef struct Case {
        int64_t q[3];
        int64_t lines[3];
        int64_t total_before_cap, allowance, total;
} Case;

static void check_cases(const char *convention, const Case *cases, size_t n, size_t n_actions) {
        _cleanup_(convention_freep) Convention *c = load(convention);

        cr_assert_eq(c->n_actions, n_actions);
        for (size_t i = 0; i < n; i++) {
                _cleanup_(proration_freep) Proration *p = compute_ok(c, cases[i].q);

                cr_assert_eq(p->n_lines, n_actions);
                for (size_t j = 0; j < n_actions; j++) {
                        cr_expect_eq(p->lines[j].action, &c->actions[j]);
                        cr_expect_eq(p->lines[j].realised, cases[i].q[j]);
                        cr_expect_eq(p->lines[j].amount, cases[i].lines[j], "%s case %zu line %zu: %lld, expected %lld",
                                     convention, i, j, (long long) p->lines[j].amount, (long long) cases[i].lines[j]);
                }
                cr_expect_eq(p->total_before_cap, cases[i].total_before_cap, "%s case %zu", convention, i);
                cr_expect_eq(p->cap_allowance, cases[i].allowance, "%s case %zu", convention, i);
                cr_expect_eq(p->total, cases[i].total, "%s case %zu: total %lld", convention, i, (long long) p->total);
        }
}

/* domain.md §4, word for word. */
Test(proration, seed_examples) {
        static const Case cases[] = {
                { { 1, 5, 2 }, { 50000, 250000, 100000 }, 400000, 0, 400000 },
                { { 1, 4, 1 }, { 50000, 200000, 50000 }, 300000, 0, 300000 },
                { { 0, 7, 2 }, { 0, 250000, 100000 }, 350000, 0, 350000 }, /* 7 companies are paid as 5 */
                { { 1, 3, 0 }, { 50000, 150000, 0 }, 200000, 0, 200000 },
                { { 1, 1, 1 }, { 50000, 50000, 50000 }, 150000, 0, 150000 },
                { { 9, 99, 9 }, { 50000, 250000, 100000 }, 400000, 0, 400000 },
        };

        check_cases("config/conventions.d/cdcmc-2026.json", cases, ELEMENTSOF(cases), 3);
}

Test(proration, thirds) {
        static const Case cases[] = {
                { { 1 }, { 33333 }, 33333, 0, 33333 },    /* 333.333… → 333.33 */
                { { 2 }, { 66667 }, 66667, 0, 66667 },    /* 666.666… → 666.67 */
                { { 3 }, { 100000 }, 100000, 0, 100000 },
                { { 4 }, { 100000 }, 100000, 0, 100000 },
        };

        check_cases("tests/data/conventions/thirds.json", cases, ELEMENTSOF(cases), 1);
}

Test(proration, half_cents_round_up) {
        static const Case cases[] = {
                /* 600.00 / 2 and 600.50 / 1 */
                { { 1, 1 }, { 30000, 60050 }, 90050, 0, 90050 },
                { { 2, 0 }, { 60000, 0 }, 60000, 0, 60000 },
                { { 2, 1 }, { 60000, 60050 }, 120050, 50, 120000 }, /* cap 1200.00 */
        };

        check_cases("tests/data/conventions/vat-standard.json", cases, ELEMENTSOF(cases), 2);
}

Test(proration, exact_half) {
        _cleanup_(convention_freep) Convention *c = load("tests/data/conventions/thirds.json");
        _cleanup_(proration_freep) Proration *p = NULL;

        /* 0.05 for 2: one of two is 0.025, an exact half cent: 0.03 */
        c->actions[0].amount = 5;
        c->actions[0].target = 2;
        p = compute_ok(c, (const int64_t[]) { 1 });
        cr_expect_eq(p->lines[0].amount, 3);
        cr_expect_eq(p->lines[0].invoiced_quantity, 1, "5 cents do not divide by 2");
        cr_expect_eq(p->lines[0].unit_price, 3);
}

Test(proration, cap_allowance) {
        static const Case cases[] = {
                /* 3000.00 / 6 and 2000.00 / 4 under a 4000.00 cap */
                { { 6, 4 }, { 300000, 200000 }, 500000, 100000, 400000 },
                { { 6, 2 }, { 300000, 100000 }, 400000, 0, 400000 },       /* exactly the cap */
                { { 6, 3 }, { 300000, 150000 }, 450000, 50000, 400000 },
                { { 5, 3 }, { 250000, 150000 }, 400000, 0, 400000 },
                { { 1, 1 }, { 50000, 50000 }, 100000, 0, 100000 },
                { { 60, 40 }, { 300000, 200000 }, 500000, 100000, 400000 },
        };

        check_cases("tests/data/conventions/over-cap.json", cases, ELEMENTSOF(cases), 2);
}

/* When amount / target is exact, the invoice shows counted × unit price;
 * otherwise one unit at the line amount. Either way quantity × price is
 * the line amount. */
Test(proration, invoiced_quantity_and_unit_price) {
        _cleanup_(convention_freep) Convention *seed = load("config/conventions.d/cdcmc-2026.json");
        _cleanup_(convention_freep) Convention *thirds = load("tests/data/conventions/thirds.json");
        _cleanup_(proration_freep) Proration *p = compute_ok(seed, (const int64_t[]) { 1, 4, 3 });
        _cleanup_(proration_freep) Proration *t = compute_ok(thirds, (const int64_t[]) { 2 });
        _cleanup_(proration_freep) Proration *z = compute_ok(seed, (const int64_t[]) { 0, 4, 0 });

        cr_expect_eq(p->lines[0].invoiced_quantity, 1);
        cr_expect_eq(p->lines[0].unit_price, 50000);
        cr_expect_eq(p->lines[1].counted, 4);
        cr_expect_eq(p->lines[1].invoiced_quantity, 4);
        cr_expect_eq(p->lines[1].unit_price, 50000);
        cr_expect_eq(p->lines[2].realised, 3);
        cr_expect_eq(p->lines[2].counted, 2, "capped at the target");
        cr_expect_eq(p->lines[2].invoiced_quantity, 2);
        cr_expect_eq(p->lines[2].unit_price, 50000);

        cr_expect_eq(t->lines[0].counted, 2);
        cr_expect_eq(t->lines[0].invoiced_quantity, 1, "1000.00 does not divide by 3");
        cr_expect_eq(t->lines[0].unit_price, 66667);

        for (size_t i = 0; i < p->n_lines; i++)
                cr_expect_eq(p->lines[i].invoiced_quantity * p->lines[i].unit_price, p->lines[i].amount);
        cr_expect_eq(t->lines[0].invoiced_quantity * t->lines[0].unit_price, t->lines[0].amount);

        cr_expect_eq(proration_n_invoiced_lines(p), 3);
        cr_expect_eq(proration_n_invoiced_lines(z), 1, "lines with q = 0 are not on the invoice");
        cr_expect_eq(z->n_lines, 3, "but they are in the bilan report");
        cr_expect_eq(z->lines[0].amount, 0);
        cr_expect_eq(z->lines[0].invoiced_quantity, 0);
}

Test(proration, zero_total_refused) {
        _cleanup_(convention_freep) Convention *c = load("config/conventions.d/cdcmc-2026.json");
        Diagnostics d = DIAGNOSTICS_INIT;
        Proration *p = NULL;
        FakeBilan f;
        const Diag *x;

        fake_bilan(&f, c, (const int64_t[]) { 0, 0, 0 });
        cr_expect_eq(proration_compute(c, &f.bilan, &p, &d), -EDOM);
        cr_expect_null(p);
        x = diag_find(&d, DIAG_ERROR, "realisations", "nothing to invoice");
        cr_assert_not_null(x);
        cr_expect_str_eq(x->file, "fake.json");
        cr_expect(strstr(x->message, "CDCMC-2026"));
        cr_assert_not_null(x->message_fr);
        cr_expect(strstr(x->message_fr, "rien à facturer"));
        cr_expect_eq(proration_compute(c, &f.bilan, &p, /* diags= */ NULL), -EDOM);
        diagnostics_clear(&d);
}

/* A bilan that reports nothing for an action: quantity 0 for it. */
Test(proration, action_missing_from_the_bilan) {
        _cleanup_(convention_freep) Convention *c = load("config/conventions.d/cdcmc-2026.json");
        _cleanup_(proration_freep) Proration *p = NULL;
        FakeBilan f;

        fake_bilan(&f, c, (const int64_t[]) { 1, 5, 2 });
        f.bilan.n_actions = 2; /* animation not reported */
        cr_assert_eq(proration_compute(c, &f.bilan, &p, NULL), 0);
        cr_expect_eq(p->lines[2].realised, 0);
        cr_expect_eq(p->total, 300000);
}

/* The largest amounts: no overflow in amount × counted. */
Test(proration, largest_amounts) {
        _cleanup_(convention_freep) Convention *c = load("tests/data/conventions/thirds.json");
        _cleanup_(proration_freep) Proration *p = NULL;

        c->actions[0].amount = MONEY_MAX_CENTS;
        c->actions[0].target = 1000000;
        c->cap = MONEY_MAX_CENTS;
        p = compute_ok(c, (const int64_t[]) { 999999 });
        cr_expect_eq(p->lines[0].amount, MONEY_MAX_CENTS - MONEY_MAX_CENTS / 1000000);
}

/* From the example files to the documented totals, through the parser. */
Test(proration, examples_end_to_end) {
        static const struct {
                const char *file;
                int64_t total;
        } cases[] = {
                { "config/examples/complete.json", 400000 },
                { "config/examples/partial.json", 300000 },
                { "config/examples/over-target.json", 350000 },
                { "config/examples/partial-without-animation.json", 200000 },
                { "config/examples/with-duplicate-ref.json", 350000 },
        };
        _cleanup_(convention_set_freep) ConventionSet *s = NULL;

        cr_assert_eq(convention_set_load_dir("config/conventions.d", &s, NULL), 0);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(freep) char *data = NULL;
                const Convention *c = NULL;
                Proration *p = NULL;
                Bilan *b = NULL;
                size_t size;

                data = test_read_file(cases[i].file, &size);
                cr_assert_eq(bilan_parse(cases[i].file, data, size, s, &b, &c, NULL), 0, "%s", cases[i].file);
                cr_assert_eq(proration_compute(c, b, &p, NULL), 0);
                cr_expect_eq(p->total, cases[i].total, "%s: %lld", cases[i].file, (long long) p->total);
                proration_free(p);
                bilan_free(b);
        }
}

Test(proration, nothing_realised_example) {
        _cleanup_(convention_set_freep) ConventionSet *s = NULL;
        _cleanup_(freep) char *data = NULL;
        _cleanup_(bilan_freep) Bilan *b = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        const Convention *c = NULL;
        Proration *p = NULL;
        size_t size;

        cr_assert_eq(convention_set_load_dir("config/conventions.d", &s, NULL), 0);
        data = test_read_file("config/examples/invalid-nothing-realised.json", &size);
        cr_assert_eq(bilan_parse("n.json", data, size, s, &b, &c, &d), 0, "the bilan itself is well-formed");
        cr_expect_eq(proration_compute(c, b, &p, &d), -EDOM);
        cr_expect_not_null(diag_find(&d, DIAG_ERROR, "realisations", "nothing to invoice"));
        diagnostics_clear(&d);
}

/* Review finding: an action whose prorated amount rounds to 0.00 gave a
 * 0.00 line. It is left out of the invoice (not counted among the invoiced
 * lines) with a warning naming the action, in both languages; and when the
 * whole total rounds to zero, the refusal says so instead of "no action
 * realised", which would be false. */
Test(proration, review_line_rounding_to_zero_left_out_and_said) {
        _cleanup_(convention_freep) Convention *c = load("config/conventions.d/cdcmc-2026.json");
        _cleanup_(proration_freep) Proration *p = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        Proration *none = NULL;
        FakeBilan f;
        const Diag *x;

        /* 0.01 for 5: one of five is 0.002, which rounds to 0.00 */
        c->actions[0].amount = 1;
        c->actions[0].target = 5;
        fake_bilan(&f, c, (const int64_t[]) { 1, 2, 0 });
        cr_assert_eq(proration_compute(c, &f.bilan, &p, &d), 0);
        cr_expect_eq(p->lines[0].counted, 1);
        cr_expect_eq(p->lines[0].amount, 0);
        cr_expect_eq(proration_n_invoiced_lines(p), 1u, "the 0.00 line is not on the invoice");
        cr_assert_str_eq(c->actions[0].id, "geometiers");
        x = diag_find(&d, DIAG_WARNING, "realisations.geometiers", "0.00");
        if (!x) {
                diag_dump(&d);
                cr_assert_fail("no warning at realisations.geometiers");
        }
        cr_expect(strstr(x->message, "geometiers") && strstr(x->message, "left out"), "%s", x->message);
        cr_assert_not_null(x->message_fr);
        cr_expect(strstr(x->message_fr, "0,00") && strstr(x->message_fr, "facture"), "%s", x->message_fr);
        diagnostics_clear(&d);

        /* Only that one realised: the total rounds to zero, and is refused
         * for that reason. */
        fake_bilan(&f, c, (const int64_t[]) { 1, 0, 0 });
        cr_expect_eq(proration_compute(c, &f.bilan, &none, &d), -EDOM);
        cr_expect_null(none);
        x = diag_find(&d, DIAG_ERROR, "realisations", "nothing to invoice");
        cr_assert_not_null(x);
        cr_expect(strstr(x->message, "round") && !strstr(x->message, "no action realised"), "%s", x->message);
        cr_assert_not_null(x->message_fr);
        cr_expect(strstr(x->message_fr, "arrondi") && !strstr(x->message_fr, "aucune action réalisée"), "%s",
                  x->message_fr);
        diagnostics_clear(&d);
}
