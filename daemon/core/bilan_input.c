/* bilan_input.c — a dropped file read as a bilan whatever it is (see
 * bilan_input.h).
 *
 * The kind comes from the content: people rename files, and Windows hides
 * extensions. OLE2 files (the legacy Office container) are told apart by
 * the UTF-16LE names of their streams; ZIP files by their `mimetype` entry
 * (OpenDocument) or `[Content_Types].xml` (Office Open XML), of which at
 * most SNIFF_ENTRY_MAX bytes are read through libzip from memory (the
 * workbook reader, workbook.h, does the real, bounded reading). Text that
 * could be JSON goes to bilan_parse(), so that a broken JSON bilan keeps
 * today's located messages. Pure: no I/O, no logging. */
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "core/bilan_input.h"
#include "core/bilan_sheet.h"
#include "core/workbook.h"

#define SNIFF_ENTRY_MAX (64 * 1024)
#define SNIFF_TEXT_MAX 4096 /* bytes of text looked at to tell CSV from JSON */

static const char *const kind_names[_BILAN_FILE_KIND_MAX] = {
        [BILAN_FILE_JSON] = "json",          [BILAN_FILE_ODS] = "ods",
        [BILAN_FILE_XLSX] = "xlsx",          [BILAN_FILE_XLSM] = "xlsm",
        [BILAN_FILE_ENCRYPTED] = "encrypted", [BILAN_FILE_XLS] = "xls",
        [BILAN_FILE_DOC] = "doc",            [BILAN_FILE_OLE2] = "ole2",
        [BILAN_FILE_DOCX] = "docx",          [BILAN_FILE_ODT] = "odt",
        [BILAN_FILE_PPTX] = "pptx",          [BILAN_FILE_OPENDOCUMENT] = "opendocument",
        [BILAN_FILE_PDF] = "pdf",            [BILAN_FILE_CSV] = "csv",
        [BILAN_FILE_ZIP] = "zip",            [BILAN_FILE_ZIP_DAMAGED] = "zip-damaged",
        [BILAN_FILE_BINARY] = "binary",
};

const char *bilan_file_kind_to_string(BilanFileKind k) {
        return k >= 0 && k < _BILAN_FILE_KIND_MAX ? kind_names[k] : NULL;
}

/* ---- OLE2 ---- */

static const unsigned char ole2_magic[8] = { 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1 };

/* Whether the ASCII `name` appears in UTF-16LE (a directory entry name). */
static bool has_utf16_name(const void *data, size_t size, const char *name) {
        char wide[64];
        size_t n = strlen(name);

        if (n * 2 > sizeof wide)
                return false;
        for (size_t i = 0; i < n; i++) {
                wide[2 * i] = name[i];
                wide[2 * i + 1] = '\0';
        }
        return memmem(data, size, wide, n * 2) != NULL;
}

static BilanFileKind ole2_kind(const void *data, size_t size) {
        /* An Office Open XML file saved with a password is an OLE2 file
         * holding the encrypted ZIP: ECMA-376 part 2 "EncryptedPackage". */
        if (has_utf16_name(data, size, "EncryptedPackage"))
                return BILAN_FILE_ENCRYPTED;
        if (has_utf16_name(data, size, "WordDocument"))
                return BILAN_FILE_DOC;
        if (has_utf16_name(data, size, "Workbook") || has_utf16_name(data, size, "Book"))
                return BILAN_FILE_XLS;
        return BILAN_FILE_OLE2;
}

/* ---- ZIP ---- */

/* The first `max` bytes (at most) of the entry `name`, NUL-terminated, in
 * `buf` (max + 1 bytes). -ENOENT when there is no such entry, -EIO when it
 * cannot be read (encrypted, damaged). */
