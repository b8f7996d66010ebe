"""The contract every rgpd recognizer follows.

A recognizer is a pure function of the text: ``find(text) -> list[Span]``. It
needs no spaCy document, so the quick and standard depths call it directly on
whole texts (no per-call Presidio overhead), while the deep depth registers
the same object in a Presidio ``AnalyzerEngine`` through
:class:`rgpd.scan.detect.engine.PresidioAdapter`. Context words are handled
inside ``find`` (folded windows) rather than by Presidio's lemma enhancer, so
all depths score a hit the same way.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from functools import lru_cache

from rgpd.scan.detect.text import after, before
from rgpd.scan.detect.types import Span

#: Score of a hit whose checksum holds and whose context confirms it.
SURE = 0.95
#: Score of a checksum-valid hit without context.
VALID = 0.85
#: Score of a well-formed hit that still needs context to be reported.
WEAK = 0.4


class Recognizer(ABC):
    """One entity type (or a family of them), found without an NLP pipeline."""

    #: Entity types this recognizer can emit.
    entities: tuple[str, ...] = ()
    #: Lower numbers win when two different types claim overlapping text.
    priority: int = 50
    #: Needs spaCy NER spans to do its job fully (``find_with_ner``).
    uses_ner: bool = False

    @property
    def name(self) -> str:
        return type(self).__name__

    @abstractmethod
    def find(self, text: str) -> list[Span]:
        """Every hit in ``text`` with its score; thresholds are applied later."""


class ContextCue:
    """Folded-window context words, compiled once.

    ``pattern`` is matched against the lower-cased, accent-free text just
    before (and optionally after) a candidate; it is written without accents.
    """

    def __init__(self, pattern: str, width_before: int = 60, width_after: int = 0) -> None:
        self.regex = re.compile(pattern)
        self.width_before = width_before
        self.width_after = width_after

    def around(self, text: str, start: int, end: int) -> bool:
        if self.regex.search(before(text, start, self.width_before)):
            return True
        return bool(self.width_after and self.regex.search(after(text, end, self.width_after)))


def digits_only(value: str) -> str:
    return "".join(c for c in value if c.isdigit())


def spans(entity: str, hits: Iterable[tuple[int, int, float]]) -> list[Span]:
    return [Span(entity, s, e, sc) for s, e, sc in hits]


# Digits are rare in prose: most identifiers are searched only in short windows
# around runs of digits, found once per text. Regular expressions that start
# with a look-behind cannot use the engine's fast scan, so this is what keeps
# a dozen recognizers cheap on long texts.
_RUN = re.compile(r"\d[\d .,:/\-\u00a0()+]*")


@lru_cache(maxsize=2)
def digit_runs(text: str) -> tuple[tuple[int, int], ...]:
    """``(start, end)`` of every run of digits and number punctuation."""
    return tuple(m.span() for m in _RUN.finditer(text))


def near_digits(
    pattern: re.Pattern[str], text: str, before: int = 3, after: int = 3, min_len: int = 1
) -> Iterator[re.Match[str]]:
    """``pattern.finditer`` restricted to windows around digit runs of ``min_len`` chars or more.

    Look-behinds still see the whole text; ``after`` must leave room for look-aheads.
    """
    n = len(text)
    if n < 4096:  # a short text: one pass is cheaper
        yield from pattern.finditer(text)
        return
    runs = digit_runs(text)
    if len(runs) * 200 > n:  # a digit-dense text (a table, a log): likewise
        yield from pattern.finditer(text)
        return
    windows: list[list[int]] = []
    covered = 0
    for s, e in runs:
        if e - s < min_len:
            continue
        ws, we = max(0, s - before), min(n, e + after)
        if windows and ws <= windows[-1][1]:
            covered += max(0, we - windows[-1][1])
            windows[-1][1] = max(windows[-1][1], we)
        else:
            covered += we - ws
            windows.append([ws, we])
    if covered * 3 > n:
        yield from pattern.finditer(text)
        return
    seen: set[tuple[int, int]] = set()
    for lo, hi in windows:
        yield from _scan(pattern, text, lo, hi, seen)


def _scan(
    pattern: re.Pattern[str], text: str, lo: int, hi: int, seen: set[tuple[int, int]]
) -> Iterator[re.Match[str]]:
    for m in pattern.finditer(text, lo, hi):
        if m.span() not in seen:
            seen.add(m.span())
            yield m
