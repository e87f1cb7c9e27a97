"""Deposits, the flux state machine, the supplier's search and the invoice
lifecycle (routes_factures, state)."""

import base64
import time
import unittest
from datetime import timedelta

from emulator_harness import (  # noqa: F401 (module fixture)
    CII_SYNTAX, CONSULTER_FACTURE, CR, DEPOSER, FX_SYNTAX, HISTORIQUE, LIFECYCLE, MINERVOIS,
    PENDING, RECHERCHER, SUPPLIER, UBL_SYNTAX, UNKNOWN_BUYER, EmulatorTest, cii, facturx, tar_gz,
    paris_today, ubl, setUpModule, tearDownModule)


class TestDeposit(EmulatorTest):
    def test_deposit_answer(self):
        r = self.emu.deposit(ubl())
        self.assertEqual(r.status, 200)
        body = r.json()
        self.assertEqual(body["codeRetour"], 0)
        self.assertEqual(body["libelle"], "TRA_MSG_00.000")
        self.assertRegex(body["numeroFluxDepot"], r"^CPP001\d{4}\d{15}$")
        self.assertEqual(body["dateDepot"], paris_today().isoformat())
        self.assertEqual(body["syntaxeFlux"], UBL_SYNTAX)
        self.assertNotIn("identifiantFactureCPP", body)

    def test_flux_numbers_are_unique_and_interface_follows_syntax(self):
        seen = set()
        for content, syntaxe, iface in ((ubl(), UBL_SYNTAX, "1100"), (cii(), CII_SYNTAX, "1106"),
                                        (facturx(cii()), FX_SYNTAX, "1117")):
            numero = self.emu.deposit_ok(content, syntaxe)
            self.assertEqual(numero[6:10], iface)
            self.assertNotIn(numero, seen)
            seen.add(numero)
            cr = self.emu.cr(numero)
            self.assertEqual(cr["codeInterfaceDepotFlux"], f"FSO{iface}A")
            self.assertEqual(cr["nomFichier"], f"FSO{iface}A_CPP001_{numero}")

    def test_consulter_cr_detaille_right_after_deposit(self):
        numero = self.emu.deposit_ok(ubl())
        cr = self.emu.cr(numero)
        self.assertEqual(cr["codeRetour"], 0)
        self.assertEqual(cr["etatCourantDepotFlux"], PENDING[0])
        iso = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$"
        self.assertRegex(cr["dateDepotFlux"], iso)
        self.assertRegex(cr["dateHeureEtatCourantFlux"], iso)
        self.assertNotIn("numeroFluxDepot", cr)

    def test_unknown_flux_is_a_business_error(self):
        r = self.emu.api(CR, {"numeroFluxDepot": "CPP0011100999999999999999"})
        self.assertEqual(r.status, 200)
        self.assertNotEqual(r.json()["codeRetour"], 0)

    def test_wrong_syntaxe_flux_is_refused_at_deposit(self):
        for syntaxe in ("IN_DP_E3_FACTUR_X_10", "IN_DP_E1_UBL_201", "ubl"):
            r = self.emu.deposit(ubl(), syntaxe)
            self.assertEqual(r.status, 400, syntaxe)
            self.assertNotEqual(r.json()["codeRetour"], 0)
        self.assertEqual(self.emu.ctl("GET", "/_emulator/fluxes")["fluxes"], [])

    def test_every_listed_syntax_is_accepted_at_deposit(self):
        for syntaxe in ("IN_DP_E1_UBL_INVOICE", "IN_DP_E1_CII_16B", "IN_DP_E2_CII_FACTURX",
                        "IN_DP_E2_UBL_INVOICE_MIN", "IN_DP_E2_CII_MIN_16B", "IN_DP_E2_CPP_FACTURE_MIN",
                        "IN_DP_E1_CII", "IN_DP_E2_CII_MIN", "IN_DP_E1_PES_FACTURE", "IN_DP_E2_PES_FACTURE_MIN",
                        "IN_DP_E1_XCBL", "IN_DP_PDFARCHIVE_UBL_INVOICE_MUG", "IN_DP_PDFARCHIVE_CII_MUG"):
            self.assertEqual(self.emu.deposit(ubl(), syntaxe).json()["codeRetour"], 0, syntaxe)

    def test_bad_base64_and_missing_fields(self):
        r = self.emu.api(DEPOSER, {"fichierFlux": "@@@ not base64 @@@", "nomFichier": "f.xml",
                                   "syntaxeFlux": UBL_SYNTAX})
        self.assertEqual(r.status, 400)
        self.assertNotEqual(r.json()["codeRetour"], 0)
        good = {"fichierFlux": base64.b64encode(ubl()).decode(), "nomFichier": "f.xml", "syntaxeFlux": UBL_SYNTAX}
        for key in good:
            for value in (None, ""):
                payload = dict(good)
                if value is None:
                    del payload[key]
                else:
                    payload[key] = value
                r = self.emu.api(DEPOSER, payload)
                self.assertEqual(r.status, 400, (key, value))
                self.assertNotEqual(r.json()["codeRetour"], 0)
        self.assertEqual(self.emu.ctl("GET", "/_emulator/fluxes")["fluxes"], [])

    def test_size_limit_gives_20001(self):
        self.emu.ctl("POST", "/_emulator/config", {"max_flux_size": 1000})
        content = ubl()
        self.assertGreater(len(content), 1000)
        r = self.emu.deposit(content)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json(), {"codeRetour": 20001, "libelle": "GDP_MSG_11.022"})
        self.assertEqual(self.emu.ctl("GET", "/_emulator/fluxes")["fluxes"], [])
        self.emu.ctl("POST", "/_emulator/config", {"max_flux_size": len(content)})
        self.assertEqual(self.emu.deposit(content).json()["codeRetour"], 0)


