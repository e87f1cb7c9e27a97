/* ctl_status.c — what `chorusctl status` (ctl_jobs.c) needs beyond the
 * plain table: its options and filters (--state, --convention, --since),
 * its JSON form (--json), and table cells that never cut a value unseen.
 *
 * The JSON is an interface for scripts: every field of chorusctl(8) is
 * always there (null when unknown), and fields are only ever added. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "service/audit.h"
#include "ctl/ctl.h"
#include "ctl/ctl_status.h"
#include "base/date.h"
#include "base/fsutil.h"
#include "base/json-cleanup.h"
#include "service/correction.h"
#include "chorus/retry.h" /* USEC_PER_SEC */

static void status_help(void) {
        printf("usage: chorusctl status [-c FILE] [--state STATE[,STATE…]] [--convention ID]\n"
               "                        [--since YYYY-MM-DD] [--json] [JOB]\n"
               "\n"
               "Without JOB: one line per job, oldest first: bilan, convention, invoice\n"
               "number, type (invoice or credit note) and link (cancels, cancelled by,\n"
               "replaces), state, Chorus Pro status, next attempt and last error. A value\n"
               "too long for its column ends with '…'.\n"
               "With JOB: the job's persisted state, a pending complete/recycle request,\n"
               "its files, the documents of its convention and its history (audit log).\n"
               "\n"
               "  -c, --config FILE     main configuration (default %s)\n"
               "  -s, --state STATES    only jobs in these states (repeatable, or a comma list):\n"
               "                        received validated numbered rendered depositing deposited\n"
               "                        integrated done invalid rejected failed\n"
               "      --convention ID   only the jobs of this convention\n"
               "      --since DATE      only jobs claimed on or after that day (YYYY-MM-DD, local)\n"
               "      --json            JSON: an array of job objects, or one object with JOB\n"
               "                        (fields in chorusctl(8))\n"
               "  -h, --help            show this help\n"
               "\n"
               "Exit status: 0 ok, 66 no such job (or its state cannot be read), 64 usage\n"
               "error, 78 the configuration does not load.\n",
               CONFIG_DEFAULT_PATH);
}

static int parse_states(const char *arg, StatusOptions *o) {
        _cleanup_(freep) char *copy = strdup(arg);
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
                JobState s = job_state_from_string(w);
                if (s < 0)
                        return ctl_usage_error("status", "unknown state '%s' (see --help)", w);
                o->states[s] = true;
                o->any_state = true;
        }
        if (!o->any_state)
                return ctl_usage_error("status", "--state expects a state");
        return 0;
}

/* Local midnight of YYYY-MM-DD: jobs are shown in local time. */
static int parse_since(const char *arg, uint64_t *ret) {
        struct tm tm = { .tm_isdst = -1 };
        time_t t;
        Date d;

        if (date_parse(arg, &d) < 0)
                return ctl_usage_error("status", "--since expects a date YYYY-MM-DD, got '%s'", arg);
        tm.tm_year = d.year - 1900;
        tm.tm_mon = d.month - 1;
        tm.tm_mday = d.day;
        t = mktime(&tm);
        *ret = t > 0 ? (uint64_t) t * USEC_PER_SEC : 1; /* 1: set, and every job is after it */
        return 0;
}

