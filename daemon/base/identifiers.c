/* identifiers.c — syntax and check-digit validation of identifiers (see
 * identifiers.h): SIRET (Luhn), IBAN (ISO 13616 mod 97), BIC (ISO 9362),
 * country codes, Chorus Pro service codes and engagements, and strict UTF-8.
 *
 * Pure: no I/O, no allocation, no logging. Every function takes a
 * NUL-terminated string (or a buffer and its size) and answers yes or no;
 * NULL is always "no". The callers own the error messages, because only they
 * know which file and field the value came from. */
#include <stdint.h>
#include <string.h>

#include "base/identifiers.h"
#include "base/macro.h"

#define IDENTIFIER_MAX 64
#define IBAN_MIN 15 /* Norway */
#define IBAN_MAX 34 /* ISO 13616 */
#define SERVICE_CODE_MAX 100
#define ENGAGEMENT_MAX 50

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}
static bool is_upper(char c) {
        return c >= 'A' && c <= 'Z';
}
static bool is_lower(char c) {
        return c >= 'a' && c <= 'z';
}
static bool is_alnum(char c) {
        return is_digit(c) || is_upper(c) || is_lower(c);
}

bool identifier_is_valid(const char *s) {
        size_t n;

        if (!s)
                return false;
        n = strlen(s);
        if (n == 0 || n > IDENTIFIER_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!is_alnum(s[i]) && !strchr("._-", s[i]))
                        return false;
        return true;
}

static bool all_digits(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (!is_digit(s[i]))
                        return false;
        return true;
}

static bool luhn_ok(const char *s, size_t n) {
        unsigned sum = 0;

        /* From the right, every second digit is doubled. */
        for (size_t i = 0; i < n; i++) {
                unsigned d = (unsigned) (s[n - 1 - i] - '0');
                if (i % 2 == 1) {
                        d *= 2;
                        if (d > 9)
                                d -= 9;
                }
                sum += d;
        }
        return sum % 10 == 0;
}

/* INSEE's one exception: La Poste's establishments share the SIREN
 * 356000000 and, having more than can fit under a Luhn key, their SIRETs are
 * checked by "sum of the digits is a multiple of 5" instead. */
static bool la_poste_siret_ok(const char *s) {
        unsigned sum = 0;

        if (strncmp(s, "356000000", 9) != 0)
                return false;
        for (size_t i = 0; i < 14; i++)
                sum += (unsigned) (s[i] - '0');
        return sum % 5 == 0;
}

bool siret_is_valid(const char *s) {
        if (!s || strlen(s) != 14 || !all_digits(s, 14))
                return false;
        /* domain.md §2: the Luhn check over all 14 digits. (The SIREN's own
         * key is not checked separately: the contract does not ask for it.) */
        return luhn_ok(s, 14) || la_poste_siret_ok(s);
}

/* IBAN lengths of the SEPA countries and a few others (SWIFT IBAN registry).
 * A country not listed here is held to the general 15..34 bounds only. */
static const struct {
        char country[3];
        unsigned char length;
} iban_lengths[] = {
        { "AD", 24 }, { "AT", 20 }, { "BE", 16 }, { "BG", 22 }, { "CH", 21 }, { "CY", 28 },
        { "CZ", 24 }, { "DE", 22 }, { "DK", 18 }, { "EE", 20 }, { "ES", 24 }, { "FI", 18 },
        { "FR", 27 }, { "GB", 22 }, { "GI", 23 }, { "GR", 27 }, { "HR", 21 }, { "HU", 28 },
        { "IE", 22 }, { "IS", 26 }, { "IT", 27 }, { "LI", 21 }, { "LT", 20 }, { "LU", 20 },
        { "LV", 21 }, { "MC", 27 }, { "MT", 31 }, { "NL", 18 }, { "NO", 15 }, { "PL", 28 },
        { "PT", 25 }, { "RO", 24 }, { "SE", 24 }, { "SI", 19 }, { "SK", 24 }, { "SM", 27 },
        { "VA", 22 },
};

