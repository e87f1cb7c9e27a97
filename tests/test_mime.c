/* test_mime.c — the e-mail messages of the notices: MIME bytes (mime.h)
 * and their French texts and digests (notice.h). RFC 2047 words cut
 * between characters and never longer than 75, quoted-printable lines of
 * at most 76, base64 of 76, the multipart structure, no header injection
 * through a subject or a file name; every notice kind has a French subject
 * and body with its facts. (Suite 52-mail parses real messages with
 * Python's email package.) */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "base/macro.h"
#include "core/notice.h"
#include "writers/mime.h"

static size_t longest_line(const char *s) {
        size_t max = 0;

        for (const char *p = s; *p;) {
                const char *e = strstr(p, "\r\n");
                size_t n = e ? (size_t) (e - p) : strlen(p);
                if (n > max)
                        max = n;
                p += n + (e ? 2 : 0);
        }
        return max;
}

/* Every \n is part of a \r\n. */
static bool crlf_only(const char *s) {
        for (const char *p = s; *p; p++)
                if (*p == '\n' && (p == s || p[-1] != '\r'))
                        return false;
        return true;
}

Test(mime, header_text_ascii_stays_plain) {
        _cleanup_(freep) char *s = NULL;

        cr_assert_eq(mime_encode_header_text("Invoice CMA34-2026-0007", 9, &s), 0);
        cr_expect_str_eq(s, "Invoice CMA34-2026-0007");
}

Test(mime, header_text_utf8_is_encoded_words_cut_between_characters) {
        _cleanup_(freep) char *s = NULL, *long_subject = NULL;
        const char *subject = "Bilan refusé : « réalisations-été-2026.json »";

        cr_assert_eq(mime_encode_header_text(subject, 9, &s), 0);
        cr_expect_eq(strncmp(s, "=?UTF-8?B?", 10), 0, "%s", s);
        cr_expect_null(strchr(s, '\n') == NULL ? NULL : strstr(s, "\n\n"));
        free(s);
        s = NULL;

        /* 40 × "é" (80 bytes): several words, each of whole characters. */
        long_subject = calloc(1, 200);
        for (int i = 0; i < 40; i++)
                strcat(long_subject, "é");
        cr_assert_eq(mime_encode_header_text(long_subject, 9, &s), 0);
        cr_expect(crlf_only(s));
        cr_expect_leq(longest_line(s) + 9, 78, "%s", s);
        for (const char *w = s; (w = strstr(w, "=?UTF-8?B?")); w++) {
                const char *end = strstr(w, "?=");
                size_t b64 = (size_t) (end - w) - 10;
                cr_assert(end);
                cr_expect_leq((size_t) (end + 2 - w), 75);
                /* Base64 of whole "é"s: 2 bytes each, a multiple of 2 decoded bytes. */
                cr_expect_eq(b64 % 4, 0);
                cr_expect_eq((b64 / 4 * 3 - (end[-1] == '=') - (end[-2] == '=')) % 2, 0, "%.*s",
                             (int) (end + 2 - w), w);
        }
}

Test(mime, header_text_refuses_bad_utf8) {
        char *s = NULL;

        cr_expect_eq(mime_encode_header_text("caf\xe9", 0, &s), -EINVAL);
        cr_expect_null(s);
}

Test(mime, quoted_printable) {
        _cleanup_(freep) char *s = NULL, *long_line = NULL;
        const char *qp_in = "Montant : 4 000,00 €\n.début\nfin \n";
        size_t size;

        cr_assert_eq(mime_encode_quoted_printable(qp_in, strlen(qp_in), &s, &size), 0);
        cr_expect_str_eq(s, "Montant : 4 000,00 =E2=82=AC\r\n=2Ed=C3=A9but\r\nfin=20\r\n");
        cr_expect_eq(size, strlen(s));
        free(s);
        s = NULL;

        long_line = malloc(301);
        memset(long_line, 'a', 300);
        long_line[300] = '\0';
        long_line[150] = '=';
        cr_assert_eq(mime_encode_quoted_printable(long_line, 300, &s, &size), 0);
        cr_expect_leq(longest_line(s), 76);
        cr_expect(strstr(s, "=3D"));
        cr_expect(crlf_only(s));
}

