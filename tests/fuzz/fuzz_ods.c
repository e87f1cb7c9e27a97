/* fuzz_ods — workbook_read() of an .ods (daemon/core/workbook_zip.c and
 * workbook_ods.c): the spreadsheet bilans LibreOffice users drop.
 *
 * An input that starts with "PK" is the whole file; any other input is
 * split at NUL bytes into content.xml, styles.xml and META-INF/manifest.xml
 * (a default manifest when that part is empty), wrapped into a valid ZIP
 * that starts with the stored "mimetype" entry, as LibreOffice writes it.
 * Every cell of every sheet is then looked at. */
#include <zip.h>

#include "core/workbook.h"
#include "fuzz.h"
#include "fuzz_workbook.h"

static const char mimetype[] = "application/vnd.oasis.opendocument.spreadsheet";
static const char manifest_default[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><manifest:manifest xmlns:manifest=\"urn:oasis:names:"
        "tc:opendocument:xmlns:manifest:1.0\" manifest:version=\"1.3\"><manifest:file-entry "
        "manifest:full-path=\"/\" manifest:media-type=\"application/vnd.oasis.opendocument.spreadsheet\"/>"
        "<manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/>"
        "</manifest:manifest>";

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        fuzz_quiet_log();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        FuzzPart parts[3];
        FuzzZipEntry entries[4];
        void *zip = NULL;
        size_t zip_size = 0;

        if (size >= 2 && data[0] == 'P' && data[1] == 'K') {
                fuzz_workbook_read(data, size, WORKBOOK_ODS);
                return 0;
        }
        fuzz_split(data, size, parts, 3);
        entries[0] = (FuzzZipEntry) { "mimetype", mimetype, sizeof mimetype - 1 };
        entries[1] = (FuzzZipEntry) { "content.xml", parts[0].data, parts[0].size };
        entries[2] = (FuzzZipEntry) { "styles.xml", parts[1].data, parts[1].size };
        entries[3] = parts[2].size > 0 ?
                (FuzzZipEntry) { "META-INF/manifest.xml", parts[2].data, parts[2].size } :
                (FuzzZipEntry) { "META-INF/manifest.xml", manifest_default, sizeof manifest_default - 1 };
        fuzz_zip_build(entries, 4, &zip, &zip_size);
        fuzz_workbook_read(zip, zip_size, WORKBOOK_ODS);
        free(zip);
        return 0;
}
