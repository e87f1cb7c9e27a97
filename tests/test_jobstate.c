/* test_jobstate.c — the persisted job (jobstate.h) and the KEY=VALUE
 * format under it (kvfile.h): string tables, job ids, a full round trip,
 * escaping (a newline in an error cannot forge a key), torn files at every
 * length, the store's fall-back on the previous copy, and its walk. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "service/jobstate.h"
#include "base/kvfile.h"
#include "scratch.h"

#define ID1 "20261210-143000-0a1b2c3d"
#define ID2 "20261210-143001-deadbeef"

Test(jobstate, state_strings) {
        for (int s = 0; s < _JOB_STATE_MAX; s++) {
                const char *name = job_state_to_string((JobState) s);
                cr_assert_not_null(name);
                cr_assert_eq(job_state_from_string(name), s);
        }
        cr_assert_eq(job_state_from_string("Received"), _JOB_STATE_INVALID);
        cr_assert_eq(job_state_from_string(NULL), _JOB_STATE_INVALID);
        cr_assert_null(job_state_to_string(_JOB_STATE_MAX));
        cr_assert_null(job_state_to_string(_JOB_STATE_INVALID));
        cr_assert(job_state_is_terminal(JOB_STATE_DONE));
        cr_assert(job_state_is_terminal(JOB_STATE_FAILED));
        cr_assert_not(job_state_is_terminal(JOB_STATE_DEPOSITING));
        cr_assert_not(job_state_is_terminal(JOB_STATE_INTEGRATED));
        /* Waiting for chorusctl approve: not over, and nothing for the daemon to do. */
        cr_assert_str_eq(job_state_to_string(JOB_STATE_AWAITING_APPROVAL), "awaiting_approval");
        cr_assert_not(job_state_is_terminal(JOB_STATE_AWAITING_APPROVAL));
        cr_assert(job_state_waits_for_person(JOB_STATE_AWAITING_APPROVAL));
        cr_assert_not(job_state_waits_for_person(JOB_STATE_VALIDATED));
}

Test(jobstate, job_ids) {
        static const struct {
                const char *id;
                bool valid;
        } cases[] = {
                { ID1, true },
                { "20261210-143000-0A1B2C3D", false }, /* uppercase hex */
                { "20261210-143000-0a1b2c3", false },
                { "20261210_143000-0a1b2c3d", false },
                { "2026121a-143000-0a1b2c3d", false },
                { "../../etc/passwd-0a1b2c3d", false },
                { "", false },
        };
        char id[JOB_ID_MAX], other[JOB_ID_MAX];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                cr_assert_eq(job_id_is_valid(cases[i].id), cases[i].valid, "%s", cases[i].id);
        cr_assert_not(job_id_is_valid(NULL));
        job_id_new(UINT64_C(1797000000123456), id); /* 2026-12-11 14:40:00 UTC */
        cr_assert(job_id_is_valid(id), "%s", id);
        cr_assert_eq(strncmp(id, "20261211-144000-", 16), 0, "%s", id);
        job_id_new(UINT64_C(1797000000123456), other);
        cr_assert_str_neq(id, other, "two ids in the same second must differ");
}

