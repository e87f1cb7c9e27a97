/* log.c — journal and stderr output (see log.h).
 *
 * SD_JOURNAL_SUPPRESS_LOCATION keeps sd-journal from stamping every entry
 * with log.c's own location: we pass the caller's through
 * sd_journal_sendv_with_location(). If the journal refuses a message, the
 * message goes to stderr instead: a log line is never silently dropped.
 * sd-journal reports success even when no journald listens (a datagram to
 * a missing socket is not an error it sees), so "auto" first looks for the
 * socket itself: no socket, stderr. */
#define SD_JOURNAL_SUPPRESS_LOCATION 1

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "base/log.h"

static LogTarget log_target = LOG_TARGET_AUTO;
static int log_max_level = LOG_INFO;
static const char *log_identifier = "chorusd";
static const char *log_journal_socket = LOG_JOURNAL_SOCKET;

static const char *const log_target_table[_LOG_TARGET_MAX] = {
        [LOG_TARGET_AUTO] = "auto",
        [LOG_TARGET_JOURNAL] = "journal",
        [LOG_TARGET_STDERR] = "stderr",
        [LOG_TARGET_NULL] = "null",
};

static const char *const level_table[] = {
        [LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
        [LOG_ERR] = "error",   [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
        [LOG_INFO] = "info",   [LOG_DEBUG] = "debug",
};

void log_set_target(LogTarget target) {
        log_target = target;
}

LogTarget log_target_from_string(const char *s) {
        for (size_t i = 0; s && i < ELEMENTSOF(log_target_table); i++)
                if (streq(s, log_target_table[i]))
                        return (LogTarget) i;
        return _LOG_TARGET_INVALID;
}

void log_set_max_level(int level) {
        log_max_level = level;
}

int log_get_max_level(void) {
        return log_max_level;
}

void log_set_identifier(const char *identifier) {
        log_identifier = identifier;
}

static int log_level_from_string(const char *s) {
        for (size_t i = 0; i < ELEMENTSOF(level_table); i++)
                if (streq(s, level_table[i]))
                        return (int) i;
        if (streq(s, "err"))
                return LOG_ERR;
        return -EINVAL;
}

int log_parse_environment(void) {
        const char *e;
        int r = 0;

        e = getenv("CHORUSD_LOG_LEVEL");
        if (e) {
                int level = log_level_from_string(e);
                if (level < 0)
                        r = -EINVAL;
                else
                        log_set_max_level(level);
        }
        e = getenv("CHORUSD_LOG_TARGET");
        if (e) {
                LogTarget t = log_target_from_string(e);
                if (t < 0)
                        r = -EINVAL;
                else
                        log_set_target(t);
        }
        return r;
}

void log_set_journal_socket(const char *path) {
        log_journal_socket = path ? path : LOG_JOURNAL_SOCKET;
}

/* journald listens: its socket exists and is a socket. Looked at for every
 * message (one stat), so a journald started after us is used too. */
static bool log_journal_reachable(void) {
        struct stat st;

        return stat(log_journal_socket, &st) >= 0 && S_ISSOCK(st.st_mode);
}

static LogTarget log_effective_target(void) {
        if (log_target != LOG_TARGET_AUTO)
                return log_target;
        if (isatty(STDERR_FILENO))
                return LOG_TARGET_STDERR;
        return log_journal_reachable() ? LOG_TARGET_JOURNAL : LOG_TARGET_STDERR;
}

typedef struct FieldName {
        const char *journal;
        const char *short_name;
} FieldName;

static const FieldName context_names[] = {
        { "CHORUSD_JOB", "job" },         { "CHORUSD_CONVENTION", "convention" },
        { "CHORUSD_INVOICE", "invoice" }, { "CHORUSD_FLUX", "flux" },
        { "CHORUSD_CPP_ID", "cpp_id" },
};

static void context_values(const LogFields *f, const char *values[static 5]) {
        values[0] = f ? f->job : NULL;
        values[1] = f ? f->convention : NULL;
        values[2] = f ? f->invoice : NULL;
        values[3] = f ? f->flux : NULL;
        values[4] = f ? f->cpp_id : NULL;
}

/* Appends to line[*n..size), truncating: a long message is cut, never lost. */
static void line_append(char *line, size_t size, size_t *n, const char *format, ...) _printf_(4, 5);
static void line_append(char *line, size_t size, size_t *n, const char *format, ...) {
        va_list ap;
        int k;

        if (*n >= size - 1)
                return;
        va_start(ap, format);
        k = vsnprintf(line + *n, size - *n, format, ap);
        va_end(ap);
        if (k > 0)
                *n = *n + (size_t) k < size ? *n + (size_t) k : size - 1;
}

/* "LEVEL: message key=value…", assembled first and written with one call so
 * that a reader of a shared pipe never sees half a line. Control characters
 * become spaces: a message quoting a server or a file name must stay one
 * line (under systemd each stderr line is a journal entry of its own), and
 * must not forge one. */
static void log_to_stderr(int level, const char *message, const LogFields *fields) {
        const char *values[5];
        char line[4096];
        size_t n = 0;

        context_values(fields, values);
        line_append(line, sizeof line, &n, "%s: %s", level_table[level & LOG_PRIMASK], message);
        for (size_t i = 0; i < ELEMENTSOF(context_names); i++)
                if (values[i])
                        line_append(line, sizeof line, &n, " %s=%s", context_names[i].short_name, values[i]);
        for (char *p = line; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        *p = ' ';
        fprintf(stderr, "%s\n", line);
}

/* Adds one "FIELD=value" to strings[*n]. asprintf() leaves its pointer
 * undefined on failure: it is counted (and freed) only on success. */
static int field_add(char **strings, int *n, const char *format, ...) _printf_(3, 4);
static int field_add(char **strings, int *n, const char *format, ...) {
        va_list ap;
        int k;

        va_start(ap, format);
        k = vasprintf(&strings[*n], format, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        (*n)++;
        return 0;
}

static int log_to_journal(int level, int error, const char *message, const LogFields *fields,
                          const char *message_id, const char *file, int line, const char *func) {
        char *strings[12] = {};
        struct iovec iov[12];
        const char *values[5];
        char code_file[512], code_line[32];
        int n = 0, r = -ENOMEM;

        context_values(fields, values);
        if (field_add(strings, &n, "MESSAGE=%s", message) < 0 ||
            field_add(strings, &n, "PRIORITY=%i", level & LOG_PRIMASK) < 0 ||
            field_add(strings, &n, "SYSLOG_IDENTIFIER=%s", log_identifier) < 0)
                goto done;
        if (error != 0 && field_add(strings, &n, "ERRNO=%i", error < 0 ? -error : error) < 0)
                goto done;
        if (message_id && field_add(strings, &n, "MESSAGE_ID=%s", message_id) < 0)
                goto done;
        for (size_t i = 0; i < ELEMENTSOF(context_names); i++)
                if (values[i] && field_add(strings, &n, "%s=%s", context_names[i].journal, values[i]) < 0)
                        goto done;
        for (int i = 0; i < n; i++)
                iov[i] = (struct iovec){ .iov_base = strings[i], .iov_len = strlen(strings[i]) };
        snprintf(code_file, sizeof code_file, "CODE_FILE=%s", file);
        snprintf(code_line, sizeof code_line, "CODE_LINE=%i", line);
        r = sd_journal_sendv_with_location(code_file, code_line, func, iov, n);
done:
        for (int i = 0; i < n; i++)
                free(strings[i]);
        return r;
}

void log_audit_anchor(const char *path, uint64_t seq, const char *head, const char *event) {
        char *strings[6] = {};
        struct iovec iov[6];
        int n = 0;

        if (log_effective_target() != LOG_TARGET_JOURNAL)
                return;
        /* sd_journal_sendv(), not the variadic sd_journal_send(): libsystemd
         * is loaded lazily (systemd_lazy.c), which cannot forward varargs. */
        if (field_add(strings, &n, "MESSAGE=Audit record %" PRIu64 " (%s) appended to %s.", seq, event,
                      path) >= 0 &&
            field_add(strings, &n, "PRIORITY=%i", LOG_INFO) >= 0 &&
            field_add(strings, &n, "SYSLOG_IDENTIFIER=%s", log_identifier) >= 0 &&
            field_add(strings, &n, "CHORUSD_AUDIT_FILE=%s", path) >= 0 &&
            field_add(strings, &n, "CHORUSD_AUDIT_SEQ=%" PRIu64, seq) >= 0 &&
            field_add(strings, &n, "CHORUSD_AUDIT_HEAD=%s", head) >= 0) {
                for (int i = 0; i < n; i++)
                        iov[i] = (struct iovec){ .iov_base = strings[i], .iov_len = strlen(strings[i]) };
                (void) sd_journal_sendv(iov, n);
        }
        for (int i = 0; i < n; i++)
                free(strings[i]);
}

int log_internal(int level, int error, const LogFields *fields, const char *message_id,
                 const char *file, int line, const char *func, const char *format, ...) {
        int saved_errno = errno;
        char message[2048];
        LogTarget target;
        va_list ap;

        if (error < 0)
                error = -error;
        if ((level & LOG_PRIMASK) > log_max_level)
                return -error;
        target = log_effective_target();
        if (target == LOG_TARGET_NULL)
                goto out;

        errno = error; /* for %m */
        va_start(ap, format);
        vsnprintf(message, sizeof message, format, ap);
        va_end(ap);

        if (target == LOG_TARGET_JOURNAL &&
            log_to_journal(level, error, message, fields, message_id, file, line, func) >= 0)
                goto out;
        log_to_stderr(level, message, fields);
out:
        errno = saved_errno;
        return -error;
}
