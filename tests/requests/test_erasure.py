"""Erasure, rectification and restriction on real databases: exact, atomic, re-runnable, refused by law."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import Engine, make_url

from rgpd.errors import Conflict, InvalidInput
from rgpd.registry.model import (
    Activity,
    DataLocation,
    ErasureAction,
    ErasureRule,
    ErasureStrategy,
    LegalBasis,
    Recipient,
)
from rgpd.requests import discovery as disc
from rgpd.requests import erasure, person
from rgpd.requests.model import RequestType
from rgpd.storage.db import normalise_url
from rgpd.storage.tables import AuditRow

from .fulfil_fixtures import (
    ORG,
    Commune,
    checksums,
    commune_fixture,
    english,  # noqa: F401 (autouse)
    family_keys,
    family_request,
    foreign_keys,
    new_request,
    orphans,
)

ERASED, KILLED, RECTIFIED = 30, 40, 50
PERSONS = {ERASED: [31, 32, 33], KILLED: [41, 42, 43], RECTIFIED: [51, 52, 53]}


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "mariadb"])
def commune(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Commune]:
    yield from commune_fixture(request, tmp_path_factory, PERSONS)


def _expected_changes(commune: Commune, n: int) -> set[tuple[str, str]]:
    """What erasing family ``n`` must touch: its row (pseudonymised), children and logs (deleted).

    Its invoices are younger than the 10-year accounting retention: kept as they are.
    """
    keys = family_keys(commune, n)
    return {(t, k) for t in ("familles", "enfants", "journal_portail") for k in keys[t]}


def _erase(commune: Commune, n: int, **kw: Any) -> tuple[str, erasure.ErasurePlan]:
    ref = family_request(commune, n, RequestType.ERASURE)
    disc.discover(commune.ws, ORG, ref)
    return ref, erasure.build_plan(commune.ws, ORG, ref, **kw)


# --------------------------------------------------------------------------- real databases


def test_erasure_changes_exactly_the_persons_rows(commune: Commune, tmp_path: Path) -> None:
    fam = commune.family(ERASED)
    fks, before = foreign_keys(commune), checksums(commune)
    expected = _expected_changes(commune, ERASED)
    ref, plan = _erase(commune, ERASED)
    kept = [r for r in plan.rows if r.table == "factures"]
    assert kept and all(
        r.action == "conserver"
        and r.refusal is not None
        and r.refusal.article == "Art. 17(3)(b) GDPR"
        and "retention period not over" in r.refusal.reason
        for r in kept
    )
    (row,) = [r for r in plan.rows if r.table == "familles"]
    assert row.action == "pseudonymiser"  # its kept invoices still point to it
    assert "numero_famille" not in row.columns and {"courriel", "nom", "iban"} <= set(row.columns)

    out = erasure.execute_erasure(commune.ws, ORG, ref, files=True, letter_dir=tmp_path)
    after = checksums(commune)
    changed = {k for k in before if before[k] != after.get(k)}
    assert changed == expected
    assert set(after) == set(before) - {k for k in expected if k[0] != "familles"}
    assert foreign_keys(commune) == fks and orphans(commune) == 0  # constraints intact
    now = commune.family(ERASED)
    assert all(
        now[c] != fam[c] and str(now[c]).startswith("anon-") for c in ("courriel", "nom", "iban")
    )
    assert now["quotient_familial"] == fam["quotient_familial"]  # not identifying: kept

    (src,) = out.sources
    proof = {t.table: t for t in src.tables}
    kids = sum(1 for t, _k in expected if t == "enfants")
    assert (proof["enfants"].person_before, proof["enfants"].person_after) == (kids, 0)
    assert proof["enfants"].total_before - proof["enfants"].total_after == kids
    assert proof["familles"].total_before == proof["familles"].total_after
    assert (proof["familles"].updated, proof["familles"].person_after) == (1, 1)
    assert {r.name for r in out.recipients} == {"Trésorerie municipale", "Éditeur du portail"}
    assert out.letter is not None and out.letter.exists()

    # files: the person's values are gone, the third parties' are not
    letter = commune.planted[f"letter_{ERASED}"].read_text("utf-8")
    third = commune.family(31)
    assert fam["courriel"] not in letter and fam["telephone"] not in letter
    assert third["courriel"] in letter
    assert out.files_redacted == 2
    # the index and the database no longer answer for the person
    again = disc.discover(commune.ws, ORG, ref)
    assert not [r for r in again.confirmed_rows() if r.table == "familles"]
    assert not again.files

    with commune.ws.db.session() as s:
        entries = (
            s.execute(select(AuditRow).where(AuditRow.action.like("request.erasure%")))
            .scalars()
            .all()
        )
    details = " ".join(e.details for e in entries)
    assert "total_before" in details and fam["courriel"] not in details
    with pytest.raises(Conflict):
        erasure.execute_erasure(commune.ws, ORG, ref)


@contextmanager
def _kill_on_first_delete(commune: Commune) -> Iterator[dict[str, bool]]:
    """Kill the erasure's own connection from another one, just before its first DELETE."""
    state = {"killed": False}
    target = normalise_url(commune.url)

    def hook(conn: Any, cursor: Any, statement: str, *_a: Any) -> None:
        if state["killed"] or not statement.lstrip().upper().startswith("DELETE"):
            return
        if conn.engine.url.database != make_url(target).database:
            return  # another database (the workspace's own)
        state["killed"] = True
        raw = conn.connection.dbapi_connection
        if commune.backend == "sqlite":
            raw.close()  # the uncommitted transaction dies with it
            return
        admin = create_engine(target)
        try:
            with admin.connect() as a:
                if commune.backend == "postgresql":
                    a.execute(text("SELECT pg_terminate_backend(:p)"), {"p": raw.info.backend_pid})
                else:
                    a.execute(text(f"KILL CONNECTION {int(raw.thread_id())}"))
                a.commit()
        finally:
            admin.dispose()

    event.listen(Engine, "before_cursor_execute", hook)
    try:
        yield state
    finally:
        event.remove(Engine, "before_cursor_execute", hook)


