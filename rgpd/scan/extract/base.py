"""Plumbing shared by the parsers: the extraction context, blobs, batching.

A *blob* is something to extract (a file on disk, an archive member, a mail
attachment); the *context* carries what is inherited down a nesting chain:
the source name, the limits, the nesting depth and the archive byte budget.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import IO, Any

from rgpd.errors import LimitExceeded, SourceError
from rgpd.i18n import _
from rgpd.scan.extract.model import Chunk, ExtractLimits, OnError, Reason, source_error

BLOCK = 1024 * 1024


@dataclass
class Budget:
    """Uncompressed bytes allowed for one top-level archive and all nested in it.

    Shared by reference down the nesting chain, so ``a.zip!b.zip!c.zip`` cannot
    multiply the allowance at each level (the 42.zip pattern).
    """

    limit: int
    used: int = 0

    @property
    def remaining(self) -> int:
        return self.limit - self.used

    def take(self, n: int) -> None:
        self.used += n
        if self.used > self.limit:
            raise archive_too_big(self.limit)


def archive_too_big(limit: int) -> LimitExceeded:
    return source_error(
        LimitExceeded,
        Reason.ARCHIVE_TOTAL,
        _("archive expands beyond {limit} bytes (zip bomb?)", limit=limit),
    )


@dataclass
class Ctx:
    limits: ExtractLimits
    source: str
    on_error: OnError | None = None
    depth: int = 0
    location: Mapping[str, Any] = field(default_factory=dict)
    budget: Budget | None = None
    #: Name that archive members found below are prefixed with, when it is not
    #: ``source`` (a zip attached to a mail: ``mail.eml!docs.zip!member``).
    prefix: str | None = None

    def nested(
        self,
        *,
        source: str | None = None,
        part: str | None = None,
        extra: Mapping[str, Any] | None = None,
        deeper: bool = True,
        prefix: str | None = None,
    ) -> Ctx:
        """Context for something inside this one (a member, an attachment, a message)."""
        loc = dict(self.location)
        if part is not None:
            loc["part"] = f"{loc['part']}/{part}" if "part" in loc else part
        if extra:
            loc.update(extra)
        return replace(
            self,
            source=source if source is not None else self.source,
            prefix=prefix if (prefix is not None or source is not None) else self.prefix,
            location=loc,
            depth=self.depth + (1 if deeper else 0),
        )

    @property
    def member_prefix(self) -> str:
        return self.prefix or self.source

    def chunk(
        self,
        text: str,
        location: Mapping[str, Any] | None = None,
        marks: tuple[tuple[int, Mapping[str, Any]], ...] = (),
    ) -> Chunk:
        loc = dict(self.location)
        if location:
            for key, value in location.items():
                if key == "part" and "part" in loc:
                    loc["part"] = f"{loc['part']}/{value}"
                else:
                    loc[key] = value
        return Chunk(text=text, location=loc, source=self.source, marks=marks)

    def report(self, source: str, err: SourceError) -> None:
        """A nested item failed: tell the caller and go on, or stop if nobody listens."""
        if self.on_error is None:
            raise err if source == self.source else with_context(err, source)
        self.on_error(source, err)


@dataclass
class Blob:
    """Bytes to extract, with the name that carries their extension."""

    name: str
    head: bytes
    size: int | None
    opener: Callable[[], IO[bytes]]
    path: str | None = None  # a real file on disk, for tools that need one

    @classmethod
    def from_bytes(cls, data: bytes, name: str) -> Blob:
        return cls(name=name, head=data[:8192], size=len(data), opener=lambda: io.BytesIO(data))

    def open(self) -> IO[bytes]:
        return self.opener()

    def read_all(self, limit: int) -> bytes:
        """Whole content for in-memory parsers, refusing anything above ``limit``."""
        if self.size is not None and self.size > limit:
            raise too_large(self.size, limit)
        return read_capped(self.open(), limit)


def read_capped(stream: IO[bytes], limit: int) -> bytes:
    """Read to the end, in blocks, failing as soon as ``limit`` is passed.

    ``stream.read(limit)`` would allocate ``limit`` bytes up front (and make a
    zip member inflate that much at once), whatever the real size.
    """
    parts: list[bytes] = []
    total = 0
    while True:
        block = stream.read(min(BLOCK, limit + 1 - total))
        if not block:
            return b"".join(parts)
        parts.append(block)
        total += len(block)
        if total > limit:
            raise too_large(None, limit)


def with_context(err: SourceError, label: str) -> SourceError:
    """The same error (class and reason) with what failed named in front."""
    new = type(err)(f"{label}: {err}")
    new.reason = err.reason
    new.__cause__ = err.__cause__
    return new


def too_large(size: int | None, limit: int) -> LimitExceeded:
    if size is None:
        message = _("file too large to read: more than {limit} bytes", limit=limit)
    else:
        message = _("file too large to read: {size} bytes (limit {limit})", size=size, limit=limit)
    return source_error(LimitExceeded, Reason.TOO_LARGE, message)


class Prefixed(io.RawIOBase):
    """A stream whose first bytes were already read (to sniff it), put back in front."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._head.nbytes:
            n = min(len(view), self._head.nbytes)
            view[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(view))
        view[: len(data)] = data
        return len(data)


def split_text(text: str, limit: int) -> Iterator[str]:
    """Cut ``text`` into pieces of at most ``limit`` characters, at line ends or spaces.

    Cutting inside a word could split a NIR or an email in two and lose it.
    """
    while len(text) > limit:
        cut = cut_point(text, limit)
        yield text[:cut]
        text = text[cut:]
    if text:
        yield text


def cut_point(text: str, limit: int) -> int:
    floor = limit // 2
    cut = text.rfind("\n", floor, limit)
    if cut < 0:
        cut = max(text.rfind(" ", floor, limit), text.rfind("\t", floor, limit))
    return cut + 1 if cut >= 0 else limit


class Batcher:
    """Packs small pieces (paragraphs, cells) into chunks near ``chunk_chars``.

    Each piece leaves a mark so that offsets map back to its paragraph or cell.
    """

    def __init__(self, ctx: Ctx, location: Mapping[str, Any] | None = None) -> None:
        self.ctx = ctx
        self.location = dict(location or {})
        self.limit = ctx.limits.chunk_chars
        self._parts: list[str] = []
        self._marks: list[tuple[int, Mapping[str, Any]]] = []
        self._size = 0

    def add(self, text: str, mark: Mapping[str, Any] | None = None, sep: str = "\n") -> list[Chunk]:
        if not text or text.isspace():
            return []
        out: list[Chunk] = []
        if self._size and self._size + len(sep) + len(text) > self.limit:
            out.extend(self.flush())
        if len(text) > self.limit:
            out.extend(self.flush())
            for piece in split_text(text, self.limit):
                out.append(self.ctx.chunk(piece, {**self.location, **(mark or {})}))
            return out
        if self._size:
            self._parts.append(sep)
            self._size += len(sep)
        if mark is not None:
            self._marks.append((self._size, mark))
        self._parts.append(text)
        self._size += len(text)
        return out

    def flush(self) -> list[Chunk]:
        if not self._size:
            return []
        text = "".join(self._parts)
        chunk = self.ctx.chunk(text, self.location, tuple(self._marks))
        self._parts, self._marks, self._size = [], [], 0
        return [chunk]
