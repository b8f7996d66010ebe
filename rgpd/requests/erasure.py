"""Erasure (Art. 17), rectification (Art. 16) and restriction (Art. 18) of one person's data.

Always a plan first. :func:`plan_erasure` is pure: from the reviewed discovery,
the register (legal basis, per-activity :class:`~rgpd.registry.model.ErasureStrategy`)
and the shape of the tables, it decides for every row and file what happens —
delete the row, set columns to NULL, replace them with a pseudonym, or keep —
and, for what is kept, the article that keeps it:

* a legal hold (Art. 17(3)(e), legal claims) keeps everything of the activity;
* public archives (Art. 17(3)(d)) keep the tables and folders marked ``archives``;
* a legal obligation or a public task (Art. 17(3)(b)) keeps the data, unless a
  rule with a retention period says this row's period is over (then Art.
  17(1)(a) applies: the data are no longer necessary);
* a retention period not over keeps the row (Art. 17(3)(b): the text that
  imposes it is quoted);
* a row still referenced by a row that is kept is pseudonymised rather than
  deleted, so foreign keys hold.

Matches "to confirm" (a name alone) are listed and never acted on.

``execute`` then applies the stored plan in **one transaction per database**:
all or nothing, children deleted before parents, pseudonyms derived from the
install's key (HMAC of the row key), so a re-run after a failure — a dropped
connection rolls the whole source back — replays the same statements and
changes nothing twice. Files are deleted or replaced by a redacted copy only
when the caller confirms it. The proof (what changed, when, by whom, row counts
before and after, never a value) goes to the audit log, with the Art. 19
recipients to inform taken from the register.
"""

from __future__ import annotations

import contextlib
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, MetaData, Table, delete, func, select, update
from sqlalchemy import types as sqltypes
from sqlalchemy.exc import SQLAlchemyError

from rgpd import audit
from rgpd.crypto import sha256_hex
from rgpd.deadlines import retention_end
from rgpd.errors import Conflict, InvalidInput, NotFound, PartialFailure
from rgpd.i18n import _
from rgpd.masking import normalise
from rgpd.registry.model import (
    Activity,
    ErasureAction,
    ErasureRule,
    LegalBasis,
)
from rgpd.requests import discovery as disc
from rgpd.requests import service
from rgpd.requests.model import RequestType
from rgpd.scan.columns import name_signal
from rgpd.storage.db import utcnow
from rgpd.storage.fulfil_tables import RequestFulfilmentRow, fulfilment_context
from rgpd.taxonomy import Entity
from rgpd.workspace import Workspace

ART_B = "Art. 17(3)(b) GDPR"
ART_D = "Art. 17(3)(d) GDPR"
ART_E = "Art. 17(3)(e) GDPR"
ART_BASIS = "Art. 6(1) GDPR"

#: Column names that mark a row as restricted (Art. 18) where the software has one.
RESTRICTION_COLUMNS = (
    "restreint",
    "restriction",
    "limitation",
    "limite",
    "traitement_limite",
    "limitation_traitement",
    "gel",
    "gele",
    "restricted",
    "is_restricted",
    "processing_restricted",
)
#: Text formats a redacted copy can replace in place; others need a hand or a delete rule.
REDACTABLE = (".txt", ".csv", ".tsv", ".md", ".log", ".json", ".xml", ".html", ".htm")
REDACTED = "[effacé]"

_STRENGTH = {
    ErasureAction.DELETE: 0,
    ErasureAction.SET_NULL: 1,
    ErasureAction.PSEUDONYMISE: 2,
    ErasureAction.KEEP: 3,
}


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class ColumnShape:
    name: str
    nullable: bool
    text: bool
    length: int | None
    primary_key: bool
    foreign_key: bool  # points to another table (kept: the row's links)
    referenced: bool  # another table points to it (kept: others' links)
    personal: bool  # identifies the person (register, scans, or its name)


@dataclass(frozen=True, slots=True)
class TableShape:
    connection: str
    table: str
    columns: tuple[ColumnShape, ...]
    children_without_key: bool = False  # a referencing table discovery could not follow

    def column(self, name: str) -> ColumnShape | None:
        return next((c for c in self.columns if c.name.lower() == name.lower()), None)

    @property
    def restriction_column(self) -> str | None:
        names = {c.name.lower(): c.name for c in self.columns}
        return next((names[n] for n in RESTRICTION_COLUMNS if n in names), None)


@dataclass
class Refusal:
    article: str
    reason: str


@dataclass
class RowAction:
    match: str  # discovery match id
    connection: str
    schema: str | None
    table: str
    key: dict[str, Any]
    activities: list[str]
    action: str  # ErasureAction value
    columns: dict[str, str] = field(default_factory=dict)  # column -> vider|pseudonymiser
    refusal: Refusal | None = None
    note: str | None = None
    parent: str | None = None


@dataclass
class FileAction:
    match: str
    uri: str
    activities: list[str]
    action: str  # delete | redact | keep | manual
    refusal: Refusal | None = None
    note: str | None = None


@dataclass
class RecipientToInform:
    """Art. 19: a recipient of the activity, to be told of the erasure or rectification."""

    activity: str
    name: str
    kind: str


@dataclass
class ErasurePlan:
    reference: str
    discovery_id: int | None
    today: date
    rows: list[RowAction] = field(default_factory=list)
    files: list[FileAction] = field(default_factory=list)
    to_confirm: list[str] = field(default_factory=list)  # match ids waiting for the DPO
    recipients: list[RecipientToInform] = field(default_factory=list)

    def sources(self) -> list[str]:
        return sorted({r.connection for r in self.rows})

    def acting_rows(self, connection: str) -> list[RowAction]:
        return [
            r for r in self.rows if r.connection == connection and r.action != ErasureAction.KEEP
        ]

    def refusals(self) -> list[tuple[str, str, Refusal]]:
        """(location, match id, refusal) of everything kept."""
        out = [(f"{r.connection}:{r.table}", r.match, r.refusal) for r in self.rows if r.refusal]
        out += [(f.uri, f.match, f.refusal) for f in self.files if f.refusal]
        return out

    def summary(self) -> dict[str, Any]:
        actions: dict[str, int] = defaultdict(int)
        for r in self.rows:
            actions[r.action] += 1
        files: dict[str, int] = defaultdict(int)
        for f in self.files:
            files[f.action] += 1
        articles: dict[str, int] = defaultdict(int)
        for _loc, _m, ref in self.refusals():
            articles[ref.article] += 1
        return {
            "rows": dict(actions),
            "files": dict(files),
            "refused": dict(articles),
            "to_confirm": len(self.to_confirm),
            "recipients": len(self.recipients),
            "sources": self.sources(),
        }

    def to_json(self) -> str:
        d = asdict(self)
        d["today"] = self.today.isoformat()
        return json.dumps(d, ensure_ascii=False, default=str)

    @classmethod
    def from_json(cls, text: str) -> ErasurePlan:
        d = json.loads(text)

        def refusal(x: Any) -> Refusal | None:
            return Refusal(**x) if x else None

        return cls(
            reference=d["reference"],
            discovery_id=d.get("discovery_id"),
            today=date.fromisoformat(d["today"]),
            rows=[RowAction(**{**r, "refusal": refusal(r.get("refusal"))}) for r in d["rows"]],
            files=[FileAction(**{**f, "refusal": refusal(f.get("refusal"))}) for f in d["files"]],
            to_confirm=list(d["to_confirm"]),
            recipients=[RecipientToInform(**x) for x in d["recipients"]],
        )


