/* ctl_health.c — `chorusctl health`: one line for a monitoring system
 * (Nagios, Icinga, Centreon… and anything that runs monitoring plugins),
 * with their exit convention: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, and
 * performance data after a '|'.
 *
 * It reads only what is on disk, makes no network call unless --ping says
 * so, and is safe while chorusd runs:
 *   - the job states: jobs in failed/ (failed, rejected) are CRITICAL; a
 *     non-terminal job that chorusd should have moved on (its next attempt,
 *     or its last save when none is due, older than --warn-age/--crit-age)
 *     is WARNING/CRITICAL: chorusd is stopped or stuck;
 *   - STATE_DIR/health (chorusd: its last answer from Chorus Pro): while
 *     some job is retrying without an answer, a last contact older than
 *     --contact-warn/--contact-crit is WARNING/CRITICAL; an idle chorusd
 *     talks to nobody, and that is not an outage;
 *   - STATE_DIR/chorus-account (`chorusctl ping`): the technical account's
 *     password expiring within 15 days is WARNING, expired CRITICAL;
 *   - the audit log's hash chain (audit_verify): damaged is CRITICAL.
 * UNKNOWN when the configuration, the job states or the audit log cannot
 * be read. */
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "service/audit.h"
#include "ctl/ctl.h"
#include "base/date.h"
#include "base/fsutil.h"
#include "service/jobstate.h"
#include "service/metrics.h"
#include "chorus/retry.h"

#define HEALTH_OK 0
#define HEALTH_WARNING 1
#define HEALTH_CRITICAL 2
#define HEALTH_UNKNOWN 3

#define HEALTH_WARN_AGE_DEFAULT (60 * 60)     /* an hour */
#define HEALTH_CRIT_AGE_DEFAULT (24 * 60 * 60) /* a day */
#define HEALTH_CONTACT_WARN_DEFAULT (60 * 60)
#define HEALTH_PASSWORD_WARN_DAYS 15
#define HEALTH_PING_DEADLINE_SEC 0 /* one attempt: a plugin must answer quickly */

static const char *const health_names[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

typedef struct HealthOptions {
        const char *config_path;
        uint64_t warn_age, crit_age;         /* seconds */
        uint64_t contact_warn, contact_crit; /* seconds; crit 0 = retry_deadline / 2 */
        bool ping;
} HealthOptions;

typedef struct Health {
        int status;
        char text[1024]; /* the problems, "; "-separated */
        char perf[1024];
} Health;

static void health_help(void) {
        printf("usage: chorusctl health [-c FILE] [--warn-age TIME] [--crit-age TIME]\n"
               "                        [--contact-warn TIME] [--contact-crit TIME] [--ping]\n"
               "\n"
               "One line for a monitoring system, with performance data after '|'. Reads the\n"
               "state directory only (no network call unless --ping):\n"
               "  jobs in failed/ (failed or rejected)                      CRITICAL\n"
               "  a job chorusd should have moved on, for --warn-age/--crit-age WARNING/CRITICAL\n"
               "  no answer from Chorus Pro while jobs retry, for --contact-warn/--contact-crit\n"
               "                                                            WARNING/CRITICAL\n"
               "  the technical account's password expires within 15 days / expired\n"
               "                                                            WARNING/CRITICAL\n"
               "  the audit log's hash chain is damaged                     CRITICAL\n"
               "TIME is seconds, or a number with s, m, h or d.\n"
               "\n"
               "  -c, --config FILE      main configuration (default %s)\n"
               "      --warn-age TIME    default 1h\n"
               "      --crit-age TIME    default 1d\n"
               "      --contact-warn TIME  default 1h\n"
               "      --contact-crit TIME  default half of [chorus] retry_deadline\n"
               "      --ping             also ask Chorus Pro now (health-check with the technical\n"
               "                         account, one attempt); unreachable is CRITICAL\n"
               "  -h, --help             show this help\n"
               "\n"
               "Exit status (monitoring plugins): 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN\n"
               "(also for a usage error, or a configuration or state that cannot be read).\n",
               CONFIG_DEFAULT_PATH);
}

static void health_raise(Health *h, int status, const char *format, ...) _printf_(3, 4);
static void health_raise(Health *h, int status, const char *format, ...) {
        size_t n = strlen(h->text);
        va_list ap;

        if (status > h->status)
                h->status = status;
        if (n > 0 && n + 2 < sizeof h->text) {
                memcpy(h->text + n, "; ", 3);
                n += 2;
        }
        va_start(ap, format);
        (void) vsnprintf(h->text + n, sizeof h->text - n, format, ap);
        va_end(ap);
        /* '|' starts the performance data: none in the text. */
        for (char *p = h->text + n; (p = strchr(p, '|')); p++)
                *p = '/';
}

static void health_perf(Health *h, const char *format, ...) _printf_(2, 3);
static void health_perf(Health *h, const char *format, ...) {
        size_t n = strlen(h->perf);
        va_list ap;

        if (n > 0 && n + 1 < sizeof h->perf)
                h->perf[n++] = ' ', h->perf[n] = 0;
        va_start(ap, format);
        (void) vsnprintf(h->perf + n, sizeof h->perf - n, format, ap);
        va_end(ap);
}

/* "90", "90s", "15m", "2h", "1d" → seconds. */
static int parse_time(const char *s, uint64_t *ret) {
        char *end;
        unsigned long long v;
        uint64_t unit = 1;

        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || end == s || *s == '-')
                return -EINVAL;
        switch (*end) {
        case 0:
        case 's':
                break;
        case 'm':
                unit = 60;
                break;
        case 'h':
                unit = 3600;
                break;
        case 'd':
                unit = 86400;
                break;
        default:
                return -EINVAL;
        }
        if (*end && end[1])
                return -EINVAL;
        if (v > 100ULL * 365 * 86400 / unit)
                return -ERANGE;
        *ret = v * unit;
        return 0;
}

