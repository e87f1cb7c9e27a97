/* test_convention.c — every rule of domain.md §2 on conventions: the seed
 * and the test conventions load with the right values; each bad input
 * (one change to the seed at a time) is refused with the exact JSON path and
 * a message that says what was expected; conventions.d/ loading. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/convention.h"
#include "json_mutate.h"
#include "base/macro.h"
#include "scratch.h"
#include "service/convention_dir.h"

#define SEED "config/conventions.d/cdcmc-2026.json"

static Convention *load_ok(const char *path) {
        Diagnostics d = DIAGNOSTICS_INIT;
        Convention *c = NULL;
        int r = convention_load_file(path, &c, &d);

        if (r < 0)
                diag_dump(&d);
        cr_assert_eq(r, 0, "%s: %d", path, r);
        cr_assert_eq(d.n_items, 0, "%s: unexpected diagnostics", path);
        diagnostics_clear(&d);
        return c;
}

Test(convention, seed) {
        _cleanup_(convention_freep) Convention *c = load_ok(SEED);
        char buf[DATE_STRING_MAX];
        const ConventionAction *a;

        cr_expect_str_eq(c->id, "CDCMC-2026");
        cr_expect_str_eq(c->title, "Convention d'exécution annuelle 2026 — partenariat 2024-2026");
        cr_expect_str_eq(date_format(c->signed_on, buf), "2026-01-23");
        cr_expect_str_eq(date_format(c->period_start, buf), "2026-01-01");
        cr_expect_str_eq(date_format(c->period_end, buf), "2026-12-31");
        cr_expect_str_eq(c->buyer.name, "Communauté de Communes du Minervois au Caroux");
        cr_expect_str_eq(c->buyer.siret, "20003478300015");
        cr_expect_str_eq(c->buyer.service_code, "ECO");
        cr_expect_str_eq(c->buyer.engagement, "EJ-2026-0042");
        cr_expect_str_eq(c->buyer.address.line1, "16 place Foiral");
        cr_expect_null(c->buyer.address.line2);
        cr_expect_str_eq(c->buyer.address.postcode, "34220");
        cr_expect_str_eq(c->buyer.address.city, "Saint-Pons-de-Thomières");
        cr_expect_str_eq(c->buyer.address.country, "FR");
        cr_expect_eq(c->cap, 400000);
        cr_expect_eq(c->vat.category, VAT_CATEGORY_O);
        cr_expect_eq(c->vat.rate, 0);
        cr_expect_str_eq(c->vat.exemption_reason, "TVA non applicable, art. 256 B du CGI");
        cr_expect_eq(c->format, INVOICE_FORMAT_UBL);
        cr_expect_str_eq(c->source_file, SEED);
        cr_assert_eq(c->n_actions, 3);

        a = convention_find_action(c, "geometiers");
        cr_assert_eq(a, &c->actions[0]);
        cr_expect_str_eq(a->article, "1");
        cr_expect_eq(a->amount, 50000);
        cr_expect_eq(a->target, 1);
        cr_expect_null(a->kinds);
        cr_expect_str_eq(a->unit_one, "accès annuel");
        cr_expect_str_eq(a->unit_other, "accès annuels");
        cr_expect_not(a->unit_feminine);
        cr_expect(convention_action_accepts_kind(a, "anything"));

        a = convention_find_action(c, "dev-durable");
        cr_assert_eq(a, &c->actions[1]);
        cr_expect_str_eq(a->article, "2");
        cr_expect_eq(a->amount, 250000);
        cr_expect_eq(a->target, 5);
        cr_expect_eq(a->n_kinds, 4);
        cr_expect_str_eq(a->kinds[3], "visite-energie");
        cr_expect_null(a->kinds[4]);
        cr_expect_str_eq(a->unit_one, "entreprise accompagnée");
        cr_expect_str_eq(a->unit_other, "entreprises accompagnées");
        cr_expect(a->unit_feminine);
        cr_expect(convention_action_accepts_kind(a, "label-repar-acteurs"));
        cr_expect_not(convention_action_accepts_kind(a, "label-repar-acteur"));
        cr_expect_not(convention_action_accepts_kind(a, "transmission-reprise"));

        a = convention_find_action(c, "animation");
        cr_assert_eq(a, &c->actions[2]);
        cr_expect_eq(a->amount, 100000);
        cr_expect_eq(a->target, 2);
        cr_expect_str_eq(a->unit_one, "réunion thématique");
        cr_expect_str_eq(a->label, "Préparation et animation de deux réunions thématiques");

        cr_expect_null(convention_find_action(c, "formation"));
}

Test(convention, test_conventions) {
        _cleanup_(convention_freep) Convention *thirds = load_ok("tests/data/conventions/thirds.json");
        _cleanup_(convention_freep) Convention *vat = load_ok("tests/data/conventions/vat-standard.json");
        _cleanup_(convention_freep) Convention *minimal = load_ok("tests/data/conventions/minimal.json");
        _cleanup_(convention_freep) Convention *over = load_ok("tests/data/conventions/over-cap.json");

        cr_expect_eq(thirds->actions[0].amount, 100000);
        cr_expect_eq(thirds->actions[0].target, 3);
        cr_expect_eq(thirds->vat.category, VAT_CATEGORY_E);
        cr_expect_eq(thirds->format, INVOICE_FORMAT_CII);
        cr_expect_str_eq(thirds->buyer.address.line2, "BP 12");
        cr_expect_str_eq(thirds->buyer.service_code, "SERVICE FINANCES");
        cr_expect_not(thirds->actions[0].unit_feminine, "an explicit unit is masculine unless it says otherwise");

        cr_expect_eq(vat->vat.category, VAT_CATEGORY_S);
        cr_expect_eq(vat->vat.rate, 2000);
        cr_expect_null(vat->vat.exemption_reason);
        cr_expect_eq(vat->format, INVOICE_FORMAT_FACTURX);
        cr_expect_eq(vat->actions[0].amount, 60000, "\"600\" is 600.00");
        cr_expect_eq(vat->actions[1].amount, 60050, "\"600.5\" is 600.50");

        cr_expect_null(minimal->buyer.service_code);
        cr_expect_null(minimal->buyer.engagement);
        cr_expect_eq(minimal->format, _INVOICE_FORMAT_INVALID, "no format: the configured default");
        cr_expect_null(minimal->actions[0].kinds);
        cr_expect_str_eq(minimal->actions[0].unit_one, "réalisation");
        cr_expect_str_eq(minimal->actions[0].unit_other, "réalisations");
        cr_expect(minimal->actions[0].unit_feminine);
        cr_expect_eq(minimal->cap, 1);

        cr_expect_eq(over->cap, 400000);
        cr_expect_gt(over->actions[0].amount + over->actions[1].amount, over->cap,
                     "the sum of the actions may exceed the cap");
}

Test(convention, vat_category_strings) {
        cr_expect_str_eq(vat_category_to_string(VAT_CATEGORY_S), "S");
        cr_expect_str_eq(vat_category_to_string(VAT_CATEGORY_O), "O");
        cr_expect_null(vat_category_to_string(_VAT_CATEGORY_INVALID));
        cr_expect_eq(vat_category_from_string("Z"), VAT_CATEGORY_Z);
        cr_expect_eq(vat_category_from_string("E"), VAT_CATEGORY_E);
        cr_expect_eq(vat_category_from_string("s"), _VAT_CATEGORY_INVALID);
        cr_expect_eq(vat_category_from_string(NULL), _VAT_CATEGORY_INVALID);
}

/* ---- one change to the seed, one error at one path ---- */

