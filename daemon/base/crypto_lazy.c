/* crypto_lazy.c — libcrypto (OpenSSL), loaded when first called (issue 14).
 *
 * libcrypto is the largest library chorusctl mapped at exec: 3 800 of the
 * dynamic loader's relocations, half of what a one-shot `chorusctl render`
 * costs once the fonts' snapshots had removed the rest, though a render
 * never hashes, signs or verifies anything. So nothing links -lcrypto:
 * this file defines the OpenSSL functions we call (SHA-256, HMAC, base64,
 * the trust store) and forwards them to libcrypto.so.3 dlopen()ed at the
 * first call (base/lazy_library.c). It is the very library libcurl's
 * libssl uses: one soname, one copy in the process, so the X509_STORE
 * chorus/chorus_trust.c builds is the one libssl verifies with.
 *
 * If it cannot be loaded (said once, through log.c) every call fails as
 * OpenSSL's own do (NULL, 0), and the callers' error paths apply: no
 * digest, no audit MAC, no trust store, hence no request. The stack
 * macros of <openssl/safestack.h> (sk_X509_num…) are inline calls of
 * OPENSSL_sk_*, forwarded here too. */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/stack.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "base/lazy_library.h"

static LazyLibrary crypto_library = LAZY_LIBRARY("libcrypto.so.3", false);

#define CRYPTO(ret, name, params, args, fail) LAZY_FORWARD(crypto_library, ret, name, params, args, fail)
#define CRYPTO_VOID(name, params, args) LAZY_FORWARD_VOID(crypto_library, name, params, args)

CRYPTO(const EVP_MD *, EVP_sha256, (void), (), NULL)
CRYPTO(EVP_MD_CTX *, EVP_MD_CTX_new, (void), (), NULL)
CRYPTO_VOID(EVP_MD_CTX_free, (EVP_MD_CTX *ctx), (ctx))
CRYPTO(int, EVP_DigestInit_ex, (EVP_MD_CTX *ctx, const EVP_MD *type, ENGINE *impl), (ctx, type, impl), 0)
CRYPTO(int, EVP_DigestUpdate, (EVP_MD_CTX *ctx, const void *d, size_t cnt), (ctx, d, cnt), 0)
CRYPTO(int, EVP_DigestFinal_ex, (EVP_MD_CTX *ctx, unsigned char *md, unsigned int *s), (ctx, md, s), 0)
CRYPTO(int, EVP_EncodeBlock, (unsigned char *t, const unsigned char *f, int n), (t, f, n), 0)
CRYPTO(unsigned char *, HMAC,
       (const EVP_MD *evp_md, const void *key, int key_len, const unsigned char *data, size_t data_len,
        unsigned char *md, unsigned int *md_len),
       (evp_md, key, key_len, data, data_len, md, md_len), NULL)

CRYPTO(BIO *, BIO_new_mem_buf, (const void *buf, int len), (buf, len), NULL)
CRYPTO(int, BIO_free, (BIO *a), (a), 0)
CRYPTO_VOID(ERR_clear_error, (void), ())
CRYPTO(STACK_OF(X509_INFO) *, PEM_X509_INFO_read_bio,
       (BIO *bp, STACK_OF(X509_INFO) *sk, pem_password_cb *cb, void *u), (bp, sk, cb, u), NULL)
CRYPTO_VOID(X509_INFO_free, (X509_INFO *a), (a))
CRYPTO_VOID(X509_free, (X509 *a), (a))

CRYPTO(X509_STORE *, X509_STORE_new, (void), (), NULL)
CRYPTO_VOID(X509_STORE_free, (X509_STORE *v), (v))
CRYPTO(int, X509_STORE_up_ref, (X509_STORE *v), (v), 0)
CRYPTO(int, X509_STORE_add_cert, (X509_STORE *ctx, X509 *x), (ctx, x), 0)
CRYPTO(int, X509_STORE_load_file, (X509_STORE *ctx, const char *file), (ctx, file), 0)
CRYPTO(int, X509_STORE_load_path, (X509_STORE *ctx, const char *path), (ctx, path), 0)
CRYPTO(int, X509_STORE_set_default_paths, (X509_STORE *ctx), (ctx), 0)
CRYPTO(int, X509_STORE_set_flags, (X509_STORE *ctx, unsigned long flags), (ctx, flags), 0)

CRYPTO(OPENSSL_STACK *, OPENSSL_sk_new_null, (void), (), NULL)
CRYPTO_VOID(OPENSSL_sk_free, (OPENSSL_STACK *st), (st))
CRYPTO_VOID(OPENSSL_sk_pop_free, (OPENSSL_STACK *st, void (*func)(void *)), (st, func))
CRYPTO(int, OPENSSL_sk_num, (const OPENSSL_STACK *st), (st), -1)
CRYPTO(void *, OPENSSL_sk_value, (const OPENSSL_STACK *st, int i), (st, i), NULL)
CRYPTO(int, OPENSSL_sk_push, (OPENSSL_STACK *st, const void *data), (st, data), 0)