/* A usage error: UNKNOWN, as the plugin convention wants. */
static int health_usage(const char *format, const char *arg) {
        printf("CHORUSD UNKNOWN - ");
        printf(format, arg);
        printf("\n");
        fprintf(stderr, "Try 'chorusctl health --help'.\n");
        return HEALTH_UNKNOWN;
}

/* Returns -1 to go on, or an exit status. */
static int parse_options(int argc, char *argv[], HealthOptions *o) {
        enum { ARG_WARN_AGE = 0x100, ARG_CRIT_AGE, ARG_CONTACT_WARN, ARG_CONTACT_CRIT, ARG_PING };
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "warn-age", required_argument, NULL, ARG_WARN_AGE },
                { "crit-age", required_argument, NULL, ARG_CRIT_AGE },
                { "contact-warn", required_argument, NULL, ARG_CONTACT_WARN },
                { "contact-crit", required_argument, NULL, ARG_CONTACT_CRIT },
                { "ping", no_argument, NULL, ARG_PING },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        uint64_t *target;
        int c;

        *o = (HealthOptions){ .warn_age = HEALTH_WARN_AGE_DEFAULT, .crit_age = HEALTH_CRIT_AGE_DEFAULT,
                              .contact_warn = HEALTH_CONTACT_WARN_DEFAULT };
        optind = 0;
        opterr = 0; /* our own one-line message */
        while ((c = getopt_long(argc, argv, "c:h", options, NULL)) >= 0) {
                target = NULL;
                switch (c) {
                case 'c':
                        o->config_path = optarg;
                        break;
                case ARG_WARN_AGE:
                        target = &o->warn_age;
                        break;
                case ARG_CRIT_AGE:
                        target = &o->crit_age;
                        break;
                case ARG_CONTACT_WARN:
                        target = &o->contact_warn;
                        break;
                case ARG_CONTACT_CRIT:
                        target = &o->contact_crit;
                        break;
                case ARG_PING:
                        o->ping = true;
                        break;
                case 'h':
                        opterr = 1;
                        health_help();
                        return HEALTH_OK;
                default:
                        opterr = 1;
                        return health_usage("invalid option '%s'", argv[optind - 1]);
                }
                if (target && parse_time(optarg, target) < 0) {
                        opterr = 1;
                        return health_usage("'%s' is not a time (seconds, or a number with s, m, h or d)", optarg);
                }
        }
        opterr = 1;
        if (optind < argc)
                return health_usage("unexpected argument '%s'", argv[optind]);
        if (o->crit_age < o->warn_age)
                o->crit_age = o->warn_age;
        return -1;
}

/* ---- the job states ---------------------------------------------------------------- */

typedef struct JobCounts {
        uint64_t now_usec;
        const HealthOptions *options;
        unsigned total, by_state[_JOB_STATE_MAX], unreadable;
        unsigned late_warn, late_crit;
        uint64_t oldest_wait_usec;    /* of the non-terminal jobs */
        char oldest_id[JOB_ID_MAX];
        unsigned retrying;            /* jobs in a run of attempts without any answer */
        uint64_t retrying_since_usec; /* the earliest such run */
} JobCounts;

/* How long chorusd has left a non-terminal job alone past the time it
 * should have acted: its next attempt when one is due, else its last save. */
