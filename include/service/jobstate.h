/* jobstate.h — the persisted state of one job (one bilan's way through
 * chorusd), and the store of those states in the state directory.
 *
 * One file per job, STATE_DIR/jobs/JOBID.state, a versioned KEY=VALUE file
 * (kvfile.h) ending with END=1, rewritten whole by write_file_atomic and
 * fsynced *before* the step its new state announces (domain.md §7). The
 * previous version is kept as JOBID.state.prev: a state file cannot be torn
 * (rename is atomic and we fsync), but if one ever is (a lying disk, an
 * administrator's editor), the loader falls back on the previous version
 * and says so; every step is written to be safely redone from the state
 * before it (numbering is idempotent per job; a job resumed from a previous
 * "rendered" goes to depositing, which looks the number up on Chorus Pro
 * before any deposit, since the lost copy may have said depositing).
 *
 * Job states (chorusd(8), JOB STATES, has the diagram):
 *
 *   received → validated → numbered → rendered → depositing → deposited
 *     → integrated (lifecycle followed: mise à disposition … mise en paiement)
 *     → done
 *   with [invoice] approval = required:
 *   validated → awaiting_approval (a preview in review/, no number; the job
 *     leaves memory until chorusctl approve → validated, approved, then
 *     numbered as above; or chorusctl cancel → invalid, rejected/)
 *   any step → invalid   (the bilan is wrong: spool rejected/, error file)
 *   deposited/integrated → rejected (Chorus Pro rejected it: failed/;
 *                                    requeue allocates a new number)
 *   any step → failed    (retries ran out or an unrecoverable error: failed/;
 *                         requeue keeps the number)
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/date.h"
#include "base/invoice_format.h"
#include "base/macro.h"

typedef enum JobState {
        JOB_STATE_RECEIVED,   /* claimed into processing/, nothing checked yet */
        JOB_STATE_VALIDATED,  /* bilan valid against its convention, amounts known */
        JOB_STATE_AWAITING_APPROVAL, /* preview in review/, no number: waits for
                                      * chorusctl approve or cancel (the bilan in review/) */
        JOB_STATE_NUMBERED,   /* invoice number allocated and bound (numbering.h) */
        JOB_STATE_RENDERED,   /* payload written durably, its SHA-256 recorded */
        JOB_STATE_DEPOSITING, /* the deposit request may be on the wire */
        JOB_STATE_DEPOSITED,  /* Chorus Pro gave a numeroFluxDepot */
        JOB_STATE_INTEGRATED, /* Chorus Pro integrated the invoice; lifecycle followed */
        JOB_STATE_DONE,       /* MISE_EN_PAIEMENT reached: spool done/ */
        JOB_STATE_INVALID,    /* bilan rejected by us: spool rejected/ */
        JOB_STATE_REJECTED,   /* flux or invoice rejected by Chorus Pro (REJETEE too): failed/ */
        JOB_STATE_FAILED,     /* retries ran out / unrecoverable: spool failed/ */
        _JOB_STATE_MAX,
        _JOB_STATE_INVALID = -EINVAL,
} JobState;

/* "received", "validated", …, "failed". */
const char *job_state_to_string(JobState s);
JobState job_state_from_string(const char *s);
/* done, invalid, rejected, failed: nothing more happens without requeue. */
bool job_state_is_terminal(JobState s);
/* awaiting_approval: not over, but nothing happens without a person
 * (chorusctl approve or cancel); the daemon keeps no timer for it. */
bool job_state_waits_for_person(JobState s);

/* Job ids: "YYYYMMDD-HHMMSS-xxxxxxxx", the UTC claim time and 32 random bits
 * in lowercase hex. Sortable by claim time, safe in file names and journal
 * fields, unique for all practical purposes (and the claim's no-replace
 * rename and jobstore_create() refuse a collision rather than overwrite). */
#define JOB_ID_LEN 24
#define JOB_ID_MAX (JOB_ID_LEN + 1)

void job_id_new(uint64_t realtime_usec, char ret[static JOB_ID_MAX]);
bool job_id_is_valid(const char *s);

#define JOB_LAST_ERROR_MAX 512 /* bytes kept of a last error message */
#define JOB_VOIDED_MAX 64      /* voided numbers one job may carry */

