"""The throw-away CA and server certificate the emulator serves HTTPS with."""

import fcntl
import os
import secrets
import ssl
import subprocess
import tempfile
from pathlib import Path

from .common import StartupError


class TlsMaterial:
    """Throw-away CA and server certificate, made with the openssl CLI.

    The emulator must speak real HTTPS so the C client's certificate checks
    are exercised, yet nothing may be fetched: openssl is always there.  The
    files are reused while valid (idempotent), and a lock file keeps two
    emulators started together from mixing their pairs.
    """

    FILES = ("ca.pem", "ca.key", "server.pem", "server.key")
    VALID_DAYS = 5

    def __init__(self, directory):
        self.dir = Path(directory)

    def path(self, name):
        return self.dir / name

    def ensure(self):
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        with open(self.dir / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not self._usable():
                self._generate()

    def _openssl(self, *args, cwd=None):
        try:
            subprocess.run(["openssl", *args], cwd=cwd, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        except FileNotFoundError:
            raise StartupError("the openssl command is needed to make the test certificates")
        except subprocess.CalledProcessError as e:
            raise StartupError(f"openssl {args[0]} failed: {e.stderr.decode(errors='replace').strip()}")

    def _usable(self):
        if not all(self.path(f).is_file() for f in self.FILES):
            return False
        try:
            for cert in ("ca.pem", "server.pem"):
                self._openssl("x509", "-noout", "-checkend", "86400", "-in", str(self.path(cert)))
            self._openssl("verify", "-CAfile", str(self.path("ca.pem")), str(self.path("server.pem")))
        except StartupError:
            return False
        return True

    def _generate(self):
        old_umask = os.umask(0o077)
        try:
            with tempfile.TemporaryDirectory(dir=self.dir) as tmp:
                days = str(self.VALID_DAYS)
                ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
                self._openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem",
                              "-days", days, "-sha256",
                              "-subj", "/CN=chorusd emulator throw-away CA",
                              "-addext", "basicConstraints=critical,CA:TRUE",
                              "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=tmp)
                self._openssl("req", "-new", *ec, "-keyout", "server.key", "-out", "server.csr",
                              "-subj", "/CN=localhost", cwd=tmp)
                Path(tmp, "ext.cnf").write_text(
                    "[v3]\n"
                    "basicConstraints=critical,CA:FALSE\n"
                    "keyUsage=critical,digitalSignature,keyEncipherment\n"
                    "extendedKeyUsage=serverAuth\n"
                    "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n"
                    "subjectKeyIdentifier=hash\n"
                    "authorityKeyIdentifier=keyid,issuer\n")
                self._openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                              "-set_serial", "0x" + secrets.token_hex(16), "-days", days, "-sha256",
                              "-extfile", "ext.cnf", "-extensions", "v3", "-out", "server.pem", cwd=tmp)
                for name in self.FILES:
                    os.chmod(Path(tmp, name), 0o600 if name.endswith(".key") else 0o644)
                    os.replace(Path(tmp, name), self.path(name))
        finally:
            os.umask(old_umask)

    def server_context(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(str(self.path("server.pem")), str(self.path("server.key")))
        return ctx
