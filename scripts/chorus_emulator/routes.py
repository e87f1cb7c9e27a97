"""Chorus Pro API routes: the gateway checks (Bearer, subscription, cpro-account,
Content-Type, JSON), then the operations of routes_factures and routes_structures."""

import json

from .common import (
    HEALTH_BODY, Reply, TOKEN_PATH, WWW_AUTH_ACCOUNT, WWW_AUTH_INVALID, WWW_AUTH_MISSING,
    bad_request)
from .oauth import OAuthRoutes
from .routes_corrections import CorrectionRoutes
from .routes_factures import FactureRoutes
from .routes_structures import StructureRoutes


class ChorusApi(OAuthRoutes, FactureRoutes, CorrectionRoutes, StructureRoutes):
    """PISTE + Chorus Pro routes: the gateway checks, then the operations."""

    def __init__(self, emu):
        self.emu = emu
        self.routes = {
            ("POST", TOKEN_PATH): self.token,
            ("GET", "/cpro/transverses/v1/health-check"): self.health_check,
            ("POST", "/cpro/factures/v1/deposer/flux"): self.deposer_flux,
            ("POST", "/cpro/transverses/v1/consulterCRDetaille"): self.consulter_cr_detaille,
            ("POST", "/cpro/factures/v1/rechercher/fournisseur"): self.rechercher_fournisseur,
            ("POST", "/cpro/factures/v1/consulter/historique"): self.consulter_historique,
            ("POST", "/cpro/factures/v1/consulter/fournisseur"): self.consulter_fournisseur,
            ("POST", "/cpro/factures/v1/completer"): self.completer,
            ("POST", "/cpro/factures/v1/recycler"): self.recycler,
            ("POST", "/cpro/structures/v1/rechercher"): self.rechercher_structure,
            ("POST", "/cpro/structures/v1/consulter"): self.consulter_structure,
            ("POST", "/cpro/structures/v1/rechercher/services"): self.rechercher_services,
            ("POST", "/cpro/structures/v1/consulter/service"): self.consulter_service,
        }

    def handle(self, method, path, headers, body):
        route = self.routes.get((method, path))
        if route is None:
            return Reply(404)
        if path == TOKEN_PATH:
            return route(headers, body)
        emu = self.emu
        token = emu.bearer_of(headers)
        state = emu.tokens.check(token)
        if state != "valid":
            return Reply(401, None, {"WWW-Authenticate": WWW_AUTH_MISSING if state == "missing" else WWW_AUTH_INVALID})
        if any(path.startswith(p) for p in emu.config.not_subscribed):
            return Reply(403)
        _, account_ok = emu.account_login(headers)
        if not account_ok:
            return Reply(401, None, {"WWW-Authenticate": WWW_AUTH_ACCOUNT})
        if method == "GET":
            return route(None)
        ctype = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json":
            return Reply(415)
        try:
            data = json.loads(body.decode("utf-8")) if body.strip() else {}
        except (UnicodeDecodeError, ValueError) as e:
            return bad_request(f"Requête mal formulée : le corps n'est pas un JSON valide ({e.__class__.__name__})")
        if not isinstance(data, dict):
            return bad_request("Requête mal formulée : le corps doit être un objet JSON")
        return route(data)

    def health_check(self, _data):
        return Reply(200, dict(HEALTH_BODY))
