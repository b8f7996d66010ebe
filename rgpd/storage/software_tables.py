"""Tables of the software and supports register and of the maturity questionnaire (issue 14).

Software keeps its validated model as JSON (``data``) plus the columns that are
queried, like the processors. A maturity answer set is kept whole, one row per
(organisation, year, version): answering the same year again adds a version, so
what was declared to the council stays on record (Art. 5(2) accountability).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rgpd.storage.db import utcnow
from rgpd.storage.tables import Base


class SoftwareRow(Base):
    __tablename__ = "software"
    __table_args__ = (UniqueConstraint("org_id", "ref", name="uq_software_org_ref"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    ref: Mapped[str] = mapped_column(String(63))
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(20))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class MaturitySurveyRow(Base):
    __tablename__ = "maturity_surveys"
    __table_args__ = (
        UniqueConstraint("org_id", "year", "version", name="uq_maturity_org_year_version"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    answered_on: Mapped[date] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(255))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
