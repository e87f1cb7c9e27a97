/* bilan_template.h — the ready-to-fill workbook of one convention: what
 * `chorusctl template` writes and what chorusd keeps in [spool]
 * templates_dir (service/templates.h), in ODS or XLSX.
 *
 * Four sheets, in this order: « Mode d'emploi » (what to write in each
 * column, one example row per action, how to drop the file), « Bilan »
 * (labels in column A, values in B: Convention, Intitulé, Période, Date du
 * bilan =TODAY(), Auteur prefilled with the seller, Partie qualitative),
 * « Réalisations » (the header row Action, Référence, Nom, Type, Date,
 * Participants, Note, then BILAN_TEMPLATE_ROWS formatted rows with drop-down
 * lists for Action and Type, dates within the period, whole numbers) and a
 * hidden « Listes » sheet that holds the lists. The layout is the one
 * core/bilan_sheet.h reads back (chorusd-bilan(5)): unfilled, the template
 * is refused only because nothing is realised.
 *
 * Byte-reproducible: the same convention, seller and date give the same
 * bytes (fixed entry order and times, no random). Pure: no I/O; the ZIP is
 * built in memory with libzip. */
#pragma once

#include <stddef.h>

#include "base/date.h"
#include "core/convention.h"
#include "core/workbook.h"

/* Rows of the Réalisations sheet that carry the formats and lists. */
#define BILAN_TEMPLATE_ROWS 500

typedef struct TemplateInfo {
        const char *author; /* prefilled in Auteur (the seller's name); NULL: empty */
        Date today;         /* cached value of =TODAY(); the documents' date */
} TemplateInfo;

/* "modele-bilan-" + convention id + ".ods" / ".xlsx". */
#define BILAN_TEMPLATE_PREFIX "modele-bilan-"
/* ".ods" or ".xlsx". */
const char *bilan_template_extension(WorkbookFormat format);

/* Writes the workbook into a new buffer (*ret, free()). Characters XML
 * cannot carry (C0 controls) are left out of the texts. Returns 0, -EINVAL
 * (a format this writer does not know), -ENOMEM, or -EIO (libzip failed
 * otherwise). */
int bilan_template_write(const Convention *c, const TemplateInfo *info, WorkbookFormat format,
                         char **ret, size_t *ret_size);
