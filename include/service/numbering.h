/* numbering.h — durable, gap-free invoice numbers (domain.md §6).
 *
 * A number is PREFIX + YYYY + "-" + a sequence of at least four digits
 * (config_format_invoice_number), the year being the issue date's. Issue
 * dates never go back: no number is allocated while `today` is earlier
 * than the last allocation's issue date (kept in the counter). Per
 * year the sequence starts at 1 and grows by exactly one per allocation:
 * no gaps, no reuse, even when Chorus Pro later rejects the invoice (the
 * number is then voided, and stays in the register). Each number is bound
 * to one job forever; one convention is invoiced once.
 *
 * Files, in STATE_DIR/numbers/ (all KEY=VALUE files by write_file_atomic,
 * the ledger by fs_append_record):
 *
 *   counter               last sequence of every year (YEAR_2026=7) and the
 *                         last allocation in full (job, convention, number,
 *                         date): the reservation
 *   by-job/JOBID          the job's number and issue date, numbers it voided
 *   by-convention/ID.invoiced  the convention's invoice: number, job, flux,
 *                         live or voided
 *   ledger                append-only register, one line per event
 *                         (allocated, flux, voided), for people
 *   lock                  flock()ed around every operation, so that
 *                         chorusctl and the daemon never interleave
 *
 * Allocation order, and why it is crash-safe:
 *   1. counter := N, with LAST_JOB/LAST_CONVENTION/LAST_NUMBER/LAST_DATE
 *      (written and fsynced before the number is used or shown anywhere);
 *   2. by-convention/C := N (live), 3. ledger += "allocated N", and last
 *   4. by-job/J := N, which marks the allocation complete.
 * A crash after 1 leaves a reservation: numbering_open() (and every later
 * operation) completes it (steps 2–4, each idempotent) before anything
 * else, so N is bound to J even if another job asks for a number before J
 * is resumed, and J gets N back when it asks again. Nothing can take N
 * twice or skip it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "base/config.h"
#include "core/convention.h"
#include "base/date.h"
#include "service/jobstate.h"
#include "base/macro.h"

#define NUMBERING_DIR "numbers"
#define NUMBERING_FLUX_MAX 65 /* numeroFluxDepot, kept as text */

typedef struct Numbering Numbering;

typedef struct NumberingEntry {
        char number[INVOICE_NUMBER_MAX + 1];
        char job_id[JOB_ID_MAX];
        char convention[CONVENTION_ID_MAX + 1];
        char flux[NUMBERING_FLUX_MAX]; /* "" until recorded */
        Date issue_date;
        uint64_t allocated_usec;
        bool voided;
        /* A credit note's entry: the invoice number it cancels ("" for an
         * invoice). A credit note never holds by-convention/. */
        char credits[INVOICE_NUMBER_MAX + 1];
        /* by-convention/: the credit note that cancelled this invoice once
         * it was integrated ("" if none): the convention is free again. */
        char credited_by[INVOICE_NUMBER_MAX + 1];
} NumberingEntry;

/* Opens (creating) STATE_DIR/numbers/ and completes an allocation a crash
 * interrupted. -EIO is fatal (fsutil.h). */
int numbering_open(const char *state_dir, Numbering **ret);
Numbering *numbering_free(Numbering *n);
DEFINE_TRIVIAL_CLEANUP_FUNC(Numbering *, numbering_free);

/* Gives job `job_id` its number for `convention_id`, issued `today`.
 * Returns 0 (a new number), 1 (the job already had one: the same number
 * and issue date again, nothing written), or:
 *   -EEXIST  the convention is already invoiced by another job's live
 *            number: *reterr_conflict names it (number, job, flux)
 *   -ETIME   `today` is earlier than the issue date of the last number
 *            allocated (a clock set back): nothing is used; the caller
 *            waits for the clock. *reterr_conflict holds that last
 *            allocation (number "" when only its year is known)
 *   -ERANGE  the number would exceed INVOICE_NUMBER_MAX characters
 *   -EINVAL  bad job or convention id, or a year outside 1000..9999
 *   -EIO     an fsync failed: stop (fsutil.h)
 * The number is durable before this returns. */
int numbering_allocate(Numbering *n, const Config *config, const char *job_id,
                       const char *convention_id, Date today, NumberingEntry *ret,
                       NumberingEntry *reterr_conflict);

/* Whether `today` is earlier than the issue date of the last number
 * allocated (the test numbering_allocate() answers -ETIME to): 1 and that
 * allocation in *ret_last, 0 when not (or nothing was ever allocated), or
 * -errno. */
int numbering_clock_behind(Numbering *n, Date today, NumberingEntry *ret_last);

/* Gives credit-note job `job_id` its number, in the same register, for
 * the credit note of invoice `invoice_number` of `convention_id`. As
 * numbering_allocate(), except that the convention is not checked nor
 * taken: it must hold `invoice_number`, live and not credited yet (else
 * -ESTALE). The entry's `credits` names the invoice. */
int numbering_allocate_credit(Numbering *n, const Config *config, const char *job_id,
                              const char *convention_id, const char *invoice_number, Date today,
                              NumberingEntry *ret, NumberingEntry *reterr_conflict);
/* The credit note of credit-note job `job_id` is integrated: the
 * convention's invoice is marked credited (ledger "credited", then
 * CREDITED_BY in by-convention/), and the convention may be invoiced
 * again. Returns 1 (recorded now), 0 (recorded before, or the convention
 * has moved on), -ENOENT (no live credit note for that job). */
int numbering_record_credited(Numbering *n, const char *job_id);

/* chorusctl credit: records, once and for all, that invoice job
 * `invoice_job` has its credit note made by job `credit_job`
 * (numbers/credits/INVOICE_JOB). Returns 0 (recorded now), 1 (that very
 * credit job already recorded: a chorusctl credit completed after a crash)
 * or -EEXIST with *ret_existing the credit job already recorded. */
int numbering_request_credit(Numbering *n, const char *invoice_job, const char *credit_job,
                             char ret_existing[static JOB_ID_MAX]);
/* The credit job recorded for invoice job `invoice_job` (-ENOENT: none). */
int numbering_lookup_credit(Numbering *n, const char *invoice_job, char ret[static JOB_ID_MAX]);

/* The job's live number (-ENOENT: none, or only voided ones). */
int numbering_lookup_job(Numbering *n, const char *job_id, NumberingEntry *ret);
/* The convention's invoice, live or voided (-ENOENT: never invoiced). */
int numbering_lookup_convention(Numbering *n, const char *convention_id, NumberingEntry *ret);

/* Records the numeroFluxDepot of the job's live number (by-convention and
 * ledger), so that a later bilan for the convention is refused naming it. */
int numbering_record_flux(Numbering *n, const char *job_id, const char *flux);

/* Voids the job's live number (Chorus Pro rejected the invoice): it stays
 * in the register as voided, is never used again, the convention is free
 * to be invoiced again, and the job's next numbering_allocate() gets a new
 * number. Returns 0 and the voided entry, or -ENOENT (no live number). */
int numbering_void(Numbering *n, const char *job_id, const char *reason, NumberingEntry *ret);

/* The last sequence allocated for `year` (0 if none). */
int numbering_last_sequence(Numbering *n, int year, uint64_t *ret);
