/* bilan.c — a year-end activity report from the spool, parsed and checked
 * against its convention (see bilan.h and domain.md §3).
 *
 * Bilans are untrusted: the limits (size, UTF-8, nesting, entry count) are
 * checked before anything is interpreted, and cJSON never sees a document
 * nested deeper than BILAN_DEPTH_MAX. Every problem is reported at once with
 * the JSON path, in English for the administrator and in plain French for
 * the staff who wrote the bilan (it ends up in rejected/NAME.error.txt).
 * A repeated ref is a warning: it counts once. Pure: no I/O, no logging.
 * Failures: -EINVAL (diagnostics say why), -EFBIG, -ENOMEM. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/bilan.h"
#include "base/identifiers.h"
#include "base/jsoncheck.h"

#define BILAN_REF_MAX 256
#define BILAN_AUTHOR_MAX 256
#define BILAN_NAME_MAX 512
#define BILAN_NOTE_MAX 4096
#define BILAN_ATTENDEES_MAX 1000000

static const char *const bilan_keys[] = {
        "bilan", "convention", "issued_on", "author", "realisations", "qualitative", NULL,
};

static void entry_done(BilanEntry *e) {
        free(e->ref);
        free(e->kind);
        free(e->name);
        free(e->note);
}

Bilan *bilan_free(Bilan *b) {
        if (!b)
                return NULL;
        for (size_t i = 0; i < b->n_actions; i++) {
                for (size_t j = 0; j < b->actions[i].n_entries; j++)
                        entry_done(&b->actions[i].entries[j]);
                free(b->actions[i].entries);
        }
        free(b->actions);
        free(b->convention_id);
        free(b->author);
        free(b->qualitative);
        free(b->source_file);
        free(b->realisations_sheet);
        free(b);
        return NULL;
}

/* One bilan being checked: the run, its convention (NULL when unknown: the
 * rest is still checked, as far as it can be without one), the result. */
typedef struct BilanCheck {
        JsonCheck json;
        const Convention *convention;
        Bilan *bilan;
} BilanCheck;

/* "du 1er janvier 2026 au 31 décembre 2026" and "2026-01-01 to 2026-12-31". */
typedef struct PeriodText {
        char start[DATE_STRING_MAX], end[DATE_STRING_MAX];
        char start_fr[32], end_fr[32];
} PeriodText;

static void period_text(const Convention *c, PeriodText *t) {
        date_format(c->period_start, t->start);
        date_format(c->period_end, t->end);
        date_format_french(c->period_start, t->start_fr);
        date_format_french(c->period_end, t->end_fr);
}

/* ---- limits ---- */

static size_t count_entries(const cJSON *root) {
        const cJSON *realisations = cJSON_GetObjectItemCaseSensitive(root, "realisations");
        size_t n = 0;

        if (!cJSON_IsObject(realisations))
                return 0;
        for (const cJSON *a = realisations->child; a; a = a->next)
                if (cJSON_IsArray(a))
                        n += (size_t) cJSON_GetArraySize(a);
        return n;
}

/* ---- header ---- */

static void check_version(BilanCheck *bc, const cJSON *root) {
        int64_t v;

        if (!jsoncheck_integer(&bc->json, root, NULL, "bilan", true, 0, 1000000, &v))
                return;
        if (v != BILAN_FORMAT_VERSION)
                jsoncheck_error(&bc->json, "bilan",
                                "unsupported bilan format version %" PRId64 ": this chorusd reads version %d",
                                "version de format %" PRId64 " inconnue : écrivez \"bilan\": %d", v,
                                BILAN_FORMAT_VERSION);
        bc->bilan->version = (int) v;
}

static void report_unknown_convention(BilanCheck *bc, const char *id, const ConventionSet *set) {
        _cleanup_(freep) const char **ids = NULL;
        _cleanup_(freep) char *known = NULL;
        size_t size = convention_set_size(set), n = 0;

        ids = calloc(size + 1, sizeof(char *));
        if (!ids) {
                bc->json.error = -ENOMEM;
                return;
        }
        for (size_t i = 0; i < size; i++)
                if (convention_set_id(set, i))
                        ids[n++] = convention_set_id(set, i);
        known = jsoncheck_join(ids);
        if (!known) {
                bc->json.error = -ENOMEM;
                return;
        }
        jsoncheck_error(&bc->json, "convention", "unknown convention \"%s\" (known: %s%.0s)",
                        "convention « %s » inconnue (conventions connues : %.0s%s) ; vérifiez l'identifiant "
                        "de la convention",
                        id, n > 0 ? known : "none", n > 0 ? known : "aucune");
}

