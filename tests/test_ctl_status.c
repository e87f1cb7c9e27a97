/* test_ctl_status.c — `chorusctl status` (filters, --json, cut marks) and
 * `chorusctl health` (its exit statuses and line) on crafted state folders:
 * a scratch configuration (tests/data/config/good-minimal.conf plus our
 * directories) and job states written with the job store. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "service/audit.h"
#include "service/correction.h"
#include "ctl/ctl.h"
#include "base/fileio.h"
#include "base/fsutil.h"
#include "service/jobstate.h"
#include "base/json-cleanup.h"
#include "service/metrics.h"
#include "chorus/retry.h"

#define HOUR (3600 * USEC_PER_SEC)
#define DAY_USEC (24 * HOUR)
#define LONG_STATUS "IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP"

static char root[] = "/tmp/test_ctl_status-XXXXXX";
static char conventions[PATH_MAX];
static char *config_path, *state_dir;

static char *join(const char *a, const char *b) {
        char *s = NULL;
        cr_assert(asprintf(&s, "%s/%s", a, b) > 0);
        return s;
}

static void make_dir(const char *name) {
        _cleanup_(freep) char *path = join(root, name);
        cr_assert_eq(mkdir(path, 0700), 0);
}

static void write_config(const char *extra) {
        _cleanup_(freep) char *base = NULL;
        size_t size;
        FILE *f;

        cr_assert_eq(read_file_bounded("tests/data/config/good-minimal.conf", 1 << 16, &base, &size), 0);
        f = fopen(config_path, "we");
        cr_assert(f);
        fputs(base, f);
        fprintf(f, "%s\n[spool]\ndir = %s/spool\nmin_free_space = 1M\n[state]\ndir = %s\n[conventions]\ndir = %s\n",
                extra ? extra : "", root, state_dir, conventions);
        cr_assert_eq(fclose(f), 0);
}

static void setup(void) {
        cr_assert(mkdtemp(root));
        cr_assert(realpath("tests/data/config/conventions.d", conventions));
        make_dir("spool");
        make_dir("state");
        for (const char *const *s = (const char *const[]) { "incoming", "processing", "done", "rejected",
                                                             "failed", NULL };
             *s; s++) {
                _cleanup_(freep) char *sub = NULL;
                cr_assert(asprintf(&sub, "spool/%s", *s) > 0);
                make_dir(sub);
        }
        config_path = join(root, "chorusd.conf");
        state_dir = join(root, "state");
        write_config(NULL);
}

static void teardown(void) {
        _cleanup_(freep) char *cmd = NULL;

        cr_assert(asprintf(&cmd, "rm -rf '%s'", root) > 0);
        cr_expect_eq(system(cmd), 0, "%s", cmd);
        free(config_path);
        free(state_dir);
}

TestSuite(status, .init = setup, .fini = teardown);
TestSuite(health, .init = setup, .fini = teardown);

/* A job written as chorusd would have: `created` and `next` are offsets
 * from now (µs, 0 = unset). */
typedef struct JobSpec {
        const char *id, *convention, *chorus_status;
        JobState state;
        int64_t created, next;
        bool retrying; /* attempts without any answer from Chorus Pro */
        const char *invoice, *credit_of_job, *credit_of_invoice, *correction_sent;
        bool looking_up; /* the look-up clock runs (an uncertain correction) */
} JobSpec;

