/* bilan_template_xlsx.c — the template model (bilan_template_internal.h)
 * as an Office Open XML workbook (.xlsx), the parts Excel and LibreOffice
 * need: [Content_Types].xml, the package and workbook relationships, the
 * workbook, styles (a JJ/MM/AAAA date format, text "@", bold headers,
 * wrapped text), shared strings, one worksheet per sheet, core and app
 * properties.
 *
 * Column styles format the rows still to fill; the drop-down lists are
 * dataValidation elements whose source is a range of the hidden Listes
 * sheet. Dates are serial numbers of the 1900 system. Fails with -ENOMEM
 * or -EIO (libzip). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "writers/bilan_template_internal.h"

#define XML_DECLARATION "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
#define NS_MAIN "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define NS_R "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define NS_PKG_RELS "http://schemas.openxmlformats.org/package/2006/relationships"
#define CT_PREFIX "application/vnd.openxmlformats-officedocument.spreadsheetml."

/* 1900 system: serial 25569 is 1970-01-01 (with Excel's fake 1900-02-29
 * counted, which only matters before March 1900). */
static long long excel_serial(Date d) {
        return (long long) date_to_days(d) + 25569;
}

/* Excel's column widths are in characters of the default font (about
 * 0.19 cm each in Calibri 11), row heights in points. */
static double width_chars(double cm) {
        return cm * 5.3;
}

static double height_points(double cm) {
        return cm * 72.0 / 2.54;
}

/* The shared strings, each once, in order of first use. */
typedef struct Strings {
        const char **items;
        size_t n;
        size_t uses;
} Strings;

static long strings_index(Strings *s, const char *text) {
        const char **a;

        s->uses++;
        for (size_t i = 0; i < s->n; i++)
                if (streq(s->items[i], text))
                        return (long) i;
        a = reallocarray(s->items, s->n + 1, sizeof *a);
        if (!a)
                return -ENOMEM;
        s->items = a;
        s->items[s->n] = text;
        return (long) s->n++;
}

static int write_cell(FILE *f, const TplCell *c, uint32_t row, Strings *strings) {
        char col[4];
        long i;

        tpl_column_letters(c->column, col);
        fprintf(f, "<c r=\"%s%u\" s=\"%d\"", col, row + 1, (int) c->style);
        switch (c->type) {
        case TPL_CELL_TEXT:
                i = strings_index(strings, c->text);
                if (i < 0)
                        return (int) i;
                fprintf(f, " t=\"s\"><v>%ld</v></c>", i);
                break;
        case TPL_CELL_DATE:
                fprintf(f, "><v>%lld</v></c>", excel_serial(c->date));
                break;
        case TPL_CELL_TODAY:
                /* The cached value makes the date readable before any
                 * recalculation (and by chorusd's reader). */
                fprintf(f, "><f>TODAY()</f><v>%lld</v></c>", excel_serial(c->date));
                break;
        case TPL_CELL_EMPTY:
                fputs("/>", f);
                break;
        }
        return 0;
}

static void write_validation(FILE *f, const TplValidation *v) {
        char col[4], list_col[4];

        tpl_column_letters(v->column, col);
        switch (v->type) {
        case TPL_VALID_LIST:
                fputs("<dataValidation type=\"list\"", f);
                break;
        case TPL_VALID_DATE:
                fputs("<dataValidation type=\"date\" operator=\"between\"", f);
                break;
        case TPL_VALID_WHOLE:
                fputs("<dataValidation type=\"whole\" operator=\"greaterThanOrEqual\"", f);
                break;
        }
        fputs(" allowBlank=\"1\" showErrorMessage=\"1\" errorTitle=\"", f);
        tpl_put_escaped(f, v->title);
        fputs("\" error=\"", f);
        tpl_put_escaped(f, v->message);
        fprintf(f, "\" sqref=\"%s%u:%s%u\">", col, v->first_row + 1, col, v->last_row + 1);
        switch (v->type) {
        case TPL_VALID_LIST:
                tpl_column_letters(v->list_column, list_col);
                fprintf(f, "<formula1>Listes!$%s$1:$%s$%u</formula1>", list_col, list_col, v->list_size);
                break;
        case TPL_VALID_DATE:
                fprintf(f, "<formula1>%lld</formula1><formula2>%lld</formula2>", excel_serial(v->min),
                        excel_serial(v->max));
                break;
        case TPL_VALID_WHOLE:
                fputs("<formula1>0</formula1>", f);
                break;
        }
        fputs("</dataValidation>", f);
}

