/* fuzz_kvfile — kv_parse() and its getters: the KEY=VALUE state files
 * (kvfile.h). Checks too that what parses writes back to a file that
 * parses to the same keys and values (escaping round trip). */
#include "fuzz.h"
#include "base/kvfile.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        fuzz_quiet_log();
        return 0;
}

static void round_trip(const KvFile *kv) {
        _cleanup_(kv_writer_done) KvWriter w = KV_WRITER_INIT;
        _cleanup_(kv_file_freep) KvFile *again = NULL;
        _cleanup_(freep) char *text = NULL;
        size_t size;

        if (kv_writer_open(&w, kv->version) < 0)
                abort();
        for (size_t i = 0; i < kv->n; i++)
                kv_put(&w, kv->keys[i], kv->values[i]);
        if (kv_writer_finish(&w, &text, &size) < 0)
                abort();
        if (kv_parse(text, size, &again) < 0 || again->version != kv->version || again->n != kv->n)
                abort();
        for (size_t i = 0; i < kv->n; i++)
                if (strcmp(kv->keys[i], again->keys[i]) != 0 || strcmp(kv->values[i], again->values[i]) != 0)
                        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(kv_file_freep) KvFile *kv = NULL;
        char *copy;
        const char *v;
        uint64_t u;
        int64_t i;

        if (kv_parse((const char *) data, size, &kv) >= 0) {
                for (size_t k = 0; k < kv->n; k++) {
                        (void) kv_get(kv, kv->keys[k]);
                        (void) kv_get_optional(kv, kv->keys[k], &v);
                        (void) kv_get_u64(kv, kv->keys[k], &u);
                        (void) kv_get_i64(kv, kv->keys[k], &i);
                        (void) kv_get_nth(kv, kv->keys[k], 1);
                }
                round_trip(kv);
        }
        /* The escape decoder alone, on any bytes. */
        if (kv_unescape((const char *) data, size, &copy) >= 0)
                free(copy);
        return 0;
}
