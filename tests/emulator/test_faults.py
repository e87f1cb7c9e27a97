"""Scripted faults (faults, server)."""

import http.client
import ssl
import time
import unittest
from datetime import date, timedelta

from emulator_harness import (  # noqa: F401 (module fixture)
    CLIENT_ID, CR, DEPOSER, HEALTH, PENDING, TOKEN, EmulatorTest, ubl, setUpModule, tearDownModule)


class TestFaults(EmulatorTest):
    def fault(self, **rule):
        return self.emu.ctl("POST", "/_emulator/faults", rule)

    def test_429_with_and_without_retry_after(self):
        self.fault(route=DEPOSER, status=429, retry_after=7)
        r = self.emu.deposit(ubl())
        self.assertEqual(r.status, 429)
        self.assertEqual(r.headers["Retry-After"], "7")
        self.fault(route=DEPOSER, status=429)
        r = self.emu.deposit(ubl())
        self.assertEqual(r.status, 429)
        self.assertIsNone(r.headers["Retry-After"])
        self.assertEqual(self.emu.deposit(ubl()).status, 200)
        self.assertEqual(len(self.emu.ctl("GET", "/_emulator/fluxes")["fluxes"]), 1)

    def test_500_503_and_count(self):
        self.fault(route=DEPOSER, status=503, count=2)
        self.fault(route=DEPOSER, status=500)
        statuses = [self.emu.deposit(ubl()).status for _ in range(4)]
        self.assertEqual(statuses, [503, 503, 500, 200])

    def test_route_matching(self):
        self.fault(route=CR, status=500)
        self.assertEqual(self.emu.api(HEALTH, method="GET").status, 200)
        self.assertEqual(self.emu.api(CR, {"numeroFluxDepot": "x"}).status, 500)
        token = self.emu.token()
        self.fault(route="*", status=503)
        self.assertEqual(self.emu.api(HEALTH, method="GET", token=token).status, 503)
        self.fault(route="/cpro/structures/*", status=500)
        self.assertEqual(self.emu.api(HEALTH, method="GET", token=token).status, 200)
        self.assertEqual(self.emu.api("/cpro/structures/v1/consulter", {"idStructureCPP": 26073617},
                                      token=token).status, 500)

    def test_token_endpoint_fault(self):
        self.fault(route=TOKEN, status=503, retry_after=2)
        r = self.emu.token_request({"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                    "client_secret": self.emu.client_secret})
        self.assertEqual((r.status, r.headers["Retry-After"]), (503, "2"))
        self.emu.token()

    def test_business_errors_200_and_400(self):
        self.fault(route=DEPOSER, status=200, code_retour=20001, libelle="GDP_MSG_11.022")
        r = self.emu.deposit(ubl())
        self.assertEqual((r.status, r.json()), (200, {"codeRetour": 20001, "libelle": "GDP_MSG_11.022"}))
        self.fault(route=DEPOSER, status=400, code_retour=20003, libelle="Requête invalide")
        r = self.emu.deposit(ubl())
        self.assertEqual((r.status, r.json()), (400, {"codeRetour": 20003, "libelle": "Requête invalide"}))
        self.assertEqual(self.emu.ctl("GET", "/_emulator/fluxes")["fluxes"], [])

    def test_slow_answer(self):
        self.fault(route=CR, delay=1.0)
        started = time.monotonic()
        r = self.emu.api(CR, {"numeroFluxDepot": "x"})
        self.assertGreaterEqual(time.monotonic() - started, 1.0)
        self.assertEqual(r.status, 200)
        self.fault(route=CR, delay=1.0)
        conn = self.emu.connection(timeout=0.3)
        with self.assertRaises(TimeoutError):
            conn.request("POST", CR, body=b'{"numeroFluxDepot": "x"}',
                         headers={"Authorization": f"Bearer {self.emu.token()}", "cpro-account": self.emu.account(),
                                  "Content-Type": "application/json"})
            conn.getresponse()
        conn.close()

    def test_drop_before_body_records_nothing(self):
        self.fault(route=DEPOSER, drop="before_body")
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError, ssl.SSLError)):
            self.emu.deposit(ubl())
        self.assertEqual(self.emu.ctl("GET", "/_emulator/fluxes")["fluxes"], [])
        self.assertEqual(self.emu.deposit(ubl()).status, 200)

    def test_drop_after_body_records_the_deposit(self):
        self.fault(route=DEPOSER, drop="after_body")
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError, ssl.SSLError)):
            self.emu.deposit(ubl())
        fluxes = self.emu.ctl("GET", "/_emulator/fluxes")["fluxes"]
        self.assertEqual(len(fluxes), 1)
        self.assertEqual([i["numeroFacture"] for i in fluxes[0]["invoices"]], ["CMA34-2026-0001"])
        # a client that blindly deposits again creates a second one: what the daemon must avoid
        self.emu.deposit_ok(ubl())
        self.assertEqual(len(self.emu.ctl("GET", "/_emulator/invoices?numeroFacture=CMA34-2026-0001")["invoices"]), 2)
        req = self.emu.ctl("GET", "/_emulator/requests?path=" + DEPOSER)["requests"]
        self.assertEqual([r["status"] for r in req], [None, 200])
        self.assertEqual(req[0]["fault"]["drop"], "after_body")

    def test_lost_answer_then_integrated_later_on_its_own(self):
        # The platform accepts the flux, the answer is lost, and the flux is
        # integrated later without anyone moving it (auto_advance is 0 here):
        # invisible to the search until then, found afterwards.
        self.fault(route=DEPOSER, drop="after_body", integrate_after=0.5)
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError, ssl.SSLError)):
            self.emu.deposit(ubl())
        fluxes = self.emu.ctl("GET", "/_emulator/fluxes")["fluxes"]
        self.assertEqual(len(fluxes), 1)
        numero = fluxes[0]["numeroFluxDepot"]
        self.assertEqual(self.emu.cr(numero)["etatCourantDepotFlux"], PENDING[0])
        since = (date.today() - timedelta(days=1)).isoformat()
        query = {"numeroFacture": "CMA34-2026-0001", "periodeDateDepotDu": since}
        self.assertEqual(self.search(query)["listeFactures"], [])
        for _ in range(60):
            if self.emu.cr(numero)["etatCourantDepotFlux"] == "IN_INTEGRE":
                break
            time.sleep(0.05)
        self.assertEqual(self.emu.cr(numero)["etatCourantDepotFlux"], "IN_INTEGRE")
        found = self.search(query)["listeFactures"]
        self.assertEqual([(f["numeroFacture"], f["numeroFluxDepot"]) for f in found],
                         [("CMA34-2026-0001", numero)])

    def test_integrate_after_waits_even_with_auto_advance(self):
        self.emu.ctl("POST", "/_emulator/config", {"auto_advance": 0.05})
        self.fault(route=DEPOSER, integrate_after=1.0)
        held = self.emu.deposit_ok(ubl())
        other = self.emu.deposit_ok(ubl(number="CMA34-2026-0002"))
        time.sleep(0.6)
        self.assertEqual(self.emu.cr(other)["etatCourantDepotFlux"], "IN_INTEGRE")
        self.assertEqual(self.emu.cr(held)["etatCourantDepotFlux"], PENDING[0])
        time.sleep(0.7)
        self.assertEqual(self.emu.cr(held)["etatCourantDepotFlux"], "IN_INTEGRE")

    def test_processed_then_gateway_error(self):
        # A 502 after the platform accepted the flux: the deposit is recorded.
        self.fault(route=DEPOSER, status=502, processed=True)
        self.assertEqual(self.emu.deposit(ubl()).status, 502)
        fluxes = self.emu.ctl("GET", "/_emulator/fluxes")["fluxes"]
        self.assertEqual([i["numeroFacture"] for f in fluxes for i in f["invoices"]], ["CMA34-2026-0001"])
        # without "processed" nothing is recorded
        self.fault(route=DEPOSER, status=502)
        self.assertEqual(self.emu.deposit(ubl(number="CMA34-2026-0002")).status, 502)
        self.assertEqual(len(self.emu.ctl("GET", "/_emulator/fluxes")["fluxes"]), 1)

    def test_expire_token_fault(self):
        token = self.emu.token()
        self.fault(route=HEALTH, expire_token=True)
        r = self.emu.api(HEALTH, method="GET", token=token)
        self.assertEqual(r.status, 401)
        self.assertTrue(r.headers["WWW-Authenticate"].startswith('Bearer realm="PISTE"'))
        self.assertEqual(self.emu.api(HEALTH, method="GET", token=token).status, 401)
        self.assertEqual(self.emu.api(HEALTH, method="GET").status, 200)

    def test_header_bytes_pads_the_answer(self):
        # Under http.client's own 64 KiB line limit; chorusd is tested with more.
        self.fault(route=HEALTH, header_bytes=50000)
        r = self.emu.api(HEALTH, method="GET")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers["X-Emulator-Padding"], "a" * 50000)
        self.assertIn("statusCode", r.json())
        self.fault(route=HEALTH, status=503, header_bytes=10)
        r = self.emu.api(HEALTH, method="GET")
        self.assertEqual((r.status, r.headers["X-Emulator-Padding"]), (503, "a" * 10))
        self.assertIsNone(self.emu.api(HEALTH, method="GET").headers["X-Emulator-Padding"])

    def test_list_and_clear(self):
        self.fault(route=DEPOSER, status=500, count=3)
        self.emu.deposit(ubl())
        faults = self.emu.ctl("GET", "/_emulator/faults")["faults"]
        self.assertEqual([(f["route"], f["count"], f["status"]) for f in faults], [(DEPOSER, 2, 500)])
        self.emu.ctl("DELETE", "/_emulator/faults")
        self.assertEqual(self.emu.ctl("GET", "/_emulator/faults")["faults"], [])
        self.assertEqual(self.emu.deposit(ubl()).status, 200)

    def test_invalid_fault_rules(self):
        for rule in ({"status": 500}, {"route": DEPOSER}, {"route": DEPOSER, "drop": "sometimes"},
                     {"route": DEPOSER, "status": 99}, {"route": DEPOSER, "status": 500, "colour": "red"},
                     {"route": "/_emulator/reset", "status": 500}, {"route": DEPOSER, "status": 500, "count": 0},
                     {"route": DEPOSER, "header_bytes": 0}, {"route": DEPOSER, "header_bytes": "big"},
                     {"route": DEPOSER, "processed": True}, {"route": DEPOSER, "status": 502, "processed": 1},
                     {"route": DEPOSER, "integrate_after": -1},
                     {"route": DEPOSER, "integrate_after": 1, "drop": "before_body"},
                     {"route": DEPOSER, "integrate_after": 1, "status": 500}):
            self.assertEqual(self.emu.control("POST", "/_emulator/faults", rule).status, 400, rule)


if __name__ == "__main__":
    unittest.main()
