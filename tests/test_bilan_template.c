/* test_bilan_template.c — the ready-to-fill workbook (bilan_template.h):
 * both formats are ZIPs with the expected entries in the expected order
 * (read back with libzip), the ODS mimetype first and stored, every XML
 * entry well-formed (libxml2), the same bytes for the same input, texts from
 * the convention escaped (a label with <&>, quotes and commas survives as
 * one list item), the sheets and validation lists where the reader and the
 * staff expect them. */
#include <criterion/criterion.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <string.h>
#include <zip.h>

#include "base/fileio.h"
#include "json_mutate.h"
#include "core/convention.h"
#include "writers/bilan_template.h"

#define SEED "config/conventions.d/cdcmc-2026.json"
#define HOSTILE_LABEL "Accès <plateforme> & \"outils\", l'annuel, Géométiers"
#define HOSTILE_KIND "label-eco-defis"

static const Date today = { 2026, 12, 10 };

/* The seed, with `from` replaced by `to` (once). */
static Convention *seed_with(const char *from, const char *to) {
        _cleanup_(freep) char *json = NULL, *edited = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        Convention *c = NULL;
        size_t size;
        char *at;

        cr_assert_eq(read_file_bounded(SEED, 1 << 20, &json, &size), 0);
        if (from) {
                at = strstr(json, from);
                cr_assert(at, "'%s' not in the seed", from);
                cr_assert(asprintf(&edited, "%.*s%s%s", (int) (at - json), json, to, at + strlen(from)) > 0);
        }
        if (convention_parse("seed", edited ? edited : json, strlen(edited ? edited : json), &c, &d) < 0)
                diag_dump(&d);
        cr_assert(c, "the convention does not parse");
        diagnostics_clear(&d);
        return c;
}

static Convention *hostile_convention(void) {
        return seed_with("\"Accès annuel à la plateforme Géométiers Occitanie\"",
                         "\"Accès <plateforme> & \\\"outils\\\", l'annuel, Géométiers\"");
}

typedef struct Made {
        char *data;
        size_t size;
} Made;

static Made make(const Convention *c, WorkbookFormat f, Date d) {
        TemplateInfo info = { .author = "CMA <Hérault> & \"Co\"", .today = d };
        Made m = {};

        cr_assert_eq(bilan_template_write(c, &info, f, &m.data, &m.size), 0);
        cr_assert_gt(m.size, 0);
        return m;
}

static zip_t *open_zip(const Made *m) {
        zip_error_t e;
        zip_source_t *s;
        zip_t *z;

        zip_error_init(&e);
        s = zip_source_buffer_create(m->data, m->size, 0, &e);
        cr_assert(s);
        z = zip_open_from_source(s, ZIP_CHECKCONS | ZIP_RDONLY, &e);
        cr_assert(z, "not a valid ZIP: %s", zip_error_strerror(&e));
        zip_error_fini(&e);
        return z;
}

/* The whole entry, NUL-terminated. */
static char *read_entry(zip_t *z, const char *name, size_t *ret_size) {
        zip_stat_t st;
        zip_file_t *f;
        char *buf;

        cr_assert_eq(zip_stat(z, name, 0, &st), 0, "no entry '%s'", name);
        buf = malloc(st.size + 1);
        cr_assert(buf);
        f = zip_fopen(z, name, 0);
        cr_assert(f);
        cr_assert_eq(zip_fread(f, buf, st.size), (zip_int64_t) st.size);
        zip_fclose(f);
        buf[st.size] = 0;
        if (ret_size)
                *ret_size = st.size;
        return buf;
}

static void expect_entries(zip_t *z, const char *const *names, size_t n) {
        cr_assert_eq(zip_get_num_entries(z, 0), (zip_int64_t) n);
        for (size_t i = 0; i < n; i++)
                cr_expect_str_eq(zip_get_name(z, i, 0), names[i], "entry %zu", i);
}

