/* convention.c — conventions.d/ files to validated Convention structs (see
 * convention.h and domain.md §2).
 *
 * A convention is the signed contract, so nothing in it is guessed: unknown
 * keys, duplicate keys, amounts given as JSON numbers, a SIRET that fails
 * its check digit, a VAT category without the reason the invoice must
 * print… are all errors, each reported with the file, the JSON path and what
 * was expected, all of them in one run. Pure: the files are
 * read by convention_dir.c (service layer). Failures: -EINVAL with
 * diagnostics, or -ENOMEM. */
#include <stdlib.h>
#include <string.h>

#include "core/convention.h"
#include "base/identifiers.h"
#include "base/jsoncheck.h"
#include "base/money.h"

#define CONVENTION_DEPTH_MAX 32
#define CONVENTION_TEXT_MAX 1024   /* title, labels, names, exemption reason */
#define CONVENTION_FIELD_MAX 256   /* address lines, postcode, city */
#define CONVENTION_ARTICLE_MAX 32  /* "2", "2.3.1" */
#define CONVENTION_UNIT_MAX 128    /* "entreprise accompagnée" */
#define CONVENTION_TARGET_MAX 1000000 /* keeps amount × target inside int64 (money.h) */

#define DEFAULT_UNIT_ONE "réalisation"
#define DEFAULT_UNIT_OTHER "réalisations"

static const char *const vat_category_names[_VAT_CATEGORY_MAX] = {
        [VAT_CATEGORY_S] = "S",
        [VAT_CATEGORY_Z] = "Z",
        [VAT_CATEGORY_E] = "E",
        [VAT_CATEGORY_O] = "O",
};

DEFINE_STRING_TABLE_LOOKUP(vat_category, VatCategory, vat_category_names, _VAT_CATEGORY_MAX, _VAT_CATEGORY_INVALID);

void address_done(Address *a) {
        if (!a)
                return;
        free(a->line1);
        free(a->line2);
        free(a->postcode);
        free(a->city);
        free(a->country);
}

static void action_done(ConventionAction *a) {
        free(a->id);
        free(a->article);
        free(a->label);
        strv_free(a->kinds);
        free(a->unit_one);
        free(a->unit_other);
}

Convention *convention_free(Convention *c) {
        if (!c)
                return NULL;
        free(c->id);
        free(c->title);
        free(c->buyer.name);
        free(c->buyer.siret);
        free(c->buyer.service_code);
        free(c->buyer.engagement);
        address_done(&c->buyer.address);
        free(c->vat.exemption_reason);
        free(c->vat.exemption_code);
        for (size_t i = 0; i < c->n_actions; i++)
                action_done(&c->actions[i]);
        free(c->actions);
        free(c->source_file);
        free(c);
        return NULL;
}

/* ---- parsing ---- */

static const char *const convention_keys[] = {
        "id", "title", "signed_on", "period", "buyer", "cap", "vat", "format", "actions", NULL,
};
static const char *const period_keys[] = { "start", "end", NULL };
static const char *const buyer_keys[] = { "name", "siret", "service_code", "engagement", "address", NULL };
static const char *const address_keys[] = { "line1", "line2", "postcode", "city", "country", NULL };
static const char *const vat_keys[] = { "category", "rate", "exemption_reason", "exemption_code", NULL };
static const char *const action_keys[] = { "id", "article", "amount", "target", "label", "kinds", "unit", NULL };
static const char *const unit_keys[] = { "one", "other", "feminine", NULL };

/* A text member that must also pass `valid` (SIRET, country…). */
static void take_checked(JsonCheck *c, const cJSON *o, const char *path, const char *key,
                         bool required, bool (*valid)(const char *), const char *expected, char **dst) {
        _cleanup_(freep) char *p = NULL;
        char shown[JSONCHECK_SHOWN_MAX];
        const char *v;

        if (!jsoncheck_line(c, o, path, key, required, CONVENTION_TEXT_MAX, &v))
                return;
        if (valid(v)) {
                jsoncheck_copy(c, v, dst);
                return;
        }
        p = jsoncheck_path_key(path, key);
        if (!p) {
                c->error = -ENOMEM;
                return;
        }
        jsoncheck_error(c, p, "expected %s, got \"%s\"", "il faut %s, pas \"%s\"", expected, jsoncheck_shown(v, shown));
}

