/* chorus_structures.c — request builders and answer parsers of the Chorus
 * Pro structure directory (structures/rechercher, structures/consulter and
 * their services; see chorus_api.h), which `chorusctl structure` uses to
 * find a buyer's service codes. Pure, like chorus_api.c, whose list and
 * paging helpers it shares (chorus_api_internal.h). */
#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "chorus/chorus_api.h"
#include "chorus/chorus_json.h"
#include "base/macro.h"
#include "chorus/chorus_api_internal.h"

/* ---- structures/rechercher ---- */

int chorus_build_structure_search(const char *siret, cJSON **ret) {
        _cleanup_(cJSON_Deletep) cJSON *j = NULL;
        cJSON *s;

        if (!siret || strlen(siret) != 14 || strspn(siret, "0123456789") != 14)
                return -EINVAL;
        if (new_request(&j) < 0)
                return -ENOMEM;
        s = cJSON_AddObjectToObject(j, "structure");
        if (!s || !cJSON_AddStringToObject(s, "identifiantStructure", siret) ||
            !cJSON_AddStringToObject(s, "typeIdentifiantStructure", "SIRET") ||
            !cJSON_AddFalseToObject(j, "restreindreStructuresPrivees") ||
            add_paging(j, CHORUS_STRUCTURE_SEARCH_PAGING, 0) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(j);
        return 0;
}

static int structure_summary_fill(const cJSON *item, size_t i, void *elem, char **reterr_message) {
        ChorusStructureSummary *s = elem;

        if (chorus_json_int64(item, "idStructureCPP", &s->id_structure_cpp) < 0)
                return bad_answer(reterr_message, "listeStructures[%zu] has no integer idStructureCPP", i);
        return strdup_members(item, "identifiantStructure", &s->identifiant, "designationStructure",
                              &s->designation, "typeIdentifiantStructure", &s->type_identifiant, "statut",
                              &s->statut, NULL);
}

void chorus_structure_summary_done(ChorusStructureSummary *s) {
        free(s->identifiant);
        free(s->designation);
        free(s->type_identifiant);
        free(s->statut);
        *s = (ChorusStructureSummary){};
}

static void structure_summary_done(void *elem) {
        chorus_structure_summary_done(elem);
}

static const ListSpec structure_summaries = {
        .key = "listeStructures", .size = sizeof(ChorusStructureSummary),
        .fill = structure_summary_fill, .done = structure_summary_done,
};

int chorus_parse_structure_search_page(const cJSON *json, ChorusStructureList *acc, ChorusPage *ret_page,
                                       char **reterr_message) {
        return search_page_parse(json, &structure_summaries, (void **) &acc->items, &acc->n_items, ret_page,
                                 reterr_message);
}

void chorus_structure_list_done(ChorusStructureList *l) {
        list_free(&structure_summaries, l->items, l->n_items);
        *l = (ChorusStructureList){};
}

/* ---- structures/consulter ---- */

static const char *const requirement_names[_CHORUS_REQUIREMENT_MAX] = {
        [CHORUS_REQUIRES_NOTHING] = "nothing",
        [CHORUS_REQUIRES_SERVICE] = "a service code",
        [CHORUS_REQUIRES_ENGAGEMENT] = "an engagement number",
        [CHORUS_REQUIRES_SERVICE_AND_ENGAGEMENT] = "a service code and an engagement number",
        [CHORUS_REQUIRES_SERVICE_OR_ENGAGEMENT] = "a service code or an engagement number",
};

ChorusRequirement chorus_structure_requirement(const ChorusStructureParams *p) {
        if (p->engagement_or_service)
                return CHORUS_REQUIRES_SERVICE_OR_ENGAGEMENT;
        if (p->code_service_required && p->engagement_required)
                return CHORUS_REQUIRES_SERVICE_AND_ENGAGEMENT;
        if (p->code_service_required)
                return CHORUS_REQUIRES_SERVICE;
        if (p->engagement_required)
                return CHORUS_REQUIRES_ENGAGEMENT;
        return CHORUS_REQUIRES_NOTHING;
}

const char *chorus_requirement_to_string(ChorusRequirement r) {
        return r >= 0 && r < _CHORUS_REQUIREMENT_MAX ? requirement_names[r] : NULL;
}

int chorus_build_structure_get(int64_t id_structure_cpp, cJSON **ret) {
        _cleanup_(cJSON_Deletep) cJSON *j = NULL;

        if (id_structure_cpp <= 0)
                return -EINVAL;
        if (new_request(&j) < 0 || chorus_json_add_int64(j, "idStructureCPP", id_structure_cpp) < 0 ||
            !cJSON_AddStringToObject(j, "codeLangue", "fr"))
                return -ENOMEM;
        *ret = TAKE_PTR(j);
        return 0;
}

static int structure_params_read(const cJSON *p, ChorusStructureParams *ret, char **reterr_message) {
        static const struct {
                const char *key;
                size_t offset;
        } flags[] = {
                { "codeServiceDoitEtreRenseigne", offsetof(ChorusStructureParams, code_service_required) },
                { "numeroEJDoitEtreRenseigne", offsetof(ChorusStructureParams, engagement_required) },
                { "gestionNumeroEJOuCodeService", offsetof(ChorusStructureParams, engagement_or_service) },
                { "estMoaUniquement", offsetof(ChorusStructureParams, moa_only) },
                { "statutMiseEnPaiementNestPasRemonte", offsetof(ChorusStructureParams, payment_status_hidden) },
        };

        for (size_t i = 0; i < ELEMENTSOF(flags); i++)
                if (chorus_json_bool(p, flags[i].key, false, (bool *) ((char *) ret + flags[i].offset)) < 0)
                        return bad_answer(reterr_message, "parametres.%s is not a boolean", flags[i].key);
        return 0;
}

static int structure_fill(const cJSON *json, ChorusStructure *s, char **reterr_message) {
        const cJSON *info = cJSON_GetObjectItemCaseSensitive(json, "informationGenerales");

        if (!cJSON_IsObject(info))
                return bad_answer(reterr_message, "the structure answer has no informationGenerales");
        if (chorus_json_int64(info, "idStructureCPP", &s->id_structure_cpp) < 0)
                return bad_answer(reterr_message, "informationGenerales has no integer idStructureCPP");
        if (strdup_members(info, "identifiantStructure", &s->identifiant, "raisonSocialeStructure",
                           &s->raison_sociale, "libelleStructure", &s->libelle, "structurePriveePublique",
                           &s->type, "dateExpirationMotPasseCompteTech", &s->password_expiry, NULL) < 0)
                return -ENOMEM;
        return structure_params_read(cJSON_GetObjectItemCaseSensitive(json, "parametres"), &s->params,
                                     reterr_message);
}

int chorus_parse_structure(const cJSON *json, ChorusStructure *ret, char **reterr_message) {
        ChorusStructure s = {};
        int k;

        k = structure_fill(json, &s, reterr_message);
        if (k < 0) {
                chorus_structure_done(&s);
                return k;
        }
        *ret = s;
        return 0;
}

void chorus_structure_done(ChorusStructure *s) {
        free(s->identifiant);
        free(s->raison_sociale);
        free(s->libelle);
        free(s->type);
        free(s->password_expiry);
        *s = (ChorusStructure){};
}

/* ---- structures/rechercher/services ---- */

int chorus_build_service_search(int64_t id_structure_cpp, cJSON **ret) {
        _cleanup_(cJSON_Deletep) cJSON *j = NULL;

        if (id_structure_cpp <= 0)
                return -EINVAL;
        if (new_request(&j) < 0 || chorus_json_add_int64(j, "idStructure", id_structure_cpp) < 0 ||
            add_paging(j, CHORUS_SERVICE_SEARCH_PAGING, 0) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(j);
        return 0;
}

static int service_fill(const cJSON *item, size_t i, void *elem, char **reterr_message) {
        const char *statut = chorus_json_string(item, "statutService");
        ChorusService *s = elem;

        if (chorus_json_int64(item, "idService", &s->id_service) < 0)
                return bad_answer(reterr_message, "listeServices[%zu] has no integer idService", i);
        if (isempty(chorus_json_string(item, "codeService")))
                return bad_answer(reterr_message, "listeServices[%zu] has no codeService", i);
        /* Without estActif, the service counts as active unless its
         * statutService says otherwise. */
        if (chorus_json_bool(item, "estActif", !statut || streq(statut, "ACTIF"), &s->active) < 0)
                return bad_answer(reterr_message, "listeServices[%zu].estActif is not a boolean", i);
        return strdup_members(item, "codeService", &s->code, "libelleService", &s->libelle, NULL);
}

static void service_done(void *elem) {
        ChorusService *s = elem;

        free(s->code);
        free(s->libelle);
}

static const ListSpec services = {
        .key = "listeServices", .size = sizeof(ChorusService), .fill = service_fill, .done = service_done,
};

int chorus_parse_service_search_page(const cJSON *json, ChorusServiceList *acc, ChorusPage *ret_page,
                                     char **reterr_message) {
        return search_page_parse(json, &services, (void **) &acc->items, &acc->n_items, ret_page,
                                 reterr_message);
}

void chorus_service_list_done(ChorusServiceList *l) {
        list_free(&services, l->items, l->n_items);
        *l = (ChorusServiceList){};
}

bool chorus_service_is_invoiceable(const ChorusService *s) {
        return s->active && !streq_ptr(s->code, CHORUS_SERVICE_PUBLIC_INVOICES);
}

/* ---- structures/consulter/service ---- */

int chorus_build_service_get(int64_t id_structure_cpp, int64_t id_service, cJSON **ret) {
        _cleanup_(cJSON_Deletep) cJSON *j = NULL;

        if (id_structure_cpp <= 0 || id_service <= 0)
                return -EINVAL;
        if (new_request(&j) < 0 || chorus_json_add_int64(j, "idStructure", id_structure_cpp) < 0 ||
            chorus_json_add_int64(j, "idService", id_service) < 0 ||
            !cJSON_AddStringToObject(j, "codeLangue", "fr"))
                return -ENOMEM;
        *ret = TAKE_PTR(j);
        return 0;
}

int chorus_parse_service(const cJSON *json, ChorusServiceDetail *ret, char **reterr_message) {
        const cJSON *info = cJSON_GetObjectItemCaseSensitive(json, "informationsGenerales");
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(json, "parametres");
        ChorusServiceDetail d = {};

        if (chorus_json_bool(params, "numeroEngagement", false, &d.engagement_required) < 0)
                return bad_answer(reterr_message, "parametres.numeroEngagement is not a boolean");
        if (strdup_members(info, "codeService", &d.code, "nomService", &d.nom, NULL) < 0) {
                chorus_service_detail_done(&d);
                return -ENOMEM;
        }
        *ret = d;
        return 0;
}

void chorus_service_detail_done(ChorusServiceDetail *d) {
        free(d->code);
        free(d->nom);
        *d = (ChorusServiceDetail){};
}
