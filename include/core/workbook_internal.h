/* workbook_internal.h — what the parts of the workbook reader share
 * (workbook.c, workbook_zip.c, workbook_ods.c, workbook_xlsx.c), not for
 * other modules: the limits, the read in progress, the bounded ZIP entries
 * streamed into a guarded libxml2 reader, the sheet builder that enforces the
 * row, column and cell limits, and the refusals' wording. */
#pragma once

#include <libxml/xmlreader.h>
#include <stdlib.h>
#include <zip.h>

#include "core/workbook.h"

#define WORKBOOK_ZIP_ENTRIES_MAX 1000
#define WORKBOOK_ENTRY_MAX ((uint64_t) 32 << 20) /* uncompressed, per entry read */
#define WORKBOOK_TOTAL_MAX ((uint64_t) 64 << 20) /* uncompressed, all entries read */
#define WORKBOOK_BOMB_SIZE ((uint64_t) 1 << 20) /* the ratio rule applies above this */
#define WORKBOOK_BOMB_RATIO 200
#define WORKBOOK_SHEETS_MAX 1000
/* Memory bound of the result: ODS repeats can make many cells from a few
 * bytes, so cells and their text are also counted for the whole workbook. */
#define WORKBOOK_CELLS_MAX 1000000
#define WORKBOOK_TEXT_TOTAL_MAX ((uint64_t) 64 << 20)
#define WORKBOOK_NAME_MAX 1024 /* sheet names, in bytes */

/* One workbook_read() in progress. */
typedef struct WorkbookInput {
        const char *file;   /* for diagnostics */
        Diagnostics *diags;
        zip_t *zip;
        bool nocase;        /* OOXML part names are case-insensitive */
        uint64_t total_read;
        size_t total_cells;
        uint64_t total_text;
        Workbook *workbook;
} WorkbookInput;

/* ---- workbook_zip.c ---- */

/* Opens the ZIP held in data[0..size) (not copied: it must outlive `in`).
 * Returns 0, or -EINVAL (damaged, too many entries: diagnosed), -ENOMEM. */
int workbook_zip_open(WorkbookInput *in, const void *data, size_t size);
void workbook_zip_close(WorkbookInput *in);
bool workbook_zip_has(WorkbookInput *in, const char *name);
/* « le classeur est protégé par un mot de passe » (`entry` is encrypted). */
int workbook_password(WorkbookInput *in, const char *entry);
/* Is there an entry whose name starts with `prefix` ("Basic/")? */
bool workbook_zip_has_prefix(WorkbookInput *in, const char *prefix);

/* libxml2 reports some errors (input encoding conversions, I/O) through
 * its global handlers, which print to stderr: a pure module must not, and
 * a file from outside must not reach the log. workbook_read() silences
 * them for its duration and restores the caller's. */
typedef struct WorkbookXmlErrors {
        xmlGenericErrorFunc generic;
        void *generic_context;
        xmlStructuredErrorFunc structured;
        void *structured_context;
} WorkbookXmlErrors;

void workbook_xml_errors_silence(WorkbookXmlErrors *saved);
void workbook_xml_errors_restore(const WorkbookXmlErrors *saved);

/* A ZIP entry streamed through libxml2's xmlTextReader, with the limits of
 * workbook_zip.c on what is decompressed, no DTD, no entity loading, no
 * network; a DOCTYPE anywhere is refused. */
typedef struct WorkbookXml WorkbookXml;

/* Returns 0, -ENOENT when there is no such entry (not diagnosed: the caller
 * knows whether it matters), -EINVAL (encrypted entry: diagnosed),
 * -ENOMEM. */
int workbook_xml_open(WorkbookInput *in, const char *name, WorkbookXml **ret);
WorkbookXml *workbook_xml_free(WorkbookXml *x);
DEFINE_TRIVIAL_CLEANUP_FUNC(WorkbookXml *, workbook_xml_free);
/* The next node: 1, 0 at the end of the document, -EINVAL (damaged,
 * hostile or over a limit: diagnosed once), -ENOMEM. */
int workbook_xml_read(WorkbookXml *x);
/* The same inside an element, where the end of the document is damage:
 * 1 or < 0. */
int workbook_xml_next(WorkbookXml *x);
/* Consumes the subtree of the current element (nothing for an empty one).
 * Returns 0 or < 0. */
int workbook_xml_skip(WorkbookXml *x);
xmlTextReaderPtr workbook_xml_reader(WorkbookXml *x);
const char *workbook_xml_entry(WorkbookXml *x);

/* For the strings of workbook_xml_attr(): libxml2 allocates them with
 * xmlMalloc, which is malloc (we never call xmlMemSetup()); free() spares
 * the binaries a reference to libxml2's xmlFree variable (base/xml_lazy.c). */
static inline void xml_freep(char **p) {
        free(*p);
}

/* Node tests on the reader's current node. `ns` NULL matches any
 * namespace (OOXML transitional and strict differ only there). */
