"""One compliance score: the domain's, the same in every report and in ``--json``.

The annual report once said 81 and the compliance report 86 on the same data and
day: the annual report counted only the year's requests and breaches. The score
now reads the whole history (:func:`rgpd.reports.context.score_of`).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from rgpd.registry.compliance import (
    CRITICAL_PENALTY,
    RequestFacts,
    ScanFacts,
    compliance_score,
)
from rgpd.registry.model import (
    Activity,
    DataCategoryUse,
    DataLocation,
    LegalBasis,
    Organisation,
    Register,
    Retention,
    SubjectCategory,
)
from rgpd.reports import service
from rgpd.reports.context import (
    OrgData,
    ReportKind,
    ScanData,
    ScanRun,
    SourceFinding,
    build_report,
)
from rgpd.workspace import Workspace
from tests.clihelp import run_cli
from tests.reports import dataset

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
SCANNED = NOW.replace(tzinfo=None)  # stored times are naive UTC


def test_every_report_and_the_json_show_the_same_score(fixed_ws: Workspace) -> None:
    scores = set()
    for kind in ("annual", "compliance"):
        for year in (None, 2025, 2026):
            rep = service.build(
                fixed_ws, kind, org="mairie", year=year, today=dataset.TODAY, now=dataset.NOW
            )
            assert rep.sections[0].compliance is not None
            scores.add(rep.sections[0].compliance.score)
    js = service.summary(fixed_ws, "compliance", org="mairie", today=dataset.TODAY, now=dataset.NOW)
    (section,) = js["organisations"]  # type: ignore[misc]
    scores.add(section["compliance"]["score"])
    assert section["figures"]["score"] == section["compliance"]["score"]
    assert len(scores) == 1 and None not in scores


def test_report_compliance_json_on_the_command_line(
    fixed_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(fixed_ws.settings.base_dir)  # its key file
    db = fixed_ws.settings.database_url
    r = run_cli(["--db", db, "report", "compliance", "--org", "mairie", "--json"])
    assert r.code == 0, r.all
    out = json.loads(r.out)
    rep = service.build(fixed_ws, "annual", org="mairie")
    assert out["organisations"][0]["compliance"]["score"] == rep.sections[0].compliance.score  # type: ignore[union-attr]
    assert {p["key"] for p in out["organisations"][0]["compliance"]["points"]} >= {
        "nir",
        "special_categories",
        "requests",
        "breaches",
    }


def _activity() -> Activity:
    return Activity(
        ref="etat-civil",
        name="État civil",
        legal_basis=LegalBasis.PUBLIC_TASK,
        legal_basis_text="Code civil",
        purposes=["Actes"],
        data_subjects=[SubjectCategory.ADMINISTRES],
        data_categories=[DataCategoryUse(category="etat_civil", retention=Retention(active="75y"))],
        data_locations=[DataLocation(kind="files", path="partage/etat-civil/**")],
    )


def _data(findings: list[SourceFinding]) -> OrgData:
    org = Organisation(slug="o", name="O", dpo_email="dpo@example.org")
    scan = ScanData(
        runs=(ScanRun(1, "files", "completed", SCANNED),),
        findings=tuple(findings),
        sources_scanned=len(findings),
    )
    reg = Register(organisation=org, activities=[_activity()])
    return OrgData(org=org, register=reg, scan=scan)


def _finding(uri: str, entity: str = "PERSON", special: bool = False) -> SourceFinding:
    return SourceFinding(uri, "file", "/srv/partage", entity, 1, special, SCANNED)


def test_a_nir_outside_the_decret_lowers_the_score() -> None:
    clean = [_finding(f"/srv/partage/etat-civil/acte-{i}.pdf") for i in range(50)]
    before = build_report(ReportKind.COMPLIANCE, [_data(clean)], today=TODAY, now=NOW)
    # the same files, one holding a NIR, in an activity claiming no domain of the décret
    with_nir = [*clean, _finding("/srv/partage/etat-civil/acte-0.pdf", "FR_NIR")]
    after = build_report(ReportKind.COMPLIANCE, [_data(with_nir)], today=TODAY, now=NOW)
    b, a = before.sections[0].compliance, after.sections[0].compliance
    assert b is not None and a is not None and b.score is not None and a.score is not None
    assert a.score < b.score
    assert "nir_unauthorised" in a.result.critical
    assert a.actions[0].article.startswith("Art. 87")  # and it is the first action
    annual = build_report(ReportKind.ANNUAL, [_data(with_nir)], today=TODAY, now=NOW)
    assert annual.sections[0].compliance.score == a.score  # type: ignore[union-attr]


def test_special_categories_in_undeclared_places_lower_the_score() -> None:
    clean = [_finding(f"/srv/partage/etat-civil/acte-{i}.pdf") for i in range(50)]
    sick = [*clean, _finding("/srv/partage/divers/certificat.pdf", "HEALTH", special=True)]
    b = build_report(ReportKind.COMPLIANCE, [_data(clean)], today=TODAY, now=NOW)
    a = build_report(ReportKind.COMPLIANCE, [_data(sick)], today=TODAY, now=NOW)
    assert a.sections[0].compliance.score < b.sections[0].compliance.score  # type: ignore[union-attr,operator]


def test_the_formula_critical_risks_cost_points_each() -> None:
    reg = Register(organisation=Organisation(slug="o", name="O"), activities=[_activity()])
    scan = ScanFacts(sources_with_findings=100, nir_sources=100, special_sources=100)
    base = compliance_score(
        reg, today=TODAY, now=NOW, scan=scan, requests=RequestFacts(answered=100)
    )
    assert base.critical == ()
    one_each = compliance_score(
        reg,
        today=TODAY,
        now=NOW,
        scan=replace(scan, nir_unauthorised_sources=1, special_undeclared_sources=1),
        requests=RequestFacts(answered=100, overdue_refs=("R1",)),
    )
    assert set(one_each.critical) == {"nir_unauthorised", "special_undeclared", "request_overdue"}
    assert base.score is not None and one_each.score is not None
    assert base.score - one_each.score >= 3 * CRITICAL_PENALTY


def test_the_action_plan_is_planned_from_the_same_score(fixed_ws: Workspace) -> None:
    # ``actions from-report`` reads the score too (kept last: it writes the plan)
    js = service.summary(fixed_ws, "compliance", org="mairie", today=dataset.TODAY, now=dataset.NOW)
    (section,) = js["organisations"]  # type: ignore[misc]
    res = service.plan_actions(fixed_ws, "mairie", today=dataset.TODAY, now=dataset.NOW)
    assert res.score is not None and res.score == section["compliance"]["score"]