typedef struct BadCase {
        const char *label;
        JsonMutation m[3];
        const char *path;     /* expected diagnostic path */
        const char *fragment; /* expected in its message */
} BadCase;

static const BadCase bad_cases[] = {
        /* money */
        { "amount as a JSON number", { { "actions[1].amount", "2500" } }, "actions[1].amount",
          "expected a decimal string such as \"500.00\", got the JSON number 2500" },
        { "fractional amount as a JSON number", { { "actions[0].amount", "500.5" } }, "actions[0].amount",
          "got the JSON number 500.5" },
        { "cap as a JSON number", { { "cap", "4000" } }, "cap", "got the JSON number 4000" },
        { "three decimals", { { "actions[1].amount", "\"2500.001\"" } }, "actions[1].amount",
          "at most two decimals" },
        { "comma decimal", { { "actions[1].amount", "\"2500,00\"" } }, "actions[1].amount", "got \"2500,00\"" },
        { "euro sign", { { "cap", "\"4000 €\"" } }, "cap", "got \"4000 €\"" },
        { "negative amount", { { "actions[0].amount", "\"-500.00\"" } }, "actions[0].amount", "got \"-500.00\"" },
        { "zero amount", { { "actions[0].amount", "\"0.00\"" } }, "actions[0].amount", "greater than 0" },
        { "zero cap", { { "cap", "\"0\"" } }, "cap", "greater than 0" },
        { "amount too large", { { "actions[0].amount", "\"10000000000.01\"" } }, "actions[0].amount",
          "too large (at most 10000000000.00)" },
        { "amount missing", { { "actions[2].amount", NULL } }, "actions[2].amount", "missing" },
        { "cap missing", { { "cap", NULL } }, "cap", "missing" },
        /* target */
        { "target as a string", { { "actions[1].target", "\"5\"" } }, "actions[1].target",
          "expected an integer (a JSON number, without quotes), got the string \"5\"" },
        { "fractional target", { { "actions[1].target", "2.5" } }, "actions[1].target",
          "expected an integer from 1 to 1000000, got 2.5" },
        { "zero target", { { "actions[1].target", "0" } }, "actions[1].target", "got 0" },
        { "negative target", { { "actions[1].target", "-5" } }, "actions[1].target", "got -5" },
        { "target too large", { { "actions[1].target", "1000001" } }, "actions[1].target", "got 1000001" },
        { "huge target", { { "actions[1].target", "1e300" } }, "actions[1].target", "got 1e+300" },
        { "target true", { { "actions[1].target", "true" } }, "actions[1].target",
          "expected an integer, got a boolean" },
        /* identifiers */
        { "id with a space", { { "id", "\"CDCMC 2026\"" } }, "id", "expected an identifier" },
        { "empty id", { { "id", "\"\"" } }, "id", "expected an identifier" },
        { "65-character id",
          { { "id", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"" } }, "id",
          "expected an identifier" },
        { "id as a number", { { "id", "2026" } }, "id", "got a number" },
        { "action id with a slash", { { "actions[1].id", "\"dev/durable\"" } }, "actions[1].id",
          "got \"dev/durable\"" },
        { "accented action id", { { "actions[0].id", "\"géométiers\"" } }, "actions[0].id", "expected an identifier" },
        { "duplicate action id", { { "actions[2].id", "\"geometiers\"" } }, "actions[2].id",
          "action id \"geometiers\" is already used by actions[0]" },
        { "kind with a space", { { "actions[1].kinds[0]", "\"label eco\"" } }, "actions[1].kinds[0]",
          "got \"label eco\"" },
        { "kind as a number", { { "actions[2].kinds[1]", "3" } }, "actions[2].kinds[1]", "got a number" },
        { "duplicate kind", { { "actions[1].kinds[2]", "\"label-eco-defis\"" } }, "actions[1].kinds[2]",
          "listed twice" },
        { "empty kinds", { { "actions[1].kinds", "[]" } }, "actions[1].kinds", "at least one kind" },
        { "kinds as a string", { { "actions[1].kinds", "\"visite-energie\"" } }, "actions[1].kinds",
          "expected an array" },
        /* buyer */
        { "SIRET failing Luhn", { { "buyer.siret", "\"20003478300016\"" } }, "buyer.siret",
          "14 digits passing the Luhn check, got \"20003478300016\"" },
        { "13-digit SIRET", { { "buyer.siret", "\"2000347830001\"" } }, "buyer.siret", "Luhn" },
        { "SIRET with spaces", { { "buyer.siret", "\"200 034 783 00015\"" } }, "buyer.siret", "Luhn" },
        { "SIRET as a number", { { "buyer.siret", "20003478300015" } }, "buyer.siret",
          "expected a string, got a number" },
        { "SIRET missing", { { "buyer.siret", NULL } }, "buyer.siret", "missing" },
        { "empty buyer name", { { "buyer.name", "\"\"" } }, "buyer.name", "must not be empty" },
        { "bad service code", { { "buyer.service_code", "\"ECO/1\"" } }, "buyer.service_code",
          "Chorus Pro service code" },
        { "empty service code", { { "buyer.service_code", "\"\"" } }, "buyer.service_code", "must not be empty" },
        { "service reserved for public-to-public invoices", { { "buyer.service_code", "\"FACTURES_PUBLIQUES\"" } },
          "buyer.service_code", "FACTURES_PUBLIQUES is reserved for invoices between public entities: Chorus Pro rejects" },
        { "engagement over 50 characters",
          { { "buyer.engagement", "\"EJ-2026-0042-EJ-2026-0042-EJ-2026-0042-EJ-2026-00421\"" } },
          "buyer.engagement", "1 to 50" },
        { "address missing", { { "buyer.address", NULL } }, "buyer.address", "missing" },
        { "line1 missing", { { "buyer.address.line1", NULL } }, "buyer.address.line1", "missing" },
        { "postcode missing", { { "buyer.address.postcode", NULL } }, "buyer.address.postcode", "missing" },
        { "city missing", { { "buyer.address.city", NULL } }, "buyer.address.city", "missing" },
        { "country missing", { { "buyer.address.country", NULL } }, "buyer.address.country", "missing" },
        { "country spelt out", { { "buyer.address.country", "\"France\"" } }, "buyer.address.country",
          "ISO 3166-1 alpha-2" },
        { "lower-case country", { { "buyer.address.country", "\"fr\"" } }, "buyer.address.country",
          "got \"fr\"" },
        { "country not assigned by ISO 3166-1", { { "buyer.address.country", "\"XX\"" } },
          "buyer.address.country", "assigned ISO 3166-1 alpha-2 country code such as \"FR\", got \"XX\"" },
        { "country user-assigned (Kosovo)", { { "buyer.address.country", "\"XK\"" } },
          "buyer.address.country", "got \"XK\"" },
        { "postcode as a number", { { "buyer.address.postcode", "34220" } }, "buyer.address.postcode",
          "expected a string, got a number" },
        /* dates */
        { "period reversed", { { "period.start", "\"2027-01-01\"" } }, "period.end",
          "must not be before period.start (2027-01-01)" },
        { "period start not in the calendar", { { "period.start", "\"2026-02-29\"" } }, "period.start",
          "\"2026-02-29\" is not a day of the calendar" },
        { "period end in French", { { "period.end", "\"31/12/2026\"" } }, "period.end",
          "expected a date \"YYYY-MM-DD\", got \"31/12/2026\"" },
        { "signed_on as a number", { { "signed_on", "20260123" } }, "signed_on", "got a number" },
        { "period missing", { { "period", NULL } }, "period", "missing" },
        /* VAT */
        { "unknown VAT category", { { "vat.category", "\"X\"" } }, "vat.category", "S, Z, E, O" },
        { "lower-case VAT category", { { "vat.category", "\"o\"" } }, "vat.category", "got \"o\"" },
        { "rate as a JSON number", { { "vat.rate", "0" } }, "vat.rate",
          "expected a decimal string such as \"20.00\", got the JSON number 0" },
        { "rate over 100", { { "vat.rate", "\"120\"" } }, "vat.rate", "too large (at most 100.00)" },
        { "O with a rate", { { "vat.rate", "\"20.00\"" } }, "vat.rate", "category O needs the rate \"0.00\"" },
        { "O without a reason", { { "vat.exemption_reason", NULL } }, "vat.exemption_reason",
          "category O needs the legal mention" },
        { "E without a reason", { { "vat.category", "\"E\"" }, { "vat.exemption_reason", NULL } },
          "vat.exemption_reason", "category E needs" },
        { "S at 0", { { "vat.category", "\"S\"" }, { "vat.exemption_reason", NULL } }, "vat.rate",
          "category S needs a rate above 0" },
        { "S with a reason", { { "vat.category", "\"S\"" }, { "vat.rate", "\"20\"" } }, "vat.exemption_reason",
          "category S must not have an exemption reason" },
        { "Z with a rate", { { "vat.category", "\"Z\"" }, { "vat.rate", "\"5.5\"" }, { "vat.exemption_reason", NULL } },
          "vat.rate", "category Z needs the rate \"0.00\"" },
        { "vat missing", { { "vat", NULL } }, "vat", "missing" },
        /* format */
        { "unknown format", { { "format", "\"pdf\"" } }, "format", "expected \"ubl\", \"cii\" or \"facturx\"" },
        { "upper-case format", { { "format", "\"UBL\"" } }, "format", "got \"UBL\"" },
        /* unknown keys, types, structure */
        { "unknown top-level key", { { "caps", "\"4000.00\"" } }, "caps", "unknown key \"caps\" (expected one of: id," },
        { "unknown action key", { { "actions[0].amont", "\"500.00\"" } }, "actions[0].amont", "unknown key \"amont\"" },
        { "unknown address key", { { "buyer.address.street", "\"x\"" } }, "buyer.address.street", "unknown key" },
        { "unknown buyer key", { { "buyer.siren", "\"200034783\"" } }, "buyer.siren", "unknown key" },
        { "unknown period key", { { "period.begin", "\"2026-01-01\"" } }, "period.begin", "unknown key" },
        { "unknown VAT key", { { "vat.reason", "\"x\"" } }, "vat.reason", "unknown key" },
        { "unknown unit key", { { "actions[1].unit.plural", "\"x\"" } }, "actions[1].unit.plural", "unknown key" },
        { "unit without other", { { "actions[1].unit.other", NULL } }, "actions[1].unit.other", "missing" },
        { "unit feminine as text", { { "actions[1].unit.feminine", "\"oui\"" } }, "actions[1].unit.feminine",
          "expected true or false" },
        { "unit as a string", { { "actions[1].unit", "\"entreprise\"" } }, "actions[1].unit", "expected an object" },
        { "no actions", { { "actions", "[]" } }, "actions", "at least one action" },
        { "actions as an object", { { "actions", "{}" } }, "actions", "expected an array" },
        { "action as a string", { { "actions[0]", "\"geometiers\"" } }, "actions[0]", "expected an object" },
        { "title missing", { { "title", NULL } }, "title", "missing" },
        { "label missing", { { "actions[1].label", NULL } }, "actions[1].label", "missing" },
        { "article missing", { { "actions[1].article", NULL } }, "actions[1].article", "missing" },
        { "article as a number", { { "actions[1].article", "2" } }, "actions[1].article", "got a number" },
        { "control character in a label", { { "actions[0].label", "\"Acc\\u0007s\"" } }, "actions[0].label",
          "control character" },
        { "U+FFFE in the title (not an XML character)", { { "title", "\"Convention \\ufffe\"" } }, "title",
          "contains U+FFFE or U+FFFF" },
        { "U+FFFF in the buyer's name", { { "buyer.name", "\"CC \xEF\xBF\xBF\"" } }, "buyer.name",
          "contains U+FFFE or U+FFFF" },
        { "buyer as a string", { { "buyer", "\"CCMC\"" } }, "buyer", "expected an object" },
};

