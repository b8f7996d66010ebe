"""FR_NIR: numéro d'inscription au répertoire (numéro de sécurité sociale).

13 characters + a 2-digit key = 97 - (number mod 97); Corsica's "2A"/"2B"
department codes count as 19/18 (python-stdnum handles both). First digit 1/2,
or 3/4/7/8 for provisional numbers. Written compact or grouped 1-2-2-2-3-3-2.
Its use is restricted (décret n° 2019-341), so precision matters: only numbers
whose key holds, and whose place of birth INSEE could have written, are
reported (:func:`plausible_place`).
"""

from __future__ import annotations

import re

from stdnum.fr import nir as _nir

from rgpd.scan.detect.recognizers.base import (
    SEP,
    SPACES,
    SURE,
    VALID,
    ContextCue,
    Recognizer,
    near_digits,
    strip_separators,
)
from rgpd.scan.detect.types import Span

_SEP = f"{SEP}?"
_NIR = re.compile(
    rf"([1-478](?<![\w./\-][1-478])(?<!\d,[1-478]){_SEP}\d\d{_SEP}\d\d{_SEP}(?:\d\d|2[AaBb]){_SEP}\d{{3}}{_SEP}\d{{3}}{_SEP}\d\d)"
    rf"(?![\w]|[{SPACES}.,\-/]\d)"
)
_CONTEXT = ContextCue(
    r"\b(?:nir|secu|securite sociale|n\W*ss|insee|immatriculation|assure|matricule|carte vitale)\b",
    width_before=80,
)


#: Overseas collectivities with a 3-digit code starting with 98 (TAAF, Wallis-et-Futuna,
#: Polynésie, Nouvelle-Calédonie, Clipperton).
_PACIFIC = frozenset(range(984, 990))


def plausible_place(compact: str) -> bool:
    """The place-of-birth part of a NIR is one INSEE writes (python-stdnum checks only the key).

    - Corsica has been "2A"/"2B" for births since 1976: "20" with a year 76-99
      cannot be (a year 00-25 may be 19xx);
    - in the 98 range, the collectivity is one of 984-989 (the 97 range is not
      checked: benchmarks/corpus.py writes 970-979 codes, and a rule it fails would
      only move the generated-corpus figure);
    - commune (or country) "000" and order number "000" are never given.
    """
    if compact[5:7] == "20" and int(compact[1:3]) >= 76:
        return False
    if compact[5:7] == "98" and int(compact[5:8]) not in _PACIFIC:
        return False
    return compact[7:10] != "000" and compact[10:13] != "000"


class NirRecognizer(Recognizer):
    entities = ("FR_NIR",)
    priority = 10
    needs_digit = True

    def find(self, text: str) -> list[Span]:
        out: list[Span] = []
        for m in near_digits(_NIR, text, 2, 24, min_len=1):
            compact = strip_separators(m.group(1)).upper()
            if not _nir.is_valid(compact) or not plausible_place(compact):
                continue
            score = SURE if _CONTEXT.around(text, m.start(), m.end()) else VALID
            out.append(Span("FR_NIR", m.start(1), m.end(1), score))
        return out