static void add_job(const JobSpec *s) {
        _cleanup_(jobstore_freep) JobStore *store = NULL;
        _cleanup_(job_freep) Job *j = NULL;
        uint64_t now = now_realtime_usec();

        cr_assert_eq(jobstore_open(state_dir, &store), 0);
        cr_assert_eq(job_new(s->id, "bilan.json", "x--bilan.json", &j), 0);
        j->state = s->state;
        cr_assert_eq(job_set(&j->convention, s->convention), 0);
        cr_assert_eq(job_set(&j->cpp_invoice_status, s->chorus_status), 0);
        j->created_usec = (uint64_t) ((int64_t) now + s->created);
        if (s->next)
                j->next_attempt_usec = (uint64_t) ((int64_t) now + s->next);
        if (s->retrying) {
                j->attempts = 3;
                j->first_attempt_usec = now - 2 * DAY_USEC;
        }
        cr_assert_eq(job_set(&j->invoice_number, s->invoice), 0);
        cr_assert_eq(job_set(&j->credit_of_job, s->credit_of_job), 0);
        cr_assert_eq(job_set(&j->credit_of_invoice, s->credit_of_invoice), 0);
        cr_assert_eq(job_set(&j->correction_sent, s->correction_sent), 0);
        if (s->looking_up)
                j->lookup_started_usec = now - HOUR;
        cr_assert_eq(jobstore_create(store, j), 0);
}

typedef struct Output {
        int status;
        char *out, *err;
} Output;

static void output_done(Output *o) {
        free(o->out);
        free(o->err);
}

static char *slurp(const char *path) {
        char *text = NULL;
        size_t size;
        cr_assert_eq(read_file_bounded(path, 1 << 20, &text, &size), 0);
        return text;
}

/* Runs `command` -c CONFIG ARGS… in this process, stdout and stderr in files. */
static Output run(int (*command)(int, char *[]), const char *name, ...) {
        _cleanup_(freep) char *out_path = join(root, "stdout"), *err_path = join(root, "stderr");
        char *argv[16] = { strdup(name), strdup("-c"), strdup(config_path) };
        int argc = 3, saved_out, saved_err, fd_out, fd_err;
        Output o = {};
        va_list ap;

        va_start(ap, name);
        for (const char *a; argc < 15 && (a = va_arg(ap, const char *));)
                argv[argc++] = strdup(a);
        va_end(ap);
        for (int i = 0; i < argc; i++)
                cr_assert(argv[i]);
        fflush(stdout);
        fflush(stderr);
        saved_out = dup(STDOUT_FILENO);
        saved_err = dup(STDERR_FILENO);
        fd_out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        fd_err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        cr_assert(saved_out >= 0 && saved_err >= 0 && fd_out >= 0 && fd_err >= 0);
        dup2(fd_out, STDOUT_FILENO);
        dup2(fd_err, STDERR_FILENO);
        o.status = command(argc, argv);
        for (int i = 0; i < argc; i++)
                free(argv[i]);
        fflush(stdout);
        fflush(stderr);
        dup2(saved_out, STDOUT_FILENO);
        dup2(saved_err, STDERR_FILENO);
        close(saved_out);
        close(saved_err);
        close(fd_out);
        close(fd_err);
        o.out = slurp(out_path);
        o.err = slurp(err_path);
        cr_log_info("%s: status %d\nstdout: %s\nstderr: %s", name, o.status, o.out, o.err);
        return o;
}

#define STATUS(...) run(ctl_status, "status", __VA_ARGS__, NULL)
#define HEALTH(...) run(ctl_health, "health", __VA_ARGS__, NULL)

static void add_three_jobs(void) {
        add_job(&(JobSpec){ .id = "20261201-100000-0000000a", .convention = "cdcmc-2026", .state = JOB_STATE_DONE,
                            .created = -5 * (int64_t) DAY_USEC });
        add_job(&(JobSpec){ .id = "20261202-100000-0000000b", .convention = "other", .state = JOB_STATE_FAILED,
                            .created = -3 * (int64_t) DAY_USEC });
        add_job(&(JobSpec){ .id = "20261203-100000-0000000c", .convention = "cdcmc-2026",
                            .state = JOB_STATE_DEPOSITED, .chorus_status = LONG_STATUS, .created = 0 });
}

/* ---- status ---- */

