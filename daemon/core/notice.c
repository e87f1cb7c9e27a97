/* notice.c — the French text of the e-mail notices (see notice.h).
 *
 * Every body has the same shape: what happened, the facts (one per line,
 * « Libellé : valeur »), what to do, the signature. Values that come from
 * outside (a bilan's name, Chorus Pro's comment) are text in the body and
 * base64 in the subject (mime.h): they cannot change the message. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/date.h"
#include "base/money.h"
#include "core/notice.h"

#define SIGNATURE "\n-- \nMessage automatique de chorusd (facturation Chorus Pro) ; ne pas y répondre.\n"

static const char *const kind_names[_NOTICE_KIND_MAX] = {
        [NOTICE_BILAN_REFUSED] = "bilan-refused",
        [NOTICE_AWAITING_APPROVAL] = "awaiting-approval",
        [NOTICE_INVOICE_DEPOSITED] = "invoice-deposited",
        [NOTICE_INVOICE_PAID] = "invoice-paid",
        [NOTICE_INVOICE_REJECTED] = "invoice-rejected",
        [NOTICE_INVOICE_SUSPENDED] = "invoice-suspended",
        [NOTICE_JOB_FAILED] = "job-failed",
        [NOTICE_CHORUS_UNREACHABLE] = "chorus-unreachable",
        [NOTICE_PASSWORD_EXPIRING] = "password-expiring",
        [NOTICE_STATE_DAMAGED] = "state-damaged",
};

DEFINE_STRING_TABLE_LOOKUP(notice_kind, NoticeKind, kind_names, _NOTICE_KIND_MAX, _NOTICE_KIND_INVALID);

NoticeAudience notice_kind_audience(NoticeKind k) {
        return k >= NOTICE_JOB_FAILED ? NOTICE_ADMINS : NOTICE_STAFF;
}

/* The digest's subject: how many of what. */
static const char *const digest_subjects[_NOTICE_KIND_MAX] = {
        [NOTICE_BILAN_REFUSED] = "%zu bilans refusés",
        [NOTICE_AWAITING_APPROVAL] = "%zu factures à approuver",
        [NOTICE_INVOICE_DEPOSITED] = "%zu factures déposées sur Chorus Pro",
        [NOTICE_INVOICE_PAID] = "%zu factures mises en paiement",
        [NOTICE_INVOICE_REJECTED] = "%zu factures rejetées par l'acheteur",
        [NOTICE_INVOICE_SUSPENDED] = "%zu factures suspendues par l'acheteur",
        [NOTICE_JOB_FAILED] = "%zu travaux en échec (failed/)",
        [NOTICE_CHORUS_UNREACHABLE] = "Chorus Pro injoignable (%zu alertes)",
        [NOTICE_PASSWORD_EXPIRING] = "Mot de passe du compte technique Chorus Pro (%zu alertes)",
        [NOTICE_STATE_DAMAGED] = "%zu fichiers d'état endommagés",
};

static const char *or_unknown(const char *s) {
        return s && *s ? s : "(inconnu)";
}

/* A growing text, as in mime.c; kept local: core does not share buffers. */
typedef struct Text {
        char *s;
        size_t len;
        bool oom;
} Text;

static void text_add(Text *t, const char *format, ...) _printf_(2, 3);
static void text_add(Text *t, const char *format, ...) {
        va_list ap;
        char *piece, *s;
        int n;

        if (t->oom)
                return;
        va_start(ap, format);
        n = vasprintf(&piece, format, ap);
        va_end(ap);
        if (n < 0) {
                t->oom = true;
                return;
        }
        s = realloc(t->s, t->len + (size_t) n + 1);
        if (!s) {
                free(piece);
                t->oom = true;
                return;
        }
        memcpy(s + t->len, piece, (size_t) n + 1);
        t->s = s;
        t->len += (size_t) n;
        free(piece);
}

static int text_finish(Text *t, char **ret) {
        if (t->oom || !t->s) {
                free(t->s);
                return -ENOMEM;
        }
        *ret = t->s;
        return 0;
}

/* « Libellé : valeur » when there is a value. */
static void fact(Text *t, const char *label, const char *value) {
        if (value && *value)
                text_add(t, "%s : %s\n", label, value);
}

static void amount_fact(Text *t, const Notice *n) {
        char buf[MONEY_FRENCH_MAX];

        if (n->has_amount)
                text_add(t, "Montant TTC : %s\n", money_format_french(n->amount, true, buf));
}

