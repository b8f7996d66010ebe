"""Entry points: open a file safely, pick its parser, turn every failure into a SourceError.

Nothing a file contains may crash the scan: parser exceptions of any kind
become ``CorruptDocument``, exhaustion becomes ``LimitExceeded``, and the
file-system troubles (permissions, loops, undecodable names) become
``SourceUnreachable`` with a precise reason.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from typing import IO

from rgpd.errors import (
    CorruptDocument,
    LimitExceeded,
    SourceError,
    SourceUnreachable,
    UnsupportedFormat,
    safe_detail,
)
from rgpd.i18n import _
from rgpd.scan.extract import archive, legacy, mail, office, pdf, text
from rgpd.scan.extract.base import Blob, Ctx, too_large
from rgpd.scan.extract.model import Chunk, ExtractLimits, Format, OnError, Reason, source_error
from rgpd.scan.extract.sniff import HEAD_SIZE, sniff_format

_O_NOATIME = getattr(os, "O_NOATIME", 0)
#: OS errors that come from the disk or the share, not from the document.
_DISK_ERRNOS = frozenset(
    {
        errno.EIO,
        errno.EACCES,
        errno.EPERM,
        errno.ENXIO,
        getattr(errno, "ESTALE", errno.EIO),
        errno.ETIMEDOUT,
    }
)


def extract(
    path: str | os.PathLike[str] | bytes,
    limits: ExtractLimits | None = None,
    *,
    on_error: OnError | None = None,
    source: str | None = None,
) -> Iterator[Chunk]:
    """Text chunks of the file at ``path``, lazily.

    Raises a ``SourceError`` for the file itself. Failures of nested items
    (archive members, attachments, pages) go to ``on_error(source, error)`` and
    extraction continues; without ``on_error`` the first one is raised.
    ``source`` overrides the name chunks carry (default: the path).
    """
    limits = limits or ExtractLimits()
    name = _checked_name(path)
    fh = _open(name, limits)
    with fh:
        head = fh.read(HEAD_SIZE)
        size = os.fstat(fh.fileno()).st_size

        def reopen() -> IO[bytes]:
            fh.seek(0)
            return fh

        blob = Blob(name=name, head=head, size=size, opener=reopen, path=name)
        yield from extract_blob(blob, Ctx(limits=limits, source=source or name, on_error=on_error))


def extract_bytes(
    data: bytes,
    name: str,
    limits: ExtractLimits | None = None,
    *,
    on_error: OnError | None = None,
    source: str | None = None,
) -> Iterator[Chunk]:
    """Like :func:`extract` for content already in memory (``name`` gives the extension)."""
    limits = limits or ExtractLimits()
    yield from extract_blob(
        Blob.from_bytes(data, name), Ctx(limits=limits, source=source or name, on_error=on_error)
    )


def display_name(path: str | bytes | os.PathLike[str]) -> str:
    """A printable form of a path whose bytes are not valid UTF-8 (``caf\\xe9.txt``)."""
    raw = os.fsencode(path)
    return raw.decode("utf-8", "backslashreplace")


def _checked_name(path: str | os.PathLike[str] | bytes) -> str:
    raw = os.fsencode(path)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise source_error(
            SourceUnreachable,
            Reason.UNDECODABLE_NAME,
            _(
                "file name is not valid UTF-8: {name} (mount the share with iocharset=utf8 "
                "or rename the file)",
                name=display_name(raw),
            ),
        ) from exc
    return os.fsdecode(raw)


def _open(name: str, limits: ExtractLimits) -> IO[bytes]:
    """Open read-only without following into FIFOs or devices, and without touching atime.

    The access time is left alone because retention and archiving tools on the
    same share may rely on it.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        try:
            fd = os.open(name, flags | _O_NOATIME)
        except PermissionError:
            if not _O_NOATIME:
                raise
            fd = os.open(name, flags)  # O_NOATIME needs ownership: retry without it
    except OSError as exc:
        raise _os_error(exc) from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise source_error(
                UnsupportedFormat,
                Reason.NOT_REGULAR_FILE,
                _("not a regular file (directory, pipe or device)"),
            )
        if st.st_size > limits.max_file_size:
            raise too_large(st.st_size, limits.max_file_size)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _os_error(exc: OSError) -> SourceError:
    if isinstance(exc, PermissionError):
        return source_error(SourceUnreachable, Reason.PERMISSION_DENIED, _("permission denied"))
    if exc.errno == errno.ELOOP:
        return source_error(
            SourceUnreachable,
            Reason.SYMLINK_LOOP,
            _("too many levels of symbolic links (symlink loop)"),
        )
    if isinstance(exc, FileNotFoundError):
        return source_error(
            SourceUnreachable,
            Reason.NOT_FOUND,
            _("file not found (deleted, or a broken symbolic link)"),
        )
    if isinstance(exc, IsADirectoryError):
        return source_error(
            UnsupportedFormat,
            Reason.NOT_REGULAR_FILE,
            _("not a regular file (directory, pipe or device)"),
        )
    return source_error(
        SourceUnreachable,
        Reason.IO_ERROR,
        _("read error: {error}", error=exc.strerror or safe_detail(exc)),
    )


