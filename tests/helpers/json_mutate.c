/* json_mutate.c — see json_mutate.h. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "json_mutate.h"
#include "base/macro.h"

/* One step of a path: a key or an index. */
typedef struct Step {
        char key[256];
        long index; /* -1 for a key */
} Step;

/* Reads the step at *p, advancing it. Returns false at the end or on a
 * malformed path. */
static bool next_step(const char **p, Step *s) {
        const char *q = *p;
        size_t n;

        if (*q == '.')
                q++;
        if (*q == '\0')
                return false;
        s->index = -1;
        if (q[0] == '[' && q[1] == '"') {
                /* ["key"], with \" and \\ unescaped */
                n = 0;
                for (q += 2; *q && *q != '"'; q++) {
                        if (*q == '\\' && q[1])
                                q++;
                        if (n + 1 >= sizeof(s->key))
                                return false;
                        s->key[n++] = *q;
                }
                s->key[n] = '\0';
                if (q[0] != '"' || q[1] != ']')
                        return false;
                *p = q + 2;
                return true;
        }
        if (q[0] == '[') {
                char *end;
                s->index = strtol(q + 1, &end, 10);
                if (*end != ']')
                        return false;
                *p = end + 1;
                return true;
        }
        n = strcspn(q, ".[");
        if (n == 0 || n >= sizeof(s->key))
                return false;
        memcpy(s->key, q, n);
        s->key[n] = '\0';
        *p = q + n;
        return true;
}

static bool apply_step(cJSON *parent, const Step *s, cJSON *value) {
        if (s->index >= 0) {
                int size = cJSON_GetArraySize(parent);
                if (!cJSON_IsArray(parent) || s->index > size)
                        return false;
                if (!value)
                        cJSON_DeleteItemFromArray(parent, (int) s->index);
                else if (s->index == size)
                        cJSON_AddItemToArray(parent, value);
                else
                        cJSON_ReplaceItemInArray(parent, (int) s->index, value);
                return true;
        }
        if (!cJSON_IsObject(parent))
                return false;
        if (!value)
                cJSON_DeleteItemFromObjectCaseSensitive(parent, s->key);
        else if (cJSON_GetObjectItemCaseSensitive(parent, s->key))
                cJSON_ReplaceItemInObjectCaseSensitive(parent, s->key, value);
        else
                cJSON_AddItemToObject(parent, s->key, value);
        return true;
}

static bool mutate_one(cJSON *root, const JsonMutation *m) {
        const char *p = m->path;
        cJSON *node = root, *value = NULL;
        Step s, next;

        if (!next_step(&p, &s))
                return false;
        while (next_step(&p, &next)) {
                node = s.index >= 0 ? cJSON_GetArrayItem(node, (int) s.index)
                                    : cJSON_GetObjectItemCaseSensitive(node, s.key);
                if (!node)
                        return false;
                s = next;
        }
        if (m->value) {
                value = cJSON_Parse(m->value);
                if (!value)
                        return false;
        }
        if (!apply_step(node, &s, value)) {
                cJSON_Delete(value);
                return false;
        }
        return true;
}

char *json_mutate(const char *base, const JsonMutation *mutations, size_t n) {
        cJSON *root = cJSON_Parse(base);
        char *text = NULL;

        if (!root)
                return NULL;
        for (size_t i = 0; i < n && mutations[i].path; i++)
                if (!mutate_one(root, &mutations[i]))
                        goto done;
        text = cJSON_Print(root);
done:
        cJSON_Delete(root);
        return text;
}

const Diag *diag_find(const Diagnostics *d, DiagSeverity severity, const char *path, const char *fragment) {
        for (size_t i = 0; i < d->n_items; i++) {
                const Diag *x = &d->items[i];
                if (x->severity == severity && streq_ptr(x->path, path) &&
                    (!fragment || strstr(x->message, fragment)))
                        return x;
        }
        return NULL;
}

void diag_dump(const Diagnostics *d) {
        diagnostics_print(d, stderr, /* french= */ false);
}

void expect_error_per_mutation(const Diagnostics *d, const JsonMutation *mutations, size_t n) {
        if (d->n_errors != n)
                diag_dump(d);
        cr_expect_eq(d->n_errors, n, "expected one error per change, got %zu for %zu", d->n_errors, n);
        for (size_t i = 0; i < n; i++)
                cr_expect_not_null(diag_find(d, DIAG_ERROR, mutations[i].path, NULL), "no error at %s",
                                   mutations[i].path);
}

char *test_replace_first(const char *s, const char *find, const char *replace) {
        const char *at = strstr(s, find);
        char *out = NULL;

        cr_assert_not_null(at, "\"%s\" not in the text", find);
        cr_assert_geq(asprintf(&out, "%.*s%s%s", (int) (at - s), s, replace, at + strlen(find)), 0);
        return out;
}

char *test_read_file(const char *path, size_t *ret_size) {
        FILE *f = fopen(path, "re");
        char *buf;
        long n;

        cr_assert_not_null(f, "cannot open %s", path);
        cr_assert_eq(fseek(f, 0, SEEK_END), 0);
        n = ftell(f);
        cr_assert_geq(n, 0);
        rewind(f);
        buf = malloc((size_t) n + 1);
        cr_assert_not_null(buf);
        cr_assert_eq(fread(buf, 1, (size_t) n, f), (size_t) n);
        buf[n] = '\0';
        fclose(f);
        if (ret_size)
                *ret_size = (size_t) n;
        return buf;
}
