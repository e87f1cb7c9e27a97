#!/usr/bin/python3
# lo_uno.py — drive a headless LibreOffice through UNO, for the workbook
# tests (tests/suites/25-workbooks) and tests/helpers/fill-template.
#
#   /usr/bin/python3 tests/helpers/lo_uno.py PROFILE_DIR hostile SRC.ods OUT_DIR
#
# "hostile" loads SRC.ods (a filled bilan) in LibreOffice and saves, into
# OUT_DIR, the workbooks only LibreOffice itself can make here:
#   password.ods    ODF encryption (Password on storeToURL);
#   password.xlsx   OOXML agile encryption (an OLE2 file, EncryptedPackage);
#   macro-basic.ods the bilan with a Basic module (never to be run);
#   macro-lo.xlsm   the same saved as "Excel 2007-365 (macro-enabled)";
#   legacy.xls      the bilan as Excel 97-2003.
#
# LibreOffice runs with its own profile in PROFILE_DIR (never the user's),
# listening on a private pipe; it is stopped before returning. Needs
# Debian's /usr/bin/python3 with python3-uno.
import os
import subprocess
import sys
import time

import uno
from com.sun.star.beans import NamedValue, PropertyValue

FILTERS = {
    ".ods": "calc8",
    ".xlsx": "Calc MS Excel 2007 XML",
    ".xlsm": "Calc MS Excel 2007 VBA XML",
    ".xls": "MS Excel 97",
    ".pdf": "calc_pdf_Export",
}


def props(**kw):
    out = []
    for k, v in kw.items():
        p = PropertyValue()
        p.Name, p.Value = k, v
        out.append(p)
    return tuple(out)


def named(name, value):
    v = NamedValue()
    v.Name, v.Value = name, value
    return v


def url(path):
    return uno.systemPathToFileUrl(os.path.abspath(path))


class Office:
    """A private headless soffice, connected through a named pipe."""

    def __init__(self, profile):
        os.makedirs(profile, exist_ok=True)
        self.pipe = "chorusd-test-%d" % os.getpid()
        self.proc = subprocess.Popen(
            ["soffice", "--headless", "--invisible", "--norestore", "--nologo", "--nodefault",
             "-env:UserInstallation=" + url(profile),
             "--accept=pipe,name=%s;urp;StarOffice.ComponentContext" % self.pipe],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.monotonic() + 60
        while True:
            try:
                self.ctx = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % self.pipe)
                break
            except Exception:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("soffice did not start")
                time.sleep(0.2)
        self.desktop = self.ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", self.ctx)

    def load(self, path):
        doc = self.desktop.loadComponentFromURL(url(path), "_blank", 0, props(Hidden=True))
        if doc is None:
            raise RuntimeError("LibreOffice cannot open %s" % path)
        return doc

    def new_calc(self):
        return self.desktop.loadComponentFromURL("private:factory/scalc", "_blank", 0, props(Hidden=True))

    def store(self, doc, path, password=None):
        ext = os.path.splitext(path)[1].lower()
        kw = {"FilterName": FILTERS[ext], "Overwrite": True}
        if password and ext == ".ods":
            kw["Password"] = password
        p = props(**kw)
        if password and ext != ".ods":
            # OOXML is encrypted from EncryptionData (what the Save dialog
            # sets), not from Password: an OLE2 file with an
            # EncryptedPackage stream, as Excel writes
            e = PropertyValue()
            e.Name = "EncryptionData"
            e.Value = uno.Any("[]com.sun.star.beans.NamedValue",
                              (named("CryptoType", "Standard"), named("OOXPassword", password)))
            p += (e,)
        uno.invoke(doc, "storeToURL", (url(path), p))

    def close(self):
        try:
            self.desktop.terminate()
        except Exception:
            pass  # the bridge goes down with the process
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def hostile(office, src, out):
    os.makedirs(out, exist_ok=True)
    doc = office.load(src)
    office.store(doc, os.path.join(out, "password.ods"), password="secret")
    office.store(doc, os.path.join(out, "password.xlsx"), password="secret")
    office.store(doc, os.path.join(out, "legacy.xls"))
    # a Basic module in the document: chorusd must read the data and warn,
    # never run it
    libs = doc.BasicLibraries
    if not libs.hasByName("Standard"):
        libs.createLibrary("Standard")
    lib = libs.getByName("Standard")
    lib.insertByName("Module1", 'Sub Main\n  Shell("/bin/sh -c \'touch /tmp/chorusd-macro-ran\'")\nEnd Sub\n')
    office.store(doc, os.path.join(out, "macro-basic.ods"))
    office.store(doc, os.path.join(out, "macro-lo.xlsm"))
    doc.close(True)


def main(argv):
    if len(argv) != 5 or argv[2] != "hostile":
        sys.stderr.write("usage: lo_uno.py PROFILE_DIR hostile SRC.ods OUT_DIR\n")
        return 64
    with Office(argv[1]) as office:
        hostile(office, argv[3], argv[4])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
