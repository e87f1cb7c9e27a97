/* systemd_lazy.c — libsystemd, loaded when first called (issue 14).
 *
 * libsystemd brings libgcrypt, libgpg-error, liblzma, libzstd, liblz4 and
 * libcap with it: 0.8 MiB of the peak RSS of every chorusctl, relocated at
 * each exec, though `chorusctl render` never uses an event loop, the
 * journal or sd_notify. So the binaries are not linked with -lsystemd:
 * this file defines the sd-event, sd-journal and sd-daemon functions we
 * call and forwards them to libsystemd.so.0 dlopen()ed at the first call
 * (chorusd calls sd_event_new() at start, so it loads it then, as before;
 * the tests link libsystemd themselves, and dlopen() returns it).
 *
 * If it cannot be loaded the reason goes to stderr once (not through
 * log.c: its journal output comes here) and every call fails as
 * libsystemd's own do (-ENOSYS, NULL), so that the callers' error paths
 * apply: chorusd cannot make its event loop and stops at start, and log.c
 * falls back on stderr. The loading is base/lazy_library.c's. */
/* The functions themselves, not sd-journal.h's macros that add the location. */
#define SD_JOURNAL_SUPPRESS_LOCATION 1
#include <errno.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <systemd/sd-journal.h>

#include "base/lazy_library.h"

/* On stderr: log.c's journal output comes here. */
static LazyLibrary systemd_library = LAZY_LIBRARY("libsystemd.so.0", true);

#define SYSTEMD_LAZY(ret, name, params, args, fail) LAZY_FORWARD(systemd_library, ret, name, params, args, fail)

typedef sd_event Event;
typedef sd_event_source Source;

SYSTEMD_LAZY(int, sd_event_new, (Event **e), (e), -ENOSYS)
SYSTEMD_LAZY(Event *, sd_event_ref, (Event *e), (e), NULL)
SYSTEMD_LAZY(Event *, sd_event_unref, (Event *e), (e), NULL)
SYSTEMD_LAZY(int, sd_event_run, (Event *e, uint64_t usec), (e, usec), -ENOSYS)
SYSTEMD_LAZY(int, sd_event_loop, (Event *e), (e), -ENOSYS)
SYSTEMD_LAZY(int, sd_event_exit, (Event *e, int code), (e, code), -ENOSYS)
SYSTEMD_LAZY(int, sd_event_set_watchdog, (Event *e, int b), (e, b), -ENOSYS)
SYSTEMD_LAZY(int, sd_event_add_io,
             (Event *e, Source **s, int fd, uint32_t events, sd_event_io_handler_t callback, void *userdata),
             (e, s, fd, events, callback, userdata), -ENOSYS)
SYSTEMD_LAZY(int, sd_event_add_time,
             (Event *e, Source **s, clockid_t clock, uint64_t usec, uint64_t accuracy,
              sd_event_time_handler_t callback, void *userdata),
             (e, s, clock, usec, accuracy, callback, userdata), -ENOSYS)
SYSTEMD_LAZY(int, sd_event_add_time_relative,
             (Event *e, Source **s, clockid_t clock, uint64_t usec, uint64_t accuracy,
              sd_event_time_handler_t callback, void *userdata),
             (e, s, clock, usec, accuracy, callback, userdata), -ENOSYS)
SYSTEMD_LAZY(int, sd_event_add_signal,
             (Event *e, Source **s, int sig, sd_event_signal_handler_t callback, void *userdata),
             (e, s, sig, callback, userdata), -ENOSYS)
SYSTEMD_LAZY(int, sd_event_add_defer, (Event *e, Source **s, sd_event_handler_t callback, void *userdata),
             (e, s, callback, userdata), -ENOSYS)
SYSTEMD_LAZY(int, sd_event_add_post, (Event *e, Source **s, sd_event_handler_t callback, void *userdata),
             (e, s, callback, userdata), -ENOSYS)
SYSTEMD_LAZY(int, sd_event_add_inotify,
             (Event *e, Source **s, const char *path, uint32_t mask, sd_event_inotify_handler_t callback,
              void *userdata),
             (e, s, path, mask, callback, userdata), -ENOSYS)
SYSTEMD_LAZY(Source *, sd_event_source_disable_unref, (Source *s), (s), NULL)
SYSTEMD_LAZY(int, sd_event_source_get_enabled, (Source *s, int *enabled), (s, enabled), -ENOSYS)
SYSTEMD_LAZY(int, sd_event_source_set_enabled, (Source *s, int enabled), (s, enabled), -ENOSYS)
SYSTEMD_LAZY(int, sd_event_source_set_description, (Source *s, const char *description), (s, description),
             -ENOSYS)
SYSTEMD_LAZY(int, sd_event_source_set_io_events, (Source *s, uint32_t events), (s, events), -ENOSYS)
SYSTEMD_LAZY(int, sd_event_source_set_priority, (Source *s, int64_t priority), (s, priority), -ENOSYS)
SYSTEMD_LAZY(int, sd_event_source_set_time, (Source *s, uint64_t usec), (s, usec), -ENOSYS)
SYSTEMD_LAZY(int, sd_event_source_set_time_relative, (Source *s, uint64_t usec), (s, usec), -ENOSYS)

SYSTEMD_LAZY(int, sd_journal_sendv, (const struct iovec *iov, int n), (iov, n), -ENOSYS)
SYSTEMD_LAZY(int, sd_journal_sendv_with_location,
             (const char *file, const char *line, const char *func, const struct iovec *iov, int n),
             (file, line, func, iov, n), -ENOSYS)
SYSTEMD_LAZY(int, sd_journal_open, (sd_journal **ret, int flags), (ret, flags), -ENOSYS)
SYSTEMD_LAZY(int, sd_journal_open_directory, (sd_journal **ret, const char *path, int flags), (ret, path, flags),
             -ENOSYS)
SYSTEMD_LAZY(int, sd_journal_add_match, (sd_journal *j, const void *data, size_t size), (j, data, size), -ENOSYS)
SYSTEMD_LAZY(int, sd_journal_get_data, (sd_journal *j, const char *field, const void **data, size_t *size),
             (j, field, data, size), -ENOSYS)
SYSTEMD_LAZY(int, sd_journal_seek_head, (sd_journal *j), (j), -ENOSYS)
SYSTEMD_LAZY(int, sd_journal_next, (sd_journal *j), (j), -ENOSYS)

LAZY_FORWARD_VOID(systemd_library, sd_journal_close, (sd_journal *j), (j))

SYSTEMD_LAZY(int, sd_notify, (int unset_environment, const char *state), (unset_environment, state), -ENOSYS)
