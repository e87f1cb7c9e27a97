/* zipfixture.h — ZIP archives built in memory with libzip, for the tests
 * of the spreadsheet reader (test_workbook.c) and any test that needs an
 * .ods or .xlsx made from literal XML.
 *
 * Functions abort the test (cr_assert) on failure. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct ZipFixtureEntry {
        const char *name;
        const char *text;     /* the content, NUL-terminated; or: */
        const void *data;     /* `size` bytes (when text is NULL) */
        size_t size;
        bool store;           /* not compressed (ODF's mimetype) */
        const char *password; /* set: encrypted with WinZip AES-256 */
} ZipFixtureEntry;

/* The archive of the n entries, in that order (malloc'd, *ret_size bytes). */
void *zipfixture_build(const ZipFixtureEntry *entries, size_t n, size_t *ret_size);