static void check_convention(BilanCheck *bc, const cJSON *root, const ConventionSet *set) {
        const char *id, *problem;

        if (!jsoncheck_identifier(&bc->json, root, NULL, "convention", true, &id))
                return;
        jsoncheck_copy(&bc->json, id, &bc->bilan->convention_id);
        bc->convention = convention_set_lookup(set, id, &problem);
        if (bc->convention)
                return;
        if (problem) /* read now that a bilan needs it (an indexed set) */
                jsoncheck_error(&bc->json, "convention",
                                "convention \"%s\" cannot be used: its file in conventions.d is invalid (%s); "
                                "the administrator must fix it (chorusctl check-config lists every problem)",
                                "la convention « %s » est inutilisable : son fichier dans conventions.d est "
                                "invalide (%s) ; l'administrateur doit le corriger (chorusctl check-config)",
                                id, problem);
        else {
                convention_set_read_all(set); /* "known:" lists them all */
                report_unknown_convention(bc, id, set);
        }
}

static void check_issued_on(BilanCheck *bc, const cJSON *root) {
        const Convention *c = bc->convention;
        Bilan *b = bc->bilan;
        char issued[DATE_STRING_MAX], issued_fr[32];
        PeriodText t;

        if (!jsoncheck_date(&bc->json, root, NULL, "issued_on", true, &b->issued_on) || !c)
                return;
        if (date_compare(b->issued_on, c->period_start) >= 0)
                return;
        period_text(c, &t);
        jsoncheck_error(&bc->json, "issued_on",
                        "%s%.0s is before the start of the convention period (%s%.0s)",
                        "la date du bilan (%.0s%s) précède le début de la convention (%.0s%s) : "
                        "indiquez la date à laquelle le bilan est rédigé",
                        date_format(b->issued_on, issued), date_format_french(b->issued_on, issued_fr),
                        t.start, t.start_fr);
}

/* ---- entries ---- */

static void check_ref(BilanCheck *bc, const cJSON *o, const char *path, BilanEntry *e) {
        const char *ref;

        if (!jsoncheck_text(&bc->json, o, path, "ref", true, BILAN_REF_MAX, &ref))
                return;
        if (utf8_line_forbidden(ref) != 0) {
                _cleanup_(freep) char *p = jsoncheck_path_key(path, "ref");
                if (!p) {
                        bc->json.error = -ENOMEM;
                        return;
                }
                jsoncheck_error(&bc->json, p, "must not contain control characters (tabs, line breaks)%s",
                                "ne doit contenir ni tabulation ni retour à la ligne%s", "");
                return;
        }
        jsoncheck_copy(&bc->json, ref, &e->ref);
}

static void check_entry_date(BilanCheck *bc, const cJSON *o, const char *path, BilanEntry *e) {
        const Convention *c = bc->convention;
        _cleanup_(freep) char *p = NULL;
        char date[DATE_STRING_MAX], date_fr[32];
        PeriodText t;

        if (!jsoncheck_date(&bc->json, o, path, "date", true, &e->date) || !c)
                return;
        if (date_compare(e->date, c->period_start) >= 0 && date_compare(e->date, c->period_end) <= 0)
                return;
        p = jsoncheck_path_key(path, "date");
        if (!p) {
                bc->json.error = -ENOMEM;
                return;
        }
        period_text(c, &t);
        jsoncheck_error(&bc->json, p,
                        "%s%.0s is outside the convention period %s%.0s to %s%.0s",
                        "la date %.0s%s est en dehors de la période de la convention (du %.0s%s au %.0s%s) : "
                        "indiquez une date dans cette période",
                        date_format(e->date, date), date_format_french(e->date, date_fr), t.start, t.start_fr,
                        t.end, t.end_fr);
}

