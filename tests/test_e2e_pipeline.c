/* test_e2e_pipeline.c — the real chorusd, real files, the emulator over
 * HTTPS: valid bilans (UBL, CII, Factur-X) reach done/ with exactly one
 * deposit each; invalid and hostile drops reach rejected/ with their error
 * file while the daemon keeps running; a second bilan for an invoiced
 * convention is refused naming the first invoice; Chorus Pro rejections
 * reach failed/ with the platform's reasons and requeue gives a new number;
 * the lifecycle runs to MISE_EN_PAIEMENT; lost answers never make a second
 * flux; a hung Chorus Pro does not stop rejections.
 *
 * Needs scripts/with-emulator (tests/run-all provides it) and a chorusd
 * built with TEST_HOOKS=1 (make check): CHORUSD_TEST_TIME_SCALE=10 makes
 * every configured delay ten times shorter. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emulator.h"
#include "json_mutate.h"
#include "base/macro.h"
#include "test_daemon.h"
#include "service/spool.h"

#define SEC TEST_USEC_PER_SEC
#define BILANS "tests/data/e2e/bilans/"
#define JOB_WAIT (60 * SEC)

static TestDaemon d;
static Emulator *emu;

static const char *const fast_env[] = { "CHORUSD_TEST_TIME_SCALE=10", NULL };
/* For the lifecycle: lifecycle_poll_interval 300 s becomes 3 s. */
static const char *const faster_env[] = { "CHORUSD_TEST_TIME_SCALE=100", NULL };

static void setup(void) {
        test_e2e_setup(&emu);
}

static void teardown(void) {
        test_daemon_done(&d);
        emu = emulator_free(emu);
}

TestSuite(e2e_pipeline, .init = setup, .fini = teardown, .timeout = 240);

static void start_daemon_env(const char *chorus_extra, const char *const *env) {
        TestDaemonOptions o = {
                .env = env,
                .chorus_extra = chorus_extra ? chorus_extra : "poll_interval = 10\nretry_deadline = 120\n",
        };
        cr_assert_eq(test_daemon_setup(&d, &o), 0);
        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0, "chorusd did not become ready");
}

static void start_daemon(const char *chorus_extra) {
        start_daemon_env(chorus_extra, fast_env);
}

static void drop(const char *name, const char *source) {
        cr_assert_eq(test_daemon_drop_file(&d, name, source), 0, "cannot drop %s", name);
}

/* Waits until the bilan is in `subdir` and its job in `state`. */
static void wait_job(const char *name, const char *subdir, const char *state, char id[static 25]) {
        cr_assert_eq(test_daemon_wait_job(&d, subdir, name, JOB_WAIT, id), 0, "%s never reached %s/", name, subdir);
        if (state)
                cr_assert_eq(test_daemon_wait_state(&d, id, state, JOB_WAIT), 0, "job of %s never reached state %s",
                             name, state);
}

static char *job_field(const char *id, const char *key) {
        char *v = test_daemon_job_field(&d, id, key);
        cr_assert_not_null(v, "job %s has no %s", id, key);
        return v;
}

/* One bilan to done/ through the given faults; exactly one invoice and one
 * flux on Chorus Pro. Returns the invoice number (free it). */
static char *one_bilan_through(const EmulatorFault *faults, size_t n_faults, char id[static 25]) {
        char *number;

        for (size_t i = 0; i < n_faults; i++)
                cr_assert_eq(emulator_add_fault(emu, &faults[i]), 0);
        start_daemon(NULL);
        drop("cdcmc.json", BILANS "cdcmc-2026.json");
        wait_job("cdcmc.json", "done", "done", id);
        number = job_field(id, "INVOICE");
        cr_assert_eq(test_emulator_invoice_count(emu, number), 1, "invoice %s deposited more than once", number);
        cr_assert_eq(test_emulator_flux_count(emu), 1);
        return number;
}

static void assert_audit_ok(void) {
        char *out = NULL;
        int status = test_daemon_ctl(&d, &out, "audit", "verify", NULL);
        cr_assert_eq(status, 0, "audit verify failed: %s", out);
        free(out);
}

static void assert_running(void) {
        cr_assert_gt(d.pid, 0);
        cr_assert_eq(kill(d.pid, 0), 0, "chorusd died");
}

/* The receipt done/NAME says what the state says, and the invoice file's
 * SHA-256 is the one recorded. */
static void check_receipt_named(const char *id, const char *name) {
        char *text = NULL, *flux = job_field(id, "FLUX"), *sha = job_field(id, "PAYLOAD_SHA256");
        char *number = job_field(id, "INVOICE");
        cJSON *json;

        cr_assert_eq(test_daemon_read_file(&d, "done", name, &text), 0, "no receipt %s for %s", name, id);
        json = cJSON_Parse(text);
        cr_assert_not_null(json, "receipt is not JSON: %s", text);
        cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(json, "invoice")), number);
        cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(json, "flux")), flux);
        cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(json, "payload_sha256")), sha);
        cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(json, "total")), "4000.00");
        cr_assert(strlen(cJSON_GetStringValue(cJSON_GetObjectItem(json, "chorus_invoice_id"))) > 0);
        cJSON_Delete(json);
        free(text);
        free(flux);
        free(sha);
        free(number);
}

/* The job's first receipt: JOBID.receipt.json. */
static void check_receipt(const char *id) {
        char name[SPOOL_NAME_MAX];

        snprintf(name, sizeof name, "%s.receipt.json", id);
        check_receipt_named(id, name);
}

/* JOBID.NUMBER.EXT (the invoice file) → JOBID.NUMBER.`suffix`. */
static void payload_sibling(const char *id, const char *suffix, char ret[static SPOOL_NAME_MAX]) {
        char *payload = job_field(id, "PAYLOAD"), *dot = strrchr(payload, '.');

        cr_assert_not_null(dot);
        *dot = 0;
        snprintf(ret, SPOOL_NAME_MAX, "%s.%s", payload, suffix);
        free(payload);
}

/* Waits until the text receipt of job `id` in `subdir` has `needle`;
 * returns its text (free it). */
static char *wait_text_receipt(const char *id, const char *subdir, const char *needle) {
        char name[SPOOL_NAME_MAX], *text = NULL;
        uint64_t deadline = test_now_usec() + JOB_WAIT;

        payload_sibling(id, "recu.txt", name);
        for (;;) {
                free(text);
                text = NULL;
                if (test_daemon_read_file(&d, subdir, name, &text) >= 0 && strstr(text, needle))
                        return text;
                if (test_now_usec() > deadline)
                        break;
                usleep(20000);
        }
        cr_assert_fail("%s/%s never said '%s':\n%s", subdir, name, needle, text ? text : "(no file)");
        return NULL;
}

