"""Tests of scripts/chorus-emulator, the PISTE + Chorus Pro emulator.

The emulator is the oracle the C client and the daemon are tested against,
so it is tested itself: a real emulator process, real HTTPS on 127.0.0.1,
verified against the CA it generated, driven with http.client only.

Run from the repository root:  python3 -m unittest discover -s tests/emulator -v
"""

import base64
import hashlib
import http.client
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tarfile
import tempfile
import time
import unittest
import zipfile
import zlib
from datetime import date, timedelta
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

UBL_TEMPLATE = (DATA / "ubl-invoice.xml").read_text(encoding="utf-8")
CII_TEMPLATE = (DATA / "cii-invoice.xml").read_text(encoding="utf-8")


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


# ---------------------------------------------------------------- transport, command line


class TestTlsAndCommandLine(EmulatorTest):
    def test_certificate_verifies_against_generated_ca(self):
        conn = self.emu.connection()
        conn.connect()
        cert = conn.sock.getpeercert()
        conn.close()
        sans = set(cert["subjectAltName"])
        self.assertIn(("IP Address", "127.0.0.1"), sans)
        self.assertIn(("DNS", "localhost"), sans)
        for name in ("ca.pem", "ca.key", "server.pem", "server.key"):
            self.assertTrue((self.emu.tls_dir / name).is_file(), name)
        self.assertEqual((self.emu.tls_dir / "ca.key").stat().st_mode & 0o077, 0)
        self.assertEqual((self.emu.tls_dir / "server.key").stat().st_mode & 0o077, 0)

    def test_untrusted_client_is_refused(self):
        conn = http.client.HTTPSConnection("127.0.0.1", self.emu.port, context=ssl.create_default_context(),
                                           timeout=10)
        with self.assertRaises(ssl.SSLCertVerificationError):
            conn.request("GET", "/_emulator/health")
        conn.close()
        # the emulator survives a failed handshake
        self.assertEqual(self.emu.request("GET", "/_emulator/health").status, 200)

    def test_port_file_holds_port_and_newline(self):
        self.assertRegex(self.emu.port_text, r"^\d+\n$")

    def test_listens_on_loopback_only(self):
        tables = [p for p in ("/proc/net/tcp", "/proc/net/tcp6") if os.path.exists(p)]
        if not tables:
            self.skipTest("no /proc/net/tcp")
        listening = []
        for table in tables:
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                addr, port = fields[1].split(":")
                if int(port, 16) == self.emu.port and fields[3] == "0A":
                    listening.append(addr)
        self.assertEqual(listening, ["0100007F"])

    def test_refuses_any_other_host(self):
        for host in ("0.0.0.0", "192.168.1.10", "localhost", "::"):
            p = subprocess.run([str(EMULATOR), "--host", host, "--port", "0", "--client-secret-file", "/dev/null",
                                "--technical-password-file", "/dev/null"], capture_output=True, text=True, timeout=20)
            self.assertEqual(p.returncode, 2, host)
            self.assertIn("loopback", p.stderr)

    def test_secrets_cannot_be_given_on_the_command_line(self):
        p = subprocess.run([str(EMULATOR), "--client-secret", "x", "--technical-password-file", "/dev/null"],
                           capture_output=True, text=True, timeout=20)
        self.assertEqual(p.returncode, 2)

    def test_help_is_a_manual(self):
        p = subprocess.run([str(EMULATOR), "--help"], capture_output=True, text=True, timeout=20)
        self.assertEqual(p.returncode, 0)
        for word in ("--tls-dir", "--client-secret-file", "--control-token-file", "--auto-advance",
                     "--not-subscribed", "/_emulator/faults", "/_emulator/flux/advance", "X-Emulator-Token",
                     "retry_after", "after_body", "IN_INTEGRE_PARTIEL", "MISE_EN_PAIEMENT"):
            self.assertIn(word, p.stdout)

    def test_bad_fixture_directory_stops_the_start(self):
        with tempfile.TemporaryDirectory() as d:
            Path(d, "bad.json").write_text(json.dumps({"idStructureCPP": 1, "identifiantStructure": "20003478300016",
                                                       "raisonSocialeStructure": "x"}))
            secret = Path(d, "s")
            secret.write_text("s\n")
            p = subprocess.run([str(EMULATOR), "--port", "0", "--http", "--structures", d,
                                "--client-secret-file", str(secret), "--technical-password-file", str(secret)],
                               capture_output=True, text=True, timeout=20)
        self.assertEqual(p.returncode, 2)
        self.assertIn("Luhn", p.stderr)


class TestSeparateProcesses(unittest.TestCase):
    """Behaviour that needs its own emulator process."""

    def test_tls_material_is_reused(self):
        with tempfile.TemporaryDirectory() as tls:
            first = EmulatorProcess(tls_dir=tls)
            try:
                ca = Path(tls, "ca.pem").read_bytes()
                cert = Path(tls, "server.pem").read_bytes()
            finally:
                self.assertEqual(first.stop(), 0)
                first.cleanup()
            second = EmulatorProcess(tls_dir=tls)
            try:
                self.assertEqual(Path(tls, "ca.pem").read_bytes(), ca)
                self.assertEqual(Path(tls, "server.pem").read_bytes(), cert)
                self.assertEqual(second.request("GET", "/_emulator/health").status, 200)
            finally:
                second.cleanup()

    def test_plain_http_mode_and_sigint(self):
        emu = EmulatorProcess(http=True)
        try:
            r = emu.api(HEALTH, method="GET")
            self.assertEqual(r.status, 200)
            self.assertFalse((emu.dir / "tls" / "ca.pem").exists())
            self.assertEqual(emu.stop(signal.SIGINT), 0)
        finally:
            emu.cleanup()

    def test_ipv6_loopback(self):
        if not socket.has_ipv6:
            self.skipTest("no IPv6")
        try:
            emu = EmulatorProcess(host="::1")
        except RuntimeError as e:
            self.skipTest(f"::1 unavailable here: {e}")
        try:
            self.assertEqual(emu.request("GET", "/_emulator/health").status, 200)
        finally:
            emu.cleanup()

    def test_not_subscribed_and_disabled_control_api(self):
        emu = EmulatorProcess("--not-subscribed", "/cpro/structures", control=False)
        try:
            r = emu.api("/cpro/structures/v1/rechercher", {"structure": {"identifiantStructure": MINERVOIS}})
            self.assertEqual(r.status, 403)
            self.assertEqual(r.body, b"")
            self.assertEqual(emu.api(HEALTH, method="GET").status, 200)
            r = emu.request("GET", "/_emulator/fluxes", headers={"X-Emulator-Token": "anything"})
            self.assertEqual(r.status, 403)
            self.assertIn("disabled", r.json()["error"])
            self.assertEqual(emu.request("GET", "/_emulator/health").status, 200)
        finally:
            emu.cleanup()

    def test_auto_advance_walks_flux_and_lifecycle(self):
        emu = EmulatorProcess("--auto-advance", "0.05")
        try:
            numero = emu.deposit_ok(ubl())
            deadline = time.monotonic() + 15
            while True:
                inv = emu.ctl("GET", "/_emulator/invoices?numeroFacture=CMA34-2026-0001")["invoices"][0]
                if inv["statut"] == "MISE_EN_PAIEMENT" or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            self.assertEqual(emu.cr(numero)["etatCourantDepotFlux"], "IN_INTEGRE")
            self.assertEqual([h["histoStatutCode"] for h in inv["history"]], LIFECYCLE)
        finally:
            emu.cleanup()


