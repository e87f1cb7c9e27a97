/* retry.c — exponential backoff with full jitter, a cap and Retry-After (see
 * retry.h). Pure: the caller brings the clock and the random number.
 *
 * Fails only in retry_after_parse(), with -EINVAL for a value that is
 * neither delay-seconds nor an HTTP-date. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/macro.h"
#include "chorus/retry.h"

uint64_t retry_ceiling(unsigned attempt, const RetryPolicy *policy) {
        uint64_t base = policy->base_usec, cap = policy->cap_usec;

        if (base == 0 || cap == 0)
                return 0;
        if (base >= cap)
                return cap;
        /* base << attempt would pass cap (or overflow): the cap wins. */
        if (attempt >= 63 || base > (cap >> attempt))
                return cap;
        return base << attempt;
}

uint64_t retry_next_delay(unsigned attempt, const RetryPolicy *policy, uint64_t retry_after_usec,
                          uint64_t random) {
        uint64_t ceiling = retry_ceiling(attempt, policy), delay;

        /* Full jitter: uniform in [0, ceiling]. The modulo bias is below
         * ceiling / 2^64, far under a microsecond. */
        delay = ceiling == UINT64_MAX ? random : random % (ceiling + 1);
        return delay > retry_after_usec ? delay : retry_after_usec;
}

bool retry_within_deadline(uint64_t now, uint64_t delay, uint64_t deadline) {
        return now <= deadline && delay <= deadline - now;
}

static const char *const month_names[12] = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

static int month_from_name(const char *s) {
        for (int i = 0; i < 12; i++)
                if (streq(s, month_names[i]))
                        return i;
        return -EINVAL;
}

static bool rest_is_blank(const char *s) {
        return s[strspn(s, " \t")] == '\0';
}

typedef struct HttpDateFields {
        char wday[16], mon[4];
        int day, year, hour, min, sec;
} HttpDateFields;

/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT". */
static bool imf_fixdate_scan(const char *s, HttpDateFields *f) {
        int n = -1;

        return sscanf(s, "%15[A-Za-z], %2d %3s %4d %2d:%2d:%2d GMT%n", f->wday, &f->day, f->mon,
                      &f->year, &f->hour, &f->min, &f->sec, &n) == 7 &&
               n > 0 && rest_is_blank(s + n);
}

/* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" (two-digit year). */
static bool rfc850_scan(const char *s, HttpDateFields *f) {
        int n = -1;

        if (sscanf(s, "%15[A-Za-z], %2d-%3s-%2d %2d:%2d:%2d GMT%n", f->wday, &f->day, f->mon,
                   &f->year, &f->hour, &f->min, &f->sec, &n) != 7 ||
            n <= 0 || !rest_is_blank(s + n))
                return false;
        f->year += f->year < 70 ? 2000 : 1900;
        return true;
}

/* asctime: "Sun Nov  6 08:49:37 1994". */
static bool asctime_scan(const char *s, HttpDateFields *f) {
        int n = -1;

        return sscanf(s, "%3s %3s %2d %2d:%2d:%2d %4d%n", f->wday, f->mon, &f->day, &f->hour,
                      &f->min, &f->sec, &f->year, &n) == 7 &&
               n > 0 && rest_is_blank(s + n);
}

/* The three HTTP-date forms of RFC 9110 §5.6.7, always GMT. */
static int http_date_parse(const char *s, time_t *ret) {
        HttpDateFields f = {};
        struct tm tm;
        time_t t;
        int month;

        if (!imf_fixdate_scan(s, &f) && !rfc850_scan(s, &f) && !asctime_scan(s, &f))
                return -EINVAL;

        month = month_from_name(f.mon);
        if (month < 0 || f.year < 1970 || f.day < 1 || f.day > 31 || f.hour < 0 || f.hour > 23 ||
            f.min < 0 || f.min > 59 || f.sec < 0 || f.sec > 60)
                return -EINVAL;
        tm = (struct tm){ .tm_year = f.year - 1900, .tm_mon = month, .tm_mday = f.day,
                          .tm_hour = f.hour, .tm_min = f.min, .tm_sec = f.sec };
        t = timegm(&tm);
        if (t == (time_t) -1 || tm.tm_mday != f.day) /* "31 Feb" was normalised away */
                return -EINVAL;
        *ret = t;
        return 0;
}

static int delay_seconds_parse(const char *s, uint64_t *ret_usec) {
        size_t n = strspn(s, "0123456789");
        uint64_t v = 0;

        if (n == 0 || !rest_is_blank(s + n))
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                v = v * 10 + (uint64_t) (s[i] - '0');
                if (v > RETRY_AFTER_MAX_USEC / USEC_PER_SEC) {
                        *ret_usec = RETRY_AFTER_MAX_USEC;
                        return 0;
                }
        }
        *ret_usec = v * USEC_PER_SEC;
        return 0;
}

int retry_after_parse(const char *value, time_t now, uint64_t *ret_usec) {
        const char *s;
        time_t when;
        uint64_t usec;
        int r;

        if (!value)
                return -EINVAL;
        s = value + strspn(value, " \t");
        if (*s >= '0' && *s <= '9')
                return delay_seconds_parse(s, ret_usec);

        r = http_date_parse(s, &when);
        if (r < 0)
                return r;
        if (when <= now)
                usec = 0;
        else if ((uint64_t) (when - now) > RETRY_AFTER_MAX_USEC / USEC_PER_SEC)
                usec = RETRY_AFTER_MAX_USEC;
        else
                usec = (uint64_t) (when - now) * USEC_PER_SEC;
        *ret_usec = usec;
        return 0;
}
