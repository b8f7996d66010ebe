"""Scan profiles as cron runs them: the lock, the exit codes, the schedule, the e-mail, the logs."""

from __future__ import annotations

import io
import json
import logging
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from rgpd.config import Connection, Profile, Smtp
from rgpd.demo.sample_db import seed_commune_db
from rgpd.errors import LockHeld
from rgpd.registry import service
from rgpd.registry.model import Organisation
from rgpd.scan.executor import InlineExecutor
from rgpd.scan.profiles import (
    JsonFormatter,
    ProfileRunResult,
    acquire_lock,
    configure_json_logging,
    lock_is_stale,
    lock_name,
    release_lock,
    run_profile,
)
from rgpd.storage.db import utcnow
from rgpd.storage.scan_tables import ScanLockRow
from rgpd.workspace import Workspace

HOST = socket.gethostname()[:200]


# --------------------------------------------------------------------- fixtures


class Mailbox:
    """A local SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[tuple[list[str], Message]] = []
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.controller.start()
    yield box
    box.controller.stop()


@pytest.fixture
def site(tmp_path: Path, mailbox: Mailbox) -> Iterator[Workspace]:
    """A workspace on an SQLite file, a share, a commune database, a profile and an SMTP server."""
    from tests.conftest import make_workspace

    share = tmp_path / "partage"
    (share / "CCAS").mkdir(parents=True)
    (share / "CCAS" / "aide.txt").write_text(
        "Demande de M. Paul Martin, NIR 1 85 05 75 123 456 78, courriel paul.martin@example.org\n",
        encoding="utf-8",
    )
    (share / "Divers").mkdir()
    (share / "Divers" / "menu.txt").write_text(
        "Menu de la semaine : lentilles.\n", encoding="utf-8"
    )
    commune = f"sqlite:///{tmp_path / 'commune.db'}"
    seed_commune_db(commune, families=20)
    ws = make_workspace(f"sqlite:///{tmp_path / 'rgpd.db'}", tmp_path)
    service.add_org(ws, Organisation(slug="mairie", name="Ville de Saint-Exemple"))
    ws.settings.org = "mairie"
    ws.settings.connections["commune"] = Connection("commune", commune)
    ws.settings.connections["panne"] = Connection(
        "panne", "postgresql+psycopg://rgpd@127.0.0.1:1/x"
    )
    ws.settings.smtp = Smtp(host="127.0.0.1", port=mailbox.port, sender="rgpd@example.org")
    ws.settings.profiles["nightly"] = Profile(
        name="nightly",
        org="mairie",
        paths=[str(share)],
        connections=["commune"],
        depth="quick",
        workers=1,
        notify=["dpo@example.org"],
    )
    yield ws
    ws.db.dispose()


def run(ws: Workspace, name: str = "nightly", **kw: Any) -> ProfileRunResult:
    return run_profile(ws, name, executor=InlineExecutor(), **kw)


@pytest.fixture
def other_process() -> Iterator[subprocess.Popen[bytes]]:
    """A live process of this host that is not us: a lock it holds is not stale."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield proc
    proc.kill()
    proc.wait()


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def put_lock(ws: Workspace, name: str, holder: str, beat_age: timedelta = timedelta(0)) -> None:
    now = utcnow()
    with ws.db.session() as s:
        s.add(
            ScanLockRow(
                name=name, holder=holder, acquired_at=now - beat_age, heartbeat_at=now - beat_age
            )
        )


# --------------------------------------------------------------------- the lock


@pytest.mark.parametrize(
    ("holder", "age_min", "alive", "stale"),
    [
        (f"{HOST}:123", 1, True, False),  # live process on this host
        (f"{HOST}:123", 1, False, True),  # dead process on this host
        ("autre-serveur:123", 1, False, False),  # another host: only the heartbeat tells
        ("autre-serveur:123", 30, True, True),  # silent for too long
        (f"{HOST}:123", 30, True, True),
        ("weird-holder", 1, False, False),
    ],
)
def test_lock_staleness(holder: str, age_min: int, alive: bool, stale: bool) -> None:
    now = datetime(2025, 3, 1, 3, 0, 0)
    got = lock_is_stale(
        holder,
        now - timedelta(minutes=age_min),
        now=now,
        stale_after=timedelta(minutes=10),
        this_host=HOST,
        alive=lambda _pid: alive,
    )
    assert got is stale


