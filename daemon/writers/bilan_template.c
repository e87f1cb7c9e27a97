/* bilan_template.c — the ready-to-fill workbook of one convention (see
 * bilan_template.h): the format-neutral model of its four sheets, built
 * here from the convention, and the text and in-memory ZIP helpers that
 * bilan_template_ods.c and bilan_template_xlsx.c share
 * (bilan_template_internal.h).
 *
 * The texts are French: the staff read them. Every text that comes from the
 * convention (id, title, labels, kinds) or the configuration (the seller) is
 * escaped by the writers, and the lists of the drop-downs live in cells of
 * the hidden Listes sheet, so that a label with a comma or a quote stays
 * one item. Fails with -ENOMEM, or -EIO when libzip fails otherwise. */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zip.h>

#include "base/identifiers.h"
#include "writers/bilan_template.h"
#include "writers/bilan_template_internal.h"

/* ---- text ---- */

int tpl_text_begin(TplText *t) {
        *t = (TplText) {};
        t->f = open_memstream(&t->buf, &t->size);
        return t->f ? 0 : -ENOMEM;
}

int tpl_text_finish(TplText *t, char **ret, size_t *ret_size) {
        bool failed = ferror(t->f);

        if (fclose(t->f) != 0)
                failed = true;
        t->f = NULL;
        if (failed) {
                free(t->buf);
                t->buf = NULL;
                return -ENOMEM;
        }
        *ret = t->buf;
        *ret_size = t->size;
        t->buf = NULL;
        return 0;
}

void tpl_text_done(TplText *t) {
        if (t->f)
                fclose(t->f);
        free(t->buf);
        *t = (TplText) {};
}

void tpl_put_escaped(FILE *f, const char *s) {
        tpl_put_escaped_n(f, s, strlen(s));
}

void tpl_put_escaped_n(FILE *f, const char *s, size_t n) {
        for (size_t i = 0; i < n;) {
                uint32_t cp;
                size_t len = utf8_decode(s + i, n - i, &cp);

                if (len == 0) { /* not UTF-8: the validators let none through */
                        i++;
                        continue;
                }
                switch (cp) {
                case '&':
                        fputs("&amp;", f);
                        break;
                case '<':
                        fputs("&lt;", f);
                        break;
                case '>':
                        fputs("&gt;", f);
                        break;
                case '"':
                        fputs("&quot;", f);
                        break;
                case '\'':
                        fputs("&apos;", f);
                        break;
                default:
                        /* XML 1.0 §2.2 cannot carry these, even escaped. */
                        if ((cp < 0x20 && cp != '\t' && cp != '\n') || cp == 0xFFFE || cp == 0xFFFF)
                                break;
                        fwrite(s + i, 1, len, f);
                }
                i += len;
        }
}

void tpl_put_decimal(FILE *f, double v) {
        long hundredths = (long) (v * 100 + 0.5);

        assert(v >= 0);
        fprintf(f, "%ld.%02ld", hundredths / 100, hundredths % 100);
}

void tpl_column_letters(uint32_t column, char ret[static 4]) {
        assert(column < 26 * 27);
        if (column < 26) {
                ret[0] = (char) ('A' + column);
                ret[1] = 0;
        } else {
                ret[0] = (char) ('A' + column / 26 - 1);
                ret[1] = (char) ('A' + column % 26);
                ret[2] = 0;
        }
}

/* ---- the ZIP, in memory ---- */

struct TplZip {
        zip_source_t *source; /* the buffer the archive is written into */
        zip_t *archive;
};

static int tpl_zip_error(zip_error_t *e) {
        int r = zip_error_code_zip(e) == ZIP_ER_MEMORY ? -ENOMEM : -EIO;

        zip_error_fini(e);
        return r;
}

TplZip *tpl_zip_free(TplZip *z) {
        if (!z)
                return NULL;
        if (z->archive)
                zip_discard(z->archive);
        if (z->source)
                zip_source_free(z->source);
        free(z);
        return NULL;
}

int tpl_zip_new(TplZip **ret) {
        TplZip *z;
        zip_error_t e;

        z = calloc(1, sizeof *z);
        if (!z)
                return -ENOMEM;
        zip_error_init(&e);
        z->source = zip_source_buffer_create(NULL, 0, 0, &e);
        if (!z->source) {
                free(z);
                return tpl_zip_error(&e);
        }
        /* Kept after zip_close(), which would free it: we read it back. */
        zip_source_keep(z->source);
        z->archive = zip_open_from_source(z->source, ZIP_TRUNCATE, &e);
        if (!z->archive) {
                tpl_zip_free(z);
                return tpl_zip_error(&e);
        }
        zip_error_fini(&e);
        *ret = z;
        return 0;
}

