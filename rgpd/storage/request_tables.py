"""Table mappings of citizens' requests: requests, their events, tokens, uploads, lookups.

Everything the citizen submitted (names, e-mail, identifiers, free text) is one
AES-GCM sealed JSON document (``requests.payload``), so a dump of the database
reveals nothing; equality lookups (``find by e-mail``) go through HMAC blind
index tokens in ``request_lookups``. The reference number is random and carries
no meaning beyond the year. Event reasons are sealed too: an agent's reason for a
refusal may well name the person. One-time tokens are stored as SHA-256 hashes
only, and an identity document is deleted once checked (CNIL: no copy kept),
leaving "verified by X on D by method M" in ``requests``.

Sealing contexts include the row's owner (reference or request id) so a sealed
value copied into another row does not open (see :mod:`rgpd.crypto`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from rgpd.storage.db import utcnow
from rgpd.storage.sealed import register_sealed
from rgpd.storage.tables import Base

#: Identity documents up to a few MiB: MariaDB's TEXT stops at 64 KiB.
LongText = Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


def payload_context(reference: str) -> str:
    return f"request.payload:{reference}"


def reason_context(request_id: int) -> str:
    return f"request.event.reason:{request_id}"


def upload_context(request_id: int, part: str) -> str:
    return f"request.upload.{part}:{request_id}"


class RequestRow(Base):
    __tablename__ = "requests"
    __table_args__ = (UniqueConstraint("reference", name="uq_requests_reference"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    reference: Mapped[str] = mapped_column(String(24))
    type: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(30), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    received_on: Mapped[date] = mapped_column(Date)
    lang: Mapped[str] = mapped_column(String(2), default="fr")
    requester_role: Mapped[str] = mapped_column(String(40))
    mandate_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    activities: Mapped[list[Any]] = mapped_column(JSON)  # activity refs (no personal data)
    assigned_to: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # Art. 12(3) clock, recomputed from the events at every change (rgpd.deadlines)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    original_due_on: Mapped[date] = mapped_column(Date)
    extension_notice_due: Mapped[date] = mapped_column(Date)
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # web intake: unconfirmed e-mail -> discarded after ``discard_after``
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    discard_after: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # what remains of an identity check (the document itself is deleted)
    identity_verified_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    identity_verified_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    identity_method: Mapped[str | None] = mapped_column(String(60), nullable=True)
    payload: Mapped[str] = mapped_column(Text)  # sealed JSON, context payload_context(reference)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class RequestEventRow(Base):
    """One transition of the workflow: who, when (recorded and legal date), why (sealed)."""

    __tablename__ = "request_events"
    __table_args__ = (UniqueConstraint("request_id", "seq", name="uq_request_events_seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(DateTime)  # naive UTC
    on_date: Mapped[date] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(255))
    from_state: Mapped[str | None] = mapped_column(String(30), nullable=True)
    to_state: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)  # sealed
    assignee: Mapped[str | None] = mapped_column(String(255), nullable=True)


class RequestLookupRow(Base):
    """HMAC blind-index tokens of the e-mail and identifiers, for lookups without decryption."""

    __tablename__ = "request_lookups"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(80))
    token: Mapped[str] = mapped_column(String(64), index=True)


class RequestTokenRow(Base):
    """One-time links (e-mail verification, identity upload); only the hash is kept."""

    __tablename__ = "request_tokens"
    __table_args__ = (UniqueConstraint("token_hash", name="uq_request_tokens_hash"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(20))  # verify_email | upload
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class RequestUploadRow(Base):
    """A sealed identity document, deleted as soon as an agent records the verification."""

    __tablename__ = "request_uploads"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(Text)  # sealed
    content: Mapped[str] = mapped_column(LongText)  # sealed
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


register_sealed("requests", "id", "payload", lambda r: payload_context(r["reference"]))
register_sealed("request_events", "id", "reason", lambda r: reason_context(r["request_id"]))
register_sealed(
    "request_uploads", "id", "filename", lambda r: upload_context(r["request_id"], "filename")
)
register_sealed(
    "request_uploads", "id", "content", lambda r: upload_context(r["request_id"], "content")
)
