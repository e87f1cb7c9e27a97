/* test_e2e_templates.c — [spool] templates_dir with the real chorusd: the
 * templates of every convention are there once READY=1 is sent (the folder
 * created 0755, the files 0644 whatever the umask), a reload that changes
 * nothing rewrites nothing (same inode, same mtime), a reload after a
 * convention is removed deletes its templates and only files named like a
 * template; a folder that cannot be used is a warning, not a stop. And
 * chorusctl template, which makes the same bytes. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json_mutate.h"
#include "test_daemon.h"

#define SEC TEST_USEC_PER_SEC

static TestDaemon d;

static void teardown(void) {
        test_daemon_done(&d);
}

TestSuite(e2e_templates, .fini = teardown, .timeout = 120);

static char *templates_dir(void) {
        char *dir = NULL;

        cr_assert(asprintf(&dir, "%s/modeles", d.spool) > 0);
        return dir;
}

/* Adds `templates_dir = DIR` to [spool]. */
static void configure(const char *dir) {
        _cleanup_(freep) char *config = NULL, *line = NULL, *edited = NULL;
        size_t size;
        FILE *f;

        cr_assert_eq(test_daemon_read_path(d.config, &config, &size), 0);
        cr_assert(asprintf(&line, "[spool]\ntemplates_dir = %s\n", dir) > 0);
        edited = test_replace_first(config, "[spool]\n", line);
        cr_assert_not_null(edited);
        f = fopen(d.config, "we");
        cr_assert_not_null(f);
        fputs(edited, f);
        cr_assert_eq(fclose(f), 0);
}

static struct stat stat_of(const char *dir, const char *name) {
        _cleanup_(freep) char *path = NULL;
        struct stat st;

        cr_assert(asprintf(&path, "%s/%s", dir, name) > 0);
        cr_assert_eq(lstat(path, &st), 0, "%s is missing", path);
        return st;
}

static bool exists(const char *dir, const char *name) {
        _cleanup_(freep) char *path = NULL;
        struct stat st;

        cr_assert(asprintf(&path, "%s/%s", dir, name) > 0);
        return lstat(path, &st) == 0;
}

static void touch(const char *dir, const char *name) {
        _cleanup_(freep) char *path = NULL;
        FILE *f;

        cr_assert(asprintf(&path, "%s/%s", dir, name) > 0);
        f = fopen(path, "we");
        cr_assert_not_null(f);
        fputs("not a template\n", f);
        cr_assert_eq(fclose(f), 0);
}

static void reload(void) {
        cr_assert_eq(test_daemon_signal(&d, SIGHUP), 0);
        cr_assert_eq(test_daemon_wait_notify(&d, "RELOADING=1", 10 * SEC, NULL), 0);
        cr_assert_eq(test_daemon_wait_notify(&d, "READY=1", 10 * SEC, NULL), 0, "no READY=1 after the reload");
        cr_assert(test_daemon_log_contains(&d, "reloaded"), "the reload was refused");
}

static const char *const names[] = {
        "modele-bilan-CDCMC-2026.ods",
        "modele-bilan-CDCMC-2026.xlsx",
        "modele-bilan-COMMUNE-2026.ods",
        "modele-bilan-COMMUNE-2026.xlsx",
};

