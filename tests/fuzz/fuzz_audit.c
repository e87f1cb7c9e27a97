/* fuzz_audit — audit_verify() and audit_foreach(): the audit log reader of
 * `chorusctl audit verify` and `chorusctl audit show`; and audit_open(),
 * which reads the last record back when chorusd starts. They only take a
 * path: the input is written to a file in /dev/shm (memory) for each run. */
#include "service/audit.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        fuzz_quiet_log();
        return 0;
}

static int count(uint64_t seq, const char *time, const AuditRecord *rec, void *userdata) {
        (void) seq;
        (void) time;
        (void) rec;
        ++*(uint64_t *) userdata;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        AuditVerifyReport report;
        uint64_t n = 0;
        char path[512];

        AuditLog *a = NULL;
        int r;

        fuzz_write_file("audit.log", data, size, path);
        r = audit_verify(path, &report);
        if (r < 0 && r != -ENOMEM)
                abort(); /* a regular file, readable: the report says what is wrong */
        (void) audit_foreach(path, count, &n);
        /* Last, as it may cut a torn last line: the daemon's start-up read
         * of the log's tail (seq and hash of the last record). */
        if (audit_open(path, &a) >= 0)
                audit_free(a);
        return 0;
}
