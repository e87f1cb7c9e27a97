/* test_bilan.c — every rule of domain.md §3 on bilans: the examples of
 * config/examples/ give the documented outcome; each bad input (one change
 * to a valid bilan) is refused at the exact JSON path, in English and in
 * French; the limits (size, UTF-8, nesting, entries) hold at their exact
 * bounds; repeated refs count once and warn. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bilan.h"
#include "json_mutate.h"
#include "base/macro.h"
#include "service/convention_dir.h"

#define COMPLETE "config/examples/complete.json"

static ConventionSet *conventions;

/* The seed convention and the test-only ones, in one set. */
static void load_conventions(void) {
        ConventionSet *extra = NULL;
        Convention **items;

        cr_assert_eq(convention_set_load_dir("config/conventions.d", &conventions, NULL), 0);
        cr_assert_eq(convention_set_load_dir("tests/data/conventions", &extra, NULL), 0);
        items = realloc(conventions->items, (conventions->n_items + extra->n_items) * sizeof(Convention *));
        cr_assert_not_null(items);
        memcpy(items + conventions->n_items, extra->items, extra->n_items * sizeof(Convention *));
        conventions->items = items;
        conventions->n_items += extra->n_items;
        extra->n_items = 0;
        convention_set_free(extra);
}

static void free_conventions(void) {
        conventions = convention_set_free(conventions);
}

TestSuite(bilan, .init = load_conventions, .fini = free_conventions);

static Bilan *parse_ok(const char *file, const char *data, size_t size, Diagnostics *d) {
        const Convention *c = NULL;
        Bilan *b = NULL;
        int r = bilan_parse(file, data, size, conventions, &b, &c, d);

        if (r < 0)
                diag_dump(d);
        cr_assert_eq(r, 0, "%s: bilan_parse() = %d", file, r);
        cr_assert_not_null(b);
        cr_assert_not_null(c);
        cr_assert_str_eq(c->id, b->convention_id);
        return b;
}

static Bilan *parse_file_ok(const char *path, Diagnostics *d) {
        _cleanup_(freep) char *data = NULL;
        size_t size;

        data = test_read_file(path, &size);
        return parse_ok(path, data, size, d);
}

static void expect_quantities(const Bilan *b, const int64_t *q, size_t n) {
        cr_assert_eq(b->n_actions, n);
        for (size_t i = 0; i < n; i++)
                cr_expect_eq(b->actions[i].quantity, q[i], "%s: %s: quantity %lld, expected %lld", b->source_file,
                             b->actions[i].action->id, (long long) b->actions[i].quantity, (long long) q[i]);
}

Test(bilan, complete) {
        Diagnostics d = DIAGNOSTICS_INIT;
        _cleanup_(bilan_freep) Bilan *b = parse_file_ok(COMPLETE, &d);
        const BilanEntry *e;
        char buf[DATE_STRING_MAX];

        cr_expect_eq(d.n_items, 0);
        cr_expect_eq(b->version, 1);
        cr_expect_str_eq(b->convention_id, "CDCMC-2026");
        cr_expect_str_eq(date_format(b->issued_on, buf), "2026-12-10");
        cr_expect_str_eq(b->author, "Service économie, CMA 34");
        cr_expect_not_null(b->qualitative);
        cr_expect_str_eq(b->source_file, COMPLETE);
        expect_quantities(b, (const int64_t[]) { 1, 5, 2 }, 3);

        /* actions in the convention's order, whatever the file's order */
        cr_expect_str_eq(b->actions[0].action->id, "geometiers");
        cr_expect_str_eq(b->actions[1].action->id, "dev-durable");
        cr_expect_eq(b->actions[1].n_entries, 5);

        e = &b->actions[0].entries[0];
        cr_expect_str_eq(e->ref, "acces-2026");
        cr_expect_null(e->kind);
        cr_expect_null(e->name);
        cr_expect_eq(e->attendees, -1);
        cr_expect_str_eq(date_format(e->date, buf), "2026-01-20");

        e = &b->actions[1].entries[0];
        cr_expect_str_eq(e->kind, "label-repar-acteurs");
        cr_expect_str_eq(e->name, "Atelier Vélo du Caroux");
        cr_expect_not(e->duplicate);

        e = &b->actions[2].entries[0];
        cr_expect_eq(e->attendees, 17);
        cr_expect_str_eq(e->note, "co-animée avec la CCI");
        diagnostics_clear(&d);
}

