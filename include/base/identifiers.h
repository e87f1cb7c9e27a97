/* identifiers.h — syntax and check-digit validation of the identifiers that
 * reach an invoice or a file name, and the UTF-8 decoder and validator
 * that the text checks (and the PDF writer) share. Pure. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* [A-Za-z0-9._-]{1,64}: convention, action and kind ids. */
bool identifier_is_valid(const char *s);
/* 14 ASCII digits passing the Luhn check (INSEE SIRET). */
bool siret_is_valid(const char *s);
/* A VATEX exemption reason code (EN 16931 BT-121, CEF VATEX list):
 * "VATEX-" then upper-case letters, digits and hyphens, at most 30
 * characters in all. The list itself is the validator's to check. */
bool vatex_code_is_valid(const char *s);
/* ISO 13616 IBAN, spaces allowed between groups, mod-97 check. */
bool iban_is_valid(const char *s);
/* The IBAN without spaces, upper case, into buf (at least 35 bytes).
 * Returns 0 or -EINVAL. */
int iban_normalize(const char *s, char *buf, size_t size);
/* ISO 9362 BIC: 8 or 11 characters, [A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?. */
bool bic_is_valid(const char *s);
/* An officially assigned ISO 3166-1 alpha-2 code, upper case ("FR"). */
bool country_code_is_valid(const char *s);
/* Chorus Pro service code (BT-10): 1..100 characters, letters (accented
 * ones too), digits, '_', '-', space. */
bool service_code_is_valid(const char *s);
/* The service every Chorus Pro structure lists, which only takes invoices
 * between public entities (chorus-pro-api.md §3.7): never ours. */
#define CHORUS_SERVICE_PUBLIC_INVOICES "FACTURES_PUBLIQUES"
/* Engagement juridique (BT-13): 1..50 printable characters, no control. */
bool engagement_is_valid(const char *s);
/* Decodes the UTF-8 sequence at the start of s[0..n). Returns its length
 * (1..4) and the code point in *ret_cp, or 0 if it is malformed: truncated,
 * an overlong form, a surrogate (U+D800..U+DFFF) or above U+10FFFF
 * (RFC 3629). The one decoder of the project: validation and PDF text. */
size_t utf8_decode(const char *s, size_t n, uint32_t *ret_cp);
/* Writes the UTF-8 of code point cp (≤ U+10FFFF, not a surrogate: the
 * caller's to check) into ret and returns its length, 1..4. The one
 * encoder: PDF text and the _xHHHH_ escapes of .xlsx cells. */
size_t utf8_encode(uint32_t cp, char ret[static 4]);
/* Checks that s[0..size) is well-formed UTF-8 (RFC 3629: no overlong
 * form, no surrogate, nothing above U+10FFFF, no truncated sequence).
 * Returns 0, or -EILSEQ with the byte offset of the first malformed
 * sequence in *reterr_offset (may be NULL); -EINVAL for s NULL with a size. */
int utf8_validate(const char *s, size_t size, size_t *reterr_offset);
/* Where the character that holds byte `i` of s starts: the place to cut s
 * at most `i` bytes long without splitting a UTF-8 sequence. */
size_t utf8_char_start(const char *s, size_t i);
/* The length of the control character s starts with — C0, DEL (1 byte),
 * or C1 written in UTF-8, C2 80..C2 9F (2 bytes) — or 0 for anything else.
 * Text from outside shown to a person must not carry one: it would drive a
 * terminal or start a line of its own. */
size_t utf8_control_len(const char *s);
/* The first code point of well-formed s that one line of text must not
 * hold — a control (TAB, LF and U+0085 included), U+2028, U+2029, or a
 * bidirectional control U+202A..U+202E, U+2066..U+2069 — or 0 if none. */
uint32_t utf8_line_forbidden(const char *s);
/* Well-formed UTF-8 without NUL or C0 controls other than \t \n \r. */
bool utf8_text_is_valid(const char *s, size_t size);
