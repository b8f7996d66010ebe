"""Discovery of one person's data: real databases (SQLite, PostgreSQL, MariaDB) and a scanned share."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, String, select

from rgpd.errors import Conflict, NotFound
from rgpd.registry import service as registry
from rgpd.registry.model import Activity, DataLocation, LegalBasis, Organisation, PersonIdentifier
from rgpd.requests import discovery as disc
from rgpd.requests import service
from rgpd.requests.intake import Submission
from rgpd.requests.model import Channel, RequestType
from rgpd.scan.executor import InlineExecutor
from rgpd.scan.files import scan_files
from rgpd.storage.fulfil_tables import RequestDiscoveryRow

from .fulfil_fixtures import (
    ORG,
    Commune,
    commune_fixture,
    english,  # noqa: F401 (autouse)
    family_keys,
    family_request,
    new_request,
)

PERSON = 17
OTHERS = [18, 19, 20]


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "mariadb"])
def commune(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Commune]:
    yield from commune_fixture(request, tmp_path_factory, {PERSON: OTHERS})


def _confirmed(res: disc.DiscoveryResult) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for r in res.confirmed_rows():
        out.setdefault(r.table, set()).add(str(next(iter(r.key.values()))))
    return out


# --------------------------------------------------------------------------- real databases


def test_family_rows_and_files_found_everywhere(commune: Commune) -> None:
    ref = family_request(commune, PERSON, RequestType.ACCESS)
    res = disc.discover(commune.ws, ORG, ref)

    expected = family_keys(commune, PERSON)  # independent SQL
    got = _confirmed(res)
    for table, keys in expected.items():
        assert got.get(table, set()) == keys, table
    assert set(got) <= set(expected)  # nothing confirmed outside the family's tables
    # the family row is found by each identifier the register names, dependants through FKs
    fam = next(r for r in res.confirmed_rows() if r.table == "familles")
    assert any("courriel" in x for x in fam.reasons) and any("telephone" in x for x in fam.reasons)
    kids = [r for r in res.confirmed_rows() if r.table == "enfants"]
    assert kids and all(r.parent == fam.id and "linked to familles" in r.reasons[-1] for r in kids)
    assert all(r.activities == ["portail-famille"] for r in res.confirmed_rows())
    # files, through the blind index: the letter and the list, confirmed; nothing else
    files = {f.uri for f in res.confirmed_files()}
    assert files == {
        str(commune.planted[f"letter_{PERSON}"]),
        str(commune.planted[f"listing_{PERSON}"]),
    }
    assert all("blind index" in " ".join(f.reasons) for f in res.confirmed_files())
    groups = {(g.activity, g.location) for g in res.groups()}
    assert ("portail-famille", "portail:familles") in groups


def test_nothing_of_another_family_is_confirmed(commune: Commune) -> None:
    ref = family_request(commune, PERSON, RequestType.ACCESS)
    res = disc.discover(commune.ws, ORG, ref)
    mine = family_keys(commune, PERSON)
    for r in res.rows:
        key = str(next(iter(r.key.values())))
        if r.status == disc.MatchStatus.CONFIRMED:
            assert key in mine[r.table]
        else:  # a namesake: only ever "to confirm", with a name reason
            assert r.status == disc.MatchStatus.TO_CONFIRM
            assert any("name only" in x for x in r.reasons)


def test_name_only_is_to_confirm_and_found_by_targeted_rescan(commune: Commune) -> None:
    ref = family_request(commune, PERSON, RequestType.ACCESS)
    note = str(commune.planted[f"note_{PERSON}"])
    plain = disc.discover(commune.ws, ORG, ref)
    assert note not in {f.uri for f in plain.files}
    deep = disc.discover(commune.ws, ORG, ref, rescan=True)
    found = {f.uri: f for f in deep.files}
    assert found[note].status == disc.MatchStatus.TO_CONFIRM
    assert found[note].confidence == disc.CONF_NAME_ONLY
    assert deep.rescanned >= 1
    # the rescan never downgrades or duplicates what the index found
    assert {f.uri for f in deep.confirmed_files()} == {f.uri for f in plain.confirmed_files()}


@pytest.mark.parametrize(
    ("table", "activity", "column", "spaced"),
    [
        ("agents", "rh-paie", "nir", True),  # NIR stored as text, typed with spaces
        ("aides_sociales", "aides-sociales", "nir", False),  # NIR stored as a BIGINT
    ],
)
def test_nir_found_whatever_the_column_type(
    commune: Commune, table: str, activity: str, column: str, spaced: bool
) -> None:
    row = commune.sql(f"SELECT * FROM {table} ORDER BY {column} LIMIT 1")[0]
    nir = str(row[column])
    typed = f"{nir[0]} {nir[1:3]} {nir[3:5]} {nir[5:7]} {nir[7:10]} {nir[10:13]} {nir[13:]}"
    first = row.get("prenom") or row["demandeur_prenom"]
    last = row.get("nom") or row["demandeur_nom"]
    ref = new_request(
        commune,
        RequestType.ACCESS,
        (activity,),
        first=first,
        last=last,
        identifiers={"nir": typed if spaced else nir},
    )
    res = disc.discover(commune.ws, ORG, ref)
    rows = [r for r in res.confirmed_rows() if r.table == table]
    pk = "matricule" if table == "agents" else "id"
    assert [str(r.key[pk]) for r in rows] == [str(row[pk])]
    assert any("nir" in x for x in rows[0].reasons)


def test_name_and_birth_date_without_a_birth_date_column_stays_to_confirm(commune: Commune) -> None:
    row = commune.sql("SELECT * FROM aides_sociales WHERE id = 3")[0]
    ref = new_request(
        commune,
        RequestType.ACCESS,
        ("aides-sociales",),
        first=row["demandeur_prenom"],
        last=row["demandeur_nom"],
        birth=date(1960, 1, 1),
    )
    res = disc.discover(commune.ws, ORG, ref)
    mine = [r for r in res.rows if r.table == "aides_sociales" and r.key["id"] == 3]
    assert mine and mine[0].status == disc.MatchStatus.TO_CONFIRM
    assert not res.confirmed_rows()


def test_decisions_travel_to_dependent_rows(commune: Commune) -> None:
    ref = family_request(commune, PERSON, RequestType.ACCESS)
    res = disc.discover(commune.ws, ORG, ref)
    fam = next(r for r in res.rows if r.table == "familles")
    namesakes = [r.id for r in res.rows if r.status == disc.MatchStatus.TO_CONFIRM]
    after = disc.decide(commune.ws, ORG, ref, reject=[fam.id], confirm=namesakes)
    by_id = after.by_id()
    assert by_id[fam.id].status == disc.MatchStatus.REJECTED
    assert all(
        by_id[r.id].status == disc.MatchStatus.REJECTED for r in after.rows if r.parent == fam.id
    )
    assert all(by_id[i].status == disc.MatchStatus.CONFIRMED for i in namesakes)
    assert disc.load(commune.ws, ORG, ref).by_id()[fam.id].status == disc.MatchStatus.REJECTED
    with pytest.raises(NotFound):
        disc.decide(commune.ws, ORG, ref, confirm=["r0000000000"])


def test_result_is_sealed_at_rest(commune: Commune) -> None:
    ref = family_request(commune, PERSON, RequestType.ACCESS)
    res = disc.discover(commune.ws, ORG, ref)
    email = commune.family(PERSON)["courriel"]
    with commune.ws.db.session() as s:
        row = s.execute(
            select(RequestDiscoveryRow).where(RequestDiscoveryRow.id == res.id)
        ).scalar_one()
        assert row.payload.startswith("v1$")
        assert email not in row.payload and email not in str(row.summary)
        assert row.summary["rows"] == len(res.rows)


def test_unverified_request_is_not_searched(commune: Commune) -> None:
    f = commune.family(PERSON)
    sub = Submission(
        right=RequestType.ACCESS,
        activities=("portail-famille",),
        first_name=f["prenom"],
        last_name=f["nom"],
        email=f["courriel"],
    )
    done = service.submit(commune.ws, ORG, sub, channel=Channel.MAIL, require_verification=False)
    with pytest.raises(Conflict, match=r"12\(6\)"):
        disc.discover(commune.ws, ORG, done.record.reference)


def test_another_organisation_never_sees_these_files(commune: Commune, tmp_path: Path) -> None:
    other = "ccas-voisin"
    registry.add_org(commune.ws, Organisation(slug=other, name="CCAS voisin"))
    folder = tmp_path / "voisin"
    folder.mkdir()
    email = commune.family(PERSON)["courriel"]
    (folder / "dossier.txt").write_text(f"Contact : {email}\n", encoding="utf-8")
    with InlineExecutor() as ex:
        scan_files(commune.ws, other, [str(folder)], depth="quick", executor=ex)
    ref = family_request(commune, PERSON, RequestType.ACCESS)
    res = disc.discover(commune.ws, ORG, ref)
    assert not any(str(folder) in f.uri for f in res.files)
    with pytest.raises(NotFound):
        disc.load(commune.ws, other, ref)


def test_register_errors_are_reported_not_fatal(commune: Commune) -> None:
    registry.save_activity(
        commune.ws,
        ORG,
        Activity(
            ref="ancien-logiciel",
            name="Ancien logiciel",
            legal_basis=LegalBasis.PUBLIC_TASK,
            data_locations=[
                DataLocation(kind="database", connection="portail", table="inscriptions"),
                DataLocation(kind="database", connection="archives", table="dossiers"),
                DataLocation(kind="database", connection="portail", table="familles"),
            ],
            person_identifiers=[PersonIdentifier(key="email", column="familles.mail")],
        ),
    )
    f = commune.family(PERSON)
    ref = new_request(
        commune,
        RequestType.ACCESS,
        ("ancien-logiciel",),
        first=f["prenom"],
        last=f["nom"],
        email=f["courriel"],
    )
    res = disc.discover(commune.ws, ORG, ref)
    notes = " ".join(res.notes)
    assert "inscriptions" in notes and "familles.mail" in notes
    assert any(e.startswith("archives:") for e in res.errors)  # unknown connection
    # the e-mail is still found through the column's name
    assert {r.table for r in res.confirmed_rows()} >= {"familles"}


# --------------------------------------------------------------------------- scans identify columns


def test_columns_identified_by_a_database_scan(tmp_path: Path) -> None:
    """No column named in the register, a name that says nothing: the scan's findings lead."""
    from sqlalchemy import MetaData, Table, create_engine, insert

    from rgpd.config import Connection
    from rgpd.scan.database import scan_database

    from ..conftest import make_workspace

    url = f"sqlite:///{tmp_path / 'crm.db'}"
    md = MetaData()
    t = Table(
        "contacts",
        md,
        Column("id", Integer, primary_key=True),
        Column("champ_libre_2", String(120)),
    )
    eng = create_engine(url)
    md.create_all(eng)
    with eng.begin() as c:
        c.execute(
            insert(t),
            [{"id": i, "champ_libre_2": f"personne{i}@example.net"} for i in range(1, 301)],
        )
    eng.dispose()
    ws = make_workspace(f"sqlite:///{tmp_path / 'rgpd.db'}", tmp_path)
    ws.settings.connections["crm"] = Connection(name="crm", url=url)
    registry.add_org(ws, Organisation(slug=ORG, name="Ville"))
    registry.add_activity(
        ws,
        ORG,
        Activity(
            ref="crm",
            name="Relation usagers",
            legal_basis=LegalBasis.CONSENT,
            data_locations=[DataLocation(kind="database", connection="crm", table="contacts")],
            person_identifiers=[PersonIdentifier(key="email", entity="EMAIL_ADDRESS")],
        ),
    )
    sub = Submission(
        right=RequestType.ACCESS,
        activities=("crm",),
        first_name="Alix",
        last_name="Personne",
        email="Personne42@example.net",
    )
    ref = service.submit(ws, ORG, sub, channel=Channel.MAIL, require_verification=False)
    service.start(ws, ORG, ref.record.reference)
    before = disc.discover(ws, ORG, ref.record.reference)
    assert not before.rows  # the column's name reveals nothing
    scan_database(ws, ORG, "crm", depth="quick", sample_size=300)
    after = disc.discover(ws, ORG, ref.record.reference)
    assert [(r.table, r.key) for r in after.confirmed_rows()] == [("contacts", {"id": 42})]
    assert "(scan)" in after.confirmed_rows()[0].reasons[0]
    ws.db.dispose()


