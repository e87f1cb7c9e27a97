/* config.c — the main configuration (see config.h): an INI file read with
 * libinih into one Config, then validated. The checks of single values and
 * the size syntax are in config_values.c, the table of keys in config_keys.c
 * (config_internal.h).
 *
 * config_keys[] is the single list of every key: section, name, type,
 * default, whether it is required, bounds, and where it goes in Config. The
 * parser, the checks and config/chorusd.conf follow it (test_config checks
 * that the sample shows every key with its default).
 *
 * How it fails: every problem is reported, not just the first, as a
 * Diagnostic naming the file, the line and what was expected; config_load()
 * then returns -EINVAL and no Config. Reading the file fails with its -errno
 * (-ENOENT, -EACCES, -EISDIR…), running out of memory with -ENOMEM.
 *
 * libinih as Debian builds it (libinih1 55): ';' and '#' start comment
 * lines, ';' after whitespace starts an inline comment ("a;b" is a value),
 * "key: value" works too, values are never unquoted, an indented line
 * continues the previous value, and lines are cut at 200 bytes without
 * telling anyone. Its handler gets no line number. So we feed it through our
 * own reader: the reader counts lines, refuses lines that are too long,
 * indented or malformed (reporting each one and handing libinih an empty
 * line instead), checks section names, and lets the handler report the line
 * it is on. */
#include <assert.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>

#include <ini.h>

#include "base/config.h"
#include "base/fileio.h"
#include "base/identifiers.h"
#include "base/config_internal.h"

#define CONFIG_FILE_MAX (64 * 1024)

/* chorus-pro-api.md §1.1: PISTE's hosts for the Chorus Pro APIs. */
static const struct {
        const char *api_url;
        const char *oauth_url;
} environment_urls[_CHORUS_ENVIRONMENT_MAX] = {
        [CHORUS_ENVIRONMENT_SANDBOX] = { "https://sandbox-api.piste.gouv.fr",
                                         "https://sandbox-oauth.piste.gouv.fr/api/oauth/token" },
        [CHORUS_ENVIRONMENT_PRODUCTION] = { "https://api.piste.gouv.fr",
                                            "https://oauth.piste.gouv.fr/api/oauth/token" },
};

/* ---- a Config, through the table ---- */

static void *config_field(Config *c, const ConfigKey *k) {
        return (char *) c + k->offset;
}

Config *config_free(Config *c) {
        if (!c)
                return NULL;
        for (size_t i = 0; i < config_n_keys; i++)
                if (config_keys[i].type == KEY_STRING || config_keys[i].type == KEY_IBAN)
                        free(*(char **) config_field(c, &config_keys[i]));
        free(c->path);
        free(c);
        return NULL;
}

/* ---- the parser state shared by the reader and the handler ---- */

typedef enum KeyState {
        KEY_ABSENT, /* not in the file */
        KEY_EMPTY,  /* "key =": the same as leaving it out */
        KEY_BAD,    /* reported; neither the default nor "missing" applies */
        KEY_SET,
} KeyState;

typedef struct Parser {
        Config *config;
        const char *file;
        Diagnostics *diags;
        const char *text; /* the whole file */
        size_t size, pos;
        unsigned line;         /* the line libinih is on */
        bool section_known;    /* the current [section] is one of ours */
        unsigned section_line[CONFIG_SECTIONS_MAX]; /* first line of each section; 0 = absent */
        unsigned key_line[CONFIG_KEYS_MAX];         /* line that set each key; 0 = not in the file */
        KeyState key_state[CONFIG_KEYS_MAX];
        size_t n_errors;
        bool oom;
} Parser;

static void parser_report(Parser *p, DiagSeverity severity, unsigned line, const char *section,
                          const char *name, const char *format, ...) _printf_(6, 7);

static void parser_report(Parser *p, DiagSeverity severity, unsigned line, const char *section,
                          const char *name, const char *format, ...) {
        _cleanup_(freep) char *message = NULL, *path = NULL;
        va_list ap;
        int r;

        if (severity == DIAG_ERROR)
                p->n_errors++;
        va_start(ap, format);
        r = vasprintf(&message, format, ap);
        va_end(ap);
        if (r < 0) {
                message = NULL;
                p->oom = true;
                return;
        }
        if (section && name && asprintf(&path, "%s.%s", section, name) < 0) {
                path = NULL;
                p->oom = true;
                return;
        }
        if (diag_add(p->diags, severity, p->file, line, path, "%s", message) < 0)
                p->oom = true;
}

