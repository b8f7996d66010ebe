"""Office documents: OOXML (docx, xlsx, pptx) and OpenDocument (odt, ods, odp).

Both are zips of XML, parsed here directly with a streaming parser rather than
through python-docx/openpyxl/odfpy: several times faster, constant memory on
large sheets, and a damaged part fails alone instead of the whole library
refusing the file. Elements are matched by local name, so strict OOXML and
transitional OOXML read the same. Deleted tracked changes, comments, notes
and document properties are read too: personal data hides there as well.
"""

from __future__ import annotations

import contextlib
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import lru_cache
from typing import IO

from rgpd.scan.extract.archive import encrypted, open_member, read_member
from rgpd.scan.extract.base import Batcher, Ctx
from rgpd.scan.extract.model import Chunk, Format

_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_STRICT_REL_NS = "{http://purl.oclc.org/ooxml/officeDocument/relationships}"
_ODF_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_ODF_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_ODF_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_ODF_META = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"


@lru_cache(maxsize=1024)
def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def local(tag: object) -> str:
    """Element name without its namespace (cached: a document uses few names)."""
    return _local(tag) if isinstance(tag, str) else ""


class Tree:
    """``iterparse`` with the stack of open elements, to drop finished subtrees.

    Dropping a finished paragraph or row from its parent keeps memory flat on
    documents of any length.
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self.stack: list[ET.Element] = []
        self._events = ET.iterparse(stream, events=("start", "end"))

    def __iter__(self) -> Iterator[tuple[str, ET.Element, str]]:
        for event, elem in self._events:
            if event == "start":
                self.stack.append(elem)
            else:
                self.stack.pop()
            yield event, elem, local(elem.tag)

    def drop(self, elem: ET.Element) -> None:
        elem.clear()
        if self.stack:
            with contextlib.suppress(ValueError):
                self.stack[-1].remove(elem)


def _part(zf: zipfile.ZipFile, name: str, ctx: Ctx) -> IO[bytes]:
    return open_member(zf, zf.getinfo(name), ctx)


def _rels(zf: zipfile.ZipFile, part: str, ctx: Ctx) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type suffix, resolved part name) for ``part``."""
    folder, base = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", base + ".rels")
    if rels_name not in zf.NameToInfo:
        return {}
    out: dict[str, tuple[str, str]] = {}
    root = ET.fromstring(read_member(zf, rels_name, ctx))
    for rel in root:
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External" or not target:
            continue
        path = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join(folder, target))
        )
        out[rel.get("Id", "")] = (rel.get("Type", "").rsplit("/", 1)[-1], path)
    return out


def _rid(elem: ET.Element) -> str:
    return elem.get(f"{_REL_NS}id") or elem.get(f"{_STRICT_REL_NS}id") or ""


def _main_part(zf: zipfile.ZipFile, ctx: Ctx, default: str) -> str:
    for kind, path in _rels(zf, "", ctx).values():
        if kind == "officeDocument" and path in zf.NameToInfo:
            return path
    return default


# -- text of one paragraph --------------------------------------------------------------

_OOXML_SKIP = frozenset({"pPr", "rPr", "instrText", "Fallback", "tblPr", "sectPr", "fldChar"})


def _ooxml_text(elem: ET.Element) -> str:
    """Visible text of a w:p or a:p, including deleted tracked changes."""
    out: list[str] = []

    def walk(node: ET.Element) -> None:
        for child in node:
            name = local(child.tag)
            if name in ("t", "delText"):
                out.append(child.text or "")
            elif name == "tab":
                out.append("\t")
            elif name in ("br", "cr"):
                out.append("\n")
            elif name in _OOXML_SKIP:
                continue
            elif name == "p":
                out.append("\n")
                walk(child)
                out.append("\n")
            else:
                walk(child)

    walk(elem)
    return "".join(out).strip()


def _odf_text(elem: ET.Element) -> str:
    """Text of an ODF paragraph, cell or heading, spaces and breaks restored."""
    out: list[str] = [elem.text or ""]
    for child in elem:
        name = local(child.tag)
        if name == "s":
            out.append(" " * int(child.get(f"{_ODF_TEXT}c", "1") or 1))
        elif name == "tab":
            out.append("\t")
        elif name == "line-break":
            out.append("\n")
        elif name in ("p", "h"):
            out.append("\n" + _odf_text(child) + "\n")
        elif name == "annotation":  # a comment: author, date, text, kept apart
            out.append(" " + " ".join(_odf_text(c) for c in child) + " ")
        elif name != "note-citation":
            out.append(_odf_text(child))
        out.append(child.tail or "")
    return "".join(out).strip()


