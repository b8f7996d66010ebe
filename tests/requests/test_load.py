"""The intake server under load, for real: waitress on 127.0.0.1, concurrent HTTP clients.

Issue 15: on the embedded SQLite default, half the submissions of a burst answered
500 (two threads computed the same next audit sequence number). These tests send
bounded bursts — 200 submissions from 16 concurrent clients, then their 200
verifications — on SQLite and PostgreSQL, and check: no response ≥ 500, every
accepted submission stored exactly once, every verification consumed once, the
audit chain intact. A mixed test adds a file scan and DPO commands writing at the
same time. Correctness only: the timings are measured by benchmarks/bench_intake.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from rgpd import audit
from rgpd.storage.request_tables import RequestRow
from rgpd.storage.tables import AuditRow
from rgpd.workspace import Workspace
from tests.conftest import make_workspace
from tests.requests.intake_fixtures import ORG, form, setup_org
from tests.requests.load_client import Running, burst, post, running, submit_one

pytestmark = pytest.mark.slow

SUBMISSIONS = 200
LINK_RE = re.compile(r"http://127\.0\.0\.1:\d+(/o/[a-z0-9_-]+/verify/\S+)")


@pytest.fixture
def intake(db_url: str, tmp_path: Path) -> Iterator[Running]:
    """``rgpd serve`` (waitress, default sizing) in a thread, with the flood limit lifted."""
    ws = make_workspace(db_url, tmp_path)
    setup_org(ws)
    with running(ws) as r:
        yield r
    ws.db.dispose()


def chain_ok(ws: Workspace) -> audit.VerifyResult:
    with ws.db.session(readonly=True) as s:
        return audit.verify(s)


def actions(ws: Workspace) -> Counter[str]:
    with ws.db.session(readonly=True) as s:
        rows = s.execute(select(AuditRow.action, func.count()).group_by(AuditRow.action)).all()
    return Counter({a: int(n) for a, n in rows})


def test_burst_of_submissions_then_verifications(intake: Running) -> None:
    emails = [f"citoyen{i}@example.org" for i in range(SUBMISSIONS)]
    codes = burst([lambda e=e: submit_one(intake.port, form(email=e)) for e in emails])
    assert not [c for c in codes if c >= 500], codes
    accepted = codes[200]
    assert accepted == SUBMISSIONS, codes  # nothing refused either: no limit was hit
    with intake.ws.db.session(readonly=True) as s:
        stored = int(s.execute(select(func.count()).select_from(RequestRow)).scalar_one())
    assert stored == accepted  # each accepted submission exactly once

    links = {m.to: LINK_RE.search(m.text) for m in intake.mailer.sent}
    assert sorted(links) == sorted(emails) and all(links.values())
    paths = [m.group(1) for m in links.values() if m]
    codes = burst([lambda p=p: post(intake.port, p) for p in paths])
    assert codes == Counter({200: SUBMISSIONS}), codes
    with intake.ws.db.session(readonly=True) as s:
        verified = s.execute(
            select(func.count())
            .select_from(RequestRow)
            .where(RequestRow.email_verified_at.is_not(None))
        ).scalar_one()
    assert verified == SUBMISSIONS
    done = actions(intake.ws)
    assert done["request.receive"] == SUBMISSIONS
    assert done["request.email_verified"] == SUBMISSIONS
    result = chain_ok(intake.ws)
    assert result.ok, result.problems[:5]
    assert f"audit log intact: {result.entries} entries" in audit_verify_cli(intake.ws)


def test_concurrent_clicks_on_one_verification_link_count_once(intake: Running) -> None:
    assert submit_one(intake.port, form(email="double@example.org")) == 200
    m = LINK_RE.search(intake.mailer.last_to("double@example.org").text)
    assert m
    codes = burst([lambda: post(intake.port, m.group(1))] * 8, clients=8)
    assert codes == Counter({200: 1, 410: 7}), codes
    acks = [x for x in intake.mailer.sent if x.to == "double@example.org"]
    assert len(acks) == 2  # the verification mail, then one acknowledgement
    assert actions(intake.ws)["request.email_verified"] == 1
    assert chain_ok(intake.ws).ok


def _env(ws: Workspace) -> dict[str, str]:
    """The environment a DPO's ``rgpd`` command needs to reach ``ws``."""
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[2]), *sys.path]),
        "RGPD_DATABASE_URL": ws.settings.database_url,
        "RGPD_KEY_FILE": str(ws.settings.path(ws.settings.key_file)),
        "RGPD_ORG": ORG,
        "RGPD_LANG": "en",
    }


def audit_verify_cli(ws: Workspace) -> str:
    """``rgpd audit verify`` as the DPO runs it: exit 0 and its summary line."""
    done = _cli(_env(ws), "audit", "verify")
    assert done.returncode == 0, (done.stdout + done.stderr)[-2000:]
    return done.stdout + done.stderr


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rgpd.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_server_scan_and_dpo_commands_write_at_the_same_time(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A burst on the server, a file scan committing findings, and DPO commands, together.

    On SQLite, the embedded default, the three writers share one write lock; on
    PostgreSQL they meet at the audit chain's head row. The scan commits each
    file's findings in its own transaction, so its commits interleave with the
    server's and the CLI's instead of landing in one batch at the end.
    """
    import functools

    from rgpd.scan import files as scan_files

    monkeypatch.setattr(scan_files, "COMMIT_UNITS", 1)
    monkeypatch.setattr(
        scan_files, "group_units", functools.partial(scan_files.group_units, max_files=1)
    )
    ws = make_workspace(db_url, tmp_path)
    setup_org(ws)
    share = tmp_path / "partage"
    share.mkdir()
    for i in range(30):
        (share / f"note{i}.txt").write_text(
            f"Contact : agent{i}@example.org, téléphone 06 12 34 {i:02d} 78.\n", encoding="utf-8"
        )
    env = _env(ws)
    with running(ws) as r:
        scan_errors: list[BaseException] = []
        scanned: list[scan_files.ScanResult] = []

        def scan() -> None:
            try:
                scanned.append(scan_files.scan_files(ws, ORG, [str(share)], workers=1))
            except BaseException as exc:
                scan_errors.append(exc)

        scanner = threading.Thread(target=scan)
        scanner.start()
        with ThreadPoolExecutor(2) as dpo:
            cli = [
                dpo.submit(
                    _cli,
                    env,
                    "requests",
                    "new",
                    "--right",
                    "access",
                    "--activity",
                    "cantine",
                    "--id",
                    f"numero_famille=F-9{i:04d}",
                    "--first-name",
                    "Agent",
                    "--last-name",
                    f"Guichet{i}",
                    "--email",
                    f"guichet{i}@example.org",
                    "--channel",
                    "counter",
                )
                for i in range(2)
            ]
            codes = burst(
                [
                    lambda i=i: submit_one(r.port, form(email=f"m{i}@example.org"))
                    for i in range(40)
                ],
                clients=8,
            )
            results = [f.result() for f in cli]
        scanner.join(300)
    assert not scan_errors, scan_errors
    [result_scan] = scanned
    assert result_scan.status == "completed" and not result_scan.errors
    assert len({f.source for f in result_scan.findings}) == 30  # every file's findings committed
    assert codes == Counter({200: 40}), codes
    for res in results:
        assert res.returncode == 0, res.stderr[-2000:]
    done = actions(ws)
    assert done["request.receive"] == 42
    assert done["finish"] >= 1
    result = chain_ok(ws)
    assert result.ok, result.problems[:5]
    audit_verify_cli(ws)
    ws.db.dispose()
