"""Scan profiles run from cron or a systemd timer: lock, scan, reconcile, tell the DPO.

``rgpd scan run PROFILE`` must be safe to call every night without anyone
watching it:

* **One run at a time per profile.** A row of ``scan_locks`` names the holder
  (``host:pid``) and carries a heartbeat refreshed by a background thread. A
  second run finds the lock held and stops with :class:`~rgpd.errors.LockHeld`
  (exit 2). A lock whose process is dead (same host) or whose heartbeat is older
  than ``LOCK_STALE_AFTER`` (any host: a crashed machine) is taken over.
* **Idempotent.** The file and database scanners are incremental and replace
  findings per source, so running a profile twice gives the same store.
* **Failures stay local.** A missing folder, an unreachable database or a
  broken SMTP server is recorded and reported; the other sources are still
  scanned and the register still reconciled.
* **Exit code**: 3 when any source failed (errors win: an unreachable database
  must not hide behind "findings"), 1 when findings appeared in this run or
  contradictions with the register remain, 0 when clean.
* **Logs** are JSON lines with event names, counts and technical identifiers
  only: no value, no file name (file paths can hold people's names).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO, Any

from sqlalchemy import delete, select, update

from rgpd.config import Profile
from rgpd.errors import ConfigError, LockHeld, RgpdError, StorageError
from rgpd.i18n import _
from rgpd.scan import runs
from rgpd.scan.liveness import (
    LOCK_STALE_AFTER,
    holder_id,
    lock_is_stale,
    recover_stale_runs,
)
from rgpd.storage.db import utcnow
from rgpd.storage.scan_tables import FindingRow, ScanLockRow, ScanSourceRow, seen_run
from rgpd.workspace import Workspace

log = logging.getLogger("rgpd.scan.profiles")

#: Seconds between heartbeats of a held lock.
HEARTBEAT_EVERY = 30.0
#: New findings / errors listed in the summary (counts stay complete).
MAX_LISTED = 50


# --------------------------------------------------------------------- JSON logs

#: Fields of a log record's ``extra`` that may appear in the JSON line (an allow-list:
#: a field added carelessly elsewhere cannot leak a value into the logs).
LOG_FIELDS = (
    "event",
    "profile",
    "org",
    "run_id",
    "connection",
    "source",
    "source_hash",
    "reason",
    "status",
    "counts",
    "rows_estimate",
    "sampled",
    "method",
    "findings",
    "new_findings",
    "contradictions",
    "errors",
    "exit_code",
    "recipients",
    "holder",
)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and allow-listed fields."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="seconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for k in LOG_FIELDS:
            if k in record.__dict__:
                out[k] = record.__dict__[k]
        if record.exc_info and record.exc_info[0] is not None:
            out["exception"] = record.exc_info[0].__name__  # the type only: messages may quote data
        return json.dumps(out, ensure_ascii=False, default=str)


def configure_json_logging(
    stream: IO[str] | None = None, level: int = logging.INFO
) -> logging.Handler:
    """Send ``rgpd.*`` logs as JSON lines to ``stream`` (stderr by default)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("rgpd")
    for h in list(root.handlers):
        if isinstance(h.formatter, JsonFormatter):
            root.removeHandler(h)
    root.addHandler(handler)
    root.setLevel(level)
    return handler


# --------------------------------------------------------------------- the lock


def lock_name(profile: str) -> str:
    return f"profile:{profile}"[:63]


