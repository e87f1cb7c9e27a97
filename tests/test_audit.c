/* test_audit.c — the hash-chained audit log (audit.h) and `chorusctl audit
 * verify`: the chain across reopenings, every field, a tampered record, a
 * deleted record, a torn last line (accepted, then cut at the next open),
 * short writes and sync failures through the fault seam, the writer lock. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "service/audit.h"
#include "chorus/credentials.h"
#include "ctl/ctl.h"
#include "scratch.h"

static char *dir, *path;
static AuditLog *log_;

static void setup(void) {
        dir = scratch_new();
        path = scratch_path(dir, AUDIT_LOG_FILE);
        cr_assert_eq(audit_open(path, &log_), 0);
}

static void teardown(void) {
        scratch_faults_off();
        log_ = audit_free(log_);
        free(path);
        scratch_remove(dir);
}

TestSuite(audit, .init = setup, .fini = teardown);

static void append(const char *event, const char *job) {
        AuditRecord rec = {
                .event = event,
                .job = job,
                .convention = "CDCMC-2026",
                .invoice = "CMA34-2026-0007",
                .has_amounts = true,
                .total = 400000,
                .total_before_cap = 450000,
                .allowance = 50000,
                .payload_sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                .flux = "CPP_FLUX_42",
                .cpp_id = "987654",
                .detail = "détail",
                .time_usec = UINT64_C(1797000000123456),
        };

        cr_assert_eq(audit_append(log_, &rec), 0);
}

static void append_n(int n) {
        char job[32];

        for (int i = 0; i < n; i++) {
                snprintf(job, sizeof job, "job-%d", i + 1);
                append("numbered", job);
        }
}

static AuditVerifyReport verify(void) {
        AuditVerifyReport rep;

        cr_assert_eq(audit_verify(path, &rep), 0);
        return rep;
}

static char *read_log(void) {
        char *text = scratch_read(dir, AUDIT_LOG_FILE);
        cr_assert_not_null(text);
        return text;
}

/* Rewrites the log with line `lineno` (1-based) replaced by `replacement`
 * (NULL deletes it). */
static void edit_line(int lineno, const char *replacement) {
        char *text = read_log(), *out = NULL, *save = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);
        int k = 0;

        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (++k == lineno) {
                        if (replacement)
                                fprintf(f, "%s\n", replacement);
                } else
                        fprintf(f, "%s\n", line);
        }
        fclose(f);
        scratch_write(dir, AUDIT_LOG_FILE, out);
        free(out);
        free(text);
}

static char *line_of(int lineno) {
        char *text = read_log(), *save = NULL, *found = NULL;
        int k = 0;

        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                if (++k == lineno)
                        found = strdup(line);
        free(text);
        cr_assert_not_null(found);
        return found;
}

Test(audit, record_fields) {
        cJSON *o;
        char *line;

        append("deposited", "20261210-143000-0a1b2c3d");
        line = line_of(1);
        o = cJSON_Parse(line);
        cr_assert_not_null(o);
        cr_assert_eq(cJSON_GetObjectItem(o, "seq")->valuedouble, 1);
        cr_assert_str_eq(cJSON_GetObjectItem(o, "time")->valuestring, "2026-12-11T14:40:00.123456Z");
        cr_assert_str_eq(cJSON_GetObjectItem(o, "prev")->valuestring, AUDIT_FIRST_PREV);
        cr_assert_str_eq(cJSON_GetObjectItem(o, "event")->valuestring, "deposited");
        cr_assert_str_eq(cJSON_GetObjectItem(o, "job")->valuestring, "20261210-143000-0a1b2c3d");
        cr_assert_str_eq(cJSON_GetObjectItem(o, "invoice")->valuestring, "CMA34-2026-0007");
        cr_assert_str_eq(cJSON_GetObjectItem(o, "total")->valuestring, "4000.00");
        cr_assert_str_eq(cJSON_GetObjectItem(o, "total_before_cap")->valuestring, "4500.00");
        cr_assert_str_eq(cJSON_GetObjectItem(o, "allowance")->valuestring, "500.00");
        cr_assert_str_eq(cJSON_GetObjectItem(o, "flux")->valuestring, "CPP_FLUX_42");
        cr_assert_str_eq(cJSON_GetObjectItem(o, "cpp_id")->valuestring, "987654");
        cr_assert_str_eq(cJSON_GetObjectItem(o, "detail")->valuestring, "détail");
        cr_assert_eq(strncmp(line, "{\"seq\":1,\"time\":", 16), 0, "%s", line);
        cJSON_Delete(o);
        free(line);
}

