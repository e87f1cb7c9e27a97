/* log.h — one line per event a human cares about, to the journal or stderr.
 *
 * Every message carries MESSAGE=, PRIORITY= and, where known, the job context
 * (CHORUSD_JOB=, CHORUSD_CONVENTION=, CHORUSD_INVOICE=, CHORUSD_FLUX=,
 * CHORUSD_CPP_ID=), ERRNO= and a MESSAGE_ID= for key events (log-ids.h). The
 * caller's file, line and function are recorded, not log.c's.
 *
 * Targets: the journal; or stderr as "LEVEL: message key=value…" when stderr
 * is a TTY, when asked (--log-target=stderr, tests), or when the journal
 * cannot be reached: with "auto", when LOG_JOURNAL_SOCKET is not a socket
 * (no journald), and with any target when sd-journal refuses a message.
 * Secrets must never be passed to these functions.
 *
 * The *_errno() variants return -abs(error), so that
 *     return log_error_errno(r, "Failed to claim '%s': %m", name);
 * logs once and propagates. %m formats `error`, not the current errno. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

#include "base/macro.h"

typedef enum LogTarget {
        LOG_TARGET_AUTO,
        LOG_TARGET_JOURNAL,
        LOG_TARGET_STDERR,
        LOG_TARGET_NULL,
        _LOG_TARGET_MAX,
        _LOG_TARGET_INVALID = -EINVAL,
} LogTarget;

/* Job context attached to a message. Any field may be NULL. */
typedef struct LogFields {
        const char *job;
        const char *convention;
        const char *invoice;
        const char *flux;
        const char *cpp_id;
} LogFields;

/* journald's native socket, the one sd-journal writes to. */
#define LOG_JOURNAL_SOCKET "/run/systemd/journal/socket"

void log_set_target(LogTarget target);
/* Where "auto" looks for journald (NULL: LOG_JOURNAL_SOCKET). For tests. */
void log_set_journal_socket(const char *path);
LogTarget log_target_from_string(const char *s);
void log_set_max_level(int level);
int log_get_max_level(void);
/* Name used as SYSLOG_IDENTIFIER= and as the stderr prefix. */
void log_set_identifier(const char *identifier);
/* Parses $CHORUSD_LOG_LEVEL (debug, info, notice, warning, err) and
 * $CHORUSD_LOG_TARGET, if set. Returns 0 or -EINVAL (the setting is ignored). */
int log_parse_environment(void);

/* The audit log's anchor (audit.c): one journal entry per record appended,
 * with CHORUSD_AUDIT_FILE= (absolute path), CHORUSD_AUDIT_SEQ= and
 * CHORUSD_AUDIT_HEAD= (the SHA-256 of the line). Sent only when the
 * messages go to the journal. */
void log_audit_anchor(const char *path, uint64_t seq, const char *head, const char *event);

int log_internal(int level, int error, const LogFields *fields, const char *message_id,
                 const char *file, int line, const char *func, const char *format, ...)
        _printf_(8, 9);

#define log_full_errno_fields(level, error, fields, message_id, ...)                          \
        __extension__({                                                                       \
                int _level_ = (level), _e_ = (error);                                         \
                _level_ <= log_get_max_level()                                                \
                        ? log_internal(_level_, _e_, (fields), (message_id), __FILE__,        \
                                       __LINE__, __func__, __VA_ARGS__)                       \
                        : -(_e_ < 0 ? -_e_ : _e_);                                            \
        })

#define log_full_errno(level, error, ...) log_full_errno_fields(level, error, NULL, NULL, __VA_ARGS__)
#define log_full(level, ...) (void) log_full_errno(level, 0, __VA_ARGS__)

#define log_debug(...) log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_full(LOG_ERR, __VA_ARGS__)

#define log_debug_errno(error, ...) log_full_errno(LOG_DEBUG, error, __VA_ARGS__)
#define log_info_errno(error, ...) log_full_errno(LOG_INFO, error, __VA_ARGS__)
#define log_warning_errno(error, ...) log_full_errno(LOG_WARNING, error, __VA_ARGS__)
#define log_error_errno(error, ...) log_full_errno(LOG_ERR, error, __VA_ARGS__)
#define log_crit_errno(error, ...) log_full_errno(LOG_CRIT, error, __VA_ARGS__)

/* A job event: context fields and an optional MESSAGE_ID (log-ids.h). */
#define log_job(level, fields, message_id, ...) \
        (void) log_full_errno_fields(level, 0, fields, message_id, __VA_ARGS__)
#define log_job_errno(level, error, fields, message_id, ...) \
        log_full_errno_fields(level, error, fields, message_id, __VA_ARGS__)

/* Logs an allocation failure and returns -ENOMEM. */
#define log_oom() log_error_errno(-ENOMEM, "Out of memory.")