static void check_bad(const BadCase *t) {
        _cleanup_(freep) char *base = test_read_file(SEED, NULL);
        _cleanup_(freep) char *json = json_mutate(base, t->m, ELEMENTSOF(t->m));
        Diagnostics d = DIAGNOSTICS_INIT;
        Convention *c = NULL;
        int r;

        if (!json) {
                cr_expect_fail("%s: the mutation does not apply", t->label);
                return;
        }
        r = convention_parse("bad.json", json, strlen(json), &c, &d);
        cr_expect_eq(r, -EINVAL, "%s: convention_parse() = %d", t->label, r);
        cr_expect_null(c, "%s: output set on failure", t->label);
        if (!diag_find(&d, DIAG_ERROR, t->path, t->fragment)) {
                diag_dump(&d);
                cr_expect_fail("%s: no error at %s saying \"%s\"", t->label, t->path, t->fragment);
        }
        for (size_t i = 0; i < d.n_items; i++)
                cr_expect_str_eq(d.items[i].file, "bad.json");
        convention_free(c);
        diagnostics_clear(&d);
}

Test(convention, bad) {
        for (size_t i = 0; i < ELEMENTSOF(bad_cases); i++)
                check_bad(&bad_cases[i]);
}

/* ---- raw text: what a tree mutation cannot express ---- */