Test(status, long_values_end_with_a_mark) {
        Output o;

        add_three_jobs();
        o = STATUS("--state", "deposited");
        cr_assert_eq(o.status, 0);
        /* The column is 28 characters: 27 of the value and the mark. */
        cr_expect(strstr(o.out, "IN_DEPOT_PORTAIL_EN_ATTENTE…"), "%s", o.out);
        cr_expect_null(strstr(o.out, LONG_STATUS));
        output_done(&o);
}

Test(status, filters) {
        Output o;

        add_three_jobs();
        o = STATUS("--state", "failed,done");
        cr_expect_eq(o.status, 0);
        cr_expect(strstr(o.out, "0000000a") && strstr(o.out, "0000000b") && !strstr(o.out, "0000000c"), "%s", o.out);
        cr_expect(strstr(o.out, "\n2 jobs, 1 done, 1 failed\n"), "%s", o.out);
        output_done(&o);

        o = STATUS("-s", "failed", "--state", "deposited");
        cr_expect(!strstr(o.out, "0000000a") && strstr(o.out, "0000000b") && strstr(o.out, "0000000c"), "%s", o.out);
        output_done(&o);

        o = STATUS("--convention", "cdcmc-2026");
        cr_expect(strstr(o.out, "0000000a") && !strstr(o.out, "0000000b") && strstr(o.out, "0000000c"), "%s", o.out);
        output_done(&o);

        /* Claimed on or after the day before yesterday: b (3 days ago) and a are out. */
        {
                char day[16];
                time_t t = time(NULL) - 2 * 86400;
                struct tm tm;
                cr_assert(localtime_r(&t, &tm));
                strftime(day, sizeof day, "%Y-%m-%d", &tm);
                o = STATUS("--since", day);
                cr_expect(!strstr(o.out, "0000000a") && !strstr(o.out, "0000000b") && strstr(o.out, "0000000c"),
                          "%s", o.out);
                output_done(&o);
        }

        o = STATUS("--state", "nonsense");
        cr_expect_eq(o.status, CTL_EXIT_USAGE);
        output_done(&o);
        o = STATUS("--since", "2026-02-30");
        cr_expect_eq(o.status, CTL_EXIT_USAGE);
        output_done(&o);
        o = STATUS("--state", "failed", "20261202-100000-0000000b");
        cr_expect_eq(o.status, CTL_EXIT_USAGE);
        output_done(&o);
}

Test(status, json_array) {
        _cleanup_(cJSON_Deletep) cJSON *a = NULL;
        const cJSON *j;
        Output o;

        o = STATUS("--json");
        cr_expect_eq(o.status, 0);
        cr_expect_str_eq(o.out, "[]\n");
        output_done(&o);

        add_three_jobs();
        o = STATUS("--json", "--state", "deposited,failed");
        cr_assert_eq(o.status, 0);
        a = cJSON_Parse(o.out);
        cr_assert(cJSON_IsArray(a), "%s", o.out);
        cr_assert_eq(cJSON_GetArraySize(a), 2);
        j = cJSON_GetArrayItem(a, 1);
        cr_expect_str_eq(cJSON_GetObjectItem(j, "id")->valuestring, "20261203-100000-0000000c");
        cr_expect_str_eq(cJSON_GetObjectItem(j, "state")->valuestring, "deposited");
        cr_expect(cJSON_IsFalse(cJSON_GetObjectItem(j, "terminal")));
        cr_expect(cJSON_IsFalse(cJSON_GetObjectItem(j, "unreadable")));
        /* Whole values, never cut. */
        cr_expect_str_eq(cJSON_GetObjectItem(j, "chorus_invoice_status")->valuestring, LONG_STATUS);
        cr_expect_str_eq(cJSON_GetObjectItem(j, "convention")->valuestring, "cdcmc-2026");
        /* Every documented field, null when unknown. */
        for (const char *const *f = (const char *const[]) { "bilan", "spool_name", "invoice_number", "issue_date",
                                                             "format", "total_cents", "total_before_cap_cents",
                                                             "allowance_cents", "payload_name", "payload_sha256",
                                                             "flux", "chorus_flux_state", "chorus_invoice_id",
                                                             "created", "updated", "deposited", "next_attempt",
                                                             "attempts", "last_error", "voided_numbers", NULL };
             *f; f++)
                cr_expect(cJSON_HasObjectItem(j, *f), "no field %s", *f);
        cr_expect(cJSON_IsNull(cJSON_GetObjectItem(j, "total_cents")));
        cr_expect(cJSON_IsArray(cJSON_GetObjectItem(j, "voided_numbers")));
        cr_expect(cJSON_IsString(cJSON_GetObjectItem(j, "created")));
        output_done(&o);
}

