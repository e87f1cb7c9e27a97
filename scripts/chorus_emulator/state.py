"""Fluxes and their invoices: the flux state machine and the invoice checks."""

import dataclasses
import datetime as dt
import hashlib
import time

from .common import (
    CADRE_RE, FINAL_STATES, FIRST_INVOICE_ID, LIFECYCLE, PENDING_STATES, PUBLIC_INVOICES_SERVICE,
    RETRAITEMENT, Rejected, SYNTAXES, now_local)
from .invoices import ParsedInvoice
from .structures import Structures


@dataclasses.dataclass(eq=False)
class InvoiceRecord:
    """One invoice of a flux: parsed at deposit, integrated or rejected later."""

    parsed: ParsedInvoice
    flux: "Flux"
    identifiant: int | None = None
    statut: str | None = None
    history: list = dataclasses.field(default_factory=list)
    rejection: str | None = None
    status_time: dt.datetime | None = None
    last_change: float = 0.0  # monotonic, for --auto-advance
    corrections: list = dataclasses.field(default_factory=list)  # completer / recycler calls
    lagging: tuple | None = None  # (monotonic due, status, comment): "correction_lag"


@dataclasses.dataclass(eq=False)
class Flux:
    numero: str
    syntaxe: str
    interface: str
    nom_fichier: str
    date_depot: dt.datetime
    size: int
    sha256: str
    etat: str
    etat_time: dt.datetime
    last_change: float
    technical: list  # errors found when parsing
    invoices: list
    injected_tech: list = dataclasses.field(default_factory=list)
    injected_dp: list = dataclasses.field(default_factory=list)
    liste_tech: list = dataclasses.field(default_factory=list)
    liste_dp: list = dataclasses.field(default_factory=list)
    hold_until: float | None = None  # monotonic: "integrate_after" fault

    @property
    def code_interface(self):
        return f"FSO{self.interface}A"

    @property
    def terminal(self):
        return self.etat in FINAL_STATES


