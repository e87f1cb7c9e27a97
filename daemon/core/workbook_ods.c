/* workbook_ods.c — OpenDocument spreadsheets (.ods, what LibreOffice
 * saves): content.xml streamed through workbook_zip.c's guarded reader
 * into sheets of cells (workbook_internal.h).
 *
 * Repeats (table:number-rows-repeated, table:number-columns-repeated) are
 * never expanded for empty rows and cells: LibreOffice ends every sheet
 * with a repeat of a million empty rows, which only moves the row counter.
 * A repeated non-empty row or cell is expanded, within the sheet builder's
 * limits. Covered cells (under a merge) are empty. Values come from the
 * office:value, office:date-value and office:boolean-value attributes
 * (formulas' cached results included), text from the text:p paragraphs,
 * joined by "\n", with ODF's white-space rules (text:s, text:tab,
 * text:line-break). Hidden rows: table:visibility collapse or filter;
 * hidden sheets: an automatic table style with table:display="false".
 * A META-INF/manifest.xml with encryption data is a password-protected
 * file; Basic/ or Scripts/ entries set has_macros (never run). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/workbook_internal.h"

#define NS_OFFICE "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
#define NS_TABLE "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
#define NS_TEXT "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
#define NS_STYLE "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
#define NS_CALCEXT "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"
#define NS_MANIFEST "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"

#define ODS_HIDDEN_STYLES_MAX 10000
#define ODS_REPEAT_MAX ((uint64_t) 1 << 32)

/* A non-empty cell of the row being read (the row may be repeated). */
typedef struct OdsCell {
        uint64_t column;
        CellType type;
        char *text;
        size_t len;
        Date date;
} OdsCell;

typedef struct Ods {
        WorkbookInput *in;
        WorkbookXml *x;
        xmlTextReaderPtr r;
        char **hidden_styles; /* automatic table styles with table:display="false" */
        size_t n_hidden_styles, cap_hidden_styles;
        SheetBuilder sheet;
        uint64_t row;         /* the next row's index */
        uint64_t column;      /* the next cell's index */
        OdsCell *cells;       /* the current row's non-empty cells */
        size_t n_cells, cap_cells;
        uint64_t row_text;    /* the bytes of their texts */
        uint64_t spaces;      /* made by text:s in the whole document */
        WorkbookText text;    /* the current cell's paragraphs */
} Ods;

static void ods_row_clear(Ods *o) {
        for (size_t i = 0; i < o->n_cells; i++)
                free(o->cells[i].text);
        o->n_cells = 0;
        o->row_text = 0;
}

static void ods_done(Ods *o) {
        ods_row_clear(o);
        free(o->cells);
        for (size_t i = 0; i < o->n_hidden_styles; i++)
                free(o->hidden_styles[i]);
        free(o->hidden_styles);
        workbook_text_done(&o->text);
        workbook_xml_free(o->x);
}

/* table:number-*-repeated: a positive count; anything else counts once. */
static uint64_t ods_repeat(const char *s) {
        uint64_t n = 0;

        if (!s || !*s)
                return 1;
        for (; *s >= '0' && *s <= '9'; s++) {
                n = n * 10 + (uint64_t) (*s - '0');
                if (n > ODS_REPEAT_MAX)
                        return ODS_REPEAT_MAX;
        }
        return *s || n == 0 ? 1 : n;
}

static bool ods_is(Ods *o, const char *ns, const char *local) {
        return workbook_xml_is_start(o->r, ns, local);
}

static bool ods_is_end_at(Ods *o, int depth) {
        return xmlTextReaderNodeType(o->r) == XML_READER_TYPE_END_ELEMENT && xmlTextReaderDepth(o->r) == depth;
}

/* ---- automatic styles: which table styles hide their sheet ---- */

