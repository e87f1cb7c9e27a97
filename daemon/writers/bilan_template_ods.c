/* bilan_template_ods.c — the template model (bilan_template_internal.h)
 * as an OpenDocument spreadsheet (.ods): `mimetype` first and stored (the
 * ODF signature), META-INF/manifest.xml, content.xml (styles of its cells,
 * columns and rows, the content validations, the four tables), styles.xml
 * (the page), meta.xml and settings.xml (the first sheet shown, the header
 * row of Réalisations frozen).
 *
 * The rows to fill are one repeated row whose cells carry the validations;
 * their formats come from the columns' default cell styles. Fails with
 * -ENOMEM or -EIO (libzip). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "writers/bilan_template_internal.h"

#define XML_DECLARATION "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define ODF_VERSION "1.2"
#define MIMETYPE "application/vnd.oasis.opendocument.spreadsheet"
#define NS_OFFICE "xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\""
#define NS_ALL                                                                      \
        NS_OFFICE " xmlns:style=\"urn:oasis:names:tc:opendocument:xmlns:style:1.0\" " \
        "xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" "              \
        "xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" "            \
        "xmlns:fo=\"urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0\" "   \
        "xmlns:number=\"urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0\" "       \
        "xmlns:of=\"urn:oasis:names:tc:opendocument:xmlns:of:1.2\""

/* The automatic cell styles, "ce0"… indexed by TplStyle. */
static const char *const cell_styles[_TPL_STYLE_MAX] = {
        [TPL_STYLE_DEFAULT] = "",
        [TPL_STYLE_TITLE] = "<style:text-properties fo:font-size=\"14pt\" fo:font-weight=\"bold\"/>",
        [TPL_STYLE_HEADER] = "<style:table-cell-properties fo:background-color=\"#dde4ee\" fo:wrap-option=\"wrap\" "
                             "style:vertical-align=\"middle\" fo:border-bottom=\"0.74pt solid #000000\"/>"
                             "<style:text-properties fo:font-weight=\"bold\"/>",
        [TPL_STYLE_LABEL] = "<style:table-cell-properties style:vertical-align=\"top\"/>"
                            "<style:text-properties fo:font-weight=\"bold\"/>",
        [TPL_STYLE_WRAP] = "<style:table-cell-properties fo:wrap-option=\"wrap\" style:vertical-align=\"top\"/>",
        [TPL_STYLE_DATE] = "<style:table-cell-properties style:vertical-align=\"top\"/>"
                           "<style:paragraph-properties fo:text-align=\"start\"/>",
        [TPL_STYLE_TEXT] = "<style:table-cell-properties style:vertical-align=\"top\"/>",
        [TPL_STYLE_INTEGER] = "<style:table-cell-properties style:vertical-align=\"top\"/>",
        [TPL_STYLE_NOTE] = "<style:text-properties fo:font-style=\"italic\" fo:font-size=\"9pt\" "
                           "fo:color=\"#595959\"/>",
        [TPL_STYLE_BOX] = "<style:table-cell-properties fo:wrap-option=\"wrap\" style:vertical-align=\"top\" "
                          "fo:border=\"0.74pt solid #808080\"/>",
};

static const char *const cell_data_styles[_TPL_STYLE_MAX] = {
        [TPL_STYLE_DATE] = "N_date",
        [TPL_STYLE_TEXT] = "N_text",
        [TPL_STYLE_INTEGER] = "N_int",
};

