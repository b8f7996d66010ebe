"""One answer to "where does this breach stand?" (Art. 33): ``Breach.status(now)``.

The CLI (``breach list``) and the breaches report read it; the case that made
them disagree (decided not to notify, notified later) is in the table.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rgpd.registry.model import Breach, BreachStatus, Notification, Organisation, Register
from rgpd.reports.context import OrgData, breach_line, build_breaches

from ..clihelp import run_cli

AWARE = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)

CASES: list[tuple[dict[str, object], datetime, BreachStatus]] = [
    ({"notifications": [Notification(at=datetime(2026, 11, 2, 9, tzinfo=UTC))]}, NOW, BreachStatus.ON_TIME),
    ({"notifications": [Notification(at=datetime(2026, 11, 5, 9, tzinfo=UTC))]}, NOW, BreachStatus.LATE),
    ({"notify_decision": False, "notify_reason": "low risk"}, NOW, BreachStatus.NOT_NOTIFIED),
    # decided not to notify, then notified after all: the notification is what counts
    (
        {
            "notify_decision": False,
            "notify_reason": "low risk at first",
            "notifications": [Notification(at=datetime(2026, 11, 3, 9, tzinfo=UTC))],
        },
        NOW,
        BreachStatus.ON_TIME,
    ),
    (
        {
            "notify_decision": False,
            "notifications": [Notification(at=datetime(2026, 11, 10, 9, tzinfo=UTC))],
        },
        NOW,
        BreachStatus.LATE,
    ),
    ({}, datetime(2026, 11, 2, 9, tzinfo=UTC), BreachStatus.PENDING),
    ({}, NOW, BreachStatus.OVERDUE),
    ({"notify_decision": True}, NOW, BreachStatus.OVERDUE),
    ({"notify_decision": False}, datetime(2026, 11, 2, 9, tzinfo=UTC), BreachStatus.NOT_NOTIFIED),
]  # fmt: skip


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RGPD_DATABASE_URL", db_url)
    monkeypatch.setenv("RGPD_ACTOR", "dpo-test")
    monkeypatch.delenv("RGPD_ORG", raising=False)
    monkeypatch.setenv("RGPD_LANG", "en")
    assert run_cli(["init"]).code == 0
    assert run_cli(["org", "add", "mairie", "--name", "Ville"]).code == 0
    return tmp_path


def _breach(**kw: object) -> Breach:
    return Breach(ref="b", title="B", discovered_at=AWARE, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(("kw", "now", "status"), CASES)
def test_status_and_the_report_agree(
    kw: dict[str, object], now: datetime, status: BreachStatus
) -> None:
    b = _breach(**kw)
    assert b.status(now) is status
    assert breach_line(b, now).status is status
    org = Organisation(slug="o", name="O")
    ctx = build_breaches(OrgData(org=org, register=Register(breaches=[b])), now, None)
    counts = {
        BreachStatus.ON_TIME: ctx.on_time,
        BreachStatus.LATE: ctx.late,
        BreachStatus.NOT_NOTIFIED: ctx.not_notified,
        BreachStatus.PENDING: ctx.pending,
        BreachStatus.OVERDUE: ctx.overdue,
    }
    assert {k for k, v in counts.items() if v} == {status}


def test_cli_shows_the_model_status_for_a_breach_notified_after_deciding_not_to(
    home: Path,
) -> None:
    f = home / "v.yaml"
    f.write_text(
        "ref: v2\ntitle: Courriel mal adressé\ndiscovered_at: 2026-01-05T09:00:00+01:00\n"
        "notify_decision: false\nnotify_reason: risque faible\n",
        encoding="utf-8",
    )
    r = run_cli(["--org", "mairie", "breach", "add", "--file", str(f)])
    assert r.code == 0, r.all
    r = run_cli(["--org", "mairie", "breach", "list", "--json"])
    assert json.loads(r.out)[0]["status"] == "not_notified"
    r = run_cli(["--org", "mairie", "breach", "notify", "v2", "--at", "2026-01-06T10:00+01:00"])
    assert r.code == 0, r.all
    (row,) = json.loads(run_cli(["--org", "mairie", "breach", "list", "--json"]).out)
    assert row["status"] == "on_time"


def test_cli_shows_breach_times_in_the_configured_zone(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the table's times are the organisation's local time, not always Paris's
    f = home / "g.yaml"
    f.write_text(
        "ref: g1\ntitle: Fichier perdu\ndiscovered_at: 2026-01-05T12:00:00+00:00\n",
        encoding="utf-8",
    )
    assert run_cli(["--org", "mairie", "breach", "add", "--file", str(f)]).code == 0
    monkeypatch.setenv("RGPD_TIMEZONE", "America/Cayenne")
    r = run_cli(["--org", "mairie", "breach", "list"])
    assert r.code == 0, r.all
    assert "2026-01-08 09:00" in r.out  # the 72-hour deadline, UTC-3
    monkeypatch.setenv("RGPD_TIMEZONE", "Europe/Paris")
    assert "2026-01-08 13:00" in run_cli(["--org", "mairie", "breach", "list"]).out


def test_hours_to_notify_have_one_answer() -> None:
    # the clock's elapsed hours, read by the breaches report and the compliance score
    from rgpd.registry.compliance import _breach_summary

    notified = _breach(notifications=[Notification(at=AWARE + timedelta(hours=80))])
    assert notified.clock(AWARE + timedelta(days=9)).hours_elapsed == 80.0
    assert breach_line(notified, AWARE + timedelta(days=9)).hours == 80.0
    (line,) = _breach_summary([notified], AWARE + timedelta(days=9)).lines
    assert line.hours == 80.0
    waiting = _breach(notify_decision=True)
    assert breach_line(waiting, AWARE + timedelta(hours=5)).hours == 5.0
