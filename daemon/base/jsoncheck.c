/* jsoncheck.c — limits, parsing and typed getters shared by the convention
 * and bilan validators (see jsoncheck.h).
 *
 * cJSON is lenient where we must not be: it accepts raw control characters
 * in strings, truncates a string at "\u0000" without a word, ignores
 * duplicate keys (the first one wins for lookups), and recurses once per
 * nesting level. So the raw text is scanned first, in one bounded pass, and
 * the tree is checked afterwards for duplicate and unknown keys. Every report
 * carries an English text (administrators, logs) and a French one (the staff
 * who wrote a bilan). Pure: no I/O, no logging. */
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/identifiers.h"
#include "base/jsoncheck.h"
#include "base/money.h"

/* The item that ends a list of JSONCHECK_REPORTS_MAX reports. */
static void report_list_full(JsonCheck *c, DiagSeverity severity) {
        int r;

        if (severity == DIAG_ERROR)
                r = diag_error2(c->diags, c->file, NULL,
                                "more than %d errors: the others are not listed; correct these and check the file again",
                                "plus de %d erreurs : les suivantes ne sont pas listées ; corrigez celles-ci puis "
                                "vérifiez à nouveau le fichier",
                                JSONCHECK_REPORTS_MAX);
        else
                r = diag_warning2(c->diags, c->file, NULL, "more than %d warnings: the others are not listed",
                                  "plus de %d avertissements : les suivants ne sont pas listés",
                                  JSONCHECK_REPORTS_MAX);
        if (r < 0)
                c->error = -ENOMEM;
}

void jsoncheck_report(JsonCheck *c, DiagSeverity severity, const char *path, const char *format_en,
                      const char *format_fr, ...) {
        _cleanup_(freep) char *en = NULL, *fr = NULL;
        size_t *listed = &c->n_listed[severity == DIAG_ERROR];
        va_list ap, aq;
        int r1, r2;

        if (severity == DIAG_ERROR)
                c->n_errors++;
        if (!c->diags || *listed > JSONCHECK_REPORTS_MAX)
                return;
        if ((*listed)++ == JSONCHECK_REPORTS_MAX) {
                report_list_full(c, severity);
                return;
        }
        va_start(ap, format_fr);
        va_copy(aq, ap);
        r1 = vasprintf(&en, format_en, ap);
        r2 = vasprintf(&fr, format_fr, aq);
        va_end(aq);
        va_end(ap);
        if (r1 < 0 || r2 < 0) {
                if (r1 < 0)
                        en = NULL;
                if (r2 < 0)
                        fr = NULL;
                c->error = -ENOMEM;
                return;
        }
        /* Both formats read the same argument list: each prints its own
         * text and skips the other with a zero precision. */
        if (diag_add2(c->diags, severity, c->file, 0, path, "%s%.0s", "%.0s%s", en, fr) < 0)
                c->error = -ENOMEM;
}

int jsoncheck_result(const JsonCheck *c) {
        if (c->error < 0)
                return c->error;
        return c->n_errors > 0 ? -EINVAL : 0;
}

/* ---- the raw text ---- */

typedef enum ScanProblem {
        SCAN_OK,
        SCAN_NOT_UTF8,          /* found by utf8_validate(), not by scan() */
        SCAN_CONTROL,           /* raw, inside a string */
        SCAN_CONTROL_OUTSIDE,   /* cJSON would take it for a space */
        SCAN_NUL_ESCAPE,
        SCAN_TOO_DEEP,
} ScanProblem;

/* One pass over well-formed UTF-8 text, aware of strings and escapes.
 * Returns the first problem and its byte offset. The bytes of a multi-byte
 * character are all 0x80 or above: never a quote, a backslash or a
 * control, so they pass through. Anything else that is not JSON is left to
 * cJSON, which then fails with a position. */
/* True if none of the 8 bytes at s is a quote, a backslash or below 0x20:
 * inside a string, nothing scan() looks at (exact: a byte flagged wrongly
 * comes only after one flagged rightly, and any flag means byte by byte). */
