/* test_identifiers.c — known-good and known-bad values for every validator
 * of identifiers.h. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "base/identifiers.h"
#include "base/macro.h"

typedef struct Case {
        const char *label;
        const char *input;
        bool valid;
} Case;

static void check_all(const char *what, bool (*f)(const char *), const Case *cases, size_t n) {
        for (size_t i = 0; i < n; i++)
                cr_expect_eq(f(cases[i].input), cases[i].valid, "%s %s (%s): expected %s", what,
                             cases[i].label, strempty(cases[i].input),
                             cases[i].valid ? "valid" : "invalid");
}

#define CHECK_ALL(f, cases) check_all(#f, f, cases, ELEMENTSOF(cases))

Test(identifiers, identifier) {
        static const Case cases[] = {
                { "convention id", "CDCMC-2026", true },
                { "all allowed characters", "a.b_c-D9", true },
                { "one character", "x", true },
                { "64 characters",
                  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true },
                { "65 characters",
                  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false },
                { "empty", "", false },
                { "NULL", NULL, false },
                { "space", "a b", false },
                { "slash", "a/b", false },
                { "accent", "café", false },
                { "colon", "a:b", false },
        };
        CHECK_ALL(identifier_is_valid, cases);
}

Test(identifiers, siret) {
        static const Case cases[] = {
                { "CMA Hérault", "13002602400013", true },
                { "CC Minervois", "20003478300015", true },
                { "bilan ref", "41234567000019", true },
                { "La Poste head office", "35600000000048", true },
                { "La Poste establishment (digit sum multiple of 5)", "35600000049837", true },
                { "La Poste, bad digit sum", "35600000049838", false },
                { "last digit changed", "13002602400014", false },
                { "two digits swapped", "13002602400031", false },
                { "13 digits", "1300260240001", false },
                { "15 digits", "130026024000130", false },
                { "spaces", "130 026 024 00013", false },
                { "letter", "1300260240001A", false },
                { "empty", "", false },
                { "NULL", NULL, false },
        };
        CHECK_ALL(siret_is_valid, cases);
}

Test(identifiers, iban) {
        static const Case cases[] = {
                { "seed FR", "FR7630001007941234567890185", true },
                { "grouped by four", "FR76 3000 1007 9412 3456 7890 185", true },
                { "lower case", "fr7630001007941234567890185", true },
                { "German", "DE89370400440532013000", true },
                { "Belgian (16)", "BE68539007547034", true },
                { "Norwegian (15)", "NO9386011117947", true },
                { "unlisted country (BR)", "BR1800360305000010009795493C1", true },
                { "wrong check digits", "FR7630001007941234567890186", false },
                { "check digits 00", "FR0030001007941234567890185", false },
                { "FR too short", "FR763000100794123456789018", false },
                { "FR too long", "FR76300010079412345678901850", false },
                { "leading space", " FR7630001007941234567890185", false },
                { "trailing space", "FR7630001007941234567890185 ", false },
                { "double space", "FR76  3000 1007 9412 3456 7890 185", false },
                { "hyphens", "FR76-3000-1007-9412-3456-7890-185", false },
                { "digits in country", "F27630001007941234567890185", false },
                { "too long overall", "FR76300010079412345678901851234567890", false },
                { "empty", "", false },
                { "NULL", NULL, false },
        };
        CHECK_ALL(iban_is_valid, cases);
}

Test(identifiers, iban_normalize) {
        char buf[35];

        cr_assert_eq(iban_normalize("fr76 3000 1007 9412 3456 7890 185", buf, sizeof buf), 0);
        cr_expect_str_eq(buf, "FR7630001007941234567890185");
        cr_expect_eq(iban_normalize("FR76  3000", buf, sizeof buf), -EINVAL);
        cr_expect_eq(iban_normalize("FR76.3000", buf, sizeof buf), -EINVAL);
        /* Too small a buffer is refused, not truncated. */
        cr_expect_eq(iban_normalize("FR7630001007941234567890185", buf, 27), -EINVAL);
        cr_expect_eq(iban_normalize("FR7630001007941234567890185", buf, 28), 0);
}

Test(identifiers, bic) {
        static const Case cases[] = {
                { "11 characters", "BDFEFRPPXXX", true },
                { "8 characters", "BDFEFRPP", true },
                { "digits in location", "DEUTDEFF500", true },
                { "9 characters", "BDFEFRPPX", false },
                { "lower case", "bdfefrppxxx", false },
                { "digit in bank code", "BDF1FRPPXXX", false },
                { "digit in country", "BDFEF1PPXXX", false },
                { "12 characters", "BDFEFRPPXXXX", false },
                { "empty", "", false },
                { "NULL", NULL, false },
        };
        CHECK_ALL(bic_is_valid, cases);
}

