"""Discovery in databases: which columns of a named connection hold which personal data.

The flow, and why it is shaped this way:

* **Gentle and read-only.** One connection for the whole scan (``NullPool``),
  opened read-only (PostgreSQL ``default_transaction_read_only``, MySQL/MariaDB
  ``SET SESSION TRANSACTION READ ONLY``, SQLite ``mode=ro`` + ``PRAGMA
  query_only``) with a statement timeout, so a scan can neither write nor hold a
  production database for long. Give the scanner a read-only account anyway.
* **Cheap on big tables.** Row counts come from the catalog statistics
  (``pg_class.reltuples``, ``information_schema.TABLES.TABLE_ROWS``,
  ``sqlite_stat1``), never a ``COUNT(*)`` of a large table (at most a count
  bounded by ``LIMIT``). Samples use the database's own sampling where it
  exists (PostgreSQL ``TABLESAMPLE SYSTEM``, which reads only the sampled pages)
  and otherwise a few short index range reads at random points of an integer
  primary key (MySQL/MariaDB, SQLite), or a plain ``LIMIT``.
* **Two signals per column** (:mod:`rgpd.scan.columns`): its name and the share
  of its sampled values the detectors recognise, all values of a table going
  through the detectors in one batch.
* **Incremental.** A table whose structure and approximate size (a logarithmic
  bucket of its estimated row count) have not changed since the last run is
  skipped unless ``full``.
* **Failures stay local.** An unreachable database, a missing password, a
  permission error on one table or a dropped connection becomes a scan error
  for that source (``scan_errors``); the other tables, and the other sources of a
  profile, go on.
* **No secrets, no raw values.** Source URIs are ``dialect://host:port/db#schema.table.column``
  without user, password or query; findings keep masked samples and HMAC
  blind-index tokens only (special-category words identify nobody and get no token).
"""

from __future__ import annotations

import fnmatch
import logging
import math
import os
import random
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    case,
    cast,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    literal,
    select,
    tablesample,
    text,
    update,
)
from sqlalchemy import column as sa_column
from sqlalchemy import table as sa_table
from sqlalchemy import types as sqltypes
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from rgpd.config import Connection as ConnectionConfig
from rgpd.errors import ConfigError, InvalidInput, RgpdError, SourceError, safe_text
from rgpd.i18n import _, _n
from rgpd.scan import runs
from rgpd.scan.columns import (
    BINARY_ENTITIES,
    ColumnKind,
    ColumnVerdict,
    Hit,
    StorageVerdict,
    after_indefinite_article,
    judge_binary_column,
    judge_column,
    judge_password_storage,
    label_like,
    name_signal,
    names_a_password,
    names_a_secret,
    table_about_things,
    table_people_cues,
)
from rgpd.scan.findings import Severity, severity_of, uri_hash
from rgpd.scan.liveness import recover_stale_runs
from rgpd.storage.db import normalise_url, utcnow
from rgpd.storage.scan_tables import (
    FindingRow,
    FindingValueRow,
    ScanErrorRow,
    ScanSourceRow,
)
from rgpd.taxonomy import Entity
from rgpd.workspace import Workspace

log = logging.getLogger("rgpd.scan.database")

DEPTHS = ("quick", "standard", "deep")
DEFAULT_SAMPLE = 1000
#: Statement timeout applied to every query of the scan (seconds).
STATEMENT_TIMEOUT = 30
CONNECT_TIMEOUT = 10
#: Masked samples kept per (column, entity type).
MAX_EVIDENCE = 3
#: A value longer than this is cut before detection (free-text columns).
MAX_VALUE_CHARS = 2000
#: Above ``SMALL_FACTOR`` × sample size, a table is sampled rather than read from its start.
SMALL_FACTOR = 2
#: Range reads at random points of the primary key (MySQL/MariaDB, SQLite).
PK_WINDOWS = 10
#: Cap of the bounded count used when the catalog has no estimate.
COUNT_CAP_FACTOR = 20
#: ``TABLESAMPLE SYSTEM`` draws whole pages: a sample from a dozen pages is a dozen
#: clusters, and a column filled in 40 % of the table can show 13 % or 70 %. The
#: percentage is raised so that at least this many pages are read (a few MB).
MIN_SAMPLED_PAGES = 400
_SYSTEM_SCHEMAS = frozenset(
    {"information_schema", "pg_catalog", "pg_toast", "mysql", "performance_schema", "sys"}
)


# --------------------------------------------------------------------- values


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    type: str
    kind: ColumnKind


@dataclass(frozen=True)
class TableInfo:
    schema: str | None
    name: str
    columns: tuple[ColumnInfo, ...]
    primary_key: tuple[str, ...]
    rows_estimate: int | None = None
    is_view: bool = False

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name

    def structure(self) -> str:
        cols = ",".join(f"{c.name}:{c.type}" for c in self.columns)
        return f"{cols}|pk={','.join(self.primary_key)}"

    def fingerprint(self) -> str:
        """Structure + a logarithmic size bucket: a few new rows do not force a rescan."""
        from rgpd.crypto import sha256_hex

        return sha256_hex(f"{self.structure()}|size={size_bucket(self.rows_estimate)}")


def size_bucket(rows: int | None) -> int:
    """Bucket of ×1.5 steps: 0 for empty, -1 unknown; 1 000 and 1 400 share a bucket."""
    if rows is None:
        return -1
    if rows <= 0:
        return 0
    return 1 + int(math.log(rows) / math.log(1.5))


@dataclass(frozen=True)
class ColumnFinding:
    """One entity type found in one column: what ``findings`` stores for it."""

    uri: str
    schema: str | None
    table: str
    column: str
    entity_type: str
    ratio: float
    confidence: float
    matched: int
    sampled: int
    basis: str
    special_category: bool
    evidence: tuple[str, ...]
    #: how a password column keeps its values (Art. 32(1)(a)); None for other findings
    password_storage: StorageVerdict | None = None

    @property
    def severity(self) -> Severity:
        """``rgpd.scan.findings.severity_of``: a password kept in clear is high."""
        storage = self.password_storage.storage.value if self.password_storage else None
        return severity_of(self.entity_type, self.special_category, storage)

    def public(self) -> dict[str, Any]:
        return {
            "source": self.uri,
            "schema": self.schema,
            "table": self.table,
            "column": self.column,
            "entity_type": self.entity_type,
            "ratio": self.ratio,
            "confidence": self.confidence,
            "matched": self.matched,
            "sampled": self.sampled,
            "basis": self.basis,
            "special_category": self.special_category,
            "evidence": list(self.evidence),
            "password_storage": self.password_storage.public() if self.password_storage else None,
        }


@dataclass
class TableReport:
    uri: str
    schema: str | None
    table: str
    status: str  # scanned | unchanged | error
    rows_estimate: int | None = None
    sampled_rows: int = 0
    method: str = ""
    findings: list[ColumnFinding] = field(default_factory=list)


@dataclass(frozen=True)
class DbError:
    source: str
    reason: str
    message: str


@dataclass
class DbScanResult:
    run_id: int
    connection: str
    uri: str  # dialect://host:port/db, no credentials
    status: str  # completed | failed
    tables: list[TableReport] = field(default_factory=list)
    errors: list[DbError] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def findings(self) -> list[ColumnFinding]:
        return [f for t in self.tables for f in t.findings]


def _new_counts() -> dict[str, int]:
    return {
        "tables": 0,  # tables met by the introspection
        "scanned": 0,  # tables sampled this run
        "unchanged": 0,  # tables skipped: same structure and size bucket
        "columns": 0,  # columns judged
        "rows_sampled": 0,
        "findings": 0,  # (column, entity type) rows written
        "errors": 0,
        "gone": 0,
    }