def acquire_lock(
    ws: Workspace,
    name: str,
    *,
    holder: str | None = None,
    stale_after: timedelta = LOCK_STALE_AFTER,
) -> str:
    """Take the lock ``name`` or raise ``LockHeld``; returns the holder id to release with."""
    me = holder or holder_id()
    for _attempt in range(2):
        try:
            with ws.db.session() as s:
                now = utcnow()
                row = s.get(ScanLockRow, name)
                if row is None:
                    s.add(ScanLockRow(name=name, holder=me, acquired_at=now, heartbeat_at=now))
                    return me
                if row.holder != me and not lock_is_stale(
                    row.holder, row.heartbeat_at, now=now, stale_after=stale_after
                ):
                    raise LockHeld(
                        _(
                            "scan profile lock {name} is held by {holder} since {since} (last "
                            "heartbeat {beat}); another run is in progress",
                            name=name,
                            holder=row.holder,
                            since=row.acquired_at.isoformat(),
                            beat=row.heartbeat_at.isoformat(),
                        )
                    )
                # Stale (or our own leftover): take it over, guarded by the old holder and
                # heartbeat so that two recoverers cannot both win.
                taken = _rowcount(
                    s.execute(
                        update(ScanLockRow)
                        .where(
                            ScanLockRow.name == name,
                            ScanLockRow.holder == row.holder,
                            ScanLockRow.heartbeat_at == row.heartbeat_at,
                        )
                        .values(holder=me, acquired_at=now, heartbeat_at=now)
                        .execution_options(synchronize_session=False)
                    )
                )
                if taken != 1:
                    raise LockHeld(
                        _("scan profile lock {name} was just taken by another run", name=name)
                    )
                log.warning(
                    "stale lock recovered", extra={"event": "lock_recovered", "holder": row.holder}
                )
                return me
        except StorageError:
            continue  # lost an insert race: read the winner's row and report it
    raise LockHeld(_("scan profile lock {name} is held by another run", name=name))


def _rowcount(result: Any) -> int:
    """Rows an UPDATE touched (``Session.execute`` is typed as a plain ``Result``)."""
    return int(result.rowcount)


