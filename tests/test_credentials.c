/* test_credentials.c — reading the two secrets from real files in a
 * temporary directory: what is accepted, what is refused and how the
 * refusal reads (it names the file and the fix, never the secret). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chorus/credentials.h"

#define SECRET "TopSecret-42!"

static char dir[] = "/tmp/test_credentials-XXXXXX";

static void setup(void) {
        cr_assert(mkdtemp(dir));
        unsetenv("CREDENTIALS_DIRECTORY");
}

static void teardown(void) {
        char *cmd = NULL;
        cr_assert(asprintf(&cmd, "rm -rf '%s'", dir) > 0);
        cr_expect_eq(system(cmd), 0);
        free(cmd);
}

TestSuite(credentials, .init = setup, .fini = teardown);

/* Writes `size` bytes of `content` to dir/name with `mode`; returns the path. */
static char *make_file(const char *name, const char *content, size_t size, mode_t mode) {
        char *path = NULL;
        int fd;

        cr_assert(asprintf(&path, "%s/%s", dir, name) > 0);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        cr_assert(fd >= 0, "cannot create %s", path);
        cr_assert_eq(write(fd, content, size), (ssize_t) size);
        cr_assert_eq(fchmod(fd, mode), 0);
        close(fd);
        return path;
}

static char *make_secret(const char *name, const char *content, mode_t mode) {
        return make_file(name, content, strlen(content), mode);
}

typedef struct ReadCase {
        const char *label;
        const char *content;
        mode_t mode;
        const char *expected; /* NULL: refused */
        int error;
        const char *fragment; /* of the message, with %s for the path */
} ReadCase;

static const ReadCase read_cases[] = {
        { "0600 with newline", SECRET "\n", 0600, SECRET, 0, NULL },
        { "0400 without newline", SECRET, 0400, SECRET, 0, NULL },
        { "one newline only is removed", SECRET "\n\n", 0600, NULL, -EBADMSG, "line break" },
        { "Windows line end", SECRET "\r\n", 0600, NULL, -EBADMSG, "CR" },
        { "two lines", SECRET "\nmore", 0600, NULL, -EBADMSG, "a single line" },
        { "0640", SECRET "\n", 0640, NULL, -EPERM, "chmod 600 %s" },
        { "0604", SECRET "\n", 0604, NULL, -EPERM, "chmod 600 %s" },
        { "0660", SECRET "\n", 0660, NULL, -EPERM, "has mode 0660" },
        { "0602 (others may write)", SECRET "\n", 0602, NULL, -EPERM, "chmod 600 %s" },
        { "empty", "", 0600, NULL, -ENODATA, "%s is empty" },
        { "a newline only", "\n", 0600, NULL, -ENODATA, "%s is empty" },
};

Test(credentials, read_file_cases) {
        for (size_t i = 0; i < ELEMENTSOF(read_cases); i++) {
                const ReadCase *t = &read_cases[i];
                _cleanup_(freep) char *name = NULL, *path = NULL, *message = NULL,
                                      *fragment = NULL;
                _cleanup_(credentials_secret_freep) char *secret = NULL;
                int r;

                cr_assert(asprintf(&name, "case-%zu", i) > 0);
                path = make_secret(name, t->content, t->mode);
                r = credentials_read_file(path, &secret, &message);
                if (t->expected) {
                        cr_expect_eq(r, 0, "%s: %s", t->label, strempty(message));
                        cr_expect_str_eq(strempty(secret), t->expected, "%s", t->label);
                        continue;
                }
                cr_expect_eq(r, t->error, "%s: got %d", t->label, r);
                cr_expect_null(secret, "%s: nothing returned on failure", t->label);
                cr_assert(message, "%s: a message", t->label);
                cr_assert(asprintf(&fragment, t->fragment, path) > 0);
                cr_expect(strstr(message, fragment), "%s: '%s' lacks '%s'", t->label, message,
                          fragment);
                cr_expect(strstr(message, path), "%s: '%s' names the file", t->label, message);
                cr_expect_null(strstr(message, SECRET), "%s: the secret leaked: %s", t->label,
                               message);
        }
}

