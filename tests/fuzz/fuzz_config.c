/* fuzz_config — config_parse_text(): the INI configuration (libinih and
 * the checks of daemon/base/config.c), parsed from memory as config_load() does
 * once it has read the file (writing each input to a file cost half the
 * time of this target). */
#include "base/config.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        fuzz_quiet_log();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Diagnostics diags = DIAGNOSTICS_INIT;
        Config *c = NULL;
        int r;

        /* The checks open [chorus] ca_file to see it is a regular file. A
         * fuzzer running as root must not open devices (opening
         * /dev/watchdog arms it): inputs naming one are skipped. */
        if (memmem(data, size, "dev", 3) || memmem(data, size, "watchdog", 8))
                return 0;
        r = config_parse_text("chorusd.conf", (const char *) data, size, &c, &diags);
        if (r >= 0) {
                char number[INVOICE_NUMBER_MAX + 1];
                if (!c)
                        abort();
                (void) config_format_invoice_number(c, 2026, 7, number);
        }
        config_free(c);
        diagnostics_clear(&diags);
        return 0;
}
