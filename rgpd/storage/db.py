"""Engine, sessions and migrations: the only place that knows which database we talk to.

SQLite (embedded default) and PostgreSQL (multi-user installs) are both first class;
MariaDB works too. Timestamps are stored as naive UTC everywhere so that the three
dialects agree byte for byte (the audit chain hashes them).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from rgpd.errors import StorageError, safe_text
from rgpd.i18n import _

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


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


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    kwargs: dict = {"future": True}
    if url.startswith("sqlite"):
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
    if url.startswith("mysql"):
        kwargs.setdefault("connect_args", {})["charset"] = "utf8mb4"
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _rec):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if url not in ("sqlite://", "sqlite:///:memory:"):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

    return engine


class Database:
    """One database: an engine, a session factory, and migration helpers."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url)
        self._factory = sessionmaker(self.engine, expire_on_commit=False, future=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed on success, rolled back on any error."""
        s = self._factory()
        try:
            yield s
            s.commit()
        except SQLAlchemyError as exc:
            s.rollback()
            raise StorageError(
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


def _short(exc: Exception) -> str:
    # The driver's first line may quote a value that failed (a name, a NIR): redacted.
    msg = str(getattr(exc, "orig", exc) or exc).strip().splitlines()
    return (safe_text(msg[0]) if msg else "") or exc.__class__.__name__
