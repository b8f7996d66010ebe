"""Stored fulfilments: the sealed plans and proofs of erasure, rectification and restriction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select

from rgpd import audit
from rgpd.errors import Conflict
from rgpd.i18n import _
from rgpd.requests import service
from rgpd.requests.model import RequestType
from rgpd.storage.fulfil_tables import RequestFulfilmentRow, fulfilment_context
from rgpd.workspace import Workspace


def request_row(ws: Workspace, org: str, ref: str) -> tuple[int, int, str]:
    from rgpd.storage.lookups import request_row as find

    oid = ws.org_id(org)
    with ws.db.session() as s:
        req = find(s, oid, ref)
        return req.id, oid, req.reference


def latest_fulfilment(ws: Workspace, org: str, ref: str, kind: str) -> RequestFulfilmentRow | None:
    rid, oid, _r = request_row(ws, org, ref)
    with ws.db.session() as s:
        row = s.execute(
            select(RequestFulfilmentRow)
            .where(
                RequestFulfilmentRow.request_id == rid,
                RequestFulfilmentRow.org_id == oid,
                RequestFulfilmentRow.kind == kind,
            )
            .order_by(RequestFulfilmentRow.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if row is not None:
            s.expunge(row)
        return row


def save_fulfilment(
    ws: Workspace,
    org: str,
    ref: str,
    kind: str,
    state: str,
    summary: Mapping[str, Any],
    payload: str | None,
    *,
    discovery_id: int | None,
    action: str,
    details: Mapping[str, Any],
) -> int:
    rid, oid, reference = request_row(ws, org, ref)
    actor = service.actor_of(ws)
    with ws.db.session() as s:
        row = RequestFulfilmentRow(
            request_id=rid,
            org_id=oid,
            discovery_id=discovery_id,
            kind=kind,
            state=state,
            actor=actor[:255],
            summary=dict(summary),
            payload=ws.keys.seal(payload, fulfilment_context(rid)) if payload is not None else None,
        )
        s.add(row)
        s.flush()
        audit.append(
            s,
            action=action,
            entity="request",
            entity_ref=reference,
            actor=actor,
            org=org,
            details={**details, "fulfilment": row.id},
        )
        return row.id


def open_payload(ws: Workspace, row: RequestFulfilmentRow) -> str:
    assert row.payload is not None
    return ws.keys.open_text(row.payload, fulfilment_context(row.request_id))


def checked_request(
    ws: Workspace, org: str, ref: str, types: Sequence[RequestType]
) -> service.RequestRecord:
    record = service.get(ws, org, ref)
    if record.type not in types:
        raise Conflict(
            _(
                "{ref} is a request of type {type}, not {want}",
                ref=record.reference,
                type=record.type.value,
                want="/".join(t.value for t in types),
            )
        )
    if record.state.terminal:
        raise Conflict(
            _("{ref} is closed ({state})", ref=record.reference, state=record.state.value)
        )
    return record
