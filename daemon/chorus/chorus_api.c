/* chorus_api.c — request builders and answer parsers of the Chorus Pro
 * operations (see chorus_api.h), and what flux and invoice states mean.
 *
 * Pure: cJSON in, cJSON or structs out. Parsers are strict about what the
 * daemon relies on (ids, numeroFluxDepot, states) and lenient about the
 * rest: an optional member that is absent or null is simply NULL, and an
 * amount that cannot be read exactly is left out rather than guessed.
 * Paged parsers build each page aside and append it only once it parsed
 * completely, so that a result is never half-filled. The structure
 * directory's operations are in chorus_structures.c. */
#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "chorus/chorus_api.h"
#include "chorus/chorus_json.h"
#include "base/macro.h"
#include "chorus/chorus_api_internal.h"

/* ---- small helpers ---- */

int bad_answer(char **reterr_message, const char *format, ...) {
        va_list ap;
        int r;

        if (!reterr_message)
                return -EBADMSG;
        va_start(ap, format);
        r = vasprintf(reterr_message, format, ap);
        va_end(ap);
        if (r < 0) {
                *reterr_message = NULL;
                return -ENOMEM;
        }
        return -EBADMSG;
}

/* Appends one zeroed element to a (items, n) array; NULL on -ENOMEM. */
static void *array_append(void **items, size_t *n, size_t size) {
        char *p = reallocarray(*items, *n + 1, size);

        if (!p)
                return NULL;
        *items = p;
        memset(p + *n * size, 0, size);
        return p + (*n)++ * size;
}

/* Moves every element of a page onto the end of the accumulated array. */
static int array_concat(void **items, size_t *n, void **page, size_t *n_page, size_t size) {
        char *p;

        if (*n_page == 0)
                return 0;
        p = reallocarray(*items, *n + *n_page, size);
        if (!p)
                return -ENOMEM;
        memcpy(p + *n * size, *page, *n_page * size);
        *items = p;
        *n += *n_page;
        free(*page);
        *page = NULL;
        *n_page = 0;
        return 0;
}

/* Copies several optional string members at once: pairs of (key, char **),
 * ended by NULL. Returns 0 or -ENOMEM. */
int strdup_members(const cJSON *obj, ...) {
        va_list ap;
        int r = 0;

        va_start(ap, obj);
        for (const char *key = va_arg(ap, const char *); key; key = va_arg(ap, const char *)) {
                char **target = va_arg(ap, char **);

                if (r >= 0)
                        r = chorus_json_strdup(obj, key, target);
        }
        va_end(ap);
        return r;
}

static cJSON *paging_object(unsigned page_size) {
        cJSON *o = cJSON_CreateObject();

        if (!o || !cJSON_AddNumberToObject(o, "pageResultatDemandee", 1) ||
            !cJSON_AddNumberToObject(o, "nbResultatsParPage", page_size ? page_size : CHORUS_PAGE_SIZE)) {
                cJSON_Delete(o);
                return NULL;
        }
        return o;
}

int add_paging(cJSON *request, const char *key, unsigned page_size) {
        cJSON *o = paging_object(page_size);

        if (!o || !cJSON_AddItemToObject(request, key, o)) {
                cJSON_Delete(o);
                return -ENOMEM;
        }
        return 0;
}

int chorus_request_set_page(cJSON *request, const char *paging_key, unsigned page) {
        cJSON *o = cJSON_GetObjectItemCaseSensitive(request, paging_key);
        cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "pageResultatDemandee");

        if (!cJSON_IsNumber(p))
                return -EINVAL;
        cJSON_SetNumberValue(p, page);
        return 0;
}

static unsigned unsigned_member(const cJSON *obj, const char *key, unsigned def) {
        int64_t v;

        if (chorus_json_int64(obj, key, &v) < 0 || v < 0 || v > UINT32_MAX)
                return def;
        return (unsigned) v;
}