/* The member object at path.key, with its keys checked; NULL when absent or
 * wrong (reported). `ret_path` gets its path. */
static const cJSON *sub_object(JsonCheck *c, const cJSON *o, const char *path, const char *key,
                               bool required, const char *const *keys, char **ret_path) {
        const cJSON *m;

        if (!jsoncheck_object(c, o, path, key, required, &m))
                return NULL;
        *ret_path = jsoncheck_path_key(path, key);
        if (!*ret_path) {
                c->error = -ENOMEM;
                return NULL;
        }
        jsoncheck_keys(c, m, *ret_path, keys);
        return m;
}

static void parse_period(JsonCheck *c, const cJSON *root, Convention *conv) {
        _cleanup_(freep) char *path = NULL;
        const cJSON *o = sub_object(c, root, NULL, "period", true, period_keys, &path);
        bool has_start, has_end;

        if (!o)
                return;
        has_start = jsoncheck_date(c, o, path, "start", true, &conv->period_start);
        has_end = jsoncheck_date(c, o, path, "end", true, &conv->period_end);
        if (has_start && has_end && date_compare(conv->period_start, conv->period_end) > 0) {
                char start[DATE_STRING_MAX];
                jsoncheck_error(c, "period.end", "must not be before period.start (%s)",
                                "ne doit pas précéder period.start (%s)", date_format(conv->period_start, start));
        }
}

static void parse_address(JsonCheck *c, const cJSON *buyer, const char *buyer_path, Address *a) {
        _cleanup_(freep) char *path = NULL;
        const cJSON *o = sub_object(c, buyer, buyer_path, "address", true, address_keys, &path);

        if (!o)
                return;
        jsoncheck_take_line(c, o, path, "line1", true, CONVENTION_FIELD_MAX, &a->line1);
        jsoncheck_take_line(c, o, path, "line2", false, CONVENTION_FIELD_MAX, &a->line2);
        jsoncheck_take_line(c, o, path, "postcode", true, CONVENTION_FIELD_MAX, &a->postcode);
        jsoncheck_take_line(c, o, path, "city", true, CONVENTION_FIELD_MAX, &a->city);
        take_checked(c, o, path, "country", true, country_code_is_valid,
                     "an assigned ISO 3166-1 alpha-2 country code such as \"FR\"", &a->country);
}

static void parse_buyer(JsonCheck *c, const cJSON *root, ConventionBuyer *b) {
        _cleanup_(freep) char *path = NULL;
        const cJSON *o = sub_object(c, root, NULL, "buyer", true, buyer_keys, &path);

        if (!o)
                return;
        jsoncheck_take_line(c, o, path, "name", true, CONVENTION_TEXT_MAX, &b->name);
        take_checked(c, o, path, "siret", true, siret_is_valid,
                     "a SIRET: 14 digits passing the Luhn check", &b->siret);
        take_checked(c, o, path, "service_code", false, service_code_is_valid,
                     "a Chorus Pro service code: 1 to 100 letters, digits, '_', '-' or spaces",
                     &b->service_code);
        /* chorus-pro-api.md §3.7: this service, which every structure lists,
         * only takes invoices between public entities; ours would be
         * rejected after deposit, with a number already spent. */
        if (streq_ptr(b->service_code, CHORUS_SERVICE_PUBLIC_INVOICES))
                jsoncheck_error(c, "buyer.service_code",
                                "%s is reserved for invoices between public entities: Chorus Pro rejects "
                                "an invoice sent to it; give the buyer's own service code (chorusctl "
                                "structure SIRET lists them) or leave service_code out",
                                "le service %s est réservé aux factures entre entités publiques : Chorus Pro "
                                "rejette une facture qui lui est adressée ; indiquez le code service de "
                                "l'acheteur ou retirez service_code",
                                CHORUS_SERVICE_PUBLIC_INVOICES);
        take_checked(c, o, path, "engagement", false, engagement_is_valid,
                     "an engagement number of 1 to 50 printable characters", &b->engagement);
        parse_address(c, o, path, &b->address);
}