typedef struct RawCase {
        const char *label;
        const char *find, *replace; /* first occurrence in the seed text */
        const char *path;
        const char *fragment;
} RawCase;

static const RawCase raw_cases[] = {
        { "duplicate top-level key", "\"cap\": \"4000.00\",", "\"cap\": \"4000.00\", \"cap\": \"9000.00\",", "cap",
          "duplicate key \"cap\"" },
        { "duplicate key in an action", "\"target\": 5,", "\"target\": 5, \"target\": 50,", "actions[1].target",
          "duplicate key" },
        { "Latin-1 byte", "Minervois", "Minervo\xEFs", NULL, "not UTF-8 text: invalid byte 0xEF" },
        { "overlong slash", "Foiral", "Foir\xC0\xAF", NULL, "invalid byte 0xC0" },
        { "surrogate", "Foiral", "Foir\xED\xA0\x80", NULL, "invalid byte 0xED" },
        { "NUL escape", "16 place Foiral", "16 place\\u0000Foiral", NULL, "\\u0000" },
        { "raw tab in a string", "16 place Foiral", "16 place\tFoiral", NULL, "control character 0x09" },
        { "not JSON", "\"cap\": \"4000.00\",", "\"cap\": \"4000.00\"", NULL, "not valid JSON" },
        { "trailing data", "\n}\n", "\n}\n}\n", NULL, "not valid JSON" },
};

