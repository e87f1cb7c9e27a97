"""Shared harness of the emulator's tests (tests/emulator/test_*.py).

The emulator (scripts/chorus-emulator, the package scripts/chorus_emulator/)
is the oracle the C client and the daemon are tested against, so it is
tested itself: a real emulator process, real HTTPS on 127.0.0.1, verified
against the CA it generated, driven with http.client only.  This module
holds the constants, the fixtures (invoices, PDFs, archives), the process
(EmulatorProcess), the module fixture that starts one emulator per test
module (setUpModule, tearDownModule) and the base class EmulatorTest.

Run from the repository root:  python3 -m unittest discover -s tests/emulator -v
(or python3 tests/emulator/test_chorus_emulator.py, which runs them all).
"""

import base64
import datetime as dt
import http.client
import io
import json
import re
import secrets
import shutil
import signal
import ssl
import subprocess
import tarfile
import tempfile
import time
import unittest
import zipfile
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EMULATOR = REPO / "scripts" / "chorus-emulator"
WITH_EMULATOR = REPO / "scripts" / "with-emulator"
DATA = REPO / "tests" / "data" / "emulator"
STRUCTURES = REPO / "tests" / "data" / "structures"

CLIENT_ID = "chorusd-test-client"
TECH_LOGIN = "TECH_1_chorusd-test@cpro.fr"
SUPPLIER = "13002602400013"
MINERVOIS = "20003478300015"
BUYER_EJ = "22003400100010"
BUYER_BOTH = "21003401500011"
BUYER_EITHER = "20034002600018"
BUYER_NOTHING = "21003402300015"
BUYER_INACTIVE = "20034003700015"
UNKNOWN_BUYER = "21003499900016"  # passes Luhn, in no fixture

DEPOSER = "/cpro/factures/v1/deposer/flux"
CR = "/cpro/transverses/v1/consulterCRDetaille"
RECHERCHER = "/cpro/factures/v1/rechercher/fournisseur"
HISTORIQUE = "/cpro/factures/v1/consulter/historique"
CONSULTER_FACTURE = "/cpro/factures/v1/consulter/fournisseur"
HEALTH = "/cpro/transverses/v1/health-check"
TOKEN = "/api/oauth/token"
PENDING = ["IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP", "IN_RECU", "IN_TRAITE_SE_CPP",
           "IN_EN_ATTENTE_TRAITEMENT_CPP", "IN_EN_COURS_TRAITEMENT_CPP"]
LIFECYCLE = ["DEPOSEE", "EN_COURS_ACHEMINEMENT", "MISE_A_DISPOSITION", "PRISE_EN_COMPTE_DESTINATAIRE",
             "SERVICE_FAIT", "MANDATEE", "MISE_EN_PAIEMENT"]
UBL_SYNTAX, CII_SYNTAX, FX_SYNTAX = "IN_DP_E1_UBL_INVOICE", "IN_DP_E1_CII_16B", "IN_DP_E2_CII_FACTURX"


def paris_today():
    """Today as the emulator dates deposits: in French time, like Chorus Pro
    (scripts/chorus_emulator/common.py, now_local). date.today() is the
    machine's, a day behind it from 23:00 or 22:00 UTC to midnight."""
    try:
        from zoneinfo import ZoneInfo
        return dt.datetime.now(ZoneInfo("Europe/Paris")).date()
    except Exception:  # no tz database: the emulator falls back to local time too
        return dt.date.today()

UBL_TEMPLATE = (DATA / "ubl-invoice.xml").read_text(encoding="utf-8")
CII_TEMPLATE = (DATA / "cii-invoice.xml").read_text(encoding="utf-8")
# Credit notes (avoirs, type 381) of CMA34-2026-0001, numbered CMA34-2026-0002,
# as `chorusctl render --credit-of` writes them (without the bilan report).
UBL_CREDIT_NOTE = (DATA / "ubl-credit-note.xml").read_bytes()
CII_CREDIT_NOTE = (DATA / "cii-credit-note.xml").read_bytes()


# ---------------------------------------------------------------- fixtures


# (template, service code element, engagement element) of each syntax
SYNTAX_PARTS = {
    "ubl": (UBL_TEMPLATE, "cbc:BuyerReference", r"<cac:OrderReference>.*?</cac:OrderReference>"),
    "cii": (CII_TEMPLATE, "ram:BuyerReference",
            r"<ram:BuyerOrderReferencedDocument>.*?</ram:BuyerOrderReferencedDocument>"),
}