Test(status, json_one_job) {
        _cleanup_(cJSON_Deletep) cJSON *j = NULL;
        Output o;

        add_three_jobs();
        o = STATUS("--json", "20261202-100000-0000000b");
        cr_assert_eq(o.status, 0);
        j = cJSON_Parse(o.out);
        cr_assert(cJSON_IsObject(j), "%s", o.out);
        cr_expect_str_eq(cJSON_GetObjectItem(j, "state")->valuestring, "failed");
        cr_expect(cJSON_IsTrue(cJSON_GetObjectItem(j, "terminal")));
        cr_expect(cJSON_IsArray(cJSON_GetObjectItem(j, "history")));
        cr_expect(cJSON_IsTrue(cJSON_GetObjectItem(j, "history_complete")));
        cr_expect(cJSON_IsNull(cJSON_GetObjectItem(j, "correction")), "no request: null");
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "kind")), "invoice");
        output_done(&o);

        o = STATUS("--json", "20261202-100000-000000ff");
        cr_expect_eq(o.status, CTL_EXIT_NOINPUT);
        output_done(&o);
}

/* The line of the table that starts with job `id`. */
static char *table_line(const char *out, const char *id) {
        const char *p = strstr(out, id), *end;

        cr_assert_not_null(p, "no line for %s in: %s", id, out);
        end = strchr(p, '\n');
        return strndup(p, end ? (size_t) (end - p) : strlen(p));
}

/* An invoice, its credit note and the new invoice of the convention, as
 * the JOB view links them: the table says which is a credit note, what it
 * cancels, what cancelled the first invoice, what the new one replaces. */
Test(status, table_marks_credit_notes_and_links_them) {
        _cleanup_(freep) char *first = NULL, *credit = NULL, *next = NULL, *other = NULL;
        Output o;

        add_job(&(JobSpec){ .id = "20261201-100000-0000000a", .convention = "cdcmc-2026", .state = JOB_STATE_DONE,
                            .invoice = "CMA34-2026-0001" });
        add_job(&(JobSpec){ .id = "20261202-100000-0000000b", .convention = "cdcmc-2026", .state = JOB_STATE_DONE,
                            .invoice = "CMA34-2026-0002", .credit_of_job = "20261201-100000-0000000a",
                            .credit_of_invoice = "CMA34-2026-0001" });
        add_job(&(JobSpec){ .id = "20261203-100000-0000000c", .convention = "cdcmc-2026",
                            .state = JOB_STATE_INTEGRATED, .invoice = "CMA34-2026-0003" });
        add_job(&(JobSpec){ .id = "20261204-100000-0000000d", .convention = "other", .state = JOB_STATE_DONE,
                            .invoice = "CMA34-2026-0004" });
        o = STATUS("--state", "done,integrated");
        cr_assert_eq(o.status, 0);
        cr_expect(strstr(o.out, "TYPE") && strstr(o.out, "LINK"), "%s", o.out);
        first = table_line(o.out, "20261201-100000-0000000a");
        credit = table_line(o.out, "20261202-100000-0000000b");
        next = table_line(o.out, "20261203-100000-0000000c");
        other = table_line(o.out, "20261204-100000-0000000d");
        cr_expect(strstr(first, " invoice ") && strstr(first, "cancelled by CMA34-2026-0002"), "%s", first);
        cr_expect(strstr(credit, "credit note") && strstr(credit, "cancels CMA34-2026-0001"), "%s", credit);
        cr_expect(strstr(next, " invoice ") && strstr(next, "replaces CMA34-2026-0001"), "%s", next);
        cr_expect(strstr(other, " invoice ") && !strstr(other, "replaces") && !strstr(other, "cancel"), "%s", other);
        output_done(&o);
}

