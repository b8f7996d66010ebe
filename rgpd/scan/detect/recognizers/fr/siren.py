"""FR_SIREN: 9-digit company number, Luhn checksum (python-stdnum, incl. La Poste).

A random 9-digit number passes Luhn one time in ten, so a SIREN is reported
only next to a cue ("SIREN", "RCS", "n° d'entreprise", "TVA"...), or when it
is the whole text (a database cell), or in a list of numbers that pass the
check too ("120027016 et 422260208": :func:`support_lists`). A sole trader's
SIREN identifies a person.

Written the way people write it: any grouping and separator ("752 932 715",
"752-932-715", "217601 145", narrow no-break spaces), and followed by another
number or a postal code ("SIREN 120 027 016 92120 Montrouge").

The intra-community VAT number ("n° TVA intracommunautaire FR 40 303 265 045")
is FR + a 2-character key + the SIREN: it is reported as the SIREN it holds
(the span covers the nine SIREN digits), once its key checks (python-stdnum
``fr.tva``). The key adds nothing that identifies the company, and one entity
type per company keeps the blind index of a SIREN and of its VAT number equal.
"""

from __future__ import annotations

import re

from stdnum.fr import tva as _tva

from rgpd.scan.detect.recognizers.base import (
    SEP,
    SURE,
    VALID,
    WEAK,
    ContextCue,
    Recognizer,
    digit_groups,
    luhn_ok,
    near_digits,
    strip_separators,
    support_lists,
    whole_value,
)
from rgpd.scan.detect.types import Span


def _valid(digits: str) -> bool:
    """The checksum holds and the SIREN is not all zeros (it passes Luhn, names no one)."""
    return digits != "000000000" and luhn_ok(digits)  # = stdnum's fr.siren, faster


def _vat_valid(key: str, digits: str) -> bool:
    """``stdnum.fr.tva.is_valid(key + digits)`` for the nine digits of a :data:`_VAT` match.

    stdnum rejects a number whose SIREN fails the Luhn check (unless it opens with
    "000", Monaco's); nine candidates in ten do, and that test costs a tenth of
    stdnum's cleaning and parsing: it is made first.
    """
    if digits[:3] != "000" and not luhn_ok(digits):
        return False
    return _tva.is_valid(key + digits)


#: "FR 40 303 265 045", "FR40303265045", "K7399859412" (the new-style keys may hold letters).
_VAT = re.compile(
    rf"(?<![\w.,/\-])(?:((?i:fr)){SEP}?)?([0-9A-HJ-NP-Z]{{2}}){SEP}?([0-9](?:{SEP}?[0-9]){{8}})"
    rf"(?!\w|{SEP}[0-9])"
)
#: Where :data:`_VAT` can start: "fr" in any case, or two key characters before a digit.
_VAT_STARTS = re.compile(
    rf"[fF0-9A-HJ-NP-Z](?<![\w.,/\-][fF0-9A-HJ-NP-Z])"
    rf"(?=(?<=[fF])[rR]|(?<=[0-9A-HJ-NP-Z])[0-9A-HJ-NP-Z]{SEP}?[0-9])"
)
#: Worth scanning for a VAT number: an "FR" prefix before digits, or a VAT word
#: (each branch opens with a character class, so the engine skips fast to it).
_VAT_HINT = re.compile(
    rf"[FfIi](?:(?<=[Ff])[Rr]{SEP}?[0-9A-Z]{{2}}{SEP}?[0-9]|(?<=[Ii])ntra.?communautaire)"
)
_VAT_WORDS = ("TVA", "tva", "VAT")


def _vat_hint(text: str) -> bool:
    return any(w in text for w in _VAT_WORDS) or _VAT_HINT.search(text) is not None


CUE = (
    r"\b(?:siren|rcs|r\.c\.s|n\W*d.entreprise|numero d.identification|immatricul\w*|siege social"
    r"|tva|intra.?communautaire|vat)\b"
)
_CONTEXT = ContextCue(CUE, 50, 12)


class SirenRecognizer(Recognizer):
    entities = ("FR_SIREN",)
    priority = 30
    needs_digit = True

    def find(self, text: str) -> list[Span]:
        out: list[Span] = []
        for s, e, _digits in digit_groups(text, (9,), _valid, 2, 4):
            out.append(Span("FR_SIREN", s, e, self._score(text, s, e)))
        if len(text) > 40 and not _vat_hint(text):
            return support_lists(text, out)  # no VAT number in this text: skip the costly scan
        for m in near_digits(_VAT, text, 4, 4, min_len=2, starts=_VAT_STARTS):
            if not _vat_valid(m.group(2), strip_separators(m.group(3))):
                continue
            s, e = m.start(3), m.end(3)
            context = _CONTEXT.around(text, m.start(), m.end())
            if context:
                score = SURE
            elif m.group(1) or whole_value(text, m.start(), m.end()):
                score = VALID  # "FR" + a key that checks + a valid SIREN: one chance in 970
            else:
                continue
            out.append(Span("FR_SIREN", s, e, score))
        best: dict[tuple[int, int], Span] = {}  # a VAT number is also read as a bare SIREN
        for span in out:
            key = (span.start, span.end)
            if key not in best or span.score > best[key].score:
                best[key] = span
        return support_lists(text, list(best.values()))

    @staticmethod
    def _score(text: str, s: int, e: int) -> float:
        if _CONTEXT.around(text, s, e):
            return SURE
        return VALID if whole_value(text, s, e) else WEAK
