/* credentials.h — the two Chorus Pro secrets: the PISTE client secret and the
 * technical account password.
 *
 * They come from systemd credentials ($CREDENTIALS_DIRECTORY/piste-client-secret
 * and $CREDENTIALS_DIRECTORY/cpro-password, see LoadCredential= in
 * chorusd.service) or from the files named by client_secret_file and
 * cpro_password_file in [chorus]. Never from the command line or the
 * environment, never in a log or an error message. A file must be a regular
 * file (symlinks refused), owned by the running user, and not readable or
 * writable by group or others; anything else is refused with a message that
 * says how to fix it. In $CREDENTIALS_DIRECTORY, written by systemd, the
 * file may also be root's with an ACL granting us read access (what systemd
 * does on a file system with ACLs): nothing for others, no write for group. At most CREDENTIAL_SIZE_MAX bytes; one trailing newline
 * is removed. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "base/config.h"

#define CREDENTIAL_SIZE_MAX 4096
#define CREDENTIAL_CLIENT_SECRET "piste-client-secret"
#define CREDENTIAL_CPRO_PASSWORD "cpro-password"
/* The audit log's HMAC key: 64 hexadecimal digits (AUDIT_KEY_BYTES bytes). */
#define CREDENTIAL_AUDIT_KEY "audit-key"
#define AUDIT_KEY_BYTES 32
/* The SMTP password of [notify] smtp_user (notices, outbox.h). */
#define CREDENTIAL_SMTP_PASSWORD "smtp-password"
/* Where the LoadCredential= sources live, beside chorusd.conf. */
#define CREDENTIALS_SOURCE_DIR "credentials"

typedef struct ChorusSecrets {
        char *client_secret;
        char *cpro_password;
} ChorusSecrets;

/* Loads both secrets. Returns 0, or a negative errno with, in *reterr_message
 * (free()), a sentence for the operator naming the file and the fix — never
 * the secret. */
int credentials_load(const ChorusConfig *c, ChorusSecrets *ret, char **reterr_message);

/* The same for chorusctl run by hand (outside the service, so without
 * $CREDENTIALS_DIRECTORY): a secret that [chorus] does not name is read
 * from its LoadCredential= source, credentials/NAME beside `config_path`.
 * The file must then belong to the running user (root, as installed). */
int credentials_load_by_hand(const ChorusConfig *c, const char *config_path, ChorusSecrets *ret,
                             char **reterr_message);

/* The LoadCredential= source of secret `name`: credentials/NAME in the
 * folder of `config_path`. Returns 0 or -ENOMEM. */
int credentials_source_path(const char *config_path, const char *name, char **ret);

/* Reads one secret file with the checks above, into secret memory (free it
 * with credentials_secret_free()). */
int credentials_read_file(const char *path, char **ret, char **reterr_message);

/* The file a secret is read from: `configured` (client_secret_file or
 * cpro_password_file) if set, else $CREDENTIALS_DIRECTORY/`name`. Returns 0,
 * -ENOENT when there is neither, or -ENOMEM. */
int credentials_path(const char *configured, const char *name, char **ret);

/* The checks of credentials_read_file() for a file that must belong to
 * `owner` (chorusctl check-config, run as root, checks for the service's
 * user), reading the content only to see that it is not empty and wiping it.
 * Returns 0, or a negative errno with a message as above. */
int credentials_check_file(const char *path, uid_t owner, char **reterr_message);

/* The checks of credentials_load() for a file in $CREDENTIALS_DIRECTORY
 * (written by systemd: ours, or root's with an ACL for us). */
int credentials_check_systemd_file(const char *path, char **reterr_message);

/* Where the audit key is looked for: $CREDENTIALS_DIRECTORY/audit-key when
 * that is set (returns 1), else credentials/audit-key beside `config_path`
 * (returns 0; -ENOENT when config_path is NULL). -ENOMEM. */
int credentials_audit_key_path(const char *config_path, char **ret);

/* Loads the audit key from there, with the checks of the other secrets,
 * into secret memory (AUDIT_KEY_BYTES; credentials_secret_free()).
 * Returns 0, -ENOENT when there is no key file (no key configured: the log
 * is then unkeyed), or another negative errno with a message. */
int credentials_load_audit_key(const char *config_path, uint8_t **ret, char **reterr_message);
/* The same from a file named by hand (chorusctl audit verify --key). */
int credentials_read_audit_key(const char *path, uint8_t **ret, char **reterr_message);

/* The SMTP password, with the checks above, from [notify]
 * smtp_password_file or $CREDENTIALS_DIRECTORY/smtp-password, into secret
 * memory (credentials_secret_free()). Without smtp_url or smtp_user there is
 * none to load: 0 with *ret NULL. */
int credentials_load_smtp_password(const NotifyConfig *n, char **ret, char **reterr_message);

/* Wipes (explicit_bzero) and frees both secrets. */
void chorus_secrets_done(ChorusSecrets *s);

/* Memory for secrets kept long: zero-filled pages of their own (mmap),
 * MADV_DONTDUMP (left out of any core dump) and MADV_WIPEONFORK. Free only
 * with credentials_secret_free(), which wipes the whole mapping; it returns
 * NULL. The strings of a ChorusSecrets are such memory. alloc and strdup
 * return NULL (errno ENOMEM) on failure. */
void *credentials_secret_alloc(size_t size);
char *credentials_secret_strdup(const char *s);
void *credentials_secret_free(void *p);
static inline void credentials_secret_freep(char **p) {
        credentials_secret_free(*p);
}

/* Makes the process non-dumpable (PR_SET_DUMPABLE 0, RLIMIT_CORE 0): no
 * core dump, no ptrace by the same user, /proc/PID/mem root's. Called by
 * chorusd at start and before any secret is read (so by every chorusctl
 * command that reads one). */
void credentials_forbid_core_dumps(void);