def invoice(syntax, number="CMA34-2026-0001", buyer=MINERVOIS, service="ECO", engagement="EJ-2026-0042",
            supplier=SUPPLIER):
    """The fixture of that syntax with its routing data rewritten (None removes the element)."""
    template, service_tag, engagement_re = SYNTAX_PARTS[syntax]
    x = template.replace("CMA34-2026-0001", number).replace(MINERVOIS, buyer).replace(SUPPLIER, supplier)
    if service is None:
        x = re.sub(rf"\s*<{service_tag}>ECO</{service_tag}>", "", x)
    else:
        x = x.replace(f"<{service_tag}>ECO<", f"<{service_tag}>{service}<")
    if engagement is None:
        x = re.sub(r"\s*" + engagement_re, "", x, flags=re.S)
    else:
        x = x.replace("EJ-2026-0042", engagement)
    return x.encode("utf-8")


def ubl(number="CMA34-2026-0001", **routing):
    return invoice("ubl", number, **routing)


def cii(number="CMA34-2026-0001", **routing):
    return invoice("cii", number, **routing)


def pdf(objects):
    """A PDF from a list of object bodies (bytes), numbered from 1, with a real xref."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def stream(dictionary, data):
    return dictionary.replace(b">>", b" /Length %d >>" % len(data), 1) + b"\nstream\n" + data + b"\nendstream"


def facturx(xml, name=rb"(factur\055x\056xml)"):
    """A minimal Factur-X: a page, and xml embedded as a FlateDecode EmbeddedFile
    under a filespec called name (octal escapes, as real generators write it)."""
    page = zlib.compress(b"BT /F1 12 Tf 72 770 Td (Facture CMA34) Tj ET")
    embedded = zlib.compress(xml)
    return pdf([
        b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [" + name +
        b" 5 0 R] >> >> /AF [5 0 R] >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << >> >>",
        stream(b"<< /Filter /FlateDecode >>", page),
        b"<< /Type /Filespec /F " + name + b" /UF " + name + b" /EF << /F 6 0 R >> /AFRelationship /Data >>",
        stream(b"<< /Type /EmbeddedFile /Subtype /text#2Fxml /Filter /FlateDecode /Params << /Size %d >> >>"
               % len(xml), embedded),
    ])


def tar_gz(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, content in files:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mtime = int(time.time())
            tf.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def zip_bytes(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files:
            zf.writestr(name, content)
    return buf.getvalue()


def luhn_ok(digits):
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


# ---------------------------------------------------------------- the process


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body.decode("utf-8"))


class EmulatorProcess:
    """A real emulator process on 127.0.0.1:port 0, with its own secrets."""

    def __init__(self, *extra, control=True, http=False, tls_dir=None, host="127.0.0.1"):
        self.dir = Path(tempfile.mkdtemp(prefix="chorus-emulator-test-"))
        self.client_secret = "cs-" + secrets.token_urlsafe(18)
        self.tech_password = "pw-" + secrets.token_urlsafe(18)
        self.control_token = "ct-" + secrets.token_urlsafe(18) if control else None
        self.tls_dir = Path(tls_dir) if tls_dir else self.dir / "tls"
        self.http = http
        self.log = self.dir / "emulator.log"
        self.stderr_path = self.dir / "stderr.txt"
        args = [str(EMULATOR), "--host", host, "--port", "0", "--port-file", str(self.dir / "port"),
                "--tls-dir", str(self.tls_dir), "--client-id", CLIENT_ID,
                "--client-secret-file", self._secret("client-secret", self.client_secret),
                "--technical-login", TECH_LOGIN,
                "--technical-password-file", self._secret("tech-password", self.tech_password),
                "--log", str(self.log), *extra]
        if control:
            args += ["--control-token-file", self._secret("control-token", self.control_token)]
        if http:
            args.append("--http")
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=err, stderr=err)
        deadline = time.monotonic() + 15
        port_file = self.dir / "port"
        while not port_file.exists():
            if self.proc.poll() is not None:
                raise RuntimeError(f"emulator exited {self.proc.returncode}: {self.stderr()}")
            if time.monotonic() > deadline:
                self.proc.kill()
                raise RuntimeError("emulator did not start within 15 s")
            time.sleep(0.02)
        self.port_text = port_file.read_text()
        self.port = int(self.port_text)
        self.host = host
        self.ctx = None if http else ssl.create_default_context(cafile=str(self.tls_dir / "ca.pem"))

    def _secret(self, name, value):
        path = self.dir / name
        path.write_text(value + "\n")
        path.chmod(0o600)
        return str(path)

    def stderr(self):
        return self.stderr_path.read_text(errors="replace")

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- HTTP
    def connection(self, timeout=20):
        if self.http:
            return http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        return http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=20):
        conn = self.connection(timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return Response(r.status, r.headers, r.read())
        finally:
            conn.close()

    def token_request(self, fields, content_type="application/x-www-form-urlencoded"):
        body = "&".join(f"{k}={v}" for k, v in fields.items()) if isinstance(fields, dict) else fields
        return self.request("POST", TOKEN, body.encode(), {"Content-Type": content_type})

    def token(self):
        r = self.token_request({"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                "client_secret": self.client_secret, "scope": "openid"})
        assert r.status == 200, (r.status, r.body)
        return r.json()["access_token"]

    def account(self, login=TECH_LOGIN, password=None):
        raw = f"{login}:{self.tech_password if password is None else password}"
        return base64.b64encode(raw.encode()).decode()

    def api(self, path, payload=None, token=None, account=None, method="POST",
            content_type="application/json;charset=utf-8", raw=None, headers=None):
        h = {"Authorization": f"Bearer {token or self.token()}",
             "cpro-account": self.account() if account is None else account}
        if method == "POST":
            h["Content-Type"] = content_type
        h.update(headers or {})
        body = raw if raw is not None else (json.dumps(payload).encode() if payload is not None else None)
        return self.request(method, path, body, h)

    def control(self, method, path, payload=None, token=None):
        h = {"X-Emulator-Token": token or self.control_token or "", "Content-Type": "application/json"}
        r = self.request(method, path, json.dumps(payload).encode() if payload is not None else None, h)
        return r

    def ctl(self, method, path, payload=None):
        r = self.control(method, path, payload)
        assert r.status == 200, (method, path, r.status, r.body)
        return r.json()

    # -- business helpers
    def deposit(self, content, syntaxe=UBL_SYNTAX, nom="facture.xml", token=None):
        return self.api(DEPOSER, {"fichierFlux": base64.b64encode(content).decode(), "nomFichier": nom,
                                  "syntaxeFlux": syntaxe, "avecSignature": False}, token=token)

    def deposit_ok(self, content, syntaxe=UBL_SYNTAX, nom="facture.xml", token=None):
        r = self.deposit(content, syntaxe, nom, token)
        assert r.status == 200 and r.json()["codeRetour"] == 0, (r.status, r.body)
        return r.json()["numeroFluxDepot"]

    def advance(self, numero=None, **kw):
        payload = dict(kw)
        if numero:
            payload["numeroFluxDepot"] = numero
        return self.ctl("POST", "/_emulator/flux/advance", payload)

    def cr(self, numero, token=None):
        r = self.api(CR, {"numeroFluxDepot": numero}, token=token)
        assert r.status == 200, (r.status, r.body)
        return r.json()

    def reset(self):
        self.ctl("POST", "/_emulator/reset")


EMU = None


def setUpModule():
    global EMU
    EMU = EmulatorProcess()


def tearDownModule():
    try:
        rc = EMU.stop()
        log = EMU.log.read_text() + EMU.stderr()
        for secret in (EMU.client_secret, EMU.tech_password, EMU.control_token):
            assert secret not in log, "a secret reached the emulator's log or stderr"
        assert rc == 0, f"SIGTERM exit status {rc}"
    finally:
        shutil.rmtree(EMU.dir, ignore_errors=True)


class EmulatorTest(unittest.TestCase):
    def setUp(self):
        self.emu = EMU
        self.emu.reset()

    def integrate(self, content, syntaxe=UBL_SYNTAX, nom="facture.xml"):
        numero = self.emu.deposit_ok(content, syntaxe, nom)
        self.emu.advance(numero)
        return numero, self.emu.cr(numero)

    def assert_dp_rejected(self, content, fragment, syntaxe=UBL_SYNTAX):
        numero, cr = self.integrate(content, syntaxe)
        self.assertEqual(cr["etatCourantDepotFlux"], "IN_REJETE", cr)
        self.assertEqual(cr["listeErreurTechnique"], [])
        self.assertEqual(len(cr["listeErreurDP"]), 1, cr)
        self.assertIn(fragment, cr["listeErreurDP"][0]["libelleErreurDP"])
        return cr["listeErreurDP"][0]

    def assert_integrated(self, content, syntaxe=UBL_SYNTAX):
        numero, cr = self.integrate(content, syntaxe)
        self.assertEqual(cr["etatCourantDepotFlux"], "IN_INTEGRE", cr)
        self.assertEqual(cr["listeErreurDP"], [])
        return numero

    def assert_technical_rejection(self, content, syntaxe, fragment):
        numero, cr = self.integrate(content, syntaxe)
        self.assertEqual(cr["etatCourantDepotFlux"], "IN_REJETE", cr)
        self.assertEqual(len(cr["listeErreurTechnique"]), 1)
        err = cr["listeErreurTechnique"][0]
        self.assertEqual(err["natureErreur"], "ERR_XSD")
        self.assertRegex(err["codeErreur"], r"^ERR_XSD_\d{3}$")
        self.assertTrue(err["libelleErreur"].startswith("IRRECEVABILITE"), err)
        self.assertIn(fragment, err["libelleErreur"])
        return cr

    def search(self, payload):
        r = self.emu.api(RECHERCHER, payload)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["codeRetour"], 0)
        return r.json()