/* Reads a paging answer; without one, the answer is its only page. */
static void read_page(const cJSON *obj, const char *current_key, const char *pages_key, ChorusPage *ret) {
        ret->current = unsigned_member(obj, current_key, 1);
        ret->pages = unsigned_member(obj, pages_key, ret->current);
}

static int array_member(const cJSON *json, const char *key, const cJSON **ret, char **reterr_message) {
        if (chorus_json_array(json, key, ret) < 0)
                return bad_answer(reterr_message, "%s is not an array", key);
        return 0;
}

static int item_object(const cJSON *item, const char *list, size_t i, char **reterr_message) {
        if (!cJSON_IsObject(item))
                return bad_answer(reterr_message, "%s[%zu] is not an object", list, i);
        return 0;
}

void list_free(const ListSpec *spec, void *items, size_t n) {
        for (size_t i = 0; i < n; i++)
                spec->done((char *) items + i * spec->size);
        free(items);
}

/* Reads json[spec->key] (absent or null: empty) into a new array. On
 * failure nothing is kept. */
static int list_parse(const cJSON *json, const ListSpec *spec, void **ret_items, size_t *ret_n,
                      char **reterr_message) {
        const cJSON *list, *item;
        void *items = NULL;
        size_t n = 0;
        int k;

        k = array_member(json, spec->key, &list, reterr_message);
        if (k < 0)
                return k;
        cJSON_ArrayForEach(item, list) {
                void *elem;

                k = item_object(item, spec->key, n, reterr_message);
                if (k >= 0) {
                        elem = array_append(&items, &n, spec->size);
                        k = elem ? spec->fill(item, n - 1, elem, reterr_message) : -ENOMEM;
                }
                if (k < 0) {
                        list_free(spec, items, n);
                        return k;
                }
        }
        *ret_items = items;
        *ret_n = n;
        return 0;
}

/* Reads one page's json[spec->key] and appends it to (*acc, *acc_n), all
 * or nothing. */
static int list_page_append(const cJSON *json, const ListSpec *spec, void **acc, size_t *acc_n,
                            char **reterr_message) {
        void *items = NULL;
        size_t n = 0;
        int k;

        k = list_parse(json, spec, &items, &n, reterr_message);
        if (k < 0)
                return k;
        if (array_concat(acc, acc_n, &items, &n, spec->size) < 0) {
                list_free(spec, items, n);
                return -ENOMEM;
        }
        return 0;
}

/* The flux number is kept in the job state, logged and sent back in every
 * report request: whatever the server says, it is a printable ASCII token
 * of at most CHORUS_FLUX_NUMBER_MAX characters. */
static bool flux_number_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > CHORUS_FLUX_NUMBER_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] <= ' ' || s[i] >= 0x7f)
                        return false;
        return true;
}

int new_request(cJSON **ret) {
        *ret = cJSON_CreateObject();
        return *ret ? 0 : -ENOMEM;
}

/* ---- health-check ---- */

int chorus_parse_health(const cJSON *json, ChorusHealth *ret, char **reterr_message) {
        const char *status = chorus_json_string(json, "statusCode");
        const char *body = chorus_json_string(json, "body");
        char *m;

        if (status && !streq(status, "OK"))
                return bad_answer(reterr_message, "the health-check says statusCode \"%.40s\"", status);
        m = strdup(body ? body : "OK");
        if (!m)
                return -ENOMEM;
        *ret = (ChorusHealth){ .message = m };
        return 0;
}

void chorus_health_done(ChorusHealth *h) {
        free(h->message);
        *h = (ChorusHealth){};
}

/* ---- deposer/flux ---- */

char *base64_encode(const void *data, size_t size) {
        char *out = malloc(4 * ((size + 2) / 3) + 1);

        if (!out)
                return NULL;
        EVP_EncodeBlock((unsigned char *) out, data, (int) size); /* no line breaks, '=' padding */
        return out;
}

