/* date.c — validated calendar dates (see date.h).
 *
 * Arithmetic goes through a day count since 1970-01-01 in the proleptic
 * Gregorian calendar (Howard Hinnant's days_from_civil / civil_from_days),
 * so it never touches time zones, struct tm normalisation or the locale.
 * Only date_from_time() reads the local time zone. Pure otherwise. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/date.h"

#define DATE_YEAR_MIN 1900
#define DATE_YEAR_MAX 9999

static bool is_leap_year(int year) {
        return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int year, int month) {
        static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

        return month == 2 && is_leap_year(year) ? 29 : days[month - 1];
}

bool date_is_valid(int year, int month, int day) {
        return year >= DATE_YEAR_MIN && year <= DATE_YEAR_MAX && month >= 1 && month <= 12 &&
               day >= 1 && day <= days_in_month(year, month);
}

/* Exactly `n` ASCII digits at `s`. */
static bool parse_digits(const char *s, size_t n, int *ret) {
        int v = 0;

        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (s[i] - '0');
        }
        *ret = v;
        return true;
}

int date_parse(const char *s, Date *ret) {
        int y, m, d;

        if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
                return -EINVAL;
        if (!parse_digits(s, 4, &y) || !parse_digits(s + 5, 2, &m) || !parse_digits(s + 8, 2, &d))
                return -EINVAL;
        if (!date_is_valid(y, m, d))
                return -EINVAL;
        *ret = (Date) { .year = y, .month = m, .day = d };
        return 0;
}

/* Writes `n` digits of v, zero-padded; returns the end. */
static char *put_digits(char *p, int v, int n) {
        for (int i = n - 1; i >= 0; i--) {
                p[i] = (char) ('0' + v % 10);
                v /= 10;
        }
        return p + n;
}

static char *format_numeric(Date d, const char *separator, char *buf) {
        char *p = buf;

        assert(date_is_valid(d.year, d.month, d.day));
        p = put_digits(p, d.year, 4);
        p = stpcpy(p, separator);
        p = put_digits(p, d.month, 2);
        p = stpcpy(p, separator);
        p = put_digits(p, d.day, 2);
        *p = '\0';
        return buf;
}

char *date_format(Date d, char buf[static DATE_STRING_MAX]) {
        return format_numeric(d, "-", buf);
}

char *date_format_compact(Date d, char buf[static 9]) {
        return format_numeric(d, "", buf);
}

char *date_format_french(Date d, char buf[static 32]) {
        static const char *const months[12] = {
                "janvier", "février", "mars",      "avril",   "mai",      "juin",
                "juillet", "août",    "septembre", "octobre", "novembre", "décembre",
        };

        assert(date_is_valid(d.year, d.month, d.day));
        /* French writes the first day of a month as an ordinal: "1er mai". */
        snprintf(buf, 32, "%d%s %s %d", d.day, d.day == 1 ? "er" : "", months[d.month - 1], d.year);
        return buf;
}

int date_compare(Date a, Date b) {
        if (a.year != b.year)
                return a.year < b.year ? -1 : 1;
        if (a.month != b.month)
                return a.month < b.month ? -1 : 1;
        if (a.day != b.day)
                return a.day < b.day ? -1 : 1;
        return 0;
}

/* Years are counted from March so that the leap day ends the year: then the
 * day of the year follows from the month by one formula. */
int64_t date_to_days(Date d) {
        int64_t y = d.year - (d.month <= 2);
        int64_t era = (y >= 0 ? y : y - 399) / 400;
        int64_t yoe = y - era * 400;                                          /* [0, 399] */
        int64_t doy = (153 * (d.month + (d.month > 2 ? -3 : 9)) + 2) / 5 + d.day - 1; /* [0, 365] */
        int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                  /* [0, 146096] */

        return era * 146097 + doe - 719468;
}

Date date_from_days(int64_t days) {
        int64_t z = days + 719468;
        int64_t era = (z >= 0 ? z : z - 146096) / 146097;
        int64_t doe = z - era * 146097;
        int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        int64_t mp = (5 * doy + 2) / 153;
        int day = (int) (doy - (153 * mp + 2) / 5 + 1);
        int month = (int) (mp < 10 ? mp + 3 : mp - 9);
        int year = (int) (yoe + era * 400 + (month <= 2));
        Date d = { .year = year, .month = month, .day = day };

        /* Only dates inside DATE_YEAR_MIN..MAX exist: arithmetic that leaves
         * them is a bug in the caller. */
        assert(date_is_valid(d.year, d.month, d.day));
        return d;
}

Date date_add_days(Date d, int64_t days) {
        return date_from_days(date_to_days(d) + days);
}

int date_add_days_checked(Date d, int64_t days, Date *ret) {
        static const Date first = { DATE_YEAR_MIN, 1, 1 }, last = { DATE_YEAR_MAX, 12, 31 };
        int64_t n = date_to_days(d);

        /* Compared before adding: `days` may be anything, n + days must not
         * overflow. */
        if (days > date_to_days(last) - n || days < date_to_days(first) - n)
                return -ERANGE;
        *ret = date_from_days(n + days);
        return 0;
}

Date date_from_time(time_t t) {
        struct tm tm;

        if (!localtime_r(&t, &tm))
                return (Date) { .year = 1970, .month = 1, .day = 1 };
        return (Date) { .year = tm.tm_year + 1900, .month = tm.tm_mon + 1, .day = tm.tm_mday };
}