/* Everything the daemon and `chorusctl status` need about a job. Strings
 * are owned (NULL = unknown), times are CLOCK_REALTIME µs (0 = unset),
 * amounts int64 cents. */
typedef struct Job {
        char id[JOB_ID_MAX];
        char *bilan_name;  /* the name the staff gave the file in incoming/ */
        char *spool_name;  /* its name in processing/, done/, rejected/, failed/ */
        char *bilan_sha256; /* 64 hex digits: the bilan as claimed (NULL: a
                             * state written before chorusd recorded it) */
        char *convention;  /* convention id, once known */
        JobState state;
        uint64_t created_usec;
        uint64_t updated_usec; /* set by jobstore_save() */

        char *invoice_number;
        bool has_issue_date;
        Date issue_date;
        InvoiceFormat format; /* _INVOICE_FORMAT_INVALID until chosen */
        char *payload_name;   /* the invoice file, in the spool folder of the job */
        char *payload_sha256; /* 64 hex digits */

        bool has_amounts;
        int64_t total;            /* payable, after the cap */
        int64_t total_before_cap; /* Σ lines */
        int64_t allowance;        /* the cap allowance (0 when the cap does not bite) */

        char *flux;               /* numeroFluxDepot */
        uint64_t deposited_usec;
        char *cpp_invoice_id;     /* Chorus Pro idFacture */
        char *cpp_flux_state;     /* etatCourantFlux / statut of the flux */
        char *cpp_invoice_status; /* invoice status (MISE_A_DISPOSITION …) */
        char *cpp_status_date;    /* when Chorus Pro says it was reached: "YYYY-MM-DD HH:MM" (validated) */
        char *cpp_status_comment; /* Chorus Pro's comment on that status (one line), or NULL */
        char *buyer;              /* the buyer's name on the invoice, for the text receipt */

        /* chorusctl approve: when, by which Unix user (from the uid) and
         * --as NAME (NULL if not given). approved_usec > 0: the job is
         * numbered without waiting again. */
        uint64_t approved_usec;
        char *approved_by;
        char *approved_as;

        /* Delays, windows and deadlines are counted in elapsed time (the
         * *_ELAPSED and NEXT_DELAY durations, µs, chorusd running), never
         * by the wall clock, which may step either way; the wall-clock
         * times beside them are for people (chorusctl status) and flags. */
        unsigned attempts;
        uint64_t first_attempt_usec; /* a run of failures (no answer from Chorus Pro) started then; 0 = none */
        uint64_t outage_usec;        /* elapsed time of that run so far: retry_deadline counts it */
        uint64_t next_attempt_usec;  /* when the next attempt is due, for display */
        uint64_t next_delay_usec;    /* the delay chosen for it: its bound when the job is resumed */
        /* Since when a deposit of the current number may have reached Chorus
         * Pro without our learning its flux (lost answer, 5xx, crash while
         * depositing): 0 = none. Such a job looks its number up before it
         * deposits again (job_deposit.c). */
        uint64_t deposit_uncertain_usec;
        uint64_t lookup_started_usec; /* a look-up window started then; 0 = none */
        uint64_t lookup_usec;         /* elapsed time of that window used */
        /* A deposit of the current number was uncertain at least once: the
         * number may be live on Chorus Pro, so it is never voided
         * automatically (cleared only when the number is voided). */
        bool deposit_ever_uncertain;
        char *last_error;         /* one line, no secrets */

        char **voided;            /* NULL-terminated: numbers this job gave up */
        size_t n_voided;

        /* A credit-note job (chorusctl credit): the job and invoice it
         * cancels, that invoice's issue date (YYYY-MM-DD) and the reason.
         * NULL on an invoice job. Its bilan is a copy of that job's. */
        char *credit_of_job;
        char *credit_of_invoice;
        char *credit_of_date;
        char *credit_reason;

        /* The id of the completer/recycler request (correction.h) whose call
         * may have reached Chorus Pro: before sending it again, the
         * invoice's status decides whether it did (job_correct.c). */
        char *correction_sent;
} Job;

/* Whether the job issues a credit note (avoir) rather than an invoice. */
static inline bool job_is_credit_note(const Job *j) {
        return j->credit_of_job != NULL;
}

