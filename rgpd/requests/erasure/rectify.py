"""Rectification (Art. 16): the cells to correct, typed and checked before any change."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, update
from sqlalchemy import types as sqltypes

from rgpd.errors import InvalidInput
from rgpd.i18n import _
from rgpd.requests import discovery as disc
from rgpd.requests import service
from rgpd.requests.erasure.execute import (
    Outcome,
    draft_letter,
    finish_source,
    partial_failure,
    run_source,
    set_state,
)
from rgpd.requests.erasure.plan import RowAction, recipients_to_inform
from rgpd.requests.erasure.store import checked_request, save_fulfilment
from rgpd.requests.model import RequestType
from rgpd.workspace import Workspace


@dataclass
class Correction:
    match: str
    connection: str
    table: str
    key: dict[str, Any]
    column: str
    value: Any = field(repr=False)


def _convert(col: Any, text: str) -> Any:
    """A corrected value typed by the DPO, in the column's type (checked before any change)."""
    t = col.type
    try:
        if text == "":
            return None
        if isinstance(t, sqltypes.Boolean):
            return text.strip().lower() in ("1", "true", "oui", "yes", "vrai")
        if isinstance(t, sqltypes.Integer):
            return int(text)
        if isinstance(t, sqltypes.DateTime):
            return datetime.fromisoformat(text)
        if isinstance(t, sqltypes.Date):
            return date.fromisoformat(text)
        if isinstance(t, sqltypes.Numeric):
            return Decimal(text)
    except (ValueError, InvalidOperation):
        raise InvalidInput(col.name, _("not a valid value for this column")) from None
    length = getattr(t, "length", None)
    if isinstance(length, int) and len(text) > length:
        raise InvalidInput(col.name, _("at most {n} characters", n=length))
    return text


def plan_rectification(
    ws: Workspace, org: str, ref: str, corrections: Mapping[str, str]
) -> list[Correction]:
    """The cells a rectification changes: ``table.column`` (or ``column``) on the rows found.

    Only rows matched directly (not reached through a foreign key) and
    confirmed are corrected: a parent's correction is not the children's.
    """
    checked_request(ws, org, ref, (RequestType.RECTIFICATION,))
    if not corrections:
        raise InvalidInput("--set", _("give the corrections as TABLE.COLUMN=VALUE"))
    found = disc.load(ws, org, ref)
    direct = [r for r in found.confirmed_rows() if r.parent is None]
    out: list[Correction] = []
    for target, value in corrections.items():
        table, _sep, column = target.rpartition(".")
        rows = [
            r for r in direct if not table or r.table.lower() == table.rsplit(".", 1)[-1].lower()
        ]
        hit = False
        for conn_name in sorted({r.connection for r in rows}):
            engine, _b = disc.open_engine(ws, conn_name)
            try:
                with engine.connect() as conn:
                    md = disc.reflect(conn, ws.settings.connection(conn_name).schema)
                    tables = disc.tables_by_name(md)
                    for r in rows:
                        if r.connection != conn_name:
                            continue
                        t = tables.get(r.table.lower())
                        col = (
                            next((c for c in t.columns if c.name.lower() == column.lower()), None)
                            if t is not None
                            else None
                        )
                        if col is None:
                            continue
                        if col.primary_key:
                            raise InvalidInput(target, _("a primary key is not rectified here"))
                        out.append(
                            Correction(
                                r.id,
                                conn_name,
                                r.table,
                                dict(r.key),
                                col.name,
                                _convert(col, value),
                            )
                        )
                        hit = True
            finally:
                engine.dispose()
        if not hit:
            raise InvalidInput(target, _("no row found for this person has this column"))
    return out


def _apply_corrections(
    corrections: Sequence[Correction],
) -> Callable[[Connection, dict[str, Table], Sequence[RowAction]], dict[str, tuple[int, int]]]:
    def apply(
        conn: Connection, tables: dict[str, Table], _rows: Sequence[RowAction]
    ) -> dict[str, tuple[int, int]]:
        counts: dict[str, int] = defaultdict(int)
        for c in corrections:
            t = tables[c.table.lower()]
            res = conn.execute(
                update(t).where(disc.key_clause(t, [c.key])).values({c.column: c.value})
            )
            counts[t.name.lower()] += int(res.rowcount or 0)
        return {k: (0, v) for k, v in counts.items()}

    return apply


def rectify(
    ws: Workspace,
    org: str,
    ref: str,
    corrections: Mapping[str, str],
    *,
    execute: bool = False,
    letter_dir: Path | None = None,
) -> tuple[list[Correction], Outcome | None]:
    """Art. 16: plan (default) or apply corrections, one transaction per database."""
    planned = plan_rectification(ws, org, ref, corrections)
    if not execute:
        return planned, None
    activities = service.offered_activities(ws, org)
    found = disc.load(ws, org, ref)
    acts = {a for r in found.rows if r.id in {c.match for c in planned} for a in r.activities}
    out = Outcome("rectification", service.normalise_reference(ref))
    out.recipients = recipients_to_inform([a for a in activities if a.ref in acts])
    summary = {"cells": len(planned), "columns": sorted({f"{c.table}.{c.column}" for c in planned})}
    payload = json.dumps([asdict(c) for c in planned], default=disc.jsonable)
    fid = save_fulfilment(
        ws, org, ref, "rectification", "planned", {**summary, "sources_done": []}, payload,
        discovery_id=found.id, action="request.rectification_planned", details=summary,
    )  # fmt: skip
    for conn_name in sorted({c.connection for c in planned}):
        mine = [c for c in planned if c.connection == conn_name]
        stub = [RowAction(c.match, c.connection, None, c.table, c.key, [], "rectify") for c in mine]
        src = run_source(ws, conn_name, stub, _apply_corrections(mine))
        finish_source(ws, org, ref, fid, "rectification", src)
        out.sources.append(src)
    if out.failed:
        set_state(ws, fid, "partial")
        raise partial_failure(out)
    set_state(ws, fid, "executed")
    if letter_dir is not None:
        out.letter = draft_letter(ws, org, ref, letter_dir)
    return planned, out
