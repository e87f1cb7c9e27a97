/* kvfile.h — the small versioned KEY=VALUE text files of the state
 * directory (job states, the invoice counter, the numbering indexes).
 *
 *     VERSION=1
 *     KEY=value with \n, \\ and \xHH escapes
 *     END=1
 *
 * Keys are [A-Z0-9_]+. Values are escaped so that no byte of a value can
 * end its line: an error message with a newline in it cannot forge a key.
 * The last line is "END=1": a file without it is torn and refused
 * (-EBADMSG), as are lines without '=', bad keys and bad escapes. A key may
 * repeat (lists); kv_get() refuses a repeated key, kv_get_nth() walks one.
 * Files are read bounded (KV_FILE_MAX) and written with write_file_atomic.
 * Inspired by OpenSMTPD's versioned envelopes and Postfix's END record. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/fsutil.h"
#include "base/macro.h"

#define KV_FILE_MAX (256 * 1024) /* no state file of ours comes near */

/* ---- Writing --------------------------------------------------------------- */

typedef struct KvWriter {
        FILE *f;
        char *buf;
        size_t size;
        int error; /* first failure, reported by kv_writer_finish() */
} KvWriter;

#define KV_WRITER_INIT ((KvWriter){})

/* Starts a file with "VERSION=<version>". Returns 0 or -ENOMEM. */
int kv_writer_open(KvWriter *w, unsigned version);
/* Adds KEY=VALUE (escaped). A NULL value writes nothing. Errors are kept
 * in the writer and returned by kv_writer_finish(), so a run of kv_put()
 * needs no check of its own. */
void kv_put(KvWriter *w, const char *key, const char *value);
void kv_put_u64(KvWriter *w, const char *key, uint64_t value);
void kv_put_i64(KvWriter *w, const char *key, int64_t value);
/* Appends END=1 and hands over the text. Returns 0 or the first error. */
int kv_writer_finish(KvWriter *w, char **ret, size_t *ret_size);
/* Frees whatever the writer still holds (safe after finish). */
void kv_writer_done(KvWriter *w);
/* finish + write_file_atomic_full(dirfd, name, …, WRITE_FILE_MODE, flags). */
int kv_writer_write_file(KvWriter *w, int dirfd, const char *name, WriteFileFlags flags);

/* ---- Reading --------------------------------------------------------------- */

typedef struct KvFile {
        char **keys;
        char **values; /* unescaped */
        size_t n;
        unsigned version;
} KvFile;

/* Parses a whole file. Returns 0, -EBADMSG (torn: no final END=1; or
 * malformed: the first bad line is logged at debug), -ENOMEM. */
int kv_parse(const char *data, size_t size, KvFile **ret);
/* read_file_bounded_at(KV_FILE_MAX) + kv_parse. -ENOENT when absent. */
int kv_read_file(int dirfd, const char *name, KvFile **ret);
KvFile *kv_file_free(KvFile *kv);
DEFINE_TRIVIAL_CLEANUP_FUNC(KvFile *, kv_file_free);

/* The value of a key that must appear at most once: the value, or NULL when
 * absent or repeated (kv_get_unique() tells them apart: -ENOENT, -ENOTUNIQ). */
const char *kv_get(const KvFile *kv, const char *key);
int kv_get_unique(const KvFile *kv, const char *key, const char **ret);
/* A key that must appear at most once, or not at all: 1 and its value, 0
 * when absent, -EBADMSG when repeated (damage, which kv_get() cannot tell
 * from absence). */
int kv_get_optional(const KvFile *kv, const char *key, const char **ret);
/* The n-th (0-based) value of a repeated key, or NULL. */
const char *kv_get_nth(const KvFile *kv, const char *key, size_t n);
/* Checked numbers: 0, -ENOENT (absent), -EBADMSG (not a number, or out of
 * range), -ENOTUNIQ. */
int kv_get_u64(const KvFile *kv, const char *key, uint64_t *ret);
int kv_get_i64(const KvFile *kv, const char *key, int64_t *ret);

/* ---- Escaping (exposed for tests) ----------------------------------------- */

/* Writes `s` escaped: '\\' → "\\\\", control bytes and DEL → "\n", "\r",
 * "\t" or "\xHH"; every other byte (UTF-8 included) as is. */
void kv_escape(FILE *f, const char *s);
/* Reverses kv_escape into a new string. -EBADMSG on a bad or NUL escape. */
int kv_unescape(const char *s, size_t n, char **ret);
