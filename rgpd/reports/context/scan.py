"""The data map (scan report): where personal data was found, against the declared locations."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from rgpd import labels
from rgpd.i18n import _, _n
from rgpd.registry.locations import LocationIndex, from_share, share_folder
from rgpd.registry.model import retention_end_for
from rgpd.registry.rules import nir_authorised
from rgpd.reports.context.common import (
    Chart,
    OrgData,
    ScanRun,
    Series,
    SourceFinding,
    Table,
    entity_label,
    make_table,
)
from rgpd.scan.columns import PasswordStorage
from rgpd.taxonomy import SPECIAL_ENTITIES, Entity

# ==================================================================================== scan


def location_of(f: SourceFinding) -> str:
    """A readable place: the first folder under the scanned root, or connection · table."""
    uri = f.uri
    if "#" in uri:
        table = uri.split("#", 1)[1]
        table = ".".join(table.split(".")[:2]) if table.count(".") >= 2 else table
        return f"{f.root or uri.split('#', 1)[0]} · {table}"
    return share_folder(uri, f.root)


def column_name(f: SourceFinding) -> str:
    """A database column as the reconciliation names it: ``connection:table.column``.

    The connection's name, never its URL: a column is named without any host detail
    the DPO does not need, and without any value.
    """
    uri = f.uri
    if "#" in uri and f.root:
        return f"{f.root}:{uri.split('#', 1)[1]}"
    return uri


#: Password storages in PasswordStorage's order (judged ones worst first, then not judged):
#: the table of password columns is read in it.
_STORAGE_ORDER = {s.value: i for i, s in enumerate(PasswordStorage)}


@dataclass(frozen=True)
class ScanChanges:
    first_scan: bool
    new_sources: int
    new_occurrences: int
    gone_sources: int
    errors_now: int
    errors_before: int
    new_by_entity: Table


@dataclass(frozen=True)
class ScanContext:
    has_data: bool
    last_run: ScanRun | None
    runs_count: int
    sources_scanned: int
    sources_with_findings: int
    occurrences: int
    special_sources: int
    nir_sources: int
    nir_unauthorised_sources: int
    password_sources: int  # database columns of passwords whose storage was judged
    password_weak_sources: int  # of them, in clear or under a weak hash (Art. 32(1)(a))
    undeclared_sources: int
    special_undeclared_sources: int
    retention_overruns: int
    errors_count: int
    by_location: Table
    by_department: Table
    entities: Table
    special: Table
    nir: Table
    passwords: Table
    password_text: str  # what the passwords table says, in one sentence ("" without any)
    errors: Table
    errors_by_reason: Table
    reconcile: Table
    reconcile_count: int
    changes: ScanChanges
    entity_chart: Chart
    # traceability for the compliance score
    undeclared_locations: tuple[tuple[str, int], ...]
    overruns_by_activity: tuple[tuple[str, str, int, date], ...]  # ref, name, files, oldest
    password_weak_columns: tuple[tuple[str, str], ...]  # column, storage (clear / weak_hash)


def build_scan(data: OrgData, today: date) -> ScanContext:
    scan = data.scan
    acts = data.register.activities
    index = LocationIndex(acts)
    runs = sorted(scan.runs, key=lambda r: r.id)
    last = runs[-1] if runs else None
    prev = runs[-2] if len(runs) > 1 else None

    per_source: dict[str, list[SourceFinding]] = defaultdict(list)
    for f in scan.findings:
        per_source[f.uri].append(f)

    loc_rows: dict[str, dict[str, Any]] = {}
    dept: dict[str, dict[str, Any]] = {}
    ent_sources: Counter[str] = Counter()
    ent_occ: Counter[str] = Counter()
    nir_rows: dict[tuple[str, bool], list[int]] = {}
    nir_sources = nir_unauth = special_sources = undeclared = special_undeclared = 0
    undeclared_locs: Counter[str] = Counter()
    overruns: dict[str, list[Any]] = {}
    passwords: list[tuple[str, str, str]] = []  # column, department, storage
    not_declared = _("not declared in the register")

    for uri, fs in per_source.items():
        first = fs[0]
        loc = location_of(first)
        m = index.match(uri, first.root, first.source_kind)
        department = (m.activity.department or m.activity.name) if m else not_declared
        occ = sum(f.count for f in fs)
        special = any(f.special_category or f.entity_type in SPECIAL_ENTITIES for f in fs)
        nir = [f for f in fs if f.entity_type == Entity.FR_NIR]
        row = loc_rows.setdefault(
            loc,
            {"dept": Counter(), "sources": 0, "occ": 0, "ents": set(), "special": 0, "nir": 0},
        )
        row["dept"][department] += 1
        row["sources"] += 1
        row["occ"] += occ
        row["ents"].update(f.entity_type for f in fs)
        row["special"] += special
        row["nir"] += bool(nir)
        d = dept.setdefault(department, {"sources": 0, "occ": 0, "special": 0, "nir": 0})
        d["sources"] += 1
        d["occ"] += occ
        d["special"] += special
        d["nir"] += bool(nir)
        for f in fs:
            ent_sources[f.entity_type] += 1
            ent_occ[f.entity_type] += f.count
        special_sources += special
        # Art. 32(1)(a): how a password column keeps its values, as the database scan judged
        storage = next(
            (f.password_storage for f in fs if f.entity_type == Entity.CREDENTIAL),
            None,
        )
        if storage:
            passwords.append((column_name(first), department, storage))
        if m is None:
            undeclared += 1
            undeclared_locs[loc] += 1
            special_undeclared += special
        if nir:
            nir_sources += 1
            authorised = m is not None and nir_authorised(m.activity)
            if not authorised:
                nir_unauth += 1
            nir_rows.setdefault((loc, authorised), [0, 0])
            nir_rows[(loc, authorised)][0] += 1
            nir_rows[(loc, authorised)][1] += sum(f.count for f in nir)
        # Art. 5(1)(e): a file older than the longest declared retention of its activity.
        if m is not None and first.modified_at is not None and "#" not in uri:
            mod = first.modified_at.date()
            end = retention_end_for(
                m.activity, mod, entities={f.entity_type for f in fs}, location=m.location
            )
            if end is not None and end[0] <= today:
                o = overruns.setdefault(
                    m.activity.ref, [m.activity.name, 0, first.modified_at.date()]
                )
                o[1] += 1
                o[2] = min(o[2], first.modified_at.date())

    by_location = make_table(
        "scan-locations",
        _("Where personal data was found"),
        (
            _("Location"),
            _("Department"),
            _("Sources"),
            _("Occurrences"),
            _("Types of data"),
            _("Special categories"),
            _("NIR"),
        ),
        (
            (
                loc,
                r["dept"].most_common(1)[0][0],
                r["sources"],
                r["occ"],
                len(r["ents"]),
                r["special"],
                r["nir"],
            )
            for loc, r in sorted(loc_rows.items(), key=lambda kv: (-kv[1]["occ"], kv[0]))
        ),
        _("No personal data found, or no scan yet."),
    )
    by_department = make_table(
        "scan-departments",
        _("By department"),
        (_("Department"), _("Sources"), _("Occurrences"), _("Special categories"), _("NIR")),
        (
            (k, v["sources"], v["occ"], v["special"], v["nir"])
            for k, v in sorted(dept.items(), key=lambda kv: (-kv[1]["occ"], kv[0]))
        ),
    )
    from rgpd.scan.findings import WEAK_PASSWORD_STORAGE, severity_of

    entity_rows = sorted(ent_occ, key=lambda e: (-ent_occ[e], e))
    entities = make_table(
        "scan-entities",
        _("Types of personal data found"),
        (_("Type of data"), _("Sources"), _("Occurrences"), _("Severity")),
        (
            (entity_label(e), ent_sources[e], ent_occ[e], labels.severity(severity_of(e)))
            for e in entity_rows
        ),
    )
    special_rows = [e for e in entity_rows if e in SPECIAL_ENTITIES]
    special_tbl = make_table(
        "scan-special",
        _("Special categories of data (Art. 9) and offences (Art. 10)"),
        (_("Type of data"), _("Sources"), _("Occurrences")),
        ((entity_label(e), ent_sources[e], ent_occ[e]) for e in special_rows),
        _("No special category of data found."),
    )
    nir_tbl = make_table(
        "scan-nir",
        _("Exposure of the social security number (NIR)"),
        (_("Location"), _("Authorised activity"), _("Sources"), _("Occurrences")),
        (
            (loc, _("yes") if auth else _("no"), v[0], v[1])
            for (loc, auth), v in sorted(nir_rows.items(), key=lambda kv: (kv[0][1], -kv[1][1]))
        ),
        _("No NIR found."),
    )
    passwords.sort(key=lambda p: (_STORAGE_ORDER.get(p[2], len(_STORAGE_ORDER)), p[0]))
    weak = [(col, how) for col, _dept, how in passwords if how in WEAK_PASSWORD_STORAGE]
    passwords_tbl = make_table(
        "scan-passwords",
        _("How passwords are kept (Art. 32(1)(a))"),
        (_("Column"), _("Department"), _("Storage")),
        ((col, dept, labels.password_storage(how)) for col, dept, how in passwords),
        _("No password column found by the database scans."),
    )
    password_text = (
        _n(
            "{n} of {total} password column is kept in clear or under a weak hash.",
            "{n} of {total} password columns are kept in clear or under a weak hash.",
            len(weak),
            total=len(passwords),
        )
        if passwords
        else ""
    )

    # Server paths are shown from the share's own folder (issue 12), never the mount point.
    roots = sorted({*scan.roots, *(f.root for f in scan.findings if f.root and "#" not in f.uri)})
    last_errors = [e for e in scan.errors if last is not None and e.run_id == last.id]
    prev_errors = [e for e in scan.errors if prev is not None and e.run_id == prev.id]
    reasons = Counter(e.reason for e in last_errors)
    reason_rows: list[tuple[str, int]] = [
        (labels.error_reason(r), n)
        for r, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    errors_by_reason = make_table(
        "scan-error-reasons",
        _("Scan errors by reason (last scan)"),
        (_("Reason"), _("Sources")),
        reason_rows,
        _("No error in the last scan."),
    )
    errors = make_table(
        "scan-errors",
        _("Sources that could not be read (last scan)"),
        (_("Source"), _("Reason"), _("Message")),
        (
            (from_share(e.source, roots), labels.error_reason(e.reason), e.message)
            for e in sorted(last_errors, key=lambda e: e.source)
        ),
        _("No error in the last scan."),
    )

    recon_counter: Counter[tuple[str, str, str]] = Counter(
        (r.rule, r.severity, r.article) for r in scan.reconcile
    )
    reconcile = make_table(
        "scan-reconcile",
        _("Findings against the register (reconciliation)"),
        (_("Rule"), _("Severity"), _("Article"), _("Count")),
        (
            (labels.reconcile_rule(rule), labels.severity(sev), art, n)
            for (rule, sev, art), n in sorted(recon_counter.items(), key=lambda kv: (-kv[1], kv[0]))
        ),
        _("No reconciliation recorded yet: run `rgpd reconcile`."),
    )

    first_scan = prev is None
    new = [
        f
        for f in scan.findings
        if last is not None and not first_scan and f.first_run_id == last.id
    ]
    new_ent: Counter[str] = Counter()
    for f in new:
        new_ent[f.entity_type] += f.count
    changes = ScanChanges(
        first_scan=first_scan,
        new_sources=len({f.uri for f in new}),
        new_occurrences=sum(f.count for f in new),
        gone_sources=scan.sources_gone,
        errors_now=len(last_errors),
        errors_before=len(prev_errors),
        new_by_entity=make_table(
            "scan-new",
            _("New since the previous scan"),
            (_("Type of data"), _("Occurrences")),
            ((entity_label(e), n) for e, n in new_ent.most_common()),
            _("Nothing new since the previous scan."),
        ),
    )
    top = entity_rows[:12]
    total_occ = sum(ent_occ.values())
    chart = Chart(
        key="chart-entities",
        title=_("Share of occurrences by type of data"),
        kind="hbar",
        categories=tuple(entity_label(e) for e in top),
        series=(
            Series(
                _("Share of occurrences (%)"),
                tuple(round(100 * ent_occ[e] / total_occ, 1) if total_occ else 0.0 for e in top),
            ),
        ),
        summary=_(
            "{n} types of data found; the most frequent is {top} ({share} of occurrences).",
            n=len(entity_rows),
            top=entity_label(top[0]) if top else "—",
            share=f"{round(100 * ent_occ[top[0]] / total_occ)} %" if top and total_occ else "—",
        ),
        unit="%",
    )
    return ScanContext(
        has_data=bool(scan.findings or scan.runs),
        last_run=last,
        runs_count=len(runs),
        sources_scanned=max(scan.sources_scanned, len(per_source)),
        sources_with_findings=len(per_source),
        occurrences=total_occ,
        special_sources=special_sources,
        nir_sources=nir_sources,
        nir_unauthorised_sources=nir_unauth,
        password_sources=len(passwords),
        password_weak_sources=len(weak),
        undeclared_sources=undeclared,
        special_undeclared_sources=special_undeclared,
        retention_overruns=sum(v[1] for v in overruns.values()),
        errors_count=len(last_errors),
        by_location=by_location,
        by_department=by_department,
        entities=entities,
        special=special_tbl,
        nir=nir_tbl,
        passwords=passwords_tbl,
        password_text=password_text,
        errors=errors,
        errors_by_reason=errors_by_reason,
        reconcile=reconcile,
        reconcile_count=len(scan.reconcile),
        changes=changes,
        entity_chart=chart,
        undeclared_locations=tuple(undeclared_locs.most_common()),
        overruns_by_activity=tuple(
            (ref, v[0], v[1], v[2]) for ref, v in sorted(overruns.items(), key=lambda kv: -kv[1][1])
        ),
        password_weak_columns=tuple(weak),
    )