static uint64_t job_wait_usec(const Job *j, uint64_t now) {
        uint64_t since = j->next_attempt_usec > 0 ? j->next_attempt_usec
                         : j->updated_usec > 0    ? j->updated_usec
                                                  : j->created_usec;

        return since > 0 && now > since ? now - since : 0;
}

static int count_job(JobStore *s, const char *id, void *userdata) {
        JobCounts *c = userdata;
        _cleanup_(job_freep) Job *j = NULL;
        uint64_t wait;

        c->total++;
        if (jobstore_load(s, id, &j, NULL) < 0) {
                c->unreadable++;
                return 0;
        }
        c->by_state[j->state]++;
        /* Done, or waiting for a person (chorusctl approve): chorusd is not
         * late with it. */
        if (job_state_is_terminal(j->state) || job_state_waits_for_person(j->state))
                return 0;
        wait = job_wait_usec(j, c->now_usec);
        if (wait > c->options->warn_age * USEC_PER_SEC)
                c->late_warn++;
        if (wait > c->options->crit_age * USEC_PER_SEC)
                c->late_crit++;
        if (wait >= c->oldest_wait_usec) {
                c->oldest_wait_usec = wait;
                snprintf(c->oldest_id, sizeof c->oldest_id, "%s", j->id);
        }
        if (j->first_attempt_usec > 0) {
                c->retrying++;
                if (c->retrying_since_usec == 0 || j->first_attempt_usec < c->retrying_since_usec)
                        c->retrying_since_usec = j->first_attempt_usec;
        }
        return 0;
}

static int check_jobs(const Config *config, const HealthOptions *o, Health *h, JobCounts *c) {
        _cleanup_(jobstore_freep) JobStore *store = NULL;
        unsigned failed, waiting = 0;
        int r;

        r = jobstore_open(config->state.dir, &store);
        if (r >= 0)
                r = jobstore_foreach(store, count_job, c);
        if (r < 0) {
                health_raise(h, HEALTH_UNKNOWN, "cannot read the job states in %s: %s", config->state.dir,
                             strerror(-r));
                return r;
        }
        failed = c->by_state[JOB_STATE_FAILED] + c->by_state[JOB_STATE_REJECTED];
        for (JobState s = 0; s < _JOB_STATE_MAX; s++)
                if (!job_state_is_terminal(s))
                        waiting += c->by_state[s];
        if (failed > 0)
                health_raise(h, HEALTH_CRITICAL, "%u in failed/ (chorusctl status --state failed,rejected)", failed);
        if (c->unreadable > 0)
                health_raise(h, HEALTH_WARNING, "%u job state(s) unreadable", c->unreadable);
        if (c->late_crit > 0 || c->late_warn > 0)
                health_raise(h, c->late_crit > 0 ? HEALTH_CRITICAL : HEALTH_WARNING,
                             "%u job(s) left waiting longer than %" PRIu64 " s (oldest %s, %" PRIu64
                             " s): is chorusd running?",
                             c->late_warn, c->late_crit > 0 ? o->crit_age : o->warn_age, c->oldest_id,
                             c->oldest_wait_usec / USEC_PER_SEC);
        health_perf(h, "jobs=%u", c->total);
        health_perf(h, "waiting=%u", waiting);
        health_perf(h, "failed=%u;;0;0", failed);
        health_perf(h, "invalid=%u", c->by_state[JOB_STATE_INVALID]);
        health_perf(h, "done=%u", c->by_state[JOB_STATE_DONE]);
        health_perf(h, "oldest_wait=%" PRIu64 "s;%" PRIu64 ";%" PRIu64 ";0", c->oldest_wait_usec / USEC_PER_SEC,
                    o->warn_age, o->crit_age);
        return 0;
}

/* ---- Chorus Pro ---------------------------------------------------------------------- */

static void check_contact(const Config *config, const HealthOptions *o, const JobCounts *c, bool pinged,
                          Health *h) {
        uint64_t last = 0, crit = o->contact_crit ? o->contact_crit : config->chorus.retry_deadline / 2;
        uint64_t warn = o->contact_warn < crit ? o->contact_warn : crit, since, age;
        int r = health_file_read(config->state.dir, &last);

        if (r < 0 && r != -ENOENT) {
                health_raise(h, HEALTH_UNKNOWN, "cannot read %s/%s: %s", config->state.dir, HEALTH_FILE,
                             strerror(-r));
                return;
        }
        if (last > 0)
                health_perf(h, "last_contact=%" PRIu64 "s",
                            c->now_usec > last ? (c->now_usec - last) / USEC_PER_SEC : 0);
        if (pinged || c->retrying == 0)
                return; /* nobody waits for Chorus Pro: silence is no outage */
        /* No answer since the last contact, or, if none is known, since the
         * earliest attempt that got none. */
        since = last > 0 ? last : c->retrying_since_usec;
        age = c->now_usec > since ? (c->now_usec - since) / USEC_PER_SEC : 0;
        if (age > warn)
                health_raise(h, age > crit ? HEALTH_CRITICAL : HEALTH_WARNING,
                             "no answer from Chorus Pro for %" PRIu64 " s, %u job(s) retrying", age, c->retrying);
}

