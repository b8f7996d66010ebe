"""Reading what scans stored: findings per source, one source in detail, blind-index lookups.

Used by ``rgpd findings``, by ``rgpd scan files`` to render its result, by the
reports and by citizens' requests (:func:`lookup_tokens` finds every file that
holds a person's e-mail or NIR without rescanning, through the HMAC blind index).
Everything is scoped to one organisation: no query here reads another's rows.

Severity (``--fail-on``) is a fixed, documented mapping from entity type, kept
here so that the CLI, the reports and the cron exit codes agree:

* high: the NIR (its use is restricted by décret n° 2019-341), every Art. 9(1)
  special category and Art. 10 offences, bank details (IBAN, card numbers);
* medium: identity documents and identifiers (ID card, passport, tax number),
  date of birth, phone, e-mail, postal address, vehicle plate, photos, passwords
  and secrets (Art. 32: they open the person's account), income and financial
  situation;
* low: names (PERSON), sex or gender (civil status, like the name), IP addresses,
  SIREN/SIRET (mostly legal persons), and any entity type not listed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import Table, case, null, select
from sqlalchemy.orm import Session

from rgpd.crypto import sha256_hex
from rgpd.errors import NotFound
from rgpd.i18n import _
from rgpd.registry.locations import glob_regex, is_glob, path_covered
from rgpd.storage.db import gc_paused
from rgpd.storage.scan_tables import (
    FindingRow,
    FindingValueRow,
    ScanErrorRow,
    ScanRunRow,
    ScanSourceRow,
    finding_evidence_context,
    seen_run,
)
from rgpd.taxonomy import SPECIAL_ENTITIES, Entity
from rgpd.workspace import Workspace


class Severity(StrEnum):
    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.NONE: 0, Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3}

#: Entity type -> severity; anything absent is ``low`` (see the module docstring).
SEVERITY: dict[str, Severity] = {
    Entity.FR_NIR: Severity.HIGH,
    Entity.IBAN_CODE: Severity.HIGH,
    Entity.CREDIT_CARD: Severity.HIGH,
    **{e.value: Severity.HIGH for e in SPECIAL_ENTITIES},
    Entity.FR_ID_CARD: Severity.MEDIUM,
    Entity.FR_PASSPORT: Severity.MEDIUM,
    Entity.FR_TAX_ID: Severity.MEDIUM,
    Entity.DATE_OF_BIRTH: Severity.MEDIUM,
    Entity.PHONE_NUMBER: Severity.MEDIUM,
    Entity.EMAIL_ADDRESS: Severity.MEDIUM,
    Entity.LOCATION: Severity.MEDIUM,
    Entity.FR_LICENSE_PLATE: Severity.MEDIUM,
    Entity.PHOTO: Severity.MEDIUM,
    Entity.CREDENTIAL: Severity.MEDIUM,
    Entity.FINANCIAL_SITUATION: Severity.MEDIUM,
    Entity.GENDER: Severity.LOW,
    Entity.PERSON: Severity.LOW,
    Entity.IP_ADDRESS: Severity.LOW,
    Entity.URL: Severity.LOW,
    Entity.FR_SIREN: Severity.LOW,
    Entity.FR_SIRET: Severity.LOW,
}


#: How a password column keeps its values that makes its finding high (Art. 32(1)(a)):
#: readable, or under a fast digest a leaked table gives up in minutes.
WEAK_PASSWORD_STORAGE = frozenset({"clear", "weak_hash"})


def severity_of(
    entity_type: str, special_category: bool = False, password_storage: str | None = None
) -> Severity:
    """Severity of a finding; a special-category flag always makes it high (Art. 9(1)),
    and so does a password column kept in clear or under a weak hash (Art. 32(1)(a))."""
    if special_category or (
        entity_type == Entity.CREDENTIAL and password_storage in WEAK_PASSWORD_STORAGE
    ):
        return Severity.HIGH
    return SEVERITY.get(entity_type, Severity.LOW)


def stored_uri(uri: str) -> str:
    """The form a source is stored under: files by absolute path, databases as given.

    A database column (``postgresql://host/db#schema.table.column``) is no path: made
    absolute it would never match. Archive members keep their ``!member`` part.
    """
    import os

    if "://" in uri:
        return uri
    container, bang, member = uri.partition("!")
    return os.path.abspath(container) + bang + member


def uri_hash(uri: str) -> str:
    """Key of a source: a path can be longer than MariaDB indexes, its digest cannot."""
    return sha256_hex(uri)


@dataclass(frozen=True)
class FindingRecord:
    """One (source, entity type) as stored: masked evidence only."""

    source: str
    source_kind: str
    source_status: str
    entity_type: str
    count: int
    score: float
    special_category: bool
    evidence: list[str]
    locations: list[dict[str, Any]]
    last_run_id: int | None
    has_sealed_evidence: bool = False
    root: str | None = None  # the scanned root (files) or connection name (databases)

    @property
    def severity(self) -> Severity:
        return severity_of(self.entity_type, self.special_category, self.password_storage)

    @property
    def password_storage(self) -> str | None:
        """How a password column keeps its values (``clear``, ``weak_hash``, ``hashed``...).

        Stored by the database scan with the column's location (Art. 32(1)(a)); None for
        any other finding.
        """
        return stored_password_storage(self.locations)

    def public(self) -> dict[str, Any]:
        """The ``--format jsonl`` object: a public contract, see docs/jsonl-format.md."""
        return {
            "source": self.source,
            "entity_type": self.entity_type,
            "count": self.count,
            "score": round(self.score, 3),
            "special_category": self.special_category,
            "severity": self.severity.value,
            "evidence": list(self.evidence),
            "locations": list(self.locations),
        }


@dataclass(frozen=True)
class ErrorRecord:
    source: str
    reason: str
    message: str
    run_id: int
    at: datetime


@dataclass(frozen=True)
class SourceDetail:
    uri: str
    kind: str
    status: str
    size: int | None
    modified_at: datetime | None
    content_hash: str | None
    last_scanned_at: datetime | None
    last_run_id: int | None  # the last run that saw it (read it or met it unchanged)
    findings: list[FindingRecord]
    errors: list[ErrorRecord] = field(default_factory=list)


@dataclass(frozen=True)
class SourceMatch:
    """A source whose blind index holds at least one of the looked-up tokens."""

    uri: str
    kind: str
    status: str
    entity_type: str
    occurrences: int
    tokens: frozenset[str]


#: Core tables, not ORM entities: the ORM's row loading was a third of listing a
#: 10,000-file share's findings (a rescan's summary).
_SRC = cast(Table, ScanSourceRow.__table__)
_FND = cast(Table, FindingRow.__table__)
_FROM = _FND.join(_SRC, _SRC.c.id == _FND.c.source_id)
_RECORD_COLUMNS = (
    _SRC.c.uri,
    _SRC.c.kind,
    _SRC.c.status,
    _FND.c.entity_type,
    _FND.c.count,
    _FND.c.score,
    _FND.c.special_category,
    _FND.c.evidence,
    _FND.c.locations,
    _FND.c.last_run_id,
    _FND.c.sealed_evidence.is_not(None),
    _SRC.c.root,
)


def _record(row: Any) -> FindingRecord:
    """A row of ``_RECORD_COLUMNS`` (plain columns: loading ORM objects costs 3x more).

    Built without the frozen dataclass's ``__init__`` (one ``object.__setattr__`` per
    field): listing a 10,000-file share's 14,000 findings after a rescan took 0.08 s
    in it alone. The fields are the dataclass's own, in its order (tested).
    """
    uri, kind, status, et, count, score, special, evidence, locations, run, sealed, root = row
    rec = object.__new__(FindingRecord)
    rec.__dict__.update(
        source=uri,
        source_kind=kind,
        source_status=status,
        entity_type=et,
        count=count,
        score=score,
        special_category=bool(special),
        evidence=list(evidence or []),
        locations=list(locations or []),
        last_run_id=run,
        has_sealed_evidence=bool(sealed),
        root=root,
    )
    return rec


def stored_password_storage(locations: Iterable[Any] | None) -> str | None:
    """How a password column keeps its values, as the database scan stored it with the
    column's finding (``rgpd.scan.database``), or None: the one reader of it, behind
    :attr:`FindingRecord.password_storage`, the briefs and the reconciliation."""
    for loc in locations or ():
        got = loc.get("password_storage") if isinstance(loc, dict) else None
        if isinstance(got, dict) and got.get("storage"):
            return str(got["storage"])
    return None


@dataclass(slots=True)
class FindingBrief:
    """What a summary counts of one finding: no evidence, no locations.

    A rescan's summary (:class:`FindingsTally`) reads every finding of the share, and
    decoding each one's evidence and locations JSON was a third of that pass; the
    severity, the one thing the locations tell a summary (a password column's storage,
    Art. 32(1)(a)), is worked out from them when the brief is read, for credentials only.
    """

    source: str
    root: str | None
    entity_type: str
    count: int
    special_category: bool
    severity: Severity


#: The columns of a brief: a credential's locations only (its password storage).
_BRIEF_COLUMNS = (
    _SRC.c.uri,
    _SRC.c.root,
    _FND.c.entity_type,
    _FND.c.count,
    _FND.c.special_category,
    case((_FND.c.entity_type == Entity.CREDENTIAL.value, _FND.c.locations), else_=null()),
)


def _brief(row: Any) -> FindingBrief:
    uri, root, et, count, special, locations = row
    special = bool(special)
    storage = stored_password_storage(locations) if locations else None
    return FindingBrief(uri, root, et, count, special, severity_of(et, special, storage))


def path_matches(uri: str, pattern: str, root: str | None = None) -> bool:
    """``--path`` filter: the register's location rules (:mod:`rgpd.registry.locations`).

    A file source is selected when ``pattern``, read as a declared files location,
    covers it (``**`` crosses folders, ``*`` does not; a relative pattern is read
    under the source's scanned ``root``; an archive's members go with it). A
    database source (``dialect://host/db#table.column``) by a glob on its URI or a
    URI prefix.
    """
    if "#" in uri:
        if is_glob(pattern):
            return bool(glob_regex(pattern).match(uri))
        prefix = pattern.rstrip("/")
        return uri == prefix or uri.startswith(prefix + "#") or uri.startswith(prefix + ".")
    return path_covered(pattern, uri, root)


def under_roots(uri: str, roots: Sequence[str]) -> bool:
    """Inside one of ``roots`` (folders or files; never globs: "[2019]" is a folder name)."""
    for r in roots:
        prefix = r.rstrip("/") or "/"
        if (
            uri == prefix
            or uri.startswith(prefix.rstrip("/") + "/")
            or uri.startswith(prefix + "!")
        ):
            return True
    return False


def _current(
    columns: Sequence[Any], org_id: int, entity: str | None = None, special: bool | None = None
) -> Any:
    """The organisation's findings on sources that still exist, sorted by source."""
    q = (
        select(*columns)
        .select_from(_FROM)
        .where(_FND.c.org_id == org_id, _SRC.c.org_id == org_id)
        .where(_SRC.c.status != "gone")
    )
    if entity:
        q = q.where(_FND.c.entity_type == entity)
    if special is not None:
        q = q.where(_FND.c.special_category == special)
    return q.order_by(_SRC.c.uri, _FND.c.entity_type)


_T = TypeVar("_T")


def _batches(s: Session, q: Any, make: Callable[[Any], _T], batch: int = 5000) -> Iterator[_T]:
    """``make(row)`` for each row of ``q``, read and built ``batch`` rows at a time."""
    rows = iter(s.execute(q.execution_options(yield_per=batch)).partitions())
    while True:
        with gc_paused():  # a batch of rows becoming objects: no cycle to collect
            part = next(rows, None)
            if part is None:
                return
            built = [make(row) for row in part]
        yield from built


def _findings_query(
    s: Session, org_id: int, entity: str | None, special: bool | None, batch: int = 5000
) -> Iterator[FindingRecord]:
    return _batches(s, _current(_RECORD_COLUMNS, org_id, entity, special), _record, batch)


def iter_finding_briefs(
    ws: Workspace,
    org: str,
    entity: str | None = None,
    special: bool | None = None,
    path_glob: str | None = None,
    *,
    roots: Sequence[str] | None = None,
) -> Iterator[FindingBrief]:
    """:func:`iter_findings` as :class:`FindingBrief`: what a summary counts (the findings,
    their sources, severities and groups) without the evidence and locations it never
    shows. Same filters, same findings, same order (tested)."""
    return _stream(ws, org, _BRIEF_COLUMNS, _brief, entity, special, path_glob, roots)


def iter_findings(
    ws: Workspace,
    org: str,
    entity: str | None = None,
    special: bool | None = None,
    path_glob: str | None = None,
    *,
    roots: Sequence[str] | None = None,
) -> Iterator[FindingRecord]:
    """:func:`list_findings`, streamed: read from the database by batches as they are used.

    A five-million-file share holds millions of findings, more than a list of them fits
    in memory; a summary, ``--fail-on`` and ``--format jsonl`` need one pass only. The
    database is read until the iterator is exhausted or closed.
    """
    return _stream(ws, org, _RECORD_COLUMNS, _record, entity, special, path_glob, roots)


_C = TypeVar("_C", FindingRecord, FindingBrief)


def _stream(
    ws: Workspace,
    org: str,
    columns: Sequence[Any],
    make: Callable[[Any], _C],
    entity: str | None,
    special: bool | None,
    path_glob: str | None,
    roots: Sequence[str] | None,
) -> Iterator[_C]:
    """The filters both streams share: those SQL takes, then the path rules (Python)."""
    oid = ws.org_id(org)
    with ws.db.session() as s:
        for f in _batches(s, _current(columns, oid, entity, special), make):
            if path_glob and not path_matches(f.source, path_glob, f.root):
                continue
            if roots is not None and not under_roots(f.source, roots):
                continue
            yield f


def list_findings(
    ws: Workspace,
    org: str,
    entity: str | None = None,
    special: bool | None = None,
    path_glob: str | None = None,
    *,
    roots: Sequence[str] | None = None,
) -> list[FindingRecord]:
    """Current findings of the organisation's sources that still exist, sorted by source.

    ``path_glob`` is a glob on the source URI (``*/RH/*``) or a folder prefix;
    ``roots`` restricts to sources under any of these folders (a scan's paths).
    """
    return list(iter_findings(ws, org, entity, special, path_glob, roots=roots))


def show_source(ws: Workspace, org: str, uri: str) -> SourceDetail:
    """One source with its findings and the errors recorded for it (newest first)."""
    oid = ws.org_id(org)
    with ws.db.session() as s:
        found = s.execute(
            select(ScanSourceRow, seen_run()).where(
                ScanSourceRow.org_id == oid, ScanSourceRow.uri_hash == uri_hash(uri)
            )
        ).one_or_none()
        if found is None:
            raise NotFound(_("no scanned source {uri}", uri=uri))
        src, last_seen = found
        rows = s.execute(
            select(*_RECORD_COLUMNS)
            .select_from(_FROM)
            .where(_FND.c.source_id == src.id, _FND.c.org_id == oid)
            .order_by(_FND.c.entity_type)
        )
        findings = [_record(r) for r in rows]
        errs = s.execute(
            select(ScanErrorRow)
            .where(ScanErrorRow.org_id == oid, ScanErrorRow.source == uri)
            .order_by(ScanErrorRow.id.desc())
            .limit(20)
        ).scalars()
        errors = [ErrorRecord(e.source, e.reason, e.message, e.run_id, e.at) for e in errs]
        return SourceDetail(
            uri=src.uri,
            kind=src.kind,
            status=src.status,
            size=src.size,
            modified_at=src.modified_at,
            content_hash=src.content_hash,
            last_scanned_at=src.last_scanned_at,
            last_run_id=last_seen,
            findings=findings,
            errors=errors,
        )


def lookup_tokens(ws: Workspace, org: str, entity: str, tokens: Iterable[str]) -> list[SourceMatch]:
    """Sources holding any of ``tokens`` for ``entity``.

    A token is ``ws.keys.blind_index(entity, normalise(entity, value))`` (see
    :func:`token_for`); sources that are gone are left out, since the data is no
    longer there to give access to or to erase.
    """
    wanted = sorted(set(tokens))
    if not wanted:
        return []
    oid = ws.org_id(org)
    found: dict[int, tuple[ScanSourceRow, int, set[str]]] = {}
    with ws.db.session() as s:
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            q = (
                select(FindingValueRow, ScanSourceRow)
                .join(ScanSourceRow, ScanSourceRow.id == FindingValueRow.source_id)
                .where(
                    FindingValueRow.org_id == oid,
                    ScanSourceRow.org_id == oid,
                    FindingValueRow.entity_type == entity,
                    FindingValueRow.token.in_(part),
                    ScanSourceRow.status != "gone",
                )
            )
            for fv, src in s.execute(q).all():
                _, n, toks = found.get(src.id, (src, 0, set()))
                toks.add(fv.token)
                found[src.id] = (src, n + fv.count, toks)
    return sorted(
        (
            SourceMatch(src.uri, src.kind, src.status, entity, n, frozenset(toks))
            for src, n, toks in found.values()
        ),
        key=lambda m: m.uri,
    )


def token_for(ws: Workspace, entity: str, value: str) -> str | None:
    """Blind-index token of a value typed by a person; None when it cannot be normalised."""
    from rgpd.masking import normalise

    norm = normalise(entity, value)
    return ws.keys.blind_index(entity, norm) if norm else None


def lookup_values(ws: Workspace, org: str, entity: str, values: Iterable[str]) -> list[SourceMatch]:
    """:func:`lookup_tokens` for clear values (a request's e-mail, NIR...), never stored."""
    tokens = [t for t in (token_for(ws, entity, v) for v in values) if t]
    return lookup_tokens(ws, org, entity, tokens)


def reveal_evidence(ws: Workspace, org: str, uri: str, entity: str) -> list[str]:
    """Raw samples kept with ``--keep-evidence``, for the DPO; the read is audited."""
    import json

    from rgpd import audit

    oid = ws.org_id(org)
    with ws.db.session() as s:
        row = s.execute(
            select(FindingRow)
            .join(ScanSourceRow, ScanSourceRow.id == FindingRow.source_id)
            .where(
                ScanSourceRow.org_id == oid,
                ScanSourceRow.uri_hash == uri_hash(uri),
                FindingRow.entity_type == entity,
            )
        ).scalar_one_or_none()
        if row is None or row.sealed_evidence is None:
            raise NotFound(_("no kept evidence for {entity} in {uri}", entity=entity, uri=uri))
        plain = ws.keys.open_text(
            row.sealed_evidence, finding_evidence_context(row.source_id, row.entity_type)
        )
        audit.append(
            s,
            action="reveal",
            entity="finding",
            entity_ref=str(row.id),
            actor=ws.actor,
            org=org,
            details={"entity_type": entity, "source_hash": uri_hash(uri)},
        )
    values: list[str] = json.loads(plain)
    return values


def last_run(ws: Workspace, org: str, kind: str = "files") -> ScanRunRow | None:
    oid = ws.org_id(org)
    with ws.db.session() as s:
        return s.execute(
            select(ScanRunRow)
            .where(ScanRunRow.org_id == oid, ScanRunRow.kind == kind)
            .order_by(ScanRunRow.id.desc())
            .limit(1)
        ).scalar_one_or_none()


@dataclass(frozen=True)
class FindingGroup:
    """Findings sharing an entity type or a folder: one line of ``findings list``'s summary."""

    key: str  # the entity type, or the folder from the share (``partage/RH``)
    severity: Severity  # the worst of the group
    sources: int
    occurrences: int
    special: bool
    others: tuple[str, ...]  # folders of an entity group, entity types of a folder group


def group_findings(findings: Iterable[_Counted], *, by: str = "entity") -> list[FindingGroup]:
    """Findings counted by ``entity`` type or by ``folder`` (first folder under the share).

    Hundreds of (file, entity) lines say less than "NIR: 12 files in partage/RH"
    (issue 12); the lines stay one ``--details`` (or ``--format jsonl``) away.
    One pass, holding the groups only: ``findings`` may be a stream (:func:`iter_findings`),
    sorted by source as the listings give them (a source's findings counted as one source).
    """
    groups = FindingGroups(by)
    for f in findings:
        groups.add(f)
    return groups.result()


class _Counted(Protocol):
    """What a summary reads of a finding: a :class:`FindingRecord` or a :class:`FindingBrief`."""

    @property
    def source(self) -> str: ...
    @property
    def root(self) -> str | None: ...
    @property
    def entity_type(self) -> str: ...
    @property
    def count(self) -> int: ...
    @property
    def special_category(self) -> bool: ...
    @property
    def severity(self) -> Severity: ...


class FindingGroups:
    """The accumulator behind :func:`group_findings`, for a caller that makes its own pass."""

    def __init__(self, by: str = "entity") -> None:
        if by not in ("entity", "folder"):
            raise ValueError(by)
        self.by = by
        # key -> [worst severity, sources, occurrences, special, others, last source]
        self._acc: dict[str, list[Any]] = {}
        self._folders: dict[tuple[str, str | None], str] = {}

    def add(self, f: _Counted, severity: Severity | None = None) -> None:
        """``severity``: ``f.severity`` when the caller has it already (a record's reads
        the locations of a column's finding)."""
        if "#" in f.source:  # a database column: its connection and table
            conn, _sep, column = f.source.partition("#")
            folder = f"{f.root or conn} · {column.rsplit('.', 1)[0]}"
        else:
            folder = self._folder(f.source, f.root)
        key, other = (f.entity_type, folder) if self.by == "entity" else (folder, f.entity_type)
        acc = self._acc.get(key)
        if acc is None:
            acc = self._acc[key] = [Severity.NONE, 0, 0, False, set(), None]
        sev = f.severity if severity is None else severity
        if sev.rank > acc[0].rank:
            acc[0] = sev
        if f.source != acc[5]:  # sources come sorted: a new one is a change, no set of them
            acc[1] += 1
            acc[5] = f.source
        acc[2] += f.count
        acc[3] = acc[3] or f.special_category
        acc[4].add(other)

    def _folder(self, source: str, root: str | None) -> str:
        """``share_folder``, asked once per directory: it reads the file's folder only."""
        from rgpd.registry.locations import share_folder

        container = source.split("!", 1)[0]
        cut = container.rfind("/")
        where = (container[:cut] if cut > 0 and "\\" not in container else container, root)
        got = self._folders.get(where)
        if got is None:
            got = self._folders[where] = share_folder(source, root)
        return got

    def result(self) -> list[FindingGroup]:
        out = [
            FindingGroup(
                key=key,
                severity=sev,
                sources=sources,
                occurrences=occurrences,
                special=special,
                others=tuple(sorted(others)),
            )
            for key, (sev, sources, occurrences, special, others, _last) in self._acc.items()
        ]
        return sorted(out, key=lambda g: (-g.severity.rank, -g.sources, g.key))


class FindingsTally:
    """What a scan's summary says of its findings, counted as they stream by (one pass,
    holding the groups only): findings, distinct sources, those at or above ``fail_on``
    (as :func:`at_or_above`), and the groups by entity type. Sorted by source, as listed."""

    def __init__(self, fail_on: str = "none") -> None:
        self.findings = 0
        self.sources = 0
        self.tripped = 0
        self.groups = FindingGroups("entity")
        self._last: str | None = None
        self._trips = trip_rank(fail_on)

    def add(self, f: _Counted) -> None:
        self.findings += 1
        if f.source != self._last:
            self.sources += 1
            self._last = f.source
        severity = f.severity
        if self._trips is not None and severity.rank >= self._trips:
            self.tripped += 1
        self.groups.add(f, severity)


def worst_severity(findings: Iterable[FindingRecord]) -> Severity:
    worst = Severity.NONE
    for f in findings:
        if f.severity.rank > worst.rank:
            worst = f.severity
    return worst


class _Graded(Protocol):
    @property
    def entity_type(self) -> str: ...
    @property
    def special_category(self) -> bool: ...
    @property
    def severity(self) -> Severity: ...


_F = TypeVar("_F", bound=_Graded)


def trip_rank(threshold: str) -> int | None:
    """The lowest severity rank that trips ``--fail-on threshold``; ``none`` never trips."""
    level = Severity(threshold)
    return None if level is Severity.NONE else level.rank


def at_or_above(findings: Iterable[_F], threshold: str) -> list[_F]:
    """Findings (file or column) that trip ``--fail-on threshold`` (:func:`trip_rank`)."""
    rank = trip_rank(threshold)
    if rank is None:
        return []
    return [f for f in findings if f.severity.rank >= rank]
