"""PDF: the text layer, page by page; scanned pages go to OCR when it is installed."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from rgpd.errors import CorruptDocument, LimitExceeded, SourceError, safe_detail
from rgpd.i18n import _
from rgpd.scan.extract.archive import encrypted
from rgpd.scan.extract.base import Batcher, Blob, Ctx, split_text
from rgpd.scan.extract.legacy import missing_ocr, ocr_available, ocr_image
from rgpd.scan.extract.model import Chunk, Reason, source_error

_META_KEYS = ("/Author", "/Title", "/Subject", "/Keywords")

# pypdf logs every oddity of a damaged file as a warning: on a share of
# thousands of PDFs that floods the terminal under the progress bar. What
# matters reaches the scan as a CorruptDocument instead.
logging.getLogger("pypdf").setLevel(logging.ERROR)


def iter_pdf(blob: Blob, ctx: Ctx) -> Iterator[Chunk]:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PdfReadError

    if blob.size is not None and blob.size > ctx.limits.max_document_size:
        from rgpd.scan.extract.base import too_large

        raise too_large(blob.size, ctx.limits.max_document_size)
    try:
        reader = PdfReader(blob.open(), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")  # owner-only protection still lets us read
            except (DependencyError, NotImplementedError, PdfReadError) as exc:
                raise encrypted("PDF") from exc
            if not opened:
                raise encrypted("PDF")
        pages = len(reader.pages)
    except SourceError:
        raise
    except Exception as exc:
        raise source_error(
            CorruptDocument,
            Reason.CORRUPT,
            _("damaged PDF: {error}", error=safe_detail(exc)),
        ) from exc
    if pages > ctx.limits.max_pdf_pages:
        raise source_error(
            LimitExceeded,
            Reason.TOO_MANY_PAGES,
            _("PDF has {count} pages (limit {limit})", count=pages, limit=ctx.limits.max_pdf_pages),
        )
    with_text = 0
    blank_with_images: list[int] = []
    for number in range(1, pages + 1):
        page = reader.pages[number - 1]
        try:
            text = page.extract_text() or ""
        except Exception as exc:
            ctx.report(
                ctx.source,
                source_error(
                    CorruptDocument,
                    Reason.CORRUPT,
                    _(
                        "PDF page {page} cannot be read: {error}",
                        page=number,
                        error=safe_detail(exc),
                    ),
                ),
            )
            continue
        if text.strip():
            with_text += 1
            for piece in split_text(text, ctx.limits.chunk_chars):
                yield ctx.chunk(piece, {"page": number})
        elif _has_images(page):
            blank_with_images.append(number)
    if blank_with_images:
        if ocr_available(ctx.limits):
            for number in blank_with_images:
                yield from _ocr_page(reader.pages[number - 1], number, ctx)
        elif not with_text:
            raise missing_ocr(_("PDF without a text layer (scanned?)"))
    yield from _metadata(reader, ctx)


def _has_images(page: object) -> bool:
    try:
        resources = page["/Resources"]  # type: ignore[index]
        xobjects = resources.get("/XObject") if resources is not None else None
        if xobjects is None:
            return False
        xobjects = xobjects.get_object()
        return any(xobjects[k].get_object().get("/Subtype") == "/Image" for k in xobjects)
    except Exception:
        return False


def _ocr_page(page: object, number: int, ctx: Ctx) -> Iterator[Chunk]:
    try:
        images = list(page.images)  # type: ignore[attr-defined]
    except Exception as exc:
        ctx.report(
            ctx.source,
            source_error(
                CorruptDocument,
                Reason.CORRUPT,
                _(
                    "PDF page {page}: images cannot be read: {error}",
                    page=number,
                    error=safe_detail(exc),
                ),
            ),
        )
        return
    for image in images:
        text = ocr_image(image.data, ctx.limits)
        for piece in split_text(text, ctx.limits.chunk_chars):
            if piece.strip():
                yield ctx.chunk(piece, {"page": number, "ocr": True})


def _metadata(reader: object, ctx: Ctx) -> Iterator[Chunk]:
    try:
        meta = reader.metadata  # type: ignore[attr-defined]
    except Exception:
        return
    if not meta:
        return
    batch = Batcher(ctx, {"part": "metadata"})
    for key in _META_KEYS:
        value = meta.get(key)
        if value and str(value).strip():
            yield from batch.add(f"{key.lstrip('/').lower()}: {value}")
    yield from batch.flush()
