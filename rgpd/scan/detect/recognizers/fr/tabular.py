"""Names, birth dates, addresses and phones in delimited tables (CSV/TSV exports, sheets).

An export of a "portail famille" or of the payroll holds thousands of names
with no sentence around them: NER reads "DUPONT;Jeanne;12/03/2015" poorly.
The header says what each column holds ("Nom", "Prénom", "Date de
naissance", "Adresse", "Téléphone"), so the cells below it are reported on the strength of
the header, the way a person reading the table would. A town, country or
place-of-birth column ("Ville", "Commune", "Lieu de naissance", "Pays") is
LOCATION only when the table also has a person column: a list of towns alone
says nothing about anyone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rgpd.scan.detect.recognizers.base import SPACES, Recognizer
from rgpd.scan.detect.recognizers.fr.dates import DATE, parse_date
from rgpd.scan.detect.recognizers.fr.phone import phone_number
from rgpd.scan.detect.text import fold
from rgpd.scan.detect.types import Span

_DELIMS = ("\t", ";", "|", ",")
_PERSON = re.compile(
    r"^(?:nom|noms|prenoms?|name|surname|first ?name|last ?name|given ?name|full ?name|firstname|lastname|"
    r"identite|nom ?prenom|prenom ?nom)\b|\b(?:nom|prenoms?)\b"
)
_NOT_PERSON = re.compile(
    r"\b(?:commune|service|structure|association|entreprise|societe|etablissement|fichier|ecole|"
    r"organisme|rue|voie|ville|produit|article|document|activite|site|lieu|equipe|classe|groupe|"
    r"projet|dossier|bien|batiment|salle|fournisseur|tiers|banque|domaine|utilisateur|login|compte)\b"
)
_BIRTH = re.compile(r"naissance|\bddn\b|date ?naiss|\bdob\b|birth|\bnee? le\b|\bne\(e\) le\b")
_BIRTH_NOT = re.compile(r"\blieu\b|\bville\b|\bcommune\b|\bpays\b|\bdepartement\b|\bplace\b")
_ADDRESS = re.compile(
    r"^(?:adresse|address|domicile|rue|voie|residence)\b|\badresse (?:postale|du domicile|personnelle)\b"
)
_PHONE = re.compile(
    r"^(?:n(?:um(?:ero)?|o)? ?(?:de )?)?(?:tel|tels|telephone|telephones|portable|mobile|fixe|fax|phone|"
    r"gsm|telephone \w+|tel \w+)$|\b(?:telephone|phone|portable)\b"
)
# where a person lives or was born: reported only next to person columns (a list of
# towns alone is no personal data)
_PLACE = re.compile(
    r"^(?:ville|villes|commune|communes|city|town|localite|pays|country|lieu|"
    r"(?:lieu|ville|commune|pays|departement|dept) (?:de |d )?(?:naissance|residence|domicile)|"
    r"place of (?:birth|residence)|birthplace|ville domicile|commune (?:de )?residence)$"
)
_PHONE_CELL = re.compile(rf"[+(]?\d[\d{SPACES}.\-()]{{7,20}}")
_ADDRESS_NOT = re.compile(r"\b(?:mail|e ?mail|electronique|ip|courriel|web|site|mac)\b")


def _cells(line: str, delim: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each cell, quotes and padding excluded (no quoted delimiters)."""
    out: list[tuple[int, int]] = []
    pos = 0
    for part in line.split(delim):
        s, e = pos, pos + len(part)
        while s < e and (line[s] in "\"'" or line[s].isspace()):
            s += 1
        while e > s and (line[e - 1] in "\"'" or line[e - 1].isspace()):
            e -= 1
        out.append((s, e))
        pos += len(part) + 1
    return out


def _lines(text: str) -> Iterator[tuple[int, str]]:
    pos = 0
    for line in text.split("\n"):
        yield pos, line
        pos += len(line) + 1


