/* config_keys.c — the vocabulary of chorusd.conf, part of the config module
 * (config_internal.h): config_keys[], the single list of every key (section,
 * name, type, default, whether it is required, bounds, where it goes in
 * Config, what a good value looks like), the sections, and the names of the
 * enum values (environment, approval). config.c's parser and checks,
 * config/chorusd.conf, man/chorusd.conf.5 and test_config all follow this
 * table; chorusctl and suite 12-man read it through config_key_at(). Apart
 * from config.c so that adding a key is one line in a file that holds
 * nothing else. Pure: data and lookups. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/config.h"
#include "base/identifiers.h"
#include "base/config_internal.h"

#define STRINGIFY2(x) #x
#define STRINGIFY(x) STRINGIFY2(x)

static const char *const environment_names[_CHORUS_ENVIRONMENT_MAX] = {
        [CHORUS_ENVIRONMENT_SANDBOX] = "sandbox",
        [CHORUS_ENVIRONMENT_PRODUCTION] = "production",
        [CHORUS_ENVIRONMENT_CUSTOM] = "custom",
};

DEFINE_STRING_TABLE_LOOKUP(chorus_environment, ChorusEnvironment, environment_names, _CHORUS_ENVIRONMENT_MAX, _CHORUS_ENVIRONMENT_INVALID);

static const char *const approval_names[_INVOICE_APPROVAL_MAX] = {
        [INVOICE_APPROVAL_NONE] = "none",
        [INVOICE_APPROVAL_REQUIRED] = "required",
};

DEFINE_STRING_TABLE_LOOKUP(invoice_approval, InvoiceApproval, approval_names, _INVOICE_APPROVAL_MAX, _INVOICE_APPROVAL_INVALID);

static const char *const smtp_tls_names[_SMTP_TLS_MAX] = {
        [SMTP_TLS_STARTTLS] = "starttls",
        [SMTP_TLS_NONE] = "none",
};

DEFINE_STRING_TABLE_LOOKUP(smtp_tls, SmtpTls, smtp_tls_names, _SMTP_TLS_MAX, _SMTP_TLS_INVALID);

/* ---- the table ---- */

static int parse_format(const char *s) {
        return invoice_format_from_string(s);
}
static int parse_approval(const char *s) {
        return invoice_approval_from_string(s);
}
static int parse_environment(const char *s) {
        return chorus_environment_from_string(s);
}
static int parse_smtp_tls(const char *s) {
        return smtp_tls_from_string(s);
}

_Static_assert(sizeof(InvoiceFormat) == sizeof(int), "KEY_ENUM stores an int");
_Static_assert(sizeof(ChorusEnvironment) == sizeof(int), "KEY_ENUM stores an int");
_Static_assert(sizeof(InvoiceApproval) == sizeof(int), "KEY_ENUM stores an int");
_Static_assert(sizeof(SmtpTls) == sizeof(int), "KEY_ENUM stores an int");

#define TEXT(sec, key, req, field, expect) \
        { sec, key, KEY_STRING, NULL, req, 0, 0, offsetof(Config, field), utf8_line_is_valid, NULL, expect, false }
#define CHECKED(sec, key, def, req, field, check, expect) \
        { sec, key, KEY_STRING, def, req, 0, 0, offsetof(Config, field), check, NULL, expect, false }
#define PATH(sec, key, def, req, field) \
        CHECKED(sec, key, def, req, field, absolute_path_is_valid, "an absolute path")
/* The file of a secret: pasting the secret itself here is a classic
 * mistake, and the error message goes to the journal. */
#define SECRET_PATH(sec, key, field) \
        { sec, key, KEY_STRING, NULL, false, 0, 0, offsetof(Config, field), absolute_path_is_valid, NULL, \
          "an absolute path", true }
#define URL(sec, key, field) \
        CHECKED(sec, key, NULL, false, field, https_url_is_valid, \
                "an https:// URL (TLS is always verified: there is no http option)")
#define ENUM(sec, key, def, field, parse, expect) \
        { sec, key, KEY_ENUM, def, false, 0, 0, offsetof(Config, field), NULL, parse, expect, false }
