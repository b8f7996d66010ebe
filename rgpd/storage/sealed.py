"""The registry of sealed columns: which (table, column) hold AES-GCM values, and their context.

Tables declare their sealed columns here when their module is imported; key
rotation (``rgpd.keys``) reads the registry. Living in ``storage`` with no import
of its own, it lets tables and keys depend on it without depending on each other
(there used to be an import circle ``keys`` ↔ ``storage/*_tables``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple


class SealedColumn(NamedTuple):
    table: str
    pk: str
    column: str
    #: AES-GCM associated data of one row (it may depend on the row's other columns).
    context: Callable[[dict], str]


#: Every sealed column of every wing, in registration order.
SEALED_COLUMNS: list[SealedColumn] = []


def register_sealed(table: str, pk: str, column: str, context: Callable[[dict], str]) -> None:
    """Declare ``table.column`` sealed; registering the same column twice is a no-op."""
    if any(c.table == table and c.column == column for c in SEALED_COLUMNS):
        return
    SEALED_COLUMNS.append(SealedColumn(table, pk, column, context))


def sealed_columns() -> list[SealedColumn]:
    """All registered sealed columns: complete once ``rgpd.storage.models`` is imported.

    The caller imports the models (``rgpd.keys`` does), so that this module
    imports nothing and cannot close a circle with the tables that register here.
    """
    return list(SEALED_COLUMNS)