#define DOS_DATE_1980_01_01 ((1 << 5) | 1) /* year 0 (1980), month 1, day 1 */

int tpl_zip_add(TplZip *z, const char *name, char *data, size_t size, bool store) {
        zip_source_t *s;
        zip_int64_t i;

        s = zip_source_buffer(z->archive, data, size, /* freep= */ 1);
        if (!s) {
                free(data);
                return -ENOMEM;
        }
        i = zip_file_add(z->archive, name, s, ZIP_FL_ENC_UTF_8);
        if (i < 0) {
                zip_source_free(s);
                return -EIO;
        }
        /* A fixed time (zip_file_set_mtime() would depend on the time zone)
         * and fixed attributes: the same input gives the same bytes. */
        if (zip_file_set_dostime(z->archive, (zip_uint64_t) i, 0, DOS_DATE_1980_01_01, 0) < 0 ||
            zip_file_set_external_attributes(z->archive, (zip_uint64_t) i, 0, ZIP_OPSYS_UNIX,
                                             (zip_uint32_t) 0100644 << 16) < 0 ||
            zip_set_file_compression(z->archive, (zip_uint64_t) i, store ? ZIP_CM_STORE : ZIP_CM_DEFLATE,
                                     store ? 0 : 9) < 0)
                return -EIO;
        return 0;
}

int tpl_zip_finish(TplZip *z, char **ret, size_t *ret_size) {
        zip_stat_t st;
        char *buf = NULL;
        zip_int64_t n;

        if (zip_close(z->archive) < 0) {
                int r = zip_error_code_zip(zip_get_error(z->archive)) == ZIP_ER_MEMORY ? -ENOMEM : -EIO;
                tpl_zip_free(z);
                return r;
        }
        z->archive = NULL;
        zip_stat_init(&st);
        if (zip_source_stat(z->source, &st) < 0 || !(st.valid & ZIP_STAT_SIZE) || zip_source_open(z->source) < 0) {
                tpl_zip_free(z);
                return -EIO;
        }
        buf = malloc(st.size > 0 ? st.size : 1);
        if (!buf) {
                zip_source_close(z->source);
                tpl_zip_free(z);
                return -ENOMEM;
        }
        n = zip_source_read(z->source, buf, st.size);
        zip_source_close(z->source);
        tpl_zip_free(z);
        if (n < 0 || (zip_uint64_t) n != st.size) {
                free(buf);
                return -EIO;
        }
        *ret = buf;
        *ret_size = (size_t) st.size;
        return 0;
}

/* ---- the model ---- */

void tpl_workbook_done(TplWorkbook *w) {
        for (size_t i = 0; i < w->n_owned; i++)
                free(w->owned[i]);
        free(w->owned);
        for (size_t i = 0; i < TPL_SHEETS; i++)
                free(w->sheets[i].rows);
        *w = (TplWorkbook) {};
}

/* Keeps `s` (malloc'd, may be NULL: -ENOMEM) until tpl_workbook_done(). */
static const char *tpl_own(TplWorkbook *w, char *s) {
        char **a;

        if (!s)
                return NULL;
        a = reallocarray(w->owned, w->n_owned + 1, sizeof *a);
        if (!a) {
                free(s);
                return NULL;
        }
        w->owned = a;
        w->owned[w->n_owned++] = s;
        return s;
}

static const char *tpl_printf(TplWorkbook *w, const char *format, ...) _printf_(2, 3);
static const char *tpl_printf(TplWorkbook *w, const char *format, ...) {
        va_list ap;
        char *s;
        int r;

        va_start(ap, format);
        r = vasprintf(&s, format, ap);
        va_end(ap);
        return r < 0 ? NULL : tpl_own(w, s);
}

/* A builder keeps the sheet being filled and the first failure. */
typedef struct TplBuilder {
        TplWorkbook *w;
        TplSheet *sheet;
        uint32_t next_row;
        bool use_labels; /* in the Action lists; else the ids */
        int r;
} TplBuilder;

