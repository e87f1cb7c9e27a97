/* test_spool.c — the spool (spool.h) on a real scratch spool: claiming by
 * rename (ignored names, symlinks, FIFOs, directories and oversized files
 * rejected without being followed, opened or read), the bounded work of a
 * claim with 10 000 files waiting, files arriving during a scan, no-replace
 * moves, the French error file, free space, and startup recovery. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "service/jobstate.h"
#include "scratch.h"
#include "service/spool.h"

#define MAX_SIZE 1024

static char *root, *incoming, *processing, *done_, *rejected, *failed;
static Spool *spool;

static void setup(void) {
        root = scratch_new();
        cr_assert_eq(spool_open(root, MAX_SIZE, &spool), 0);
        incoming = scratch_path(root, "incoming");
        processing = scratch_path(root, "processing");
        done_ = scratch_path(root, "done");
        rejected = scratch_path(root, "rejected");
        failed = scratch_path(root, "failed");
}

static void teardown(void) {
        scratch_faults_off();
        spool_free(spool);
        free(incoming);
        free(processing);
        free(done_);
        free(rejected);
        free(failed);
        scratch_remove(root);
}

TestSuite(spool, .init = setup, .fini = teardown);

static char *name_in(const char *dir, const SpoolClaim *c, const char *suffix) {
        char *p = NULL;
        cr_assert(asprintf(&p, "%s%s", c->spool_name, suffix) > 0);
        (void) dir;
        return p;
}

Test(spool, open_creates_folders_but_not_the_root) {
        Spool *s = NULL;
        char *missing = scratch_path(root, "nope");

        cr_assert(scratch_exists(root, "incoming"));
        cr_assert(scratch_exists(root, "failed"));
        cr_assert_eq(spool_open(missing, MAX_SIZE, &s), -ENOENT);
        cr_assert_eq(spool_open(root, 0, &s), -EINVAL);
        free(missing);
        for (int d = 0; d < _SPOOL_DIR_MAX; d++)
                cr_assert_eq(spool_dir_from_string(spool_dir_to_string((SpoolDir) d)), d);
}

Test(spool, ignored_names) {
        static const struct {
                const char *name;
                bool ignored;
        } cases[] = {
                { "bilan.json", false }, { ".bilan.json", true }, { "bilan.json.tmp", true },
                { "bilan.json~", true }, { ".", true }, { "..", true },
                { "tmp", false },        { "bilan.tmp.json", false },
                /* Office and LibreOffice lock files beside an open workbook. */
                { "~$bilan.xlsx", true }, { "~$", true }, { ".~lock.bilan.ods#", true },
                { ".~lock.bilan 2026.xlsx#", true }, { "~bilan.xlsx", false }, { "bilan~$.xlsx", false },
                { "$bilan.xlsx", false }, { "bilan.xlsx", false }, { "bilan.ods", false },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                cr_assert_eq(spool_name_is_ignored(cases[i].name), cases[i].ignored, "%s", cases[i].name);
}

Test(spool, names) {
        char name[SPOOL_NAME_MAX], id[JOB_ID_MAX], longname[300];

        spool_bilan_name("20261210-143000-0a1b2c3d", "bilan.json", name);
        cr_assert_str_eq(name, "20261210-143000-0a1b2c3d--bilan.json");
        cr_assert(spool_name_job_id(name, id));
        cr_assert_str_eq(id, "20261210-143000-0a1b2c3d");
        cr_assert_not(spool_name_job_id("20261210-143000-0a1b2c3d.receipt.json", id));
        cr_assert_not(spool_name_job_id("bilan.json", id));
        cr_assert_eq(spool_artifact_name("20261210-143000-0a1b2c3d", "receipt.json", name), 0);
        cr_assert_str_eq(name, "20261210-143000-0a1b2c3d.receipt.json");
        cr_assert_eq(spool_artifact_name("20261210-143000-0a1b2c3d", "a/b", name), -EINVAL);

        /* 254 bytes of 2-byte characters: cut to fit NAME_MAX with .error.txt,
         * never in the middle of a character. */
        for (size_t i = 0; i < 254; i += 2)
                memcpy(longname + i, "é", 2);
        longname[254] = 0;
        spool_bilan_name("20261210-143000-0a1b2c3d", longname, name);
        cr_assert_leq(strlen(name) + strlen(SPOOL_ERROR_SUFFIX), 255);
        cr_assert_eq((strlen(name) - 26) % 2, 0, "a character was cut in half");
}

static int claim(SpoolClaim *c) {
        return spool_claim_next(spool, c);
}

Test(spool, claim_regular_file) {
        SpoolClaim c = SPOOL_CLAIM_INIT;
        char *content;

        scratch_write(incoming, "bilan 2026.json", "{\"bilan\": 1}");
        cr_assert_eq(claim(&c), 1);
        cr_assert_not(c.rejected);
        cr_assert_str_eq(c.name, "bilan 2026.json");
        cr_assert(job_id_is_valid(c.job_id));
        cr_assert_eq(strncmp(c.spool_name, c.job_id, JOB_ID_LEN), 0);
        cr_assert_str_eq(c.spool_name + JOB_ID_LEN, "--bilan 2026.json");
        content = scratch_read(processing, c.spool_name);
        cr_assert_str_eq(content, "{\"bilan\": 1}");
        cr_assert_eq(scratch_count(incoming), 0);
        cr_assert_eq(claim(&c), 0, "nothing more");
        cr_assert_eq(spool_get_stats(spool).claimed, 1);
        free(content);
        spool_claim_done(&c);
}

