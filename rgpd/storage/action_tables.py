"""Table of the action plan (:mod:`rgpd.actions`): one row per action, its history as JSON.

``origin_key`` is unique per organisation: one action per cause, so re-running
``rgpd actions from-report`` (even twice at once) updates instead of adding a
twin. The owner's name and e-mail are staff contacts, like the register's
controller and DPO contacts; they never go to the audit log (digests only).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rgpd.storage.db import utcnow
from rgpd.storage.tables import Base


class ActionRow(Base):
    __tablename__ = "actions"
    __table_args__ = (
        UniqueConstraint("org_id", "ref", name="uq_actions_org_ref"),
        UniqueConstraint("org_id", "origin_key", name="uq_actions_org_origin"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    ref: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(String(20))
    origin_key: Mapped[str] = mapped_column(String(191))  # utf8mb4 index limit on old MariaDB
    article: Mapped[str] = mapped_column(String(255), default="")
    risk: Mapped[int] = mapped_column(Integer)
    owner_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    owner_email: Mapped[str | None] = mapped_column(String(255), nullable=True)
    service: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    history: Mapped[list[Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
