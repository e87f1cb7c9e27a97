/* manager.c — chorusd's runtime state and event loop (see manager.h).
 *
 * Owns: the configuration, conventions and secrets in use; the spool, job
 * store, numbering and audit log; the Chorus Pro client; the sd-event loop
 * and its sources; the list of live jobs (job.c owns each JobRun).
 *
 * Wake-ups: inotify on incoming/ only re-enables the claim source (a
 * defer source), which claims one bilan per loop iteration through the
 * spool's persistent readdir() cursor until the folder is exhausted, then
 * disables itself. Any event (IN_Q_OVERFLOW included) asks for one more
 * pass from the top once the current one ends, so a lost event costs a
 * rescan, never a bilan. While the disk is too full,
 * claiming pauses and a timer looks again every minute. A file still
 * settling ([spool] settle_seconds, spool.h) is remembered by the spool;
 * one timer, armed at the end of a pass for the earliest of them and off
 * when none waits, brings the claim source back.
 *
 * Failures: a failed fsync anywhere (-EIO) is fatal (manager_fatal: leave
 * the loop, exit non-zero, systemd restarts us into recovery). Everything
 * else is a job's business and is handled in job.c. A reload with a bad
 * configuration keeps the old one and says why.
 *
 * Here: the counters and STATUS=, reload, the call queue and wake-ups, stop,
 * construction and the loop. Claiming is in manager_claim.c, the pause
 * while the state directory is full in manager_disk.c, the JobHost in
 * manager_host.c (manager_internal.h joins them). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "service/audit.h"
#include "chorus/chorus_client.h"
#include "base/fsutil.h"
#include "service/templates.h"
#include "service/job.h"
#include "service/log-ids.h"
#include "base/log.h"
#include "service/manager.h"
#include "service/metrics.h"
#include "service/notify.h"
#include "service/numbering.h"
#include "service/pdf_assets.h"
#include "service/spool.h"
#include "service/convention_dir.h"
#include "service/manager_internal.h"

/* ---- Job counters and STATUS= --------------------------------------------- */

JobPhase job_state_phase(JobState s) {
        switch (s) {
        case JOB_STATE_RECEIVED:
        case JOB_STATE_VALIDATED:
        case JOB_STATE_NUMBERED:
        case JOB_STATE_RENDERED:
                return JOB_PHASE_LOCAL;
        case JOB_STATE_DEPOSITING:
        case JOB_STATE_DEPOSITED:
                return JOB_PHASE_CHORUS;
        case JOB_STATE_INTEGRATED:
                return JOB_PHASE_LIFECYCLE;
        default:
                return JOB_PHASE_OVER;
        }
}

