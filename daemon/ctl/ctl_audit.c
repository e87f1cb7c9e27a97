/* ctl_audit.c — `chorusctl audit verify|init`.
 *
 * verify checks the audit log's whole hash chain (audit_verify_full): the
 * macs under the audit key when it can be read, and with --journal each
 * record against the seq and head the daemon sent to the journal when it
 * wrote it. It says "audit log OK" or names the first broken record.
 *
 * init writes a new audit key (32 random bytes as 64 hex digits, mode
 * 0600) where chorusd looks for it, and never overwrites one.
 *
 * The log is STATE_DIR/audit.log from the configuration, or --file PATH
 * (then no configuration is read: handy on a copy of the log).
 *
 * Exit status: 0 the chain is whole (a last line cut by a crash is
 * accepted and reported) / the key was written, 65 the chain is broken,
 * 64 usage error, 66 the log is not there or not readable, 74 it cannot
 * be read, 73 a key exists already (init), 78 the configuration or the
 * key does not load. */
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>

#include "service/audit.h"
#include "chorus/credentials.h"
#include "ctl/ctl.h"

typedef struct AuditOptions {
        const char *config;
        const char *file;
        const char *key;
        bool journal;
        const char *journal_directory;
        const char *command;
} AuditOptions;

static void help(void) {
        printf("usage: chorusctl audit verify [-c FILE] [--file PATH] [--key PATH] [--journal]\n"
               "       chorusctl audit init [-c FILE] [--key PATH]\n"
               "\n"
               "verify checks the audit log from the first record to the last: each record\n"
               "must follow the previous one (seq + 1) and carry the SHA-256 of the previous\n"
               "line, and from the first keyed record on an HMAC-SHA256 \"mac\" under the\n"
               "audit key. Prints \"audit log OK\" or the first broken record.\n"
               "init writes a new random audit key (mode 0600); it never replaces one.\n"
               "\n"
               "  -c, --config FILE   main configuration (default %s);\n"
               "                      the log is [state] dir/%s\n"
               "  -f, --file PATH     verify this file instead (no configuration read)\n"
               "  -k, --key PATH      the audit key (default: $CREDENTIALS_DIRECTORY/%s,\n"
               "                      else credentials/%s beside the configuration)\n"
               "  -j, --journal       also compare every record with the seq and hash the\n"
               "                      daemon sent to the journal when it wrote it\n"
               "      --journal-directory DIR  read that journal directory instead\n"
               "  -h, --help          show this help\n"
               "\n"
               "Exit status: 0 the chain is whole (or the key was written), 65 it is\n"
               "broken, 64 usage error, 66 the log is missing or unreadable, 74 I/O error,\n"
               "73 the key exists already (init), 78 the configuration or the key does\n"
               "not load.\n",
               CONFIG_DEFAULT_PATH, AUDIT_LOG_FILE, CREDENTIAL_AUDIT_KEY, CREDENTIAL_AUDIT_KEY);
}