static void parse_vat(JsonCheck *c, const cJSON *root, ConventionVat *vat) {
        _cleanup_(freep) char *path = NULL;
        const cJSON *o = sub_object(c, root, NULL, "vat", true, vat_keys, &path);
        bool has_category, has_rate;
        char shown[JSONCHECK_SHOWN_MAX];
        const char *category = NULL;

        vat->category = _VAT_CATEGORY_INVALID;
        if (!o)
                return;
        if (jsoncheck_line(c, o, path, "category", true, CONVENTION_FIELD_MAX, &category)) {
                vat->category = vat_category_from_string(category);
                if (vat->category < 0)
                        jsoncheck_error(c, "vat.category", "expected one of S, Z, E, O (UNCL5305), got \"%s\"",
                                        "il faut S, Z, E ou O, pas \"%s\"", jsoncheck_shown(category, shown));
        }
        has_category = vat->category >= 0;
        has_rate = jsoncheck_rate(c, o, path, "rate", true, &vat->rate);
        jsoncheck_take_line(c, o, path, "exemption_reason", false, CONVENTION_TEXT_MAX,
                            &vat->exemption_reason);
        take_checked(c, o, path, "exemption_code", false, vatex_code_is_valid,
                     "a VATEX code (BT-121) such as VATEX-EU-132 or VATEX-EU-O", &vat->exemption_code);
        if (!has_category)
                return;

        /* EN 16931 BR-S-05, BR-Z-05, BR-E-05, BR-O-05 (rates), BR-E-10 and
         * BR-O-10 (a reason is required), BR-S-10 and BR-Z-10 (no reason). */
        if (has_rate && vat->category == VAT_CATEGORY_S && vat->rate == 0)
                jsoncheck_error(c, "vat.rate", "category %s needs a rate above 0",
                                "la catégorie %s demande un taux supérieur à 0", category);
        if (has_rate && vat->category != VAT_CATEGORY_S && vat->rate != 0)
                jsoncheck_error(c, "vat.rate", "category %s needs the rate \"0.00\"",
                                "la catégorie %s demande le taux \"0.00\"", category);
        if ((vat->category == VAT_CATEGORY_E || vat->category == VAT_CATEGORY_O) &&
            !cJSON_HasObjectItem(o, "exemption_reason"))
                jsoncheck_error(c, "vat.exemption_reason",
                                "missing; category %s needs the legal mention printed on the invoice, "
                                "e.g. \"TVA non applicable, art. 256 B du CGI\"",
                                "manquant : la catégorie %s demande la mention légale imprimée sur la facture",
                                category);
        if ((vat->category == VAT_CATEGORY_S || vat->category == VAT_CATEGORY_Z) &&
            cJSON_HasObjectItem(o, "exemption_reason"))
                jsoncheck_error(c, "vat.exemption_reason", "category %s must not have an exemption reason",
                                "la catégorie %s n'a pas de motif d'exonération", category);
        if ((vat->category == VAT_CATEGORY_S || vat->category == VAT_CATEGORY_Z) &&
            cJSON_HasObjectItem(o, "exemption_code"))
                jsoncheck_error(c, "vat.exemption_code", "category %s must not have an exemption code",
                                "la catégorie %s n'a pas de code d'exonération", category);
}

