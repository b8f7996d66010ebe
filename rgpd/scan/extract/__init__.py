"""Text out of the files found on a share, with where each piece came from.

``extract(path)`` yields :class:`Chunk` objects for txt/md/log/csv/tsv/json/xml/
html, docx/xlsx/pptx, odt/ods/odp, pdf, eml/mbox/msg (with attachments), rtf and
zip archives (nested, member by member); .doc, .xls and OCR are optional
extras. Every failure is an ``rgpd.errors.SourceError`` with a precise
``reason`` (see :class:`Reason`); limits live in :class:`ExtractLimits`.
"""

from collections.abc import Iterable

from rgpd.scan.extract.core import display_name, extract, extract_bytes
from rgpd.scan.extract.model import Chunk, ExtractLimits, Format, OnError, Reason
from rgpd.scan.extract.sniff import sniff_format
from rgpd.scan.extract.text import detect_encoding

#: The readers' libraries, imported where a format is first met, with the file suffixes
#: that call for them (``None``: any). A scan's pool imports those its files need before
#: it forks (:func:`preload`), so that each worker does not import them again on its
#: first files (~0.4 s of CPU per worker, issue 11).
_READERS: tuple[tuple[str, frozenset[str] | None], ...] = (
    ("charset_normalizer", None),
    ("rgpd.scan.extract.pdf", frozenset({".pdf"})),
    ("rgpd.scan.extract.legacy", frozenset({".doc", ".xls"})),
    ("rgpd.scan.extract.mail", frozenset({".eml", ".mbox", ".msg"})),
    ("pypdf", frozenset({".pdf"})),
    ("pypdf.errors", frozenset({".pdf"})),
    ("extract_msg", frozenset({".msg"})),  # 0.16 s, with BeautifulSoup
    ("olefile", frozenset({".msg", ".doc", ".xls"})),
    ("striprtf.striprtf", frozenset({".rtf"})),
    ("xlrd", frozenset({".xls"})),
)
#: Containers whose members may be of any format: every reader is loaded for them.
_ANY_INSIDE = frozenset({".zip"})


def preload(suffixes: Iterable[str] | None = None) -> None:
    """Import the installed readers that files of these ``suffixes`` need (None: all).

    Only a hint: a format met later (a mail's attachment, a file misnamed) is still
    read, its reader imported then. An optional reader missing is skipped.
    """
    import importlib

    wanted = None if suffixes is None else {x.lower() for x in suffixes}
    if wanted is not None and wanted & _ANY_INSIDE:
        wanted = None
    for name, needs in _READERS:
        if wanted is not None and needs is not None and not (needs & wanted):
            continue
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