static void write_request(const char *job, CorrectionKind kind) {
        _cleanup_(closep) int dirfd = correction_dir_open(state_dir);
        char pdf[] = "%PDF-1.4\n", *data[1] = { pdf };
        Correction c = { .kind = kind, .id = (char *) "1765000000000000", .user = (char *) "marie",
                         .as = (char *) "Marie Dupont" };

        cr_assert(dirfd >= 0);
        if (kind == CORRECTION_COMPLETE) {
                c.comment = (char *) "Attestation de TVA jointe";
                c.n_attachments = 1;
                c.names[0] = (char *) "attestation-tva.pdf";
                c.data[0] = data[0];
                c.sizes[0] = strlen(pdf);
        } else {
                c.service = (char *) "TRAVAUX";
                c.engagement = (char *) "EJ-2026-0077";
        }
        cr_assert_eq(correction_write(dirfd, job, &c), 0);
}

/* status JOB shows the complete/recycle request waiting for chorusd:
 * what was asked, when, by whom, and where it stands. */
Test(status, job_shows_pending_correction) {
        const char *id = "20261201-100000-0000000a", *id2 = "20261202-100000-0000000b";
        Output o;

        add_job(&(JobSpec){ .id = id, .convention = "cdcmc-2026", .state = JOB_STATE_INTEGRATED,
                            .chorus_status = "SUSPENDUE", .invoice = "CMA34-2026-0001" });
        o = STATUS(id);
        cr_expect_null(strstr(o.out, "Correction request"), "%s", o.out);
        output_done(&o);

        write_request(id, CORRECTION_COMPLETE);
        o = STATUS(id);
        cr_assert_eq(o.status, 0);
        cr_expect(strstr(o.out, "Correction request"), "%s", o.out);
        cr_expect(strstr(o.out, "chorusctl complete, on "), "%s", o.out);
        cr_expect(strstr(o.out, "by marie as Marie Dupont"), "%s", o.out);
        cr_expect(strstr(o.out, "Attestation de TVA jointe"), "%s", o.out);
        cr_expect(strstr(o.out, "attestation-tva.pdf"), "%s", o.out);
        cr_expect(strstr(o.out, "waiting for chorusd"), "%s", o.out);
        output_done(&o);

        /* Sent, the answer lost, the status lagging: said so. */
        add_job(&(JobSpec){ .id = id2, .convention = "other", .state = JOB_STATE_INTEGRATED,
                            .chorus_status = "A_RECYCLER", .invoice = "CMA34-2026-0002",
                            .correction_sent = "1765000000000000", .looking_up = true });
        write_request(id2, CORRECTION_RECYCLE);
        o = STATUS(id2);
        cr_expect(strstr(o.out, "chorusctl recycle"), "%s", o.out);
        cr_expect(strstr(o.out, "TRAVAUX") && strstr(o.out, "EJ-2026-0077"), "%s", o.out);
        cr_expect(strstr(o.out, "answer was lost: not sent again while the invoice stays A_RECYCLER"), "%s", o.out);
        output_done(&o);

        /* The same in JSON, for scripts. */
        o = STATUS("--json", id);
        {
                _cleanup_(cJSON_Deletep) cJSON *j = cJSON_Parse(o.out);
                cJSON *c = cJSON_GetObjectItem(j, "correction");

                cr_assert(cJSON_IsObject(c), "%s", o.out);
                cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(c, "command")), "complete");
                cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(c, "state")), "waiting");
                cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(c, "as")), "Marie Dupont");
                cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "attachments"), 0)),
                                 "attestation-tva.pdf");
                cr_expect(cJSON_IsNull(cJSON_GetObjectItem(c, "uncertain_since")));
                cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "kind")), "invoice");
        }
        output_done(&o);
        o = STATUS("--json", id2);
        {
                _cleanup_(cJSON_Deletep) cJSON *j = cJSON_Parse(o.out);
                cJSON *c = cJSON_GetObjectItem(j, "correction");

                cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(c, "state")), "uncertain", "%s", o.out);
                cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(c, "service")), "TRAVAUX");
                cr_expect(cJSON_IsString(cJSON_GetObjectItem(c, "uncertain_since")));
        }
        output_done(&o);
}

