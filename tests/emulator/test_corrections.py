"""completer and recycler (routes_corrections): answering a SUSPENDUE /
A_COMPLETER invoice with PDF attachments or a comment, and routing an
A_RECYCLER invoice again under the same number."""

import base64
import hashlib
import time
import unittest

from emulator_harness import (  # noqa: F401 (module fixture)
    BUYER_BOTH, HISTORIQUE, EmulatorTest, ubl, setUpModule, tearDownModule)

COMPLETER = "/cpro/factures/v1/completer"
RECYCLER = "/cpro/factures/v1/recycler"
NUMBER = "CMA34-2026-0001"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
SHA = hashlib.sha256(PDF).hexdigest()


def attachment(content=PDF, name="attestation.pdf", ext="PDF", mime="application/pdf"):
    return {"pieceJointeDesignation": name, "pieceJointeExtension": ext, "pieceJointeTypeMime": mime,
            "pieceJointeFichier": base64.b64encode(content).decode()}


class CorrectionTest(EmulatorTest):
    def put_in(self, statut, content=None):
        self.integrate(content or ubl())
        inv = self.emu.ctl("POST", "/_emulator/invoice/status", {"numeroFacture": NUMBER, "statut": statut})
        return inv["identifiantFactureCPP"]

    def call(self, path, payload, code=0):
        r = self.emu.api(path, payload)
        body = r.json()
        self.assertEqual(body["codeRetour"], code, body)
        if code == 0:
            self.assertEqual(r.status, 200)
        return r.status, body

    def invoice(self):
        return self.emu.ctl("GET", f"/_emulator/invoices?numeroFacture={NUMBER}")["invoices"][0]

    def statuses(self, ident):
        h = self.emu.api(HISTORIQUE, {"idFacture": ident}).json()
        return [s["histoStatutCode"] for s in h["historiquesDesStatuts"]["histoStatut"]]