# --------------------------------------------------------------------------- pure: spellings


def _col(kind: str) -> Column[object]:
    return Column("c", Integer if kind == "int" else String(40))


_FORMATS = [
    lambda d: d,
    lambda d: " ".join(d[i : i + 2] for i in range(0, 10, 2)),
    lambda d: ".".join(d[i : i + 2] for i in range(0, 10, 2)),
    lambda d: "+33 " + d[1] + " " + " ".join(d[i : i + 2] for i in range(2, 10, 2)),
    lambda d: "+33" + d[1:],
    lambda d: "0033" + d[1:],
]


@given(
    st.sampled_from(["06", "07", "01", "02", "05", "09"]),
    st.text("0123456789", min_size=8, max_size=8),
    st.sampled_from(range(len(_FORMATS))),
    st.sampled_from(range(len(_FORMATS))),
)
def test_a_phone_typed_one_way_is_found_stored_another(
    prefix: str, rest: str, typed: int, stored: int
) -> None:
    digits = prefix + rest
    probe = disc.Probe("telephone", "PHONE_NUMBER", _FORMATS[typed](digits))
    value = _FORMATS[stored](digits)
    assert value in disc.variants(probe, _col("text"))
    assert disc.same_value(probe, value)
    assert int(digits[1:]) in disc.variants(probe, _col("int"))  # stored as a number


