"""Key rotation edge: re-encrypt every sealed column under the new active key.

Wings that store sealed values register their (table, column, context) in
``SEALED_COLUMNS`` so rotation finds them; nothing else needs to know.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import MetaData, Table, select, update

from rgpd import audit
from rgpd.workspace import Workspace

#: (table, primary-key column, sealed column, context-of-row) — context may depend on the row.
SEALED_COLUMNS: list[tuple[str, str, str, Callable[[dict], str]]] = []


def register_sealed(table: str, pk: str, column: str, context: Callable[[dict], str]) -> None:
    SEALED_COLUMNS.append((table, pk, column, context))


@dataclass
class RotateResult:
    new_key: str
    resealed: int
    retired: list[str] = field(default_factory=list)


def rotate(ws: Workspace, *, retire_old: bool = False) -> RotateResult:
    """Add a key, save the key file first (old keys kept), then reseal in one transaction.

    Saving first means a crash mid-way leaves data readable with the saved ring;
    a re-run reseals what is left.
    """
    import rgpd.storage.models  # noqa: F401  (all wings register their sealed columns)

    ring = ws.keys
    kid = ring.add_key()
    ws.save_keys()
    n = 0
    md = MetaData()
    with ws.db.session() as s:
        for tname, pk, col, ctx in SEALED_COLUMNS:
            t = Table(tname, md, autoload_with=s.connection())
            # rows locked until commit (PostgreSQL, MariaDB): a concurrent writer of the
            # same value waits instead of being overwritten by its resealed old copy;
            # on SQLite the transaction holds the write lock from BEGIN IMMEDIATE
            rows = select(t).where(t.c[col].is_not(None)).with_for_update()
            for row in s.execute(rows).mappings():
                token = row[col]
                if ring.key_id_of(token) == kid:
                    continue
                s.execute(
                    update(t)
                    .where(t.c[pk] == row[pk])
                    .values({col: ring.reseal(token, ctx(dict(row)))})
                )
                n += 1
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
        for old in [k for k in ring.keys if k != kid]:
            ring.retire(old)
            retired.append(old)
        ws.save_keys()
    return RotateResult(kid, n, retired)