class TestCompleter(CorrectionTest):
    def test_suspended_invoice_completed_then_paid(self):
        ident = self.put_in("SUSPENDUE")
        _, body = self.call(COMPLETER, {"idFacture": ident, "commentaire": "Attestation jointe",
                                        "listePiecesJointes": [attachment(), attachment(name="pv.pdf")]})
        self.assertEqual((body["idFacture"], body["numeroFacture"], body["statutFacture"]),
                         (ident, NUMBER, "COMPLETEE"))
        inv = self.invoice()
        self.assertEqual(inv["statut"], "COMPLETEE")
        self.assertEqual(inv["history"][-1]["histoStatutCommentaire"], "Attestation jointe")
        self.assertEqual(inv["corrections"], [{
            "action": "completer", "commentaire": "Attestation jointe",
            "piecesJointes": [{"pieceJointeDesignation": "attestation.pdf", "size": len(PDF), "sha256": SHA},
                              {"pieceJointeDesignation": "pv.pdf", "size": len(PDF), "sha256": SHA}]}])
        logged = self.emu.ctl("GET", "/_emulator/requests?path=" + COMPLETER)["requests"][-1]["body"]
        self.assertEqual(logged["listePiecesJointes"][0]["pieceJointeFichier"],
                         {"length": len(PDF), "sha256": SHA, "base64_length": len(base64.b64encode(PDF))})
        self.emu.ctl("POST", "/_emulator/invoice/status", {"identifiantFactureCPP": ident, "steps": 10})
        self.assertEqual(self.statuses(ident),
                         ["DEPOSEE", "SUSPENDUE", "COMPLETEE", "MISE_A_DISPOSITION",
                          "PRISE_EN_COMPTE_DESTINATAIRE", "SERVICE_FAIT", "MANDATEE", "MISE_EN_PAIEMENT"])

    def test_a_completer_with_comment_only(self):
        ident = self.put_in("A_COMPLETER")
        self.call(COMPLETER, {"idFacture": ident, "commentaire": "Numéro d'engagement : EJ-1"})
        self.assertEqual(self.invoice()["statut"], "COMPLETEE")

    def test_only_a_suspended_invoice_is_completed(self):
        for statut in ("DEPOSEE", "A_RECYCLER", "COMPLETEE", "MISE_EN_PAIEMENT"):
            self.emu.reset()
            ident = self.put_in(statut)
            status, body = self.call(COMPLETER, {"idFacture": ident, "commentaire": "x"}, code=20015)
            self.assertEqual(status, 200)
            self.assertIn(statut, body["libelle"])
            self.assertEqual(self.invoice()["corrections"], [])

    def test_attachments_must_be_pdf_within_limits(self):
        ident = self.put_in("SUSPENDUE")
        bad = [
            ({"idFacture": ident}, "commentaire"),
            ({"idFacture": ident, "commentaire": "   ", "listePiecesJointes": []}, "commentaire"),
            ({"idFacture": ident, "listePiecesJointes": [attachment(ext="DOCX")]}, "PDF"),
            ({"idFacture": ident, "listePiecesJointes": [attachment(mime="image/png")]}, "PDF"),
            ({"idFacture": ident, "listePiecesJointes": [attachment(content=b"PK\x03\x04 not a pdf")]},
             "n'est pas un PDF"),
            ({"idFacture": ident, "listePiecesJointes": [dict(attachment(), pieceJointeFichier="@@")]},
             "base64"),
            ({"idFacture": ident, "listePiecesJointes": [attachment(name="")]}, "pieceJointeDesignation"),
            ({"idFacture": ident, "listePiecesJointes": [attachment(name="a" * 101)]}, "pieceJointeDesignation"),
            ({"idFacture": ident, "listePiecesJointes": [attachment()] * 11}, "listePiecesJointes"),
            ({"idFacture": ident, "commentaire": "c" * 2001}, "commentaire"),
            ({"commentaire": "x"}, "idFacture"),
        ]
        for payload, fragment in bad:
            status, body = self.call(COMPLETER, payload, code=20000)
            self.assertEqual(status, 400)
            self.assertIn(fragment, body["libelle"])
        self.assertEqual(self.invoice()["statut"], "SUSPENDUE")

    def test_attachment_over_10_mb_is_20003(self):
        ident = self.put_in("SUSPENDUE")
        big = PDF + b"0" * (10 * 1024 * 1024 + 1 - len(PDF))
        status, body = self.call(COMPLETER, {"idFacture": ident, "listePiecesJointes": [attachment(big)]},
                                 code=20003)
        self.assertEqual(status, 200)
        self.assertIn("10 Mo", body["libelle"])
        exact = PDF + b"0" * (10 * 1024 * 1024 - len(PDF))
        self.call(COMPLETER, {"idFacture": ident, "listePiecesJointes": [attachment(exact)]})

    def test_unknown_invoice(self):
        self.call(COMPLETER, {"idFacture": 42, "commentaire": "x"}, code=20002)


class TestCorrectionLag(CorrectionTest):
    """correction_lag: the call is taken, the status shows it later (a platform that lags)."""

    def test_completer_status_lags(self):
        self.emu.ctl("POST", "/_emulator/config", {"correction_lag": 0.5})
        ident = self.put_in("SUSPENDUE")
        _, body = self.call(COMPLETER, {"idFacture": ident, "commentaire": "Attestation jointe"})
        self.assertEqual(body["statutFacture"], "COMPLETEE")
        self.assertEqual(self.statuses(ident)[-1], "SUSPENDUE")
        self.assertEqual(len(self.invoice()["corrections"]), 1)
        # A second completer meanwhile is taken again: what the daemon must never send.
        self.call(COMPLETER, {"idFacture": ident, "commentaire": "Attestation jointe"})
        self.assertEqual(len(self.invoice()["corrections"]), 2)
        deadline = time.monotonic() + 5
        while self.statuses(ident)[-1] != "COMPLETEE":
            self.assertLess(time.monotonic(), deadline, "the lagging status never moved")
            time.sleep(0.05)

    def test_recycler_status_lags(self):
        self.emu.ctl("POST", "/_emulator/config", {"correction_lag": 0.3})
        ident = self.put_in("A_RECYCLER")
        self.call(RECYCLER, {"idFacture": ident, "codeServiceExecutant": "ECO"})
        self.assertEqual(self.statuses(ident)[-1], "A_RECYCLER")
        time.sleep(0.6)
        self.assertEqual(self.statuses(ident)[-1], "EN_COURS_ACHEMINEMENT")

    def test_invalid_lag(self):
        for v in (-1, 3601, "1", True):
            self.assertEqual(self.emu.control("POST", "/_emulator/config", {"correction_lag": v}).status, 400, v)


