/* test_lazy_library.c — base/lazy_library.c: a library dlopen()ed at the
 * first look-up, its functions found, and a missing library or function
 * answered NULL (the callers then fail as the library would). */
#include <criterion/criterion.h>

#include "base/lazy_library.h"

static LazyLibrary libm_library = LAZY_LIBRARY("libm.so.6", true);
static LazyLibrary missing_library = LAZY_LIBRARY("libchorusd-no-such-library.so.0", true);

Test(lazy_library, loads_at_first_lookup_and_finds_functions) {
        double (*f)(double);

        cr_expect_not(libm_library.tried, "loaded before any look-up");
        *(void **) &f = lazy_library_symbol(&libm_library, "sqrt");
        cr_assert_not_null(f);
        cr_expect(libm_library.tried && libm_library.handle);
        cr_expect_eq(f(16.0), 4.0);
        cr_expect_null(lazy_library_symbol(&libm_library, "chorusd_no_such_function"));
        cr_expect_not_null(lazy_library_symbol(&libm_library, "sqrt"), "a missing function spoils nothing");
}

Test(lazy_library, missing_library_answers_null_every_time) {
        cr_expect_null(lazy_library_symbol(&missing_library, "anything"));
        cr_expect(missing_library.tried);
        cr_expect_null(missing_library.handle);
        cr_expect_null(lazy_library_symbol(&missing_library, "anything"), "tried once, still NULL");
}
