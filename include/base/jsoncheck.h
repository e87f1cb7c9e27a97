/* jsoncheck.h — what the JSON validators (convention, bilan) share: the
 * limits checked on the raw text before cJSON sees it, parsing with a
 * located error, JSON paths, and typed member getters that report every
 * problem (file, JSON path, what was expected) in English and French.
 *
 * Pure: no I/O, no logging. Internal to the validators. */
#pragma once

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/date.h"
#include "base/diag.h"
#include "base/json-cleanup.h"

/* At most this many errors, and as many warnings, are listed per file:
 * a 1 MiB file can hold a hundred thousand mistakes, and their list (15 MB
 * of rejected/NAME.error.txt) would help nobody. One more item says that
 * the list stops there. */
#define JSONCHECK_REPORTS_MAX 1000

/* One validation run over one file. Reports go to `diags` (may be NULL);
 * n_errors counts them anyway, listed or not, and `error` keeps the first
 * -ENOMEM met while reporting, so that the validators need not check every
 * report. */
typedef struct JsonCheck {
        const char *file;
        Diagnostics *diags;
        size_t n_errors;
        size_t n_listed[2]; /* warnings, errors listed so far */
        int error;
} JsonCheck;

#define JSON_CHECK_INIT(f, d) ((JsonCheck) { .file = (f), .diags = (d) })

/* Adds an error (or warning) with an English and a French text. Use the
 * macros: they let the compiler check both formats against the arguments. */
void jsoncheck_report(JsonCheck *c, DiagSeverity severity, const char *path, const char *format_en,
                      const char *format_fr, ...);
#define jsoncheck_error(c, path, en, fr, ...)                                             \
        ((void) sizeof(printf(en, __VA_ARGS__)), (void) sizeof(printf(fr, __VA_ARGS__)), \
         jsoncheck_report((c), DIAG_ERROR, (path), (en), (fr), __VA_ARGS__))
#define jsoncheck_warning(c, path, en, fr, ...)                                           \
        ((void) sizeof(printf(en, __VA_ARGS__)), (void) sizeof(printf(fr, __VA_ARGS__)), \
         jsoncheck_report((c), DIAG_WARNING, (path), (en), (fr), __VA_ARGS__))
/* The run's verdict: -ENOMEM, -EINVAL (errors were reported) or 0. */
int jsoncheck_result(const JsonCheck *c);

/* Checks the raw text (valid UTF-8, an optional BOM skipped; no raw control
 * character and no \u0000 inside strings, which cJSON would let through or
 * silently truncate; nesting at most max_depth), then parses it. Every
 * problem is reported with its line, column and byte offset. Returns 0 and
 * the document, or -EINVAL (reported) / -ENOMEM. */
int jsoncheck_parse(JsonCheck *c, const char *data, size_t size, unsigned max_depth, cJSON **ret);

/* A value or key from the file as a message may show it: control
 * characters (C0, DEL, C1: terminal escapes for whoever reads the message)
 * as '?', cut on a character boundary after JSONCHECK_SHOWN_BYTES bytes
 * with "…". Returns buf. */
#define JSONCHECK_SHOWN_BYTES 64
#define JSONCHECK_SHOWN_MAX (JSONCHECK_SHOWN_BYTES + sizeof("…"))
const char *jsoncheck_shown(const char *s, char buf[static JSONCHECK_SHOWN_MAX]);

/* JSON paths: `buyer.address.city`, `actions[1].amount`,
 * `realisations["dev-durable"][2].date`. A key that is not a plain
 * identifier is quoted. `parent` NULL or "" is the document root. Return a
 * new string, or NULL on -ENOMEM. */
char *jsoncheck_path_key(const char *parent, const char *key);
char *jsoncheck_path_index(const char *parent, size_t index);

/* The strings of a NULL-terminated list joined by ", ", for messages that
 * say what was expected. A new string, or NULL on -ENOMEM. */
char *jsoncheck_join(const char *const *list);