Test(credentials, symlink_is_refused) {
        _cleanup_(freep) char *target = make_secret("target", SECRET "\n", 0600);
        _cleanup_(freep) char *link = NULL, *message = NULL;
        char *secret = NULL;

        cr_assert(asprintf(&link, "%s/link", dir) > 0);
        cr_assert_eq(symlink(target, link), 0);
        cr_expect_eq(credentials_read_file(link, &secret, &message), -ELOOP);
        cr_expect_null(secret);
        cr_expect(message && strstr(message, "symbolic link") && strstr(message, link));
        cr_expect(message && strstr(message, "LoadCredential="));
}

Test(credentials, directory_and_fifo_are_refused) {
        _cleanup_(freep) char *sub = NULL, *fifo = NULL, *m1 = NULL, *m2 = NULL;
        char *secret = NULL;

        cr_assert(asprintf(&sub, "%s/sub", dir) > 0);
        cr_assert_eq(mkdir(sub, 0700), 0);
        cr_expect_eq(credentials_read_file(sub, &secret, &m1), -EISDIR);
        cr_expect(m1 && strstr(m1, "is a directory"));

        /* A FIFO with no writer must not block us. */
        cr_assert(asprintf(&fifo, "%s/fifo", dir) > 0);
        cr_assert_eq(mkfifo(fifo, 0600), 0);
        cr_expect_eq(credentials_read_file(fifo, &secret, &m2), -EBADFD);
        cr_expect(m2 && strstr(m2, "not a regular file"));
        cr_expect_null(secret);
}

Test(credentials, size_limit) {
        _cleanup_(freep) char *big = malloc(CREDENTIAL_SIZE_MAX + 1);
        _cleanup_(freep) char *ok_path = NULL, *big_path = NULL, *message = NULL;
        _cleanup_(credentials_secret_freep) char *secret = NULL;
        char *none = NULL;

        cr_assert(big);
        memset(big, 'x', CREDENTIAL_SIZE_MAX + 1);
        memcpy(big, SECRET, strlen(SECRET));
        ok_path = make_file("max", big, CREDENTIAL_SIZE_MAX, 0600);
        cr_expect_eq(credentials_read_file(ok_path, &secret, NULL), 0);
        cr_expect_eq(strlen(strempty(secret)), CREDENTIAL_SIZE_MAX);

        big_path = make_file("big", big, CREDENTIAL_SIZE_MAX + 1, 0600);
        cr_expect_eq(credentials_read_file(big_path, &none, &message), -EFBIG);
        cr_expect_null(none);
        cr_expect(message && strstr(message, "4096"));
        cr_expect(message && !strstr(message, SECRET));
}

Test(credentials, missing_file) {
        _cleanup_(freep) char *path = NULL, *message = NULL;
        char *secret = NULL;

        cr_assert(asprintf(&path, "%s/nothing", dir) > 0);
        cr_expect_eq(credentials_read_file(path, &secret, &message), -ENOENT);
        cr_expect(message && strstr(message, path) && strstr(message, "install -m 600"));
}

Test(credentials, wrong_owner) {
        _cleanup_(freep) char *path = make_secret("owned", SECRET "\n", 0600);
        _cleanup_(freep) char *message = NULL;

        /* We cannot chown without root: ask for another owner instead. */
        cr_expect_eq(credentials_check_file(path, geteuid() + 1, &message), -EPERM);
        cr_expect(message && strstr(message, "chown"));
        cr_expect(message && strstr(message, path));
        cr_expect(message && !strstr(message, SECRET));
        cr_expect_eq(credentials_check_file(path, geteuid(), NULL), 0);
}

Test(credentials, check_file_reads_nothing_out) {
        _cleanup_(freep) char *empty = make_secret("empty", "", 0600);
        _cleanup_(freep) char *message = NULL;

        cr_expect_eq(credentials_check_file(empty, geteuid(), &message), -ENODATA);
        cr_expect(message && strstr(message, "is empty"));
}

