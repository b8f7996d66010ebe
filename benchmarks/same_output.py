"""Same detections before and after a change: dump every span of two checkouts, compare.

For speed work on the detection core, where the output must not move:
run ``dump`` from each checkout root (the old one: ``git archive <commit>``
into a directory, with this repository's ``.venv`` linked in), then ``compare``.
The texts: the generated corpus (``--docs`` per seed), and, when present
beside the checkout, the ner-fr files and the peer cases of ``../shared/data``.
Spans only (type, start, end, score), never the matched values.

Usage::

    .venv/bin/python -m benchmarks.same_output dump /tmp/after.json --depth standard
    .venv/bin/python -m benchmarks.same_output compare /tmp/before.json /tmp/after.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpus import generate

SHARED = Path("..") / "shared" / "data"


def _texts(docs: int, seeds: list[int]) -> dict[str, list[str]]:
    sets: dict[str, list[str]] = {}
    for f in sorted((SHARED / "ner-fr").glob("*.jsonl")):
        with f.open(encoding="utf-8") as fh:
            sets[f.name] = [json.loads(line)["text"] for line in fh]
    for seed in seeds:
        sets[f"generated-{seed}"] = [d.text for d in generate(docs, seed=seed)]
    cases = SHARED / "peer-cases" / "cases.json"
    if cases.exists():
        sets["peer-cases"] = [c["text"] for c in json.loads(cases.read_text(encoding="utf-8"))]
    return sets


def dump(out: Path, depth: str, docs: int, seeds: list[int]) -> None:
    import rgpd
    from rgpd.scan.detect import Detector

    print(f"rgpd from {Path(rgpd.__file__).parent}", file=sys.stderr)
    det = Detector(depth=depth)
    result: dict[str, list[list[list[object]]]] = {}
    c0 = time.process_time()
    for name, texts in _texts(docs, seeds).items():
        spans = []
        for i in range(0, len(texts), 32):
            for dets in det.detect_many(texts[i : i + 32]):
                spans.append([[d.entity_type, d.start, d.end, d.score] for d in dets])
        result[name] = spans
        print(f"{name}: {len(texts)} texts, {sum(map(len, spans))} spans", file=sys.stderr)
    print(f"CPU {time.process_time() - c0:.1f} s", file=sys.stderr)
    out.write_text(json.dumps(result), encoding="utf-8")


def compare(before: Path, after: Path) -> int:
    a = json.loads(before.read_text(encoding="utf-8"))
    b = json.loads(after.read_text(encoding="utf-8"))
    if a.keys() != b.keys():
        print(f"different text sets: {sorted(a)} vs {sorted(b)}")
        return 1
    texts = spans = differing = 0
    for name in a:
        if len(a[name]) != len(b[name]):
            print(f"{name}: {len(a[name])} vs {len(b[name])} texts")
            return 1
        bad = [i for i, (x, y) in enumerate(zip(a[name], b[name], strict=True)) if x != y]
        n = sum(map(len, a[name]))
        print(f"{name}: {len(a[name])} texts, {n} spans, {len(bad)} texts differ")
        for i in bad[:5]:
            gone = [s for s in a[name][i] if s not in b[name][i]]
            new = [s for s in b[name][i] if s not in a[name][i]]
            print(f"  text {i}: only before {gone}, only after {new}")
        texts, spans, differing = texts + len(a[name]), spans + n, differing + len(bad)
    print(f"TOTAL {texts} texts, {spans} spans, {differing} differing texts")
    return 1 if differing else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("out", type=Path)
    d.add_argument("--depth", default="standard")
    d.add_argument("--docs", type=int, default=1000)
    d.add_argument("--seeds", default="3,11,42")
    c = sub.add_parser("compare")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "dump":
        dump(args.out, args.depth, args.docs, [int(s) for s in args.seeds.split(",")])
        return 0
    return compare(args.before, args.after)


if __name__ == "__main__":
    raise SystemExit(main())