#define parser_error(p, line, section, name, ...) \
        parser_report(p, DIAG_ERROR, line, section, name, __VA_ARGS__)

/* ---- the reader: one line at a time, with its number ---- */

static bool line_is_blank_or_comment(const char *s) {
        s += strspn(s, " \t\r");
        return *s == '\0' || *s == ';' || *s == '#';
}

/* A section header: reports unknown ones, and returns false for a malformed
 * one. The keys that follow either are ignored: their section is reported. */
static bool parser_check_section(Parser *p, const char *s) {
        const char *end = strchr(s, ']');
        int i;

        if (!end) {
                parser_error(p, p->line, NULL, NULL, "expected ']' to close the section name");
                p->section_known = false;
                return false;
        }
        i = config_section_index(s + 1, (size_t) (end - s - 1));
        p->section_known = i >= 0;
        if (i < 0) {
                parser_error(p, p->line, NULL, NULL,
                             "unknown section [%.*s]: expected [seller], [invoice], [spool], "
                             "[state], [conventions], [chorus] or [notify]",
                             (int) (end - s - 1 > VALUE_SHOWN_MAX ? VALUE_SHOWN_MAX : end - s - 1),
                             s + 1);
                return true;
        }
        if (p->section_line[i] == 0)
                p->section_line[i] = p->line;
        return true;
}

/* Checks one line (NUL-terminated, `len` bytes) before libinih sees it.
 * Returns false if it is reported as bad: libinih then gets an empty line. */
static bool parser_check_line(Parser *p, const char *s, size_t len) {
        if (!utf8_text_is_valid(s, len)) {
                parser_error(p, p->line, NULL, NULL,
                             "expected UTF-8 text without control characters");
                return false;
        }
        if (p->line == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
                s += 3; /* libinih skips a byte order mark */
                len -= 3;
        }
        if (line_is_blank_or_comment(s))
                return true;
        if (s[0] == ' ' || s[0] == '\t') {
                parser_error(p, p->line, NULL, NULL,
                             "line starts with white space: values cannot continue on a "
                             "second line; write 'key = value' at the start of a line");
                return false;
        }
        if (s[0] == '[')
                return parser_check_section(p, s);
        if (!strpbrk(s, "=:")) {
                parser_error(p, p->line, NULL, NULL,
                             "expected 'key = value', a [section] or a ; comment");
                return false;
        }
        return true;
}

static char *parser_read_line(char *buf, int buffer_size, void *userdata) {
        Parser *p = userdata;
        const char *s, *nl;
        size_t len;

        if (p->pos >= p->size)
                return NULL;
        s = p->text + p->pos;
        nl = memchr(s, '\n', p->size - p->pos);
        len = nl ? (size_t) (nl - s) : p->size - p->pos;
        p->pos += len + (nl ? 1 : 0);
        p->line++;

        /* libinih needs room for "\r\n\0" after the text, and would cut a
         * longer line silently. */
        if (buffer_size < 3 || len > (size_t) buffer_size - 3) {
                parser_error(p, p->line, NULL, NULL,
                             "line is %zu bytes long, more than the %d allowed: shorten it "
                             "(a comment can go on a line of its own)",
                             len, buffer_size - 3);
                buf[0] = '\0';
                return buf;
        }
        memcpy(buf, s, len);
        buf[len] = '\0';
        if (!parser_check_line(p, buf, len))
                buf[0] = '\0';
        return buf;
}

/* ---- values ---- */

static void parser_bad_number(Parser *p, unsigned line, const ConfigKey *k, const char *value) {
        char lo[32], hi[32];

        if (k->type == KEY_SIZE)
                parser_error(p, line, k->section, k->name,
                             "expected a size in bytes from %s to %s (suffixes K, M, G, T "
                             "multiply by 1024), got '%.*s'",
                             format_size(k->min, lo), format_size(k->max, hi), VALUE_SHOWN_MAX,
                             value);
        else
                parser_error(p, line, k->section, k->name,
                             "expected an integer from %" PRIu64 " to %" PRIu64 ", got '%.*s'",
                             k->min, k->max, VALUE_SHOWN_MAX, value);
}

static int parser_set_number(Parser *p, unsigned line, const ConfigKey *k, const char *value) {
        uint64_t v;
        int r;

        r = k->type == KEY_SIZE ? parse_size(value, &v) : parse_uint64(value, &v);
        if (r == -ENOMEM)
                return r;
        if (r >= 0 && (v < k->min || v > k->max))
                r = -ERANGE;
        if (r < 0) {
                parser_bad_number(p, line, k, value);
                return r;
        }
        if (k->type == KEY_SIZE)
                *(uint64_t *) config_field(p->config, k) = v;
        else
                *(unsigned *) config_field(p->config, k) = (unsigned) v;
        return 0;
}

