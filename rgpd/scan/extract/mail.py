"""Mail: .eml, mbox and Outlook .msg, attachments extracted recursively.

Mail is where personal data leaks most in a town hall: requests from
citizens, CVs, ID scans. Headers, the body (plain text preferred over its HTML
twin) and each attachment are read; an attachment that fails is reported and
the next one is read.

Memory: the standard library parses a message wholly in memory, holding each
attachment two or three times (raw bytes, the parsed text, the decoded bytes):
a 150 MB .eml took 1.5 GB. So a .eml is read line by line and every attachment
body above :data:`SPOOL_MIN` goes to a temporary file instead of the parser
(:class:`_Spooler`); it is decoded from there, in blocks, into another temporary
file that the attachment's extractor reads. What is parsed in memory is the
message without its large attachments.
"""

from __future__ import annotations

import base64
import binascii
import email
import logging
import os
import re
import secrets
import tempfile
from collections.abc import Callable, Iterable, Iterator
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from email.policy import EmailPolicy
from functools import lru_cache
from typing import Any

from rgpd.errors import CorruptDocument, LimitExceeded, SourceError, UnsupportedFormat, safe_detail
from rgpd.i18n import _
from rgpd.scan.extract.base import Batcher, Blob, Ctx, too_large, with_context
from rgpd.scan.extract.model import Chunk, Reason, source_error
from rgpd.scan.extract.text import _TextCollector, detect_encoding

Dispatch = Callable[[Blob, Ctx], Iterator[Chunk]]

_HEADERS = ("From", "To", "Cc", "Bcc", "Reply-To", "Subject", "Date")
_MBOX_FROM = re.compile(rb"^From \S+ +\S+ +\S+ +\d{1,2} +\d{1,2}:\d{2}")


class _MailPolicy(EmailPolicy):
    """``email.policy.default``, with each distinct MIME header parsed once per process.

    The standard library parses a header again at every access, and reading one part
    reads its Content-Type and Content-Disposition many times (``get_body``,
    ``iter_attachments``, ``get_content_type``, ``get_filename``...): that parsing was a
    third of the time spent reading mail (issue 11). The header objects are immutable,
    so one parse can serve every access. Only the headers that describe the MIME
    structure are kept (at most :data:`_CACHED_HEADERS` of them, short ones); the
    others (From, Subject...) are read once per message and parsed as before.
    """

    def header_fetch_parse(self, name: str, value: str) -> Any:
        if (
            isinstance(value, str)
            and not hasattr(value, "name")
            and len(value) <= _CACHED_HEADER_CHARS
            and name.lower() in _STRUCTURE_HEADERS
        ):
            return _parsed_header(name, value)
        return super().header_fetch_parse(name, value)


_STRUCTURE_HEADERS = frozenset(
    {"content-type", "content-disposition", "content-transfer-encoding", "mime-version"}
)
_CACHED_HEADERS = 1024
_CACHED_HEADER_CHARS = 1000
#: The policy every message is parsed with (``policy.default`` otherwise).
_POLICY = _MailPolicy()


@lru_cache(maxsize=_CACHED_HEADERS)
def _parsed_header(name: str, value: str) -> Any:
    return EmailPolicy.header_fetch_parse(_POLICY, name, value)


def html_to_text(html: str) -> str:
    parser = _TextCollector()
    parser.feed(html)
    parser.finish()
    return "\n".join(text for text, _line in parser.drain())


def _part_text(part: Message) -> str:
    if isinstance(part, EmailMessage):
        try:
            content = part.get_content()
            if isinstance(content, str):
                return content
        except (LookupError, UnicodeError, KeyError, ValueError, AttributeError):
            pass
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    return payload.decode(detect_encoding(payload[:65536]), "replace")


def _attachment(
    ctx: Ctx, name: str, data: bytes | Blob | None, dispatch: Dispatch
) -> Iterator[Chunk]:
    sub = ctx.nested(part=f"attachment:{name}", prefix=f"{ctx.member_prefix}!{name}")
    try:
        if data is None:
            return
        size = data.size if isinstance(data, Blob) else len(data)
        if size is not None and size > ctx.limits.max_document_size:
            raise too_large(size, ctx.limits.max_document_size)
        yield from dispatch(data if isinstance(data, Blob) else Blob.from_bytes(data, name), sub)
    except SourceError as err:
        if err.reason == Reason.ARCHIVE_TOTAL:
            raise
        ctx.report(ctx.source, with_context(err, _("attachment {name}", name=name)))


