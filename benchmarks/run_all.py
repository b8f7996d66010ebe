"""Run every benchmark with its default (issue-sized) settings, one after the other.

Each script prints its own figures and the ratio to its baseline, measured in the
same run. ``--quick`` uses smaller inputs to check that everything still runs.

    .venv/bin/python benchmarks/run_all.py [--quick]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
FULL = [
    ["bench_detect.py", "--docs", "400", "--seed", "11"],
    ["bench_rescan.py", "--files", "10000", "--workers", "2"],
    ["bench_dbscan.py"],
    ["bench_discovery.py"],
    ["bench_reports.py"],
    ["bench_intake.py", "--submissions", "100"],
    ["bench_e2e.py", "--files", "150"],
    ["bench_scaleout.py", "--files", "400", "--depth", "standard"],
    ["bench_locations.py"],
    ["bench_erasure_plan.py"],
]
QUICK = [
    ["bench_detect.py", "--docs", "60", "--seed", "11"],
    ["bench_rescan.py", "--files", "500", "--workers", "2", "--depth", "quick"],
    ["bench_dbscan.py", "--big", "100000", "--repeat", "1"],
    ["bench_discovery.py", "--rows", "100000", "--small", "10000", "--files", "1000"],
    ["bench_reports.py", "--repeat", "1"],
    ["bench_intake.py", "--submissions", "20", "--no-pg"],
    ["bench_e2e.py", "--files", "20", "--depth", "quick", "--no-dask", "--large-scale", "0"],
    ["bench_scaleout.py", "--files", "40", "--depth", "quick"],
    ["bench_locations.py", "--sources", "2000", "--activities", "50"],
    ["bench_erasure_plan.py", "--rows", "20000", "--small", "2000", "--repeat", "1"],
]


def main() -> int:
    runs = QUICK if "--quick" in sys.argv else FULL
    failed = 0
    for args in runs:
        print(f"\n===== {' '.join(args)}", flush=True)
        module = f"benchmarks.{args[0].removesuffix('.py')}"  # some import benchmarks.corpus
        rc = subprocess.call([sys.executable, "-m", module, *args[1:]], cwd=HERE.parent)
        failed += rc != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