static int parser_set_string(Parser *p, unsigned line, const ConfigKey *k, const char *value) {
        char iban[64];
        char *copy;
        char **field = config_field(p->config, k);

        if (!utf8_line_is_valid(value) || (k->valid && !k->valid(value)) ||
            (k->type == KEY_IBAN && (!iban_is_valid(value) ||
                                     iban_normalize(value, iban, sizeof iban) < 0))) {
                if (k->hide_value)
                        parser_error(p, line, k->section, k->name,
                                     "expected %s (the value is not shown: it may be the secret itself)",
                                     k->expected);
                else
                        parser_error(p, line, k->section, k->name, "expected %s, got '%.*s'",
                                     k->expected, VALUE_SHOWN_MAX, value);
                return -EINVAL;
        }
        copy = strdup(k->type == KEY_IBAN ? iban : value);
        if (!copy)
                return -ENOMEM;
        free(*field);
        *field = copy;
        return 0;
}

/* Stores one value. Returns 0, -EINVAL (reported) or -ENOMEM. */
static int parser_set(Parser *p, unsigned line, const ConfigKey *k, const char *value) {
        int e;

        switch (k->type) {
        case KEY_STRING:
        case KEY_IBAN:
                return parser_set_string(p, line, k, value);
        case KEY_ENUM:
                e = k->parse_enum(value);
                if (e < 0) {
                        parser_error(p, line, k->section, k->name, "expected %s, got '%.*s'",
                                     k->expected, VALUE_SHOWN_MAX, value);
                        return -EINVAL;
                }
                *(int *) config_field(p->config, k) = e;
                return 0;
        case KEY_UNSIGNED:
        case KEY_SIZE:
                return parser_set_number(p, line, k, value);
        }
        assert(!"unknown key type");
        return -EINVAL;
}

/* ---- the libinih handler ---- */

/* Whether an unknown key may be quoted: keys are lower-case words. A
 * secret pasted alone on a line reads as a key when it holds '=' (base64
 * padding) or ':', and the message goes to the journal. */
static bool key_name_is_plain(const char *name) {
        size_t n = strlen(name);

        return n > 0 && n <= 32 && strspn(name, "abcdefghijklmnopqrstuvwxyz_") == n;
}

static void parser_unknown_key(Parser *p, const char *section, const char *name) {
        const ConfigKey *elsewhere = config_key_find(/* section= */ NULL, name);

        if (!section[0] && elsewhere)
                parser_error(p, p->line, NULL, name, "'%s' is outside any section: put it under [%s]",
                             name, elsewhere->section);
        else if (!key_name_is_plain(name))
                parser_error(p, p->line, section[0] ? section : NULL, NULL,
                             "unknown key (not shown: it is not a key name, and may be a secret)%s%s%s",
                             section[0] ? " in [" : " outside any section", section, section[0] ? "]" : "");
        else if (!section[0])
                parser_error(p, p->line, NULL, name,
                             "unknown key '%.*s' outside any section", VALUE_SHOWN_MAX, name);
        else if (elsewhere)
                parser_error(p, p->line, section, name, "unknown key '%s' in [%s]: it belongs in [%s]",
                             name, section, elsewhere->section);
        else
                parser_error(p, p->line, section, name, "unknown key '%.*s' in [%s]",
                             VALUE_SHOWN_MAX, name, section);
}

static int parser_handle_key(void *userdata, const char *section, const char *name,
                             const char *value) {
        Parser *p = userdata;
        const ConfigKey *k;
        size_t i;
        int r;

        /* An unknown [section] was reported on its own line already. */
        if (section[0] && !p->section_known)
                return 1;
        k = config_key_find(section, name);
        if (!k) {
                parser_unknown_key(p, section, name);
                return 1;
        }
        i = (size_t) (k - config_keys);
        if (p->key_line[i] > 0) {
                parser_error(p, p->line, k->section, k->name,
                             "duplicate key '%s' in [%s] (first set on line %u)", k->name,
                             k->section, p->key_line[i]);
                return 1;
        }
        p->key_line[i] = p->line;
        if (isempty(value)) {
                p->key_state[i] = KEY_EMPTY;
                return 1;
        }
        r = parser_set(p, p->line, k, value);
        if (r == -ENOMEM)
                p->oom = true;
        p->key_state[i] = r < 0 ? KEY_BAD : KEY_SET;
        return 1;
}

