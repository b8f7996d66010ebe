"""Findings held against the register: each rule, positive and negative, on plain values.

The rules are pure (``reconcile``); one test at the end goes through the store
(``run_reconcile``) for what only the edge does: loading, batches, new/resolved.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rgpd.registry.locations import path_covered as path_matches
from rgpd.registry.model import Activity, DataCategoryUse, DataLocation, Retention
from rgpd.scan.reconcile import (
    Coverage,
    FoundItem,
    Rule,
    location_matches,
    reconcile,
)

NOW = datetime(2025, 3, 1, 12, 0, 0)
ROOT = "/srv/partage"


def act(
    ref: str,
    *locations: DataLocation,
    categories: tuple[str, ...] = ("etat_civil", "coordonnees"),
    retention: str | None = None,
    nir: str | None = None,
    art10: bool = False,
) -> Activity:
    uses = [
        DataCategoryUse(category=c, retention=Retention(active=retention) if retention else None)
        for c in categories
    ]
    return Activity(
        ref=ref,
        name=ref,
        data_categories=uses,
        data_locations=list(locations),
        nir_authorisation=nir,
        art10=art10,
    )


def files(path: str) -> DataLocation:
    return DataLocation(kind="files", path=path)


def db(conn: str, table: str | None = None, columns: tuple[str, ...] = ()) -> DataLocation:
    return DataLocation(kind="database", connection=conn, table=table, columns=list(columns))


def file_item(
    path: str,
    entity: str = "EMAIL_ADDRESS",
    *,
    age_days: int = 1,
    special: bool = False,
    root: str = ROOT,
) -> FoundItem:
    return FoundItem(
        kind="file",
        uri=path,
        entity_type=entity,
        special_category=special,
        root=root,
        path=path,
        modified_at=NOW - timedelta(days=age_days),
    )


def col_item(
    conn: str,
    table: str,
    column: str,
    entity: str = "PERSON",
    *,
    special: bool = False,
    schema: str = "public",
) -> FoundItem:
    return FoundItem(
        kind="column",
        uri=f"postgresql://h/db#{schema}.{table}.{column}",
        entity_type=entity,
        special_category=special,
        root=conn,
        schema=schema,
        table=table,
        column=column,
    )


def fresh(*items: FoundItem) -> list[Coverage]:
    """Coverage saying every item's place was scanned an hour ago."""
    out = []
    for it in items:
        if it.kind == "column":
            out.append(
                Coverage(
                    "table",
                    NOW - timedelta(hours=1),
                    root=it.root,
                    schema=it.schema,
                    table=it.table,
                )
            )
        else:
            out.append(Coverage("file", NOW - timedelta(hours=1), path=it.path, root=it.root))
    return out


def rules(results: list, rule: Rule) -> list:
    return [r for r in results if r.rule == rule]


# --------------------------------------------------------------------- matching


@pytest.mark.parametrize(
    ("pattern", "path", "root", "expected"),
    [
        ("/srv/partage/CCAS/**", "/srv/partage/CCAS/aides/2024/dossier.docx", ROOT, True),
        ("/srv/partage/CCAS/**", "/srv/partage/RH/paie.xlsx", ROOT, False),
        ("/srv/partage/CCAS", "/srv/partage/CCAS/a.pdf", ROOT, True),  # a folder: its tree
        ("/srv/partage/CCAS", "/srv/partage/CCAS-archives/a.pdf", ROOT, False),
        ("CCAS/**", "/srv/partage/CCAS/x/y.ods", ROOT, True),  # relative to the scanned root
        ("CCAS/**", "/srv/partage/CCAS/x/y.ods", "/mnt/autre", False),
        ("CCAS/*.ods", "/srv/partage/CCAS/y.ods", ROOT, True),
        ("CCAS/*.ods", "/srv/partage/CCAS/x/y.ods", ROOT, False),  # * stays in one folder
        ("**/*.ods", "/srv/partage/a/b/c.ods", ROOT, True),
        ("**/RH/**", "/srv/partage/RH/paie.xlsx", ROOT, True),
        ("/srv/partage/RH/paie-202?.xlsx", "/srv/partage/RH/paie-2024.xlsx", ROOT, True),
        ("/srv/partage/RH/[!x]*.xlsx", "/srv/partage/RH/paie.xlsx", ROOT, True),
        ("/srv/partage/RH/[!p]*.xlsx", "/srv/partage/RH/paie.xlsx", ROOT, False),
    ],
)
def test_path_matches(pattern: str, path: str, root: str, expected: bool) -> None:
    assert path_matches(pattern, path, root) is expected