static void write_styles(FILE *f, const TplWorkbook *w) {
        fputs("<office:automatic-styles>"
              "<number:date-style style:name=\"N_date\"><number:day number:style=\"long\"/><number:text>/</number:text>"
              "<number:month number:style=\"long\"/><number:text>/</number:text><number:year number:style=\"long\"/>"
              "</number:date-style>"
              "<number:text-style style:name=\"N_text\"><number:text-content/></number:text-style>"
              "<number:number-style style:name=\"N_int\"><number:number number:decimal-places=\"0\" "
              "number:min-integer-digits=\"1\"/></number:number-style>"
              "<style:style style:name=\"ta_shown\" style:family=\"table\" style:master-page-name=\"Default\">"
              "<style:table-properties table:display=\"true\"/></style:style>"
              "<style:style style:name=\"ta_hidden\" style:family=\"table\" style:master-page-name=\"Default\">"
              "<style:table-properties table:display=\"false\"/></style:style>",
              f);
        for (size_t i = 0; i < TPL_SHEETS; i++) {
                const TplSheet *s = &w->sheets[i];

                for (size_t j = 0; j < s->n_columns; j++) {
                        fprintf(f, "<style:style style:name=\"co%zu_%zu\" style:family=\"table-column\">"
                                   "<style:table-column-properties fo:break-before=\"auto\" style:column-width=\"",
                                i, j);
                        tpl_put_decimal(f, s->columns[j].width_cm);
                        fputs("cm\"/></style:style>", f);
                }
                for (size_t j = 0; j < s->n_rows; j++) {
                        if (s->rows[j].height_cm <= 0)
                                continue;
                        fprintf(f, "<style:style style:name=\"ro%zu_%u\" style:family=\"table-row\">"
                                   "<style:table-row-properties style:row-height=\"",
                                i, s->rows[j].index);
                        tpl_put_decimal(f, s->rows[j].height_cm);
                        fputs("cm\" fo:break-before=\"auto\" style:use-optimal-row-height=\"false\"/></style:style>", f);
                }
        }
        for (size_t i = 0; i < _TPL_STYLE_MAX; i++) {
                fprintf(f, "<style:style style:name=\"ce%zu\" style:family=\"table-cell\" "
                           "style:parent-style-name=\"Default\"",
                        i);
                if (cell_data_styles[i])
                        fprintf(f, " style:data-style-name=\"%s\"", cell_data_styles[i]);
                fprintf(f, ">%s</style:style>", cell_styles[i]);
        }
        fputs("</office:automatic-styles>", f);
}

static void write_text(FILE *f, const char *text) {
        const char *p = text;

        /* One paragraph per line. */
        for (;;) {
                const char *nl = strchr(p, '\n');
                size_t n = nl ? (size_t) (nl - p) : strlen(p);

                fputs("<text:p>", f);
                tpl_put_escaped_n(f, p, n);
                fputs("</text:p>", f);
                if (!nl)
                        break;
                p = nl + 1;
        }
}

static void write_cell(FILE *f, const TplCell *c) {
        char date[DATE_STRING_MAX];

        fprintf(f, "<table:table-cell table:style-name=\"ce%d\"", (int) c->style);
        switch (c->type) {
        case TPL_CELL_EMPTY:
                fputs("/>", f);
                return;
        case TPL_CELL_TEXT:
                fputs(" office:value-type=\"string\">", f);
                write_text(f, c->text);
                break;
        case TPL_CELL_TODAY:
                fputs(" table:formula=\"of:=TODAY()\"", f);
                __attribute__((fallthrough));
        case TPL_CELL_DATE:
                fprintf(f, " office:value-type=\"date\" office:date-value=\"%s\"><text:p>%02d/%02d/%04d</text:p>",
                        date_format(c->date, date), c->date.day, c->date.month, c->date.year);
                break;
        }
        fputs("</table:table-cell>", f);
}

static void write_empty_cells(FILE *f, uint32_t n) {
        if (n == 1)
                fputs("<table:table-cell/>", f);
        else if (n > 1)
                fprintf(f, "<table:table-cell table:number-columns-repeated=\"%u\"/>", n);
}

static void write_empty_rows(FILE *f, uint32_t n) {
        if (n == 0)
                return;
        fputs("<table:table-row", f);
        if (n > 1)
                fprintf(f, " table:number-rows-repeated=\"%u\"", n);
        fputs("><table:table-cell/></table:table-row>", f);
}

static void write_row(FILE *f, size_t sheet, const TplRow *row) {
        uint32_t column = 0;

        fputs("<table:table-row", f);
        if (row->height_cm > 0)
                fprintf(f, " table:style-name=\"ro%zu_%u\"", sheet, row->index);
        fputc('>', f);
        for (size_t i = 0; i < row->n_cells; i++) {
                write_empty_cells(f, row->cells[i].column - column);
                write_cell(f, &row->cells[i]);
                column = row->cells[i].column + 1;
        }
        if (row->n_cells == 0)
                fputs("<table:table-cell/>", f);
        fputs("</table:table-row>", f);
}

