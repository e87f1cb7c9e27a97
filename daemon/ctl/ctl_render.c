/* ctl_render.c — `chorusctl render`: preview the invoice of a bilan.
 *
 * Runs the daemon's own pipeline (render.h) on a bilan file, with the number
 * "PREVIEW" unless --number is given: it allocates no number and talks to
 * nobody. The bilan is validated first and every diagnostic printed. The
 * output is written atomically (temp file, fsync, rename), or to stdout with
 * "-o -". With --bilan-report it writes, instead of the invoice, the bilan
 * report PDF that the invoice carries as its supporting document (BG-24).
 * With --credit-of it writes instead the credit note (avoir, type 381)
 * that `chorusctl credit` would have chorusd issue for that invoice.
 * Exit status: 0 written, 65 the bilan is invalid, its total is zero or the
 * configuration cannot produce this invoice, 64 usage error (a format not
 * in this build too), 66 the bilan is missing or unreadable, 74 the output
 * cannot be written, 70 internal error, 78 a configuration or conventions.d/
 * that does not load (ctl_exit_config). */
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <time.h>

#include "service/convention_dir.h"
#include "core/bilan.h"
#include "core/bilan_input.h"
#include "writers/bilan_report.h"
#include "ctl/ctl.h"
#include "base/fileio.h"
#include "base/fsutil.h"
#include "base/money.h"
#include "writers/render.h"
#include "service/pdf_assets.h"

#define COMMAND "render"

typedef struct RenderArgs {
        const char *config_path;
        const char *bilan_path;
        const char *output;
        const char *number;
        InvoiceFormat format;
        Date issue_date;
        bool bilan_report;
        const char *credit_of;   /* --credit-of: the invoice a credit note cancels */
        Date credit_date;        /* --credit-date: its issue date */
        bool has_credit_date;
        const char *reason;
} RenderArgs;

static void render_help(void) {
        printf("usage: chorusctl render [-c FILE] BILAN -o OUT [--format ubl|cii|facturx]\n"
               "                        [--number N] [--issue-date YYYY-MM-DD] [--bilan-report]\n"
               "                        [--credit-of INVOICE [--credit-date YYYY-MM-DD] [--reason TEXT]]\n"
               "\n"
               "Validates BILAN against its convention and writes the invoice chorusd would\n"
               "deposit for it, without allocating a number or contacting Chorus Pro.\n"
               "\n"
               "  -c, --config FILE      configuration (default %s)\n"
               "  -o, --output OUT       where to write the invoice ('-' for stdout)\n"
               "  -f, --format FORMAT    ubl, cii or facturx (default: the convention's\n"
               "                         format, else [invoice] default_format)\n"
               "  -n, --number N         invoice number to print (default %s)\n"
               "  -d, --issue-date DATE  issue date (default: today)\n"
               "  -b, --bilan-report     write the bilan report PDF (the invoice's supporting\n"
               "                         document) instead of the invoice\n"
               "  -C, --credit-of INVOICE  write the credit note (avoir) cancelling invoice\n"
               "                         INVOICE of this bilan instead\n"
               "  -D, --credit-date DATE the issue date of INVOICE (default: the issue date)\n"
               "  -r, --reason TEXT      the reason the credit note gives\n"
               "  -h, --help             this help\n"
               "\n"
               "Exit status: 0 written, 65 invalid bilan, or a configuration that cannot\n"
               "produce this invoice, 64 usage error, 66 the bilan is missing or\n"
               "unreadable, 74 the output cannot be written, 70 internal error,\n"
               "78 the configuration or conventions do not load.\n",
               CONFIG_DEFAULT_PATH, RENDER_PREVIEW_NUMBER);
}

