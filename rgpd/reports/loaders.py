"""The database edge of the reports: read what one organisation holds, nothing more.

Every query is filtered on the organisation's id, so a consolidated report for a
shared DPO is the union of per-organisation reads and nothing of one
organisation can end up in another's section. Raw personal data never leaves
this module: request payloads stay sealed, and a refusal's sealed reason is
opened only to recognise the legal grounds it names (the text itself is dropped).
"""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rgpd.actions.store import load_actions
from rgpd.deadlines import ClockEvent
from rgpd.errors import CryptoError
from rgpd.registry import maturity_service, service
from rgpd.reports.context import (
    OrgData,
    ReconcileItem,
    RequestData,
    ScanData,
    ScanError,
    ScanRun,
    SourceFinding,
    refusal_grounds,
)
from rgpd.requests.model import Action, Request, Requester, RequestEvent, RequestState
from rgpd.scan.findings import iter_findings
from rgpd.storage.lookups import find_org_row
from rgpd.storage.request_tables import RequestEventRow, RequestRow, reason_context
from rgpd.storage.scan_tables import (
    FindingRow,
    ReconcileResultRow,
    ScanErrorRow,
    ScanRunRow,
    ScanSourceRow,
)
from rgpd.storage.tables import ActivityRow, ActivityVersionRow
from rgpd.taxonomy import Entity
from rgpd.workspace import Workspace


def org_slugs(ws: Workspace) -> list[str]:
    """Every organisation served by this install (``--all-orgs``), sorted by slug."""
    return [o.slug for o in service.list_orgs(ws)]


def load_org(ws: Workspace, slug: str) -> OrgData:
    """Register, scans and requests of one organisation."""
    register = service.export_register(ws, slug)
    oid = ws.org_id(slug)
    storages = _password_storages(ws, slug)
    with ws.db.session() as s:
        scan = _load_scan(s, oid, storages)
        changes = tuple(
            s.execute(
                select(ActivityVersionRow.created_at)
                .join(ActivityRow, ActivityRow.id == ActivityVersionRow.activity_id)
                .where(ActivityRow.org_id == oid)
            ).scalars()
        )
        requests = _load_requests(ws, s, oid)
        actions = tuple(load_actions(s, oid))
    assert register.organisation is not None
    return OrgData(
        org=register.organisation,
        register=register,
        scan=scan,
        requests=requests,
        register_changes=changes,
        actions=actions,
        maturity=tuple(maturity_service.maturity_history(ws, slug)),
    )


def load_orgs(ws: Workspace, slugs: list[str]) -> list[OrgData]:
    return [load_org(ws, slug) for slug in slugs]


def _password_storages(ws: Workspace, slug: str) -> dict[str, str]:
    """Source URI → how its password column keeps its values (Art. 32(1)(a)).

    Read by :attr:`rgpd.scan.findings.FindingRecord.password_storage`, the one reader of
    what the database scan stored with a column's finding; only the credential findings
    are read (a few columns, never any value: credentials keep no evidence).
    """
    return {
        f.source: f.password_storage
        for f in iter_findings(ws, slug, Entity.CREDENTIAL.value)
        if f.password_storage
    }


