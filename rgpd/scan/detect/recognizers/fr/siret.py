"""FR_SIRET: SIREN + 5-digit establishment number, Luhn (La Poste exception).

Reported when a cue is near, or when the number is written in its usual
3-3-3-5 grouping; a bare 14-digit run passing Luhn (one in ten do) is not enough.
"""

from __future__ import annotations

import re

from stdnum.fr import siret as _siret

from rgpd.scan.detect.recognizers.base import SURE, VALID, WEAK, ContextCue, Recognizer, near_digits
from rgpd.scan.detect.types import Span

_SIRET = re.compile(
    r"(\d(?<![\w./\-]\d)(?<!\d,\d)\d\d[ .\u00a0]?\d{3}[ .\u00a0]?\d{3}[ .\u00a0]?\d{5})(?![\w]|[ .,\-/]\d)"
)
_GROUPED = re.compile(r"^\d{3}([ .\u00a0])\d{3}\1\d{3}\1\d{5}$")
_CONTEXT = ContextCue(
    r"\b(?:siret|siren|etablissement|n\W*d.entreprise|rcs|immatricul\w*|auto.?entrepreneur|micro.?entrepreneur|prestataire|fournisseur|titulaire)\b",
    60,
)


class SiretRecognizer(Recognizer):
    entities = ("FR_SIRET",)
    priority = 20

    def find(self, text: str) -> list[Span]:
        out: list[Span] = []
        for m in near_digits(_SIRET, text, 2, 4, min_len=14):
            raw = m.group(1)
            compact = re.sub(r"\D", "", raw)
            if not _siret.is_valid(compact):
                continue
            if _CONTEXT.around(text, m.start(), m.end()):
                score = SURE
            elif _GROUPED.match(raw):
                score = VALID
            else:
                score = WEAK
            out.append(Span("FR_SIRET", m.start(1), m.end(1), score))
        return out