@given(
    base=st.lists(st.from_regex(r"[A-Za-z0-9_é-]{1,8}", fullmatch=True), min_size=1, max_size=3),
    rest=st.lists(st.from_regex(r"[A-Za-z0-9_. -]{1,8}", fullmatch=True), min_size=1, max_size=4),
)
def test_double_star_covers_every_path_below_its_base(base: list[str], rest: list[str]) -> None:
    folder = "/" + "/".join(base)
    path = folder + "/" + "/".join(rest)
    assert path_matches(folder + "/**", path, None)
    assert path_matches(folder, path, None)
    assert not path_matches(folder + "x/**", path, None)


@pytest.mark.parametrize(
    ("loc", "item", "expected"),
    [
        (db("portail"), col_item("portail", "familles", "nom"), True),
        (db("portail", "familles"), col_item("portail", "familles", "nom"), True),
        (db("portail", "public.familles"), col_item("portail", "familles", "nom"), True),
        (db("portail", "FAMILLES"), col_item("portail", "familles", "nom"), True),
        (db("portail", "fam*"), col_item("portail", "familles", "nom"), True),
        (db("portail", "enfants"), col_item("portail", "familles", "nom"), False),
        (db("rh"), col_item("portail", "familles", "nom"), False),
        (
            db("portail", "familles", ("nom", "prenom")),
            col_item("portail", "familles", "nom"),
            True,
        ),
        (db("portail", "familles", ("nom",)), col_item("portail", "familles", "iban"), False),
        (files("/srv/partage/**"), col_item("portail", "familles", "nom"), False),
        (db("portail"), file_item("/srv/partage/a.txt"), False),
    ],
)
def test_location_matches(loc: DataLocation, item: FoundItem, expected: bool) -> None:
    assert location_matches(loc, item) is expected


# --------------------------------------------------------------------- each rule


def test_undeclared_processing_grouped_by_folder_and_table() -> None:
    items = [
        file_item("/srv/partage/Divers/liste.xlsx", "EMAIL_ADDRESS"),
        file_item("/srv/partage/Divers/liste2.xlsx", "PHONE_NUMBER"),
        file_item("/srv/partage/CCAS/ok.docx", "EMAIL_ADDRESS"),
        col_item("portail", "familles", "nom"),
        col_item("portail", "familles", "courriel", "EMAIL_ADDRESS"),
        col_item("portail", "journal", "ip", "IP_ADDRESS"),
    ]
    acts = [act("ccas", files("/srv/partage/CCAS/**")), act("cantine", db("portail", "journal"))]
    res = rules(reconcile(acts, items, fresh(*items), now=NOW), Rule.UNDECLARED)
    by_loc = {r.location: r for r in res}
    assert set(by_loc) == {"/srv/partage/Divers", "portail:public.familles"}
    assert by_loc["/srv/partage/Divers"].details["entities"] == ["EMAIL_ADDRESS", "PHONE_NUMBER"]
    assert by_loc["/srv/partage/Divers"].details["count"] == 2
    assert by_loc["portail:public.familles"].details["count"] == 2
    assert all(r.article == "Art. 30(1)" and r.activity_ref is None for r in res)
    assert all(r.severity == "error" and "Art. 30(1)" in r.message for r in res)


def test_declared_columns_limit_what_is_declared() -> None:
    items = [
        col_item("portail", "familles", "nom"),
        col_item("portail", "familles", "iban", "IBAN_CODE"),
    ]
    acts = [act("cantine", db("portail", "familles", ("nom",)))]
    (r,) = rules(reconcile(acts, items, fresh(*items), now=NOW), Rule.UNDECLARED)
    assert r.details["sources"] == ["portail:public.familles.iban"]
    assert r.activity_ref == "cantine" and r.details["declared_by"] == ["cantine"]
    assert "iban" in r.message and "cantine" in r.message


