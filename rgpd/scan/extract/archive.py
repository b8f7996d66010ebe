"""Zip archives and zip containers (OOXML, ODF), read member by member under guard.

Zip-bomb limits are checked on the central directory *before* any byte is
decompressed (entry count, declared total, per-member ratio), then enforced
again while reading, because declared sizes can lie: every decompressed byte
is counted against a budget shared by the whole nesting chain.
"""

from __future__ import annotations

import io
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import IO, Any

from rgpd.errors import CorruptDocument, LimitExceeded, SourceError, UnsupportedFormat, safe_detail
from rgpd.i18n import _
from rgpd.scan.extract.base import Blob, Budget, Ctx, Prefixed, read_capped, too_large
from rgpd.scan.extract.model import Chunk, Format, Reason, source_error
from rgpd.scan.extract.sniff import HEAD_SIZE, sniff_format

#: Formats streamed from an archive member without loading it whole.
STREAMED = frozenset({Format.TEXT, Format.CSV, Format.XML, Format.HTML, Format.MBOX, Format.JSON})

_ODF_MIMETYPES = {
    "application/vnd.oasis.opendocument.text": Format.ODT,
    "application/vnd.oasis.opendocument.text-template": Format.ODT,
    "application/vnd.oasis.opendocument.spreadsheet": Format.ODS,
    "application/vnd.oasis.opendocument.spreadsheet-template": Format.ODS,
    "application/vnd.oasis.opendocument.presentation": Format.ODP,
    "application/vnd.oasis.opendocument.presentation-template": Format.ODP,
}

Dispatch = Callable[[Blob, Ctx], Iterator[Chunk]]


def encrypted(what: str) -> UnsupportedFormat:
    return source_error(
        UnsupportedFormat,
        Reason.ENCRYPTED,
        _("{what} is encrypted: its content cannot be read without the password", what=what),
    )


def open_zip(blob: Blob, ctx: Ctx, what: str) -> tuple[zipfile.ZipFile, Ctx]:
    """Open a zip and check it against the limits; the returned context owns a budget."""
    try:
        zf = zipfile.ZipFile(blob.open())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError) as exc:
        raise source_error(
            CorruptDocument,
            Reason.CORRUPT,
            _(
                "{what}: damaged or truncated zip container ({error})",
                what=what,
                error=safe_detail(exc),
            ),
        ) from exc
    if ctx.budget is None:
        ctx = replace(ctx, budget=Budget(ctx.limits.max_archive_total))
    try:
        check_zip(zf, ctx)
    except SourceError:
        zf.close()
        raise
    return zf, ctx


def check_zip(zf: zipfile.ZipFile, ctx: Ctx) -> None:
    """The zip-bomb checks that need no decompression at all."""
    limits = ctx.limits
    assert ctx.budget is not None
    infos = zf.infolist()
    if len(infos) > limits.max_archive_entries:
        raise source_error(
            LimitExceeded,
            Reason.ARCHIVE_ENTRIES,
            _(
                "archive has {count} entries (limit {limit})",
                count=len(infos),
                limit=limits.max_archive_entries,
            ),
        )
    total = sum(i.file_size for i in infos)
    if total > ctx.budget.remaining:
        raise source_error(
            LimitExceeded,
            Reason.ARCHIVE_TOTAL,
            _(
                "archive declares {size} uncompressed bytes, more than the {limit} allowed "
                "(zip bomb?)",
                size=total,
                limit=ctx.budget.remaining,
            ),
        )
    for info in infos:
        if info.file_size > limits.ratio_min_size and (
            info.file_size > limits.max_compression_ratio * max(info.compress_size, 1)
        ):
            raise source_error(
                LimitExceeded,
                Reason.ARCHIVE_RATIO,
                _(
                    "archive member {name} expands {ratio:.0f} times (limit {limit:.0f}; zip bomb?)",
                    name=info.filename,
                    ratio=info.file_size / max(info.compress_size, 1),
                    limit=limits.max_compression_ratio,
                ),
            )


class Guarded(io.RawIOBase):
    """A member stream that counts what it inflates against the budget and the declared size."""

    def __init__(self, raw: IO[bytes], declared: int, budget: Budget, name: str) -> None:
        self._raw = raw
        self._declared = declared
        self._budget = budget
        self._name = name
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        # Small reads: ZipExtFile inflates as much as asked for in one go.
        data = self._raw.read(min(len(view), 1024 * 1024))
        n = len(data)
        self.count += n
        if self.count > self._declared:
            raise source_error(
                LimitExceeded,
                Reason.ARCHIVE_RATIO,
                _(
                    "archive member {name} inflates beyond its declared size (forged header?)",
                    name=self._name,
                ),
            )
        self._budget.take(n)
        view[:n] = data
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


