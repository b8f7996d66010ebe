"""The edge: run a discovery for a request, store it sealed, load it, record the DPO's verdicts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import (
    select,
)
from sqlalchemy.exc import SQLAlchemyError

from rgpd import audit
from rgpd.errors import ConfigError, Conflict, NotFound
from rgpd.i18n import _, _n
from rgpd.registry.model import Activity, DataLocation
from rgpd.requests import service
from rgpd.requests.discovery.database import MAX_DEPTH, search_database
from rgpd.requests.discovery.files import rescan_names, search_files
from rgpd.requests.discovery.result import DiscoveryResult, MatchStatus
from rgpd.requests.model import RequestType
from rgpd.requests.person import person_from_submission
from rgpd.storage.db import utcnow
from rgpd.storage.fulfil_tables import RequestDiscoveryRow, discovery_context
from rgpd.workspace import Workspace


def concerned_activities(
    all_activities: Sequence[Activity], refs: Sequence[str], notes: list[str] | None = None
) -> list[Activity]:
    """The activities a request names (all of them when it names none)."""
    if not refs:
        return list(all_activities)
    by_ref = {a.ref: a for a in all_activities}
    for r in refs:
        if r not in by_ref and notes is not None:
            notes.append(_("activity {ref} is no longer in the register", ref=r))
    return [by_ref[r] for r in refs if r in by_ref]


def _check_request(record: service.RequestRecord) -> None:
    if record.type not in (
        RequestType.ACCESS,
        RequestType.PORTABILITY,
        RequestType.ERASURE,
        RequestType.RECTIFICATION,
        RequestType.RESTRICTION,
        RequestType.OBJECTION,
    ):
        raise Conflict(
            _(
                "{ref}: a request of type {type} is not answered from the person's data",
                ref=record.reference,
                type=record.type.value,
            )
        )
    if record.state.terminal:
        raise Conflict(
            _("{ref} is closed ({state})", ref=record.reference, state=record.state.value)
        )
    if not record.request.identity_verified:
        raise Conflict(
            _(
                "{ref}: verify the requester first (`rgpd requests verify`): data are only "
                "searched for a verified request (Art. 12(6))",
                ref=record.reference,
            )
        )


def discover(
    ws: Workspace,
    org: str,
    ref: str,
    *,
    rescan: bool = False,
    now: datetime | None = None,
) -> DiscoveryResult:
    """Search everywhere for the person of request ``ref``; store and return the result.

    Databases unreachable or misconfigured do not stop the search: they are
    listed in ``errors`` (the CLI exits 3) and the rest is still stored.
    """
    record = service.get(ws, org, ref, reveal=True)
    _check_request(record)
    assert record.submission is not None
    everything = service.offered_activities(ws, org)
    result = DiscoveryResult(
        reference=record.reference,
        created_at=now or utcnow(),
        activities=list(record.request.activities),
    )
    activities = concerned_activities(everything, record.request.activities, result.notes)
    person = person_from_submission(record.submission, activities)
    oid = ws.org_id(org)
    by_conn: dict[str, list[tuple[Activity, DataLocation]]] = defaultdict(list)
    for a in activities:
        for loc in a.data_locations:
            if loc.kind == "database" and loc.connection:
                by_conn[loc.connection].append((a, loc))
    for name, locs in sorted(by_conn.items()):
        try:
            rows, base = search_database(ws, oid, name, person, locs, activities, result.notes)
        except ConfigError as exc:
            result.errors.append(f"{name}: {exc}")
            continue
        except SQLAlchemyError as exc:
            from rgpd.scan.database import db_message

            result.errors.append(f"{name}: {db_message(exc, [])}")
            continue
        result.rows.extend(rows)
        result.sources[name] = base
    result.files = search_files(ws, org, person, everything)
    if rescan:
        more, n = rescan_names(
            ws, org, person, activities, {f.uri for f in result.files}, result.notes
        )
        result.files.extend(more)
        result.rescanned = n
    result.notes = list(dict.fromkeys(result.notes))
    _store(ws, org, record.reference, result)
    return result


def _store(ws: Workspace, org: str, ref: str, result: DiscoveryResult) -> None:
    from rgpd.storage.lookups import request_row

    actor = service.actor_of(ws)
    with ws.db.session() as s:
        oid = ws.org_id(org)
        req = request_row(s, oid, ref)
        row = RequestDiscoveryRow(
            request_id=req.id,
            org_id=oid,
            actor=actor[:255],
            summary=result.summary(),
            payload=ws.keys.seal(result.to_json(), discovery_context(req.id)),
        )
        s.add(row)
        s.flush()
        result.id = row.id
        audit.append(
            s,
            action="request.discover",
            entity="request",
            entity_ref=ref,
            actor=actor,
            org=org,
            details={**result.summary(), "discovery": row.id},
        )


def _latest_row(ws: Workspace, org: str, ref: str) -> tuple[int, RequestDiscoveryRow]:
    from rgpd.storage.lookups import request_row

    oid = ws.org_id(org)
    with ws.db.session() as s:
        req = request_row(s, oid, ref)
        row = s.execute(
            select(RequestDiscoveryRow)
            .where(RequestDiscoveryRow.request_id == req.id, RequestDiscoveryRow.org_id == oid)
            .order_by(RequestDiscoveryRow.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if row is None:
            raise NotFound(_("no discovery for {ref}: run `rgpd requests discover {ref}`", ref=ref))
        s.expunge(row)
        return req.id, row


def load(ws: Workspace, org: str, ref: str) -> DiscoveryResult:
    """The latest stored discovery of a request (opened from its sealed form)."""
    rid, row = _latest_row(ws, org, ref)
    return DiscoveryResult.from_json(ws.keys.open_text(row.payload, discovery_context(rid)), row.id)


def decide(
    ws: Workspace,
    org: str,
    ref: str,
    *,
    confirm: Sequence[str] = (),
    reject: Sequence[str] = (),
) -> DiscoveryResult:
    """The DPO's verdict on matches (by id): only confirmed ones are ever acted on."""
    rid, row = _latest_row(ws, org, ref)
    result = DiscoveryResult.from_json(
        ws.keys.open_text(row.payload, discovery_context(rid)), row.id
    )
    ids = result.by_id()
    unknown = [i for i in [*confirm, *reject] if i not in ids]
    if unknown:
        raise NotFound(
            _n(
                "unknown match id: {ids}",
                "unknown match ids: {ids}",
                len(unknown),
                ids=", ".join(unknown),
            )
        )
    both = set(confirm) & set(reject)
    if both:
        raise Conflict(_("confirmed and rejected at once: {ids}", ids=", ".join(sorted(both))))
    for i in confirm:
        ids[i].status = MatchStatus.CONFIRMED
    for i in reject:
        ids[i].status = MatchStatus.REJECTED
    # a dependent row follows its parent's verdict
    changed = {i: ids[i].status for i in [*confirm, *reject]}
    for _pass in range(MAX_DEPTH):
        moved = False
        for r in result.rows:
            if r.parent in changed and r.id not in changed:
                r.status = changed[r.parent]
                changed[r.id] = r.status
                moved = True
        if not moved:
            break
    actor = service.actor_of(ws)
    with ws.db.session() as s:
        db_row = s.get(RequestDiscoveryRow, row.id)
        assert db_row is not None
        db_row.payload = ws.keys.seal(result.to_json(), discovery_context(rid))
        db_row.summary = result.summary()
        audit.append(
            s,
            action="request.discovery_decided",
            entity="request",
            entity_ref=result.reference,
            actor=actor,
            org=org,
            details={"confirmed": len(confirm), "rejected": len(reject), "discovery": row.id},
        )
    return result