# --------------------------------------------------------------------- URLs and kinds


def safe_base_uri(url: str | URL) -> str:
    """``dialect://host:port/db`` (SQLite: ``sqlite:///abs/path``): nothing secret in it."""
    u = make_url(normalise_url(str(url))) if isinstance(url, str) else url
    backend = u.get_backend_name()
    if backend == "sqlite":
        db = u.database or ""
        if db.startswith("file:"):
            db = db[5:].split("?", 1)[0]
        if db and db != ":memory:":
            db = os.path.abspath(db)
        return f"sqlite:///{db}" if db else "sqlite://"
    host = u.host or "localhost"
    port = f":{u.port}" if u.port else ""
    return f"{backend}://{host}{port}/{u.database or ''}"


def anchor_sqlite(url: str, base_dir: Path) -> str:
    """A relative SQLite path in rgpd.toml is relative to the config's folder, not the cwd."""
    if not url.startswith("sqlite:///") or url.startswith("sqlite:////"):
        return url
    rel = url.removeprefix("sqlite:///")
    if not rel or rel.startswith((":memory:", "file:")):
        return url
    return "sqlite:///" + str(base_dir / rel)


def column_uri(base: str, schema: str | None, table: str, column: str | None = None) -> str:
    qual = f"{schema}.{table}" if schema else table
    return f"{base}#{qual}" + (f".{column}" if column else "")


def kind_of(sqltype: Any) -> ColumnKind:
    """Map a reflected SQL type to what the scanner does with it."""
    if isinstance(sqltype, sqltypes.Boolean):
        return ColumnKind.BOOLEAN
    if isinstance(sqltype, sqltypes.DateTime):
        return ColumnKind.DATETIME
    if isinstance(sqltype, sqltypes.Date):
        return ColumnKind.DATE
    if isinstance(sqltype, sqltypes.Integer):
        return ColumnKind.INTEGER
    if isinstance(sqltype, sqltypes.Numeric):
        scale = getattr(sqltype, "scale", None)
        return ColumnKind.INTEGER if scale == 0 else ColumnKind.DECIMAL
    if isinstance(sqltype, sqltypes.LargeBinary | sqltypes.BINARY | sqltypes.VARBINARY):
        return ColumnKind.BINARY
    if isinstance(sqltype, sqltypes.String | sqltypes.Enum | sqltypes.JSON):
        return ColumnKind.TEXT
    if isinstance(sqltype, sqltypes.Time | sqltypes.Interval | sqltypes.Float):
        return ColumnKind.OTHER
    name = type(sqltype).__name__.upper()
    if any(k in name for k in ("CHAR", "TEXT", "CLOB", "UUID", "INET", "CIDR", "JSON", "XML")):
        return ColumnKind.TEXT
    if "BLOB" in name or "BINARY" in name or "BYTEA" in name:
        return ColumnKind.BINARY
    return ColumnKind.OTHER


def _sampled(col: ColumnInfo) -> bool:
    """Columns worth reading: text, long integers (a NIR), dates named like a birth date,
    decimals named like an income, and binary columns named like a picture of people or
    a password hash (read as present/absent only)."""
    if col.kind in (ColumnKind.TEXT, ColumnKind.INTEGER, ColumnKind.OTHER):
        return True
    if col.kind == ColumnKind.BINARY:
        sig = name_signal(col.name)
        return sig is not None and sig.entity_type in BINARY_ENTITIES
    if col.kind == ColumnKind.DECIMAL:
        sig = name_signal(col.name)
        return sig is not None and sig.entity_type == Entity.FINANCIAL_SITUATION
    if col.kind in (ColumnKind.DATE, ColumnKind.DATETIME):
        sig = name_signal(col.name)
        return sig is not None and sig.entity_type == Entity.DATE_OF_BIRTH
    return False


def _as_text(value: Any, kind: ColumnKind) -> str | None:
    if value is None or isinstance(value, bytes | bytearray | memoryview | bool):
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if kind == ColumnKind.DATE else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal) and value == value.to_integral_value():
        value = int(value)
    s = str(value).strip()
    return s[:MAX_VALUE_CHARS] if s else None


def _wants_detection(value: str, kind: ColumnKind) -> bool:
    if kind in (ColumnKind.DATE, ColumnKind.DATETIME, ColumnKind.DECIMAL):
        return False
    if kind == ColumnKind.INTEGER:
        return len(value.lstrip("-")) >= 9  # NIR (15), phone without its 0 (9), card...
    return len(value) >= 2


def _glob_match(name: str, qualified: str, patterns: Sequence[str]) -> bool:
    low_n, low_q = name.lower(), qualified.lower()
    return any(
        fnmatch.fnmatchcase(low_n, p.lower()) or fnmatch.fnmatchcase(low_q, p.lower())
        for p in patterns
    )


# --------------------------------------------------------------------- connection


def _scrub(message: str, secrets: Sequence[str]) -> str:
    for s in secrets:
        if s:
            message = message.replace(s, "***")
    return re.sub(r"://([^:/@\s]+):[^@\s]+@", r"://\1:***@", message)


def db_message(exc: BaseException, secrets: Sequence[str]) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    # Driver messages quote the value that failed (a name in a bad date, a NIR in a
    # bad integer): only a redacted first line is stored as the scan error.
    first = safe_text(_scrub(lines[0], secrets)) if lines else ""
    return first or type(orig).__name__


_AUTH_CUES = (
    "password authentication failed",
    "no password supplied",
    "using password",
    "(1698,",
    "login failed for user",
    "ora-01017",
    "authentication failed",
)


def db_failure_reason(exc: BaseException) -> str:
    """A short reason for a database error: ``auth_failed``, ``permission_denied``,
    ``timeout``, ``connection_lost`` or ``error``."""
    msg = str(getattr(exc, "orig", exc)).lower()
    if any(k in msg for k in _AUTH_CUES) or ("role" in msg and "does not exist" in msg):
        return "auth_failed"
    if any(
        k in msg
        for k in (
            "permission denied",
            "access denied",
            "command denied",
            "not authorized",
            "insufficient privilege",
        )
    ):
        return "permission_denied"
    if any(
        k in msg
        for k in (
            "statement timeout",
            "canceling statement",
            "max_statement_time",
            "interrupted",
            "maximum statement execution time",
        )
    ):
        return "timeout"
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return "connection_lost"
    if any(
        k in msg
        for k in (
            "server closed the connection",
            "lost connection",
            "gone away",
            "terminating connection",
        )
    ):
        return "connection_lost"
    return "error"