Test(spool, ignored_files_stay) {
        SpoolClaim c = SPOOL_CLAIM_INIT;

        scratch_write(incoming, ".in-progress.json", "{");
        scratch_write(incoming, "bilan.json.tmp", "{");
        scratch_write(incoming, "bilan.json~", "{");
        scratch_write(incoming, "~$bilan.xlsx", "owner");       /* Excel's lock file */
        scratch_write(incoming, ".~lock.bilan.ods#", "lock"); /* LibreOffice's */
        cr_assert_eq(claim(&c), 0);
        cr_assert_eq(scratch_count(incoming), 5);
        cr_assert_eq(scratch_count(processing), 0);
        cr_assert_eq(scratch_count(rejected), 0);
}

static void assert_rejected(const SpoolClaim *c, const char *expect_fr) {
        char *err_name = name_in(rejected, c, SPOOL_ERROR_SUFFIX);
        char *text = scratch_read(rejected, err_name);

        cr_assert(c->rejected);
        cr_assert_not_null(c->reason);
        cr_assert(scratch_exists(rejected, c->spool_name), "the dropped thing sits in rejected/");
        cr_assert_not_null(text, "no error file");
        cr_assert_not_null(strstr(text, expect_fr), "%s", text);
        cr_assert_not_null(strstr(text, c->name), "the error file names the file");
        cr_assert_not_null(strstr(text, c->job_id));
        cr_assert_not_null(strstr(text, "QUE FAIRE"));
        cr_assert_eq(scratch_count(processing), 0);
        free(text);
        free(err_name);
}

Test(spool, symlink_is_rejected_not_followed) {
        SpoolClaim c = SPOOL_CLAIM_INIT;
        char *outside = scratch_path(root, "outside.json"), *link_path, target[512];
        ssize_t n;

        scratch_write(root, "outside.json", "{\"secret\": true}");
        link_path = scratch_path(incoming, "bilan.json");
        cr_assert(symlink(outside, link_path) == 0);
        cr_assert_eq(claim(&c), 1);
        assert_rejected(&c, "lien symbolique");
        /* The link itself moved; its target did not, and is untouched. */
        free(link_path);
        link_path = scratch_path(rejected, c.spool_name);
        n = readlink(link_path, target, sizeof target - 1);
        cr_assert_gt(n, 0);
        target[n] = 0;
        cr_assert_str_eq(target, outside);
        char *content = scratch_read(root, "outside.json");
        cr_assert_str_eq(content, "{\"secret\": true}");
        free(content);
        free(link_path);
        free(outside);
        spool_claim_done(&c);
}

/* A symlink to a FIFO with no writer: following it would block forever. */
Test(spool, symlink_to_fifo_does_not_block, .timeout = 10) {
        SpoolClaim c = SPOOL_CLAIM_INIT;
        char *fifo = scratch_path(root, "fifo"), *link_path = scratch_path(incoming, "x.json");

        cr_assert(mkfifo(fifo, 0600) == 0);
        cr_assert(symlink(fifo, link_path) == 0);
        cr_assert_eq(claim(&c), 1);
        assert_rejected(&c, "lien symbolique");
        cr_assert(scratch_exists(root, "fifo"));
        free(fifo);
        free(link_path);
        spool_claim_done(&c);
}

Test(spool, fifo_is_rejected_without_blocking, .timeout = 10) {
        SpoolClaim c = SPOOL_CLAIM_INIT;
        char *fifo = scratch_path(incoming, "bilan.json");
        struct stat st;

        cr_assert(mkfifo(fifo, 0600) == 0);
        cr_assert_eq(claim(&c), 1);
        assert_rejected(&c, "pas un fichier ordinaire");
        free(fifo);
        fifo = scratch_path(rejected, c.spool_name);
        cr_assert(lstat(fifo, &st) == 0 && S_ISFIFO(st.st_mode));
        free(fifo);
        spool_claim_done(&c);
}

Test(spool, directory_is_rejected_with_its_content) {
        SpoolClaim c = SPOOL_CLAIM_INIT;
        char *d = scratch_path(incoming, "bilans"), *inside;

        cr_assert(mkdir(d, 0755) == 0);
        scratch_write(d, "a.json", "{}");
        cr_assert_eq(claim(&c), 1);
        assert_rejected(&c, "c'est un dossier");
        inside = scratch_path(rejected, c.spool_name);
        cr_assert(scratch_exists(inside, "a.json"), "nothing inside is lost");
        free(inside);
        free(d);
        spool_claim_done(&c);
}

Test(spool, oversized_file_is_rejected_unread) {
        SpoolClaim c = SPOOL_CLAIM_INIT;
        char big[MAX_SIZE + 2];

        memset(big, ' ', sizeof big - 1);
        big[sizeof big - 1] = 0;
        scratch_write(incoming, "big.json", big);
        scratch_write(incoming, "exact.json", big + 1); /* MAX_SIZE bytes: fine */
        for (int i = 0; i < 2; i++) {
                cr_assert_eq(claim(&c), 1);
                if (streq(c.name, "big.json")) {
                        assert_rejected(&c, "1025 octets");
                        char *err = name_in(rejected, &c, SPOOL_ERROR_SUFFIX), *text = scratch_read(rejected, err);
                        cr_assert_not_null(strstr(text, "1024 octets"), "%s", text);
                        free(text);
                        free(err);
                } else
                        cr_assert_not(c.rejected);
                spool_claim_done(&c);
        }
        cr_assert_eq(spool_get_stats(spool).rejected, 1);
}

/* A file chorusd may not read: typically moved (mv) into incoming/ from
 * another folder, where it keeps its own permissions, since the default ACL
 * of incoming/ only applies to files created there. It is rejected with the
 * reason and the fix, rather than claimed and then retried forever. Needs
 * root, to play the daemon's user (nobody) against a file it cannot read. */
