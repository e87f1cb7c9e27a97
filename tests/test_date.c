/* test_date.c — strict parsing, real calendar dates (leap years), day
 * arithmetic and the French rendering (date.h). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>

#include "base/date.h"
#include "base/macro.h"

Test(date, parse) {
        static const struct {
                const char *input;
                bool valid;
        } cases[] = {
                { "2026-12-10", true },
                { "2026-01-01", true },
                { "2026-12-31", true },
                { "2024-02-29", true },  /* leap year */
                { "2000-02-29", true },  /* divisible by 400 */
                { "2026-02-28", true },
                { "1900-01-01", true },
                { "9999-12-31", true },
                { "2026-02-29", false }, /* not a leap year */
                { "1900-02-29", false }, /* divisible by 100, not by 400 */
                { "2100-02-29", false },
                { "2026-02-30", false },
                { "2026-04-31", false },
                { "2026-13-01", false },
                { "2026-00-10", false },
                { "2026-01-00", false },
                { "2026-01-32", false },
                { "1899-12-31", false },
                { "0000-01-01", false },
                { "2026-1-5", false },
                { "2026/12/10", false },
                { "10/12/2026", false },
                { "20261210", false },
                { "2026-12-10T00:00:00", false },
                { "2026-12-10 ", false },
                { " 2026-12-10", false },
                { "2026-12-1a", false },
                { "+026-12-10", false },
                { "", false },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                Date d = { -1, -1, -1 };
                int r = date_parse(cases[i].input, &d);

                cr_expect_eq(r, cases[i].valid ? 0 : -EINVAL, "date_parse(\"%s\") = %d", cases[i].input, r);
                if (cases[i].valid) {
                        char buf[DATE_STRING_MAX];
                        cr_expect_str_eq(date_format(d, buf), cases[i].input);
                } else
                        cr_expect_eq(d.year, -1, "date_parse(\"%s\") set its output on failure", cases[i].input);
        }
        cr_expect_eq(date_parse(NULL, &(Date) {}), -EINVAL);
}

Test(date, is_valid) {
        cr_expect(date_is_valid(2024, 2, 29));
        cr_expect_not(date_is_valid(2026, 2, 29));
        cr_expect(date_is_valid(2026, 4, 30));
        cr_expect_not(date_is_valid(2026, 4, 31));
        cr_expect_not(date_is_valid(2026, 0, 1));
        cr_expect_not(date_is_valid(10000, 1, 1));
}

