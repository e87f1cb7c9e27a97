"""Chorus Pro routes of invoices: deposit, deposit report, search, history, detail."""

import base64
import binascii
import re

from .common import (
    CADRES, CODE_NOT_FOUND, CODE_TOO_LARGE, LIBELLE_TOO_LARGE, SYNTAXES, amount, as_int,
    bad_request, business_error, iso, ok, page_of, paging)
from .invoices import InvoiceParser
from .structures import Structures


class FactureRoutes:
    """The /cpro/factures and consulterCRDetaille routes, a part of ChorusApi."""

    def deposer_flux(self, data):
        for key in ("fichierFlux", "nomFichier", "syntaxeFlux"):
            if not isinstance(data.get(key), str) or not data[key].strip():
                return bad_request(f"Le champ {key} est obligatoire")
        syntaxe = data["syntaxeFlux"]
        if syntaxe not in SYNTAXES:
            return bad_request(f"La valeur {syntaxe!r} n'est pas une syntaxeFlux valide")
        try:
            raw = base64.b64decode(data["fichierFlux"], validate=True)
        except (binascii.Error, ValueError):
            return bad_request("Le champ fichierFlux n'est pas un base64 valide")
        max_size = self.emu.config.max_flux_size
        if len(raw) > max_size:
            return business_error(CODE_TOO_LARGE, LIBELLE_TOO_LARGE)
        invoices, technical = InvoiceParser(max_size).parse(raw, syntaxe)
        flux = self.emu.fluxes.create(syntaxe, data["nomFichier"], raw, invoices, technical)
        return ok({"numeroFluxDepot": flux.numero, "dateDepot": flux.date_depot.strftime("%Y-%m-%d"),
                   "syntaxeFlux": syntaxe})

    def consulter_cr_detaille(self, data):
        numero = data.get("numeroFluxDepot")
        if not isinstance(numero, str) or not numero:
            return bad_request("Le champ numeroFluxDepot est obligatoire")
        with self.emu.lock:
            flux = self.emu.fluxes.get(numero)
            if flux is None:
                return business_error(CODE_NOT_FOUND, f"Le flux {numero} est inconnu")
            return ok({
                "nomFichier": f"{flux.code_interface}_CPP001_{flux.numero}",
                "codeInterfaceDepotFlux": flux.code_interface,
                "dateDepotFlux": iso(flux.date_depot),
                "etatCourantDepotFlux": flux.etat,
                "dateHeureEtatCourantFlux": iso(flux.etat_time),
                "listeErreurTechnique": [dict(e) for e in flux.liste_tech],
                "listeErreurDP": [dict(e) for e in flux.liste_dp],
            })

    def _facture_summary(self, inv):
        p, s = inv.parsed, self.emu.structures.by_siret(inv.parsed.buyer_siret)
        service = Structures.service(s, code=p.service_code) if s and p.service_code else None
        supplier = self.emu.structures.by_siret(p.supplier_siret)
        return {
            "identifiantFactureCPP": inv.identifiant, "numeroFacture": p.number, "statut": inv.statut,
            "numeroFluxDepot": inv.flux.numero, "dateDepot": inv.flux.date_depot.strftime("%Y-%m-%d"),
            "dateFacture": p.issue_date, "montantHT": amount(p.montant_ht), "montantTTC": amount(p.montant_ttc),
            "montantAPayer": amount(p.montant_a_payer), "devise": p.currency or "EUR",
            "typeFacture": p.type_facture, "modeDepot": SYNTAXES[inv.flux.syntaxe].mode_depot,
            "codeFournisseur": p.supplier_siret,
            "designationFournisseur": supplier["raisonSocialeStructure"] if supplier else p.supplier_name,
            "idDestinataire": s["idStructureCPP"] if s else None, "codeDestinataire": p.buyer_siret,
            "designationDestinataire": s["raisonSocialeStructure"] if s else p.buyer_name,
            "idServiceExecutant": service["idService"] if service else None,
            "codeServiceExecutant": p.service_code,
            "nomServiceExecutant": service["libelleService"] if service else None,
            "numeroBonCommande": p.engagement,
            "dateHeureEtatCourant": iso(inv.status_time), "commentaireEtatCourant":
                inv.history[-1]["histoStatutCommentaire"] if inv.history else None,
            "rejetTraite": False,
        }

    def rechercher_fournisseur(self, data):
        pg, err = paging(data.get("rechercheFactureParFournisseur"))
        if err:
            return bad_request(f"rechercheFactureParFournisseur : {err}")
        filters = {}
        for key in ("numeroFluxDepot", "numeroFacture", "typeFacture", "periodeDateDepotDu", "periodeDateDepotAu",
                    "numeroBonCommande"):
            v = data.get(key)
            if v not in (None, ""):
                if not isinstance(v, str):
                    return bad_request(f"Le champ {key} doit être une chaîne")
                if key.startswith("periode") and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
                    return bad_request(f"Le champ {key} doit être une date AAAA-MM-JJ")
                filters[key] = v
        statuts = data.get("statutCourant")
        if isinstance(statuts, str):
            statuts = [statuts]
        with self.emu.lock:
            found = [inv for inv in self._candidates(filters) if self._matches(inv, filters, statuts)]
            if (data.get("rechercheFactureParFournisseur") or {}).get("triSens") == "Descendant":
                found.reverse()
            chunk, retour = page_of(found, *pg)
            return ok({"listeFactures": [self._facture_summary(inv) for inv in chunk], "parametresRetour": retour})

    def _candidates(self, filters):
        """The integrated invoices a search looks at: one flux's when it names one."""
        if "numeroFluxDepot" in filters:
            flux = self.emu.fluxes.get(filters["numeroFluxDepot"])
            return self.emu.fluxes.integrated(flux) if flux is not None else []
        return self.emu.fluxes.integrated()

    @staticmethod
    def _matches(inv, filters, statuts):
        p = inv.parsed
        if ("numeroFacture" in filters and p.number != filters["numeroFacture"]) or \
                ("typeFacture" in filters and p.type_facture != filters["typeFacture"]) or \
                ("numeroBonCommande" in filters and p.engagement != filters["numeroBonCommande"]) or \
                (statuts and inv.statut not in statuts):
            return False
        if "periodeDateDepotDu" in filters or "periodeDateDepotAu" in filters:
            depot = inv.flux.date_depot.strftime("%Y-%m-%d")
            if depot < filters.get("periodeDateDepotDu", depot) or depot > filters.get("periodeDateDepotAu", depot):
                return False
        return True

    def _invoice_from(self, data, key):
        ident = as_int(data.get(key))
        if ident is None:
            return None, bad_request(f"Le champ {key} est obligatoire (entier)")
        inv = self.emu.fluxes.invoice(ident)
        if inv is None:
            return None, business_error(CODE_NOT_FOUND, f"La facture {ident} est introuvable")
        return inv, None

    def consulter_historique(self, data):
        inv, err = self._invoice_from(data, "idFacture")
        if err:
            return err
        pg, perr = paging(data.get("paramRechercheHistoStatuts"))
        if perr:
            return bad_request(f"paramRechercheHistoStatuts : {perr}")
        with self.emu.lock:
            history = [dict(h) for h in inv.history]
            if (data.get("paramRechercheHistoStatuts") or {}).get("triSens") == "Descendant":
                history.reverse()
            chunk, retour = page_of(history, *pg)
            return ok({
                "idFacture": inv.identifiant, "numeroFacture": inv.parsed.number,
                "modeDepot": SYNTAXES[inv.flux.syntaxe].mode_depot, "statutCourantCode": inv.statut,
                "derniereAction": None,
                "historiquesDesStatuts": {
                    "histoStatut": chunk, "nbResultatsParPageHistoStatut": retour["nbResultatsParPage"],
                    "pageCouranteHistoStatut": retour["pageCourante"], "pagesHistoStatut": retour["pages"],
                    "totalHistoStatut": retour["total"]},
                "historiquesDesActionsUtilisateurs": {
                    "histoAction": [], "nbResultatsParPageHistoAction": 10, "pageCouranteHistoAction": 1,
                    "pagesHistoAction": 0, "totalHistoAction": 0},
                "historiquesDesEvenementsComplementaires": {
                    "evenement": [], "nbResultatsParPageEvenement": 10, "pageCouranteEvenement": 1,
                    "pagesEvenement": 0, "totalEvenement": 0},
            })

    def consulter_fournisseur(self, data):
        inv, err = self._invoice_from(data, "identifiantFactureCPP")
        if err:
            return err
        with self.emu.lock:
            f = self._facture_summary(inv)
            p = inv.parsed
            tva = None
            if p.montant_ttc is not None and p.montant_ht is not None:
                tva = amount(p.montant_ttc - p.montant_ht)
            return ok({"facture": {
                "identifiantFactureCPP": inv.identifiant, "numeroFacture": p.number,
                "statutFacture": inv.statut, "modeDepot": f["modeDepot"], "commentaire": None,
                "cadreDeFacturation": {"codeCadreFacturation": CADRES.get(p.cadre or "A1", p.cadre)},
                "destinataire": {"codeDestinataire": p.buyer_siret, "idDestinataire": f["idDestinataire"],
                                 "libelleDestinataire": f["designationDestinataire"],
                                 "codeServiceExecutant": p.service_code,
                                 "idServiceExecutant": f["idServiceExecutant"],
                                 "libelleServiceExecutant": f["nomServiceExecutant"]},
                "fournisseur": {"codeFournisseur": p.supplier_siret, "typeIdentifiantFournisseur": "SIRET",
                                "designationFournisseur": f["designationFournisseur"]},
                "references": {"dateFacture": p.issue_date, "dateDepot": f["dateDepot"],
                               "typeFacture": p.type_facture, "codeDeviseFacture": f["devise"],
                               "numeroBonCommande": p.engagement,
                               "numeroFactureOrigine": p.numero_facture_origine},
                "montantTotal": {"montantHtTotal": f["montantHT"], "montantTVA": tva,
                                 "montantTtcTotal": f["montantTTC"], "montantAPayer": f["montantAPayer"]},
            }})