/* ---- after the file: defaults, required keys, checks across keys ---- */

static unsigned parser_key_line(const Parser *p, const char *section, const char *name) {
        const ConfigKey *k = config_key_find(section, name);
        assert(k);
        return p->key_line[k - config_keys];
}

static KeyState parser_key_state(const Parser *p, const char *section, const char *name) {
        const ConfigKey *k = config_key_find(section, name);
        assert(k);
        return p->key_state[k - config_keys];
}

/* The line of one key, or of the other key of a conflict when the first is
 * left to its default (not in the file): an error points at a line that is
 * there. */
static unsigned parser_conflict_line(const Parser *p, const char *section, const char *name,
                                     const char *other_section, const char *other_name) {
        unsigned line = parser_key_line(p, section, name);

        return line > 0 ? line : parser_key_line(p, other_section, other_name);
}

/* Where to point at when something is missing: the key's empty line, or
 * the section header, or nowhere (the whole file). */
static unsigned parser_missing_line(const Parser *p, size_t key_index) {
        int s;

        if (p->key_line[key_index] > 0)
                return p->key_line[key_index];
        s = config_section_index(config_keys[key_index].section,
                                 strlen(config_keys[key_index].section));
        assert(s >= 0);
        return p->section_line[s];
}

static int parser_apply_defaults(Parser *p) {
        for (size_t i = 0; i < config_n_keys; i++) {
                const ConfigKey *k = &config_keys[i];
                int r;

                if (p->key_state[i] == KEY_SET || p->key_state[i] == KEY_BAD)
                        continue;
                if (k->required) {
                        parser_error(p, parser_missing_line(p, i), k->section, k->name,
                                     p->key_state[i] == KEY_EMPTY ? "'%s' in [%s] is required: expected %s"
                                                        : "missing required key '%s' in [%s]: expected %s",
                                     k->name, k->section, k->expected);
                        continue;
                }
                if (!k->default_value)
                        continue;
                r = parser_set(p, 0, k, k->default_value);
                if (r == -ENOMEM)
                        return r;
                assert(r >= 0); /* the table's defaults are valid */
        }
        return 0;
}

/* environment = sandbox or production sets the URL; a URL given anyway
 * must be that one (anything else would be ambiguous). custom needs both. */
static int parser_resolve_url(Parser *p, const char *name, char **field, const char *official) {
        ChorusEnvironment e = p->config->chorus.environment;
        unsigned line = parser_key_line(p, "chorus", name);

        if (parser_key_state(p, "chorus", name) == KEY_BAD)
                return 0;
        if (e == CHORUS_ENVIRONMENT_CUSTOM) {
                if (!*field)
                        parser_error(p, line ? line : parser_key_line(p, "chorus", "environment"),
                                     "chorus", name,
                                     "environment = custom needs %s: expected an https:// URL",
                                     name);
                return 0;
        }
        if (*field && !streq(*field, official)) {
                parser_error(p, line, "chorus", name,
                             "environment = %s uses %s; leave %s empty, or set environment = "
                             "custom to use another server",
                             chorus_environment_to_string(e), official, name);
                return 0;
        }
        if (!*field) {
                *field = strdup(official);
                if (!*field)
                        return -ENOMEM;
        }
        return 0;
}

static int parser_check_chorus(Parser *p) {
        ChorusConfig *c = &p->config->chorus;
        int r;

        if (parser_key_state(p, "chorus", "timeout") != KEY_BAD &&
            parser_key_state(p, "chorus", "connect_timeout") != KEY_BAD &&
            c->timeout < c->connect_timeout)
                parser_error(p, parser_conflict_line(p, "chorus", "timeout", "chorus", "connect_timeout"),
                             "chorus", "timeout",
                             "timeout (%u s, the whole request) is shorter than connect_timeout "
                             "(%u s)", c->timeout, c->connect_timeout);
        if (parser_key_state(p, "chorus", "environment") == KEY_BAD)
                return 0;
        r = parser_resolve_url(p, "api_url", &c->api_url,
                               environment_urls[c->environment].api_url);
        if (r < 0)
                return r;
        r = parser_resolve_url(p, "oauth_url", &c->oauth_url,
                               environment_urls[c->environment].oauth_url);
        return r;
}

/* chorusd reads the CA bundle when it sets its Chorus Pro client up, but
 * chorusctl check-config sets none up: check here that the file is there. */
