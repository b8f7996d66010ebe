"""Storage edge of the software and supports register (Madis's « logiciels et supports »).

Each public function is one transaction that writes the record and its audit
entry together (Art. 5(2) accountability: who added, changed or removed which
software, and when). :func:`write_software` is the in-transaction step that
``registry import`` reuses, so a whole register file writes all or nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from rgpd import audit
from rgpd.errors import Conflict, NotFound, ValidationFailed
from rgpd.i18n import _
from rgpd.registry.io.yamlio import problems_from_validation
from rgpd.registry.model import Software, SoftwareKind
from rgpd.storage.lookups import org_row
from rgpd.storage.software_tables import SoftwareRow
from rgpd.storage.tables import ActivityRow, OrganisationRow, ProcessorRow
from rgpd.workspace import Workspace

__all__ = [
    "add_software",
    "delete_software",
    "get_software",
    "link_software",
    "list_software",
    "save_software",
    "update_software",
    "write_software",
]


def _dump(sw: Software) -> dict[str, Any]:
    return sw.model_dump(mode="json", exclude_none=True)


def _validate(data: dict[str, Any], source: str) -> Software:
    try:
        return Software.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(problems_from_validation(exc), source) from None


def _row(s: Session, org_id: int, ref: str) -> SoftwareRow:
    row = s.execute(
        select(SoftwareRow).where(SoftwareRow.org_id == org_id, SoftwareRow.ref == ref)
    ).scalar()
    if row is None:
        raise NotFound(_("no software or support {ref} in this organisation", ref=repr(ref)))
    return row


def write_software(s: Session, ws: Workspace, o: OrganisationRow, sw: Software) -> str:
    """Create or update one entry inside the caller's transaction: 'created'|'updated'|'unchanged'."""
    data = _dump(sw)
    row = s.execute(
        select(SoftwareRow).where(SoftwareRow.org_id == o.id, SoftwareRow.ref == sw.ref)
    ).scalar()
    if row is None:
        s.add(SoftwareRow(org_id=o.id, ref=sw.ref, name=sw.name, kind=sw.kind.value, data=data))
        kind, before = "created", None
    elif row.data == data:
        return "unchanged"
    else:
        kind, before = "updated", row.data
        row.data, row.name, row.kind = data, sw.name, sw.kind.value
    audit.append(
        s,
        action=kind,
        entity="software",
        entity_ref=f"{o.slug}/{sw.ref}",
        actor=ws.actor,
        org=o.slug,
        before=before,
        after=data,
    )
    return kind


def _check_links(s: Session, o: OrganisationRow, sw: Software) -> None:
    """Every linked activity and processor exists (a link to nothing is a silent gap)."""
    acts = set(
        s.execute(
            select(ActivityRow.ref).where(
                ActivityRow.org_id == o.id, ActivityRow.deleted.is_(False)
            )
        ).scalars()
    )
    procs = set(s.execute(select(ProcessorRow.ref).where(ProcessorRow.org_id == o.id)).scalars())
    for ref in sw.activities:
        if ref not in acts:
            raise NotFound(_("no activity {ref} in this organisation", ref=repr(ref)))
    for ref in sw.processors:
        if ref not in procs:
            raise NotFound(_("no processor {ref} in this organisation", ref=repr(ref)))


def add_software(ws: Workspace, org: str, sw: Software) -> Software:
    """A new entry; its links must name existing activities and processors."""
    with ws.db.session() as s:
        o = org_row(s, org)
        if s.execute(
            select(SoftwareRow.id).where(SoftwareRow.org_id == o.id, SoftwareRow.ref == sw.ref)
        ).scalar():
            raise Conflict(_("software {ref} already exists", ref=repr(sw.ref)))
        _check_links(s, o, sw)
        write_software(s, ws, o, sw)
    return sw


def save_software(ws: Workspace, org: str, sw: Software) -> str:
    """Create or update (imports); links are not checked here, ``registry lint`` reports them."""
    with ws.db.session() as s:
        return write_software(s, ws, org_row(s, org), sw)


def update_software(ws: Workspace, org: str, ref: str, changes: dict[str, Any]) -> Software:
    """Change some fields; the result is validated whole before anything is written."""
    with ws.db.session() as s:
        o = org_row(s, org)
        row = _row(s, o.id, ref)
        new = _validate({**row.data, **changes, "ref": ref}, f"software {ref}")
        _check_links(s, o, new)
        write_software(s, ws, o, new)
    return new


def link_software(
    ws: Workspace,
    org: str,
    ref: str,
    *,
    activities: Iterable[str] = (),
    processors: Iterable[str] = (),
    unlink: bool = False,
) -> Software:
    """Add (or, with ``unlink``, remove) links to activities and processors."""
    with ws.db.session() as s:
        o = org_row(s, org)
        row = _row(s, o.id, ref)
        cur = Software.model_validate(row.data)
        acts, procs = set(cur.activities), set(cur.processors)
        if unlink:
            acts -= set(activities)
            procs -= set(processors)
        else:
            acts |= set(activities)
            procs |= set(processors)
        new = cur.model_copy(update={"activities": sorted(acts), "processors": sorted(procs)})
        if not unlink:
            _check_links(
                s,
                o,
                new.model_copy(
                    update={"activities": list(activities), "processors": list(processors)}
                ),
            )
        write_software(s, ws, o, new)
    return new


def get_software(ws: Workspace, org: str, ref: str) -> Software:
    with ws.db.session() as s:
        return Software.model_validate(_row(s, org_row(s, org).id, ref).data)


def list_software(ws: Workspace, org: str, *, kind: SoftwareKind | None = None) -> list[Software]:
    with ws.db.session() as s:
        o = org_row(s, org)
        q = select(SoftwareRow).where(SoftwareRow.org_id == o.id)
        if kind is not None:
            q = q.where(SoftwareRow.kind == kind.value)
        rows = s.execute(q.order_by(SoftwareRow.ref)).scalars()
        return [Software.model_validate(r.data) for r in rows]


def delete_software(ws: Workspace, org: str, ref: str) -> None:
    """Remove an entry; the audit log keeps what it was."""
    with ws.db.session() as s:
        o = org_row(s, org)
        row = _row(s, o.id, ref)
        audit.append(
            s,
            action="delete",
            entity="software",
            entity_ref=f"{o.slug}/{ref}",
            actor=ws.actor,
            org=o.slug,
            before=row.data,
        )
        s.delete(row)
