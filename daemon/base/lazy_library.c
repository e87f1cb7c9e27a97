/* lazy_library.c — see lazy_library.h. */
#include <dlfcn.h>
#include <stdio.h>

#include "base/lazy_library.h"
#include "base/log.h"

/* "Cannot load SONAME: WHAT", through log.c or on stderr. Never called with
 * the library's lock held: log.c may load libsystemd the same way. */
static void lazy_library_say(const LazyLibrary *lib, const char *what) {
        if (lib->say_on_stderr)
                fprintf(stderr, "Cannot load %s: %s\n", lib->soname, what);
        else
                log_error("Cannot load %s: %s", lib->soname, what);
}

void *lazy_library_symbol(LazyLibrary *lib, const char *name) {
        char failure[512] = "";
        void *handle, *f;

        (void) pthread_mutex_lock(&lib->lock);
        if (!lib->tried) {
                lib->tried = true;
                lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
                if (!lib->handle) {
                        const char *why = dlerror();

                        (void) snprintf(failure, sizeof failure, "%s", why ? why : "dlopen() failed");
                }
        }
        handle = lib->handle;
        (void) pthread_mutex_unlock(&lib->lock);
        if (failure[0])
                lazy_library_say(lib, failure);
        if (!handle)
                return NULL;
        f = dlsym(handle, name);
        if (!f) {
                (void) snprintf(failure, sizeof failure, "no %s.", name);
                lazy_library_say(lib, failure);
        }
        return f;
}
