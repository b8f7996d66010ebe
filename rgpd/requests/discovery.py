"""Finding one person's data everywhere the register says it may be.

A verified request carries the person's identifiers (sealed); discovery turns
them into searches and stores where the person's data live, so the access
package, the erasure plan, rectification and restriction all work on the same,
reviewed list. Why it is shaped this way:

* **Databases, by the register.** Only the tables the register declares for the
  activities concerned are searched, with *parameterised* equality queries
  (``col IN (:v1, :v2)``, the spellings a value is commonly stored under) on the
  columns the register names (``person_identifiers[].column``,
  ``data_locations[].columns``), the columns the database scans identified
  (``findings``) and columns whose name says what they hold. Equality on the
  stored spellings lets the database use an index on the column; every hit is
  then checked in Python against :func:`rgpd.masking.normalise`, the same
  normalisation the scanner's blind index uses.
* **Dependent rows** are followed through the foreign keys SQLAlchemy reflects
  (a child's canteen rows through the family), transitively, so an erasure can
  keep the schema's integrity and an access package misses nothing.
* **Files, through the blind index**: the HMAC tokens the scans stored
  (``finding_values``) are looked up, no file is re-read. Names are indexed only
  where the detector saw them, so an optional *targeted rescan* re-reads the
  files the scans know under the declared locations and looks for the name.
* **Confidence.** A strong identifier (e-mail, NIR, IBAN, an internal number) or
  name and date of birth on the same row is ``confirmed``; a name alone, or a
  name and a date in the same file, is ``to_confirm`` and never acted on until
  the DPO confirms it (:func:`decide`).
* **Nothing in clear at rest.** The result is sealed (AES-GCM) with the request;
  only counts are stored readable. Nothing here logs a value.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    Table,
    UniqueConstraint,
    and_,
    or_,
    select,
)
from sqlalchemy import types as sqltypes
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from rgpd import audit
from rgpd.crypto import sha256_hex
from rgpd.errors import ConfigError, Conflict, NotFound, RgpdError
from rgpd.i18n import _
from rgpd.masking import normalise
from rgpd.registry.model import Activity, DataLocation
from rgpd.requests import service
from rgpd.requests.intake import Submission
from rgpd.requests.model import RequestType
from rgpd.scan.columns import name_signal
from rgpd.storage.db import utcnow
from rgpd.storage.fulfil_tables import RequestDiscoveryRow, discovery_context
from rgpd.storage.scan_tables import FindingRow, ScanSourceRow
from rgpd.taxonomy import Entity
from rgpd.workspace import Workspace

#: Values bound in one ``IN (...)`` list.
CHUNK = 500
#: Foreign-key hops followed from a matched row.
MAX_DEPTH = 6
#: Rows one probe may return before it is considered too vague to be one person.
MAX_ROWS_PER_PROBE = 1000
#: Files re-read by a targeted rescan.
MAX_RESCAN_FILES = 2000

CONF_STRONG = 0.99
CONF_PHONE = 0.9
CONF_NAME_DOB_ROW = 0.85
CONF_NAME_DOB_FILE = 0.7
CONF_NAME_ONLY = 0.4

#: Entities of identifiers strong enough to act on (one person, one value).
STRONG_ENTITIES = frozenset(
    {
        Entity.EMAIL_ADDRESS,
        Entity.FR_NIR,
        Entity.IBAN_CODE,
        Entity.PHONE_NUMBER,
        Entity.FR_TAX_ID,
        Entity.FR_ID_CARD,
        Entity.FR_PASSPORT,
        Entity.FR_LICENSE_PLATE,
        Entity.CREDIT_CARD,
    }
)
#: Identifier keys people type for the same things (forms, CLI ``--id``).
KEY_ENTITIES: dict[str, str] = {
    "email": Entity.EMAIL_ADDRESS,
    "courriel": Entity.EMAIL_ADDRESS,
    "phone": Entity.PHONE_NUMBER,
    "telephone": Entity.PHONE_NUMBER,
    "nir": Entity.FR_NIR,
    "iban": Entity.IBAN_CODE,
}
NAME_KEYS = frozenset({"nom_date_naissance", "name_dob", "nom", "name"})


class MatchStatus(StrEnum):
    CONFIRMED = "confirmed"
    TO_CONFIRM = "to_confirm"
    REJECTED = "rejected"


# --------------------------------------------------------------------------- the person


@dataclass(frozen=True, slots=True)
class Probe:
    """One identifier to search with; ``value`` lives in memory only."""

    key: str
    entity: str | None  # None: an internal number, searched only where the register says
    value: str = field(repr=False)

    @property
    def confidence(self) -> float:
        return CONF_PHONE if self.entity == Entity.PHONE_NUMBER else CONF_STRONG


@dataclass(frozen=True, slots=True)
class Person:
    """What identifies the person concerned (not the requester acting for them)."""

    probes: tuple[Probe, ...]
    first_name: str = field(default="", repr=False)
    last_name: str = field(default="", repr=False)
    birth_date: date | None = field(default=None, repr=False)
    address: str = field(default="", repr=False)

    @property
    def name_words(self) -> frozenset[str]:
        return frozenset(normalise(Entity.PERSON, f"{self.first_name} {self.last_name}").split())

    @property
    def has_name(self) -> bool:
        return bool(self.first_name.strip() and self.last_name.strip())


def person_from_submission(sub: Submission, activities: Sequence[Activity]) -> Person:
    """The probes of a request: its e-mail and phone, and each identifier the register knows."""
    declared = {pi.key: pi for a in activities for pi in a.person_identifiers}
    probes: list[Probe] = []
    seen: set[tuple[str, str | None, str]] = set()

    def add(key: str, entity: str | None, value: str) -> None:
        value = value.strip()
        if not value:
            return
        norm = normalise(entity, value) if entity else service.normalise_identifier(value)
        if (key if entity is None else "", entity, norm) in seen:
            return
        seen.add((key if entity is None else "", entity, norm))
        probes.append(Probe(key, entity, value))

    if sub.email:
        add("email", Entity.EMAIL_ADDRESS, sub.email)
    if sub.phone:
        add("telephone", Entity.PHONE_NUMBER, sub.phone)
    for key, value in sorted(sub.identifiers.items()):
        if key in NAME_KEYS:
            continue
        pi = declared.get(key)
        entity = (pi.entity if pi else None) or KEY_ENTITIES.get(key)
        add(key, entity, value)
    return Person(
        tuple(probes),
        first_name=sub.first_name,
        last_name=sub.last_name,
        birth_date=sub.birth_date,
        address=sub.address,
    )


# --------------------------------------------------------------------------- results


@dataclass
class RowMatch:
    """A row of a database holding the person's data (``key``: its primary key)."""

    id: str
    connection: str
    schema: str | None
    table: str
    key: dict[str, Any]
    activities: list[str]
    status: str
    confidence: float
    reasons: list[str]
    declared: bool = True  # the register lists this table for one of the activities
    parent: str | None = None  # id of the row it was reached through

    @property
    def location(self) -> str:
        return f"{self.connection}:{self.schema + '.' if self.schema else ''}{self.table}"


