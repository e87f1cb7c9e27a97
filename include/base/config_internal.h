/* config_internal.h — private to the config module's files (config.c,
 * config_values.c): the limits of values, and the value checks and
 * parsers config.c calls in config_values.c. No other module includes it;
 * they use config.h. */
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

/* config_values.c */
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
