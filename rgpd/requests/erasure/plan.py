"""The erasure plan (Art. 17): pure decisions per row and file, and the edge that builds and stores it."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, MetaData, Table, select

from rgpd.deadlines import retention_end
from rgpd.errors import NotFound
from rgpd.i18n import _
from rgpd.registry.model import (
    Activity,
    ErasureAction,
    ErasureRule,
    LegalBasis,
)
from rgpd.requests import discovery as disc
from rgpd.requests import service
from rgpd.requests.erasure.store import (
    checked_request,
    latest_fulfilment,
    open_payload,
    save_fulfilment,
)
from rgpd.requests.model import RequestType
from rgpd.requests.redact import can_redact
from rgpd.scan.columns import name_signal
from rgpd.storage.fulfil_tables import RequestFulfilmentRow
from rgpd.taxonomy import DESCRIPTIVE_ENTITIES
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


_STRENGTH = {
    ErasureAction.DELETE: 0,
    ErasureAction.SET_NULL: 1,
    ErasureAction.PSEUDONYMISE: 2,
    ErasureAction.KEEP: 3,
}


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
    strategy = activity.erasure
    if strategy is not None and strategy.legal_hold:
        return "keep", Refusal(ART_E, _("legal hold: {why}", why=strategy.legal_hold))
    rule = None
    if strategy is not None:
        rule = next(
            (r for r in strategy.rules if r.path and disc.location_covers(r.path, uri, root)),
            None,
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
    links: Mapping[str, Collection[str]] | None = None,
) -> ErasurePlan:
    """Decide, for every confirmed row and file, what erasure does (pure: no I/O).

    ``shapes`` maps (connection, table) to the reflected table shape;
    ``values`` maps a row match id to the values of its retention columns;
    ``links`` maps a row match id to the ids of every row referencing it in the
    database (:func:`~rgpd.requests.discovery.referencing_rows`); without it,
    the links discovery followed stand in.
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
    _protect_links(plan, found, shapes, links)
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
            elif not can_redact(f.uri):
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


def _protect_links(
    plan: ErasurePlan,
    found: disc.DiscoveryResult,
    shapes: Mapping[tuple[str, str], TableShape],
    links: Mapping[str, Collection[str]] | None,
) -> None:
    """A row some kept (or unseen) row still references is pseudonymised, not deleted.

    Deleting it would fail (RESTRICT), delete someone else's row (CASCADE) or
    change it (SET NULL): only the person's rows may change.
    """
    actions = {r.match: r for r in plan.rows}
    children: dict[str, list[str]] = defaultdict(list)
    if links is not None:
        for parent, kids in links.items():
            children[parent].extend(kids)
    else:
        for m in found.rows:
            if m.parent:
                children[m.parent].append(m.id)
    for _pass in range(len(plan.rows) + 1):
        moved = False
        for r in plan.rows:
            if r.action != ErasureAction.DELETE:
                continue
            shape = shapes.get((r.connection, r.table.lower()))
            # with the database's own links, a row of a table without a key that points
            # here is named (UNKEYED); without them, any such table blocks the delete
            unkeyed = links is None and bool(shape and shape.children_without_key)
            blocked = unkeyed or any(
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


def table_shape(
    connection: str,
    table: Table,
    md: MetaData,
    *,
    personal_names: Iterable[str] = (),
) -> TableShape:
    """The planner's view of a reflected table: which columns are keys, links, personal.

    A column is personal when its name says what identifies someone or a password
    (``name_signal``), or when ``personal_names`` says so. A sex code or an income
    (``DESCRIPTIVE_ENTITIES``) identifies no one: a pseudonymised row keeps it.
    """
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
        identifies = sig is not None and sig.entity_type not in DESCRIPTIVE_ENTITIES
        length = getattr(c.type, "length", None)
        cols.append(
            ColumnShape(
                name=c.name,
                nullable=bool(c.nullable),
                text=disc.is_text(c),
                length=int(length) if isinstance(length, int) else None,
                primary_key=bool(c.primary_key),
                foreign_key=c.name in fks,
                referenced=c.name in referenced,
                personal=identifies or c.name.lower() in extra,
            )
        )
    return TableShape(connection, table.name, tuple(cols), children_without_key)


def identifying_columns(found: Mapping[str, Collection[str]]) -> set[str]:
    """Columns where a scan found something that identifies (or opens the account of)
    someone: a column that holds only a sex code or an income (``DESCRIPTIVE_ENTITIES``)
    is kept by a pseudonymisation."""
    return {c for c, ents in found.items() if set(ents) - DESCRIPTIVE_ENTITIES}


def _personal_from_register(activities: Sequence[Activity]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for a in activities:
        for pi in a.person_identifiers:
            if pi.column and "." in pi.column:
                t, c = pi.column.rsplit(".", 1)
                out[t.rsplit(".", 1)[-1].lower()].add(c.lower())
    return out


def load_shapes(
    ws: Workspace,
    org: str,
    found: disc.DiscoveryResult,
    activities: Sequence[Activity],
) -> tuple[dict[tuple[str, str], TableShape], dict[str, dict[str, Any]], dict[str, set[str]]]:
    """Reflect each source once; read the retention dates of the rows that have a rule,
    and which rows reference each confirmed row (found by discovery or not)."""
    shapes: dict[tuple[str, str], TableShape] = {}
    values: dict[str, dict[str, Any]] = {}
    links: dict[str, set[str]] = {}
    reg = _personal_from_register(activities)
    oid = ws.org_id(org)
    by_ref = {a.ref: a for a in activities}
    for conn_name in sorted({r.connection for r in found.rows}):
        scanned = disc.scan_columns(ws, oid, conn_name)
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
                    found_here = identifying_columns(scanned.get(tname, {}))
                    personal = set(reg.get(tname, set())) | found_here
                    shapes[(conn_name, tname)] = table_shape(
                        conn_name, t, md, personal_names=personal
                    )
                    _read_retention(
                        conn, t, [r for r in rows if r.table.lower() == tname], by_ref, values
                    )
                confirmed = [r for r in rows if r.status == disc.MatchStatus.CONFIRMED]
                links.update(disc.referencing_rows(conn, md, conn_name, confirmed))
        finally:
            engine.dispose()
    return shapes, values, links


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


def build_plan(ws: Workspace, org: str, ref: str, *, today: date | None = None) -> ErasurePlan:
    """Plan the erasure from the latest discovery and store it (nothing is changed yet)."""
    checked_request(ws, org, ref, (RequestType.ERASURE, RequestType.OBJECTION))
    found = disc.load(ws, org, ref)
    activities = service.offered_activities(ws, org)
    today = today or service.local_today(ws)
    shapes, values, links = load_shapes(ws, org, found, activities)
    plan = plan_erasure(found, activities, shapes, values, today, links)
    save_fulfilment(
        ws, org, ref, "erasure", "planned", {**plan.summary(), "sources_done": [], "files_done": False},
        plan.to_json(), discovery_id=found.id, action="request.erasure_planned", details=plan.summary(),
    )  # fmt: skip
    return plan


def stored_plan(ws: Workspace, org: str, ref: str) -> tuple[ErasurePlan, RequestFulfilmentRow]:
    row = latest_fulfilment(ws, org, ref, "erasure")
    if row is None:
        raise NotFound(_("no erasure plan for {ref}: run `rgpd requests fulfil {ref}`", ref=ref))
    return ErasurePlan.from_json(open_payload(ws, row)), row
