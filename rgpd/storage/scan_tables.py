"""Tables of discovery: runs, sources (files, archive members, DB columns), findings.

Findings hold only masked evidence and HMAC blind-index tokens (``finding_values``);
raw values are never stored, except AES-GCM sealed evidence with --keep-evidence.
Sources are keyed by (org, sha256(uri)) because a path can be longer than
MariaDB can index.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    case,
    func,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from rgpd.storage.db import utcnow
from rgpd.storage.sealed import register_sealed
from rgpd.storage.tables import Base


class ScanRunRow(Base):
    __tablename__ = "scan_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # files | database | profile
    profile: Mapped[str | None] = mapped_column(String(63), nullable=True)
    status: Mapped[str] = mapped_column(String(20))  # running | completed | failed | interrupted
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    actor: Mapped[str] = mapped_column(String(255))


class ScanSourceRow(Base):
    """A thing that was scanned: a file, an archive member, a table, a column."""

    __tablename__ = "scan_sources"
    __table_args__ = (UniqueConstraint("org_id", "uri_hash", name="uq_scan_sources_org_uri"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # file | member | table | column
    uri: Mapped[str] = mapped_column(Text)  # absolute path, path!member, dialect://host/db#s.t.c
    uri_hash: Mapped[str] = mapped_column(String(64))
    root: Mapped[str | None] = mapped_column(Text, nullable=True)  # scanned root / connection name
    size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    mtime: Mapped[float | None] = mapped_column(Float, nullable=True)
    content_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)  # DB structure+size
    status: Mapped[str] = mapped_column(String(20), default="present")  # present | gone | error
    # the last run that wrote this row; the last run that *saw* the source is seen_run()
    last_run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_scanned_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    modified_at: Mapped[datetime | None] = mapped_column(
        DateTime, nullable=True
    )  # file mtime (UTC)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ScanSourceSeenRow(Base):
    """The last run that met a source unchanged (it compared the file and did not read it).

    Kept apart from ``scan_sources`` because a rescan stamps every unchanged source: on
    this two-column table, stamping 10,000 sources writes about 40 pages instead of
    rewriting 1,100 pages of wide ``scan_sources`` rows (SQLite, 15 -> 5 ms; on
    PostgreSQL 10,000 new versions of narrow rows instead of wide ones). Issue 11.
    Read through :func:`seen_run`, never on its own.
    """

    __tablename__ = "scan_source_seen"
    source_id: Mapped[int] = mapped_column(
        ForeignKey("scan_sources.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    run_id: Mapped[int] = mapped_column(Integer)


def seen_run(source: Any = None) -> ColumnElement[int | None]:
    """The last run that saw a source: the run that last wrote its row
    (``scan_sources.last_run_id``: read, changed, found gone or failed) or, when later,
    the run that last met it unchanged (``scan_source_seen``). Run ids grow with time,
    so the later run is the larger id. ``source`` is the ``scan_sources`` table or an
    alias of it (default: the ORM class), so that every reader asks the same question
    the same way: coverage, ``findings show``, a profile's new findings.
    """
    src = source if source is not None else ScanSourceRow.__table__
    met = (
        select(ScanSourceSeenRow.run_id)
        .where(ScanSourceSeenRow.source_id == src.c.id)
        .scalar_subquery()
    )
    return case((met > func.coalesce(src.c.last_run_id, 0), met), else_=src.c.last_run_id)


class FindingRow(Base):
    """Current state per (source, entity type); replaced when the source is rescanned."""

    __tablename__ = "findings"
    __table_args__ = (
        UniqueConstraint("source_id", "entity_type", name="uq_findings_source_entity"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(
        ForeignKey("scan_sources.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    entity_type: Mapped[str] = mapped_column(String(40), index=True)
    count: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    special_category: Mapped[bool] = mapped_column(Boolean, default=False)
    ratio: Mapped[float | None] = mapped_column(
        Float, nullable=True
    )  # DB columns: share of samples
    evidence: Mapped[list[Any]] = mapped_column(JSON)  # masked samples only
    locations: Mapped[list[Any]] = mapped_column(JSON)
    sealed_evidence: Mapped[str | None] = mapped_column(Text, nullable=True)  # v1$kid$... (AES-GCM)
    first_run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_run_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class FindingValueRow(Base):
    """HMAC blind index of each value found, so a citizen's request finds it without a rescan."""

    __tablename__ = "finding_values"
    __table_args__ = (
        UniqueConstraint("source_id", "entity_type", "token", name="uq_finding_values"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(
        ForeignKey("scan_sources.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    entity_type: Mapped[str] = mapped_column(String(40))
    token: Mapped[str] = mapped_column(String(64), index=True)
    count: Mapped[int] = mapped_column(Integer, default=1)


class ScanErrorRow(Base):
    __tablename__ = "scan_errors"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("scan_runs.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(
        String(40)
    )  # corrupt | limit | unsupported | unreachable...
    message: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ReconcileResultRow(Base):
    """Findings held against the register (``rgpd reconcile``)."""

    __tablename__ = "reconcile_results"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    batch: Mapped[str] = mapped_column(String(36), index=True)  # one reconcile run
    rule: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(10))
    activity_ref: Mapped[str | None] = mapped_column(String(63), nullable=True)
    location: Mapped[str] = mapped_column(Text)
    entity_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    article: Mapped[str] = mapped_column(String(120))
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ScanLockRow(Base):
    """Profile lock: one running ``rgpd scan run PROFILE`` at a time; stale ones recovered."""

    __tablename__ = "scan_locks"
    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    holder: Mapped[str] = mapped_column(String(255))  # host:pid
    acquired_at: Mapped[datetime] = mapped_column(DateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime)


def finding_evidence_context(source_id: int, entity_type: str) -> str:
    """AES-GCM associated data of ``findings.sealed_evidence``: binds it to its own row."""
    return f"findings.sealed_evidence:{source_id}:{entity_type}"


register_sealed(
    "findings",
    "id",
    "sealed_evidence",
    lambda row: finding_evidence_context(row["source_id"], row["entity_type"]),
)
