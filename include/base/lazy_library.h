/* lazy_library.h — a shared library loaded by dlopen() at the first call of
 * one of its functions, so that a program that never calls it does not map
 * and relocate it at exec (issue 14). Used by base/xml_lazy.c (libxml2),
 * base/systemd_lazy.c (libsystemd), base/crypto_lazy.c (libcrypto),
 * base/zip_lazy.c (libzip) and writers/harfbuzz_lazy.c (HarfBuzz): each
 * defines the library's functions it needs with LAZY_FORWARD, and nothing
 * links the library.
 * chorus/curl_lazy.c loads libcurl its own way: all its functions at once,
 * its setters being variadic. */
#pragma once

#include <pthread.h>
#include <stdbool.h>

typedef struct LazyLibrary {
        const char *soname;
        /* Failures said on stderr rather than through log.c: log.c's
         * journal output goes through this very library (libsystemd). */
        bool say_on_stderr;
        pthread_mutex_t lock;
        bool tried;
        void *handle;
} LazyLibrary;

#define LAZY_LIBRARY(name, stderr_only)                                          \
        { .soname = (name), .say_on_stderr = (stderr_only), .lock = PTHREAD_MUTEX_INITIALIZER }

/* The function `name` of `lib`, the library dlopen()ed at the first call;
 * NULL when the library or the function cannot be had: the library's
 * failure is said once, a missing function at each look-up. */
void *lazy_library_symbol(LazyLibrary *lib, const char *name);

/* One forwarder: looks the real function up once, then calls it; returns
 * `fail` when it cannot be had. Hidden: never in the program's dynamic
 * symbol table, so that a library linked at build time by a test (or
 * pulled in by another) keeps calling its own functions, not these. */
#define LAZY_FORWARD(lib, ret, name, params, args, fail)                         \
        __attribute__((visibility("hidden"))) ret name params {                  \
                static ret(*real) params;                                        \
                if (!real)                                                       \
                        *(void **) &real = lazy_library_symbol(&(lib), #name);   \
                if (!real)                                                       \
                        return fail;                                             \
                return real args;                                                \
        }
#define LAZY_FORWARD_VOID(lib, name, params, args)                               \
        __attribute__((visibility("hidden"))) void name params {                 \
                static void(*real) params;                                       \
                if (!real)                                                       \
                        *(void **) &real = lazy_library_symbol(&(lib), #name);   \
                if (real)                                                        \
                        real args;                                               \
        }
