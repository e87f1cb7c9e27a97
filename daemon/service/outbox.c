/* outbox.c — durable, rate-limited e-mail notices (see outbox.h).
 *
 * A notice file, STATE_DIR/outbox/SEQ-KIND.json, holds what the message
 * says, rendered when the event happened (subject, body, the line a digest
 * shows, its date and Message-ID, the attachment): never a recipient or a
 * server, read from [notify] when it leaves, never a secret. SEQ (20
 * digits, growing) keeps the order across restarts.
 *
 * In memory: the waiting notices oldest first, each with the elapsed time
 * from which it may leave; one timer (CLOCK_BOOTTIME) for the next send or
 * attempt; the batch in flight (one notice, or the notices of a digest). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/fsutil.h"
#include "base/json-cleanup.h"
#include "base/log.h"
#include "chorus/credentials.h"
#include "chorus/retry.h" /* USEC_PER_SEC */
#include "service/outbox.h"
#include "service/smtp.h"
#include "writers/mime.h"

#define OUTBOX_VERSION 1
#define OUTBOX_FILE_MAX (4 * 1024 * 1024)
#define OUTBOX_NAME_MAX 64
#define RETRY_FIRST_USEC (10 * UINT64_C(1000000))
#define RETRY_CAP_USEC (3600 * UINT64_C(1000000))
#define SMTP_TIMEOUT_MS 120000

typedef struct Entry Entry;
struct Entry {
        char name[OUTBOX_NAME_MAX];
        NoticeKind kind;
        uint64_t ready_elapsed; /* CLOCK_BOOTTIME from which it may leave */
        Entry *next;
};

struct Outbox {
        sd_event *event;
        char *state_dir;
        int dirfd; /* -EBADF until the folder is needed */
        Entry *head, *tail;
        size_t n;
        uint64_t last_seq;

        NotifyConfig config; /* a copy; smtp_url NULL = off */
        char *password;      /* secret memory */
        Smtp *smtp;
        sd_event_source *timer;
        Entry **batch; /* in flight */
        size_t n_batch;
        char *batch_subject;
        unsigned attempts;
        uint64_t next_attempt; /* CLOCK_BOOTTIME; 0 = now */
        uint64_t time_scale;
};

static void outbox_schedule(Outbox *o);

/* ---- the folder ---- */