Test(spool, unreadable_file_is_rejected_with_the_fix) {
        const char *const dirs[] = { root, incoming, processing, done_, rejected, failed };
        SpoolClaim c = SPOOL_CLAIM_INIT;
        char *p;

        if (geteuid() != 0)
                cr_skip_test("needs root to drop to another user");
        scratch_write(incoming, "bilan.json", "{}");
        p = scratch_path(incoming, "bilan.json");
        cr_assert(chmod(p, 0600) == 0); /* root's, and root's alone */
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                cr_assert(chown(dirs[i], 65534, 65534) == 0, "%s: %m", dirs[i]);
        cr_assert(setgroups(0, NULL) == 0 && setresgid(65534, 65534, 65534) == 0 &&
                  setresuid(65534, 65534, 65534) == 0);

        cr_assert_eq(claim(&c), 1);
        assert_rejected(&c, "chorusd n'a pas le droit de lire ce fichier");
        cr_assert_not_null(strstr(c.reason, "permission"), "%s", c.reason);
        free(p);
        spool_claim_done(&c);
}

/* A file renamed into incoming/ during a scan may or may not be seen by
 * that scan, but is claimed after the next rewind: nothing is lost. */
Test(spool, file_arriving_during_a_scan) {
        SpoolClaim c = SPOOL_CLAIM_INIT;
        int claimed = 0, r;
        char name[32];

        for (int i = 0; i < 5; i++) {
                snprintf(name, sizeof name, "early-%d.json", i);
                scratch_write(incoming, name, "{}");
        }
        cr_assert_eq(claim(&c), 1);
        spool_claim_done(&c);
        claimed++;
        /* Maildir drop: write a dotfile, rename it in. */
        scratch_write(incoming, ".late.json", "{}");
        char *from = scratch_path(incoming, ".late.json"), *to = scratch_path(incoming, "late.json");
        cr_assert(rename(from, to) == 0);
        while ((r = claim(&c)) > 0) {
                claimed++;
                spool_claim_done(&c);
        }
        cr_assert_eq(r, 0);
        spool_rewind(spool);
        while ((r = claim(&c)) > 0) {
                claimed++;
                spool_claim_done(&c);
        }
        cr_assert_eq(r, 0);
        cr_assert_eq(claimed, 6);
        cr_assert_eq(scratch_count(incoming), 0);
        cr_assert_eq(scratch_count(processing), 6);
        free(from);
        free(to);
}

/* A file that vanishes between readdir() and the claim is skipped. */
Test(spool, vanished_file_is_skipped) {
        SpoolClaim c = SPOOL_CLAIM_INIT;
        char *p;

        scratch_write(incoming, "a.json", "{}");
        scratch_write(incoming, "b.json", "{}");
        cr_assert_eq(claim(&c), 1); /* readdir has buffered both names */
        p = scratch_path(incoming, streq(c.name, "a.json") ? "b.json" : "a.json");
        cr_assert(unlink(p) == 0);
        spool_claim_done(&c);
        cr_assert_eq(claim(&c), 0);
        free(p);
}

/* With 10 000 files waiting, each claim looks at a bounded number of
 * directory entries (the cursor does not restart), so claiming does not
 * get slower as the spool grows. */
Test(spool, claim_work_is_bounded_with_10000_files) {
        SpoolClaim c = SPOOL_CLAIM_INIT;
        char name[32];
        SpoolStats before, after;

        for (int i = 0; i < 10000; i++) {
                snprintf(name, sizeof name, "bilan-%05d.json", i);
                scratch_write(incoming, name, "{}");
        }
        for (int i = 0; i < 200; i++) {
                before = spool_get_stats(spool);
                cr_assert_eq(claim(&c), 1);
                after = spool_get_stats(spool);
                /* the one claimed, plus "." and ".." on the way */
                cr_assert_leq(after.entries_examined - before.entries_examined, 3,
                              "claim %d examined %llu entries", i,
                              (unsigned long long) (after.entries_examined - before.entries_examined));
                spool_claim_done(&c);
        }
        cr_assert_leq(spool_get_stats(spool).entries_examined, 202);
        cr_assert_eq(scratch_count(incoming), 9800);
}

Test(spool, claim_fsync_failure_is_reported) {
        FaultPlan plan = { .op = FS_OP_FSYNC, .fail_at = 1, .error = -EIO };
        SpoolClaim c = SPOOL_CLAIM_INIT;

        scratch_write(incoming, "a.json", "{}");
        scratch_faults(&plan);
        cr_assert_eq(claim(&c), -EIO);
        scratch_faults_off();
}

Test(spool, move_never_replaces) {
        scratch_write(processing, "J--a.json", "new");
        scratch_write(done_, "J--a.json", "old");
        cr_assert_eq(spool_move(spool, SPOOL_PROCESSING, SPOOL_DONE, "J--a.json"), -EEXIST);
        char *a = scratch_read(processing, "J--a.json"), *b = scratch_read(done_, "J--a.json");
        cr_assert_str_eq(a, "new");
        cr_assert_str_eq(b, "old");
        free(a);
        free(b);
        cr_assert_eq(spool_move(spool, SPOOL_PROCESSING, SPOOL_FAILED, "J--a.json"), 0);
        cr_assert(scratch_exists(failed, "J--a.json"));
        cr_assert_eq(spool_write(spool, SPOOL_DONE, "J--a.json", "x", 1), -EEXIST);
        cr_assert_eq(spool_write(spool, SPOOL_DONE, "J.receipt.json", "{}", 2), 0);
        cr_assert(scratch_exists(done_, "J.receipt.json"));
}