Test(e2e_templates, start_reload_remove) {
        static const char *const conventions[] = { "cdcmc-2026.json", "commune-2026.json", NULL };
        TestDaemonOptions o = { .conventions = conventions };
        _cleanup_(freep) char *dir = NULL, *commune = NULL;
        struct stat before[ELEMENTSOF(names)], st;
        mode_t old_umask;

        cr_assert_eq(test_daemon_setup(&d, &o), 0);
        dir = templates_dir();
        configure(dir);
        /* The modes must not come from the umask (the unit has 0027). */
        old_umask = umask(077);
        cr_assert_eq(test_daemon_start_ready(&d, 20 * SEC), 0);
        umask(old_umask);

        cr_assert_eq(lstat(dir, &st), 0, "the folder was not created");
        cr_expect_eq(st.st_mode & 0777, 0755);
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                before[i] = stat_of(dir, names[i]);
                cr_expect_eq(before[i].st_mode & 07777, 0644, "%s: mode %o", names[i],
                             (unsigned) (before[i].st_mode & 07777));
                cr_expect_gt(before[i].st_size, 1000);
        }

        /* A reload that changes nothing touches nothing. */
        usleep(20000); /* a rewrite would show in the mtime */
        reload();
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                st = stat_of(dir, names[i]);
                cr_expect_eq(st.st_ino, before[i].st_ino, "%s was replaced", names[i]);
                cr_expect(st.st_mtim.tv_sec == before[i].st_mtim.tv_sec &&
                                  st.st_mtim.tv_nsec == before[i].st_mtim.tv_nsec,
                          "%s was rewritten", names[i]);
        }

        /* COMMUNE-2026 leaves conventions.d/: its templates go, and a stale
         * template of another convention; files that are not templates stay. */
        cr_assert(asprintf(&commune, "%s/conventions.d/commune-2026.json", d.root) > 0);
        cr_assert_eq(unlink(commune), 0);
        touch(dir, "modele-bilan-GONE-2025.xlsx");
        touch(dir, "notes.txt");
        touch(dir, "modele-bilan-CDCMC-2026.pdf");
        reload();
        cr_expect(!exists(dir, "modele-bilan-COMMUNE-2026.ods"));
        cr_expect(!exists(dir, "modele-bilan-COMMUNE-2026.xlsx"));
        cr_expect(!exists(dir, "modele-bilan-GONE-2025.xlsx"));
        cr_expect(exists(dir, "notes.txt"));
        cr_expect(exists(dir, "modele-bilan-CDCMC-2026.pdf"));
        for (size_t i = 0; i < 2; i++) {
                st = stat_of(dir, names[i]);
                cr_expect_eq(st.st_ino, before[i].st_ino, "%s was replaced", names[i]);
        }
        cr_expect(test_daemon_log_contains(&d, "convention COMMUNE-2026 is no longer configured"));
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* A template the daemon finds changed (edited by someone) is put back. */
Test(e2e_templates, changed_file_rewritten) {
        static const char *const conventions[] = { "cdcmc-2026.json", NULL };
        TestDaemonOptions o = { .conventions = conventions };
        _cleanup_(freep) char *dir = NULL;
        struct stat st;

        cr_assert_eq(test_daemon_setup(&d, &o), 0);
        dir = templates_dir();
        cr_assert_eq(mkdir(dir, 0750), 0);
        configure(dir);
        touch(dir, "modele-bilan-CDCMC-2026.ods");
        cr_assert_eq(test_daemon_start_ready(&d, 20 * SEC), 0);
        st = stat_of(dir, "modele-bilan-CDCMC-2026.ods");
        cr_expect_gt(st.st_size, 1000, "the edited template was not replaced");
        cr_expect_eq(st.st_mode & 0777, 0644);
        st = stat_of(dir, ".");
        cr_expect_eq(st.st_mode & 0777, 0750, "an existing folder keeps its mode");
        cr_assert_eq(test_daemon_stop(&d), 0);
}

/* A templates_dir that cannot be used (a file is there): a warning, and
 * the daemon runs on and takes bilans. */
Test(e2e_templates, unusable_folder_is_not_fatal) {
        static const char *const conventions[] = { "cdcmc-2026.json", NULL };
        TestDaemonOptions o = { .conventions = conventions };
        _cleanup_(freep) char *dir = NULL;
        char id[25];

        cr_assert_eq(test_daemon_setup(&d, &o), 0);
        dir = templates_dir();
        touch(d.spool, "modeles");
        configure(dir);
        cr_assert_eq(test_daemon_start_ready(&d, 20 * SEC), 0);
        cr_expect(test_daemon_log_contains(&d, "Failed to open the templates folder"));
        cr_assert_eq(test_daemon_drop_file(&d, "b.json", "config/examples/invalid-not-json.json"), 0);
        cr_expect_eq(test_daemon_wait_job(&d, "rejected", "b.json", 20 * SEC, id), 0, "no longer claims");
        cr_assert_eq(test_daemon_stop(&d), 0);
}

