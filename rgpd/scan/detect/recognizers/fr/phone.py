"""PHONE_NUMBER: French numbers (national, +33, 0033), overseas regions, and
international numbers, all validated with ``phonenumbers``.

Overseas regions dial their own national forms ("0692 12 34 56" in La
Réunion): a number invalid for metropolitan France is tried against the
overseas regions before being dropped.
"""

from __future__ import annotations

import re

import phonenumbers

from rgpd.scan.detect.recognizers.base import SURE, VALID, ContextCue, Recognizer
from rgpd.scan.detect.types import Span

_S = r"[ .\-\u00a0]?"
_PHONE = re.compile(
    r"(?<![\w+/,.\-])("
    rf"(?:\+|00){_S}33{_S}(?:\(0\){_S})?[1-9](?:{_S}\d\d){{4}}"
    rf"|(?:\+|00){_S}(?:262|269|590|594|596|508|681|687|689){_S}\d{{2,3}}(?:{_S}\d\d){{2,3}}"
    rf"|\(?0[1-9]\)?(?:{_S}\d\d){{4}}"
    rf"|\+{_S}[1-9]\d{{0,2}}{_S}(?:\(0\){_S})?\(?\d{{1,4}}\)?(?:{_S}\d{{2,4}}){{2,4}}"
    r")(?![\w]|[ .,\-/]?\d)"
)
#: Regions that share French numbering habits (DROM-COM, Monaco).
_REGIONS = ("FR", "RE", "GP", "GF", "MQ", "YT", "PM", "NC", "PF", "WF", "BL", "MF", "MC")
_CONTEXT = ContextCue(
    r"(?:\bt[eé]l\b|\btel\.|telephone|portable|mobile|\bfax\b|joindre|appele[rz]?|contact|\bgsm\b|standard|\bport\b|\btel\s*:)",
    50,
)


def parse_phone(raw: str) -> phonenumbers.PhoneNumber | None:
    """The valid number ``raw`` denotes, trying France then its overseas regions."""
    value = raw.strip().replace("(0)", "")
    if value.startswith("00"):
        value = "+" + value[2:]
    regions = ("FR",) if value.startswith("+") else _REGIONS
    for region in regions:
        try:
            num = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(num):
            return num
    return None


class PhoneRecognizer(Recognizer):
    entities = ("PHONE_NUMBER",)
    priority = 40

    def find(self, text: str) -> list[Span]:
        out: list[Span] = []
        for m in _PHONE.finditer(text):
            if parse_phone(m.group(1)) is None:
                continue
            score = SURE if _CONTEXT.around(text, m.start(), m.end()) else VALID
            out.append(Span("PHONE_NUMBER", m.start(1), m.end(1), score))
        return out
