/* bilan_sheet.c — a spreadsheet bilan turned into the same Bilan as the
 * equivalent JSON (see bilan_sheet.h and chorusd-bilan(5)).
 *
 * The cells become the JSON document a bilan file would hold, and bilan.c
 * checks that document with its own rules (bilan_check_tree()): one set of
 * rules and messages for both kinds of file. While the document is built,
 * each JSON path it gets is recorded with the sheet and cell it came from;
 * bilan.c's diagnostics are then located by their path (the exact path,
 * else the longest recorded prefix, else the sheet). What only a sheet can
 * get wrong (a missing label or header, a cell that is not a date, a
 * formula error) is reported here, located directly, and bilan.c's report
 * at the same path ("missing") is dropped. Numbers never go through
 * floating point: a number cell's text is read as a decimal. Pure: no I/O,
 * no logging.
 *
 * This file reads the two sheets into the document and holds the entry
 * points. Its parts (bilan_sheet_internal.h): bilan_sheet_cells.c, one
 * cell's text to a value (trimmed text, SIRET digits, dates, counts);
 * bilan_sheet_locate.c, the reports located by sheet and cell, the origin
 * of each JSON path, and bilan.c's diagnostics located and put in the
 * order the author reads the workbook. */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/bilan_sheet.h"
#include "core/bilan_sheet_internal.h"
#include "base/identifiers.h"
#include "base/json-cleanup.h"
#include "base/jsoncheck.h"

enum {
        COL_ACTION,
        COL_REF,
        COL_NAME,
        COL_KIND,
        COL_DATE,
        COL_ATTENDEES,
        COL_NOTE,
        _COL_MAX,
};

static const char *const column_labels[_COL_MAX] = {
        [COL_ACTION] = "Action",   [COL_REF] = "Référence",         [COL_NAME] = "Nom",
        [COL_KIND] = "Type",       [COL_DATE] = "Date",             [COL_ATTENDEES] = "Participants",
        [COL_NOTE] = "Note",
};

static void sheet_read_done(SheetRead *r) {
        for (size_t i = 0; i < r->n_origins; i++)
                free(r->origins[i].path);
        free(r->origins);
        for (size_t i = 0; i < r->n_lists; i++)
                free(r->lists[i].key);
        free(r->lists);
        free(r->known_actions);
}

/* ---- sheet Bilan ---- */

typedef struct MainLabel {
        const char *label, *key;
        bool required, is_date, below;
        const char *hint_en, *hint_fr;
} MainLabel;

static const MainLabel main_labels[] = {
        { "Convention", "convention", true, false, false, "the convention's identifier",
          "indiquez l'identifiant de la convention" },
        { "Date du bilan", "issued_on", true, true, false, "the date of the bilan",
          "indiquez la date du bilan (JJ/MM/AAAA)" },
        { "Auteur", "author", true, false, false, "who wrote the bilan", "indiquez qui a rédigé le bilan" },
        { "Partie qualitative", "qualitative", false, false, true, NULL, NULL },
};

/* The first text cell that is `label`, or NULL. */
static const Cell *find_label(const Sheet *s, const char *label) {
        for (size_t i = 0; i < s->n_cells; i++)
                if (s->cells[i].type == CELL_TEXT && workbook_label_equal(s->cells[i].text, label))
                        return &s->cells[i];
        return NULL;
}

/* The label's value: the first non-blank cell to its right in the same
 * row; for `below` labels, when there is none, the cell just below. */
static const Cell *label_value(const Sheet *s, const Cell *label, bool below) {
        for (const Cell *c = label + 1; c < s->cells + s->n_cells && c->row == label->row; c++)
                if (!bilan_sheet_text_is_blank(c->text))
                        return c;
        return below ? bilan_sheet_field_cell(s, label->row + 1, label->column) : NULL;
}