class TestFluxStateMachine(EmulatorTest):
    def test_steps_through_pending_states_to_integre(self):
        numero = self.emu.deposit_ok(ubl())
        seen = [self.emu.cr(numero)["etatCourantDepotFlux"]]
        for _ in range(5):
            self.emu.advance(numero, steps=1)
            seen.append(self.emu.cr(numero)["etatCourantDepotFlux"])
        self.assertEqual(seen, PENDING + ["IN_INTEGRE"])

    def test_nothing_moves_without_the_control_api(self):
        numero = self.emu.deposit_ok(ubl())
        time.sleep(0.3)
        self.assertEqual(self.emu.cr(numero)["etatCourantDepotFlux"], PENDING[0])

    def test_advance_without_target_reaches_the_checks_verdict(self):
        good = self.emu.deposit_ok(ubl("CMA34-2026-0001"))
        bad = self.emu.deposit_ok(ubl("CMA34-2026-0002", buyer=UNKNOWN_BUYER))
        fluxes = self.emu.advance()["fluxes"]
        self.assertEqual({f["numeroFluxDepot"]: f["etat"] for f in fluxes},
                         {good: "IN_INTEGRE", bad: "IN_REJETE"})

    def test_to_pending_retraitement_and_incidente(self):
        numero = self.emu.deposit_ok(ubl())
        self.emu.advance(numero, to="IN_EN_ATTENTE_RETRAITEMENT_CPP")
        self.assertEqual(self.emu.cr(numero)["etatCourantDepotFlux"], "IN_EN_ATTENTE_RETRAITEMENT_CPP")
        self.emu.advance(numero, to="IN_INCIDENTE")
        cr = self.emu.cr(numero)
        self.assertEqual(cr["etatCourantDepotFlux"], "IN_INCIDENTE")
        self.assertEqual(self.search({})["listeFactures"], [])

    def test_to_integre_still_obeys_the_checks_unless_forced(self):
        numero = self.emu.deposit_ok(ubl(buyer=UNKNOWN_BUYER))
        self.emu.advance(numero, to="IN_INTEGRE")
        self.assertEqual(self.emu.cr(numero)["etatCourantDepotFlux"], "IN_REJETE")
        forced = self.emu.deposit_ok(ubl("CMA34-2026-0009", buyer=UNKNOWN_BUYER))
        self.emu.advance(forced, to="IN_INTEGRE", force=True)
        self.assertEqual(self.emu.cr(forced)["etatCourantDepotFlux"], "IN_INTEGRE")
        self.assertEqual([f["numeroFacture"] for f in self.search({})["listeFactures"]], ["CMA34-2026-0009"])

    def test_terminal_flux_cannot_be_advanced(self):
        numero, _ = self.integrate(ubl())
        r = self.emu.control("POST", "/_emulator/flux/advance", {"numeroFluxDepot": numero, "to": "IN_REJETE"})
        self.assertEqual(r.status, 409)
        r = self.emu.control("POST", "/_emulator/flux/advance", {"numeroFluxDepot": "CPP0011100000000000009999"})
        self.assertEqual(r.status, 404)

    def test_injected_technical_error(self):
        numero = self.emu.deposit_ok(ubl())
        err = {"natureErreur": "ERR_XSD", "codeErreur": "ERR_XSD_001",
               "libelleErreur": "IRRECEVABILITE: cvc-complex-type.2.2: Element 'ram:Content' - ligne: 14"}
        self.emu.advance(numero, listeErreurTechnique=[err])
        cr = self.emu.cr(numero)
        self.assertEqual(cr["etatCourantDepotFlux"], "IN_REJETE")
        self.assertEqual(cr["listeErreurTechnique"], [err])

    def test_injected_dp_error_rejects_that_invoice(self):
        numero = self.emu.deposit_ok(ubl())
        self.emu.advance(numero, listeErreurDP=[{"numeroDP": "CMA34-2026-0001",
                                                 "libelleErreurDP": "PaymentMeans.TypeCode.value est obligatoire"}])
        cr = self.emu.cr(numero)
        self.assertEqual(cr["etatCourantDepotFlux"], "IN_REJETE")
        self.assertEqual(cr["listeErreurDP"], [{"numeroDP": "CMA34-2026-0001", "identifiantFournisseur": SUPPLIER,
                                                "identifiantDestinataire": MINERVOIS,
                                                "libelleErreurDP": "PaymentMeans.TypeCode.value est obligatoire"}])

    def test_forced_rejection_without_reason_still_explains(self):
        numero = self.emu.deposit_ok(ubl())
        self.emu.advance(numero, to="IN_REJETE")
        cr = self.emu.cr(numero)
        self.assertEqual(cr["etatCourantDepotFlux"], "IN_REJETE")
        self.assertEqual(len(cr["listeErreurTechnique"]), 1)