# --------------------------------------------------------------------------- the pure planner


def _rule(
    activity: Activity, *, table: str | None = None, path: str | None = None
) -> ErasureRule | None:
    if activity.erasure is None:
        return None
    for r in activity.erasure.rules:
        if table and r.table and r.table.rsplit(".", 1)[-1].lower() == table.lower():
            return r
        if path and r.path and r.path == path:
            return r
    return None


def _basis_reason(activity: Activity) -> str:
    text = f" ({activity.legal_basis_text})" if activity.legal_basis_text else ""
    if activity.legal_basis is LegalBasis.LEGAL_OBLIGATION:
        return _("processing necessary for compliance with a legal obligation{text}", text=text)
    return _(
        "processing necessary for a task carried out in the public interest or in the exercise "
        "of official authority{text}",
        text=text,
    )


def _retention_over(rule: ErasureRule, value: Any, today: date) -> tuple[bool, date | None]:
    """Is this row's retention period over? (unknown start: not over, the safe side)."""
    assert rule.retention is not None
    start = value.date() if isinstance(value, datetime) else value
    if isinstance(start, str):
        try:
            start = date.fromisoformat(start[:10])
        except ValueError:
            start = None
    if not isinstance(start, date):
        return False, None
    until = retention_end(start, rule.retention)
    return until <= today, until


def decide_row(
    activity: Activity, table: str, values: Mapping[str, Any], today: date
) -> tuple[ErasureAction, Refusal | None, dict[str, str]]:
    """One activity's decision for one row: (action, refusal when kept, column overrides)."""
    strategy = activity.erasure
    if strategy is not None and strategy.legal_hold:
        return (
            ErasureAction.KEEP,
            Refusal(ART_E, _("legal hold: {why}", why=strategy.legal_hold)),
            {},
        )
    rule = _rule(activity, table=table)
    if rule is not None and rule.archives:
        return (
            ErasureAction.KEEP,
            Refusal(
                ART_D,
                rule.reason
                or _(
                    "public archives (Code du patrimoine): kept for archiving in the public interest"
                ),
            ),
            {},
        )
    if activity.legal_basis is None:
        return (
            ErasureAction.KEEP,
            Refusal(
                ART_BASIS,
                _(
                    "the register does not state the legal basis of {ref}: decide by hand",
                    ref=activity.ref,
                ),
            ),
            {},
        )
    public = activity.legal_basis in (LegalBasis.LEGAL_OBLIGATION, LegalBasis.PUBLIC_TASK)
    columns = {k: v.value for k, v in rule.columns.items()} if rule else {}
    if rule is not None and rule.retention:
        over, until = _retention_over(rule, values.get(rule.retention_column or ""), today)
        if not over:
            when = until.isoformat() if until else _("unknown date")
            why = rule.reason or (_basis_reason(activity) if public else _("retention required"))
            return (
                ErasureAction.KEEP,
                Refusal(
                    ART_B,
                    _("retention period not over (until {until}): {why}", until=when, why=why),
                ),
                {},
            )
        return rule.action, None, columns  # Art. 17(1)(a): no longer necessary
    if rule is not None and rule.action is ErasureAction.KEEP:
        return (
            ErasureAction.KEEP,
            Refusal(ART_B, rule.reason or _basis_reason(activity)),
            {},
        )
    if public:
        if rule is not None:  # the DPO's documented decision for this table
            return rule.action, None, columns
        return ErasureAction.KEEP, Refusal(ART_B, _basis_reason(activity)), {}
    if rule is not None:
        return rule.action, None, columns
    default = strategy.default if strategy and strategy.default else ErasureAction.DELETE
    return default, None, {}


def _columns_for(
    action: ErasureAction, shape: TableShape | None, overrides: Mapping[str, str]
) -> dict[str, str]:
    """Which columns a pseudonymisation / nulling touches (never keys or links)."""
    if shape is None or action in (ErasureAction.DELETE, ErasureAction.KEEP):
        return {}
    out: dict[str, str] = {}
    for c in shape.columns:
        if c.primary_key or c.foreign_key or c.referenced:
            continue
        want = overrides.get(c.name)
        if want == ErasureAction.KEEP:
            continue
        if want is None:
            if not c.personal:
                continue
            want = action.value
        if want == ErasureAction.DELETE:
            want = ErasureAction.SET_NULL.value
        if want == ErasureAction.SET_NULL and not c.nullable:
            want = ErasureAction.PSEUDONYMISE.value if c.text else ErasureAction.KEEP.value
        if want == ErasureAction.PSEUDONYMISE and not c.text:
            want = ErasureAction.SET_NULL.value if c.nullable else ErasureAction.KEEP.value
        if want != ErasureAction.KEEP:
            out[c.name] = want
    return out


def _file_decision(activity: Activity, uri: str, root: str | None) -> tuple[str, Refusal | None]:
    from rgpd.scan.reconcile import path_matches

    strategy = activity.erasure
    if strategy is not None and strategy.legal_hold:
        return "keep", Refusal(ART_E, _("legal hold: {why}", why=strategy.legal_hold))
    rule = None
    if strategy is not None:
        outer = uri.split("!", 1)[0]
        rule = next(
            (r for r in strategy.rules if r.path and path_matches(r.path, outer, root)), None
        )
    if rule is not None and rule.archives:
        return "keep", Refusal(ART_D, rule.reason or _("public archives (Code du patrimoine)"))
    if activity.legal_basis is None:
        return "keep", Refusal(
            ART_BASIS, _("the register does not state the legal basis of {ref}", ref=activity.ref)
        )
    if rule is not None:
        if rule.action is ErasureAction.KEEP:
            return "keep", Refusal(ART_B, rule.reason or _basis_reason(activity))
        return ("delete" if rule.action is ErasureAction.DELETE else "redact"), None
    if activity.legal_basis in (LegalBasis.LEGAL_OBLIGATION, LegalBasis.PUBLIC_TASK):
        return "keep", Refusal(ART_B, _basis_reason(activity))
    return "redact", None


