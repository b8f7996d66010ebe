"""A synthetic municipal file share, for demos, tests and benchmarks.

``write_sample_share`` writes French local-authority documents (CCAS files,
HR records, school canteen lists, citizens' letters, budgets, agendas,
technical notes) in every format the extractor reads, some full of personal
data and some with none, and returns a manifest of what each file holds so
that tests can check extraction and detection against it. All people are
made up with Faker ``fr_FR``; identifiers carry valid check digits (NIR key,
IBAN and RIB keys) so that a validating detector must find them; mail
domains are ``example.org``.

With ``hostile=True`` it adds the files a real share throws at a scanner:
corrupt and truncated documents, encrypted ones, a zip bomb (small on disk),
archives nested too deep, an oversized sparse file, binary junk, a symlink
loop and a file name that is not UTF-8.
"""

from __future__ import annotations

import io
import json
import os
import random
import struct
import textwrap
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from rgpd.scan.extract.model import ExtractLimits, Format, Reason
from rgpd.taxonomy import Entity

# -- manifest ---------------------------------------------------------------------------


@dataclass
class SampleFile:
    """One generated file (or archive member, named ``archive.zip!member``)."""

    path: str  # relative to the share root, "/" separated
    format: str  # rgpd.scan.extract.Format value
    kind: str  # template: "ccas_dossier", "budget", ... or "hostile"
    personal: bool  # holds data about an identifiable person
    entities: dict[Entity, list[str]] = field(default_factory=dict)  # values as written
    expected_error: str | None = None  # rgpd.scan.extract.Reason for hostile files
    members: list[SampleFile] = field(default_factory=list)  # archive members

    @property
    def entity_types(self) -> frozenset[Entity]:
        return frozenset(k for k, v in self.entities.items() if v)


@dataclass
class ShareManifest:
    root: Path
    seed: int
    files: list[SampleFile]

    def get(self, path: str) -> SampleFile:
        for f in self.files:
            if f.path == path:
                return f
            for m in f.members:
                if m.path == path:
                    return m
        raise KeyError(path)

    def to_json(self) -> str:
        def conv(f: SampleFile) -> dict[str, Any]:
            d = asdict(f)
            d["entities"] = {str(k): v for k, v in f.entities.items()}
            d["members"] = [conv(m) for m in f.members]
            return d

        return json.dumps(
            {"root": str(self.root), "seed": self.seed, "files": [conv(f) for f in self.files]},
            ensure_ascii=False,
            indent=1,
        )


# -- people and identifiers -------------------------------------------------------------

_HEALTH_NOTES = (
    "diabète de type 2",
    "insuffisance cardiaque",
    "maladie d'Alzheimer",
    "dépression sévère",
    "handicap moteur",
    "traitement par chimiothérapie",
    "insuffisance rénale chronique",
    "sclérose en plaques",
)
_ALLERGIES = (
    "allergie à l'arachide",
    "allergie au gluten (maladie cœliaque)",
    "allergie aux fruits à coque",
    "diabète de type 1 (PAI)",
)


def nir_for(sex: int, born: date, rng: random.Random) -> str:
    """A NIR consistent with sex and birth date, with its valid key (spaced form)."""
    from stdnum.fr import nir

    dept = rng.choice(["75", "69", "13", "33", "59", "35", "2A", "44", "31", "67"])
    body = (
        f"{sex}{born.year % 100:02d}{born.month:02d}{dept}{rng.randint(1, 990):03d}"
        f"{rng.randint(1, 999):03d}"
    )
    key = nir.calc_check_digits(body)
    return f"{body[0]} {body[1:3]} {body[3:5]} {body[5:7]} {body[7:10]} {body[10:13]} {key}"


def iban_fr(rng: random.Random) -> str:
    """A French IBAN whose RIB key and IBAN check digits are both valid, grouped by four."""
    from stdnum import iban

    bank = f"{rng.randint(10000, 99999)}"
    branch = f"{rng.randint(0, 99999):05d}"
    account = f"{rng.randint(0, 10**11 - 1):011d}"
    rib = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97
    bban = f"{bank}{branch}{account}{rib:02d}"
    check = iban.calc_check_digits(f"FR00{bban}")
    compact = f"FR{check}{bban}"
    assert iban.is_valid(compact)
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def _ascii(text: str) -> str:
    bare = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in bare.lower() if c.isalnum() or c in "-.")


@dataclass
class Person:
    first: str
    last: str
    sex: int
    born: date
    birth_city: str
    street: str
    postcode: str
    city: str
    phone: str
    email: str
    nir: str
    iban: str

    @property
    def name(self) -> str:
        return f"{self.first} {self.last.upper()}"

    @property
    def civility(self) -> str:
        return "M." if self.sex == 1 else "Mme"

    @property
    def address(self) -> str:
        return f"{self.street}, {self.postcode} {self.city}"

    @property
    def dob(self) -> str:
        return self.born.strftime("%d/%m/%Y")