static void parse_format(JsonCheck *c, const cJSON *root, Convention *conv) {
        char shown[JSONCHECK_SHOWN_MAX];
        const char *format;

        conv->format = _INVOICE_FORMAT_INVALID;
        if (!jsoncheck_line(c, root, NULL, "format", false, CONVENTION_FIELD_MAX, &format))
                return;
        conv->format = invoice_format_from_string(format);
        if (conv->format < 0)
                jsoncheck_error(c, "format", "expected \"ubl\", \"cii\" or \"facturx\", got \"%s\"",
                                "il faut \"ubl\", \"cii\" ou \"facturx\", pas \"%s\"", jsoncheck_shown(format, shown));
}

/* The value of array element `i` as a string that must be an identifier. */
static const char *kind_at(JsonCheck *c, const cJSON *item, const char *kinds_path, size_t i) {
        _cleanup_(freep) char *p = jsoncheck_path_index(kinds_path, i);
        char shown[JSONCHECK_SHOWN_MAX];

        if (!p) {
                c->error = -ENOMEM;
                return NULL;
        }
        if (!cJSON_IsString(item)) {
                jsoncheck_type_error(c, p, item, "an identifier string", "un identifiant entre guillemets");
                return NULL;
        }
        if (!identifier_is_valid(item->valuestring)) {
                jsoncheck_error(c, p, "expected an identifier of 1 to 64 letters, digits, '.', '_' or '-', got \"%s\"",
                                "il faut un identifiant (lettres, chiffres, « . », « _ », « - »), pas \"%s\"",
                                jsoncheck_shown(item->valuestring, shown));
                return NULL;
        }
        return item->valuestring;
}

static void parse_kinds(JsonCheck *c, const cJSON *o, const char *action_path, ConventionAction *a) {
        _cleanup_(freep) char *path = NULL;
        const cJSON *kinds;
        size_t n, i = 0;

        if (!jsoncheck_array(c, o, action_path, "kinds", false, &kinds))
                return;
        path = jsoncheck_path_key(action_path, "kinds");
        if (!path) {
                c->error = -ENOMEM;
                return;
        }
        n = (size_t) cJSON_GetArraySize(kinds);
        if (n == 0) {
                jsoncheck_error(c, path, "must list at least one kind, or be left out%s",
                                "doit lister au moins un type, ou être omis%s", "");
                return;
        }
        a->kinds = calloc(n + 1, sizeof(char *));
        if (!a->kinds) {
                c->error = -ENOMEM;
                return;
        }
        for (const cJSON *item = kinds->child; item; item = item->next, i++) {
                const char *kind = kind_at(c, item, path, i);

                if (!kind)
                        continue;
                if (convention_action_accepts_kind(a, kind)) {
                        _cleanup_(freep) char *p = jsoncheck_path_index(path, i);
                        if (p)
                                jsoncheck_error(c, p, "kind \"%s\" is listed twice", "le type « %s » est en double",
                                                kind);
                        continue;
                }
                jsoncheck_copy(c, kind, &a->kinds[a->n_kinds]);
                if (a->kinds[a->n_kinds])
                        a->n_kinds++;
        }
}

static void parse_unit(JsonCheck *c, const cJSON *o, const char *action_path, ConventionAction *a) {
        _cleanup_(freep) char *path = NULL;
        const cJSON *u = sub_object(c, o, action_path, "unit", false, unit_keys, &path);

        /* "réalisation" is feminine; an explicit unit is masculine unless
         * it says otherwise. */
        a->unit_feminine = !u;
        if (!u) {
                jsoncheck_copy(c, DEFAULT_UNIT_ONE, &a->unit_one);
                jsoncheck_copy(c, DEFAULT_UNIT_OTHER, &a->unit_other);
                return;
        }
        jsoncheck_take_line(c, u, path, "one", true, CONVENTION_UNIT_MAX, &a->unit_one);
        jsoncheck_take_line(c, u, path, "other", true, CONVENTION_UNIT_MAX, &a->unit_other);
        (void) jsoncheck_bool(c, u, path, "feminine", false, &a->unit_feminine);
}

