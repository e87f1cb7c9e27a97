/* numbering.c — durable, gap-free invoice numbers (see numbering.h for the
 * files and the allocation order that makes it crash-safe).
 *
 * Every public operation takes the flock on numbers/lock, then completes
 * a reservation a crash may have left in the counter, then does its work.
 * Each write is write_file_atomic (temp + fsync + rename + fsync of the
 * folder); the ledger is append-only (fs_append_record). -EIO is fatal
 * (fsutil.h); nothing here retries an fsync. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "base/fsutil.h"
#include "base/identifiers.h"
#include "base/kvfile.h"
#include "base/log.h"
#include "service/numbering.h"

#define NUMBERING_FILE_VERSION 1
#define COUNTER_FILE "counter"
#define LEDGER_FILE "ledger"
#define LOCK_FILE "lock"
#define BY_JOB_DIR "by-job"
#define BY_CONVENTION_DIR "by-convention"
#define CREDITS_DIR "credits"
#define CONVENTION_SUFFIX ".invoiced"
#define LEDGER_LINE_MAX 4096

struct Numbering {
        int dirfd;
        int by_job_fd;
        int by_convention_fd;
        int lock_fd;
        int ledger_fd;
};

/* ---- Entries in KEY=VALUE files ------------------------------------------ */

static void put_entry(KvWriter *w, const NumberingEntry *e) {
        char date[DATE_STRING_MAX];

        kv_put(w, "NUMBER", e->number);
        kv_put(w, "JOB", e->job_id);
        kv_put(w, "CONVENTION", e->convention);
        kv_put(w, "ISSUE_DATE", date_format(e->issue_date, date));
        kv_put_u64(w, "ALLOCATED", e->allocated_usec);
        if (e->flux[0])
                kv_put(w, "FLUX", e->flux);
        kv_put(w, "STATE", e->voided ? "voided" : "live");
        if (e->credits[0])
                kv_put(w, "CREDITS", e->credits);
        if (e->credited_by[0])
                kv_put(w, "CREDITED_BY", e->credited_by);
}

static int copy_field(const KvFile *kv, const char *key, char *buf, size_t size, bool required) {
        const char *v;
        int r;

        r = kv_get_optional(kv, key, &v);
        if (r <= 0) {
                buf[0] = 0;
                return r < 0 || required ? -EBADMSG : 0;
        }
        if (strlen(v) >= size)
                return -EBADMSG;
        strcpy(buf, v);
        return 0;
}

/* 0 and the entry, -ENOENT if the file holds no number (a job whose numbers
 * were all voided), -EBADMSG if damaged (a key repeated included: never
 * taken for "no number", which would bind a second one). */
static int parse_entry(const KvFile *kv, NumberingEntry *ret) {
        NumberingEntry e = {};
        const char *number, *state, *date;
        int r;

        r = kv_get_optional(kv, "NUMBER", &number);
        if (r <= 0)
                return r < 0 ? r : -ENOENT;
        if (copy_field(kv, "NUMBER", e.number, sizeof e.number, true) < 0 ||
            copy_field(kv, "JOB", e.job_id, sizeof e.job_id, true) < 0 ||
            copy_field(kv, "CONVENTION", e.convention, sizeof e.convention, true) < 0 ||
            copy_field(kv, "FLUX", e.flux, sizeof e.flux, false) < 0 ||
            copy_field(kv, "CREDITS", e.credits, sizeof e.credits, false) < 0 ||
            copy_field(kv, "CREDITED_BY", e.credited_by, sizeof e.credited_by, false) < 0)
                return -EBADMSG;
        date = kv_get(kv, "ISSUE_DATE");
        state = kv_get(kv, "STATE");
        if (!date || date_parse(date, &e.issue_date) < 0 || kv_get_u64(kv, "ALLOCATED", &e.allocated_usec) < 0)
                return -EBADMSG;
        if (!streq_ptr(state, "live") && !streq_ptr(state, "voided"))
                return -EBADMSG;
        e.voided = streq(state, "voided");
        *ret = e;
        return 0;
}

static int damaged(const char *what, int r) {
        if (r == -EBADMSG)
                log_error("Numbering file %s is damaged; see chorusd(8), \"When the state needs care\"",
                          what);
        return r;
}

