/* fuzz_xlsx — workbook_read() on an Office Open XML workbook: a whole
 * .xlsx (input starting "PK\3\4"), or the parts' XML separated by
 * WORKBOOK_FUZZ_SEPARATOR (workbook_fuzz.h): xl/worksheets/sheet1.xml,
 * then xl/sharedStrings.xml, xl/styles.xml, xl/workbook.xml,
 * xl/_rels/workbook.xml.rels, [Content_Types].xml; the ones left out are
 * a one-sheet workbook's. */
#include "workbook_fuzz.h"

#define MAIN "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define RELS "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

static const char *const defaults[] = {
        "<worksheet xmlns=\"" MAIN "\"><sheetData/></worksheet>",
        NULL,
        NULL,
        "<workbook xmlns=\"" MAIN "\" xmlns:r=\"" RELS "\"><sheets><sheet name=\"Bilan\" sheetId=\"1\" "
        "r:id=\"rId1\"/><sheet name=\"Réalisations\" sheetId=\"2\" r:id=\"rId2\"/></sheets></workbook>",
        "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
        "<Relationship Id=\"rId1\" Type=\"" RELS "/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
        "<Relationship Id=\"rId2\" Type=\"" RELS "/worksheet\" Target=\"/xl/worksheets/sheet1.xml\"/>"
        "<Relationship Id=\"rId3\" Type=\"" RELS "/sharedStrings\" Target=\"sharedStrings.xml\"/>"
        "<Relationship Id=\"rId4\" Type=\"" RELS "/styles\" Target=\"styles.xml\"/></Relationships>",
        NULL,
};

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        fuzz_quiet_log();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char *const names[] = {
                "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/styles.xml",
                "xl/workbook.xml",          "xl/_rels/workbook.xml.rels", "[Content_Types].xml",
        };
        const char *parts[WORKBOOK_FUZZ_PARTS_MAX] = {};
        const char *contents[ELEMENTSOF(names)];
        char *buf;
        void *zip;
        size_t n, zip_size;

        if (workbook_fuzz_is_zip(data, size)) {
                workbook_fuzz_read(data, size, WORKBOOK_XLSX);
                return 0;
        }
        buf = malloc(size + 1);
        if (!buf)
                abort();
        n = workbook_fuzz_split(data, size, buf, parts);
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                contents[i] = i < n ? parts[i] : defaults[i];
        zip = workbook_fuzz_zip(names, contents, ELEMENTSOF(names), &zip_size);
        workbook_fuzz_read(zip, zip_size, WORKBOOK_XLSX);
        free(zip);
        free(buf);
        return 0;
}