int chorus_build_deposit(const ChorusDepositRequest *req, cJSON **ret) {
        _cleanup_(cJSON_Deletep) cJSON *j = NULL;
        _cleanup_(freep) char *b64 = NULL;
        const char *syntaxe = invoice_format_to_syntaxe_flux(req->format);

        if (!req->data || req->size == 0 || isempty(req->file_name) || !syntaxe)
                return -EINVAL;
        if (req->size > CHORUS_DEPOSIT_MAX)
                return -EFBIG;
        b64 = base64_encode(req->data, req->size);
        if (!b64 || new_request(&j) < 0)
                return -ENOMEM;
        if (!cJSON_AddStringToObject(j, "fichierFlux", b64) ||
            !cJSON_AddStringToObject(j, "nomFichier", req->file_name) ||
            !cJSON_AddStringToObject(j, "syntaxeFlux", syntaxe) ||
            !cJSON_AddFalseToObject(j, "avecSignature"))
                return -ENOMEM;
        *ret = TAKE_PTR(j);
        return 0;
}

int chorus_parse_deposit(const cJSON *json, ChorusDepositResult *ret, char **reterr_message) {
        const char *numero = chorus_json_string(json, "numeroFluxDepot");
        ChorusDepositResult d = {};

        if (isempty(numero))
                return bad_answer(reterr_message, "the deposit answer has no numeroFluxDepot");
        if (!flux_number_is_valid(numero))
                return bad_answer(reterr_message, "the deposit answer's numeroFluxDepot is not %d printable characters at most",
                                  CHORUS_FLUX_NUMBER_MAX);
        if (strdup_members(json, "numeroFluxDepot", &d.numero_flux_depot, "dateDepot", &d.date_depot,
                           "syntaxeFlux", &d.syntaxe_flux, NULL) < 0) {
                chorus_deposit_result_done(&d);
                return -ENOMEM;
        }
        *ret = d;
        return 0;
}

void chorus_deposit_result_done(ChorusDepositResult *r) {
        free(r->numero_flux_depot);
        free(r->date_depot);
        free(r->syntaxe_flux);
        *r = (ChorusDepositResult){};
}

/* ---- consulterCRDetaille ---- */

static const char *const flux_state_names[_CHORUS_FLUX_STATE_MAX] = {
        [CHORUS_FLUX_PENDING] = "pending",
        [CHORUS_FLUX_INTEGRATED] = "integrated",
        [CHORUS_FLUX_PARTIAL] = "partially-integrated",
        [CHORUS_FLUX_REJECTED] = "rejected",
        [CHORUS_FLUX_INCIDENT] = "incident",
};

static const struct {
        const char *etat;
        ChorusFluxState state;
} flux_etats[] = {
        { "IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP", CHORUS_FLUX_PENDING },
        { "IN_RECU", CHORUS_FLUX_PENDING },
        { "IN_TRAITE_SE_CPP", CHORUS_FLUX_PENDING },
        { "IN_EN_ATTENTE_TRAITEMENT_CPP", CHORUS_FLUX_PENDING },
        { "IN_EN_COURS_TRAITEMENT_CPP", CHORUS_FLUX_PENDING },
        { "IN_EN_ATTENTE_RETRAITEMENT_CPP", CHORUS_FLUX_PENDING },
        { "IN_INTEGRE", CHORUS_FLUX_INTEGRATED },
        { "IN_INTEGRE_PARTIEL", CHORUS_FLUX_PARTIAL },
        { "IN_REJETE", CHORUS_FLUX_REJECTED },
        { "IN_INCIDENTE", CHORUS_FLUX_INCIDENT },
        { "IN_A_RELANCER", CHORUS_FLUX_INCIDENT },
        { "IN_ERREUR_INTERNE", CHORUS_FLUX_INCIDENT },
};