static TplRow *tpl_row(TplBuilder *b, double height_cm) {
        TplSheet *s = b->sheet;
        TplRow *rows;

        if (b->r < 0)
                return NULL;
        rows = reallocarray(s->rows, s->n_rows + 1, sizeof *rows);
        if (!rows) {
                b->r = -ENOMEM;
                return NULL;
        }
        s->rows = rows;
        rows[s->n_rows] = (TplRow) { .index = b->next_row++, .height_cm = height_cm };
        return &rows[s->n_rows++];
}

static void tpl_skip(TplBuilder *b, uint32_t n) {
        b->next_row += n;
}

static void tpl_cell(TplBuilder *b, TplRow *row, uint32_t column, TplStyle style, const char *text) {
        if (!row)
                return;
        if (!text) {
                b->r = -ENOMEM;
                return;
        }
        assert(row->n_cells < ELEMENTSOF(row->cells));
        row->cells[row->n_cells++] = (TplCell) { .column = column, .type = TPL_CELL_TEXT, .style = style,
                                                 .text = text };
}

static void tpl_date_cell(TplRow *row, uint32_t column, TplCellType type, Date d) {
        if (!row)
                return;
        assert(row->n_cells < ELEMENTSOF(row->cells));
        row->cells[row->n_cells++] = (TplCell) { .column = column, .type = type, .style = TPL_STYLE_DATE,
                                                 .date = d };
}

/* One line of text in column A. */
static void tpl_line(TplBuilder *b, TplStyle style, const char *text) {
        TplRow *row = tpl_row(b, 0);

        tpl_cell(b, row, 0, style, text);
}

static void tpl_begin_sheet(TplBuilder *b, size_t index, const char *name) {
        b->sheet = &b->w->sheets[index];
        b->sheet->name = name;
        b->next_row = 0;
}

static void tpl_column(TplSheet *s, double width_cm, TplStyle style) {
        assert(s->n_columns < TPL_COLUMNS_MAX);
        s->columns[s->n_columns++] = (TplColumn) { .width_cm = width_cm, .style = style };
}

/* The headers of the Réalisations sheet: the labels core/bilan_sheet.c
 * looks for (chorusd-bilan(5)). */
static const char *const realisation_headers[] = {
        "Action", "Référence", "Nom", "Type", "Date", "Participants", "Note",
};

enum {
        COLUMN_ACTION,
        COLUMN_REF,
        COLUMN_NAME,
        COLUMN_KIND,
        COLUMN_DATE,
        COLUMN_ATTENDEES,
        COLUMN_NOTE,
};

/* The base letter of a Latin-1 letter written C3 xx in UTF-8 (é → e,
 * Ç → c), or 0. */
static char latin1_base(unsigned char second) {
        static const char map[64] = "aaaaaaaceeeeiiiidnooooo/ouuuuyts" /* C3 80..9F */
                                    "aaaaaaaceeeeiiiidnooooo/ouuuuyty";  /* C3 A0..BF */

        return second >= 0x80 && second <= 0xBF ? map[second - 0x80] : 0;
}

/* `s` as the reader compares labels (chorusd-bilan(5)): lower case, Latin
 * accents dropped, no surrounding spaces, inner runs of spaces as one. */
static char *label_key(const char *s) {
        size_t n = strlen(s), k = 0;
        char *key = malloc(n + 1);
        bool space = false;

        if (!key)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];
                char base = c == 0xC3 && i + 1 < n ? latin1_base((unsigned char) s[i + 1]) : 0;

                if (c == ' ' || c == '\t') {
                        space = k > 0;
                        continue;
                }
                if (space)
                        key[k++] = ' ';
                space = false;
                if (base) {
                        key[k++] = base;
                        i++;
                } else
                        key[k++] = (char) (c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        }
        key[k] = 0;
        return key;
}

static int labels_equal(const char *a, const char *b) {
        _cleanup_(freep) char *ka = label_key(a), *kb = label_key(b);

        if (!ka || !kb)
                return -ENOMEM;
        return streq(ka, kb);
}

/* The Action drop-down shows the labels; when the reader could take one
 * for another action (two labels that compare equal, or a label equal to
 * another action's id), the ids, which are unique. */