/* Returns -1 to go on, or the exit status. */
static int render_parse_args(int argc, char *argv[], RenderArgs *a) {
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "output", required_argument, NULL, 'o' },
                { "format", required_argument, NULL, 'f' },
                { "number", required_argument, NULL, 'n' },
                { "issue-date", required_argument, NULL, 'd' },
                { "bilan-report", no_argument, NULL, 'b' },
                { "credit-of", required_argument, NULL, 'C' },
                { "credit-date", required_argument, NULL, 'D' },
                { "reason", required_argument, NULL, 'r' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        *a = (RenderArgs) {
                .number = RENDER_PREVIEW_NUMBER,
                .format = _INVOICE_FORMAT_INVALID,
                .issue_date = date_from_time(time(NULL)),
        };
        optind = 0; /* a fresh scan, whatever ran before */
        while ((c = getopt_long(argc, argv, "c:o:f:n:d:bC:D:r:h", options, NULL)) >= 0) {
                switch (c) {
                case 'c':
                        a->config_path = optarg;
                        break;
                case 'o':
                        a->output = optarg;
                        break;
                case 'f':
                        a->format = invoice_format_from_string(optarg);
                        if (a->format < 0)
                                return ctl_usage_error(COMMAND, "unknown format '%s' (ubl, cii or facturx)", optarg);
                        break;
                case 'n':
                        if (isempty(optarg) || strlen(optarg) > INVOICE_NUMBER_MAX)
                                return ctl_usage_error(COMMAND, "invoice number must have 1 to %d characters",
                                                       INVOICE_NUMBER_MAX);
                        a->number = optarg;
                        break;
                case 'd':
                        if (date_parse(optarg, &a->issue_date) < 0)
                                return ctl_usage_error(COMMAND, "invalid issue date '%s' (YYYY-MM-DD)", optarg);
                        break;
                case 'b':
                        a->bilan_report = true;
                        break;
                case 'C':
                        if (isempty(optarg) || strlen(optarg) > INVOICE_NUMBER_MAX)
                                return ctl_usage_error(COMMAND, "invoice number must have 1 to %d characters",
                                                       INVOICE_NUMBER_MAX);
                        a->credit_of = optarg;
                        break;
                case 'D':
                        if (date_parse(optarg, &a->credit_date) < 0)
                                return ctl_usage_error(COMMAND, "invalid credit date '%s' (YYYY-MM-DD)", optarg);
                        a->has_credit_date = true;
                        break;
                case 'r':
                        if (isempty(optarg))
                                return ctl_usage_error(COMMAND, "empty --reason");
                        a->reason = optarg;
                        break;
                case 'h':
                        render_help();
                        return CTL_EXIT_OK;
                default:
                        return ctl_usage_error(COMMAND, "invalid option");
                }
        }
        if (optind != argc - 1)
                return ctl_usage_error(COMMAND, "expected exactly one BILAN file");
        if (!a->output)
                return ctl_usage_error(COMMAND, "missing -o OUT");
        if ((a->has_credit_date || a->reason) && !a->credit_of)
                return ctl_usage_error(COMMAND, "--credit-date and --reason need --credit-of");
        if (a->credit_of && streq(a->credit_of, a->number))
                return ctl_usage_error(COMMAND, "the credit note needs a number of its own (--number)");
        a->bilan_path = argv[optind];
        return -1;
}

/* Reads and validates the bilan, dates after the issue date (and the
 * clock tolerance) refused; prints every diagnostic. */
static int render_load_bilan(const char *path, const ConventionSet *conventions, Date issue_date,
                             unsigned tolerance_days, Bilan **ret, const Convention **ret_convention) {
        _cleanup_(freep) char *data = NULL;
        Diagnostics diags = DIAGNOSTICS_INIT;
        size_t size;
        int r;

        r = read_file_bounded(path, BILAN_FILE_MAX, &data, &size);
        if (r == -EFBIG) {
                fprintf(stderr, "%s: error: larger than %d bytes\n", path, BILAN_FILE_MAX);
                return CTL_EXIT_DATAERR;
        }
        if (r < 0) {
                fprintf(stderr, "chorusctl %s: cannot read '%s': %s\n", COMMAND, path, strerror(-r));
                return ctl_exit_input(r);
        }
        r = bilan_read(path, data, size, conventions, ret, ret_convention, &diags);
        /* As the daemon, against the invoice's issue date (today unless
         * --issue-date): no invoice issued before what it invoices. */
        if (r >= 0) {
                r = bilan_check_not_future(*ret, issue_date, tolerance_days, &diags);
                if (r < 0)
                        *ret = bilan_free(*ret);
        }
        diagnostics_print(&diags, stderr, /* french= */ false);
        diagnostics_clear(&diags);
        if (r == -ENOMEM) {
                fprintf(stderr, "chorusctl %s: out of memory\n", COMMAND);
                return CTL_EXIT_SOFTWARE;
        }
        if (r < 0 && convention_set_index_problems(conventions) > 0) {
                /* Its convention's file is broken: the administrator's to fix. */
                fprintf(stderr, "%s: no invoice written: its convention in conventions.d does not load\n", path);
                return CTL_EXIT_CONFIG;
        }
        if (r < 0) {
                fprintf(stderr, "%s: invalid bilan, no invoice written\n", path);
                return CTL_EXIT_DATAERR;
        }
        return CTL_EXIT_OK;
}

/* Atomically replaces `path` (temp file in the same directory, rename), or
 * writes to stdout for "-". Not synced: a preview is made again at will,
 * and two fsyncs were a tenth of a render's time (issue 14). */
static int render_write_output(const char *path, const char *data, size_t size) {
        _cleanup_(freep) char *dir_copy = NULL, *base_copy = NULL;
        _cleanup_(closep) int dirfd = -1;

        if (streq(path, "-"))
                return fwrite(data, 1, size, stdout) == size && fflush(stdout) == 0 ? 0 : -EIO;

        dir_copy = strdup(path);
        base_copy = strdup(path);
        if (!dir_copy || !base_copy)
                return -ENOMEM;
        dirfd = fs_open_dir(AT_FDCWD, dirname(dir_copy), /* create= */ false);
        if (dirfd < 0)
                return dirfd;
        return write_file_atomic_full(dirfd, basename(base_copy), data, size, WRITE_FILE_MODE,
                                      WRITE_FILE_NO_SYNC);
}

