/* clockshift.c — an LD_PRELOAD shim that shifts the wall clock of one
 * process (chorusd under scripts/fault-suite) without touching the
 * machine's clock: clock steps, forward and back, while it runs.
 *
 *   CLOCKSHIFT_FILE=/path/offset LD_PRELOAD=.../clockshift.so chorusd …
 *
 * The file holds one signed integer, the offset in seconds (missing or
 * unreadable: 0). It is read again at most every 20 ms, so the suite steps
 * the clock by rewriting it (atomically: write a temporary file, rename).
 *
 * Shifted: clock_gettime(CLOCK_REALTIME, CLOCK_REALTIME_COARSE), time(),
 * gettimeofday(). Untouched: CLOCK_MONOTONIC, CLOCK_BOOTTIME and every
 * other clock.
 *
 * Timers: sd-event arms CLOCK_REALTIME timers as timerfds with absolute
 * expiry times, which the kernel compares with the real clock. The shim
 * translates those expiry times, and re-arms every such timer when the
 * offset changes, so that a timer behaves as under a real clock step: after
 * a forward step, a timer whose time has passed fires at once; after a step
 * back, it fires that much later. To notice a step while the process sleeps,
 * epoll_wait() sleeps in slices of at most 50 ms (the caller never sees the
 * slices). Built by scripts/fault-suite; not part of chorusd. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define NSEC_PER_SEC 1000000000LL
#define MAX_TIMERS 256
#define REREAD_NSEC (20 * 1000000LL)
#define SLICE_MSEC 50

typedef struct Timer {
        int fd;
        int armed; /* an absolute expiry is set */
        struct itimerspec shifted; /* as the caller gave it (shifted clock) */
} Timer;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static Timer timers[MAX_TIMERS];
static long long offset_ns;        /* current offset */
static long long armed_offset_ns;  /* offset the kernel timers were armed with */
static long long last_read_ns = -1; /* CLOCK_MONOTONIC of the last read */

static int (*real_clock_gettime)(clockid_t, struct timespec *);
static int (*real_timerfd_create)(int, int);
static int (*real_timerfd_settime)(int, int, const struct itimerspec *, struct itimerspec *);
static int (*real_epoll_wait)(int, struct epoll_event *, int, int);
static int (*real_epoll_pwait)(int, struct epoll_event *, int, int, const sigset_t *);

static void resolve(void) {
        if (real_clock_gettime)
                return;
        real_timerfd_create = (int (*)(int, int)) dlsym(RTLD_NEXT, "timerfd_create");
        real_timerfd_settime = (int (*)(int, int, const struct itimerspec *, struct itimerspec *)) dlsym(
                RTLD_NEXT, "timerfd_settime");
        real_epoll_wait = (int (*)(int, struct epoll_event *, int, int)) dlsym(RTLD_NEXT, "epoll_wait");
        real_epoll_pwait = (int (*)(int, struct epoll_event *, int, int, const sigset_t *)) dlsym(
                RTLD_NEXT, "epoll_pwait");
        real_clock_gettime = (int (*)(clockid_t, struct timespec *)) dlsym(RTLD_NEXT, "clock_gettime");
}

static long long ts_ns(const struct timespec *t) {
        return (long long) t->tv_sec * NSEC_PER_SEC + t->tv_nsec;
}

static struct timespec ns_ts(long long ns) {
        struct timespec t;
        if (ns < 0)
                ns = 0;
        t.tv_sec = (time_t) (ns / NSEC_PER_SEC);
        t.tv_nsec = (long) (ns % NSEC_PER_SEC);
        return t;
}

static long long read_offset_file(void) {
        const char *path = getenv("CLOCKSHIFT_FILE");
        int saved = errno; /* the callers of clock_gettime() never see ours */
        char buf[64];
        ssize_t n;
        int fd;

        if (!path)
                return 0;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                errno = saved;
                return offset_ns; /* EMFILE, or a rename under way: keep the last one */
        }
        n = read(fd, buf, sizeof buf - 1);
        close(fd);
        errno = saved;
        if (n <= 0)
                return offset_ns;
        buf[n] = 0;
        return strtoll(buf, NULL, 10) * NSEC_PER_SEC;
}

/* Re-arms the tracked timers for the current offset. Lock held. */
static void rearm_locked(void) {
        for (size_t i = 0; i < MAX_TIMERS; i++) {
                Timer *t = &timers[i];
                struct itimerspec k;
                if (!t->armed)
                        continue;
                k = t->shifted;
                k.it_value = ns_ts(ts_ns(&t->shifted.it_value) - offset_ns);
                if (k.it_value.tv_sec == 0 && k.it_value.tv_nsec == 0)
                        k.it_value.tv_nsec = 1; /* 0 would disarm it */
                if (real_timerfd_settime(t->fd, TFD_TIMER_ABSTIME, &k, NULL) < 0)
                        t->armed = 0; /* closed behind our back */
        }
        armed_offset_ns = offset_ns;
}