Test(spool, reject_with_diagnostics) {
        Diagnostics d = DIAGNOSTICS_INIT;
        const char *id = "20261210-143000-0a1b2c3d";
        const char *sn = "20261210-143000-0a1b2c3d--bilan.json";
        char *text;

        scratch_write(processing, sn, "{}");
        cr_assert_eq(diag_error2(&d, "bilan.json", "realisations.dev-durable[1].date", "%s outside the period",
                                 "la date %s est hors de la période de la convention (2026-01-01 à 2026-12-31)",
                                 "2025-12-31"),
                     0);
        cr_assert_eq(diag_warning2(&d, "bilan.json", "realisations.dev-durable[2].ref", "ref %s repeated",
                                   "la référence %s apparaît deux fois : elle ne compte qu'une fois",
                                   "41234567000019"),
                     0);
        cr_assert_eq(spool_reject(spool, SPOOL_PROCESSING, id, "bilan.json", sn, &d), 0);
        cr_assert(scratch_exists(rejected, sn));
        cr_assert_not(scratch_exists(processing, sn));
        text = scratch_read(rejected, "20261210-143000-0a1b2c3d--bilan.json.error.txt");
        cr_assert_not_null(text);
        cr_assert_not_null(strstr(text, "« bilan.json »"), "%s", text);
        cr_assert_not_null(strstr(text, "Il contient une erreur à corriger."), "%s", text);
        cr_assert_not_null(strstr(text, "champ « realisations.dev-durable[1].date » : la date 2025-12-31 est hors"),
                           "%s", text);
        cr_assert_not_null(strstr(text, "AVERTISSEMENTS"), "%s", text);
        cr_assert_not_null(strstr(text, "bilan-corrige.json"), "%s", text);
        /* Saved in incoming/, never moved in from elsewhere (it would keep
         * permissions chorusd may not read), under a new name; no dot name
         * to rename: the settle rule waits for the copy to end. */
        cr_assert_not_null(strstr(text, "directement dans le dossier incoming/"), "%s", text);
        cr_assert_not_null(strstr(text, "         bilan-corrige.json\n"), "%s", text);
        cr_assert_null(strstr(text, ".bilan-corrige.json"), "%s", text);
        cr_assert_null(strstr(text, "renommez"), "%s", text);
        cr_assert_null(strstr(text, "en dehors"), "%s", text);
        cr_assert_not_null(strstr(text, "error: realisations.dev-durable[1].date: 2025-12-31 outside the period"),
                           "%s", text);
        free(text);
        diagnostics_clear(&d);
}

/* A crash between the error file and the move: the retry keeps the first
 * error file and still moves the bilan. */
Test(spool, reject_again_after_crash) {
        const char *sn = "20261210-143000-0a1b2c3d--b.json";
        char *text;

        scratch_write(processing, sn, "{}");
        scratch_write(rejected, "20261210-143000-0a1b2c3d--b.json.error.txt", "first");
        cr_assert_eq(spool_reject(spool, SPOOL_PROCESSING, "20261210-143000-0a1b2c3d", "b.json", sn, NULL), 0);
        text = scratch_read(rejected, "20261210-143000-0a1b2c3d--b.json.error.txt");
        cr_assert_str_eq(text, "first");
        cr_assert(scratch_exists(rejected, sn));
        free(text);
}

Test(spool, locate_and_room) {
        SpoolDir where;

        scratch_write(done_, "J--a.json", "{}");
        cr_assert_eq(spool_locate(spool, "J--a.json", &where), 0);
        cr_assert_eq(where, SPOOL_DONE);
        cr_assert_eq(spool_locate(spool, "J--b.json", &where), -ENOENT);
        cr_assert_eq(spool_has_room(spool, 0), 1);
        cr_assert_eq(spool_has_room(spool, UINT64_MAX), 0);
}

/* ---- Recovery ------------------------------------------------------------------- */

#define JA "20261210-100000-0000000a" /* in processing/, no state: crash after the claim */
#define JB "20261210-100001-0000000b" /* in processing/, depositing */
#define JC "20261210-100002-0000000c" /* integrated, bilan already in done/ */
#define JD "20261210-100003-0000000d" /* done, in done/: nothing to do */
#define JE "20261210-100004-0000000e" /* invalid, but still in processing/: a cut move */
#define JF "20261210-100005-0000000f" /* torn state, good .prev */
#define JG "20261210-100006-00000010" /* both copies torn, in processing/ */

typedef struct Recovered {
        char id[JOB_ID_MAX];
        SpoolDir location;
        int state_error;
        int state; /* -1 when no job */
        JobLoadSource source;
} Recovered;

typedef struct RecoverLog {
        Recovered items[32];
        unsigned n;
} RecoverLog;

static int record(SpoolRecoveredJob *rj, void *userdata) {
        RecoverLog *log = userdata;
        Recovered *r = &log->items[log->n++];

        cr_assert_leq(log->n, 32);
        snprintf(r->id, sizeof r->id, "%s", rj->job_id);
        r->location = rj->location;
        r->state_error = rj->state_error;
        r->state = rj->job ? (int) rj->job->state : -1;
        r->source = rj->source;
        return 0;
}

static const Recovered *find(const RecoverLog *log, const char *id) {
        const Recovered *found = NULL;

        for (unsigned i = 0; i < log->n; i++)
                if (streq(log->items[i].id, id)) {
                        cr_assert_null(found, "%s reported twice", id);
                        found = &log->items[i];
                }
        return found;
}

static void make_job(JobStore *store, const char *id, JobState state, const char *dir) {
        char sn[SPOOL_NAME_MAX];
        Job *j = NULL;

        spool_bilan_name(id, "b.json", sn);
        cr_assert_eq(job_new(id, "b.json", sn, &j), 0);
        j->state = state;
        cr_assert_eq(jobstore_create(store, j), 0);
        if (dir)
                scratch_write(dir, sn, "{}");
        job_free(j);
}

