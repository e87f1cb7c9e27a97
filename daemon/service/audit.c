/* audit.c — the hash-chained append-only audit log (see audit.h).
 *
 * A writer owns the open fd, the size up to the last whole record and the
 * last seq and hash it knows; it takes the flock around each append and
 * catches up first if another process appended meanwhile. Reading (verify, foreach) streams the
 * file through a fixed buffer of two records: memory never grows with the
 * log. A failed fdatasync or a short write that cannot be cut back is -EIO,
 * fatal (fsutil.h); the caller logs it at LOG_CRIT and stops.
 *
 * With a key (audit-key, credentials.c) every record ends with a "mac":
 * HMAC-SHA256 under the key of the line's bytes before ',"mac":'. prev
 * still chains the SHA-256 of whole lines (mac included), so rewriting one
 * record means forging the mac of it and of every later one: impossible
 * without the key. What a key cannot show, records cut off at the end, the
 * journal anchors do (CHORUSD_AUDIT_SEQ/HEAD at each append, log.c). */
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>
#include <time.h>

#include "service/audit.h"
#include "chorus/credentials.h"
#include "base/identifiers.h"
#include "base/log.h"
#include "base/money.h"

struct AuditLog {
        int fd;
        uint64_t good_size;
        uint64_t last_seq;
        char last_hash[SHA256_HEX_SIZE];
        bool last_keyed; /* the last record carries a mac */
        uint8_t *key;    /* AUDIT_KEY_BYTES bytes of secret memory, or NULL */
        char *path;
        bool group_commit;
        /* Records written, not yet fdatasync'd nor anchored (group commit). */
        struct PendingAnchor {
                uint64_t seq;
                char hash[SHA256_HEX_SIZE];
                char event[32];
        } *unsynced;
        size_t n_unsynced, n_unsynced_alloc;
};

DEFINE_TRIVIAL_CLEANUP_FUNC(cJSON *, cJSON_Delete);

bool audit_is_keyed(const AuditLog *a) {
        return a->key != NULL;
}

uint64_t audit_last_seq(const AuditLog *a) {
        return a->last_seq;
}

const char *audit_last_hash(const AuditLog *a) {
        return a->last_hash;
}

/* ---- Records <-> JSON ------------------------------------------------------------ */

/* The seq of a parsed record: an integral JSON number >= 1, else 0. */
static uint64_t record_seq(const cJSON *o) {
        const cJSON *seq = cJSON_GetObjectItemCaseSensitive(o, "seq");
        double d;

        if (!cJSON_IsNumber(seq))
                return 0;
        d = seq->valuedouble;
        if (!(d >= 1 && d <= 9007199254740992.0) || d != (double) (uint64_t) d)
                return 0;
        return (uint64_t) d;
}

static const char *record_string(const cJSON *o, const char *key) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
        return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool add_string(cJSON *o, const char *key, const char *value) {
        return !value || cJSON_AddStringToObject(o, key, value);
}

static bool add_amount(cJSON *o, const char *key, int64_t cents) {
        char buf[MONEY_DECIMAL_MAX];
        return cJSON_AddStringToObject(o, key, money_format(cents, buf)) != NULL;
}

/* detail cut to AUDIT_DETAIL_MAX bytes without splitting a UTF-8 sequence. */
static bool add_detail(cJSON *o, const char *detail) {
        _cleanup_(freep) char *cut = NULL;
        size_t n;

        if (!detail)
                return true;
        n = strnlen(detail, AUDIT_DETAIL_MAX + 1);
        if (n > AUDIT_DETAIL_MAX)
                n = utf8_char_start(detail, AUDIT_DETAIL_MAX);
        cut = strndup(detail, n);
        return cut && cJSON_AddStringToObject(o, "detail", cut);
}

/* ---- The mac --------------------------------------------------------------------- */

/* ',"mac":"' + 64 hex + '"}': how every keyed line ends. */
#define MAC_PREFIX ",\"mac\":\""
#define MAC_SUFFIX_LEN (sizeof(MAC_PREFIX) - 1 + 64 + 2)

