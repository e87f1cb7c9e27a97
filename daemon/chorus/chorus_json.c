/* chorus_json.c — typed getters over cJSON for Chorus Pro answers (see
 * chorus_json.h). Pure.
 *
 * Amounts: cJSON keeps every JSON number as a double and drops its text.
 * Chorus Pro amounts have at most two decimals and far fewer than 15
 * significant digits, and any decimal of at most 15 significant digits
 * survives text → double → "%.15g" unchanged (DBL_DIG = 15). So the number
 * is turned back into its decimal text and that text is parsed as money
 * (money_parse): no arithmetic is ever done on the double, and a value that
 * does not come back as a plain decimal with at most two decimals is refused
 * rather than rounded. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "chorus/chorus_json.h"
#include "base/money.h"

static void wipe_strings(cJSON *json) {
        for (cJSON *i = json; i; i = i->next) {
                if (cJSON_IsString(i) && i->valuestring)
                        explicit_bzero_safe(i->valuestring, strlen(i->valuestring));
                wipe_strings(i->child);
        }
}

void chorus_json_delete_wiped(cJSON *json) {
        if (!json)
                return;
        wipe_strings(json);
        cJSON_Delete(json);
}

static const cJSON *member(const cJSON *obj, const char *key) {
        const cJSON *v = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
        return cJSON_IsNull(v) ? NULL : v;
}

const char *chorus_json_string(const cJSON *obj, const char *key) {
        const cJSON *v = member(obj, key);
        return cJSON_IsString(v) ? v->valuestring : NULL;
}

int chorus_json_strdup(const cJSON *obj, const char *key, char **ret) {
        const char *s = chorus_json_string(obj, key);

        *ret = NULL;
        if (!s)
                return 0;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

int chorus_json_bool(const cJSON *obj, const char *key, bool def, bool *ret) {
        const cJSON *v = member(obj, key);

        if (!v) {
                *ret = def;
                return 0;
        }
        if (!cJSON_IsBool(v))
                return -EBADMSG;
        *ret = cJSON_IsTrue(v);
        return 0;
}

static int digits_to_int64(const char *s, int64_t *ret) {
        bool negative = *s == '-';
        uint64_t v = 0, limit = negative ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
        const char *p = s + negative;
        size_t n = strspn(p, "0123456789");

        if (n == 0 || p[n] != '\0' || n > 19)
                return -EBADMSG;
        for (size_t i = 0; i < n; i++) {
                uint64_t d = (uint64_t) (p[i] - '0');
                if (v > (limit - d) / 10)
                        return -EBADMSG;
                v = v * 10 + d;
        }
        *ret = negative ? (int64_t) (0 - v) : (int64_t) v;
        return 0;
}

int chorus_json_int64(const cJSON *obj, const char *key, int64_t *ret) {
        const cJSON *v = member(obj, key);
        char buf[32];

        if (!v)
                return -ENOENT;
        if (cJSON_IsString(v))
                return digits_to_int64(v->valuestring, ret);
        if (!cJSON_IsNumber(v))
                return -EBADMSG;
        /* Integers below 2^53 are exact in the double; "%.0f" of an integral
         * double prints it exactly, and the round trip refuses fractions.
         * 2^53 itself is refused too: 2^53 + 1 is read as that same double,
         * and an id off by one is worse than no id. */
        if (v->valuedouble >= 9007199254740992.0 || v->valuedouble <= -9007199254740992.0)
                return -EBADMSG;
        snprintf(buf, sizeof buf, "%.0f", v->valuedouble);
        if ((double) strtoll(buf, NULL, 10) != v->valuedouble)
                return -EBADMSG;
        return digits_to_int64(buf, ret);
}

int chorus_json_cents(const cJSON *obj, const char *key, int64_t *ret) {
        const cJSON *v = member(obj, key);
        char buf[64];
        const char *text;
        int64_t cents;
        bool negative;

        if (!v)
                return -ENOENT;
        if (cJSON_IsString(v))
                text = v->valuestring;
        else if (cJSON_IsNumber(v)) {
                snprintf(buf, sizeof buf, "%.15g", v->valuedouble);
                text = buf;
        } else
                return -EBADMSG;

        negative = text[0] == '-'; /* credit notes may carry negative amounts */
        if (money_parse(text + negative, &cents) < 0)
                return -EBADMSG;
        *ret = negative ? -cents : cents;
        return 0;
}

int chorus_json_array(const cJSON *obj, const char *key, const cJSON **ret) {
        const cJSON *v = member(obj, key);

        if (v && !cJSON_IsArray(v))
                return -EBADMSG;
        *ret = v;
        return 0;
}

int chorus_json_add_int64(cJSON *obj, const char *key, int64_t value) {
        char buf[32];

        snprintf(buf, sizeof buf, "%" PRId64, value);
        return cJSON_AddRawToObject(obj, key, buf) ? 0 : -ENOMEM;
}