@pytest.mark.parametrize(
    ("entity", "categories", "art10", "flagged", "article"),
    [
        ("HEALTH", ("etat_civil",), False, True, "Art. 9(1)"),
        ("HEALTH", ("etat_civil", "sante"), False, False, "Art. 9(1)"),
        ("RELIGION", ("sante",), False, True, "Art. 9(1)"),
        ("RELIGION", ("convictions",), False, False, "Art. 9(1)"),
        ("CRIMINAL_OFFENCE", ("etat_civil",), False, True, "Art. 10"),
        ("CRIMINAL_OFFENCE", ("etat_civil",), True, False, "Art. 10"),
        ("CRIMINAL_OFFENCE", ("infractions",), False, False, "Art. 10"),
    ],
)
def test_special_category_where_none_declared(
    entity: str, categories: tuple[str, ...], art10: bool, flagged: bool, article: str
) -> None:
    item = col_item("ccas", "aides", "note", entity, special=True)
    a = act("aides", db("ccas", "aides"), categories=categories, art10=art10)
    res = rules(reconcile([a], [item], fresh(item), now=NOW), Rule.SPECIAL_UNDECLARED)
    assert bool(res) is flagged
    if flagged:
        (r,) = res
        assert (r.activity_ref, r.entity_type, r.article) == ("aides", entity, article)
        assert article in r.message


def test_special_category_declared_by_another_activity_of_the_same_location() -> None:
    item = file_item("/srv/partage/CCAS/note.docx", "HEALTH", special=True)
    loose = act("courrier", files("/srv/partage/**"))
    strict = act("aides", files("/srv/partage/CCAS/**"), categories=("sante",))
    assert not rules(
        reconcile([loose, strict], [item], fresh(item), now=NOW), Rule.SPECIAL_UNDECLARED
    )
    assert rules(reconcile([loose], [item], fresh(item), now=NOW), Rule.SPECIAL_UNDECLARED)


@pytest.mark.parametrize(
    ("claim", "flagged"),
    [
        (None, True),
        ("pas_une_categorie", True),
        ("travail_emploi", False),
        ("protection_sociale", False),
    ],
)
def test_nir_in_an_activity_not_authorised(claim: str | None, flagged: bool) -> None:
    item = col_item("rh", "agents", "nir", "FR_NIR")
    a = act("paie", db("rh", "agents"), categories=("etat_civil", "nir"), nir=claim)
    res = rules(reconcile([a], [item], fresh(item), now=NOW), Rule.NIR_UNAUTHORISED)
    assert bool(res) is flagged
    if flagged:
        assert res[0].activity_ref == "paie" and "2019-341" in res[0].article


def test_nir_outside_any_activity_is_undeclared_not_unauthorised() -> None:
    item = col_item("rh", "export", "nir", "FR_NIR")
    res = reconcile([act("paie", db("rh", "agents"), nir=None)], [item], fresh(item), now=NOW)
    assert rules(res, Rule.UNDECLARED) and not rules(res, Rule.NIR_UNAUTHORISED)


@pytest.mark.parametrize(
    ("age_days", "retention", "flagged"),
    [
        (400, "1y", True),
        (300, "1y", False),
        (4000, "10y", True),
        (3000, "10y", False),
        (400, None, False),
    ],
)
def test_retention_overrun(age_days: int, retention: str | None, flagged: bool) -> None:
    item = file_item("/srv/partage/CCAS/vieux.docx", "EMAIL_ADDRESS", age_days=age_days)
    a = act("aides", files("/srv/partage/CCAS/**"), retention=retention)
    res = rules(reconcile([a], [item], fresh(item), now=NOW), Rule.RETENTION_OVERRUN)
    assert bool(res) is flagged
    if flagged:
        (r,) = res
        assert r.article == "Art. 5(1)(e)"
        assert r.details["files"][0]["path"] == item.path
        assert r.details["files"][0]["age_days"] == age_days


