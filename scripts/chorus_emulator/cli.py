"""The command line: the manual (--help), the options, and main()."""

import argparse
import os
import signal
import socket
import sys
import tempfile
import threading
from pathlib import Path

from .common import StartupError, read_secret, valid_siret
from .emulator import Emulator
from .server import Server
from .structures import Structures
from .tls import TlsMaterial


MANUAL = r"""
Listening
  Only on loopback: --host must be 127.0.0.1 (default) or ::1, anything else
  exits with status 2.  HTTPS by default, with a throw-away CA and server
  certificate generated with the openssl CLI into --tls-dir (ca.pem, ca.key,
  server.pem, server.key; subjectAltName IP:127.0.0.1, IP:::1, DNS:localhost;
  EC P-256; valid 5 days, regenerated when less than one day is left).
  Clients verify the server with --cacert TLS_DIR/ca.pem.  --http serves
  plain HTTP instead (debugging only).  --port 0 picks a free port; with
  --port-file the port number and a newline are written there (atomically)
  once the socket listens.  SIGTERM or SIGINT: clean exit with status 0.

Secrets
  The PISTE client secret, the technical account password and the control
  token are read from files only (one line; a trailing newline is ignored),
  never from the command line, and are never logged or echoed.

Emulated routes (exactly the real paths)
  POST /api/oauth/token                      form: grant_type=client_credentials,
                                             client_id, client_secret[, scope]
  GET  /cpro/transverses/v1/health-check
  POST /cpro/factures/v1/deposer/flux
  POST /cpro/transverses/v1/consulterCRDetaille
  POST /cpro/factures/v1/rechercher/fournisseur
  POST /cpro/factures/v1/consulter/historique
  POST /cpro/factures/v1/consulter/fournisseur
  POST /cpro/factures/v1/completer
  POST /cpro/factures/v1/recycler
  POST /cpro/structures/v1/rechercher
  POST /cpro/structures/v1/consulter
  POST /cpro/structures/v1/rechercher/services
  POST /cpro/structures/v1/consulter/service
  Checks, in order: unknown path or method 404; missing, unknown or expired
  Bearer 401 (WWW-Authenticate: Bearer realm="PISTE"); route under a
  --not-subscribed prefix 403 (empty body); bad cpro-account 401
  (error_description="login or password incorrects"); POST without a JSON
  Content-Type 415; malformed JSON or missing field 400 {codeRetour, libelle}.

Control API (same port; every call needs the header X-Emulator-Token: TOKEN,
the content of --control-token-file; without that option it is disabled;
wrong or missing token: 403)
  GET    /_emulator/health         liveness, no token needed
  POST   /_emulator/reset          forget fluxes, invoices, requests, faults,
                                   tokens and runtime config changes
  POST   /_emulator/config         {"token_lifetime": s, "auto_advance": s,
                                    "max_flux_size": n, "not_subscribed": [p],
                                    "correction_lag": s (completer/recycler
                                    taken at once, the status moves s later)}
  POST   /_emulator/faults         append a rule (see below); GET lists the
                                   remaining rules; DELETE clears them
  POST   /_emulator/expire-tokens  every token issued so far expires now
  GET    /_emulator/requests       every API request, in order (?path=PREFIX);
                                   each says which connection it came on
                                   ("connection": 1, 2…) and whether that
                                   connection resumed a TLS session
                                   ("tls_resumed")
  GET    /_emulator/fluxes         every flux with its invoices
  GET    /_emulator/invoices       ?numeroFacture=X: deposited invoices with
                                   that number, across fluxes
  POST   /_emulator/flux/advance   {"numeroFluxDepot"?, "to"?, "steps"?,
                                    "force"?, "listeErreurTechnique"?,
                                    "listeErreurDP"?}
  POST   /_emulator/invoice/status {"numeroFacture" | "identifiantFactureCPP",
                                    "statut" | "steps", "commentaire"?}

Fault rules (POST /_emulator/faults)
  {"route": "/cpro/factures/v1/deposer/flux" | "/api/oauth/token" | "*" |
            "/cpro/factures/*" (prefix),
   "count": N           the next N matching calls (default 1),
   "status": 429|500|503|400|200|...   answer this instead of processing,
   "retry_after": s     adds a Retry-After header,
   "delay": s           wait s seconds first (then the normal or faulty answer),
   "drop": "before_body" | "after_body"  close the connection without an
                        answer; after_body processes the request first (a
                        deposit IS recorded: the answer was lost),
   "code_retour": n, "libelle": "..."   body {codeRetour, libelle} (default
                        for status 200 and 400: 20000 / "Erreur simulée"),
   "body": JSON         answer exactly this JSON instead (status 200 unless
                        given; null: an empty body): a hostile or buggy
                        server, e.g. paging that skips pages,
   "expire_token": true the Bearer presented expires now (401, and it stays
                        expired, like a real expiry),
   "header_bytes": n    adds a header X-Emulator-Padding of n bytes (1 to
                        16 MiB) to the answer, normal or faulty,
   "processed": true    with "status": the request is processed first, then
                        that status is answered (a gateway error after the
                        platform accepted the flux: a deposit IS recorded),
   "integrate_after": s deposits only: the flux this call creates (its
                        answer sent, lost or replaced) stays in its first
                        state for s seconds, then is integrated (or
                        rejected) on its own, whatever --auto-advance says}
  The first matching rule is used; control routes are never faulted.

Flux state machine
  A deposit starts in IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP, then
  IN_RECU, IN_TRAITE_SE_CPP, IN_EN_ATTENTE_TRAITEMENT_CPP,
  IN_EN_COURS_TRAITEMENT_CPP, then the final state the checks dictate:
  IN_INTEGRE, IN_INTEGRE_PARTIEL (a batch with good and bad invoices) or
  IN_REJETE (a file that is not well-formed, the wrong syntax, or no good
  invoice).  IN_INCIDENTE and IN_EN_ATTENTE_RETRAITEMENT_CPP only via "to".
  Integrated invoices get an identifiantFactureCPP (above 2^32 on purpose,
  to catch int32 truncation) and the status DEPOSEE, then follow
  EN_COURS_ACHEMINEMENT, MISE_A_DISPOSITION, PRISE_EN_COMPTE_DESTINATAIRE,
  SERVICE_FAIT, MANDATEE, MISE_EN_PAIEMENT.  With --auto-advance S > 0 each
  flux and invoice moves one step every S seconds; with 0 only the control
  API moves them.

Examples
  scripts/with-emulator bash     # a shell with CHORUS_EMULATOR_* set
  curl --cacert "$CHORUS_EMULATOR_CA" -H "X-Emulator-Token: $CHORUS_EMULATOR_CONTROL_TOKEN" \
       "$CHORUS_EMULATOR_URL/_emulator/fluxes"
"""


