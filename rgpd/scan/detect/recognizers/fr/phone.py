"""PHONE_NUMBER: French numbers (national, +33, 0033), overseas regions, and
international numbers, all validated with ``phonenumbers``.

Overseas regions dial their own national forms ("0692 12 34 56" in La
Réunion): a number invalid for metropolitan France is tried against the
overseas regions before being dropped.

Ten digits in a row are a valid French number more often than they are a
phone: commit ids ("merge 0696232390 jx/…"), order and contract numbers.
So a number written without any separator is reported only next to a phone
word or as the value of a form field ("Portable : 0612345678"); a table
column headed "Téléphone" is read by the tabular recognizer instead. A run
of counting two-digit groups ("01 02 03 04 05", a hex dump) is never a phone.
"""

from __future__ import annotations

import re
from itertools import pairwise

from rgpd.masking import parse_phone
from rgpd.scan.detect.recognizers.base import (
    SURE,
    VALID,
    WEAK,
    ContextCue,
    Recognizer,
    near_digits,
)
from rgpd.scan.detect.types import Span

_S = r"[ .\-\u00a0]?"
_PHONE = re.compile(
    # the first character ("+", "0" or "(") is matched before the look-behinds, so that
    # the engine skips fast to it; each branch then checks which one it was; a number
    # right after another digit group ("06 01 04 03 06 05") is the tail of a longer run
    r"([+0(](?<![\w+/.\-][+0(])(?<!\d,[+0(])(?<!\d[ .\-\u00a0][+0(])(?:"
    rf"(?:(?<=\+)|(?<=0)0){_S}33{_S}(?:\(0\){_S})?[1-9](?:{_S}\d\d){{4}}"
    rf"|(?:(?<=\+)|(?<=0)0){_S}(?:262|269|590|594|596|508|681|687|689){_S}\d{{2,3}}(?:{_S}\d\d){{2,3}}"
    rf"|(?:(?<=\()0|(?<=0))[1-9]\)?(?:{_S}\d\d){{4}}"
    rf"|(?<=\+){_S}[1-9]\d{{0,2}}{_S}(?:\(0\){_S})?\(?\d{{1,4}}\)?(?:{_S}\d{{2,4}}){{2,4}}"
    r"))(?![\w]|[ .,\-/]?\d)"
)
#: Phone words, matched in the folded text before the number (and a little after it).
PHONE_WORDS = (
    r"(?:\bt[eé]l\b|\btel\.|telephon\w*|\bphone|portable|mobile|\bfixe\b|\bfax\b|joindre|joignable|"
    r"appele[rz]?|rappel\w*|contact|\bgsm\b|standard|\bport\b|\bsms\b|\btel\s*:)"
)
_CONTEXT = ContextCue(PHONE_WORDS, 50, 20)
#: The number is a form field's value: "Label : … 0612345678" ending its line.
_FIELD_BEFORE = re.compile(r"(?:^|\n)[^\n:]{1,60}\s:\s[^\n:]{0,60}$")
_FIELD_AFTER = re.compile(r"[ \t.;,]*(?:\r?\n|$)")


def counting(digits: str, grouped: bool = False) -> bool:
    """Two-digit groups that count up or down by one ("01 02 03 04 05"), or, written
    without separators (``grouped`` false), digits that do ("0123456789")."""
    for step in (2,) if grouped else (1, 2):
        vals = [int(digits[i : i + step]) for i in range(0, len(digits) - step + 1, step)]
        diffs = {b - a for a, b in pairwise(vals)}
        if len(vals) >= 4 and diffs in ({1}, {-1}):
            return True
    return False


def _is_field_value(text: str, start: int, end: int) -> bool:
    return bool(
        _FIELD_BEFORE.search(text, max(0, start - 130), start) and _FIELD_AFTER.match(text, end)
    )


class PhoneRecognizer(Recognizer):
    entities = ("PHONE_NUMBER",)
    priority = 40

    def find(self, text: str) -> list[Span]:
        out: list[Span] = []
        for m in near_digits(_PHONE, text, 3, 4, min_len=8):
            raw = m.group(1)
            digits = "".join(c for c in raw if c.isdigit())
            if counting(digits, digits != raw) or parse_phone(raw) is None:
                continue
            s, e = m.start(1), m.end(1)
            if _CONTEXT.around(text, s, e):
                score = SURE
            elif digits == raw and not _is_field_value(text, s, e):
                score = WEAK  # bare digits: below the threshold without a cue
            else:
                score = VALID
            out.append(Span("PHONE_NUMBER", s, e, score))
        return out
