/* manager_notify.c — the manager's side of the e-mail notices (outbox.h):
 * the outbox and its [notify] configuration, the notices the jobs raise
 * (job_host.h), one notice per Chorus Pro outage, and the technical
 * account's password, checked at start and then daily.
 *
 * The password check is two calls (rechercher the seller's SIRET, then
 * consulter), made only while notices are on: without [notify] chorusd
 * calls Chorus Pro exactly as before. What Chorus Pro says is written to
 * STATE_DIR/chorus-account (metrics.h), which `chorusctl status` and
 * `chorusctl health` read; a notice goes to the admins once per expiry
 * date within NOTICE_PASSWORD_DAYS, remembered in STATE_DIR/notices (so a
 * restart does not send it again). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/date.h"
#include "base/fsutil.h"
#include "base/kvfile.h"
#include "base/log.h"
#include "chorus/chorus_client.h"
#include "chorus/credentials.h"
#include "service/audit.h"
#include "service/manager.h"
#include "service/metrics.h"
#include "service/outbox.h"
#include "service/manager_internal.h"

#define NOTICES_STATE_FILE "notices"
#define PASSWORD_CHECK_FIRST_USEC (2 * USEC_PER_SEC)
#define PASSWORD_CHECK_USEC (UINT64_C(86400) * USEC_PER_SEC)
#define PASSWORD_RETRY_USEC (UINT64_C(3600) * USEC_PER_SEC)
#define UNREACHABLE_USEC (UINT64_C(3600) * USEC_PER_SEC)
#define LAST_WORDS_USEC (30 * USEC_PER_SEC)

static void password_check_again(Manager *m, uint64_t usec);

/* ---- the outbox ---- */

static int load_password(const Config *config, char **ret) {
        _cleanup_(freep) char *message = NULL;
        int r = credentials_load_smtp_password(&config->notify, ret, &message);

        if (r == -ENOMEM)
                return log_oom();
        if (r < 0) {
                log_error_errno(r, "%s", message ? message : "Failed to load the SMTP password.");
                return -ENOKEY;
        }
        return 0;
}

int manager_setup_notices(Manager *m) {
        char *password = NULL;
        int r;

        r = outbox_open(m->event, m->config->state.dir, &m->outbox);
        if (r < 0)
                return log_error_errno(r, "Failed to open the outbox in '%s/%s': %m", m->config->state.dir,
                                       OUTBOX_DIR);
        outbox_set_time_scale(m->outbox, m->time_scale);
        r = load_password(m->config, &password);
        if (r < 0)
                return r;
        r = outbox_configure(m->outbox, &m->config->notify, password);
        if (r < 0)
                return log_oom();
        if (outbox_enabled(m->outbox))
                log_info("E-mail notices on: %s, from %s.", m->config->notify.smtp_url, m->config->notify.from);
        return 0;
}

int manager_notices_prepare_reload(const Config *config, char **ret_password) {
        return load_password(config, ret_password);
}

void manager_notices_reloaded(Manager *m, char *password) {
        if (outbox_configure(m->outbox, &m->config->notify, password) < 0)
                log_oom();
        /* The new client (or [notify] just turned on): look again. */
        manager_password_check_cancel(m);
        if (outbox_enabled(m->outbox))
                password_check_again(m, PASSWORD_CHECK_FIRST_USEC);
        else if (m->password_source)
                (void) sd_event_source_set_enabled(m->password_source, SD_EVENT_OFF);
}

void manager_notice(Manager *m, const Notice *n, const NoticeAttachment *attachment) {
        int r;

        if (!outbox_enabled(m->outbox))
                return;
        /* One notice per outage: Chorus Pro answering ends it. */
        if (n->kind == NOTICE_CHORUS_UNREACHABLE) {
                if (m->unreachable_noticed)
                        return;
                m->unreachable_noticed = true;
        }
        /* A notice reports what is durable: the records of the steps it
         * tells of, and the job's state even when it was saved without an
         * fsync of jobs/ (jobstore_save_lazy), are made so first. */
        r = manager_audit_flush(m);
        if (r < 0)
                return;
        r = fsync_dir(jobstore_dirfd(m->jobs));
        if (r < 0) {
                manager_fatal(m, r, "syncing the job states");
                return;
        }
        r = outbox_add(m->outbox, n, attachment);
        if (fs_error_is_fatal(r))
                manager_fatal(m, r, "writing a notice");
}

