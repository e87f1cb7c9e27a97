/* fuzz_http_headers — the HTTP headers chorusd reads from Chorus Pro and
 * PISTE answers: the header-line capture of chorus_http.c
 * (chorus_http_header_capture(), what libcurl's header callback does),
 * Retry-After (retry_after_parse(): delay-seconds or HTTP-date) and
 * WWW-Authenticate (chorus_www_authenticate_parse()), then both as
 * chorus_answer_check() sees them on 429, 503 and 401 answers.
 *
 * The input is a header block, one header per line ("Name: value\r\n"). */
#include "chorus/chorus_error.h"
#include "chorus/chorus_http.h"
#include "fuzz.h"
#include "chorus/retry.h"

#define NOW ((time_t) 1796083200)

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        fuzz_quiet_log();
        return 0;
}

static void check_answers(const char *retry_after, const char *www_authenticate) {
        static const long statuses[] = { 429, 503, 401 };

        for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
                ChorusHttpAnswer a = {
                        .status = statuses[i],
                        .connected = true,
                        .body = "",
                        .retry_after = retry_after,
                        .www_authenticate = www_authenticate,
                        .url = "https://127.0.0.1/cpro/fuzz",
                };
                ChorusError e = {};
                cJSON *json = NULL;

                if (chorus_answer_check(&a, "fuzz", NOW, &json, &e) >= 0)
                        abort(); /* none of these statuses is a success */
                chorus_error_done(&e);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *p = (const char *) data, *end = p + size;
        char *retry_after = NULL, *www_authenticate = NULL, *error = NULL, *description = NULL;
        uint64_t usec;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t len = nl ? (size_t) (nl - p) + 1 : (size_t) (end - p);
                /* libcurl hands over each line with its "\r\n", not NUL-terminated:
                 * a copy of exactly len bytes lets ASan see any over-read. */
                char *line = malloc(len ? len : 1);
                if (!line)
                        abort();
                memcpy(line, p, len);
                chorus_http_header_capture(line, len, "Retry-After", &retry_after);
                chorus_http_header_capture(line, len, "WWW-Authenticate", &www_authenticate);
                free(line);
                p += len;
        }
        if (retry_after)
                (void) retry_after_parse(retry_after, NOW, &usec);
        if (www_authenticate && chorus_www_authenticate_parse(www_authenticate, &error, &description) >= 0) {
                free(error);
                free(description);
        }
        check_answers(retry_after, www_authenticate);
        free(retry_after);
        free(www_authenticate);

        /* And the whole input as one value. */
        {
                char *s = fuzz_strndup(data, size);
                (void) retry_after_parse(s, NOW, &usec);
                error = description = NULL;
                if (chorus_www_authenticate_parse(s, &error, &description) >= 0) {
                        free(error);
                        free(description);
                }
                free(s);
        }
        return 0;
}