static void read_main_label(SheetRead *r, const Sheet *s, const MainLabel *m, const ConventionSet *set,
                            cJSON *root) {
        const Cell *label = find_label(s, m->label), *value;
        char name[CELL_NAME_MAX], date[DATE_STRING_MAX];
        Origin *o;

        if (!label) {
                if (!m->required)
                        return;
                o = bilan_sheet_origin_add(r, m->key, r->main_name);
                if (o)
                        o->reported = true;
                bilan_sheet_error(r, r->main_name, NULL,
                                  "label \"%s\" not found: write it in a cell, and %s in the cell to its right%.0s",
                                  "l'étiquette « %s » est introuvable : écrivez « %.0s%s » dans une cellule, et la "
                                  "valeur dans la cellule à sa droite",
                                  m->label, m->hint_en, m->label);
                return;
        }
        value = label_value(s, label, m->below);
        if (!value) {
                o = bilan_sheet_origin_add_cell(r, m->key, r->main_name, label->row, label->column);
                if (o)
                        o->reported = m->required;
                if (m->required)
                        bilan_sheet_error(r, r->main_name, cell_name(label->row, label->column, name),
                                          "nothing to the right of \"%s\": write %s there%.0s",
                                          "rien à droite de « %s » : %.0s%s dans la cellule à sa droite", m->label,
                                          m->hint_en, m->hint_fr);
                return;
        }
        o = bilan_sheet_origin_add_cell(r, m->key, r->main_name, value->row, value->column);
        if (!o)
                return;
        if (bilan_sheet_cell_is_error(r, r->main_name, value)) {
                o->reported = true;
                return;
        }
        if (m->is_date) {
                if (!bilan_sheet_cell_date(r, r->main_name, value, date)) {
                        o->reported = true;
                        return;
                }
                if (!cJSON_AddStringToObject(root, m->key, date))
                        r->error = -ENOMEM;
                return;
        }
        bilan_sheet_add_text(r, root, m->key, value->text);
        if (streq(m->key, "convention")) {
                const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "convention");
                if (cJSON_IsString(id))
                        r->convention = convention_set_find(set, id->valuestring);
        }
}

static void read_main(SheetRead *r, const Workbook *w, const ConventionSet *set, cJSON *root) {
        const Sheet *s = workbook_find_sheet(w, BILAN_SHEET_MAIN);

        if (!bilan_sheet_origin_add(r, "bilan", r->main_name))
                return;
        if (!cJSON_AddNumberToObject(root, "bilan", BILAN_FORMAT_VERSION)) {
                r->error = -ENOMEM;
                return;
        }
        if (!s) {
                /* What it would have held is not reported again, missing. */
                for (size_t i = 0; i < ELEMENTSOF(main_labels); i++) {
                        Origin *o = bilan_sheet_origin_add(r, main_labels[i].key, r->main_name);
                        if (o)
                                o->reported = true;
                }
                bilan_sheet_error(r, NULL, NULL, "the workbook has no sheet \"%s\"%s",
                                  "le classeur n'a pas de feuille « %s » : ajoutez-la (partez du modèle de la "
                                  "convention)%s",
                                  BILAN_SHEET_MAIN, "");
                return;
        }
        r->main_name = s->name;
        for (size_t i = 0; i < ELEMENTSOF(main_labels); i++)
                read_main_label(r, s, &main_labels[i], set, root);
}

/* ---- sheet Réalisations ---- */

/* Whether the cells [begin, end) of one row make a header row: both
 * Action and Référence; sets the column of each known label. */
static bool header_at(const Cell *begin, const Cell *end, int64_t cols[static _COL_MAX]) {
        for (size_t k = 0; k < _COL_MAX; k++)
                cols[k] = -1;
        for (const Cell *c = begin; c < end; c++) {
                if (c->type != CELL_TEXT)
                        continue;
                for (size_t k = 0; k < _COL_MAX; k++)
                        if (cols[k] < 0 && workbook_label_equal(c->text, column_labels[k])) {
                                cols[k] = c->column;
                                break;
                        }
        }
        return cols[COL_ACTION] >= 0 && cols[COL_REF] >= 0;
}

/* The end of the row that starts at `c`. */
static const Cell *row_end(const Sheet *s, const Cell *c) {
        const Cell *e = c;

        while (e < s->cells + s->n_cells && e->row == c->row)
                e++;
        return e;
}

