"""`rgpd requests ...` and `rgpd serve` as the DPO uses them: exit codes, output, effects."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from rgpd import deadlines
from rgpd.cli import cli, main
from rgpd.commands import requests as cmd
from rgpd.config import Settings
from rgpd.crypto import KeyRing
from rgpd.requests import service
from rgpd.requests.mailer import FakeMailer
from rgpd.requests.model import RequestState
from rgpd.workspace import Workspace, open_workspace
from tests.requests.intake_fixtures import ORG, setup_org

REF_RE = re.compile(r"R-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A file-backed workspace the CLI opens by itself, with a fake mailer."""
    db = tmp_path / "rgpd.db"
    settings = Settings(database_url=f"sqlite:///{db}", base_dir=tmp_path)
    KeyRing.generate().save(settings.path(settings.key_file))
    ws = open_workspace(settings, actor="test")
    setup_org(ws)
    ws.db.dispose()
    mailer = FakeMailer()
    monkeypatch.setattr(cmd, "make_mailer", lambda _ws: mailer)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RGPD_ACTOR", "agent.dupont")
    yield {"RGPD_DATABASE_URL": f"sqlite:///{db}", "RGPD_ORG": ORG, "base": str(tmp_path)}


def _ws(env: dict[str, str]) -> Workspace:
    s = Settings(database_url=env["RGPD_DATABASE_URL"], base_dir=Path(env["base"]))
    return open_workspace(s, actor="check")


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    runner = CliRunner()
    res = runner.invoke(
        cli,
        ["--db", env["RGPD_DATABASE_URL"], "--org", ORG, *args],
        catch_exceptions=True,
        standalone_mode=False,
    )
    code = res.return_value if isinstance(res.return_value, int) else (1 if res.exception else 0)
    return code, res.output


def code_of(env: dict[str, str], *args: str) -> int:
    return main(["--db", env["RGPD_DATABASE_URL"], "--org", ORG, *args])


NEW = [
    "requests",
    "new",
    "--right",
    "access",
    "--activity",
    "cantine",
    "--first-name",
    "Camille",
    "--last-name",
    "Martin",
    "--email",
    "camille@example.org",
    "--id",
    "numero_famille=F-12345",
    "--channel",
    "mail",
]


def _new(env: dict[str, str], *extra: str) -> str:
    code, out = run(env, *NEW, *extra)
    assert code == 0, out
    m = REF_RE.search(out)
    assert m, out
    return m.group(0)