static const TplValidation *column_validation(const TplSheet *s, uint32_t column) {
        for (size_t i = 0; i < s->n_validations; i++)
                if (s->validations[i].column == column &&
                    (s->validations[i].type != TPL_VALID_LIST || s->validations[i].list_size > 0))
                        return &s->validations[i];
        return NULL;
}

/* The rows to fill, from `first` to the end of the formatted rows: their
 * cells carry the validations (the model has them on exactly these rows). */
static void write_formatted_rows(FILE *f, const TplSheet *s, uint32_t first) {
        if (s->formatted_rows_end <= first)
                return;
        fprintf(f, "<table:table-row table:number-rows-repeated=\"%u\">", s->formatted_rows_end - first);
        for (size_t j = 0; j < s->n_columns; j++) {
                const TplValidation *v = column_validation(s, (uint32_t) j);

                if (v)
                        fprintf(f, "<table:table-cell table:content-validation-name=\"val_%s\"/>", v->name);
                else
                        fputs("<table:table-cell/>", f);
        }
        fputs("</table:table-row>", f);
}

static void write_table(FILE *f, size_t index, const TplSheet *s) {
        uint32_t next = 0;

        fputs("<table:table table:name=\"", f);
        tpl_put_escaped(f, s->name);
        fprintf(f, "\" table:style-name=\"%s\">", s->hidden ? "ta_hidden" : "ta_shown");
        for (size_t j = 0; j < s->n_columns; j++)
                fprintf(f, "<table:table-column table:style-name=\"co%zu_%zu\" table:default-cell-style-name=\"ce%d\"/>",
                        index, j, (int) s->columns[j].style);
        for (size_t j = 0; j < s->n_rows; j++) {
                write_empty_rows(f, s->rows[j].index - next);
                write_row(f, index, &s->rows[j]);
                next = s->rows[j].index + 1;
        }
        write_formatted_rows(f, s, next);
        fputs("</table:table>", f);
}

/* $'Sheet' in an attribute: quoted, a quote doubled (OpenFormula), then
 * escaped for XML. */
static void write_sheet_reference(FILE *f, const char *sheet) {
        fputs("$&apos;", f);
        for (const char *p = sheet; *p;) {
                size_t n = strcspn(p, "'");

                tpl_put_escaped_n(f, p, n);
                p += n;
                if (*p == '\'') {
                        fputs("&apos;&apos;", f);
                        p++;
                }
        }
        fputs("&apos;", f);
}

static void write_validation(FILE *f, const TplSheet *s, const TplValidation *v) {
        char col[4], list_col[4];

        tpl_column_letters(v->column, col);
        fprintf(f, "<table:content-validation table:name=\"val_%s\" table:condition=\"", v->name);
        switch (v->type) {
        case TPL_VALID_LIST:
                tpl_column_letters(v->list_column, list_col);
                fprintf(f, "of:cell-content-is-in-list([$Listes.$%s$1:.$%s$%u])", list_col, list_col, v->list_size);
                break;
        case TPL_VALID_DATE:
                /* The same day numbers as the XLSX serials (1899-12-30 is 0),
                 * and a ',' between them as LibreOffice writes it (it does
                 * not read this condition with OpenFormula's ';'). */
                fprintf(f, "of:cell-content-is-date() and cell-content-is-between(%lld,%lld)",
                        (long long) date_to_days(v->min) + 25569, (long long) date_to_days(v->max) + 25569);
                break;
        case TPL_VALID_WHOLE:
                fputs("of:cell-content-is-whole-number() and cell-content()&gt;=0", f);
                break;
        }
        fprintf(f, "\" table:allow-empty-cell=\"true\"%s table:base-cell-address=\"",
                v->type == TPL_VALID_LIST ? " table:display-list=\"unsorted\"" : "");
        write_sheet_reference(f, s->name);
        fprintf(f, ".$%s$%u", col, v->first_row + 1);
        fputs("\"><table:error-message table:display=\"true\" table:message-type=\"stop\" table:title=\"", f);
        tpl_put_escaped(f, v->title);
        fputs("\"><text:p>", f);
        tpl_put_escaped(f, v->message);
        fputs("</text:p></table:error-message></table:content-validation>", f);
}