Test(credentials, credentials_directory_is_the_default) {
        ChorusConfig c = {};
        ChorusSecrets s = {};
        _cleanup_(freep) char *message = NULL;

        free(make_secret(CREDENTIAL_CLIENT_SECRET, "client-secret\n", 0400));
        free(make_secret(CREDENTIAL_CPRO_PASSWORD, "password", 0400));
        cr_assert_eq(setenv("CREDENTIALS_DIRECTORY", dir, 1), 0);
        cr_assert_eq(credentials_load(&c, &s, &message), 0, "%s", strempty(message));
        cr_expect_str_eq(s.client_secret, "client-secret");
        cr_expect_str_eq(s.cpro_password, "password");
        chorus_secrets_done(&s);
        cr_expect_null(s.client_secret);
        cr_expect_null(s.cpro_password);
}

/* What systemd does on a file system with ACLs (tmpfs): the credential
 * stays root's, mode 0400, with "user:SERVICE:r" (shown as group bits, the
 * ACL mask). The service must accept it from $CREDENTIALS_DIRECTORY, and
 * only from there. Needs root, to play the service's user (nobody). */
Test(credentials, systemd_acl_credentials_are_accepted) {
        _cleanup_(freep) char *a = NULL, *b = NULL, *cmd = NULL, *message = NULL;
        ChorusConfig c = {};
        ChorusSecrets s = {};
        struct stat st;

        if (geteuid() != 0)
                cr_skip_test("needs root to play systemd and the service's user");
        a = make_secret(CREDENTIAL_CLIENT_SECRET, "acl-secret\n", 0400);
        b = make_secret(CREDENTIAL_CPRO_PASSWORD, "acl-password\n", 0400);
        cr_assert(asprintf(&cmd, "setfacl -m u:65534:r '%s' '%s'", a, b) > 0);
        cr_assert_eq(system(cmd), 0, "%s", cmd);
        cr_assert_eq(stat(a, &st), 0);
        cr_assert_eq(st.st_mode & 07777, 0440, "the ACL mask shows as group bits");
        cr_assert_eq(chmod(dir, 0755), 0);
        cr_assert(setgroups(0, NULL) == 0 && setresgid(65534, 65534, 65534) == 0 &&
                  setresuid(65534, 65534, 65534) == 0);

        cr_assert_eq(setenv("CREDENTIALS_DIRECTORY", dir, 1), 0);
        cr_assert_eq(credentials_load(&c, &s, &message), 0, "%s", strempty(message));
        cr_expect_str_eq(s.client_secret, "acl-secret");
        cr_expect_str_eq(s.cpro_password, "acl-password");
        chorus_secrets_done(&s);
        cr_expect_eq(credentials_check_systemd_file(a, NULL), 0);

        /* Named in chorusd.conf, the same file is someone else's: refused. */
        c.client_secret_file = a;
        cr_expect_eq(credentials_load(&c, &s, &message), -EPERM);
        cr_expect(message && strstr(message, "belongs to root"), "%s", strempty(message));
        cr_expect_null(s.client_secret);
}

/* Even from $CREDENTIALS_DIRECTORY, a file others may read or the group may
 * write is not a credential systemd wrote: refused. */
Test(credentials, credentials_directory_still_refuses_open_modes) {
        static const mode_t modes[] = { 0404, 0460, 0600 | 0002 };
        ChorusConfig c = {};

        cr_assert_eq(setenv("CREDENTIALS_DIRECTORY", dir, 1), 0);
        free(make_secret(CREDENTIAL_CPRO_PASSWORD, "password", 0400));
        for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
                _cleanup_(freep) char *path = make_secret(CREDENTIAL_CLIENT_SECRET, "secret", modes[i]);
                _cleanup_(freep) char *message = NULL;
                ChorusSecrets s = {};

                cr_expect_eq(credentials_load(&c, &s, &message), -EPERM, "mode %04o", (unsigned) modes[i]);
                cr_expect(message && strstr(message, "chmod 600"), "%s", strempty(message));
                cr_assert_eq(unlink(path), 0);
        }
}