# ---------------------------------------------------------------- OAuth and gateway checks


class TestOAuth(EmulatorTest):
    def form(self, **over):
        fields = {"grant_type": "client_credentials", "client_id": CLIENT_ID,
                  "client_secret": self.emu.client_secret, "scope": "openid"}
        fields.update(over)
        return {k: v for k, v in fields.items() if v is not None}

    def test_token_success_shape(self):
        r = self.emu.token_request(self.form())
        self.assertEqual(r.status, 200)
        body = r.json()
        self.assertEqual(body["token_type"], "Bearer")
        self.assertEqual(body["expires_in"], 3600)
        self.assertEqual(body["scope"], "openid")
        self.assertGreaterEqual(len(body["access_token"]), 32)
        self.assertEqual(r.headers["Cache-Control"], "no-store")

    def test_scope_optional_or_containing_openid(self):
        self.assertEqual(self.emu.token_request(self.form(scope=None)).status, 200)
        self.assertEqual(self.emu.token_request(self.form(scope="openid%20resource.READ")).status, 200)
        r = self.emu.token_request(self.form(scope="profile"))
        self.assertEqual((r.status, r.json()["error"]), (400, "invalid_scope"))

    def test_bad_client_is_400_invalid_client(self):
        for form in (self.form(client_secret="wrong"), self.form(client_id="someone-else"),
                     self.form(client_secret=None)):
            r = self.emu.token_request(form)
            self.assertEqual(r.status, 400)
            self.assertEqual(r.json()["error"], "invalid_client")
            self.assertIn("error_description", r.json())

    def test_bad_grant_and_content_type(self):
        r = self.emu.token_request(self.form(grant_type="password"))
        self.assertEqual((r.status, r.json()["error"]), (400, "unsupported_grant_type"))
        r = self.emu.token_request(json.dumps(self.form()), content_type="application/json")
        self.assertEqual((r.status, r.json()["error"]), (400, "invalid_request"))

    def test_token_lifetime_is_configurable_and_tokens_expire(self):
        self.emu.ctl("POST", "/_emulator/config", {"token_lifetime": 1})
        r = self.emu.token_request(self.form())
        self.assertEqual(r.json()["expires_in"], 1)
        token = r.json()["access_token"]
        self.assertEqual(self.emu.api(HEALTH, method="GET", token=token).status, 200)
        time.sleep(1.3)
        r = self.emu.api(HEALTH, method="GET", token=token)
        self.assertEqual(r.status, 401)
        self.assertTrue(r.headers["WWW-Authenticate"].startswith('Bearer realm="PISTE"'))

    def test_expire_tokens_mid_session(self):
        token = self.emu.token()
        self.assertEqual(self.emu.api(HEALTH, method="GET", token=token).status, 200)
        self.emu.ctl("POST", "/_emulator/expire-tokens")
        self.assertEqual(self.emu.api(HEALTH, method="GET", token=token).status, 401)
        self.assertEqual(self.emu.api(HEALTH, method="GET", token=self.emu.token()).status, 200)


class TestGatewayChecks(EmulatorTest):
    def test_health_check_body(self):
        r = self.emu.api(HEALTH, method="GET")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json(), {"body": "L'API CPRO est actuellement disponible et fonctionnel.",
                                    "statusCodeValue": 200, "statusCode": "OK"})

    def test_missing_bearer_is_401_with_piste_realm(self):
        r = self.emu.request("GET", HEALTH, headers={"cpro-account": self.emu.account()})
        self.assertEqual(r.status, 401)
        self.assertEqual(r.headers["WWW-Authenticate"], 'Bearer realm="PISTE"')

    def test_unknown_bearer_is_401(self):
        r = self.emu.api(HEALTH, method="GET", token="not-a-token")
        self.assertEqual(r.status, 401)
        self.assertTrue(r.headers["WWW-Authenticate"].startswith('Bearer realm="PISTE"'))
        self.assertNotIn("login or password", r.headers["WWW-Authenticate"])

    def test_bad_cpro_account_is_401_login_or_password(self):
        bad = [self.emu.account(password="wrong"), self.emu.account(login="TECH_1_other@cpro.fr"),
               "%%%not-base64%%%", base64.b64encode(b"no-colon").decode(), ""]
        for account in bad:
            r = self.emu.api(HEALTH, method="GET", account=account)
            self.assertEqual(r.status, 401, account)
            self.assertIn('error_description="login or password incorrects"', r.headers["WWW-Authenticate"])
            self.assertTrue(r.headers["WWW-Authenticate"].startswith('Bearer realm="PISTE"'))
        r = self.emu.request("GET", HEALTH, headers={"Authorization": f"Bearer {self.emu.token()}"})
        self.assertEqual(r.status, 401)
        self.assertIn("login or password incorrects", r.headers["WWW-Authenticate"])

    def test_not_subscribed_configurable_at_runtime(self):
        self.emu.ctl("POST", "/_emulator/config", {"not_subscribed": ["/cpro/factures"]})
        r = self.emu.api(RECHERCHER, {})
        self.assertEqual((r.status, r.body), (403, b""))
        self.assertEqual(self.emu.api(HEALTH, method="GET").status, 200)

    def test_unknown_route_and_wrong_method_are_404(self):
        self.assertEqual(self.emu.api("/cpro/factures/v1/inexistant", {}).status, 404)
        self.assertEqual(self.emu.api(DEPOSER, method="GET").status, 404)
        self.assertEqual(self.emu.request("GET", "/").status, 404)

    def test_non_json_content_type_is_415(self):
        r = self.emu.api(CR, raw=b"numeroFluxDepot=x", content_type="application/x-www-form-urlencoded")
        self.assertEqual(r.status, 415)
        r = self.emu.api(CR, raw=b"{}", content_type="text/plain")
        self.assertEqual(r.status, 415)
        self.assertEqual(self.emu.api(CR, {"numeroFluxDepot": "x"}, content_type="application/json").status, 200)

    def test_malformed_json_is_400_with_code_retour(self):
        for raw in (b"{not json", b"[1, 2]", b'"text"'):
            r = self.emu.api(CR, raw=raw)
            self.assertEqual(r.status, 400, raw)
            body = r.json()
            self.assertNotEqual(body["codeRetour"], 0)
            self.assertIsInstance(body["libelle"], str)

    def test_missing_required_field_is_400(self):
        for path, payload in ((CR, {}), (HISTORIQUE, {}), (CONSULTER_FACTURE, {"identifiantFactureCPP": "x"}),
                              ("/cpro/structures/v1/consulter", {}),
                              ("/cpro/structures/v1/rechercher/services", {}),
                              ("/cpro/structures/v1/consulter/service", {"idStructure": 26073617})):
            r = self.emu.api(path, payload)
            self.assertEqual(r.status, 400, path)
            self.assertNotEqual(r.json()["codeRetour"], 0)


