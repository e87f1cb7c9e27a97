/* chorus_trust.c — the CA trust store of the Chorus Pro connections (see
 * chorus_trust.h).
 *
 * libcurl would parse the whole system bundle again for every connection
 * (CURLOPT_CA_CACHE_TIMEOUT keeps it only without a CA folder). It is built
 * here once per ChorusHttp from the same system bundle and folder plus
 * ca_file's certificates. (Leaving out the folder so that curl's cache
 * works would trust less than before, and that cache's rules change from one
 * libcurl version to the next.) Verification is unchanged: curl still asks
 * OpenSSL to verify the peer and the host name, and a connection that gets
 * no store fails, since curl's own store is left empty.
 *
 * The store is built when the first connection needs it: the bundle holds
 * some 140 certificates, and parsing them was 91 % of the time from exec to
 * READY=1 (issue 14). */
#include <curl/curl.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chorus/chorus_trust.h"
#include "base/fileio.h"
#include "base/fsutil.h"
#include "base/macro.h"

/* As libcurl's own CA cache (CURLOPT_CA_CACHE_TIMEOUT): a ca-certificates
 * update, a distrusted root removed, is seen within a day, reload or not. */
#define TRUST_STORE_MAX_AGE_USEC (UINT64_C(24) * 3600 * 1000000)

struct ChorusTrust {
        STACK_OF(X509) *extra_ca;
        char *system_ca_file;        /* what libcurl would load itself */
        char *system_ca_path;
        X509_STORE *store;           /* system CAs + extra_ca, for every connection */
        uint64_t built_usec;         /* CLOCK_BOOTTIME */
        uint64_t built_monotonic_usec;
        uint64_t max_age_usec;
        unsigned generation;
        char *error;                 /* why the last build failed */
};

/* ---- the extra CA bundle ---- */

static int ca_parse(const char *pem, size_t size, STACK_OF(X509) **ret) {
        STACK_OF(X509) *certs = sk_X509_new_null();
        STACK_OF(X509_INFO) *infos = NULL;
        BIO *bio = BIO_new_mem_buf(pem, (int) size);

        if (!certs || !bio) {
                sk_X509_free(certs);
                BIO_free(bio);
                return -ENOMEM;
        }
        infos = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL);
        BIO_free(bio);
        for (int i = 0; infos && i < sk_X509_INFO_num(infos); i++) {
                X509_INFO *info = sk_X509_INFO_value(infos, i);
                if (info->x509 && sk_X509_push(certs, info->x509) > 0)
                        info->x509 = NULL; /* now owned by certs */
        }
        sk_X509_INFO_pop_free(infos, X509_INFO_free);
        ERR_clear_error();
        *ret = certs;
        return 0;
}

/* Sets *reterr_message (when the caller wants one) and returns `error`. */
static int ca_error(char **reterr_message, int error, const char *format, ...) _printf_(3, 4);
static int ca_error(char **reterr_message, int error, const char *format, ...) {
        va_list ap;

        if (!reterr_message)
                return error;
        va_start(ap, format);
        if (vasprintf(reterr_message, format, ap) < 0)
                *reterr_message = NULL;
        va_end(ap);
        return error;
}