Test(audit, minimal_record_and_refusals) {
        AuditRecord rec = { .event = "claimed" };
        char *line;

        cr_assert_eq(audit_append(log_, &rec), 0);
        line = line_of(1);
        cr_assert_null(strstr(line, "\"total\""));
        cr_assert_null(strstr(line, "\"job\""));
        free(line);
        cr_assert_eq(audit_append(log_, &(AuditRecord){ .event = NULL }), -EINVAL);
        cr_assert_eq(audit_append(log_, &(AuditRecord){ .event = "" }), -EINVAL);
        cr_assert_eq(audit_last_seq(log_), 1);
}

Test(audit, chain_across_reopen) {
        char hash[SHA256_HEX_SIZE], *line, *text;
        AuditVerifyReport rep;

        append_n(3);
        cr_assert_eq(audit_last_seq(log_), 3);
        audit_free(log_);
        log_ = NULL;
        cr_assert_eq(audit_open(path, &log_), 0);
        cr_assert_eq(audit_last_seq(log_), 3);
        /* The next prev is the SHA-256 of the whole third line with its '\n'. */
        line = line_of(3);
        text = NULL;
        cr_assert(asprintf(&text, "%s\n", line) > 0);
        cr_assert_eq(sha256_hex(text, strlen(text), hash), 0);
        cr_assert_str_eq(audit_last_hash(log_), hash);
        append_n(2);
        rep = verify();
        cr_assert_not(rep.broken, "%s", rep.problem);
        cr_assert_eq(rep.n_records, 5);
        cr_assert_eq(rep.last_seq, 5);
        cr_assert_str_eq(rep.last_hash, audit_last_hash(log_));
        cr_assert_eq(rep.torn_bytes, 0);
        free(line);
        free(text);
}

Test(audit, empty_log_verifies) {
        AuditVerifyReport rep = verify();

        cr_assert_not(rep.broken);
        cr_assert_eq(rep.n_records, 0);
}

Test(audit, tampered_record_is_named) {
        AuditVerifyReport rep;
        char *line, *p;

        append_n(5);
        line = line_of(3);
        p = strstr(line, "4000.00");
        cr_assert_not_null(p);
        p[0] = '9'; /* 9000.00: still valid JSON, still seq 3 */
        edit_line(3, line);
        rep = verify();
        cr_assert(rep.broken);
        cr_assert_eq(rep.broken_line, 4);
        cr_assert_eq(rep.broken_seq, 4);
        cr_assert_not_null(strstr(rep.problem, "line 3 was changed"), "%s", rep.problem);
        cr_assert_eq(rep.n_records, 3, "lines 1-3 chain; line 3's content is what line 4 exposes");
        free(line);
}

Test(audit, deleted_record_is_named) {
        AuditVerifyReport rep;

        append_n(5);
        edit_line(3, NULL);
        rep = verify();
        cr_assert(rep.broken);
        cr_assert_eq(rep.broken_line, 3);
        cr_assert_eq(rep.broken_seq, 4);
        cr_assert_not_null(strstr(rep.problem, "seq 4 where 3 was expected"), "%s", rep.problem);
        cr_assert_not_null(strstr(rep.problem, "missing"), "%s", rep.problem);
}

