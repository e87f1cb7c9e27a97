/* bilan_template_internal.h — the template as a small format-neutral model
 * (bilan_template.c builds it from the convention), which
 * bilan_template_ods.c and bilan_template_xlsx.c write out, and the
 * in-memory ZIP and XML text helpers they share. Not for other modules. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/date.h"
#include "writers/bilan_template.h"

/* Cell styles; each format maps them to its own. */
typedef enum TplStyle {
        TPL_STYLE_DEFAULT,
        TPL_STYLE_TITLE,   /* bold, larger */
        TPL_STYLE_HEADER,  /* bold on a light fill, wrapped: column headers */
        TPL_STYLE_LABEL,   /* bold: the labels of the Bilan sheet */
        TPL_STYLE_WRAP,    /* wrapped, top aligned */
        TPL_STYLE_DATE,    /* JJ/MM/AAAA */
        TPL_STYLE_TEXT,    /* text format "@": a SIRET keeps its zeros */
        TPL_STYLE_INTEGER, /* whole numbers */
        TPL_STYLE_NOTE,    /* italic: explanations */
        TPL_STYLE_BOX,     /* wrapped, framed: a cell to write in */
        _TPL_STYLE_MAX,
} TplStyle;

typedef enum TplCellType {
        TPL_CELL_TEXT,
        TPL_CELL_DATE,  /* date */
        TPL_CELL_TODAY, /* =TODAY(), cached value date */
        TPL_CELL_EMPTY, /* no value, only the style */
} TplCellType;

typedef struct TplCell {
        uint32_t column; /* 0-based */
        TplCellType type;
        TplStyle style;
        const char *text; /* TPL_CELL_TEXT; may hold '\n' */
        Date date;
} TplCell;

typedef struct TplRow {
        uint32_t index;   /* 0-based, increasing */
        double height_cm; /* 0: the default */
        TplCell cells[8];
        size_t n_cells;   /* in column order */
} TplRow;

typedef struct TplColumn {
        double width_cm;
        TplStyle style; /* the style of its empty cells (the rows to fill) */
} TplColumn;

typedef enum TplValidationType {
        TPL_VALID_LIST,  /* one of the values in the Listes sheet, column list_column */
        TPL_VALID_DATE,  /* a date from min to max */
        TPL_VALID_WHOLE, /* a whole number >= 0 */
} TplValidationType;

typedef struct TplValidation {
        const char *name; /* ASCII, for ODS */
        TplValidationType type;
        uint32_t column;               /* in the sheet, rows first_row..last_row */
        uint32_t first_row, last_row;  /* 0-based, inclusive */
        uint32_t list_column, list_size; /* TPL_VALID_LIST: Listes rows 0..list_size-1 */
        Date min, max;                 /* TPL_VALID_DATE */
        const char *title;             /* the error box */
        const char *message;
} TplValidation;

#define TPL_COLUMNS_MAX 8
#define TPL_VALIDATIONS_MAX 4

typedef struct TplSheet {
        const char *name;
        bool hidden;
        bool freeze_first_row;
        TplColumn columns[TPL_COLUMNS_MAX];
        size_t n_columns;
        TplRow *rows;
        size_t n_rows;
        /* ODS: rows after the last written one that carry the columns'
         * styles and the validations (XLSX styles whole columns). */
        uint32_t formatted_rows_end; /* 0-based exclusive; 0: none */
        TplValidation validations[TPL_VALIDATIONS_MAX];
        size_t n_validations;
} TplSheet;

#define TPL_SHEETS 4

typedef struct TplWorkbook {
        TplSheet sheets[TPL_SHEETS];
        const char *title;   /* document title */
        const char *creator; /* NULL: none */
        Date date;
        /* Strings and rows owned by the model. */
        char **owned;
        size_t n_owned;
} TplWorkbook;

void tpl_workbook_done(TplWorkbook *w);

/* ---- writing (bilan_template.c) ---- */

/* An open_memstream() text being built; errors are checked once at the
 * end (tpl_text_finish). */
typedef struct TplText {
        FILE *f;
        char *buf;
        size_t size;
} TplText;

int tpl_text_begin(TplText *t);
/* Closes the stream: 0 and the text (*ret, free()), or -ENOMEM. */
int tpl_text_finish(TplText *t, char **ret, size_t *ret_size);
void tpl_text_done(TplText *t);
/* `s` escaped for XML text and attributes (&, <, >, ", '); characters XML
 * 1.0 cannot carry are dropped. */
void tpl_put_escaped(FILE *f, const char *s);
/* The same for the first n bytes of s. */
void tpl_put_escaped_n(FILE *f, const char *s, size_t n);
/* `v` with two decimals and a '.', whatever the locale ("7.50"). */
void tpl_put_decimal(FILE *f, double v);
/* "A", "B"… "Z", "AA": the column letters. */
void tpl_column_letters(uint32_t column, char ret[static 4]);

/* An archive being built in memory; entries are stored in the order they
 * are added, all dated 1980-01-01 00:00. */
typedef struct TplZip TplZip;
int tpl_zip_new(TplZip **ret);
/* Adds `name`, taking `data` (malloc'd; freed whatever happens).
 * `store`: uncompressed (the ODS mimetype). */
int tpl_zip_add(TplZip *z, const char *name, char *data, size_t size, bool store);
/* Closes the archive and returns its bytes (free()). Frees z. */
int tpl_zip_finish(TplZip *z, char **ret, size_t *ret_size);
TplZip *tpl_zip_free(TplZip *z);

/* The two formats. Return 0, -ENOMEM, -EIO. */
int bilan_template_write_ods(const TplWorkbook *w, char **ret, size_t *ret_size);
int bilan_template_write_xlsx(const TplWorkbook *w, char **ret, size_t *ret_size);