static bool same_file(const char *a, const char *b) {
        _cleanup_(freep) char *x = NULL, *y = NULL;
        size_t nx, ny;

        cr_assert_eq(test_daemon_read_path(a, &x, &nx), 0, "%s", a);
        cr_assert_eq(test_daemon_read_path(b, &y, &ny), 0, "%s", b);
        return nx == ny && memcmp(x, y, nx) == 0;
}

/* chorusctl template: the format from -o's extension or --format, the
 * same bytes as the daemon's templates of the day, mode 0644, '-o -' to
 * stdout, an unknown convention refused with the known ones listed. */
Test(e2e_templates, chorusctl_template) {
        static const char *const conventions[] = { "cdcmc-2026.json", "commune-2026.json", NULL };
        TestDaemonOptions o = { .conventions = conventions };
        _cleanup_(freep) char *dir = NULL, *ods = NULL, *xlsx = NULL, *other = NULL, *out = NULL;
        _cleanup_(freep) char *daemon_ods = NULL, *daemon_xlsx = NULL;
        struct stat st;

        cr_assert_eq(test_daemon_setup(&d, &o), 0);
        dir = templates_dir();
        configure(dir);
        cr_assert_eq(test_daemon_start_ready(&d, 20 * SEC), 0);
        cr_assert(asprintf(&ods, "%s/t.ods", d.root) > 0);
        cr_assert(asprintf(&xlsx, "%s/t.xlsx", d.root) > 0);
        cr_assert(asprintf(&other, "%s/t.bin", d.root) > 0);
        cr_assert(asprintf(&daemon_ods, "%s/modele-bilan-CDCMC-2026.ods", dir) > 0);
        cr_assert(asprintf(&daemon_xlsx, "%s/modele-bilan-CDCMC-2026.xlsx", dir) > 0);

        cr_expect_eq(test_daemon_ctl(&d, &out, "template", "CDCMC-2026", "-o", ods, NULL), 0, "%s", out);
        cr_expect(strstr(out, "template of convention CDCMC-2026 written to"), "%s", out);
        free(out);
        out = NULL;
        cr_expect(same_file(ods, daemon_ods), "chorusctl and chorusd make different ODS files");
        cr_assert_eq(stat(ods, &st), 0);
        cr_expect_eq(st.st_mode & 07777, 0644);
        cr_expect_eq(test_daemon_ctl(&d, NULL, "template", "CDCMC-2026", "--output", xlsx, NULL), 0);
        cr_expect(same_file(xlsx, daemon_xlsx), "chorusctl and chorusd make different XLSX files");
        cr_expect_eq(test_daemon_ctl(&d, NULL, "template", "CDCMC-2026", "-f", "ods", "-o", other, NULL), 0);
        cr_expect(same_file(other, daemon_ods), "--format ods is not ODS");

        cr_expect_eq(test_daemon_ctl(&d, &out, "template", "CDCMC-2026", "-o", "-", NULL), 0);
        cr_expect(out && memcmp(out, "PK\3\4", 4) == 0, "stdout is not the ZIP");
        free(out);
        out = NULL;

        cr_expect_eq(test_daemon_ctl(&d, &out, "template", "NOPE-2026", "-o", ods, NULL), 64);
        cr_expect(strstr(out, "unknown convention 'NOPE-2026'; known: CDCMC-2026, COMMUNE-2026"), "%s", out);
        free(out);
        out = NULL;
        cr_expect_eq(test_daemon_ctl(&d, &out, "template", "CDCMC-2026", "-o", other, NULL), 64);
        cr_expect(strstr(out, "name it .ods or .xlsx"), "%s", out);
        free(out);
        out = NULL;
        cr_expect_eq(test_daemon_ctl(&d, NULL, "template", "CDCMC-2026", "--format", "csv", NULL), 64);
        cr_expect_eq(test_daemon_ctl(&d, NULL, "template", NULL), 64, "no convention");
        cr_assert_eq(test_daemon_stop(&d), 0);
}
