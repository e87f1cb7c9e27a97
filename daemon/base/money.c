/* money.c — amounts as int64_t cents (see money.h).
 *
 * Everything here is integer arithmetic on cents: no double anywhere, no
 * strtod, no printf("%f"), no locale. Parsing accepts only the decimal
 * string forms of domain.md §2 and fails with -EINVAL (not that form) or
 * -ERANGE (above MONEY_MAX_CENTS / 100 %). Pure: no I/O. */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "base/money.h"

/* "123", "123.4", "123.45" → 12300, 12340, 12345, bounded by `max`. The
 * integer part is "0" or has no leading zero, so "007" (a typo more often
 * than not) is refused. */
static int parse_decimal_hundredths(const char *s, int64_t max, int64_t *ret) {
        int64_t units = 0, hundredths = 0;
        const char *p = s;
        size_t n_int, n_frac = 0;

        if (!s)
                return -EINVAL;
        n_int = strspn(p, "0123456789");
        if (n_int == 0 || (n_int > 1 && p[0] == '0'))
                return -EINVAL;
        for (size_t i = 0; i < n_int; i++) {
                if (units > max / 100)
                        return -ERANGE;
                units = units * 10 + (p[i] - '0');
        }
        p += n_int;
        if (*p == '.') {
                p++;
                n_frac = strspn(p, "0123456789");
                if (n_frac == 0 || n_frac > 2)
                        return -EINVAL;
                hundredths = (p[0] - '0') * 10 + (n_frac == 2 ? p[1] - '0' : 0);
                p += n_frac;
        }
        if (*p != '\0')
                return -EINVAL;
        if (units > max / 100 || units * 100 + hundredths > max)
                return -ERANGE;
        *ret = units * 100 + hundredths;
        return 0;
}

int money_parse(const char *s, int64_t *ret_cents) {
        return parse_decimal_hundredths(s, MONEY_MAX_CENTS, ret_cents);
}

int money_parse_rate(const char *s, int64_t *ret_basis_points) {
        return parse_decimal_hundredths(s, 10000, ret_basis_points);
}

/* Writes the digits of `v` backwards, ending just before `end`; a
 * `separator` goes between groups of three when not NULL. Returns where the
 * digits start. */
static char *put_digits(uint64_t v, char *end, const char *separator) {
        size_t sep_len = separator ? strlen(separator) : 0;
        char *p = end;
        unsigned n = 0;

        do {
                if (separator && n > 0 && n % 3 == 0) {
                        p -= sep_len;
                        memcpy(p, separator, sep_len);
                }
                *--p = (char) ('0' + v % 10);
                v /= 10;
                n++;
        } while (v > 0);
        return p;
}

/* The common layout of both formats: [-]units<decimal_mark>hh<suffix>. */
static char *format_amount(int64_t cents, const char *thousands, const char *decimal_mark,
                           const char *suffix, char *buf, size_t size) {
        /* The magnitude as unsigned, so that INT64_MIN does not overflow. */
        uint64_t magnitude = cents < 0 ? (uint64_t) 0 - (uint64_t) cents : (uint64_t) cents;
        char digits[MONEY_FRENCH_MAX];
        char *start = put_digits(magnitude / 100, digits + sizeof(digits), thousands);
        size_t n = (size_t) (digits + sizeof(digits) - start);
        char *p = buf;

        assert(n + strlen(decimal_mark) + strlen(suffix) + 4 <= size);
        if (cents < 0)
                *p++ = '-';
        memcpy(p, start, n);
        p += n;
        p = stpcpy(p, decimal_mark);
        *p++ = (char) ('0' + magnitude % 100 / 10);
        *p++ = (char) ('0' + magnitude % 10);
        strcpy(p, suffix);
        return buf;
}

char *money_format(int64_t cents, char buf[static MONEY_DECIMAL_MAX]) {
        return format_amount(cents, /* thousands= */ NULL, ".", "", buf, MONEY_DECIMAL_MAX);
}

#define NARROW_NO_BREAK_SPACE "\u202f"
#define NO_BREAK_SPACE "\u00a0"

char *money_format_french(int64_t cents, bool with_euro, char buf[static MONEY_FRENCH_MAX]) {
        return format_amount(cents, NARROW_NO_BREAK_SPACE, ",", with_euro ? NO_BREAK_SPACE "€" : "",
                             buf, MONEY_FRENCH_MAX);
}

/* Split into quotient and remainder first, so that numerator + denominator/2
 * can never overflow. A negative numerator rounds half away from zero, the
 * mirror image: credit notes round like invoices. */
int64_t round_half_up(int64_t numerator, int64_t denominator) {
        int64_t q, r;

        assert(denominator > 0);
        assert(numerator > INT64_MIN);
        if (numerator < 0)
                return -round_half_up(-numerator, denominator);
        q = numerator / denominator;
        r = numerator % denominator;
        return q + (r >= denominator - r ? 1 : 0);
}

int64_t money_apply_rate(int64_t cents, int64_t rate_basis_points) {
        /* cents = q × 10000 + r: q × rate is exact, only r × rate is rounded,
         * and neither product can overflow for amounts ≤ MONEY_MAX_CENTS. */
        int64_t q = cents / 10000, r = cents % 10000;

        assert(rate_basis_points >= 0 && rate_basis_points <= 10000);
        return q * rate_basis_points + round_half_up(r * rate_basis_points, 10000);
}