static void write_sheet_view(FILE *f, const TplSheet *s, bool selected) {
        fprintf(f, "<sheetViews><sheetView workbookViewId=\"0\"%s>", selected ? " tabSelected=\"1\"" : "");
        if (s->freeze_first_row)
                fputs("<pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/>"
                      "<selection pane=\"bottomLeft\" activeCell=\"A2\" sqref=\"A2\"/>",
                      f);
        fputs("</sheetView></sheetViews>", f);
}

static int write_sheet(const TplSheet *s, bool selected, Strings *strings, char **ret, size_t *ret_size) {
        size_t n_validations = 0;
        TplText t;
        int r;

        r = tpl_text_begin(&t);
        if (r < 0)
                return r;
        /* Printed one page wide. */
        fputs(XML_DECLARATION "<worksheet xmlns=\"" NS_MAIN "\" xmlns:r=\"" NS_R "\">"
              "<sheetPr><pageSetUpPr fitToPage=\"1\"/></sheetPr>", t.f);
        write_sheet_view(t.f, s, selected);
        fputs("<sheetFormatPr defaultRowHeight=\"15\"/><cols>", t.f);
        for (size_t i = 0; i < s->n_columns; i++)
        {
                fprintf(t.f, "<col min=\"%zu\" max=\"%zu\" width=\"", i + 1, i + 1);
                tpl_put_decimal(t.f, width_chars(s->columns[i].width_cm));
                fprintf(t.f, "\" style=\"%d\" customWidth=\"1\"/>", (int) s->columns[i].style);
        }
        fputs("</cols><sheetData>", t.f);
        for (size_t i = 0; i < s->n_rows; i++) {
                const TplRow *row = &s->rows[i];

                fprintf(t.f, "<row r=\"%u\"", row->index + 1);
                if (row->height_cm > 0) {
                        fputs(" ht=\"", t.f);
                        tpl_put_decimal(t.f, height_points(row->height_cm));
                        fputs("\" customHeight=\"1\"", t.f);
                }
                fputc('>', t.f);
                for (size_t j = 0; j < row->n_cells; j++) {
                        r = write_cell(t.f, &row->cells[j], row->index, strings);
                        if (r < 0) {
                                tpl_text_done(&t);
                                return r;
                        }
                }
                fputs("</row>", t.f);
        }
        fputs("</sheetData>", t.f);
        for (size_t i = 0; i < s->n_validations; i++)
                n_validations += s->validations[i].type != TPL_VALID_LIST || s->validations[i].list_size > 0;
        if (n_validations > 0) {
                fprintf(t.f, "<dataValidations count=\"%zu\">", n_validations);
                for (size_t i = 0; i < s->n_validations; i++)
                        if (s->validations[i].type != TPL_VALID_LIST || s->validations[i].list_size > 0)
                                write_validation(t.f, &s->validations[i]);
                fputs("</dataValidations>", t.f);
        }
        fputs("<pageMargins left=\"0.7\" right=\"0.7\" top=\"0.75\" bottom=\"0.75\" header=\"0.3\" "
              "footer=\"0.3\"/><pageSetup paperSize=\"9\" fitToWidth=\"1\" fitToHeight=\"0\" orientation=\"landscape\"/></worksheet>",
              t.f);
        return tpl_text_finish(&t, ret, ret_size);
}

