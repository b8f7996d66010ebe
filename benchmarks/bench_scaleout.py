"""Scale-out: the same tree scanned by the local pool (1 and 2 processes) and by Dask
(1 and 2 workers on this machine), with a capacity estimate for a night's scan.

For each executor the models are loaded first (a warm-up scan of a few files with
the same executor), then the whole tree is scanned with ``full``, into a fresh
store each time. Printed: files/s and MB/s, the scaling ratio 2 vs 1, Dask's
overhead per file against the local pool (same number of workers), and the
per-core capacity (files and GB per hour) with the workers a 500 GB / 5 M-file
share needs for an 8-hour night.

The Dask cluster is started here: a ``dask scheduler`` and ``dask worker``
processes on 127.0.0.1 (``--nthreads 1``, no nanny, no dashboard), stopped at the end.

Usage::

    .venv/bin/python -m benchmarks.bench_scaleout                  # 600 office files
    .venv/bin/python -m benchmarks.bench_scaleout --files 2000 --depth quick --corpus text

The per-core capacity is measured as CPU time (the units run in this process after a
warm-up), not wall time, so that a loaded machine does not shrink it; the coordinator's
CPU per file says how many worker cores one ``rgpd`` process can feed.
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
    # as the workers of ``rgpd schedule --dask-worker`` run: without Dask's profiler
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False",
    }
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
        # workers first, then the scheduler: a worker told to close by its SIGTERM and by
        # the closing scheduler at once can hang in its shutdown until killed
        for group in (procs[1:], procs[:1]):
            for p in group:
                p.terminate()
            for p in group:
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()


def tree_cpu(root: int) -> float:
    """CPU seconds (user + system, with reaped children) of ``root`` and every live
    descendant: this process, its local pool, and the Dask scheduler and workers it
    started with their unit processes. Unlike wall time, it does not measure the
    neighbours of a shared machine."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                f = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry)] = (int(f[1]), sum(int(x) for x in f[11:15]) / tick)
    children: dict[int, list[int]] = {}
    for pid, (ppid, _cpu) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, stack = 0.0, [root]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        total += stats.get(pid, (0, 0.0))[1]
    return total


def run(label, make_executor, tree: Path, warm: Path, tmp: Path, depth: str, keys):  # type: ignore[no-untyped-def]
    """Scan ``tree`` with a fresh store; wall seconds, files, findings, coordinator CPU s,
    CPU s of every process involved."""
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
        t0, c0, a0 = time.perf_counter(), time.process_time(), tree_cpu(os.getpid())
        res = scan_files(ws, "bench", [tree], depth=depth, executor=ex, full=True)
        secs, cpu = time.perf_counter() - t0, time.process_time() - c0
        every = tree_cpu(os.getpid()) - a0
    ws.db.dispose()
    n = res.counts["scanned"]
    print(
        f"   {label:<18} {secs:7.2f} s  {n / secs:7.1f} files/s  "
        f"{res.counts.get('bytes', 0) / 1e6 / secs:5.2f} MB/s  coordinator "
        f"{cpu / n * 1000:4.1f} ms CPU/file, all processes {every / n * 1000:4.1f} ms "
        f"CPU/file  {len(res.findings)} findings, {res.counts['errors']} errors"
    )
    return secs, n, len(res.findings), cpu, every


def per_core(tree: Path, depth: str) -> tuple[float, int, int]:
    """CPU seconds one core spends on the tree's work units, in this process after a
    warm-up (no pool, no database): the capacity of one worker core."""
    from rgpd.crypto import KeyRing
    from rgpd.scan.files import WorkerConfig, WorkUnit, group_units, run_work, walk

    config = WorkerConfig(depth=depth, index_key=KeyRing.generate().index_key)
    units = [WorkUnit(i, e.path, e.size, e.mtime_ns) for i, e in enumerate(walk([str(tree)]))]
    works = list(group_units(units))
    run_work(works[0], config)  # models loaded
    c0 = time.process_time()
    for w in works:
        run_work(w, config)
    return time.process_time() - c0, len(units), sum(u.size for u in units)


def build(root: Path, n: int, corpus: str, seed: int) -> int:
    if corpus == "office":
        from rgpd.demo.samples import write_sample_share

        write_sample_share(root, n_files=n, seed=seed)
        return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    from benchmarks.bench_rescan import build_tree

    return build_tree(root, n, seed=seed)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=600)
    ap.add_argument("--depth", default="standard", choices=["quick", "standard", "deep"])
    ap.add_argument(
        "--corpus",
        default="office",
        choices=["office", "text"],
        help="office: the mixed office share of bench_e2e; text: small .txt letters",
    )
    args = ap.parse_args()

    from rgpd.crypto import KeyRing
    from rgpd.scan.distributed import DaskExecutor
    from rgpd.scan.executor import LocalPoolExecutor
    from rgpd.scan.files import GROUP_FILES

    tmp = Path(tempfile.mkdtemp(prefix="rgpd-scaleout-"))
    try:
        tree, warm = tmp / "partage", tmp / "chauffe"
        size = build(tree, args.files, args.corpus, 5)
        # enough groups for every worker to get one (and load its model) before timing
        build(warm, 4 * GROUP_FILES, args.corpus, 99)
        print(
            f"== Scale-out: {args.files} {args.corpus} files, {size / 1e6:.1f} MB, depth "
            f"{args.depth}, up to {GROUP_FILES} small files per unit, {os.cpu_count()} cores "
            f"on this machine, load {os.getloadavg()[0]:.1f}"
        )
        keys = KeyRing.generate()
        results: dict[str, tuple[float, int, int, float, float]] = {}
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
            per_file = extra / results[f"dask {w}"][1] * 1000
            gap = results[f"dask {w}"][0] / results[f"local {w}"][0] - 1
            cpu_file = (results[f"dask {w}"][4] - results[f"local {w}"][4]) / results[f"dask {w}"][
                1
            ]
            cpu_gap = results[f"dask {w}"][4] / results[f"local {w}"][4] - 1
            print(
                f"   Dask overhead with {w} worker(s): {per_file:+.1f} ms per file wall "
                f"({gap:+.0%} vs the local pool; target within 15 % at 2); "
                f"CPU of all processes {cpu_file * 1000:+.1f} ms per file ({cpu_gap:+.0%})"
            )
        cpu, n, nbytes = per_core(tree, args.depth)
        files_h = n / cpu * 3600
        gb_h = nbytes / 1e9 / cpu * 3600
        need_files = TARGET_FILES / (files_h * NIGHT_HOURS)
        need_gb = TARGET_GB / (gb_h * NIGHT_HOURS)
        coord = min(r[3] / r[1] for r in results.values())
        print(f"   capacity of one worker core (CPU time of the units, {n} files):")
        print(
            f"     {cpu / n * 1000:.1f} ms CPU/file: {files_h:,.0f} files/hour, {gb_h:.2f} GB/hour"
        )
        print(
            f"     a {TARGET_GB:.0f} GB / {TARGET_FILES:,} files share in {NIGHT_HOURS:.0f} h "
            f"needs {max(need_files, need_gb):.1f} worker cores "
            f"({need_files:.1f} by file count, {need_gb:.1f} by volume at this tree's "
            "bytes per file)"
        )
        print(
            f"     one coordinator spends {coord * 1000:.1f} ms CPU per file: it feeds up to "
            f"{1 / coord:,.0f} files/s, about {1 / coord / (n / cpu):.0f} worker cores"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
