/* workbook_xlsx.c — Office Open XML workbooks (.xlsx, .xlsm: what Excel
 * saves) read through workbook_zip.c's guarded reader into sheets of cells
 * (workbook_internal.h).
 *
 * The parts, in the order they are needed: xl/workbook.xml (the sheets in
 * order, their state, the 1904 date system), xl/_rels/workbook.xml.rels
 * (where each sheet is; a target outside xl/ or with ".." is refused),
 * the shared strings (rich-text runs joined, phonetic runs dropped, Excel's
 * _xHHHH_ escapes decoded), the styles (which cell formats are dates), then
 * each worksheet streamed row by row. Elements are matched by local name,
 * so the transitional and strict namespaces both read. A formula cell is
 * its cached <v>; merged cells need nothing (the top-left holds the value).
 * Number cells keep their decimal text; a number in a date format becomes
 * a date by the serial rules of workbook_serial_to_date(). .xlsm content
 * types or xl/vbaProject.bin set has_macros (never run). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/identifiers.h"
#include "core/workbook_internal.h"

#define XLSX_WORKBOOK "xl/workbook.xml"
#define XLSX_WORKBOOK_RELS "xl/_rels/workbook.xml.rels"
#define XLSX_DIR "xl/"
#define XLSX_PATH_MAX 512
#define XLSX_RELS_MAX 10000
#define XLSX_STYLES_MAX 100000

typedef struct XlsxSheetRef {
        char *name, *rid;
        bool hidden;
} XlsxSheetRef;

typedef struct XlsxRel {
        char *id, *type, *target; /* target: resolved in the package, NULL if refused */
} XlsxRel;

typedef struct Xlsx {
        WorkbookInput *in;
        bool date1904;
        XlsxSheetRef *sheets;
        size_t n_sheets, cap_sheets;
        XlsxRel *rels;
        size_t n_rels, cap_rels;
        /* Shared strings, one buffer: string i is strings + offsets[i]. */
        char *strings;
        size_t strings_len, strings_cap;
        size_t *offsets;
        size_t n_strings, cap_offsets;
        bool *date_styles; /* per cellXfs index */
        size_t n_styles;
} Xlsx;

static void xlsx_done(Xlsx *x) {
        for (size_t i = 0; i < x->n_sheets; i++) {
                free(x->sheets[i].name);
                free(x->sheets[i].rid);
        }
        free(x->sheets);
        for (size_t i = 0; i < x->n_rels; i++) {
                free(x->rels[i].id);
                free(x->rels[i].type);
                free(x->rels[i].target);
        }
        free(x->rels);
        free(x->strings);
        free(x->offsets);
        free(x->date_styles);
}

static bool ends_with(const char *s, const char *suffix) {
        size_t a = strlen(s), b = strlen(suffix);
        return a >= b && streq(s + a - b, suffix);
}

static bool xlsx_true(const char *s) {
        return s && (streq(s, "1") || streq(s, "true"));
}

static int xlsx_missing(WorkbookInput *in, const char *entry) {
        char name[128], en[256], fr[256];

        workbook_display_name(entry, name);
        snprintf(en, sizeof en, "%s missing", name);
        snprintf(fr, sizeof fr, "%s manquant", name);
        return workbook_damaged(in, en, fr);
}

/* Opens a part that must be there. */
static int xlsx_open(WorkbookInput *in, const char *entry, WorkbookXml **ret) {
        int r = workbook_xml_open(in, entry, ret);
        return r == -ENOENT ? xlsx_missing(in, entry) : r;
}

/* ---- Excel's escapes: _xHHHH_ is the character U+HHHH ---- */

static int hex4(const char *s) {
        int v = 0;

        for (int i = 0; i < 4; i++) {
                char c = s[i];
                int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
                if (d < 0)
                        return -1;
                v = v * 16 + d;
        }
        return v;
}

/* Decodes in place (the UTF-8 of U+HHHH is never longer than "_xHHHH_").
 * What XML itself could not carry (NUL, C0 controls other than tab, LF,
 * CR, surrogates) stays as written. */
