"""PHONE_NUMBER: French numbers (national, +33, 0033), overseas regions, and
international numbers, all validated with ``phonenumbers``.

Overseas regions dial their own national forms ("0692 12 34 56" in La
Réunion): a number invalid for metropolitan France is tried against the
overseas regions before being dropped.
"""

from __future__ import annotations

import re

from rgpd.masking import parse_phone
from rgpd.scan.detect.recognizers.base import SURE, VALID, ContextCue, Recognizer, near_digits
from rgpd.scan.detect.types import Span

_S = r"[ .\-\u00a0]?"
_PHONE = re.compile(
    # the first character ("+", "0" or "(") is matched before the look-behinds, so that
    # the engine skips fast to it; each branch then checks which one it was
    r"([+0(](?<![\w+/.\-][+0(])(?<!\d,[+0(])(?:"
    rf"(?:(?<=\+)|(?<=0)0){_S}33{_S}(?:\(0\){_S})?[1-9](?:{_S}\d\d){{4}}"
    rf"|(?:(?<=\+)|(?<=0)0){_S}(?:262|269|590|594|596|508|681|687|689){_S}\d{{2,3}}(?:{_S}\d\d){{2,3}}"
    rf"|(?:(?<=\()0|(?<=0))[1-9]\)?(?:{_S}\d\d){{4}}"
    rf"|(?<=\+){_S}[1-9]\d{{0,2}}{_S}(?:\(0\){_S})?\(?\d{{1,4}}\)?(?:{_S}\d{{2,4}}){{2,4}}"
    r"))(?![\w]|[ .,\-/]?\d)"
)
_CONTEXT = ContextCue(
    r"(?:\bt[eé]l\b|\btel\.|telephone|portable|mobile|\bfax\b|joindre|appele[rz]?|contact|\bgsm\b|standard|\bport\b|\btel\s*:)",
    50,
)


class PhoneRecognizer(Recognizer):
    entities = ("PHONE_NUMBER",)
    priority = 40

    def find(self, text: str) -> list[Span]:
        out: list[Span] = []
        for m in near_digits(_PHONE, text, 3, 4, min_len=8):
            if parse_phone(m.group(1)) is None:
                continue
            score = SURE if _CONTEXT.around(text, m.start(), m.end()) else VALID
            out.append(Span("PHONE_NUMBER", m.start(1), m.end(1), score))
        return out
