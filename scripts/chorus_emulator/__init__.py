"""chorus_emulator: a local emulator of PISTE (OAuth2) + Chorus Pro for chorusd.

The real platform cannot be reached from development machines or CI, so the
C client and the daemon are tested against this standard-library only
emulator.  It follows tests/README.md ("The Chorus Pro emulator") and the
research note chorus-pro-api.md (section 7 is its checklist).  Run it as
scripts/chorus-emulator (or python3 -m chorus_emulator with scripts/ on
sys.path); --help is the manual of the options and of the control API.

Modules, from the bottom up:
  common             API constants, helpers, Reply, StartupError, Rejected
  tls                throw-away CA and server certificate (openssl CLI)
  structures         the buyers' directory fixtures
  pdf, invoices      reading deposited files (Factur-X PDF, UBL, CII, archives)
  state              fluxes, invoices, the flux state machine, the checks
  oauth              PISTE tokens and the token endpoint
  routes             ChorusApi: gateway checks, then the operations of
  routes_factures    ... /cpro/factures and consulterCRDetaille
  routes_structures  ... /cpro/structures
  faults             FaultInjector (POST /_emulator/faults)
  control            ControlApi (/_emulator/...)
  emulator           Emulator: the shared state and its lock, RequestLog
  server             HTTP server and request handler
  cli                the command line, --help, main()
"""
