"""`rgpd dpia`: start, fill (file and prompts), list, show, import, export, render; bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.clihelp import run_cli

CAPTOO = (
    Path(__file__).resolve().parents[4] / "shared" / "data" / "cnil" / "pia-example-captoo.json"
)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str | None]:
    monkeypatch.chdir(tmp_path)
    e: dict[str, str | None] = {"RGPD_ORG": "mairie", "RGPD_LANG": "en"}
    assert run_cli(["init"], env=e).code == 0
    assert run_cli(["org", "add", "mairie", "--name", "Ville d'Exemple"], env=e).code == 0
    (tmp_path / "a.yaml").write_text(
        "ref: cantine\nname: Restauration scolaire\npurposes: [Repas]\nlegal_basis: e\n"
        "data_subjects: [mineurs]\ndata_categories: [{category: sante, retention: {active: 1y}}]\n"
        "art9_condition: g\n",
        encoding="utf-8",
    )
    assert run_cli(["registry", "add", "--file", "a.yaml"], env=e).code == 0
    return e


def test_workflow(env: dict[str, str | None], tmp_path: Path) -> None:
    lint = run_cli(["registry", "lint"], env=env)
    assert "rgpd dpia start cantine" in lint.out
    r = run_cli(["dpia", "start", "cantine"], env=env)
    assert r.code == 0, r.all
    assert run_cli(["dpia", "start", "cantine"], env=env).code == 2  # already there
    assert "rgpd dpia start cantine" not in run_cli(["registry", "lint"], env=env).out
    (tmp_path / "r.yaml").write_text(
        "risks: {access: {severity: 3, likelihood: 2}}\n", encoding="utf-8"
    )
    r = run_cli(["dpia", "fill", "cantine", "--from", "r.yaml"], env=env)
    assert r.code == 0 and "version 2" in r.out, r.all
    # prompts: 12 levels, the DPO's opinion, favourable, not sought + why, decision
    answers = (
        "\n".join(["4", "3", "2", "1"] + ["0"] * 8 + ["Avis favorable", "y", "n", "Affichage", "2"])
        + "\n"
    )
    r = run_cli(["dpia", "fill", "cantine"], input=answers, env=env)
    assert r.code == 0, r.all
    shown = run_cli(["dpia", "show", "cantine", "--format", "json"], env=env)
    data = json.loads(shown.out)
    assert data["risks"]["access"] == {
        **data["risks"]["access"],
        "severity": 4,
        "likelihood": 3,
        "residual_severity": 2,
        "residual_likelihood": 1,
    }
    assert data["validation"]["people_not_sought_reason"] == "Affichage"
    assert data["validation"]["decision"] == 2
    assert "Maximum" in run_cli(["dpia", "show", "cantine"], env=env).out
    lst = run_cli(["dpia", "list", "--json"], env=env)
    assert json.loads(lst.out)[0]["review"] == "ok"
    out = run_cli(["dpia", "export", "cantine", "--out", "e.json"], env=env)
    assert out.code == 0 and json.loads((tmp_path / "e.json").read_text())["pia"]["name"]
    y = run_cli(["dpia", "export", "cantine", "--format", "yaml"], env=env)
    assert "activity_ref: cantine" in y.out
    r = run_cli(["dpia", "render", "cantine"], env=env)
    assert r.code == 0 and list((tmp_path / "reports").glob("aipd-cantine-mairie-*.html"))


def test_import_and_bad_input(env: dict[str, str | None], tmp_path: Path) -> None:
    if CAPTOO.exists():
        r = run_cli(["dpia", "import", str(CAPTOO), "--activity", "cantine"], env=env)
        assert r.code == 0 and "captoo" in r.out, r.all
        lst = json.loads(run_cli(["dpia", "list", "--json"], env=env).out)
        assert lst[0]["review"] == "review" and "Art. 35(11)" in lst[0]["review_reasons"][0]
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    r = run_cli(["dpia", "import", "bad.json"], env=env)
    assert r.code == 2 and "bad.json:1:2" in r.err
    (tmp_path / "other.json").write_text('{"activities": []}', encoding="utf-8")
    assert run_cli(["dpia", "import", "other.json"], env=env).code == 2
    (tmp_path / "r.yaml").write_text("risks: {access: {severity: 9}}\n", encoding="utf-8")
    assert run_cli(["dpia", "start", "cantine"], env=env).code == 0
    r = run_cli(["dpia", "fill", "cantine", "--from", "r.yaml"], env=env)
    assert r.code == 2 and "risks.access.severity" in r.err and "Nothing was written" in r.err
    assert run_cli(["dpia", "show", "nope"], env=env).code == 2
    assert run_cli(["dpia", "start", "nope"], env=env).code == 2