/* Returns whether Chorus Pro answered. */
static bool check_ping(const HealthOptions *o, Health *h) {
        _cleanup_(freep) char *message = NULL;
        char buf[CTL_PRINTABLE_MAX];
        int r = ctl_chorus_live_check(o->config_path, HEALTH_PING_DEADLINE_SEC, &message);

        if (r < 0)
                health_raise(h, HEALTH_CRITICAL, "Chorus Pro unreachable: %s",
                             message ? ctl_printable(message, buf) : strerror(-r));
        return r >= 0;
}

static void check_password(const Config *config, uint64_t now_usec, Health *h) {
        _cleanup_(freep) char *expiry = NULL;
        uint64_t checked = 0;
        int64_t days;
        Date d;
        int r = chorus_account_file_read(config->state.dir, &expiry, &checked);

        if (r == -ENOENT || (r >= 0 && !expiry))
                return; /* never checked, or Chorus Pro does not say */
        if (r < 0 || date_parse(expiry, &d) < 0) {
                health_raise(h, HEALTH_UNKNOWN, "cannot read %s/%s: %s", config->state.dir, CHORUS_ACCOUNT_FILE,
                             r < 0 ? strerror(-r) : "bad date");
                return;
        }
        days = date_to_days(d) - date_to_days(date_from_time((time_t) (now_usec / USEC_PER_SEC)));
        if (days < 0)
                health_raise(h, HEALTH_CRITICAL, "the technical account's password expired on %s", expiry);
        else if (days <= HEALTH_PASSWORD_WARN_DAYS)
                health_raise(h, HEALTH_WARNING, "the technical account's password expires on %s (in %" PRId64 " days)",
                             expiry, days);
        health_perf(h, "password_days=%" PRId64 ";%d:;0:", days, HEALTH_PASSWORD_WARN_DAYS);
}

/* ---- the audit log ----------------------------------------------------------------- */

static void check_audit(const Config *config, Health *h) {
        _cleanup_(freep) char *path = NULL;
        AuditVerifyReport rep;
        int r;

        if (asprintf(&path, "%s/%s", config->state.dir, AUDIT_LOG_FILE) < 0) {
                health_raise(h, HEALTH_UNKNOWN, "out of memory");
                return;
        }
        r = audit_verify(path, &rep);
        if (r == -ENOENT)
                return; /* nothing recorded yet */
        if (r < 0) {
                health_raise(h, HEALTH_UNKNOWN, "cannot read the audit log %s: %s", path, strerror(-r));
                return;
        }
        if (rep.broken)
                health_raise(h, HEALTH_CRITICAL, "audit log damaged at line %" PRIu64 " (chorusctl audit verify)",
                             rep.broken_line);
        health_perf(h, "audit_records=%" PRIu64, rep.n_records);
}

int ctl_health(int argc, char *argv[]) {
        _cleanup_(config_freep) Config *config = NULL;
        HealthOptions o;
        JobCounts counts = {};
        Health h = {};
        int r;

        r = parse_options(argc, argv, &o);
        if (r >= 0)
                return r;
        r = ctl_load_config(o.config_path, &config);
        if (r < 0) {
                printf("CHORUSD UNKNOWN - the configuration %s does not load (chorusctl check-config)\n",
                       o.config_path ? o.config_path : CONFIG_DEFAULT_PATH);
                return HEALTH_UNKNOWN;
        }
        counts.now_usec = now_realtime_usec();
        counts.options = &o;
        if (check_jobs(config, &o, &h, &counts) >= 0) {
                bool answered = o.ping && check_ping(&o, &h);

                check_contact(config, &o, &counts, answered, &h);
                check_password(config, counts.now_usec, &h);
                check_audit(config, &h);
        }
        printf("CHORUSD %s - %u jobs, %u in failed/%s%s | %s\n", health_names[h.status], counts.total,
               counts.by_state[JOB_STATE_FAILED] + counts.by_state[JOB_STATE_REJECTED], h.text[0] ? "; " : "",
               h.text, h.perf);
        return h.status;
}
