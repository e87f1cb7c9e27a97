#!/usr/bin/env python3
"""dicts.py — writes the libFuzzer dictionaries tests/fuzz/fuzz_*.dict from
the sources (JSON keys of the API and of bilans and conventions, INI keys,
state-file keys), so that the fuzzer does not have to guess them. Run from
the repository root after the keys change: python3 tests/fuzz/dicts.py"""
import re

def lits(path, pat):
    s = open(path, encoding='utf-8').read()
    return sorted(set(m for m in re.findall(r'"([^"\\\n]{2,40})"', s) if re.fullmatch(pat, m)))

def esc(w):
    out = ''
    for b in w.encode('utf-8'):
        c = chr(b)
        if c in '\\"':
            out += '\\' + c
        elif 32 <= b < 127:
            out += c
        else:
            out += '\\x%02X' % b
    return '"' + out + '"'

def write(name, words):
    seen = []
    for w in words:
        if w not in seen:
            seen.append(w)
    with open('tests/fuzz/%s.dict' % name, 'w') as f:
        f.write('# %s: libFuzzer dictionary, written by tests/fuzz/dicts.py\n' % name)
        for w in seen:
            f.write(esc(w) + '\n')

JSON = ['{', '}', '[', ']', ':', ',', 'true', 'false', 'null', '""', '-1', '0', '1e308', '0.01',
        '9007199254740993', '\\u0000', '\\ud800', '\\"']
KV = ['VERSION=1\n', 'END=1\n', '\\x', '\\n', '\\\\', '\\t', '=', '\n']
q = lambda ks: ['"%s"' % k for k in ks]

api = lits('daemon/chorus/chorus_api.c', r'[a-z][A-Za-z0-9]+') + lits('daemon/chorus/chorus_structures.c', r'[a-z][A-Za-z0-9]+') + lits('daemon/chorus/chorus_error.c', r'[a-z_][A-Za-z0-9_]+')
write('fuzz_chorus_answer', q(api + ['codeRetour', 'libelle', 'parametresRetour', 'pageCourante', 'pages']) + JSON)
write('fuzz_chorus_token', q(['access_token', 'token_type', 'expires_in', 'scope', 'error', 'error_description',
                              'Bearer', 'bearer']) + JSON)
write('fuzz_bilan', q(lits('daemon/core/bilan.c', r'[a-z_]+') + lits('daemon/core/convention.c', r'[a-z_]+') +
                      ['2026-12-10', 'CDCMC-2026']) + JSON)
write('fuzz_convention', q(lits('daemon/core/convention.c', r'[a-zA-Z_]+') + ['2026-01-01', '20.00']) + JSON)
cfg = sorted(set(re.findall(r'\(\s*"([a-z_]+)",\s*"([a-z_]+)"', open('daemon/base/config_keys.c').read())))
write('fuzz_config', ['[%s]' % s for s in sorted(set(k[0] for k in cfg))] + ['%s = ' % k[1] for k in cfg] +
      ['=', ';', '#', '\n', '\\', 'ubl', 'cii', 'facturx', 'production', 'qualification', 'custom', '30s', '1M',
       'FR', '18446744073709551616'])
jobkeys = lits('daemon/service/jobstate.c', r'[A-Z_0-9]{3,}')
numkeys = lits('daemon/service/numbering.c', r'[A-Z_0-9]{3,}') + ['JOB', 'CONVENTION', 'NUMBER', 'ISSUE_DATE', 'ALLOCATED',
                                                          'STATE', 'FLUX', 'VOIDED', 'YEAR_2026']
write('fuzz_kvfile', [k + '=' for k in jobkeys + numkeys] + KV)
write('fuzz_jobstate', [k + '=' for k in jobkeys] + lits('daemon/service/jobstate.c', r'[a-z_]{3,}') + KV +
      ['20261201-000000-76e8efe5', '2026-12-10'])
