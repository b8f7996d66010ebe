"""EMAIL_ADDRESS: RFC 5322 "dot-atom" addresses, checked offline.

Presidio's email recognizer calls tldextract, which may download the public
suffix list: this one only checks the shape of the domain (labels, an
alphabetic top-level label), so nothing ever touches the network. A bare
domain ("exemple.fr") or a URL without "@" is never an email.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rgpd.scan.detect.recognizers.base import SURE, Recognizer
from rgpd.scan.detect.types import Span

_EMAIL = re.compile(
    r"(?<![\w.+\-@])"
    r"([A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+)*"
    # an alphabetic top-level label, or an internationalised one in punycode ("xn--p1ai")
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+(?:[A-Za-z]{2,24}|xn--[A-Za-z0-9\-]{1,59}))"
    r"(?![\w\-@]|\.[A-Za-z0-9])"
)


def _near_at(text: str) -> Iterator[re.Match[str]]:
    """Matches of the email pattern in windows around each "@" (local part ≤ 64, domain ≤ 255)."""
    n = len(text)
    pos = text.find("@")
    lo = hi = -1
    while pos >= 0:
        ws, we = max(0, pos - 70), min(n, pos + 260)
        if ws <= hi:
            hi = we
        else:
            if hi >= 0:
                yield from _EMAIL.finditer(text, lo, hi)
            lo, hi = ws, we
        pos = text.find("@", pos + 1)
    if hi >= 0:
        yield from _EMAIL.finditer(text, lo, hi)


class EmailRecognizer(Recognizer):
    entities = ("EMAIL_ADDRESS",)
    priority = 8

    def find(self, text: str) -> list[Span]:
        if "@" not in text:
            return []
        out: list[Span] = []
        for m in _near_at(text):
            value = m.group(1)
            local = value.split("@", 1)[0]
            if local.startswith("'") or len(local) > 64:
                continue
            out.append(Span("EMAIL_ADDRESS", m.start(1), m.end(1), SURE))
        return out
