/* zipfixture.c — ZIP archives built in memory (zipfixture.h). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "zipfixture.h"

/* The bytes a closed in-memory archive left in its source. */
static void *zipfixture_take(zip_source_t *source, size_t *ret_size) {
        zip_int64_t size, n;
        void *data;

        cr_assert_eq(zip_source_open(source), 0);
        cr_assert_eq(zip_source_seek(source, 0, SEEK_END), 0);
        size = zip_source_tell(source);
        cr_assert_geq(size, 0);
        cr_assert_eq(zip_source_seek(source, 0, SEEK_SET), 0);
        data = malloc(size > 0 ? (size_t) size : 1);
        cr_assert_not_null(data);
        n = zip_source_read(source, data, (zip_uint64_t) size);
        cr_assert_eq(n, size);
        zip_source_close(source);
        *ret_size = (size_t) size;
        return data;
}

void *zipfixture_build(const ZipFixtureEntry *entries, size_t n, size_t *ret_size) {
        zip_error_t error;
        zip_source_t *out;
        zip_t *zip;
        void *data;

        zip_error_init(&error);
        out = zip_source_buffer_create(NULL, 0, 0, &error);
        cr_assert_not_null(out);
        zip_source_keep(out);
        zip = zip_open_from_source(out, ZIP_TRUNCATE, &error);
        cr_assert_not_null(zip, "zip_open_from_source: %s", zip_error_strerror(&error));
        for (size_t i = 0; i < n; i++) {
                const ZipFixtureEntry *e = &entries[i];
                const void *bytes = e->text ? (const void *) e->text : e->data;
                size_t size = e->text ? strlen(e->text) : e->size;
                zip_source_t *source = zip_source_buffer(zip, bytes, size, 0);
                zip_int64_t index;

                cr_assert_not_null(source);
                index = zip_file_add(zip, e->name, source, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE);
                cr_assert_geq(index, 0, "zip_file_add(%s): %s", e->name, zip_strerror(zip));
                cr_assert_eq(zip_set_file_compression(zip, (zip_uint64_t) index,
                                                      e->store ? ZIP_CM_STORE : ZIP_CM_DEFLATE, 0), 0);
                cr_assert_eq(zip_file_set_mtime(zip, (zip_uint64_t) index, 1767225600, 0), 0);
                if (e->password)
                        cr_assert_eq(zip_file_set_encryption(zip, (zip_uint64_t) index, ZIP_EM_AES_256,
                                                             e->password), 0);
        }
        cr_assert_eq(zip_close(zip), 0, "zip_close: %s", zip_strerror(zip));
        data = zipfixture_take(out, ret_size);
        zip_source_free(out);
        zip_error_fini(&error);
        return data;
}
