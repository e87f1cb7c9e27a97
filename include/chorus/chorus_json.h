/* chorus_json.h — reading the JSON of Chorus Pro answers: typed getters that
 * accept what the real API sends (absent or null optional members, ids as
 * numbers or strings), int64 ids without loss, amounts as integer cents.
 * Pure; shared by chorus_error.c and chorus_api.c. */
#pragma once

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/json-cleanup.h"

/* Deletes a document after wiping every string in it (token answers). */
void chorus_json_delete_wiped(cJSON *json);
static inline void chorus_json_delete_wipedp(cJSON **j) {
        chorus_json_delete_wiped(*j);
}

/* The string member `key`, or NULL when absent, null or not a string. */
const char *chorus_json_string(const cJSON *obj, const char *key);
/* A copy of it (NULL stays NULL). Returns 0 or -ENOMEM. */
int chorus_json_strdup(const cJSON *obj, const char *key, char **ret);
/* The boolean member `key`; absent or null gives `def`. Returns 0, or
 * -EBADMSG when present with another type. */
int chorus_json_bool(const cJSON *obj, const char *key, bool def, bool *ret);
/* An int64 member: a JSON integer below 2^53 in magnitude (cJSON keeps it
 * as a double; larger ones may have been rounded and are refused), or a
 * string of digits (exact to 2^63). Returns 0, -ENOENT (absent or null) or
 * -EBADMSG. */
int chorus_json_int64(const cJSON *obj, const char *key, int64_t *ret);
/* An amount in euros (a JSON number such as 1200.5, or a decimal string) as
 * integer cents, without floating-point arithmetic on the value: see
 * chorus_json.c. Returns 0, -ENOENT or -EBADMSG. */
int chorus_json_cents(const cJSON *obj, const char *key, int64_t *ret);
/* The array member `key`; absent or null gives an empty array (NULL).
 * Returns 0 or -EBADMSG when present and not an array. */
int chorus_json_array(const cJSON *obj, const char *key, const cJSON **ret);

/* Adds an int64 to an object as a JSON number. Ids above 2^53 would lose
 * precision in a double, so they are written as raw digits. Returns 0 or
 * -ENOMEM. */
int chorus_json_add_int64(cJSON *obj, const char *key, int64_t value);
