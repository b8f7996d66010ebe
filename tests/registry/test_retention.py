"""One calendar-exact answer to "when does this retention end; is this file past it?".

The register model, reconcile and the scan report all go through
:func:`rgpd.registry.model.retention_end_for` / :func:`rgpd.deadlines.retention_over`;
the cases below sit on the days where a 365-day year or a 30-day month would
answer differently, and every caller is asked the same question.
"""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from rgpd.deadlines import retention_end, retention_over
from rgpd.registry.model import (
    Activity,
    DataCategoryUse,
    DataLocation,
    Organisation,
    Register,
    Retention,
    applicable_retentions,
    retention_end_for,
)
from rgpd.reports.context import OrgData, ScanData, ScanRun, SourceFinding, build_scan
from rgpd.scan.reconcile import Coverage, FoundItem, Rule, reconcile

# (file dated, active, intermediate, today, past it?)
CASES: list[tuple[date, str, str | None, date, bool]] = [
    (date(2024, 2, 29), "1y", None, date(2025, 2, 28), True),  # 365 days: not yet
    (date(2024, 2, 29), "1y", None, date(2025, 2, 27), False),
    (date(2023, 3, 1), "1y", None, date(2024, 2, 29), False),  # a leap year is 366 days
    (date(2023, 3, 1), "1y", None, date(2024, 3, 1), True),
    (date(2024, 1, 31), "1m", None, date(2024, 2, 29), True),  # 30 days would say 1 March
    (date(2024, 7, 1), "2m", None, date(2024, 8, 31), False),  # 60 days would say 30 August
    (date(2024, 7, 1), "2m", None, date(2024, 9, 1), True),
    (date(2020, 1, 1), "5y", "10y", date(2034, 12, 31), False),  # active + intermediate
    (date(2020, 1, 1), "5y", "10y", date(2035, 1, 1), True),
    (date(2024, 1, 1), "30d", None, date(2024, 1, 31), True),
]


@pytest.mark.parametrize(("start", "active", "inter", "today", "past"), CASES)
def test_one_rule_everywhere(
    start: date, active: str, inter: str | None, today: date, past: bool
) -> None:
    ret = Retention(active=active, intermediate=inter)
    durations = (active, inter) if inter else (active,)
    assert retention_over(start, today, *durations) is past
    assert (ret.ends_on(start) <= today) is past
    assert ret.ends_on(start) == retention_end(start, *durations)

    act = Activity(
        ref="a",
        name="A",
        data_categories=[DataCategoryUse(category="etat_civil", retention=ret)],
        data_locations=[DataLocation(kind="files", path="/srv/a/**")],
    )
    end = retention_end_for(act, start)
    assert end is not None and (end[0] <= today) is past

    # reconcile (the retention_overrun rule)
    now = datetime.combine(today, time(12))
    modified = datetime.combine(start, time(12))
    item = FoundItem("file", "/srv/a/x.pdf", "PERSON", root="/srv/a", path="/srv/a/x.pdf",
                     modified_at=modified)  # fmt: skip
    cov = [Coverage("file", now, path=item.path, root=item.root)]
    res = [r for r in reconcile([act], [item], cov, now=now) if r.rule is Rule.RETENTION_OVERRUN]
    assert bool(res) is past
    if res:
        assert res[0].details["retention"] == ret.text()

    # the scan report's overrun count
    org = Organisation(slug="o", name="O")
    scan = ScanData(
        runs=(ScanRun(1, "files", "completed", now),),
        findings=(SourceFinding("/srv/a/x.pdf", "file", "/srv/a", "PERSON", 1, False, modified),),
        sources_scanned=1,
    )
    data = OrgData(org=org, register=Register(organisation=org, activities=[act]), scan=scan)
    assert (build_scan(data, today).retention_overruns == 1) is past

    # erasure: a row dated ``start`` under a rule with the active period
    if inter is None:
        from rgpd.registry.model import ErasureRule
        from rgpd.requests.erasure.plan import _retention_over

        rule = ErasureRule(table="t", retention=active, retention_column="d")
        assert _retention_over(rule, start, today) == (past, retention_end(start, active))


def test_the_categories_found_choose_the_retention() -> None:
    act = Activity(
        ref="a",
        name="A",
        data_categories=[
            DataCategoryUse(category="etat_civil", retention=Retention(active="1y")),
            DataCategoryUse(category="nir", retention=Retention(active="10y")),
        ],
    )
    start = date(2020, 1, 1)
    assert retention_end_for(act, start, entities={"PERSON"}) == (
        date(2021, 1, 1),
        Retention(active="1y"),
    )
    assert retention_end_for(act, start, entities={"FR_NIR"})[0] == date(2030, 1, 1)  # type: ignore[index]
    assert retention_end_for(act, start)[0] == date(2030, 1, 1)  # type: ignore[index]  # longest
    # a location keeping only the civil status: its retention, whatever was found
    loc = DataLocation(kind="files", path="/x/**", categories=["etat_civil"])
    assert applicable_retentions(act, entities={"FR_NIR"}, location=loc) == [Retention(active="1y")]
    assert retention_end_for(Activity(ref="b", name="B"), start) is None
