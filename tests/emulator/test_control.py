"""The control API (control)."""

import hashlib
import json
import unittest

from emulator_harness import (  # noqa: F401 (module fixture)
    CLIENT_ID, DEPOSER, HEALTH, MINERVOIS, SUPPLIER, TECH_LOGIN, TOKEN, UBL_SYNTAX, EmulatorTest,
    paris_today, ubl, setUpModule, tearDownModule)


class TestControlApi(EmulatorTest):
    def test_token_required(self):
        for path in ("/_emulator/fluxes", "/_emulator/requests", "/_emulator/faults"):
            self.assertEqual(self.emu.request("GET", path).status, 403)
            self.assertEqual(self.emu.request("GET", path, headers={"X-Emulator-Token": "wrong"}).status, 403)
        r = self.emu.request("POST", "/_emulator/reset", b"{}", {"X-Emulator-Token": self.emu.control_token[:-1]})
        self.assertEqual(r.status, 403)
        self.assertEqual(self.emu.request("GET", "/_emulator/health").status, 200)
        self.assertEqual(self.emu.control("GET", "/_emulator/nope").status, 404)

    def test_requests_say_which_connection_and_whether_tls_resumed(self):
        # chorusd's tests check connection reuse and TLS resumption with these.
        token = self.emu.token()
        headers = {"Authorization": f"Bearer {token}", "cpro-account": self.emu.account()}
        conn = self.emu.connection()
        try:
            for _ in range(2):  # two requests on one keep-alive connection
                conn.request("GET", HEALTH, headers=headers)
                conn.getresponse().read()
        finally:
            conn.close()
        self.emu.api(HEALTH, method="GET", token=token)  # a connection of its own
        reqs = self.emu.ctl("GET", "/_emulator/requests?path=" + HEALTH)["requests"]
        ids = [r["connection"] for r in reqs]
        self.assertEqual(len(ids), 3)
        self.assertEqual(ids[0], ids[1])
        self.assertNotEqual(ids[1], ids[2])
        self.assertEqual([r["tls_resumed"] for r in reqs], [False, False, False])  # no session offered
        # Resumption (tls_resumed true) is checked from libcurl by test_chorus_client.

    def test_requests_are_recorded_without_secrets(self):
        token = self.emu.token()
        numero = self.emu.deposit_ok(ubl(), token=token)
        self.emu.api(HEALTH, method="GET", token="bogus")
        reqs = self.emu.ctl("GET", "/_emulator/requests")["requests"]
        self.assertEqual([r["path"] for r in reqs], [TOKEN, DEPOSER, HEALTH])
        self.assertEqual([r["seq"] for r in reqs], [1, 2, 3])
        tok, dep, health = reqs
        self.assertEqual(tok["body"]["client_secret"], "<redacted>")
        self.assertEqual(tok["body"]["client_id"], CLIENT_ID)
        self.assertEqual(dep["headers"]["Authorization"], "<redacted>")
        self.assertEqual(dep["headers"]["cpro-account"], "<redacted>")
        self.assertTrue(dep["bearer_valid"])
        self.assertEqual(dep["technical_login"], TECH_LOGIN)
        content = ubl()
        self.assertEqual(dep["body"]["fichierFlux"]["length"], len(content))
        self.assertEqual(dep["body"]["fichierFlux"]["sha256"], hashlib.sha256(content).hexdigest())
        self.assertEqual(dep["body"]["syntaxeFlux"], UBL_SYNTAX)
        self.assertEqual((dep["status"], dep["method"]), (200, "POST"))
        self.assertFalse(health["bearer_valid"])
        self.assertEqual(health["status"], 401)
        dump = json.dumps(reqs)
        for secret in (self.emu.client_secret, self.emu.tech_password, token, self.emu.control_token):
            self.assertNotIn(secret, dump)
        only = self.emu.ctl("GET", "/_emulator/requests?path=/cpro/factures")["requests"]
        self.assertEqual([r["path"] for r in only], [DEPOSER])
        flux = self.emu.ctl("GET", "/_emulator/fluxes")["fluxes"][0]
        self.assertEqual((flux["numeroFluxDepot"], flux["size"], flux["sha256"], flux["nomFichier"]),
                         (numero, len(content), hashlib.sha256(content).hexdigest(), "facture.xml"))

    def test_exactly_one_deposit_of_a_number(self):
        self.emu.deposit_ok(ubl("CMA34-2026-0001"))
        self.emu.deposit_ok(ubl("CMA34-2026-0002"))
        inv = self.emu.ctl("GET", "/_emulator/invoices?numeroFacture=CMA34-2026-0001")["invoices"]
        self.assertEqual(len(inv), 1)
        self.assertEqual((inv[0]["integrated"], inv[0]["identifiantFactureCPP"], inv[0]["statut"]),
                         (False, None, None))
        self.assertEqual(len(self.emu.ctl("GET", "/_emulator/invoices")["invoices"]), 2)

    def test_flux_listing_after_integration(self):
        numero, _ = self.integrate(ubl())
        flux = self.emu.ctl("GET", "/_emulator/fluxes")["fluxes"][0]
        self.assertEqual((flux["etat"], flux["syntaxeFlux"], flux["dateDepot"]),
                         ("IN_INTEGRE", UBL_SYNTAX, paris_today().isoformat()))
        inv = flux["invoices"][0]
        self.assertEqual((inv["numeroFacture"], inv["supplier_siret"], inv["buyer_siret"], inv["service_code"],
                          inv["engagement"], inv["montantTTC"], inv["montantAPayer"], inv["statut"]),
                         ("CMA34-2026-0001", SUPPLIER, MINERVOIS, "ECO", "EJ-2026-0042", 4000.0, 4000.0, "DEPOSEE"))
        self.assertEqual([h["histoStatutCode"] for h in inv["history"]], ["DEPOSEE"])

    def test_reset_forgets_everything_but_numbering(self):
        token = self.emu.token()
        first = self.emu.deposit_ok(ubl(), token=token)
        self.emu.ctl("POST", "/_emulator/faults", {"route": DEPOSER, "status": 500, "count": 5})
        self.emu.ctl("POST", "/_emulator/config", {"token_lifetime": 5})
        self.emu.reset()
        self.assertEqual(self.emu.ctl("GET", "/_emulator/fluxes")["fluxes"], [])
        self.assertEqual(self.emu.ctl("GET", "/_emulator/faults")["faults"], [])
        self.assertEqual(self.emu.ctl("GET", "/_emulator/requests")["requests"], [])
        self.assertEqual(self.emu.ctl("GET", "/_emulator/config")["token_lifetime"], 3600)
        self.assertEqual(self.emu.api(HEALTH, method="GET", token=token).status, 401)
        second = self.emu.deposit_ok(ubl())
        self.assertNotEqual(first, second)

    def test_invalid_config(self):
        for payload in ({"token_lifetime": 0}, {"auto_advance": -1}, {"max_flux_size": "big"}, {"colour": 1}):
            self.assertEqual(self.emu.control("POST", "/_emulator/config", payload).status, 400, payload)
        self.assertEqual(self.emu.control("POST", "/_emulator/flux/advance", {"to": "IN_NIMPORTE"}).status, 400)


if __name__ == "__main__":
    unittest.main()
