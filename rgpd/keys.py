"""Key rotation and the binding of a key file to its database.

Rotation re-encrypts every sealed column (listed in :mod:`rgpd.storage.sealed`)
under a new active key. Running processes see the new key file before their next
seal (:meth:`rgpd.crypto.KeyRing.refresh`), so a retired key never seals again.
A value another process sealed just *before* the key file changed, and stores
after the retiring pass, is resealed by that process itself when it commits: the
retired key ids are recorded in ``rgpd_meta`` in the retiring transaction, and
every unit of work that sealed checks them under a shared lock before it commits
(:func:`reseal_retired`).

Binding: the database records the fingerprint of its install's key file in
``rgpd_meta``; a key file of another install is refused before anything is
written (:func:`check_binding`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, MetaData, Table, select, text, update
from sqlalchemy.orm import Session

import rgpd.storage.models  # noqa: F401  (importing the models registers every sealed column)
from rgpd import audit
from rgpd.crypto import KeyRing
from rgpd.errors import KeyMismatch
from rgpd.i18n import _
from rgpd.storage.db import SEALED_KIDS, retry_busy
from rgpd.storage.sealed import SealedColumn, register_sealed, sealed_columns
from rgpd.storage.tables import MetaRow

if TYPE_CHECKING:
    from rgpd.workspace import Workspace

__all__ = [
    "RotateResult",
    "bind",
    "check_binding",
    "register_sealed",
    "reseal_retired",
    "rotate",
]

FINGERPRINT_KEY = "keys_fingerprint"
INSTALL_KEY = "install_id"
#: ``rgpd_meta`` row: the key ids ever retired, comma-separated (migration 0015 creates it).
RETIRED_KEY = "keys_retired"


@dataclass
class RotateResult:
    new_key: str
    resealed: int
    retired: list[str] = field(default_factory=list)


def _meta(s: Session, key: str) -> str | None:
    row = s.get(MetaRow, key)
    return row.value if row is not None else None


def check_binding(s: Session, ring: KeyRing, key_path: Path) -> None:
    """Refuse a key file that is not the one this database was sealed with.

    A database without a recorded fingerprint (an install older than the binding)
    is bound to the first key file that opens it.
    """
    recorded = _meta(s, FINGERPRINT_KEY)
    install = _meta(s, INSTALL_KEY) or ""
    if recorded is None:
        bind(s, ring)
        return
    if recorded != ring.fingerprint():
        raise KeyMismatch(
            _(
                "key file {path} (install {ring_install}, fingerprint {ring_fp}) is not the key "
                "file of this database (install {db_install}, fingerprint {db_fp}); nothing was "
                "written. Restore this install's key file from its backup.",
                path=key_path,
                ring_install=ring.install or _("unknown"),
                ring_fp=ring.fingerprint(),
                db_install=install or _("unknown"),
                db_fp=recorded,
            )
        )


def bind(s: Session, ring: KeyRing) -> None:
    """Record ``ring``'s fingerprint (and make sure the install has an id)."""
    row = s.get(MetaRow, FINGERPRINT_KEY)
    if row is None:
        s.add(MetaRow(key=FINGERPRINT_KEY, value=ring.fingerprint()))
    else:
        row.value = ring.fingerprint()
    if s.get(MetaRow, INSTALL_KEY) is None:
        s.add(MetaRow(key=INSTALL_KEY, value=ring.install or str(uuid.uuid4())))
    s.flush()


