"""DPIA storage edge: start, fill, import, export; every change a version and an audit entry.

Each public function is one transaction, validated first (bad input writes
nothing), as :mod:`rgpd.registry.service` does for activities. The facts a DPIA
is started from (processors, rights, what discovery found at the activity's
declared locations) are read here and handed to the pure
:func:`~rgpd.registry.dpia.prefill.prefill`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from rgpd import audit
from rgpd.errors import Conflict, FieldProblem, NotFound, ValidationFailed
from rgpd.i18n import _
from rgpd.registry import service as registry
from rgpd.registry.dpia.model import ImpactAssessment, PiaStatus
from rgpd.registry.dpia.pia_json import from_pia_json, to_pia_json
from rgpd.registry.dpia.prefill import DpiaFacts, FoundData, RightNote, prefill
from rgpd.registry.dpia.review import Review, material_changes, review_status
from rgpd.registry.locations import LocationIndex, describe
from rgpd.registry.model import Activity
from rgpd.registry.rights import RequestType, assess_right
from rgpd.registry.rules import DpiaState
from rgpd.storage.dpia_tables import DpiaRow, DpiaVersionRow
from rgpd.storage.lookups import org_row
from rgpd.storage.scan_tables import FindingRow, ScanSourceRow
from rgpd.storage.tables import ActivityRow, ActivityVersionRow, OrganisationRow
from rgpd.workspace import Workspace


@dataclass(frozen=True)
class DpiaRecord:
    org: str
    dpia: ImpactAssessment
    version: int
    updated_at: datetime
    review: Review


@dataclass(frozen=True)
class DpiaVersion:
    version: int
    change: str
    actor: str
    at: datetime
    digest: str


def _dump(d: ImpactAssessment) -> dict[str, Any]:
    return d.model_dump(mode="json", exclude_none=True)


def validate(data: Any, source: str = "") -> ImpactAssessment:
    """``data`` (a YAML/JSON mapping) as a DPIA, every problem named by its field path."""
    try:
        return ImpactAssessment.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(registry.problems_from(exc), source) from None


def _row(s: Session, org_id: int, ref: str) -> DpiaRow:
    row = s.execute(select(DpiaRow).where(DpiaRow.org_id == org_id, DpiaRow.ref == ref)).scalar()
    if row is None or row.deleted:
        raise NotFound(_("no DPIA {ref} in this organisation", ref=repr(ref)))
    return row


def _write(
    s: Session, ws: Workspace, o: OrganisationRow, d: ImpactAssessment, change: str | None = None
) -> tuple[str, DpiaRow]:
    """Create or update one DPIA; returns ('created'|'updated'|'unchanged', row)."""
    data = _dump(d)
    row = s.execute(select(DpiaRow).where(DpiaRow.org_id == o.id, DpiaRow.ref == d.ref)).scalar()
    if row is None:
        row = DpiaRow(org_id=o.id, ref=d.ref, version=1, deleted=False, data=data)
        s.add(row)
        kind, before = "created", None
    else:
        if row.data == data and not row.deleted:
            return "unchanged", row
        kind, before = "updated", row.data
        row.version += 1
        row.data, row.deleted = data, False
    row.name, row.activity_ref = d.name, d.activity_ref
    row.status, row.assessed_on = int(d.validation.decision), d.assessed_on
    s.flush()
    s.add(
        DpiaVersionRow(
            dpia_id=row.id,
            version=row.version,
            change=change or kind,
            data=data,
            digest=audit.digest(data),
            actor=audit.current_actor(ws.actor),
        )
    )
    audit.append(
        s,
        action=change or kind,
        entity="dpia",
        entity_ref=f"{o.slug}/{d.ref}",
        actor=ws.actor,
        org=o.slug,
        before=before,
        after=data,
        details={"version": row.version, "activity": d.activity_ref},
    )
    if d.activity_ref and d.validation.decision in (PiaStatus.VALIDATED, PiaStatus.SIGNED):
        # The controller's decision (Art. 35(7)) goes into the register in the same
        # transaction: the activity's record says a DPIA was carried out, when, and which.
        registry.record_dpia(
            s, ws, o, d.activity_ref, reference=d.ref, on=d.assessed_on or ws.today()
        )
    return kind, row


# ---------------------------------------------------------------------------- facts


def _found(s: Session, org_id: int, activity: Activity) -> list[FoundData]:
    """What discovery found at the activity's declared locations (counts only)."""
    if not activity.data_locations:
        return []
    index = LocationIndex([activity])
    q = (
        select(
            ScanSourceRow.uri,
            ScanSourceRow.root,
            ScanSourceRow.kind,
            FindingRow.entity_type,
            FindingRow.count,
            FindingRow.special_category,
        )
        .join(ScanSourceRow, ScanSourceRow.id == FindingRow.source_id)
        .where(FindingRow.org_id == org_id, ScanSourceRow.org_id == org_id)
        .where(ScanSourceRow.status != "gone")
    )
    acc: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for uri, root, kind, entity, count, special in s.execute(q):
        m = index.match(uri, root, kind)
        if m is None:
            continue
        cell = acc[(describe(m.location), str(entity))]
        cell[0] += 1
        cell[1] += int(count)
        cell[2] |= int(bool(special))
    return [
        FoundData(loc, entity, v[0], v[1], bool(v[2])) for (loc, entity), v in sorted(acc.items())
    ]


