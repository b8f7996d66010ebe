"""Discovery in databases, for real on SQLite, PostgreSQL and MariaDB.

Each server gets its own throw-away database seeded with the commune sample
(``rgpd.demo.sample_db``); the store is an in-memory SQLite workspace. Scans run
at the ``quick`` depth (no spaCy) so that the file stays fast; the verdict rules
are the same at every depth.
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from rgpd.config import Connection
from rgpd.demo.sample_db import CLEAN_TABLES, EXPECTED, expected_pairs, seed_commune_db
from rgpd.masking import NO_EVIDENCE
from rgpd.registry import service
from rgpd.registry.model import Organisation
from rgpd.scan.columns import (
    ColumnKind,
    Hit,
    after_indefinite_article,
    judge_binary_column,
    judge_column,
    name_signal,
    name_tokens,
    names_a_thing,
    table_about_things,
    table_people_cues,
)
from rgpd.scan.database import (
    column_uri,
    db_failure_reason,
    make_scan_engine,
    safe_base_uri,
    scan_database,
    size_bucket,
)
from rgpd.storage.scan_tables import FindingRow, FindingValueRow, ScanErrorRow, ScanSourceRow
from rgpd.workspace import Workspace
from tests.scan.conftest import FreshUrl, seed

TODAY = date(2025, 3, 1)
FAMILIES = 60


# --------------------------------------------------------------------- fixtures


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def commune_url(request: pytest.FixtureRequest, fresh_url: FreshUrl) -> str:
    """A freshly seeded commune database on each dialect."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_commune"))
    url = fresh_url(request.param)
    seed_commune_db(url, families=FAMILIES)
    return url


@pytest.fixture
def pg_commune(fresh_url: FreshUrl) -> str:
    url = fresh_url("postgresql")
    seed_commune_db(url, families=FAMILIES)
    return url


