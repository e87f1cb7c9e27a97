/* test_summary.c — the bilan's quantitative summary CSV (BG-24): exact
 * content, the cap rows, quoting and formula neutralisation, file name
 * limits. */
#include <criterion/criterion.h>

#include "render_fixture.h"
#include "summary.h"

static char *summary_of(const char *bilan, size_t *ret_size) {
        _cleanup_(proration_freep) Proration *p = NULL;
        char *csv = NULL;
        Fixture f;

        fixture_load(&f, bilan);
        cr_assert_eq(proration_compute(f.convention, f.bilan, &p, NULL), 0);
        cr_assert_eq(summary_csv(f.convention, f.bilan, p, &csv, ret_size), 0);
        fixture_done(&f);
        return csv;
}

Test(summary, partial_exact) {
        size_t size;
        _cleanup_(freep) char *csv = summary_of("partial", &size);
        const char *expected =
                "\xEF\xBB\xBF"
                "Article;Action;Libellé;Objectif;Réalisé;Retenu;Montant (EUR)\r\n"
                "1;geometiers;Accès annuel à la plateforme Géométiers Occitanie;1;1;1;500,00\r\n"
                "2;dev-durable;Accompagnement de 5 entreprises (labels environnementaux, visites énergie);5;4;4;2000,00\r\n"
                "3;animation;Préparation et animation de deux réunions thématiques;2;1;1;500,00\r\n"
                ";;Total avant plafond;;;;3000,00\r\n"
                ";;Plafond de la convention;;;;4000,00\r\n"
                ";;Total facturé HT;;;;3000,00\r\n";

        cr_expect_str_eq(csv, expected);
        cr_expect_eq(size, strlen(expected));
}

Test(summary, zero_actions_and_cap_rows) {
        size_t size;
        _cleanup_(freep) char *over = summary_of("over-target", &size);
        _cleanup_(freep) char *capped = summary_of("capped", &size);

        cr_expect_not_null(strstr(over, "\r\n1;geometiers;Accès annuel à la plateforme Géométiers Occitanie;1;0;0;0,00\r\n"));
        cr_expect_not_null(strstr(over, ";5;7;5;2500,00\r\n"));
        cr_expect_null(strstr(over, "Remise"));
        cr_expect_not_null(strstr(capped, ";;Total avant plafond;;;;4000,00\r\n"
                                          ";;Plafond de la convention;;;;3000,00\r\n"
                                          ";;Remise (plafond);;;;-1000,00\r\n"
                                          ";;Total facturé HT;;;;3000,00\r\n"));
}

Test(summary, quoting_and_formulas) {
        ConventionAction actions[] = {
                { .id = (char *) "a", .article = (char *) "1", .label = (char *) "Un; deux \"trois\"", .target = 1 },
                { .id = (char *) "b", .article = (char *) "2", .label = (char *) "=HYPERLINK(\"x\")", .target = 2 },
                { .id = (char *) "c", .article = (char *) "3", .label = (char *) "ligne\nsuivante", .target = 3 },
        };
        Convention c = { .id = (char *) "C", .cap = 100, .actions = actions, .n_actions = 3 };
        Bilan b = { .convention_id = (char *) "C" };
        ProrationLine lines[] = {
                { .action = &actions[0], .realised = 1, .counted = 1, .amount = 50 },
                { .action = &actions[1], .realised = 0, .counted = 0, .amount = 0 },
                { .action = &actions[2], .realised = 3, .counted = 3, .amount = 50 },
        };
        Proration p = { .lines = lines, .n_lines = 3, .total_before_cap = 100, .total = 100 };
        _cleanup_(freep) char *csv = NULL;
        size_t size;

        cr_assert_eq(summary_csv(&c, &b, &p, &csv, &size), 0);
        cr_expect_not_null(strstr(csv, "\r\n1;a;\"Un; deux \"\"trois\"\"\";1;1;1;0,50\r\n"));
        cr_expect_not_null(strstr(csv, "\r\n2;b;\"'=HYPERLINK(\"\"x\"\")\";2;0;0;0,00\r\n"));
        cr_expect_not_null(strstr(csv, "\r\n3;c;\"ligne\nsuivante\";3;3;3;0,50\r\n"));

        p.n_lines = 2; /* not one line per action */
        cr_expect_eq(summary_csv(&c, &b, &p, &csv, &size), -EINVAL);
        p.n_lines = 3;
        b.convention_id = (char *) "D";
        cr_expect_eq(summary_csv(&c, &b, &p, &csv, &size), -EINVAL);
}

Test(summary, filename) {
        char buf[SUMMARY_FILENAME_MAX + 1];

        cr_assert_eq(summary_filename("CMA34-2026-0001", buf), 0);
        cr_expect_str_eq(buf, "bilan-CMA34-2026-0001.csv");
        cr_assert_eq(summary_filename("PREVIEW", buf), 0);
        cr_expect_str_eq(buf, "bilan-PREVIEW.csv");
        cr_assert_eq(summary_filename("A/B C", buf), 0);
        cr_expect_str_eq(buf, "bilan-A_B_C.csv");
        /* 6 + 40 + 4 = 50: the limit, extension included */
        cr_expect_eq(summary_filename("0123456789012345678901234567890123456789", buf), 0);
        cr_expect_eq(strlen(buf), 50u);
        cr_expect_eq(summary_filename("01234567890123456789012345678901234567890", buf), -ENAMETOOLONG);
        cr_expect_eq(summary_filename("", buf), -ENAMETOOLONG);
}

Test(summary, description) {
        _cleanup_(freep) char *s = NULL;
        Fixture f;

        fixture_load(&f, "complete");
        s = summary_description(f.convention, f.bilan);
        cr_expect_str_eq(s, "Bilan quantitatif de la convention CDCMC-2026, transmis le 10 décembre 2026 : "
                            "réalisé par action");
        fixture_done(&f);
}
