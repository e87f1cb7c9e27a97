/* credentials.c — the two Chorus Pro secrets (see credentials.h), read
 * from systemd credentials or from 0600 files owned by our user.
 *
 * The checks follow OpenSMTPD's check_file_secrecy: a regular file (opened
 * with O_NOFOLLOW, so a symlink is refused), owned by the user we check for,
 * no permission bits for group or others, at most CREDENTIAL_SIZE_MAX bytes,
 * not empty once one trailing newline is removed. Each refusal comes with a
 * sentence naming the file and the command that fixes it.
 *
 * A file in $CREDENTIALS_DIRECTORY was written there by systemd (PID 1), in
 * a read-only mount of its own, and systemd chooses how to grant us access:
 * on a file system with ACLs (tmpfs, the default in newer systemd) the file
 * stays root's, mode 0400, plus an ACL entry "user:chorusd:r" that shows as
 * group bits (the ACL mask); on ramfs it is chowned to us instead. Both are
 * accepted there: owner us or root, nothing for others, no write for the
 * group class. Files we are pointed at by chorusd.conf keep the strict rule.
 *
 * Secrets never leave this file except through the ChorusSecrets they are
 * loaded into: not in a message, not in a log. Every buffer that held one is
 * wiped with explicit_bzero before it is freed, on every path.
 *
 * Nor in a core dump: the process is made non-dumpable (PR_SET_DUMPABLE 0,
 * RLIMIT_CORE 0) before the first secret is read, and the buffers that keep
 * secrets for the life of the process are pages of their own (mmap) marked
 * MADV_DONTDUMP, so that a core written anyway (a kernel that dumps
 * non-dumpable processes for root, fs.suid_dumpable=2) leaves them out.
 * They are not mlock'ed: an unprivileged service has a small RLIMIT_MEMLOCK
 * and no business raising it; keeping swap off or encrypted is the
 * administrator's. */
#include <assert.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <pwd.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "chorus/credentials.h"
#include "base/fsutil.h"
#include "base/log.h"

/* One byte more than allowed tells "too big" from "exactly the maximum";
 * one more keeps the buffer NUL-terminated. */
#define SECRET_BUFFER_SIZE (CREDENTIAL_SIZE_MAX + 2)

/* ---- Memory for secrets ------------------------------------------------------ */

/* The mapping's size is kept in front of the bytes handed out. */
#define SECRET_HEADER_SIZE 16

void *credentials_secret_alloc(size_t size) {
        long page = sysconf(_SC_PAGESIZE);
        size_t total;
        void *p;

        if (page <= 0)
                page = 4096;
        if (size > SIZE_MAX - SECRET_HEADER_SIZE - (size_t) page) {
                errno = ENOMEM;
                return NULL;
        }
        total = (size + SECRET_HEADER_SIZE + (size_t) page - 1) / (size_t) page * (size_t) page;
        p = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
                return NULL;
        /* Best effort: an old kernel without these still gets the wipe. */
        (void) madvise(p, total, MADV_DONTDUMP);
        (void) madvise(p, total, MADV_WIPEONFORK);
        memcpy(p, &total, sizeof total);
        return (char *) p + SECRET_HEADER_SIZE; /* zero-filled by mmap */
}

char *credentials_secret_strdup(const char *s) {
        size_t n;
        char *p;

        if (!s)
                return NULL;
        n = strlen(s);
        p = credentials_secret_alloc(n + 1);
        if (p)
                memcpy(p, s, n + 1);
        return p;
}

void *credentials_secret_free(void *p) {
        char *base;
        size_t total;

        if (!p)
                return NULL;
        base = (char *) p - SECRET_HEADER_SIZE;
        memcpy(&total, base, sizeof total);
        explicit_bzero(base, total);
        (void) munmap(base, total);
        return NULL;
}

void credentials_forbid_core_dumps(void) {
        /* RLIMIT_CORE may be refused (the unit's ~@resources filter): the
         * unit sets LimitCORE=0 itself, and PR_SET_DUMPABLE is what counts. */
        (void) setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                log_warning_errno(negative_errno(), "Cannot turn core dumps off (PR_SET_DUMPABLE): %m");
}

static void secret_buffer_freep(char **p) {
        credentials_secret_free(*p);
}

static int fail(char **reterr_message, int error, const char *format, ...) _printf_(3, 4);
static int fail(char **reterr_message, int error, const char *format, ...) {
        va_list ap;

        if (reterr_message) {
                va_start(ap, format);
                if (vasprintf(reterr_message, format, ap) < 0)
                        *reterr_message = NULL;
                va_end(ap);
        }
        return error;
}