Test(identifiers, country_code) {
        static const Case cases[] = {
                { "FR", "FR", true },     { "BE", "BE", true },  { "lower", "fr", false },
                { "three", "FRA", false }, { "one", "F", false }, { "digit", "F1", false },
                { "empty", "", false },   { "NULL", NULL, false },
                /* officially assigned, first and last of the table, overseas */
                { "AD", "AD", true },     { "ZW", "ZW", true },  { "GF", "GF", true },
                { "RE", "RE", true },     { "BQ", "BQ", true },  { "SS", "SS", true },
                /* two letters, but no country */
                { "XX", "XX", false },    { "AA", "AA", false }, { "ZZ", "ZZ", false },
                { "Kosovo (user-assigned)", "XK", false },
                { "UK (exceptionally reserved)", "UK", false },
                { "EL (Greek VAT prefix)", "EL", false },
                { "EU (exceptionally reserved)", "EU", false },
                { "AN (withdrawn)", "AN", false },
        };
        CHECK_ALL(country_code_is_valid, cases);
}

Test(identifiers, service_code) {
        static const Case cases[] = {
                { "seed", "ECO", true },
                { "accents and space", "Service Économie — no", false }, /* em dash */
                { "accented letters", "Développement économique", true },
                { "œ and ç", "Cœur de ville Français", true },
                { "digits, _ and -", "SRV_01-a", true },
                { "100 characters", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true },
                { "100 accented characters (200 bytes)", "éééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé", true },
                { "101 characters", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false },
                { "slash", "ECO/2026", false },
                { "dot", "E.C.O", false },
                { "multiplication sign", "A×B", false },
                { "tab", "A\tB", false },
                { "invalid UTF-8", "\xC3", false },
                { "empty", "", false },
                { "NULL", NULL, false },
        };
        CHECK_ALL(service_code_is_valid, cases);
}

Test(identifiers, engagement) {
        static const Case cases[] = {
                { "seed", "EJ-2026-0042", true },
                { "spaces and punctuation", "EJ 2026/42 (marché n°7)", true },
                { "50 characters", "12345678901234567890123456789012345678901234567890", true },
                { "51 characters", "123456789012345678901234567890123456789012345678901", false },
                { "newline", "EJ\n42", false },
                { "tab", "EJ\t42", false },
                { "DEL", "EJ\x7F", false },
                { "C1 control (U+0085)", "EJ\xC2\x85", false },
                { "overlong", "EJ\xC0\xAF", false },
                { "empty", "", false },
                { "NULL", NULL, false },
        };
        CHECK_ALL(engagement_is_valid, cases);
}

typedef struct Utf8Case {
        const char *label;
        const char *bytes;
        size_t size;
        bool valid;
} Utf8Case;

#define U(label, s, valid) { label, s, sizeof(s) - 1, valid }