def test_retention_lists_only_overdue_files_oldest_first() -> None:
    items = [
        file_item("/srv/partage/CCAS/a.docx", age_days=800),
        file_item("/srv/partage/CCAS/b.docx", age_days=100),
        file_item("/srv/partage/CCAS/c.docx", age_days=1500),
    ]
    a = act("aides", files("/srv/partage/CCAS/**"), retention="2y")
    (r,) = rules(reconcile([a], items, fresh(*items), now=NOW), Rule.RETENTION_OVERRUN)
    assert [f["path"] for f in r.details["files"]] == [
        "/srv/partage/CCAS/c.docx",
        "/srv/partage/CCAS/a.docx",
    ]


def test_retention_runs_out_only_when_every_holding_activity_has() -> None:
    item = file_item("/srv/partage/RH/contrat.pdf", age_days=800)
    short = act("recrutement", files("/srv/partage/RH/**"), retention="2y")
    long = act("carriere", files("/srv/partage/RH/**"), retention="50y")
    assert rules(reconcile([short], [item], fresh(item), now=NOW), Rule.RETENTION_OVERRUN)
    assert not rules(reconcile([short, long], [item], fresh(item), now=NOW), Rule.RETENTION_OVERRUN)


def test_retention_ignores_database_columns() -> None:
    item = col_item("portail", "familles", "nom")
    a = act("cantine", db("portail"), retention="1d")
    assert not rules(reconcile([a], [item], fresh(item), now=NOW), Rule.RETENTION_OVERRUN)


@pytest.mark.parametrize(
    ("coverage", "flagged"),
    [
        ([], True),
        (
            [
                Coverage(
                    "table",
                    NOW - timedelta(days=2),
                    root="portail",
                    schema="public",
                    table="familles",
                )
            ],
            False,
        ),
        (
            [
                Coverage(
                    "table",
                    NOW - timedelta(days=90),
                    root="portail",
                    schema="public",
                    table="familles",
                )
            ],
            True,
        ),
        (
            [
                Coverage(
                    "table",
                    NOW - timedelta(days=2),
                    root="portail",
                    schema="public",
                    table="enfants",
                )
            ],
            True,
        ),
        (
            [
                Coverage(
                    "table", NOW - timedelta(days=2), root="rh", schema="public", table="familles"
                )
            ],
            True,
        ),
    ],
)
def test_declared_database_location_not_scanned_recently(
    coverage: list[Coverage], flagged: bool
) -> None:
    a = act("cantine", db("portail", "familles"))
    res = rules(reconcile([a], [], coverage, now=NOW, recent_days=31), Rule.NOT_SCANNED)
    assert bool(res) is flagged
    if flagged:
        assert res[0].location == "portail:familles" and res[0].article == "Art. 5(2)"


@pytest.mark.parametrize(
    ("coverage", "flagged"),
    [
        ([Coverage("root", NOW - timedelta(days=1), path="/srv/partage")], False),
        ([Coverage("root", NOW - timedelta(days=1), path="/srv/partage/CCAS/2024")], False),
        ([Coverage("root", NOW - timedelta(days=1), path="/srv/autre")], True),
        (
            [
                Coverage(
                    "file",
                    NOW - timedelta(days=1),
                    path="/srv/partage/CCAS/x.pdf",
                    root="/srv/partage",
                )
            ],
            False,
        ),
        (
            [
                Coverage(
                    "file",
                    NOW - timedelta(days=1),
                    path="/srv/partage/RH/x.pdf",
                    root="/srv/partage",
                )
            ],
            True,
        ),
        ([Coverage("root", NOW - timedelta(days=60), path="/srv/partage")], True),
    ],
)
def test_declared_folder_not_scanned_recently(coverage: list[Coverage], flagged: bool) -> None:
    a = act("aides", files("/srv/partage/CCAS/**"))
    assert bool(rules(reconcile([a], [], coverage, now=NOW), Rule.NOT_SCANNED)) is flagged


