/* convention.h — the signed contract terms (domain.md §2), loaded from the
 * administrator's conventions.d/ and validated.
 *
 * A convention is configuration, never spool input: a bilan can only report
 * quantities against it, so whoever writes to the spool cannot change an
 * amount, a target, the cap or the buyer. Amounts are int64 cents. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/date.h"
#include "base/diag.h"
#include "base/invoice_format.h"

#define CONVENTION_ID_MAX 64          /* [A-Za-z0-9._-]{1,64} for every identifier */
#define CONVENTION_FILE_MAX (1 << 20) /* a conventions.d/ file is at most 1 MiB */

typedef enum VatCategory {
        VAT_CATEGORY_S, /* standard rate */
        VAT_CATEGORY_Z, /* zero rated */
        VAT_CATEGORY_E, /* exempt: needs an exemption reason */
        VAT_CATEGORY_O, /* outside the scope of VAT: needs an exemption reason */
        _VAT_CATEGORY_MAX,
        _VAT_CATEGORY_INVALID = -EINVAL,
} VatCategory;

/* "S", "Z", "E", "O" (UNCL5305 codes, as in the invoice). */
const char *vat_category_to_string(VatCategory c);
VatCategory vat_category_from_string(const char *s);

typedef struct Address {
        char *line1;
        char *line2; /* may be NULL */
        char *postcode;
        char *city;
        char *country; /* ISO 3166-1 alpha-2, e.g. "FR" */
} Address;

/* Frees the strings of an Address, not the Address itself (it is a member
 * of ConventionBuyer and of the invoice model's parties). NULL is fine. */
void address_done(Address *a);

typedef struct ConventionAction {
        char *id;      /* referenced by bilans */
        char *article; /* article number in the signed text, e.g. "2" */
        char *label;   /* invoice line item name */
        int64_t amount;  /* cents paid when the target is fully reached */
        int64_t target;  /* > 0 */
        char **kinds;    /* NULL-terminated; NULL = any kind (or none) accepted */
        size_t n_kinds;
        /* How one realisation is named on the invoice line description
         * ("Article 2 — 4 entreprises accompagnées sur 5 prévues"): optional
         * "unit": {"one": "entreprise accompagnée", "other": "entreprises
         * accompagnées", "feminine": true}; default réalisation/réalisations,
         * feminine. The parser fills the default in: never NULL. An explicit
         * unit without "feminine" is masculine. French: 0 and 1 take "one". */
        char *unit_one;
        char *unit_other;
        bool unit_feminine;
} ConventionAction;

typedef struct ConventionBuyer {
        char *name;
        char *siret;        /* 14 digits, Luhn-valid */
        char *service_code; /* Chorus Pro code service (BT-10); may be NULL */
        char *engagement;   /* engagement juridique (BT-13); may be NULL */
        Address address;
} ConventionBuyer;

typedef struct ConventionVat {
        VatCategory category;
        int64_t rate;           /* hundredths of a percent: 2000 = 20 % */
        char *exemption_reason; /* required for E and O, NULL otherwise allowed */
        char *exemption_code;   /* BT-121 VATEX code, E and O only; may be NULL */
} ConventionVat;

typedef struct Convention {
        char *id;
        char *title;
        Date signed_on;
        Date period_start, period_end; /* inclusive */
        ConventionBuyer buyer;
        int64_t cap; /* cents */
        ConventionVat vat;
        InvoiceFormat format; /* _INVOICE_FORMAT_INVALID: use the configured default */
        ConventionAction *actions;
        size_t n_actions;
        char *source_file; /* where it was loaded from */
} Convention;

/* Parses and validates one convention document. `file` names it in
 * diagnostics. On any error returns -EINVAL with every problem added to
 * `diags` (file, JSON path, what was expected); warnings do not fail. */
int convention_parse(const char *file, const char *json, size_t size, Convention **ret,
                     Diagnostics *diags);
Convention *convention_free(Convention *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Convention *, convention_free);

const ConventionAction *convention_find_action(const Convention *c, const char *action_id);
bool convention_action_accepts_kind(const ConventionAction *a, const char *kind);

/* The files of conventions.d/ not read yet, when the directory was only
 * indexed (service/convention_dir.h): opaque here, core does no I/O. */
typedef struct ConventionIndex ConventionIndex;

/* All conventions of a conventions.d/ directory (*.json, sorted by name;
 * dotfiles ignored). Two files with the same id are an error.
 *
 * Either every file is read (items holds them all, index is NULL), or the
 * directory was only indexed (issue 14: 10 000 conventions parsed at start
 * took 1.5 s before READY=1): items holds those read so far, and
 * convention_set_find() has read_more() read the file(s) that may hold an
 * id it does not have yet. A broken file is then found when a bilan needs
 * it, and convention_set_lookup() says why. */
typedef struct ConventionSet {
        Convention **items;
        size_t n_items;
        ConventionIndex *index;
        /* With `loaded`: only the problem recorded for `id`, if any (a
         * duplicate id found later). Otherwise reads what may hold `id` (all
         * the rest when `id` is NULL or is in no file by its name), adds
         * each valid convention to the set and returns the problem of the
         * file that holds `id` (English, "FILE: error: PATH: message"), or
         * NULL. */
        const char *(*read_more)(ConventionIndex *index, const char *id, bool loaded);
        void (*index_free)(ConventionIndex *index);
        /* The id of the index's i-th file if it was read and is valid (its
         * convention may have been forgotten since), else NULL. */
        const char *(*index_id)(const ConventionIndex *index, size_t i);
        size_t n_files; /* files indexed (read or not) */
} ConventionSet;

/* Adds conv to the set, which takes it (freed on failure too). Returns 0,
 * -ENOMEM, or -EINVAL with a diagnostic if its id is already used. The
 * directory is read by convention_set_load_dir() (service/convention_dir.h). */
int convention_set_add(ConventionSet *s, Convention *conv, Diagnostics *diags);
ConventionSet *convention_set_free(ConventionSet *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(ConventionSet *, convention_set_free);
/* The id of the i-th convention known (i < convention_set_size()), in
 * memory or not, or NULL (a file of an indexed set not read, or broken). */
const char *convention_set_id(const ConventionSet *s, size_t i);
/* The convention `id`, or NULL (unknown, or its file is broken). */
const Convention *convention_set_find(const ConventionSet *s, const char *id);
/* The same; when NULL because the file of `id` is broken (or another file
 * has the same id), *ret_problem says why (valid until the set is freed). */
const Convention *convention_set_lookup(const ConventionSet *s, const char *id, const char **ret_problem);
/* Reads every file not read yet (an indexed set), so that items holds every
 * valid convention (templates, the list of known ids). */
void convention_set_read_all(const ConventionSet *s);
/* How many conventions the directory has: files indexed, or items. */
size_t convention_set_size(const ConventionSet *s);
