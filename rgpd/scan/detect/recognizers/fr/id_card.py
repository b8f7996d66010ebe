"""FR_ID_CARD: carte nationale d'identité numbers, only next to an ID-card cue.

Old cards (1988-2021): 12 characters, YYMM + 3-character department/office
code + 5 digits; cards since 2021: 9 alphanumerics. Neither has a public
checksum outside the machine-readable zone, so the cue is mandatory.
"""

from __future__ import annotations

import re

from rgpd.scan.detect.recognizers.base import SURE, ContextCue, Recognizer, near_digits
from rgpd.scan.detect.types import Span

_CARD = re.compile(
    r"([0-9A-Z](?<![\w\-][0-9A-Z])(?:(?<=\d)\d(?:0[1-9]|1[0-2])[0-9A-Z]{3}\d{5}"
    r"|(?:(?<=\d)|(?=[A-Z0-9]*\d))(?:(?<=[A-Z])|(?=[A-Z0-9]*[A-Z]))[A-Z0-9]{8}))(?![\w\-])"
)
# "identit" or the word "CNI", any case; the first letter is a plain class (İ and ı are
# what re's ignore-case also matches for "i") so that the engine skips to it fast
_CHEAP = re.compile(
    r"[iI\u0130\u0131cC](?:(?<=[iI\u0130\u0131])(?i:dentit)|(?<![\w][cC])(?<=[cC])(?i:ni)\b)"
)
_CONTEXT = ContextCue(
    r"(?:carte (?:nationale )?d.identite|\bcni\b|piece d.identite|titre d.identite|identity card)[^\n]{0,40}$",
    90,
)


class IdCardRecognizer(Recognizer):
    entities = ("FR_ID_CARD",)
    priority = 35
    needs_digit = True

    def find(self, text: str) -> list[Span]:
        out: list[Span] = []
        if not _CHEAP.search(text):
            return out
        for m in near_digits(_CARD, text, 9, 12, min_len=1):
            if _CONTEXT.around(text, m.start(), m.end()):
                out.append(Span("FR_ID_CARD", m.start(1), m.end(1), SURE))
        return out