static void parser_check_ca_file(Parser *p) {
        const char *path = p->config->chorus.ca_file;
        _cleanup_(closep) int fd = -1;
        struct stat st;

        if (!path)
                return;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0 || fstat(fd, &st) < 0)
                parser_error(p, parser_key_line(p, "chorus", "ca_file"), "chorus", "ca_file",
                             "cannot read '%s': %s", path, strerror(errno));
        else if (!S_ISREG(st.st_mode))
                parser_error(p, parser_key_line(p, "chorus", "ca_file"), "chorus", "ca_file",
                             "'%s' is not a regular file: expected a PEM CA bundle", path);
}

/* [notify] is off without smtp_url; with it, a sender and someone to tell. */
static void parser_check_notify(Parser *p) {
        static const char *const others[] = { "smtp_user", "smtp_password_file", "ca_file", "from", "staff", "admins" };
        const NotifyConfig *n = &p->config->notify;
        unsigned line = parser_key_line(p, "notify", "smtp_url");

        if (parser_key_state(p, "notify", "smtp_url") == KEY_BAD)
                return;
        if (!n->smtp_url) {
                for (size_t i = 0; i < ELEMENTSOF(others); i++)
                        if (parser_key_state(p, "notify", others[i]) == KEY_SET)
                                parser_error(p, parser_key_line(p, "notify", others[i]), "notify", others[i],
                                             "%s is set but smtp_url is not: set smtp_url to send notices",
                                             others[i]);
                return;
        }
        if (!n->from && parser_key_state(p, "notify", "from") != KEY_BAD)
                parser_error(p, line, "notify", "from", "smtp_url needs from: the sender address of the notices");
        if (!n->staff && !n->admins && parser_key_state(p, "notify", "staff") != KEY_BAD &&
            parser_key_state(p, "notify", "admins") != KEY_BAD)
                parser_error(p, line, "notify", "staff", "smtp_url needs recipients: staff, admins or both");
        if (n->smtp_tls == SMTP_TLS_NONE && strncmp(n->smtp_url, "smtps://", 8) == 0)
                parser_error(p, parser_conflict_line(p, "notify", "smtp_tls", "notify", "smtp_url"), "notify",
                             "smtp_tls", "smtp_tls = none contradicts an smtps:// URL");
}

static void parser_check_seller(Parser *p) {
        const SellerConfig *s = &p->config->seller;

        if (s->country && s->postcode && streq(s->country, "FR") &&
            (strlen(s->postcode) != 5 || !all_digits(s->postcode, 5)))
                parser_error(p, parser_key_line(p, "seller", "postcode"), "seller", "postcode",
                             "expected a French postcode of 5 digits, got '%.*s'",
                             VALUE_SHOWN_MAX, s->postcode);
        /* A French VAT number embeds the SIREN: the first 9 digits of the SIRET. */
        if (s->vat_id && s->siret && strncmp(s->vat_id, "FR", 2) == 0 && strlen(s->vat_id) == 13 &&
            strncmp(s->vat_id + 4, s->siret, 9) != 0)
                parser_report(p, DIAG_WARNING, parser_key_line(p, "seller", "vat_id"), "seller",
                              "vat_id", "vat_id %s is not the VAT number of SIREN %.9s (siret)",
                              s->vat_id, s->siret);
}

/* Whoever can write to the spool must not reach the conventions or the
 * state (domain.md §2): the directories must be apart. */
static void parser_check_dirs(Parser *p) {
        const Config *c = p->config;

        if (c->spool.dir && c->conventions.dir && paths_overlap(c->spool.dir, c->conventions.dir))
                parser_error(p, parser_conflict_line(p, "conventions", "dir", "spool", "dir"), "conventions", "dir",
                             "'%s' overlaps the spool directory '%s': conventions must not "
                             "be reachable by whoever drops bilans",
                             c->conventions.dir, c->spool.dir);
        if (c->spool.dir && c->state.dir && paths_overlap(c->spool.dir, c->state.dir))
                parser_error(p, parser_conflict_line(p, "state", "dir", "spool", "dir"), "state", "dir",
                             "'%s' overlaps the spool directory '%s': expected separate directories",
                             c->state.dir, c->spool.dir);
}

/* chorusd writes and deletes modele-bilan-* files in templates_dir: never
 * where bilans are claimed or kept (the spool itself and its five folders),
 * nor among the conventions or the state. */