class TestRechercherFournisseur(EmulatorTest):
    def deposit_twelve(self):
        fluxes = []
        for batch in range(3):
            files = [(f"f{n}.xml", ubl(f"CMA34-2026-{batch * 4 + n:04d}")) for n in range(1, 5)]
            fluxes.append(self.emu.deposit_ok(tar_gz(files), nom="lot.tar.gz"))
        self.emu.advance()
        return fluxes

    def test_pages_of_ten_by_default(self):
        self.deposit_twelve()
        first = self.search({})
        self.assertEqual(len(first["listeFactures"]), 10)
        self.assertEqual(first["parametresRetour"],
                         {"pageCourante": 1, "pages": 2, "nbResultatsParPage": 10, "total": 12})
        second = self.search({"rechercheFactureParFournisseur": {"pageResultatDemandee": 2}})
        self.assertEqual(len(second["listeFactures"]), 2)
        self.assertEqual(second["parametresRetour"]["pageCourante"], 2)
        numbers = [f["numeroFacture"] for f in first["listeFactures"] + second["listeFactures"]]
        self.assertEqual(sorted(numbers), [f"CMA34-2026-{n:04d}" for n in range(1, 13)])
        ids = [f["identifiantFactureCPP"] for f in first["listeFactures"] + second["listeFactures"]]
        self.assertEqual(len(set(ids)), 12)
        self.assertTrue(all(isinstance(i, int) and i > 2 ** 32 for i in ids))
        third = self.search({"rechercheFactureParFournisseur": {"pageResultatDemandee": 3}})
        self.assertEqual(third["listeFactures"], [])

    def test_page_size_and_filters(self):
        fluxes = self.deposit_twelve()
        r = self.search({"rechercheFactureParFournisseur": {"pageResultatDemandee": 1, "nbResultatsParPage": 5}})
        self.assertEqual((len(r["listeFactures"]), r["parametresRetour"]["pages"]), (5, 3))
        by_flux = self.search({"numeroFluxDepot": fluxes[1]})["listeFactures"]
        self.assertEqual(sorted(f["numeroFacture"] for f in by_flux), [f"CMA34-2026-{n:04d}" for n in range(5, 9)])
        self.assertTrue(all(f["numeroFluxDepot"] == fluxes[1] for f in by_flux))
        one = self.search({"numeroFacture": "CMA34-2026-0007"})["listeFactures"]
        self.assertEqual(len(one), 1)
        today = paris_today().isoformat()
        tomorrow = (paris_today() + timedelta(days=1)).isoformat()
        self.assertEqual(self.search({"periodeDateDepotDu": today, "periodeDateDepotAu": today})
                         ["parametresRetour"]["total"], 12)
        self.assertEqual(self.search({"periodeDateDepotDu": tomorrow})["listeFactures"], [])
        self.assertEqual(self.search({"statutCourant": ["MISE_EN_PAIEMENT"]})["listeFactures"], [])

    def test_invoice_fields(self):
        numero, _ = self.integrate(ubl())
        f = self.search({"numeroFacture": "CMA34-2026-0001"})["listeFactures"][0]
        self.assertEqual(f["statut"], "DEPOSEE")
        self.assertEqual(f["numeroFluxDepot"], numero)
        self.assertEqual((f["montantTTC"], f["montantAPayer"], f["montantHT"]), (4000.0, 4000.0, 4000.0))
        self.assertEqual((f["codeDestinataire"], f["idDestinataire"], f["codeServiceExecutant"]),
                         (MINERVOIS, 26073617, "ECO"))
        self.assertEqual((f["typeFacture"], f["devise"], f["dateFacture"]), ("FACTURE", "EUR", "2026-12-10"))
        self.assertEqual(f["numeroBonCommande"], "EJ-2026-0042")

    def test_pending_and_rejected_invoices_are_not_listed(self):
        self.emu.deposit_ok(ubl("CMA34-2026-0001"))
        self.integrate(ubl("CMA34-2026-0002", buyer=UNKNOWN_BUYER))
        self.assertEqual(self.search({})["parametresRetour"]["total"], 0)

    def test_bad_paging(self):
        r = self.emu.api(RECHERCHER, {"rechercheFactureParFournisseur": {"pageResultatDemandee": 0}})
        self.assertEqual(r.status, 400)


