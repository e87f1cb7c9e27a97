/* retry.h — when to try a temporary failure again: exponential backoff with
 * full jitter, a cap, Retry-After, and an overall deadline. Pure: no clock,
 * no randomness of its own, no I/O, so that the daemon can drive it from its
 * durable retry state and the tests can pin every bound.
 *
 * The delay before attempt n+1 (attempt = n failures so far, counted from 0)
 * is drawn uniformly from [0, min(cap, base × 2^attempt)] ("full jitter":
 * many clients that failed together do not come back together), then raised
 * to the server's Retry-After when that is longer. The caller stops when
 * now + delay passes its deadline (retry_deadline in chorusd.conf). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#ifndef USEC_PER_SEC
#define USEC_PER_SEC UINT64_C(1000000)
#endif
#ifndef USEC_PER_MSEC
#define USEC_PER_MSEC UINT64_C(1000)
#endif

typedef struct RetryPolicy {
        uint64_t base_usec; /* ceiling of the first delay (attempt 0) */
        uint64_t cap_usec;  /* no ceiling above this, however many attempts */
} RetryPolicy;

/* The daemon: first retry within 10 s, then up to an hour apart. */
#define RETRY_POLICY_DAEMON ((RetryPolicy){ .base_usec = 10 * USEC_PER_SEC, .cap_usec = 3600 * USEC_PER_SEC })
/* Interactive commands (chorusctl): quick, capped at 15 s. */
#define RETRY_POLICY_INTERACTIVE ((RetryPolicy){ .base_usec = 1 * USEC_PER_SEC, .cap_usec = 15 * USEC_PER_SEC })

/* Largest Retry-After we parse (one week); anything longer is clamped to it.
 * The caller's deadline decides whether waiting that long is worth it. */
#define RETRY_AFTER_MAX_USEC (UINT64_C(7) * 24 * 3600 * USEC_PER_SEC)

/* The ceiling min(cap, base × 2^attempt), without overflow. */
uint64_t retry_ceiling(unsigned attempt, const RetryPolicy *policy);

/* The delay before the next attempt: `random` (any uint64) picks a point in
 * [0, retry_ceiling(attempt)]; the result is max(that, retry_after_usec).
 * retry_after_usec is 0 when the server sent no Retry-After. */
uint64_t retry_next_delay(unsigned attempt, const RetryPolicy *policy, uint64_t retry_after_usec,
                          uint64_t random);

/* Whether a retry after `delay` still starts before `deadline` (same clock
 * as `now`). */
bool retry_within_deadline(uint64_t now, uint64_t delay, uint64_t deadline);

/* Parses an HTTP Retry-After value (RFC 9110 §10.2.3): delay-seconds, or an
 * HTTP-date in any of the three forms (IMF-fixdate, RFC 850, asctime),
 * converted to a delay from `now` (a date in the past gives 0). Clamped to
 * RETRY_AFTER_MAX_USEC. Returns 0, or -EINVAL when it is neither form. */
int retry_after_parse(const char *value, time_t now, uint64_t *ret_usec);
