/* spool_watch.c — the entries of incoming/ a claim pass did not take:
 * files still settling (by deadline, earliest first) and stuck entries
 * (skipped while they stay the same), and the claim pass itself
 * (spool_claim_next, spool_rewind, the writer notes; see spool.h).
 *
 * Part of the spool module (spool_internal.h). Never deletes or
 * overwrites: a due entry is claimed through claim_one() in spool.c.
 * Failures come back as -errno (an fstatat() error, -ENOMEM when a watch
 * cannot be added, or claim_one()'s); logs nothing. */
#include <assert.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/fsutil.h"
#include "base/log.h"
#include "service/spool.h"
#include "service/spool_internal.h"

/* ---- Watched entries: settling files, stuck entries ---------------------- */

#ifndef USEC_PER_SEC
#define USEC_PER_SEC UINT64_C(1000000)
#endif
#define MAX_U64(a, b) ((a) > (b) ? (a) : (b))
#define CLOCK_STEP_USEC USEC_PER_SEC

static uint64_t timespec_usec(struct timespec t) {
        return t.tv_sec < 0 ? 0 : (uint64_t) t.tv_sec * USEC_PER_SEC + (uint64_t) t.tv_nsec / 1000;
}

static bool timespec_eq(struct timespec a, struct timespec b) {
        return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

static void watch_set_stat(SpoolWatch *w, const struct stat *st) {
        w->dev = st->st_dev;
        w->ino = st->st_ino;
        w->mode = st->st_mode;
        w->uid = st->st_uid;
        w->size = st->st_size;
        w->mtime = st->st_mtim;
        w->ctime = st->st_ctim;
}

/* The same entry (a chmod or a chown makes it another one: worth a look). */
static bool watch_same_entry(const SpoolWatch *w, const struct stat *st) {
        return w->dev == st->st_dev && w->ino == st->st_ino && w->mode == st->st_mode && w->uid == st->st_uid;
}

/* ... with the same content, as far as stat() tells: ctime moves with every
 * write and cannot be set back by the writer. */
static bool watch_unchanged(const SpoolWatch *w, const struct stat *st) {
        return watch_same_entry(w, st) && w->size == st->st_size && timespec_eq(w->mtime, st->st_mtim) &&
               timespec_eq(w->ctime, st->st_ctim);
}

static size_t name_hash(const char *name) {
        uint64_t h = UINT64_C(14695981039346656037); /* FNV-1a */

        for (const unsigned char *p = (const unsigned char *) name; *p; p++)
                h = (h ^ *p) * UINT64_C(1099511628211);
        return (size_t) h;
}

static SpoolWatch *watch_find(const Spool *s, const char *name) {
        if (s->n_buckets == 0)
                return NULL;
        for (SpoolWatch *w = s->buckets[name_hash(name) & (s->n_buckets - 1)]; w; w = w->hnext)
                if (streq(w->name, name))
                        return w;
        return NULL;
}

static int watch_grow(Spool *s) {
        size_t n = s->n_buckets > 0 ? s->n_buckets * 2 : 64;
        SpoolWatch **b = calloc(n, sizeof *b);

        if (!b)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_buckets; i++)
                for (SpoolWatch *w = s->buckets[i], *next; w; w = next) {
                        size_t k = name_hash(w->name) & (n - 1);
                        next = w->hnext;
                        w->hnext = b[k];
                        b[k] = w;
                }
        free(s->buckets);
        s->buckets = b;
        s->n_buckets = n;
        return 0;
}

int watch_add(Spool *s, const char *name, const struct stat *st, SpoolWatch **ret) {
        SpoolWatch *w;
        size_t k;
        int r;

        if (s->n_watches >= s->n_buckets) {
                r = watch_grow(s);
                if (r < 0)
                        return r;
        }
        w = calloc(1, sizeof *w);
        if (!w)
                return -ENOMEM;
        w->name = strdup(name);
        if (!w->name) {
                free(w);
                return -ENOMEM;
        }
        watch_set_stat(w, st);
        k = name_hash(name) & (s->n_buckets - 1);
        w->hnext = s->buckets[k];
        s->buckets[k] = w;
        s->n_watches++;
        *ret = w;
        return 0;
}

static void due_unlink(Spool *s, SpoolWatch *w) {
        if (!w->queued)
                return;
        if (w->prev)
                w->prev->next = w->next;
        else
                s->due_head = w->next;
        if (w->next)
                w->next->prev = w->prev;
        else
                s->due_tail = w->prev;
        w->prev = w->next = NULL;
        w->queued = false;
}

/* Deadlines mostly come in order (now + settle): insert from the tail. */
static void due_insert(Spool *s, SpoolWatch *w, uint64_t deadline) {
        SpoolWatch *after;

        due_unlink(s, w);
        w->deadline = deadline;
        for (after = s->due_tail; after && after->deadline > deadline; after = after->prev)
                ;
        w->prev = after;
        w->next = after ? after->next : s->due_head;
        if (w->next)
                w->next->prev = w;
        else
                s->due_tail = w;
        if (after)
                after->next = w;
        else
                s->due_head = w;
        w->queued = true;
}

