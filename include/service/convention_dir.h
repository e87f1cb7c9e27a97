/* convention_dir.h — loading conventions from files: one file, or every
 * *.json of a conventions.d/ directory (sorted by name; dotfiles ignored;
 * two files with the same id are an error). Parsing is convention_parse()
 * (core/convention.h), which does no I/O. */
#pragma once

#include "base/diag.h"
#include "core/convention.h"

/* Reads (bounded, no symlink, regular file only) and parses one file.
 * -EINVAL with diagnostics, -ENOMEM, or the file's -errno. */
int convention_load_file(const char *path, Convention **ret, Diagnostics *diags);
/* Every convention of `dir`. -EINVAL with diagnostics if any file is
 * invalid, -ENOMEM, or the directory's -errno. */
int convention_set_load_dir(const char *dir, ConventionSet **ret, Diagnostics *diags);
/* The same directory, indexed only: its *.json names are listed, and a
 * file is read when convention_set_find() or convention_set_lookup() first
 * needs an id it may hold (core/convention.h). What a broken file says is
 * then the problem of its id, for the bilans that name it; chorusctl
 * check-config still reads them all (convention_set_load_dir()). For
 * chorusd and `chorusctl render`: start-up does not grow with the number
 * of conventions. -ENOMEM or the directory's -errno. */
int convention_set_index_dir(const char *dir, ConventionSet **ret, Diagnostics *diags);
/* Frees the conventions of an indexed set but the `keep` read last; a
 * forgotten one is read again from its file when a lookup needs it (and
 * every one by convention_set_read_all()). So memory holds a few
 * conventions, not conventions.d/ (10 000 conventions took 28 MiB).
 * Pointers from lookups stay valid until this call: chorusd makes it
 * between two event dispatches, where no step holds one. */
void convention_set_forget(ConventionSet *s, size_t keep);
/* How many chorusd keeps (convention_set_forget()'s `keep`). */
#define CONVENTIONS_KEPT 64
/* For going through every convention with few in memory: the i-th file's
 * convention of an indexed set (read, or read again, now; *ret NULL if the
 * file is not a valid convention), or the i-th of a set loaded whole.
 * -ENOENT past the end, -ENOMEM. Call convention_set_forget() as you go. */
int convention_set_load_nth(ConventionSet *s, size_t i, const Convention **ret);
/* How many files of an indexed set were found valid so far (in memory or
 * forgotten); for a set loaded whole, its size. */
size_t convention_set_index_valid(const ConventionSet *s);
/* Reads at most `max` files not read yet; whether some remain. */
bool convention_set_read_some(const ConventionSet *s, size_t max);
/* What the i-th broken file says (i < convention_set_index_problems()). */
const char *convention_set_index_problem(const ConventionSet *s, size_t i);
/* How many files of an indexed set were read and found broken so far. */
size_t convention_set_index_problems(const ConventionSet *s);
