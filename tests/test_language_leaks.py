"""No code and no word of the other language in what a person reads (issue 12).

Every report is rendered, and every command that prints a table runs on a populated
workspace, in French and in English; the visible text (HTML tags, scripts and styles
left out) must hold none of the codes rgpd stores (``FR_NIR``, ``en_cours``,
``symlink_loop``, ``category_never_seen``…) and none of the other language's words. Codes
stay in ``--json`` and JSON lines, which are not looked at here.

The data themselves (the sample commune's register, names of files) are French in both
languages: the English check looks for French *labels* and codes, not for any French word.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from rgpd import labels
from rgpd.crypto import KeyRing
from rgpd.i18n import _, _catalog, use_language
from rgpd.reports import service
from rgpd.reports.context import ReportKind
from rgpd.reports.render import render_html
from rgpd.workspace import Workspace
from tests.clihelp import run_cli
from tests.conftest import make_workspace
from tests.reports import dataset

#: Codes that are English words: a French page must not show them.
ENGLISH_CODES = {
    "none",
    "low",
    "medium",
    "high",
    "error",
    "warning",
    "info",
    "running",
    "completed",
    "failed",
    "interrupted",
    "partial",
    "scanned",
    "unchanged",
    "present",
    "gone",
    "encrypted",
    "corrupt",
    "timeout",
    "crashed",
}

#: English words no French sentence of rgpd holds (whole words, any case).
ENGLISH_WORDS = {
    "the",
    "and",
    "with",
    "from",
    "found",
    "request",
    "requests",
    "errors",
    "warnings",
    "findings",
    "overdue",
    "days",
    "years",
    "months",
}

#: Codes that are French words: an English page must not show them.
FRENCH_CODES = {
    code
    for table in (
        labels.RIGHT,
        labels.REQUEST_STATE,
        labels.REQUEST_ACTION,
        labels.ERASURE_ACTION,
    )
    for code in table
    if code not in {"web", "rectification", "limitation", "opposition"}
}


def _structured_codes() -> set[str]:
    """Codes no sentence holds in any language: ``FR_NIR``, ``symlink_loop``."""
    return {
        code for table in labels.TABLES.values() for code in table if "_" in code or code.isupper()
    }


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "svg", "code"):
            self._skip += 1
        for name, value in attrs:  # what a screen reader or a tooltip says is read too
            if name in ("alt", "title", "aria-label") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "svg", "code") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    p = _Visible()
    p.feed(html)
    return "\n".join(p.parts)


def leaks(text: str, lang: str) -> list[str]:
    """The codes and other-language words found in ``text``, with their line."""
    found: list[str] = []
    text = re.sub(r"\brgpd\s[^;\n]*", " ", text)  # command lines are the same in both languages
    words_of = {m.group(0) for m in re.finditer(r"[A-Za-zÀ-ÿ_]+", text)}
    for code in _structured_codes():
        if code in words_of:
            found.append(code)
    if lang == "fr":
        found += sorted(words_of & ENGLISH_CODES)
        found += sorted(w for w in words_of if w.lower() in ENGLISH_WORDS)
        # several words: a one-word label may also be a French word ("close", "information")
        english_labels = {m for t in labels.TABLES.values() for m in t.values() if " " in m}
        french = _catalog("fr")
        found += sorted(
            m
            for m in english_labels
            if french.get(m, m) != m and re.search(rf"\b{re.escape(m)}\b", text)
        )
    else:
        found += sorted(words_of & FRENCH_CODES)
        french = _catalog("fr")
        french_labels = {
            french[m] for t in labels.TABLES.values() for m in t.values() if french.get(m, m) != m
        }
        found += sorted(
            fl
            for fl in french_labels
            if " " in fl and re.search(rf"(?<![\w-]){re.escape(fl)}(?![\w-])", text)
        )
    out = []
    for leak in sorted(set(found)):
        line = next((ln for ln in text.splitlines() if leak in ln), "")
        out.append(f"{leak!r} in {line.strip()[:120]!r}")
    return out


_KEYS = KeyRing.generate()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixed data set (scans, requests, breaches) in a database file, closed."""
    base = tmp_path_factory.mktemp("leaks")
    ws = make_workspace(f"sqlite:///{base / 'rgpd.db'}", base, _KEYS)
    dataset.seed_fixed(ws, "mairie")
    dataset.add_sample_org(ws, "ccas", "ccas")
    dataset.fix_version_dates(ws, dataset.NOW.replace(tzinfo=None, month=2))
    ws.db.dispose()
    return base


