"""`rgpd report ...` through the real entry point: files, paths printed, exit codes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.clihelp import run_cli
from tests.conftest import make_workspace
from tests.reports import dataset


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("cli")
    ws = make_workspace(f"sqlite:///{base / 'rgpd.db'}", base)
    dataset.add_sample_org(ws, "mairie")
    dataset.add_sample_org(ws, "ccas", "ccas")
    ws.db.dispose()
    return base


@pytest.fixture
def cli_db(seeded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A copy of the seeded database and key file in a fresh working directory."""
    shutil.copy(seeded / "rgpd.db", tmp_path / "rgpd.db")
    shutil.copytree(seeded / ".rgpd", tmp_path / ".rgpd")
    monkeypatch.chdir(tmp_path)
    return f"sqlite:///{tmp_path / 'rgpd.db'}"


@pytest.mark.parametrize(
    ("args", "stem", "ext"),
    [
        (["--org", "mairie", "report", "annual"], "bilan-annuel-mairie-", "html"),
        (["report", "register", "--org", "mairie", "--format", "csv"], "registre-mairie-", "csv"),
        (["report", "register", "--org", "mairie", "--format", "ods"], "registre-mairie-", "ods"),
        (
            ["report", "compliance", "--all-orgs", "--format", "xlsx"],
            "conformite-toutes-organisations-",
            "xlsx",
        ),
        (
            ["--lang", "en", "report", "requests", "--org", "ccas", "--year", "2026"],
            "demandes-ccas-",
            "html",
        ),
    ],
)
def test_report_writes_one_file_and_prints_its_path(
    cli_db: str, tmp_path: Path, args: list[str], stem: str, ext: str
) -> None:
    r = run_cli(["--db", cli_db, *args], env={"RGPD_LANG": None})  # product default: French
    assert r.code == 0, r.all
    path = Path(r.out.strip())
    assert path.parent == tmp_path / "reports"
    assert path.name.startswith(stem) and path.suffix == f".{ext}"
    assert path.stat().st_size > 100
    if ext == "html":
        lang = "en" if "--lang" in args else "fr"
        assert f'<html lang="{lang}">' in path.read_text(encoding="utf-8")


def test_out_folder(cli_db: str, tmp_path: Path) -> None:
    r = run_cli(
        ["--db", cli_db, "report", "breaches", "--org", "mairie", "--out", str(tmp_path / "x")]
    )
    assert r.code == 0, r.all
    assert Path(r.out.strip()).parent == tmp_path / "x"


@pytest.mark.parametrize(
    "args",
    [
        ["report", "annual", "--org", "mairie", "--all-orgs"],
        ["report", "annual", "--org", "inconnue"],
        ["report", "scan", "--org", "mairie", "--format", "ods"],
        ["report", "annual", "--org", "mairie", "--year", "12"],
        ["report", "annual", "--org", "mairie", "--templates", "/nonexistent/dir"],
        ["report", "annual"],
    ],
)
def test_usage_errors_exit_2(cli_db: str, args: list[str]) -> None:
    r = run_cli(["--db", cli_db, *args], env={"RGPD_ORG": ""})
    assert r.code == 2, r.all


def test_help_has_examples() -> None:
    r = run_cli(["report", "--help"])
    assert r.code == 0 and "annual" in r.out and "Example" in r.out
    r = run_cli(["report", "annual", "--help"])
    assert r.code == 0 and "--all-orgs" in r.out and "rgpd report annual" in r.out