class _Gen:
    def __init__(self, seed: int) -> None:
        from faker import Faker

        self.rng = random.Random(seed)
        self.fake = Faker("fr_FR")
        self.fake.seed_instance(seed)

    def person(self, min_age: int = 18, max_age: int = 90) -> Person:
        sex = self.rng.choice([1, 2])
        first = self.fake.first_name_male() if sex == 1 else self.fake.first_name_female()
        last = self.fake.last_name()
        born = self.fake.date_of_birth(minimum_age=min_age, maximum_age=max_age)
        return Person(
            first=first,
            last=last,
            sex=sex,
            born=born,
            birth_city=self.fake.city(),
            street=self.fake.street_address(),
            postcode=self.fake.postcode(),
            city=self.fake.city(),
            phone=self._phone(),
            email=f"{_ascii(first)}.{_ascii(last)}@example.org",
            nir=nir_for(sex, born, self.rng),
            iban=iban_fr(self.rng),
        )

    def _phone(self) -> str:
        digits = f"0{self.rng.choice('1234567')}" + "".join(
            str(self.rng.randint(0, 9)) for _ in range(8)
        )
        style = self.rng.randint(0, 2)
        if style == 0:
            return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
        if style == 1:
            return "+33 " + " ".join([digits[1]] + [digits[i : i + 2] for i in range(2, 10, 2)])
        return ".".join(digits[i : i + 2] for i in range(0, 10, 2))


# -- documents --------------------------------------------------------------------------


@dataclass
class SampleDoc:
    """One document's content, rendered by each writer in its own format.

    Keeping content apart from format is what lets the manifest stay true for
    every format: ``entities`` lists each value exactly as the text holds it.
    """

    kind: str
    title: str
    paragraphs: list[str]
    table: list[list[str]] = field(default_factory=list)  # header row first
    entities: dict[Entity, list[str]] = field(default_factory=dict)
    personal: bool = False
    sender: tuple[str, str] = ("Service courrier", "courrier@example.org")
    recipient: tuple[str, str] = ("Accueil mairie", "accueil@example.org")

    def add(self, entity: Entity, *values: str) -> None:
        bucket = self.entities.setdefault(entity, [])
        bucket.extend(v for v in values if v not in bucket)

    def lines(self) -> list[str]:
        out = [self.title, *self.paragraphs]
        out.extend("\t".join(row) for row in self.table)
        return out


def _ccas_dossier(g: _Gen) -> SampleDoc:
    p = g.person(25, 90)
    health = g.rng.choice(_HEALTH_NOTES)
    child = g.person(1, 17)
    child.last = p.last
    number = g.rng.randint(100, 999)
    d = SampleDoc(
        "ccas_dossier",
        f"Dossier de demande d'aide sociale n° CCAS-2024-{number}",
        [
            f"Demandeur : {p.civility} {p.name}",
            f"Né(e) le {p.dob} à {p.birth_city}",
            f"N° de sécurité sociale : {p.nir}",
            f"Adresse : {p.address}",
            f"Téléphone : {p.phone}",
            f"Courriel : {p.email}",
            f"Coordonnées bancaires (IBAN) : {p.iban}",
            f"Situation médicale : {health}, suivi à domicile par le service de soins infirmiers.",
            "Décision de la commission : aide accordée de 150 € pour la facture d'énergie.",
        ],
        [
            ["Nom", "Prénom", "Date de naissance", "Lien"],
            [p.last.upper(), p.first, p.dob, "demandeur"],
            [child.last.upper(), child.first, child.dob, "enfant"],
        ],
        personal=True,
        sender=(p.name, p.email),
        recipient=("CCAS", "ccas@example.org"),
    )
    d.add(Entity.PERSON, p.name, child.first)
    d.add(Entity.DATE_OF_BIRTH, p.dob, child.dob)
    d.add(Entity.LOCATION, p.address, p.birth_city)
    d.add(Entity.FR_NIR, p.nir)
    d.add(Entity.PHONE_NUMBER, p.phone)
    d.add(Entity.EMAIL_ADDRESS, p.email)
    d.add(Entity.IBAN_CODE, p.iban)
    d.add(Entity.HEALTH, health)
    return d


def _rh_agent(g: _Gen) -> SampleDoc:
    p = g.person(20, 64)
    grade = g.rng.choice(
        [
            "adjoint technique territorial",
            "rédacteur territorial",
            "adjoint administratif principal",
            "agent de maîtrise",
        ]
    )
    d = SampleDoc(
        "rh_agent",
        "Fiche de renseignements — agent",
        [
            f"Agent : {p.civility} {p.name}",
            f"Date de naissance : {p.dob}",
            f"Numéro de sécurité sociale : {p.nir}",
            f"Domicile : {p.address}",
            f"Téléphone personnel : {p.phone}",
            f"Adresse électronique : {p.email}",
            f"RIB pour le versement du traitement : {p.iban}",
            f"Grade : {grade}. Temps de travail : 100 %.",
        ],
        personal=True,
        sender=("Ressources humaines", "rh@example.org"),
        recipient=(p.name, p.email),
    )
    d.add(Entity.PERSON, p.name)
    d.add(Entity.DATE_OF_BIRTH, p.dob)
    d.add(Entity.LOCATION, p.address)
    d.add(Entity.FR_NIR, p.nir)
    d.add(Entity.PHONE_NUMBER, p.phone)
    d.add(Entity.EMAIL_ADDRESS, p.email)
    d.add(Entity.IBAN_CODE, p.iban)
    return d