@pytest.mark.parametrize(
    ("entity", "typed", "stored", "kind", "found"),
    [
        ("EMAIL_ADDRESS", "Jeanne.Martin@Example.org", "jeanne.martin@example.org", "text", True),
        ("FR_NIR", "1 85 05 75 123 456 78", "185057512345678", "text", True),
        ("FR_NIR", "185057512345678", 185057512345678, "int", True),
        ("FR_NIR", "1 85 05 75 123 456 78", "1 85 05 75 123 456 79", "text", False),
        (
            "IBAN_CODE",
            "FR76 3000 6000 0112 3456 7890 189",
            "FR7630006000011234567890189",
            "text",
            True,
        ),
        (None, "F-2024-0042", "f-2024-0042", "text", True),
        (None, "42", 42, "int", True),
        ("EMAIL_ADDRESS", "a@example.org", 42, "int", False),  # no e-mail in a number column
    ],
)
def test_spellings_and_types(
    entity: str | None, typed: str, stored: object, kind: str, found: bool
) -> None:
    probe = disc.Probe("k", entity, typed)
    assert (stored in disc.variants(probe, _col(kind))) is found


def test_person_probes_come_from_the_request_and_the_register() -> None:
    acts = [
        Activity(
            ref="rh",
            name="RH",
            person_identifiers=[
                PersonIdentifier(key="matricule", column="agents.matricule"),
                PersonIdentifier(key="secu", entity="FR_NIR", column="agents.nir"),
            ],
        )
    ]
    sub = Submission(
        right=RequestType.ACCESS,
        activities=("rh",),
        first_name="Jeanne",
        last_name="Martin",
        email="j.martin@example.org",
        phone="06 12 34 56 78",
        identifiers={
            "matricule": "A00042",
            "secu": "2 85 05 75 123 456 78",
            "nom_date_naissance": "x",
        },
    )
    p = disc.person_from_submission(sub, acts)
    assert {(x.key, x.entity) for x in p.probes} == {
        ("email", "EMAIL_ADDRESS"),
        ("telephone", "PHONE_NUMBER"),
        ("matricule", None),
        ("secu", "FR_NIR"),
    }
    assert p.name_words == frozenset({"jeanne", "martin"})
    assert "Martin" not in repr(p) and "A00042" not in repr(p)  # values never in a repr
