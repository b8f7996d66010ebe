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
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from rgpd.crypto import (
    KeyRing,
    is_public_key,
    public_key_fingerprint,
    sha256_hex,
    verify_signature,
)
from rgpd.errors import InvalidInput
from rgpd.i18n import _
from rgpd.storage.db import utcnow
from rgpd.storage.tables import AuditHeadRow, AuditRow, MetaRow

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


#: Hash format of new entries. 1 hashed the timestamp to the second (entries
#: written before issue 13); 2 hashes it to the microsecond and says so in the body.
HASH_VERSION = 2


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
    *,
    version: int = HASH_VERSION,
) -> str:
    fields: dict[str, Any] = {
        "seq": seq,
        "ts": ts.isoformat(timespec="seconds" if version == 1 else "microseconds"),
        "actor": actor,
        "org": org,
        "action": action,
        "entity": entity,
        "ref": entity_ref,
        "before": before,
        "after": after,
        "details": details,
    }
    if version != 1:
        fields["v"] = version
    return sha256_hex(prev_hash + canonical(fields))


def _entry_hashes(e: Entry) -> bool:
    """Whether ``e.hash`` is its content's hash, in the current format or the legacy one.

    The legacy (second-precision) format is accepted only for a timestamp without
    a fraction: there it says exactly what format 2 says, so nothing can be moved
    within a second by falling back to it.
    """
    args = (
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
    if entry_hash(*args) == e.hash:
        return True
    return e.ts.microsecond == 0 and entry_hash(*args, version=1) == e.hash


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
        if not _entry_hashes(e):
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
    ts = datetime.now(UTC).replace(tzinfo=None)  # full precision: hashed to the microsecond
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
    #: The latest checkpoint recorded by ``audit export`` that the log was checked against.
    recorded_seq: int | None = None
    recorded_at: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


CHECKPOINT_META = "audit_checkpoint"
_CP_FIELDS: dict[str, type] = {
    "install": str,
    "seq": int,
    "hash": str,
    "at": str,
    "public_key": str,
    "signature": str,
}


def parse_checkpoint(text: str) -> dict[str, Any]:
    """A checkpoint file's content, or :class:`InvalidInput` naming what is wrong (exit 2)."""
    try:
        cp = json.loads(text)
    except ValueError:
        raise InvalidInput("checkpoint", _("not a JSON checkpoint file")) from None
    if not isinstance(cp, dict):
        raise InvalidInput("checkpoint", _("not a JSON checkpoint file"))
    for name, kind in _CP_FIELDS.items():
        value = cp.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise InvalidInput(
                f"checkpoint.{name}", _("missing or not a {kind}", kind=kind.__name__)
            )
    if cp["seq"] < 0 or len(cp["hash"]) != 64:
        raise InvalidInput("checkpoint.seq", _("not a checkpoint of an audit log head"))
    return cp


def parse_public_key(text: str) -> str:
    """An Ed25519 public key kept by the DPO (``rgpd audit pubkey`` output), checked for shape."""
    key = text.strip().split()[-1] if text.strip() else ""
    if not is_public_key(key):
        raise InvalidInput("pubkey", _("not an Ed25519 public key (expected `rgpd audit pubkey`)"))
    return key


def verify(
    session: Session,
    checkpoint: dict[str, Any] | None = None,
    *,
    public_key: str | None = None,
) -> VerifyResult:
    """Check the chain, the head, the latest recorded checkpoint and ``checkpoint`` if given.

    ``public_key`` is the install's own signing key (kept beside the key file, or a
    copy the DPO kept): a checkpoint is trusted only if it verifies under it, never
    under the key written inside the checkpoint.
    """
    entries = load_entries(session)
    head = session.get(AuditHeadRow, 1)
    head_t = (head.seq, head.hash) if head else (0, GENESIS)
    problems = verify_entries(entries, head_t)
    recorded = _recorded_checkpoint(session)
    if recorded is not None:
        problems += [
            p.replace("checkpoint:", "recorded checkpoint:", 1)
            for p in check_checkpoint(recorded, entries, public_key or recorded["public_key"])
        ]
    if checkpoint is not None:
        if not public_key:
            problems.append("checkpoint: no trusted public key to check it against")
        else:
            problems += check_checkpoint(checkpoint, entries, public_key)
    return VerifyResult(
        len(entries),
        problems,
        head_t[0],
        head_t[1],
        recorded_seq=recorded["seq"] if recorded else None,
        recorded_at=recorded["at"] if recorded else None,
    )


def _recorded_checkpoint(session: Session) -> dict[str, Any] | None:
    row = session.get(MetaRow, CHECKPOINT_META)
    if row is None:
        return None
    try:
        return parse_checkpoint(row.value)
    except InvalidInput:
        return {"install": "", "seq": 0, "hash": "", "at": "", "public_key": "", "signature": ""}


def make_checkpoint(session: Session, keys: KeyRing, install_id: str) -> dict[str, Any]:
    """A signed statement "entry #N had hash H at time T", verifiable with the public key only.

    The checkpoint is also recorded in the database (``rgpd_meta``), so a later
    ``audit verify`` reports a wiped or truncated log against it.
    """
    head = session.get(AuditHeadRow, 1)
    seq, h = (head.seq, head.hash) if head else (0, GENESIS)
    body = {
        "install": install_id,
        "seq": seq,
        "hash": h,
        "at": utcnow().isoformat(timespec="seconds") + "Z",
        "public_key_fingerprint": public_key_fingerprint(keys.public_key()),
    }
    cp = {
        **body,
        "public_key": keys.public_key(),
        "signature": keys.sign(canonical(body).encode()),
    }
    row = session.get(MetaRow, CHECKPOINT_META)
    if row is None:
        session.add(MetaRow(key=CHECKPOINT_META, value=canonical(cp)))
    else:
        row.value = canonical(cp)
    session.flush()
    return cp


def check_checkpoint(cp: dict[str, Any], entries: list[Entry], public_key: str) -> list[str]:
    """Problems of ``cp`` against the log, trusting only ``public_key`` for its signature."""
    body = {k: v for k, v in cp.items() if k not in ("public_key", "signature")}
    if str(cp.get("public_key", "")) != public_key:
        return [
            "checkpoint: signed by another key (fingerprint "
            f"{public_key_fingerprint(str(cp.get('public_key', '')))}), not this install's "
            f"(fingerprint {public_key_fingerprint(public_key)})"
        ]
    if not verify_signature(public_key, canonical(body).encode(), str(cp.get("signature", ""))):
        return ["checkpoint: signature does not verify (checkpoint altered or foreign)"]
    seq = int(cp["seq"])
    if seq == 0:
        return []
    match = next((e for e in entries if e.seq == seq), None)
    if match is None:
        last = entries[-1].seq if entries else 0
        return [
            f"checkpoint: entry #{seq} signed at {cp['at']} is missing from the log "
            f"(the log holds {len(entries)} entries, up to #{last}: wiped or truncated)"
        ]
    if match.hash != cp["hash"]:
        return [f"checkpoint: entry #{seq} differs from the signed checkpoint (log rewritten)"]
    return []