write('fuzz_numbering', [k + '=' for k in numkeys] + ['live', 'voided'] + KV +
      ['\n\n', '20261201-000000-76e8efe5', '2026-12-10'])
write('fuzz_audit', q(lits('daemon/service/audit.c', r'[a-z_]{2,}')) + JSON +
      ['\n', '0' * 64, '"2026-12-01T00:00:00.000000Z"'])
write('fuzz_http_headers', ['Retry-After: ', 'WWW-Authenticate: ', '\r\n', 'HTTP/1.1 ', 'Bearer ', 'realm=',
                            'error=', 'error_description=', '"', ',', 'GMT', 'Sun, 06 Nov 1994 08:50:07 GMT',
                            'Sunday, 06-Nov-94 08:49:37 GMT', 'Sun Nov  6 08:49:37 1994', 'Jan', 'Dec', '\\"'])
XML = ['<?xml version="1.0" encoding="UTF-8"?>', '<!DOCTYPE', '<![CDATA[', ']]>', '<!--', '-->', '&amp;',
       '&#10;', '&#x1F600;', 'xml:space="preserve"', '/>', '</', '="']
write('fuzz_ods', ['office:value-type="', 'calcext:value-type="', 'office:value="', 'office:date-value="',
                   'office:boolean-value="', 'office:string-value="', 'table:number-rows-repeated="',
                   'table:number-columns-repeated="', 'table:visibility="collapse"', 'table:visibility="filter"',
                   'table:display="false"', 'style:family="table"', 'text:c="', 'float', 'percentage', 'currency',
                   'date', 'boolean', 'string', 'error', '2026-03-14T00:00:00', '1.3002602400013E+13',
                   '4294967296', '1048576', '1024'] +
     ['<%s:%s' % p for p in [('office', 'document-content'), ('office', 'body'), ('office', 'spreadsheet'),
                             ('office', 'automatic-styles'), ('office', 'annotation'), ('style', 'style'),
                             ('style', 'table-properties'), ('table', 'table'), ('table', 'table-row'),
                             ('table', 'table-cell'), ('table', 'covered-table-cell'), ('table', 'table-header-rows'),
                             ('text', 'p'), ('text', 'h'), ('text', 's'), ('text', 'tab'), ('text', 'line-break'),
                             ('text', 'span'), ('text', 'note'), ('manifest', 'encryption-data')]] +
     ['xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"',
      'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"',
      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"',
      'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"',
      'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"',
      '\n--part--\n'] + XML)
write('fuzz_xlsx', ['<%s' % e for e in ['worksheet', 'sheetData', 'row', 'c', 'v', 'f', 'is', 't', 'r', 'rPh', 'si',
                                         'sst', 'styleSheet', 'numFmts', 'numFmt', 'cellXfs', 'cellStyleXfs', 'xf',
                                         'workbook', 'workbookPr', 'sheets', 'sheet', 'Relationships',
                                         'Relationship', 'Types', 'Override']] +
     [a + '="' for a in ['r', 's', 't', 'hidden', 'numFmtId', 'formatCode', 'date1904', 'name', 'state', 'r:id',
                         'Id', 'Type', 'Target', 'TargetMode', 'ContentType', 'xmlns:r']] +
     ['inlineStr', 'str', 'veryHidden', 'External', '/worksheet', '/sharedStrings', '/styles', '/chartsheet',
      'worksheets/sheet1.xml', '/xl/worksheets/sheet1.xml', '../', 'macroEnabled', 'dd/mm/yyyy', '[$-40C]',
      '"m"', 'h:mm', 'XFD1048576', 'AMJ1', 'AMK1', '_x000D_', '_x005F_', '46095', '60', '2958465',
      'http://schemas.openxmlformats.org/spreadsheetml/2006/main',
      'http://schemas.openxmlformats.org/officeDocument/2006/relationships', '\n--part--\n'] + XML)