int manager_status_text(const Manager *m, char **ret) {
        char *s;

        if (asprintf(&s,
                     "%u in progress, %u awaiting Chorus Pro, %u followed to payment; "
                     "since start: %u done, %u rejected, %u failed",
                     m->n_phase[JOB_PHASE_LOCAL], m->n_phase[JOB_PHASE_CHORUS],
                     m->n_phase[JOB_PHASE_LIFECYCLE], m->n_done, m->n_rejected, m->n_failed) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static void manager_send_status(Manager *m) {
        _cleanup_(freep) char *s = NULL;

        if (m->stopping || manager_status_text(m, &s) < 0)
                return;
        if (streq_ptr(s, m->status))
                return;
        (void) notify_status(s);
        free(m->status);
        m->status = TAKE_PTR(s);
}

static void phase_count(Manager *m, JobPhase p, int delta) {
        if (p == JOB_PHASE_OVER)
                return;
        if (delta < 0 && m->n_phase[p] == 0)
                return; /* cannot happen; never wrap around */
        m->n_phase[p] = (unsigned) ((int) m->n_phase[p] + delta);
}

void manager_job_state_changed(Manager *m, JobState old_state, JobState new_state) {
        if (old_state == new_state)
                return;
        if (old_state >= 0)
                phase_count(m, job_state_phase(old_state), -1);
        if (new_state >= 0)
                phase_count(m, job_state_phase(new_state), +1);
        /* Outcomes count on transitions only, not when a job enters or
         * leaves memory. */
        if (old_state >= 0 && new_state >= 0) {
                /* A job counts as done when Chorus Pro integrated it: the staff
                 * see it in done/ from then on. */
                if (new_state == JOB_STATE_INTEGRATED)
                        m->n_done++;
                else if (new_state == JOB_STATE_INVALID)
                        m->n_rejected++;
                else if (new_state == JOB_STATE_REJECTED || new_state == JOB_STATE_FAILED)
                        m->n_failed++;
        }
        metrics_job_state_changed(m->metrics, old_state, new_state);
        manager_send_status(m);
}

int manager_pdf_assets(Manager *m, const PdfAssets **ret) {
        int r;

        if (!m->pdf_assets) {
                r = pdf_assets_load(&m->pdf_assets);
                if (r < 0)
                        return r;
        }
        *ret = m->pdf_assets;
        return 0;
}

uint64_t manager_delay(const Manager *m, uint64_t usec) {
        return m->time_scale > 1 ? usec / m->time_scale : usec;
}

void manager_fatal(Manager *m, int error, const char *what) {
        log_full_errno(LOG_CRIT, error,
                       "Cannot write durably (%s): %m. Stopping; systemd will restart chorusd, "
                       "which resumes every job from its last durable state.",
                       what);
        m->stopping = true;
        (void) notify_status("Stopped: a durable write failed, see the journal");
        if (m->claim_source)
                (void) sd_event_source_set_enabled(m->claim_source, SD_EVENT_OFF);
        (void) sd_event_exit(m->event, error < 0 ? error : -EIO);
}

/* ---- Reload --------------------------------------------------------------- */

void manager_log_diagnostics(const Diagnostics *d) {
        for (size_t i = 0; i < d->n_items; i++) {
                const Diag *x = &d->items[i];
                char line[32] = "";
                if (x->line > 0)
                        snprintf(line, sizeof line, ":%u", x->line);
                log_full(x->severity == DIAG_ERROR ? LOG_ERR : LOG_WARNING, "%s%s: %s%s%s",
                         strempty(x->file), line, strempty(x->path), x->path ? ": " : "", x->message);
        }
}

static bool path_changed(const char *a, const char *b, const char *what) {
        if (streq_ptr(a, b))
                return false;
        log_error("The new configuration moves %s from '%s' to '%s': that needs a restart "
                  "(systemctl restart chorusd).",
                  what, strempty(a), strempty(b));
        return true;
}

static int on_drain(sd_event_source *s, void *userdata);

/* Keeps the old client (and the configuration it was built from) until the
 * calls it has in flight are over. On failure nothing is kept: the caller
 * still owns both. */
static int manager_retire_client(Manager *m, ChorusClient *old, Config *old_config) {
        ChorusClient **c;
        Config **k;
        int r;

        if (!m->drain_source) {
                r = sd_event_add_defer(m->event, &m->drain_source, on_drain, m);
                if (r < 0)
                        return r;
                (void) sd_event_source_set_description(m->drain_source, "drain-clients");
        }
        c = reallocarray(m->old_chorus, m->n_old + 1, sizeof *c);
        if (!c)
                return -ENOMEM;
        m->old_chorus = c;
        k = reallocarray(m->old_configs, m->n_old + 1, sizeof *k);
        if (!k)
                return -ENOMEM;
        m->old_configs = k;
        m->old_chorus[m->n_old] = old;
        m->old_configs[m->n_old] = old_config;
        m->n_old++;
        /* A defer source: enabling it cannot fail, and if it did the client
         * would only wait for the next call to end (manager_call_finished). */
        (void) sd_event_source_set_enabled(m->drain_source, SD_EVENT_ON);
        return 0;
}

/* Frees retired clients with no call left. Runs from its own defer source:
 * a client must not be freed from one of its callbacks. Stays enabled only
 * while something is left to drain; a job's call ending (job_calls.c)
 * re-enables it. */
static int on_drain(sd_event_source *s, void *userdata) {
        Manager *m = userdata;
        size_t kept = 0;

        for (size_t i = 0; i < m->n_old; i++) {
                if (jobrun_any_call_on(&m->host, m->old_chorus[i])) {
                        m->old_chorus[kept] = m->old_chorus[i];
                        m->old_configs[kept] = m->old_configs[i];
                        kept++;
                        continue;
                }
                chorus_client_free(m->old_chorus[i]);
                config_free(m->old_configs[i]);
        }
        m->n_old = kept;
        return sd_event_source_set_enabled(s, SD_EVENT_OFF);
}

void manager_call_finished(Manager *m) {
        if (m->n_old > 0 && m->drain_source)
                (void) sd_event_source_set_enabled(m->drain_source, SD_EVENT_ON);
        manager_kick_call_queue(m);
}

/* ---- The call queue and late wake-ups --------------------------------------- */

void manager_kick_call_queue(Manager *m) {
        /* A defer source, created at start: enabling it cannot fail. */
        if (m->host.call_queue && m->call_queue_source && !m->stopping)
                (void) sd_event_source_set_enabled(m->call_queue_source, SD_EVENT_ON);
}

static int on_call_queue(sd_event_source *s, void *userdata) {
        Manager *m = userdata;

        jobrun_run_call_queue(&m->host);
        return sd_event_source_set_enabled(s, SD_EVENT_OFF);
}

static int on_wake(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) s;
        Manager *m = userdata;

        (void) s;
        (void) usec;
        jobrun_wake_marked(&m->host);
        return 0;
}

int manager_wake_later(Manager *m) {
        int r;

        if (!m->wake_source)
                return -ESRCH;
        /* The source exists: setting its time allocates nothing. */
        r = sd_event_source_set_time_relative(m->wake_source, manager_delay(m, WAKE_LATER_USEC));
        if (r >= 0)
                r = sd_event_source_set_enabled(m->wake_source, SD_EVENT_ONESHOT);
        return r;
}

#ifdef CHORUSD_TEST_HOOKS
/* Test builds check, after every loop iteration, that each live job has
 * something to wake it up: a job without is frozen until a restart. */
static int on_check_wakeups(sd_event_source *s, void *userdata) {
        Manager *m = userdata;
        (void) s;

        if (!m->stopping && jobrun_count_without_wakeup(&m->host) > 0) {
                log_full(LOG_CRIT, "Test hook: a live job has no wake-up; aborting.");
                abort();
        }
        return 0;
}
#endif

static int on_noop_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) s;
        (void) usec;
        (void) userdata;
        return 0;
}

