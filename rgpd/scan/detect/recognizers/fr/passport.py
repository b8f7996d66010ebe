"""FR_PASSPORT: French passport numbers, 2 digits + 2 letters + 5 digits ("12AB34567").

The shape is distinctive enough to be reported weakly alone and firmly with
a passport cue.
"""

from __future__ import annotations

import re

from rgpd.scan.detect.recognizers.base import SURE, ContextCue, Recognizer, near_digits
from rgpd.scan.detect.types import Span

_PASSPORT = re.compile(r"(\d(?<![\w\-]\d)\d[A-Z]{2}\d{5})(?![\w\-])")
_CONTEXT = ContextCue(r"\b(?:passeport|passport|titre de voyage|document de voyage)\b", 90)


class PassportRecognizer(Recognizer):
    entities = ("FR_PASSPORT",)
    priority = 36
    needs_digit = True

    def find(self, text: str) -> list[Span]:
        out: list[Span] = []
        for m in near_digits(_PASSPORT, text, 2, 10, min_len=2):
            score = SURE if _CONTEXT.around(text, m.start(), m.end()) else 0.55
            out.append(Span("FR_PASSPORT", m.start(1), m.end(1), score))
        return out
