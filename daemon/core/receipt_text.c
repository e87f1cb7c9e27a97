/* receipt_text.c — the French text receipt (see receipt_text.h). Pure: no
 * I/O, no logging.
 *
 * The labels are padded by characters, not bytes, so that the colons line
 * up whatever the accents. The statuses are the invoice statuses of
 * chorus-pro-api.md §3.6: the main path and the ones that ask for action
 * have a French label and a sentence for the staff; any other code is
 * shown as it comes. A credit note's receipt says « avoir » (masculine:
 * « l'avoir est déposé ») wherever an invoice's says « facture ». */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/identifiers.h"
#include "base/macro.h"
#include "base/money.h"
#include "core/receipt_text.h"

#define LABEL_WIDTH 22 /* characters before " : " */
#define TEXT_WIDTH 72  /* characters per line of the sentences */

typedef struct StatusText {
        const char *code;
        const char *label;  /* « la facture est … » */
        const char *advice; /* what it means for the staff; NULL: the default */
        const char *label_credit;  /* « l'avoir est … »; NULL: label */
        const char *advice_credit; /* NULL: the default for a credit note */
} StatusText;

#define ADVICE_PROGRESS                                                                                    \
        "La facture suit son cours chez l'acheteur ; la mise en paiement prend en général plusieurs "    \
        "semaines. Rien à faire."
#define ADVICE_COMPLETE                                                                                    \
        "L'acheteur demande des pièces justificatives ou des informations : prévenez l'administrateur "  \
        "en donnant la référence ci-dessus ; la facture se complète sur le portail Chorus Pro, elle "    \
        "garde son numéro."
#define ADVICE_PROGRESS_CREDIT "L'avoir suit son cours chez l'acheteur. Rien à faire."
#define ADVICE_COMPLETE_CREDIT                                                                             \
        "L'acheteur demande des pièces justificatives ou des informations : prévenez l'administrateur "  \
        "en donnant la référence ci-dessus ; l'avoir se complète sur le portail Chorus Pro, il garde "   \
        "son numéro."

static const StatusText status_texts[] = {
        { "DEPOSEE", "déposée", NULL, "déposé", NULL },
        { "EN_COURS_ACHEMINEMENT", "en cours d'acheminement vers l'acheteur", NULL, NULL, NULL },
        { "MISE_A_DISPOSITION", "mise à disposition de l'acheteur", NULL, "mis à disposition de l'acheteur", NULL },
        { "PRISE_EN_COMPTE_DESTINATAIRE", "prise en compte par l'acheteur", NULL, "pris en compte par l'acheteur",
          NULL },
        { "SERVICE_FAIT", "service fait (attesté par l'acheteur)", NULL, NULL, NULL },
        { "SERVICE-FAIT", "service fait (attesté par l'acheteur)", NULL, NULL, NULL },
        { "MANDATEE", "mandatée (ordre de paiement émis)", NULL, "mandaté (ordre de paiement émis)", NULL },
        { "MISE_A_DISPOSITION_COMPTABLE", "transmise au comptable public", NULL, "transmis au comptable public",
          NULL },
        { "COMPTABILISEE", "comptabilisée", NULL, "comptabilisé", NULL },
        { "MISE_EN_PAIEMENT", "mise en paiement",
          "Le paiement est parti : le virement arrive en général sous quelques jours. chorusd ne suit "
          "plus cette facture.",
          NULL, "L'avoir est arrivé au bout de son traitement chez l'acheteur. chorusd ne suit plus cet avoir." },
        { "A_RECYCLER", "à recycler (données d'acheminement erronées)",
          "Le SIRET, le code service ou le numéro d'engagement de l'acheteur est erroné : prévenez "
          "l'administrateur en donnant la référence ci-dessus ; il se corrige sur le portail Chorus Pro, "
          "la facture garde son numéro.",
          NULL,
          "Le SIRET, le code service ou le numéro d'engagement de l'acheteur est erroné : prévenez "
          "l'administrateur en donnant la référence ci-dessus ; il se corrige sur le portail Chorus Pro, "
          "l'avoir garde son numéro." },
        { "SUSPENDUE", "suspendue", ADVICE_COMPLETE, "suspendu", ADVICE_COMPLETE_CREDIT },
        { "A_COMPLETER", "à compléter", ADVICE_COMPLETE, NULL, ADVICE_COMPLETE_CREDIT },
        { "COMPLETEE", "complétée", NULL, "complété", NULL },
        { "REJETEE", "rejetée",
          "L'acheteur a rejeté la facture : le bilan, la facture et ce reçu sont maintenant dans le "
          "dossier failed/. Prévenez l'administrateur en donnant la référence ci-dessus : une fois la "
          "cause corrigée, une nouvelle facture sera émise, avec un nouveau numéro.",
          "rejeté",
          "L'acheteur a rejeté l'avoir : le bilan, l'avoir et ce reçu sont maintenant dans le dossier "
          "failed/. Prévenez l'administrateur en donnant la référence ci-dessus : tant qu'aucun avoir "
          "n'est accepté, la somme facturée reste due." },
        { "ABANDONNEE", "abandonnée", NULL, "abandonné", NULL },
        { "SUPPRIMEE", "supprimée", NULL, "supprimé", NULL },
};

