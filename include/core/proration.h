/* proration.h — from realised quantities to invoice amounts (domain.md §4).
 *
 * line = round_half_up(amount × min(q, target) / target), in integer cents;
 * total before cap = Σ lines; over the cap, a document-level allowance
 * (BG-20, "Plafond de la convention") brings the total to the cap exactly.
 * Pure: no I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bilan.h"
#include "core/convention.h"
#include "base/diag.h"

#define PRORATION_CAP_REASON "Plafond de la convention"

typedef struct ProrationLine {
        const ConventionAction *action;
        int64_t realised;  /* q: distinct refs in the bilan */
        int64_t counted;   /* min(q, target) */
        int64_t amount;    /* the line amount, cents */
        /* How the line is invoiced (domain.md §4): when amount divides evenly
         * by target, quantity = counted and unit price = amount / target;
         * otherwise quantity 1 and unit price = the line amount. */
        int64_t invoiced_quantity;
        int64_t unit_price;
} ProrationLine;

typedef struct Proration {
        ProrationLine *lines; /* one per convention action, q = 0 included */
        size_t n_lines;
        int64_t total_before_cap;
        int64_t cap_allowance; /* 0 when the cap does not bite */
        int64_t total;         /* total_before_cap - cap_allowance */
} Proration;

/* Computes the amounts. A zero total is not invoiced: returns -EDOM and adds
 * that reason to `diags` (in English and French): nothing realised, or
 * prorated amounts that all round to 0.00. A line counted but rounding to
 * 0.00 is a warning in `diags`, and stays off the invoice. */
int proration_compute(const Convention *c, const Bilan *b, Proration **ret, Diagnostics *diags);
Proration *proration_free(Proration *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Proration *, proration_free);

/* Whether a line appears on the invoice: something counted, and an amount
 * that does not round to 0.00 (such a line is left out, with a warning). */
bool proration_line_is_invoiced(const ProrationLine *l);
/* Number of lines that appear on the invoice. */
size_t proration_n_invoiced_lines(const Proration *p);