static Job *full_job(void) {
        Job *j = NULL;

        cr_assert_eq(job_new(ID1, "bilan 2026 ünïcode.json", ID1 "--bilan 2026 ünïcode.json", &j), 0);
        j->state = JOB_STATE_DEPOSITED;
        cr_assert_eq(job_set(&j->convention, "CDCMC-2026"), 0);
        cr_assert_eq(job_set(&j->invoice_number, "CMA34-2026-0007"), 0);
        j->has_issue_date = true;
        j->issue_date = (Date){ 2026, 12, 10 };
        j->format = INVOICE_FORMAT_FACTURX;
        cr_assert_eq(job_set(&j->payload_name, ID1 ".CMA34-2026-0007.pdf"), 0);
        cr_assert_eq(job_set(&j->payload_sha256,
                             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), 0);
        cr_assert_eq(job_set(&j->bilan_sha256,
                             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), 0);
        j->has_amounts = true;
        j->total = 400000;
        j->total_before_cap = 450000;
        j->allowance = 50000;
        cr_assert_eq(job_set(&j->flux, "CPP_FLUX_123456"), 0);
        j->deposited_usec = 1797000000000000;
        cr_assert_eq(job_set(&j->cpp_invoice_id, "987654"), 0);
        cr_assert_eq(job_set(&j->cpp_flux_state, "IN_INTEGRE"), 0);
        cr_assert_eq(job_set(&j->cpp_invoice_status, "MISE_A_DISPOSITION"), 0);
        cr_assert_eq(job_set(&j->cpp_status_date, "2026-12-11 09:05"), 0);
        cr_assert_eq(job_set(&j->cpp_status_comment, "pièces reçues\nmerci"), 0);
        cr_assert_eq(job_set(&j->buyer, "Communauté de communes du Clermontais"), 0);
        j->approved_usec = 1796995000000000;
        cr_assert_eq(job_set(&j->approved_by, "root"), 0);
        cr_assert_eq(job_set(&j->approved_as, "Marie Dupont\n(DAF)"), 0);
        j->attempts = 3;
        j->first_attempt_usec = 1796999000000000;
        j->next_attempt_usec = 1797000600000000;
        j->created_usec = 1796990000000000;
        j->outage_usec = 95000000;
        j->next_delay_usec = 40000000;
        j->deposit_uncertain_usec = 1796999500000000;
        j->lookup_started_usec = 1796999600000000;
        j->lookup_usec = 1200000000;
        j->deposit_ever_uncertain = true;
        cr_assert_eq(job_set_last_error(j, "HTTP 503 from Chorus Pro"), 0);
        return j;
}

static Job *round_trip(const Job *j) {
        char *text = NULL;
        size_t size;
        Job *back = NULL;

        cr_assert_eq(job_serialize(j, &text, &size), 0);
        cr_assert_eq(strlen(text), size);
        cr_assert_eq(job_parse(text, size, &back), 0, "%s", text);
        free(text);
        return back;
}

Test(jobstate, round_trip_every_field) {
        Job *j = full_job(), *b;

        b = round_trip(j);
        cr_assert_str_eq(b->id, ID1);
        cr_assert_str_eq(b->bilan_name, "bilan 2026 ünïcode.json");
        cr_assert_str_eq(b->spool_name, ID1 "--bilan 2026 ünïcode.json");
        cr_assert_eq(b->state, JOB_STATE_DEPOSITED);
        cr_assert_str_eq(b->convention, "CDCMC-2026");
        cr_assert_str_eq(b->invoice_number, "CMA34-2026-0007");
        cr_assert(b->has_issue_date);
        cr_assert_eq(date_compare(b->issue_date, (Date){ 2026, 12, 10 }), 0);
        cr_assert_eq(b->format, INVOICE_FORMAT_FACTURX);
        cr_assert_str_eq(b->payload_name, j->payload_name);
        cr_assert_str_eq(b->payload_sha256, j->payload_sha256);
        cr_assert_str_eq(b->bilan_sha256, j->bilan_sha256);
        cr_assert(b->has_amounts);
        cr_assert_eq(b->total, 400000);
        cr_assert_eq(b->total_before_cap, 450000);
        cr_assert_eq(b->allowance, 50000);
        cr_assert_str_eq(b->flux, "CPP_FLUX_123456");
        cr_assert_eq(b->deposited_usec, j->deposited_usec);
        cr_assert_str_eq(b->cpp_invoice_id, "987654");
        cr_assert_str_eq(b->cpp_flux_state, "IN_INTEGRE");
        cr_assert_str_eq(b->cpp_invoice_status, "MISE_A_DISPOSITION");
        cr_assert_str_eq(b->cpp_status_date, "2026-12-11 09:05");
        cr_assert_str_eq(b->cpp_status_comment, "pièces reçues\nmerci");
        cr_assert_str_eq(b->buyer, "Communauté de communes du Clermontais");
        cr_assert_eq(b->approved_usec, j->approved_usec);
        cr_assert_str_eq(b->approved_by, "root");
        cr_assert_str_eq(b->approved_as, "Marie Dupont\n(DAF)");
        cr_assert_eq(b->attempts, 3);
        cr_assert_eq(b->first_attempt_usec, j->first_attempt_usec);
        cr_assert_eq(b->next_attempt_usec, j->next_attempt_usec);
        cr_assert_eq(b->created_usec, j->created_usec);
        /* Elapsed durations, not wall-clock times (issue 9): the windows
         * and the retry deadline survive a restart and a clock step. */
        cr_assert_eq(b->outage_usec, 95000000);
        cr_assert_eq(b->next_delay_usec, 40000000);
        cr_assert_eq(b->deposit_uncertain_usec, j->deposit_uncertain_usec);
        cr_assert_eq(b->lookup_started_usec, j->lookup_started_usec);
        cr_assert_eq(b->lookup_usec, 1200000000);
        cr_assert(b->deposit_ever_uncertain);
        cr_assert_str_eq(b->last_error, "HTTP 503 from Chorus Pro");
        cr_assert_eq(b->n_voided, 0);
        job_free(b);
        job_free(j);
}

