"""Outputs at an 80-column terminal and in cron (issue 12).

Every listing command at COLUMNS=80: no line longer than 80, no word split across
lines (each word of the values shown appears whole), a few columns by default and
all of them with ``--wide``; summaries grouped by rule, activity, entity type or
folder with ``--details`` for every line; ``registry add`` validating each answer
at its prompt and keeping what was typed as a draft.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from rgpd import labels
from rgpd.commands import _common
from rgpd.commands._common import Column, fit_columns, table
from rgpd.registry.locations import from_share, share_folder

from .clihelp import run_cli

NARROW = {"COLUMNS": "80"}
#: Box-drawing characters of rich's default table.
BOX = re.compile(r"[┏┳┓┃┡╇┩│└┴┘━─╍ ]+")

LONG_NAME = "Vidéoprotection des bâtiments communaux et de la voie publique aux abords des écoles"
ACTIVITIES = [
    {
        "ref": "videoprotection",
        "name": LONG_NAME,
        "purposes": ["Sécurité des biens et des personnes"],
        "legal_basis": "e",
        "legal_basis_text": "Code de la sécurité intérieure, art. L251-2",
        "data_subjects": ["administres", "agents"],
        "data_categories": [{"category": "image", "retention": {"active": "30d"}}],
        "review_date": "2026-12-02",
        "data_locations": [{"kind": "files", "path": "partage/police/**"}],
    },
    {
        "ref": "etat-civil",
        "name": "Tenue des registres d'état civil (naissances, mariages, décès)",
        "purposes": ["Actes d'état civil"],
        "legal_basis": "c",
        "data_subjects": ["administres"],
        "data_categories": [{"category": "etat_civil", "retention": {"active": "75y"}}],
        "review_date": "2027-01-15",
        "data_locations": [{"kind": "files", "path": "partage/etat-civil/**"}],
    },
]


def words(*values: object) -> set[str]:
    return {w for v in values for w in str(v).split()}


def assert_fits(out: str, expected_words: set[str], width: int = 80) -> None:
    """No line wider than ``width``; every expected word whole on one line."""
    long = [line for line in out.splitlines() if len(line) > width]
    assert not long, f"{len(long)} line(s) over {width}:\n" + "\n".join(long)
    lines = out.splitlines()
    split = sorted(w for w in expected_words if not any(w in line for line in lines))
    assert not split, f"words split or missing: {split}\n{out}"


# ------------------------------------------------------------------ the table helper


def render(columns: list[str | Column], rows: list[list[object]], width: int, **kw: bool) -> str:
    _common.console._width = width
    try:
        with _common.console.capture() as cap:
            table(None, columns, rows, **kw)
        return cap.get()
    finally:
        _common.fit_console()


def column_words(out: str, n: int) -> list[list[str]]:
    """The words found in each column of a rendered table (body and header)."""
    cols: list[list[str]] = [[] for _ in range(n)]
    for line in out.splitlines():
        if "│" not in line and "┃" not in line:
            continue
        cells = re.split(r"[│┃]", line)[1:-1]
        assert len(cells) == n, line
        for i, cell in enumerate(cells):
            cols[i] += cell.split()
    return cols


def test_reported_bugs_no_longer_split_words() -> None:
    out = render(
        ["ref", "name", "basis", "status", Column("version", wide=True), "review"],
        [["videoprotection", LONG_NAME, "6(1)(e)", "brouillon", 3, "2026-12-02"]],
        80,
    )
    assert_fits(out, words("videoprotection", LONG_NAME, "2026-12-02", "brouillon"))
    # six columns of long words cannot all fit in 80: words are shortened, never split
    out = render(
        ["ref", "name", "basis", "status", "version", "review"],
        [["videoprotection", LONG_NAME, "6(1)(e)", "brouillon", 3, "2026-12-02"]],
        80,
    )
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "videoprotecti…" in out and "2026-12-02" in out


def test_wide_columns_only_with_wide() -> None:
    cols: list[str | Column] = ["ref", Column("digest", wide=True)]
    narrow = render(cols, [["cantine", "abc123def456"]], 80)
    assert "digest" not in narrow and "abc123def456" not in narrow and "cantine" in narrow
    wide = render(cols, [["cantine", "abc123def456"]], 80, wide=True)
    assert "digest" in wide and "abc123def456" in wide


def test_too_long_word_is_shortened_with_an_ellipsis_but_dates_never() -> None:
    path = "/srv/partage/services-techniques/voirie/arretes-de-circulation-2026/arrete.pdf"
    out = render(
        ["Source", "Date", "Message", "Other"],
        [[path, "2026-12-02", "x " * 60, "y " * 60]],
        60,
    )
    assert max(len(line) for line in out.splitlines()) <= 60
    assert "2026-12-02" in out
    assert "…" in out and "arrete.pdf" in out  # a path keeps its file name


WORD = st.text(alphabet="abcdéèfghijklmnopqrstuvwxyz-_/", min_size=1, max_size=18)
CELL = st.one_of(
    st.lists(WORD, min_size=0, max_size=8).map(" ".join),
    st.dates().map(lambda d: d.isoformat()),
    st.integers(0, 10**6).map(str),
)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 5),
    rows=st.lists(st.lists(CELL, min_size=5, max_size=5), min_size=1, max_size=6),
    width=st.integers(60, 140),
)
def test_any_table_fits_and_never_splits_a_word(n: int, rows: list[list[str]], width: int) -> None:
    headers = [f"col{i}" for i in range(n)]
    data = [r[:n] for r in rows]
    out = render(list(headers), list(data), width)
    assert max(len(line) for line in out.splitlines()) <= width, out
    given_words = [words(*(r[i] for r in data), headers[i]) for i in range(n)]
    for i, found in enumerate(column_words(out, n)):
        for w in found:
            # every word shown is a word of that column, or one shortened with an ellipsis
            assert (
                w in given_words[i]
                or (w.endswith("…") and any(g.startswith(w[:-1]) for g in given_words[i]))
                or (w.startswith("…") and any(g.endswith(w[1:]) for g in given_words[i]))
            ), (w, out)
            assert not (re.fullmatch(r"\d[\d-]*", w) and w not in given_words[i]), (w, out)


def test_fit_columns_gives_short_columns_their_whole_text_first() -> None:
    widths = fit_columns(["a", "b"], [["court", "un texte bien plus long " * 5]], 40)
    assert widths[0] == len("court") and sum(widths) <= 40


# ------------------------------------------------------------------ share paths


@pytest.mark.parametrize(
    ("path", "roots", "shown"),
    [
        ("/srv/partage/RH/paie.xlsx", ["/srv/partage"], "partage/RH/paie.xlsx"),
        ("/srv/partage/RH/a.zip!inner/b.csv", ["/srv/partage"], "partage/RH/a.zip!inner/b.csv"),
        ("/srv/partage/RH/x.pdf", ["/srv", "/srv/partage/RH"], "RH/x.pdf"),  # deepest root
        ("/srv/autre/x.pdf", ["/srv/partage"], "/srv/autre/x.pdf"),
        ("/srv/partage-2/x.pdf", ["/srv/partage"], "/srv/partage-2/x.pdf"),
    ],
)
def test_paths_are_shown_from_the_share(path: str, roots: list[str], shown: str) -> None:
    assert from_share(path, roots) == shown


def test_share_folder() -> None:
    assert share_folder("/srv/partage/RH/2024/paie.xlsx", "/srv/partage") == "partage/RH"
    assert share_folder("/srv/partage/note.txt", "/srv/partage") == "partage"
    assert share_folder("/ailleurs/note.txt", "/srv/partage") == "/ailleurs"


# ------------------------------------------------------------------ the CLI at 80 columns


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An install with a register, a processor, a breach, a request, findings, a reconciliation."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RGPD_DATABASE_URL", f"sqlite:///{tmp_path / 'rgpd.db'}")
    monkeypatch.setenv("RGPD_ACTOR", "dpo-test")
    monkeypatch.setenv("RGPD_ORG", "mairie")
    monkeypatch.setenv("RGPD_LANG", "en")
    assert run_cli(["init"]).code == 0
    r = run_cli(
        [
            "org",
            "add",
            "mairie",
            "--name",
            "Communauté d'agglomération de Saint-Exemple-sur-Mer et des Communes Associées",
            "--siren",
            "213100555",
            "--dpo-email",
            "dpo.mutualise@example.org",
        ]
    )
    assert r.code == 0, r.all
    for act in ACTIVITIES:
        f = tmp_path / f"{act['ref']}.yaml"
        f.write_text(yaml.safe_dump(act, allow_unicode=True), encoding="utf-8")
        r = run_cli(["registry", "add", "--file", str(f)])
        assert r.code == 0, r.all
    r = run_cli(["registry", "edit", "videoprotection", "--set", "status=valide"])
    assert r.code == 0, r.all
    proc = tmp_path / "proc.yaml"
    proc.write_text(
        yaml.safe_dump(
            {
                "ref": "editeur-videosurveillance",
                "name": "Société Vidéosurveillance Intercommunale Services",
                "contract_date": "2025-03-01",
                "hosting_provider": "Hébergeur Souverain",
                "hosting_country": "FR",
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    assert run_cli(["registry", "processor", "--file", str(proc)]).code == 0
    r = run_cli(
        [
            "breach",
            "add",
            "--ref",
            "b-2026-01",
            "--title",
            "Courriel contenant des données de vidéoprotection envoyé au mauvais destinataire",
            "--discovered",
            "2026-01-05T09:00+01:00",
            "--nature",
            "confidentialite",
        ]
    )
    assert r.code == 0, r.all
    share = tmp_path / "partage"
    for folder, text in (
        ("police", "Camille Martin, camille.martin@example.org, 06 12 34 56 78\n"),
        ("rh", "NIR 2 69 05 49 588 157 80, IBAN FR76 3000 6000 0112 3456 7890 189\n"),
        ("divers", "Contact : dominique.bernard@example.com\n"),
    ):
        (share / folder).mkdir(parents=True)
        (share / folder / f"fiche-{folder}.txt").write_text(text, encoding="utf-8")
    r = run_cli(["scan", "files", str(share), "--depth", "quick", "--workers", "1"])
    assert r.code in (0, 1), r.all
    yield tmp_path


def test_every_listing_fits_80_columns(home: Path) -> None:
    listings = {
        ("org", "list"): words("mairie", "Saint-Exemple-sur-Mer", "dpo.mutualise@example.org"),
        ("registry", "list"): words(LONG_NAME, "videoprotection", "2026-12-02", "2027-01-15"),
        ("registry", "history", "videoprotection"): words("dpo-test", "videoprotection"),
        ("registry", "processor", "--list"): words(
            "editeur-videosurveillance", "Vidéosurveillance Intercommunale", "2025-03-01"
        ),
        ("breach", "list"): words("b-2026-01", "vidéoprotection", "destinataire", "2026-01-08"),
        ("findings", "list"): words(labels.entity("FR_NIR"), labels.entity("EMAIL_ADDRESS")),
        ("findings", "list", "--by", "folder"): words("partage/rh", "partage/police"),
        ("findings", "list", "--details"): words(
            labels.entity("EMAIL_ADDRESS"), labels.entity("FR_NIR")
        ),
        ("reconcile",): words(labels.reconcile_rule("undeclared_processing")),
        ("reconcile", "--by", "activity"): words("videoprotection"),
        ("reconcile", "--details"): words(
            labels.reconcile_rule("undeclared_processing"), "Art. 30(1)"
        ),
        ("audit", "log"): words("dpo-test"),
        ("keys", "show"): set(),
    }
    for args, expected in listings.items():
        r = run_cli(list(args), env=NARROW)
        assert r.code in (0, 1), (args, r.all)
        assert_fits(r.out, expected)
        # --wide: every column, still within the terminal (long words shortened, not split)
        if args not in (("audit", "log"), ("keys", "show")):
            r = run_cli([*args, "--wide"], env=NARROW)
            assert r.code in (0, 1), (args, r.all)
            assert_fits(r.out, set())
    wide = run_cli(["org", "list", "--wide"], env=NARROW).out
    assert "SIREN" in wide and "213100555" in wide
    assert "SIREN" not in run_cli(["org", "list"], env=NARROW).out


def test_requests_list_and_show_fit_80_columns(home: Path) -> None:
    r = run_cli(
        [
            "requests",
            "new",
            "--right",
            "access",
            "--activity",
            "videoprotection",
            "--first-name",
            "Marie-Christine",
            "--last-name",
            "Delacroix-Montbéliard",
            "--email",
            "marie-christine.delacroix@example.org",
            "--channel",
            "mail",
            "--received",
            "2026-03-05",
        ]
    )
    assert r.code == 0, r.all
    ref = re.search(r"R-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", r.out)
    assert ref, r.out
    (listed,) = json.loads(run_cli(["requests", "list", "--json"]).out)
    r = run_cli(["requests", "list"], env=NARROW)
    assert_fits(r.out, words(ref.group(0), listed["due"]))
    header = next(line for line in r.out.splitlines() if line.startswith("┃"))
    assert "Received" not in header  # a --wide column
    wide = run_cli(["requests", "list", "--wide"], env=NARROW).out
    assert "Received" in next(line for line in wide.splitlines() if line.startswith("┃"))
    r = run_cli(["requests", "show", ref.group(0)], env=NARROW)
    assert_fits(r.out, words(ref.group(0), "marie-christine.delacroix@example.org"))


def test_scan_summary_fits_80_columns(home: Path) -> None:
    r = run_cli(["scan", "files", str(home / "partage"), "--depth", "quick", "--full"], env=NARROW)
    assert r.code in (0, 1), r.all
    # the tables; sentences are left for the terminal to wrap
    tables = "\n".join(line for line in r.out.splitlines() if line[:1] in "┏┃┡│└")
    assert_fits(tables, words(labels.entity("FR_NIR"), labels.entity("EMAIL_ADDRESS")))


# ------------------------------------------------------------------ grouped summaries


def test_reconcile_groups_by_rule_with_counts_and_details_lists_every_line(home: Path) -> None:
    jsonl = run_cli(["reconcile", "--format", "jsonl"])
    items = [json.loads(line) for line in jsonl.out.splitlines()]
    assert len(items) >= 3, jsonl.all
    by_rule: dict[str, int] = {}
    for it in items:
        by_rule[it["rule"]] = by_rule.get(it["rule"], 0) + 1
    summary = run_cli(["reconcile"], env={"COLUMNS": "200"})
    assert summary.code == 1
    for rule, n in by_rule.items():
        label = re.escape(labels.reconcile_rule(rule))
        assert re.search(rf"{label}\s*│\s*{n}\s*│", summary.out), (rule, n, summary.out)
    first = re.compile(r"^│ (error|warning|information) ")  # the first line of each row
    body = [line for line in summary.out.splitlines() if first.match(line)]
    assert len(body) == len(by_rule)  # one row per rule, not one per result
    assert "--details" in summary.out
    details = run_cli(["reconcile", "--details"], env={"COLUMNS": "200"})
    shown = [line for line in details.out.splitlines() if first.match(line)]
    assert len(shown) == len(items)  # every result
    by_activity = run_cli(["reconcile", "--by", "activity"], env={"COLUMNS": "200"})
    for it in items:
        assert (it["activity"] or "—") in by_activity.out


def test_findings_list_counts_by_entity_and_folder(home: Path) -> None:
    rows = [
        json.loads(x)
        for x in run_cli(["findings", "list", "--format", "jsonl"]).out.split("\n")
        if x
    ]
    assert rows
    entities: dict[str, set[str]] = {}
    for f in rows:
        entities.setdefault(f["entity_type"], set()).add(f["source"])
    out = run_cli(["findings", "list"], env={"COLUMNS": "200"}).out
    for e, sources in entities.items():
        label = re.escape(labels.entity(e))
        assert re.search(rf"{label}[^│]*│[^│]*│\s*{len(sources)}\s*│", out), (e, out)
    assert str(home / "partage") not in out  # counts, not files
    folders = run_cli(["findings", "list", "--by", "folder"], env={"COLUMNS": "200"}).out
    assert "partage/rh" in folders and "partage/police" in folders
    details = run_cli(["findings", "list", "--details"], env={"COLUMNS": "250"}).out
    assert all(f["source"] in details for f in rows)


# ------------------------------------------------------------------ registry add


def answers(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def test_registry_add_asks_again_at_the_prompt(home: Path) -> None:
    r = run_cli(
        ["registry", "add"],
        input=answers(
            "Cantine Scolaire",  # not a reference: asked again
            "videoprotection",  # taken: asked again
            "cantine",
            "Restauration scolaire",
            "Inscription; Facturation",
            "z",  # not a legal basis: asked again
            "mission_publique",  # a basis in words, kept as "e"
            "Code de l'éducation, art. L. 131-1",
            "parents, Élèves",  # unknown subject: asked again
            "parents, mineurs",
            "etat_civil, sante",
            "cinq ans",  # not a duration: asked again
            "5 ans",
            "1y",
            "q",  # not an Art. 9(2) condition: asked again
            "H",
            "Projet d'accueil individualisé",
            "31/02/2027",  # no such day: asked again
            "30/06/2027",
        ),
    )
    assert r.code == 0, r.all
    err = r.err
    assert "reference in lowercase" in err
    assert "already exists" in err
    assert "legal_basis" in err and "data_subjects" in err
    assert "invalid duration" in err
    assert "art9_condition" in err and "review_date" in err
    assert "Art. 9(2)" in r.out  # the condition is asked because "sante" was chosen
    d = json.loads(run_cli(["registry", "show", "cantine", "--format", "json"]).out)
    assert d["legal_basis"] == "e"
    assert d["data_subjects"] == ["parents", "mineurs"]
    assert [c["retention"]["active"] for c in d["data_categories"]] == ["5y", "1y"]
    assert d["art9_condition"] == "h" and d["review_date"] == "2027-06-30"


def test_no_art9_question_without_a_sensitive_category(home: Path) -> None:
    r = run_cli(
        ["registry", "add"],
        input=answers("biblio", "Médiathèque", "Prêt", "e", "", "usagers", "etat_civil", "3y", ""),
    )
    assert r.code == 0, r.all
    assert "Art. 9(2)" not in r.out


def test_interrupted_add_keeps_a_draft_that_resumes(home: Path) -> None:
    typed = answers("cantine", "Restauration scolaire", "Inscription; Facturation", "e")
    r = run_cli(["registry", "add"], input=typed)  # input ends: as Ctrl-C at the next prompt
    assert r.code == 2, r.all
    draft = home / "registry-draft-cantine.yaml"
    assert draft.exists(), r.all
    assert "--from-draft" in r.err
    kept = yaml.safe_load(draft.read_text(encoding="utf-8"))
    assert kept == {
        "ref": "cantine",
        "name": "Restauration scolaire",
        "purposes": ["Inscription", "Facturation"],
        "legal_basis": "e",
    }
    assert run_cli(["registry", "show", "cantine"]).code != 0  # nothing written
    # resume: Enter keeps each answer of the draft, the rest is asked
    r = run_cli(
        ["registry", "add", "--from-draft", str(draft)],
        input=answers("", "", "", "", "", "usagers", "etat_civil", "1y", ""),
    )
    assert r.code == 0, r.all
    d = json.loads(run_cli(["registry", "show", "cantine", "--format", "json"]).out)
    assert d["name"] == "Restauration scolaire" and d["purposes"] == ["Inscription", "Facturation"]


def test_refused_at_the_end_offers_the_draft(home: Path) -> None:
    draft = home / "d.yaml"
    draft.write_text(
        yaml.safe_dump({"ref": "cantine", "name": "Cantine", "recipients": "pas une liste"}),
        encoding="utf-8",
    )
    r = run_cli(
        ["registry", "add", "--from-draft", str(draft)],
        input=answers("", "", "Repas", "e", "", "usagers", "etat_civil", "1y", "", "y"),
    )
    assert r.code == 2, r.all
    assert "recipients" in r.err
    saved = home / "registry-draft-cantine.yaml"
    assert yaml.safe_load(saved.read_text(encoding="utf-8"))["purposes"] == ["Repas"]


def test_check_activity_field_is_the_models_validation(ws) -> None:  # type: ignore[no-untyped-def]
    from rgpd.registry import service
    from rgpd.registry.model import Activity, Organisation

    service.add_org(ws, Organisation(slug="mairie", name="Ville"))
    service.add_activity(ws, "mairie", Activity(ref="cantine", name="Cantine"))
    assert service.check_activity_field(ws, "mairie", "legal_basis", "mission_publique") == (
        "e",
        [],
    )
    value, problems = service.check_activity_field(ws, "mairie", "ref", "cantine")
    assert value is None and [p.field for p in problems] == ["ref"]
    value, problems = service.check_activity_field(ws, "mairie", "ref", "Cantine 2")
    assert value is None and "lowercase" in problems[0].problem
    value, problems = service.check_activity_field(
        ws, "mairie", "data_categories", [{"category": "sante", "retention": {"active": "5 ans"}}]
    )
    assert problems == [] and value[0]["retention"]["active"] == "5y"
    _value, problems = service.check_activity_field(ws, "mairie", "review_date", "2027-02-30")
    assert [p.field for p in problems] == ["review_date"]