static void tear(const char *state_dir, const char *name) {
        char *jd = scratch_path(state_dir, JOBSTORE_DIR);
        scratch_write(jd, name, "VERSION=1\nJOB=x\n");
        free(jd);
}

Test(spool, recovery) {
        char *state_dir = scratch_path(root, "state");
        JobStore *store = NULL;
        RecoverLog log = {};
        const Recovered *r;
        char sn[SPOOL_NAME_MAX];
        Job *j = NULL;

        cr_assert_eq(jobstore_open(state_dir, &store), 0);
        spool_bilan_name(JA, "a.json", sn);
        scratch_write(processing, sn, "{}");
        make_job(store, JB, JOB_STATE_DEPOSITING, processing);
        make_job(store, JC, JOB_STATE_INTEGRATED, done_);
        make_job(store, JD, JOB_STATE_DONE, done_);
        make_job(store, JE, JOB_STATE_INVALID, processing);
        make_job(store, JF, JOB_STATE_NUMBERED, processing);
        cr_assert_eq(jobstore_load(store, JF, &j, NULL), 0);
        j->state = JOB_STATE_RENDERED;
        cr_assert_eq(jobstore_save(store, j), 0);
        job_free(j);
        tear(state_dir, JF ".state");
        make_job(store, JG, JOB_STATE_RENDERED, processing);
        tear(state_dir, JG ".state");
        scratch_write(processing, JB ".CMA34-2026-0001.xml", "<Invoice/>"); /* an artifact */
        scratch_write(processing, "dropped-here-by-hand.json", "{}");

        cr_assert_eq(spool_recover(spool, store, record, &log), 0);

        r = find(&log, JA);
        cr_assert_not_null(r);
        cr_assert_eq(r->location, SPOOL_PROCESSING);
        cr_assert_eq(r->state_error, -ENOENT, "no state: resume at received");
        r = find(&log, JB);
        cr_assert_not_null(r);
        cr_assert_eq(r->state, JOB_STATE_DEPOSITING);
        cr_assert_eq(r->location, SPOOL_PROCESSING);
        r = find(&log, JC);
        cr_assert_not_null(r);
        cr_assert_eq(r->state, JOB_STATE_INTEGRATED);
        cr_assert_eq(r->location, SPOOL_DONE);
        cr_assert_null(find(&log, JD), "a finished job needs nothing");
        r = find(&log, JE);
        cr_assert_not_null(r);
        cr_assert_eq(r->state, JOB_STATE_INVALID, "a terminal state in processing/: finish the move");
        r = find(&log, JF);
        cr_assert_not_null(r);
        cr_assert_eq(r->state, JOB_STATE_NUMBERED);
        cr_assert_eq(r->source, JOB_LOAD_PREVIOUS);
        r = find(&log, JG);
        cr_assert_not_null(r);
        cr_assert_eq(r->state_error, -EBADMSG);
        cr_assert_eq(log.n, 6);

        cr_assert(scratch_exists(incoming, "dropped-here-by-hand.json"), "moved back to be claimed");
        cr_assert(scratch_exists(processing, JB ".CMA34-2026-0001.xml"), "artifacts stay");
        jobstore_free(store);
        free(state_dir);
}

static int take_job(SpoolRecoveredJob *rj, void *userdata) {
        Job **out = userdata;

        if (rj->job && !*out)
                *out = TAKE_PTR(rj->job);
        return 0;
}

static int stop_walk(SpoolRecoveredJob *rj, void *userdata) {
        (void) rj;
        (void) userdata;
        return -ECANCELED;
}

Test(spool, recovery_callback_owns_job_and_can_stop) {
        char *state_dir = scratch_path(root, "state");
        JobStore *store = NULL;
        Job *taken = NULL;

        cr_assert_eq(jobstore_open(state_dir, &store), 0);
        make_job(store, JB, JOB_STATE_DEPOSITED, processing);
        cr_assert_eq(spool_recover(spool, store, take_job, &taken), 0);
        cr_assert_not_null(taken);
        cr_assert_str_eq(taken->id, JB);
        cr_assert_eq(spool_recover(spool, store, stop_walk, NULL), -ECANCELED);
        job_free(taken);
        jobstore_free(store);
        free(state_dir);
}

/* ---- Entries that cannot be moved (issue 9, item 2) ---------------------- */

static bool is_error_file(const char *name) {
        size_t n = strlen(name), k = strlen(SPOOL_ERROR_SUFFIX);
        return n > k && streq(name + n - k, SPOOL_ERROR_SUFFIX);
}

static int count_error_files(void) {
        DIR *dir = opendir(rejected);
        struct dirent *de;
        int n = 0;

        cr_assert_not_null(dir);
        while ((de = readdir(dir)))
                n += is_error_file(de->d_name);
        closedir(dir);
        return n;
}

/* Claims until the end of incoming/; counts claims and stuck ones. */
static void claim_all(unsigned *ret_claimed, unsigned *ret_stuck, char **ret_stuck_reason) {
        SpoolClaim c = SPOOL_CLAIM_INIT;
        int r;

        *ret_claimed = *ret_stuck = 0;
        while ((r = claim(&c)) > 0) {
                if (c.stuck) {
                        (*ret_stuck)++;
                        cr_assert_not(c.rejected);
                        if (ret_stuck_reason) {
                                free(*ret_stuck_reason);
                                *ret_stuck_reason = strdup(c.reason);
                        }
                } else
                        (*ret_claimed)++;
                spool_claim_done(&c);
        }
        cr_assert_eq(r, 0, "claim failed: %s", strerror(-r));
}

