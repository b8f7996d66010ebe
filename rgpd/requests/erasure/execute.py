"""Executing a stored erasure plan: one transaction per database, children before parents."""

from __future__ import annotations

import contextlib
import json
import os
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, MetaData, Table, delete, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from rgpd import audit
from rgpd.crypto import sha256_hex
from rgpd.errors import Conflict, InvalidInput, NotFound, PartialFailure
from rgpd.i18n import _, _n
from rgpd.masking import normalise
from rgpd.registry.model import (
    ErasureAction,
)
from rgpd.requests import discovery as disc
from rgpd.requests import service
from rgpd.requests.erasure.plan import (
    ART_BASIS,
    FileAction,
    RecipientToInform,
    RowAction,
    build_plan,
    stored_plan,
)
from rgpd.requests.person import REDACTED
from rgpd.storage.db import utcnow
from rgpd.storage.fulfil_tables import RequestFulfilmentRow
from rgpd.taxonomy import Entity
from rgpd.workspace import Workspace


@dataclass
class TableProof:
    """Counts only: what the audit log keeps of one table's change."""

    table: str
    total_before: int
    total_after: int
    person_before: int
    person_after: int
    deleted: int = 0
    updated: int = 0


@dataclass
class SourceOutcome:
    connection: str
    uri: str
    status: str  # done | skipped | failed
    tables: list[TableProof] = field(default_factory=list)
    error: str | None = None  # for the DPO's screen: a driver message may quote a value
    error_kind: str | None = None  # for the audit log: connection_lost, timeout, error...


@dataclass
class Outcome:
    """What ``execute`` did, source by source, and what is left to do by hand."""

    kind: str
    reference: str
    sources: list[SourceOutcome] = field(default_factory=list)
    files_deleted: int = 0
    files_redacted: int = 0
    files_pending: int = 0  # planned file changes not confirmed
    manual: list[str] = field(default_factory=list)  # match ids to handle by hand
    recorded: int = 0  # restriction recorded without a column to mark
    recipients: list[RecipientToInform] = field(default_factory=list)
    letter: Path | None = None

    @property
    def failed(self) -> list[SourceOutcome]:
        return [s for s in self.sources if s.status == "failed"]

    def public(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "reference": self.reference,
            "sources": [
                {
                    "connection": s.connection,
                    "status": s.status,
                    "error": s.error,
                    "tables": [asdict(t) for t in s.tables],
                }
                for s in self.sources
            ],
            "files_deleted": self.files_deleted,
            "files_redacted": self.files_redacted,
            "files_pending": self.files_pending,
            "manual": len(self.manual),
            "recorded": self.recorded,
            "recipients": [asdict(r) for r in self.recipients],
            "letter": str(self.letter) if self.letter else None,
        }


def pseudonym(
    ws: Workspace,
    connection: str,
    table: str,
    key: Mapping[str, Any],
    column: str,
    length: int | None,
) -> str:
    """A stable pseudonym: the same row and column always get the same one (idempotent re-runs).

    Keyed (never a bare hash of the row key, which anyone could recompute) under its own
    purpose, so a pseudonym can never be compared with a blind-index token.
    """
    mac = ws.keys.keyed_digest(
        "erasure-pseudonym",
        json.dumps(
            [connection, table.lower(), dict(key), column.lower()], sort_keys=True, default=str
        ),
    )
    value = f"anon-{mac[:12]}"
    if length is not None and length < len(value):
        value = mac[: max(1, length)]
    return value


def _person_count(conn: Connection, table: Table, keys: Sequence[Mapping[str, Any]]) -> int:
    n = 0
    for part in disc.chunks(list(keys)):
        n += int(
            conn.execute(
                select(func.count()).select_from(table).where(disc.key_clause(table, part))
            ).scalar_one()
        )
    return n