def make_scan_engine(url: str, timeout: int = STATEMENT_TIMEOUT) -> Engine:
    """An engine that opens one read-only connection with a statement timeout."""
    u = make_url(normalise_url(url))
    backend = u.get_backend_name()
    kwargs: dict[str, Any] = {"poolclass": NullPool}
    if backend == "sqlite":
        import sqlite3

        db = u.database or ""
        if not db or db == ":memory:":
            raise InvalidInput("url", _("an in-memory SQLite database cannot be scanned"))
        path = os.path.abspath(db[5:].split("?", 1)[0] if db.startswith("file:") else db)

        class _ReadOnly(sqlite3.Connection):
            """Carries the statement deadline its progress handler checks."""

            deadline: list[float]

        def creator() -> sqlite3.Connection:
            from urllib.parse import quote

            conn = sqlite3.connect(
                f"file:{quote(path)}?mode=ro",
                uri=True,
                timeout=timeout,
                check_same_thread=False,
                factory=_ReadOnly,
            )
            conn.execute("PRAGMA query_only = ON")
            conn.deadline = [time.monotonic() + timeout]

            def _progress() -> int:
                # a non-zero return interrupts the statement: SQLite's statement timeout
                return 1 if time.monotonic() > conn.deadline[0] else 0

            conn.set_progress_handler(_progress, 20000)
            return conn

        engine = create_engine("sqlite://", creator=creator, **kwargs)

        @event.listens_for(engine, "before_cursor_execute")
        def _reset_deadline(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
            raw = conn.connection.dbapi_connection
            dl = getattr(raw, "deadline", None)
            if dl is not None:
                dl[0] = time.monotonic() + timeout

        return engine
    if backend == "postgresql":
        kwargs["connect_args"] = {
            "connect_timeout": CONNECT_TIMEOUT,
            "application_name": "rgpd-scan",
            "options": f"-c default_transaction_read_only=on -c statement_timeout={timeout * 1000}"
            " -c lock_timeout=5000 -c idle_in_transaction_session_timeout=600000",
        }
    elif backend in ("mysql", "mariadb"):
        kwargs["connect_args"] = {
            "connect_timeout": CONNECT_TIMEOUT,
            "read_timeout": timeout + 30,
            "charset": "utf8mb4",
        }
    try:
        engine = create_engine(u, **kwargs)
    except (NoSuchModuleError, ImportError) as exc:
        raise ConfigError(
            _(
                "no driver for {dialect}: install the optional extra (see README, databases)",
                dialect=backend,
            )
        ) from exc

    if backend in ("mysql", "mariadb"):

        @event.listens_for(engine, "connect")
        def _mysql_session(dbapi_conn, _rec):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("SET SESSION TRANSACTION READ ONLY")
            cur.execute("SELECT VERSION()")
            version = str(cur.fetchone()[0])
            try:
                if "mariadb" in version.lower():
                    cur.execute(f"SET SESSION max_statement_time = {int(timeout)}")
                else:
                    cur.execute(f"SET SESSION MAX_EXECUTION_TIME = {int(timeout) * 1000}")
            except Exception:  # an old server without either knob: read_timeout still applies
                log.debug("statement timeout not supported", extra={"event": "no_timeout"})
            cur.close()

    elif backend == "oracle":

        @event.listens_for(engine, "begin")
        def _oracle_ro(conn):  # type: ignore[no-untyped-def]
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")

    return engine


# --------------------------------------------------------------------- introspection


def _schemas(conn: Connection, backend: str, schema: str | None) -> list[str | None]:
    if schema:
        return [schema]
    if backend == "postgresql":
        names = inspect(conn).get_schema_names()
        return [s for s in names if s not in _SYSTEM_SCHEMAS and not s.startswith("pg_")]
    # MySQL/MariaDB and SQLite: the connection's own database, named by the source URI
    # already (``mysql://host/db#table.column``); other databases are not wandered into.
    if backend in ("mysql", "mariadb", "sqlite"):
        return [None]
    return [inspect(conn).default_schema_name]


def introspect(conn: Connection, backend: str, schemas: Sequence[str | None]) -> list[TableInfo]:
    """Tables and views of ``schemas`` (views flagged: scanned only when asked, or when
    the role can read nothing else)."""
    insp = inspect(conn)
    out: list[TableInfo] = []
    for sch in schemas:
        names = [(n, False) for n in insp.get_table_names(schema=sch)]
        names += [(n, True) for n in insp.get_view_names(schema=sch)]
        if backend == "postgresql":
            names += [(n, True) for n in insp.get_materialized_view_names(schema=sch)]
        for name, is_view in sorted(names):
            if backend == "sqlite" and name.startswith("sqlite_"):
                continue
            cols = tuple(
                ColumnInfo(str(c["name"]), _type_name(c["type"]), kind_of(c["type"]))
                for c in insp.get_columns(name, schema=sch)
            )
            pk: tuple[str, ...] = ()
            if not is_view:
                pk = tuple(
                    insp.get_pk_constraint(name, schema=sch).get("constrained_columns") or ()
                )
            out.append(TableInfo(sch, name, cols, pk, is_view=is_view))
    return out


def _type_name(t: Any) -> str:
    try:
        return str(t.compile()).lower()
    except Exception:
        return type(t).__name__.lower()


def estimate_rows(conn: Connection, backend: str, t: TableInfo, cap: int) -> int | None:
    """Catalog statistics first; a count bounded by ``cap`` when the catalog has none."""
    est: int | None = None
    if backend == "postgresql":
        row = conn.execute(
            text(
                "SELECT c.reltuples, c.relpages FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = :s AND c.relname = :t"
            ),
            {"s": t.schema or "public", "t": t.name},
        ).first()
        if row is not None and row[0] is not None and float(row[0]) >= 0:
            est = int(row[0])
            if est == 0 and row[1]:
                est = None  # never analysed since filled
        if est is None or t.is_view:
            est = _pg_planner_estimate(conn, backend, t) or est
    elif backend in ("mysql", "mariadb"):
        row = conn.execute(
            text(
                "SELECT TABLE_ROWS FROM information_schema.TABLES "
                "WHERE TABLE_SCHEMA = COALESCE(:s, DATABASE()) AND TABLE_NAME = :t"
            ),
            {"s": t.schema, "t": t.name},
        ).first()
        if row is not None and row[0] is not None and int(row[0]) > 0:
            est = int(row[0])
    elif backend == "sqlite":
        est = _sqlite_estimate(conn, t)
    if est is None or est < cap:
        # Small or unknown: a count that reads at most ``cap`` rows is cheap and exact.
        tbl = sa_table(t.name, schema=_schema_arg(backend, t.schema))
        inner = select(literal(1)).select_from(tbl).limit(cap + 1).subquery()
        n = int(conn.execute(select(func.count()).select_from(inner)).scalar_one())
        est = n if n <= cap else max(est or 0, n)
    return est


def _pg_planner_estimate(conn: Connection, backend: str, t: TableInfo) -> int | None:
    """The planner's row estimate: for a table never analysed it is derived from the
    table's size on disk, for a view from its definition. Cheap (nothing is run)."""
    tbl = sa_table(t.name, schema=_schema_arg(backend, t.schema))
    q = select(literal(1)).select_from(tbl)
    sql = str(q.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    plan: Any = conn.execute(text("EXPLAIN (FORMAT JSON) " + sql)).scalar()
    if isinstance(plan, str):
        import json

        plan = json.loads(plan)
    try:
        return int(plan[0]["Plan"]["Plan Rows"])
    except (TypeError, KeyError, IndexError, ValueError):
        return None


def _sqlite_estimate(conn: Connection, t: TableInfo) -> int | None:
    try:
        rows = (
            conn.execute(text("SELECT stat FROM sqlite_stat1 WHERE tbl = :t"), {"t": t.name})
            .scalars()
            .all()
        )
    except SQLAlchemyError:
        rows = []
    nums = [int(str(r).split()[0]) for r in rows if r and str(r).split()[0].isdigit()]
    if nums:
        return max(nums)
    try:  # rowid tables: the largest rowid is read from the b-tree, not counted
        quoted = t.name.replace('"', '""')
        v = conn.execute(text(f'SELECT max(rowid) FROM "{quoted}"')).scalar()
        return int(v) if v is not None else 0
    except SQLAlchemyError:
        return None


def _schema_arg(backend: str, schema: str | None) -> str | None:
    return None if backend == "sqlite" and schema in (None, "main") else schema


# --------------------------------------------------------------------- sampling


def _cell(backend: str, tbl: Any, col: ColumnInfo) -> Any:
    """The expression read for ``col``: text cut to ``MAX_VALUE_CHARS`` *in SQL*.

    A 50 MB value never leaves the server whole (the cut happens before the row is
    sent); a binary picture column is read as 1/0 (``IS NOT NULL``), never its bytes.
    """
    c = tbl.c[col.name]
    if col.kind == ColumnKind.BINARY:
        return case((c.is_(None), 0), else_=1)
    if col.kind not in (ColumnKind.TEXT, ColumnKind.OTHER):
        return c
    n = MAX_VALUE_CHARS
    if backend == "postgresql":
        return func.substr(cast(c, sqltypes.Text), 1, n)
    if backend in ("mysql", "mariadb"):
        return func.left(c if col.kind == ColumnKind.TEXT else cast(c, sqltypes.CHAR), n)
    if backend == "mssql":
        return func.left(cast(c, sqltypes.UnicodeText), n)
    if backend == "oracle":
        return func.dbms_lob.substr(c, n, 1) if "lob" in col.type else func.substr(c, 1, n)
    return func.substr(c, 1, n)


def sample_rows(
    conn: Connection,
    backend: str,
    t: TableInfo,
    cols: Sequence[ColumnInfo],
    n: int,
    rows_estimate: int | None,
    rng: random.Random | None = None,
) -> tuple[list[tuple[Any, ...]], str]:
    """About ``n`` rows of ``cols`` from the whole table, a different part each run.

    Returns (rows, method). Never a ``COUNT(*)`` and never a sort of the table:

    * small tables (≤ ``SMALL_FACTOR`` × n rows) are read whole (bounded by a ``LIMIT``)
      and ``n`` rows are drawn from them;
    * PostgreSQL / SQL Server: ``TABLESAMPLE SYSTEM`` sized for about 3 × n rows (and at
      least ``MIN_SAMPLED_PAGES`` pages on PostgreSQL) with a
      random ``REPEATABLE`` seed (reads only the sampled pages, spread over the whole
      table), the n kept drawn at random from those (a top-n heap, not a sort); too few
      pages → ``BERNOULLI`` (PostgreSQL). Oracle: ``SAMPLE BLOCK … SEED``;
    * MySQL/MariaDB, SQLite: ``PK_WINDOWS`` short index range reads starting at random
      points between MIN and MAX of an integer key (no ``RAND()``, no scan);
      without such a key, a ``RAND() < p`` filter (one pass, no sort).

    ``rng`` is for tests; by default every run draws fresh seeds, so successive runs
    look at different rows and a table's tail is not invisible for ever.
    """
    rng = rng or random.Random(random.SystemRandom().getrandbits(64))
    tbl = sa_table(
        t.name, *(sa_column(c.name) for c in cols), schema=_schema_arg(backend, t.schema)
    )
    cells = [_cell(backend, tbl, c) for c in cols]
    big = rows_estimate is None or rows_estimate > SMALL_FACTOR * n
    if not big:
        q = select(*cells).select_from(tbl).limit(SMALL_FACTOR * n + 1)
        rows = [tuple(r) for r in conn.execute(q)]
        if len(rows) > n:
            rows = rng.sample(rows, n)
        return rows, "whole"
    est = max(1, rows_estimate or 1)
    pct = min(100.0, max(0.0001, 100.0 * 3 * n / est))
    seed = rng.randint(1, 2**31 - 1)
    if t.is_view:
        return _view_sample(conn, backend, tbl, cells, n, pct, seed), f"view_filter({pct:.4g}%)"
    if backend == "postgresql":
        pages = _pg_pages(conn, t)
        if pages:
            pct = min(100.0, max(pct, 100.0 * MIN_SAMPLED_PAGES / pages))
        for method in ("system", "bernoulli"):
            sampled = tablesample(tbl, getattr(func, method)(pct), name="s", seed=literal(seed))
            q = (
                select(*(_cell(backend, sampled, c) for c in cols))
                .select_from(sampled)
                .order_by(func.random())
                .limit(n)
            )
            rows = [tuple(r) for r in conn.execute(q)]
            if len(rows) >= n // 2 or pct >= 100.0:
                break
        return rows, f"tablesample_{method}({pct:.4g}%)"
    if backend == "mssql":
        return _mssql_sample(conn, tbl, cells, n, pct, seed), f"tablesample_system({pct:.4g}%)"
    if backend == "oracle":
        return _oracle_sample(conn, tbl, cells, n, pct, seed), f"sample_block({pct:.4g}%)"
    key = _integer_key(backend, t)
    if key is not None:
        return _pk_windows(conn, tbl, key, cells, n, rng), f"pk_windows({key})"
    if backend in ("mysql", "mariadb"):
        q = select(*cells).select_from(tbl).where(func.rand(seed) < pct / 100.0).limit(n)
        return [tuple(r) for r in conn.execute(q)], f"rand_filter({pct:.4g}%)"
    q = select(*cells).select_from(tbl).limit(n)
    return [tuple(r) for r in conn.execute(q)], "limit"


def _view_sample(
    conn: Connection,
    backend: str,
    tbl: Any,
    cells: Sequence[Any],
    n: int,
    pct: float,
    seed: int,
) -> list[tuple[Any, ...]]:
    """A view has no pages or key to sample: a random filter in one pass, no sort.

    The view is evaluated until ``n`` rows pass the filter (the statement timeout
    bounds a view that is slow to compute).
    """
    p = pct / 100.0
    if backend in ("mysql", "mariadb"):
        keep = func.rand(seed) < p
    elif backend == "sqlite":
        keep = func.abs(func.random()) % 1_000_000 < int(p * 1_000_000)
    elif backend == "postgresql":
        keep = func.random() < p
    else:
        return [tuple(r) for r in conn.execute(select(*cells).select_from(tbl).limit(n))]
    return [tuple(r) for r in conn.execute(select(*cells).select_from(tbl).where(keep).limit(n))]


def _compiled(conn: Connection, exprs: Sequence[Any]) -> str:
    return ", ".join(
        str(e.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})) for e in exprs
    )


