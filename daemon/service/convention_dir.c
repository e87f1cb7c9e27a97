/* convention_dir.c — reads conventions.d/ (see convention_dir.h): the file
 * and directory side of the conventions, whose parsing is pure and lives in
 * core/convention.c. Reads are bounded, take no symlink and regular files
 * only. Failures: -EINVAL with diagnostics, -ENOMEM, or the -errno of the
 * directory or file.
 *
 * An indexed set (convention_set_index_dir()) lists the names at start and
 * reads a file when a bilan names its convention: first the files named
 * after the id (case aside: CDCMC-2026 in cdcmc-2026.json), then, if the id
 * is in none of them, every file not read yet, once. A file that does not
 * parse, or that repeats an id already read, becomes a problem recorded
 * under its id (or its name, when even the id cannot be read); the bilans
 * of that id are rejected with it. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "base/fileio.h"
#include "base/macro.h"
#include "service/convention_dir.h"

/* A read failure as a diagnostic on `file`; returns r. */
static int report_read_error(Diagnostics *diags, const char *file, int r, size_t max) {
        if (r == -ENOMEM)
                return r;
        if (r == -EFBIG)
                diag_error(diags, file, NULL, "the file is larger than %zu bytes", max);
        else if (r == -ELOOP)
                diag_error(diags, file, NULL, "is a symbolic link; put the file itself here");
        else if (r == -EBADFD || r == -EISDIR)
                diag_error(diags, file, NULL, "is not a regular file");
        else
                diag_error(diags, file, NULL, "cannot be read: %s", strerror(-r));
        return r;
}

static int load_at(int dir_fd, const char *name, const char *file, Convention **ret, Diagnostics *diags) {
        _cleanup_(freep) char *data = NULL;
        size_t size;
        int r;

        r = read_file_bounded_at(dir_fd, name, CONVENTION_FILE_MAX, &data, &size);
        if (r < 0)
                return report_read_error(diags, file, r, CONVENTION_FILE_MAX);
        return convention_parse(file, data, size, ret, diags);
}

int convention_load_file(const char *path, Convention **ret, Diagnostics *diags) {
        return load_at(AT_FDCWD, path, path, ret, diags);
}

static bool is_convention_file_name(const char *name) {
        size_t n = strlen(name);

        return name[0] != '.' && n > strlen(".json") && streq(name + n - strlen(".json"), ".json");
}

static int compare_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The sorted names of the *.json files in `d` (NULL-terminated). */
static int list_convention_files(DIR *d, char ***ret) {
        _cleanup_(strv_freep) char **names = NULL;
        size_t n = 0;
        struct dirent *de;

        errno = 0;
        while ((de = readdir(d))) {
                char **grown;

                if (!is_convention_file_name(de->d_name))
                        continue;
                grown = realloc(names, (n + 2) * sizeof(char *));
                if (!grown)
                        return -ENOMEM;
                names = grown;
                names[n] = strdup(de->d_name);
                if (!names[n])
                        return -ENOMEM;
                names[++n] = NULL;
        }
        if (errno != 0)
                return negative_errno();
        if (names)
                qsort(names, n, sizeof(char *), compare_names);
        *ret = TAKE_PTR(names);
        return 0;
}

