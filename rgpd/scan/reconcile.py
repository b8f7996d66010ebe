"""Findings held against the register: where what scans found contradicts what is declared.

The rules (:func:`reconcile`) are plain functions of register activities, findings
and scan coverage; :func:`run_reconcile` is the edge that loads them from the
store and keeps the results (``reconcile_results``) for the reports.

Rules, each naming the article it enforces:

* ``undeclared_processing`` (Art. 30(1)): personal data found in a location no
  activity declares;
* ``special_category_undeclared`` (Art. 9(1), Art. 10): special-category data
  found where the activity declares no such category;
* ``nir_unauthorised`` (décret n° 2019-341, GDPR Art. 87): a NIR found in an
  activity that claims no category of the décret (list kept in
  :mod:`rgpd.registry.rules`);
* ``retention_overrun`` (Art. 5(1)(e)): files with personal data last modified
  longer ago than the activity keeps its data, with the list to review; a file
  is overdue only if *every* activity whose location holds it has run out;
* ``location_not_scanned`` (Art. 5(2)): a declared location no scan covered
  recently, so the register cannot be checked there;
* ``category_never_seen`` (Art. 30(1)(c), Art. 5(1)(c)): a declared category no
  scan ever saw in the activity's (scanned) locations: the register may be
  inaccurate, or data is declared that is not needed;
* ``password_weakly_stored`` (Art. 32(1)(a); CNIL délibération n° 2022-100): a
  password column whose sampled values are in clear or under a fast hash (MD5,
  SHA-1, NTLM...), whatever the register says: the flaw is in the system itself.

Matching (which declared location holds a finding) is :mod:`rgpd.registry.locations`,
the one set of glob rules shared with the findings filter, the reports and the
requests.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from rgpd import labels
from rgpd.i18n import N_, _, _n
from rgpd.registry.locations import Place, covers, describe, root_covers
from rgpd.registry.model import Activity, DataLocation, retention_end_for
from rgpd.registry.rules import NIR_CATEGORIES, nir_authorised
from rgpd.taxonomy import CATEGORIES, SPECIAL_ENTITIES, Entity, categories_for_entity

#: A declared location not looked at by any scan for this long is "not covered recently".
RECENT_DAYS = 31
#: Sources listed per result (the count is always complete).
MAX_LISTED = 200


class Rule(StrEnum):
    UNDECLARED = "undeclared_processing"
    SPECIAL_UNDECLARED = "special_category_undeclared"
    NIR_UNAUTHORISED = "nir_unauthorised"
    RETENTION_OVERRUN = "retention_overrun"
    NOT_SCANNED = "location_not_scanned"
    NEVER_SEEN = "category_never_seen"
    PASSWORD_WEAK = "password_weakly_stored"


ARTICLES: dict[Rule, str] = {
    Rule.UNDECLARED: "Art. 30(1)",
    Rule.SPECIAL_UNDECLARED: "Art. 9(1)",
    Rule.NIR_UNAUTHORISED: "décret n° 2019-341 ; Art. 87",
    Rule.RETENTION_OVERRUN: "Art. 5(1)(e)",
    Rule.NOT_SCANNED: "Art. 5(2)",
    Rule.NEVER_SEEN: "Art. 30(1)(c)",
    Rule.PASSWORD_WEAK: "Art. 32(1)(a)",
}

SEVERITY: dict[Rule, str] = {
    Rule.UNDECLARED: "error",
    Rule.SPECIAL_UNDECLARED: "error",
    Rule.NIR_UNAUTHORISED: "error",
    Rule.RETENTION_OVERRUN: "warning",
    Rule.NOT_SCANNED: "warning",
    Rule.NEVER_SEEN: "info",
    Rule.PASSWORD_WEAK: "error",
}


#: Worst first: how results and groups of results are ordered.
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class FoundItem:
    """One stored finding, as the rules need it (no value, masked or not)."""

    kind: str  # file | member | column
    uri: str
    entity_type: str
    special_category: bool = False
    root: str | None = None  # scanned root (files) or connection name (databases)
    path: str | None = None  # files: the file (an archive member's container)
    schema: str | None = None
    table: str | None = None
    column: str | None = None
    modified_at: datetime | None = None  # files: last modification (UTC)
    #: columns: how a password column keeps its values (rgpd.scan.columns.PasswordStorage)
    password_storage: str | None = None


@dataclass(frozen=True)
class Coverage:
    """Something a scan looked at, and when: a file, a scanned root, a table."""

    kind: str  # file | root | table
    scanned_at: datetime | None
    path: str | None = None  # file path or root folder
    root: str | None = None  # files: scanned root; tables: connection name
    schema: str | None = None
    table: str | None = None


@dataclass(frozen=True)
class ReconcileItem:
    rule: Rule
    severity: str
    activity_ref: str | None
    location: str
    entity_type: str | None
    article: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str, str]:
        """Identity across runs: what makes a contradiction "new" in the e-mail summary."""
        return (self.rule.value, self.activity_ref or "", self.location, self.entity_type or "")

    def public(self) -> dict[str, Any]:
        return {
            "rule": self.rule.value,
            "severity": self.severity,
            "activity": self.activity_ref,
            "location": self.location,
            "entity_type": self.entity_type,
            "article": self.article,
            "message": self.message,
            "details": self.details,
        }


# --------------------------------------------------------------------- matching
# One home for "does this declared location cover it?": rgpd.registry.locations.


def _place(item: FoundItem) -> Place:
    if item.kind in ("file", "member"):
        return Place.file(item.path or item.uri.split("!", 1)[0], item.root)
    return Place.column_of(item.root, item.schema, item.table, item.column)


def location_matches(loc: DataLocation, item: FoundItem) -> bool:
    """Does the declared location hold this finding? (:func:`rgpd.registry.locations.covers`)"""
    if item.kind not in ("file", "member", "column", "table"):
        return False
    return covers(loc, _place(item))


def location_covered(loc: DataLocation, cov: Coverage) -> bool:
    """Did this piece of coverage look at (part of) the declared location?"""
    if loc.kind == "files":
        if loc.path is None or cov.path is None:
            return False
        if cov.kind == "file":
            return covers(loc, Place.file(cov.path, cov.root))
        if cov.kind == "root":
            return root_covers(loc.path, cov.path)
        return False
    if cov.kind != "table":
        return False
    return covers(loc, Place("database", connection=cov.root, schema=cov.schema, table=cov.table))


def _item_location(item: FoundItem) -> str:
    if item.kind == "column":
        qual = f"{item.schema}.{item.table}" if item.schema else str(item.table)
        return f"{item.root}:{qual}"
    path = item.path or item.uri
    return path.rsplit("/", 1)[0] or "/"


def _item_name(item: FoundItem) -> str:
    if item.kind == "column":
        qual = f"{item.schema}.{item.table}" if item.schema else str(item.table)
        return f"{item.root}:{qual}.{item.column}"
    return item.uri


def _declares(activity: Activity, entity: str) -> bool:
    if entity == Entity.CRIMINAL_OFFENCE and activity.art10:
        return True
    return bool(set(categories_for_entity(entity)) & activity.category_keys())


def _listed(names: Iterable[str]) -> dict[str, Any]:
    ordered = sorted(set(names))
    return {"sources": ordered[:MAX_LISTED], "count": len(ordered)}


# --------------------------------------------------------------------- the rules


def reconcile(
    activities: Sequence[Activity],
    found: Sequence[FoundItem],
    coverage: Sequence[Coverage],
    *,
    now: datetime,
    recent_days: int = RECENT_DAYS,
    today: date | None = None,
) -> list[ReconcileItem]:
    """Every contradiction between the register and what scans found, errors first.

    ``now``: naive UTC, as stored times are; ``today``: the organisation's calendar
    day (``ws.today()``) against which retentions end, ``now``'s date without it.
    """
    out: list[ReconcileItem] = []
    # Which (activity, location) holds each item.
    holders: list[list[tuple[Activity, DataLocation]]] = []
    by_place: dict[tuple[Any, ...], list[tuple[Activity, DataLocation]]] = {}
    for item in found:
        # A source usually holds several entity types: match its place once.
        place = (item.kind, item.path, item.root, item.schema, item.table, item.column)
        held = by_place.get(place)
        if held is None:
            held = by_place[place] = [
                (a, loc)
                for a in activities
                for loc in a.data_locations
                if location_matches(loc, item)
            ]
        holders.append(held)

    out += _undeclared(activities, found, holders)
    out += _special(found, holders)
    out += _nir(found, holders)
    out += _retention(found, holders, now, today or now.date())
    out += _not_scanned(activities, coverage, now, recent_days)
    out += _never_seen(activities, found, holders, coverage)
    out += _passwords(found, holders)
    return sorted(
        out,
        key=lambda r: (
            SEVERITY_ORDER.get(r.severity, 3),
            r.rule.value,
            r.activity_ref or "",
            r.location,
            r.entity_type or "",
        ),
    )


def _undeclared(
    activities: Sequence[Activity],
    found: Sequence[FoundItem],
    holders: Sequence[Sequence[Any]],
) -> list[ReconcileItem]:
    groups: dict[str, list[FoundItem]] = {}
    for item, held in zip(found, holders, strict=True):
        if not held:
            groups.setdefault(_item_location(item), []).append(item)
    out = []
    for where, items in groups.items():
        entities = sorted({i.entity_type for i in items})
        listed = _listed(_item_name(i) for i in items)
        # A declared table whose declared columns leave these out: name the activity.
        partial = sorted(
            {
                a.ref
                for a in activities
                for loc in a.data_locations
                if loc.kind == "database"
                and loc.columns
                and any(location_matches(loc.model_copy(update={"columns": []}), i) for i in items)
            }
        )
        if partial:
            columns = sorted({str(i.column) for i in items})
            message = _(
                "Columns {columns} of {location} hold personal data ({entities}) but are not "
                "among the columns activity {ref} declares: undeclared processing (Art. 30(1))",
                columns=", ".join(columns),
                location=where,
                entities=", ".join(labels.entity(e) for e in entities),
                ref=", ".join(partial),
            )
        else:
            message = _(
                "Personal data ({entities}) found in {location}, which no activity of the "
                "register declares: undeclared processing (Art. 30(1))",
                entities=", ".join(labels.entity(e) for e in entities),
                location=where,
            )
        out.append(
            ReconcileItem(
                Rule.UNDECLARED,
                SEVERITY[Rule.UNDECLARED],
                partial[0] if partial else None,
                where,
                None,
                ARTICLES[Rule.UNDECLARED],
                message,
                {
                    "entities": entities,
                    "special": any(i.special_category for i in items),
                    "declared_by": partial,
                    **listed,
                },
            )
        )
    return out


def _special(
    found: Sequence[FoundItem], holders: Sequence[Sequence[tuple[Activity, DataLocation]]]
) -> list[ReconcileItem]:
    groups: dict[tuple[str, str, str], list[FoundItem]] = {}
    for item, held in zip(found, holders, strict=True):
        special = item.special_category or item.entity_type in SPECIAL_ENTITIES
        if not special or not held:
            continue
        if any(_declares(a, item.entity_type) for a, _loc in held):
            continue  # one activity holding the location declares it: the register covers it
        for a, loc in held:
            groups.setdefault((a.ref, describe(loc), item.entity_type), []).append(item)
    out = []
    for (ref, where, entity), items in groups.items():
        article = (
            "Art. 10" if entity == Entity.CRIMINAL_OFFENCE else ARTICLES[Rule.SPECIAL_UNDECLARED]
        )
        out.append(
            ReconcileItem(
                Rule.SPECIAL_UNDECLARED,
                SEVERITY[Rule.SPECIAL_UNDECLARED],
                ref,
                where,
                entity,
                article,
                _(
                    "Special-category data ({entity}) found in {location} of activity {ref}, which "
                    "declares no such category ({article})",
                    entity=labels.entity(entity),
                    location=where,
                    ref=ref,
                    article=article,
                ),
                {
                    "categories": categories_for_entity(entity),
                    **_listed(_item_name(i) for i in items),
                },
            )
        )
    return out


def _nir(
    found: Sequence[FoundItem], holders: Sequence[Sequence[tuple[Activity, DataLocation]]]
) -> list[ReconcileItem]:
    groups: dict[tuple[str, str], list[FoundItem]] = {}
    for item, held in zip(found, holders, strict=True):
        if item.entity_type != Entity.FR_NIR or not held:
            continue
        if any(nir_authorised(a) for a, _loc in held):
            continue
        for a, loc in held:
            groups.setdefault((a.ref, describe(loc)), []).append(item)
    out = []
    by_ref = {a.ref: a for hs in holders for a, _loc in hs}
    for (ref, where), items in groups.items():
        claim = by_ref[ref].nir_authorisation
        out.append(
            ReconcileItem(
                Rule.NIR_UNAUTHORISED,
                SEVERITY[Rule.NIR_UNAUTHORISED],
                ref,
                where,
                Entity.FR_NIR.value,
                ARTICLES[Rule.NIR_UNAUTHORISED],
                _(
                    "NIR found in {location} of activity {ref}, which is not authorised to use it "
                    "(décret n° 2019-341; Art. 87)",
                    location=where,
                    ref=ref,
                ),
                {
                    "nir_authorisation": claim,
                    "known_categories": sorted(NIR_CATEGORIES),
                    **_listed(_item_name(i) for i in items),
                },
            )
        )
    return out


#: Storages that break Art. 32(1)(a): readable, or a fast digest a GPU reverses.
#: Labels of the weak storages: the same keys as ``rgpd.scan.findings.WEAK_PASSWORD_STORAGE``,
#: the one rule of what is weak (tested).
_WEAK_STORAGE = {"clear": N_("in clear"), "weak_hash": N_("under a weak hash")}


def _passwords(
    found: Sequence[FoundItem], holders: Sequence[Sequence[tuple[Activity, DataLocation]]]
) -> list[ReconcileItem]:
    """One result per password column kept in clear or under a fast hash.

    Raised whether or not an activity declares the column: the register cannot make a
    clear password acceptable. The activity is named when one holds the column.
    """
    out = []
    for item, held in zip(found, holders, strict=True):
        how = _WEAK_STORAGE.get(item.password_storage or "")
        if item.kind != "column" or how is None:
            continue
        name = _item_name(item)
        out.append(
            ReconcileItem(
                Rule.PASSWORD_WEAK,
                SEVERITY[Rule.PASSWORD_WEAK],
                held[0][0].ref if held else None,
                name,
                Entity.CREDENTIAL.value,
                ARTICLES[Rule.PASSWORD_WEAK],
                _(
                    "Passwords of {column} are stored {how}: keep them only transformed by a "
                    "slow, salted function (Art. 32(1)(a); CNIL deliberation 2022-100)",
                    column=name,
                    how=_(how),
                ),
                {"password_storage": item.password_storage, **_listed([name])},
            )
        )
    return out


def _retention(
    found: Sequence[FoundItem],
    holders: Sequence[Sequence[tuple[Activity, DataLocation]]],
    now: datetime,
    today: date,
) -> list[ReconcileItem]:
    # Per file: the entities found in it and the activities holding it.
    files: dict[str, tuple[datetime, set[str], dict[str, tuple[Activity, DataLocation]]]] = {}
    for item, held in zip(found, holders, strict=True):
        if item.kind not in ("file", "member") or item.modified_at is None or not item.path:
            continue
        if not held:
            continue  # undeclared: no retention to hold it against
        mod, ents, acts = files.setdefault(item.path, (item.modified_at, set(), {}))
        ents.add(item.entity_type)
        for a, loc in held:
            acts.setdefault(a.ref, (a, loc))
    groups: dict[tuple[str, str], list[tuple[str, datetime, int, str]]] = {}
    for path, (mod, ents, acts) in files.items():
        ends = [
            (end, a, loc)
            for a, loc in acts.values()
            if (end := retention_end_for(a, mod.date(), entities=ents, location=loc)) is not None
        ]
        if not ends:
            continue
        (latest, retention), act, loc = max(ends, key=lambda x: x[0][0])
        if latest <= today:  # every activity's retention has run out (calendar-exact)
            groups.setdefault((act.ref, describe(loc)), []).append(
                (path, mod, (now - mod).days, retention.text())
            )
    out = []
    for (ref, where), rows in groups.items():
        rows.sort(key=lambda r: r[1])
        limit = rows[0][3]
        out.append(
            ReconcileItem(
                Rule.RETENTION_OVERRUN,
                SEVERITY[Rule.RETENTION_OVERRUN],
                ref,
                where,
                None,
                ARTICLES[Rule.RETENTION_OVERRUN],
                _n(
                    "{n} file with personal data in {location} is older than the retention of "
                    "activity {ref} ({retention}): review it for deletion or archiving "
                    "(Art. 5(1)(e))",
                    "{n} files with personal data in {location} are older than the retention of "
                    "activity {ref} ({retention}): review them for deletion or archiving "
                    "(Art. 5(1)(e))",
                    len(rows),
                    location=where,
                    ref=ref,
                    retention=" + ".join(labels.duration_code(d) for d in limit.split(" + ")),
                ),
                {
                    "retention": limit,
                    "count": len(rows),
                    "files": [
                        {"path": p, "modified_at": m.isoformat(), "age_days": a}
                        for p, m, a, _d in rows[:MAX_LISTED]
                    ],
                },
            )
        )
    return out


def _not_scanned(
    activities: Sequence[Activity], coverage: Sequence[Coverage], now: datetime, recent_days: int
) -> list[ReconcileItem]:
    since = now - timedelta(days=recent_days)
    recent = [c for c in coverage if c.scanned_at and c.scanned_at >= since]
    out = []
    for a in activities:
        for loc in a.data_locations:
            if any(location_covered(loc, c) for c in recent):
                continue
            times = [c.scanned_at for c in coverage if c.scanned_at and location_covered(loc, c)]
            last = max(times) if times else None
            where = describe(loc)
            out.append(
                ReconcileItem(
                    Rule.NOT_SCANNED,
                    SEVERITY[Rule.NOT_SCANNED],
                    a.ref,
                    where,
                    None,
                    ARTICLES[Rule.NOT_SCANNED],
                    _(
                        "Location {location} of activity {ref} was not scanned in the last {days} "
                        "days: the register cannot be checked against it (Art. 5(2))",
                        location=where,
                        ref=a.ref,
                        days=recent_days,
                    ),
                    {"last_scanned_at": last.isoformat() if last else None},
                )
            )
    return out


def _never_seen(
    activities: Sequence[Activity],
    found: Sequence[FoundItem],
    holders: Sequence[Sequence[tuple[Activity, DataLocation]]],
    coverage: Sequence[Coverage],
) -> list[ReconcileItem]:
    seen: dict[str, set[str]] = {}
    for item, held in zip(found, holders, strict=True):
        for a, _loc in held:
            seen.setdefault(a.ref, set()).add(item.entity_type)
    out = []
    for a in activities:
        scanned = any(location_covered(loc, c) for loc in a.data_locations for c in coverage)
        if not scanned:
            continue  # nothing looked there yet: location_not_scanned says so
        entities = seen.get(a.ref, set())
        where = ", ".join(describe(loc) for loc in a.data_locations)
        for use in a.data_categories:
            cat = CATEGORIES[use.category]
            if not cat.entities or entities & {e.value for e in cat.entities}:
                continue
            out.append(
                ReconcileItem(
                    Rule.NEVER_SEEN,
                    SEVERITY[Rule.NEVER_SEEN],
                    a.ref,
                    where,
                    None,
                    ARTICLES[Rule.NEVER_SEEN],
                    _(
                        "Category {category} of activity {ref} was never seen by a scan of its "
                        "locations: check the register (Art. 30(1)(c)) and that the data is needed "
                        "(Art. 5(1)(c))",
                        category=labels.category(use.category),
                        ref=a.ref,
                    ),
                    {"category": use.category, "entities": sorted(e.value for e in cat.entities)},
                )
            )
    return out


# --------------------------------------------------------------------- the edge


@dataclass
class ReconcileReport:
    batch: str
    items: list[ReconcileItem]
    new: list[ReconcileItem]  # not in the previous batch
    resolved: int  # in the previous batch, gone now
    created_at: datetime

    @property
    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for it in self.items:
            out[it.rule.value] = out.get(it.rule.value, 0) + 1
        return out


@dataclass(frozen=True)
class ReconcileGroup:
    """Results sharing a rule (or an activity): one line of the summary instead of dozens.

    A nightly reconciliation can hold hundreds of results over a few rules; the
    DPO first needs "which rule, how many, where" (issue 12), the details come with
    ``--details`` or ``--format jsonl``.
    """

    key: str  # the rule code, or the activity reference ("" for none)
    severity: str  # the worst of the group
    count: int
    new: int
    articles: tuple[str, ...]
    others: tuple[str, ...]  # activities of a rule group, rules of an activity group


def group_items(
    items: Sequence[ReconcileItem], *, by: str = "rule", new: Iterable[ReconcileItem] = ()
) -> list[ReconcileGroup]:
    """``items`` counted by ``rule`` or by ``activity``, worst severity then largest first."""
    if by not in ("rule", "activity"):
        raise ValueError(by)
    fresh = {it.key for it in new}
    groups: dict[str, list[ReconcileItem]] = {}
    for it in items:
        key = it.rule.value if by == "rule" else (it.activity_ref or "")
        groups.setdefault(key, []).append(it)
    out = []
    for key, its in groups.items():
        other = [(it.activity_ref or "") if by == "rule" else it.rule.value for it in its]
        out.append(
            ReconcileGroup(
                key=key,
                severity=min((it.severity for it in its), key=lambda v: SEVERITY_ORDER.get(v, 3)),
                count=len(its),
                new=sum(1 for it in its if it.key in fresh),
                articles=tuple(dict.fromkeys(it.article for it in its)),
                others=tuple(sorted({o for o in other if o})),
            )
        )
    return sorted(out, key=lambda g: (SEVERITY_ORDER.get(g.severity, 3), -g.count, g.key))


#: Batches of results kept per organisation (older ones are pruned).
KEEP_BATCHES = 20


def _load(ws: Any, oid: int) -> tuple[list[FoundItem], list[Coverage]]:
    from sqlalchemy import select

    from rgpd.scan.findings import stored_password_storage
    from rgpd.storage.scan_tables import FindingRow, ScanRunRow, ScanSourceRow, seen_run

    found: list[FoundItem] = []
    coverage: list[Coverage] = []
    with ws.db.session() as s:
        run_times = {
            rid: started
            for rid, started in s.execute(
                select(ScanRunRow.id, ScanRunRow.started_at).where(ScanRunRow.org_id == oid)
            )
        }
        pairs = s.execute(
            select(ScanSourceRow, seen_run()).where(
                ScanSourceRow.org_id == oid, ScanSourceRow.status != "gone"
            )
        ).all()
        srcs = [r for r, _seen in pairs]
        seen_by = {r.id: seen for r, seen in pairs}
        by_id = {r.id: r for r in srcs}
        file_mod = {r.uri: r.modified_at for r in srcs if r.kind == "file"}
        for r in srcs:
            seen_at = max(
                [t for t in (r.last_scanned_at, run_times.get(seen_by[r.id] or -1)) if t],
                default=None,
            )
            meta = r.meta or {}
            if r.kind == "file":
                coverage.append(Coverage("file", seen_at, path=r.uri, root=r.root))
            elif r.kind == "table":
                coverage.append(
                    Coverage(
                        "table",
                        seen_at,
                        root=r.root,
                        schema=meta.get("schema"),
                        table=meta.get("table"),
                    )
                )
        for f in s.execute(select(FindingRow).where(FindingRow.org_id == oid)).scalars():
            src = by_id.get(f.source_id)
            if src is None:
                continue
            meta = src.meta or {}
            if src.kind in ("file", "member"):
                path = src.uri.split("!", 1)[0]
                found.append(
                    FoundItem(
                        kind=src.kind,
                        uri=src.uri,
                        entity_type=f.entity_type,
                        special_category=bool(f.special_category),
                        root=src.root,
                        path=path,
                        modified_at=src.modified_at or file_mod.get(path),
                    )
                )
            elif src.kind == "column":
                found.append(
                    FoundItem(
                        kind="column",
                        uri=src.uri,
                        entity_type=f.entity_type,
                        special_category=bool(f.special_category),
                        root=src.root,
                        schema=meta.get("schema"),
                        table=meta.get("table"),
                        column=meta.get("column"),
                        password_storage=stored_password_storage(f.locations),
                    )
                )
        for settings, started, status in s.execute(
            select(ScanRunRow.settings, ScanRunRow.started_at, ScanRunRow.status).where(
                ScanRunRow.org_id == oid, ScanRunRow.kind == "files"
            )
        ):
            if status != "completed":
                continue
            for p in (settings or {}).get("paths", []):
                coverage.append(Coverage("root", started, path=p))
    return found, coverage


def run_reconcile(
    ws: Any,
    org: str,
    *,
    now: datetime | None = None,
    recent_days: int = RECENT_DAYS,
    store: bool = True,
) -> ReconcileReport:
    """Load register + findings, apply the rules, keep the results as a new batch."""
    from sqlalchemy import select

    from rgpd import audit
    from rgpd.registry.service import list_activities
    from rgpd.storage.db import utcnow
    from rgpd.storage.scan_tables import ReconcileResultRow
    from rgpd.storage.tables import MetaRow

    oid = ws.org_id(org)
    when = now or utcnow()
    today = now.date() if now else ws.today()
    activities = [r.activity for r in list_activities(ws, org)]
    found, coverage = _load(ws, oid)
    items = reconcile(activities, found, coverage, now=when, recent_days=recent_days, today=today)
    batch = str(uuid.uuid4())
    with ws.db.session() as s:
        marker = s.get(MetaRow, _last_batch_key(oid))
        prev_batch = marker.value if marker is not None else None
        prev_keys: set[tuple[str, str, str, str]] = set()
        if prev_batch:
            for rule, ref, loc, ent in s.execute(
                select(
                    ReconcileResultRow.rule,
                    ReconcileResultRow.activity_ref,
                    ReconcileResultRow.location,
                    ReconcileResultRow.entity_type,
                ).where(ReconcileResultRow.org_id == oid, ReconcileResultRow.batch == prev_batch)
            ):
                prev_keys.add((rule, ref or "", loc, ent or ""))
        new = [it for it in items if it.key not in prev_keys]
        resolved = len(prev_keys - {it.key for it in items})
        if store:
            s.add_all(
                ReconcileResultRow(
                    org_id=oid,
                    batch=batch,
                    rule=it.rule.value,
                    severity=it.severity,
                    activity_ref=it.activity_ref,
                    location=it.location,
                    entity_type=it.entity_type,
                    article=it.article[:120],
                    message=it.message,
                    details=it.details,
                    created_at=when,
                )
                for it in items
            )
            # An empty batch stores no row: the marker says which batch is the last one.
            if marker is None:
                s.add(MetaRow(key=_last_batch_key(oid), value=batch))
            else:
                marker.value = batch
            _prune(s, oid)
            audit.append(
                s,
                action="reconcile",
                entity="reconcile",
                entity_ref=batch,
                actor=ws.actor,
                org=org,
                details={"results": len(items), "new": len(new), "resolved": resolved},
            )
    return ReconcileReport(batch, items, new, resolved, when)


def _last_batch_key(oid: int) -> str:
    return f"reconcile.last_batch.{oid}"


def _prune(s: Any, oid: int) -> None:
    from sqlalchemy import delete, func, select

    from rgpd.storage.scan_tables import ReconcileResultRow

    batches = [
        b
        for b, _m in s.execute(
            select(ReconcileResultRow.batch, func.max(ReconcileResultRow.id).label("m"))
            .where(ReconcileResultRow.org_id == oid)
            .group_by(ReconcileResultRow.batch)
            .order_by(func.max(ReconcileResultRow.id).desc())
        )
    ]
    old = batches[KEEP_BATCHES:]
    if old:
        s.execute(
            delete(ReconcileResultRow).where(
                ReconcileResultRow.org_id == oid, ReconcileResultRow.batch.in_(old)
            )
        )


def latest_results(ws: Any, org: str) -> list[ReconcileItem]:
    """The last stored batch (for the reports), without recomputing."""
    from sqlalchemy import select

    from rgpd.storage.scan_tables import ReconcileResultRow
    from rgpd.storage.tables import MetaRow

    oid = ws.org_id(org)
    with ws.db.session() as s:
        marker = s.get(MetaRow, _last_batch_key(oid))
        if marker is None:
            return []
        batch = marker.value
        rows = (
            s.execute(
                select(ReconcileResultRow)
                .where(ReconcileResultRow.org_id == oid, ReconcileResultRow.batch == batch)
                .order_by(ReconcileResultRow.id)
            )
            .scalars()
            .all()
        )
        return [
            ReconcileItem(
                Rule(r.rule),
                r.severity,
                r.activity_ref,
                r.location,
                r.entity_type,
                r.article,
                r.message,
                dict(r.details or {}),
            )
            for r in rows
        ]
