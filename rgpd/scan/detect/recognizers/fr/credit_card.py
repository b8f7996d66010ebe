"""CREDIT_CARD: payment card numbers, Luhn-checked, issuer prefixes (Visa/CB, Mastercard, Amex).

Presidio registers its credit card recognizer for English only; this one is
registered for French. Grouped forms (4-4-4-4, Amex 4-6-5) or a card cue are
needed, since a bare 16-digit run passes Luhn one time in ten.
"""

from __future__ import annotations

import re

from stdnum import luhn

from rgpd.scan.detect.recognizers.base import SURE, VALID, WEAK, ContextCue, Recognizer, near_digits
from rgpd.scan.detect.types import Span

_CARD = re.compile(
    # not the tail of an IBAN grouped by four ("FR76 3000 6000 ...")
    # (the first digit comes before the look-behinds: the engine then skips non-digits fast)
    r"(\d(?<![\w./\-]\d)(?<!\d,\d)(?<![A-Z0-9]{4} \d)(?:"
    r"\d{3}([ \-\u00a0])\d{4}\2\d{4}\2\d{4}(?:\2\d{3})?"  # 16 (or 19) digits by four
    r"|(?<=3)[47]\d\d([ \-\u00a0])\d{6}\3\d{5}"  # Amex 4-6-5
    r"|\d{12,18}"
    r"))(?![\w]|[ .,\-/]\d)"
)
_PREFIX = re.compile(r"^(?:4|5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720)|3[47]|6(?:011|5))")
_CONTEXT = ContextCue(
    r"\b(?:carte|cb|visa|mastercard|amex|american express|paiement|bancaire|cryptogramme|expir\w*)\b",
    60,
    30,
)


class CreditCardRecognizer(Recognizer):
    entities = ("CREDIT_CARD",)
    priority = 6

    def find(self, text: str) -> list[Span]:
        out: list[Span] = []
        for m in near_digits(_CARD, text, 2, 4, min_len=13):
            raw = m.group(1)
            digits = re.sub(r"\D", "", raw)
            if not (13 <= len(digits) <= 19) or not _PREFIX.match(digits):
                continue
            if not luhn.is_valid(digits):
                continue
            context = _CONTEXT.around(text, m.start(), m.end())
            grouped = not raw.isdigit()
            score = SURE if context else (VALID if grouped else WEAK)
            out.append(Span("CREDIT_CARD", m.start(1), m.end(1), score))
        return out
