/* proration.c — realised quantities to line amounts and the cap allowance
 * (see proration.h and domain.md §4).
 *
 * line = round_half_up(amount × min(q, target) / target), all in int64
 * cents: amount ≤ MONEY_MAX_CENTS (10^12) and target ≤ 10^6 keep every
 * product below 2^63. The cap never changes a line: it becomes one
 * document-level allowance, so the invoice shows what was done and what the
 * contract's ceiling took off. Pure: no I/O, no logging. Fails with -EDOM
 * (nothing to invoice, reported in English and French) or -ENOMEM. */
#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>

#include "base/jsoncheck.h"
#include "base/money.h"
#include "core/proration.h"

Proration *proration_free(Proration *p) {
        if (!p)
                return NULL;
        free(p->lines);
        free(p);
        return NULL;
}

static void compute_line(const ConventionAction *a, int64_t realised, ProrationLine *l) {
        assert(a->target > 0 && a->amount >= 0 && realised >= 0);

        l->action = a;
        l->realised = realised;
        l->counted = realised < a->target ? realised : a->target;
        l->amount = round_half_up(a->amount * l->counted, a->target);
        /* Shown as "counted × amount/target" when that is exact to the
         * cent; otherwise as one unit at the prorated amount, so that
         * quantity × unit price is always exactly the line amount. */
        if (a->amount % a->target == 0) {
                l->invoiced_quantity = l->counted;
                l->unit_price = a->amount / a->target;
        } else {
                l->invoiced_quantity = l->counted > 0 ? 1 : 0;
                l->unit_price = l->amount;
        }
}

/* The bilan's quantity for action `a`: 0 when the bilan does not report it. */
static int64_t realised_for(const Bilan *b, const ConventionAction *a) {
        for (size_t i = 0; i < b->n_actions; i++)
                if (b->actions[i].action == a)
                        return b->actions[i].quantity;
        return 0;
}

/* A diagnostic on the realisations, located in a workbook's sheet when
 * the bilan came from one. */
static int locate(const Bilan *b, Diagnostics *diags, int r) {
        if (r >= 0 && diags && b->realisations_sheet)
                r = diag_set_location(&diags->items[diags->n_items - 1], b->realisations_sheet, NULL);
        return r;
}

/* Something counted whose prorated amount rounds to 0.00 (0.01 for five,
 * one realised): not invoiced as a 0.00 line, and the author is told. */
static int warn_rounds_to_zero(const Bilan *b, const ProrationLine *l, Diagnostics *diags) {
        _cleanup_(freep) char *path = jsoncheck_path_key("realisations", l->action->id);
        char amount[MONEY_DECIMAL_MAX], amount_fr[MONEY_FRENCH_MAX];

        if (!path)
                return -ENOMEM;
        return locate(b, diags,
                      diag_warning2(diags, b->source_file, path,
                                    "action %s (article %s): %" PRId64 "%.0s of %" PRId64 " counted, but the "
                                    "prorated amount of %s%.0s rounds to 0.00: the line is left out of the invoice",
                                    "action %s (article %s) : %" PRId64 " réalisation%s retenue sur %" PRId64
                                    ", mais le montant au prorata de %.0s%s s'arrondit à 0,00 € : cette ligne ne "
                                    "figure pas sur la facture",
                                    l->action->id, l->action->article, l->counted, l->counted > 1 ? "s" : "",
                                    l->action->target, money_format(l->action->amount, amount),
                                    money_format_french(l->action->amount, true, amount_fr)));
}

int proration_compute(const Convention *c, const Bilan *b, Proration **ret, Diagnostics *diags) {
        _cleanup_(proration_freep) Proration *p = NULL;
        bool counted = false;
        int r;

        p = calloc(1, sizeof(Proration));
        if (!p)
                return -ENOMEM;
        p->lines = calloc(c->n_actions + 1, sizeof(ProrationLine));
        if (!p->lines)
                return -ENOMEM;
        p->n_lines = c->n_actions;
        for (size_t i = 0; i < c->n_actions; i++) {
                compute_line(&c->actions[i], realised_for(b, &c->actions[i]), &p->lines[i]);
                p->total_before_cap += p->lines[i].amount;
                counted = counted || p->lines[i].counted > 0;
        }
        p->cap_allowance = p->total_before_cap > c->cap ? p->total_before_cap - c->cap : 0;
        p->total = p->total_before_cap - p->cap_allowance;

        if (p->total == 0 && counted) {
                r = locate(b, diags,
                           diag_error2(diags, b->source_file, "realisations",
                                       "nothing to invoice: for convention %s, the prorated amounts of what "
                                       "was realised all round to 0.00; the bilan is not invoiced%s",
                                       "rien à facturer : pour la convention %s, les montants au prorata des "
                                       "réalisations s'arrondissent tous à 0,00 € ; le bilan n'est pas "
                                       "facturé%s",
                                       c->id, ""));
                return r < 0 ? r : -EDOM;
        }
        if (p->total == 0) {
                r = locate(b, diags,
                           diag_error2(diags, b->source_file, "realisations",
                                       "nothing to invoice: the prorated total for convention %s is 0.00 "
                                       "(no action realised); the bilan is not invoiced",
                                       "rien à facturer : le total de la convention %s est de 0,00 € (aucune "
                                       "action réalisée) ; complétez les réalisations du bilan",
                                       c->id));
                return r < 0 ? r : -EDOM;
        }
        for (size_t i = 0; i < p->n_lines; i++)
                if (p->lines[i].counted > 0 && p->lines[i].amount == 0) {
                        r = warn_rounds_to_zero(b, &p->lines[i], diags);
                        if (r < 0)
                                return r;
                }
        *ret = TAKE_PTR(p);
        return 0;
}

bool proration_line_is_invoiced(const ProrationLine *l) {
        return l->counted > 0 && l->amount > 0;
}

size_t proration_n_invoiced_lines(const Proration *p) {
        size_t n = 0;

        for (size_t i = 0; i < p->n_lines; i++)
                if (proration_line_is_invoiced(&p->lines[i]))
                        n++;
        return n;
}