static void check_raw(const RawCase *t) {
        _cleanup_(freep) char *base = test_read_file(SEED, NULL);
        _cleanup_(freep) char *json = test_replace_first(base, t->find, t->replace);
        Diagnostics d = DIAGNOSTICS_INIT;
        Convention *c = NULL;
        int r;

        r = convention_parse("raw.json", json, strlen(json), &c, &d);
        cr_expect_eq(r, -EINVAL, "%s: convention_parse() = %d", t->label, r);
        if (!diag_find(&d, DIAG_ERROR, t->path, t->fragment)) {
                diag_dump(&d);
                cr_expect_fail("%s: no error at %s saying \"%s\"", t->label, strempty(t->path), t->fragment);
        }
        convention_free(c);
        diagnostics_clear(&d);
}

Test(convention, raw) {
        for (size_t i = 0; i < ELEMENTSOF(raw_cases); i++)
                check_raw(&raw_cases[i]);
}

Test(convention, several_errors_at_once) {
        static const JsonMutation m[] = {
                { "cap", "4000" },
                { "buyer.siret", "\"20003478300016\"" },
                { "actions[1].target", "\"5\"" },
                { "actions[2].kinds[0]", "\"a b\"" },
                { "vat.exemption_reason", NULL },
                { "colour", "\"blue\"" },
        };
        _cleanup_(freep) char *base = test_read_file(SEED, NULL);
        _cleanup_(freep) char *json = json_mutate(base, m, ELEMENTSOF(m));
        Diagnostics d = DIAGNOSTICS_INIT;
        Convention *c = NULL;

        cr_assert_not_null(json);
        cr_expect_eq(convention_parse("many.json", json, strlen(json), &c, &d), -EINVAL);
        expect_error_per_mutation(&d, m, ELEMENTSOF(m));
        diagnostics_clear(&d);
}

