/* test_config.c — config_load() on the sample, on a minimal file and on
 * every kind of mistake in tests/data/config/, each with the exact line and
 * a fragment of the message; config_format_invoice_number(); and the sample
 * and the documentation kept in step with the table of keys. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/config.h"
#include "json_mutate.h"

#define DATA "tests/data/config/"
#define SAMPLE "config/chorusd.conf"
#define DOC "man/chorusd.conf.5"

static int load(const char *path, Config **ret, Diagnostics *d) {
        *d = DIAGNOSTICS_INIT;
        return config_load(path, ret, d);
}

static void print_diags(const Diagnostics *d) {
        diagnostics_print(d, stderr, /* french= */ false);
}

Test(config, sample_is_valid) {
        _cleanup_(config_freep) Config *c = NULL;
        Diagnostics d;

        cr_assert_eq(load(SAMPLE, &c, &d), 0);
        print_diags(&d);
        cr_expect_eq(d.n_items, 0);
        cr_expect_str_eq(c->path, SAMPLE);
        cr_expect_str_eq(c->seller.name,
                         "Chambre de Métiers et de l'Artisanat de la Région Occitanie — Hérault");
        cr_expect_str_eq(c->seller.siret, "13002602400013");
        /* Inline comments are not part of the values. */
        cr_expect_str_eq(c->seller.vat_id, "FR53130026024");
        cr_expect_str_eq(c->seller.iban, "FR7630001007941234567890185");
        cr_expect_str_eq(c->seller.bic, "BDFEFRPPXXX");
        cr_expect_str_eq(c->seller.payment_means, "30");
        cr_expect_str_eq(c->seller.postcode, "34187");
        cr_expect_str_eq(c->invoice.number_prefix, "CMA34-");
        cr_expect_eq(c->invoice.payment_terms_days, 30);
        cr_expect_eq(c->invoice.default_format, INVOICE_FORMAT_UBL);
        cr_expect_eq(c->invoice.approval, INVOICE_APPROVAL_REQUIRED);
        cr_expect_str_eq(c->spool.dir, "/var/spool/chorusd");
        cr_expect_eq(c->spool.max_file_size, 8 * 1048576);
        cr_expect_eq(c->spool.min_free_space, 64 * 1048576);
        cr_expect_str_eq(c->state.dir, "/var/lib/chorusd");
        cr_expect_str_eq(c->conventions.dir, "/etc/chorusd/conventions.d");
        cr_expect_eq(c->chorus.environment, CHORUS_ENVIRONMENT_SANDBOX);
        cr_expect_str_eq(c->chorus.api_url, "https://sandbox-api.piste.gouv.fr");
        cr_expect_str_eq(c->chorus.oauth_url, "https://sandbox-oauth.piste.gouv.fr/api/oauth/token");
        cr_expect_null(c->chorus.ca_file);
        cr_expect_null(c->chorus.client_secret_file);
        cr_expect_null(c->chorus.cpro_password_file);
        cr_expect_str_eq(c->chorus.technical_login, "TECH_1_xxxx@cpro.fr");
        cr_expect_eq(c->chorus.connect_timeout, 10);
        cr_expect_eq(c->chorus.timeout, 60);
        cr_expect_eq(c->chorus.retry_deadline, 86400);
        cr_expect_eq(c->chorus.poll_interval, 60);
        cr_expect_eq(c->chorus.lifecycle_poll_interval, 21600);
        cr_expect_eq(c->chorus.max_parallel_calls, 8);
        diagnostics_clear(&d);
}

