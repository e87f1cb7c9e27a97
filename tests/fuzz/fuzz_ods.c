/* fuzz_ods — workbook_read() on an OpenDocument spreadsheet: a whole .ods
 * (input starting "PK\3\4"), or the parts' XML separated by
 * WORKBOOK_FUZZ_SEPARATOR: content.xml, then META-INF/manifest.xml
 * (workbook_fuzz.h). */
#include "workbook_fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        fuzz_quiet_log();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char *const names[] = { "mimetype", "content.xml", "META-INF/manifest.xml", "Basic/x.xml" };
        const char *parts[WORKBOOK_FUZZ_PARTS_MAX] = {};
        const char *contents[ELEMENTSOF(names)];
        char *buf;
        void *zip;
        size_t n, zip_size;

        if (workbook_fuzz_is_zip(data, size)) {
                workbook_fuzz_read(data, size, WORKBOOK_ODS);
                return 0;
        }
        buf = malloc(size + 1);
        if (!buf)
                abort();
        n = workbook_fuzz_split(data, size, buf, parts);
        contents[0] = "application/vnd.oasis.opendocument.spreadsheet";
        contents[1] = parts[0];
        contents[2] = n > 1 ? parts[1] : NULL;
        contents[3] = n > 2 ? parts[2] : NULL;
        zip = workbook_fuzz_zip(names, contents, ELEMENTSOF(names), &zip_size);
        workbook_fuzz_read(zip, zip_size, WORKBOOK_ODS);
        free(zip);
        free(buf);
        return 0;
}
