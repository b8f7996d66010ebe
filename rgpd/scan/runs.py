"""Lifecycle of a ``scan_run`` row, shared by file, database and profile scans.

Every kind of scan records the same four moments — start, heartbeat, finish and,
for runs whose process died, interruption — with the same audit entries. Keeping
them here means the audit trail (Art. 30 record keeping, Art. 5(2)
accountability) reads the same whichever scan wrote it. What differs between
kinds (settings, counts, what makes a run look dead) is passed in by the caller.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from rgpd import audit
from rgpd.storage.db import utcnow
from rgpd.storage.scan_tables import ScanRunRow
from rgpd.workspace import Workspace

#: Decides whether a ``running`` run is dead: ``(run, last beat, now)``.
DeadCheck = Callable[[ScanRunRow, datetime, datetime], bool]


def host_name() -> str:
    """This machine's name as stored in a run's settings (fits the column)."""
    return socket.gethostname()[:100]


def owner() -> dict[str, Any]:
    """The ``host`` and ``pid`` settings that let a later run tell if this one died."""
    return {"host": host_name(), "pid": os.getpid()}


def start_run(
    s: Session,
    ws: Workspace,
    org: str,
    oid: int,
    kind: str,
    *,
    settings: dict[str, Any],
    counts: dict[str, Any],
    details: Mapping[str, Any],
    profile: str | None = None,
) -> ScanRunRow:
    """Insert a ``running`` row and audit its start; the caller's session commits both."""
    run = ScanRunRow(
        org_id=oid,
        kind=kind,
        profile=profile,
        status="running",
        settings=settings,
        counts=counts,
        actor=audit.current_actor(ws.actor),
        heartbeat_at=utcnow(),
    )
    s.add(run)
    s.flush()
    audit.append(
        s,
        action="start",
        entity="scan_run",
        entity_ref=str(run.id),
        actor=ws.actor,
        org=org,
        details={"kind": kind, **details},
    )
    return run


def heartbeat(s: Session, run_id: int, counts: Mapping[str, Any]) -> None:
    """Show the run is alive and save its progress, so a crash loses little."""
    s.execute(
        update(ScanRunRow)
        .where(ScanRunRow.id == run_id)
        .values(heartbeat_at=utcnow(), counts=dict(counts))
    )


def finish_run(
    s: Session,
    ws: Workspace,
    org: str,
    run_id: int,
    status: str,
    counts: Mapping[str, Any],
    *,
    finished_at: datetime | None = None,
    settings: dict[str, Any] | None = None,
) -> ScanRunRow | None:
    """Close the run and audit its outcome; the audit entry is written even if the row is gone."""
    row = s.get(ScanRunRow, run_id)
    if row is not None:
        row.status = status
        row.finished_at = finished_at or utcnow()
        row.heartbeat_at = row.finished_at
        row.counts = dict(counts)
        if settings is not None:
            row.settings = settings
    audit.append(
        s,
        action="finish",
        entity="scan_run",
        entity_ref=str(run_id),
        actor=ws.actor,
        org=org,
        details={"status": status, "counts": counts},
    )
    return row


def recover_interrupted(
    s: Session,
    ws: Workspace,
    org: str,
    oid: int,
    kind: str,
    *,
    is_dead: DeadCheck,
    details: Callable[[ScanRunRow], dict[str, Any]],
) -> list[int]:
    """Mark ``running`` runs of ``kind`` whose process died as ``interrupted``.

    A killed scan (kill -9, reboot, OOM killer) never finishes its row; without this
    it would stay ``running`` for ever. The run ends at its last heartbeat, the last
    moment it is known to have worked. Returns the ids marked (by this call: a run
    another process recovered at the same moment is left to it).
    """
    now = utcnow()
    out: list[int] = []
    rows = s.execute(
        select(ScanRunRow).where(
            ScanRunRow.org_id == oid, ScanRunRow.kind == kind, ScanRunRow.status == "running"
        )
    ).scalars()
    for run in list(rows):
        beat = run.heartbeat_at or run.started_at
        if not is_dead(run, beat, now):
            continue
        # Two processes may recover the same dead run at once (two scans started
        # together): one conditional UPDATE decides, so it is audited once.
        taken = s.execute(
            update(ScanRunRow)
            .where(ScanRunRow.id == run.id, ScanRunRow.status == "running")
            .values(status="interrupted", finished_at=beat)
            .execution_options(synchronize_session=False)
        )
        if int(getattr(taken, "rowcount", 0)) != 1:
            continue
        run.status = "interrupted"
        run.finished_at = beat
        out.append(run.id)
        audit.append(
            s,
            action="interrupted",
            entity="scan_run",
            entity_ref=str(run.id),
            actor=ws.actor,
            org=org,
            details=details(run),
        )
    return out
