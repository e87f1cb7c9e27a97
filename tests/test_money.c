/* test_money.c — parsing, formatting and rounding of integer cents
 * (money.h): the accepted string forms, every refused one, exact halves. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "base/macro.h"
#include "base/money.h"

typedef struct ParseCase {
        const char *input;
        int ret;
        int64_t cents;
} ParseCase;

Test(money, parse) {
        static const ParseCase cases[] = {
                { "500", 0, 50000 },
                { "500.0", 0, 50000 },
                { "500.00", 0, 50000 },
                { "0.5", 0, 50 },
                { "0.05", 0, 5 },
                { "0", 0, 0 },
                { "0.00", 0, 0 },
                { "4000.00", 0, 400000 },
                { "333.33", 0, 33333 },
                { "10000000000.00", 0, MONEY_MAX_CENTS },
                { "10000000000.01", -ERANGE, 0 },
                { "10000000001", -ERANGE, 0 },
                { "99999999999999999999999", -ERANGE, 0 },
                { "500.000", -EINVAL, 0 },
                { "500.", -EINVAL, 0 },
                { ".5", -EINVAL, 0 },
                { "", -EINVAL, 0 },
                { "-5", -EINVAL, 0 },
                { "+5", -EINVAL, 0 },
                { " 5", -EINVAL, 0 },
                { "5 ", -EINVAL, 0 },
                { "5,00", -EINVAL, 0 },
                { "1 000.00", -EINVAL, 0 },
                { "1e3", -EINVAL, 0 },
                { "0500", -EINVAL, 0 },
                { "00.50", -EINVAL, 0 },
                { "5.0a", -EINVAL, 0 },
                { "0x10", -EINVAL, 0 },
                { "NaN", -EINVAL, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int64_t cents = -1;
                int r = money_parse(cases[i].input, &cents);

                cr_expect_eq(r, cases[i].ret, "money_parse(\"%s\") = %d, expected %d", cases[i].input, r,
                             cases[i].ret);
                if (cases[i].ret == 0)
                        cr_expect_eq(cents, cases[i].cents, "money_parse(\"%s\") gave %lld cents", cases[i].input,
                                     (long long) cents);
                else
                        cr_expect_eq(cents, -1, "money_parse(\"%s\") set its output on failure", cases[i].input);
        }
        cr_expect_eq(money_parse(NULL, &(int64_t) { 0 }), -EINVAL);
}

Test(money, parse_rate) {
        static const ParseCase cases[] = {
                { "20", 0, 2000 },   { "20.00", 0, 2000 }, { "5.5", 0, 550 },     { "0", 0, 0 },
                { "0.00", 0, 0 },    { "100", 0, 10000 },  { "100.01", -ERANGE, 0 }, { "2.125", -EINVAL, 0 },
                { "20%", -EINVAL, 0 }, { "-1", -EINVAL, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int64_t bp = -1;
                int r = money_parse_rate(cases[i].input, &bp);

                cr_expect_eq(r, cases[i].ret, "money_parse_rate(\"%s\") = %d", cases[i].input, r);
                if (r == 0)
                        cr_expect_eq(bp, cases[i].cents, "money_parse_rate(\"%s\") = %lld", cases[i].input,
                                     (long long) bp);
        }
}

Test(money, format) {
        static const struct {
                int64_t cents;
                const char *decimal, *french, *french_bare;
        } cases[] = {
                { 0, "0.00", "0,00\u00a0€", "0,00" },
                { 5, "0.05", "0,05\u00a0€", "0,05" },
                { -5, "-0.05", "-0,05\u00a0€", "-0,05" },
                { 50, "0.50", "0,50\u00a0€", "0,50" },
                { 33333, "333.33", "333,33\u00a0€", "333,33" },
                { 99999, "999.99", "999,99\u00a0€", "999,99" },
                { 100000, "1000.00", "1\u202f000,00\u00a0€", "1\u202f000,00" },
                { 350000, "3500.00", "3\u202f500,00\u00a0€", "3\u202f500,00" },
                { 123456789, "1234567.89", "1\u202f234\u202f567,89\u00a0€", "1\u202f234\u202f567,89" },
                { -123456789, "-1234567.89", "-1\u202f234\u202f567,89\u00a0€", "-1\u202f234\u202f567,89" },
                { MONEY_MAX_CENTS, "10000000000.00", "10\u202f000\u202f000\u202f000,00\u00a0€",
                  "10\u202f000\u202f000\u202f000,00" },
                { INT64_MAX, "92233720368547758.07", "92\u202f233\u202f720\u202f368\u202f547\u202f758,07\u00a0€",
                  "92\u202f233\u202f720\u202f368\u202f547\u202f758,07" },
                { INT64_MIN, "-92233720368547758.08", "-92\u202f233\u202f720\u202f368\u202f547\u202f758,08\u00a0€",
                  "-92\u202f233\u202f720\u202f368\u202f547\u202f758,08" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char d[MONEY_DECIMAL_MAX], f[MONEY_FRENCH_MAX], g[MONEY_FRENCH_MAX];

                cr_expect_str_eq(money_format(cases[i].cents, d), cases[i].decimal);
                cr_expect_str_eq(money_format_french(cases[i].cents, true, f), cases[i].french);
                cr_expect_str_eq(money_format_french(cases[i].cents, false, g), cases[i].french_bare);
        }
}

Test(money, format_round_trips) {
        for (int64_t cents = 0; cents < 200000; cents += 7) {
                char buf[MONEY_DECIMAL_MAX];
                int64_t back = -1;

                cr_assert_eq(money_parse(money_format(cents, buf), &back), 0, "%s", buf);
                cr_assert_eq(back, cents, "%s", buf);
        }
}

Test(money, round_half_up) {
        static const struct {
                int64_t n, d, expected;
        } cases[] = {
                { 0, 3, 0 },
                { 1, 2, 1 },      /* exact half goes up */
                { 3, 2, 2 },      /* 1.5 */
                { 5, 2, 3 },      /* 2.5: up, not to even */
                { 1, 3, 0 },
                { 2, 3, 1 },
                { 100000, 3, 33333 },  /* 1000.00 × 1/3 = 333.333… */
                { 200000, 3, 66667 },  /* 1000.00 × 2/3 = 666.666… */
                { 5, 10, 1 },          /* 0.5 */
                { 4, 10, 0 },          /* 0.4 */
                { 15, 10, 2 },         /* 1.5 */
                { 25, 10, 3 },         /* 2.5 */
                { 249999, 100000, 2 },
                { 250000, 100000, 3 },
                { 7, 1, 7 },
                { -1, 2, -1 },         /* mirrored: half away from zero */
                { -5, 2, -3 },
                { -1, 3, 0 },
                { INT64_MAX, 2, INT64_MAX / 2 + 1 },
                { INT64_MAX, INT64_MAX, 1 },
                { INT64_MAX - 1, INT64_MAX, 1 },
                { INT64_MAX / 2, INT64_MAX, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                cr_expect_eq(round_half_up(cases[i].n, cases[i].d), cases[i].expected,
                             "round_half_up(%lld, %lld) = %lld, expected %lld", (long long) cases[i].n,
                             (long long) cases[i].d, (long long) round_half_up(cases[i].n, cases[i].d),
                             (long long) cases[i].expected);
}