/* "a string", "a number"…, and French "un texte", "un nombre"… */
const char *jsoncheck_type_en(const cJSON *j);
const char *jsoncheck_type_fr(const cJSON *j);

/* Duplicate keys in `object` are errors; so are keys not in `allowed`
 * (NULL-terminated) when `allowed` is given. */
void jsoncheck_keys(JsonCheck *c, const cJSON *object, const char *path, const char *const *allowed);

/* Typed members of `object` (at `path`). Each returns true with the value
 * when the member is present and right; false otherwise, having reported
 * why (missing only when `required`). */
bool jsoncheck_object(JsonCheck *c, const cJSON *object, const char *path, const char *key,
                      bool required, const cJSON **ret);
bool jsoncheck_array(JsonCheck *c, const cJSON *object, const char *path, const char *key,
                     bool required, const cJSON **ret);
/* A string of text: valid UTF-8 without control characters other than tab
 * and line breaks nor U+FFFE/U+FFFF (so that XML can carry it), not
 * empty, at most max_bytes bytes. */
bool jsoncheck_text(JsonCheck *c, const cJSON *object, const char *path, const char *key,
                    bool required, size_t max_bytes, const char **ret);
/* A JSON integer (not a string, not fractional) in [min, max]. */
bool jsoncheck_integer(JsonCheck *c, const cJSON *object, const char *path, const char *key,
                       bool required, int64_t min, int64_t max, int64_t *ret);
bool jsoncheck_bool(JsonCheck *c, const cJSON *object, const char *path, const char *key,
                    bool required, bool *ret);
/* A strict YYYY-MM-DD calendar date, as a string. */
bool jsoncheck_date(JsonCheck *c, const cJSON *object, const char *path, const char *key,
                    bool required, Date *ret);
/* [A-Za-z0-9._-]{1,64}. */
bool jsoncheck_identifier(JsonCheck *c, const cJSON *object, const char *path, const char *key,
                          bool required, const char **ret);
/* An amount as a decimal string ("500.00", "500"), > 0 and at most
 * MONEY_MAX_CENTS; a JSON number is refused with a message saying so. */
bool jsoncheck_money(JsonCheck *c, const cJSON *object, const char *path, const char *key,
                     bool required, int64_t *ret);
/* A VAT rate as a decimal string ("20.00"), 0..100. */
bool jsoncheck_rate(JsonCheck *c, const cJSON *object, const char *path, const char *key,
                    bool required, int64_t *ret);

/* Copies `s` into *dst (strdup); an allocation failure is recorded in the
 * run, so callers need not check. */
void jsoncheck_copy(JsonCheck *c, const char *s, char **dst);
/* jsoncheck_text() for one line of text (a name, an address line, an
 * author…): no control character (TAB, LF, U+0085 included), no U+2028,
 * U+2029, nor bidirectional control U+202A..U+202E, U+2066..U+2069; the
 * error names the field and the code point. */
bool jsoncheck_line(JsonCheck *c, const cJSON *object, const char *path, const char *key,
                    bool required, size_t max_bytes, const char **ret);
void jsoncheck_take_line(JsonCheck *c, const cJSON *object, const char *path, const char *key,
                         bool required, size_t max_bytes, char **dst);
/* jsoncheck_text() and, when it succeeds, a copy into *dst. */
void jsoncheck_take_text(JsonCheck *c, const cJSON *object, const char *path, const char *key,
                         bool required, size_t max_bytes, char **dst);

/* A string and where it was: sorting an array of these with
 * jsoncheck_string_ref_compare (by string, then position) puts equal strings
 * side by side in document order. How duplicate keys and repeated refs are
 * found in O(n log n). */
typedef struct JsonStringRef {
        const char *string;
        size_t index;
} JsonStringRef;
int jsoncheck_string_ref_compare(const void *a, const void *b);

/* The type check shared by the getters above, for callers that walk arrays
 * themselves: reports "expected <what>, got <type>" at `path`. */
void jsoncheck_type_error(JsonCheck *c, const char *path, const cJSON *got, const char *expected_en,
                          const char *expected_fr);
