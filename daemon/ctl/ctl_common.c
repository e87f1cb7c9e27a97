/* ctl_common.c — what chorusctl's commands share: loading the configuration
 * and the conventions with their diagnostics printed, usage errors. */
#include <grp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chorus/credentials.h"
#include "ctl/ctl.h"
#include "base/identifiers.h"
#include "service/convention_dir.h"
#include "service/jobstate.h"

int ctl_exit_config(int r) {
        /* Invalid, missing or unreadable alike: the administrator must fix
         * the configuration, and trying again changes nothing. */
        return r == -ENOMEM ? CTL_EXIT_SOFTWARE : CTL_EXIT_CONFIG;
}

int ctl_exit_input(int r) {
        switch (r) {
        case -ENOENT:
        case -ENOTDIR:
        case -EACCES:
        case -EPERM:
        case -ELOOP:  /* a symbolic link, refused like the spool refuses it */
        case -EISDIR:
        case -EBADFD: /* not a regular file */
                return CTL_EXIT_NOINPUT;
        case -EBADMSG:
                return CTL_EXIT_DATAERR;
        case -ENOMEM:
                return CTL_EXIT_SOFTWARE;
        default:
                return CTL_EXIT_IOERR;
        }
}

int ctl_exit_output(int r) {
        return r == -ENOMEM ? CTL_EXIT_SOFTWARE : CTL_EXIT_IOERR;
}

int ctl_load_config(const char *path, Config **ret) {
        Diagnostics diags = DIAGNOSTICS_INIT;
        const char *p = path ? path : CONFIG_DEFAULT_PATH;
        int r;

        r = config_load(p, ret, &diags);
        diagnostics_print(&diags, stderr, /* french= */ false);
        diagnostics_clear(&diags);
        if (r < 0 && r != -EINVAL)
                fprintf(stderr, "chorusctl: cannot read configuration '%s': %s\n", p, strerror(-r));
        return r < 0 ? r : 0;
}

int ctl_load_conventions(const Config *config, ConventionSet **ret) {
        Diagnostics diags = DIAGNOSTICS_INIT;
        int r;

        r = convention_set_load_dir(config->conventions.dir, ret, &diags);
        diagnostics_print(&diags, stderr, /* french= */ false);
        diagnostics_clear(&diags);
        if (r < 0 && r != -EINVAL)
                fprintf(stderr, "chorusctl: cannot read conventions in '%s': %s\n",
                        config->conventions.dir, strerror(-r));
        return r < 0 ? r : 0;
}

int ctl_index_conventions(const Config *config, ConventionSet **ret) {
        Diagnostics diags = DIAGNOSTICS_INIT;
        int r;

        r = convention_set_index_dir(config->conventions.dir, ret, &diags);
        diagnostics_print(&diags, stderr, /* french= */ false);
        diagnostics_clear(&diags);
        if (r < 0)
                fprintf(stderr, "chorusctl: cannot read conventions in '%s': %s\n",
                        config->conventions.dir, strerror(-r));
        return r < 0 ? r : 0;
}

int ctl_usage_error(const char *command, const char *format, ...) {
        va_list ap;

        fprintf(stderr, "chorusctl %s: ", command);
        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        fprintf(stderr, "\nTry 'chorusctl %s --help'.\n", command);
        return CTL_EXIT_USAGE;
}

const char *ctl_printable(const char *s, char buf[static CTL_PRINTABLE_MAX]) {
        size_t i = 0;

        while (s && s[i] && i < CTL_PRINTABLE_MAX - 1) {
                size_t c = utf8_control_len(s + i);

                if (c == 0) {
                        buf[i] = s[i];
                        i++;
                }
                for (; c > 0 && i < CTL_PRINTABLE_MAX - 1; c--)
                        buf[i++] = '?'; /* byte for byte */
        }
        buf[i] = 0;
        return buf;
}

int ctl_become_state_owner(const Config *config) {
        struct stat st;

        if (geteuid() != 0)
                return 0;
        if (stat(config->state.dir, &st) < 0)
                return -errno;
        if (st.st_uid == 0)
                return 0;
        if (setgroups(0, NULL) < 0 || setgid(st.st_gid) < 0 || setuid(st.st_uid) < 0)
                return -errno;
        return 0;
}

int ctl_audit_append(const Config *config, const AuditRecord *rec, char **ret_message) {
        _cleanup_(freep) char *path = NULL, *message = NULL;
        _cleanup_(audit_freep) AuditLog *a = NULL;
        uint8_t *key = NULL;
        int r;

        if (asprintf(&path, "%s/%s", config->state.dir, AUDIT_LOG_FILE) < 0) {
                path = NULL;
                return -ENOMEM;
        }
        /* Keyed as the daemon keys it: an unkeyed record would break the chain. */
        r = credentials_load_audit_key(config->path, &key, &message);
        if (r < 0 && r != -ENOENT) {
                if (ret_message)
                        *ret_message = TAKE_PTR(message);
                return r;
        }
        r = audit_open_keyed(path, key, &a);
        credentials_secret_free(key);
        if (r >= 0)
                r = audit_append(a, rec);
        if (r < 0 && ret_message && asprintf(ret_message, "%s: %s", path, strerror(-r)) < 0)
                *ret_message = NULL;
        return r;
}

bool ctl_line_is_valid(const char *s, size_t max) {
        size_t n = strlen(s);

        if (n == 0 || n > max || !utf8_text_is_valid(s, n))
                return false;
        for (const char *p = s; *p; p++)
                if (utf8_control_len(p) > 0)
                        return false;
        return true;
}

int ctl_load_job(const char *command, JobStore *store, const char *state_dir, const char *id, Job **ret) {
        const char *sep = command ? " " : "";
        int r = jobstore_load(store, id, ret, NULL);

        if (r == -ENOENT) {
                fprintf(stderr, "chorusctl%s%s: no job %s in %s\n", sep, strempty(command), id, state_dir);
                return CTL_EXIT_NOINPUT;
        }
        if (r < 0) {
                fprintf(stderr, "chorusctl%s%s: cannot read job %s: %s\n", sep, strempty(command), id, strerror(-r));
                return ctl_exit_input(r);
        }
        return CTL_EXIT_OK;
}