/* Runs the rest of the test as nobody, who owns the spool: root may rename
 * anything, the daemon's user may not. */
static void become_nobody(void) {
        const char *const dirs[] = { root, incoming, processing, done_, rejected, failed };

        if (geteuid() != 0)
                return;
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                cr_assert(chown(dirs[i], 65534, 65534) == 0, "%s: %m", dirs[i]);
        cr_assert(setgroups(0, NULL) == 0 && setresgid(65534, 65534, 65534) == 0 &&
                  setresuid(65534, 65534, 65534) == 0);
}

/* `mkdir incoming/x.json` by a member of the staff: chorusd may not write
 * into that folder, so cannot rename it (its ".." would change). Reported
 * once (one error file, one stuck claim), left in place, skipped by every
 * later pass; the other files are claimed. */
Test(spool, directory_that_cannot_be_moved_is_reported_once) {
        unsigned claimed, stuck;
        char *reason = NULL, *dir, *err = NULL;

        become_nobody();
        dir = scratch_path(incoming, "x.json");
        cr_assert(mkdir(dir, 0755) == 0);
        scratch_write(dir, "inside.json", "{}");
        cr_assert(chmod(dir, 0555) == 0);
        scratch_write(incoming, "a.json", "{}");
        scratch_write(incoming, "b.json", "{}");

        claim_all(&claimed, &stuck, &reason);
        cr_assert_eq(claimed, 2, "the others are claimed");
        cr_assert_eq(stuck, 1);
        cr_assert_not_null(strstr(reason, "is a directory"), "%s", reason);
        cr_assert_not_null(strstr(reason, "cannot be moved out of incoming/"), "%s", reason);
        cr_assert(scratch_exists(incoming, "x.json"), "left where it was");
        cr_assert(scratch_exists(dir, "inside.json"));
        cr_assert_eq(count_error_files(), 1);

        /* Later passes (a new drop each time) skip it without a word. */
        for (int i = 0; i < 3; i++) {
                char name[16];
                snprintf(name, sizeof name, "n%d.json", i);
                scratch_write(incoming, name, "{}");
                spool_rewind(spool);
                claim_all(&claimed, &stuck, NULL);
                cr_assert_eq(claimed, 1);
                cr_assert_eq(stuck, 0, "reported again");
        }
        cr_assert_eq(count_error_files(), 1, "a new error file at each pass");

        /* The error file says it is still in incoming/, in French. */
        DIR *d = opendir(rejected);
        struct dirent *de;
        while ((de = readdir(d)))
                if (is_error_file(de->d_name))
                        err = scratch_read(rejected, de->d_name);
        closedir(d);
        cr_assert_not_null(err);
        cr_assert_not_null(strstr(err, "ne peut pas sortir cet élément du dossier incoming/"), "%s", err);

        /* Once it changes (its mode here), it is looked at again, once. */
        cr_assert(chmod(dir, 0755) == 0);
        spool_rewind(spool);
        claim_all(&claimed, &stuck, NULL);
        cr_assert_eq(stuck + claimed, 1);
        free(err);
        free(reason);
        free(dir);
}

/* A file chorusd may not rename (sticky incoming/ owned by someone else, a
 * file that is not ours): reported once, skipped, the others claimed.
 * Needs root, to own what nobody may not touch. */
Test(spool, file_that_cannot_be_renamed_is_reported_once) {
        const char *const dirs[] = { root, processing, done_, rejected, failed };
        unsigned claimed, stuck;
        char *reason = NULL;

        if (geteuid() != 0)
                cr_skip_test("needs root to drop to another user");
        cr_assert(chmod(incoming, 01777) == 0); /* root's, sticky */
        scratch_write(incoming, "roots.json", "{}");
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                cr_assert(chown(dirs[i], 65534, 65534) == 0, "%s: %m", dirs[i]);
        cr_assert(setgroups(0, NULL) == 0 && setresgid(65534, 65534, 65534) == 0 &&
                  setresuid(65534, 65534, 65534) == 0);
        scratch_write(incoming, "mine.json", "{}");

        claim_all(&claimed, &stuck, &reason);
        cr_assert_eq(claimed, 1);
        cr_assert_eq(stuck, 1);
        cr_assert_not_null(strstr(reason, "cannot be moved out of incoming/"), "%s", reason);
        cr_assert(scratch_exists(incoming, "roots.json"));
        spool_rewind(spool);
        claim_all(&claimed, &stuck, NULL);
        cr_assert_eq(claimed + stuck, 0);
        cr_assert_eq(count_error_files(), 1);
        free(reason);
}

/* ---- The claimed bilan is our own copy (issue 9, item 7) ------------------ */

/* The dropper keeps a second name for the file it dropped (here a hard
 * link; in real life simply its ownership): writing through it after the
 * claim must not change what chorusd validated. */
Test(spool, claim_takes_its_own_read_only_copy) {
        SpoolClaim c = SPOOL_CLAIM_INIT;
        char sha[SHA256_HEX_SIZE], *kept = scratch_path(root, "kept.json"), *dropped, *claimed, *content;
        struct stat before, after;
        FILE *f;

        scratch_write(incoming, "bilan.json", "{\"bilan\": 1}");
        dropped = scratch_path(incoming, "bilan.json");
        cr_assert(link(dropped, kept) == 0);
        cr_assert(stat(dropped, &before) == 0);
        cr_assert_eq(claim(&c), 1);
        cr_assert_not(c.rejected);
        cr_assert_eq(sha256_hex("{\"bilan\": 1}", 12, sha), 0);
        cr_assert_str_eq(c.sha256, sha);

        claimed = scratch_path(processing, c.spool_name);
        cr_assert(stat(claimed, &after) == 0);
        cr_assert_neq(after.st_ino, before.st_ino, "processing/ holds the dropper's own file");
        cr_assert_eq(after.st_mode & 0777, SPOOL_BILAN_MODE);
        f = fopen(kept, "a");
        cr_assert_not_null(f);
        fputs(", \"changed\": true", f);
        fclose(f);
        content = scratch_read(processing, c.spool_name);
        cr_assert_str_eq(content, "{\"bilan\": 1}");
        free(content);
        free(claimed);
        free(dropped);
        free(kept);
        spool_claim_done(&c);
}