static void parse_action(JsonCheck *c, const cJSON *o, const char *path, ConventionAction *a) {
        const char *id;

        jsoncheck_keys(c, o, path, action_keys);
        if (jsoncheck_identifier(c, o, path, "id", true, &id))
                jsoncheck_copy(c, id, &a->id);
        jsoncheck_take_line(c, o, path, "article", true, CONVENTION_ARTICLE_MAX, &a->article);
        jsoncheck_take_line(c, o, path, "label", true, CONVENTION_TEXT_MAX, &a->label);
        (void) jsoncheck_money(c, o, path, "amount", true, &a->amount);
        (void) jsoncheck_integer(c, o, path, "target", true, 1, CONVENTION_TARGET_MAX, &a->target);
        parse_kinds(c, o, path, a);
        parse_unit(c, o, path, a);
}

/* Reports the second of two actions with the same id. */
static void check_action_id_unique(JsonCheck *c, const Convention *conv, size_t i) {
        for (size_t j = 0; j < i; j++)
                if (conv->actions[i].id && streq_ptr(conv->actions[j].id, conv->actions[i].id)) {
                        _cleanup_(freep) char *p = NULL;
                        if (asprintf(&p, "actions[%zu].id", i) < 0) {
                                c->error = -ENOMEM;
                                return;
                        }
                        jsoncheck_error(c, p, "action id \"%s\" is already used by actions[%zu]",
                                        "l'action « %s » est déjà définie en actions[%zu]", conv->actions[i].id, j);
                        return;
                }
}

static void parse_actions(JsonCheck *c, const cJSON *root, Convention *conv) {
        const cJSON *actions;
        size_t n, i = 0;

        if (!jsoncheck_array(c, root, NULL, "actions", true, &actions))
                return;
        n = (size_t) cJSON_GetArraySize(actions);
        if (n == 0) {
                jsoncheck_error(c, "actions", "must list at least one action%s",
                                "doit lister au moins une action%s", "");
                return;
        }
        conv->actions = calloc(n, sizeof(ConventionAction));
        if (!conv->actions) {
                c->error = -ENOMEM;
                return;
        }
        conv->n_actions = n;
        for (const cJSON *item = actions->child; item; item = item->next, i++) {
                _cleanup_(freep) char *path = jsoncheck_path_index("actions", i);

                if (!path) {
                        c->error = -ENOMEM;
                        return;
                }
                if (!cJSON_IsObject(item)) {
                        jsoncheck_type_error(c, path, item, "an object { … }", "un objet { … }");
                        continue;
                }
                parse_action(c, item, path, &conv->actions[i]);
                check_action_id_unique(c, conv, i);
        }
}

static void parse_root(JsonCheck *c, const cJSON *root, Convention *conv) {
        const char *id;

        jsoncheck_keys(c, root, NULL, convention_keys);
        if (jsoncheck_identifier(c, root, NULL, "id", true, &id))
                jsoncheck_copy(c, id, &conv->id);
        jsoncheck_take_line(c, root, NULL, "title", true, CONVENTION_TEXT_MAX, &conv->title);
        (void) jsoncheck_date(c, root, NULL, "signed_on", true, &conv->signed_on);
        parse_period(c, root, conv);
        parse_buyer(c, root, &conv->buyer);
        (void) jsoncheck_money(c, root, NULL, "cap", true, &conv->cap);
        parse_vat(c, root, &conv->vat);
        parse_format(c, root, conv);
        parse_actions(c, root, conv);
}