# ---------------------------------------------------------------- deposit and flux states


class TestDeposit(EmulatorTest):
    def test_deposit_answer(self):
        r = self.emu.deposit(ubl())
        self.assertEqual(r.status, 200)
        body = r.json()
        self.assertEqual(body["codeRetour"], 0)
        self.assertEqual(body["libelle"], "TRA_MSG_00.000")
        self.assertRegex(body["numeroFluxDepot"], r"^CPP001\d{4}\d{15}$")
        self.assertEqual(body["dateDepot"], date.today().isoformat())
        self.assertEqual(body["syntaxeFlux"], UBL_SYNTAX)
        self.assertNotIn("identifiantFactureCPP", body)

    def test_flux_numbers_are_unique_and_interface_follows_syntax(self):
        seen = set()
        for content, syntaxe, iface in ((ubl(), UBL_SYNTAX, "1100"), (cii(), CII_SYNTAX, "1106"),
                                        (facturx(cii()), FX_SYNTAX, "1117")):
            numero = self.emu.deposit_ok(content, syntaxe)
            self.assertEqual(numero[6:10], iface)
            self.assertNotIn(numero, seen)
            seen.add(numero)
            cr = self.emu.cr(numero)
            self.assertEqual(cr["codeInterfaceDepotFlux"], f"FSO{iface}A")
            self.assertEqual(cr["nomFichier"], f"FSO{iface}A_CPP001_{numero}")

    def test_consulter_cr_detaille_right_after_deposit(self):
        numero = self.emu.deposit_ok(ubl())
        cr = self.emu.cr(numero)
        self.assertEqual(cr["codeRetour"], 0)
        self.assertEqual(cr["etatCourantDepotFlux"], PENDING[0])
        iso = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$"
        self.assertRegex(cr["dateDepotFlux"], iso)
        self.assertRegex(cr["dateHeureEtatCourantFlux"], iso)
        self.assertNotIn("numeroFluxDepot", cr)

    def test_unknown_flux_is_a_business_error(self):
        r = self.emu.api(CR, {"numeroFluxDepot": "CPP0011100999999999999999"})
        self.assertEqual(r.status, 200)
        self.assertNotEqual(r.json()["codeRetour"], 0)

    def test_wrong_syntaxe_flux_is_refused_at_deposit(self):
        for syntaxe in ("IN_DP_E3_FACTUR_X_10", "IN_DP_E1_UBL_201", "ubl"):
            r = self.emu.deposit(ubl(), syntaxe)
            self.assertEqual(r.status, 400, syntaxe)
            self.assertNotEqual(r.json()["codeRetour"], 0)
        self.assertEqual(self.emu.ctl("GET", "/_emulator/fluxes")["fluxes"], [])

    def test_every_listed_syntax_is_accepted_at_deposit(self):
        for syntaxe in ("IN_DP_E1_UBL_INVOICE", "IN_DP_E1_CII_16B", "IN_DP_E2_CII_FACTURX",
                        "IN_DP_E2_UBL_INVOICE_MIN", "IN_DP_E2_CII_MIN_16B", "IN_DP_E2_CPP_FACTURE_MIN",
                        "IN_DP_E1_CII", "IN_DP_E2_CII_MIN", "IN_DP_E1_PES_FACTURE", "IN_DP_E2_PES_FACTURE_MIN",
                        "IN_DP_E1_XCBL", "IN_DP_PDFARCHIVE_UBL_INVOICE_MUG", "IN_DP_PDFARCHIVE_CII_MUG"):
            self.assertEqual(self.emu.deposit(ubl(), syntaxe).json()["codeRetour"], 0, syntaxe)

    def test_bad_base64_and_missing_fields(self):
        r = self.emu.api(DEPOSER, {"fichierFlux": "@@@ not base64 @@@", "nomFichier": "f.xml",
                                   "syntaxeFlux": UBL_SYNTAX})
        self.assertEqual(r.status, 400)
        self.assertNotEqual(r.json()["codeRetour"], 0)
        good = {"fichierFlux": base64.b64encode(ubl()).decode(), "nomFichier": "f.xml", "syntaxeFlux": UBL_SYNTAX}
        for key in good:
            for value in (None, ""):
                payload = dict(good)
                if value is None:
                    del payload[key]
                else:
                    payload[key] = value
                r = self.emu.api(DEPOSER, payload)
                self.assertEqual(r.status, 400, (key, value))
                self.assertNotEqual(r.json()["codeRetour"], 0)
        self.assertEqual(self.emu.ctl("GET", "/_emulator/fluxes")["fluxes"], [])

    def test_size_limit_gives_20001(self):
        self.emu.ctl("POST", "/_emulator/config", {"max_flux_size": 1000})
        content = ubl()
        self.assertGreater(len(content), 1000)
        r = self.emu.deposit(content)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json(), {"codeRetour": 20001, "libelle": "GDP_MSG_11.022"})
        self.assertEqual(self.emu.ctl("GET", "/_emulator/fluxes")["fluxes"], [])
        self.emu.ctl("POST", "/_emulator/config", {"max_flux_size": len(content)})
        self.assertEqual(self.emu.deposit(content).json()["codeRetour"], 0)