def test_declared_category_never_seen() -> None:
    seen = col_item("portail", "familles", "courriel", "EMAIL_ADDRESS")
    a = act(
        "cantine",
        db("portail", "familles"),
        categories=("coordonnees", "economique_financier", "vie_personnelle"),
    )
    res = rules(reconcile([a], [seen], fresh(seen), now=NOW), Rule.NEVER_SEEN)
    # coordonnees was seen; vie_personnelle has no entity a scanner could see
    assert [r.details["category"] for r in res] == ["economique_financier"]
    assert res[0].severity == "info" and res[0].article == "Art. 30(1)(c)"


def test_passwords_sex_and_income_are_seen_under_their_categories() -> None:
    # a payroll table where only these columns hold personal data: each one shows its
    # declared category (connexion, etat_civil, economique_financier) was seen
    items = [
        col_item("rh", "paie", "mot_de_passe", "CREDENTIAL"),
        col_item("rh", "paie", "sexe", "GENDER"),
        col_item("rh", "paie", "salaire", "FINANCIAL_SITUATION"),
    ]
    a = act(
        "paie",
        db("rh", "paie"),
        categories=("connexion", "etat_civil", "economique_financier"),
    )
    assert reconcile([a], items, fresh(*items), now=NOW) == []


def test_category_never_seen_waits_for_a_scan_of_the_location() -> None:
    a = act("cantine", db("portail", "familles"), categories=("economique_financier",))
    res = reconcile([a], [], [], now=NOW)
    assert not rules(res, Rule.NEVER_SEEN) and rules(res, Rule.NOT_SCANNED)


def test_a_register_that_matches_the_findings_gives_nothing() -> None:
    items = [
        col_item("portail", "familles", "nom"),
        col_item("portail", "familles", "courriel", "EMAIL_ADDRESS"),
        file_item("/srv/partage/CCAS/dossier.docx", "HEALTH", special=True),
        file_item("/srv/partage/CCAS/dossier.docx", "FR_NIR"),
    ]
    acts = [
        act("cantine", db("portail", "familles"), categories=("etat_civil", "coordonnees")),
        act(
            "aides",
            files("CCAS/**"),
            categories=("sante", "nir"),
            retention="5y",
            nir="protection_sociale",
        ),
    ]
    assert reconcile(acts, items, fresh(*items), now=NOW) == []


def test_results_name_activity_location_rule_and_article_errors_first() -> None:
    items = [file_item("/srv/partage/Divers/x.txt"), col_item("rh", "agents", "nir", "FR_NIR")]
    acts = [
        act("paie", db("rh", "agents"), categories=("nir", "etat_civil")),
        act("vide", db("autre")),
    ]
    res = reconcile(acts, items, fresh(*items), now=NOW)
    assert [r.severity for r in res] == sorted(
        (r.severity for r in res), key=["error", "warning", "info"].index
    )
    for r in res:
        assert r.rule and r.location and r.article and r.message


# --------------------------------------------------------------------- through the store


def test_run_reconcile_stores_batches_and_tells_new_from_resolved(ws) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from rgpd.registry import service
    from rgpd.registry.model import Organisation
    from rgpd.scan.findings import uri_hash
    from rgpd.scan.reconcile import latest_results, run_reconcile
    from rgpd.storage.db import utcnow
    from rgpd.storage.scan_tables import FindingRow, ReconcileResultRow, ScanSourceRow

    service.add_org(ws, Organisation(slug="mairie", name="Ville"))
    service.add_org(ws, Organisation(slug="ccas", name="CCAS"))
    oid = ws.org_id("mairie")
    service.add_activity(ws, "mairie", act("cantine", db("portail", "familles")))

    def column(table: str, col: str, entity: str, org_id: int = oid) -> int:
        uri = f"postgresql://h/db#public.{table}.{col}"
        with ws.db.session() as s:
            src = ScanSourceRow(
                org_id=org_id,
                kind="column",
                uri=uri,
                uri_hash=uri_hash(uri),
                root="portail",
                last_scanned_at=utcnow(),
                meta={"schema": "public", "table": table, "column": col},
            )
            s.add(src)
            s.flush()
            s.add(
                FindingRow(
                    source_id=src.id,
                    org_id=org_id,
                    entity_type=entity,
                    count=3,
                    score=0.9,
                    evidence=[],
                    locations=[],
                )
            )
            return src.id

    column("familles", "nom", "PERSON")
    column("export", "iban", "IBAN_CODE")
    column("secret", "nir", "FR_NIR", org_id=ws.org_id("ccas"))  # another organisation's

    first = run_reconcile(ws, "mairie")
    locs = {(r.rule, r.location) for r in first.items}
    assert (Rule.UNDECLARED, "portail:public.export") in locs
    assert not any("secret" in r.location for r in first.items)  # nothing leaks across orgs
    assert len(first.new) == len(first.items) and first.resolved == 0
    assert {r.key for r in latest_results(ws, "mairie")} == {r.key for r in first.items}

    service.add_activity(
        ws, "mairie", act("export", db("portail", "export"), categories=("economique_financier",))
    )
    second = run_reconcile(ws, "mairie")
    assert (Rule.UNDECLARED, "portail:public.export") not in {
        (r.rule, r.location) for r in second.items
    }
    assert second.resolved >= 1
    with ws.db.session() as s:
        batches = set(s.execute(select(ReconcileResultRow.batch)).scalars())
    assert batches == {first.batch, second.batch}
    assert latest_results(ws, "ccas") == []