Test(audit, first_record_removed) {
        AuditVerifyReport rep;

        append_n(2);
        edit_line(1, NULL);
        rep = verify();
        cr_assert(rep.broken);
        cr_assert_eq(rep.broken_line, 1);
}

Test(audit, garbage_line_is_named) {
        AuditVerifyReport rep;

        append_n(3);
        edit_line(2, "this is not json");
        rep = verify();
        cr_assert(rep.broken);
        cr_assert_eq(rep.broken_line, 2);
        cr_assert_eq(rep.broken_seq, 0);
        cr_assert_not_null(strstr(rep.problem, "not a JSON object"), "%s", rep.problem);
}

Test(audit, torn_last_line_accepted_then_cut) {
        AuditVerifyReport rep;
        struct stat st;
        const char *torn = "{\"seq\":4,\"time\":\"2026-12-";
        FILE *f;
        off_t good;

        append_n(3);
        cr_assert(stat(path, &st) == 0);
        good = st.st_size;
        f = fopen(path, "ae");
        fputs(torn, f); /* the crash */
        fclose(f);
        rep = verify();
        cr_assert_not(rep.broken, "%s", rep.problem);
        cr_assert_eq(rep.n_records, 3);
        cr_assert_eq(rep.torn_bytes, strlen(torn));

        audit_free(log_);
        log_ = NULL;
        cr_assert_eq(audit_open(path, &log_), 0);
        cr_assert(stat(path, &st) == 0);
        cr_assert_eq(st.st_size, good, "the torn line is cut at open");
        cr_assert_eq(audit_last_seq(log_), 3);
        append_n(1);
        rep = verify();
        cr_assert_not(rep.broken, "%s", rep.problem);
        cr_assert_eq(rep.n_records, 4);
        cr_assert_eq(rep.torn_bytes, 0);
}

Test(audit, damaged_last_record_stops_the_open) {
        AuditLog *other = NULL;

        append_n(2);
        audit_free(log_);
        log_ = NULL;
        edit_line(2, "{\"broken\":");
        cr_assert_eq(audit_open(path, &other), -EBADMSG);
}

Test(audit, short_write_is_cut_back) {
        FaultPlan plan = { .op = FS_OP_WRITE, .fail_at = 1, .error = 10 };
        AuditRecord rec = { .event = "claimed", .job = "j" };
        AuditVerifyReport rep;
        struct stat st;
        off_t before;

        append_n(2);
        cr_assert(stat(path, &st) == 0);
        before = st.st_size;
        scratch_faults(&plan);
        cr_assert_eq(audit_append(log_, &rec), -ENOSPC);
        scratch_faults_off();
        cr_assert(stat(path, &st) == 0);
        cr_assert_eq(st.st_size, before, "the 10 bytes written were removed");
        cr_assert_eq(audit_last_seq(log_), 2);
        cr_assert_eq(audit_append(log_, &rec), 0);
        rep = verify();
        cr_assert_not(rep.broken, "%s", rep.problem);
        cr_assert_eq(rep.n_records, 3);
}

/* A new log's name is made durable (folder fsync) before any record is
 * written into it: fdatasync alone does not cover the folder entry. */
Test(audit, new_log_fsyncs_its_folder) {
        FaultPlan plan = { .op = FS_OP_FSYNC, .fail_at = 1, .error = -EIO };
        char *other = scratch_path(dir, "other.log");
        AuditLog *a = NULL;

        scratch_faults(&plan);
        cr_assert_eq(audit_open(other, &a), -EIO);
        scratch_faults_off();
        cr_assert_eq(plan.seen[FS_OP_FSYNC], 1);
        cr_assert_eq(audit_open(other, &a), 0);
        scratch_faults(&plan);
        audit_free(a);
        cr_assert_eq(audit_open(other, &a), 0, "an existing log needs no folder fsync");
        scratch_faults_off();
        audit_free(a);
        free(other);
}