/* The header row, or NULL. */
static const Cell *find_header(const Sheet *s, int64_t cols[static _COL_MAX]) {
        for (const Cell *c = s->cells; c < s->cells + s->n_cells && c->row < BILAN_SHEET_HEADER_ROWS;
             c = row_end(s, c))
                if (header_at(c, row_end(s, c), cols))
                        return c;
        return NULL;
}

/* The convention's id for what the Action cell says: the id itself, or
 * its label, matched like labels; NULL when none. Without a known
 * convention, the text as it is (bilan.c then checks nothing about it). */
static const char *action_key(const SheetRead *r, const char *text) {
        const Convention *c = r->convention;

        if (!c)
                return text;
        for (size_t i = 0; i < c->n_actions; i++)
                if (streq(c->actions[i].id, text))
                        return c->actions[i].id;
        for (size_t i = 0; i < c->n_actions; i++)
                if (workbook_label_equal(c->actions[i].id, text) || workbook_label_equal(c->actions[i].label, text))
                        return c->actions[i].id;
        return NULL;
}

static const char *known_actions(SheetRead *r) {
        _cleanup_(freep) const char **ids = NULL;
        const Convention *c = r->convention;

        if (r->known_actions)
                return r->known_actions;
        ids = calloc(c->n_actions + 1, sizeof(char *));
        if (!ids) {
                r->error = -ENOMEM;
                return "";
        }
        for (size_t i = 0; i < c->n_actions; i++)
                ids[i] = c->actions[i].id;
        r->known_actions = jsoncheck_join(ids);
        if (!r->known_actions) {
                r->error = -ENOMEM;
                return "";
        }
        return r->known_actions;
}

/* The array of `key` in realisations, made on first use. */
static ActionList *action_list(SheetRead *r, cJSON *realisations, const char *key) {
        ActionList *l;

        for (size_t i = 0; i < r->n_lists; i++)
                if (streq(r->lists[i].key, key))
                        return &r->lists[i];
        l = reallocarray(r->lists, r->n_lists + 1, sizeof(ActionList));
        if (!l) {
                r->error = -ENOMEM;
                return NULL;
        }
        r->lists = l;
        l = &r->lists[r->n_lists];
        *l = (ActionList) { .key = strdup(key), .array = cJSON_AddArrayToObject(realisations, key) };
        if (!l->key || !l->array) {
                free(l->key);
                r->error = -ENOMEM;
                return NULL;
        }
        r->n_lists++;
        return l;
}

/* The kind as the convention spells it, when the cell matches one of the
 * action's kinds like a label; else the text. */
static const char *kind_of(const SheetRead *r, const char *action, const char *text) {
        const ConventionAction *a = r->convention ? convention_find_action(r->convention, action) : NULL;

        if (!a || !a->kinds || convention_action_accepts_kind(a, text))
                return text;
        for (char **k = a->kinds; *k; k++)
                if (workbook_label_equal(*k, text))
                        return *k;
        return text;
}

typedef struct Row {
        const Sheet *sheet;
        uint32_t row;
        const int64_t *cols;
        const Cell *cells[_COL_MAX];
        char *path; /* realisations.ACTION[k] */
        uint32_t action_column;
} Row;

/* Records `field` of the row at its column (or at the Action cell when
 * the sheet has no such column). */
static Origin *row_origin(SheetRead *r, const Row *w, const char *field, size_t col) {
        _cleanup_(freep) char *p = jsoncheck_path_key(w->path, field);

        if (!p) {
                r->error = -ENOMEM;
                return NULL;
        }
        return bilan_sheet_origin_add_cell(r, p, w->sheet->name, w->row,
                                           w->cols[col] >= 0 ? (uint32_t) w->cols[col] : w->action_column);
}

static void row_text(SheetRead *r, const Row *w, cJSON *o, const char *field, size_t col) {
        const Cell *c = w->cells[col];
        Origin *origin = row_origin(r, w, field, col);

        if (!origin || !c)
                return;
        if (bilan_sheet_cell_is_error(r, w->sheet->name, c)) {
                origin->reported = true;
                return;
        }
        bilan_sheet_add_text(r, o, field, c->text);
}

