/* chorus_client_ops.c — the operations of the Chorus Pro client: the
 * table (path, paging, parser and destructor of each), one starting
 * function per operation, and the synchronous wrappers chorusctl uses (see
 * chorus_client.h). Part of the chorus_client module
 * (chorus_client_internal.h).
 *
 * How it fails: a request builder's -errno is returned before any call
 * starts; otherwise the call runs in chorus_client.c and
 * reports through its callback. A synchronous wrapper runs the event loop
 * until the call reports and returns its -errno with the scrubbed
 * ChorusError in `reterr` (an sd_event_run() failure cancels the call). */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "chorus/chorus_client.h"
#include "chorus/chorus_client_internal.h"
#include "chorus/chorus_json.h"
#include "base/macro.h"

/* ---- operations ---- */

#define PARSE_ONE(fn, type)                                                                    \
        static int fn##_any(const cJSON *j, void *r, ChorusPage *p, char **m) {                \
                (void) p;                                                                      \
                return fn(j, (type *) r, m);                                                   \
        }
#define PARSE_PAGED(fn, type)                                                                  \
        static int fn##_any(const cJSON *j, void *r, ChorusPage *p, char **m) {                \
                return fn(j, (type *) r, p, m);                                                \
        }
#define DONE(fn, type)                                                                         \
        static void fn##_any(void *r) {                                                        \
                fn((type *) r);                                                                \
        }

PARSE_ONE(chorus_parse_health, ChorusHealth)
PARSE_ONE(chorus_parse_deposit, ChorusDepositResult)
PARSE_ONE(chorus_parse_flux_report, ChorusFluxReport)
PARSE_PAGED(chorus_parse_invoice_search_page, ChorusInvoiceList)
PARSE_PAGED(chorus_parse_invoice_history_page, ChorusInvoiceHistory)
PARSE_PAGED(chorus_parse_structure_search_page, ChorusStructureList)
PARSE_ONE(chorus_parse_structure, ChorusStructure)
PARSE_PAGED(chorus_parse_service_search_page, ChorusServiceList)
PARSE_ONE(chorus_parse_service, ChorusServiceDetail)
PARSE_ONE(chorus_parse_correction, ChorusCorrectionResult)
DONE(chorus_health_done, ChorusHealth)
DONE(chorus_deposit_result_done, ChorusDepositResult)
DONE(chorus_flux_report_done, ChorusFluxReport)
DONE(chorus_invoice_list_done, ChorusInvoiceList)
DONE(chorus_invoice_history_done, ChorusInvoiceHistory)
DONE(chorus_structure_list_done, ChorusStructureList)
DONE(chorus_structure_done, ChorusStructure)
DONE(chorus_service_list_done, ChorusServiceList)
DONE(chorus_service_detail_done, ChorusServiceDetail)
DONE(chorus_correction_result_done, ChorusCorrectionResult)

static void token_info_done(void *r) {
        (void) r;
}

