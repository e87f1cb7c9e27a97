/* ctl_template.c — `chorusctl template`: the ready-to-fill workbook of one
 * convention (writers/bilan_template.h), for the staff.
 *
 * The format comes from --format, else from the extension of -o FILE
 * (.ods or .xlsx), else xlsx. Without -o the file is
 * ./modele-bilan-CONVENTION.EXT; "-o -" writes to stdout. The file is
 * written atomically (temp file, fsync, rename) with mode 0644: it is meant
 * to be handed round. The Auteur cell is prefilled with [seller] name, the
 * date of the bilan is today's.
 * Exit status: 0 written, 64 usage error (an unknown convention too: the
 * known ones are listed), 74 the output cannot be written, 70 internal
 * error, 78 a configuration or conventions.d/ that does not load. */
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <strings.h>
#include <time.h>

#include "base/fsutil.h"
#include "ctl/ctl.h"
#include "writers/bilan_template.h"

#define COMMAND "template"
#define TEMPLATE_FILE_MODE 0644

typedef struct TemplateArgs {
        const char *config_path;
        const char *convention;
        const char *output;
        int format; /* WorkbookFormat, or -1: not given */
} TemplateArgs;

static void template_help(void) {
        printf("usage: chorusctl template [-c FILE] CONVENTION [-o FILE.ods|FILE.xlsx] [--format ods|xlsx]\n"
               "\n"
               "Writes the workbook the staff fill in for CONVENTION: a sheet 'Mode d'emploi',\n"
               "the sheet 'Bilan' prefilled (convention, period, date, author = [seller] name),\n"
               "the sheet 'Realisations' with its header and drop-down lists of the\n"
               "convention's actions and kinds. Saved and dropped into incoming/, it is a bilan.\n"
               "\n"
               "  -c, --config FILE    configuration (default %s)\n"
               "  -o, --output FILE    where to write it ('-' for stdout; default\n"
               "                       ./modele-bilan-CONVENTION.xlsx)\n"
               "  -f, --format FORMAT  ods or xlsx (default: from the extension of FILE, else xlsx)\n"
               "  -h, --help           this help\n"
               "\n"
               "Exit status: 0 written, 64 usage error or unknown convention, 74 the output\n"
               "cannot be written, 70 internal error, 78 the configuration or conventions do\n"
               "not load.\n",
               CONFIG_DEFAULT_PATH);
}

static int format_from_string(const char *s) {
        if (strcasecmp(s, "ods") == 0)
                return WORKBOOK_ODS;
        if (strcasecmp(s, "xlsx") == 0)
                return WORKBOOK_XLSX;
        return -1;
}

/* The format named by a file's extension, or -1. */
static int format_from_path(const char *path) {
        const char *dot = strrchr(path, '.');

        if (!dot || strchr(dot, '/'))
                return -1;
        return format_from_string(dot + 1);
}

/* Returns -1 to go on, or the exit status. */
static int template_parse_args(int argc, char *argv[], TemplateArgs *a) {
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "output", required_argument, NULL, 'o' },
                { "format", required_argument, NULL, 'f' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        *a = (TemplateArgs) { .format = -1 };
        optind = 0; /* a fresh scan, whatever ran before */
        while ((c = getopt_long(argc, argv, "c:o:f:h", options, NULL)) >= 0) {
                switch (c) {
                case 'c':
                        a->config_path = optarg;
                        break;
                case 'o':
                        a->output = optarg;
                        break;
                case 'f':
                        a->format = format_from_string(optarg);
                        if (a->format < 0)
                                return ctl_usage_error(COMMAND, "unknown format '%s' (ods or xlsx)", optarg);
                        break;
                case 'h':
                        template_help();
                        return CTL_EXIT_OK;
                default:
                        return ctl_usage_error(COMMAND, "invalid option");
                }
        }
        if (optind != argc - 1)
                return ctl_usage_error(COMMAND, "expected exactly one CONVENTION");
        a->convention = argv[optind];
        if (a->output && !streq(a->output, "-") && a->format < 0) {
                a->format = format_from_path(a->output);
                if (a->format < 0)
                        return ctl_usage_error(COMMAND, "cannot tell the format of '%s': name it .ods or .xlsx, "
                                                        "or give --format", a->output);
        }
        if (a->format < 0)
                a->format = WORKBOOK_XLSX;
        return -1;
}

