"""FR_SIREN: 9-digit company number, Luhn checksum (python-stdnum, incl. La Poste).

A random 9-digit number passes Luhn one time in ten, so a SIREN is reported
only next to a cue ("SIREN", "RCS", "n° d'entreprise"...). A sole trader's
SIREN identifies a person.
"""

from __future__ import annotations

import re

from stdnum.fr import siren as _siren

from rgpd.scan.detect.recognizers.base import SURE, WEAK, ContextCue, Recognizer, near_digits
from rgpd.scan.detect.types import Span

_SIREN = re.compile(
    r"(\d(?<![\w./\-]\d)(?<!\d,\d)\d\d[ .\u00a0]?\d{3}[ .\u00a0]?\d{3})(?![\w]|[ .,\-/]\d)"
)
_CONTEXT = ContextCue(
    r"\b(?:siren|rcs|r\.c\.s|n\W*d.entreprise|numero d.identification|immatricul\w*|siege social)\b",
    50,
)


class SirenRecognizer(Recognizer):
    entities = ("FR_SIREN",)
    priority = 30

    def find(self, text: str) -> list[Span]:
        out: list[Span] = []
        for m in near_digits(_SIREN, text, 2, 4, min_len=9):
            compact = re.sub(r"\D", "", m.group(1))
            if not _siren.is_valid(compact):
                continue
            score = SURE if _CONTEXT.around(text, m.start(), m.end()) else WEAK
            out.append(Span("FR_SIREN", m.start(1), m.end(1), score))
        return out
