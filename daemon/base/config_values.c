/* config_values.c — the checks of single values that config_keys[] names
 * (tokens, e-mail, VAT number, https URL, paths…), the number and size
 * syntax ("64M"), and the invoice number built from the prefix. Part of the
 * config module (config_internal.h).
 *
 * Pure: a check says yes or no and the caller (config.c) reports where and
 * what was expected; a parser returns -EINVAL (not a number), -ERANGE (too
 * big) or -ENOMEM. */
#include <assert.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "base/identifiers.h"
#include "base/config_internal.h"

/* ---- value checks used by the table ---- */

static bool is_printable_ascii_token(const char *s) {
        for (; *s; s++)
                if (*s <= ' ' || *s >= 0x7F)
                        return false;
        return true;
}

bool utf8_line_is_valid(const char *s) {
        return strlen(s) <= STRING_MAX && utf8_text_is_valid(s, strlen(s)) && !strpbrk(s, "\t\r");
}

bool token_is_valid(const char *s) {
        return strlen(s) <= TOKEN_MAX && is_printable_ascii_token(s);
}

bool number_prefix_is_valid(const char *s) {
        if (strlen(s) > NUMBER_PREFIX_MAX)
                return false;
        return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./-") ==
               strlen(s);
}

/* Chorus Pro takes a credit transfer, SEPA or not, as code 30 only: 58
 * (SEPA credit transfer) was accepted here once, and is now an error. */
bool payment_means_is_valid(const char *s) {
        return streq(s, "30");
}

bool all_digits(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (s[i] < '0' || s[i] > '9')
                        return false;
        return true;
}

/* EN 16931 BT-31: a country prefix and up to 12 characters. A French one is
 * "FR" + a two-digit key + the SIREN, key = (12 + 3 × (SIREN mod 97)) mod 97. */
bool vat_id_is_valid(const char *s) {
        size_t n = strlen(s);
        unsigned long siren, key;

        if (n < 4 || n > 14 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z')
                return false;
        if (strspn(s + 2, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != n - 2)
                return false;
        if (strncmp(s, "FR", 2) != 0 || !all_digits(s + 2, 2))
                return true;
        if (n != 13 || !all_digits(s + 4, 9))
                return false;
        siren = strtoul(s + 4, NULL, 10);
        key = (unsigned long) (s[2] - '0') * 10 + (unsigned long) (s[3] - '0');
        return key == (12 + 3 * (siren % 97)) % 97;
}

/* Deliberately simple: one '@', something before it, a dotted domain of
 * letters, digits and hyphens after it. */
bool email_is_valid(const char *s) {
        const char *at = strchr(s, '@');
        const char *domain;

        if (strlen(s) > EMAIL_MAX || !is_printable_ascii_token(s))
                return false;
        if (!at || at == s || strchr(at + 1, '@'))
                return false;
        domain = at + 1;
        if (!strchr(domain, '.') || domain[0] == '.' || domain[0] == '-' ||
            domain[strlen(domain) - 1] == '.' || strstr(domain, ".."))
                return false;
        return strspn(domain, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-") ==
               strlen(domain);
}

bool https_url_is_valid(const char *s) {
        const char *host = s + strlen("https://");

        if (strncmp(s, "https://", strlen("https://")) != 0 || strlen(s) > URL_MAX)
                return false;
        return *host && *host != '/' && is_printable_ascii_token(s);
}

bool smtp_url_is_valid(const char *s) {
        const char *host;

        if (strncmp(s, "smtp://", 7) == 0)
                host = s + 7;
        else if (strncmp(s, "smtps://", 8) == 0)
                host = s + 8;
        else
                return false;
        return strlen(s) <= URL_MAX && *host && *host != '/' && is_printable_ascii_token(s);
}

/* "a@example.org, b@example.org": at least one, each valid. */
bool email_list_is_valid(const char *s) {
        size_t n = 0;

        if (strlen(s) > URL_MAX)
                return false;
        while (*s) {
                char one[EMAIL_MAX + 2];
                size_t len;

                s += strspn(s, " ");
                len = strcspn(s, ",");
                while (len > 0 && s[len - 1] == ' ')
                        len--;
                if (len == 0 || len > EMAIL_MAX)
                        return false;
                memcpy(one, s, len);
                one[len] = '\0';
                if (!email_is_valid(one))
                        return false;
                n++;
                s += strcspn(s, ",");
                if (*s == ',') {
                        s++;
                        if (!*(s + strspn(s, " ")))
                                return false;
                }
        }
        return n > 0;
}

bool absolute_path_is_valid(const char *s) {
        return s[0] == '/' && strlen(s) < PATH_MAX;
}

int parse_uint64(const char *s, uint64_t *ret) {
        uint64_t v = 0;

        if (!*s)
                return -EINVAL;
        for (; *s; s++) {
                unsigned d;
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                d = (unsigned) (*s - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *ret = v;
        return 0;
}

/* "1048576", "1024K", "64M", "1G": binary multiples, one upper-case letter. */
int parse_size(const char *s, uint64_t *ret) {
        static const char suffixes[] = "KMGT";
        _cleanup_(freep) char *digits = NULL;
        size_t n = strlen(s);
        uint64_t v, factor = 1;
        const char *suffix;
        int r;

        if (n == 0)
                return -EINVAL;
        suffix = strchr(suffixes, s[n - 1]);
        if (suffix && *suffix) {
                for (const char *x = suffixes; x <= suffix; x++)
                        factor *= 1024;
                n--;
        }
        digits = strndup(s, n);
        if (!digits)
                return -ENOMEM;
        r = parse_uint64(digits, &v);
        if (r < 0)
                return r;
        if (v > UINT64_MAX / factor)
                return -ERANGE;
        *ret = v * factor;
        return 0;
}

/* 1048576 -> "1M", 1000 -> "1000". */
const char *format_size(uint64_t v, char buf[static 32]) {
        static const char suffixes[] = "KMGT";
        size_t i = 0;

        while (v >= 1024 && v % 1024 == 0 && i < strlen(suffixes)) {
                v /= 1024;
                i++;
        }
        if (i == 0)
                snprintf(buf, 32, "%" PRIu64, v);
        else
                snprintf(buf, 32, "%" PRIu64 "%c", v, suffixes[i - 1]);
        return buf;
}

/* True if one directory is the other or inside it. */
bool paths_overlap(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b), n;

        while (la > 1 && a[la - 1] == '/')
                la--;
        while (lb > 1 && b[lb - 1] == '/')
                lb--;
        n = la < lb ? la : lb;
        if (strncmp(a, b, n) != 0)
                return false;
        return la == lb || (la < lb ? b[n] == '/' : a[n] == '/') || n == 1;
}

int config_format_invoice_number(const Config *c, int year, uint64_t sequence,
                                 char buf[static INVOICE_NUMBER_MAX + 1]) {
        char tmp[INVOICE_NUMBER_MAX + 32];
        int n;

        assert(c);
        if (year < 1000 || year > 9999)
                return -EINVAL;
        n = snprintf(tmp, sizeof tmp, "%s%d-%04" PRIu64, strempty(c->invoice.number_prefix), year,
                     sequence);
        if (n < 0 || (size_t) n > INVOICE_NUMBER_MAX)
                return -ERANGE;
        memcpy(buf, tmp, (size_t) n + 1);
        return 0;
}