Test(credentials, configured_files_win) {
        _cleanup_(freep) char *a = make_secret("client", "from-file\n", 0600);
        _cleanup_(freep) char *b = make_secret("password", "pw-file\n", 0600);
        _cleanup_(freep) char *message = NULL;
        ChorusConfig c = { .client_secret_file = a, .cpro_password_file = b };
        ChorusSecrets s = {};

        cr_assert_eq(setenv("CREDENTIALS_DIRECTORY", "/nonexistent", 1), 0);
        cr_assert_eq(credentials_load(&c, &s, &message), 0, "%s", strempty(message));
        cr_expect_str_eq(s.client_secret, "from-file");
        cr_expect_str_eq(s.cpro_password, "pw-file");
        chorus_secrets_done(&s);
}

Test(credentials, nowhere_to_look) {
        ChorusConfig c = {};
        ChorusSecrets s = {};
        _cleanup_(freep) char *message = NULL;

        cr_expect_eq(credentials_load(&c, &s, &message), -ENOENT);
        cr_expect(message && strstr(message, "LoadCredential=piste-client-secret:"));
        cr_expect(message && strstr(message, "client_secret_file"));
        cr_expect_null(s.client_secret);
}

/* chorusctl run by hand reads the LoadCredential= sources in credentials/
 * beside the configuration, and only when nothing else names a file. */
Test(credentials, by_hand_reads_the_sources_beside_the_config) {
        _cleanup_(freep) char *config = NULL, *sources = NULL, *message = NULL;
        ChorusConfig c = {};
        ChorusSecrets s = {};

        cr_assert(asprintf(&config, "%s/chorusd.conf", dir) > 0);
        cr_assert(asprintf(&sources, "%s/" CREDENTIALS_SOURCE_DIR, dir) > 0);
        cr_expect_eq(credentials_load_by_hand(&c, config, &s, &message), -ENOENT);
        cr_expect(message && strstr(message, sources) && strstr(message, "client_secret_file"),
                  "%s", strempty(message));
        free(message);
        message = NULL;

        cr_assert_eq(mkdir(sources, 0700), 0);
        free(make_secret(CREDENTIALS_SOURCE_DIR "/" CREDENTIAL_CLIENT_SECRET, "source-secret\n", 0600));
        free(make_secret(CREDENTIALS_SOURCE_DIR "/" CREDENTIAL_CPRO_PASSWORD, "source-password\n", 0600));
        cr_assert_eq(credentials_load_by_hand(&c, config, &s, &message), 0, "%s", strempty(message));
        cr_expect_str_eq(s.client_secret, "source-secret");
        cr_expect_str_eq(s.cpro_password, "source-password");
        chorus_secrets_done(&s);

        /* $CREDENTIALS_DIRECTORY, when set, is still the one place looked at. */
        cr_assert_eq(setenv("CREDENTIALS_DIRECTORY", "/nonexistent", 1), 0);
        cr_expect_eq(credentials_load_by_hand(&c, config, &s, &message), -ENOENT);
        cr_expect(message && strstr(message, "/nonexistent/" CREDENTIAL_CLIENT_SECRET), "%s", strempty(message));
        cr_expect_null(s.client_secret);
}

Test(credentials, second_secret_failing_returns_nothing) {
        _cleanup_(freep) char *b = NULL;
        ChorusConfig c = {};
        ChorusSecrets s = {};
        _cleanup_(freep) char *message = NULL;

        free(make_secret(CREDENTIAL_CLIENT_SECRET, "client-secret\n", 0600));
        b = make_secret(CREDENTIAL_CPRO_PASSWORD, SECRET "\n", 0644);
        cr_assert_eq(setenv("CREDENTIALS_DIRECTORY", dir, 1), 0);
        cr_expect_eq(credentials_load(&c, &s, &message), -EPERM);
        cr_expect_null(s.client_secret);
        cr_expect_null(s.cpro_password);
        cr_expect(message && strstr(message, b) && strstr(message, "chmod 600"));
        cr_expect(message && !strstr(message, SECRET));
}

