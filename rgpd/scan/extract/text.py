"""Plain text and markup: txt/log/csv/md, HTML, XML, JSON, RTF.

Text files can be huge (years of application logs), so they are decoded as a
stream and cut into chunks; nothing here holds a whole text file in memory.
"""

from __future__ import annotations

import codecs
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import IO, Any

from rgpd.errors import CorruptDocument, safe_detail
from rgpd.i18n import _
from rgpd.scan.extract.base import Batcher, Blob, Ctx, Prefixed, cut_point, too_large
from rgpd.scan.extract.model import Chunk, MiB, Reason, source_error

#: Bytes sampled to guess an encoding.
SAMPLE = 64 * 1024
#: Above this, JSON is scanned as text instead of parsed (parsed JSON takes ~10x memory).
JSON_PARSE_MAX = 32 * MiB

#: Encodings seen on French administrative shares; cp850 is the DOS/console one.
_CANDIDATES = [
    "utf_8",
    "cp1252",
    "latin_1",
    "iso8859_15",
    "cp850",
    "mac_roman",
    "utf_16_le",
    "utf_16_be",
]


def detect_encoding(sample: bytes, complete: bool = True) -> str:
    """Encoding of a text sample: BOM, then strict UTF-8, then charset-normalizer.

    ``complete`` is False when the sample was cut from a longer file, so a UTF-8
    sequence broken at its very end does not disqualify UTF-8.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if not complete and exc.reason == "unexpected end of data":
            return "utf-8"
    from charset_normalizer import from_bytes

    best = from_bytes(sample, cp_isolation=_CANDIDATES).best()
    encoding = best.encoding if best is not None else "cp1252"
    # latin-1 and cp1252 only differ on 0x80-0x9F, where latin-1 has control
    # characters no French text uses and cp1252 has € œ ’ « »: prefer cp1252.
    if encoding in ("latin_1", "iso8859_1", "utf_8"):
        try:
            sample.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            return "latin_1"
    return encoding


def text_reader(blob: Blob) -> IO[str]:
    """A decoding, newline-normalising reader over the blob (streamed)."""
    stream = blob.open()
    sample = stream.read(SAMPLE)
    complete = len(sample) < SAMPLE
    encoding = detect_encoding(sample, complete)
    raw = io.BufferedReader(Prefixed(sample, stream), buffer_size=1024 * 1024)
    return io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline=None)


def iter_text(blob: Blob, ctx: Ctx) -> Iterator[Chunk]:
    """Chunks of a text file with the line and character offset where each starts."""
    limit = ctx.limits.chunk_chars
    reader = text_reader(blob)
    buf = ""
    line, offset = 1, 0
    while True:
        block = reader.read(limit)
        eof = not block
        buf += block.replace("\x00", "") if "\x00" in block else block
        while len(buf) > limit or (eof and buf):
            cut = cut_point(buf, limit) if len(buf) > limit else len(buf)
            piece, buf = buf[:cut], buf[cut:]
            if piece.strip():
                yield ctx.chunk(piece, {"line": line, "offset": offset})
            line += piece.count("\n")
            offset += len(piece)
        if offset > ctx.limits.max_file_size:  # a file still growing (an active log)
            raise too_large(None, ctx.limits.max_file_size)
        if eof:
            return


# -- HTML ---------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "br",
        "li",
        "tr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "ul",
        "ol",
        "section",
        "article",
        "header",
        "footer",
        "blockquote",
        "pre",
        "dt",
        "dd",
        "hr",
        "form",
        "fieldset",
        "address",
        "title",
        "option",
    ]
)
_SKIP_TAGS = frozenset({"script", "style", "template"})
_SPACES = re.compile(r"[ \r\n\f\v\xa0]+")


class _TextCollector(HTMLParser):
    """Visible text of a page, block elements on their own lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[tuple[str, int]] = []
        self._current: list[str] = []
        self._line = 1
        self._skip = 0

    def _break(self) -> None:
        text = _SPACES.sub(" ", "".join(self._current)).strip(" \t")
        if text:
            self.pieces.append((text, self._line))
        self._current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self._break()
        elif tag in ("td", "th"):
            self._current.append("\t")
        for key, value in attrs:
            if key in ("alt", "title") and value:
                self._current.append(f" {value} ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self._break()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if not self._current:
            self._line = self.getpos()[0]
        self._current.append(data)

    def finish(self) -> None:
        self.close()
        self._break()

    def drain(self) -> list[tuple[str, int]]:
        out, self.pieces = self.pieces, []
        return out


def iter_html(blob: Blob, ctx: Ctx) -> Iterator[Chunk]:
    reader = text_reader(blob)
    parser = _TextCollector()
    batch = Batcher(ctx)
    while True:
        block = reader.read(ctx.limits.chunk_chars)
        if not block:
            parser.finish()
        else:
            parser.feed(block)
        for text, line in parser.drain():
            yield from batch.add(text, {"line": line})
        if not block:
            break
    yield from batch.flush()


# -- XML ----------------------------------------------------------------------------


def iter_xml(blob: Blob, ctx: Ctx) -> Iterator[Chunk]:
    """Text nodes and attribute values of an XML file, parsed as a stream.

    External entities are never fetched (ElementTree does not) and expat >= 2.4
    stops entity-expansion bombs.
    """
    batch = Batcher(ctx)
    stream = blob.open()
    count = 0
    stack: list[ET.Element] = []
    try:
        for event, elem in ET.iterparse(stream, events=("start", "end")):
            if event == "start":
                stack.append(elem)
                continue
            stack.pop()
            tag = elem.tag.rsplit("}", 1)[-1] if isinstance(elem.tag, str) else ""
            pieces = [v for v in elem.attrib.values() if v.strip()]
            if elem.text and elem.text.strip():
                pieces.append(elem.text.strip())
            if elem.tail and elem.tail.strip():
                pieces.append(elem.tail.strip())
            for piece in pieces:
                count += 1
                yield from batch.add(piece, {"element": tag})
            elem.clear()
            if stack:
                # Children are done in order: the parent never holds more than one.
                stack[-1].remove(elem)
    except ET.ParseError as exc:
        if count == 0:
            # Not well-formed from the start: still text worth scanning.
            yield from iter_text(blob, ctx)
            return
        raise source_error(
            CorruptDocument, Reason.CORRUPT, _("malformed XML: {error}", error=safe_detail(exc))
        ) from exc
    yield from batch.flush()


# -- JSON ---------------------------------------------------------------------------


def _walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            sub = f"{path}.{key}"
            if isinstance(item, dict | list):
                yield from _walk(item, sub)
            elif item is not None:
                yield sub, f"{key}: {item}"
    elif isinstance(value, list):
        for i, item in enumerate(value):
            sub = f"{path}[{i}]"
            if isinstance(item, dict | list):
                yield from _walk(item, sub)
            elif item is not None:
                yield sub, str(item)
    elif value is not None:
        yield path, str(value)


def iter_json(blob: Blob, ctx: Ctx) -> Iterator[Chunk]:
    """Each scalar as ``key: value`` (the key is context for detection) with its JSON path."""
    if blob.size is None or blob.size > JSON_PARSE_MAX:
        yield from iter_text(blob, ctx)
        return
    reader = text_reader(blob)
    raw = reader.read()
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        # JSON Lines, comments, truncated exports: scan the text as it is.
        del raw
        yield from iter_text(blob, ctx)
        return
    del raw
    batch = Batcher(ctx)
    for path, line in _walk(doc, "$"):
        yield from batch.add(line, {"path": path})
    yield from batch.flush()


# -- RTF ----------------------------------------------------------------------------

_ANSICPG = re.compile(rb"\\ansicpg(\d{3,5})")


def iter_rtf(blob: Blob, ctx: Ctx) -> Iterator[Chunk]:
    from striprtf.striprtf import rtf_to_text

    data = blob.read_all(ctx.limits.max_document_size)
    # RTF is 7-bit; \'xx escapes are in the code page the header declares.
    page = _ANSICPG.search(data[:4096])
    encoding = f"cp{int(page.group(1))}" if page else "cp1252"
    try:
        codecs.lookup(encoding)
    except LookupError:
        encoding = "cp1252"
    text = rtf_to_text(data.decode("latin-1"), encoding=encoding, errors="replace")
    batch = Batcher(ctx)
    for i, para in enumerate(text.splitlines(), start=1):
        yield from batch.add(para, {"line": i})
    yield from batch.flush()
