/* ctl_validate.c — `chorusctl validate [-c FILE] BILAN…`: checks bilans
 * against their conventions and prints, for each, the lines and totals the
 * invoice would carry (domain.md §4), or every problem found.
 *
 * Nothing is sent and no number is allocated: this is the administrator's
 * dry run (and the bilan author's, with --french). Dates after the issue
 * date (today unless --issue-date) plus [invoice] clock_tolerance_days are
 * refused as chorusd refuses them (bilan_check_not_future, the daemon's
 * own check). Bilan files are read like
 * the spool reads them: no symlinks, regular files only, at most
 * BILAN_FILE_MAX bytes, JSON or workbook (bilan_input.h). Exit status: 0 all valid, 65 a bilan is invalid
 * (or too large), 66 a bilan is missing or not a readable regular file, 74
 * it cannot be read, 64 usage error, 78 the configuration or conventions
 * do not load, 70 out of memory; with several bilans, the highest. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libgen.h>
#include <sys/stat.h>

#include "base/date.h"
#include "core/bilan.h"
#include "core/bilan_input.h"
#include "ctl/ctl.h"
#include "core/error_report.h"
#include "base/fileio.h"
#include "base/money.h"
#include "core/proration.h"
#include "service/spool.h"
#include "service/convention_dir.h"

/* Stands for the reference chorusd gives a bilan when it takes it from
 * incoming/ (jobstate.h's shape), which a dry run cannot know. */
#define VALIDATE_JOB_ID_PLACEHOLDER "AAAAMMJJ-HHMMSS-xxxxxxxx"

typedef struct ValidateOptions {
        const char *config_path;
        const char *conventions_dir; /* overrides the configuration's */
        bool french;
        Date issue_date;         /* dates after it (+ tolerance) are refused */
        unsigned tolerance_days; /* [invoice] clock_tolerance_days */
} ValidateOptions;

static void help(void) {
        printf("usage: chorusctl validate [-c FILE] [-C DIR] [--french] [--issue-date DATE] BILAN…\n"
               "\n"
               "Checks each bilan against its convention and prints the invoice lines and\n"
               "totals it would give. Nothing is sent to Chorus Pro, no number is allocated.\n"
               "A bilan is a JSON file or an .ods, .xlsx or .xlsm workbook, told by its content.\n"
               "A bilan or realisation dated after today (more than [invoice]\n"
               "clock_tolerance_days) is refused, as chorusd refuses it.\n"
               "\n"
               "  -c, --config FILE       main configuration (default %s)\n"
               "  -C, --conventions DIR   read the conventions from DIR instead of the\n"
               "                          configuration's [conventions] dir (the\n"
               "                          configuration file is then not read, and the\n"
               "                          tolerance is its default)\n"
               "  -d, --issue-date DATE   check the dates as if the invoice were issued on\n"
               "                          DATE (YYYY-MM-DD; default: today)\n"
               "      --french            for an invalid bilan, print the text of the error\n"
               "                          file chorusd would write in rejected/ for its\n"
               "                          authors (its reference, given at intake, shown\n"
               "                          as " VALIDATE_JOB_ID_PLACEHOLDER ")\n"
               "  -h, --help              show this help\n"
               "\n"
               "Exit status: 0 every bilan is valid, 65 at least one is invalid,\n"
               "66 a bilan is missing or unreadable, 74 I/O error, 64 usage error,\n"
               "78 the configuration or conventions do not load; the highest wins.\n",
               CONFIG_DEFAULT_PATH);
}

