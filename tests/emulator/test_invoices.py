"""Reading deposited files and the per-invoice checks (invoices, pdf, state)."""

import re
import unittest
from pathlib import Path

from emulator_harness import (  # noqa: F401 (module fixture)
    CII_CREDIT_NOTE, UBL_CREDIT_NOTE, BUYER_BOTH, BUYER_EITHER, BUYER_EJ, BUYER_INACTIVE, BUYER_NOTHING, CII_SYNTAX, FX_SYNTAX,
    MINERVOIS, REPO, SUPPLIER, UBL_SYNTAX, UNKNOWN_BUYER, EmulatorTest, cii, facturx, pdf, tar_gz,
    ubl, zip_bytes, setUpModule, tearDownModule)


class TestTechnicalRejections(EmulatorTest):
    def test_not_well_formed_xml(self):
        cr = self.assert_technical_rejection(ubl()[:-40], UBL_SYNTAX, "bien formé")
        self.assertRegex(cr["listeErreurTechnique"][0]["libelleErreur"], r"ligne: \d+ - position: \d+")

    def test_doctype_is_refused(self):
        evil = b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n' + \
            ubl().split(b"?>", 1)[1]
        self.assert_technical_rejection(evil, UBL_SYNTAX, "DOCTYPE")

    def test_syntax_must_match_content(self):
        self.assert_technical_rejection(ubl(), CII_SYNTAX, "Invoice")
        self.assert_technical_rejection(cii(), UBL_SYNTAX, "CrossIndustryInvoice")
        self.assert_technical_rejection(cii(), FX_SYNTAX, "PDF")
        self.assert_technical_rejection(b"just some text", UBL_SYNTAX, "bien formé")

    def test_pdf_without_factur_x_xml(self):
        plain = pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])
        self.assert_technical_rejection(plain, FX_SYNTAX, "factur-x.xml")

    def test_missing_invoice_number(self):
        self.assert_technical_rejection(ubl().replace(b"<cbc:ID>CMA34-2026-0001</cbc:ID>", b""), UBL_SYNTAX,
                                        "cbc:ID")

    def test_unmodelled_syntax_is_rejected_with_a_reason(self):
        self.assert_technical_rejection(ubl(), "IN_DP_E1_XCBL", "émulateur")


class TestFacturX(EmulatorTest):
    def test_factur_x_pdf_is_integrated_and_read(self):
        numero = self.emu.deposit_ok(facturx(cii("CMA34-2026-0077", service="ECO")), FX_SYNTAX, "facture.pdf")
        self.emu.advance(numero)
        self.assertEqual(self.emu.cr(numero)["etatCourantDepotFlux"], "IN_INTEGRE")
        inv = self.emu.ctl("GET", "/_emulator/invoices?numeroFacture=CMA34-2026-0077")["invoices"]
        self.assertEqual(len(inv), 1)
        self.assertEqual((inv[0]["buyer_siret"], inv[0]["supplier_siret"], inv[0]["service_code"],
                          inv[0]["engagement"], inv[0]["montantTTC"], inv[0]["montantAPayer"], inv[0]["syntax"]),
                         (MINERVOIS, SUPPLIER, "ECO", "EJ-2026-0042", 4000.0, 4000.0, "cii"))

    def test_cii_stream_found_without_the_standard_name(self):
        numero = self.emu.deposit_ok(facturx(cii(), name=b"(invoice.xml)"), FX_SYNTAX, "facture.pdf")
        self.emu.advance(numero)
        self.assertEqual(self.emu.cr(numero)["etatCourantDepotFlux"], "IN_INTEGRE")

    def test_factur_x_with_bad_buyer_is_rejected_per_invoice(self):
        numero = self.emu.deposit_ok(facturx(cii(buyer=UNKNOWN_BUYER)), FX_SYNTAX, "facture.pdf")
        self.emu.advance(numero)
        cr = self.emu.cr(numero)
        self.assertEqual(cr["etatCourantDepotFlux"], "IN_REJETE")
        self.assertEqual(cr["listeErreurDP"][0]["identifiantDestinataire"], UNKNOWN_BUYER)

    def test_official_factur_x_examples_are_read(self):
        examples = [p for p in (REPO.parent / "shared", Path("/work/shared"))
                    if (p / "standards/examples/facturx").is_dir()]
        if not examples:
            self.skipTest("shared/standards not present")
        folder = examples[0] / "standards/examples/facturx"
        for name in ("Facture_FR_EN16931.pdf", "Facture_FR_BASICWL.pdf", "EN16931_Einfach.pdf"):
            numero = self.emu.deposit_ok((folder / name).read_bytes(), FX_SYNTAX, name)
            self.emu.advance(numero)
            cr = self.emu.cr(numero)
            # their parties are not ours: rejected per invoice, never as unreadable
            self.assertEqual(cr["listeErreurTechnique"], [], name)
            self.assertEqual(len(cr["listeErreurDP"]), 1, name)
            self.assertTrue(cr["listeErreurDP"][0]["numeroDP"], name)