def open_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, ctx: Ctx) -> IO[bytes]:
    """A buffered, guarded stream over one member."""
    assert ctx.budget is not None
    if info.flag_bits & 0x1:
        raise encrypted(_("archive member"))
    try:
        raw = zf.open(info)
    except NotImplementedError as exc:  # compression method: AES (99), deflate64...
        raise source_error(
            UnsupportedFormat,
            Reason.UNKNOWN_FORMAT,
            _("unsupported zip compression: {error}", error=safe_detail(exc)),
        ) from exc
    except (zipfile.BadZipFile, RuntimeError, ValueError, OSError) as exc:
        raise source_error(
            CorruptDocument,
            Reason.CORRUPT,
            _("damaged archive member: {error}", error=safe_detail(exc)),
        ) from exc
    return io.BufferedReader(
        Guarded(raw, info.file_size, ctx.budget, info.filename), buffer_size=256 * 1024
    )


def read_member(zf: zipfile.ZipFile, name: str, ctx: Ctx, limit: int | None = None) -> bytes:
    info = zf.getinfo(name)
    limit = ctx.limits.max_document_size if limit is None else limit
    if info.file_size > limit:
        raise too_large(info.file_size, limit)
    with open_member(zf, info, ctx) as fh:
        return read_capped(fh, limit)


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its author saw it.

    Without the UTF-8 flag, zipfile decodes names as cp437; Windows wrote them in
    the OEM code page (cp850 in France) and many tools in UTF-8.
    """
    if info.flag_bits & 0x800:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for encoding in ("utf-8", "cp850"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def container_kind(zf: zipfile.ZipFile) -> Format:
    names = set(zf.namelist())
    if "mimetype" in names and zf.getinfo("mimetype").file_size < 256:
        mime = zf.read("mimetype").decode("ascii", "replace").strip()
        return _ODF_MIMETYPES.get(mime, Format.ZIP)
    if "[Content_Types].xml" in names:
        if "word/document.xml" in names or any(n.startswith("word/") for n in names):
            return Format.DOCX
        if "xl/workbook.xml" in names or any(n.startswith("xl/") for n in names):
            return Format.XLSX
        if "ppt/presentation.xml" in names or any(n.startswith("ppt/") for n in names):
            return Format.PPTX
    return Format.ZIP


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def iter_zip_members(zf: zipfile.ZipFile, ctx: Ctx, dispatch: Dispatch) -> Iterator[Chunk]:
    """Every member in turn; one that fails is reported and the next one is read."""
    infos = [i for i in zf.infolist() if not i.is_dir() and not _is_symlink(i)]
    if infos and all(i.flag_bits & 0x1 for i in infos):
        raise encrypted(_("archive"))
    for info in infos:
        name = member_name(info)
        sub = ctx.nested(source=f"{ctx.member_prefix}!{name}")
        try:
            yield from _member(zf, info, name, sub, dispatch)
        except SourceError as err:
            if err.reason == Reason.ARCHIVE_TOTAL:
                raise  # the archive as a whole is a bomb: stop reading it
            ctx.report(sub.source, err)


def _member(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, ctx: Ctx, dispatch: Dispatch
) -> Iterator[Chunk]:
    limits = ctx.limits
    if ctx.depth > limits.max_depth:
        raise source_error(
            LimitExceeded,
            Reason.ARCHIVE_DEPTH,
            _("archives nested deeper than {limit} levels", limit=limits.max_depth),
        )
    stream = open_member(zf, info, ctx)
    head = _read(lambda: stream.read(HEAD_SIZE))
    fmt = sniff_format(head, name)
    if fmt in STREAMED and info.file_size > limits.max_document_size:
        first: list[IO[bytes]] = [stream]

        def reopen() -> IO[bytes]:
            # The first reader continues the stream already sniffed; later ones
            # (a parser falling back to plain text) inflate the member again.
            if first:
                return io.BufferedReader(Prefixed(head, first.pop()))
            return open_member(zf, info, ctx)

        blob = Blob(name=name, head=head, size=info.file_size, opener=reopen)
        yield from dispatch(blob, ctx)
        return
    if info.file_size > limits.max_document_size:
        stream.close()
        raise too_large(info.file_size, limits.max_document_size)
    data = head + _read(lambda: read_capped(stream, limits.max_document_size - len(head)))
    stream.close()
    yield from dispatch(Blob.from_bytes(data, name), ctx)


def _read(read: Callable[[], bytes]) -> bytes:
    """Read a member, turning zipfile's complaints (bad CRC, truncated data) into ours."""
    try:
        return read()
    except SourceError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error) as exc:
        raise source_error(
            CorruptDocument,
            Reason.CORRUPT,
            _("damaged archive member: {error}", error=safe_detail(exc)),
        ) from exc