static int ca_load(const char *path, STACK_OF(X509) **ret, char **reterr_message) {
        _cleanup_(closep) int fd = -1;
        _cleanup_(freep) char *pem = NULL;
        STACK_OF(X509) *certs = NULL;
        size_t size;
        int r;

        /* Symlinks are fine here (/etc/ssl/certs is made of them): the file
         * is public material, not a secret. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                r = negative_errno();
                return ca_error(reterr_message, r, "cannot open ca_file '%s': %s", path, strerror(-r));
        }
        r = read_fd_bounded(fd, CHORUS_TRUST_CA_FILE_MAX, &pem, &size);
        if (r < 0)
                return ca_error(reterr_message, r, "cannot read ca_file '%s': %s", path, strerror(-r));
        r = ca_parse(pem, size, &certs);
        if (r < 0)
                return r;
        if (sk_X509_num(certs) == 0) {
                sk_X509_free(certs);
                return ca_error(reterr_message, -EINVAL, "ca_file '%s' holds no PEM certificate", path);
        }
        *ret = certs;
        return 0;
}

/* ---- the trust store ---- */

/* The system bundle and folder libcurl was built with (Debian:
 * /etc/ssl/certs/ca-certificates.crt and /etc/ssl/certs). */
static int trust_paths_setup(ChorusTrust *t) {
        const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
        const char *file = NULL, *path = NULL;

        if (v->age >= CURLVERSION_SEVENTH) {
                file = v->cainfo;
                path = v->capath;
        }
        t->max_age_usec = TRUST_STORE_MAX_AGE_USEC;
#ifdef CHORUSD_TEST_HOOKS
        /* CHORUSD_TEST_SYSTEM_CA_FILE stands for the system bundle (and no
         * folder); CHORUSD_TEST_CA_MAX_AGE_MS shortens the day. Only in
         * builds made with TEST_HOOKS=1 (make check). */
        const char *e = getenv("CHORUSD_TEST_SYSTEM_CA_FILE");
        if (e) {
                file = e;
                path = NULL;
        }
        e = getenv("CHORUSD_TEST_CA_MAX_AGE_MS");
        if (e)
                t->max_age_usec = strtoull(e, NULL, 10) * 1000;
#endif
        if (file && !(t->system_ca_file = strdup(file)))
                return -ENOMEM;
        if (path && !(t->system_ca_path = strdup(path)))
                return -ENOMEM;
        return 0;
}

static int trust_store_load(const ChorusTrust *t, X509_STORE *store, char **reterr_message) {
        if (t->system_ca_file && !X509_STORE_load_file(store, t->system_ca_file))
                return ca_error(reterr_message, -EIO, "cannot load the system CA certificates from '%s'",
                                t->system_ca_file);
        if (t->system_ca_path && !X509_STORE_load_path(store, t->system_ca_path))
                return ca_error(reterr_message, -EIO, "cannot use the system CA folder '%s'", t->system_ca_path);
        /* A libcurl built with neither: OpenSSL's own defaults, as curl's
         * --with-ca-fallback does. */
        if (!t->system_ca_file && !t->system_ca_path && !X509_STORE_set_default_paths(store))
                return ca_error(reterr_message, -EIO, "cannot load OpenSSL's default CA certificates");
        /* Adding a certificate the bundle already holds is a no-op (OpenSSL
         * ≥ 1.1.1), not a failure. */
        for (int i = 0; i < sk_X509_num(t->extra_ca); i++)
                if (!X509_STORE_add_cert(store, sk_X509_value(t->extra_ca, i)))
                        return ca_error(reterr_message, -ENOMEM, "cannot add the ca_file certificates");
        /* The flags libcurl sets on the store it builds itself. */
        if (!X509_STORE_set_flags(store, X509_V_FLAG_TRUSTED_FIRST | X509_V_FLAG_PARTIAL_CHAIN))
                return -ENOMEM;
        return 0;
}

static int trust_store_new(const ChorusTrust *t, X509_STORE **ret, char **reterr_message) {
        X509_STORE *store = X509_STORE_new();
        int r;

        if (!store)
                return -ENOMEM;
        r = trust_store_load(t, store, reterr_message);
        /* Leave nothing in OpenSSL's error queue for curl to report later. */
        ERR_clear_error();
        if (r < 0) {
                X509_STORE_free(store);
                return r;
        }
        *ret = store;
        return 0;
}

int chorus_trust_new(const char *ca_file, ChorusTrust **ret, char **reterr_message) {
        _cleanup_(chorus_trust_freep) ChorusTrust *t = calloc(1, sizeof(ChorusTrust));
        int r;

        if (!t)
                return -ENOMEM;
        if (ca_file) {
                r = ca_load(ca_file, &t->extra_ca, reterr_message);
                if (r < 0)
                        return r;
        }
        r = trust_paths_setup(t);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(t);
        return 0;
}

ChorusTrust *chorus_trust_free(ChorusTrust *t) {
        if (!t)
                return NULL;
        sk_X509_pop_free(t->extra_ca, X509_free);
        X509_STORE_free(t->store);
        free(t->error);
        free(t->system_ca_file);
        free(t->system_ca_path);
        free(t);
        return NULL;
}

X509_STORE *chorus_trust_store(ChorusTrust *t, bool refresh) {
        uint64_t now = now_clock_usec(CLOCK_BOOTTIME);
        X509_STORE *store = NULL;

        if (!refresh || (t->store && now - t->built_usec < t->max_age_usec))
                return t->store;
        free(t->error);
        t->error = NULL;
        if (trust_store_new(t, &store, &t->error) < 0)
                return t->store;
        X509_STORE_free(t->store);
        t->store = store;
        t->built_usec = now;
        t->built_monotonic_usec = now_clock_usec(CLOCK_MONOTONIC);
        t->generation++;
        return store;
}

const char *chorus_trust_error(const ChorusTrust *t) {
        return t->error;
}

unsigned chorus_trust_generation(const ChorusTrust *t) {
        return t->generation;
}

uint64_t chorus_trust_built_monotonic(const ChorusTrust *t) {
        return t->built_monotonic_usec;
}