static int on_audit_flush(sd_event_source *s, void *userdata) {
        Manager *m = userdata;

        (void) s;
        (void) manager_audit_flush(m); /* a failure is fatal there */
        /* Between two dispatches no step holds a convention: the ones
         * read for this iteration's bilans may go (convention_dir.h). */
        convention_set_forget(m->conventions, CONVENTIONS_KEPT);
        return 0;
}

static int manager_setup_wakeups(Manager *m) {
        int r;

        r = sd_event_add_defer(m->event, &m->call_queue_source, on_call_queue, m);
        if (r >= 0) {
                (void) sd_event_source_set_description(m->call_queue_source, "call-queue");
                (void) sd_event_source_set_enabled(m->call_queue_source, SD_EVENT_OFF);
                r = sd_event_add_time_relative(m->event, &m->wake_source, CLOCK_MONOTONIC, WAKE_LATER_USEC,
                                               USEC_PER_SEC, on_wake, m);
        }
        if (r >= 0) {
                (void) sd_event_source_set_description(m->wake_source, "wake-later");
                (void) sd_event_source_set_enabled(m->wake_source, SD_EVENT_OFF);
                /* Job timers run on CLOCK_BOOTTIME; sd-event opens that
                 * clock's timerfd with its first timer. Open it now: with
                 * file descriptors exhausted later, every job timer failed. */
                r = sd_event_add_time(m->event, &m->clock_source, CLOCK_BOOTTIME, UINT64_MAX, 0,
                                      on_noop_timer, m);
        }
        /* The audit records of an iteration, made durable with one
         * fdatasync before the next iteration waits or does anything else. */
        if (r >= 0)
                r = sd_event_add_post(m->event, &m->audit_flush_source, on_audit_flush, m);
        if (r >= 0) {
                (void) sd_event_source_set_description(m->audit_flush_source, "audit-flush");
                (void) sd_event_source_set_priority(m->audit_flush_source, SD_EVENT_PRIORITY_IMPORTANT);
        }
#ifdef CHORUSD_TEST_HOOKS
        if (r >= 0)
                r = sd_event_add_post(m->event, NULL, on_check_wakeups, m);
#endif
        if (r < 0)
                return log_error_errno(r, "Failed to set up the job wake-ups: %m");
        (void) sd_event_source_set_enabled(m->clock_source, SD_EVENT_OFF);
        return 0;
}

