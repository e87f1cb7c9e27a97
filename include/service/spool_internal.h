/* spool_internal.h — private to the spool module's files (spool.c,
 * spool_watch.c): the Spool and its watched entries, and the functions
 * they call across files. No other module includes it; they use spool.h. */
#pragma once

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "service/spool.h"

/* An entry of incoming/ that a claim pass did not take: a file still
 * settling (waiting for settle_usec of quiet), or one we could not move
 * (stuck: reported once, then skipped while it stays the same). */
typedef struct SpoolWatch SpoolWatch;
struct SpoolWatch {
        char *name;
        SpoolWatch *hnext;       /* hash bucket chain */
        SpoolWatch *prev, *next; /* the due list (settling entries only) */
        dev_t dev;
        ino_t ino;
        mode_t mode;
        uid_t uid;
        off_t size;
        struct timespec mtime, ctime;
        uint64_t deadline; /* CLOCK_MONOTONIC µs: look again then */
        uint64_t pass;     /* stuck: the last pass that saw it */
        bool stuck;
        unsigned opens; /* IN_OPEN seen, minus IN_CLOSE_*: held open by someone */
        bool writing; /* created or written under our eyes and not yet closed */
        bool queued;  /* in the due list */
};

struct Spool {
        int root_fd;
        int dirfds[_SPOOL_DIR_MAX];
        DIR *incoming; /* the claim cursor */
        uint64_t max_file_size;
        uint64_t settle_usec;
        uint64_t writer_wait_usec; /* SPOOL_WRITER_WAIT_USEC but in tests */
        SpoolStats stats;

        /* Watched entries by name (chained hash, power-of-two buckets), and
         * the settling ones by deadline, earliest first. */
        SpoolWatch **buckets;
        size_t n_buckets, n_watches, n_stuck;
        SpoolWatch *due_head, *due_tail;
        uint64_t pass;          /* bumped by each rewind */
        bool pass_from_top;     /* this pass started at the top of incoming/ */
        int64_t clock_offset;   /* CLOCK_REALTIME - CLOCK_MONOTONIC at open */
        bool clock_stepped;     /* the wall clock jumped since: trust no mtime */
        bool defer_claim_sync;  /* spool_claim_next_unsynced(): leave the folders' fsyncs */
        bool claims_unsynced;   /* claims whose folders spool_claims_sync() must fsync */
};

/* spool.c */
int64_t clock_offset_now(void);
SpoolWatch *watch_free(SpoolWatch *w);
int claim_one(Spool *s, const char *name, SpoolClaim *ret);

/* spool_watch.c */
int watch_add(Spool *s, const char *name, const struct stat *st, SpoolWatch **ret);