static void convention_file(const char *id, char ret[static 128]) {
        snprintf(ret, 128, "%s%s", id, CONVENTION_SUFFIX);
}

/* ---- Ledger ------------------------------------------------------------------ */

static int ledger_line(const char *event, const NumberingEntry *e, const char *detail, char **ret,
                       size_t *ret_size) {
        char ts[TIMESTAMP_ISO_MAX];
        const char *fields[] = { event, e->number, e->job_id, e->convention, strempty(detail) };
        char *buf = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fputs(format_timestamp_iso(now_realtime_usec(), ts), f);
        for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                fputc('\t', f);
                kv_escape(f, fields[i]); /* no tab or newline survives unescaped */
        }
        fputc('\n', f);
        if (fclose(f) != 0 || size > LEDGER_LINE_MAX) {
                free(buf);
                return size > LEDGER_LINE_MAX ? -E2BIG : -ENOMEM;
        }
        *ret = buf;
        *ret_size = size;
        return 0;
}

/* The part of a ledger line after its timestamp. */
static const char *after_timestamp(const char *line) {
        const char *tab = strchr(line, '\t');
        return tab ? tab + 1 : line;
}

/* The ledger's tail, a torn last line cut first (a crash in the middle of
 * an append): the next line must start on a line of its own. */
static int ledger_tail(Numbering *n, FsTail *ret) {
        int r;

        r = fs_read_tail(n->ledger_fd, LEDGER_LINE_MAX, ret);
        if (r < 0)
                return damaged(LEDGER_FILE, r);
        return fs_cut_torn_tail(n->ledger_fd, ret, "the numbering ledger");
}

/* Appends the event unless it is already the last line, i.e. the step
 * that wrote it is being redone after a crash. (Redone after other lines,
 * it shows twice: the ledger is for people, the index files decide.) */
static int ledger_append_once(Numbering *n, const char *event, const NumberingEntry *e,
                              const char *detail) {
        _cleanup_(fs_tail_done) FsTail tail = FS_TAIL_INIT;
        _cleanup_(freep) char *line = NULL;
        size_t size;
        int r;

        r = ledger_line(event, e, detail, &line, &size);
        if (r < 0)
                return r;
        r = ledger_tail(n, &tail);
        if (r < 0)
                return r;
        line[size - 1] = 0;
        if (tail.last_line && streq(after_timestamp(tail.last_line), after_timestamp(line)))
                return 0;
        line[size - 1] = '\n';
        return fs_append_record(n->ledger_fd, &tail.good_size, line, size, "the numbering ledger");
}

/* At open, even when nothing is appended. */
static int ledger_repair(Numbering *n) {
        _cleanup_(fs_tail_done) FsTail tail = FS_TAIL_INIT;

        return ledger_tail(n, &tail);
}

/* ---- The three kinds of files ---------------------------------------------- */

static int read_job(Numbering *n, const char *job_id, KvFile **ret) {
        int r = kv_read_file(n->by_job_fd, job_id, ret);
        return damaged(BY_JOB_DIR "/<job>", r);
}

/* by-job/JOBID: the live entry (or none) and every number it voided. */
static int write_job(Numbering *n, const char *job_id, const NumberingEntry *live,
                     const KvFile *old, const char *newly_voided) {
        _cleanup_(kv_writer_done) KvWriter w = KV_WRITER_INIT;
        const char *v;
        int r;

        r = kv_writer_open(&w, NUMBERING_FILE_VERSION);
        if (r < 0)
                return r;
        if (live)
                put_entry(&w, live);
        for (size_t i = 0; old && (v = kv_get_nth(old, "VOIDED", i)); i++)
                kv_put(&w, "VOIDED", v);
        kv_put(&w, "VOIDED", newly_voided);
        return kv_writer_write_file(&w, n->by_job_fd, job_id, 0);
}

static bool job_voided(const KvFile *kv, const char *number) {
        const char *v;

        for (size_t i = 0; kv && (v = kv_get_nth(kv, "VOIDED", i)); i++)
                if (streq(v, number))
                        return true;
        return false;
}