/* ---- Settling (issue 9, item 9) -------------------------------------------- */

#define SETTLE_USEC 300000

static void append(const char *name, const char *text) {
        char *p = scratch_path(incoming, name);
        FILE *f = fopen(p, "a");

        cr_assert_not_null(f);
        fputs(text, f);
        cr_assert_eq(fclose(f), 0);
        free(p);
}

/* A file is claimed only after settle of quiet, measured from our first
 * look at it in its current state; a rescan does not shorten that. */
Test(spool, file_is_claimed_only_once_settled) {
        SpoolClaim c = SPOOL_CLAIM_INIT;
        uint64_t deadline;
        char *content;

        spool_set_settle(spool, SETTLE_USEC);
        cr_assert_eq(spool_next_deadline(spool), 0, "no timer while nothing waits");
        scratch_write(incoming, "bilan.json", "{\"a\": 1");
        cr_assert_eq(claim(&c), 0, "claimed at once");
        deadline = spool_next_deadline(spool);
        cr_assert_neq(deadline, 0);
        spool_rewind(spool);
        cr_assert_eq(claim(&c), 0, "a rescan claimed a young file");
        cr_assert_eq(spool_next_deadline(spool), deadline, "a rescan moved the deadline");

        usleep(SETTLE_USEC / 2);
        append("bilan.json", ", \"b\": 2");
        usleep(SETTLE_USEC / 2 + 50000);
        /* Its first deadline has come, but it changed since: wait again. */
        cr_assert_eq(claim(&c), 0, "claimed while still changing");
        cr_assert_gt(spool_next_deadline(spool), deadline);
        append("bilan.json", "}");
        usleep(SETTLE_USEC + 50000);
        cr_assert_eq(claim(&c), 0, "claimed less than settle after its last change");
        usleep(SETTLE_USEC + 50000);
        cr_assert_eq(claim(&c), 1);
        content = scratch_read(processing, c.spool_name);
        cr_assert_str_eq(content, "{\"a\": 1, \"b\": 2}");
        spool_claim_done(&c);
        cr_assert_eq(spool_next_deadline(spool), 0, "a timer left although nothing waits");
        cr_assert_eq(claim(&c), 0);
        free(content);
}

/* Written in place in several writes, with pauses longer than settle, the
 * file open all along (as Explorer or Samba write): not claimed before it
 * is closed, then claimed once, complete. */
Test(spool, file_open_for_writing_waits_for_its_close) {
        static const char *const parts[] = { "{\"bilan\"", ": 1, ", "\"end\": true}" };
        SpoolClaim c = SPOOL_CLAIM_INIT;
        char *p = scratch_path(incoming, "bilan.json"), *content;
        int fd, claimed = 0;

        spool_set_settle(spool, SETTLE_USEC);
        fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        cr_assert_geq(fd, 0);
        cr_assert_eq(spool_note_created(spool, "bilan.json"), 0); /* inotify's IN_CREATE */
        for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
                cr_assert_eq(write(fd, parts[i], strlen(parts[i])), (ssize_t) strlen(parts[i]));
                usleep(2 * SETTLE_USEC);
                spool_rewind(spool); /* another drop made the daemon rescan */
                cr_assert_eq(claim(&c), 0, "claimed half-written after part %zu", i);
        }
        cr_assert_eq(close(fd), 0);
        spool_note_closed(spool, "bilan.json"); /* IN_CLOSE_WRITE */
        cr_assert_eq(claim(&c), 0, "claimed at its close, without settling");
        usleep(SETTLE_USEC + 50000);
        while (claim(&c) > 0) {
                claimed++;
                content = scratch_read(processing, c.spool_name);
                cr_assert_str_eq(content, "{\"bilan\": 1, \"end\": true}");
                free(content);
                spool_claim_done(&c);
        }
        cr_assert_eq(claimed, 1);
        free(p);
}

/* A file renamed in waits settle too; one that has not changed for longer
 * than settle when we first see it (a start with files waiting) is old:
 * taken at once. Non-files are not made to wait. */
Test(spool, renamed_in_waits_old_file_does_not) {
        SpoolClaim c = SPOOL_CLAIM_INIT;
        char *from = scratch_path(incoming, ".x.json"), *to = scratch_path(incoming, "x.json");
        char *fifo = scratch_path(incoming, "f.json");

        spool_set_settle(spool, SETTLE_USEC);
        scratch_write(incoming, "old.json", "{}");
        usleep(SETTLE_USEC + 50000);
        scratch_write(incoming, ".x.json", "{}");
        cr_assert(rename(from, to) == 0);
        cr_assert(mkfifo(fifo, 0600) == 0);
        cr_assert_eq(claim(&c), 1);
        cr_assert(streq(c.name, "old.json") || streq(c.name, "f.json"), "%s taken at once", c.name);
        spool_claim_done(&c);
        cr_assert_eq(claim(&c), 1);
        cr_assert(streq(c.name, "old.json") || streq(c.name, "f.json"), "%s taken at once", c.name);
        spool_claim_done(&c);
        cr_assert_eq(claim(&c), 0, "the renamed file did not wait");
        usleep(SETTLE_USEC + 50000);
        cr_assert_eq(claim(&c), 1);
        cr_assert_str_eq(c.name, "x.json");
        spool_claim_done(&c);
        free(from);
        free(to);
        free(fifo);
}

