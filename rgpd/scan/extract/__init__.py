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
    "sniff_format",
]
