"""Which parser a file needs: magic bytes first, then the extension.

Shares are full of misnamed files (a ``.pdf`` that is an HTML error page, a
``.xls`` that is really CSV): the content decides whenever it can, the name
only breaks ties between text formats.
"""

from __future__ import annotations

import re

from rgpd.scan.extract.model import Format

#: Bytes read from the start of a file to decide its format.
HEAD_SIZE = 8192

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

_IMAGE_MAGIC: tuple[bytes, ...] = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"II*\x00",
    b"MM\x00*",
    b"GIF87a",
    b"GIF89a",
)

_BINARY_MAGIC: tuple[bytes, ...] = (
    b"\x1f\x8b",  # gzip
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!\x1a\x07",
    b"\x7fELF",
    b"MZ",
    b"BZh",
    b"\xfd7zXZ\x00",
    b"SQLite format 3\x00",
)

_EXT: dict[str, Format] = {
    "txt": Format.TEXT,
    "log": Format.TEXT,
    "md": Format.TEXT,
    "markdown": Format.TEXT,
    "text": Format.TEXT,
    "ini": Format.TEXT,
    "cfg": Format.TEXT,
    "conf": Format.TEXT,
    "yaml": Format.TEXT,
    "yml": Format.TEXT,
    "sql": Format.TEXT,
    "jsonl": Format.TEXT,
    "ndjson": Format.TEXT,
    "vcf": Format.TEXT,
    "ics": Format.TEXT,
    "csv": Format.CSV,
    "tsv": Format.CSV,
    "tab": Format.CSV,
    "json": Format.JSON,
    "xml": Format.XML,
    "html": Format.HTML,
    "htm": Format.HTML,
    "xhtml": Format.HTML,
    "docx": Format.DOCX,
    "docm": Format.DOCX,
    "dotx": Format.DOCX,
    "xlsx": Format.XLSX,
    "xlsm": Format.XLSX,
    "xltx": Format.XLSX,
    "pptx": Format.PPTX,
    "pptm": Format.PPTX,
    "ppsx": Format.PPTX,
    "odt": Format.ODT,
    "ott": Format.ODT,
    "ods": Format.ODS,
    "ots": Format.ODS,
    "odp": Format.ODP,
    "otp": Format.ODP,
    "pdf": Format.PDF,
    "eml": Format.EML,
    "mbox": Format.MBOX,
    "mbx": Format.MBOX,
    "msg": Format.MSG,
    "rtf": Format.RTF,
    "zip": Format.ZIP,
    "doc": Format.DOC,
    "xls": Format.XLS,
    "ppt": Format.PPT,
    "png": Format.IMAGE,
    "jpg": Format.IMAGE,
    "jpeg": Format.IMAGE,
    "tif": Format.IMAGE,
    "tiff": Format.IMAGE,
    "gif": Format.IMAGE,
}

_TEXT_FORMATS = frozenset(
    {Format.TEXT, Format.CSV, Format.JSON, Format.XML, Format.HTML, Format.EML, Format.MBOX}
)

_HEADER_LINE = re.compile(rb"^([A-Za-z][A-Za-z0-9-]{1,40}):[ \t]", re.MULTILINE)
_MAIL_HEADERS = frozenset(
    {
        b"from",
        b"to",
        b"subject",
        b"date",
        b"received",
        b"return-path",
        b"mime-version",
        b"message-id",
        b"delivered-to",
        b"content-type",
        b"cc",
        b"reply-to",
        b"x-mailer",
    }
)
#: Control bytes other than tab, newline, form feed, carriage return and escape.
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))


def extension(name: str) -> str:
    base = name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return base.rsplit(".", 1)[-1].lower() if "." in base else ""


def format_from_extension(name: str) -> Format:
    return _EXT.get(extension(name), Format.UNKNOWN)


def looks_binary(head: bytes) -> bool:
    """Too many control bytes for text; a few stray NULs (crashed logs) are tolerated."""
    if not head:
        return False
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16/32 with a BOM
        return False
    controls = len(head) - len(head.translate(None, _CONTROL))
    return controls / len(head) > 0.05


def _looks_like_mail(head: bytes) -> bool:
    block = head.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    names = {m.group(1).lower() for m in _HEADER_LINE.finditer(block)}
    first = _HEADER_LINE.match(block)
    return first is not None and len(names & _MAIL_HEADERS) >= 2


def sniff_format(head: bytes, name: str) -> Format:
    """Format of a file from its first bytes (``HEAD_SIZE`` is plenty) and its name.

    Zip-based and compound-file formats come back as the precise type when the
    extension agrees, else as ``ZIP`` / ``OLE``: the parsers look inside the
    container to settle it.
    """
    by_ext = format_from_extension(name)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        zip_family = {
            Format.DOCX,
            Format.XLSX,
            Format.PPTX,
            Format.ODT,
            Format.ODS,
            Format.ODP,
            Format.ZIP,
        }
        return by_ext if by_ext in zip_family else Format.ZIP
    if head.startswith(OLE_MAGIC):
        return by_ext if by_ext in {Format.MSG, Format.DOC, Format.XLS, Format.PPT} else Format.OLE
    if b"%PDF-" in head[:1024]:
        return Format.PDF
    if stripped.startswith(b"{\\rtf"):
        return Format.RTF
    if head.startswith(_IMAGE_MAGIC):
        return Format.IMAGE
    if head.startswith(_BINARY_MAGIC):
        return Format.UNKNOWN
    if looks_binary(head):
        return Format.UNKNOWN
    # Text from here on: the content tells mail and markup apart, the name the rest.
    if head.startswith(b"From ") and _looks_like_mail(head.split(b"\n", 1)[-1]):
        return Format.MBOX
    if by_ext in _TEXT_FORMATS:
        return by_ext
    low = stripped[:512].lower()
    if low.startswith((b"<!doctype html", b"<html")) or b"<html" in low[:256]:
        return Format.HTML
    if low.startswith(b"<?xml"):
        return Format.XML
    if _looks_like_mail(head):
        return Format.EML
    return Format.TEXT
