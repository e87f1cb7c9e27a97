"""The buyers' directory: the structures fixtures (tests/data/structures)."""

import json
from pathlib import Path

from .common import StartupError, is_int, valid_siret


class Structures:
    """The buyers' directory (Chorus Pro « annuaire »), read-only fixtures.

    One JSON file per structure, keys named as the API names them (see
    tests/data/structures/README.md).  Invalid fixtures stop the start: a
    test oracle must not run on data it misreads.
    """

    PARAMS = ("codeServiceDoitEtreRenseigne", "numeroEJDoitEtreRenseigne",
              "gestionNumeroEJOuCodeService", "estMoaUniquement", "connexionEDI",
              "recevoirDonneesViaEDI", "statutMiseEnPaiementNestPasRemonte",
              "nonDiffusibleInsee", "estValideurDelegue", "getaMoa")
    STRUCTURE_KEYS = {"idStructureCPP", "identifiantStructure", "typeIdentifiantStructure",
                      "raisonSocialeStructure", "libelleStructure", "statut",
                      "structurePriveePublique", "numeroTVA", "emailStructure",
                      "dateExpirationMotPasseCompteTech", "adressePostaleDuSiege",
                      "parametres", "services", "_comment"}
    SERVICE_KEYS = {"idService", "codeService", "libelleService", "descriptionService", "estActif",
                    "numeroEngagement", "miseEnPaiement", "dateDebutValidite",
                    "dateFinValidite", "_comment"}

    def __init__(self, structures):
        self.items = structures
        self.by_id = {s["idStructureCPP"]: s for s in structures}
        self.by_identifiant = {s["identifiantStructure"]: s for s in structures}

    @classmethod
    def load(cls, directory):
        d = Path(directory)
        if not d.is_dir():
            raise StartupError(f"structures directory {d} does not exist")
        items = []
        for f in sorted(d.glob("*.json")):
            try:
                data = json.loads(f.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
                raise StartupError(f"{f}: cannot read fixture: {e}")
            items.append(cls._validate(f, data))
        if not items:
            raise StartupError(f"{d}: no structure fixture (*.json)")
        ids = [s["idStructureCPP"] for s in items]
        idents = [s["identifiantStructure"] for s in items]
        svc_ids = [v["idService"] for s in items for v in s["services"]]
        for what, values in (("idStructureCPP", ids), ("identifiantStructure", idents), ("idService", svc_ids)):
            dup = {v for v in values if values.count(v) > 1}
            if dup:
                raise StartupError(f"{d}: duplicate {what}: {sorted(dup)}")
        return cls(items)

    @classmethod
    def _validate(cls, f, s):
        def fail(msg):
            raise StartupError(f"{f}: {msg}")

        if not isinstance(s, dict):
            fail("a structure fixture is a JSON object")
        unknown = set(s) - cls.STRUCTURE_KEYS
        if unknown:
            fail(f"unknown keys {sorted(unknown)}")
        if not is_int(s.get("idStructureCPP")) or s["idStructureCPP"] <= 0:
            fail("idStructureCPP must be a positive integer")
        s.setdefault("typeIdentifiantStructure", "SIRET")
        ident = s.get("identifiantStructure")
        if not isinstance(ident, str) or not ident:
            fail("identifiantStructure is required")
        if s["typeIdentifiantStructure"] == "SIRET" and not valid_siret(ident):
            fail(f"identifiantStructure {ident!r} is not a SIRET (14 digits, Luhn)")
        if not isinstance(s.get("raisonSocialeStructure"), str):
            fail("raisonSocialeStructure is required")
        s.setdefault("libelleStructure", s["raisonSocialeStructure"])
        s.setdefault("statut", "ACTIVE")
        if s["statut"] not in ("ACTIVE", "INACTIVE"):
            fail("statut must be ACTIVE or INACTIVE")
        s.setdefault("structurePriveePublique", "PUBLIQUE")
        if s["structurePriveePublique"] not in ("PUBLIQUE", "PRIVEE"):
            fail("structurePriveePublique must be PUBLIQUE or PRIVEE")
        params = s.setdefault("parametres", {})
        if not isinstance(params, dict) or set(params) - set(cls.PARAMS):
            fail(f"parametres: only the booleans {', '.join(cls.PARAMS)}")
        for k in cls.PARAMS:
            params.setdefault(k, False)
            if not isinstance(params[k], bool):
                fail(f"parametres.{k} must be a boolean")
        services = s.setdefault("services", [])
        if not isinstance(services, list):
            fail("services must be a list")
        codes = set()
        for i, v in enumerate(services):
            where = f"services[{i}]"
            if not isinstance(v, dict) or set(v) - cls.SERVICE_KEYS:
                fail(f"{where}: an object with the keys {sorted(cls.SERVICE_KEYS)}")
            if not is_int(v.get("idService")):
                fail(f"{where}.idService must be an integer")
            if not isinstance(v.get("codeService"), str) or not v["codeService"]:
                fail(f"{where}.codeService is required")
            if v["codeService"] in codes:
                fail(f"{where}: duplicate codeService {v['codeService']}")
            codes.add(v["codeService"])
            v.setdefault("libelleService", v["codeService"])
            v.setdefault("descriptionService", v["libelleService"])
            for k, default in (("estActif", True), ("numeroEngagement", False), ("miseEnPaiement", True)):
                v.setdefault(k, default)
                if not isinstance(v[k], bool):
                    fail(f"{where}.{k} must be a boolean")
            v.setdefault("dateDebutValidite", None)
            v.setdefault("dateFinValidite", None)
        return s

    def get(self, id_structure):
        return self.by_id.get(id_structure)

    def by_siret(self, siret):
        return self.by_identifiant.get(siret)

    @staticmethod
    def service(structure, code=None, id_service=None):
        for v in structure["services"]:
            if (code is not None and v["codeService"] == code) or \
                    (id_service is not None and v["idService"] == id_service):
                return v
        return None

    def search(self, criteria):
        """rechercherStructure: exact identifiers, case-insensitive names."""
        out = []
        for s in self.items:
            ident = criteria.get("identifiantStructure")
            if ident and ident != s["identifiantStructure"]:
                continue
            typ = criteria.get("typeIdentifiantStructure")
            if typ and typ != s["typeIdentifiantStructure"]:
                continue
            statut = criteria.get("statutStructure")
            if statut and {"ACTIF": "ACTIVE", "INACTIF": "INACTIVE"}.get(statut, statut) != s["statut"]:
                continue
            kind = criteria.get("typeStructure")
            if kind and kind != s["structurePriveePublique"]:
                continue
            matched = True
            for key, field in (("raisonSocialeStructure", "raisonSocialeStructure"),
                               ("libelleStructure", "libelleStructure"),
                               ("nomStructure", "raisonSocialeStructure")):
                want = criteria.get(key)
                if want and str(want).casefold() not in s[field].casefold():
                    matched = False
            if matched:
                out.append(s)
        return out