# -- properties -------------------------------------------------------------------------

_META_FIELDS = frozenset(
    {
        "creator",
        "lastModifiedBy",
        "title",
        "subject",
        "keywords",
        "keyword",
        "description",
        "initial-creator",
        "Company",
        "Manager",
        "user-defined",
    }
)


def _metadata(zf: zipfile.ZipFile, names: list[str], ctx: Ctx) -> Iterator[Chunk]:
    batch = Batcher(ctx, {"part": "metadata"})
    for name in names:
        if name not in zf.NameToInfo:
            continue
        root = ET.fromstring(read_member(zf, name, ctx, limit=ctx.limits.max_document_size))
        for elem in root.iter():
            key = local(elem.tag)
            if key in _META_FIELDS and elem.text and elem.text.strip():
                label = elem.get(f"{_ODF_META}name", key)  # meta:user-defined names itself
                yield from batch.add(f"{label}: {elem.text.strip()}")
    yield from batch.flush()


# -- docx -------------------------------------------------------------------------------


def _docx_lines(stream: IO[bytes]) -> Iterator[str]:
    """Paragraphs, and table rows as tab-separated cells, in reading order."""
    tree = Tree(stream)
    depth_p = 0
    tables: list[tuple[list[str], list[str]]] = []  # (cells of the row, paragraphs of the cell)
    for event, elem, name in tree:
        if event == "start":
            if name == "p":
                depth_p += 1
            elif name == "tbl" and not depth_p:
                tables.append(([], []))
            continue
        if name == "p":
            depth_p -= 1
            if depth_p:
                continue
            text = _ooxml_text(elem)
            tree.drop(elem)
            if tables:
                tables[-1][1].append(text)
            elif text:
                yield text
        elif depth_p or not tables:
            continue
        elif name == "tc":
            cells, paras = tables[-1]
            cells.append(" ".join(p for p in paras if p))
            paras.clear()
            tree.drop(elem)
        elif name == "tr":
            cells = tables[-1][0]
            line = "\t".join(cells).strip()
            cells.clear()
            tree.drop(elem)
            if len(tables) > 1:
                tables[-2][1].append(line)
            elif line:
                yield line
        elif name == "tbl":
            tables.pop()
            tree.drop(elem)


def _docx_comment_authors(stream: IO[bytes]) -> list[str]:
    authors: list[str] = []
    for event, elem in ET.iterparse(stream, events=("start",)):
        if event == "start" and local(elem.tag) == "comment":
            for key, value in elem.attrib.items():
                if local(key) == "author" and value not in authors:
                    authors.append(value)
    return authors


def iter_docx(zf: zipfile.ZipFile, ctx: Ctx) -> Iterator[Chunk]:
    main = _main_part(zf, ctx, "word/document.xml")
    folder = posixpath.dirname(main)
    parts: list[tuple[str, str | None]] = [(main, None)]
    related = sorted(_rels(zf, main, ctx).values(), key=lambda kp: kp[1])
    for kind, path in related:
        if kind in ("header", "footer", "footnotes", "endnotes", "comments") and (
            path in zf.NameToInfo
        ):
            parts.append((path, kind))
    if not related:  # no relationships part: guess the usual names
        for name in sorted(zf.NameToInfo):
            m = re.fullmatch(
                re.escape(folder) + r"/(header|footer|footnotes|endnotes|comments)\d*\.xml", name
            )
            if m:
                parts.append((name, m.group(1)))
    for part_name, part_kind in parts:
        batch = Batcher(ctx, {"part": part_kind} if part_kind else {})
        with _part(zf, part_name, ctx) as stream:
            for n, line in enumerate(_docx_lines(stream), start=1):
                yield from batch.add(line, {"paragraph": n})
        if part_kind == "comments":
            with _part(zf, part_name, ctx) as stream:
                for author in _docx_comment_authors(stream):
                    yield from batch.add(f"author: {author}")
        yield from batch.flush()
    yield from _metadata(zf, ["docProps/core.xml", "docProps/app.xml"], ctx)


# -- xlsx -------------------------------------------------------------------------------

_DATE_FORMAT_IDS = frozenset(
    {14, 15, 16, 17, 22, 27, 28, 29, 30, 31, 34, 35, 36, 50, 51, 52, 53, 54, 57, 58}
)
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')


def _is_date_format(code: str) -> bool:
    bare = _QUOTED.sub("", code).lower()
    return "d" in bare or "y" in bare


