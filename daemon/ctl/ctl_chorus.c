/* ctl_chorus.c — `chorusctl ping` and `chorusctl structure SIRET`: the
 * administrator's two ways to talk to Chorus Pro by hand.
 *
 * ping runs one check per line, each with a diagnosis when it fails: the
 * PISTE token (client id and secret), the Transverses health-check (also
 * the technical account: a wrong login or password gives 401 there), the
 * technical account's own structure through the Structures API (and the
 * expiry of its password), and the Factures API (a search that finds
 * nothing). structure looks a buyer up the way chorusd needs it: name,
 * status, what an invoice must carry (service code and/or engagement, read
 * as chorus-pro-api.md §3.7 says), and its active services with their own
 * engagement requirement.
 *
 * Temporary failures are retried in-process, with the daemon's backoff
 * function, until a deadline counted for each call (a command makes several):
 * min(retry_deadline, 60 s) unless --deadline says otherwise. Secrets are loaded with credentials_load_by_hand() and never
 * printed; every message comes from chorus_error.c, which never quotes a
 * request.
 *
 * Exit status: 0 all checks passed / the buyer was found; 65 the SIRET is
 * invalid or unknown to Chorus Pro; 69 Chorus Pro or PISTE cannot be
 * reached or does not answer as the API says; 75 it is throttling us; 78
 * the configuration or the credentials do not load, or PISTE or Chorus Pro
 * refuse them; 64 usage error (exit_status_for() maps a failed call). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "chorus/chorus_client.h"
#include "chorus/credentials.h"
#include "ctl/ctl.h"
#include "base/date.h"
#include "base/identifiers.h"
#include "base/log.h"
#include "service/metrics.h"

#define CTL_DEADLINE_DEFAULT_SEC 60
#define PASSWORD_EXPIRY_WARNING_DAYS 15
#define PING_INVOICE_NUMBER "CHORUSCTL-PING" /* a search that finds nothing */

typedef struct ChorusCtlOptions {
        const char *config_path;
        long deadline_sec; /* -1 = the default */
} ChorusCtlOptions;

/* What both commands open: the configuration and a client. */
typedef struct ChorusCtl {
        Config *config;
        ChorusClient *client;
} ChorusCtl;

static void chorus_ctl_done(ChorusCtl *c) {
        c->client = chorus_client_free(c->client);
        c->config = config_free(c->config);
}

static void help_ping(void) {
        printf("usage: chorusctl ping [-c FILE] [--deadline SECONDS]\n"
               "\n"
               "Checks that chorusd can work with Chorus Pro, one line per check:\n"
               "  1. the PISTE token (client_id and the piste-client-secret credential);\n"
               "  2. the Chorus Pro health-check (Transverses API) with the technical account;\n"
               "  3. the technical account's own structure (Structures API, seller SIRET) and\n"
               "     when its password expires;\n"
               "  4. the Factures API (a search that finds nothing).\n"
               "Each failure comes with what to check. Temporary failures (network, 5xx, 429)\n"
               "are retried until the deadline. The secrets are read from the files named in\n"
               "[chorus], else $CREDENTIALS_DIRECTORY, else credentials/ beside the\n"
               "configuration (the LoadCredential= sources: run as root).\n"
               "\n"
               "  -c, --config FILE      main configuration (default %s)\n"
               "      --deadline SECONDS stop retrying a call after this long (default:\n"
               "                         retry_deadline, at most %d; 0 = one attempt)\n"
               "  -h, --help             show this help\n"
               "\n"
               "Exit status: 0 every check passed; for the first check that failed:\n"
               "69 Chorus Pro or PISTE unreachable or not working, 75 throttled (try\n"
               "later), 78 credentials or configuration refused (or not loaded);\n"
               "64 usage error.\n",
               CONFIG_DEFAULT_PATH, CTL_DEADLINE_DEFAULT_SEC);
}