class TestFluxStateMachine(EmulatorTest):
    def test_steps_through_pending_states_to_integre(self):
        numero = self.emu.deposit_ok(ubl())
        seen = [self.emu.cr(numero)["etatCourantDepotFlux"]]
        for _ in range(5):
            self.emu.advance(numero, steps=1)
            seen.append(self.emu.cr(numero)["etatCourantDepotFlux"])
        self.assertEqual(seen, PENDING + ["IN_INTEGRE"])

    def test_nothing_moves_without_the_control_api(self):
        numero = self.emu.deposit_ok(ubl())
        time.sleep(0.3)
        self.assertEqual(self.emu.cr(numero)["etatCourantDepotFlux"], PENDING[0])

    def test_advance_without_target_reaches_the_checks_verdict(self):
        good = self.emu.deposit_ok(ubl("CMA34-2026-0001"))
        bad = self.emu.deposit_ok(ubl("CMA34-2026-0002", buyer=UNKNOWN_BUYER))
        fluxes = self.emu.advance()["fluxes"]
        self.assertEqual({f["numeroFluxDepot"]: f["etat"] for f in fluxes},
                         {good: "IN_INTEGRE", bad: "IN_REJETE"})

    def test_to_pending_retraitement_and_incidente(self):
        numero = self.emu.deposit_ok(ubl())
        self.emu.advance(numero, to="IN_EN_ATTENTE_RETRAITEMENT_CPP")
        self.assertEqual(self.emu.cr(numero)["etatCourantDepotFlux"], "IN_EN_ATTENTE_RETRAITEMENT_CPP")
        self.emu.advance(numero, to="IN_INCIDENTE")
        cr = self.emu.cr(numero)
        self.assertEqual(cr["etatCourantDepotFlux"], "IN_INCIDENTE")
        self.assertEqual(self.search({})["listeFactures"], [])

    def test_to_integre_still_obeys_the_checks_unless_forced(self):
        numero = self.emu.deposit_ok(ubl(buyer=UNKNOWN_BUYER))
        self.emu.advance(numero, to="IN_INTEGRE")
        self.assertEqual(self.emu.cr(numero)["etatCourantDepotFlux"], "IN_REJETE")
        forced = self.emu.deposit_ok(ubl("CMA34-2026-0009", buyer=UNKNOWN_BUYER))
        self.emu.advance(forced, to="IN_INTEGRE", force=True)
        self.assertEqual(self.emu.cr(forced)["etatCourantDepotFlux"], "IN_INTEGRE")
        self.assertEqual([f["numeroFacture"] for f in self.search({})["listeFactures"]], ["CMA34-2026-0009"])

    def test_terminal_flux_cannot_be_advanced(self):
        numero, _ = self.integrate(ubl())
        r = self.emu.control("POST", "/_emulator/flux/advance", {"numeroFluxDepot": numero, "to": "IN_REJETE"})
        self.assertEqual(r.status, 409)
        r = self.emu.control("POST", "/_emulator/flux/advance", {"numeroFluxDepot": "CPP0011100000000000009999"})
        self.assertEqual(r.status, 404)

    def test_injected_technical_error(self):
        numero = self.emu.deposit_ok(ubl())
        err = {"natureErreur": "ERR_XSD", "codeErreur": "ERR_XSD_001",
               "libelleErreur": "IRRECEVABILITE: cvc-complex-type.2.2: Element 'ram:Content' - ligne: 14"}
        self.emu.advance(numero, listeErreurTechnique=[err])
        cr = self.emu.cr(numero)
        self.assertEqual(cr["etatCourantDepotFlux"], "IN_REJETE")
        self.assertEqual(cr["listeErreurTechnique"], [err])

    def test_injected_dp_error_rejects_that_invoice(self):
        numero = self.emu.deposit_ok(ubl())
        self.emu.advance(numero, listeErreurDP=[{"numeroDP": "CMA34-2026-0001",
                                                 "libelleErreurDP": "PaymentMeans.TypeCode.value est obligatoire"}])
        cr = self.emu.cr(numero)
        self.assertEqual(cr["etatCourantDepotFlux"], "IN_REJETE")
        self.assertEqual(cr["listeErreurDP"], [{"numeroDP": "CMA34-2026-0001", "identifiantFournisseur": SUPPLIER,
                                                "identifiantDestinataire": MINERVOIS,
                                                "libelleErreurDP": "PaymentMeans.TypeCode.value est obligatoire"}])

    def test_forced_rejection_without_reason_still_explains(self):
        numero = self.emu.deposit_ok(ubl())
        self.emu.advance(numero, to="IN_REJETE")
        cr = self.emu.cr(numero)
        self.assertEqual(cr["etatCourantDepotFlux"], "IN_REJETE")
        self.assertEqual(len(cr["listeErreurTechnique"]), 1)


# ---------------------------------------------------------------- file checks


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


# ---------------------------------------------------------------- search, lifecycle


class TestRechercherFournisseur(EmulatorTest):
    def deposit_twelve(self):
        fluxes = []
        for batch in range(3):
            files = [(f"f{n}.xml", ubl(f"CMA34-2026-{batch * 4 + n:04d}")) for n in range(1, 5)]
            fluxes.append(self.emu.deposit_ok(tar_gz(files), nom="lot.tar.gz"))
        self.emu.advance()
        return fluxes

    def test_pages_of_ten_by_default(self):
        self.deposit_twelve()
        first = self.search({})
        self.assertEqual(len(first["listeFactures"]), 10)
        self.assertEqual(first["parametresRetour"],
                         {"pageCourante": 1, "pages": 2, "nbResultatsParPage": 10, "total": 12})
        second = self.search({"rechercheFactureParFournisseur": {"pageResultatDemandee": 2}})
        self.assertEqual(len(second["listeFactures"]), 2)
        self.assertEqual(second["parametresRetour"]["pageCourante"], 2)
        numbers = [f["numeroFacture"] for f in first["listeFactures"] + second["listeFactures"]]
        self.assertEqual(sorted(numbers), [f"CMA34-2026-{n:04d}" for n in range(1, 13)])
        ids = [f["identifiantFactureCPP"] for f in first["listeFactures"] + second["listeFactures"]]
        self.assertEqual(len(set(ids)), 12)
        self.assertTrue(all(isinstance(i, int) and i > 2 ** 32 for i in ids))
        third = self.search({"rechercheFactureParFournisseur": {"pageResultatDemandee": 3}})
        self.assertEqual(third["listeFactures"], [])

    def test_page_size_and_filters(self):
        fluxes = self.deposit_twelve()
        r = self.search({"rechercheFactureParFournisseur": {"pageResultatDemandee": 1, "nbResultatsParPage": 5}})
        self.assertEqual((len(r["listeFactures"]), r["parametresRetour"]["pages"]), (5, 3))
        by_flux = self.search({"numeroFluxDepot": fluxes[1]})["listeFactures"]
        self.assertEqual(sorted(f["numeroFacture"] for f in by_flux), [f"CMA34-2026-{n:04d}" for n in range(5, 9)])
        self.assertTrue(all(f["numeroFluxDepot"] == fluxes[1] for f in by_flux))
        one = self.search({"numeroFacture": "CMA34-2026-0007"})["listeFactures"]
        self.assertEqual(len(one), 1)
        today = date.today().isoformat()
        tomorrow = (date.today() + timedelta(days=1)).isoformat()
        self.assertEqual(self.search({"periodeDateDepotDu": today, "periodeDateDepotAu": today})
                         ["parametresRetour"]["total"], 12)
        self.assertEqual(self.search({"periodeDateDepotDu": tomorrow})["listeFactures"], [])
        self.assertEqual(self.search({"statutCourant": ["MISE_EN_PAIEMENT"]})["listeFactures"], [])

    def test_invoice_fields(self):
        numero, _ = self.integrate(ubl())
        f = self.search({"numeroFacture": "CMA34-2026-0001"})["listeFactures"][0]
        self.assertEqual(f["statut"], "DEPOSEE")
        self.assertEqual(f["numeroFluxDepot"], numero)
        self.assertEqual((f["montantTTC"], f["montantAPayer"], f["montantHT"]), (4000.0, 4000.0, 4000.0))
        self.assertEqual((f["codeDestinataire"], f["idDestinataire"], f["codeServiceExecutant"]),
                         (MINERVOIS, 26073617, "ECO"))
        self.assertEqual((f["typeFacture"], f["devise"], f["dateFacture"]), ("FACTURE", "EUR", "2026-12-10"))
        self.assertEqual(f["numeroBonCommande"], "EJ-2026-0042")

    def test_pending_and_rejected_invoices_are_not_listed(self):
        self.emu.deposit_ok(ubl("CMA34-2026-0001"))
        self.integrate(ubl("CMA34-2026-0002", buyer=UNKNOWN_BUYER))
        self.assertEqual(self.search({})["parametresRetour"]["total"], 0)

    def test_bad_paging(self):
        r = self.emu.api(RECHERCHER, {"rechercheFactureParFournisseur": {"pageResultatDemandee": 0}})
        self.assertEqual(r.status, 400)


