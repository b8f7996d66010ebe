"""Engine, sessions and migrations: the only place that knows which database we talk to.

SQLite (embedded default) and PostgreSQL (multi-user installs) are both first class;
MariaDB works too. Timestamps are stored as naive UTC everywhere so that the three
dialects agree byte for byte (the audit chain hashes them).

Concurrency on SQLite (issue 15): every transaction opened by :meth:`Database.session`
starts with ``BEGIN IMMEDIATE``, so it holds the single write lock from its first
statement. A transaction that read first and wrote later would otherwise try to
upgrade its lock halfway, and SQLite answers "busy" at once (no waiting) when another
writer committed in between — or, worse, both read the same audit head and write the
same sequence number. Sessions opened with ``readonly=True`` keep SQLite's deferred
``BEGIN``: with WAL they read a snapshot while a writer works. The database file is
created 0600, and an existing one tightened to 0600 (it holds sealed personal data
and the audit log).
"""

from __future__ import annotations

import gc
import json
import os
import random
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import orjson
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from rgpd.crypto import seal_log
from rgpd.errors import StorageBusy, StorageError, safe_text
from rgpd.i18n import _

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

#: How long a SQLite writer waits for the write lock before giving up (ms).
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: Engine option marking a read-only unit of work (deferred BEGIN on SQLite).
READONLY_OPTION = "rgpd_readonly"
#: ``Session.info`` key: the tokens the unit of work sealed (:func:`rgpd.crypto.seal_log`).
SEALED_KIDS = "rgpd_sealed_kids"

T = TypeVar("T")


