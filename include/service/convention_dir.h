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