Test(audit, sync_failure_is_fatal) {
        FaultPlan plan = { .op = FS_OP_FDATASYNC, .fail_at = 1, .error = -EIO };
        AuditRecord rec = { .event = "claimed" };

        scratch_faults(&plan);
        cr_assert_eq(audit_append(log_, &rec), -EIO);
        scratch_faults_off();
        cr_assert(fs_error_is_fatal(-EIO));
}

/* The daemon and chorusctl append to the same log: one chain. */
Test(audit, two_writers_share_one_chain) {
        AuditLog *other = NULL;
        AuditRecord rec = { .event = "requeued", .job = "ctl" };
        AuditVerifyReport rep;

        cr_assert_eq(audit_open(path, &other), 0);
        append_n(2);
        cr_assert_eq(audit_append(other, &rec), 0);
        cr_assert_eq(audit_last_seq(other), 3);
        append_n(1);
        cr_assert_eq(audit_last_seq(log_), 4);
        cr_assert_eq(audit_append(other, &rec), 0);
        rep = verify();
        cr_assert_not(rep.broken, "%s", rep.problem);
        cr_assert_eq(rep.n_records, 5);
        audit_free(other);
}

static off_t log_size(void) {
        struct stat st;

        cr_assert(stat(path, &st) == 0);
        return st.st_size;
}

/* A record that is not ours appears at the end while the log is open (an
 * editor, another program): every later append refuses, none chains onto
 * what it could not read. */
Test(audit, damaged_tail_found_while_open_refuses_every_append) {
        AuditRecord rec = { .event = "claimed", .job = "j" };
        off_t size;
        int fd;

        append_n(2);
        fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
        cr_assert_geq(fd, 0);
        cr_assert_eq(write(fd, "{\"broken\":1}\n", 13), 13);
        close(fd);
        size = log_size();
        cr_assert_eq(audit_append(log_, &rec), -EBADMSG);
        cr_assert_eq(audit_append(log_, &rec), -EBADMSG, "the second append chained onto the damage");
        cr_assert_eq(log_size(), size, "nothing appended after the damage");
}

/* The log emptied under an open writer (by hand): the next record starts a
 * new chain, seq 1 after 64 zeros, as verify expects of a first line. */
Test(audit, log_emptied_while_open_starts_a_new_chain) {
        AuditVerifyReport rep;

        append_n(3);
        cr_assert(truncate(path, 0) == 0);
        append_n(1);
        cr_assert_eq(audit_last_seq(log_), 1);
        rep = verify();
        cr_assert_not(rep.broken, "%s", rep.problem);
        cr_assert_eq(rep.n_records, 1);
}

Test(audit, detail_stays_one_bounded_line) {
        char big[3000], *text;
        AuditRecord rec = { .event = "error", .detail = "first line\nsecond line\r\x01" };
        AuditVerifyReport rep;

        cr_assert_eq(audit_append(log_, &rec), 0);
        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = 0;
        rec.detail = big;
        cr_assert_eq(audit_append(log_, &rec), 0);
        text = read_log();
        int lines = 0;
        for (char *p = text; *p; p++)
                lines += *p == '\n';
        cr_assert_eq(lines, 2);
        cr_assert_lt(strlen(text), 2 * 600 + AUDIT_DETAIL_MAX);
        rep = verify();
        cr_assert_not(rep.broken);
        free(text);
}

typedef struct Collected {
        unsigned n;
        unsigned with_amounts;
        char last_job[32];
} Collected;

static int collect(uint64_t seq, const char *time, const AuditRecord *rec, void *userdata) {
        Collected *c = userdata;

        cr_assert_eq(seq, c->n + 1);
        cr_assert_not_null(time);
        c->n++;
        c->with_amounts += rec->has_amounts && rec->total == 400000;
        snprintf(c->last_job, sizeof c->last_job, "%s", strempty(rec->job));
        return 0;
}

