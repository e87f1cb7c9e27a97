/* audit.h — the hash-chained, append-only audit log (STATE_DIR/audit.log).
 *
 * One JSON object per line (cJSON, unformatted), fields in this order:
 *
 *   {"seq":7,"time":"2026-12-10T14:30:00.123456Z","prev":"<64 hex>",
 *    "event":"deposited","job":"20261210-143000-a1b2c3d4",
 *    "convention":"CDCMC-2026","invoice":"CMA34-2026-0007",
 *    "total":"4000.00","total_before_cap":"4500.00","allowance":"500.00",
 *    "bilan_sha256":"<64 hex>","payload_sha256":"<64 hex>","flux":"…",
 *    "cpp_id":"…","detail":"…"}
 *
 * seq starts at 1 and grows by one; prev is the SHA-256 (lowercase hex) of
 * the previous line's bytes including its '\n' (64 zeros for the first
 * line). Fields after event are present only when known. Amounts are
 * decimal strings with two decimals (money_format), never JSON numbers.
 *
 * Writing (Redis's append-only file): O_APPEND|O_CLOEXEC, one write() per
 * record; a short write is cut back with ftruncate; fdatasync before
 * audit_append() returns, so the step it records may count as done only
 * then. Several processes may write (the daemon, `chorusctl requeue`):
 * each append holds an flock() on the log, and a writer that finds the file
 * grown since its last append reads the new tail first, so the chain stays
 * one. On open only the tail is read (the file grows forever): a last line
 * torn by a crash is cut off with a warning; any other damage stops the
 * open (-EBADMSG), for the administrator to look at with `chorusctl audit
 * verify`.
 *
 * Errors: -EIO means an fsync or the repair of a short write failed: stop
 * (fsutil.h). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "base/fsutil.h"
#include "base/macro.h"

#define AUDIT_LOG_FILE "audit.log"
#define AUDIT_LINE_MAX 8192   /* bytes of one record, '\n' included */
#define AUDIT_DETAIL_MAX 1024 /* a longer detail is cut (at a UTF-8 boundary) */
#define AUDIT_FIRST_PREV "0000000000000000000000000000000000000000000000000000000000000000"
/* A torn end is copied to PATH.damaged-TIMESTAMP before it is cut. */
#define AUDIT_DAMAGED_SUFFIX ".damaged-"

/* What one record says. Strings may be NULL (left out). */
typedef struct AuditRecord {
        const char *event; /* required: "claimed", "numbered", "deposited"… */
        const char *job;
        const char *convention;
        const char *invoice;
        bool has_amounts;
        int64_t total, total_before_cap, allowance; /* cents */
        const char *bilan_sha256; /* the bilan as claimed */
        const char *payload_sha256;
        const char *flux;
        const char *cpp_id;
        /* A person's action (chorusctl approve, cancel): the Unix user who
         * ran it, from its uid, and the name given with --as. */
        const char *user;
        const char *as;
        const char *detail; /* one line for people; no secrets */
        uint64_t time_usec; /* 0 = now (CLOCK_REALTIME) */
} AuditRecord;

typedef struct AuditLog AuditLog;

/* Opens (creating, mode 0640) the log at `path` for appending, repairs a
 * torn last line, and learns the last seq and hash from the tail. Returns
 * 0, -EBADMSG (the tail is damaged: not one of our records), -errno. */
int audit_open(const char *path, AuditLog **ret);
/* The same with the HMAC key (AUDIT_KEY_BYTES bytes, credentials.h, copied into secret
 * memory), or NULL: every record then ends with "mac". Without a key, a
 * log whose last record is keyed is refused (-ENOKEY). */
int audit_open_keyed(const char *path, const uint8_t *key, AuditLog **ret);
bool audit_is_keyed(const AuditLog *a);
AuditLog *audit_free(AuditLog *a);
DEFINE_TRIVIAL_CLEANUP_FUNC(AuditLog *, audit_free);

/* Appends one record, durably. Returns 0, -EINVAL (no event, or a record
 * over AUDIT_LINE_MAX), -ENOSPC (short write, cut back: nothing written),
 * -EBADMSG (another writer left a damaged tail), -EIO (fatal), -ENOMEM. */
int audit_append(AuditLog *a, const AuditRecord *rec);

/* Group commit (the daemon): from now on audit_append() writes the record
 * but leaves its fdatasync, and its journal anchor, to audit_flush(), which
 * makes every record appended since durable with one fdatasync and then
 * anchors them. The daemon flushes before every durable job state that
 * follows the records, before a request leaves for Chorus Pro, before a
 * notice, at the end of each event-loop iteration and at exit
 * (daemon/README.md, "Durability"). Returns 0 or -EIO (fatal). */
void audit_set_group_commit(AuditLog *a, bool on);
int audit_flush(AuditLog *a);
/* Whether records wait for audit_flush(). */
bool audit_has_unsynced(const AuditLog *a);

uint64_t audit_last_seq(const AuditLog *a);
/* The hash the next record will carry as prev. */
const char *audit_last_hash(const AuditLog *a);

/* ---- Verification and reading (chorusctl) ---------------------------------- */

typedef struct AuditVerifyReport {
        uint64_t n_records; /* whole, good records before any break */
        uint64_t last_seq;  /* of the last good record */
        char last_hash[SHA256_HEX_SIZE]; /* SHA-256 of the last good line */
        uint64_t torn_bytes; /* an unterminated last line: accepted, reported */
        bool broken;
        uint64_t broken_line; /* 1-based line number of the first bad record */
        uint64_t broken_seq;  /* the seq it carries, 0 if unreadable */
        char problem[256];    /* what is wrong, for people */
        uint64_t n_unkeyed;       /* good records without a mac (before the key) */
        uint64_t first_keyed_seq; /* where the keyed chain starts, 0 if none */
        bool key_known;           /* macs were checked */
        uint64_t n_macs_checked;
        uint64_t n_anchors_checked; /* journal anchors that matched */
} AuditVerifyReport;

/* What the journal recorded at one append (CHORUSD_AUDIT_SEQ=,
 * CHORUSD_AUDIT_HEAD=): the seq and the SHA-256 of the line written. */
typedef struct AuditAnchor {
        uint64_t seq;
        char head[SHA256_HEX_SIZE];
} AuditAnchor;

/* Checks the whole chain, streaming line by line (memory stays flat):
 * each line is a JSON object with seq = previous + 1, prev = the SHA-256
 * of the previous line, a time and an event. Stops at the first broken
 * record and names it; only an unterminated last line is accepted.
 * Returns 0 with the report filled (look at report->broken), or -errno if
 * the file cannot be read or is not a regular file (fs_open_regular()). */
int audit_verify(const char *path, AuditVerifyReport *ret);
/* The same, also checking each "mac" under `key` (NULL: macs are only
 * checked to be there, from the first keyed record on) and each record
 * against the journal `anchors` (sorted by seq; may be NULL): a record
 * whose hash differs from its anchor was rewritten, an anchor past the
 * last seq names records removed from the end. */
int audit_verify_full(const char *path, const uint8_t *key, const AuditAnchor *anchors, size_t n_anchors,
                      AuditVerifyReport *ret);

/* Calls f for every whole record, in order, streaming; the record's
 * strings live until f returns. Stops at the first unreadable line
 * (-EBADMSG) or when f returns < 0. For `chorusctl status JOB`. */
typedef int (*AuditForeachFunc)(uint64_t seq, const char *time, const AuditRecord *rec,
                                void *userdata);
int audit_foreach(const char *path, AuditForeachFunc f, void *userdata);