def test_connection_killed_mid_erasure_changes_nothing_and_rerun_completes(
    commune: Commune,
) -> None:
    expected = _expected_changes(commune, KILLED)
    ref, plan = _erase(commune, KILLED)
    before = checksums(commune)
    with _kill_on_first_delete(commune) as state, pytest.raises(erasure.ExecutionFailed) as exc:
        erasure.execute_erasure(commune.ws, ORG, ref)
    assert state["killed"]
    assert exc.value.outcome.failed and exc.value.exit_code == 3
    assert checksums(commune) == before  # the UPDATE before the DELETE was rolled back too
    with commune.ws.db.session() as s:
        failed = (
            s.execute(select(AuditRow).where(AuditRow.action == "request.erasure_failed"))
            .scalars()
            .all()
        )
    assert failed and all(ref in e.entity_ref for e in failed[-1:])
    if commune.backend != "sqlite":
        assert '"connection_lost"' in failed[-1].details
    assert erasure.latest_fulfilment(commune.ws, ORG, ref, "erasure").state == "partial"  # type: ignore[union-attr]

    out = erasure.execute_erasure(commune.ws, ORG, ref)
    assert [s.status for s in out.sources] == ["done"]
    after = checksums(commune)
    assert {k for k in before if before[k] != after.get(k)} == expected
    assert orphans(commune) == 0
    # replaying the same statements (a crash after commit, before the proof) changes nothing
    again = erasure.run_source(
        commune.ws, "portail", plan.acting_rows("portail"), erasure.apply_erasure(commune.ws)
    )
    assert again.status == "done" and checksums(commune) == after
    assert all(t.deleted == 0 for t in again.tables)


def test_rows_the_law_keeps_are_refused_with_their_article(commune: Commune) -> None:
    agent = commune.sql("SELECT * FROM agents ORDER BY matricule LIMIT 1")[0]
    ref = new_request(
        commune,
        RequestType.ERASURE,
        ("rh-paie",),
        first=agent["prenom"],
        last=agent["nom"],
        identifiers={"matricule": agent["matricule"]},
    )
    disc.discover(commune.ws, ORG, ref)
    before = checksums(commune)
    plan = erasure.build_plan(commune.ws, ORG, ref)
    assert plan.rows and all(
        r.action == "conserver" and r.refusal and r.refusal.article == "Art. 17(3)(b) GDPR"
        and "legal obligation" in r.refusal.reason
        for r in plan.rows
    )  # fmt: skip
    assert plan.recipients == []  # nothing changes: nobody to inform (Art. 19)
    out = erasure.execute_erasure(commune.ws, ORG, ref)
    assert [s.status for s in out.sources] == ["skipped"]
    assert checksums(commune) == before


