/* pdf_face_snapshot.c — a PdfFace filled from what the build learnt of its
 * font, and the printing of that at build time (see pdf_face.h, snapshots). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "writers/pdf_face_internal.h"

static bool snapshots_on = true;

void pdf_face_use_snapshots(bool on) {
        snapshots_on = on;
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n) {
        for (size_t i = 0; i < n; i++) {
                h ^= ((const unsigned char *) p)[i];
                h *= UINT64_C(1099511628211);
        }
        return h;
}

uint64_t pdf_face_snapshot_key(const char *data, size_t size) {
        uint64_t h = UINT64_C(1469598103934665603), n = size;
        size_t dir = 12;

        h = fnv1a(h, &n, sizeof(n));
        if (size >= 12)
                /* sfnt version, numTables, then 16 bytes per table: tag,
                 * checksum, offset, length. */
                dir += 16 * (((size_t) (unsigned char) data[4] << 8) | (unsigned char) data[5]);
        return fnv1a(h, data, dir < size ? dir : size);
}

const PdfFaceSnapshot *pdf_face_snapshot_find(uint64_t key) {
        if (!snapshots_on || !pdf_face_snapshots)
                return NULL;
        for (const PdfFaceSnapshot *const *s = pdf_face_snapshots; *s; s++)
                if ((*s)->key == key)
                        return *s;
        return NULL;
}

int pdf_face_load_snapshot(PdfFace *f, const PdfFaceSnapshot *s) {
        f->from_snapshot = true;
        f->upem = s->upem;
        f->n_glyphs = s->n_glyphs;
        f->postscript_name = strdup(s->postscript_name);
        f->widths = malloc(s->n_glyphs * sizeof(int16_t));
        f->dense = calloc(DENSE_SLOTS * DENSE_SLOTS, sizeof(uint16_t));
        f->base = calloc(s->n_glyphs, sizeof(bool));
        if (!f->postscript_name || !f->widths || !f->dense || !f->base)
                return -ENOMEM;
        memcpy(f->widths, s->widths, s->n_glyphs * sizeof(int16_t));
        memcpy(f->chars, s->chars, sizeof(f->chars));
        f->metrics = s->metrics;
        f->have_metrics = true;
        /* Pairs: every one of these slots with every other is known, 0
         * unless listed (pdf_face_pair_set() is what learning calls). */
        for (size_t i = 0; i < s->n_pair_slots; i++)
                f->pair_known[s->pair_slots[i]] = true;
        for (size_t i = 0; i < s->n_pair_slots; i++)
                for (size_t j = 0; j < s->n_pair_slots; j++)
                        if (s->pair_slots[i] < DENSE_SLOTS && s->pair_slots[j] < DENSE_SLOTS)
                                f->dense[s->pair_slots[i] * DENSE_SLOTS + s->pair_slots[j]] = DENSE_BIAS;
        for (size_t i = 0; i < s->n_pairs; i++)
                pdf_face_pair_set(f, s->pairs[i].a, s->pairs[i].b, s->pairs[i].kern);
        for (size_t i = 0; i < s->n_base_glyphs; i++)
                if (s->base_glyphs[i] < s->n_glyphs)
                        f->base[s->base_glyphs[i]] = true;
        f->base_z = (const char *) s->program;
        f->base_z_size = s->program_size;
        f->base_length1 = s->program_length1;
        memcpy(f->base_tag, s->tag, sizeof(f->base_tag));
        return 0;
}

/* ---------------------------------------------------------------- printing */

/* The slots of the fixed glyph set's characters that the fast path
 * draws: their pairs are the ones a snapshot knows. */
static size_t base_slots(PdfFace *f, uint16_t slots[static N_SLOTS]) {
        const char *p = pdf_face_base_text, *end = p + strlen(p);
        bool seen[N_SLOTS] = {};
        size_t n = 0;

        while (p < end) {
                int slot = pdf_face_slot_of(pdf_utf8_next(&p, end));

                if (slot >= 0 && !seen[slot] && f->chars[slot].state == CHAR_SIMPLE) {
                        seen[slot] = true;
                        slots[n++] = (uint16_t) slot;
                }
        }
        return n;
}

/* Learns the kerning of every pair of `slots` the way drawing does: by
 * shaping the two characters. */
static int learn_every_pair(PdfFace *f, const uint16_t *slots, size_t n) {
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < n; j++) {
                        PdfBuffer t = {};
                        PdfRun run;
                        int r;

                        pdf_face_append_utf8(&t, pdf_face_slot_char(slots[i]));
                        pdf_face_append_utf8(&t, pdf_face_slot_char(slots[j]));
                        r = t.error < 0 ? t.error : pdf_face_shape(f, t.data, t.size, &run);
                        pdf_buffer_done(&t);
                        if (r < 0)
                                return r;
                }
        return 0;
}

static void print_bytes(PdfBuffer *out, const char *name, const char *what, const unsigned char *p, size_t n) {
        pdf_buffer_printf(out, "static const unsigned char %s_%s[%zu] = {", name, what, n);
        for (size_t i = 0; i < n; i++)
                pdf_buffer_printf(out, "%s%u,", i % 24 == 0 ? "\n\t" : "", p[i]);
        pdf_buffer_puts(out, "\n};\n");
}

