/* zip_lazy.c — libzip, loaded when first called (issue 14).
 *
 * Only a spreadsheet bilan (core/workbook_zip.c) and `chorusctl template`
 * (writers/bilan_template.c) use libzip, but linking it mapped and
 * relocated libzip, libbz2 and, through it, libcrypto in every chorusctl
 * at exec: libcrypto alone was half the dynamic loader's work in a
 * one-shot `chorusctl render` of a JSON bilan. So nothing links -lzip: this
 * file defines the libzip functions we call and forwards them to
 * libzip.so.4 dlopen()ed at the first call (base/lazy_library.c). If it
 * cannot be loaded (said once, through log.c) every call fails as
 * libzip's own do (NULL, -1), and the callers refuse the workbook with
 * their usual message. */
#define ZIP_EXTERN /* not zip.h's visibility("default"): ours are hidden */
#include <zip.h>

#include "base/lazy_library.h"

static LazyLibrary zip_library = LAZY_LIBRARY("libzip.so.4", false);

#define ZIP(ret, name, params, args, fail) LAZY_FORWARD(zip_library, ret, name, params, args, fail)
#define ZIP_VOID(name, params, args) LAZY_FORWARD_VOID(zip_library, name, params, args)

ZIP(zip_t *, zip_open_from_source, (zip_source_t *zs, int flags, zip_error_t *ze), (zs, flags, ze), NULL)
ZIP(int, zip_close, (zip_t *za), (za), -1)
ZIP_VOID(zip_discard, (zip_t *za), (za))
ZIP(zip_error_t *, zip_get_error, (zip_t *za), (za), NULL)
ZIP(int, zip_error_code_zip, (const zip_error_t *ze), (ze), ZIP_ER_INTERNAL)
ZIP_VOID(zip_error_init, (zip_error_t *ze), (ze))
ZIP_VOID(zip_error_fini, (zip_error_t *ze), (ze))
ZIP(zip_int64_t, zip_get_num_entries, (zip_t *za, zip_flags_t flags), (za, flags), -1)
ZIP(const char *, zip_get_name, (zip_t *za, zip_uint64_t index, zip_flags_t flags), (za, index, flags), NULL)
ZIP(zip_int64_t, zip_name_locate, (zip_t *za, const char *name, zip_flags_t flags), (za, name, flags), -1)
ZIP_VOID(zip_stat_init, (zip_stat_t *st), (st))
ZIP(int, zip_stat_index, (zip_t *za, zip_uint64_t index, zip_flags_t flags, zip_stat_t *st),
    (za, index, flags, st), -1)

ZIP(zip_file_t *, zip_fopen, (zip_t *za, const char *name, zip_flags_t flags), (za, name, flags), NULL)
ZIP(zip_file_t *, zip_fopen_index, (zip_t *za, zip_uint64_t index, zip_flags_t flags), (za, index, flags), NULL)
ZIP(zip_int64_t, zip_fread, (zip_file_t *zf, void *buf, zip_uint64_t n), (zf, buf, n), -1)
ZIP(int, zip_fclose, (zip_file_t *zf), (zf), ZIP_ER_INTERNAL)
ZIP(zip_error_t *, zip_file_get_error, (zip_file_t *zf), (zf), NULL)

ZIP(zip_int64_t, zip_file_add, (zip_t *za, const char *name, zip_source_t *zs, zip_flags_t flags),
    (za, name, zs, flags), -1)
ZIP(int, zip_file_set_dostime, (zip_t *za, zip_uint64_t index, zip_uint16_t time, zip_uint16_t date,
                                zip_flags_t flags),
    (za, index, time, date, flags), -1)
ZIP(int, zip_file_set_external_attributes,
    (zip_t *za, zip_uint64_t index, zip_flags_t flags, zip_uint8_t opsys, zip_uint32_t attributes),
    (za, index, flags, opsys, attributes), -1)
ZIP(int, zip_file_set_mtime, (zip_t *za, zip_uint64_t index, time_t mtime, zip_flags_t flags),
    (za, index, mtime, flags), -1)
ZIP(int, zip_set_file_compression, (zip_t *za, zip_uint64_t index, zip_int32_t method, zip_uint32_t level),
    (za, index, method, level), -1)

ZIP(zip_source_t *, zip_source_buffer, (zip_t *za, const void *data, zip_uint64_t len, int freep),
    (za, data, len, freep), NULL)
ZIP(zip_source_t *, zip_source_buffer_create, (const void *data, zip_uint64_t len, int freep, zip_error_t *ze),
    (data, len, freep, ze), NULL)
ZIP(int, zip_source_open, (zip_source_t *zs), (zs), -1)
ZIP(zip_int64_t, zip_source_read, (zip_source_t *zs, void *data, zip_uint64_t len), (zs, data, len), -1)
ZIP(int, zip_source_close, (zip_source_t *zs), (zs), -1)
ZIP(int, zip_source_stat, (zip_source_t *zs, zip_stat_t *st), (zs, st), -1)
ZIP_VOID(zip_source_keep, (zip_source_t *zs), (zs))
ZIP_VOID(zip_source_free, (zip_source_t *zs), (zs))
