/* fuzz_chorus_token — chorus_token_answer_parse(): the answer of the PISTE
 * OAuth token endpoint (access_token, expires_in; error and
 * error_description when refused). The input is the body, checked as a 200
 * answer and as the 400 and 401 answers PISTE gives a bad client. */
#include "chorus/chorus_error.h"
#include "fuzz.h"

#define NOW ((time_t) 1796083200)

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        fuzz_quiet_log();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const long statuses[] = { 200, 400, 401 };
        char *body = fuzz_strndup(data, size);

        for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
                ChorusHttpAnswer a = {
                        .status = statuses[i],
                        .connected = true,
                        .body = body,
                        .body_size = size,
                        .url = "https://127.0.0.1/api/oauth/token",
                };
                ChorusError e = {};
                char *token = NULL;
                uint64_t lifetime = 0;
                int r;

                r = chorus_token_answer_parse(&a, NOW, &token, &lifetime, &e);
                if (r >= 0) {
                        if (!token || lifetime < 1000000 || lifetime > 86400ULL * 1000000)
                                abort(); /* the lifetime is clamped to [1 s, 1 day] */
                        free(token);
                } else if (!e.message && r != -ENOMEM)
                        abort();
                chorus_error_done(&e);
        }
        free(body);
        return 0;
}