/* An SMB copy that stalls: the file was opened under our eyes, written in
 * part, then left open and quiet for longer than settle and longer than
 * the wait for a writer's close. It is never taken while open; once closed
 * it settles and is taken once, complete. (Before open files were counted,
 * it was taken half-written once the writer wait ran out.) */
Test(spool, stalled_open_file_is_never_taken) {
        SpoolClaim c = SPOOL_CLAIM_INIT;
        char *p = scratch_path(incoming, "bilan.json"), *content;
        int fd;

        spool_set_settle(spool, SETTLE_USEC);
        spool_set_writer_wait(spool, 2 * SETTLE_USEC);
        fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        cr_assert_geq(fd, 0);
        cr_assert_eq(spool_note_created(spool, "bilan.json"), 0); /* IN_CREATE */
        cr_assert_eq(spool_note_opened(spool, "bilan.json"), 0);  /* IN_OPEN, already watched */
        cr_assert_eq(write(fd, "{\"bilan\"", 8), 8);
        cr_assert_eq(spool_note_modified(spool, "bilan.json"), 0); /* IN_MODIFY */
        /* A reader comes and goes (a preview on a desktop): still open. */
        cr_assert_eq(spool_note_opened(spool, "bilan.json"), 0);
        cr_assert_not(spool_note_released(spool, "bilan.json"), "the writer still holds it");
        for (int i = 0; i < 4; i++) {
                usleep(2 * SETTLE_USEC + 50000);
                spool_rewind(spool);
                cr_assert_eq(claim(&c), 0, "taken while still open, after %d writer waits", i + 1);
        }
        cr_assert_eq(write(fd, ": 1}", 4), 4);
        cr_assert_eq(close(fd), 0);
        spool_note_closed(spool, "bilan.json"); /* IN_CLOSE_WRITE */
        cr_assert_eq(claim(&c), 0, "taken at its close, without settling");
        usleep(SETTLE_USEC + 50000);
        cr_assert_eq(claim(&c), 1);
        content = scratch_read(processing, c.spool_name);
        cr_assert_str_eq(content, "{\"bilan\": 1}");
        spool_claim_done(&c);
        cr_assert_eq(claim(&c), 0, "taken twice");
        free(content);
        free(p);
}

/* A file already there whose writer we never saw open it (chorusd started
 * during the copy) but that is written again: it waits for the close too. */
Test(spool, written_file_waits_for_close) {
        SpoolClaim c = SPOOL_CLAIM_INIT;
        char *p = scratch_path(incoming, "bilan.json");
        int fd;

        spool_set_settle(spool, SETTLE_USEC);
        spool_set_writer_wait(spool, 4 * SETTLE_USEC);
        fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        cr_assert_geq(fd, 0);
        cr_assert_eq(write(fd, "{", 1), 1);
        cr_assert_eq(claim(&c), 0, "a young file taken at once");
        cr_assert_eq(write(fd, "}", 1), 1);
        cr_assert_eq(spool_note_modified(spool, "bilan.json"), 0); /* watched already */
        usleep(2 * SETTLE_USEC);
        cr_assert_eq(claim(&c), 0, "taken before its writer closed it");
        cr_assert_eq(close(fd), 0);
        spool_note_closed(spool, "bilan.json");
        usleep(SETTLE_USEC + 50000);
        cr_assert_eq(claim(&c), 1);
        spool_claim_done(&c);
        free(p);
}

/* Opened by a reader only: waits for the reader's close, then settles;
 * a release of a file we do not watch, or one too many, changes nothing.
 * When inotify loses events, the opens are forgotten and the file waits
 * the writer wait of quiet, not settle. */
Test(spool, open_reader_holds_until_released) {
        SpoolClaim c = SPOOL_CLAIM_INIT;

        spool_set_settle(spool, SETTLE_USEC);
        spool_set_writer_wait(spool, 2 * SETTLE_USEC);
        cr_assert_not(spool_note_released(spool, "nothing.json"));
        scratch_write(incoming, "a.json", "{}");
        scratch_write(incoming, "b.json", "{}");
        cr_assert_eq(spool_note_opened(spool, "a.json"), 1, "a new watch: the timer must be armed");
        cr_assert_eq(spool_note_opened(spool, "b.json"), 1);
        cr_assert_eq(spool_note_opened(spool, ".x.json"), 0, "ignored name");
        usleep(3 * SETTLE_USEC);
        cr_assert_eq(claim(&c), 0, "taken while open");
        cr_assert(spool_note_released(spool, "a.json"));
        cr_assert_not(spool_note_released(spool, "a.json"), "released twice");
        cr_assert_eq(claim(&c), 0, "taken at the reader's close, without settling");
        usleep(SETTLE_USEC + 50000);
        cr_assert_eq(claim(&c), 1);
        cr_assert_str_eq(c.name, "a.json");
        spool_claim_done(&c);
        cr_assert_eq(claim(&c), 0, "b.json is still open");
        spool_forget_writers(spool); /* IN_Q_OVERFLOW */
        usleep(SETTLE_USEC + 50000);
        cr_assert_eq(claim(&c), 0, "taken after settle although its close may have been lost");
        usleep(SETTLE_USEC + 50000);
        cr_assert_eq(claim(&c), 1);
        cr_assert_str_eq(c.name, "b.json");
        spool_claim_done(&c);
}
