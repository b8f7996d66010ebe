"""Pure context builders: the figures a council reads, checked on hand-made inputs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rgpd.deadlines import ClockEvent, ClockEventKind, PauseReason
from rgpd.registry.model import (
    Activity,
    Breach,
    DataCategoryUse,
    DataLocation,
    LegalBasis,
    Notification,
    Organisation,
    Register,
    Retention,
    SubjectCategory,
)
from rgpd.reports.context import (
    MAX_ROWS,
    BreachStatus,
    LocationIndex,
    OrgData,
    Period,
    ReportKind,
    RequestData,
    ScanData,
    ScanRun,
    SourceFinding,
    breach_line,
    build_report,
    build_requests,
    build_scan,
    cap_tables,
    location_of,
    refusal_grounds,
)

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
ORG = Organisation(slug="mairie", name="Ville", dpo_email="dpo@example.org", address="1 rue")


def _act(ref: str, path: str | None = None, **kw: object) -> Activity:
    locs = [DataLocation(kind="files", path=path)] if path else []
    return Activity(ref=ref, name=ref.upper(), data_locations=locs, **kw)  # type: ignore[arg-type]


def _data(acts: list[Activity] | None = None, **kw: object) -> OrgData:
    return OrgData(org=ORG, register=Register(organisation=ORG, activities=acts or []), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("Demande manifestement excessive (art. 12(5))", "Art. 12(5)"),
        ("Identité non établie, art. 11(2)", "Art. 11(2)"),
        ("Obligation légale de conservation, 17(3)(b)", "Art. 17(3)"),
        ("Traitement fondé sur une mission d'intérêt public : pas de portabilité", "Art. 20"),
        ("lettre type", "Other reason"),
    ],
)
def test_refusal_grounds_name_the_article_not_the_text(reason: str, expected: str) -> None:
    grounds = refusal_grounds(reason)
    assert any(expected in g for g in grounds)
    assert all(reason not in g for g in grounds)


@pytest.mark.parametrize(
    ("pattern", "uri", "root", "matches"),
    [
        ("partage/rh/**", "/srv/partage/rh/paie/2025.xlsx", "/srv", True),
        ("partage/rh/**", "/srv/partage/rh-old/x.pdf", "/srv", False),
        ("partage/rh/*", "/srv/partage/rh/x.pdf", "/srv", True),
        ("partage/rh/*", "/srv/partage/rh/sub/x.pdf", "/srv", False),
        ("/srv/partage/rh/**", "/srv/partage/rh/x.pdf", "/srv", True),
        ("/srv/partage/rh/**", "/mnt/srv/partage/rh/x.pdf", "/mnt", False),
        ("partage/**/*.xlsx", "/srv/partage/rh/x.xlsx", "/srv", True),
        ("partage/**/*.xlsx", "/srv/partage/rh/x.pdf", "/srv", False),
        ("partage/rh/**", "/srv/partage/rh/a.zip!inner/b.csv", "/srv", True),
    ],
)
def test_location_index_files(pattern: str, uri: str, root: str, matches: bool) -> None:
    index = LocationIndex([_act("rh", pattern)])
    assert (index.match(uri, root) is not None) is matches


def test_location_index_database_and_first_declared_wins() -> None:
    db = Activity(
        ref="paie",
        name="Paie",
        data_locations=[DataLocation(kind="database", connection="rh_paie", table="agents")],
    )
    a, b = _act("first", "partage/**"), _act("second", "partage/rh/**")
    index = LocationIndex([db, a, b])
    assert index.match("sqlite:///x.db#main.agents.nir", "rh_paie").activity.ref == "paie"  # type: ignore[union-attr]
    assert index.match("sqlite:///x.db#main.bulletins.net", "rh_paie") is None
    assert index.match("/s/partage/rh/x.pdf", "/s").activity.ref == "first"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("uri", "root", "expected"),
    [
        ("/srv/partage/rh/paie/a.pdf", "/srv/partage", "partage/rh"),
        ("/srv/partage/a.pdf", "/srv/partage", "partage"),
        ("postgresql://h/db#public.agents.nir", "rh_paie", "rh_paie · public.agents"),
        ("/x/y/z.pdf", None, "/x/y"),
    ],
)
def test_location_of(uri: str, root: str | None, expected: str) -> None:
    assert location_of(SourceFinding(uri, "file", root, "PERSON", 1)) == expected


def _req(
    ref: str, state: str, received: date, closed: date | None = None, **kw: object
) -> RequestData:
    return RequestData(
        ref=ref,
        type=str(kw.pop("type", "acces")),
        state=state,
        channel="web",
        received_on=received,
        due_on=received + timedelta(days=30),
        closed_on=closed,
        **kw,  # type: ignore[arg-type]
    )


def test_requests_figures() -> None:
    d = date(2026, 3, 2)
    reqs = (
        _req("A", "traitee", d, d + timedelta(days=10)),
        _req("B", "traitee", d, d + timedelta(days=40)),  # late
        _req("C", "refusee", d, d + timedelta(days=20), refusal_grounds=("x",)),
        _req("D", "retiree", d, d + timedelta(days=2)),  # withdrawn: not an answer
        _req("E", "en_cours", date(2026, 9, 1)),  # overdue (due 1 October)
        _req("F", "en_cours", date(2026, 11, 20)),
        _req("G", "traitee", date(2025, 3, 2), date(2025, 3, 3)),  # other year
    )
    ctx = build_requests(_data(requests=reqs), TODAY, period=None)
    assert ctx.total == 7
    assert ctx.answered == 4
    assert ctx.answered_on_time == 3
    assert ctx.share_on_time == pytest.approx(3 / 4)
    assert ctx.median_days == pytest.approx(15)  # 1, 10, 20, 40
    assert (ctx.worst_days, ctx.worst_ref) == (40, "B")
    assert ctx.open_count == 2
    assert ctx.overdue_refs == ("E",)
    assert ctx.late_refs == ("B",)
    year = build_requests(_data(requests=reqs), TODAY, period=Period.year(2026))
    assert year.total == 6


def test_open_request_with_a_pending_identity_check_is_not_overdue() -> None:
    """The identity suspension (Art. 12(6), décret) pushes the due date while it lasts."""
    received = date(2026, 9, 1)
    events = (ClockEvent(ClockEventKind.PAUSE, date(2026, 9, 2), PauseReason.IDENTITY),)
    r = _req("P", "identite_en_attente", received, clock_events=events)
    ctx = build_requests(_data(requests=(r,)), TODAY, period=None)
    assert ctx.overdue_count == 0
    assert ctx.open.rows[0][3] > TODAY  # due date moved past today


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["traitee", "refusee", "retiree", "en_cours", "reorientee"]),
            st.integers(0, 300),
            st.integers(0, 90),
        ),
        max_size=30,
    )
)
def test_requests_invariants(rows: list[tuple[str, int, int]]) -> None:
    reqs = []
    for i, (state, offset, took) in enumerate(rows):
        received = date(2026, 1, 1) + timedelta(days=offset)
        closed = None if state == "en_cours" else min(received + timedelta(days=took), TODAY)
        reqs.append(_req(f"R{i}", state, received, closed))
    ctx = build_requests(_data(requests=tuple(reqs)), TODAY, period=None)
    assert ctx.answered_on_time <= ctx.answered <= ctx.total
    assert ctx.open_count + ctx.answered + sum(1 for r in reqs if r.state == "retiree") == ctx.total
    assert ctx.overdue_count <= ctx.open_count
    if ctx.share_on_time is not None:
        assert 0 <= ctx.share_on_time <= 1
    assert len(ctx.late_refs) == ctx.answered - ctx.answered_on_time


def _breach(**kw: object) -> Breach:
    return Breach(ref="b", title="B", discovered_at=datetime(2026, 11, 1, 9, 0, tzinfo=UTC), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kw", "now", "status"),
    [
        (
            {"notifications": [Notification(at=datetime(2026, 11, 2, 9, tzinfo=UTC))]},
            NOW,
            BreachStatus.ON_TIME,
        ),
        (
            {"notifications": [Notification(at=datetime(2026, 11, 5, 9, tzinfo=UTC))]},
            NOW,
            BreachStatus.LATE,
        ),
        ({"notify_decision": False, "notify_reason": "low risk"}, NOW, BreachStatus.NOT_NOTIFIED),
        ({}, datetime(2026, 11, 2, 9, tzinfo=UTC), BreachStatus.PENDING),
        ({}, NOW, BreachStatus.OVERDUE),
        ({"notify_decision": True}, NOW, BreachStatus.OVERDUE),
    ],
)
def test_breach_status(kw: dict[str, object], now: datetime, status: BreachStatus) -> None:
    line = breach_line(_breach(**kw), now)
    assert line.status is status
    assert line.deadline == datetime(2026, 11, 4, 9, 0, tzinfo=UTC)  # 72 hours (Art. 33(1))


def _scan_data() -> ScanData:
    runs = (
        ScanRun(1, "files", "completed", datetime(2026, 3, 1)),
        ScanRun(2, "files", "completed", datetime(2026, 9, 1)),
    )
    f = [
        SourceFinding(
            "/s/partage/rh/a.pdf", "file", "/s", "FR_NIR", 3, False, datetime(2026, 1, 1), 1, 2
        ),
        SourceFinding(
            "/s/partage/divers/b.pdf", "file", "/s", "FR_NIR", 2, False, datetime(2026, 1, 1), 2, 2
        ),
        SourceFinding(
            "/s/partage/divers/b.pdf", "file", "/s", "HEALTH", 1, True, datetime(2026, 1, 1), 2, 2
        ),
        SourceFinding(
            "/s/partage/vieux/c.pdf", "file", "/s", "PERSON", 4, False, datetime(2010, 1, 1), 1, 2
        ),
    ]
    return ScanData(runs=runs, findings=tuple(f), sources_scanned=5)


def test_scan_map_nir_retention_and_changes() -> None:
    rh = _act(
        "rh",
        "partage/rh/**",
        nir_authorisation="travail_emploi",
        data_categories=[DataCategoryUse(category="nir", retention=Retention(active="5y"))],
        department="RH",
    )
    old = _act(
        "vieux",
        "partage/vieux/**",
        data_categories=[DataCategoryUse(category="etat_civil", retention=Retention(active="5y"))],
    )
    ctx = build_scan(_data([rh, old], scan=_scan_data()), TODAY)
    assert ctx.sources_with_findings == 3
    assert ctx.occurrences == 10
    assert (ctx.nir_sources, ctx.nir_unauthorised_sources) == (2, 1)
    assert ctx.undeclared_sources == 1
    assert ctx.special_undeclared_sources == 1
    assert ctx.retention_overruns == 1  # the 2010 file, 5 years declared
    assert ctx.changes.new_sources == 1 and ctx.changes.new_occurrences == 3
    departments = {r[0] for r in ctx.by_department.rows}
    assert "RH" in departments


def test_compliance_points_are_traceable_and_actions_ranked() -> None:
    acts = [
        _act(
            "ok",
            legal_basis=LegalBasis.PUBLIC_TASK,
            legal_basis_text="CGCT",
            purposes=["p"],
            data_subjects=[SubjectCategory.USAGERS],
            data_categories=[
                DataCategoryUse(category="etat_civil", retention=Retention(active="1y"))
            ],
        ),
        _act("bad"),
    ]
    data = _data(acts, requests=(_req("E", "en_cours", date(2026, 9, 1)),))
    rep = build_report(ReportKind.COMPLIANCE, [data], today=TODAY, now=NOW)
    c = rep.sections[0].compliance
    assert c is not None and c.score is not None and 0 <= c.score <= 100
    for p in c.points:
        assert p.article.startswith("Art.")
        assert p.explanation
        assert 0 <= p.earned <= p.weight
    lint = next(p for p in c.points if p.key == "lint_errors")
    assert lint.earned == pytest.approx(15 / 2)
    assert any("BAD" in i for i in lint.items)
    assert not next(p for p in c.points if p.key == "breaches").applicable
    risks = [a.risk for a in c.actions]
    assert risks == sorted(risks, reverse=True) and len(risks) <= 10
    assert c.actions[0].article == "Art. 12(3)"  # the overdue request comes first


def test_empty_organisation_builds_every_report() -> None:
    for kind in ReportKind:
        rep = build_report(kind, [_data()], today=TODAY, now=NOW)
        assert rep.sections[0].org.slug == "mairie"
        assert rep.tables()  # every table is there, empty or not


def test_cap_tables_keeps_the_count() -> None:
    reqs = tuple(_req(f"R{i:04d}", "en_cours", date(2026, 11, 1)) for i in range(MAX_ROWS + 5))
    ctx = build_requests(_data(requests=reqs), TODAY, period=None)
    assert len(ctx.open.rows) == MAX_ROWS and ctx.open.total_rows == MAX_ROWS + 5
    capped = cap_tables(ctx, 10)
    assert len(capped.open.rows) == 10 and capped.open.total_rows == MAX_ROWS + 5
    assert "10" in capped.open.note and str(MAX_ROWS + 5) in capped.open.note