def _wait_for_writers(s: Session) -> None:
    """PostgreSQL: wait for every writer of a sealed table in flight, and hold off new ones.

    ``SELECT … FOR UPDATE`` locks the rows that exist; a row another process
    inserted, sealed under the old key, and commits while the pass runs is not
    among them, and retiring the old key would leave it unreadable (issue 15).
    ``SHARE ROW EXCLUSIVE`` waits for the writers holding the tables and blocks new
    ones until this transaction commits (they queue, then seal under the new key).
    MariaDB's locking read already waits for uncommitted inserts (InnoDB record
    locks); SQLite's ``BEGIN IMMEDIATE`` holds the only write lock.
    """
    if s.get_bind().dialect.name != "postgresql":
        return
    preparer = s.get_bind().dialect.identifier_preparer
    tables = sorted(
        {col.table for col in sealed_columns()}
    )  # one order: no deadlock between rotations
    names = ", ".join(preparer.quote(t) for t in tables)
    s.execute(text(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE"))


def _reseal_rows(
    s: Session,
    ring: KeyRing,
    t: Table,
    col: SealedColumn,
    where: ColumnElement[bool],
    *,
    lock: bool = True,
) -> int:
    """Reseal under the active key the rows of ``col`` selected by ``where``: the one loop
    rotation and the commit-time guard share.

    Rows locked until commit (PostgreSQL, MariaDB): a concurrent writer of the same
    value waits instead of being overwritten by its resealed old copy; on SQLite the
    transaction holds the write lock from BEGIN IMMEDIATE (issue 15). The guard
    reseals only its own uncommitted rows and takes no row lock (``lock=False``):
    waiting there on a rotation that waits on the guard's shared lock would deadlock.
    """
    n = 0
    rows = select(t).where(t.c[col.column].is_not(None), where)
    if lock:
        rows = rows.with_for_update()
    for row in s.execute(rows).mappings():
        token = row[col.column]
        if ring.key_id_of(token) == ring.active:
            continue
        s.execute(
            update(t)
            .where(t.c[col.pk] == row[col.pk])
            .values({col.column: ring.reseal(token, col.context(dict(row)))})
        )
        n += 1
    return n


def _reseal_pass(s: Session, ring: KeyRing, *, final: bool = False) -> int:
    if final:
        _wait_for_writers(s)
    md = MetaData()
    n = 0
    for col in sealed_columns():
        t = Table(col.table, md, autoload_with=s.connection())
        n += _reseal_rows(s, ring, t, col, t.c[col.column].is_not(None))
    return n


def retired_keys(s: Session, *, lock: bool = False) -> set[str]:
    """Key ids retired so far; ``lock`` takes a shared lock on the record until commit.

    The shared lock (``FOR SHARE`` / ``LOCK IN SHARE MODE``; SQLite's write lock
    already serialises) makes a retirement wait for the units of work that checked
    the record, and makes them see a retirement that committed first.
    """
    q = select(MetaRow.value).where(MetaRow.key == RETIRED_KEY)
    if lock:
        q = q.with_for_update(read=True)
    value = s.execute(q).scalar_one_or_none()
    return {k for k in (value or "").split(",") if k}


def _record_retired(s: Session, kids: list[str]) -> None:
    row = s.get(MetaRow, RETIRED_KEY, with_for_update=True)
    known = {k for k in (row.value if row is not None else "").split(",") if k}
    value = ",".join(sorted(known | set(kids)))
    if row is None:
        s.add(MetaRow(key=RETIRED_KEY, value=value))
    else:
        row.value = value
    s.flush()


def reseal_retired(s: Session, ring: KeyRing) -> int:
    """Commit-time guard: move to the active key what this unit of work sealed under a
    key retired meanwhile (issue 13: "a sealed value never uses a retired key").

    A process sealed a value, then ``keys rotate --retire-old`` ran to its end in
    another process, then the value is stored: the rotation could not see it. The
    process checks, before committing, whether a key it sealed under has been
    retired and, if so, reseals its own rows with the key it still holds in memory
    (:meth:`rgpd.crypto.KeyRing.reseal`). Costs one ``stat`` when no rotation is
    under way; the locked read and the search run only while one is.
    """
    tokens = set(s.info.get(SEALED_KIDS) or ())
    ring.refresh()
    kids = {KeyRing.key_id_of(tok) for tok in tokens}
    if not kids - {ring.active}:
        return 0  # every seal used the key that is still active: nothing was retired
    stale = kids & retired_keys(s, lock=True)
    if not stale:
        return 0
    # only this unit's own rows, named by the exact tokens it sealed: on MariaDB a
    # plain read sees the transaction's snapshot, where other processes' rows may
    # still show a value the rotation (or an erasure) has since replaced
    own = sorted(tok for tok in tokens if KeyRing.key_id_of(tok) in stale)
    md = MetaData()
    n = 0
    for col in sealed_columns():
        t = Table(col.table, md, autoload_with=s.connection())
        for i in range(0, len(own), 500):
            mine = t.c[col.column].in_(own[i : i + 500])
            n += _reseal_rows(s, ring, t, col, mine, lock=False)
    return n


def rotate(ws: Workspace, *, retire_old: bool = False) -> RotateResult:
    """Add a key, save the key file first (old keys kept), then reseal in one transaction.

    Saving first means a crash mid-way leaves data readable with the saved ring,
    and every other process seals under the new key from its next seal on. With
    ``retire_old``, a second pass reseals what such processes committed under an
    old key while the first pass ran, after waiting for the writes still in flight
    (:func:`_wait_for_writers`); only then are the old keys removed.
    """
    ring = ws.keys
    ring.refresh()
    kid = ring.add_key()
    ws.save_keys()
    with ws.db.session() as s:
        n = _reseal_pass(s, ring)
        audit.append(
            s,
            action="rotate",
            entity="keys",
            entity_ref=kid,
            actor=ws.actor,
            details={"resealed": n},
        )
    retired: list[str] = []
    if retire_old:
        old_keys = [k for k in ring.keys if k != kid]

        def final_pass() -> int:
            with ws.db.session() as s:
                done = _reseal_pass(s, ring, final=True)
                # in the same transaction: a writer checking afterwards sees the retirement
                _record_retired(s, old_keys)
                return done

        n += retry_busy(final_pass, attempts=8)
        for old in old_keys:
            ring.retire(old)
            retired.append(old)
        ws.save_keys()
    return RotateResult(kid, n, retired)