/* The current offset, read again when the last read is old. */
static long long current_offset(void) {
        struct timespec m;
        long long now, off;

        resolve();
        real_clock_gettime(CLOCK_MONOTONIC, &m);
        now = ts_ns(&m);
        pthread_mutex_lock(&lock);
        if (last_read_ns < 0 || now - last_read_ns >= REREAD_NSEC) {
                last_read_ns = now;
                offset_ns = read_offset_file();
                if (offset_ns != armed_offset_ns)
                        rearm_locked();
        }
        off = offset_ns;
        pthread_mutex_unlock(&lock);
        return off;
}

int clock_gettime(clockid_t clk, struct timespec *tp) {
        int r;

        resolve();
        r = real_clock_gettime(clk, tp);
        if (r == 0 && (clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE))
                *tp = ns_ts(ts_ns(tp) + current_offset());
        return r;
}

time_t time(time_t *t) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        if (t)
                *t = ts.tv_sec;
        return ts.tv_sec;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
        struct timespec ts;
        (void) tz;
        clock_gettime(CLOCK_REALTIME, &ts);
        tv->tv_sec = ts.tv_sec;
        tv->tv_usec = ts.tv_nsec / 1000;
        return 0;
}

/* The slot of fd (fds are > 0 here; a free slot has fd 0). */
static Timer *timer_slot(int fd, int create) {
        Timer *free_slot = NULL;
        for (size_t i = 0; i < MAX_TIMERS; i++) {
                if (timers[i].fd == fd)
                        return &timers[i];
                if (!free_slot && timers[i].fd == 0)
                        free_slot = &timers[i];
        }
        return create ? free_slot : NULL;
}

int timerfd_create(int clockid, int flags) {
        Timer *t;
        int fd;

        resolve();
        fd = real_timerfd_create(clockid, flags);
        if (fd <= 0)
                return fd;
        pthread_mutex_lock(&lock);
        t = timer_slot(fd, clockid == CLOCK_REALTIME);
        if (t) {
                /* A new realtime timer, or an old fd number reused for
                 * another clock: forget what was known. */
                t->fd = clockid == CLOCK_REALTIME ? fd : 0;
                t->armed = 0;
        }
        pthread_mutex_unlock(&lock);
        return fd;
}

int timerfd_settime(int fd, int flags, const struct itimerspec *new_value, struct itimerspec *old_value) {
        struct itimerspec k;
        Timer *t;
        int r;

        resolve();
        (void) current_offset();
        pthread_mutex_lock(&lock);
        t = fd > 0 ? timer_slot(fd, 0) : NULL;
        if (!t || !(flags & TFD_TIMER_ABSTIME) || !new_value ||
            (new_value->it_value.tv_sec == 0 && new_value->it_value.tv_nsec == 0)) {
                if (t)
                        t->armed = 0;
                pthread_mutex_unlock(&lock);
                return real_timerfd_settime(fd, flags, new_value, old_value);
        }
        k = *new_value;
        k.it_value = ns_ts(ts_ns(&new_value->it_value) - offset_ns);
        if (k.it_value.tv_sec == 0 && k.it_value.tv_nsec == 0)
                k.it_value.tv_nsec = 1;
        r = real_timerfd_settime(fd, flags, &k, old_value);
        if (r == 0) {
                t->shifted = *new_value;
                t->armed = 1;
        }
        pthread_mutex_unlock(&lock);
        return r;
}

/* Sleeps in slices so that a clock step re-arms the timers while waiting. */
static int sliced_wait(int epfd, struct epoll_event *ev, int max, int timeout, const sigset_t *mask) {
        struct timespec m;
        long long deadline = 0;

        resolve();
        if (timeout > 0) {
                real_clock_gettime(CLOCK_MONOTONIC, &m);
                deadline = ts_ns(&m) + (long long) timeout * 1000000LL;
        }
        for (;;) {
                int slice = SLICE_MSEC, r;
                if (timeout == 0)
                        slice = 0;
                else if (timeout > 0) {
                        real_clock_gettime(CLOCK_MONOTONIC, &m);
                        long long left = (deadline - ts_ns(&m)) / 1000000LL;
                        if (left <= 0)
                                return 0;
                        if (left < slice)
                                slice = (int) left;
                }
                r = mask ? real_epoll_pwait(epfd, ev, max, slice, mask) : real_epoll_wait(epfd, ev, max, slice);
                if (r != 0 || timeout == 0)
                        return r;
                (void) current_offset(); /* re-arms the timers after a step */
        }
}

int epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout) {
        return sliced_wait(epfd, ev, max, timeout, NULL);
}

int epoll_pwait(int epfd, struct epoll_event *ev, int max, int timeout, const sigset_t *mask) {
        return sliced_wait(epfd, ev, max, timeout, mask);
}