def _cantine(g: _Gen) -> SampleDoc:
    d = SampleDoc(
        "liste_cantine",
        "Inscriptions restauration scolaire 2024-2025 — école du Centre",
        ["Liste arrêtée par le service périscolaire."],
        personal=True,
        sender=("Service périscolaire", "periscolaire@example.org"),
    )
    d.table.append(
        [
            "Nom",
            "Prénom",
            "Date de naissance",
            "Classe",
            "Responsable",
            "Téléphone",
            "Courriel",
            "Régime",
        ]
    )
    for _ in range(g.rng.randint(3, 6)):
        parent = g.person(28, 50)
        child = g.person(3, 10)
        allergy = g.rng.choice(_ALLERGIES) if g.rng.random() < 0.4 else "standard"
        d.table.append(
            [
                parent.last.upper(),
                child.first,
                child.dob,
                g.rng.choice(["CP", "CE1", "CE2", "CM1", "CM2"]),
                parent.name,
                parent.phone,
                parent.email,
                allergy,
            ]
        )
        d.add(Entity.PERSON, parent.name, child.first)
        d.add(Entity.DATE_OF_BIRTH, child.dob)
        d.add(Entity.PHONE_NUMBER, parent.phone)
        d.add(Entity.EMAIL_ADDRESS, parent.email)
        if allergy != "standard":
            d.add(Entity.HEALTH, allergy)
    return d


def _courrier(g: _Gen) -> SampleDoc:
    p = g.person(20, 85)
    child = g.person(0, 15)
    d = SampleDoc(
        "courrier_administre",
        "Demande d'acte de naissance",
        [
            p.name,
            p.street,
            f"{p.postcode} {p.city}",
            "Objet : demande de copie intégrale d'acte de naissance",
            "Madame, Monsieur,",
            f"Je vous prie de bien vouloir m'adresser une copie de l'acte de naissance de mon "
            f"enfant {child.first}, né le {child.dob}.",
            f"Vous pouvez me joindre au {p.phone} ou par courriel à {p.email}.",
            "Veuillez agréer mes salutations distinguées.",
        ],
        personal=True,
        sender=(p.name, p.email),
        recipient=("État civil", "etat-civil@example.org"),
    )
    d.add(Entity.PERSON, p.name, child.first)
    d.add(Entity.DATE_OF_BIRTH, child.dob)
    d.add(Entity.LOCATION, p.street, f"{p.postcode} {p.city}")
    d.add(Entity.PHONE_NUMBER, p.phone)
    d.add(Entity.EMAIL_ADDRESS, p.email)
    return d


def _budget(g: _Gen) -> SampleDoc:
    rows = [["Chapitre", "Libellé", "BP 2024", "BP 2025"]]
    for chap, label in (
        ("011", "Charges à caractère général"),
        ("012", "Charges de personnel"),
        ("65", "Autres charges de gestion courante"),
        ("66", "Charges financières"),
        ("023", "Virement à l'investissement"),
    ):
        a = g.rng.randint(50_000, 3_000_000)
        b = int(a * g.rng.uniform(0.95, 1.08))
        rows.append(
            [chap, label, f"{a:,}".replace(",", " ") + ",00", f"{b:,}".replace(",", " ") + ",00"]
        )
    return SampleDoc(
        "budget",
        "Budget primitif 2025 — section de fonctionnement",
        [
            "Le budget est présenté par chapitre, conformément à la nomenclature M57.",
            "Les crédits de personnel progressent du fait des mesures nationales.",
        ],
        rows,
        sender=("Service des finances", "finances@example.org"),
        recipient=("Direction générale", "direction@example.org"),
    )


def _agenda(g: _Gen) -> SampleDoc:
    day = date(2025, 1, 6) + timedelta(days=7 * g.rng.randint(0, 40))
    items = [
        "Approbation du procès-verbal de la séance précédente",
        "Vote du budget primitif",
        "Tarifs de la restauration scolaire",
        "Convention avec l'intercommunalité pour l'instruction des autorisations d'urbanisme",
        "Subventions aux associations sportives",
        "Questions diverses",
    ]
    g.rng.shuffle(items)
    return SampleDoc(
        "ordre_du_jour",
        f"Conseil municipal — ordre du jour de la séance du {day.strftime('%d/%m/%Y')}",
        [f"{i}. {item}" for i, item in enumerate(items, start=1)],
        sender=("Secrétariat général", "secretariat@example.org"),
        recipient=("Direction générale", "direction@example.org"),
    )


def _note_technique(g: _Gen) -> SampleDoc:
    return SampleDoc(
        "note_technique",
        "Note technique — migration du serveur de fichiers",
        [
            "Contexte : le serveur actuel arrive en fin de support.",
            "Étape 1 : inventaire des partages et des droits d'accès par service.",
            f"Étape 2 : copie des données pendant le week-end, environ {g.rng.randint(200, 900)} Go.",
            "Étape 3 : bascule des lecteurs réseau par stratégie de groupe.",
            "La sauvegarde quotidienne est conservée à 22 h, avec une copie hebdomadaire externalisée.",
        ],
        sender=("Service informatique", "informatique@example.org"),
        recipient=("Direction générale", "direction@example.org"),
    )