def iter_message(
    msg: Message, ctx: Ctx, dispatch: Dispatch, spooled: _Spooler | None = None
) -> Iterator[Chunk]:
    """Headers, body, then attachments of one parsed message (large ones from ``spooled``)."""
    head = Batcher(ctx, {"part": "headers"})
    for name in _HEADERS:
        for value in msg.get_all(name) or []:
            try:
                text = str(value)
            except (ValueError, LookupError, UnicodeError):
                text = repr(value)
            yield from head.add(f"{name}: {text}")
    yield from head.flush()

    body_part: Message | None = None
    if isinstance(msg, EmailMessage):
        body_part = msg.get_body(preferencelist=("plain", "html"))
    elif not msg.is_multipart():
        body_part = msg
    body = Batcher(ctx, {"part": "body"})
    if body_part is not None:
        text = _part_text(body_part)
        if body_part.get_content_subtype() == "html":
            text = html_to_text(text)
        for n, line in enumerate(text.splitlines(), start=1):
            yield from body.add(line, {"line": n})
    yield from body.flush()

    attachments = list(msg.iter_attachments()) if isinstance(msg, EmailMessage) else []
    for n, part in enumerate(attachments, start=1):
        name = part.get_filename() or f"attachment-{n}"
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload(0) if part.is_multipart() else None
            if isinstance(inner, Message):
                sub = ctx.nested(part=f"attachment:{name}")
                if sub.depth > ctx.limits.max_depth:
                    ctx.report(ctx.source, depth_error(ctx.limits.max_depth))
                    continue
                yield from iter_message(inner, sub, dispatch, spooled)
            continue
        spool = spooled.blob_of(part, name, ctx) if spooled is not None else None
        if spool is not None:
            yield from _attachment(ctx, name, spool, dispatch)
            continue
        payload = part.get_payload(decode=True)
        yield from _attachment(ctx, name, payload if isinstance(payload, bytes) else None, dispatch)


def depth_error(limit: int) -> LimitExceeded:
    return source_error(
        LimitExceeded,
        Reason.ARCHIVE_DEPTH,
        _("archives or attachments nested deeper than {limit} levels", limit=limit),
    )


def iter_eml(blob: Blob, ctx: Ctx, dispatch: Dispatch) -> Iterator[Chunk]:
    """One message, its large attachments spooled to temporary files (module docstring)."""
    if blob.size is not None and blob.size > ctx.limits.max_file_size:
        raise too_large(blob.size, ctx.limits.max_file_size)
    with _Spooler() as spooler, blob.open() as stream:
        msg = spooler.parse(iter(lambda: stream.readline(1024 * 1024), b""))
        yield from iter_message(msg, ctx, dispatch, spooler)


#: Attachment bodies above this size (encoded) are spooled to disk, not parsed in memory.
SPOOL_MIN = 1024 * 1024
_BOUNDARY_LINE = re.compile(rb"^--(.+?)(--)?[ \t]*\r?\n?$")


