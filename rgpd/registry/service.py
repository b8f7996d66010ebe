"""Register storage edge: organisations, activities (with history), processors, breaches.

Each public function is one transaction: it validates everything first, then
writes the records and their audit entries together, so bad input writes nothing
and a crash leaves either the whole change or none of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from rgpd import audit
from rgpd.errors import Conflict, FieldProblem, NotFound, ValidationFailed
from rgpd.i18n import _
from rgpd.registry import software_service
from rgpd.registry.model import (
    Activity,
    Breach,
    Notification,
    Organisation,
    Processor,
    Register,
    naive_utc,
)
from rgpd.storage.lookups import find_org_row, org_row
from rgpd.storage.tables import (
    ActivityRow,
    ActivityVersionRow,
    BreachRow,
    OrganisationRow,
    ProcessorRow,
)
from rgpd.workspace import Workspace


def problems_from(exc: ValidationError, prefix: str = "") -> list[FieldProblem]:
    out = []
    for err in exc.errors():
        loc = prefix
        for part in err["loc"]:
            loc += f"[{part}]" if isinstance(part, int) else (f".{part}" if loc else str(part))
        msg = err["msg"].removeprefix("Value error, ")
        out.append(FieldProblem(loc or "(root)", msg))
    return out


def validate(
    model: type[BaseModel], data: Any, source: str = "", *, timezone: str | None = None
) -> Any:
    """``data`` as ``model``; times typed without zone are in ``timezone`` (Europe/Paris)."""
    try:
        return model.model_validate(data, context={"timezone": timezone} if timezone else None)
    except ValidationError as exc:
        raise ValidationFailed(problems_from(exc), source) from None


def _dump(m: Any) -> dict[str, Any]:
    return m.model_dump(mode="json", exclude_none=True)


# -- organisations -------------------------------------------------------------


def add_org(ws: Workspace, org: Organisation) -> Organisation:
    with ws.db.session() as s:
        if find_org_row(s, org.slug) is not None:
            raise Conflict(_("organisation {slug} already exists", slug=repr(org.slug)))
        s.add(OrganisationRow(slug=org.slug, name=org.name, data=_dump(org)))
        audit.append(
            s,
            action="create",
            entity="organisation",
            entity_ref=org.slug,
            actor=ws.actor,
            org=org.slug,
            after=_dump(org),
        )
    return org


def update_org(ws: Workspace, slug: str, changes: dict[str, Any]) -> Organisation:
    with ws.db.session() as s:
        row = _org_row(s, slug)
        before = dict(row.data)
        new = validate(Organisation, {**before, **changes, "slug": slug}, "organisation")
        row.data, row.name = _dump(new), new.name
        audit.append(
            s,
            action="update",
            entity="organisation",
            entity_ref=slug,
            actor=ws.actor,
            org=slug,
            before=before,
            after=row.data,
        )
    return new  # type: ignore[no-any-return]


def get_org(ws: Workspace, slug: str) -> Organisation:
    with ws.db.session() as s:
        return Organisation.model_validate(_org_row(s, slug).data)


def list_orgs(ws: Workspace) -> list[Organisation]:
    with ws.db.session() as s:
        rows = s.execute(select(OrganisationRow).order_by(OrganisationRow.slug)).scalars()
        return [Organisation.model_validate(r.data) for r in rows]


def _org_row(s: Session, slug: str | None) -> OrganisationRow:
    return org_row(s, slug)  # one home: rgpd.storage.lookups


# -- activities ------------------------------------------------------------------


@dataclass
class ActivityRecord:
    org: str
    activity: Activity
    version: int
    updated_at: datetime
    deleted: bool = False


@dataclass
class VersionRecord:
    version: int
    change: str
    actor: str
    at: datetime
    digest: str
    activity: Activity


def _activity_row(
    s: Session, org_id: int, ref: str, *, include_deleted: bool = False
) -> ActivityRow:
    row = s.execute(
        select(ActivityRow).where(ActivityRow.org_id == org_id, ActivityRow.ref == ref)
    ).scalar()
    if row is None or (row.deleted and not include_deleted):
        raise NotFound(_("no activity {ref} in this organisation", ref=repr(ref)))
    return row


def _write_activity(
    s: Session, ws: Workspace, org: OrganisationRow, act: Activity, change: str | None = None
) -> tuple[str, ActivityRow]:
    """Create or update one activity; returns ('created'|'updated'|'unchanged', row)."""
    data = _dump(act)
    row = s.execute(
        select(ActivityRow).where(ActivityRow.org_id == org.id, ActivityRow.ref == act.ref)
    ).scalar()
    if row is None:
        row = ActivityRow(
            org_id=org.id,
            ref=act.ref,
            name=act.name,
            status=act.status.value,
            legal_basis=act.legal_basis.value if act.legal_basis else None,
            review_date=act.review_date,
            version=1,
            deleted=False,
            data=data,
        )
        s.add(row)
        s.flush()
        kind, before = "created", None
    else:
        if row.data == data and not row.deleted:
            return "unchanged", row
        before = row.data
        kind = "restored" if row.deleted else "updated"
        row.version += 1
        row.name, row.status, row.data, row.deleted = act.name, act.status.value, data, False
        row.legal_basis = act.legal_basis.value if act.legal_basis else None
        row.review_date = act.review_date
    dig = audit.digest(data)
    s.add(
        ActivityVersionRow(
            activity_id=row.id,
            version=row.version,
            change=change or kind,
            data=data,
            digest=dig,
            actor=audit.current_actor(ws.actor),
        )
    )
    audit.append(
        s,
        action=kind,
        entity="activity",
        entity_ref=f"{org.slug}/{act.ref}",
        actor=ws.actor,
        org=org.slug,
        before=before,
        after=data,
        details={"version": row.version},
    )
    return kind, row


def _ref_taken(s: Session, org_id: int, ref: str) -> bool:
    return bool(
        s.execute(
            select(ActivityRow.id).where(
                ActivityRow.org_id == org_id,
                ActivityRow.ref == ref,
                ActivityRow.deleted.is_(False),
            )
        ).scalar()
    )


def _ref_taken_message(ref: str) -> str:
    return _("activity {ref} already exists; use `registry edit`", ref=repr(ref))


def add_activity(ws: Workspace, org: str, activity: Activity) -> ActivityRecord:
    with ws.db.session() as s:
        o = _org_row(s, org)
        if _ref_taken(s, o.id, activity.ref):
            raise Conflict(_ref_taken_message(activity.ref))
        _kind, row = _write_activity(s, ws, o, activity)
        return ActivityRecord(o.slug, activity, row.version, row.updated_at)


def check_activity_field(
    ws: Workspace, org: str, field: str, value: Any
) -> tuple[Any, list[FieldProblem]]:
    """One answer of an activity being typed, as the register would keep it, or what is wrong.

    ``registry add`` asks field by field (issue 12): each answer is held against the
    :class:`Activity` model itself, the one validation (not a copy of its rules), and
    a new reference against the register, so that a mistake is caught at its prompt
    instead of ten prompts later. Rules across fields are checked when the whole
    activity is validated at the end. Returns the canonical value (``"5 ans"`` →
    ``"5y"``, ``"mission_publique"`` → ``"e"``) and no problem, or ``None`` and the
    problems.
    """
    try:
        act = Activity.model_validate({"ref": "draft", "name": "draft", field: value})
    except ValidationError as exc:
        return None, problems_from(exc)
    if field == "ref":
        with ws.db.session() as s:
            if _ref_taken(s, _org_row(s, org).id, act.ref):
                return None, [FieldProblem("ref", _ref_taken_message(act.ref))]
    return act.model_dump(mode="json", exclude_none=True).get(field), []


def save_activity(ws: Workspace, org: str, activity: Activity) -> tuple[str, ActivityRecord]:
    """Create or update (``registry edit`` and imports)."""
    with ws.db.session() as s:
        o = _org_row(s, org)
        kind, row = _write_activity(s, ws, o, activity)
        return kind, ActivityRecord(o.slug, activity, row.version, row.updated_at)


def record_dpia(
    s: Session, ws: Workspace, org: OrganisationRow, activity_ref: str, *, reference: str, on: date
) -> bool:
    """Write a validated DPIA into its activity's Art. 30 record (``dpia.done``, date,
    reference), in the caller's transaction, as a new version of the activity.

    Art. 35(7) makes the DPIA part of what the controller can show; the register is where a
    DPO and the CNIL look for it. An activity already pointing at this DPIA, on this date, is left alone;
    a missing or deleted activity is not an error (the DPIA may outlive it). Returns whether
    the activity changed.
    """
    row = s.execute(
        select(ActivityRow).where(ActivityRow.org_id == org.id, ActivityRow.ref == activity_ref)
    ).scalar()
    if row is None or row.deleted:
        return False
    act = Activity.model_validate(row.data)
    if act.dpia.done and act.dpia.reference == reference and act.dpia.date == on:
        return False
    act = act.model_copy(
        update={
            "dpia": act.dpia.model_copy(update={"done": True, "date": on, "reference": reference})
        }
    )
    kind, _row = _write_activity(s, ws, org, act, change="dpia_validated")
    return kind != "unchanged"


def get_activity(ws: Workspace, org: str, ref: str) -> ActivityRecord:
    with ws.db.session() as s:
        o = _org_row(s, org)
        row = _activity_row(s, o.id, ref)
        return ActivityRecord(
            o.slug, Activity.model_validate(row.data), row.version, row.updated_at
        )


def list_activities(
    ws: Workspace,
    org: str,
    *,
    status: str | None = None,
    legal_basis: str | None = None,
    search: str | None = None,
) -> list[ActivityRecord]:
    with ws.db.session() as s:
        o = _org_row(s, org)
        q = select(ActivityRow).where(ActivityRow.org_id == o.id, ActivityRow.deleted.is_(False))
        if status:
            q = q.where(ActivityRow.status == status)
        if legal_basis:
            q = q.where(ActivityRow.legal_basis == legal_basis)
        rows = s.execute(q.order_by(ActivityRow.ref)).scalars().all()
        out = [
            ActivityRecord(o.slug, Activity.model_validate(r.data), r.version, r.updated_at)
            for r in rows
        ]
    if search:
        needle = search.casefold()
        out = [r for r in out if needle in r.activity.name.casefold() or needle in r.activity.ref]
    return out


def delete_activity(ws: Workspace, org: str, ref: str) -> None:
    """Soft delete: the history stays (Art. 5(2) accountability)."""
    with ws.db.session() as s:
        o = _org_row(s, org)
        _soft_delete(s, ws, o, _activity_row(s, o.id, ref))


def _soft_delete(s: Session, ws: Workspace, o: OrganisationRow, row: ActivityRow) -> None:
    row.deleted = True
    row.version += 1
    s.add(
        ActivityVersionRow(
            activity_id=row.id,
            version=row.version,
            change="deleted",
            data=row.data,
            digest=audit.digest(row.data),
            actor=audit.current_actor(ws.actor),
        )
    )
    audit.append(
        s,
        action="delete",
        entity="activity",
        entity_ref=f"{o.slug}/{row.ref}",
        actor=ws.actor,
        org=o.slug,
        before=row.data,
    )


def history(ws: Workspace, org: str, ref: str) -> list[VersionRecord]:
    with ws.db.session() as s:
        o = _org_row(s, org)
        row = _activity_row(s, o.id, ref, include_deleted=True)
        vs = s.execute(
            select(ActivityVersionRow)
            .where(ActivityVersionRow.activity_id == row.id)
            .order_by(ActivityVersionRow.version)
        ).scalars()
        return [
            VersionRecord(
                v.version,
                v.change,
                v.actor,
                v.created_at,
                v.digest,
                Activity.model_validate(v.data),
            )
            for v in vs
        ]


# -- processors --------------------------------------------------------------------


def save_processor(ws: Workspace, org: str, p: Processor) -> str:
    with ws.db.session() as s:
        o = _org_row(s, org)
        return _write_processor(s, ws, o, p)


def _write_processor(s: Session, ws: Workspace, o: OrganisationRow, p: Processor) -> str:
    return _upsert(s, ws, o, ProcessorRow, "processor", p.ref, _dump(p), {"name": p.name})


def _upsert(
    s: Session,
    ws: Workspace,
    o: OrganisationRow,
    table: type[ProcessorRow] | type[BreachRow],
    entity: str,
    ref: str,
    data: dict[str, Any],
    columns: dict[str, Any],
) -> str:
    """Create or update one org-scoped JSON record and log it; 'unchanged' writes nothing."""
    row: Any = s.execute(select(table).where(table.org_id == o.id, table.ref == ref)).scalar()
    if row is None:
        s.add(table(org_id=o.id, ref=ref, data=data, **columns))
        kind, before = "created", None
    elif row.data == data:
        return "unchanged"
    else:
        before, kind = row.data, "updated"
        row.data = data
        for name, value in columns.items():
            setattr(row, name, value)
    audit.append(
        s,
        action=kind,
        entity=entity,
        entity_ref=f"{o.slug}/{ref}",
        actor=ws.actor,
        org=o.slug,
        before=before,
        after=data,
    )
    return kind


def list_processors(ws: Workspace, org: str) -> list[Processor]:
    with ws.db.session() as s:
        o = _org_row(s, org)
        rows = s.execute(
            select(ProcessorRow).where(ProcessorRow.org_id == o.id).order_by(ProcessorRow.ref)
        ).scalars()
        return [Processor.model_validate(r.data) for r in rows]


# -- breaches --------------------------------------------------------------------------


def save_breach(ws: Workspace, org: str, b: Breach) -> str:
    with ws.db.session() as s:
        o = _org_row(s, org)
        return _write_breach(s, ws, o, b)


def _write_breach(s: Session, ws: Workspace, o: OrganisationRow, b: Breach) -> str:
    columns = {"title": b.title, "discovered_at": naive_utc(b.discovered_at)}
    return _upsert(s, ws, o, BreachRow, "breach", b.ref, _dump(b), columns)


def list_breaches(ws: Workspace, org: str) -> list[Breach]:
    with ws.db.session() as s:
        o = _org_row(s, org)
        rows = s.execute(
            select(BreachRow).where(BreachRow.org_id == o.id).order_by(BreachRow.discovered_at)
        ).scalars()
        return [Breach.model_validate(r.data) for r in rows]


def get_breach(ws: Workspace, org: str, ref: str) -> Breach:
    with ws.db.session() as s:
        o = _org_row(s, org)
        row = s.execute(
            select(BreachRow).where(BreachRow.org_id == o.id, BreachRow.ref == ref)
        ).scalar()
        if row is None:
            raise NotFound(_("no breach {ref} in this organisation", ref=repr(ref)))
        return Breach.model_validate(row.data)


def notify_breach(ws: Workspace, org: str, ref: str, notification: Notification) -> Breach:
    """Record one phase of the notification to the CNIL (Art. 33(1), 33(4))."""
    b = get_breach(ws, org, ref)
    data = _dump(b)
    data["notifications"] = [*data.get("notifications", []), _dump(notification)]
    if b.notify_decision is None:
        data["notify_decision"] = True
    new = validate(Breach, data, f"breach {ref}")
    save_breach(ws, org, new)
    return new  # type: ignore[no-any-return]


# -- whole register ------------------------------------------------------------------------


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0


def import_register(
    ws: Workspace,
    org: str,
    register: Register,
    *,
    prune: bool = False,
    update_org_details: bool = True,
) -> ImportResult:
    """Apply a whole register in ONE transaction (a bad file writes nothing).

    ``prune`` soft-deletes activities absent from the file (register-as-code: the file
    is the truth).
    """
    res = ImportResult()
    with ws.db.session() as s:
        o = _org_row(s, org)
        if update_org_details and register.organisation is not None:
            new_org = register.organisation.model_copy(update={"slug": o.slug})
            if _dump(new_org) != o.data:
                audit.append(
                    s,
                    action="update",
                    entity="organisation",
                    entity_ref=o.slug,
                    actor=ws.actor,
                    org=o.slug,
                    before=o.data,
                    after=_dump(new_org),
                )
                o.data, o.name = _dump(new_org), new_org.name
        for p in register.processors:
            _write_processor(s, ws, o, p)
        for a in register.activities:
            kind, _entry = _write_activity(s, ws, o, a)
            setattr(
                res,
                kind if kind != "restored" else "updated",
                getattr(res, kind if kind != "restored" else "updated") + 1,
            )
        for b in register.breaches:
            _write_breach(s, ws, o, b)
        for sw in register.software:
            software_service.write_software(s, ws, o, sw)
        if prune:
            keep = {a.ref for a in register.activities}
            rows = s.execute(
                select(ActivityRow).where(
                    ActivityRow.org_id == o.id, ActivityRow.deleted.is_(False)
                )
            ).scalars()
            for row in rows:
                if row.ref not in keep:
                    _soft_delete(s, ws, o, row)
                    res.deleted += 1
    return res


def preview_import(
    ws: Workspace, org: str, register: Register, *, prune: bool = False
) -> dict[str, list[str]]:
    """What ``import_register`` would do, without writing (``registry import --dry-run``).

    Returns the activity references per outcome: created, updated, unchanged,
    deleted (with ``prune``), and the processors that would be created or updated.
    """
    current = {a.ref: a for a in export_register(ws, org).activities}
    out: dict[str, list[str]] = {
        "created": [],
        "updated": [],
        "unchanged": [],
        "deleted": [],
        "processors": [],
        "software": [],
    }
    for a in register.activities:
        old = current.get(a.ref)
        kind = "created" if old is None else "unchanged" if _dump(old) == _dump(a) else "updated"
        out[kind].append(a.ref)
    known = {p.ref: p for p in list_processors(ws, org)}
    out["processors"] = [
        p.ref for p in register.processors if p.ref not in known or _dump(known[p.ref]) != _dump(p)
    ]
    known_sw = {sw.ref: sw for sw in software_service.list_software(ws, org)}
    out["software"] = [
        sw.ref
        for sw in register.software
        if sw.ref not in known_sw or known_sw[sw.ref].model_dump() != sw.model_dump()
    ]
    if prune:
        keep = {a.ref for a in register.activities}
        out["deleted"] = [ref for ref in current if ref not in keep]
    return out


def export_register(ws: Workspace, org: str) -> Register:
    org_model = get_org(ws, org)
    return Register(
        organisation=org_model,
        activities=[r.activity for r in list_activities(ws, org)],
        processors=list_processors(ws, org),
        breaches=list_breaches(ws, org),
        software=software_service.list_software(ws, org),
    )


def iter_refs(records: Iterable[ActivityRecord]) -> list[str]:
    return [r.activity.ref for r in records]
