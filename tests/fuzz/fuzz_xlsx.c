/* fuzz_xlsx — workbook_read() of an .xlsx (daemon/core/workbook_zip.c and
 * workbook_xlsx.c): the spreadsheet bilans staff drop into the spool.
 *
 * Two shapes of input, so that the fuzzer reaches the XML as well as the
 * ZIP reader:
 *   - an input that starts with "PK" is the whole file, read as is;
 *   - any other input is the XML of an .xlsx, split at NUL bytes into the
 *     first sheet, the shared strings, the styles and the workbook part,
 *     wrapped into a valid ZIP (stored, built with libzip) with the fixed
 *     [Content_Types].xml and relationships an .xlsx needs.
 * Every cell of every sheet is then looked at the way bilan_sheet.c does. */
#include <zip.h>

#include "core/workbook.h"
#include "fuzz.h"
#include "fuzz_workbook.h"

static const char content_types[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types xmlns=\"http://schemas.openxmlformats.org/"
        "package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd."
        "openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType="
        "\"application/xml\"/><Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd."
        "openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/><Override PartName=\"/xl/"
        "worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument."
        "spreadsheetml.worksheet+xml\"/><Override PartName=\"/xl/sharedStrings.xml\" ContentType="
        "\"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml\"/>"
        "<Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-"
        "officedocument.spreadsheetml.styles+xml\"/></Types>";
static const char rels[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"http://schemas."
        "openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://"
        "schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" "
        "Target=\"xl/workbook.xml\"/></Relationships>";
static const char workbook_rels[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"http://schemas."
        "openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://"
        "schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/"
        "sheet1.xml\"/><Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/"
        "officeDocument/2006/relationships/sharedStrings\" Target=\"sharedStrings.xml\"/>"
        "<Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
        "relationships/styles\" Target=\"styles.xml\"/></Relationships>";
static const char workbook_default[] =
        "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" xmlns:r=\""
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets><sheet "
        "name=\"R\xc3\xa9" "alisations\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        fuzz_quiet_log();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        FuzzPart parts[4];
        FuzzZipEntry entries[7];
        void *zip = NULL;
        size_t zip_size = 0;

        if (size >= 2 && data[0] == 'P' && data[1] == 'K') {
                fuzz_workbook_read(data, size, WORKBOOK_XLSX);
                return 0;
        }
        fuzz_split(data, size, parts, 4);
        entries[0] = (FuzzZipEntry) { "[Content_Types].xml", content_types, sizeof content_types - 1 };
        entries[1] = (FuzzZipEntry) { "_rels/.rels", rels, sizeof rels - 1 };
        entries[2] = (FuzzZipEntry) { "xl/_rels/workbook.xml.rels", workbook_rels, sizeof workbook_rels - 1 };
        entries[3] = (FuzzZipEntry) { "xl/worksheets/sheet1.xml", parts[0].data, parts[0].size };
        entries[4] = (FuzzZipEntry) { "xl/sharedStrings.xml", parts[1].data, parts[1].size };
        entries[5] = (FuzzZipEntry) { "xl/styles.xml", parts[2].data, parts[2].size };
        entries[6] = parts[3].size > 0 ?
                (FuzzZipEntry) { "xl/workbook.xml", parts[3].data, parts[3].size } :
                (FuzzZipEntry) { "xl/workbook.xml", workbook_default, sizeof workbook_default - 1 };
        fuzz_zip_build(entries, 7, &zip, &zip_size);
        fuzz_workbook_read(zip, zip_size, WORKBOOK_XLSX);
        free(zip);
        return 0;
}