#define UNSIGNED(sec, key, def, lo, hi, field) \
        { sec, key, KEY_UNSIGNED, def, false, lo, hi, offsetof(Config, field), NULL, NULL, NULL, false }
#define SIZE(sec, key, def, lo, hi, field) \
        { sec, key, KEY_SIZE, def, false, lo, hi, offsetof(Config, field), NULL, NULL, NULL, false }

#define KIB UINT64_C(1024)
#define MIB (1024 * KIB)
#define GIB (1024 * MIB)
#define DAY 86400

/* domain.md §8, plus payment_means, max_file_size and min_free_space. */
const ConfigKey config_keys[] = {
        TEXT("seller", "name", true, seller.name, "the seller's legal name"),
        CHECKED("seller", "siret", NULL, true, seller.siret, siret_is_valid,
                "a SIRET: 14 digits with a valid Luhn check digit"),
        CHECKED("seller", "vat_id", NULL, false, seller.vat_id, vat_id_is_valid,
                "an intra-community VAT number such as FR53130026024 (country, key, SIREN)"),
        TEXT("seller", "street", true, seller.street, "a street address"),
        TEXT("seller", "postcode", true, seller.postcode, "a postcode"),
        TEXT("seller", "city", true, seller.city, "a city"),
        CHECKED("seller", "country", NULL, true, seller.country, country_code_is_valid,
                "an assigned ISO 3166-1 alpha-2 country code such as FR"),
        CHECKED("seller", "email", NULL, true, seller.email, email_is_valid,
                "an e-mail address such as facturation@example.org"),
        { "seller", "iban", KEY_IBAN, NULL, true, 0, 0, offsetof(Config, seller.iban), NULL, NULL,
          "an IBAN with valid check digits, such as FR76 3000 1007 9412 3456 7890 185", false },
        CHECKED("seller", "bic", NULL, false, seller.bic, bic_is_valid,
                "a BIC: 8 or 11 characters such as BDFEFRPPXXX"),
        CHECKED("seller", "payment_means", "30", false, seller.payment_means,
                payment_means_is_valid,
                "30 (Chorus Pro takes a credit transfer, SEPA included, only as code 30: "
                "58 and the other UNCL 4461 codes are refused)"),

        CHECKED("invoice", "number_prefix", NULL, true, invoice.number_prefix,
                number_prefix_is_valid,
                "at most " STRINGIFY(NUMBER_PREFIX_MAX) " characters from [A-Za-z0-9_./-]: "
                "prefix + YYYY + \"-\" + 4 digits must fit in the 20 characters Chorus Pro "
                "accepts for an invoice number"),
        UNSIGNED("invoice", "payment_terms_days", "30", 0, 60, invoice.payment_terms_days),
        /* A bilan or realisation dated after today + this is refused. */
        UNSIGNED("invoice", "clock_tolerance_days", "1", 0, 366, invoice.clock_tolerance_days),
        ENUM("invoice", "default_format", "ubl", invoice.default_format, parse_format,
             "ubl, cii or facturx"),
        /* Absent means none: an installation upgraded without the key goes
         * on depositing as before; the shipped sample sets required. */
        ENUM("invoice", "approval", "none", invoice.approval, parse_approval, "none or required"),

        PATH("spool", "dir", "/var/spool/chorusd", false, spool.dir),
        /* 8 MiB: BILAN_FILE_MAX (core/bilan_input.h), what a workbook may be */
        SIZE("spool", "max_file_size", "8M", KIB, 8 * MIB, spool.max_file_size),
        SIZE("spool", "min_free_space", "64M", MIB, 1024 * GIB, spool.min_free_space),
        UNSIGNED("spool", "settle_seconds", "5", 0, 3600, spool.settle_seconds),
        PATH("spool", "templates_dir", NULL, false, spool.templates_dir),

        PATH("state", "dir", "/var/lib/chorusd", false, state.dir),
        PATH("state", "metrics_file", NULL, false, state.metrics_file),

        PATH("conventions", "dir", "/etc/chorusd/conventions.d", false, conventions.dir),

        ENUM("chorus", "environment", "sandbox", chorus.environment, parse_environment,
             "sandbox, production or custom"),
        URL("chorus", "api_url", chorus.api_url),
        URL("chorus", "oauth_url", chorus.oauth_url),
        PATH("chorus", "ca_file", NULL, false, chorus.ca_file),
        CHECKED("chorus", "client_id", NULL, true, chorus.client_id, token_is_valid,
                "the PISTE application's client id (printable, no spaces)"),
        CHECKED("chorus", "technical_login", NULL, true, chorus.technical_login, token_is_valid,
                "the Chorus Pro technical account login, such as TECH_1_xxxx@cpro.fr"),
        SECRET_PATH("chorus", "client_secret_file", chorus.client_secret_file),
        SECRET_PATH("chorus", "cpro_password_file", chorus.cpro_password_file),
        UNSIGNED("chorus", "connect_timeout", "10", 1, 300, chorus.connect_timeout),
        UNSIGNED("chorus", "timeout", "60", 1, 3600, chorus.timeout),
        UNSIGNED("chorus", "retry_deadline", "86400", 60, 30 * DAY, chorus.retry_deadline),
        UNSIGNED("chorus", "poll_interval", "60", 10, DAY, chorus.poll_interval),
        UNSIGNED("chorus", "lifecycle_poll_interval", "21600", 300, 30 * DAY,
                 chorus.lifecycle_poll_interval),
        UNSIGNED("chorus", "max_parallel_calls", "8", 1, 256, chorus.max_parallel_calls),

        CHECKED("notify", "smtp_url", NULL, false, notify.smtp_url, smtp_url_is_valid,
                "an smtp:// (STARTTLS) or smtps:// URL such as smtp://mail.example.org:587"),
        ENUM("notify", "smtp_tls", "starttls", notify.smtp_tls, parse_smtp_tls,
             "starttls (required with smtp://) or none (clear text, a relay on this host only)"),
        CHECKED("notify", "smtp_user", NULL, false, notify.smtp_user, token_is_valid,
                "the SMTP login (printable, no spaces)"),
        SECRET_PATH("notify", "smtp_password_file", notify.smtp_password_file),
        PATH("notify", "ca_file", NULL, false, notify.ca_file),
        CHECKED("notify", "from", NULL, false, notify.from, email_is_valid,
                "an e-mail address such as chorusd@example.org"),
        CHECKED("notify", "staff", NULL, false, notify.staff, email_list_is_valid,
                "e-mail addresses separated by commas"),
        CHECKED("notify", "admins", NULL, false, notify.admins, email_list_is_valid,
                "e-mail addresses separated by commas"),
};