static int labels_are_distinct(const Convention *c) {
        for (size_t i = 0; i < c->n_actions; i++)
                for (size_t j = 0; j < c->n_actions; j++) {
                        int r;

                        if (i == j)
                                continue;
                        r = labels_equal(c->actions[i].label, c->actions[j].id);
                        if (r == 0 && j > i)
                                r = labels_equal(c->actions[i].label, c->actions[j].label);
                        if (r != 0)
                                return r < 0 ? r : 0;
                }
        return 1;
}

static const char *action_item(const Convention *c, bool use_labels, size_t i) {
        return use_labels ? c->actions[i].label : c->actions[i].id;
}

/* Every kind of every action, each once, in the convention's order. */
static int collect_kinds(const Convention *c, const char ***ret, size_t *ret_n) {
        const char **kinds = NULL;
        size_t n = 0;

        for (size_t i = 0; i < c->n_actions; i++)
                for (size_t k = 0; k < c->actions[i].n_kinds; k++) {
                        const char *kind = c->actions[i].kinds[k];
                        bool seen = false;
                        const char **a;

                        for (size_t j = 0; j < n && !seen; j++)
                                seen = streq(kinds[j], kind);
                        if (seen)
                                continue;
                        a = reallocarray(kinds, n + 1, sizeof *a);
                        if (!a) {
                                free(kinds);
                                return -ENOMEM;
                        }
                        kinds = a;
                        kinds[n++] = kind;
                }
        *ret = kinds;
        *ret_n = n;
        return 0;
}

static const char *join_kinds(TplWorkbook *w, const ConventionAction *a) {
        TplText t;
        char *s;
        size_t size;

        if (tpl_text_begin(&t) < 0)
                return NULL;
        for (size_t k = 0; k < a->n_kinds; k++)
                fprintf(t.f, "%s%s", k > 0 ? ", " : "", a->kinds[k]);
        if (tpl_text_finish(&t, &s, &size) < 0)
                return NULL;
        return tpl_own(w, s);
}

static void build_guide_columns(TplBuilder *b) {
        TplRow *row = tpl_row(b, 0);

        for (size_t i = 0; i < ELEMENTSOF(realisation_headers); i++)
                tpl_cell(b, row, (uint32_t) i, TPL_STYLE_HEADER, realisation_headers[i]);
}

static void build_guide_examples(TplBuilder *b, const Convention *c) {
        for (size_t i = 0; i < c->n_actions; i++) {
                const ConventionAction *a = &c->actions[i];
                TplRow *row = tpl_row(b, 0);

                tpl_cell(b, row, COLUMN_ACTION, TPL_STYLE_WRAP, action_item(c, b->use_labels, i));
                tpl_cell(b, row, COLUMN_REF, TPL_STYLE_TEXT, "SIRET ou référence");
                tpl_cell(b, row, COLUMN_NAME, TPL_STYLE_WRAP, "Nom de l'entreprise ou de la réunion");
                if (a->n_kinds > 0)
                        tpl_cell(b, row, COLUMN_KIND, TPL_STYLE_WRAP, a->kinds[0]);
                tpl_date_cell(row, COLUMN_DATE, TPL_CELL_DATE, c->period_start);
                if (a->n_kinds > 1)
                        tpl_cell(b, row, COLUMN_NOTE, TPL_STYLE_WRAP,
                                 tpl_printf(b->w, "Types possibles : %s", join_kinds(b->w, a)));
                else if (a->n_kinds == 0)
                        tpl_cell(b, row, COLUMN_NOTE, TPL_STYLE_WRAP, "Pas de type pour cette action");
        }
}