Test(config, minimal_file_gets_the_defaults) {
        _cleanup_(config_freep) Config *c = NULL;
        Diagnostics d;

        cr_assert_eq(load(DATA "good-minimal.conf", &c, &d), 0);
        cr_expect_eq(d.n_items, 0);
        cr_expect_null(c->seller.vat_id);
        cr_expect_null(c->seller.bic);
        cr_expect_str_eq(c->seller.payment_means, "30");
        cr_expect_eq(c->invoice.payment_terms_days, 30);
        cr_expect_eq(c->invoice.default_format, INVOICE_FORMAT_UBL);
        /* Absent: an upgraded installation keeps depositing. */
        cr_expect_eq(c->invoice.approval, INVOICE_APPROVAL_NONE);
        cr_expect_str_eq(c->spool.dir, "/var/spool/chorusd");
        cr_expect_eq(c->spool.max_file_size, 8 << 20);
        cr_expect_eq(c->spool.min_free_space, 64 << 20);
        cr_expect_str_eq(c->state.dir, "/var/lib/chorusd");
        cr_expect_str_eq(c->conventions.dir, "/etc/chorusd/conventions.d");
        cr_expect_eq(c->chorus.environment, CHORUS_ENVIRONMENT_SANDBOX);
        cr_expect_str_eq(c->chorus.api_url, "https://sandbox-api.piste.gouv.fr");
        cr_expect_eq(c->chorus.timeout, 60);
        cr_expect_eq(c->chorus.retry_deadline, 86400);
        diagnostics_clear(&d);
}

/* ---- bad files ---- */

typedef struct Expect {
        unsigned line;
        const char *fragment;
} Expect;

typedef struct BadCase {
        const char *file;
        Expect errors[6]; /* the exact set of errors expected */
} BadCase;

static const BadCase bad_cases[] = {
        { "unknown-key.conf", { { 5, "unknown key 'sirett' in [seller]" } } },
        { "unknown-section.conf", { { 12, "unknown section [sellers]" } } },
        { "bad-section-header.conf", { { 18, "expected ']' to close the section name" } } },
        { "duplicate-key.conf", { { 5, "duplicate key 'siret' in [seller] (first set on line 4)" } } },
        { "bad-siret.conf", { { 4, "valid Luhn check digit, got '13002602400014'" } } },
        { "bad-iban.conf", { { 10, "an IBAN with valid check digits" } } },
        { "long-prefix.conf", { { 13, "at most 11 characters" } } },
        { "bad-prefix-chars.conf", { { 13, "[A-Za-z0-9_./-]" } } },
        { "bad-enum.conf", { { 14, "expected ubl, cii or facturx, got 'pdf'" } } },
        { "missing-required.conf", { { 2, "missing required key 'siret' in [seller]" } } },
        { "empty-required.conf", { { 16, "'client_id' in [chorus] is required" } } },
        { "custom-without-urls.conf",
          { { 18, "environment = custom needs api_url" },
            { 18, "environment = custom needs oauth_url" } } },
        { "http-url.conf", { { 19, "an https:// URL" } } },
        { "production-other-url.conf",
          { { 19, "environment = production uses https://api.piste.gouv.fr" } } },
        { "timeout-range.conf", { { 18, "from 1 to 3600, got '3601'" } } },
        { "timeout-below-connect.conf", { { 19, "shorter than connect_timeout" } } },
        { "connect-above-default-timeout.conf", { { 18, "shorter than connect_timeout" } } },
        { "non-numeric.conf", { { 14, "expected an integer from 0 to 60, got 'thirty'" } } },
        { "negative-number.conf", { { 14, "expected an integer from 0 to 60, got '-1'" } } },
        { "overflow-number.conf", { { 18, "from 60 to 2592000" } } },
        { "bad-size.conf", { { 16, "a size in bytes from 1K to 8M" } } },
        { "overlong-line.conf",
          { { 3, "line is 207 bytes long, more than the 197 allowed" },
            { 2, "missing required key 'name'" } } },
        { "continuation.conf", { { 4, "values cannot continue on a second line" } } },
        { "no-equals.conf", { { 11, "expected 'key = value'" } } },
        { "outside-section.conf", { { 2, "'number_prefix' is outside any section: put it under [invoice]" } } },
        { "wrong-section.conf", { { 14, "unknown key 'timeout' in [invoice]: it belongs in [chorus]" } } },
        { "bad-utf8.conf",
          { { 3, "expected UTF-8 text" }, { 2, "missing required key 'name'" } } },
        { "fr-postcode.conf", { { 6, "French postcode of 5 digits" } } },
        { "unassigned-country.conf", { { 8, "assigned ISO 3166-1 alpha-2 country code such as FR, got 'XX'" } } },
        { "bad-vat.conf", { { 5, "VAT number" } } },
        { "spool-conventions.conf", { { 22, "overlaps the spool directory" } } },
        { "spool-in-default-state.conf", { { 20, "overlaps the spool directory" } } },
        { "templates-in-incoming.conf", { { 21, "overlaps the spool folder '/srv/chorusd/incoming'" } } },
        { "templates-in-spool.conf", { { 21, "is the spool directory or holds it" } } },
        { "templates-relative.conf", { { 20, "expected an absolute path, got 'modeles'" } } },
        { "missing-ca-file.conf", { { 18, "cannot read '/nonexistent/chorusd-test-ca.pem'" } } },
        { "several-errors.conf",
          { { 4, "14 digits" },
            { 8, "country code" },
            { 11, "unknown key 'color' in [seller]" },
            { 15, "duplicate key 'number_prefix'" },
            { 20, "from 10 to 86400, got '5'" } } },
};