int status_parse_options(int argc, char *argv[], StatusOptions *o) {
        enum { ARG_CONVENTION = 0x100, ARG_SINCE, ARG_JSON };
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "state", required_argument, NULL, 's' },
                { "convention", required_argument, NULL, ARG_CONVENTION },
                { "since", required_argument, NULL, ARG_SINCE },
                { "json", no_argument, NULL, ARG_JSON },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c, r;

        *o = (StatusOptions){};
        optind = 0;
        while ((c = getopt_long(argc, argv, "c:s:h", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        o->config_path = optarg;
                        break;
                case 's':
                        r = parse_states(optarg, o);
                        if (r == -ENOMEM)
                                return CTL_EXIT_SOFTWARE;
                        if (r != 0)
                                return r;
                        break;
                case ARG_CONVENTION:
                        o->convention = optarg;
                        break;
                case ARG_SINCE:
                        r = parse_since(optarg, &o->since_usec);
                        if (r != 0)
                                return r;
                        break;
                case ARG_JSON:
                        o->json = true;
                        break;
                case 'h':
                        status_help();
                        return CTL_EXIT_OK;
                default:
                        return ctl_usage_error("status", "invalid option");
                }
        if (optind < argc)
                o->job = argv[optind++];
        if (optind < argc)
                return ctl_usage_error("status", "unexpected argument '%s'", argv[optind]);
        if (o->job && !job_id_is_valid(o->job))
                return ctl_usage_error("status", "'%s' is not a job id (YYYYMMDD-HHMMSS-xxxxxxxx)", o->job);
        if (o->job && status_filter_any(o))
                return ctl_usage_error("status", "--state, --convention and --since select jobs of the list, "
                                                 "not with a JOB");
        return -1;
}

bool status_filter_any(const StatusOptions *o) {
        return o->any_state || o->convention || o->since_usec > 0;
}

bool status_filter_match(const StatusOptions *o, const Job *j) {
        if (o->any_state && (j->state < 0 || j->state >= _JOB_STATE_MAX || !o->states[j->state]))
                return false;
        if (o->convention && !streq_ptr(o->convention, j->convention))
                return false;
        if (o->since_usec > 0 && j->created_usec < o->since_usec)
                return false;
        return true;
}

/* ---- Table cells ---------------------------------------------------------------- */

/* Characters (UTF-8 code points) in s; the byte offset of character n in *ret_offset. */
static size_t utf8_chars(const char *s, size_t n, size_t *ret_offset) {
        size_t count = 0, i;

        for (i = 0; s[i]; i++)
                if (((unsigned char) s[i] & 0xC0) != 0x80) {
                        if (count == n && ret_offset)
                                *ret_offset = i;
                        count++;
                }
        if (count <= n && ret_offset)
                *ret_offset = i;
        return count;
}

void status_print_cell(const char *s, int width) {
        char buf[CTL_PRINTABLE_MAX];
        size_t cut = 0, n = utf8_chars(ctl_printable(s, buf), (size_t) width - 1, &cut);

        if (n <= (size_t) width)
                printf("%s%*s  ", buf, width - (int) n, "");
        else
                printf("%.*s…  ", (int) cut, buf);
}

/* ---- JSON ---------------------------------------------------------------------- */

static bool add_string(cJSON *o, const char *name, const char *value) {
        return value ? !!cJSON_AddStringToObject(o, name, value) : !!cJSON_AddNullToObject(o, name);
}

static bool add_time(cJSON *o, const char *name, uint64_t usec) {
        char buf[TIMESTAMP_ISO_MAX];

        return add_string(o, name, usec > 0 ? format_timestamp_iso(usec, buf) : NULL);
}

static bool add_cents(cJSON *o, const char *name, bool has, int64_t cents) {
        return has ? !!cJSON_AddNumberToObject(o, name, (double) cents) : !!cJSON_AddNullToObject(o, name);
}

static cJSON *job_json(const char *id, const Job *j) {
        /* A state file that cannot be read: nothing known but the id. */
        static const Job unreadable = { .state = _JOB_STATE_INVALID, .format = _INVOICE_FORMAT_INVALID };
        _cleanup_(cJSON_Deletep) cJSON *o = cJSON_CreateObject();
        char date[DATE_STRING_MAX];
        cJSON *voided;
        bool ok;

        if (!o)
                return NULL;
        if (!j)
                j = &unreadable;
        ok = add_string(o, "id", id) && cJSON_AddBoolToObject(o, "unreadable", j->state < 0) &&
             add_string(o, "state", j->state >= 0 ? job_state_to_string(j->state) : NULL) &&
             (j->state >= 0 ? !!cJSON_AddBoolToObject(o, "terminal", job_state_is_terminal(j->state))
                            : !!cJSON_AddNullToObject(o, "terminal")) &&
             add_string(o, "bilan", j->bilan_name) && add_string(o, "spool_name", j->spool_name) &&
             add_string(o, "convention", j->convention) && add_string(o, "invoice_number", j->invoice_number) &&
             add_string(o, "issue_date", j->has_issue_date ? date_format(j->issue_date, date) : NULL) &&
             add_string(o, "format", j->format >= 0 ? invoice_format_to_string(j->format) : NULL) &&
             add_cents(o, "total_cents", j->has_amounts, j->total) &&
             add_cents(o, "total_before_cap_cents", j->has_amounts, j->total_before_cap) &&
             add_cents(o, "allowance_cents", j->has_amounts, j->allowance) &&
             add_string(o, "payload_name", j->payload_name) && add_string(o, "payload_sha256", j->payload_sha256) &&
             add_string(o, "flux", j->flux) && add_string(o, "chorus_flux_state", j->cpp_flux_state) &&
             add_string(o, "chorus_invoice_id", j->cpp_invoice_id) &&
             add_string(o, "chorus_invoice_status", j->cpp_invoice_status) &&
             add_time(o, "created", j->created_usec) && add_time(o, "updated", j->updated_usec) &&
             add_time(o, "deposited", j->deposited_usec) &&
             add_time(o, "approved", j->approved_usec) && add_string(o, "approved_by", j->approved_by) &&
             add_string(o, "approved_as", j->approved_as) &&
             add_string(o, "kind", j->state >= 0 ? (job_is_credit_note(j) ? "credit_note" : "invoice") : NULL) &&
             add_string(o, "credit_of_job", j->credit_of_job) &&
             add_string(o, "credit_of_invoice", j->credit_of_invoice) &&
             add_string(o, "credit_reason", j->credit_reason) &&
             add_time(o, "next_attempt",
                      j->state >= 0 && !job_state_is_terminal(j->state) ? j->next_attempt_usec : 0) &&
             (j->state >= 0 ? !!cJSON_AddNumberToObject(o, "attempts", j->attempts)
                            : !!cJSON_AddNullToObject(o, "attempts")) &&
             add_string(o, "last_error", j->last_error);
        if (!ok)
                return NULL;
        voided = cJSON_AddArrayToObject(o, "voided_numbers");
        if (!voided)
                return NULL;
        for (size_t i = 0; i < j->n_voided; i++) {
                cJSON *s = cJSON_CreateString(j->voided[i]);
                if (!s || !cJSON_AddItemToArray(voided, s)) {
                        cJSON_Delete(s);
                        return NULL;
                }
        }
        return TAKE_PTR(o);
}

typedef struct HistoryContext {
        const char *id;
        cJSON *array;
} HistoryContext;

static int add_history(uint64_t seq, const char *time, const AuditRecord *rec, void *userdata) {
        HistoryContext *h = userdata;
        cJSON *e;

        if (!streq_ptr(rec->job, h->id))
                return 0;
        e = cJSON_CreateObject();
        if (!e || !cJSON_AddItemToArray(h->array, e)) {
                cJSON_Delete(e);
                return -ENOMEM;
        }
        if (!cJSON_AddNumberToObject(e, "seq", (double) seq) || !add_string(e, "time", time) ||
            !add_string(e, "event", rec->event) || !add_string(e, "invoice_number", rec->invoice) ||
            !add_string(e, "flux", rec->flux) || !add_string(e, "chorus_invoice_id", rec->cpp_id) ||
            !add_string(e, "user", rec->user) || !add_string(e, "as", rec->as) ||
            !add_string(e, "detail", rec->detail))
                return -ENOMEM;
        return 0;
}

/* The pending complete/recycle request of a job, or null. */
static bool add_correction(cJSON *o, const char *state_dir, const Job *j) {
        _cleanup_(correction_freep) Correction *c = NULL;
        cJSON *e, *names;
        const char *where;

        if (!j || correction_peek(state_dir, j->id, &c) < 0)
                return !!cJSON_AddNullToObject(o, "correction");
        e = cJSON_AddObjectToObject(o, "correction");
        names = e ? cJSON_AddArrayToObject(e, "attachments") : NULL;
        if (!names)
                return false;
        for (size_t i = 0; i < c->n_attachments; i++) {
                cJSON *s = cJSON_CreateString(c->names[i]);
                if (!s || !cJSON_AddItemToArray(names, s)) {
                        cJSON_Delete(s);
                        return false;
                }
        }
        where = !streq_ptr(j->correction_sent, c->id) ? "waiting"
                : j->lookup_started_usec > 0         ? "uncertain"
                                                     : "sending";
        return add_string(e, "command", correction_kind_to_string(c->kind)) &&
               add_time(e, "asked", strtoull(c->id, NULL, 10)) && add_string(e, "user", c->user) &&
               add_string(e, "as", c->as) && add_string(e, "comment", c->comment) &&
               add_string(e, "service", c->service) && add_string(e, "engagement", c->engagement) &&
               add_string(e, "state", where) &&
               add_time(e, "uncertain_since", streq(where, "uncertain") ? j->lookup_started_usec : 0);
}

int status_print_json(const char *id, const Job *j, const char *audit_path, const char *state_dir) {
        _cleanup_(cJSON_Deletep) cJSON *o = job_json(id, j);
        _cleanup_(freep) char *text = NULL;

        if (!o)
                return -ENOMEM;
        if (state_dir && !add_correction(o, state_dir, j))
                return -ENOMEM;
        if (audit_path) {
                HistoryContext h = { .id = id, .array = cJSON_AddArrayToObject(o, "history") };
                int r;

                if (!h.array)
                        return -ENOMEM;
                r = audit_foreach(audit_path, add_history, &h);
                if (r == -ENOMEM)
                        return r;
                if (!cJSON_AddBoolToObject(o, "history_complete", r >= 0 || r == -ENOENT))
                        return -ENOMEM;
        }
        text = cJSON_PrintUnformatted(o);
        if (!text)
                return -ENOMEM;
        fputs(text, stdout);
        return 0;
}

/* ---- Invoices and credit notes linked (the table) ------------------------------ */

int status_links_add(StatusLinks *l, const char *id, const Job *j) {
        StatusCreditNote *n;

        if (!j || !job_is_credit_note(j))
                return 0;
        n = realloc(l->notes, (l->n + 1) * sizeof *l->notes);
        if (!n)
                return -ENOMEM;
        l->notes = n;
        n = &l->notes[l->n];
        *n = (StatusCreditNote){ .job = strdup(id), .of_job = strdup(strempty(j->credit_of_job)),
                                 .of_invoice = strdup(strempty(j->credit_of_invoice)),
                                 .number = strdup(j->invoice_number ? j->invoice_number : "(no number yet)"),
                                 .convention = strdup(strempty(j->convention)) };
        l->n++;
        if (!n->job || !n->of_job || !n->of_invoice || !n->number || !n->convention)
                return -ENOMEM;
        return 0;
}

void status_links_done(StatusLinks *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->notes[i].job);
                free(l->notes[i].of_job);
                free(l->notes[i].of_invoice);
                free(l->notes[i].number);
                free(l->notes[i].convention);
        }
        free(l->notes);
        *l = (StatusLinks){};
}

