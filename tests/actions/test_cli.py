"""`rgpd actions ...` and `rgpd schedule --actions-remind` through the real entry point."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from rgpd.requests.mailer import FakeMailer
from tests.clihelp import run_cli
from tests.conftest import make_workspace
from tests.reports import dataset


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("actions-cli")
    ws = make_workspace(f"sqlite:///{base / 'rgpd.db'}", base)
    dataset.seed_fixed(ws, "mairie")
    ws.db.dispose()
    return base


@pytest.fixture
def cli(seeded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(seeded / "rgpd.db", tmp_path / "rgpd.db")
    shutil.copytree(seeded / ".rgpd", tmp_path / ".rgpd")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RGPD_ORG", "mairie")
    return tmp_path


def _json(args: list[str]) -> object:
    r = run_cli(args)
    assert r.code == 0, r.all
    return json.loads(r.out)


def test_from_report_twice_then_list(cli: Path) -> None:
    report = _json(["report", "compliance", "--json"])
    assert isinstance(report, dict)
    ranked = report["organisations"][0]["compliance"]["actions"]
    assert ranked, report
    first = _json(["actions", "from-report", "--json"])
    assert isinstance(first, dict) and len(first["created"]) == len(ranked)
    again = _json(["actions", "from-report", "--json"])
    assert isinstance(again, dict) and again["created"] == []
    assert len(again["unchanged"]) == len(ranked)
    listed = _json(["actions", "list", "--json"])
    assert isinstance(listed, list)
    assert [(a["origin_key"], a["risk"]) for a in listed] == [(i["key"], i["risk"]) for i in ranked]
    r = run_cli(["actions", "list"])
    assert r.code == 0 and "A-0001" in r.out and "critical" in r.out


def test_manual_workflow(cli: Path) -> None:
    due = (date.today() - timedelta(days=5)).isoformat()
    r = run_cli(
        [
            "actions",
            "add",
            "Former les agents d'accueil",
            "--article",
            "Art. 39(1)(b)",
            "--owner",
            "Chloé Martin",
            "--email",
            "chloe.martin@example.org",
            "--service",
            "État civil",
            "--due",
            due,
        ]
    )
    assert r.code == 0 and "A-0001" in r.out, r.all
    overdue = _json(["actions", "list", "--overdue", "--json"])
    assert [a["ref"] for a in overdue] == ["A-0001"]  # type: ignore[index]
    assert _json(["actions", "list", "--service", "Urbanisme", "--json"]) == []
    r = run_cli(["actions", "assign", "A-0001", "--service", "Accueil", "--due", "2099-01-01"])
    assert r.code == 0 and "Accueil" in r.out, r.all
    assert run_cli(["actions", "start", "A-0001"]).code == 0
    r = run_cli(["actions", "abandon", "A-0001"])  # --reason is required
    assert r.code == 2 and "--reason" in r.all
    r = run_cli(["actions", "abandon", "A-0001", "--reason", "  "])
    assert r.code == 2 and "Art. 5(2)" in r.all
    assert run_cli(["actions", "done", "A-0001", "--note", "Session tenue"]).code == 0
    r = run_cli(["actions", "start", "A-0001"])
    assert r.code == 2 and "A-0001" in r.all  # done is final
    shown = _json(["actions", "show", "A-0001", "--json"])
    assert isinstance(shown, dict)
    assert [e["change"] for e in shown["history"]] == ["created", "assigned", "started", "done"]
    assert shown["service"] == "Accueil" and shown["owner"] == "Chloé Martin"
    r = run_cli(["actions", "show", "A-0001"])
    assert r.code == 0 and "Session tenue" in r.out
    r = run_cli(["actions", "show", "A-0404"])
    assert r.code == 2 and "A-0404" in r.all
    r = run_cli(["actions", "add", "x", "--risk", "urgent"])
    assert r.code == 2 and "--risk" in r.all


def test_priorities_read_as_priorities_and_the_history_as_changes_in_french(cli: Path) -> None:
    """French says "priorité haute" (feminine) but "risque élevé": the priority bands have
    their msgctxt, as has the history's "Change" column ("Changement", not the maturity's
    "Évolution"). English is the msgid either way."""
    for risk in ("60", "40", "10"):  # high, medium, low bands
        r = run_cli(["actions", "add", f"Action {risk}", "--risk", risk])
        assert r.code == 0, r.all
    assert run_cli(["actions", "start", "A-0001"]).code == 0
    listed = run_cli(["--lang", "fr", "actions", "list"])
    assert listed.code == 0, listed.all
    assert all(re.search(rf"\b{w}\b", listed.out) for w in ("haute", "moyenne", "basse"))
    assert not re.search(r"\b(élevé|moyen|faible)\b", listed.out), listed.out
    shown = run_cli(["--lang", "fr", "actions", "show", "A-0001"])
    assert shown.code == 0, shown.all
    assert "haute (60)" in shown.out and "Changement" in shown.out, shown.out
    assert "Évolution" not in shown.out and "élevé" not in shown.out
    english = run_cli(["--lang", "en", "actions", "show", "A-0001"])
    assert "high (60)" in english.out and "Change" in english.out, english.out


def test_remind_dry_run_and_fake_mailer(cli: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    soon = (date.today() + timedelta(days=3)).isoformat()
    for title, email in (("Un", "lea.petit@example.org"), ("Deux", "marc.roux@example.org")):
        r = run_cli(["actions", "add", title, "--email", email, "--due", soon])
        assert r.code == 0, r.all
    run_cli(["actions", "add", "Trois", "--due", soon])  # nobody to write to
    r = run_cli(["actions", "remind", "--dry-run"])
    assert r.code == 0 and "To: lea.petit@example.org" in r.out and "A-0003" in r.all
    fake = FakeMailer()
    monkeypatch.setattr("rgpd.commands.actions.make_mailer", lambda ws: fake)
    r = run_cli(["--lang", "fr", "actions", "remind"])
    assert r.code == 0, r.all
    assert sorted(m.to for m in fake.sent) == ["lea.petit@example.org", "marc.roux@example.org"]
    assert "art. 24(1)" in fake.sent[0].text and fake.sent[0].text.startswith("Bonjour")
    monkeypatch.setattr("rgpd.commands.actions.make_mailer", lambda ws: FakeMailer(fail=True))
    r = run_cli(["actions", "remind"])
    assert r.code == 3 and "marc.roux@example.org" in r.all


def test_schedule_prints_a_weekly_remind_unit(cli: Path) -> None:
    r = run_cli(["schedule", "--actions-remind", "--systemd", "--user", "rgpd"])
    assert r.code == 0, r.all
    assert "OnCalendar=Mon *-*-* 08:00:00" in r.out
    assert "ExecStart=" in r.out and "--org mairie actions remind" in r.out
    assert "rgpd-actions-remind-mairie.timer" in r.out
    r = run_cli(["schedule", "--actions-remind", "--cron", "--day", "fri", "--at", "07:45"])
    assert r.code == 0 and "45 7 * * 5 " in r.out and "actions remind" in r.out
    r = run_cli(["schedule", "--actions-remind", "--cron", "--day", "someday"])
    assert r.code == 2 and "--day" in r.all