static int write_content(const TplWorkbook *w, char **ret, size_t *ret_size) {
        bool any = false;
        TplText t;
        int r;

        r = tpl_text_begin(&t);
        if (r < 0)
                return r;
        fputs(XML_DECLARATION "<office:document-content " NS_ALL " office:version=\"" ODF_VERSION "\">", t.f);
        write_styles(t.f, w);
        fputs("<office:body><office:spreadsheet>", t.f);
        for (size_t i = 0; i < TPL_SHEETS; i++)
                for (size_t j = 0; j < w->sheets[i].n_validations; j++) {
                        const TplValidation *v = &w->sheets[i].validations[j];

                        if (v->type == TPL_VALID_LIST && v->list_size == 0)
                                continue;
                        if (!any)
                                fputs("<table:content-validations>", t.f);
                        any = true;
                        write_validation(t.f, &w->sheets[i], v);
                }
        if (any)
                fputs("</table:content-validations>", t.f);
        for (size_t i = 0; i < TPL_SHEETS; i++)
                write_table(t.f, i, &w->sheets[i]);
        fputs("</office:spreadsheet></office:body></office:document-content>", t.f);
        return tpl_text_finish(&t, ret, ret_size);
}

/* The page: A4 landscape, one page wide. The header and footer are
 * declared hidden: without them, LibreOffice re-saving the file adds empty
 * ones and then prints the sheets as blank pages (seen with 7.x, tested by
 * tests/helpers/fill-template). */
static const char styles_xml[] =
        XML_DECLARATION
        "<office:document-styles " NS_ALL " office:version=\"" ODF_VERSION "\">"
        "<office:styles><style:style style:name=\"Default\" style:family=\"table-cell\"/></office:styles>"
        "<office:automatic-styles><style:page-layout style:name=\"pm1\">"
        "<style:page-layout-properties fo:page-width=\"29.7cm\" fo:page-height=\"21cm\" "
        "style:print-orientation=\"landscape\" fo:margin-top=\"1.2cm\" fo:margin-bottom=\"1.2cm\" "
        "fo:margin-left=\"1.2cm\" fo:margin-right=\"1.2cm\" style:scale-to-X=\"1\" style:scale-to-Y=\"0\" style:print=\"charts drawings objects zero-values\"/>"
        "</style:page-layout></office:automatic-styles>"
        "<office:master-styles><style:master-page style:name=\"Default\" style:page-layout-name=\"pm1\">"
        "<style:header style:display=\"false\"/><style:footer style:display=\"false\"/></style:master-page>"
        "</office:master-styles></office:document-styles>";

static const char manifest_xml[] =
        XML_DECLARATION
        "<manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" "
        "manifest:version=\"" ODF_VERSION "\">"
        "<manifest:file-entry manifest:full-path=\"/\" manifest:version=\"" ODF_VERSION "\" "
        "manifest:media-type=\"" MIMETYPE "\"/>"
        "<manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/>"
        "<manifest:file-entry manifest:full-path=\"styles.xml\" manifest:media-type=\"text/xml\"/>"
        "<manifest:file-entry manifest:full-path=\"meta.xml\" manifest:media-type=\"text/xml\"/>"
        "<manifest:file-entry manifest:full-path=\"settings.xml\" manifest:media-type=\"text/xml\"/>"
        "</manifest:manifest>";

static int write_meta(const TplWorkbook *w, char **ret, size_t *ret_size) {
        char date[DATE_STRING_MAX];
        TplText t;
        int r;

        r = tpl_text_begin(&t);
        if (r < 0)
                return r;
        fputs(XML_DECLARATION "<office:document-meta " NS_OFFICE
              " xmlns:meta=\"urn:oasis:names:tc:opendocument:xmlns:meta:1.0\""
              " xmlns:dc=\"http://purl.org/dc/elements/1.1/\" office:version=\"" ODF_VERSION "\">"
              "<office:meta><meta:generator>chorusd</meta:generator><dc:title>",
              t.f);
        tpl_put_escaped(t.f, w->title);
        fputs("</dc:title>", t.f);
        if (!isempty(w->creator)) {
                fputs("<meta:initial-creator>", t.f);
                tpl_put_escaped(t.f, w->creator);
                fputs("</meta:initial-creator>", t.f);
        }
        fprintf(t.f, "<meta:creation-date>%sT00:00:00</meta:creation-date></office:meta></office:document-meta>",
                date_format(w->date, date));
        return tpl_text_finish(&t, ret, ret_size);
}