static const char *user_name(uid_t uid, char buf[static 32]) {
        struct passwd *pw = getpwuid(uid);

        if (pw && pw->pw_name && strlen(pw->pw_name) < 32)
                return strcpy(buf, pw->pw_name);
        snprintf(buf, 32, "%" PRIuMAX, (uintmax_t) uid);
        return buf;
}

static int secret_open_failed(const char *path, uid_t owner, char **reterr_message) {
        int r = negative_errno();
        char user[32];

        switch (r) {
        case -ELOOP:
                return fail(reterr_message, r,
                            "%s is a symbolic link, which is refused for secrets: name the "
                            "real file in chorusd.conf, or use LoadCredential= in chorusd.service",
                            path);
        case -ENOENT:
                return fail(reterr_message, r,
                            "%s does not exist: create it with 'install -m 600 -o %s /dev/null "
                            "%s' and write the secret into it",
                            path, user_name(owner, user), path);
        case -EACCES:
                return fail(reterr_message, r,
                            "%s cannot be read by this user: 'chown %s %s && chmod 600 %s'",
                            path, user_name(owner, user), path, path);
        default:
                return fail(reterr_message, r, "cannot open %s: %s", path, strerror(-r));
        }
}

/* Who wrote the file: an administrator (strict ownership and mode), or
 * systemd in $CREDENTIALS_DIRECTORY (see above). */
typedef enum SecretOrigin {
        SECRET_ORIGIN_FILE,
        SECRET_ORIGIN_SYSTEMD,
} SecretOrigin;

static bool secret_owner_ok(const struct stat *st, uid_t owner, SecretOrigin origin) {
        return st->st_uid == owner || (origin == SECRET_ORIGIN_SYSTEMD && st->st_uid == 0);
}

static bool secret_mode_ok(const struct stat *st, SecretOrigin origin) {
        if (origin == SECRET_ORIGIN_SYSTEMD)
                return (st->st_mode & (S_IRWXO | S_IWGRP)) == 0;
        return (st->st_mode & 077) == 0;
}

/* Refuses anything but a small regular file that belongs to `owner` alone. */
static int secret_check_stat(const char *path, const struct stat *st, uid_t owner, SecretOrigin origin,
                             char **reterr_message) {
        char user[32], found[32];

        if (S_ISDIR(st->st_mode))
                return fail(reterr_message, -EISDIR,
                            "%s is a directory: expected the file that holds the secret", path);
        if (!S_ISREG(st->st_mode))
                return fail(reterr_message, -EBADFD,
                            "%s is not a regular file: expected the file that holds the secret",
                            path);
        if (!secret_owner_ok(st, owner, origin))
                return fail(reterr_message, -EPERM,
                            "%s belongs to %s, but must belong to %s: 'chown %s %s', or "
                            "use LoadCredential= in chorusd.service",
                            path, user_name(st->st_uid, found), user_name(owner, user),
                            user_name(owner, user), path);
        if (!secret_mode_ok(st, origin))
                return fail(reterr_message, -EPERM,
                            "%s has mode %04o: group or others may read or change it; "
                            "'chmod 600 %s'",
                            path, (unsigned) (st->st_mode & 07777), path);
        if (st->st_size > CREDENTIAL_SIZE_MAX)
                return fail(reterr_message, -EFBIG,
                            "%s is %" PRIdMAX " bytes, more than the %d a secret may have: "
                            "is it the right file?",
                            path, (intmax_t) st->st_size, CREDENTIAL_SIZE_MAX);
        return 0;
}

/* Reads until end of file or `max` bytes. Returns the count or -errno. */
static ssize_t read_all(int fd, char *buf, size_t max) {
        size_t n = 0;

        while (n < max) {
                ssize_t k = fs_read(fd, buf + n, max - n);
                if (k < 0)
                        return k;
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        return (ssize_t) n;
}

/* The content: one trailing newline removed, nothing else changed, and
 * nothing that cannot be a password (a NUL, a line break, a control). */
static int secret_check_content(const char *path, char *buf, size_t n, char **reterr_message) {
        if (n > CREDENTIAL_SIZE_MAX)
                return fail(reterr_message, -EFBIG,
                            "%s has more than %d bytes: is it the right file?", path,
                            CREDENTIAL_SIZE_MAX);
        if (n > 0 && buf[n - 1] == '\n')
                buf[--n] = '\0';
        if (n == 0)
                return fail(reterr_message, -ENODATA, "%s is empty: write the secret into it",
                            path);
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) buf[i] < 0x20 || buf[i] == 0x7F)
                        return fail(reterr_message, -EBADMSG,
                                    "%s contains a line break or a control character "
                                    "(byte %zu): a secret is a single line with at most one "
                                    "final newline (a Windows CR counts too); rewrite the file",
                                    path, i + 1);
        return 0;
}

