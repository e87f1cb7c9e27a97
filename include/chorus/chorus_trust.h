/* chorus_trust.h — the CA trust store of a ChorusHttp (chorus_http.c): the
 * system bundle and folder libcurl was built with, plus an optional extra
 * PEM bundle (ca_file), built into one X509_STORE that every connection
 * shares, and built again once a day.
 *
 * Built when the first connection needs it, not at start: parsing the
 * system bundle is most of chorusd's start-up otherwise (issue 14). The
 * extra bundle is read and checked at once, so that a wrong ca_file is
 * still reported at start.
 *
 * Internal to chorus_http.c (and its tests). */
#pragma once

#include <openssl/x509.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/macro.h"

typedef struct ChorusTrust ChorusTrust;

#define CHORUS_TRUST_CA_FILE_MAX (4 * 1024 * 1024) /* largest ca_file read */

/* Reads ca_file (NULL = none) now; on failure *reterr_message (free())
 * says why. Builds no store yet. */
int chorus_trust_new(const char *ca_file, ChorusTrust **ret, char **reterr_message);
ChorusTrust *chorus_trust_free(ChorusTrust *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(ChorusTrust *, chorus_trust_free);

/* The store for new connections (borrowed; NULL when none could ever be
 * built, chorus_trust_error() says why). With `refresh`, builds it when
 * there is none yet or it is a day old; a failed rebuild keeps the
 * previous store (the bundle may be being replaced by an update). */
X509_STORE *chorus_trust_store(ChorusTrust *t, bool refresh);
const char *chorus_trust_error(const ChorusTrust *t);
/* Bumped each time a new store replaces the previous one (0: none yet). */
unsigned chorus_trust_generation(const ChorusTrust *t);
/* When the current store was built, CLOCK_MONOTONIC (libcurl's clock for
 * the age of its connections). */
uint64_t chorus_trust_built_monotonic(const ChorusTrust *t);
