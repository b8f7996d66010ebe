"""The hash-chained audit log and its signed checkpoints.

Every change to any record appends one entry whose hash covers the previous
entry's hash (CNIL délibération 2021-122: logs protected from modification and
timestamped). Editing, deleting or reordering an entry breaks the chain at a
point :func:`verify_entries` names. Somebody able to rewrite the whole table
could recompute every hash, so :func:`make_checkpoint` signs the head with
Ed25519: a checkpoint exported and kept elsewhere proves the log up to that
point. Entries never hold personal data in clear: only references and digests.

The chain arithmetic is pure; :func:`append` and :func:`verify` are the edges
that use a session.
"""

from __future__ import annotations

import getpass
import json
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from rgpd.crypto import KeyRing, sha256_hex, verify_signature
from rgpd.storage.db import utcnow
from rgpd.storage.tables import AuditHeadRow, AuditRow

GENESIS = "0" * 64


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def digest(obj: Any) -> str:
    """Digest of a record's state, stored as before/after in the log."""
    return sha256_hex(canonical(obj))


def current_actor(explicit: str | None = None) -> str:
    if explicit:
        return explicit
    env = os.environ.get("RGPD_ACTOR")
    if env:
        return env
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"


@dataclass(frozen=True)
class Entry:
    seq: int
    ts: datetime
    actor: str
    org: str | None
    action: str
    entity: str
    entity_ref: str
    before_digest: str | None
    after_digest: str | None
    details: str
    prev_hash: str
    hash: str


def entry_hash(
    prev_hash: str,
    seq: int,
    ts: datetime,
    actor: str,
    org: str | None,
    action: str,
    entity: str,
    entity_ref: str,
    before: str | None,
    after: str | None,
    details: str,
) -> str:
    body = canonical(
        {
            "seq": seq,
            "ts": ts.isoformat(timespec="seconds"),
            "actor": actor,
            "org": org,
            "action": action,
            "entity": entity,
            "ref": entity_ref,
            "before": before,
            "after": after,
            "details": details,
        }
    )
    return sha256_hex(prev_hash + body)


def verify_entries(entries: list[Entry], head: tuple[int, str] | None = None) -> list[str]:
    """Problems found in ``entries`` (sorted by seq); empty when the chain holds."""
    problems: list[str] = []
    prev = GENESIS
    expected_seq = 1
    for e in entries:
        if e.seq != expected_seq:
            problems.append(
                f"entry #{expected_seq}: missing or reordered (found #{e.seq} in its place)"
            )
            expected_seq = e.seq
        if e.prev_hash != prev:
            problems.append(
                f"entry #{e.seq}: does not follow the previous entry (deleted or reordered)"
            )
        recomputed = entry_hash(
            e.prev_hash,
            e.seq,
            e.ts,
            e.actor,
            e.org,
            e.action,
            e.entity,
            e.entity_ref,
            e.before_digest,
            e.after_digest,
            e.details,
        )
        if recomputed != e.hash:
            problems.append(
                f"entry #{e.seq}: content was modified ({e.action} {e.entity} {e.entity_ref})"
            )
        prev = e.hash
        expected_seq += 1
    if head is not None:
        seq, h = head
        last = entries[-1] if entries else None
        if (last.seq if last else 0) != seq or (last.hash if last else GENESIS) != h:
            problems.append(f"log ends before its recorded head #{seq}: trailing entries deleted")
    return problems


# -- edges ------------------------------------------------------------------