Test(identifiers, utf8_text) {
        static const Utf8Case cases[] = {
                U("ASCII", "Hello", true),
                U("empty", "", true),
                U("tab LF CR", "a\tb\nc\r\n", true),
                U("2-byte é", "caf\xC3\xA9", true),
                U("3-byte €", "\xE2\x82\xAC", true),
                U("4-byte emoji", "\xF0\x9F\x98\x80", true),
                U("U+10FFFF", "\xF4\x8F\xBF\xBF", true),
                U("U+FFFD", "\xEF\xBF\xBD", true),
                U("BOM", "\xEF\xBB\xBF" "a", true),
                U("NUL", "a\0b", false),
                U("ESC", "a\x1B", false),
                U("BEL", "\x07", false),
                U("overlong /", "\xC0\xAF", false),
                U("overlong NUL", "\xC0\x80", false),
                U("overlong 3-byte", "\xE0\x80\xAF", false),
                U("overlong 4-byte", "\xF0\x80\x80\xAF", false),
                U("surrogate D800", "\xED\xA0\x80", false),
                U("surrogate DFFF", "\xED\xBF\xBF", false),
                U("above U+10FFFF", "\xF4\x90\x80\x80", false),
                U("F5 lead byte", "\xF5\x80\x80\x80", false),
                U("FF byte", "\xFF", false),
                U("lone continuation", "\x80", false),
                U("truncated 2-byte", "caf\xC3", false),
                U("truncated 3-byte", "\xE2\x82", false),
                U("truncated 4-byte", "\xF0\x9F\x98", false),
                U("bad continuation", "\xC3\x28", false),
                U("5-byte form", "\xF8\x88\x80\x80\x80", false),
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                cr_expect_eq(utf8_text_is_valid(cases[i].bytes, cases[i].size), cases[i].valid,
                             "utf8_text_is_valid %s: expected %s", cases[i].label,
                             cases[i].valid ? "valid" : "invalid");
}

typedef struct Utf8OffsetCase {
        const char *label;
        const char *bytes;
        size_t size;
        int expected;
        size_t bad_offset; /* when expected is -EILSEQ */
} Utf8OffsetCase;

#define O(label, s, expected, offset) { label, s, sizeof(s) - 1, expected, offset }

Test(identifiers, utf8_validate_offsets) {
        static const Utf8OffsetCase cases[] = {
                O("ASCII", "Hello", 0, 0),
                O("empty", "", 0, 0),
                O("controls are well-formed", "a\0b\x1B", 0, 0),
                O("accented", "caf\xC3\xA9 cr\xC3\xA8me", 0, 0),
                O("4-byte", "a\xF0\x9F\x98\x80" "b", 0, 0),
                O("Latin-1 byte", "Service \xE9" "conomie", -EILSEQ, 8),
                O("first of two", "ab\xFF\xC3\xA9\xFF", -EILSEQ, 2),
                O("after a 3-byte", "\xE2\x82\xAC\x80", -EILSEQ, 3),
                O("overlong", "x\xC0\xAF", -EILSEQ, 1),
                O("surrogate", "xy\xED\xA0\x80", -EILSEQ, 2),
                O("above U+10FFFF", "\xF4\x90\x80\x80", -EILSEQ, 0),
                O("truncated at the end", "caf\xC3", -EILSEQ, 3),
                O("bad continuation", "ab\xC3\x28", -EILSEQ, 2),
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                size_t offset = SIZE_MAX;

                cr_expect_eq(utf8_validate(cases[i].bytes, cases[i].size, &offset), cases[i].expected, "%s",
                             cases[i].label);
                if (cases[i].expected < 0)
                        cr_expect_eq(offset, cases[i].bad_offset, "%s: offset %zu", cases[i].label, offset);
                else
                        cr_expect_eq(offset, SIZE_MAX, "%s: offset set on success", cases[i].label);
        }
        cr_expect_eq(utf8_validate("\xFF", 1, /* reterr_offset= */ NULL), -EILSEQ);
        cr_expect_eq(utf8_validate(NULL, 0, NULL), 0);
        cr_expect_eq(utf8_validate(NULL, 1, NULL), -EINVAL);
}

/* utf8_validate() skips ASCII eight bytes at a time: a bad or truncated
 * sequence after any number of ASCII bytes, at any alignment, is still found
 * at its offset, and a good one still passes. */
Test(identifiers, utf8_validate_after_ascii_runs) {
        char buf[64];

        for (size_t k = 0; k + 5 < sizeof buf; k++) {
                size_t offset = SIZE_MAX;

                memset(buf, 'a', sizeof buf);
                memcpy(buf + k, "\xC3\xA9", 2);
                cr_expect_eq(utf8_validate(buf, sizeof buf, &offset), 0, "good at %zu", k);
                buf[k + 1] = 'x'; /* truncated */
                cr_expect_eq(utf8_validate(buf, sizeof buf, &offset), -EILSEQ, "bad at %zu", k);
                cr_expect_eq(offset, k, "bad at %zu: offset %zu", k, offset);
                cr_expect_eq(utf8_validate(buf, k + 1, &offset), -EILSEQ, "cut at %zu", k);
                cr_expect_eq(offset, k, "cut at %zu: offset %zu", k, offset);
                buf[k] = (char) 0xFF;
                buf[k + 1] = 'a';
                cr_expect_eq(utf8_validate(buf, sizeof buf, &offset), -EILSEQ, "0xFF at %zu", k);
                cr_expect_eq(offset, k, "0xFF at %zu: offset %zu", k, offset);
        }
}

/* utf8_text_is_valid() looks for controls eight bytes at a time: one at
 * any offset is still found; \t \n \r, DEL and é still pass. */
Test(identifiers, utf8_text_is_valid_controls_at_any_offset) {
        char buf[48];

        for (size_t k = 0; k + 2 < sizeof buf; k++) {
                memset(buf, 'a', sizeof buf);
                memcpy(buf + k, "\xC3\xA9", 2);
                cr_expect(utf8_text_is_valid(buf, sizeof buf), "é at %zu", k);
                buf[k] = '\t';
                buf[k + 1] = 0x7F;
                cr_expect(utf8_text_is_valid(buf, sizeof buf), "tab, DEL at %zu", k);
                for (unsigned c = 0; c < 0x20; c++) {
                        buf[k] = (char) c;
                        cr_expect_eq(utf8_text_is_valid(buf, sizeof buf), c == '\t' || c == '\n' || c == '\r',
                                     "0x%02X at %zu", c, k);
                        cr_expect(utf8_text_is_valid(buf, k), "0x%02X just past the end (%zu)", c, k);
                }
        }
}

Test(identifiers, utf8_decode_one_sequence) {
        uint32_t cp = 0;

        cr_expect_eq(utf8_decode("A\xC3\xA9", 3, &cp), 1u);
        cr_expect_eq(cp, 'A');
        cr_expect_eq(utf8_decode("\xC3\xA9z", 3, &cp), 2u);
        cr_expect_eq(cp, 0xE9u);
        cr_expect_eq(utf8_decode("\xE2\x82\xAC", 3, &cp), 3u);
        cr_expect_eq(cp, 0x20ACu);
        cr_expect_eq(utf8_decode("\xF4\x8F\xBF\xBF", 4, &cp), 4u);
        cr_expect_eq(cp, 0x10FFFFu);
        cp = 42;
        cr_expect_eq(utf8_decode("\xE2\x82\xAC", 2, &cp), 0u, "cut by n");
        cr_expect_eq(utf8_decode("\xED\xA0\x80", 3, &cp), 0u, "surrogate");
        cr_expect_eq(utf8_decode("\xC1\xBF", 2, &cp), 0u, "overlong");
        cr_expect_eq(utf8_decode("a", 0, &cp), 0u, "nothing to decode");
        cr_expect_eq(cp, 42u, "left alone on failure");
}

Test(identifiers, utf8_encode_round_trips) {
        /* Each length's first and last code point, and the ones around the
         * surrogates: what utf8_encode writes, utf8_decode reads back. */
        static const uint32_t cps[] = { 0, 'A', 0x7F, 0x80, 0xE9, 0x7FF, 0x800, 0x20AC,
                                        0xD7FF, 0xE000, 0xFFFD, 0xFFFF, 0x10000, 0x1F600, 0x10FFFF };
        static const size_t lens[] = { 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3, 3, 4, 4, 4 };

        for (size_t i = 0; i < ELEMENTSOF(cps); i++) {
                char u[4];
                uint32_t back = 0;
                size_t n = utf8_encode(cps[i], u);

                cr_expect_eq(n, lens[i], "U+%04X", (unsigned) cps[i]);
                cr_expect_eq(utf8_decode(u, n, &back), n, "U+%04X", (unsigned) cps[i]);
                cr_expect_eq(back, cps[i]);
        }
        char euro[4];
        cr_expect_eq(utf8_encode(0x20AC, euro), 3u);
        cr_expect_arr_eq(euro, "\xE2\x82\xAC", 3);
}

Test(identifiers, utf8_size_is_respected) {
        /* Only `size` bytes count: a bad byte after them does not matter, and
         * a sequence cut by `size` is truncated. */
        cr_expect(utf8_text_is_valid("ab\xFF", 2));
        cr_expect_not(utf8_text_is_valid("caf\xC3\xA9", 4));
        cr_expect(utf8_text_is_valid(NULL, 0));
}

Test(identifiers, utf8_control_len) {
        static const struct {
                const char *s;
                size_t len;
        } cases[] = {
                { "\x1b[2J", 1 }, { "\n", 1 }, { "\x7f", 1 }, { "\xC2\x80", 2 }, { "\xC2\x9B" "31m", 2 },
                { "\xC2\xA0", 0 }, /* NO-BREAK SPACE: text */
                { "\xC2", 0 },     /* a lone lead byte is not a control */
                { "a", 0 },        { "\xC3\xA9", 0 }, { "", 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                cr_expect_eq(utf8_control_len(cases[i].s), cases[i].len, "case %zu", i);
}

Test(identifiers, utf8_char_start) {
        const char *s = "a\xC3\xA9\xE2\x82\xAC"; /* a é € */

        cr_expect_eq(utf8_char_start(s, 0), 0u);
        cr_expect_eq(utf8_char_start(s, 1), 1u);
        cr_expect_eq(utf8_char_start(s, 2), 1u, "inside é");
        cr_expect_eq(utf8_char_start(s, 3), 3u);
        cr_expect_eq(utf8_char_start(s, 5), 3u, "inside €");
        cr_expect_eq(utf8_char_start(s, 6), 6u, "the end");
}
