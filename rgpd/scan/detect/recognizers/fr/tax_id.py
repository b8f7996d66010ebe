"""FR_TAX_ID: numéro fiscal (SPI/NIF), 13 digits, first digit 0-3, check on the last 3
(python-stdnum ``fr.nif``). Reported with a tax cue, or alone when the
checksum holds (a random 13-digit run passes one time in 511).
"""

from __future__ import annotations

import re

from stdnum.fr import nif as _nif

from rgpd.scan.detect.recognizers.base import SPACES, SURE, ContextCue, Recognizer, near_digits
from rgpd.scan.detect.types import Span

_SP = f"[{SPACES}]?"
_NIF = re.compile(
    rf"([0-3](?<![\w./\-][0-3])(?<!\d,[0-3])\d{_SP}\d\d{_SP}\d{{3}}{_SP}\d{{3}}{_SP}\d{{3}})"
    rf"(?![\w]|[{SPACES}.,\-/]\d)"
)
_CONTEXT = ContextCue(
    r"\b(?:fiscal\w*|spi|nif|impot\w*|imposition|dgfip|tresor public|revenus?|contribuable|avis d.imposition)\b",
    80,
)


class TaxIdRecognizer(Recognizer):
    entities = ("FR_TAX_ID",)
    priority = 25
    needs_digit = True

    def find(self, text: str) -> list[Span]:
        out: list[Span] = []
        for m in near_digits(_NIF, text, 2, 4, min_len=13):
            compact = re.sub(r"\D", "", m.group(1))
            if not _nif.is_valid(compact):
                continue
            score = SURE if _CONTEXT.around(text, m.start(), m.end()) else 0.6
            out.append(Span("FR_TAX_ID", m.start(1), m.end(1), score))
        return out