static void check_kind(BilanCheck *bc, const cJSON *o, const char *path, const ConventionAction *a,
                       BilanEntry *e) {
        bool listed = a && a->kinds;
        _cleanup_(freep) char *p = NULL, *kinds = NULL;
        char shown[JSONCHECK_SHOWN_MAX];
        const char *kind = NULL;
        bool present;

        present = jsoncheck_line(&bc->json, o, path, "kind", /* required= */ false, BILAN_NAME_MAX, &kind);
        if (present && (!listed || convention_action_accepts_kind(a, kind))) {
                jsoncheck_copy(&bc->json, kind, &e->kind);
                return;
        }
        /* Case-sensitive, like every lookup here: cJSON_HasObjectItem()
         * would take an ignored "Kind" for a kind already reported. */
        if (!listed || (!present && cJSON_GetObjectItemCaseSensitive(o, "kind")))
                return; /* no kinds to choose from, or already reported */
        p = jsoncheck_path_key(path, "kind");
        kinds = jsoncheck_join((const char *const *) a->kinds);
        if (!p || !kinds) {
                bc->json.error = -ENOMEM;
                return;
        }
        if (!present)
                jsoncheck_error(&bc->json, p, "missing; action %s needs a kind, one of: %s",
                                "manquant : précisez le type de réalisation de l'action %s (\"kind\"), parmi : %s",
                                a->id, kinds);
        else
                jsoncheck_error(&bc->json, p, "unknown kind \"%s\" for action %s (expected one of: %s)",
                                "type « %s » inconnu pour l'action %s ; les types possibles sont : %s",
                                jsoncheck_shown(kind, shown), a->id, kinds);
}

static void check_entry(BilanCheck *bc, const cJSON *o, const char *path, const ConventionAction *a,
                        BilanEntry *e) {
        e->attendees = -1;
        if (!cJSON_IsObject(o)) {
                jsoncheck_type_error(&bc->json, path, o, "an object { \"ref\": …, \"date\": … }",
                                     "un objet { \"ref\": …, \"date\": … }");
                return;
        }
        /* Unknown keys are the author's own notes: kept in the file, ignored
         * here. Only duplicates are refused, since one of the two would be
         * silently lost. */
        jsoncheck_keys(&bc->json, o, path, /* allowed= */ NULL);
        check_ref(bc, o, path, e);
        check_entry_date(bc, o, path, e);
        check_kind(bc, o, path, a, e);
        jsoncheck_take_line(&bc->json, o, path, "name", false, BILAN_NAME_MAX, &e->name);
        jsoncheck_take_text(&bc->json, o, path, "note", false, BILAN_NOTE_MAX, &e->note);
        (void) jsoncheck_integer(&bc->json, o, path, "attendees", false, 0, BILAN_ATTENDEES_MAX, &e->attendees);
}

/* ---- repeated refs ---- */

static void warn_duplicate(BilanCheck *bc, const char *path, const BilanEntry *e, size_t index,
                           size_t first) {
        _cleanup_(freep) char *p = NULL, *first_path = NULL, *ref_path = NULL;

        p = jsoncheck_path_index(path, index);
        first_path = jsoncheck_path_index(path, first);
        ref_path = p ? jsoncheck_path_key(p, "ref") : NULL;
        if (!ref_path || !first_path) {
                bc->json.error = -ENOMEM;
                return;
        }
        jsoncheck_warning(&bc->json, ref_path, "ref \"%s\" already appears at %s: counted once",
                          "la référence « %s » figure déjà en %s : elle n'est comptée qu'une fois", e->ref,
                          first_path);
}

/* Marks the entries whose ref an earlier entry already has, warns about
 * each (naming both positions), and sets the quantity: distinct refs.
 * Sorting keeps this O(n log n) at 10 000 entries. */