class TestLifecycle(EmulatorTest):
    def invoice_id(self):
        self.integrate(ubl())
        return self.search({"numeroFacture": "CMA34-2026-0001"})["listeFactures"][0]["identifiantFactureCPP"]

    def historique(self, ident):
        r = self.emu.api(HISTORIQUE, {"idFacture": ident})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["codeRetour"], 0)
        return r.json()

    def test_deposee_after_integration(self):
        ident = self.invoice_id()
        h = self.historique(ident)
        self.assertEqual((h["idFacture"], h["numeroFacture"], h["statutCourantCode"]),
                         (ident, "CMA34-2026-0001", "DEPOSEE"))
        histo = h["historiquesDesStatuts"]["histoStatut"]
        self.assertEqual([s["histoStatutCode"] for s in histo], ["DEPOSEE"])
        self.assertRegex(histo[0]["histoStatutDatePassage"], r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")

    def test_control_sets_any_status_with_comment(self):
        ident = self.invoice_id()
        self.emu.ctl("POST", "/_emulator/invoice/status",
                     {"numeroFacture": "CMA34-2026-0001", "statut": "SUSPENDUE", "commentaire": "pièce manquante"})
        h = self.historique(ident)
        self.assertEqual(h["statutCourantCode"], "SUSPENDUE")
        self.assertEqual(h["historiquesDesStatuts"]["histoStatut"][-1]["histoStatutCommentaire"], "pièce manquante")
        for statut in ("A_RECYCLER", "REJETEE", "MISE_EN_PAIEMENT"):
            self.emu.ctl("POST", "/_emulator/invoice/status", {"identifiantFactureCPP": ident, "statut": statut})
            self.assertEqual(self.historique(ident)["statutCourantCode"], statut)
        self.assertEqual(self.search({})["listeFactures"][0]["statut"], "MISE_EN_PAIEMENT")

    def test_steps_along_the_main_path(self):
        ident = self.invoice_id()
        self.emu.ctl("POST", "/_emulator/invoice/status", {"identifiantFactureCPP": ident, "steps": 10})
        h = self.historique(ident)
        self.assertEqual([s["histoStatutCode"] for s in h["historiquesDesStatuts"]["histoStatut"]], LIFECYCLE)
        self.assertEqual(h["statutCourantCode"], "MISE_EN_PAIEMENT")

    def test_unknown_invoice(self):
        r = self.emu.api(HISTORIQUE, {"idFacture": 123})
        self.assertEqual(r.status, 200)
        self.assertNotEqual(r.json()["codeRetour"], 0)
        r = self.emu.control("POST", "/_emulator/invoice/status", {"numeroFacture": "nope", "statut": "DEPOSEE"})
        self.assertEqual(r.status, 404)

    def test_consulter_fournisseur(self):
        ident = self.invoice_id()
        r = self.emu.api(CONSULTER_FACTURE, {"identifiantFactureCPP": ident})
        self.assertEqual(r.status, 200)
        f = r.json()["facture"]
        self.assertEqual((f["numeroFacture"], f["statutFacture"], f["identifiantFactureCPP"]),
                         ("CMA34-2026-0001", "DEPOSEE", ident))
        self.assertEqual(f["destinataire"]["codeDestinataire"], MINERVOIS)
        self.assertEqual(f["montantTotal"]["montantTtcTotal"], 4000.0)
        self.assertEqual(f["cadreDeFacturation"]["codeCadreFacturation"], "A1_FACTURE_FOURNISSEUR")


# ---------------------------------------------------------------- structures


class TestStructures(EmulatorTest):
    def call(self, path, payload):
        r = self.emu.api("/cpro/structures/v1/" + path, payload)
        self.assertEqual(r.status, 200, r.body)
        return r.json()

    def find(self, siret):
        body = self.call("rechercher", {"structure": {"identifiantStructure": siret,
                                                      "typeIdentifiantStructure": "SIRET"},
                                        "restreindreStructuresPrivees": False,
                                        "parametres": {"nbResultatsParPage": 10, "pageResultatDemandee": 1}})
        self.assertEqual(body["codeRetour"], 0)
        return body

    def test_rechercher_by_siret(self):
        body = self.find(MINERVOIS)
        self.assertEqual(body["listeStructures"], [{"idStructureCPP": 26073617, "identifiantStructure": MINERVOIS,
                                                    "designationStructure":
                                                        "Communauté de Communes du Minervois au Caroux",
                                                    "typeIdentifiantStructure": "SIRET", "statut": "ACTIVE"}])
        self.assertEqual(body["parametresRetour"]["total"], 1)
        self.assertEqual(self.find(UNKNOWN_BUYER)["listeStructures"], [])
        self.assertEqual(self.find(BUYER_INACTIVE)["listeStructures"][0]["statut"], "INACTIVE")
        everything = self.call("rechercher", {"structure": None})
        self.assertEqual(everything["parametresRetour"]["total"], len(list(STRUCTURES.glob("*.json"))))
        by_name = self.call("rechercher", {"structure": {"raisonSocialeStructure": "minervois"}})
        self.assertEqual([s["identifiantStructure"] for s in by_name["listeStructures"]], [MINERVOIS])

    def test_consulter_parametres(self):
        expected = {MINERVOIS: (True, False, False), BUYER_EJ: (False, True, False),
                    BUYER_BOTH: (True, True, False), BUYER_EITHER: (False, False, True),
                    BUYER_NOTHING: (False, False, False)}
        for siret, flags in expected.items():
            ident = self.find(siret)["listeStructures"][0]["idStructureCPP"]
            body = self.call("consulter", {"idStructureCPP": ident, "codeLangue": "fr"})
            self.assertEqual(body["codeRetour"], 0)
            self.assertEqual(body["informationGenerales"]["identifiantStructure"], siret)
            p = body["parametres"]
            self.assertEqual((p["codeServiceDoitEtreRenseigne"], p["numeroEJDoitEtreRenseigne"],
                              p["gestionNumeroEJOuCodeService"]), flags, siret)
            self.assertEqual(len(p), 10)
        self.assertEqual(self.find(BUYER_EJ)["listeStructures"][0]["idStructureCPP"], 3100000002)
        self.assertNotEqual(self.call("consulter", {"idStructureCPP": 999})["codeRetour"], 0)

    def test_services(self):
        body = self.call("rechercher/services", {"idStructure": 26073617,
                                                 "parametresRechercherServicesStructure": {"nbResultatsParPage": 100}})
        services = {s["codeService"]: s for s in body["listeServices"]}
        self.assertEqual(set(services), {"ECO", "FACTURES_PUBLIQUES", "TRAVAUX", "ANCIEN-ECO"})
        self.assertTrue(services["ECO"]["estActif"])
        self.assertTrue(services["FACTURES_PUBLIQUES"]["estActif"])
        self.assertFalse(services["ANCIEN-ECO"]["estActif"])
        paged = self.call("rechercher/services", {"idStructure": 26073617,
                                                  "parametresRechercherServicesStructure": {"nbResultatsParPage": 3,
                                                                                            "pageResultatDemandee": 2}})
        self.assertEqual((len(paged["listeServices"]), paged["parametresRetour"]["pages"]), (1, 2))
        for code, needs_ej in (("ECO", False), ("TRAVAUX", True)):
            s = self.call("consulter/service", {"idStructure": 26073617, "idService": services[code]["idService"],
                                                "codeLangue": "fr"})
            self.assertEqual(s["codeRetour"], 0)
            self.assertEqual(s["informationsGenerales"]["codeService"], code)
            self.assertEqual(s["parametres"]["numeroEngagement"], needs_ej)
        other = self.call("consulter/service", {"idStructure": 26073617, "idService": 40001001})
        self.assertNotEqual(other["codeRetour"], 0)

    def test_fixture_sirets_pass_luhn(self):
        files = sorted(STRUCTURES.glob("*.json"))
        self.assertGreaterEqual(len(files), 7)
        for f in files:
            s = json.loads(f.read_text(encoding="utf-8"))
            self.assertTrue(re.fullmatch(r"\d{14}", s["identifiantStructure"]) and luhn_ok(s["identifiantStructure"]),
                            f.name)
        self.assertFalse(luhn_ok(UNKNOWN_BUYER[:-1] + "4"))
        self.assertTrue(luhn_ok(UNKNOWN_BUYER))


# ---------------------------------------------------------------- faults


class TestFaults(EmulatorTest):
    def fault(self, **rule):
        return self.emu.ctl("POST", "/_emulator/faults", rule)

    def test_429_with_and_without_retry_after(self):
        self.fault(route=DEPOSER, status=429, retry_after=7)
        r = self.emu.deposit(ubl())
        self.assertEqual(r.status, 429)
        self.assertEqual(r.headers["Retry-After"], "7")
        self.fault(route=DEPOSER, status=429)
        r = self.emu.deposit(ubl())
        self.assertEqual(r.status, 429)
        self.assertIsNone(r.headers["Retry-After"])
        self.assertEqual(self.emu.deposit(ubl()).status, 200)
        self.assertEqual(len(self.emu.ctl("GET", "/_emulator/fluxes")["fluxes"]), 1)

    def test_500_503_and_count(self):
        self.fault(route=DEPOSER, status=503, count=2)
        self.fault(route=DEPOSER, status=500)
        statuses = [self.emu.deposit(ubl()).status for _ in range(4)]
        self.assertEqual(statuses, [503, 503, 500, 200])

    def test_route_matching(self):
        self.fault(route=CR, status=500)
        self.assertEqual(self.emu.api(HEALTH, method="GET").status, 200)
        self.assertEqual(self.emu.api(CR, {"numeroFluxDepot": "x"}).status, 500)
        token = self.emu.token()
        self.fault(route="*", status=503)
        self.assertEqual(self.emu.api(HEALTH, method="GET", token=token).status, 503)
        self.fault(route="/cpro/structures/*", status=500)
        self.assertEqual(self.emu.api(HEALTH, method="GET", token=token).status, 200)
        self.assertEqual(self.emu.api("/cpro/structures/v1/consulter", {"idStructureCPP": 26073617},
                                      token=token).status, 500)

    def test_token_endpoint_fault(self):
        self.fault(route=TOKEN, status=503, retry_after=2)
        r = self.emu.token_request({"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                    "client_secret": self.emu.client_secret})
        self.assertEqual((r.status, r.headers["Retry-After"]), (503, "2"))
        self.emu.token()

    def test_business_errors_200_and_400(self):
        self.fault(route=DEPOSER, status=200, code_retour=20001, libelle="GDP_MSG_11.022")
        r = self.emu.deposit(ubl())
        self.assertEqual((r.status, r.json()), (200, {"codeRetour": 20001, "libelle": "GDP_MSG_11.022"}))
        self.fault(route=DEPOSER, status=400, code_retour=20003, libelle="Requête invalide")
        r = self.emu.deposit(ubl())
        self.assertEqual((r.status, r.json()), (400, {"codeRetour": 20003, "libelle": "Requête invalide"}))
        self.assertEqual(self.emu.ctl("GET", "/_emulator/fluxes")["fluxes"], [])

    def test_slow_answer(self):
        self.fault(route=CR, delay=1.0)
        started = time.monotonic()
        r = self.emu.api(CR, {"numeroFluxDepot": "x"})
        self.assertGreaterEqual(time.monotonic() - started, 1.0)
        self.assertEqual(r.status, 200)
        self.fault(route=CR, delay=1.0)
        conn = self.emu.connection(timeout=0.3)
        with self.assertRaises(TimeoutError):
            conn.request("POST", CR, body=b'{"numeroFluxDepot": "x"}',
                         headers={"Authorization": f"Bearer {self.emu.token()}", "cpro-account": self.emu.account(),
                                  "Content-Type": "application/json"})
            conn.getresponse()
        conn.close()

    def test_drop_before_body_records_nothing(self):
        self.fault(route=DEPOSER, drop="before_body")
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError, ssl.SSLError)):
            self.emu.deposit(ubl())
        self.assertEqual(self.emu.ctl("GET", "/_emulator/fluxes")["fluxes"], [])
        self.assertEqual(self.emu.deposit(ubl()).status, 200)

    def test_drop_after_body_records_the_deposit(self):
        self.fault(route=DEPOSER, drop="after_body")
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError, ssl.SSLError)):
            self.emu.deposit(ubl())
        fluxes = self.emu.ctl("GET", "/_emulator/fluxes")["fluxes"]
        self.assertEqual(len(fluxes), 1)
        self.assertEqual([i["numeroFacture"] for i in fluxes[0]["invoices"]], ["CMA34-2026-0001"])
        # a client that blindly deposits again creates a second one: what the daemon must avoid
        self.emu.deposit_ok(ubl())
        self.assertEqual(len(self.emu.ctl("GET", "/_emulator/invoices?numeroFacture=CMA34-2026-0001")["invoices"]), 2)
        req = self.emu.ctl("GET", "/_emulator/requests?path=" + DEPOSER)["requests"]
        self.assertEqual([r["status"] for r in req], [None, 200])
        self.assertEqual(req[0]["fault"]["drop"], "after_body")

    def test_lost_answer_then_integrated_later_on_its_own(self):
        # The platform accepts the flux, the answer is lost, and the flux is
        # integrated later without anyone moving it (auto_advance is 0 here):
        # invisible to the search until then, found afterwards.
        self.fault(route=DEPOSER, drop="after_body", integrate_after=0.5)
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError, ssl.SSLError)):
            self.emu.deposit(ubl())
        fluxes = self.emu.ctl("GET", "/_emulator/fluxes")["fluxes"]
        self.assertEqual(len(fluxes), 1)
        numero = fluxes[0]["numeroFluxDepot"]
        self.assertEqual(self.emu.cr(numero)["etatCourantDepotFlux"], PENDING[0])
        since = (date.today() - timedelta(days=1)).isoformat()
        query = {"numeroFacture": "CMA34-2026-0001", "periodeDateDepotDu": since}
        self.assertEqual(self.search(query)["listeFactures"], [])
        for _ in range(60):
            if self.emu.cr(numero)["etatCourantDepotFlux"] == "IN_INTEGRE":
                break
            time.sleep(0.05)
        self.assertEqual(self.emu.cr(numero)["etatCourantDepotFlux"], "IN_INTEGRE")
        found = self.search(query)["listeFactures"]
        self.assertEqual([(f["numeroFacture"], f["numeroFluxDepot"]) for f in found],
                         [("CMA34-2026-0001", numero)])

    def test_integrate_after_waits_even_with_auto_advance(self):
        self.emu.ctl("POST", "/_emulator/config", {"auto_advance": 0.05})
        self.fault(route=DEPOSER, integrate_after=1.0)
        held = self.emu.deposit_ok(ubl())
        other = self.emu.deposit_ok(ubl(number="CMA34-2026-0002"))
        time.sleep(0.6)
        self.assertEqual(self.emu.cr(other)["etatCourantDepotFlux"], "IN_INTEGRE")
        self.assertEqual(self.emu.cr(held)["etatCourantDepotFlux"], PENDING[0])
        time.sleep(0.7)
        self.assertEqual(self.emu.cr(held)["etatCourantDepotFlux"], "IN_INTEGRE")

    def test_processed_then_gateway_error(self):
        # A 502 after the platform accepted the flux: the deposit is recorded.
        self.fault(route=DEPOSER, status=502, processed=True)
        self.assertEqual(self.emu.deposit(ubl()).status, 502)
        fluxes = self.emu.ctl("GET", "/_emulator/fluxes")["fluxes"]
        self.assertEqual([i["numeroFacture"] for f in fluxes for i in f["invoices"]], ["CMA34-2026-0001"])
        # without "processed" nothing is recorded
        self.fault(route=DEPOSER, status=502)
        self.assertEqual(self.emu.deposit(ubl(number="CMA34-2026-0002")).status, 502)
        self.assertEqual(len(self.emu.ctl("GET", "/_emulator/fluxes")["fluxes"]), 1)

    def test_expire_token_fault(self):
        token = self.emu.token()
        self.fault(route=HEALTH, expire_token=True)
        r = self.emu.api(HEALTH, method="GET", token=token)
        self.assertEqual(r.status, 401)
        self.assertTrue(r.headers["WWW-Authenticate"].startswith('Bearer realm="PISTE"'))
        self.assertEqual(self.emu.api(HEALTH, method="GET", token=token).status, 401)
        self.assertEqual(self.emu.api(HEALTH, method="GET").status, 200)

    def test_header_bytes_pads_the_answer(self):
        # Under http.client's own 64 KiB line limit; chorusd is tested with more.
        self.fault(route=HEALTH, header_bytes=50000)
        r = self.emu.api(HEALTH, method="GET")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers["X-Emulator-Padding"], "a" * 50000)
        self.assertIn("statusCode", r.json())
        self.fault(route=HEALTH, status=503, header_bytes=10)
        r = self.emu.api(HEALTH, method="GET")
        self.assertEqual((r.status, r.headers["X-Emulator-Padding"]), (503, "a" * 10))
        self.assertIsNone(self.emu.api(HEALTH, method="GET").headers["X-Emulator-Padding"])

    def test_list_and_clear(self):
        self.fault(route=DEPOSER, status=500, count=3)
        self.emu.deposit(ubl())
        faults = self.emu.ctl("GET", "/_emulator/faults")["faults"]
        self.assertEqual([(f["route"], f["count"], f["status"]) for f in faults], [(DEPOSER, 2, 500)])
        self.emu.ctl("DELETE", "/_emulator/faults")
        self.assertEqual(self.emu.ctl("GET", "/_emulator/faults")["faults"], [])
        self.assertEqual(self.emu.deposit(ubl()).status, 200)

    def test_invalid_fault_rules(self):
        for rule in ({"status": 500}, {"route": DEPOSER}, {"route": DEPOSER, "drop": "sometimes"},
                     {"route": DEPOSER, "status": 99}, {"route": DEPOSER, "status": 500, "colour": "red"},
                     {"route": "/_emulator/reset", "status": 500}, {"route": DEPOSER, "status": 500, "count": 0},
                     {"route": DEPOSER, "header_bytes": 0}, {"route": DEPOSER, "header_bytes": "big"},
                     {"route": DEPOSER, "processed": True}, {"route": DEPOSER, "status": 502, "processed": 1},
                     {"route": DEPOSER, "integrate_after": -1},
                     {"route": DEPOSER, "integrate_after": 1, "drop": "before_body"},
                     {"route": DEPOSER, "integrate_after": 1, "status": 500}):
            self.assertEqual(self.emu.control("POST", "/_emulator/faults", rule).status, 400, rule)