Test(jobstate, minimal_job_round_trip) {
        Job *j = NULL, *b;

        cr_assert_eq(job_new(ID2, "x.json", ID2 "--x.json", &j), 0);
        b = round_trip(j);
        cr_assert_eq(b->state, JOB_STATE_RECEIVED);
        cr_assert_null(b->convention);
        cr_assert_null(b->invoice_number);
        cr_assert_not(b->has_amounts);
        cr_assert_not(b->has_issue_date);
        cr_assert_eq(b->format, _INVOICE_FORMAT_INVALID);
        job_free(b);
        job_free(j);
}

/* A state written before chorusd recorded the bilan's hash still loads:
 * the job records it at its next read of the bilan (job.c). */
Test(jobstate, state_without_bilan_hash_loads) {
        static const char text[] = "VERSION=1\nJOB=" ID1 "\nSTATE=numbered\nBILAN=x.json\n"
                                   "SPOOL_NAME=" ID1 "--x.json\nINVOICE=CMA34-2026-0001\nEND=1\n";
        Job *b = NULL;

        cr_assert_eq(job_parse(text, sizeof text - 1, &b), 0);
        cr_assert_eq(b->state, JOB_STATE_NUMBERED);
        cr_assert_null(b->bilan_sha256);
        job_free(b);
}

/* The escaping is what stands between an attacker-controlled string (a
 * file name, a Chorus Pro message) and a forged STATE= line. */
Test(jobstate, newline_cannot_forge_a_key) {
        Job *j = NULL, *b;
        char *text = NULL;
        size_t size;
        const char *evil = "boom\nSTATE=done\nEND=1\n\\x41\r\t\x01";

        cr_assert_eq(job_new(ID1, "evil\nSTATE=done.json", ID1 "--evil", &j), 0);
        j->state = JOB_STATE_DEPOSITING;
        cr_assert_eq(job_set(&j->last_error, evil), 0); /* raw, not sanitised */
        cr_assert_eq(job_serialize(j, &text, &size), 0);
        cr_assert_null(strstr(text, "\nSTATE=done"), "%s", text);
        cr_assert_eq(job_parse(text, size, &b), 0);
        cr_assert_eq(b->state, JOB_STATE_DEPOSITING);
        cr_assert_str_eq(b->last_error, evil);
        cr_assert_str_eq(b->bilan_name, "evil\nSTATE=done.json");
        free(text);
        job_free(b);
        job_free(j);
}