static void build_guide(TplBuilder *b, const Convention *c, const char *period) {
        static const char *const columns_help[][2] = {
                { "Action", "obligatoire : choisissez l'action dans la liste." },
                { "Référence", "obligatoire : le SIRET de l'entreprise (14 chiffres), la date de la réunion, ou une "
                               "référence ;" },
                { "", "deux lignes d'une même action avec la même référence comptent pour une seule réalisation." },
                { "Nom", "le nom de l'entreprise ou le titre de la réunion (facultatif)." },
                { "Type", "choisissez dans la liste quand l'action a des types (voir les exemples ci-dessous)." },
                { "Date", "obligatoire : la date de la réalisation (JJ/MM/AAAA), dans la période de la convention." },
                { "Participants", "le nombre de participants d'une réunion (facultatif)." },
                { "Note", "une remarque libre (facultatif)." },
        };
        TplSheet *s = b->sheet;

        /* 27 cm: one landscape A4 page wide. */
        tpl_column(s, 6.0, TPL_STYLE_DEFAULT);
        tpl_column(s, 3.4, TPL_STYLE_DEFAULT);
        tpl_column(s, 4.2, TPL_STYLE_DEFAULT);
        tpl_column(s, 4.2, TPL_STYLE_DEFAULT);
        tpl_column(s, 2.3, TPL_STYLE_DEFAULT);
        tpl_column(s, 2.3, TPL_STYLE_DEFAULT);
        tpl_column(s, 4.6, TPL_STYLE_DEFAULT);

        tpl_line(b, TPL_STYLE_TITLE, tpl_printf(b->w, "Bilan de la convention %s : mode d'emploi", c->id));
        tpl_line(b, TPL_STYLE_DEFAULT, c->title);
        tpl_line(b, TPL_STYLE_DEFAULT, tpl_printf(b->w, "Période de la convention : %s.", period));
        tpl_skip(b, 1);

        tpl_line(b, TPL_STYLE_LABEL, "1. Feuille « Bilan »");
        tpl_line(b, TPL_STYLE_DEFAULT, "Vérifiez la convention et l'auteur ; vous pouvez écrire la partie qualitative "
                                       "dans la case à droite de « Partie qualitative ».");
        tpl_line(b, TPL_STYLE_DEFAULT, "La date du bilan est celle du jour où vous enregistrez (formule AUJOURDHUI) ; "
                                       "vous pouvez aussi écrire une date.");
        tpl_skip(b, 1);

        tpl_line(b, TPL_STYLE_LABEL, "2. Feuille « Réalisations » : une ligne par entreprise accompagnée ou par "
                                     "réunion, sous les titres");
        for (size_t i = 0; i < ELEMENTSOF(columns_help); i++) {
                TplRow *row = tpl_row(b, 0);

                if (!isempty(columns_help[i][0]))
                        tpl_cell(b, row, 0, TPL_STYLE_LABEL, columns_help[i][0]);
                tpl_cell(b, row, 1, TPL_STYLE_DEFAULT, columns_help[i][1]);
        }
        tpl_line(b, TPL_STYLE_DEFAULT, "Laissez les titres tels quels ; les lignes vides sont ignorées, les lignes "
                                       "masquées aussi (avec un avertissement).");
        tpl_skip(b, 1);

        tpl_line(b, TPL_STYLE_LABEL, "Exemples : une ligne par action de la convention (à écrire dans la feuille "
                                     "« Réalisations », pas ici)");
        build_guide_columns(b);
        build_guide_examples(b, c);
        tpl_skip(b, 1);

        tpl_line(b, TPL_STYLE_LABEL, "3. Déposer le bilan");
        tpl_line(b, TPL_STYLE_DEFAULT, "Enregistrez le classeur (au format .ods ou .xlsx, sans mot de passe), puis "
                                       "copiez-le dans le dossier « incoming » du partage.");
        tpl_line(b, TPL_STYLE_DEFAULT, "Aucun nom particulier n'est demandé. Le fichier est lu quelques secondes "
                                       "après la fin de la copie.");
        tpl_line(b, TPL_STYLE_DEFAULT, "Il passe ensuite dans « done » (facture déposée), ou dans « rejected » avec "
                                       "un fichier .error.txt qui dit quelle cellule corriger.");
        tpl_line(b, TPL_STYLE_DEFAULT, "Seules les feuilles « Bilan » et « Réalisations » sont lues ; celle-ci ne l'est "
                                       "pas.");
}

