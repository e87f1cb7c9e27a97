/* money.h — amounts as int64_t cents, never floating point.
 *
 * Parsing and formatting never depend on the locale. VAT rates use the same
 * decimal form and are held as hundredths of a percent ("20.00" → 2000). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest amount accepted anywhere: 10^12 cents (10 000 000 000.00). Keeps
 * every product in proration (amount × target ≤ 10^12 × 10^6) inside int64. */
#define MONEY_MAX_CENTS INT64_C(1000000000000)

/* "500", "500.0", "500.00", "0.5" → cents. No sign, no exponent, no spaces,
 * no thousands separators, no leading zero ("0500"), at most two decimals,
 * at most MONEY_MAX_CENTS.
 * Returns 0, or -EINVAL (not that form) / -ERANGE (too large). */
int money_parse(const char *s, int64_t *ret_cents);

/* A VAT rate "20", "5.5", "20.00" → hundredths of a percent (2000, 550).
 * Accepts 0 to 100.00. Returns 0 or -EINVAL/-ERANGE. */
int money_parse_rate(const char *s, int64_t *ret_basis_points);

/* Buffer sizes large enough for any int64 amount in each format. */
#define MONEY_DECIMAL_MAX 32
#define MONEY_FRENCH_MAX 48

/* 400000 → "4000.00"; -5 → "-0.05". Always two decimals, '.' separator: the
 * form XML invoices need. Returns `buf`. */
char *money_format(int64_t cents, char buf[static MONEY_DECIMAL_MAX]);

/* 350000 → "3 500,00 €" for readable documents: U+202F (narrow no-break
 * space) between thousands, ',' decimal separator, U+00A0 before "€" (UTF-8).
 * `with_euro` false omits " €". Returns `buf`. */
char *money_format_french(int64_t cents, bool with_euro, char buf[static MONEY_FRENCH_MAX]);

/* round_half_up(numerator / denominator) for numerator >= 0, denominator > 0:
 * 1/2 → 1, 1/3 → 0, 2/3 → 1. */
int64_t round_half_up(int64_t numerator, int64_t denominator);

/* round_half_up(cents × rate_bp / 10000): the VAT amount of a base at a rate. */
int64_t money_apply_rate(int64_t cents, int64_t rate_basis_points);
