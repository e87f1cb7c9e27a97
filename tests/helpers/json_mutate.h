/* json_mutate.h — table-driven tests of JSON validators: take a valid
 * document, change one thing at a JSON path, and see the validator name
 * that path. Paths use the validators' own syntax: `actions[1].amount`,
 * `realisations["dev-durable"][2].date`. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "base/diag.h"

typedef struct JsonMutation {
        const char *path;  /* NULL ends a list of mutations */
        const char *value; /* JSON text to put there; NULL deletes the member */
} JsonMutation;

/* Applies up to `n` mutations (stopping at a NULL path) to the JSON text
 * `base` and returns the new text (malloc'd), or NULL if a path does not
 * resolve or a value is not JSON. Setting a missing member adds it;
 * setting index == array size appends. */
char *json_mutate(const char *base, const JsonMutation *mutations, size_t n);

/* The first diagnostic of `severity` at exactly `path` (NULL = no path)
 * whose English message contains `fragment`, or NULL. */
const Diag *diag_find(const Diagnostics *d, DiagSeverity severity, const char *path, const char *fragment);

/* Prints every diagnostic to stderr: the message of a failed expectation
 * then shows what the validator did say. */
void diag_dump(const Diagnostics *d);

/* Expects exactly one error per mutation, each at its mutation's path:
 * how the validators show they report every problem at once. */
void expect_error_per_mutation(const Diagnostics *d, const JsonMutation *mutations, size_t n);

/* `s` with the first occurrence of `find` replaced (malloc'd): for the raw
 * text cases a tree mutation cannot express. The test fails if `find` is
 * not there. */
char *test_replace_first(const char *s, const char *find, const char *replace);

/* Reads a whole file (tests only: aborts the test on failure). */
char *test_read_file(const char *path, size_t *ret_size);
