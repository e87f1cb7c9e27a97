/* notify.c — sd_notify(3) messages to systemd (see notify.h).
 *
 * $NOTIFY_SOCKET is kept in the environment (unset_environment = 0): the
 * daemon notifies for its whole life, and never execs anything. */
#include <stdarg.h>
#include <stdint.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "base/fsutil.h"
#include "base/log.h"
#include "service/notify.h"

static int notify_send(const char *what, const char *format, ...) _printf_(2, 3);

static int notify_send(const char *what, const char *format, ...) {
        va_list ap;
        char *message = NULL;
        int r;

        va_start(ap, format);
        r = vasprintf(&message, format, ap);
        va_end(ap);
        if (r < 0)
                return log_oom();
        r = sd_notify(/* unset_environment= */ 0, message);
        free(message);
        if (r < 0)
                return log_debug_errno(r, "Failed to notify systemd (%s), ignoring: %m", what);
        return 0;
}

int notify_ready(const char *status) {
        return notify_send("ready", "READY=1\nSTATUS=%s", strempty(status));
}

int notify_status(const char *status) {
        return notify_send("status", "STATUS=%s", strempty(status));
}

int notify_reloading(void) {
        uint64_t usec = now_clock_usec(CLOCK_MONOTONIC);

        return notify_send("reloading", "RELOADING=1\nSTATUS=Reloading configuration...\nMONOTONIC_USEC=%llu",
                           (unsigned long long) usec);
}

int notify_stopping(const char *status) {
        return notify_send("stopping", "STOPPING=1\nSTATUS=%s", strempty(status));
}