static bool has_error(const Diagnostics *d, const char *file, const Expect *e) {
        for (size_t i = 0; i < d->n_items; i++) {
                const Diag *x = &d->items[i];
                if (x->severity == DIAG_ERROR && x->line == e->line && streq_ptr(x->file, file) &&
                    strstr(x->message, e->fragment))
                        return true;
        }
        return false;
}

Test(config, bad_files) {
        for (size_t i = 0; i < ELEMENTSOF(bad_cases); i++) {
                const BadCase *t = &bad_cases[i];
                _cleanup_(freep) char *path = NULL;
                Config *c = NULL;
                Diagnostics d;
                size_t n = 0;

                cr_assert(asprintf(&path, DATA "%s", t->file) > 0);
                cr_expect_eq(load(path, &c, &d), -EINVAL, "%s: expected -EINVAL", t->file);
                cr_expect_null(c, "%s: no Config on failure", t->file);
                for (; n < ELEMENTSOF(t->errors) && t->errors[n].fragment; n++)
                        cr_expect(has_error(&d, path, &t->errors[n]),
                                  "%s: expected an error on line %u containing \"%s\"", t->file,
                                  t->errors[n].line, t->errors[n].fragment);
                cr_expect_eq(d.n_errors, n, "%s: expected %zu errors, got %zu", t->file, n,
                             d.n_errors);
                if (d.n_errors != n)
                        print_diags(&d);
                diagnostics_clear(&d);
                config_free(c);
        }
}

/* ---- files written by the tests ---- */

static char *write_temp(const char *content, size_t size) {
        char *path = strdup("/tmp/test_config-XXXXXX");
        int fd;

        cr_assert(path);
        fd = mkstemp(path);
        cr_assert(fd >= 0);
        cr_assert_eq(write(fd, content, size), (ssize_t) size);
        close(fd);
        return path;
}

static int load_text(const char *text, Config **ret, Diagnostics *d) {
        _cleanup_(freep) char *path = write_temp(text, strlen(text));
        int r = load(path, ret, d);
        unlink(path);
        return r;
}

/* good-minimal.conf with the first `from` replaced by `to`, loaded. */
static int load_minimal_with(const char *from, const char *to, Config **ret, Diagnostics *d) {
        _cleanup_(freep) char *base = test_read_file(DATA "good-minimal.conf", NULL);
        _cleanup_(freep) char *text = test_replace_first(base, from, to);
        int r = load_text(text, ret, d);

        print_diags(d);
        return r;
}

Test(config, crlf_and_byte_order_mark) {
        _cleanup_(freep) char *text = test_read_file(DATA "good-minimal.conf", NULL);
        _cleanup_(freep) char *crlf = calloc(1, 2 * strlen(text) + 4);
        _cleanup_(config_freep) Config *c = NULL;
        Diagnostics d;
        char *o;

        cr_assert(crlf);
        o = stpcpy(crlf, "\xEF\xBB\xBF");
        for (const char *s = text; *s; s++) {
                if (*s == '\n')
                        *o++ = '\r';
                *o++ = *s;
        }
        cr_assert_eq(load_text(crlf, &c, &d), 0);
        print_diags(&d);
        cr_expect_str_eq(c->seller.siret, "13002602400013");
        cr_expect_str_eq(c->chorus.technical_login, "TECH_1_test@cpro.fr");
        diagnostics_clear(&d);
}

