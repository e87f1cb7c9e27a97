/* bilan_input.h — a file dropped as a bilan, whatever it is: the kind is
 * decided by its content (never by its name), then a JSON bilan goes to
 * bilan_parse() and a workbook (.ods, .xlsx, .xlsm) to workbook_read() and
 * bilan_sheet_parse(). Anything else (a legacy .xls, a workbook protected by
 * a password, a Word or PowerPoint document, a PDF, a CSV, another ZIP,
 * unknown binary) is refused with a French message that says what it is
 * and what is expected. Pure: no I/O, no logging. */
#pragma once

#include <stddef.h>

#include "core/bilan.h"

/* What a bilan file may be read from: a workbook is at most 8 MiB (a JSON
 * bilan still at most BILAN_SIZE_MAX, which bilan_parse() checks). */
#define BILAN_FILE_MAX (8 << 20)

typedef enum BilanFileKind {
        BILAN_FILE_JSON,      /* or text that is not CSV: bilan_parse() says what is wrong */
        BILAN_FILE_ODS,
        BILAN_FILE_XLSX,
        BILAN_FILE_XLSM,      /* read; its macros are never run */
        BILAN_FILE_ENCRYPTED, /* OOXML protected by a password (OLE2 EncryptedPackage) */
        BILAN_FILE_XLS,       /* legacy Excel (OLE2) */
        BILAN_FILE_DOC,       /* legacy Word (OLE2) */
        BILAN_FILE_OLE2,      /* another legacy Office file */
        BILAN_FILE_DOCX,
        BILAN_FILE_ODT,
        BILAN_FILE_PPTX,
        BILAN_FILE_OPENDOCUMENT, /* another OpenDocument (presentation, drawing…) */
        BILAN_FILE_PDF,
        BILAN_FILE_CSV,
        BILAN_FILE_ZIP,         /* another ZIP */
        BILAN_FILE_ZIP_DAMAGED, /* starts like a ZIP, libzip cannot open it */
        BILAN_FILE_BINARY,
        _BILAN_FILE_KIND_MAX,
} BilanFileKind;

/* The kind of `data` (`size` bytes), from its content;
 * _BILAN_FILE_KIND_MAX when memory ran out while looking into a ZIP. */
BilanFileKind bilan_file_kind(const void *data, size_t size);
/* "json", "ods", "xlsx"…: for logs and tests. */
const char *bilan_file_kind_to_string(BilanFileKind k);

/* Reads the bilan in `data`, whatever its kind, and checks it against its
 * convention. Returns 0, the bilan and (optionally) its convention, with
 * warnings in `diags`; -EINVAL when the file is refused (every problem in
 * `diags`, JSON over BILAN_SIZE_MAX and files over BILAN_FILE_MAX too), or
 * -ENOMEM. */
int bilan_read(const char *file, const void *data, size_t size, const ConventionSet *conventions, Bilan **ret,
               const Convention **ret_convention, Diagnostics *diags);

/* bilan_peek_convention() for every kind: the convention a bilan names (a
 * workbook's Convention label), when it is a valid identifier, without
 * checking the rest. A new string, or NULL. */
char *bilan_read_peek_convention(const void *data, size_t size);