Test(audit, foreach_streams_records) {
        Collected c = {};

        append_n(4);
        cr_assert_eq(audit_foreach(path, collect, &c), 0);
        cr_assert_eq(c.n, 4);
        cr_assert_eq(c.with_amounts, 4);
        cr_assert_str_eq(c.last_job, "job-4");
}

/* A long log is verified with a fixed buffer: 20 000 records. */
Test(audit, long_log_verifies) {
        AuditVerifyReport rep;

        append_n(20000);
        rep = verify();
        cr_assert_not(rep.broken, "%s", rep.problem);
        cr_assert_eq(rep.last_seq, 20000);
}

/* Only a regular file is a log: /dev/null or a FIFO must not verify as an
 * empty log ("OK: 0 records"), and a FIFO must not block. */
Test(audit, verify_refuses_what_is_not_a_file, .timeout = 10) {
        char *fifo = scratch_path(dir, "fifo");
        AuditVerifyReport rep;

        cr_assert(mkfifo(fifo, 0600) == 0);
        cr_assert_eq(audit_verify("/dev/null", &rep), -EBADFD);
        cr_assert_eq(audit_verify(fifo, &rep), -EBADFD);
        cr_assert_eq(audit_verify(dir, &rep), -EISDIR);
        cr_assert_eq(audit_foreach(fifo, collect, NULL), -EBADFD);
        free(fifo);
}

/* ---- chorusctl audit verify ------------------------------------------------------- */

#define NOTE_UNKEYED                                                                                 \
        "note: no record is keyed (no audit key was configured): the chain shows changes, but whoever " \
        "can write the file can rewrite it and chain it again.\n"

static int run_ctl(int argc, const char *const argv[]) {
        return ctl_audit(argc, (char **) (uintptr_t) argv);
}

Test(audit, ctl_verify_ok) {
        const char *argv[] = { "audit", "verify", "--file", path, NULL };

        cr_redirect_stdout();
        append_n(3);
        cr_assert_eq(run_ctl(4, argv), CTL_EXIT_OK);
        fflush(stdout);
        cr_assert_stdout_eq_str("audit log OK: 3 records, last seq 3\n" NOTE_UNKEYED);
}

Test(audit, ctl_verify_broken) {
        const char *argv[] = { "audit", "verify", "-f", path, NULL };

        char *expected = NULL;

        cr_redirect_stdout();
        append_n(4);
        edit_line(2, NULL);
        cr_assert_eq(run_ctl(4, argv), CTL_EXIT_DATAERR);
        fflush(stdout);
        /* The first broken record is named: line 2, which carries seq 3. */
        cr_assert(asprintf(&expected,
                           "audit log BROKEN: %s: line 2 (seq 3): seq 3 where 2 was expected: records are "
                           "missing before this line\n1 record before it is intact (last good seq 1).\n",
                           path) > 0);
        cr_assert_stdout_eq_str(expected);
        free(expected);
}

Test(audit, ctl_usage_and_missing_file) {
        const char *missing[] = { "audit", "verify", "--file", "/nonexistent/audit.log", NULL };
        const char *nosub[] = { "audit", NULL };
        const char *badsub[] = { "audit", "check", NULL };
        const char *extra[] = { "audit", "verify", "x", "--file", path, NULL };

        cr_redirect_stderr();
        cr_assert_eq(run_ctl(4, missing), CTL_EXIT_NOINPUT);
        cr_assert_eq(run_ctl(1, nosub), CTL_EXIT_USAGE);
        cr_assert_eq(run_ctl(2, badsub), CTL_EXIT_USAGE);
        cr_assert_eq(run_ctl(5, extra), CTL_EXIT_USAGE);
}

