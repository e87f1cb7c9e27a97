/* manager_conventions.c — reads the rest of an indexed conventions.d/ in
 * the background (see convention_dir.h, manager.h).
 *
 * chorusd starts with conventions.d/ indexed only, and a bilan reads the
 * convention it names. So that a broken file or a repeated id is still told
 * in the journal soon after start (when all files were parsed before
 * READY=1, it kept chorusd from starting), a defer source below the claims'
 * priority reads CONVENTIONS_BATCH files per loop iteration until none is
 * left, logs what does not load, then turns itself off: no wake-up once
 * done. */
#include <systemd/sd-event.h>

#include "base/log.h"
#include "service/convention_dir.h"
#include "service/manager.h"
#include "service/manager_internal.h"

#define CONVENTIONS_BATCH 64

/* Logs the problems found since the last call (by this source or by a
 * bilan that needed the file). */
static void log_new_problems(Manager *m) {
        size_t n = convention_set_index_problems(m->conventions);

        for (; m->conventions_logged < n; m->conventions_logged++)
                log_warning("Convention file does not load; the bilans naming it are rejected: %s",
                            convention_set_index_problem(m->conventions, m->conventions_logged));
}

static int on_conventions_idle(sd_event_source *s, void *userdata) {
        Manager *m = userdata;
        bool more = convention_set_read_some(m->conventions, CONVENTIONS_BATCH);

        convention_set_forget(m->conventions, CONVENTIONS_KEPT);

        log_new_problems(m);
        if (!more) {
                log_info("Conventions: %zu files read, %zu valid, %zu do not load.",
                         convention_set_size(m->conventions), convention_set_index_valid(m->conventions),
                         convention_set_index_problems(m->conventions));
                (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
        }
        return 0;
}

int manager_read_conventions_later(Manager *m) {
        int r;

        m->conventions_logged = 0;
        if (!m->conventions_source) {
                r = sd_event_add_defer(m->event, &m->conventions_source, on_conventions_idle, m);
                if (r < 0)
                        return log_error_errno(r, "Failed to add the conventions source: %m");
                (void) sd_event_source_set_priority(m->conventions_source, SD_EVENT_PRIORITY_IDLE + 1);
        }
        (void) sd_event_source_set_enabled(m->conventions_source, SD_EVENT_ON);
        return 0;
}