static int outbox_dir(Outbox *o) {
        _cleanup_(closep) int state = -EBADF;

        if (o->dirfd >= 0)
                return o->dirfd;
        state = open(o->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (state < 0)
                return negative_errno();
        o->dirfd = fs_open_dir(state, OUTBOX_DIR, /* create= */ true);
        return o->dirfd;
}

static bool name_parse(const char *name, uint64_t *ret_seq, NoticeKind *ret_kind) {
        char kind[OUTBOX_NAME_MAX];
        size_t len = strlen(name);
        char *end;

        if (len < 26 || len >= OUTBOX_NAME_MAX || name[20] != '-' || strcmp(name + len - 5, ".json") != 0)
                return false;
        errno = 0;
        *ret_seq = strtoull(name, &end, 10);
        if (errno != 0 || end != name + 20)
                return false;
        memcpy(kind, name + 21, len - 26);
        kind[len - 26] = '\0';
        *ret_kind = notice_kind_from_string(kind);
        return *ret_kind >= 0;
}

static void entry_append(Outbox *o, Entry *e) {
        if (o->tail)
                o->tail->next = e;
        else
                o->head = e;
        o->tail = e;
        o->n++;
}

static void entry_unlink(Outbox *o, Entry *e) {
        Entry *prev = NULL;

        for (Entry *i = o->head; i; prev = i, i = i->next)
                if (i == e) {
                        if (prev)
                                prev->next = e->next;
                        else
                                o->head = e->next;
                        if (o->tail == e)
                                o->tail = prev;
                        o->n--;
                        free(e);
                        return;
                }
}

static int compare_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The folder if it exists (0 and nothing to load otherwise: it is made
 * with the first notice). */
static int outbox_dir_existing(Outbox *o) {
        _cleanup_(closep) int state = open(o->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (state < 0)
                return negative_errno();
        o->dirfd = openat(state, OUTBOX_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (o->dirfd < 0)
                return errno == ENOENT ? 0 : negative_errno();
        return 1;
}

static int outbox_load(Outbox *o) {
        _cleanup_(closedirp) DIR *d = NULL;
        char **names = NULL;
        size_t n = 0, allocated = 0;
        struct dirent *de;
        int r;

        r = outbox_dir_existing(o);
        if (r <= 0)
                return r;
        r = fs_opendir_at(o->dirfd, &d);
        if (r < 0)
                return r;
        while ((r = fs_readdir(d, &de)) > 0) {
                uint64_t seq;
                NoticeKind k;

                if (!name_parse(de->d_name, &seq, &k))
                        continue;
                if (n == allocated) {
                        char **p = realloc(names, (allocated = allocated ? allocated * 2 : 16) * sizeof *names);
                        if (!p) {
                                r = -ENOMEM;
                                break;
                        }
                        names = p;
                }
                if (!(names[n] = strdup(de->d_name))) {
                        r = -ENOMEM;
                        break;
                }
                n++;
        }
        if (r >= 0 && n > 0)
                qsort(names, n, sizeof *names, compare_names);
        for (size_t i = 0; i < n; i++) {
                Entry *e = r >= 0 ? calloc(1, sizeof *e) : NULL;
                uint64_t seq;

                if (r >= 0 && !e)
                        r = -ENOMEM;
                if (e) {
                        snprintf(e->name, sizeof e->name, "%s", names[i]);
                        (void) name_parse(names[i], &seq, &e->kind);
                        o->last_seq = seq > o->last_seq ? seq : o->last_seq;
                        entry_append(o, e); /* ready now: they waited long enough */
                }
                free(names[i]);
        }
        free(names);
        if (r >= 0 && o->n > 0)
                log_info("Outbox: %zu notice(s) waiting to be sent.", o->n);
        return r < 0 ? r : 0;
}

/* ---- adding ---- */

static int entry_json(const Notice *n, uint64_t seq, const NoticeAttachment *a, const char *domain, char **ret) {
        _cleanup_(cJSON_Deletep) cJSON *j = cJSON_CreateObject();
        _cleanup_(freep) char *subject = NULL, *body = NULL, *summary = NULL, *id = NULL;
        int r;

        r = notice_format(n, &subject, &body);
        if (r < 0)
                return r;
        r = notice_summary(n, &summary);
        if (r < 0)
                return r;
        if (asprintf(&id, "%" PRIu64 ".%016" PRIx64 "@%s", seq, random_u64(), domain) < 0)
                return -ENOMEM;
        if (!j || !cJSON_AddNumberToObject(j, "version", OUTBOX_VERSION) ||
            !cJSON_AddStringToObject(j, "kind", notice_kind_to_string(n->kind)) ||
            !cJSON_AddNumberToObject(j, "date", (double) (now_realtime_usec() / USEC_PER_SEC)) ||
            !cJSON_AddStringToObject(j, "message_id", id) || !cJSON_AddStringToObject(j, "subject", subject) ||
            !cJSON_AddStringToObject(j, "body", body) || !cJSON_AddStringToObject(j, "summary", summary))
                return -ENOMEM;
        if (a && a->name && (a->data || a->size == 0)) {
                _cleanup_(freep) char *b64 = NULL;
                cJSON *o = cJSON_AddObjectToObject(j, "attachment");

                r = mime_encode_base64(a->data, a->size, &b64, NULL);
                if (r < 0)
                        return r;
                if (!o || !cJSON_AddStringToObject(o, "name", a->name) ||
                    !cJSON_AddStringToObject(o, "type", a->content_type ? a->content_type : "application/octet-stream") ||
                    !cJSON_AddStringToObject(o, "base64", b64))
                        return -ENOMEM;
        }
        *ret = cJSON_PrintUnformatted(j);
        return *ret ? 0 : -ENOMEM;
}

static const char *from_domain(const Outbox *o) {
        const char *at = o->config.from ? strrchr(o->config.from, '@') : NULL;
        return at ? at + 1 : "chorusd.invalid";
}

int outbox_add(Outbox *o, const Notice *n, const NoticeAttachment *attachment) {
        _cleanup_(freep) char *json = NULL;
        Entry *e;
        uint64_t seq;
        int dirfd, r;

        if (!outbox_enabled(o))
                return 0;
        if (attachment && attachment->size > OUTBOX_ATTACHMENT_MAX) {
                log_warning("Notice '%s': its attachment %s is larger than %d bytes, sent without it.",
                            notice_kind_to_string(n->kind), strempty(attachment->name), OUTBOX_ATTACHMENT_MAX);
                attachment = NULL;
        }
        seq = now_realtime_usec();
        if (seq <= o->last_seq)
                seq = o->last_seq + 1;
        r = entry_json(n, seq, attachment, from_domain(o), &json);
        e = r >= 0 ? calloc(1, sizeof *e) : NULL;
        if (r >= 0 && !e)
                r = -ENOMEM;
        if (r < 0)
                return log_error_errno(r, "Failed to prepare the notice '%s': %m", notice_kind_to_string(n->kind));
        snprintf(e->name, sizeof e->name, "%020" PRIu64 "-%s.json", seq, notice_kind_to_string(n->kind));
        e->kind = n->kind;
        e->ready_elapsed = now_clock_usec(CLOCK_BOOTTIME) + OUTBOX_HOLD_USEC;
        dirfd = outbox_dir(o);
        r = dirfd < 0 ? dirfd : write_file_atomic(dirfd, e->name, json, strlen(json));
        if (r < 0) {
                free(e);
                if (!fs_error_is_fatal(r))
                        log_error_errno(r, "Failed to write the notice '%s' in %s/%s, dropping it: %m",
                                        notice_kind_to_string(n->kind), o->state_dir, OUTBOX_DIR);
                return r;
        }
        o->last_seq = seq;
        entry_append(o, e);
        log_debug("Outbox: notice %s added.", e->name);
        outbox_schedule(o);
        return 0;
}

/* ---- sending ---- */

/* One waiting notice's file, parsed. */
static int entry_read(Outbox *o, const Entry *e, cJSON **ret) {
        _cleanup_(freep) char *text = NULL;
        cJSON *j;
        size_t size;
        int r;

        r = read_file_bounded_at(o->dirfd, e->name, OUTBOX_FILE_MAX, &text, &size);
        if (r < 0)
                return r;
        j = cJSON_ParseWithLength(text, size);
        if (!j || !cJSON_IsString(cJSON_GetObjectItem(j, "subject")) ||
            !cJSON_IsString(cJSON_GetObjectItem(j, "body")) || !cJSON_IsString(cJSON_GetObjectItem(j, "message_id"))) {
                cJSON_Delete(j);
                return -EBADMSG;
        }
        *ret = j;
        return 0;
}

static const char *json_str(const cJSON *j, const char *key) {
        const cJSON *v = cJSON_GetObjectItem(j, key);
        return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Splits "a@x, b@y" into an array of strings (one allocation each). */
static int recipients_split(const char *list, char ***ret, size_t *ret_n) {
        char **to = NULL;
        size_t n = 0;

        for (const char *p = list; p && *p;) {
                size_t len;
                char **t;

                p += strspn(p, " ,");
                len = strcspn(p, ",");
                while (len > 0 && p[len - 1] == ' ')
                        len--;
                if (len == 0)
                        break;
                t = realloc(to, (n + 2) * sizeof *to);
                if (!t || !(t[n] = strndup(p, len))) {
                        free(t ? t : to);
                        return -ENOMEM;
                }
                to = t;
                n++;
                to[n] = NULL;
                p += strcspn(p, ",");
        }
        *ret = to;
        *ret_n = n;
        return 0;
}

static void strv_free_n(char **l, size_t n) {
        for (size_t i = 0; l && i < n; i++)
                free(l[i]);
        free(l);
}

static void batch_clear(Outbox *o) {
        free(o->batch);
        o->batch = NULL;
        o->n_batch = 0;
        free(o->batch_subject);
        o->batch_subject = NULL;
}

/* A notice file that cannot be read is set aside (NAME.damaged), said once. */
static void entry_set_aside(Outbox *o, Entry *e, int error) {
        char aside[OUTBOX_NAME_MAX + 16];

        log_error_errno(error, "Outbox: notice %s/%s/%s cannot be read (%m); kept as %s.damaged, not sent.",
                        o->state_dir, OUTBOX_DIR, e->name, e->name);
        snprintf(aside, sizeof aside, "%s.damaged", e->name);
        (void) move_file(o->dirfd, e->name, o->dirfd, aside, MOVE_FILE_NOREPLACE);
        entry_unlink(o, e);
}

static uint64_t retry_delay(const Outbox *o) {
        uint64_t d = RETRY_FIRST_USEC;

        for (unsigned i = 1; i < o->attempts && d < RETRY_CAP_USEC; i++)
                d *= 2;
        if (d > RETRY_CAP_USEC)
                d = RETRY_CAP_USEC;
        return o->time_scale > 1 ? d / o->time_scale : d;
}

/* The batch is done with (sent, or nobody to send it to): its files go. */
static void batch_remove(Outbox *o) {
        for (size_t i = 0; i < o->n_batch; i++) {
                if (unlinkat(o->dirfd, o->batch[i]->name, 0) < 0 && errno != ENOENT)
                        log_warning_errno(negative_errno(), "Failed to delete the sent notice %s: %m",
                                          o->batch[i]->name);
                entry_unlink(o, o->batch[i]);
        }
        /* Not fatal: a notice that comes back after a crash is sent again. */
        (void) fsync_dir(o->dirfd);
        batch_clear(o);
}

static void on_sent(int r, const char *error, void *userdata) {
        Outbox *o = userdata;

        if (r < 0) {
                uint64_t delay;

                o->attempts++;
                delay = retry_delay(o);
                o->next_attempt = now_clock_usec(CLOCK_BOOTTIME) + delay;
                log_warning("Cannot send the notice \"%s\" through %s: %s; %zu notice(s) kept in %s/%s, next "
                            "attempt in %" PRIu64 " s.",
                            strempty(o->batch_subject), strempty(o->config.smtp_url), strempty(error), o->n,
                            o->state_dir, OUTBOX_DIR, (delay + USEC_PER_SEC - 1) / USEC_PER_SEC);
                batch_clear(o);
                outbox_schedule(o);
                return;
        }
        log_info("Notice sent: \"%s\" (%zu notice(s)).", strempty(o->batch_subject), o->n_batch);
        o->attempts = 0;
        o->next_attempt = 0;
        batch_remove(o);
        outbox_schedule(o);
}

/* The notices of the batch: the oldest alone, or every waiting notice of
 * its kind when OUTBOX_DIGEST_MIN or more wait. */
static int batch_pick(Outbox *o) {
        NoticeKind k = o->head->kind;
        size_t same = 0;

        for (Entry *e = o->head; e; e = e->next)
                if (e->kind == k)
                        same++;
        if (same < OUTBOX_DIGEST_MIN)
                same = 1;
        if (same > NOTICE_DIGEST_LINES)
                same = NOTICE_DIGEST_LINES;
        o->batch = calloc(same, sizeof *o->batch);
        if (!o->batch)
                return -ENOMEM;
        for (Entry *e = o->head; e && o->n_batch < same; e = e->next)
                if (e->kind == k)
                        o->batch[o->n_batch++] = e;
        return 0;
}

/* Base64 as mime_encode_base64() writes it (CRLF lines), back to bytes.
 * Our own files only; anything else is -EBADMSG. */
static int base64_decode(const char *s, char **ret, size_t *ret_size) {
        size_t len = strlen(s), n = 0;
        unsigned acc = 0, bits = 0;
        char *out = malloc(len / 4 * 3 + 3);

        if (!out)
                return -ENOMEM;
        for (; *s; s++) {
                const char *p;

                if (*s == '\r' || *s == '\n')
                        continue;
                if (*s == '=')
                        break;
                p = *s ? strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", *s) : NULL;
                if (!p) {
                        free(out);
                        return -EBADMSG;
                }
                acc = (acc << 6) | (unsigned) (p - "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        out[n++] = (char) ((acc >> bits) & 0xFF);
                }
        }
        *ret = out;
        *ret_size = n;
        return 0;
}

typedef struct Outgoing {
        char *subject, *body, *message_id;
        int64_t date;
        cJSON *single; /* the notice's JSON, for its attachment */
        char *attachment;
        size_t attachment_size;
} Outgoing;

static void outgoing_done(Outgoing *g) {
        free(g->attachment);
        free(g->subject);
        free(g->body);
        free(g->message_id);
        cJSON_Delete(g->single);
}

/* The subject, body, date and id of the batch. -EBADMSG: a file was set
 * aside (the pass starts over). */
static int outgoing_prepare(Outbox *o, Outgoing *g) {
        _cleanup_(freep) const char **lines = NULL;
        cJSON **docs;
        int r = 0;

        if (o->n_batch == 1) {
                r = entry_read(o, o->batch[0], &g->single);
                if (r < 0) {
                        entry_set_aside(o, o->batch[0], r);
                        return -EBADMSG;
                }
                g->date = (int64_t) cJSON_GetNumberValue(cJSON_GetObjectItem(g->single, "date"));
                g->subject = strdup(json_str(g->single, "subject"));
                g->body = strdup(json_str(g->single, "body"));
                g->message_id = strdup(json_str(g->single, "message_id"));
                return g->subject && g->body && g->message_id ? 0 : -ENOMEM;
        }
        docs = calloc(o->n_batch, sizeof *docs);
        lines = calloc(o->n_batch, sizeof *lines);
        if (!docs || !lines) {
                free(docs);
                return -ENOMEM;
        }
        for (size_t i = 0; i < o->n_batch && r >= 0; i++) {
                r = entry_read(o, o->batch[i], &docs[i]);
                if (r == -ENOMEM)
                        break;
                if (r < 0) {
                        entry_set_aside(o, o->batch[i], r);
                        r = -EBADMSG;
                        break;
                }
                lines[i] = json_str(docs[i], "summary") ? json_str(docs[i], "summary") : json_str(docs[i], "subject");
        }
        if (r >= 0)
                r = notice_digest_format(o->batch[0]->kind, lines, o->n_batch, &g->subject, &g->body);
        for (size_t i = 0; i < o->n_batch; i++)
                cJSON_Delete(docs[i]);
        free(docs);
        if (r < 0)
                return r;
        g->date = (int64_t) (now_realtime_usec() / USEC_PER_SEC);
        if (asprintf(&g->message_id, "digest.%" PRIu64 ".%016" PRIx64 "@%s", o->last_seq, random_u64(),
                     from_domain(o)) < 0)
                return -ENOMEM;
        return 0;
}

static int outbox_send_batch(Outbox *o) {
        _cleanup_(outgoing_done) Outgoing g = {};
        _cleanup_(freep) char *message = NULL;
        const char *list = notice_kind_audience(o->batch[0]->kind) == NOTICE_STAFF ? o->config.staff
                                                                                    : o->config.admins;
        const cJSON *att;
        MimeAttachment a = {};
        char **to = NULL;
        size_t n_to = 0, size;
        int r;

        r = outgoing_prepare(o, &g);
        if (r < 0)
                return r;
        o->batch_subject = TAKE_PTR(g.subject);
        r = recipients_split(list, &to, &n_to);
        if (r < 0)
                return r;
        if (n_to == 0) {
                /* Nobody to tell ([notify] names no one for this audience). */
                log_debug("Outbox: no recipient for \"%s\", dropped.", o->batch_subject);
                batch_remove(o);
                return 1;
        }
        att = g.single ? cJSON_GetObjectItem(g.single, "attachment") : NULL;
        if (att && json_str(att, "name") && json_str(att, "base64") &&
            base64_decode(json_str(att, "base64"), &g.attachment, &g.attachment_size) >= 0)
                a = (MimeAttachment) { .filename = json_str(att, "name"),
                                       .content_type = json_str(att, "type"),
                                       .data = g.attachment,
                                       .size = g.attachment_size };
        r = mime_build(&(MimeMessage) { .from = o->config.from, .to = (const char *const *) to, .n_to = n_to,
                                        .subject = o->batch_subject, .body = g.body, .date = g.date,
                                        .message_id = g.message_id, .attachments = a.filename ? &a : NULL,
                                        .n_attachments = a.filename ? 1 : 0 },
                       &message, &size);
        if (r >= 0)
                r = smtp_send(o->smtp,
                              &(SmtpSpec) { .url = o->config.smtp_url,
                                            .tls = o->config.smtp_tls != SMTP_TLS_NONE,
                                            .user = o->config.smtp_user, .password = o->password,
                                            .ca_file = o->config.ca_file, .from = o->config.from,
                                            .to = (const char *const *) to, .n_to = n_to,
                                            .timeout_ms = SMTP_TIMEOUT_MS },
                              message, size, on_sent, o);
        strv_free_n(to, n_to);
        return r;
}

static void outbox_pass(Outbox *o) {
        for (;;) {
                int r;

                if (!outbox_enabled(o) || smtp_busy(o->smtp) || !o->head || o->n_batch > 0)
                        return;
                if (now_clock_usec(CLOCK_BOOTTIME) < o->next_attempt ||
                    now_clock_usec(CLOCK_BOOTTIME) < o->head->ready_elapsed)
                        break;
                r = batch_pick(o);
                if (r >= 0)
                        r = outbox_send_batch(o);
                if (r == 1)
                        continue; /* dropped: next */
                if (r >= 0)
                        return; /* in flight: on_sent() goes on */
                batch_clear(o);
                if (r == -EBADMSG)
                        continue;
                /* Out of memory, or curl refused an option: as a failed send. */
                o->attempts++;
                o->next_attempt = now_clock_usec(CLOCK_BOOTTIME) + retry_delay(o);
                log_error_errno(r, "Failed to prepare a notice for sending, trying again later: %m");
                break;
        }
        outbox_schedule(o);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) s;
        (void) usec;
        outbox_pass(userdata);
        return 0;
}

/* One timer: the later of the next attempt and the oldest notice's hold. */
static void outbox_schedule(Outbox *o) {
        uint64_t when;
        int r;

        if (!o->timer)
                return;
        if (!outbox_enabled(o) || !o->head || smtp_busy(o->smtp) || o->n_batch > 0) {
                (void) sd_event_source_set_enabled(o->timer, SD_EVENT_OFF);
                return;
        }
        when = o->head->ready_elapsed > o->next_attempt ? o->head->ready_elapsed : o->next_attempt;
        r = sd_event_source_set_time(o->timer, when ? when : 1);
        if (r >= 0)
                r = sd_event_source_set_enabled(o->timer, SD_EVENT_ONESHOT);
        if (r < 0)
                log_warning_errno(r, "Outbox: cannot arm the timer, notices wait for the next one: %m");
}

/* ---- life cycle ---- */

static void notify_config_done(NotifyConfig *c) {
        free(c->smtp_url);
        free(c->smtp_user);
        free(c->smtp_password_file);
        free(c->ca_file);
        free(c->from);
        free(c->staff);
        free(c->admins);
        *c = (NotifyConfig) {};
}

static int strdup_opt(const char *s, char **ret) {
        *ret = s ? strdup(s) : NULL;
        return !s || *ret ? 0 : -ENOMEM;
}

int outbox_configure(Outbox *o, const NotifyConfig *c, char *password) {
        NotifyConfig n = { .smtp_tls = c->smtp_tls };

        if (strdup_opt(c->smtp_url, &n.smtp_url) < 0 || strdup_opt(c->smtp_user, &n.smtp_user) < 0 ||
            strdup_opt(c->ca_file, &n.ca_file) < 0 || strdup_opt(c->from, &n.from) < 0 ||
            strdup_opt(c->staff, &n.staff) < 0 || strdup_opt(c->admins, &n.admins) < 0) {
                notify_config_done(&n);
                credentials_secret_free(password);
                return -ENOMEM;
        }
        notify_config_done(&o->config);
        o->config = n;
        credentials_secret_free(o->password);
        o->password = password;
        o->attempts = 0;
        o->next_attempt = 0;
        outbox_schedule(o);
        return 0;
}

void outbox_set_time_scale(Outbox *o, uint64_t scale) {
        o->time_scale = scale;
}

bool outbox_enabled(const Outbox *o) {
        return o && o->config.smtp_url;
}

size_t outbox_waiting(const Outbox *o) {
        return o ? o->n : 0;
}

size_t outbox_drain(Outbox *o, uint64_t timeout_usec) {
        uint64_t end = now_clock_usec(CLOCK_BOOTTIME) + timeout_usec;

        if (!outbox_enabled(o))
                return outbox_waiting(o);
        o->next_attempt = 0;
        for (Entry *e = o->head; e; e = e->next)
                e->ready_elapsed = 0;
        outbox_schedule(o);
        while (o->head && o->attempts == 0 && now_clock_usec(CLOCK_BOOTTIME) < end)
                if (sd_event_run(o->event, (end - now_clock_usec(CLOCK_BOOTTIME))) < 0)
                        break;
        return o->n;
}

int outbox_open(sd_event *event, const char *state_dir, Outbox **ret) {
        _cleanup_(outbox_freep) Outbox *o = NULL;
        int r;

        o = calloc(1, sizeof *o);
        if (!o)
                return -ENOMEM;
        o->dirfd = -EBADF;
        o->time_scale = 1;
        o->event = sd_event_ref(event);
        o->state_dir = strdup(state_dir);
        if (!o->state_dir)
                return -ENOMEM;
        r = smtp_new(event, &o->smtp);
        if (r < 0)
                return r;
        r = sd_event_add_time(event, &o->timer, CLOCK_BOOTTIME, UINT64_MAX, USEC_PER_SEC / 10, on_timer, o);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(o->timer, SD_EVENT_OFF);
        (void) sd_event_source_set_description(o->timer, "outbox");
        r = outbox_load(o);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

Outbox *outbox_free(Outbox *o) {
        if (!o)
                return NULL;
        o->smtp = smtp_free(o->smtp); /* abandons the message in flight: sent again next time */
        batch_clear(o);
        while (o->head) {
                Entry *e = o->head;
                o->head = e->next;
                free(e);
        }
        sd_event_source_disable_unref(o->timer);
        notify_config_done(&o->config);
        credentials_secret_free(o->password);
        safe_close(o->dirfd);
        sd_event_unref(o->event);
        free(o->state_dir);
        free(o);
        return NULL;
}
