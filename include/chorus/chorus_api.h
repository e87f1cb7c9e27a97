/* chorus_api.h — the Chorus Pro operations chorusd uses, as data: a typed
 * request and result per operation, a pure JSON builder and a pure response
 * parser (chorus-pro-api.md §3). No I/O: chorus_client.h sends them; the
 * tests call these directly.
 *
 * Builders return 0 and a new cJSON object, -EINVAL for a request that
 * cannot be sent (empty file name, no search criterion…), -ENOMEM.
 * Parsers take the JSON of an answer already checked by
 * chorus_answer_check() (HTTP 200, codeRetour 0) and return 0 with the
 * result filled, or -EBADMSG with a sentence in *reterr_message (free())
 * saying what is missing or malformed, or -ENOMEM. Results are set only on
 * success; each result type has a _done() that frees its contents.
 *
 * Ids are int64_t. Invoice and flux states are kept as the strings Chorus
 * Pro sent: an unknown code is never an error, the helpers below only
 * interpret the codes they know. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/date.h"
#include "base/identifiers.h"
#include "base/invoice_format.h"

typedef struct cJSON cJSON;

#define CHORUS_PAGE_SIZE 100  /* results asked per page in searches */
#define CHORUS_PAGES_MAX 1000 /* a search walking more pages is refused */
#define CHORUS_DEPOSIT_MAX (UINT64_C(120) * 1024 * 1024) /* Chorus Pro's per-invoice limit */
/* numeroFluxDepot: 25 characters seen (CPP001 + 4 + 15 digits); answers
 * with a longer one, or one with spaces or controls, are refused. */
#define CHORUS_FLUX_NUMBER_MAX 64

/* Where a paged answer is: page `current` of `pages` (pages may be 0 when
 * nothing matched). */
typedef struct ChorusPage {
        unsigned current;
        unsigned pages;
} ChorusPage;

/* Sets pageResultatDemandee in the paging object `paging_key` of a built
 * request. Returns 0, or -EINVAL when the request has no such object. */
int chorus_request_set_page(cJSON *request, const char *paging_key, unsigned page);

/* ---- GET /cpro/transverses/v1/health-check ---- */

typedef struct ChorusHealth {
        char *message; /* "L'API CPRO est actuellement disponible et fonctionnel." */
} ChorusHealth;

int chorus_parse_health(const cJSON *json, ChorusHealth *ret, char **reterr_message);
void chorus_health_done(ChorusHealth *h);

/* ---- POST /cpro/factures/v1/deposer/flux ---- */

typedef struct ChorusDepositRequest {
        const void *data; /* the file: UBL or CII XML, or Factur-X PDF */
        size_t size;      /* 1 .. CHORUS_DEPOSIT_MAX */
        const char *file_name;
        InvoiceFormat format; /* gives syntaxeFlux */
} ChorusDepositRequest;

typedef struct ChorusDepositResult {
        char *numero_flux_depot; /* always set */
        char *date_depot;        /* "YYYY-MM-DD" as sent, or NULL */
        char *syntaxe_flux;      /* the echo, or NULL */
} ChorusDepositResult;

/* {fichierFlux: base64, nomFichier, syntaxeFlux, avecSignature: false};
 * -EFBIG beyond CHORUS_DEPOSIT_MAX. */
int chorus_build_deposit(const ChorusDepositRequest *req, cJSON **ret);
int chorus_parse_deposit(const cJSON *json, ChorusDepositResult *ret, char **reterr_message);
void chorus_deposit_result_done(ChorusDepositResult *r);

/* ---- POST /cpro/transverses/v1/consulterCRDetaille ---- */

typedef enum ChorusFluxState {
        CHORUS_FLUX_PENDING,     /* still being processed (also any unknown state) */
        CHORUS_FLUX_INTEGRATED,  /* IN_INTEGRE: every invoice integrated */
        CHORUS_FLUX_PARTIAL,     /* IN_INTEGRE_PARTIEL: see invoice_errors */
        CHORUS_FLUX_REJECTED,    /* IN_REJETE: irrecevable, see technical_errors */
        CHORUS_FLUX_INCIDENT,    /* IN_INCIDENTE (…): not processed, send the whole flux again */
        _CHORUS_FLUX_STATE_MAX,
        _CHORUS_FLUX_STATE_INVALID = -EINVAL,
} ChorusFluxState;

