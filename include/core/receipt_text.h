/* receipt_text.h — the French text receipt of an invoice Chorus Pro
 * integrated (done/JOBID.NUMBER.recu.txt): what the staff read on the
 * share, where the JSON receipt is for programs. Number, amount (TTC),
 * issue date, convention, buyer, bilan and job id, the deposit (date, flux,
 * Chorus Pro's invoice id), then the invoice's current status on Chorus
 * Pro in French with its date, what it means and what to do.
 *
 * Pure: the service gathers the values (the job state, the clock) and
 * rewrites the file where the invoice's files are each time the status
 * changes. Output is deterministic: the same input gives the same bytes,
 * which is what lets the service rewrite the file only when it changed. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/date.h"

/* A validated day with an optional time of day (no time zone: the
 * daemon's local time, or Chorus Pro's, which is French time). */
typedef struct ReceiptMoment {
        bool set;
        Date date;
        bool has_time;
        unsigned hour;   /* 0..23 */
        unsigned minute; /* 0..59 */
} ReceiptMoment;

#define RECEIPT_MOMENT_MAX 17 /* "YYYY-MM-DD HH:MM" + NUL */

/* "YYYY-MM-DD HH:MM" (Chorus Pro's histoStatutDatePassage; seconds, if
 * any, are dropped) or "YYYY-MM-DD". Returns 0 or -EINVAL. */
int receipt_moment_parse(const char *s, ReceiptMoment *ret);
/* "YYYY-MM-DD HH:MM", or "YYYY-MM-DD" without a time, "" if not set.
 * Returns buf. */
char *receipt_moment_format(ReceiptMoment m, char buf[static RECEIPT_MOMENT_MAX]);

/* The French label of a Chorus Pro invoice status, as an adjective of « la
 * facture »: DEPOSEE → "déposée", MISE_EN_PAIEMENT → "mise en paiement".
 * NULL for a code it has no label for (shown as the code itself). */
const char *receipt_status_label(const char *code);

typedef struct ReceiptTextInput {
        const char *job_id;         /* the reference the staff quote */
        const char *bilan_name;     /* as dropped in incoming/ */
        const char *convention;
        const char *buyer;          /* NULL: not known (a job from before chorusd recorded it) */
        const char *invoice_number; /* required */
        bool has_issue_date;
        Date issue_date;
        bool has_total;
        int64_t total;              /* payable, TTC, cents */
        ReceiptMoment deposited;    /* when chorusd deposited it */
        const char *flux;           /* numeroFluxDepot */
        const char *chorus_invoice_id;
        const char *status;         /* Chorus Pro code; NULL: not known yet */
        ReceiptMoment status_at;    /* when Chorus Pro says the status was reached */
        const char *status_comment; /* Chorus Pro's comment on it (a reason), or NULL */
        const char *credit_of_invoice; /* a credit note (avoir): the invoice it cancels; NULL for an invoice */
} ReceiptTextInput;

/* The receipt, UTF-8, LF line ends, NUL-terminated. Text from outside
 * (names, Chorus Pro's comment) is shown on one line: control characters
 * become spaces, malformed UTF-8 becomes '?'. Returns 0, -EINVAL (no
 * invoice number, a moment that is not a valid time), -ENOMEM. */
int receipt_text_format(const ReceiptTextInput *in, char **ret, size_t *ret_size);