static bool plain_string_bytes(const unsigned char *s) {
        const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
        uint64_t w, quote, backslash;

        memcpy(&w, s, 8);
        quote = w ^ (ones * '"');
        backslash = w ^ (ones * '\\');
        return ((((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) | ((w - ones * 0x20) & ~w)) &
                highs) == 0;
}

static ScanProblem scan(const unsigned char *s, size_t size, unsigned max_depth, size_t *ret_offset) {
        bool in_string = false;
        unsigned depth = 0;
        size_t i = 0;

        while (i < size) {
                unsigned char b = s[i];
                ScanProblem problem = SCAN_OK;

                /* Most of a bilan is text: skip it 8 bytes at a time. */
                if (in_string && size - i >= 8 && plain_string_bytes(s + i)) {
                        i += 8;
                        continue;
                }
                if (in_string) {
                        if (b < 0x20)
                                problem = SCAN_CONTROL;
                        else if (b == '"')
                                in_string = false;
                        else if (b == '\\' && i + 1 < size) {
                                if (size - i >= 6 && memcmp(s + i + 1, "u0000", 5) == 0)
                                        problem = SCAN_NUL_ESCAPE;
                                else if (s[i + 1] < 0x80)
                                        i++; /* the escaped character; \" does not end the string */
                        }
                } else if (b < 0x20 && b != '\t' && b != '\n' && b != '\r')
                        problem = SCAN_CONTROL_OUTSIDE;
                else if (b == '"')
                        in_string = true;
                else if (b == '{' || b == '[') {
                        if (++depth > max_depth)
                                problem = SCAN_TOO_DEEP;
                } else if ((b == '}' || b == ']') && depth > 0)
                        depth--;
                if (problem != SCAN_OK) {
                        *ret_offset = i;
                        return problem;
                }
                i++;
        }
        return SCAN_OK;
}

/* Line and column (in characters) of a byte offset, 1-based. The text
 * before `offset` has been checked to be UTF-8. */
static void locate(const char *data, size_t offset, unsigned *ret_line, unsigned *ret_column) {
        unsigned line = 1, column = 1;

        for (size_t i = 0; i < offset; i++) {
                unsigned char b = (unsigned char) data[i];
                if (b == '\n') {
                        line++;
                        column = 1;
                } else if ((b & 0xC0) != 0x80)
                        column++;
        }
        *ret_line = line;
        *ret_column = column;
}

/* `skipped`: bytes before `data` (a BOM) that the byte offset counts. */
static void report_scan_problem(JsonCheck *c, const char *data, size_t skipped, ScanProblem problem,
                                size_t offset, unsigned max_depth) {
        unsigned char b = (unsigned char) data[offset];
        unsigned line, column;

        locate(data, offset, &line, &column);
        offset += skipped;
        switch (problem) {
        case SCAN_NOT_UTF8:
                jsoncheck_error(c, NULL,
                                "the file is not UTF-8 text: invalid byte 0x%02X at byte offset %zu (line %u, column %u)",
                                "le fichier n'est pas enregistré en UTF-8 : caractère invalide (octet 0x%02X) "
                                "à la position %zu (ligne %u, colonne %u) ; enregistrez-le avec l'encodage « UTF-8 »",
                                b, offset, line, column);
                break;
        case SCAN_CONTROL:
                jsoncheck_error(c, NULL,
                                "control character 0x%02X inside a string at line %u, column %u (byte offset %zu); "
                                "write a line break as \\n and a tab as \\t",
                                "caractère de contrôle (0x%02X) dans un texte, ligne %u, colonne %u (position %zu) : "
                                "un texte entre guillemets doit tenir sur une ligne, écrivez \\n pour un retour à la ligne",
                                b, line, column, offset);
                break;
        case SCAN_CONTROL_OUTSIDE:
                jsoncheck_error(c, NULL,
                                "unexpected control character 0x%02X at line %u, column %u (byte offset %zu): "
                                "the file may be damaged",
                                "caractère de contrôle inattendu (0x%02X) ligne %u, colonne %u (position %zu) : "
                                "le fichier est peut-être abîmé, enregistrez-le à nouveau",
                                b, line, column, offset);
                break;
        case SCAN_NUL_ESCAPE:
                jsoncheck_error(c, NULL,
                                "\\u0000 (the NUL character) inside a string at line %u, column %u (byte offset %zu) is not allowed",
                                "« \\u0000 » (caractère nul) n'est pas accepté dans un texte, ligne %u, colonne %u "
                                "(position %zu) : supprimez-le",
                                line, column, offset);
                break;
        case SCAN_TOO_DEEP:
                jsoncheck_error(c, NULL,
                                "JSON nested deeper than %u levels at line %u, column %u (byte offset %zu)",
                                "le fichier imbrique plus de %u niveaux d'accolades ou de crochets (ligne %u, "
                                "colonne %u, position %zu) : la structure attendue est bien plus simple, voyez l'exemple",
                                max_depth, line, column, offset);
                break;
        case SCAN_OK:
                break;
        }
}

static bool only_whitespace(const char *p, const char *end) {
        for (; p < end; p++)
                if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
                        return false;
        return true;
}

int jsoncheck_parse(JsonCheck *c, const char *data, size_t size, unsigned max_depth, cJSON **ret) {
        static const char bom[] = "\xEF\xBB\xBF";
        size_t skipped = 0;
        ScanProblem problem;
        const char *end = NULL;
        unsigned line, column;
        size_t offset, bad_utf8;
        cJSON *json;

        /* Some editors start UTF-8 files with a byte order mark: harmless. */
        if (size >= 3 && memcmp(data, bom, 3) == 0) {
                skipped = 3;
                data += skipped;
                size -= skipped;
        }
        /* scan() sees the text up to its first malformed UTF-8 sequence, so
         * that the first problem in the file is the one reported. */
        if (utf8_validate(data, size, &bad_utf8) >= 0)
                bad_utf8 = size;
        problem = scan((const unsigned char *) data, bad_utf8, max_depth, &offset);
        if (problem == SCAN_OK && bad_utf8 < size) {
                problem = SCAN_NOT_UTF8;
                offset = bad_utf8;
        }
        if (problem != SCAN_OK) {
                report_scan_problem(c, data, skipped, problem, offset, max_depth);
                return c->error < 0 ? c->error : -EINVAL;
        }
        if (only_whitespace(data, data + size)) {
                jsoncheck_error(c, NULL, "the file is empty%s", "le fichier est vide%s", "");
                return c->error < 0 ? c->error : -EINVAL;
        }

        json = cJSON_ParseWithLengthOpts(data, size, &end, /* require_null_terminated= */ false);
        if (json && end && !only_whitespace(end, data + size)) {
                cJSON_Delete(json);
                json = NULL;
        }
        if (!json) {
                /* cJSON gives a position but no reason, and cannot tell a
                 * syntax error from an allocation failure. */
                offset = end && end >= data && end <= data + size ? (size_t) (end - data) : 0;
                locate(data, offset, &line, &column);
                jsoncheck_error(c, NULL,
                                "not valid JSON: syntax error at line %u, column %u (byte offset %zu)",
                                "le fichier n'est pas du JSON valide : erreur ligne %u, colonne %u (position %zu) ; "
                                "vérifiez les guillemets, les virgules, les deux-points et les accolades juste avant cet endroit",
                                line, column, offset + skipped);
                return c->error < 0 ? c->error : -EINVAL;
        }
        *ret = json;
        return 0;
}

/* ---- paths ---- */

static bool is_ascii_letter(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* A key that reads well after a dot: [A-Za-z_][A-Za-z0-9_]*. */
static bool key_is_plain(const char *key) {
        if (!is_ascii_letter(key[0]) && key[0] != '_')
                return false;
        for (const char *p = key; *p; p++)
                if (!is_ascii_letter(*p) && *p != '_' && !(*p >= '0' && *p <= '9'))
                        return false;
        return true;
}

const char *jsoncheck_shown(const char *s, char buf[static JSONCHECK_SHOWN_MAX]) {
        size_t n = strlen(s), k = 0;
        bool cut = n > JSONCHECK_SHOWN_BYTES;

        if (cut)
                n = utf8_char_start(s, JSONCHECK_SHOWN_BYTES);
        for (size_t i = 0; i < n;) {
                size_t c = utf8_control_len(s + i);

                buf[k++] = c > 0 ? '?' : s[i]; /* one '?' for a control, C1 too */
                i += c > 0 ? c : 1;
        }
        strcpy(buf + k, cut ? "…" : "");
        return buf;
}

/* key → "key" as jsoncheck_shown() shows it, with \" and \\ escaped. */
static char *quote_key(const char *key) {
        char shown[JSONCHECK_SHOWN_MAX];
        const char *k = jsoncheck_shown(key, shown);
        char *q, *p;

        q = malloc(2 * strlen(k) + sizeof("\"\""));
        if (!q)
                return NULL;
        p = q;
        *p++ = '"';
        for (; *k; k++) {
                if (*k == '"' || *k == '\\')
                        *p++ = '\\';
                *p++ = *k;
        }
        strcpy(p, "\"");
        return q;
}

char *jsoncheck_path_key(const char *parent, const char *key) {
        _cleanup_(freep) char *quoted = NULL;
        char *s = NULL;
        int r;

        if (key_is_plain(key))
                r = asprintf(&s, "%s%s%s", strempty(parent), isempty(parent) ? "" : ".", key);
        else {
                quoted = quote_key(key);
                if (!quoted)
                        return NULL;
                r = asprintf(&s, "%s[%s]", strempty(parent), quoted);
        }
        return r < 0 ? NULL : s;
}

char *jsoncheck_path_index(const char *parent, size_t index) {
        char *s = NULL;

        return asprintf(&s, "%s[%zu]", strempty(parent), index) < 0 ? NULL : s;
}

/* ---- types ---- */

const char *jsoncheck_type_en(const cJSON *j) {
        if (cJSON_IsString(j))
                return "a string";
        if (cJSON_IsNumber(j))
                return "a number";
        if (cJSON_IsObject(j))
                return "an object";
        if (cJSON_IsArray(j))
                return "an array";
        if (cJSON_IsBool(j))
                return "a boolean";
        return "null";
}

const char *jsoncheck_type_fr(const cJSON *j) {
        if (cJSON_IsString(j))
                return "un texte";
        if (cJSON_IsNumber(j))
                return "un nombre";
        if (cJSON_IsObject(j))
                return "un objet { }";
        if (cJSON_IsArray(j))
                return "une liste [ ]";
        if (cJSON_IsBool(j))
                return "true/false";
        return "null";
}

void jsoncheck_type_error(JsonCheck *c, const char *path, const cJSON *got, const char *expected_en,
                          const char *expected_fr) {
        /* Both texts read the same arguments: each skips the other language's
         * with "%.0s". */
        jsoncheck_error(c, path, "expected %s%.0s, got %s%.0s", "il faut %.0s%s, pas %.0s%s", expected_en,
                        expected_fr, jsoncheck_type_en(got), jsoncheck_type_fr(got));
}

/* ---- keys ---- */

int jsoncheck_string_ref_compare(const void *a, const void *b) {
        const JsonStringRef *x = a, *y = b;
        int r = strcmp(x->string, y->string);

        if (r != 0)
                return r;
        return x->index < y->index ? -1 : x->index > y->index;
}

static void report_key(JsonCheck *c, const char *path, const char *key, const char *const *allowed,
                       const char *allowed_list) {
        _cleanup_(freep) char *p = jsoncheck_path_key(path, key);
        char shown[JSONCHECK_SHOWN_MAX];

        if (!p) {
                c->error = -ENOMEM;
                return;
        }
        jsoncheck_shown(key, shown);
        if (!allowed)
                jsoncheck_error(c, p, "duplicate key \"%s\": it already appears earlier in this object",
                                "la clé « %s » apparaît deux fois dans le même objet : n'en gardez qu'une", shown);
        else
                jsoncheck_error(c, p, "unknown key \"%s\" (expected one of: %s)",
                                "clé « %s » inconnue (les clés possibles sont : %s) ; vérifiez l'orthographe",
                                shown, allowed_list);
}

static bool key_allowed(const char *key, const char *const *allowed) {
        for (const char *const *a = allowed; *a; a++)
                if (streq(*a, key))
                        return true;
        return false;
}

char *jsoncheck_join(const char *const *list) {
        size_t n = 1;
        char *s, *p;

        for (const char *const *a = list; *a; a++)
                n += strlen(*a) + 2;
        s = malloc(n);
        if (!s)
                return NULL;
        p = s;
        *p = '\0';
        for (const char *const *a = list; *a; a++)
                p = stpcpy(stpcpy(p, a == list ? "" : ", "), *a);
        return s;
}

void jsoncheck_keys(JsonCheck *c, const cJSON *object, const char *path, const char *const *allowed) {
        _cleanup_(freep) JsonStringRef *keys = NULL;
        _cleanup_(freep) char *allowed_list = NULL;
        size_t n = 0;

        for (const cJSON *i = object->child; i; i = i->next)
                n++;
        if (n == 0)
                return;
        /* Sorted, duplicates are neighbours: O(n log n) even for an object
         * with a hundred thousand keys. */
        keys = calloc(n, sizeof(JsonStringRef));
        if (!keys) {
                c->error = -ENOMEM;
                return;
        }
        n = 0;
        for (const cJSON *i = object->child; i; i = i->next, n++)
                keys[n] = (JsonStringRef) { .string = i->string, .index = n };
        qsort(keys, n, sizeof(JsonStringRef), jsoncheck_string_ref_compare);
        for (size_t i = 1; i < n; i++)
                if (streq(keys[i].string, keys[i - 1].string))
                        report_key(c, path, keys[i].string, /* allowed= */ NULL, NULL);

        if (!allowed)
                return;
        allowed_list = jsoncheck_join(allowed);
        if (!allowed_list) {
                c->error = -ENOMEM;
                return;
        }
        for (const cJSON *i = object->child; i; i = i->next)
                if (!key_allowed(i->string, allowed))
                        report_key(c, path, i->string, allowed, allowed_list);
}

/* ---- typed members ---- */

typedef struct Expected {
        const char *en, *fr;
} Expected;

static const Expected EXPECT_OBJECT = { "an object { … }", "un objet { … }" };
static const Expected EXPECT_ARRAY = { "an array [ … ]", "une liste [ … ]" };
static const Expected EXPECT_TEXT = { "a string", "un texte entre guillemets" };
static const Expected EXPECT_INTEGER = { "an integer", "un nombre entier sans guillemets" };
static const Expected EXPECT_BOOL = { "true or false", "true ou false" };
static const Expected EXPECT_DATE = { "a date \"YYYY-MM-DD\"",
                                      "une date entre guillemets au format \"AAAA-MM-JJ\"" };
static const Expected EXPECT_IDENTIFIER = {
        "an identifier of 1 to 64 letters, digits, '.', '_' or '-'",
        "un identifiant de 1 à 64 caractères (lettres sans accent, chiffres, « . », « _ », « - »)",
};
static const Expected EXPECT_MONEY = { "a decimal string such as \"500.00\"",
                                       "un montant entre guillemets, par exemple \"500.00\"" };
static const Expected EXPECT_RATE = { "a decimal string such as \"20.00\"",
                                      "un taux entre guillemets, par exemple \"20.00\"" };

/* The member's path for a report; NULL (and c->error set) on -ENOMEM. */
static char *member_path(JsonCheck *c, const char *path, const char *key) {
        char *p = jsoncheck_path_key(path, key);

        if (!p)
                c->error = -ENOMEM;
        return p;
}

/* The member `key` if it is present and has one of the cJSON `types`;
 * reports it missing (when required) or of the wrong type. */
static const cJSON *member(JsonCheck *c, const cJSON *object, const char *path, const char *key,
                           bool required, int types, const Expected *expected) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(object, key);
        _cleanup_(freep) char *p = NULL;

        if (m && (m->type & 0xFF & types))
                return m;
        if (!m && !required)
                return NULL;
        p = member_path(c, path, key);
        if (!p)
                return NULL;
        if (!m)
                jsoncheck_error(c, p, "missing; expected %s%.0s", "manquant : il faut %.0s%s", expected->en,
                                expected->fr);
        else
                jsoncheck_type_error(c, p, m, expected->en, expected->fr);
        return NULL;
}

/* member() for the container types, whose value is the node itself. */
static bool container(JsonCheck *c, const cJSON *object, const char *path, const char *key, bool required,
                      int type, const Expected *expected, const cJSON **ret) {
        const cJSON *m = member(c, object, path, key, required, type, expected);

        if (!m)
                return false;
        *ret = m;
        return true;
}

bool jsoncheck_object(JsonCheck *c, const cJSON *object, const char *path, const char *key,
                      bool required, const cJSON **ret) {
        return container(c, object, path, key, required, cJSON_Object, &EXPECT_OBJECT, ret);
}

bool jsoncheck_array(JsonCheck *c, const cJSON *object, const char *path, const char *key,
                     bool required, const cJSON **ret) {
        return container(c, object, path, key, required, cJSON_Array, &EXPECT_ARRAY, ret);
}

/* U+FFFE and U+FFFF are not characters, and XML 1.0 (§2.2) has no place
 * for them: text with one, copied into an invoice, would make it not
 * well-formed. cJSON turns "\uffff" into these bytes too. */
static bool has_noncharacter(const char *s) {
        return strstr(s, "\xEF\xBF\xBE") || strstr(s, "\xEF\xBF\xBF");
}

bool jsoncheck_text(JsonCheck *c, const cJSON *object, const char *path, const char *key,
                    bool required, size_t max_bytes, const char **ret) {
        const cJSON *m = member(c, object, path, key, required, cJSON_String, &EXPECT_TEXT);
        _cleanup_(freep) char *p = NULL;
        bool controls_ok, noncharacters;
        size_t n;

        if (!m)
                return false;
        n = strlen(m->valuestring);
        controls_ok = utf8_text_is_valid(m->valuestring, n);
        noncharacters = has_noncharacter(m->valuestring);
        if (n > 0 && n <= max_bytes && controls_ok && !noncharacters) {
                *ret = m->valuestring;
                return true;
        }
        p = member_path(c, path, key);
        if (!p)
                return false;
        if (n == 0)
                jsoncheck_error(c, p, "must not be empty%s", "ne doit pas être vide%s", "");
        else if (n > max_bytes)
                jsoncheck_error(c, p, "too long: %zu bytes, at most %zu", "trop long : %zu octets, %zu au plus",
                                n, max_bytes);
        else if (!controls_ok)
                jsoncheck_error(c, p, "contains a control character%s",
                                "contient un caractère de contrôle invisible : retapez ce texte%s", "");
        else
                jsoncheck_error(c, p, "contains U+FFFE or U+FFFF, which are not characters%s",
                                "contient un caractère invalide (U+FFFE ou U+FFFF) : retapez ce texte%s", "");
        return false;
}

void jsoncheck_copy(JsonCheck *c, const char *s, char **dst) {
        *dst = strdup(s);
        if (!*dst)
                c->error = -ENOMEM;
}

bool jsoncheck_line(JsonCheck *c, const cJSON *object, const char *path, const char *key,
                    bool required, size_t max_bytes, const char **ret) {
        _cleanup_(freep) char *p = NULL;
        const char *v;
        uint32_t cp;

        if (!jsoncheck_text(c, object, path, key, required, max_bytes, &v))
                return false;
        cp = utf8_line_forbidden(v);
        if (cp == 0) {
                *ret = v;
                return true;
        }
        p = member_path(c, path, key);
        if (!p)
                return false;
        /* The code point is named: a separator or a bidi control is
         * invisible in most editors, the author cannot find it otherwise. */
        jsoncheck_error(c, p,
                        "\"%s\" must be one line of text: it contains U+%04" PRIX32
                        " (a control character, line or paragraph separator, or bidirectional control)",
                        "le champ « %s » doit tenir sur une seule ligne : il contient un caractère invisible "
                        "(U+%04" PRIX32 " : tabulation, retour à la ligne ou caractère de contrôle) ; "
                        "retapez ce texte sans ce caractère",
                        key, cp);
        return false;
}

void jsoncheck_take_line(JsonCheck *c, const cJSON *object, const char *path, const char *key,
                         bool required, size_t max_bytes, char **dst) {
        const char *v;

        if (jsoncheck_line(c, object, path, key, required, max_bytes, &v))
                jsoncheck_copy(c, v, dst);
}

void jsoncheck_take_text(JsonCheck *c, const cJSON *object, const char *path, const char *key,
                         bool required, size_t max_bytes, char **dst) {
        const char *v;

        if (jsoncheck_text(c, object, path, key, required, max_bytes, &v))
                jsoncheck_copy(c, v, dst);
}

/* A JSON number as text for messages: integers exactly, others as %g. */
static void number_text(const cJSON *n, char buf[static 32]) {
        double v = n->valuedouble;

        if (v >= -1e15 && v <= 1e15 && v == (double) (int64_t) v)
                snprintf(buf, 32, "%" PRId64, (int64_t) v);
        else
                snprintf(buf, 32, "%.15g", v);
}

bool jsoncheck_integer(JsonCheck *c, const cJSON *object, const char *path, const char *key,
                       bool required, int64_t min, int64_t max, int64_t *ret) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(object, key);
        _cleanup_(freep) char *p = NULL;
        char text[32], shown[JSONCHECK_SHOWN_MAX];
        double v;

        /* Bounds are compared as doubles before any conversion (1e300 must
         * not reach an int64 cast), which is exact up to 2^53. */
        assert(min >= -(INT64_C(1) << 53) && max <= INT64_C(1) << 53);
        if (!cJSON_IsString(m)) {
                m = member(c, object, path, key, required, cJSON_Number, &EXPECT_INTEGER);
                if (!m)
                        return false;
                v = m->valuedouble;
                if (v >= (double) min && v <= (double) max && v == (double) (int64_t) v) {
                        *ret = (int64_t) v;
                        return true;
                }
        }
        p = member_path(c, path, key);
        if (!p)
                return false;
        if (cJSON_IsString(m))
                jsoncheck_error(c, p, "expected an integer (a JSON number, without quotes), got the string \"%s\"",
                                "il faut un nombre entier écrit sans guillemets, pas le texte \"%s\"",
                                jsoncheck_shown(m->valuestring, shown));
        else {
                number_text(m, text);
                jsoncheck_error(c, p, "expected an integer from %" PRId64 " to %" PRId64 ", got %s",
                                "il faut un nombre entier de %" PRId64 " à %" PRId64 ", pas %s", min, max, text);
        }
        return false;
}