static int mac_hex(const uint8_t *key, const char *data, size_t size, char ret[static SHA256_HEX_SIZE]) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned md_len = 0;

        if (!HMAC(EVP_sha256(), key, AUDIT_KEY_BYTES, (const unsigned char *) data, size, md, &md_len) ||
            md_len != 32)
                return -EIO;
        hex_encode(md, 32, ret);
        explicit_bzero(md, sizeof md);
        return 0;
}

/* The line (without '\n') ends with a mac field: returns where it starts
 * (the bytes the mac covers end there), else 0. */
static size_t line_mac_start(const char *line, size_t len) {
        size_t start;

        if (len <= MAC_SUFFIX_LEN)
                return 0;
        start = len - MAC_SUFFIX_LEN;
        if (memcmp(line + start, MAC_PREFIX, sizeof(MAC_PREFIX) - 1) != 0 ||
            memcmp(line + len - 2, "\"}", 2) != 0)
                return 0;
        return start;
}

/* "…}" becomes "…,"mac":"<hmac of …>"}": text is realloc'd. */
static int add_mac(const uint8_t *key, char **text, size_t *n) {
        char mac[SHA256_HEX_SIZE], *t;
        size_t body = *n - 1; /* without the closing brace */
        int r;

        r = mac_hex(key, *text, body, mac);
        if (r < 0)
                return r;
        t = realloc(*text, body + MAC_SUFFIX_LEN + 1);
        if (!t)
                return -ENOMEM;
        snprintf(t + body, MAC_SUFFIX_LEN + 1, MAC_PREFIX "%s\"}", mac);
        *text = t;
        *n = body + MAC_SUFFIX_LEN;
        return 0;
}

static int build_line(const AuditLog *a, const AuditRecord *rec, char **ret, size_t *ret_size) {
        _cleanup_(cJSON_Deletep) cJSON *o = cJSON_CreateObject();
        uint64_t when = rec->time_usec > 0 ? rec->time_usec : now_realtime_usec();
        char ts[TIMESTAMP_ISO_MAX];
        char *text;
        size_t n;
        bool ok;

        if (!o)
                return -ENOMEM;
        ok = cJSON_AddNumberToObject(o, "seq", (double) (a->last_seq + 1)) &&
             add_string(o, "time", format_timestamp_iso(when, ts)) &&
             add_string(o, "prev", a->last_hash) && add_string(o, "event", rec->event) &&
             add_string(o, "job", rec->job) && add_string(o, "convention", rec->convention) &&
             add_string(o, "invoice", rec->invoice);
        if (ok && rec->has_amounts)
                ok = add_amount(o, "total", rec->total) &&
                     add_amount(o, "total_before_cap", rec->total_before_cap) &&
                     add_amount(o, "allowance", rec->allowance);
        ok = ok && add_string(o, "bilan_sha256", rec->bilan_sha256) &&
             add_string(o, "payload_sha256", rec->payload_sha256) &&
             add_string(o, "flux", rec->flux) && add_string(o, "cpp_id", rec->cpp_id) &&
             add_string(o, "user", rec->user) && add_string(o, "as", rec->as) &&
             add_detail(o, rec->detail);
        if (!ok)
                return -ENOMEM;
        text = cJSON_PrintUnformatted(o); /* escapes every control byte: one line */
        if (!text)
                return -ENOMEM;
        n = strlen(text);
        if (a->key) {
                int r = add_mac(a->key, &text, &n);
                if (r < 0) {
                        free(text);
                        return r;
                }
        }
        if (n + 1 > AUDIT_LINE_MAX) {
                free(text);
                return -EINVAL;
        }
        text[n] = '\n'; /* cJSON's buffer may be exactly n + 1: reuse its NUL */
        *ret = text;
        *ret_size = n + 1;
        return 0;
}

/* ---- Writer ------------------------------------------------------------------- */

AuditLog *audit_free(AuditLog *a) {
        if (!a)
                return NULL;
        (void) audit_flush(a); /* the owner flushed already; a failure is logged */
        free(a->unsynced);
        safe_close(a->fd);
        credentials_secret_free(a->key);
        free(a->path);
        free(a);
        return NULL;
}

