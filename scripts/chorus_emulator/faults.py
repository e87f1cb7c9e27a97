"""Scripted failures (POST /_emulator/faults), consumed by the calls they match."""

from .common import CODE_BAD_REQUEST, Reply, WWW_AUTH_MISSING, is_int


class FaultInjector:
    """Scripted failures, consumed in order by the calls they match.

    The client's retry, backoff, Retry-After, renewal and exactly-once
    logic can only be tested against failures that happen on cue.
    """

    KEYS = {"route", "count", "status", "retry_after", "delay", "drop", "code_retour", "libelle", "body",
            "expire_token", "header_bytes", "processed", "integrate_after"}
    HEADER_BYTES_MAX = 16 * 1024 * 1024

    def __init__(self, lock):
        self._lock = lock
        self._rules = []
        self._next_id = 0

    def add(self, rule):
        """Validate and append a rule; returns it, or raises ValueError."""
        if not isinstance(rule, dict):
            raise ValueError("a fault rule is a JSON object")
        unknown = set(rule) - self.KEYS
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)}")
        r = dict(rule)
        route = r.get("route")
        if not isinstance(route, str) or not (route == "*" or route.startswith("/")):
            raise ValueError('"route" is required: a path, a prefix ending with "*", or "*"')
        if route.startswith("/_emulator"):
            raise ValueError("control routes cannot be faulted")
        r["count"] = r.get("count", 1)
        if not is_int(r["count"]) or r["count"] < 1:
            raise ValueError('"count" must be an integer >= 1')
        if "status" in r and not (is_int(r["status"]) and 100 <= r["status"] <= 599):
            raise ValueError('"status" must be an HTTP status (100-599)')
        if "retry_after" in r and not (isinstance(r["retry_after"], str) or
                                       (is_int(r["retry_after"]) and r["retry_after"] >= 0)):
            raise ValueError('"retry_after" must be seconds (integer) or an HTTP date string')
        if "delay" in r and (not isinstance(r["delay"], (int, float)) or isinstance(r["delay"], bool)
                             or not 0 <= r["delay"] <= 600):
            raise ValueError('"delay" must be a number of seconds between 0 and 600')
        if "drop" in r and r["drop"] not in ("before_body", "after_body"):
            raise ValueError('"drop" must be "before_body" or "after_body"')
        if "code_retour" in r and not is_int(r["code_retour"]):
            raise ValueError('"code_retour" must be an integer')
        if "libelle" in r and not isinstance(r["libelle"], str):
            raise ValueError('"libelle" must be a string')
        if "expire_token" in r and not isinstance(r["expire_token"], bool):
            raise ValueError('"expire_token" must be a boolean')
        if "header_bytes" in r and not (is_int(r["header_bytes"]) and 1 <= r["header_bytes"] <= self.HEADER_BYTES_MAX):
            raise ValueError(f'"header_bytes" must be an integer from 1 to {self.HEADER_BYTES_MAX}')
        if "processed" in r and (not isinstance(r["processed"], bool) or "status" not in r):
            raise ValueError('"processed" is a boolean, and goes with "status"')
        if "integrate_after" in r and (not isinstance(r["integrate_after"], (int, float))
                                       or isinstance(r["integrate_after"], bool)
                                       or not 0 <= r["integrate_after"] <= 3600):
            raise ValueError('"integrate_after" must be a number of seconds between 0 and 3600')
        if "integrate_after" in r and (r.get("drop") == "before_body" or
                                       ("status" in r and not r.get("processed"))):
            raise ValueError('"integrate_after" needs a processed request (no drop before_body, '
                             'no status without processed)')
        if "body" in r and ("code_retour" in r or "libelle" in r):
            raise ValueError('"body" replaces code_retour and libelle: give one or the other')
        if ("code_retour" in r or "libelle" in r or "body" in r) and "status" not in r:
            r["status"] = 200
        if not any(k in r for k in ("status", "delay", "drop", "expire_token", "header_bytes", "integrate_after")):
            raise ValueError("a fault needs at least one of status, delay, drop, expire_token, header_bytes, "
                             "integrate_after")
        with self._lock:
            self._next_id += 1
            r["id"] = self._next_id
            self._rules.append(r)
        return dict(r)

    @staticmethod
    def _matches(route, path):
        if route == "*":
            return True
        if route.endswith("*"):
            return path.startswith(route[:-1])
        return route == path

    def take(self, path):
        """The first rule matching path, with its count decremented, or None."""
        with self._lock:
            for r in self._rules:
                if self._matches(r["route"], path):
                    r["count"] -= 1
                    if r["count"] <= 0:
                        self._rules.remove(r)
                    applied = dict(r)
                    applied.pop("count")
                    return applied
        return None

    def list(self):
        with self._lock:
            return [dict(r) for r in self._rules]

    def clear(self):
        with self._lock:
            self._rules.clear()

    @staticmethod
    def reply(fault):
        headers = {}
        if "retry_after" in fault:
            headers["Retry-After"] = str(fault["retry_after"])
        status = fault["status"]
        if status == 401:
            headers["WWW-Authenticate"] = WWW_AUTH_MISSING
        body = None
        if "body" in fault:
            body = fault["body"]
        elif "code_retour" in fault or "libelle" in fault or status in (200, 400):
            body = {"codeRetour": fault.get("code_retour", CODE_BAD_REQUEST),
                    "libelle": fault.get("libelle", "Erreur simulée par l'émulateur")}
        return Reply(status, body, headers)