static void parser_check_templates_dir(Parser *p) {
        static const char *const spool_subdirs[] = { "incoming", "processing", "done", "rejected", "failed" };
        const Config *c = p->config;
        const char *t = c->spool.templates_dir;
        unsigned line = parser_key_line(p, "spool", "templates_dir");

        if (!t)
                return;
        if (c->spool.dir && paths_overlap(t, c->spool.dir) && strlen(t) <= strlen(c->spool.dir) + 1) {
                parser_error(p, line, "spool", "templates_dir",
                             "'%s' is the spool directory or holds it: expected a folder of its own, such as "
                             "'%s/modeles'", t, c->spool.dir);
                return;
        }
        for (size_t i = 0; c->spool.dir && i < ELEMENTSOF(spool_subdirs); i++) {
                _cleanup_(freep) char *sub = NULL;

                if (asprintf(&sub, "%s/%s", c->spool.dir, spool_subdirs[i]) < 0) {
                        p->oom = true;
                        return;
                }
                if (paths_overlap(t, sub)) {
                        parser_error(p, line, "spool", "templates_dir",
                                     "'%s' overlaps the spool folder '%s': expected a folder of its own, such "
                                     "as '%s/modeles'", t, sub, c->spool.dir);
                        return;
                }
        }
        if (c->conventions.dir && paths_overlap(t, c->conventions.dir))
                parser_error(p, line, "spool", "templates_dir", "'%s' overlaps the conventions directory '%s'", t,
                             c->conventions.dir);
        else if (c->state.dir && paths_overlap(t, c->state.dir))
                parser_error(p, line, "spool", "templates_dir", "'%s' overlaps the state directory '%s'", t,
                             c->state.dir);
}

static int parser_check(Parser *p) {
        int r;

        r = parser_apply_defaults(p);
        if (r < 0)
                return r;
        /* The checks below skip what was reported already: a bad value is
         * NULL, or 0 for numbers, and would only add confusion. */
        parser_check_seller(p);
        parser_check_dirs(p);
        parser_check_templates_dir(p);
        parser_check_ca_file(p);
        parser_check_notify(p);
        return parser_check_chorus(p);
}

static int config_read_file(const char *path, char **ret, size_t *ret_size) {
        _cleanup_(closep) int fd = -1;

        /* Not O_NOFOLLOW: /etc/chorusd/chorusd.conf may well be a symlink
         * managed by configuration management; the file is root's anyway. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        return read_fd_bounded(fd, CONFIG_FILE_MAX, ret, ret_size);
}

static int parser_run(Parser *p) {
        int r;

        r = ini_parse_stream(parser_read_line, p, parser_handle_key, p);
        if (r == -2 || p->oom)
                return -ENOMEM;
        /* Our reader hands libinih only lines it has checked, so this is a
         * safety net (libinih tells only the first line it did not like). */
        if (r > 0)
                parser_error(p, (unsigned) r, NULL, NULL, "syntax error");
        r = parser_check(p);
        if (r < 0 || p->oom)
                return -ENOMEM;
        return 0;
}

/* Size bound of config_load() (read_fd_bounded), for text from memory. */
static int config_too_big(const char *name, Diagnostics *diags) {
        return diag_add(diags, DIAG_ERROR, name, 0, NULL,
                        "file is larger than %d bytes: is it the right file?",
                        CONFIG_FILE_MAX) < 0 ? -ENOMEM : -EINVAL;
}

int config_parse_text(const char *name, const char *text, size_t size, Config **ret, Diagnostics *diags) {
        _cleanup_(config_freep) Config *c = NULL;
        Parser p;
        int r;

        assert(name);
        assert(text || size == 0);
        assert(ret);

        if (size > CONFIG_FILE_MAX)
                return config_too_big(name, diags);
        c = calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        c->path = strdup(name);
        if (!c->path)
                return -ENOMEM;

        p = (Parser) { .config = c, .file = name, .diags = diags, .text = text, .size = size };
        r = parser_run(&p);
        if (r < 0)
                return r;
        if (p.n_errors > 0)
                return -EINVAL;
        *ret = TAKE_PTR(c);
        return 0;
}

int config_load(const char *path, Config **ret, Diagnostics *diags) {
        _cleanup_(freep) char *text = NULL;
        size_t size;
        int r;

        assert(path);
        assert(ret);

        r = config_read_file(path, &text, &size);
        if (r == -EFBIG)
                return config_too_big(path, diags);
        if (r < 0)
                return r;
        return config_parse_text(path, text, size, ret, diags);
}