#define OPERATION(n, p, pk, type, parser, destructor, ...)                                     \
        { .name = (n), .path = (p), .paging_key = (pk), .result_size = sizeof(type),           \
          .parse = parser##_any, .result_done = destructor##_any, __VA_ARGS__ }

static const ChorusOperation op_token = {
        .name = "token", .result_size = sizeof(ChorusTokenInfo),
        .result_done = token_info_done,
};
static const ChorusOperation op_health = OPERATION("health-check", CHORUS_PATH_HEALTH_CHECK, NULL, ChorusHealth,
                                                   chorus_parse_health, chorus_health_done, .get = true);
static const ChorusOperation op_deposit = OPERATION("deposer/flux", CHORUS_PATH_DEPOSIT, NULL, ChorusDepositResult,
                                                    chorus_parse_deposit, chorus_deposit_result_done,
                                                    .send_once = true);
static const ChorusOperation op_flux_report = OPERATION("consulterCRDetaille", CHORUS_PATH_FLUX_REPORT, NULL,
                                                        ChorusFluxReport, chorus_parse_flux_report,
                                                        chorus_flux_report_done);
static const ChorusOperation op_invoice_search = OPERATION("rechercher/fournisseur", CHORUS_PATH_INVOICE_SEARCH,
                                                           CHORUS_INVOICE_SEARCH_PAGING, ChorusInvoiceList,
                                                           chorus_parse_invoice_search_page,
                                                           chorus_invoice_list_done);
static const ChorusOperation op_invoice_history = OPERATION("consulter/historique", CHORUS_PATH_INVOICE_HISTORY,
                                                            CHORUS_HISTORY_PAGING, ChorusInvoiceHistory,
                                                            chorus_parse_invoice_history_page,
                                                            chorus_invoice_history_done);
static const ChorusOperation op_complete = OPERATION("completer", CHORUS_PATH_COMPLETE, NULL, ChorusCorrectionResult,
                                                     chorus_parse_correction, chorus_correction_result_done,
                                                     .send_once = true);
static const ChorusOperation op_recycle = OPERATION("recycler", CHORUS_PATH_RECYCLE, NULL, ChorusCorrectionResult,
                                                    chorus_parse_correction, chorus_correction_result_done,
                                                    .send_once = true);
static const ChorusOperation op_structure_search = OPERATION("structures/rechercher", CHORUS_PATH_STRUCTURE_SEARCH,
                                                             CHORUS_STRUCTURE_SEARCH_PAGING, ChorusStructureList,
                                                             chorus_parse_structure_search_page,
                                                             chorus_structure_list_done);
static const ChorusOperation op_structure_get = OPERATION("structures/consulter", CHORUS_PATH_STRUCTURE_GET, NULL,
                                                          ChorusStructure, chorus_parse_structure,
                                                          chorus_structure_done);
static const ChorusOperation op_service_search = OPERATION("structures/rechercher/services",
                                                           CHORUS_PATH_SERVICE_SEARCH, CHORUS_SERVICE_SEARCH_PAGING,
                                                           ChorusServiceList, chorus_parse_service_search_page,
                                                           chorus_service_list_done);
static const ChorusOperation op_service_get = OPERATION("structures/consulter/service", CHORUS_PATH_SERVICE_GET,
                                                        NULL, ChorusServiceDetail, chorus_parse_service,
                                                        chorus_service_detail_done);

/* ---- the operations ---- */

/* Runs a builder's result into call_start: `r` is the builder's return. */
static int start_built(ChorusClient *c, const ChorusOperation *op, int r, cJSON *request, void *result,
                       ChorusCallback cb, void *userdata, ChorusCall **ret_call) {
        if (r < 0)
                return r;
        return call_start(c, op, request, result, cb, userdata, ret_call);
}

int chorus_token_refresh(ChorusClient *c, ChorusTokenInfo *result, ChorusCallback cb, void *userdata,
                         ChorusCall **ret_call) {
        /* Drop the cached token, unless a request for a new one is already
         * in flight: that one is fresh. */
        if (!c->token_request)
                c->token = erase_and_free(c->token);
        return call_start(c, &op_token, NULL, result, cb, userdata, ret_call);
}

int chorus_health_check(ChorusClient *c, ChorusHealth *result, ChorusCallback cb, void *userdata,
                        ChorusCall **ret_call) {
        return call_start(c, &op_health, NULL, result, cb, userdata, ret_call);
}

int chorus_deposit(ChorusClient *c, const ChorusDepositRequest *req, ChorusDepositResult *result,
                   ChorusCallback cb, void *userdata, ChorusCall **ret_call) {
        cJSON *j = NULL;
        int r = chorus_build_deposit(req, &j);
        return start_built(c, &op_deposit, r, j, result, cb, userdata, ret_call);
}

int chorus_flux_report(ChorusClient *c, const char *numero_flux_depot, ChorusFluxReport *result,
                       ChorusCallback cb, void *userdata, ChorusCall **ret_call) {
        cJSON *j = NULL;
        int r = chorus_build_flux_report(numero_flux_depot, &j);
        return start_built(c, &op_flux_report, r, j, result, cb, userdata, ret_call);
}

int chorus_invoice_search(ChorusClient *c, const ChorusInvoiceSearch *req, ChorusInvoiceList *result,
                          ChorusCallback cb, void *userdata, ChorusCall **ret_call) {
        cJSON *j = NULL;
        int r = chorus_build_invoice_search(req, &j);
        return start_built(c, &op_invoice_search, r, j, result, cb, userdata, ret_call);
}

int chorus_invoice_history(ChorusClient *c, int64_t id_facture, ChorusInvoiceHistory *result,
                           ChorusCallback cb, void *userdata, ChorusCall **ret_call) {
        cJSON *j = NULL;
        int r = chorus_build_invoice_history(id_facture, &j);
        return start_built(c, &op_invoice_history, r, j, result, cb, userdata, ret_call);
}

int chorus_invoice_complete(ChorusClient *c, const ChorusCompleteRequest *req, ChorusCorrectionResult *result,
                            ChorusCallback cb, void *userdata, ChorusCall **ret_call) {
        cJSON *j = NULL;
        int r = chorus_build_complete(req, &j);
        return start_built(c, &op_complete, r, j, result, cb, userdata, ret_call);
}

int chorus_invoice_recycle(ChorusClient *c, const ChorusRecycleRequest *req, ChorusCorrectionResult *result,
                           ChorusCallback cb, void *userdata, ChorusCall **ret_call) {
        cJSON *j = NULL;
        int r = chorus_build_recycle(req, &j);
        return start_built(c, &op_recycle, r, j, result, cb, userdata, ret_call);
}

int chorus_structure_search(ChorusClient *c, const char *siret, ChorusStructureList *result,
                            ChorusCallback cb, void *userdata, ChorusCall **ret_call) {
        cJSON *j = NULL;
        int r = chorus_build_structure_search(siret, &j);
        return start_built(c, &op_structure_search, r, j, result, cb, userdata, ret_call);
}

int chorus_structure_get(ChorusClient *c, int64_t id_structure_cpp, ChorusStructure *result,
                         ChorusCallback cb, void *userdata, ChorusCall **ret_call) {
        cJSON *j = NULL;
        int r = chorus_build_structure_get(id_structure_cpp, &j);
        return start_built(c, &op_structure_get, r, j, result, cb, userdata, ret_call);
}

int chorus_service_search(ChorusClient *c, int64_t id_structure_cpp, ChorusServiceList *result,
                          ChorusCallback cb, void *userdata, ChorusCall **ret_call) {
        cJSON *j = NULL;
        int r = chorus_build_service_search(id_structure_cpp, &j);
        return start_built(c, &op_service_search, r, j, result, cb, userdata, ret_call);
}

int chorus_service_get(ChorusClient *c, int64_t id_structure_cpp, int64_t id_service,
                       ChorusServiceDetail *result, ChorusCallback cb, void *userdata, ChorusCall **ret_call) {
        cJSON *j = NULL;
        int r = chorus_build_service_get(id_structure_cpp, id_service, &j);
        return start_built(c, &op_service_get, r, j, result, cb, userdata, ret_call);
}

/* ---- synchronous wrappers ---- */

typedef struct SyncWait {
        bool done;
        int r;
        ChorusError error;
} SyncWait;

static void on_sync_done(ChorusCall *call, int r, ChorusError *error, void *userdata) {
        SyncWait *w = userdata;

        (void) call;
        w->done = true;
        w->r = r;
        if (error)
                chorus_error_move(&w->error, error);
}

/* Runs the loop until the call started with `w` as userdata reports. */
static int sync_wait(ChorusClient *c, const char *operation, int r, ChorusCall *call, SyncWait *w,
                     ChorusError *reterr) {
        ChorusError e = {};

        if (r < 0) {
                (void) chorus_error_internal(&e, operation, r);
                goto fail;
        }
        while (!w->done) {
                r = sd_event_run(c->event, UINT64_MAX);
                if (r < 0) {
                        chorus_call_cancel(call);
                        (void) chorus_error_internal(&e, operation, r);
                        goto fail;
                }
        }
        if (w->r >= 0)
                return 0;
        r = w->r;
        chorus_error_move(&e, &w->error);
fail:
        if (reterr) {
                chorus_error_done(reterr);
                chorus_error_move(reterr, &e);
        }
        chorus_error_done(&e);
        return r;
}

#define SYNC_CALL(c, operation, start_expr, reterr)                                            \
        __extension__({                                                                        \
                SyncWait _w = {};                                                              \
                ChorusCall *_call = NULL;                                                      \
                int _r = (start_expr);                                                         \
                sync_wait((c), (operation), _r, _call, &_w, (reterr));                         \
        })
#define SYNC_ARGS on_sync_done, &_w, &_call

int chorus_token_refresh_sync(ChorusClient *c, ChorusTokenInfo *ret, ChorusError *reterr) {
        return SYNC_CALL(c, "token", chorus_token_refresh(c, ret, SYNC_ARGS), reterr);
}

int chorus_health_check_sync(ChorusClient *c, ChorusHealth *ret, ChorusError *reterr) {
        return SYNC_CALL(c, op_health.name, chorus_health_check(c, ret, SYNC_ARGS), reterr);
}

int chorus_deposit_sync(ChorusClient *c, const ChorusDepositRequest *req, ChorusDepositResult *ret,
                        ChorusError *reterr) {
        return SYNC_CALL(c, op_deposit.name, chorus_deposit(c, req, ret, SYNC_ARGS), reterr);
}

int chorus_flux_report_sync(ChorusClient *c, const char *numero_flux_depot, ChorusFluxReport *ret,
                            ChorusError *reterr) {
        return SYNC_CALL(c, op_flux_report.name, chorus_flux_report(c, numero_flux_depot, ret, SYNC_ARGS),
                         reterr);
}

int chorus_invoice_search_sync(ChorusClient *c, const ChorusInvoiceSearch *req, ChorusInvoiceList *ret,
                               ChorusError *reterr) {
        return SYNC_CALL(c, op_invoice_search.name, chorus_invoice_search(c, req, ret, SYNC_ARGS), reterr);
}

int chorus_invoice_history_sync(ChorusClient *c, int64_t id_facture, ChorusInvoiceHistory *ret,
                                ChorusError *reterr) {
        return SYNC_CALL(c, op_invoice_history.name, chorus_invoice_history(c, id_facture, ret, SYNC_ARGS),
                         reterr);
}

int chorus_invoice_complete_sync(ChorusClient *c, const ChorusCompleteRequest *req, ChorusCorrectionResult *ret,
                                 ChorusError *reterr) {
        return SYNC_CALL(c, op_complete.name, chorus_invoice_complete(c, req, ret, SYNC_ARGS), reterr);
}

int chorus_invoice_recycle_sync(ChorusClient *c, const ChorusRecycleRequest *req, ChorusCorrectionResult *ret,
                                ChorusError *reterr) {
        return SYNC_CALL(c, op_recycle.name, chorus_invoice_recycle(c, req, ret, SYNC_ARGS), reterr);
}

int chorus_structure_search_sync(ChorusClient *c, const char *siret, ChorusStructureList *ret,
                                 ChorusError *reterr) {
        return SYNC_CALL(c, op_structure_search.name, chorus_structure_search(c, siret, ret, SYNC_ARGS),
                         reterr);
}

int chorus_structure_get_sync(ChorusClient *c, int64_t id_structure_cpp, ChorusStructure *ret,
                              ChorusError *reterr) {
        return SYNC_CALL(c, op_structure_get.name, chorus_structure_get(c, id_structure_cpp, ret, SYNC_ARGS),
                         reterr);
}

int chorus_service_search_sync(ChorusClient *c, int64_t id_structure_cpp, ChorusServiceList *ret,
                               ChorusError *reterr) {
        return SYNC_CALL(c, op_service_search.name,
                         chorus_service_search(c, id_structure_cpp, ret, SYNC_ARGS), reterr);
}

int chorus_service_get_sync(ChorusClient *c, int64_t id_structure_cpp, int64_t id_service,
                            ChorusServiceDetail *ret, ChorusError *reterr) {
        return SYNC_CALL(c, op_service_get.name,
                         chorus_service_get(c, id_structure_cpp, id_service, ret, SYNC_ARGS), reterr);
}
