"""Optional extras: legacy Office binaries (.doc, .xls) and OCR, plus compound-file triage.

None of these is a hard dependency. When the tool is missing the error names
the extra or the Debian package to install, so the scan summary tells the IT
department exactly what to do.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator

from rgpd.errors import CorruptDocument, LimitExceeded, UnsupportedFormat, safe_detail, safe_text
from rgpd.i18n import _
from rgpd.scan.extract.base import Batcher, Blob, Ctx
from rgpd.scan.extract.model import Chunk, ExtractLimits, Format, Reason, source_error


def missing_extra(what: str, install: str) -> UnsupportedFormat:
    return source_error(
        UnsupportedFormat,
        Reason.MISSING_EXTRA,
        _("{what} cannot be read: install {install}", what=what, install=install),
    )


def missing_ocr(what: str) -> UnsupportedFormat:
    return missing_extra(
        what,
        _("the 'ocr' extra and tesseract (Debian: apt install tesseract-ocr tesseract-ocr-fra)"),
    )


def ocr_available(limits: ExtractLimits) -> bool:
    return limits.ocr and shutil.which("tesseract") is not None


def ocr_image(data: bytes, limits: ExtractLimits) -> str:
    """Text of an image through the tesseract command line (no Python binding needed)."""
    exe = shutil.which("tesseract")
    if not limits.ocr or exe is None:
        raise missing_ocr(_("image"))
    try:
        done = subprocess.run(
            [exe, "stdin", "stdout", "-l", limits.ocr_languages],
            input=data,
            capture_output=True,
            timeout=limits.ocr_timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise _timeout(limits) from exc
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip()[-300:]
        if "language" in err.lower() or "traineddata" in err:
            raise missing_ocr(_("OCR language {lang}", lang=limits.ocr_languages))
        raise source_error(
            CorruptDocument, Reason.CORRUPT, _("OCR failed: {error}", error=safe_text(err))
        )
    return done.stdout.decode("utf-8", "replace")


def _timeout(limits: ExtractLimits) -> LimitExceeded:
    return source_error(
        LimitExceeded,
        Reason.TIMEOUT,
        _("external tool took longer than {seconds} s", seconds=limits.ocr_timeout),
    )


def iter_image(blob: Blob, ctx: Ctx) -> Iterator[Chunk]:
    text = ocr_image(blob.read_all(ctx.limits.max_document_size), ctx.limits)
    batch = Batcher(ctx, {"ocr": True})
    for n, line in enumerate(text.splitlines(), start=1):
        yield from batch.add(line, {"line": n})
    yield from batch.flush()


def ole_kind(data: bytes) -> Format:
    """What a compound file holds, from its stream names."""
    import olefile

    try:
        ole = olefile.OleFileIO(data)
    except Exception as exc:
        raise source_error(
            CorruptDocument,
            Reason.CORRUPT,
            _("damaged compound document: {error}", error=safe_detail(exc)),
        ) from exc
    try:
        names = {"/".join(entry) for entry in ole.listdir(streams=True, storages=True)}
    finally:
        ole.close()
    if "EncryptedPackage" in names or "EncryptionInfo" in names:
        raise source_error(
            UnsupportedFormat,
            Reason.ENCRYPTED,
            _(
                "password-protected Office document: its content cannot be read without the "
                "password"
            ),
        )
    if any(n.startswith(("__substg1.0_", "__properties_version1.0")) for n in names):
        return Format.MSG
    if "WordDocument" in names:
        return Format.DOC
    if "Workbook" in names or "Book" in names:
        return Format.XLS
    if "PowerPoint Document" in names:
        return Format.PPT
    return Format.UNKNOWN


def iter_doc(blob: Blob, ctx: Ctx) -> Iterator[Chunk]:
    exe = shutil.which("antiword")
    if exe is None:
        raise missing_extra(
            _("legacy Word document (.doc)"), _("antiword (Debian: apt install antiword)")
        )
    data = blob.read_all(ctx.limits.max_document_size)
    with tempfile.NamedTemporaryFile(suffix=".doc") as tmp:
        tmp.write(data)
        tmp.flush()
        try:
            done = subprocess.run(
                [exe, "-m", "UTF-8.txt", "-w", "0", tmp.name],
                capture_output=True,
                timeout=ctx.limits.ocr_timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise _timeout(ctx.limits) from exc
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip()[-300:]
        if "encrypt" in err.lower() or "password" in err.lower():
            raise source_error(
                UnsupportedFormat, Reason.ENCRYPTED, _("password-protected Word document")
            )
        raise source_error(
            CorruptDocument,
            Reason.CORRUPT,
            _("damaged Word document: {error}", error=safe_text(err)),
        )
    batch = Batcher(ctx)
    for n, para in enumerate(done.stdout.decode("utf-8", "replace").split("\n\n"), start=1):
        yield from batch.add(para.strip(), {"paragraph": n})
    yield from batch.flush()


def iter_xls(blob: Blob, ctx: Ctx) -> Iterator[Chunk]:
    try:
        import xlrd
    except ImportError as exc:
        raise missing_extra(
            _("legacy Excel workbook (.xls)"), _("the 'legacy' extra (pip install xlrd)")
        ) from exc
    from rgpd.scan.extract.office import column_letters

    data = blob.read_all(ctx.limits.max_document_size)
    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except Exception as exc:
        if "encrypt" in str(exc).lower():
            raise source_error(
                UnsupportedFormat, Reason.ENCRYPTED, _("password-protected Excel workbook")
            ) from exc
        raise source_error(
            CorruptDocument,
            Reason.CORRUPT,
            _("damaged Excel workbook: {error}", error=safe_detail(exc)),
        ) from exc
    try:
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            batch = Batcher(ctx, {"sheet": sheet.name})
            for r in range(sheet.nrows):
                first = True
                for c in range(sheet.ncols):
                    cell = sheet.cell(r, c)
                    value = _xls_value(cell, book.datemode, xlrd)
                    if value:
                        yield from batch.add(
                            value,
                            {"cell": f"{column_letters(c)}{r + 1}"},
                            sep="\n" if first else "\t",
                        )
                        first = False
            yield from batch.flush()
            book.unload_sheet(index)
    finally:
        book.release_resources()


def _xls_value(cell: object, datemode: int, xlrd: object) -> str:
    ctype = getattr(cell, "ctype", 0)
    value = getattr(cell, "value", "")
    if ctype == 3:  # XL_CELL_DATE
        try:
            when = xlrd.xldate_as_datetime(value, datemode)  # type: ignore[attr-defined]
            return str(when.strftime("%d/%m/%Y"))
        except Exception:
            return str(value)
    if ctype == 2 and float(value).is_integer():
        return str(int(value))
    return str(value).strip() if ctype in (1, 2) else ""


def iter_ppt(blob: Blob, ctx: Ctx) -> Iterator[Chunk]:
    raise source_error(
        UnsupportedFormat,
        Reason.UNKNOWN_FORMAT,
        _("legacy PowerPoint (.ppt) is not supported: convert it to .pptx or .odp"),
    )
    yield  # pragma: no cover
