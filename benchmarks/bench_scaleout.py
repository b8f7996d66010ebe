"""Scale-out: the same tree scanned by the local pool (1 and 2 processes) and by Dask
(1 and 2 workers on this machine), with a capacity estimate for a night's scan.

For each executor the models are loaded first (a warm-up scan of a few files with
the same executor), then the whole tree is scanned with ``full``, into a fresh
store each time. Printed: files/s and MB/s, the scaling ratio 2 vs 1, Dask's
overhead per unit against the local pool (same number of workers), and the
per-core capacity (files and GB per hour) with the workers a 500 GB / 5 M-file
share needs for an 8-hour night.

The Dask cluster is started here: a ``dask scheduler`` and ``dask worker``
processes on 127.0.0.1 (``--nthreads 1``, no nanny, no dashboard), stopped at the end.

Usage::

    .venv/bin/python -m benchmarks.bench_scaleout                  # 600 files, standard
    .venv/bin/python -m benchmarks.bench_scaleout --files 2000 --depth quick
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DASK = Path(sys.executable).parent / "dask"
NIGHT_HOURS = 8.0
TARGET_GB, TARGET_FILES = 500.0, 5_000_000


@contextmanager
def dask_cluster(n_workers: int, tmp: Path) -> Iterator[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    sched_file = tmp / f"sched-{n_workers}.json"
    procs = [
        subprocess.Popen(
            [
                str(DASK),
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(sched_file),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        while not sched_file.exists():
            time.sleep(0.2)
        address = json.loads(sched_file.read_text())["address"]
        for i in range(n_workers):
            procs.append(
                subprocess.Popen(
                    [
                        str(DASK),
                        "worker",
                        address,
                        "--nthreads",
                        "1",
                        "--no-nanny",
                        "--no-dashboard",
                        "--host",
                        "127.0.0.1",
                        "--name",
                        f"w{i}",
                        "--local-directory",
                        str(tmp / f"dw{n_workers}-{i}"),
                    ],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        from distributed import Client

        with Client(address, timeout=60, set_as_default=False) as c:
            c.wait_for_workers(n_workers, timeout=120)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def run(label: str, make_executor, tree: Path, warm: Path, tmp: Path, depth: str, keys):  # type: ignore[no-untyped-def]
    from rgpd.config import Settings
    from rgpd.registry import service
    from rgpd.registry.model import Organisation
    from rgpd.scan.files import scan_files
    from rgpd.workspace import open_workspace

    base = tmp / label.replace(" ", "_")
    base.mkdir()
    settings = Settings(database_url=f"sqlite:///{base / 'rgpd.db'}", base_dir=base)
    ws = open_workspace(settings, actor="bench", keys=keys)
    service.add_org(ws, Organisation(slug="bench", name="Bench"))
    with make_executor() as ex:
        scan_files(ws, "bench", [warm], depth=depth, executor=ex)  # models loaded
        t0 = time.perf_counter()
        res = scan_files(ws, "bench", [tree], depth=depth, executor=ex, full=True)
        secs = time.perf_counter() - t0
    ws.db.dispose()
    n = res.counts["scanned"]
    print(
        f"   {label:<18} {secs:7.2f} s  {n / secs:7.1f} files/s  "
        f"{res.counts.get('bytes', 0) / 1e6 / secs if res.counts.get('bytes') else 0:5.2f} MB/s  "
        f"{len(res.findings)} findings, {res.counts['errors']} errors"
    )
    return secs, n, len(res.findings)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=600)
    ap.add_argument("--depth", default="standard", choices=["quick", "standard", "deep"])
    args = ap.parse_args()

    from benchmarks.bench_rescan import build_tree
    from rgpd.crypto import KeyRing
    from rgpd.scan.distributed import DaskExecutor
    from rgpd.scan.executor import LocalPoolExecutor

    tmp = Path(tempfile.mkdtemp(prefix="rgpd-scaleout-"))
    try:
        tree, warm = tmp / "partage", tmp / "chauffe"
        size = build_tree(tree, args.files)
        build_tree(warm, 8, seed=99)
        print(
            f"== Scale-out: {args.files} files, {size / 1e6:.1f} MB, depth {args.depth}, "
            f"{os.cpu_count()} cores on this machine"
        )
        keys = KeyRing.generate()
        results: dict[str, tuple[float, int, int]] = {}
        for w in (1, 2):
            results[f"local {w}"] = run(
                f"local {w} process",
                lambda w=w: LocalPoolExecutor(workers=w),
                tree,
                warm,
                tmp,
                args.depth,
                keys,
            )
        for w in (1, 2):
            with dask_cluster(w, tmp) as address:
                results[f"dask {w}"] = run(
                    f"dask {w} worker",
                    lambda a=address: DaskExecutor(a, window=32),
                    tree,
                    warm,
                    tmp,
                    args.depth,
                    keys,
                )
        same = len({r[2] for r in results.values()}) == 1
        print(f"   same number of findings everywhere: {'yes' if same else 'NO'}")
        for kind in ("local", "dask"):
            ratio = results[f"{kind} 1"][0] / results[f"{kind} 2"][0]
            print(f"   scaling {kind} 2 vs 1: {ratio:.2f}x")
        for w in (1, 2):
            extra = results[f"dask {w}"][0] - results[f"local {w}"][0]
            per_unit = extra / results[f"dask {w}"][1] * 1000
            gap = results[f"dask {w}"][0] / results[f"local {w}"][0] - 1
            print(
                f"   Dask overhead with {w} worker(s): {per_unit:+.1f} ms per unit "
                f"({gap:+.0%} vs the local pool; target within 15 % at 2)"
            )
        secs1, n1, _f = results["dask 1"]
        files_h = n1 / secs1 * 3600
        gb_h = size / 1e9 * (n1 / args.files) / secs1 * 3600
        need_files = TARGET_FILES / (files_h * NIGHT_HOURS)
        need_gb = TARGET_GB / (gb_h * NIGHT_HOURS)
        print("   capacity of one worker core (Dask, 1 worker, this tree):")
        print(f"     {files_h:,.0f} files/hour, {gb_h:.2f} GB/hour")
        print(
            f"     a {TARGET_GB:.0f} GB / {TARGET_FILES:,} files share in {NIGHT_HOURS:.0f} h "
            f"needs {max(need_files, need_gb):.0f} worker cores "
            f"({need_files:.0f} by file count, {need_gb:.0f} by volume)"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