class TestCreditNotes(EmulatorTest):
    def test_credit_note_of_an_integrated_invoice_is_an_avoir(self):
        self.assert_integrated(ubl())
        self.assert_integrated(UBL_CREDIT_NOTE)
        inv = self.emu.ctl("GET", "/_emulator/invoices?numeroFacture=CMA34-2026-0002")["invoices"]
        self.assertEqual(inv[0]["typeFacture"], "AVOIR", inv)
        self.assertEqual(inv[0]["numeroFactureOrigine"], "CMA34-2026-0001", inv)

    def test_cii_credit_note(self):
        self.assert_integrated(cii(), CII_SYNTAX)
        self.assert_integrated(CII_CREDIT_NOTE, CII_SYNTAX)

    def test_credit_note_of_an_unknown_invoice_is_rejected(self):
        self.assert_dp_rejected(UBL_CREDIT_NOTE, "facture d'origine CMA34-2026-0001 n'est pas connue")

    def test_credit_note_without_its_invoice_is_rejected(self):
        self.assert_integrated(ubl())
        bare = re.sub(rb"\s*<cac:BillingReference>.*?</cac:BillingReference>", b"", UBL_CREDIT_NOTE, flags=re.S)
        self.assert_dp_rejected(bare, "facture d'origine est obligatoire")