Test(mime, base64) {
        _cleanup_(freep) char *s = NULL, *big = NULL;
        size_t size;

        cr_assert_eq(mime_encode_base64("chorusd", 7, &s, &size), 0);
        cr_expect_str_eq(s, "Y2hvcnVzZA==\r\n");
        free(s);
        s = NULL;
        big = calloc(1, 1000);
        cr_assert_eq(mime_encode_base64(big, 1000, &s, &size), 0);
        cr_expect_eq(longest_line(s), 76);
        cr_expect_eq(size, (1000 + 2) / 3 * 4 + 2 * ((1000 + 56) / 57));
}

Test(mime, date) {
        char buf[40];

        cr_assert_eq(mime_format_date(1796895000, buf), 0); /* 2026-12-10 09:30 UTC */
        cr_expect_str_eq(buf, "Thu, 10 Dec 2026 09:30:00 +0000");
}

static const char *const to2[] = { "compta@cma34.example", "direction@cma34.example" };

Test(mime, message_with_attachment) {
        _cleanup_(freep) char *m = NULL;
        MimeAttachment a = { .filename = "20261210-143000-a1b2c3d4--bilan été.json.error.txt",
                             .content_type = "text/plain; charset=UTF-8",
                             .data = "Ligne 1 : erreur\n",
                             .size = 17 };
        MimeMessage msg = { .from = "chorusd@cma34.example", .to = to2, .n_to = 2,
                            .subject = "Bilan refusé : bilan été.json\r\nBcc: evil@example.org",
                            .body = "Bonjour,\n\nLe bilan a été refusé.\n", .date = 1796895000,
                            .message_id = "1.abc@cma34.example", .attachments = &a, .n_attachments = 1 };
        const char *boundary, *end;
        size_t size;

        cr_assert_eq(mime_build(&msg, &m, &size), 0);
        cr_expect_eq(size, strlen(m));
        cr_expect(crlf_only(m));
        cr_expect_leq(longest_line(m), 78, "%s", m);
        cr_expect(strstr(m, "From: chorusd@cma34.example\r\n"));
        cr_expect(strstr(m, "To: compta@cma34.example, direction@cma34.example\r\n"));
        cr_expect(strstr(m, "Date: Thu, 10 Dec 2026 09:30:00 +0000\r\n"));
        cr_expect(strstr(m, "Message-ID: <1.abc@cma34.example>\r\n"));
        cr_expect(strstr(m, "MIME-Version: 1.0\r\n"));
        cr_expect(strstr(m, "Subject: =?UTF-8?B?"));
        /* The CR LF of the subject is inside an encoded word: no header. */
        cr_expect_null(strstr(m, "\r\nBcc:"));
        boundary = strstr(m, "boundary=\"");
        cr_assert(boundary);
        boundary += strlen("boundary=\"");
        end = strchr(boundary, '"');
        cr_assert(end);
        {
                char delim[80], close[84];
                snprintf(delim, sizeof delim, "\r\n--%.*s\r\n", (int) (end - boundary), boundary);
                snprintf(close, sizeof close, "\r\n--%.*s--\r\n", (int) (end - boundary), boundary);
                cr_expect(strstr(m, delim));
                cr_expect(strstr(strstr(m, delim) + 1, delim), "two parts");
                cr_expect(strstr(m, close));
        }
        cr_expect(strstr(m, "Content-Transfer-Encoding: quoted-printable\r\n"));
        cr_expect(strstr(m, "Le bilan a =C3=A9t=C3=A9 refus=C3=A9."));
        cr_expect(strstr(m, "Content-Disposition: attachment;\r\n filename*0*=UTF-8''20261210-143000-a1b2c3d4--bilan"
                            "%20%C3%A9t%C3%A9.json.err;\r\n filename*1*=or.txt\r\n"), "%s", m);
        cr_expect(strstr(m, "TGlnbmUgMSA6IGVycmV1cgo=\r\n")); /* base64 of the attachment */
}