def _from(conn: Connection, tbl: Any) -> str:
    prep = conn.dialect.identifier_preparer
    return prep.format_table(tbl)


def _mssql_sample(
    conn: Connection, tbl: Any, cells: Sequence[Any], n: int, pct: float, seed: int
) -> list[tuple[Any, ...]]:
    """SQL Server: page sample with a seed, n rows drawn by ``NEWID()`` (not tested live)."""
    sql = (
        f"SELECT TOP ({int(n)}) {_compiled(conn, cells)} FROM {_from(conn, tbl)} "
        f"TABLESAMPLE SYSTEM ({pct:.6f} PERCENT) REPEATABLE ({int(seed)}) ORDER BY NEWID()"
    )
    return [tuple(r) for r in conn.execute(text(sql))]


def _oracle_sample(
    conn: Connection, tbl: Any, cells: Sequence[Any], n: int, pct: float, seed: int
) -> list[tuple[Any, ...]]:
    """Oracle: block sample with a seed, n rows drawn at random (not tested live)."""
    pct = min(pct, 99.999999)  # SAMPLE takes [0.000001, 100)
    sql = (
        f"SELECT {_compiled(conn, cells)} FROM {_from(conn, tbl)} "
        f"SAMPLE BLOCK ({pct:.6f}) SEED ({int(seed) % 4294967295}) "
        f"ORDER BY DBMS_RANDOM.VALUE FETCH FIRST {int(n)} ROWS ONLY"
    )
    return [tuple(r) for r in conn.execute(text(sql))]


def _integer_key(backend: str, t: TableInfo) -> str | None:
    """The integer key whose index gives cheap range reads: a one-column primary key,
    or the first column of a composite one; SQLite's ``rowid`` otherwise."""
    if t.primary_key:
        pk = next((c for c in t.columns if c.name == t.primary_key[0]), None)
        if pk is not None and pk.kind == ColumnKind.INTEGER:
            return pk.name
    if backend == "sqlite" and not t.is_view:
        return "rowid"
    return None