/* Copies the torn bytes after tail->good_size to PATH.damaged-TIMESTAMP
 * (never overwriting one) before they are cut: a crash leaves a torn
 * record, but so does a committed record shortened by hand, and that must
 * stay for the administrator to see. */
static int keep_damaged_tail(AuditLog *a, const FsTail *tail) {
        _cleanup_(freep) char *buf = NULL, *copy = NULL;
        _cleanup_(closep) int fd = -1;
        char ts[TIMESTAMP_ISO_MAX];
        ssize_t n;
        int r;

        if (tail->torn_bytes == 0)
                return 0;
        buf = malloc(tail->torn_bytes);
        if (!buf)
                return -ENOMEM;
        n = pread(a->fd, buf, tail->torn_bytes, (off_t) tail->good_size);
        if (n < 0 || (uint64_t) n != tail->torn_bytes)
                return n < 0 ? negative_errno() : -EIO;
        /* 20261207T031500Z: no colons, which some tools take for a host. */
        time_t now = (time_t) (now_realtime_usec() / 1000000);
        struct tm tm;
        if (!gmtime_r(&now, &tm) || strftime(ts, sizeof ts, "%Y%m%dT%H%M%SZ", &tm) == 0)
                return -EINVAL;
        for (unsigned i = 0; fd < 0; i++) {
                free(copy);
                copy = NULL;
                if ((i == 0 ? asprintf(&copy, "%s" AUDIT_DAMAGED_SUFFIX "%s", a->path, ts)
                            : asprintf(&copy, "%s" AUDIT_DAMAGED_SUFFIX "%s.%u", a->path, ts, i)) < 0)
                        return -ENOMEM;
                fd = open(copy, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
                if (fd < 0 && (errno != EEXIST || i >= 100))
                        return log_error_errno(negative_errno(), "Cannot keep the damaged end of %s in %s: %m",
                                               a->path, copy);
        }
        r = fs_write_all(fd, buf, tail->torn_bytes);
        if (r >= 0)
                r = fs_fsync(fd, copy);
        if (r < 0)
                return log_error_errno(r, "Cannot keep the damaged end of %s in %s: %m", a->path, copy);
        log_warning("Audit log %s ends with %" PRIu64 " bytes that are not a whole record (a crash, or a "
                    "record shortened by hand): they are kept in %s, then cut off.",
                    a->path, tail->torn_bytes, copy);
        return 0;
}

/* good_size, last_seq and last_hash change together, and only on success:
 * catch_up() takes an unchanged size for "nothing new", so a damaged tail
 * must leave the old size behind to be refused again at the next append. */
static int learn_tail(AuditLog *a) {
        _cleanup_(fs_tail_done) FsTail tail = FS_TAIL_INIT;
        _cleanup_(cJSON_Deletep) cJSON *o = NULL;
        _cleanup_(freep) char *line = NULL;
        char hash[SHA256_HEX_SIZE];
        uint64_t seq;
        int r;

        r = fs_read_tail(a->fd, AUDIT_LINE_MAX - 1, &tail);
        if (r < 0)
                return log_error_errno(r, "Audit log %s: its end is not a record of ours", a->path);
        r = keep_damaged_tail(a, &tail);
        if (r < 0)
                return r;
        r = fs_cut_torn_tail(a->fd, &tail, a->path);
        if (r < 0)
                return r;
        if (!tail.last_line) {
                seq = 0; /* empty: the next record starts the chain */
                memcpy(hash, AUDIT_FIRST_PREV, SHA256_HEX_SIZE);
        } else {
                o = cJSON_ParseWithLength(tail.last_line, tail.last_line_len);
                seq = o ? record_seq(o) : 0;
                if (seq == 0)
                        return log_error_errno(-EBADMSG, "Audit log %s: its last record is damaged; "
                                                         "run 'chorusctl audit verify'", a->path);
                /* The hash covers the line and its '\n'. */
                line = malloc(tail.last_line_len + 1);
                if (!line)
                        return -ENOMEM;
                memcpy(line, tail.last_line, tail.last_line_len);
                line[tail.last_line_len] = '\n';
                r = sha256_hex(line, tail.last_line_len + 1, hash);
                if (r < 0)
                        return r;
        }
        a->last_keyed = tail.last_line && line_mac_start(tail.last_line, tail.last_line_len) > 0;
        a->good_size = tail.good_size;
        a->last_seq = seq;
        memcpy(a->last_hash, hash, SHA256_HEX_SIZE);
        return 0;
}

/* Every writer (the daemon, chorusctl requeue) holds the lock while it
 * reads the tail and appends, so records never interleave and each one
 * chains onto the true last line. */
static int lock(AuditLog *a) {
        return fs_flock(a->fd, LOCK_EX);
}

static void unlock(AuditLog *a) {
        (void) flock(a->fd, LOCK_UN);
}

/* Another process appended since we last looked: learn its last record. */
static int catch_up(AuditLog *a) {
        struct stat st;

        if (fstat(a->fd, &st) < 0)
                return negative_errno();
        if ((uint64_t) st.st_size == a->good_size)
                return 0;
        return learn_tail(a);
}

/* Opens (creating) the log at `path`: fs_open_append() in its folder. */
static int open_log(const char *path) {
        _cleanup_(freep) char *dir = strdup(path), *name = strdup(path);
        _cleanup_(closep) int dirfd = -1;

        if (!dir || !name)
                return -ENOMEM;
        dirfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return negative_errno();
        return fs_open_append(dirfd, basename(name), 0640);
}

int audit_open(const char *path, AuditLog **ret) {
        return audit_open_keyed(path, NULL, ret);
}

int audit_open_keyed(const char *path, const uint8_t *key, AuditLog **ret) {
        _cleanup_(audit_freep) AuditLog *a = calloc(1, sizeof(AuditLog));
        int r;

        if (!a)
                return -ENOMEM;
        a->fd = -1;
        a->path = strdup(path);
        if (!a->path)
                return -ENOMEM;
        if (key) {
                a->key = credentials_secret_alloc(AUDIT_KEY_BYTES);
                if (!a->key)
                        return -ENOMEM;
                memcpy(a->key, key, AUDIT_KEY_BYTES);
        }
        a->fd = open_log(path);
        if (a->fd < 0)
                return a->fd;
        /* Absolute: the journal anchors name the file (CHORUSD_AUDIT_FILE=). */
        char *abs = realpath(path, NULL);
        if (abs) {
                free(a->path);
                a->path = abs;
        }
        r = lock(a);
        if (r < 0)
                return r;
        r = learn_tail(a);
        unlock(a);
        if (r < 0)
                return r;
        if (a->last_keyed && !a->key)
                return log_error_errno(-ENOKEY, "Audit log %s is keyed (HMAC), but no audit key is "
                                                "configured: an unkeyed record would break it.",
                                       a->path);
        *ret = TAKE_PTR(a);
        return 0;
}

static int append_locked(AuditLog *a, const AuditRecord *rec) {
        _cleanup_(freep) char *line = NULL;
        char hash[SHA256_HEX_SIZE];
        size_t size;
        int r;

        r = catch_up(a);
        if (r < 0)
                return r;
        r = build_line(a, rec, &line, &size);
        if (r < 0)
                return r;
        r = sha256_hex(line, size, hash);
        if (r < 0)
                return r;
        if (a->last_keyed && !a->key)
                return -ENOKEY; /* another writer started the keyed chain meanwhile */
        if (a->group_commit && a->n_unsynced == a->n_unsynced_alloc) {
                size_t n = a->n_unsynced_alloc ? 2 * a->n_unsynced_alloc : 16;
                struct PendingAnchor *p = reallocarray(a->unsynced, n, sizeof *p);
                if (!p)
                        return -ENOMEM;
                a->unsynced = p;
                a->n_unsynced_alloc = n;
        }
        r = a->group_commit ? fs_append_record_nosync(a->fd, &a->good_size, line, size, a->path)
                            : fs_append_record(a->fd, &a->good_size, line, size, a->path);
        if (r < 0)
                return r;
        a->last_seq++;
        a->last_keyed = a->key != NULL;
        memcpy(a->last_hash, hash, SHA256_HEX_SIZE);
        if (a->group_commit) {
                /* Anchored once durable: an anchor must never name a record
                 * a crash could still take away. */
                struct PendingAnchor *p = &a->unsynced[a->n_unsynced++];
                p->seq = a->last_seq;
                memcpy(p->hash, hash, SHA256_HEX_SIZE);
                snprintf(p->event, sizeof p->event, "%s", rec->event);
                return 0;
        }
        /* The anchor: a copy of seq and head out of reach of whoever can
         * rewrite the file (the journal). */
        log_audit_anchor(a->path, a->last_seq, a->last_hash, rec->event);
        return 0;
}

void audit_set_group_commit(AuditLog *a, bool on) {
        a->group_commit = on;
}

bool audit_has_unsynced(const AuditLog *a) {
        return a->n_unsynced > 0;
}

int audit_flush(AuditLog *a) {
        int r;

        if (!a || a->n_unsynced == 0)
                return 0;
        r = fs_fdatasync(a->fd, a->path);
        if (r < 0)
                return r;
        for (size_t i = 0; i < a->n_unsynced; i++)
                log_audit_anchor(a->path, a->unsynced[i].seq, a->unsynced[i].hash, a->unsynced[i].event);
        a->n_unsynced = 0;
        return 0;
}

int audit_append(AuditLog *a, const AuditRecord *rec) {
        int r;

        if (!rec || isempty(rec->event))
                return -EINVAL;
        r = lock(a);
        if (r < 0)
                return r;
        r = append_locked(a, rec);
        unlock(a);
        return r;
}

/* ---- Streaming reader ------------------------------------------------------------ */

typedef struct LineReader {
        int fd;
        char buf[2 * AUDIT_LINE_MAX];
        size_t start, end; /* unread bytes are buf[start, end) */
        bool eof;
        uint64_t lineno;
} LineReader;

/* Returns 1 with a line (without '\n', but the '\n' follows it in memory
 * when *ret_complete), 0 at the end, -E2BIG for a line over AUDIT_LINE_MAX,
 * -errno. An unterminated last line comes back with *ret_complete false. */
static int line_reader_next(LineReader *lr, const char **ret, size_t *ret_len, bool *ret_complete) {
        for (;;) {
                const char *p = lr->buf + lr->start;
                const char *nl = memchr(p, '\n', lr->end - lr->start);
                ssize_t n;

                if (nl || (lr->eof && lr->end > lr->start)) {
                        size_t len = nl ? (size_t) (nl - p) : lr->end - lr->start;
                        if (len + 1 > AUDIT_LINE_MAX)
                                return -E2BIG;
                        lr->start += len + (nl ? 1 : 0);
                        lr->lineno++;
                        *ret = p;
                        *ret_len = len;
                        *ret_complete = nl != NULL;
                        return 1;
                }
                if (lr->end - lr->start >= AUDIT_LINE_MAX)
                        return -E2BIG;
                if (lr->eof)
                        return 0;
                memmove(lr->buf, p, lr->end - lr->start);
                lr->end -= lr->start;
                lr->start = 0;
                n = fs_read(lr->fd, lr->buf + lr->end, sizeof lr->buf - lr->end);
                if (n < 0)
                        return (int) n;
                if (n == 0)
                        lr->eof = true;
                lr->end += (size_t) n;
        }
}

static int line_reader_open(const char *path, LineReader **ret) {
        LineReader *lr;
        int fd;

        fd = fs_open_regular(AT_FDCWD, path, /* max_size= */ 0); /* not /dev/null, not a FIFO */
        if (fd < 0)
                return fd;
        lr = calloc(1, sizeof(LineReader));
        if (!lr) {
                safe_close(fd);
                return -ENOMEM;
        }
        lr->fd = fd;
        *ret = lr;
        return 0;
}

static void line_reader_freep(LineReader **lr) {
        if (*lr) {
                safe_close((*lr)->fd);
                free(*lr);
        }
}

/* ---- Verify --------------------------------------------------------------------- */

_printf_(3, 4) static void report_broken(AuditVerifyReport *rep, uint64_t lineno, const char *format, ...) {
        va_list ap;

        rep->broken = true;
        rep->broken_line = lineno;
        va_start(ap, format);
        vsnprintf(rep->problem, sizeof rep->problem, format, ap);
        va_end(ap);
}

/* The mac of a line: none (an unkeyed record: only before the first keyed
 * one), or one that must be right when the key is known. */
static bool verify_mac(AuditVerifyReport *rep, const uint8_t *key, const cJSON *o, uint64_t lineno,
                       const char *line, size_t len) {
        size_t start = line_mac_start(line, len);
        const char *mac = record_string(o, "mac");
        char expected[SHA256_HEX_SIZE];

        if (!mac && start == 0) {
                if (rep->first_keyed_seq > 0) {
                        report_broken(rep, lineno, "no \"mac\" after the keyed chain started at seq %" PRIu64
                                                   ": inserted or rewritten without the key",
                                      rep->first_keyed_seq);
                        return false;
                }
                rep->n_unkeyed++;
                return true;
        }
        if (!mac || start == 0 || strlen(mac) != 64 || memcmp(mac, line + start + sizeof(MAC_PREFIX) - 1, 64) != 0) {
                report_broken(rep, lineno, "\"mac\" is not the last field, as chorusd writes it");
                return false;
        }
        if (rep->first_keyed_seq == 0)
                rep->first_keyed_seq = rep->last_seq + 1;
        if (!key)
                return true;
        if (mac_hex(key, line, start, expected) < 0 || !streq(expected, mac)) {
                report_broken(rep, lineno, "\"mac\" does not match under the audit key: the record was "
                                           "changed, or written with another key");
                return false;
        }
        rep->n_macs_checked++;
        return true;
}

/* Checks one whole line against the chain so far. Returns true if good. */
static bool verify_line(AuditVerifyReport *rep, const uint8_t *key, uint64_t lineno, const char *line,
                        size_t len) {
        _cleanup_(cJSON_Deletep) cJSON *o = cJSON_ParseWithLength(line, len);
        const char *prev;
        uint64_t seq;

        rep->broken_seq = 0;
        if (!cJSON_IsObject(o)) {
                report_broken(rep, lineno, "not a JSON object (damaged or edited by hand)");
                return false;
        }
        seq = record_seq(o);
        rep->broken_seq = seq;
        if (seq == 0) {
                report_broken(rep, lineno, "no valid \"seq\"");
                return false;
        }
        if (seq != rep->last_seq + 1) {
                report_broken(rep, lineno,
                              "seq %" PRIu64 " where %" PRIu64 " was expected: %s", seq, rep->last_seq + 1,
                              seq > rep->last_seq + 1 ? "records are missing before this line"
                                                      : "records are repeated or out of order");
                return false;
        }
        prev = record_string(o, "prev");
        if (!prev || !streq(prev, rep->last_hash)) {
                if (lineno == 1)
                        report_broken(rep, lineno, "\"prev\" is not 64 zeros, as the first record's must be "
                                                   "(the start of the log is missing)");
                else
                        report_broken(rep, lineno,
                                      "\"prev\" is not the SHA-256 of line %" PRIu64 ": line %" PRIu64
                                      " was changed after it was written (or this line's \"prev\" was)",
                                      lineno - 1, lineno - 1);
                return false;
        }
        if (!record_string(o, "time") || isempty(record_string(o, "event"))) {
                report_broken(rep, lineno, "no \"time\" or no \"event\"");
                return false;
        }
        return verify_mac(rep, key, o, lineno, line, len);
}

/* The journal anchors for the record just checked (anchors sorted by seq;
 * *i moves past them): each must name this record's hash. */
static bool verify_anchors(AuditVerifyReport *rep, const AuditAnchor *anchors, size_t n, size_t *i,
                           uint64_t lineno, uint64_t seq, const char *hash) {
        for (; *i < n && anchors[*i].seq <= seq; (*i)++) {
                if (anchors[*i].seq < seq)
                        continue; /* before a restart of the chain: not this file's */
                if (!streq(anchors[*i].head, hash)) {
                        rep->broken_seq = seq;
                        report_broken(rep, lineno, "record %" PRIu64 " is not the one the journal recorded "
                                                   "when it was written: it was rewritten (or records "
                                                   "before it were)", seq);
                        return false;
                }
                rep->n_anchors_checked++;
        }
        return true;
}

int audit_verify(const char *path, AuditVerifyReport *ret) {
        return audit_verify_full(path, NULL, NULL, 0, ret);
}

int audit_verify_full(const char *path, const uint8_t *key, const AuditAnchor *anchors, size_t n_anchors,
                      AuditVerifyReport *ret) {
        _cleanup_(line_reader_freep) LineReader *lr = NULL;
        AuditVerifyReport rep = { .key_known = key != NULL };
        size_t anchor = 0;
        int r;

        memcpy(rep.last_hash, AUDIT_FIRST_PREV, SHA256_HEX_SIZE);
        r = line_reader_open(path, &lr);
        if (r < 0)
                return r;
        for (;;) {
                const char *line;
                size_t len;
                bool complete;

                r = line_reader_next(lr, &line, &len, &complete);
                if (r == -E2BIG) {
                        report_broken(&rep, lr->lineno + 1, "a line longer than %d bytes: not a record",
                                      AUDIT_LINE_MAX);
                        break;
                }
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                if (!complete) {
                        rep.torn_bytes = len; /* a crash cut the last write: accepted */
                        break;
                }
                if (!verify_line(&rep, key, lr->lineno, line, len))
                        break;
                r = sha256_hex(line, len + 1, rep.last_hash);
                if (r < 0)
                        return r;
                if (!verify_anchors(&rep, anchors, n_anchors, &anchor, lr->lineno, rep.last_seq + 1,
                                    rep.last_hash))
                        break;
                rep.last_seq++;
                rep.n_records++;
        }
        /* Journaled records the file no longer has: cut off at the end. */
        if (!rep.broken && n_anchors > 0 && anchors[n_anchors - 1].seq > rep.last_seq) {
                rep.broken = true;
                rep.broken_line = lr->lineno + 1;
                rep.broken_seq = 0;
                snprintf(rep.problem, sizeof rep.problem,
                         "the journal recorded seq %" PRIu64 ", but the file ends at seq %" PRIu64
                         ": records were removed from the end",
                         anchors[n_anchors - 1].seq, rep.last_seq);
        }
        *ret = rep;
        return 0;
}

/* ---- Foreach ------------------------------------------------------------------- */

static void record_from_json(const cJSON *o, AuditRecord *rec) {
        const char *total = record_string(o, "total"), *before = record_string(o, "total_before_cap"),
                   *allowance = record_string(o, "allowance");

        *rec = (AuditRecord){
                .event = record_string(o, "event"),
                .job = record_string(o, "job"),
                .convention = record_string(o, "convention"),
                .invoice = record_string(o, "invoice"),
                .bilan_sha256 = record_string(o, "bilan_sha256"),
                .payload_sha256 = record_string(o, "payload_sha256"),
                .flux = record_string(o, "flux"),
                .cpp_id = record_string(o, "cpp_id"),
                .user = record_string(o, "user"),
                .as = record_string(o, "as"),
                .detail = record_string(o, "detail"),
        };
        rec->has_amounts = total && before && allowance && money_parse(total, &rec->total) >= 0 &&
                           money_parse(before, &rec->total_before_cap) >= 0 &&
                           money_parse(allowance, &rec->allowance) >= 0;
}

int audit_foreach(const char *path, AuditForeachFunc f, void *userdata) {
        _cleanup_(line_reader_freep) LineReader *lr = NULL;
        int r;

        r = line_reader_open(path, &lr);
        if (r < 0)
                return r;
        for (;;) {
                _cleanup_(cJSON_Deletep) cJSON *o = NULL;
                AuditRecord rec;
                const char *line;
                size_t len;
                bool complete;

                r = line_reader_next(lr, &line, &len, &complete);
                if (r == -E2BIG)
                        return -EBADMSG;
                if (r <= 0 || !complete)
                        return r < 0 ? r : 0;
                o = cJSON_ParseWithLength(line, len);
                if (!cJSON_IsObject(o) || record_seq(o) == 0)
                        return -EBADMSG;
                record_from_json(o, &rec);
                r = f(record_seq(o), record_string(o, "time"), &rec, userdata);
                if (r < 0)
                        return r;
        }
}
