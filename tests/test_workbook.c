/* test_workbook.c — the spreadsheet reader (workbook.h): .ods and .xlsx
 * made in memory from literal XML (tests/helpers/zipfixture.c), and a few
 * files written by LibreOffice and openpyxl (tests/data/workbooks/).
 * Cell values and types, dates, repeats, hidden rows and sheets, labels,
 * and every refusal of a hostile or damaged file with its French message. */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/fileio.h"
#include "base/identifiers.h"
#include "base/macro.h"
#include "core/convention.h"
#include "core/workbook.h"
#include "core/workbook_internal.h"
#include "writers/bilan_template.h"
#include "json_mutate.h" /* test_read_file() */
#include "scratch.h"
#include "zipfixture.h"

/* ---- fixtures ---- */

#define ODS_NS                                                                      \
        "xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" "        \
        "xmlns:style=\"urn:oasis:names:tc:opendocument:xmlns:style:1.0\" "          \
        "xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" "            \
        "xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" "          \
        "xmlns:draw=\"urn:oasis:names:tc:opendocument:xmlns:drawing:1.0\" "         \
        "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "                            \
        "xmlns:calcext=\"urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0\""

#define ODS_MIMETYPE "application/vnd.oasis.opendocument.spreadsheet"
#define ODS_MANIFEST                                                                               \
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                                             \
        "<manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" " \
        "manifest:version=\"1.3\"><manifest:file-entry manifest:full-path=\"/\" "                  \
        "manifest:media-type=\"" ODS_MIMETYPE "\"/><manifest:file-entry "                          \
        "manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/></manifest:manifest>"

static char *ods_content(const char *styles, const char *tables) {
        char *s = NULL;

        cr_assert_geq(asprintf(&s,
                               "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                               "<office:document-content " ODS_NS " office:version=\"1.3\">"
                               "<office:automatic-styles>%s</office:automatic-styles>"
                               "<office:body><office:spreadsheet>%s</office:spreadsheet></office:body>"
                               "</office:document-content>",
                               styles ? styles : "", tables),
                      0);
        return s;
}

static int read_zip(const ZipFixtureEntry *entries, size_t n, WorkbookFormat format, Workbook **ret,
                    Diagnostics *diags) {
        size_t size;
        void *data = zipfixture_build(entries, n, &size);
        int r = workbook_read(format == WORKBOOK_ODS ? "bilan.ods" : "bilan.xlsx", data, size, format, ret, diags);

        free(data);
        return r;
}

/* An .ods of content.xml (and one optional extra entry). */
static int read_ods_content(const char *content, const ZipFixtureEntry *extra, Workbook **ret, Diagnostics *diags) {
        ZipFixtureEntry e[] = {
                { .name = "mimetype", .text = ODS_MIMETYPE, .store = true },
                { .name = "META-INF/manifest.xml", .text = ODS_MANIFEST },
                { .name = "content.xml", .text = content },
                extra ? *extra : (ZipFixtureEntry) { .name = "meta.xml", .text = "<office:document-meta/>" },
        };
        return read_zip(e, ELEMENTSOF(e), WORKBOOK_ODS, ret, diags);
}

static int read_ods(const char *styles, const char *tables, Workbook **ret, Diagnostics *diags) {
        _cleanup_(freep) char *content = ods_content(styles, tables);
        return read_ods_content(content, NULL, ret, diags);
}

#define XLSX_MAIN "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define XLSX_RELS "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define XLSX_PKG_RELS "http://schemas.openxmlformats.org/package/2006/relationships"

typedef struct XlsxSheetFixture {
        const char *name;
        const char *data;   /* the inside of <sheetData> */
        const char *state;  /* "hidden", or NULL */
        const char *target; /* the relationship's target; NULL: worksheets/sheetN.xml */
        bool no_part;       /* the target is not in the archive */
} XlsxSheetFixture;

typedef struct XlsxFixture {
        const char *workbook_pr;    /* e.g. <workbookPr date1904="1"/> */
        XlsxSheetFixture sheets[4];
        const char *shared_strings; /* the inside of <sst> */
        const char *styles;         /* the inside of <styleSheet> */
        ZipFixtureEntry extra;      /* one more entry (name NULL: none) */
        const char *content_type;   /* of the workbook part; NULL: .xlsx */
} XlsxFixture;

static char *xlsx_cat(char *s, const char *format, ...) _printf_(2, 3);
static char *xlsx_cat(char *s, const char *format, ...) {
        char *add = NULL, *both = NULL;
        va_list ap;

        va_start(ap, format);
        cr_assert_geq(vasprintf(&add, format, ap), 0);
        va_end(ap);
        cr_assert_geq(asprintf(&both, "%s%s", s ? s : "", add), 0);
        free(s);
        free(add);
        return both;
}