static void watch_drop(Spool *s, SpoolWatch *w) {
        SpoolWatch **p = &s->buckets[name_hash(w->name) & (s->n_buckets - 1)];

        due_unlink(s, w);
        while (*p != w)
                p = &(*p)->hnext;
        *p = w->hnext;
        if (w->stuck)
                s->n_stuck--;
        s->n_watches--;
        watch_free(w);
}

/* Stuck entries not seen by a whole pass are gone: forget them. */
static void watch_prune_stuck(Spool *s) {
        for (size_t i = 0; s->n_stuck > 0 && i < s->n_buckets; i++)
                for (SpoolWatch *w = s->buckets[i], *next; w; w = next) {
                        next = w->hnext;
                        if (w->stuck && w->pass != s->pass)
                                watch_drop(s, w);
                }
}

/* Old enough to take at once: neither written nor renamed (mtime, ctime)
 * for settle_usec by the wall clock, as long as that clock has not been
 * stepped (or the machine suspended) since the spool was opened. */
static bool file_is_old(Spool *s, const struct stat *st) {
        int64_t drift = clock_offset_now() - s->clock_offset;
        uint64_t now, latest;

        if (drift > (int64_t) CLOCK_STEP_USEC || drift < -(int64_t) CLOCK_STEP_USEC)
                s->clock_stepped = true;
        if (s->clock_stepped)
                return false;
        now = now_realtime_usec();
        latest = MAX_U64(timespec_usec(st->st_mtim), timespec_usec(st->st_ctim));
        return latest <= now && now - latest >= s->settle_usec;
}

static uint64_t writer_wait(const Spool *s) {
        return MAX_U64(s->settle_usec, s->writer_wait_usec);
}

/* The next entry of the cursor: claimed (1, `ret` filled), left to settle
 * or skipped as stuck (0), or -errno (-ENOENT: gone, skip it). */
static int claim_or_watch(Spool *s, const char *name, uint64_t now, SpoolClaim *ret) {
        int dirfd = s->dirfds[SPOOL_INCOMING], r;
        SpoolWatch *w = watch_find(s, name);
        struct stat st;

        if (w && !w->stuck)
                return 0; /* settling: its deadline brings it back */
        if (w || s->settle_usec > 0) {
                if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        r = negative_errno();
                        if (w && r == -ENOENT)
                                watch_drop(s, w);
                        return r;
                }
        }
        if (w) {
                if (watch_same_entry(w, &st)) {
                        w->pass = s->pass;
                        return 0;
                }
                watch_drop(s, w); /* changed: look at it anew */
        }
        if (s->settle_usec > 0 && S_ISREG(st.st_mode) && !file_is_old(s, &st)) {
                r = watch_add(s, name, &st, &w);
                if (r < 0)
                        return r;
                due_insert(s, w, now + s->settle_usec);
                return 0;
        }
        r = claim_one(s, name, ret);
        return r < 0 ? r : 1;
}

/* A settling entry whose deadline came: claimed (1), still settling or gone
 * (0), or -errno. */