bool jsoncheck_bool(JsonCheck *c, const cJSON *object, const char *path, const char *key,
                    bool required, bool *ret) {
        const cJSON *m = member(c, object, path, key, required, cJSON_True | cJSON_False, &EXPECT_BOOL);

        if (!m)
                return false;
        *ret = cJSON_IsTrue(m);
        return true;
}

/* "YYYY-MM-DD" shaped but not a day of the calendar, like 2026-02-29. */
static bool looks_like_date(const char *s) {
        if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
                return false;
        for (size_t i = 0; i < 10; i++)
                if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
                        return false;
        return true;
}

bool jsoncheck_date(JsonCheck *c, const cJSON *object, const char *path, const char *key,
                    bool required, Date *ret) {
        const cJSON *m = member(c, object, path, key, required, cJSON_String, &EXPECT_DATE);
        _cleanup_(freep) char *p = NULL;
        char shown[JSONCHECK_SHOWN_MAX];

        if (!m)
                return false;
        if (date_parse(m->valuestring, ret) >= 0)
                return true;
        p = member_path(c, path, key);
        if (!p)
                return false;
        jsoncheck_shown(m->valuestring, shown);
        if (looks_like_date(m->valuestring))
                jsoncheck_error(c, p, "\"%s\" is not a day of the calendar",
                                "la date « %s » n'existe pas dans le calendrier : vérifiez le jour et le mois",
                                shown);
        else
                jsoncheck_error(c, p, "expected a date \"YYYY-MM-DD\", got \"%s\"",
                                "la date \"%s\" n'est pas au bon format : écrivez-la AAAA-MM-JJ, par exemple \"2026-03-14\"",
                                shown);
        return false;
}