@pytest.fixture(scope="module")
def commune_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seeded once per module; each test scans (and may alter) its own copy."""
    path = tmp_path_factory.mktemp("template") / "commune.db"
    seed_commune_db(f"sqlite:///{path}", families=FAMILIES)
    return path


@pytest.fixture
def sqlite_commune(commune_template: Path, tmp_path: Path) -> str:
    import shutil

    dst = tmp_path / "commune.db"
    shutil.copyfile(commune_template, dst)
    return f"sqlite:///{dst}"


@pytest.fixture
def mairie(ws: Workspace) -> Workspace:
    service.add_org(ws, Organisation(slug="mairie", name="Ville de Saint-Exemple"))
    return ws


def connect(ws: Workspace, name: str, url: str, **kw: str) -> None:
    ws.settings.connections[name] = Connection(name=name, url=url, **kw)


def scan(ws: Workspace, conn: str = "commune", **kw) -> object:  # type: ignore[no-untyped-def]
    kw.setdefault("depth", "quick")
    kw.setdefault("today", TODAY)
    return scan_database(ws, "mairie", conn, **kw)


def triples(res) -> set[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return {(f.table, f.column, f.entity_type) for f in res.findings}


# --------------------------------------------------------------------- verdicts on real databases


def test_column_verdicts_on_each_dialect(mairie: Workspace, commune_url: str) -> None:
    connect(mairie, "commune", commune_url)
    res = scan(mairie)
    assert res.status == "completed" and not res.errors
    assert res.counts["scanned"] == len(EXPECTED)
    assert triples(res) == expected_pairs()
    for clean in CLEAN_TABLES:
        assert not [f for f in res.findings if f.table == clean]
    special = {(f.table, f.column) for f in res.findings if f.special_category}
    assert special == {
        ("enfants", "allergies"),
        ("enfants", "regime_alimentaire"),
        ("aides_sociales", "note_sante"),
    }
    with mairie.db.session() as s:
        rows = (
            s.query(FindingRow, ScanSourceRow)
            .join(ScanSourceRow, ScanSourceRow.id == FindingRow.source_id)
            .all()
        )
    assert len(rows) == len(expected_pairs())
    for f, src in rows:
        assert src.kind == "column" and src.root == "commune"
        assert src.uri.startswith(res.uri + "#")
        assert f.ratio is not None and 0 < f.ratio <= 1 and 0 < f.score <= 1
        assert f.count >= 2  # a single hit never labels a column


def test_a_person_is_found_again_through_the_blind_index(
    mairie: Workspace, sqlite_commune: str
) -> None:
    from rgpd.scan.findings import lookup_values

    connect(mairie, "commune", sqlite_commune)
    scan(mairie)
    eng = create_engine(sqlite_commune)
    with eng.connect() as c:
        email, iban = c.execute(
            text("SELECT courriel, iban FROM familles WHERE iban IS NOT NULL LIMIT 1")
        ).one()
    eng.dispose()
    hits = lookup_values(mairie, "mairie", "EMAIL_ADDRESS", [email.upper()])
    assert [h.uri.rsplit("#", 1)[1] for h in hits] == ["familles.courriel"]
    grouped = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    hits = lookup_values(mairie, "mairie", "IBAN_CODE", [grouped])
    assert {h.uri.rsplit("#", 1)[1] for h in hits} >= {"familles.iban"}
    assert not lookup_values(mairie, "mairie", "EMAIL_ADDRESS", ["personne@example.net"])


def test_only_masked_values_and_tokens_are_stored(mairie: Workspace, sqlite_commune: str) -> None:
    connect(mairie, "commune", sqlite_commune)
    scan(mairie)
    eng = create_engine(sqlite_commune)
    with eng.connect() as c:
        raw = [
            str(v)
            for row in c.execute(text("SELECT courriel, telephone, iban, nom FROM familles"))
            for v in row
            if v
        ]
        raw += [str(v) for (v,) in c.execute(text("SELECT nir FROM agents"))]
    eng.dispose()
    stored = _dump_store(mairie)
    leaked = [v for v in raw if len(v) > 6 and v in stored]
    assert not leaked


def _dump_store(ws: Workspace) -> str:
    from sqlalchemy import MetaData

    md = MetaData()
    md.reflect(ws.db.engine)
    out = []
    with ws.db.engine.connect() as c:
        for t in md.sorted_tables:
            out += [repr(tuple(r)) for r in c.execute(t.select())]
    return "\n".join(out)


def test_no_credentials_in_findings_runs_errors_or_logs(
    mairie: Workspace,
    pg_commune: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "Tr3s-S3cret-" + uuid.uuid4().hex[:6]
    monkeypatch.setenv("RGPD_TEST_DB_PW", secret)  # trust auth: the server ignores it
    u = make_url(pg_commune)
    connect(
        mairie,
        "commune",
        u.set(username="postgres").render_as_string(),
        password_env="RGPD_TEST_DB_PW",
    )
    # and a second one that fails, so that an error message is stored too
    connect(
        mairie,
        "down",
        "postgresql+psycopg://postgres@127.0.0.1:1/nope",
        password_env="RGPD_TEST_DB_PW",
    )
    with caplog.at_level(logging.DEBUG, logger="rgpd"):
        ok = scan(mairie, tables=["familles", "agents"])
        down = scan(mairie, "down")
    assert ok.status == "completed" and ok.findings
    assert down.status == "failed" and down.errors[0].reason == "unreachable"
    stored = _dump_store(mairie)
    for needle in (secret, "postgres@", "RGPD_TEST_DB_PW="):
        assert needle not in stored
        assert needle not in caplog.text
    assert all("@" not in f.uri for f in ok.findings)


# --------------------------------------------------------------------- failures stay local


def test_unreachable_or_misconfigured_database_is_a_recorded_error(
    mairie: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RGPD_NO_SUCH_VAR", raising=False)
    cases = {
        "pg_down": (
            Connection("pg_down", "postgresql+psycopg://rgpd@127.0.0.1:1/x"),
            "unreachable",
        ),
        "maria_down": (
            Connection("maria_down", "mysql+pymysql://rgpd@127.0.0.1:1/x"),
            "unreachable",
        ),
        "no_file": (Connection("no_file", f"sqlite:///{tmp_path / 'absent.db'}"), "unreachable"),
        "no_pw": (
            Connection(
                "no_pw", "postgresql+psycopg://rgpd@127.0.0.1/x", password_env="RGPD_NO_SUCH_VAR"
            ),
            "config",
        ),
    }
    for name, (conn, reason) in cases.items():
        mairie.settings.connections[name] = conn
        res = scan(mairie, name)
        assert res.status == "failed", name
        assert [e.reason for e in res.errors] == [reason], name
        assert res.errors[0].message
    with mairie.db.session() as s:
        reasons = sorted(r.reason for r in s.query(ScanErrorRow))
    assert reasons == sorted(r for _c, r in cases.values())


def test_unknown_connection_is_a_usage_error(mairie: Workspace) -> None:
    from rgpd.errors import ConfigError

    with pytest.raises(ConfigError):
        scan(mairie, "jamais_declaree")


def test_permission_denied_on_one_table_and_the_scan_goes_on(
    mairie: Workspace, pg_commune: str
) -> None:
    role = f"rgpd_ro_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_commune, isolation_level="AUTOCOMMIT")
    dbname = make_url(pg_commune).database
    with admin.connect() as c:
        c.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        c.execute(text(f'GRANT CONNECT ON DATABASE "{dbname}" TO "{role}"'))
        c.execute(text(f'GRANT USAGE ON SCHEMA public TO "{role}"'))
        c.execute(text(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"'))
        c.execute(text(f'REVOKE SELECT ON aides_sociales FROM "{role}"'))
    try:
        connect(mairie, "commune", make_url(pg_commune).set(username=role).render_as_string())
        res = scan(mairie)
        errs = {e.source.rsplit("#", 1)[1]: e.reason for e in res.errors}
        assert errs == {"public.aides_sociales": "permission_denied"}
        assert res.status == "completed"
        assert triples(res) == expected_pairs() - expected_pairs(["aides_sociales"])
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP OWNED BY "{role}"'))
            c.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()


# --------------------------------------------------------------------- read-only and gentle


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mariadb"])
def test_the_scan_connection_cannot_write(dialect: str, fresh_url: FreshUrl) -> None:
    url = fresh_url(dialect, "w")
    e = create_engine(url)
    with e.begin() as c:
        c.execute(text("CREATE TABLE t (x INTEGER)"))
    e.dispose()
    eng = make_scan_engine(url)
    with eng.connect() as c, pytest.raises(Exception) as err:
        c.execute(text("INSERT INTO t VALUES (1)"))
        c.commit()
    assert "read" in str(err.value).lower()
    eng.dispose()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_statement_timeout_stops_a_long_query(
    dialect: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if dialect == "sqlite":
        url = f"sqlite:///{tmp_path / 'slow.db'}"
        create_engine(url).connect().close()
        slow = (
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
        )
    else:
        url = request.getfixturevalue("pg_server_url")
        slow = "SELECT pg_sleep(5)"
    eng = make_scan_engine(url, timeout=1)
    with eng.connect() as c, pytest.raises(Exception) as err:
        c.execute(text(slow))
    eng.dispose()
    assert db_failure_reason(err.value) in ("timeout", "error")
    assert any(k in str(err.value).lower() for k in ("timeout", "interrupt", "cancel"))


@pytest.mark.parametrize("dialect", ["postgresql", "mariadb", "sqlite"])
def test_big_tables_are_sampled_without_counting_them(
    mairie: Workspace, dialect: str, fresh_url: FreshUrl
) -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    url = fresh_url(dialect, "big")
    e = create_engine(url)
    with e.begin() as c:
        c.execute(text("CREATE TABLE gros (id INTEGER PRIMARY KEY, courriel VARCHAR(80))"))
        rows = [{"i": i, "m": f"agent{i}@example.org"} for i in range(1, 6001)]
        c.execute(text("INSERT INTO gros (id, courriel) VALUES (:i, :m)"), rows)
        c.execute(
            text(
                {
                    "postgresql": "ANALYZE gros",
                    "mariadb": "ANALYZE TABLE gros",
                    "sqlite": "ANALYZE",
                }[dialect]
            )
        )
    e.dispose()
    seen: list[str] = []

    def spy(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        seen.append(statement.lower())

    event.listen(Engine, "before_cursor_execute", spy)
    try:
        connect(mairie, "big", url)
        res = scan(mairie, "big", sample_size=100)
    finally:
        event.remove(Engine, "before_cursor_execute", spy)
    (t,) = res.tables
    assert t.rows_estimate is not None and 3000 <= t.rows_estimate <= 12000
    assert t.sampled_rows <= 100
    assert t.method.startswith("tablesample" if dialect == "postgresql" else "pk_windows")
    on_gros = [s for s in seen if "gros" in s]
    assert on_gros and not [s for s in on_gros if "count(" in s]
    assert [(f.column, f.entity_type) for f in res.findings] == [("courriel", "EMAIL_ADDRESS")]


# --------------------------------------------------------------------- incremental


def test_unchanged_tables_are_skipped_until_they_change(
    mairie: Workspace, sqlite_commune: str
) -> None:
    connect(mairie, "commune", sqlite_commune)
    first = scan(mairie)
    second = scan(mairie)
    assert second.counts["unchanged"] == len(EXPECTED) and second.counts["scanned"] == 0
    with mairie.db.session() as s:
        kept = s.query(FindingRow).count()
        tokens = s.query(FindingValueRow).count()
    assert kept == len(first.findings) and tokens > 0

    eng = create_engine(sqlite_commune)
    with eng.begin() as c:  # structure change on one table, size change on another
        c.execute(text("ALTER TABLE equipements ADD COLUMN responsable_email VARCHAR(80)"))
        c.execute(text("UPDATE equipements SET responsable_email = 'tech' || id || '@example.org'"))
        c.execute(
            text(
                "INSERT INTO journal_portail (id, famille_id, ip, horodatage, action) "
                "SELECT id + 100000, famille_id, ip, horodatage, action FROM journal_portail"
            )
        )
        c.execute(text("ANALYZE"))
    eng.dispose()
    third = scan(mairie)
    rescanned = {t.table for t in third.tables if t.status == "scanned"}
    assert rescanned == {"equipements", "journal_portail"}
    assert ("equipements", "responsable_email", "EMAIL_ADDRESS") in triples(third)
    assert scan(mairie, full=True).counts["scanned"] == len(EXPECTED)


def test_a_dropped_table_or_column_is_gone(mairie: Workspace, sqlite_commune: str) -> None:
    connect(mairie, "commune", sqlite_commune)
    scan(mairie)
    eng = create_engine(sqlite_commune)
    with eng.begin() as c:
        c.execute(text("DROP TABLE journal_portail"))
        c.execute(text("ALTER TABLE agents DROP COLUMN nir"))
        c.execute(text("DELETE FROM aides_sociales"))  # emptied: nothing left to report
    eng.dispose()
    res = scan(mairie)
    assert res.counts["gone"] >= 3  # the table, its ip column, agents.nir
    with mairie.db.session() as s:
        gone = {r.uri.rsplit("#", 1)[1] for r in s.query(ScanSourceRow).filter_by(status="gone")}
        live = {
            (f.entity_type)
            for f, src in s.query(FindingRow, ScanSourceRow).join(
                ScanSourceRow, ScanSourceRow.id == FindingRow.source_id
            )
            if "agents" in src.uri
        }
    assert {"journal_portail", "journal_portail.ip", "agents.nir"} <= gone
    assert "FR_NIR" not in live
    assert not [f for f in res.findings if f.table == "aides_sociales"]
    with mairie.db.session() as s:
        left = [
            src.uri
            for _f, src in s.query(FindingRow, ScanSourceRow).join(
                ScanSourceRow, ScanSourceRow.id == FindingRow.source_id
            )
            if "aides_sociales" in src.uri
        ]
    assert left == []


def test_table_filters(mairie: Workspace, sqlite_commune: str) -> None:
    connect(mairie, "commune", sqlite_commune)
    res = scan(mairie, tables=["fam*", "agents"], exclude_tables=["agen*"])
    assert {t.table for t in res.tables} == {"familles"}


# --------------------------------------------------------------------- the CLI


def run_cli(args: list[str]) -> tuple[int, str]:
    """The real entry point; output read once the isolation has flushed it."""
    from click.testing import CliRunner

    from rgpd.cli import main
    from tests.clihelp import wide_columns

    with CliRunner().isolation(env={"COLUMNS": wide_columns()}) as (out, err, _both):
        code = main(["--lang", "en", *args])
    return code, out.getvalue().decode() + err.getvalue().decode()


def test_scan_db_command(tmp_path: Path, sqlite_commune: str) -> None:
    import json

    from rgpd.config import load_settings
    from rgpd.crypto import KeyRing
    from rgpd.workspace import open_workspace

    cfg = tmp_path / "rgpd.toml"
    cfg.write_text(
        f'[rgpd]\ndatabase_url = "sqlite:///{tmp_path / "store.db"}"\norg = "mairie"\n'
        f'[connections.commune]\nurl = "{sqlite_commune}"\n'
        '[connections.panne]\nurl = "postgresql+psycopg://rgpd@127.0.0.1:1/x"\n',
        encoding="utf-8",
    )
    settings = load_settings(config_file=cfg)
    KeyRing.generate().save(settings.path(settings.key_file))
    ws = open_workspace(settings)
    service.add_org(ws, Organisation(slug="mairie", name="Ville"))
    ws.db.dispose()
    base = ["--config", str(cfg)]
    r = run_cli(
        [
            *base,
            "scan",
            "db",
            "commune",
            "--depth",
            "quick",
            "--format",
            "jsonl",
            "--tables",
            "familles,equipements",
        ]
    )
    assert r[0] == 0, r[1]
    lines = [json.loads(x) for x in r[1].splitlines() if x.startswith("{")]
    assert {(x["table"], x["column"], x["entity_type"]) for x in lines} == expected_pairs(
        ["familles"]
    )
    assert all("severity" in x for x in lines)
    # masked evidence, except for an amount of income, which no mask hides (its digits)
    assert all(bool(x["evidence"]) is (x["entity_type"] not in NO_EVIDENCE) for x in lines)
    column = next(x for x in lines if x["column"])
    for fmt in ("json", "table"):
        r = run_cli([*base, "findings", "show", column["source"], "--format", fmt])
        assert r[0] == 0, r[1]  # a database URI is looked up as given, not as a path
    assert (
        json.loads(run_cli([*base, "findings", "show", column["source"], "--format", "json"])[1])[
            "source"
        ]
        == column["source"]
    )
    assert f"column={column['column']}" in r[1]
    r = run_cli([*base, "scan", "db", "commune", "--depth", "quick", "--full", "--fail-on", "high"])
    assert r[0] == 1, r[1]  # IBAN, NIR, health: high
    r = run_cli([*base, "scan", "db", "panne"])
    assert r[0] == 3 and "unreachable" in r[1]


# --------------------------------------------------------------------- pure: names, URIs, verdicts


@pytest.mark.parametrize(
    ("column", "entity", "strength"),
    [
        ("nom", "PERSON", "weak"),
        ("prenom", "PERSON", "strong"),
        ("PRENOM", "PERSON", "strong"),
        ("firstName", "PERSON", "strong"),
        ("nom_naissance", "PERSON", "strong"),
        ("demandeur_nom", "PERSON", "strong"),
        ("date_naissance", "DATE_OF_BIRTH", "strong"),
        ("dateNaissance", "DATE_OF_BIRTH", "strong"),
        ("commune_naissance", "LOCATION", "strong"),
        ("nir", "FR_NIR", "strong"),
        ("num_secu", "FR_NIR", "strong"),
        ("telephone", "PHONE_NUMBER", "strong"),
        ("tel2", "PHONE_NUMBER", "strong"),
        ("portable", "PHONE_NUMBER", "strong"),
        ("courriel", "EMAIL_ADDRESS", "strong"),
        ("mail", "EMAIL_ADDRESS", "strong"),
        ("adresse_mail", "EMAIL_ADDRESS", "strong"),
        ("adresse_ip", "IP_ADDRESS", "strong"),
        ("adresse", "LOCATION", "strong"),
        ("code_postal", "LOCATION", "strong"),
        ("iban", "IBAN_CODE", "strong"),
        ("rib", "IBAN_CODE", "strong"),
        ("note_sante", "HEALTH", "strong"),
        ("allergies", "HEALTH", "strong"),
    ],
)
def test_name_vocabulary(column: str, entity: str, strength: str) -> None:
    sig = name_signal(column)
    assert sig is not None and (sig.entity_type, sig.strength.value) == (entity, strength)


@pytest.mark.parametrize(
    "column",
    [
        "montant",
        "numero_famille",
        "designation",
        "libelle",
        "file_name",
        "nom_fichier",
        "nom_commune",
        "horodatage",
        "matricule",
        "description",
        "pipeline",
        "telecom_ok",
    ],
)
def test_names_that_say_nothing(column: str) -> None:
    sig = name_signal(column)
    assert sig is None or sig.entity_type != "PERSON"


def _judge(
    name: str,
    values: list[str],
    hits: list[list[Hit]] | None = None,
    kind: ColumnKind = ColumnKind.TEXT,
    cues: frozenset[str] = frozenset(),
) -> dict[str, str]:
    hs = hits if hits is not None else [[] for _ in values]
    return {
        v.entity_type: v.basis
        for v in judge_column(name, kind, values, hs, table_cues=cues, today=TODAY)
    }


def test_a_weak_name_needs_a_table_about_people() -> None:
    surnames = ["Martin", "Bernard", "Dubois", "Thomas", "Robert"]
    people = table_people_cues(["nom", "prenom", "courriel"])
    assert _judge("nom", surnames, cues=people) == {"PERSON": "name"}
    things = ["Tondeuse autoportée", "Ordinateur portable", "Vidéoprojecteur"]
    assert _judge("nom", things, cues=table_people_cues(["nom", "categorie", "valeur"])) == {}


def test_names_need_values_of_the_right_shape() -> None:
    assert _judge("courriel", ["non communiqué", "-", "inconnu"]) == {}
    assert _judge("code_postal", ["75012", "69003", "13 001"]) == {"LOCATION": "name"}
    assert _judge("date_naissance", ["2014-03-02", "2016-11-30"], kind=ColumnKind.DATE) == {
        "DATE_OF_BIRTH": "name"
    }
    assert _judge("date_naissance", ["2031-01-01", "2032-01-01"], kind=ColumnKind.DATE) == {}
    assert _judge("allergies", ["aucune", "RAS", "néant"]) == {}


def test_hard_identifiers_and_special_categories_survive_the_name() -> None:
    vals = [
        "Martin, NIR 1 85 05 75 123 456 78",
        "Dupont",
        "Durand 2 90 01 13 001 002 21",
        "Petit",
        "Moreau",
    ]
    hits = [[Hit("FR_NIR", 0.95)], [], [Hit("FR_NIR", 0.95)], [], []]
    got = _judge("nom", vals, hits, cues=frozenset({"PERSON"}))
    assert got == {"PERSON": "name", "FR_NIR": "values"}


@given(
    n=st.integers(min_value=2, max_value=60),
    hit_at=st.integers(min_value=0, max_value=59),
    entity=st.sampled_from(
        ["FR_NIR", "EMAIL_ADDRESS", "PERSON", "HEALTH", "IBAN_CODE", "PHONE_NUMBER"]
    ),
)
@settings(max_examples=60, deadline=None)
def test_a_single_hit_never_labels_a_column(n: int, hit_at: int, entity: str) -> None:
    values = [f"valeur {i}" for i in range(n)]
    hits: list[list[Hit]] = [[] for _ in range(n)]
    hits[hit_at % n] = [Hit(entity, 0.99)]
    assert judge_column("champ_libre", ColumnKind.TEXT, values, hits, today=TODAY) == []


@given(
    n=st.integers(min_value=10, max_value=80),
    share=st.floats(min_value=0.0, max_value=1.0),
)
@settings(max_examples=60, deadline=None)
def test_verdict_follows_the_share_of_matching_values(n: int, share: float) -> None:
    k = round(n * share)
    values = [f"texte {i}" for i in range(n)]
    hits = [[Hit("PERSON", 0.85)] if i < k else [] for i in range(n)]
    got = judge_column("commentaire", ColumnKind.TEXT, values, hits, today=TODAY)
    labelled = bool(got)
    assert labelled == (k >= 2 and k / n >= 0.3)
    if labelled:
        (v,) = got
        assert v.ratio == round(k / n, 4) and v.matched == k and v.sampled == n


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql://rgpd:secret@db.mairie.local:5433/portail?sslmode=require&password=x",
            "postgresql://db.mairie.local:5433/portail",
        ),
        ("mysql+pymysql://root:pw@127.0.0.1/rh", "mysql://127.0.0.1/rh"),
        ("mariadb://u:p@h/d", "mysql://h/d"),
        ("sqlite:////srv/exports/famille.db", "sqlite:////srv/exports/famille.db"),
    ],
)
def test_source_uris_hold_no_credentials(url: str, expected: str) -> None:
    assert safe_base_uri(url) == expected
    assert column_uri(expected, "public", "familles", "nom") == expected + "#public.familles.nom"


def test_size_buckets_absorb_small_changes() -> None:
    assert size_bucket(1000) == size_bucket(1100)
    assert size_bucket(1000) != size_bucket(2000)
    assert size_bucket(0) == 0 and size_bucket(None) == -1


@pytest.mark.parametrize(
    "url",
    [
        "oracle+oracledb://rgpd_ro@ora.mairie.local:1521/?service_name=RH",
        "mssql+pyodbc://rgpd_ro@sql.mairie.local/paie?driver=ODBC+Driver+18+for+SQL+Server",
    ],
)
def test_optional_dialects_fail_clearly_without_their_server(mairie: Workspace, url: str) -> None:
    """Oracle / SQL Server: a missing driver (optional extra) or host is a recorded error."""
    import importlib.util

    driver = "oracledb" if url.startswith("oracle") else "pyodbc"
    installed = importlib.util.find_spec(driver) is not None
    connect(mairie, "optional", url)
    res = scan(mairie, "optional")
    assert res.status == "failed"
    (err,) = res.errors
    if installed:  # the host does not exist here
        assert err.reason in ("unreachable", "error")
    else:
        assert err.reason == "config" and "driver" in err.message
    assert "rgpd_ro" not in err.source


def test_a_killed_scan_run_is_marked_interrupted(mairie: Workspace, sqlite_commune: str) -> None:
    import socket
    import subprocess
    import sys

    from rgpd.storage.db import utcnow
    from rgpd.storage.scan_tables import ScanRunRow

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()  # its pid is now dead, as after kill -9
    with mairie.db.session() as s:
        dead = ScanRunRow(
            org_id=mairie.org_id("mairie"),
            kind="database",
            status="running",
            settings={"host": socket.gethostname()[:100], "pid": proc.pid},
            counts={},
            actor="test",
            heartbeat_at=utcnow(),
        )
        s.add(dead)
        s.flush()
        dead_id = dead.id
    connect(mairie, "commune", sqlite_commune)
    scan(mairie, tables=["equipements"])
    with mairie.db.session() as s:
        assert s.get(ScanRunRow, dead_id).status == "interrupted"


def test_relative_sqlite_paths_are_relative_to_the_config(
    mairie: Workspace, tmp_path: Path
) -> None:
    (tmp_path / "exports").mkdir()
    seed_commune_db(f"sqlite:///{tmp_path / 'exports' / 'portail.db'}", families=5)
    mairie.settings.base_dir = tmp_path
    connect(mairie, "export", "sqlite:///exports/portail.db")
    res = scan(mairie, "export", tables=["familles"])
    assert (
        res.status == "completed" and res.uri == f"sqlite:///{tmp_path / 'exports' / 'portail.db'}"
    )


@pytest.mark.parametrize(
    ("driver_text", "kept"),
    [
        ('invalid input syntax for type integer: "{value}"', "invalid input syntax"),
        ("Incorrect date value: '{value}' for column 'naissance' at row 1", "Incorrect date value"),
        ("value {value} out of range\nDETAIL: {value}", "out of range"),
    ],
)
def test_driver_messages_lose_the_values_they_quote(driver_text: str, kept: str) -> None:
    """Discovery and erasure send a citizen's values as parameters; errors must not echo them."""
    from sqlalchemy.exc import DataError

    from rgpd.scan.database import db_message

    value = "jeanne.martin@example.org 2 91 12 75 108 042 17"
    exc = DataError("SELECT 1", {}, Exception(driver_text.format(value=value)))
    message = db_message(exc, ["s3cret"])
    assert kept in message
    for part in ("jeanne", "martin", "108 042", "example.org"):
        assert part not in message, message


