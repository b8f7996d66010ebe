"""FR_SIRET: SIREN + 5-digit establishment number, Luhn (La Poste exception).

Reported when a cue is near, when the number keeps the SIREN | NIC split
people write ("120 027 016 00563", "752-932-715-00010", "7 7821 0526 00019"),
or when it is the whole text (a database cell), or in a list of numbers that
pass the check too (:func:`support_lists`); a bare 14-digit run in prose
passing Luhn (one in ten do) is not enough. Any grouping and separator is
read, and a following number or postal code does not hide it
("SIRET : 120 027 016 00563 75014 Paris").
"""

from __future__ import annotations

from stdnum.fr import siret as _siret

from rgpd.scan.detect.recognizers.base import (
    SURE,
    VALID,
    WEAK,
    ContextCue,
    Recognizer,
    digit_groups,
    luhn_ok,
    support_lists,
    whole_value,
)
from rgpd.scan.detect.types import Span


def _valid(digits: str) -> bool:
    """The checksum holds and the SIREN is not all zeros (it passes Luhn, names no one)."""
    if digits[:9] == "000000000":
        return False
    if digits.startswith("356000000"):  # La Poste: python-stdnum knows its own rule
        return bool(_siret.is_valid(digits))
    # = python-stdnum's fr.siret: the SIREN and the whole number both pass Luhn
    return luhn_ok(digits[:9]) and luhn_ok(digits)


_CONTEXT = ContextCue(
    r"\b(?:siret|siren|etablissement|n\W*d.entreprise|rcs|immatricul\w*|auto.?entrepreneur|micro.?entrepreneur|prestataire|fournisseur|titulaire)\b",
    60,
    12,
)


def _split_after_siren(text: str, start: int, end: int) -> bool:
    """A separator right after the ninth digit: the SIREN | NIC split."""
    seen = 0
    for i in range(start, end):
        if text[i].isdigit():
            seen += 1
            if seen == 9:
                return i + 1 < end and not text[i + 1].isdigit()
    return False


class SiretRecognizer(Recognizer):
    entities = ("FR_SIRET",)
    priority = 20
    needs_digit = True

    def find(self, text: str) -> list[Span]:
        out: list[Span] = []
        for s, e, _digits in digit_groups(text, (14,), _valid, 2, 4):
            if _CONTEXT.around(text, s, e):
                score = SURE
            elif _split_after_siren(text, s, e) or whole_value(text, s, e):
                score = VALID
            else:
                score = WEAK
            out.append(Span("FR_SIRET", s, e, score))
        return support_lists(text, out)
