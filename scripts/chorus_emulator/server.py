"""HTTP plumbing: the threaded server and the request handler (TLS handshake,
body reading, faults, recording)."""

import http.server
import itertools
import socket
import socketserver
import ssl
import sys
import time
import traceback
import urllib.parse

from .common import Reply
from .emulator import RequestLog
from .faults import FaultInjector


class BodyError(Exception):
    def __init__(self, status):
        super().__init__(status)
        self.status = status


class Handler(http.server.BaseHTTPRequestHandler):
    """HTTP plumbing: TLS handshake, body reading, faults, recording."""

    protocol_version = "HTTP/1.1"
    server_version = "chorus-emulator"
    sys_version = ""
    timeout = 120
    disable_nagle_algorithm = True

    def setup(self):
        super().setup()
        self._dropped = False
        self._broken = False
        self._resumed = False
        # Which connection a request came on, and whether its TLS handshake
        # resumed a session: tests check that look-ups reuse connections and
        # a deposit has a fresh one (issue 14).
        self._connection_id = next(self.server.connection_ids)
        if isinstance(self.connection, ssl.SSLSocket):
            try:
                self.connection.do_handshake()
                self._resumed = self.connection.session_reused
            except (ssl.SSLError, OSError):
                self._broken = True

    def handle(self):
        if self._broken:
            return
        try:
            super().handle()
        except (ConnectionError, ssl.SSLError, TimeoutError, OSError):
            pass

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, fmt, *args):  # the emulator keeps its own log
        pass

    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    @property
    def emu(self):
        return self.server.emu

    def _read_body(self):
        limit = self.emu.config.max_flux_size * 3 + (1 << 20)
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(1024)
                try:
                    size = int(line.split(b";")[0].strip(), 16)
                except ValueError:
                    raise BodyError(400)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > limit:
                    raise BodyError(413)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(8)
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        if not length.strip().isdigit():
            raise BodyError(400)
        n = int(length)
        if n > limit:
            raise BodyError(413)
        data = self.rfile.read(n)
        if len(data) < n:
            raise ConnectionError("short body")
        return data

    def _send(self, reply):
        body, ctype = reply.encode()
        self.send_response(reply.status)
        for k, v in reply.headers.items():
            self.send_header(k, v)
        if ctype and "Content-Type" not in reply.headers:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def _drop(self):
        """Close without answering (no TLS close_notify): a lost answer."""
        self.close_connection = True
        self._dropped = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _dispatch(self):
        try:
            self._route()
        except (ConnectionError, ssl.SSLError, TimeoutError):
            raise
        except Exception as e:  # an emulator bug: make it loud, never a silent hang-up
            traceback.print_exc()
            self.emu.log(f"{self.command} {self.path.split('?')[0]} internal error {e.__class__.__name__}")
            if not self._dropped:
                self.close_connection = True
                try:
                    self._send(Reply(500, {"error": f"chorus-emulator internal error: {e.__class__.__name__}"}))
                except OSError:
                    pass

    def _route(self):
        started = time.monotonic()
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/_emulator" or url.path.startswith("/_emulator/"):
            try:
                body = self._read_body()
            except BodyError as e:
                self.close_connection = True
                self._send(Reply(e.status))
                return
            reply = self.emu.control.handle(self.command, url.path, url.query, self.headers, body)
            self._send(reply)
            self.emu.log(f"{self.command} {url.path} {reply.status} control {self._ms(started)}ms")
            return
        self._api(url.path, started)

    @staticmethod
    def _ms(started):
        return int((time.monotonic() - started) * 1000)

    def _hold(self, fault, reply):
        """An "integrate_after" fault holds the flux the deposit created."""
        if fault and "integrate_after" in fault and reply.status == 200 and isinstance(reply.body, dict) \
                and reply.body.get("numeroFluxDepot"):
            self.emu.fluxes.hold(reply.body["numeroFluxDepot"], fault["integrate_after"])

    def _api(self, path, started):
        emu = self.emu
        fault = emu.faults.take(path)
        entry = emu.requests.begin(self.command, path, self.headers)
        emu.requests.update(entry, connection=self._connection_id, tls_resumed=self._resumed)
        status, note = None, ""
        if fault:
            emu.requests.update(entry, fault=fault)
            note = " fault=" + ",".join(f"{k}:{v}" for k, v in fault.items() if k not in ("libelle", "body", "route"))
        try:
            if fault and fault.get("drop") == "before_body":
                self._drop()
                return
            try:
                body = self._read_body()
            except BodyError as e:
                self.close_connection = True
                status = e.status
                self._send(Reply(e.status))
                return
            emu.requests.update(entry, body=RequestLog.summarize_body(self.headers.get("Content-Type"), body))
            if fault and fault.get("delay"):
                time.sleep(fault["delay"])
            if fault and fault.get("expire_token"):
                emu.tokens.expire(emu.bearer_of(self.headers))
            login, _ = emu.account_login(self.headers)
            emu.requests.update(entry, bearer_valid=emu.tokens.check(emu.bearer_of(self.headers)) == "valid",
                                technical_login=login)
            if fault and "status" in fault and "drop" not in fault:
                if fault.get("processed"):
                    self._hold(fault, emu.api.handle(self.command, path, self.headers, body))
                reply = FaultInjector.reply(fault)
            else:
                reply = emu.api.handle(self.command, path, self.headers, body)
                self._hold(fault, reply)
            if fault and fault.get("drop") == "after_body":
                self._drop()
                return
            if fault and "header_bytes" in fault:
                reply.headers["X-Emulator-Padding"] = "a" * fault["header_bytes"]
            status = reply.status
            self._send(reply)
        finally:
            emu.requests.update(entry, status=status)
            emu.log(f"{self.command} {path} {status if status is not None else 'DROPPED'}{note} "
                    f"{self._ms(started)}ms")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 64

    def __init__(self, address, emu, family):
        self.address_family = family
        self.emu = emu
        self.connection_ids = itertools.count(1)
        super().__init__(address, Handler)

    def server_bind(self):
        # HTTPServer.server_bind would do a reverse DNS lookup (getfqdn).
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address):
        self.emu.log(f"connection error from {client_address[0]}: {sys.exc_info()[1]!r}")