static int manager_new_client(Manager *m, const Config *config, const ChorusSecrets *secrets,
                              ChorusClient **ret);

/* [spool] templates_dir, dated today (never fatal: templates.h). */
static void manager_refresh_templates(Manager *m) {
        Date today = date_from_time((time_t) (now_realtime_usec() / USEC_PER_SEC));

        (void) templates_refresh(m->config, m->conventions, today, /* ret_stats= */ NULL);
}

/* Parses everything into new objects; swaps them in only if all is valid. */
static int manager_reload(Manager *m) {
        _cleanup_(config_freep) Config *config = NULL;
        _cleanup_(convention_set_freep) ConventionSet *conventions = NULL;
        _cleanup_(chorus_secrets_done) ChorusSecrets secrets = {};
        _cleanup_(chorus_client_freep) ChorusClient *client = NULL;
        _cleanup_(freep) char *message = NULL;
        _cleanup_(credentials_secret_freep) char *smtp_password = NULL;
        Diagnostics diags = DIAGNOSTICS_INIT;
        int r;

        r = config_load(m->config->path, &config, &diags);
        if (r >= 0 && (path_changed(m->config->spool.dir, config->spool.dir, "the spool") ||
                       path_changed(m->config->state.dir, config->state.dir, "the state directory")))
                r = -EINVAL;
        if (r >= 0)
                r = convention_set_index_dir(config->conventions.dir, &conventions, &diags);
        manager_log_diagnostics(&diags);
        diagnostics_clear(&diags);
        if (r >= 0) {
                r = credentials_load(&config->chorus, &secrets, &message);
                if (r < 0)
                        log_error_errno(r, "%s", strempty(message));
        }
        if (r >= 0)
                r = manager_notices_prepare_reload(config, &smtp_password);
        if (r >= 0)
                r = manager_new_client(m, config, &secrets, &client);
        if (r < 0)
                return log_job_errno(LOG_ERR, r, NULL, MESSAGE_ID_CONFIG_RELOADED,
                                     "New configuration '%s' refused (see above); keeping the one "
                                     "in use.",
                                     m->config->path);

        /* The password check's call is on the client going away. */
        manager_password_check_cancel(m);
        r = manager_retire_client(m, m->chorus, m->config);
        if (r < 0)
                return log_error_errno(r, "Failed to reload: %m");
        m->chorus = TAKE_PTR(client);
        m->config = TAKE_PTR(config);
        if (metrics_set_file(m->metrics, m->config->state.metrics_file) < 0)
                log_oom();
        spool_set_max_file_size(m->spool, m->config->spool.max_file_size);
        spool_set_settle(m->spool, m->config->spool.settle_seconds * USEC_PER_SEC);
        convention_set_free(m->conventions);
        m->conventions = TAKE_PTR(conventions);
        chorus_secrets_done(&m->secrets);
        m->secrets = secrets;
        secrets = (ChorusSecrets) {};
        manager_notices_reloaded(m, TAKE_PTR(smtp_password));
        log_job(LOG_NOTICE, NULL, MESSAGE_ID_CONFIG_RELOADED,
                "Configuration '%s' reloaded: %zu conventions.", m->config->path,
                convention_set_size(m->conventions));
        (void) manager_read_conventions_later(m);
        /* Conventions may have come, changed or gone: so have their templates. */
        manager_refresh_templates(m);
        /* New conventions may make waiting bilans valid: look again. */
        claim_wake(m, true);
        /* max_parallel_calls may have grown. */
        manager_kick_call_queue(m);
        return 0;
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        _cleanup_(freep) char *status = NULL;
        (void) s;
        (void) si;

        (void) notify_reloading();
        (void) manager_reload(m);
        if (manager_status_text(m, &status) >= 0) {
                (void) notify_ready(status);
                free(m->status);
                m->status = TAKE_PTR(status);
        }
        return 0;
}

