"""Redacted copies of office documents, PDFs and text files (Art. 17 erasure, Art. 15(4)).

Erasure replaces a file by a copy without the person's data; the access package
gives the person a copy without other people's data. Both need the same thing:
a copy of the file, in its own format where we can, where chosen values are
masked and everything else is left alone. :func:`redact_file` does that for

* plain text (txt, csv, tsv, md, log, json, xml, html): the bytes, decoded with
  the scanner's encoding detection, undecodable bytes kept as they were;
* docx and pptx (python-docx / python-pptx): every XML part of the package —
  body, tables, headers and footers, notes, comments, charts — paragraph by
  paragraph, so that a value split across runs ("Du" bold + "pont") is found;
  the mask takes the formatting of the run where the value starts and the other
  runs only lose the characters of the value; then core properties, external
  link targets (``mailto:``) and attributes (comment authors);
* xlsx (openpyxl): cell values, formulas (a value inside a string literal is
  masked inside the formula, a value anywhere else replaces the formula by the
  mask), comments, sheet titles, headers/footers, document properties. openpyxl
  does not keep images, charts and shapes: the result says so;
* odt, ods, odp (zip + XML): text nodes paragraph by paragraph as above, cells
  typed as numbers or dates that held a value become text cells, attributes,
  ``meta.xml``; the thumbnail (a picture of page one) is dropped;
* pdf: no library here edits a PDF's text in place, so the copy is a new,
  plain PDF of the extracted text, page by page (WeasyPrint): the layout,
  images and fonts are **not** kept, and the result says so.

What to mask is either a list of values (matched case- and accent-blind, with
spaces, dots, dashes and slashes between characters ignored: "06 12 34 56 78"
finds "0612345678") or a *finder*: a function from a piece of text to the
spans to mask in it, called on each paragraph, cell or attribute separately —
so it must be cheap (no detector run per call). Every output is checked by
extracting it again with :func:`rgpd.scan.extract.extract`: what the finder
still finds is counted in :attr:`RedactResult.residual`, and a caller that
replaces an original must refuse to when it is not zero.

Archive members (``archive.zip!member``) and other formats raise
:class:`~rgpd.errors.UnsupportedFormat`: they are handled by hand.
"""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rgpd.errors import CorruptDocument, SourceError, UnsupportedFormat
from rgpd.i18n import _
from rgpd.requests.person import (
    fold_keep_length,
    is_persons,
    merge_spans,
    name_pattern,
    person_spans,
    replace_spans,
    text_forms,
)

Span = tuple[int, int]
Finder = Callable[[str], Iterable[Span]]
#: Text formats a redacted copy replaces byte for byte.
REDACTABLE = (".txt", ".csv", ".tsv", ".md", ".log", ".json", ".xml", ".html", ".htm")
TEXT_SUFFIXES: tuple[str, ...] = REDACTABLE
OOXML_SUFFIXES = (".docx", ".docm", ".pptx", ".pptm", ".xlsx", ".xlsm")
ODF_SUFFIXES = (".odt", ".ods", ".odp")
PDF_SUFFIXES = (".pdf",)
#: Every suffix :func:`redact_file` handles.
SUFFIXES: tuple[str, ...] = TEXT_SUFFIXES + OOXML_SUFFIXES + ODF_SUFFIXES + PDF_SUFFIXES
#: Characters ignored between the characters of a value (its usual spellings, a line wrapped).
_SEPARATORS = " \t\r\n\u00a0\u202f.\\-/"


def default_mask() -> str:
    """The mask in the user's language (no quote or backslash: it goes into formulas and JSON)."""
    return _("[redacted]")


@dataclass
class RedactResult:
    """What :func:`redact_file` wrote; digests are the audit proof (never a value)."""

    source: Path
    out_path: Path
    format: str
    replacements: int  # pieces of text masked
    residual: int  # values the finder still finds in the re-extracted copy
    layout_kept: bool
    sha256_before: str
    sha256_after: str
    notes: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.residual == 0


def can_redact(uri: str | os.PathLike[str]) -> bool:
    """Can :func:`redact_file` write a copy of this file? (archive members: never)."""
    name = os.fspath(uri)
    return "!" not in name and name.lower().endswith(SUFFIXES)


