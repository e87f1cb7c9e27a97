/* harfbuzz_lazy.c — libharfbuzz and libharfbuzz-subset, loaded when first
 * called (issue 14).
 *
 * HarfBuzz brings FreeType, Graphite, GLib, libpng, Brotli and PCRE2 with
 * it: ten libraries in all that every chorusctl mapped and relocated at
 * exec (1.2 M instructions and 1.7 MiB of a one-shot `chorusctl render`),
 * though once the fonts' snapshots (pdf_face.h) do the shaping and
 * subsetting of French text a render never calls them. So nothing links
 * them: this file defines the HarfBuzz
 * functions pdf_face.c calls and forwards them to the libraries
 * dlopen()ed at the first call (base/lazy_library.c). With a snapshot a
 * render of French text never calls one; without (a font changed after
 * the build, a character beyond the fixed set) the first face loads them.
 * pdf_face.c asks harfbuzz_lazy_load() first, so that a library that
 * cannot be loaded is an error, said once, rather than empty faces. */
#include <errno.h>
#include <hb-ot.h>
#include <hb-subset.h>
#include <hb.h>

#include "base/lazy_library.h"
#include "writers/harfbuzz_lazy.h"

static LazyLibrary harfbuzz_library = LAZY_LIBRARY("libharfbuzz.so.0", false);
static LazyLibrary subset_library = LAZY_LIBRARY("libharfbuzz-subset.so.0", false);

int harfbuzz_lazy_load(void) {
        return lazy_library_symbol(&harfbuzz_library, "hb_version") ? 0 : -ELIBACC;
}

#define HB(ret, name, params, args, fail) LAZY_FORWARD(harfbuzz_library, ret, name, params, args, fail)
#define HB_VOID(name, params, args) LAZY_FORWARD_VOID(harfbuzz_library, name, params, args)
#define HB_SUBSET(ret, name, params, args, fail) LAZY_FORWARD(subset_library, ret, name, params, args, fail)
#define HB_SUBSET_VOID(name, params, args) LAZY_FORWARD_VOID(subset_library, name, params, args)

HB(hb_blob_t *, hb_blob_create_or_fail,
   (const char *data, unsigned length, hb_memory_mode_t mode, void *user_data, hb_destroy_func_t destroy),
   (data, length, mode, user_data, destroy), NULL)
HB_VOID(hb_blob_destroy, (hb_blob_t *blob), (blob))
HB(const char *, hb_blob_get_data, (hb_blob_t *blob, unsigned *length), (blob, length), NULL)
HB(unsigned, hb_blob_get_length, (hb_blob_t *blob), (blob), 0)

HB(hb_buffer_t *, hb_buffer_create, (void), (), NULL)
HB_VOID(hb_buffer_destroy, (hb_buffer_t *buffer), (buffer))
HB(hb_bool_t, hb_buffer_allocation_successful, (hb_buffer_t *buffer), (buffer), 0)
HB_VOID(hb_buffer_clear_contents, (hb_buffer_t *buffer), (buffer))
HB_VOID(hb_buffer_add_utf8, (hb_buffer_t *buffer, const char *text, int text_length, unsigned item_offset,
                             int item_length),
        (buffer, text, text_length, item_offset, item_length))
HB_VOID(hb_buffer_set_segment_properties, (hb_buffer_t *buffer, const hb_segment_properties_t *props),
        (buffer, props))
HB(hb_glyph_info_t *, hb_buffer_get_glyph_infos, (hb_buffer_t *buffer, unsigned *length), (buffer, length), NULL)
HB(hb_glyph_position_t *, hb_buffer_get_glyph_positions, (hb_buffer_t *buffer, unsigned *length),
   (buffer, length), NULL)

HB(hb_face_t *, hb_face_create, (hb_blob_t *blob, unsigned index), (blob, index), NULL)
HB_VOID(hb_face_destroy, (hb_face_t *face), (face))
HB(unsigned, hb_face_get_glyph_count, (const hb_face_t *face), (face), 0)
HB(unsigned, hb_face_get_upem, (const hb_face_t *face), (face), 0)
HB(hb_blob_t *, hb_face_reference_blob, (hb_face_t *face), (face), NULL)
HB(hb_blob_t *, hb_face_reference_table, (const hb_face_t *face, hb_tag_t tag), (face, tag), NULL)

HB(hb_font_t *, hb_font_create, (hb_face_t *face), (face), NULL)
HB_VOID(hb_font_destroy, (hb_font_t *font), (font))
HB(hb_font_t *, hb_font_get_empty, (void), (), NULL)
HB(hb_position_t, hb_font_get_glyph_h_advance, (hb_font_t *font, hb_codepoint_t glyph), (font, glyph), 0)
HB(hb_bool_t, hb_font_get_nominal_glyph, (hb_font_t *font, hb_codepoint_t unicode, hb_codepoint_t *glyph),
   (font, unicode, glyph), 0)
HB_VOID(hb_ot_metrics_get_position_with_fallback,
        (hb_font_t *font, hb_ot_metrics_tag_t metrics_tag, hb_position_t *position), (font, metrics_tag, position))
HB(unsigned, hb_ot_name_get_utf8,
   (hb_face_t *face, hb_ot_name_id_t name_id, hb_language_t language, unsigned *text_size, char *text),
   (face, name_id, language, text_size, text), 0)

HB(hb_language_t, hb_language_from_string, (const char *str, int len), (str, len), HB_LANGUAGE_INVALID)
HB(hb_unicode_funcs_t *, hb_unicode_funcs_get_default, (void), (), NULL)
HB(hb_unicode_general_category_t, hb_unicode_general_category, (hb_unicode_funcs_t *ufuncs, hb_codepoint_t unicode),
   (ufuncs, unicode), HB_UNICODE_GENERAL_CATEGORY_UNASSIGNED)
HB_VOID(hb_set_add, (hb_set_t *set, hb_codepoint_t codepoint), (set, codepoint))

HB(hb_shape_plan_t *, hb_shape_plan_create_cached,
   (hb_face_t *face, const hb_segment_properties_t *props, const hb_feature_t *user_features,
    unsigned num_user_features, const char *const *shaper_list),
   (face, props, user_features, num_user_features, shaper_list), NULL)
HB_VOID(hb_shape_plan_destroy, (hb_shape_plan_t *shape_plan), (shape_plan))
HB(hb_bool_t, hb_shape_plan_execute,
   (hb_shape_plan_t *shape_plan, hb_font_t *font, hb_buffer_t *buffer, const hb_feature_t *features,
    unsigned num_features),
   (shape_plan, font, buffer, features, num_features), 0)
HB(hb_shape_plan_t *, hb_shape_plan_get_empty, (void), (), NULL)

HB_SUBSET(hb_subset_input_t *, hb_subset_input_create_or_fail, (void), (), NULL)
HB_SUBSET_VOID(hb_subset_input_destroy, (hb_subset_input_t *input), (input))
HB_SUBSET(hb_set_t *, hb_subset_input_glyph_set, (hb_subset_input_t *input), (input), NULL)
HB_SUBSET(hb_set_t *, hb_subset_input_set, (hb_subset_input_t *input, hb_subset_sets_t set_type), (input, set_type),
          NULL)
HB_SUBSET_VOID(hb_subset_input_set_flags, (hb_subset_input_t *input, unsigned value), (input, value))
HB_SUBSET(hb_face_t *, hb_subset_or_fail, (hb_face_t *source, const hb_subset_input_t *input), (source, input), NULL)