def _column_kind(header: str) -> str | None:
    h = fold(header).replace("_", " ").replace(".", " ").replace("-", " ").strip()
    if not h or len(h) > 40:
        return None
    if _PLACE.match(h):
        return "PLACE"
    if _BIRTH.search(h) and not _BIRTH_NOT.search(h):
        return "DATE_OF_BIRTH"
    if _ADDRESS.search(h) and not _ADDRESS_NOT.search(h):
        return "LOCATION"
    if _PERSON.search(h) and not _NOT_PERSON.search(h):
        return "PERSON"
    if _PHONE.search(h) and not _ADDRESS_NOT.search(h):
        return "PHONE_NUMBER"
    return None


def _may_be_header(line: str, delim: str) -> bool:
    """What :func:`_looks_like_header` checks before the cells: most lines fail here, cheaply."""
    if line.count(delim) + 1 < (3 if delim == "," else 2) or sum(map(str.isdigit, line)) > 3:
        return False
    return not line.rstrip().endswith((".", "!", "?"))


def _looks_like_header(line: str, cells: list[tuple[int, int]], delim: str) -> bool:
    """A header row is a list of short labels, not a sentence with commas."""
    if len(cells) < (3 if delim == "," else 2) or not _may_be_header(line, delim):
        return False
    return all(e - s <= 40 and line.count(" ", s, e) <= 3 for s, e in cells)


class TabularRecognizer(Recognizer):
    entities = ("PERSON", "DATE_OF_BIRTH", "LOCATION", "PHONE_NUMBER")
    priority = 75

    def find(self, text: str) -> list[Span]:
        if not any(d in text for d in "\t;|") and text.count(",") < 4:
            return []
        out: list[Span] = []
        columns: dict[int, str] | None = None
        delim = ""
        width = 0
        for offset, line in _lines(text):
            if columns is not None:
                if line.count(delim) + 1 < max(2, width - 1):
                    columns = None
                else:
                    self._row(text, offset, line, delim, columns, out)
                    continue
            delim = max(_DELIMS, key=line.count)
            if line.count(delim) == 0 or not _may_be_header(line, delim):
                continue
            cells = _cells(line, delim)
            if not _looks_like_header(line, cells, delim):
                continue
            kinds = {i: k for i, (s, e) in enumerate(cells) if (k := _column_kind(line[s:e]))}
            if "PERSON" not in kinds.values():
                kinds = {i: k for i, k in kinds.items() if k != "PLACE"}
            if kinds:
                columns, width = kinds, len(cells)
        return out

    def _row(
        self,
        text: str,
        offset: int,
        line: str,
        delim: str,
        columns: dict[int, str],
        out: list[Span],
    ) -> None:
        cells = _cells(line, delim)
        for i, kind in columns.items():
            if i >= len(cells):
                continue
            s, e = cells[i]
            value = line[s:e]
            if not value:
                continue
            if kind == "DATE_OF_BIRTH":
                m = DATE.fullmatch(value)
                if m and parse_date(m):
                    out.append(Span(kind, offset + s, offset + e, 0.95))
            elif kind == "PHONE_NUMBER":
                # bare digits are a phone only under such a header (see fr/phone.py)
                if _PHONE_CELL.fullmatch(value) and phone_number(value) is not None:
                    out.append(Span(kind, offset + s, offset + e, 0.95))
            elif kind == "PERSON":
                if (
                    2 <= len(value) <= 80
                    and any(c.isalpha() for c in value)
                    and not any(c.isdigit() or c == "@" for c in value)
                ):
                    out.append(Span(kind, offset + s, offset + e, 0.9))
            elif kind == "PLACE":
                if sum(c.isalpha() for c in value) >= 2 and not any(c.isdigit() for c in value):
                    out.append(Span("LOCATION", offset + s, offset + e, 0.85))
            elif sum(c.isalpha() for c in value) >= 4:
                out.append(Span(kind, offset + s, offset + e, 0.9))