class TestRecycler(CorrectionTest):
    def test_recycled_keeps_its_number_then_paid(self):
        ident = self.put_in("A_RECYCLER")
        _, body = self.call(RECYCLER, {"idFacture": ident, "codeServiceExecutant": "TRAVAUX",
                                       "numeroEngagement": "EJ-2026-0077"})
        self.assertEqual((body["idFacture"], body["numeroFacture"], body["statutFacture"]),
                         (ident, NUMBER, "EN_COURS_ACHEMINEMENT"))
        inv = self.invoice()
        self.assertEqual((inv["service_code"], inv["engagement"], inv["identifiantFactureCPP"]),
                         ("TRAVAUX", "EJ-2026-0077", ident))
        self.assertEqual(inv["corrections"], [{"action": "recycler", "codeServiceExecutant": "TRAVAUX",
                                               "numeroEngagement": "EJ-2026-0077"}])
        found = self.search({"numeroFacture": NUMBER})["listeFactures"]
        self.assertEqual(len(found), 1)
        self.assertEqual(found[0]["codeServiceExecutant"], "TRAVAUX")
        self.emu.ctl("POST", "/_emulator/invoice/status", {"identifiantFactureCPP": ident, "steps": 10})
        self.assertEqual(self.statuses(ident)[1:4], ["A_RECYCLER", "EN_COURS_ACHEMINEMENT", "MISE_A_DISPOSITION"])
        self.assertEqual(self.invoice()["statut"], "MISE_EN_PAIEMENT")

    def test_without_engagement_drops_the_old_one(self):
        ident = self.put_in("A_RECYCLER")
        self.call(RECYCLER, {"idFacture": ident, "codeServiceExecutant": "ECO"})
        self.assertEqual((self.invoice()["service_code"], self.invoice()["engagement"]), ("ECO", None))

    def test_only_a_recyclable_invoice_is_recycled(self):
        for statut in ("DEPOSEE", "SUSPENDUE", "MISE_EN_PAIEMENT"):
            self.emu.reset()
            ident = self.put_in(statut)
            _, body = self.call(RECYCLER, {"idFacture": ident, "codeServiceExecutant": "ECO"}, code=20004)
            self.assertIn(statut, body["libelle"])

    def test_new_routing_is_checked(self):
        ident = self.put_in("A_RECYCLER")
        for payload, fragment in (
                ({"codeServiceExecutant": "NOPE"}, "n'existe pas"),
                ({"codeServiceExecutant": "ANCIEN-ECO"}, "n'est pas actif"),
                ({"codeServiceExecutant": "FACTURES_PUBLIQUES"}, "entre entités publiques"),
                ({"codeServiceExecutant": "ECO", "numeroEngagement": "E" * 51}, "50 caractères")):
            _, body = self.call(RECYCLER, dict(payload, idFacture=ident), code=20005)
            self.assertIn(fragment, body["libelle"])
        status, body = self.call(RECYCLER, {"idFacture": ident}, code=20000)
        self.assertEqual(status, 400)
        status, body = self.call(RECYCLER, {"idFacture": ident, "codeServiceExecutant": 3}, code=20000)
        inv = self.invoice()
        self.assertEqual((inv["statut"], inv["service_code"], inv["corrections"]), ("A_RECYCLER", "ECO", []))

    def test_service_and_engagement_buyer(self):
        ident = self.put_in("A_RECYCLER", ubl(buyer=BUYER_BOTH, service="MAIRIE"))
        _, body = self.call(RECYCLER, {"idFacture": ident, "codeServiceExecutant": "MAIRIE"}, code=20005)
        self.assertIn("engagement", body["libelle"])
        self.call(RECYCLER, {"idFacture": ident, "codeServiceExecutant": "MAIRIE", "numeroEngagement": "EJ-9"})


if __name__ == "__main__":
    unittest.main()
