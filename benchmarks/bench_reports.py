"""Render time of the DPO annual report on a large organisation.

Large = 200 activities, 50,000 findings, 5,000 requests (the test data set of
tests/reports/dataset.py, written with bulk inserts into a SQLite file). The
target is under 10 seconds for the HTML annual report; the register report
(summary tables only, no scan or request work) is timed in the same run as the
baseline, and the ratio annual / register is printed, so a slow machine does not
hide a regression.

Run: ``.venv/bin/python benchmarks/bench_reports.py [--pdf]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rgpd.reports import service  # noqa: E402
from tests.conftest import make_workspace  # noqa: E402
from tests.reports import dataset  # noqa: E402

TARGET_SECONDS = 10.0


def _time(fn: object, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--pdf", action="store_true", help="also time the annual PDF (slow)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        ws = make_workspace(f"sqlite:///{base / 'bench.db'}", base)
        t0 = time.perf_counter()
        dataset.seed_large(ws, "grande")
        print(f"seed large data set: {time.perf_counter() - t0:.1f} s")
        out = base / "out"

        def run(kind: str, fmt: str = "html") -> None:
            service.generate(
                ws,
                kind,
                org="grande",
                fmt=fmt,
                out_dir=out,
                year=dataset.YEAR,
                lang="fr",
                today=dataset.TODAY,
                now=dataset.NOW,
            )

        run("register")  # warm-up: imports (polars, matplotlib, great-tables)
        baseline = _time(lambda: run("register"), args.repeat)
        annual = _time(lambda: run("annual"), args.repeat)
        print(f"register report (baseline), HTML: {baseline:.2f} s")
        print(f"annual report, HTML:              {annual:.2f} s (target < {TARGET_SECONDS:.0f} s)")
        print(f"ratio annual / register:          {annual / baseline:.1f}x")
        if args.pdf:
            pdf = _time(lambda: run("annual", "pdf"), 1)
            print(f"annual report, PDF:               {pdf:.2f} s")
        ws.db.dispose()
        return 0 if annual < TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