def _rights(activity: Activity) -> list[RightNote]:
    # Which rights apply has one home, rgpd.registry.rights (a pure function of the
    # activity); the DPIA quotes it rather than keeping a second copy of the rules.
    out = []
    for t in RequestType:
        if t in (RequestType.POST_MORTEM, RequestType.CADA):
            continue
        a = assess_right(t, activity)
        out.append(
            RightNote(
                t.name.lower(), f"{_(t.label)} ({t.article})", a.applicability.value, a.reasons
            )
        )
    return out


def gather_facts(ws: Workspace, org: str, activity: Activity) -> DpiaFacts:
    """The facts :func:`prefill` quotes, read from the register and the scans."""
    register = registry.export_register(ws, org)
    with ws.db.session() as s:
        found = _found(s, org_row(s, org).id, activity)
    return DpiaFacts(
        org=register.organisation,
        processors=register.processors,
        rights=_rights(activity),
        found=found,
        author=audit.current_actor(ws.actor),
        today=ws.today(),
    )


# ---------------------------------------------------------------------------- review


def _tool_date(data: dict[str, Any]) -> date | None:
    """When the PIA tool last saved an imported DPIA (its ``updated_at``, else ``created_at``)."""
    pia = data.get("pia") or {}
    for key in ("updated_at", "created_at"):
        try:
            return date.fromisoformat(str(pia.get(key))[:10])
        except ValueError:
            continue
    return None


def _review(s: Session, o: OrganisationRow, row: DpiaRow, today: date) -> Review:
    d_on = row.assessed_on or _tool_date(row.data) or row.created_at.date()
    if not row.activity_ref:
        return review_status(d_on, [], today)
    act = s.execute(
        select(ActivityRow).where(ActivityRow.org_id == o.id, ActivityRow.ref == row.activity_ref)
    ).scalar()
    if act is None:
        return review_status(d_on, [], today)
    versions = s.execute(
        select(ActivityVersionRow)
        .where(ActivityVersionRow.activity_id == act.id)
        .order_by(ActivityVersionRow.version)
    ).scalars()
    history = [(v.created_at.date(), Activity.model_validate(v.data)) for v in versions]
    return review_status(d_on, material_changes(history), today)


def _record(s: Session, ws: Workspace, o: OrganisationRow, row: DpiaRow) -> DpiaRecord:
    return DpiaRecord(
        o.slug,
        ImpactAssessment.model_validate(row.data),
        row.version,
        row.updated_at,
        _review(s, o, row, ws.today()),
    )


# ---------------------------------------------------------------------------- API


def start(ws: Workspace, org: str, activity_ref: str, *, ref: str | None = None) -> DpiaRecord:
    """Open a DPIA for a register activity, pre-filled from the register and the scans."""
    activity = registry.get_activity(ws, org, activity_ref).activity
    facts = gather_facts(ws, org, activity)
    draft = prefill(activity, facts, ref=ref)
    with ws.db.session() as s:
        o = org_row(s, org)
        if s.execute(
            select(DpiaRow.id).where(DpiaRow.org_id == o.id, DpiaRow.ref == draft.ref)
        ).scalar():
            raise Conflict(
                _(
                    "a DPIA {ref} already exists; use `rgpd dpia fill {ref}`",
                    ref=draft.ref,
                )
            )
        _kind, row = _write(s, ws, o, draft)
        return _record(s, ws, o, row)