def plan_erasure(
    found: disc.DiscoveryResult,
    activities: Sequence[Activity],
    shapes: Mapping[tuple[str, str], TableShape],
    values: Mapping[str, Mapping[str, Any]],
    today: date,
) -> ErasurePlan:
    """Decide, for every confirmed row and file, what erasure does (pure: no I/O).

    ``shapes`` maps (connection, table) to the reflected table shape;
    ``values`` maps a row match id to the values of its retention columns.
    """
    by_ref = {a.ref: a for a in activities}
    plan = ErasurePlan(found.reference, found.id, today)
    plan.to_confirm = [m.id for m in found.matches() if m.status == disc.MatchStatus.TO_CONFIRM]
    for r in found.rows:
        if r.status != disc.MatchStatus.CONFIRMED:
            continue
        acts = [by_ref[a] for a in r.activities if a in by_ref]
        shape = shapes.get((r.connection, r.table.lower()))
        row = RowAction(
            r.id, r.connection, r.schema, r.table, dict(r.key), list(r.activities),
            ErasureAction.KEEP.value, parent=r.parent,
        )  # fmt: skip
        if not acts:
            row.refusal = Refusal(
                ART_BASIS, _("this table belongs to no activity of the register: decide by hand")
            )
        else:
            decisions = [decide_row(a, r.table, values.get(r.id, {}), today) for a in acts]
            kept = [d for d in decisions if d[0] is ErasureAction.KEEP]
            if kept:
                row.refusal = kept[0][1]
            else:
                action, _ref, cols = max(decisions, key=lambda d: _STRENGTH[d[0]])
                row.action = action.value
                row.columns = _columns_for(action, shape, cols)
                if action is not ErasureAction.DELETE and not row.columns:
                    row.action = ErasureAction.KEEP.value
                    row.note = _("no personal column left to change in {table}", table=r.table)
        plan.rows.append(row)
    _protect_links(plan, found, shapes)
    for f in found.files:
        if f.status != disc.MatchStatus.CONFIRMED:
            continue
        acts = [by_ref[a] for a in f.activities if a in by_ref]
        fa = FileAction(f.id, f.uri, list(f.activities), "manual")
        if not acts:
            fa.note = _("outside every declared location: decide by hand")
        else:
            fdecisions = [_file_decision(a, f.uri, f.root) for a in acts]
            fkept = [d for d in fdecisions if d[0] == "keep"]
            if fkept:
                fa.action, fa.refusal = "keep", fkept[0][1]
            elif all(d[0] == "delete" for d in fdecisions):
                fa.action = "delete"
            elif not _can_redact(f.uri):
                fa.note = _(
                    "this format cannot be redacted in place: redact it by hand or add a delete rule"
                )
            else:
                fa.action = "redact"
        plan.files.append(fa)
    changed = {a for r in plan.rows if r.action != ErasureAction.KEEP for a in r.activities}
    changed |= {a for f in plan.files if f.action in ("delete", "redact") for a in f.activities}
    plan.recipients = recipients_to_inform([by_ref[a] for a in sorted(changed) if a in by_ref])
    return plan


def _can_redact(uri: str) -> bool:
    from rgpd.requests.redact import can_redact  # redact builds on this module

    return can_redact(uri)


def _protect_links(
    plan: ErasurePlan, found: disc.DiscoveryResult, shapes: Mapping[tuple[str, str], TableShape]
) -> None:
    """A row some kept (or unseen) row still references is pseudonymised, not deleted."""
    actions = {r.match: r for r in plan.rows}
    children: dict[str, list[str]] = defaultdict(list)
    for m in found.rows:
        if m.parent:
            children[m.parent].append(m.id)
    for _pass in range(disc.MAX_DEPTH + 1):
        moved = False
        for r in plan.rows:
            if r.action != ErasureAction.DELETE:
                continue
            shape = shapes.get((r.connection, r.table.lower()))
            blocked = bool(shape and shape.children_without_key) or any(
                c not in actions or actions[c].action != ErasureAction.DELETE
                for c in children.get(r.match, [])
            )
            if blocked:
                r.action = ErasureAction.PSEUDONYMISE.value
                r.columns = _columns_for(ErasureAction.PSEUDONYMISE, shape, {})
                r.note = _("still referenced by rows that are kept: pseudonymised so links hold")
                if not r.columns:
                    r.action = ErasureAction.KEEP.value
                moved = True
        if not moved:
            return


def recipients_to_inform(activities: Iterable[Activity]) -> list[RecipientToInform]:
    """Art. 19: every recipient of the activities whose data changed."""
    out: list[RecipientToInform] = []
    seen: set[tuple[str, str]] = set()
    for a in activities:
        for rec in a.recipients:
            if (a.ref, rec.name) in seen:
                continue
            seen.add((a.ref, rec.name))
            out.append(RecipientToInform(a.ref, rec.name, rec.kind.value))
    return out


# --------------------------------------------------------------------------- shapes (edge)


def _is_text(col: Any) -> bool:
    return disc._is_text(col)


def table_shape(
    connection: str,
    table: Table,
    md: MetaData,
    *,
    personal_names: Iterable[str] = (),
) -> TableShape:
    """The planner's view of a reflected table: which columns are keys, links, personal."""
    extra = {n.lower() for n in personal_names}
    referenced: set[str] = set()
    children_without_key = False
    for other in md.tables.values():
        for fk in other.foreign_key_constraints:
            if fk.referred_table is table:
                referenced.update(e.column.name for e in fk.elements)
                if not other.primary_key.columns:
                    children_without_key = True
    fks = {e.parent.name for fk in table.foreign_key_constraints for e in fk.elements}
    cols = []
    for c in table.columns:
        sig = name_signal(c.name)
        length = getattr(c.type, "length", None)
        cols.append(
            ColumnShape(
                name=c.name,
                nullable=bool(c.nullable),
                text=_is_text(c),
                length=int(length) if isinstance(length, int) else None,
                primary_key=bool(c.primary_key),
                foreign_key=c.name in fks,
                referenced=c.name in referenced,
                personal=sig is not None or c.name.lower() in extra,
            )
        )
    return TableShape(connection, table.name, tuple(cols), children_without_key)


