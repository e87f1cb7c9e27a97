/* workbook.h — a spreadsheet (.ods or .xlsx) read from memory into plain
 * cells, for spreadsheet bilans (bilan_sheet.h).
 *
 * Workbooks are untrusted input: the ZIP container and its XML are read
 * with limits (entries, uncompressed sizes, rows, columns), no DTD, no
 * entity, no network, and nothing in them is ever run (macros are data).
 * Numbers are never converted to floating point: a number cell keeps the
 * decimal text written in the file. Pure: no I/O, no logging. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/date.h"
#include "base/diag.h"

#define WORKBOOK_ROWS_MAX 20000   /* non-empty rows per sheet */
#define WORKBOOK_COLUMNS_MAX 1024 /* column index of a non-empty cell */
#define WORKBOOK_CELL_TEXT_MAX (1 << 20)

typedef enum WorkbookFormat {
        WORKBOOK_ODS,
        WORKBOOK_XLSX,
        _WORKBOOK_FORMAT_MAX,
} WorkbookFormat;

typedef enum CellType {
        CELL_TEXT,   /* text: shared, inline, rich runs joined */
        CELL_NUMBER, /* text holds the number as written ("17", "1.5E+3") */
        CELL_DATE,   /* date holds it; text holds "AAAA-MM-JJ" */
        CELL_BOOL,   /* text "TRUE" or "FALSE" */
        CELL_ERROR,  /* a formula error: text "#N/A", "#DIV/0!"… */
} CellType;

/* One non-empty cell. A formula cell is its cached value. */
typedef struct Cell {
        uint32_t row, column; /* 0-based */
        CellType type;
        char *text;           /* UTF-8, never NULL */
        Date date;            /* CELL_DATE only */
} Cell;

typedef struct Sheet {
        char *name;
        bool hidden;
        Cell *cells; /* sorted by row, then column */
        size_t n_cells;
        uint32_t *hidden_rows; /* 0-based, sorted, only rows that have cells */
        size_t n_hidden_rows;
} Sheet;

typedef struct Workbook {
        WorkbookFormat format;
        bool has_macros; /* .xlsm, or an ODS with Basic or Scripts: never run */
        Sheet *sheets;   /* in the workbook's order */
        size_t n_sheets;
} Workbook;

/* Reads `data` (`size` bytes, a ZIP). `file` names the input in
 * diagnostics. Returns 0 and the workbook, or -EINVAL (not a workbook this
 * reader accepts, damaged, hostile or over a limit: `diags` says why, in
 * English and French), -ENOMEM. */
int workbook_read(const char *file, const void *data, size_t size, WorkbookFormat format,
                  Workbook **ret, Diagnostics *diags);
Workbook *workbook_free(Workbook *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(Workbook *, workbook_free);

/* The sheet whose name matches `name` ignoring case, accents and spaces
 * (workbook_label_equal()), or NULL. */
const Sheet *workbook_find_sheet(const Workbook *w, const char *name);
/* The cell at (row, column), or NULL when it is empty. */
const Cell *sheet_cell(const Sheet *s, uint32_t row, uint32_t column);
bool sheet_row_is_hidden(const Sheet *s, uint32_t row);

/* "E7" for (6, 4). */
#define CELL_NAME_MAX 16
const char *cell_name(uint32_t row, uint32_t column, char ret[static CELL_NAME_MAX]);

/* Labels as people type them: equal ignoring case, Latin accents,
 * surrounding spaces and runs of inner spaces. */
bool workbook_label_equal(const char *a, const char *b);
