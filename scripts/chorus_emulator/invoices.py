"""Reading deposited files (UBL, CII, Factur-X, archives) as far as routing needs."""

import dataclasses
import io
import re
import tarfile
import xml.etree.ElementTree as ET
import xml.parsers.expat
import zipfile
import zlib
from decimal import Decimal, InvalidOperation

from .common import CII_ROOT, MAX_ARCHIVE_MEMBERS, NS, Rejected, SYNTAXES, TYPE_CODES, UBL_ROOTS
from .pdf import MiniPdf


@dataclasses.dataclass
class ParsedInvoice:
    """What Chorus Pro needs from one invoice to route and list it."""

    number: str
    syntax: str  # ubl | cii
    file_name: str | None = None
    type_facture: str = "FACTURE"
    issue_date: str | None = None
    currency: str | None = None
    cadre: str | None = None
    supplier_siret: str | None = None
    supplier_name: str | None = None
    buyer_siret: str | None = None
    buyer_name: str | None = None
    service_code: str | None = None
    engagement: str | None = None
    montant_ht: Decimal | None = None
    montant_ttc: Decimal | None = None
    montant_a_payer: Decimal | None = None
    # BT-25 of a credit note (AVOIR): the invoice it cancels
    numero_facture_origine: str | None = None


class InvoiceParser:
    """Reads a deposited file as far as Chorus Pro's routing needs.

    Not an XSD validator: it refuses what is not well-formed (and any
    DOCTYPE: no entity tricks), a root that does not match syntaxeFlux,
    a Factur-X without its CII, and reads number, parties, BT-10, BT-13,
    BT-23, totals and, for a credit note (UBL CreditNote, type 381), BT-25.  .tar.gz / .zip batches hold several invoices.
    """

    def __init__(self, max_member):
        self.max_member = max_member
        self.max_total = 3 * max_member

    def parse(self, data, syntaxe):
        """Returns (invoices, technical_errors); one of them is empty."""
        kind = SYNTAXES[syntaxe].kind
        if kind is None:
            return [], [Rejected(f"IRRECEVABILITE: la syntaxe {syntaxe} est acceptée au dépôt mais "
                                 "n'est pas modélisée par l'émulateur").error]
        try:
            files = self._unpack(data)
            if not files:
                raise Rejected("IRRECEVABILITE: l'archive ne contient aucune facture")
            return [self._parse_one(name, content, kind, syntaxe) for name, content in files], []
        except Rejected as e:
            return [], [e.error]

    def _unpack(self, data):
        if data[:2] == b"\x1f\x8b":
            try:
                with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tf:
                    return self._members((m.name, m.size, lambda m=m: tf.extractfile(m).read())
                                         for m in tf if m.isfile())
            except (tarfile.TarError, EOFError, OSError, zlib.error):
                pass
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            try:
                content = inflater.decompress(data, self.max_member + 1)
            except zlib.error:
                raise Rejected("IRRECEVABILITE: archive gzip illisible")
            if len(content) > self.max_member:
                raise Rejected("IRRECEVABILITE: fichier décompressé trop volumineux")
            return [(None, content)]
        if data[:4] == b"PK\x03\x04":
            try:
                with zipfile.ZipFile(io.BytesIO(data)) as zf:
                    return self._members((i.filename, i.file_size,
                                          lambda i=i: zf.open(i).read(self.max_member + 1))
                                         for i in zf.infolist() if not i.is_dir())
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError):
                raise Rejected("IRRECEVABILITE: archive zip illisible")
        return [(None, data)]

    def _members(self, members):
        out, total = [], 0
        for name, size, read in members:
            base = name.rsplit("/", 1)[-1]
            if base.startswith(".") or name.startswith("__MACOSX/"):
                continue
            if len(out) >= MAX_ARCHIVE_MEMBERS:
                raise Rejected(f"IRRECEVABILITE: plus de {MAX_ARCHIVE_MEMBERS} fichiers dans l'archive")
            content = read()
            total += len(content)
            if size > self.max_member or len(content) > self.max_member or total > self.max_total:
                raise Rejected("IRRECEVABILITE: fichier de l'archive trop volumineux")
            out.append((name, content))
        return out

    def _parse_one(self, name, content, kind, syntaxe):
        where = f" (fichier {name})" if name else ""
        if kind == "facturx":
            if b"%PDF-" not in content[:1024]:
                raise Rejected(f"IRRECEVABILITE: le fichier n'est pas un PDF (en-tête %PDF- absent){where}")
            xml = MiniPdf(content, self.max_member).facturx_xml()
            if xml is None:
                raise Rejected("IRRECEVABILITE: aucun fichier factur-x.xml (CrossIndustryInvoice) "
                               f"n'est embarqué dans le PDF{where}")
            content = xml
        root = self.safe_xml(content, where)
        if kind == "ubl" and root.tag in UBL_ROOTS:
            inv = self._ubl(root, where)
        elif kind in ("cii", "facturx") and root.tag == CII_ROOT:
            inv = self._cii(root, where)
        else:
            local = root.tag.rsplit("}", 1)[-1]
            raise Rejected(f"IRRECEVABILITE: cvc-elt.1.a: Cannot find the declaration of element "
                           f"'{local}' (syntaxeFlux {syntaxe}){where} - ligne: 1 - position: 1")
        inv.file_name = name
        return inv

    @staticmethod
    def safe_xml(content, where=""):
        """Parse XML, refusing DOCTYPE/ENTITY declarations (no XXE, no bombs)."""

        def refuse(*_args):
            raise Rejected(f"IRRECEVABILITE: DOCTYPE et entités interdits{where}")

        p = xml.parsers.expat.ParserCreate()
        p.StartDoctypeDeclHandler = refuse
        p.EntityDeclHandler = refuse
        try:
            p.Parse(content, True)
        except xml.parsers.expat.ExpatError as e:
            raise Rejected(f"IRRECEVABILITE: le fichier n'est pas un XML bien formé "
                           f"({xml.parsers.expat.ErrorString(e.code)}){where} - ligne: {e.lineno} "
                           f"- position: {e.offset + 1}")
        return ET.fromstring(content)

    @staticmethod
    def _t(el):
        if el is None or el.text is None:
            return None
        return el.text.strip() or None

    @staticmethod
    def _dec(el):
        t = InvoiceParser._t(el)
        try:
            return Decimal(t) if t is not None else None
        except InvalidOperation:
            return None

    @staticmethod
    def pick_siret(cands):
        """The SIRET among a party's identifiers (schemes 0009, 1, or none)."""
        vals = [(re.sub(r"\s", "", v), s) for v, s in cands if v]
        fourteen = [(v, s) for v, s in vals if re.fullmatch(r"\d{14}", v)]
        for v, s in fourteen:
            if s in ("0009", "1", "SIRET"):
                return v
        if fourteen:
            return fourteen[0][0]
        return vals[0][0] if vals else None

    def _missing_id(self, element, where):
        raise Rejected(f"IRRECEVABILITE: cvc-complex-type.2.4.a: élément obligatoire '{element}' "
                       f"absent ou vide (numéro de facture){where}")

    def _ubl(self, root, where):
        f = lambda path: root.find(path, NS)  # noqa: E731
        number = self._t(f("cbc:ID"))
        if not number:
            self._missing_id("cbc:ID", where)

        def party(path):
            p = f(path)
            if p is None:
                return None, None
            cands = [(self._t(e), e.get("schemeID")) for e in p.findall("cac:PartyIdentification/cbc:ID", NS)]
            cands += [(self._t(e), e.get("schemeID")) for e in p.findall("cac:PartyLegalEntity/cbc:CompanyID", NS)]
            name = self._t(p.find("cac:PartyName/cbc:Name", NS)) or \
                self._t(p.find("cac:PartyLegalEntity/cbc:RegistrationName", NS))
            return self.pick_siret(cands), name

        supplier, supplier_name = party("cac:AccountingSupplierParty/cac:Party")
        buyer, buyer_name = party("cac:AccountingCustomerParty/cac:Party")
        if root.tag.endswith("}CreditNote"):
            type_facture = "AVOIR"
        else:
            type_facture = TYPE_CODES.get(self._t(f("cbc:InvoiceTypeCode")) or "380", "FACTURE")
        return ParsedInvoice(
            number=number, syntax="ubl", type_facture=type_facture,
            issue_date=self._t(f("cbc:IssueDate")), currency=self._t(f("cbc:DocumentCurrencyCode")),
            cadre=self._t(f("cbc:ProfileID")),
            supplier_siret=supplier, supplier_name=supplier_name,
            buyer_siret=buyer, buyer_name=buyer_name,
            service_code=self._t(f("cbc:BuyerReference")),
            engagement=self._t(f("cac:OrderReference/cbc:ID")),
            montant_ht=self._dec(f("cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount")),
            montant_ttc=self._dec(f("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount")),
            montant_a_payer=self._dec(f("cac:LegalMonetaryTotal/cbc:PayableAmount")),
            numero_facture_origine=self._t(f("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID")))

    def _cii(self, root, where):
        f = lambda path: root.find(path, NS)  # noqa: E731
        number = self._t(f("rsm:ExchangedDocument/ram:ID"))
        if not number:
            self._missing_id("rsm:ExchangedDocument/ram:ID", where)
        agreement = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/"
        settlement = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/"
        sums = settlement + "ram:SpecifiedTradeSettlementHeaderMonetarySummation/"

        def party(path):
            p = f(agreement + path)
            if p is None:
                return None, None
            cands = [(self._t(e), e.get("schemeID")) for e in p.findall("ram:SpecifiedLegalOrganization/ram:ID", NS)]
            cands += [(self._t(e), e.get("schemeID")) for e in p.findall("ram:GlobalID", NS)]
            cands += [(self._t(e), e.get("schemeID")) for e in p.findall("ram:ID", NS)]
            return self.pick_siret(cands), self._t(p.find("ram:Name", NS))

        supplier, supplier_name = party("ram:SellerTradeParty")
        buyer, buyer_name = party("ram:BuyerTradeParty")
        date = self._t(f("rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString"))
        if date and re.fullmatch(r"\d{8}", date):
            date = f"{date[:4]}-{date[4:6]}-{date[6:]}"
        return ParsedInvoice(
            number=number, syntax="cii",
            type_facture=TYPE_CODES.get(self._t(f("rsm:ExchangedDocument/ram:TypeCode")) or "380", "FACTURE"),
            issue_date=date, currency=self._t(f(settlement + "ram:InvoiceCurrencyCode")),
            cadre=self._t(f("rsm:ExchangedDocumentContext/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID")),
            supplier_siret=supplier, supplier_name=supplier_name,
            buyer_siret=buyer, buyer_name=buyer_name,
            service_code=self._t(f(agreement + "ram:BuyerReference")),
            engagement=self._t(f(agreement + "ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID")),
            montant_ht=self._dec(f(sums + "ram:TaxBasisTotalAmount")),
            montant_ttc=self._dec(f(sums + "ram:GrandTotalAmount")),
            montant_a_payer=self._dec(f(sums + "ram:DuePayableAmount")),
            numero_facture_origine=self._t(f(settlement + "ram:InvoiceReferencedDocument/ram:IssuerAssignedID")))
