/* config_internal.h — private to the config module's files (config.c,
 * config_keys.c, config_values.c): the limits of values, the table of keys
 * (config_keys.c) config.c's parser follows, and the value checks and
 * parsers the table and config.c call in config_values.c. No other module
 * includes it; they use config.h. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/config.h"

#define STRING_MAX 200      /* names, addresses: plenty for an invoice field */
#define TOKEN_MAX 255       /* client_id, technical_login */
#define URL_MAX 2048
#define EMAIL_MAX 254       /* RFC 5321 path limit */
#define VALUE_SHOWN_MAX 64  /* a bad value is quoted at most this long */
/* The prefix leaves room for "YYYY-NNNN" within Chorus Pro's 20 characters. */
#define NUMBER_PREFIX_MAX 11
_Static_assert(NUMBER_PREFIX_MAX + 4 + 1 + 4 == INVOICE_NUMBER_MAX, "prefix + YYYY-NNNN");

/* config_keys.c */

typedef enum KeyType {
        KEY_STRING,   /* char *, checked by `valid` when set */
        KEY_IBAN,     /* char *, stored normalised (no spaces, upper case) */
        KEY_ENUM,     /* int (an enum), from `parse_enum` */
        KEY_UNSIGNED, /* unsigned, min..max */
        KEY_SIZE,     /* uint64_t bytes, with an optional K/M/G/T suffix, min..max */
} KeyType;

typedef struct ConfigKey {
        const char *section;
        const char *name;
        KeyType type;
        const char *default_value; /* parsed like the file's values; NULL = none */
        bool required;
        uint64_t min, max;      /* KEY_UNSIGNED, KEY_SIZE */
        size_t offset;          /* in Config */
        bool (*valid)(const char *s); /* KEY_STRING */
        int (*parse_enum)(const char *s); /* KEY_ENUM: >= 0, or < 0 if unknown */
        const char *expected;   /* what a good value looks like, for messages */
        bool hide_value;        /* never quote a bad value: it may be a secret */
} ConfigKey;

/* Bounds of the parser's per-key and per-section arrays (config.c): the
 * table's own counts are checked against them where it is defined. */
#define CONFIG_KEYS_MAX 64
#define CONFIG_SECTIONS_MAX 16

extern const ConfigKey config_keys[]; /* config_n_keys entries */
extern const size_t config_n_keys;
/* The key `name` of `section` (NULL: of any section), or NULL. */
const ConfigKey *config_key_find(const char *section, const char *name);
/* The index of the section named by name[0..len), or -ENOENT. */
int config_section_index(const char *name, size_t len);

/* config_values.c */
/* One line of text: at most STRING_MAX bytes of UTF-8, no tab or CR. */
bool utf8_line_is_valid(const char *s);
bool token_is_valid(const char *s);
bool number_prefix_is_valid(const char *s);
bool payment_means_is_valid(const char *s);
bool all_digits(const char *s, size_t n);
bool vat_id_is_valid(const char *s);
bool email_is_valid(const char *s);
bool https_url_is_valid(const char *s);
bool smtp_url_is_valid(const char *s);
bool email_list_is_valid(const char *s);
bool absolute_path_is_valid(const char *s);
int parse_uint64(const char *s, uint64_t *ret);
int parse_size(const char *s, uint64_t *ret);
const char *format_size(uint64_t v, char buf[static 32]);
bool paths_overlap(const char *a, const char *b);
