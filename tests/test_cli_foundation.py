"""CLI of the foundation: init, org, registry, breach, audit, keys — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
import yaml

from rgpd.cli import cli

from .clihelp import run_cli

ACTIVITY = {
    "ref": "cantine",
    "name": "Restauration scolaire",
    "purposes": ["Inscription à la cantine", "Facturation"],
    "legal_basis": "e",
    "legal_basis_text": "Code de l'éducation, art. L. 131-1",
    "data_subjects": ["parents", "mineurs"],
    "data_categories": [
        {"category": "etat_civil", "retention": {"active": "1y"}},
        {"category": "coordonnees", "retention": {"active": "1y"}},
    ],
}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RGPD_DATABASE_URL", db_url)
    monkeypatch.setenv("RGPD_ACTOR", "dpo-test")
    monkeypatch.delenv("RGPD_ORG", raising=False)
    monkeypatch.setenv("RGPD_LANG", "en")
    r = run_cli(["init"])
    assert r.code == 0, r.all
    r = run_cli(
        ["org", "add", "mairie", "--name", "Ville de Saint-Exemple", "--siren", "213100555"]
    )
    assert r.code == 0, r.all
    return tmp_path


def test_version_and_help_have_examples() -> None:
    r = run_cli(["--version"])
    assert r.code == 0 and "rgpd" in r.out

    def walk(cmd, path):  # type: ignore[no-untyped-def]
        yield path, cmd
        for name, sub in getattr(cmd, "commands", {}).items():
            yield from walk(sub, [*path, name])

    cli.load_all()  # the root group imports its command modules on first use
    missing = [" ".join(p) for p, c in walk(cli, []) if "Example" not in (c.help or "")]
    assert missing == [], f"commands without an example in --help: {missing}"


def test_init_creates_key_0600_and_refuses_to_run_again(home: Path) -> None:
    key = home / ".rgpd" / "keys.json"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    before = key.read_bytes()
    r = run_cli(["init"])
    assert r.code == 2 and "--force" in r.all, r.all
    assert key.read_bytes() == before, "init must never overwrite a key"
    r = run_cli(["init", "--force"])
    assert r.code == 0, r.all
    assert key.read_bytes() == before, "init --force must never overwrite a key"
    assert (home / "rgpd.toml").exists()


def test_missing_key_file_never_suggests_init_over_a_database(home: Path) -> None:
    """Issue 13 item 2: a lost key file, then `rgpd init`, used to re-key the database."""
    (home / ".rgpd" / "keys.json").unlink()
    r = run_cli(["--org", "mairie", "keys", "show"])
    assert r.code == 4, r.all
    assert "restore" in r.all and "rgpd init" not in r.all
    r = run_cli(["init"])
    assert r.code == 2 and not (home / ".rgpd" / "keys.json").exists(), r.all


def test_foreign_key_file_is_refused_before_any_write(home: Path, tmp_path: Path) -> None:
    """Issue 13 item 2: another install's key file used to seal values nobody could open."""
    from rgpd.crypto import KeyRing

    key = home / ".rgpd" / "keys.json"
    mine = KeyRing.load(key)
    other = KeyRing.generate()
    other.install = "autre-install"
    other.save(key)
    r = run_cli(["--org", "mairie", "keys", "rotate"])
    assert r.code == 4, r.all
    assert mine.fingerprint() in r.all and other.fingerprint() in r.all
    assert "autre-install" in r.all and "init" not in r.all


