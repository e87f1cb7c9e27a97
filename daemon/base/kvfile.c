/* kvfile.c — versioned KEY=VALUE files (see kvfile.h).
 *
 * Writing builds the text in memory (open_memstream) and hands it to
 * write_file_atomic, so a file is always whole on disk; reading refuses
 * anything that does not end with END=1. Logs only at debug: the callers
 * say what a damaged file means for them. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/fileio.h"
#include "base/kvfile.h"
#include "base/log.h"

#define KV_LINES_MAX 4096

int kv_writer_open(KvWriter *w, unsigned version) {
        *w = KV_WRITER_INIT;
        w->f = open_memstream(&w->buf, &w->size);
        if (!w->f)
                return -ENOMEM;
        fprintf(w->f, "VERSION=%u\n", version);
        return 0;
}

static bool key_is_valid(const char *key, size_t n) {
        if (n == 0 || n > 64)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_", key[i]) || key[i] == 0)
                        return false;
        return true;
}

void kv_escape(FILE *f, const char *s) {
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (*p == '\\')
                        fputs("\\\\", f);
                else if (*p == '\n')
                        fputs("\\n", f);
                else if (*p == '\r')
                        fputs("\\r", f);
                else if (*p == '\t')
                        fputs("\\t", f);
                else if (*p < 0x20 || *p == 0x7f)
                        fprintf(f, "\\x%02x", *p);
                else
                        fputc(*p, f);
        }
}

void kv_put(KvWriter *w, const char *key, const char *value) {
        if (!value || w->error < 0)
                return;
        if (!w->f || !key_is_valid(key, strlen(key)) || streq(key, "END") || streq(key, "VERSION")) {
                w->error = -EINVAL; /* a bug in the caller */
                return;
        }
        fprintf(w->f, "%s=", key);
        kv_escape(w->f, value);
        fputc('\n', w->f);
}

void kv_put_u64(KvWriter *w, const char *key, uint64_t value) {
        char buf[32];

        snprintf(buf, sizeof buf, "%" PRIu64, value);
        kv_put(w, key, buf);
}

void kv_put_i64(KvWriter *w, const char *key, int64_t value) {
        char buf[32];

        snprintf(buf, sizeof buf, "%" PRIi64, value);
        kv_put(w, key, buf);
}

int kv_writer_finish(KvWriter *w, char **ret, size_t *ret_size) {
        int r = w->error;

        if (!w->f)
                return r < 0 ? r : -EINVAL;
        fputs("END=1\n", w->f);
        if (ferror(w->f) && r >= 0)
                r = -ENOMEM;
        if (fclose(w->f) != 0 && r >= 0)
                r = -ENOMEM;
        w->f = NULL;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(w->buf);
        *ret_size = w->size;
        return 0;
}

void kv_writer_done(KvWriter *w) {
        if (w->f)
                fclose(w->f);
        w->f = NULL;
        free(w->buf);
        w->buf = NULL;
}

int kv_writer_write_file(KvWriter *w, int dirfd, const char *name, WriteFileFlags flags) {
        _cleanup_(freep) char *text = NULL;
        size_t size;
        int r;

        r = kv_writer_finish(w, &text, &size);
        if (r < 0)
                return r;
        return write_file_atomic_full(dirfd, name, text, size, WRITE_FILE_MODE, flags);
}

static int hex_digit(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

int kv_unescape(const char *s, size_t n, char **ret) {
        _cleanup_(freep) char *out = malloc(n + 1);
        size_t k = 0;

        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (s[i] != '\\') {
                        out[k++] = s[i];
                        continue;
                }
                if (++i >= n)
                        return -EBADMSG;
                switch (s[i]) {
                case '\\': out[k++] = '\\'; break;
                case 'n': out[k++] = '\n'; break;
                case 'r': out[k++] = '\r'; break;
                case 't': out[k++] = '\t'; break;
                case 'x': {
                        int hi = i + 2 < n ? hex_digit(s[i + 1]) : -1;
                        int lo = hi >= 0 ? hex_digit(s[i + 2]) : -1;
                        if (lo < 0 || (hi == 0 && lo == 0))
                                return -EBADMSG;
                        out[k++] = (char) (hi * 16 + lo);
                        i += 2;
                        break;
                }
                default:
                        return -EBADMSG;
                }
        }
        out[k] = 0;
        *ret = TAKE_PTR(out);
        return 0;
}

KvFile *kv_file_free(KvFile *kv) {
        if (!kv)
                return NULL;
        for (size_t i = 0; i < kv->n; i++) {
                free(kv->keys[i]);
                free(kv->values[i]);
        }
        free(kv->keys);
        free(kv->values);
        free(kv);
        return NULL;
}

static int kv_append(KvFile *kv, const char *key, size_t key_len, const char *value, size_t value_len) {
        _cleanup_(freep) char *k = NULL, *v = NULL;
        char **keys, **values;
        int r;

        if (kv->n >= KV_LINES_MAX)
                return -EBADMSG;
        k = strndup(key, key_len);
        if (!k)
                return -ENOMEM;
        r = kv_unescape(value, value_len, &v);
        if (r < 0)
                return r;
        keys = realloc(kv->keys, (kv->n + 1) * sizeof(char *));
        if (!keys)
                return -ENOMEM;
        kv->keys = keys;
        values = realloc(kv->values, (kv->n + 1) * sizeof(char *));
        if (!values)
                return -ENOMEM;
        kv->values = values;
        kv->keys[kv->n] = TAKE_PTR(k);
        kv->values[kv->n] = TAKE_PTR(v);
        kv->n++;
        return 0;
}