/* Type: the kind as the convention spells it. */
static void row_kind(SheetRead *r, const Row *w, cJSON *o, const char *action) {
        const Cell *c = w->cells[COL_KIND];
        Origin *origin = row_origin(r, w, "kind", COL_KIND);
        _cleanup_(freep) char *t = NULL;

        if (!origin || !c)
                return;
        if (bilan_sheet_cell_is_error(r, w->sheet->name, c)) {
                origin->reported = true;
                return;
        }
        t = bilan_sheet_trimmed(c->text);
        if (!t || !cJSON_AddStringToObject(o, "kind", kind_of(r, action, t)))
                r->error = -ENOMEM;
}

static void row_ref(SheetRead *r, const Row *w, cJSON *o) {
        const Cell *c = w->cells[COL_REF];
        Origin *origin = row_origin(r, w, "ref", COL_REF);
        _cleanup_(freep) char *ref = NULL;
        char name[CELL_NAME_MAX];

        if (!origin)
                return;
        if (!c) {
                origin->reported = true;
                bilan_sheet_error(r, w->sheet->name, cell_name(w->row, (uint32_t) w->cols[COL_REF], name),
                                  "the reference is empty%s",
                                  "la référence est vide : indiquez le SIRET de l'entreprise, la date de la "
                                  "réunion ou la référence de la réalisation%s",
                                  "");
                return;
        }
        if (bilan_sheet_cell_is_error(r, w->sheet->name, c)) {
                origin->reported = true;
                return;
        }
        ref = bilan_sheet_cell_ref(c);
        if (!ref || !cJSON_AddStringToObject(o, "ref", ref))
                r->error = -ENOMEM;
}

static void row_date(SheetRead *r, const Row *w, cJSON *o) {
        const Cell *c = w->cells[COL_DATE];
        Origin *origin = row_origin(r, w, "date", COL_DATE);
        char name[CELL_NAME_MAX], date[DATE_STRING_MAX];

        if (!origin)
                return;
        if (w->cols[COL_DATE] < 0) {
                origin->reported = true; /* the missing column is reported once */
                return;
        }
        if (!c) {
                origin->reported = true;
                bilan_sheet_error(r, w->sheet->name, cell_name(w->row, (uint32_t) w->cols[COL_DATE], name),
                                  "the date is empty%s",
                                  "la date est vide : indiquez la date de la réalisation (JJ/MM/AAAA)%s", "");
                return;
        }
        if (!bilan_sheet_cell_date(r, w->sheet->name, c, date)) {
                origin->reported = true;
                return;
        }
        if (!cJSON_AddStringToObject(o, "date", date))
                r->error = -ENOMEM;
}

static void row_attendees(SheetRead *r, const Row *w, cJSON *o) {
        const Cell *c = w->cells[COL_ATTENDEES];
        Origin *origin = row_origin(r, w, "attendees", COL_ATTENDEES);
        int64_t n;

        if (!origin || !c)
                return;
        if (!bilan_sheet_cell_count(r, w->sheet->name, c, &n)) {
                origin->reported = true;
                return;
        }
        /* ≤ 15 digits: exact as a double, and bilan.c checks the range. */
        if (!cJSON_AddNumberToObject(o, "attendees", (double) n))
                r->error = -ENOMEM;
}

