/* date.h — validated calendar dates (proleptic Gregorian), no time zone.
 *
 * A Date is only ever created by date_parse() or the arithmetic here, so it
 * always names a real day ("2026-02-30" is rejected). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

typedef struct Date {
        int year;  /* 1900..9999 */
        int month; /* 1..12 */
        int day;   /* 1..days in month */
} Date;

#define DATE_STRING_MAX 11 /* "YYYY-MM-DD" + NUL */

/* Strict "YYYY-MM-DD". Returns 0 or -EINVAL. */
int date_parse(const char *s, Date *ret);
bool date_is_valid(int year, int month, int day);
/* "YYYY-MM-DD". Returns buf. */
char *date_format(Date d, char buf[static DATE_STRING_MAX]);
/* "YYYYMMDD": CII's format 102. Returns buf. */
char *date_format_compact(Date d, char buf[static 9]);
/* "10 décembre 2026", for readable documents. Returns buf. */
char *date_format_french(Date d, char buf[static 32]);
/* <0, 0, >0 as a is before, equal to, after b. */
int date_compare(Date a, Date b);
/* Days since 1970-01-01 (may be negative) and back. */
int64_t date_to_days(Date d);
Date date_from_days(int64_t days);
Date date_add_days(Date d, int64_t days);
/* The same for a count of days that may come from outside: returns 0, or
 * -ERANGE when the result would leave 1900..9999 (date_add_days() asserts). */
int date_add_days_checked(Date d, int64_t days, Date *ret);
/* The date of `t` in the local time zone. */
Date date_from_time(time_t t);
