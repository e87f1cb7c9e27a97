"""The command line and the transport: TLS, --port-file, --host, --http,
signals, separate processes (cli, tls, server), and scripts/with-emulator."""

import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

from emulator_harness import (  # noqa: F401 (module fixture)
    EMULATOR, HEALTH, LIFECYCLE, MINERVOIS, WITH_EMULATOR, EmulatorProcess, EmulatorTest, ubl,
    setUpModule, tearDownModule)


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