@pytest.mark.parametrize("command", ["requests new", "scan files"])
def test_foreign_key_file_refuses_the_writes_of_the_attack(home: Path, command: str) -> None:
    """Issue 13 item 2, as reported: `requests new` and `scan files` with another install's keys."""
    from sqlalchemy import func, select

    from rgpd.config import Settings
    from rgpd.crypto import KeyRing
    from rgpd.storage.request_tables import RequestRow
    from rgpd.storage.scan_tables import ScanSourceRow
    from rgpd.workspace import open_workspace

    f = home / "cantine.yaml"
    f.write_text(yaml.safe_dump(ACTIVITY, allow_unicode=True), encoding="utf-8")
    assert run_cli(["--org", "mairie", "registry", "add", "--file", str(f)]).code == 0
    share = home / "partage"
    share.mkdir()
    (share / "note.txt").write_text("Contact : camille.martin@example.org\n", encoding="utf-8")
    key = home / ".rgpd" / "keys.json"
    mine = key.read_bytes()
    other = KeyRing.generate()
    other.save(key)  # both rings used to be "k1": nothing told them apart
    args = {
        "requests new": [
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
            "--channel",
            "mail",
        ],
        "scan files": ["scan", "files", str(share), "--depth", "quick", "--workers", "1"],
    }[command]
    r = run_cli(["--org", "mairie", *args])
    assert r.code == 4 and other.fingerprint() in r.all and "init" not in r.all, r.all
    key.write_bytes(mine)  # the right key file back: nothing was written meanwhile
    s = Settings(database_url=os.environ["RGPD_DATABASE_URL"], base_dir=home)
    ws = open_workspace(s, actor="t")
    try:
        with ws.db.session() as sess:
            for table in (RequestRow, ScanSourceRow):
                assert sess.execute(select(func.count()).select_from(table)).scalar_one() == 0
    finally:
        ws.db.dispose()


def test_registry_add_edit_history(home: Path) -> None:
    f = home / "cantine.yaml"
    f.write_text(yaml.safe_dump(ACTIVITY, allow_unicode=True), encoding="utf-8")
    r = run_cli(["--org", "mairie", "registry", "add", "--file", str(f)])
    assert r.code == 0, r.all
    r = run_cli(
        [
            "--org",
            "mairie",
            "registry",
            "edit",
            "cantine",
            "--set",
            "status=valide",
            "--set",
            "review_date=2027-06-30",
        ]
    )
    assert r.code == 0, r.all
    r = run_cli(["--org", "mairie", "registry", "history", "cantine"])
    assert r.code == 0 and "created" in r.out and "updated" in r.out
    r = run_cli(["--org", "mairie", "registry", "history", "cantine", "--diff", "1", "2"])
    assert "status" in r.out and "review_date" in r.out
    r = run_cli(["--org", "mairie", "registry", "list", "--json"])
    data = json.loads(r.out)
    assert data[0]["ref"] == "cantine" and data[0]["version"] == 2
    r = run_cli(["--org", "mairie", "registry", "show", "cantine", "--format", "json"])
    assert json.loads(r.out)["status"] == "valide"


def test_interactive_add(home: Path) -> None:
    answers = (
        "\n".join(
            [
                "biblio",
                "Médiathèque",
                "Prêt de documents",
                "e",
                "CGCT art. L2121-29",
                "usagers",
                "etat_civil,coordonnees",
                "3y",
                "3y",
                "",  # no review date
            ]
        )
        + "\n"
    )
    r = run_cli(["--org", "mairie", "registry", "add"], input=answers)
    assert r.code == 0, r.all
    r = run_cli(["--org", "mairie", "registry", "show", "biblio", "--format", "json"])
    d = json.loads(r.out)
    assert d["legal_basis"] == "e" and d["data_categories"][0]["retention"]["active"] == "3y"


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"legal_basis": "g"}, "legal_basis"),
        ({"created": "2026-02-30"}, "created"),
        ({"data_categories": [{"category": "astrologie"}]}, "data_categories[0].category"),
        ({"unknown_field": 1}, "unknown_field"),
    ],
)
def test_bad_input_names_field_and_writes_nothing(home: Path, patch: dict, field: str) -> None:
    f = home / "bad.yaml"
    f.write_text(yaml.safe_dump({**ACTIVITY, **patch}), encoding="utf-8")
    r = run_cli(["--org", "mairie", "registry", "add", "--file", str(f)])
    assert r.code == 2
    assert field in r.all
    assert json.loads(run_cli(["--org", "mairie", "registry", "list", "--json"]).out) == []


def test_invalid_yaml_and_unknown_org(home: Path) -> None:
    f = home / "broken.yaml"
    f.write_text("ref: [unclosed\n", encoding="utf-8")
    r = run_cli(["--org", "mairie", "registry", "add", "--file", str(f)])
    assert r.code == 2 and "broken.yaml" in r.all
    r = run_cli(["--org", "nope", "registry", "list"])
    assert r.code == 2 and "nope" in r.all


