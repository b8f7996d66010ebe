"""IBAN_CODE: ISO 13616, mod-97 checked with python-stdnum (country formats too).

French IBANs have 27 characters, usually grouped by four. The candidate run
is greedy (it may swallow the next word, "... 189 BIC"), so the longest
prefix that validates is kept.
"""

from __future__ import annotations

import re

from stdnum import iban as _iban

from rgpd.scan.detect.recognizers.base import SURE, VALID, ContextCue, Recognizer, near_digits
from rgpd.scan.detect.types import Span

_CANDIDATE = re.compile(r"([A-Z](?<!\w[A-Z])[A-Z]\d{2}(?:[ \u00a0\-]?[A-Z0-9]){11,32})")
_CONTEXT = ContextCue(r"\b(?:iban|rib|bancaire|banque|compte|virement|prelevement|sepa)\b", 60)


def _offsets(raw: str) -> list[int]:
    """Index in ``raw`` just after each alphanumeric character."""
    return [i + 1 for i, c in enumerate(raw) if c.isalnum()]


class IbanRecognizer(Recognizer):
    entities = ("IBAN_CODE",)
    priority = 5

    def find(self, text: str) -> list[Span]:
        out: list[Span] = []
        for m in near_digits(_CANDIDATE, text, 4, 40, min_len=2):
            raw = m.group(1)
            ends = _offsets(raw)
            compact = "".join(c for c in raw if c.isalnum())
            for length in range(len(compact), 14, -1):
                # a valid IBAN never stops in the middle of a following word
                cut = ends[length - 1]
                if cut < len(raw) and raw[cut].isalnum():
                    continue
                if _iban.is_valid(compact[:length]):
                    start = m.start(1)
                    end = start + cut
                    if end < len(text) and text[end].isalnum():
                        continue
                    score = SURE if _CONTEXT.around(text, start, end) else VALID
                    out.append(Span("IBAN_CODE", start, end, score))
                    break
        return out
