/* error_report.c — the French error file of a rejected bilan (see
 * error_report.h). Pure: no I/O, no logging. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error_report.h"

/* "bilan.json" → "bilan-corrige.json", "bilan" → "bilan-corrige": a name
 * to suggest for the corrected file. */
static void suggest_new_name(FILE *f, const char *name) {
        const char *dot = strrchr(name, '.');

        if (!dot || dot == name)
                dot = name + strlen(name);
        fprintf(f, "%.*s-corrige%s", (int) (dot - name), name, dot);
}

static void print_where(FILE *f, const Diag *x) {
        if (x->sheet && x->cell)
                fprintf(f, "feuille %s, cellule %s : ", x->sheet, x->cell);
        else if (x->sheet)
                fprintf(f, "feuille %s : ", x->sheet);
        else if (x->path && x->line > 0)
                fprintf(f, "champ « %s » (ligne %u) : ", x->path, x->line);
        else if (x->path)
                fprintf(f, "champ « %s » : ", x->path);
        else if (x->line > 0)
                fprintf(f, "ligne %u : ", x->line);
}

static void print_items(FILE *f, const Diagnostics *d, DiagSeverity severity) {
        unsigned k = 0;

        for (size_t i = 0; i < d->n_items; i++) {
                const Diag *x = &d->items[i];
                if (x->severity != severity)
                        continue;
                fprintf(f, "  %u. ", ++k);
                print_where(f, x);
                fprintf(f, "%s\n", x->message_fr ? x->message_fr : x->message);
        }
}

static void print_header(FILE *f, const char *bilan_name, const char *spool_name,
                         const char *job_id, size_t n_errors) {
        fprintf(f, "BILAN REFUSÉ : « %s »\n\n", bilan_name);
        fprintf(f, "Le fichier « %s », déposé dans le dossier incoming/, n'a pas été facturé.\n",
                bilan_name);
        if (n_errors == 1)
                fprintf(f, "Il contient une erreur à corriger.\n");
        else if (n_errors > 1)
                fprintf(f, "Il contient %zu erreurs à corriger.\n", n_errors);
        fprintf(f, "Aucune facture n'a été émise et aucun numéro de facture n'a été attribué.\n\n");
        fprintf(f, "Référence du traitement : %s\n", job_id);
        fprintf(f, "Fichier conservé ici    : rejected/%s\n\n", spool_name);
}

static void print_next_steps(FILE *f, const char *bilan_name) {
        fprintf(f, "QUE FAIRE ?\n\n");
        fprintf(f, "  1. Corrigez une copie du fichier : chaque erreur ci-dessus dit où elle se\n"
                   "     trouve et ce qu'il faut écrire à la place.\n");
        /* In incoming/ itself: a file moved in from elsewhere keeps its own
         * permissions instead of the folder's default ACL, and chorusd may
         * not be able to read it (spool.c rejects it then). No dot name
         * first: chorusd reads a file only once it is closed and unchanged
         * for a few seconds (the settle rule), so a copy still being
         * written is never taken. */
        fprintf(f, "  2. Enregistrez la copie corrigée (le classeur ou le fichier JSON)\n"
                   "     directement dans le dossier incoming/, sous un nouveau nom, par exemple :\n"
                   "         ");
        suggest_new_name(f, bilan_name);
        fprintf(f, "\n     chorusd la traitera quelques secondes après.\n");
        fprintf(f, "  3. Ne modifiez pas et ne redéposez pas les fichiers du dossier rejected/ :\n"
                   "     ils y restent pour mémoire.\n\n");
        fprintf(f, "En cas de doute, transmettez ce message à l'administrateur de chorusd en\n"
                   "indiquant la référence du traitement.\n");
}

static void print_english(FILE *f, const Diagnostics *d) {
        fprintf(f, "\n-- \nFor the administrator (English):\n");
        for (size_t i = 0; i < d->n_items; i++) {
                const Diag *x = &d->items[i];
                fprintf(f, "  %s: ", x->severity == DIAG_ERROR ? "error" : "warning");
                if (x->sheet && x->cell)
                        fprintf(f, "sheet %s, cell %s: ", x->sheet, x->cell);
                else if (x->sheet)
                        fprintf(f, "sheet %s: ", x->sheet);
                else if (x->path)
                        fprintf(f, "%s: ", x->path);
                fprintf(f, "%s\n", x->message);
        }
}

int error_report_format(const char *bilan_name, const char *spool_name, const char *job_id,
                        const Diagnostics *d, char **ret, size_t *ret_size) {
        static const Diagnostics empty = DIAGNOSTICS_INIT;
        char *buf = NULL;
        size_t size = 0;
        FILE *f;

        if (!d)
                d = &empty;
        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        print_header(f, bilan_name, spool_name, job_id, d->n_errors);
        if (d->n_errors > 0) {
                fprintf(f, "ERREURS À CORRIGER\n\n");
                print_items(f, d, DIAG_ERROR);
                fprintf(f, "\n");
        }
        if (d->n_warnings > 0) {
                fprintf(f, "AVERTISSEMENTS (à vérifier ; ils n'empêchent pas la facturation)\n\n");
                print_items(f, d, DIAG_WARNING);
                fprintf(f, "\n");
        }
        print_next_steps(f, bilan_name);
        if (d->n_items > 0)
                print_english(f, d);
        if (ferror(f)) {
                fclose(f);
                free(buf);
                return -ENOMEM;
        }
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        *ret_size = size;
        return 0;
}
