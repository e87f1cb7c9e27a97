/* curl_lazy.c — libcurl, loaded when first called (issue 14).
 *
 * libcurl is the heaviest library we link: with what it depends on
 * (GnuTLS through librtmp, Kerberos, LDAP, libssh2, nghttp2, libidn2,
 * libpsl, brotli, zstd) it was 12 M of the 23 M instructions the dynamic
 * loader spent before main() of every chorusctl, and 4.4 MiB of its peak
 * RSS, for commands such as `chorusctl render` that never talk to Chorus
 * Pro. So chorusd and chorusctl are not linked with -lcurl: this file
 * defines the libcurl functions we call, and the first call dlopen()s
 * libcurl.so.4 (the soname Debian's libcurl4 ships) and forwards each to
 * the real one through dlsym() on that handle. chorusd calls
 * curl_global_init() at start, so it loads libcurl then, as before.
 *
 * The variadic setters are forwarded by the type libcurl encodes in the
 * option number (curl.h: CURLOPTTYPE_LONG, OBJECTPOINT, FUNCTIONPOINT,
 * OFF_T, BLOB), as libcurl itself reads them; getinfo always takes a
 * pointer. If libcurl cannot be loaded, the reason is logged once and every
 * call fails as libcurl says it fails (CURLE_FAILED_INIT, NULL), so that
 * the callers' error paths (chorusd: EX_CONFIG at start) apply. */
#define CURL_DISABLE_TYPECHECK 1 /* the functions, not curl.h's checking macros */
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/log.h"

#define CURL_SONAME "libcurl.so.4"

typedef void (*CurlAnyFunction)(void);

/* The real functions, by name: one table so that loading is one loop. */
static struct {
        CURLcode (*global_init)(long);
        void (*global_cleanup)(void);
        curl_version_info_data *(*version_info)(CURLversion);
        CURL *(*easy_init)(void);
        void (*easy_cleanup)(CURL *);
        CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
        CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
        CURLcode (*easy_perform)(CURL *);
        const char *(*easy_strerror)(CURLcode);
        struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
        void (*slist_free_all)(struct curl_slist *);
        CURLM *(*multi_init)(void);
        CURLMcode (*multi_cleanup)(CURLM *);
        CURLMcode (*multi_setopt)(CURLM *, CURLMoption, ...);
        CURLMcode (*multi_add_handle)(CURLM *, CURL *);
        CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
        CURLMcode (*multi_assign)(CURLM *, curl_socket_t, void *);
        CURLMcode (*multi_socket_action)(CURLM *, curl_socket_t, int, int *);
        CURLMsg *(*multi_info_read)(CURLM *, int *);
        CURLSH *(*share_init)(void);
        CURLSHcode (*share_setopt)(CURLSH *, CURLSHoption, ...);
        CURLSHcode (*share_cleanup)(CURLSH *);
} real;

static const struct {
        const char *name;
        size_t offset;
} curl_symbols[] = {
#define SYM(field, name) { name, offsetof(__typeof__(real), field) }
        SYM(global_init, "curl_global_init"),
        SYM(global_cleanup, "curl_global_cleanup"),
        SYM(version_info, "curl_version_info"),
        SYM(easy_init, "curl_easy_init"),
        SYM(easy_cleanup, "curl_easy_cleanup"),
        SYM(easy_setopt, "curl_easy_setopt"),
        SYM(easy_getinfo, "curl_easy_getinfo"),
        SYM(easy_perform, "curl_easy_perform"),
        SYM(easy_strerror, "curl_easy_strerror"),
        SYM(slist_append, "curl_slist_append"),
        SYM(slist_free_all, "curl_slist_free_all"),
        SYM(multi_init, "curl_multi_init"),
        SYM(multi_cleanup, "curl_multi_cleanup"),
        SYM(multi_setopt, "curl_multi_setopt"),
        SYM(multi_add_handle, "curl_multi_add_handle"),
        SYM(multi_remove_handle, "curl_multi_remove_handle"),
        SYM(multi_assign, "curl_multi_assign"),
        SYM(multi_socket_action, "curl_multi_socket_action"),
        SYM(multi_info_read, "curl_multi_info_read"),
        SYM(share_init, "curl_share_init"),
        SYM(share_setopt, "curl_share_setopt"),
        SYM(share_cleanup, "curl_share_cleanup"),
#undef SYM
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static bool curl_loaded;

static void curl_load(void) {
        void *h = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);

        if (!h) {
                log_error("Cannot load %s: %s", CURL_SONAME, dlerror());
                return;
        }
        for (size_t i = 0; i < sizeof curl_symbols / sizeof curl_symbols[0]; i++) {
                void *f = dlsym(h, curl_symbols[i].name);

                if (!f) {
                        log_error("Cannot load %s: no %s.", CURL_SONAME, curl_symbols[i].name);
                        return; /* the handle stays: nothing of it is called */
                }
                *(void **) ((char *) &real + curl_symbols[i].offset) = f;
        }
        curl_loaded = true;
}

static bool curl_ready(void) {
        (void) pthread_once(&curl_once, curl_load);
        return curl_loaded;
}

CURLcode curl_global_init(long flags) {
        return curl_ready() ? real.global_init(flags) : CURLE_FAILED_INIT;
}

void curl_global_cleanup(void) {
        if (curl_ready())
                real.global_cleanup();
}

curl_version_info_data *curl_version_info(CURLversion age) {
        static curl_version_info_data none; /* age 0: nothing beyond the first fields */

        return curl_ready() ? real.version_info(age) : &none;
}

