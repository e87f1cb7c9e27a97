/* macro.h — small helpers every module uses: cleanup attributes, ownership
 * transfer, array sizes and printf-format checking.
 *
 * systemd's cleanup macros are internal to systemd and not part of
 * libsystemd, so we keep our own minimal copy here. Every destructor wrapped
 * by DEFINE_TRIVIAL_CLEANUP_FUNC accepts NULL. */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_ __attribute__((unused))
#define _warn_unused_result_ __attribute__((warn_unused_result))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* Hand ownership on: returns the value and clears the variable so that its
 * cleanup attribute no longer frees it. */
#define TAKE_PTR(p)                                  \
        __extension__({                              \
                __typeof__(p) _take_ = (p);          \
                (p) = NULL;                          \
                _take_;                              \
        })
#define TAKE_FD(fd)                                  \
        __extension__({                              \
                int _take_fd_ = (fd);                \
                (fd) = -1;                           \
                _take_fd_;                           \
        })

static inline void freep(void *p) {
        free(*(void **) p);
}

/* Frees a NULL-terminated array of strings. */
static inline char **strv_free(char **l) {
        if (!l)
                return NULL;
        for (char **i = l; *i; i++)
                free(*i);
        free(l);
        return NULL;
}
static inline void strv_freep(char ***l) {
        strv_free(*l);
}

static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}

/* Keeps errno intact so that "goto fail" paths can report the first error. */
static inline int safe_close(int fd) {
        if (fd >= 0) {
                int saved = errno;
                close(fd);
                errno = saved;
        }
        return -1;
}
static inline void closep(int *fd) {
        safe_close(*fd);
}

#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)      \
        static inline void func##p(type *p) {        \
                if (*p)                              \
                        func(*p);                    \
        }

/* NAME_to_string() and NAME_from_string() for an enum whose string table is
 * indexed by its values (systemd's DEFINE_STRING_TABLE_LOOKUP): out of range
 * gives NULL, an unknown string gives `invalid`. */
#define DEFINE_STRING_TABLE_LOOKUP(name, type, table, max, invalid) \
        const char *name##_to_string(type i) {                     \
                return i >= 0 && i < (max) ? table[i] : NULL;      \
        }                                                          \
        type name##_from_string(const char *s) {                   \
                for (int i_ = 0; s && i_ < (max); i_++)            \
                        if (table[i_] && streq(s, table[i_]))      \
                                return (type) i_;                  \
                return invalid;                                    \
        }

/* Returns -errno of the last libc failure, never 0 (a libc call that failed
 * without setting errno is reported as -EIO). */
static inline int negative_errno(void) {
        return errno > 0 ? -errno : -EIO;
}

static inline const char *strempty(const char *s) {
        return s ? s : "";
}
static inline int streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}
#define streq(a, b) (strcmp((a), (b)) == 0)
#define isempty(s) (!(s) || !(s)[0])

/* Zeroes memory in a way the compiler may not optimise away: used on buffers
 * that held secrets before they are freed. */
static inline void explicit_bzero_safe(void *p, size_t n) {
        if (p && n > 0)
                explicit_bzero(p, n);
}
static inline char *erase_and_free(char *s) {
        if (s) {
                explicit_bzero_safe(s, strlen(s));
                free(s);
        }
        return NULL;
}
static inline void erase_and_freep(char **s) {
        erase_and_free(*s);
}