ChorusFluxState chorus_flux_state_from_etat(const char *etat, bool *ret_known) {
        for (size_t i = 0; etat && i < ELEMENTSOF(flux_etats); i++)
                if (streq(etat, flux_etats[i].etat)) {
                        if (ret_known)
                                *ret_known = true;
                        return flux_etats[i].state;
                }
        if (ret_known)
                *ret_known = false;
        return CHORUS_FLUX_PENDING;
}

const char *chorus_flux_state_to_string(ChorusFluxState s) {
        return s >= 0 && s < _CHORUS_FLUX_STATE_MAX ? flux_state_names[s] : NULL;
}

bool chorus_flux_state_is_final(ChorusFluxState s) {
        return s != CHORUS_FLUX_PENDING && s >= 0 && s < _CHORUS_FLUX_STATE_MAX;
}

int chorus_build_flux_report(const char *numero_flux_depot, cJSON **ret) {
        _cleanup_(cJSON_Deletep) cJSON *j = NULL;

        if (isempty(numero_flux_depot))
                return -EINVAL;
        if (new_request(&j) < 0 || !cJSON_AddStringToObject(j, "numeroFluxDepot", numero_flux_depot))
                return -ENOMEM;
        *ret = TAKE_PTR(j);
        return 0;
}

static int technical_error_fill(const cJSON *item, size_t i, void *elem, char **reterr_message) {
        ChorusTechnicalError *e = elem;

        (void) i;
        (void) reterr_message;
        return strdup_members(item, "natureErreur", &e->nature, "codeErreur", &e->code, "libelleErreur",
                              &e->libelle, NULL);
}

static void technical_error_done(void *elem) {
        ChorusTechnicalError *e = elem;

        free(e->nature);
        free(e->code);
        free(e->libelle);
}

static const ListSpec technical_errors = {
        .key = "listeErreurTechnique", .size = sizeof(ChorusTechnicalError),
        .fill = technical_error_fill, .done = technical_error_done,
};

static int invoice_error_fill(const cJSON *item, size_t i, void *elem, char **reterr_message) {
        ChorusInvoiceError *e = elem;

        (void) i;
        (void) reterr_message;
        return strdup_members(item, "numeroDP", &e->numero_facture, "identifiantFournisseur",
                              &e->identifiant_fournisseur, "identifiantDestinataire", &e->identifiant_destinataire,
                              "libelleErreurDP", &e->libelle, NULL);
}

static void invoice_error_done(void *elem) {
        ChorusInvoiceError *e = elem;

        free(e->numero_facture);
        free(e->identifiant_fournisseur);
        free(e->identifiant_destinataire);
        free(e->libelle);
}

static const ListSpec invoice_errors = {
        .key = "listeErreurDP", .size = sizeof(ChorusInvoiceError),
        .fill = invoice_error_fill, .done = invoice_error_done,
};

static int flux_report_fill(const cJSON *json, ChorusFluxReport *r, char **reterr_message) {
        int k;

        if (isempty(chorus_json_string(json, "etatCourantDepotFlux")))
                return bad_answer(reterr_message, "the flux report has no etatCourantDepotFlux");
        if (strdup_members(json, "etatCourantDepotFlux", &r->etat, "nomFichier", &r->nom_fichier,
                           "dateDepotFlux", &r->date_depot, "dateHeureEtatCourantFlux", &r->date_etat,
                           NULL) < 0)
                return -ENOMEM;
        r->state = chorus_flux_state_from_etat(r->etat, &r->state_known);
        k = list_parse(json, &technical_errors, (void **) &r->technical_errors, &r->n_technical_errors,
                       reterr_message);
        if (k < 0)
                return k;
        return list_parse(json, &invoice_errors, (void **) &r->invoice_errors, &r->n_invoice_errors,
                          reterr_message);
}

int chorus_parse_flux_report(const cJSON *json, ChorusFluxReport *ret, char **reterr_message) {
        ChorusFluxReport r = {};
        int k;

        k = flux_report_fill(json, &r, reterr_message);
        if (k < 0) {
                chorus_flux_report_done(&r);
                return k;
        }
        *ret = r;
        return 0;
}