CURL *curl_easy_init(void) {
        return curl_ready() ? real.easy_init() : NULL;
}

void curl_easy_cleanup(CURL *curl) {
        if (curl_ready())
                real.easy_cleanup(curl);
}

CURLcode curl_easy_perform(CURL *curl) {
        return curl_ready() ? real.easy_perform(curl) : CURLE_FAILED_INIT;
}

const char *curl_easy_strerror(CURLcode code) {
        return curl_ready() ? real.easy_strerror(code) : "libcurl could not be loaded";
}

/* The argument of a setter, by the type its option number encodes. */
typedef enum CurlArgType { ARG_LONG, ARG_POINTER, ARG_FUNCTION, ARG_OFF_T } CurlArgType;

static CurlArgType curl_arg_type(int option) {
        if (option < CURLOPTTYPE_OBJECTPOINT)
                return ARG_LONG;
        if (option < CURLOPTTYPE_FUNCTIONPOINT)
                return ARG_POINTER;
        if (option < CURLOPTTYPE_OFF_T)
                return ARG_FUNCTION;
        if (option < CURLOPTTYPE_BLOB)
                return ARG_OFF_T;
        return ARG_POINTER;
}

/* r = setter(handle, option, the next argument of `ap` read as the type
 * the option number encodes): for the easy and multi setters alike. */
#define FORWARD_TYPED_ARG(r, setter, handle, option, ap)                         \
        switch (curl_arg_type((int) (option))) {                                 \
        case ARG_LONG:                                                           \
                (r) = setter(handle, option, va_arg(ap, long));                  \
                break;                                                           \
        case ARG_POINTER:                                                        \
                (r) = setter(handle, option, va_arg(ap, void *));                \
                break;                                                           \
        case ARG_FUNCTION:                                                       \
                (r) = setter(handle, option, va_arg(ap, CurlAnyFunction));       \
                break;                                                           \
        case ARG_OFF_T:                                                          \
                (r) = setter(handle, option, va_arg(ap, curl_off_t));            \
                break;                                                           \
        }

CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...) {
        CURLcode r = CURLE_FAILED_INIT;
        va_list ap;

        if (!curl_ready())
                return r;
        va_start(ap, option);
        FORWARD_TYPED_ARG(r, real.easy_setopt, curl, option, ap);
        va_end(ap);
        return r;
}

CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...) {
        CURLcode r = CURLE_FAILED_INIT;
        va_list ap;

        if (!curl_ready())
                return r;
        va_start(ap, info);
        r = real.easy_getinfo(curl, info, va_arg(ap, void *)); /* always a pointer */
        va_end(ap);
        return r;
}

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *s) {
        return curl_ready() ? real.slist_append(list, s) : NULL;
}

void curl_slist_free_all(struct curl_slist *list) {
        if (curl_ready())
                real.slist_free_all(list);
}

CURLM *curl_multi_init(void) {
        return curl_ready() ? real.multi_init() : NULL;
}

CURLMcode curl_multi_cleanup(CURLM *multi) {
        return curl_ready() ? real.multi_cleanup(multi) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_setopt(CURLM *multi, CURLMoption option, ...) {
        CURLMcode r = CURLM_INTERNAL_ERROR;
        va_list ap;

        if (!curl_ready())
                return r;
        va_start(ap, option);
        FORWARD_TYPED_ARG(r, real.multi_setopt, multi, option, ap);
        va_end(ap);
        return r;
}

CURLMcode curl_multi_add_handle(CURLM *multi, CURL *curl) {
        return curl_ready() ? real.multi_add_handle(multi, curl) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_remove_handle(CURLM *multi, CURL *curl) {
        return curl_ready() ? real.multi_remove_handle(multi, curl) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_assign(CURLM *multi, curl_socket_t s, void *p) {
        return curl_ready() ? real.multi_assign(multi, s, p) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_socket_action(CURLM *multi, curl_socket_t s, int mask, int *running) {
        return curl_ready() ? real.multi_socket_action(multi, s, mask, running) : CURLM_INTERNAL_ERROR;
}

CURLMsg *curl_multi_info_read(CURLM *multi, int *left) {
        return curl_ready() ? real.multi_info_read(multi, left) : NULL;
}

CURLSH *curl_share_init(void) {
        return curl_ready() ? real.share_init() : NULL;
}

/* Share options are not typed by their number: libcurl reads an int for
 * SHARE/UNSHARE (a curl_lock_data), a function for LOCKFUNC/UNLOCKFUNC, a
 * pointer otherwise (USERDATA; an unknown option is refused by libcurl). */
CURLSHcode curl_share_setopt(CURLSH *share, CURLSHoption option, ...) {
        CURLSHcode r = CURLSHE_NOT_BUILT_IN;
        va_list ap;

        if (!curl_ready())
                return r;
        va_start(ap, option);
        switch (option) {
        case CURLSHOPT_SHARE:
        case CURLSHOPT_UNSHARE:
                r = real.share_setopt(share, option, va_arg(ap, int));
                break;
        case CURLSHOPT_LOCKFUNC:
        case CURLSHOPT_UNLOCKFUNC:
                r = real.share_setopt(share, option, va_arg(ap, CurlAnyFunction));
                break;
        default:
                r = real.share_setopt(share, option, va_arg(ap, void *));
                break;
        }
        va_end(ap);
        return r;
}

CURLSHcode curl_share_cleanup(CURLSH *share) {
        return curl_ready() ? real.share_cleanup(share) : CURLSHE_INVALID;
}