/* Without --file, the log is [state] dir/audit.log of the configuration. */
Test(audit, ctl_verify_uses_the_configuration) {
        char *base = scratch_read("tests/data/config", "good-minimal.conf"), *conf = NULL, *conf_path;
        const char *argv[] = { "audit", "verify", "-c", NULL, NULL };

        cr_assert_not_null(base);
        cr_assert(asprintf(&conf, "%s\n[state]\ndir = %s\n", base, dir) > 0);
        scratch_write(dir, "chorusd.conf", conf);
        conf_path = scratch_path(dir, "chorusd.conf");
        argv[3] = conf_path;
        append_n(2);
        cr_redirect_stdout();
        cr_assert_eq(run_ctl(4, argv), CTL_EXIT_OK);
        fflush(stdout);
        cr_assert_stdout_eq_str("audit log OK: 2 records, last seq 2\n" NOTE_UNKEYED);
        free(conf_path);
        free(conf);
        free(base);
}

/* ---- Keyed chain, journal anchors, damaged tails (issue 9, item 11) -------------- */

static const uint8_t key[AUDIT_KEY_BYTES] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                              17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };

static void reopen_keyed(const uint8_t *k) {
        log_ = audit_free(log_);
        cr_assert_eq(audit_open_keyed(path, k, &log_), 0);
}

/* What someone with write access does after an edit: every "prev" after
 * the first line set again to the SHA-256 of the line before. */
static void rechain(void) {
        char *text = read_log(), *out = NULL, *save = NULL, prev[SHA256_HEX_SIZE] = "";
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);

        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *p = strstr(line, "\"prev\":\"");
                _cleanup_(freep) char *with_nl = NULL;

                if (*prev && p)
                        memcpy(p + 8, prev, 64);
                cr_assert(asprintf(&with_nl, "%s\n", line) > 0);
                cr_assert_eq(sha256_hex(with_nl, strlen(with_nl), prev), 0);
                fputs(with_nl, f);
        }
        fclose(f);
        scratch_write(dir, AUDIT_LOG_FILE, out);
        free(out);
        free(text);
}

/* Replaces the first `from` in line `lineno` by `to` (same length or not). */
static void edit_in_line(int lineno, const char *from, const char *to) {
        _cleanup_(freep) char *line = line_of(lineno), *edited = NULL;
        char *p = strstr(line, from);

        cr_assert_not_null(p, "'%s' not in line %d", from, lineno);
        cr_assert(asprintf(&edited, "%.*s%s%s", (int) (p - line), line, to, p + strlen(from)) > 0);
        edit_line(lineno, edited);
}

/* The old chain had no key: an edit re-chained by hand verified OK. */
Test(audit, rechained_edit_is_caught_by_the_key) {
        AuditVerifyReport rep;

        reopen_keyed(key);
        append_n(3);
        cr_assert_eq(audit_verify_full(path, key, NULL, 0, &rep), 0);
        cr_assert_not(rep.broken, "%s", rep.problem);
        cr_expect_eq(rep.n_macs_checked, 3);
        cr_expect_eq(rep.first_keyed_seq, 1);
        cr_expect_eq(rep.n_unkeyed, 0);

        edit_in_line(2, "\"total\":\"4000.00\"", "\"total\":\"9000.00\"");
        rechain();
        cr_assert_eq(audit_verify_full(path, key, NULL, 0, &rep), 0);
        cr_expect(rep.broken);
        cr_expect_eq(rep.broken_line, 2);
        cr_expect(strstr(rep.problem, "mac"), "%s", rep.problem);
}

/* Dropping the macs does not help: after the first keyed record, a record
 * without one is refused, key or not. */
Test(audit, unkeyed_record_after_keyed_ones_is_broken) {
        AuditVerifyReport rep;
        _cleanup_(freep) char *line = NULL, *stripped = NULL;
        char *mac;

        reopen_keyed(key);
        append_n(3);
        line = line_of(3);
        mac = strstr(line, ",\"mac\":");
        cr_assert_not_null(mac);
        cr_assert(asprintf(&stripped, "%.*s}", (int) (mac - line), line) > 0);
        edit_line(3, stripped);
        cr_assert_eq(audit_verify(path, &rep), 0);
        cr_expect(rep.broken);
        cr_expect_eq(rep.broken_line, 3);
        cr_expect(strstr(rep.problem, "no \"mac\""), "%s", rep.problem);
}