@dataclass
class FileMatch:
    """A file (or archive member ``path!member``) holding the person's data."""

    id: str
    uri: str
    kind: str
    activities: list[str]
    status: str
    confidence: float
    reasons: list[str]
    entities: list[str]
    occurrences: int = 0
    root: str | None = None  # the scanned folder it was found under (relative locations)

    @property
    def location(self) -> str:
        return self.uri


@dataclass(frozen=True, slots=True)
class Group:
    """One line of the discovery report: an activity and a location."""

    activity: str | None
    kind: str  # database | files
    location: str
    matches: int
    confirmed: int
    to_confirm: int
    rejected: int
    confidence: float
    reasons: tuple[str, ...]
    ids: tuple[str, ...]


@dataclass
class DiscoveryResult:
    reference: str
    created_at: datetime
    activities: list[str]
    rows: list[RowMatch] = field(default_factory=list)
    files: list[FileMatch] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # table/column names, never values
    errors: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # connection -> safe URI
    rescanned: int = 0
    id: int | None = None

    # -- views --------------------------------------------------------------------
    def matches(self) -> Iterator[RowMatch | FileMatch]:
        yield from self.rows
        yield from self.files

    def by_id(self) -> dict[str, RowMatch | FileMatch]:
        return {m.id: m for m in self.matches()}

    def confirmed_rows(self) -> list[RowMatch]:
        return [r for r in self.rows if r.status == MatchStatus.CONFIRMED]

    def confirmed_files(self) -> list[FileMatch]:
        return [f for f in self.files if f.status == MatchStatus.CONFIRMED]

    def groups(self) -> list[Group]:
        """Matches grouped by activity and location (a table or a file), for display."""
        buckets: dict[tuple[str | None, str, str], list[RowMatch | FileMatch]] = defaultdict(list)
        for m in self.matches():
            kind = "database" if isinstance(m, RowMatch) else "files"
            acts: list[str | None] = list(m.activities) or [None]
            for act in acts:
                buckets[(act, kind, m.location)].append(m)
        out = []
        for (act, kind, loc), ms in sorted(
            buckets.items(), key=lambda kv: (kv[0][0] or "~", kv[0][1], kv[0][2])
        ):
            reasons: list[str] = []
            for m in ms:
                for r in m.reasons:
                    if r not in reasons:
                        reasons.append(r)
            out.append(
                Group(
                    act,
                    kind,
                    loc,
                    len(ms),
                    sum(m.status == MatchStatus.CONFIRMED for m in ms),
                    sum(m.status == MatchStatus.TO_CONFIRM for m in ms),
                    sum(m.status == MatchStatus.REJECTED for m in ms),
                    max(m.confidence for m in ms),
                    tuple(reasons[:6]),
                    tuple(m.id for m in ms),
                )
            )
        return out

    def summary(self) -> dict[str, Any]:
        """Counts only: what may be stored and shown without revealing the person."""
        per: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for g in self.groups():
            d = per[g.activity or "-"]
            d[f"{g.kind}_{'rows' if g.kind == 'database' else 'files'}"] += g.matches
            d["to_confirm"] += g.to_confirm
        return {
            "rows": len(self.rows),
            "files": len(self.files),
            "confirmed": sum(m.status == MatchStatus.CONFIRMED for m in self.matches()),
            "to_confirm": sum(m.status == MatchStatus.TO_CONFIRM for m in self.matches()),
            "rejected": sum(m.status == MatchStatus.REJECTED for m in self.matches()),
            "tables": len({r.location for r in self.rows}),
            "errors": len(self.errors),
            "rescanned": self.rescanned,
            "activities": {k: dict(v) for k, v in per.items()},
        }

    # -- (de)serialisation ----------------------------------------------------------
    def to_json(self) -> str:
        return json.dumps(
            {
                "reference": self.reference,
                "created_at": self.created_at.isoformat(),
                "activities": self.activities,
                "rows": [asdict(r) for r in self.rows],
                "files": [asdict(f) for f in self.files],
                "notes": self.notes,
                "errors": self.errors,
                "sources": self.sources,
                "rescanned": self.rescanned,
            },
            ensure_ascii=False,
            default=str,
        )

    @classmethod
    def from_json(cls, text: str, id: int | None = None) -> DiscoveryResult:
        d = json.loads(text)
        return cls(
            reference=d["reference"],
            created_at=datetime.fromisoformat(d["created_at"]),
            activities=list(d["activities"]),
            rows=[RowMatch(**r) for r in d["rows"]],
            files=[FileMatch(**f) for f in d["files"]],
            notes=list(d["notes"]),
            errors=list(d["errors"]),
            sources=dict(d["sources"]),
            rescanned=int(d.get("rescanned", 0)),
            id=id,
        )


# --------------------------------------------------------------------------- values in SQL


def jsonable(value: Any) -> Any:
    """A database value as JSON keeps it (dates as ISO text, decimals as text)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return str(value)


def bindable(column: Column[Any], value: Any) -> Any:
    """Back from :func:`jsonable` to what the column's type binds."""
    if value is None:
        return None
    t = column.type
    if isinstance(t, sqltypes.DateTime) and isinstance(value, str):
        return datetime.fromisoformat(value)
    if isinstance(t, sqltypes.Date) and isinstance(value, str):
        return date.fromisoformat(value[:10])
    if (
        isinstance(t, sqltypes.Numeric)
        and not isinstance(t, sqltypes.Float)
        and isinstance(value, str)
    ):
        return Decimal(value)
    return value


def _is_text(column: Column[Any]) -> bool:
    return (
        isinstance(column.type, sqltypes.String | sqltypes.Enum)
        or "CHAR" in str(type(column.type).__name__).upper()
    )