static void count_distinct_refs(BilanCheck *bc, BilanAction *ba, const char *path) {
        _cleanup_(freep) JsonStringRef *refs = NULL;
        _cleanup_(freep) size_t *first_of = NULL;
        size_t n = 0;

        refs = calloc(ba->n_entries + 1, sizeof(JsonStringRef));
        first_of = calloc(ba->n_entries + 1, sizeof(size_t));
        if (!refs || !first_of) {
                bc->json.error = -ENOMEM;
                return;
        }
        for (size_t i = 0; i < ba->n_entries; i++)
                if (ba->entries[i].ref)
                        refs[n++] = (JsonStringRef) { .string = ba->entries[i].ref, .index = i };
        qsort(refs, n, sizeof(JsonStringRef), jsoncheck_string_ref_compare);
        ba->quantity = 0;
        for (size_t i = 0; i < n; i++) {
                if (i > 0 && streq(refs[i].string, refs[i - 1].string)) {
                        ba->entries[refs[i].index].duplicate = true;
                        first_of[refs[i].index] = first_of[refs[i - 1].index];
                } else {
                        first_of[refs[i].index] = refs[i].index;
                        ba->quantity++;
                }
        }
        /* Warnings in document order, which is how the author reads them. */
        for (size_t i = 0; i < ba->n_entries; i++)
                if (ba->entries[i].duplicate)
                        warn_duplicate(bc, path, &ba->entries[i], i, first_of[i]);
}

/* ---- realisations ---- */

static void report_unknown_action(BilanCheck *bc, const char *path, const char *id) {
        const Convention *c = bc->convention;
        _cleanup_(freep) const char **ids = NULL;
        _cleanup_(freep) char *known = NULL;
        char shown[JSONCHECK_SHOWN_MAX];

        ids = calloc(c->n_actions + 1, sizeof(char *));
        if (!ids) {
                bc->json.error = -ENOMEM;
                return;
        }
        for (size_t i = 0; i < c->n_actions; i++)
                ids[i] = c->actions[i].id;
        known = jsoncheck_join(ids);
        if (!known) {
                bc->json.error = -ENOMEM;
                return;
        }
        jsoncheck_error(&bc->json, path, "unknown action \"%s\" for convention %s (expected one of: %s)",
                        "l'action « %s » n'existe pas dans la convention %s ; les actions possibles sont : %s",
                        jsoncheck_shown(id, shown), c->id, known);
}

/* Checks one realisations member. Its entries are kept when it names an
 * action of the convention, seen for the first time; otherwise they are
 * only checked and dropped. */
static void check_action_list(BilanCheck *bc, const cJSON *list, const char *path, BilanAction *ba) {
        const ConventionAction *a = ba ? ba->action : NULL;
        BilanEntry *entries;
        size_t n = 0;

        if (!cJSON_IsArray(list)) {
                jsoncheck_type_error(&bc->json, path, list, "an array [ … ] of realisations",
                                     "une liste [ … ] de réalisations");
                return;
        }
        entries = calloc((size_t) cJSON_GetArraySize(list) + 1, sizeof(BilanEntry));
        if (!entries) {
                bc->json.error = -ENOMEM;
                return;
        }
        for (const cJSON *item = list->child; item; item = item->next, n++) {
                _cleanup_(freep) char *p = jsoncheck_path_index(path, n);
                if (!p) {
                        bc->json.error = -ENOMEM;
                        break;
                }
                check_entry(bc, item, p, a, &entries[n]);
        }
        if (!ba) {
                for (size_t i = 0; i < n; i++)
                        entry_done(&entries[i]);
                free(entries);
                return;
        }
        ba->entries = entries;
        ba->n_entries = n;
        count_distinct_refs(bc, ba, path);
}

/* The bilan action for `id`, unless it is unknown (reported) or was seen
 * already (a duplicate key, reported by jsoncheck_keys()). */
static BilanAction *bilan_action_for(BilanCheck *bc, const char *id, const char *path) {
        Bilan *b = bc->bilan;

        if (!bc->convention)
                return NULL;
        for (size_t i = 0; i < b->n_actions; i++)
                if (streq(b->actions[i].action->id, id))
                        return b->actions[i].entries ? NULL : &b->actions[i];
        report_unknown_action(bc, path, id);
        return NULL;
}

