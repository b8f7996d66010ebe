"""Database search: declared tables, parameterised equality queries, foreign keys followed."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
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
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from rgpd.i18n import _
from rgpd.masking import normalise
from rgpd.registry.locations import table_covered
from rgpd.registry.model import Activity, DataLocation
from rgpd.requests.discovery.result import MatchStatus, RowMatch
from rgpd.requests.discovery.values import (
    as_date,
    chunks,
    is_date,
    is_text,
    jsonable,
    key_clause,
    match_id,
    same_value,
    variants,
)
from rgpd.requests.person import CONF_NAME_DOB_ROW, CONF_NAME_ONLY, Person, fold
from rgpd.scan.columns import name_signal
from rgpd.storage.scan_tables import FindingRow, ScanSourceRow
from rgpd.taxonomy import Entity
from rgpd.workspace import Workspace

#: Foreign-key hops followed from a matched row.
MAX_DEPTH = 6


#: Rows one probe may return before it is considered too vague to be one person.
MAX_ROWS_PER_PROBE = 1000


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


def bare_table(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower()


def declared_tables(declared: str | None, tables: Iterable[str], schema: str | None) -> list[str]:
    """The reflected tables (bare, lower-case names) a declared ``table`` covers.

    The register's one rule, :func:`rgpd.registry.locations.table_covered` (globs,
    ``schema.table``, case); ``schema``: the one the tables were reflected from.
    """
    return [n for n in tables if table_covered(declared, schema, n)]


def reverse_fks(md: MetaData) -> dict[str, list[tuple[Table, list[tuple[str, str]]]]]:
    """Parent table → tables referencing it, with (child column, parent column) pairs."""
    out: dict[str, list[tuple[Table, list[tuple[str, str]]]]] = defaultdict(list)
    for t in md.tables.values():
        for fk in t.foreign_key_constraints:
            pairs = [(e.parent.name, e.column.name) for e in fk.elements]
            out[fk.referred_table.name.lower()].append((t, pairs))
    return out


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


def scan_columns(ws: Workspace, org_id: int, connection: str) -> dict[str, dict[str, set[str]]]:
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
            names = declared_tables(
                loc.table, self.tables, schema or conn.dialect.default_schema_name
            )
            if loc.table and not names:
                self.notes.append(
                    _(
                        "{conn}: table {table} declared by {activity} does not exist",
                        conn=connection,
                        table=loc.table,
                        activity=act.ref,
                    )
                )
            for n in names:
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
                    self.register_cols[k].append((bare_table(table), col))

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
            names = [c for c in names if is_text(c)]
            if not names:
                continue
            dobs = [c for c in self._entity_columns(tname, Entity.DATE_OF_BIRTH) if is_date(c)]
            cols = [*self._needed(table), *names, *dobs]
            cols = list({c.name: c for c in cols}.values())
            if p.birth_date and dobs:
                cond = or_(*(d == p.birth_date for d in dobs))
            else:
                # the usual casings, as equality: an index on the name column is used
                spellings = [last, last.upper(), last.lower(), last.title(), fold(last)]
                spellings += [fold(x).upper() for x in spellings[:1]] + [fold(last).title()]
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
                    as_date(r[d.name]) == p.birth_date for d in dobs
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
                    if child.name.lower() == ptable:
                        # a row of the same table (a family whose "responsable" is the
                        # person) is another person's row, not the person's dependant:
                        # erasure keeps the person's row pseudonymised so that link holds
                        continue
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
        parent_ids = {id(h): row_id(self.connection, ptable, h.key) for h in by_value.values()}
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
                        id=row_id(self.connection, tname, h.key),
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


def row_id(connection: str, table: str, key: Mapping[str, Any]) -> str:
    return match_id("r", connection, table.lower(), dict(key))


#: Stands for the rows of a referencing table without a primary key (they cannot be named).
UNKEYED = "?"


def referencing_rows(
    conn: Connection, md: MetaData, connection: str, rows: Sequence[RowMatch]
) -> dict[str, set[str]]:
    """Row id → ids of *every* row that references it through a foreign key, found or not.

    Erasure deletes a row only when all of these are deleted too: otherwise a
    RESTRICT fails, a CASCADE deletes someone else's row, a SET NULL changes
    it. A referencing table without a primary key answers :data:`UNKEYED`.
    """
    tables = tables_by_name(md)
    reverse = reverse_fks(md)
    by_table: dict[str, list[RowMatch]] = defaultdict(list)
    for r in rows:
        by_table[r.table.lower()].append(r)
    out: dict[str, set[str]] = defaultdict(set)
    for tname, rs in sorted(by_table.items()):
        table = tables.get(tname)
        refs = reverse.get(tname, [])
        if table is None or not refs or not table.primary_key.columns:
            continue
        pk = [c.name for c in table.primary_key.columns]
        wanted = list(dict.fromkeys([*pk, *(p for _t, pairs in refs for _c, p in pairs)]))
        parents: list[tuple[str, Mapping[str, Any]]] = []
        for part in chunks([r.key for r in rs]):
            q = select(*[table.c[n] for n in wanted]).where(key_clause(table, part))
            for prec in conn.execute(q).mappings():
                key = {n: jsonable(prec[n]) for n in pk}
                parents.append((row_id(connection, tname, key), dict(prec)))
        for child, pairs in refs:
            by_value: dict[tuple[str, ...], list[str]] = defaultdict(list)
            for pid, rec in parents:
                vals = [rec[p] for _c, p in pairs]
                if all(v is not None for v in vals):
                    by_value[tuple(str(v) for v in vals)].append(pid)
            if not by_value:
                continue
            ccols = [child.c[c] for c, _p in pairs]
            ckey = [c.name for c in child.primary_key.columns]
            cols = list({c.name: c for c in [*(child.c[n] for n in ckey), *ccols]}.values())
            values = [[rec[p] for _c, p in pairs] for _pid, rec in parents]
            values = [v for v in values if all(x is not None for x in v)]
            for part in chunks(values):
                cond: Any
                if len(ccols) == 1:
                    cond = ccols[0].in_([v[0] for v in part])
                else:
                    cond = or_(
                        *(and_(*(c == x for c, x in zip(ccols, v, strict=True))) for v in part)
                    )
                for crec in conn.execute(select(*cols).where(cond)).mappings():
                    cid = (
                        row_id(connection, child.name, {n: jsonable(crec[n]) for n in ckey})
                        if ckey
                        else UNKEYED
                    )
                    for pid in by_value.get(tuple(str(crec[c.name]) for c in ccols), []):
                        if cid != pid:
                            out[pid].add(cid)
    return dict(out)


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
    scanned = scan_columns(ws, org_id, connection)
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