class _Spooler:
    """Splits a raw message into a small parsed message and its large attachments on disk.

    A line-by-line MIME walk: part headers are read to learn boundaries and which
    parts are attachments; an attachment body growing past :data:`SPOOL_MIN` moves
    to a file and leaves a random placeholder line in the message, which
    :meth:`blob_of` recognises later. Everything else goes to the parser as is.
    """

    def __init__(self) -> None:
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.mark = f"rgpd-spooled-{secrets.token_hex(8)}:"
        self.files: dict[str, tuple[str, str]] = {}  # placeholder id -> (path, encoding)

    @property
    def directory(self) -> str:
        """Where attachments are spooled: made at the first one. Most messages have no
        attachment above SPOOL_MIN, and a temporary directory made and removed for each
        costs 0.1-0.15 ms (as much as reading a small .eml's headers)."""
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="rgpd-mail-")
        return self._tmp.name

    def __enter__(self) -> _Spooler:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()

    def parse(self, lines: Iterable[bytes]) -> Message:
        out = bytearray()
        boundaries: list[bytes] = []
        in_headers, header = True, bytearray()
        attachment, encoding = False, ""
        body: bytearray | None = bytearray()
        spool: Any = None

        def end_body() -> None:
            nonlocal body, spool
            if spool is not None:
                spool.close()
                key = str(len(self.files))
                self.files[key] = (spool.name, encoding)
                out.extend(f"{self.mark}{key}\r\n".encode())
            elif body:
                out.extend(body)
            body, spool = bytearray(), None

        for line in lines:
            if in_headers:
                out.extend(line)
                header.extend(line)
                if line.strip():
                    continue
                info = BytesHeaderParser(policy=policy.compat32).parsebytes(bytes(header))
                boundary = info.get_param("boundary") if info.get_content_maintype() else None
                if info.get_content_maintype() == "multipart" and isinstance(boundary, str):
                    boundaries.append(boundary.encode("ascii", "replace"))
                disposition = str(info.get("Content-Disposition", "")).lower()
                attachment = info.get_content_maintype() not in ("multipart", "message") and (
                    "attachment" in disposition
                    or info.get_filename() is not None
                    or info.get_content_maintype() not in ("text",)
                )
                encoding = str(info.get("Content-Transfer-Encoding", "")).strip().lower()
                in_headers, header, body = False, bytearray(), bytearray()
                continue
            m = _BOUNDARY_LINE.match(line) if line.startswith(b"--") and boundaries else None
            if m and m.group(1) in boundaries:
                end_body()
                out.extend(line)
                if m.group(2):  # closing boundary: back in the parent's epilogue
                    while boundaries and boundaries.pop() != m.group(1):
                        pass
                    attachment = False
                else:
                    in_headers = True
                continue
            if spool is not None:
                spool.write(line)
                continue
            assert body is not None
            body.extend(line)
            if attachment and len(body) > SPOOL_MIN:
                spool = tempfile.NamedTemporaryFile(dir=self.directory, delete=False)  # noqa: SIM115 (closed by end_body)
                spool.write(body)
                body = bytearray()
        if in_headers:
            header.clear()
        end_body()
        return email.message_from_bytes(bytes(out), policy=_POLICY)

    def blob_of(self, part: Message, name: str, ctx: Ctx) -> Blob | None:
        """The spooled attachment behind ``part``, decoded to a file; None if not spooled."""
        raw = part.get_payload()
        if not isinstance(raw, str) or not raw.startswith(self.mark):
            return None
        entry = self.files.get(raw[len(self.mark) :].strip())
        if entry is None:
            return None
        path, encoding = entry
        decoded = path + ".decoded"
        limit = ctx.limits.max_document_size
        size = _decode_file(path, decoded, encoding, limit)
        os.unlink(path)
        if size > limit:
            raise too_large(size, limit)
        with open(decoded, "rb") as fh:
            head = fh.read(8192)
        return Blob(name=name, head=head, size=size, opener=lambda: open(decoded, "rb"))


_PAD_END = re.compile(rb"(?<==)(?=[^=])")


def _decode_file(src: str, dst: str, encoding: str, limit: int) -> int:
    """Decode a spooled body (base64, quoted-printable or as is) in blocks; bytes written.

    Stops once past ``limit`` (the caller then refuses the attachment as too large).
    """
    size = 0
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        rest = b""
        blocks = iter(lambda: fin.read(1024 * 1024), b"") if encoding == "base64" else fin
        for block in blocks:
            if encoding == "base64":
                # pieces that end with padding decode alone (senders that pad each line)
                *done, last = _PAD_END.split(rest + block.translate(None, b" \t\r\n"))
                cut = len(last) - len(last) % 4
                rest = last[cut:]
                try:
                    out = b"".join(base64.b64decode(p) for p in [*done, last[:cut]])
                except binascii.Error:
                    raise source_error(
                        CorruptDocument, Reason.CORRUPT, _("attachment is not valid base64")
                    ) from None
            elif encoding == "quoted-printable":
                out = binascii.a2b_qp(block)
            else:
                out = block
            fout.write(out)
            size += len(out)
            if size > limit:
                break
    return size