Test(credentials, path) {
        _cleanup_(freep) char *p1 = NULL, *p2 = NULL;
        char *p3 = NULL;

        cr_assert_eq(credentials_path("/etc/x", "name", &p1), 0);
        cr_expect_str_eq(p1, "/etc/x");
        cr_assert_eq(setenv("CREDENTIALS_DIRECTORY", "/run/credentials/chorusd.service", 1), 0);
        cr_assert_eq(credentials_path(NULL, "cpro-password", &p2), 0);
        cr_expect_str_eq(p2, "/run/credentials/chorusd.service/cpro-password");
        cr_assert_eq(setenv("CREDENTIALS_DIRECTORY", "", 1), 0);
        cr_expect_eq(credentials_path(NULL, "cpro-password", &p3), -ENOENT);
        cr_expect_null(p3);
}

/* ---- Core dumps (issue 9, item 8) -------------------------------------------- */

/* The VmFlags line of the mapping of /proc/self/smaps that holds p. */
static char *vm_flags_of(const void *p) {
        _cleanup_(freep) char *line = NULL;
        size_t size = 0;
        bool inside = false;
        char *found = NULL;
        FILE *f = fopen("/proc/self/smaps", "re");

        cr_assert(f);
        while (!found && getline(&line, &size, f) > 0) {
                unsigned long start, end;

                if (sscanf(line, "%lx-%lx ", &start, &end) == 2 && strchr(line, '-') < strchr(line, ' '))
                        inside = (unsigned long) p >= start && (unsigned long) p < end;
                else if (inside && strncmp(line, "VmFlags:", 8) == 0)
                        found = strdup(line);
        }
        fclose(f);
        return found;
}

static bool vm_flag(const char *flags, const char *flag) {
        size_t n = strlen(flag);

        for (const char *p = strstr(flags, flag); p; p = strstr(p + 1, flag))
                if (p[-1] == ' ' && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
                        return true;
        return false;
}

/* A core held the client secret three times and the password twice: the
 * process must not be dumpable once a secret is read, and the secrets it
 * keeps must sit in pages marked "dd" (MADV_DONTDUMP). */
Test(credentials, secrets_stay_out_of_core_dumps) {
        ChorusConfig c = {};
        ChorusSecrets s = {};
        _cleanup_(freep) char *message = NULL, *flags1 = NULL, *flags2 = NULL;

        free(make_secret(CREDENTIAL_CLIENT_SECRET, "client-secret\n", 0400));
        free(make_secret(CREDENTIAL_CPRO_PASSWORD, "password", 0400));
        cr_assert_eq(setenv("CREDENTIALS_DIRECTORY", dir, 1), 0);
        cr_assert_eq(credentials_load(&c, &s, &message), 0, "%s", strempty(message));
        cr_expect_eq(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0, "the process is still dumpable");

        flags1 = vm_flags_of(s.client_secret);
        flags2 = vm_flags_of(s.cpro_password);
        cr_assert(flags1 && flags2, "no mapping found in /proc/self/smaps");
        cr_expect(vm_flag(flags1, "dd"), "client secret not MADV_DONTDUMP: %s", flags1);
        cr_expect(vm_flag(flags2, "dd"), "password not MADV_DONTDUMP: %s", flags2);
        chorus_secrets_done(&s);
}

/* A copy made with credentials_secret_strdup() is in DONTDUMP pages,
 * zero-filled past the string. */
Test(credentials, secret_memory) {
        _cleanup_(freep) char *flags = NULL;
        char *p = credentials_secret_strdup(SECRET);

        cr_assert(p);
        cr_expect_str_eq(p, SECRET);
        cr_expect_eq(p[strlen(SECRET) + 1], 0);
        flags = vm_flags_of(p);
        cr_assert(flags);
        cr_expect(vm_flag(flags, "dd"), "%s", flags);
        cr_expect_null(credentials_secret_free(p));
        cr_expect_null(credentials_secret_free(NULL));
}
