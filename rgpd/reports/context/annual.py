"""The annual report's own part: the monthly trends of the calendar year.

The annual report also shows every other part (:mod:`.assemble`); a new section
(e.g. an action plan) gets its own module here and a name in ``PARTS``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from rgpd.i18n import _
from rgpd.reports.context.common import (
    Chart,
    OrgData,
    Period,
    Series,
    Table,
    as_utc_naive,
    make_table,
    month_names,
)
from rgpd.reports.context.requests import ANSWERED
from rgpd.requests.model import RequestState

# ================================================================================== trends


@dataclass(frozen=True)
class TrendsContext:
    year: int
    requests_chart: Chart
    activity_chart: Chart
    table: Table
    totals: dict[str, int]


def build_trends(data: OrgData, year: int) -> TrendsContext:
    """Monthly series over the calendar year (the annual report's trends)."""
    period = Period.year(year)
    months = month_names()

    def series(dates: Iterable[date | datetime]) -> tuple[float, ...]:
        c: Counter[int] = Counter()
        for d in dates:
            if d in period:
                c[d.month] += 1
        return tuple(float(c[m]) for m in range(1, 13))

    received = series(r.received_on for r in data.requests)
    answered_reqs = [
        r for r in data.requests if RequestState(r.state) in ANSWERED and r.closed_on is not None
    ]
    answered = series(r.closed_on for r in answered_reqs if r.closed_on)
    late = series(r.closed_on for r in answered_reqs if r.closed_on and r.closed_on > r.due_on)
    breaches = series(as_utc_naive(b.discovered_at) for b in data.register.breaches)
    run_start = {r.id: r.started_at for r in data.scan.runs}
    new_findings: Counter[int] = Counter()
    for f in data.scan.findings:
        started = run_start.get(f.first_run_id or -1)
        if started is not None and started in period:
            new_findings[started.month] += f.count
    found = tuple(float(new_findings[m]) for m in range(1, 13))
    errors = series(e.at for e in data.scan.errors)
    changes = series(data.register_changes)

    req_chart = Chart(
        key="chart-requests-monthly",
        title=_("Requests per month, {year}", year=year),
        kind="bar",
        categories=months,
        series=(
            Series(_("Received"), received),
            Series(_("Answered"), answered),
            Series(_("Answered late"), late),
        ),
        summary=_(
            "{received} requests received and {answered} answered in {year}, {late} of them late.",
            received=int(sum(received)),
            answered=int(sum(answered)),
            late=int(sum(late)),
            year=year,
        ),
    )
    act_chart = Chart(
        key="chart-activity-monthly",
        title=_("Register changes, breaches and scan errors per month, {year}", year=year),
        kind="line",
        categories=months,
        series=(
            Series(_("Register changes"), changes),
            Series(_("Breaches"), breaches),
            Series(_("Scan errors"), errors),
        ),
        summary=_(
            "{changes} register changes, {breaches} breaches and {errors} scan errors in {year}.",
            changes=int(sum(changes)),
            breaches=int(sum(breaches)),
            errors=int(sum(errors)),
            year=year,
        ),
    )
    names = (
        _("Requests received"),
        _("Requests answered"),
        _("Answered late"),
        _("Breaches"),
        _("New personal data found"),
        _("Scan errors"),
        _("Register changes"),
    )
    cols = (received, answered, late, breaches, found, errors, changes)
    table = make_table(
        "trends",
        _("Month by month, {year}", year=year),
        (_("Month"), *names),
        ((months[m], *(int(c[m]) for c in cols)) for m in range(12)),
    )
    totals = {
        "requests_received": int(sum(received)),
        "requests_answered": int(sum(answered)),
        "requests_late": int(sum(late)),
        "breaches": int(sum(breaches)),
        "new_findings": int(sum(found)),
        "scan_errors": int(sum(errors)),
        "register_changes": int(sum(changes)),
    }
    return TrendsContext(year, req_chart, act_chart, table, totals)
