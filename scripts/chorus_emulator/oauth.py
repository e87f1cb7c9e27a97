"""PISTE OAuth2: the access tokens and the token endpoint (client_credentials)."""

import hmac
import secrets
import time
import urllib.parse

from .common import Reply


class TokenStore:
    """PISTE access tokens: opaque, random, each with its own expiry.

    Tokens must really expire so the client's renewal (240 s margin, retry
    once on 401) can be tested; the control API can expire them all at once.
    """

    def __init__(self, lock):
        self._lock = lock
        self._expiry = {}

    def issue(self, lifetime):
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._expiry[token] = time.monotonic() + lifetime
        return token

    def check(self, token):
        """'valid', 'expired', 'unknown' or 'missing'."""
        if not token:
            return "missing"
        with self._lock:
            exp = self._expiry.get(token)
        if exp is None:
            return "unknown"
        return "valid" if time.monotonic() < exp else "expired"

    def expire(self, token):
        with self._lock:
            if token in self._expiry:
                self._expiry[token] = time.monotonic() - 1

    def expire_all(self):
        with self._lock:
            past = time.monotonic() - 1
            for t in self._expiry:
                self._expiry[t] = past

    def clear(self):
        with self._lock:
            self._expiry.clear()


class OAuthRoutes:
    """POST /api/oauth/token, a part of ChorusApi (self.emu is the Emulator)."""

    def token(self, headers, body):
        def oauth_error(error, description):
            return Reply(400, {"error": error, "error_description": description},
                         {"Cache-Control": "no-store", "Pragma": "no-cache"})

        ctype = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            return oauth_error("invalid_request", "Content-Type must be application/x-www-form-urlencoded")
        try:
            form = urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
        except (UnicodeDecodeError, ValueError):
            return oauth_error("invalid_request", "malformed form body")
        field = lambda k: form.get(k, [None])[0]  # noqa: E731
        if any(len(v) > 1 for v in form.values()):
            return oauth_error("invalid_request", "repeated parameter")
        if field("grant_type") != "client_credentials":
            return oauth_error("unsupported_grant_type", "only client_credentials is supported")
        cid, secret = field("client_id") or "", field("client_secret") or ""
        emu = self.emu
        if not (hmac.compare_digest(cid.encode(), emu.client_id.encode())
                and hmac.compare_digest(secret.encode(), emu.client_secret.encode())):
            return oauth_error("invalid_client", "Client authentication failed")
        scope = field("scope")
        if scope is not None and "openid" not in scope.split():
            return oauth_error("invalid_scope", "scope must contain openid")
        lifetime = emu.config.token_lifetime
        return Reply(200, {"access_token": emu.tokens.issue(lifetime), "token_type": "Bearer",
                           "expires_in": lifetime, "scope": scope or "openid"},
                     {"Cache-Control": "no-store", "Pragma": "no-cache"})
