"""Storage edge of the action plan: rows to :class:`~rgpd.actions.model.Action` and back.

Session-level helpers only (the caller owns the transaction): the service
(:mod:`rgpd.actions.service`) and the report loader (:mod:`rgpd.reports.loaders`)
both read the plan through :func:`load_actions`. Every write appends its audit
entry in the same transaction (:func:`save`); the entry holds the reference,
the status and digests — never the owner's name or e-mail.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rgpd import audit
from rgpd.actions.model import Action, ActionStatus, Event, Origin, Owner
from rgpd.errors import NotFound
from rgpd.i18n import _
from rgpd.storage.action_tables import ActionRow

_REF = re.compile(r"^A-(\d+)$")


def to_action(row: ActionRow) -> Action:
    return Action(
        ref=row.ref,
        title=row.title,
        origin=Origin(row.origin),
        origin_key=row.origin_key,
        created_on=row.created_on,
        description=row.description or "",
        article=row.article or "",
        risk=row.risk,
        owner=Owner(row.owner_name, row.owner_email, row.service),
        due=row.due_on,
        status=ActionStatus(row.status),
        reason=row.reason,
        closed_on=row.closed_on,
        history=tuple(_event(e) for e in row.history or ()),
    )


def _event(e: dict[str, Any]) -> Event:
    at = datetime.fromisoformat(e["at"])
    return Event(
        at if at.tzinfo else at.replace(tzinfo=UTC),
        e.get("actor", ""),
        e.get("change", ""),
        ActionStatus(e["status"]),
        e.get("note", ""),
    )


def _event_json(e: Event) -> dict[str, Any]:
    return {
        "at": e.at.astimezone(UTC).isoformat(),
        "actor": e.actor,
        "change": e.change,
        "status": e.status.value,
        "note": e.note,
    }


def _fill(row: ActionRow, a: Action) -> None:
    row.ref, row.title, row.description = a.ref, a.title, a.description
    row.origin, row.origin_key, row.article, row.risk = (
        a.origin.value,
        a.origin_key,
        a.article,
        a.risk,
    )
    row.owner_name, row.owner_email, row.service = a.owner.name, a.owner.email, a.owner.service
    row.due_on, row.status, row.reason = a.due, a.status.value, a.reason
    row.created_on, row.closed_on = a.created_on, a.closed_on
    row.history = [_event_json(e) for e in a.history]


def state(a: Action) -> dict[str, Any]:
    """What the audit log digests (before/after); the owner is in it only as a digest."""
    return {
        "ref": a.ref,
        "title": a.title,
        "origin": a.origin.value,
        "origin_key": a.origin_key,
        "article": a.article,
        "risk": a.risk,
        "owner": [a.owner.name, a.owner.email, a.owner.service],
        "due": a.due.isoformat() if a.due else None,
        "status": a.status.value,
        "reason": a.reason,
        "history": len(a.history),
    }


def rows(s: Session, org_id: int) -> list[ActionRow]:
    return list(
        s.execute(select(ActionRow).where(ActionRow.org_id == org_id).order_by(ActionRow.id))
        .scalars()
        .all()
    )


def load_actions(s: Session, org_id: int) -> list[Action]:
    """Every action of an organisation, open or closed, in creation order."""
    return [to_action(r) for r in rows(s, org_id)]


def row_of(s: Session, org_id: int, ref: str) -> ActionRow:
    row = s.execute(
        select(ActionRow).where(ActionRow.org_id == org_id, ActionRow.ref == ref.strip().upper())
    ).scalar()
    if row is None:
        raise NotFound(_("no action {ref} in this organisation", ref=repr(ref)))
    return row


def find_by_key(s: Session, org_id: int, key: str) -> ActionRow | None:
    return s.execute(
        select(ActionRow).where(ActionRow.org_id == org_id, ActionRow.origin_key == key)
    ).scalar()


def next_ref(s: Session, org_id: int) -> str:
    """``A-0001``, ``A-0002``…: per organisation, the highest one plus one (flushed rows count)."""
    refs = s.execute(select(ActionRow.ref).where(ActionRow.org_id == org_id)).scalars()
    top = max((int(m.group(1)) for r in refs if (m := _REF.match(r))), default=0)
    return f"A-{top + 1:04d}"


def save(
    s: Session,
    *,
    org_id: int,
    org: str,
    actor: str | None,
    action: Action,
    before: Action | None,
    row: ActionRow | None = None,
    change: str,
) -> ActionRow:
    """Insert or update one action and append its audit entry (same transaction)."""
    if row is None:
        row = ActionRow(org_id=org_id)
        s.add(row)
    _fill(row, action)
    s.flush()
    audit.append(
        s,
        action=change,
        entity="action",
        entity_ref=action.ref,
        actor=actor,
        org=org,
        before=state(before) if before is not None else None,
        after=state(action),
        details={"status": action.status.value, "origin": action.origin.value},
    )
    return row
