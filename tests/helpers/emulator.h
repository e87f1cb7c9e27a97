/* emulator.h — tests' side of the Chorus Pro emulator (scripts/chorus-emulator,
 * started by scripts/with-emulator): read the CHORUS_EMULATOR_* environment,
 * drive the control API (reset, faults, token expiry, flux and invoice
 * states), read what the emulator received, and build a client
 * configuration or a whole chorusd.conf that points at it.
 *
 * Blocking libcurl easy calls with the emulator's CA: this is test code,
 * not the daemon's client. Every function returns 0 (or a count) on
 * success and a negative errno on failure; an unexpected HTTP status of the
 * control API is -EPROTO and is printed on stderr with the answer body. */
#pragma once

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "base/config.h"
#include "chorus/credentials.h"

typedef struct Emulator {
        char *url;                /* https://127.0.0.1:PORT */
        char *ca_file;
        char *dir;
        char *control_token;
        char *client_id;
        char *client_secret_file;
        char *client_secret;
        char *tech_login;
        char *tech_password_file;
        char *tech_password;
        char *supplier_siret;
} Emulator;

/* Reads the environment exported by scripts/with-emulator and the two
 * secret files. -ENXIO when CHORUS_EMULATOR_URL is not set (the test runs
 * outside with-emulator). */
int emulator_from_env(Emulator **ret);
Emulator *emulator_free(Emulator *e);

/* One control or API request: `method` GET/POST/DELETE, `path` from the
 * root, `json` the body or NULL. *ret_status and *ret_json (parsed answer,
 * NULL if not JSON) are optional. Returns 0 whatever the status. */
int emulator_request(Emulator *e, const char *method, const char *path, const char *json, long *ret_status,
                     cJSON **ret_json);

int emulator_reset(Emulator *e);
/* POST /_emulator/config with a JSON object, e.g. {"token_lifetime": 5}. */
int emulator_configure(Emulator *e, const char *json);

typedef struct EmulatorFault {
        const char *route;      /* a path, a prefix ending in '*', or "*" */
        unsigned count;         /* 0 = 1 */
        int status;             /* 0 = not set (with drop/delay only) */
        unsigned retry_after;   /* seconds; 0 = no Retry-After header */
        unsigned delay_ms;      /* 0 = none */
        const char *drop;       /* "before_body" / "after_body" / NULL */
        bool has_code_retour;
        int code_retour;
        const char *libelle;
        const char *body_json;  /* answer exactly this JSON text (status 200 unless set) */
        bool expire_token;
        unsigned header_bytes;  /* adds a header of that many bytes to the answer; 0 = none */
} EmulatorFault;

#define EMULATOR_FAULT(...) ((EmulatorFault){ __VA_ARGS__ })

int emulator_add_fault(Emulator *e, const EmulatorFault *f);
int emulator_clear_faults(Emulator *e);
int emulator_expire_tokens(Emulator *e);

/* GET /_emulator/requests[?path=PREFIX]: the array of requests. */
int emulator_requests(Emulator *e, const char *path_prefix, cJSON **ret);
/* How many requests under `path_prefix` (NULL = all) the emulator saw. */
int emulator_count_requests(Emulator *e, const char *path_prefix);
int emulator_fluxes(Emulator *e, cJSON **ret);
int emulator_invoices(Emulator *e, const char *numero_facture, cJSON **ret);
/* POST /_emulator/flux/advance: `to` NULL = the final state the checks
 * dictate. */
int emulator_advance_flux(Emulator *e, const char *numero_flux_depot, const char *to);
int emulator_set_invoice_status(Emulator *e, const char *numero_facture, const char *statut,
                                const char *commentaire);

/* A [chorus] configuration for the emulator: environment custom, its URLs,
 * its CA, its client id and technical login, its secret files, timeouts of
 * 5 s, retry_deadline 60 s. Free with emulator_chorus_config_done(). */
int emulator_chorus_config(Emulator *e, ChorusConfig *ret);
void emulator_chorus_config_done(ChorusConfig *c);
/* The two secrets, as credentials_load() would give them. */
int emulator_chorus_secrets(Emulator *e, ChorusSecrets *ret);

typedef struct EmulatorConfigOptions {
        const char *ca_file;            /* NULL = the emulator's CA; "" = no ca_file line */
        const char *client_id;          /* NULL = the emulator's */
        const char *client_secret_file; /* NULL = the emulator's */
        const char *cpro_password_file; /* NULL = the emulator's */
        const char *chorus_extra;       /* more [chorus] lines ("timeout = 2\n"), or NULL */
} EmulatorConfigOptions;

/* Writes DIR/chorusd.conf: a complete configuration (seller, invoice, spool,
 * state and conventions under DIR, [chorus] with environment = custom at the
 * emulator) for chorusctl and chorusd. `o` may be NULL. Returns the path. */
int emulator_write_config(Emulator *e, const char *dir, const EmulatorConfigOptions *o, char **ret_path);