static xmlDoc *parse_entry(zip_t *z, const char *name) {
        _cleanup_(freep) char *text = NULL;
        size_t size;
        xmlDoc *doc;

        text = read_entry(z, name, &size);
        doc = xmlReadMemory(text, (int) size, name, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        cr_assert(doc, "%s is not well-formed XML", name);
        return doc;
}

/* libxml2 takes xmlChar *; BAD_CAST would drop const. */
#define XC(s) ((const xmlChar *) (s))

static xmlXPathObject *eval(xmlDoc *doc, const char *xpath) {
        xmlXPathContext *ctx = xmlXPathNewContext(doc);
        xmlXPathObject *o;

        cr_assert(ctx);
        xmlXPathRegisterNs(ctx, XC("office"), XC("urn:oasis:names:tc:opendocument:xmlns:office:1.0"));
        xmlXPathRegisterNs(ctx, XC("style"), XC("urn:oasis:names:tc:opendocument:xmlns:style:1.0"));
        xmlXPathRegisterNs(ctx, XC("table"), XC("urn:oasis:names:tc:opendocument:xmlns:table:1.0"));
        xmlXPathRegisterNs(ctx, XC("text"), XC("urn:oasis:names:tc:opendocument:xmlns:text:1.0"));
        xmlXPathRegisterNs(ctx, XC("s"), XC("http://schemas.openxmlformats.org/spreadsheetml/2006/main"));
        o = xmlXPathEvalExpression(XC(xpath), ctx);
        cr_assert(o, "bad xpath %s", xpath);
        xmlXPathFreeContext(ctx);
        return o;
}

/* How many nodes `xpath` selects, with the ODF and OOXML prefixes. */
static int count(xmlDoc *doc, const char *xpath) {
        xmlXPathObject *o = eval(doc, xpath);
        int n = o->nodesetval ? o->nodesetval->nodeNr : 0;

        xmlXPathFreeObject(o);
        return n;
}

/* The text of the one node `xpath` selects. */
static char *text_of(xmlDoc *doc, const char *xpath) {
        xmlXPathObject *o = eval(doc, xpath);
        xmlChar *s;
        char *copy;

        cr_assert(o->nodesetval && o->nodesetval->nodeNr == 1, "%s: expected one node", xpath);
        s = xmlNodeGetContent(o->nodesetval->nodeTab[0]);
        copy = strdup(s ? (const char *) s : "");
        xmlFree(s);
        xmlXPathFreeObject(o);
        return copy;
}

static const char *const ods_entries[] = {
        "mimetype", "META-INF/manifest.xml", "content.xml", "styles.xml", "meta.xml", "settings.xml",
};
static const char *const xlsx_entries[] = {
        "[Content_Types].xml",        "_rels/.rels",          "docProps/core.xml",
        "docProps/app.xml",           "xl/workbook.xml",      "xl/_rels/workbook.xml.rels",
        "xl/styles.xml",              "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml",
        "xl/worksheets/sheet3.xml",   "xl/worksheets/sheet4.xml", "xl/sharedStrings.xml",
};

Test(bilan_template, ods_entries_and_signature) {
        _cleanup_(convention_freep) Convention *c = seed_with(NULL, NULL);
        Made m = make(c, WORKBOOK_ODS, today);
        _cleanup_(freep) char *mimetype = NULL;
        zip_t *z = open_zip(&m);
        zip_stat_t st;

        expect_entries(z, ods_entries, ELEMENTSOF(ods_entries));
        cr_assert_eq(zip_stat_index(z, 0, 0, &st), 0);
        cr_expect_eq(st.comp_method, ZIP_CM_STORE, "mimetype must be stored");
        mimetype = read_entry(z, "mimetype", NULL);
        cr_expect_str_eq(mimetype, "application/vnd.oasis.opendocument.spreadsheet");
        /* The signature file(1) and chorusd's sniffing read: the first local
         * header's name, then the type, with no extra field between. */
        cr_expect_eq(memcmp(m.data + 30, "mimetypeapplication/vnd.oasis.opendocument.spreadsheet", 54), 0);
        for (size_t i = 1; i < ELEMENTSOF(ods_entries); i++)
                xmlFreeDoc(parse_entry(z, ods_entries[i]));
        zip_close(z);
        free(m.data);
}

Test(bilan_template, xlsx_entries_well_formed) {
        _cleanup_(convention_freep) Convention *c = seed_with(NULL, NULL);
        Made m = make(c, WORKBOOK_XLSX, today);
        zip_t *z = open_zip(&m);

        expect_entries(z, xlsx_entries, ELEMENTSOF(xlsx_entries));
        for (size_t i = 0; i < ELEMENTSOF(xlsx_entries); i++)
                xmlFreeDoc(parse_entry(z, xlsx_entries[i]));
        zip_close(z);
        free(m.data);
}

Test(bilan_template, reproducible) {
        _cleanup_(convention_freep) Convention *c = seed_with(NULL, NULL);

        for (WorkbookFormat f = 0; f < _WORKBOOK_FORMAT_MAX; f++) {
                Made a = make(c, f, today), b = make(c, f, today), other = make(c, f, (Date) { 2026, 12, 11 });

                cr_expect(a.size == b.size && memcmp(a.data, b.data, a.size) == 0,
                          "format %d: two runs differ", (int) f);
                cr_expect(a.size != other.size || memcmp(a.data, other.data, a.size) != 0,
                          "format %d: the date is not in the file", (int) f);
                free(a.data);
                free(b.data);
                free(other.data);
        }
}

Test(bilan_template, unknown_format) {
        _cleanup_(convention_freep) Convention *c = seed_with(NULL, NULL);
        TemplateInfo info = { .today = today };
        char *data = NULL;
        size_t size;

        cr_expect_eq(bilan_template_write(c, &info, _WORKBOOK_FORMAT_MAX, &data, &size), -EINVAL);
        cr_expect_null(data);
}

/* The sheets, in order, Listes hidden; the Bilan labels and values; the
 * header row; the validations and their lists; the hostile label escaped
 * and whole. */
Test(bilan_template, ods_content) {
        _cleanup_(convention_freep) Convention *c = hostile_convention();
        Made m = make(c, WORKBOOK_ODS, today);
        zip_t *z = open_zip(&m);
        xmlDoc *doc = parse_entry(z, "content.xml");
        _cleanup_(freep) char *raw = read_entry(z, "content.xml", NULL);

#define T "/office:document-content/office:body/office:spreadsheet/table:table"
        cr_expect_eq(count(doc, T), 4);
        cr_expect_eq(count(doc, T "[1][@table:name=\"Mode d'emploi\"]"), 1);
        cr_expect_eq(count(doc, T "[2][@table:name='Bilan']"), 1);
        cr_expect_eq(count(doc, T "[3][@table:name='Réalisations']"), 1);
        cr_expect_eq(count(doc, T "[4][@table:name='Listes'][@table:style-name='ta_hidden']"), 1);
        cr_expect_eq(count(doc, "//style:style[@style:name='ta_hidden']/style:table-properties[@table:display='false']"),
                     1);
        /* Bilan: labels in A, values in B. */
        cr_expect_eq(count(doc, T "[2]/table:table-row[1]/table:table-cell[1]/text:p[.='Convention']"), 1);
        cr_expect_eq(count(doc, T "[2]/table:table-row[1]/table:table-cell[2]/text:p[.='CDCMC-2026']"), 1);
        cr_expect_eq(count(doc, T "[2]/table:table-row[4]/table:table-cell[1]/text:p[.='Date du bilan']"), 1);
        cr_expect_eq(count(doc, T "[2]/table:table-row[4]/table:table-cell[2][@table:formula='of:=TODAY()']"
                                "[@office:value-type='date'][@office:date-value='2026-12-10']"),
                     1);
        cr_expect_eq(count(doc, T "[2]/table:table-row[5]/table:table-cell[2]/text:p[.='CMA <Hérault> & \"Co\"']"), 1);
        cr_expect_eq(count(doc, T "[2]/table:table-row[6]/table:table-cell[1]/text:p[.='Partie qualitative']"), 1);
        cr_expect_eq(count(doc, T "[2]/table:table-row[6]/table:table-cell[2]/text:p"), 0, "qualitative is empty");
        cr_expect_eq(count(doc, T "[2]/table:table-row[7]/table:table-cell/text:p"), 0, "nothing under the label");
        /* Réalisations: the header, then the rows to fill. */
        cr_expect_eq(count(doc, T "[3]/table:table-row[1]/table:table-cell/text:p"), 7);
        cr_expect_eq(count(doc, T "[3]/table:table-row[1]/table:table-cell[2]/text:p[.='Référence']"), 1);
        cr_expect_eq(count(doc, T "[3]/table:table-row[2][@table:number-rows-repeated='500']"
                                "/table:table-cell[1][@table:content-validation-name='val_action']"),
                     1);
        cr_expect_eq(count(doc, "//table:content-validation[@table:name='val_action']"
                                "[@table:condition='of:cell-content-is-in-list([$Listes.$A$1:.$A$3])']"),
                     1);
        cr_expect_eq(count(doc, "//table:content-validation[@table:name='val_type']"
                                "[@table:condition='of:cell-content-is-in-list([$Listes.$B$1:.$B$8])']"),
                     1);
        cr_expect_eq(count(doc, "//table:content-validation[@table:name='val_date'][contains(@table:condition,"
                                "'cell-content-is-between(46023,46387)')]"),
                     1);
        /* Listes: the hostile label is one cell, as written. */
        {
                _cleanup_(freep) char *first = text_of(doc, T "[4]/table:table-row[1]/table:table-cell[1]/text:p");
                cr_expect_str_eq(first, HOSTILE_LABEL);
        }
        cr_expect_eq(count(doc, T "[4]/table:table-row/table:table-cell[1]/text:p"), 3);
        cr_expect_eq(count(doc, T "[4]/table:table-row[1]/table:table-cell[2]/text:p[.='" HOSTILE_KIND "']"), 1);
        cr_expect(strstr(raw, "Accès &lt;plateforme&gt; &amp; &quot;outils&quot;, l&apos;annuel, Géométiers"),
                  "the label is escaped");
#undef T
        xmlFreeDoc(doc);
        zip_close(z);
        free(m.data);
}

/* The text of every shared string, in order. */
static bool shared_string_is(xmlDoc *doc, const char *text) {
        xmlNode *root = xmlDocGetRootElement(doc);

        for (xmlNode *si = root->children; si; si = si->next) {
                xmlChar *s = xmlNodeGetContent(si);
                bool equal = s && streq((const char *) s, text);

                xmlFree(s);
                if (equal)
                        return true;
        }
        return false;
}

Test(bilan_template, xlsx_content) {
        _cleanup_(convention_freep) Convention *c = hostile_convention();
        Made m = make(c, WORKBOOK_XLSX, today);
        zip_t *z = open_zip(&m);
        xmlDoc *wb = parse_entry(z, "xl/workbook.xml"), *sst = parse_entry(z, "xl/sharedStrings.xml");
        xmlDoc *bilan = parse_entry(z, "xl/worksheets/sheet2.xml"), *real = parse_entry(z, "xl/worksheets/sheet3.xml");
        xmlDoc *styles = parse_entry(z, "xl/styles.xml");

        cr_expect_eq(count(wb, "/s:workbook/s:sheets/s:sheet"), 4);
        cr_expect_eq(count(wb, "/s:workbook/s:sheets/s:sheet[1][@name=\"Mode d'emploi\"]"), 1);
        cr_expect_eq(count(wb, "/s:workbook/s:sheets/s:sheet[2][@name='Bilan']"), 1);
        cr_expect_eq(count(wb, "/s:workbook/s:sheets/s:sheet[3][@name='Réalisations']"), 1);
        cr_expect_eq(count(wb, "/s:workbook/s:sheets/s:sheet[4][@name='Listes'][@state='hidden']"), 1);
        cr_expect_eq(count(wb, "//s:workbookPr[@date1904]"), 0, "1900 date system");

        cr_expect(shared_string_is(sst, HOSTILE_LABEL));
        cr_expect(shared_string_is(sst, "CMA <Hérault> & \"Co\""));
        cr_expect(shared_string_is(sst, "Partie qualitative"));

        /* Date du bilan: =TODAY() cached as 2026-12-10 (serial 46366), a date format. */
        cr_expect_eq(count(bilan, "//s:c[@r='B4'][s:f='TODAY()'][s:v='46366'][@s='5']"), 1);
        cr_expect_eq(count(styles, "/s:styleSheet/s:cellXfs/s:xf[6][@numFmtId='164']"), 1);
        cr_expect_eq(count(styles, "//s:numFmt[@numFmtId='164'][@formatCode='dd/mm/yyyy']"), 1);
        cr_expect_eq(count(styles, "/s:styleSheet/s:cellXfs/s:xf[7][@numFmtId='49']"), 1, "text '@'");
        cr_expect_eq(count(bilan, "//s:c[@r='B6'][not(s:v)]"), 1, "qualitative is empty");
        cr_expect_eq(count(bilan, "//s:row[@r='7']"), 0, "nothing under the label");

        /* Réalisations: header in row 1, columns formatted, validations. */
        cr_expect_eq(count(real, "//s:row[@r='1']/s:c[@t='s']"), 7);
        cr_expect_eq(count(real, "//s:col[@min='2'][@style='6']"), 1, "Référence as text");
        cr_expect_eq(count(real, "//s:col[@min='5'][@style='5']"), 1, "Date as a date");
        cr_expect_eq(count(real, "//s:pane[@state='frozen'][@ySplit='1']"), 1);
        cr_expect_eq(count(real, "//s:dataValidation[@type='list'][@sqref='A2:A501']"
                                 "[s:formula1='Listes!$A$1:$A$3']"),
                     1);
        cr_expect_eq(count(real, "//s:dataValidation[@type='list'][@sqref='D2:D501']"
                                 "[s:formula1='Listes!$B$1:$B$8']"),
                     1);
        cr_expect_eq(count(real, "//s:dataValidation[@type='date'][@sqref='E2:E501']"
                                 "[s:formula1='46023'][s:formula2='46387']"),
                     1);
        cr_expect_eq(count(real, "//s:dataValidation[@type='whole'][@sqref='F2:F501']"), 1);

        xmlFreeDoc(wb);
        xmlFreeDoc(sst);
        xmlFreeDoc(bilan);
        xmlFreeDoc(real);
        xmlFreeDoc(styles);
        zip_close(z);
        free(m.data);
}

/* A convention whose actions have no kinds: no Type list at all. */
Test(bilan_template, no_kinds_no_type_list) {
        _cleanup_(convention_freep) Convention *c = NULL;
        Made ods, xlsx;
        zip_t *z;
        xmlDoc *doc;

        c = seed_with(NULL, NULL);
        for (size_t i = 0; i < c->n_actions; i++) {
                for (size_t k = 0; k < c->actions[i].n_kinds; k++)
                        free(c->actions[i].kinds[k]);
                free(c->actions[i].kinds);
                c->actions[i].kinds = NULL;
                c->actions[i].n_kinds = 0;
        }
        ods = make(c, WORKBOOK_ODS, today);
        z = open_zip(&ods);
        doc = parse_entry(z, "content.xml");
        cr_expect_eq(count(doc, "//table:content-validation"), 3);
        cr_expect_eq(count(doc, "//table:content-validation[@table:name='val_type']"), 0);
        xmlFreeDoc(doc);
        zip_close(z);
        xlsx = make(c, WORKBOOK_XLSX, today);
        z = open_zip(&xlsx);
        doc = parse_entry(z, "xl/worksheets/sheet3.xml");
        cr_expect_eq(count(doc, "//s:dataValidation"), 3);
        cr_expect_eq(count(doc, "//s:dataValidation[@sqref='D2:D501']"), 0);
        xmlFreeDoc(doc);
        zip_close(z);
        free(ods.data);
        free(xlsx.data);
}

/* Labels the reader could not tell apart (equal but for case, accents and
 * spaces; a label that is another action's id): the lists show the ids. */
Test(bilan_template, ambiguous_labels_use_ids) {
        static const char *const cases[][3] = {
                /* label of action 0, label of action 1, item 2 of the list */
                { "Accès annuel", "Géométiers Occitanie", "Géométiers Occitanie" },
                { "Accès annuel à la plateforme", "  ACCÈS annuel a la   plateforme ", "dev-durable" },
                { "Plateforme", "animation", "dev-durable" },
                { "Plateforme", "plateforme", "dev-durable" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(convention_freep) Convention *c = seed_with(NULL, NULL);
                _cleanup_(freep) char *xpath = NULL;
                Made m;
                zip_t *z;
                xmlDoc *doc;

                for (size_t k = 0; k < 2; k++) {
                        free(c->actions[k].label);
                        c->actions[k].label = strdup(cases[i][k]);
                        cr_assert(c->actions[k].label);
                }
                m = make(c, WORKBOOK_ODS, today);
                z = open_zip(&m);
                doc = parse_entry(z, "content.xml");
                cr_assert(asprintf(&xpath, "//table:table[@table:name='Listes']/table:table-row[2]"
                                           "/table:table-cell[1]/text:p[.='%s']", cases[i][2]) > 0);
                cr_expect_eq(count(doc, xpath), 1, "case %zu: expected '%s' in the list", i, cases[i][2]);
                xmlFreeDoc(doc);
                zip_close(z);
                free(m.data);
        }
}