static int write_shared_strings(const Strings *strings, char **ret, size_t *ret_size) {
        TplText t;
        int r;

        r = tpl_text_begin(&t);
        if (r < 0)
                return r;
        fprintf(t.f, XML_DECLARATION "<sst xmlns=\"" NS_MAIN "\" count=\"%zu\" uniqueCount=\"%zu\">", strings->uses,
                strings->n);
        for (size_t i = 0; i < strings->n; i++) {
                fputs("<si><t xml:space=\"preserve\">", t.f);
                tpl_put_escaped(t.f, strings->items[i]);
                fputs("</t></si>", t.f);
        }
        fputs("</sst>", t.f);
        return tpl_text_finish(&t, ret, ret_size);
}

/* The cell formats, indexed by TplStyle (cellXfs). */
static const char styles_xml[] =
        XML_DECLARATION
        "<styleSheet xmlns=\"" NS_MAIN "\">"
        "<numFmts count=\"1\"><numFmt numFmtId=\"164\" formatCode=\"dd/mm/yyyy\"/></numFmts>"
        "<fonts count=\"4\">"
        "<font><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font>"
        "<font><b/><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font>"
        "<font><b/><sz val=\"14\"/><name val=\"Calibri\"/><family val=\"2\"/></font>"
        "<font><i/><sz val=\"10\"/><color rgb=\"FF595959\"/><name val=\"Calibri\"/><family val=\"2\"/></font>"
        "</fonts>"
        "<fills count=\"3\">"
        "<fill><patternFill patternType=\"none\"/></fill>"
        "<fill><patternFill patternType=\"gray125\"/></fill>"
        "<fill><patternFill patternType=\"solid\"><fgColor rgb=\"FFDDE4EE\"/><bgColor indexed=\"64\"/></patternFill></fill>"
        "</fills>"
        "<borders count=\"3\">"
        "<border><left/><right/><top/><bottom/><diagonal/></border>"
        "<border><left/><right/><top/><bottom style=\"thin\"><color auto=\"1\"/></bottom><diagonal/></border>"
        "<border><left style=\"thin\"><color rgb=\"FF808080\"/></left><right style=\"thin\"><color rgb=\"FF808080\"/></right>"
        "<top style=\"thin\"><color rgb=\"FF808080\"/></top><bottom style=\"thin\"><color rgb=\"FF808080\"/></bottom>"
        "<diagonal/></border>"
        "</borders>"
        "<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>"
        "<cellXfs count=\"10\">"
        /* TPL_STYLE_DEFAULT */
        "<xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>"
        /* TPL_STYLE_TITLE */
        "<xf numFmtId=\"0\" fontId=\"2\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/>"
        /* TPL_STYLE_HEADER */
        "<xf numFmtId=\"0\" fontId=\"1\" fillId=\"2\" borderId=\"1\" xfId=\"0\" applyFont=\"1\" applyFill=\"1\" "
        "applyBorder=\"1\" applyAlignment=\"1\"><alignment vertical=\"center\" wrapText=\"1\"/></xf>"
        /* TPL_STYLE_LABEL */
        "<xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\" "
        "applyAlignment=\"1\"><alignment vertical=\"top\"/></xf>"
        /* TPL_STYLE_WRAP */
        "<xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyAlignment=\"1\">"
        "<alignment vertical=\"top\" wrapText=\"1\"/></xf>"
        /* TPL_STYLE_DATE */
        "<xf numFmtId=\"164\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\" "
        "applyAlignment=\"1\"><alignment horizontal=\"left\" vertical=\"top\"/></xf>"
        /* TPL_STYLE_TEXT */
        "<xf numFmtId=\"49\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\" "
        "applyAlignment=\"1\"><alignment vertical=\"top\"/></xf>"
        /* TPL_STYLE_INTEGER */
        "<xf numFmtId=\"1\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\" "
        "applyAlignment=\"1\"><alignment vertical=\"top\"/></xf>"
        /* TPL_STYLE_NOTE */
        "<xf numFmtId=\"0\" fontId=\"3\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/>"
        /* TPL_STYLE_BOX */
        "<xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"2\" xfId=\"0\" applyBorder=\"1\" "
        "applyAlignment=\"1\"><alignment vertical=\"top\" wrapText=\"1\"/></xf>"
        "</cellXfs>"
        "<cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>"
        "</styleSheet>";

