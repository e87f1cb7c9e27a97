/* job.h — the job pipeline: one bilan's way from processing/ to done/,
 * rejected/ or failed/ (domain.md §6–§7).
 *
 * A JobRun is a live job in memory: its persisted Job (jobstate.h), at most
 * one timer and at most one Chorus Pro call. Each step is a small function
 * that persists the state it announces (jobstore_save, fsync) before doing
 * it, so that a crash anywhere resumes from the state on disk:
 *
 *   received → validated → numbered → rendered → depositing → deposited
 *     → integrated (bilan, invoice and receipt in done/; lifecycle followed)
 *     → done (MISE_EN_PAIEMENT)
 *
 * The local steps (validate, number, render) are synchronous and run in
 * the loop iteration that claimed the bilan; only Chorus Pro calls are
 * asynchronous. Every failure is handled where it happens: rejected/ with
 * the French error file, failed/ with the reason, or a retry timer; the
 * loop goes on. Exactly once: see job_deposit.c and
 * README.md, "Exactly once". */
#pragma once

#include <stdbool.h>

#include "service/jobstate.h"
#include "service/job_host.h"
#include "service/spool.h"

/* Test hook (TEST_HOOKS=1 builds): CHORUSD_TEST_CRASH_AFTER=<point> kills
 * the daemon with SIGKILL when it reaches `point` (job.c lists them). */
void crash_point(const char *point);

/* Starts a job for a freshly claimed bilan (already in processing/, or
 * already rejected by the spool when it was not a regular file). Runs the
 * local steps at once. Returns 0, or a fatal error (-EIO) for the manager. */
int jobrun_start_claimed(JobHost *h, const SpoolClaim *claim);

/* Resumes a job found by spool_recover() at start-up: re-arms its timer
 * or schedules its next step. May take rec->job. */
int jobrun_resume(JobHost *h, SpoolRecoveredJob *rec);

/* A bilan arrived in processing/ (chorusctl requeue moves it back there):
 * if its job is not live, load its state and resume it. */
int jobrun_resume_moved_in(JobHost *h, const char *spool_name);

/* `chorusctl complete` / `recycle` wrote a request for job `id`
 * (STATE_DIR/corrections, watched by the manager): if the job follows its
 * invoice and waits for its next poll, it asks for the history now, and
 * sends the request with it (job_correct.c), instead of at its next poll,
 * which may be hours away. */
void jobrun_correction_requested(JobHost *h, const char *id);

/* Frees a live job: cancels its call and timer, leaves the persisted state
 * as it is (shutdown, or the job is over). Returns NULL. */
JobRun *jobrun_free(JobRun *r);
/* Frees every live job of the manager (shutdown). */
void jobrun_free_all(JobHost *h);

/* Starts the calls of the jobs waiting in the call queue, in order, while
 * fewer than [chorus] max_parallel_calls are in flight. */
void jobrun_run_call_queue(JobHost *h);
/* Runs the jobs whose timer could not be armed (the host's wake_later). */
void jobrun_wake_marked(JobHost *h);
/* How many live jobs have nothing to wake them up: no armed timer, no call
 * in flight, no place in the call queue, no wake mark (a timer that could
 * not be armed, or a pause while the state directory is full: the
 * manager's wake or disk timer runs them). Always 0 unless chorusd is
 * stopping; test builds abort when it is not (manager.c). */
unsigned jobrun_count_without_wakeup(JobHost *h);

/* True if some live job has a call in flight on `client`. */
bool jobrun_any_call_on(JobHost *h, ChorusClient *client);

/* ---- For chorusctl (ctl_jobs.c) and tests -------------------------------- */

/* The receipt of the job's current invoice: JOBID.receipt.json, or
 * JOBID.receipt-N.json once N numbers were voided (requeued after a
 * rejection), so that a rejected invoice's receipt, which stays in failed/,
 * is never taken for the new one's. */
int job_receipt_name(const Job *j, char ret[static SPOOL_NAME_MAX]);
/* The files for people beside it, named after the invoice file
 * (JOBID.NUMBER.xml → JOBID.NUMBER.pdf, JOBID.NUMBER.recu.txt), so that a
 * new number after a rejection never meets the old invoice's: the readable
 * PDF (for a Factur-X invoice, the invoice file itself), and the French
 * text receipt (receipt_text.h). -ENOENT while the job has no invoice file. */
int job_readable_pdf_name(const Job *j, char ret[static SPOOL_NAME_MAX]);
int job_text_receipt_name(const Job *j, char ret[static SPOOL_NAME_MAX]);

/* Where `chorusctl requeue` sends a job back to: a job Chorus Pro rejected
 * starts again at received with a new number (the old one voided); a
 * failed one resumes at the last step it had safely finished (its number,
 * payload and flux kept). Returns the new state, or -EINVAL if the job is
 * not in failed/ (state rejected or failed). */
JobState job_requeue_state(const Job *j);