/* "YYYY-MM-DD" or "YYYY-MM-DD HH:MM" in French: « 7 décembre 2026 à 13:57 ». */
static void date_fact(Text *t, const char *label, const char *iso) {
        char day[DATE_STRING_MAX], buf[32];
        size_t len = iso ? strlen(iso) : 0;
        Date d;

        if (len >= DATE_STRING_MAX - 1) {
                memcpy(day, iso, DATE_STRING_MAX - 1);
                day[DATE_STRING_MAX - 1] = '\0';
                if (date_parse(day, &d) >= 0 && (len == DATE_STRING_MAX - 1 ||
                                                 (len == DATE_STRING_MAX - 1 + 6 && iso[DATE_STRING_MAX - 1] == ' '))) {
                        text_add(t, "%s : %s%s%s\n", label, date_format_french(d, buf), len > 10 ? " à " : "",
                                 len > 10 ? iso + DATE_STRING_MAX : "");
                        return;
                }
        }
        fact(t, label, iso);
}

/* The document's name, its article and the feminine or masculine ending
 * of a past participle: « la facture … déposée », « l'avoir … déposé ». */
static const char *doc_name(const Notice *n) {
        return n->credit_note ? "Avoir" : "Facture";
}

static const char *doc_the(const Notice *n) {
        return n->credit_note ? "l'avoir" : "la facture";
}

static const char *doc_e(const Notice *n) {
        return n->credit_note ? "" : "e";
}

static void invoice_facts(Text *t, const Notice *n) {
        fact(t, doc_name(n), n->invoice);
        amount_fact(t, n);
        fact(t, "Convention", n->convention);
        fact(t, "Bilan", n->bilan);
        fact(t, "Flux Chorus Pro", n->flux);
        fact(t, "Référence du travail", n->job);
}

static void body_staff(Text *t, const Notice *n) {
        switch (n->kind) {
        case NOTICE_BILAN_REFUSED:
                text_add(t, "Bonjour,\n\nLe bilan « %s » a été refusé : aucune facture n'a été émise.\n\n",
                         or_unknown(n->bilan));
                fact(t, "Motif", n->reason);
                fact(t, "Convention", n->convention);
                fact(t, "Référence du travail", n->job);
                text_add(t, "\nLe fichier joint explique chaque problème et comment le corriger (il est aussi "
                            "dans le dossier rejected/ du partage). Déposez le bilan corrigé dans incoming/.\n");
                break;
        case NOTICE_AWAITING_APPROVAL:
                text_add(t, "Bonjour,\n\nLe bilan « %s » est valide : sa facture attend une approbation "
                            "avant d'être émise et déposée sur Chorus Pro.\n\n",
                         or_unknown(n->bilan));
                invoice_facts(t, n);
                fact(t, "Aperçu", n->detail);
                text_add(t, "\nPour l'émettre : « chorusctl approve %s » ; pour l'annuler : « chorusctl cancel "
                            "%s --reason MOTIF ».\n",
                         or_unknown(n->job), or_unknown(n->job));
                break;
        case NOTICE_INVOICE_DEPOSITED:
                text_add(t, "Bonjour,\n\n%s %s a été déposé%s sur Chorus Pro.\n\n", n->credit_note ? "L'avoir" : "La facture",
                         or_unknown(n->invoice), doc_e(n));
                invoice_facts(t, n);
                text_add(t, "\nLe reçu est dans le dossier done/ du partage ; il suit le statut de %s "
                            "jusqu'à sa mise en paiement.\n",
                         n->credit_note ? "l'avoir" : "la facture");
                break;
        case NOTICE_INVOICE_PAID:
                text_add(t, "Bonjour,\n\nChorus Pro indique que %s %s est mis%s en paiement "
                            "(statut %s).\n\n",
                         doc_the(n), or_unknown(n->invoice), doc_e(n), n->status ? n->status : "MISE_EN_PAIEMENT");
                date_fact(t, "Date du statut", n->date);
                invoice_facts(t, n);
                break;
        case NOTICE_INVOICE_REJECTED:
                text_add(t, "Bonjour,\n\nL'acheteur a rejeté %s %s sur Chorus Pro (statut %s). "
                            "Son numéro est annulé ; le bilan est dans le dossier failed/.\n\n",
                         doc_the(n), or_unknown(n->invoice), n->status ? n->status : "REJETEE");
                fact(t, "Motif donné par l'acheteur", n->reason ? n->reason : "(aucun)");
                date_fact(t, "Date du statut", n->date);
                invoice_facts(t, n);
                text_add(t, "\nQue faire : corriger la cause avec l'acheteur, puis demander à l'administrateur "
                            "« chorusctl requeue %s » ; %s sera émis%s sous un nouveau numéro.\n",
                         or_unknown(n->job), n->credit_note ? "un nouvel avoir" : "une nouvelle facture", doc_e(n));
                break;
        case NOTICE_INVOICE_SUSPENDED:
                text_add(t, "Bonjour,\n\nL'acheteur a suspendu %s %s sur Chorus Pro (statut %s) : "
                            "il attend un complément.\n\n",
                         doc_the(n), or_unknown(n->invoice), n->status ? n->status : "SUSPENDUE");
                fact(t, "Motif donné par l'acheteur", n->reason ? n->reason : "(aucun)");
                date_fact(t, "Date du statut", n->date);
                invoice_facts(t, n);
                text_add(t, "\nQue faire : réunir les pièces (PDF) et les informations demandées, puis demander à "
                            "l'administrateur « chorusctl complete %s --attach FICHIER.pdf --comment TEXTE » "
                            "(ou le faire sur le portail Chorus Pro) ; %s garde son numéro.\n",
                         or_unknown(n->job), n->credit_note ? "il" : "elle");
                break;
        default:
                break;
        }
}

