"""Spreadsheets as grids of text, with the cell references a person sees (« C12 »).

The CNIL template and Madis exports are read by content, not by position: the
importers look for titles in the cells. They need every sheet as a grid of
strings with true row and column numbers, whatever the tool that saved it:
LibreOffice writes repeated rows and columns, header-row groups, comments
(annotations) inside cells, and dates as typed values; Excel writes dates as
numbers with a date style. This module hides those differences.

It also defines ``CellNote``: what an importer could not map, named by sheet,
cell and value, so nothing is dropped silently.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from rgpd.errors import FieldProblem, ValidationFailed
from rgpd.i18n import _

__all__ = ["CellNote", "Sheet", "cell_ref", "norm", "read_workbook"]

_MAX_REPEAT = 256  # LibreOffice pads sheets with ~1000 repeated empty rows/columns


def norm(text: str) -> str:
    """Case- and accent-insensitive key, for matching titles and labels typed by people."""
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", t).strip()


def cell_ref(row: int, col: int) -> str:
    """1-based row and column → « C12 »."""
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row}"


@dataclass
class Sheet:
    """One sheet: non-empty cells by (row, column), both 1-based."""

    name: str
    cells: dict[tuple[int, int], str] = field(default_factory=dict)

    def get(self, row: int, col: int) -> str:
        return self.cells.get((row, col), "")

    def rows(self) -> list[int]:
        return sorted({r for r, _c in self.cells})

    def row(self, row: int) -> dict[int, str]:
        return {c: v for (r, c), v in self.cells.items() if r == row}

    def find(self, *needles: str, col: int | None = None) -> list[tuple[int, int]]:
        """Cells whose text (normalised) contains all needles, in reading order."""
        keys = [norm(n) for n in needles]
        hits = [
            (r, c)
            for (r, c), v in self.cells.items()
            if (col is None or c == col) and all(k in norm(v) for k in keys)
        ]
        return sorted(hits)

    def texts(self) -> str:
        return " ".join(norm(v) for v in self.cells.values())


@dataclass(frozen=True)
class CellNote:
    """A cell an importer could not map (or mapped with a guess): reported, never dropped."""

    sheet: str
    cell: str
    value: str
    message: str

    def __str__(self) -> str:
        value = self.value if len(self.value) <= 80 else self.value[:77] + "..."
        return f"« {self.sheet} » {self.cell} ({value!r}): {self.message}"


# -- ODS ---------------------------------------------------------------------------------------


def _ods_cell_text(tc: Any) -> str:
    from odf import teletype
    from odf.namespaces import OFFICENS, TEXTNS

    vtype = tc.getAttrNS(OFFICENS, "value-type")
    if vtype == "date":
        return (tc.getAttrNS(OFFICENS, "date-value") or "")[:10]
    if vtype == "boolean":
        return "oui" if tc.getAttrNS(OFFICENS, "boolean-value") == "true" else "non"
    # direct text:p children only: comments (office:annotation) hold text:p too
    lines = [
        teletype.extractText(p)
        for p in tc.childNodes
        if getattr(p, "qname", None) in ((TEXTNS, "p"), (TEXTNS, "h"))
    ]
    text = "\n".join(lines).strip()
    if not text and vtype in ("float", "percentage", "currency"):
        text = tc.getAttrNS(OFFICENS, "value") or ""
    return text


def _ods_rows(node: Any) -> list[Any]:
    """Table rows in order, through header-row and row groups."""
    from odf.namespaces import TABLENS

    out: list[Any] = []
    for child in node.childNodes:
        q = getattr(child, "qname", None)
        if q == (TABLENS, "table-row"):
            out.append(child)
        elif q in (
            (TABLENS, "table-header-rows"),
            (TABLENS, "table-row-group"),
            (TABLENS, "table-rows"),
        ):
            out.extend(_ods_rows(child))
    return out


def _read_ods(data: bytes) -> list[Sheet]:
    from odf.namespaces import TABLENS
    from odf.opendocument import load
    from odf.table import Table

    doc = load(io.BytesIO(data))
    sheets: list[Sheet] = []
    for table in doc.spreadsheet.getElementsByType(Table):
        sheet = Sheet(str(table.getAttrNS(TABLENS, "name") or ""))
        r = 0
        for tr in _ods_rows(table):
            rrep = int(tr.getAttrNS(TABLENS, "number-rows-repeated") or 1)
            row: dict[int, str] = {}
            c = 0
            for tc in tr.childNodes:
                if getattr(tc, "qname", None) not in (
                    (TABLENS, "table-cell"),
                    (TABLENS, "covered-table-cell"),
                ):
                    continue
                crep = int(tc.getAttrNS(TABLENS, "number-columns-repeated") or 1)
                text = _ods_cell_text(tc)
                if text:
                    for k in range(min(crep, _MAX_REPEAT)):
                        row[c + k + 1] = text
                c += crep
            for k in range(rrep if row else 0):
                if k >= _MAX_REPEAT:
                    break
                for col, text in row.items():
                    sheet.cells[(r + k + 1, col)] = text
            r += rrep
        sheets.append(sheet)
    return sheets


# -- XLSX --------------------------------------------------------------------------------------


def _xlsx_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, datetime):
        if value.time() == datetime.min.time():
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("\r\n", "\n").strip()


def _read_xlsx(data: bytes) -> list[Sheet]:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheets = []
        for ws in wb.worksheets:
            sheet = Sheet(ws.title)
            for r, row in enumerate(ws.iter_rows(values_only=True), start=1):
                for c, value in enumerate(row, start=1):
                    text = _xlsx_text(value)
                    if text:
                        sheet.cells[(r, c)] = text
            sheets.append(sheet)
        return sheets
    finally:
        wb.close()


def read_workbook(data: bytes, fmt: str, *, source: str = "") -> list[Sheet]:
    """Every sheet of an ODS or XLSX file as text grids; an unreadable file is an input error."""
    try:
        return _read_ods(data) if fmt == "ods" else _read_xlsx(data)
    except Exception as exc:  # zip / XML errors: not a spreadsheet of that kind
        msg = (
            _("not a readable ODS file ({error})", error=type(exc).__name__)
            if fmt == "ods"
            else _("not a readable XLSX file ({error})", error=type(exc).__name__)
        )
        raise ValidationFailed([FieldProblem("", msg)], source) from None
