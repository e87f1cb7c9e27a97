/* approval_text.c — the French summary of an invoice awaiting approval
 * (see approval_text.h). Pure: no I/O, no logging.
 *
 * Labels are padded by characters, not bytes, so that the colons line up
 * whatever the accents; text from the bilan or the convention is printed
 * on one line, its control characters made spaces. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/identifiers.h"
#include "base/macro.h"
#include "base/money.h"
#include "core/approval_text.h"

#define LABEL_WIDTH 24 /* characters before " : " */

/* Characters, not bytes: continuation bytes do not count. */
static size_t utf8_width(const char *s) {
        size_t w = 0;

        for (; *s; s++)
                w += ((unsigned char) *s & 0xC0) != 0x80;
        return w;
}

/* Text from outside on one line: controls become spaces, bytes that are
 * not well-formed UTF-8 become '?'. */
static void print_clean(FILE *f, const char *s) {
        size_t n = strlen(s);

        while (*s) {
                uint32_t cp;
                size_t k = utf8_control_len(s);

                if (k > 0) {
                        fputc(' ', f);
                        s += k;
                        n -= k;
                        continue;
                }
                k = utf8_decode(s, n, &cp);
                if (k == 0) {
                        fputc('?', f);
                        k = 1;
                } else
                        fwrite(s, 1, k, f);
                s += k;
                n -= k;
        }
}

static void field(FILE *f, const char *label, const char *value) {
        if (isempty(value))
                return;
        fputs(label, f);
        for (size_t w = utf8_width(label); w < LABEL_WIDTH; w++)
                fputc(' ', f);
        fputs(" : ", f);
        print_clean(f, value);
        fputc('\n', f);
}

static void field_money(FILE *f, const char *label, int64_t cents) {
        char buf[MONEY_FRENCH_MAX];

        field(f, label, money_format_french(cents, true, buf));
}

static void print_lines(FILE *f, const Invoice *inv) {
        char amount[MONEY_FRENCH_MAX];

        fputs("\nLignes de la facture\n--------------------\n", f);
        if (inv->n_lines == 0)
                fputs("(aucune)\n", f);
        for (size_t i = 0; i < inv->n_lines; i++) {
                const InvoiceLine *l = &inv->lines[i];

                fprintf(f, "%zu. ", i + 1);
                print_clean(f, strempty(l->name));
                fputs("\n   ", f);
                print_clean(f, strempty(l->description));
                fprintf(f, "\n   Montant HT : %s\n", money_format_french(l->net_amount, true, amount));
        }
        for (size_t i = 0; i < inv->n_allowances; i++) {
                fputs("Remise « ", f);
                print_clean(f, strempty(inv->allowances[i].reason));
                fprintf(f, " » : −%s\n", money_format_french(inv->allowances[i].amount, true, amount));
        }
        fputc('\n', f);
}

static void print_text(FILE *f, const ApprovalTextInput *in) {
        const Invoice *inv = in->invoice;
        const Bilan *b = in->bilan;
        const Convention *c = in->convention;
        char day[32], start[32], end[32], *period = NULL, *convention = NULL;

        fputs("APERÇU — FACTURE NON ÉMISE\n"
              "==========================\n\n"
              "Ce bilan est valide. La facture ci-dessous attend l'approbation d'une\n"
              "personne habilitée : elle n'a pas encore de numéro et rien n'a été\n"
              "envoyé sur Chorus Pro.\n\n", f);
        field(f, "Référence", in->job_id);
        field(f, "Bilan", in->bilan_name);
        field(f, "Rédigé par", b->author);
        field(f, "Établi le", date_format_french(b->issued_on, day));
        if (asprintf(&convention, "%s — « %s »", c->id, strempty(c->title)) < 0)
                convention = NULL;
        field(f, "Convention", convention ? convention : c->id);
        free(convention);
        if (asprintf(&period, "du %s au %s", date_format_french(c->period_start, start),
                     date_format_french(c->period_end, end)) < 0)
                period = NULL;
        field(f, "Période", period);
        free(period);
        field(f, "Acheteur", inv->buyer.name);
        field(f, "SIRET de l'acheteur", inv->buyer.siret);
        field(f, "Code service", inv->buyer_reference);
        field(f, "Engagement", inv->order_reference);
        print_lines(f, inv);
        field_money(f, "Total HT", inv->tax_exclusive);
        field_money(f, "TVA", inv->tax_total);
        field_money(f, "Total à payer (TTC)", inv->payable);
        fputs("\n", f);
        field(f, "Aperçu imprimable", in->preview_name);
        fputs("(la facture, marquée « APERÇU — facture non émise », puis le rapport\n"
              "du bilan : ce que l'acheteur recevra, le numéro en plus)\n\n"
              "Pour émettre la facture, l'administrateur lance :\n", f);
        fprintf(f, "    chorusctl approve %s --as \"VOTRE NOM\"\n", in->job_id);
        fputs("La facture est alors numérotée et déposée sur Chorus Pro.\n\n"
              "Si le bilan doit être corrigé :\n", f);
        fprintf(f, "    chorusctl cancel %s --reason \"CE QUI NE VA PAS\"\n", in->job_id);
        fputs("Le bilan va dans rejected/ avec le motif, aucun numéro n'est utilisé,\n"
              "et un bilan corrigé pour la même convention peut être déposé.\n", f);
}

int approval_text(const ApprovalTextInput *in, char **ret, size_t *ret_size) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f;

        if (!in || !in->job_id || !in->convention || !in->bilan || !in->invoice)
                return -EINVAL;
        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        print_text(f, in);
        if (ferror(f) | fclose(f)) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        *ret_size = size;
        return 0;
}