Test(mime, message_without_attachment_is_single_part) {
        _cleanup_(freep) char *m = NULL;
        MimeMessage msg = { .from = "a@b.example", .to = to2, .n_to = 1, .subject = "Test", .body = "x\n",
                            .date = 0, .message_id = "x@b.example" };
        size_t size;

        cr_assert_eq(mime_build(&msg, &m, &size), 0);
        cr_expect_null(strstr(m, "multipart"));
        cr_expect(strstr(m, "Content-Type: text/plain; charset=UTF-8\r\n"));
}

Test(mime, bad_addresses_are_refused) {
        char *m = NULL;
        size_t size;
        const char *bad_to[] = { "a@b.example\r\nBcc: c@d.example" };
        MimeMessage msg = { .from = "a@b.example", .to = bad_to, .n_to = 1, .subject = "s", .body = "b",
                            .message_id = "x@y.example" };

        cr_expect_eq(mime_build(&msg, &m, &size), -EINVAL);
        msg.to = to2;
        msg.from = "a b@c.example";
        cr_expect_eq(mime_build(&msg, &m, &size), -EINVAL);
        msg.from = "a@b.example";
        msg.n_to = 0;
        cr_expect_eq(mime_build(&msg, &m, &size), -EINVAL);
        cr_expect_null(m);
}

/* ---- the notices' French text ---- */

Test(notice, every_kind_has_a_french_subject_and_body) {
        Notice n = { .job = "20261210-143000-a1b2c3d4", .bilan = "bilan.json", .convention = "CDCMC-2026",
                     .invoice = "CMA34-2026-0007", .flux = "CPP001", .has_amount = true, .amount = 400000,
                     .status = "SUSPENDUE", .reason = "Pièce manquante", .date = "2026-12-17", .days = 10,
                     .detail = "journal d'audit" };

        for (NoticeKind k = 0; k < _NOTICE_KIND_MAX; k++) {
                _cleanup_(freep) char *subject = NULL, *body = NULL, *summary = NULL;

                n.kind = k;
                cr_assert_eq(notice_format(&n, &subject, &body), 0, "%s", notice_kind_to_string(k));
                cr_expect(strstr(body, "Bonjour,"), "%s", body);
                cr_expect(strstr(body, "Message automatique de chorusd"));
                cr_expect_gt(strlen(subject), 10);
                cr_assert_eq(notice_summary(&n, &summary), 0);
                cr_expect_eq(notice_kind_from_string(notice_kind_to_string(k)), k);
        }
        cr_expect_eq(notice_kind_audience(NOTICE_BILAN_REFUSED), NOTICE_STAFF);
        cr_expect_eq(notice_kind_audience(NOTICE_INVOICE_SUSPENDED), NOTICE_STAFF);
        cr_expect_eq(notice_kind_audience(NOTICE_JOB_FAILED), NOTICE_ADMINS);
        cr_expect_eq(notice_kind_audience(NOTICE_PASSWORD_EXPIRING), NOTICE_ADMINS);
        cr_expect_eq(notice_kind_from_string("nope"), _NOTICE_KIND_INVALID);
}