class TestLifecycle(EmulatorTest):
    def invoice_id(self):
        self.integrate(ubl())
        return self.search({"numeroFacture": "CMA34-2026-0001"})["listeFactures"][0]["identifiantFactureCPP"]

    def historique(self, ident):
        r = self.emu.api(HISTORIQUE, {"idFacture": ident})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["codeRetour"], 0)
        return r.json()

    def test_deposee_after_integration(self):
        ident = self.invoice_id()
        h = self.historique(ident)
        self.assertEqual((h["idFacture"], h["numeroFacture"], h["statutCourantCode"]),
                         (ident, "CMA34-2026-0001", "DEPOSEE"))
        histo = h["historiquesDesStatuts"]["histoStatut"]
        self.assertEqual([s["histoStatutCode"] for s in histo], ["DEPOSEE"])
        self.assertRegex(histo[0]["histoStatutDatePassage"], r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")

    def test_control_sets_any_status_with_comment(self):
        ident = self.invoice_id()
        self.emu.ctl("POST", "/_emulator/invoice/status",
                     {"numeroFacture": "CMA34-2026-0001", "statut": "SUSPENDUE", "commentaire": "pièce manquante"})
        h = self.historique(ident)
        self.assertEqual(h["statutCourantCode"], "SUSPENDUE")
        self.assertEqual(h["historiquesDesStatuts"]["histoStatut"][-1]["histoStatutCommentaire"], "pièce manquante")
        for statut in ("A_RECYCLER", "REJETEE", "MISE_EN_PAIEMENT"):
            self.emu.ctl("POST", "/_emulator/invoice/status", {"identifiantFactureCPP": ident, "statut": statut})
            self.assertEqual(self.historique(ident)["statutCourantCode"], statut)
        self.assertEqual(self.search({})["listeFactures"][0]["statut"], "MISE_EN_PAIEMENT")

    def test_steps_along_the_main_path(self):
        ident = self.invoice_id()
        self.emu.ctl("POST", "/_emulator/invoice/status", {"identifiantFactureCPP": ident, "steps": 10})
        h = self.historique(ident)
        self.assertEqual([s["histoStatutCode"] for s in h["historiquesDesStatuts"]["histoStatut"]], LIFECYCLE)
        self.assertEqual(h["statutCourantCode"], "MISE_EN_PAIEMENT")

    def test_unknown_invoice(self):
        r = self.emu.api(HISTORIQUE, {"idFacture": 123})
        self.assertEqual(r.status, 200)
        self.assertNotEqual(r.json()["codeRetour"], 0)
        r = self.emu.control("POST", "/_emulator/invoice/status", {"numeroFacture": "nope", "statut": "DEPOSEE"})
        self.assertEqual(r.status, 404)

    def test_consulter_fournisseur(self):
        ident = self.invoice_id()
        r = self.emu.api(CONSULTER_FACTURE, {"identifiantFactureCPP": ident})
        self.assertEqual(r.status, 200)
        f = r.json()["facture"]
        self.assertEqual((f["numeroFacture"], f["statutFacture"], f["identifiantFactureCPP"]),
                         ("CMA34-2026-0001", "DEPOSEE", ident))
        self.assertEqual(f["destinataire"]["codeDestinataire"], MINERVOIS)
        self.assertEqual(f["montantTotal"]["montantTtcTotal"], 4000.0)
        self.assertEqual(f["cadreDeFacturation"]["codeCadreFacturation"], "A1_FACTURE_FOURNISSEUR")


if __name__ == "__main__":
    unittest.main()