def utcnow() -> datetime:
    """Naive UTC, second precision being enough for humans and stable across dialects."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def normalise_url(url: str) -> str:
    """Accept the URLs people type (postgresql://, mysql://) and pick our drivers."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("mysql://") or url.startswith("mariadb://"):
        return "mysql+pymysql://" + url.split("://", 1)[1]
    return url


def _is_memory(url: str) -> bool:
    return url in ("sqlite://", "sqlite:///:memory:")


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL (None for an in-memory database)."""
    if not url.startswith("sqlite") or _is_memory(url):
        return None
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    return Path(name) if name and name != ":memory:" else None


def _create_private(path: Path) -> None:
    """Create the SQLite file 0600 before SQLite does (it would honour the umask: 0644).

    A file that exists already (an install older than issue 13, or copied with a
    loose mode) is tightened to 0600, with its ``-wal`` and ``-shm`` companions;
    SQLite gives new companions the database file's own mode.
    """
    if path.exists():
        for f in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            try:
                if f.exists() and f.stat().st_mode & 0o077:
                    os.chmod(f, 0o600)
            except OSError:
                pass  # not ours to change (another user's file): SQLite decides access
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def json_loads(raw: str | bytes) -> Any:
    """A JSON column's value, decoded by orjson (4x faster than ``json``; listing a
    10,000-file share's findings after a rescan decodes 28,000 of them).

    What orjson refuses and ``json.dumps`` may have written (``NaN``, ``Infinity``) is
    read by ``json``, and so is a text holding an integer past 64 bits, which orjson
    would read as a float.
    """
    long_int = _LONG_INT_B if isinstance(raw, bytes) else _LONG_INT
    if long_int.search(raw) is None:  # type: ignore[arg-type]
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return json.loads(raw)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cycle collector held off while many rows become objects.

    Loading rows allocates tens of thousands of containers, each allocation counting
    towards the next collection, and every collection walks all of them again: listing
    a 10,000-file share's 14,000 findings spent 40 % of its time there. Rows hold no
    cycles; the collector runs again (as it was) on the way out, exceptions included.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


_LONG_INT = re.compile(r"\d{20}|-\d{19}")
_LONG_INT_B = re.compile(rb"\d{20}|-\d{19}")


#: Every engine :func:`make_engine` made that is still referenced somewhere.
_engines: weakref.WeakSet[Engine] = weakref.WeakSet()


def dispose_engines() -> None:
    """Close the pooled connections of every engine still alive.

    For a process about to end without the interpreter's teardown (``rgpd.cli._leave``),
    which would otherwise have closed them: SQLite checkpoints its WAL into the database
    file and removes it when the last connection closes.
    """
    for engine in list(_engines):
        engine.dispose()


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    kwargs: dict = {"future": True}
    if url.startswith("sqlite"):
        if _is_memory(url):
            kwargs["poolclass"] = StaticPool
        else:
            file = sqlite_file(url)
            if file is not None:
                _create_private(file)
            # one connection per thread of the intake server, a few more for the CLI
            kwargs["pool_size"] = 20
            kwargs["max_overflow"] = 20
        kwargs["connect_args"] = {
            "check_same_thread": False,
            "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
        }
    else:
        kwargs["pool_pre_ping"] = True
    if url.startswith("mysql"):
        kwargs.setdefault("connect_args", {})["charset"] = "utf8mb4"
    kwargs["json_deserializer"] = json_loads
    engine = create_engine(url, **kwargs)
    _engines.add(engine)
    if url.startswith("sqlite"):
        memory = _is_memory(url)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _rec):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if not memory:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cur.close()
            if not memory:
                # SQLAlchemy emits BEGIN itself (below), not the driver's lazy BEGIN
                dbapi_conn.isolation_level = None

        if not memory:
            # One in-memory database is one shared connection (StaticPool): nothing to
            # serialise, and the driver's own transaction handling is kept there.
            _install_immediate_begin(engine)

    return engine


_held = threading.local()


def _install_immediate_begin(engine: Engine) -> None:
    """SQLAlchemy's pysqlite recipe ("Serializable isolation / Savepoints / Transactional
    DDL"), with BEGIN IMMEDIATE for every unit of work that may write."""

    @event.listens_for(engine, "begin")
    def _begin(conn):  # type: ignore[no-untyped-def]
        depth = getattr(_held, "depth", 0)
        if conn.get_execution_options().get(READONLY_OPTION) or depth:
            # a read-only unit of work, or a unit nested inside this thread's write
            # transaction (waiting for our own lock would only time out)
            conn.exec_driver_sql("BEGIN")
            conn.info["rgpd_immediate"] = False
            return
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        conn.info["rgpd_immediate"] = True
        _held.depth = depth + 1

    def _end(conn):  # type: ignore[no-untyped-def]
        if conn.info.pop("rgpd_immediate", False):
            _held.depth = max(0, getattr(_held, "depth", 1) - 1)

    event.listen(engine, "commit", _end)
    event.listen(engine, "rollback", _end)


class Database:
    """One database: an engine, a session factory, and migration helpers."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url)
        self._factory = sessionmaker(self.engine, expire_on_commit=False, future=True)
        self._read_factory = sessionmaker(
            self.engine.execution_options(**{READONLY_OPTION: True}),
            expire_on_commit=False,
            future=True,
        )
        self._write_hooks: list[Callable[[Session], object]] = []
        # a function over the hook list, not a bound method: the session factory must not
        # hold the Database (a cycle would keep a dropped Database's pool open until the
        # cycle collector ran)
        event.listen(self._factory, "before_commit", _run_write_hooks(self._write_hooks))

    def listen_writes(self, hook: Callable[[Session], object]) -> None:
        """Run ``hook(session)`` inside every write unit of work, just before it commits.

        The hook runs after the session's last flush and may still write: the key
        guard (:func:`rgpd.keys.reseal_retired`) reseals there what a concurrent key
        retirement would otherwise leave under a retired key.
        """
        self._write_hooks.append(hook)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self, *, readonly: bool = False) -> Iterator[Session]:
        """A unit of work: committed on success, rolled back on any error.

        On SQLite a unit of work holds the write lock from its first statement;
        ``readonly=True`` (nothing will be written) reads a snapshot instead and
        never waits for a writer. A lock that cannot be had in time raises
        :class:`StorageBusy` (nothing was written, the caller may retry).
        """
        s = (self._read_factory if readonly else self._factory)()
        try:
            with seal_log() as kids:
                s.info[SEALED_KIDS] = kids
                yield s
            s.commit()
        except SQLAlchemyError as exc:
            s.rollback()
            cls = StorageBusy if is_busy(exc) else StorageError
            raise cls(
                _("database error: {error}", error=f"{exc.__class__.__name__}: {_short(exc)}")
            ) from exc
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def check(self) -> None:
        try:
            with self.engine.connect() as c:
                c.execute(text("SELECT 1"))
        except OperationalError as exc:
            raise StorageError(
                _(
                    "cannot reach the database ({url}): {error}",
                    url=self.safe_url(),
                    error=_short(exc),
                )
            ) from exc

    def safe_url(self) -> str:
        from sqlalchemy.engine import make_url

        return make_url(self.url).render_as_string(hide_password=True)

    # -- migrations ---------------------------------------------------------
    def _alembic_config(self):  # type: ignore[no-untyped-def]
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        return cfg

    def upgrade(self, revision: str = "heads") -> None:
        if revision == "heads" and self._at_heads():
            return  # nothing to run: every command opens the store, alembic costs 0.3 s
        from alembic import command

        cfg = self._alembic_config()
        try:
            with self.engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
        except OperationalError as exc:
            raise StorageError(
                _("cannot migrate {url}: {error}", url=self.safe_url(), error=_short(exc))
            ) from exc

    def _at_heads(self) -> bool:
        """Whether the database already stands at every migration head.

        Read from the ``alembic_version`` table and the revision files themselves, without
        importing alembic; any doubt (no table, a file not understood) answers False, and
        alembic then decides as before.
        """
        heads = script_heads()
        if not heads:
            return False
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(text("SELECT version_num FROM alembic_version")).all()
        except SQLAlchemyError:
            return False
        return {r[0] for r in rows} == heads

    def downgrade(self, revision: str = "base") -> None:
        from alembic import command

        cfg = self._alembic_config()
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, revision)

    def current_revisions(self) -> set[str]:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return set(MigrationContext.configure(conn).get_current_heads())

    def is_initialised(self) -> bool:
        return "organisations" in inspect(self.engine).get_table_names()

    def dispose(self) -> None:
        self.engine.dispose()


def _run_write_hooks(hooks: list[Callable[[Session], object]]) -> Callable[[Session], None]:
    def before_commit(s: Session) -> None:
        if not hooks or not s.info.get(SEALED_KIDS):
            return
        s.flush()  # before_commit fires before the commit's own flush
        for hook in hooks:
            hook(s)

    return before_commit


@cache
def script_heads() -> frozenset[str]:
    """The head revisions of ``migrations/versions`` (revisions no other one follows),
    from each file's ``revision`` / ``down_revision`` literals; empty when in doubt."""
    import ast

    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        found: dict[str, object] = {}
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in tree.body:
                target = node.targets[0] if isinstance(node, ast.Assign) else None
                if isinstance(node, ast.AnnAssign):
                    target = node.target
                value = getattr(node, "value", None)
                if (
                    isinstance(target, ast.Name)
                    and value is not None
                    and target.id in ("revision", "down_revision")
                ):
                    found[target.id] = ast.literal_eval(value)
        except (OSError, SyntaxError, ValueError, IndexError):
            return frozenset()
        rev, down = found.get("revision"), found.get("down_revision", "?")
        if not isinstance(rev, str):
            return frozenset()
        revisions.add(rev)
        if isinstance(down, str):
            parents.add(down)
        elif isinstance(down, tuple | list) and all(isinstance(d, str) for d in down):
            parents.update(down)  # type: ignore[arg-type]
        elif down is not None:
            return frozenset()
    return frozenset(revisions - parents)


#: Driver error codes meaning "another transaction was in the way; try again".
_PG_BUSY = {"40001", "40P01", "55P03"}  # serialisation failure, deadlock, lock not available
_MYSQL_BUSY = {1205, 1213}  # lock wait timeout, deadlock


def is_busy(exc: BaseException) -> bool:
    """Whether a database error is a lock conflict worth retrying (not a real failure)."""
    orig = getattr(exc, "orig", exc)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if code in _PG_BUSY:
        return True
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int) and args[0] in _MYSQL_BUSY:
        return True
    text_ = str(orig).lower()
    return "database is locked" in text_ or "database is busy" in text_


def retry_busy(fn: Callable[[], T], *, attempts: int = 4, pause: float = 0.05) -> T:
    """Run one unit of work again when it lost a lock race, a bounded number of times.

    ``fn`` must be a whole transaction (it opens and commits its own session), so a
    retry starts from a clean state. The last :class:`StorageBusy` propagates.
    """
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except StorageBusy:
            if attempt == attempts:
                raise
            time.sleep(pause * attempt + random.uniform(0, pause))
    raise AssertionError("unreachable")  # pragma: no cover


def _short(exc: Exception) -> str:
    # The driver's first line may quote a value that failed (a name, a NIR): redacted.
    msg = str(getattr(exc, "orig", exc) or exc).strip().splitlines()
    return (safe_text(msg[0]) if msg else "") or exc.__class__.__name__