#define N_KEYS ELEMENTSOF(config_keys)
_Static_assert(N_KEYS <= CONFIG_KEYS_MAX, "more keys than CONFIG_KEYS_MAX (config_internal.h): raise it");
const size_t config_n_keys = N_KEYS;

static const char *const config_sections[] = {
        "seller", "invoice", "spool", "state", "conventions", "chorus", "notify",
};

#define N_SECTIONS ELEMENTSOF(config_sections)
_Static_assert(N_SECTIONS <= CONFIG_SECTIONS_MAX, "more sections than CONFIG_SECTIONS_MAX (config_internal.h): raise it");

const char *config_key_at(size_t i, const char **ret_section, const char **ret_default,
                          bool *ret_required) {
        if (i >= N_KEYS)
                return NULL;
        if (ret_section)
                *ret_section = config_keys[i].section;
        if (ret_default)
                *ret_default = config_keys[i].default_value;
        if (ret_required)
                *ret_required = config_keys[i].required;
        return config_keys[i].name;
}

const ConfigKey *config_key_find(const char *section, const char *name) {
        for (size_t i = 0; i < N_KEYS; i++)
                if ((!section || streq(config_keys[i].section, section)) &&
                    streq(config_keys[i].name, name))
                        return &config_keys[i];
        return NULL;
}

int config_section_index(const char *name, size_t len) {
        for (size_t i = 0; i < N_SECTIONS; i++)
                if (strlen(config_sections[i]) == len && strncmp(config_sections[i], name, len) == 0)
                        return (int) i;
        return -ENOENT;
}
