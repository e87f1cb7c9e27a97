"""Constants of the API and helpers shared by every module: time stamps,
SIRET checks, amounts, JSON integers, secret files, and the Reply type."""

import dataclasses
import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path

try:
    from zoneinfo import ZoneInfo

    PARIS = ZoneInfo("Europe/Paris")
except Exception:  # no tz database: fall back to the machine's local time
    PARIS = None


TOKEN_PATH = "/api/oauth/token"
OK_LIBELLE = "TRA_MSG_00.000"
HEALTH_BODY = {
    "body": "L'API CPRO est actuellement disponible et fonctionnel.",
    "statusCodeValue": 200,
    "statusCode": "OK",
}
# codeRetour values.  20001/GDP_MSG_11.022 is the only one a source gives
# (file too large, OMNI); the other two are emulator choices (see docs).
CODE_BAD_REQUEST = 20000
CODE_TOO_LARGE = 20001
LIBELLE_TOO_LARGE = "GDP_MSG_11.022"
CODE_NOT_FOUND = 20002
# completer / recycler: 20003 (attachment over 10 MB) is PYF's reading of the
# annex and 20004..20014 are "recyclerFacture errors" (V4.10 changelog); which
# number means what inside that range is our choice (daemon/README.md).
CODE_ATTACHMENT_TOO_LARGE = 20003
CODE_NOT_RECYCLABLE = 20004
CODE_BAD_ROUTING = 20005
CODE_NOT_COMPLETABLE = 20015
MAX_ATTACHMENT_SIZE = 10 * 1024 * 1024
MAX_ATTACHMENTS = 10
MAX_COMMENT = 2000
MAX_DESIGNATION = 100
# Listed by every structure, but invoices sent to it are rejected (§3.7:
# it only takes invoices between public entities).
PUBLIC_INVOICES_SERVICE = "FACTURES_PUBLIQUES"

WWW_AUTH_MISSING = 'Bearer realm="PISTE"'
WWW_AUTH_INVALID = 'Bearer realm="PISTE",error="invalid_token",error_description="access token expired or unknown"'
WWW_AUTH_ACCOUNT = 'Bearer realm="PISTE",error="Unauthorized",error_description="login or password incorrects"'


@dataclasses.dataclass(frozen=True)
class Syntax:
    kind: str | None  # "ubl", "cii", "facturx"; None: accepted but not modelled
    interface: str  # 4-digit interface code of numeroFluxDepot / FSO....A
    mode_depot: str


# The 13 values of the Swagger enum (chorus-pro-api.md §4.1).
SYNTAXES = {
    "IN_DP_E1_UBL_INVOICE": Syntax("ubl", "1100", "EDI_XML_STRUCT"),
    "IN_DP_E1_CII_16B": Syntax("cii", "1106", "EDI_XML_STRUCT"),
    "IN_DP_E2_CII_FACTURX": Syntax("facturx", "1117", "EDI_MIXTE"),
    "IN_DP_E2_UBL_INVOICE_MIN": Syntax("ubl", "1110", "EDI_MIXTE"),
    "IN_DP_E2_CII_MIN_16B": Syntax("cii", "1110", "EDI_MIXTE"),
    "IN_DP_E2_CPP_FACTURE_MIN": Syntax(None, "1110", "EDI_MIXTE"),
    "IN_DP_E1_CII": Syntax(None, "1110", "EDI_XML_STRUCT"),
    "IN_DP_E2_CII_MIN": Syntax(None, "1110", "EDI_MIXTE"),
    "IN_DP_E1_PES_FACTURE": Syntax(None, "1110", "EDI_XML_STRUCT"),
    "IN_DP_E2_PES_FACTURE_MIN": Syntax(None, "1110", "EDI_MIXTE"),
    "IN_DP_E1_XCBL": Syntax(None, "1110", "EDI_XML_STRUCT"),
    "IN_DP_PDFARCHIVE_UBL_INVOICE_MUG": Syntax(None, "1110", "EDI_PDF_ARCHIVE"),
    "IN_DP_PDFARCHIVE_CII_MUG": Syntax(None, "1110", "EDI_PDF_ARCHIVE"),
}

