"""FR_LICENSE_PLATE: SIV plates "AB-123-CD" (since 2009) and FNI "1234 AB 75".

SIV excludes the letters I, O and U and the blocks "SS" and "WW" on the left;
the hyphenated form is distinctive, the others need a vehicle cue.
"""

from __future__ import annotations

import re

from rgpd.scan.detect.recognizers.base import (
    SPACES,
    SURE,
    WEAK,
    ContextCue,
    Recognizer,
    near_digits,
)
from rgpd.scan.detect.types import Span

_L = "[A-HJ-NP-TV-Z]"
_SIV = re.compile(rf"({_L}(?<![\w\-]{_L}){_L}([\-{SPACES}]?)\d{{3}}\2{_L}{{2}})(?![\w\-])")
_FNI = re.compile(
    rf"(\d(?<![\w\-]\d)\d{{0,3}}[{SPACES}\-]?[A-Z]{{1,3}}[{SPACES}\-]?(?:0[1-9]|[1-8]\d|9[0-5]|2A|2B|97[1-6]))(?![\w\-])"
)
_CONTEXT = ContextCue(
    r"\b(?:immatricul\w*|vehicule|voiture|plaque|automobile|camion|moto\w*|stationn\w*|fourriere|carte grise|certificat d.immatriculation|siv|auto)\b",
    80,
    40,
)
_BAD_LEFT = frozenset({"SS", "WW"})


class PlateRecognizer(Recognizer):
    entities = ("FR_LICENSE_PLATE",)
    priority = 60
    needs_digit = True

    def find(self, text: str) -> list[Span]:
        out: list[Span] = []
        for m in near_digits(_SIV, text, 4, 5, min_len=3):
            value = m.group(1)
            if value[:2] in _BAD_LEFT:
                continue
            context = _CONTEXT.around(text, m.start(), m.end())
            score = SURE if context else (0.75 if m.group(2) == "-" else WEAK)
            out.append(Span("FR_LICENSE_PLATE", m.start(1), m.end(1), score))
        for m in near_digits(_FNI, text, 2, 12, min_len=1):
            if not any(c.isdigit() for c in m.group(1)[:1]):
                continue
            if _CONTEXT.around(text, m.start(), m.end()):
                out.append(Span("FR_LICENSE_PLATE", m.start(1), m.end(1), 0.8))
        return out
