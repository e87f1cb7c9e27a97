/* harfbuzz_lazy.h — HarfBuzz is loaded at its first call (writers/harfbuzz_lazy.c). */
#pragma once

/* Loads libharfbuzz now. Returns 0, or -ELIBACC when it cannot be loaded
 * (said once, through log.c). */
int harfbuzz_lazy_load(void);