static int read_convention(Numbering *n, const char *id, NumberingEntry *ret) {
        _cleanup_(kv_file_freep) KvFile *kv = NULL;
        char name[128];
        int r;

        convention_file(id, name);
        r = kv_read_file(n->by_convention_fd, name, &kv);
        if (r < 0)
                return damaged(BY_CONVENTION_DIR "/<convention>", r);
        r = parse_entry(kv, ret);
        return damaged(BY_CONVENTION_DIR "/<convention>", r == -ENOENT ? -EBADMSG : r);
}

static int write_convention(Numbering *n, const NumberingEntry *e) {
        _cleanup_(kv_writer_done) KvWriter w = KV_WRITER_INIT;
        char name[128];
        int r;

        r = kv_writer_open(&w, NUMBERING_FILE_VERSION);
        if (r < 0)
                return r;
        put_entry(&w, e);
        convention_file(e->convention, name);
        return kv_writer_write_file(&w, n->by_convention_fd, name, 0);
}

static void year_key(int year, char ret[static 16]) {
        snprintf(ret, 16, "YEAR_%04d", year % 10000);
}

/* counter: every year's last sequence, `year` set to `seq`, and the
 * allocation just made in full (the reservation). */
static int write_counter(Numbering *n, const KvFile *old, int year, uint64_t seq,
                         const NumberingEntry *last) {
        _cleanup_(kv_writer_done) KvWriter w = KV_WRITER_INIT;
        char key[16];
        int r;

        r = kv_writer_open(&w, NUMBERING_FILE_VERSION);
        if (r < 0)
                return r;
        year_key(year, key);
        for (size_t i = 0; old && i < old->n; i++)
                if (strncmp(old->keys[i], "YEAR_", 5) == 0 && !streq(old->keys[i], key))
                        kv_put(&w, old->keys[i], old->values[i]);
        kv_put_u64(&w, key, seq);
        put_entry(&w, last);
        return kv_writer_write_file(&w, n->dirfd, COUNTER_FILE, 0);
}

static int read_counter(Numbering *n, KvFile **ret) {
        int r = kv_read_file(n->dirfd, COUNTER_FILE, ret);
        if (r == -ENOENT) {
                *ret = NULL;
                return 0;
        }
        return damaged(COUNTER_FILE, r);
}

static int counter_sequence(const KvFile *counter, int year, uint64_t *ret) {
        char key[16];
        int r;

        *ret = 0;
        if (!counter)
                return 0;
        year_key(year, key);
        r = kv_get_u64(counter, key, ret);
        if (r == -ENOENT)
                return 0;
        return damaged(COUNTER_FILE, r < 0 ? -EBADMSG : 0);
}

/* The latest issue date the counter knows: its last allocation's, or the
 * first day of the latest year it holds a sequence for (a counter written
 * by hand, or before a clock went back). ret->number is "" in the second
 * case. -ENOENT: nothing allocated yet. */
static int counter_latest(const KvFile *counter, NumberingEntry *ret) {
        NumberingEntry last = {};
        bool have = false;
        int r;

        if (!counter)
                return -ENOENT;
        r = parse_entry(counter, &last);
        if (r < 0 && r != -ENOENT)
                return damaged(COUNTER_FILE, r);
        have = r >= 0;
        for (size_t i = 0; i < counter->n; i++) {
                int year;
                char end;

                if (sscanf(counter->keys[i], "YEAR_%4d%c", &year, &end) != 1 || streq(counter->values[i], "0"))
                        continue;
                if (!have || year > last.issue_date.year) {
                        last = (NumberingEntry){ .issue_date = { year, 1, 1 } };
                        have = true;
                }
        }
        if (!have)
                return -ENOENT;
        *ret = last;
        return 0;
}

/* ---- Binding a number to its job --------------------------------------------- */

/* Steps 2–4 of an allocation (numbering.h); each is idempotent. */
static int bind_number(Numbering *n, const NumberingEntry *e, const KvFile *old_job) {
        char detail[64];
        int r;

        /* A credit note leaves by-convention/ to its invoice, until it is integrated. */
        if (!e->credits[0]) {
                r = write_convention(n, e);
                if (r < 0)
                        return r;
        }
        snprintf(detail, sizeof detail, "credit note of %s", e->credits);
        r = ledger_append_once(n, "allocated", e, e->credits[0] ? detail : NULL);
        if (r < 0)
                return r;
        return write_job(n, e->job_id, e, old_job, /* newly_voided= */ NULL);
}