static void render_print_summary(const RenderArgs *a, const RenderedInvoice *out) {
        char total[MONEY_DECIMAL_MAX], before[MONEY_DECIMAL_MAX];
        const Invoice *inv = out->invoice;
        FILE *f = streq(a->output, "-") ? stderr : stdout;

        fprintf(f, "%s %s %s written to %s: %zu line(s), total %s %s", invoice_format_to_string(out->format),
                inv->preceding_number ? "credit note" : "invoice", inv->number,
                streq(a->output, "-") ? "stdout" : a->output, inv->n_lines,
                money_format(inv->payable, total), inv->currency);
        if (out->proration->cap_allowance > 0)
                fprintf(f, " (capped from %s)", money_format(out->proration->total_before_cap, before));
        if (inv->preceding_number)
                fprintf(f, ", cancelling invoice %s", inv->preceding_number);
        fputc('\n', f);
}

/* Writes the bilan report exactly as the invoice carries it. */
static int render_write_bilan_report(const RenderArgs *a, const RenderedInvoice *out) {
        const Invoice *inv = out->invoice;
        int r;

        for (size_t i = 0; i < inv->n_attachments; i++) {
                const InvoiceAttachment *att = &inv->attachments[i];

                if (!streq(att->mime, BILAN_REPORT_MIME))
                        continue;
                r = render_write_output(a->output, (const char *) att->data, att->size);
                if (r < 0) {
                        fprintf(stderr, "chorusctl %s: cannot write '%s': %s\n", COMMAND, a->output, strerror(-r));
                        return ctl_exit_output(r);
                }
                fprintf(streq(a->output, "-") ? stderr : stdout, "bilan report %s of invoice %s written to %s\n",
                        att->filename, inv->number, streq(a->output, "-") ? "stdout" : a->output);
                return CTL_EXIT_OK;
        }
        fprintf(stderr, "chorusctl %s: the %s invoice carries no bilan report\n", COMMAND,
                invoice_format_to_string(out->format));
        return CTL_EXIT_SOFTWARE;
}

static int render_run(const RenderArgs *a, const Config *config, const ConventionSet *conventions) {
        _cleanup_(bilan_freep) Bilan *bilan = NULL;
        _cleanup_(rendered_invoice_freep) RenderedInvoice *out = NULL;
        _cleanup_(pdf_assets_freep) PdfAssets *assets = NULL;
        Diagnostics diags = DIAGNOSTICS_INIT;
        const Convention *convention = NULL;
        RenderRequest req;
        InvoiceCreditRef credit = {
                .invoice_number = a->credit_of,
                .invoice_date = a->has_credit_date ? a->credit_date : a->issue_date,
                .reason = a->reason ?: "Aperçu d'avoir",
        };
        bool explained;
        int r;

        r = render_load_bilan(a->bilan_path, conventions, a->issue_date, config->invoice.clock_tolerance_days,
                              &bilan, &convention);
        if (r != CTL_EXIT_OK)
                return r;

        r = pdf_assets_load(&assets);
        if (r < 0) {
                fprintf(stderr, "chorusctl %s: cannot render '%s': %s\n", COMMAND, a->bilan_path, strerror(-r));
                return CTL_EXIT_SOFTWARE;
        }
        req = (RenderRequest) {
                .config = config,
                .convention = convention,
                .bilan = bilan,
                .number = a->number,
                .issue_date = a->issue_date,
                .format = a->format,
                .pdf_assets = assets,
                .credit = a->credit_of ? &credit : NULL,
        };
        r = render_invoice(&req, &out, &diags);
        explained = diagnostics_has_errors(&diags);
        diagnostics_print(&diags, stderr, /* french= */ false);
        diagnostics_clear(&diags);
        if ((r == -EDOM || r == -EINVAL) && explained) {
                fprintf(stderr, "%s: not invoiced, no invoice written\n", a->bilan_path);
                return CTL_EXIT_DATAERR;
        }
        if (r == -EOPNOTSUPP)
                return CTL_EXIT_USAGE;
        if (r < 0) {
                fprintf(stderr, "chorusctl %s: cannot render '%s': %s\n", COMMAND, a->bilan_path, strerror(-r));
                return CTL_EXIT_SOFTWARE;
        }

        if (a->bilan_report)
                return render_write_bilan_report(a, out);
        r = render_write_output(a->output, out->data, out->size);
        if (r < 0) {
                fprintf(stderr, "chorusctl %s: cannot write '%s': %s\n", COMMAND, a->output, strerror(-r));
                return ctl_exit_output(r);
        }
        render_print_summary(a, out);
        return CTL_EXIT_OK;
}

int ctl_render(int argc, char *argv[]) {
        _cleanup_(config_freep) Config *config = NULL;
        _cleanup_(convention_set_freep) ConventionSet *conventions = NULL;
        RenderArgs a;
        int r;

        r = render_parse_args(argc, argv, &a);
        if (r >= 0)
                return r;
        r = ctl_load_config(a.config_path, &config);
        if (r < 0)
                return ctl_exit_config(r);
        /* Only the bilan's convention is read (issue 14: start-up). */
        r = ctl_index_conventions(config, &conventions);
        if (r < 0)
                return ctl_exit_config(r);
        return render_run(&a, config, conventions);
}