static int ods_add_hidden_style(Ods *o, const char *name) {
        void *grown;
        char *copy;

        if (o->n_hidden_styles >= ODS_HIDDEN_STYLES_MAX)
                return 0; /* only a hostile file has so many: its sheets show */
        grown = workbook_grow(o->hidden_styles, &o->cap_hidden_styles, o->n_hidden_styles, sizeof(char *));
        if (!grown)
                return -ENOMEM;
        o->hidden_styles = grown;
        copy = strdup(name);
        if (!copy)
                return -ENOMEM;
        o->hidden_styles[o->n_hidden_styles++] = copy;
        return 0;
}

static bool ods_style_hides(Ods *o, const char *name) {
        for (size_t i = 0; name && i < o->n_hidden_styles; i++)
                if (streq(o->hidden_styles[i], name))
                        return true;
        return false;
}

static int ods_read_styles(Ods *o) {
        _cleanup_(xml_freep) char *current = NULL; /* the table style being read */
        int depth = xmlTextReaderDepth(o->r), r;

        if (xmlTextReaderIsEmptyElement(o->r))
                return 0;
        for (;;) {
                r = workbook_xml_next(o->x);
                if (r < 0)
                        return r;
                if (ods_is_end_at(o, depth))
                        return 0;
                if (ods_is(o, NS_STYLE, "style")) {
                        _cleanup_(xml_freep) char *family = workbook_xml_attr(o->r, NS_STYLE, "family");

                        xml_freep(&current);
                        current = family && streq(family, "table") ? workbook_xml_attr(o->r, NS_STYLE, "name")
                                                                   : NULL;
                } else if (current && ods_is(o, NS_STYLE, "table-properties")) {
                        _cleanup_(xml_freep) char *display = workbook_xml_attr(o->r, NS_TABLE, "display");

                        if (display && streq(display, "false")) {
                                r = ods_add_hidden_style(o, current);
                                if (r < 0)
                                        return r;
                        }
                }
        }
}

/* ---- cells ---- */

/* Character data of a paragraph under ODF's white-space rule: tabs and
 * newlines are spaces, a run of spaces is one, none at the start of a
 * paragraph or line (text:s writes the others). */
static int ods_append_collapsed(Ods *o, const char *s, bool *space) {
        while (*s) {
                size_t n = strcspn(s, " \t\n\r");
                int r;

                if (n > 0) {
                        r = workbook_text_append(&o->text, s, n);
                        if (r < 0)
                                return r;
                        *space = false;
                        s += n;
                        continue;
                }
                if (!*space) {
                        r = workbook_text_append(&o->text, " ", 1);
                        if (r < 0)
                                return r;
                        *space = true;
                }
                s++;
        }
        return 0;
}

/* Inside a paragraph: spaces, tabs, line breaks; spans, links and fields
 * are descended into; notes, annotations and drawings skipped. */
static int ods_read_inline(Ods *o, bool *space) {
        const char *local = (const char *) xmlTextReaderConstLocalName(o->r);
        const xmlChar *ns = xmlTextReaderConstNamespaceUri(o->r);

        if (!xmlStrEqual(ns, BAD_CAST NS_TEXT) || streq(local, "note") || streq(local, "ruby-text"))
                return workbook_xml_skip(o->x);
        if (streq(local, "s")) {
                _cleanup_(xml_freep) char *c = workbook_xml_attr(o->r, NS_TEXT, "c");
                uint64_t n = ods_repeat(c);

                /* The one way a few bytes of XML make much text, even in
                 * cells whose text is then not kept (a number's). */
                o->spaces += n;
                if (o->spaces > WORKBOOK_TEXT_TOTAL_MAX)
                        return workbook_too_much_text(o->in);
                *space = false;
                return workbook_text_repeat(&o->text, ' ', n);
        }
        if (streq(local, "tab")) {
                *space = false;
                return workbook_text_append(&o->text, "\t", 1);
        }
        if (streq(local, "line-break")) {
                *space = true;
                return workbook_text_append(&o->text, "\n", 1);
        }
        return 0;
}