_Static_assert(_TPL_STYLE_MAX == 10, "styles_xml has one xf per TplStyle");

static int write_content_types(char **ret, size_t *ret_size) {
        TplText t;
        int r;

        r = tpl_text_begin(&t);
        if (r < 0)
                return r;
        fputs(XML_DECLARATION
              "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
              "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
              "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
              "<Override PartName=\"/xl/workbook.xml\" ContentType=\"" CT_PREFIX "sheet.main+xml\"/>",
              t.f);
        for (size_t i = 0; i < TPL_SHEETS; i++)
                fprintf(t.f, "<Override PartName=\"/xl/worksheets/sheet%zu.xml\" ContentType=\"" CT_PREFIX
                             "worksheet+xml\"/>",
                        i + 1);
        fputs("<Override PartName=\"/xl/styles.xml\" ContentType=\"" CT_PREFIX "styles+xml\"/>"
              "<Override PartName=\"/xl/sharedStrings.xml\" ContentType=\"" CT_PREFIX "sharedStrings+xml\"/>"
              "<Override PartName=\"/docProps/core.xml\" "
              "ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>"
              "<Override PartName=\"/docProps/app.xml\" "
              "ContentType=\"application/vnd.openxmlformats-officedocument.extended-properties+xml\"/>"
              "</Types>",
              t.f);
        return tpl_text_finish(&t, ret, ret_size);
}

static const char package_rels[] =
        XML_DECLARATION
        "<Relationships xmlns=\"" NS_PKG_RELS "\">"
        "<Relationship Id=\"rId1\" Type=\"" NS_R "/officeDocument\" Target=\"xl/workbook.xml\"/>"
        "<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/"
        "core-properties\" Target=\"docProps/core.xml\"/>"
        "<Relationship Id=\"rId3\" Type=\"" NS_R "/extended-properties\" Target=\"docProps/app.xml\"/>"
        "</Relationships>";

static const char app_xml[] =
        XML_DECLARATION
        "<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\">"
        "<Application>chorusd</Application></Properties>";

static int write_workbook_rels(char **ret, size_t *ret_size) {
        TplText t;
        int r;

        r = tpl_text_begin(&t);
        if (r < 0)
                return r;
        fputs(XML_DECLARATION "<Relationships xmlns=\"" NS_PKG_RELS "\">", t.f);
        for (size_t i = 0; i < TPL_SHEETS; i++)
                fprintf(t.f, "<Relationship Id=\"rId%zu\" Type=\"" NS_R "/worksheet\" Target=\"worksheets/sheet%zu.xml\"/>",
                        i + 1, i + 1);
        fprintf(t.f,
                "<Relationship Id=\"rId%d\" Type=\"" NS_R "/styles\" Target=\"styles.xml\"/>"
                "<Relationship Id=\"rId%d\" Type=\"" NS_R "/sharedStrings\" Target=\"sharedStrings.xml\"/>"
                "</Relationships>",
                TPL_SHEETS + 1, TPL_SHEETS + 2);
        return tpl_text_finish(&t, ret, ret_size);
}

static int write_workbook(const TplWorkbook *w, char **ret, size_t *ret_size) {
        TplText t;
        int r;

        r = tpl_text_begin(&t);
        if (r < 0)
                return r;
        fputs(XML_DECLARATION "<workbook xmlns=\"" NS_MAIN "\" xmlns:r=\"" NS_R "\">"
              "<workbookPr/><bookViews><workbookView activeTab=\"0\"/></bookViews><sheets>",
              t.f);
        for (size_t i = 0; i < TPL_SHEETS; i++) {
                fputs("<sheet name=\"", t.f);
                tpl_put_escaped(t.f, w->sheets[i].name);
                fprintf(t.f, "\" sheetId=\"%zu\"%s r:id=\"rId%zu\"/>", i + 1,
                        w->sheets[i].hidden ? " state=\"hidden\"" : "", i + 1);
        }
        /* fullCalcOnLoad: Excel computes =TODAY() when the file is opened. */
        fputs("</sheets><calcPr calcId=\"191029\" fullCalcOnLoad=\"1\"/></workbook>", t.f);
        return tpl_text_finish(&t, ret, ret_size);
}

