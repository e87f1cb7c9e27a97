"""A minimal PDF reader: finds the CII XML a Factur-X file embeds."""

import re
import zlib

from .common import Rejected


class PdfName(str):
    """A PDF name object (/Type), kept apart from strings (bytes)."""


class PdfRef:
    __slots__ = ("num", "gen")

    def __init__(self, num, gen):
        self.num, self.gen = num, gen


class PdfSyntaxError(Exception):
    pass


class MiniPdf:
    """Just enough PDF to find the CII XML a Factur-X file embeds.

    Scans every "N G obj" (no reliance on the xref table, which generators
    get wrong), expands object streams, inflates FlateDecode streams with
    a size limit (PNG predictors included), and resolves references.
    """

    WS = b" \t\r\n\x0c\x00"
    DELIMS = b"()<>[]{}/%"
    OBJ_RE = re.compile(rb"(?<![0-9])(\d{1,10})[ \t\r\n\x0c\x00]+(\d{1,5})[ \t\r\n\x0c\x00]+obj(?![A-Za-z])")
    REF_RE = re.compile(rb"[ \t\r\n\x0c\x00]+(\d{1,5})[ \t\r\n\x0c\x00]+R(?![A-Za-z])")
    NUM_RE = re.compile(rb"[+-]?(\d+\.?\d*|\.\d+)")
    CII_RE = re.compile(rb"<\s*(?:[A-Za-z_][\w.-]*:)?CrossIndustryInvoice[\s>/]")

    def __init__(self, data, max_inflate):
        self.data = data
        self.max_inflate = max_inflate
        self.objects = {}  # num -> (value, raw stream bytes or None)
        self._scan()
        self._expand_object_streams()

    # -- tokenizer
    def _skip(self, buf, i):
        n = len(buf)
        while i < n:
            c = buf[i]
            if c in self.WS:
                i += 1
            elif c == 0x25:  # % comment
                while i < n and buf[i] not in b"\r\n":
                    i += 1
            else:
                break
        return i

    def _parse(self, buf, i, depth=0):
        if depth > 64:
            raise PdfSyntaxError("nesting too deep")
        i = self._skip(buf, i)
        if i >= len(buf):
            raise PdfSyntaxError("unexpected end")
        c = buf[i]
        if buf.startswith(b"<<", i):
            i += 2
            d = {}
            while True:
                i = self._skip(buf, i)
                if buf.startswith(b">>", i):
                    return d, i + 2
                key, i = self._parse(buf, i, depth + 1)
                if not isinstance(key, PdfName):
                    raise PdfSyntaxError("dictionary key is not a name")
                d[str(key)], i = self._parse(buf, i, depth + 1)
        if c == 0x5B:  # [
            i += 1
            arr = []
            while True:
                i = self._skip(buf, i)
                if i >= len(buf):
                    raise PdfSyntaxError("unterminated array")
                if buf[i] == 0x5D:
                    return arr, i + 1
                v, i = self._parse(buf, i, depth + 1)
                arr.append(v)
        if c == 0x2F:  # /Name
            j = i + 1
            while j < len(buf) and buf[j] not in self.WS and buf[j] not in self.DELIMS:
                j += 1
            raw = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), buf[i + 1:j])
            return PdfName(raw.decode("latin-1")), j
        if c == 0x28:  # (string)
            return self._literal(buf, i)
        if c == 0x3C:  # <hex>
            j = buf.find(b">", i)
            if j < 0:
                raise PdfSyntaxError("unterminated hex string")
            hexs = re.sub(rb"[^0-9A-Fa-f]", b"", buf[i + 1:j])
            if len(hexs) % 2:
                hexs += b"0"
            return bytes.fromhex(hexs.decode("ascii")), j + 1
        j = i
        while j < len(buf) and buf[j] not in self.WS and buf[j] not in self.DELIMS:
            j += 1
        tok = buf[i:j]
        if not tok:
            raise PdfSyntaxError(f"unexpected byte at {i}")
        if tok.isdigit():
            m = self.REF_RE.match(buf, j)
            if m:
                return PdfRef(int(tok), int(m.group(1))), m.end()
            return int(tok), j
        if self.NUM_RE.fullmatch(tok):
            return float(tok), j
        return {b"true": True, b"false": False, b"null": None}.get(tok, tok), j

    def _literal(self, buf, i):
        out = bytearray()
        depth, i, n = 1, i + 1, len(buf)
        escapes = {0x6E: 10, 0x72: 13, 0x74: 9, 0x62: 8, 0x66: 12}
        while i < n:
            c = buf[i]
            if c == 0x5C:  # backslash
                i += 1
                if i >= n:
                    break
                e = buf[i]
                if e in escapes:
                    out.append(escapes[e])
                    i += 1
                elif 0x30 <= e <= 0x37:
                    j = i
                    while j < min(i + 3, n) and 0x30 <= buf[j] <= 0x37:
                        j += 1
                    out.append(int(buf[i:j], 8) & 0xFF)
                    i = j
                elif e == 0x0D:
                    i += 2 if buf[i + 1:i + 2] == b"\n" else 1
                elif e == 0x0A:
                    i += 1
                else:
                    out.append(e)
                    i += 1
                continue
            if c == 0x28:
                depth += 1
            elif c == 0x29:
                depth -= 1
                if depth == 0:
                    return bytes(out), i + 1
            out.append(c)
            i += 1
        raise PdfSyntaxError("unterminated string")

    # -- objects
    def _scan(self):
        buf, pos = self.data, 0
        while True:
            m = self.OBJ_RE.search(buf, pos)
            if not m:
                return
            pos = m.end()
            try:
                val, j = self._parse(buf, m.end())
            except PdfSyntaxError:
                continue
            stream = None
            if isinstance(val, dict):
                k = self._skip(buf, j)
                if buf.startswith(b"stream", k):
                    stream, pos = self._stream_bytes(buf, k + 6, val.get("Length"))
                    if stream is None:
                        continue
            self.objects[int(m.group(1))] = (val, stream)

    def _stream_bytes(self, buf, start, length):
        if buf.startswith(b"\r\n", start):
            start += 2
        elif buf[start:start + 1] in (b"\n", b"\r"):
            start += 1
        if isinstance(length, int) and length >= 0:
            e = start + length
            k = e
            while k < len(buf) and buf[k] in self.WS:
                k += 1
            if buf.startswith(b"endstream", k):
                return buf[start:e], k + 9
        e = buf.find(b"endstream", start)
        if e < 0:
            return None, start
        end = e
        if buf[end - 2:end] == b"\r\n":
            end -= 2
        elif buf[end - 1:end] in (b"\n", b"\r"):
            end -= 1
        return buf[start:end], e + 9

    def _expand_object_streams(self):
        for val, stream in list(self.objects.values()):
            if not (isinstance(val, dict) and val.get("Type") == "ObjStm" and stream is not None):
                continue
            data = self.decode(val, stream)
            n, first = val.get("N"), val.get("First")
            if data is None or not isinstance(n, int) or not isinstance(first, int):
                continue
            header = data[:first].split()
            for k in range(min(n, len(header) // 2)):
                try:
                    num, off = int(header[2 * k]), int(header[2 * k + 1])
                    v, _ = self._parse(data, first + off)
                except (ValueError, PdfSyntaxError):
                    continue
                self.objects.setdefault(num, (v, None))

    def resolve(self, v):
        for _ in range(32):
            if not isinstance(v, PdfRef):
                return v
            v = self.objects.get(v.num, (None, None))[0]
        return None

    def decode(self, d, raw):
        """Apply the stream's filters; None when one is not supported."""
        filters = self.resolve(d.get("Filter"))
        parms = self.resolve(d.get("DecodeParms"))
        if filters is None:
            return raw
        if not isinstance(filters, list):
            filters, parms = [filters], [parms]
        if not isinstance(parms, list):
            parms = [parms] * len(filters)
        data = raw
        for f, p in zip(filters, parms + [None] * len(filters)):
            if f not in ("FlateDecode", "Fl"):
                return None
            inflater = zlib.decompressobj()
            try:
                data = inflater.decompress(data, self.max_inflate + 1)
            except zlib.error:
                return None
            if len(data) > self.max_inflate:
                raise Rejected("IRRECEVABILITE: un flux du PDF décompressé dépasse la taille maximale")
            p = self.resolve(p)
            if isinstance(p, dict) and isinstance(p.get("Predictor"), int) and p["Predictor"] >= 10:
                data = self._png_unpredict(data, p.get("Columns", 1), p.get("Colors", 1),
                                           p.get("BitsPerComponent", 8))
        return data

    @staticmethod
    def _png_unpredict(data, columns, colors, bpc):
        bpp = max(1, colors * bpc // 8)
        rowlen = (columns * colors * bpc + 7) // 8
        out, prev = bytearray(), bytearray(rowlen)
        for r in range(0, len(data), rowlen + 1):
            ft, row = data[r], bytearray(data[r + 1:r + 1 + rowlen])
            if len(row) < rowlen:
                break
            for i in range(rowlen):
                a = row[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                if ft == 1:
                    row[i] = (row[i] + a) & 255
                elif ft == 2:
                    row[i] = (row[i] + b) & 255
                elif ft == 3:
                    row[i] = (row[i] + ((a + b) >> 1)) & 255
                elif ft == 4:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            out += row
            prev = row
        return bytes(out)

    @staticmethod
    def text(v):
        if isinstance(v, bytes):
            if v.startswith(b"\xfe\xff"):
                return v[2:].decode("utf-16-be", errors="replace")
            if v.startswith(b"\xef\xbb\xbf"):
                return v[3:].decode("utf-8", errors="replace")
            return v.decode("latin-1")
        return v if isinstance(v, str) else None

    def _stream_content(self, ref):
        if not isinstance(ref, PdfRef):
            return None
        val, raw = self.objects.get(ref.num, (None, None))
        if not isinstance(val, dict) or raw is None:
            return None
        return self.decode(val, raw)

    def facturx_xml(self):
        """The factur-x.xml embedded file, else any stream holding a CII."""
        for val, _ in self.objects.values():
            if not isinstance(val, dict) or "EF" not in val:
                continue
            names = [self.text(self.resolve(val.get(k))) for k in ("UF", "F")]
            if not any(n and n.strip().lower() == "factur-x.xml" for n in names):
                continue
            ef = self.resolve(val["EF"])
            if isinstance(ef, dict):
                content = self._stream_content(ef.get("F") or ef.get("UF"))
                if content is not None:
                    return content
        for val, raw in self.objects.values():
            if raw is None or not isinstance(val, dict):
                continue
            content = self.decode(val, raw)
            if content and self.CII_RE.search(content[:65536]):
                return content
        return None