static int secret_read(const char *path, uid_t owner, SecretOrigin origin, char **ret,
                       char **reterr_message) {
        _cleanup_(secret_buffer_freep) char *buf = NULL;
        _cleanup_(closep) int fd = -1;
        struct stat st;
        ssize_t n;
        int r;

        assert(path);
        fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return secret_open_failed(path, owner, reterr_message);
        if (fstat(fd, &st) < 0) {
                r = negative_errno();
                return fail(reterr_message, r, "cannot stat %s: %s", path, strerror(-r));
        }
        r = secret_check_stat(path, &st, owner, origin, reterr_message);
        if (r < 0)
                return r;

        credentials_forbid_core_dumps(); /* before the first secret is in memory */
        buf = credentials_secret_alloc(SECRET_BUFFER_SIZE);
        if (!buf)
                return -ENOMEM;
        /* st_size was a hint: read one byte more than allowed to be sure. */
        n = read_all(fd, buf, SECRET_BUFFER_SIZE - 1);
        if (n < 0)
                return fail(reterr_message, (int) n, "cannot read %s: %s", path,
                            strerror((int) -n));
        r = secret_check_content(path, buf, (size_t) n, reterr_message);
        if (r < 0)
                return r;
        if (ret)
                *ret = TAKE_PTR(buf);
        return 0;
}

int credentials_read_file(const char *path, char **ret, char **reterr_message) {
        return secret_read(path, geteuid(), SECRET_ORIGIN_FILE, ret, reterr_message);
}

int credentials_check_file(const char *path, uid_t owner, char **reterr_message) {
        return secret_read(path, owner, SECRET_ORIGIN_FILE, /* ret= */ NULL, reterr_message);
}

int credentials_check_systemd_file(const char *path, char **reterr_message) {
        return secret_read(path, geteuid(), SECRET_ORIGIN_SYSTEMD, /* ret= */ NULL, reterr_message);
}

