/* smtp.c — libcurl SMTP in sd-event (see smtp.h).
 *
 * The same glue as chorus_http.c, reduced to one transfer at a time: the
 * outbox sends its messages one after the other. User callbacks run from
 * smtp_process_done() only, never from inside a curl callback. */
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "base/log.h"
#include "chorus/credentials.h"
#include "service/smtp.h"

typedef struct SmtpWatch SmtpWatch;
struct SmtpWatch {
        Smtp *smtp;
        sd_event_source *source;
        SmtpWatch *prev, *next;
};

struct Smtp {
        sd_event *event;
        CURLM *multi;
        sd_event_source *timer;
        SmtpWatch *watches;
        /* The message in flight. */
        CURL *easy;
        struct curl_slist *rcpt;
        char *message;
        size_t size, sent;
        char *password; /* secret memory (credentials.h), wiped */
        char error[CURL_ERROR_SIZE];
        SmtpDone done;
        void *userdata;
};

static void watch_free(SmtpWatch *w) {
        Smtp *s = w->smtp;

        if (w->prev)
                w->prev->next = w->next;
        else
                s->watches = w->next;
        if (w->next)
                w->next->prev = w->prev;
        sd_event_source_disable_unref(w->source);
        free(w);
}

static void smtp_process_done(Smtp *s);

static int on_io(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        Smtp *s = userdata;
        int action = 0, running;

        (void) src;
        if (revents & (EPOLLIN | EPOLLPRI | EPOLLHUP))
                action |= CURL_CSELECT_IN;
        if (revents & EPOLLOUT)
                action |= CURL_CSELECT_OUT;
        if (revents & EPOLLERR)
                action |= CURL_CSELECT_ERR;
        (void) curl_multi_socket_action(s->multi, fd, action, &running);
        smtp_process_done(s);
        return 0;
}

static uint32_t epoll_events(int what) {
        return (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
}

static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp) {
        Smtp *s = userp;
        SmtpWatch *w = socketp;

        (void) easy;
        if (what == CURL_POLL_REMOVE) {
                if (w) {
                        (void) curl_multi_assign(s->multi, fd, NULL);
                        watch_free(w);
                }
                return 0;
        }
        if (!w) {
                w = calloc(1, sizeof *w);
                if (!w)
                        return -1;
                if (sd_event_add_io(s->event, &w->source, fd, epoll_events(what), on_io, s) < 0) {
                        free(w);
                        return -1;
                }
                (void) sd_event_source_set_description(w->source, "smtp-io");
                w->smtp = s;
                w->next = s->watches;
                if (s->watches)
                        s->watches->prev = w;
                s->watches = w;
                if (curl_multi_assign(s->multi, fd, w) != CURLM_OK) {
                        watch_free(w);
                        return -1;
                }
                return 0;
        }
        if (sd_event_source_set_io_events(w->source, epoll_events(what)) < 0 ||
            sd_event_source_set_enabled(w->source, SD_EVENT_ON) < 0)
                return -1;
        return 0;
}