# --------------------------------------------------------------------- honest sampling (issue 11)

_TAIL_SQL = {
    # generated on the server: a million rows in a few seconds, no round trip per row
    "postgresql": [
        "CREATE UNLOGGED TABLE usagers (id INTEGER PRIMARY KEY, contact TEXT)",
        "INSERT INTO usagers SELECT i, CASE WHEN i > 600000 THEN 'usager' || i || "
        "'@example.org' ELSE 'RAS' END FROM generate_series(1, 1000000) i",
    ],
    "mariadb": [
        "CREATE TABLE usagers (id INTEGER PRIMARY KEY, contact VARCHAR(80))",
        "INSERT INTO usagers SELECT seq, CASE WHEN seq > 600000 THEN CONCAT('usager', seq, "
        "'@example.org') ELSE 'RAS' END FROM seq_1_to_1000000",
    ],
}


@pytest.mark.slow
@pytest.mark.parametrize("dialect", ["postgresql", "mariadb"])
def test_personal_data_in_the_last_40_percent_of_a_million_rows_is_found(
    mairie: Workspace, dialect: str, fresh_url: FreshUrl
) -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    url = fresh_url(dialect)
    seen: list[str] = []

    def spy(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        seen.append(f"{statement.lower()} {params!r}")

    e = create_engine(url)
    with e.begin() as c:
        for sql in _TAIL_SQL[dialect]:
            c.execute(text(sql))
    e.dispose()
    connect(mairie, "tail", url)
    event.listen(Engine, "before_cursor_execute", spy)
    try:
        first = scan(mairie, "tail")
        second = scan(mairie, "tail", full=True)
    finally:
        event.remove(Engine, "before_cursor_execute", spy)
    for res in (first, second):
        (t,) = res.tables
        assert t.rows_estimate is not None and t.rows_estimate > 100_000
        assert 500 <= t.sampled_rows <= 1000
        (f,) = [f for f in res.findings if f.column == "contact"]
        assert f.entity_type == "EMAIL_ADDRESS"
        assert 0.2 <= f.ratio <= 0.6  # about 40 %: the sample spans the whole table
    on_table = [s for s in seen if "usagers" in s]
    assert not [s for s in on_table if "count(" in s]
    # a different part of the table each run (fresh seeds): the samples differ
    samples = [s for s in on_table if "tablesample" in s or ">=" in s]
    assert len(set(samples)) == len(samples)


@pytest.mark.parametrize("dialect", ["postgresql", "mariadb", "sqlite"])
def test_values_are_cut_on_the_server(dialect: str, fresh_url: FreshUrl) -> None:
    from rgpd.scan.database import MAX_VALUE_CHARS, ColumnInfo, TableInfo, sample_rows

    big = 5_000_000  # 5 MB each (benchmarks/bench_dbscan.py measures 50 MB values)
    url = fresh_url(dialect, "v")
    if dialect == "sqlite":
        fill = f"INSERT INTO notes SELECT value, substr(hex(zeroblob({big // 2})), 1) FROM "
        fill += "(WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n "
        fill += "WHERE value < 4) SELECT value FROM n)"
    else:
        fill = (
            f"INSERT INTO notes SELECT i, repeat('Dossier suivi. ', {big // 15}) "
            "FROM generate_series(1, 4) i"
            if dialect == "postgresql"
            else f"INSERT INTO notes SELECT seq, repeat('Dossier suivi. ', {big // 15}) "
            "FROM seq_1_to_4"
        )
    e = create_engine(url)
    with e.begin() as c:
        longtext = "LONGTEXT" if dialect == "mariadb" else "TEXT"
        c.execute(text(f"CREATE TABLE notes (id INTEGER PRIMARY KEY, texte {longtext})"))
        c.execute(text(fill))
    e.dispose()
    eng = make_scan_engine(url)
    cols = (ColumnInfo("id", "integer", ColumnKind.INTEGER),)
    col = ColumnInfo("texte", "text", ColumnKind.TEXT)
    t = TableInfo(None, "notes", (*cols, col), ("id",))
    backend = make_url(url).get_backend_name()
    with eng.connect() as c:
        rows, _method = sample_rows(c, backend, t, [col], 1000, 4)
    eng.dispose()
    assert len(rows) == 4
    assert all(0 < len(r[0]) <= MAX_VALUE_CHARS for r in rows)


def _sqlite_db(tmp_path: Path, *statements: str) -> str:
    url = f"sqlite:///{tmp_path / f'db-{uuid.uuid4().hex[:6]}.db'}"
    e = create_engine(url)
    with e.begin() as c:
        for sql in statements:
            c.execute(text(sql))
    e.dispose()
    return url


_PEOPLE = (
    "CREATE TABLE personnes (id INTEGER PRIMARY KEY, nom TEXT, prenom TEXT, courriel TEXT, "
    "billing_city TEXT, photo BLOB, empreinte BLOB, image BLOB)",
    "INSERT INTO personnes VALUES "
    "(1, 'Martin', 'Léa', 'lea.martin@example.org', 'Lyon', x'FFD8FF', x'0102', NULL), "
    "(2, 'Bernard', 'Hugo', 'hugo.b@example.net', 'Nantes', x'FFD8FF', NULL, NULL), "
    "(3, 'Petit', 'Zoé', 'zoe.p@example.com', 'Rennes', NULL, x'0304', NULL)",
    "CREATE VIEW vue_personnes AS SELECT nom, prenom, courriel FROM personnes",
)


def test_views_are_skipped_and_said_unless_asked(mairie: Workspace, tmp_path: Path) -> None:
    from rgpd.errors import InvalidInput

    url = _sqlite_db(tmp_path, *_PEOPLE)
    connect(mairie, "gens", url)
    res = scan(mairie, "gens")
    assert [t.table for t in res.tables] == ["personnes"]
    assert res.counts["views_skipped"] == 1
    with pytest.raises(InvalidInput, match="view"):
        scan(mairie, "gens", tables=["vue_personnes"])
    with pytest.raises(InvalidInput, match="no table"):
        scan(mairie, "gens", tables=["absente"])
    res = scan(mairie, "gens", views=True, full=True)
    assert sorted(t.table for t in res.tables) == ["personnes", "vue_personnes"]
    assert ("vue_personnes", "courriel", "EMAIL_ADDRESS") in triples(res)
    assert res.counts.get("views_skipped", 0) == 0


def test_a_role_that_reads_only_views_gets_its_views_scanned(
    mairie: Workspace, pg_commune: str
) -> None:
    role = f"rgpd_vue_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_commune, isolation_level="AUTOCOMMIT")
    dbname = make_url(pg_commune).database
    with admin.connect() as c:
        c.execute(text("CREATE VIEW annuaire AS SELECT nom, prenom, courriel FROM familles"))
        c.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        c.execute(text(f'GRANT CONNECT ON DATABASE "{dbname}" TO "{role}"'))
        c.execute(text(f'GRANT USAGE ON SCHEMA public TO "{role}"'))
        c.execute(text(f'GRANT SELECT ON annuaire TO "{role}"'))
    try:
        connect(mairie, "commune", make_url(pg_commune).set(username=role).render_as_string())
        res = scan(mairie)
        assert {e.reason for e in res.errors} == {"permission_denied"}
        assert ("annuaire", "courriel", "EMAIL_ADDRESS") in triples(res)
        assert res.counts["views"] == 1 and not res.counts.get("views_skipped")
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP OWNED BY "{role}"'))
            c.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()


def test_picture_columns_are_reported_without_reading_their_bytes(
    mairie: Workspace, tmp_path: Path
) -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    url = _sqlite_db(tmp_path, *_PEOPLE)
    connect(mairie, "gens", url)
    seen: list[str] = []

    def spy(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        seen.append(statement.lower())

    event.listen(Engine, "before_cursor_execute", spy)
    try:
        res = scan(mairie, "gens")
    finally:
        event.remove(Engine, "before_cursor_execute", spy)
    found = {(f.column, f.entity_type): f for f in res.findings}
    assert found[("photo", "PHOTO")].matched == 2 and not found[("photo", "PHOTO")].evidence
    assert found[("empreinte", "BIOMETRIC")].special_category
    assert ("billing_city", "LOCATION") in found
    assert not [k for k in found if k[0] == "image"]  # empty column: nothing to report
    sampled = [s for s in seen if "from personnes" in s and "photo" in s]
    assert sampled and all("photo is null" in s for s in sampled)


def test_english_labels_are_not_names(mairie: Workspace, tmp_path: Path) -> None:
    url = _sqlite_db(
        tmp_path,
        "CREATE TABLE media_type (media_type_id INTEGER PRIMARY KEY, name TEXT)",
        "INSERT INTO media_type VALUES (1, 'MPEG audio file'), (2, 'Protected AAC audio file'), "
        "(3, 'Protected MPEG-4 video file'), (4, 'Purchased AAC audio file'), "
        "(5, 'AAC audio file')",
        "CREATE TABLE employee (employee_id INTEGER PRIMARY KEY, title TEXT, city TEXT)",
        "INSERT INTO employee VALUES (1, 'General Manager', 'Calgary'), "
        "(2, 'Sales Manager', 'Calgary'), (3, 'IT Manager', 'Lethbridge'), "
        "(4, 'IT Staff', 'Lethbridge'), (5, 'Sales Support Agent', 'Calgary')",
    )
    connect(mairie, "chinook", url)
    res = scan(mairie, "chinook")
    assert {(f.table, f.column, f.entity_type) for f in res.findings} == {
        ("employee", "city", "LOCATION")
    }


@pytest.mark.parametrize(
    ("column", "entity"),
    [
        ("city", "LOCATION"),
        ("ville", "LOCATION"),
        ("commune", "LOCATION"),
        ("billing_city", "LOCATION"),
        ("lieu_naissance", "LOCATION"),
        ("photo", "PHOTO"),
        ("avatar", "PHOTO"),
        ("empreinte_digitale", "BIOMETRIC"),
        ("face_template", "BIOMETRIC"),
    ],
)
def test_places_and_pictures_in_the_vocabulary(column: str, entity: str) -> None:
    sig = name_signal(column)
    assert sig is not None and sig.entity_type == entity


def test_the_iban_share_counts_only_valid_checksums() -> None:
    good = [
        "FR7630006000011234567890189",
        "FR1420041010050500013M02606",
        "FR7627611846061287032160416",
    ]
    bad = ["FR7630006000011234567890188", "FR1420041010050500013M02607"]
    got = judge_column("iban", ColumnKind.TEXT, good + bad, [[] for _ in range(5)], today=TODAY)
    (v,) = got
    assert v.entity_type == "IBAN_CODE" and v.matched == 3 and v.ratio == 0.6
    assert judge_column("iban", ColumnKind.TEXT, bad, [[] for _ in bad], today=TODAY) == []


@pytest.mark.parametrize("dialect", ["postgresql", "mariadb"])
def test_a_wrong_password_names_the_user_host_and_database(
    mairie: Workspace, dialect: str, request: pytest.FixtureRequest
) -> None:
    server = request.getfixturevalue(
        "pg_server_url" if dialect == "postgresql" else "mariadb_server_url"
    )
    u = make_url(server)
    user = "rgpd_absent" if dialect == "postgresql" else "root"
    url = u.set(username=user, password="mauvais").render_as_string(hide_password=False)
    connect(mairie, "faux", url)
    res = scan(mairie, "faux")
    (err,) = res.errors
    assert err.reason == "auth_failed"
    assert f"user {user} on host {u.host}" in err.message and str(u.database) in err.message
    assert "mauvais" not in err.message


def test_scan_db_takes_a_url_and_never_a_password_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rgpd.config import load_settings
    from rgpd.crypto import KeyRing
    from rgpd.workspace import open_workspace

    cfg = tmp_path / "rgpd.toml"
    cfg.write_text(
        f'[rgpd]\ndatabase_url = "sqlite:///{tmp_path / "store.db"}"\norg = "mairie"\n',
        encoding="utf-8",
    )
    settings = load_settings(config_file=cfg)
    KeyRing.generate().save(settings.path(settings.key_file))
    ws = open_workspace(settings)
    service.add_org(ws, Organisation(slug="mairie", name="Ville"))
    ws.db.dispose()
    url = _sqlite_db(tmp_path, *_PEOPLE)
    code, out = run_cli(["--config", str(cfg), "scan", "db", url, "--depth", "quick"])
    assert code == 0, out
    assert "views not scanned" in out and "E-mail addresses" in out  # labels (issue 12)
    pg = "postgresql+psycopg://lecteur:secret@127.0.0.1:1/x"
    code, out = run_cli(["--config", str(cfg), "scan", "db", pg])
    assert code == 2 and "RGPD_DB_PASSWORD" in out and "secret" not in out
    monkeypatch.setenv("RGPD_DB_PASSWORD", "motdepasse")
    code, out = run_cli(
        ["--config", str(cfg), "scan", "db", "postgresql+psycopg://lecteur@127.0.0.1:1/x"]
    )
    assert code == 3 and "motdepasse" not in out


def test_database_and_profiles_do_not_import_each_other() -> None:
    """Issue 16: ``scan/database`` ↔ ``scan/profiles`` was a circle (imports inside
    functions included); what both need lives in ``scan/liveness``."""
    import ast

    def imported(module: str) -> set[str]:
        src = Path(__file__).resolve().parents[2] / "rgpd" / "scan" / f"{module}.py"
        return {
            str(n.module)
            for n in ast.walk(ast.parse(src.read_text(encoding="utf-8")))
            if isinstance(n, ast.ImportFrom)
        }

    assert "rgpd.scan.profiles" not in imported("database")
    assert "rgpd.scan.profiles" not in imported("liveness")
    assert "rgpd.scan.database" not in imported("liveness")


# --------------------------------------------------------------------- names without separators


@pytest.mark.parametrize(
    ("column", "entity", "strength"),
    [
        ("billingcity", "LOCATION", "strong"),
        ("billingaddress", "LOCATION", "strong"),
        ("shippostalcode", "LOCATION", "strong"),
        ("postalcode", "LOCATION", "strong"),
        ("homephone", "PHONE_NUMBER", "strong"),
        ("cellphone", "PHONE_NUMBER", "strong"),
        ("contactname", "PERSON", "strong"),
        ("nomclient", "PERSON", "strong"),
        ("lieunaissance", "LOCATION", "strong"),
        ("adressemail", "EMAIL_ADDRESS", "strong"),
    ],
)
def test_names_written_without_separators_are_split_into_known_words(
    column: str, entity: str, strength: str
) -> None:
    # PostgreSQL folds an unquoted BillingCity to billingcity; Django writes postalcode
    sig = name_signal(column)
    assert sig is not None and (sig.entity_type, sig.strength.value) == (entity, strength)


@pytest.mark.parametrize(
    "column",
    ["electricity", "capacity", "velocity", "hotmailflag", "telecomop", "photopath", "caramel"],
)
def test_a_word_is_split_only_when_every_piece_is_known(column: str) -> None:
    # "electricity" ends with "city" but "electri" is no word: nothing is read into it
    assert name_tokens(column) == {column}


@pytest.mark.parametrize(
    "column",
    ["productname", "ProductName", "company_name", "CompanyName", "category_name", "nom_produit"],
)
def test_the_name_of_a_thing_is_not_a_persons_name(column: str) -> None:
    assert names_a_thing(column)
    sig = name_signal(column)
    assert sig is None or sig.entity_type != "PERSON"


def test_a_thing_named_column_needs_nearly_every_value_to_read_as_a_person() -> None:
    # a NER reads a possessive brand ("Tante Odile's ...") as a person now and then
    n = 20
    values = [f"Article {i}" for i in range(n)]
    some = [[Hit("PERSON", 0.85)] if i < 8 else [] for i in range(n)]  # 40 %
    assert _judge("product_name", values, some) == {}
    assert _judge("commentaire", values, some) == {"PERSON": "values"}
    nearly_all = [[Hit("PERSON", 0.85)] if i < 18 else [] for i in range(n)]  # 90 %
    assert _judge("product_name", values, nearly_all) == {"PERSON": "values"}


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mariadb"])
def test_folded_camel_case_columns_are_found_on_each_dialect(
    mairie: Workspace, dialect: str, fresh_url: FreshUrl
) -> None:
    from faker import Faker

    fake = Faker("fr_FR")
    Faker.seed(11)
    # unquoted CamelCase: PostgreSQL stores billingcity, shippostalcode, homephone
    ddl = (
        "CREATE TABLE Commande (CommandeId INTEGER PRIMARY KEY, ContactName VARCHAR(60), "
        "BillingAddress VARCHAR(120), BillingCity VARCHAR(60), ShipPostalCode VARCHAR(10), "
        "HomePhone VARCHAR(30), ProductName VARCHAR(60))"
    )
    rows = [
        {
            "i": i,
            "c": fake.name(),
            "a": fake.street_address(),
            "v": fake.city(),
            "p": fake.postcode(),
            "h": fake.phone_number(),
            "n": f"Lot {fake.word()} n°{i}",
        }
        for i in range(1, 41)
    ]
    insert = "INSERT INTO commande VALUES (:i, :c, :a, :v, :p, :h, :n)"
    if dialect != "postgresql":
        # SQLite: as Django or a hand-made schema writes it; MariaDB: the insert says commande
        ddl = ddl.lower()
    url = seed(fresh_url(dialect), ddl, insert, rows)
    connect(mairie, "ventes", url)
    res = scan(mairie, "ventes")
    assert {(f.column, f.entity_type) for f in res.findings} == {
        ("contactname", "PERSON"),
        ("billingaddress", "LOCATION"),
        ("billingcity", "LOCATION"),
        ("shippostalcode", "LOCATION"),
        ("homephone", "PHONE_NUMBER"),
    }


@pytest.mark.parametrize(
    ("table", "columns", "things"),
    [
        ("Categories", ["CategoryID", "CategoryName", "Description", "Picture"], True),
        ("Product", ["ProductID", "Name", "ProductNumber", "ThumbNailPhoto"], True),
        ("Employees", ["EmployeeID", "LastName", "FirstName", "City", "Photo"], False),
        ("badges", ["id", "agent_id", "site", "photo"], False),
        ("photos", ["id", "photo"], False),  # nothing says "thing": stay on the safe side
    ],
)
def test_a_table_about_things(table: str, columns: list[str], things: bool) -> None:
    assert table_about_things(table, columns) is things


def test_pictures_of_products_and_categories_are_not_pictures_of_people(
    mairie: Workspace, tmp_path: Path
) -> None:
    url = _sqlite_db(
        tmp_path,
        "CREATE TABLE categories (category_id INTEGER PRIMARY KEY, category_name TEXT, "
        "description TEXT, picture BLOB)",
        "INSERT INTO categories VALUES (1, 'Conserves', 'Bocaux et boîtes', x'424D0001'), "
        "(2, 'Épicerie fine', 'Huiles et vinaigres', x'424D0002')",
        "CREATE TABLE produits (produit_id INTEGER PRIMARY KEY, product_name TEXT, "
        "thumbnail_photo BLOB)",
        "INSERT INTO produits VALUES (1, 'Rillettes du Mans', x'FFD8FF01'), "
        "(2, 'Confit de canard', x'FFD8FF02')",
        "CREATE TABLE badges (badge_id INTEGER PRIMARY KEY, agent_id INTEGER, site TEXT, "
        "photo BLOB)",
        "INSERT INTO badges VALUES (1, 10, 'Mairie annexe', x'FFD8FF03'), "
        "(2, 11, 'Médiathèque', x'FFD8FF04')",
    )
    connect(mairie, "stock", url)
    res = scan(mairie, "stock")
    assert {(f.table, f.column, f.entity_type) for f in res.findings} == {
        ("badges", "photo", "PHOTO")
    }


@pytest.mark.parametrize(
    "column",
    ["address_id", "AddressID", "AddressType", "adresse_type", "email_status", "nb_telephones"],
)
def test_a_key_type_or_count_of_the_data_is_not_the_data(column: str) -> None:
    assert name_signal(column) is None


@pytest.mark.parametrize(
    ("column", "entity"),
    [("type_handicap", "HEALTH"), ("statut_syndical", "TRADE_UNION"), ("religion_id", "RELIGION")],
)
def test_a_type_or_key_of_a_special_category_still_reveals_it(column: str, entity: str) -> None:
    # Art. 9(1): the kind of disability, or a key into a table of religions, is the data
    sig = name_signal(column)
    assert sig is not None and sig.entity_type == entity


def test_keys_and_types_of_addresses_are_not_addresses(mairie: Workspace, tmp_path: Path) -> None:
    from faker import Faker

    fake = Faker("fr_FR")
    Faker.seed(5)
    # four- and five-digit keys read like postcodes; "Siège" or "Livraison" is a label
    rows = ", ".join(
        f"({10000 + i}, {20000 + i}, '{'Siège' if i % 2 else 'Livraison'}')" for i in range(30)
    )
    streets = ", ".join(
        f"({20000 + i}, '{fake.street_address().replace(chr(39), ' ')}', '{fake.postcode()}')"
        for i in range(30)
    )
    url = _sqlite_db(
        tmp_path,
        "CREATE TABLE client_adresse (ClientID INTEGER, AddressID INTEGER, AddressType TEXT)",
        f"INSERT INTO client_adresse VALUES {rows}",
        "CREATE TABLE adresse (AddressID INTEGER PRIMARY KEY, AddressLine1 TEXT, PostalCode TEXT)",
        f"INSERT INTO adresse VALUES {streets}",
    )
    connect(mairie, "ventes", url)
    res = scan(mairie, "ventes")
    assert {(f.table, f.column, f.entity_type) for f in res.findings} == {
        ("adresse", "AddressLine1", "LOCATION"),
        ("adresse", "PostalCode", "LOCATION"),
    }


def test_a_bare_name_or_title_is_the_name_of_what_its_table_holds() -> None:
    n = 20
    values = [f"Intitulé {i}" for i in range(n)]
    some = [[Hit("PERSON", 0.85)] if i < 8 else [] for i in range(n)]  # 40 %
    hits = {"table_cues": frozenset(), "today": TODAY}
    for table in ("album", "Languages", "film_category", "produits"):
        assert not judge_column("title", ColumnKind.TEXT, values, some, table=table, **hits)
        assert names_a_thing("name", table)
    # a table of people, or a column that says more than "name", keeps its PERSON verdict
    for table, column in (("artist", "name"), ("agents", "nom"), ("album", "guest_name")):
        got = judge_column(column, ColumnKind.TEXT, values, some, table=table, **hits)
        assert [v.entity_type for v in got] == ["PERSON"]


@pytest.mark.parametrize(
    ("text", "start", "expected"),
    [
        ("Une histoire d'un Grand Voyageur", 18, True),
        ("A Quiet Tale of a Baker", 2, True),
        ("Waiting in an Abandoned Hangar", 14, True),
        ("Rendez-vous avec Jeanne Exemple", 17, False),
        ("Appel de Mme Annie Exemple", 13, False),
        ("Annie Exemple", 0, False),
    ],
)
def test_after_an_indefinite_article(text: str, start: int, expected: bool) -> None:
    assert after_indefinite_article(text, start) is expected


def test_capitalised_phrases_after_an_article_are_not_people_in_free_text() -> None:
    from rgpd.scan.database import ColumnInfo, TableInfo, judge_table
    from rgpd.scan.detect.types import Detection

    # catalogue prose where a detector takes "a Grand Voyageur" for someone, next to
    # notes that name people; the fake detector returns the capitalised phrases
    prose = [f"Le récit d'un Grand Voyageur numéro {i} dans une Vieille Forge" for i in range(10)]
    notes = [f"Appel de Mme Annie Exemple{i} au sujet du dossier" for i in range(10)]

    def detect_many(texts: list[str]) -> list[list[Detection]]:
        out = []
        for t in texts:
            found = []
            for m in re.finditer(r"(?:[A-Z][a-zé]+ ){1,2}(?:[A-Z][a-zé]+\d*)", t):
                found.append(Detection("PERSON", m.start(), m.end(), 0.85, False, m.group()))
            out.append(found)
        return out

    cols = (
        ColumnInfo("resume", "TEXT", ColumnKind.TEXT),
        ColumnInfo("observations", "TEXT", ColumnKind.TEXT),
    )
    table = TableInfo(None, "fiches", cols, ())
    judged = judge_table(
        table, cols, list(zip(prose, notes, strict=True)), detect_many, lambda e, v: v, TODAY
    )
    got = {j.column.name: [v.entity_type for v in j.verdicts] for j in judged}
    assert got == {"resume": [], "observations": ["PERSON"]}


# --------------------------------------------------------------------- credentials, gender, income


@pytest.mark.parametrize(
    ("column", "entity", "strength"),
    [
        ("password", "CREDENTIAL", "strong"),
        ("PasswordHash", "CREDENTIAL", "strong"),
        ("passwordhash", "CREDENTIAL", "strong"),  # folded by the server, split here
        ("PasswordSalt", "CREDENTIAL", "strong"),
        ("hashed_password", "CREDENTIAL", "strong"),
        ("mot_de_passe", "CREDENTIAL", "strong"),
        ("motDePasse", "CREDENTIAL", "strong"),
        ("motdepasse", "CREDENTIAL", "strong"),
        ("mdp", "CREDENTIAL", "strong"),
        ("pwd", "CREDENTIAL", "strong"),
        ("api_key", "CREDENTIAL", "weak"),  # "key" is what the name holds, not a key to it
        ("remember_token", "CREDENTIAL", "weak"),
        ("secret", "CREDENTIAL", "weak"),
        ("sexe", "GENDER", "strong"),
        ("code_sexe", "GENDER", "strong"),
        ("gender", "GENDER", "strong"),
        ("gender_id", "GENDER", "strong"),  # a key into a list of genders is the gender
        ("civilite", "GENDER", "strong"),
        ("TitleOfCourtesy", "GENDER", "strong"),
        ("titleofcourtesy", "GENDER", "strong"),
        ("Title", "GENDER", "weak"),
        ("salary", "FINANCIAL_SITUATION", "strong"),
        ("salaire_brut", "FINANCIAL_SITUATION", "strong"),
        ("salairebrut", "FINANCIAL_SITUATION", "strong"),
        ("revenu_fiscal", "FINANCIAL_SITUATION", "strong"),
        ("revenus_menage", "FINANCIAL_SITUATION", "strong"),
        ("revenu", "FINANCIAL_SITUATION", "weak"),  # a budget has "revenus" too
        ("income", "FINANCIAL_SITUATION", "weak"),
        ("quotient_familial", "FINANCIAL_SITUATION", "strong"),
        ("montant_aide", "FINANCIAL_SITUATION", "strong"),
        ("qf", "FINANCIAL_SITUATION", "weak"),
        # the Art. 9 category keeps its own words: "sexe" is civil status, this is not
        ("orientation_sexuelle", "SEX_LIFE", "strong"),
        ("sexual_orientation", "SEX_LIFE", "strong"),
    ],
)
def test_credentials_gender_and_income_in_the_vocabulary(
    column: str, entity: str, strength: str
) -> None:
    sig = name_signal(column)
    assert sig is not None and (sig.entity_type, sig.strength.value) == (entity, strength)


@pytest.mark.parametrize(
    "column",
    [
        "password_reset_required",  # a flag about the password
        "password_changed_at",
        "password_format",
        "secret_question",  # the question is not the answer
        "salary_grade",  # a pay grade is professional life, not an amount
        "salary_currency",
        "income_id",
        "montant",  # an invoice's amount is not a person's income
        "total",
        "revenue",  # a company's turnover
        "salaries",  # "salariés" folded: employees
    ],
)
def test_facts_about_a_secret_or_an_income_are_not_it(column: str) -> None:
    assert name_signal(column) is None


def test_credentials_gender_and_income_need_values_of_their_shape() -> None:
    people = table_people_cues(["nom", "prenom", "courriel"])
    hashes = [uuid.uuid4().hex * 2 for _ in range(6)]
    assert _judge("password", hashes) == {"CREDENTIAL": "name"}
    assert _judge("mot_de_passe", ["0", "1", "1", "0"], kind=ColumnKind.INTEGER) == {}
    assert _judge("mdp", ["à changer", "voir avec le service"]) == {}  # a note, not a secret
    # a machine secret counts in a table of people only
    assert _judge("token", hashes, cues=people) == {"CREDENTIAL": "name"}
    assert _judge("token", hashes) == {}
    assert _judge("sexe", ["F", "M", "F", "F", "M"]) == {"GENDER": "name"}
    assert _judge("sexe", ["2", "1", "1"], kind=ColumnKind.INTEGER) == {"GENDER": "name"}
    assert _judge("civilite", ["Mme", "M.", "Mlle", "Monsieur"]) == {"GENDER": "name"}
    assert _judge("genre", ["Roman", "Poésie", "Théâtre"], cues=people) == {}
    assert _judge("Title", ["Mr.", "Ms.", "Mr.", "Mrs."], cues=people) == {"GENDER": "name"}
    assert _judge("Title", ["Chef de service", "Agent d'accueil"], cues=people) == {}
    assert _judge("salaire", ["2 150,40 €", "1850", "3 020,00"]) == {"FINANCIAL_SITUATION": "name"}
    amounts = ["41250.00", "38900.50"]
    assert _judge("salary", amounts, kind=ColumnKind.DECIMAL) == {"FINANCIAL_SITUATION": "name"}
    assert _judge("salaire", ["cadre A", "cadre B", "cadre C"]) == {}
    rents = ["12500", "8300.50", "4100"]
    assert _judge("revenus", rents, cues=table_people_cues(["chapitre", "libelle"])) == {}
    assert _judge("revenus", rents, cues=people) == {"FINANCIAL_SITUATION": "name"}
    assert _judge("sexe", ["G", "G", "F", "G"]) == {"GENDER": "name"}  # garçon / fille
    # bytes are never read: a password hash stored as bytes is told by its name
    (v,) = judge_binary_column("password_hash", 3, 4, table_cues=people)
    assert (v.entity_type, v.matched) == ("CREDENTIAL", 3)
    assert judge_binary_column("token", 3, 4, table_cues=people) == []  # maybe a service's


def test_each_new_type_is_declared_under_its_register_category() -> None:
    from rgpd.scan.findings import Severity, severity_of
    from rgpd.taxonomy import categories_for_entity

    # CNIL template: login identifiers are connection data; sex is civil status; income
    # is economic and financial data. A finding then reconciles with what is declared.
    assert categories_for_entity("CREDENTIAL") == ["connexion"]
    assert categories_for_entity("GENDER") == ["etat_civil"]
    assert categories_for_entity("FINANCIAL_SITUATION") == ["economique_financier"]
    assert severity_of("CREDENTIAL") == severity_of("FINANCIAL_SITUATION") == Severity.MEDIUM
    assert severity_of("GENDER") == Severity.LOW


def test_a_password_never_reaches_a_detector_nor_the_evidence() -> None:
    from rgpd.scan.database import ColumnInfo, TableInfo, judge_table
    from rgpd.scan.detect.types import Detection

    # users whose clear-text password is their own first name: a detector would read it
    # as a person, and the value would become masked evidence and a blind-index token
    firsts = ["Maelle", "Gaspard", "Ines", "Bastien", "Lou", "Noemie"]
    rows = [(f, f"{f}-{i}", "F" if i % 2 else "M", 1800 + 10 * i) for i, f in enumerate(firsts)]
    seen: list[str] = []

    def detect_many(texts: list[str]) -> list[list[Detection]]:
        seen.extend(texts)
        return [[Detection("PERSON", 0, len(t), 0.9, False, t)] for t in texts]

    cols = (
        ColumnInfo("prenom", "TEXT", ColumnKind.TEXT),
        ColumnInfo("mot_de_passe", "TEXT", ColumnKind.TEXT),
        ColumnInfo("sexe", "TEXT", ColumnKind.TEXT),
        ColumnInfo("salaire", "INTEGER", ColumnKind.INTEGER),
    )
    judged = judge_table(
        TableInfo(None, "comptes", cols, ()), cols, rows, detect_many, lambda e, v: v, TODAY
    )
    got = {j.column.name: [v.entity_type for v in j.verdicts] for j in judged}
    assert got == {
        "prenom": ["PERSON"],
        "mot_de_passe": ["CREDENTIAL"],
        "sexe": ["GENDER"],
        "salaire": ["FINANCIAL_SITUATION"],
    }
    assert not any("-" in t for t in seen)  # the passwords were never detected
    for j in judged[1:]:
        assert all(ev == [] for ev in j.evidence.values())
        assert all(toks == {} for toks in j.tokens.values())


_ACCOUNTS_DDL = (
    "CREATE TABLE comptes_agents (agent_id INTEGER PRIMARY KEY, nom VARCHAR(60), "
    "prenom VARCHAR(60), courriel VARCHAR(120), sexe CHAR(1), civilite VARCHAR(12), "
    "gender_id INTEGER, mot_de_passe VARCHAR(64), passwordsalt VARCHAR(16), "
    "password_reset_required SMALLINT, salaire NUMERIC(10,2), salary_grade VARCHAR(4), "
    "quotient_familial INTEGER, notes VARCHAR(80), pwd_hash BLOB)"
)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mariadb"])
def test_passwords_sex_and_income_are_found_on_each_dialect(
    mairie: Workspace, dialect: str, fresh_url: FreshUrl
) -> None:
    import hashlib

    from faker import Faker
    from sqlalchemy import select

    fake = Faker("fr_FR")
    Faker.seed(23)
    rows = []
    for i in range(1, 41):
        female = i % 3 != 0
        rows.append(
            {
                "i": i,
                "n": fake.last_name(),
                "p": fake.first_name_female() if female else fake.first_name_male(),
                "c": f"agent{i}@example.org",
                "s": "F" if female else "M",
                "v": "Mme" if female else "M.",
                "g": 2 if female else 1,
                "h": hashlib.sha256(f"graine-{i}".encode()).hexdigest(),
                "t": uuid.uuid4().hex[:16],
                "r": i % 2,
                "m": 1700 + 37.5 * i,
                "d": f"C{i % 3 + 1}",
                "q": 400 + 25 * i,
                "o": f"Bureau {i % 4 + 1}",
                "b": hashlib.sha256(f"autre-{i}".encode()).digest() if i % 4 else None,
            }
        )
    insert = (
        "INSERT INTO comptes_agents VALUES "
        "(:i, :n, :p, :c, :s, :v, :g, :h, :t, :r, :m, :d, :q, :o, :b)"
    )
    ddl = _ACCOUNTS_DDL.replace("BLOB", "BYTEA") if dialect == "postgresql" else _ACCOUNTS_DDL
    url = seed(fresh_url(dialect), ddl, insert, rows)
    connect(mairie, "rh", url)
    res = scan(mairie, "rh")
    stored = _dump_store(mairie)
    with mairie.db.session() as s:
        tokens = set(s.scalars(select(FindingValueRow.entity_type)))
    found = {(f.column, f.entity_type): f for f in res.findings}
    assert set(found) == {
        ("nom", "PERSON"),
        ("prenom", "PERSON"),
        ("courriel", "EMAIL_ADDRESS"),
        ("sexe", "GENDER"),
        ("civilite", "GENDER"),
        ("gender_id", "GENDER"),
        ("mot_de_passe", "CREDENTIAL"),
        ("passwordsalt", "CREDENTIAL"),
        ("pwd_hash", "CREDENTIAL"),  # bytes: read as present or not, like a photo
        ("salaire", "FINANCIAL_SITUATION"),
        ("quotient_familial", "FINANCIAL_SITUATION"),
    }
    assert found[("pwd_hash", "CREDENTIAL")].matched == 30
    new = [f for (c, et), f in found.items() if et in NO_EVIDENCE and c != "pwd_hash"]
    assert all(not f.evidence and f.matched == 40 for f in new)
    assert not tokens & NO_EVIDENCE  # no blind-index token either
    for r in rows:
        assert r["h"] not in stored and r["t"] not in stored