Test(jobstate, last_error_is_one_bounded_line) {
        Job *j = NULL;
        char big[2000];

        cr_assert_eq(job_new(ID1, "a", "b", &j), 0);
        cr_assert_eq(job_set_last_error(j, "line one\nline two\ttab"), 0);
        cr_assert_str_eq(j->last_error, "line one line two tab");
        memset(big, 'e', sizeof big - 1);
        big[sizeof big - 1] = 0;
        memcpy(big + JOB_LAST_ERROR_MAX - 1, "é", 2); /* a 2-byte sequence across the cut */
        cr_assert_eq(job_set_last_error(j, big), 0);
        cr_assert_eq(strlen(j->last_error), JOB_LAST_ERROR_MAX - 1);
        /* 3- and 4-byte sequences across the cut: the whole character goes. */
        memset(big, 'e', sizeof big - 1);
        memcpy(big + JOB_LAST_ERROR_MAX - 2, "€", 3);
        cr_assert_eq(job_set_last_error(j, big), 0);
        cr_assert_eq(strlen(j->last_error), JOB_LAST_ERROR_MAX - 2, "a 3-byte character was cut");
        memset(big, 'e', sizeof big - 1);
        memcpy(big + JOB_LAST_ERROR_MAX - 1, "😀", 4);
        cr_assert_eq(job_set_last_error(j, big), 0);
        cr_assert_eq(strlen(j->last_error), JOB_LAST_ERROR_MAX - 1, "a 4-byte character was cut");
        job_free(j);
}

/* Every strict prefix of a state file is torn and refused. */
Test(jobstate, every_truncation_is_detected) {
        Job *j = full_job(), *b = NULL;
        char *text = NULL;
        size_t size;

        cr_assert_eq(job_serialize(j, &text, &size), 0);
        for (size_t n = 0; n < size; n++)
                cr_assert_eq(job_parse(text, n, &b), -EBADMSG, "prefix of %zu bytes accepted", n);
        cr_assert_eq(job_parse(text, size, &b), 0);
        job_free(b);
        free(text);
        job_free(j);
}

typedef struct BadCase {
        const char *label;
        const char *text;
} BadCase;

