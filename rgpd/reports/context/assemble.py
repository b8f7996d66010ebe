"""Reports assembled from the parts: one section per organisation, the totals, caps.

``PARTS`` (in :mod:`.common`) says which parts each report kind shows.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from rgpd.i18n import _
from rgpd.reports.context.actions import ActionPlanContext, build_action_plan
from rgpd.reports.context.annual import (
    TrendsContext,
    build_trends,
)
from rgpd.reports.context.breaches import (
    BreachesContext,
    build_breaches,
)
from rgpd.reports.context.common import (
    ANNUAL_ROWS,
    PARTS,
    TITLES,
    Cell,
    OrgData,
    OrgHeader,
    Period,
    ReportKind,
    Table,
    org_header,
)
from rgpd.reports.context.compliance import (
    ComplianceContext,
    build_compliance,
)
from rgpd.reports.context.maturity import (
    MaturityContext,
    build_maturity,
    maturity_tables,
)
from rgpd.reports.context.register import (
    RegisterContext,
    build_register,
)
from rgpd.reports.context.requests import (
    RequestsContext,
    build_requests,
)
from rgpd.reports.context.scan import (
    ScanContext,
    build_scan,
)

# ================================================================================== report


@dataclass(frozen=True)
class OrgSection:
    org: OrgHeader
    register: RegisterContext | None = None
    scan: ScanContext | None = None
    requests: RequestsContext | None = None
    breaches: BreachesContext | None = None
    compliance: ComplianceContext | None = None
    trends: TrendsContext | None = None
    actions: ActionPlanContext | None = None
    maturity: MaturityContext | None = None


@dataclass(frozen=True)
class Report:
    kind: ReportKind
    title: str
    generated_on: date
    period: Period | None
    year: int | None
    lang: str
    sections: tuple[OrgSection, ...]
    consolidated: bool
    totals: Table | None = None

    @property
    def parts(self) -> tuple[str, ...]:
        return PARTS[self.kind]

    def tables(self) -> list[Table]:
        """Every table of the report, in reading order (the CSV/XLSX exports)."""
        out: list[Table] = []
        if self.totals is not None:
            out.append(self.totals)
        for s in self.sections:
            prefix = f"{s.org.slug}: " if self.consolidated else ""
            for t in _section_tables(s, self.parts):
                out.append(
                    Table(t.key, prefix + t.title, t.columns, t.rows, t.total_rows, t.empty_text)
                )
        return out


def _section_tables(s: OrgSection, parts: Sequence[str]) -> list[Table]:
    out: list[Table] = []
    for part in parts:
        if part == "trends" and s.trends:
            out.append(s.trends.table)
        elif part == "compliance" and s.compliance:
            c = s.compliance
            out += [c.points_table, c.actions_table, c.completeness]
        elif part == "register" and s.register:
            r = s.register
            out += [r.summary, r.issues, r.processors, r.public]
            if r.software is not None:
                out.append(r.software)
            for sheet in r.sheets:
                rows = [
                    (g.title, f.label, "\n".join(f.lines))
                    for g in sheet.groups
                    for f in g.fields
                    if f.lines
                ]
                out.append(
                    Table(
                        f"sheet-{sheet.ref}",
                        sheet.name,
                        (_("Section"), _("Field"), _("Value")),
                        tuple(rows),
                    )
                )
        elif part == "scan" and s.scan:
            sc = s.scan
            out += [
                sc.by_location,
                sc.by_department,
                sc.entities,
                sc.special,
                sc.nir,
                *([sc.passwords] if sc.password_sources else []),
                sc.changes.new_by_entity,
                sc.errors_by_reason,
                sc.errors,
                sc.reconcile,
            ]
        elif part == "requests" and s.requests:
            rq = s.requests
            out += [rq.by_type, rq.by_state, rq.open, rq.overdue, rq.refusals]
        elif part == "breaches" and s.breaches:
            out.append(s.breaches.table)
        elif part == "actions" and s.actions:
            a = s.actions
            out += [a.by_owner, a.by_service, a.open_actions, a.closed_this_year]
        elif part == "maturity" and s.maturity:
            out += maturity_tables(s.maturity)
    return out


def cap_tables(obj: Any, limit: int) -> Any:
    """``obj`` with every :class:`Table` inside it cut to ``limit`` rows (the note says so)."""
    import dataclasses

    if isinstance(obj, Table):
        if len(obj.rows) <= limit:
            return obj
        return dataclasses.replace(
            obj, rows=obj.rows[:limit], total_rows=obj.total_rows or len(obj.rows)
        )
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        changes = {}
        for f in dataclasses.fields(obj):
            v = getattr(obj, f.name)
            if isinstance(v, Table) or (dataclasses.is_dataclass(v) and not isinstance(v, type)):
                changes[f.name] = cap_tables(v, limit)
        return dataclasses.replace(obj, **changes) if changes else obj
    return obj


def build_section(
    data: OrgData,
    kind: ReportKind,
    *,
    today: date,
    now: datetime,
    year: int | None,
) -> OrgSection:
    """The contexts ``kind`` shows for one organisation (the compliance score needs them all)."""
    parts = PARTS[kind]
    period = Period.year(year) if year else None
    need_all = "compliance" in parts
    register = (
        build_register(data, today, with_sheets=kind == ReportKind.REGISTER)
        if "register" in parts or need_all
        else None
    )
    scan = build_scan(data, today) if "scan" in parts or need_all else None
    requests = build_requests(data, today, period) if "requests" in parts or need_all else None
    breaches = build_breaches(data, now, period) if "breaches" in parts or need_all else None
    compliance = None
    if need_all:
        # the score reads the whole history: the period's requests only when there is none
        compliance = build_compliance(
            data, today, now, scan=scan, requests=requests if period is None else None
        )
    trends = build_trends(data, year or today.year) if "trends" in parts else None
    actions = build_action_plan(data, today, year or today.year) if "actions" in parts else None
    maturity = (
        build_maturity(data, year or today.year, compliance.score if compliance else None)
        if "maturity" in parts
        else None
    )
    if kind == ReportKind.ANNUAL:
        register, scan, requests, breaches, compliance = (
            cap_tables(c, ANNUAL_ROWS) for c in (register, scan, requests, breaches, compliance)
        )
        actions = cap_tables(actions, ANNUAL_ROWS)
    return OrgSection(
        org=org_header(data.org),
        register=register if "register" in parts else None,
        scan=scan if "scan" in parts else None,
        requests=requests if "requests" in parts else None,
        breaches=breaches if "breaches" in parts else None,
        compliance=compliance,
        trends=trends,
        actions=actions,
        maturity=maturity,
    )


def key_figures(s: OrgSection) -> dict[str, float | int | None]:
    return {
        "activities": s.register.activities_count if s.register else None,
        "register_errors": s.register.errors if s.register else None,
        "sources": s.scan.sources_with_findings if s.scan else None,
        "nir_sources": s.scan.nir_sources if s.scan else None,
        # Art. 32(1)(a): only where a password column was judged (None keeps it out)
        "password_weak": (
            s.scan.password_weak_sources if s.scan and s.scan.password_sources else None
        ),
        "requests": s.requests.total if s.requests else None,
        "overdue": s.requests.overdue_count if s.requests else None,
        "breaches": s.breaches.total if s.breaches else None,
        "score": s.compliance.score if s.compliance else None,
    }


def _totals_table(sections: Sequence[OrgSection]) -> Table:
    """The shared DPO's overview: one row per organisation, then the totals."""
    labels = {
        "activities": _("Activities"),
        "register_errors": _("Register errors"),
        "sources": _("Sources with personal data"),
        "nir_sources": _("Sources with a NIR"),
        "password_weak": _("Password columns in clear or under a weak hash"),
        "requests": _("Requests"),
        "overdue": _("Overdue requests"),
        "breaches": _("Breaches"),
        "score": _("Score / 100"),
    }
    figures = [key_figures(s) for s in sections]
    keys = [k for k in labels if any(f[k] is not None for f in figures)]
    rows: list[tuple[Cell, ...]] = [
        (s.org.name, *(f[k] for k in keys)) for s, f in zip(sections, figures, strict=True)
    ]
    total: list[Cell] = [_("Total")]
    for k in keys:
        vals = [f[k] for f in figures if f[k] is not None]
        if k == "score":
            total.append(
                round(statistics.fmean(v for v in vals if v is not None)) if vals else None
            )
        else:
            total.append(sum(v for v in vals if v is not None))
    rows.append(tuple(total))
    return Table(
        "totals",
        _("All organisations"),
        (_("Organisation"), *(labels[k] for k in keys)),
        tuple(rows),
    )


def build_report(
    kind: ReportKind,
    datas: Sequence[OrgData],
    *,
    today: date,
    now: datetime,
    year: int | None = None,
    consolidated: bool = False,
    lang: str = "fr",
) -> Report:
    """The whole report: one section per organisation, plus totals for a shared DPO."""
    if kind == ReportKind.ANNUAL and year is None:
        year = today.year
    sections = tuple(build_section(d, kind, today=today, now=now, year=year) for d in datas)
    return Report(
        kind=kind,
        title=_(TITLES[kind]),
        generated_on=today,
        period=Period.year(year) if year else None,
        year=year,
        lang=lang,
        sections=sections,
        consolidated=consolidated,
        totals=_totals_table(sections) if consolidated else None,
    )