class FluxStore:
    """Deposited fluxes, their state machine, and the invoices they create.

    Invoice checks run when a flux reaches its final state (not at deposit)
    so that "already integrated" means what it means on the platform.  Flux
    and invoice numbering survive /_emulator/reset, so a number a client
    kept from before a reset is never handed out again.
    """

    def __init__(self, lock, structures, supplier_siret):
        self._lock = lock
        self.structures = structures
        self.supplier_siret = supplier_siret
        self.fluxes = {}
        self._clear_indexes()
        self._flux_seq = 0
        self._invoice_seq = FIRST_INVOICE_ID - 1
        self._histo_seq = 0

    def _clear_indexes(self):
        # Kept beside self.fluxes so that no request or tick walks every
        # flux: with 10 000 fluxes (scripts/bench) a walk per request made
        # each search take 0.1–0.8 s.
        self._by_ident = {}  # identifiant -> InvoiceRecord
        self._integrated = []  # InvoiceRecords, in identifiant order
        self._taken = set()  # (supplier SIRET, number) of the integrated invoices
        self._held = set()  # fluxes with hold_until
        self._lagging = set()  # invoices with a lagging status change

    def clear(self):
        with self._lock:
            self.fluxes.clear()
            self._clear_indexes()

    # -- deposit
    def create(self, syntaxe, nom_fichier, data, invoices, technical):
        with self._lock:
            self._flux_seq += 1
            syntax = SYNTAXES[syntaxe]
            t = now_local()
            flux = Flux(
                numero=f"CPP001{syntax.interface}{self._flux_seq:015d}", syntaxe=syntaxe,
                interface=syntax.interface, nom_fichier=nom_fichier, date_depot=t,
                size=len(data), sha256=hashlib.sha256(data).hexdigest(), etat=PENDING_STATES[0],
                etat_time=t, last_change=time.monotonic(), technical=technical, invoices=[])
            flux.invoices = [InvoiceRecord(parsed=p, flux=flux) for p in invoices]
            self.fluxes[flux.numero] = flux
            return flux

    def get(self, numero):
        with self._lock:
            return self.fluxes.get(numero)

    # -- state machine
    def _set_etat(self, flux, etat):
        flux.etat = etat
        flux.etat_time = now_local()
        flux.last_change = time.monotonic()

    def step(self, flux):
        """One move along the pending states; past the last one, finalize."""
        with self._lock:
            if flux.terminal:
                return
            if flux.etat == RETRAITEMENT:
                self._set_etat(flux, PENDING_STATES[-1])
            elif flux.etat == PENDING_STATES[-1]:
                self.finalize(flux)
            else:
                self._set_etat(flux, PENDING_STATES[PENDING_STATES.index(flux.etat) + 1])

    def advance(self, flux, to=None, steps=None, force=False, tech=None, dp=None):
        with self._lock:
            if tech:
                flux.injected_tech.extend(tech)
            if dp:
                flux.injected_dp.extend(dp)
            if to in PENDING_STATES or to == RETRAITEMENT:
                self._set_etat(flux, to)
            elif to is not None:
                self.finalize(flux, to, force)
            elif steps is not None:
                for _ in range(steps):
                    if flux.terminal:
                        break
                    self.step(flux)
            else:
                self.finalize(flux)

    def finalize(self, flux, to=None, force=False):
        """Decide the final state.  Without force the checks decide between
        IN_INTEGRE, IN_INTEGRE_PARTIEL and IN_REJETE; to=IN_REJETE or
        IN_INCIDENTE are always obeyed; force=True imposes "to" as is."""
        with self._lock:
            if to == "IN_INCIDENTE":
                self._set_etat(flux, to)
                return
            tech = flux.technical + flux.injected_tech
            injected = {e.get("numeroDP"): e for e in flux.injected_dp}
            numbers = {inv.parsed.number for inv in flux.invoices}
            flux.liste_tech = list(tech)
            flux.liste_dp = [e for e in flux.injected_dp if e.get("numeroDP") not in numbers]
            taken = self._integrated_numbers()
            irrecevable = to == "IN_REJETE" or (tech and not (force and to in ("IN_INTEGRE", "IN_INTEGRE_PARTIEL")))
            good = 0
            for inv in flux.invoices:
                p = inv.parsed
                if force and to == "IN_INTEGRE":
                    reason = None
                elif p.number in injected:
                    reason = injected[p.number].get("libelleErreurDP") or "Erreur injectée par le test"
                else:
                    reason = self.check(p, taken)
                if reason is not None:
                    inv.rejection = reason
                    flux.liste_dp.append({"numeroDP": p.number, "identifiantFournisseur": p.supplier_siret,
                                          "identifiantDestinataire": p.buyer_siret, "libelleErreurDP": reason})
                elif irrecevable:
                    inv.rejection = tech[0]["libelleErreur"] if tech else "Rejet demandé par le test"
                else:
                    self._integrate(inv)
                    taken.add((p.supplier_siret, p.number))
                    good += 1
            if force and to in FINAL_STATES:
                etat = to
            elif irrecevable or good == 0:
                etat = "IN_REJETE"
            elif good < len(flux.invoices):
                etat = "IN_INTEGRE_PARTIEL"
            else:
                etat = "IN_INTEGRE"
            if etat == "IN_REJETE" and not flux.liste_tech and not flux.liste_dp:
                flux.liste_tech = [Rejected("IRRECEVABILITE: rejet demandé par le test").error]
            self._set_etat(flux, etat)

    def _integrated_numbers(self):
        return set(self._taken)

    def check(self, p, taken):
        """The per-invoice checks; a libelleErreurDP, or None when it passes."""
        errs = []
        if not p.supplier_siret:
            errs.append("Fournisseur : l'identifiant du fournisseur (SIRET) est obligatoire")
        elif p.supplier_siret != self.supplier_siret:
            errs.append(f"Fournisseur : l'identifiant fournisseur {p.supplier_siret} n'est pas référencé "
                        "pour le compte technique qui dépose le flux")
        if len(p.number) > 20:
            errs.append(f"Le numéro de facture {p.number} dépasse 20 caractères")
        if p.cadre and not CADRE_RE.fullmatch(p.cadre):
            errs.append(f"Cadre de facturation invalide : {p.cadre} (A1 à A25 attendu)")
        if p.engagement and len(p.engagement) > 50:
            errs.append("Le numéro d'engagement dépasse 50 caractères")
        errs.extend(self._check_buyer(p))
        errs.extend(self._check_credit_note(p, taken))
        if (p.supplier_siret, p.number) in taken:
            errs.append(f"La facture numéro {p.number} a déjà été déposée par ce fournisseur "
                        "(numéro de facture déjà utilisé)")
        return " ; ".join(errs) or None

    @staticmethod
    def _check_credit_note(p, taken):
        # Our choice (chorus-pro-api.md says nothing of it for a flux): an
        # AVOIR must name the invoice it cancels (BT-25), one this supplier
        # has on Chorus Pro, as the portal's numeroFactureOrigine does.
        if p.type_facture != "AVOIR":
            return []
        if not p.numero_facture_origine:
            return ["Avoir : le numéro de la facture d'origine est obligatoire"]
        if (p.supplier_siret, p.numero_facture_origine) not in taken:
            return [f"Avoir : la facture d'origine {p.numero_facture_origine} n'est pas connue de Chorus Pro "
                    "pour ce fournisseur"]
        return []

    def check_routing(self, p):
        """The buyer checks alone, for recycler (the number stays taken)."""
        errs = self._check_buyer(p)
        if p.engagement and len(p.engagement) > 50:
            errs.append("Le numéro d'engagement dépasse 50 caractères")
        return errs

    def _check_buyer(self, p):
        if not p.buyer_siret:
            return ["Destinataire : l'identifiant du destinataire (SIRET) est obligatoire"]
        s = self.structures.by_siret(p.buyer_siret)
        if s is None:
            return [f"Destinataire : l'identifiant destinataire {p.buyer_siret} n'est pas référencé dans Chorus Pro"]
        if s["statut"] != "ACTIVE":
            return [f"Destinataire : la structure destinataire {p.buyer_siret} n'est pas active"]
        errs, prm = [], s["parametres"]
        if prm["gestionNumeroEJOuCodeService"]:
            if not p.service_code and not p.engagement:
                errs.append(f"Destinataire : le code service ou le numéro d'engagement doit être renseigné "
                            f"pour la structure {p.buyer_siret}")
        else:
            if prm["codeServiceDoitEtreRenseigne"] and not p.service_code:
                errs.append(f"Destinataire : le code service est obligatoire pour la structure {p.buyer_siret}")
            if prm["numeroEJDoitEtreRenseigne"] and not p.engagement:
                errs.append(f"Destinataire : le numéro d'engagement est obligatoire pour la structure "
                            f"{p.buyer_siret}")
        if p.service_code:
            v = Structures.service(s, code=p.service_code)
            if v is None:
                errs.append(f"Destinataire : le service {p.service_code} n'existe pas pour la structure "
                            f"{p.buyer_siret}")
            elif not v["estActif"]:
                errs.append(f"Destinataire : le service {p.service_code} de la structure {p.buyer_siret} "
                            "n'est pas actif")
            elif p.service_code == PUBLIC_INVOICES_SERVICE:
                errs.append(f"Destinataire : le service {PUBLIC_INVOICES_SERVICE} de la structure "
                            f"{p.buyer_siret} est réservé aux factures entre entités publiques")
            elif v["numeroEngagement"] and not p.engagement:
                errs.append(f"Destinataire : le numéro d'engagement est obligatoire pour le service "
                            f"{p.service_code} de la structure {p.buyer_siret}")
        return errs

    # -- invoices
    def _integrate(self, inv):
        self._invoice_seq += 1
        inv.identifiant = self._invoice_seq
        inv.rejection = None
        self._by_ident[inv.identifiant] = inv
        self._integrated.append(inv)
        self._taken.add((inv.parsed.supplier_siret, inv.parsed.number))
        self._append_status(inv, "DEPOSEE", "")

    def _append_status(self, inv, code, commentaire):
        self._histo_seq += 1
        t = now_local()
        inv.statut, inv.status_time, inv.last_change = code, t, time.monotonic()
        inv.history.append({"histoStatutId": self._histo_seq, "histoStatutCode": code,
                            "histoStatutDatePassage": t.strftime("%Y-%m-%d %H:%M"),
                            "histoStatutCommentaire": commentaire})

    def set_status(self, inv, code, commentaire=""):
        with self._lock:
            self._append_status(inv, code, commentaire)

    def step_invoice(self, inv):
        """One move along the main lifecycle; False when there is none."""
        with self._lock:
            if inv.statut == "COMPLETEE":
                # Our choice: a completed invoice goes back to the buyer.
                self._append_status(inv, "MISE_A_DISPOSITION", "")
                return True
            if inv.statut not in LIFECYCLE[:-1]:
                return False
            self._append_status(inv, LIFECYCLE[LIFECYCLE.index(inv.statut) + 1], "")
            return True

    def all_invoices(self):
        with self._lock:
            return [inv for f in self.fluxes.values() for inv in f.invoices]

    def integrated(self, flux=None):
        """The integrated invoices in identifiant order, all or one flux's."""
        with self._lock:
            if flux is not None:
                return sorted((inv for inv in flux.invoices if inv.identifiant is not None),
                              key=lambda inv: inv.identifiant)
            return list(self._integrated)

    def invoice(self, identifiant):
        with self._lock:
            return self._by_ident.get(identifiant)

    def hold(self, numero, seconds):
        """The "integrate_after" fault: the flux waits, then finalizes alone."""
        with self._lock:
            flux = self.fluxes.get(numero)
            if flux is not None and not flux.terminal:
                flux.hold_until = time.monotonic() + seconds
                self._held.add(flux)

    def release_held(self):
        """Finalizes the held fluxes whose time has come (every tick)."""
        with self._lock:
            now = time.monotonic()
            for flux in list(self._held):
                if flux.hold_until is None or now >= flux.hold_until:
                    self._held.discard(flux)
                if flux.hold_until is not None and now >= flux.hold_until:
                    flux.hold_until = None
                    if not flux.terminal:
                        self.finalize(flux)

    def set_status_later(self, inv, code, commentaire, lag):
        """The "correction_lag" config: the call is taken now, the status moves
        (history, consulter) only `lag` seconds later, as a platform that lags."""
        with self._lock:
            if lag <= 0:
                self._append_status(inv, code, commentaire)
            else:
                inv.lagging = (time.monotonic() + lag, code, commentaire)
                self._lagging.add(inv)

    def release_lagging(self):
        """Applies the lagging status changes whose time has come (every tick)."""
        with self._lock:
            now = time.monotonic()
            for inv in list(self._lagging):
                if inv.lagging is None:
                    self._lagging.discard(inv)
                elif now >= inv.lagging[0]:
                    _, code, commentaire = inv.lagging
                    inv.lagging = None
                    self._lagging.discard(inv)
                    self._append_status(inv, code, commentaire)

    def auto_step(self, pace):
        """--auto-advance: everything whose last move is older than pace moves."""
        with self._lock:
            now = time.monotonic()
            for flux in list(self.fluxes.values()):
                if flux.hold_until is not None:
                    continue
                if not flux.terminal and now - flux.last_change >= pace:
                    self.step(flux)
                for inv in flux.invoices:
                    if inv.identifiant is not None and now - inv.last_change >= pace:
                        self.step_invoice(inv)