static void help_structure(void) {
        printf("usage: chorusctl structure [-c FILE] [--deadline SECONDS] SIRET\n"
               "\n"
               "Looks a buyer up on Chorus Pro by its SIRET and prints its name, its status,\n"
               "what an invoice to it must carry (a service code and/or an engagement number),\n"
               "and its active services (FACTURES_PUBLIQUES left out: it is only for invoices\n"
               "between public entities), each with whether it requires an engagement.\n"
               "\n"
               "  -c, --config FILE      main configuration (default %s)\n"
               "      --deadline SECONDS stop retrying a call after this long (default:\n"
               "                         retry_deadline, at most %d; 0 = one attempt)\n"
               "  -h, --help             show this help\n"
               "\n"
               "Exit status: 0 found, 65 the SIRET is invalid or unknown to Chorus Pro,\n"
               "69 Chorus Pro or PISTE unreachable or not working, 75 throttled (try\n"
               "later), 78 credentials or configuration refused (or not loaded),\n"
               "64 usage error.\n",
               CONFIG_DEFAULT_PATH, CTL_DEADLINE_DEFAULT_SEC);
}

/* Returns -1 to go on, or an exit status. */
static int parse_options(const char *command, void (*help)(void), int argc, char *argv[], ChorusCtlOptions *o) {
        enum { ARG_DEADLINE = 0x100 };
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "deadline", required_argument, NULL, ARG_DEADLINE },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        char *end;
        int c;

        *o = (ChorusCtlOptions){ .deadline_sec = -1 };
        optind = 0; /* full reinitialisation: argv[0] is the command name */
        while ((c = getopt_long(argc, argv, "c:h", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        o->config_path = optarg;
                        break;
                case ARG_DEADLINE:
                        errno = 0;
                        o->deadline_sec = strtol(optarg, &end, 10);
                        if (errno != 0 || end == optarg || *end != '\0' || o->deadline_sec < 0 ||
                            o->deadline_sec > 86400)
                                return ctl_usage_error(command, "--deadline expects 0 to 86400 seconds, got '%s'",
                                                       optarg);
                        break;
                case 'h':
                        help();
                        return CTL_EXIT_OK;
                default:
                        return ctl_usage_error(command, "invalid option");
                }
        return -1;
}

/* Progress for the operator while a temporary failure is retried. */
static void on_retry(const ChorusError *e, unsigned attempt, uint64_t delay_usec, void *userdata) {
        (void) userdata;
        fprintf(stderr, "  temporary failure: %s; attempt %u in %" PRIu64 ".%01" PRIu64 " s\n",
                strempty(e->message), attempt, delay_usec / USEC_PER_SEC,
                delay_usec % USEC_PER_SEC / (USEC_PER_SEC / 10));
}

static uint64_t deadline_usec(const ChorusCtlOptions *o, const Config *config) {
        long sec = o->deadline_sec;

        if (sec < 0) {
                sec = config->chorus.retry_deadline;
                if (sec > CTL_DEADLINE_DEFAULT_SEC)
                        sec = CTL_DEADLINE_DEFAULT_SEC;
        }
        return (uint64_t) sec * USEC_PER_SEC;
}

/* Loads the configuration and the secrets, and creates the client. */
static int chorus_ctl_open(const char *command, const ChorusCtlOptions *o, ChorusCtl *ret) {
        _cleanup_(chorus_secrets_done) ChorusSecrets secrets = {};
        _cleanup_(freep) char *message = NULL;
        ChorusClientOptions co;
        int r;

        r = ctl_load_config(o->config_path, &ret->config);
        if (r < 0)
                return ctl_exit_config(r);
        r = credentials_load_by_hand(&ret->config->chorus, ret->config->path, &secrets, &message);
        if (r < 0) {
                fprintf(stderr, "chorusctl %s: %s\n", command, message ? message : strerror(-r));
                return ctl_exit_config(r); /* missing or badly protected */
        }
        co = (ChorusClientOptions){
                .config = &ret->config->chorus,
                .secrets = &secrets,
                .retry_deadline_usec = deadline_usec(o, ret->config),
                .retry_policy = RETRY_POLICY_INTERACTIVE,
                .retry_hook = on_retry,
        };
        r = chorus_client_new(&co, &ret->client, &message);
        if (r < 0) {
                fprintf(stderr, "chorusctl %s: cannot set up the Chorus Pro client: %s\n", command,
                        message ? message : strerror(-r));
                return ctl_exit_config(r); /* a URL or ca_file of the configuration */
        }
        return CTL_EXIT_OK;
}

/* What to look at, beyond the message, for the failures whose message
 * cannot know the fix. */
static const char *failure_hint(const ChorusError *e) {
        switch (e->kind) {
        case CHORUS_ERROR_NETWORK:
                return "check api_url/oauth_url, DNS, the firewall, and the proxy (https_proxy) if there is one";
        case CHORUS_ERROR_TIMEOUT:
                return "the network or Chorus Pro is slow or down: try again later, or raise timeout/connect_timeout";
        case CHORUS_ERROR_HTTP:
                if (e->temporary)
                        return "PISTE or Chorus Pro is unavailable or throttling: try again later";
                return NULL;
        case CHORUS_ERROR_RESPONSE:
                return "is api_url really the Chorus Pro API of this environment?";
        default:
                return NULL;
        }
}

/* The exit status for a call that failed, after its retries. */
static int exit_status_for(const ChorusError *e) {
        switch (e->kind) {
        case CHORUS_ERROR_CONFIG:       /* a URL chorusd.conf must fix */
        case CHORUS_ERROR_UNAUTHORIZED: /* the technical account's login or password */
        case CHORUS_ERROR_FORBIDDEN:    /* an API not subscribed for the PISTE application */
        case CHORUS_ERROR_TOKEN:        /* client_id or the client secret */
                return CTL_EXIT_CONFIG;
        case CHORUS_ERROR_BUSINESS: /* Chorus Pro refused what we asked */
                return CTL_EXIT_DATAERR;
        case CHORUS_ERROR_INTERNAL:
                return CTL_EXIT_SOFTWARE;
        case CHORUS_ERROR_HTTP:
                if (e->http_status == 429)
                        return CTL_EXIT_TEMPFAIL;
                return CTL_EXIT_UNAVAILABLE;
        default: /* network, timeout, TLS, an answer the API does not document */
                return CTL_EXIT_UNAVAILABLE;
        }
}

static void print_failure(const char *check, const ChorusError *e) {
        const char *hint = failure_hint(e);

        printf("%-28s FAILED: %s\n", check, strempty(e->message));
        if (hint)
                printf("%-28s   → %s\n", "", hint);
        if (e->attempts > 1)
                printf("%-28s   (%u attempts)\n", "", e->attempts);
}

/* ---- ping ---- */

/* The exit status of a failed check. ping sends only what the
 * configuration says: Chorus Pro refusing it (codeRetour) is a
 * configuration error there, not bad input. */
static int ping_status_for(const ChorusError *e) {
        int status = exit_status_for(e);

        return status == CTL_EXIT_DATAERR ? CTL_EXIT_CONFIG : status;
}

/* Prints the failure of a check and returns its exit status. */
static int ping_failed(const char *check, ChorusError *e) {
        int status = ping_status_for(e);

        print_failure(check, e);
        chorus_error_done(e);
        return status;
}

/* Each check returns CTL_EXIT_OK or the exit status of its failure. */
static int ping_token(ChorusCtl *c) {
        ChorusTokenInfo t = {};
        ChorusError e = {};

        if (chorus_token_refresh_sync(c->client, &t, &e) < 0)
                return ping_failed("PISTE token", &e);
        printf("%-28s OK (%s, valid %" PRIu64 " s)\n", "PISTE token", c->config->chorus.oauth_url,
               t.lifetime_usec / USEC_PER_SEC);
        return CTL_EXIT_OK;
}

static int ping_health(ChorusCtl *c) {
        char buf[CTL_PRINTABLE_MAX];
        ChorusHealth h = {};
        ChorusError e = {};

        if (chorus_health_check_sync(c->client, &h, &e) < 0)
                return ping_failed("Chorus Pro health-check", &e);
        printf("%-28s OK (%s): %s\n", "Chorus Pro health-check", c->config->chorus.api_url,
               ctl_printable(h.message, buf));
        chorus_health_done(&h);
        return CTL_EXIT_OK;
}

/* Days from today to an ISO date-time's date ("2027-06-30T00:00:00…"). */
static int days_until(const char *iso, int64_t *ret) {
        char day[DATE_STRING_MAX];
        Date d;

        if (!iso || strlen(iso) < DATE_STRING_MAX - 1)
                return -EINVAL;
        memcpy(day, iso, DATE_STRING_MAX - 1);
        day[DATE_STRING_MAX - 1] = '\0';
        if (date_parse(day, &d) < 0)
                return -EINVAL;
        *ret = date_to_days(d) - date_to_days(date_from_time(time(NULL)));
        return 0;
}

static void print_password_expiry(const ChorusStructure *s) {
        char buf[CTL_PRINTABLE_MAX];
        int64_t days;

        if (days_until(s->password_expiry, &days) < 0) {
                printf("%-28s   technical account password expiry: not reported\n", "");
                return;
        }
        printf("%-28s   technical account password expires on %.10s (in %" PRId64 " days)\n", "",
               ctl_printable(s->password_expiry, buf), days);
        if (days <= PASSWORD_EXPIRY_WARNING_DAYS)
                printf("%-28s   WARNING: renew it soon in the Chorus Pro portal (Raccordement EDI/API), then update the cpro-password credential\n",
                       "");
}

/* Looks the structure with `siret` up: the first in the answer that carries
 * that SIRET (a search may also return others). Returns 1 found, 0 not found
 * (*ret_count says how many came back), < 0 failed (*e filled). */
static int structure_find(ChorusClient *client, const char *siret, ChorusStructureSummary *ret, size_t *ret_count,
                          ChorusError *e) {
        ChorusStructureList l = {};
        int r, found = 0;

        r = chorus_structure_search_sync(client, siret, &l, e);
        if (r < 0)
                return r;
        *ret_count = l.n_items;
        for (size_t i = 0; i < l.n_items; i++)
                if (streq_ptr(l.items[i].identifiant, siret) && !found) {
                        *ret = l.items[i];
                        l.items[i] = (ChorusStructureSummary){};
                        found = 1;
                }
        chorus_structure_list_done(&l);
        return found;
}

/* The seller's own structure: found by SIRET, then read. Returns 1 with
 * *ret filled, 0 when the SIRET is unknown (printed), < 0 with *e filled. */
static int ping_account_lookup(ChorusCtl *c, const char *check, ChorusStructure *ret, ChorusError *e) {
        const char *siret = c->config->seller.siret;
        ChorusStructureSummary summary = {};
        size_t count = 0;
        int r;

        r = structure_find(c->client, siret, &summary, &count, e);
        if (r == 0)
                printf("%-28s FAILED: the seller SIRET %s is not a Chorus Pro structure (%zu found): check [seller] siret and that %s belongs to it\n",
                       check, siret, count, c->config->chorus.technical_login);
        if (r <= 0)
                return r;
        r = chorus_structure_get_sync(c->client, summary.id_structure_cpp, ret, e);
        chorus_structure_summary_done(&summary);
        return r < 0 ? r : 1;
}

/* For `chorusctl health`, which makes no call by default: STATE_DIR/chorus-account. */
static void record_password_expiry(const Config *config, const char *expiry, bool say) {
        int r = chorus_account_file_write(config->state.dir, expiry);

        if (r < 0 && say)
                printf("%-28s   (not recorded for 'chorusctl health' in %s/%s: %s)\n", "", config->state.dir,
                       CHORUS_ACCOUNT_FILE, strerror(-r));
}

static int ping_account(ChorusCtl *c) {
        const char *check = "Technical account";
        char buf[CTL_PRINTABLE_MAX];
        ChorusStructure s = {};
        ChorusError e = {};
        int r, status = CTL_EXIT_CONFIG; /* not found: [seller] siret or the account */

        r = ping_account_lookup(c, check, &s, &e);
        if (r < 0) {
                status = ping_status_for(&e);
                print_failure(check, &e);
        }
        if (r > 0) {
                status = CTL_EXIT_OK;
                printf("%-28s OK (%s): structure %s, idStructureCPP %" PRId64 "\n", check,
                       c->config->chorus.technical_login, ctl_printable(s.raison_sociale, buf), s.id_structure_cpp);
                print_password_expiry(&s);
                record_password_expiry(c->config, s.password_expiry, true);
        }
        chorus_structure_done(&s);
        chorus_error_done(&e);
        return status;
}

static int ping_factures(ChorusCtl *c) {
        ChorusInvoiceSearch q = { .numero_facture = PING_INVOICE_NUMBER, .page_size = 1 };
        ChorusInvoiceList l = {};
        ChorusError e = {};

        if (chorus_invoice_search_sync(c->client, &q, &l, &e) < 0)
                return ping_failed("Factures API", &e);
        printf("%-28s OK (rechercher/fournisseur answered)\n", "Factures API");
        chorus_invoice_list_done(&l);
        return CTL_EXIT_OK;
}

int ctl_ping(int argc, char *argv[]) {
        _cleanup_(chorus_ctl_done) ChorusCtl c = {};
        ChorusCtlOptions o;
        int (*const checks[])(ChorusCtl *c) = { ping_health, ping_account, ping_factures };
        int r, status = CTL_EXIT_OK;
        unsigned failed = 0;

        r = parse_options("ping", help_ping, argc, argv, &o);
        if (r >= 0)
                return r;
        if (optind < argc)
                return ctl_usage_error("ping", "unexpected argument '%s'", argv[optind]);
        r = chorus_ctl_open("ping", &o, &c);
        if (r != CTL_EXIT_OK)
                return r;

        printf("Chorus Pro environment: %s\n", chorus_environment_to_string(c.config->chorus.environment));
        r = ping_token(&c);
        if (r != CTL_EXIT_OK) {
                fprintf(stderr, "chorusctl ping: no PISTE token, the other checks cannot run\n");
                return r;
        }
        /* Every check runs; the first failure gives the exit status. */
        for (size_t i = 0; i < ELEMENTSOF(checks); i++) {
                r = checks[i](&c);
                if (r != CTL_EXIT_OK && failed++ == 0)
                        status = r;
        }
        if (failed > 0) {
                fprintf(stderr, "chorusctl ping: %u check(s) failed\n", failed);
                return status;
        }
        printf("All checks passed.\n");
        return CTL_EXIT_OK;
}

/* ---- structure ---- */

/* One "Label   value" line of a value Chorus Pro sent. */
static void print_field(const char *label, const char *value) {
        char buf[CTL_PRINTABLE_MAX];

        printf("%-18s %s\n", label, ctl_printable(value, buf));
}

static void print_structure(const ChorusStructureSummary *summary, const ChorusStructure *s) {
        ChorusRequirement req = chorus_structure_requirement(&s->params);

        print_field("Name", s->raison_sociale ? s->raison_sociale : summary->designation);
        if (s->libelle && !streq_ptr(s->libelle, s->raison_sociale))
                print_field("Label", s->libelle);
        print_field("SIRET", summary->identifiant);
        printf("%-18s %" PRId64 "\n", "idStructureCPP", s->id_structure_cpp);
        print_field("Status", summary->statut);
        if (s->type)
                print_field("Type", s->type);
        printf("%-18s %s\n", "Invoices require", chorus_requirement_to_string(req));
        if (!streq_ptr(summary->statut, "ACTIVE"))
                printf("WARNING: this structure is not active: Chorus Pro rejects invoices sent to it.\n");
}

/* Prints the invoiceable services, each with its engagement requirement.
 * Returns 0, or < 0 with *e filled. */
static int print_services(ChorusClient *client, const ChorusStructure *s, ChorusError *e) {
        ChorusServiceList l = {};
        size_t shown = 0;
        int r;

        r = chorus_service_search_sync(client, s->id_structure_cpp, &l, e);
        if (r < 0)
                return r;
        for (size_t i = 0; i < l.n_items; i++)
                shown += chorus_service_is_invoiceable(&l.items[i]);
        printf("Services: %zu active (%s and inactive ones left out)\n", shown, CHORUS_SERVICE_PUBLIC_INVOICES);
        if (shown > 0)
                printf("  %-20s %-12s %s\n", "CODE", "ENGAGEMENT", "NAME");
        for (size_t i = 0; r >= 0 && i < l.n_items; i++) {
                ChorusServiceDetail d = {};

                if (!chorus_service_is_invoiceable(&l.items[i]))
                        continue;
                r = chorus_service_get_sync(client, s->id_structure_cpp, l.items[i].id_service, &d, e);
                if (r >= 0) {
                        char code[CTL_PRINTABLE_MAX], name[CTL_PRINTABLE_MAX];

                        printf("  %-20s %-12s %s\n", ctl_printable(l.items[i].code, code),
                               d.engagement_required ? "required" : "no", ctl_printable(l.items[i].libelle, name));
                }
                chorus_service_detail_done(&d);
        }
        if (r >= 0 && shown == 0 && s->params.code_service_required && !s->params.engagement_or_service)
                printf("WARNING: a service code is required but no service is active.\n");
        chorus_service_list_done(&l);
        return r;
}

static int structure_show(ChorusCtl *c, const char *siret) {
        ChorusStructureSummary summary = {};
        ChorusStructure s = {};
        ChorusError e = {};
        size_t count = 0;
        int r, status = CTL_EXIT_OK;

        r = structure_find(c->client, siret, &summary, &count, &e);
        if (r == 0) {
                fprintf(stderr, "chorusctl structure: no Chorus Pro structure has the SIRET %s (%zu other result(s))\n",
                        siret, count);
                return CTL_EXIT_DATAERR;
        }
        if (r > 0)
                r = chorus_structure_get_sync(c->client, summary.id_structure_cpp, &s, &e);
        if (r >= 0) {
                print_structure(&summary, &s);
                r = print_services(c->client, &s, &e);
        }
        if (r < 0) {
                fprintf(stderr, "chorusctl structure: %s: %s\n", strempty(e.operation), strempty(e.message));
                if (failure_hint(&e))
                        fprintf(stderr, "  → %s\n", failure_hint(&e));
                status = exit_status_for(&e);
        }
        chorus_structure_summary_done(&summary);
        chorus_structure_done(&s);
        chorus_error_done(&e);
        return status;
}

int ctl_structure(int argc, char *argv[]) {
        _cleanup_(chorus_ctl_done) ChorusCtl c = {};
        ChorusCtlOptions o;
        const char *siret;
        int r;

        r = parse_options("structure", help_structure, argc, argv, &o);
        if (r >= 0)
                return r;
        if (optind >= argc)
                return ctl_usage_error("structure", "no SIRET given");
        if (optind + 1 < argc)
                return ctl_usage_error("structure", "unexpected argument '%s'", argv[optind + 1]);
        siret = argv[optind];
        if (!siret_is_valid(siret)) {
                fprintf(stderr, "chorusctl structure: '%s' is not a valid SIRET (14 digits with a valid Luhn key)\n",
                        siret);
                return CTL_EXIT_DATAERR;
        }
        r = chorus_ctl_open("structure", &o, &c);
        if (r != CTL_EXIT_OK)
                return r;
        return structure_show(&c, siret);
}

/* ---- health --ping ---- */

int ctl_chorus_live_check(const char *config_path, long deadline_sec, char **ret_message) {
        _cleanup_(chorus_ctl_done) ChorusCtl c = {};
        ChorusCtlOptions o = { .config_path = config_path, .deadline_sec = deadline_sec };
        ChorusStructureSummary summary = {};
        ChorusHealth h = {};
        ChorusStructure s = {};
        ChorusError e = {}, e2 = {};
        size_t count;
        int r;

        *ret_message = NULL;
        r = chorus_ctl_open("health", &o, &c);
        if (r != CTL_EXIT_OK)
                return -EINVAL;
        r = chorus_health_check_sync(c.client, &h, &e);
        chorus_health_done(&h);
        /* The account's structure: its password expiry, recorded (best effort). */
        if (r >= 0 && structure_find(c.client, c.config->seller.siret, &summary, &count, &e2) > 0 &&
            chorus_structure_get_sync(c.client, summary.id_structure_cpp, &s, &e2) >= 0)
                record_password_expiry(c.config, s.password_expiry, false);
        chorus_structure_summary_done(&summary);
        chorus_structure_done(&s);
        chorus_error_done(&e2);
        if (r < 0) {
                *ret_message = e.message ? strdup(e.message) : NULL;
                chorus_error_done(&e);
                return r;
        }
        chorus_error_done(&e);
        return 0;
}