Test(convention, diagnostics_optional) {
        static const JsonMutation m[] = { { "cap", "4000" } };
        _cleanup_(freep) char *base = test_read_file(SEED, NULL);
        _cleanup_(freep) char *json = json_mutate(base, m, 1);
        Convention *c = NULL;

        cr_expect_eq(convention_parse("x.json", json, strlen(json), &c, /* diags= */ NULL), -EINVAL);
        cr_expect_null(c);
}

Test(convention, top_level_not_an_object) {
        Diagnostics d = DIAGNOSTICS_INIT;
        Convention *c = NULL;

        cr_expect_eq(convention_parse("a.json", "[]", 2, &c, &d), -EINVAL);
        cr_expect_not_null(diag_find(&d, DIAG_ERROR, NULL, "a JSON object { … } at the top level, got an array"));
        diagnostics_clear(&d);
        cr_expect_eq(convention_parse("e.json", "", 0, &c, &d), -EINVAL);
        cr_expect_not_null(diag_find(&d, DIAG_ERROR, NULL, "empty"));
        diagnostics_clear(&d);
}

/* ---- conventions.d/ ---- */

Test(convention, set_load_dir) {
        _cleanup_(convention_set_freep) ConventionSet *s = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;

        cr_assert_eq(convention_set_load_dir("tests/data/conventions", &s, &d), 0);
        cr_expect_eq(d.n_items, 0);
        cr_assert_eq(s->n_items, 4);
        /* sorted by file name: minimal, over-cap, thirds, vat-standard */
        cr_expect_str_eq(s->items[0]->id, "TEST-MINIMAL");
        cr_expect_str_eq(s->items[1]->id, "TEST-OVER-CAP");
        cr_expect_str_eq(s->items[2]->id, "TEST-THIRDS");
        cr_expect_str_eq(s->items[3]->id, "TEST-VAT-S");
        cr_expect_str_eq(s->items[2]->source_file, "tests/data/conventions/thirds.json");
        cr_expect_eq(convention_set_find(s, "TEST-THIRDS"), s->items[2]);
        cr_expect_null(convention_set_find(s, "CDCMC-2026"));
        cr_expect_null(convention_set_find(s, NULL));
        diagnostics_clear(&d);
}

Test(convention, set_duplicate_ids) {
        ConventionSet *s = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        const Diag *x;

        cr_expect_eq(convention_set_load_dir("tests/data/conventions/dup-ids", &s, &d), -EINVAL);
        cr_expect_null(s);
        x = diag_find(&d, DIAG_ERROR, "id",
                      "convention id \"TEST-DUP\" is already used by tests/data/conventions/dup-ids/a.json");
        cr_assert_not_null(x);
        cr_expect_str_eq(x->file, "tests/data/conventions/dup-ids/b.json");
        cr_expect_eq(d.n_errors, 1);
        diagnostics_clear(&d);
}

Test(convention, set_files_refused_or_ignored) {
        char *dir = scratch_new();
        _cleanup_(freep) char *seed = NULL, *big = NULL, *p = NULL;
        ConventionSet *s = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;

        seed = test_read_file(SEED, NULL);
        scratch_write(dir, "cdcmc.json", seed);
        scratch_write(dir, ".hidden.json", "not json");       /* dotfile: ignored */
        scratch_write(dir, "notes.txt", "not json");          /* not *.json: ignored */
        scratch_write(dir, "old.json~", "not json");          /* editor backup: ignored */
        big = malloc(CONVENTION_FILE_MAX + 2);
        cr_assert_not_null(big);
        memset(big, ' ', CONVENTION_FILE_MAX + 1);
        big[CONVENTION_FILE_MAX + 1] = '\0';
        scratch_write(dir, "big.json", big);
        p = scratch_path(dir, "link.json");
        cr_assert_eq(symlink("cdcmc.json", p), 0);
        free(p);
        p = scratch_path(dir, "dir.json");
        cr_assert_eq(mkdir(p, 0755), 0);
        free(p);
        p = scratch_path(dir, "fifo.json");
        cr_assert_eq(mkfifo(p, 0644), 0); /* must not block the loader */

        cr_expect_eq(convention_set_load_dir(dir, &s, &d), -EINVAL);
        cr_expect_null(s);
        cr_expect_eq(d.n_errors, 4);
        free(p);
        p = scratch_path(dir, "big.json");
        cr_expect(diag_find(&d, DIAG_ERROR, NULL, "larger than 1048576 bytes") &&
                  streq(diag_find(&d, DIAG_ERROR, NULL, "larger than")->file, p));
        cr_expect_not_null(diag_find(&d, DIAG_ERROR, NULL, "symbolic link"));
        cr_expect_not_null(diag_find(&d, DIAG_ERROR, NULL, "not a regular file"));
        diagnostics_clear(&d);
        scratch_remove(dir);
}

