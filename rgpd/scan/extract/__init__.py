"""Text out of the files found on a share, with where each piece came from.

``extract(path)`` yields :class:`Chunk` objects for txt/md/log/csv/tsv/json/xml/
html, docx/xlsx/pptx, odt/ods/odp, pdf, eml/mbox/msg (with attachments), rtf and
zip archives (nested, member by member); .doc, .xls and OCR are optional
extras. Every failure is an ``rgpd.errors.SourceError`` with a precise
``reason`` (see :class:`Reason`); limits live in :class:`ExtractLimits`.
"""

from rgpd.scan.extract.core import display_name, extract, extract_bytes
from rgpd.scan.extract.model import Chunk, ExtractLimits, Format, OnError, Reason
from rgpd.scan.extract.sniff import sniff_format
from rgpd.scan.extract.text import detect_encoding

#: The readers' libraries, imported where a format is first met. A scan's pool imports
#: them before it forks (:func:`preload`), so that each worker does not import them
#: again on its first files (~0.4 s of CPU per worker, issue 11).
_READERS = (
    "rgpd.scan.extract.pdf",
    "rgpd.scan.extract.legacy",
    "rgpd.scan.extract.mail",
    "pypdf",
    "pypdf.errors",
    "extract_msg",
    "olefile",
    "striprtf.striprtf",
    "charset_normalizer",
    "xlrd",
)


def preload() -> None:
    """Import every installed reader now (an optional one missing is skipped)."""
    import importlib

    for name in _READERS:
        try:
            importlib.import_module(name)
        except ImportError:
            continue


__all__ = [
    "Chunk",
    "ExtractLimits",
    "Format",
    "OnError",
    "Reason",
    "detect_encoding",
    "display_name",
    "extract",
    "extract_bytes",
    "preload",
    "sniff_format",
]
