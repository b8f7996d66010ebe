"""CREDIT_CARD: payment card numbers, Luhn-checked, in a known issuer (IIN) range.

Presidio registers its credit card recognizer for English only; this one is
registered for French. Brands: Visa (and CB, co-badged on Visa and Mastercard
ranges), Mastercard (51-55 and the 2221-2720 series), American Express,
Diners Club, Discover, JCB, UnionPay, Maestro, Mir and UATP.

A bare 16-digit run in prose passes Luhn one time in ten, so a grouped form
("4970 1012 3456 7897", Amex 4-6-5, "4012-8888-8888-1881"), a card cue, or a
text that is nothing but the number (a database cell) is needed. Several
numbers in a row ("4012888888881881 4012-8888-8888-1881") are read one by one,
and vouch for each other (:func:`support_lists`): a bare number listed next to
a grouped card is a card too.
"""

from __future__ import annotations

import re

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

#: Issuer identification number ranges (ISO/IEC 7812), and the lengths they issue.
_IIN = re.compile(
    r"^(?:"
    r"(?=(?:\d{13}|\d{16}|\d{19})$)4"  # Visa, CB: 13, 16 or 19 digits
    r"|(?=\d{16}$)(?:5[1-5]|2(?:22[1-9]|2[3-9]|[3-6]|7[01]|720))"  # Mastercard
    r"|(?=\d{15}$)3[47]"  # American Express
    r"|(?=\d{15}$)1"  # UATP
    r"|(?=\d{14,19}$)(?:30[0-5]|3095|3[689])"  # Diners Club
    r"|(?=\d{16,19}$)35(?:2[89]|[3-8])"  # JCB
    r"|(?=\d{16,19}$)220[0-4]"  # Mir
    r"|(?=\d{12,19}$)(?:6|5[06-8]|81)"  # Discover, UnionPay, Maestro
    r")"
)
#: The tail of an IBAN grouped by four ("FR76 3000 6000 0112 3456 7890 189").
_IBAN_HEAD = re.compile(r"[A-Z]{2}\d\d(?: [A-Z0-9]{4})* $")
_CONTEXT = ContextCue(
    r"\b(?:cartes?|cb|visa|mastercard|master card|amex|american express|maestro|jcb|diners|discover"
    r"|unionpay|paiement|bancaire|cryptogramme|expir\w*|credit card|card number|card)\b",
    60,
    30,
)
_GROUP = re.compile(r"[0-9]+")
_SIZES = (16, 15, 19, 14, 13, 18, 17, 12)


def _valid(digits: str) -> bool:
    return _IIN.match(digits) is not None and luhn_ok(digits)


def _card_grouping(value: str) -> bool:
    """Written as cards are: one run, by four ("4012 8888 8888 1881"), or 4-6-5 / 4-6-4.

    A SIRET is also a Luhn number and may fall in a card range (Diners' 30, 36, 38);
    written 3-3-3-5 or digit by digit, it is not a card.
    """
    sizes = [len(g) for g in _GROUP.findall(value)]
    if len(sizes) == 1 or sizes in ([4, 6, 5], [4, 6, 4]):
        return True
    return all(n == 4 for n in sizes[:-1]) and 1 <= sizes[-1] <= 4


class CreditCardRecognizer(Recognizer):
    entities = ("CREDIT_CARD",)
    priority = 6
    needs_digit = True

    def find(self, text: str) -> list[Span]:
        out: list[Span] = []
        for s, e, digits in digit_groups(text, _SIZES, _valid, 2, 4):
            if _IBAN_HEAD.search(text, max(0, s - 40), s) or not _card_grouping(text[s:e]):
                continue
            context = _CONTEXT.around(text, s, e)
            if not context and len(digits) == 14 and _siret.is_valid(digits):
                continue  # a SIRET in a Diners Club range: only a card cue makes it a card
            if context:
                score = SURE
            elif e - s > len(digits) or whole_value(text, s, e):
                score = VALID  # grouped, or a value standing alone
            else:
                score = WEAK
            out.append(Span("CREDIT_CARD", s, e, score))
        return support_lists(text, out)
