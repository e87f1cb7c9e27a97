/* notify.h — what chorusd tells systemd through sd_notify(3): READY=1,
 * STATUS=, RELOADING=1 (with MONOTONIC_USEC=), STOPPING=1. Watchdog pings
 * (WATCHDOG=1) come from sd_event_set_watchdog() in the manager.
 *
 * Without $NOTIFY_SOCKET (a run outside systemd) every call does nothing and
 * returns 0. A failure to notify is logged at debug level and ignored: the
 * service must not stop because the supervisor went away. */
#pragma once

/* READY=1 with a STATUS= line. */
int notify_ready(const char *status);
/* STATUS= alone. */
int notify_status(const char *status);
/* RELOADING=1 and MONOTONIC_USEC=now, as systemd 253's notify-reload wants
 * (harmless with 252's Type=notify). */
int notify_reloading(void);
/* STOPPING=1 with a STATUS= line. */
int notify_stopping(const char *status);