/* Returns -1 to go on, or an exit status. */
static int parse_options(int argc, char *argv[], AuditOptions *o) {
        enum { ARG_JOURNAL_DIRECTORY = 0x100 };
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "file", required_argument, NULL, 'f' },
                { "key", required_argument, NULL, 'k' },
                { "journal", no_argument, NULL, 'j' },
                { "journal-directory", required_argument, NULL, ARG_JOURNAL_DIRECTORY },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        optind = 0; /* full reinitialisation: argv[0] is the command name */
        while ((c = getopt_long(argc, argv, "c:f:k:jh", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        o->config = optarg;
                        break;
                case 'f':
                        o->file = optarg;
                        break;
                case 'k':
                        o->key = optarg;
                        break;
                case 'j':
                        o->journal = true;
                        break;
                case ARG_JOURNAL_DIRECTORY:
                        o->journal = true;
                        o->journal_directory = optarg;
                        break;
                case 'h':
                        help();
                        return CTL_EXIT_OK;
                default:
                        return ctl_usage_error("audit", "invalid option");
                }
        if (optind >= argc)
                return ctl_usage_error("audit", "missing subcommand (verify or init)");
        o->command = argv[optind];
        if (!streq(o->command, "verify") && !streq(o->command, "init"))
                return ctl_usage_error("audit", "unknown subcommand '%s'", o->command);
        if (optind + 1 < argc)
                return ctl_usage_error("audit", "unexpected argument '%s'", argv[optind + 1]);
        if (streq(o->command, "init") && (o->file || o->journal))
                return ctl_usage_error("audit", "init takes only -c and --key");
        return -1;
}

/* ---- init ------------------------------------------------------------------------ */

static int init_key(const char *path) {
        uint8_t raw[AUDIT_KEY_BYTES];
        char text[2 * AUDIT_KEY_BYTES + 1];
        _cleanup_(closep) int fd = -1;
        int r = 0;

        credentials_forbid_core_dumps(); /* the key is in memory from here on */
        if (getrandom(raw, sizeof raw, 0) != (ssize_t) sizeof raw) {
                fprintf(stderr, "chorusctl audit init: no random bytes: %s\n", strerror(errno));
                return CTL_EXIT_SOFTWARE;
        }
        hex_encode(raw, sizeof raw, text);
        text[2 * AUDIT_KEY_BYTES] = '\n'; /* in place of the NUL: the file's last byte */
        explicit_bzero(raw, sizeof raw);

        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
                r = -errno;
                explicit_bzero(text, sizeof text);
                if (r == -EEXIST)
                        fprintf(stderr, "chorusctl audit init: %s exists already: it is not replaced (a new "
                                        "key would make every keyed record unverifiable; remove the file "
                                        "first only if the old key is lost for good)\n",
                                path);
                else
                        fprintf(stderr, "chorusctl audit init: cannot create %s: %s\n", path, strerror(-r));
                return CTL_EXIT_CANTCREAT;
        }
        r = fs_write_all(fd, text, sizeof text);
        explicit_bzero(text, sizeof text);
        if (r >= 0)
                r = fs_fsync(fd, path);
        if (r < 0) {
                (void) unlink(path);
                fprintf(stderr, "chorusctl audit init: cannot write %s: %s\n", path, strerror(-r));
                return CTL_EXIT_IOERR;
        }
        printf("audit key written to %s (mode 0600).\n"
               "chorusd.service loads it with LoadCredential=%s:%s; restart chorusd to use it.\n",
               path, CREDENTIAL_AUDIT_KEY, path);
        return CTL_EXIT_OK;
}

static int init(const AuditOptions *o) {
        _cleanup_(freep) char *path = NULL, *dir = NULL;

        if (o->key)
                return init_key(o->key);
        if (credentials_source_path(o->config ? o->config : CONFIG_DEFAULT_PATH, CREDENTIAL_AUDIT_KEY, &path) < 0)
                return CTL_EXIT_SOFTWARE;
        /* credentials/ as scripts/install makes it: root's, 0700. */
        dir = strdup(path);
        if (!dir)
                return CTL_EXIT_SOFTWARE;
        if (mkdir(dirname(dir), 0700) < 0 && errno != EEXIST) {
                fprintf(stderr, "chorusctl audit init: cannot create %s: %s\n", dir, strerror(errno));
                return CTL_EXIT_CANTCREAT;
        }
        return init_key(path);
}

/* ---- verify ---------------------------------------------------------------------- */

static int anchor_compare(const void *a, const void *b) {
        uint64_t x = ((const AuditAnchor *) a)->seq, y = ((const AuditAnchor *) b)->seq;
        return x < y ? -1 : x > y;
}

