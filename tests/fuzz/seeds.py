#!/usr/bin/env python3
"""seeds.py — writes the hand-made seeds of tests/fuzz/corpus/ (README.md).

Run from the repository root: python3 tests/fuzz/seeds.py OUTDIR. It
copies the repository's own inputs (config/examples, conventions, test
configurations), takes the JSON strings of tests/test_chorus_api.c and
tests/test_chorus_error.c, and adds a few hand-written answers, headers
and state files. The committed corpus is this merged with what the
fuzzer found (scripts/fuzz --merge)."""
import ast, glob, hashlib, os, re, shutil, sys

out = sys.argv[1]

def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)

def files(*patterns):
    for p in patterns:
        for f in sorted(glob.glob(p, recursive=True)):
            if os.path.isfile(f):
                yield open(f, "rb").read()

for d in files("config/examples/*.json", "tests/data/e2e/bilans/**/*.json", "tests/data/render/bilans/**/*.json"):
    put("fuzz_bilan", d)
for d in files("config/conventions.d/*.json", "tests/data/conventions/**/*.json",
               "tests/data/e2e/conventions.d/*.json", "tests/data/render/conventions.d/*.json"):
    put("fuzz_convention", d)
for d in files("config/chorusd.conf", "tests/data/config/*.conf"):
    put("fuzz_config", d)

# C string literals (adjacent ones concatenated) that look like JSON objects.
def c_strings(path):
    text = open(path, encoding="utf-8").read()
    lit = r'"(?:[^"\\\n]|\\.)*"'
    for m in re.finditer(r'(%s(?:\s*%s)*)' % (lit, lit), text):
        parts = re.findall(lit, m.group(1))
        try:
            s = "".join(ast.literal_eval(p) for p in parts)
        except (ValueError, SyntaxError):
            continue
        yield s

for src in ("tests/test_chorus_api.c", "tests/test_chorus_error.c"):
    for s in c_strings(src):
        if s.startswith("{") and s.endswith("}") and len(s) > 8:
            put("fuzz_chorus_token" if "access_token" in s else "fuzz_chorus_answer", s)

for s in ['{"codeRetour":0,"libelle":"TRA_MSG_00.000","numeroFluxDepot":"CPP0011100000000000000001",'
          '"dateDepot":"2026-12-10","syntaxeFlux":"IN_DP_E1_UBL_INVOICE"}',
          '{"codeRetour":20001,"libelle":"Le fichier transmis est invalide"}',
          '{"codeRetour":0,"libelle":"OK","listeFactures":[],"parametresRetour":{"pageCourante":1,"pages":1,'
          '"nbResultatsParPage":100,"total":0}}',
          '[]', '"x"', 'null', '{"codeRetour":"0"}', '{"codeRetour":1.5}']:
    put("fuzz_chorus_answer", s)
for s in ['{"error":"invalid_client","error_description":"Client authentication failed"}',
          '{"access_token":"abc","token_type":"Bearer","expires_in":-1}',
          '{"access_token":"abc","token_type":"Bearer","expires_in":1e300}']:
    put("fuzz_chorus_token", s)

for s in ["HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\n\r\n",
          "HTTP/1.1 503 Service Unavailable\r\nretry-after:  Sun, 06 Nov 1994 08:50:07 GMT \r\n",
          "Retry-After: Wed, 31 Dec 2026 23:59:59 GMT\r\n",
          "Retry-After: 18446744073709551616\r\n",
          "Retry-After: -1\r\nRetry-After: 120\r\n",
          'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm="PISTE",error="Unauthorized",'
          'error_description="login or password incorrects"\r\n',
          'WWW-Authenticate: Bearer error=invalid_token, error_description="a \\"quoted\\" text"\r\n',
          'WWW-Authenticate: Bearer ERROR="x",Error_Description="y",error="ignored second"\r\n',
          'WWW-Authenticate: Bearer realm="PISTE",error_description="unterminated\r\n',
          "Content-Type: application/json\r\nWWW-Authenticate:\tBearer\r\n"]:
    put("fuzz_http_headers", s)

# Spreadsheet bilans (fuzz_ods, fuzz_xlsx, tests/fuzz/workbook_fuzz.h): the
# real applications' files whole, and their XML parts joined by the
# separator the targets split at.
import zipfile
SEP = "\n--part--\n"
def zip_parts(path, names):
    with zipfile.ZipFile(path) as z:
        have = set(z.namelist())
        return SEP.join(z.read(n).decode("utf-8") if n in have else "" for n in names)
for f in sorted(glob.glob("tests/data/workbooks/*.ods")):
    put("fuzz_ods", open(f, "rb").read())
    put("fuzz_ods", zip_parts(f, ["content.xml", "META-INF/manifest.xml"]))
for f in sorted(glob.glob("tests/data/workbooks/*.xlsx")):
    put("fuzz_xlsx", open(f, "rb").read())
    put("fuzz_xlsx", zip_parts(f, ["xl/worksheets/sheet3.xml", "xl/sharedStrings.xml", "xl/styles.xml",
                                   "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml"]))
put("fuzz_xlsx", '<worksheet><sheetData><row r="1" hidden="1"><c r="A1" t="inlineStr"><is><r><t>a</t></r>'
                 '<rPh><t>b</t></rPh></is></c><c s="1"><v>46095</v></c><c t="b"><v>1</v></c><c t="e"><v>#N/A</v>'
                 '</c><c t="str"><f>1</f><v>x_x000D_</v></c><c t="d"><v>2026-03-14</v></c></row></sheetData>'
                 '</worksheet>' + SEP + '<sst><si><t>s</t></si></sst>' + SEP +
                 '<styleSheet><numFmts><numFmt numFmtId="164" formatCode="[$-40C]d mmmm yyyy;@"/></numFmts>'
                 '<cellXfs><xf numFmtId="0"/><xf numFmtId="164"/></cellXfs></styleSheet>' + SEP +
                 '<workbook><workbookPr date1904="1"/><sheets><sheet name="B" state="hidden" r:id="rId1" '
                 'xmlns:r="urn:r"/></sheets></workbook>')
put("fuzz_ods", '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
                'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
                'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
                'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"><office:automatic-styles>'
                '<style:style style:name="ta2" style:family="table"><style:table-properties table:display="false"/>'
                '</style:style></office:automatic-styles><office:body><office:spreadsheet>'
                '<table:table table:name="R" table:style-name="ta2"><table:table-row table:number-rows-repeated="3" '
                'table:visibility="collapse"><table:table-cell table:number-columns-repeated="2" '
                'office:value-type="date" office:date-value="2026-03-14"><text:p>a<text:s text:c="2"/>b'
                '<text:tab/><text:line-break/><text:span>c</text:span></text:p><text:p/></table:table-cell>'
                '<table:covered-table-cell/><table:table-cell office:value-type="float" office:value="1.5E+3"/>'
                '</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>')
