"""Restriction (Art. 18): mark the rows where the software has a column, record the rest."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, update
from sqlalchemy import types as sqltypes

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
from rgpd.requests.erasure.plan import RowAction, table_shape
from rgpd.requests.erasure.store import checked_request, save_fulfilment
from rgpd.requests.model import RequestType
from rgpd.workspace import Workspace


@dataclass
class RestrictionPlan:
    marked: list[RowAction] = field(default_factory=list)  # rows with a restriction column
    recorded: list[str] = field(default_factory=list)  # match ids restricted by record only


def _mark_value(col: Any, today: date) -> Any:
    t = col.type
    if isinstance(t, sqltypes.Boolean):
        return True
    if isinstance(t, sqltypes.Integer):
        return 1
    if isinstance(t, sqltypes.DateTime):
        return datetime.combine(today, datetime.min.time())
    if isinstance(t, sqltypes.Date):
        return today
    return "oui"


def plan_restriction(ws: Workspace, org: str, ref: str) -> RestrictionPlan:
    """Art. 18: rows whose table has a restriction column are marked; the rest is recorded."""
    checked_request(ws, org, ref, (RequestType.RESTRICTION,))
    found = disc.load(ws, org, ref)
    plan = RestrictionPlan()
    for conn_name in sorted({r.connection for r in found.confirmed_rows()}):
        rows = [r for r in found.confirmed_rows() if r.connection == conn_name]
        engine, _b = disc.open_engine(ws, conn_name)
        try:
            with engine.connect() as conn:
                md = disc.reflect(conn, ws.settings.connection(conn_name).schema)
                tables = disc.tables_by_name(md)
                for r in rows:
                    t = tables.get(r.table.lower())
                    shape = table_shape(conn_name, t, md) if t is not None else None
                    col = shape.restriction_column if shape else None
                    if col is None:
                        plan.recorded.append(r.id)
                        continue
                    plan.marked.append(
                        RowAction(r.id, conn_name, r.schema, r.table, dict(r.key), list(r.activities),
                                  "restrict", columns={col: "restrict"})
                    )  # fmt: skip
        finally:
            engine.dispose()
    plan.recorded += [f.id for f in found.confirmed_files()]
    return plan


def _apply_restriction(
    today: date,
) -> Callable[[Connection, dict[str, Table], Sequence[RowAction]], dict[str, tuple[int, int]]]:
    def apply(
        conn: Connection, tables: dict[str, Table], rows: Sequence[RowAction]
    ) -> dict[str, tuple[int, int]]:
        counts: dict[str, int] = defaultdict(int)
        for r in rows:
            t = tables[r.table.lower()]
            col = next(iter(r.columns))
            res = conn.execute(
                update(t)
                .where(disc.key_clause(t, [r.key]))
                .values({col: _mark_value(t.c[col], today)})
            )
            counts[t.name.lower()] += int(res.rowcount or 0)
        return {k: (0, v) for k, v in counts.items()}

    return apply


def restrict(
    ws: Workspace, org: str, ref: str, *, execute: bool = False, letter_dir: Path | None = None
) -> tuple[RestrictionPlan, Outcome | None]:
    """Art. 18: plan (default) or mark the rows, and record the restriction of the others."""
    plan = plan_restriction(ws, org, ref)
    if not execute:
        return plan, None
    found = disc.load(ws, org, ref)
    summary = {"marked": len(plan.marked), "recorded": len(plan.recorded)}
    payload = json.dumps({"marked": [r.match for r in plan.marked], "recorded": plan.recorded})
    fid = save_fulfilment(
        ws, org, ref, "restriction", "planned", {**summary, "sources_done": []}, payload,
        discovery_id=found.id, action="request.restriction_recorded", details=summary,
    )  # fmt: skip
    out = Outcome("restriction", service.normalise_reference(ref), recorded=len(plan.recorded))
    today = service.local_today(ws)
    for conn_name in sorted({r.connection for r in plan.marked}):
        src = run_source(
            ws,
            conn_name,
            [r for r in plan.marked if r.connection == conn_name],
            _apply_restriction(today),
        )
        finish_source(ws, org, ref, fid, "restriction", src)
        out.sources.append(src)
    if out.failed:
        set_state(ws, fid, "partial")
        raise partial_failure(out)
    set_state(ws, fid, "executed")
    if letter_dir is not None:
        out.letter = draft_letter(ws, org, ref, letter_dir)
    return plan, out