def _load_scan(s: Session, oid: int, storages: dict[str, str] | None = None) -> ScanData:
    runs = tuple(
        ScanRun(r.id, r.kind, r.status, r.started_at, r.finished_at)
        for r in s.execute(
            select(ScanRunRow).where(ScanRunRow.org_id == oid).order_by(ScanRunRow.id)
        ).scalars()
    )
    q = (
        select(
            ScanSourceRow.uri,
            ScanSourceRow.kind,
            ScanSourceRow.root,
            ScanSourceRow.modified_at,
            FindingRow.entity_type,
            FindingRow.count,
            FindingRow.special_category,
            FindingRow.first_run_id,
            FindingRow.last_run_id,
        )
        .join(ScanSourceRow, ScanSourceRow.id == FindingRow.source_id)
        .where(FindingRow.org_id == oid, ScanSourceRow.org_id == oid)
        .where(ScanSourceRow.status != "gone")
    )
    findings = tuple(
        SourceFinding(
            uri=uri,
            source_kind=kind,
            root=root,
            entity_type=entity,
            count=int(count),
            special_category=bool(special),
            modified_at=modified,
            first_run_id=first,
            last_run_id=last,
            password_storage=(storages or {}).get(uri) if entity == Entity.CREDENTIAL else None,
        )
        for uri, kind, root, modified, entity, count, special, first, last in s.execute(q)
    )
    errors = tuple(
        ScanError(e.run_id, e.source, e.reason, e.message, e.at)
        for e in s.execute(select(ScanErrorRow).where(ScanErrorRow.org_id == oid)).scalars()
    )
    # Only the latest reconciliation batch is the current picture.
    latest = s.execute(
        select(ReconcileResultRow.batch)
        .where(ReconcileResultRow.org_id == oid)
        .order_by(ReconcileResultRow.id.desc())
        .limit(1)
    ).scalar()
    reconcile: tuple[ReconcileItem, ...] = ()
    if latest is not None:
        reconcile = tuple(
            ReconcileItem(
                r.rule, r.severity, r.activity_ref, r.location, r.entity_type, r.article, r.message
            )
            for r in s.execute(
                select(ReconcileResultRow).where(
                    ReconcileResultRow.org_id == oid, ReconcileResultRow.batch == latest
                )
            ).scalars()
        )
    counts: dict[str, int] = {
        str(status): int(n)
        for status, n in s.execute(
            select(ScanSourceRow.status, func.count())
            .where(ScanSourceRow.org_id == oid)
            .group_by(ScanSourceRow.status)
        ).all()
    }
    # the folders file scans were run on (as rgpd.scan.paths.scan_roots), to show paths from
    roots = s.execute(
        select(ScanSourceRow.root)
        .where(ScanSourceRow.org_id == oid, ScanSourceRow.kind == "file")
        .distinct()
    ).scalars()
    return ScanData(
        runs=runs,
        findings=findings,
        errors=errors,
        reconcile=reconcile,
        sources_scanned=sum(int(v) for k, v in counts.items() if k != "gone"),
        sources_gone=int(counts.get("gone", 0)),
        roots=tuple(sorted({r for r in roots if r})),
    )


def _load_requests(ws: Workspace, s: Session, oid: int) -> tuple[RequestData, ...]:
    rows = list(s.execute(select(RequestRow).where(RequestRow.org_id == oid)).scalars())
    if not rows:
        return ()
    open_ids = {r.id for r in rows if not RequestState(r.state).terminal}
    refused_ids = {r.id for r in rows if r.state == RequestState.REFUSED}
    wanted = open_ids | refused_ids
    events: dict[int, list[RequestEventRow]] = {}
    if wanted:
        ids = sorted(wanted)
        for i in range(0, len(ids), 500):
            for e in s.execute(
                select(RequestEventRow)
                .where(RequestEventRow.request_id.in_(ids[i : i + 500]))
                .order_by(RequestEventRow.request_id, RequestEventRow.seq)
            ).scalars():
                events.setdefault(e.request_id, []).append(e)
    out = []
    for r in rows:
        evs = events.get(r.id, [])
        out.append(
            RequestData(
                ref=r.reference,
                type=r.type,
                state=r.state,
                channel=r.channel,
                received_on=r.received_on,
                due_on=r.due_on,
                closed_on=r.closed_on,
                extended=bool(r.extended),
                clock_events=_clock(r, evs) if r.id in open_ids else (),
                refusal_grounds=_grounds(ws, r.id, evs) if r.id in refused_ids else (),
            )
        )
    return tuple(out)


def _clock(r: RequestRow, evs: list[RequestEventRow]) -> tuple[ClockEvent, ...]:
    """Replay the stored events through the request model: one definition of the clock."""
    try:
        events = tuple(
            RequestEvent(
                seq=e.seq,
                action=Action(e.action),
                at=e.at.replace(tzinfo=UTC),
                on=e.on_date,
                actor=e.actor,
                from_state=RequestState(e.from_state) if e.from_state else None,
                to_state=RequestState(e.to_state),
            )
            for e in evs
        )
    except ValueError:
        return ()
    if not events:
        return ()
    req = Request(
        ref=r.reference,
        type=r.type,  # type: ignore[arg-type]
        received_on=r.received_on,
        channel=r.channel,  # type: ignore[arg-type]
        requester=Requester(),
        events=events,
    )
    return tuple(req.clock_events())


def _grounds(ws: Workspace, request_id: int, evs: list[RequestEventRow]) -> tuple[str, ...]:
    for e in reversed(evs):
        if e.action == Action.REFUSE and e.reason:
            try:
                text = ws.keys.open_text(e.reason, reason_context(request_id))
            except CryptoError:
                return ()
            return refusal_grounds(text)
    return ()


def org_exists(ws: Workspace, slug: str) -> bool:
    with ws.db.session() as s:
        return find_org_row(s, slug) is not None