# --------------------------------------------------------------------------- what to mask


def _value_pattern(value: str) -> str | None:
    chars = [c for c in fold_keep_length(value.strip()) if c not in _SEPARATORS]
    if len(chars) < 2:
        return None
    gap = f"[{re.escape(_SEPARATORS)}]*"
    return r"(?<!\w)" + gap.join(re.escape(c) for c in chars) + r"(?!\w)"


def values_finder(values: Iterable[str]) -> Finder:
    """A finder for literal values, case-, accent- and separator-blind."""
    pats = {p for v in values if (p := _value_pattern(v))}
    if not pats:
        return lambda _text: []
    regex = re.compile("|".join(sorted(pats, key=len, reverse=True)))

    def find(text: str) -> list[Span]:
        return [(m.start(), m.end()) for m in regex.finditer(fold_keep_length(text))]

    return find


def as_finder(spans_or_values: Finder | Iterable[str]) -> Finder:
    if callable(spans_or_values):
        return spans_or_values
    if isinstance(spans_or_values, str):
        return values_finder([spans_or_values])
    return values_finder(list(spans_or_values))


def rewrite_runs(
    texts: Sequence[str],
    spans: Iterable[Span],
    mask: str,
    editable: Sequence[bool] | None = None,
) -> list[str]:
    """Mask ``spans`` of the concatenation of ``texts``, changing the runs as little as possible.

    The mask goes into the first editable run a span touches (it keeps that
    run's formatting); the other runs only lose the span's characters.
    Non-editable runs (tabs, breaks, ODF spaces) are left as they are.
    """
    out = list(texts)
    starts: list[int] = []
    pos = 0
    for t in texts:
        starts.append(pos)
        pos += len(t)
    can = list(editable) if editable is not None else [True] * len(texts)
    for s, e in reversed(merge_spans(spans)):  # right to left: offsets on the left stay valid
        placed = False
        for i, t in enumerate(texts):
            a, b = starts[i], starts[i] + len(t)
            if not can[i] or b <= s or a >= e:
                continue
            lo, hi = max(s, a) - a, min(e, b) - a
            out[i] = out[i][:lo] + ("" if placed else mask) + out[i][hi:]
            placed = True
    return out


def _sub(text: str | None, find: Finder, mask: str) -> tuple[str | None, int]:
    """``text`` with what ``find`` finds masked, and how many spans were."""
    if not text:
        return text, 0
    spans = merge_spans(find(text))
    if not spans:
        return text, 0
    return replace_spans(text, spans, mask), len(spans)


# --------------------------------------------------------------------------- entry point


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def redact_file(
    path: str | os.PathLike[str],
    spans_or_values: Finder | Iterable[str],
    *,
    out_path: str | os.PathLike[str],
    mask: str | None = None,
    verify: bool = True,
) -> RedactResult:
    """Write to ``out_path`` a copy of ``path`` where the values are masked; see the module doc.

    ``path`` itself is never changed (``out_path`` may not be ``path``): the
    caller replaces the original once :attr:`RedactResult.complete` says so.
    """
    src, dst = Path(path), Path(out_path)
    if not can_redact(src):
        raise UnsupportedFormat(
            _("this format cannot be redacted automatically: {name}", name=src.name)
        )
    if src.resolve() == dst.resolve():
        raise UnsupportedFormat(_("the redacted copy must be written beside the original"))
    find = as_finder(spans_or_values)
    mask = default_mask() if mask is None else mask
    suffix = src.suffix.lower()
    before = _sha256(src)
    notes: list[str] = []
    layout = True
    try:
        if suffix in TEXT_SUFFIXES:
            fmt, n = "text", _text(src, dst, find, mask)
        elif suffix in (".docx", ".docm"):
            fmt, n = "docx", _docx(src, dst, find, mask)
        elif suffix in (".pptx", ".pptm"):
            fmt, n = "pptx", _pptx(src, dst, find, mask)
        elif suffix in (".xlsx", ".xlsm"):
            fmt, n = "xlsx", _xlsx(src, dst, find, mask)
            notes.append(_("images, charts and shapes of the workbook are not kept"))
        elif suffix in ODF_SUFFIXES:
            fmt, n = suffix[1:], _odf(src, dst, find, mask)
        else:
            fmt, n = "pdf", _pdf(src, dst, find, mask)
            layout = False
            notes.append(
                _(
                    "the PDF was rebuilt from its text, page by page: layout, images and "
                    "fonts were not kept"
                )
            )
    except SourceError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        dst.unlink(missing_ok=True)
        raise CorruptDocument(
            _("{name} could not be redacted: {why}", name=src.name, why=type(exc).__name__)
        ) from exc
    os.chmod(dst, src.stat().st_mode & 0o777)
    residual = _residual(dst, find) if verify else 0
    return RedactResult(src, dst, fmt, n, residual, layout, before, _sha256(dst), notes)