def _date_styles(zf: zipfile.ZipFile, folder: str, ctx: Ctx) -> set[int]:
    """Indexes of cell styles showing dates: dates are numbers in the XML."""
    name = f"{folder}/styles.xml"
    if name not in zf.NameToInfo:
        return set()
    root = ET.fromstring(read_member(zf, name, ctx))
    custom = {
        int(e.get("numFmtId", "-1")): e.get("formatCode", "")
        for e in root.iter()
        if local(e.tag) == "numFmt"
    }
    styles: set[int] = set()
    for group in root:
        if local(group.tag) != "cellXfs":
            continue
        for i, xf in enumerate(x for x in group if local(x.tag) == "xf"):
            fid = int(xf.get("numFmtId", "0") or 0)
            if fid in _DATE_FORMAT_IDS or (fid in custom and _is_date_format(custom[fid])):
                styles.add(i)
    return styles


def _shared_strings(zf: zipfile.ZipFile, name: str, ctx: Ctx) -> list[str]:
    out: list[str] = []
    if name not in zf.NameToInfo:
        return out
    with _part(zf, name, ctx) as stream:
        tree = Tree(stream)
        for event, elem, tag in tree:
            if event == "end" and tag == "si":
                out.append(
                    "".join(t.text or "" for t in _iter_no_phonetic(elem) if local(t.tag) == "t")
                )
                tree.drop(elem)
    return out


def _iter_no_phonetic(elem: ET.Element) -> Iterator[ET.Element]:
    for child in elem:
        if local(child.tag) == "rPh":
            continue
        yield child
        yield from _iter_no_phonetic(child)


_CELL_REF = re.compile(r"([A-Z]{1,3})(\d+)")


def column_letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _number(text: str) -> str:
    try:
        value = float(text)
    except ValueError:
        return text
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return text


def _serial_date(text: str, date1904: bool) -> str:
    try:
        serial = float(text)
        base = datetime(1904, 1, 1) if date1904 else datetime(1899, 12, 30)
        when = base + timedelta(days=serial)
    except (ValueError, OverflowError):
        return text
    return (
        when.strftime("%d/%m/%Y")
        if when.time() == datetime.min.time()
        else (when.strftime("%d/%m/%Y %H:%M"))
    )


def _sheet_cells(
    stream: IO[bytes], shared: list[str], dates: set[int], date1904: bool
) -> Iterator[tuple[str, str, bool]]:
    """(cell reference, displayed value, first in its row) for each non-empty cell.

    Only "end" events are parsed (half the cost on big sheets); a finished row
    is cleared, leaving an empty shell of a few dozen bytes per row.
    """
    row_no = 0  # number of the last finished row
    col_no = -1
    first = True
    for _event, elem in ET.iterparse(stream, events=("end",)):
        name = local(elem.tag)
        if name == "row":
            row_no = int(elem.get("r") or row_no + 1)
            col_no = -1
            first = True
            elem.clear()
            continue
        if name != "c":
            continue
        ref = elem.get("r") or ""
        m = _CELL_REF.match(ref)
        col_no = _column_index(m.group(1)) if m else col_no + 1
        if not m:
            ref = f"{column_letters(col_no)}{row_no + 1}"
        kind = elem.get("t", "n")
        raw: str | None = None
        inline: list[str] = []
        for child in elem:
            tag = local(child.tag)
            if tag == "v":
                raw = child.text
            elif tag == "is":
                inline.extend(t.text or "" for t in _iter_no_phonetic(child) if local(t.tag) == "t")
        value = ""
        if kind == "s" and raw is not None:
            idx = int(raw)
            value = shared[idx] if 0 <= idx < len(shared) else ""
        elif kind == "inlineStr":
            value = "".join(inline)
        elif kind == "b" and raw is not None:
            value = "VRAI" if raw == "1" else "FAUX"
        elif raw is not None and kind in ("str", "e", "d"):
            value = raw
        elif raw is not None:
            style = int(elem.get("s", "0") or 0)
            value = _serial_date(raw, date1904) if style in dates else _number(raw)
        elem.clear()
        if value.strip():
            yield ref, value, first
            first = False