static bool iban_length_ok(const char *iban, size_t n) {
        if (n < IBAN_MIN || n > IBAN_MAX)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(iban_lengths); i++)
                if (memcmp(iban, iban_lengths[i].country, 2) == 0)
                        return n == iban_lengths[i].length;
        return true;
}

int iban_normalize(const char *s, char *buf, size_t size) {
        char out[IBAN_MAX + 1];
        size_t n = 0;

        if (!s || !buf)
                return -EINVAL;
        /* Spaces may separate groups (the printed form "FR76 3000 …"), but
         * not lead, trail or come in pairs. */
        for (size_t i = 0; s[i]; i++) {
                char c = s[i];
                if (c == ' ') {
                        if (i == 0 || s[i + 1] == '\0' || s[i + 1] == ' ')
                                return -EINVAL;
                        continue;
                }
                if (!is_alnum(c) || n >= IBAN_MAX)
                        return -EINVAL;
                out[n++] = is_lower(c) ? (char) (c - 'a' + 'A') : c;
        }
        out[n] = '\0';
        if (n + 1 > size)
                return -EINVAL;
        memcpy(buf, out, n + 1);
        return 0;
}

/* ISO 7064 mod 97-10 over the IBAN rearranged (first four characters moved
 * to the end, letters as 10..35), computed digit by digit so no big number
 * is needed. */
static unsigned iban_mod97(const char *iban, size_t n) {
        unsigned m = 0;

        for (size_t k = 0; k < n; k++) {
                char c = iban[(k + 4) % n];
                if (is_digit(c))
                        m = (m * 10 + (unsigned) (c - '0')) % 97;
                else
                        m = (m * 100 + (unsigned) (c - 'A' + 10)) % 97;
        }
        return m;
}

bool iban_is_valid(const char *s) {
        char iban[IBAN_MAX + 1];
        size_t n;

        if (iban_normalize(s, iban, sizeof iban) < 0)
                return false;
        n = strlen(iban);
        if (!iban_length_ok(iban, n))
                return false;
        if (!is_upper(iban[0]) || !is_upper(iban[1]) || !is_digit(iban[2]) || !is_digit(iban[3]))
                return false;
        /* Check digits are 02..98 by construction (98 - remainder). */
        if (memcmp(iban + 2, "00", 2) == 0 || memcmp(iban + 2, "01", 2) == 0 ||
            memcmp(iban + 2, "99", 2) == 0)
                return false;
        return iban_mod97(iban, n) == 1;
}

bool bic_is_valid(const char *s) {
        size_t n;

        if (!s)
                return false;
        n = strlen(s);
        if (n != 8 && n != 11)
                return false;
        for (size_t i = 0; i < n; i++) {
                bool ok = i < 6 ? is_upper(s[i]) : is_upper(s[i]) || is_digit(s[i]);
                if (!ok)
                        return false;
        }
        return true;
}

/* The 249 officially assigned ISO 3166-1 alpha-2 codes (ISO 3166/MA, as
 * Debian's iso-codes 4.15 lists them): for each first letter, the second
 * letters. Reserved and user-assigned codes (XK, UK, EL, EU, XX…) are not
 * countries: an invoice cannot carry them (EN 16931 BT-40, BT-55). */
