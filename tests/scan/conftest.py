"""Throw-away databases for the database-scan tests, on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

FreshUrl = Callable[..., str]

#: The session fixture holding each server's per-worker database (tests/conftest.py).
_SERVER = {"postgresql": "pg_server_url", "mariadb": "mariadb_server_url"}


@contextmanager
def _fresh_db(server_url: str, dialect: str) -> Iterator[str]:
    """A database of its own next to the per-worker test database (never shared)."""
    name = f"rgpd_c_{uuid.uuid4().hex[:10]}"
    if dialect == "postgresql":
        admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
    else:
        admin = create_engine(server_url)
        with admin.connect() as c:
            c.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
            c.commit()
    try:
        yield server_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as c:
            if dialect == "postgresql":
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            else:
                c.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
                c.commit()
        admin.dispose()


@pytest.fixture
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FreshUrl]:
    """``fresh_url(dialect, name="fresh") -> url``: an empty database of the test's own.

    SQLite: a new file ``<name>-<random>.db`` under ``tmp_path``. PostgreSQL and
    MariaDB: a new database on the per-worker server (its fixture is asked for only
    then, so a SQLite case never needs a server). Every server database made is
    dropped after the test, passed or failed; one failing drop does not stop the others.
    """
    with ExitStack() as made:

        def make(dialect: str, name: str = "fresh") -> str:
            if dialect == "sqlite":
                path = tmp_path / f"{name}-{uuid.uuid4().hex[:6]}.db"
                sqlite3.connect(path).close()  # the file exists, empty
                return f"sqlite:///{path}"
            server = request.getfixturevalue(_SERVER[dialect])
            return made.enter_context(_fresh_db(server, dialect))

        yield make


def seed(url: str, ddl: str, insert: str, rows: list[dict[str, object]]) -> str:
    """``url``, an empty database, given one table (``ddl``) and its ``rows``."""
    e = create_engine(url)
    with e.begin() as c:
        c.execute(text(ddl))
        c.execute(text(insert), rows)
    e.dispose()
    return url