static void write_config_item(FILE *f, const char *name, const char *type, const char *value) {
        fprintf(f, "<config:config-item config:name=\"%s\" config:type=\"%s\">", name, type);
        tpl_put_escaped(f, value);
        fputs("</config:config-item>", f);
}

/* LibreOffice's view: the first sheet shown, the header rows frozen. */
static int write_settings(const TplWorkbook *w, char **ret, size_t *ret_size) {
        TplText t;
        int r;

        r = tpl_text_begin(&t);
        if (r < 0)
                return r;
        fputs(XML_DECLARATION "<office:document-settings " NS_OFFICE
              " xmlns:config=\"urn:oasis:names:tc:opendocument:xmlns:config:1.0\" office:version=\"" ODF_VERSION "\">"
              "<office:settings><config:config-item-set config:name=\"ooo:view-settings\">"
              "<config:config-item-map-indexed config:name=\"Views\"><config:config-item-map-entry>",
              t.f);
        write_config_item(t.f, "ViewId", "string", "view1");
        fputs("<config:config-item-map-named config:name=\"Tables\">", t.f);
        for (size_t i = 0; i < TPL_SHEETS; i++) {
                if (!w->sheets[i].freeze_first_row)
                        continue;
                fputs("<config:config-item-map-entry config:name=\"", t.f);
                tpl_put_escaped(t.f, w->sheets[i].name);
                fputs("\">", t.f);
                write_config_item(t.f, "HorizontalSplitMode", "short", "0");
                write_config_item(t.f, "VerticalSplitMode", "short", "2");
                write_config_item(t.f, "HorizontalSplitPosition", "int", "0");
                write_config_item(t.f, "VerticalSplitPosition", "int", "1");
                write_config_item(t.f, "ActiveSplitRange", "short", "2");
                write_config_item(t.f, "PositionLeft", "int", "0");
                write_config_item(t.f, "PositionRight", "int", "0");
                write_config_item(t.f, "PositionTop", "int", "0");
                write_config_item(t.f, "PositionBottom", "int", "1");
                write_config_item(t.f, "CursorPositionX", "int", "0");
                write_config_item(t.f, "CursorPositionY", "int", "1");
                fputs("</config:config-item-map-entry>", t.f);
        }
        fputs("</config:config-item-map-named>", t.f);
        write_config_item(t.f, "ActiveTable", "string", w->sheets[0].name);
        fputs("</config:config-item-map-entry></config:config-item-map-indexed></config:config-item-set>"
              "</office:settings></office:document-settings>",
              t.f);
        return tpl_text_finish(&t, ret, ret_size);
}

static int add_static(TplZip *z, const char *name, const char *text, bool store) {
        char *copy = strdup(text);

        if (!copy)
                return -ENOMEM;
        return tpl_zip_add(z, name, copy, strlen(copy), store);
}

static int add_made(TplZip *z, const char *name, int r, char *data, size_t size) {
        if (r < 0)
                return r;
        return tpl_zip_add(z, name, data, size, /* store= */ false);
}

static int write_parts(const TplWorkbook *w, TplZip *z) {
        char *data = NULL;
        size_t size = 0;
        int r;

        /* ODF packages §3.3: "mimetype" first, stored, so that its text is
         * at a fixed offset where file(1) and others look for it. */
        r = add_static(z, "mimetype", MIMETYPE, /* store= */ true);
        if (r >= 0)
                r = add_static(z, "META-INF/manifest.xml", manifest_xml, false);
        if (r >= 0) {
                r = write_content(w, &data, &size);
                r = add_made(z, "content.xml", r, data, size);
        }
        if (r >= 0)
                r = add_static(z, "styles.xml", styles_xml, false);
        if (r >= 0) {
                r = write_meta(w, &data, &size);
                r = add_made(z, "meta.xml", r, data, size);
        }
        if (r >= 0) {
                r = write_settings(w, &data, &size);
                r = add_made(z, "settings.xml", r, data, size);
        }
        return r;
}

int bilan_template_write_ods(const TplWorkbook *w, char **ret, size_t *ret_size) {
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