/* An installation upgrading: the old records stay unkeyed, the new ones are
 * keyed, verify says where the keyed chain starts; once keyed, a writer
 * without the key is refused. */
Test(audit, upgrade_from_an_unkeyed_log) {
        AuditVerifyReport rep;
        AuditLog *other = NULL;

        append_n(2);
        reopen_keyed(key);
        append_n(2);
        cr_assert_eq(audit_verify_full(path, key, NULL, 0, &rep), 0);
        cr_assert_not(rep.broken, "%s", rep.problem);
        cr_expect_eq(rep.n_records, 4);
        cr_expect_eq(rep.n_unkeyed, 2);
        cr_expect_eq(rep.first_keyed_seq, 3);
        cr_expect_eq(rep.n_macs_checked, 2);
        cr_expect_eq(audit_open(path, &other), -ENOKEY);
        cr_expect_null(other);
}

/* Records removed or rewritten after the journal saw them. */
Test(audit, journal_anchors_catch_removed_and_rewritten_records) {
        AuditAnchor anchors[4];
        AuditVerifyReport rep;

        for (int i = 0; i < 4; i++) {
                append("claimed", "job");
                anchors[i].seq = audit_last_seq(log_);
                memcpy(anchors[i].head, audit_last_hash(log_), SHA256_HEX_SIZE);
        }
        cr_assert_eq(audit_verify_full(path, NULL, anchors, 4, &rep), 0);
        cr_assert_not(rep.broken, "%s", rep.problem);
        cr_expect_eq(rep.n_anchors_checked, 4);

        /* Unkeyed: an edit re-chained by hand passes the chain, not the journal. */
        edit_in_line(2, "\"event\":\"claimed\"", "\"event\":\"voided\"");
        rechain();
        cr_assert_eq(audit_verify(path, &rep), 0);
        cr_expect_not(rep.broken, "the chain alone cannot see it: %s", rep.problem);
        cr_assert_eq(audit_verify_full(path, NULL, anchors, 4, &rep), 0);
        cr_expect(rep.broken);
        cr_expect_eq(rep.broken_seq, 2);
        cr_expect(strstr(rep.problem, "rewritten"), "%s", rep.problem);

        /* The last record removed: the chain is whole, the journal knows better. */
        log_ = audit_free(log_);
        scratch_remove(dir);
        dir = scratch_new();
        free(path);
        path = scratch_path(dir, AUDIT_LOG_FILE);
        cr_assert_eq(audit_open(path, &log_), 0);
        for (int i = 0; i < 4; i++) {
                append("claimed", "job");
                memcpy(anchors[i].head, audit_last_hash(log_), SHA256_HEX_SIZE);
        }
        edit_line(4, NULL);
        cr_assert_eq(audit_verify_full(path, NULL, anchors, 4, &rep), 0);
        cr_expect(rep.broken);
        cr_expect(strstr(rep.problem, "removed from the end"), "%s", rep.problem);
}

/* A few bytes cut off the last record were "repaired" as a torn write:
 * the record was gone. They are now kept aside first. */