/* done/ holds what the staff read: the invoice as a PDF whatever the
 * format (a Factur-X invoice is its own), and the text receipt with the
 * last status. */
static void check_readable_files(const char *id, const char *syntax) {
        char pdf[SPOOL_NAME_MAX], *payload = job_field(id, "PAYLOAD"), *number = job_field(id, "INVOICE");
        char *text, *head = NULL;

        payload_sibling(id, "pdf", pdf);
        cr_assert(test_daemon_has_file(&d, "done", pdf), "no readable PDF %s in done/", pdf);
        cr_assert_eq(test_daemon_read_file(&d, "done", pdf, &head), 0);
        cr_assert_eq(strncmp(head, "%PDF-", 5), 0);
        if (streq(syntax, "IN_DP_E2_CII_FACTURX"))
                cr_assert_str_eq(pdf, payload, "a Factur-X invoice is its own readable PDF");
        else
                cr_assert_str_neq(pdf, payload);
        text = wait_text_receipt(id, "done", "Statut Chorus Pro      : mise en paiement (MISE_EN_PAIEMENT)");
        cr_assert(strstr(text, number), "%s", text);
        cr_assert(strstr(text, "Montant TTC            : 4\xe2\x80\xaf" "000,00\xc2\xa0€"), "%s", text);
        cr_assert(strstr(text, "Date du statut         : "), "%s", text);
        cr_assert(strstr(text, "Référence              : "), "%s", text);
        free(text);
        free(head);
        free(payload);
        free(number);
}

Test(e2e_pipeline, valid_bilans_reach_done_with_one_deposit_each) {
        static const struct {
                const char *file, *syntax;
        } cases[] = {
                { "cdcmc-2026.json", "IN_DP_E1_UBL_INVOICE" },
                { "dept34-2026.json", "IN_DP_E1_CII_16B" },
                { "commune-2026.json", "IN_DP_E1_UBL_INVOICE" },
                { "syndicat-2026.json", "IN_DP_E2_CII_FACTURX" },
        };
        char ids[4][25];

        start_daemon(NULL);
        for (size_t i = 0; i < 4; i++) {
                char source[128];
                snprintf(source, sizeof source, BILANS "%s", cases[i].file);
                drop(cases[i].file, source);
        }
        for (size_t i = 0; i < 4; i++) {
                wait_job(cases[i].file, "done", "done", ids[i]);
                char *number = job_field(ids[i], "INVOICE"), *payload = job_field(ids[i], "PAYLOAD");
                cr_assert_eq(test_emulator_invoice_count(emu, number), 1, "%s deposited %d times", number,
                             test_emulator_invoice_count(emu, number));
                cr_assert(test_daemon_has_file(&d, "done", payload), "invoice file not in done/");
                char *status = job_field(ids[i], "CPP_INVOICE_STATUS");
                cr_assert_str_eq(status, "MISE_EN_PAIEMENT");
                check_receipt(ids[i]);
                check_readable_files(ids[i], cases[i].syntax);
                free(number);
                free(payload);
                free(status);
        }
        cr_assert_eq(test_emulator_flux_count(emu), 4, "one flux per bilan");
        cr_assert_eq(emulator_count_requests(emu, "/cpro/factures/v1/deposer/flux"), 4);

        /* Each flux has the syntax of its convention's format, and the
         * Factur-X one was integrated from its embedded XML. */
        cJSON *fluxes = NULL, *f;
        cr_assert_eq(emulator_fluxes(emu, &fluxes), 0);
        cJSON_ArrayForEach(f, cJSON_GetObjectItem(fluxes, "fluxes")) {
                const char *syntax = cJSON_GetStringValue(cJSON_GetObjectItem(f, "syntaxeFlux"));
                cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(f, "etat")), "IN_INTEGRE", "flux %s", syntax);
                bool known = false;
                for (size_t i = 0; i < 4; i++)
                        known = known || streq(syntax, cases[i].syntax);
                cr_assert(known, "unexpected syntax %s", syntax);
        }
        cJSON_Delete(fluxes);

        cr_assert_eq(test_daemon_count(&d, "processing"), 0);
        cr_assert_eq(test_daemon_count(&d, "incoming"), 0);
        cr_assert(test_daemon_log_contains(&d, "integrated by Chorus Pro"));
        cr_assert(test_daemon_log_contains(&d, "is being paid"));
        assert_audit_ok();
        cr_assert_eq(test_daemon_stop(&d), 0);
}

static void drop_special(const char *name, mode_t type) {
        char tmp[512], final[512];

        snprintf(tmp, sizeof tmp, "%s/incoming/.%s.tmp", d.spool, name);
        snprintf(final, sizeof final, "%s/incoming/%s", d.spool, name);
        if (type == S_IFLNK)
                cr_assert_eq(symlink("/etc/passwd", tmp), 0);
        else if (type == S_IFIFO)
                cr_assert_eq(mkfifo(tmp, 0640), 0);
        else
                cr_assert_eq(mkdir(tmp, 0750), 0);
        cr_assert_eq(rename(tmp, final), 0);
}

static void expect_rejected(const char *name, const char *needle) {
        char id[25], error_name[300], *text = NULL;

        wait_job(name, "rejected", NULL, id);
        snprintf(error_name, sizeof error_name, "%s--%s.error.txt", id, name);
        cr_assert_eq(test_daemon_wait_file(&d, "rejected", error_name, 10 * SEC), 0, "no error file for %s", name);
        cr_assert_eq(test_daemon_read_file(&d, "rejected", error_name, &text), 0);
        if (needle)
                cr_assert(strstr(text, needle), "error file of %s does not say '%s':\n%s", name, needle, text);
        free(text);
}

