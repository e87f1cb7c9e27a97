"""Chorus Pro routes that answer a blocked invoice: completer (SUSPENDUE,
A_COMPLETER -> COMPLETEE) and recycler (A_RECYCLER -> new routing, same number).

The research note names both routes but not their bodies: the field names and
the checks here are our choices, listed in daemon/README.md ("Choices where the
research note says UNCERTAIN")."""

import base64
import binascii
import dataclasses
import hashlib

from .common import (
    CODE_ATTACHMENT_TOO_LARGE, CODE_BAD_ROUTING, CODE_NOT_COMPLETABLE, CODE_NOT_RECYCLABLE,
    MAX_ATTACHMENT_SIZE, MAX_ATTACHMENTS, MAX_COMMENT, MAX_DESIGNATION, bad_request, business_error,
    iso, ok)

COMPLETABLE = ("SUSPENDUE", "A_COMPLETER")
RECYCLED_STATUS = "EN_COURS_ACHEMINEMENT"  # our choice: routed again, then the lifecycle


class CorrectionRoutes:
    """The /cpro/factures/v1/completer and /recycler routes, a part of ChorusApi."""

    @staticmethod
    def _attachment(i, pj):
        """(pdf bytes, summary) or (None, error reply) for one listePiecesJointes entry."""
        where = f"listePiecesJointes[{i}]"
        if not isinstance(pj, dict):
            return None, bad_request(f"{where} doit être un objet")
        name = pj.get("pieceJointeDesignation")
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_DESIGNATION:
            return None, bad_request(f"{where}.pieceJointeDesignation est obligatoire "
                                     f"({MAX_DESIGNATION} caractères au plus)")
        if pj.get("pieceJointeExtension") != "PDF" or pj.get("pieceJointeTypeMime") != "application/pdf":
            return None, bad_request(f"{where} : seules les pièces jointes PDF (pieceJointeExtension PDF, "
                                     "pieceJointeTypeMime application/pdf) sont acceptées")
        try:
            raw = base64.b64decode(pj.get("pieceJointeFichier") or "", validate=True)
        except (binascii.Error, ValueError, TypeError):
            return None, bad_request(f"{where}.pieceJointeFichier n'est pas un base64 valide")
        if len(raw) > MAX_ATTACHMENT_SIZE:
            return None, business_error(CODE_ATTACHMENT_TOO_LARGE,
                                        f"La pièce jointe {name} dépasse la taille maximale de 10 Mo")
        if not raw.startswith(b"%PDF-"):
            return None, bad_request(f"{where} : le fichier {name} n'est pas un PDF")
        return raw, {"pieceJointeDesignation": name, "size": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}

    def completer(self, data):
        inv, err = self._invoice_from(data, "idFacture")
        if err:
            return err
        comment = data.get("commentaire", "")
        if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
            return bad_request(f"Le champ commentaire doit être une chaîne de {MAX_COMMENT} caractères au plus")
        pjs = data.get("listePiecesJointes", [])
        if not isinstance(pjs, list) or len(pjs) > MAX_ATTACHMENTS:
            return bad_request(f"Le champ listePiecesJointes doit être une liste de {MAX_ATTACHMENTS} "
                               "pièces au plus")
        if not comment.strip() and not pjs:
            return bad_request("Une pièce jointe ou un commentaire est obligatoire pour compléter la facture")
        summaries = []
        for i, pj in enumerate(pjs):
            raw, summary = self._attachment(i, pj)
            if raw is None:
                return summary
            summaries.append(summary)
        with self.emu.lock:
            if inv.statut not in COMPLETABLE:
                return business_error(CODE_NOT_COMPLETABLE, f"La facture {inv.parsed.number} est au statut "
                                      f"{inv.statut} : seule une facture SUSPENDUE ou A_COMPLETER se complète")
            self.emu.fluxes.set_status_later(inv, "COMPLETEE", comment, self.emu.config.correction_lag)
            inv.corrections.append({"action": "completer", "commentaire": comment,
                                    "piecesJointes": summaries})
            return ok({"idFacture": inv.identifiant, "numeroFacture": inv.parsed.number,
                       "statutFacture": "COMPLETEE", "dateHeureEtatCourant": iso(inv.status_time)})

    def recycler(self, data):
        inv, err = self._invoice_from(data, "idFacture")
        if err:
            return err
        fields = {}
        for key in ("codeServiceExecutant", "numeroEngagement"):
            v = data.get(key)
            if v is not None and not isinstance(v, str):
                return bad_request(f"Le champ {key} doit être une chaîne")
            fields[key] = (v or "").strip() or None
        if fields["codeServiceExecutant"] is None and fields["numeroEngagement"] is None:
            return bad_request("Le code service ou le numéro d'engagement est obligatoire pour recycler")
        with self.emu.lock:
            if inv.statut != "A_RECYCLER":
                return business_error(CODE_NOT_RECYCLABLE, f"La facture {inv.parsed.number} est au statut "
                                      f"{inv.statut} : seule une facture A_RECYCLER se recycle")
            p = dataclasses.replace(inv.parsed, service_code=fields["codeServiceExecutant"],
                                    engagement=fields["numeroEngagement"])
            errs = self.emu.fluxes.check_routing(p)
            if errs:
                return business_error(CODE_BAD_ROUTING, " ; ".join(errs))
            inv.parsed = p
            self.emu.fluxes.set_status_later(inv, RECYCLED_STATUS, "Facture recyclée par le fournisseur",
                                             self.emu.config.correction_lag)
            inv.corrections.append({"action": "recycler", "codeServiceExecutant": p.service_code,
                                    "numeroEngagement": p.engagement})
            return ok({"idFacture": inv.identifiant, "numeroFacture": p.number, "statutFacture": RECYCLED_STATUS,
                       "dateHeureEtatCourant": iso(inv.status_time)})