/* The text:p / text:h children of the cell, joined by "\n". */
static int ods_read_paragraphs(Ods *o) {
        int cell_depth = xmlTextReaderDepth(o->r), p_depth = -1, r;
        size_t paragraphs = 0;
        bool space = true;

        for (;;) {
                int type, depth;

                r = workbook_xml_next(o->x);
                if (r < 0)
                        return r;
                type = xmlTextReaderNodeType(o->r);
                depth = xmlTextReaderDepth(o->r);
                if (type == XML_READER_TYPE_END_ELEMENT) {
                        if (depth == cell_depth)
                                return 0;
                        if (depth == p_depth)
                                p_depth = -1;
                        continue;
                }
                if (type == XML_READER_TYPE_ELEMENT && p_depth < 0) {
                        if (depth == cell_depth + 1 && (ods_is(o, NS_TEXT, "p") || ods_is(o, NS_TEXT, "h"))) {
                                if (paragraphs++ > 0) {
                                        r = workbook_text_append(&o->text, "\n", 1);
                                        if (r < 0)
                                                return r;
                                }
                                space = true;
                                if (!xmlTextReaderIsEmptyElement(o->r))
                                        p_depth = depth;
                                continue;
                        }
                        r = workbook_xml_skip(o->x); /* annotations, drawings, sub-tables */
                } else if (type == XML_READER_TYPE_ELEMENT)
                        r = ods_read_inline(o, &space);
                else if (p_depth >= 0 && workbook_xml_is_text(o->r))
                        r = ods_append_collapsed(o, (const char *) xmlTextReaderConstValue(o->r), &space);
                if (r < 0)
                        return r;
        }
}

static int ods_push_cell(Ods *o, uint64_t column, CellType type, const char *text, size_t len, const Date *date) {
        OdsCell *c;

        if (o->n_cells == o->cap_cells) {
                size_t cap = o->cap_cells ? o->cap_cells * 2 : 16;
                OdsCell *cells = realloc(o->cells, cap * sizeof(OdsCell));

                if (!cells)
                        return -ENOMEM;
                o->cells = cells;
                o->cap_cells = cap;
        }
        c = &o->cells[o->n_cells];
        *c = (OdsCell) { .column = column, .type = type, .len = len, .date = date ? *date : (Date) {} };
        c->text = strndup(text, len);
        if (!c->text)
                return -ENOMEM;
        o->n_cells++;
        return 0;
}

/* The attributes that make a cell's value (formulas' cached results too). */
typedef struct OdsValue {
        char *type, *calc_type, *value, *date_value, *boolean_value, *string_value;
} OdsValue;

static void ods_value_done(OdsValue *v) {
        xml_freep(&v->type);
        xml_freep(&v->calc_type);
        xml_freep(&v->value);
        xml_freep(&v->date_value);
        xml_freep(&v->boolean_value);
        xml_freep(&v->string_value);
}

static bool str_in(const char *s, const char *a, const char *b, const char *c) {
        return s && (streq(s, a) || (b && streq(s, b)) || (c && streq(s, c)));
}

/* Decides the cell's type and text; the text may point into o->text. */
static void ods_cell_value(Ods *o, const OdsValue *v, CellType *type, const char **text, Date *date,
                           char buf[static DATE_STRING_MAX]) {
        const char *shown = workbook_text_str(&o->text);

        *type = CELL_TEXT;
        *text = shown;
        if (v->calc_type && streq(v->calc_type, "error")) {
                *type = CELL_ERROR;
        } else if (str_in(v->type, "float", "percentage", "currency")) {
                if (v->value && workbook_number_is_valid(v->value)) {
                        *type = CELL_NUMBER;
                        *text = v->value;
                }
        } else if (str_in(v->type, "date", NULL, NULL)) {
                char day[DATE_STRING_MAX] = "";

                if (v->date_value)
                        snprintf(day, sizeof day, "%.10s", v->date_value);
                if (date_parse(day, date) >= 0) {
                        *type = CELL_DATE;
                        *text = date_format(*date, buf);
                } else if (!*shown && v->date_value)
                        *text = v->date_value;
        } else if (str_in(v->type, "boolean", NULL, NULL)) {
                if (str_in(v->boolean_value, "true", "false", NULL)) {
                        *type = CELL_BOOL;
                        *text = streq(v->boolean_value, "true") ? "TRUE" : "FALSE";
                }
        } else if (str_in(v->type, "string", NULL, NULL) && v->string_value)
                *text = v->string_value; /* a formula's string result */
}