/* ---- health ---- */

static void expect_health(int status, const char *needle) {
        Output o = run(ctl_health, "health", NULL);

        cr_expect_eq(o.status, status, "exit %d, expected %d: %s", o.status, status, o.out);
        cr_expect(strstr(o.out, needle), "'%s' not in: %s", needle, o.out);
        cr_expect(strchr(o.out, '\n') == o.out + strlen(o.out) - 1, "one line: %s", o.out);
        cr_expect(status == 3 || strstr(o.out, " | "), "performance data: %s", o.out);
        output_done(&o);
}

Test(health, ok_when_empty_and_when_all_is_well) {
        expect_health(0, "CHORUSD OK - 0 jobs, 0 in failed/ | jobs=0 waiting=0 failed=0;;0;0");
        add_job(&(JobSpec){ .id = "20261201-100000-0000000a", .state = JOB_STATE_DONE });
        add_job(&(JobSpec){ .id = "20261201-100000-0000000b", .state = JOB_STATE_INTEGRATED,
                            .next = 5 * (int64_t) HOUR }); /* polled later: not late */
        expect_health(0, "CHORUSD OK - 2 jobs, 0 in failed/ | jobs=2 waiting=1 failed=0;;0;0");
}

Test(health, failed_jobs_are_critical) {
        add_job(&(JobSpec){ .id = "20261201-100000-0000000a", .state = JOB_STATE_FAILED });
        add_job(&(JobSpec){ .id = "20261201-100000-0000000b", .state = JOB_STATE_REJECTED });
        expect_health(2, "CHORUSD CRITICAL - 2 jobs, 2 in failed/; 2 in failed/");
}

Test(health, late_jobs) {
        Output o;

        add_job(&(JobSpec){ .id = "20261201-100000-0000000a", .state = JOB_STATE_DEPOSITED,
                            .next = -2 * (int64_t) HOUR });
        expect_health(1, "CHORUSD WARNING - 1 jobs, 0 in failed/; 1 job(s) left waiting longer than 3600 s "
                         "(oldest 20261201-100000-0000000a");
        o = HEALTH("--warn-age", "3h");
        cr_expect_eq(o.status, 0, "%s", o.out);
        cr_expect(strstr(o.out, "oldest_wait=7200s;10800;86400;0"), "%s", o.out);
        output_done(&o);
        o = HEALTH("--warn-age", "30m", "--crit-age", "90m");
        cr_expect_eq(o.status, 2, "%s", o.out);
        output_done(&o);
}