static int zip_entry_head(zip_t *z, const char *name, char *buf, size_t max) {
        zip_file_t *f;
        size_t n = 0;

        if (zip_name_locate(z, name, 0) < 0)
                return -ENOENT;
        f = zip_fopen(z, name, 0);
        if (!f)
                return -EIO;
        while (n < max) {
                zip_int64_t k = zip_fread(f, buf + n, max - n);
                if (k < 0) {
                        zip_fclose(f);
                        return -EIO;
                }
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        zip_fclose(f);
        buf[n] = '\0';
        return 0;
}

static BilanFileKind opendocument_kind(const char *mimetype) {
        static const char prefix[] = "application/vnd.oasis.opendocument.";
        const char *t;

        if (strncmp(mimetype, prefix, strlen(prefix)) != 0)
                return BILAN_FILE_ZIP;
        t = mimetype + strlen(prefix);
        if (streq(t, "spreadsheet") || streq(t, "spreadsheet-template"))
                return BILAN_FILE_ODS;
        if (streq(t, "text") || streq(t, "text-template"))
                return BILAN_FILE_ODT;
        return BILAN_FILE_OPENDOCUMENT;
}

/* Office Open XML: the content type of the main part. */
static BilanFileKind content_types_kind(const char *xml) {
        if (strstr(xml, "spreadsheetml.sheet.main+xml") || strstr(xml, "spreadsheetml.template.main+xml"))
                return BILAN_FILE_XLSX;
        if (strstr(xml, "ms-excel.sheet.macroEnabled.main+xml") ||
            strstr(xml, "ms-excel.template.macroEnabled.main+xml"))
                return BILAN_FILE_XLSM;
        if (strstr(xml, "wordprocessingml.") || strstr(xml, "ms-word."))
                return BILAN_FILE_DOCX;
        if (strstr(xml, "presentationml.") || strstr(xml, "ms-powerpoint."))
                return BILAN_FILE_PPTX;
        return _BILAN_FILE_KIND_MAX;
}

/* When [Content_Types].xml says nothing in its first bytes: the parts'
 * usual names. */
static BilanFileKind part_names_kind(zip_t *z) {
        if (zip_name_locate(z, "xl/workbook.xml", 0) >= 0)
                return BILAN_FILE_XLSX;
        if (zip_name_locate(z, "word/document.xml", 0) >= 0)
                return BILAN_FILE_DOCX;
        if (zip_name_locate(z, "ppt/presentation.xml", 0) >= 0)
                return BILAN_FILE_PPTX;
        return BILAN_FILE_ZIP;
}

static BilanFileKind zip_kind(const void *data, size_t size) {
        _cleanup_(freep) char *buf = NULL;
        BilanFileKind k = BILAN_FILE_ZIP_DAMAGED;
        zip_source_t *src;
        zip_error_t error;
        zip_t *z;
        int r;

        buf = malloc(SNIFF_ENTRY_MAX + 1);
        if (!buf)
                return _BILAN_FILE_KIND_MAX; /* -ENOMEM */
        zip_error_init(&error);
        src = zip_source_buffer_create(data, size, /* freep= */ 0, &error);
        if (!src)
                goto done;
        z = zip_open_from_source(src, ZIP_RDONLY, &error);
        if (!z) {
                zip_source_free(src);
                goto done;
        }
        r = zip_entry_head(z, "mimetype", buf, SNIFF_ENTRY_MAX);
        if (r >= 0) {
                /* written without a newline, but a hand-made one may have one */
                buf[strcspn(buf, " \t\r\n")] = '\0';
                k = opendocument_kind(buf);
        }
        else {
                r = zip_entry_head(z, "[Content_Types].xml", buf, SNIFF_ENTRY_MAX);
                k = r >= 0 ? content_types_kind(buf) : _BILAN_FILE_KIND_MAX;
                if (k == _BILAN_FILE_KIND_MAX)
                        k = part_names_kind(z);
        }
        zip_discard(z); /* also frees src */
done:
        zip_error_fini(&error);
        return k;
}

/* ---- text ---- */

static const char *skip_blanks(const char *p, const char *end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
                p++;
        return p;
}

/* A CSV export: its first line has fields separated by ';', ',' or tabs,
 * and nothing in the text looks like JSON. Anything else that is text is
 * left to bilan_parse(), whose messages locate JSON mistakes. */
static bool looks_like_csv(const char *data, size_t size) {
        const char *end = data + (size < SNIFF_TEXT_MAX ? size : SNIFF_TEXT_MAX), *p, *eol;

        p = data;
        if (end - p >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
                p += 3;
        p = skip_blanks(p, end);
        if (p == end || *p == '{' || *p == '[')
                return false;
        if (memmem(data, (size_t) (end - data), "\"bilan\"", 7) ||
            memmem(data, (size_t) (end - data), "\"convention\"", 12) ||
            memmem(data, (size_t) (end - data), "\"realisations\"", 14))
                return false;
        eol = memchr(p, '\n', (size_t) (end - p));
        if (!eol)
                eol = end;
        return memchr(p, ';', (size_t) (eol - p)) || memchr(p, ',', (size_t) (eol - p)) ||
               memchr(p, '\t', (size_t) (eol - p));
}

static bool looks_binary(const unsigned char *d, size_t size) {
        size_t n = size < SNIFF_TEXT_MAX ? size : SNIFF_TEXT_MAX;

        return memchr(d, '\0', n) != NULL;
}

BilanFileKind bilan_file_kind(const void *data, size_t size) {
        const unsigned char *d = data;
        size_t head = size < 1024 ? size : 1024;

        if (size >= 8 && memcmp(d, ole2_magic, 8) == 0)
                return ole2_kind(data, size);
        if (size >= 4 && (memcmp(d, "PK\x03\x04", 4) == 0 || memcmp(d, "PK\x05\x06", 4) == 0))
                return zip_kind(data, size);
        /* PDF readers accept the header anywhere in the first 1 KiB */
        if (memmem(d, head, "%PDF-", 5))
                return BILAN_FILE_PDF;
        if (size >= 2 && ((d[0] == 0xFF && d[1] == 0xFE) || (d[0] == 0xFE && d[1] == 0xFF)))
                return BILAN_FILE_JSON; /* UTF-16 text: bilan_parse() says it is not UTF-8 */
        if (looks_binary(d, size))
                return BILAN_FILE_BINARY;
        if (looks_like_csv(data, size))
                return BILAN_FILE_CSV;
        return BILAN_FILE_JSON;
}

/* ---- refusals ---- */

#define EXPECTED_FR "un bilan est un classeur .ods ou .xlsx, ou un fichier JSON"

static int refuse(const char *file, BilanFileKind k, Diagnostics *diags) {
        int r;

        switch (k) {
        case BILAN_FILE_ENCRYPTED:
                r = diag_error2(diags, file, NULL, "the workbook is protected by a password: not read%s",
                                "le classeur est protégé par un mot de passe : enregistrez-le sans mot de "
                                "passe, puis déposez-le à nouveau%s",
                                "");
                break;
        case BILAN_FILE_XLS:
                r = diag_error2(diags, file, NULL,
                                "a legacy Excel workbook (.xls): save it as .xlsx or .ods%s",
                                "ce fichier est un classeur Excel à l'ancien format (.xls) : enregistrez au "
                                "format .xlsx ou .ods, puis déposez-le à nouveau%s",
                                "");
                break;
        case BILAN_FILE_DOC:
        case BILAN_FILE_DOCX:
                r = diag_error2(diags, file, NULL, "a Word document (%s), not a bilan%.0s",
                                "ce fichier est un document Word (%.0s%s) ; " EXPECTED_FR,
                                k == BILAN_FILE_DOC ? ".doc" : ".docx", k == BILAN_FILE_DOC ? ".doc" : ".docx");
                break;
        case BILAN_FILE_OLE2:
                r = diag_error2(diags, file, NULL, "a legacy Microsoft Office document, not a bilan%s",
                                "ce fichier est un document Microsoft Office à l'ancien format ; " EXPECTED_FR "%s",
                                "");
                break;
        case BILAN_FILE_ODT:
                r = diag_error2(diags, file, NULL, "an OpenDocument text (.odt), not a bilan%s",
                                "ce fichier est un document texte (.odt) ; " EXPECTED_FR "%s", "");
                break;
        case BILAN_FILE_PPTX:
                r = diag_error2(diags, file, NULL, "a PowerPoint presentation (.pptx), not a bilan%s",
                                "ce fichier est une présentation PowerPoint (.pptx) ; " EXPECTED_FR "%s", "");
                break;
        case BILAN_FILE_OPENDOCUMENT:
                r = diag_error2(diags, file, NULL, "an OpenDocument file that is not a spreadsheet%s",
                                "ce fichier est un document OpenDocument qui n'est pas un classeur ; " EXPECTED_FR
                                "%s",
                                "");
                break;
        case BILAN_FILE_PDF:
                r = diag_error2(diags, file, NULL, "a PDF document, not a bilan%s",
                                "ce fichier est un document PDF ; " EXPECTED_FR " : déposez le classeur "
                                "lui-même, pas une impression en PDF%s",
                                "");
                break;
        case BILAN_FILE_CSV:
                r = diag_error2(diags, file, NULL,
                                "a CSV file, which chorusd does not read: save the workbook as .ods or .xlsx%s",
                                "ce fichier est un fichier CSV (du texte séparé par des points-virgules ou des "
                                "virgules), que chorusd ne lit pas ; " EXPECTED_FR " : enregistrez le classeur "
                                "au format .ods ou .xlsx%s",
                                "");
                break;
        case BILAN_FILE_ZIP:
                r = diag_error2(diags, file, NULL,
                                "a ZIP archive that is neither an .ods nor an .xlsx workbook%s",
                                "ce fichier est une archive ZIP qui n'est ni un classeur .ods ni un classeur "
                                ".xlsx ; " EXPECTED_FR " : déposez le classeur lui-même, sans le compresser%s",
                                "");
                break;
        case BILAN_FILE_ZIP_DAMAGED:
                r = diag_error2(diags, file, NULL,
                                "starts like a ZIP archive but cannot be opened (damaged or incomplete)%s",
                                "ce fichier commence comme un classeur (une archive ZIP) mais il est abîmé ou "
                                "incomplet : enregistrez-le à nouveau, puis déposez-le%s",
                                "");
                break;
        default:
                r = diag_error2(diags, file, NULL, "neither a workbook nor JSON (unknown binary content)%s",
                                "ce fichier n'est ni un classeur ni un fichier JSON (contenu inconnu) ; " EXPECTED_FR
                                "%s",
                                "");
                break;
        }
        return r < 0 ? -ENOMEM : -EINVAL;
}

/* ---- reading ---- */

static int read_workbook(const char *file, const void *data, size_t size, BilanFileKind k,
                         const ConventionSet *conventions, Bilan **ret, const Convention **ret_convention,
                         Diagnostics *diags) {
        _cleanup_(workbook_freep) Workbook *w = NULL;
        int r;

        r = workbook_read(file, data, size, k == BILAN_FILE_ODS ? WORKBOOK_ODS : WORKBOOK_XLSX, &w, diags);
        if (r < 0)
                return r;
        return bilan_sheet_parse(file, w, conventions, ret, ret_convention, diags);
}

int bilan_read(const char *file, const void *data, size_t size, const ConventionSet *conventions, Bilan **ret,
               const Convention **ret_convention, Diagnostics *diags) {
        BilanFileKind k;
        int r;

        if (size > BILAN_FILE_MAX)
                return diag_error2(diags, file, NULL, "the file is %zu bytes, more than the %d accepted",
                                   "le fichier fait %zu octets, plus que les %d acceptés", size, BILAN_FILE_MAX) < 0
                               ? -ENOMEM
                               : -EINVAL;
        k = bilan_file_kind(data, size);
        switch ((int) k) {
        case _BILAN_FILE_KIND_MAX:
                return -ENOMEM;
        case BILAN_FILE_JSON:
                r = bilan_parse(file, data, size, conventions, ret, ret_convention, diags);
                return r == -EFBIG ? -EINVAL : r; /* refused, and said why */
        case BILAN_FILE_ODS:
        case BILAN_FILE_XLSX:
        case BILAN_FILE_XLSM:
                return read_workbook(file, data, size, k, conventions, ret, ret_convention, diags);
        default:
                return refuse(file, k, diags);
        }
}

char *bilan_read_peek_convention(const void *data, size_t size) {
        _cleanup_(workbook_freep) Workbook *w = NULL;
        BilanFileKind k;

        if (!data || size > BILAN_FILE_MAX)
                return NULL;
        k = bilan_file_kind(data, size);
        if (k == BILAN_FILE_JSON)
                return bilan_peek_convention(data, size);
        if (k != BILAN_FILE_ODS && k != BILAN_FILE_XLSX && k != BILAN_FILE_XLSM)
                return NULL;
        if (workbook_read(NULL, data, size, k == BILAN_FILE_ODS ? WORKBOOK_ODS : WORKBOOK_XLSX, &w,
                          /* diags= */ NULL) < 0)
                return NULL;
        return bilan_sheet_peek_convention(w);
}