def redact_in_place(
    path: str | os.PathLike[str],
    spans_or_values: Finder | Iterable[str],
    *,
    mask: str | None = None,
) -> RedactResult:
    """Replace ``path`` by its redacted copy — only when the copy is complete and changed.

    The copy is written beside the original and renamed over it (atomic on
    one file system). Nothing to mask, or a value the copy still holds, leaves
    the original untouched: ``sha256_after`` then equals ``sha256_before`` and
    :attr:`RedactResult.complete` says which case it was.
    """
    src = Path(path)
    tmp = src.with_name(f".{src.name}.rgpd-tmp{src.suffix}")
    try:
        result = redact_file(src, spans_or_values, out_path=tmp, mask=mask)
        if result.replacements and result.complete:
            os.replace(tmp, src)
            result.out_path = src
            return result
    finally:
        tmp.unlink(missing_ok=True)
    result.out_path, result.sha256_after = src, result.sha256_before
    return result


def person_finder(path: str | os.PathLike[str], person: Any, detector: Any) -> Finder:
    """Erasure: a finder of one person's identifiers and name, for the file at ``path``.

    The detector runs once, on the file's extracted text; what it finds that
    is the person's (:func:`rgpd.requests.person.is_persons`) is then looked
    for as a literal value in every piece of the file. A lone first name or
    surname is left to the name rules of :func:`~rgpd.requests.person.person_spans`
    (masking it everywhere would hit relatives and namesakes). Text formats keep
    the detector on the whole text, as erasure always did.
    """
    from rgpd.scan.extract import extract

    if os.fspath(path).lower().endswith(TEXT_SUFFIXES):
        return lambda text: person_spans(text, person, detector=detector)
    text = "\n".join(c.text for c in extract(path, on_error=lambda _s, _e: None))
    found = {
        d.value
        for d in detector.detect(text)
        if is_persons(d.entity_type, d.value, person)
        and (d.entity_type != "PERSON" or len(d.value.split()) > 1)
    }
    # person_spans' rules, compiled once: it is called on every paragraph and attribute
    values = values_finder([*found, *(v for p in person.probes for v in text_forms(p))])
    name = name_pattern(person)

    def find(piece: str) -> list[Span]:
        spans = list(values(piece))
        if name is not None:
            spans += [(m.start(), m.end()) for m in name.finditer(fold_keep_length(piece))]
        return spans

    return find


def _residual(path: Path, find: Finder) -> int:
    """What the finder still finds once the copy is read back like the scanner reads it."""
    from rgpd.scan.extract import extract

    return sum(len(merge_spans(find(c.text))) for c in extract(path, on_error=lambda _s, _e: None))


# --------------------------------------------------------------------------- text


def _text(src: Path, dst: Path, find: Finder, mask: str) -> int:
    from rgpd.scan.extract import detect_encoding

    raw = src.read_bytes()
    enc = detect_encoding(raw[:65536], complete=len(raw) <= 65536) or "utf-8"
    # surrogateescape: bytes the encoding cannot read go back to the file unchanged
    text = raw.decode(enc, errors="surrogateescape")
    spans = merge_spans(find(text))
    dst.write_bytes(replace_spans(text, spans, mask).encode(enc, errors="surrogateescape"))
    return len(spans)


# --------------------------------------------------------------------------- XML documents