Test(health, no_answer_from_chorus_pro) {
        _cleanup_(freep) char *health = join(state_dir, HEALTH_FILE);
        char text[128];
        Output o;

        /* A job retrying, not late (its next attempt is due later). */
        add_job(&(JobSpec){ .id = "20261201-100000-0000000a", .state = JOB_STATE_RENDERED,
                            .next = (int64_t) HOUR, .retrying = true });
        /* The last contact 2 hours ago: over the 1 h warning. */
        snprintf(text, sizeof text, "VERSION=1\nLAST_CONTACT_USEC=%llu\nEND=1\n",
                 (unsigned long long) (now_realtime_usec() - 2 * HOUR));
        cr_assert_eq(write_file_replace_nosync(health, text, strlen(text), 0640), 0);
        expect_health(1, "no answer from Chorus Pro for 7200 s, 1 job(s) retrying");
        /* Half of retry_deadline (86400 s by default) passed: critical. */
        snprintf(text, sizeof text, "VERSION=1\nLAST_CONTACT_USEC=%llu\nEND=1\n",
                 (unsigned long long) (now_realtime_usec() - 13 * HOUR));
        cr_assert_eq(write_file_replace_nosync(health, text, strlen(text), 0640), 0);
        expect_health(2, "no answer from Chorus Pro for 46800 s");
        o = HEALTH("--contact-crit", "1d");
        cr_expect_eq(o.status, 1, "%s", o.out);
        cr_expect(strstr(o.out, "last_contact=46800s"), "%s", o.out);
        output_done(&o);
        /* No file: since the first attempt without an answer (2 days). */
        cr_assert_eq(unlink(health), 0);
        expect_health(2, "no answer from Chorus Pro for 172800 s");
}

Test(health, an_idle_daemon_is_no_outage) {
        _cleanup_(freep) char *health = join(state_dir, HEALTH_FILE);
        char text[128];

        add_job(&(JobSpec){ .id = "20261201-100000-0000000a", .state = JOB_STATE_INTEGRATED, .next = (int64_t) HOUR });
        snprintf(text, sizeof text, "VERSION=1\nLAST_CONTACT_USEC=%llu\nEND=1\n",
                 (unsigned long long) (now_realtime_usec() - 5 * DAY_USEC));
        cr_assert_eq(write_file_replace_nosync(health, text, strlen(text), 0640), 0);
        expect_health(0, "last_contact=432000s");
}

static void set_password_expiry(int days) {
        _cleanup_(freep) char *iso = NULL;
        char day[16];
        time_t t = time(NULL) + (time_t) days * 86400;
        struct tm tm;

        cr_assert(gmtime_r(&t, &tm));
        strftime(day, sizeof day, "%Y-%m-%d", &tm);
        cr_assert(asprintf(&iso, "%sT00:00:00.000+01:00", day) > 0);
        cr_assert_eq(chorus_account_file_write(state_dir, iso), 0);
}

Test(health, password_expiry) {
        set_password_expiry(40);
        expect_health(0, "password_days=40;15:;0:");
        set_password_expiry(10);
        expect_health(1, "the technical account's password expires on ");
        set_password_expiry(-1);
        expect_health(2, "the technical account's password expired on ");
        cr_assert_eq(chorus_account_file_write(state_dir, NULL), 0); /* not reported */
        expect_health(0, "CHORUSD OK");
}

Test(health, damaged_audit_log_is_critical) {
        _cleanup_(freep) char *path = join(state_dir, AUDIT_LOG_FILE), *text = NULL;
        _cleanup_(audit_freep) AuditLog *a = NULL;
        size_t size;
        char *p;

        cr_assert_eq(audit_open(path, &a), 0);
        for (int i = 0; i < 3; i++)
                cr_assert_eq(audit_append(a, &(AuditRecord){ .event = "claimed", .job = "20261201-100000-0000000a" }), 0);
        expect_health(0, "audit_records=3");
        /* Change one byte of the second record. */
        cr_assert_eq(read_file_bounded(path, 1 << 20, &text, &size), 0);
        p = strstr(strchr(text, '\n'), "claimed");
        cr_assert(p);
        p[0] = 'C';
        cr_assert_eq(write_file_replace_nosync(path, text, size, 0640), 0);
        /* The next record's prev no longer matches. */
        expect_health(2, "audit log damaged at line 3 (chorusctl audit verify)");
}