/* Atomically replaces `path` (temp file in the same directory, fsync,
 * rename, directory fsync), or writes to stdout for "-". */
static int template_write_output(const char *path, const char *data, size_t size) {
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
        return write_file_atomic_full(dirfd, basename(base_copy), data, size, TEMPLATE_FILE_MODE, 0);
}

static int template_unknown_convention(const TemplateArgs *a, const ConventionSet *conventions) {
        char buf[CTL_PRINTABLE_MAX];

        fprintf(stderr, "chorusctl %s: unknown convention '%s'", COMMAND, ctl_printable(a->convention, buf));
        if (conventions->n_items == 0)
                fprintf(stderr, ": conventions.d/ holds none\n");
        else {
                fprintf(stderr, "; known:");
                for (size_t i = 0; i < conventions->n_items; i++)
                        fprintf(stderr, "%s %s", i > 0 ? "," : "", conventions->items[i]->id);
                fputc('\n', stderr);
        }
        return CTL_EXIT_USAGE;
}

static int template_run(const TemplateArgs *a, const Config *config, const ConventionSet *conventions) {
        _cleanup_(freep) char *data = NULL, *default_path = NULL;
        const Convention *c;
        const char *output = a->output;
        TemplateInfo info;
        size_t size;
        int r;

        c = convention_set_find(conventions, a->convention);
        if (!c)
                return template_unknown_convention(a, conventions);

        info = (TemplateInfo) { .author = config->seller.name, .today = date_from_time(time(NULL)) };
        r = bilan_template_write(c, &info, (WorkbookFormat) a->format, &data, &size);
        if (r < 0) {
                fprintf(stderr, "chorusctl %s: cannot make the template of '%s': %s\n", COMMAND, c->id, strerror(-r));
                return CTL_EXIT_SOFTWARE;
        }
        if (!output) {
                /* Convention ids are [A-Za-z0-9._-]: a file name as it is. */
                if (asprintf(&default_path, "%s%s%s", BILAN_TEMPLATE_PREFIX, c->id,
                             bilan_template_extension((WorkbookFormat) a->format)) < 0) {
                        default_path = NULL;
                        fprintf(stderr, "chorusctl %s: out of memory\n", COMMAND);
                        return CTL_EXIT_SOFTWARE;
                }
                output = default_path;
        }
        r = template_write_output(output, data, size);
        if (r < 0) {
                fprintf(stderr, "chorusctl %s: cannot write '%s': %s\n", COMMAND, output, strerror(-r));
                return ctl_exit_output(r);
        }
        fprintf(streq(output, "-") ? stderr : stdout, "template of convention %s written to %s (%s)\n", c->id,
                streq(output, "-") ? "stdout" : output, a->format == WORKBOOK_ODS ? "ods" : "xlsx");
        return CTL_EXIT_OK;
}

int ctl_template(int argc, char *argv[]) {
        _cleanup_(config_freep) Config *config = NULL;
        _cleanup_(convention_set_freep) ConventionSet *conventions = NULL;
        TemplateArgs a;
        int r;

        r = template_parse_args(argc, argv, &a);
        if (r >= 0)
                return r;
        r = ctl_load_config(a.config_path, &config);
        if (r < 0)
                return ctl_exit_config(r);
        r = ctl_load_conventions(config, &conventions);
        if (r < 0)
                return ctl_exit_config(r);
        return template_run(&a, config, conventions);
}
