"""The emulator's shared state, its lock, its request log and its runtime configuration."""

import base64
import binascii
import dataclasses
import hashlib
import hmac
import json
import threading
import urllib.parse

from .common import iso, now_local
from .control import ControlApi
from .faults import FaultInjector
from .oauth import TokenStore
from .routes import ChorusApi
from .state import FluxStore


class RequestLog:
    """Every API request received, secrets redacted, for test assertions."""

    REDACTED = "<redacted>"

    def __init__(self, lock):
        self._lock = lock
        self._entries = []

    def begin(self, method, path, headers):
        entry = {"seq": 0, "time": iso(now_local()), "method": method, "path": path,
                 "headers": self.redact_headers(headers), "bearer_valid": False,
                 "technical_login": None, "body": None, "status": None, "fault": None}
        with self._lock:
            entry["seq"] = len(self._entries) + 1
            self._entries.append(entry)
        return entry

    def update(self, entry, **fields):
        with self._lock:
            entry.update(fields)

    def list(self, prefix=None):
        with self._lock:
            return [json.loads(json.dumps(e)) for e in self._entries
                    if prefix is None or e["path"].startswith(prefix)]

    def clear(self):
        with self._lock:
            self._entries.clear()

    @classmethod
    def redact_headers(cls, headers):
        out = {}
        for k, v in headers.items():
            if k.lower() in ("authorization", "cpro-account", "x-emulator-token", "cookie"):
                v = cls.REDACTED
            out[k] = f"{out[k]}, {v}" if k in out else v
        return out

    @staticmethod
    def _summarize_file(obj, key):
        """A base64 file (a flux, a completer attachment) replaced by its size and hash."""
        b64 = obj.get(key)
        if not isinstance(b64, str):
            return
        try:
            raw = base64.b64decode(b64, validate=True)
            obj[key] = {"length": len(raw), "sha256": hashlib.sha256(raw).hexdigest(), "base64_length": len(b64)}
        except (binascii.Error, ValueError):
            obj[key] = {"base64_length": len(b64), "invalid_base64": True}

    @classmethod
    def summarize_body(cls, content_type, body):
        """JSON parsed (fichierFlux replaced by its size and hash), forms redacted."""
        if not body:
            return None
        ctype = (content_type or "").split(";")[0].strip().lower()
        if ctype == "application/x-www-form-urlencoded":
            try:
                form = urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True)
            except UnicodeDecodeError:
                return {"length": len(body)}
            return {k: (cls.REDACTED if k in ("client_secret", "password") else v[0] if len(v) == 1 else v)
                    for k, v in form.items()}
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            if len(body) <= 2000:
                return body.decode("utf-8", errors="replace")
            return {"length": len(body), "sha256": hashlib.sha256(body).hexdigest()}
        if isinstance(data, dict):
            cls._summarize_file(data, "fichierFlux")
            pjs = data.get("listePiecesJointes")
            for pj in pjs if isinstance(pjs, list) else []:
                if isinstance(pj, dict):
                    cls._summarize_file(pj, "pieceJointeFichier")
        return data


@dataclasses.dataclass
class RuntimeConfig:
    token_lifetime: int
    auto_advance: float
    max_flux_size: int
    not_subscribed: list
    correction_lag: float = 0.0  # s: completer/recycler act at once, the status shows it this late


class Emulator:
    """Owns the shared state and its single lock; the APIs work on it."""

    def __init__(self, args, structures, secrets_):
        self.lock = threading.RLock()
        self.args = args
        self.client_id = args.client_id
        self.client_secret = secrets_["client_secret"]
        self.technical_login = args.technical_login
        self.technical_password = secrets_["technical_password"]
        self.control_token = secrets_.get("control_token")
        self.structures = structures
        self.config = self.initial_config()
        self.tokens = TokenStore(self.lock)
        self.fluxes = FluxStore(self.lock, structures, args.supplier_siret)
        self.faults = FaultInjector(self.lock)
        self.requests = RequestLog(self.lock)
        self.api = ChorusApi(self)
        self.control = ControlApi(self)
        self._log = open(args.log, "a", encoding="utf-8", buffering=1) if args.log else None
        self._stop = threading.Event()

    def initial_config(self):
        a = self.args
        return RuntimeConfig(a.token_lifetime, a.auto_advance, a.max_flux_size, list(a.not_subscribed or []))

    def reset(self):
        with self.lock:
            self.fluxes.clear()
            self.requests.clear()
            self.faults.clear()
            self.tokens.clear()
            self.config = self.initial_config()

    def log(self, line):
        if self._log:
            with self.lock:
                self._log.write(f"{iso(now_local())} {line}\n")

    def start_ticker(self):
        threading.Thread(target=self._tick, name="auto-advance", daemon=True).start()

    def stop(self):
        self._stop.set()

    def _tick(self):
        while not self._stop.wait(0.05):
            self.fluxes.release_held()
            self.fluxes.release_lagging()
            pace = self.config.auto_advance
            if pace > 0:
                self.fluxes.auto_step(pace)

    # -- credentials
    @staticmethod
    def bearer_of(headers):
        auth = headers.get("Authorization") or ""
        scheme, _, token = auth.partition(" ")
        return token.strip() if scheme.lower() == "bearer" else None

    def account_login(self, headers):
        """(login, password_ok) from cpro-account; (None, False) if unreadable."""
        value = (headers.get("cpro-account") or "").strip()
        try:
            text = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return None, False
        login, sep, password = text.partition(":")
        if not value or not sep:
            return None, False
        good = hmac.compare_digest(login.encode(), self.technical_login.encode()) and \
            hmac.compare_digest(password.encode(), self.technical_password.encode())
        return login, good