@dataclass
class _Slot:
    """One piece of a paragraph's text: an element's ``text`` or ``tail``, or a fixed separator."""

    elem: Any
    attr: str | None  # "text" | "tail"; None: fixed (tab, break, ODF space)
    fixed: str = ""

    @property
    def value(self) -> str:
        if self.attr is None:
            return self.fixed
        return _raw(self.attr).__get__(self.elem) or ""

    def set(self, value: str) -> None:
        if self.attr is not None:
            _raw(self.attr).__set__(self.elem, value)


def _raw(attr: str) -> Any:
    """lxml's own ``text`` / ``tail``: python-docx elements override ``text`` with a property."""
    from lxml import etree

    return getattr(etree._Element, attr)


def _paragraph(slots: Sequence[_Slot], find: Finder, mask: str) -> int:
    texts = [s.value for s in slots]
    joined = "".join(texts)
    spans = merge_spans(find(joined)) if joined.strip() else []
    if not spans:
        return 0
    new = rewrite_runs(texts, spans, mask, [s.attr is not None for s in slots])
    for s, old, value in zip(slots, texts, new, strict=True):
        if value != old:
            s.set(value)
    return len(spans)


def _leaves_and_attributes(root: Any, find: Finder, mask: str, skip: frozenset[str]) -> int:
    """Text of elements outside paragraphs (properties, cached chart values) and every attribute."""
    n = 0
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        text = _raw("text").__get__(el)
        if el.tag not in skip and text and text.strip():
            new, k = _sub(text, find, mask)
            if k:
                _raw("text").__set__(el, new)
                n += k
        for name, value in list(el.attrib.items()):
            new, k = _sub(value, find, mask)
            if k:
                el.set(name, new)
                n += k
    return n


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_OOXML_RUN_TEXT = frozenset({f"{W}t", f"{W}delText", f"{W}instrText", f"{A}t"})
_OOXML_FIXED = {f"{W}tab": "\t", f"{W}br": "\n", f"{W}cr": "\n", f"{A}br": "\n"}
_OOXML_PARAGRAPHS = (f"{W}p", f"{A}p")


def _ooxml_slots(p: Any) -> list[_Slot]:
    """The text pieces of one w:p / a:p, without those of paragraphs nested in it (text boxes)."""
    out: list[_Slot] = []

    def walk(node: Any) -> None:
        for child in node:
            tag = child.tag
            if not isinstance(tag, str) or tag in _OOXML_PARAGRAPHS:
                continue
            if tag in _OOXML_RUN_TEXT:
                out.append(_Slot(child, "text"))
            elif tag in _OOXML_FIXED:
                out.append(_Slot(child, None, _OOXML_FIXED[tag]))
            else:
                walk(child)

    walk(p)
    return out


def _ooxml_tree(root: Any, find: Finder, mask: str) -> int:
    n = 0
    for tag in _OOXML_PARAGRAPHS:
        for p in root.iter(tag):
            n += _paragraph(_ooxml_slots(p), find, mask)
    return n + _leaves_and_attributes(root, find, mask, _OOXML_RUN_TEXT)


def _opc_package(package: Any, find: Finder, mask: str) -> int:
    """Every XML part of a python-docx / python-pptx package, and its external link targets."""
    from lxml import etree

    n = 0
    for part in package.iter_parts():
        element = getattr(part, "_element", None)
        if element is not None:
            n += _ooxml_tree(element, find, mask)
        elif part.content_type.endswith("xml") and getattr(part, "_blob", None):
            root = etree.fromstring(part._blob)
            k = _ooxml_tree(root, find, mask)
            if k:
                part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
                n += k
        for rel in part.rels.values():
            if rel.is_external:
                new, k = _sub(rel._target, find, mask)
                if k:
                    rel._target = new
                    n += k
    return n


_CORE_PROPERTIES = (
    "author",
    "last_modified_by",
    "title",
    "subject",
    "keywords",
    "comments",
    "category",
    "content_status",
    "identifier",
)


def _core_properties(props: Any, find: Finder, mask: str) -> int:
    n = 0
    for name in _CORE_PROPERTIES:
        value = getattr(props, name, None)
        if isinstance(value, str):
            new, k = _sub(value, find, mask)
            if k:
                setattr(props, name, new)
                n += k
    return n