Test(e2e_pipeline, invalid_and_hostile_drops_are_rejected_and_the_daemon_goes_on) {
        char *big;
        char id[25];
        struct stat st;

        start_daemon(NULL);
        drop("pas-du-json.json", "config/examples/invalid-not-json.json");
        drop("convention-inconnue.json", "config/examples/invalid-unknown-convention.json");
        drop("rien.json", "config/examples/invalid-nothing-realised.json");
        drop("mauvais-type.json", "config/examples/invalid-wrong-types.json");
        drop_special("lien.json", S_IFLNK);
        drop_special("tube.json", S_IFIFO);
        drop_special("dossier.json", S_IFDIR);
        big = malloc(2u << 20);
        cr_assert_not_null(big);
        memset(big, ' ', 2u << 20);
        big[0] = '{';
        cr_assert_eq(test_daemon_drop(&d, "enorme.json", big, 2u << 20), 0);
        free(big);
        static const char latin1[] = "{\"bilan\": 1, \"author\": \"\xe9\"}";
        cr_assert_eq(test_daemon_drop(&d, "latin1.json", latin1, strlen(latin1)), 0);
        /* Not bilans, told by their content: each says what it is. */
        static const char csv[] = "Action;Référence;Date\ndev-durable;13002602400013;14/03/2026\n";
        cr_assert_eq(test_daemon_drop(&d, "export.csv", csv, strlen(csv)), 0);
        cr_assert_eq(test_daemon_drop(&d, "bilan.pdf", "%PDF-1.7\n", 9), 0);
        char ole2[2048] = { '\xD0', '\xCF', '\x11', '\xE0', '\xA1', '\xB1', '\x1A', '\xE1' };
        memcpy(ole2 + 1024, "E\0n\0c\0r\0y\0p\0t\0e\0d\0P\0a\0c\0k\0a\0g\0e\0", 32);
        cr_assert_eq(test_daemon_drop(&d, "protege.xlsx", ole2, sizeof ole2), 0);
        /* Review finding: a bilan dated after today + the tolerance (366
         * days here, test_daemon.c) is not invoiced. */
        {
                _cleanup_(freep) char *complete = test_read_file("config/examples/complete.json", NULL);
                _cleanup_(freep) char *future = test_replace_first(complete, "\"issued_on\": \"2026-12-10\"",
                                                                   "\"issued_on\": \"2099-01-15\"");
                cr_assert_not_null(future);
                cr_assert_eq(test_daemon_drop(&d, "avenir.json", future, strlen(future)), 0);
        }
        /* Ignored: a dropper's temp file and an editor's backup stay put. */
        cr_assert_eq(test_daemon_drop(&d, "notes.json~", "x", 1), 0);

        expect_rejected("pas-du-json.json", "JSON");
        expect_rejected("convention-inconnue.json", "CDCMC-2025");
        expect_rejected("rien.json", NULL);
        expect_rejected("mauvais-type.json", NULL);
        expect_rejected("lien.json", NULL);
        expect_rejected("tube.json", NULL);
        expect_rejected("dossier.json", NULL);
        expect_rejected("enorme.json", NULL);
        expect_rejected("latin1.json", NULL);
        expect_rejected("export.csv", "ce fichier est un fichier CSV");
        expect_rejected("bilan.pdf", "ce fichier est un document PDF");
        expect_rejected("protege.xlsx", "le classeur est protégé par un mot de passe");
        expect_rejected("avenir.json", "est postérieure à aujourd'hui");
        assert_running();

        /* The hostile entries were moved, not followed: the symlink is still
         * a symlink in rejected/, the FIFO a FIFO. */
        char path[512];
        cr_assert_eq(test_daemon_wait_job(&d, "rejected", "lien.json", SEC, id), 0);
        snprintf(path, sizeof path, "%s/rejected/%s--lien.json", d.spool, id);
        cr_assert_eq(lstat(path, &st), 0);
        cr_assert(S_ISLNK(st.st_mode));
        cr_assert_eq(test_daemon_wait_job(&d, "rejected", "tube.json", SEC, id), 0);
        snprintf(path, sizeof path, "%s/rejected/%s--tube.json", d.spool, id);
        cr_assert_eq(lstat(path, &st), 0);
        cr_assert(S_ISFIFO(st.st_mode));
        cr_assert(test_daemon_has_file(&d, "incoming", "notes.json~"));

        /* And a good bilan after all of that still goes through. */
        drop("cdcmc-2026.json", BILANS "cdcmc-2026.json");
        wait_job("cdcmc-2026.json", "done", NULL, id);
        cr_assert_eq(test_emulator_flux_count(emu), 1, "nothing but the valid bilan was deposited");
        cr_assert(test_daemon_log_contains(&d, "rejected"));
        assert_audit_ok();
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* Issue 9, item 9: a bilan written in place in incoming/ (as Explorer or
 * Samba do), in three writes with pauses longer than settle_seconds, while
 * another drop makes the daemon rescan incoming/: it is claimed once,
 * complete, and goes through; nothing is rejected. */
Test(e2e_pipeline, file_written_in_place_is_claimed_once_complete) {
        TestDaemonOptions o = {
                .env = fast_env,
                .chorus_extra = "poll_interval = 10\nretry_deadline = 120\n",
                .spool_extra = "settle_seconds = 1\n",
        };
        char *data = NULL, *path = NULL, id[25];
        size_t size, third;
        int fd;

        cr_assert_eq(test_daemon_setup(&d, &o), 0);
        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0, "chorusd did not become ready");
        cr_assert_eq(test_daemon_read_path(BILANS "cdcmc-2026.json", &data, &size), 0);
        third = size / 3;
        cr_assert(asprintf(&path, "%s/incoming/cdcmc.json", d.spool) > 0);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        cr_assert_geq(fd, 0, "%s: %m", path);
        cr_assert_eq(write(fd, data, third), (ssize_t) third);
        usleep(1500000);
        drop("commune.json", BILANS "commune-2026.json"); /* a rescan of incoming/ */
        usleep(1500000);
        cr_assert_eq(write(fd, data + third, third), (ssize_t) third);
        usleep(1500000);
        cr_assert_eq(write(fd, data + 2 * third, size - 2 * third), (ssize_t) (size - 2 * third));
        cr_assert_eq(close(fd), 0);

        wait_job("cdcmc.json", "done", "done", id);
        wait_job("commune.json", "done", "done", id);
        cr_assert_eq(test_daemon_count(&d, "rejected"), 0, "a half-written bilan was claimed");
        cr_assert_eq(test_emulator_flux_count(emu), 2);
        assert_running();
        free(path);
        free(data);
        cr_assert_eq(test_daemon_stop(&d), 0);
}

