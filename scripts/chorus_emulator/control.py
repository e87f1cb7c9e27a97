"""The control API (/_emulator/...): the tests' side door."""

import dataclasses
import hmac
import json
import urllib.parse
from datetime import date, timedelta

from .common import FINAL_STATES, PENDING_STATES, RETRAITEMENT, Reply, STATUS_RE, amount, as_int, is_int, iso


class ControlApi:
    """The tests' side door: script faults, move states, read what came in.

    Same port as the API so a test needs one URL; refused (403) without the
    X-Emulator-Token header, so a client under test cannot use it by mistake.
    """

    def __init__(self, emu):
        self.emu = emu
        self.routes = {
            ("POST", "/_emulator/reset"): self.reset,
            ("POST", "/_emulator/config"): self.set_config,
            ("GET", "/_emulator/config"): self.get_config,
            ("POST", "/_emulator/faults"): self.add_fault,
            ("GET", "/_emulator/faults"): self.list_faults,
            ("DELETE", "/_emulator/faults"): self.clear_faults,
            ("POST", "/_emulator/expire-tokens"): self.expire_tokens,
            ("GET", "/_emulator/requests"): self.list_requests,
            ("GET", "/_emulator/fluxes"): self.list_fluxes,
            ("GET", "/_emulator/invoices"): self.list_invoices,
            ("POST", "/_emulator/flux/advance"): self.advance_flux,
            ("POST", "/_emulator/invoice/status"): self.invoice_status,
            ("POST", "/_emulator/structure/password-expiry"): self.password_expiry,
        }

    def handle(self, method, path, query, headers, body):
        if path == "/_emulator/health" and method == "GET":
            return Reply(200, {"status": "ok", "control_api": self.emu.control_token is not None})
        token = self.emu.control_token
        if token is None:
            return Reply(403, {"error": "control API disabled (start with --control-token-file)"})
        given = headers.get("X-Emulator-Token") or ""
        if not hmac.compare_digest(given.encode(), token.encode()):
            return Reply(403, {"error": "missing or wrong X-Emulator-Token"})
        route = self.routes.get((method, path))
        if route is None:
            return Reply(404, {"error": f"no control route {method} {path}"})
        try:
            data = json.loads(body.decode("utf-8")) if body.strip() else {}
        except (UnicodeDecodeError, ValueError):
            return Reply(400, {"error": "body is not valid JSON"})
        if not isinstance(data, dict):
            return Reply(400, {"error": "body must be a JSON object"})
        params = {k: v[-1] for k, v in urllib.parse.parse_qs(query).items()}
        try:
            return route(data, params)
        except ValueError as e:
            return Reply(400, {"error": str(e)})

    def reset(self, _data, _params):
        self.emu.reset()
        return Reply(200, {"reset": True})

    def get_config(self, _data, _params):
        return Reply(200, dataclasses.asdict(self.emu.config))

    def set_config(self, data, _params):
        unknown = set(data) - {"token_lifetime", "auto_advance", "max_flux_size", "not_subscribed",
                               "correction_lag"}
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)}")
        cfg = dataclasses.replace(self.emu.config)
        if "token_lifetime" in data:
            v = data["token_lifetime"]
            if not is_int(v) or v < 1:
                raise ValueError("token_lifetime must be an integer >= 1")
            cfg.token_lifetime = v
        if "auto_advance" in data:
            v = data["auto_advance"]
            if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0:
                raise ValueError("auto_advance must be a number >= 0")
            cfg.auto_advance = float(v)
        if "correction_lag" in data:
            v = data["correction_lag"]
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not 0 <= v <= 3600:
                raise ValueError("correction_lag must be a number of seconds between 0 and 3600")
            cfg.correction_lag = float(v)
        if "max_flux_size" in data:
            v = data["max_flux_size"]
            if not is_int(v) or v < 1:
                raise ValueError("max_flux_size must be an integer >= 1")
            cfg.max_flux_size = v
        if "not_subscribed" in data:
            v = data["not_subscribed"]
            if not isinstance(v, list) or not all(isinstance(p, str) and p.startswith("/") for p in v):
                raise ValueError("not_subscribed must be a list of path prefixes")
            cfg.not_subscribed = list(v)
        with self.emu.lock:
            self.emu.config = cfg
        return Reply(200, dataclasses.asdict(cfg))

    def add_fault(self, data, _params):
        return Reply(200, self.emu.faults.add(data))

    def list_faults(self, _data, _params):
        return Reply(200, {"faults": self.emu.faults.list()})

    def clear_faults(self, _data, _params):
        self.emu.faults.clear()
        return Reply(200, {"faults": []})

    def expire_tokens(self, _data, _params):
        self.emu.tokens.expire_all()
        return Reply(200, {"expired": True})

    def list_requests(self, _data, params):
        return Reply(200, {"requests": self.emu.requests.list(params.get("path"))})

    @staticmethod
    def invoice_json(inv):
        p = inv.parsed
        return {"numeroFacture": p.number, "identifiantFactureCPP": inv.identifiant,
                "numeroFluxDepot": inv.flux.numero, "file_name": p.file_name, "syntax": p.syntax,
                "supplier_siret": p.supplier_siret, "buyer_siret": p.buyer_siret,
                "service_code": p.service_code, "engagement": p.engagement, "cadre": p.cadre,
                "typeFacture": p.type_facture, "dateFacture": p.issue_date,
                "numeroFactureOrigine": p.numero_facture_origine,
                "montantHT": amount(p.montant_ht), "montantTTC": amount(p.montant_ttc),
                "montantAPayer": amount(p.montant_a_payer), "integrated": inv.identifiant is not None,
                "rejection": inv.rejection, "statut": inv.statut, "history": [dict(h) for h in inv.history],
                "corrections": [dict(c) for c in inv.corrections]}

    def flux_json(self, f):
        return {"numeroFluxDepot": f.numero, "syntaxeFlux": f.syntaxe, "nomFichier": f.nom_fichier,
                "codeInterfaceDepotFlux": f.code_interface,
                "dateDepot": f.date_depot.strftime("%Y-%m-%d"), "dateDepotFlux": iso(f.date_depot),
                "size": f.size, "sha256": f.sha256, "etat": f.etat,
                "dateHeureEtatCourantFlux": iso(f.etat_time),
                "listeErreurTechnique": [dict(e) for e in f.liste_tech],
                "listeErreurDP": [dict(e) for e in f.liste_dp],
                "invoices": [self.invoice_json(inv) for inv in f.invoices]}

    def list_fluxes(self, _data, _params):
        with self.emu.lock:
            return Reply(200, {"fluxes": [self.flux_json(f) for f in self.emu.fluxes.fluxes.values()]})

    def list_invoices(self, _data, params):
        number = params.get("numeroFacture")
        with self.emu.lock:
            return Reply(200, {"invoices": [self.invoice_json(inv) for inv in self.emu.fluxes.all_invoices()
                                            if number is None or inv.parsed.number == number]})

    def advance_flux(self, data, _params):
        unknown = set(data) - {"numeroFluxDepot", "to", "steps", "force", "listeErreurTechnique", "listeErreurDP"}
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)}")
        to, steps, force = data.get("to"), data.get("steps"), data.get("force", False)
        if to is not None and to not in PENDING_STATES + [RETRAITEMENT] + FINAL_STATES:
            raise ValueError(f"unknown flux state {to!r}")
        if steps is not None and (not is_int(steps) or steps < 1):
            raise ValueError("steps must be an integer >= 1")
        if to is not None and steps is not None:
            raise ValueError("give either to or steps, not both")
        if not isinstance(force, bool):
            raise ValueError("force must be a boolean")
        lists = {}
        for key in ("listeErreurTechnique", "listeErreurDP"):
            v = data.get(key)
            if v is not None and (not isinstance(v, list) or not all(isinstance(e, dict) for e in v)):
                raise ValueError(f"{key} must be a list of objects")
            lists[key] = v
        with self.emu.lock:
            numero = data.get("numeroFluxDepot")
            if numero is not None:
                flux = self.emu.fluxes.get(numero)
                if flux is None:
                    return Reply(404, {"error": f"no flux {numero}"})
                if flux.terminal:
                    return Reply(409, {"error": f"flux {numero} is already in the final state {flux.etat}"})
                targets = [flux]
            else:
                targets = [f for f in self.emu.fluxes.fluxes.values() if not f.terminal]
            for flux in targets:
                self.emu.fluxes.advance(flux, to=to, steps=steps, force=force,
                                        tech=lists["listeErreurTechnique"], dp=lists["listeErreurDP"])
            return Reply(200, {"fluxes": [self.flux_json(f) for f in targets]})

    def password_expiry(self, data, _params):
        """dateExpirationMotPasseCompteTech of a structure (by SIRET, default the
        supplier with a technical account): {"days": N} from today, {"date":
        "YYYY-MM-DD"}, or {"date": null} to report none."""
        unknown = set(data) - {"identifiantStructure", "days", "date"}
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)}")
        if ("days" in data) == ("date" in data):
            raise ValueError("give either days or date")
        if "days" in data:
            if not is_int(data["days"]):
                raise ValueError("days must be an integer")
            day = (date.today() + timedelta(days=data["days"])).isoformat()
        elif data["date"] is None:
            day = None
        else:
            try:
                day = date.fromisoformat(data["date"]).isoformat()
            except (TypeError, ValueError):
                raise ValueError("date must be YYYY-MM-DD or null") from None
        value = f"{day}T00:00:00.000+01:00" if day else None
        with self.emu.lock:
            siret = data.get("identifiantStructure")
            if siret is not None:
                s = self.emu.structures.by_identifiant.get(siret)
            else:
                s = next((x for x in self.emu.structures.by_id.values()
                          if "dateExpirationMotPasseCompteTech" in x), None)
            if s is None:
                return Reply(404, {"error": "no such structure"})
            s["dateExpirationMotPasseCompteTech"] = value
            return Reply(200, {"identifiantStructure": s["identifiantStructure"],
                               "dateExpirationMotPasseCompteTech": value})

    def invoice_status(self, data, _params):
        unknown = set(data) - {"numeroFacture", "identifiantFactureCPP", "statut", "steps", "commentaire"}
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)}")
        statut, steps, comment = data.get("statut"), data.get("steps"), data.get("commentaire", "")
        if (statut is None) == (steps is None):
            raise ValueError("give either statut or steps")
        if statut is not None and (not isinstance(statut, str) or not STATUS_RE.fullmatch(statut)):
            raise ValueError("statut must be a status code such as MISE_EN_PAIEMENT")
        if steps is not None and (not is_int(steps) or steps < 1):
            raise ValueError("steps must be an integer >= 1")
        if not isinstance(comment, str):
            raise ValueError("commentaire must be a string")
        with self.emu.lock:
            if "identifiantFactureCPP" in data:
                ident = as_int(data["identifiantFactureCPP"])
                inv = self.emu.fluxes.invoice(ident) if ident is not None else None
                found = [inv] if inv else []
            elif isinstance(data.get("numeroFacture"), str):
                found = [i for i in self.emu.fluxes.integrated() if i.parsed.number == data["numeroFacture"]]
            else:
                raise ValueError("give numeroFacture or identifiantFactureCPP")
            if not found:
                return Reply(404, {"error": "no integrated invoice matches"})
            if len(found) > 1:
                return Reply(409, {"error": "several integrated invoices have that number: "
                                            "use identifiantFactureCPP"})
            inv = found[0]
            if statut is not None:
                self.emu.fluxes.set_status(inv, statut, comment)
            else:
                for _ in range(steps):
                    if not self.emu.fluxes.step_invoice(inv):
                        break
            return Reply(200, self.invoice_json(inv))