/* The counter's last allocation, if a crash stopped it before by-job/. */
static int complete_pending(Numbering *n) {
        _cleanup_(kv_file_freep) KvFile *counter = NULL, *job = NULL;
        NumberingEntry last, bound;
        int r;

        r = read_counter(n, &counter);
        if (r < 0 || !counter)
                return r;
        r = parse_entry(counter, &last);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return damaged(COUNTER_FILE, r);
        r = read_job(n, last.job_id, &job);
        if (r < 0 && r != -ENOENT)
                return r;
        if (job && job_voided(job, last.number))
                return 0;
        if (job) {
                r = parse_entry(job, &bound);
                if (r >= 0 && streq(bound.number, last.number))
                        return 0; /* complete */
                if (r < 0 && r != -ENOENT) /* damaged: for the administrator, not rewritten */
                        return damaged(BY_JOB_DIR "/<job>", r);
        }
        LogFields fields = { .job = last.job_id, .invoice = last.number };
        log_job(LOG_NOTICE, &fields, /* message_id= */ NULL,
                "Completing the allocation of invoice number %s to job %s, interrupted by a crash",
                last.number, last.job_id);
        return bind_number(n, &last, job);
}

/* ---- Locking ----------------------------------------------------------------- */

static void unlockp(Numbering **n) {
        if (*n)
                (void) flock((*n)->lock_fd, LOCK_UN);
}

/* Takes the lock and completes any interrupted allocation. */
static int begin(Numbering *n, Numbering **ret_locked) {
        int r;

        r = fs_flock(n->lock_fd, LOCK_EX);
        if (r < 0)
                return r;
        *ret_locked = n;
        r = complete_pending(n);
        return r;
}

/* ---- Open / free --------------------------------------------------------------- */

Numbering *numbering_free(Numbering *n) {
        if (!n)
                return NULL;
        safe_close(n->ledger_fd);
        safe_close(n->lock_fd);
        safe_close(n->by_convention_fd);
        safe_close(n->by_job_fd);
        safe_close(n->dirfd);
        free(n);
        return NULL;
}