def append(
    session: Session,
    *,
    action: str,
    entity: str,
    entity_ref: str,
    actor: str | None = None,
    org: str | None = None,
    before: Any = None,
    after: Any = None,
    details: dict[str, Any] | None = None,
) -> Entry:
    """Append one entry inside the caller's transaction (so record and log commit together).

    Appends are serialised on every database, so two writers never compute the
    same next ``seq`` (issue 15): the head row is created if missing by an insert
    that ignores a concurrent twin, then locked until the caller commits —
    ``SELECT … FOR UPDATE`` on PostgreSQL and MariaDB; on SQLite the whole
    transaction already holds the write lock (``BEGIN IMMEDIATE``,
    :mod:`rgpd.storage.db`). A writer that loses a lock race gets
    :class:`rgpd.errors.StorageBusy` and its unit of work is retried whole.
    """
    head = _locked_head(session)
    ts = utcnow()
    who = current_actor(actor)
    b = digest(before) if before is not None else None
    a = digest(after) if after is not None else None
    det = canonical(details or {})
    seq = head.seq + 1
    h = entry_hash(head.hash, seq, ts, who, org, action, entity, entity_ref, b, a, det)
    row = AuditRow(
        seq=seq,
        ts=ts,
        actor=who,
        org=org,
        action=action,
        entity=entity,
        entity_ref=entity_ref,
        before_digest=b,
        after_digest=a,
        details=det,
        prev_hash=head.hash,
        hash=h,
    )
    session.add(row)
    head.seq, head.hash = seq, h
    session.flush()
    return _entry(row)


def _locked_head(session: Session) -> AuditHeadRow:
    """The head row, created if missing and locked until the transaction ends."""
    lock = (
        select(AuditHeadRow)
        .where(AuditHeadRow.id == 1)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    head = session.execute(lock).scalar_one_or_none()
    if head is not None:
        return head
    values = {"id": 1, "seq": 0, "hash": GENESIS}
    dialect = session.get_bind().dialect.name
    stmt: Any
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(AuditHeadRow).values(values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(AuditHeadRow).values(values).on_conflict_do_nothing()
    else:
        stmt = insert(AuditHeadRow).values(values).prefix_with("IGNORE")
    session.execute(stmt)
    return session.execute(lock).scalar_one()


def _entry(r: AuditRow) -> Entry:
    return Entry(
        r.seq,
        r.ts,
        r.actor,
        r.org,
        r.action,
        r.entity,
        r.entity_ref,
        r.before_digest,
        r.after_digest,
        r.details,
        r.prev_hash,
        r.hash,
    )


def load_entries(session: Session, org: str | None = None, limit: int | None = None) -> list[Entry]:
    q = select(AuditRow).order_by(AuditRow.seq)
    if org:
        q = q.where(AuditRow.org == org)
    if limit:
        q = q.limit(limit)
    return [_entry(r) for r in session.execute(q).scalars()]


@dataclass
class VerifyResult:
    entries: int
    problems: list[str]
    head_seq: int
    head_hash: str

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(session: Session, checkpoint: dict[str, Any] | None = None) -> VerifyResult:
    entries = load_entries(session)
    head = session.get(AuditHeadRow, 1)
    head_t = (head.seq, head.hash) if head else (0, GENESIS)
    problems = verify_entries(entries, head_t)
    if checkpoint is not None:
        problems += check_checkpoint(checkpoint, entries)
    return VerifyResult(len(entries), problems, head_t[0], head_t[1])


def make_checkpoint(session: Session, keys: KeyRing, install_id: str) -> dict[str, Any]:
    """A signed statement "entry #N had hash H at time T", verifiable with the public key only."""
    head = session.get(AuditHeadRow, 1)
    seq, h = (head.seq, head.hash) if head else (0, GENESIS)
    body = {
        "install": install_id,
        "seq": seq,
        "hash": h,
        "at": utcnow().isoformat(timespec="seconds") + "Z",
    }
    return {
        **body,
        "public_key": keys.public_key(),
        "signature": keys.sign(canonical(body).encode()),
    }


def check_checkpoint(cp: dict[str, Any], entries: list[Entry]) -> list[str]:
    body = {k: cp.get(k) for k in ("install", "seq", "hash", "at")}
    if not verify_signature(
        str(cp.get("public_key", "")), canonical(body).encode(), str(cp.get("signature", ""))
    ):
        return ["checkpoint: signature does not verify (checkpoint altered or foreign)"]
    seq = int(cp["seq"])
    if seq == 0:
        return []
    match = next((e for e in entries if e.seq == seq), None)
    if match is None:
        return [f"checkpoint: entry #{seq} signed at {cp['at']} is missing from the log"]
    if match.hash != cp["hash"]:
        return [f"checkpoint: entry #{seq} differs from the signed checkpoint (log rewritten)"]
    return []