bool workbook_xml_is_start(xmlTextReaderPtr r, const char *ns, const char *local);
bool workbook_xml_is_end(xmlTextReaderPtr r, const char *ns, const char *local);
/* Text, CDATA and whitespace nodes: the characters of an element. */
bool workbook_xml_is_text(xmlTextReaderPtr r);
/* The value of an attribute of the current element (`ns` NULL: without a
 * namespace), malloc'd by libxml2 (xmlFree), or NULL. */
char *workbook_xml_attr(xmlTextReaderPtr r, const char *ns, const char *local);
/* The first attribute whose local name is `local`, in any namespace but
 * none (OOXML's r:id under either namespace). */
char *workbook_xml_attr_any_ns(xmlTextReaderPtr r, const char *local);

/* ---- workbook.c: arrays that grow ---- */

/* Makes room for one more element in `array` (n in use, *cap allocated),
 * doubling. Returns the array (maybe moved), or NULL when out of memory
 * (the old one is kept). */
void *workbook_grow(void *array, size_t *cap, size_t n, size_t size);

/* ---- workbook.c: text being collected, bounded by WORKBOOK_CELL_TEXT_MAX ---- */

typedef struct WorkbookText {
        char *s; /* NUL-terminated once anything was added */
        size_t len, cap;
} WorkbookText;

/* Returns 0, -E2BIG (over WORKBOOK_CELL_TEXT_MAX), -ENOMEM. */
int workbook_text_append(WorkbookText *t, const char *s, size_t n);
int workbook_text_repeat(WorkbookText *t, char c, uint64_t n);
static inline const char *workbook_text_str(const WorkbookText *t) {
        return t->s ? t->s : "";
}
static inline void workbook_text_reset(WorkbookText *t) {
        t->len = 0;
        if (t->s)
                t->s[0] = 0;
}
static inline void workbook_text_done(WorkbookText *t) {
        free(t->s);
        *t = (WorkbookText) {};
}

/* ---- workbook.c: sheets under construction ---- */

typedef struct SheetBuilder {
        WorkbookInput *in;
        Sheet *sheet;          /* in in->workbook->sheets */
        size_t cap_cells, cap_hidden;
        size_t n_rows;         /* non-empty rows so far */
        uint64_t row;          /* the current row */
        bool row_hidden, row_has_cells;
        bool sorted;           /* cells arrived in (row, column) order */
} SheetBuilder;

/* Appends a sheet named `name` to in->workbook. Returns 0, -EINVAL (too
 * many sheets: diagnosed), -ENOMEM. */
int sheet_builder_start(SheetBuilder *b, WorkbookInput *in, const char *name, bool hidden);
/* The cells that follow are on `row` (0-based). */
void sheet_builder_row(SheetBuilder *b, uint64_t row, bool hidden);
/* One cell of the current row; `text` is copied (empty text: no cell).
 * Returns 0, -EINVAL (a limit: diagnosed), -ENOMEM. */
int sheet_builder_cell(SheetBuilder *b, uint64_t column, CellType type, const char *text, size_t len,
                       const Date *date);
/* Sorts the cells (a later duplicate of a cell is dropped) and the hidden
 * rows. Returns 0 or -ENOMEM. */
int sheet_builder_finish(SheetBuilder *b);

/* ---- workbook.c: values ---- */

/* A decimal number as spreadsheets write it: [+-]digits[.digits][E[+-]digits]. */
bool workbook_number_is_valid(const char *s);
/* The day of a spreadsheet serial number (its integer part): 1900 system
 * (1 = 1900-01-01, 60 = the 1900-02-29 that never was: refused) or 1904 (0 =
 * 1904-01-01). Returns 0, or -EINVAL when it is no day of 1900..9999. */
int workbook_serial_to_date(const char *number, bool date1904, Date *ret);
/* "E7" → row 6, column 4. Returns 0 or -EINVAL. */
int workbook_parse_cell_ref(const char *s, uint32_t *ret_row, uint32_t *ret_column);

/* ---- workbook.c: refusals (English and French, always returns -EINVAL
 * or -ENOMEM) ---- */

/* Limits met while reading a sheet, naming it (and the row or cell). */
int sheet_builder_column_limit(SheetBuilder *b);
/* `r` from workbook_text_*(): -E2BIG becomes the refusal of a text over
 * WORKBOOK_CELL_TEXT_MAX in the cell (current row, `column`). */
int sheet_builder_text_error(SheetBuilder *b, uint64_t column, int r);

/* More than WORKBOOK_CELLS_MAX cells or WORKBOOK_TEXT_TOTAL_MAX of text
 * in the workbook. */
int workbook_too_much_text(WorkbookInput *in);

/* « le classeur est abîmé ou incomplet (DETAIL) : ouvrez-le et
 * enregistrez-le de nouveau ». */
int workbook_damaged(WorkbookInput *in, const char *detail_en, const char *detail_fr);
/* `name` safe to quote in a message: control characters become '?', cut
 * at about 100 bytes. Returns buf. */
char *workbook_display_name(const char *name, char buf[static 128]);

/* ---- the two formats ---- */

int workbook_ods_read(WorkbookInput *in);
int workbook_xlsx_read(WorkbookInput *in);
