"""The compliance scorecard: :func:`rgpd.registry.compliance.compliance_score` laid out.

The score itself lives in the domain; this module only gathers its facts from the
scan and requests contexts and turns the result into tables and a chart.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from rgpd.i18n import _
from rgpd.registry.compliance import (
    CRITICAL_CAP,
    CRITICAL_LABELS,
    CRITICAL_PENALTY,
    ActionItem,
    Compliance,
    RequestFacts,
    ScanFacts,
    ScorePoint,
    completeness_checks,
    compliance_score,
)
from rgpd.reports.context.common import (
    Cell,
    Chart,
    OrgData,
    Series,
    Table,
    make_table,
)
from rgpd.reports.context.requests import (
    RequestsContext,
    build_requests,
)
from rgpd.reports.context.scan import (
    ScanContext,
    build_scan,
)

# ============================================================================== compliance


@dataclass(frozen=True)
class ComplianceContext:
    result: Compliance  # the domain's answer; the fields below lay it out
    score: int | None
    points: tuple[ScorePoint, ...]
    actions: tuple[ActionItem, ...]
    completeness: Table
    points_table: Table
    actions_table: Table
    score_chart: Chart
    penalty_text: str = ""  # why critical risks took points off, "" when none


def scan_facts(scan: ScanContext) -> ScanFacts:
    """What the compliance score needs from the data map."""
    return ScanFacts(
        sources_with_findings=scan.sources_with_findings,
        undeclared_sources=scan.undeclared_sources,
        undeclared_locations=scan.undeclared_locations,
        special_sources=scan.special_sources,
        special_undeclared_sources=scan.special_undeclared_sources,
        nir_sources=scan.nir_sources,
        nir_unauthorised_sources=scan.nir_unauthorised_sources,
        retention_overruns=scan.retention_overruns,
        overruns_by_activity=scan.overruns_by_activity,
        errors_count=scan.errors_count,
        password_sources=scan.password_sources,
        password_weak_sources=scan.password_weak_sources,
        password_weak_columns=scan.password_weak_columns,
    )


def request_facts(requests: RequestsContext) -> RequestFacts:
    """What the compliance score needs from the requests (built over the whole history)."""
    return RequestFacts(
        answered=requests.answered,
        open_count=requests.open_count,
        overdue_refs=requests.overdue_refs,
        late_refs=requests.late_refs,
    )


def score_of(
    data: OrgData,
    today: date,
    now: datetime,
    *,
    scan: ScanContext | None = None,
    requests: RequestsContext | None = None,
) -> Compliance:
    """The organisation's compliance (:func:`rgpd.registry.compliance.compliance_score`).

    Built from the whole history, whatever period a report shows: the same data on
    the same day give the same score in every report. ``scan``/``requests``: the
    contexts when already built (``requests`` only if built without a period).
    """
    return compliance_score(
        data.register,
        organisation=data.org,
        today=today,
        now=now,
        scan=scan_facts(scan or build_scan(data, today)),
        requests=request_facts(requests or build_requests(data, today, None)),
    )


def build_compliance(
    data: OrgData,
    today: date,
    now: datetime,
    *,
    scan: ScanContext | None = None,
    requests: RequestsContext | None = None,
) -> ComplianceContext:
    """The scorecard: :func:`score_of` laid out as tables and a chart."""
    result = score_of(data, today, now, scan=scan, requests=requests)
    org = data.register.organisation or data.org
    score, points, actions, comp = result.score, result.points, result.actions, result.completeness
    applicable = [p for p in points if p.applicable]
    completeness_table = make_table(
        "completeness",
        _("Register completeness per activity"),
        (_("Activity"), _("Completeness"), _("Missing")),
        (
            (
                a.name,
                f"{round(c * 100)} %",
                ", ".join(
                    f"{ch.label} ({ch.article})" for ch in completeness_checks(a, org) if not ch.ok
                ),
            )
            for a, c in sorted(comp, key=lambda t: (t[1], t[0].name))
        ),
        _("The register holds no activity yet."),
    )
    points_table = make_table(
        "score-points",
        _("How the score is made"),
        (_("Point"), _("Article"), _("Weight"), _("Earned"), _("Explanation")),
        (
            (
                p.label,
                p.article,
                p.weight,
                p.earned if p.applicable else _("not applicable"),
                p.explanation,
            )
            for p in points
        ),
    )
    penalty_text = (
        _(
            "{points} points off for each kind of critical risk (at most {cap}): {kinds}.",
            points=CRITICAL_PENALTY,
            cap=CRITICAL_CAP,
            kinds="; ".join(_(CRITICAL_LABELS[k]) for k in result.critical),
        )
        if result.penalty
        else ""
    )
    if result.penalty:
        row: tuple[Cell, ...] = (
            _("Critical risks present"),
            "Art. 5(2)",
            "",
            -result.penalty,
            penalty_text,
        )
        points_table = replace(points_table, rows=(*points_table.rows, row))
    actions_table = make_table(
        "actions",
        _("Top ten actions, by risk"),
        ("#", _("Action"), _("Article"), _("Risk"), _("Why")),
        ((a.rank, a.title, a.article, a.risk, a.why) for a in actions),
        _("No action needed."),
    )
    chart = Chart(
        key="chart-score",
        title=_("Score by point (% of each point's weight)"),
        kind="hbar",
        categories=tuple(p.label for p in applicable),
        series=(Series(_("Score (%)"), tuple(float(p.percent or 0) for p in applicable)),),
        summary=_(
            "Overall score {score} out of 100; weakest point: {weak}.",
            score=score if score is not None else "—",
            weak=min(applicable, key=lambda p: p.earned / p.weight).label if applicable else "—",
        ),
        unit="%",
    )
    return ComplianceContext(
        score=score,
        points=tuple(points),
        actions=actions,
        result=result,
        completeness=completeness_table,
        points_table=points_table,
        actions_table=actions_table,
        score_chart=chart,
        penalty_text=penalty_text,
    )