def test_rectification_changes_one_cell(commune: Commune, tmp_path: Path) -> None:
    ref = family_request(commune, RECTIFIED, RequestType.RECTIFICATION)
    disc.discover(commune.ws, ORG, ref)
    with pytest.raises(InvalidInput):
        erasure.rectify(commune.ws, ORG, ref, {"familles.inconnue": "x"})
    with pytest.raises(InvalidInput):
        erasure.rectify(commune.ws, ORG, ref, {"familles.quotient_familial": "beaucoup"})
    before = checksums(commune)
    planned, none = erasure.rectify(commune.ws, ORG, ref, {"familles.telephone": "06 11 22 33 44"})
    assert none is None and [(c.table, c.column) for c in planned] == [("familles", "telephone")]
    assert checksums(commune) == before  # a plan changes nothing
    _p, out = erasure.rectify(
        commune.ws, ORG, ref, {"telephone": "06 11 22 33 44"}, execute=True, letter_dir=tmp_path
    )
    assert out is not None and out.sources[0].tables[0].updated == 1
    after = checksums(commune)
    assert {k for k in before if before[k] != after[k]} == {("familles", str(RECTIFIED))}
    assert commune.family(RECTIFIED)["telephone"] == "06 11 22 33 44"
    assert {r.name for r in out.recipients} == {"Trésorerie municipale", "Éditeur du portail"}


# --------------------------------------------------------------------------- restriction