static const char *const iso3166_alpha2[26] = {
        ['A' - 'A'] = "DEFGILMOQRSTUWXZ",
        ['B' - 'A'] = "ABDEFGHIJLMNOQRSTVWYZ",
        ['C' - 'A'] = "ACDFGHIKLMNORUVWXYZ",
        ['D' - 'A'] = "EJKMOZ",
        ['E' - 'A'] = "CEGHRST",
        ['F' - 'A'] = "IJKMOR",
        ['G' - 'A'] = "ABDEFGHILMNPQRSTUWY",
        ['H' - 'A'] = "KMNRTU",
        ['I' - 'A'] = "DELMNOQRST",
        ['J' - 'A'] = "EMOP",
        ['K' - 'A'] = "EGHIMNPRWYZ",
        ['L' - 'A'] = "ABCIKRSTUVY",
        ['M' - 'A'] = "ACDEFGHKLMNOPQRSTUVWXYZ",
        ['N' - 'A'] = "ACEFGILOPRUZ",
        ['O' - 'A'] = "M",
        ['P' - 'A'] = "AEFGHKLMNRSTWY",
        ['Q' - 'A'] = "A",
        ['R' - 'A'] = "EOSUW",
        ['S' - 'A'] = "ABCDEGHIJKLMNORSTVXYZ",
        ['T' - 'A'] = "CDFGHJKLMNORTVWZ",
        ['U' - 'A'] = "AGMSYZ",
        ['V' - 'A'] = "ACEGINU",
        ['W' - 'A'] = "FS",
        ['X' - 'A'] = "",
        ['Y' - 'A'] = "ET",
        ['Z' - 'A'] = "AMW",
};

bool country_code_is_valid(const char *s) {
        if (!s || !is_upper(s[0]) || !is_upper(s[1]) || s[2] != '\0')
                return false;
        return strchr(iso3166_alpha2[s[0] - 'A'], s[1]) != NULL;
}

