"""Plain value types of the detection core (no spaCy, no Presidio import here).

Kept apart so that the scanner's storage side and the citizens' requests can
import :class:`Detection` without loading a language model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from rgpd.taxonomy import SPECIAL_ENTITIES


class Depth(StrEnum):
    """How hard to look; ``--depth`` on the command line.

    quick: regular expressions, checksums, lexicons and name cues only (no NER);
    standard: quick + NER on the few windows where cheap cues say a name may hide;
    deep: NER over the whole text through the Presidio engine, plus weaker cues.
    """

    QUICK = "quick"
    STANDARD = "standard"
    DEEP = "deep"


@dataclass(frozen=True, slots=True)
class Detection:
    """One entity found in one text.

    ``value`` is the matched text. It lives in memory only, for masking and
    the blind index: callers must never persist or log it (hence ``repr=False``).
    """

    entity_type: str
    start: int
    end: int
    score: float
    special_category: bool
    value: str = field(repr=False, compare=True)


@dataclass(frozen=True, slots=True)
class Span:
    """A recognizer's raw hit, before overlap resolution and thresholds."""

    entity_type: str
    start: int
    end: int
    score: float

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


def is_special(entity_type: str) -> bool:
    """Art. 9(1) categories and Art. 10 offences are flagged on every finding."""
    return entity_type in SPECIAL_ENTITIES