# ---------------------------------------------------------------- control API


class TestControlApi(EmulatorTest):
    def test_token_required(self):
        for path in ("/_emulator/fluxes", "/_emulator/requests", "/_emulator/faults"):
            self.assertEqual(self.emu.request("GET", path).status, 403)
            self.assertEqual(self.emu.request("GET", path, headers={"X-Emulator-Token": "wrong"}).status, 403)
        r = self.emu.request("POST", "/_emulator/reset", b"{}", {"X-Emulator-Token": self.emu.control_token[:-1]})
        self.assertEqual(r.status, 403)
        self.assertEqual(self.emu.request("GET", "/_emulator/health").status, 200)
        self.assertEqual(self.emu.control("GET", "/_emulator/nope").status, 404)

    def test_requests_are_recorded_without_secrets(self):
        token = self.emu.token()
        numero = self.emu.deposit_ok(ubl(), token=token)
        self.emu.api(HEALTH, method="GET", token="bogus")
        reqs = self.emu.ctl("GET", "/_emulator/requests")["requests"]
        self.assertEqual([r["path"] for r in reqs], [TOKEN, DEPOSER, HEALTH])
        self.assertEqual([r["seq"] for r in reqs], [1, 2, 3])
        tok, dep, health = reqs
        self.assertEqual(tok["body"]["client_secret"], "<redacted>")
        self.assertEqual(tok["body"]["client_id"], CLIENT_ID)
        self.assertEqual(dep["headers"]["Authorization"], "<redacted>")
        self.assertEqual(dep["headers"]["cpro-account"], "<redacted>")
        self.assertTrue(dep["bearer_valid"])
        self.assertEqual(dep["technical_login"], TECH_LOGIN)
        content = ubl()
        self.assertEqual(dep["body"]["fichierFlux"]["length"], len(content))
        self.assertEqual(dep["body"]["fichierFlux"]["sha256"], hashlib.sha256(content).hexdigest())
        self.assertEqual(dep["body"]["syntaxeFlux"], UBL_SYNTAX)
        self.assertEqual((dep["status"], dep["method"]), (200, "POST"))
        self.assertFalse(health["bearer_valid"])
        self.assertEqual(health["status"], 401)
        dump = json.dumps(reqs)
        for secret in (self.emu.client_secret, self.emu.tech_password, token, self.emu.control_token):
            self.assertNotIn(secret, dump)
        only = self.emu.ctl("GET", "/_emulator/requests?path=/cpro/factures")["requests"]
        self.assertEqual([r["path"] for r in only], [DEPOSER])
        flux = self.emu.ctl("GET", "/_emulator/fluxes")["fluxes"][0]
        self.assertEqual((flux["numeroFluxDepot"], flux["size"], flux["sha256"], flux["nomFichier"]),
                         (numero, len(content), hashlib.sha256(content).hexdigest(), "facture.xml"))

    def test_exactly_one_deposit_of_a_number(self):
        self.emu.deposit_ok(ubl("CMA34-2026-0001"))
        self.emu.deposit_ok(ubl("CMA34-2026-0002"))
        inv = self.emu.ctl("GET", "/_emulator/invoices?numeroFacture=CMA34-2026-0001")["invoices"]
        self.assertEqual(len(inv), 1)
        self.assertEqual((inv[0]["integrated"], inv[0]["identifiantFactureCPP"], inv[0]["statut"]),
                         (False, None, None))
        self.assertEqual(len(self.emu.ctl("GET", "/_emulator/invoices")["invoices"]), 2)

    def test_flux_listing_after_integration(self):
        numero, _ = self.integrate(ubl())
        flux = self.emu.ctl("GET", "/_emulator/fluxes")["fluxes"][0]
        self.assertEqual((flux["etat"], flux["syntaxeFlux"], flux["dateDepot"]),
                         ("IN_INTEGRE", UBL_SYNTAX, date.today().isoformat()))
        inv = flux["invoices"][0]
        self.assertEqual((inv["numeroFacture"], inv["supplier_siret"], inv["buyer_siret"], inv["service_code"],
                          inv["engagement"], inv["montantTTC"], inv["montantAPayer"], inv["statut"]),
                         ("CMA34-2026-0001", SUPPLIER, MINERVOIS, "ECO", "EJ-2026-0042", 4000.0, 4000.0, "DEPOSEE"))
        self.assertEqual([h["histoStatutCode"] for h in inv["history"]], ["DEPOSEE"])

    def test_reset_forgets_everything_but_numbering(self):
        token = self.emu.token()
        first = self.emu.deposit_ok(ubl(), token=token)
        self.emu.ctl("POST", "/_emulator/faults", {"route": DEPOSER, "status": 500, "count": 5})
        self.emu.ctl("POST", "/_emulator/config", {"token_lifetime": 5})
        self.emu.reset()
        self.assertEqual(self.emu.ctl("GET", "/_emulator/fluxes")["fluxes"], [])
        self.assertEqual(self.emu.ctl("GET", "/_emulator/faults")["faults"], [])
        self.assertEqual(self.emu.ctl("GET", "/_emulator/requests")["requests"], [])
        self.assertEqual(self.emu.ctl("GET", "/_emulator/config")["token_lifetime"], 3600)
        self.assertEqual(self.emu.api(HEALTH, method="GET", token=token).status, 401)
        second = self.emu.deposit_ok(ubl())
        self.assertNotEqual(first, second)

    def test_invalid_config(self):
        for payload in ({"token_lifetime": 0}, {"auto_advance": -1}, {"max_flux_size": "big"}, {"colour": 1}):
            self.assertEqual(self.emu.control("POST", "/_emulator/config", payload).status, 400, payload)
        self.assertEqual(self.emu.control("POST", "/_emulator/flux/advance", {"to": "IN_NIMPORTE"}).status, 400)