def test_restriction_marks_where_it_can_and_records_elsewhere(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from .fulfil_fixtures import build_commune

    c = build_commune(
        request, "sqlite", tmp_path, persons={7: [8, 9, 10]}, families=60, share_files=2
    )
    eng = c.engine()
    with eng.begin() as conn:
        conn.execute(text("ALTER TABLE familles ADD COLUMN restreint BOOLEAN DEFAULT 0"))
    eng.dispose()
    ref = family_request(c, 7, RequestType.RESTRICTION)
    disc.discover(c.ws, ORG, ref)
    before = checksums(c)
    plan, out = erasure.restrict(c.ws, ORG, ref, execute=True)
    assert [r.table for r in plan.marked] == ["familles"]
    assert out is not None and out.recorded == len(plan.recorded) > 0  # children, invoices, files
    assert c.family(7)["restreint"] in (1, True)
    after = checksums(c)
    assert {k for k in before if before[k] != after[k]} == {("familles", "7")}
    c.ws.db.dispose()


# --------------------------------------------------------------------------- pure planner


TODAY = date(2026, 3, 15)


def _act(basis: LegalBasis | None, **kw: Any) -> Activity:
    return Activity(ref="a", name="A", legal_basis=basis, **kw)


@pytest.mark.parametrize(
    ("activity", "values", "action", "article"),
    [
        (_act(LegalBasis.CONSENT), {}, ErasureAction.DELETE, None),
        (_act(LegalBasis.CONTRACT, erasure=ErasureStrategy(default="pseudonymiser")), {},
         ErasureAction.PSEUDONYMISE, None),
        (_act(LegalBasis.LEGAL_OBLIGATION), {}, ErasureAction.KEEP, "Art. 17(3)(b) GDPR"),
        (_act(LegalBasis.PUBLIC_TASK), {}, ErasureAction.KEEP, "Art. 17(3)(b) GDPR"),
        (_act(LegalBasis.CONSENT, erasure=ErasureStrategy(legal_hold="contentieux TA 2025-1")), {},
         ErasureAction.KEEP, "Art. 17(3)(e) GDPR"),
        (_act(LegalBasis.CONSENT, erasure=ErasureStrategy(rules=[ErasureRule(table="t", archives=True)])),
         {}, ErasureAction.KEEP, "Art. 17(3)(d) GDPR"),
        (_act(None), {}, ErasureAction.KEEP, "Art. 6(1) GDPR"),
        # retention: not over keeps the row, over lets the rule act even for a public task
        (_act(LegalBasis.CONTRACT, erasure=ErasureStrategy(rules=[ErasureRule(
            table="t", retention="5y", retention_column="d")])), {"d": date(2024, 1, 1)},
         ErasureAction.KEEP, "Art. 17(3)(b) GDPR"),
        (_act(LegalBasis.PUBLIC_TASK, erasure=ErasureStrategy(rules=[ErasureRule(
            table="t", retention="1y", retention_column="d")])), {"d": date(2020, 1, 1)},
         ErasureAction.DELETE, None),
        (_act(LegalBasis.PUBLIC_TASK, erasure=ErasureStrategy(rules=[ErasureRule(
            table="t", retention="1y", retention_column="d")])), {"d": None},
         ErasureAction.KEEP, "Art. 17(3)(b) GDPR"),
    ],
)  # fmt: skip
def test_decide_row(
    activity: Activity, values: dict[str, Any], action: ErasureAction, article: str | None
) -> None:
    got, refusal, _cols = erasure.decide_row(activity, "t", values, TODAY)
    assert got is action
    assert (refusal.article if refusal else None) == article


def _shape(table: str, *cols: tuple[str, bool, bool]) -> erasure.TableShape:
    return erasure.TableShape(
        "db",
        table,
        tuple(
            erasure.ColumnShape(n, nullable, True, 40, n == "id", n == "parent_id", False, personal)
            for n, nullable, personal in cols
        ),
    )


def test_plan_keeps_links_and_leaves_unsure_matches_alone() -> None:
    consent = _act(
        LegalBasis.CONSENT,
        recipients=[Recipient(name="Prestataire")],
        erasure=ErasureStrategy(rules=[ErasureRule(table="child", action="conserver", reason="x")]),
        data_locations=[DataLocation(kind="database", connection="db", table="parent")],
    )
    row = lambda i, t, parent=None, status="confirmed": disc.RowMatch(  # noqa: E731
        i, "db", None, t, {"id": i}, ["a"], status, 0.99, ["r"], True, parent
    )
    found = disc.DiscoveryResult(
        "R-1",
        TODAY,  # type: ignore[arg-type]
        ["a"],
        rows=[
            row("p1", "parent"),
            row("c1", "child", "p1"),
            row("p2", "parent"),
            row("g2", "grand", "p2"),
            row("x", "parent", status="to_confirm"),
        ],
    )
    shapes = {
        ("db", "parent"): _shape(
            "parent", ("id", False, False), ("nom", False, True), ("note", True, False)
        ),
        ("db", "child"): _shape("child", ("id", False, False), ("parent_id", False, False)),
        ("db", "grand"): _shape("grand", ("id", False, False), ("parent_id", False, False)),
    }
    plan = erasure.plan_erasure(found, [consent], shapes, {}, TODAY)
    by = {r.match: r for r in plan.rows}
    assert by["c1"].action == "conserver" and by["c1"].refusal is not None
    assert by["p1"].action == "pseudonymiser" and by["p1"].columns == {"nom": "pseudonymiser"}
    assert by["p2"].action == by["g2"].action == "supprimer"
    assert "x" not in by and plan.to_confirm == ["x"]
    assert [r.name for r in plan.recipients] == ["Prestataire"]
    assert erasure.ErasurePlan.from_json(plan.to_json()) == plan


def test_plan_follows_the_databases_links_not_only_discoverys() -> None:
    """Every row referencing a row to delete must go too, found by discovery or not."""
    consent = _act(LegalBasis.CONSENT)
    row = lambda i, t: disc.RowMatch(  # noqa: E731
        i, "db", None, t, {"id": i}, ["a"], "confirmed", 0.99, ["r"], True, None
    )
    found = disc.DiscoveryResult(
        "R-1",
        TODAY,  # type: ignore[arg-type]
        ["a"],
        rows=[row("p1", "parent"), row("c1", "child"), row("p2", "parent"), row("p3", "parent")],
    )
    parent = _shape("parent", ("id", False, False), ("nom", False, True))
    shapes = {("db", "parent"): parent, ("db", "child"): _shape("child", ("id", False, False))}
    links = {
        "p1": {"c1"},  # a child of the plan: both deleted, the child first
        "p2": {"someone-else"},  # a row discovery did not find (another person's)
        "p3": {disc.UNKEYED},  # a row of a table without a primary key
    }
    by = {r.match: r for r in erasure.plan_erasure(found, [consent], shapes, {}, TODAY, links).rows}
    assert by["p1"].action == by["c1"].action == "supprimer"
    for m in ("p2", "p3"):
        assert by[m].action == "pseudonymiser" and by[m].columns == {"nom": "pseudonymiser"}
        assert by[m].note and "still referenced" in by[m].note


def test_pseudonyms_are_stable_and_fit_the_column(commune: Commune) -> None:
    ws = commune.ws
    a = erasure.pseudonym(ws, "db", "familles", {"id": 1}, "nom", 80)
    assert a == erasure.pseudonym(ws, "db", "familles", {"id": 1}, "nom", 80)
    assert a != erasure.pseudonym(ws, "db", "familles", {"id": 2}, "nom", 80)
    assert len(erasure.pseudonym(ws, "db", "familles", {"id": 1}, "code_postal", 5)) == 5


def test_pseudonyms_are_keyed(commune: Commune) -> None:
    """Another install (another key) gives another pseudonym: nobody can recompute one."""
    from dataclasses import replace

    from rgpd.crypto import KeyRing

    ws = commune.ws
    a = erasure.pseudonym(ws, "db", "familles", {"id": 1}, "nom", None)
    assert a.startswith("anon-") and len(a) == len("anon-") + 12
    other = replace(ws, _keys=KeyRing.generate())
    assert erasure.pseudonym(other, "db", "familles", {"id": 1}, "nom", None) != a
    assert (
        erasure.pseudonym(replace(ws, _keys=ws.keys), "db", "familles", {"id": 1}, "nom", None) == a
    )


def test_redaction_of_a_text_file_keeps_everything_else() -> None:
    me = disc.Person(
        (disc.Probe("email", "EMAIL_ADDRESS", "jeanne.martin@example.org"),),
        first_name="Jeanne",
        last_name="Martin",
    )
    text_in = "Jeanne MARTIN <Jeanne.Martin@example.org> ; copie : paul@example.net\n"
    out = person.replace_spans(text_in, person.person_spans(text_in, me))
    assert out == "[effacé] <[effacé]> ; copie : paul@example.net\n"


@pytest.mark.parametrize(
    ("uri", "action"),
    [
        ("/partage/periscolaire/lettre.txt", "redact"),
        ("/partage/periscolaire/lettre.docx", "redact"),
        ("/partage/periscolaire/tableau.xlsx", "redact"),
        ("/partage/periscolaire/tableau.ods", "redact"),
        ("/partage/periscolaire/scan.pdf", "redact"),  # rebuilt as a text PDF (redact.py)
        ("/partage/periscolaire/archive.zip!lettre.docx", "manual"),  # members: by hand
        ("/partage/periscolaire/ancien.doc", "manual"),
    ],
)
def test_files_are_planned_for_a_redacted_copy_in_their_own_format(uri: str, action: str) -> None:
    consent = _act(LegalBasis.CONSENT)
    found = disc.DiscoveryResult(
        "R-1",
        TODAY,  # type: ignore[arg-type]
        ["a"],
        files=[
            disc.FileMatch("f1", uri, "file", ["a"], "confirmed", 0.99, ["r"], ["EMAIL_ADDRESS"])
        ],
    )
    (fa,) = erasure.plan_erasure(found, [consent], {}, {}, TODAY).files
    assert fa.action == action
    assert (fa.note is not None) is (action == "manual")


def test_a_pseudonymised_row_loses_its_password_and_keeps_its_sex_and_income() -> None:
    from sqlalchemy import Column, Integer, MetaData, Numeric, String, Table

    from rgpd.requests.erasure.plan import identifying_columns

    md = MetaData()
    t = Table(
        "comptes",
        md,
        Column("id", Integer, primary_key=True),
        Column("courriel", String(120)),
        Column("mot_de_passe", String(64)),
        Column("sexe", String(1)),
        Column("salaire", Numeric(10, 2)),
        Column("reference", String(20)),
    )
    shape = erasure.table_shape("rh", t, md, personal_names=["reference"])
    personal = {c.name for c in shape.columns if c.personal}
    # a password opens the account: it goes; a sex code or a salary points at no one
    # once the row is pseudonymised (the register may still name them: personal_names)
    assert personal == {"courriel", "mot_de_passe", "reference"}
    scanned = {
        "courriel": {"EMAIL_ADDRESS"},
        "quotient_familial": {"FINANCIAL_SITUATION"},
        "observations": {"GENDER", "PERSON"},
    }
    assert identifying_columns(scanned) == {"courriel", "observations"}