/* ---- Stop ------------------------------------------------------------------ */

/* Every step persists its state before it acts, and a callback never
 * returns in the middle of a write: stopping between two callbacks loses
 * nothing. Calls in flight are abandoned; their jobs resume at the next
 * start (a deposit is looked up before it is sent again). */
static int on_sigterm(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        _cleanup_(freep) char *status = NULL;
        (void) s;

        log_info("Received %s: stopping; %u jobs resume at the next start.",
                 si->ssi_signo == SIGINT ? "SIGINT" : "SIGTERM",
                 m->n_phase[JOB_PHASE_LOCAL] + m->n_phase[JOB_PHASE_CHORUS] +
                         m->n_phase[JOB_PHASE_LIFECYCLE]);
        if (manager_status_text(m, &status) < 0)
                status = NULL;
        (void) notify_stopping(status ? status : "Stopping");
        m->stopping = true;
        (void) sd_event_source_set_enabled(m->claim_source, SD_EVENT_OFF);
        return sd_event_exit(m->event, 0);
}

/* ---- Life cycle ------------------------------------------------------------ */

static void on_chorus_answered(void *userdata) {
        Manager *m = userdata;

        m->host.last_answer_elapsed = now_clock_usec(CLOCK_BOOTTIME);
        metrics_chorus_answered(m->metrics);
        manager_notices_chorus_answered(m);
}

static int manager_new_client(Manager *m, const Config *config, const ChorusSecrets *secrets,
                              ChorusClient **ret) {
        _cleanup_(freep) char *message = NULL;
        ChorusClientOptions o = {
                .config = &config->chorus,
                .secrets = secrets,
                .event = m->event,
                .retry_deadline_usec = 0, /* our retries are durable: job.c */
                .answer_hook = on_chorus_answered,
                .answer_hook_userdata = m,
        };
        int r;

        r = chorus_client_new(&o, ret, &message);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the Chorus Pro client: %s",
                                       message ? message : "see above");
        return 0;
}

/* Locks `dir` (flock on the folder itself, no file added) for the
 * daemon's life. Two daemons on one spool or one state directory would
 * both resume every job in processing/ and both deposit it: the second one
 * must not start. chorusctl takes no such lock. */
static int manager_lock_dir(const char *dir, const char *what, int *ret_fd) {
        _cleanup_(closep) int fd = -EBADF;

        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(negative_errno(), "Failed to open the %s '%s': %m", what, dir);
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno == EWOULDBLOCK)
                        return log_error_errno(-EBUSY, "Another chorusd is already running with the %s '%s'.",
                                               what, dir);
                return log_error_errno(negative_errno(), "Failed to lock the %s '%s': %m", what, dir);
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* A job past its claim: its "claimed" record (or, rejected as it was
 * claimed, its "rejected" one) was written before it moved on. A crash may
 * leave a job "received" or "invalid" with the record not yet written. */
