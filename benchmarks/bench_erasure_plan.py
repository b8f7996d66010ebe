"""The cost of a safe erasure plan: who else references the person's rows.

What is measured: ``rgpd.requests.erasure.build_plan`` for one family of the
commune's portal tables (a family, its children, invoices and portal logs), and
inside it :func:`rgpd.requests.discovery.referencing_rows` — the step that reads,
for every row to erase, every row that references it through a foreign key
(found by discovery or not), so that the plan never deletes a row some other
row still needs (RESTRICT would fail, CASCADE would delete someone else's row,
SET NULL would change it). The baseline is ``discover`` for the same request,
measured in the same run on the same database: the plan should cost about what
the search costs, and grow with the rows *found*, not the rows *held* (the
same measures on a database ten times smaller are printed, with the ratio).

Uses the tables and the synthetic families of ``bench_discovery`` (no Faker);
PostgreSQL when the local server answers, SQLite otherwise; ``--url`` picks
another database.

Usage::

    .venv/bin/python -m benchmarks.bench_erasure_plan
    .venv/bin/python -m benchmarks.bench_erasure_plan --rows 1000000 --small 100000
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.bench_discovery import ORG, database, request_for, seed, workspace


def erasure_request(ws: Any, person: int) -> str:
    from rgpd.requests.model import RequestType

    return request_for(ws, person, right=RequestType.ERASURE)


def _median(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    fn()  # warm-up: imports, first connection
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def measure(url: str | None, rows: int, *, repeat: int, tmp: Path) -> dict[str, Any]:
    from rgpd.requests import discovery, erasure

    with database(url, tmp, f"er{rows}") as db_url:
        counts = seed(db_url, rows, index=True)
        person = counts["familles"] // 2 + 1
        base = tmp / f"ws-{rows}"
        base.mkdir()
        ws = workspace(base, db_url)
        ref = erasure_request(ws, person)
        t_disc, found = _median(lambda: discovery.discover(ws, ORG, ref), repeat)
        t_plan, plan = _median(lambda: erasure.build_plan(ws, ORG, ref), repeat)
        confirmed = found.confirmed_rows()

        def links() -> dict[str, set[str]]:
            engine, _b = discovery.open_engine(ws, "portail")
            try:
                with engine.connect() as conn:
                    md = discovery.reflect(conn, None)
                    return discovery.referencing_rows(conn, md, "portail", confirmed)
            finally:
                engine.dispose()

        t_links, got = _median(links, repeat)
        ws.db.dispose()
        return {
            "backend": db_url.split(":", 1)[0].split("+", 1)[0],
            "rows": sum(counts.values()),
            "found": len(confirmed),
            "links": sum(len(v) for v in got.values()),
            "actions": plan.summary()["rows"],
            "discover_s": t_disc,
            "plan_s": t_plan,
            "links_s": t_links,
        }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("--url", help="database to fill (default: local PostgreSQL, else SQLite)")
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--small", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rgpd-bench-erasure-") as d:
        results = [
            measure(args.url, n, repeat=args.repeat, tmp=Path(d)) for n in (args.small, args.rows)
        ]
    print(f"{'backend':<10} {'rows held':>10} {'found':>6} {'links':>6} {'discover s':>10} "
          f"{'plan s':>8} {'refs s':>8} {'plan/discover':>13}  actions")  # fmt: skip
    for r in results:
        print(
            f"{r['backend']:<10} {r['rows']:>10,} {r['found']:>6} {r['links']:>6} "
            f"{r['discover_s']:>10.3f} {r['plan_s']:>8.3f} {r['links_s']:>8.3f} "
            f"{r['plan_s'] / r['discover_s']:>12.2f}×  {r['actions']}"
        )
    small, big = results
    print(
        f"plan time, {big['rows']:,} / {small['rows']:,} rows held: "
        f"{big['plan_s'] / small['plan_s']:.2f}× (rows found: {big['found']} vs {small['found']})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