static void copy_file(const char *to, const char *from) {
        _cleanup_(freep) char *data = NULL;
        size_t size;
        FILE *f;

        cr_assert_eq(test_daemon_read_path(from, &data, &size), 0, "cannot read %s", from);
        f = fopen(to, "we");
        cr_assert_not_null(f, "cannot write %s", to);
        cr_assert_eq(fwrite(data, 1, size, f), size);
        cr_assert_eq(fclose(f), 0);
}

/* `chorusctl validate --french` prints the daemon's error file, to the byte,
 * with a placeholder for the reference given at intake. */
static void expect_validate_french_is_the_error_file(const char *name, const char *source_path) {
        _cleanup_(freep) char *path = NULL, *text = NULL, *expected = NULL, *out = NULL;
        char id[25], error_name[300];

        cr_assert(asprintf(&path, "%s/%s", d.root, name) > 0);
        wait_job(name, "rejected", NULL, id);
        snprintf(error_name, sizeof error_name, "%s--%s.error.txt", id, name);
        cr_assert_eq(test_daemon_wait_file(&d, "rejected", error_name, 10 * SEC), 0, "no error file for %s", name);
        cr_assert_eq(test_daemon_read_file(&d, "rejected", error_name, &text), 0);
        /* The reference appears twice (and only there). */
        expected = test_replace_first(text, id, "AAAAMMJJ-HHMMSS-xxxxxxxx");
        cr_assert_not_null(expected);
        free(text);
        text = expected;
        expected = test_replace_first(text, id, "AAAAMMJJ-HHMMSS-xxxxxxxx");
        cr_assert_not_null(expected);
        cr_assert_null(strstr(expected, id));

        copy_file(path, source_path);
        cr_expect_eq(test_daemon_ctl(&d, &out, "validate", "--french", path, NULL), 65); /* EX_DATAERR */
        cr_expect_str_eq(out, expected);
}

Test(e2e_pipeline, validate_french_prints_the_error_file_the_daemon_writes) {
        start_daemon(NULL);
        drop("dates.json", "config/examples/invalid-date-outside-period.json");
        drop("mauvais-type.json", "config/examples/invalid-wrong-types.json");
        expect_validate_french_is_the_error_file("dates.json", "config/examples/invalid-date-outside-period.json");
        expect_validate_french_is_the_error_file("mauvais-type.json", "config/examples/invalid-wrong-types.json");
        cr_assert_eq(test_daemon_stop(&d), 0);
}

Test(e2e_pipeline, second_bilan_for_an_invoiced_convention_is_refused) {
        char first[25], second[25], error_name[300], *text = NULL, *number, *flux;

        start_daemon(NULL);
        drop("bilan-2026.json", BILANS "cdcmc-2026.json");
        wait_job("bilan-2026.json", "done", "done", first);
        number = job_field(first, "INVOICE");
        flux = job_field(first, "FLUX");

        drop("bilan-2026-bis.json", BILANS "cdcmc-2026.json");
        wait_job("bilan-2026-bis.json", "rejected", "invalid", second);
        snprintf(error_name, sizeof error_name, "%s--bilan-2026-bis.json.error.txt", second);
        cr_assert_eq(test_daemon_read_file(&d, "rejected", error_name, &text), 0);
        cr_assert(strstr(text, number), "the error file does not name invoice %s:\n%s", number, text);
        cr_assert(strstr(text, flux), "the error file does not name flux %s:\n%s", flux, text);
        cr_assert(strstr(text, "déjà été facturée"), "not in French:\n%s", text);
        cr_assert_eq(test_emulator_invoice_count(emu, number), 1);
        cr_assert_eq(test_emulator_flux_count(emu), 1);
        free(text);
        free(number);
        free(flux);
        cr_assert_eq(test_daemon_stop(&d), 0);
}

static void expect_failed(const char *name, const char *reason, char id[static 25]) {
        char error_name[64], *text = NULL;

        wait_job(name, "failed", "rejected", id);
        snprintf(error_name, sizeof error_name, "%s.error.txt", id);
        cr_assert_eq(test_daemon_wait_file(&d, "failed", error_name, 10 * SEC), 0);
        cr_assert_eq(test_daemon_read_file(&d, "failed", error_name, &text), 0);
        cr_assert(strstr(text, reason), "failed/%s does not give Chorus Pro's reason '%s':\n%s", error_name, reason,
                  text);
        cr_assert(strstr(text, "chorusctl requeue"), "no advice in:\n%s", text);
        free(text);
}

