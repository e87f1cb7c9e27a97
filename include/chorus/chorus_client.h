/* chorus_client.h — the Chorus Pro client: PISTE OAuth2 token, the calls
 * chorusd makes, failure classification and in-process retries.
 *
 * Asynchronous, for a single-threaded sd-event loop: every call starts at
 * once and reports through a callback from the loop; any number may be in
 * flight together (libcurl multi, see chorus_http.h). Each call has a
 * synchronous wrapper (_sync) that runs the client's loop until the call is
 * done — the same code path, for chorusctl and the tests. A client created
 * without an event gets a private one; the _sync wrappers must not be used
 * from inside a callback of the loop they run.
 *
 * Token: client-credentials grant (grant_type, client_id, client_secret,
 * scope=openid in the form body). Cached; renewed when less than
 * min(240 s, lifetime / 2) remains. Calls that need a token while none is
 * valid share one token request. On a 401 the token is dropped and fetched
 * again once, then the request is sent once more; a second 401 is reported
 * (functional) with the WWW-Authenticate detail.
 *
 * Headers on every API call: Authorization: Bearer, cpro-account (base64 of
 * technical_login:password), Content-Type: application/json;charset=utf-8.
 * Answers: JSON (cJSON); codeRetour checked on 200 and on 400.
 *
 * Failures: chorus_error.h has the classification table (temporary or
 * functional, and whether the request may have been processed). Temporary
 * failures are retried in-process only when retry_deadline_usec > 0: the
 * delay comes from retry_next_delay() (retry.h), Retry-After is honoured,
 * and no attempt starts after the deadline. The daemon sets it to 0 and
 * keeps its own durable retry state with the same function.
 *
 * Secrets (client secret, technical password, cpro-account, tokens) are
 * copied into the client, wiped on free, never logged, never put into an
 * error message (server texts quoted in messages are scrubbed of them), and
 * curl's verbose mode is never on.
 *
 * Results: a call fills the caller's result struct only on success, just
 * before the callback; free it with the result type's _done(). The result
 * must stay valid until the callback or chorus_call_cancel(). */
#pragma once

#include <stdint.h>
#include <systemd/sd-event.h>

#include "chorus/chorus_api.h"
#include "chorus/chorus_error.h"
#include "base/config.h"
#include "chorus/credentials.h"
#include "chorus/retry.h"

typedef struct ChorusClient ChorusClient;
typedef struct ChorusCall ChorusCall;

#define CHORUS_TOKEN_RENEW_MARGIN_USEC (240 * USEC_PER_SEC)

/* Paths under api_url (chorus-pro-api.md §3). */
#define CHORUS_PATH_HEALTH_CHECK "/cpro/transverses/v1/health-check"
#define CHORUS_PATH_DEPOSIT "/cpro/factures/v1/deposer/flux"
#define CHORUS_PATH_FLUX_REPORT "/cpro/transverses/v1/consulterCRDetaille"
#define CHORUS_PATH_INVOICE_SEARCH "/cpro/factures/v1/rechercher/fournisseur"
#define CHORUS_PATH_INVOICE_HISTORY "/cpro/factures/v1/consulter/historique"
#define CHORUS_PATH_COMPLETE "/cpro/factures/v1/completer"
#define CHORUS_PATH_RECYCLE "/cpro/factures/v1/recycler"
#define CHORUS_PATH_STRUCTURE_SEARCH "/cpro/structures/v1/rechercher"
#define CHORUS_PATH_STRUCTURE_GET "/cpro/structures/v1/consulter"
#define CHORUS_PATH_SERVICE_SEARCH "/cpro/structures/v1/rechercher/services"
#define CHORUS_PATH_SERVICE_GET "/cpro/structures/v1/consulter/service"

/* Called each time a temporary failure is about to be retried: `attempt`
 * is the number of the coming attempt (2 for the first retry) and
 * delay_usec what retry_next_delay() chose. For progress messages and
 * tests. */
typedef void (*ChorusRetryHook)(const ChorusError *error, unsigned attempt, uint64_t delay_usec,
                                void *userdata);

/* Called each time Chorus Pro answered a request as its API says: a
 * result, or a refusal (codeRetour). chorusd records it as its last
 * contact (metrics.h). */
typedef void (*ChorusAnswerHook)(void *userdata);

typedef struct ChorusClientOptions {
        const ChorusConfig *config;   /* api_url, oauth_url, ca_file, client_id, technical_login, timeouts */
        const ChorusSecrets *secrets; /* copied */
        sd_event *event;              /* NULL = a private loop */
        uint64_t retry_deadline_usec; /* 0 = one attempt, no in-process retry */
        RetryPolicy retry_policy;     /* all zero = RETRY_POLICY_INTERACTIVE */
        uint64_t max_response_size;   /* 0 = CHORUS_HTTP_RESPONSE_MAX_DEFAULT (16 MiB) */
        unsigned connect_timeout_ms;  /* 0 = config->connect_timeout seconds */
        unsigned timeout_ms;          /* 0 = config->timeout seconds */
        ChorusRetryHook retry_hook;
        void *retry_hook_userdata;
        ChorusAnswerHook answer_hook;
        void *answer_hook_userdata;
} ChorusClientOptions;

/* Returns 0, or a negative errno with *reterr_message (free()) naming the
 * problem: no api_url/oauth_url, a URL that is not https, an unreadable or
 * empty ca_file, missing secrets. */
int chorus_client_new(const ChorusClientOptions *o, ChorusClient **ret, char **reterr_message);
/* Cancels every call in flight (no callback) and wipes the secrets. Must
 * not be called from a callback of this client. */