static int found_audited_job(JobStore *s, const char *id, void *userdata) {
        _cleanup_(job_freep) Job *j = NULL;

        (void) userdata;
        if (jobstore_load(s, id, &j, NULL) < 0)
                return 0; /* recovery deals with it */
        return j->state == JOB_STATE_RECEIVED || j->state == JOB_STATE_INVALID ? 0 : -EEXIST;
}

/* The audit log, keyed when an audit key is configured (credentials.c).
 * An empty log while jobs past their claim exist means it was emptied or
 * deleted: starting it again at seq 1 would hide that, so chorusd refuses. */
static int manager_open_audit(Manager *m, const char *audit_path) {
        _cleanup_(freep) char *message = NULL;
        uint8_t *key = NULL;
        int r;

        r = credentials_load_audit_key(m->config->path, &key, &message);
        if (r == -ENOENT)
                log_warning("No audit key (credential %s): the audit log is chained but not keyed, "
                            "so whoever can write it can rewrite it unseen; create one with "
                            "'chorusctl audit init'.",
                            CREDENTIAL_AUDIT_KEY);
        else if (r == -ENOMEM)
                return log_oom();
        else if (r < 0) { /* like the other secrets: a configuration matter (exit 78) */
                log_error_errno(r, "%s", message ? message : "Failed to load the audit key.");
                return -ENOKEY;
        }
        r = audit_open_keyed(audit_path, key, &m->audit);
        credentials_secret_free(key);
        if (r == -EBADMSG)
                return log_error_errno(r, "The audit log '%s' is damaged: run 'chorusctl audit "
                                          "verify' to see where.",
                                       audit_path);
        if (r < 0)
                return log_error_errno(r, "Failed to open the audit log '%s': %m", audit_path);
        if (audit_last_seq(m->audit) == 0 && jobstore_foreach(m->jobs, found_audited_job, NULL) == -EEXIST)
                return log_crit_errno(-EBADMSG, "The audit log '%s' is empty (or was deleted) but job "
                                                "states exist in '%s/%s': it was emptied or removed. "
                                                "Refusing to start it again at seq 1; restore it from a "
                                                "backup ('chorusctl audit verify --journal' compares it "
                                                "with the journal).",
                                      audit_path, m->config->state.dir, JOBSTORE_DIR);
        return 0;
}

static int manager_open_state(Manager *m) {
        _cleanup_(freep) char *audit_path = NULL;
        int r;

        r = manager_lock_dir(m->config->spool.dir, "spool", &m->spool_lock_fd);
        if (r < 0)
                return r;
        r = manager_lock_dir(m->config->state.dir, "state directory", &m->state_lock_fd);
        if (r < 0)
                return r;
        r = spool_open(m->config->spool.dir, m->config->spool.max_file_size, &m->spool);
        if (r < 0)
                return log_error_errno(r, "Failed to open the spool '%s': %m", m->config->spool.dir);
        spool_set_settle(m->spool, m->config->spool.settle_seconds * USEC_PER_SEC);
        r = jobstore_open(m->config->state.dir, &m->jobs);
        if (r < 0)
                return log_error_errno(r, "Failed to open the job states in '%s': %m",
                                       m->config->state.dir);
        r = numbering_open(m->config->state.dir, &m->numbering);
        if (r < 0)
                return log_error_errno(r, "Failed to open the invoice numbering in '%s': %m",
                                       m->config->state.dir);
        if (asprintf(&audit_path, "%s/%s", m->config->state.dir, AUDIT_LOG_FILE) < 0)
                return log_oom();
        r = manager_setup_notices(m);
        if (r < 0)
                return r;
        r = manager_open_audit(m, audit_path);
        if (r == -EBADMSG)
                manager_notice_last_words(m, &(Notice) {
                        .kind = NOTICE_STATE_DAMAGED,
                        .detail = "journal d'audit " AUDIT_LOG_FILE,
                        .reason = "la chaîne du journal d'audit est rompue, ou le journal a été vidé alors que "
                                  "des travaux existent ; chorusd refuse de démarrer",
                });
        if (r < 0)
                return r;
        return 0;
}