/* The value of FIELD=… in the current entry, as a C string in buf. */
static int journal_field(sd_journal *j, const char *field, char *buf, size_t size) {
        const void *data;
        size_t len, n = strlen(field) + 1;
        int r;

        r = sd_journal_get_data(j, field, &data, &len);
        if (r < 0)
                return r;
        if (len < n || len - n >= size)
                return -EBADMSG;
        memcpy(buf, (const char *) data + n, len - n);
        buf[len - n] = '\0';
        return 0;
}

/* Every anchor the journal holds for the log at `path` (absolute), sorted. */
static int read_anchors(const char *path, const char *directory, AuditAnchor **ret, size_t *ret_n) {
        _cleanup_(freep) char *match = NULL;
        AuditAnchor *anchors = NULL;
        size_t n = 0, allocated = 0;
        sd_journal *j = NULL;
        int r;

        r = directory ? sd_journal_open_directory(&j, directory, 0) : sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
        if (r < 0)
                return r;
        if (asprintf(&match, "CHORUSD_AUDIT_FILE=%s", path) < 0) {
                sd_journal_close(j);
                return -ENOMEM;
        }
        r = sd_journal_add_match(j, match, 0);
        SD_JOURNAL_FOREACH(j) {
                char seq[32];
                AuditAnchor a = {};
                char *end;

                if (r < 0)
                        break;
                if (journal_field(j, "CHORUSD_AUDIT_SEQ", seq, sizeof seq) < 0 ||
                    journal_field(j, "CHORUSD_AUDIT_HEAD", a.head, sizeof a.head) < 0 ||
                    !sha256_hex_is_valid(a.head))
                        continue;
                a.seq = strtoull(seq, &end, 10);
                if (*end || a.seq == 0)
                        continue;
                if (n == allocated) {
                        size_t k = allocated ? 2 * allocated : 1024;
                        AuditAnchor *t = reallocarray(anchors, k, sizeof *anchors);
                        if (!t) {
                                r = -ENOMEM;
                                break;
                        }
                        anchors = t;
                        allocated = k;
                }
                anchors[n++] = a;
        }
        sd_journal_close(j);
        if (r < 0) {
                free(anchors);
                return r;
        }
        if (n > 0)
                qsort(anchors, n, sizeof *anchors, anchor_compare);
        *ret = anchors;
        *ret_n = n;
        return 0;
}

/* Ends left aside by chorusd (audit.log.damaged-*): said, never judged. */
static void print_damaged(const char *path) {
        _cleanup_(freep) char *pattern = NULL;
        glob_t g = {};

        if (asprintf(&pattern, "%s" AUDIT_DAMAGED_SUFFIX "*", path) < 0 || glob(pattern, 0, NULL, &g) != 0)
                return;
        for (size_t i = 0; i < g.gl_pathc; i++) {
                struct stat st;
                if (stat(g.gl_pathv[i], &st) == 0)
                        printf("note: %s (%jd bytes): an unterminated end chorusd kept aside before cutting "
                               "it; if it is a record shortened by hand, a record was lost there.\n",
                               g.gl_pathv[i], (intmax_t) st.st_size);
        }
        globfree(&g);
}

