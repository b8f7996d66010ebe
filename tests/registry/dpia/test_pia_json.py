"""The CNIL PIA tool's JSON: its own example comes in without loss and goes back out the same."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rgpd.errors import InvalidInput, ValidationFailed
from rgpd.registry.dpia.model import (
    QUESTIONS,
    RISK_KINDS,
    Evaluation,
    ImpactAssessment,
    Level,
    Measure,
    answer_at,
)
from rgpd.registry.dpia.pia_json import from_pia_json, slug_for, to_pia_json
from tests.conftest import missing

CAPTOO = (
    Path(__file__).resolve().parents[4] / "shared" / "data" / "cnil" / "pia-example-captoo.json"
)
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def captoo() -> dict[str, Any]:
    if not CAPTOO.exists():
        missing(f"needs the CNIL material: {CAPTOO}")
    data: dict[str, Any] = json.loads(CAPTOO.read_text(encoding="utf-8"))
    return data


def _keyed(records: list[dict[str, Any]], key: str) -> dict[Any, dict[str, Any]]:
    out = {r[key]: r for r in records}
    assert len(out) == len(records), f"duplicate {key}"
    return out


def test_captoo_imports_every_answer_measure_evaluation_opinion_and_comment(
    captoo: dict[str, Any],
) -> None:
    d = from_pia_json(captoo)
    assert d.name == "Captoo" and d.ref == "captoo"
    assert (d.author, d.evaluator, d.validator) == ("Elisabeth York", "Eric Vincent", "Mary Smith")
    # every answer of the example reached its place
    for a in captoo["answers"]:
        q, data = a["reference_to"], a["data"]
        if q in QUESTIONS:
            assert answer_at(d, q).text == data["text"]
    acc = d.risks.access
    assert acc.impacts[0] == "Discrimination" and "Employé" in acc.sources
    assert (acc.severity, acc.likelihood) == (Level.SIGNIFICANT, Level.MAXIMUM)
    # residual levels come from the evaluator's gauges on the risk
    assert (acc.residual_severity, acc.residual_likelihood) == (Level.SIGNIFICANT, Level.NEGLIGIBLE)
    assert d.risks.modification.residual_severity is None
    assert len(d.measures) == 23 and d.measures[0].title == "Chiffrement"
    assert d.measures[0].evaluation is not None
    assert "TLS" in (d.measures[0].evaluation.action_plan or "")
    assert d.principles.proportionality.purposes.evaluation is not None
    assert d.principles.proportionality.purposes.evaluation.status == 2
    v = d.validation
    assert v.dpo_names == "Michael Thomas (DPO)" and v.dpo_status == 1
    assert v.people_searched is True and v.people_opinion and v.decision == 3
    assert v.rejection_reason == "Rapport incomplet"
    assert d.comments[0].reference == 212 and "fondement" in d.comments[0].text


def test_captoo_exports_back_with_the_same_content(captoo: dict[str, Any]) -> None:
    out = to_pia_json(from_pia_json(captoo), now=NOW)
    assert out["pia"] == captoo["pia"]
    for key, ident in (
        ("answers", "reference_to"),
        ("measures", "id"),
        ("evaluations", "reference_to"),
        ("comments", "id"),
    ):
        assert _keyed(out[key], ident) == _keyed(captoo[key], ident), key
    # and through rgpd's own storage form (JSON of the model) as well
    again = ImpactAssessment.model_validate_json(from_pia_json(captoo).model_dump_json())
    assert to_pia_json(again, now=NOW) == out


def test_edits_in_rgpd_reach_the_export(captoo: dict[str, Any]) -> None:
    d = from_pia_json(captoo)
    d.risks.access.residual_likelihood = Level.LIMITED
    d.principles.proportionality.accuracy.text = "<p>Relecture annuelle.</p>"
    d.measures.append(Measure(id=d.next_measure_id(), title="Gestion des incidents"))
    out = to_pia_json(d, now=NOW)
    ev = _keyed(out["evaluations"], "reference_to")["3.2"]
    assert ev["gauges"] == {"x": 3, "y": 2}
    assert (
        _keyed(out["answers"], "reference_to")[214]["data"]["text"] == "<p>Relecture annuelle.</p>"
    )
    new = _keyed(out["measures"], "title")["Gestion des incidents"]
    assert new["created_at"] == "2026-12-01T09:30:00.000Z" and new["pia_id"] == 12


def test_unknown_questions_and_keys_are_kept() -> None:
    doc = {
        "pia": {"id": 4, "name": "Essai", "status": 0, "structure_id": 9},
        "answers": [
            {"pia_id": 4, "reference_to": 999, "data": {"text": "x"}, "id": 1},
            {
                "pia_id": 4,
                "reference_to": 111,
                "data": {"text": None, "gauge": 0, "list": []},
                "id": 2,
            },
        ],
        "evaluations": [{"reference_to": "9.9", "status": 1}],
    }
    d = from_pia_json(doc)
    out = to_pia_json(d, now=NOW)
    assert out["pia"]["structure_id"] == 9
    assert {"pia_id": 4, "reference_to": 999, "data": {"text": "x"}, "id": 1} in out["answers"]
    assert _keyed(out["answers"], "reference_to")[111]["data"]["text"] is None
    assert {"reference_to": "9.9", "status": 1} in out["evaluations"]


def test_newer_tool_spellings_are_read_and_kept() -> None:
    doc = {
        "pia": {
            "id": 2,
            "name": "N",
            "status": 1,
            "rejected_reason": "Incomplet",
            "applied_adjustements": "",
        }
    }
    d = from_pia_json(doc)
    assert d.validation.rejection_reason == "Incomplet" and d.validation.decision == 1
    d.validation.rejection_reason = "Incomplet : risques"
    out = to_pia_json(d, now=NOW)["pia"]
    assert out["rejected_reason"] == "Incomplet : risques" and "rejection_reason" not in out
    assert list(out) == list(doc["pia"])


def test_not_a_pia_export_is_refused_with_the_bad_records_named() -> None:
    with pytest.raises(InvalidInput):
        from_pia_json({"activities": []})
    with pytest.raises(ValidationFailed) as exc:
        from_pia_json({"pia": {"name": "x"}, "answers": [{"reference_to": 111, "data": "oops"}, 3]})
    fields = {p.field for p in exc.value.problems}
    assert fields == {"answers[0].data", "answers[1]"}


def test_slug() -> None:
    assert slug_for("Vidéoprotection du centre-ville") == "videoprotection-du-centre-ville"
    assert slug_for("!!!") == "aipd"


# ------------------------------------------------------------------------- round trip

_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30)
_level = st.none() | st.sampled_from(list(Level))
_evaluation = st.none() | st.builds(
    Evaluation,
    status=st.integers(0, 3),
    comment=st.none() | _text,
    action_plan=st.none() | _text,
    global_status=st.integers(0, 2),
)


@st.composite
def assessments(draw: st.DrawFn) -> ImpactAssessment:
    d = ImpactAssessment(
        ref="aipd",
        name=draw(_text.filter(str.strip)),
        author=draw(st.none() | _text),
        category=draw(st.none() | _text),
    )
    for q in draw(st.lists(st.sampled_from(sorted(QUESTIONS)), unique=True, max_size=8)):
        answer_at(d, q).text = draw(_text)
        if q >= 200:
            answer_at(d, q).evaluation = draw(_evaluation)
    d.context.overview.evaluation = draw(_evaluation)
    n = draw(st.integers(0, 4))
    d.measures = [
        Measure(id=i + 1, title=draw(_text), content=draw(_text), evaluation=draw(_evaluation))
        for i in range(n)
    ]
    for kind in RISK_KINDS:
        r = d.risk(kind)
        r.impacts = draw(st.lists(_text, max_size=3))
        r.sources = draw(st.lists(_text, max_size=3))
        r.measures = [m.title for m in d.measures if draw(st.booleans())]
        r.severity, r.likelihood = draw(_level), draw(_level)
        r.severity_text = draw(_text)
        r.evaluation = draw(_evaluation)
        r.residual_severity, r.residual_likelihood = draw(_level), draw(_level)
    v = d.validation
    v.dpo_opinion, v.dpo_status = draw(st.none() | _text), draw(st.none() | st.integers(0, 1))
    v.people_searched = draw(st.none() | st.booleans())
    v.people_not_sought_reason = draw(st.none() | _text)
    v.decision = draw(st.integers(0, 4))
    return ImpactAssessment.model_validate(d.model_dump())


def _content(d: ImpactAssessment) -> dict[str, Any]:
    """The DPIA without the PIA tool's bookkeeping (ids, timestamps)."""

    def strip(x: Any) -> Any:
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k not in ("trace", "pia", "answer_traces")}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x

    data: dict[str, Any] = strip(d.model_dump(mode="json"))
    return data


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assessments())
def test_round_trip_of_any_dpia(d: ImpactAssessment) -> None:
    out = to_pia_json(d, now=NOW)
    back = from_pia_json(json.loads(json.dumps(out)), ref=d.ref)
    assert _content(back) == _content(d)
    assert to_pia_json(back, now=NOW) == out