static int bilan_actions_new(Bilan *b, const Convention *c) {
        b->actions = calloc(c->n_actions + 1, sizeof(BilanAction));
        if (!b->actions)
                return -ENOMEM;
        b->n_actions = c->n_actions;
        for (size_t i = 0; i < c->n_actions; i++)
                b->actions[i].action = &c->actions[i];
        return 0;
}

static void check_realisations(BilanCheck *bc, const cJSON *root) {
        const cJSON *realisations;

        if (bc->convention && bilan_actions_new(bc->bilan, bc->convention) < 0) {
                bc->json.error = -ENOMEM;
                return;
        }
        if (!jsoncheck_object(&bc->json, root, NULL, "realisations", true, &realisations))
                return;
        jsoncheck_keys(&bc->json, realisations, "realisations", /* allowed= */ NULL);
        for (const cJSON *list = realisations->child; list; list = list->next) {
                _cleanup_(freep) char *p = jsoncheck_path_key("realisations", list->string);
                if (!p) {
                        bc->json.error = -ENOMEM;
                        return;
                }
                check_action_list(bc, list, p, bilan_action_for(bc, list->string, p));
        }
}

/* ---- the document ---- */

static void check_document(BilanCheck *bc, const cJSON *root, const ConventionSet *conventions) {
        jsoncheck_keys(&bc->json, root, NULL, bilan_keys);
        check_version(bc, root);
        check_convention(bc, root, conventions);
        check_issued_on(bc, root);
        jsoncheck_take_line(&bc->json, root, NULL, "author", true, BILAN_AUTHOR_MAX, &bc->bilan->author);
        check_realisations(bc, root);
        jsoncheck_take_text(&bc->json, root, NULL, "qualitative", false, BILAN_SIZE_MAX,
                            &bc->bilan->qualitative);
}

/* The shape and entry count of a document, before it is interpreted. */
static int check_tree_limits(JsonCheck *c, const cJSON *root) {
        size_t n;

        if (!cJSON_IsObject(root)) {
                jsoncheck_type_error(c, NULL, root, "a JSON object { … } at the top level",
                                     "un objet JSON { … } qui commence par une accolade");
                return jsoncheck_result(c);
        }
        n = count_entries(root);
        if (n > BILAN_ENTRIES_MAX) {
                jsoncheck_error(c, "realisations", "%zu realisation entries, more than the %d accepted",
                                "%zu réalisations, plus que les %d acceptées", n, BILAN_ENTRIES_MAX);
                return jsoncheck_result(c);
        }
        return 0;
}

/* The limits that come before any interpretation. */
static int check_limits(JsonCheck *c, const char *data, size_t size, cJSON **ret) {
        _cleanup_(cJSON_Deletep) cJSON *root = NULL;
        int r;

        if (size > BILAN_SIZE_MAX) {
                jsoncheck_error(c, NULL, "the file is %zu bytes, more than the %d accepted",
                                "le fichier fait %zu octets, plus que les %d acceptés", size, BILAN_SIZE_MAX);
                return c->error < 0 ? c->error : -EFBIG;
        }
        r = jsoncheck_parse(c, data, size, BILAN_DEPTH_MAX, &root);
        if (r < 0)
                return r;
        r = check_tree_limits(c, root);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(root);
        return 0;
}

/* Everything after the limits: the document checked into a Bilan. */
static int check_tree(BilanCheck *bc, const char *file, const cJSON *root, const ConventionSet *conventions,
                      Bilan **ret, const Convention **ret_convention) {
        _cleanup_(bilan_freep) Bilan *b = NULL;
        int r;

        b = calloc(1, sizeof(Bilan));
        if (!b)
                return -ENOMEM;
        if (file) {
                b->source_file = strdup(file);
                if (!b->source_file)
                        return -ENOMEM;
        }
        bc->bilan = b;
        check_document(bc, root, conventions);
        r = jsoncheck_result(&bc->json);
        if (r < 0)
                return r;
        if (ret_convention)
                *ret_convention = bc->convention;
        *ret = TAKE_PTR(b);
        return 0;
}