static size_t xlsx_unescape(char *s, size_t len) {
        size_t i = 0, o = 0;

        while (i < len) {
                int cp = i + 7 <= len && s[i] == '_' && s[i + 1] == 'x' && s[i + 6] == '_' ? hex4(s + i + 2) : -1;

                if (cp <= 0 || (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') ||
                    (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF) {
                        s[o++] = s[i++];
                        continue;
                }
                o += utf8_encode((uint32_t) cp, s + o);
                i += 7;
        }
        s[o] = 0;
        return o;
}

/* ---- workbook.xml ---- */

static int xlsx_add_sheet(Xlsx *x, xmlTextReaderPtr r) {
        _cleanup_(xml_freep) char *name = workbook_xml_attr(r, NULL, "name");
        _cleanup_(xml_freep) char *state = workbook_xml_attr(r, NULL, "state");
        _cleanup_(xml_freep) char *rid = workbook_xml_attr_any_ns(r, "id");
        XlsxSheetRef *s;
        void *grown;

        if (x->n_sheets >= WORKBOOK_SHEETS_MAX)
                return workbook_damaged(x->in, "more than 1000 sheets", "plus de 1 000 feuilles");
        grown = workbook_grow(x->sheets, &x->cap_sheets, x->n_sheets, sizeof(XlsxSheetRef));
        if (!grown)
                return -ENOMEM;
        x->sheets = grown;
        s = &x->sheets[x->n_sheets];
        *s = (XlsxSheetRef) {
                .name = strdup(strempty(name)), /* cut by sheet_builder_start() */
                .rid = strdup(strempty(rid)),
                .hidden = state && (streq(state, "hidden") || streq(state, "veryHidden")),
        };
        x->n_sheets++;
        return s->name && s->rid ? 0 : -ENOMEM;
}

static int xlsx_read_workbook(Xlsx *x) {
        _cleanup_(workbook_xml_freep) WorkbookXml *xml = NULL;
        xmlTextReaderPtr r;
        int k;

        k = xlsx_open(x->in, XLSX_WORKBOOK, &xml);
        if (k < 0)
                return k;
        r = workbook_xml_reader(xml);
        for (;;) {
                k = workbook_xml_read(xml);
                if (k <= 0)
                        return k;
                if (workbook_xml_is_start(r, NULL, "workbookPr")) {
                        _cleanup_(xml_freep) char *v = workbook_xml_attr(r, NULL, "date1904");
                        x->date1904 = xlsx_true(v);
                } else if (workbook_xml_is_start(r, NULL, "sheet")) {
                        k = xlsx_add_sheet(x, r);
                        if (k < 0)
                                return k;
                }
        }
}

/* ---- relationships ---- */

/* A relationship's target as a part name: relative to xl/, or absolute
 * from the package root; it must stay in xl/, without "." or ".."
 * segments. Returns 0 or -EINVAL. */
static int xlsx_resolve(const char *target, char ret[static XLSX_PATH_MAX]) {
        const char *p;
        int n;

        if (target[0] == '/')
                n = snprintf(ret, XLSX_PATH_MAX, "%s", target + 1);
        else
                n = snprintf(ret, XLSX_PATH_MAX, XLSX_DIR "%s", target);
        if (n < 0 || n >= XLSX_PATH_MAX || strncmp(ret, XLSX_DIR, strlen(XLSX_DIR)) != 0 || strchr(ret, '\\'))
                return -EINVAL;
        for (p = ret;;) {
                size_t len = strcspn(p, "/");

                if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
                        return -EINVAL;
                if (!p[len])
                        return 0;
                p += len + 1;
        }
}

static int xlsx_add_rel(Xlsx *x, xmlTextReaderPtr r) {
        _cleanup_(xml_freep) char *id = workbook_xml_attr(r, NULL, "Id");
        _cleanup_(xml_freep) char *type = workbook_xml_attr(r, NULL, "Type");
        _cleanup_(xml_freep) char *target = workbook_xml_attr(r, NULL, "Target");
        _cleanup_(xml_freep) char *mode = workbook_xml_attr(r, NULL, "TargetMode");
        char path[XLSX_PATH_MAX];
        XlsxRel *rel;
        void *grown;

        if (!id || !type || !target || x->n_rels >= XLSX_RELS_MAX)
                return 0;
        grown = workbook_grow(x->rels, &x->cap_rels, x->n_rels, sizeof(XlsxRel));
        if (!grown)
                return -ENOMEM;
        x->rels = grown;
        rel = &x->rels[x->n_rels++];
        *rel = (XlsxRel) { .id = strdup(id), .type = strdup(type) };
        if (!rel->id || !rel->type)
                return -ENOMEM;
        if ((!mode || !streq(mode, "External")) && xlsx_resolve(target, path) >= 0) {
                rel->target = strdup(path);
                if (!rel->target)
                        return -ENOMEM;
        }
        return 0;
}

static int xlsx_read_rels(Xlsx *x) {
        _cleanup_(workbook_xml_freep) WorkbookXml *xml = NULL;
        xmlTextReaderPtr r;
        int k;

        k = xlsx_open(x->in, XLSX_WORKBOOK_RELS, &xml);
        if (k < 0)
                return k;
        r = workbook_xml_reader(xml);
        for (;;) {
                k = workbook_xml_read(xml);
                if (k <= 0)
                        return k;
                if (workbook_xml_is_start(r, NULL, "Relationship")) {
                        k = xlsx_add_rel(x, r);
                        if (k < 0)
                                return k;
                }
        }
}

static const XlsxRel *xlsx_rel_by_id(Xlsx *x, const char *id) {
        for (size_t i = 0; i < x->n_rels; i++)
                if (streq(x->rels[i].id, id))
                        return &x->rels[i];
        return NULL;
}

/* The part of the first relationship of that type ("/sharedStrings"), or
 * `fallback` when the workbook has none (hand-made files). */
static const char *xlsx_part_of_type(Xlsx *x, const char *suffix, const char *fallback) {
        for (size_t i = 0; i < x->n_rels; i++)
                if (ends_with(x->rels[i].type, suffix))
                        return x->rels[i].target;
        return fallback;
}

/* ---- shared strings ---- */

static int xlsx_push_string(Xlsx *x, const WorkbookText *t) {
        const char *s = workbook_text_str(t);
        size_t len = t->len;

        if (x->n_strings >= WORKBOOK_CELLS_MAX)
                return workbook_damaged(x->in, "more than 1000000 shared strings",
                                        "plus de 1 000 000 chaînes partagées");
        if (x->n_strings == x->cap_offsets) {
                size_t cap = x->cap_offsets ? x->cap_offsets * 2 : 256;
                size_t *offsets = realloc(x->offsets, cap * sizeof(size_t));

                if (!offsets)
                        return -ENOMEM;
                x->offsets = offsets;
                x->cap_offsets = cap;
        }
        if (x->strings_len + len + 1 > x->strings_cap) {
                size_t cap = x->strings_cap ? x->strings_cap : 4096;
                char *strings;

                while (cap < x->strings_len + len + 1)
                        cap *= 2;
                strings = realloc(x->strings, cap);
                if (!strings)
                        return -ENOMEM;
                x->strings = strings;
                x->strings_cap = cap;
        }
        memcpy(x->strings + x->strings_len, s, len);
        x->strings[x->strings_len + len] = 0;
        len = xlsx_unescape(x->strings + x->strings_len, len);
        x->offsets[x->n_strings++] = x->strings_len;
        x->strings_len += len + 1;
        return 0;
}

/* The text of a <si> or an <is>: its <t>, or the <t> of its <r> runs;
 * <rPh> (phonetic guides) are not part of it. The reader is on the
 * element's start. */
static int xlsx_read_rich_text(WorkbookXml *xml, WorkbookText *t) {
        xmlTextReaderPtr r = workbook_xml_reader(xml);
        int depth = xmlTextReaderDepth(r), t_depth = -1, k;

        workbook_text_reset(t);
        if (xmlTextReaderIsEmptyElement(r))
                return 0;
        for (;;) {
                k = workbook_xml_next(xml);
                if (k < 0)
                        return k;
                if (xmlTextReaderNodeType(r) == XML_READER_TYPE_END_ELEMENT) {
                        if (xmlTextReaderDepth(r) == depth)
                                return 0;
                        if (xmlTextReaderDepth(r) == t_depth)
                                t_depth = -1;
                } else if (workbook_xml_is_start(r, NULL, "rPh"))
                        k = workbook_xml_skip(xml);
                else if (workbook_xml_is_start(r, NULL, "t") && !xmlTextReaderIsEmptyElement(r))
                        t_depth = xmlTextReaderDepth(r);
                else if (t_depth >= 0 && workbook_xml_is_text(r)) {
                        const char *v = (const char *) xmlTextReaderConstValue(r);
                        k = workbook_text_append(t, v, strlen(v));
                }
                if (k < 0)
                        return k;
        }
}

static int xlsx_text_too_long(Xlsx *x, const char *entry) {
        char name[128], en[256], fr[256];

        workbook_display_name(entry, name);
        snprintf(en, sizeof en, "%s: a text longer than %d MiB", name, WORKBOOK_CELL_TEXT_MAX >> 20);
        snprintf(fr, sizeof fr, "%s : un texte de plus de %d Mio", name, WORKBOOK_CELL_TEXT_MAX >> 20);
        return workbook_damaged(x->in, en, fr);
}

static int xlsx_read_shared_strings(Xlsx *x) {
        _cleanup_(workbook_xml_freep) WorkbookXml *xml = NULL;
        _cleanup_(workbook_text_done) WorkbookText t = {};
        const char *part = xlsx_part_of_type(x, "/sharedStrings", "xl/sharedStrings.xml");
        xmlTextReaderPtr r;
        int k;

        if (!part)
                return 0;
        k = workbook_xml_open(x->in, part, &xml);
        if (k == -ENOENT)
                return 0; /* a workbook without text */
        if (k < 0)
                return k;
        r = workbook_xml_reader(xml);
        for (;;) {
                k = workbook_xml_read(xml);
                if (k <= 0)
                        return k;
                if (!workbook_xml_is_start(r, NULL, "si"))
                        continue;
                k = xlsx_read_rich_text(xml, &t);
                if (k == -E2BIG)
                        return xlsx_text_too_long(x, part);
                if (k >= 0)
                        k = xlsx_push_string(x, &t);
                if (k < 0)
                        return k;
        }
}

/* ---- styles: which cell formats show dates ---- */

static bool xlsx_builtin_date_format(unsigned id) {
        return (id >= 14 && id <= 22) || (id >= 27 && id <= 36) || (id >= 45 && id <= 47) ||
               (id >= 50 && id <= 58);
}

/* A format code shows a date when it has a day, month or year outside
 * quotes, [..] (colours, locales, elapsed times), \x and _x / *x. A month
 * code alone with hours or seconds is minutes ("mm:ss"). */
static bool xlsx_format_code_is_date(const char *code) {
        bool d = false, m = false, y = false, h = false, s = false;

        for (const char *p = code; *p; p++) {
                switch (*p) {
                case '"':
                        p = strchr(p + 1, '"');
                        if (!p)
                                return false;
                        break;
                case '[':
                        p = strchr(p + 1, ']');
                        if (!p)
                                return false;
                        break;
                case '\\':
                case '_':
                case '*':
                        if (!p[1])
                                return d || y || (m && !h && !s);
                        p++;
                        break;
                case 'd': case 'D': d = true; break;
                case 'm': case 'M': m = true; break;
                case 'y': case 'Y': y = true; break;
                case 'h': case 'H': h = true; break;
                case 's': case 'S': s = true; break;
                case ';':
                        /* Only the first section (positive numbers) counts. */
                        return d || y || (m && !h && !s);
                default:
                        break;
                }
        }
        return d || y || (m && !h && !s);
}

typedef struct XlsxFormat {
        unsigned id;
        bool date;
} XlsxFormat;

typedef struct XlsxStyles {
        XlsxFormat *formats;
        size_t n_formats, cap_formats;
        unsigned *xf_formats;
        size_t n_xfs, cap_xfs;
} XlsxStyles;

static void xlsx_styles_done(XlsxStyles *s) {
        free(s->formats);
        free(s->xf_formats);
}

static unsigned xlsx_uint(const char *s) {
        unsigned long v = 0;

        for (; s && *s >= '0' && *s <= '9'; s++) {
                v = v * 10 + (unsigned long) (*s - '0');
                if (v > 1000000)
                        return 0;
        }
        return (unsigned) v;
}

static int xlsx_styles_add_format(XlsxStyles *s, xmlTextReaderPtr r) {
        _cleanup_(xml_freep) char *id = workbook_xml_attr(r, NULL, "numFmtId");
        _cleanup_(xml_freep) char *code = workbook_xml_attr(r, NULL, "formatCode");
        void *grown;

        if (!id || !code || s->n_formats >= XLSX_STYLES_MAX)
                return 0;
        grown = workbook_grow(s->formats, &s->cap_formats, s->n_formats, sizeof(XlsxFormat));
        if (!grown)
                return -ENOMEM;
        s->formats = grown;
        s->formats[s->n_formats++] = (XlsxFormat) { xlsx_uint(id), xlsx_format_code_is_date(code) };
        return 0;
}

static int xlsx_styles_add_xf(XlsxStyles *s, xmlTextReaderPtr r) {
        _cleanup_(xml_freep) char *id = workbook_xml_attr(r, NULL, "numFmtId");
        void *grown;

        if (s->n_xfs >= XLSX_STYLES_MAX)
                return 0;
        grown = workbook_grow(s->xf_formats, &s->cap_xfs, s->n_xfs, sizeof(unsigned));
        if (!grown)
                return -ENOMEM;
        s->xf_formats = grown;
        s->xf_formats[s->n_xfs++] = xlsx_uint(id);
        return 0;
}

static int xlsx_format_compare(const void *a, const void *b) {
        const XlsxFormat *x = a, *y = b;
        return x->id < y->id ? -1 : x->id > y->id;
}

/* s->formats sorted by id (a hostile file may have 100 000 of them). */
static bool xlsx_styles_is_date(const XlsxStyles *s, unsigned id) {
        XlsxFormat key = { .id = id };
        const XlsxFormat *f = s->n_formats > 0 ? bsearch(&key, s->formats, s->n_formats, sizeof(XlsxFormat),
                                                         xlsx_format_compare)
                                               : NULL;

        /* A format the file defines wins over the built-in of that id. */
        return f ? f->date : xlsx_builtin_date_format(id);
}

static int xlsx_read_styles(Xlsx *x) {
        _cleanup_(workbook_xml_freep) WorkbookXml *xml = NULL;
        _cleanup_(xlsx_styles_done) XlsxStyles s = {};
        const char *part = xlsx_part_of_type(x, "/styles", "xl/styles.xml");
        int k, xfs_depth = -1;
        xmlTextReaderPtr r;

        if (!part)
                return 0;
        k = workbook_xml_open(x->in, part, &xml);
        if (k == -ENOENT)
                return 0; /* no styles: no dates, numbers only */
        if (k < 0)
                return k;
        r = workbook_xml_reader(xml);
        for (;;) {
                k = workbook_xml_read(xml);
                if (k < 0)
                        return k;
                if (k == 0)
                        break;
                if (workbook_xml_is_start(r, NULL, "numFmt"))
                        k = xlsx_styles_add_format(&s, r);
                else if (workbook_xml_is_start(r, NULL, "cellXfs") && !xmlTextReaderIsEmptyElement(r))
                        xfs_depth = xmlTextReaderDepth(r);
                else if (workbook_xml_is_end(r, NULL, "cellXfs"))
                        xfs_depth = -1;
                else if (xfs_depth >= 0 && xmlTextReaderDepth(r) == xfs_depth + 1 &&
                         workbook_xml_is_start(r, NULL, "xf"))
                        k = xlsx_styles_add_xf(&s, r);
                if (k < 0)
                        return k;
        }
        if (s.n_formats > 1)
                qsort(s.formats, s.n_formats, sizeof(XlsxFormat), xlsx_format_compare);
        x->date_styles = calloc(s.n_xfs ? s.n_xfs : 1, sizeof(bool));
        if (!x->date_styles)
                return -ENOMEM;
        for (size_t i = 0; i < s.n_xfs; i++)
                x->date_styles[i] = xlsx_styles_is_date(&s, s.xf_formats[i]);
        x->n_styles = s.n_xfs;
        return 0;
}

/* ---- worksheets ---- */

/* The cell being read. */
typedef struct XlsxCell {
        uint32_t column;
        char *type;      /* t=, NULL: a number */
        unsigned style;  /* s= */
        bool has_v;
        WorkbookText v;  /* <v> */
        WorkbookText is; /* <is>: an inline string */
        bool has_is;
} XlsxCell;

typedef struct XlsxSheet {
        Xlsx *x;
        WorkbookXml *xml;
        xmlTextReaderPtr r;
        SheetBuilder b;
        uint64_t next_row;
        uint32_t next_column;
        XlsxCell cell;
} XlsxSheet;

static int xlsx_cell_damaged(XlsxSheet *s, const char *what_en, const char *what_fr) {
        char name[128], cell[CELL_NAME_MAX], en[256], fr[256];

        workbook_display_name(s->b.sheet->name, name);
        cell_name((uint32_t) s->b.row, s->cell.column, cell);
        snprintf(en, sizeof en, "sheet %s, cell %s: %s", name, cell, what_en);
        snprintf(fr, sizeof fr, "feuille %s, cellule %s : %s", name, cell, what_fr);
        return workbook_damaged(s->x->in, en, fr);
}

static int xlsx_emit(XlsxSheet *s, CellType type, const char *text, size_t len, const Date *date) {
        return sheet_builder_cell(&s->b, s->cell.column, type, text, len, date);
}

static int xlsx_emit_number(XlsxSheet *s, const char *v) {
        XlsxCell *c = &s->cell;
        Date date;

        if (!workbook_number_is_valid(v))
                return xlsx_cell_damaged(s, "a number cell without a number", "une cellule nombre sans nombre");
        if (c->style < s->x->n_styles && s->x->date_styles[c->style] &&
            workbook_serial_to_date(v, s->x->date1904, &date) >= 0) {
                char buf[DATE_STRING_MAX];

                date_format(date, buf);
                return xlsx_emit(s, CELL_DATE, buf, strlen(buf), &date);
        }
        return xlsx_emit(s, CELL_NUMBER, v, strlen(v), NULL);
}

static int xlsx_cell_end(XlsxSheet *s) {
        XlsxCell *c = &s->cell;
        const char *t = c->type ? c->type : "n";
        char *v = c->v.s;
        size_t len;

        if (streq(t, "inlineStr")) {
                if (!c->has_is || !c->is.s)
                        return 0;
                len = xlsx_unescape(c->is.s, c->is.len);
                return xlsx_emit(s, CELL_TEXT, c->is.s, len, NULL);
        }
        if (!c->has_v || !v || !*v)
                return 0; /* a styled empty cell, or a formula never computed */
        if (streq(t, "n"))
                return xlsx_emit_number(s, v);
        if (streq(t, "s")) {
                size_t i = 0;
                const char *p;

                for (p = v; *p >= '0' && *p <= '9' && i <= s->x->n_strings; p++)
                        i = i * 10 + (size_t) (*p - '0');
                if (*p || i >= s->x->n_strings)
                        return xlsx_cell_damaged(s, "unknown shared string", "chaîne partagée inconnue");
                p = s->x->strings + s->x->offsets[i];
                return xlsx_emit(s, CELL_TEXT, p, strlen(p), NULL);
        }
        if (streq(t, "str")) {
                len = xlsx_unescape(v, c->v.len);
                return xlsx_emit(s, CELL_TEXT, v, len, NULL);
        }
        if (streq(t, "b")) {
                if (streq(v, "1") || streq(v, "0"))
                        return xlsx_emit(s, CELL_BOOL, streq(v, "1") ? "TRUE" : "FALSE", streq(v, "1") ? 4 : 5, NULL);
                return xlsx_emit(s, CELL_TEXT, v, c->v.len, NULL);
        }
        if (streq(t, "e"))
                return xlsx_emit(s, CELL_ERROR, v, c->v.len, NULL);
        if (streq(t, "d")) {
                char day[DATE_STRING_MAX];
                Date date;

                snprintf(day, sizeof day, "%.10s", v);
                if (date_parse(day, &date) >= 0)
                        return xlsx_emit(s, CELL_DATE, day, strlen(day), &date);
                return xlsx_emit(s, CELL_TEXT, v, c->v.len, NULL);
        }
        return xlsx_cell_damaged(s, "unknown cell type", "type de cellule inconnu");
}

static int xlsx_cell_start(XlsxSheet *s) {
        _cleanup_(xml_freep) char *ref = workbook_xml_attr(s->r, NULL, "r");
        _cleanup_(xml_freep) char *style = workbook_xml_attr(s->r, NULL, "s");
        XlsxCell *c = &s->cell;
        uint32_t row, column;

        if (ref) {
                if (workbook_parse_cell_ref(ref, &row, &column) < 0) {
                        c->column = s->next_column;
                        return xlsx_cell_damaged(s, "invalid cell reference", "référence de cellule invalide");
                }
        } else if (s->next_column >= 16384) {
                c->column = s->next_column;
                return xlsx_cell_damaged(s, "too many cells in the row", "trop de cellules dans la ligne");
        } else
                column = s->next_column;
        s->next_column = column + 1;
        xml_freep(&c->type);
        c->type = workbook_xml_attr(s->r, NULL, "t");
        c->column = column;
        c->style = xlsx_uint(style);
        c->has_v = c->has_is = false;
        workbook_text_reset(&c->v);
        workbook_text_reset(&c->is);
        return 0;
}

/* The cell's <v> and <is>; <f> (the formula) is not needed. */
static int xlsx_read_cell(XlsxSheet *s) {
        int depth = xmlTextReaderDepth(s->r), v_depth = -1, k;

        k = xlsx_cell_start(s);
        if (k < 0)
                return k;
        if (xmlTextReaderIsEmptyElement(s->r))
                return 0;
        for (;;) {
                k = workbook_xml_next(s->xml);
                if (k < 0)
                        return k;
                if (xmlTextReaderNodeType(s->r) == XML_READER_TYPE_END_ELEMENT) {
                        if (xmlTextReaderDepth(s->r) == depth)
                                return xlsx_cell_end(s);
                        if (xmlTextReaderDepth(s->r) == v_depth)
                                v_depth = -1;
                        continue;
                }
                if (workbook_xml_is_start(s->r, NULL, "v")) {
                        s->cell.has_v = true;
                        if (!xmlTextReaderIsEmptyElement(s->r))
                                v_depth = xmlTextReaderDepth(s->r);
                } else if (workbook_xml_is_start(s->r, NULL, "is")) {
                        s->cell.has_is = true;
                        k = xlsx_read_rich_text(s->xml, &s->cell.is);
                } else if (v_depth >= 0 && workbook_xml_is_text(s->r)) {
                        const char *v = (const char *) xmlTextReaderConstValue(s->r);
                        k = workbook_text_append(&s->cell.v, v, strlen(v));
                } else if (xmlTextReaderNodeType(s->r) == XML_READER_TYPE_ELEMENT)
                        k = workbook_xml_skip(s->xml); /* <f>, <extLst> */
                if (k < 0)
                        return sheet_builder_text_error(&s->b, s->cell.column, k);
        }
}

static int xlsx_row_start(XlsxSheet *s) {
        _cleanup_(xml_freep) char *ref = workbook_xml_attr(s->r, NULL, "r");
        _cleanup_(xml_freep) char *hidden = workbook_xml_attr(s->r, NULL, "hidden");
        uint64_t row = s->next_row;

        if (ref) {
                unsigned long v = 0;
                const char *p;

                for (p = ref; *p >= '0' && *p <= '9' && v <= 1048576; p++)
                        v = v * 10 + (unsigned long) (*p - '0');
                if (*p || v == 0 || v > 1048576) {
                        s->cell.column = 0;
                        return xlsx_cell_damaged(s, "invalid row number", "numéro de ligne invalide");
                }
                row = v - 1;
        }
        sheet_builder_row(&s->b, row, xlsx_true(hidden));
        s->next_row = row + 1;
        s->next_column = 0;
        return 0;
}

static int xlsx_read_sheet_data(XlsxSheet *s) {
        int k;

        for (;;) {
                k = workbook_xml_read(s->xml);
                if (k <= 0)
                        return k;
                if (workbook_xml_is_start(s->r, NULL, "row"))
                        k = xlsx_row_start(s);
                else if (workbook_xml_is_start(s->r, NULL, "c"))
                        k = xlsx_read_cell(s);
                else if (workbook_xml_is_end(s->r, NULL, "sheetData"))
                        return 0; /* the rest (merges, validations…) is not needed */
                if (k < 0)
                        return k;
        }
}

static int xlsx_read_worksheet(Xlsx *x, const XlsxSheetRef *ref, const char *part) {
        XlsxSheet s = { .x = x };
        int k;

        k = sheet_builder_start(&s.b, x->in, ref->name, ref->hidden);
        if (k < 0)
                return k;
        if (!part)
                return sheet_builder_finish(&s.b); /* a chart sheet: no cells */
        k = xlsx_open(x->in, part, &s.xml);
        if (k >= 0) {
                s.r = workbook_xml_reader(s.xml);
                k = xlsx_read_sheet_data(&s);
        }
        workbook_xml_free(s.xml);
        xml_freep(&s.cell.type);
        workbook_text_done(&s.cell.v);
        workbook_text_done(&s.cell.is);
        if (k < 0)
                return k;
        return sheet_builder_finish(&s.b);
}

static int xlsx_bad_target(Xlsx *x, const XlsxSheetRef *ref) {
        char name[128], en[256], fr[256];

        workbook_display_name(ref->name, name);
        snprintf(en, sizeof en, "sheet %s: no part, or a part outside xl/", name);
        snprintf(fr, sizeof fr, "feuille %s : contenu introuvable ou hors de xl/", name);
        return workbook_damaged(x->in, en, fr);
}

static int xlsx_read_worksheets(Xlsx *x) {
        int k;

        if (x->n_sheets == 0)
                return workbook_damaged(x->in, "no sheet", "aucune feuille");
        for (size_t i = 0; i < x->n_sheets; i++) {
                const XlsxRel *rel = xlsx_rel_by_id(x, x->sheets[i].rid);

                if (!rel || !rel->target)
                        return xlsx_bad_target(x, &x->sheets[i]);
                k = xlsx_read_worksheet(x, &x->sheets[i], ends_with(rel->type, "/worksheet") ? rel->target : NULL);
                if (k < 0)
                        return k;
        }
        return 0;
}

/* ---- macros ---- */

static int xlsx_read_content_types(Xlsx *x) {
        _cleanup_(workbook_xml_freep) WorkbookXml *xml = NULL;
        xmlTextReaderPtr r;
        int k;

        if (workbook_zip_has(x->in, "xl/vbaProject.bin")) {
                x->in->workbook->has_macros = true;
                return 0;
        }
        k = workbook_xml_open(x->in, "[Content_Types].xml", &xml);
        if (k == -ENOENT)
                return 0;
        if (k < 0)
                return k;
        r = workbook_xml_reader(xml);
        for (;;) {
                k = workbook_xml_read(xml);
                if (k <= 0)
                        return k;
                if (workbook_xml_is_start(r, NULL, "Override") || workbook_xml_is_start(r, NULL, "Default")) {
                        _cleanup_(xml_freep) char *type = workbook_xml_attr(r, NULL, "ContentType");

                        if (type && strstr(type, "macroEnabled"))
                                x->in->workbook->has_macros = true;
                }
        }
}

int workbook_xlsx_read(WorkbookInput *in) {
        _cleanup_(xlsx_done) Xlsx x = { .in = in };
        int k;

        k = xlsx_read_content_types(&x);
        if (k >= 0)
                k = xlsx_read_workbook(&x);
        if (k >= 0)
                k = xlsx_read_rels(&x);
        if (k >= 0)
                k = xlsx_read_shared_strings(&x);
        if (k >= 0)
                k = xlsx_read_styles(&x);
        if (k >= 0)
                k = xlsx_read_worksheets(&x);
        return k;
}