static void manager_read_test_hooks(Manager *m) {
        m->time_scale = 1;
#ifdef CHORUSD_TEST_HOOKS
        const char *e = getenv("CHORUSD_TEST_TIME_SCALE");
        if (e) {
                char *end;
                unsigned long long v = strtoull(e, &end, 10);
                if (*end == 0 && v >= 1 && v <= 1000)
                        m->time_scale = v;
        }
#endif
}

int manager_new(Config **config, ConventionSet **conventions, ChorusSecrets *secrets,
                Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        m = calloc(1, sizeof *m);
        if (!m)
                return log_oom();
        m->spool_lock_fd = m->state_lock_fd = -EBADF;
        m->host = (JobHost) { .ops = &manager_job_host_ops, .userdata = m };
        manager_read_test_hooks(m);
        m->config = TAKE_PTR(*config);
        m->conventions = TAKE_PTR(*conventions);
        m->secrets = *secrets;
        *secrets = (ChorusSecrets) {};

        r = sd_event_new(&m->event);
        if (r < 0)
                return log_error_errno(r, "Failed to create the event loop: %m");
        r = manager_open_state(m);
        if (r < 0)
                return r;
        r = metrics_new(m->event, m->config->state.dir, m->config->state.metrics_file, &m->metrics);
        if (r < 0)
                return log_oom();
        r = manager_new_client(m, m->config, &m->secrets, &m->chorus);
        if (r < 0)
                return r;
        m->host.event = m->event;
        m->host.spool = m->spool;
        m->host.jobs = m->jobs;
        m->host.numbering = m->numbering;
        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        /* The metrics file keeps the counts of the last moment (jobs
         * leaving memory at exit did not go away): written, then gone. */
        metrics_flush(m->metrics);
        m->metrics = metrics_free(m->metrics);
        m->pdf_assets = pdf_assets_free(m->pdf_assets);
        /* Reverse order of construction: jobs first (they hold calls and
         * timers), then the client, the durable modules, the loop. */
        jobrun_free_all(&m->host);
        m->claim_source = sd_event_source_disable_unref(m->claim_source);
        m->conventions_source = sd_event_source_disable_unref(m->conventions_source);
        m->room_source = sd_event_source_disable_unref(m->room_source);
        m->orphan_source = sd_event_source_disable_unref(m->orphan_source);
        m->settle_source = sd_event_source_disable_unref(m->settle_source);
        m->inotify_source = sd_event_source_disable_unref(m->inotify_source);
        m->processing_source = sd_event_source_disable_unref(m->processing_source);
        m->corrections_source = sd_event_source_disable_unref(m->corrections_source);
        m->sigterm_source = sd_event_source_disable_unref(m->sigterm_source);
        m->sigint_source = sd_event_source_disable_unref(m->sigint_source);
        m->sighup_source = sd_event_source_disable_unref(m->sighup_source);
        m->drain_source = sd_event_source_disable_unref(m->drain_source);
        m->call_queue_source = sd_event_source_disable_unref(m->call_queue_source);
        m->wake_source = sd_event_source_disable_unref(m->wake_source);
        m->clock_source = sd_event_source_disable_unref(m->clock_source);
        m->disk_source = sd_event_source_disable_unref(m->disk_source);
        m->audit_flush_source = sd_event_source_disable_unref(m->audit_flush_source);
        if (m->n_audit_pending > 0 && audit_pending_flush(m) < 0)
                log_full(LOG_CRIT, "%zu audit record(s) could not be written before stopping (the state directory "
                                   "is full); the job states hold those steps.",
                         m->n_audit_pending);
        audit_pending_free(m);
        if (m->audit && audit_flush(m->audit) < 0)
                log_full(LOG_CRIT, "The last audit records may not be on disk.");
        manager_notices_free(m);
        for (size_t i = 0; i < m->n_old; i++) {
                chorus_client_free(m->old_chorus[i]);
                config_free(m->old_configs[i]);
        }
        free(m->old_chorus);
        free(m->old_configs);
        chorus_client_free(m->chorus);
        audit_free(m->audit);
        numbering_free(m->numbering);
        jobstore_free(m->jobs);
        spool_free(m->spool);
        safe_close(m->state_lock_fd);
        safe_close(m->spool_lock_fd);
        sd_event_unref(m->event);
        chorus_secrets_done(&m->secrets);
        convention_set_free(m->conventions);
        config_free(m->config);
        free(m->status);
        free(m);
        return NULL;
}