ChorusClient *chorus_client_free(ChorusClient *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(ChorusClient *, chorus_client_free);
sd_event *chorus_client_get_event(ChorusClient *c);

/* r = 0: the result is filled and error is NULL. r < 0
 * (chorus_error_to_errno()): error says why; the callback may take it with
 * chorus_error_move(), otherwise it is freed after the callback. The call
 * itself is freed when the callback returns. */
typedef void (*ChorusCallback)(ChorusCall *call, int r, ChorusError *error, void *userdata);

/* Cancels a call in flight: its callback is not called, its result is left
 * untouched, everything it holds is freed. Accepts NULL. Not for the call
 * whose callback is running. */
void chorus_call_cancel(ChorusCall *call);

typedef struct ChorusTokenInfo {
        uint64_t lifetime_usec; /* expires_in */
} ChorusTokenInfo;

/* Each returns 0 once started (*ret_call, optional, until the callback),
 * -EINVAL for a request that cannot be built, or -ENOMEM. */

/* Drops the cached token and fetches a new one (chorusctl ping). */
int chorus_token_refresh(ChorusClient *c, ChorusTokenInfo *result, ChorusCallback cb, void *userdata,
                         ChorusCall **ret_call);
int chorus_health_check(ChorusClient *c, ChorusHealth *result, ChorusCallback cb, void *userdata,
                        ChorusCall **ret_call);
/* Never sent twice blindly: no in-process retry after a failure with
 * maybe_processed (the caller looks the invoice up first). */
int chorus_deposit(ChorusClient *c, const ChorusDepositRequest *req, ChorusDepositResult *result,
                   ChorusCallback cb, void *userdata, ChorusCall **ret_call);
int chorus_flux_report(ChorusClient *c, const char *numero_flux_depot, ChorusFluxReport *result,
                       ChorusCallback cb, void *userdata, ChorusCall **ret_call);
/* Walks every page, up to CHORUS_PAGES_MAX; an answer that is not the page
 * asked for is a RESPONSE error (no page is ever skipped). */
int chorus_invoice_search(ChorusClient *c, const ChorusInvoiceSearch *req, ChorusInvoiceList *result,
                          ChorusCallback cb, void *userdata, ChorusCall **ret_call);
int chorus_invoice_history(ChorusClient *c, int64_t id_facture, ChorusInvoiceHistory *result,
                           ChorusCallback cb, void *userdata, ChorusCall **ret_call);
/* completer and recycler are sent once, like a deposit: after an unclear
 * failure (the body may have arrived) the caller looks at the invoice's
 * history before sending again. */
int chorus_invoice_complete(ChorusClient *c, const ChorusCompleteRequest *req, ChorusCorrectionResult *result,
                            ChorusCallback cb, void *userdata, ChorusCall **ret_call);
int chorus_invoice_recycle(ChorusClient *c, const ChorusRecycleRequest *req, ChorusCorrectionResult *result,
                           ChorusCallback cb, void *userdata, ChorusCall **ret_call);
int chorus_structure_search(ChorusClient *c, const char *siret, ChorusStructureList *result,
                            ChorusCallback cb, void *userdata, ChorusCall **ret_call);
int chorus_structure_get(ChorusClient *c, int64_t id_structure_cpp, ChorusStructure *result,
                         ChorusCallback cb, void *userdata, ChorusCall **ret_call);
int chorus_service_search(ChorusClient *c, int64_t id_structure_cpp, ChorusServiceList *result,
                          ChorusCallback cb, void *userdata, ChorusCall **ret_call);
int chorus_service_get(ChorusClient *c, int64_t id_structure_cpp, int64_t id_service,
                       ChorusServiceDetail *result, ChorusCallback cb, void *userdata, ChorusCall **ret_call);

/* Synchronous wrappers: run the client's loop until the call (with its
 * in-process retries) is done. Return 0 with *ret filled, or a negative
 * errno with *reterr (optional; chorus_error_done() it) filled. */
int chorus_token_refresh_sync(ChorusClient *c, ChorusTokenInfo *ret, ChorusError *reterr);
int chorus_health_check_sync(ChorusClient *c, ChorusHealth *ret, ChorusError *reterr);
int chorus_deposit_sync(ChorusClient *c, const ChorusDepositRequest *req, ChorusDepositResult *ret,
                        ChorusError *reterr);
int chorus_flux_report_sync(ChorusClient *c, const char *numero_flux_depot, ChorusFluxReport *ret,
                            ChorusError *reterr);
int chorus_invoice_search_sync(ChorusClient *c, const ChorusInvoiceSearch *req, ChorusInvoiceList *ret,
                               ChorusError *reterr);
int chorus_invoice_history_sync(ChorusClient *c, int64_t id_facture, ChorusInvoiceHistory *ret,
                                ChorusError *reterr);
int chorus_invoice_complete_sync(ChorusClient *c, const ChorusCompleteRequest *req, ChorusCorrectionResult *ret,
                                 ChorusError *reterr);
int chorus_invoice_recycle_sync(ChorusClient *c, const ChorusRecycleRequest *req, ChorusCorrectionResult *ret,
                                ChorusError *reterr);
int chorus_structure_search_sync(ChorusClient *c, const char *siret, ChorusStructureList *ret,
                                 ChorusError *reterr);
int chorus_structure_get_sync(ChorusClient *c, int64_t id_structure_cpp, ChorusStructure *ret,
                              ChorusError *reterr);
int chorus_service_search_sync(ChorusClient *c, int64_t id_structure_cpp, ChorusServiceList *ret,
                               ChorusError *reterr);
int chorus_service_get_sync(ChorusClient *c, int64_t id_structure_cpp, int64_t id_service,
                            ChorusServiceDetail *ret, ChorusError *reterr);