void manager_notices_chorus_answered(Manager *m) {
        m->unreachable_noticed = false;
}

uint64_t manager_unreachable_after(const Manager *m) {
        return manager_delay(m, UNREACHABLE_USEC);
}

/* chorusd cannot start (its audit log is damaged): tell the admins, giving
 * the SMTP server a little time, before exiting. */
void manager_notice_last_words(Manager *m, const Notice *n) {
        size_t left;

        if (!m->outbox || !outbox_enabled(m->outbox))
                return;
        if (outbox_add(m->outbox, n, NULL) < 0)
                return;
        left = outbox_drain(m->outbox, LAST_WORDS_USEC);
        if (left > 0)
                log_warning("%zu notice(s) could not be sent before exiting; they wait in %s/%s.", left,
                            m->config->state.dir, OUTBOX_DIR);
}

/* ---- the technical account's password ---- */

static int notified_expiry_read(const Manager *m, char **ret) {
        _cleanup_(kv_file_freep) KvFile *kv = NULL;
        _cleanup_(closep) int dirfd = open(m->config->state.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        const char *v = NULL;
        int r;

        *ret = NULL;
        if (dirfd < 0)
                return negative_errno();
        r = kv_read_file(dirfd, NOTICES_STATE_FILE, &kv);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (kv_get_optional(kv, "PASSWORD_EXPIRY_NOTIFIED", &v) < 0 || !v)
                return 0;
        *ret = strdup(v);
        return *ret ? 0 : -ENOMEM;
}

static int notified_expiry_write(const Manager *m, const char *day) {
        _cleanup_(kv_writer_done) KvWriter w = KV_WRITER_INIT;
        _cleanup_(closep) int dirfd = open(m->config->state.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_(freep) char *text = NULL;
        size_t size;
        int r;

        if (dirfd < 0)
                return negative_errno();
        r = kv_writer_open(&w, 1);
        if (r < 0)
                return r;
        kv_put(&w, "PASSWORD_EXPIRY_NOTIFIED", day);
        r = kv_writer_finish(&w, &text, &size);
        if (r < 0)
                return r;
        return write_file_atomic(dirfd, NOTICES_STATE_FILE, text, size);
}

static void password_check_again(Manager *m, uint64_t usec) {
        if (m->password_source &&
            sd_event_source_set_time_relative(m->password_source, manager_delay(m, usec)) >= 0)
                (void) sd_event_source_set_enabled(m->password_source, SD_EVENT_ONESHOT);
}

static void password_expiry_seen(Manager *m, const char *expiry) {
        _cleanup_(freep) char *notified = NULL;
        char day[DATE_STRING_MAX];
        int64_t days;
        Date d;
        int r;

        r = chorus_account_file_write(m->config->state.dir, expiry);
        if (r < 0)
                log_warning_errno(r, "Failed to record the password expiry in %s/%s: %m", m->config->state.dir,
                                  CHORUS_ACCOUNT_FILE);
        if (!expiry || strlen(expiry) < DATE_STRING_MAX - 1) {
                log_debug("Chorus Pro reports no password expiry for the technical account.");
                return;
        }
        memcpy(day, expiry, DATE_STRING_MAX - 1);
        day[DATE_STRING_MAX - 1] = '\0';
        if (date_parse(day, &d) < 0) {
                log_warning("Chorus Pro reports a password expiry that is not a date; ignoring it.");
                return;
        }
        days = date_to_days(d) - date_to_days(date_from_time(time(NULL)));
        log_info("The technical account's password expires on %s (in %" PRId64 " days).", day, days);
        if (days > NOTICE_PASSWORD_DAYS)
                return;
        log_warning("The technical account's password expires on %s (in %" PRId64 " days): renew it in the "
                    "Chorus Pro portal, then update the cpro-password credential.",
                    day, days);
        if (notified_expiry_read(m, &notified) >= 0 && streq_ptr(notified, day))
                return; /* told already */
        manager_notice(m, &(Notice) { .kind = NOTICE_PASSWORD_EXPIRING, .date = day, .days = days }, NULL);
        r = notified_expiry_write(m, day);
        if (fs_error_is_fatal(r))
                manager_fatal(m, r, "recording a password notice");
        else if (r < 0)
                log_warning_errno(r, "Failed to record the password notice: %m");
}

static void on_structure_got(ChorusCall *call, int k, ChorusError *error, void *userdata) {
        Manager *m = userdata;

        (void) call;
        m->password_call = NULL;
        if (k < 0) {
                log_info("Cannot read the seller's structure to check the password expiry (%s); again in an hour.",
                         error ? strempty(error->message) : "error");
                chorus_structure_done(&m->password_structure);
                password_check_again(m, PASSWORD_RETRY_USEC);
                return;
        }
        password_expiry_seen(m, m->password_structure.password_expiry);
        chorus_structure_done(&m->password_structure);
        password_check_again(m, PASSWORD_CHECK_USEC);
}

static void on_structure_found(ChorusCall *call, int k, ChorusError *error, void *userdata) {
        Manager *m = userdata;
        int64_t id = -1;

        (void) call;
        m->password_call = NULL;
        for (size_t i = 0; k >= 0 && i < m->password_list.n_items; i++)
                if (streq_ptr(m->password_list.items[i].identifiant, m->config->seller.siret))
                        id = m->password_list.items[i].id_structure_cpp;
        chorus_structure_list_done(&m->password_list);
        if (k >= 0 && id >= 0) {
                m->password_structure = (ChorusStructure) {};
                k = chorus_structure_get(m->chorus, id, &m->password_structure, on_structure_got, m,
                                         &m->password_call);
                if (k >= 0)
                        return;
        }
        log_info("Cannot find the seller's structure to check the password expiry (%s); again in an hour.",
                 k < 0 ? (error ? strempty(error->message) : strerror(-k)) : "SIRET not found");
        password_check_again(m, PASSWORD_RETRY_USEC);
}

static int on_password_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        int r;

        (void) s;
        (void) usec;
        if (m->stopping || m->password_call || !outbox_enabled(m->outbox))
                return 0;
        m->password_list = (ChorusStructureList) {};
        r = chorus_structure_search(m->chorus, m->config->seller.siret, &m->password_list, on_structure_found, m,
                                    &m->password_call);
        if (r < 0)
                password_check_again(m, PASSWORD_RETRY_USEC);
        return 0;
}

int manager_setup_password_check(Manager *m) {
        int r = sd_event_add_time_relative(m->event, &m->password_source, CLOCK_BOOTTIME,
                                           manager_delay(m, PASSWORD_CHECK_FIRST_USEC), USEC_PER_SEC,
                                           on_password_timer, m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the password check: %m");
        (void) sd_event_source_set_description(m->password_source, "password-check");
        if (!outbox_enabled(m->outbox))
                (void) sd_event_source_set_enabled(m->password_source, SD_EVENT_OFF);
        return 0;
}

void manager_password_check_cancel(Manager *m) {
        if (!m->password_call)
                return;
        chorus_call_cancel(m->password_call);
        m->password_call = NULL;
        chorus_structure_list_done(&m->password_list);
        chorus_structure_done(&m->password_structure);
}

void manager_notices_free(Manager *m) {
        manager_password_check_cancel(m);
        m->password_source = sd_event_source_disable_unref(m->password_source);
        m->outbox = outbox_free(m->outbox);
}
