"""One-time links: e-mail verification, identity upload, access-package download.

A link carries a random secret signed (itsdangerous) with a key derived from the
install's keys, so a forged or altered link is refused before the database is
touched; the database keeps only the secret's SHA-256 and when it was used.

A link works once on every database (issue 13 item 4, issue 15). Consuming it is
one conditional ``UPDATE request_tokens SET used_at = … WHERE id = … AND used_at
IS NULL`` whose row count decides: of two concurrent requests on one link, the
database lets exactly one update the row — PostgreSQL and MariaDB re-check the
condition after waiting for the first writer's row lock, SQLite runs writers one
at a time (``BEGIN IMMEDIATE``). A ``SELECT … FOR UPDATE`` would not be enough:
SQLite ignores it. The consuming transaction also holds the request's side
effects (acknowledgement, upload, audit entry), so they happen once or not at all.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from rgpd.crypto import random_token, sha256_hex
from rgpd.errors import Conflict
from rgpd.i18n import _
from rgpd.storage.request_tables import RequestRow, RequestTokenRow
from rgpd.workspace import Workspace

#: What a token opens; the link's signing salt and the stored ``purpose``.
VERIFY_EMAIL = "verify_email"
UPLOAD = "upload"
DOWNLOAD = "download"
PURPOSES = (VERIFY_EMAIL, UPLOAD, DOWNLOAD)


class LinkRefused(Conflict):
    """A one-time link that is unknown, expired or already used."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason  # unknown | expired | used
        super().__init__(message)


def _naive(d: datetime) -> datetime:
    if d.tzinfo is not None:
        d = d.astimezone(UTC).replace(tzinfo=None)
    return d.replace(microsecond=0)


# --------------------------------------------------------------------------- signed links


def server_secret(ws: Workspace) -> bytes:
    """A signing secret derived from the install's index key (never stored, same in every worker)."""
    return ws.keys.derive("server-secret.v1")


def _serializer(ws: Workspace, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(server_secret(ws), salt=f"rgpd.{purpose}")


def sign_link(ws: Workspace, purpose: str, org: str, secret: str) -> str:
    """The token to put in a link's path (signed: organisation and secret)."""
    return _serializer(ws, purpose).dumps({"o": org, "t": secret})


def read_link(ws: Workspace, purpose: str, org: str, token: str, max_age: timedelta) -> str:
    """The one-time secret inside a signed link, or :class:`LinkRefused`."""
    try:
        data = _serializer(ws, purpose).loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired:
        raise LinkRefused("expired", _("This link has expired.")) from None
    except BadSignature:
        raise LinkRefused("unknown", _("This link is not valid.")) from None
    if not isinstance(data, dict) or data.get("o") != org or not isinstance(data.get("t"), str):
        raise LinkRefused("unknown", _("This link is not valid."))
    return str(data["t"])


# --------------------------------------------------------------------------- storage


def issue(
    s: Session,
    request_id: int,
    purpose: str,
    *,
    now: datetime,
    ttl: timedelta,
    replace_unused: bool = False,
) -> str:
    """Store a new one-time secret for ``request_id`` (its hash only); returns the secret.

    ``replace_unused`` withdraws the request's earlier unused links of the same
    purpose (a new identity-upload link replaces the previous one).
    """
    if purpose not in PURPOSES:
        raise ValueError(f"unknown one-time token purpose: {purpose}")
    if replace_unused:
        s.execute(
            delete(RequestTokenRow).where(
                RequestTokenRow.request_id == request_id,
                RequestTokenRow.purpose == purpose,
                RequestTokenRow.used_at.is_(None),
            )
        )
    secret = random_token(32)
    s.add(
        RequestTokenRow(
            request_id=request_id,
            purpose=purpose,
            token_hash=sha256_hex(secret),
            created_at=_naive(now),
            expires_at=_naive(now + ttl),
        )
    )
    return secret


def consume(s: Session, org_id: int, purpose: str, secret: str, now: datetime) -> RequestRow:
    """Mark the link used, once: the request it opens, or :class:`LinkRefused`.

    Runs inside the caller's transaction; if the caller fails afterwards, the
    rollback gives the link back (the citizen can try again).
    """
    found = s.execute(
        select(RequestTokenRow.id, RequestTokenRow.used_at, RequestTokenRow.expires_at, RequestRow)
        .join(RequestRow, RequestRow.id == RequestTokenRow.request_id)
        .where(
            RequestTokenRow.token_hash == sha256_hex(secret),
            RequestTokenRow.purpose == purpose,
            RequestRow.org_id == org_id,
        )
    ).first()
    if found is None:
        raise LinkRefused("unknown", _("This link is not valid or has expired."))
    token_id, used_at, expires_at, row = found
    if used_at is not None:
        raise LinkRefused("used", _("This link has already been used."))
    if expires_at < _naive(now):
        raise LinkRefused("expired", _("This link has expired."))
    taken = s.execute(
        update(RequestTokenRow)
        .where(RequestTokenRow.id == token_id, RequestTokenRow.used_at.is_(None))
        .values(used_at=_naive(now))
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        # another request consumed it between our read and our write
        raise LinkRefused("used", _("This link has already been used."))
    return row  # type: ignore[no-any-return]
