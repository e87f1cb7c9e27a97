/* config.h — the main configuration (domain.md §8), an INI file parsed with
 * libinih into one Config.
 *
 * One table in config_keys.c lists every key: section, name, type, default,
 * bounds and where it goes in the struct; the parser, the validation and
 * config/chorusd.conf all follow it. Unknown keys and bad values are errors
 * naming the file and line. Secrets are never in this file, only the paths of
 * the files that hold them (see credentials.h). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/diag.h"
#include "base/invoice_format.h"

#define CONFIG_DEFAULT_PATH "/etc/chorusd/chorusd.conf"
#define INVOICE_NUMBER_MAX 20 /* Chorus Pro accepts at most 20 characters in BT-1 */

typedef enum ChorusEnvironment {
        CHORUS_ENVIRONMENT_SANDBOX,
        CHORUS_ENVIRONMENT_PRODUCTION,
        CHORUS_ENVIRONMENT_CUSTOM,
        _CHORUS_ENVIRONMENT_MAX,
        _CHORUS_ENVIRONMENT_INVALID = -EINVAL,
} ChorusEnvironment;

const char *chorus_environment_to_string(ChorusEnvironment e);
ChorusEnvironment chorus_environment_from_string(const char *s);

typedef struct SellerConfig {
        char *name;
        char *siret;  /* 14 digits, Luhn-valid */
        char *vat_id; /* optional; written on S invoices only (BR-O-02) */
        char *street;
        char *postcode;
        char *city;
        char *country; /* ISO 3166-1 alpha-2 */
        char *email;
        char *iban; /* ISO 13616 check digits verified; stored without spaces */
        char *bic;  /* optional */
        char *payment_means; /* UNCL4461 "30" (credit transfer) or "58" (SEPA) */
} SellerConfig;

/* [invoice] approval: whether a validated bilan waits for `chorusctl
 * approve` (a preview in review/, no number used) before it is numbered. */
typedef enum InvoiceApproval {
        INVOICE_APPROVAL_NONE,
        INVOICE_APPROVAL_REQUIRED,
        _INVOICE_APPROVAL_MAX,
        _INVOICE_APPROVAL_INVALID = -EINVAL,
} InvoiceApproval;

const char *invoice_approval_to_string(InvoiceApproval a);
InvoiceApproval invoice_approval_from_string(const char *s);

typedef struct InvoiceConfig {
        char *number_prefix;         /* e.g. "CMA34-": number = prefix + YYYY-NNNN */
        unsigned payment_terms_days; /* due date = issue date + this */
        unsigned clock_tolerance_days; /* dates up to today + this are not "in the future" */
        InvoiceFormat default_format;
        InvoiceApproval approval;    /* none (default: today's behaviour) or required */
} InvoiceConfig;

typedef struct ChorusConfig {
        ChorusEnvironment environment;
        char *api_url;   /* resolved: from the environment, or given with custom */
        char *oauth_url; /* resolved full token URL */
        char *ca_file;   /* extra CA bundle; NULL = system CAs only */
        char *client_id;
        char *technical_login;
        char *client_secret_file; /* NULL = $CREDENTIALS_DIRECTORY/piste-client-secret */
        char *cpro_password_file; /* NULL = $CREDENTIALS_DIRECTORY/cpro-password */
        unsigned connect_timeout;         /* seconds */
        unsigned timeout;                 /* seconds, whole request */
        unsigned retry_deadline;          /* seconds of retrying before failed/ */
        unsigned poll_interval;           /* first consulterCRDetaille delay, seconds */
        unsigned lifecycle_poll_interval; /* consulter/historique interval, seconds */
        unsigned max_parallel_calls;      /* Chorus Pro calls in flight; more wait in a queue */
} ChorusConfig;

/* [notify]: e-mail notices (notice.h, outbox.h). Off while smtp_url is
 * unset, the default: chorusd then sends nothing, as before [notify]. */
typedef enum SmtpTls {
        SMTP_TLS_STARTTLS, /* smtp://: STARTTLS required (smtps:// is TLS from the start) */
        SMTP_TLS_NONE,     /* smtp:// in clear text: a relay on the same host only */
        _SMTP_TLS_MAX,
        _SMTP_TLS_INVALID = -EINVAL,
} SmtpTls;

const char *smtp_tls_to_string(SmtpTls t);
SmtpTls smtp_tls_from_string(const char *s);

typedef struct NotifyConfig {
        char *smtp_url;           /* smtp://HOST[:PORT] or smtps://HOST[:PORT]; NULL = no notices */
        SmtpTls smtp_tls;
        char *smtp_user;          /* NULL = no authentication */
        char *smtp_password_file; /* NULL = $CREDENTIALS_DIRECTORY/smtp-password */
        char *ca_file;            /* PEM bundle trusted instead of the system CAs; NULL = system */
        char *from;               /* the sender address */
        char *staff;              /* comma-separated addresses; NULL = none */
        char *admins;             /* comma-separated addresses; NULL = none */
} NotifyConfig;

typedef struct Config {
        char *path;
        SellerConfig seller;
        InvoiceConfig invoice;
        struct {
                char *dir;
                uint64_t max_file_size; /* bytes; larger drops go to rejected/ unread */
                uint64_t min_free_space; /* bytes; below it, claiming pauses */
                unsigned settle_seconds; /* a dropped file is claimed after this much quiet */
                char *templates_dir; /* modele-bilan-ID.ods|.xlsx kept here; NULL = none */
        } spool;
        struct {
                char *dir;
                char *metrics_file; /* node_exporter text file chorusd rewrites; NULL = none */
        } state;
        struct {
                char *dir;
        } conventions;
        ChorusConfig chorus;
        NotifyConfig notify;
} Config;

/* Parses and validates `path`. On error returns -EINVAL (every problem in
 * `diags`, with file and line), -ENOENT/-EACCES (cannot read it), -ENOMEM. */
int config_load(const char *path, Config **ret, Diagnostics *diags);
/* The same from `size` bytes of text already read (need not end with NUL);
 * `name` stands for the file in diagnostics and Config.path. The fuzz target
 * uses it; config_load() reads the file and calls it. */
int config_parse_text(const char *name, const char *text, size_t size, Config **ret, Diagnostics *diags);
Config *config_free(Config *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Config *, config_free);

/* The keys config_load() knows, in the order of its table (for tests and
 * documentation): the name of key `i`, its section, its default as written
 * in the file (NULL: none) and whether it is required; NULL past the last. */
const char *config_key_at(size_t i, const char **ret_section, const char **ret_default,
                          bool *ret_required);

/* The invoice number for a year and sequence: prefix + YYYY + "-" + at least
 * four digits. Returns 0, -ERANGE if it would exceed INVOICE_NUMBER_MAX, or
 * -EINVAL if the year does not have four digits. */
int config_format_invoice_number(const Config *c, int year, uint64_t sequence,
                                 char buf[static INVOICE_NUMBER_MAX + 1]);