bool jsoncheck_identifier(JsonCheck *c, const cJSON *object, const char *path, const char *key,
                          bool required, const char **ret) {
        const cJSON *m = member(c, object, path, key, required, cJSON_String, &EXPECT_IDENTIFIER);
        _cleanup_(freep) char *p = NULL;
        char shown[JSONCHECK_SHOWN_MAX];

        if (!m)
                return false;
        if (identifier_is_valid(m->valuestring)) {
                *ret = m->valuestring;
                return true;
        }
        p = member_path(c, path, key);
        if (p)
                jsoncheck_error(c, p, "expected %s%.0s, got \"%s\"", "il faut %.0s%s, pas \"%s\"",
                                EXPECT_IDENTIFIER.en, EXPECT_IDENTIFIER.fr, jsoncheck_shown(m->valuestring, shown));
        return false;
}

/* Amounts and rates share their form: a decimal string, never a number
 * (a JSON number goes through a double: 0.1 + 0.2 is not 0.3). */
static bool decimal_member(JsonCheck *c, const cJSON *object, const char *path, const char *key,
                           bool required, bool is_rate, int64_t *ret) {
        const Expected *expected = is_rate ? &EXPECT_RATE : &EXPECT_MONEY;
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(object, key);
        _cleanup_(freep) char *p = NULL;
        char text[32], limit[MONEY_DECIMAL_MAX], shown[JSONCHECK_SHOWN_MAX];
        int64_t v;
        int r = 0;

        if (!cJSON_IsNumber(m)) {
                m = member(c, object, path, key, required, cJSON_String, expected);
                if (!m)
                        return false;
                r = is_rate ? money_parse_rate(m->valuestring, &v) : money_parse(m->valuestring, &v);
                if (r >= 0 && (is_rate || v > 0)) {
                        *ret = v;
                        return true;
                }
        }
        p = member_path(c, path, key);
        if (!p)
                return false;
        if (cJSON_IsNumber(m)) {
                number_text(m, text);
                jsoncheck_error(c, p, "expected %s%.0s, got the JSON number %s",
                                "il faut %.0s%s, pas le nombre %s sans guillemets", expected->en,
                                expected->fr, text);
                return false;
        }
        jsoncheck_shown(m->valuestring, shown);
        if (r == -ERANGE)
                jsoncheck_error(c, p, "\"%s\" is too large (at most %s)", "\"%s\" est trop grand (%s au plus)",
                                shown, is_rate ? "100.00" : money_format(MONEY_MAX_CENTS, limit));
        else if (r >= 0)
                jsoncheck_error(c, p, "must be greater than 0, got \"%s\"", "doit être supérieur à 0, pas \"%s\"",
                                shown);
        else
                jsoncheck_error(c, p, "expected %s%.0s (digits, '.', at most two decimals), got \"%s\"",
                                "il faut %.0s%s (des chiffres, un point, deux décimales au plus), pas \"%s\"",
                                expected->en, expected->fr, shown);
        return false;
}

bool jsoncheck_money(JsonCheck *c, const cJSON *object, const char *path, const char *key,
                     bool required, int64_t *ret) {
        return decimal_member(c, object, path, key, required, /* is_rate= */ false, ret);
}

bool jsoncheck_rate(JsonCheck *c, const cJSON *object, const char *path, const char *key,
                    bool required, int64_t *ret) {
        return decimal_member(c, object, path, key, required, /* is_rate= */ true, ret);
}
