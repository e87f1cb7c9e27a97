/* test_receipt_text.c — the French text receipt of done/ (receipt_text):
 * every status the code and the emulator know, amounts with thousands
 * separators, accents and alignment, text from outside kept on one line,
 * moments validated. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "base/macro.h"
#include "core/receipt_text.h"

/* U+202F between thousands, U+00A0 before the euro sign (money.h). */
#define NNBSP "\xe2\x80\xaf"
#define NBSP "\xc2\xa0"

static ReceiptTextInput sample(void) {
        ReceiptTextInput in = {
                .job_id = "20261210-143000-a1b2c3d4",
                .bilan_name = "bilan-2026.json",
                .convention = "CDCMC-2026",
                .buyer = "Communauté de communes du Clermontais",
                .invoice_number = "CMA34-2026-0007",
                .has_issue_date = true,
                .issue_date = { 2026, 12, 10 },
                .has_total = true,
                .total = 400000,
                .flux = "CPO1000000001",
                .chorus_invoice_id = "1001",
                .status = "DEPOSEE",
        };
        cr_assert_eq(receipt_moment_parse("2026-12-10 14:30", &in.deposited), 0);
        cr_assert_eq(receipt_moment_parse("2026-12-10 14:32", &in.status_at), 0);
        return in;
}

static char *format(const ReceiptTextInput *in) {
        char *text = NULL;
        size_t size = 0;
        int r = receipt_text_format(in, &text, &size);

        cr_assert_eq(r, 0, "receipt_text_format: %s", strerror(-r));
        cr_assert_eq(strlen(text), size);
        return text;
}

static void expect_line(const char *text, const char *line) {
        char *l = NULL;

        cr_assert(asprintf(&l, "\n%s\n", line) > 0);
        cr_expect_not_null(strstr(text, l), "no line «%s» in:\n%s", line, text);
        free(l);
}

Test(receipt_text, the_whole_receipt) {
        ReceiptTextInput in = sample();
        _cleanup_(freep) char *text = format(&in);

        cr_expect_eq(strncmp(text, "REÇU DE FACTURE CMA34-2026-0007\n\n", 33), 0, "%s", text);
        /* the colons line up whatever the accents: labels are padded to 22 characters */
        expect_line(text, "Numéro de facture      : CMA34-2026-0007");
        expect_line(text, "Montant TTC            : 4" NNBSP "000,00" NBSP "€");
        expect_line(text, "Date de la facture     : 10 décembre 2026");
        expect_line(text, "Convention             : CDCMC-2026");
        expect_line(text, "Acheteur               : Communauté de communes du Clermontais");
        expect_line(text, "Bilan                  : bilan-2026.json");
        expect_line(text, "Référence              : 20261210-143000-a1b2c3d4");
        expect_line(text, "Date de dépôt          : 10 décembre 2026 à 14 h 30");
        expect_line(text, "Numéro de flux         : CPO1000000001");
        expect_line(text, "Identifiant facture    : 1001");
        expect_line(text, "Statut Chorus Pro      : déposée (DEPOSEE)");
        expect_line(text, "Date du statut         : 10 décembre 2026 à 14 h 32");
        cr_expect_not_null(strstr(text, "suit son cours"));
        cr_expect_null(strstr(text, "Commentaire"));
        cr_expect_eq(text[strlen(text) - 1], '\n');
        cr_expect_null(strchr(text, '\r'));
}

Test(receipt_text, credit_note) {
        ReceiptTextInput in = sample();
        _cleanup_(freep) char *text = NULL;

        in.invoice_number = "CMA34-2026-0009";
        in.credit_of_invoice = "CMA34-2026-0007";
        text = format(&in);
        cr_expect_eq(strncmp(text, "REÇU D'AVOIR CMA34-2026-0009\n\n", 30), 0, "%s", text);
        expect_line(text, "Numéro de l'avoir      : CMA34-2026-0009");
        expect_line(text, "Facture annulée        : CMA34-2026-0007");
        expect_line(text, "Date de l'avoir        : 10 décembre 2026");
        cr_expect_null(strstr(text, "Numéro de facture"));
}

/* A credit note's receipt says « avoir » where an invoice's says
 * « facture », its statuses agreed in the masculine: for every status,
 * the only « facture » left is the invoice it cancels. */
