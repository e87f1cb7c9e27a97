/* chorus_client_internal.h — private to the chorus_client module's files
 * (chorus_client.c, chorus_client_ops.c): the client, a call, an operation
 * and the function that starts a call. No other module includes it; they
 * use chorus_client.h. */
#pragma once

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "chorus/chorus_client.h"
#include "chorus/chorus_http.h"

typedef union ChorusResults {
        ChorusTokenInfo token;
        ChorusHealth health;
        ChorusDepositResult deposit;
        ChorusFluxReport flux_report;
        ChorusInvoiceList invoices;
        ChorusInvoiceHistory history;
        ChorusStructureList structures;
        ChorusStructure structure;
        ChorusServiceList services;
        ChorusServiceDetail service;
        ChorusCorrectionResult correction;
} ChorusResults;

typedef struct ChorusOperation {
        const char *name; /* for messages: "deposer/flux" */
        const char *path; /* under api_url; NULL = the token request itself */
        bool get;
        bool send_once;         /* never resent blindly after an unclear failure (deposit) */
        const char *paging_key; /* NULL = one page */
        size_t result_size;
        int (*parse)(const cJSON *json, void *result, ChorusPage *ret_page, char **reterr_message);
        void (*result_done)(void *result);
} ChorusOperation;

typedef enum CallState {
        CALL_NEW,
        CALL_WAITING_TOKEN,
        CALL_TOKEN_READY, /* transient: the token arrived, about to send */
        CALL_SENDING,
        CALL_WAITING_RETRY,
        CALL_FINISHING,
} CallState;

struct ChorusCall {
        ChorusClient *client;
        ChorusCall *prev, *next;
        const ChorusOperation *op;
        cJSON *request;
        ChorusResults result;
        void *ret_result;
        ChorusCallback done;
        void *userdata;
        CallState state;
        ChorusHttpRequest *http;
        sd_event_source *timer; /* the first step (defer) or the next retry */
        unsigned attempt; /* failed attempts so far */
        unsigned page;
        bool refreshed;   /* the token was refreshed after a 401 in this attempt */
        uint64_t token_generation;
        uint64_t deadline;
};

struct ChorusClient {
        sd_event *event;
        ChorusHttp *http;
        char *api_url;
        char *oauth_url;
        char *client_id;
        char *client_secret;
        char *client_secret_form; /* as the token form carries it (percent-encoded) */
        char *cpro_password; /* kept only to scrub it from messages */
        char *cpro_account;  /* base64(login:password) */
        char *token;
        uint64_t token_lifetime;
        uint64_t token_renew_at; /* CLOCK_MONOTONIC */
        uint64_t token_generation;
        ChorusHttpRequest *token_request;
        uint64_t token_requested_at; /* CLOCK_MONOTONIC: when token_request was sent */
        ChorusCall *calls;
        uint64_t retry_deadline;
        RetryPolicy retry_policy;
        ChorusRetryHook retry_hook;
        void *retry_hook_userdata;
        ChorusAnswerHook answer_hook;
        void *answer_hook_userdata;
};

/* chorus_client.c */
int call_start(ChorusClient *c, const ChorusOperation *op, cJSON *request, void *ret_result,
               ChorusCallback cb, void *userdata, ChorusCall **ret_call);