def repo_root():
    return Path(__file__).resolve().parents[2]  # scripts/chorus_emulator/cli.py


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="chorus-emulator",
        description="Local emulator of PISTE (OAuth2) + Chorus Pro for chorusd's tests and demo.",
        epilog=MANUAL, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1", help="127.0.0.1 (default) or ::1; nothing else is accepted")
    p.add_argument("--port", type=int, default=8443, help="TCP port (default 8443; 0 picks a free one)")
    p.add_argument("--port-file", help="write the port number and a newline here once listening")
    p.add_argument("--http", action="store_true", help="plain HTTP instead of HTTPS (debugging)")
    p.add_argument("--tls-dir", help="where ca.pem, ca.key, server.pem, server.key live; generated if "
                                     "absent (default: $TMPDIR/chorus-emulator-tls-UID)")
    p.add_argument("--client-id", default="chorusd-emulator", help="the accepted PISTE client_id")
    p.add_argument("--client-secret-file", required=True, help="file holding the accepted PISTE client_secret")
    p.add_argument("--technical-login", default="TECH_1_chorusd@cpro.fr",
                   help="the accepted Chorus Pro technical account login")
    p.add_argument("--technical-password-file", required=True, help="file holding its password")
    p.add_argument("--supplier-siret", default="13002602400013",
                   help="SIRET of the technical account's own structure (default 13002602400013)")
    p.add_argument("--structures", default=str(repo_root() / "tests" / "data" / "structures"),
                   help="buyers fixture directory, one JSON file per structure "
                        "(default: tests/data/structures of this repository)")
    p.add_argument("--token-lifetime", type=int, default=3600, help="token lifetime in seconds (default 3600)")
    p.add_argument("--max-flux-size", type=int, default=10 * 1024 * 1024,
                   help="largest decoded deposit in bytes (default 10 MiB); above: codeRetour 20001")
    p.add_argument("--control-token-file", help="file holding the control API token; without it the "
                                                "control API is disabled")
    p.add_argument("--auto-advance", type=float, default=0.0,
                   help="seconds between automatic state steps (default 0: only the control API moves states)")
    p.add_argument("--log", help="append one line per request here (never secrets)")
    p.add_argument("--not-subscribed", action="append", metavar="PREFIX",
                   help="routes under PREFIX answer 403 with an empty body (repeatable)")
    args = p.parse_args(argv)
    if args.host not in ("127.0.0.1", "::1"):
        p.error(f"--host {args.host!r} refused: the emulator listens on loopback only (127.0.0.1 or ::1)")
    if not 0 <= args.port <= 65535:
        p.error("--port must be between 0 and 65535")
    if args.token_lifetime < 1 or args.max_flux_size < 1 or args.auto_advance < 0:
        p.error("--token-lifetime and --max-flux-size must be >= 1, --auto-advance >= 0")
    if not valid_siret(args.supplier_siret):
        p.error("--supplier-siret must be 14 digits passing the Luhn check")
    for prefix in args.not_subscribed or []:
        if not prefix.startswith("/"):
            p.error("--not-subscribed takes a path prefix starting with /")
    return args