static int read_xlsx(const XlsxFixture *f, Workbook **ret, Diagnostics *diags) {
        char *workbook = NULL, *rels = NULL, *types = NULL, *sst = NULL, *styles = NULL;
        char *parts[4] = {}, names[4][64];
        ZipFixtureEntry e[12];
        size_t n = 0, n_sheets = 0;
        int r;

        workbook = xlsx_cat(NULL, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
                                  "<workbook xmlns=\"" XLSX_MAIN "\" xmlns:r=\"" XLSX_RELS "\">%s<sheets>",
                            f->workbook_pr ? f->workbook_pr : "");
        rels = xlsx_cat(NULL, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Relationships xmlns=\"" XLSX_PKG_RELS "\">");
        for (size_t i = 0; i < ELEMENTSOF(f->sheets) && f->sheets[i].name; i++) {
                const XlsxSheetFixture *s = &f->sheets[i];
                char target[128];

                n_sheets++;
                snprintf(target, sizeof target, "worksheets/sheet%zu.xml", i + 1);
                workbook = xlsx_cat(workbook, "<sheet name=\"%s\" sheetId=\"%zu\"%s%s%s r:id=\"rId%zu\"/>", s->name,
                                    i + 1, s->state ? " state=\"" : "", s->state ? s->state : "", s->state ? "\"" : "",
                                    i + 1);
                rels = xlsx_cat(rels, "<Relationship Id=\"rId%zu\" Type=\"" XLSX_RELS "/worksheet\" Target=\"%s\"/>",
                                i + 1, s->target ? s->target : target);
                snprintf(names[i], sizeof names[i], "xl/worksheets/sheet%zu.xml", i + 1);
                parts[i] = xlsx_cat(NULL, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<worksheet xmlns=\"" XLSX_MAIN
                                          "\"><sheetData>%s</sheetData><mergeCells count=\"1\"><mergeCell "
                                          "ref=\"A1:B1\"/></mergeCells></worksheet>",
                                    s->data ? s->data : "");
        }
        workbook = xlsx_cat(workbook, "</sheets></workbook>");
        rels = xlsx_cat(rels, "<Relationship Id=\"rIdS\" Type=\"" XLSX_RELS "/sharedStrings\" "
                              "Target=\"sharedStrings.xml\"/><Relationship Id=\"rIdY\" Type=\"" XLSX_RELS
                              "/styles\" Target=\"/xl/styles.xml\"/></Relationships>");
        types = xlsx_cat(NULL, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Types "
                               "xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Override "
                               "PartName=\"/xl/workbook.xml\" ContentType=\"%s\"/></Types>",
                         f->content_type ? f->content_type
                                         : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml");
        e[n++] = (ZipFixtureEntry) { .name = "[Content_Types].xml", .text = types };
        e[n++] = (ZipFixtureEntry) { .name = "xl/workbook.xml", .text = workbook };
        e[n++] = (ZipFixtureEntry) { .name = "xl/_rels/workbook.xml.rels", .text = rels };
        if (f->shared_strings) {
                sst = xlsx_cat(NULL, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sst xmlns=\"" XLSX_MAIN "\">%s</sst>",
                               f->shared_strings);
                e[n++] = (ZipFixtureEntry) { .name = "xl/sharedStrings.xml", .text = sst };
        }
        if (f->styles) {
                styles = xlsx_cat(NULL, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<styleSheet xmlns=\"" XLSX_MAIN
                                        "\">%s</styleSheet>",
                                  f->styles);
                e[n++] = (ZipFixtureEntry) { .name = "xl/styles.xml", .text = styles };
        }
        for (size_t i = 0; i < n_sheets; i++)
                if (!f->sheets[i].no_part)
                        e[n++] = (ZipFixtureEntry) { .name = names[i], .text = parts[i] };
        if (f->extra.name)
                e[n++] = f->extra;
        r = read_zip(e, n, WORKBOOK_XLSX, ret, diags);
        free(workbook);
        free(rels);
        free(types);
        free(sst);
        free(styles);
        for (size_t i = 0; i < ELEMENTSOF(parts); i++)
                free(parts[i]);
        return r;
}

/* ---- checks ---- */

static void print_diags(const Diagnostics *d) {
        for (size_t i = 0; i < d->n_items; i++)
                fprintf(stderr, "  diag: %s | %s\n", d->items[i].message,
                        d->items[i].message_fr ? d->items[i].message_fr : "-");
}

/* One error whose French text contains `fr` (and the English `en`). */
static void expect_refused(int r, const Diagnostics *d, const char *en, const char *fr) {
        bool found = false;

        cr_expect_eq(r, -EINVAL, "r = %d", r);
        cr_expect_eq(d->n_errors, 1, "%zu errors", d->n_errors);
        for (size_t i = 0; i < d->n_items; i++)
                if (d->items[i].severity == DIAG_ERROR && strstr(d->items[i].message, en) && d->items[i].message_fr &&
                    strstr(d->items[i].message_fr, fr))
                        found = true;
        if (!found)
                print_diags(d);
        cr_expect(found, "no error with \"%s\" / \"%s\"", en, fr);
}

static void expect_ok(int r, const Diagnostics *d) {
        if (r < 0)
                print_diags(d);
        cr_assert_eq(r, 0, "r = %d", r);
        cr_expect_eq(d->n_items, 0);
}

static const Cell *cell_at(const Sheet *s, const char *ref) {
        uint32_t row, column;

        cr_assert_eq(workbook_parse_cell_ref(ref, &row, &column), 0, "%s", ref);
        return sheet_cell(s, row, column);
}

static void expect_cell(const Sheet *s, const char *ref, CellType type, const char *text) {
        const Cell *c = cell_at(s, ref);

        cr_assert_not_null(c, "%s!%s is empty, expected \"%s\"", s->name, ref, text);
        cr_expect_eq(c->type, type, "%s!%s: type %d, expected %d (\"%s\")", s->name, ref, c->type, type, c->text);
        cr_expect_str_eq(c->text, text, "%s!%s", s->name, ref);
}

static void expect_date(const Sheet *s, const char *ref, int year, int month, int day) {
        const Cell *c = cell_at(s, ref);
        char buf[DATE_STRING_MAX];

        cr_assert_not_null(c, "%s!%s is empty", s->name, ref);
        cr_expect_eq(c->type, CELL_DATE, "%s!%s: type %d (\"%s\")", s->name, ref, c->type, c->text);
        cr_expect(c->date.year == year && c->date.month == month && c->date.day == day, "%s!%s: %s", s->name, ref,
                  date_format(c->date, buf));
        snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
        cr_expect_str_eq(c->text, buf);
}

static void expect_empty(const Sheet *s, const char *ref) {
        const Cell *c = cell_at(s, ref);
        cr_expect_null(c, "%s!%s: \"%s\", expected empty", s->name, ref, c ? c->text : "");
}

static int64_t ms_since(const struct timespec *t0) {
        struct timespec t1;

        clock_gettime(CLOCK_MONOTONIC, &t1);
        return (int64_t) (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* ---- common ---- */

Test(workbook, cell_name) {
        static const struct {
                uint32_t row, column;
                const char *name;
        } cases[] = {
                { 6, 4, "E7" },         { 0, 0, "A1" },        { 0, 25, "Z1" },
                { 0, 26, "AA1" },       { 9, 51, "AZ10" },     { 0, 52, "BA1" },
                { 0, 701, "ZZ1" },      { 0, 702, "AAA1" },    { 0, 1023, "AMJ1" },
                { 1048575, 16383, "XFD1048576" }, { UINT32_MAX, UINT32_MAX, "?" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char buf[CELL_NAME_MAX];
                uint32_t row, column;

                cr_expect_str_eq(cell_name(cases[i].row, cases[i].column, buf), cases[i].name);
                if (cases[i].row > 1048575)
                        continue;
                cr_expect_eq(workbook_parse_cell_ref(cases[i].name, &row, &column), 0);
                cr_expect(row == cases[i].row && column == cases[i].column, "%s", cases[i].name);
        }
        for (const char *const *bad = (const char *const[]) { "", "A", "7", "a1", "A0", "XFE1", "A1048577", "AAAA1",
                                                              "A1B", "A-1", "A 1", NULL };
             *bad; bad++) {
                uint32_t row, column;
                cr_expect_eq(workbook_parse_cell_ref(*bad, &row, &column), -EINVAL, "\"%s\"", *bad);
        }
}

Test(workbook, label_equal) {
        static const struct {
                const char *a, *b;
                bool equal;
        } cases[] = {
                { "Réalisations", "Realisations", true },
                { "Réalisations", "REALISATIONS", true },
                { "RÉALISATIONS", "réalisations", true },
                { "  date du BILAN ", "Date du bilan", true },
                { "Date\u00a0du\u202fbilan", "date du bilan", true },
                { "Date\tdu\n bilan", "date du bilan", true },
                { "Période", "periode", true },
                { "Référence", "reference", true },
                { "éèêë àâä îï ôö ùûü ç", "eeee aaa ii oo uuu c", true },
                { "ÉÈÊË ÀÂÄ ÎÏ ÔÖ ÙÛÜ Ç", "eeee aaa ii oo uuu c", true },
                { "Cœur Æther", "coeur aether", true },
                { "CŒUR", "coeur", true },
                { "Mode d’emploi", "Mode d'emploi", true },
                { "Re\u0301fe\u0301rence", "Référence", true }, /* decomposed accents */
                { "Action", "Actions", false },
                { "Date du bilan", "Datedubilan", false },
                { "Nom", "Non", false },
                { "", "", true },
                { "   ", "", true },
                { "a", "", false },
                { "Œ", "o", false },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                cr_expect_eq(workbook_label_equal(cases[i].a, cases[i].b), cases[i].equal, "\"%s\" / \"%s\"",
                             cases[i].a, cases[i].b);
                cr_expect_eq(workbook_label_equal(cases[i].b, cases[i].a), cases[i].equal, "\"%s\" / \"%s\"",
                             cases[i].b, cases[i].a);
        }
        cr_expect(!workbook_label_equal(NULL, "a"));
        cr_expect(!workbook_label_equal("\xff", "y"));
}

Test(workbook, serial_dates) {
        static const struct {
                const char *serial;
                bool date1904;
                const char *date; /* NULL: not a date */
        } cases[] = {
                { "1", false, "1900-01-01" },     { "59", false, "1900-02-28" },
                { "60", false, NULL },            { "61", false, "1900-03-01" },
                { "46095", false, "2026-03-14" }, { "46095.75", false, "2026-03-14" },
                { "0", false, NULL },             { "-1", false, NULL },
                { "4.6095E+4", false, NULL },     { "2958465", false, "9999-12-31" },
                { "2958466", false, NULL },       { "0", true, "1904-01-01" },
                { "44633", true, "2026-03-14" },  { "", false, NULL },
                { "12a", false, NULL },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                Date d = {};
                char buf[DATE_STRING_MAX];
                int r = workbook_serial_to_date(cases[i].serial, cases[i].date1904, &d);

                if (cases[i].date) {
                        cr_expect_eq(r, 0, "%s", cases[i].serial);
                        cr_expect_str_eq(date_format(d, buf), cases[i].date, "%s", cases[i].serial);
                } else
                        cr_expect_eq(r, -EINVAL, "%s", cases[i].serial);
        }
}

Test(workbook, numbers) {
        for (const char *const *ok = (const char *const[]) { "17", "-3", "+4", "1.5", ".5", "5.", "1.5E+3",
                                                             "1.3002602400013E+13", "2e-5", "13002602400013", NULL };
             *ok; ok++)
                cr_expect(workbook_number_is_valid(*ok), "%s", *ok);
        for (const char *const *bad = (const char *const[]) { "", "-", ".", "1e", "1.5E+", "INF", "NaN", "1,5",
                                                              "1 000", "0x10", "1.2.3", NULL };
             *bad; bad++)
                cr_expect(!workbook_number_is_valid(*bad), "%s", *bad);
}

Test(workbook, lookups_and_free) {
        Cell cells[] = {
                { 0, 0, CELL_TEXT, (char *) "a", {} },
                { 0, 3, CELL_TEXT, (char *) "b", {} },
                { 4, 1, CELL_TEXT, (char *) "c", {} },
        };
        uint32_t hidden[] = { 4, 9 };
        Sheet sheets[] = {
                { .name = (char *) "Mode d'emploi" },
                { .name = (char *) "Réalisations", .cells = cells, .n_cells = 3, .hidden_rows = hidden, .n_hidden_rows = 2 },
        };
        Workbook w = { .sheets = sheets, .n_sheets = 2 };
        const Sheet *s = workbook_find_sheet(&w, " REALISATIONS");

        cr_assert_eq(s, &sheets[1]);
        cr_expect_null(workbook_find_sheet(&w, "Bilan"));
        cr_expect_str_eq(sheet_cell(s, 0, 3)->text, "b");
        cr_expect_str_eq(sheet_cell(s, 4, 1)->text, "c");
        cr_expect_null(sheet_cell(s, 0, 1));
        cr_expect_null(sheet_cell(s, 5, 0));
        cr_expect_null(sheet_cell(&sheets[0], 0, 0));
        cr_expect(sheet_row_is_hidden(s, 4));
        cr_expect(sheet_row_is_hidden(s, 9));
        cr_expect(!sheet_row_is_hidden(s, 0));
        cr_expect(!sheet_row_is_hidden(&sheets[0], 4));
        cr_expect_null(workbook_free(NULL));
}

/* ---- ODS ---- */

/* What LibreOffice writes, trimmed: a hidden sheet (automatic style),
 * labels, dates, numbers kept as written, formulas, merged and repeated
 * cells, hidden rows, the million-row repeat at the end. */
static const char ods_styles[] =
        "<style:style style:name=\"ta1\" style:family=\"table\" style:master-page-name=\"Default\">"
        "<style:table-properties table:display=\"true\" style:writing-mode=\"lr-tb\"/></style:style>"
        "<style:style style:name=\"ta2\" style:family=\"table\" style:master-page-name=\"Default\">"
        "<style:table-properties table:display=\"false\" style:writing-mode=\"lr-tb\"/></style:style>"
        "<style:style style:name=\"ro1\" style:family=\"table-row\"><style:table-row-properties "
        "style:row-height=\"0.178in\"/></style:style>";

static const char ods_tables[] =
        "<table:table table:name=\"Bilan\" table:style-name=\"ta1\">"
        "<table:table-column table:number-columns-repeated=\"3\"/>"
        "<table:table-row table:style-name=\"ro1\">"
        "<table:table-cell office:value-type=\"string\" calcext:value-type=\"string\"><text:p>Convention</text:p></table:table-cell>"
        "<table:table-cell office:value-type=\"string\" calcext:value-type=\"string\"><text:p>cma-2026</text:p></table:table-cell>"
        "</table:table-row>"
        "<table:table-row table:style-name=\"ro1\">"
        "<table:table-cell office:value-type=\"string\"><text:p>Date du bilan</text:p></table:table-cell>"
        "<table:table-cell office:value-type=\"date\" office:date-value=\"2026-03-14T10:30:00\" "
        "calcext:value-type=\"date\"><text:p>14/03/2026</text:p></table:table-cell>"
        "</table:table-row>"
        "<table:table-row><table:table-cell table:number-columns-repeated=\"1024\"/></table:table-row>"
        "<table:table-row table:number-rows-repeated=\"2\">"
        "<table:table-cell office:value-type=\"string\"><text:p>Partie  qualitative</text:p></table:table-cell>"
        "</table:table-row>"
        "<table:table-row>"
        "<table:table-cell office:value-type=\"string\"><office:annotation><dc:creator>X</dc:creator><text:p>a "
        "comment</text:p></office:annotation><text:p>Ligne un<text:tab/>tab</text:p><text:p><text:s "
        "text:c=\"2\"/>deux <text:span text:style-name=\"T1\">gras</text:span>  <text:span>   "
        "fin</text:span><text:line-break/>trois<text:s/></text:p></table:table-cell>"
        "</table:table-row>"
        "<table:table-row table:number-rows-repeated=\"1048569\"><table:table-cell "
        "table:number-columns-repeated=\"1024\"/></table:table-row>"
        "</table:table>"
        "<table:table table:name=\"Réalisations\" table:style-name=\"ta1\">"
        "<table:table-header-rows><table:table-row>"
        "<table:table-cell office:value-type=\"string\"><text:p>Action</text:p></table:table-cell>"
        "<table:table-cell office:value-type=\"string\"><text:p>Référence</text:p></table:table-cell>"
        "<table:table-cell table:number-columns-spanned=\"2\" office:value-type=\"string\"><text:p>Fusion</text:p></table:table-cell>"
        "<table:covered-table-cell office:value-type=\"string\"><text:p>caché</text:p></table:covered-table-cell>"
        "<table:table-cell office:value-type=\"string\"><text:p>Date</text:p></table:table-cell>"
        "</table:table-row></table:table-header-rows>"
        "<table:table-row>"
        "<table:table-cell office:value-type=\"string\"><text:p>dev-durable</text:p></table:table-cell>"
        "<table:table-cell office:value-type=\"float\" office:value=\"13002602400013\" calcext:value-type=\"float\">"
        "<text:p>13002602400013</text:p></table:table-cell>"
        "<table:table-cell office:value-type=\"float\" office:value=\"1.3002602400013E+13\"><text:p>1,3E+13</text:p></table:table-cell>"
        "<table:table-cell table:number-columns-repeated=\"2\"/>"
        "<table:table-cell office:value-type=\"percentage\" office:value=\"0.25\"><text:p>25 %</text:p></table:table-cell>"
        "<table:table-cell office:value-type=\"currency\" office:currency=\"EUR\" office:value=\"1500.5\"><text:p>1 500,50 €</text:p></table:table-cell>"
        "</table:table-row>"
        "<table:table-row table:visibility=\"collapse\">"
        "<table:table-cell office:value-type=\"string\"><text:p>caché</text:p></table:table-cell>"
        "</table:table-row>"
        "<table:table-row table:visibility=\"filter\" table:number-rows-repeated=\"2\">"
        "<table:table-cell table:formula=\"of:=1+1\" office:value-type=\"float\" office:value=\"2\"><text:p>2</text:p></table:table-cell>"
        "</table:table-row>"
        "<table:table-row>"
        "<table:table-cell table:formula=\"of:=1/0\" office:value-type=\"string\" office:string-value=\"\" "
        "calcext:value-type=\"error\"><text:p>#DIV/0!</text:p></table:table-cell>"
        "<table:table-cell table:formula=\"of:=&quot;a&quot;&amp;&quot;b&quot;\" office:value-type=\"string\" "
        "office:string-value=\"ab\" calcext:value-type=\"string\"><text:p>ab</text:p></table:table-cell>"
        "<table:table-cell office:value-type=\"boolean\" office:boolean-value=\"true\"><text:p>VRAI</text:p></table:table-cell>"
        "<table:table-cell table:number-columns-repeated=\"3\" office:value-type=\"string\"><text:p>x</text:p></table:table-cell>"
        "<table:table-cell office:value-type=\"string\"><text:p/></table:table-cell>"
        "<table:table-cell office:value-type=\"float\" office:value=\"abc\"><text:p>abc</text:p></table:table-cell>"
        "<table:table-cell office:value-type=\"date\" office:date-value=\"1899-12-30\"><text:p>30/12/1899</text:p></table:table-cell>"
        "<table:table-cell office:value-type=\"time\" office:time-value=\"PT12H00M00S\"><text:p>12:00:00</text:p></table:table-cell>"
        "</table:table-row>"
        "<table:table-row table:number-rows-repeated=\"1048570\"><table:table-cell table:number-columns-repeated=\"1024\"/></table:table-row>"
        "</table:table>"
        "<table:table table:name=\"Listes\" table:style-name=\"ta2\">"
        "<table:table-row><table:table-cell office:value-type=\"string\"><text:p>liste</text:p></table:table-cell></table:table-row>"
        "</table:table>"
        "<table:table table:name=\"Vide\"/>"
        "<table:named-expressions/>";

Test(workbook_ods, basics) {
        _cleanup_(workbook_freep) Workbook *w = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        struct timespec t0;
        const Sheet *s;
        int r;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        r = read_ods(ods_styles, ods_tables, &w, &d);
        expect_ok(r, &d);
        /* Two million empty rows of 1024 cells are only counted. */
        cr_expect_lt(ms_since(&t0), 2000, "%" PRId64 " ms", ms_since(&t0));
        cr_expect_eq(w->format, WORKBOOK_ODS);
        cr_expect(!w->has_macros);
        cr_assert_eq(w->n_sheets, 4);
        cr_expect_str_eq(w->sheets[0].name, "Bilan");
        cr_expect_str_eq(w->sheets[1].name, "Réalisations");
        cr_expect(!w->sheets[0].hidden && !w->sheets[1].hidden && w->sheets[2].hidden && !w->sheets[3].hidden);
        cr_expect_eq(w->sheets[3].n_cells, 0);

        s = workbook_find_sheet(w, "bilan");
        cr_assert_not_null(s);
        expect_cell(s, "A1", CELL_TEXT, "Convention");
        expect_cell(s, "B1", CELL_TEXT, "cma-2026");
        expect_date(s, "B2", 2026, 3, 14);
        expect_empty(s, "A3");
        expect_cell(s, "A4", CELL_TEXT, "Partie qualitative"); /* ODF collapses spaces */
        expect_cell(s, "A5", CELL_TEXT, "Partie qualitative");
        expect_cell(s, "A6", CELL_TEXT, "Ligne un\ttab\n  deux gras fin\ntrois ");
        cr_expect_eq(s->n_cells, 7);
        cr_expect_eq(s->n_hidden_rows, 0);

        s = workbook_find_sheet(w, "REALISATIONS");
        cr_assert_not_null(s);
        expect_cell(s, "A1", CELL_TEXT, "Action");
        expect_cell(s, "C1", CELL_TEXT, "Fusion");
        expect_empty(s, "D1"); /* covered by the merge */
        expect_cell(s, "E1", CELL_TEXT, "Date");
        expect_cell(s, "B2", CELL_NUMBER, "13002602400013");
        expect_cell(s, "C2", CELL_NUMBER, "1.3002602400013E+13");
        expect_empty(s, "D2");
        expect_empty(s, "E2");
        expect_cell(s, "F2", CELL_NUMBER, "0.25");
        expect_cell(s, "G2", CELL_NUMBER, "1500.5");
        expect_cell(s, "A3", CELL_TEXT, "caché");
        expect_cell(s, "A4", CELL_NUMBER, "2");
        expect_cell(s, "A5", CELL_NUMBER, "2");
        expect_cell(s, "A6", CELL_ERROR, "#DIV/0!");
        expect_cell(s, "B6", CELL_TEXT, "ab");
        expect_cell(s, "C6", CELL_BOOL, "TRUE");
        expect_cell(s, "D6", CELL_TEXT, "x");
        expect_cell(s, "E6", CELL_TEXT, "x");
        expect_cell(s, "F6", CELL_TEXT, "x");
        expect_empty(s, "G6");
        expect_cell(s, "H6", CELL_TEXT, "abc");        /* not a number: the text shown */
        expect_cell(s, "I6", CELL_TEXT, "30/12/1899"); /* before 1900: the text shown */
        expect_cell(s, "J6", CELL_TEXT, "12:00:00");
        cr_expect(!sheet_row_is_hidden(s, 1));
        cr_expect(sheet_row_is_hidden(s, 2));
        cr_expect(sheet_row_is_hidden(s, 3));
        cr_expect(sheet_row_is_hidden(s, 4));
        cr_expect(!sheet_row_is_hidden(s, 5));
        cr_expect_eq(s->n_hidden_rows, 3);
        for (size_t i = 1; i < s->n_cells; i++)
                cr_expect(s->cells[i - 1].row < s->cells[i].row ||
                          (s->cells[i - 1].row == s->cells[i].row && s->cells[i - 1].column < s->cells[i].column));
        diagnostics_clear(&d);
}

Test(workbook_ods, macros) {
        _cleanup_(workbook_freep) Workbook *w = NULL;
        _cleanup_(freep) char *content = ods_content(NULL, "<table:table table:name=\"Bilan\"/>");
        ZipFixtureEntry basic = { .name = "Basic/Standard/Module1.xml", .text = "<script:module/>" };
        ZipFixtureEntry scripts = { .name = "Scripts/python/x.py", .text = "import os" };
        Diagnostics d = DIAGNOSTICS_INIT;

        expect_ok(read_ods_content(content, &basic, &w, &d), &d);
        cr_expect(w->has_macros);
        w = workbook_free(w);
        expect_ok(read_ods_content(content, &scripts, &w, &d), &d);
        cr_expect(w->has_macros);
}

static const char ods_row[] =
        "<table:table-row table:number-rows-repeated=\"%u\"><table:table-cell office:value-type=\"string\">"
        "<text:p>r</text:p></table:table-cell></table:table-row>";

static int read_ods_rows(unsigned rows, Workbook **ret, Diagnostics *d) {
        _cleanup_(freep) char *tables = NULL, *row = NULL;

        cr_assert_geq(asprintf(&row, ods_row, rows), 0);
        cr_assert_geq(asprintf(&tables, "<table:table table:name=\"Réalisations\">%s</table:table>", row), 0);
        return read_ods(NULL, tables, ret, d);
}

Test(workbook_ods, rows_limit) {
        _cleanup_(workbook_freep) Workbook *w = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        int r;

        expect_ok(read_ods_rows(20000, &w, &d), &d);
        cr_expect_eq(w->sheets[0].n_cells, 20000);
        expect_cell(&w->sheets[0], "A20000", CELL_TEXT, "r");

        r = read_ods_rows(20001, &w, &d);
        expect_refused(r, &d, "sheet Réalisations has more than 20000 non-empty rows",
                       "la feuille Réalisations contient plus de 20 000 lignes remplies");
        diagnostics_clear(&d);
        /* A billion repeats are refused as quickly. */
        r = read_ods_rows(1000000000, &w, &d);
        expect_refused(r, &d, "more than 20000", "plus de 20 000 lignes");
        diagnostics_clear(&d);
}

Test(workbook_ods, columns_limit) {
        _cleanup_(workbook_freep) Workbook *w = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        static const char last[] =
                "<table:table table:name=\"Réalisations\"><table:table-row/><table:table-row/>"
                "<table:table-row><table:table-cell table:number-columns-repeated=\"1023\"/>"
                "<table:table-cell office:value-type=\"string\"><text:p>AMJ</text:p></table:table-cell>"
                "<table:table-cell table:number-columns-repeated=\"15360\"/></table:table-row></table:table>";
        static const char beyond[] =
                "<table:table table:name=\"Réalisations\"><table:table-row table:number-rows-repeated=\"2\"/>"
                "<table:table-row><table:table-cell table:number-columns-repeated=\"1024\"/>"
                "<table:table-cell office:value-type=\"string\"><text:p>AMK</text:p></table:table-cell>"
                "</table:table-row></table:table>";
        static const char repeated[] =
                "<table:table table:name=\"Réalisations\"><table:table-row><table:table-cell "
                "table:number-columns-repeated=\"4000000000\" office:value-type=\"string\"><text:p>x</text:p>"
                "</table:table-cell></table:table-row></table:table>";
        int r;

        expect_ok(read_ods(NULL, last, &w, &d), &d);
        expect_cell(&w->sheets[0], "AMJ3", CELL_TEXT, "AMJ");
        r = read_ods(NULL, beyond, &w, &d);
        expect_refused(r, &d, "row 3 of sheet Réalisations has a cell beyond column 1024",
                       "la ligne 3 de la feuille Réalisations a une cellule au-delà de la colonne 1 024");
        diagnostics_clear(&d);
        r = read_ods(NULL, repeated, &w, &d);
        expect_refused(r, &d, "beyond column 1024", "la ligne 1 de la feuille Réalisations");
        diagnostics_clear(&d);
}

Test(workbook_ods, cells_limit) {
        _cleanup_(workbook_freep) Workbook *w = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        static const char many[] =
                "<table:table table:name=\"Réalisations\"><table:table-row table:number-rows-repeated=\"20000\">"
                "<table:table-cell table:number-columns-repeated=\"1024\" office:value-type=\"float\" "
                "office:value=\"1\"><text:p>1</text:p></table:table-cell></table:table-row></table:table>";
        struct timespec t0;
        int r;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        r = read_ods(NULL, many, &w, &d);
        expect_refused(r, &d, "more than 1000000 non-empty cells", "plus de 1 000 000 cellules remplies");
        cr_expect_lt(ms_since(&t0), 10000);
        diagnostics_clear(&d);
}

Test(workbook_ods, text_limit) {
        _cleanup_(workbook_freep) Workbook *w = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        static const char spaces[] =
                "<table:table table:name=\"Bilan\"><table:table-row><table:table-cell table:number-columns-repeated=\"2\"/>"
                "<table:table-cell office:value-type=\"string\"><text:p>a<text:s text:c=\"1048576\"/></text:p>"
                "</table:table-cell></table:table-row></table:table>";
        static const char fits[] =
                "<table:table table:name=\"Bilan\"><table:table-row><table:table-cell office:value-type=\"string\">"
                "<text:p><text:s text:c=\"1048575\"/>a</text:p></table:table-cell></table:table-row></table:table>";
        int r;

        r = read_ods(NULL, spaces, &w, &d);
        expect_refused(r, &d, "sheet Bilan, cell C1: the text is longer than 1 MiB",
                       "feuille Bilan, cellule C1 : le texte dépasse 1 Mio");
        diagnostics_clear(&d);
        expect_ok(read_ods(NULL, fits, &w, &d), &d);
        cr_expect_eq(strlen(w->sheets[0].cells[0].text), WORKBOOK_CELL_TEXT_MAX);
}

Test(workbook_ods, not_a_spreadsheet) {
        _cleanup_(workbook_freep) Workbook *w = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        static const char odt[] = "<?xml version=\"1.0\"?><office:document-content " ODS_NS "><office:body>"
                                  "<office:text><table:table table:name=\"T\"/></office:text></office:body>"
                                  "</office:document-content>";
        int r;

        r = read_ods_content(odt, NULL, &w, &d);
        expect_refused(r, &d, "not a spreadsheet", "ce document OpenDocument n'est pas un classeur");
        cr_expect_null(w);
        diagnostics_clear(&d);
}

Test(workbook_ods, password) {
        _cleanup_(workbook_freep) Workbook *w = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        /* LibreOffice's own encryption: the manifest says how. */
        static const char manifest[] =
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<manifest:manifest "
                "xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\"><manifest:file-entry "
                "manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\" manifest:size=\"3000\">"
                "<manifest:encryption-data manifest:checksum-type=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0#sha256-1k\" "
                "manifest:checksum=\"AAAA\"><manifest:algorithm "
                "manifest:algorithm-name=\"http://www.w3.org/2001/04/xmlenc#aes256-cbc\" "
                "manifest:initialisation-vector=\"AAAA\"/></manifest:encryption-data></manifest:file-entry>"
                "</manifest:manifest>";
        static const char garbage[] = "\x8f\x01\xfe binary";
        ZipFixtureEntry e[] = {
                { .name = "mimetype", .text = ODS_MIMETYPE, .store = true },
                { .name = "META-INF/manifest.xml", .text = manifest },
                { .name = "content.xml", .data = garbage, .size = sizeof garbage - 1, .store = true },
        };
        int r;

        r = read_zip(e, ELEMENTSOF(e), WORKBOOK_ODS, &w, &d);
        expect_refused(r, &d, "protected by a password", "le classeur est protégé par un mot de passe");
        diagnostics_clear(&d);
}

Test(workbook_ods, zip_encryption) {
        _cleanup_(workbook_freep) Workbook *w = NULL;
        _cleanup_(freep) char *content = ods_content(NULL, "<table:table table:name=\"Bilan\"/>");
        Diagnostics d = DIAGNOSTICS_INIT;
        ZipFixtureEntry e[] = {
                { .name = "mimetype", .text = ODS_MIMETYPE, .store = true },
                { .name = "content.xml", .text = content, .password = "secret" },
        };
        int r;

        r = read_zip(e, ELEMENTSOF(e), WORKBOOK_ODS, &w, &d);
        expect_refused(r, &d, "content.xml is encrypted", "le classeur est protégé par un mot de passe");
        diagnostics_clear(&d);
}

/* ---- XLSX ---- */

/* Styles as Excel writes them: 0 General, 1 built-in date 14, 2 custom
 * dd/mm/yyyy, 3 custom 0.00 (a number), 4 h:mm (a time, not a date),
 * 5 [$-40C]d mmmm yyyy;@ (a date), 6 "m" quoted in a number format. */
static const char xlsx_styles[] =
        "<numFmts count=\"4\"><numFmt numFmtId=\"164\" formatCode=\"dd/mm/yyyy\"/>"
        "<numFmt numFmtId=\"165\" formatCode=\"0.00\"/><numFmt numFmtId=\"166\" formatCode=\"[$-40C]d mmmm yyyy;@\"/>"
        "<numFmt numFmtId=\"167\" formatCode=\"0&quot; m²&quot;\"/></numFmts>"
        "<cellStyleXfs count=\"1\"><xf numFmtId=\"14\"/></cellStyleXfs>"
        "<cellXfs count=\"7\"><xf numFmtId=\"0\" xfId=\"0\"/><xf numFmtId=\"14\" xfId=\"0\" applyNumberFormat=\"1\"/>"
        "<xf numFmtId=\"164\" xfId=\"0\"><alignment horizontal=\"left\"/></xf><xf numFmtId=\"165\"/>"
        "<xf numFmtId=\"20\"/><xf numFmtId=\"166\"/><xf numFmtId=\"167\"/></cellXfs>";

static const char xlsx_sst[] =
        "<si><t>Action</t></si>"
        "<si><t>Référence</t></si>"
        "<si><r><rPr><b/></rPr><t xml:space=\"preserve\">dev-</t></r><r><t>durable</t></r>"
        "<rPh sb=\"0\" eb=\"1\"><t>ふりがな</t></rPh><phoneticPr fontId=\"1\"/></si>"
        "<si><t xml:space=\"preserve\">  espaces  </t></si>"
        "<si><t>ligne_x000D_\nsuite _x005F_x0041_ _x0001_ _x00e9_ _xD800_ _x20AC_</t></si>"
        "<si><t/></si>";

static const char xlsx_sheet[] =
        "<row r=\"1\" spans=\"1:3\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c>"
        "<c r=\"C1\" s=\"2\"/></row>"
        "<row r=\"2\"><c r=\"A2\" t=\"s\"><v>2</v></c><c r=\"B2\"><v>13002602400013</v></c>"
        "<c r=\"C2\"><v>1.3002602400013E+13</v></c><c r=\"D2\" s=\"1\"><v>46095</v></c>"
        "<c r=\"E2\" s=\"2\"><v>46095.5</v></c><c r=\"F2\" s=\"3\"><v>46095</v></c>"
        "<c r=\"G2\" s=\"4\"><v>0.5</v></c><c r=\"H2\" s=\"5\"><v>61</v></c><c r=\"I2\" s=\"1\"><v>60</v></c>"
        "<c r=\"J2\" s=\"6\"><v>12</v></c><c r=\"K2\" s=\"99\"><v>7</v></c></row>"
        "<row r=\"4\" hidden=\"1\"><c r=\"A4\" t=\"inlineStr\"><is><r><t>en </t></r><r><t>ligne</t></r></is></c>"
        "<c r=\"B4\" t=\"str\"><f>A1&amp;\"x\"</f><v>Actionx</v></c><c r=\"C4\" t=\"b\"><v>1</v></c>"
        "<c r=\"D4\" t=\"e\"><f>1/0</f><v>#DIV/0!</v></c><c r=\"E4\"><f>1+1</f></c>"
        "<c r=\"F4\" t=\"d\"><v>2026-03-14T00:00:00</v></c><c r=\"G4\" t=\"s\"><v>5</v></c></row>"
        "<row><c t=\"s\"><v>3</v></c><c/><c t=\"s\"><v>4</v></c></row>"
        "<row r=\"3\" hidden=\"true\"><c r=\"B3\"><v>-4.5</v></c></row>";

Test(workbook_xlsx, basics) {
        _cleanup_(workbook_freep) Workbook *w = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        XlsxFixture f = {
                .sheets = { { .name = "Mode d'emploi", .data = "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>Lisez</t></is></c></row>" },
                            { .name = "Réalisations", .data = xlsx_sheet, .target = "/xl/worksheets/sheet2.xml" },
                            { .name = "Listes", .state = "hidden", .data = "" } },
                .shared_strings = xlsx_sst,
                .styles = xlsx_styles,
        };
        const Sheet *s;

        expect_ok(read_xlsx(&f, &w, &d), &d);
        cr_expect_eq(w->format, WORKBOOK_XLSX);
        cr_expect(!w->has_macros);
        cr_assert_eq(w->n_sheets, 3);
        cr_expect_str_eq(w->sheets[0].name, "Mode d'emploi");
        cr_expect(!w->sheets[0].hidden && !w->sheets[1].hidden && w->sheets[2].hidden);
        expect_cell(&w->sheets[0], "A1", CELL_TEXT, "Lisez");

        s = workbook_find_sheet(w, "realisations");
        cr_assert_not_null(s);
        expect_cell(s, "A1", CELL_TEXT, "Action");
        expect_cell(s, "B1", CELL_TEXT, "Référence");
        expect_empty(s, "C1");
        expect_cell(s, "A2", CELL_TEXT, "dev-durable");
        expect_cell(s, "B2", CELL_NUMBER, "13002602400013");
        expect_cell(s, "C2", CELL_NUMBER, "1.3002602400013E+13");
        expect_date(s, "D2", 2026, 3, 14);
        expect_date(s, "E2", 2026, 3, 14);
        expect_cell(s, "F2", CELL_NUMBER, "46095");
        expect_cell(s, "G2", CELL_NUMBER, "0.5");
        expect_date(s, "H2", 1900, 3, 1);
        expect_cell(s, "I2", CELL_NUMBER, "60"); /* 1900-02-29 never was */
        expect_cell(s, "J2", CELL_NUMBER, "12");
        expect_cell(s, "K2", CELL_NUMBER, "7"); /* an unknown style: a number */
        expect_cell(s, "B3", CELL_NUMBER, "-4.5");
        expect_cell(s, "A4", CELL_TEXT, "en ligne");
        expect_cell(s, "B4", CELL_TEXT, "Actionx");
        expect_cell(s, "C4", CELL_BOOL, "TRUE");
        expect_cell(s, "D4", CELL_ERROR, "#DIV/0!");
        expect_empty(s, "E4"); /* a formula never computed (openpyxl) */
        expect_date(s, "F4", 2026, 3, 14);
        expect_empty(s, "G4"); /* an empty shared string */
        expect_cell(s, "A5", CELL_TEXT, "  espaces  ");
        expect_cell(s, "C5", CELL_TEXT, "ligne\r\nsuite _x0041_ _x0001_ é _xD800_ €");
        cr_expect(!sheet_row_is_hidden(s, 1));
        cr_expect(sheet_row_is_hidden(s, 2));
        cr_expect(sheet_row_is_hidden(s, 3));
        cr_expect(!sheet_row_is_hidden(s, 4));
        for (size_t i = 1; i < s->n_cells; i++)
                cr_expect(s->cells[i - 1].row < s->cells[i].row ||
                          (s->cells[i - 1].row == s->cells[i].row && s->cells[i - 1].column < s->cells[i].column));
}

Test(workbook_xlsx, date1904) {
        _cleanup_(workbook_freep) Workbook *w = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        XlsxFixture f = {
                .workbook_pr = "<workbookPr date1904=\"true\" defaultThemeVersion=\"124226\"/>",
                .sheets = { { .name = "Réalisations",
                              .data = "<row r=\"1\"><c r=\"A1\" s=\"1\"><v>44633</v></c><c r=\"B1\" s=\"1\"><v>0</v></c>"
                                      "<c r=\"C1\" s=\"1\"><v>60</v></c></row>" } },
                .styles = xlsx_styles,
        };

        expect_ok(read_xlsx(&f, &w, &d), &d);
        expect_date(&w->sheets[0], "A1", 2026, 3, 14);
        expect_date(&w->sheets[0], "B1", 1904, 1, 1);
        expect_date(&w->sheets[0], "C1", 1904, 3, 1);
}

Test(workbook_xlsx, no_styles_no_strings) {
        _cleanup_(workbook_freep) Workbook *w = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        XlsxFixture f = {
                .sheets = { { .name = "Bilan", .data = "<row r=\"1\"><c r=\"A1\" s=\"1\"><v>46095</v></c></row>" } },
        };

        expect_ok(read_xlsx(&f, &w, &d), &d);
        expect_cell(&w->sheets[0], "A1", CELL_NUMBER, "46095");
}

Test(workbook_xlsx, macros) {
        _cleanup_(workbook_freep) Workbook *w = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        XlsxFixture xlsm = {
                .sheets = { { .name = "Bilan" } },
                .content_type = "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        };
        XlsxFixture vba = {
                .sheets = { { .name = "Bilan" } },
                .extra = { .name = "xl/vbaProject.bin", .text = "\xd0\xcf\x11\xe0" },
        };

        expect_ok(read_xlsx(&xlsm, &w, &d), &d);
        cr_expect(w->has_macros);
        w = workbook_free(w);
        expect_ok(read_xlsx(&vba, &w, &d), &d);
        cr_expect(w->has_macros);
}

/* Rows as Excel writes them, `n` of them, with a cell at `column`. */
static char *xlsx_rows(unsigned n, const char *column) {
        size_t size = (size_t) n * 64 + 1, len = 0;
        char *s = malloc(size);

        cr_assert_not_null(s);
        for (unsigned i = 1; i <= n; i++)
                len += (size_t) snprintf(s + len, size - len, "<row r=\"%u\"><c r=\"%s%u\"><v>%u</v></c></row>", i,
                                         column, i, i);
        return s;
}

Test(workbook_xlsx, rows_limit) {
        _cleanup_(workbook_freep) Workbook *w = NULL;
        _cleanup_(freep) char *ok = xlsx_rows(20000, "A"), *over = xlsx_rows(20001, "A");
        Diagnostics d = DIAGNOSTICS_INIT;
        XlsxFixture f = { .sheets = { { .name = "Réalisations", .data = ok } } };
        int r;

        expect_ok(read_xlsx(&f, &w, &d), &d);
        expect_cell(&w->sheets[0], "A20000", CELL_NUMBER, "20000");
        w = workbook_free(w);
        f.sheets[0].data = over;
        r = read_xlsx(&f, &w, &d);
        expect_refused(r, &d, "sheet Réalisations has more than 20000 non-empty rows",
                       "la feuille Réalisations contient plus de 20 000 lignes remplies");
        diagnostics_clear(&d);
}

Test(workbook_xlsx, columns_limit) {
        _cleanup_(workbook_freep) Workbook *w = NULL;
        _cleanup_(freep) char *amj = xlsx_rows(3, "AMJ"), *amk = xlsx_rows(3, "AMK");
        Diagnostics d = DIAGNOSTICS_INIT;
        XlsxFixture f = { .sheets = { { .name = "Réalisations", .data = amj } } };
        int r;

        expect_ok(read_xlsx(&f, &w, &d), &d);
        expect_cell(&w->sheets[0], "AMJ3", CELL_NUMBER, "3");
        w = workbook_free(w);
        f.sheets[0].data = amk;
        r = read_xlsx(&f, &w, &d);
        expect_refused(r, &d, "row 1 of sheet Réalisations has a cell beyond column 1024",
                       "la ligne 1 de la feuille Réalisations a une cellule au-delà de la colonne 1 024");
        diagnostics_clear(&d);
        /* Empty styled cells out there are nothing. */
        f.sheets[0].data = "<row r=\"1\"><c r=\"XFD1\" s=\"1\"/><c r=\"A1\"><v>1</v></c></row>";
        expect_ok(read_xlsx(&f, &w, &d), &d);
        expect_cell(&w->sheets[0], "A1", CELL_NUMBER, "1");
}

Test(workbook_xlsx, damaged_parts) {
        static const struct {
                const char *label;
                XlsxFixture f;
                const char *en, *fr;
        } cases[] = {
                { "missing sheet part", { .sheets = { { .name = "Bilan" }, { .name = "Réalisations", .no_part = true } } },
                  "xl/worksheets/sheet2.xml missing", "xl/worksheets/sheet2.xml manquant" },
                { "rels: ..", { .sheets = { { .name = "Bilan", .target = "../../etc/passwd" } } },
                  "sheet Bilan: no part, or a part outside xl/", "feuille Bilan : contenu introuvable ou hors de xl/" },
                { "rels: absolute outside xl/", { .sheets = { { .name = "Bilan", .target = "/etc/passwd" } } },
                  "outside xl/", "hors de xl/" },
                { "rels: .. inside", { .sheets = { { .name = "Bilan", .target = "worksheets/../worksheets/sheet1.xml" } } },
                  "outside xl/", "hors de xl/" },
                { "rels: backslash", { .sheets = { { .name = "Bilan", .target = "worksheets\\sheet1.xml" } } },
                  "outside xl/", "hors de xl/" },
                { "unknown shared string",
                  { .sheets = { { .name = "Bilan", .data = "<row r=\"2\"><c r=\"B2\" t=\"s\"><v>7</v></c></row>" } },
                    .shared_strings = "<si><t>a</t></si>" },
                  "sheet Bilan, cell B2: unknown shared string", "feuille Bilan, cellule B2 : chaîne partagée inconnue" },
                { "bad number", { .sheets = { { .name = "Bilan", .data = "<row r=\"1\"><c r=\"C1\"><v>1,5</v></c></row>" } } },
                  "cell C1: a number cell without a number", "cellule C1 : une cellule nombre sans nombre" },
                { "bad reference", { .sheets = { { .name = "Bilan", .data = "<row r=\"1\"><c r=\"1A\"><v>1</v></c></row>" } } },
                  "invalid cell reference", "référence de cellule invalide" },
                { "bad row", { .sheets = { { .name = "Bilan", .data = "<row r=\"0\"><c><v>1</v></c></row>" } } },
                  "invalid row number", "numéro de ligne invalide" },
                { "unknown type", { .sheets = { { .name = "Bilan", .data = "<row r=\"1\"><c r=\"A1\" t=\"z\"><v>1</v></c></row>" } } },
                  "unknown cell type", "type de cellule inconnu" },
                { "broken XML", { .sheets = { { .name = "Bilan", .data = "<row r=\"1\"><c r=\"A1\"><v>1</c></row>" } } },
                  "xl/worksheets/sheet1.xml, line 2:", "(xl/worksheets/sheet1.xml, ligne 2 :" },
                { "no sheet", { .sheets = { { .name = NULL } } }, "no sheet", "aucune feuille" },
                { "control characters in a part name",
                  { .sheets = { { .name = "Bilan", .target = "worksheets/a&#10;b&#x85;.xml", .no_part = true } } },
                  "xl/worksheets/a?b?.xml missing", "(xl/worksheets/a?b?.xml manquant)" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                Workbook *w = NULL;
                Diagnostics d = DIAGNOSTICS_INIT;
                int r = read_xlsx(&cases[i].f, &w, &d);

                cr_log_info("%s", cases[i].label);
                expect_refused(r, &d, cases[i].en, cases[i].fr);
                expect_refused(r, &d, "the workbook is damaged or incomplete",
                               "le classeur est abîmé ou incomplet");
                cr_expect(strstr(d.items[0].message_fr, ": ouvrez-le et enregistrez-le de nouveau"));
                cr_expect_null(w);
                diagnostics_clear(&d);
        }
}

/* ---- hostile and damaged files ---- */

Test(workbook_hostile, doctype) {
        static const char *const contents[] = {
                /* entities declared and used */
                "<?xml version=\"1.0\"?>\n<!DOCTYPE office:document-content [<!ENTITY a \"aaaaaaaa\">"
                "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;\">]>"
                "<office:document-content " ODS_NS "><office:body><office:spreadsheet><table:table "
                "table:name=\"&c;\"/></office:spreadsheet></office:body></office:document-content>",
                /* an external entity */
                "<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
                "<office:document-content " ODS_NS "><office:body><office:spreadsheet><table:table "
                "table:name=\"Bilan\"><table:table-row><table:table-cell><text:p>&e;</text:p></table:table-cell>"
                "</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>",
                /* an external DTD over the network */
                "<?xml version=\"1.0\"?>\n<!DOCTYPE x SYSTEM \"http://127.0.0.1:9/x.dtd\">"
                "<office:document-content " ODS_NS "/>",
                /* a parameter entity */
                "<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]><x/>",
                /* a billion laughs, used at once: libxml2 reads ahead and
                 * would meet the loop before handing over the DOCTYPE */
                "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\">"
                "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
                "<!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">"
                "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">"
                "<!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">"
                "<!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">"
                "<!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">"
                "<!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">"
                "<!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">"
                "<!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">]>"
                "<office:document-content " ODS_NS "><office:body><office:spreadsheet><table:table "
                "table:name=\"Bilan\"><table:table-row><table:table-cell><text:p>&lol9;</text:p></table:table-cell>"
                "</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>",
                /* a comment before the DOCTYPE */
                "<?xml version=\"1.0\"?>\n<!-- <x> --><!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>",
        };

        for (size_t i = 0; i < ELEMENTSOF(contents); i++) {
                Workbook *w = NULL;
                Diagnostics d = DIAGNOSTICS_INIT;
                int r = read_ods_content(contents[i], NULL, &w, &d);

                expect_refused(r, &d, "the workbook contains a DTD declaration (content.xml)",
                               "le classeur contient une déclaration DTD (content.xml)");
                cr_expect_null(w);
                diagnostics_clear(&d);
        }
}

/* Sets the uncompressed size `entry` declares, in its local header and
 * the central directory, to `size`: an archive that lies. */
static void zip_patch_size(uint8_t *zip, size_t zip_size, const char *entry, uint32_t size) {
        size_t len = strlen(entry);
        unsigned patched = 0;

        for (size_t i = 0; i + 46 + len <= zip_size; i++) {
                size_t at = 0;

                if (zip[i] != 'P' || zip[i + 1] != 'K')
                        continue;
                if (zip[i + 2] == 3 && zip[i + 3] == 4 && memcmp(zip + i + 30, entry, len) == 0)
                        at = i + 22;
                else if (zip[i + 2] == 1 && zip[i + 3] == 2 && memcmp(zip + i + 46, entry, len) == 0)
                        at = i + 24;
                if (!at)
                        continue;
                for (int k = 0; k < 4; k++)
                        zip[at + (size_t) k] = (uint8_t) (size >> (8 * k));
                patched++;
        }
        cr_assert_eq(patched, 2);
}

/* A document of `n` bytes, most of it in comments (quick to parse):
 * `random` letters (incompressible), or the same one. */
static char *big_content(size_t n, bool random) {
        static const char head[] = "<?xml version=\"1.0\"?>\n<office:document-content " ODS_NS "><office:body>";
        static const char tail[] = "</office:body></office:document-content>";
        char *s = malloc(n + 1);
        size_t len = strlen(head);
        uint32_t seed = 12345;

        cr_assert_not_null(s);
        memcpy(s, head, len);
        while (len + 65536 + strlen(tail) < n) {
                memcpy(s + len, "<!--", 4);
                len += 4;
                for (int i = 0; i < 65000; i++) {
                        seed = seed * 1103515245u + 12345u;
                        s[len++] = random ? (char) ('a' + (seed >> 16) % 26) : 'a';
                }
                memcpy(s + len, "-->", 3);
                len += 3;
        }
        while (len + strlen(tail) < n)
                s[len++] = ' ';
        memcpy(s + len, tail, strlen(tail) + 1);
        return s;
}

static int read_ods_bytes(uint8_t *data, size_t size, Workbook **ret, Diagnostics *d) {
        int r = workbook_read("bilan.ods", data, size, WORKBOOK_ODS, ret, d);
        free(data);
        return r;
}

static uint8_t *build_ods(const char *content, bool store, size_t *ret_size) {
        ZipFixtureEntry e[] = {
                { .name = "mimetype", .text = ODS_MIMETYPE, .store = true },
                { .name = "content.xml", .text = content, .store = store },
        };
        return zipfixture_build(e, ELEMENTSOF(e), ret_size);
}

Test(workbook_hostile, zip_bomb) {
        _cleanup_(workbook_freep) Workbook *w = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        size_t zeros_size = (size_t) 50 << 20, size;
        _cleanup_(freep) char *zeros = calloc(1, zeros_size);
        _cleanup_(freep) char *same = big_content((size_t) 20 << 20, false);
        ZipFixtureEntry e[] = {
                { .name = "mimetype", .text = ODS_MIMETYPE, .store = true },
                { .name = "content.xml", .data = zeros, .size = zeros_size },
        };
        uint8_t *data;
        int r;

        /* 50 MiB of zeros: refused on what it declares. */
        cr_assert_not_null(zeros);
        data = zipfixture_build(e, ELEMENTSOF(e), &size);
        cr_expect_lt(size, 100000);
        r = read_ods_bytes(data, size, &w, &d);
        expect_refused(r, &d, "abnormal archive (ZIP bomb): content.xml expands to more than 200 times its size",
                       "archive anormale (bombe ZIP) : content.xml se décompresse en plus de 200 fois sa taille");
        diagnostics_clear(&d);

        /* 20 MiB of valid XML declared as 1000 bytes: refused as it comes out. */
        data = build_ods(same, false, &size);
        zip_patch_size(data, size, "content.xml", 1000);
        r = read_ods_bytes(data, size, &w, &d);
        expect_refused(r, &d, "abnormal archive (ZIP bomb): content.xml expands beyond the size it declares",
                       "archive anormale (bombe ZIP) : content.xml se décompresse au-delà de la taille qu'elle annonce");
        diagnostics_clear(&d);

        /* 20 MiB of spaces in one text node, declared as 2 KiB: the lie is
         * seen before libxml2's own limit on a text node. */
        memset(same, ' ', (size_t) 20 << 20);
        memcpy(same, "<?xml version=\"1.0\"?><x>", 24);
        memcpy(same + ((size_t) 20 << 20) - 4, "</x>", 5);
        data = build_ods(same, false, &size);
        zip_patch_size(data, size, "content.xml", 2048);
        r = read_ods_bytes(data, size, &w, &d);
        expect_refused(r, &d, "abnormal archive (ZIP bomb): content.xml expands beyond",
                       "archive anormale (bombe ZIP) : content.xml se décompresse au-delà");
        diagnostics_clear(&d);
}

Test(workbook_hostile, entry_too_large) {
        _cleanup_(workbook_freep) Workbook *w = NULL;
        _cleanup_(freep) char *content = big_content((size_t) 33 << 20, true);
        Diagnostics d = DIAGNOSTICS_INIT;
        size_t size;
        uint8_t *data;
        int r;

        uint8_t *copy;

        /* Stored: a ratio of 1, only the size is wrong. */
        data = build_ods(content, true, &size);
        copy = malloc(size);
        cr_assert_not_null(copy);
        memcpy(copy, data, size);
        r = read_ods_bytes(data, size, &w, &d);
        expect_refused(r, &d, "the workbook is too large: content.xml is over 32 MiB uncompressed",
                       "le classeur est trop gros : content.xml dépasse 32 Mio une fois décompressé");
        diagnostics_clear(&d);

        /* Declared as 4000 bytes: libzip would read on, the count stops it
         * at the 4001st byte. */
        zip_patch_size(copy, size, "content.xml", 4000);
        r = read_ods_bytes(copy, size, &w, &d);
        expect_refused(r, &d, "content.xml expands beyond the size it declares",
                       "content.xml se décompresse au-delà de la taille qu'elle annonce");
        diagnostics_clear(&d);
}

Test(workbook_hostile, total_too_large) {
        _cleanup_(workbook_freep) Workbook *w = NULL;
        _cleanup_(freep) char *sheet = big_content((size_t) 22 << 20, true);
        Diagnostics d = DIAGNOSTICS_INIT;
        ZipFixtureEntry e[] = {
                { .name = "[Content_Types].xml",
                  .text = "<?xml version=\"1.0\"?><Types "
                          "xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>" },
                { .name = "xl/workbook.xml",
                  .text = "<?xml version=\"1.0\"?><workbook xmlns=\"" XLSX_MAIN "\" xmlns:r=\"" XLSX_RELS "\"><sheets>"
                          "<sheet name=\"A\" sheetId=\"1\" r:id=\"rId1\"/><sheet name=\"B\" sheetId=\"2\" r:id=\"rId2\"/>"
                          "<sheet name=\"C\" sheetId=\"3\" r:id=\"rId3\"/></sheets></workbook>" },
                { .name = "xl/_rels/workbook.xml.rels",
                  .text = "<?xml version=\"1.0\"?><Relationships xmlns=\"" XLSX_PKG_RELS "\">"
                          "<Relationship Id=\"rId1\" Type=\"" XLSX_RELS "/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
                          "<Relationship Id=\"rId2\" Type=\"" XLSX_RELS "/worksheet\" Target=\"worksheets/sheet2.xml\"/>"
                          "<Relationship Id=\"rId3\" Type=\"" XLSX_RELS "/worksheet\" Target=\"worksheets/sheet3.xml\"/>"
                          "</Relationships>" },
                { .name = "xl/worksheets/sheet1.xml", .text = sheet, .store = true },
                { .name = "xl/worksheets/sheet2.xml", .text = sheet, .store = true },
                { .name = "xl/worksheets/sheet3.xml", .text = sheet, .store = true },
        };
        int r;

        /* Three sheets of 22 MiB: each under the entry limit, not together. */
        r = read_zip(e, ELEMENTSOF(e), WORKBOOK_XLSX, &w, &d);
        expect_refused(r, &d, "the workbook is too large: over 64 MiB uncompressed",
                       "le classeur est trop gros : plus de 64 Mio une fois décompressé");
        diagnostics_clear(&d);
}

Test(workbook_hostile, too_many_entries) {
        _cleanup_(workbook_freep) Workbook *w = NULL;
        _cleanup_(freep) char *content = ods_content(NULL, "<table:table table:name=\"Bilan\"/>");
        Diagnostics d = DIAGNOSTICS_INIT;
        static char names[1001][32];
        ZipFixtureEntry *e = calloc(1001, sizeof(ZipFixtureEntry));
        size_t size;
        uint8_t *data;
        int r;

        cr_assert_not_null(e);
        e[0] = (ZipFixtureEntry) { .name = "mimetype", .text = ODS_MIMETYPE, .store = true };
        e[1] = (ZipFixtureEntry) { .name = "content.xml", .text = content };
        for (size_t i = 2; i < 1001; i++) {
                snprintf(names[i], sizeof names[i], "Pictures/%zu.png", i);
                e[i] = (ZipFixtureEntry) { .name = names[i], .text = "x" };
        }
        data = zipfixture_build(e, 1000, &size);
        expect_ok(read_ods_bytes(data, size, &w, &d), &d);
        w = workbook_free(w);
        data = zipfixture_build(e, 1001, &size);
        r = read_ods_bytes(data, size, &w, &d);
        expect_refused(r, &d, "abnormal archive: more than 1000 entries in the workbook",
                       "archive anormale : le classeur contient plus de 1 000 fichiers internes");
        diagnostics_clear(&d);
        free(e);
}

Test(workbook_hostile, damaged_zip) {
        _cleanup_(freep) char *content = ods_content(NULL, "<table:table table:name=\"Bilan\"><table:table-row>"
                                                           "<table:table-cell office:value-type=\"string\"><text:p>"
                                                           "une valeur assez longue</text:p></table:table-cell>"
                                                           "</table:table-row></table:table>");
        size_t size;
        uint8_t *good = build_ods(content, true, &size);
        static const struct {
                const char *label;
                size_t cut;      /* keep that many bytes (0: all) */
                bool flip;       /* change one byte of content.xml's text */
                const char *fr;
        } cases[] = {
                { "empty", SIZE_MAX, false, "(" },
                { "cut in the middle", 1, false, "(" },
                { "cut before the end", 2, false, "(" },
                { "one byte changed", 0, true, "content.xml : somme de contrôle fausse" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                Workbook *w = NULL;
                Diagnostics d = DIAGNOSTICS_INIT;
                uint8_t *data = malloc(size);
                size_t n = size;
                int r;

                cr_assert_not_null(data);
                memcpy(data, good, size);
                if (cases[i].cut == SIZE_MAX)
                        n = 0;
                else if (cases[i].cut == 1)
                        n = size / 2;
                else if (cases[i].cut == 2)
                        n = size - 10;
                if (cases[i].flip) {
                        uint8_t *p = memmem(data, size, "assez longue", 12);
                        cr_assert_not_null(p);
                        p[0] = 'A';
                }
                cr_log_info("%s", cases[i].label);
                r = read_ods_bytes(data, n, &w, &d);
                expect_refused(r, &d, "the workbook is damaged or incomplete", "le classeur est abîmé ou incomplet");
                expect_refused(r, &d, "", cases[i].fr);
                diagnostics_clear(&d);
        }
        free(good);
}

Test(workbook_hostile, ods_parts) {
        static const struct {
                const char *label;
                const char *content; /* NULL: no content.xml */
                const char *fr;
        } cases[] = {
                { "no content.xml", NULL, "(content.xml manquant)" },
                { "not XML", "PK\x03\x04 binary", "(content.xml, ligne 1 :" },
                { "unclosed", "<?xml version=\"1.0\"?><office:document-content " ODS_NS "><office:body>",
                  "(content.xml, ligne 1 :" },
                { "in a table", "<?xml version=\"1.0\"?>\n<office:document-content " ODS_NS "><office:body>"
                  "<office:spreadsheet><table:table table:name=\"A\"><table:table-row><table:table-cell>\n\n<text:p>x"
                  "</table:table-cell></table:table-row></table:table></office:spreadsheet></office:body>"
                  "</office:document-content>", "(content.xml, ligne 4 :" },
                { "undeclared entity", "<?xml version=\"1.0\"?><x>&nbsp;</x>", "(content.xml, ligne 1 :" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                Workbook *w = NULL;
                Diagnostics d = DIAGNOSTICS_INIT;
                ZipFixtureEntry e[] = {
                        { .name = "mimetype", .text = ODS_MIMETYPE, .store = true },
                        { .name = cases[i].content ? "content.xml" : "styles.xml",
                          .text = cases[i].content ? cases[i].content : "<x/>" },
                };
                int r = read_zip(e, ELEMENTSOF(e), WORKBOOK_ODS, &w, &d);

                cr_log_info("%s", cases[i].label);
                expect_refused(r, &d, "the workbook is damaged or incomplete", cases[i].fr);
                cr_expect_null(w);
                diagnostics_clear(&d);
        }
}

Test(workbook_hostile, xlsx_doctype) {
        _cleanup_(workbook_freep) Workbook *w = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        XlsxFixture f = {
                .sheets = { { .name = "Bilan" } },
                .shared_strings = "<si><t>a</t></si>",
        };
        ZipFixtureEntry styles = {
                .name = "xl/styles.xml",
                .text = "<?xml version=\"1.0\"?>\n<!DOCTYPE styleSheet [<!ENTITY x \"y\">]><styleSheet/>",
        };
        int r;

        f.extra = styles;
        r = read_xlsx(&f, &w, &d);
        expect_refused(r, &d, "DTD declaration (xl/styles.xml)", "le classeur contient une déclaration DTD (xl/styles.xml)");
        diagnostics_clear(&d);
}

Test(workbook_hostile, sheet_name_in_messages) {
        _cleanup_(workbook_freep) Workbook *w = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        static const char tables[] =
                "<table:table table:name=\"Ré&#10;al&#133;x\"><table:table-row><table:table-cell "
                "table:number-columns-repeated=\"1024\"/><table:table-cell office:value-type=\"string\">"
                "<text:p>x</text:p></table:table-cell></table:table-row></table:table>";
        int r;

        r = read_ods(NULL, tables, &w, &d);
        expect_refused(r, &d, "sheet Ré?al?x has a cell", "de la feuille Ré?al?x a une cellule");
        diagnostics_clear(&d);
}

/* ---- files written by the real applications (tests/data/workbooks/make-workbooks.py) ---- */

static Workbook *read_real(const char *name, WorkbookFormat format) {
        _cleanup_(freep) char *path = NULL, *data = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        Workbook *w = NULL;
        size_t size;

        cr_assert_geq(asprintf(&path, "tests/data/workbooks/%s", name), 0);
        data = test_read_file(path, &size);
        cr_assert_not_null(data, "%s", path);
        expect_ok(workbook_read(name, data, size, format, &w, &d), &d);
        return w;
}

/* The same workbook written by openpyxl, then saved by LibreOffice in its
 * two formats, reads the same (a formula only has a value once LibreOffice
 * computed it). */
Test(workbook_real, openpyxl_and_libreoffice) {
        static const struct {
                const char *file;
                WorkbookFormat format;
                bool computed;
        } files[] = {
                { "openpyxl.xlsx", WORKBOOK_XLSX, false },
                { "libreoffice.xlsx", WORKBOOK_XLSX, true },
                { "libreoffice.ods", WORKBOOK_ODS, true },
        };

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_(workbook_freep) Workbook *w = read_real(files[i].file, files[i].format);
                const Sheet *s;

                cr_log_info("%s", files[i].file);
                cr_assert_eq(w->n_sheets, 4, "%s", files[i].file);
                cr_expect(!w->has_macros);
                cr_expect_str_eq(w->sheets[0].name, "Mode d'emploi");
                cr_expect(w->sheets[3].hidden, "%s: Listes is hidden", files[i].file);

                s = workbook_find_sheet(w, "Bilan");
                cr_assert_not_null(s);
                expect_cell(s, "B1", CELL_TEXT, "cma-exemple-2026");
                expect_date(s, "B2", 2026, 12, 10);
                expect_cell(s, "B3", CELL_TEXT, "Claire Martin");
                expect_cell(s, "A5", CELL_TEXT, "Une année riche :\nquatre ateliers.");
                expect_empty(s, "B5"); /* merged A5:D5 */

                s = workbook_find_sheet(w, "Réalisations");
                cr_assert_not_null(s);
                expect_cell(s, "B1", CELL_TEXT, "Référence");
                expect_cell(s, "B2", CELL_NUMBER, "13002602400013");
                expect_date(s, "E2", 2026, 3, 14);
                expect_cell(s, "B3", CELL_TEXT, "130 026 024 00013");
                expect_cell(s, "E3", CELL_TEXT, "14/03/2026");
                expect_cell(s, "B4", CELL_TEXT, "2026-05-20");
                expect_date(s, "E4", 2026, 5, 20); /* 9:30 dropped */
                expect_cell(s, "F4", CELL_NUMBER, "12");
                if (files[i].computed)
                        expect_cell(s, "G4", CELL_NUMBER, "24");
                else
                        expect_empty(s, "G4");
                cr_expect(sheet_row_is_hidden(s, 4));
                cr_expect(!sheet_row_is_hidden(s, 3));
                expect_cell(s, "B5", CELL_TEXT, "caché");
        }
}

Test(workbook_real, odfpy) {
        _cleanup_(workbook_freep) Workbook *w = read_real("odfpy.ods", WORKBOOK_ODS);
        const Sheet *s = workbook_find_sheet(w, "realisations");

        cr_assert_not_null(s);
        expect_cell(s, "B2", CELL_NUMBER, "13002602400013");
        expect_date(s, "C2", 2026, 3, 14);
        expect_cell(s, "D2", CELL_NUMBER, "12");
}

static void read_bad_encoding(void *userdata) {
        Diagnostics *d = userdata;
        Workbook *w = NULL;
        /* Declared Latin-1, then a UTF-16 declaration that the bytes contradict. */
        static const char content[] = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><office:document-content/>";
        static const char content2[] = "<?xml version=\"1.0\" encoding=\"ISO-2022-JP\"?>\n<x>\xc3\xa9\x1b$B\xff</x>";

        cr_expect_eq(read_ods_content(content, NULL, &w, d), -EINVAL);
        cr_expect_eq(read_ods_content(content2, NULL, &w, d), -EINVAL);
}

/* libxml2 prints encoding errors through its global handler: never while
 * a workbook is read (a pure module logs nothing), and the caller's
 * handler is back afterwards. */
Test(workbook_hostile, nothing_printed) {
        Diagnostics d = DIAGNOSTICS_INIT;
        xmlGenericErrorFunc before = xmlGenericError;
        _cleanup_(freep) char *printed = scratch_stderr_of(read_bad_encoding, &d);

        cr_expect_str_eq(printed, "");
        cr_expect_eq(d.n_errors, 2);
        cr_expect(strstr(d.items[1].message_fr, "(content.xml : XML illisible)"), "%s", d.items[1].message_fr);
        cr_expect(xmlGenericError == before);
        diagnostics_clear(&d);
}

Test(workbook_xlsx, shared_string_too_long) {
        _cleanup_(workbook_freep) Workbook *w = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        size_t n = WORKBOOK_CELL_TEXT_MAX + 1;
        _cleanup_(freep) char *sst = malloc(n + 32);
        XlsxFixture f = { .sheets = { { .name = "Bilan" } } };
        int r;

        cr_assert_not_null(sst);
        strcpy(sst, "<si><t>");
        for (size_t i = 0, seed = 1; i < n; i++) { /* not one letter: that would be a bomb */
                seed = seed * 1103515245u + 12345u;
                sst[7 + i] = (char) ('a' + (seed >> 16) % 26);
        }
        strcpy(sst + 7 + n, "</t></si>");
        f.shared_strings = sst;
        r = read_xlsx(&f, &w, &d);
        expect_refused(r, &d, "xl/sharedStrings.xml: a text longer than 1 MiB",
                       "(xl/sharedStrings.xml : un texte de plus de 1 Mio)");
        diagnostics_clear(&d);
}

/* 50 000 number formats and 50 000 cell styles: read in linear time (a
 * quadratic lookup took minutes). */
Test(workbook_xlsx, many_styles) {
        _cleanup_(workbook_freep) Workbook *w = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        size_t n = 50000, size = n * 96 + 256, len;
        _cleanup_(freep) char *styles = malloc(size);
        XlsxFixture f = {
                .sheets = { { .name = "Bilan", .data = "<row r=\"1\"><c r=\"A1\" s=\"49999\"><v>46095</v></c>"
                                                       "<c r=\"B1\" s=\"49998\"><v>46095</v></c></row>" } },
        };
        struct timespec t0;

        cr_assert_not_null(styles);
        len = (size_t) snprintf(styles, size, "<?xml version=\"1.0\"?>\n<styleSheet xmlns=\"" XLSX_MAIN "\"><numFmts>");
        for (size_t i = 0; i < n; i++)
                len += (size_t) snprintf(styles + len, size - len, "<numFmt numFmtId=\"%zu\" formatCode=\"%s\"/>",
                                         164 + i, i % 2 ? "dd/mm/yyyy" : "0.00");
        len += (size_t) snprintf(styles + len, size - len, "</numFmts><cellXfs>");
        for (size_t i = 0; i < n; i++)
                len += (size_t) snprintf(styles + len, size - len, "<xf numFmtId=\"%zu\"/>", 164 + i);
        snprintf(styles + len, size - len, "</cellXfs></styleSheet>");
        f.extra = (ZipFixtureEntry) { .name = "xl/styles.xml", .text = styles, .store = true };

        clock_gettime(CLOCK_MONOTONIC, &t0);
        expect_ok(read_xlsx(&f, &w, &d), &d);
        cr_expect_lt(ms_since(&t0), 3000, "%" PRId64 " ms", ms_since(&t0));
        expect_date(&w->sheets[0], "A1", 2026, 3, 14);
        expect_cell(&w->sheets[0], "B1", CELL_NUMBER, "46095");
}

/* text:s is the one way a few bytes of XML make much text: bounded for
 * the whole document, also in cells whose text is not kept, and before a
 * repeated cell is copied. */
Test(workbook_ods, spaces_limit) {
        _cleanup_(workbook_freep) Workbook *w = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        static const char repeated[] =
                "<table:table table:name=\"Bilan\"><table:table-row><table:table-cell "
                "table:number-columns-repeated=\"1000\" office:value-type=\"string\"><text:p><text:s "
                "text:c=\"1000000\"/>x</text:p></table:table-cell></table:table-row></table:table>";
        size_t n = 2000, size = n * 160 + 200, len = 0;
        _cleanup_(freep) char *numbers = malloc(size);
        struct timespec t0;
        int r;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        r = read_ods(NULL, repeated, &w, &d);
        expect_refused(r, &d, "more than 64 MiB of text", "plus de 64 Mio de texte");
        diagnostics_clear(&d);

        cr_assert_not_null(numbers);
        len += (size_t) snprintf(numbers, size, "<table:table table:name=\"Bilan\">");
        for (size_t i = 0; i < n; i++)
                len += (size_t) snprintf(numbers + len, size - len,
                                         "<table:table-row><table:table-cell office:value-type=\"float\" "
                                         "office:value=\"1\"><text:p><text:s text:c=\"1000000\"/></text:p>"
                                         "</table:table-cell></table:table-row>");
        snprintf(numbers + len, size - len, "</table:table>");
        r = read_ods(NULL, numbers, &w, &d);
        expect_refused(r, &d, "more than 64 MiB of text", "plus de 64 Mio de texte");
        diagnostics_clear(&d);
        cr_expect_lt(ms_since(&t0), 3000, "%" PRId64 " ms", ms_since(&t0));
}

Test(workbook, long_sheet_name) {
        _cleanup_(workbook_freep) Workbook *w = NULL;
        _cleanup_(freep) char *tables = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        char name[2048];

        /* "a" then 1000 "é": byte 1024 falls inside an "é". */
        name[0] = 'a';
        for (size_t i = 0; i < 1000; i++)
                memcpy(name + 1 + 2 * i, "é", 2);
        name[2001] = 0;
        cr_assert_geq(asprintf(&tables, "<table:table table:name=\"%s\"/>", name), 0);
        expect_ok(read_ods(NULL, tables, &w, &d), &d);
        cr_expect_eq(strlen(w->sheets[0].name), 1023);
        cr_expect_eq(utf8_validate(w->sheets[0].name, strlen(w->sheets[0].name), NULL), 0);
}

/* Excel's "Strict Open XML" namespaces, prefixed elements, a chart sheet
 * (no cells) and part names in another case. */
Test(workbook_xlsx, strict_and_chartsheet) {
        _cleanup_(workbook_freep) Workbook *w = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
#define STRICT_MAIN "http://purl.oclc.org/ooxml/spreadsheetml/main"
#define STRICT_RELS "http://purl.oclc.org/ooxml/officeDocument/relationships"
        ZipFixtureEntry e[] = {
                { .name = "[Content_Types].xml",
                  .text = "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>" },
                { .name = "xl/workbook.xml",
                  .text = "<?xml version=\"1.0\"?><x:workbook xmlns:x=\"" STRICT_MAIN "\" xmlns:rel=\"" STRICT_RELS "\">"
                          "<x:workbookPr date1904=\"1\"/><x:sheets><x:sheet name=\"Graphique\" sheetId=\"1\" rel:id=\"rId1\"/>"
                          "<x:sheet name=\"Réalisations\" sheetId=\"2\" state=\"veryHidden\" rel:id=\"rId2\"/></x:sheets></x:workbook>" },
                { .name = "xl/_rels/workbook.xml.rels",
                  .text = "<?xml version=\"1.0\"?><Relationships xmlns=\"" XLSX_PKG_RELS "\">"
                          "<Relationship Id=\"rId1\" Type=\"" STRICT_RELS "/chartsheet\" Target=\"chartsheets/sheet1.xml\"/>"
                          "<Relationship Id=\"rId2\" Type=\"" STRICT_RELS "/worksheet\" Target=\"worksheets/Sheet2.xml\"/>"
                          "<Relationship Id=\"rId3\" Type=\"" STRICT_RELS "/sharedStrings\" Target=\"sharedStrings.xml\"/>"
                          "<Relationship Id=\"rId4\" Type=\"" STRICT_RELS "/hyperlink\" Target=\"http://127.0.0.1/\" "
                          "TargetMode=\"External\"/></Relationships>" },
                { .name = "xl/chartsheets/sheet1.xml", .text = "<chartsheet/>" },
                { .name = "XL/Worksheets/sheet2.xml",
                  .text = "<?xml version=\"1.0\"?><x:worksheet xmlns:x=\"" STRICT_MAIN "\"><x:sheetData><x:row r=\"1\">"
                          "<x:c r=\"A1\" t=\"s\"><x:v>0</x:v></x:c><x:c r=\"B1\"><x:v>42</x:v></x:c></x:row></x:sheetData>"
                          "</x:worksheet>" },
                { .name = "xl/sharedStrings.xml",
                  .text = "<?xml version=\"1.0\"?><sst xmlns=\"" STRICT_MAIN "\"><si><t>strict</t></si></sst>" },
        };

        expect_ok(read_zip(e, ELEMENTSOF(e), WORKBOOK_XLSX, &w, &d), &d);
        cr_assert_eq(w->n_sheets, 2);
        cr_expect_str_eq(w->sheets[0].name, "Graphique");
        cr_expect_eq(w->sheets[0].n_cells, 0);
        cr_expect(w->sheets[1].hidden);
        expect_cell(&w->sheets[1], "A1", CELL_TEXT, "strict");
        expect_cell(&w->sheets[1], "B1", CELL_NUMBER, "42");
}

/* A ZIP64 end record claiming 100 000 entries: refused before libzip
 * builds a table of them. */
Test(workbook_hostile, zip64_entries) {
        _cleanup_(workbook_freep) Workbook *w = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        uint8_t *zip = calloc(1, 56 + 20 + 22);
        int r;

        cr_assert_not_null(zip);
        memcpy(zip, "PK\6\6", 4);            /* ZIP64 end of central directory, at 0 */
        zip[4] = 44;                          /* its size */
        zip[24] = zip[32] = 0xA0, zip[25] = zip[33] = 0x86, zip[26] = zip[34] = 0x01; /* 100 000 */
        memcpy(zip + 56, "PK\6\7", 4);       /* its locator: offset 0 */
        zip[56 + 16] = 1;                     /* disks */
        memcpy(zip + 76, "PK\5\6", 4);       /* end of central directory */
        zip[76 + 8] = zip[76 + 9] = zip[76 + 10] = zip[76 + 11] = 0xFF;
        memset(zip + 76 + 12, 0xFF, 8);
        r = read_ods_bytes(zip, 56 + 20 + 22, &w, &d);
        expect_refused(r, &d, "more than 1000 entries", "plus de 1 000 fichiers internes");
        diagnostics_clear(&d);
}

/* The templates of `chorusctl template` (writers/bilan_template.c), read
 * back in both formats: the layout bilan_sheet.c expects. */
Test(workbook_real, templates) {
        _cleanup_(freep) char *json = NULL;
        _cleanup_(convention_freep) Convention *c = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        size_t size;

        cr_assert_eq(read_file_bounded("config/conventions.d/cdcmc-2026.json", 1 << 20, &json, &size), 0);
        cr_assert_eq(convention_parse("seed", json, size, &c, &d), 0);
        for (WorkbookFormat f = 0; f < _WORKBOOK_FORMAT_MAX; f++) {
                TemplateInfo info = { .author = "CMA Hérault", .today = { 2026, 12, 10 } };
                _cleanup_(workbook_freep) Workbook *w = NULL;
                _cleanup_(freep) char *data = NULL;
                const Sheet *s;

                cr_assert_eq(bilan_template_write(c, &info, f, &data, &size), 0);
                expect_ok(workbook_read("modele", data, size, f, &w, &d), &d);
                cr_assert_eq(w->n_sheets, 4);
                cr_expect(!w->has_macros);
                cr_expect(w->sheets[3].hidden, "the Listes sheet is hidden");
                s = workbook_find_sheet(w, "bilan");
                cr_assert_not_null(s);
                expect_cell(s, "A1", CELL_TEXT, "Convention");
                expect_cell(s, "B1", CELL_TEXT, "CDCMC-2026");
                expect_date(s, "B4", 2026, 12, 10); /* =TODAY(), cached */
                expect_cell(s, "B5", CELL_TEXT, "CMA Hérault");
                s = workbook_find_sheet(w, "realisations");
                cr_assert_not_null(s);
                expect_cell(s, "A1", CELL_TEXT, "Action");
                expect_cell(s, "B1", CELL_TEXT, "Référence");
                expect_cell(s, "G1", CELL_TEXT, "Note");
                cr_expect_eq(s->n_cells, 7, "unfilled: only the header (%zu cells)", s->n_cells);
        }
}