Test(date, formats) {
        static const struct {
                Date d;
                const char *iso, *compact, *french;
        } cases[] = {
                { { 2026, 12, 10 }, "2026-12-10", "20261210", "10 décembre 2026" },
                { { 2026, 1, 1 }, "2026-01-01", "20260101", "1er janvier 2026" },
                { { 2026, 2, 2 }, "2026-02-02", "20260202", "2 février 2026" },
                { { 2026, 8, 15 }, "2026-08-15", "20260815", "15 août 2026" },
                { { 2026, 5, 1 }, "2026-05-01", "20260501", "1er mai 2026" },
                { { 2024, 2, 29 }, "2024-02-29", "20240229", "29 février 2024" },
                { { 1900, 3, 31 }, "1900-03-31", "19000331", "31 mars 1900" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char iso[DATE_STRING_MAX], compact[9], french[32];

                cr_expect_str_eq(date_format(cases[i].d, iso), cases[i].iso);
                cr_expect_str_eq(date_format_compact(cases[i].d, compact), cases[i].compact);
                cr_expect_str_eq(date_format_french(cases[i].d, french), cases[i].french);
        }
}

Test(date, compare) {
        Date a = { 2026, 1, 1 }, b = { 2026, 12, 31 }, c = { 2025, 12, 31 }, d = { 2026, 1, 2 };

        cr_expect_lt(date_compare(a, b), 0);
        cr_expect_gt(date_compare(b, a), 0);
        cr_expect_eq(date_compare(a, a), 0);
        cr_expect_lt(date_compare(c, a), 0);
        cr_expect_lt(date_compare(a, d), 0);
}

Test(date, days) {
        static const struct {
                Date d;
                int64_t days;
        } cases[] = {
                { { 1970, 1, 1 }, 0 },
                { { 1970, 1, 2 }, 1 },
                { { 1969, 12, 31 }, -1 },
                { { 2000, 3, 1 }, 11017 },
                { { 2026, 12, 10 }, 20797 },
                { { 1900, 1, 1 }, -25567 },
                { { 9999, 12, 31 }, 2932896 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                cr_expect_eq(date_to_days(cases[i].d), cases[i].days, "%d-%d-%d", cases[i].d.year,
                             cases[i].d.month, cases[i].d.day);
                cr_expect_eq(date_compare(date_from_days(cases[i].days), cases[i].d), 0);
        }
}

/* Every day from 1900 to 2100, one after the other: the round trip and the
 * successor agree with date_is_valid's calendar. */
Test(date, days_round_trip) {
        Date d = { 1900, 1, 1 };
        int64_t n = date_to_days(d);

        while (d.year < 2100) {
                Date next = date_add_days(d, 1);
                int64_t m = date_to_days(next);

                cr_assert_eq(m, n + 1);
                cr_assert(date_is_valid(next.year, next.month, next.day));
                if (next.day != 1)
                        cr_assert(next.day == d.day + 1 && next.month == d.month && next.year == d.year);
                else
                        cr_assert(!date_is_valid(d.year, d.month, d.day + 1));
                d = next;
                n = m;
        }
}

Test(date, add_days) {
        Date d = { 2026, 12, 10 }, r;
        char buf[DATE_STRING_MAX];

        r = date_add_days(d, 30);
        cr_expect_str_eq(date_format(r, buf), "2027-01-09");
        r = date_add_days((Date) { 2024, 2, 28 }, 1);
        cr_expect_str_eq(date_format(r, buf), "2024-02-29");
        r = date_add_days((Date) { 2026, 2, 28 }, 1);
        cr_expect_str_eq(date_format(r, buf), "2026-03-01");
        r = date_add_days((Date) { 2026, 3, 1 }, -1);
        cr_expect_str_eq(date_format(r, buf), "2026-02-28");
        r = date_add_days((Date) { 2026, 1, 1 }, 365);
        cr_expect_str_eq(date_format(r, buf), "2027-01-01");

        /* the checked form refuses to leave 1900..9999 */
        cr_expect_eq(date_add_days_checked((Date) { 9999, 12, 1 }, 30, &r), 0);
        cr_expect_str_eq(date_format(r, buf), "9999-12-31");
        r = (Date) { 2000, 1, 1 };
        cr_expect_eq(date_add_days_checked((Date) { 9999, 12, 2 }, 30, &r), -ERANGE);
        cr_expect_eq(date_add_days_checked((Date) { 1900, 1, 1 }, -1, &r), -ERANGE);
        cr_expect_eq(date_add_days_checked((Date) { 2026, 1, 1 }, INT64_MAX, &r), -ERANGE);
        cr_expect_eq(date_add_days_checked((Date) { 2026, 1, 1 }, INT64_MIN, &r), -ERANGE);
        cr_expect_str_eq(date_format(r, buf), "2000-01-01", "untouched on failure");
}

Test(date, from_time) {
        Date d;
        char buf[DATE_STRING_MAX];

        /* a POSIX TZ string: no tzdata needed */
        setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
        tzset();
        /* 2026-12-31 23:30 UTC is already 2027-01-01 in Paris */
        d = date_from_time((time_t) 1798759800);
        cr_expect_str_eq(date_format(d, buf), "2027-01-01");
        setenv("TZ", "UTC0", 1);
        tzset();
        d = date_from_time((time_t) 1798759800);
        cr_expect_str_eq(date_format(d, buf), "2026-12-31");
}