static int ods_read_cell(Ods *o, bool covered) {
        _cleanup_(ods_value_done) OdsValue v = {};
        _cleanup_(xml_freep) char *repeated = workbook_xml_attr(o->r, NS_TABLE, "number-columns-repeated");
        uint64_t repeat = ods_repeat(repeated), column = o->column;
        char buf[DATE_STRING_MAX];
        const char *text;
        CellType type;
        Date date = {};
        size_t len;
        int r;

        o->column += repeat;
        if (covered) /* under a merge: LibreOffice may keep text there, not shown */
                return workbook_xml_skip(o->x);
        v = (OdsValue) {
                .type = workbook_xml_attr(o->r, NS_OFFICE, "value-type"),
                .calc_type = workbook_xml_attr(o->r, NS_CALCEXT, "value-type"),
                .value = workbook_xml_attr(o->r, NS_OFFICE, "value"),
                .date_value = workbook_xml_attr(o->r, NS_OFFICE, "date-value"),
                .boolean_value = workbook_xml_attr(o->r, NS_OFFICE, "boolean-value"),
                .string_value = workbook_xml_attr(o->r, NS_OFFICE, "string-value"),
        };
        workbook_text_reset(&o->text);
        if (!xmlTextReaderIsEmptyElement(o->r)) {
                r = ods_read_paragraphs(o);
                if (r < 0)
                        return sheet_builder_text_error(&o->sheet, column, r);
        }
        ods_cell_value(o, &v, &type, &text, &date, buf);
        len = strlen(text);
        if (len == 0)
                return 0;
        if (len > WORKBOOK_CELL_TEXT_MAX)
                return sheet_builder_text_error(&o->sheet, column, -E2BIG);
        if (column >= WORKBOOK_COLUMNS_MAX || repeat > WORKBOOK_COLUMNS_MAX - column)
                return sheet_builder_column_limit(&o->sheet);
        /* The copies are made before the sheet builder counts them. */
        if (len * repeat > WORKBOOK_TEXT_TOTAL_MAX - o->in->total_text - o->row_text)
                return workbook_too_much_text(o->in);
        o->row_text += len * repeat;
        for (uint64_t k = 0; k < repeat; k++) {
                r = ods_push_cell(o, column + k, type, text, len, type == CELL_DATE ? &date : NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- rows and tables ---- */

static int ods_emit_row(Ods *o, uint64_t repeat, bool hidden) {
        int r;

        for (uint64_t k = 0; k < repeat; k++) {
                sheet_builder_row(&o->sheet, o->row + k, hidden);
                for (size_t i = 0; i < o->n_cells; i++) {
                        const OdsCell *c = &o->cells[i];

                        r = sheet_builder_cell(&o->sheet, c->column, c->type, c->text, c->len,
                                               c->type == CELL_DATE ? &c->date : NULL);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int ods_read_row(Ods *o) {
        _cleanup_(xml_freep) char *repeated = workbook_xml_attr(o->r, NS_TABLE, "number-rows-repeated");
        _cleanup_(xml_freep) char *visibility = workbook_xml_attr(o->r, NS_TABLE, "visibility");
        uint64_t repeat = ods_repeat(repeated);
        bool hidden = str_in(visibility, "collapse", "filter", NULL);
        int depth = xmlTextReaderDepth(o->r), r = 0;

        o->column = 0;
        ods_row_clear(o);
        sheet_builder_row(&o->sheet, o->row, hidden); /* for the messages about its cells */
        if (!xmlTextReaderIsEmptyElement(o->r))
                for (;;) {
                        r = workbook_xml_next(o->x);
                        if (r < 0)
                                return r;
                        if (ods_is_end_at(o, depth))
                                break;
                        if (ods_is(o, NS_TABLE, "table-cell"))
                                r = ods_read_cell(o, false);
                        else if (ods_is(o, NS_TABLE, "covered-table-cell"))
                                r = ods_read_cell(o, true);
                        if (r < 0)
                                return r;
                }
        if (o->n_cells > 0)
                r = ods_emit_row(o, repeat, hidden);
        ods_row_clear(o);
        o->row += repeat;
        return r;
}

static int ods_read_table(Ods *o) {
        _cleanup_(xml_freep) char *name = workbook_xml_attr(o->r, NS_TABLE, "name");
        _cleanup_(xml_freep) char *style = workbook_xml_attr(o->r, NS_TABLE, "style-name");
        int depth = xmlTextReaderDepth(o->r), r;

        r = sheet_builder_start(&o->sheet, o->in, name, ods_style_hides(o, style));
        if (r < 0)
                return r;
        o->row = 0;
        if (!xmlTextReaderIsEmptyElement(o->r))
                for (;;) {
                        r = workbook_xml_next(o->x);
                        if (r < 0)
                                return r;
                        if (ods_is_end_at(o, depth))
                                break;
                        if (ods_is(o, NS_TABLE, "table-row")) {
                                r = ods_read_row(o);
                                if (r < 0)
                                        return r;
                        }
                }
        return sheet_builder_finish(&o->sheet);
}

static int ods_not_spreadsheet(WorkbookInput *in) {
        int r = diag_add2(in->diags, DIAG_ERROR, in->file, 0, NULL,
                          "this OpenDocument file is not a spreadsheet: a bilan is an .ods or .xlsx "
                          "workbook, or a JSON file",
                          "ce document OpenDocument n'est pas un classeur : un bilan est un classeur .ods "
                          "ou .xlsx, ou un fichier JSON");
        return r < 0 ? r : -EINVAL;
}

static int ods_read_content(Ods *o) {
        bool spreadsheet = false, found = false;
        int r;

        for (;;) {
                r = workbook_xml_read(o->x);
                if (r <= 0)
                        break;
                if (ods_is(o, NS_OFFICE, "automatic-styles"))
                        r = ods_read_styles(o);
                else if (ods_is(o, NS_OFFICE, "spreadsheet")) {
                        found = true;
                        spreadsheet = !xmlTextReaderIsEmptyElement(o->r);
                } else if (workbook_xml_is_end(o->r, NS_OFFICE, "spreadsheet"))
                        spreadsheet = false;
                else if (spreadsheet && ods_is(o, NS_TABLE, "table"))
                        r = ods_read_table(o);
                if (r < 0)
                        break;
        }
        if (r < 0)
                return r;
        return found ? 0 : ods_not_spreadsheet(o->in);
}

/* LibreOffice's password protection encrypts the entries itself (not the
 * ZIP's encryption): the manifest says so. */
static int ods_check_manifest(WorkbookInput *in) {
        _cleanup_(workbook_xml_freep) WorkbookXml *x = NULL;
        int r;

        r = workbook_xml_open(in, "META-INF/manifest.xml", &x);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        for (;;) {
                r = workbook_xml_read(x);
                if (r <= 0)
                        return r;
                if (workbook_xml_is_start(workbook_xml_reader(x), NS_MANIFEST, "encryption-data"))
                        return workbook_password(in, "content.xml");
        }
}

int workbook_ods_read(WorkbookInput *in) {
        _cleanup_(ods_done) Ods o = { .in = in };
        int r;

        r = ods_check_manifest(in);
        if (r < 0)
                return r;
        in->workbook->has_macros = workbook_zip_has_prefix(in, "Basic/") || workbook_zip_has_prefix(in, "Scripts/");
        r = workbook_xml_open(in, "content.xml", &o.x);
        if (r == -ENOENT)
                return workbook_damaged(in, "content.xml missing", "content.xml manquant");
        if (r < 0)
                return r;
        o.r = workbook_xml_reader(o.x);
        return ods_read_content(&o);
}
