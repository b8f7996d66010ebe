"""FR_NIR: numéro d'inscription au répertoire (numéro de sécurité sociale).

13 characters + a 2-digit key = 97 - (number mod 97); Corsica's "2A"/"2B"
department codes count as 19/18 (python-stdnum handles both). First digit 1/2,
or 3/4/7/8 for provisional numbers. Written compact or grouped 1-2-2-2-3-3-2.
Its use is restricted (décret n° 2019-341), so precision matters: only numbers
whose key holds are reported.
"""

from __future__ import annotations

import re

from stdnum.fr import nir as _nir

from rgpd.scan.detect.recognizers.base import SURE, VALID, ContextCue, Recognizer, near_digits
from rgpd.scan.detect.types import Span

_SEP = r"[ .\-\u00a0]?"
_NIR = re.compile(
    rf"([1-478](?<![\w./\-][1-478])(?<!\d,[1-478]){_SEP}\d\d{_SEP}\d\d{_SEP}(?:\d\d|2[AaBb]){_SEP}\d{{3}}{_SEP}\d{{3}}{_SEP}\d\d)"
    r"(?![\w]|[ .,\-/]\d)"
)
_CONTEXT = ContextCue(
    r"\b(?:nir|secu|securite sociale|n\W*ss|insee|immatriculation|assure|matricule|carte vitale)\b",
    width_before=80,
)


class NirRecognizer(Recognizer):
    entities = ("FR_NIR",)
    priority = 10

    def find(self, text: str) -> list[Span]:
        out: list[Span] = []
        for m in near_digits(_NIR, text, 2, 24, min_len=1):
            compact = re.sub(r"[ .\-\u00a0]", "", m.group(1)).upper()
            if not _nir.is_valid(compact):
                continue
            score = SURE if _CONTEXT.around(text, m.start(), m.end()) else VALID
            out.append(Span("FR_NIR", m.start(1), m.end(1), score))
        return out
