"""Location coverage at report scale: the index against the plain rule, same run.

``LocationIndex`` (the reports' data map) must give the answers of
``rgpd.registry.locations.covering`` (the rule reconcile uses) much faster on
tens of thousands of sources and hundreds of declared locations. Prints the
figures, the ratio, and checks every answer agrees.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_locations.py [--sources 20000] [--activities 300]
"""

from __future__ import annotations

import argparse
import random
import time

from rgpd.registry.locations import LocationIndex, Place, covering
from rgpd.registry.model import Activity, DataLocation

ROOT = "/srv/partage"


def _activities(n: int, rng: random.Random) -> list[Activity]:
    acts = []
    for i in range(n):
        form = rng.choice(
            ["{d}/**", "{d}/*", "{d}", "{d}/**/*.pdf", "/srv/partage/{d}/**", "**/{d}/*.xlsx"]
        )
        path = form.format(d=f"service-{i}")
        acts.append(
            Activity(
                ref=f"a{i}", name=f"A{i}", data_locations=[DataLocation(kind="files", path=path)]
            )
        )
    return acts


def _sources(n: int, n_acts: int, rng: random.Random) -> list[str]:
    out = []
    for i in range(n):
        d = f"service-{rng.randrange(n_acts * 2)}"  # half of them undeclared
        sub = "/".join(f"s{rng.randrange(5)}" for _ in range(rng.randrange(3)))
        ext = rng.choice(["pdf", "xlsx", "odt"])
        out.append(f"{ROOT}/{d}/{sub + '/' if sub else ''}f{i}.{ext}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sources", type=int, default=20000)
    ap.add_argument("--activities", type=int, default=300)
    args = ap.parse_args()
    rng = random.Random(1)
    acts = _activities(args.activities, rng)
    sources = _sources(args.sources, args.activities, rng)

    t0 = time.perf_counter()
    index = LocationIndex(acts)
    fast = [index.match(s, ROOT) for s in sources]
    t_index = time.perf_counter() - t0

    sample = sources[: max(1, len(sources) // 10)]
    t0 = time.perf_counter()
    slow = [covering(acts, Place.file(s, ROOT)) for s in sample]
    t_rule = (time.perf_counter() - t0) * len(sources) / len(sample)

    bad = sum(
        1
        for f, s in zip(fast, slow, strict=False)
        if (f.activity.ref if f else None) != (s[0].activity.ref if s else None)
    )
    covered = sum(1 for f in fast if f)
    print(f"{len(sources)} sources, {len(acts)} activities, {covered} covered")
    print(f"index: {t_index:.2f} s   plain rule (baseline, extrapolated from 10%): {t_rule:.2f} s")
    print(f"speed-up x{t_rule / t_index:.0f}; disagreements on the sample: {bad}")
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
