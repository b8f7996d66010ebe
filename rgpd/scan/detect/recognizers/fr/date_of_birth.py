"""DATE_OF_BIRTH: a real date written right after a birth cue.

"né(e) le", "née à Lyon le", "date de naissance :", "DDN", "Naissance :";
dates of meetings, invoices or deliberations are not births and are never
reported. Dates in a column headed "date de naissance" come from the
tabular recognizer.
"""

from __future__ import annotations

import re

from rgpd.scan.detect.recognizers.base import SURE, Recognizer, near_digits
from rgpd.scan.detect.recognizers.fr.dates import DATE, DATE_STARTS, parse_date
from rgpd.scan.detect.text import before
from rgpd.scan.detect.types import Span

_CUE = re.compile(
    r"(?:\bne(?:e|es|s|\(e\)|\(es\)|\.e)?\s*(?:\([^)\n]{0,30}\)\s*)?(?:le|en|a\b[^\n]{1,40}?\ble|,)\s*"
    r"|naissance\b[^\n]{0,35}?[:\-]?\s*(?:le\s*)?"
    r"|\b(?:ddn|dob|birth date|date of birth|born on)\b\W{0,5}"
    r"|\bnaiss\.?\W{0,5}"
    r")$"
)

#: Words one of :data:`_CUE`'s branches holds, whichever it is.
_CUE_WORDS = ("naiss", "ddn", "dob", "birth", "born")


def _may_cue(window: str) -> bool:
    """Whether :data:`_CUE` can match the folded ``window`` at all (a cheap test first).

    Most dates have no birth cue before them; the cue is searched in a window
    before each one. Every branch of the cue either holds one of
    :data:`_CUE_WORDS` or ends the window with "le", "en" or "," (spaces
    aside): a window with neither needs no regular expression.
    """
    return window.rstrip().endswith(("le", "en", ",")) or any(w in window for w in _CUE_WORDS)


class DateOfBirthRecognizer(Recognizer):
    entities = ("DATE_OF_BIRTH",)
    priority = 55
    needs_digit = True

    def find(self, text: str) -> list[Span]:
        out: list[Span] = []
        for m in near_digits(DATE, text, 2, 22, min_len=1, starts=DATE_STARTS):
            if parse_date(m) is None:
                continue
            window = before(text, m.start(), 70)
            if _may_cue(window) and _CUE.search(window):
                out.append(Span("DATE_OF_BIRTH", m.start(), m.end(), SURE))
        return out