static void body_admins(Text *t, const Notice *n) {
        switch (n->kind) {
        case NOTICE_JOB_FAILED:
                text_add(t, "Bonjour,\n\nLe travail %s est dans le dossier failed/ : sa facture n'a pas pu "
                            "être transmise ou a été rejetée.\n\n",
                         or_unknown(n->job));
                fact(t, "Motif (tel que dans le journal)", n->reason);
                invoice_facts(t, n);
                text_add(t, "\nQue faire : « chorusctl status %s » donne l'historique ; corriger la cause, "
                            "puis « chorusctl requeue %s ».\n",
                         or_unknown(n->job), or_unknown(n->job));
                break;
        case NOTICE_CHORUS_UNREACHABLE:
                text_add(t, "Bonjour,\n\nChorus Pro ne répond plus à chorusd depuis plus d'une heure. "
                            "Les factures attendent : elles seront déposées et suivies dès son retour (dans "
                            "la limite de [chorus] retry_deadline).\n\n");
                fact(t, "Dernière erreur", n->reason);
                fact(t, "Travail concerné", n->job);
                text_add(t, "\nQue faire : « chorusctl ping » dit ce qui ne répond pas (réseau, PISTE, "
                            "identifiants) ; le journal aussi (journalctl -u chorusd).\n");
                break;
        case NOTICE_PASSWORD_EXPIRING:
                if (n->days < 0)
                        text_add(t, "Bonjour,\n\nLe mot de passe du compte technique Chorus Pro a expiré : "
                                    "chorusd ne peut plus déposer de factures.\n\n");
                else
                        text_add(t, "Bonjour,\n\nLe mot de passe du compte technique Chorus Pro expire dans "
                                    "%lld jour%s.\n\n",
                                 (long long) n->days, n->days > 1 ? "s" : "");
                date_fact(t, "Date d'expiration", n->date);
                text_add(t, "\nQue faire : le renouveler sur le portail Chorus Pro (Raccordement EDI/API), "
                            "puis mettre à jour le secret cpro-password de chorusd et recharger le service "
                            "(systemctl reload chorusd).\n");
                break;
        case NOTICE_STATE_DAMAGED:
                text_add(t, "Bonjour,\n\nchorusd a trouvé un fichier d'état endommagé.\n\n");
                fact(t, "Quoi", n->detail);
                fact(t, "Détail", n->reason);
                fact(t, "Référence du travail", n->job);
                text_add(t, "\nQue faire : « chorusctl audit verify » pour le journal d'audit ; « chorusctl "
                            "status » pour les travaux ; restaurer depuis une sauvegarde si besoin.\n");
                break;
        default:
                break;
        }
}