def test_reconcile_command_exit_codes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from click.testing import CliRunner

    from rgpd.cli import main
    from rgpd.registry import service
    from rgpd.registry.model import Organisation
    from rgpd.scan.findings import uri_hash
    from rgpd.storage.scan_tables import FindingRow, ScanSourceRow
    from tests.conftest import make_workspace

    url = f"sqlite:///{tmp_path / 'rgpd.db'}"
    ws = make_workspace(url, tmp_path)
    service.add_org(ws, Organisation(slug="mairie", name="Ville"))

    def cli(*args: str) -> tuple[int, str]:
        with CliRunner().isolation() as (out, _err, _both):
            code = main(["--lang", "en", "--db", url, "--org", "mairie", "reconcile", *args])
        return code, out.getvalue().decode()

    assert cli()[0] == 0  # nothing found, nothing declared: nothing contradicts
    uri = "sqlite:////srv/export.db#export.nir"
    with ws.db.session() as s:
        src = ScanSourceRow(
            org_id=ws.org_id("mairie"),
            kind="column",
            uri=uri,
            uri_hash=uri_hash(uri),
            root="export",
            meta={"schema": None, "table": "export", "column": "nir"},
        )
        s.add(src)
        s.flush()
        s.add(
            FindingRow(
                source_id=src.id,
                org_id=src.org_id,
                entity_type="FR_NIR",
                count=5,
                score=0.99,
                evidence=[],
                locations=[],
            )
        )
    code, out = cli("--format", "jsonl")
    assert code == 1
    (line,) = [json.loads(x) for x in out.splitlines()]
    assert (line["rule"], line["location"], line["article"]) == (
        "undeclared_processing",
        "export:export",
        "Art. 30(1)",
    )
    ws.db.dispose()


@pytest.mark.parametrize(
    ("pattern", "path", "root", "expected"),
    [
        # a register written relative to the share's parent names the root folder itself
        ("partage/enfance/**", "/mnt/partage/enfance/a.txt", "/mnt/partage", True),
        ("partage/enfance/**", "/mnt/partage/rh/a.txt", "/mnt/partage", False),
        ("partage/enfance/**", "/mnt/autre/enfance/a.txt", "/mnt/autre", False),
        ("enfance/**", "/mnt/partage/enfance/a.txt", "/mnt/partage", True),
    ],
)
def test_relative_location_may_name_the_root_folder(
    pattern: str, path: str, root: str, expected: bool
) -> None:
    assert path_matches(pattern, path, root) is expected


def test_root_scan_covers_relative_locations_under_its_name() -> None:
    from rgpd.registry.model import DataLocation
    from rgpd.scan.reconcile import location_covered

    cov = Coverage("root", NOW, path="/mnt/partage", root="/mnt/partage")
    assert location_covered(DataLocation(kind="files", path="partage/enfance/**"), cov)
    assert not location_covered(DataLocation(kind="files", path="archives/enfance/**"), cov)