def _is_integer(column: Column[Any]) -> bool:
    t = column.type
    if isinstance(t, sqltypes.Integer):
        return True
    return (
        isinstance(t, sqltypes.Numeric)
        and not isinstance(t, sqltypes.Float)
        and getattr(t, "scale", None) == 0
    )


def _is_date(column: Column[Any]) -> bool:
    return isinstance(column.type, sqltypes.Date | sqltypes.DateTime)


def _digits(value: str) -> str:
    return "".join(c for c in value if c.isdigit())


def national_phone(value: str) -> tuple[str, int]:
    """(national digits with the trunk 0, country code): "+33 6 12 34 56 78" → ("0612345678", 33).

    Valid numbers go through phonenumbers (so "0639 ..." is La Réunion's +262);
    numbers it rejects are read the French way, so that two spellings of the
    same digits still meet.
    """
    import phonenumbers

    from rgpd.masking import parse_phone

    num = parse_phone(value)
    if num is not None:
        return "0" + phonenumbers.national_significant_number(num), int(num.country_code or 33)
    raw = value.strip().replace("(0)", "")
    digits = _digits(raw)
    if raw.startswith("00"):
        digits = digits[2:]
    if (raw.startswith("+") or raw.startswith("00")) and digits.startswith("33"):
        return "0" + digits[2:], 33
    if raw.startswith("+") or raw.startswith("00"):
        return digits, 0
    return digits, 33


def _phone_variants(value: str) -> list[str]:
    """The ways a phone number is commonly stored: "06 12 34 56 78", "0612345678", "+33 6 ..."."""
    e164 = normalise(Entity.PHONE_NUMBER, value)
    out = [value.strip(), e164]
    national, cc = national_phone(value)
    if len(national) == 10 and national.startswith("0"):
        pairs = [national[i : i + 2] for i in range(0, 10, 2)]
        rest = national[1:]
        tail = " ".join(rest[i : i + 2] for i in range(1, 9, 2))
        out += [national, " ".join(pairs), ".".join(pairs), "-".join(pairs)]
        # "0700000000" is French to a person and Monegasque to phonenumbers: both prefixes
        for code in dict.fromkeys([33, cc] if cc else [33]):
            out += [
                f"+{code}{rest}",
                f"+{code} {rest[0]} {tail}",
                f"+{code} (0){rest[0]} {tail}",
                f"00{code}{rest}",
                f"00{code} {rest[0]} {tail}",
            ]
    return list(dict.fromkeys(v for v in out if v))


def variants(probe: Probe, column: Column[Any]) -> list[Any]:
    """The spellings of ``probe`` worth an equality test on ``column`` (empty: incompatible)."""
    v = probe.value.strip()
    ent = probe.entity
    texts: list[str]
    if ent == Entity.EMAIL_ADDRESS:
        texts = [v, v.lower(), normalise(ent, v)]
    elif ent == Entity.PHONE_NUMBER:
        texts = _phone_variants(v)
    elif ent == Entity.FR_NIR:
        compact = normalise(ent, v)
        texts = [v, compact]
        if len(compact) == 15:
            c = compact
            texts += [
                f"{c[0]} {c[1:3]} {c[3:5]} {c[5:7]} {c[7:10]} {c[10:13]} {c[13:]}",
                f"{c[:13]} {c[13:]}",
            ]
    elif ent == Entity.IBAN_CODE:
        compact = normalise(ent, v)
        texts = [v, compact, " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))]
    elif ent == Entity.DATE_OF_BIRTH:
        iso = normalise(ent, v)
        if _is_date(column):
            try:
                return [date.fromisoformat(iso)]
            except ValueError:
                return []
        texts = [v, iso]
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", iso):
            texts.append(f"{iso[8:10]}/{iso[5:7]}/{iso[:4]}")
    elif ent is not None:
        texts = [v, normalise(ent, v)]
    else:
        texts = [v, v.upper(), v.lower(), service.normalise_identifier(v)]
    texts = list(dict.fromkeys(t for t in texts if t))
    if _is_integer(column):
        nums: list[int] = []
        for t in texts:
            d = t.lstrip("+")
            if d.isdigit() and len(d) < 19:
                nums.append(int(d))
        if ent == Entity.PHONE_NUMBER:  # stored as a number: the leading 0 is gone
            nat = national_phone(v)[0]
            nums = [int(nat[1:])] if len(nat) == 10 and nat[1:].isdigit() else []
        return list(dict.fromkeys(nums))
    if _is_text(column):
        return texts
    return []


def same_value(probe: Probe, stored: Any) -> bool:
    """Is a stored value the probe's value (checked after the SQL equality)?"""
    if stored is None:
        return False
    text = jsonable(stored) if not isinstance(stored, str) else stored
    text = str(text)
    if probe.entity == Entity.PHONE_NUMBER:
        if not isinstance(stored, str):  # a number column lost the leading 0
            return _digits(text)[-9:] == national_phone(probe.value)[0][-9:]
        if normalise(probe.entity, text) == normalise(probe.entity, probe.value):
            return True
        mine, theirs = national_phone(probe.value)[0], national_phone(text)[0]
        return len(mine) == 10 and mine.startswith("0") and mine == theirs
    if probe.entity:
        return normalise(probe.entity, text) == normalise(probe.entity, probe.value)
    return service.normalise_identifier(text) == service.normalise_identifier(probe.value)


def _fold(text: str) -> str:
    t = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in t if not unicodedata.combining(c))


