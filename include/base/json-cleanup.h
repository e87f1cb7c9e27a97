/* json-cleanup.h — the cleanup helper every cJSON user shares:
 *     _cleanup_(cJSON_Deletep) cJSON *o = cJSON_CreateObject(); */
#pragma once

#include <cjson/cJSON.h>

#include "base/macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(cJSON *, cJSON_Delete);
