"""Key rotation and the binding of a key file to its database.

Rotation re-encrypts every sealed column (listed in :mod:`rgpd.storage.sealed`)
under a new active key. Running processes see the new key file before their next
seal (:meth:`rgpd.crypto.KeyRing.refresh`), so a retired key never seals again.

Binding: the database records the fingerprint of its install's key file in
``rgpd_meta``; a key file of another install is refused before anything is
written (:func:`check_binding`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import MetaData, Table, select, text, update
from sqlalchemy.orm import Session

import rgpd.storage.models  # noqa: F401  (importing the models registers every sealed column)
from rgpd import audit
from rgpd.crypto import KeyRing
from rgpd.errors import KeyMismatch
from rgpd.i18n import _
from rgpd.storage.db import retry_busy
from rgpd.storage.sealed import register_sealed, sealed_columns
from rgpd.storage.tables import MetaRow

if TYPE_CHECKING:
    from rgpd.workspace import Workspace

__all__ = ["RotateResult", "bind", "check_binding", "register_sealed", "rotate"]

FINGERPRINT_KEY = "keys_fingerprint"
INSTALL_KEY = "install_id"


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


def _reseal_pass(s: Session, ring: KeyRing, kid: str, *, final: bool = False) -> int:
    n = 0
    if final:
        _wait_for_writers(s)
    md = MetaData()
    for col in sealed_columns():
        t = Table(col.table, md, autoload_with=s.connection())
        # rows locked until commit (PostgreSQL, MariaDB): a concurrent writer of the
        # same value waits instead of being overwritten by its resealed old copy;
        # on SQLite the transaction holds the write lock from BEGIN IMMEDIATE (issue 15)
        rows = select(t).where(t.c[col.column].is_not(None)).with_for_update()
        for row in s.execute(rows).mappings():
            token = row[col.column]
            if ring.key_id_of(token) == kid:
                continue
            s.execute(
                update(t)
                .where(t.c[col.pk] == row[col.pk])
                .values({col.column: ring.reseal(token, col.context(dict(row)))})
            )
            n += 1
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
        n = _reseal_pass(s, ring, kid)
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

        def final_pass() -> int:
            with ws.db.session() as s:
                return _reseal_pass(s, ring, kid, final=True)

        n += retry_busy(final_pass, attempts=8)
        for old in [k for k in ring.keys if k != kid]:
            ring.retire(old)
            retired.append(old)
        ws.save_keys()
    return RotateResult(kid, n, retired)