/* The valid examples of config/examples/README.md. */
Test(bilan, valid_examples) {
        static const struct {
                const char *file;
                int64_t q[3];
                size_t n_warnings;
        } cases[] = {
                { "config/examples/complete.json", { 1, 5, 2 }, 0 },
                { "config/examples/partial.json", { 1, 4, 1 }, 0 },
                { "config/examples/over-target.json", { 0, 7, 2 }, 0 },
                { "config/examples/partial-without-animation.json", { 1, 3, 0 }, 0 },
                { "config/examples/with-duplicate-ref.json", { 1, 4, 2 }, 1 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                Diagnostics d = DIAGNOSTICS_INIT;
                Bilan *b = parse_file_ok(cases[i].file, &d);

                expect_quantities(b, cases[i].q, 3);
                cr_expect_eq(d.n_warnings, cases[i].n_warnings, "%s", cases[i].file);
                cr_expect_eq(d.n_errors, 0);
                bilan_free(b);
                diagnostics_clear(&d);
        }
}

/* The invalid examples: each refused with the error the README promises. */
Test(bilan, invalid_examples) {
        static const struct {
                const char *file;
                const char *path, *fragment;
        } cases[] = {
                { "config/examples/invalid-unknown-convention.json", "convention",
                  "unknown convention \"CDCMC-2025\" (known: CDCMC-2026, TEST-MINIMAL" },
                { "config/examples/invalid-unknown-action.json", "realisations.formation",
                  "unknown action \"formation\" for convention CDCMC-2026 (expected one of: geometiers, dev-durable, animation)" },
                { "config/examples/invalid-date-outside-period.json", "realisations[\"dev-durable\"][1].date",
                  "2027-01-08 is outside the convention period 2026-01-01 to 2026-12-31" },
                { "config/examples/invalid-date-outside-period.json", "realisations.geometiers[0].date",
                  "2025-12-31 is outside" },
                { "config/examples/invalid-bad-kind.json", "realisations[\"dev-durable\"][0].kind",
                  "unknown kind \"label-repar-acteur\" for action dev-durable (expected one of: label-eco-defis, "
                  "label-repar-acteurs, label-zero-dechet, visite-energie)" },
                { "config/examples/invalid-bad-kind.json", "realisations.animation[0].kind",
                  "missing; action animation needs a kind" },
                { "config/examples/invalid-unknown-key.json", "commentaire", "unknown key \"commentaire\"" },
                { "config/examples/invalid-not-json.json", NULL, "not valid JSON: syntax error at line 8" },
                { "config/examples/invalid-wrong-types.json", "bilan", "got the string \"1\"" },
                { "config/examples/invalid-wrong-types.json", "issued_on", "expected a date \"YYYY-MM-DD\", got a number" },
                { "config/examples/invalid-wrong-types.json", "author", "must not be empty" },
                { "config/examples/invalid-wrong-types.json", "realisations.geometiers", "expected an array [ … ] of realisations, got an object" },
                { "config/examples/invalid-wrong-types.json", "realisations[\"dev-durable\"][0].date",
                  "\"2026-02-30\" is not a day of the calendar" },
                { "config/examples/invalid-wrong-types.json", "realisations[\"dev-durable\"][1].ref",
                  "expected a string, got a number" },
                { "config/examples/invalid-wrong-types.json", "realisations.animation[0].attendees",
                  "got the string \"17\"" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(freep) char *data = NULL;
                Diagnostics d = DIAGNOSTICS_INIT;
                Bilan *b = NULL;
                size_t size;
                int r;

                data = test_read_file(cases[i].file, &size);
                r = bilan_parse(cases[i].file, data, size, conventions, &b, NULL, &d);
                cr_expect_eq(r, -EINVAL, "%s: %d", cases[i].file, r);
                cr_expect_null(b);
                if (!diag_find(&d, DIAG_ERROR, cases[i].path, cases[i].fragment)) {
                        diag_dump(&d);
                        cr_expect_fail("%s: no error at %s saying \"%s\"", cases[i].file, strempty(cases[i].path),
                                       cases[i].fragment);
                }
                diagnostics_clear(&d);
        }
}

/* ---- one change to a valid bilan ---- */

typedef struct BadCase {
        const char *label;
        JsonMutation m[2];
        const char *path;
        const char *fragment;    /* in the English message */
        const char *fragment_fr; /* in the French one */
} BadCase;

static const BadCase bad_cases[] = {
        /* header */
        { "version 2", { { "bilan", "2" } }, "bilan", "unsupported bilan format version 2", "écrivez \"bilan\": 1" },
        { "version as a string", { { "bilan", "\"1\"" } }, "bilan", "got the string \"1\"", "sans guillemets" },
        { "version missing", { { "bilan", NULL } }, "bilan", "missing; expected an integer", "manquant" },
        { "unknown convention", { { "convention", "\"CDCMC-2025\"" } }, "convention",
          "unknown convention \"CDCMC-2025\" (known: CDCMC-2026, TEST-MINIMAL, TEST-OVER-CAP, TEST-THIRDS, TEST-VAT-S)",
          "convention « CDCMC-2025 » inconnue" },
        { "convention not an identifier", { { "convention", "\"CDCMC 2026\"" } }, "convention",
          "expected an identifier", "identifiant" },
        { "convention missing", { { "convention", NULL } }, "convention", "missing", "manquant" },
        { "issued before the period", { { "issued_on", "\"2025-12-31\"" } }, "issued_on",
          "2025-12-31 is before the start of the convention period (2026-01-01)",
          "la date du bilan (31 décembre 2025) précède le début de la convention (1er janvier 2026)" },
        { "issued on a day that does not exist", { { "issued_on", "\"2026-02-29\"" } }, "issued_on",
          "not a day of the calendar", "n'existe pas dans le calendrier" },
        { "issued_on missing", { { "issued_on", NULL } }, "issued_on", "missing", "manquant" },
        { "author empty", { { "author", "\"\"" } }, "author", "must not be empty", "ne doit pas être vide" },
        { "author as a number", { { "author", "34" } }, "author", "expected a string, got a number",
          "il faut un texte entre guillemets, pas un nombre" },
        { "author missing", { { "author", NULL } }, "author", "missing", "manquant" },
        { "qualitative as an array", { { "qualitative", "[\"a\"]" } }, "qualitative", "got an array", "une liste" },
        { "unknown top-level key", { { "qualitatif", "\"x\"" } }, "qualitatif",
          "unknown key \"qualitatif\" (expected one of: bilan, convention, issued_on, author, realisations, qualitative)",
          "clé « qualitatif » inconnue" },
        /* realisations */
        { "realisations missing", { { "realisations", NULL } }, "realisations", "missing", "manquant" },
        { "realisations as an array", { { "realisations", "[]" } }, "realisations", "expected an object", "un objet" },
        { "unknown action", { { "realisations.formation", "[]" } }, "realisations.formation",
          "unknown action \"formation\"", "les actions possibles sont : geometiers, dev-durable, animation" },
        { "action list as an object", { { "realisations[\"dev-durable\"]", "{}" } }, "realisations[\"dev-durable\"]",
          "expected an array [ … ] of realisations, got an object", "une liste [ … ] de réalisations" },
        { "entry as a string", { { "realisations[\"dev-durable\"][2]", "\"Boulangerie\"" } },
          "realisations[\"dev-durable\"][2]", "expected an object", "un objet" },
        /* ref */
        { "ref missing", { { "realisations[\"dev-durable\"][2].ref", NULL } }, "realisations[\"dev-durable\"][2].ref",
          "missing", "manquant" },
        { "ref empty", { { "realisations.geometiers[0].ref", "\"\"" } }, "realisations.geometiers[0].ref",
          "must not be empty", "vide" },
        { "ref as a number", { { "realisations[\"dev-durable\"][0].ref", "41234567000019" } },
          "realisations[\"dev-durable\"][0].ref", "expected a string, got a number", "pas un nombre" },
        { "ref of 257 bytes",
          { { "realisations.geometiers[0].ref",
              "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
              "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
              "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"" } },
          "realisations.geometiers[0].ref", "too long: 257 bytes, at most 256", "trop long" },
        { "ref with a tab", { { "realisations.geometiers[0].ref", "\"acces\\t2026\"" } },
          "realisations.geometiers[0].ref", "must not contain control characters", "tabulation" },
        { "ref with a line break", { { "realisations.geometiers[0].ref", "\"acces\\n2026\"" } },
          "realisations.geometiers[0].ref", "control characters", "retour à la ligne" },
        /* date */
        { "date after the period", { { "realisations[\"dev-durable\"][2].date", "\"2027-01-03\"" } },
          "realisations[\"dev-durable\"][2].date", "2027-01-03 is outside the convention period 2026-01-01 to 2026-12-31",
          "la date 3 janvier 2027 est en dehors de la période de la convention (du 1er janvier 2026 au 31 décembre 2026)" },
        { "date before the period", { { "realisations.animation[1].date", "\"2025-12-31\"" } },
          "realisations.animation[1].date", "2025-12-31 is outside", "en dehors de la période" },
        { "date on a day that does not exist", { { "realisations.animation[1].date", "\"2026-02-29\"" } },
          "realisations.animation[1].date", "\"2026-02-29\" is not a day of the calendar",
          "la date « 2026-02-29 » n'existe pas dans le calendrier" },
        { "date in French order", { { "realisations.animation[1].date", "\"20/10/2026\"" } },
          "realisations.animation[1].date", "expected a date \"YYYY-MM-DD\", got \"20/10/2026\"", "AAAA-MM-JJ" },
        { "date with a time", { { "realisations.animation[1].date", "\"2026-10-20T18:00\"" } },
          "realisations.animation[1].date", "expected a date", "AAAA-MM-JJ" },
        { "date missing", { { "realisations.geometiers[0].date", NULL } }, "realisations.geometiers[0].date",
          "missing", "manquant" },
        /* kind */
        { "unknown kind", { { "realisations.animation[0].kind", "\"marches\"" } }, "realisations.animation[0].kind",
          "unknown kind \"marches\" for action animation (expected one of: transmission-reprise, strategie-numerique, "
          "marches-publics, energie-mobilite)",
          "type « marches » inconnu pour l'action animation ; les types possibles sont : transmission-reprise" },
        { "kind missing", { { "realisations[\"dev-durable\"][4].kind", NULL } }, "realisations[\"dev-durable\"][4].kind",
          "missing; action dev-durable needs a kind", "précisez le type de réalisation" },
        { "kind as a number", { { "realisations.animation[0].kind", "1" } }, "realisations.animation[0].kind",
          "expected a string, got a number", "pas un nombre" },
        { "kind of another action", { { "realisations.animation[0].kind", "\"visite-energie\"" } },
          "realisations.animation[0].kind", "unknown kind \"visite-energie\"", "inconnu" },
        /* Unknown keys inside an entry are ignored, and key lookups are
         * case-sensitive: "Kind" is not the kind the action needs. */
        { "kind written Kind", { { "realisations.animation[0].kind", NULL },
                                 { "realisations.animation[0].Kind", "\"transmission-reprise\"" } },
          "realisations.animation[0].kind", "missing; action animation needs a kind",
          "précisez le type de réalisation" },
        /* optional members */
        { "negative attendees", { { "realisations.animation[0].attendees", "-1" } },
          "realisations.animation[0].attendees", "expected an integer from 0 to 1000000, got -1", "nombre entier" },
        { "fractional attendees", { { "realisations.animation[0].attendees", "17.5" } },
          "realisations.animation[0].attendees", "got 17.5", "nombre entier" },
        { "attendees as a string", { { "realisations.animation[0].attendees", "\"17\"" } },
          "realisations.animation[0].attendees", "got the string \"17\"", "sans guillemets" },
        { "name as a number", { { "realisations[\"dev-durable\"][1].name", "12" } },
          "realisations[\"dev-durable\"][1].name", "expected a string", "texte" },
        { "note as true", { { "realisations.animation[0].note", "true" } }, "realisations.animation[0].note",
          "got a boolean", "true/false" },
        { "control character in a name", { { "realisations[\"dev-durable\"][1].name", "\"Boul\\u0001angerie\"" } },
          "realisations[\"dev-durable\"][1].name", "contains a control character", "caractère de contrôle" },
        /* U+FFFE and U+FFFF are not XML characters: an invoice carrying one
         * would not be well-formed XML (the "\\uffff" escape: raw_cases). */
        { "U+FFFF in the author", { { "author", "\"CMA 34 \\uffff\"" } }, "author",
          "contains U+FFFE or U+FFFF", "caractère invalide" },
        { "U+FFFE in a note", { { "realisations.animation[0].note", "\"note \xEF\xBF\xBE\"" } },
          "realisations.animation[0].note", "contains U+FFFE or U+FFFF", "caractère invalide" },
        { "U+FFFF in a ref", { { "realisations.geometiers[0].ref", "\"acces\\uFFFF\"" } },
          "realisations.geometiers[0].ref", "contains U+FFFE or U+FFFF", "caractère invalide" },
};

static void check_bad(const BadCase *t) {
        _cleanup_(freep) char *base = test_read_file(COMPLETE, NULL);
        _cleanup_(freep) char *json = json_mutate(base, t->m, ELEMENTSOF(t->m));
        Diagnostics d = DIAGNOSTICS_INIT;
        Bilan *b = NULL;
        const Diag *x;
        int r;

        if (!json) {
                cr_expect_fail("%s: the mutation does not apply", t->label);
                return;
        }
        r = bilan_parse("bad.json", json, strlen(json), conventions, &b, NULL, &d);
        cr_expect_eq(r, -EINVAL, "%s: bilan_parse() = %d", t->label, r);
        cr_expect_null(b);
        x = diag_find(&d, DIAG_ERROR, t->path, t->fragment);
        if (!x) {
                diag_dump(&d);
                cr_expect_fail("%s: no error at %s saying \"%s\"", t->label, t->path, t->fragment);
        } else
                cr_expect(x->message_fr && strstr(x->message_fr, t->fragment_fr),
                          "%s: French message \"%s\" lacks \"%s\"", t->label, strempty(x->message_fr),
                          t->fragment_fr);
        /* every bilan diagnostic speaks both languages */
        for (size_t i = 0; i < d.n_items; i++) {
                cr_expect_not_null(d.items[i].message_fr, "%s: %s", t->label, d.items[i].message);
                cr_expect_str_eq(d.items[i].file, "bad.json");
        }
        diagnostics_clear(&d);
}

Test(bilan, bad) {
        for (size_t i = 0; i < ELEMENTSOF(bad_cases); i++)
                check_bad(&bad_cases[i]);
}

/* Accepted variations of a valid bilan. */
Test(bilan, accepted_variations) {
        static const struct {
                const char *label;
                JsonMutation m[2];
                int64_t q[3];
        } cases[] = {
                { "unknown key inside an entry is ignored", { { "realisations.geometiers[0].siret", "\"x\"" } }, { 1, 5, 2 } },
                { "kind for an action without kinds", { { "realisations.geometiers[0].kind", "\"plateforme\"" } }, { 1, 5, 2 } },
                { "absent action counts 0", { { "realisations.animation", NULL } }, { 1, 5, 0 } },
                { "empty action list counts 0", { { "realisations.geometiers", "[]" } }, { 0, 5, 2 } },
                { "no qualitative part", { { "qualitative", NULL } }, { 1, 5, 2 } },
                { "issued after the period", { { "issued_on", "\"2027-01-15\"" } }, { 1, 5, 2 } },
                { "issued on the first day", { { "issued_on", "\"2026-01-01\"" } }, { 1, 5, 2 } },
                { "dates on the period's bounds",
                  { { "realisations.geometiers[0].date", "\"2026-01-01\"" },
                    { "realisations.animation[1].date", "\"2026-12-31\"" } },
                  { 1, 5, 2 } },
                { "zero attendees", { { "realisations.animation[0].attendees", "0" } }, { 1, 5, 2 } },
                { "ref of 256 bytes",
                  { { "realisations.geometiers[0].ref",
                      "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"" } },
                  { 1, 5, 2 } },
                { "multi-line note", { { "realisations.animation[0].note", "\"ligne 1\\nligne 2\"" } }, { 1, 5, 2 } },
                { "more than the target", { { "realisations.animation[2]", "{\"ref\": \"r3\", \"kind\": \"marches-publics\", \"date\": \"2026-11-05\"}" } },
                  { 1, 5, 3 } },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(freep) char *base = test_read_file(COMPLETE, NULL);
                _cleanup_(freep) char *json = json_mutate(base, cases[i].m, ELEMENTSOF(cases[i].m));
                Diagnostics d = DIAGNOSTICS_INIT;
                Bilan *b;

                cr_assert_not_null(json, "%s", cases[i].label);
                b = parse_ok(cases[i].label, json, strlen(json), &d);
                expect_quantities(b, cases[i].q, 3);
                cr_expect_eq(d.n_items, 0, "%s", cases[i].label);
                bilan_free(b);
                diagnostics_clear(&d);
        }
}

/* ---- repeated refs ---- */

Test(bilan, duplicate_refs) {
        static const JsonMutation m[] = {
                { "realisations[\"dev-durable\"][3].ref", "\"REF-A\"" },
                { "realisations[\"dev-durable\"][1].ref", "\"REF-A\"" },
        };
        static const JsonMutation m2[] = {
                { "realisations[\"dev-durable\"][4].ref", "\"REF-A\"" },
        };
        _cleanup_(freep) char *base = test_read_file(COMPLETE, NULL);
        _cleanup_(freep) char *json1 = json_mutate(base, m, ELEMENTSOF(m));
        _cleanup_(freep) char *json = json_mutate(json1, m2, ELEMENTSOF(m2));
        Diagnostics d = DIAGNOSTICS_INIT;
        _cleanup_(bilan_freep) Bilan *b = NULL;
        const Diag *x;

        cr_assert_not_null(json);
        b = parse_ok("dup.json", json, strlen(json), &d);
        /* entries 1, 3 and 4 share REF-A: 5 entries, 3 distinct refs */
        expect_quantities(b, (const int64_t[]) { 1, 3, 2 }, 3);
        cr_expect_not(b->actions[1].entries[1].duplicate);
        cr_expect(b->actions[1].entries[3].duplicate);
        cr_expect(b->actions[1].entries[4].duplicate);
        cr_expect_eq(d.n_errors, 0);
        cr_expect_eq(d.n_warnings, 2);
        x = diag_find(&d, DIAG_WARNING, "realisations[\"dev-durable\"][3].ref",
                      "ref \"REF-A\" already appears at realisations[\"dev-durable\"][1]: counted once");
        cr_assert_not_null(x);
        cr_expect(strstr(x->message_fr, "n'est comptée qu'une fois"));
        cr_expect_not_null(diag_find(&d, DIAG_WARNING, "realisations[\"dev-durable\"][4].ref",
                                     "already appears at realisations[\"dev-durable\"][1]"));
        /* warnings come in document order */
        cr_expect_str_eq(d.items[0].path, "realisations[\"dev-durable\"][3].ref");
        diagnostics_clear(&d);
}

Test(bilan, same_ref_in_two_actions_is_not_a_duplicate) {
        static const JsonMutation m[] = {
                { "realisations.animation[0].ref", "\"acces-2026\"" },
        };
        _cleanup_(freep) char *base = test_read_file(COMPLETE, NULL);
        _cleanup_(freep) char *json = json_mutate(base, m, ELEMENTSOF(m));
        Diagnostics d = DIAGNOSTICS_INIT;
        _cleanup_(bilan_freep) Bilan *b = parse_ok("x.json", json, strlen(json), &d);

        expect_quantities(b, (const int64_t[]) { 1, 5, 2 }, 3);
        cr_expect_eq(d.n_items, 0);
        diagnostics_clear(&d);
}

/* ---- raw text ---- */

typedef struct RawCase {
        const char *label;
        const char *find, *replace;
        const char *path;
        const char *fragment;
        const char *fragment_fr;
} RawCase;

static const RawCase raw_cases[] = {
        { "duplicate top-level key", "\"bilan\": 1,", "\"bilan\": 1, \"bilan\": 1,", "bilan",
          "duplicate key \"bilan\"", "apparaît deux fois" },
        { "duplicate action key", "\"geometiers\": [", "\"geometiers\": [], \"geometiers\": [", "realisations.geometiers",
          "duplicate key \"geometiers\"", "apparaît deux fois" },
        { "duplicate key in an entry", "\"ref\": \"acces-2026\"", "\"ref\": \"acces-2026\", \"ref\": \"acces-2027\"",
          "realisations.geometiers[0].ref", "duplicate key \"ref\"", "n'en gardez qu'une" },
        /* "Service économie": the "é" is at byte offset 96 of complete.json */
        { "Latin-1 é", "Service \xC3\xA9", "Service \xE9", NULL, "invalid byte 0xE9 at byte offset 96 (line 5, column 22)",
          "n'est pas enregistré en UTF-8" },
        { "overlong encoding", "Service \xC3\xA9", "Service \xC1\xA9", NULL, "invalid byte 0xC1 at byte offset 96",
          "UTF-8" },
        { "overlong three-byte", "Service \xC3\xA9", "Service \xE0\x83\xA9", NULL, "invalid byte 0xE0 at byte offset 96",
          "UTF-8" },
        { "surrogate", "Service \xC3\xA9", "Service \xED\xB0\x80", NULL, "invalid byte 0xED at byte offset 96", "UTF-8" },
        { "above U+10FFFF", "Service \xC3\xA9", "Service \xF4\x90\x80\x80", NULL, "invalid byte 0xF4 at byte offset 96",
          "UTF-8" },
        { "truncated sequence", "Service \xC3\xA9", "Service \xE2\x82", NULL, "invalid byte 0xE2 at byte offset 96",
          "UTF-8" },
        { "lone continuation byte", "Service \xC3\xA9", "Service \x80", NULL, "invalid byte 0x80 at byte offset 96",
          "UTF-8" },
        { "NUL escape", "co-animée avec la CCI", "co-animée\\u0000avec la CCI", NULL, "\\u0000 (the NUL character)",
          "caractère nul" },
        { "raw line break in a string", "co-animée avec", "co-animée\navec", NULL, "control character 0x0A",
          "retour à la ligne" },
        { "U+FFFF escaped", "co-animée avec", "co-animée \\uFFFF avec", "realisations.animation[0].note",
          "contains U+FFFE or U+FFFF", "caractère invalide" },
        { "not JSON", "\"bilan\": 1,", "\"bilan\": 1", NULL, "not valid JSON: syntax error at line 3",
          "n'est pas du JSON valide" },
        { "single quotes", "\"bilan\": 1,", "'bilan': 1,", NULL, "not valid JSON", "JSON valide" },
        { "trailing data", "\n}\n", "\n}\n{}\n", NULL, "not valid JSON", "JSON valide" },
        { "comment", "{\n", "{ // bilan 2026\n", NULL, "not valid JSON", "JSON valide" },
};

static void expect_refused(const char *label, const char *data, size_t size, int expected_r, const char *path,
                           const char *fragment, const char *fragment_fr) {
        Diagnostics d = DIAGNOSTICS_INIT;
        Bilan *b = NULL;
        const Diag *x;
        int r;

        r = bilan_parse("raw.json", data, size, conventions, &b, NULL, &d);
        cr_expect_eq(r, expected_r, "%s: bilan_parse() = %d", label, r);
        cr_expect_null(b);
        x = diag_find(&d, DIAG_ERROR, path, fragment);
        if (!x) {
                diag_dump(&d);
                cr_expect_fail("%s: no error at %s saying \"%s\"", label, strempty(path), fragment);
        } else if (fragment_fr)
                cr_expect(x->message_fr && strstr(x->message_fr, fragment_fr), "%s: French message lacks \"%s\"",
                          label, fragment_fr);
        diagnostics_clear(&d);
}

static void check_raw(const RawCase *t) {
        _cleanup_(freep) char *base = test_read_file(COMPLETE, NULL);
        _cleanup_(freep) char *json = test_replace_first(base, t->find, t->replace);

        expect_refused(t->label, json, strlen(json), -EINVAL, t->path, t->fragment, t->fragment_fr);
}

Test(bilan, raw) {
        for (size_t i = 0; i < ELEMENTSOF(raw_cases); i++)
                check_raw(&raw_cases[i]);
}

Test(bilan, byte_order_mark_accepted) {
        _cleanup_(freep) char *base = test_read_file(COMPLETE, NULL);
        _cleanup_(freep) char *json = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;

        cr_assert_geq(asprintf(&json, "\xEF\xBB\xBF%s", base), 0);
        bilan_free(parse_ok("bom.json", json, strlen(json), &d));
        diagnostics_clear(&d);
        /* byte offsets still count from the start of the file */
        expect_refused("BOM and Latin-1", "\xEF\xBB\xBF{\"a\xE9\": 1}", 10, -EINVAL, NULL,
                       "invalid byte 0xE9 at byte offset 6 (line 1, column 4)", NULL);
}

Test(bilan, first_raw_problem_is_reported) {
        /* one problem is reported: the first in the file, whatever its kind */
        expect_refused("control, then Latin-1", "{\"a\": \"x\ny\", \"b\": \"\xE9\"}", 22, -EINVAL, NULL,
                       "control character 0x0A inside a string at line 1, column 9", NULL);
        expect_refused("Latin-1, then control", "{\"b\": \"\xE9\", \"a\": \"x\ny\"}", 22, -EINVAL, NULL,
                       "invalid byte 0xE9 at byte offset 7", NULL);
        expect_refused("Latin-1 after a backslash", "{\"a\": \"\\\xE9\"}", 11, -EINVAL, NULL,
                       "invalid byte 0xE9 at byte offset 8", NULL);
}

/* The raw scan skips the text of a string 8 bytes at a time: what ends or
 * breaks a string is still seen at any offset in a long one. */
Test(bilan, raw_problems_at_any_offset_in_a_long_string) {
        for (unsigned k = 0; k < 40; k++) {
                char json[128], fragment[128];
                int n;

                /* {"a": "xx…x<control>yyy…"}: the control at byte 7 + k */
                n = snprintf(json, sizeof json, "{\"a\": \"%.*s\x01%s\"}", (int) k,
                             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "yyyyyyyyyyyyyyyyyyyy");
                snprintf(fragment, sizeof fragment, "control character 0x01 inside a string at line 1, column %u "
                         "(byte offset %u)", 8 + k, 7 + k);
                expect_refused("control", json, (size_t) n, -EINVAL, NULL, fragment, NULL);

                /* a quote ends the string: the control after it is outside */
                n = snprintf(json, sizeof json, "{\"a\": \"%.*s\"\x01, \"b\": \"yyyyyyyyyyyyyyyy\"}", (int) k,
                             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
                snprintf(fragment, sizeof fragment, "unexpected control character 0x01 at line 1, column %u", 9 + k);
                expect_refused("after the end", json, (size_t) n, -EINVAL, NULL, fragment, NULL);

                /* an escaped quote does not end it; é (2 bytes) is 1 column */
                n = snprintf(json, sizeof json, "{\"a\": \"\xC3\xA9%.*s\\\"zzzzzzzzzz\n\"}", (int) k,
                             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
                snprintf(fragment, sizeof fragment, "control character 0x0A inside a string at line 1, column %u",
                         8 + 1 + k + 2 + 10);
                expect_refused("escaped quote", json, (size_t) n, -EINVAL, NULL, fragment, NULL);

                /* \u0000 */
                n = snprintf(json, sizeof json, "{\"a\": \"%.*s\\u0000yyyyyyyyyyyyyyyy\"}", (int) k,
                             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
                snprintf(fragment, sizeof fragment, "(the NUL character) inside a string at line 1, column %u",
                         8 + k);
                expect_refused("NUL escape", json, (size_t) n, -EINVAL, NULL, fragment, NULL);
        }
}

Test(bilan, not_an_object_or_empty) {
        expect_refused("array", "[]", 2, -EINVAL, NULL, "expected a JSON object { … } at the top level, got an array",
                       "un objet JSON");
        expect_refused("string", "\"bilan\"", 7, -EINVAL, NULL, "got a string", NULL);
        expect_refused("empty", "", 0, -EINVAL, NULL, "the file is empty", "le fichier est vide");
        expect_refused("blank", " \n\t", 3, -EINVAL, NULL, "the file is empty", NULL);
        /* cJSON would skip these as spaces; a torn write leaves NUL bytes */
        expect_refused("NUL byte", "{\0}", 3, -EINVAL, NULL, "unexpected control character 0x00 at line 1, column 2",
                       "abîmé");
        expect_refused("form feed", "{\f}", 3, -EINVAL, NULL, "control character 0x0C", NULL);
}

/* ---- the limits, at their exact bounds ---- */

/* complete.json with an ignored member of `levels` nested arrays in the
 * first entry, which is already 4 levels deep (root, realisations, list,
 * entry). */
static char *nested_bilan(unsigned levels) {
        _cleanup_(freep) char *base = test_read_file(COMPLETE, NULL);
        _cleanup_(freep) char *open = calloc(levels + 1, 1), *close = calloc(levels + 1, 1);
        _cleanup_(freep) char *replace = NULL;

        cr_assert(open && close);
        memset(open, '[', levels);
        memset(close, ']', levels);
        cr_assert_geq(asprintf(&replace, "{\"extra\": %s%s, \"ref\": \"acces-2026\"", open, close), 0);
        return test_replace_first(base, "{\"ref\": \"acces-2026\"", replace);
}

Test(bilan, depth_limit) {
        _cleanup_(freep) char *ok = nested_bilan(BILAN_DEPTH_MAX - 4);
        _cleanup_(freep) char *deep = nested_bilan(BILAN_DEPTH_MAX - 3);
        _cleanup_(freep) char *very_deep = nested_bilan(100000);
        Diagnostics d = DIAGNOSTICS_INIT;

        bilan_free(parse_ok("depth-32.json", ok, strlen(ok), &d));
        diagnostics_clear(&d);
        expect_refused("depth 33", deep, strlen(deep), -EINVAL, NULL, "JSON nested deeper than 32 levels",
                       "plus de 32 niveaux");
        /* refused by the pre-scan before cJSON recurses 100 000 times */
        expect_refused("depth 100004", very_deep, strlen(very_deep), -EINVAL, NULL, "nested deeper than 32", NULL);
}

/* A bilan for TEST-THIRDS with `n` entries. */
/* A TEST-THIRDS bilan issued on `issued_on` with n entries dated `date`,
 * refs r0, r1… or all the same. */
static char *bilan_of(size_t n, const char *issued_on, const char *date, bool same_ref) {
        size_t size = 256 + n * 64;
        char *s = malloc(size), *p = s;

        cr_assert_not_null(s);
        p += sprintf(p, "{\"bilan\": 1, \"convention\": \"TEST-THIRDS\", \"issued_on\": \"%s\", "
                        "\"author\": \"t\", \"realisations\": {\"ateliers\": [", issued_on);
        for (size_t i = 0; i < n; i++)
                p += sprintf(p, "%s{\"ref\": \"r%zu\", \"date\": \"%s\"}", i ? "," : "", same_ref ? 0 : i, date);
        strcpy(p, "]}}");
        return s;
}

static char *bilan_with_entries(size_t n) {
        return bilan_of(n, "2026-12-01", "2026-06-01", /* same_ref= */ false);
}

Test(bilan, entries_limit) {
        _cleanup_(freep) char *ok = bilan_with_entries(BILAN_ENTRIES_MAX);
        _cleanup_(freep) char *over = bilan_with_entries(BILAN_ENTRIES_MAX + 1);
        Diagnostics d = DIAGNOSTICS_INIT;
        Bilan *b;

        b = parse_ok("10000.json", ok, strlen(ok), &d);
        cr_expect_eq(b->actions[0].quantity, BILAN_ENTRIES_MAX);
        cr_expect_eq(b->actions[0].n_entries, BILAN_ENTRIES_MAX);
        bilan_free(b);
        diagnostics_clear(&d);
        expect_refused("10001 entries", over, strlen(over), -EINVAL, "realisations",
                       "10001 realisation entries, more than the 10000 accepted", "10001 réalisations");
}

/* A 1 MiB bilan can hold a hundred thousand mistakes: the list stops at
 * 1000 of each severity (15 MB of rejected/NAME.error.txt otherwise, and
 * one journal line per warning), saying so; the verdict still counts all. */
Test(bilan, reports_are_bounded) {
        _cleanup_(freep) char *bad = bilan_of(1500, "2026-12-01", "2027-06-01", false);
        _cleanup_(freep) char *dup = bilan_of(1500, "2026-12-01", "2026-06-01", true);
        _cleanup_(freep) char *both = test_replace_first(dup, "]}}", "]}, \"qualitative\": 5}");
        Diagnostics d = DIAGNOSTICS_INIT;
        const Diag *last;
        Bilan *b = NULL;

        cr_expect_eq(bilan_parse("bad.json", bad, strlen(bad), conventions, &b, NULL, &d), -EINVAL);
        cr_expect_eq(d.n_errors, 1001);
        last = &d.items[d.n_items - 1];
        cr_expect_eq(last->severity, DIAG_ERROR);
        cr_expect(strstr(last->message, "more than 1000 errors: the others are not listed"), "%s", last->message);
        cr_expect(last->message_fr && strstr(last->message_fr, "plus de 1000 erreurs"));
        diagnostics_clear(&d);

        b = parse_ok("dup.json", dup, strlen(dup), &d);
        cr_expect_eq(b->actions[0].quantity, 1);
        cr_expect_eq(d.n_errors, 0, "warnings beyond the limit do not make it invalid");
        cr_expect_eq(d.n_warnings, 1001);
        cr_expect_not_null(diag_find(&d, DIAG_WARNING, NULL, "more than 1000 warnings"));
        bilan_free(b);
        diagnostics_clear(&d);

        /* an error found after a thousand warnings is still listed */
        cr_expect_eq(bilan_parse("both.json", both, strlen(both), conventions, &b, NULL, &d), -EINVAL);
        cr_expect_eq(d.n_errors, 1);
        cr_expect_not_null(diag_find(&d, DIAG_ERROR, "qualitative", "expected a string"));
        diagnostics_clear(&d);
}

/* complete.json padded with spaces to exactly `size` bytes. */
static char *padded_bilan(size_t size) {
        size_t n;
        char *base = test_read_file(COMPLETE, &n), *s;

        cr_assert_leq(n, size);
        s = realloc(base, size + 1);
        cr_assert_not_null(s);
        memset(s + n, ' ', size - n);
        s[size] = '\0';
        return s;
}

Test(bilan, size_limit) {
        _cleanup_(freep) char *ok = padded_bilan(BILAN_SIZE_MAX);
        _cleanup_(freep) char *big = padded_bilan(BILAN_SIZE_MAX + 1);
        Diagnostics d = DIAGNOSTICS_INIT;

        bilan_free(parse_ok("1MiB.json", ok, BILAN_SIZE_MAX, &d));
        diagnostics_clear(&d);
        expect_refused("1 MiB + 1", big, BILAN_SIZE_MAX + 1, -EFBIG, NULL,
                       "the file is 1048577 bytes, more than the 1048576 accepted", "plus que les 1048576 acceptés");
}

Test(bilan, several_errors_at_once) {
        static const JsonMutation m[] = {
                { "issued_on", "\"2025-06-01\"" },
                { "realisations[\"dev-durable\"][0].kind", "\"label\"" },
                { "realisations.animation[1].date", "\"2027-02-01\"" },
                { "realisations.geometiers[0].ref", "\"\"" },
                { "realisations.animation[0].attendees", "-3" },
                { "colour", "\"blue\"" },
        };
        _cleanup_(freep) char *base = test_read_file(COMPLETE, NULL);
        _cleanup_(freep) char *json = json_mutate(base, m, ELEMENTSOF(m));
        Diagnostics d = DIAGNOSTICS_INIT;
        Bilan *b = NULL;

        cr_assert_not_null(json);
        cr_expect_eq(bilan_parse("many.json", json, strlen(json), conventions, &b, NULL, &d), -EINVAL);
        expect_error_per_mutation(&d, m, ELEMENTSOF(m));
        diagnostics_clear(&d);
}

/* With an unknown convention, the rest is still checked. */
Test(bilan, unknown_convention_still_checks_the_rest) {
        static const JsonMutation m[] = {
                { "convention", "\"NOPE\"" },
                { "realisations.animation[1].date", "\"13/01/2026\"" },
        };
        _cleanup_(freep) char *base = test_read_file(COMPLETE, NULL);
        _cleanup_(freep) char *json = json_mutate(base, m, ELEMENTSOF(m));
        Diagnostics d = DIAGNOSTICS_INIT;
        Bilan *b = NULL;

        cr_expect_eq(bilan_parse("x.json", json, strlen(json), conventions, &b, NULL, &d), -EINVAL);
        cr_expect_eq(d.n_errors, 2);
        cr_expect_not_null(diag_find(&d, DIAG_ERROR, "convention", "unknown convention \"NOPE\""));
        cr_expect_not_null(diag_find(&d, DIAG_ERROR, "realisations.animation[1].date", "expected a date"));
        diagnostics_clear(&d);
}

Test(bilan, empty_convention_set) {
        ConventionSet empty = {};
        _cleanup_(freep) char *data = test_read_file(COMPLETE, NULL);
        Diagnostics d = DIAGNOSTICS_INIT;
        Bilan *b = NULL;

        cr_expect_eq(bilan_parse("x.json", data, strlen(data), &empty, &b, NULL, &d), -EINVAL);
        cr_expect_not_null(diag_find(&d, DIAG_ERROR, "convention", "(known: none)"));
        diagnostics_clear(&d);
}

Test(bilan, key_paths_are_quoted) {
        static const JsonMutation m[] = { { "realisations[\"a \\\"b\\\"\"]", "[]" } };
        _cleanup_(freep) char *base = test_read_file(COMPLETE, NULL);
        _cleanup_(freep) char *json = json_mutate(base, m, ELEMENTSOF(m));
        Diagnostics d = DIAGNOSTICS_INIT;
        Bilan *b = NULL;

        /* the key is: a "b" */
        cr_assert_not_null(json);
        cr_expect_eq(bilan_parse("x.json", json, strlen(json), conventions, &b, NULL, &d), -EINVAL);
        if (!diag_find(&d, DIAG_ERROR, "realisations[\"a \\\"b\\\"\"]", "unknown action \"a \"b\"\"")) {
                diag_dump(&d);
                cr_expect_fail("quoted key path");
        }
        diagnostics_clear(&d);
}

/* No message has a control character or more than `max` bytes. */
static void expect_printable_messages(const Diagnostics *d, const char *label, size_t max) {
        for (size_t k = 0; k < d->n_items; k++)
                for (int l = 0; l < 2; l++) {
                        const char *text = l ? d->items[k].message_fr : d->items[k].message;
                        const unsigned char *m = (const unsigned char *) strempty(text);

                        cr_expect_leq(strlen(text), max, "%s: %zu bytes", label, strlen(text));
                        for (; *m; m++)
                                cr_expect(*m >= 0x20 && *m != 0x7F && !(m[0] == 0xC2 && m[1] >= 0x80 && m[1] <= 0x9F),
                                          "%s: control character in: %s", label, text);
                }
}

/* Values and keys echoed in a message come from the file: a control
 * character (an escape sequence for the terminal that runs chorusctl
 * validate, for the error file, for the journal) is shown as '?', and a
 * huge value is cut. */
Test(bilan, messages_show_values_safely) {
        static const struct {
                const char *label, *find, *replace;
        } cases[] = {
                { "unknown key", "\"bilan\": 1,", "\"bilan\": 1, \"\\u001b[2J\": 1," },
                { "duplicate key", "\"bilan\": 1,", "\"bilan\": 1, \"\\u001b[2J\": 1, \"\\u001b[2J\": 2," },
                { "unknown action", "\"geometiers\": [", "\"\\u001b[2J\\u009b\": [], \"geometiers\": [" },
                { "identifier", "\"CDCMC-2026\"", "\"\\u001b[2J\\u009b31m\"" },
                { "date", "\"2026-12-10\"", "\"\\u001b[2J\"" },
                { "integer as a string", "\"attendees\": 17", "\"attendees\": \"\\u001b[2J\"" },
                { "kind", "\"label-repar-acteurs\"", "\"x\\u009b31m\\u007f\"" },
        };
        _cleanup_(freep) char *base = test_read_file(COMPLETE, NULL);
        _cleanup_(freep) char *huge_key = malloc(5000), *huge = NULL;
        Diagnostics d = DIAGNOSTICS_INIT;
        Bilan *b = NULL;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(freep) char *json = test_replace_first(base, cases[i].find, cases[i].replace);

                cr_expect_eq(bilan_parse("x.json", json, strlen(json), conventions, &b, NULL, &d), -EINVAL, "%s",
                             cases[i].label);
                cr_expect_gt(d.n_errors, 0u, "%s", cases[i].label);
                expect_printable_messages(&d, cases[i].label, 600);
                diagnostics_clear(&d);
        }

        cr_assert_not_null(huge_key);
        memset(huge_key, 'k', 4999);
        huge_key[4999] = '\0';
        cr_assert_geq(asprintf(&huge, "\"bilan\": 1, \"%s\": 1,", huge_key), 0);
        free(huge_key);
        huge_key = test_replace_first(base, "\"bilan\": 1,", huge);
        cr_expect_eq(bilan_parse("x.json", huge_key, strlen(huge_key), conventions, &b, NULL, &d), -EINVAL);
        cr_expect_eq(d.n_errors, 1);
        expect_printable_messages(&d, "huge unknown key", 600);
        diagnostics_clear(&d);
}

/* ---- bilan_peek_convention ---- */

Test(bilan, peek_convention) {
        _cleanup_(freep) char *data = test_read_file(COMPLETE, NULL);
        _cleanup_(freep) char *id = bilan_peek_convention(data, strlen(data));
        _cleanup_(freep) char *deep = nested_bilan(100);
        _cleanup_(freep) char *big = padded_bilan(BILAN_SIZE_MAX + 1);
        _cleanup_(freep) char *invalid = test_read_file("config/examples/invalid-wrong-types.json", NULL);
        _cleanup_(freep) char *unknown = test_read_file("config/examples/invalid-unknown-convention.json", NULL);
        _cleanup_(freep) char *other = NULL;

        cr_expect_str_eq(id, "CDCMC-2026");
        /* the rest need not be valid */
        other = bilan_peek_convention(invalid, strlen(invalid));
        cr_expect_str_eq(other, "CDCMC-2026");
        free(other);
        other = bilan_peek_convention(unknown, strlen(unknown));
        cr_expect_str_eq(other, "CDCMC-2025");
        /* bounded: no answer past the limits, nor for garbage */
        cr_expect_null(bilan_peek_convention(deep, strlen(deep)));
        cr_expect_null(bilan_peek_convention(big, BILAN_SIZE_MAX + 1));
        cr_expect_null(bilan_peek_convention("{\"convention\": \"a/../b\"}", 24));
        cr_expect_null(bilan_peek_convention("{\"convention\": 5}", 17));
        cr_expect_null(bilan_peek_convention("not json", 8));
        cr_expect_null(bilan_peek_convention(NULL, 0));
}

/* Every file of config/examples/ is in one of the tables above (and in its
 * README), so that no sample goes untested. */
Test(bilan, every_example_is_tested) {
        static const char *const tested[] = {
                "complete.json", "partial.json", "over-target.json", "partial-without-animation.json",
                "with-duplicate-ref.json", "invalid-unknown-convention.json", "invalid-unknown-action.json",
                "invalid-date-outside-period.json", "invalid-bad-kind.json", "invalid-unknown-key.json",
                "invalid-not-json.json", "invalid-wrong-types.json",
                "invalid-nothing-realised.json", /* test_proration.c */
        };
        _cleanup_(freep) char *readme = test_read_file("config/examples/README.md", NULL);
        size_t n = 0;
        struct dirent *de;
        DIR *d = opendir("config/examples");

        cr_assert_not_null(d);
        while ((de = readdir(d))) {
                bool found = false;

                if (!strstr(de->d_name, ".json"))
                        continue;
                n++;
                for (size_t i = 0; i < ELEMENTSOF(tested); i++)
                        found = found || streq(tested[i], de->d_name);
                cr_expect(found, "config/examples/%s is not tested", de->d_name);
                cr_expect(strstr(readme, de->d_name), "config/examples/%s is not in README.md", de->d_name);
        }
        closedir(d);
        cr_expect_eq(n, ELEMENTSOF(tested));
}

/* Review finding: "author" accepted TAB, LF, U+0085 and U+2028, which
 * ended up inside an invoice note. Every one-line text field of a bilan
 * (author, an entry's name, kind and ref) refuses controls, line and
 * paragraph separators and bidirectional controls, with the field named in
 * both languages and the code point shown. */
Test(bilan, review_one_line_fields_refuse_controls_separators_and_bidi) {
        static const struct {
                const char *path, *key, *value, *code;
        } cases[] = {
                { "author", "author", "\"CMA\\t34\"", "U+0009" },
                { "author", "author", "\"CMA\\n34\"", "U+000A" },
                { "author", "author", "\"CMA\\u008534\"", "U+0085" },
                { "author", "author", "\"CMA\\u202834\"", "U+2028" },
                { "author", "author", "\"CMA\\u202934\"", "U+2029" },
                { "author", "author", "\"CMA\\u202A34\"", "U+202A" },
                { "author", "author", "\"CMA\\u202E34\"", "U+202E" },
                { "author", "author", "\"CMA\\u206634\"", "U+2066" },
                { "author", "author", "\"CMA\\u206934\"", "U+2069" },
                { "realisations[\"dev-durable\"][1].name", "name", "\"Boulangerie\\u2028des Monts\"", "U+2028" },
                { "realisations[\"dev-durable\"][1].name", "name", "\"Boulangerie\\tdes Monts\"", "U+0009" },
                { "realisations[\"dev-durable\"][1].kind", "kind", "\"visite\\u202Eenergie\"", "U+202E" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(freep) char *base = test_read_file(COMPLETE, NULL);
                JsonMutation m[1] = { { cases[i].path, cases[i].value } };
                _cleanup_(freep) char *json = json_mutate(base, m, 1);
                _cleanup_(freep) char *field_fr = NULL;
                Diagnostics d = DIAGNOSTICS_INIT;
                Bilan *b = NULL;
                const Diag *x;

                cr_assert_not_null(json, "%s: the mutation does not apply", cases[i].path);
                cr_expect_eq(bilan_parse("bad.json", json, strlen(json), conventions, &b, NULL, &d), -EINVAL,
                             "%s = %s accepted", cases[i].path, cases[i].value);
                cr_expect_null(b);
                x = diag_find(&d, DIAG_ERROR, cases[i].path, cases[i].code);
                if (!x) {
                        diag_dump(&d);
                        cr_expect_fail("%s = %s: no error naming %s", cases[i].path, cases[i].value, cases[i].code);
                } else {
                        cr_assert_geq(asprintf(&field_fr, "« %s »", cases[i].key), 0);
                        cr_expect(x->message_fr && strstr(x->message_fr, field_fr) &&
                                          strstr(x->message_fr, "une seule ligne"),
                                  "%s: French message \"%s\"", cases[i].path, strempty(x->message_fr));
                }
                diagnostics_clear(&d);
        }
}

/* Review finding: a bilan dated in the future (issued on 30 December, run
 * on 7 December, a realisation on 29 December) was invoiced, with an issue
 * date before its delivery date. Dates after today + the clock tolerance
 * are refused, each at its JSON path, in French for the staff; a date
 * within the tolerance is accepted. */
Test(bilan, review_future_dates_refused_with_clock_tolerance) {
        JsonMutation m[2] = {
                { "issued_on", "\"2026-12-30\"" },
                { "realisations.geometiers[0].date", "\"2026-12-29\"" },
        };
        _cleanup_(freep) char *base = test_read_file(COMPLETE, NULL);
        _cleanup_(freep) char *json = json_mutate(base, m, ELEMENTSOF(m));
        const Date today = { 2026, 12, 7 };
        Diagnostics d = DIAGNOSTICS_INIT;
        _cleanup_(bilan_freep) Bilan *b = NULL;
        const Diag *x;

        cr_assert_not_null(json);
        b = parse_ok("future.json", json, strlen(json), &d); /* the rules of the bilan alone: fine */
        diagnostics_clear(&d);

        cr_expect_eq(bilan_check_not_future(b, today, 1, &d), -EINVAL);
        x = diag_find(&d, DIAG_ERROR, "issued_on", "after today");
        cr_expect(x && x->message_fr && strstr(x->message_fr, "30 décembre 2026") &&
                          strstr(x->message_fr, "7 décembre 2026"),
                  "issued_on: %s", x && x->message_fr ? x->message_fr : "no error");
        x = diag_find(&d, DIAG_ERROR, "realisations.geometiers[0].date", "after today");
        cr_expect(x && x->message_fr && strstr(x->message_fr, "29 décembre 2026"), "date: %s",
                  x && x->message_fr ? x->message_fr : "no error");
        cr_expect_eq(d.n_errors, 2u);
        diagnostics_clear(&d);

        /* within the tolerance: 23 days covers the 30th */
        cr_expect_eq(bilan_check_not_future(b, today, 23, &d), 0);
        cr_expect_eq(d.n_items, 0u);
        /* the day after today, with the default tolerance of one day: fine;
         * two days after: refused */
        cr_expect_eq(bilan_check_not_future(b, (Date) { 2026, 12, 29 }, 1, &d), 0);
        cr_expect_eq(bilan_check_not_future(b, (Date) { 2026, 12, 28 }, 1, &d), -EINVAL);
        diagnostics_clear(&d);
}