def _total(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def delete_order(md: MetaData) -> list[str]:
    """Table names (lower case), every referencing table before the tables it references.

    Transitive through the foreign keys (grandchildren before children before
    parents). A self-reference is ordered row by row (:func:`_self_order`); a
    cycle between tables keeps going with the member that has the fewest
    pending children, whose deletes then rely on ON DELETE rules.
    """
    graph: dict[str, set[str]] = {}
    for t in md.tables.values():
        name = t.name.lower()
        graph.setdefault(name, set())
        for fk in t.foreign_key_constraints:
            parent = fk.referred_table.name.lower()
            if parent != name:
                graph.setdefault(parent, set()).add(name)  # the parent waits for its child
    try:
        return list(TopologicalSorter(graph).static_order())
    except CycleError:
        done: list[str] = []
        pending = dict(graph)
        while pending:
            ready = sorted(n for n, kids in pending.items() if not (kids & pending.keys()))
            if not ready:  # a cycle: take the one with fewest pending children
                ready = [min(pending, key=lambda n: (len(pending[n] & pending.keys()), n))]
            for n in ready:
                done.append(n)
                del pending[n]
        return done


def _self_order(
    conn: Connection, table: Table, keys: Sequence[Mapping[str, Any]]
) -> list[list[Mapping[str, Any]]]:
    """Rows of a self-referencing table in waves: a row goes before the rows it references.

    MariaDB checks a foreign key row by row inside one statement, so a row and
    the row it points to are deleted in two statements, the referencing first.
    """
    selfs = [fk for fk in table.foreign_key_constraints if fk.referred_table is table]
    pk = [c.name for c in table.primary_key.columns]
    if not selfs or len(keys) < 2 or not pk:
        return [list(keys)]
    cols = {c.name for fk in selfs for e in fk.elements for c in (e.parent, e.column)}
    recs: dict[str, tuple[Mapping[str, Any], dict[str, Any]]] = {}
    for part in disc.chunks(list(keys)):
        q = select(*[table.c[n] for n in sorted(cols | set(pk))]).where(
            disc.key_clause(table, part)
        )
        for found in conn.execute(q).mappings():
            key = {n: disc.jsonable(found[n]) for n in pk}
            recs[json.dumps(key, sort_keys=True)] = (key, dict(found))
    # which row of the set each row references
    target: dict[tuple[str, ...], str] = {}
    for k, (_key, rec) in recs.items():
        for i, fk in enumerate(selfs):
            target[(str(i), *(str(rec[e.column.name]) for e in fk.elements))] = k
    waits: dict[str, set[str]] = {k: set() for k in recs}  # k must wait for these rows
    for k, (_key, rec) in recs.items():
        for i, fk in enumerate(selfs):
            vals = [rec[e.parent.name] for e in fk.elements]
            if any(v is None for v in vals):
                continue
            ref = target.get((str(i), *(str(v) for v in vals)))
            if ref is not None and ref != k:
                waits[ref].add(k)
    waves: list[list[Mapping[str, Any]]] = []
    while waits:
        ready = [k for k, w in waits.items() if not (w & waits.keys())] or list(waits)
        waves.append([recs[k][0] for k in sorted(ready)])
        for k in ready:
            del waits[k]
    return waves


def run_source(
    ws: Workspace,
    connection: str,
    rows: Sequence[RowAction],
    apply: Callable[
        [Connection, dict[str, Table], Sequence[RowAction]], dict[str, tuple[int, int]]
    ],
) -> SourceOutcome:
    """One transaction on one database: counts before, changes, counts after, commit.

    Any failure — a constraint, a statement timeout, the connection killed —
    leaves the transaction uncommitted, which the server rolls back whole.
    """
    engine, base = disc.open_engine(ws, connection, write=True)
    out = SourceOutcome(connection, base, "failed")
    try:
        with engine.connect() as conn:
            trans = conn.begin()
            try:
                md = disc.reflect(conn, ws.settings.connection(connection).schema)
                tables = disc.tables_by_name(md)
                by_table: dict[str, list[RowAction]] = defaultdict(list)
                for r in rows:
                    by_table[r.table.lower()].append(r)
                missing = [t for t in by_table if t not in tables]
                if missing:
                    raise InvalidInput(
                        "plan", _("tables no longer exist: {t}", t=", ".join(missing))
                    )
                before = {
                    t: (
                        _total(conn, tables[t]),
                        _person_count(conn, tables[t], [r.key for r in rs]),
                    )
                    for t, rs in by_table.items()
                }
                changed = apply(conn, tables, rows)
                for t, rs in sorted(by_table.items()):
                    d, u = changed.get(t, (0, 0))
                    out.tables.append(
                        TableProof(
                            t, before[t][0], _total(conn, tables[t]), before[t][1],
                            _person_count(conn, tables[t], [r.key for r in rs]), d, u,
                        )
                    )  # fmt: skip
                trans.commit()
                out.status = "done"
            except BaseException:
                # the connection may be gone: then the server rolled back already
                with contextlib.suppress(SQLAlchemyError):
                    trans.rollback()
                raise
    except (SQLAlchemyError, InvalidInput) as exc:
        if isinstance(exc, SQLAlchemyError):
            from rgpd.scan.database import db_failure_reason, db_message

            out.error, out.error_kind = db_message(exc, []), db_failure_reason(exc)
        else:
            out.error, out.error_kind = str(exc), "invalid_plan"
        out.tables = []
    finally:
        engine.dispose()
    return out


def apply_erasure(
    ws: Workspace,
) -> Callable[[Connection, dict[str, Table], Sequence[RowAction]], dict[str, tuple[int, int]]]:
    def apply(
        conn: Connection, tables: dict[str, Table], rows: Sequence[RowAction]
    ) -> dict[str, tuple[int, int]]:
        md = next(iter(tables.values())).metadata
        order = {n: i for i, n in enumerate(delete_order(md))}
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for r in rows:
            if r.action in (ErasureAction.PSEUDONYMISE, ErasureAction.SET_NULL) and r.columns:
                t = tables[r.table.lower()]
                vals: dict[str, Any] = {}
                for cname, how in r.columns.items():
                    col = t.c[cname]
                    if how == ErasureAction.SET_NULL:
                        vals[cname] = None
                    else:
                        length = getattr(col.type, "length", None)
                        vals[cname] = pseudonym(ws, r.connection, r.table, r.key, cname, length)
                res = conn.execute(update(t).where(disc.key_clause(t, [r.key])).values(vals))
                counts[t.name.lower()][1] += int(res.rowcount or 0)
        deletes = [r for r in rows if r.action == ErasureAction.DELETE]
        for tname in sorted({r.table.lower() for r in deletes}, key=lambda n: order.get(n, 0)):
            t = tables[tname]
            keys = [r.key for r in deletes if r.table.lower() == tname]
            for wave in _self_order(conn, t, keys):
                for part in disc.chunks(wave):
                    res = conn.execute(delete(t).where(disc.key_clause(t, part)))
                    counts[tname][0] += int(res.rowcount or 0)
        return {k: (v[0], v[1]) for k, v in counts.items()}

    return apply


def finish_source(
    ws: Workspace, org: str, ref: str, fulfilment_id: int, kind: str, src: SourceOutcome
) -> None:
    """Record one source's proof (counts only) in the audit log and the fulfilment."""
    actor = service.actor_of(ws)
    with ws.db.session() as s:
        row = s.get(RequestFulfilmentRow, fulfilment_id)
        assert row is not None
        summary = dict(row.summary)
        if src.status == "done":
            summary["sources_done"] = sorted({*summary.get("sources_done", []), src.connection})
        proofs = dict(summary.get("proof", {}))
        proofs[src.connection] = {
            "status": src.status,
            "at": utcnow().isoformat(),
            "tables": [asdict(t) for t in src.tables],
        }
        summary["proof"] = proofs
        row.summary = summary
        audit.append(
            s,
            action=f"request.{kind}_{'executed' if src.status == 'done' else 'failed'}",
            entity="request",
            entity_ref=service.normalise_reference(ref),
            actor=actor,
            org=org,
            details={
                "source": src.uri,
                "status": src.status,
                "error": src.error_kind,
                "tables": [asdict(t) for t in src.tables],
                "fulfilment": fulfilment_id,
            },
        )


def set_state(ws: Workspace, fulfilment_id: int, state: str, **summary: Any) -> None:
    with ws.db.session() as s:
        row = s.get(RequestFulfilmentRow, fulfilment_id)
        assert row is not None
        row.state = state
        if summary:
            row.summary = {**row.summary, **summary}


def execute_erasure(
    ws: Workspace,
    org: str,
    ref: str,
    *,
    files: bool = False,
    letter_dir: Path | None = None,
) -> Outcome:
    """Apply the stored plan (planning first if there is none); see the module docstring.

    Raises :class:`PartialFailure` (carrying the outcome) when a source failed:
    that source is unchanged, and running this again completes it.
    """
    try:
        plan, row = stored_plan(ws, org, ref)
    except NotFound:
        build_plan(ws, org, ref)
        plan, row = stored_plan(ws, org, ref)
    if row.state == "executed":
        raise Conflict(_("the erasure of {ref} was already executed", ref=ref))
    fid = row.id
    done = set(row.summary.get("sources_done", []))
    out = Outcome("erasure", plan.reference, recipients=plan.recipients)
    out.manual = [f.match for f in plan.files if f.action == "manual"] + [
        r.match for r in plan.rows if r.refusal and r.refusal.article == ART_BASIS
    ]
    for conn_name in plan.sources():
        rows = plan.acting_rows(conn_name)
        if conn_name in done or not rows:
            out.sources.append(SourceOutcome(conn_name, "", "skipped"))
            continue
        src = run_source(ws, conn_name, rows, apply_erasure(ws))
        finish_source(ws, org, ref, fid, "erasure", src)
        out.sources.append(src)
    planned_files = [f for f in plan.files if f.action in ("delete", "redact")]
    if files and not row.summary.get("files_done"):
        person = request_person(ws, org, ref)
        d, r, by_hand = _apply_files(ws, org, ref, fid, planned_files, person)
        out.files_deleted, out.files_redacted = d, r
        out.manual += by_hand
    elif not files:
        out.files_pending = len(planned_files) if not row.summary.get("files_done") else 0
    if out.failed:
        set_state(ws, fid, "partial")
        raise partial_failure(out)
    set_state(ws, fid, "executed" if not out.files_pending else "partial")
    if letter_dir is not None:
        out.letter = draft_letter(ws, org, ref, letter_dir)
    return out


class ExecutionFailed(PartialFailure):
    """A source failed and was rolled back; ``outcome`` says what the others did."""

    def __init__(self, message: str, failures: list[str], outcome: Outcome) -> None:
        super().__init__(message, failures)
        self.outcome = outcome


def partial_failure(out: Outcome) -> ExecutionFailed:
    return ExecutionFailed(
        _n(
            "{n} source failed and was left unchanged: run it again to complete",
            "{n} sources failed and were left unchanged: run it again to complete",
            len(out.failed),
        ),
        [f"{s.connection}: {s.error}" for s in out.failed],
        out,
    )


def request_person(ws: Workspace, org: str, ref: str) -> disc.Person:
    record = service.get(ws, org, ref, reveal=True)
    assert record.submission is not None
    acts = disc.concerned_activities(service.offered_activities(ws, org), record.request.activities)
    return disc.person_from_submission(record.submission, acts)


def share_file(uri: str, roots: Sequence[str]) -> Path:
    """The file a plan names, resolved, as erasure is about to read, redact or delete it.

    The one place erasure turns a planned URI into a path (issue 13 item 5): the
    path is resolved (symlinks followed) and must lie inside the scanned shares,
    else :class:`InvalidInput`. Erasure then works on the resolved path only, so a
    link swapped after the check cannot redirect the read, the redacted copy or the
    deletion out of the share.
    """
    from rgpd.scan.paths import resolve_inside

    return resolve_inside(uri, roots)


def _apply_files(
    ws: Workspace, org: str, ref: str, fid: int, files: Sequence[FileAction], person: disc.Person
) -> tuple[int, int, list[str]]:
    from rgpd.errors import SourceError
    from rgpd.requests.redact import person_finder, redact_in_place
    from rgpd.scan.detect import Detector
    from rgpd.scan.findings import uri_hash
    from rgpd.scan.paths import scan_roots

    detector = Detector(depth="quick")
    deleted = redacted = 0
    done: list[dict[str, Any]] = []
    manual: list[str] = []  # could not be redacted completely: the original is untouched
    roots = scan_roots(ws, org)  # issue 13: only inside the scanned shares
    for f in files:
        if not os.path.lexists(f.uri):
            done.append({"source": uri_hash(f.uri), "action": "absent"})
            continue
        try:
            path = share_file(f.uri, roots)
        except InvalidInput:  # a symlink out of the share: never read, redacted or deleted
            manual.append(f.match)
            done.append({"source": uri_hash(f.uri), "action": "manual", "error": "outside"})
            continue
        if not path.is_file():
            done.append({"source": uri_hash(f.uri), "action": "absent"})
            continue
        before = sha256_hex(path.read_bytes())
        if f.action == "delete":
            path.unlink()
            deleted += 1
            done.append({"source": uri_hash(f.uri), "action": "deleted", "sha256_before": before})
            continue
        try:  # a redacted copy in the file's own format (a text PDF for a PDF): redact.py
            res = redact_in_place(path, person_finder(path, person, detector), mask=REDACTED)
        except SourceError as exc:
            manual.append(f.match)
            done.append({"source": uri_hash(f.uri), "action": "manual", "error": exc.reason})
            continue
        if not res.complete:
            manual.append(f.match)
        elif res.replacements:
            redacted += 1
        done.append(
            {
                "source": uri_hash(f.uri),
                "action": "redacted" if res.complete else "manual",
                "format": res.format,
                "layout_kept": res.layout_kept,
                "sha256_before": before,
                "sha256_after": res.sha256_after,
            }
        )
    _forget_in_index(ws, org, [f for f in files if f.match not in manual], person)
    actor = service.actor_of(ws)
    with ws.db.session() as s:
        row = s.get(RequestFulfilmentRow, fid)
        assert row is not None
        row.summary = {**row.summary, "files_done": True}
        audit.append(
            s,
            action="request.erasure_files",
            entity="request",
            entity_ref=service.normalise_reference(ref),
            actor=actor,
            org=org,
            details={
                "deleted": deleted,
                "redacted": redacted,
                "manual": len(manual),
                "files": done,
                "fulfilment": fid,
            },
        )
    return deleted, redacted, manual


def _forget_in_index(
    ws: Workspace, org: str, files: Sequence[FileAction], person: disc.Person
) -> None:
    """Keep the blind index truthful: erased files no longer answer for the person."""
    from rgpd.scan.findings import uri_hash
    from rgpd.storage.scan_tables import FindingRow, FindingValueRow, ScanSourceRow

    oid = ws.org_id(org)
    tokens = [ws.keys.blind_index(e, n) for e, _k, n in disc.file_probes(person)]
    if person.has_name:
        tokens.append(
            ws.keys.blind_index(
                Entity.PERSON, normalise(Entity.PERSON, f"{person.first_name} {person.last_name}")
            )
        )
    with ws.db.session() as s:
        for f in files:
            src = s.execute(
                select(ScanSourceRow).where(
                    ScanSourceRow.org_id == oid, ScanSourceRow.uri_hash == uri_hash(f.uri)
                )
            ).scalar_one_or_none()
            if src is None:
                continue
            if f.action == "delete":
                s.execute(delete(FindingValueRow).where(FindingValueRow.source_id == src.id))
                s.execute(delete(FindingRow).where(FindingRow.source_id == src.id))
                src.status = "gone"
            elif tokens:
                s.execute(
                    delete(FindingValueRow).where(
                        FindingValueRow.source_id == src.id, FindingValueRow.token.in_(tokens)
                    )
                )


def draft_letter(ws: Workspace, org: str, ref: str, out_dir: Path, *, pdf: bool = False) -> Path:
    """The answer letter (letters.py, ``answer``) drafted for the DPO to complete and send."""
    from rgpd.requests import letters

    letter = letters.render_letter(ws, org, ref, letters.LetterKind.ANSWER)
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = out_dir / f"{letter.reference}-{letter.kind.value}-{letter.lang}.txt"
    path.write_text(f"{letter.subject}\n\n{letter.text}", encoding="utf-8")
    (out_dir / f"{letter.reference}-{letter.kind.value}-{letter.lang}.html").write_text(
        letter.html, encoding="utf-8"
    )
    if pdf:
        (out_dir / letter.filename).write_bytes(letters.to_pdf(letter))
    return path
