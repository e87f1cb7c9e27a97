/* templates.h — the ready-to-fill workbooks chorusd keeps for the staff:
 * modele-bilan-ID.ods and modele-bilan-ID.xlsx of every loaded convention
 * in [spool] templates_dir (writers/bilan_template.h), refreshed at start
 * and at each reload.
 *
 * Each file is rewritten (atomically, mode 0644: the staff read them over
 * the share) only when its content changed; the templates of conventions
 * no longer loaded are deleted, and nothing else in the folder is touched.
 * The folder is created (0755) when missing. None of it is durable state: a
 * template lost in a crash is written again at the next start. */
#pragma once

#include "base/config.h"
#include "base/date.h"
#include "core/convention.h"

typedef struct TemplatesStats {
        unsigned written;   /* files written (new or changed) */
        unsigned unchanged; /* files already up to date */
        unsigned removed;   /* templates of conventions no longer loaded */
        unsigned failed;    /* files that could not be written or removed */
} TemplatesStats;

/* Does nothing when templates_dir is not set. Errors are logged (warnings)
 * and counted, never fatal: returns 0, or the first error (-errno) after
 * doing all it could. `today` dates the templates (the cached value of
 * =TODAY()); `ret_stats` is optional. */
int templates_refresh(const Config *config, ConventionSet *conventions, Date today,
                      TemplatesStats *ret_stats);