/* Loads one file into the set. Returns -ENOMEM, or whether it was valid. */
static int set_load_one(ConventionSet *s, int dir_fd, const char *dir, const char *name, Diagnostics *diags) {
        _cleanup_(freep) char *file = NULL;
        Convention *conv = NULL;
        int r;

        if (asprintf(&file, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        r = load_at(dir_fd, name, file, &conv, diags);
        if (r < 0)
                return r;
        return convention_set_add(s, conv, diags);
}

int convention_set_load_dir(const char *dir, ConventionSet **ret, Diagnostics *diags) {
        _cleanup_(convention_set_freep) ConventionSet *s = NULL;
        _cleanup_(strv_freep) char **names = NULL;
        bool failed = false;
        DIR *d;
        int fd, r;

        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        d = fdopendir(fd);
        if (!d) {
                r = negative_errno();
                safe_close(fd);
                return r;
        }
        r = list_convention_files(d, &names);
        if (r >= 0) {
                s = calloc(1, sizeof(ConventionSet));
                if (!s)
                        r = -ENOMEM;
        }
        for (size_t i = 0; r >= 0 && names && names[i]; i++) {
                r = set_load_one(s, dirfd(d), dir, names[i], diags);
                if (r < 0 && r != -ENOMEM) {
                        failed = true;
                        r = 0;
                }
        }
        closedir(d);
        if (r < 0)
                return r;
        if (failed)
                return -EINVAL;
        if (s->n_items == 0)
                diag_warning(diags, dir, NULL, "no convention (*.json) in this directory: every bilan will be rejected");
        *ret = TAKE_PTR(s);
        return 0;
}

/* ---- indexed sets ---- */

typedef struct ConventionProblem {
        char *id;      /* the id the file declares, NULL if unreadable */
        char *stem;    /* its name without .json */
        char *message; /* its diagnostics, on one line */
} ConventionProblem;

struct ConventionIndex {
        ConventionSet *set; /* the set it fills (owns the index) */
        char *dir;
        int dir_fd;
        char **names;  /* sorted */
        bool *read;    /* per name: checked once (in the set, or its problem recorded) */
        bool *loaded;  /* per name: its convention is in the set now */
        char **ids;    /* per name: the id of a valid file, kept when it is forgotten */
        size_t n_names, n_unread;
        ConventionProblem *problems;
        size_t n_problems;
};

static void index_free(ConventionIndex *x) {
        if (!x)
                return;
        for (size_t i = 0; i < x->n_problems; i++) {
                free(x->problems[i].id);
                free(x->problems[i].stem);
                free(x->problems[i].message);
        }
        free(x->problems);
        for (size_t i = 0; x->ids && i < x->n_names; i++)
                free(x->ids[i]);
        free(x->ids);
        strv_free(x->names);
        free(x->loaded);
        free(x->read);
        free(x->dir);
        safe_close(x->dir_fd);
        free(x);
}

/* The diagnostics of one file on one line: "F: error: P: m; F: error: …". */
static char *diagnostics_one_line(const Diagnostics *d) {
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        if (!f)
                return NULL;
        diagnostics_print(d, f, /* french= */ false);
        if (fclose(f) != 0) {
                free(text);
                return NULL;
        }
        while (size > 0 && text[size - 1] == '\n')
                text[--size] = '\0';
        for (char *p = text; (p = strchr(p, '\n'));)
                *p = ';', p++;
        return text;
}

/* The "id" a file declares, when it is JSON with a string id at least. */
static char *declared_id(const char *data, size_t size) {
        cJSON *root = cJSON_ParseWithLength(data, size);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");
        char *ret = cJSON_IsString(id) ? strdup(id->valuestring) : NULL;

        cJSON_Delete(root);
        return ret;
}

static int index_add_problem(ConventionIndex *x, const char *name, const char *data, size_t size,
                             const Diagnostics *d) {
        ConventionProblem *grown, *p;
        size_t n = strlen(name) - strlen(".json");

        grown = realloc(x->problems, (x->n_problems + 1) * sizeof(ConventionProblem));
        if (!grown)
                return -ENOMEM;
        x->problems = grown;
        p = &x->problems[x->n_problems];
        *p = (ConventionProblem) {
                .id = data ? declared_id(data, size) : NULL,
                .stem = strndup(name, n),
                .message = diagnostics_one_line(d),
        };
        if (!p->stem || !p->message) {
                free(p->id);
                free(p->stem);
                free(p->message);
                return -ENOMEM;
        }
        x->n_problems++;
        return 0;
}

static int index_read_one(ConventionIndex *x, size_t i);

/* Before file `i`'s convention joins the set: a valid file with the same
 * id, forgotten since, comes back first, so that convention_set_add()
 * sees the repeated id as when both were in memory. */
static int index_reload_same_id(ConventionIndex *x, const char *id, size_t i) {
        for (size_t j = 0; j < x->n_names; j++)
                if (j != i && x->ids[j] && !x->loaded[j] && streq(x->ids[j], id))
                        return index_read_one(x, j);
        return 0;
}

/* Reads names[i] into the set, or records why it cannot be used: its
 * first read, or a reload after convention_set_forget(). */
static int index_read_one(ConventionIndex *x, size_t i) {
        _cleanup_(freep) char *file = NULL, *data = NULL, *id = NULL;
        Diagnostics diags = DIAGNOSTICS_INIT;
        Convention *conv = NULL;
        bool first = !x->read[i];
        size_t size = 0;
        int r;

        if (first) {
                x->read[i] = true;
                x->n_unread--;
        }
        if (asprintf(&file, "%s/%s", x->dir, x->names[i]) < 0)
                return -ENOMEM;
        r = read_file_bounded_at(x->dir_fd, x->names[i], CONVENTION_FILE_MAX, &data, &size);
        if (r < 0)
                r = report_read_error(&diags, file, r, CONVENTION_FILE_MAX);
        else
                r = convention_parse(file, data, size, &conv, &diags);
        if (r >= 0) {
                id = strdup(conv->id);
                r = id ? index_reload_same_id(x, id, i) : -ENOMEM;
                if (r == -ENOMEM)
                        convention_free(conv);
                else
                        r = convention_set_add(x->set, conv, &diags); /* -EINVAL: a repeated id */
        }
        if (r >= 0) {
                x->loaded[i] = true;
                free(x->ids[i]);
                x->ids[i] = TAKE_PTR(id);
        } else if (r != -ENOMEM) {
                free(x->ids[i]); /* changed since it was forgotten, and broken */
                x->ids[i] = NULL;
                r = index_add_problem(x, x->names[i], data, size, &diags);
        }
        diagnostics_clear(&diags);
        if (r == -ENOMEM && first) { /* left unread: tried again when next needed */
                x->read[i] = false;
                x->n_unread++;
        }
        return r;
}

/* The valid file that holds `id`, forgotten (convention_set_forget()),
 * read again. */
static int index_reload(ConventionIndex *x, const char *id) {
        for (size_t i = 0; i < x->n_names; i++)
                if (x->ids[i] && !x->loaded[i] && streq(x->ids[i], id))
                        return index_read_one(x, i);
        return 0;
}

/* ConventionSet.index_id. */
static const char *index_id(const ConventionIndex *x, size_t i) {
        return i < x->n_names ? x->ids[i] : NULL;
}

static const ConventionProblem *index_problem(const ConventionIndex *x, const char *id) {
        for (size_t i = 0; i < x->n_problems; i++) {
                const ConventionProblem *p = &x->problems[i];

                if (p->id ? streq(p->id, id) : strcasecmp(p->stem, id) == 0)
                        return p;
        }
        return NULL;
}

/* Whether names[i] is `id`.json, case aside. */
static bool name_is_id(const char *name, const char *id) {
        size_t n = strlen(id);

        return strncasecmp(name, id, n) == 0 && streq(name + n, ".json");
}

static bool set_has(const ConventionSet *s, const char *id) {
        for (size_t i = 0; i < s->n_items; i++)
                if (streq(s->items[i]->id, id))
                        return true;
        return false;
}

/* ConventionSet.read_more. Out of memory, the id stays unknown: the bilan
 * is rejected as naming an unknown convention, and the next one retries. */
static const char *index_read_more(ConventionIndex *x, const char *id, bool loaded) {
        const ConventionProblem *p;

        if (id) {
                p = index_problem(x, id);
                if (p || loaded)
                        return p ? p->message : NULL;
        }
        if (id && index_reload(x, id) == -ENOMEM)
                return NULL;
        if (x->n_unread == 0)
                return NULL;
        for (size_t i = 0; id && i < x->n_names; i++)
                if (!x->read[i] && name_is_id(x->names[i], id) && index_read_one(x, i) == -ENOMEM)
                        return NULL;
        if (!id || (!set_has(x->set, id) && !index_problem(x, id)))
                for (size_t i = 0; i < x->n_names && x->n_unread > 0; i++)
                        if (!x->read[i] && index_read_one(x, i) == -ENOMEM)
                                return NULL;
        p = id ? index_problem(x, id) : NULL;
        return p ? p->message : NULL;
}

bool convention_set_read_some(const ConventionSet *s, size_t max) {
        ConventionIndex *x = s ? s->index : NULL;

        for (size_t i = 0; x && i < x->n_names && max > 0; i++)
                if (!x->read[i]) {
                        if (index_read_one(x, i) == -ENOMEM)
                                return true; /* tried again at the next call */
                        max--;
                }
        return x && x->n_unread > 0;
}

/* The name index of a convention the index read (its source_file is
 * "DIR/NAME"), or -ENOENT. */
static ssize_t index_name_of(const ConventionIndex *x, const Convention *c) {
        const char *slash = c->source_file ? strrchr(c->source_file, '/') : NULL;
        const char *name = slash ? slash + 1 : c->source_file;
        char *const *found;

        if (!name || !x->names)
                return -ENOENT;
        found = bsearch(&name, x->names, x->n_names, sizeof(char *), compare_names);
        return found ? found - x->names : -ENOENT;
}

void convention_set_forget(ConventionSet *s, size_t keep) {
        ConventionIndex *x = s ? s->index : NULL;
        size_t drop;

        if (!x || s->n_items <= keep)
                return;
        drop = s->n_items - keep;
        for (size_t k = 0; k < drop; k++) {
                ssize_t i = index_name_of(x, s->items[k]);

                if (i >= 0)
                        x->loaded[i] = false;
                convention_free(s->items[k]);
        }
        memmove(s->items, s->items + drop, keep * sizeof(Convention *));
        s->n_items = keep;
}

int convention_set_load_nth(ConventionSet *s, size_t i, const Convention **ret) {
        ConventionIndex *x = s->index;
        int r;

        *ret = NULL;
        if (!x) {
                if (i >= s->n_items)
                        return -ENOENT;
                *ret = s->items[i];
                return 0;
        }
        if (i >= x->n_names)
                return -ENOENT;
        if (!x->read[i] || (x->ids[i] && !x->loaded[i])) {
                r = index_read_one(x, i);
                if (r == -ENOMEM)
                        return r;
        }
        if (x->ids[i] && x->loaded[i])
                *ret = convention_set_find(s, x->ids[i]);
        return 0;
}

size_t convention_set_index_valid(const ConventionSet *s) {
        size_t n = 0;

        for (size_t i = 0; s && s->index && i < s->index->n_names; i++)
                n += s->index->ids[i] != NULL;
        return s && s->index ? n : (s ? s->n_items : 0);
}

const char *convention_set_index_problem(const ConventionSet *s, size_t i) {
        return s->index->problems[i].message;
}

size_t convention_set_index_problems(const ConventionSet *s) {
        return s && s->index ? s->index->n_problems : 0;
}

int convention_set_index_dir(const char *dir, ConventionSet **ret, Diagnostics *diags) {
        _cleanup_(convention_set_freep) ConventionSet *s = NULL;
        ConventionIndex *x;
        DIR *d;
        int fd, r;

        s = calloc(1, sizeof(ConventionSet));
        x = calloc(1, sizeof(ConventionIndex));
        if (!s || !x) {
                free(x);
                return -ENOMEM;
        }
        x->dir_fd = -EBADF;
        s->index = x;
        s->index_free = index_free;
        s->read_more = index_read_more;
        s->index_id = index_id;
        x->set = s;
        x->dir = strdup(dir);
        if (!x->dir)
                return -ENOMEM;
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        /* The directory stays open: files are read from the one listed. */
        x->dir_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (x->dir_fd < 0) {
                r = negative_errno();
                safe_close(fd);
                return r;
        }
        d = fdopendir(fd);
        if (!d) {
                r = negative_errno();
                safe_close(fd);
                return r;
        }
        r = list_convention_files(d, &x->names);
        closedir(d);
        if (r < 0)
                return r;
        while (x->names && x->names[x->n_names])
                x->n_names++;
        x->read = calloc(x->n_names + 1, sizeof(bool));
        x->loaded = calloc(x->n_names + 1, sizeof(bool));
        x->ids = calloc(x->n_names + 1, sizeof(char *));
        if (!x->read || !x->loaded || !x->ids)
                return -ENOMEM;
        x->n_unread = s->n_files = x->n_names;
        if (x->n_names == 0)
                diag_warning(diags, dir, NULL, "no convention (*.json) in this directory: every bilan will be rejected");
        *ret = TAKE_PTR(s);
        return 0;
}