const char *status_kind(const Job *j) {
        return job_is_credit_note(j) ? "credit note" : "invoice";
}

const char *status_link(const StatusLinks *l, const char *id, const Job *j, char *buf, size_t size) {
        const StatusCreditNote *after = NULL;

        if (job_is_credit_note(j)) {
                snprintf(buf, size, "cancels %s", strempty(j->credit_of_invoice));
                return buf;
        }
        for (size_t i = 0; i < l->n; i++) {
                const StatusCreditNote *n = &l->notes[i];

                if (streq(n->of_job, id)) {
                        snprintf(buf, size, "cancelled by %s", n->number);
                        return buf;
                }
                /* Job ids sort by their claim time: the latest credit note of
                 * the convention claimed before this invoice. */
                if (j->convention && streq(n->convention, j->convention) && strcmp(n->job, id) < 0 &&
                    (!after || strcmp(n->job, after->job) > 0))
                        after = n;
        }
        if (!after || !j->invoice_number)
                return "-";
        snprintf(buf, size, "replaces %s", after->of_invoice);
        return buf;
}

/* ---- status JOB: a pending complete/recycle request ---------------------------- */

/* "2026-12-10 14:30:00" (local time), as ctl_jobs.c prints times. */
static const char *format_local_time(uint64_t usec, char buf[static 32]) {
        time_t t = (time_t) (usec / USEC_PER_SEC);
        struct tm tm;

        snprintf(buf, 32, "?");
        if (usec > 0 && localtime_r(&t, &tm))
                strftime(buf, 32, "%Y-%m-%d %H:%M:%S", &tm);
        return buf;
}