Test(money, apply_rate) {
        static const struct {
                int64_t cents, rate, expected;
        } cases[] = {
                { 400000, 2000, 80000 },      /* 4000.00 at 20 % */
                { 33333, 2000, 6667 },        /* 66.666 → 66.67 */
                { 1, 2000, 0 },               /* 0.002 */
                { 3, 2000, 1 },               /* 0.006 */
                { 25, 2000, 5 },              /* 0.05 */
                { 250, 200, 5 },              /* 0.05 at 2 % */
                { 25, 200, 1 },               /* 0.005: exact half, up */
                { 400000, 0, 0 },
                { 400000, 550, 22000 },       /* 5.5 % */
                { 33333, 1000, 3333 },        /* 3.3333 */
                { 33335, 1000, 3334 },        /* 3.3335: exact half, up */
                { MONEY_MAX_CENTS, 10000, MONEY_MAX_CENTS },
                { MONEY_MAX_CENTS, 2000, MONEY_MAX_CENTS / 5 },
                { -33335, 1000, -3334 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                cr_expect_eq(money_apply_rate(cases[i].cents, cases[i].rate), cases[i].expected,
                             "money_apply_rate(%lld, %lld) = %lld, expected %lld", (long long) cases[i].cents,
                             (long long) cases[i].rate,
                             (long long) money_apply_rate(cases[i].cents, cases[i].rate),
                             (long long) cases[i].expected);
}