def _personal_from_register(activities: Sequence[Activity]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for a in activities:
        for pi in a.person_identifiers:
            if pi.column and "." in pi.column:
                t, c = pi.column.rsplit(".", 1)
                out[t.rsplit(".", 1)[-1].lower()].add(c.lower())
    return out


def _load_shapes(
    ws: Workspace,
    org: str,
    found: disc.DiscoveryResult,
    activities: Sequence[Activity],
) -> tuple[dict[tuple[str, str], TableShape], dict[str, dict[str, Any]]]:
    """Reflect each source once; read the retention dates of the rows that have a rule."""
    shapes: dict[tuple[str, str], TableShape] = {}
    values: dict[str, dict[str, Any]] = {}
    reg = _personal_from_register(activities)
    oid = ws.org_id(org)
    by_ref = {a.ref: a for a in activities}
    for conn_name in sorted({r.connection for r in found.rows}):
        scanned = disc._scan_columns(ws, oid, conn_name)
        engine, _base = disc.open_engine(ws, conn_name)
        try:
            with engine.connect() as conn:
                md = disc.reflect(conn, ws.settings.connection(conn_name).schema)
                tables = disc.tables_by_name(md)
                rows = [r for r in found.rows if r.connection == conn_name]
                for tname in sorted({r.table.lower() for r in rows}):
                    t = tables.get(tname)
                    if t is None:
                        continue
                    personal = set(reg.get(tname, set())) | set(scanned.get(tname, {}))
                    shapes[(conn_name, tname)] = table_shape(
                        conn_name, t, md, personal_names=personal
                    )
                    _read_retention(
                        conn, t, [r for r in rows if r.table.lower() == tname], by_ref, values
                    )
        finally:
            engine.dispose()
    return shapes, values


def _read_retention(
    conn: Connection,
    table: Table,
    rows: Sequence[disc.RowMatch],
    by_ref: Mapping[str, Activity],
    values: dict[str, dict[str, Any]],
) -> None:
    cols: set[str] = set()
    for r in rows:
        for a in r.activities:
            act = by_ref.get(a)
            rule = _rule(act, table=table.name) if act else None
            if rule and rule.retention_column and rule.retention_column in table.c:
                cols.add(rule.retention_column)
    if not cols or not rows:
        return
    pk = [c.name for c in table.primary_key.columns]
    by_key = {json.dumps(r.key, sort_keys=True): r.id for r in rows}
    for part in disc.chunks(list(rows)):
        q = select(*[table.c[n] for n in pk], *[table.c[c] for c in sorted(cols)]).where(
            disc.key_clause(table, [r.key for r in part])
        )
        for rec in conn.execute(q).mappings():
            k = json.dumps({n: disc.jsonable(rec[n]) for n in pk}, sort_keys=True)
            if k in by_key:
                values[by_key[k]] = {c: rec[c] for c in cols}


# --------------------------------------------------------------------------- stored fulfilments


def _request_row(ws: Workspace, org: str, ref: str) -> tuple[int, int, str]:
    from rgpd.storage.request_tables import RequestRow

    oid = ws.org_id(org)
    with ws.db.session() as s:
        req = s.execute(
            select(RequestRow).where(
                RequestRow.org_id == oid, RequestRow.reference == service.normalise_reference(ref)
            )
        ).scalar_one_or_none()
        if req is None:
            raise NotFound(_("unknown request: {ref}", ref=ref))
        return req.id, oid, req.reference


def latest_fulfilment(ws: Workspace, org: str, ref: str, kind: str) -> RequestFulfilmentRow | None:
    rid, oid, _r = _request_row(ws, org, ref)
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


def _save_fulfilment(
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
    rid, oid, reference = _request_row(ws, org, ref)
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


def _open_payload(ws: Workspace, row: RequestFulfilmentRow) -> str:
    assert row.payload is not None
    return ws.keys.open_text(row.payload, fulfilment_context(row.request_id))


# --------------------------------------------------------------------------- planning (edge)


def _checked(
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


def build_plan(ws: Workspace, org: str, ref: str, *, today: date | None = None) -> ErasurePlan:
    """Plan the erasure from the latest discovery and store it (nothing is changed yet)."""
    _checked(ws, org, ref, (RequestType.ERASURE, RequestType.OBJECTION))
    found = disc.load(ws, org, ref)
    activities = service.offered_activities(ws, org)
    today = today or service.local_today(ws)
    shapes, values = _load_shapes(ws, org, found, activities)
    plan = plan_erasure(found, activities, shapes, values, today)
    _save_fulfilment(
        ws, org, ref, "erasure", "planned", {**plan.summary(), "sources_done": [], "files_done": False},
        plan.to_json(), discovery_id=found.id, action="request.erasure_planned", details=plan.summary(),
    )  # fmt: skip
    return plan


def stored_plan(ws: Workspace, org: str, ref: str) -> tuple[ErasurePlan, RequestFulfilmentRow]:
    row = latest_fulfilment(ws, org, ref, "erasure")
    if row is None:
        raise NotFound(_("no erasure plan for {ref}: run `rgpd requests fulfil {ref}`", ref=ref))
    return ErasurePlan.from_json(_open_payload(ws, row)), row


# --------------------------------------------------------------------------- execution (edge)


@dataclass
class TableProof:
    """Counts only: what the audit log keeps of one table's change."""

    table: str
    total_before: int
    total_after: int
    person_before: int
    person_after: int
    deleted: int = 0
    updated: int = 0


@dataclass
class SourceOutcome:
    connection: str
    uri: str
    status: str  # done | skipped | failed
    tables: list[TableProof] = field(default_factory=list)
    error: str | None = None  # for the DPO's screen: a driver message may quote a value
    error_kind: str | None = None  # for the audit log: connection_lost, timeout, error...


@dataclass
class Outcome:
    """What ``execute`` did, source by source, and what is left to do by hand."""

    kind: str
    reference: str
    sources: list[SourceOutcome] = field(default_factory=list)
    files_deleted: int = 0
    files_redacted: int = 0
    files_pending: int = 0  # planned file changes not confirmed
    manual: list[str] = field(default_factory=list)  # match ids to handle by hand
    recorded: int = 0  # restriction recorded without a column to mark
    recipients: list[RecipientToInform] = field(default_factory=list)
    letter: Path | None = None

    @property
    def failed(self) -> list[SourceOutcome]:
        return [s for s in self.sources if s.status == "failed"]

    def public(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "reference": self.reference,
            "sources": [
                {
                    "connection": s.connection,
                    "status": s.status,
                    "error": s.error,
                    "tables": [asdict(t) for t in s.tables],
                }
                for s in self.sources
            ],
            "files_deleted": self.files_deleted,
            "files_redacted": self.files_redacted,
            "files_pending": self.files_pending,
            "manual": len(self.manual),
            "recorded": self.recorded,
            "recipients": [asdict(r) for r in self.recipients],
            "letter": str(self.letter) if self.letter else None,
        }


def pseudonym(
    ws: Workspace,
    connection: str,
    table: str,
    key: Mapping[str, Any],
    column: str,
    length: int | None,
) -> str:
    """A stable pseudonym: the same row and column always get the same one (idempotent re-runs).

    Keyed (never a bare hash of the row key, which anyone could recompute) under its own
    purpose, so a pseudonym can never be compared with a blind-index token.
    """
    mac = ws.keys.keyed_digest(
        "erasure-pseudonym",
        json.dumps(
            [connection, table.lower(), dict(key), column.lower()], sort_keys=True, default=str
        ),
    )
    value = f"anon-{mac[:12]}"
    if length is not None and length < len(value):
        value = mac[: max(1, length)]
    return value


def _person_count(conn: Connection, table: Table, keys: Sequence[Mapping[str, Any]]) -> int:
    n = 0
    for part in disc.chunks(list(keys)):
        n += int(
            conn.execute(
                select(func.count()).select_from(table).where(disc.key_clause(table, part))
            ).scalar_one()
        )
    return n


def _total(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _delete_order(md: MetaData) -> dict[str, int]:
    """Children before parents: the reverse of the dependency order."""
    order = [t.name.lower() for t in md.sorted_tables]
    return {n: len(order) - i for i, n in enumerate(order)}


def _run_source(
    ws: Workspace,
    connection: str,
    rows: Sequence[RowAction],
    apply: Callable[
        [Connection, dict[str, Table], Sequence[RowAction]], dict[str, tuple[int, int]]
    ],
) -> SourceOutcome:
    """One transaction on one database: counts before, changes, counts after, commit.

    Any failure — a constraint, a statement timeout, the connection killed —
    leaves the transaction uncommitted, which the server rolls back whole.
    """
    engine, base = disc.open_engine(ws, connection, write=True)
    out = SourceOutcome(connection, base, "failed")
    try:
        with engine.connect() as conn:
            trans = conn.begin()
            try:
                md = disc.reflect(conn, ws.settings.connection(connection).schema)
                tables = disc.tables_by_name(md)
                by_table: dict[str, list[RowAction]] = defaultdict(list)
                for r in rows:
                    by_table[r.table.lower()].append(r)
                missing = [t for t in by_table if t not in tables]
                if missing:
                    raise InvalidInput(
                        "plan", _("tables no longer exist: {t}", t=", ".join(missing))
                    )
                before = {
                    t: (
                        _total(conn, tables[t]),
                        _person_count(conn, tables[t], [r.key for r in rs]),
                    )
                    for t, rs in by_table.items()
                }
                changed = apply(conn, tables, rows)
                for t, rs in sorted(by_table.items()):
                    d, u = changed.get(t, (0, 0))
                    out.tables.append(
                        TableProof(
                            t, before[t][0], _total(conn, tables[t]), before[t][1],
                            _person_count(conn, tables[t], [r.key for r in rs]), d, u,
                        )
                    )  # fmt: skip
                trans.commit()
                out.status = "done"
            except BaseException:
                # the connection may be gone: then the server rolled back already
                with contextlib.suppress(SQLAlchemyError):
                    trans.rollback()
                raise
    except (SQLAlchemyError, InvalidInput) as exc:
        from rgpd.scan.database import db_message

        if isinstance(exc, SQLAlchemyError):
            from rgpd.scan.database import db_failure_reason

            out.error, out.error_kind = db_message(exc, []), db_failure_reason(exc)
        else:
            out.error, out.error_kind = str(exc), "invalid_plan"
        out.tables = []
    finally:
        engine.dispose()
    return out


def _apply_erasure(
    ws: Workspace,
) -> Callable[[Connection, dict[str, Table], Sequence[RowAction]], dict[str, tuple[int, int]]]:
    def apply(
        conn: Connection, tables: dict[str, Table], rows: Sequence[RowAction]
    ) -> dict[str, tuple[int, int]]:
        md = next(iter(tables.values())).metadata
        order = _delete_order(md)
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for r in rows:
            if r.action in (ErasureAction.PSEUDONYMISE, ErasureAction.SET_NULL) and r.columns:
                t = tables[r.table.lower()]
                vals: dict[str, Any] = {}
                for cname, how in r.columns.items():
                    col = t.c[cname]
                    if how == ErasureAction.SET_NULL:
                        vals[cname] = None
                    else:
                        length = getattr(col.type, "length", None)
                        vals[cname] = pseudonym(ws, r.connection, r.table, r.key, cname, length)
                res = conn.execute(update(t).where(disc.key_clause(t, [r.key])).values(vals))
                counts[t.name.lower()][1] += int(res.rowcount or 0)
        deletes = [r for r in rows if r.action == ErasureAction.DELETE]
        for tname in sorted({r.table.lower() for r in deletes}, key=lambda n: -order.get(n, 0)):
            t = tables[tname]
            keys = [r.key for r in deletes if r.table.lower() == tname]
            for part in disc.chunks(keys):
                res = conn.execute(delete(t).where(disc.key_clause(t, part)))
                counts[tname][0] += int(res.rowcount or 0)
        return {k: (v[0], v[1]) for k, v in counts.items()}

    return apply


def _finish_source(
    ws: Workspace, org: str, ref: str, fulfilment_id: int, kind: str, src: SourceOutcome
) -> None:
    """Record one source's proof (counts only) in the audit log and the fulfilment."""
    actor = service.actor_of(ws)
    with ws.db.session() as s:
        row = s.get(RequestFulfilmentRow, fulfilment_id)
        assert row is not None
        summary = dict(row.summary)
        if src.status == "done":
            summary["sources_done"] = sorted({*summary.get("sources_done", []), src.connection})
        proofs = dict(summary.get("proof", {}))
        proofs[src.connection] = {
            "status": src.status,
            "at": utcnow().isoformat(),
            "tables": [asdict(t) for t in src.tables],
        }
        summary["proof"] = proofs
        row.summary = summary
        audit.append(
            s,
            action=f"request.{kind}_{'executed' if src.status == 'done' else 'failed'}",
            entity="request",
            entity_ref=service.normalise_reference(ref),
            actor=actor,
            org=org,
            details={
                "source": src.uri,
                "status": src.status,
                "error": src.error_kind,
                "tables": [asdict(t) for t in src.tables],
                "fulfilment": fulfilment_id,
            },
        )


def _set_state(ws: Workspace, fulfilment_id: int, state: str, **summary: Any) -> None:
    with ws.db.session() as s:
        row = s.get(RequestFulfilmentRow, fulfilment_id)
        assert row is not None
        row.state = state
        if summary:
            row.summary = {**row.summary, **summary}


def execute_erasure(
    ws: Workspace,
    org: str,
    ref: str,
    *,
    files: bool = False,
    letter_dir: Path | None = None,
) -> Outcome:
    """Apply the stored plan (planning first if there is none); see the module docstring.

    Raises :class:`PartialFailure` (carrying the outcome) when a source failed:
    that source is unchanged, and running this again completes it.
    """
    try:
        plan, row = stored_plan(ws, org, ref)
    except NotFound:
        build_plan(ws, org, ref)
        plan, row = stored_plan(ws, org, ref)
    if row.state == "executed":
        raise Conflict(_("the erasure of {ref} was already executed", ref=ref))
    fid = row.id
    done = set(row.summary.get("sources_done", []))
    out = Outcome("erasure", plan.reference, recipients=plan.recipients)
    out.manual = [f.match for f in plan.files if f.action == "manual"] + [
        r.match for r in plan.rows if r.refusal and r.refusal.article == ART_BASIS
    ]
    for conn_name in plan.sources():
        rows = plan.acting_rows(conn_name)
        if conn_name in done or not rows:
            out.sources.append(SourceOutcome(conn_name, "", "skipped"))
            continue
        src = _run_source(ws, conn_name, rows, _apply_erasure(ws))
        _finish_source(ws, org, ref, fid, "erasure", src)
        out.sources.append(src)
    planned_files = [f for f in plan.files if f.action in ("delete", "redact")]
    if files and not row.summary.get("files_done"):
        person = _person(ws, org, ref)
        d, r, by_hand = _apply_files(ws, org, ref, fid, planned_files, person)
        out.files_deleted, out.files_redacted = d, r
        out.manual += by_hand
    elif not files:
        out.files_pending = len(planned_files) if not row.summary.get("files_done") else 0
    if out.failed:
        _set_state(ws, fid, "partial")
        raise _partial(out)
    _set_state(ws, fid, "executed" if not out.files_pending else "partial")
    if letter_dir is not None:
        out.letter = draft_letter(ws, org, ref, letter_dir)
    return out


class ExecutionFailed(PartialFailure):
    """A source failed and was rolled back; ``outcome`` says what the others did."""

    def __init__(self, message: str, failures: list[str], outcome: Outcome) -> None:
        super().__init__(message, failures)
        self.outcome = outcome


def _partial(out: Outcome) -> ExecutionFailed:
    return ExecutionFailed(
        _(
            "{n} source(s) failed and were left unchanged: run it again to complete",
            n=len(out.failed),
        ),
        [f"{s.connection}: {s.error}" for s in out.failed],
        out,
    )


# --------------------------------------------------------------------------- files


def _person(ws: Workspace, org: str, ref: str) -> disc.Person:
    record = service.get(ws, org, ref, reveal=True)
    assert record.submission is not None
    acts = disc.concerned_activities(service.offered_activities(ws, org), record.request.activities)
    return disc.person_from_submission(record.submission, acts)


def _fold_keep_length(text: str) -> str:
    """Case- and accent-folded text of the same length (offsets stay valid)."""
    out = []
    for c in text:
        d = unicodedata.normalize("NFKD", c)
        base = d[0] if d else c
        low = base.lower()
        out.append(low if len(low) == 1 else base)
    return "".join(out)


def person_spans(text: str, person: disc.Person, *, detector: Any = None) -> list[tuple[int, int]]:
    """Where the person's own identifiers and name appear in ``text`` (for redaction)."""
    spans: list[tuple[int, int]] = []
    folded = _fold_keep_length(text)
    for p in person.probes:
        for v in _text_forms(p):
            for m in re.finditer(re.escape(_fold_keep_length(v)), folded):
                spans.append((m.start(), m.end()))
    pat = disc._name_pattern(person)
    if pat is not None:
        spans += [(m.start(), m.end()) for m in pat.finditer(folded)]
    if detector is not None:
        for d in detector.detect(text):
            if is_persons(d.entity_type, d.value, person):
                spans.append((d.start, d.end))
    return merge_spans(spans)


def _text_forms(p: disc.Probe) -> list[str]:
    class _Col:  # variants() asks for a column: a text one
        type = sqltypes.String()

    forms = [v for v in disc.variants(p, _Col()) if isinstance(v, str) and len(v) >= 4]  # type: ignore[arg-type]
    return sorted(set(forms), key=len, reverse=True)


def is_persons(entity: str, value: str, person: disc.Person) -> bool:
    """Is a detected value the person's own (kept in their copy, erased from files)?"""
    if entity == Entity.PERSON:
        words = frozenset(normalise(Entity.PERSON, value).split())
        return bool(words) and words <= person.name_words
    if entity == Entity.DATE_OF_BIRTH:
        return bool(person.birth_date) and normalise(entity, value) == (
            person.birth_date.isoformat() if person.birth_date else ""
        )
    if entity == Entity.LOCATION and person.address:
        return normalise(entity, value) in normalise(entity, person.address)
    norm = normalise(entity, value)
    return any(p.entity == entity and normalise(entity, p.value) == norm for p in person.probes)


def merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def redact(text: str, spans: Sequence[tuple[int, int]], marker: str = REDACTED) -> str:
    parts, last = [], 0
    for s, e in merge_spans(spans):
        parts.append(text[last:s])
        parts.append(marker)
        last = e
    parts.append(text[last:])
    return "".join(parts)


def _apply_files(
    ws: Workspace, org: str, ref: str, fid: int, files: Sequence[FileAction], person: disc.Person
) -> tuple[int, int, list[str]]:
    from rgpd.errors import SourceError
    from rgpd.requests.redact import person_finder, redact_in_place
    from rgpd.scan.detect import Detector
    from rgpd.scan.findings import uri_hash

    detector = Detector(depth="quick")
    deleted = redacted = 0
    done: list[dict[str, Any]] = []
    manual: list[str] = []  # could not be redacted completely: the original is untouched
    for f in files:
        path = Path(f.uri)
        if not path.exists():
            done.append({"source": uri_hash(f.uri), "action": "absent"})
            continue
        before = sha256_hex(path.read_bytes())
        if f.action == "delete":
            path.unlink()
            deleted += 1
            done.append({"source": uri_hash(f.uri), "action": "deleted", "sha256_before": before})
            continue
        try:  # a redacted copy in the file's own format (a text PDF for a PDF): redact.py
            res = redact_in_place(path, person_finder(path, person, detector), mask=REDACTED)
        except SourceError as exc:
            manual.append(f.match)
            done.append({"source": uri_hash(f.uri), "action": "manual", "error": exc.reason})
            continue
        if not res.complete:
            manual.append(f.match)
        elif res.replacements:
            redacted += 1
        done.append(
            {
                "source": uri_hash(f.uri),
                "action": "redacted" if res.complete else "manual",
                "format": res.format,
                "layout_kept": res.layout_kept,
                "sha256_before": before,
                "sha256_after": res.sha256_after,
            }
        )
    _forget_in_index(ws, org, [f for f in files if f.match not in manual], person)
    actor = service.actor_of(ws)
    with ws.db.session() as s:
        row = s.get(RequestFulfilmentRow, fid)
        assert row is not None
        row.summary = {**row.summary, "files_done": True}
        audit.append(
            s,
            action="request.erasure_files",
            entity="request",
            entity_ref=service.normalise_reference(ref),
            actor=actor,
            org=org,
            details={
                "deleted": deleted,
                "redacted": redacted,
                "manual": len(manual),
                "files": done,
                "fulfilment": fid,
            },
        )
    return deleted, redacted, manual


def _forget_in_index(
    ws: Workspace, org: str, files: Sequence[FileAction], person: disc.Person
) -> None:
    """Keep the blind index truthful: erased files no longer answer for the person."""
    from rgpd.scan.findings import uri_hash
    from rgpd.storage.scan_tables import FindingRow, FindingValueRow, ScanSourceRow

    oid = ws.org_id(org)
    tokens = [ws.keys.blind_index(e, n) for e, _k, n in disc.file_probes(person)]
    if person.has_name:
        tokens.append(
            ws.keys.blind_index(
                Entity.PERSON, normalise(Entity.PERSON, f"{person.first_name} {person.last_name}")
            )
        )
    with ws.db.session() as s:
        for f in files:
            src = s.execute(
                select(ScanSourceRow).where(
                    ScanSourceRow.org_id == oid, ScanSourceRow.uri_hash == uri_hash(f.uri)
                )
            ).scalar_one_or_none()
            if src is None:
                continue
            if f.action == "delete":
                s.execute(delete(FindingValueRow).where(FindingValueRow.source_id == src.id))
                s.execute(delete(FindingRow).where(FindingRow.source_id == src.id))
                src.status = "gone"
            elif tokens:
                s.execute(
                    delete(FindingValueRow).where(
                        FindingValueRow.source_id == src.id, FindingValueRow.token.in_(tokens)
                    )
                )


# --------------------------------------------------------------------------- rectification


@dataclass
class Correction:
    match: str
    connection: str
    table: str
    key: dict[str, Any]
    column: str
    value: Any = field(repr=False)


def _convert(col: Any, text: str) -> Any:
    """A corrected value typed by the DPO, in the column's type (checked before any change)."""
    t = col.type
    try:
        if text == "":
            return None
        if isinstance(t, sqltypes.Boolean):
            return text.strip().lower() in ("1", "true", "oui", "yes", "vrai")
        if isinstance(t, sqltypes.Integer):
            return int(text)
        if isinstance(t, sqltypes.DateTime):
            return datetime.fromisoformat(text)
        if isinstance(t, sqltypes.Date):
            return date.fromisoformat(text)
        if isinstance(t, sqltypes.Numeric):
            return Decimal(text)
    except (ValueError, InvalidOperation):
        raise InvalidInput(col.name, _("not a valid value for this column")) from None
    length = getattr(t, "length", None)
    if isinstance(length, int) and len(text) > length:
        raise InvalidInput(col.name, _("at most {n} characters", n=length))
    return text


def plan_rectification(
    ws: Workspace, org: str, ref: str, corrections: Mapping[str, str]
) -> list[Correction]:
    """The cells a rectification changes: ``table.column`` (or ``column``) on the rows found.

    Only rows matched directly (not reached through a foreign key) and
    confirmed are corrected: a parent's correction is not the children's.
    """
    _checked(ws, org, ref, (RequestType.RECTIFICATION,))
    if not corrections:
        raise InvalidInput("--set", _("give the corrections as TABLE.COLUMN=VALUE"))
    found = disc.load(ws, org, ref)
    direct = [r for r in found.confirmed_rows() if r.parent is None]
    out: list[Correction] = []
    for target, value in corrections.items():
        table, _sep, column = target.rpartition(".")
        rows = [
            r for r in direct if not table or r.table.lower() == table.rsplit(".", 1)[-1].lower()
        ]
        hit = False
        for conn_name in sorted({r.connection for r in rows}):
            engine, _b = disc.open_engine(ws, conn_name)
            try:
                with engine.connect() as conn:
                    md = disc.reflect(conn, ws.settings.connection(conn_name).schema)
                    tables = disc.tables_by_name(md)
                    for r in rows:
                        if r.connection != conn_name:
                            continue
                        t = tables.get(r.table.lower())
                        col = (
                            next((c for c in t.columns if c.name.lower() == column.lower()), None)
                            if t is not None
                            else None
                        )
                        if col is None:
                            continue
                        if col.primary_key:
                            raise InvalidInput(target, _("a primary key is not rectified here"))
                        out.append(
                            Correction(
                                r.id,
                                conn_name,
                                r.table,
                                dict(r.key),
                                col.name,
                                _convert(col, value),
                            )
                        )
                        hit = True
            finally:
                engine.dispose()
        if not hit:
            raise InvalidInput(target, _("no row found for this person has this column"))
    return out


def _apply_corrections(
    corrections: Sequence[Correction],
) -> Callable[[Connection, dict[str, Table], Sequence[RowAction]], dict[str, tuple[int, int]]]:
    def apply(
        conn: Connection, tables: dict[str, Table], _rows: Sequence[RowAction]
    ) -> dict[str, tuple[int, int]]:
        counts: dict[str, int] = defaultdict(int)
        for c in corrections:
            t = tables[c.table.lower()]
            res = conn.execute(
                update(t).where(disc.key_clause(t, [c.key])).values({c.column: c.value})
            )
            counts[t.name.lower()] += int(res.rowcount or 0)
        return {k: (0, v) for k, v in counts.items()}

    return apply


def rectify(
    ws: Workspace,
    org: str,
    ref: str,
    corrections: Mapping[str, str],
    *,
    execute: bool = False,
    letter_dir: Path | None = None,
) -> tuple[list[Correction], Outcome | None]:
    """Art. 16: plan (default) or apply corrections, one transaction per database."""
    planned = plan_rectification(ws, org, ref, corrections)
    if not execute:
        return planned, None
    activities = service.offered_activities(ws, org)
    found = disc.load(ws, org, ref)
    acts = {a for r in found.rows if r.id in {c.match for c in planned} for a in r.activities}
    out = Outcome("rectification", service.normalise_reference(ref))
    out.recipients = recipients_to_inform([a for a in activities if a.ref in acts])
    summary = {"cells": len(planned), "columns": sorted({f"{c.table}.{c.column}" for c in planned})}
    payload = json.dumps([asdict(c) for c in planned], default=disc.jsonable)
    fid = _save_fulfilment(
        ws, org, ref, "rectification", "planned", {**summary, "sources_done": []}, payload,
        discovery_id=found.id, action="request.rectification_planned", details=summary,
    )  # fmt: skip
    for conn_name in sorted({c.connection for c in planned}):
        mine = [c for c in planned if c.connection == conn_name]
        stub = [RowAction(c.match, c.connection, None, c.table, c.key, [], "rectify") for c in mine]
        src = _run_source(ws, conn_name, stub, _apply_corrections(mine))
        _finish_source(ws, org, ref, fid, "rectification", src)
        out.sources.append(src)
    if out.failed:
        _set_state(ws, fid, "partial")
        raise _partial(out)
    _set_state(ws, fid, "executed")
    if letter_dir is not None:
        out.letter = draft_letter(ws, org, ref, letter_dir)
    return planned, out


# --------------------------------------------------------------------------- restriction


@dataclass
class RestrictionPlan:
    marked: list[RowAction] = field(default_factory=list)  # rows with a restriction column
    recorded: list[str] = field(default_factory=list)  # match ids restricted by record only


def _mark_value(col: Any, today: date) -> Any:
    t = col.type
    if isinstance(t, sqltypes.Boolean):
        return True
    if isinstance(t, sqltypes.Integer):
        return 1
    if isinstance(t, sqltypes.DateTime):
        return datetime.combine(today, datetime.min.time())
    if isinstance(t, sqltypes.Date):
        return today
    return "oui"


def plan_restriction(ws: Workspace, org: str, ref: str) -> RestrictionPlan:
    """Art. 18: rows whose table has a restriction column are marked; the rest is recorded."""
    _checked(ws, org, ref, (RequestType.RESTRICTION,))
    found = disc.load(ws, org, ref)
    plan = RestrictionPlan()
    for conn_name in sorted({r.connection for r in found.confirmed_rows()}):
        rows = [r for r in found.confirmed_rows() if r.connection == conn_name]
        engine, _b = disc.open_engine(ws, conn_name)
        try:
            with engine.connect() as conn:
                md = disc.reflect(conn, ws.settings.connection(conn_name).schema)
                tables = disc.tables_by_name(md)
                for r in rows:
                    t = tables.get(r.table.lower())
                    shape = table_shape(conn_name, t, md) if t is not None else None
                    col = shape.restriction_column if shape else None
                    if col is None:
                        plan.recorded.append(r.id)
                        continue
                    plan.marked.append(
                        RowAction(r.id, conn_name, r.schema, r.table, dict(r.key), list(r.activities),
                                  "restrict", columns={col: "restrict"})
                    )  # fmt: skip
        finally:
            engine.dispose()
    plan.recorded += [f.id for f in found.confirmed_files()]
    return plan


def _apply_restriction(
    today: date,
) -> Callable[[Connection, dict[str, Table], Sequence[RowAction]], dict[str, tuple[int, int]]]:
    def apply(
        conn: Connection, tables: dict[str, Table], rows: Sequence[RowAction]
    ) -> dict[str, tuple[int, int]]:
        counts: dict[str, int] = defaultdict(int)
        for r in rows:
            t = tables[r.table.lower()]
            col = next(iter(r.columns))
            res = conn.execute(
                update(t)
                .where(disc.key_clause(t, [r.key]))
                .values({col: _mark_value(t.c[col], today)})
            )
            counts[t.name.lower()] += int(res.rowcount or 0)
        return {k: (0, v) for k, v in counts.items()}

    return apply


def restrict(
    ws: Workspace, org: str, ref: str, *, execute: bool = False, letter_dir: Path | None = None
) -> tuple[RestrictionPlan, Outcome | None]:
    """Art. 18: plan (default) or mark the rows, and record the restriction of the others."""
    plan = plan_restriction(ws, org, ref)
    if not execute:
        return plan, None
    found = disc.load(ws, org, ref)
    summary = {"marked": len(plan.marked), "recorded": len(plan.recorded)}
    payload = json.dumps({"marked": [r.match for r in plan.marked], "recorded": plan.recorded})
    fid = _save_fulfilment(
        ws, org, ref, "restriction", "planned", {**summary, "sources_done": []}, payload,
        discovery_id=found.id, action="request.restriction_recorded", details=summary,
    )  # fmt: skip
    out = Outcome("restriction", service.normalise_reference(ref), recorded=len(plan.recorded))
    today = service.local_today(ws)
    for conn_name in sorted({r.connection for r in plan.marked}):
        src = _run_source(
            ws,
            conn_name,
            [r for r in plan.marked if r.connection == conn_name],
            _apply_restriction(today),
        )
        _finish_source(ws, org, ref, fid, "restriction", src)
        out.sources.append(src)
    if out.failed:
        _set_state(ws, fid, "partial")
        raise _partial(out)
    _set_state(ws, fid, "executed")
    if letter_dir is not None:
        out.letter = draft_letter(ws, org, ref, letter_dir)
    return plan, out


# --------------------------------------------------------------------------- closing letter


def draft_letter(ws: Workspace, org: str, ref: str, out_dir: Path, *, pdf: bool = False) -> Path:
    """The answer letter (letters.py, ``answer``) drafted for the DPO to complete and send."""
    from rgpd.requests import letters

    letter = letters.render_letter(ws, org, ref, letters.LetterKind.ANSWER)
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = out_dir / f"{letter.reference}-{letter.kind.value}-{letter.lang}.txt"
    path.write_text(f"{letter.subject}\n\n{letter.text}", encoding="utf-8")
    (out_dir / f"{letter.reference}-{letter.kind.value}-{letter.lang}.html").write_text(
        letter.html, encoding="utf-8"
    )
    if pdf:
        (out_dir / letter.filename).write_bytes(letters.to_pdf(letter))
    return path
