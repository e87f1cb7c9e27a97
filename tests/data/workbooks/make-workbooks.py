#!/usr/bin/python3
"""make-workbooks.py — the real-application workbooks of test_workbook.c.

Writes openpyxl.xlsx (python3-openpyxl, laid out the way Excel does) and
odfpy.ods (python3-odf), then has LibreOffice re-save openpyxl.xlsx as
libreoffice.ods and libreoffice.xlsx (soffice --headless --convert-to, in a
private profile). The files are committed; run this again (with Debian's
/usr/bin/python3, not a virtualenv's) only to change them, and update the
expectations in tests/test_workbook.c (suite workbook_real).
"""
import datetime
import os
import shutil
import subprocess
import sys
import tempfile

import openpyxl
from openpyxl.styles import Font

here = os.path.dirname(os.path.abspath(__file__))


def make_openpyxl(path):
    wb = openpyxl.Workbook()
    guide = wb.active
    guide.title = "Mode d'emploi"
    guide["A1"] = "Remplissez les feuilles Bilan et Réalisations."

    bilan = wb.create_sheet("Bilan")
    bilan["A1"] = "Convention"
    bilan["B1"] = "cma-exemple-2026"
    bilan["A2"] = "Date du bilan"
    bilan["B2"] = datetime.date(2026, 12, 10)
    bilan["B2"].number_format = "DD/MM/YYYY"
    bilan["A3"] = "Auteur"
    bilan["B3"] = "Claire Martin"
    bilan["A4"] = "Partie qualitative"
    bilan["A5"] = "Une année riche :\nquatre ateliers."
    bilan.merge_cells("A5:D5")

    real = wb.create_sheet("Réalisations")
    real.append(["Action", "Référence", "Nom", "Type", "Date", "Participants", "Note"])
    real.append(["dev-durable", 13002602400013, "Boulangerie Dupont", "diagnostic",
                 datetime.date(2026, 3, 14), None, None])
    real.append(["dev-durable", "130 026 024 00013", "Boulangerie Dupont", "suivi", "14/03/2026", None, None])
    real.append(["atelier", "2026-05-20", "Atelier numérique", "atelier", datetime.datetime(2026, 5, 20, 9, 30),
                 12, "=F4*2"])
    real.append(["atelier", "caché", None, None, None, None, None])
    real.row_dimensions[5].hidden = True
    real["E2"].number_format = "DD/MM/YYYY"
    real["E4"].number_format = "D MMMM YYYY"
    for c in real[1]:
        c.font = Font(bold=True)

    hidden = wb.create_sheet("Listes")
    hidden["A1"] = "dev-durable"
    hidden.sheet_state = "hidden"
    wb.save(path)


def make_odfpy(path):
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableRow, TableCell
    from odf.text import P

    doc = OpenDocumentSpreadsheet()

    def text_cell(v):
        c = TableCell(valuetype="string")
        c.addElement(P(text=v))
        return c

    t = Table(name="Réalisations")
    row = TableRow()
    for v in ["Action", "Référence", "Date", "Participants"]:
        row.addElement(text_cell(v))
    t.addElement(row)
    row = TableRow()
    row.addElement(text_cell("dev-durable"))
    c = TableCell(valuetype="float", value="13002602400013")
    c.addElement(P(text="13002602400013"))
    row.addElement(c)
    c = TableCell(valuetype="date", datevalue="2026-03-14")
    c.addElement(P(text="14/03/2026"))
    row.addElement(c)
    c = TableCell(valuetype="float", value="12")
    c.addElement(P(text="12"))
    row.addElement(c)
    t.addElement(row)
    doc.spreadsheet.addElement(t)
    doc.save(path)


def convert(src, fmt, out):
    profile = tempfile.mkdtemp(prefix="lo-profile-")
    outdir = tempfile.mkdtemp(prefix="lo-out-")
    try:
        subprocess.run(["soffice", "-env:UserInstallation=file://" + profile, "--headless",
                        "--convert-to", fmt, "--outdir", outdir, src],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=180)
        produced = os.path.join(outdir, os.path.splitext(os.path.basename(src))[0] + "." + fmt.split(":")[0])
        shutil.move(produced, out)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
        shutil.rmtree(outdir, ignore_errors=True)


def main():
    xlsx = os.path.join(here, "openpyxl.xlsx")
    make_openpyxl(xlsx)
    make_odfpy(os.path.join(here, "odfpy.ods"))
    convert(xlsx, "ods", os.path.join(here, "libreoffice.ods"))
    convert(xlsx, "xlsx:Calc MS Excel 2007 XML", os.path.join(here, "libreoffice.xlsx"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
