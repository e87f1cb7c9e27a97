/* outbox.h — the e-mail notices waiting to be sent: STATE_DIR/outbox/, one
 * file per notice, sent by smtp.h and then deleted.
 *
 * Durable: a notice is a file written by the rules of daemon/README.md
 * "Durability" (temp file, fsync, rename, fsync of the folder) before
 * outbox_add() returns; it is deleted (and the folder fsynced) only once
 * the SMTP server accepted it. A crash, a stop or an SMTP server down
 * loses nothing: the files are sent at the next start or attempt. (A crash
 * between the server's "250 OK" and the deletion sends that one twice.)
 *
 * Never blocking: sending runs in the event loop (smtp.h), one message at
 * a time; a failure is retried with backoff in elapsed time (10 s doubling
 * to 1 h, scaled down in test builds), the notices kept meanwhile. The
 * invoice pipeline never waits for it.
 *
 * Rate-limited: a notice waits OUTBOX_HOLD_USEC before it may leave, so a
 * burst gathers; when OUTBOX_DIGEST_MIN or more notices of the kind of the
 * next one are waiting, one digest (notice_digest_format) goes instead of
 * them all, listing each one. A thousand refused bilans make a few mails.
 *
 * Recipients and server are read from [notify] when a message leaves, so a
 * reload applies to the notices already waiting. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "base/config.h"
#include "base/macro.h"
#include "core/notice.h"

#define OUTBOX_DIR "outbox" /* in the state directory */
#define OUTBOX_HOLD_USEC (3 * UINT64_C(1000000))
#define OUTBOX_DIGEST_MIN 5
#define OUTBOX_ATTACHMENT_MAX (2 * 1024 * 1024) /* an error file is a few KiB, a preview ~100 KiB */

typedef struct Outbox Outbox;

/* Reads the waiting notices of STATE_DIR/outbox/ (if it exists). Sends
 * nothing until outbox_configure() gives a [notify] with smtp_url. */
int outbox_open(sd_event *event, const char *state_dir, Outbox **ret);
Outbox *outbox_free(Outbox *o);
DEFINE_TRIVIAL_CLEANUP_FUNC(Outbox *, outbox_free);

/* [notify] in use (copied) and the SMTP password (taken; secret memory
 * from credentials.h, or NULL). Without smtp_url, notices are neither
 * written nor sent (those waiting stay). Returns 0 or -ENOMEM. */
int outbox_configure(Outbox *o, const NotifyConfig *c, char *password);
/* Test builds: backoff delays divided by this. */
void outbox_set_time_scale(Outbox *o, uint64_t scale);
bool outbox_enabled(const Outbox *o);
size_t outbox_waiting(const Outbox *o);

/* Writes a notice (rendered in French now) with an optional attachment
 * (kept in the file in base64; left out past OUTBOX_ATTACHMENT_MAX). Returns 0 (written, or notices off), or a negative errno: a
 * failed fsync (-EIO) is the caller's to treat as fatal; anything else
 * (a full disk) loses this notice only, and is logged. */
int outbox_add(Outbox *o, const Notice *n, const NoticeAttachment *attachment);

/* Runs the event loop until nothing waits or `timeout_usec` passed (the
 * last words of a chorusd that cannot start). Returns the number left. */
size_t outbox_drain(Outbox *o, uint64_t timeout_usec);
