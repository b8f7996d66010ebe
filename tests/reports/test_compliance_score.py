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

from rgpd.i18n import _, use_language
from rgpd.registry.compliance import (
    CRITICAL_LABELS,
    CRITICAL_PENALTY,
    RequestFacts,
    ScanFacts,
    compliance_score,
    priority_band,
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
from rgpd.reports.context.compliance import scan_facts
from rgpd.reports.context.scan import build_scan
from rgpd.scan.findings import WEAK_PASSWORD_STORAGE
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


# ------------------------------------------------- passwords in clear or under a weak hash


CLEAR_COL = ("portail:usagers_portail.mot_de_passe", "clear")
WEAK_COL = ("portail:anciens_comptes.pwd", "weak_hash")


def _password_facts(weak: tuple[tuple[str, str], ...], total: int = 4) -> ScanFacts:
    return ScanFacts(
        sources_with_findings=100,
        password_sources=total,
        password_weak_sources=len(weak),
        password_weak_columns=weak,
    )


def _reg() -> Register:
    return Register(organisation=Organisation(slug="o", name="O"), activities=[_activity()])


def test_weak_passwords_are_a_critical_risk_with_their_point_and_action() -> None:
    reqs = RequestFacts(answered=10)
    none = compliance_score(_reg(), today=TODAY, now=NOW, scan=ScanFacts(100), requests=reqs)
    hashed = compliance_score(_reg(), today=TODAY, now=NOW, scan=_password_facts(()), requests=reqs)
    weak = compliance_score(
        _reg(), today=TODAY, now=NOW, scan=_password_facts((CLEAR_COL, WEAK_COL)), requests=reqs
    )
    # no password column: the point does not apply, nothing is at risk
    p_none = next(p for p in none.points if p.key == "passwords")
    assert not p_none.applicable and "password_weak" not in none.critical
    assert not any(a.kind == "password_weak" for a in none.all_actions)
    # every password column well kept: full marks, no penalty, no action
    p_hashed = next(p for p in hashed.points if p.key == "passwords")
    assert p_hashed.applicable and p_hashed.earned == p_hashed.weight == 10
    assert p_hashed.article == "Art. 32(1)(a)"
    assert hashed.critical == () and hashed.penalty == 0
    # two of four in clear or under a weak hash: half the point, a critical risk, an action
    p_weak = next(p for p in weak.points if p.key == "passwords")
    assert p_weak.earned == 5.0
    assert p_weak.items == (
        "portail:usagers_portail.mot_de_passe: passwords stored in clear (Art. 32(1)(a))",
        "portail:anciens_comptes.pwd: passwords under a weak hash: fast or unsalted "
        "(Art. 32(1)(a))",
    )
    assert weak.critical == ("password_weak",) and weak.penalty == CRITICAL_PENALTY
    assert hashed.score is not None and weak.score is not None
    # 5 of the point's 10 points, then the penalty on top
    assert hashed.score - weak.score >= CRITICAL_PENALTY + 1
    (action,) = [a for a in weak.all_actions if a.kind == "password_weak"]
    assert action.key == "password_weak" and action.article == "Art. 32(1)(a)"
    assert action.title == "Hash the passwords of 2 columns with a slow, salted function"
    assert "portail:usagers_portail.mot_de_passe" in action.why
    assert "portail:anciens_comptes.pwd" in action.why and "2022-100" in action.why
    assert priority_band(action.risk) == "critical"
    assert action in weak.actions  # among the ten shown
    assert "password_weak" in weak.public()["critical_risks"]  # type: ignore[operator]


def test_many_weak_password_columns_are_listed_up_to_five() -> None:
    cols = tuple((f"portail:t{i}.mot_de_passe", "clear") for i in range(7))
    got = compliance_score(
        _reg(),
        today=TODAY,
        now=NOW,
        scan=_password_facts(cols, total=7),
        requests=RequestFacts(),
    )
    (action,) = [a for a in got.all_actions if a.kind == "password_weak"]
    assert "portail:t4.mot_de_passe" in action.why and "portail:t5" not in action.why
    assert " …" in action.why
    assert next(p for p in got.points if p.key == "passwords").earned == 0.0
    assert len(next(p for p in got.points if p.key == "passwords").items) == 7


def test_the_weak_password_risk_speaks_french_by_default() -> None:
    with use_language("fr"):
        got = compliance_score(
            _reg(),
            today=TODAY,
            now=NOW,
            scan=_password_facts((CLEAR_COL,)),
            requests=RequestFacts(),
        )
        (action,) = [a for a in got.all_actions if a.kind == "password_weak"]
        point = next(p for p in got.points if p.key == "passwords")
        label = _(CRITICAL_LABELS["password_weak"])
    assert action.title == "Hacher les mots de passe de 1 colonne par une fonction lente et salée"
    assert "délibération CNIL n° 2022-100" in action.why
    assert point.label == "Mots de passe conservés sous un hachage lent et salé"
    assert point.explanation.startswith("1 colonne de mots de passe sur 4 est conservée en clair")
    assert label == "mots de passe conservés en clair ou sous un hachage faible (art. 32(1)(a))"


def _column(
    table: str, column: str, storage: str | None, entity: str = "CREDENTIAL"
) -> SourceFinding:
    return SourceFinding(
        f"sqlite:////srv/bases/portail.db#{table}.{column}",
        "column",
        "portail",
        entity,
        30,
        False,
        None,
        password_storage=storage,
    )


def test_build_scan_counts_password_columns_with_the_scans_rule() -> None:
    findings = [
        _column("usagers", "mot_de_passe", "clear"),
        _column("usagers", "courriel", None, "EMAIL_ADDRESS"),
        _column("anciens", "pwd", "weak_hash"),
        _column("agents", "password_hash", "hashed"),
        _column("bloques", "mdp", "unknown"),
        _column("clients", "api_token", None),  # a secret, not a password: not judged
        _finding("/srv/partage/etat-civil/acte-1.pdf"),
    ]
    rep = build_report(ReportKind.COMPLIANCE, [_data(findings)], today=TODAY, now=NOW)
    sec = rep.sections[0]
    assert sec.compliance is not None
    facts = scan_facts(build_scan(_data(findings), TODAY))
    assert (facts.password_sources, facts.password_weak_sources) == (4, 2)
    assert facts.password_weak_columns == (
        ("portail:usagers.mot_de_passe", "clear"),
        ("portail:anciens.pwd", "weak_hash"),
    )
    assert set(WEAK_PASSWORD_STORAGE) == {s for _c, s in facts.password_weak_columns}
    assert "password_weak" in sec.compliance.result.critical
    scan = build_report(ReportKind.SCAN, [_data(findings)], today=TODAY, now=NOW).sections[0].scan
    assert scan is not None
    assert [row[0] for row in scan.passwords.rows] == [
        "portail:usagers.mot_de_passe",
        "portail:anciens.pwd",
        "portail:agents.password_hash",
        "portail:bloques.mdp",
    ]  # in the order of rgpd.scan.columns.PasswordStorage
    assert scan.password_text == "2 of 4 password columns are kept in clear or under a weak hash."
    # a report without password columns says nothing of them
    clean = build_scan(_data([_finding("/srv/partage/etat-civil/acte-1.pdf")]), TODAY)
    assert clean.password_sources == 0 and clean.password_text == ""


def test_the_shared_dpos_totals_count_weak_password_columns() -> None:
    """A shared DPO sees, per organisation, the password columns kept in clear or under a
    weak hash (Art. 32(1)(a)); an organisation where no password column was judged shows
    nothing there, and the column is left out when no organisation has one."""
    portail = [
        _column("usagers", "mot_de_passe", "clear"),
        _column("agents", "password_hash", "hashed"),
        _column("anciens", "pwd", "weak_hash"),
    ]
    files_only = [_finding("/srv/partage/etat-civil/acte-1.pdf")]
    rep = build_report(
        ReportKind.SCAN,
        [_data(portail), _data(files_only)],
        today=TODAY,
        now=NOW,
        consolidated=True,
    )
    label = _("Password columns in clear or under a weak hash")
    with use_language("fr"):
        assert _(label) == "Colonnes de mots de passe en clair ou sous un hachage faible"
    assert rep.totals is not None
    col = rep.totals.columns.index(label)
    assert [row[col] for row in rep.totals.rows] == [2, None, 2]
    clean = build_report(
        ReportKind.SCAN, [_data(files_only), _data(files_only)], today=TODAY, now=NOW,
        consolidated=True,
    )  # fmt: skip
    assert clean.totals is not None
    assert label not in clean.totals.columns and _("Sources with a NIR") in clean.totals.columns