def heartbeat_lock(ws: Workspace, name: str, holder: str) -> bool:
    with ws.db.session() as s:
        n = _rowcount(
            s.execute(
                update(ScanLockRow)
                .where(ScanLockRow.name == name, ScanLockRow.holder == holder)
                .values(heartbeat_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        )
    return n == 1


def release_lock(ws: Workspace, name: str, holder: str) -> None:
    with ws.db.session() as s:
        s.execute(delete(ScanLockRow).where(ScanLockRow.name == name, ScanLockRow.holder == holder))


@contextmanager
def held_lock(
    ws: Workspace,
    name: str,
    *,
    every: float = HEARTBEAT_EVERY,
    stale_after: timedelta = LOCK_STALE_AFTER,
) -> Iterator[str]:
    """The lock, heartbeating in a background thread while the body runs."""
    me = acquire_lock(ws, name, stale_after=stale_after)
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every):
            try:
                heartbeat_lock(ws, name, me)
            except RgpdError:
                log.warning("lock heartbeat failed", extra={"event": "lock_heartbeat_failed"})

    t = threading.Thread(target=beat, name=f"rgpd-lock-{name}", daemon=True)
    t.start()
    try:
        yield me
    finally:
        stop.set()
        t.join(timeout=5)
        release_lock(ws, name, me)


# --------------------------------------------------------------------- a profile run


@dataclass(frozen=True)
class SourceOutcome:
    kind: str  # files | database
    name: str  # the paths' label or the connection name
    run_id: int | None
    status: str
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class RunError:
    source: str
    reason: str
    message: str


@dataclass(frozen=True)
class NewFinding:
    source: str
    kind: str
    entity_type: str
    special_category: bool
    ratio: float | None


@dataclass
class ProfileRunResult:
    profile: str
    org: str
    run_id: int
    started_at: datetime
    finished_at: datetime | None = None
    status: str = "running"
    sources: list[SourceOutcome] = field(default_factory=list)
    errors: list[RunError] = field(default_factory=list)
    new_findings: list[NewFinding] = field(default_factory=list)
    findings_total: int = 0
    contradictions: list[Any] = field(default_factory=list)  # ReconcileItem
    new_contradictions: list[Any] = field(default_factory=list)
    resolved_contradictions: int = 0
    notified: list[str] = field(default_factory=list)
    notify_error: str | None = None

    @property
    def exit_code(self) -> int:
        """0 clean, 1 findings/contradictions, 3 a source or file failed, 5 only files
        unreadable by design (see :mod:`rgpd.scan.outcome`)."""
        from rgpd.scan.outcome import profile_exit_code

        return profile_exit_code(
            self.errors,
            notify_failed=bool(self.notify_error),
            findings=bool(self.new_findings or self.contradictions),
        )

    @property
    def failed_sources(self) -> list[SourceOutcome]:
        """Sources that could not be read at all: named in the summary and the e-mail."""
        return [s for s in self.sources if s.status != "completed"]


def get_profile(ws: Workspace, name: str) -> Profile:
    try:
        return ws.settings.profiles[name]
    except KeyError:
        known = ", ".join(sorted(ws.settings.profiles)) or "-"
        raise ConfigError(
            _(
                "unknown scan profile {name!r}; define [profiles.{name}] in rgpd.toml (known: {known})",
                name=name,
                known=known,
            )
        ) from None


def run_profile(
    ws: Workspace,
    name: str,
    *,
    notify: bool = True,
    executor: Any = None,
    stale_after: timedelta = LOCK_STALE_AFTER,
    heartbeat_every: float = HEARTBEAT_EVERY,
    send: Callable[..., None] | None = None,
) -> ProfileRunResult:
    """Run the profile's file and database scans, reconcile, and e-mail the summary.

    Raises ``ConfigError`` (unknown profile, no organisation) and ``LockHeld``;
    everything else that fails is in the result's ``errors``.
    """
    profile = get_profile(ws, name)
    org = profile.org or ws.settings.org
    if not org:
        raise ConfigError(
            _("profile {name} names no organisation: set 'org' in [profiles.{name}]", name=name)
        )
    oid = ws.org_id(org)
    owned = None
    if executor is None and profile.extra.get("executor") not in (None, "local"):
        from rgpd.scan.distributed import executor_for_profile

        # Before the lock and the run: an unreachable scheduler writes nothing (exit 2).
        executor = owned = executor_for_profile(profile.extra)
    try:
        with held_lock(ws, lock_name(name), every=heartbeat_every, stale_after=stale_after):
            result = _run_locked(ws, profile, org, oid, executor)
    finally:
        if owned is not None:
            owned.close()
    if notify and profile.notify:
        from rgpd.scan.notify import compose_summary, send_summary

        try:
            msg = compose_summary(result, ws.settings, lang=ws.settings.lang)
            (send or send_summary)(ws.settings.smtp, profile.notify, msg)
            result.notified = list(profile.notify)
            log.info(
                "summary sent",
                extra={"event": "summary_sent", "profile": name, "recipients": len(profile.notify)},
            )
        except RgpdError as exc:
            result.notify_error = str(exc)
            log.warning(
                "summary not sent",
                extra={"event": "summary_failed", "profile": name, "reason": type(exc).__name__},
            )
    log.info(
        "profile run finished",
        extra={
            "event": "profile_finish",
            "profile": name,
            "run_id": result.run_id,
            "status": result.status,
            "new_findings": len(result.new_findings),
            "contradictions": len(result.contradictions),
            "errors": len(result.errors),
            "exit_code": result.exit_code,
        },
    )
    return result


def _run_locked(
    ws: Workspace, profile: Profile, org: str, oid: int, executor: Any
) -> ProfileRunResult:
    from rgpd.scan.database import scan_database
    from rgpd.scan.reconcile import run_reconcile

    settings = {
        "paths": list(profile.paths),
        "exclude": list(profile.exclude),
        "connections": list(profile.connections),
        "depth": profile.depth,
        "workers": profile.workers,
        **runs.owner(),
    }
    with ws.db.session() as s:
        recover_stale_runs(s, ws, org, oid, "profile")
        run = runs.start_run(
            s,
            ws,
            org,
            oid,
            "profile",
            settings=settings,
            counts={},
            details={"profile": profile.name},
            profile=profile.name,
        )
        run_id = run.id
        started = run.started_at or utcnow()
    res = ProfileRunResult(profile=profile.name, org=org, run_id=run_id, started_at=started)
    log.info(
        "profile run started",
        extra={"event": "profile_start", "profile": profile.name, "org": org, "run_id": run_id},
    )
    child_runs: list[int] = []
    try:
        if profile.paths:
            _files(ws, profile, org, executor, res, child_runs)
        for conn in profile.connections:
            try:
                db = scan_database(
                    ws,
                    org,
                    conn,
                    depth=_depth(profile.depth),
                    sample_size=int(profile.extra.get("sample_size", 1000)),
                    profile=profile.name,
                )
            except RgpdError as exc:
                res.errors.append(RunError(conn, "config", str(exc)))
                res.sources.append(SourceOutcome("database", conn, None, "failed"))
                continue
            child_runs.append(db.run_id)
            res.sources.append(SourceOutcome("database", conn, db.run_id, db.status, db.counts))
            res.errors.extend(RunError(e.source, e.reason, e.message) for e in db.errors)
        res.new_findings, res.findings_total = _new_findings(ws, oid, child_runs)
        try:
            rec = run_reconcile(ws, org)
            res.contradictions = list(rec.items)
            res.new_contradictions = list(rec.new)
            res.resolved_contradictions = rec.resolved
        except RgpdError as exc:
            res.errors.append(RunError("reconcile", "error", str(exc)))
        # never "completed" when a source could not be read: the run is partial
        res.status = "partial" if res.failed_sources else "completed"
    except KeyboardInterrupt:
        res.status = "interrupted"
        raise
    except Exception:
        res.status = "failed"
        raise
    finally:
        res.finished_at = utcnow()
        counts = {
            "sources": len(res.sources),
            "errors": len(res.errors),
            "new_findings": len(res.new_findings),
            "findings": res.findings_total,
            "contradictions": len(res.contradictions),
            "new_contradictions": len(res.new_contradictions),
        }
        with ws.db.session() as s:
            runs.finish_run(
                s,
                ws,
                org,
                run_id,
                res.status,
                counts,
                finished_at=res.finished_at,
                settings={**settings, "child_runs": child_runs},
            )
    return res


def _depth(depth: str) -> str:
    return depth if depth in ("quick", "standard", "deep") else "standard"


def _files(
    ws: Workspace,
    profile: Profile,
    org: str,
    executor: Any,
    res: ProfileRunResult,
    child_runs: list[int],
) -> None:
    from rgpd.scan.files import scan_files

    paths: list[str] = []
    for p in profile.paths:
        full = str(ws.settings.path(p))
        if os.path.exists(full):
            paths.append(full)
        else:
            res.errors.append(RunError(full, "not_found", _("no such file or folder")))
    if not paths:
        res.sources.append(SourceOutcome("files", ", ".join(profile.paths), None, "failed"))
        return
    try:
        fr = scan_files(
            ws,
            org,
            paths,
            exclude=profile.exclude,
            depth=_depth(profile.depth),
            workers=max(1, profile.workers),
            executor=executor,
        )
    except RgpdError as exc:
        res.errors.append(RunError(", ".join(paths), "error", str(exc)))
        res.sources.append(SourceOutcome("files", ", ".join(paths), None, "failed"))
        return
    child_runs.append(fr.run_id)
    res.sources.append(
        SourceOutcome("files", ", ".join(paths), fr.run_id, fr.status, dict(fr.counts))
    )
    res.errors.extend(RunError(e.source, e.reason, e.message) for e in fr.errors)


def _new_findings(ws: Workspace, oid: int, run_ids: Sequence[int]) -> tuple[list[NewFinding], int]:
    """Findings first seen by one of this profile's runs, and how many findings exist now."""
    if not run_ids:
        return [], 0
    ids = list(run_ids)
    with ws.db.session() as s:
        # Sources this run looked at (scanned or found unchanged) and their current findings.
        rows = s.execute(
            select(FindingRow, ScanSourceRow)
            .join(ScanSourceRow, ScanSourceRow.id == FindingRow.source_id)
            .where(
                FindingRow.org_id == oid,
                ScanSourceRow.org_id == oid,
                ScanSourceRow.status != "gone",
                seen_run().in_(ids),
            )
        ).all()
        new = [
            NewFinding(src.uri, src.kind, f.entity_type, bool(f.special_category), f.ratio)
            for f, src in rows
            if f.first_run_id in ids
        ]
        total = len(rows)
    new.sort(key=lambda n: (not n.special_category, n.source, n.entity_type))
    return new, total
