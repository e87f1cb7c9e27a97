/* approval_text.h — the French summary of an invoice awaiting approval
 * (review/JOBID.apercu.txt, [invoice] approval = required): what the
 * person who signs it off reads on the share before `chorusctl approve`,
 * beside the preview PDF. The convention, the buyer, the lines, the
 * totals, who wrote the bilan and when, and how to approve or cancel.
 *
 * Pure: the service gathers the values and writes the file. The same
 * input gives the same bytes. */
#pragma once

#include "core/bilan.h"
#include "core/convention.h"
#include "core/invoice.h"

typedef struct ApprovalTextInput {
        const char *job_id;        /* the reference chorusctl approve takes */
        const char *bilan_name;    /* as dropped in incoming/ */
        const char *preview_name;  /* the preview PDF beside it in review/ */
        const Convention *convention;
        const Bilan *bilan;        /* its author and date */
        const Invoice *invoice;    /* the model the approval would issue (no number yet) */
} ApprovalTextInput;

/* Returns 0 and a NUL-terminated UTF-8 text (CRLF-free, lines of at most
 * about 72 characters for our own sentences), or -EINVAL, -ENOMEM. */
int approval_text(const ApprovalTextInput *in, char **ret, size_t *ret_size);
