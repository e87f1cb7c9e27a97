/* fuzz_bilan — bilan_parse() and bilan_peek_convention(): the JSON a CMA
 * drops into the spool, against the sample conventions (config/conventions.d
 * and tests/data/conventions, loaded once). */
#include "core/bilan.h"
#include "fuzz.h"
#include "service/convention_dir.h"

static ConventionSet *conventions;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        Diagnostics diags = DIAGNOSTICS_INIT;
        const char *dir = getenv("FUZZ_CONVENTIONS_DIR");

        (void) argc;
        (void) argv;
        fuzz_quiet_log();
        if (convention_set_load_dir(dir ? dir : "config/conventions.d", &conventions, &diags) < 0) {
                diagnostics_print(&diags, stderr, false);
                fprintf(stderr, "fuzz_bilan: cannot load the conventions (run from the repository, "
                                "or set FUZZ_CONVENTIONS_DIR)\n");
                abort();
        }
        diagnostics_clear(&diags);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Diagnostics diags = DIAGNOSTICS_INIT;
        const Convention *convention = NULL;
        Bilan *b = NULL;
        int r;

        free(bilan_peek_convention((const char *) data, size));
        r = bilan_parse("fuzz.json", (const char *) data, size, conventions, &b, &convention, &diags);
        if (r >= 0 && (!b || !convention))
                abort();
        bilan_free(b);
        diagnostics_clear(&diags);
        return 0;
}