@pytest.fixture(scope="module")
def seeded_ws(seeded: Path) -> Iterator[Workspace]:
    ws = make_workspace(f"sqlite:///{seeded / 'rgpd.db'}", seeded, _KEYS)
    yield ws
    ws.db.dispose()


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("kind", [k.value for k in ReportKind])
def test_reports_speak_one_language(seeded_ws: Workspace, kind: str, lang: str) -> None:
    with use_language(lang):
        rep = service.build(
            seeded_ws,
            kind,
            org="mairie",
            today=dataset.TODAY,
            now=dataset.NOW,
            year=dataset.YEAR if kind == "annual" else None,
        )
        html = render_html(rep)
    assert leaks(visible_text(html), lang) == []


#: Every command that prints a table or a page for a person (not JSON, not the YAML of
#: ``registry show`` / ``org show``, which is the register-as-code format).
TABLE_COMMANDS: list[list[str]] = [
    ["org", "list"],
    ["registry", "list"],
    ["registry", "lint"],
    ["breach", "show", "2026-01-courriel-erreur"],
    ["requests", "show", "R-2026-006"],
    ["findings", "show", "/srv/partage/enfance/doc-0.pdf"],
    ["registry", "processor", "--list"],
    ["breach", "list"],
    ["findings", "list"],
    ["reconcile", "--no-store"],
    ["requests", "list", "--all"],
    ["requests", "due"],
    ["audit", "log"],
    ["software", "list"],
    ["actions", "list"],
    ["maturity", "show"],
]


@pytest.fixture
def cli_db(seeded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    shutil.copy(seeded / "rgpd.db", tmp_path / "rgpd.db")
    shutil.copytree(seeded / ".rgpd", tmp_path / ".rgpd")
    monkeypatch.chdir(tmp_path)
    return f"sqlite:///{tmp_path / 'rgpd.db'}"


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("args", TABLE_COMMANDS, ids=" ".join)
def test_command_tables_speak_one_language(cli_db: str, args: list[str], lang: str) -> None:
    r = run_cli(["--db", cli_db, "--org", "mairie", "--lang", lang, *args])
    assert r.code in (0, 1), r.all
    assert leaks(r.all, lang) == []


def test_the_leak_finder_finds_leaks() -> None:
    assert leaks("Statut : completed, FR_NIR, 3 findings", "fr")
    assert leaks("State: en_cours; action prolonger", "en")
    assert leaks("Status: En cours", "en")
    assert leaks("Numéros de sécurité sociale : 3", "fr") == []
    assert leaks("Social security numbers (NIR): 3", "en") == []


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_dpo_summary_e_mail_speaks_one_language(lang: str) -> None:
    """The summary said ``DATE_OF_BIRTH: 33`` and ``portail: completed`` (issue 12)."""
    from datetime import datetime
    from types import SimpleNamespace

    from rgpd.config import Settings
    from rgpd.scan.notify import compose_summary
    from rgpd.scan.profiles import NewFinding, ProfileRunResult, RunError, SourceOutcome

    res = ProfileRunResult(
        profile="nightly",
        org="mairie",
        run_id=7,
        started_at=datetime(2025, 1, 1, 2, 30),
        finished_at=datetime(2025, 1, 1, 2, 45),
        sources=[
            SourceOutcome("database", "portail", 8, "completed"),
            SourceOutcome("files", "partage", 0, "failed"),
        ],
        new_findings=[
            NewFinding(
                f"postgresql://h/db#public.familles.c{i}", "column", "DATE_OF_BIRTH", False, 0.9
            )
            for i in range(33)
        ]
        + [NewFinding("/srv/partage/a.pdf", "file", "HEALTH", True, None)],
        errors=[RunError("/srv/partage/b.pdf", "encrypted", "—")],
        contradictions=[],
        new_contradictions=[
            SimpleNamespace(activity_ref="cantine", article="Art. 9(1)", message="—")
        ],
    )
    msg = compose_summary(res, Settings(), lang=lang)
    text = f"{msg['Subject']}\n{msg.get_content()}"
    assert leaks(text, lang) == []
    with use_language(lang):
        assert f"{labels.entity('DATE_OF_BIRTH')}{_(': ')}33" in text
        assert labels.error_reason("encrypted") in text
    one_error = "1 erreur" if lang == "fr" else "1 error"
    assert msg["Subject"].endswith(one_error), msg["Subject"]