def _pg_pages(conn: Connection, t: TableInfo) -> int | None:
    """Pages of the table now (its file size, no scan), or ``None``.

    Not ``pg_class.relpages``: it stays 0 until the first ANALYZE, and a table filled
    since then would be sampled from a dozen pages."""
    row = conn.execute(
        text(
            "SELECT pg_relation_size(c.oid) / current_setting('block_size')::int "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :s AND c.relname = :t"
        ),
        {"s": t.schema or "public", "t": t.name},
    ).first()
    return int(row[0]) if row is not None and row[0] else None


def _pk_windows(
    conn: Connection,
    tbl: Any,
    key: str,
    cells: Sequence[Any],
    n: int,
    rng: random.Random,
) -> list[tuple[Any, ...]]:
    """``PK_WINDOWS`` index range reads from random points between MIN(pk) and MAX(pk).

    MIN and MAX are read from the index ends; each window is ``WHERE pk >= start ORDER
    BY pk LIMIT per``, an index range read. The windows are spread over the whole key
    range (one per slice, at a random point in it), so the tail of the table is read too.
    """
    k = sa_column(key) if key == "rowid" else tbl.c[key]
    lo, hi = conn.execute(select(func.min(k), func.max(k)).select_from(tbl)).one()
    if lo is None or hi is None:
        return []
    lo, hi = int(lo), int(hi)
    per = max(1, -(-n // PK_WINDOWS))
    span = (hi - lo + 1) / PK_WINDOWS
    starts = [lo + int(i * span + rng.random() * span) for i in range(PK_WINDOWS)]
    rows: list[tuple[Any, ...]] = []
    for start in starts:
        q = select(*cells).select_from(tbl).where(k >= start).order_by(k).limit(per)
        rows.extend(tuple(r) for r in conn.execute(q))
        if len(rows) >= n:
            break
    return rows[:n]


# --------------------------------------------------------------------- judging a table

_DETECTORS: dict[str, Any] = {}


def _detector(depth: str) -> Any:
    det = _DETECTORS.get(depth)
    if det is None:
        from rgpd.scan.detect import Detector

        det = _DETECTORS[depth] = Detector(depth=depth)
    return det


@dataclass
class _Judged:
    column: ColumnInfo
    verdicts: list[ColumnVerdict]
    evidence: dict[str, list[str]]
    tokens: dict[str, dict[str, int]]
    storage: StorageVerdict | None = None  # a password column's (columns.judge_password_storage)


def _not_a_name(text: str, d: Any) -> bool:
    """A detector's PERSON span that reads as a label or a common noun, not as someone."""
    if label_like(d.value):
        return True
    return text[d.start : d.end] == d.value and after_indefinite_article(text, d.start)


def judge_table(
    t: TableInfo,
    cols: Sequence[ColumnInfo],
    rows: Sequence[tuple[Any, ...]],
    detect_many: Callable[[list[str]], Sequence[Sequence[Any]]],
    blind_index: Callable[[str, str], str],
    today: date,
) -> list[_Judged]:
    """Verdicts, masked evidence and blind-index tokens for each sampled column.

    All values of the table go to the detectors in one batch (duplicates once).
    """
    from rgpd.masking import NO_EVIDENCE, mask, normalise

    per_col: list[list[str]] = []
    for j, c in enumerate(cols):
        if c.kind == ColumnKind.BINARY:
            per_col.append([])  # read as 1/0 present, judged by name below
            continue
        vals = [v for v in (_as_text(r[j], c.kind) for r in rows) if v is not None]
        per_col.append(vals)
    # A password is looked at for its shape only (columns.looks_like_secret): never handed
    # to a detector, never masked into evidence, even when it equals a value elsewhere.
    secret = [names_a_secret(c.name) for c in cols]
    unique: dict[str, int] = {}
    for c, vals, hidden in zip(cols, per_col, secret, strict=True):
        if hidden:
            continue
        for v in vals:
            if _wants_detection(v, c.kind) and v not in unique:
                unique[v] = len(unique)
    texts = list(unique)
    # A PERSON guess on a label ("IT Manager", "Protected AAC audio file") is dropped:
    # the words the detector took for a name are a title or a media type; so is one
    # after an indefinite article ("a Lonely Baker", "an Old Red Barn").
    found = [
        [d for d in ds if not (d.entity_type == Entity.PERSON and _not_a_name(text, d))]
        for text, ds in zip(texts, detect_many(texts) if texts else [], strict=True)
    ]
    cues = table_people_cues([c.name for c in t.columns])
    things = table_about_things(t.name, [c.name for c in t.columns])
    out: list[_Judged] = []
    for j, (c, vals) in enumerate(zip(cols, per_col, strict=True)):
        if c.kind == ColumnKind.BINARY:
            present = sum(1 for r in rows if r[j])
            bverdicts = judge_binary_column(
                c.name, present, len(rows), table_cues=cues, about_things=things
            )
            out.append(_Judged(c, bverdicts, {v.entity_type: [] for v in bverdicts}, {}))
            continue
        dets = [() if secret[j] else found[unique[v]] if v in unique else () for v in vals]
        hits = [[Hit(d.entity_type, float(d.score)) for d in ds] for ds in dets]
        verdicts = judge_column(
            c.name, c.kind, vals, hits, table_cues=cues, today=today, table=t.name
        )
        evidence: dict[str, list[str]] = {}
        tokens: dict[str, dict[str, int]] = {}
        for verdict in verdicts:
            ev: list[str] = []
            toks: dict[str, int] = {}
            if verdict.entity_type in NO_EVIDENCE:
                # a secret, a one-letter sex code or an amount: no mask hides it, and it
                # identifies no one a request could look for (rgpd.masking.NO_EVIDENCE)
                evidence[verdict.entity_type], tokens[verdict.entity_type] = [], {}
                continue
            for i in verdict.supporting:
                matched = [d for d in dets[i] if d.entity_type == verdict.entity_type]
                raw_values = [d.value for d in matched] if matched else [vals[i]]
                for raw in raw_values:
                    if len(ev) < MAX_EVIDENCE:
                        m = mask(verdict.entity_type, raw)
                        if m not in ev:
                            ev.append(m)
                    if not verdict.special_category:
                        norm = normalise(verdict.entity_type, raw)
                        if norm:
                            tok = blind_index(verdict.entity_type, norm)
                            toks[tok] = toks.get(tok, 0) + 1
            evidence[verdict.entity_type] = ev
            tokens[verdict.entity_type] = toks
        # How the passwords are kept (Art. 32(1)(a)): their shape only, counted, not kept.
        storage = None
        if any(v.entity_type == Entity.CREDENTIAL for v in verdicts) and names_a_password(c.name):
            storage = judge_password_storage(vals)
        out.append(_Judged(c, verdicts, evidence, tokens, storage))
    return out


# --------------------------------------------------------------------- storage

#: Key of a finding's location that holds how a password column is stored (shares only).
STORAGE_KEY = "password_storage"


def _storage_location(j: _Judged, entity_type: str) -> dict[str, Any]:
    if j.storage is None or entity_type != Entity.CREDENTIAL:
        return {}
    return {STORAGE_KEY: j.storage.public()}


class _Store:
    """Writes one table's results in one short transaction (like the file scanner's units)."""

    def __init__(
        self, ws: Workspace, org: str, oid: int, run_id: int, connection: str, base: str
    ) -> None:
        self.ws, self.org, self.oid, self.run_id = ws, org, oid, run_id
        self.connection, self.base = connection, base
        self.counts = _new_counts()
        self.errors: list[DbError] = []

    def known_tables(self) -> dict[str, tuple[int, str | None, str]]:
        """uri → (id, fingerprint, status) of this connection's tables in earlier runs."""
        with self.ws.db.session() as s:
            rows = s.execute(
                select(
                    ScanSourceRow.id,
                    ScanSourceRow.uri,
                    ScanSourceRow.fingerprint,
                    ScanSourceRow.status,
                ).where(
                    ScanSourceRow.org_id == self.oid,
                    ScanSourceRow.kind == "table",
                    ScanSourceRow.root == self.connection,
                )
            )
            return {
                uri: (sid, fp, st) for sid, uri, fp, st in rows if uri.startswith(self.base + "#")
            }

    def _source(self, s: Session, uri: str, kind: str) -> ScanSourceRow:
        row = s.execute(
            select(ScanSourceRow).where(
                ScanSourceRow.org_id == self.oid, ScanSourceRow.uri_hash == uri_hash(uri)
            )
        ).scalar_one_or_none()
        if row is None:
            row = ScanSourceRow(
                org_id=self.oid,
                kind=kind,
                uri=uri,
                uri_hash=uri_hash(uri),
                root=self.connection,
                meta={},
            )
            s.add(row)
            s.flush()
        return row

    def _column_sources(self, s: Session, table_uri: str) -> list[ScanSourceRow]:
        return list(
            s.execute(
                select(ScanSourceRow).where(
                    ScanSourceRow.org_id == self.oid,
                    ScanSourceRow.kind == "column",
                    ScanSourceRow.root == self.connection,
                    ScanSourceRow.uri.like(_like_prefix(table_uri + "."), escape="\\"),
                )
            ).scalars()
        )

    def _clear(self, s: Session, source_id: int) -> None:
        s.execute(delete(FindingValueRow).where(FindingValueRow.source_id == source_id))
        s.execute(delete(FindingRow).where(FindingRow.source_id == source_id))

    def write_table(
        self, t: TableInfo, report: TableReport, judged: Sequence[_Judged], fingerprint: str
    ) -> None:
        now = utcnow()
        with self.ws.db.session() as s:
            trow = self._source(s, report.uri, "table")
            trow.status = "present"
            trow.size = report.rows_estimate
            trow.fingerprint = fingerprint
            trow.last_run_id = self.run_id
            trow.last_scanned_at = now
            trow.meta = {
                "connection": self.connection,
                "schema": t.schema,
                "table": t.name,
                "columns": [[c.name, c.type] for c in t.columns],
                "rows_estimate": report.rows_estimate,
                "sampled_rows": report.sampled_rows,
                "method": report.method,
            }
            existing = {r.uri: r for r in self._column_sources(s, report.uri)}
            first: dict[tuple[str, str], int] = {}
            if existing:
                ids = {r.id: r.uri for r in existing.values()}
                for sid, et, fr in s.execute(
                    select(
                        FindingRow.source_id, FindingRow.entity_type, FindingRow.first_run_id
                    ).where(FindingRow.source_id.in_(list(ids)))
                ):
                    if fr is not None:
                        first[(ids[sid], et)] = fr
            present = {c.name for c in t.columns}
            for j in judged:
                curi = column_uri(self.base, t.schema, t.name, j.column.name)
                if not j.verdicts and curi not in existing:
                    continue
                crow = existing.pop(curi, None) or self._source(s, curi, "column")
                self._clear(s, crow.id)
                crow.status = "present"
                crow.last_run_id = self.run_id
                crow.last_scanned_at = now
                crow.size = report.rows_estimate
                crow.meta = {
                    "connection": self.connection,
                    "schema": t.schema,
                    "table": t.name,
                    "column": j.column.name,
                    "type": j.column.type,
                    "verdicts": {
                        v.entity_type: {
                            "basis": v.basis,
                            "matched": v.matched,
                            "sampled": v.sampled,
                        }
                        for v in j.verdicts
                    },
                }
                for v in j.verdicts:
                    s.add(
                        FindingRow(
                            source_id=crow.id,
                            org_id=self.oid,
                            entity_type=v.entity_type,
                            count=v.matched,
                            score=v.confidence,
                            special_category=v.special_category,
                            ratio=v.ratio,
                            evidence=j.evidence.get(v.entity_type, []),
                            locations=[
                                {"column": j.column.name, "basis": v.basis, "sampled": v.sampled}
                                | _storage_location(j, v.entity_type)
                            ],
                            first_run_id=first.get((curi, v.entity_type), self.run_id),
                            last_run_id=self.run_id,
                        )
                    )
                    values = [
                        {
                            "source_id": crow.id,
                            "org_id": self.oid,
                            "entity_type": v.entity_type,
                            "token": tok,
                            "count": n,
                        }
                        for tok, n in j.tokens.get(v.entity_type, {}).items()
                    ]
                    if values:  # one executemany: a column can hold thousands of tokens
                        s.execute(insert(FindingValueRow), values)
                    self.counts["findings"] += 1
            # Columns not sampled this time: dropped from the table → gone; kept → unchanged.
            sampled = {j.column.name for j in judged}
            for uri, crow in existing.items():
                col = uri.rsplit(".", 1)[-1]
                if col not in present:
                    self._gone(s, crow.id)
                elif col not in sampled:
                    crow.last_run_id = self.run_id
            self._touch_run(s)

    def mark_unchanged(self, table_uri: str, t: TableInfo) -> list[ColumnFinding]:
        """Stamp an unchanged table and its columns as seen; return their stored findings."""
        with self.ws.db.session() as s:
            cols = [r for r in self._column_sources(s, table_uri) if r.status != "gone"]
            ids = [r.id for r in cols]
            found: list[ColumnFinding] = []
            if ids:
                by_id = {r.id: r for r in cols}
                for f in s.execute(
                    select(FindingRow)
                    .where(FindingRow.source_id.in_(ids))
                    .order_by(FindingRow.source_id, FindingRow.entity_type)
                ).scalars():
                    src = by_id[f.source_id]
                    meta = src.meta or {}
                    verdict = (meta.get("verdicts") or {}).get(f.entity_type, {})
                    stored = (f.locations or [{}])[0].get(STORAGE_KEY)
                    found.append(
                        ColumnFinding(
                            uri=src.uri,
                            schema=t.schema,
                            table=t.name,
                            column=str(meta.get("column", src.uri.rsplit(".", 1)[-1])),
                            entity_type=f.entity_type,
                            ratio=float(f.ratio or 0.0),
                            confidence=f.score,
                            matched=f.count,
                            sampled=int(verdict.get("sampled", 0)),
                            basis=str(verdict.get("basis", "")),
                            special_category=bool(f.special_category),
                            evidence=tuple(f.evidence or ()),
                            password_storage=StorageVerdict.from_public(stored) if stored else None,
                        )
                    )
            s.execute(
                update(ScanSourceRow)
                .where(
                    ScanSourceRow.org_id == self.oid, ScanSourceRow.uri_hash == uri_hash(table_uri)
                )
                .values(last_run_id=self.run_id)
            )
            if ids:
                s.execute(
                    update(ScanSourceRow)
                    .where(ScanSourceRow.id.in_(ids))
                    .values(last_run_id=self.run_id)
                )
            self._touch_run(s)
        return found

    def mark_table_gone(self, table_uri: str, table_id: int) -> None:
        with self.ws.db.session() as s:
            for crow in self._column_sources(s, table_uri):
                self._gone(s, crow.id)
            self._gone(s, table_id)
            self._touch_run(s)

    def _gone(self, s: Session, source_id: int) -> None:
        self._clear(s, source_id)
        s.execute(
            update(ScanSourceRow)
            .where(ScanSourceRow.id == source_id)
            .values(status="gone", last_run_id=self.run_id)
        )
        self.counts["gone"] += 1

    def error(
        self, source: str, reason: str, message: str, *, table_uri: str | None = None
    ) -> None:
        err = DbError(source, reason, message)
        self.errors.append(err)
        self.counts["errors"] += 1
        log.warning(
            "scan error",
            extra={
                "event": "scan_error",
                "source": source,
                "reason": reason,
                "run_id": self.run_id,
            },
        )
        with self.ws.db.session() as s:
            s.add(
                ScanErrorRow(
                    run_id=self.run_id,
                    org_id=self.oid,
                    source=source,
                    reason=reason,
                    message=message,
                )
            )
            if table_uri is not None:
                row = s.execute(
                    select(ScanSourceRow).where(
                        ScanSourceRow.org_id == self.oid,
                        ScanSourceRow.uri_hash == uri_hash(table_uri),
                    )
                ).scalar_one_or_none()
                if row is not None:
                    row.status = "error"
                    row.last_run_id = self.run_id
            self._touch_run(s)

    def _touch_run(self, s: Session) -> None:
        runs.heartbeat(s, self.run_id, self.counts)


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# --------------------------------------------------------------------- the scan


def _validate(sample_size: int, depth: str) -> None:
    if sample_size < 1:
        raise InvalidInput("sample_size", _("must be at least 1"))
    if depth not in DEPTHS:
        raise InvalidInput("depth", _("must be one of {choices}", choices=", ".join(DEPTHS)))


#: Environment variable holding the password of a database named by URL on the command line.
PASSWORD_ENV = "RGPD_DB_PASSWORD"


def connection_for_url(url: str) -> ConnectionConfig:
    """A connection for ``rgpd scan db URL``: named by its safe URI, password from
    ``RGPD_DB_PASSWORD`` when set. A password written in the URL is refused: a
    command line shows in ``ps`` and in the shell history.

    Raises ``InvalidInput``.
    """
    try:
        u = make_url(normalise_url(url))
    except Exception as exc:  # sqlalchemy raises ArgumentError with the URL in it
        raise InvalidInput("url", _("not a database URL")) from exc
    if u.password:
        raise InvalidInput(
            "url",
            _(
                "do not put the password in the URL on the command line (it shows in ps and "
                "the shell history): set {var} or answer the prompt",
                var=PASSWORD_ENV,
            ),
        )
    name = safe_base_uri(u)
    env = PASSWORD_ENV if os.environ.get(PASSWORD_ENV) is not None else None
    return ConnectionConfig(name=name, url=url, password_env=env)


def is_url(connection: str) -> bool:
    return "://" in connection


def scan_database(
    ws: Workspace,
    org: str,
    connection_name: str | ConnectionConfig,
    *,
    sample_size: int = DEFAULT_SAMPLE,
    tables: Sequence[str] | None = None,
    exclude_tables: Sequence[str] | None = None,
    schema: str | None = None,
    views: bool = False,
    full: bool = False,
    depth: str = "standard",
    profile: str | None = None,
    today: date | None = None,
    timeout: int = STATEMENT_TIMEOUT,
) -> DbScanResult:
    """Scan the named connection of ``rgpd.toml`` and store column findings.

    Raises ``ConfigError`` for an unknown connection name (nothing to record);
    everything that goes wrong *with the database* (missing password, unreachable,
    permission, timeout, dropped connection) is recorded as a scan error of the
    run and returned in ``errors`` with ``status='failed'`` when nothing could be read.
    """
    _validate(sample_size, depth)
    if isinstance(connection_name, str):
        conn_cfg = ws.settings.connection(connection_name)  # ConfigError when unknown
    else:
        conn_cfg, connection_name = connection_name, connection_name.name
    oid = ws.org_id(org)
    base = safe_base_uri(anchor_sqlite(conn_cfg.url, ws.settings.base_dir))
    schema = schema or conn_cfg.schema
    settings = {
        "connection": connection_name,
        "source": base,
        "sample_size": sample_size,
        "tables": list(tables or []),
        "exclude_tables": list(exclude_tables or []),
        "schema": schema,
        "views": views,
        "full": full,
        "depth": depth,
        **runs.owner(),
    }
    with ws.db.session() as s:
        recover_stale_runs(s, ws, org, oid, "database")
        run_id = runs.start_run(
            s,
            ws,
            org,
            oid,
            "database",
            settings=settings,
            counts=_new_counts(),
            details={"connection": connection_name, "full": full, "depth": depth},
            profile=profile,
        ).id
    store = _Store(ws, org, oid, run_id, connection_name, base)
    result = DbScanResult(run_id=run_id, connection=connection_name, uri=base, status="failed")
    log.info(
        "database scan started",
        extra={
            "event": "db_scan_start",
            "run_id": run_id,
            "connection": connection_name,
            "source": base,
        },
    )
    status = "failed"
    try:
        _scan(
            ws,
            store,
            result,
            conn_cfg,
            base,
            sample_size=sample_size,
            tables=tables,
            exclude=exclude_tables,
            schema=schema,
            views=views,
            full=full,
            depth=depth,
            today=today or ws.today(),
            timeout=timeout,
        )
        status = "completed" if result.tables or not store.errors else "failed"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        result.status = status
        result.counts = dict(store.counts)
        result.errors = list(store.errors)
        with ws.db.session() as s:
            row = runs.finish_run(s, ws, org, run_id, status, store.counts)
            assert row is not None
        log.info(
            "database scan finished",
            extra={
                "event": "db_scan_finish",
                "run_id": run_id,
                "status": status,
                "counts": store.counts,
            },
        )
    return result


@contextmanager
def _connect(engine: Engine, backend: str) -> Iterator[Connection]:
    with engine.connect() as conn:
        if backend == "sqlite":
            conn.exec_driver_sql("PRAGMA query_only = ON")
        yield conn


def _scan(
    ws: Workspace,
    store: _Store,
    result: DbScanResult,
    conn_cfg: Any,
    base: str,
    *,
    sample_size: int,
    tables: Sequence[str] | None,
    exclude: Sequence[str] | None,
    schema: str | None,
    views: bool,
    full: bool,
    depth: str,
    today: date,
    timeout: int,
) -> None:
    secrets: list[str] = []
    try:
        url = anchor_sqlite(conn_cfg.resolved_url(), ws.settings.base_dir)
        pw = make_url(url).password
        if pw:
            secrets.append(str(pw))
        backend = make_url(normalise_url(url)).get_backend_name()
        engine = make_scan_engine(url, timeout)
    except RgpdError as exc:
        store.error(base, "config", str(exc))
        return
    try:
        with _connect(engine, backend) as conn:
            try:
                schemas = _schemas(conn, backend, schema)
                found = introspect(conn, backend, schemas)
            except SQLAlchemyError as exc:
                store.error(base, db_failure_reason(exc), db_message(exc, secrets))
                return
            _scan_tables(
                ws,
                store,
                result,
                conn,
                backend,
                found,
                schemas,
                base,
                sample_size=sample_size,
                tables=tables,
                exclude=exclude,
                views=views,
                full=full,
                depth=depth,
                today=today,
                secrets=secrets,
            )
    except SourceError as exc:
        store.error(base, exc.reason, str(exc))
    except SQLAlchemyError as exc:
        reason = db_failure_reason(exc)
        if reason == "auth_failed":
            store.error(base, reason, auth_message(url, conn_cfg))
        else:
            store.error(
                base, "unreachable" if reason == "error" else reason, db_message(exc, secrets)
            )
    finally:
        engine.dispose()


def auth_message(url: str | URL, conn_cfg: Any = None) -> str:
    """ "access denied for user X on host Y": who tried where, and where the password came from.

    The driver's own text is not shown: it quotes values (and is redacted to nothing useful).
    """
    u = make_url(normalise_url(str(url))) if isinstance(url, str) else url
    source = _("no password given")
    if conn_cfg is not None and getattr(conn_cfg, "password_env", None):
        source = _("password from ${var}", var=conn_cfg.password_env)
    elif conn_cfg is not None and getattr(conn_cfg, "password_file", None):
        source = _("password from password_file")
    elif u.password:
        source = _("password in the URL")
    return _(
        "access denied for user {user} on host {host} (database {db}; {source})",
        user=u.username or "-",
        host=f"{u.host or 'localhost'}{f':{u.port}' if u.port else ''}",
        db=u.database or "-",
        source=source,
    )


def select_tables(
    found: Sequence[TableInfo],
    tables: Sequence[str] | None,
    exclude: Sequence[str] | None,
    *,
    views: bool,
) -> list[TableInfo]:
    """The tables (and views, with ``views``) to scan; a ``--tables`` name that matches
    nothing, or only views without ``views``, is a usage error, not "0 tables".

    Raises ``InvalidInput``.
    """
    if tables:
        for pat in tables:
            hits = [t for t in found if _glob_match(t.name, t.qualified, [pat])]
            if not hits:
                raise InvalidInput(
                    "tables", _("no table or view matches {pattern}", pattern=repr(pat))
                )
            if not views and all(t.is_view for t in hits):
                raise InvalidInput(
                    "tables",
                    _("{pattern} names a view: add --views to scan views", pattern=repr(pat)),
                )
    return [
        t
        for t in found
        if (views or not t.is_view)
        and (not tables or _glob_match(t.name, t.qualified, tables))
        and not (exclude and _glob_match(t.name, t.qualified, exclude))
    ]


def _scan_tables(
    ws: Workspace,
    store: _Store,
    result: DbScanResult,
    conn: Connection,
    backend: str,
    found: Sequence[TableInfo],
    schemas: Sequence[str | None],
    base: str,
    *,
    sample_size: int,
    tables: Sequence[str] | None,
    exclude: Sequence[str] | None,
    views: bool,
    full: bool,
    depth: str,
    today: date,
    secrets: Sequence[str],
) -> None:
    known = store.known_tables()
    try:
        selected = select_tables(found, tables, exclude, views=views)
    except InvalidInput as exc:
        store.error(base, "usage", str(exc))
        raise
    skipped_views = [
        t
        for t in found
        if t.is_view
        and t not in selected
        and not (exclude and _glob_match(t.name, t.qualified, exclude))
        and (not tables or _glob_match(t.name, t.qualified, tables))
    ]
    store.counts["tables"] = len(selected)
    store.counts["views"] = sum(1 for t in selected if t.is_view)
    seen: set[str] = set()
    outcome = _scan_list(
        ws,
        store,
        result,
        conn,
        backend,
        selected,
        base,
        seen,
        sample_size=sample_size,
        full=full,
        depth=depth,
        today=today,
        secrets=secrets,
    )
    base_tables = [t for t in selected if not t.is_view]
    if outcome is not None and skipped_views and (not base_tables or outcome == len(base_tables)):
        # The role can read no table, only views: its views are all it can see, so
        # they are what the scan is about (said in the counts: "views").
        log.info("views only", extra={"event": "views_only", "run_id": store.run_id})
        store.counts["tables"] += len(skipped_views)
        store.counts["views"] += len(skipped_views)
        outcome = _scan_list(
            ws,
            store,
            result,
            conn,
            backend,
            skipped_views,
            base,
            seen,
            sample_size=sample_size,
            full=full,
            depth=depth,
            today=today,
            secrets=secrets,
        )
    else:
        store.counts["views_skipped"] = len(skipped_views)
    if outcome is None:
        return
    if not tables:
        for turi, (tid, _fp, status) in known.items():
            if turi not in seen and status != "gone" and _in_schemas(turi, schemas):
                store.mark_table_gone(turi, tid)


def _scan_list(
    ws: Workspace,
    store: _Store,
    result: DbScanResult,
    conn: Connection,
    backend: str,
    selected: Sequence[TableInfo],
    base: str,
    seen: set[str],
    *,
    sample_size: int,
    full: bool,
    depth: str,
    today: date,
    secrets: Sequence[str],
) -> int | None:
    """Scan ``selected`` one by one; the number refused for lack of permission,
    or ``None`` when the connection was lost (the rest is not scanned)."""
    known = store.known_tables()
    denied = 0
    for done, t in enumerate(selected):
        turi = column_uri(base, t.schema, t.name)
        seen.add(turi)
        report = TableReport(uri=turi, schema=t.schema, table=t.name, status="error")
        try:
            est = estimate_rows(conn, backend, t, cap=COUNT_CAP_FACTOR * sample_size)
            t = TableInfo(t.schema, t.name, t.columns, t.primary_key, est, t.is_view)
            report.rows_estimate = est
            fp = t.fingerprint()
            prior = known.get(turi)
            if not full and prior is not None and prior[1] == fp and prior[2] == "present":
                report.status = "unchanged"
                store.counts["unchanged"] += 1
                report.findings = store.mark_unchanged(turi, t)
                result.tables.append(report)
                conn.rollback()
                continue
            cols = [c for c in t.columns if _sampled(c)]
            rows: list[tuple[Any, ...]] = []
            method = "none"
            if cols and (est is None or est > 0):
                rows, method = sample_rows(conn, backend, t, cols, sample_size, est)
            conn.rollback()  # end the read-only transaction: hold no snapshot between tables
            report.sampled_rows, report.method = len(rows), method
            # Judged even when empty: a table emptied since the last run loses its findings.
            judged = judge_table(
                t,
                cols,
                rows,
                lambda texts: _detector(depth).detect_many(texts),
                ws.keys.blind_index,
                today,
            )
            store.counts["columns"] += len(cols)
            store.counts["rows_sampled"] += len(rows)
            report.findings = [
                ColumnFinding(
                    uri=column_uri(base, t.schema, t.name, j.column.name),
                    schema=t.schema,
                    table=t.name,
                    column=j.column.name,
                    entity_type=v.entity_type,
                    ratio=v.ratio,
                    confidence=v.confidence,
                    matched=v.matched,
                    sampled=v.sampled,
                    basis=v.basis,
                    special_category=v.special_category,
                    evidence=tuple(j.evidence.get(v.entity_type, [])),
                    password_storage=j.storage if v.entity_type == Entity.CREDENTIAL else None,
                )
                for j in judged
                for v in j.verdicts
            ]
            store.write_table(t, report, judged, fp)
            report.status = "scanned"
            store.counts["scanned"] += 1
            result.tables.append(report)
            log.info(
                "table scanned",
                extra={
                    "event": "table_scanned",
                    "run_id": store.run_id,
                    "source": turi,
                    "rows_estimate": est,
                    "sampled": len(rows),
                    "method": method,
                    "findings": len(report.findings),
                },
            )
        except SQLAlchemyError as exc:
            reason = db_failure_reason(exc)
            denied += reason == "permission_denied"
            store.error(turi, reason, db_message(exc, secrets), table_uri=turi)
            result.tables.append(report)
            if reason == "connection_lost" or (
                isinstance(exc, DBAPIError) and exc.connection_invalidated
            ):
                store.error(
                    base,
                    "connection_lost",
                    _n(
                        "connection lost; {n} table not scanned",
                        "connection lost; {n} tables not scanned",
                        len(selected) - done - 1,
                    ),
                )
                return None
            try:
                conn.rollback()
            except SQLAlchemyError:
                store.error(base, "connection_lost", _("connection lost after an error"))
                return None
    return denied


def _in_schemas(turi: str, schemas: Sequence[str | None]) -> bool:
    """Only tables of the schemas looked at this time can be declared gone."""
    qual = turi.split("#", 1)[1]
    return any(qual.startswith(f"{s}.") for s in schemas if s) or (
        None in schemas and "." not in qual
    )
