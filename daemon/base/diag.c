/* diag.c — collecting and printing validation diagnostics (see diag.h).
 * Pure: no I/O except diagnostics_print() on the FILE it is given. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"

static void diag_done(Diag *x) {
        free(x->file);
        free(x->path);
        free(x->message);
        free(x->message_fr);
        free(x->sheet);
        free(x->cell);
}

void diagnostics_clear(Diagnostics *d) {
        if (!d)
                return;
        for (size_t i = 0; i < d->n_items; i++)
                diag_done(&d->items[i]);
        free(d->items);
        *d = DIAGNOSTICS_INIT;
}

static int diagnostics_push(Diagnostics *d, Diag *x) {
        Diag *items = realloc(d->items, (d->n_items + 1) * sizeof(Diag));
        if (!items)
                return -ENOMEM;
        d->items = items;
        d->items[d->n_items++] = *x;
        if (x->severity == DIAG_ERROR)
                d->n_errors++;
        else
                d->n_warnings++;
        return 0;
}

static int diag_new(Diagnostics *d, DiagSeverity severity, const char *file, unsigned line,
                    const char *path, char *message, char *message_fr) {
        Diag x = {
                .severity = severity,
                .line = line,
                .message = message,
                .message_fr = message_fr,
        };
        int r;

        if (!message)
                goto fail;
        if (file && !(x.file = strdup(file)))
                goto fail;
        if (path && !(x.path = strdup(path)))
                goto fail;
        r = diagnostics_push(d, &x);
        if (r < 0)
                goto fail;
        return 0;
fail:
        diag_done(&x);
        return -ENOMEM;
}

int diag_add(Diagnostics *d, DiagSeverity severity, const char *file, unsigned line,
             const char *path, const char *format, ...) {
        char *message = NULL;
        va_list ap;
        int r;

        if (!d)
                return 0;
        va_start(ap, format);
        r = vasprintf(&message, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return diag_new(d, severity, file, line, path, message, NULL);
}

int diag_add2(Diagnostics *d, DiagSeverity severity, const char *file, unsigned line,
              const char *path, const char *format_en, const char *format_fr, ...) {
        char *en = NULL, *fr = NULL;
        va_list ap, aq;
        int r1, r2;

        if (!d)
                return 0;
        va_start(ap, format_fr);
        va_copy(aq, ap);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        r1 = vasprintf(&en, format_en, ap);
        r2 = vasprintf(&fr, format_fr, aq);
#pragma GCC diagnostic pop
        va_end(aq);
        va_end(ap);
        if (r1 < 0 || r2 < 0) {
                free(r1 < 0 ? NULL : en);
                free(r2 < 0 ? NULL : fr);
                return -ENOMEM;
        }
        return diag_new(d, severity, file, line, path, en, fr);
}

int diag_set_location(Diag *x, const char *sheet, const char *cell) {
        char *s = strdup(sheet), *c = cell ? strdup(cell) : NULL;

        if (!s || (cell && !c)) {
                free(s);
                free(c);
                return -ENOMEM;
        }
        free(x->sheet);
        free(x->cell);
        x->sheet = s;
        x->cell = c;
        return 0;
}

static void print_location(FILE *f, const Diag *x, bool french) {
        if (x->sheet && x->cell)
                fprintf(f, french ? "feuille %s, cellule %s : " : "sheet %s, cell %s: ", x->sheet, x->cell);
        else if (x->sheet)
                fprintf(f, french ? "feuille %s : " : "sheet %s: ", x->sheet);
        else if (x->path)
                fprintf(f, "%s: ", x->path);
}

void diagnostics_print(const Diagnostics *d, FILE *f, bool french) {
        if (!d)
                return;
        for (size_t i = 0; i < d->n_items; i++) {
                const Diag *x = &d->items[i];
                const char *text = french && x->message_fr ? x->message_fr : x->message;
                const char *level = x->severity == DIAG_ERROR ? (french ? "erreur" : "error")
                                                              : (french ? "avertissement" : "warning");

                if (x->file && x->line > 0)
                        fprintf(f, "%s:%u: ", x->file, x->line);
                else if (x->file)
                        fprintf(f, "%s: ", x->file);
                fprintf(f, "%s: ", level);
                print_location(f, x, french);
                fprintf(f, "%s\n", text);
        }
}

void diagnostics_remove(Diagnostics *d, size_t i) {
        if (!d || i >= d->n_items)
                return;
        if (d->items[i].severity == DIAG_ERROR)
                d->n_errors--;
        else
                d->n_warnings--;
        diag_done(&d->items[i]);
        memmove(d->items + i, d->items + i + 1, (d->n_items - i - 1) * sizeof(Diag));
        d->n_items--;
}

int diagnostics_move(Diagnostics *dst, Diagnostics *src) {
        for (size_t i = 0; i < src->n_items; i++) {
                int r = diagnostics_push(dst, &src->items[i]);
                if (r < 0) {
                        /* what was not moved stays in src, which the caller frees */
                        memmove(src->items, src->items + i, (src->n_items - i) * sizeof(Diag));
                        src->n_items -= i;
                        src->n_errors = src->n_warnings = 0;
                        for (size_t j = 0; j < src->n_items; j++)
                                *(src->items[j].severity == DIAG_ERROR ? &src->n_errors : &src->n_warnings) += 1;
                        return r;
                }
        }
        free(src->items);
        *src = DIAGNOSTICS_INIT;
        return 0;
}
