"""What extraction hands to detection: text chunks that remember where they came from.

A chunk is large (up to ``ExtractLimits.chunk_chars``) so that detection pays its
per-call cost rarely, yet every offset inside it can be traced back to a page,
a cell or a line through :meth:`Chunk.locate`: the DPO needs "page 3" or
"Feuil1!B7" next to a finding, not a byte offset.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from rgpd.errors import SourceError

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of extracted text.

    ``source`` names the file, or the archive member as ``path!member`` (and
    ``path!inner.zip!member`` when nested). ``location`` holds where the chunk
    starts: any of ``part`` (``body``, ``headers``, ``header``, ``footer``,
    ``notes``, ``comments``, ``metadata``, ``attachment:NAME``, nested with
    ``/``), ``page``, ``sheet``, ``cell``, ``slide``, ``paragraph``, ``line``,
    ``message`` (mbox), ``path`` (JSON) and ``offset`` (characters before the
    chunk in its part). ``marks`` refine the location inside the chunk:
    ``(offset_in_text, {"cell": "B7"})`` pairs sorted by offset.
    """

    text: str
    location: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""
    marks: tuple[tuple[int, Mapping[str, Any]], ...] = ()

    def locate(self, offset: int) -> dict[str, Any]:
        """Location of the character at ``offset`` in :attr:`text`.

        Marks win over the chunk's own location; for plain-text chunks (no
        marks, a ``line`` key) the line is counted from the chunk start.
        """
        loc = dict(self.location)
        offset = max(0, min(offset, len(self.text)))
        if self.marks:
            i = bisect_right(self.marks, offset, key=lambda m: m[0]) - 1
            if i >= 0:
                loc.update(self.marks[i][1])
        elif "line" in loc:
            loc["line"] = int(loc["line"]) + self.text.count("\n", 0, offset)
        loc["offset"] = int(loc.get("offset", 0)) + offset
        return loc


@dataclass(frozen=True)
class ExtractLimits:
    """Guards against hostile or absurd inputs; every limit raises ``LimitExceeded``.

    Defaults are sized for a municipal file share read by a 2-core machine with
    a couple of GB of memory per worker.
    """

    #: Any file on disk. Plain text is streamed, so this can exceed memory.
    max_file_size: int = 4 * GiB
    #: A document that must be parsed in memory (office, PDF, mail, RTF), and
    #: any archive member or attachment that is not plain text.
    max_document_size: int = 256 * MiB
    #: Target size of a chunk, in characters (spaCy's default limit is 1,000,000).
    chunk_chars: int = 100_000
    #: Entries in one zip (archive or office container).
    max_archive_entries: int = 10_000
    #: Uncompressed bytes for an archive and everything nested inside it.
    max_archive_total: int = 1 * GiB
    #: Uncompressed / compressed size of one member, checked on members above
    #: ``ratio_min_size`` (small files legitimately compress very well).
    max_compression_ratio: float = 200.0
    ratio_min_size: int = 1 * MiB
    #: Nesting of archives and attachments (file.zip!a.zip!b.docx is depth 2).
    max_depth: int = 4
    max_pdf_pages: int = 5_000
    #: OCR of images and scanned PDFs, when tesseract is installed.
    ocr: bool = True
    ocr_languages: str = "fra+eng"
    ocr_timeout: float = 120.0


class Format(StrEnum):
    TEXT = "text"
    CSV = "csv"
    JSON = "json"
    XML = "xml"
    HTML = "html"
    DOCX = "docx"
    XLSX = "xlsx"
    PPTX = "pptx"
    ODT = "odt"
    ODS = "ods"
    ODP = "odp"
    PDF = "pdf"
    EML = "eml"
    MBOX = "mbox"
    MSG = "msg"
    RTF = "rtf"
    ZIP = "zip"
    OLE = "ole"  # compound file: msg, doc, xls, ppt or an encrypted OOXML file
    DOC = "doc"
    XLS = "xls"
    PPT = "ppt"
    IMAGE = "image"
    UNKNOWN = "unknown"


class Reason(StrEnum):
    """Machine-readable reasons set on the ``rgpd.errors.SourceError`` raised here."""

    TOO_LARGE = "too_large"
    ARCHIVE_ENTRIES = "archive_entries"
    ARCHIVE_TOTAL = "archive_total"
    ARCHIVE_RATIO = "archive_ratio"
    ARCHIVE_DEPTH = "archive_depth"
    TOO_MANY_PAGES = "too_many_pages"
    MEMORY = "memory"
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    ENCRYPTED = "encrypted"
    MISSING_EXTRA = "missing_extra"
    UNKNOWN_FORMAT = "unknown_format"
    NOT_REGULAR_FILE = "not_regular_file"
    CORRUPT = "corrupt"
    PERMISSION_DENIED = "permission_denied"
    NOT_FOUND = "not_found"
    SYMLINK_LOOP = "symlink_loop"
    #: A symlink leading out of the scanned folders: not followed without --follow-symlinks.
    SYMLINK_OUTSIDE = "symlink_outside"
    IO_ERROR = "io_error"
    UNDECODABLE_NAME = "undecodable_name"
    ERROR = "error"


E = TypeVar("E", bound=SourceError)


def source_error(cls: type[E], reason: Reason | str, message: str) -> E:
    """Build an error whose ``reason`` is precise (the class only says the family)."""
    err = cls(message)
    err.reason = str(reason)
    return err


#: Called with (source, error) for a member or attachment that could not be
#: read; extraction then goes on with the next one.
OnError = Callable[[str, SourceError], None]