Test(health, unknown_when_nothing_can_be_read) {
        _cleanup_(freep) char *jobs = join(state_dir, "jobs");
        Output o;

        write_config("[seller]\nsiret = 123");
        expect_health(3, "CHORUSD UNKNOWN - the configuration");
        write_config(NULL);
        /* jobs/ is a file: the job states cannot be read. */
        cr_assert_eq(write_file_replace_nosync(jobs, "x", 1, 0640), 0);
        expect_health(3, "CHORUSD UNKNOWN - 0 jobs, 0 in failed/; cannot read the job states");
        o = HEALTH("--warn-age", "soon");
        cr_expect_eq(o.status, 3, "%s", o.out);
        output_done(&o);
        o = HEALTH("--bogus");
        cr_expect_eq(o.status, 3, "%s", o.out);
        output_done(&o);
}

Test(health, ping_unreachable_is_critical) {
        _cleanup_(freep) char *secret = join(root, "secret"), *extra = NULL;
        Output o;

        cr_assert_eq(write_file_replace_nosync(secret, "s3cret\n", 7, 0600), 0);
        /* Nothing listens on 127.0.0.1:1: refused at once. */
        cr_assert(asprintf(&extra,
                           "environment = custom\napi_url = https://127.0.0.1:1\noauth_url = https://127.0.0.1:1/token\n"
                           "client_secret_file = %s\ncpro_password_file = %s\nconnect_timeout = 1\ntimeout = 2\n",
                           secret, secret) > 0);
        write_config(extra);
        expect_health(0, "CHORUSD OK"); /* no call without --ping */
        o = HEALTH("--ping");
        cr_expect_eq(o.status, 2, "%s", o.out);
        cr_expect(strstr(o.out, "CHORUSD CRITICAL - 0 jobs, 0 in failed/; Chorus Pro unreachable: "), "%s", o.out);
        cr_expect_null(strstr(o.out, "s3cret"));
        output_done(&o);
}

Test(status, json_unreadable_job) {
        _cleanup_(freep) char *jobs = join(state_dir, "jobs"), *path = NULL;
        _cleanup_(cJSON_Deletep) cJSON *a = NULL;
        const cJSON *j;
        Output o;

        add_three_jobs();
        path = join(jobs, "20261204-100000-0000000d.state");
        cr_assert_eq(write_file_replace_nosync(path, "torn", 4, 0640), 0);
        o = STATUS("--json");
        cr_assert_eq(o.status, 0);
        a = cJSON_Parse(o.out);
        cr_assert(cJSON_IsArray(a) && cJSON_GetArraySize(a) == 4, "%s", o.out);
        j = cJSON_GetArrayItem(a, 3);
        cr_expect_str_eq(cJSON_GetObjectItem(j, "id")->valuestring, "20261204-100000-0000000d");
        cr_expect(cJSON_IsTrue(cJSON_GetObjectItem(j, "unreadable")));
        cr_expect(cJSON_IsNull(cJSON_GetObjectItem(j, "state")));
        output_done(&o);
        /* A filter leaves it out. */
        o = STATUS("--json", "--convention", "cdcmc-2026");
        cr_expect_null(strstr(o.out, "0000000d"), "%s", o.out);
        output_done(&o);
        o = STATUS("--state", "done");
        cr_expect_null(strstr(o.out, "0000000d"), "%s", o.out);
        output_done(&o);
}

Test(health, unreadable_job_state_is_a_warning) {
        _cleanup_(freep) char *path = NULL;

        add_job(&(JobSpec){ .id = "20261201-100000-0000000a", .state = JOB_STATE_DONE });
        path = join(state_dir, "jobs/20261204-100000-0000000d.state");
        cr_assert_eq(write_file_replace_nosync(path, "torn", 4, 0640), 0);
        expect_health(1, "CHORUSD WARNING - 2 jobs, 0 in failed/; 1 job state(s) unreadable");
}