/* The Action cell: the action's key, or NULL (reported). */
static const char *row_action(SheetRead *r, const Row *w, char **ret_text) {
        const Cell *c = w->cells[COL_ACTION];
        char name[CELL_NAME_MAX], shown[JSONCHECK_SHOWN_MAX];
        const char *key;

        cell_name(w->row, w->action_column, name);
        if (!c) {
                if (r->convention)
                        bilan_sheet_error(r, w->sheet->name, name, "the action is empty (expected one of: %s)",
                                          "l'action est vide : indiquez l'action de cette ligne, parmi : %s",
                                          known_actions(r));
                else
                        bilan_sheet_error(r, w->sheet->name, name, "the action is empty%s",
                                          "l'action est vide : indiquez l'action de cette ligne%s", "");
                return NULL;
        }
        if (bilan_sheet_cell_is_error(r, w->sheet->name, c))
                return NULL;
        *ret_text = bilan_sheet_trimmed(c->text);
        if (!*ret_text) {
                r->error = -ENOMEM;
                return NULL;
        }
        key = action_key(r, *ret_text);
        if (!key)
                bilan_sheet_error(r, w->sheet->name, name,
                                  "unknown action \"%s\" for convention %s (expected one of: %s)",
                                  "l'action « %s » n'existe pas dans la convention %s ; les actions possibles "
                                  "sont : %s (ou leurs intitulés)",
                                  jsoncheck_shown(*ret_text, shown), r->convention->id, known_actions(r));
        return key;
}

static void read_row(SheetRead *r, Row *w, cJSON *realisations) {
        _cleanup_(freep) char *text = NULL, *list_path = NULL;
        const char *key = row_action(r, w, &text);
        ActionList *l;
        cJSON *o;
        Origin *origin;

        if (!key)
                return;
        l = action_list(r, realisations, key);
        if (!l)
                return;
        list_path = jsoncheck_path_key("realisations", key);
        w->path = list_path ? jsoncheck_path_index(list_path, l->n) : NULL;
        if (!w->path) {
                r->error = -ENOMEM;
                return;
        }
        if (l->n == 0 && !bilan_sheet_origin_add_cell(r, list_path, w->sheet->name, w->row, w->action_column))
                return;
        origin = bilan_sheet_origin_add_cell(r, w->path, w->sheet->name, w->row, w->action_column);
        if (!origin)
                return;
        origin->is_row = true;
        o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(l->array, o)) {
                cJSON_Delete(o);
                r->error = -ENOMEM;
                return;
        }
        l->n++;
        row_ref(r, w, o);
        row_date(r, w, o);
        row_kind(r, w, o, key);
        row_text(r, w, o, "name", COL_NAME);
        row_text(r, w, o, "note", COL_NOTE);
        row_attendees(r, w, o);
}

static void read_realisations(SheetRead *r, const Workbook *w, cJSON *root) {
        const Sheet *s = workbook_find_sheet(w, BILAN_SHEET_REALISATIONS);
        int64_t cols[_COL_MAX];
        const Cell *header;
        cJSON *realisations;
        char name[CELL_NAME_MAX];
        Origin *o;

        o = bilan_sheet_origin_add(r, "realisations", s ? s->name : r->real_name);
        if (!o)
                return;
        if (!s) {
                o->reported = true;
                bilan_sheet_error(r, NULL, NULL, "the workbook has no sheet \"%s\"%s",
                                  "le classeur n'a pas de feuille « %s » : ajoutez-la, avec une ligne d'en-tête "
                                  "(Action, Référence, Date…) puis une ligne par réalisation%s",
                                  BILAN_SHEET_REALISATIONS, "");
                return;
        }
        r->real_name = s->name;
        header = find_header(s, cols);
        if (!header) {
                o->reported = true;
                bilan_sheet_error(r, s->name, NULL,
                                  "no header row (a row with Action and Référence) in the first %d rows",
                                  "la ligne d'en-tête est introuvable : il faut, dans les %d premières lignes, une "
                                  "ligne avec au moins les colonnes « Action » et « Référence »",
                                  BILAN_SHEET_HEADER_ROWS);
                return;
        }
        if (cols[COL_DATE] < 0)
                bilan_sheet_error(r, s->name, NULL, "the header row (row %" PRIu32 ") has no \"Date\" column",
                                  "la ligne d'en-tête (ligne %" PRIu32 ") n'a pas de colonne « Date » : ajoutez-la",
                                  header->row + 1);
        realisations = cJSON_AddObjectToObject(root, "realisations");
        if (!realisations) {
                r->error = -ENOMEM;
                return;
        }
        for (const Cell *c = row_end(s, header); c < s->cells + s->n_cells && r->error >= 0; c = row_end(s, c)) {
                Row row = { .sheet = s, .row = c->row, .cols = cols, .action_column = (uint32_t) cols[COL_ACTION] };
                bool empty = true;

                for (size_t k = 0; k < _COL_MAX; k++) {
                        row.cells[k] = bilan_sheet_field_cell(s, c->row, cols[k]);
                        empty = empty && !row.cells[k];
                }
                if (empty)
                        continue;
                if (sheet_row_is_hidden(s, c->row)) {
                        bilan_sheet_warning(r, s->name, cell_name(c->row, row.action_column, name),
                                            "row %" PRIu32 " is hidden: not read",
                                            "la ligne %" PRIu32 " est masquée : elle n'est pas lue (affichez-la si "
                                            "elle doit compter)",
                                            c->row + 1);
                        continue;
                }
                read_row(r, &row, realisations);
                free(row.path);
        }
}