Test(e2e_pipeline, chorus_pro_rejections_reach_failed_and_requeue_gives_a_new_number) {
        char inactive[25], service[25], *old_number, *new_number, *voided, *out = NULL;

        start_daemon(NULL);
        drop("inactif.json", BILANS "inactif-2026.json");
        drop("ancien-eco.json", BILANS "ancieneco-2026.json");
        expect_failed("inactif.json", "20034003700015", inactive);
        expect_failed("ancien-eco.json", "ANCIEN-ECO", service);
        cr_assert(test_daemon_log_contains(&d, "Chorus Pro rejected invoice"));
        assert_running();

        /* The administrator fixes the convention (an active service), reloads,
         * and requeues: a new number, the old one voided. */
        old_number = job_field(service, "INVOICE");
        char conv[512], *text = NULL;
        snprintf(conv, sizeof conv, "%s/../conventions.d/ancieneco-2026.json", d.spool);
        cr_assert_eq(test_daemon_read_path(conv, &text, NULL), 0);
        cJSON *json = cJSON_Parse(text);
        cr_assert_not_null(json);
        cr_assert(cJSON_SetValuestring(cJSON_GetObjectItem(cJSON_GetObjectItem(json, "buyer"), "service_code"), "ECO"));
        free(text);
        text = cJSON_Print(json);
        cJSON_Delete(json);
        FILE *f = fopen(conv, "we");
        cr_assert_not_null(f);
        fputs(text, f);
        cr_assert_eq(fclose(f), 0);
        free(text);
        cr_assert_eq(test_daemon_signal(&d, SIGHUP), 0);
        cr_assert_eq(test_daemon_wait_notify(&d, "RELOADING=1", 10 * SEC, NULL), 0);
        cr_assert_eq(test_daemon_wait_notify(&d, "READY=1", 10 * SEC, NULL), 0);

        cr_assert_eq(test_daemon_ctl(&d, &out, "requeue", service, NULL), 0, "requeue: %s", out);
        cr_assert(strstr(out, "new invoice number"), "%s", out);
        free(out);
        wait_job("ancien-eco.json", "done", "done", service);
        new_number = job_field(service, "INVOICE");
        voided = job_field(service, "VOIDED");
        cr_assert_str_neq(new_number, old_number);
        cr_assert_str_eq(voided, old_number);
        cr_assert_eq(test_emulator_invoice_count(emu, new_number), 1);

        /* A job that is not in failed/ cannot be requeued. */
        cr_assert_eq(test_daemon_ctl(&d, &out, "requeue", service, NULL), 65, "%s", out); /* EX_DATAERR */
        free(out);
        /* status lists both, and tells the history of one. */
        cr_assert_eq(test_daemon_ctl(&d, &out, "status", NULL), 0);
        cr_assert(strstr(out, inactive) && strstr(out, new_number), "%s", out);
        free(out);
        cr_assert_eq(test_daemon_ctl(&d, &out, "status", service, NULL), 0);
        cr_assert(strstr(out, "requeued") && strstr(out, old_number) && strstr(out, "chorus_rejected"), "%s", out);
        free(out);
        assert_audit_ok();
        free(old_number);
        free(new_number);
        free(voided);
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* With the emulator's auto-advance off: drop the seed bilan, wait for its
 * deposit, make Chorus Pro integrate the flux, wait for done/. Returns the
 * invoice number (free it). */
static char *integrate_by_hand(char id[static 25]) {
        char *flux;

        cr_assert_eq(emulator_configure(emu, "{\"auto_advance\": 0}"), 0);
        drop("cdcmc.json", BILANS "cdcmc-2026.json");
        cr_assert_eq(test_daemon_wait_job(&d, "processing", "cdcmc.json", JOB_WAIT, id), 0);
        cr_assert_eq(test_daemon_wait_state(&d, id, "deposited", JOB_WAIT), 0);
        flux = job_field(id, "FLUX");
        cr_assert_eq(emulator_advance_flux(emu, flux, "IN_INTEGRE"), 0);
        free(flux);
        wait_job("cdcmc.json", "done", "integrated", id);
        return job_field(id, "INVOICE");
}

Test(e2e_pipeline, lifecycle_runs_to_payment_with_warnings_on_the_way) {
        char id[25], *number;

        start_daemon_env("poll_interval = 10\nlifecycle_poll_interval = 300\n", faster_env);
        number = integrate_by_hand(id);

        static const char *const steps[] = { "MISE_A_DISPOSITION", "A_RECYCLER", "SUSPENDUE", "SERVICE_FAIT",
                                             "MANDATEE", "MISE_EN_PAIEMENT" };
        /* The text receipt in done/ follows each status, in French. */
        static const char *const labels[] = { "mise à disposition de l'acheteur", "à recycler", "suspendue",
                                              "service fait", "mandatée", "mise en paiement" };
        for (size_t i = 0; i < ELEMENTSOF(steps); i++) {
                char needle[128];
                cr_assert_eq(emulator_set_invoice_status(emu, number, steps[i], "test"), 0);
                snprintf(needle, sizeof needle, "→ %s", steps[i]);
                uint64_t deadline = test_now_usec() + 60 * SEC;
                while (!test_daemon_log_contains(&d, needle) && test_now_usec() < deadline)
                        usleep(50000);
                cr_assert(test_daemon_log_contains(&d, needle), "status %s never logged", steps[i]);
                snprintf(needle, sizeof needle, "Statut Chorus Pro      : %s", labels[i]);
                free(wait_text_receipt(id, "done", needle));
        }
        cr_assert_eq(test_daemon_wait_state(&d, id, "done", JOB_WAIT), 0);
        cr_assert(test_daemon_log_contains(&d, "correct it with chorusctl recycle"), "A_RECYCLER advice missing");
        cr_assert(test_daemon_log_contains(&d, "answer with chorusctl complete"), "SUSPENDUE advice missing");
        cr_assert(test_daemon_log_contains(&d, "is being paid"));
        free(number);
        cr_assert_eq(test_daemon_stop(&d), 0);
}

Test(e2e_pipeline, buyer_rejection_after_integration_moves_the_job_to_failed) {
        char id[25], *number, *out = NULL;

        start_daemon(NULL);
        number = integrate_by_hand(id);
        cr_assert_eq(emulator_set_invoice_status(emu, number, "REJETEE", "montant contesté"), 0);
        wait_job("cdcmc.json", "failed", "rejected", id);
        char receipt[64];
        snprintf(receipt, sizeof receipt, "%s.receipt.json", id);
        cr_assert(test_daemon_has_file(&d, "failed", receipt), "the receipt did not follow the bilan to failed/");
        cr_assert(test_daemon_log_contains(&d, "montant contesté"));
        /* The text receipt says it, with the buyer's reason, in failed/ too. */
        char *text = wait_text_receipt(id, "failed", "Statut Chorus Pro      : rejetée (REJETEE)");
        char old_text[SPOOL_NAME_MAX], old_pdf[SPOOL_NAME_MAX];
        cr_assert(strstr(text, "Commentaire            : montant contesté"), "%s", text);
        free(text);
        payload_sibling(id, "recu.txt", old_text);
        payload_sibling(id, "pdf", old_pdf);
        cr_assert(test_daemon_has_file(&d, "failed", old_pdf), "the readable PDF did not follow to failed/");

        /* Requeue: a new number; the convention is invoiced again. */
        cr_assert_eq(emulator_configure(emu, "{\"auto_advance\": 0.2}"), 0);
        cr_assert_eq(test_daemon_ctl(&d, &out, "requeue", id, NULL), 0, "%s", out);
        free(out);
        wait_job("cdcmc.json", "done", "done", id);
        char *again = job_field(id, "INVOICE");
        cr_assert_str_neq(again, number);
        /* done/ holds the new invoice's receipt; the rejected one's stays in
         * failed/ with its invoice. */
        char receipt1[64];
        snprintf(receipt1, sizeof receipt1, "%s.receipt-1.json", id);
        check_receipt_named(id, receipt1);
        cr_assert(test_daemon_has_file(&d, "failed", receipt), "the rejected invoice's receipt left failed/");
        cr_assert(!test_daemon_has_file(&d, "done", receipt), "the rejected invoice's receipt is in done/");
        cr_assert(test_daemon_has_file(&d, "failed", old_text) && test_daemon_has_file(&d, "failed", old_pdf),
                  "the rejected invoice's text receipt and PDF left failed/");
        free(wait_text_receipt(id, "done", "mise en paiement (MISE_EN_PAIEMENT)"));
        free(again);
        free(number);
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* IN_INCIDENTE: Chorus Pro did not process the flux, the whole of it must
 * be sent again. The job goes to failed/ keeping its number; requeue
 * deposits that number again, in a new flux. */
Test(e2e_pipeline, incident_flux_is_sent_again_after_requeue) {
        char id[25], *number, *flux, *again, *out = NULL;

        cr_assert_eq(emulator_configure(emu, "{\"auto_advance\": 0}"), 0);
        start_daemon(NULL);
        drop("cdcmc.json", BILANS "cdcmc-2026.json");
        cr_assert_eq(test_daemon_wait_job(&d, "processing", "cdcmc.json", JOB_WAIT, id), 0);
        cr_assert_eq(test_daemon_wait_state(&d, id, "deposited", JOB_WAIT), 0);
        flux = job_field(id, "FLUX");
        number = job_field(id, "INVOICE");
        cr_assert_eq(emulator_advance_flux(emu, flux, "IN_INCIDENTE"), 0);
        wait_job("cdcmc.json", "failed", "failed", id);
        cr_assert_null(test_daemon_job_field(&d, id, "FLUX"), "the dead flux is still attached to the job");

        cr_assert_eq(emulator_configure(emu, "{\"auto_advance\": 0.2}"), 0);
        cr_assert_eq(test_daemon_ctl(&d, &out, "requeue", id, NULL), 0, "%s", out);
        free(out);
        wait_job("cdcmc.json", "done", "done", id);
        again = job_field(id, "INVOICE");
        cr_assert_str_eq(again, number, "an incident keeps the invoice number");
        char *new_flux = job_field(id, "FLUX");
        cr_assert_str_neq(new_flux, flux);
        cr_assert_eq(test_emulator_flux_count(emu), 2);
        free(new_flux);
        free(again);
        free(number);
        free(flux);
        cr_assert_eq(test_daemon_stop(&d), 0);
}

Test(e2e_pipeline, temporary_failures_are_retried_with_one_flux) {
        const EmulatorFault faults[] = {
                EMULATOR_FAULT(.route = "/cpro/factures/v1/deposer/flux", .count = 1, .status = 429, .retry_after = 1),
                EMULATOR_FAULT(.route = "/api/oauth/token", .count = 1, .status = 503),
        };
        char id[25];

        free(one_bilan_through(faults, ELEMENTSOF(faults), id));
        cr_assert(test_daemon_log_contains(&d, "trying again"));
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* The deposit is processed but its answer is lost: the job looks the number
 * up, finds it once integrated, adopts that flux, and never sends again. */
Test(e2e_pipeline, lost_answer_is_looked_up_not_deposited_twice) {
        const EmulatorFault fault = EMULATOR_FAULT(.route = "/cpro/factures/v1/deposer/flux", .count = 1,
                                                   .drop = "after_body");
        char id[25];

        free(one_bilan_through(&fault, 1, id));
        cr_assert_eq(emulator_count_requests(emu, "/cpro/factures/v1/deposer/flux"), 1, "deposited again");
        cr_assert(test_daemon_log_contains(&d, "may have reached Chorus Pro"));
        cr_assert(test_daemon_log_contains(&d, "adopting"));
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* The request is sent whole, then nothing comes back before our timeout
 * (5 s), and the emulator never processes it (it answers 500 after 6 s):
 * the deposit may have reached Chorus Pro as far as chorusd can tell. The
 * job looks the number up for the grace period (half of retry_deadline),
 * finds nothing, then deposits again: still exactly one flux. */
Test(e2e_pipeline, deposit_that_never_arrived_is_sent_again_after_the_grace) {
        const EmulatorFault fault = EMULATOR_FAULT(.route = "/cpro/factures/v1/deposer/flux", .count = 1,
                                                   .delay_ms = 6000, .status = 500);
        char id[25];

        free(one_bilan_through(&fault, 1, id));
        cr_assert_eq(emulator_count_requests(emu, "/cpro/factures/v1/deposer/flux"), 2);
        cr_assert(test_daemon_log_contains(&d, "may have reached Chorus Pro"));
        cr_assert(test_daemon_log_contains(&d, "never arrived"));
        cr_assert_eq(test_daemon_stop(&d), 0);
}

Test(e2e_pipeline, retries_run_out_to_failed_and_requeue_keeps_the_number) {
        char id[25], *number, *again, *out = NULL, error_name[64], *text = NULL;

        cr_assert_eq(emulator_add_fault(emu, &EMULATOR_FAULT(.route = "/cpro/factures/v1/deposer/flux", .count = 1000,
                                                             .status = 429)),
                     0);
        start_daemon("poll_interval = 10\nretry_deadline = 120\n");
        drop("cdcmc.json", BILANS "cdcmc-2026.json");
        wait_job("cdcmc.json", "failed", "failed", id);
        snprintf(error_name, sizeof error_name, "%s.error.txt", id);
        cr_assert_eq(test_daemon_read_file(&d, "failed", error_name, &text), 0);
        cr_assert(strstr(text, "429"), "the last error is not given:\n%s", text);
        free(text);
        cr_assert(test_daemon_log_contains(&d, "retries ran out"));
        number = job_field(id, "INVOICE");
        cr_assert_eq(test_emulator_flux_count(emu), 0);

        /* Only a bilan in failed/ says that chorusd is done with the job
         * (it saves the state first, then moves the files, the bilan last):
         * otherwise requeue does nothing. */
        char in_failed[512], elsewhere[512];
        snprintf(in_failed, sizeof in_failed, "%s/failed/%s--cdcmc.json", d.spool, id);
        snprintf(elsewhere, sizeof elsewhere, "%s/cdcmc.json", d.root);
        cr_assert_eq(rename(in_failed, elsewhere), 0);
        cr_assert_eq(test_daemon_ctl(&d, &out, "requeue", id, NULL), 75, "%s", out); /* EX_TEMPFAIL */
        cr_assert(strstr(out, "not in failed/"), "%s", out);
        free(out);
        cr_assert_eq(test_daemon_wait_state(&d, id, "failed", 0), 0, "requeue changed the state");
        cr_assert_eq(rename(elsewhere, in_failed), 0);

        cr_assert_eq(emulator_clear_faults(emu), 0);
        cr_assert_eq(test_daemon_ctl(&d, &out, "requeue", id, NULL), 0, "%s", out);
        free(out);
        wait_job("cdcmc.json", "done", "done", id);
        again = job_field(id, "INVOICE");
        cr_assert_str_eq(again, number, "a failed (not rejected) job keeps its number");
        cr_assert_eq(test_emulator_invoice_count(emu, number), 1);
        free(number);
        free(again);
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* Chorus Pro hangs on the deposit: meanwhile a bad bilan is rejected at
 * once and the watchdog keeps being fed. */
Test(e2e_pipeline, hung_chorus_pro_does_not_block_the_daemon) {
        static const char *const env[] = { "CHORUSD_TEST_TIME_SCALE=10", "WATCHDOG_USEC=1000000", NULL };
        TestDaemonOptions o = { .env = env, .chorus_extra = "poll_interval = 10\nretry_deadline = 120\n" };
        char id[25];
        uint64_t t0;

        cr_assert_eq(emulator_add_fault(emu, &EMULATOR_FAULT(.route = "/cpro/factures/v1/deposer/flux", .count = 1,
                                                             .delay_ms = 8000)),
                     0);
        cr_assert_eq(test_daemon_setup(&d, &o), 0);
        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0);
        drop("cdcmc.json", BILANS "cdcmc-2026.json");
        cr_assert_eq(test_daemon_wait_job(&d, "processing", "cdcmc.json", JOB_WAIT, id), 0);
        cr_assert_eq(test_daemon_wait_state(&d, id, "depositing", 10 * SEC), 0);
        t0 = test_now_usec();
        drop("bad.json", "config/examples/invalid-not-json.json");
        expect_rejected("bad.json", NULL);
        cr_assert_lt(test_now_usec() - t0, 3 * SEC, "rejection waited for Chorus Pro");
        cr_assert_eq(test_daemon_wait_notify(&d, "WATCHDOG=1", 2 * SEC, NULL), 0);
        cr_assert_eq(test_daemon_wait_notify(&d, "WATCHDOG=1", 2 * SEC, NULL), 0);
        cr_assert_eq(test_daemon_wait_state(&d, id, "depositing", 1), 0, "the slow deposit is still in flight");
        wait_job("cdcmc.json", "done", "done", id);
        cr_assert_eq(test_emulator_flux_count(emu), 1);
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* The answer to a deposit is lost and Chorus Pro keeps that flux pending
 * past the lookup grace, so the job deposits the number again (the one case
 * daemon/README.md's "Exactly once" cannot rule out). The first flux is integrated
 * after all, and Chorus Pro rejects the second as a duplicate number. The
 * invoice exists on Chorus Pro: the job adopts it rather than void a number
 * that is live there (a requeue would then invoice the convention twice). */
Test(e2e_pipeline, duplicate_of_a_late_first_deposit_is_adopted_not_voided) {
        const EmulatorFault fault = EMULATOR_FAULT(.route = "/cpro/factures/v1/deposer/flux", .count = 1,
                                                   .drop = "after_body");
        char id[25], *first = NULL, *second, *flux;
        cJSON *fluxes = NULL, *f;

        cr_assert_eq(emulator_configure(emu, "{\"auto_advance\": 0}"), 0);
        cr_assert_eq(emulator_add_fault(emu, &fault), 0);
        start_daemon(NULL);
        drop("cdcmc.json", BILANS "cdcmc-2026.json");
        cr_assert_eq(test_daemon_wait_job(&d, "processing", "cdcmc.json", JOB_WAIT, id), 0);
        cr_assert_eq(test_daemon_wait_state(&d, id, "deposited", JOB_WAIT), 0);
        cr_assert(test_daemon_log_contains(&d, "never arrived"), "the number was not deposited again");
        second = job_field(id, "FLUX");
        cr_assert_eq(test_emulator_flux_count(emu), 2);
        cr_assert_eq(emulator_fluxes(emu, &fluxes), 0);
        cJSON_ArrayForEach(f, cJSON_GetObjectItem(fluxes, "fluxes")) {
                const char *n = cJSON_GetStringValue(cJSON_GetObjectItem(f, "numeroFluxDepot"));
                if (n && !streq(n, second))
                        first = strdup(n);
        }
        cJSON_Delete(fluxes);
        cr_assert_not_null(first);

        cr_assert_eq(emulator_advance_flux(emu, first, "IN_INTEGRE"), 0);
        cr_assert_eq(emulator_advance_flux(emu, second, NULL), 0); /* the checks: a duplicate */
        wait_job("cdcmc.json", "done", "integrated", id);
        flux = job_field(id, "FLUX");
        cr_assert_str_eq(flux, first, "the job did not adopt the integrated flux");
        cr_assert_null(test_daemon_job_field(&d, id, "VOIDED"));
        cr_assert(!test_daemon_log_contains(&d, "Chorus Pro rejected invoice"), "a live number was voided");
        cr_assert(test_daemon_log_contains(&d, "adopting"));
        assert_audit_ok();
        free(first);
        free(second);
        free(flux);
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* A job that ran out of retries while following its flux, requeued: its
 * deadline starts again, so one more hiccup of Chorus Pro is retried
 * rather than sending it straight back to failed/. */
Test(e2e_pipeline, requeued_job_has_a_fresh_retry_deadline) {
        const char *const report = "/cpro/transverses/v1/consulterCRDetaille";
        char id[25], *out = NULL, *flux;

        cr_assert_eq(emulator_add_fault(emu, &EMULATOR_FAULT(.route = report, .count = 1000, .status = 503)), 0);
        start_daemon_env("poll_interval = 10\nretry_deadline = 60\n", faster_env);
        drop("cdcmc.json", BILANS "cdcmc-2026.json");
        wait_job("cdcmc.json", "failed", "failed", id);
        flux = job_field(id, "FLUX");

        cr_assert_eq(emulator_clear_faults(emu), 0);
        cr_assert_eq(emulator_add_fault(emu, &EMULATOR_FAULT(.route = report, .count = 1, .status = 503)), 0);
        cr_assert_eq(test_daemon_ctl(&d, &out, "requeue", id, NULL), 0, "%s", out);
        free(out);
        wait_job("cdcmc.json", "done", "integrated", id);
        cr_assert_eq(test_emulator_flux_count(emu), 1);
        free(flux);
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* A flux that stays pending past retry_deadline is still followed (with a
 * warning), and a later hiccup of Chorus Pro is retried: the deadline is
 * about failures, not about how long Chorus Pro takes. */
Test(e2e_pipeline, long_pending_flux_survives_a_later_hiccup) {
        const char *const report = "/cpro/transverses/v1/consulterCRDetaille";
        char id[25], *flux;
        uint64_t deadline;

        cr_assert_eq(emulator_configure(emu, "{\"auto_advance\": 0}"), 0);
        start_daemon_env("poll_interval = 10\nretry_deadline = 60\n", faster_env);
        drop("cdcmc.json", BILANS "cdcmc-2026.json");
        cr_assert_eq(test_daemon_wait_job(&d, "processing", "cdcmc.json", JOB_WAIT, id), 0);
        cr_assert_eq(test_daemon_wait_state(&d, id, "deposited", JOB_WAIT), 0);
        deadline = test_now_usec() + 30 * SEC;
        while (!test_daemon_log_contains(&d, "still waiting") && test_now_usec() < deadline)
                usleep(20000);
        cr_assert(test_daemon_log_contains(&d, "still waiting"), "no warning about the pending flux");

        cr_assert_eq(emulator_add_fault(emu, &EMULATOR_FAULT(.route = report, .count = 1, .status = 503)), 0);
        deadline = test_now_usec() + 30 * SEC;
        while (!test_daemon_log_contains(&d, "failed (attempt") && !test_daemon_log_contains(&d, "Giving up") &&
               test_now_usec() < deadline)
                usleep(20000);
        cr_assert(!test_daemon_log_contains(&d, "Giving up"), "one 503 after a long wait ended the job");
        cr_assert(test_daemon_log_contains(&d, "failed (attempt"), "the 503 was not retried");
        flux = job_field(id, "FLUX");
        cr_assert_eq(emulator_advance_flux(emu, flux, "IN_INTEGRE"), 0);
        wait_job("cdcmc.json", "done", "integrated", id);
        free(flux);
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* A job waiting on Chorus Pro leaves memory between two calls (job_sleep.c)
 * and is read again from its state file when its timer fires: after the
 * deposit, after a restart, and once integrated (issue 14: peak RSS with
 * 10 000 waiting jobs). The debug log says when. */
static void wait_log(const char *needle, unsigned occurrences) {
        uint64_t deadline = test_now_usec() + 60 * SEC;

        while (test_daemon_log_count(&d, needle) < occurrences && test_now_usec() < deadline)
                usleep(20000);
        cr_assert_geq(test_daemon_log_count(&d, needle), occurrences, "'%s' logged fewer than %u times", needle,
                      occurrences);
}

Test(e2e_pipeline, waiting_jobs_sleep_on_disk_and_wake_up) {
        static const char *const env[] = { "CHORUSD_TEST_TIME_SCALE=100", "CHORUSD_LOG_LEVEL=debug", NULL };
        char id[25], needle[128], *flux;

        cr_assert_eq(emulator_configure(emu, "{\"auto_advance\": 0}"), 0);
        start_daemon_env("poll_interval = 10\nlifecycle_poll_interval = 300\n", env);
        drop("cdcmc.json", BILANS "cdcmc-2026.json");
        cr_assert_eq(test_daemon_wait_job(&d, "processing", "cdcmc.json", JOB_WAIT, id), 0);
        cr_assert_eq(test_daemon_wait_state(&d, id, "deposited", JOB_WAIT), 0);
        snprintf(needle, sizeof needle, "Job %s: sleeping in state deposited.", id);
        wait_log(needle, 2); /* after the deposit, then after a pending flux report */

        /* A restart: the resumed job sleeps at once. */
        cr_assert_eq(test_daemon_stop(&d), 0);
        cr_assert_eq(test_daemon_start_ready(&d, 30 * SEC), 0);
        wait_log(needle, 3);

        /* Woken by its timer, read again, it follows the flux to the end. */
        flux = job_field(id, "FLUX");
        cr_assert_eq(emulator_advance_flux(emu, flux, "IN_INTEGRE"), 0);
        free(flux);
        wait_job("cdcmc.json", "done", "integrated", id);
        snprintf(needle, sizeof needle, "Job %s: sleeping in state integrated.", id);
        wait_log(needle, 1);
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* Staff choose the file names: control characters in them (here a terminal
 * escape and a newline) never reach the administrator's terminal through
 * chorusctl status. */
Test(e2e_pipeline, status_does_not_print_control_characters) {
        static const char name[] = "a\x1b]0;owned\x07\nState: done.json";
        char id[25], *out = NULL;

        start_daemon(NULL);
        cr_assert_eq(test_daemon_drop_file(&d, name, "config/examples/invalid-not-json.json"), 0);
        wait_job(name, "rejected", "invalid", id);
        cr_assert_eq(test_daemon_ctl(&d, &out, "status", NULL), 0, "%s", out);
        cr_assert(strstr(out, id), "%s", out);
        cr_assert(!strpbrk(out, "\x1b\x07"), "status printed a control character:\n%s", out);
        free(out);
        cr_assert_eq(test_daemon_ctl(&d, &out, "status", id, NULL), 0, "%s", out);
        cr_assert(!strpbrk(out, "\x1b\x07"), "status JOB printed a control character:\n%s", out);
        cr_assert(!strstr(out, "\nState: done"), "a file name forged a line:\n%s", out);
        free(out);
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* The requeue is done once its state and files are: if the audit log then
 * refuses the record, requeue says so instead of keeping quiet. */
Test(e2e_pipeline, requeue_says_when_the_audit_log_refuses_its_record) {
        char id[25], path[512], *out = NULL;
        FILE *f;

        cr_assert_eq(emulator_add_fault(emu, &EMULATOR_FAULT(.route = "/cpro/factures/v1/deposer/flux", .count = 1000,
                                                             .status = 429)),
                     0);
        start_daemon_env("poll_interval = 10\nretry_deadline = 60\n", faster_env);
        drop("cdcmc.json", BILANS "cdcmc-2026.json");
        wait_job("cdcmc.json", "failed", "failed", id);
        cr_assert_eq(test_daemon_stop(&d), 0);

        snprintf(path, sizeof path, "%s/audit.log", d.state);
        f = fopen(path, "ae");
        cr_assert_not_null(f);
        fputs("not a record\n", f);
        cr_assert_eq(fclose(f), 0);
        cr_assert_eq(test_daemon_ctl(&d, &out, "requeue", id, NULL), 0, "%s", out);
        cr_assert(strstr(out, "not in the audit log"), "%s", out);
        free(out);
        cr_assert_eq(test_daemon_wait_state(&d, id, "rendered", 0), 0);
}
