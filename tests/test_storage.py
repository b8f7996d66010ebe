"""Migrations up and down on the three databases; models and migrations agree."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import rgpd.storage.models  # noqa: F401
from rgpd.errors import StorageError
from rgpd.storage.db import Database
from rgpd.storage.tables import Base

from .conftest import _reset


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def any_url(request: pytest.FixtureRequest, tmp_path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'm.db'}"
    url = request.getfixturevalue(
        "pg_server_url" if request.param == "postgresql" else "mariadb_server_url"
    )
    _reset(url)
    return url


def test_upgrade_downgrade_upgrade(any_url: str) -> None:
    db = Database(any_url)
    db.upgrade()
    heads = db.current_revisions()
    assert heads, "no revision applied"
    tables = set(inspect(db.engine).get_table_names())
    assert {"organisations", "activities", "audit_log", "findings"} <= tables
    with db.engine.connect() as c:
        diff = compare_metadata(MigrationContext.configure(c), Base.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"
    db.downgrade("base")
    assert db.current_revisions() == set()
    left = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
    assert left == set()
    db.upgrade()
    assert db.current_revisions() == heads
    db.dispose()


def test_unreachable_database_is_a_storage_error() -> None:
    db = Database("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(StorageError, match="cannot reach"):
        db.check()


def test_a_driver_error_quoting_a_value_does_not_reach_the_message(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL quotes the value it could not cast: the StorageError must not repeat it."""
    from sqlalchemy.exc import DataError

    db = Database(f"sqlite:///{tmp_path / 'v.db'}")
    value = "Hélène Dupré 1 85 05 78 006 084 36"
    orig = Exception(f'invalid input syntax for type date: "{value}"\nLINE 1: SELECT ...')
    with pytest.raises(StorageError) as info, db.session():
        raise DataError("SELECT :p", {"p": value}, orig)
    message = str(info.value)
    assert "invalid input syntax for type date" in message and "DataError" in message
    for part in ("Hélène", "Dupré", "006 084", "SELECT"):
        assert part not in message, message
    db.dispose()


def test_sqlite_file_is_private_new_or_old(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Issue 13: ``rgpd.db`` holds sealed data and the audit log: 0600, even when an
    older install (or a copy) left it, and its WAL companions, world-readable."""
    import os
    import sqlite3
    import stat

    fresh = tmp_path / "neuf.db"
    Database(f"sqlite:///{fresh}").dispose()
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600

    old = tmp_path / "ancien.db"
    sqlite3.connect(old).close()
    wal = tmp_path / "ancien.db-wal"
    wal.write_bytes(b"")
    for f in (old, wal):
        os.chmod(f, 0o644)
    db = Database(f"sqlite:///{old}")
    db.check()
    db.dispose()
    assert stat.S_IMODE(old.stat().st_mode) == 0o600
    assert not wal.exists() or stat.S_IMODE(wal.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (
            '{"mtime_ns": 1733000000000000000, "errors": 0}',
            {"mtime_ns": 1733000000000000000, "errors": 0},
        ),
        (b'[{"line": 3, "page": null}]', [{"line": 3, "page": None}]),
        ("[NaN, Infinity]", None),  # what json.dumps writes for floats orjson refuses
        ("[123456789012345678901234567890]", [123456789012345678901234567890]),
        ("[-9223372036854775809, 18446744073709551616]", [-(2**63) - 1, 2**64]),
        ('{"v": "12345678901234567890 in a text"}', {"v": "12345678901234567890 in a text"}),
    ],
)
def test_json_columns_read_what_json_wrote(raw: str | bytes, value: object) -> None:
    import json
    import math

    from rgpd.storage.db import json_loads

    got = json_loads(raw)
    if value is None:
        assert math.isnan(got[0]) and got[1] == math.inf
    else:
        assert got == value == json.loads(raw)


def test_a_finding_record_built_from_a_row_is_the_dataclass_own() -> None:
    """``_record`` skips the frozen dataclass's ``__init__``: it must set every field."""
    import dataclasses

    from rgpd.scan.findings import FindingRecord, _record

    row = (
        "/p/a.txt",
        "file",
        "ok",
        "FR_NIR",
        2,
        0.9,
        1,
        ["1 ** ** …"],
        [{"line": 1}],
        7,
        True,
        "/p",
    )
    rec = _record(row)
    names = [f.name for f in dataclasses.fields(FindingRecord)]
    assert list(vars(rec)) == names
    assert rec == FindingRecord(*row[:10], has_sealed_evidence=True, root="/p")
    assert rec.special_category is True
    with pytest.raises(dataclasses.FrozenInstanceError):
        rec.count = 3  # type: ignore[misc]


@pytest.mark.parametrize("enabled", [True, False])
def test_gc_paused_gives_the_collector_back_as_it_was(enabled: bool) -> None:
    import gc

    from rgpd.storage.db import gc_paused

    (gc.enable if enabled else gc.disable)()
    try:
        with gc_paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
        with pytest.raises(RuntimeError), gc_paused():
            raise RuntimeError("a row that could not be read")
        assert gc.isenabled() is enabled
    finally:
        gc.enable()


def test_downgrade_of_the_seen_stamps_keeps_the_later_run(any_url: str) -> None:
    """Migration 0016 moved "met unchanged" stamps to scan_source_seen; going back puts
    the later of the two stamps in scan_sources.last_run_id, as seen_run() read them."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from rgpd.storage.scan_tables import ScanSourceRow, ScanSourceSeenRow, seen_run
    from rgpd.storage.tables import OrganisationRow

    db = Database(any_url)
    db.upgrade()
    with Session(db.engine) as s, s.begin():
        org = OrganisationRow(slug="ville", name="Ville", data={})
        s.add(org)
        s.flush()
        stamps = {"/p/a.txt": (3, 7), "/p/b.txt": (9, 4), "/p/c.txt": (5, None)}
        for uri, (written, met) in stamps.items():
            row = ScanSourceRow(
                org_id=org.id, kind="file", uri=uri, uri_hash=uri, status="present",
                last_run_id=written, meta={},
            )  # fmt: skip
            s.add(row)
            s.flush()
            if met is not None:
                s.add(ScanSourceSeenRow(source_id=row.id, run_id=met))
    with db.engine.connect() as c:
        seen = dict(c.execute(select(ScanSourceRow.uri, seen_run())).all())
    assert seen == {"/p/a.txt": 7, "/p/b.txt": 9, "/p/c.txt": 5}
    db.downgrade("0002")
    with db.engine.connect() as c:
        back = dict(c.exec_driver_sql("SELECT uri, last_run_id FROM scan_sources").all())
        assert "scan_source_seen" not in inspect(c).get_table_names()
    assert back == seen
    db.upgrade()
    db.dispose()
