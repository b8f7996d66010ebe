"""Values in SQL: the spellings of a probe per column type, JSON round-trips of keys, key clauses."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Column,
    Table,
    and_,
    or_,
)
from sqlalchemy import types as sqltypes

from rgpd.crypto import sha256_hex
from rgpd.masking import normalise
from rgpd.requests import service
from rgpd.requests.person import Probe, national_phone, only_digits, text_variants
from rgpd.taxonomy import Entity

#: Values bound in one ``IN (...)`` list.
CHUNK = 500


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


def is_text(column: Column[Any]) -> bool:
    return (
        isinstance(column.type, sqltypes.String | sqltypes.Enum)
        or "CHAR" in str(type(column.type).__name__).upper()
    )


def is_integer(column: Column[Any]) -> bool:
    t = column.type
    if isinstance(t, sqltypes.Integer):
        return True
    return (
        isinstance(t, sqltypes.Numeric)
        and not isinstance(t, sqltypes.Float)
        and getattr(t, "scale", None) == 0
    )


def is_date(column: Column[Any]) -> bool:
    return isinstance(column.type, sqltypes.Date | sqltypes.DateTime)


def variants(probe: Probe, column: Column[Any]) -> list[Any]:
    """The spellings of ``probe`` worth an equality test on ``column`` (empty: incompatible)."""
    v = probe.value.strip()
    ent = probe.entity
    if ent == Entity.DATE_OF_BIRTH and is_date(column):
        try:
            return [date.fromisoformat(normalise(ent, v))]
        except ValueError:
            return []
    texts = text_variants(probe)
    if is_integer(column):
        nums: list[int] = []
        for t in texts:
            d = t.lstrip("+")
            if d.isdigit() and len(d) < 19:
                nums.append(int(d))
        if ent == Entity.PHONE_NUMBER:  # stored as a number: the leading 0 is gone
            nat = national_phone(v)[0]
            nums = [int(nat[1:])] if len(nat) == 10 and nat[1:].isdigit() else []
        return list(dict.fromkeys(nums))
    if is_text(column):
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
            return only_digits(text)[-9:] == national_phone(probe.value)[0][-9:]
        if normalise(probe.entity, text) == normalise(probe.entity, probe.value):
            return True
        mine, theirs = national_phone(probe.value)[0], national_phone(text)[0]
        return len(mine) == 10 and mine.startswith("0") and mine == theirs
    if probe.entity:
        return normalise(probe.entity, text) == normalise(probe.entity, probe.value)
    return service.normalise_identifier(text) == service.normalise_identifier(probe.value)


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


def as_date(v: Any) -> date | None:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    return None