def _docx(src: Path, dst: Path, find: Finder, mask: str) -> int:
    import docx

    doc = docx.Document(str(src))
    # core properties first: they are an XML part too, and the leaf pass would count them twice
    n = _core_properties(doc.core_properties, find, mask)
    n += _opc_package(doc.part.package, find, mask)
    doc.save(str(dst))
    return n


def _pptx(src: Path, dst: Path, find: Finder, mask: str) -> int:
    from pptx import Presentation

    prs = Presentation(str(src))
    n = _core_properties(prs.core_properties, find, mask)
    n += _opc_package(prs.part.package, find, mask)
    prs.save(str(dst))
    return n


# --------------------------------------------------------------------------- xlsx


def _literals(formula: str) -> list[Span]:
    """Where the string literals of a formula are ("" is an escaped quote inside one)."""
    return [(m.start(), m.end()) for m in re.finditer(r'"(?:[^"]|"")*"', formula)]


def _cell_value(value: Any, find: Finder, mask: str) -> tuple[Any, int]:
    if isinstance(value, str):
        spans = merge_spans(find(value))
        if not spans:
            return value, 0
        if value.startswith("="):
            lits = _literals(value)
            if not all(any(a < s and e < b for a, b in lits) for s, e in spans):
                return mask, len(spans)  # the value is in the formula itself: it goes
        return replace_spans(value, spans, mask), len(spans)
    # a phone or a NIR typed as a number; a person's value is never a short count
    number = isinstance(value, int) and not isinstance(value, bool) and len(str(value)) >= 6
    if number and list(find(str(value))):
        return mask, 1
    return value, 0


def _sheet_title(title: str, mask: str, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "", mask)[:25] or "x"
    name, i = base, 1
    while name.lower() in taken:
        i += 1
        name = f"{base} {i}"
    return name


def _xlsx(src: Path, dst: Path, find: Finder, mask: str) -> int:
    import openpyxl
    from openpyxl.cell.cell import MergedCell
    from openpyxl.comments import Comment

    wb = openpyxl.load_workbook(str(src), keep_vba=src.suffix.lower() == ".xlsm")
    n = 0
    taken = {ws.title.lower() for ws in wb.worksheets}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell, MergedCell):
                    continue
                value, k = _cell_value(cell.value, find, mask)
                if k:
                    cell.value = value
                    n += k
                if cell.comment is not None:
                    text, k1 = _sub(cell.comment.text, find, mask)
                    author, k2 = _sub(cell.comment.author, find, mask)
                    if k1 or k2:
                        cell.comment = Comment(text or "", author or "")
                        n += k1 + k2
        if find(ws.title):
            ws.title = _sheet_title(ws.title, mask, taken)
            taken.add(ws.title.lower())
            n += 1
        for hf in (
            ws.oddHeader,
            ws.oddFooter,
            ws.evenHeader,
            ws.evenFooter,
            ws.firstHeader,
            ws.firstFooter,
        ):
            for side in (hf.left, hf.center, hf.right):
                new, k = _sub(side.text, find, mask)
                if k:
                    side.text = new
                    n += k
    props = wb.properties
    for name in ("creator", "lastModifiedBy", "title", "subject", "description", "keywords"):
        new, k = _sub(getattr(props, name, None), find, mask)
        if k:
            setattr(props, name, new)
            n += k
    wb.save(str(dst))
    return n


# --------------------------------------------------------------------------- OpenDocument

TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
CALCEXT_NS = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"
MANIFEST_NS = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
_ODF_PARAGRAPHS = (f"{{{TEXT_NS}}}p", f"{{{TEXT_NS}}}h")
_ODF_FIXED = {f"{{{TEXT_NS}}}tab": "\t", f"{{{TEXT_NS}}}line-break": "\n"}
_ODF_SPACE = f"{{{TEXT_NS}}}s"
_ODF_XML = ("content.xml", "styles.xml", "meta.xml")