Test(notice, facts) {
        _cleanup_(freep) char *subject = NULL, *body = NULL;
        Notice n = { .kind = NOTICE_INVOICE_DEPOSITED, .invoice = "CMA34-2026-0007", .has_amount = true,
                     .amount = 400000, .convention = "CDCMC-2026", .job = "J1" };

        cr_assert_eq(notice_format(&n, &subject, &body), 0);
        cr_expect_str_eq(subject, "Facture CMA34-2026-0007 déposée sur Chorus Pro");
        cr_expect(strstr(body, "Montant TTC : 4\xe2\x80\xaf" "000,00\xc2\xa0€"), "%s", body);
        cr_expect(strstr(body, "Convention : CDCMC-2026"));
        free(subject);
        free(body);
        n = (Notice) { .kind = NOTICE_PASSWORD_EXPIRING, .date = "2026-12-17", .days = 10 };
        cr_assert_eq(notice_format(&n, &subject, &body), 0);
        cr_expect_str_eq(subject, "Mot de passe du compte technique Chorus Pro : expire le 17 décembre 2026");
        cr_expect(strstr(body, "expire dans 10 jours"));
        free(subject);
        free(body);
        n = (Notice) { .kind = NOTICE_INVOICE_PAID, .invoice = "CMA34-2026-0007", .date = "2026-12-07 13:57" };
        cr_assert_eq(notice_format(&n, &subject, &body), 0);
        cr_expect(strstr(body, "Date du statut : 7 décembre 2026 à 13:57\n"), "%s", body);
}

Test(notice, credit_note_says_avoir) {
        static const struct {
                NoticeKind kind;
                const char *subject, *body;
        } cases[] = {
                { NOTICE_INVOICE_DEPOSITED, "Avoir CMA34-2026-0009 déposé sur Chorus Pro",
                  "L'avoir CMA34-2026-0009 a été déposé sur Chorus Pro." },
                { NOTICE_INVOICE_PAID, "Avoir CMA34-2026-0009 mis en paiement",
                  "l'avoir CMA34-2026-0009 est mis en paiement" },
                { NOTICE_INVOICE_REJECTED, "Avoir CMA34-2026-0009 rejeté par l'acheteur",
                  "a rejeté l'avoir CMA34-2026-0009" },
                { NOTICE_INVOICE_SUSPENDED, "Avoir CMA34-2026-0009 suspendu par l'acheteur",
                  "a suspendu l'avoir CMA34-2026-0009" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(freep) char *subject = NULL, *body = NULL, *summary = NULL;
                Notice n = { .kind = cases[i].kind, .invoice = "CMA34-2026-0009", .job = "J9", .credit_note = true };

                cr_assert_eq(notice_format(&n, &subject, &body), 0);
                cr_expect_str_eq(subject, cases[i].subject);
                cr_expect(strstr(body, cases[i].body), "%s", body);
                cr_expect(strstr(body, "Avoir : CMA34-2026-0009\n"), "%s", body);
                cr_expect_null(strstr(body, "facture"), "%s", body);
                cr_assert_eq(notice_summary(&n, &summary), 0);
                cr_expect(strstr(summary, "J9 — avoir CMA34-2026-0009"), "%s", summary);
        }
}

Test(notice, suspended_invoice_names_chorusctl_complete) {
        _cleanup_(freep) char *subject = NULL, *body = NULL;
        Notice n = { .kind = NOTICE_INVOICE_SUSPENDED, .invoice = "CMA34-2026-0007", .job = "J7" };

        cr_assert_eq(notice_format(&n, &subject, &body), 0);
        cr_expect_str_eq(subject, "Facture CMA34-2026-0007 suspendue par l'acheteur");
        cr_expect(strstr(body, "« chorusctl complete J7 --attach FICHIER.pdf --comment TEXTE »"), "%s", body);
        cr_expect(strstr(body, "elle garde son numéro"), "%s", body);
}

Test(notice, digest_lists_every_notice) {
        _cleanup_(freep) char *subject = NULL, *body = NULL;
        const char *lines[] = { "J1 — « a.json » : x", "J2 — « b.json » : y", "J3 — « c.json » : z" };

        cr_assert_eq(notice_digest_format(NOTICE_BILAN_REFUSED, lines, 3, &subject, &body), 0);
        cr_expect_str_eq(subject, "3 bilans refusés");
        for (size_t i = 0; i < 3; i++)
                cr_expect(strstr(body, lines[i]));
        cr_expect(strstr(body, "rejected/"));
}