Test(config, approval_is_none_or_required) {
        _cleanup_(config_freep) Config *c = NULL, *bad = NULL;
        Diagnostics d;

        cr_assert_eq(load_minimal_with("[invoice]\n", "[invoice]\napproval = required\n", &c, &d), 0);
        cr_expect_eq(c->invoice.approval, INVOICE_APPROVAL_REQUIRED);
        diagnostics_clear(&d);
        cr_expect_lt(load_minimal_with("[invoice]\n", "[invoice]\napproval = yes\n", &bad, &d), 0);
        cr_expect_null(bad);
        cr_expect(d.n_items == 1 && strstr(d.items[0].message, "expected none or required, got 'yes'"),
                  "%s", d.n_items ? d.items[0].message : "no diagnostic");
        diagnostics_clear(&d);
        cr_expect_str_eq(invoice_approval_to_string(INVOICE_APPROVAL_NONE), "none");
        cr_expect_eq(invoice_approval_from_string("required"), INVOICE_APPROVAL_REQUIRED);
        cr_expect_lt(invoice_approval_from_string("Required"), 0);
}

Test(config, values_and_comments) {
        _cleanup_(config_freep) Config *c = NULL;
        Diagnostics d;
        int r;

        /* ';' starts a comment only after white space; '#' never inside a
         * line; "key: value" is accepted; sizes take K/M/G; custom URLs. */
        r = load_minimal_with("[chorus]\n",
                       "[spool]\nmax_file_size = 512K\nmin_free_space = 2G\n"
                       "# a comment line\n"
                       "[chorus]\n"
                       "environment = custom ; the emulator\n"
                       "api_url = https://127.0.0.1:8443\n"
                       "oauth_url: https://127.0.0.1:8443/api/oauth/token;x\n"
                       "client_secret_file = /etc/chorusd/secret;1\n"
                       "connect_timeout = 300\n"
                       "timeout = 300\n", &c, &d);
        cr_assert_eq(r, 0);
        cr_expect_eq(c->spool.max_file_size, 512 * 1024);
        cr_expect_eq(c->spool.min_free_space, UINT64_C(2) << 30);
        cr_expect_eq(c->chorus.environment, CHORUS_ENVIRONMENT_CUSTOM);
        cr_expect_str_eq(c->chorus.api_url, "https://127.0.0.1:8443");
        cr_expect_str_eq(c->chorus.oauth_url, "https://127.0.0.1:8443/api/oauth/token;x");
        cr_expect_str_eq(c->chorus.client_secret_file, "/etc/chorusd/secret;1");
        cr_expect_eq(c->chorus.connect_timeout, 300);
        diagnostics_clear(&d);
}

Test(config, secret_pasted_for_its_file_is_never_quoted) {
        static const char *const secrets[] = { "S3cr3t-P4ss", "Tr0ub4dor&3" };
        _cleanup_(config_freep) Config *c = NULL;
        Diagnostics d;

        /* A classic mistake: the secret itself where its file's path goes.
         * The error reaches the journal: it must not quote the value. */
        cr_assert_eq(load_minimal_with("[chorus]\n",
                                       "[chorus]\nclient_secret_file = S3cr3t-P4ss\n"
                                       "cpro_password_file = Tr0ub4dor&3\n", &c, &d), -EINVAL);
        cr_expect_eq(d.n_errors, 2);
        for (size_t i = 0; i < d.n_items; i++) {
                cr_expect(strstr(d.items[i].message, "absolute path"), "%s", d.items[i].message);
                for (size_t j = 0; j < ELEMENTSOF(secrets); j++)
                        cr_expect_null(strstr(d.items[i].message, secrets[j]), "%s", d.items[i].message);
        }
        diagnostics_clear(&d);
}