static void build_bilan(TplBuilder *b, const Convention *c, const TemplateInfo *info, const char *period) {
        TplSheet *s = b->sheet;
        TplRow *row;

        tpl_column(s, 5.0, TPL_STYLE_LABEL);
        tpl_column(s, 17.0, TPL_STYLE_WRAP);

        /* The labels core/bilan_sheet.c looks for, the values to their right. */
        row = tpl_row(b, 0);
        tpl_cell(b, row, 0, TPL_STYLE_LABEL, "Convention");
        tpl_cell(b, row, 1, TPL_STYLE_WRAP, c->id);
        row = tpl_row(b, 0);
        tpl_cell(b, row, 0, TPL_STYLE_LABEL, "Intitulé");
        tpl_cell(b, row, 1, TPL_STYLE_WRAP, c->title);
        row = tpl_row(b, 0);
        tpl_cell(b, row, 0, TPL_STYLE_LABEL, "Période");
        tpl_cell(b, row, 1, TPL_STYLE_WRAP, period);
        row = tpl_row(b, 0);
        tpl_cell(b, row, 0, TPL_STYLE_LABEL, "Date du bilan");
        tpl_date_cell(row, 1, TPL_CELL_TODAY, info->today);
        row = tpl_row(b, 0);
        tpl_cell(b, row, 0, TPL_STYLE_LABEL, "Auteur");
        if (!isempty(info->author))
                tpl_cell(b, row, 1, TPL_STYLE_WRAP, info->author);
        /* Nothing right below: the reader would take that cell for the
         * text when B is left empty. */
        row = tpl_row(b, 6.0);
        tpl_cell(b, row, 0, TPL_STYLE_LABEL, "Partie qualitative");
        if (row)
                row->cells[row->n_cells++] = (TplCell) { .column = 1, .type = TPL_CELL_EMPTY,
                                                         .style = TPL_STYLE_BOX };
        tpl_skip(b, 2);
        tpl_line(b, TPL_STYLE_NOTE, "Écrivez dans la colonne B. La partie qualitative est facultative ; pour aller à "
                                    "la ligne dans une case : Alt+Entrée (Excel), Ctrl+Entrée (LibreOffice).");
}

static void build_realisations(TplBuilder *b, const Convention *c, size_t n_kinds, const char *period) {
        TplSheet *s = b->sheet;
        uint32_t last = BILAN_TEMPLATE_ROWS;
        TplRow *row;

        tpl_column(s, 6.5, TPL_STYLE_WRAP);
        tpl_column(s, 3.6, TPL_STYLE_TEXT);
        tpl_column(s, 5.0, TPL_STYLE_WRAP);
        tpl_column(s, 4.2, TPL_STYLE_WRAP); /* top-aligned like the others */
        tpl_column(s, 2.5, TPL_STYLE_DATE);
        tpl_column(s, 2.4, TPL_STYLE_INTEGER);
        tpl_column(s, 6.0, TPL_STYLE_WRAP);
        s->freeze_first_row = true;
        s->formatted_rows_end = last + 1;

        row = tpl_row(b, 0);
        for (size_t i = 0; i < ELEMENTSOF(realisation_headers); i++)
                tpl_cell(b, row, (uint32_t) i, TPL_STYLE_HEADER, realisation_headers[i]);

        s->validations[s->n_validations++] = (TplValidation) {
                .name = "action", .type = TPL_VALID_LIST, .column = COLUMN_ACTION,
                .first_row = 1, .last_row = last, .list_column = 0, .list_size = (uint32_t) c->n_actions,
                .title = "Action inconnue",
                .message = "Choisissez une action de la convention dans la liste.",
        };
        if (n_kinds > 0)
                s->validations[s->n_validations++] = (TplValidation) {
                        .name = "type", .type = TPL_VALID_LIST, .column = COLUMN_KIND,
                        .first_row = 1, .last_row = last, .list_column = 1, .list_size = (uint32_t) n_kinds,
                        .title = "Type inconnu",
                        .message = "Choisissez un type dans la liste (les types de chaque action sont dans "
                                   "la feuille « Mode d'emploi »).",
                };
        s->validations[s->n_validations++] = (TplValidation) {
                .name = "date", .type = TPL_VALID_DATE, .column = COLUMN_DATE,
                .first_row = 1, .last_row = last, .min = c->period_start, .max = c->period_end,
                .title = "Date hors de la période",
                .message = tpl_printf(b->w, "Écrivez une date JJ/MM/AAAA de la période de la convention, %s.",
                                      period),
        };
        s->validations[s->n_validations++] = (TplValidation) {
                .name = "participants", .type = TPL_VALID_WHOLE, .column = COLUMN_ATTENDEES,
                .first_row = 1, .last_row = last,
                .title = "Nombre attendu",
                .message = "Écrivez un nombre entier de participants, ou laissez la case vide.",
        };
        if (!s->validations[s->n_validations - 2].message)
                b->r = -ENOMEM;
}

