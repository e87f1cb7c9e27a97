/* jobstate.c — the persisted job state and its store (see jobstate.h).
 *
 * Field ↔ key mapping lives in three tables (strings, times/counters,
 * amounts) so that serialize and parse cannot drift apart. Writes go
 * through kvfile + write_file_atomic (KEEP_PREVIOUS); an fsync failure comes
 * back as -EIO and must stop the daemon (fsutil.h). */
#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/fileio.h"
#include "base/fsutil.h"
#include "base/identifiers.h"
#include "service/jobstate.h"
#include "base/kvfile.h"
#include "base/log.h"

static const char *const job_state_table[_JOB_STATE_MAX] = {
        [JOB_STATE_RECEIVED] = "received",     [JOB_STATE_VALIDATED] = "validated",
        [JOB_STATE_AWAITING_APPROVAL] = "awaiting_approval",
        [JOB_STATE_NUMBERED] = "numbered",     [JOB_STATE_RENDERED] = "rendered",
        [JOB_STATE_DEPOSITING] = "depositing", [JOB_STATE_DEPOSITED] = "deposited",
        [JOB_STATE_INTEGRATED] = "integrated", [JOB_STATE_DONE] = "done",
        [JOB_STATE_INVALID] = "invalid",       [JOB_STATE_REJECTED] = "rejected",
        [JOB_STATE_FAILED] = "failed",
};

DEFINE_STRING_TABLE_LOOKUP(job_state, JobState, job_state_table, _JOB_STATE_MAX, _JOB_STATE_INVALID);

bool job_state_is_terminal(JobState s) {
        return s == JOB_STATE_DONE || s == JOB_STATE_INVALID || s == JOB_STATE_REJECTED ||
               s == JOB_STATE_FAILED;
}

bool job_state_waits_for_person(JobState s) {
        return s == JOB_STATE_AWAITING_APPROVAL;
}

void job_id_new(uint64_t realtime_usec, char ret[static JOB_ID_MAX]) {
        time_t t = (time_t) (realtime_usec / 1000000u);
        uint32_t rnd;
        struct tm tm;

        random_bytes(&rnd, sizeof rnd);
        if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 1000)
                tm = (struct tm){ .tm_year = 70, .tm_mday = 1 };
        strftime(ret, JOB_ID_MAX, "%Y%m%d-%H%M%S", &tm);
        snprintf(ret + 15, JOB_ID_MAX - 15, "-%08x", (unsigned) rnd);
}

