"""Is the process behind a lock or a ``running`` scan run still alive?

Shared by the profile lock (:mod:`rgpd.scan.profiles`) and the database scanner's
dead-run recovery (:mod:`rgpd.scan.database`). It sits below both so that neither
imports the other (issue 16: no import circles).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from rgpd.scan import runs
from rgpd.storage.scan_tables import ScanRunRow
from rgpd.workspace import Workspace

#: A lock whose heartbeat is older than this is taken over, whoever holds it.
LOCK_STALE_AFTER = timedelta(minutes=10)
#: A ``running`` scan run silent for this long is considered dead.
RUN_STALE_AFTER = timedelta(minutes=30)


def holder_id() -> str:
    return f"{socket.gethostname()[:200]}:{os.getpid()}"


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def lock_is_stale(
    holder: str,
    heartbeat_at: datetime,
    *,
    now: datetime,
    stale_after: timedelta = LOCK_STALE_AFTER,
    this_host: str | None = None,
    alive: Callable[[int], bool] = pid_alive,
) -> bool:
    """Dead holder on this host, or silent for too long on any host."""
    if now - heartbeat_at > stale_after:
        return True
    host, _sep, pid = holder.rpartition(":")
    here = this_host if this_host is not None else socket.gethostname()[:200]
    return host == here and pid.isdigit() and not alive(int(pid))


def run_is_dead(run: ScanRunRow, beat: datetime, now: datetime) -> bool:
    """A ``running`` run is dead when its process on this host is gone (kill -9, reboot),
    when it is this very process's own earlier run that never finished, or when its
    heartbeat is older than ``RUN_STALE_AFTER`` whatever the host."""
    st = run.settings or {}
    same_host = st.get("host") == runs.host_name()
    pid = int(st.get("pid", 0) or 0)
    if same_host and pid == os.getpid():
        return True
    return (same_host and not pid_alive(pid)) or now - beat > RUN_STALE_AFTER


def recover_stale_runs(
    s: Session,
    ws: Workspace,
    org: str,
    oid: int,
    kind: str,
    *,
    details: Callable[[ScanRunRow], dict] | None = None,
) -> list[int]:
    """Mark ``running`` runs whose process died as ``interrupted`` (one rule for every kind)."""
    return runs.recover_interrupted(
        s,
        ws,
        org,
        oid,
        kind,
        is_dead=lambda run, beat, now: run_is_dead(run, beat, now),
        details=details or (lambda run: {"kind": kind}),
    )
