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
    _by_row: dict[int, dict[int, str]] | None = field(default=None, repr=False, compare=False)
    _size: int = field(default=-1, repr=False, compare=False)

    def get(self, row: int, col: int) -> str:
        return self.cells.get((row, col), "")

    def rows(self) -> list[int]:
        return sorted({r for r, _c in self.cells})

    def row(self, row: int) -> dict[int, str]:
        if self._by_row is None or self._size != len(self.cells):
            by_row: dict[int, dict[int, str]] = {}
            for (r, c), v in self.cells.items():
                by_row.setdefault(r, {})[c] = v
            self._by_row, self._size = by_row, len(self.cells)
        return dict(self._by_row.get(row, {}))

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
# content.xml is read with ElementTree (iterparse, streaming) rather than odfpy's DOM: a
# filled template is read ~20x faster, and only the few elements below matter.

_T = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_O = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_X = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"


def _ods_inline(el: Any) -> str:
    """Text of a text:p, with text:s (spaces), tabs, line breaks and spans."""
    parts = [el.text or ""]
    for child in el:
        tag = child.tag
        if tag == _X + "s":
            parts.append(" " * int(child.get(_X + "c", "1")))
        elif tag == _X + "tab":
            parts.append("\t")
        elif tag == _X + "line-break":
            parts.append("\n")
        elif tag != _O + "annotation":
            parts.append(_ods_inline(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _ods_cell(tc: Any) -> str:
    vtype = tc.get(_O + "value-type")
    if vtype == "date":
        return (tc.get(_O + "date-value") or "")[:10]
    if vtype == "boolean":
        return "oui" if tc.get(_O + "boolean-value") == "true" else "non"
    lines = [_ods_inline(p) for p in tc if p.tag in (_X + "p", _X + "h")]
    text = "\n".join(lines).strip()
    if not text and vtype in ("float", "percentage", "currency"):
        text = tc.get(_O + "value") or ""
    return text


def _read_ods(data: bytes) -> list[Sheet]:
    import zipfile
    from xml.etree.ElementTree import iterparse

    sheets: list[Sheet] = []
    with zipfile.ZipFile(io.BytesIO(data)) as z, z.open("content.xml") as f:
        sheet: Sheet | None = None
        r = 0
        for event, el in iterparse(f, events=("start", "end")):
            tag = el.tag
            if event == "start":
                if tag == _T + "table":
                    sheet = Sheet(el.get(_T + "name") or "")
                    r = 0
                continue
            if tag == _T + "table-row" and sheet is not None:
                rrep = int(el.get(_T + "number-rows-repeated") or 1)
                row: dict[int, str] = {}
                c = 0
                for tc in el:
                    if tc.tag not in (_T + "table-cell", _T + "covered-table-cell"):
                        continue
                    crep = int(tc.get(_T + "number-columns-repeated") or 1)
                    text = _ods_cell(tc)
                    if text:
                        for k in range(min(crep, _MAX_REPEAT)):
                            row[c + k + 1] = text
                    c += crep
                for k in range(min(rrep, _MAX_REPEAT) if row else 0):
                    for col, text in row.items():
                        sheet.cells[(r + k + 1, col)] = text
                r += rrep
                el.clear()
            elif tag == _T + "table" and sheet is not None:
                sheets.append(sheet)
                sheet = None
                el.clear()
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
            for r, row in enumerate(ws.iter_rows(), start=1):
                for cell in row:
                    value = getattr(cell, "value", None)
                    if value is None:
                        continue
                    text = _xlsx_text(value)
                    if text:
                        sheet.cells[(r, cell.column)] = text  # type: ignore[index]
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
