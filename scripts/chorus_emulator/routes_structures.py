"""Chorus Pro routes of the buyers' directory (/cpro/structures)."""

from .common import CODE_NOT_FOUND, as_int, bad_request, business_error, ok, page_of, paging
from .structures import Structures


class StructureRoutes:
    """The /cpro/structures routes, a part of ChorusApi."""

    def rechercher_structure(self, data):
        criteria = data.get("structure") or {}
        if not isinstance(criteria, dict):
            return bad_request("Le champ structure doit être un objet")
        pg, err = paging(data.get("parametres"))
        if err:
            return bad_request(f"parametres : {err}")
        chunk, retour = page_of(self.emu.structures.search(criteria), *pg)
        return ok({"listeStructures": [{
            "idStructureCPP": s["idStructureCPP"], "identifiantStructure": s["identifiantStructure"],
            "designationStructure": s["raisonSocialeStructure"],
            "typeIdentifiantStructure": s["typeIdentifiantStructure"], "statut": s["statut"]} for s in chunk],
            "parametresRetour": retour})

    def _structure_from(self, data, key):
        ident = as_int(data.get(key))
        if ident is None:
            return None, bad_request(f"Le champ {key} est obligatoire (entier)")
        s = self.emu.structures.get(ident)
        if s is None:
            return None, business_error(CODE_NOT_FOUND, f"La structure {ident} est introuvable")
        return s, None

    def consulter_structure(self, data):
        s, err = self._structure_from(data, "idStructureCPP")
        if err:
            return err
        info = {k: s.get(k) for k in ("idStructureCPP", "identifiantStructure", "typeIdentifiantStructure",
                                      "raisonSocialeStructure", "libelleStructure", "numeroTVA",
                                      "emailStructure", "structurePriveePublique")}
        info["dateExpirationMotPasseCompteTech"] = s.get("dateExpirationMotPasseCompteTech")
        return ok({"informationGenerales": info, "adressePostaleDuSiege": s.get("adressePostaleDuSiege"),
                   "parametres": dict(s["parametres"])})

    def rechercher_services(self, data):
        s, err = self._structure_from(data, "idStructure")
        if err:
            return err
        pg, perr = paging(data.get("parametresRechercherServicesStructure"))
        if perr:
            return bad_request(f"parametresRechercherServicesStructure : {perr}")
        chunk, retour = page_of(s["services"], *pg)
        return ok({"listeServices": [{
            "idService": v["idService"], "codeService": v["codeService"], "libelleService": v["libelleService"],
            "estActif": v["estActif"], "statutService": "ACTIF" if v["estActif"] else "INACTIF",
            "dateDbtService": v["dateDebutValidite"], "dateFinService": v["dateFinValidite"]} for v in chunk],
            "parametresRetour": retour})

    def consulter_service(self, data):
        s, err = self._structure_from(data, "idStructure")
        if err:
            return err
        id_service = as_int(data.get("idService"))
        if id_service is None:
            return bad_request("Le champ idService est obligatoire (entier)")
        v = Structures.service(s, id_service=id_service)
        if v is None:
            return business_error(CODE_NOT_FOUND, f"Le service {id_service} n'existe pas pour la structure "
                                                  f"{s['idStructureCPP']}")
        return ok({
            "informationsGenerales": {"codeService": v["codeService"], "nomService": v["libelleService"],
                                      "descriptionService": v["descriptionService"]},
            "parametres": {"numeroEngagement": v["numeroEngagement"], "miseEnPaiement": v["miseEnPaiement"],
                           "dateDebutValidite": v["dateDebutValidite"], "dateFinValidite": v["dateFinValidite"],
                           "dateCreation": None, "dateModification": None},
            "adressePostale": s.get("adressePostaleDuSiege"),
        })