bool vatex_code_is_valid(const char *s) {
        size_t n = s ? strlen(s) : 0;

        if (n <= 6 || n > 30 || strncmp(s, "VATEX-", 6) != 0 || s[n - 1] == '-')
                return false;
        return strspn(s + 6, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") == n - 6;
}

size_t utf8_encode(uint32_t cp, char ret[static 4]) {
        if (cp < 0x80) {
                ret[0] = (char) cp;
                return 1;
        }
        if (cp < 0x800) {
                ret[0] = (char) (0xC0 | (cp >> 6));
                ret[1] = (char) (0x80 | (cp & 0x3F));
                return 2;
        }
        if (cp < 0x10000) {
                ret[0] = (char) (0xE0 | (cp >> 12));
                ret[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
                ret[2] = (char) (0x80 | (cp & 0x3F));
                return 3;
        }
        ret[0] = (char) (0xF0 | (cp >> 18));
        ret[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
        ret[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
        ret[3] = (char) (0x80 | (cp & 0x3F));
        return 4;
}

size_t utf8_decode(const char *text, size_t n, uint32_t *ret_cp) {
        static const uint32_t min_for_length[5] = { 0, 0, 0x80, 0x800, 0x10000 };
        const unsigned char *s = (const unsigned char *) text;
        uint32_t cp;
        size_t len;

        if (n == 0)
                return 0;
        if (s[0] < 0x80) {
                *ret_cp = s[0];
                return 1;
        }
        if ((s[0] & 0xE0) == 0xC0) {
                len = 2;
                cp = s[0] & 0x1F;
        } else if ((s[0] & 0xF0) == 0xE0) {
                len = 3;
                cp = s[0] & 0x0F;
        } else if ((s[0] & 0xF8) == 0xF0) {
                len = 4;
                cp = s[0] & 0x07;
        } else
                return 0; /* a continuation byte, or 0xF8..0xFF */
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xC0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3F);
        }
        if (cp < min_for_length[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                return 0;
        *ret_cp = cp;
        return len;
}

size_t utf8_char_start(const char *s, size_t i) {
        while (i > 0 && ((unsigned char) s[i] & 0xC0) == 0x80)
                i--;
        return i;
}

size_t utf8_control_len(const char *s) {
        const unsigned char *p = (const unsigned char *) s;

        if (p[0] == 0)
                return 0;
        if (p[0] < 0x20 || p[0] == 0x7F)
                return 1;
        return p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F ? 2 : 0;
}

/* What must not be in one line of text that goes into an invoice: a
 * control (C0 with TAB and LF, DEL, C1 with U+0085 NEL), a line or
 * paragraph separator, or a bidirectional control, which would reorder
 * what a reader sees without changing what is stored. */
static bool breaks_a_line(uint32_t cp) {
        return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
               (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

uint32_t utf8_line_forbidden(const char *s) {
        size_t left = strlen(s);

        while (left > 0) {
                uint32_t cp;
                size_t k = utf8_decode(s, left, &cp);

                if (k == 0)
                        return 0; /* malformed: utf8_validate() reports it */
                if (breaks_a_line(cp))
                        return cp;
                s += k;
                left -= k;
        }
        return 0;
}

static bool is_c0_control(uint32_t cp) {
        return cp < 0x20;
}
static bool is_any_control(uint32_t cp) {
        return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
}

/* Calls `accept` on every code point of the NUL-terminated s; false if the
 * string is malformed, refused by `accept`, empty or longer than max_chars
 * code points. */
static bool utf8_each(const char *s, size_t max_chars, bool (*accept)(uint32_t cp)) {
        const char *p = s;
        size_t left, chars = 0;

        if (!s)
                return false;
        left = strlen(s);
        while (left > 0) {
                uint32_t cp;
                size_t len = utf8_decode(p, left, &cp);
                if (len == 0 || !accept(cp) || ++chars > max_chars)
                        return false;
                p += len;
                left -= len;
        }
        return chars > 0;
}

int utf8_validate(const char *s, size_t size, size_t *reterr_offset) {
        if (!s)
                return size == 0 ? 0 : -EINVAL;
        for (size_t i = 0; i < size;) {
                uint32_t cp;
                size_t len;

                /* Eight ASCII bytes at a time (most of a bilan or a
                 * configuration): a byte below 0x80 is a whole character. */
                if (size - i >= 8) {
                        uint64_t w;
                        memcpy(&w, s + i, 8);
                        if ((w & UINT64_C(0x8080808080808080)) == 0) {
                                i += 8;
                                continue;
                        }
                }
                len = utf8_decode(s + i, size - i, &cp);
                if (len == 0) {
                        if (reterr_offset)
                                *reterr_offset = i;
                        return -EILSEQ;
                }
                i += len;
        }
        return 0;
}

bool utf8_text_is_valid(const char *s, size_t size) {
        if (utf8_validate(s, size, /* reterr_offset= */ NULL) < 0)
                return false;
        /* In well-formed UTF-8 a byte below 0x80 is always a whole code
         * point, so the controls can be looked for byte by byte. */
        for (size_t i = 0; i < size; i++) {
                /* Eight bytes at a time while none is below 0x20 (a word
                 * test, exact: it flags wrongly only after a true hit). */
                while (size - i >= 8) {
                        const uint64_t ones = UINT64_C(0x0101010101010101);
                        uint64_t w;
                        memcpy(&w, s + i, 8);
                        if (((w - ones * 0x20) & ~w & (ones * 0x80)) != 0)
                                break;
                        i += 8;
                }
                if (i < size && is_c0_control((unsigned char) s[i]) && s[i] != '\t' && s[i] != '\n' &&
                    s[i] != '\r')
                        return false;
        }
        return true;
}

/* Letters of the Latin scripts as written in French public bodies' service
 * names (É, è, ç, œ, …): ASCII letters, the letters of Latin-1 Supplement
 * (not × and ÷), Latin Extended-A and -B, and Latin Extended Additional. */
static bool is_latin_letter(uint32_t cp) {
        if (cp < 0x80)
                return is_upper((char) cp) || is_lower((char) cp);
        if (cp >= 0xC0 && cp <= 0xFF)
                return cp != 0xD7 && cp != 0xF7;
        return (cp >= 0x100 && cp <= 0x24F) || (cp >= 0x1E00 && cp <= 0x1EFF);
}

static bool service_code_char_ok(uint32_t cp) {
        return is_latin_letter(cp) || (cp >= '0' && cp <= '9') || cp == '_' || cp == '-' ||
               cp == ' ';
}

bool service_code_is_valid(const char *s) {
        return utf8_each(s, SERVICE_CODE_MAX, service_code_char_ok);
}

static bool engagement_char_ok(uint32_t cp) {
        return !is_any_control(cp);
}

bool engagement_is_valid(const char *s) {
        return utf8_each(s, ENGAGEMENT_MAX, engagement_char_ok);
}