def test_second_concurrent_run_is_refused(
    site: Workspace, other_process: subprocess.Popen[bytes]
) -> None:
    put_lock(site, lock_name("nightly"), f"{HOST}:{other_process.pid}")
    with pytest.raises(LockHeld):
        run(site)
    with pytest.raises(LockHeld):
        acquire_lock(site, lock_name("nightly"))
    with site.db.session() as s:  # the holder's lock is untouched
        assert s.get(ScanLockRow, lock_name("nightly")).holder == f"{HOST}:{other_process.pid}"


def test_second_run_from_the_cli_exits_2(
    site: Workspace, other_process: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from rgpd.cli import main

    cfg = tmp_path / "rgpd.toml"
    cfg.write_text(
        f'[rgpd]\ndatabase_url = "{site.settings.database_url}"\n'
        f'[profiles.nightly]\norg = "mairie"\npaths = ["{tmp_path / "partage"}"]\n',
        encoding="utf-8",
    )
    put_lock(site, lock_name("nightly"), f"{HOST}:{other_process.pid}")
    with CliRunner().isolation() as (_out, err, _both):
        code = main(
            ["--config", str(cfg), "scan", "run", "nightly", "--no-notify", "--log", "none"]
        )
    assert code == 2
    assert "nightly" in err.getvalue().decode()


@pytest.mark.parametrize(
    "holder_age",
    [
        lambda: (f"{HOST}:{dead_pid()}", timedelta(0)),  # its process died (kill -9, OOM)
        lambda: ("serveur-mort:4242", timedelta(hours=2)),
    ],  # a machine that went down
)
def test_stale_lock_is_recovered(site: Workspace, holder_age: Any) -> None:
    holder, age = holder_age()
    put_lock(site, lock_name("nightly"), holder, age)
    res = run(site, notify=False)
    assert res.status == "completed"
    with site.db.session() as s:
        assert s.get(ScanLockRow, lock_name("nightly")) is None  # released at the end


def test_lock_release_only_by_its_holder(ws: Workspace) -> None:
    me = acquire_lock(ws, "profile:x", holder="h:1")
    release_lock(ws, "profile:x", "h:2")
    with ws.db.session() as s:
        assert s.get(ScanLockRow, "profile:x").holder == me
    release_lock(ws, "profile:x", me)
    assert acquire_lock(ws, "profile:x", holder="h:2") == "h:2"


# --------------------------------------------------------------------- a profile run


def test_profile_run_scans_everything_reconciles_and_mails_the_dpo(
    site: Workspace, mailbox: Mailbox
) -> None:
    site.settings.profiles["nightly"].connections.append("panne")
    first = run(site)
    kinds = [(s.kind, s.status) for s in first.sources]
    assert ("files", "completed") in kinds and ("database", "completed") in kinds
    assert ("database", "failed") in kinds  # the unreachable one, the run went on
    assert [e.reason for e in first.errors] == ["unreachable"]
    assert first.new_findings and first.contradictions
    assert first.exit_code == 3  # errors win over findings
    assert first.status == "partial"  # never "completed" when a source failed (issue 12)
    assert first.notified == ["dpo@example.org"]

    ((rcpts, msg),) = mailbox.messages
    assert rcpts == ["dpo@example.org"]
    body = msg.get_payload(decode=True).decode("utf-8")
    assert str(len(first.new_findings)) in msg["Subject"] and "nightly" in msg["Subject"]
    assert "panne" in body and "unreachable" in body
    assert "Art. 30(1)" in body  # the new contradictions, with their article
    assert "paul.martin@example.org" not in body and "123 456" not in body  # masked only

    site.settings.profiles["nightly"].connections.remove("panne")
    second = run(site)
    assert not second.new_findings and not second.errors  # idempotent: nothing new
    assert not second.new_contradictions and second.contradictions
    assert second.findings_total == first.findings_total
    assert second.exit_code == 1  # contradictions with the register remain
    assert second.status == "completed"
    assert len(mailbox.messages) == 2


def test_exit_codes() -> None:
    base = dict(profile="p", org="o", run_id=1, started_at=datetime(2025, 1, 1))
    assert ProfileRunResult(**base).exit_code == 0
    assert ProfileRunResult(**base, contradictions=[object()]).exit_code == 1
    assert ProfileRunResult(**base, new_findings=[object()]).exit_code == 1  # type: ignore[list-item]
    assert ProfileRunResult(**base, new_findings=[object()], errors=[object()]).exit_code == 3  # type: ignore[list-item]
    assert ProfileRunResult(**base, notify_error="smtp down").exit_code == 3


def test_a_broken_smtp_server_is_reported_not_fatal(site: Workspace) -> None:
    site.settings.smtp = Smtp(host="127.0.0.1", port=1, sender="rgpd@example.org")
    res = run(site)
    assert res.status == "completed" and res.notify_error and not res.notified
    assert res.exit_code == 3


def test_english_summary(site: Workspace, mailbox: Mailbox) -> None:
    site.settings.lang = "en"
    run(site)
    ((_rcpts, msg),) = mailbox.messages
    body = msg.get_payload(decode=True).decode("utf-8")
    assert "New findings" in body and "Contradictions with the register" in body


def test_logs_are_json_lines_without_personal_data(site: Workspace) -> None:
    stream = io.StringIO()
    handler = configure_json_logging(stream, level=logging.DEBUG)
    try:
        run(site, notify=False)
    finally:
        logging.getLogger("rgpd").removeHandler(handler)
    lines = [json.loads(x) for x in stream.getvalue().splitlines()]
    events = {x.get("event") for x in lines}
    assert {"profile_start", "db_scan_start", "table_scanned", "profile_finish"} <= events
    text = stream.getvalue()
    for personal in ("paul.martin", "Martin", "aide.txt", "@example.org", "1 85 05"):
        assert personal not in text


def test_json_formatter_keeps_only_allowed_fields() -> None:
    rec = logging.LogRecord("rgpd.x", logging.INFO, __file__, 1, "hello", (), None)
    rec.event = "e"
    rec.value = "jean.dupont@example.org"  # a careless extra field
    out = json.loads(JsonFormatter().format(rec))
    assert out["event"] == "e" and out["msg"] == "hello" and "value" not in out


# --------------------------------------------------------------------- schedule


def _schedule(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None, toml_extra: str = ""
) -> tuple[int, str]:
    from click.testing import CliRunner

    from rgpd.cli import main

    cfg = tmp_path / "rgpd.toml"
    cfg.write_text(
        '[rgpd]\ndatabase_url = "sqlite:///rgpd.db"\n'
        "[connections.portail]\n"
        'url = "postgresql+psycopg://rgpd_ro@db.mairie.local/portail"\n'
        'password_env = "RGPD_PW_PORTAIL"\n'
        '[profiles.nightly]\norg = "mairie"\npaths = ["/srv/partage"]\n'
        'connections = ["portail"]\n' + toml_extra,
        encoding="utf-8",
    )
    with CliRunner().isolation(env=env) as (out, err, _both):
        code = main(["--config", str(cfg), "schedule", "nightly", *args])
    return code, out.getvalue().decode() + err.getvalue().decode()


def test_schedule_systemd(tmp_path: Path) -> None:
    code, out = _schedule(
        tmp_path, "--systemd", "--at", "01:15", "--user", "rgpd", env={"RGPD_DATABASE_URL": None}
    )
    assert code == 0, out
    rgpd_bin = str(Path(sys.executable).parent / "rgpd")
    assert f"WorkingDirectory={tmp_path}" in out
    assert f"ExecStart={rgpd_bin} --config {tmp_path / 'rgpd.toml'} scan run nightly" in out
    assert "OnCalendar=*-*-* 01:15:00" in out and "Persistent=true" in out
    assert "User=rgpd" in out and "SuccessExitStatus=1 5" in out
    assert f"RGPD_DATABASE_URL=sqlite:///{tmp_path / 'rgpd.db'}" in out
    assert f"PATH={Path(rgpd_bin).parent}:" in out
    assert "EnvironmentFile=/etc/rgpd/rgpd-scan-nightly.env" in out
    assert "RGPD_PW_PORTAIL=..." in out  # named, never valued
    assert "[Timer]" in out and "[Service]" in out and "WantedBy=timers.target" in out


def test_schedule_cron_hides_a_database_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg://rgpd:Sup3rS3cret@db.local/rgpd"
    code, out = _schedule(tmp_path, "--cron", env={"RGPD_DATABASE_URL": url})
    assert code == 0, out
    assert "Sup3rS3cret" not in out
    assert "postgresql+psycopg://rgpd:***@db.local/rgpd" in out
    line = next(x for x in out.splitlines() if x.startswith("30 2 * * * "))
    assert f"cd {tmp_path}" in line and "scan run nightly" in line
    assert ". /etc/rgpd/rgpd-scan-nightly.env" in line
    assert any(x.startswith("PATH=") for x in out.splitlines())


@pytest.mark.parametrize("args", [["--systemd", "--at", "25:00"], ["--cron", "--at", "2h"], []])
def test_schedule_usage_errors(tmp_path: Path, args: list[str]) -> None:
    code, _out = _schedule(tmp_path, *args)
    assert code == 2


def test_schedule_unknown_profile(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from rgpd.cli import main

    (tmp_path / "rgpd.toml").write_text("[rgpd]\n", encoding="utf-8")
    with CliRunner().isolation() as (_o, err, _b):
        code = main(["--config", str(tmp_path / "rgpd.toml"), "schedule", "absent", "--cron"])
    assert code == 2 and "absent" in err.getvalue().decode()


def test_summary_is_composed_without_io() -> None:
    from rgpd.config import Settings
    from rgpd.scan.notify import compose_summary
    from rgpd.scan.profiles import NewFinding, RunError, SourceOutcome

    res = ProfileRunResult(
        profile="nightly",
        org="mairie",
        run_id=7,
        started_at=datetime(2025, 1, 1, 2, 30),
        finished_at=datetime(2025, 1, 1, 2, 45),
        sources=[SourceOutcome("database", "portail", 8, "completed")],
        new_findings=[
            NewFinding("postgresql://h/db#public.familles.nir", "column", "FR_NIR", False, 0.98)
        ],
        errors=[RunError("mysql://rh/paie", "unreachable", "connection refused")],
        contradictions=[SimpleNamespace(activity_ref=None, article="Art. 30(1)", message="m")],
        new_contradictions=[
            SimpleNamespace(activity_ref="cantine", article="Art. 9(1)", message="special")
        ],
    )
    msg = compose_summary(res, Settings(), lang="en")
    body = msg.get_content()
    assert "public.familles.nir" in body and "98%" in body and "[cantine]" in body
    assert "mysql://rh/paie" in body and msg["Auto-Submitted"] == "auto-generated"
    assert msg["From"] == Settings().smtp.sender


def test_scan_run_command_from_rgpd_toml(tmp_path: Path, mailbox: Mailbox) -> None:
    from click.testing import CliRunner

    from rgpd.cli import main
    from tests.conftest import make_workspace

    share = tmp_path / "partage"
    share.mkdir()
    (share / "liste.csv").write_text(
        "nom;courriel\nMartin;jeanne.martin@example.org\n", encoding="utf-8"
    )
    seed_commune_db(f"sqlite:///{tmp_path / 'portail.db'}", families=10)
    ws = make_workspace(f"sqlite:///{tmp_path / 'rgpd.db'}", tmp_path)
    service.add_org(ws, Organisation(slug="mairie", name="Ville"))
    ws.db.dispose()
    cfg = tmp_path / "rgpd.toml"
    cfg.write_text(
        '[rgpd]\ndatabase_url = "sqlite:///rgpd.db"\nlang = "en"\n'
        '[connections.portail]\nurl = "sqlite:///portail.db"\n'
        '[profiles.nightly]\norg = "mairie"\npaths = ["partage"]\nconnections = ["portail"]\n'
        'depth = "quick"\nworkers = 1\nnotify = ["dpo@example.org"]\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {mailbox.port}\nsender = "rgpd@example.org"\n',
        encoding="utf-8",
    )
    with CliRunner().isolation() as (out, err, _both):
        code = main(["--config", str(cfg), "scan", "run", "nightly", "--format", "json"])
    summary = json.loads(out.getvalue().decode())
    logs = [json.loads(x) for x in err.getvalue().decode().splitlines() if x.startswith("{")]
    assert code == summary["exit_code"] == 1  # new findings, undeclared processing
    assert {s["kind"] for s in summary["sources"]} == {"files", "database"}
    assert summary["new_findings"] and summary["contradictions"] and not summary["errors"]
    assert summary["notified"] == ["dpo@example.org"] and len(mailbox.messages) == 1
    assert any(x.get("event") == "profile_finish" and x.get("exit_code") == 1 for x in logs)
    assert "jeanne.martin" not in err.getvalue().decode()
