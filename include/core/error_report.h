/* error_report.h — the rejected/NAME.error.txt that tells the staff who
 * wrote a bilan why it was not invoiced and how to fix it.
 *
 * Plain French for the bilan's author (which file, each problem with where
 * it is and what to write instead, what to do next), then the same
 * diagnostics in English for the administrator. Pure: builds text only;
 * spool_reject() writes it. */
#pragma once

#include <stddef.h>

#include "base/diag.h"

/* `bilan_name` is the name the staff gave the file, `spool_name` its name
 * in rejected/, `job_id` the reference to quote. Uses each diagnostic's
 * French message (or the English one when there is none). Returns 0 and a
 * new UTF-8 text, or -ENOMEM. */
int error_report_format(const char *bilan_name, const char *spool_name, const char *job_id,
                        const Diagnostics *d, char **ret, size_t *ret_size);
