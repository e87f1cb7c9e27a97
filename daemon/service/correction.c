/* correction.c — the durable request of `chorusctl complete` / `recycle`
 * (correction.h): STATE_DIR/corrections/JOB.request (key=value) and its
 * attachments JOB.1.pdf … JOB.N.pdf, copied there so that the files the
 * user named may change or vanish afterwards.
 *
 * Order (daemon/README.md "Durability"): every attachment written
 * atomically first, the request last; removal unlinks the request first.
 * A request file therefore always finds its attachments; a stray PDF
 * without a request is ignored and replaced by the next request. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/fsutil.h"
#include "base/kvfile.h"
#include "service/correction.h"

#define CORRECTION_VERSION 1

static const char *const kind_names[_CORRECTION_KIND_MAX] = {
        [CORRECTION_COMPLETE] = "complete",
        [CORRECTION_RECYCLE] = "recycle",
};

const char *correction_kind_to_string(CorrectionKind k) {
        return k >= 0 && k < _CORRECTION_KIND_MAX ? kind_names[k] : NULL;
}

bool correction_answers(CorrectionKind k, const char *statut) {
        if (!statut)
                return false;
        if (k == CORRECTION_COMPLETE)
                return streq(statut, "SUSPENDUE") || streq(statut, "A_COMPLETER");
        return k == CORRECTION_RECYCLE && streq(statut, "A_RECYCLER");
}

int correction_dir_open(const char *state_dir) {
        _cleanup_(closep) int root = fs_open_dir(AT_FDCWD, state_dir, /* create= */ true);

        if (root < 0)
                return root;
        return fs_open_dir(root, CORRECTIONS_DIR, /* create= */ true);
}

static void request_name(const char *job, char ret[static 96]) {
        snprintf(ret, 96, "%s.request", job);
}

static void attachment_name(const char *job, size_t i, char ret[static 96]) {
        snprintf(ret, 96, "%s.%zu.pdf", job, i + 1);
}

int correction_write(int dirfd, const char *job, const Correction *c) {
        KvWriter w = KV_WRITER_INIT;
        char name[96], key[32];
        int r;

        if (correction_pending(dirfd, job))
                return -EEXIST;
        for (size_t i = 0; i < c->n_attachments; i++) {
                attachment_name(job, i, name);
                r = write_file_atomic(dirfd, name, c->data[i], c->sizes[i]);
                if (r < 0)
                        return r;
        }
        r = kv_writer_open(&w, CORRECTION_VERSION);
        if (r < 0)
                return r;
        kv_put(&w, "KIND", correction_kind_to_string(c->kind));
        kv_put(&w, "ID", c->id);
        kv_put(&w, "COMMENT", c->comment);
        kv_put(&w, "SERVICE", c->service);
        kv_put(&w, "ENGAGEMENT", c->engagement);
        kv_put(&w, "USER", c->user);
        kv_put(&w, "AS", c->as);
        for (size_t i = 0; i < c->n_attachments; i++) {
                snprintf(key, sizeof key, "ATTACHMENT_%zu", i + 1);
                kv_put(&w, key, c->names[i]);
        }
        request_name(job, name);
        r = kv_writer_write_file(&w, dirfd, name, WRITE_FILE_NOREPLACE);
        kv_writer_done(&w);
        return r;
}

bool correction_pending(int dirfd, const char *job) {
        char name[96];

        request_name(job, name);
        return faccessat(dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static int dup_optional(const KvFile *kv, const char *key, char **ret) {
        const char *v = kv_get(kv, key);

        if (!v)
                return 0;
        *ret = strdup(v);
        return *ret ? 0 : -ENOMEM;
}

static int read_attachments(int dirfd, const char *job, const KvFile *kv, bool data, Correction *c) {
        char key[32], name[96];
        int r;

        for (size_t i = 0; i < CHORUS_ATTACHMENTS_MAX; i++) {
                snprintf(key, sizeof key, "ATTACHMENT_%zu", i + 1);
                if (!kv_get(kv, key))
                        break;
                c->names[i] = strdup(kv_get(kv, key));
                if (!c->names[i])
                        return -ENOMEM;
                c->n_attachments = i + 1;
                if (!data)
                        continue;
                attachment_name(job, i, name);
                r = read_file_bounded_at(dirfd, name, CHORUS_ATTACHMENT_MAX, &c->data[i], &c->sizes[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int read_request(int dirfd, const char *job, bool data, Correction **ret) {
        _cleanup_(kv_file_freep) KvFile *kv = NULL;
        _cleanup_(correction_freep) Correction *c = NULL;
        const char *kind;
        char name[96];
        int r;

        request_name(job, name);
        r = kv_read_file(dirfd, name, &kv);
        if (r < 0)
                return r;
        c = calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        kind = kv_get(kv, "KIND");
        if (streq_ptr(kind, "complete"))
                c->kind = CORRECTION_COMPLETE;
        else if (streq_ptr(kind, "recycle"))
                c->kind = CORRECTION_RECYCLE;
        else
                return -EBADMSG;
        if (dup_optional(kv, "ID", &c->id) < 0 || dup_optional(kv, "COMMENT", &c->comment) < 0 ||
            dup_optional(kv, "SERVICE", &c->service) < 0 || dup_optional(kv, "ENGAGEMENT", &c->engagement) < 0 ||
            dup_optional(kv, "USER", &c->user) < 0 || dup_optional(kv, "AS", &c->as) < 0)
                return -ENOMEM;
        if (!c->id)
                return -EBADMSG;
        r = read_attachments(dirfd, job, kv, data, c);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

int correction_read(int dirfd, const char *job, Correction **ret) {
        return read_request(dirfd, job, /* data= */ true, ret);
}

int correction_peek(const char *state_dir, const char *job, Correction **ret) {
        _cleanup_(closep) int root = -1, dirfd = -1;

        root = fs_open_dir(AT_FDCWD, state_dir, /* create= */ false);
        if (root < 0)
                return root;
        dirfd = fs_open_dir(root, CORRECTIONS_DIR, /* create= */ false);
        if (dirfd < 0)
                return dirfd;
        return read_request(dirfd, job, /* data= */ false, ret);
}

int correction_remove(int dirfd, const char *job) {
        char name[96];
        int r;

        request_name(job, name);
        if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
                return -errno;
        r = fsync_dir(dirfd);
        if (r < 0)
                return r;
        for (size_t i = 0; i < CHORUS_ATTACHMENTS_MAX; i++) {
                attachment_name(job, i, name);
                (void) unlinkat(dirfd, name, 0); /* leftovers are harmless */
        }
        return 0;
}

Correction *correction_free(Correction *c) {
        if (!c)
                return NULL;
        free(c->id);
        free(c->comment);
        free(c->service);
        free(c->engagement);
        free(c->user);
        free(c->as);
        for (size_t i = 0; i < CHORUS_ATTACHMENTS_MAX; i++) {
                free(c->names[i]);
                free(c->data[i]);
        }
        free(c);
        return NULL;
}