static int subject_format(const Notice *n, char **ret) {
        char buf[32];
        Date d;
        int r;

        switch (n->kind) {
        case NOTICE_BILAN_REFUSED:
                r = asprintf(ret, "Bilan refusé : %s", or_unknown(n->bilan));
                break;
        case NOTICE_AWAITING_APPROVAL:
                r = asprintf(ret, "Facture à approuver : convention %s", or_unknown(n->convention));
                break;
        case NOTICE_INVOICE_DEPOSITED:
                r = asprintf(ret, "%s %s déposé%s sur Chorus Pro", doc_name(n), or_unknown(n->invoice), doc_e(n));
                break;
        case NOTICE_INVOICE_PAID:
                r = asprintf(ret, "%s %s mis%s en paiement", doc_name(n), or_unknown(n->invoice), doc_e(n));
                break;
        case NOTICE_INVOICE_REJECTED:
                r = asprintf(ret, "%s %s rejeté%s par l'acheteur", doc_name(n), or_unknown(n->invoice), doc_e(n));
                break;
        case NOTICE_INVOICE_SUSPENDED:
                r = asprintf(ret, "%s %s suspendu%s par l'acheteur", doc_name(n), or_unknown(n->invoice), doc_e(n));
                break;
        case NOTICE_JOB_FAILED:
                r = asprintf(ret, "Travail %s en échec (failed/)", or_unknown(n->job));
                break;
        case NOTICE_CHORUS_UNREACHABLE:
                r = asprintf(ret, "Chorus Pro injoignable depuis plus d'une heure");
                break;
        case NOTICE_PASSWORD_EXPIRING:
                if (n->date && date_parse(n->date, &d) >= 0)
                        r = asprintf(ret, "Mot de passe du compte technique Chorus Pro : expire le %s",
                                     date_format_french(d, buf));
                else
                        r = asprintf(ret, "Mot de passe du compte technique Chorus Pro : expiration proche");
                break;
        case NOTICE_STATE_DAMAGED:
                r = asprintf(ret, "Fichier d'état endommagé : %s", or_unknown(n->detail));
                break;
        default:
                return -EINVAL;
        }
        return r < 0 ? -ENOMEM : 0;
}

int notice_format(const Notice *n, char **ret_subject, char **ret_body) {
        _cleanup_(freep) char *subject = NULL;
        Text t = {};
        int r;

        r = subject_format(n, &subject);
        if (r < 0)
                return r;
        if (notice_kind_audience(n->kind) == NOTICE_STAFF)
                body_staff(&t, n);
        else
                body_admins(&t, n);
        text_add(&t, "%s", SIGNATURE);
        r = text_finish(&t, ret_body);
        if (r < 0)
                return r;
        *ret_subject = TAKE_PTR(subject);
        return 0;
}

int notice_summary(const Notice *n, char **ret) {
        char money[MONEY_FRENCH_MAX];
        const char *amount = n->has_amount ? money_format_french(n->amount, true, money) : NULL;
        int r;

        switch (n->kind) {
        case NOTICE_BILAN_REFUSED:
                r = asprintf(ret, "%s — « %s » : %s", or_unknown(n->job), or_unknown(n->bilan), or_unknown(n->reason));
                break;
        case NOTICE_JOB_FAILED:
        case NOTICE_STATE_DAMAGED:
        case NOTICE_CHORUS_UNREACHABLE:
                r = asprintf(ret, "%s — %s%s%s", or_unknown(n->job), n->detail ? n->detail : "",
                             n->detail ? " : " : "", or_unknown(n->reason));
                break;
        case NOTICE_PASSWORD_EXPIRING:
                r = asprintf(ret, "expiration le %s", or_unknown(n->date));
                break;
        default:
                r = asprintf(ret, "%s — %s %s%s%s%s%s", or_unknown(n->job), n->credit_note ? "avoir" : "facture",
                             or_unknown(n->invoice),
                             amount ? ", " : "", amount ? amount : "", n->reason ? " : " : "",
                             n->reason ? n->reason : "");
                break;
        }
        return r < 0 ? -ENOMEM : 0;
}

int notice_digest_format(NoticeKind k, const char *const *summaries, size_t n, char **ret_subject,
                         char **ret_body) {
        _cleanup_(freep) char *subject = NULL;
        Text t = {};
        size_t shown = n < NOTICE_DIGEST_LINES ? n : NOTICE_DIGEST_LINES;
        int r;

        if (k < 0 || k >= _NOTICE_KIND_MAX)
                return -EINVAL;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        r = asprintf(&subject, digest_subjects[k], n);
#pragma GCC diagnostic pop
        if (r < 0)
                return -ENOMEM;
        text_add(&t, "Bonjour,\n\nRésumé de %zu avis du même type arrivés en peu de temps (un seul message au "
                     "lieu de %zu) :\n\n",
                 n, n);
        for (size_t i = 0; i < shown; i++)
                text_add(&t, "- %s\n", summaries[i]);
        if (shown < n)
                text_add(&t, "- … et %zu autres (voir « chorusctl status »).\n", n - shown);
        if (k == NOTICE_BILAN_REFUSED)
                text_add(&t, "\nChaque bilan refusé a son fichier d'explication dans le dossier rejected/ du "
                             "partage (même nom, suivi de .error.txt).\n");
        text_add(&t, "%s", SIGNATURE);
        r = text_finish(&t, ret_body);
        if (r < 0)
                return r;
        *ret_subject = TAKE_PTR(subject);
        return 0;
}