class TestInvoiceChecks(EmulatorTest):
    def test_good_ubl_and_cii(self):
        self.assert_integrated(ubl())
        self.assert_integrated(cii("CMA34-2026-0002"), CII_SYNTAX)

    def test_unknown_buyer(self):
        err = self.assert_dp_rejected(ubl(buyer=UNKNOWN_BUYER), "n'est pas référencé")
        self.assertEqual(err, {"numeroDP": "CMA34-2026-0001", "identifiantFournisseur": SUPPLIER,
                               "identifiantDestinataire": UNKNOWN_BUYER, "libelleErreurDP": err["libelleErreurDP"]})

    def test_inactive_structure(self):
        self.assert_dp_rejected(ubl(buyer=BUYER_INACTIVE, service=None), "n'est pas active")

    def test_wrong_supplier(self):
        err = self.assert_dp_rejected(ubl(supplier="21003402300015"), "fournisseur")
        self.assertEqual(err["identifiantFournisseur"], "21003402300015")

    def test_missing_service_code(self):
        self.assert_dp_rejected(ubl(service=None), "code service est obligatoire")
        self.assert_dp_rejected(cii("CMA34-2026-0002", service=None), "code service est obligatoire", CII_SYNTAX)

    def test_unknown_and_inactive_service(self):
        self.assert_dp_rejected(ubl(service="NOPE"), "n'existe pas")
        self.assert_dp_rejected(ubl("CMA34-2026-0002", service="ANCIEN-ECO"), "n'est pas actif")

    def test_factures_publiques_is_rejected(self):
        # Listed as an active service, but only for invoices between public
        # entities (chorus-pro-api.md §3.7): ours are rejected.
        err = self.assert_dp_rejected(ubl(service="FACTURES_PUBLIQUES"), "réservé aux factures entre entités publiques")
        self.assertIn("FACTURES_PUBLIQUES", err["libelleErreurDP"])
        self.assert_integrated(ubl("CMA34-2026-0002", service="ECO"))

    def test_service_requiring_an_engagement(self):
        self.assert_dp_rejected(ubl(service="TRAVAUX", engagement=None), "service TRAVAUX")
        self.assert_integrated(ubl("CMA34-2026-0002", service="TRAVAUX", engagement="EJ-77"))

    def test_structure_requiring_an_engagement(self):
        self.assert_dp_rejected(ubl(buyer=BUYER_EJ, service=None, engagement=None), "engagement est obligatoire")
        self.assert_integrated(ubl("CMA34-2026-0002", buyer=BUYER_EJ, service=None, engagement="EJ-1"))

    def test_structure_requiring_both(self):
        self.assert_dp_rejected(ubl(buyer=BUYER_BOTH, service="MAIRIE", engagement=None), "engagement")
        self.assert_dp_rejected(ubl("CMA34-2026-0002", buyer=BUYER_BOTH, service=None), "code service")
        self.assert_integrated(ubl("CMA34-2026-0003", buyer=BUYER_BOTH, service="MAIRIE", engagement="EJ-2"))

    def test_structure_requiring_either(self):
        self.assert_dp_rejected(ubl(buyer=BUYER_EITHER, service=None, engagement=None), "ou le numéro d'engagement")
        self.assert_integrated(ubl("CMA34-2026-0002", buyer=BUYER_EITHER, service=None, engagement="EJ-3"))
        self.assert_integrated(ubl("CMA34-2026-0003", buyer=BUYER_EITHER, service="TOURISME", engagement=None))

    def test_structure_requiring_nothing(self):
        self.assert_integrated(ubl(buyer=BUYER_NOTHING, service=None, engagement=None))

    def test_duplicate_invoice_number(self):
        self.assert_integrated(ubl())
        self.assert_dp_rejected(ubl(), "déjà")
        # a rejected number was never integrated: it stays free
        self.assert_dp_rejected(ubl("CMA34-2026-0005", buyer=UNKNOWN_BUYER), "référencé")
        self.assert_integrated(ubl("CMA34-2026-0005"))

    def test_limits_and_cadre(self):
        self.assert_dp_rejected(ubl("CMA34-2026-000000000001"), "20 caractères")
        self.assert_dp_rejected(ubl("CMA34-2026-0002", engagement="E" * 51), "50 caractères")
        bad_cadre = ubl("CMA34-2026-0003").replace(b"<cbc:ProfileID>A1<",
                                                   b"<cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0<")
        self.assert_dp_rejected(bad_cadre, "Cadre de facturation")

    def test_batch_with_good_and_bad_invoices_is_partial(self):
        archive = tar_gz([("CMA34-2026-0001.xml", ubl("CMA34-2026-0001")),
                          ("CMA34-2026-0002.xml", ubl("CMA34-2026-0002", buyer=UNKNOWN_BUYER)),
                          ("CMA34-2026-0003.xml", ubl("CMA34-2026-0003"))])
        numero, cr = self.integrate(archive, nom="lot.tar.gz")
        self.assertEqual(cr["etatCourantDepotFlux"], "IN_INTEGRE_PARTIEL")
        self.assertEqual([e["numeroDP"] for e in cr["listeErreurDP"]], ["CMA34-2026-0002"])
        found = self.search({"numeroFluxDepot": numero})["listeFactures"]
        self.assertEqual(sorted(f["numeroFacture"] for f in found), ["CMA34-2026-0001", "CMA34-2026-0003"])

    def test_zip_batch_and_duplicate_inside_one_batch(self):
        archive = zip_bytes([("a.xml", cii("CMA34-2026-0001")), ("b.xml", cii("CMA34-2026-0001"))])
        numero, cr = self.integrate(archive, CII_SYNTAX, "lot.zip")
        self.assertEqual(cr["etatCourantDepotFlux"], "IN_INTEGRE_PARTIEL")
        self.assertIn("déjà", cr["listeErreurDP"][0]["libelleErreurDP"])

    def test_batch_with_an_unreadable_member_is_rejected_whole(self):
        archive = tar_gz([("ok.xml", ubl("CMA34-2026-0001")), ("bad.xml", b"<Invoice>")])
        cr = self.assert_technical_rejection(archive, UBL_SYNTAX, "bad.xml")
        self.assertEqual(cr["listeErreurDP"], [])


if __name__ == "__main__":
    unittest.main()
