"""Tables of request fulfilment: where a person's data were found, and what was done with them.

``request_discoveries`` keeps every discovery run of a request: a summary with
counts only (no personal data, readable by reports) and the detail sealed with
AES-GCM, since it holds row keys, file paths and match reasons that identify the
person. ``request_fulfilments`` follows one answer (an access package, an
erasure, a rectification, a restriction) through its states — built, reviewed,
released; planned, executed — with the sealed plan it executed, so that a re-run
after a failure replays the same plan and never widens it.

One-time download links reuse ``request_tokens`` (purpose ``download``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from rgpd.storage.db import utcnow
from rgpd.storage.sealed import register_sealed
from rgpd.storage.tables import Base

#: A discovery of a big family can exceed MariaDB's 64 KiB TEXT once sealed.
LongText = Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


def discovery_context(request_id: int) -> str:
    return f"request.discovery:{request_id}"


def fulfilment_context(request_id: int) -> str:
    return f"request.fulfilment:{request_id}"


class RequestDiscoveryRow(Base):
    __tablename__ = "request_discoveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    actor: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)  # counts only
    payload: Mapped[str] = mapped_column(LongText)  # sealed JSON, discovery_context(request_id)


class RequestFulfilmentRow(Base):
    __tablename__ = "request_fulfilments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    discovery_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    kind: Mapped[str] = mapped_column(String(20))  # access | erasure | rectification | restriction
    state: Mapped[str] = mapped_column(
        String(20)
    )  # built|reviewed|released|planned|partial|executed
    actor: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    reviewed_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    released_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)  # counts, sources done: no personal data
    payload: Mapped[str | None] = mapped_column(
        LongText, nullable=True
    )  # sealed plan / corrections
    location: Mapped[str | None] = mapped_column(Text, nullable=True)  # package directory or zip
    digest: Mapped[str | None] = mapped_column(String(64), nullable=True)  # sha256 of the zip


register_sealed(
    "request_discoveries", "id", "payload", lambda r: discovery_context(r["request_id"])
)
register_sealed(
    "request_fulfilments", "id", "payload", lambda r: fulfilment_context(r["request_id"])
)