def _bilan(g: _Gen) -> SampleDoc:
    n = g.rng.randint(200, 600)
    return SampleDoc(
        "bilan_activite",
        "Rapport d'activité du CCAS — synthèse annuelle",
        [
            f"{n} dossiers instruits, dont {g.rng.randint(30, 60)} % d'aides alimentaires.",
            f"Délai moyen d'instruction : {g.rng.randint(5, 20)} jours.",
            "Les permanences ont été étendues au samedi matin.",
        ],
        [
            ["Type d'aide", "Dossiers", "Montant"],
            ["Aide alimentaire", str(n // 2), f"{n * 40} €"],
            ["Énergie", str(n // 4), f"{n * 35} €"],
        ],
        sender=("CCAS", "ccas@example.org"),
        recipient=("Direction générale", "direction@example.org"),
    )


_PERSONAL = (_ccas_dossier, _rh_agent, _cantine, _courrier)
_NEUTRAL = (_budget, _agenda, _note_technique, _bilan)
# Folder names follow the sample register's data locations (partage/rh, partage/enfance,
# partage/etat-civil); the others are deliberately undeclared, as on real shares.
_FOLDERS = {
    "ccas_dossier": "CCAS",
    "rh_agent": "rh",
    "liste_cantine": "enfance",
    "courrier_administre": "etat-civil",
    "budget": "Finances",
    "ordre_du_jour": "Conseil_municipal",
    "note_technique": "Informatique",
    "bilan_activite": "CCAS",
}


# -- writers ----------------------------------------------------------------------------


def _txt(d: SampleDoc, encoding: str = "utf-8") -> bytes:
    return ("\n".join(d.lines()) + "\n").encode(encoding)


def _md(d: SampleDoc) -> bytes:
    out = [f"# {d.title}", "", *[f"{p}  " for p in d.paragraphs], ""]
    if d.table:
        out.append("| " + " | ".join(d.table[0]) + " |")
        out.append("|" + "---|" * len(d.table[0]))
        out.extend("| " + " | ".join(r) + " |" for r in d.table[1:])
    return "\n".join(out).encode("utf-8")


def _csv(d: SampleDoc, sep: str = ";", encoding: str = "utf-8") -> bytes:
    rows = [[d.title], *d.table, *[[p] for p in d.paragraphs]]
    return "\r\n".join(sep.join(r) for r in rows).encode(encoding)


def _json(d: SampleDoc) -> bytes:
    doc: dict[str, Any] = {"titre": d.title, "paragraphes": d.paragraphs}
    if d.table:
        head = d.table[0]
        doc["lignes"] = [dict(zip(head, row, strict=False)) for row in d.table[1:]]
    return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")


def _xml(d: SampleDoc) -> bytes:
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<document>",
        f"  <titre>{escape(d.title)}</titre>",
    ]
    out.extend(f"  <paragraphe>{escape(p)}</paragraphe>" for p in d.paragraphs)
    for row in d.table[1:]:
        out.append(
            "  <ligne>"
            + "".join(
                f'<champ nom="{escape(h)}">{escape(v)}</champ>'
                for h, v in zip(d.table[0], row, strict=False)
            )
            + "</ligne>"
        )
    out.append("</document>")
    return "\n".join(out).encode("utf-8")


def _html(d: SampleDoc) -> bytes:
    body = [f"<h1>{escape(d.title)}</h1>", *[f"<p>{escape(p)}</p>" for p in d.paragraphs]]
    if d.table:
        body.append("<table>")
        body.extend("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in d.table)
        body.append("</table>")
    return (
        '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8"><title>'
        f"{escape(d.title)}</title><style>p {{ margin: 0 }}</style>"
        "<script>var x = 1;</script></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    ).encode("utf-8")


def _rtf_escape(text: str) -> str:
    out = []
    for ch in text:
        if ch in "\\{}":
            out.append("\\" + ch)
        elif ord(ch) < 128:
            out.append(ch)
        else:
            try:
                out.append(f"\\'{ch.encode('cp1252')[0]:02x}")
            except UnicodeEncodeError:
                out.append(f"\\u{ord(ch)}?")
    return "".join(out)


def _rtf(d: SampleDoc) -> bytes:
    body = "".join(f"{_rtf_escape(line)}\\par\n" for line in d.lines())
    return (
        "{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0 Arial;}}"
        "{\\info{\\title " + _rtf_escape(d.title) + "}}\\f0\\fs22\n" + body + "}"
    ).encode("ascii")


def pdf_bytes(lines: list[str], title: str = "") -> bytes:
    """A minimal PDF with a real text layer (Helvetica, WinAnsi), no dependency needed."""
    wrapped: list[str] = []
    for line in lines:
        wrapped.extend(textwrap.wrap(line, 90) or [""])
    pages = [wrapped[i : i + 48] for i in range(0, len(wrapped), 48)] or [[]]

    def lit(text: str) -> bytes:
        raw = text.encode("cp1252", "replace")
        out = bytearray(b"(")
        for b in raw:
            if b in b"()\\":
                out += b"\\" + bytes([b])
            elif b < 32 or b > 126:
                out += b"\\%03o" % b
            else:
                out.append(b)
        return bytes(out + b")")

    objects: list[bytes] = []
    kids = []
    for i, page in enumerate(pages):
        page_id, content_id = 5 + 2 * i, 6 + 2 * i
        kids.append(f"{page_id} 0 R".encode())
        ops = b"BT /F1 11 Tf 14 TL 50 800 Td " + b"".join(lit(t) + b" Tj T* " for t in page) + b"ET"
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << "
            f"/F1 3 0 R >> >> /Contents {content_id} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(ops) + ops + b"\nendstream")
    head = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + b" ".join(kids) + b"] /Count %d >>" % len(pages),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Title <FEFF"
        + title.encode("utf-16-be").hex().upper().encode()
        + b"> /Producer (rgpd samples) >>",
    ]
    allobjs = head + objects
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(allobjs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(allobjs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(allobjs) + 1,
        xref,
    )
    return bytes(out)


def _pdf(d: SampleDoc) -> bytes:
    return pdf_bytes(d.lines(), d.title)


def _docx(d: SampleDoc) -> bytes:
    import docx

    doc = docx.Document()
    doc.core_properties.author = "Mairie"
    doc.core_properties.last_modified_by = "Mairie"
    doc.add_heading(d.title, level=1)
    for p in d.paragraphs:
        doc.add_paragraph(p)
    if d.table:
        table = doc.add_table(rows=len(d.table), cols=len(d.table[0]))
        for r, row in enumerate(d.table):
            for c, value in enumerate(row):
                table.cell(r, c).text = value
    section = doc.sections[0]
    section.footer.paragraphs[0].text = "Mairie — document interne"
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _xlsx(d: SampleDoc) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Données"
    ws.append([d.title])
    rows = d.table or [[p] for p in d.paragraphs]
    for row in rows:
        cells: list[Any] = []
        for value in row:
            try:
                cells.append(datetime.strptime(value, "%d/%m/%Y"))
            except ValueError:
                cells.append(value)
        ws.append(cells)
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, datetime):
                cell.number_format = "DD/MM/YYYY"
    if d.table:
        notes = wb.create_sheet("Notes")
        for p in d.paragraphs:
            notes.append([p])
    wb.properties.creator = "Mairie"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _pptx(d: SampleDoc) -> bytes:
    from pptx import Presentation

    prs = Presentation()
    prs.core_properties.author = "Mairie"
    prs.core_properties.last_modified_by = "Mairie"
    first = prs.slides.add_slide(prs.slide_layouts[0])
    first.shapes.title.text = d.title
    first.notes_slide.notes_text_frame.text = "Présentation préparée pour la réunion de service."
    lines = d.paragraphs + ["\t".join(r) for r in d.table]
    for i in range(0, len(lines), 6):
        slide = prs.slides.add_slide(prs.slide_layouts[1])
        slide.shapes.title.text = f"{d.title} ({i // 6 + 1})"
        body = slide.placeholders[1].text_frame
        body.text = lines[i]
        for line in lines[i + 1 : i + 6]:
            body.add_paragraph().text = line
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def _odf_save(doc: Any) -> bytes:
    buf = io.BytesIO()
    doc.write(buf)
    return buf.getvalue()


def _odt(d: SampleDoc) -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import H, P

    doc = OpenDocumentText()
    doc.text.addElement(H(outlinelevel=1, text=d.title))
    for p in d.paragraphs:
        doc.text.addElement(P(text=p))
    if d.table:
        table = Table(name="Tableau1")
        table.addElement(TableColumn(numbercolumnsrepeated=len(d.table[0])))
        for row in d.table:
            tr = TableRow()
            for value in row:
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=value))
                tr.addElement(cell)
            table.addElement(tr)
        doc.text.addElement(table)
    return _odf_save(doc)


def _ods(d: SampleDoc) -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Données")
    rows = [[d.title], *(d.table or [[p] for p in d.paragraphs])]
    for row in rows:
        tr = TableRow()
        for value in row:
            try:
                when = datetime.strptime(value, "%d/%m/%Y")
                cell = TableCell(valuetype="date", datevalue=when.strftime("%Y-%m-%d"))
            except ValueError:
                cell = TableCell(valuetype="string")
            cell.addElement(P(text=value))
            tr.addElement(cell)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    if d.table:
        notes = Table(name="Notes")
        for p in d.paragraphs:
            tr = TableRow()
            cell = TableCell(valuetype="string")
            cell.addElement(P(text=p))
            tr.addElement(cell)
            notes.addElement(tr)
        doc.spreadsheet.addElement(notes)
    return _odf_save(doc)


def _odp(d: SampleDoc) -> bytes:
    from odf.draw import Frame, Page, TextBox
    from odf.opendocument import OpenDocumentPresentation
    from odf.presentation import Notes
    from odf.style import MasterPage, PageLayout, PageLayoutProperties
    from odf.text import P

    doc = OpenDocumentPresentation()
    layout = PageLayout(name="PL")
    layout.addElement(PageLayoutProperties(pagewidth="28cm", pageheight="21cm"))
    doc.automaticstyles.addElement(layout)
    master = MasterPage(name="Standard", pagelayoutname=layout)
    doc.masterstyles.addElement(master)
    lines = [d.title, *d.paragraphs, *["\t".join(r) for r in d.table]]
    for i in range(0, len(lines), 6):
        page = Page(masterpagename=master, name=f"page{i // 6 + 1}")
        frame = Frame(width="24cm", height="16cm", x="2cm", y="2cm")
        box = TextBox()
        for line in lines[i : i + 6]:
            box.addElement(P(text=line))
        frame.addElement(box)
        page.addElement(frame)
        if i == 0:
            notes = Notes()
            nframe = Frame(width="20cm", height="5cm", x="2cm", y="15cm")
            nbox = TextBox()
            nbox.addElement(P(text="Support de présentation pour la réunion de service."))
            nframe.addElement(nbox)
            notes.addElement(nframe)
            page.addElement(notes)
        doc.presentation.addElement(page)
    return _odf_save(doc)


def _email(
    d: SampleDoc, attachment: tuple[str, bytes] | None, when: datetime, ident: int = 0
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = formataddr(d.sender)
    msg["To"] = formataddr(d.recipient)
    msg["Subject"] = d.title
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<{ident:012d}.{when.strftime('%Y%m%d%H%M')}@example.org>"
    msg.set_content("\n".join(d.paragraphs + ["\t".join(r) for r in d.table]) + "\n")
    if attachment is not None:
        name, data = attachment
        maintype, subtype = _MIME.get(name.rsplit(".", 1)[-1], ("application", "octet-stream"))
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


_MIME = {
    "pdf": ("application", "pdf"),
    "txt": ("text", "plain"),
    "csv": ("text", "csv"),
    "docx": ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document"),
}


def _entity_mail(d: SampleDoc) -> None:
    """Addresses in mail headers are entities too (display names are already recorded)."""
    for _name, addr in (d.sender, d.recipient):
        d.add(Entity.EMAIL_ADDRESS, addr)


def msg_bytes(d: SampleDoc, attachment: tuple[str, bytes] | None) -> bytes:
    """An Outlook .msg (compound file) built with extract-msg's OLE writer."""
    from extract_msg.ole_writer import OleWriter

    def u(s: str) -> bytes:
        return s.encode("utf-16-le")

    def entry(tag: int, data: bytes) -> bytes:
        size = len(data) + (2 if tag & 0xFFFF == 0x001F else 0)
        return struct.pack("<IIII", tag, 6, size, 0)

    def fixed(tag: int, value: int) -> bytes:
        return struct.pack("<IIiI", tag, 6, value, 0)

    w = OleWriter()
    strings = {
        0x001A001F: "IPM.Note",
        0x0037001F: d.title,
        0x1000001F: "\n".join(d.paragraphs + ["\t".join(r) for r in d.table]),
        0x0C1A001F: d.sender[0],
        0x0C1F001F: d.sender[1],
        0x5D01001F: d.sender[1],
        0x0E04001F: d.recipient[0],
    }
    props = bytearray(struct.pack("<8xIIII8x", 1, 1, 1, 1 if attachment else 0))
    for tag, text in strings.items():
        w.addEntry(f"__substg1.0_{tag:08X}", u(text))
        props += entry(tag, u(text))
    props += fixed(0x0E070003, 0)
    w.addEntry("__properties_version1.0", bytes(props))
    w.addEntry("__nameid_version1.0", storage=True)
    for s in ("00020102", "00030102", "00040102"):
        w.addEntry(f"__nameid_version1.0/__substg1.0_{s}", b"")
    r = "__recip_version1.0_#00000000"
    w.addEntry(r, storage=True)
    w.addEntry(f"{r}/__substg1.0_3001001F", u(d.recipient[0]))
    w.addEntry(f"{r}/__substg1.0_3003001F", u(d.recipient[1]))
    w.addEntry(
        f"{r}/__properties_version1.0",
        b"\0" * 8
        + entry(0x3001001F, u(d.recipient[0]))
        + entry(0x3003001F, u(d.recipient[1]))
        + fixed(0x0C150003, 1),
    )
    if attachment is not None:
        name, data = attachment
        a = "__attach_version1.0_#00000000"
        w.addEntry(a, storage=True)
        w.addEntry(f"{a}/__substg1.0_37010102", data)
        w.addEntry(f"{a}/__substg1.0_3707001F", u(name))
        w.addEntry(f"{a}/__substg1.0_3704001F", u(name))
        w.addEntry(
            f"{a}/__properties_version1.0",
            b"\0" * 8
            + entry(0x37010102, data)
            + entry(0x3707001F, u(name))
            + entry(0x3704001F, u(name))
            + fixed(0x37050003, 1),
        )
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


# -- the share --------------------------------------------------------------------------

#: Formats written, in rotation; every one the extractor reads natively.
FORMATS: tuple[str, ...] = (
    "txt",
    "csv",
    "docx",
    "xlsx",
    "pptx",
    "odt",
    "ods",
    "pdf",
    "eml",
    "mbox",
    "rtf",
    "zip",
    "html",
    "json",
    "md",
    "tsv",
    "xml",
    "odp",
    "msg",
    "log",
)

_SIMPLE: dict[str, Callable[[SampleDoc], bytes]] = {
    "docx": _docx,
    "xlsx": _xlsx,
    "pptx": _pptx,
    "odt": _odt,
    "ods": _ods,
    "odp": _odp,
    "pdf": _pdf,
    "rtf": _rtf,
    "html": _html,
    "json": _json,
    "md": _md,
    "xml": _xml,
}


def _fmt(ext: str) -> str:
    from rgpd.scan.extract.sniff import format_from_extension

    return format_from_extension(f"x.{ext}").value


def _merge(into: SampleFile, d: SampleDoc) -> None:
    for k, values in d.entities.items():
        bucket = into.entities.setdefault(k, [])
        bucket.extend(v for v in values if v not in bucket)
    into.personal = into.personal or d.personal


class _Writer:
    def __init__(self, root: Path, seed: int) -> None:
        self.root = root
        self.g = _Gen(seed)
        self.used: set[str] = set()
        self.clock = datetime(2024, 9, 2, 9, 0)

    def doc(self, personal: bool) -> SampleDoc:
        return self.g.rng.choice(_PERSONAL if personal else _NEUTRAL)(self.g)

    def name(self, d: SampleDoc, ext: str) -> str:
        base = f"{_FOLDERS[d.kind]}/{d.kind}"
        n = 1
        while f"{base}_{n:03d}.{ext}" in self.used:
            n += 1
        rel = f"{base}_{n:03d}.{ext}"
        self.used.add(rel)
        return rel

    def when(self) -> datetime:

        self.clock += timedelta(hours=self.g.rng.randint(1, 72))
        return self.clock.replace(tzinfo=UTC)

    def render(self, ext: str, d: SampleDoc) -> bytes:
        rng = self.g.rng
        if ext in _SIMPLE:
            return _SIMPLE[ext](d)
        if ext == "txt":
            return _txt(d, rng.choice(["utf-8", "cp1252", "utf-8-sig"]))
        if ext == "log":
            stamp = self.when()
            return "\n".join(
                f"{(stamp + timedelta(seconds=17 * i)).isoformat()} INFO {line}"
                for i, line in enumerate(d.lines())
            ).encode("utf-8")
        if ext == "csv":
            return _csv(d, ";", rng.choice(["utf-8", "cp1252"]))
        if ext == "tsv":
            return _csv(d, "\t")
        raise ValueError(ext)

    def write(self, ext: str, personal: bool) -> SampleFile:
        d = self.doc(personal)
        if ext in ("eml", "msg"):
            return self._mail(ext, d)
        if ext == "mbox":
            return self._mbox(d)
        if ext == "zip":
            return self._zip(d)
        rel = self.name(d, ext)
        self._put(rel, self.render(ext, d))
        sf = SampleFile(rel, _fmt(ext), d.kind, d.personal)
        _merge(sf, d)
        return sf

    def _put(self, rel: str, data: bytes) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def _mail(self, ext: str, d: SampleDoc) -> SampleFile:
        extra = self.doc(d.personal)
        att_ext = self.g.rng.choice(["pdf", "txt", "docx"])
        att_name = f"piece_jointe.{att_ext}"
        att = (att_name, _txt(extra) if att_ext == "txt" else _SIMPLE[att_ext](extra))
        _entity_mail(d)
        rel = self.name(d, ext)
        data = (
            msg_bytes(d, att)
            if ext == "msg"
            else _email(d, att, self.when(), self.g.rng.randint(0, 10**9)).as_bytes()
        )
        self._put(rel, data)
        sf = SampleFile(rel, _fmt(ext), d.kind, d.personal)
        _merge(sf, d)
        _merge(sf, extra)
        return sf

    def _mbox(self, d: SampleDoc) -> SampleFile:
        from email.generator import BytesGenerator

        docs = [d, self.doc(d.personal), self.doc(False)]
        buf = io.BytesIO()
        for doc in docs:
            _entity_mail(doc)
            when = self.when()
            buf.write(f"From {doc.sender[1]} {when.strftime('%a %b %d %H:%M:%S %Y')}\n".encode())
            BytesGenerator(buf, mangle_from_=True).flatten(
                _email(doc, None, when, self.g.rng.randint(0, 10**9))
            )
            buf.write(b"\n")
        rel = self.name(d, "mbox")
        self._put(rel, buf.getvalue())
        sf = SampleFile(rel, _fmt("mbox"), d.kind, d.personal)
        for doc in docs:
            _merge(sf, doc)
        return sf

    def _zip(self, d: SampleDoc) -> SampleFile:
        rel = self.name(d, "zip")
        outer = SampleFile(rel, _fmt("zip"), d.kind, d.personal)
        inner_docs = [(f"pieces/justificatif.{e}", self.doc(d.personal), e) for e in ("txt", "pdf")]
        inner_buf = io.BytesIO()
        inner = SampleFile(f"{rel}!archives/pieces.zip", _fmt("zip"), "archive", False)
        with zipfile.ZipFile(inner_buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, doc, ext in inner_docs:
                zf.writestr(name, self.render(ext, doc))
                m = SampleFile(f"{inner.path}!{name}", _fmt(ext), doc.kind, doc.personal)
                _merge(m, doc)
                _merge(inner, doc)
                inner.members.append(m)
        members = [
            (f"{d.kind}.docx", d, "docx"),
            ("annexe.csv", self.doc(False), "csv"),
        ]
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, doc, ext in members:
                zf.writestr(name, self.render(ext, doc))
                m = SampleFile(f"{rel}!{name}", _fmt(ext), doc.kind, doc.personal)
                _merge(m, doc)
                _merge(outer, doc)
                outer.members.append(m)
            zf.writestr("archives/pieces.zip", inner_buf.getvalue())
        outer.members.append(inner)
        for doc in [x[1] for x in inner_docs]:
            _merge(outer, doc)
        self._put(rel, buf.getvalue())
        return outer


def write_sample_share(
    root: Path,
    n_files: int = 60,
    seed: int = 0,
    *,
    hostile: bool = False,
    limits: ExtractLimits | None = None,
) -> ShareManifest:
    """Write ``n_files`` documents under ``root`` (plus hostile files if asked).

    Formats rotate through :data:`FORMATS`; documents alternate between
    personal and neutral so that, from 40 files up, every format has both.
    ``limits`` sizes the hostile files (the oversized file is just above
    ``limits.max_file_size``, created sparse).
    """
    root.mkdir(parents=True, exist_ok=True)
    writer = _Writer(root, seed)
    files: list[SampleFile] = []
    for i in range(n_files):
        ext = FORMATS[i % len(FORMATS)]
        rnd = i // len(FORMATS)
        files.append(writer.write(ext, personal=(i + rnd) % 2 == 0))
    if hostile:
        files.extend(write_hostile_files(root / "Divers", limits or ExtractLimits(), seed))
    return ShareManifest(root=root, seed=seed, files=files)


# -- hostile files ----------------------------------------------------------------------


def zip_bytes_raw(entries: Sequence[tuple[str | bytes, bytes, int, int, int]]) -> bytes:
    """A zip from already-deflated members: (name, deflated, crc, real size, declared size).

    Lets tests build bombs without inflating anything, and members whose
    declared size lies.
    """
    out = bytearray()
    central = bytearray()
    for name, data, crc, _real, declared in entries:
        raw_name = name.encode() if isinstance(name, str) else name  # flags: no UTF-8 bit
        offset = len(out)
        out += (
            struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                20,
                0,
                8,
                0,
                0x21,
                crc,
                len(data),
                declared,
                len(raw_name),
                0,
            )
            + raw_name
            + data
        )
        central += (
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                0x21,
                crc,
                len(data),
                declared,
                len(raw_name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + raw_name
        )
    cd_offset = len(out)
    out += central
    out += struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), cd_offset, 0
    )
    return bytes(out)


def deflated_zeros(size: int) -> tuple[bytes, int]:
    """Raw-deflate stream and CRC of ``size`` zero bytes, without compressing them all.

    One fully flushed 1 MiB block is repeated: a full flush resets the
    dictionary, so the copies concatenate into a valid stream.
    """
    block = 1024 * 1024
    assert size % block == 0
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    one = comp.compress(b"\0" * block) + comp.flush(zlib.Z_FULL_FLUSH)
    end = zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
    crc = 0
    zeros = b"\0" * block
    for _ in range(size // block):
        crc = zlib.crc32(zeros, crc)
    return one * (size // block) + end, crc


def zip_bomb(size: int = 256 * 1024 * 1024, declared: int | None = None) -> bytes:
    data, crc = deflated_zeros(size)
    return zip_bytes_raw([("zeros.txt", data, crc, size, size if declared is None else declared)])


def nested_zip(depth: int, payload: bytes = b"fin du voyage\n") -> bytes:
    data = payload
    name = "fond.txt"
    for level in range(depth):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(name, data)
        data, name = buf.getvalue(), f"niveau{depth - level}.zip"
    return data


def encrypted_office() -> bytes:
    """What Office writes for a password-protected .docx: a compound file, not a zip."""
    from extract_msg.ole_writer import OleWriter

    w = OleWriter()
    w.addEntry("EncryptionInfo", b"\x04\x00\x04\x00\x40\x00\x00\x00" + b"\0" * 200)
    w.addEntry("EncryptedPackage", os.urandom(4096))
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def write_hostile_files(folder: Path, limits: ExtractLimits, seed: int = 0) -> list[SampleFile]:
    """Files that must each give one precise error, never a crash."""
    import pyzipper
    from pypdf import PdfReader, PdfWriter

    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    rel = folder.name
    out: list[SampleFile] = []

    def put(name: str, data: bytes, fmt: str, reason: Reason) -> None:
        (folder / name).write_bytes(data)
        out.append(SampleFile(f"{rel}/{name}", fmt, "hostile", False, expected_error=str(reason)))

    junk = bytes(rng.getrandbits(8) for _ in range(4096))
    put("corrompu.pdf", b"%PDF-1.7\n" + junk, Format.PDF.value, Reason.CORRUPT)
    full = _docx(_budget(_Gen(seed)))
    put("tronque.docx", full[: len(full) // 2], Format.DOCX.value, Reason.CORRUPT)
    put("bombe.zip", zip_bomb(64 * 1024 * 1024), Format.ZIP.value, Reason.ARCHIVE_RATIO)
    put("imbrique.zip", nested_zip(limits.max_depth + 2), Format.ZIP.value, Reason.ARCHIVE_DEPTH)
    buf = io.BytesIO()
    with pyzipper.AESZipFile(
        buf, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as zf:
        zf.setpassword(b"motdepasse")
        zf.writestr("salaires.csv", "Nom;IBAN\nDUPONT;FR76 3000 6000 0112 3456 7890 189\n")
    put("chiffre.zip", buf.getvalue(), Format.ZIP.value, Reason.ENCRYPTED)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(["Document confidentiel"]))))
    writer.encrypt(user_password="secret", owner_password="secret-owner", algorithm="AES-128")
    pdf = io.BytesIO()
    writer.write(pdf)
    put("protege.pdf", pdf.getvalue(), Format.PDF.value, Reason.ENCRYPTED)
    put("protege.docx", encrypted_office(), Format.DOCX.value, Reason.ENCRYPTED)
    put("sauvegarde.bak", junk * 4, Format.UNKNOWN.value, Reason.UNKNOWN_FORMAT)
    big = folder / "trop_gros.log"
    with big.open("wb") as fh:
        fh.truncate(limits.max_file_size + 1)  # sparse: nothing written to disk
    out.append(
        SampleFile(
            f"{rel}/trop_gros.log",
            Format.TEXT.value,
            "hostile",
            False,
            expected_error=str(Reason.TOO_LARGE),
        )
    )
    try:
        os.symlink("boucle_b", folder / "boucle_a")
        os.symlink("boucle_a", folder / "boucle_b")
        for name in ("boucle_a", "boucle_b"):
            out.append(
                SampleFile(
                    f"{rel}/{name}",
                    Format.UNKNOWN.value,
                    "hostile",
                    False,
                    expected_error=str(Reason.SYMLINK_LOOP),
                )
            )
    except OSError:
        pass
    try:
        raw = os.fsencode(folder) + b"/r\xe9sum\xe9.txt"
        fd = os.open(raw, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, "Résumé sans données.\n".encode("cp1252"))
        os.close(fd)
        out.append(
            SampleFile(
                f"{rel}/r\\xe9sum\\xe9.txt",
                Format.TEXT.value,
                "hostile",
                False,
                expected_error=str(Reason.UNDECODABLE_NAME),
            )
        )
    except OSError:
        pass
    return out