Test(jobstate, malformed_files) {
        static const BadCase cases[] = {
                { "no version", "JOB=" ID1 "\nSTATE=received\nEND=1\n" },
                { "future version", "VERSION=2\nJOB=" ID1 "\nSTATE=received\nEND=1\n" },
                { "no state", "VERSION=1\nJOB=" ID1 "\nEND=1\n" },
                { "bad state", "VERSION=1\nJOB=" ID1 "\nSTATE=paid\nEND=1\n" },
                { "bad job id", "VERSION=1\nJOB=../x\nSTATE=received\nEND=1\n" },
                { "repeated state", "VERSION=1\nJOB=" ID1 "\nSTATE=received\nSTATE=done\nEND=1\n" },
                { "line without =", "VERSION=1\nJOB=" ID1 "\nSTATE=received\nhello\nEND=1\n" },
                { "lowercase key", "VERSION=1\nJOB=" ID1 "\nSTATE=received\nstate=done\nEND=1\n" },
                { "bad escape", "VERSION=1\nJOB=" ID1 "\nSTATE=received\nLAST_ERROR=a\\qb\nEND=1\n" },
                { "NUL escape", "VERSION=1\nJOB=" ID1 "\nSTATE=received\nLAST_ERROR=a\\x00b\nEND=1\n" },
                { "text after END", "VERSION=1\nJOB=" ID1 "\nSTATE=received\nEND=1\nX=1\n" },
                { "END=0", "VERSION=1\nJOB=" ID1 "\nSTATE=received\nEND=0\n" },
                { "bad number", "VERSION=1\nJOB=" ID1 "\nSTATE=received\nATTEMPTS=3x\nEND=1\n" },
                { "negative time", "VERSION=1\nJOB=" ID1 "\nSTATE=received\nCREATED=-5\nEND=1\n" },
                { "two of three amounts", "VERSION=1\nJOB=" ID1 "\nSTATE=received\nTOTAL_CENTS=5\nALLOWANCE_CENTS=0\nEND=1\n" },
                { "bad date", "VERSION=1\nJOB=" ID1 "\nSTATE=received\nISSUE_DATE=2026-02-30\nEND=1\n" },
                { "bad format", "VERSION=1\nJOB=" ID1 "\nSTATE=received\nFORMAT=pdf\nEND=1\n" },
                { "bad sha", "VERSION=1\nJOB=" ID1 "\nSTATE=received\nPAYLOAD_SHA256=xyz\nEND=1\n" },
                { "bad bilan sha", "VERSION=1\nJOB=" ID1 "\nSTATE=received\nBILAN_SHA256=XYZ\nEND=1\n" },
                { "repeated date", "VERSION=1\nJOB=" ID1 "\nSTATE=numbered\nISSUE_DATE=2026-12-10\n"
                                   "ISSUE_DATE=2026-12-11\nEND=1\n" },
                { "repeated format", "VERSION=1\nJOB=" ID1 "\nSTATE=received\nFORMAT=ubl\nFORMAT=cii\nEND=1\n" },
                { "bad uncertain flag", "VERSION=1\nJOB=" ID1 "\nSTATE=depositing\nDEPOSIT_EVER_UNCERTAIN=yes\nEND=1\n" },
                { "negative elapsed", "VERSION=1\nJOB=" ID1 "\nSTATE=depositing\nLOOKUP_ELAPSED=-1\nEND=1\n" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                Job *b = NULL;
                cr_assert_eq(job_parse(cases[i].text, strlen(cases[i].text), &b), -EBADMSG, "%s",
                             cases[i].label);
        }
}

Test(jobstate, unknown_keys_are_ignored) {
        const char *text = "VERSION=1\nJOB=" ID1 "\nSTATE=validated\nFUTURE_FIELD=x\nEND=1\n";
        Job *b = NULL;

        cr_assert_eq(job_parse(text, strlen(text), &b), 0);
        cr_assert_eq(b->state, JOB_STATE_VALIDATED);
        job_free(b);
}

Test(jobstate, escape_round_trip_of_every_byte) {
        char raw[256], *text = NULL, *back = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        for (int i = 1; i < 256; i++)
                raw[i - 1] = (char) i;
        raw[255] = 0;
        kv_escape(f, raw);
        fclose(f);
        cr_assert_null(memchr(text, '\n', size));
        cr_assert_eq(kv_unescape(text, size, &back), 0);
        cr_assert_str_eq(back, raw);
        free(back);
        free(text);
}

Test(jobstate, void_number) {
        Job *j = full_job(), *b;

        cr_assert_eq(job_void_number(j), 0);
        cr_assert_null(j->invoice_number);
        cr_assert_null(j->flux);
        cr_assert_null(j->payload_sha256);
        cr_assert_not(j->has_issue_date);
        /* The old invoice's status is not the new one's; the buyer stays. */
        cr_assert_null(j->cpp_invoice_status);
        cr_assert_null(j->cpp_status_date);
        cr_assert_null(j->cpp_status_comment);
        cr_assert_not_null(j->buyer);
        cr_assert_eq(j->n_voided, 1);
        cr_assert_str_eq(j->voided[0], "CMA34-2026-0007");
        /* A new number: nothing of the old one's deposits carries over. */
        cr_assert_not(j->deposit_ever_uncertain);
        cr_assert_eq(j->deposit_uncertain_usec, 0);
        cr_assert_eq(j->lookup_started_usec, 0);
        cr_assert_eq(job_void_number(j), -ENOENT);
        cr_assert_eq(job_set(&j->invoice_number, "CMA34-2026-0009"), 0);
        cr_assert_eq(job_void_number(j), 0);
        b = round_trip(j);
        cr_assert_eq(b->n_voided, 2);
        cr_assert_str_eq(b->voided[0], "CMA34-2026-0007");
        cr_assert_str_eq(b->voided[1], "CMA34-2026-0009");
        cr_assert_null(b->voided[2]);
        job_free(b);
        job_free(j);
}

/* ---- The store ---------------------------------------------------------------- */

static char *dir;
static JobStore *store;

static void store_setup(void) {
        dir = scratch_new();
        cr_assert_eq(jobstore_open(dir, &store), 0);
}

static void store_teardown(void) {
        scratch_faults_off();
        jobstore_free(store);
        scratch_remove(dir);
}

static char *jobs_dir(void) {
        return scratch_path(dir, JOBSTORE_DIR);
}

Test(jobstore, save_and_load, .init = store_setup, .fini = store_teardown) {
        Job *j = full_job(), *b = NULL;
        JobLoadSource src;

        cr_assert_eq(jobstore_create(store, j), 0);
        cr_assert_eq(jobstore_create(store, j), -EEXIST);
        cr_assert_gt(j->updated_usec, 0);
        j->state = JOB_STATE_INTEGRATED;
        cr_assert_eq(jobstore_save(store, j), 0);
        cr_assert_eq(jobstore_load(store, ID1, &b, &src), 0);
        cr_assert_eq(src, JOB_LOAD_CURRENT);
        cr_assert_eq(b->state, JOB_STATE_INTEGRATED);
        cr_assert_eq(b->created_usec, j->created_usec);
        job_free(b);
        cr_assert_eq(jobstore_exists(store, ID1), 1);
        cr_assert_eq(jobstore_exists(store, ID2), 0);
        cr_assert_eq(jobstore_load(store, ID2, &b, NULL), -ENOENT);
        cr_assert_eq(jobstore_load(store, "../x", &b, NULL), -EINVAL);
        job_free(j);
}

static void tear_file(const char *name) {
        char *jd = jobs_dir(), *text = scratch_read(jd, name);

        cr_assert_not_null(text);
        text[strlen(text) / 2] = 0; /* cut in the middle: no END=1 */
        scratch_write(jd, name, text);
        free(text);
        free(jd);
}

Test(jobstore, torn_current_falls_back_on_previous, .init = store_setup, .fini = store_teardown) {
        Job *j = full_job(), *b = NULL;
        JobLoadSource src;

        j->state = JOB_STATE_RENDERED;
        cr_assert_eq(jobstore_create(store, j), 0);
        j->state = JOB_STATE_DEPOSITING;
        cr_assert_eq(jobstore_save(store, j), 0);
        tear_file(ID1 ".state");
        cr_assert_eq(jobstore_load(store, ID1, &b, &src), 0);
        cr_assert_eq(src, JOB_LOAD_PREVIOUS);
        cr_assert_eq(b->state, JOB_STATE_RENDERED, "the previous state, safe to redo from");
        job_free(b);

        tear_file(ID1 ".state.prev");
        cr_assert_eq(jobstore_load(store, ID1, &b, &src), -EBADMSG);
        job_free(j);
}

/* A crash between "state → state.prev" and "temp → state" leaves only the
 * .prev: it is the latest good state. */
Test(jobstore, only_previous_left, .init = store_setup, .fini = store_teardown) {
        Job *j = full_job(), *b = NULL;
        char *jd = jobs_dir(), *from = scratch_path(jd, ID1 ".state"), *to = scratch_path(jd, ID1 ".state.prev");
        JobLoadSource src;

        cr_assert_eq(jobstore_create(store, j), 0);
        cr_assert(rename(from, to) == 0);
        cr_assert_eq(jobstore_load(store, ID1, &b, &src), 0);
        cr_assert_eq(src, JOB_LOAD_PREVIOUS);
        cr_assert_eq(jobstore_exists(store, ID1), 1);
        job_free(b);
        job_free(j);
        free(from);
        free(to);
        free(jd);
}

Test(jobstore, state_copied_under_another_name_is_refused, .init = store_setup, .fini = store_teardown) {
        Job *j = full_job(), *b = NULL;
        char *jd = jobs_dir(), *text;

        cr_assert_eq(jobstore_create(store, j), 0);
        text = scratch_read(jd, ID1 ".state");
        scratch_write(jd, ID2 ".state", text);
        cr_assert_eq(jobstore_load(store, ID2, &b, NULL), -EBADMSG);
        free(text);
        free(jd);
        job_free(j);
}

Test(jobstore, save_fsync_failure_is_fatal, .init = store_setup, .fini = store_teardown) {
        FaultPlan plan = { .op = FS_OP_FSYNC, .fail_at = 1, .error = -EIO };
        Job *j = full_job(), *b = NULL;

        j->state = JOB_STATE_RENDERED;
        cr_assert_eq(jobstore_create(store, j), 0);
        j->state = JOB_STATE_DEPOSITING;
        scratch_faults(&plan);
        cr_assert_eq(jobstore_save(store, j), -EIO);
        scratch_faults_off();
        cr_assert_eq(jobstore_load(store, ID1, &b, NULL), 0);
        cr_assert_eq(b->state, JOB_STATE_RENDERED, "a state that failed to sync is not announced");
        job_free(b);
        job_free(j);
}

typedef struct Seen {
        unsigned n;
        unsigned n1, n2;
} Seen;

static int count_job(JobStore *s, const char *id, void *userdata) {
        Seen *seen = userdata;

        (void) s;
        seen->n++;
        seen->n1 += streq(id, ID1);
        seen->n2 += streq(id, ID2);
        return 0;
}

Test(jobstore, foreach_sees_each_job_once, .init = store_setup, .fini = store_teardown) {
        Job *a = NULL, *b = NULL;
        char *jd = jobs_dir(), *from, *to;
        Seen seen = {};

        cr_assert_eq(job_new(ID1, "a", ID1 "--a", &a), 0);
        cr_assert_eq(job_new(ID2, "b", ID2 "--b", &b), 0);
        cr_assert_eq(jobstore_create(store, a), 0);
        cr_assert_eq(jobstore_save(store, a), 0); /* ID1.state + ID1.state.prev */
        cr_assert_eq(jobstore_create(store, b), 0);
        from = scratch_path(jd, ID2 ".state");
        to = scratch_path(jd, ID2 ".state.prev");
        cr_assert(rename(from, to) == 0); /* ID2 only as .prev */
        scratch_write(jd, "README", "not a job");
        scratch_write(jd, "." ID1 ".state.1234abcd.tmp", "a leftover temp file");

        cr_assert_eq(jobstore_foreach(store, count_job, &seen), 0);
        cr_assert_eq(seen.n, 2);
        cr_assert_eq(seen.n1, 1);
        cr_assert_eq(seen.n2, 1);
        job_free(a);
        job_free(b);
        free(from);
        free(to);
        free(jd);
}

/* Which saves may skip the fsync of jobs/ (a crash may take them back):
 * only those after which every step is redone identically. */
Test(jobstate, states_that_may_go_back) {
        cr_expect(job_state_may_go_back(JOB_STATE_RECEIVED, JOB_STATE_VALIDATED));
        cr_expect(job_state_may_go_back(JOB_STATE_VALIDATED, JOB_STATE_NUMBERED));
        cr_expect(job_state_may_go_back(JOB_STATE_NUMBERED, JOB_STATE_RENDERED));
        cr_expect(job_state_may_go_back(JOB_STATE_DEPOSITING, JOB_STATE_DEPOSITED));
        cr_expect(job_state_may_go_back(JOB_STATE_DEPOSITED, JOB_STATE_DEPOSITED));
        /* Exactly once: depositing is durable before the request. */
        cr_expect_not(job_state_may_go_back(JOB_STATE_RENDERED, JOB_STATE_DEPOSITING));
        cr_expect_not(job_state_may_go_back(JOB_STATE_DEPOSITING, JOB_STATE_DEPOSITING));
        /* A lost deposit sent again from rendered: the look-up must not come back. */
        cr_expect_not(job_state_may_go_back(JOB_STATE_DEPOSITING, JOB_STATE_RENDERED));
        /* Files move after these, or a person waits on them. */
        cr_expect_not(job_state_may_go_back(JOB_STATE_DEPOSITED, JOB_STATE_INTEGRATED));
        cr_expect_not(job_state_may_go_back(JOB_STATE_INTEGRATED, JOB_STATE_INTEGRATED));
        cr_expect_not(job_state_may_go_back(JOB_STATE_VALIDATED, JOB_STATE_AWAITING_APPROVAL));
        cr_expect_not(job_state_may_go_back(JOB_STATE_RECEIVED, JOB_STATE_INVALID));
        cr_expect_not(job_state_may_go_back(JOB_STATE_INTEGRATED, JOB_STATE_DONE));
        cr_expect_not(job_state_may_go_back(JOB_STATE_RENDERED, JOB_STATE_FAILED));
}