Test(audit, damaged_tail_is_kept_aside) {
        _cleanup_(freep) char *text = NULL, *kept = NULL, *name = NULL;
        AuditVerifyReport rep;
        size_t n;
        DIR *d;
        struct dirent *de;

        append_n(3);
        log_ = audit_free(log_);
        text = read_log();
        n = strlen(text);
        cr_assert_eq(truncate(path, (off_t) n - 5), 0);
        cr_assert_eq(audit_verify(path, &rep), 0);
        cr_assert_not_null(strstr(text, "{\"seq\":3"));
        cr_expect_eq(rep.torn_bytes, n - 5 - (size_t) (strstr(text, "{\"seq\":3") - text));

        cr_redirect_stderr();
        cr_assert_eq(audit_open(path, &log_), 0);
        cr_expect_eq(audit_last_seq(log_), 2);
        d = opendir(dir);
        cr_assert_not_null(d);
        while ((de = readdir(d)))
                if (strncmp(de->d_name, AUDIT_LOG_FILE AUDIT_DAMAGED_SUFFIX, strlen(AUDIT_LOG_FILE AUDIT_DAMAGED_SUFFIX)) == 0)
                        name = strdup(de->d_name);
        closedir(d);
        cr_assert_not_null(name, "no audit.log.damaged-* kept");
        kept = scratch_read(dir, name);
        cr_assert_not_null(kept);
        cr_expect(strncmp(kept, strstr(text, "{\"seq\":3"), strlen(kept)) == 0 && strlen(kept) == rep.torn_bytes,
                  "the kept bytes are not the torn record: %s", kept);
}

/* chorusctl audit init: a fresh 0600 key, never an overwrite. */
Test(audit, ctl_init_writes_a_key_once) {
        _cleanup_(freep) char *key_path = scratch_path(dir, "audit-key"), *first = NULL, *second = NULL;
        const char *argv[] = { "audit", "init", "--key", key_path, NULL };
        uint8_t *k = NULL;
        struct stat st;

        cr_redirect_stdout();
        cr_redirect_stderr();
        cr_assert_eq(run_ctl(4, argv), CTL_EXIT_OK);
        cr_assert_eq(stat(key_path, &st), 0);
        cr_expect_eq(st.st_mode & 07777, 0600);
        first = scratch_read(dir, "audit-key");
        cr_assert_not_null(first);
        cr_expect_eq(strlen(first), 65);
        cr_expect_eq(credentials_read_audit_key(key_path, &k, NULL), 0);
        credentials_secret_free(k);

        cr_assert_eq(run_ctl(4, argv), CTL_EXIT_CANTCREAT, "an existing key was not refused");
        second = scratch_read(dir, "audit-key");
        cr_expect_str_eq(second, first, "the key was replaced");
}

/* Group commit (the daemon): records are written at once, in order, and
 * chained, but made durable together by one fdatasync in audit_flush(). */
Test(audit, group_commit_one_fdatasync_for_several_records) {
        uint64_t before;
        AuditVerifyReport rep;

        append_n(1);
        audit_set_group_commit(log_, true);
        before = fs_sync_count();
        append_n(3);
        cr_expect_eq(fs_sync_count(), before, "no fdatasync per record");
        cr_expect(audit_has_unsynced(log_));
        cr_expect_eq(audit_last_seq(log_), 4);
        rep = verify(); /* readers see them at once */
        cr_expect_eq(rep.n_records, 4);
        cr_assert_eq(audit_flush(log_), 0);
        cr_expect_eq(fs_sync_count() - before, 1);
        cr_expect_not(audit_has_unsynced(log_));
        cr_assert_eq(audit_flush(log_), 0);
        cr_expect_eq(fs_sync_count() - before, 1, "nothing left to flush");
        audit_set_group_commit(log_, false);
        append_n(1);
        cr_expect_eq(fs_sync_count() - before, 2, "one record, one fdatasync");
        rep = verify();
        cr_expect_eq(rep.n_records, 5);
        cr_expect_not(rep.broken);
}

/* A failed fdatasync at the flush is fatal (-EIO), as for one record. */
Test(audit, group_commit_flush_failure_is_fatal) {
        FaultPlan plan = { .op = FS_OP_FDATASYNC, .fail_at = 1, .error = -EIO };

        audit_set_group_commit(log_, true);
        append_n(2);
        scratch_faults(&plan);
        cr_expect_eq(audit_flush(log_), -EIO);
        scratch_faults_off();
}