Test(config, secret_pasted_on_its_own_line_is_never_quoted) {
        _cleanup_(config_freep) Config *c = NULL;
        Diagnostics d;

        /* A secret with '=' (base64 padding) or ':' pasted alone on a line
         * reads as "key = value": the "key" is most of the secret. */
        cr_assert_eq(load_minimal_with("[chorus]\n", "Q2xpZW50U2VjcmV0MTIz:x\n[chorus]\nZm9vYmFyQmF6UXV4==\n", &c, &d),
                     -EINVAL);
        cr_expect_eq(d.n_errors, 2);
        for (size_t i = 0; i < d.n_items; i++) {
                const char *path = strempty(d.items[i].path);

                cr_expect(strstr(d.items[i].message, "unknown key"), "%s", d.items[i].message);
                cr_expect_null(strstr(d.items[i].message, "Q2xpZW50U2VjcmV0MTIz"), "%s", d.items[i].message);
                cr_expect_null(strstr(d.items[i].message, "Zm9vYmFyQmF6UXV4"), "%s", d.items[i].message);
                cr_expect_null(strstr(path, "Q2xpZW50U2VjcmV0MTIz"), "%s", path);
                cr_expect_null(strstr(path, "Zm9vYmFyQmF6UXV4"), "%s", path);
        }
        diagnostics_clear(&d);
}

Test(config, iban_is_stored_without_spaces) {
        _cleanup_(config_freep) Config *c = NULL;
        Diagnostics d;

        cr_assert_eq(load_minimal_with("FR7630001007941234567890185",
                                       "FR76 3000 1007 9412 3456 7890 185", &c, &d), 0);
        cr_expect_str_eq(c->seller.iban, "FR7630001007941234567890185");
        diagnostics_clear(&d);
}

Test(config, production_and_official_urls) {
        _cleanup_(config_freep) Config *c = NULL;
        Diagnostics d;

        /* Giving the environment's own URL is allowed (it changes nothing). */
        cr_assert_eq(load_minimal_with("[chorus]\n",
                                       "[chorus]\nenvironment = production\n"
                                       "oauth_url = https://oauth.piste.gouv.fr/api/oauth/token\n",
                                       &c, &d), 0);
        cr_expect_str_eq(c->chorus.api_url, "https://api.piste.gouv.fr");
        cr_expect_str_eq(c->chorus.oauth_url, "https://oauth.piste.gouv.fr/api/oauth/token");
        diagnostics_clear(&d);
}

Test(config, warning_for_vat_id_of_another_siren) {
        _cleanup_(config_freep) Config *c = NULL;
        Diagnostics d;

        /* FR87200034783 is valid, but belongs to SIREN 200034783. */
        cr_assert_eq(load_minimal_with("street =", "vat_id = FR87200034783\nstreet =", &c, &d), 0);
        cr_expect_eq(d.n_warnings, 1);
        cr_expect_eq(d.n_items > 0 ? d.items[0].line : 0, 5);
        cr_expect(d.n_items > 0 && strstr(d.items[0].message, "not the VAT number of SIREN 130026024"));
        diagnostics_clear(&d);
}

Test(config, unreadable_files) {
        Config *c = NULL;
        Diagnostics d;
        char big[70 * 1024];
        _cleanup_(freep) char *path = NULL;

        cr_expect_eq(load("/nonexistent/chorusd.conf", &c, &d), -ENOENT);
        cr_expect_eq(load("tests/data/config", &c, &d), -EISDIR);
        cr_expect_null(c);

        /* A file that cannot be a configuration is refused unread. */
        memset(big, ';', sizeof big);
        path = write_temp(big, sizeof big);
        cr_expect_eq(load(path, &c, &d), -EINVAL);
        cr_expect_eq(d.n_errors, 1);
        cr_expect(d.n_items == 1 && strstr(d.items[0].message, "larger than"));
        unlink(path);
        diagnostics_clear(&d);
}

/* config_parse_text() is config_load() without the read: same result, same
 * diagnostics (named after `name`), on text that does not end with NUL. */