static const StatusText *status_text(const char *code) {
        if (!code)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(status_texts); i++)
                if (streq(status_texts[i].code, code))
                        return &status_texts[i];
        return NULL;
}

const char *receipt_status_label(const char *code) {
        const StatusText *t = status_text(code);
        return t ? t->label : NULL;
}

/* ---- Moments ------------------------------------------------------------------ */

static int parse_2digits(const char *s, unsigned max, unsigned *ret) {
        if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
                return -EINVAL;
        *ret = (unsigned) (s[0] - '0') * 10 + (unsigned) (s[1] - '0');
        return *ret <= max ? 0 : -EINVAL;
}

int receipt_moment_parse(const char *s, ReceiptMoment *ret) {
        ReceiptMoment m = { .set = true };
        char day[DATE_STRING_MAX];
        size_t n;

        if (!s)
                return -EINVAL;
        n = strlen(s);
        if (n != 10 && n != 16 && n != 19)
                return -EINVAL;
        memcpy(day, s, 10);
        day[10] = 0;
        if (date_parse(day, &m.date) < 0)
                return -EINVAL;
        if (n > 10) {
                unsigned sec;
                if (s[10] != ' ' || s[13] != ':' || parse_2digits(s + 11, 23, &m.hour) < 0 ||
                    parse_2digits(s + 14, 59, &m.minute) < 0)
                        return -EINVAL;
                if (n == 19 && (s[16] != ':' || parse_2digits(s + 17, 60, &sec) < 0))
                        return -EINVAL;
                m.has_time = true;
        }
        *ret = m;
        return 0;
}

static bool moment_is_valid(const ReceiptMoment *m) {
        return !m->set || (date_is_valid(m->date.year, m->date.month, m->date.day) &&
                           (!m->has_time || (m->hour < 24 && m->minute < 60)));
}

char *receipt_moment_format(ReceiptMoment m, char buf[static RECEIPT_MOMENT_MAX]) {
        char day[DATE_STRING_MAX];

        buf[0] = 0;
        if (!m.set || !moment_is_valid(&m))
                return buf;
        date_format(m.date, day);
        if (m.has_time)
                snprintf(buf, RECEIPT_MOMENT_MAX, "%s %02u:%02u", day, m.hour, m.minute);
        else
                snprintf(buf, RECEIPT_MOMENT_MAX, "%s", day);
        return buf;
}

/* "10 décembre 2026 à 14 h 30" (French typography), or the day alone. */
static void print_moment(FILE *f, const ReceiptMoment *m) {
        char day[32];

        fputs(date_format_french(m->date, day), f);
        if (m->has_time)
                fprintf(f, " à %u h %02u", m->hour, m->minute);
}

/* ---- Text --------------------------------------------------------------------- */

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

/* Characters, not bytes: continuation bytes do not count. */
static size_t utf8_width(const char *s) {
        size_t w = 0;

        for (; *s; s++)
                w += ((unsigned char) *s & 0xC0) != 0x80;
        return w;
}

/* Our own sentences (no control characters), wrapped at spaces to
 * TEXT_WIDTH characters: read in Notepad as well as in a terminal. */
static void print_wrapped(FILE *f, const char *s) {
        size_t col = 0;

        while (*s) {
                size_t n = strcspn(s, " "), w;
                _cleanup_(freep) char *word = strndup(s, n);

                if (!word) {
                        fputs(s, f); /* unwrapped rather than lost */
                        break;
                }
                w = utf8_width(word);
                /* French puts a space before ":" and ";": never a line break. */
                if (col > 0 && col + 1 + w > TEXT_WIDTH && !(w == 1 && strchr(":;!?", word[0]))) {
                        fputc('\n', f);
                        col = 0;
                } else if (col > 0) {
                        fputc(' ', f);
                        col++;
                }
                fputs(word, f);
                col += w;
                s += n;
                s += strspn(s, " ");
        }
        fputc('\n', f);
}