def save(
    ws: Workspace, org: str, dpia: ImpactAssessment, *, change: str | None = None
) -> tuple[str, DpiaRecord]:
    """Create or update a whole DPIA (a new version when anything changed)."""
    with ws.db.session() as s:
        o = org_row(s, org)
        kind, row = _write(s, ws, o, dpia, change)
        return kind, _record(s, ws, o, row)


def _merge(base: Any, patch: Any) -> Any:
    """``patch`` laid over ``base``: mappings merge key by key, anything else replaces."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for k, v in patch.items():
            out[k] = _merge(base.get(k), v) if k in base else v
        return out
    return patch


def fill(
    ws: Workspace, org: str, ref: str, changes: dict[str, Any], *, source: str = ""
) -> tuple[str, DpiaRecord]:
    """Lay ``changes`` (a partial DPIA, e.g. from YAML) over the stored DPIA and save it."""
    current = get(ws, org, ref).dpia
    if not isinstance(changes, dict):
        raise ValidationFailed([FieldProblem("(root)", _("expected a mapping"))], source)
    if changes.get("ref", ref) != ref:
        raise ValidationFailed(
            [FieldProblem("ref", _("cannot change the reference of a DPIA"))], source
        )
    new = validate(_merge(_dump(current), changes), source or ref)
    return save(ws, org, new)


def get(ws: Workspace, org: str, ref: str) -> DpiaRecord:
    with ws.db.session() as s:
        o = org_row(s, org)
        return _record(s, ws, o, _row(s, o.id, ref))


def list_dpias(ws: Workspace, org: str) -> list[DpiaRecord]:
    with ws.db.session() as s:
        o = org_row(s, org)
        rows = s.execute(
            select(DpiaRow)
            .where(DpiaRow.org_id == o.id, DpiaRow.deleted.is_(False))
            .order_by(DpiaRow.ref)
        ).scalars()
        return [_record(s, ws, o, r) for r in rows]


def history(ws: Workspace, org: str, ref: str) -> list[DpiaVersion]:
    with ws.db.session() as s:
        o = org_row(s, org)
        row = _row(s, o.id, ref)
        vs = s.execute(
            select(DpiaVersionRow)
            .where(DpiaVersionRow.dpia_id == row.id)
            .order_by(DpiaVersionRow.version)
        ).scalars()
        return [DpiaVersion(v.version, v.change, v.actor, v.created_at, v.digest) for v in vs]


def import_pia(
    ws: Workspace,
    org: str,
    doc: Any,
    *,
    ref: str | None = None,
    activity_ref: str | None = None,
    source: str = "",
) -> tuple[str, DpiaRecord]:
    """A CNIL PIA tool export → a stored DPIA (created, or a new version of ``ref``)."""
    if activity_ref is not None:
        registry.get_activity(ws, org, activity_ref)  # NotFound before anything is written
    dpia = from_pia_json(doc, ref=ref, activity_ref=activity_ref, source=source)
    with ws.db.session() as s:
        o = org_row(s, org)
        old = s.execute(
            select(DpiaRow).where(DpiaRow.org_id == o.id, DpiaRow.ref == dpia.ref)
        ).scalar()
        if activity_ref is None and old is not None:
            dpia = dpia.model_copy(update={"activity_ref": old.data.get("activity_ref")})
        kind, row = _write(s, ws, o, dpia, "imported")
        return kind, _record(s, ws, o, row)


def export_pia(ws: Workspace, org: str, ref: str) -> dict[str, Any]:
    """The stored DPIA as the JSON the CNIL PIA tool imports."""
    return to_pia_json(get(ws, org, ref).dpia, now=ws.now())


def lint_states(ws: Workspace, org: str) -> dict[str, DpiaState]:
    """activity ref → its most recent DPIA in rgpd (validated? due for review?).

    What ``registry lint`` needs to remind the DPO to open, review or record a DPIA.
    """
    latest: dict[str, DpiaRecord] = {}
    for r in list_dpias(ws, org):
        a = r.dpia.activity_ref
        if a and (a not in latest or _when(r) >= _when(latest[a])):
            latest[a] = r  # the most recent DPIA of an activity is the one that counts
    return {
        a: DpiaState(
            r.dpia.ref,
            r.dpia.validation.decision in (PiaStatus.VALIDATED, PiaStatus.SIGNED),
            r.review.reasons,
        )
        for a, r in latest.items()
    }


def _when(r: DpiaRecord) -> date:
    return r.dpia.assessed_on or _tool_date(r.dpia.model_dump(mode="json")) or r.updated_at.date()