static void print_chars(PdfFace *f, const char *name, PdfBuffer *out) {
        pdf_buffer_printf(out, "static const CharInfo %s_chars[%d] = {", name, N_SLOTS);
        for (int i = 0; i < N_SLOTS; i++) {
                const CharInfo *c = &f->chars[i];

                pdf_buffer_printf(out, "\n\t{ %" PRIu32 ", %" PRIu32 ", %" PRId32 ", %" PRId32 ", %u },", c->subst,
                                  c->gid, c->advance, c->width, c->state);
        }
        pdf_buffer_printf(out, "\n};\nstatic const int16_t %s_widths[%u] = {", name, f->n_glyphs);
        for (unsigned i = 0; i < f->n_glyphs; i++)
                pdf_buffer_printf(out, "%s%d,", i % 16 == 0 ? "\n\t" : "", pdf_face_glyph_width(f, i));
        pdf_buffer_puts(out, "\n};\n");
}

/* The kerned (or complex) pairs of `slots`; returns how many, or -EINVAL
 * when one was not learnt. */
static ssize_t print_pairs(PdfFace *f, const char *name, const uint16_t *slots, size_t n_slots, PdfBuffer *out) {
        size_t n = 0;

        pdf_buffer_printf(out, "static const uint16_t %s_pair_slots[%zu] = {", name, n_slots);
        for (size_t i = 0; i < n_slots; i++)
                pdf_buffer_printf(out, "%s%u,", i % 16 == 0 ? "\n\t" : "", slots[i]);
        pdf_buffer_printf(out, "\n};\nstatic const PdfFaceSnapshotPair %s_pairs[] = {", name);
        for (size_t i = 0; i < n_slots; i++)
                for (size_t j = 0; j < n_slots; j++) {
                        int32_t k = 0;

                        if (!pdf_face_pair_get(f, slots[i], slots[j], &k))
                                return -EINVAL; /* learn_every_pair() learnt it */
                        if (k == 0)
                                continue;
                        pdf_buffer_printf(out, "\n\t{ %u, %u, %" PRId32 " },", slots[i], slots[j], k);
                        n++;
                }
        pdf_buffer_puts(out, "\n};\n");
        return (ssize_t) n;
}

static size_t print_base_glyphs(PdfFace *f, const char *name, PdfBuffer *out) {
        size_t n = 0;

        pdf_buffer_printf(out, "static const uint16_t %s_base_glyphs[] = {", name);
        for (unsigned i = 0; i < f->n_glyphs; i++)
                if (f->base[i])
                        pdf_buffer_printf(out, "%s%u,", n++ % 16 == 0 ? "\n\t" : "", i);
        pdf_buffer_puts(out, "\n};\n");
        return n;
}

int pdf_face_snapshot_print(PdfFace *f, const char *name, const char *origin, PdfBuffer *out) {
        uint16_t slots[N_SLOTS];
        const PdfFaceMetrics *m;
        PdfFaceProgram program;
        size_t n_slots, n_base;
        ssize_t n_pairs;
        int r;

        /* Learn everything first, as drawing would. */
        r = pdf_face_open_harfbuzz(f);
        if (r < 0)
                return r;
        for (int slot = 0; slot < N_SLOTS; slot++)
                (void) pdf_face_char_info(f, slot, pdf_face_slot_char(slot));
        n_slots = base_slots(f, slots);
        r = learn_every_pair(f, slots, n_slots);
        if (r < 0)
                return r;
        r = pdf_face_program(f, NULL, 0, &program);
        if (r < 0)
                return r;
        m = pdf_face_metrics(f);

        pdf_buffer_printf(out, "\n/* %s */\n", origin);
        print_chars(f, name, out);
        n_pairs = print_pairs(f, name, slots, n_slots, out);
        if (n_pairs < 0)
                return (int) n_pairs;
        n_base = print_base_glyphs(f, name, out);
        print_bytes(out, name, "program", (const unsigned char *) program.z, program.z_size);
        pdf_buffer_printf(out, "const PdfFaceSnapshot %s = {\n", name);
        pdf_buffer_printf(out, "\t.key = UINT64_C(%" PRIu64 "),\n", pdf_face_snapshot_key(f->data, f->size));
        pdf_buffer_printf(out, "\t.upem = %u, .n_glyphs = %u, .postscript_name = \"%s\",\n", f->upem,
                          f->n_glyphs, f->postscript_name);
        pdf_buffer_printf(out,
                          "\t.metrics = { .bbox = { %d, %d, %d, %d }, .ascent = %lld, .descent = %lld, "
                          ".cap_height = %lld },\n",
                          m->bbox[0], m->bbox[1], m->bbox[2], m->bbox[3], m->ascent, m->descent, m->cap_height);
        pdf_buffer_printf(out, "\t.chars = %s_chars, .widths = %s_widths,\n", name, name);
        pdf_buffer_printf(out, "\t.pair_slots = %s_pair_slots, .n_pair_slots = %zu,\n", name, n_slots);
        pdf_buffer_printf(out, "\t.pairs = %s_pairs, .n_pairs = %zd,\n", name, n_pairs);
        pdf_buffer_printf(out, "\t.base_glyphs = %s_base_glyphs, .n_base_glyphs = %zu,\n", name, n_base);
        pdf_buffer_printf(out, "\t.program = %s_program, .program_size = %zu, .program_length1 = %zu,\n", name,
                          program.z_size, program.length1);
        pdf_buffer_printf(out, "\t.tag = \"%s\",\n};\n", program.tag);
        return out->error;
}
