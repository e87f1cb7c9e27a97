/* fuzz_jobstate — job_parse(): a job's state file (STATE_DIR/jobs/ID.state),
 * read back at every start-up and by chorusctl. What parses must serialize,
 * and the serialization must parse to the same text again. */
#include "fuzz.h"
#include "service/jobstate.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        fuzz_quiet_log();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(job_freep) Job *j = NULL, *again = NULL;
        _cleanup_(freep) char *text = NULL, *text2 = NULL;
        size_t n, n2;

        if (job_parse((const char *) data, size, &j) < 0)
                return 0;
        if (job_serialize(j, &text, &n) < 0)
                abort();
        if (job_parse(text, n, &again) < 0)
                abort();
        if (job_serialize(again, &text2, &n2) < 0 || n != n2 || memcmp(text, text2, n) != 0)
                abort();
        return 0;
}