/* Returns -1 to go on, or an exit status. */
static int parse_options(int argc, char *argv[], ValidateOptions *o) {
        enum { ARG_FRENCH = 0x100 };
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "conventions", required_argument, NULL, 'C' },
                { "french", no_argument, NULL, ARG_FRENCH },
                { "issue-date", required_argument, NULL, 'd' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        optind = 0; /* full reinitialisation: argv[0] is the command name */
        while ((c = getopt_long(argc, argv, "c:C:d:h", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        o->config_path = optarg;
                        break;
                case 'C':
                        o->conventions_dir = optarg;
                        break;
                case ARG_FRENCH:
                        o->french = true;
                        break;
                case 'd':
                        if (date_parse(optarg, &o->issue_date) < 0)
                                return ctl_usage_error("validate", "--issue-date takes a date YYYY-MM-DD");
                        break;
                case 'h':
                        help();
                        return CTL_EXIT_OK;
                default:
                        return ctl_usage_error("validate", "invalid option");
                }
        if (optind >= argc)
                return ctl_usage_error("validate", "no bilan given");
        return -1;
}

/* [invoice] clock_tolerance_days's default, from the configuration's own
 * table: -C reads no configuration. */
static unsigned default_tolerance_days(void) {
        const char *section, *def, *name;
        bool required;

        for (size_t i = 0; (name = config_key_at(i, &section, &def, &required)); i++)
                if (streq(section, "invoice") && streq(name, "clock_tolerance_days") && def)
                        return (unsigned) strtoul(def, NULL, 10);
        return 0;
}

static int load_conventions(ValidateOptions *o, ConventionSet **ret) {
        _cleanup_(config_freep) Config *config = NULL;
        Diagnostics diags = DIAGNOSTICS_INIT;
        int r;

        o->tolerance_days = default_tolerance_days();
        if (!o->conventions_dir) {
                r = ctl_load_config(o->config_path, &config);
                if (r < 0)
                        return ctl_exit_config(r);
                o->tolerance_days = config->invoice.clock_tolerance_days;
                r = ctl_load_conventions(config, ret);
                return r < 0 ? ctl_exit_config(r) : CTL_EXIT_OK;
        }
        r = convention_set_load_dir(o->conventions_dir, ret, &diags);
        diagnostics_print(&diags, stderr, /* french= */ false);
        diagnostics_clear(&diags);
        if (r < 0 && r != -EINVAL)
                fprintf(stderr, "chorusctl validate: cannot read conventions in '%s': %s\n", o->conventions_dir,
                        strerror(-r));
        return r < 0 ? ctl_exit_config(r) : CTL_EXIT_OK;
}

static int max_int(int a, int b) {
        return a > b ? a : b;
}

/* "5 × 500.00" or "1 × 333.33": how the line is invoiced. */
static void format_invoiced(const ProrationLine *l, char *buf, size_t size) {
        char price[MONEY_DECIMAL_MAX];

        snprintf(buf, size, "%" PRId64 " × %s", l->invoiced_quantity, money_format(l->unit_price, price));
}

static void print_proration(const Convention *c, const Proration *p) {
        int w = (int) strlen("action");
        char amount[MONEY_DECIMAL_MAX], invoiced[64], cap_label[64];

        for (size_t i = 0; i < p->n_lines; i++)
                w = max_int(w, (int) strlen(p->lines[i].action->id));
        printf("  %-*s  %-7s  %6s  %8s  %14s  %s\n", w, "action", "article", "target", "realised", "amount",
               "invoiced as");
        for (size_t i = 0; i < p->n_lines; i++) {
                const ProrationLine *l = &p->lines[i];

                format_invoiced(l, invoiced, sizeof invoiced);
                printf("  %-*s  %-7s  %6" PRId64 "  %8" PRId64 "  %14s  %s%s\n", w, l->action->id,
                       l->action->article, l->action->target, l->realised, money_format(l->amount, amount),
                       proration_line_is_invoiced(l) ? invoiced
                       : l->counted > 0             ? "(rounds to 0.00: not on the invoice)"
                                                    : "(not on the invoice)",
                       l->realised > l->action->target ? "  (capped at target)" : "");
        }
        snprintf(cap_label, sizeof cap_label, "cap allowance (cap %s)", money_format(c->cap, amount));
        printf("  %-*s  %14s\n", w + 27, "total before cap", money_format(p->total_before_cap, amount));
        printf("  %-*s  %14s%s\n", w + 27, cap_label, money_format(p->cap_allowance, amount),
               p->cap_allowance > 0 ? "  (\"" PRORATION_CAP_REASON "\")" : "");
        printf("  %-*s  %14s\n", w + 27, "total", money_format(p->total, amount));
}

/* Prints the rejected/…error.txt chorusd would write for the bilan `path`
 * dropped in incoming/ under its own name. */
static int print_error_file(const char *path, const Diagnostics *d) {
        _cleanup_(freep) char *copy = strdup(path), *text = NULL;
        char spool_name[SPOOL_NAME_MAX];
        const char *name;
        size_t size;
        int r;

        if (!copy)
                return -ENOMEM;
        name = basename(copy);
        spool_bilan_name(VALIDATE_JOB_ID_PLACEHOLDER, name, spool_name);
        r = error_report_format(name, spool_name, VALIDATE_JOB_ID_PLACEHOLDER, d, &text, &size);
        if (r < 0)
                return r;
        fwrite(text, 1, size, stdout);
        return 0;
}

/* --french for a bilan over the size limit: the error file spool.c writes. */
static int print_too_large(const char *path) {
        _cleanup_(diagnostics_clear) Diagnostics d = DIAGNOSTICS_INIT;
        _cleanup_(freep) char *copy = strdup(path);
        struct stat st = {};

        if (!copy)
                return -ENOMEM;
        (void) stat(path, &st);
        if (spool_unreadable_diag(&d, basename(copy), -EFBIG, (uint64_t) st.st_size, BILAN_FILE_MAX) < 0)
                return -ENOMEM;
        return print_error_file(path, &d);
}

/* Validates one bilan file. Returns its exit status. */
static int validate_one(const char *path, const ConventionSet *conventions, const ValidateOptions *o) {
        bool french = o->french;
        _cleanup_(proration_freep) Proration *p = NULL;
        _cleanup_(bilan_freep) Bilan *b = NULL;
        _cleanup_(freep) char *data = NULL;
        Diagnostics diags = DIAGNOSTICS_INIT;
        const Convention *c = NULL;
        size_t size = 0;
        int r;

        r = read_file_bounded(path, BILAN_FILE_MAX, &data, &size);
        if (r == -EFBIG && french) {
                if (print_too_large(path) >= 0)
                        return CTL_EXIT_DATAERR;
                fprintf(stderr, "chorusctl validate: out of memory\n");
                return CTL_EXIT_SOFTWARE;
        }
        if (r == -EFBIG)
                printf("%s: INVALID: larger than %d bytes\n", path, BILAN_FILE_MAX);
        else if (r == -ELOOP)
                fprintf(stderr, "chorusctl validate: '%s' is a symbolic link; give the file itself\n", path);
        else if (r == -EISDIR || r == -EBADFD)
                fprintf(stderr, "chorusctl validate: '%s' is not a regular file\n", path);
        else if (r < 0)
                fprintf(stderr, "chorusctl validate: cannot read '%s': %s\n", path, strerror(-r));
        if (r < 0)
                return r == -EFBIG ? CTL_EXIT_DATAERR : ctl_exit_input(r);

        r = bilan_read(path, data, size, conventions, &b, &c, &diags);
        /* As chorusd (step_validate): no invoice issued before what it invoices. */
        if (r >= 0)
                r = bilan_check_not_future(b, o->issue_date, o->tolerance_days, &diags);
        if (r >= 0)
                r = proration_compute(c, b, &p, &diags);
        /* The daemon's error file, exactly; the bilan's authors read it. */
        if (r < 0 && r != -ENOMEM && french)
                r = print_error_file(path, &diags) < 0 ? -ENOMEM : -EINVAL;
        if (r == -ENOMEM) {
                diagnostics_clear(&diags);
                fprintf(stderr, "chorusctl validate: out of memory\n");
                return CTL_EXIT_SOFTWARE;
        }
        if (r < 0 && french) {
                diagnostics_clear(&diags);
                return CTL_EXIT_DATAERR;
        }
        if (r < 0)
                printf("%s: INVALID (%zu error%s)\n", path, diags.n_errors, diags.n_errors == 1 ? "" : "s");
        else {
                printf("%s: valid, convention %s — %s\n", path, c->id, c->title);
                print_proration(c, p);
        }
        diagnostics_print(&diags, stdout, french);
        diagnostics_clear(&diags);
        return r < 0 ? CTL_EXIT_DATAERR : CTL_EXIT_OK;
}

int ctl_validate(int argc, char *argv[]) {
        _cleanup_(convention_set_freep) ConventionSet *conventions = NULL;
        ValidateOptions o = { .issue_date = date_from_time(time(NULL)) };
        int r, status = CTL_EXIT_OK;

        r = parse_options(argc, argv, &o);
        if (r >= 0)
                return r;
        r = load_conventions(&o, &conventions);
        if (r != CTL_EXIT_OK)
                return r;
        for (int i = optind; i < argc; i++) {
                if (i > optind)
                        printf("\n");
                status = max_int(status, validate_one(argv[i], conventions, &o));
        }
        return status;
}
