/* fuzz_convention — convention_parse(): a convention document of
 * CONVENTIONS_DIR (written by people, read by the daemon at start-up). */
#include "core/convention.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        fuzz_quiet_log();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Diagnostics diags = DIAGNOSTICS_INIT;
        Convention *c = NULL;
        int r;

        r = convention_parse("fuzz.json", (const char *) data, size, &c, &diags);
        if (r >= 0 && !c)
                abort();
        if (r < 0 && r != -ENOMEM && !diagnostics_has_errors(&diags))
                abort(); /* every refusal must say why */
        convention_free(c);
        diagnostics_clear(&diags);
        return 0;
}
