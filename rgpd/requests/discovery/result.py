"""What a discovery found: matches (rows, files), their review status, the stored result."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class MatchStatus(StrEnum):
    CONFIRMED = "confirmed"
    TO_CONFIRM = "to_confirm"
    REJECTED = "rejected"


@dataclass
class RowMatch:
    """A row of a database holding the person's data (``key``: its primary key)."""

    id: str
    connection: str
    schema: str | None
    table: str
    key: dict[str, Any]
    activities: list[str]
    status: str
    confidence: float
    reasons: list[str]
    declared: bool = True  # the register lists this table for one of the activities
    parent: str | None = None  # id of the row it was reached through

    @property
    def location(self) -> str:
        return f"{self.connection}:{self.schema + '.' if self.schema else ''}{self.table}"


@dataclass
class FileMatch:
    """A file (or archive member ``path!member``) holding the person's data."""

    id: str
    uri: str
    kind: str
    activities: list[str]
    status: str
    confidence: float
    reasons: list[str]
    entities: list[str]
    occurrences: int = 0
    root: str | None = None  # the scanned folder it was found under (relative locations)

    @property
    def location(self) -> str:
        return self.uri


@dataclass(frozen=True, slots=True)
class Group:
    """One line of the discovery report: an activity and a location."""

    activity: str | None
    kind: str  # database | files
    location: str
    matches: int
    confirmed: int
    to_confirm: int
    rejected: int
    confidence: float
    reasons: tuple[str, ...]
    ids: tuple[str, ...]


@dataclass
class DiscoveryResult:
    reference: str
    created_at: datetime
    activities: list[str]
    rows: list[RowMatch] = field(default_factory=list)
    files: list[FileMatch] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # table/column names, never values
    errors: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # connection -> safe URI
    rescanned: int = 0
    id: int | None = None

    # -- views --------------------------------------------------------------------
    def matches(self) -> Iterator[RowMatch | FileMatch]:
        yield from self.rows
        yield from self.files

    def by_id(self) -> dict[str, RowMatch | FileMatch]:
        return {m.id: m for m in self.matches()}

    def confirmed_rows(self) -> list[RowMatch]:
        return [r for r in self.rows if r.status == MatchStatus.CONFIRMED]

    def confirmed_files(self) -> list[FileMatch]:
        return [f for f in self.files if f.status == MatchStatus.CONFIRMED]

    def groups(self) -> list[Group]:
        """Matches grouped by activity and location (a table or a file), for display."""
        buckets: dict[tuple[str | None, str, str], list[RowMatch | FileMatch]] = defaultdict(list)
        for m in self.matches():
            kind = "database" if isinstance(m, RowMatch) else "files"
            acts: list[str | None] = list(m.activities) or [None]
            for act in acts:
                buckets[(act, kind, m.location)].append(m)
        out = []
        for (act, kind, loc), ms in sorted(
            buckets.items(), key=lambda kv: (kv[0][0] or "~", kv[0][1], kv[0][2])
        ):
            reasons: list[str] = []
            for m in ms:
                for r in m.reasons:
                    if r not in reasons:
                        reasons.append(r)
            out.append(
                Group(
                    act,
                    kind,
                    loc,
                    len(ms),
                    sum(m.status == MatchStatus.CONFIRMED for m in ms),
                    sum(m.status == MatchStatus.TO_CONFIRM for m in ms),
                    sum(m.status == MatchStatus.REJECTED for m in ms),
                    max(m.confidence for m in ms),
                    tuple(reasons[:6]),
                    tuple(m.id for m in ms),
                )
            )
        return out

    def summary(self) -> dict[str, Any]:
        """Counts only: what may be stored and shown without revealing the person."""
        per: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for g in self.groups():
            d = per[g.activity or "-"]
            d[f"{g.kind}_{'rows' if g.kind == 'database' else 'files'}"] += g.matches
            d["to_confirm"] += g.to_confirm
        return {
            "rows": len(self.rows),
            "files": len(self.files),
            "confirmed": sum(m.status == MatchStatus.CONFIRMED for m in self.matches()),
            "to_confirm": sum(m.status == MatchStatus.TO_CONFIRM for m in self.matches()),
            "rejected": sum(m.status == MatchStatus.REJECTED for m in self.matches()),
            "tables": len({r.location for r in self.rows}),
            "errors": len(self.errors),
            "rescanned": self.rescanned,
            "activities": {k: dict(v) for k, v in per.items()},
        }

    # -- (de)serialisation ----------------------------------------------------------
    def to_json(self) -> str:
        return json.dumps(
            {
                "reference": self.reference,
                "created_at": self.created_at.isoformat(),
                "activities": self.activities,
                "rows": [asdict(r) for r in self.rows],
                "files": [asdict(f) for f in self.files],
                "notes": self.notes,
                "errors": self.errors,
                "sources": self.sources,
                "rescanned": self.rescanned,
            },
            ensure_ascii=False,
            default=str,
        )

    @classmethod
    def from_json(cls, text: str, id: int | None = None) -> DiscoveryResult:
        d = json.loads(text)
        return cls(
            reference=d["reference"],
            created_at=datetime.fromisoformat(d["created_at"]),
            activities=list(d["activities"]),
            rows=[RowMatch(**r) for r in d["rows"]],
            files=[FileMatch(**f) for f in d["files"]],
            notes=list(d["notes"]),
            errors=list(d["errors"]),
            sources=dict(d["sources"]),
            rescanned=int(d.get("rescanned", 0)),
            id=id,
        )