int convention_parse(const char *file, const char *json, size_t size, Convention **ret,
                     Diagnostics *diags) {
        _cleanup_(convention_freep) Convention *conv = NULL;
        _cleanup_(cJSON_Deletep) cJSON *root = NULL;
        JsonCheck c = JSON_CHECK_INIT(file, diags);
        int r;

        if (size > CONVENTION_FILE_MAX) {
                jsoncheck_error(&c, NULL, "the file is larger than %d bytes", "le fichier dépasse %d octets",
                                CONVENTION_FILE_MAX);
                return jsoncheck_result(&c);
        }
        r = jsoncheck_parse(&c, json, size, CONVENTION_DEPTH_MAX, &root);
        if (r < 0)
                return r;
        if (!cJSON_IsObject(root)) {
                jsoncheck_type_error(&c, NULL, root, "a JSON object { … } at the top level",
                                     "un objet JSON { … }");
                return jsoncheck_result(&c);
        }
        conv = calloc(1, sizeof(Convention));
        if (!conv)
                return -ENOMEM;
        if (file) {
                conv->source_file = strdup(file);
                if (!conv->source_file)
                        return -ENOMEM;
        }
        parse_root(&c, root, conv);
        r = jsoncheck_result(&c);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(conv);
        return 0;
}

/* ---- sets ---- */

ConventionSet *convention_set_free(ConventionSet *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_items; i++)
                convention_free(s->items[i]);
        free(s->items);
        if (s->index_free)
                s->index_free(s->index);
        free(s);
        return NULL;
}

static const Convention *set_find_read(const ConventionSet *s, const char *id) {
        for (size_t i = 0; i < s->n_items; i++)
                if (streq(s->items[i]->id, id))
                        return s->items[i];
        return NULL;
}

const Convention *convention_set_lookup(const ConventionSet *s, const char *id, const char **ret_problem) {
        const Convention *c;
        const char *problem = NULL;

        if (ret_problem)
                *ret_problem = NULL;
        if (!s || !id)
                return NULL;
        c = set_find_read(s, id);
        if (s->read_more) {
                problem = s->read_more(s->index, id, /* loaded= */ c != NULL);
                if (problem)
                        c = NULL; /* e.g. a second file with the same id */
                else if (!c)
                        c = set_find_read(s, id);
        }
        if (ret_problem)
                *ret_problem = problem;
        return c;
}

const Convention *convention_set_find(const ConventionSet *s, const char *id) {
        return convention_set_lookup(s, id, /* ret_problem= */ NULL);
}

void convention_set_read_all(const ConventionSet *s) {
        if (s && s->read_more)
                (void) s->read_more(s->index, /* id= */ NULL, /* loaded= */ false);
}

const char *convention_set_id(const ConventionSet *s, size_t i) {
        if (!s)
                return NULL;
        if (s->index)
                return s->index_id(s->index, i);
        return i < s->n_items ? s->items[i]->id : NULL;
}

size_t convention_set_size(const ConventionSet *s) {
        if (!s)
                return 0;
        return s->index ? s->n_files : s->n_items;
}

const ConventionAction *convention_find_action(const Convention *c, const char *action_id) {
        for (size_t i = 0; c && action_id && i < c->n_actions; i++)
                if (streq_ptr(c->actions[i].id, action_id))
                        return &c->actions[i];
        return NULL;
}

bool convention_action_accepts_kind(const ConventionAction *a, const char *kind) {
        if (!a->kinds)
                return true;
        for (size_t i = 0; i < a->n_kinds; i++)
                if (streq_ptr(a->kinds[i], kind))
                        return true;
        return false;
}

int convention_set_add(ConventionSet *s, Convention *conv, Diagnostics *diags) {
        const Convention *other = set_find_read(s, conv->id);
        Convention **items;

        if (other) {
                diag_error(diags, conv->source_file, "id", "convention id \"%s\" is already used by %s",
                           conv->id, other->source_file);
                convention_free(conv);
                return -EINVAL;
        }
        items = realloc(s->items, (s->n_items + 1) * sizeof(Convention *));
        if (!items) {
                convention_free(conv);
                return -ENOMEM;
        }
        s->items = items;
        s->items[s->n_items++] = conv;
        return 0;
}