def _odf_slots(p: Any) -> list[_Slot]:
    """Text and tails of one text:p / text:h in reading order, nested paragraphs left out."""
    out: list[_Slot] = [_Slot(p, "text")]

    def walk(node: Any) -> None:
        for child in node:
            tag = child.tag
            if isinstance(tag, str) and tag not in _ODF_PARAGRAPHS:
                if tag == _ODF_SPACE:
                    count = int(child.get(f"{{{TEXT_NS}}}c", "1") or 1)
                    out.append(_Slot(child, None, " " * count))
                elif tag in _ODF_FIXED:
                    out.append(_Slot(child, None, _ODF_FIXED[tag]))
                else:
                    out.append(_Slot(child, "text"))
                    walk(child)
            out.append(_Slot(child, "tail"))

    walk(p)
    return out


def _odf_tree(root: Any, find: Finder, mask: str) -> int:
    n = 0
    changed_cells: set[Any] = set()
    for tag in _ODF_PARAGRAPHS:
        for p in root.iter(tag):
            k = _paragraph(_odf_slots(p), find, mask)
            if k:
                n += k
                cell = next(
                    (a for a in p.iterancestors() if a.tag == f"{{{TABLE_NS}}}table-cell"), None
                )
                if cell is not None:
                    changed_cells.add(cell)
    for cell in changed_cells:  # a number or date that was a person's value becomes text
        kind = cell.get(f"{{{OFFICE_NS}}}value-type")
        if kind and kind != "string":
            for attr in ("value", "date-value", "time-value", "boolean-value", "currency"):
                cell.attrib.pop(f"{{{OFFICE_NS}}}{attr}", None)
            cell.set(f"{{{OFFICE_NS}}}value-type", "string")
            if cell.get(f"{{{CALCEXT_NS}}}value-type"):
                cell.set(f"{{{CALCEXT_NS}}}value-type", "string")
    skip = frozenset({*_ODF_PARAGRAPHS, *(f"{{{TEXT_NS}}}{t}" for t in ("span", "a"))})
    return n + _leaves_and_attributes(root, find, mask, skip)


def _odf_manifest_without_thumbnail(data: bytes) -> bytes:
    from lxml import etree

    root = etree.fromstring(data)
    for entry in list(root):
        if entry.get(f"{{{MANIFEST_NS}}}full-path", "").startswith("Thumbnails/"):
            root.remove(entry)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _odf(src: Path, dst: Path, find: Finder, mask: str) -> int:
    from lxml import etree

    n = 0
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in _mimetype_first(zin.infolist()):
            if info.filename.startswith("Thumbnails/"):
                continue  # a picture of the first page: it would show what was masked
            data = zin.read(info)
            if info.filename in _ODF_XML:
                root = etree.fromstring(data, etree.XMLParser(resolve_entities=False))
                k = _odf_tree(root, find, mask)
                if k:
                    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
                    n += k
            elif info.filename == "META-INF/manifest.xml":
                data = _odf_manifest_without_thumbnail(data)
            zout.writestr(info, data, compress_type=info.compress_type)
    return n


def _mimetype_first(infos: list[zipfile.ZipInfo]) -> Iterator[zipfile.ZipInfo]:
    """ODF wants ``mimetype`` first and stored (readers sniff it at a fixed offset)."""
    yield from (i for i in infos if i.filename == "mimetype")
    yield from (i for i in infos if i.filename != "mimetype")


# --------------------------------------------------------------------------- PDF


def _pdf_pages(src: Path) -> list[str]:
    from rgpd.scan.extract import extract

    pages: dict[int, list[str]] = {}
    for chunk in extract(src, on_error=lambda _s, _e: None):
        page = chunk.location.get("page")
        if isinstance(page, int):  # metadata chunks have no page: the new file has none of them
            pages.setdefault(page, []).append(chunk.text)
    return ["".join(pages[k]) for k in sorted(pages)]


def _pdf(src: Path, dst: Path, find: Finder, mask: str) -> int:
    from html import escape

    from weasyprint import HTML

    n = 0
    sections = []
    for text in _pdf_pages(src):
        new, k = _sub(text, find, mask)
        n += k
        sections.append(f"<section><pre>{escape(new or '')}</pre></section>")
    html = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><style>"
        "@page { size: A4; margin: 2cm }"
        "section { break-after: page }"
        "pre { white-space: pre-wrap; font-family: sans-serif; font-size: 10pt; margin: 0 }"
        "</style></head><body>" + "".join(sections or ["<section></section>"]) + "</body></html>"
    )
    HTML(string=html).write_pdf(str(dst))
    return n