int bilan_parse(const char *file, const char *data, size_t size, const ConventionSet *conventions,
                Bilan **ret, const Convention **ret_convention, Diagnostics *diags) {
        _cleanup_(cJSON_Deletep) cJSON *root = NULL;
        BilanCheck bc = { .json = JSON_CHECK_INIT(file, diags) };
        int r;

        r = check_limits(&bc.json, data, size, &root);
        if (r < 0)
                return r;
        return check_tree(&bc, file, root, conventions, ret, ret_convention);
}

int bilan_check_tree(const char *file, const cJSON *root, const ConventionSet *conventions, Bilan **ret,
                     const Convention **ret_convention, Diagnostics *diags) {
        BilanCheck bc = { .json = JSON_CHECK_INIT(file, diags) };
        int r;

        r = check_tree_limits(&bc.json, root);
        if (r < 0)
                return r;
        return check_tree(&bc, file, root, conventions, ret, ret_convention);
}

char *bilan_peek_convention(const char *data, size_t size) {
        _cleanup_(cJSON_Deletep) cJSON *root = NULL;
        JsonCheck c = JSON_CHECK_INIT(NULL, /* diags= */ NULL);
        const cJSON *id;

        /* The same limits as bilan_parse(): the text is still untrusted. */
        if (!data || size > BILAN_SIZE_MAX || jsoncheck_parse(&c, data, size, BILAN_DEPTH_MAX, &root) < 0)
                return NULL;
        id = cJSON_GetObjectItemCaseSensitive(root, "convention");
        /* Only a valid identifier: callers put it in logs and file names. */
        if (!cJSON_IsString(id) || !identifier_is_valid(id->valuestring))
                return NULL;
        return strdup(id->valuestring);
}

/* ---- dates after today ---- */

int bilan_check_not_future(const Bilan *b, Date today, unsigned tolerance_days, Diagnostics *diags) {
        Date latest;
        bool refused = false;
        int r;

        if (date_add_days_checked(today, tolerance_days, &latest) < 0)
                return 0; /* past 9999-12-31: nothing can be later */
        if (date_compare(b->issued_on, latest) > 0) {
                r = diag_error2(diags, b->source_file, "issued_on",
                                "the bilan's date %s%.0s is after today (%s%.0s): only what has been done can be "
                                "invoiced",
                                "la date du bilan (%.0s%s) est postérieure à aujourd'hui (%.0s%s) : indiquez la "
                                "date à laquelle le bilan est rédigé, pas une date à venir",
                                date_format(b->issued_on, (char[DATE_STRING_MAX]) {}),
                                date_format_french(b->issued_on, (char[32]) {}),
                                date_format(today, (char[DATE_STRING_MAX]) {}),
                                date_format_french(today, (char[32]) {}));
                if (r < 0)
                        return -ENOMEM;
                refused = true;
        }
        for (size_t i = 0; i < b->n_actions; i++) {
                const BilanAction *ba = &b->actions[i];

                for (size_t j = 0; j < ba->n_entries; j++) {
                        _cleanup_(freep) char *list = NULL, *entry = NULL, *path = NULL;

                        if (date_compare(ba->entries[j].date, latest) <= 0)
                                continue;
                        list = jsoncheck_path_key("realisations", ba->action->id);
                        entry = list ? jsoncheck_path_index(list, j) : NULL;
                        path = entry ? jsoncheck_path_key(entry, "date") : NULL;
                        if (!path)
                                return -ENOMEM;
                        r = diag_error2(diags, b->source_file, path,
                                        "%s%.0s is after today (%s%.0s): only what has been done can be invoiced",
                                        "la date %.0s%s est postérieure à aujourd'hui (%.0s%s) : on ne facture "
                                        "que les réalisations déjà faites ; corrigez la date",
                                        date_format(ba->entries[j].date, (char[DATE_STRING_MAX]) {}),
                                        date_format_french(ba->entries[j].date, (char[32]) {}),
                                        date_format(today, (char[DATE_STRING_MAX]) {}),
                                        date_format_french(today, (char[32]) {}));
                        if (r >= 0 && diags && b->realisations_sheet)
                                r = diag_set_location(&diags->items[diags->n_items - 1], b->realisations_sheet,
                                                      NULL);
                        if (r < 0)
                                return -ENOMEM;
                        refused = true;
                }
        }
        return refused ? -EINVAL : 0;
}