/* A new job in state received. Returns 0 or -ENOMEM/-EINVAL (bad id). */
int job_new(const char *id, const char *bilan_name, const char *spool_name, Job **ret);
Job *job_free(Job *j);
DEFINE_TRIVIAL_CLEANUP_FUNC(Job *, job_free);

/* Replaces a string field: job_set(&j->flux, "123"). NULL clears it.
 * Returns 0 or -ENOMEM. */
int job_set(char **field, const char *value);
/* Keeps one line of at most JOB_LAST_ERROR_MAX bytes: control characters
 * become spaces. Callers must not pass secrets. */
int job_set_last_error(Job *j, const char *message);
/* Moves the current invoice number to the voided list and clears the
 * number, issue date, payload and Chorus Pro fields (requeue after a
 * Chorus Pro rejection). -ENOENT if there is no number, -E2BIG if the list
 * is full. */
int job_void_number(Job *j);

/* The file format: serialize/parse without I/O. job_parse returns -EBADMSG
 * for a torn or malformed file (unknown version, bad value, missing JOB or
 * STATE), -ENOMEM. Unknown keys are ignored (a newer chorusd may add
 * some), so a downgrade keeps working. */
#define JOB_FILE_VERSION 1
int job_serialize(const Job *j, char **ret, size_t *ret_size);
int job_parse(const char *data, size_t size, Job **ret);

/* ---- The store: STATE_DIR/jobs/ ----------------------------------------- */

typedef struct JobStore JobStore;

#define JOBSTORE_DIR "jobs"

/* Opens (creating if needed) STATE_DIR/jobs. */
int jobstore_open(const char *state_dir, JobStore **ret);
JobStore *jobstore_free(JobStore *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(JobStore *, jobstore_free);
int jobstore_dirfd(const JobStore *s);

/* Writes the first state of a new job; -EEXIST if that id is taken. */
int jobstore_create(JobStore *s, Job *j);
/* The same without the fsync of jobs/ (the content is fsynced): for a job
 * just claimed, whose bilan is durable in processing/ under JOBID--NAME, so
 * that start-up recovery recreates the same job, `received`, if a crash
 * takes the file away. */
int jobstore_create_lazy(JobStore *s, Job *j);
/* Rewrites the job's state durably (sets updated_usec). The previous file
 * becomes JOBID.state.prev. -EIO is fatal (fsutil.h). */
int jobstore_save(JobStore *s, Job *j);
/* The same, but the folder jobs/ is not fsynced: the new content is (a
 * crash never shows a torn file), yet a crash may bring back the previous
 * version. Only for the states a job can safely go back from, because
 * every step after them is redone identically (see daemon/README.md,
 * "Durability", and job_state_may_go_back()); the next jobstore_save()
 * of the job, or of any job, makes it durable. */
int jobstore_save_lazy(JobStore *s, Job *j);
/* Whether the move from `old` to `new` may be saved with
 * jobstore_save_lazy() (the reasons are in jobstate.c). */
bool job_state_may_go_back(JobState old, JobState new);

typedef enum JobLoadSource {
        JOB_LOAD_CURRENT,  /* JOBID.state */
        JOB_LOAD_PREVIOUS, /* JOBID.state was torn or missing: JOBID.state.prev */
} JobLoadSource;

/* Loads a job: JOBID.state, or, if that is torn or missing while
 * JOBID.state.prev is good, the previous version (logged as a warning,
 * reported in ret_source). Returns 0, -ENOENT (no such job), -EBADMSG (no
 * good copy), -EINVAL (bad id), -ENOMEM. */
int jobstore_load(JobStore *s, const char *id, Job **ret, JobLoadSource *ret_source);
/* 1 if a state file (or its .prev) exists for id, 0 if not. */
int jobstore_exists(JobStore *s, const char *id);

/* Calls f once per job id in the store, streaming the directory (memory
 * does not grow with the number of jobs; the order is the directory's). A
 * negative return from f stops the walk and is returned. */
typedef int (*JobStoreForeachFunc)(JobStore *s, const char *id, void *userdata);
int jobstore_foreach(JobStore *s, JobStoreForeachFunc f, void *userdata);
