"""DATE_OF_BIRTH: a real date written right after a birth cue.

"né(e) le", "née à Lyon le", "date de naissance :", "DDN", "Naissance :";
dates of meetings, invoices or deliberations are not births and are never
reported. Dates in a column headed "date de naissance" come from the
tabular recognizer.
"""

from __future__ import annotations

import re

from rgpd.scan.detect.recognizers.base import SURE, Recognizer, near_digits
from rgpd.scan.detect.recognizers.fr.dates import DATE, parse_date
from rgpd.scan.detect.text import before
from rgpd.scan.detect.types import Span

_CUE = re.compile(
    r"(?:\bne(?:e|es|s|\(e\)|\(es\)|\.e)?\s*(?:\([^)\n]{0,30}\)\s*)?(?:le|en|a\b[^\n]{1,40}?\ble|,)\s*"
    r"|naissance\b[^\n]{0,35}?[:\-]?\s*(?:le\s*)?"
    r"|\b(?:ddn|dob|birth date|date of birth|born on)\b\W{0,5}"
    r"|\bnaiss\.?\W{0,5}"
    r")$"
)


class DateOfBirthRecognizer(Recognizer):
    entities = ("DATE_OF_BIRTH",)
    priority = 55

    def find(self, text: str) -> list[Span]:
        out: list[Span] = []
        for m in near_digits(DATE, text, 2, 22, min_len=1):
            if parse_date(m) is None:
                continue
            if _CUE.search(before(text, m.start(), 70)):
                out.append(Span("DATE_OF_BIRTH", m.start(), m.end(), SURE))
        return out