def test_new_records_a_paper_request_with_its_receipt_date(env: dict[str, str]) -> None:
    received = service.local_today(_ws(env)) - timedelta(days=4)
    code, out = run(env, *NEW, "--received", received.isoformat(), "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["received_on"] == received.isoformat()
    assert data["due"] == deadlines.one_month_from(received).isoformat()
    assert data["channel"] == "courrier" and data["state"] == "recue"
    assert "camille@example.org" not in out  # no personal data without `show`


def test_new_refuses_bad_input_with_exit_2(env: dict[str, str]) -> None:
    assert code_of(env, *[a if a != "camille@example.org" else "nope" for a in NEW]) == 2
    assert code_of(env, *NEW[:-2], "--channel", "mail", "--id", "broken") == 2
    assert code_of(env, *NEW, "--activity", "inconnue") == 2
    future = (service.local_today(_ws(env)) + timedelta(days=2)).isoformat()
    assert code_of(env, *NEW, "--received", future) == 2
    assert service.list_requests(_ws(env), ORG) == []


def test_workflow_from_the_command_line(env: dict[str, str]) -> None:
    ref = _new(env)
    assert run(env, "requests", "assign", ref, "service scolaire")[0] == 0
    assert run(env, "requests", "verify", ref, "--method", "counter")[0] == 0
    code, out = run(env, "requests", "extend", ref, "--reason", "Archives sur trois sites")
    assert code == 0 and "extension" in out
    code, out = run(env, "requests", "show", ref, "--json")
    data = json.loads(out)
    assert data["state"] == "prolongee" and data["extended"] is True
    assert data["assigned_to"] == "service scolaire"
    assert data["submission"]["email"] == "camille@example.org"
    assert data["identity"]["method"] == "counter" and data["identity"]["by"] == "agent.dupont"
    assert [e["action"] for e in data["events"]] == [
        "recevoir",
        "attribuer",
        "instruire",
        "prolonger",
    ]
    assert data["events"][-1]["reason"] == "Archives sur trois sites"
    assert run(env, "requests", "close", ref)[0] == 0
    assert service.get(_ws(env), ORG, ref).state is RequestState.COMPLETED


def test_refused_transitions_exit_2_and_change_nothing(env: dict[str, str]) -> None:
    ref = _new(env)
    assert code_of(env, "requests", "close", ref) == 2  # work not started
    assert code_of(env, "requests", "refuse", ref, "--reason", "  ") == 2
    assert code_of(env, "requests", "refuse", ref) == 2  # --reason is required
    assert code_of(env, "requests", "show", "R-2026-AAAA-BBBB") == 2
    assert service.get(_ws(env), ORG, ref).state is RequestState.RECEIVED
    assert code_of(env, "requests", "withdraw", ref, "--reason", "Retrait par courriel") == 0
    assert code_of(env, "requests", "pause", ref, "--reason", "x") == 2  # closed


def test_pause_resume_and_refuse(env: dict[str, str]) -> None:
    ref = _new(env)
    assert run(env, "requests", "pause", ref, "--reason", "Quelle année scolaire ?")[0] == 0
    listed = json.loads(run(env, "requests", "list", "--json")[1])
    assert listed[0]["paused"] is True and listed[0]["status"] == "paused"
    assert run(env, "requests", "resume", ref)[0] == 0
    code, out = run(env, "requests", "refuse", ref, "--reason", "Demande manifestement infondée")
    assert code == 0 and "refusal" in out
    code, out = run(env, "requests", "letter", ref, "refusal")
    assert code == 0 and "CNIL" in out and "Demande manifestement infondée" in out


def test_list_filters_and_overdue_first(env: dict[str, str]) -> None:
    today = service.local_today(_ws(env))
    recent = _new(env, "--received", (today - timedelta(days=2)).isoformat())
    old = _new(env, "--received", (today - timedelta(days=50)).isoformat())
    erasure = _new(env, "--right", "erasure")
    code, out = run(env, "requests", "list", "--json")
    refs = [r["reference"] for r in json.loads(out)]
    assert refs[0] == old and set(refs) == {recent, old, erasure}
    assert [
        r["reference"] for r in json.loads(run(env, "requests", "list", "--overdue", "--json")[1])
    ] == [old]
    by_type = json.loads(run(env, "requests", "list", "--type", "erasure", "--json")[1])
    assert [r["reference"] for r in by_type] == [erasure]
    by_email = json.loads(
        run(env, "requests", "list", "--email", "CAMILLE@example.org", "--json")[1]
    )
    assert len(by_email) == 3
    assert code_of(env, "requests", "list", "--state", "nonsense") == 2
    code, out = run(env, "requests", "list")
    assert code == 0 and "OVERDUE" in out


def test_due_exits_1_when_something_is_overdue_and_mails_the_dpo(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    mailer = FakeMailer()
    monkeypatch.setattr(cmd, "make_mailer", lambda _ws: mailer)
    today = service.local_today(_ws(env))
    _new(env, "--received", (today - timedelta(days=10)).isoformat())
    assert code_of(env, "requests", "due") == 0
    old = _new(env, "--received", (today - timedelta(days=45)).isoformat())
    assert code_of(env, "requests", "due", "--notify") == 1
    [mail] = mailer.sent
    assert mail.to == f"dpo@{ORG}.example.org" and old in mail.text


def test_ask_identity_mails_the_link_and_documents_are_deleted_on_verify(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    mailer = FakeMailer()
    monkeypatch.setattr(cmd, "make_mailer", lambda _ws: mailer)
    ref = _new(env)
    code, out = run(
        env,
        "requests",
        "ask-identity",
        ref,
        "--reason",
        "Adresse inconnue",
        "--base-url",
        "https://rgpd.example.org",
    )
    assert code == 0, out
    [mail] = mailer.sent
    link = re.search(r"https://rgpd\.example\.org/o/mairie/upload/\S+", mail.text)
    assert link
    ws = _ws(env)
    secret = service.read_link(
        ws, "upload", ORG, link.group(0).rsplit("/", 1)[1], service.UPLOAD_TTL
    )
    service.store_upload(ws, ORG, secret, filename="id.pdf", data=b"%PDF-1.4\n" + b"0" * 20)
    out_dir = tmp_path / "check"
    assert run(env, "requests", "documents", ref, "--out", str(out_dir))[0] == 0
    [doc] = list(out_dir.iterdir())
    assert doc.read_bytes().startswith(b"%PDF") and (doc.stat().st_mode & 0o077) == 0
    assert run(env, "requests", "verify", ref, "--method", "document")[0] == 0
    assert service.get(_ws(env), ORG, ref).uploads == 0
    assert code_of(env, "requests", "documents", ref, "--out", str(out_dir)) == 1


def test_ask_identity_reports_a_mail_failure(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cmd, "make_mailer", lambda _ws: FakeMailer(fail=True))
    ref = _new(env)
    assert code_of(env, "requests", "ask-identity", ref, "--reason", "Doute") == 3
    # the step is recorded: the agent gives the printed link another way
    assert service.get(_ws(env), ORG, ref).state is RequestState.IDENTITY_PENDING
    ref2 = _new(env)
    code, out = run(env, "requests", "ask-identity", ref2, "--reason", "Doute", "--no-mail")
    assert code == 0 and "/o/mairie/upload/" in out


def test_letter_pdf_and_send(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    mailer = FakeMailer()
    monkeypatch.setattr(cmd, "make_mailer", lambda _ws: mailer)
    ref = _new(env)
    out_pdf = tmp_path / "ack.pdf"
    code, out = run(
        env, "requests", "letter", ref, "acknowledgement", "--pdf", "--out", str(out_pdf)
    )
    assert code == 0 and out_pdf.read_bytes().startswith(b"%PDF-")
    code, out = run(env, "requests", "letter", ref, "acknowledgement", "--letter-lang", "en")
    assert code == 0 and "Acknowledgement of your request" in out
    assert run(env, "requests", "letter", ref, "acknowledgement", "--send")[0] == 0
    assert mailer.sent[-1].to == "camille@example.org"
    assert code_of(env, "requests", "letter", ref, "extension") == 2  # not extended


def test_serve_command_is_registered_and_documented() -> None:
    res = CliRunner().invoke(cli, ["serve", "--help"])
    assert res.exit_code == 0
    for opt in ("--host", "--port", "--forms", "--trusted-proxy"):
        assert opt in res.output
    res = CliRunner().invoke(cli, ["requests", "--help"])
    for sub in (
        "new",
        "list",
        "show",
        "verify",
        "extend",
        "pause",
        "resume",
        "assign",
        "refuse",
        "close",
        "withdraw",
        "ask-identity",
        "due",
        "letter",
    ):
        assert sub in res.output


def test_serve_starts_waitress_with_the_app(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import waitress.server

    calls: list[tuple[object, dict[str, object]]] = []

    class NotListening:
        def run(self) -> None:
            pass

    def create_server(app: object, **kw: object) -> NotListening:
        calls.append((app, kw))
        return NotListening()

    monkeypatch.setattr(waitress.server, "create_server", create_server)
    site = tmp_path / "site"
    site.mkdir()
    mail = ["--mail-dir", str(tmp_path / "mail")]
    # base_url is required (issue 13 item 3): a usage error, nothing started
    assert code_of(env, "serve", "--forms", str(site), "--port", "9099", *mail) == 2
    assert calls == []
    code, out = run(
        env,
        "serve",
        "--forms",
        str(site),
        "--port",
        "9099",
        "--base-url",
        "http://localhost",
        *mail,
    )
    assert code == 0, out
    [(app, kw)] = calls
    assert kw["host"] == "127.0.0.1" and kw["port"] == 9099
    assert kw["max_request_body_size"] >= 5 * 1024 * 1024
    assert kw["threads"] == 8 and kw["connection_limit"] >= 100
    with app.test_client() as c:  # type: ignore[attr-defined]
        assert c.get("/healthz").status_code == 200