PENDING_STATES = [
    "IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP",
    "IN_RECU",
    "IN_TRAITE_SE_CPP",
    "IN_EN_ATTENTE_TRAITEMENT_CPP",
    "IN_EN_COURS_TRAITEMENT_CPP",
]
RETRAITEMENT = "IN_EN_ATTENTE_RETRAITEMENT_CPP"
FINAL_STATES = ["IN_INTEGRE", "IN_INTEGRE_PARTIEL", "IN_REJETE", "IN_INCIDENTE"]
LIFECYCLE = [
    "DEPOSEE",
    "EN_COURS_ACHEMINEMENT",
    "MISE_A_DISPOSITION",
    "PRISE_EN_COMPTE_DESTINATAIRE",
    "SERVICE_FAIT",
    "MANDATEE",
    "MISE_EN_PAIEMENT",
]
STATUS_RE = re.compile(r"[A-Z][A-Z0-9_-]{1,63}")
CADRE_RE = re.compile(r"A([1-9]|1[0-9]|2[0-5])")
CADRES = {"A1": "A1_FACTURE_FOURNISSEUR", "A2": "A2_FACTURE_FOURNISSEUR_DEJA_PAYEE"}
FIRST_INVOICE_ID = 5_000_000_001  # > 2^32: an int32 client breaks visibly

NS = {
    "ubl": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "ublcn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
UBL_ROOTS = {"{%s}Invoice" % NS["ubl"], "{%s}CreditNote" % NS["ublcn"]}
CII_ROOT = "{%s}CrossIndustryInvoice" % NS["rsm"]
TYPE_CODES = {"380": "FACTURE", "381": "AVOIR", "386": "ACOMPTE", "384": "FACTURE", "389": "FACTURE"}
MAX_ARCHIVE_MEMBERS = 500


# ---------------------------------------------------------------- helpers


def now_local():
    """Chorus Pro stamps in French local time with its offset."""
    return dt.datetime.now(PARIS) if PARIS else dt.datetime.now().astimezone()


def iso(t):
    return t.isoformat(timespec="seconds")


def luhn_ok(digits):
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def valid_siret(s):
    return isinstance(s, str) and re.fullmatch(r"\d{14}", s) is not None and luhn_ok(s)


def amount(d):
    """Amounts go out as JSON numbers, like the real API (float in GO)."""
    return None if d is None else float(d.quantize(Decimal("0.01")))


def is_int(value):
    """A JSON integer (json gives bool for true/false, and bool is an int)."""
    return isinstance(value, int) and not isinstance(value, bool)


def as_int(value):
    """An int64 field as Jackson reads it: a JSON integer or a digit string."""
    if is_int(value):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,19}", value.strip()):
        return int(value)
    return None


def read_secret(path, what):
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise StartupError(f"cannot read {what} file {path}: {e.__class__.__name__}")
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    if not text:
        raise StartupError(f"{what} file {path} is empty")
    return text


class StartupError(Exception):
    """A configuration problem: reported on stderr, exit status 2."""


class Reply:
    """One HTTP answer: status, JSON-able body (or bytes, or None), headers."""

    __slots__ = ("status", "body", "headers")

    def __init__(self, status, body=None, headers=None):
        self.status = status
        self.body = body
        self.headers = headers or {}

    def encode(self):
        if self.body is None:
            return b"", None
        if isinstance(self.body, bytes):
            return self.body, self.headers.get("Content-Type", "application/octet-stream")
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8"), "application/json;charset=utf-8"


def ok(body):
    out = {"codeRetour": 0, "libelle": OK_LIBELLE}
    out.update(body)
    return Reply(200, out)


def business_error(code, libelle, status=200):
    return Reply(status, {"codeRetour": code, "libelle": libelle})


def bad_request(libelle):
    return business_error(CODE_BAD_REQUEST, libelle, status=400)


def paging(params, default_size=10):
    """Read a Chorus paging object; returns (page, size) or an error text."""
    params = params or {}
    if not isinstance(params, dict):
        return None, "l'objet de pagination doit être un objet JSON"
    page = as_int(params.get("pageResultatDemandee", 1))
    size = as_int(params.get("nbResultatsParPage", default_size))
    if page is None or page < 1:
        return None, "pageResultatDemandee doit être un entier >= 1"
    if size is None or size < 1 or size > 10000:
        return None, "nbResultatsParPage doit être un entier entre 1 et 10000"
    return (page, size), None


def page_of(items, page, size):
    total = len(items)
    pages = (total + size - 1) // size
    chunk = items[(page - 1) * size: page * size]
    return chunk, {"pageCourante": page, "pages": pages, "nbResultatsParPage": size, "total": total}


class Rejected(Exception):
    """The file is irrecevable: one technical error (listeErreurTechnique)."""

    def __init__(self, libelle, code="ERR_XSD_001", nature="ERR_XSD"):
        super().__init__(libelle)
        self.error = {"natureErreur": nature, "codeErreur": code, "libelleErreur": libelle}