static int parse_version(const char *line, size_t n, unsigned *ret) {
        unsigned v = 0;

        if (n < 9 || memcmp(line, "VERSION=", 8) != 0)
                return -EBADMSG;
        for (size_t i = 8; i < n; i++) {
                if (line[i] < '0' || line[i] > '9' || v > 100000)
                        return -EBADMSG;
                v = v * 10 + (unsigned) (line[i] - '0');
        }
        *ret = v;
        return 0;
}

/* One line without its '\n'. Returns 1 on END=1, 0 on KEY=VALUE. */
static int parse_line(KvFile *kv, const char *line, size_t n, unsigned lineno) {
        const char *eq = memchr(line, '=', n);

        if (lineno == 1)
                return parse_version(line, n, &kv->version);
        if (n == 5 && memcmp(line, "END=1", 5) == 0)
                return 1;
        if (!eq || !key_is_valid(line, (size_t) (eq - line)) ||
            ((size_t) (eq - line) == 7 && memcmp(line, "VERSION", 7) == 0) ||
            ((size_t) (eq - line) == 3 && memcmp(line, "END", 3) == 0))
                return -EBADMSG;
        return kv_append(kv, line, (size_t) (eq - line), eq + 1, n - (size_t) (eq - line) - 1);
}

int kv_parse(const char *data, size_t size, KvFile **ret) {
        _cleanup_(kv_file_freep) KvFile *kv = calloc(1, sizeof(KvFile));
        const char *p = data, *end = data + size;
        unsigned lineno = 0;
        bool ended = false;
        int r;

        if (!kv)
                return -ENOMEM;
        if (memchr(data, 0, size))
                return log_debug_errno(-EBADMSG, "NUL byte in a state file");
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                if (!nl || ended) /* no final newline, or text after END=1 */
                        return log_debug_errno(-EBADMSG, "State file torn after line %u", lineno);
                r = parse_line(kv, p, (size_t) (nl - p), ++lineno);
                if (r < 0)
                        return log_debug_errno(r, "State file: bad line %u", lineno);
                ended = r > 0;
                p = nl + 1;
        }
        if (!ended)
                return log_debug_errno(-EBADMSG, "State file torn: no END=1 after line %u", lineno);
        *ret = TAKE_PTR(kv);
        return 0;
}

int kv_read_file(int dirfd, const char *name, KvFile **ret) {
        _cleanup_(freep) char *data = NULL;
        size_t size;
        int r;

        r = read_file_bounded_at(dirfd, name, KV_FILE_MAX, &data, &size);
        if (r < 0)
                return r == -EFBIG ? -EBADMSG : r;
        return kv_parse(data, size, ret);
}

int kv_get_unique(const KvFile *kv, const char *key, const char **ret) {
        const char *found = NULL;

        for (size_t i = 0; i < kv->n; i++) {
                if (!streq(kv->keys[i], key))
                        continue;
                if (found)
                        return -ENOTUNIQ;
                found = kv->values[i];
        }
        if (!found)
                return -ENOENT;
        *ret = found;
        return 0;
}

const char *kv_get(const KvFile *kv, const char *key) {
        const char *v;

        return kv_get_unique(kv, key, &v) < 0 ? NULL : v;
}

int kv_get_optional(const KvFile *kv, const char *key, const char **ret) {
        int r = kv_get_unique(kv, key, ret);

        if (r == -ENOENT)
                return 0;
        return r < 0 ? -EBADMSG : 1;
}

const char *kv_get_nth(const KvFile *kv, const char *key, size_t n) {
        for (size_t i = 0; i < kv->n; i++)
                if (streq(kv->keys[i], key) && n-- == 0)
                        return kv->values[i];
        return NULL;
}

int kv_get_u64(const KvFile *kv, const char *key, uint64_t *ret) {
        const char *v;
        uint64_t x = 0;
        int r;

        r = kv_get_unique(kv, key, &v);
        if (r < 0)
                return r;
        if (isempty(v) || strlen(v) > 20)
                return -EBADMSG;
        for (const char *p = v; *p; p++) {
                if (*p < '0' || *p > '9')
                        return -EBADMSG;
                if (x > (UINT64_MAX - (uint64_t) (*p - '0')) / 10)
                        return -EBADMSG;
                x = x * 10 + (uint64_t) (*p - '0');
        }
        *ret = x;
        return 0;
}

int kv_get_i64(const KvFile *kv, const char *key, int64_t *ret) {
        const char *v;
        char *end;
        long long x;
        int r;

        r = kv_get_unique(kv, key, &v);
        if (r < 0)
                return r;
        if (isempty(v) || !strchr("-0123456789", v[0]))
                return -EBADMSG;
        errno = 0;
        x = strtoll(v, &end, 10);
        if (errno != 0 || *end != 0)
                return -EBADMSG;
        *ret = (int64_t) x;
        return 0;
}