/* "Label ….... : " */
static void print_label(FILE *f, const char *label) {
        fputs(label, f);
        for (size_t w = utf8_width(label); w < LABEL_WIDTH; w++)
                fputc(' ', f);
        fputs(" : ", f);
}

/* One "Label : value" line; an unknown value is said so. */
static void print_field(FILE *f, const char *label, const char *value) {
        print_label(f, label);
        if (isempty(value))
                fputs("(inconnu)", f);
        else
                print_clean(f, value);
        fputc('\n', f);
}

static void print_status(FILE *f, const ReceiptTextInput *in) {
        const StatusText *t = status_text(in->status);
        bool credit = in->credit_of_invoice;
        const char *advice = credit ? ADVICE_PROGRESS_CREDIT : ADVICE_PROGRESS;

        if (t && (credit ? t->advice_credit : t->advice))
                advice = credit ? t->advice_credit : t->advice;
        print_label(f, "Statut Chorus Pro");
        if (!in->status)
                fputs("(pas encore connu)", f);
        else if (t)
                fprintf(f, "%s (%s)", credit && t->label_credit ? t->label_credit : t->label, t->code);
        else {
                fputs("code ", f);
                print_clean(f, in->status);
        }
        fputc('\n', f);
        if (in->status_at.set) {
                print_label(f, "Date du statut");
                print_moment(f, &in->status_at);
                fputc('\n', f);
        }
        if (!isempty(in->status_comment))
                print_field(f, "Commentaire", in->status_comment);
        fputc('\n', f);
        print_wrapped(f, advice);
}

int receipt_text_format(const ReceiptTextInput *in, char **ret, size_t *ret_size) {
        _cleanup_(freep) char *buf = NULL;
        _cleanup_(fclosep) FILE *f = NULL;
        char money[MONEY_FRENCH_MAX], day[32];
        size_t size = 0;

        if (!in || isempty(in->invoice_number) || !moment_is_valid(&in->deposited) ||
            !moment_is_valid(&in->status_at) ||
            (in->has_issue_date && !date_is_valid(in->issue_date.year, in->issue_date.month, in->issue_date.day)))
                return -EINVAL;
        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;

        fputs(in->credit_of_invoice ? "REÇU D'AVOIR " : "REÇU DE FACTURE ", f);
        print_clean(f, in->invoice_number);
        fputs("\n\n", f);
        print_field(f, in->credit_of_invoice ? "Numéro de l'avoir" : "Numéro de facture", in->invoice_number);
        if (in->credit_of_invoice)
                print_field(f, "Facture annulée", in->credit_of_invoice);
        print_field(f, "Montant TTC", in->has_total ? money_format_french(in->total, true, money) : NULL);
        print_field(f, in->credit_of_invoice ? "Date de l'avoir" : "Date de la facture", in->has_issue_date ? date_format_french(in->issue_date, day) : NULL);
        print_field(f, "Convention", in->convention);
        print_field(f, "Acheteur", in->buyer);
        print_field(f, "Bilan", in->bilan_name);
        print_field(f, "Référence", in->job_id);

        fputs("\nSur Chorus Pro\n", f);
        print_label(f, "Date de dépôt");
        if (in->deposited.set)
                print_moment(f, &in->deposited);
        else
                fputs("(inconnue)", f);
        fputc('\n', f);
        print_field(f, "Numéro de flux", in->flux);
        print_field(f, in->credit_of_invoice ? "Identifiant de l'avoir" : "Identifiant facture",
                    in->chorus_invoice_id);
        fputc('\n', f);
        print_status(f, in);
        fputc('\n', f);
        print_wrapped(f, in->credit_of_invoice ? "Ce reçu est réécrit par chorusd à chaque nouveau statut de "
                                                 "l'avoir sur Chorus Pro, jusqu'à la fin de son traitement."
                                               : "Ce reçu est réécrit par chorusd à chaque nouveau statut de la "
                                                 "facture sur Chorus Pro, jusqu'à sa mise en paiement.");
        if (ferror(f) || fclose(TAKE_PTR(f)) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = size;
        return 0;
}