Test(config, parse_text_is_load_from_memory) {
        static const char *const files[] = { SAMPLE, DATA "good-minimal.conf", DATA "several-errors.conf",
                                             DATA "bad-utf8.conf", DATA "continuation.conf" };
        char big[70 * 1024];

        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
                _cleanup_(config_freep) Config *from_file = NULL, *from_text = NULL;
                Diagnostics d1, d2 = DIAGNOSTICS_INIT;
                size_t size;
                _cleanup_(freep) char *text = test_read_file(files[i], &size);
                _cleanup_(freep) char *exact = malloc(size ? size : 1);
                int r1, r2;

                cr_assert(text && exact);
                memcpy(exact, text, size); /* no NUL after the text: ASan checks the reads */
                r1 = load(files[i], &from_file, &d1);
                r2 = config_parse_text(files[i], exact, size, &from_text, &d2);
                cr_expect_eq(r2, r1, "%s: %d, config_load %d", files[i], r2, r1);
                cr_expect_eq(!from_text, !from_file, "%s", files[i]);
                if (from_text)
                        cr_expect_str_eq(from_text->path, files[i]);
                cr_assert_eq(d2.n_items, d1.n_items, "%s", files[i]);
                for (size_t j = 0; j < d1.n_items; j++) {
                        cr_expect_eq(d2.items[j].line, d1.items[j].line, "%s", files[i]);
                        cr_expect_str_eq(d2.items[j].message, d1.items[j].message);
                        cr_expect_str_eq(d2.items[j].file, d1.items[j].file);
                }
                diagnostics_clear(&d1);
                diagnostics_clear(&d2);
        }

        {
                Config *c = NULL;
                Diagnostics d = DIAGNOSTICS_INIT;

                memset(big, ';', sizeof big);
                cr_expect_eq(config_parse_text("big.conf", big, sizeof big, &c, &d), -EINVAL);
                cr_expect_null(c);
                cr_expect(d.n_items == 1 && strstr(d.items[0].message, "larger than"));
                cr_expect_eq(config_parse_text("empty.conf", NULL, 0, &c, &d), -EINVAL);
                cr_expect_null(c);
                diagnostics_clear(&d);
        }
}

Test(config, diagnostics_may_be_null) {
        Config *c = NULL;

        cr_expect_eq(config_load(DATA "several-errors.conf", &c, /* diags= */ NULL), -EINVAL);
        cr_expect_null(c);
}

/* ---- invoice numbers ---- */

Test(config, format_invoice_number) {
        Config c = { .invoice.number_prefix = (char *) "CMA34-" };
        char buf[INVOICE_NUMBER_MAX + 1] = "untouched";

        cr_assert_eq(config_format_invoice_number(&c, 2026, 7, buf), 0);
        cr_expect_str_eq(buf, "CMA34-2026-0007");
        cr_assert_eq(config_format_invoice_number(&c, 2026, 12345, buf), 0);
        cr_expect_str_eq(buf, "CMA34-2026-12345");

        /* The longest prefix the configuration accepts leaves exactly room
         * for four digits; a fifth does not fit in Chorus Pro's 20. */
        c.invoice.number_prefix = (char *) "ABCDEFGHIJK";
        cr_assert_eq(config_format_invoice_number(&c, 2026, 9999, buf), 0);
        cr_expect_str_eq(buf, "ABCDEFGHIJK2026-9999");
        cr_expect_eq(strlen(buf), INVOICE_NUMBER_MAX);
        strcpy(buf, "untouched");
        cr_expect_eq(config_format_invoice_number(&c, 2026, 10000, buf), -ERANGE);
        cr_expect_str_eq(buf, "untouched");
        cr_expect_eq(config_format_invoice_number(&c, 999, 1, buf), -EINVAL);
        cr_expect_eq(config_format_invoice_number(&c, 10000, 1, buf), -EINVAL);
}

Test(config, environment_strings) {
        for (int e = 0; e < _CHORUS_ENVIRONMENT_MAX; e++)
                cr_expect_eq(chorus_environment_from_string(chorus_environment_to_string(e)), e);
        cr_expect_eq(chorus_environment_from_string("Production"), _CHORUS_ENVIRONMENT_INVALID);
        cr_expect_eq(chorus_environment_from_string(NULL), _CHORUS_ENVIRONMENT_INVALID);
        cr_expect_null(chorus_environment_to_string(_CHORUS_ENVIRONMENT_MAX));
}

/* ---- the sample and the documentation follow the table ---- */

typedef struct SampleKey {
        char section[32];
        char name[32];
        char value[128];
} SampleKey;

typedef struct Sample {
        SampleKey keys[64];
        size_t n;
} Sample;

static int collect(void *userdata, const char *section, const char *name, const char *value) {
        Sample *s = userdata;

        cr_assert_lt(s->n, ELEMENTSOF(s->keys));
        snprintf(s->keys[s->n].section, sizeof s->keys[0].section, "%s", section);
        snprintf(s->keys[s->n].name, sizeof s->keys[0].name, "%s", name);
        snprintf(s->keys[s->n].value, sizeof s->keys[0].value, "%s", value);
        s->n++;
        return 1;
}