static int open_files(Numbering *n, const char *state_dir) {
        _cleanup_(closep) int root = -1;
        int r;

        root = fs_open_dir(AT_FDCWD, state_dir, /* create= */ true);
        if (root < 0)
                return root;
        n->dirfd = fs_open_dir(root, NUMBERING_DIR, /* create= */ true);
        if (n->dirfd < 0)
                return n->dirfd;
        n->by_job_fd = fs_open_dir(n->dirfd, BY_JOB_DIR, /* create= */ true);
        if (n->by_job_fd < 0)
                return n->by_job_fd;
        n->by_convention_fd = fs_open_dir(n->dirfd, BY_CONVENTION_DIR, /* create= */ true);
        if (n->by_convention_fd < 0)
                return n->by_convention_fd;
        n->lock_fd = openat(n->dirfd, LOCK_FILE, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (n->lock_fd < 0)
                return negative_errno();
        r = fs_adopt_dir_owner(n->lock_fd, n->dirfd);
        if (r < 0)
                return r;
        n->ledger_fd = fs_open_append(n->dirfd, LEDGER_FILE, 0640);
        return n->ledger_fd < 0 ? n->ledger_fd : 0;
}

int numbering_open(const char *state_dir, Numbering **ret) {
        _cleanup_(numbering_freep) Numbering *n = calloc(1, sizeof(Numbering));
        int r;

        if (!n)
                return -ENOMEM;
        n->dirfd = n->by_job_fd = n->by_convention_fd = n->lock_fd = n->ledger_fd = -1;
        r = open_files(n, state_dir);
        if (r < 0)
                return r;
        {
                _cleanup_(unlockp) Numbering *locked = NULL;
                r = begin(n, &locked);
                if (r >= 0)
                        r = ledger_repair(n);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(n);
        return 0;
}

/* ---- Operations ------------------------------------------------------------------- */

static int lookup_job_locked(Numbering *n, const char *job_id, NumberingEntry *ret, KvFile **ret_kv) {
        _cleanup_(kv_file_freep) KvFile *kv = NULL;
        int r;

        r = read_job(n, job_id, &kv);
        if (r >= 0)
                r = damaged(BY_JOB_DIR "/<job>", parse_entry(kv, ret));
        if (ret_kv)
                *ret_kv = TAKE_PTR(kv);
        return r;
}

static int check_convention_free(Numbering *n, const char *convention_id, const char *job_id,
                                 NumberingEntry *reterr_conflict) {
        NumberingEntry c;
        int r;

        r = read_convention(n, convention_id, &c);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (c.voided || c.credited_by[0] || streq(c.job_id, job_id))
                return 0;
        if (reterr_conflict)
                *reterr_conflict = c;
        return -EEXIST;
}

/* A credit note needs its invoice live and not credited yet in by-convention/. */
static int check_convention_credits(Numbering *n, const char *convention_id, const char *invoice_number,
                                    NumberingEntry *reterr_conflict) {
        NumberingEntry c;
        int r;

        r = read_convention(n, convention_id, &c);
        if (r == -ENOENT)
                return -ESTALE;
        if (r < 0)
                return r;
        if (!c.voided && !c.credited_by[0] && streq(c.number, invoice_number))
                return 0;
        if (reterr_conflict)
                *reterr_conflict = c;
        return -ESTALE;
}

static int allocate_locked(Numbering *n, const Config *config, const char *job_id,
                           const char *convention_id, const char *credits, Date today, NumberingEntry *ret,
                           NumberingEntry *reterr_conflict) {
        _cleanup_(kv_file_freep) KvFile *job = NULL, *counter = NULL;
        NumberingEntry e = {}, last;
        uint64_t seq;
        int r;

        r = lookup_job_locked(n, job_id, &e, &job);
        if (r >= 0) {
                *ret = e;
                return 1; /* asked again after a crash: the same number */
        }
        if (r != -ENOENT)
                return r;
        r = credits ? check_convention_credits(n, convention_id, credits, reterr_conflict)
                    : check_convention_free(n, convention_id, job_id, reterr_conflict);
        if (r < 0)
                return r;
        r = read_counter(n, &counter);
        if (r < 0)
                return r;
        /* The issue date never goes back: a clock set back (a step, a lost
         * RTC) would number invoices in an earlier year, after later ones. */
        r = counter_latest(counter, &last);
        if (r < 0 && r != -ENOENT)
                return r;
        if (r >= 0 && date_compare(today, last.issue_date) < 0) {
                if (reterr_conflict)
                        *reterr_conflict = last;
                return -ETIME;
        }
        r = counter_sequence(counter, today.year, &seq);
        if (r < 0)
                return r;
        /* Format before anything is written: a number too long for Chorus
         * Pro must not consume a sequence. */
        r = config_format_invoice_number(config, today.year, seq + 1, e.number);
        if (r < 0)
                return r;
        memcpy(e.job_id, job_id, JOB_ID_MAX);
        snprintf(e.convention, sizeof e.convention, "%s", convention_id);
        if (credits)
                snprintf(e.credits, sizeof e.credits, "%s", credits);
        e.issue_date = today;
        e.allocated_usec = now_realtime_usec();
        r = write_counter(n, counter, today.year, seq + 1, &e);
        if (r < 0)
                return r;
        r = bind_number(n, &e, job);
        if (r < 0)
                return r;
        *ret = e;
        return 0;
}

int numbering_allocate(Numbering *n, const Config *config, const char *job_id,
                       const char *convention_id, Date today, NumberingEntry *ret,
                       NumberingEntry *reterr_conflict) {
        _cleanup_(unlockp) Numbering *locked = NULL;
        int r;

        if (!job_id_is_valid(job_id) || !identifier_is_valid(convention_id) ||
            !date_is_valid(today.year, today.month, today.day) || today.year < 1000 || today.year > 9999)
                return -EINVAL;
        r = begin(n, &locked);
        if (r < 0)
                return r;
        return allocate_locked(n, config, job_id, convention_id, /* credits= */ NULL, today, ret,
                               reterr_conflict);
}

int numbering_allocate_credit(Numbering *n, const Config *config, const char *job_id,
                              const char *convention_id, const char *invoice_number, Date today,
                              NumberingEntry *ret, NumberingEntry *reterr_conflict) {
        _cleanup_(unlockp) Numbering *locked = NULL;
        int r;

        if (!job_id_is_valid(job_id) || !identifier_is_valid(convention_id) || isempty(invoice_number) ||
            strlen(invoice_number) > INVOICE_NUMBER_MAX || !date_is_valid(today.year, today.month, today.day) ||
            today.year < 1000 || today.year > 9999)
                return -EINVAL;
        r = begin(n, &locked);
        if (r < 0)
                return r;
        return allocate_locked(n, config, job_id, convention_id, invoice_number, today, ret, reterr_conflict);
}

int numbering_record_credited(Numbering *n, const char *job_id) {
        _cleanup_(unlockp) Numbering *locked = NULL;
        NumberingEntry e, c;
        int r;

        if (!job_id_is_valid(job_id))
                return -EINVAL;
        r = begin(n, &locked);
        if (r < 0)
                return r;
        r = lookup_job_locked(n, job_id, &e, NULL);
        if (r < 0)
                return r;
        if (!e.credits[0])
                return -ENOENT;
        r = read_convention(n, e.convention, &c);
        if (r < 0)
                return r;
        /* Done already, or the convention moved on (voided and invoiced
         * again): nothing to record, and no second ledger line. */
        if (!streq(c.number, e.credits) || c.credited_by[0])
                return 0;
        /* The ledger first, the convention last: its CREDITED_BY marks the
         * step complete, and a redone step is recognised by the ledger. */
        {
                NumberingEntry l = e;

                snprintf(l.number, sizeof l.number, "%s", e.credits);
                r = ledger_append_once(n, "credited", &l, e.number);
                if (r < 0)
                        return r;
        }
        snprintf(c.credited_by, sizeof c.credited_by, "%s", e.number);
        r = write_convention(n, &c);
        return r < 0 ? r : 1;
}

static int open_credits_dir(Numbering *n) {
        return fs_open_dir(n->dirfd, CREDITS_DIR, /* create= */ true);
}

static int read_credit_locked(Numbering *n, int dfd, const char *invoice_job, char ret[static JOB_ID_MAX]) {
        _cleanup_(kv_file_freep) KvFile *kv = NULL;
        const char *v;
        int r;

        r = kv_read_file(dfd, invoice_job, &kv);
        if (r < 0)
                return damaged(CREDITS_DIR "/<job>", r);
        v = kv_get(kv, "CREDIT_JOB");
        if (!v || !job_id_is_valid(v))
                return damaged(CREDITS_DIR "/<job>", -EBADMSG);
        memcpy(ret, v, JOB_ID_MAX);
        (void) n;
        return 0;
}

int numbering_request_credit(Numbering *n, const char *invoice_job, const char *credit_job,
                             char ret_existing[static JOB_ID_MAX]) {
        _cleanup_(unlockp) Numbering *locked = NULL;
        _cleanup_(kv_writer_done) KvWriter w = KV_WRITER_INIT;
        _cleanup_(closep) int dfd = -1;
        int r;

        if (!job_id_is_valid(invoice_job) || !job_id_is_valid(credit_job))
                return -EINVAL;
        r = begin(n, &locked);
        if (r < 0)
                return r;
        dfd = open_credits_dir(n);
        if (dfd < 0)
                return dfd;
        r = read_credit_locked(n, dfd, invoice_job, ret_existing);
        if (r >= 0)
                return streq(ret_existing, credit_job) ? 1 : -EEXIST;
        if (r != -ENOENT)
                return r;
        r = kv_writer_open(&w, NUMBERING_FILE_VERSION);
        if (r < 0)
                return r;
        kv_put(&w, "INVOICE_JOB", invoice_job);
        kv_put(&w, "CREDIT_JOB", credit_job);
        return kv_writer_write_file(&w, dfd, invoice_job, 0);
}

int numbering_lookup_credit(Numbering *n, const char *invoice_job, char ret[static JOB_ID_MAX]) {
        _cleanup_(unlockp) Numbering *locked = NULL;
        _cleanup_(closep) int dfd = -1;
        int r;

        if (!job_id_is_valid(invoice_job))
                return -EINVAL;
        r = begin(n, &locked);
        if (r < 0)
                return r;
        dfd = open_credits_dir(n);
        if (dfd < 0)
                return dfd;
        return read_credit_locked(n, dfd, invoice_job, ret);
}

int numbering_lookup_job(Numbering *n, const char *job_id, NumberingEntry *ret) {
        _cleanup_(unlockp) Numbering *locked = NULL;
        int r;

        if (!job_id_is_valid(job_id))
                return -EINVAL;
        r = begin(n, &locked);
        if (r < 0)
                return r;
        return lookup_job_locked(n, job_id, ret, NULL);
}

int numbering_lookup_convention(Numbering *n, const char *convention_id, NumberingEntry *ret) {
        _cleanup_(unlockp) Numbering *locked = NULL;
        int r;

        if (!identifier_is_valid(convention_id))
                return -EINVAL;
        r = begin(n, &locked);
        if (r < 0)
                return r;
        return read_convention(n, convention_id, ret);
}

/* Rewrites by-convention/ for e's convention if it still holds e's number. */
static int update_convention(Numbering *n, const NumberingEntry *e) {
        NumberingEntry c;
        int r;

        r = read_convention(n, e->convention, &c);
        if (r == -ENOENT || (r >= 0 && !streq(c.number, e->number)))
                return 0; /* taken over by a later invoice after a void */
        if (r < 0)
                return r;
        return write_convention(n, e);
}

int numbering_record_flux(Numbering *n, const char *job_id, const char *flux) {
        _cleanup_(unlockp) Numbering *locked = NULL;
        _cleanup_(kv_file_freep) KvFile *job = NULL;
        NumberingEntry e;
        int r;

        if (!job_id_is_valid(job_id) || isempty(flux) || strlen(flux) >= NUMBERING_FLUX_MAX)
                return -EINVAL;
        r = begin(n, &locked);
        if (r < 0)
                return r;
        r = lookup_job_locked(n, job_id, &e, &job);
        if (r < 0)
                return r;
        strcpy(e.flux, flux);
        r = update_convention(n, &e);
        if (r < 0)
                return r;
        r = ledger_append_once(n, "flux", &e, flux);
        if (r < 0)
                return r;
        return write_job(n, job_id, &e, job, /* newly_voided= */ NULL);
}

int numbering_void(Numbering *n, const char *job_id, const char *reason, NumberingEntry *ret) {
        _cleanup_(unlockp) Numbering *locked = NULL;
        _cleanup_(kv_file_freep) KvFile *job = NULL;
        NumberingEntry e;
        int r;

        if (!job_id_is_valid(job_id))
                return -EINVAL;
        r = begin(n, &locked);
        if (r < 0)
                return r;
        r = lookup_job_locked(n, job_id, &e, &job);
        if (r < 0)
                return r;
        e.voided = true;
        r = update_convention(n, &e);
        if (r < 0)
                return r;
        r = ledger_append_once(n, "voided", &e, reason);
        if (r < 0)
                return r;
        r = write_job(n, job_id, /* live= */ NULL, job, e.number);
        if (r < 0)
                return r;
        if (ret)
                *ret = e;
        return 0;
}

int numbering_clock_behind(Numbering *n, Date today, NumberingEntry *ret_last) {
        _cleanup_(unlockp) Numbering *locked = NULL;
        _cleanup_(kv_file_freep) KvFile *counter = NULL;
        NumberingEntry last;
        int r;

        r = begin(n, &locked);
        if (r < 0)
                return r;
        r = read_counter(n, &counter);
        if (r < 0)
                return r;
        r = counter_latest(counter, &last);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (date_compare(today, last.issue_date) >= 0)
                return 0;
        if (ret_last)
                *ret_last = last;
        return 1;
}

int numbering_last_sequence(Numbering *n, int year, uint64_t *ret) {
        _cleanup_(unlockp) Numbering *locked = NULL;
        _cleanup_(kv_file_freep) KvFile *counter = NULL;
        int r;

        r = begin(n, &locked);
        if (r < 0)
                return r;
        r = read_counter(n, &counter);
        if (r < 0)
                return r;
        return counter_sequence(counter, year, ret);
}
