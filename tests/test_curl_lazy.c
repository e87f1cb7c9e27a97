/* test_curl_lazy.c — chorus/curl_lazy.c: libcurl loaded at the first call
 * (nothing links -lcurl), every forwarded function reaches the real one,
 * and the variadic setters pass each kind of argument (long, pointer,
 * function, curl_off_t; the share options by name) to libcurl, which
 * takes each (the URL read back through getinfo). On x86-64 the integer
 * kinds travel in the same registers: this checks the forwarding and the
 * dispatch, not an ABI where long and curl_off_t differ. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <string.h>

static size_t write_nothing(char *p, size_t size, size_t n, void *userdata) {
        (void) p;
        (void) userdata;
        return size * n;
}

static void lock_nothing(CURL *h, curl_lock_data d, curl_lock_access a, void *userdata) {
        (void) h, (void) d, (void) a, (void) userdata;
}

static void unlock_nothing(CURL *h, curl_lock_data d, void *userdata) {
        (void) h, (void) d, (void) userdata;
}

Test(curl_lazy, loaded_at_first_call_and_forwarded) {
        CURLSH *share;
        CURL *h;
        CURLM *m;
        struct curl_slist *l;
        long code = -1;
        char *url = NULL;

        cr_expect_null(dlopen("libcurl.so.4", RTLD_NOW | RTLD_NOLOAD), "libcurl loaded before any call");
        cr_assert_eq(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
        cr_expect_not_null(dlopen("libcurl.so.4", RTLD_NOW | RTLD_NOLOAD), "libcurl not loaded by the first call");
        cr_assert_not_null(curl_version_info(CURLVERSION_NOW));
        cr_expect_not_null(curl_version_info(CURLVERSION_NOW)->version);
        cr_expect_str_eq(curl_easy_strerror(CURLE_OK), "No error");

        h = curl_easy_init();
        cr_assert_not_null(h);
        cr_expect_eq(curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 1000L), CURLE_OK); /* long */
        cr_expect_eq(curl_easy_setopt(h, CURLOPT_URL, "http://127.0.0.1:9/x"), CURLE_OK); /* pointer */
        cr_expect_eq(curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_nothing), CURLE_OK); /* function */
        cr_expect_eq(curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) 1 << 40), CURLE_OK); /* off_t */
        cr_expect_eq(curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 7L), CURLE_OK);
        cr_expect_eq(curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code), CURLE_OK);
        cr_expect_eq(code, 0);
        cr_expect_eq(curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &url), CURLE_OK);
        cr_expect_str_eq(url, "http://127.0.0.1:9/x", "the URL did not go through as a pointer");

        share = curl_share_init();
        cr_assert_not_null(share);
        cr_expect_eq(curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION), CURLSHE_OK);
        cr_expect_eq(curl_share_setopt(share, CURLSHOPT_LOCKFUNC, lock_nothing), CURLSHE_OK);
        cr_expect_eq(curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, unlock_nothing), CURLSHE_OK);
        cr_expect_eq(curl_share_setopt(share, CURLSHOPT_USERDATA, NULL), CURLSHE_OK);
        cr_expect_eq(curl_share_setopt(share, CURLSHOPT_UNSHARE, CURL_LOCK_DATA_SSL_SESSION), CURLSHE_OK);
        cr_expect_eq(curl_easy_setopt(h, CURLOPT_SHARE, share), CURLE_OK);

        m = curl_multi_init();
        cr_assert_not_null(m);
        cr_expect_eq(curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, 4L), CURLM_OK);
        cr_expect_eq(curl_multi_setopt(m, CURLMOPT_SOCKETDATA, NULL), CURLM_OK);
        cr_expect_eq(curl_multi_add_handle(m, h), CURLM_OK);
        cr_expect_eq(curl_multi_remove_handle(m, h), CURLM_OK);
        cr_expect_eq(curl_multi_cleanup(m), CURLM_OK);

        l = curl_slist_append(NULL, "X-Test: 1");
        cr_assert_not_null(l);
        cr_expect_str_eq(l->data, "X-Test: 1");
        curl_slist_free_all(l);
        curl_easy_cleanup(h);
        cr_expect_eq(curl_share_cleanup(share), CURLSHE_OK);
        curl_global_cleanup();
}
