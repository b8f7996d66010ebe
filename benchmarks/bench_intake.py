"""Intake server throughput: citizens' submissions per second, SQLite vs PostgreSQL.

``rgpd serve`` (waitress, default sizing, the flood limit lifted: every client is
127.0.0.1) on a fresh database; ``--submissions`` citizens each fetch a CSRF token
and send the confirmed access form (stored, sealed, audited, verification e-mail
composed and handed to an in-memory mailer), at 1, 4 and 16 concurrent clients.
Printed: submissions/s, the ratio to the 1-client figure of the same database
(baseline measured in the same run), the 95th-percentile latency, and how many
responses were ≥ 500 (must be 0). Then the same for the verification links.

What it tells (docs/serving.md): on SQLite every write takes the one write lock,
so throughput stays flat as clients are added — requests queue instead of
failing; PostgreSQL lets writers of different rows overlap and scales a little
further, until the audit chain's head row (one append at a time) is the limit.

Usage::

    .venv/bin/python benchmarks/bench_intake.py [--submissions 200] [--clients 1,4,16]
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from tests.conftest import make_workspace  # noqa: E402
from tests.requests.intake_fixtures import form, setup_org  # noqa: E402
from tests.requests.load_client import post, running, submit_one  # noqa: E402

PG_ADMIN = os.environ.get("RGPD_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
LINK_RE = re.compile(r"http://127\.0\.0\.1:\d+(/o/[a-z0-9_-]+/verify/\S+)")


@contextmanager
def pg_database() -> Iterator[str]:
    name = f"rgpd_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def timed(calls: list[Callable[[], int]], clients: int) -> tuple[float, list[float], int]:
    """(seconds, per-call latencies, responses ≥ 500) for ``calls`` at ``clients`` at once."""
    latencies: list[float] = []
    errors = 0

    def one(call: Callable[[], int]) -> int:
        t = time.perf_counter()
        code = call()
        latencies.append(time.perf_counter() - t)
        return code

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for code in pool.map(one, calls):
            errors += code >= 500
    return time.perf_counter() - start, latencies, errors


def p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20)[-1] if len(xs) >= 2 else (xs[0] if xs else 0.0)


def run_database(
    label: str, url: str, base: Path, n: int, levels: list[int], rates: dict[tuple[str, int], float]
) -> int:
    ws = make_workspace(url, base)
    setup_org(ws)
    bad = 0
    first: dict[str, float] = {}
    with running(ws) as r:
        submit_one(r.port, form(email="warmup@example.org"))  # imports, templates, pool
        for clients in levels:
            emails = [f"c{clients}-{i}@example.org" for i in range(n)]
            secs, lat, errors = timed(
                [functools.partial(submit_one, r.port, form(email=e)) for e in emails], clients
            )
            rate = n / secs
            rates[label, clients] = rate
            first.setdefault("submit", rate)
            bad += errors
            print(
                f"{label:10} submit  {clients:2d} clients: {rate:6.1f}/s "
                f"(×{rate / first['submit']:.2f} vs 1 client)  p95 {p95(lat) * 1000:6.0f} ms  "
                f"≥500: {errors}",
                flush=True,
            )
            paths = [
                m.group(1)
                for mail in r.mailer.sent
                if mail.to in set(emails) and (m := LINK_RE.search(mail.text))
            ]
            secs, lat, errors = timed([functools.partial(post, r.port, p) for p in paths], clients)
            rate = len(paths) / secs
            first.setdefault("verify", rate)
            bad += errors
            print(
                f"{label:10} verify  {clients:2d} clients: {rate:6.1f}/s "
                f"(×{rate / first['verify']:.2f} vs 1 client)  p95 {p95(lat) * 1000:6.0f} ms  "
                f"≥500: {errors}",
                flush=True,
            )
    ws.db.dispose()
    return bad


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--submissions", type=int, default=200)
    ap.add_argument("--clients", default="1,4,16")
    ap.add_argument("--no-pg", action="store_true", help="SQLite only")
    args = ap.parse_args()
    levels = [int(x) for x in args.clients.split(",")]
    os.environ.setdefault("RGPD_LANG", "en")
    print(
        f"{args.submissions} submissions then their verifications per level; cores: "
        f"{os.cpu_count()}; load average {os.getloadavg()[0]:.1f}"
    )
    bad = 0
    rates: dict[tuple[str, int], float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        bad += run_database(
            "sqlite", f"sqlite:///{base / 'rgpd.db'}", base, args.submissions, levels, rates
        )
        if not args.no_pg:
            try:
                with pg_database() as url:
                    (base / "pg").mkdir()
                    bad += run_database(
                        "postgresql", url, base / "pg", args.submissions, levels, rates
                    )
            except Exception as exc:
                print(f"postgresql skipped: {exc.__class__.__name__}: {str(exc)[:120]}")
    for clients in levels:
        if ("sqlite", clients) in rates and ("postgresql", clients) in rates:
            ratio = rates["postgresql", clients] / rates["sqlite", clients]
            print(f"postgresql / sqlite submissions/s at {clients:2d} clients: ×{ratio:.2f}")
    print(f"responses ≥ 500: {bad}; load average at the end {os.getloadavg()[0]:.1f}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