void chorus_flux_report_done(ChorusFluxReport *r) {
        list_free(&technical_errors, r->technical_errors, r->n_technical_errors);
        list_free(&invoice_errors, r->invoice_errors, r->n_invoice_errors);
        free(r->etat);
        free(r->nom_fichier);
        free(r->date_depot);
        free(r->date_etat);
        *r = (ChorusFluxReport){};
}

/* ---- rechercher/fournisseur ---- */

static int add_date(cJSON *j, const char *key, const Date *d) {
        char buf[DATE_STRING_MAX];

        if (!d)
                return 0;
        return cJSON_AddStringToObject(j, key, date_format(*d, buf)) ? 0 : -ENOMEM;
}

static int add_optional_string(cJSON *j, const char *key, const char *value) {
        if (isempty(value))
                return 0;
        return cJSON_AddStringToObject(j, key, value) ? 0 : -ENOMEM;
}

int chorus_build_invoice_search(const ChorusInvoiceSearch *req, cJSON **ret) {
        _cleanup_(cJSON_Deletep) cJSON *j = NULL;

        if (isempty(req->numero_flux_depot) && isempty(req->numero_facture) && !req->deposited_from)
                return -EINVAL;
        if (new_request(&j) < 0 ||
            add_optional_string(j, "numeroFluxDepot", req->numero_flux_depot) < 0 ||
            add_optional_string(j, "numeroFacture", req->numero_facture) < 0 ||
            add_date(j, "periodeDateDepotDu", req->deposited_from) < 0 ||
            add_date(j, "periodeDateDepotAu", req->deposited_to) < 0 ||
            add_paging(j, CHORUS_INVOICE_SEARCH_PAGING, req->page_size) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(j);
        return 0;
}

/* An amount that is absent or not exactly readable is left out. */
static void read_amount(const cJSON *obj, const char *key, bool *ret_has, int64_t *ret) {
        *ret_has = chorus_json_cents(obj, key, ret) >= 0;
}

static int invoice_summary_fill(const cJSON *item, size_t i, void *elem, char **reterr_message) {
        ChorusInvoiceSummary *s = elem;

        if (chorus_json_int64(item, "identifiantFactureCPP", &s->identifiant_facture_cpp) < 0)
                return bad_answer(reterr_message, "listeFactures[%zu] has no integer identifiantFactureCPP", i);
        if (strdup_members(item, "numeroFacture", &s->numero_facture, "statut", &s->statut,
                           "numeroFluxDepot", &s->numero_flux_depot, "dateDepot", &s->date_depot, "devise",
                           &s->devise, NULL) < 0)
                return -ENOMEM;
        if (s->numero_flux_depot && !flux_number_is_valid(s->numero_flux_depot))
                return bad_answer(reterr_message, "listeFactures[%zu].numeroFluxDepot is not %d printable characters at most",
                                  i, CHORUS_FLUX_NUMBER_MAX);
        read_amount(item, "montantHT", &s->has_montant_ht, &s->montant_ht);
        read_amount(item, "montantTTC", &s->has_montant_ttc, &s->montant_ttc);
        read_amount(item, "montantAPayer", &s->has_montant_a_payer, &s->montant_a_payer);
        return 0;
}

static void invoice_summary_done(void *elem) {
        ChorusInvoiceSummary *s = elem;

        free(s->numero_facture);
        free(s->statut);
        free(s->numero_flux_depot);
        free(s->date_depot);
        free(s->devise);
}

static const ListSpec invoice_summaries = {
        .key = "listeFactures", .size = sizeof(ChorusInvoiceSummary),
        .fill = invoice_summary_fill, .done = invoice_summary_done,
};

/* One page of a search answer: its list, then where the page is. */
int search_page_parse(const cJSON *json, const ListSpec *spec, void **acc, size_t *acc_n,
                      ChorusPage *ret_page, char **reterr_message) {
        int k;

        k = list_page_append(json, spec, acc, acc_n, reterr_message);
        if (k < 0)
                return k;
        read_page(cJSON_GetObjectItemCaseSensitive(json, "parametresRetour"), "pageCourante", "pages", ret_page);
        return 0;
}

int chorus_parse_invoice_search_page(const cJSON *json, ChorusInvoiceList *acc, ChorusPage *ret_page,
                                     char **reterr_message) {
        return search_page_parse(json, &invoice_summaries, (void **) &acc->items, &acc->n_items, ret_page,
                                 reterr_message);
}

void chorus_invoice_list_done(ChorusInvoiceList *l) {
        list_free(&invoice_summaries, l->items, l->n_items);
        *l = (ChorusInvoiceList){};
}

/* ---- consulter/historique ---- */

int chorus_build_invoice_history(int64_t id_facture, cJSON **ret) {
        _cleanup_(cJSON_Deletep) cJSON *j = NULL;

        if (id_facture <= 0)
                return -EINVAL;
        if (new_request(&j) < 0 || chorus_json_add_int64(j, "idFacture", id_facture) < 0 ||
            add_paging(j, CHORUS_HISTORY_PAGING, 0) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(j);
        return 0;
}

static int status_entry_fill(const cJSON *item, size_t i, void *elem, char **reterr_message) {
        ChorusStatusEntry *e = elem;

        (void) i;
        (void) reterr_message;
        return strdup_members(item, "histoStatutCode", &e->code, "histoStatutDatePassage", &e->date,
                              "histoStatutCommentaire", &e->commentaire, NULL);
}

static void status_entry_done(void *elem) {
        ChorusStatusEntry *e = elem;

        free(e->code);
        free(e->date);
        free(e->commentaire);
}

static const ListSpec status_entries = {
        .key = "histoStatut", .size = sizeof(ChorusStatusEntry),
        .fill = status_entry_fill, .done = status_entry_done,
};

int chorus_parse_invoice_history_page(const cJSON *json, ChorusInvoiceHistory *acc, ChorusPage *ret_page,
                                      char **reterr_message) {
        const cJSON *histo = cJSON_GetObjectItemCaseSensitive(json, "historiquesDesStatuts");
        _cleanup_(freep) char *numero = NULL, *statut = NULL;
        int64_t id = 0;
        int k;

        if (isempty(chorus_json_string(json, "statutCourantCode")))
                return bad_answer(reterr_message, "the invoice history has no statutCourantCode");
        (void) chorus_json_int64(json, "idFacture", &id);
        if (strdup_members(json, "numeroFacture", &numero, "statutCourantCode", &statut, NULL) < 0)
                return -ENOMEM;
        k = list_page_append(histo, &status_entries, (void **) &acc->entries, &acc->n_entries, reterr_message);
        if (k < 0)
                return k;
        /* The current status and numbers come from the latest page. */
        acc->id_facture = id;
        free(acc->numero_facture);
        acc->numero_facture = TAKE_PTR(numero);
        free(acc->statut_courant);
        acc->statut_courant = TAKE_PTR(statut);
        read_page(histo, "pageCouranteHistoStatut", "pagesHistoStatut", ret_page);
        return 0;
}

void chorus_invoice_history_done(ChorusInvoiceHistory *h) {
        list_free(&status_entries, h->entries, h->n_entries);
        free(h->numero_facture);
        free(h->statut_courant);
        *h = (ChorusInvoiceHistory){};
}

/* The codes of chorus-pro-api.md §3.6 (PGF IStatutFacture). */
static const char *const invoice_statuses[] = {
        "DEPOSEE", "EN_COURS_ACHEMINEMENT", "MISE_A_DISPOSITION", "PRISE_EN_COMPTE_DESTINATAIRE",
        "SERVICE_FAIT", "MANDATEE", "MISE_A_DISPOSITION_COMPTABLE", "COMPTABILISEE", "MISE_EN_PAIEMENT",
        "A_RECYCLER", "SUSPENDUE", "COMPLETEE", "REJETEE", "A_COMPLETER", "BROUILLON", "A_VALIDER_1",
        "VALIDEE_1", "REFUSEE_1", "ABSENCE_VALIDATION_1_HORS_DELAI", "A_VALIDER_2", "VALIDEE_2",
        "REFUSEE_2", "ABSENCE_VALIDATION_2_HORS_DELAI", "ERREUR_FOURNISSEUR_SUR_VALIDEUR",
        "ERREUR_COTRAITANT_SUR_VALIDEUR", "ERREUR_FOURNISSEUR_SUR_MOE", "ERREUR_MOE_SUR_FOURNISSEUR",
        "ERREUR_MOA_SUR_FOURNISSEUR", "ERREUR_FOURNISSEUR_SUR_MOA", "ERREUR_MOE_SUR_MOA",
        "ERREUR_DESTINATAIRE_PD", "ERREUR_DESTINATAIRE_EA", "ABANDONNEE", "SUPPRIMEE", "ASSOCIEE",
        "EN_COURS_TRAITEMENT_PIVOT_S", "A_VALIDER_MOE", "REFUSEE_MOE", "EN_ATTENTE_RECYCLAGE_FOURNISSEUR",
        "INTERPRETEE_OCR", "NON_CONFORME", "A_ASSOCIER_MOE", "ERREUR_DE_MOE", "MISE_A_DISPOSITION_MOE",
        "PRISE_EN_COMPTE_MOE", "A_ASSOCIER_MOA", "ERREUR_DE_MOA", "REFUSEE_MOA", "A_ASSOCIER_FOURNISSEUR",
        "REFUSEE_FOURNISSEUR", "TRANSMISE_MOA", "REMPLACEE_PAR_A22", "DUPLIQUE_APRES_REFUS",
        "MISE_A_DISPOSITION_MOA", "PRISE_EN_COMPTE_MOA", "ABSENCE_VALIDATION_MOE_DELAI_REGLEMENTAIRE",
        "TECHNIQUE_INCONNU",
};

static const char *const invoice_status_class_names[_CHORUS_INVOICE_STATUS_CLASS_MAX] = {
        [CHORUS_INVOICE_IN_PROGRESS] = "in-progress",
        [CHORUS_INVOICE_PAID] = "paid",
        [CHORUS_INVOICE_REJECTED] = "rejected",
        [CHORUS_INVOICE_ACTION_REQUIRED] = "action-required",
};

bool chorus_invoice_status_is_known(const char *statut) {
        if (streq_ptr(statut, "SERVICE-FAIT"))
                return true;
        for (size_t i = 0; statut && i < ELEMENTSOF(invoice_statuses); i++)
                if (streq(statut, invoice_statuses[i]))
                        return true;
        return false;
}

ChorusInvoiceStatusClass chorus_invoice_status_classify(const char *statut) {
        if (streq_ptr(statut, "MISE_EN_PAIEMENT"))
                return CHORUS_INVOICE_PAID;
        if (streq_ptr(statut, "REJETEE"))
                return CHORUS_INVOICE_REJECTED;
        if (streq_ptr(statut, "A_RECYCLER") || streq_ptr(statut, "SUSPENDUE") ||
            streq_ptr(statut, "A_COMPLETER"))
                return CHORUS_INVOICE_ACTION_REQUIRED;
        return CHORUS_INVOICE_IN_PROGRESS;
}

const char *chorus_invoice_status_class_to_string(ChorusInvoiceStatusClass c) {
        return c >= 0 && c < _CHORUS_INVOICE_STATUS_CLASS_MAX ? invoice_status_class_names[c] : NULL;
}