# ---------------------------------------------------------------- scripts/with-emulator


class TestWithEmulator(unittest.TestCase):
    PROBE = r"""
import base64, http.client, json, os, ssl, sys, urllib.parse
env = os.environ
names = ["CHORUS_EMULATOR_URL", "CHORUS_EMULATOR_CA", "CHORUS_EMULATOR_DIR", "CHORUS_EMULATOR_CONTROL_TOKEN",
         "CHORUS_EMULATOR_CLIENT_ID", "CHORUS_EMULATOR_CLIENT_SECRET_FILE", "CHORUS_EMULATOR_TECH_LOGIN",
         "CHORUS_EMULATOR_TECH_PASSWORD_FILE", "CHORUS_EMULATOR_SUPPLIER_SIRET"]
missing = [n for n in names if not env.get(n)]
assert not missing, missing
for n in ("CHORUS_EMULATOR_CLIENT_SECRET_FILE", "CHORUS_EMULATOR_TECH_PASSWORD_FILE"):
    assert os.stat(env[n]).st_mode & 0o077 == 0, n
url = urllib.parse.urlsplit(env["CHORUS_EMULATOR_URL"])
assert url.scheme == "https" and url.hostname == "127.0.0.1", url
ctx = ssl.create_default_context(cafile=env["CHORUS_EMULATOR_CA"])
secret = open(env["CHORUS_EMULATOR_CLIENT_SECRET_FILE"]).read().strip()
password = open(env["CHORUS_EMULATOR_TECH_PASSWORD_FILE"]).read().strip()
c = http.client.HTTPSConnection(url.hostname, url.port, context=ctx, timeout=10)
c.request("POST", "/api/oauth/token", urllib.parse.urlencode({"grant_type": "client_credentials",
          "client_id": env["CHORUS_EMULATOR_CLIENT_ID"], "client_secret": secret}),
          {"Content-Type": "application/x-www-form-urlencoded"})
answer = json.loads(c.getresponse().read())
token = answer["access_token"]
if env.get("EXPECT_LIFETIME"):
    assert answer["expires_in"] == int(env["EXPECT_LIFETIME"]), answer
account = base64.b64encode(f"{env['CHORUS_EMULATOR_TECH_LOGIN']}:{password}".encode()).decode()
c.request("GET", "/cpro/transverses/v1/health-check", headers={"Authorization": "Bearer " + token,
          "cpro-account": account})
assert c.getresponse().read() and True
c.request("GET", "/_emulator/fluxes", headers={"X-Emulator-Token": env["CHORUS_EMULATOR_CONTROL_TOKEN"]})
r = c.getresponse(); r.read()
assert r.status == 200, r.status
print(url.port)
sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
"""

    def run_wrapped(self, *args, env=None):
        e = dict(os.environ)
        e.update(env or {})
        return subprocess.run([str(WITH_EMULATOR), sys.executable, "-c", self.PROBE, *args],
                              capture_output=True, text=True, timeout=60, env=e)

    def test_runs_command_with_environment_and_stops_emulator(self):
        p = self.run_wrapped()
        self.assertEqual(p.returncode, 0, p.stderr)
        port = int(p.stdout.strip().splitlines()[-1])
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()

    def test_propagates_failure_and_shows_log_tail(self):
        p = self.run_wrapped("3")
        self.assertEqual(p.returncode, 3)
        self.assertIn("/_emulator/fluxes", p.stderr)

    def test_extra_emulator_arguments(self):
        p = self.run_wrapped(env={"CHORUS_EMULATOR_ARGS": "--token-lifetime 77 --not-subscribed /cpro/structures",
                                  "EXPECT_LIFETIME": "77"})
        self.assertEqual(p.returncode, 0, p.stderr)


if __name__ == "__main__":
    unittest.main()
