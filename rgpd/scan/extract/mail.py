"""Mail: .eml, mbox and Outlook .msg, attachments extracted recursively.

Mail is where personal data leaks most in a town hall: requests from
citizens, CVs, ID scans. Headers, the body (plain text preferred over its HTML
twin) and each attachment are read; an attachment that fails is reported and
the next one is read.
"""

from __future__ import annotations

import email
import logging
import re
from collections.abc import Callable, Iterator
from email import policy
from email.message import EmailMessage, Message
from typing import Any

from rgpd.errors import CorruptDocument, LimitExceeded, SourceError, UnsupportedFormat, safe_detail
from rgpd.i18n import _
from rgpd.scan.extract.base import Batcher, Blob, Ctx, too_large, with_context
from rgpd.scan.extract.model import Chunk, Reason, source_error
from rgpd.scan.extract.text import _TextCollector, detect_encoding

Dispatch = Callable[[Blob, Ctx], Iterator[Chunk]]

_HEADERS = ("From", "To", "Cc", "Bcc", "Reply-To", "Subject", "Date")
_MBOX_FROM = re.compile(rb"^From \S+ +\S+ +\S+ +\d{1,2} +\d{1,2}:\d{2}")


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


def _attachment(ctx: Ctx, name: str, data: bytes | None, dispatch: Dispatch) -> Iterator[Chunk]:
    sub = ctx.nested(part=f"attachment:{name}", prefix=f"{ctx.member_prefix}!{name}")
    try:
        if data is None:
            return
        if len(data) > ctx.limits.max_document_size:
            raise too_large(len(data), ctx.limits.max_document_size)
        yield from dispatch(Blob.from_bytes(data, name), sub)
    except SourceError as err:
        if err.reason == Reason.ARCHIVE_TOTAL:
            raise
        ctx.report(ctx.source, with_context(err, _("attachment {name}", name=name)))


def iter_message(msg: Message, ctx: Ctx, dispatch: Dispatch) -> Iterator[Chunk]:
    """Headers, body, then attachments of one parsed message."""
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
                yield from iter_message(inner, sub, dispatch)
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
    data = blob.read_all(ctx.limits.max_document_size)
    msg = email.message_from_bytes(data, policy=policy.default)
    yield from iter_message(msg, ctx, dispatch)


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
            msg = email.message_from_bytes(bytes(buf), policy=policy.default)
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