int credentials_path(const char *configured, const char *name, char **ret) {
        const char *dir;
        char *p;

        assert(name);
        assert(ret);
        if (!isempty(configured)) {
                p = strdup(configured);
                if (!p)
                        return -ENOMEM;
                *ret = p;
                return 0;
        }
        dir = getenv("CREDENTIALS_DIRECTORY");
        if (isempty(dir))
                return -ENOENT;
        if (asprintf(&p, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        *ret = p;
        return 0;
}

int credentials_source_path(const char *config_path, const char *name, char **ret) {
        _cleanup_(freep) char *copy = NULL;

        assert(config_path);
        assert(name);
        assert(ret);
        copy = strdup(config_path);
        if (!copy || asprintf(ret, "%s/" CREDENTIALS_SOURCE_DIR "/%s", dirname(copy), name) < 0)
                return -ENOMEM;
        return 0;
}

/* One secret: where it is, then what it is. `config_path` non-NULL lets a
 * command run by hand read the LoadCredential= source beside the
 * configuration when neither [chorus] nor $CREDENTIALS_DIRECTORY names one. */
static int credentials_load_one(const char *configured, const char *config_path, const char *name,
                                const char *key, const char *what, char **ret, char **reterr_message) {
        _cleanup_(freep) char *path = NULL;
        SecretOrigin origin = isempty(configured) ? SECRET_ORIGIN_SYSTEMD : SECRET_ORIGIN_FILE;
        int r;

        r = credentials_path(configured, name, &path);
        if (r == -ENOENT && config_path) {
                origin = SECRET_ORIGIN_FILE;
                r = credentials_source_path(config_path, name, &path);
                if (r < 0)
                        return r;
                if (access(path, F_OK) < 0 && errno == ENOENT)
                        return fail(reterr_message, -ENOENT,
                                    "no file for the %s: %s is empty, $CREDENTIALS_DIRECTORY "
                                    "is not set and %s does not exist; create it (mode 0600) or set %s",
                                    what, key, path, key);
        } else if (r == -ENOENT)
                return fail(reterr_message, r,
                            "no file for the %s: $CREDENTIALS_DIRECTORY is not set and "
                            "%s is empty; start chorusd from chorusd.service "
                            "(LoadCredential=%s:/etc/chorusd/credentials/%s) or set %s",
                            what, key, name, name, key);
        if (r < 0)
                return r;
        return secret_read(path, geteuid(), origin, ret, reterr_message);
}

static int load_both(const ChorusConfig *c, const char *config_path, ChorusSecrets *ret,
                     char **reterr_message) {
        _cleanup_(secret_buffer_freep) char *client_secret = NULL, *cpro_password = NULL;
        int r;

        assert(c);
        assert(ret);
        r = credentials_load_one(c->client_secret_file, config_path, CREDENTIAL_CLIENT_SECRET,
                                 "[chorus] client_secret_file", "PISTE client secret", &client_secret,
                                 reterr_message);
        if (r < 0)
                return r;
        r = credentials_load_one(c->cpro_password_file, config_path, CREDENTIAL_CPRO_PASSWORD,
                                 "[chorus] cpro_password_file", "Chorus Pro technical account password",
                                 &cpro_password, reterr_message);
        if (r < 0)
                return r;
        ret->client_secret = TAKE_PTR(client_secret);
        ret->cpro_password = TAKE_PTR(cpro_password);
        return 0;
}

int credentials_load(const ChorusConfig *c, ChorusSecrets *ret, char **reterr_message) {
        return load_both(c, /* config_path= */ NULL, ret, reterr_message);
}

int credentials_load_by_hand(const ChorusConfig *c, const char *config_path, ChorusSecrets *ret,
                             char **reterr_message) {
        assert(config_path);
        return load_both(c, config_path, ret, reterr_message);
}

int credentials_load_smtp_password(const NotifyConfig *n, char **ret, char **reterr_message) {
        assert(n);
        assert(ret);
        if (!n->smtp_url || !n->smtp_user) {
                *ret = NULL;
                return 0;
        }
        return credentials_load_one(n->smtp_password_file, /* config_path= */ NULL, CREDENTIAL_SMTP_PASSWORD,
                                    "[notify] smtp_password_file", "SMTP password", ret, reterr_message);
}

/* ---- The audit key ----------------------------------------------------------------- */

static int unhex(char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int credentials_audit_key_path(const char *config_path, char **ret) {
        const char *dir = getenv("CREDENTIALS_DIRECTORY");

        if (!isempty(dir))
                return asprintf(ret, "%s/%s", dir, CREDENTIAL_AUDIT_KEY) < 0 ? -ENOMEM : 1;
        if (!config_path)
                return -ENOENT;
        return credentials_source_path(config_path, CREDENTIAL_AUDIT_KEY, ret) < 0 ? -ENOMEM : 0;
}

static int audit_key_read(const char *path, SecretOrigin origin, uint8_t **ret, char **reterr_message) {
        _cleanup_(secret_buffer_freep) char *text = NULL;
        uint8_t *key;
        int r;

        r = secret_read(path, geteuid(), origin, &text, reterr_message);
        if (r < 0)
                return r;
        if (strlen(text) != 2 * AUDIT_KEY_BYTES)
                return fail(reterr_message, -EBADMSG,
                            "%s is not an audit key (%d hexadecimal digits): 'chorusctl audit init' "
                            "writes one",
                            path, 2 * AUDIT_KEY_BYTES);
        key = credentials_secret_alloc(AUDIT_KEY_BYTES);
        if (!key)
                return -ENOMEM;
        for (size_t i = 0; i < AUDIT_KEY_BYTES; i++) {
                int hi = unhex(text[2 * i]), lo = unhex(text[2 * i + 1]);
                if (hi < 0 || lo < 0) {
                        credentials_secret_free(key);
                        return fail(reterr_message, -EBADMSG,
                                    "%s is not an audit key (%d hexadecimal digits): 'chorusctl audit "
                                    "init' writes one",
                                    path, 2 * AUDIT_KEY_BYTES);
                }
                key[i] = (uint8_t) (hi << 4 | lo);
        }
        *ret = key;
        return 0;
}

int credentials_read_audit_key(const char *path, uint8_t **ret, char **reterr_message) {
        return audit_key_read(path, SECRET_ORIGIN_FILE, ret, reterr_message);
}

int credentials_load_audit_key(const char *config_path, uint8_t **ret, char **reterr_message) {
        _cleanup_(freep) char *path = NULL;
        int r;

        assert(ret);
        r = credentials_audit_key_path(config_path, &path);
        if (r < 0)
                return r;
        if (access(path, F_OK) < 0 && errno == ENOENT)
                return -ENOENT; /* no key configured */
        return audit_key_read(path, r > 0 ? SECRET_ORIGIN_SYSTEMD : SECRET_ORIGIN_FILE, ret, reterr_message);
}

void chorus_secrets_done(ChorusSecrets *s) {
        if (!s)
                return;
        s->client_secret = credentials_secret_free(s->client_secret);
        s->cpro_password = credentials_secret_free(s->cpro_password);
}
