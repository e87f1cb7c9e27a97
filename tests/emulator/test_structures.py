"""The buyers' directory routes (routes_structures, structures)."""

import json
import re
import unittest

from emulator_harness import (  # noqa: F401 (module fixture)
    BUYER_BOTH, BUYER_EITHER, BUYER_EJ, BUYER_INACTIVE, BUYER_NOTHING, MINERVOIS, STRUCTURES,
    UNKNOWN_BUYER, EmulatorTest, luhn_ok, setUpModule, tearDownModule)


class TestStructures(EmulatorTest):
    def call(self, path, payload):
        r = self.emu.api("/cpro/structures/v1/" + path, payload)
        self.assertEqual(r.status, 200, r.body)
        return r.json()

    def find(self, siret):
        body = self.call("rechercher", {"structure": {"identifiantStructure": siret,
                                                      "typeIdentifiantStructure": "SIRET"},
                                        "restreindreStructuresPrivees": False,
                                        "parametres": {"nbResultatsParPage": 10, "pageResultatDemandee": 1}})
        self.assertEqual(body["codeRetour"], 0)
        return body

    def test_rechercher_by_siret(self):
        body = self.find(MINERVOIS)
        self.assertEqual(body["listeStructures"], [{"idStructureCPP": 26073617, "identifiantStructure": MINERVOIS,
                                                    "designationStructure":
                                                        "Communauté de Communes du Minervois au Caroux",
                                                    "typeIdentifiantStructure": "SIRET", "statut": "ACTIVE"}])
        self.assertEqual(body["parametresRetour"]["total"], 1)
        self.assertEqual(self.find(UNKNOWN_BUYER)["listeStructures"], [])
        self.assertEqual(self.find(BUYER_INACTIVE)["listeStructures"][0]["statut"], "INACTIVE")
        everything = self.call("rechercher", {"structure": None})
        self.assertEqual(everything["parametresRetour"]["total"], len(list(STRUCTURES.glob("*.json"))))
        by_name = self.call("rechercher", {"structure": {"raisonSocialeStructure": "minervois"}})
        self.assertEqual([s["identifiantStructure"] for s in by_name["listeStructures"]], [MINERVOIS])

    def test_consulter_parametres(self):
        expected = {MINERVOIS: (True, False, False), BUYER_EJ: (False, True, False),
                    BUYER_BOTH: (True, True, False), BUYER_EITHER: (False, False, True),
                    BUYER_NOTHING: (False, False, False)}
        for siret, flags in expected.items():
            ident = self.find(siret)["listeStructures"][0]["idStructureCPP"]
            body = self.call("consulter", {"idStructureCPP": ident, "codeLangue": "fr"})
            self.assertEqual(body["codeRetour"], 0)
            self.assertEqual(body["informationGenerales"]["identifiantStructure"], siret)
            p = body["parametres"]
            self.assertEqual((p["codeServiceDoitEtreRenseigne"], p["numeroEJDoitEtreRenseigne"],
                              p["gestionNumeroEJOuCodeService"]), flags, siret)
            self.assertEqual(len(p), 10)
        self.assertEqual(self.find(BUYER_EJ)["listeStructures"][0]["idStructureCPP"], 3100000002)
        self.assertNotEqual(self.call("consulter", {"idStructureCPP": 999})["codeRetour"], 0)

    def test_password_expiry_control(self):
        """POST /_emulator/structure/password-expiry sets what consulter reports
        on the supplier's structure (chorusd's password notice, suite 52-mail)."""
        from datetime import date, timedelta
        supplier = 25993211

        def reported():
            body = self.call("consulter", {"idStructureCPP": supplier, "codeLangue": "fr"})
            return body["informationGenerales"]["dateExpirationMotPasseCompteTech"]

        before = reported()
        try:
            r = self.emu.control("POST", "/_emulator/structure/password-expiry", {"days": 10})
            self.assertEqual(r.status, 200, r.body)
            ten = (date.today() + timedelta(days=10)).isoformat()
            self.assertEqual(r.json()["identifiantStructure"], "13002602400013")
            self.assertTrue(reported().startswith(ten + "T"), reported())
            r = self.emu.control("POST", "/_emulator/structure/password-expiry",
                                 {"identifiantStructure": "13002602400013", "date": "2027-01-31"})
            self.assertEqual(r.status, 200, r.body)
            self.assertTrue(reported().startswith("2027-01-31T"))
            self.emu.control("POST", "/_emulator/structure/password-expiry", {"date": None})
            self.assertIsNone(reported())
            for bad in ({}, {"days": 1, "date": "2027-01-01"}, {"days": "10"}, {"date": "31/01/2027"},
                        {"days": 1, "other": 1}):
                self.assertEqual(self.emu.control("POST", "/_emulator/structure/password-expiry", bad).status,
                                 400, bad)
            self.assertEqual(self.emu.control("POST", "/_emulator/structure/password-expiry",
                                              {"identifiantStructure": "00000000000000", "days": 1}).status, 404)
            self.assertEqual(self.emu.request("POST", "/_emulator/structure/password-expiry",
                                              b'{"days": 1}').status, 403)
        finally:
            self.emu.control("POST", "/_emulator/structure/password-expiry", {"date": before[:10]})
        self.assertEqual(reported()[:10], before[:10])

    def test_services(self):
        body = self.call("rechercher/services", {"idStructure": 26073617,
                                                 "parametresRechercherServicesStructure": {"nbResultatsParPage": 100}})
        services = {s["codeService"]: s for s in body["listeServices"]}
        self.assertEqual(set(services), {"ECO", "FACTURES_PUBLIQUES", "TRAVAUX", "ANCIEN-ECO"})
        self.assertTrue(services["ECO"]["estActif"])
        self.assertTrue(services["FACTURES_PUBLIQUES"]["estActif"])
        self.assertFalse(services["ANCIEN-ECO"]["estActif"])
        paged = self.call("rechercher/services", {"idStructure": 26073617,
                                                  "parametresRechercherServicesStructure": {"nbResultatsParPage": 3,
                                                                                            "pageResultatDemandee": 2}})
        self.assertEqual((len(paged["listeServices"]), paged["parametresRetour"]["pages"]), (1, 2))
        for code, needs_ej in (("ECO", False), ("TRAVAUX", True)):
            s = self.call("consulter/service", {"idStructure": 26073617, "idService": services[code]["idService"],
                                                "codeLangue": "fr"})
            self.assertEqual(s["codeRetour"], 0)
            self.assertEqual(s["informationsGenerales"]["codeService"], code)
            self.assertEqual(s["parametres"]["numeroEngagement"], needs_ej)
        other = self.call("consulter/service", {"idStructure": 26073617, "idService": 40001001})
        self.assertNotEqual(other["codeRetour"], 0)

    def test_fixture_sirets_pass_luhn(self):
        files = sorted(STRUCTURES.glob("*.json"))
        self.assertGreaterEqual(len(files), 7)
        for f in files:
            s = json.loads(f.read_text(encoding="utf-8"))
            self.assertTrue(re.fullmatch(r"\d{14}", s["identifiantStructure"]) and luhn_ok(s["identifiantStructure"]),
                            f.name)
        self.assertFalse(luhn_ok(UNKNOWN_BUYER[:-1] + "4"))
        self.assertTrue(luhn_ok(UNKNOWN_BUYER))


if __name__ == "__main__":
    unittest.main()
