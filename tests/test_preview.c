/* test_preview.c — what a person approving an invoice sees
 * ([invoice] approval = required): the preview PDF (render_preview: the
 * invoice pages, then the bilan report, each marked « APERÇU — facture non
 * émise », no number) and the French summary (approval_text). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/money.h"
#include "core/approval_text.h"
#include "render_fixture.h"

/* Runs `command` (with %s the path of a file holding data); -1 if the tool
 * is not installed. */
static int run_tool(const char *tool, const char *command, const char *data, size_t size, char **ret_output) {
        char path[] = "/tmp/chorusd-preview-XXXXXX", cmd[512];
        char *out = NULL;
        size_t out_size = 0;
        FILE *f, *p, *o;
        int fd, status;

        snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
        if (system(cmd) != 0)
                return -1;
        fd = mkstemp(path);
        cr_assert_geq(fd, 0);
        f = fdopen(fd, "w");
        cr_assert_not_null(f);
        cr_assert_eq(fwrite(data, 1, size, f), size);
        cr_assert_eq(fclose(f), 0);
        snprintf(cmd, sizeof cmd, command, path);
        p = popen(cmd, "r");
        cr_assert_not_null(p);
        o = open_memstream(&out, &out_size);
        cr_assert_not_null(o);
        for (int c; (c = fgetc(p)) != EOF;)
                fputc(c, o);
        cr_assert_eq(fclose(o), 0);
        status = pclose(p);
        unlink(path);
        *ret_output = out;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static RenderedInvoice *preview(Fixture *f) {
        RenderedInvoice *out = NULL;
        Diagnostics diags = DIAGNOSTICS_INIT;
        RenderRequest req = fixture_request(f, _INVOICE_FORMAT_INVALID);
        int r;

        req.number = RENDER_UNNUMBERED;
        r = render_preview(&req, &out, &diags);
        diagnostics_print(&diags, stderr, false);
        diagnostics_clear(&diags);
        cr_assert_eq(r, 0, "render_preview: %s", strerror(-r));
        return out;
}

Test(preview, invoice_then_report_marked_on_every_page) {
        _cleanup_(rendered_invoice_freep) RenderedInvoice *out = NULL;
        _cleanup_(freep) char *text = NULL, *check = NULL, *qdf = NULL;
        size_t pages = 0, marks = 0;
        Fixture f;

        fixture_load(&f, "capped");
        out = preview(&f);
        cr_assert_geq(out->size, 5);
        cr_expect_eq(memcmp(out->data, "%PDF-", 5), 0);
        cr_expect_null(out->filename);
        cr_expect_str_eq(out->invoice->number, RENDER_UNNUMBERED);
        cr_expect_eq(out->invoice->payable, 300000);
        if (run_tool("qpdf", "qpdf --check %s 2>&1", out->data, out->size, &check) >= 0)
                cr_expect(strstr(check, "No syntax or stream encoding errors"), "%s", check);
        /* The mark is diagonal: pdftotext leaves it out, so count it in
         * the page contents, uncompressed by qpdf (its rotated text matrix). */
        if (run_tool("qpdf", "qpdf --qdf --object-streams=disable %s - | grep -ac '/Type /Page$'", out->data,
                     out->size, &qdf) >= 0) {
                pages = strtoul(qdf, NULL, 10);
                free(qdf);
                qdf = NULL;
                cr_assert_geq(run_tool("qpdf", "qpdf --qdf --object-streams=disable %s - | grep -ac ' -0.82 0.58 .* Tm$'",
                                       out->data, out->size, &qdf), 0);
                marks = strtoul(qdf, NULL, 10);
                cr_expect_geq(pages, 2, "the invoice and the report: %zu pages", pages);
                cr_expect_eq(marks, pages, "%zu marks on %zu pages", marks, pages);
        }
        if (run_tool("pdftotext", "pdftotext %s - 2>&1", out->data, out->size, &text) < 0) {
                fixture_done(&f);
                cr_skip_test("pdftotext is not installed");
        }
        cr_expect(strstr(text, "FACTURE"), "%s", text);
        cr_expect(strstr(text, "(non attribué)"), "no number is shown:\n%s", text);
        cr_expect(strstr(text, "Bilan d'exécution"), "the bilan report is missing:\n%s", text);
        fixture_done(&f);
}

Test(preview, summary_in_french) {
        _cleanup_(rendered_invoice_freep) RenderedInvoice *out = NULL;
        _cleanup_(freep) char *text = NULL;
        size_t size;
        Fixture f;

        fixture_load(&f, "capped");
        out = preview(&f);
        cr_assert_eq(approval_text(&(ApprovalTextInput) {
                .job_id = "20261210-143000-0a1b2c3d",
                .bilan_name = "bilan\tdécembre.json",
                .preview_name = "20261210-143000-0a1b2c3d.apercu.pdf",
                .convention = f.convention,
                .bilan = f.bilan,
                .invoice = out->invoice,
        }, &text, &size), 0);
        cr_expect_eq(strlen(text), size);
        cr_expect(strstr(text, "APERÇU — FACTURE NON ÉMISE"), "%s", text);
        cr_expect(strstr(text, "Bilan                    : bilan décembre.json\n"), "controls made spaces:\n%s", text);
        cr_expect(strstr(text, f.bilan->author), "the author is missing:\n%s", text);
        cr_expect(strstr(text, f.convention->id), "%s", text);
        cr_expect(strstr(text, out->invoice->buyer.name), "%s", text);
        char total[MONEY_FRENCH_MAX + 64], cap[MONEY_FRENCH_MAX + 64], money[MONEY_FRENCH_MAX];
        snprintf(total, sizeof total, "Total à payer (TTC)      : %s\n", money_format_french(300000, true, money));
        snprintf(cap, sizeof cap, "Remise « Plafond de la convention » : −%s\n", money_format_french(100000, true, money));
        cr_expect(strstr(text, total), "%s", text);
        cr_expect(strstr(text, cap), "%s", text);
        cr_expect(strstr(text, "chorusctl approve 20261210-143000-0a1b2c3d"), "%s", text);
        cr_expect(strstr(text, "chorusctl cancel 20261210-143000-0a1b2c3d"), "%s", text);
        for (size_t i = 0; i < out->invoice->n_lines; i++)
                cr_expect(strstr(text, out->invoice->lines[i].description), "line %zu missing", i + 1);
        cr_expect_eq(approval_text(&(ApprovalTextInput) { .job_id = "x" }, &text, &size), -EINVAL);
        fixture_done(&f);
}