def iter_xlsx(zf: zipfile.ZipFile, ctx: Ctx) -> Iterator[Chunk]:
    workbook = _main_part(zf, ctx, "xl/workbook.xml")
    folder = posixpath.dirname(workbook)
    rels = _rels(zf, workbook, ctx)
    root = ET.fromstring(read_member(zf, workbook, ctx))
    date1904 = any(
        local(e.tag) == "workbookPr" and e.get("date1904", "0").lower() in ("1", "true")
        for e in root.iter()
    )
    sheets = [
        (e.get("name", ""), rels.get(_rid(e), ("", ""))[1])
        for e in root.iter()
        if local(e.tag) == "sheet"
    ]
    shared_name = next(
        (p for k, p in rels.values() if k == "sharedStrings"), f"{folder}/sharedStrings.xml"
    )
    shared = _shared_strings(zf, shared_name, ctx)
    dates = _date_styles(zf, folder, ctx)
    for sheet_name, path in sheets:
        if path not in zf.NameToInfo:
            continue
        batch = Batcher(ctx, {"sheet": sheet_name})
        with _part(zf, path, ctx) as stream:
            for ref, value, first in _sheet_cells(stream, shared, dates, date1904):
                yield from batch.add(value, {"cell": ref}, sep="\n" if first else "\t")
        yield from batch.flush()
        yield from _sheet_comments(zf, path, sheet_name, ctx)
    yield from _metadata(zf, ["docProps/core.xml", "docProps/app.xml"], ctx)


def _sheet_comments(zf: zipfile.ZipFile, sheet: str, sheet_name: str, ctx: Ctx) -> Iterator[Chunk]:
    for kind, path in _rels(zf, sheet, ctx).values():
        if kind != "comments" or path not in zf.NameToInfo:
            continue
        batch = Batcher(ctx, {"sheet": sheet_name, "part": "comments"})
        root = ET.fromstring(read_member(zf, path, ctx))
        authors = [a.text or "" for a in root.iter() if local(a.tag) == "author"]
        for comment in root.iter():
            if local(comment.tag) != "comment":
                continue
            text = "".join(t.text or "" for t in comment.iter() if local(t.tag) == "t")
            idx = int(comment.get("authorId", "-1") or -1)
            author = authors[idx] if 0 <= idx < len(authors) else ""
            line = f"{author}: {text}" if author else text
            yield from batch.add(line, {"cell": comment.get("ref", "")})
        yield from batch.flush()


# -- pptx -------------------------------------------------------------------------------


def _paragraphs(stream: IO[bytes]) -> Iterator[str]:
    tree = Tree(stream)
    depth = 0
    for event, elem, name in tree:
        if name != "p":
            continue
        if event == "start":
            depth += 1
            continue
        depth -= 1
        if not depth:
            text = _ooxml_text(elem)
            tree.drop(elem)
            if text:
                yield text


def iter_pptx(zf: zipfile.ZipFile, ctx: Ctx) -> Iterator[Chunk]:
    presentation = _main_part(zf, ctx, "ppt/presentation.xml")
    rels = _rels(zf, presentation, ctx)
    root = ET.fromstring(read_member(zf, presentation, ctx))
    slides = [rels[_rid(e)][1] for e in root.iter() if local(e.tag) == "sldId" and _rid(e) in rels]
    for number, path in enumerate(slides, start=1):
        if path not in zf.NameToInfo:
            continue
        batch = Batcher(ctx, {"slide": number})
        with _part(zf, path, ctx) as stream:
            for line in _paragraphs(stream):
                yield from batch.add(line)
        yield from batch.flush()
        for kind, target in _rels(zf, path, ctx).values():
            if kind == "notesSlide" and target in zf.NameToInfo:
                notes = Batcher(ctx, {"slide": number, "part": "notes"})
                with _part(zf, target, ctx) as stream:
                    for line in _paragraphs(stream):
                        if not line.isdigit():  # the slide-number placeholder
                            yield from notes.add(line)
                yield from notes.flush()
    yield from _metadata(zf, ["docProps/core.xml", "docProps/app.xml"], ctx)


# -- OpenDocument -----------------------------------------------------------------------


def _odf_encrypted(zf: zipfile.ZipFile, ctx: Ctx) -> bool:
    name = "META-INF/manifest.xml"
    return name in zf.NameToInfo and b"encryption-data" in read_member(zf, name, ctx)


def _odt_body(stream: IO[bytes], ctx: Ctx) -> Iterator[Chunk]:
    batch = Batcher(ctx)
    tree = Tree(stream)
    depth = 0
    n = 0
    for event, elem, name in tree:
        if name not in ("p", "h"):
            continue
        if event == "start":
            depth += 1
            continue
        depth -= 1
        if not depth:
            text = _odf_text(elem)
            tree.drop(elem)
            if text:
                n += 1
                yield from batch.add(text, {"paragraph": n})
    yield from batch.flush()