static void build_lists(TplBuilder *b, const Convention *c, const char **kinds, size_t n_kinds) {
        TplSheet *s = b->sheet;
        size_t n = c->n_actions > n_kinds ? c->n_actions : n_kinds;

        s->hidden = true;
        tpl_column(s, 8.0, TPL_STYLE_DEFAULT);
        tpl_column(s, 5.0, TPL_STYLE_DEFAULT);
        for (size_t i = 0; i < n; i++) {
                TplRow *row = tpl_row(b, 0);

                if (i < c->n_actions)
                        tpl_cell(b, row, 0, TPL_STYLE_DEFAULT, action_item(c, b->use_labels, i));
                if (i < n_kinds)
                        tpl_cell(b, row, 1, TPL_STYLE_DEFAULT, kinds[i]);
        }
}

/* Row heights for wrapped text, which neither Excel nor LibreOffice
 * compute when they open an .xlsx: about 5 characters per centimetre of
 * column, 0.45 cm per line. */
static size_t text_lines(const char *text, double width_cm) {
        size_t per_line = width_cm * 5 > 1 ? (size_t) (width_cm * 5) : 1;
        size_t lines = 0, chars = 0;

        for (const char *p = text;; p++) {
                if (*p == '\n' || *p == 0) {
                        lines += chars / per_line + 1;
                        chars = 0;
                        if (*p == 0)
                                break;
                } else if (((unsigned char) *p & 0xC0) != 0x80)
                        chars++;
        }
        return lines;
}

static void fit_heights(TplSheet *s) {
        for (size_t i = 0; i < s->n_rows; i++) {
                TplRow *row = &s->rows[i];
                size_t lines = 1;

                if (row->height_cm > 0)
                        continue;
                for (size_t j = 0; j < row->n_cells; j++) {
                        const TplCell *c = &row->cells[j];
                        size_t n;

                        if (c->type != TPL_CELL_TEXT || c->column >= s->n_columns ||
                            c->style != TPL_STYLE_WRAP)
                                continue;
                        n = text_lines(c->text, s->columns[c->column].width_cm);
                        if (n > lines)
                                lines = n;
                }
                if (lines > 1)
                        row->height_cm = 0.45 * (double) lines + 0.1;
        }
}

static int tpl_build(const Convention *c, const TemplateInfo *info, TplWorkbook *w) {
        _cleanup_(freep) const char **kinds = NULL;
        char start[32], end[32];
        TplBuilder b = { .w = w };
        const char *period;
        size_t n_kinds;
        int r;

        r = collect_kinds(c, &kinds, &n_kinds);
        if (r < 0)
                return r;
        r = labels_are_distinct(c);
        if (r < 0)
                return r;
        b.use_labels = r > 0;
        w->title = tpl_printf(w, "Bilan de la convention %s", c->id);
        w->creator = info->author;
        w->date = info->today;
        period = tpl_printf(w, "du %s au %s", date_format_french(c->period_start, start),
                            date_format_french(c->period_end, end));
        if (!w->title || !period)
                return -ENOMEM;

        tpl_begin_sheet(&b, 0, "Mode d'emploi");
        build_guide(&b, c, period);
        tpl_begin_sheet(&b, 1, "Bilan");
        build_bilan(&b, c, info, period);
        tpl_begin_sheet(&b, 2, "Réalisations");
        build_realisations(&b, c, n_kinds, period);
        tpl_begin_sheet(&b, 3, "Listes");
        build_lists(&b, c, kinds, n_kinds);
        for (size_t i = 0; b.r >= 0 && i < TPL_SHEETS; i++)
                fit_heights(&w->sheets[i]);
        return b.r;
}

const char *bilan_template_extension(WorkbookFormat format) {
        switch (format) {
        case WORKBOOK_ODS:
                return ".ods";
        case WORKBOOK_XLSX:
                return ".xlsx";
        default:
                return NULL;
        }
}

int bilan_template_write(const Convention *c, const TemplateInfo *info, WorkbookFormat format,
                         char **ret, size_t *ret_size) {
        TplWorkbook w = {};
        int r;

        assert(c);
        assert(info);
        assert(ret);
        assert(ret_size);

        if (format != WORKBOOK_ODS && format != WORKBOOK_XLSX)
                return -EINVAL;
        r = tpl_build(c, info, &w);
        if (r >= 0)
                r = format == WORKBOOK_ODS ? bilan_template_write_ods(&w, ret, ret_size)
                                           : bilan_template_write_xlsx(&w, ret, ret_size);
        tpl_workbook_done(&w);
        return r;
}