/* ---- entry points ---- */

int bilan_sheet_parse(const char *file, const Workbook *w, const ConventionSet *conventions, Bilan **ret,
                      const Convention **ret_convention, Diagnostics *diags) {
        _cleanup_(diagnostics_clear) Diagnostics inner = DIAGNOSTICS_INIT;
        _cleanup_(cJSON_Deletep) cJSON *root = NULL;
        _cleanup_(bilan_freep) Bilan *b = NULL;
        const Convention *c = NULL;
        SheetRead r = {
                .file = file,
                .diags = diags,
                .main_name = BILAN_SHEET_MAIN,
                .real_name = BILAN_SHEET_REALISATIONS,
        };
        size_t first = diags ? diags->n_items : 0;
        int k;

        root = cJSON_CreateObject();
        if (!root)
                return -ENOMEM;
        /* .xlsm, or an ODS with Basic or Scripts: nothing in a workbook is
         * ever run, and the author should know that formulas computed by a
         * macro only count for the value saved in the file. */
        if (w->has_macros)
                bilan_sheet_warning(&r, NULL, NULL,
                                    "the workbook has macros: they are not run, only its cells are read%s",
                                    "le classeur contient des macros : les macros ne sont pas exécutées, seules les "
                                    "valeurs enregistrées dans les cellules sont lues%s",
                                    "");
        read_main(&r, w, conventions, root);
        if (r.error >= 0)
                read_realisations(&r, w, root);
        if (r.error < 0) {
                sheet_read_done(&r);
                return r.error;
        }
        bilan_sheet_origins_sort(&r);
        k = bilan_check_tree(file, root, conventions, &b, &c, diags ? &inner : NULL);
        if (k == -ENOMEM || (diags && (bilan_sheet_relocate_all(&r, &inner, diags) < 0 ||
                                       bilan_sheet_sort_by_place(&r, diags, first) < 0))) {
                sheet_read_done(&r);
                return -ENOMEM;
        }
        /* Later checks of the whole bilan (proration's "nothing to
         * invoice") point at the sheet of the realisations, not a path. */
        if (k >= 0 && r.n_errors == 0 && r.real_name) {
                b->realisations_sheet = strdup(r.real_name);
                if (!b->realisations_sheet)
                        k = -ENOMEM;
        }
        sheet_read_done(&r);
        if (k < 0)
                return k;
        if (r.n_errors > 0)
                return -EINVAL;
        if (ret_convention)
                *ret_convention = c;
        *ret = TAKE_PTR(b);
        return 0;
}

char *bilan_sheet_peek_convention(const Workbook *w) {
        const Sheet *s = workbook_find_sheet(w, BILAN_SHEET_MAIN);
        const Cell *label = s ? find_label(s, "Convention") : NULL;
        const Cell *value = label ? label_value(s, label, false) : NULL;
        char *id;

        if (!value || value->type == CELL_ERROR)
                return NULL;
        id = bilan_sheet_trimmed(value->text);
        /* Only a valid identifier: callers put it in logs and file names. */
        if (id && !identifier_is_valid(id)) {
                free(id);
                return NULL;
        }
        return id;
}