def _ods_body(stream: IO[bytes], ctx: Ctx) -> Iterator[Chunk]:
    tree = Tree(stream)
    batch: Batcher | None = None
    row = col = 0
    first = True
    for event, elem, name in tree:
        if event == "start":
            if name == "table" and elem.tag.startswith(_ODF_TABLE):
                if batch is not None:
                    yield from batch.flush()
                batch = Batcher(ctx, {"sheet": elem.get(f"{_ODF_TABLE}name", "")})
                row = 0
            elif name == "table-row":
                col = 0
                first = True
            continue
        if name in ("table-cell", "covered-table-cell"):
            repeat = int(elem.get(f"{_ODF_TABLE}number-columns-repeated", "1") or 1)
            text = _odf_text(elem)
            if not text:
                for attr in ("value", "date-value", "string-value", "boolean-value"):
                    text = elem.get(f"{_ODF_OFFICE}{attr}", "")
                    if text:
                        break
            if text and batch is not None:
                ref = f"{column_letters(col)}{row + 1}"
                yield from batch.add(text, {"cell": ref}, sep="\n" if first else "\t")
                first = False
            col += repeat
            tree.drop(elem)
        elif name == "table-row":
            row += int(elem.get(f"{_ODF_TABLE}number-rows-repeated", "1") or 1)
            tree.drop(elem)
    if batch is not None:
        yield from batch.flush()


def _odp_body(stream: IO[bytes], ctx: Ctx) -> Iterator[Chunk]:
    tree = Tree(stream)
    slide = 0
    notes = False
    depth = 0
    batch: Batcher | None = None
    for event, elem, name in tree:
        if event == "start":
            if name == "page" and not notes:
                if batch is not None:
                    yield from batch.flush()
                slide += 1
                batch = Batcher(ctx, {"slide": slide})
            elif name == "notes":
                if batch is not None:
                    yield from batch.flush()
                notes = True
                batch = Batcher(ctx, {"slide": slide, "part": "notes"})
            elif name in ("p", "h"):
                depth += 1
            continue
        if name in ("p", "h"):
            depth -= 1
            if not depth:
                text = _odf_text(elem)
                tree.drop(elem)
                if text and batch is not None:
                    yield from batch.add(text)
        elif name == "notes":
            notes = False
            if batch is not None:
                yield from batch.flush()
            batch = Batcher(ctx, {"slide": slide})
    if batch is not None:
        yield from batch.flush()


def _odf_headers(stream: IO[bytes], ctx: Ctx) -> Iterator[Chunk]:
    """Headers and footers, which ODF keeps in styles.xml."""
    tree = Tree(stream)
    part: str | None = None
    batches: dict[str, Batcher] = {}
    depth = 0
    for event, elem, name in tree:
        if name.startswith(("header", "footer")) and elem.tag.startswith(
            "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
        ):
            part = name.split("-")[0] if event == "start" else None
            continue
        if name not in ("p", "h") or part is None:
            continue
        if event == "start":
            depth += 1
            continue
        depth -= 1
        if not depth:
            text = _odf_text(elem)
            tree.drop(elem)
            batch = batches.setdefault(part, Batcher(ctx, {"part": part}))
            yield from batch.add(text)
    for batch in batches.values():
        yield from batch.flush()


def iter_odf(zf: zipfile.ZipFile, kind: Format, ctx: Ctx) -> Iterator[Chunk]:
    if _odf_encrypted(zf, ctx):
        raise encrypted(_odf_label(kind))
    body = {Format.ODT: _odt_body, Format.ODS: _ods_body, Format.ODP: _odp_body}[kind]
    if "content.xml" in zf.NameToInfo:
        with _part(zf, "content.xml", ctx) as stream:
            yield from body(stream, ctx)
    if "styles.xml" in zf.NameToInfo and kind is Format.ODT:
        with _part(zf, "styles.xml", ctx) as stream:
            yield from _odf_headers(stream, ctx)
    yield from _metadata(zf, ["meta.xml"], ctx)


def _odf_label(kind: Format) -> str:
    return {
        Format.ODT: "OpenDocument text",
        Format.ODS: "OpenDocument spreadsheet",
        Format.ODP: "OpenDocument presentation",
    }.get(kind, "OpenDocument file")


def iter_office(zf: zipfile.ZipFile, kind: Format, ctx: Ctx) -> Iterator[Chunk]:
    if kind is Format.DOCX:
        yield from iter_docx(zf, ctx)
    elif kind is Format.XLSX:
        yield from iter_xlsx(zf, ctx)
    elif kind is Format.PPTX:
        yield from iter_pptx(zf, ctx)
    else:
        yield from iter_odf(zf, kind, ctx)