def iter_mbox(blob: Blob, ctx: Ctx, dispatch: Dispatch) -> Iterator[Chunk]:
    """Messages of an mbox, streamed: a 10 GB mailbox is read one message at a time."""
    stream = blob.open()
    limit = ctx.limits.max_document_size
    number = 0
    buf = bytearray()
    skipping = False
    prev_blank = True

    def flush() -> Iterator[Chunk]:
        if not buf.strip():
            return
        sub = ctx.nested(extra={"message": number}, deeper=False)
        try:
            msg = email.message_from_bytes(bytes(buf), policy=_POLICY)
            yield from iter_message(msg, sub, dispatch)
        except SourceError as err:
            if err.reason == Reason.ARCHIVE_TOTAL:
                raise
            ctx.report(ctx.source, with_context(err, _("message {n}", n=number)))

    while True:
        line = stream.readline(1024 * 1024)
        if not line:
            break
        if line.startswith(b"From ") and (prev_blank or _MBOX_FROM.match(line)):
            yield from flush()
            number += 1
            buf = bytearray()
            skipping = False
            prev_blank = False
            continue
        prev_blank = not line.strip()
        if skipping:
            continue
        if line.startswith(b">") and line.lstrip(b">").startswith(b"From "):
            line = line[1:]  # mboxrd quoting
        buf += line
        if len(buf) > limit:
            skipping = True
            buf = bytearray()
            ctx.report(
                ctx.source, with_context(too_large(limit + 1, limit), _("message {n}", n=number))
            )
    yield from flush()


def iter_msg(blob: Blob, ctx: Ctx, dispatch: Dispatch) -> Iterator[Chunk]:
    import extract_msg

    logging.getLogger("extract_msg").setLevel(logging.ERROR)  # see pdf.py: no log floods
    from extract_msg import exceptions as msg_errors

    source: Any = blob.path or blob.read_all(ctx.limits.max_document_size)
    try:
        msg = extract_msg.openMsg(source, delayAttachments=False)
    except msg_errors.UnsupportedMSGTypeError as exc:
        raise source_error(
            UnsupportedFormat,
            Reason.UNKNOWN_FORMAT,
            _("unsupported Outlook item: {error}", error=safe_detail(exc)),
        ) from exc
    except Exception as exc:
        raise source_error(
            CorruptDocument,
            Reason.CORRUPT,
            _("damaged Outlook message: {error}", error=safe_detail(exc)),
        ) from exc
    try:
        yield from _msg_object(msg, ctx, dispatch)
    finally:
        msg.close()


def _msg_object(msg: Any, ctx: Ctx, dispatch: Dispatch) -> Iterator[Chunk]:
    head = Batcher(ctx, {"part": "headers"})
    for label, attr in (
        ("From", "sender"),
        ("To", "to"),
        ("Cc", "cc"),
        ("Subject", "subject"),
        ("Date", "date"),
    ):
        value = getattr(msg, attr, None)
        if value:
            yield from head.add(f"{label}: {value}")
    yield from head.flush()
    text = getattr(msg, "body", None) or ""
    if not text.strip():
        html = getattr(msg, "htmlBody", None)
        if isinstance(html, bytes):
            text = html_to_text(html.decode(detect_encoding(html[:65536]), "replace"))
    body = Batcher(ctx, {"part": "body"})
    for n, line in enumerate(str(text).splitlines(), start=1):
        yield from body.add(line, {"line": n})
    yield from body.flush()
    for n, att in enumerate(getattr(msg, "attachments", []) or [], start=1):
        name = (
            getattr(att, "longFilename", None)
            or getattr(att, "shortFilename", None)
            or getattr(att, "name", None)
            or f"attachment-{n}"
        )
        data = getattr(att, "data", None)
        if isinstance(data, bytes) or data is None:
            yield from _attachment(ctx, str(name), data, dispatch)
        elif hasattr(data, "attachments"):  # an embedded message
            sub = ctx.nested(part=f"attachment:{name}")
            if sub.depth > ctx.limits.max_depth:
                ctx.report(ctx.source, depth_error(ctx.limits.max_depth))
                continue
            yield from _msg_object(data, sub, dispatch)