/* Interprets etatCourantDepotFlux. Unknown states are PENDING (keep
 * polling) with *ret_known false, so that the caller can log them. */
ChorusFluxState chorus_flux_state_from_etat(const char *etat, bool *ret_known);
const char *chorus_flux_state_to_string(ChorusFluxState s);
bool chorus_flux_state_is_final(ChorusFluxState s);

typedef struct ChorusTechnicalError {
        char *nature;  /* natureErreur, e.g. ERR_XSD */
        char *code;    /* codeErreur */
        char *libelle; /* libelleErreur: the text to show */
} ChorusTechnicalError;

typedef struct ChorusInvoiceError {
        char *numero_facture; /* numeroDP */
        char *identifiant_fournisseur;
        char *identifiant_destinataire;
        char *libelle; /* libelleErreurDP: the text to show */
} ChorusInvoiceError;

typedef struct ChorusFluxReport {
        char *etat; /* etatCourantDepotFlux as sent */
        ChorusFluxState state;
        bool state_known;
        char *nom_fichier;
        char *date_depot; /* dateDepotFlux */
        char *date_etat;  /* dateHeureEtatCourantFlux */
        ChorusTechnicalError *technical_errors;
        size_t n_technical_errors;
        ChorusInvoiceError *invoice_errors;
        size_t n_invoice_errors;
} ChorusFluxReport;

int chorus_build_flux_report(const char *numero_flux_depot, cJSON **ret);
int chorus_parse_flux_report(const cJSON *json, ChorusFluxReport *ret, char **reterr_message);
void chorus_flux_report_done(ChorusFluxReport *r);

/* ---- POST /cpro/factures/v1/rechercher/fournisseur (every page) ---- */

#define CHORUS_INVOICE_SEARCH_PAGING "rechercheFactureParFournisseur"

typedef struct ChorusInvoiceSearch {
        /* At least one criterion: the flux, the invoice number, or a
         * deposit window (deposited_from). */
        const char *numero_flux_depot;
        const char *numero_facture;
        const Date *deposited_from;    /* periodeDateDepotDu, optional */
        const Date *deposited_to;      /* periodeDateDepotAu, optional */
        unsigned page_size;            /* 0 = CHORUS_PAGE_SIZE */
} ChorusInvoiceSearch;

typedef struct ChorusInvoiceSummary {
        int64_t identifiant_facture_cpp;
        char *numero_facture;
        char *statut; /* as sent, known or not */
        char *numero_flux_depot;
        char *date_depot;
        char *devise;
        bool has_montant_ht, has_montant_ttc, has_montant_a_payer;
        int64_t montant_ht, montant_ttc, montant_a_payer; /* cents */
} ChorusInvoiceSummary;

typedef struct ChorusInvoiceList {
        ChorusInvoiceSummary *items;
        size_t n_items;
} ChorusInvoiceList;

int chorus_build_invoice_search(const ChorusInvoiceSearch *req, cJSON **ret);
/* Appends one page's invoices to *acc and says where the page is. */
int chorus_parse_invoice_search_page(const cJSON *json, ChorusInvoiceList *acc, ChorusPage *ret_page,
                                     char **reterr_message);
void chorus_invoice_list_done(ChorusInvoiceList *l);

/* ---- POST /cpro/factures/v1/consulter/historique (every page) ---- */

#define CHORUS_HISTORY_PAGING "paramRechercheHistoStatuts"

typedef struct ChorusStatusEntry {
        char *code;        /* histoStatutCode */
        char *date;        /* histoStatutDatePassage, "YYYY-MM-DD HH:MM" */
        char *commentaire; /* histoStatutCommentaire, or NULL */
} ChorusStatusEntry;

typedef struct ChorusInvoiceHistory {
        int64_t id_facture;
        char *numero_facture;
        char *statut_courant; /* statutCourantCode, as sent */
        ChorusStatusEntry *entries;
        size_t n_entries;
} ChorusInvoiceHistory;

int chorus_build_invoice_history(int64_t id_facture, cJSON **ret);
int chorus_parse_invoice_history_page(const cJSON *json, ChorusInvoiceHistory *acc, ChorusPage *ret_page,
                                      char **reterr_message);
