"""Erasure on schemas shaped like real ones, on SQLite, PostgreSQL and MariaDB.

A family portal: ``foyers`` (a family may name another as its "responsable":
a self-reference) → ``enfants`` (RESTRICT) → ``inscriptions`` (CASCADE, not in
the register); ``foyers`` → ``factures`` (RESTRICT; their link to the child is
SET NULL) → ``lignes_facture`` (a composite foreign key, CASCADE, not in the
register). Every check reads the database with plain SQL: exactly the person's
rows change, every other row is byte-identical, no foreign key is broken.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    UniqueConstraint,
    create_engine,
    text,
)

from rgpd.config import Connection
from rgpd.registry import service as registry
from rgpd.registry.model import (
    Activity,
    DataLocation,
    LegalBasis,
    Organisation,
    PersonIdentifier,
)
from rgpd.requests import discovery as disc
from rgpd.requests import erasure
from rgpd.requests.model import RequestType
from rgpd.storage.db import normalise_url

from ..clihelp import run_cli
from ..conftest import make_workspace
from .fulfil_fixtures import ORG, Commune, new_request, server_url
from .fulfil_fixtures import english as english  # autouse: reasons asserted in English

CONN = "portail"


def _schema() -> MetaData:
    md = MetaData()
    Table(
        "foyers", md,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("nom", String(60), nullable=False),
        Column("prenom", String(60), nullable=False),
        Column("courriel", String(120)),
        # another family's row (NO ACTION: MariaDB checks it row by row)
        Column("responsable_id", Integer, ForeignKey("foyers.id")),
    )  # fmt: skip
    Table(
        "enfants", md,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("foyer_id", Integer, ForeignKey("foyers.id", ondelete="RESTRICT"), nullable=False),
        Column("prenom", String(60), nullable=False),
    )  # fmt: skip
    Table(
        "factures", md,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("foyer_id", Integer, ForeignKey("foyers.id", ondelete="RESTRICT"), nullable=False),
        Column("enfant_id", Integer, ForeignKey("enfants.id", ondelete="SET NULL")),
        Column("exercice", Integer, nullable=False),
        Column("numero", Integer, nullable=False),
        Column("montant", Numeric(10, 2), nullable=False),
        UniqueConstraint("exercice", "numero", name="uq_facture_numero"),
    )  # fmt: skip
    Table(
        "lignes_facture", md,
        Column("exercice", Integer, primary_key=True, autoincrement=False),
        Column("numero", Integer, primary_key=True, autoincrement=False),
        Column("rang", Integer, primary_key=True, autoincrement=False),
        Column("libelle", String(80), nullable=False),
        ForeignKeyConstraint(
            ["exercice", "numero"], ["factures.exercice", "factures.numero"], ondelete="CASCADE"
        ),
    )  # fmt: skip
    Table(
        "inscriptions", md,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("enfant_id", Integer, ForeignKey("enfants.id", ondelete="CASCADE"), nullable=False),
        Column("activite", String(60), nullable=False),
    )  # fmt: skip
    Table(
        "courriers", md,  # no primary key: its rows cannot be targeted, only counted
        Column("foyer_id", Integer, ForeignKey("foyers.id", ondelete="CASCADE"), nullable=False),
        Column("objet", String(80), nullable=False),
    )  # fmt: skip
    return md


PK = {
    "foyers": ("id",),
    "enfants": ("id",),
    "factures": ("id",),
    "lignes_facture": ("exercice", "numero", "rang"),
    "inscriptions": ("id",),
    "courriers": ("foyer_id", "objet"),
}

# id, nom, prénom, courriel, responsable
FOYERS = [
    (1, "Martin", "Claire", "claire.martin@example.org", 2),  # the person; names another
    (2, "Durand", "Paul", "paul.durand@example.org", None),
    (3, "Petit", "Léa", "lea.petit@example.net", 4),  # names family 4 as responsable
    (4, "Bernard", "Hugo", "hugo.bernard@example.org", None),
    (5, "Moreau", "Inès", "ines.moreau@example.net", None),
    (6, "Roux", "Jeanne", "jeanne.roux@example.org", None),  # the same person twice,
    (7, "Roux", "Jeanne", "jeanne.roux@example.org", 6),  # one row naming the other
]
# child id → family; invoices: two per child of family 1, one per child elsewhere
ENFANTS = {10: 1, 11: 1, 30: 3, 40: 4, 50: 5, 51: 5, 60: 6, 70: 7}


def _rows() -> dict[str, list[dict[str, Any]]]:
    factures, lignes, inscriptions = [], [], []
    n = 0
    for child, fam in ENFANTS.items():
        for _i in range(2 if fam == 1 else 1):
            n += 1
            factures.append(
                {"id": 100 + n, "foyer_id": fam, "enfant_id": child, "exercice": 2025,
                 "numero": n, "montant": f"{40 + n}.50"}
            )  # fmt: skip
            lignes += [
                {"exercice": 2025, "numero": n, "rang": r, "libelle": f"repas {r}"} for r in (1, 2)
            ]
        inscriptions.append({"id": child * 10, "enfant_id": child, "activite": "cantine"})
    return {
        "foyers": [
            {"id": i, "nom": nom, "prenom": p, "courriel": c, "responsable_id": r}
            for i, nom, p, c, r in FOYERS
        ],
        "enfants": [{"id": c, "foyer_id": f, "prenom": f"Enfant{c}"} for c, f in ENFANTS.items()],
        "factures": factures,
        "lignes_facture": lignes,
        "inscriptions": inscriptions,
        "courriers": [{"foyer_id": 2, "objet": "relance"}, {"foyer_id": 3, "objet": "accueil"}],
    }


def _activity() -> Activity:
    return Activity(
        ref="portail-famille",
        name="Portail famille",
        purposes=["Restauration scolaire"],
        legal_basis=LegalBasis.CONTRACT,
        data_locations=[  # inscriptions and lignes_facture are not declared
            DataLocation(kind="database", connection=CONN, table="foyers"),
            DataLocation(kind="database", connection=CONN, table="enfants"),
            DataLocation(kind="database", connection=CONN, table="factures"),
        ],
        person_identifiers=[
            PersonIdentifier(key="email", entity="EMAIL_ADDRESS", column="foyers.courriel")
        ],
    )


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "mariadb"])
def portal(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Commune]:
    backend = str(request.param)
    tmp = tmp_path_factory.mktemp(f"portal-{backend}")
    url = server_url(request, backend, tmp)
    eng = create_engine(normalise_url(url))
    md = _schema()
    with eng.begin() as c:
        md.create_all(c)
        for name, rows in _rows().items():
            if name == "foyers":  # the families first, then who names whom
                c.execute(md.tables[name].insert(), [{**r, "responsable_id": None} for r in rows])
                for r in rows:
                    if r["responsable_id"]:
                        t = md.tables[name]
                        c.execute(t.update().where(t.c.id == r["id"]).values(r))
                continue
            c.execute(md.tables[name].insert(), rows)
    eng.dispose()
    ws = make_workspace(f"sqlite:///{tmp / 'rgpd.db'}", tmp)
    ws.settings.connections[CONN] = Connection(name=CONN, url=url)
    registry.add_org(
        ws,
        Organisation(slug=ORG, name="Ville", dpo_name="DPO", dpo_email="dpo@example.org"),
    )
    registry.add_activity(ws, ORG, _activity())
    yield Commune(ws, url, backend, tmp)
    ws.db.dispose()


def _queries(portal: Commune, queries: list[str]) -> list[list[dict[str, Any]]]:
    """Plain SQL on one connection (a MariaDB connection costs a TLS context: ~0.3 s)."""
    eng = portal.engine()
    try:
        with eng.connect() as c:
            return [[dict(r) for r in c.execute(text(q)).mappings()] for q in queries]
    finally:
        eng.dispose()


def _checksums(portal: Commune) -> dict[tuple[str, str], str]:
    """(table, primary key) → digest of the whole row, read with plain SQL."""
    out: dict[tuple[str, str], str] = {}
    tables = list(PK.items())
    for (t, pk), rows in zip(
        tables, _queries(portal, [f"SELECT * FROM {t}" for t, _p in tables]), strict=True
    ):
        for r in rows:
            row = json.dumps({k: str(v) for k, v in r.items()}, sort_keys=True)
            out[(t, "/".join(str(r[k]) for k in pk))] = hashlib.sha256(row.encode()).hexdigest()
    return out


def _broken_links(portal: Commune) -> int:
    """Rows whose foreign key points nowhere, for every constraint of the schema."""
    queries = []
    for t in _schema().tables.values():
        for fk in t.foreign_key_constraints:
            pairs = [(e.parent.name, e.column.name) for e in fk.elements]
            set_ = " AND ".join(f"c.{a} IS NOT NULL" for a, _b in pairs)
            join = " AND ".join(f"p.{b} = c.{a}" for a, b in pairs)
            queries.append(
                f"SELECT COUNT(*) AS n FROM {t.name} c WHERE {set_} AND NOT EXISTS "
                f"(SELECT 1 FROM {fk.referred_table.name} p WHERE {join})"
            )
    if portal.backend == "sqlite":
        queries.append("SELECT COUNT(*) AS n FROM pragma_foreign_key_check")
    return sum(int(rows[0]["n"]) for rows in _queries(portal, queries))


def _family_rows(portal: Commune, *families: int) -> set[tuple[str, str]]:
    """Every row of these families and their dependants, by independent SQL."""
    ids = ",".join(str(f) for f in families)
    q = {
        "foyers": f"SELECT id AS k FROM foyers WHERE id IN ({ids})",
        "enfants": f"SELECT id AS k FROM enfants WHERE foyer_id IN ({ids})",
        "factures": f"SELECT id AS k FROM factures WHERE foyer_id IN ({ids})",
        "inscriptions": "SELECT i.id AS k FROM inscriptions i JOIN enfants e "
        f"ON e.id = i.enfant_id WHERE e.foyer_id IN ({ids})",
        "lignes_facture": "SELECT "
        + ("l.exercice || '/' || l.numero || '/' || l.rang" if portal.backend != "mariadb"
           else "CONCAT(l.exercice, '/', l.numero, '/', l.rang)")
        + " AS k FROM lignes_facture l JOIN factures f ON f.exercice = l.exercice "
        f"AND f.numero = l.numero WHERE f.foyer_id IN ({ids})",
    }  # fmt: skip
    got = _queries(portal, list(q.values()))
    return {(t, str(r["k"])) for t, rows in zip(q, got, strict=True) for r in rows}


def _erase(portal: Commune, family: int) -> tuple[str, erasure.ErasurePlan]:
    (fam,) = portal.sql("SELECT * FROM foyers WHERE id = :i", i=family)
    ref = new_request(
        portal,
        RequestType.ERASURE,
        ("portail-famille",),
        first=fam["prenom"],
        last=fam["nom"],
        email=fam["courriel"],
    )
    disc.discover(portal.ws, ORG, ref)
    return ref, erasure.build_plan(portal.ws, ORG, ref)


def test_a_family_with_children_and_invoices_is_erased_children_first(
    portal: Commune, tmp_path: Path
) -> None:
    """Two children, four invoices, their lines and enrolments: all go, nothing else moves."""
    before = _checksums(portal)
    mine = _family_rows(portal, 1)
    assert {t for t, _k in mine} == set(PK) - {"courriers"}
    assert (
        sum(t == "factures" for t, _k in mine) == 4 and sum(t == "enfants" for t, _k in mine) == 2
    )
    ref, plan = _erase(portal, 1)
    assert {(r.table, r.action) for r in plan.rows} == {
        (t, "supprimer") for t in PK if t != "courriers"
    }  # other families' letters (a table without a key) do not stop family 1's erasure
    undeclared = {r.table for r in plan.rows if r.match in _undeclared(portal, ref)}
    assert undeclared == {"inscriptions", "lignes_facture"}  # found through the foreign keys

    out = erasure.execute_erasure(portal.ws, ORG, ref)
    assert [s.status for s in out.sources] == ["done"], out.sources
    after = _checksums(portal)
    assert set(before) - set(after) == mine  # exactly the person's rows are gone
    assert {k: v for k, v in before.items() if k not in mine} == after  # the rest: byte-identical
    assert _broken_links(portal) == 0
    # family 2, which family 1 named as its responsable, is untouched (checked above) and whole
    assert portal.sql("SELECT COUNT(*) AS n FROM foyers WHERE id = 2")[0]["n"] == 1


def _undeclared(portal: Commune, ref: str) -> set[str]:
    return {r.id for r in disc.load(portal.ws, ORG, ref).rows if not r.declared}


def test_a_family_another_names_as_responsable_is_pseudonymised_not_deleted(
    portal: Commune,
) -> None:
    """Family 3 names family 4: deleting 4 would fail (or change 3); 4 is pseudonymised."""
    before = _checksums(portal)
    mine = _family_rows(portal, 4)
    ref, plan = _erase(portal, 4)
    found = disc.load(portal.ws, ORG, ref)
    assert not [r for r in found.rows if r.table == "foyers" and r.key == {"id": 3}]
    by_table = {r.table: r for r in plan.rows}
    assert by_table["foyers"].action == "pseudonymiser"
    assert by_table["foyers"].note and "still referenced" in by_table["foyers"].note
    assert {r.action for r in plan.rows if r.table != "foyers"} == {"supprimer"}

    erasure.execute_erasure(portal.ws, ORG, ref)
    after = _checksums(portal)
    changed = {k for k in before if before[k] != after.get(k)}
    assert changed == mine  # family 4's row changed in place, its dependants are gone
    assert set(before) - set(after) == mine - {("foyers", "4")}
    assert _family_rows(portal, 3) <= set(after)  # the family that names 4 is intact
    (row,) = portal.sql("SELECT * FROM foyers WHERE id = 4")
    assert str(row["nom"]).startswith("anon-") and "bernard" not in str(row["courriel"]).lower()
    assert _broken_links(portal) == 0


def test_two_rows_of_the_person_one_naming_the_other_are_both_erased(portal: Commune) -> None:
    """Rows 6 and 7 are the same person; 7 references 6: 7 goes first (MariaDB checks per row)."""
    before = _checksums(portal)
    mine = _family_rows(portal, 6, 7)
    ref, plan = _erase(portal, 6)
    assert {r.key["id"] for r in plan.rows if r.table == "foyers"} == {6, 7}
    assert {r.action for r in plan.rows} == {"supprimer"}
    out = erasure.execute_erasure(portal.ws, ORG, ref)
    assert [s.status for s in out.sources] == ["done"], out.sources
    after = _checksums(portal)
    assert set(before) - set(after) == mine
    assert {k: v for k, v in before.items() if k not in mine} == after
    assert _broken_links(portal) == 0


def test_delete_order_is_children_first_and_transitive() -> None:
    order = erasure.delete_order(_schema())
    pos = {n: i for i, n in enumerate(order)}
    for child, parent in [
        ("lignes_facture", "factures"),
        ("factures", "enfants"),
        ("factures", "foyers"),
        ("inscriptions", "enfants"),
        ("enfants", "foyers"),
    ]:
        assert pos[child] < pos[parent], order


def test_delete_order_survives_a_cycle_between_tables() -> None:
    md = MetaData()
    Table("a", md, Column("id", Integer, primary_key=True), Column("b_id", ForeignKey("b.id")))
    Table("b", md, Column("id", Integer, primary_key=True), Column("a_id", ForeignKey("a.id")))
    Table("c", md, Column("id", Integer, primary_key=True), Column("a_id", ForeignKey("a.id")))
    order = erasure.delete_order(md)
    assert sorted(order) == ["a", "b", "c"] and order.index("c") < order.index("a")


def test_cli_plans_then_executes_an_erasure(portal: Commune) -> None:
    """``requests fulfil``: the command asks the library which procedure, then renders."""
    ws = portal.ws
    toml = Path(ws.settings.base_dir) / "rgpd.toml"
    toml.write_text(
        f'[rgpd]\ndatabase_url = "{ws.settings.database_url}"\n'
        f'[connections.{CONN}]\nurl = "{portal.url}"\n',
        encoding="utf-8",
    )
    before = _checksums(portal)
    mine = _family_rows(portal, 5)
    (fam,) = portal.sql("SELECT * FROM foyers WHERE id = 5")
    ref = new_request(
        portal, RequestType.ERASURE, ("portail-famille",),
        first=fam["prenom"], last=fam["nom"], email=fam["courriel"],
    )  # fmt: skip
    base = ["--config", str(toml), "--org", ORG, "--actor", "dpo", "--lang", "en", "requests"]
    assert run_cli([*base, "discover", ref]).code == 0
    r = run_cli([*base, "fulfil", ref, "--json"])
    assert r.code == 0, r.all
    assert json.loads(r.out)["summary"]["rows"] == {"supprimer": len(mine)}
    assert _checksums(portal) == before  # a plan changes nothing
    r = run_cli([*base, "fulfil", ref, "--execute", "--json"])
    assert r.code == 0, r.all
    (src,) = json.loads(r.out)["sources"]
    assert src["status"] == "done"
    assert sum(t["deleted"] for t in src["tables"]) == len(mine)
    after = _checksums(portal)
    assert set(before) - set(after) == mine
    assert {k: v for k, v in before.items() if k not in mine} == after
    # a right answered by letter only: bad input for fulfil (exit 2)
    cada = new_request(portal, RequestType.CADA, (), first="Zoé", last="Marchal")
    r = run_cli([*base, "fulfil", cada])
    assert r.code == 2 and "letter only" in r.all
