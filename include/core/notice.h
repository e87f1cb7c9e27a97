/* notice.h — the e-mail notices chorusd sends, in French: what each event
 * says, to whom, and the digest that stands for many notices of one kind.
 *
 * Pure: the service gathers the values (the job, the clock) and sends the
 * text (outbox.h); nothing here reads or writes anything. No notice
 * carries a secret: only job ids, bilan names, invoice numbers, amounts,
 * dates and reasons (Chorus Pro's words, or ours). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/macro.h"

typedef enum NoticeKind {
        /* staff */
        NOTICE_BILAN_REFUSED,      /* rejected/ (the error file attached) */
        NOTICE_AWAITING_APPROVAL,  /* a valid bilan waits for approval (the preview attached) */
        NOTICE_INVOICE_DEPOSITED,  /* Chorus Pro took the flux */
        NOTICE_INVOICE_PAID,       /* MISE_EN_PAIEMENT */
        NOTICE_INVOICE_REJECTED,   /* the buyer rejected it (REJETEE) */
        NOTICE_INVOICE_SUSPENDED,  /* the buyer suspended it (SUSPENDUE) */
        /* admins */
        NOTICE_JOB_FAILED,         /* a job in failed/ */
        NOTICE_CHORUS_UNREACHABLE, /* no answer from Chorus Pro for over an hour */
        NOTICE_PASSWORD_EXPIRING,  /* the technical account's password, in ≤ 15 days */
        NOTICE_STATE_DAMAGED,      /* the audit chain or a state file */
        _NOTICE_KIND_MAX,
        _NOTICE_KIND_INVALID = -EINVAL,
} NoticeKind;

typedef enum NoticeAudience {
        NOTICE_STAFF,
        NOTICE_ADMINS,
        _NOTICE_AUDIENCE_MAX,
} NoticeAudience;

/* The technical account's password: notices from this many days before. */
#define NOTICE_PASSWORD_DAYS 15

const char *notice_kind_to_string(NoticeKind k);
NoticeKind notice_kind_from_string(const char *s);
NoticeAudience notice_kind_audience(NoticeKind k);

/* What a notice may say; NULL/false: not known, left out. */
typedef struct Notice {
        NoticeKind kind;
        const char *job;        /* job id */
        const char *bilan;      /* the bilan's file name, as dropped */
        const char *convention;
        const char *invoice;    /* invoice number */
        const char *flux;       /* Chorus Pro flux number */
        bool has_amount;
        int64_t amount;         /* cents, TTC */
        const char *status;     /* Chorus Pro's status code */
        const char *reason;     /* why: our diagnostic, Chorus Pro's comment */
        const char *date;       /* YYYY-MM-DD: the password's expiry, a status's date */
        int64_t days;           /* NOTICE_PASSWORD_EXPIRING: days left */
        const char *detail;     /* NOTICE_STATE_DAMAGED: what; NOTICE_AWAITING_APPROVAL: the preview */
        bool credit_note;       /* the document is a credit note: « avoir », not « facture » */
} Notice;

/* A file sent with a notice (the error file of a refused bilan, the
 * preview of an invoice awaiting approval). */
typedef struct NoticeAttachment {
        const char *name;         /* the file name the reader sees */
        const char *content_type; /* e.g. "application/pdf" */
        const void *data;
        size_t size;
} NoticeAttachment;

/* The subject and the body of one notice. Returns 0 or -ENOMEM (-EINVAL
 * for an unknown kind). */
int notice_format(const Notice *n, char **ret_subject, char **ret_body);
/* One line for a digest: what this notice is about. */
int notice_summary(const Notice *n, char **ret);
/* A digest of `n` notices of kind `k`, from their summary lines (at most
 * NOTICE_DIGEST_LINES listed, the others counted). */
#define NOTICE_DIGEST_LINES 2000
int notice_digest_format(NoticeKind k, const char *const *summaries, size_t n, char **ret_subject,
                         char **ret_body);