void chorus_invoice_history_done(ChorusInvoiceHistory *h);

/* What an invoice status means for the supplier (chorus-pro-api.md §3.6). */
typedef enum ChorusInvoiceStatusClass {
        CHORUS_INVOICE_IN_PROGRESS,     /* on its way (also any unknown code) */
        CHORUS_INVOICE_PAID,            /* MISE_EN_PAIEMENT: final */
        CHORUS_INVOICE_REJECTED,        /* REJETEE: final, a new invoice number is needed */
        CHORUS_INVOICE_ACTION_REQUIRED, /* A_RECYCLER, SUSPENDUE, A_COMPLETER: the supplier must act */
        _CHORUS_INVOICE_STATUS_CLASS_MAX,
        _CHORUS_INVOICE_STATUS_CLASS_INVALID = -EINVAL,
} ChorusInvoiceStatusClass;

ChorusInvoiceStatusClass chorus_invoice_status_classify(const char *statut);
const char *chorus_invoice_status_class_to_string(ChorusInvoiceStatusClass c);
/* Whether the code is one of the documented ones (§3.6); "SERVICE-FAIT"
 * counts as SERVICE_FAIT. */
bool chorus_invoice_status_is_known(const char *statut);

/* ---- POST /cpro/structures/v1/rechercher (every page) ---- */

#define CHORUS_STRUCTURE_SEARCH_PAGING "parametres"

typedef struct ChorusStructureSummary {
        int64_t id_structure_cpp;
        char *identifiant;      /* the SIRET */
        char *designation;
        char *type_identifiant; /* SIRET, … */
        char *statut;           /* ACTIVE / INACTIVE */
} ChorusStructureSummary;

typedef struct ChorusStructureList {
        ChorusStructureSummary *items;
        size_t n_items;
} ChorusStructureList;

void chorus_structure_summary_done(ChorusStructureSummary *s);

/* Search by SIRET (14 digits; the caller checks the Luhn key). */
int chorus_build_structure_search(const char *siret, cJSON **ret);
int chorus_parse_structure_search_page(const cJSON *json, ChorusStructureList *acc, ChorusPage *ret_page,
                                       char **reterr_message);
void chorus_structure_list_done(ChorusStructureList *l);

/* ---- POST /cpro/structures/v1/consulter ---- */

typedef struct ChorusStructureParams {
        bool code_service_required;  /* codeServiceDoitEtreRenseigne */
        bool engagement_required;    /* numeroEJDoitEtreRenseigne */
        bool engagement_or_service;  /* gestionNumeroEJOuCodeService */
        bool moa_only;               /* estMoaUniquement */
        bool payment_status_hidden;  /* statutMiseEnPaiementNestPasRemonte */
} ChorusStructureParams;

/* What an invoice to this buyer must carry, read as OCA does (§3.7):
 * gestionNumeroEJOuCodeService wins (service OR engagement), otherwise the
 * two flags combine. */
typedef enum ChorusRequirement {
        CHORUS_REQUIRES_NOTHING,
        CHORUS_REQUIRES_SERVICE,
        CHORUS_REQUIRES_ENGAGEMENT,
        CHORUS_REQUIRES_SERVICE_AND_ENGAGEMENT,
        CHORUS_REQUIRES_SERVICE_OR_ENGAGEMENT,
        _CHORUS_REQUIREMENT_MAX,
        _CHORUS_REQUIREMENT_INVALID = -EINVAL,
} ChorusRequirement;

ChorusRequirement chorus_structure_requirement(const ChorusStructureParams *p);
/* "nothing", "a service code", "an engagement number", … for messages. */
const char *chorus_requirement_to_string(ChorusRequirement r);

typedef struct ChorusStructure {
        int64_t id_structure_cpp;
        char *identifiant;
        char *raison_sociale;
        char *libelle;
        char *type; /* structurePriveePublique: PUBLIQUE / PRIVEE */
        char *password_expiry; /* dateExpirationMotPasseCompteTech, or NULL */
        ChorusStructureParams params;
} ChorusStructure;

int chorus_build_structure_get(int64_t id_structure_cpp, cJSON **ret);
int chorus_parse_structure(const cJSON *json, ChorusStructure *ret, char **reterr_message);
void chorus_structure_done(ChorusStructure *s);

