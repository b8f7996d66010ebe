"""Shared fixtures: databases (in-memory SQLite, real PostgreSQL and MariaDB), workspaces.

The server databases are created per xdist worker and dropped at the end. When
``RGPD_REQUIRE_SERVICES=1`` (``make test``, CI) an unreachable server fails the
tests instead of skipping them: database tests must run in CI.
"""

from __future__ import annotations

import os

# Tests assert on English messages unless they set a language themselves; French (the
# product default) is covered by tests/test_i18n.py and the French-specific tests.
os.environ.setdefault("RGPD_LANG", "en")
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from rgpd.config import Settings
from rgpd.crypto import KeyRing
from rgpd.workspace import Workspace, open_workspace

PG_ADMIN = os.environ.get("RGPD_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MARIA_ADMIN = os.environ.get("RGPD_TEST_MARIADB", "mysql+pymysql://root@127.0.0.1:3306/test")
REQUIRE = os.environ.get("RGPD_REQUIRE_SERVICES") == "1"


def missing(msg: str) -> None:
    """A test's external need is absent: skip on a developer's machine, FAIL under `make test`.

    `make test` (and so CI) sets RGPD_REQUIRE_SERVICES=1 and installs every need itself
    (.ci/system-deps.sh, .ci/services.sh, npm ci), so a skip there would hide a broken set-up.
    """
    if REQUIRE:
        pytest.fail(msg)
    pytest.skip(msg)


def _unavailable(what: str, exc: Exception) -> None:
    missing(f"{what} unreachable: {exc.__class__.__name__}: {str(exc)[:200]}")


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "gw0")


def _pg_admin_url() -> str:
    # trust auth: connect as the OS user "postgres" or "root", whichever exists
    return PG_ADMIN


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    name = f"rgpd_t_{_worker()}_{uuid.uuid4().hex[:6]}"
    try:
        admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        _unavailable("PostgreSQL", exc)
    yield _pg_admin_url().rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def mariadb_server_url() -> Iterator[str]:
    name = f"rgpd_t_{_worker()}_{uuid.uuid4().hex[:6]}"
    try:
        admin = create_engine(MARIA_ADMIN)
        with admin.connect() as c:
            c.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
            c.commit()
    except Exception as exc:
        _unavailable("MariaDB", exc)
    yield MARIA_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        c.commit()
    admin.dispose()


def _reset(url: str) -> None:
    """Empty a server database between tests (drop every table)."""
    from sqlalchemy import MetaData

    eng = create_engine(url)
    md = MetaData()
    md.reflect(eng)
    with eng.begin() as c:
        if eng.dialect.name == "mysql":
            c.execute(text("SET FOREIGN_KEY_CHECKS=0"))
        md.drop_all(c)
        c.execute(text("DROP TABLE IF EXISTS alembic_version"))
        if eng.dialect.name == "mysql":
            c.execute(text("SET FOREIGN_KEY_CHECKS=1"))
    eng.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The two supported stores: the embedded default and the multi-user one."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'rgpd.db'}"
    else:
        url = request.getfixturevalue("pg_server_url")
        _reset(url)
        yield url


@pytest.fixture
def keyring() -> KeyRing:
    return KeyRing.generate()


def make_workspace(url: str, base: Path, keys: KeyRing | None = None) -> Workspace:
    keys = keys or KeyRing.generate()
    s = Settings(database_url=url, base_dir=base)
    keys.save(s.path(s.key_file))
    return open_workspace(s, actor="test", keys=keys)


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    """A workspace on an in-memory SQLite database (fast unit tests)."""
    w = make_workspace("sqlite://", tmp_path)
    yield w
    w.db.dispose()


@pytest.fixture
def ws_any(db_url: str, tmp_path: Path) -> Iterator[Workspace]:
    """A workspace on SQLite and on PostgreSQL (storage tests run on both)."""
    w = make_workspace(db_url, tmp_path)
    yield w
    w.db.dispose()


@pytest.fixture
def french() -> Iterator[None]:
    """Run one test in the product's default language (the suite runs in English)."""
    from rgpd.i18n import use_language

    with use_language("fr"):
        yield


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def shared_ws(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Workspace]:
    """A workspace on a database several threads really share (no in-memory SQLite)."""
    from tests.requests.intake_fixtures import setup_org

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'rgpd.db'}"
    else:
        url = request.getfixturevalue(
            f"{'pg' if request.param == 'postgresql' else 'mariadb'}_server_url"
        )
        _reset(url)
    w = make_workspace(url, tmp_path)
    setup_org(w)
    yield w
    w.db.dispose()