def test_breach_clock_and_notify(home: Path) -> None:
    r = run_cli(
        [
            "--org",
            "mairie",
            "breach",
            "add",
            "--ref",
            "v1",
            "--title",
            "Courriel mal adressé",
            "--discovered",
            "2026-01-05T09:00+01:00",
            "--nature",
            "confidentialite",
        ]
    )
    assert r.code == 0, r.all
    assert "2026-01-08T08:00" in r.out  # 72 h after awareness, in UTC
    r = run_cli(["--org", "mairie", "breach", "list", "--json"])
    assert json.loads(r.out)[0]["status"] == "overdue"
    r = run_cli(["--lang", "fr", "--org", "mairie", "breach", "list", "--json"])
    assert "72 heures dépassées" in json.loads(r.out)[0]["state"]  # French is the product default
    r = run_cli(
        [
            "--org",
            "mairie",
            "breach",
            "notify",
            "v1",
            "--at",
            "2026-01-07T10:00+01:00",
            "--reference",
            "CNIL-1",
        ]
    )
    assert r.code == 0, r.all
    r = run_cli(["--org", "mairie", "breach", "list", "--json"])
    assert json.loads(r.out)[0]["status"] == "on_time"
    assert json.loads(r.out)[0]["state"] in (
        "notified within 72 hours",
        "notifiée dans les 72 heures",
    )


def test_audit_verify_export_and_keys_rotate(home: Path) -> None:
    f = home / "cantine.yaml"
    f.write_text(yaml.safe_dump(ACTIVITY, allow_unicode=True), encoding="utf-8")
    assert run_cli(["--org", "mairie", "registry", "add", "--file", str(f)]).code == 0
    assert run_cli(["audit", "verify"]).code == 0
    out = home / "cp.json"
    assert run_cli(["audit", "export", "--out", str(out)]).code == 0
    assert run_cli(["audit", "verify", "--checkpoint", str(out)]).code == 0
    r = run_cli(["keys", "rotate"])
    assert r.code == 0 and "new active key k-" in r.all
    r = run_cli(["--actor", "alice", "--org", "mairie", "audit", "log", "--json"])
    log = json.loads(r.out)
    assert log[0]["actor"] == "dpo-test"


def test_audit_checkpoint_against_the_kept_public_key(home: Path, tmp_path: Path) -> None:
    """Issue 13 item 6: the checkpoint is checked against the install's own key."""
    from rgpd.crypto import KeyRing

    out = home / "cp.json"
    r = run_cli(["audit", "export", "--out", str(out)])
    assert r.code == 0 and "fingerprint" in r.all, r.all
    cp = json.loads(out.read_text())
    assert cp["install"] and cp["public_key_fingerprint"]
    r = run_cli(["audit", "pubkey"])
    assert r.code == 0, r.all
    kept = home / "kept.pub"
    kept.write_text(r.out)
    assert (home / ".rgpd" / "keys.pub").read_text().strip() == r.out.splitlines()[-1]
    r = run_cli(["audit", "verify", "--checkpoint", str(out), "--pubkey", str(kept)])
    assert r.code == 0 and "recorded" in r.all, r.all
    # a checkpoint re-signed by a fresh key, public key inside, is refused
    forger = KeyRing.generate()
    body = {k: v for k, v in cp.items() if k not in ("public_key", "signature")}
    from rgpd.audit import canonical

    forged = {**body, "public_key": forger.public_key()}
    forged["signature"] = forger.sign(canonical(body).encode())
    bad = home / "forged.json"
    bad.write_text(json.dumps(forged))
    r = run_cli(["audit", "verify", "--checkpoint", str(bad)])
    assert r.code == 1 and "another key" in r.all, r.all
    other = home / "other.pub"
    other.write_text(forger.public_key())
    r = run_cli(["audit", "verify", "--checkpoint", str(out), "--pubkey", str(other)])
    assert r.code == 1, r.all


@pytest.mark.parametrize("content", ["", "{not json", '{"seq": 3}', "[1, 2]"])
def test_malformed_checkpoint_exits_2_without_traceback(home: Path, content: str) -> None:
    bad = home / "bad.json"
    bad.write_text(content)
    r = run_cli(["audit", "verify", "--checkpoint", str(bad)])
    assert r.code == 2 and "Traceback" not in r.all and "checkpoint" in r.all, r.all


def test_english_messages(home: Path) -> None:
    r = run_cli(["--lang", "en", "--org", "nope", "registry", "list"])
    assert "unknown organisation" in r.all