bool job_id_is_valid(const char *s) {
        static const char pattern[] = "dddddddd-dddddd-xxxxxxxx";

        if (!s || strlen(s) != JOB_ID_LEN)
                return false;
        for (size_t i = 0; i < JOB_ID_LEN; i++) {
                char c = s[i];
                if (pattern[i] == '-' && c != '-')
                        return false;
                if (pattern[i] == 'd' && !(c >= '0' && c <= '9'))
                        return false;
                if (pattern[i] == 'x' && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
                        return false;
        }
        return true;
}

int job_set(char **field, const char *value) {
        char *copy = NULL;

        if (value && !(copy = strdup(value)))
                return -ENOMEM;
        free(*field);
        *field = copy;
        return 0;
}

int job_new(const char *id, const char *bilan_name, const char *spool_name, Job **ret) {
        _cleanup_(job_freep) Job *j = NULL;

        if (!job_id_is_valid(id))
                return -EINVAL;
        j = calloc(1, sizeof(Job));
        if (!j)
                return -ENOMEM;
        memcpy(j->id, id, JOB_ID_MAX);
        j->state = JOB_STATE_RECEIVED;
        j->format = _INVOICE_FORMAT_INVALID;
        if (job_set(&j->bilan_name, bilan_name) < 0 || job_set(&j->spool_name, spool_name) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(j);
        return 0;
}

/* ---- Field tables --------------------------------------------------------- */

typedef struct StringField {
        const char *key;
        size_t offset;
} StringField;

static const StringField string_fields[] = {
        { "BILAN", offsetof(Job, bilan_name) },
        { "SPOOL_NAME", offsetof(Job, spool_name) },
        { "BILAN_SHA256", offsetof(Job, bilan_sha256) },
        { "CONVENTION", offsetof(Job, convention) },
        { "INVOICE", offsetof(Job, invoice_number) },
        { "PAYLOAD", offsetof(Job, payload_name) },
        { "PAYLOAD_SHA256", offsetof(Job, payload_sha256) },
        { "FLUX", offsetof(Job, flux) },
        { "CPP_INVOICE_ID", offsetof(Job, cpp_invoice_id) },
        { "CPP_FLUX_STATE", offsetof(Job, cpp_flux_state) },
        { "CPP_INVOICE_STATUS", offsetof(Job, cpp_invoice_status) },
        { "CPP_STATUS_DATE", offsetof(Job, cpp_status_date) },
        { "CPP_STATUS_COMMENT", offsetof(Job, cpp_status_comment) },
        { "BUYER", offsetof(Job, buyer) },
        { "APPROVED_BY", offsetof(Job, approved_by) },
        { "APPROVED_AS", offsetof(Job, approved_as) },
        { "LAST_ERROR", offsetof(Job, last_error) },
        { "CREDIT_OF_JOB", offsetof(Job, credit_of_job) },
        { "CREDIT_OF_INVOICE", offsetof(Job, credit_of_invoice) },
        { "CREDIT_OF_DATE", offsetof(Job, credit_of_date) },
        { "CREDIT_REASON", offsetof(Job, credit_reason) },
        { "CORRECTION_SENT", offsetof(Job, correction_sent) },
};

typedef struct U64Field {
        const char *key;
        size_t offset;
} U64Field;

static const U64Field time_fields[] = {
        { "CREATED", offsetof(Job, created_usec) },
        { "UPDATED", offsetof(Job, updated_usec) },
        { "DEPOSITED", offsetof(Job, deposited_usec) },
        { "APPROVED", offsetof(Job, approved_usec) },
        { "FIRST_ATTEMPT", offsetof(Job, first_attempt_usec) },
        { "NEXT_ATTEMPT", offsetof(Job, next_attempt_usec) },
        { "DEPOSIT_UNCERTAIN", offsetof(Job, deposit_uncertain_usec) },
        { "LOOKUP_STARTED", offsetof(Job, lookup_started_usec) },
        /* Durations, not times. */
        { "OUTAGE_ELAPSED", offsetof(Job, outage_usec) },
        { "LOOKUP_ELAPSED", offsetof(Job, lookup_usec) },
        { "NEXT_DELAY", offsetof(Job, next_delay_usec) },
};

static const StringField amount_fields[] = {
        { "TOTAL_CENTS", offsetof(Job, total) },
        { "TOTAL_BEFORE_CAP_CENTS", offsetof(Job, total_before_cap) },
        { "ALLOWANCE_CENTS", offsetof(Job, allowance) },
};

#define FIELD(j, type, f) ((type *) (void *) ((char *) (j) + (f)->offset))
#define CONST_FIELD(j, ptrtype, f) ((ptrtype) (const void *) ((const char *) (j) + (f)->offset))

Job *job_free(Job *j) {
        if (!j)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(string_fields); i++)
                free(*FIELD(j, char *, &string_fields[i]));
        strv_free(j->voided);
        free(j);
        return NULL;
}

int job_set_last_error(Job *j, const char *message) {
        _cleanup_(freep) char *line = NULL;
        size_t n;

        if (!message)
                return job_set(&j->last_error, NULL);
        n = strnlen(message, JOB_LAST_ERROR_MAX);
        if (n == JOB_LAST_ERROR_MAX)
                n = utf8_char_start(message, n);
        line = strndup(message, n);
        if (!line)
                return -ENOMEM;
        for (char *p = line; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        *p = ' ';
        free(j->last_error);
        j->last_error = TAKE_PTR(line);
        return 0;
}

static int job_add_voided(Job *j, char *number) {
        char **l;

        if (j->n_voided >= JOB_VOIDED_MAX)
                return -E2BIG;
        l = realloc(j->voided, (j->n_voided + 2) * sizeof(char *));
        if (!l)
                return -ENOMEM;
        j->voided = l;
        j->voided[j->n_voided++] = number;
        j->voided[j->n_voided] = NULL;
        return 0;
}

int job_void_number(Job *j) {
        int r;

        if (!j->invoice_number)
                return -ENOENT;
        r = job_add_voided(j, j->invoice_number);
        if (r < 0)
                return r;
        j->invoice_number = NULL;
        j->has_issue_date = false;
        (void) job_set(&j->payload_name, NULL);
        (void) job_set(&j->payload_sha256, NULL);
        (void) job_set(&j->flux, NULL);
        (void) job_set(&j->cpp_invoice_id, NULL);
        (void) job_set(&j->cpp_flux_state, NULL);
        (void) job_set(&j->cpp_invoice_status, NULL);
        (void) job_set(&j->cpp_status_date, NULL);
        (void) job_set(&j->cpp_status_comment, NULL);
        j->deposited_usec = 0;
        j->deposit_uncertain_usec = 0;
        j->deposit_ever_uncertain = false;
        j->lookup_started_usec = j->lookup_usec = 0;
        return 0;
}

/* ---- Serialize / parse ------------------------------------------------------ */

int job_serialize(const Job *j, char **ret, size_t *ret_size) {
        _cleanup_(kv_writer_done) KvWriter w = KV_WRITER_INIT;
        char date[DATE_STRING_MAX];
        int r;

        if (!job_id_is_valid(j->id) || !job_state_to_string(j->state))
                return -EINVAL;
        r = kv_writer_open(&w, JOB_FILE_VERSION);
        if (r < 0)
                return r;
        kv_put(&w, "JOB", j->id);
        kv_put(&w, "STATE", job_state_to_string(j->state));
        for (size_t i = 0; i < ELEMENTSOF(string_fields); i++)
                kv_put(&w, string_fields[i].key, *CONST_FIELD(j, char *const *, &string_fields[i]));
        for (size_t i = 0; i < ELEMENTSOF(time_fields); i++)
                if (*CONST_FIELD(j, const uint64_t *, &time_fields[i]) > 0)
                        kv_put_u64(&w, time_fields[i].key, *CONST_FIELD(j, const uint64_t *, &time_fields[i]));
        if (j->has_amounts)
                for (size_t i = 0; i < ELEMENTSOF(amount_fields); i++)
                        kv_put_i64(&w, amount_fields[i].key, *CONST_FIELD(j, const int64_t *, &amount_fields[i]));
        if (j->has_issue_date)
                kv_put(&w, "ISSUE_DATE", date_format(j->issue_date, date));
        kv_put(&w, "FORMAT", invoice_format_to_string(j->format));
        kv_put_u64(&w, "ATTEMPTS", j->attempts);
        if (j->deposit_ever_uncertain)
                kv_put(&w, "DEPOSIT_EVER_UNCERTAIN", "1");
        for (size_t i = 0; i < j->n_voided; i++)
                kv_put(&w, "VOIDED", j->voided[i]);
        return kv_writer_finish(&w, ret, ret_size);
}

static int parse_strings(Job *j, const KvFile *kv) {
        for (size_t i = 0; i < ELEMENTSOF(string_fields); i++) {
                const char *v;
                int r = kv_get_unique(kv, string_fields[i].key, &v);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return -EBADMSG;
                r = job_set(FIELD(j, char *, &string_fields[i]), v);
                if (r < 0)
                        return r;
        }
        if ((j->payload_sha256 && !sha256_hex_is_valid(j->payload_sha256)) ||
            (j->bilan_sha256 && !sha256_hex_is_valid(j->bilan_sha256)))
                return -EBADMSG;
        return 0;
}

static int parse_numbers(Job *j, const KvFile *kv) {
        uint64_t attempts = 0;
        size_t n_amounts = 0;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(time_fields); i++) {
                r = kv_get_u64(kv, time_fields[i].key, FIELD(j, uint64_t, &time_fields[i]));
                if (r < 0 && r != -ENOENT)
                        return -EBADMSG;
        }
        for (size_t i = 0; i < ELEMENTSOF(amount_fields); i++) {
                r = kv_get_i64(kv, amount_fields[i].key, FIELD(j, int64_t, &amount_fields[i]));
                if (r < 0 && r != -ENOENT)
                        return -EBADMSG;
                n_amounts += r >= 0;
        }
        if (n_amounts != 0 && n_amounts != ELEMENTSOF(amount_fields))
                return -EBADMSG; /* all three or none */
        j->has_amounts = n_amounts > 0;
        r = kv_get_u64(kv, "ATTEMPTS", &attempts);
        if ((r < 0 && r != -ENOENT) || attempts > UINT32_MAX)
                return -EBADMSG;
        j->attempts = (unsigned) attempts;
        return 0;
}

static int parse_others(Job *j, const KvFile *kv) {
        const char *v;
        int r;

        r = kv_get_optional(kv, "ISSUE_DATE", &v);
        if (r < 0)
                return r;
        if (r > 0) {
                if (date_parse(v, &j->issue_date) < 0)
                        return -EBADMSG;
                j->has_issue_date = true;
        }
        r = kv_get_optional(kv, "DEPOSIT_EVER_UNCERTAIN", &v);
        if (r < 0)
                return r;
        if (r > 0 && !streq(v, "1") && !streq(v, "0"))
                return -EBADMSG;
        j->deposit_ever_uncertain = r > 0 && streq(v, "1");
        r = kv_get_optional(kv, "FORMAT", &v);
        if (r < 0)
                return r;
        if (r > 0 && (j->format = invoice_format_from_string(v)) < 0)
                return -EBADMSG;
        for (size_t i = 0; (v = kv_get_nth(kv, "VOIDED", i)); i++) {
                char *copy = strdup(v);
                if (!copy)
                        return -ENOMEM;
                r = job_add_voided(j, copy);
                if (r < 0) {
                        free(copy);
                        return r == -E2BIG ? -EBADMSG : r;
                }
        }
        return 0;
}

int job_parse(const char *data, size_t size, Job **ret) {
        _cleanup_(kv_file_freep) KvFile *kv = NULL;
        _cleanup_(job_freep) Job *j = NULL;
        const char *id, *state;
        int r;

        r = kv_parse(data, size, &kv);
        if (r < 0)
                return r;
        if (kv->version != JOB_FILE_VERSION)
                return log_debug_errno(-EBADMSG, "Job state version %u not supported", kv->version);
        id = kv_get(kv, "JOB");
        state = kv_get(kv, "STATE");
        if (!job_id_is_valid(id) || job_state_from_string(state) < 0)
                return -EBADMSG;
        r = job_new(id, NULL, NULL, &j);
        if (r < 0)
                return r;
        j->state = job_state_from_string(state);
        r = parse_strings(j, kv);
        if (r < 0)
                return r;
        r = parse_numbers(j, kv);
        if (r < 0)
                return r;
        r = parse_others(j, kv);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(j);
        return 0;
}

/* ---- Store ------------------------------------------------------------------- */

struct JobStore {
        int dirfd;
};

#define STATE_SUFFIX ".state"
#define PREV_SUFFIX ".state.prev"

int jobstore_open(const char *state_dir, JobStore **ret) {
        _cleanup_(closep) int root = -1, dirfd = -1;
        JobStore *s;

        root = fs_open_dir(AT_FDCWD, state_dir, /* create= */ true);
        if (root < 0)
                return root;
        dirfd = fs_open_dir(root, JOBSTORE_DIR, /* create= */ true);
        if (dirfd < 0)
                return dirfd;
        s = calloc(1, sizeof(JobStore));
        if (!s)
                return -ENOMEM;
        s->dirfd = TAKE_FD(dirfd);
        *ret = s;
        return 0;
}

JobStore *jobstore_free(JobStore *s) {
        if (!s)
                return NULL;
        safe_close(s->dirfd);
        free(s);
        return NULL;
}

int jobstore_dirfd(const JobStore *s) {
        return s->dirfd;
}

static void state_file_name(const char *id, const char *suffix, char ret[static 64]) {
        snprintf(ret, 64, "%s%s", id, suffix);
}

static int jobstore_write(JobStore *s, Job *j, WriteFileFlags flags) {
        _cleanup_(freep) char *text = NULL;
        char name[64];
        size_t size;
        int r;

        j->updated_usec = now_realtime_usec();
        if (j->created_usec == 0)
                j->created_usec = j->updated_usec;
        r = job_serialize(j, &text, &size);
        if (r < 0)
                return r;
        state_file_name(j->id, STATE_SUFFIX, name);
        return write_file_atomic_full(s->dirfd, name, text, size, 0600, flags);
}

static int jobstore_create_full(JobStore *s, Job *j, WriteFileFlags flags) {
        int r;

        r = jobstore_exists(s, j->id);
        if (r < 0)
                return r;
        if (r > 0)
                return -EEXIST;
        return jobstore_write(s, j, WRITE_FILE_NOREPLACE | flags);
}

int jobstore_create(JobStore *s, Job *j) {
        return jobstore_create_full(s, j, 0);
}

int jobstore_create_lazy(JobStore *s, Job *j) {
        return jobstore_create_full(s, j, WRITE_FILE_NO_DIR_SYNC);
}

int jobstore_save(JobStore *s, Job *j) {
        return jobstore_write(s, j, WRITE_FILE_KEEP_PREVIOUS);
}

/* Whether a crash may bring the job back from `new` to the state saved
 * before it, so that its save need not fsync jobs/ (jobstore_save_lazy: one
 * sync instead of two). Going back is safe because what follows these
 * states is redone identically: validation reads the same bilan; numbering
 * gives the job back the number bound to it (numbering has its own durable
 * record, written before the number is used); rendering finds the invoice
 * file it wrote; a job back in `depositing` looks its number up on Chorus
 * Pro before any new deposit (exactly once), and numbering already holds
 * the flux. Every state whose step reaches outside — `depositing` before
 * the request, a terminal state before the files move, awaiting_approval,
 * integrated — stays fully durable before the step. */
bool job_state_may_go_back(JobState old, JobState new) {
        switch (new) {
        case JOB_STATE_VALIDATED:
        case JOB_STATE_NUMBERED:
        case JOB_STATE_RENDERED:
                return old == JOB_STATE_RECEIVED || old == JOB_STATE_VALIDATED || old == JOB_STATE_NUMBERED;
        case JOB_STATE_DEPOSITED:
                return old == JOB_STATE_DEPOSITING || old == JOB_STATE_DEPOSITED;
        default:
                return false;
        }
}

int jobstore_save_lazy(JobStore *s, Job *j) {
        return jobstore_write(s, j, WRITE_FILE_KEEP_PREVIOUS | WRITE_FILE_NO_DIR_SYNC);
}

static int load_one(JobStore *s, const char *id, const char *suffix, Job **ret) {
        _cleanup_(freep) char *data = NULL;
        _cleanup_(job_freep) Job *j = NULL;
        char name[64];
        size_t size;
        int r;

        state_file_name(id, suffix, name);
        r = read_file_bounded_at(s->dirfd, name, KV_FILE_MAX, &data, &size);
        if (r == -EFBIG || r == -ELOOP || r == -EISDIR || r == -EBADFD)
                return -EBADMSG; /* not something we wrote */
        if (r < 0)
                return r;
        r = job_parse(data, size, &j);
        if (r < 0)
                return r;
        if (!streq(j->id, id))
                return -EBADMSG; /* a state file copied under another job's name */
        *ret = TAKE_PTR(j);
        return 0;
}

int jobstore_load(JobStore *s, const char *id, Job **ret, JobLoadSource *ret_source) {
        Job *j = NULL;
        int r, q;

        if (!job_id_is_valid(id))
                return -EINVAL;
        r = load_one(s, id, STATE_SUFFIX, &j);
        if (r >= 0) {
                *ret = j;
                if (ret_source)
                        *ret_source = JOB_LOAD_CURRENT;
                return 0;
        }
        if (r != -EBADMSG && r != -ENOENT)
                return r;
        q = load_one(s, id, PREV_SUFFIX, &j);
        if (q < 0)
                return r == -ENOENT && q == -ENOENT ? -ENOENT : -EBADMSG;
        if (r == -EBADMSG)
                log_job(LOG_WARNING, &(LogFields){ .job = id }, NULL,
                        "Job state %s%s is damaged; using the previous version %s%s", id,
                        STATE_SUFFIX, id, PREV_SUFFIX);
        *ret = j;
        if (ret_source)
                *ret_source = JOB_LOAD_PREVIOUS;
        return 0;
}

int jobstore_exists(JobStore *s, const char *id) {
        char name[64];

        if (!job_id_is_valid(id))
                return -EINVAL;
        state_file_name(id, STATE_SUFFIX, name);
        if (faccessat(s->dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) >= 0)
                return 1;
        state_file_name(id, PREV_SUFFIX, name);
        if (faccessat(s->dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) >= 0)
                return 1;
        return errno == ENOENT ? 0 : negative_errno();
}

/* "ID.state" → ID; "ID.state.prev" → ID only when ID.state is missing (a
 * crash between the two renames of a save), so each job is seen once. */
static bool entry_job_id(int dirfd, const char *name, char ret[static JOB_ID_MAX]) {
        char other[64];

        if (strlen(name) < JOB_ID_LEN)
                return false;
        memcpy(ret, name, JOB_ID_LEN);
        ret[JOB_ID_LEN] = 0;
        if (!job_id_is_valid(ret))
                return false;
        if (streq(name + JOB_ID_LEN, STATE_SUFFIX))
                return true;
        if (!streq(name + JOB_ID_LEN, PREV_SUFFIX))
                return false;
        state_file_name(ret, STATE_SUFFIX, other);
        return faccessat(dirfd, other, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT;
}

int jobstore_foreach(JobStore *s, JobStoreForeachFunc f, void *userdata) {
        _cleanup_(closedirp) DIR *d = NULL;
        int r;

        r = fs_opendir_at(s->dirfd, &d);
        if (r < 0)
                return r;
        for (;;) {
                char id[JOB_ID_MAX];
                struct dirent *de;

                r = fs_readdir(d, &de);
                if (r <= 0)
                        return r;
                if (!entry_job_id(s->dirfd, de->d_name, id))
                        continue;
                r = f(s, id, userdata);
                if (r < 0)
                        return r;
        }
}