static const SampleKey *sample_find(const Sample *s, const char *section, const char *name) {
        for (size_t i = 0; i < s->n; i++)
                if (streq(s->keys[i].section, section) && streq(s->keys[i].name, name))
                        return &s->keys[i];
        return NULL;
}

/* Keys the sample deliberately sets to something else than their default:
 * [invoice] approval is required on a new installation, while a
 * configuration without it (an upgrade) keeps depositing (none). */
static const char *sample_differs(const char *section, const char *name) {
        if (streq(section, "invoice") && streq(name, "approval"))
                return "required";
        return NULL;
}

Test(config, sample_shows_every_key_with_its_default) {
        Sample s = {};
        const char *section, *def, *name;
        size_t i;

        cr_assert_eq(ini_parse(SAMPLE, collect, &s), 0);
        for (i = 0; (name = config_key_at(i, &section, &def, NULL)); i++) {
                const SampleKey *k = sample_find(&s, section, name);
                cr_expect(k, "[%s] %s is missing from " SAMPLE, section, name);
                if (k && sample_differs(section, name))
                        cr_expect_str_eq(k->value, sample_differs(section, name), "[%s] %s", section, name);
                else if (k && def)
                        cr_expect_str_eq(k->value, def, "[%s] %s: the sample shows '%s', the "
                                         "default is '%s'", section, name, k->value, def);
        }
        cr_expect_eq(i, s.n, "the sample has %zu keys, the table %zu", s.n, i);
        cr_expect_geq(i, 31);
}

Test(config, documentation_lists_every_key) {
        _cleanup_(freep) char *doc = test_read_file(DOC, NULL);
        const char *section, *name;

        for (size_t i = 0; (name = config_key_at(i, &section, NULL, NULL)); i++) {
                _cleanup_(freep) char *heading = NULL, *row = NULL;
                const char *start, *end;

                /* mdoc: ".Ss \&[section]\&" opens a section, ".It Cm key" is a key. */
                cr_assert(asprintf(&heading, "\n.Ss \\&[%s]\\&\n", section) > 0);
                cr_assert(asprintf(&row, "\n.It Cm %s\n", name) > 0);
                start = strstr(doc, heading);
                cr_expect(start, DOC " has no '%s' heading", heading + 1);
                if (!start)
                        continue;
                end = strstr(start + 1, "\n.Ss ");
                if (!end)
                        end = strstr(start + 1, "\n.Sh ");
                cr_expect(strstr(start, row) && (!end || strstr(start, row) < end),
                          DOC ": [%s] does not list %s", section, name);
        }
}

/* Review finding: payment means 58 (SEPA credit transfer) was accepted,
 * but Chorus Pro expects code 30 for every credit transfer. 30 (the
 * default) loads; 58 and anything else is an error that says what to
 * write instead. */
Test(config, review_only_payment_means_30_for_chorus_pro) {
        static const char *const refused[] = { "58", "31", "42", "49" };
        _cleanup_(config_freep) Config *c = NULL;
        Diagnostics d;

        cr_assert_eq(load_minimal_with("[invoice]\n", "payment_means = 30\n[invoice]\n", &c, &d), 0);
        cr_expect_str_eq(c->seller.payment_means, "30");
        diagnostics_clear(&d);
        for (size_t i = 0; i < ELEMENTSOF(refused); i++) {
                _cleanup_(config_freep) Config *bad = NULL;
                _cleanup_(freep) char *line = NULL;

                cr_assert_geq(asprintf(&line, "payment_means = %s\n[invoice]\n", refused[i]), 0);
                cr_expect_eq(load_minimal_with("[invoice]\n", line, &bad, &d), -EINVAL, "%s", refused[i]);
                cr_expect_null(bad);
                cr_expect(d.n_items == 1 && strstr(d.items[0].message, "Chorus Pro") &&
                          strstr(d.items[0].message, "30") && strstr(d.items[0].message, refused[i]),
                          "%s: %s", refused[i], d.n_items ? d.items[0].message : "no diagnostic");
                diagnostics_clear(&d);
        }
}
