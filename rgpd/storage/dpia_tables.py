"""Tables of the DPIAs (Art. 35): the current assessment and every version of it.

Like activities (:mod:`rgpd.storage.tables`), a DPIA keeps its validated model as
JSON (``data``) plus the few queried columns, and every change writes a row of
``dpia_versions`` and an audit entry, so who changed which answer, opinion or
decision, and when, is known (Art. 5(2), accountability).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rgpd.storage.db import utcnow
from rgpd.storage.tables import Base


class DpiaRow(Base):
    __tablename__ = "dpias"
    __table_args__ = (UniqueConstraint("org_id", "ref", name="uq_dpias_org_ref"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    ref: Mapped[str] = mapped_column(String(63))
    activity_ref: Mapped[str | None] = mapped_column(String(63), nullable=True, index=True)
    name: Mapped[str] = mapped_column(String(255))
    status: Mapped[int] = mapped_column(Integer, default=0)  # PiaStatus
    assessed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class DpiaVersionRow(Base):
    __tablename__ = "dpia_versions"
    __table_args__ = (UniqueConstraint("dpia_id", "version", name="uq_dpia_versions"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dpia_id: Mapped[int] = mapped_column(ForeignKey("dpias.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    change: Mapped[str] = mapped_column(String(20))  # created | updated | imported | deleted
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
