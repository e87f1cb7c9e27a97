/* fuzz_config — config_load(): the INI configuration (libinih and the
 * checks of daemon/config.c). config_load() only takes a path: the input is
 * written to a file in /dev/shm (memory) for each run. */
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
        char path[512];
        int r;

        /* config_load() opens [chorus] ca_file to check it is a regular
         * file. A fuzzer running as root must not open devices (opening
         * /dev/watchdog arms it): inputs naming one are skipped. */
        if (memmem(data, size, "dev", 3) || memmem(data, size, "watchdog", 8))
                return 0;
        fuzz_write_file("chorusd.conf", data, size, path);
        r = config_load(path, &c, &diags);
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