static int write_core(const TplWorkbook *w, char **ret, size_t *ret_size) {
        char date[DATE_STRING_MAX];
        TplText t;
        int r;

        r = tpl_text_begin(&t);
        if (r < 0)
                return r;
        fputs(XML_DECLARATION
              "<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" "
              "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" "
              "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><dc:title>",
              t.f);
        tpl_put_escaped(t.f, w->title);
        fputs("</dc:title>", t.f);
        if (!isempty(w->creator)) {
                fputs("<dc:creator>", t.f);
                tpl_put_escaped(t.f, w->creator);
                fputs("</dc:creator>", t.f);
        }
        fprintf(t.f, "<dcterms:created xsi:type=\"dcterms:W3CDTF\">%sT00:00:00Z</dcterms:created>"
                     "</cp:coreProperties>",
                date_format(w->date, date));
        return tpl_text_finish(&t, ret, ret_size);
}

static int add_static(TplZip *z, const char *name, const char *text) {
        char *copy = strdup(text);

        if (!copy)
                return -ENOMEM;
        return tpl_zip_add(z, name, copy, strlen(copy), /* store= */ false);
}

/* Adds what a writer made (r its result), or returns its error. */
static int add_made(TplZip *z, const char *name, int r, char *data, size_t size) {
        if (r < 0)
                return r;
        return tpl_zip_add(z, name, data, size, /* store= */ false);
}

#define ADD_MADE(z, name, call)                                 \
        __extension__({                                         \
                char *data_ = NULL;                             \
                size_t size_ = 0;                               \
                int r_ = call(&data_, &size_);                  \
                add_made(z, name, r_, data_, size_);            \
        })

static int write_parts(const TplWorkbook *w, TplZip *z) {
        Strings strings = {};
        char *data = NULL;
        size_t size = 0;
        int r;

        r = ADD_MADE(z, "[Content_Types].xml", write_content_types);
        if (r >= 0)
                r = add_static(z, "_rels/.rels", package_rels);
        if (r >= 0) {
                r = write_core(w, &data, &size);
                r = add_made(z, "docProps/core.xml", r, data, size);
        }
        if (r >= 0)
                r = add_static(z, "docProps/app.xml", app_xml);
        if (r >= 0) {
                r = write_workbook(w, &data, &size);
                r = add_made(z, "xl/workbook.xml", r, data, size);
        }
        if (r >= 0)
                r = ADD_MADE(z, "xl/_rels/workbook.xml.rels", write_workbook_rels);
        if (r >= 0)
                r = add_static(z, "xl/styles.xml", styles_xml);
        for (size_t i = 0; r >= 0 && i < TPL_SHEETS; i++) {
                char name[32];

                snprintf(name, sizeof name, "xl/worksheets/sheet%zu.xml", i + 1);
                r = write_sheet(&w->sheets[i], i == 0, &strings, &data, &size);
                r = add_made(z, name, r, data, size);
        }
        if (r >= 0) {
                r = write_shared_strings(&strings, &data, &size);
                r = add_made(z, "xl/sharedStrings.xml", r, data, size);
        }
        free(strings.items);
        return r;
}

int bilan_template_write_xlsx(const TplWorkbook *w, char **ret, size_t *ret_size) {
        TplZip *z;
        int r;

        r = tpl_zip_new(&z);
        if (r < 0)
                return r;
        r = write_parts(w, z);
        if (r < 0) {
                tpl_zip_free(z);
                return r;
        }
        return tpl_zip_finish(z, ret, ret_size);
}