static int manager_setup_signals(Manager *m) {
        int r;

        /* sigprocmask() in main() blocked them; sd-event takes them via signalfd. */
        r = sd_event_add_signal(m->event, &m->sigterm_source, SIGTERM, on_sigterm, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, &m->sigint_source, SIGINT, on_sigterm, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, &m->sighup_source, SIGHUP, on_sighup, m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up signal handling: %m");
        /* Signals first: a SIGTERM is served before the next bilan. */
        (void) sd_event_source_set_priority(m->sigterm_source, SD_EVENT_PRIORITY_IMPORTANT);
        (void) sd_event_source_set_priority(m->sigint_source, SD_EVENT_PRIORITY_IMPORTANT);
        (void) sd_event_source_set_priority(m->sighup_source, SD_EVENT_PRIORITY_IMPORTANT);
        return 0;
}

int on_recovered(SpoolRecoveredJob *rec, void *userdata) {
        RecoveryCounts *c = userdata;
        int r = jobrun_resume(&c->manager->host, rec);

        if (fs_error_is_fatal(r))
                return c->fatal = r;
        if (r < 0)
                c->failed++;
        if (r > 0)
                c->resumed++;
        return 0; /* one bad job does not stop the recovery of the others */
}

int manager_start(Manager *m) {
        _cleanup_(freep) char *status = NULL;
        RecoveryCounts counts = { .manager = m };
        int r;

        r = manager_setup_signals(m);
        if (r < 0)
                return r;
        r = manager_setup_claiming(m);
        if (r < 0)
                return r;
        r = manager_setup_wakeups(m);
        if (r < 0)
                return r;
        r = manager_setup_password_check(m);
        if (r < 0)
                return r;

        /* Group commit: one fdatasync for the records of a loop iteration
         * (audit.h, daemon/README.md "Durability"). */
        audit_set_group_commit(m->audit, true);
        r = spool_recover(m->spool, m->jobs, on_recovered, &counts);
        if (counts.fatal < 0)
                return log_crit_errno(counts.fatal, "Recovery stopped: a durable write failed.");
        if (r < 0)
                return log_error_errno(r, "Recovery failed: %m");
        r = audit_flush(m->audit);
        if (r < 0)
                return log_crit_errno(r, "Recovery stopped: a durable write failed.");
        log_job(LOG_INFO, NULL, MESSAGE_ID_RECOVERY_DONE,
                "Start-up recovery done: %u jobs resumed; looking at incoming/.", counts.resumed);
        if (counts.failed > 0)
                manager_resume_later(m);

        r = sd_event_set_watchdog(m->event, true);
        if (r < 0)
                log_warning_errno(r, "Failed to enable the watchdog, ignoring: %m");
        manager_refresh_templates(m);
        claim_wake(m, true);

        r = manager_status_text(m, &status);
        if (r < 0)
                return log_oom();
        (void) notify_ready(status);
        free(m->status);
        m->status = TAKE_PTR(status);
        /* After READY=1: the rest of conventions.d/, in the background. */
        return manager_read_conventions_later(m);
}

int manager_run(Manager *m) {
        int r = sd_event_loop(m->event);
        if (r < 0)
                return r;
        return 0;
}