static void print_request_line(const char *name, const char *value) {
        char buf[CTL_PRINTABLE_MAX];

        if (value && *value)
                printf("  %-20s %s\n", name, ctl_printable(value, buf));
}

void status_print_correction(const char *state_dir, const Job *j) {
        _cleanup_(correction_freep) Correction *c = NULL;
        char when[32], buf[CTL_PRINTABLE_MAX], names[CTL_PRINTABLE_MAX] = "";
        uint64_t asked;
        size_t n = 0;
        int r;

        r = correction_peek(state_dir, j->id, &c);
        if (r == -ENOENT)
                return;
        printf("\nCorrection request (%s/%s):\n", state_dir, CORRECTIONS_DIR);
        if (r < 0) {
                printf("  (cannot be read: %s)\n", strerror(-r));
                return;
        }
        asked = strtoull(c->id, NULL, 10);
        printf("  %-20s chorusctl %s, on %s, by %s", "Asked:", correction_kind_to_string(c->kind),
               format_local_time(asked, when), ctl_printable(strempty(c->user), buf));
        if (c->as)
                printf(" as %s", ctl_printable(c->as, buf));
        printf("\n");
        print_request_line("Comment:", c->comment);
        print_request_line("Service code:", c->service);
        print_request_line("Engagement:", c->engagement);
        for (size_t i = 0; i < c->n_attachments && n < sizeof names; i++)
                n += (size_t) snprintf(names + n, sizeof names - n, "%s%s", i > 0 ? ", " : "", c->names[i]);
        print_request_line("Attachments:", names);
        if (!streq_ptr(j->correction_sent, c->id))
                print_request_line("Request state:", "waiting for chorusd, which sends it within seconds while it "
                                                     "runs, once the invoice's status on Chorus Pro still asks for it");
        else if (j->lookup_started_usec > 0) {
                printf("  %-20s sent, but its answer was lost: not sent again while the invoice stays %s (Chorus Pro "
                       "may show its new status late); watched since %s\n", "Request state:",
                       ctl_printable(strempty(j->cpp_invoice_status), buf),
                       format_local_time(j->lookup_started_usec, when));
        } else
                print_request_line("Request state:", "being sent to Chorus Pro (or chorusd stopped meanwhile: the "
                                                     "invoice's next status tells whether it arrived)");
}