static int on_timer(sd_event_source *src, uint64_t usec, void *userdata) {
        Smtp *s = userdata;
        int running;

        (void) src;
        (void) usec;
        (void) curl_multi_socket_action(s->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        smtp_process_done(s);
        return 0;
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp) {
        Smtp *s = userp;
        uint64_t usec;
        int r;

        (void) multi;
        if (timeout_ms < 0)
                return s->timer && sd_event_source_set_enabled(s->timer, SD_EVENT_OFF) < 0 ? -1 : 0;
        usec = (uint64_t) timeout_ms * 1000;
        if (!s->timer) {
                r = sd_event_add_time_relative(s->event, &s->timer, CLOCK_MONOTONIC, usec, 1000, on_timer, s);
                if (r >= 0)
                        (void) sd_event_source_set_description(s->timer, "smtp-timer");
                return r < 0 ? -1 : 0;
        }
        r = sd_event_source_set_time_relative(s->timer, usec);
        if (r >= 0)
                r = sd_event_source_set_enabled(s->timer, SD_EVENT_ONESHOT);
        return r < 0 ? -1 : 0;
}

/* The message, fed to curl (which adds the dot-stuffing SMTP needs). */
static size_t on_read(char *buf, size_t size, size_t n, void *userdata) {
        Smtp *s = userdata;
        size_t len = size * n, left = s->size - s->sent;

        if (len > left)
                len = left;
        memcpy(buf, s->message + s->sent, len);
        s->sent += len;
        return len;
}

static void transfer_free(Smtp *s) {
        if (s->easy) {
                (void) curl_multi_remove_handle(s->multi, s->easy);
                curl_easy_cleanup(s->easy);
                s->easy = NULL;
        }
        curl_slist_free_all(s->rcpt);
        s->rcpt = NULL;
        free(s->message);
        s->message = NULL;
        s->size = s->sent = 0;
        s->password = credentials_secret_free(s->password);
        s->done = NULL;
        s->userdata = NULL;
}

static void smtp_process_done(Smtp *s) {
        CURLMsg *m;
        int left;

        while ((m = curl_multi_info_read(s->multi, &left))) {
                SmtpDone done = s->done;
                void *userdata = s->userdata;
                char error[CURL_ERROR_SIZE];
                CURLcode code;

                if (m->msg != CURLMSG_DONE || m->easy_handle != s->easy)
                        continue;
                code = m->data.result;
                snprintf(error, sizeof error, "%s", s->error[0] ? s->error : curl_easy_strerror(code));
                transfer_free(s);
                if (done)
                        done(code == CURLE_OK ? 0 : -EIO, code == CURLE_OK ? NULL : error, userdata);
                break; /* the callback may have started another transfer */
        }
}

static bool transfer_setopt(Smtp *s, const SmtpSpec *spec) {
        CURL *e = s->easy;
        bool ok = true;

#define SET(opt, val) ok = ok && curl_easy_setopt(e, (opt), (val)) == CURLE_OK
        SET(CURLOPT_URL, spec->url);
        SET(CURLOPT_NOSIGNAL, 1L);
        SET(CURLOPT_VERBOSE, 0L); /* never: it would print the AUTH exchange */
        SET(CURLOPT_NOPROGRESS, 1L);
        SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
        SET(CURLOPT_USE_SSL, spec->tls ? (long) CURLUSESSL_ALL : (long) CURLUSESSL_NONE);
        SET(CURLOPT_SSL_VERIFYPEER, 1L);
        SET(CURLOPT_SSL_VERIFYHOST, 2L);
        SET(CURLOPT_SSLVERSION, (long) CURL_SSLVERSION_TLSv1_2);
        if (spec->ca_file)
                SET(CURLOPT_CAINFO, spec->ca_file);
        SET(CURLOPT_CONNECTTIMEOUT_MS, 30000L);
        SET(CURLOPT_TIMEOUT_MS, (long) (spec->timeout_ms ? spec->timeout_ms : 120000));
        SET(CURLOPT_ERRORBUFFER, s->error);
        SET(CURLOPT_MAIL_FROM, spec->from);
        SET(CURLOPT_MAIL_RCPT, s->rcpt);
        SET(CURLOPT_UPLOAD, 1L);
        SET(CURLOPT_READFUNCTION, on_read);
        SET(CURLOPT_READDATA, s);
        SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t) s->size);
        if (spec->user) {
                SET(CURLOPT_USERNAME, spec->user);
                SET(CURLOPT_PASSWORD, s->password ? s->password : "");
        }
        /* A fresh connection per message: messages are minutes apart. */
        SET(CURLOPT_FRESH_CONNECT, 1L);
        SET(CURLOPT_FORBID_REUSE, 1L);
#undef SET
        return ok;
}

bool smtp_busy(const Smtp *s) {
        return s->easy != NULL;
}

int smtp_send(Smtp *s, const SmtpSpec *spec, const char *message, size_t size, SmtpDone done, void *userdata) {
        if (smtp_busy(s))
                return -EBUSY;
        s->error[0] = '\0';
        s->message = malloc(size ? size : 1);
        if (!s->message)
                return -ENOMEM;
        memcpy(s->message, message, size);
        s->size = size;
        if (spec->password && !(s->password = credentials_secret_strdup(spec->password)))
                goto oom;
        for (size_t i = 0; i < spec->n_to; i++) {
                struct curl_slist *l = curl_slist_append(s->rcpt, spec->to[i]);
                if (!l)
                        goto oom;
                s->rcpt = l;
        }
        s->easy = curl_easy_init();
        if (!s->easy)
                goto oom;
        if (!transfer_setopt(s, spec) || curl_multi_add_handle(s->multi, s->easy) != CURLM_OK) {
                transfer_free(s);
                return -EIO;
        }
        s->done = done;
        s->userdata = userdata;
        return 0;
oom:
        transfer_free(s);
        return -ENOMEM;
}

int smtp_new(sd_event *event, Smtp **ret) {
        Smtp *s;

        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return -EIO;
        s = calloc(1, sizeof *s);
        if (!s) {
                curl_global_cleanup();
                return -ENOMEM;
        }
        s->event = sd_event_ref(event);
        s->multi = curl_multi_init();
        if (!s->multi || curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket) != CURLM_OK ||
            curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, s) != CURLM_OK ||
            curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer) != CURLM_OK ||
            curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, s) != CURLM_OK) {
                smtp_free(s);
                return -ENOMEM;
        }
        *ret = s;
        return 0;
}

Smtp *smtp_free(Smtp *s) {
        if (!s)
                return NULL;
        transfer_free(s);
        if (s->multi)
                curl_multi_cleanup(s->multi);
        while (s->watches)
                watch_free(s->watches);
        sd_event_source_disable_unref(s->timer);
        sd_event_unref(s->event);
        free(s);
        curl_global_cleanup();
        return NULL;
}
