/* test_retry.c — the backoff policy: ceiling doubling up to the cap, full
 * jitter over [0, ceiling], Retry-After winning when longer, the deadline,
 * and Retry-After parsing (seconds and the three HTTP-date forms). */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>

#include "chorus/retry.h"

static const RetryPolicy policy = { .base_usec = 2 * USEC_PER_SEC, .cap_usec = 60 * USEC_PER_SEC };

typedef struct CeilingCase {
        unsigned attempt;
        uint64_t expected;
} CeilingCase;

Test(retry, ceiling_doubles_then_caps) {
        static const CeilingCase cases[] = {
                { 0, 2 * USEC_PER_SEC },  { 1, 4 * USEC_PER_SEC },  { 2, 8 * USEC_PER_SEC },
                { 3, 16 * USEC_PER_SEC }, { 4, 32 * USEC_PER_SEC }, { 5, 60 * USEC_PER_SEC },
                { 6, 60 * USEC_PER_SEC }, { 62, 60 * USEC_PER_SEC }, { 63, 60 * USEC_PER_SEC },
                { 64, 60 * USEC_PER_SEC }, { 1000, 60 * USEC_PER_SEC }, { UINT32_MAX, 60 * USEC_PER_SEC },
        };

        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
                cr_expect_eq(retry_ceiling(cases[i].attempt, &policy), cases[i].expected, "attempt %u",
                             cases[i].attempt);
}

Test(retry, ceiling_odd_policies) {
        RetryPolicy base_above_cap = { .base_usec = 100, .cap_usec = 10 };
        RetryPolicy zero = {};
        RetryPolicy huge = { .base_usec = UINT64_MAX / 2, .cap_usec = UINT64_MAX };

        cr_expect_eq(retry_ceiling(0, &base_above_cap), 10);
        cr_expect_eq(retry_ceiling(3, &zero), 0);
        cr_expect_eq(retry_ceiling(0, &huge), UINT64_MAX / 2);
        cr_expect_eq(retry_ceiling(1, &huge), UINT64_MAX - 1);
        cr_expect_eq(retry_ceiling(2, &huge), UINT64_MAX); /* would overflow: the cap */
}

Test(retry, full_jitter_covers_zero_to_ceiling) {
        for (unsigned attempt = 0; attempt < 10; attempt++) {
                uint64_t ceiling = retry_ceiling(attempt, &policy);

                /* The random value picks the point: its extremes reach both ends. */
                cr_expect_eq(retry_next_delay(attempt, &policy, 0, 0), 0);
                cr_expect_eq(retry_next_delay(attempt, &policy, 0, ceiling), ceiling);
                cr_expect_eq(retry_next_delay(attempt, &policy, 0, ceiling + 1), 0);
                cr_expect_eq(retry_next_delay(attempt, &policy, 0, ceiling / 2), ceiling / 2);
                for (uint64_t r = 0; r < 5000; r++) {
                        uint64_t random = r * UINT64_C(0x9E3779B97F4A7C15);
                        uint64_t d = retry_next_delay(attempt, &policy, 0, random);
                        cr_assert_leq(d, ceiling, "attempt %u: %" PRIu64 " > %" PRIu64, attempt, d, ceiling);
                }
        }
}

Test(retry, full_jitter_spreads) {
        /* Over many draws the delays spread across the whole range, not
         * around one value: check the lowest and highest quarter are hit. */
        uint64_t ceiling = retry_ceiling(3, &policy);
        bool low = false, high = false;

        for (uint64_t r = 1; r < 1000; r++) {
                uint64_t d = retry_next_delay(3, &policy, 0, r * UINT64_C(0x9E3779B97F4A7C15));
                low = low || d < ceiling / 4;
                high = high || d > ceiling / 4 * 3;
        }
        cr_expect(low && high);
}

Test(retry, retry_after_wins_when_larger) {
        uint64_t ra = 30 * USEC_PER_SEC;

        /* attempt 0: ceiling 2 s, so Retry-After 30 s always wins. */
        for (uint64_t r = 0; r < 100; r++)
                cr_expect_eq(retry_next_delay(0, &policy, ra, r * 7919), ra);
        /* attempt 5: ceiling 60 s; a draw above 30 s beats Retry-After. */
        cr_expect_eq(retry_next_delay(5, &policy, ra, 45 * USEC_PER_SEC), 45 * USEC_PER_SEC);
        cr_expect_eq(retry_next_delay(5, &policy, ra, 10 * USEC_PER_SEC), ra);
        /* Retry-After above the cap is still honoured: the deadline decides. */
        cr_expect_eq(retry_next_delay(5, &policy, 3600 * USEC_PER_SEC, 0), 3600 * USEC_PER_SEC);
}

Test(retry, deadline) {
        cr_expect(retry_within_deadline(100, 50, 150));
        cr_expect(!retry_within_deadline(100, 51, 150));
        cr_expect(!retry_within_deadline(200, 0, 150));
        cr_expect(retry_within_deadline(0, UINT64_MAX, UINT64_MAX));
        cr_expect(!retry_within_deadline(1, UINT64_MAX, UINT64_MAX));
}

typedef struct AfterCase {
        const char *value;
        int r;
        uint64_t usec;
} AfterCase;

Test(retry, retry_after_parse) {
        /* now = Sun, 06 Nov 1994 08:49:37 GMT */
        const time_t now = 784111777;
        static const AfterCase cases[] = {
                { "0", 0, 0 },
                { "120", 0, 120 * USEC_PER_SEC },
                { "  7 ", 0, 7 * USEC_PER_SEC },
                { "99999999999999999999", 0, RETRY_AFTER_MAX_USEC },
                { "Sun, 06 Nov 1994 08:50:37 GMT", 0, 60 * USEC_PER_SEC },   /* IMF-fixdate */
                { "Sunday, 06-Nov-94 08:51:37 GMT", 0, 120 * USEC_PER_SEC }, /* RFC 850 */
                { "Sun Nov  6 08:49:47 1994", 0, 10 * USEC_PER_SEC },        /* asctime */
                { "Sun, 06 Nov 1994 08:00:00 GMT", 0, 0 },                   /* in the past */
                { "Sun, 06 Nov 2094 08:49:37 GMT", 0, RETRY_AFTER_MAX_USEC },
                { "", -EINVAL, 0 },
                { "-5", -EINVAL, 0 },
                { "1.5", -EINVAL, 0 },
                { "12abc", -EINVAL, 0 },
                { "soon", -EINVAL, 0 },
                { "Sun, 06 Foo 1994 08:49:37 GMT", -EINVAL, 0 },
                { "Sun, 31 Feb 1994 08:49:37 GMT", -EINVAL, 0 },
                { "Sun, 06 Nov 1994 25:49:37 GMT", -EINVAL, 0 },
                { "Sun, 06 Nov 1994 08:49:37 CET", -EINVAL, 0 },
                { "Sun, 06 Nov 1994 08:49:37 GMT trailing", -EINVAL, 0 },
        };

        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                uint64_t usec = 4242;
                int r = retry_after_parse(cases[i].value, now, &usec);

                cr_expect_eq(r, cases[i].r, "'%s': %d", cases[i].value, r);
                if (cases[i].r == 0)
                        cr_expect_eq(usec, cases[i].usec, "'%s': %" PRIu64, cases[i].value, usec);
                else
                        cr_expect_eq(usec, 4242, "'%s': set on failure", cases[i].value);
        }
        cr_expect_eq(retry_after_parse(NULL, now, &(uint64_t){ 0 }), -EINVAL);
}