/* ---- POST /cpro/structures/v1/rechercher/services (every page) ---- */

#define CHORUS_SERVICE_SEARCH_PAGING "parametresRechercherServicesStructure"

typedef struct ChorusService {
        int64_t id_service;
        char *code;
        char *libelle;
        bool active; /* estActif */
} ChorusService;

typedef struct ChorusServiceList {
        ChorusService *items;
        size_t n_items;
} ChorusServiceList;

int chorus_build_service_search(int64_t id_structure_cpp, cJSON **ret);
int chorus_parse_service_search_page(const cJSON *json, ChorusServiceList *acc, ChorusPage *ret_page,
                                     char **reterr_message);
void chorus_service_list_done(ChorusServiceList *l);
/* Active, and not FACTURES_PUBLIQUES (reserved for invoices between public
 * entities; invoices sent there are rejected). */
bool chorus_service_is_invoiceable(const ChorusService *s);

/* ---- POST /cpro/structures/v1/consulter/service ---- */

typedef struct ChorusServiceDetail {
        char *code;
        char *nom;
        bool engagement_required; /* parametres.numeroEngagement */
} ChorusServiceDetail;

int chorus_build_service_get(int64_t id_structure_cpp, int64_t id_service, cJSON **ret);
int chorus_parse_service(const cJSON *json, ChorusServiceDetail *ret, char **reterr_message);
void chorus_service_detail_done(ChorusServiceDetail *d);

/* ---- POST /cpro/factures/v1/completer and /recycler (chorus_corrections.c) ----
 *
 * The research note names both routes, not their bodies: the fields are
 * the emulator's choices (daemon/README.md, "Choices where the research
 * note says UNCERTAIN"). The limits are checked here, before any call. */

#define CHORUS_ATTACHMENT_MAX (10u * 1024u * 1024u) /* bytes, each (codeRetour 20003 above) */
#define CHORUS_ATTACHMENTS_MAX 10
#define CHORUS_ATTACHMENT_NAME_MAX 100 /* characters of pieceJointeDesignation */
#define CHORUS_COMMENT_MAX 2000        /* characters of commentaire */

typedef struct ChorusAttachment {
        const char *name; /* pieceJointeDesignation: the file's base name */
        const void *data; /* a PDF */
        size_t size;
} ChorusAttachment;

typedef struct ChorusCompleteRequest {
        int64_t id_facture;
        const char *comment; /* may be NULL when there is an attachment */
        const ChorusAttachment *attachments;
        size_t n_attachments;
} ChorusCompleteRequest;

typedef struct ChorusRecycleRequest {
        int64_t id_facture;
        const char *service_code; /* codeServiceExecutant */
        const char *engagement;   /* numeroEngagement, or NULL */
} ChorusRecycleRequest;

/* Both answers: the invoice and its new status, when Chorus Pro says them. */
typedef struct ChorusCorrectionResult {
        int64_t id_facture;
        char *numero_facture;
        char *statut;
} ChorusCorrectionResult;

/* 0, or -EINVAL (empty or over-long name, empty file), -EFBIG (over
 * CHORUS_ATTACHMENT_MAX), -EMEDIUMTYPE (not a PDF). */
int chorus_attachment_check(const char *name, const void *data, size_t size);
/* 0, or -EINVAL (no comment and no attachment, comment not one valid UTF-8
 * text of CHORUS_COMMENT_MAX characters at most, too many attachments, a bad
 * id) or an attachment's error. */
int chorus_complete_check(const ChorusCompleteRequest *req);
/* {idFacture, commentaire, listePiecesJointes[{pieceJointeDesignation,
 * pieceJointeExtension: "PDF", pieceJointeTypeMime: "application/pdf",
 * pieceJointeFichier: base64}]} */
int chorus_build_complete(const ChorusCompleteRequest *req, cJSON **ret);
/* {idFacture, codeServiceExecutant, numeroEngagement}; -EINVAL without a
 * service code, or with a field over the deposit's limits. */
int chorus_build_recycle(const ChorusRecycleRequest *req, cJSON **ret);
int chorus_parse_correction(const cJSON *json, ChorusCorrectionResult *ret, char **reterr_message);
void chorus_correction_result_done(ChorusCorrectionResult *r);