Test(convention, set_empty_and_missing_dir) {
        _cleanup_(freep) char *dir = scratch_new();
        _cleanup_(convention_set_freep) ConventionSet *s = NULL;
        ConventionSet *none = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;

        cr_expect_eq(convention_set_load_dir(dir, &s, &d), 0);
        cr_assert_not_null(s);
        cr_expect_eq(s->n_items, 0);
        cr_expect_eq(d.n_warnings, 1, "an empty conventions.d/ is worth a warning");
        diagnostics_clear(&d);
        rmdir(dir);
        cr_expect_eq(convention_set_load_dir(dir, &none, &d), -ENOENT);
        cr_expect_null(none);
}

Test(convention, load_file_errors) {
        Diagnostics d = DIAGNOSTICS_INIT;
        Convention *c = NULL;

        cr_expect_eq(convention_load_file("tests/data/conventions/nope.json", &c, &d), -ENOENT);
        cr_expect_not_null(diag_find(&d, DIAG_ERROR, NULL, "cannot be read"));
        diagnostics_clear(&d);
        cr_expect_eq(convention_load_file("tests/data/conventions", &c, &d), -EISDIR);
        cr_expect_null(c);
        diagnostics_clear(&d);
}

/* Review finding (conventions' side): every one-line text field of a
 * convention refuses controls, U+0085, U+2028, U+2029 and bidirectional
 * controls, naming the field and the code point. */
