"""The annual report's maturity part: the declared index, year after year, beside the measured score.

Two numbers sit side by side and must never be confused: the compliance score is
*measured* by rgpd from the register, the scans, the requests and the breaches
(:mod:`rgpd.registry.compliance`); the maturity index is *declared* by the
organisation in the yearly questionnaire (:mod:`rgpd.registry.maturity`). The
part says so in words, and shows the index's trend per domain.
"""

from __future__ import annotations

from dataclasses import dataclass

from rgpd.i18n import _
from rgpd.registry.maturity import DOMAIN_LABELS, MaturityDomain, MaturityResult
from rgpd.reports.context.common import Chart, OrgData, Series, Table, make_table

#: Years shown side by side in the per-domain chart (the latest answered up to the report's year).
CHART_YEARS = 3


@dataclass(frozen=True)
class MaturityContext:
    year: int
    current: MaturityResult | None  # the latest answers for a year up to the report's
    previous: MaturityResult | None  # the year answered before it
    compliance_score: int | None  # measured, shown beside the declared index
    chart: Chart
    domains: Table
    trend: Table

    @property
    def change(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return round(self.current.index - self.previous.index, 1)


def build_maturity(data: OrgData, year: int, compliance_score: int | None) -> MaturityContext:
    """The index of ``year`` (or the latest year before it) and its trend, per domain."""
    history = [r for r in data.maturity if r.year <= year]
    current = history[-1] if history else None
    previous = history[-2] if len(history) > 1 else None
    shown = history[-CHART_YEARS:]
    domains = list(MaturityDomain)
    labels = tuple(_(DOMAIN_LABELS[d]) for d in domains)
    chart = Chart(
        key="chart-maturity-domains",
        title=_("Maturity index per domain (declared), out of 10"),
        kind="bar",
        categories=labels if shown else (),
        series=tuple(Series(str(r.year), tuple(r.domain(d).score for d in domains)) for r in shown),
        summary=(
            _(
                "Declared maturity index {index} / 10 in {year}; weakest domain: {weak} "
                "({score} / 10).",
                index=current.index,
                year=current.year,
                weak=min(current.domains, key=lambda x: x.score).label,
                score=min(x.score for x in current.domains),
            )
            if current
            else _("No maturity questionnaire answered up to {year}.", year=year)
        ),
        unit="/ 10",
        y_max=10,
    )
    domain_rows = []
    if current is not None:
        for d in domains:
            now = current.domain(d).score
            before = previous.domain(d).score if previous else None
            domain_rows.append(
                (
                    _(DOMAIN_LABELS[d]),
                    now,
                    before,
                    None if before is None else round(now - before, 1),
                )
            )
    domain_table = make_table(
        "maturity-domains",
        _("Maturity per domain, {year}", year=current.year if current else year),
        (
            _("Domain"),
            _("Score / 10"),
            _("Previous score") if previous is None else str(previous.year),
            _("Change"),
        ),
        domain_rows,
        _("No maturity questionnaire answered: rgpd maturity answer."),
    )
    trend = make_table(
        "maturity-trend",
        _("Maturity index year after year (declared)"),
        (_("Year"), _("Index / 10"), _("Version"), _("Answered on")),
        ((r.year, r.index, r.version, r.answered_on) for r in history),
        _("No maturity questionnaire answered: rgpd maturity answer."),
    )
    return MaturityContext(year, current, previous, compliance_score, chart, domain_table, trend)


def maturity_tables(m: MaturityContext) -> list[Table]:
    """The part's tables, in reading order (CSV/XLSX exports)."""
    return [m.domains, m.trend]
