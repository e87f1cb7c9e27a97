/* bilan_sheet.h — a bilan written in a spreadsheet (workbook.h) turned into
 * the same Bilan as the equivalent JSON.
 *
 * The layout (chorusd-bilan(5)): a sheet "Bilan" with labelled cells
 * (Convention, Date du bilan, Auteur, Partie qualitative), a sheet
 * "Réalisations" with a header row (Action, Référence, Nom, Type, Date,
 * Participants, Note, in any order) and one row per realisation. Labels and
 * sheet names match ignoring case, accents and spaces. The cells become the
 * JSON document a bilan file would hold, checked by bilan.c's own rules
 * (bilan_check_tree()); every diagnostic is then located by the sheet and
 * the cell it came from ("feuille Réalisations, cellule E7"). Pure: no I/O,
 * no logging. */
#pragma once

#include "core/bilan.h"
#include "core/workbook.h"

#define BILAN_SHEET_MAIN "Bilan"
#define BILAN_SHEET_REALISATIONS "Réalisations"
#define BILAN_SHEET_HEADER_ROWS 50 /* the header row is among the first 50 */

/* Reads the bilan in `w` and checks it against its convention, looked up
 * in `conventions`. Returns 0, the bilan and (optionally) its convention,
 * warnings (hidden rows, repeated refs, macros not run) in `diags`; or -EINVAL (every
 * problem in `diags`, located by sheet and cell), -ENOMEM. */
int bilan_sheet_parse(const char *file, const Workbook *w, const ConventionSet *conventions, Bilan **ret,
                      const Convention **ret_convention, Diagnostics *diags);

/* The value of the Convention label when it is a valid identifier, without
 * reading the rest: a new string, or NULL. */
char *bilan_sheet_peek_convention(const Workbook *w);