Test(receipt_text, credit_note_says_avoir_in_every_status) {
        static const struct {
                const char *code, *label;
        } cases[] = {
                { "DEPOSEE", "déposé" },
                { "MISE_A_DISPOSITION", "mis à disposition de l'acheteur" },
                { "PRISE_EN_COMPTE_DESTINATAIRE", "pris en compte par l'acheteur" },
                { "MANDATEE", "mandaté (ordre de paiement émis)" },
                { "MISE_A_DISPOSITION_COMPTABLE", "transmis au comptable public" },
                { "COMPTABILISEE", "comptabilisé" },
                { "MISE_EN_PAIEMENT", "mise en paiement" },
                { "A_RECYCLER", "à recycler (données d'acheminement erronées)" },
                { "SUSPENDUE", "suspendu" },
                { "A_COMPLETER", "à compléter" },
                { "COMPLETEE", "complété" },
                { "REJETEE", "rejeté" },
                { "ABANDONNEE", "abandonné" },
                { "SUPPRIMEE", "supprimé" },
                { "EN_COURS_ACHEMINEMENT", "en cours d'acheminement vers l'acheteur" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                ReceiptTextInput in = sample();
                char line[256];

                in.invoice_number = "CMA34-2026-0009";
                in.credit_of_invoice = "CMA34-2026-0007";
                in.status = cases[i].code;
                _cleanup_(freep) char *text = format(&in);
                snprintf(line, sizeof line, "Statut Chorus Pro      : %s (%s)", cases[i].label, cases[i].code);
                expect_line(text, line);
                cr_expect_null(strstr(text, "facture"), "%s: « facture » in a credit note's receipt:\n%s",
                               cases[i].code, text);
                cr_expect_not_null(strstr(text, "avoir"), "%s", text);
                expect_line(text, "Facture annulée        : CMA34-2026-0007");
                expect_line(text, "Identifiant de l'avoir : 1001");
        }
}

/* An invoice's receipt has no « Facture annulée » line. */
Test(receipt_text, invoice_has_no_cancelled_line) {
        ReceiptTextInput in = sample();
        _cleanup_(freep) char *text = format(&in);

        cr_expect_null(strstr(text, "annulée"), "%s", text);
}

Test(receipt_text, deterministic) {
        ReceiptTextInput in = sample();
        _cleanup_(freep) char *a = format(&in), *b = format(&in);

        cr_expect_str_eq(a, b);
}

Test(receipt_text, every_status) {
        static const struct {
                const char *code, *label, *advice;
        } cases[] = {
                { "DEPOSEE", "déposée", "suit son cours" },
                { "EN_COURS_ACHEMINEMENT", "en cours d'acheminement vers l'acheteur", "suit son cours" },
                { "MISE_A_DISPOSITION", "mise à disposition de l'acheteur", "suit son cours" },
                { "PRISE_EN_COMPTE_DESTINATAIRE", "prise en compte par l'acheteur", "suit son cours" },
                { "SERVICE_FAIT", "service fait (attesté par l'acheteur)", "suit son cours" },
                { "SERVICE-FAIT", "service fait (attesté par l'acheteur)", "suit son cours" },
                { "MANDATEE", "mandatée (ordre de paiement émis)", "suit son cours" },
                { "MISE_A_DISPOSITION_COMPTABLE", "transmise au comptable public", "suit son cours" },
                { "COMPTABILISEE", "comptabilisée", "suit son cours" },
                { "MISE_EN_PAIEMENT", "mise en paiement", "Le paiement est parti" },
                { "A_RECYCLER", "à recycler (données d'acheminement erronées)", "numéro d'engagement" },
                { "SUSPENDUE", "suspendue", "pièces justificatives" },
                { "A_COMPLETER", "à compléter", "pièces justificatives" },
                { "COMPLETEE", "complétée", "suit son cours" },
                { "REJETEE", "rejetée", "dossier failed/" },
                { "ABANDONNEE", "abandonnée", "suit son cours" },
                { "SUPPRIMEE", "supprimée", "suit son cours" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                ReceiptTextInput in = sample();
                char line[256];

                in.status = cases[i].code;
                cr_expect_str_eq(receipt_status_label(cases[i].code), cases[i].label);
                _cleanup_(freep) char *text = format(&in);
                snprintf(line, sizeof line, "Statut Chorus Pro      : %s (%s)", cases[i].label, cases[i].code);
                expect_line(text, line);
                cr_expect_not_null(strstr(text, cases[i].advice), "%s: no «%s» in\n%s", cases[i].code,
                                   cases[i].advice, text);
        }
}

Test(receipt_text, unknown_and_missing_status) {
        ReceiptTextInput in = sample();

        cr_expect_null(receipt_status_label("A_VALIDER_1"));
        cr_expect_null(receipt_status_label(NULL));
        in.status = "A_VALIDER_1";
        _cleanup_(freep) char *text = format(&in);
        expect_line(text, "Statut Chorus Pro      : code A_VALIDER_1");

        in.status = NULL;
        in.status_at = (ReceiptMoment) {};
        _cleanup_(freep) char *none = format(&in);
        expect_line(none, "Statut Chorus Pro      : (pas encore connu)");
        cr_expect_null(strstr(none, "Date du statut"));
}

Test(receipt_text, amounts) {
        static const struct {
                int64_t cents;
                const char *text;
        } cases[] = {
                { 0, "0,00" NBSP "€" },
                { 5, "0,05" NBSP "€" },
                { 99999, "999,99" NBSP "€" },
                { 100000, "1" NNBSP "000,00" NBSP "€" },
                { 123456789, "1" NNBSP "234" NNBSP "567,89" NBSP "€" },
                { INT64_C(1000000000000), "10" NNBSP "000" NNBSP "000" NNBSP "000,00" NBSP "€" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                ReceiptTextInput in = sample();
                char line[128];

                in.total = cases[i].cents;
                _cleanup_(freep) char *text = format(&in);
                snprintf(line, sizeof line, "Montant TTC            : %s", cases[i].text);
                expect_line(text, line);
        }
}

Test(receipt_text, unknown_fields_are_said_so) {
        ReceiptTextInput in = {
                .job_id = "20261210-143000-a1b2c3d4",
                .invoice_number = "CMA34-2026-0007",
        };
        _cleanup_(freep) char *text = format(&in);

        expect_line(text, "Montant TTC            : (inconnu)");
        expect_line(text, "Acheteur               : (inconnu)");
        expect_line(text, "Date de dépôt          : (inconnue)");
        expect_line(text, "Numéro de flux         : (inconnu)");
}

Test(receipt_text, outside_text_stays_on_one_line) {
        ReceiptTextInput in = sample();

        in.buyer = "Mairie\nde\tSète\x1b[31m";
        in.status = "REJETEE";
        in.status_comment = "montant contesté\r\nvoir \xff courrier";
        in.bilan_name = "bilan\xc3";
        _cleanup_(freep) char *text = format(&in);
        expect_line(text, "Acheteur               : Mairie de Sète [31m");
        expect_line(text, "Commentaire            : montant contesté  voir ? courrier");
        expect_line(text, "Bilan                  : bilan?");
        cr_expect_null(strchr(text, '\x1b'));
        cr_expect_null(strchr(text, '\t'));
}

Test(receipt_text, first_of_the_month_and_midnight) {
        ReceiptTextInput in = sample();

        cr_assert_eq(receipt_moment_parse("2027-01-01 00:05", &in.status_at), 0);
        cr_assert_eq(receipt_moment_parse("2026-12-31", &in.deposited), 0);
        _cleanup_(freep) char *text = format(&in);
        expect_line(text, "Date du statut         : 1er janvier 2027 à 0 h 05");
        expect_line(text, "Date de dépôt          : 31 décembre 2026");
}

Test(receipt_text, moments) {
        ReceiptMoment m;
        char buf[RECEIPT_MOMENT_MAX];

        cr_assert_eq(receipt_moment_parse("2026-12-10 14:30", &m), 0);
        cr_expect(m.set && m.has_time && m.hour == 14 && m.minute == 30);
        cr_expect_str_eq(receipt_moment_format(m, buf), "2026-12-10 14:30");
        cr_assert_eq(receipt_moment_parse("2026-12-10 14:30:59", &m), 0);
        cr_expect_str_eq(receipt_moment_format(m, buf), "2026-12-10 14:30");
        cr_assert_eq(receipt_moment_parse("2026-12-10", &m), 0);
        cr_expect(!m.has_time);
        cr_expect_str_eq(receipt_moment_format(m, buf), "2026-12-10");
        cr_expect_str_eq(receipt_moment_format((ReceiptMoment) {}, buf), "");

        static const char *const bad[] = {
                "", "2026-02-30 10:00", "2026-12-10 24:00", "2026-12-10 10:60", "2026-12-10T10:00",
                "2026-12-10 1:00", "2026-12-10 10:00:61", "2026-12-10 10:00Z", "10/12/2026", "2026-12-10 ",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                cr_expect_eq(receipt_moment_parse(bad[i], &m), -EINVAL, "accepted '%s'", bad[i]);
        cr_expect_eq(receipt_moment_parse(NULL, &m), -EINVAL);
}

Test(receipt_text, refuses_what_it_cannot_print) {
        ReceiptTextInput in = sample();
        char *text = NULL;

        in.invoice_number = NULL;
        cr_expect_eq(receipt_text_format(&in, &text, NULL), -EINVAL);
        in = sample();
        in.status_at = (ReceiptMoment) { .set = true, .date = { 2026, 2, 30 } };
        cr_expect_eq(receipt_text_format(&in, &text, NULL), -EINVAL);
        in = sample();
        in.deposited.hour = 25;
        cr_expect_eq(receipt_text_format(&in, &text, NULL), -EINVAL);
        in = sample();
        in.issue_date = (Date) { 2026, 13, 1 };
        cr_expect_eq(receipt_text_format(&in, &text, NULL), -EINVAL);
        cr_expect_null(text);
}