Test(convention, review_one_line_fields_refuse_controls_separators_and_bidi) {
        static const BadCase cases[] = {
                { "tab in the title", { { "title", "\"Convention\\t2026\"" } }, "title", "U+0009" },
                { "NEL in the buyer's name", { { "buyer.name", "\"CC\\u0085MC\"" } }, "buyer.name", "U+0085" },
                { "line separator in a label", { { "actions[0].label", "\"Acc\\u2028s\"" } }, "actions[0].label",
                  "U+2028" },
                { "paragraph separator in a city", { { "buyer.address.city", "\"Saint\\u2029Pons\"" } },
                  "buyer.address.city", "U+2029" },
                { "bidi override in an article", { { "actions[1].article", "\"Article\\u202E 2\"" } },
                  "actions[1].article", "U+202E" },
                { "bidi isolate in line1", { { "buyer.address.line1", "\"1 rue\\u2067 X\"" } },
                  "buyer.address.line1", "U+2067" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                check_bad(&cases[i]);
}

/* ---- indexed conventions.d/ (chorusd, chorusctl render) ---- */

Test(convention, set_index_reads_what_is_needed) {
        _cleanup_(convention_set_freep) ConventionSet *s = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        const char *problem = "x";

        cr_assert_eq(convention_set_index_dir("tests/data/conventions", &s, &d), 0);
        cr_expect_eq(d.n_items, 0);
        cr_expect_eq(s->n_items, 0, "nothing read at start");
        cr_expect_eq(convention_set_size(s), 4);
        /* thirds.json does not carry its id in its name: every file is read */
        cr_assert_not_null(convention_set_lookup(s, "TEST-THIRDS", &problem));
        cr_expect_null(problem);
        cr_expect_eq(s->n_items, 4);
        cr_expect_str_eq(convention_set_find(s, "TEST-THIRDS")->source_file, "tests/data/conventions/thirds.json");
        cr_expect_null(convention_set_lookup(s, "CDCMC-2026", &problem));
        cr_expect_null(problem, "unknown is not broken");
        cr_expect_eq(convention_set_index_problems(s), 0);
        cr_expect_null(convention_set_find(s, NULL));
}

/* chorusd keeps a few conventions in memory (convention_set_forget()):
 * the others are read again from their files when a bilan names them. */
Test(convention, set_index_forgets_and_reads_again) {
        _cleanup_(convention_set_freep) ConventionSet *s = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        const Convention *c;
        size_t n = 0;

        cr_assert_eq(convention_set_index_dir("tests/data/conventions", &s, &d), 0);
        while (convention_set_read_some(s, 2))
                ;
        cr_expect_eq(s->n_items, 4);
        convention_set_forget(s, 1);
        cr_expect_eq(s->n_items, 1, "the one read last is kept");
        cr_expect_eq(convention_set_index_valid(s), 4);
        for (size_t i = 0; i < convention_set_size(s); i++)
                n += convention_set_id(s, i) != NULL;
        cr_expect_eq(n, 4, "the ids are still known");
        c = convention_set_find(s, "TEST-THIRDS");
        cr_assert_not_null(c, "read again");
        cr_expect_str_eq(c->source_file, "tests/data/conventions/thirds.json");
        cr_expect_eq(s->n_items, 2);
        convention_set_forget(s, 0);
        cr_expect_eq(s->n_items, 0);
        n = 0;
        for (size_t i = 0; convention_set_load_nth(s, i, &c) != -ENOENT; i++) {
                n += c != NULL;
                convention_set_forget(s, 0);
        }
        cr_expect_eq(n, 4);
        cr_expect_eq(convention_set_index_problems(s), 0);
}

/* A repeated id is found even when the first file's convention was
 * forgotten before the second file is read. */
Test(convention, set_index_repeated_id_after_forgetting) {
        char *dir = scratch_new();
        _cleanup_(freep) char *seed = NULL;
        ConventionSet *s = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        const char *problem = NULL;

        seed = test_read_file(SEED, NULL);
        scratch_write(dir, "cdcmc-2026.json", seed);
        scratch_write(dir, "zz-twin.json", seed);
        cr_assert_eq(convention_set_index_dir(dir, &s, &d), 0);
        cr_assert_not_null(convention_set_find(s, "CDCMC-2026"));
        convention_set_forget(s, 0);
        while (convention_set_read_some(s, 1))
                ;
        cr_expect_null(convention_set_lookup(s, "CDCMC-2026", &problem));
        cr_assert_not_null(problem);
        cr_expect(strstr(problem, "zz-twin.json: error: id: convention id \"CDCMC-2026\" is already used by"), "%s",
                  problem);
        convention_set_free(s);
        scratch_remove(dir);
}

Test(convention, set_index_broken_files_are_problems_of_their_id) {
        char *dir = scratch_new();
        _cleanup_(freep) char *seed = NULL, *other = NULL;
        ConventionSet *s = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        const char *problem = NULL;

        seed = test_read_file(SEED, NULL);
        other = test_replace_first(seed, "\"CDCMC-2026\"", "\"AUTRE-2026\"");
        cr_assert_not_null(other);
        scratch_write(dir, "cdcmc-2026.json", seed);
        scratch_write(dir, "autre-2026.json", other);
        scratch_write(dir, "broken.json", "{\"id\": \"BROKEN\"}");
        scratch_write(dir, "cassee.json", "{\"id\": ");
        scratch_write(dir, "zz-twin.json", seed);

        cr_assert_eq(convention_set_index_dir(dir, &s, &d), 0);
        cr_expect_eq(d.n_items, 0);
        /* Found by its name (case aside): only that file is read. */
        cr_assert_not_null(convention_set_find(s, "CDCMC-2026"));
        cr_expect_eq(s->n_items, 1);
        cr_expect_null(convention_set_lookup(s, "BROKEN", &problem));
        cr_assert_not_null(problem);
        cr_expect(strstr(problem, "broken.json: error: "), "%s", problem);
        cr_expect_eq(s->n_items, 1, "only broken.json read");
        /* Not JSON: its name stands for its id. */
        cr_expect_null(convention_set_lookup(s, "CASSEE", &problem));
        cr_assert_not_null(problem);
        cr_expect(strstr(problem, "cassee.json"), "%s", problem);
        /* The rest in the background (manager_conventions.c), in batches;
         * then the repeated id makes CDCMC-2026 a problem too. */
        cr_expect(convention_set_read_some(s, 1));
        while (convention_set_read_some(s, 1))
                ;
        cr_expect_eq(s->n_items, 2);
        cr_expect_eq(convention_set_index_problems(s), 3);
        cr_expect_null(convention_set_lookup(s, "CDCMC-2026", &problem));
        cr_assert_not_null(problem);
        cr_expect(strstr(problem, "zz-twin.json: error: id: convention id \"CDCMC-2026\" is already used by"), "%s",
                  problem);
        cr_expect_not_null(convention_set_find(s, "AUTRE-2026"));
        convention_set_free(s);
        /* The full reading (check-config) still refuses the directory. */
        cr_expect_eq(convention_set_load_dir(dir, &s, &d), -EINVAL);
        cr_expect_not_null(diag_find(&d, DIAG_ERROR, "id", "is already used by"));
        cr_expect_geq(d.n_errors, 3, "broken.json, cassee.json, zz-twin.json");
        diagnostics_clear(&d);
        scratch_remove(dir);
}