def write_port_file(path, port):
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=str(target.parent), prefix=".port.")
    with os.fdopen(fd, "w") as f:
        f.write(f"{port}\n")
    os.replace(tmp, target)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        secrets_ = {"client_secret": read_secret(args.client_secret_file, "client secret"),
                    "technical_password": read_secret(args.technical_password_file, "technical password")}
        if args.control_token_file:
            secrets_["control_token"] = read_secret(args.control_token_file, "control token")
        structures = Structures.load(args.structures)
        emu = Emulator(args, structures, secrets_)
        family = socket.AF_INET6 if args.host == "::1" else socket.AF_INET
        server = Server((args.host, args.port), emu, family)
        scheme = "http"
        tls = None
        if not args.http:
            tls = TlsMaterial(args.tls_dir or Path(tempfile.gettempdir()) / f"chorus-emulator-tls-{os.getuid()}")
            tls.ensure()
            server.socket = tls.server_context().wrap_socket(server.socket, server_side=True,
                                                              do_handshake_on_connect=False)
            scheme = "https"
        port = server.server_address[1]
        if args.port_file:
            write_port_file(args.port_file, port)
    except StartupError as e:
        print(f"chorus-emulator: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # bind, --log, --port-file or --tls-dir problems; the message names the file
        print(f"chorus-emulator: cannot start ({args.host}:{args.port}): {e}", file=sys.stderr)
        return 2
    host = f"[{args.host}]" if ":" in args.host else args.host
    ca = f" (CA: {tls.path('ca.pem')})" if tls else ""
    print(f"chorus-emulator: listening on {scheme}://{host}:{port}{ca}", file=sys.stderr, flush=True)
    emu.log(f"listening on {scheme}://{host}:{port}")

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    emu.start_ticker()
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    serving.start()
    while not stop.wait(0.5):
        if not serving.is_alive():
            break
    emu.stop()
    server.shutdown()
    server.server_close()
    emu.log("stopped")
    return 0