static int watch_due(Spool *s, SpoolWatch *w, uint64_t now, SpoolClaim *ret) {
        _cleanup_(freep) char *name = NULL;
        struct stat st;
        int r;

        due_unlink(s, w);
        if (fstatat(s->dirfds[SPOOL_INCOMING], w->name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                r = negative_errno();
                watch_drop(s, w);
                return r == -ENOENT ? 0 : r;
        }
        if (!watch_unchanged(w, &st)) {
                if (!watch_same_entry(w, &st)) {
                        w->writing = false; /* another file renamed over it: no writer known */
                        w->opens = 0;
                }
                watch_set_stat(w, &st);
                due_insert(s, w, now + (w->writing ? writer_wait(s) : s->settle_usec));
                return 0;
        }
        if (w->opens > 0) {
                /* Opened under our eyes and not closed yet: a writer that
                 * paused (a stalled copy over SMB) or a reader. Never taken
                 * open, however long it stays quiet; its close brings it back. */
                due_insert(s, w, now + writer_wait(s));
                return 0;
        }
        /* Quiet for settle_usec since it was closed (or since we first saw
         * it), or for writer_wait() with no close and no open seen (a hard
         * link made into incoming/): take it. */
        name = strdup(w->name);
        if (!name) {
                due_insert(s, w, now + s->settle_usec);
                return -ENOMEM;
        }
        watch_drop(s, w);
        r = claim_one(s, name, ret);
        if (r == -ENOENT)
                return 0;
        return r < 0 ? r : 1;
}

int spool_claim_next(Spool *s, SpoolClaim *ret) {
        uint64_t now = now_clock_usec(CLOCK_MONOTONIC);
        int r;

        while (s->due_head && s->due_head->deadline <= now) {
                r = watch_due(s, s->due_head, now, ret);
                if (r != 0)
                        return r;
        }
        for (;;) {
                struct dirent *de;

                r = fs_readdir(s->incoming, &de);
                if (r < 0)
                        return r;
                if (r == 0) {
                        if (s->pass_from_top)
                                watch_prune_stuck(s);
                        s->pass_from_top = false;
                        return 0;
                }
                s->stats.entries_examined++;
                if (spool_name_is_ignored(de->d_name))
                        continue;
                r = claim_or_watch(s, de->d_name, now, ret);
                if (r == 0 || r == -ENOENT)
                        continue; /* settling, stuck, or taken or removed since readdir() */
                return r;
        }
}

int spool_claim_next_unsynced(Spool *s, SpoolClaim *ret) {
        int r;

        s->defer_claim_sync = true;
        r = spool_claim_next(s, ret);
        s->defer_claim_sync = false;
        return r;
}

uint64_t spool_next_deadline(const Spool *s) {
        return s->due_head ? s->due_head->deadline : 0;
}

/* The watch of regular file `name` (added if need be, in *added): 1, 0 if
 * it is gone, not a file or stuck (the claim pass sees to it), -ENOMEM.
 * `fresh`: a new file by that name, so a stuck entry is looked at anew. */
static int watch_for_event(Spool *s, const char *name, bool fresh, SpoolWatch **ret, bool *added) {
        SpoolWatch *w;
        struct stat st;
        int r;

        *added = false;
        if (s->settle_usec == 0 || spool_name_is_ignored(name))
                return 0;
        if (fstatat(s->dirfds[SPOOL_INCOMING], name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                return 0;
        w = watch_find(s, name);
        if (w && w->stuck) {
                if (!fresh)
                        return 0;
                watch_drop(s, w);
                w = NULL;
        }
        if (!w) {
                r = watch_add(s, name, &st, &w);
                if (r < 0)
                        return r;
                *added = true;
        } else
                watch_set_stat(w, &st);
        *ret = w;
        return 1;
}

/* Created or written: wait for the writer's close. */
static int note_writer(Spool *s, const char *name, bool fresh) {
        SpoolWatch *w;
        bool added;
        int r = watch_for_event(s, name, fresh, &w, &added);

        if (r <= 0)
                return r;
        w->writing = true;
        due_insert(s, w, now_clock_usec(CLOCK_MONOTONIC) + writer_wait(s));
        return added;
}

int spool_note_created(Spool *s, const char *name) {
        int r = note_writer(s, name, true);
        return r < 0 ? r : 0;
}

int spool_note_modified(Spool *s, const char *name) {
        return note_writer(s, name, false);
}

int spool_note_opened(Spool *s, const char *name) {
        SpoolWatch *w;
        bool added;
        int r = watch_for_event(s, name, false, &w, &added);

        if (r <= 0)
                return r;
        w->opens++;
        if (added)
                due_insert(s, w, now_clock_usec(CLOCK_MONOTONIC) + s->settle_usec);
        return added;
}

void spool_note_closed(Spool *s, const char *name) {
        SpoolWatch *w = watch_find(s, name);
        struct stat st;

        if (!w || w->stuck)
                return; /* the claim pass the close wakes finds it */
        w->writing = false;
        if (w->opens > 0)
                w->opens--;
        if (fstatat(s->dirfds[SPOOL_INCOMING], name, &st, AT_SYMLINK_NOFOLLOW) >= 0)
                watch_set_stat(w, &st);
        due_insert(s, w, now_clock_usec(CLOCK_MONOTONIC) + s->settle_usec);
}

bool spool_note_released(Spool *s, const char *name) {
        SpoolWatch *w = watch_find(s, name);

        if (!w || w->stuck || w->opens == 0 || --w->opens > 0)
                return false;
        /* A reader changes nothing: the quiet period still applies, and a
         * writer not closed yet still holds it. */
        due_insert(s, w, now_clock_usec(CLOCK_MONOTONIC) + (w->writing ? writer_wait(s) : s->settle_usec));
        return true;
}

/* Closes may have been lost, so an open count could stay up for ever; but
 * the file may as well still be open: wait for a writer's quiet minute. */
void spool_forget_writers(Spool *s) {
        uint64_t deadline = now_clock_usec(CLOCK_MONOTONIC) + writer_wait(s);

        for (size_t i = 0; i < s->n_buckets; i++)
                for (SpoolWatch *w = s->buckets[i]; w; w = w->hnext)
                        if (w->writing || w->opens > 0) {
                                w->writing = true;
                                w->opens = 0;
                                due_insert(s, w, deadline);
                        }
}

void spool_rewind(Spool *s) {
        rewinddir(s->incoming);
        s->stats.rewinds++;
        s->pass++;
        s->pass_from_top = true;
}
