"""The maturity index (issue 14): questionnaire as data, scoring, yearly versions, CLI, report part."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from rgpd.errors import NotFound, ValidationFailed
from rgpd.i18n import use_language
from rgpd.registry import maturity_service, service
from rgpd.registry.maturity import (
    DOMAIN_LABELS,
    QUESTIONS,
    MaturityAnswers,
    MaturityDomain,
    score,
)
from rgpd.registry.model import Organisation, Register
from rgpd.reports.context import OrgData, build_maturity
from rgpd.workspace import Workspace
from tests.clihelp import run_cli


def _all(level: int, year: int = 2026, **over: int) -> MaturityAnswers:
    return MaturityAnswers(year=year, answers={q.key: over.get(q.key, level) for q in QUESTIONS})


def test_the_questionnaire_covers_every_domain_in_both_languages() -> None:
    assert {q.domain for q in QUESTIONS} == set(MaturityDomain) == set(DOMAIN_LABELS)
    assert len({q.key for q in QUESTIONS}) == len(QUESTIONS)
    for q in QUESTIONS:
        assert q.text_fr and q.text_en and q.text_fr != q.text_en
        assert q.article.startswith("Art. ")
    with use_language("fr"):
        assert QUESTIONS[0].text == QUESTIONS[0].text_fr
    with use_language("en"):
        assert QUESTIONS[0].text == QUESTIONS[0].text_en


def test_scores_run_from_zero_to_ten() -> None:
    assert score(_all(0)).index == 0
    assert score(_all(3)).index == 10
    first = QUESTIONS[0]
    res = score(_all(3, **{first.key: 0}))
    # one answer at 0 among the governance questions: 2 of 3 questions at full marks
    n = sum(1 for q in QUESTIONS if q.domain == first.domain)
    assert res.domain(first.domain).score == round((n - 1) / n * 10, 1)
    assert res.domain(MaturityDomain.SECURITY).score == 10
    assert res.index == round((res.domain(first.domain).score + 60) / 7, 1)


@given(st.lists(st.integers(0, 3), min_size=len(QUESTIONS), max_size=len(QUESTIONS)))
def test_index_is_the_mean_of_the_domains(levels: list[int]) -> None:
    ans = MaturityAnswers(
        year=2026, answers={q.key: v for q, v in zip(QUESTIONS, levels, strict=True)}
    )
    res = score(ans)
    assert 0 <= res.index <= 10
    assert abs(res.index - sum(d.score for d in res.domains) / len(res.domains)) <= 0.051


def test_bad_answer_sets_are_refused_with_the_keys_named() -> None:
    base = {q.key: 1 for q in QUESTIONS}
    with pytest.raises(ValueError, match="unanswered question"):
        MaturityAnswers(year=2026, answers={k: v for k, v in list(base.items())[1:]})
    with pytest.raises(ValueError, match="unknown question"):
        MaturityAnswers(year=2026, answers={**base, "autre.question": 1})
    with pytest.raises(ValueError, match="levels from 0 to 3"):
        MaturityAnswers(year=2026, answers={**base, QUESTIONS[0].key: 4})
    with pytest.raises(ValueError, match="unknown question"):
        MaturityAnswers(year=2026, answers=base, comments={"x": "y"})


@pytest.fixture
def org_ws(ws: Workspace) -> Workspace:
    service.add_org(ws, Organisation(slug="mairie", name="Mairie"))
    return ws


def test_answering_a_year_again_makes_a_new_version(org_ws: Workspace) -> None:
    with pytest.raises(NotFound):
        maturity_service.get_maturity(org_ws, "mairie")
    first = maturity_service.save_maturity(org_ws, "mairie", _all(1, 2025))
    assert (first.year, first.version) == (2025, 1)
    assert first.answered_on == org_ws.today()  # defaulted at save time
    maturity_service.save_maturity(org_ws, "mairie", _all(1, 2026))
    again = maturity_service.save_maturity(org_ws, "mairie", _all(3, 2026))
    assert (again.year, again.version, again.index) == (2026, 2, 10)
    history = maturity_service.maturity_history(org_ws, "mairie")
    assert [(r.year, r.version) for r in history] == [(2025, 1), (2026, 2)]
    assert maturity_service.get_maturity(org_ws, "mairie").year == 2026
    assert maturity_service.get_maturity(org_ws, "mairie", 2025).index == first.index
    with pytest.raises(NotFound, match="2024"):
        maturity_service.get_maturity(org_ws, "mairie", 2024)


def test_report_part_shows_the_declared_trend_beside_the_measured_score() -> None:
    old = score(_all(1, 2024))
    prev = score(_all(2, 2025))
    cur = score(_all(3, 2026))
    data = OrgData(
        org=Organisation(slug="m", name="M"), register=Register(), maturity=(old, prev, cur)
    )
    ctx = build_maturity(data, 2026, 64)
    assert ctx.current == cur and ctx.previous == prev and ctx.change == 3.3
    assert ctx.compliance_score == 64
    assert [s.name for s in ctx.chart.series] == ["2024", "2025", "2026"]
    assert ctx.chart.series[-1].values == (10.0,) * len(MaturityDomain)
    assert [r[0] for r in ctx.trend.rows] == [2024, 2025, 2026]
    # the report of an earlier year does not see the answers of a later one
    past = build_maturity(data, 2025, None)
    assert past.current == prev and past.previous == old
    empty = build_maturity(OrgData(org=data.org, register=Register()), 2026, None)
    assert empty.current is None and empty.chart.empty and empty.domains.rows == ()


def test_cli_answer_from_yaml_show_and_trend(tmp_path: Path) -> None:
    db = ["--db", f"sqlite:///{tmp_path / 'rgpd.db'}", "--org", "mairie"]
    assert run_cli([*db, "org", "add", "mairie", "--name", "Mairie"]).code == 0
    f = tmp_path / "m.yaml"
    answers = {q.key: 2 for q in QUESTIONS}
    f.write_text(
        yaml.safe_dump(
            {"year": 2025, "answers": answers, "comments": {QUESTIONS[0].key: "DPO mutualisé"}},
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    r = run_cli([*db, "maturity", "answer", "--from", str(f)])
    assert r.code == 0 and "6.7 / 10" in r.all, r.all
    assert run_cli([*db, "maturity", "answer", "--from", str(f), "--year", "2024"]).code == 2
    # interactive: one prompt per question
    typed = "\n".join("3" for _q in QUESTIONS) + "\n"
    r = run_cli([*db, "maturity", "answer", "--year", "2026"], input=typed)
    assert r.code == 0 and "10 / 10" in r.all, r.all
    shown = json.loads(run_cli([*db, "maturity", "show", "--year", "2025", "--json"]).out)
    assert shown["index"] == 6.7 and shown["comments"] == {QUESTIONS[0].key: "DPO mutualisé"}
    trend = json.loads(run_cli([*db, "maturity", "trend", "--json"]).out)
    assert [(t["year"], t["index"]) for t in trend] == [(2025, 6.7), (2026, 10.0)]
    text = run_cli([*db, "maturity", "trend"]).out
    assert "+3.3" in text
    bad = tmp_path / "bad.yaml"
    bad.write_text("year: 2026\nanswers: {gouvernance.dpo: 9}\n", encoding="utf-8")
    r = run_cli([*db, "maturity", "answer", "--from", str(bad)])
    assert r.code == 2 and "0 to 3" in r.all
    assert run_cli([*db, "maturity", "show", "--year", "2020"]).code == 2


def test_validation_failed_names_the_file() -> None:
    with pytest.raises(ValidationFailed) as exc:
        service.validate(MaturityAnswers, {"year": 2026, "answers": {}}, "m.yaml")
    assert exc.value.source == "m.yaml"
    assert any("unanswered" in p.problem for p in exc.value.problems)