def chunks(items: Sequence[Any], n: int = CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


def key_clause(table: Table, keys: Sequence[Mapping[str, Any]]) -> Any:
    """``WHERE`` for a list of primary keys (one column: ``IN``; composite: OR of ANDs)."""
    cols = list(keys[0])
    if len(cols) == 1:
        c = table.c[cols[0]]
        return c.in_([bindable(c, k[cols[0]]) for k in keys])
    return or_(*(and_(*(table.c[n] == bindable(table.c[n], k[n]) for n in cols)) for k in keys))


def match_id(prefix: str, *parts: Any) -> str:
    return prefix + sha256_hex(json.dumps(parts, sort_keys=True, default=str))[:10]


# --------------------------------------------------------------------------- connections


def open_engine(ws: Workspace, connection: str, *, write: bool = False) -> tuple[Engine, str]:
    """An engine on a named connection of ``rgpd.toml`` and its URI without secrets.

    Discovery reads through the scanner's read-only engine (statement timeout,
    read-only session); fulfilment writes through a plain one.
    """
    from rgpd.scan.database import make_scan_engine, safe_base_uri

    cfg = ws.settings.connection(connection)  # ConfigError when unknown
    url = cfg.resolved_url()
    base = safe_base_uri(cfg.url)
    if not write:
        return make_scan_engine(url), base
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from rgpd.storage.db import normalise_url

    u = normalise_url(url)
    kwargs: dict[str, Any] = {"poolclass": NullPool}
    if u.startswith("mysql"):
        kwargs["connect_args"] = {"charset": "utf8mb4"}
    engine = create_engine(u, **kwargs)
    if u.startswith("sqlite"):
        from sqlalchemy import event

        @event.listens_for(engine, "connect")
        def _fk(dbapi_conn, _rec):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

    return engine, base


def reflect(conn: Connection, schema: str | None) -> MetaData:
    md = MetaData()
    md.reflect(conn, schema=schema, resolve_fks=True)
    return md


def tables_by_name(md: MetaData) -> dict[str, Table]:
    return {t.name.lower(): t for t in md.tables.values() if not t.name.startswith("sqlite_")}


def _bare(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower()


def reverse_fks(md: MetaData) -> dict[str, list[tuple[Table, list[tuple[str, str]]]]]:
    """Parent table → tables referencing it, with (child column, parent column) pairs."""
    out: dict[str, list[tuple[Table, list[tuple[str, str]]]]] = defaultdict(list)
    for t in md.tables.values():
        for fk in t.foreign_key_constraints:
            pairs = [(e.parent.name, e.column.name) for e in fk.elements]
            out[fk.referred_table.name.lower()].append((t, pairs))
    return out


# --------------------------------------------------------------------------- database search


@dataclass
class _Hit:
    key: dict[str, Any]
    values: dict[str, Any]  # columns referenced by foreign keys (to follow them)
    activities: set[str]
    status: str
    confidence: float
    reasons: list[str]
    declared: bool
    parent: str | None = None


@dataclass
class _Target:
    """Where one connection's declared tables are, and which activity declares each."""

    connection: str
    locations: list[tuple[Activity, DataLocation]] = field(default_factory=list)


def _scan_columns(ws: Workspace, org_id: int, connection: str) -> dict[str, dict[str, set[str]]]:
    """table → column → entity types the database scans found (current findings)."""
    out: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    with ws.db.session() as s:
        q = (
            select(ScanSourceRow.uri, FindingRow.entity_type)
            .join(FindingRow, FindingRow.source_id == ScanSourceRow.id)
            .where(
                ScanSourceRow.org_id == org_id,
                FindingRow.org_id == org_id,
                ScanSourceRow.kind == "column",
                ScanSourceRow.root == connection,
                ScanSourceRow.status != "gone",
            )
        )
        for uri, entity in s.execute(q).all():
            frag = uri.split("#", 1)[-1].split(".")
            if len(frag) >= 2:
                out[frag[-2].lower()][frag[-1]].add(entity)
    return out


class _DbSearch:
    """Searches one connection; all SQL is parameterised through SQLAlchemy Core."""

    def __init__(
        self,
        conn: Connection,
        md: MetaData,
        connection: str,
        schema: str | None,
        person: Person,
        locations: Sequence[tuple[Activity, DataLocation]],
        activities: Sequence[Activity],
        scanned: Mapping[str, Mapping[str, set[str]]],
        notes: list[str],
    ) -> None:
        self.conn, self.md, self.connection, self.schema = conn, md, connection, schema
        self.person, self.notes = person, notes
        self.tables = tables_by_name(md)
        self.reverse = reverse_fks(md)
        self.scanned = scanned
        self.hits: dict[str, dict[str, _Hit]] = defaultdict(dict)  # table -> key json -> hit
        # table -> activities declaring it, and the columns they name
        self.declared: dict[str, set[str]] = defaultdict(set)
        self.declared_cols: dict[str, set[str]] = defaultdict(set)
        for act, loc in locations:
            names = [_bare(loc.table)] if loc.table else list(self.tables)
            for n in names:
                if n not in self.tables:
                    self.notes.append(
                        _(
                            "{conn}: table {table} declared by {activity} does not exist",
                            conn=connection,
                            table=loc.table,
                            activity=act.ref,
                        )
                    )
                    continue
                self.declared[n].add(act.ref)
                self.declared_cols[n].update(c.lower() for c in loc.columns)
        # identifier key -> [(table, column)] the register names
        self.register_cols: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for act in activities:
            for pi in act.person_identifiers:
                if not pi.column or "." not in pi.column:
                    continue
                table, col = pi.column.rsplit(".", 1)
                for k in {pi.key, pi.entity or ""} - {""}:
                    self.register_cols[k].append((_bare(table), col))

    # -- which columns ------------------------------------------------------------
    def _column(self, table: Table, name: str) -> Column[Any] | None:
        for c in table.columns:
            if c.name.lower() == name.lower():
                return c
        return None

    def columns_for(
        self, tname: str, entity: str | None, key: str
    ) -> list[tuple[Column[Any], str]]:
        """(column, why) pairs of a declared table that may hold the identifier."""
        table = self.tables[tname]
        out: dict[str, tuple[Column[Any], str]] = {}
        for k in (key, entity or ""):
            for t, cname in self.register_cols.get(k, []):
                if t != tname:
                    continue
                col = self._column(table, cname)
                if col is None:
                    self.notes.append(
                        _(
                            "{conn}: column {table}.{column} named by the register does not exist",
                            conn=self.connection,
                            table=tname,
                            column=cname,
                        )
                    )
                    continue
                out.setdefault(col.name, (col, "register"))
        if entity:
            for cname, ents in self.scanned.get(tname, {}).items():
                col = self._column(table, cname)
                if col is not None and entity in ents:
                    out.setdefault(col.name, (col, "scan"))
            for col in table.columns:
                sig = name_signal(col.name)
                if sig is not None and sig.entity_type == entity:
                    why = "register" if col.name.lower() in self.declared_cols[tname] else "name"
                    out.setdefault(col.name, (col, why))
        return list(out.values())

    def _entity_columns(self, tname: str, entity: str) -> list[Column[Any]]:
        return [c for c, _why in self.columns_for(tname, entity, "")]

    # -- queries -------------------------------------------------------------------
    def _needed(self, table: Table) -> list[Column[Any]]:
        """Primary key plus every column a foreign key elsewhere points to."""
        names = [c.name for c in table.primary_key.columns]
        for _child, pairs in self.reverse.get(table.name.lower(), []):
            for _c, p in pairs:
                if p not in names:
                    names.append(p)
        return [table.c[n] for n in names]

    def _key_of(self, table: Table, row: Mapping[Any, Any]) -> dict[str, Any]:
        return {c.name: jsonable(row[c.name]) for c in table.primary_key.columns}

    def _add(
        self,
        table: Table,
        row: Mapping[Any, Any],
        *,
        status: str,
        confidence: float,
        reason: str,
        activities: Iterable[str],
        parent: str | None = None,
    ) -> bool:
        key = self._key_of(table, row)
        kj = json.dumps(key, sort_keys=True)
        tname = table.name.lower()
        values = {c.name: row[c.name] for c in self._needed(table) if c.name in row}
        hit = self.hits[tname].get(kj)
        if hit is None:
            self.hits[tname][kj] = _Hit(
                key,
                values,
                set(activities),
                status,
                confidence,
                [reason],
                tname in self.declared,
                parent,
            )
            return True
        hit.activities.update(activities)
        if reason not in hit.reasons:
            hit.reasons.append(reason)
        if confidence > hit.confidence:
            hit.confidence = confidence
        if status == MatchStatus.CONFIRMED:
            hit.status = MatchStatus.CONFIRMED
        return False

    def search_identifiers(self) -> None:
        for tname in sorted(self.declared):
            table = self.tables[tname]
            if not table.primary_key.columns:
                self.notes.append(
                    _(
                        "{conn}: table {table} has no primary key: its rows cannot be targeted",
                        conn=self.connection,
                        table=tname,
                    )
                )
                continue
            for probe in self.person.probes:
                for col, why in self.columns_for(tname, probe.entity, probe.key):
                    vals = variants(probe, col)
                    if not vals:
                        continue
                    q = (
                        select(*self._needed(table), col.label("__probe"))
                        .where(col.in_(vals))
                        .limit(MAX_ROWS_PER_PROBE + 1)
                    )
                    rows = self.conn.execute(q).mappings().all()
                    if len(rows) > MAX_ROWS_PER_PROBE:
                        self.notes.append(
                            _(
                                "{conn}: {key} matches more than {n} rows of {table}: too vague, ignored",
                                conn=self.connection,
                                key=probe.key,
                                n=MAX_ROWS_PER_PROBE,
                                table=tname,
                            )
                        )
                        continue
                    for r in rows:
                        if not same_value(probe, r["__probe"]):
                            continue
                        self._add(
                            table,
                            r,
                            status=MatchStatus.CONFIRMED,
                            confidence=probe.confidence,
                            reason=_(
                                "{key} in {table}.{column} ({why})",
                                key=probe.key,
                                table=tname,
                                column=col.name,
                                why=why,
                            ),
                            activities=self.declared[tname],
                        )

    def search_names(self) -> None:
        """Name and date of birth on one row (confirmed); the name alone (to confirm)."""
        p = self.person
        if not p.has_name:
            return
        words = p.name_words
        last = p.last_name.strip()
        for tname in sorted(self.declared):
            table = self.tables[tname]
            if not table.primary_key.columns:
                continue
            names = self._entity_columns(tname, Entity.PERSON)
            names = [c for c in names if _is_text(c)]
            if not names:
                continue
            dobs = [c for c in self._entity_columns(tname, Entity.DATE_OF_BIRTH) if _is_date(c)]
            cols = [*self._needed(table), *names, *dobs]
            cols = list({c.name: c for c in cols}.values())
            if p.birth_date and dobs:
                cond = or_(*(d == p.birth_date for d in dobs))
            else:
                # the usual casings, as equality: an index on the name column is used
                spellings = [last, last.upper(), last.lower(), last.title(), _fold(last)]
                spellings += [_fold(x).upper() for x in spellings[:1]] + [_fold(last).title()]
                firsts = [c for c in names if re.search(r"pr[eé]nom|first|given", c.name, re.I)]
                lasts = [c for c in names if c not in firsts] or names
                cond = or_(*(c.in_(list(dict.fromkeys(spellings))) for c in lasts))
            rows = self.conn.execute(select(*cols).where(cond).limit(MAX_ROWS_PER_PROBE)).mappings()
            for r in rows:
                have = frozenset(
                    normalise(Entity.PERSON, " ".join(str(r[c.name] or "") for c in names)).split()
                )
                if not words or not words <= have:
                    continue
                dob_ok = bool(p.birth_date and dobs) and any(
                    _as_date(r[d.name]) == p.birth_date for d in dobs
                )
                if dob_ok:
                    self._add(
                        table,
                        r,
                        status=MatchStatus.CONFIRMED,
                        confidence=CONF_NAME_DOB_ROW,
                        reason=_("name and date of birth in {table}", table=tname),
                        activities=self.declared[tname],
                    )
                elif not (p.birth_date and dobs):
                    self._add(
                        table,
                        r,
                        status=MatchStatus.TO_CONFIRM,
                        confidence=CONF_NAME_ONLY,
                        reason=_("name only in {table}", table=tname),
                        activities=self.declared[tname],
                    )

    def follow(self) -> None:
        """Rows that reference matched rows, transitively (foreign keys)."""
        frontier = {t: list(h.values()) for t, h in self.hits.items()}
        for _depth in range(MAX_DEPTH):
            nxt: dict[str, list[_Hit]] = defaultdict(list)
            for ptable, hits in frontier.items():
                for child, pairs in self.reverse.get(ptable, []):
                    if not child.primary_key.columns:
                        self.notes.append(
                            _(
                                "{conn}: table {table} references matched rows but has no primary key",
                                conn=self.connection,
                                table=child.name,
                            )
                        )
                        continue
                    self._follow_one(ptable, hits, child, pairs, nxt)
            if not nxt:
                return
            frontier = nxt

    def _follow_one(
        self,
        ptable: str,
        hits: list[_Hit],
        child: Table,
        pairs: list[tuple[str, str]],
        nxt: dict[str, list[_Hit]],
    ) -> None:
        by_value: dict[tuple[Any, ...], _Hit] = {}
        for h in hits:
            vals = tuple(h.values.get(p) for _c, p in pairs)
            if all(v is not None for v in vals):
                by_value.setdefault(vals, h)
        if not by_value:
            return
        ccols = [child.c[c] for c, _p in pairs]
        cols = list({c.name: c for c in [*self._needed(child), *ccols]}.values())
        parent_ids = {id(h): _row_id(self.connection, ptable, h.key) for h in by_value.values()}
        for part in chunks(list(by_value)):
            cond: Any
            if len(ccols) == 1:
                cond = ccols[0].in_([v[0] for v in part])
            else:
                cond = or_(
                    *(and_(*(c == v for c, v in zip(ccols, vs, strict=True))) for vs in part)
                )
            for r in self.conn.execute(select(*cols).where(cond)).mappings():
                ph = by_value.get(tuple(r[c.name] for c in ccols))
                if ph is None:  # type coercion (e.g. Decimal vs int): find it the slow way
                    ph = next(
                        (
                            h
                            for v, h in by_value.items()
                            if [str(x) for x in v] == [str(r[c.name]) for c in ccols]
                        ),
                        None,
                    )
                if ph is None:
                    continue
                acts = self.declared.get(child.name.lower()) or ph.activities
                new = self._add(
                    child,
                    r,
                    status=ph.status,
                    confidence=ph.confidence,
                    reason=_(
                        "linked to {parent} through {table}.{column}",
                        parent=ptable,
                        table=child.name,
                        column=",".join(c for c, _p in pairs),
                    ),
                    activities=acts,
                    parent=parent_ids[id(ph)],
                )
                if new:
                    kj = json.dumps(self._key_of(child, r), sort_keys=True)
                    nxt[child.name.lower()].append(self.hits[child.name.lower()][kj])

    def results(self) -> list[RowMatch]:
        out = []
        for tname, hits in sorted(self.hits.items()):
            table = self.tables[tname]
            for h in hits.values():
                out.append(
                    RowMatch(
                        id=_row_id(self.connection, tname, h.key),
                        connection=self.connection,
                        schema=table.schema,
                        table=table.name,
                        key=h.key,
                        activities=sorted(h.activities),
                        status=h.status,
                        confidence=h.confidence,
                        reasons=h.reasons,
                        declared=h.declared,
                        parent=h.parent,
                    )
                )
        return out

    def index_notes(self) -> None:
        """Say when an identifier column has no index (the search reads the whole table)."""
        from sqlalchemy import inspect

        insp = inspect(self.conn)
        for tname in sorted(self.declared):
            table = self.tables[tname]
            try:
                indexed = {
                    next(iter(i["column_names"]))
                    for i in insp.get_indexes(table.name, schema=table.schema)
                    if i.get("column_names")
                }
            except (SQLAlchemyError, NotImplementedError):  # pragma: no cover - exotic dialects
                return
            indexed |= {c.name for c in list(table.primary_key.columns)[:1]}
            for u in table.constraints:
                cols = list(getattr(u, "columns", []))
                if cols and isinstance(u, UniqueConstraint):
                    indexed.add(cols[0].name)
            for probe in self.person.probes:
                for col, _why in self.columns_for(tname, probe.entity, probe.key):
                    if col.name not in indexed and variants(probe, col):
                        self.notes.append(
                            _(
                                "{conn}: no index on {table}.{column}: the search reads the whole table",
                                conn=self.connection,
                                table=tname,
                                column=col.name,
                            )
                        )


def _as_date(v: Any) -> date | None:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    return None


def _row_id(connection: str, table: str, key: Mapping[str, Any]) -> str:
    return match_id("r", connection, table.lower(), dict(key))


def search_database(
    ws: Workspace,
    org_id: int,
    connection: str,
    person: Person,
    locations: Sequence[tuple[Activity, DataLocation]],
    activities: Sequence[Activity],
    notes: list[str],
) -> tuple[list[RowMatch], str]:
    """Every row of one connection holding the person's data; SourceError-like failures raise."""
    engine, base = open_engine(ws, connection)
    schema = ws.settings.connection(connection).schema
    scanned = _scan_columns(ws, org_id, connection)
    try:
        with engine.connect() as conn:
            md = reflect(conn, schema)
            srch = _DbSearch(
                conn, md, connection, schema, person, locations, activities, scanned, notes
            )
            srch.search_identifiers()
            srch.search_names()
            srch.follow()
            srch.index_notes()
            return srch.results(), base
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- files


def file_probes(person: Person) -> list[tuple[str, str, str]]:
    """(entity, key, normalised value) the blind index can be asked about."""
    out: list[tuple[str, str, str]] = []
    for p in person.probes:
        if p.entity and p.entity in STRONG_ENTITIES:
            norm = normalise(p.entity, p.value)
            if norm:
                out.append((p.entity, p.key, norm))
    return out


def _file_location_activities(
    activities: Sequence[Activity], uri: str, root: str | None
) -> list[str]:
    from rgpd.scan.reconcile import path_matches

    outer = uri.split("!", 1)[0]
    return sorted(
        {
            a.ref
            for a in activities
            for loc in a.data_locations
            if loc.kind == "files" and loc.path and path_matches(loc.path, outer, root)
        }
    )


def search_files(
    ws: Workspace,
    org: str,
    person: Person,
    activities: Sequence[Activity],
) -> list[FileMatch]:
    """Files whose blind index holds one of the person's identifiers (no file is read)."""
    from rgpd.scan.findings import lookup_tokens

    found: dict[str, dict[str, Any]] = {}

    def note(uri: str, kind: str, entity: str, n: int, reason: str) -> None:
        d = found.setdefault(
            uri, {"kind": kind, "entities": set(), "occ": 0, "reasons": [], "strong": False}
        )
        d["entities"].add(entity)
        d["occ"] += n
        if reason not in d["reasons"]:
            d["reasons"].append(reason)

    for entity, key, norm in file_probes(person):
        for m in lookup_tokens(ws, org, entity, [ws.keys.blind_index(entity, norm)]):
            if m.kind in ("file", "member"):
                note(m.uri, m.kind, entity, m.occurrences, _("{key} (blind index)", key=key))
                found[m.uri]["strong"] = True
    if person.has_name:
        tok = ws.keys.blind_index(
            Entity.PERSON, normalise(Entity.PERSON, f"{person.first_name} {person.last_name}")
        )
        for m in lookup_tokens(ws, org, Entity.PERSON, [tok]):
            if m.kind in ("file", "member"):
                note(m.uri, m.kind, Entity.PERSON, m.occurrences, _("name (blind index)"))
        if person.birth_date:
            dtok = ws.keys.blind_index(
                Entity.DATE_OF_BIRTH,
                normalise(Entity.DATE_OF_BIRTH, person.birth_date.isoformat()),
            )
            for m in lookup_tokens(ws, org, Entity.DATE_OF_BIRTH, [dtok]):
                if m.uri in found:
                    note(m.uri, m.kind, Entity.DATE_OF_BIRTH, m.occurrences, _("date of birth"))
    roots = _roots(ws, org, list(found))
    out = []
    for uri, d in sorted(found.items()):
        out.append(_file_match(uri, d, activities, roots.get(uri)))
    return out


def _file_match(
    uri: str, d: Mapping[str, Any], activities: Sequence[Activity], root: str | None
) -> FileMatch:
    ents = sorted(d["entities"])
    if d["strong"]:
        status, conf = MatchStatus.CONFIRMED, CONF_STRONG
    elif Entity.DATE_OF_BIRTH in ents:
        status, conf = MatchStatus.TO_CONFIRM, CONF_NAME_DOB_FILE
    else:
        status, conf = MatchStatus.TO_CONFIRM, CONF_NAME_ONLY
    return FileMatch(
        id=match_id("f", uri),
        uri=uri,
        kind=str(d["kind"]),
        activities=_file_location_activities(activities, uri, root),
        status=status,
        confidence=conf,
        reasons=list(d["reasons"]),
        entities=ents,
        occurrences=int(d["occ"]),
        root=root,
    )


def _roots(ws: Workspace, org: str, uris: Sequence[str]) -> dict[str, str | None]:
    from rgpd.scan.findings import uri_hash

    if not uris:
        return {}
    oid = ws.org_id(org)
    out: dict[str, str | None] = {}
    with ws.db.session() as s:
        for part in chunks([uri_hash(u) for u in uris]):
            for uri, root in s.execute(
                select(ScanSourceRow.uri, ScanSourceRow.root).where(
                    ScanSourceRow.org_id == oid, ScanSourceRow.uri_hash.in_(part)
                )
            ).all():
                out[uri] = root
    return out


def _name_pattern(person: Person) -> re.Pattern[str] | None:
    first = [w for w in re.split(r"[\s\-'’]+", _fold(person.first_name)) if w]
    last = [w for w in re.split(r"[\s\-'’]+", _fold(person.last_name)) if w]
    if not first or not last:
        return None
    f = r"[\s\-'’]+".join(map(re.escape, first))
    la = r"[\s\-'’]+".join(map(re.escape, last))
    sep = r"[\s,;.:\t]{1,6}(?:\w+[\s,;.:\t]{1,6})?"  # a middle name, a comma, a cell boundary
    return re.compile(rf"\b(?:{f}{sep}{la}|{la}{sep}{f})\b")


_DATE_RE = re.compile(
    r"\b(\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{2,4}|\d{4}-\d{2}-\d{2}|"
    r"(?:1er|\d{1,2})\s+[a-z]+\.?\s+\d{4})\b"
)


def rescan_names(
    ws: Workspace,
    org: str,
    person: Person,
    activities: Sequence[Activity],
    known: set[str],
    notes: list[str],
    *,
    limit: int = MAX_RESCAN_FILES,
) -> tuple[list[FileMatch], int]:
    """Re-read the files the scans know under the declared locations, looking for the name.

    Names are indexed only where the detector recognised them; this finds the
    others. A name alone never confirms anything: every hit is ``to_confirm``.
    """
    from rgpd.scan.extract import extract
    from rgpd.scan.reconcile import path_matches

    pattern = _name_pattern(person)
    patterns = [
        loc.path for a in activities for loc in a.data_locations if loc.kind == "files" and loc.path
    ]
    if pattern is None or not patterns:
        return [], 0
    oid = ws.org_id(org)
    with ws.db.session() as s:
        rows = s.execute(
            select(ScanSourceRow.uri, ScanSourceRow.root).where(
                ScanSourceRow.org_id == oid,
                ScanSourceRow.kind == "file",
                ScanSourceRow.status != "gone",
            )
        ).all()
    candidates = [
        (uri, root)
        for uri, root in rows
        if uri not in known and any(path_matches(p, uri, root) for p in patterns)
    ]
    if len(candidates) > limit:
        notes.append(
            _("targeted rescan limited to {n} of {total} files", n=limit, total=len(candidates))
        )
        candidates = candidates[:limit]
    dob_iso = person.birth_date.isoformat() if person.birth_date else None
    out: list[FileMatch] = []
    for uri, root in sorted(candidates):
        hits: dict[str, dict[str, Any]] = {}
        try:
            for chunk in extract(uri, on_error=lambda _src, _err: None):
                text = _fold(chunk.text)
                if not pattern.search(text):
                    continue
                src = chunk.source or uri
                d = hits.setdefault(src, {"dob": False, "n": 0})
                d["n"] += len(pattern.findall(text))
                if dob_iso and any(
                    normalise(Entity.DATE_OF_BIRTH, m.group(1)) == dob_iso
                    for m in _DATE_RE.finditer(text)
                ):
                    d["dob"] = True
        except (RgpdError, OSError) as exc:
            notes.append(
                _("rescan: {uri} could not be read ({why})", uri=uri, why=type(exc).__name__)
            )
            continue
        for src, d in hits.items():
            reasons = [_("name (targeted rescan)")]
            ents = [Entity.PERSON.value]
            if d["dob"]:
                reasons.append(_("date of birth"))
                ents.append(Entity.DATE_OF_BIRTH.value)
            out.append(
                FileMatch(
                    id=match_id("f", src),
                    uri=src,
                    kind="member" if "!" in src else "file",
                    activities=_file_location_activities(activities, src, root),
                    status=MatchStatus.TO_CONFIRM,
                    confidence=CONF_NAME_DOB_FILE if d["dob"] else CONF_NAME_ONLY,
                    reasons=reasons,
                    entities=sorted(ents),
                    occurrences=int(d["n"]),
                    root=root,
                )
            )
    return out, len(candidates)


# --------------------------------------------------------------------------- the edge


def concerned_activities(
    all_activities: Sequence[Activity], refs: Sequence[str], notes: list[str] | None = None
) -> list[Activity]:
    """The activities a request names (all of them when it names none)."""
    if not refs:
        return list(all_activities)
    by_ref = {a.ref: a for a in all_activities}
    for r in refs:
        if r not in by_ref and notes is not None:
            notes.append(_("activity {ref} is no longer in the register", ref=r))
    return [by_ref[r] for r in refs if r in by_ref]


def _check_request(record: service.RequestRecord) -> None:
    if record.type not in (
        RequestType.ACCESS,
        RequestType.PORTABILITY,
        RequestType.ERASURE,
        RequestType.RECTIFICATION,
        RequestType.RESTRICTION,
        RequestType.OBJECTION,
    ):
        raise Conflict(
            _(
                "{ref}: a request of type {type} is not answered from the person's data",
                ref=record.reference,
                type=record.type.value,
            )
        )
    if record.state.terminal:
        raise Conflict(
            _("{ref} is closed ({state})", ref=record.reference, state=record.state.value)
        )
    if not record.request.identity_verified:
        raise Conflict(
            _(
                "{ref}: verify the requester first (`rgpd requests verify`): data are only "
                "searched for a verified request (Art. 12(6))",
                ref=record.reference,
            )
        )


def discover(
    ws: Workspace,
    org: str,
    ref: str,
    *,
    rescan: bool = False,
    now: datetime | None = None,
) -> DiscoveryResult:
    """Search everywhere for the person of request ``ref``; store and return the result.

    Databases unreachable or misconfigured do not stop the search: they are
    listed in ``errors`` (the CLI exits 3) and the rest is still stored.
    """
    record = service.get(ws, org, ref, reveal=True)
    _check_request(record)
    assert record.submission is not None
    everything = service.offered_activities(ws, org)
    result = DiscoveryResult(
        reference=record.reference,
        created_at=now or utcnow(),
        activities=list(record.request.activities),
    )
    activities = concerned_activities(everything, record.request.activities, result.notes)
    person = person_from_submission(record.submission, activities)
    oid = ws.org_id(org)
    by_conn: dict[str, list[tuple[Activity, DataLocation]]] = defaultdict(list)
    for a in activities:
        for loc in a.data_locations:
            if loc.kind == "database" and loc.connection:
                by_conn[loc.connection].append((a, loc))
    for name, locs in sorted(by_conn.items()):
        try:
            rows, base = search_database(ws, oid, name, person, locs, activities, result.notes)
        except ConfigError as exc:
            result.errors.append(f"{name}: {exc}")
            continue
        except SQLAlchemyError as exc:
            from rgpd.scan.database import db_message

            result.errors.append(f"{name}: {db_message(exc, [])}")
            continue
        result.rows.extend(rows)
        result.sources[name] = base
    result.files = search_files(ws, org, person, everything)
    if rescan:
        more, n = rescan_names(
            ws, org, person, activities, {f.uri for f in result.files}, result.notes
        )
        result.files.extend(more)
        result.rescanned = n
    result.notes = list(dict.fromkeys(result.notes))
    _store(ws, org, record.reference, result)
    return result


def _store(ws: Workspace, org: str, ref: str, result: DiscoveryResult) -> None:
    from rgpd.storage.request_tables import RequestRow

    actor = service.actor_of(ws)
    with ws.db.session() as s:
        oid = ws.org_id(org)
        req = s.execute(
            select(RequestRow).where(RequestRow.org_id == oid, RequestRow.reference == ref)
        ).scalar_one()
        row = RequestDiscoveryRow(
            request_id=req.id,
            org_id=oid,
            actor=actor[:255],
            summary=result.summary(),
            payload=ws.keys.seal(result.to_json(), discovery_context(req.id)),
        )
        s.add(row)
        s.flush()
        result.id = row.id
        audit.append(
            s,
            action="request.discover",
            entity="request",
            entity_ref=ref,
            actor=actor,
            org=org,
            details={**result.summary(), "discovery": row.id},
        )


def _latest_row(ws: Workspace, org: str, ref: str) -> tuple[int, RequestDiscoveryRow]:
    from rgpd.storage.request_tables import RequestRow

    oid = ws.org_id(org)
    with ws.db.session() as s:
        req = s.execute(
            select(RequestRow).where(
                RequestRow.org_id == oid,
                RequestRow.reference == service.normalise_reference(ref),
            )
        ).scalar_one_or_none()
        if req is None:
            raise NotFound(_("unknown request: {ref}", ref=ref))
        row = s.execute(
            select(RequestDiscoveryRow)
            .where(RequestDiscoveryRow.request_id == req.id, RequestDiscoveryRow.org_id == oid)
            .order_by(RequestDiscoveryRow.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if row is None:
            raise NotFound(_("no discovery for {ref}: run `rgpd requests discover {ref}`", ref=ref))
        s.expunge(row)
        return req.id, row


def load(ws: Workspace, org: str, ref: str) -> DiscoveryResult:
    """The latest stored discovery of a request (opened from its sealed form)."""
    rid, row = _latest_row(ws, org, ref)
    return DiscoveryResult.from_json(ws.keys.open_text(row.payload, discovery_context(rid)), row.id)


def decide(
    ws: Workspace,
    org: str,
    ref: str,
    *,
    confirm: Sequence[str] = (),
    reject: Sequence[str] = (),
) -> DiscoveryResult:
    """The DPO's verdict on matches (by id): only confirmed ones are ever acted on."""
    rid, row = _latest_row(ws, org, ref)
    result = DiscoveryResult.from_json(
        ws.keys.open_text(row.payload, discovery_context(rid)), row.id
    )
    ids = result.by_id()
    unknown = [i for i in [*confirm, *reject] if i not in ids]
    if unknown:
        raise NotFound(_("unknown match id(s): {ids}", ids=", ".join(unknown)))
    both = set(confirm) & set(reject)
    if both:
        raise Conflict(_("confirmed and rejected at once: {ids}", ids=", ".join(sorted(both))))
    for i in confirm:
        ids[i].status = MatchStatus.CONFIRMED
    for i in reject:
        ids[i].status = MatchStatus.REJECTED
    # a dependent row follows its parent's verdict
    changed = {i: ids[i].status for i in [*confirm, *reject]}
    for _pass in range(MAX_DEPTH):
        moved = False
        for r in result.rows:
            if r.parent in changed and r.id not in changed:
                r.status = changed[r.parent]
                changed[r.id] = r.status
                moved = True
        if not moved:
            break
    actor = service.actor_of(ws)
    with ws.db.session() as s:
        db_row = s.get(RequestDiscoveryRow, row.id)
        assert db_row is not None
        db_row.payload = ws.keys.seal(result.to_json(), discovery_context(rid))
        db_row.summary = result.summary()
        audit.append(
            s,
            action="request.discovery_decided",
            entity="request",
            entity_ref=result.reference,
            actor=actor,
            org=org,
            details={"confirmed": len(confirm), "rejected": len(reject), "discovery": row.id},
        )
    return result
