/* chorus_api_internal.h — private to chorus_api.c and chorus_structures.c:
 * the JSON list and paging helpers their parsers share. No other module
 * includes it. */
#pragma once

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/macro.h"

typedef struct ChorusPage ChorusPage;

/* How to read a JSON array of objects into a C array of `size`-byte
 * elements: `fill` reads one object, `done` frees one element. */
typedef struct ListSpec {
        const char *key;
        size_t size;
        int (*fill)(const cJSON *item, size_t i, void *elem, char **reterr_message);
        void (*done)(void *elem);
} ListSpec;

int bad_answer(char **reterr_message, const char *format, ...) _printf_(2, 3);
int strdup_members(const cJSON *obj, ...);
int add_paging(cJSON *request, const char *key, unsigned page_size);
void list_free(const ListSpec *spec, void *items, size_t n);
int new_request(cJSON **ret);
int search_page_parse(const cJSON *json, const ListSpec *spec, void **acc, size_t *acc_n, ChorusPage *ret_page, char **reterr_message);
/* Standard base64, no line breaks, '=' padding; NULL without memory. */
char *base64_encode(const void *data, size_t size);