static int print_report(const char *path, const AuditVerifyReport *rep, bool journal, size_t n_anchors) {
        if (rep->broken) {
                printf("audit log BROKEN: %s: line %" PRIu64, path, rep->broken_line);
                if (rep->broken_seq > 0)
                        printf(" (seq %" PRIu64 ")", rep->broken_seq);
                printf(": %s\n", rep->problem);
                printf("%" PRIu64 " %s before it %s intact (last good seq %" PRIu64 ").\n", rep->n_records,
                       rep->n_records == 1 ? "record" : "records", rep->n_records == 1 ? "is" : "are",
                       rep->last_seq);
                print_damaged(path);
                return CTL_EXIT_DATAERR;
        }
        printf("audit log OK: %" PRIu64 " records, last seq %" PRIu64 "\n", rep->n_records, rep->last_seq);
        if (rep->first_keyed_seq == 0)
                printf("note: no record is keyed (no audit key was configured): the chain shows changes, "
                       "but whoever can write the file can rewrite it and chain it again.\n");
        else {
                if (rep->n_unkeyed > 0)
                        printf("note: seq 1 to %" PRIu64 " were written before the audit key: chained, "
                               "not keyed; keyed from seq %" PRIu64 " on.\n",
                               rep->first_keyed_seq - 1, rep->first_keyed_seq);
                if (rep->key_known)
                        printf("%" PRIu64 " macs checked under the audit key.\n", rep->n_macs_checked);
                else
                        printf("note: the audit key could not be read: the macs were NOT checked "
                               "(run as root, or give --key).\n");
        }
        if (journal)
                printf("%" PRIu64 " of %zu journal anchors matched.\n", rep->n_anchors_checked, n_anchors);
        if (rep->torn_bytes > 0)
                printf("note: the last line (%" PRIu64 " bytes) is unterminated: a crash cut it short, or "
                       "a record was shortened by hand; chorusd copies it to %s" AUDIT_DAMAGED_SUFFIX
                       "TIME and cuts it when it next starts.\n",
                       rep->torn_bytes, path);
        print_damaged(path);
        return CTL_EXIT_OK;
}

static int load_key(const AuditOptions *o, const char *config_path, uint8_t **ret) {
        _cleanup_(freep) char *message = NULL;
        int r;

        r = o->key ? credentials_read_audit_key(o->key, ret, &message)
                   : credentials_load_audit_key(config_path, ret, &message);
        if (!o->key && (r == -ENOENT || r == -EACCES)) {
                *ret = NULL; /* macs present but not checked: said in the report */
                return 0;
        }
        if (r < 0)
                fprintf(stderr, "chorusctl audit: %s\n", message ? message : strerror(-r));
        return r;
}

static int verify(const AuditOptions *o, const char *path, const char *config_path) {
        _cleanup_(freep) AuditAnchor *anchors = NULL;
        _cleanup_(freep) char *abs = NULL;
        uint8_t *key = NULL;
        AuditVerifyReport rep;
        size_t n_anchors = 0;
        int r;

        r = load_key(o, config_path, &key);
        if (r < 0)
                return r == -ENOMEM ? CTL_EXIT_SOFTWARE : CTL_EXIT_CONFIG;
        if (o->journal) {
                abs = realpath(path, NULL);
                r = abs ? read_anchors(abs, o->journal_directory, &anchors, &n_anchors) : -errno;
                if (r < 0) {
                        credentials_secret_free(key);
                        fprintf(stderr, "chorusctl audit: cannot read the journal for '%s': %s\n", path,
                                strerror(-r));
                        return ctl_exit_input(r);
                }
        }
        r = audit_verify_full(path, key, anchors, n_anchors, &rep);
        credentials_secret_free(key);
        if (r < 0) {
                fprintf(stderr, "chorusctl audit: cannot read '%s': %s\n", path, strerror(-r));
                return ctl_exit_input(r);
        }
        return print_report(path, &rep, o->journal, n_anchors);
}

int ctl_audit(int argc, char *argv[]) {
        _cleanup_(config_freep) Config *config = NULL;
        _cleanup_(freep) char *path = NULL;
        AuditOptions o = {};
        int r;

        r = parse_options(argc, argv, &o);
        if (r >= 0)
                return r;
        if (streq(o.command, "init"))
                return init(&o);
        if (o.file)
                return verify(&o, o.file, /* config_path= */ NULL);
        r = ctl_load_config(o.config, &config);
        if (r < 0)
                return ctl_exit_config(r);
        if (asprintf(&path, "%s/%s", config->state.dir, AUDIT_LOG_FILE) < 0)
                return CTL_EXIT_SOFTWARE;
        return verify(&o, path, config->path);
}