_IN_MEMORY = frozenset(
    {
        Format.DOCX,
        Format.XLSX,
        Format.PPTX,
        Format.ODT,
        Format.ODS,
        Format.ODP,
        Format.PDF,
        Format.EML,
        Format.MSG,
        Format.RTF,
        Format.OLE,
        Format.DOC,
        Format.XLS,
        Format.PPT,
        Format.IMAGE,
    }
)


def extract_blob(blob: Blob, ctx: Ctx) -> Iterator[Chunk]:
    """Dispatch on the sniffed format; normalise every failure into a SourceError."""
    fmt = sniff_format(blob.head, blob.name)
    try:
        if ctx.depth > ctx.limits.max_depth:
            raise mail.depth_error(ctx.limits.max_depth)
        if fmt in _IN_MEMORY and blob.size is not None and blob.size > ctx.limits.max_document_size:
            raise too_large(blob.size, ctx.limits.max_document_size)
        yield from _dispatch(fmt, blob, ctx)
    except SourceError:
        raise
    except MemoryError as exc:
        raise source_error(
            LimitExceeded,
            Reason.MEMORY,
            _("out of memory while reading {format}", format=fmt.value),
        ) from exc
    except RecursionError as exc:
        raise source_error(
            CorruptDocument,
            Reason.CORRUPT,
            _("{format}: structure nested too deeply", format=fmt.value),
        ) from exc
    except OSError as exc:
        if exc.errno in _DISK_ERRNOS:
            raise _os_error(exc) from exc
        raise source_error(
            CorruptDocument,
            Reason.CORRUPT,
            _(
                "{format}: cannot be read ({error})",
                format=fmt.value,
                error=safe_detail(exc),
            ),
        ) from exc
    except Exception as exc:
        raise source_error(
            CorruptDocument,
            Reason.CORRUPT,
            _(
                "{format}: cannot be parsed ({error})",
                format=fmt.value,
                error=safe_detail(exc),
            ),
        ) from exc


def _dispatch(fmt: Format, blob: Blob, ctx: Ctx) -> Iterator[Chunk]:
    if fmt in (Format.TEXT, Format.CSV):
        yield from text.iter_text(blob, ctx)
    elif fmt is Format.HTML:
        yield from text.iter_html(blob, ctx)
    elif fmt is Format.XML:
        yield from text.iter_xml(blob, ctx)
    elif fmt is Format.JSON:
        yield from text.iter_json(blob, ctx)
    elif fmt is Format.RTF:
        yield from text.iter_rtf(blob, ctx)
    elif fmt is Format.PDF:
        yield from pdf.iter_pdf(blob, ctx)
    elif fmt is Format.EML:
        yield from mail.iter_eml(blob, ctx, extract_blob)
    elif fmt is Format.MBOX:
        yield from mail.iter_mbox(blob, ctx, extract_blob)
    elif fmt in (
        Format.ZIP,
        Format.DOCX,
        Format.XLSX,
        Format.PPTX,
        Format.ODT,
        Format.ODS,
        Format.ODP,
    ):
        yield from _zip_family(fmt, blob, ctx)
    elif fmt in (Format.OLE, Format.MSG, Format.DOC, Format.XLS, Format.PPT):
        yield from _ole(blob, ctx)
    elif fmt is Format.IMAGE:
        yield from legacy.iter_image(blob, ctx)
    else:
        raise source_error(UnsupportedFormat, Reason.UNKNOWN_FORMAT, _("unknown or binary format"))


def _zip_family(fmt: Format, blob: Blob, ctx: Ctx) -> Iterator[Chunk]:
    what = fmt.value if fmt is not Format.ZIP else "zip"
    zf, ctx = archive.open_zip(blob, ctx, what)
    with zf:
        kind = archive.container_kind(zf)
        if kind is Format.ZIP:
            yield from archive.iter_zip_members(zf, ctx, extract_blob)
        else:
            yield from office.iter_office(zf, kind, ctx)


def _ole(blob: Blob, ctx: Ctx) -> Iterator[Chunk]:
    data = blob.read_all(ctx.limits.max_document_size)
    kind = legacy.ole_kind(data)
    inner = Blob.from_bytes(data, blob.name)
    inner.path = blob.path
    if kind is Format.MSG:
        yield from mail.iter_msg(inner, ctx, extract_blob)
    elif kind is Format.DOC:
        yield from legacy.iter_doc(inner, ctx)
    elif kind is Format.XLS:
        yield from legacy.iter_xls(inner, ctx)
    elif kind is Format.PPT:
        yield from legacy.iter_ppt(inner, ctx)
    else:
        raise source_error(
            UnsupportedFormat,
            Reason.UNKNOWN_FORMAT,
            _("unknown compound document (not a mail, Word or Excel file)"),
        )
