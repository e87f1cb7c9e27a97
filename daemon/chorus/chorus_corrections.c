/* chorus_corrections.c — request builders and the answer parser of the two
 * calls that answer a blocked invoice (see chorus_api.h): completer (a
 * SUSPENDUE or A_COMPLETER invoice: PDF attachments and a comment) and
 * recycler (an A_RECYCLER invoice: a new routing, the same number). Pure,
 * like chorus_api.c, whose helpers it shares (chorus_api_internal.h).
 *
 * Every limit is checked before the call: a refused attachment must be
 * told to the person running chorusctl, not found out from Chorus Pro
 * after a retry budget. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/identifiers.h"
#include "base/macro.h"
#include "chorus/chorus_api.h"
#include "chorus/chorus_json.h"
#include "chorus/chorus_api_internal.h"

#define RECYCLE_SERVICE_MAX 100
#define RECYCLE_ENGAGEMENT_MAX 50 /* the deposit's limit */

/* Characters, not bytes: the API counts characters. */
static size_t utf8_chars(const char *s) {
        size_t n = 0;

        for (; *s; s++)
                if (((unsigned char) *s & 0xC0) != 0x80)
                        n++;
        return n;
}

/* Valid UTF-8, no control character, 1..max characters. */
static bool text_ok(const char *s, size_t max, bool multiline) {
        size_t n = s ? strlen(s) : 0;

        if (n == 0 || !utf8_text_is_valid(s, n) || utf8_chars(s) > max)
                return false;
        for (const char *p = s; *p; p++)
                if (!(multiline && *p == '\n') && utf8_control_len(p) > 0)
                        return false;
        return true;
}

int chorus_attachment_check(const char *name, const void *data, size_t size) {
        if (!text_ok(name, CHORUS_ATTACHMENT_NAME_MAX, false) || strchr(name, '/') || !data || size == 0)
                return -EINVAL;
        if (size > CHORUS_ATTACHMENT_MAX)
                return -EFBIG;
        if (size < 5 || memcmp(data, "%PDF-", 5) != 0)
                return -EMEDIUMTYPE;
        return 0;
}

int chorus_complete_check(const ChorusCompleteRequest *req) {
        bool has_comment = req->comment && req->comment[0];
        int r;

        if (req->id_facture <= 0 || req->n_attachments > CHORUS_ATTACHMENTS_MAX ||
            (req->n_attachments > 0 && !req->attachments) || (!has_comment && req->n_attachments == 0))
                return -EINVAL;
        if (has_comment && !text_ok(req->comment, CHORUS_COMMENT_MAX, true))
                return -EINVAL;
        for (size_t i = 0; i < req->n_attachments; i++) {
                const ChorusAttachment *a = &req->attachments[i];
                r = chorus_attachment_check(a->name, a->data, a->size);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int add_attachment(cJSON *list, const ChorusAttachment *a) {
        _cleanup_(freep) char *b64 = base64_encode(a->data, a->size);
        cJSON *o = cJSON_CreateObject();

        if (!o)
                return -ENOMEM;
        cJSON_AddItemToArray(list, o); /* the list owns it from here */
        if (!b64 || !cJSON_AddStringToObject(o, "pieceJointeDesignation", a->name) ||
            !cJSON_AddStringToObject(o, "pieceJointeExtension", "PDF") ||
            !cJSON_AddStringToObject(o, "pieceJointeTypeMime", "application/pdf") ||
            !cJSON_AddStringToObject(o, "pieceJointeFichier", b64))
                return -ENOMEM;
        return 0;
}

int chorus_build_complete(const ChorusCompleteRequest *req, cJSON **ret) {
        _cleanup_(cJSON_Deletep) cJSON *j = NULL;
        cJSON *list;
        int r;

        r = chorus_complete_check(req);
        if (r < 0)
                return r;
        if (new_request(&j) < 0 || chorus_json_add_int64(j, "idFacture", req->id_facture) < 0 ||
            !cJSON_AddStringToObject(j, "commentaire", req->comment ? req->comment : ""))
                return -ENOMEM;
        list = cJSON_AddArrayToObject(j, "listePiecesJointes");
        if (!list)
                return -ENOMEM;
        for (size_t i = 0; i < req->n_attachments; i++)
                if (add_attachment(list, &req->attachments[i]) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(j);
        return 0;
}

int chorus_build_recycle(const ChorusRecycleRequest *req, cJSON **ret) {
        _cleanup_(cJSON_Deletep) cJSON *j = NULL;

        if (req->id_facture <= 0 || !text_ok(req->service_code, RECYCLE_SERVICE_MAX, false) ||
            (req->engagement && !text_ok(req->engagement, RECYCLE_ENGAGEMENT_MAX, false)))
                return -EINVAL;
        if (new_request(&j) < 0 || chorus_json_add_int64(j, "idFacture", req->id_facture) < 0 ||
            !cJSON_AddStringToObject(j, "codeServiceExecutant", req->service_code) ||
            (req->engagement ? !cJSON_AddStringToObject(j, "numeroEngagement", req->engagement)
                             : !cJSON_AddNullToObject(j, "numeroEngagement")))
                return -ENOMEM;
        *ret = TAKE_PTR(j);
        return 0;
}

/* codeRetour 0 is the success (the client checked it); what else the answer
 * says is kept when present, for the journal. */
int chorus_parse_correction(const cJSON *json, ChorusCorrectionResult *ret, char **reterr_message) {
        ChorusCorrectionResult c = {};

        (void) reterr_message;
        (void) chorus_json_int64(json, "idFacture", &c.id_facture);
        if (strdup_members(json, "numeroFacture", &c.numero_facture, "statutFacture", &c.statut, NULL) < 0) {
                chorus_correction_result_done(&c);
                return -ENOMEM;
        }
        *ret = c;
        return 0;
}

void chorus_correction_result_done(ChorusCorrectionResult *r) {
        free(r->numero_facture);
        free(r->statut);
        *r = (ChorusCorrectionResult){};
}
