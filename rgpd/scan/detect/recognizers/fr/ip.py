"""IP_ADDRESS: IPv4 and IPv6 (validated by ``ipaddress``), with connection-log cues.

Section numbers ("1.2.3.4") look like IPv4: addresses whose octets are all
single digits need a cue ("adresse IP", "connexion", "serveur"...).
"""

from __future__ import annotations

import ipaddress
import re

from rgpd.scan.detect.recognizers.base import SURE, VALID, WEAK, ContextCue, Recognizer, near_digits
from rgpd.scan.detect.types import Span

_V4 = re.compile(r"(\d(?<![\w.\-]\d)\d{0,2}\.(?:\d{1,3}\.){2}\d{1,3})(?![\w\-]|\.\d)")
# the first character (a hex digit or ":") comes before the look-behind, so that the
# engine skips fast to candidates; the first group then resumes after it
_V6 = re.compile(
    r"([0-9A-Fa-f:](?<![\w:.][0-9A-Fa-f:])(?:(?<=:)|(?<=[0-9A-Fa-f])[0-9A-Fa-f]{0,3}:)"
    r"(?:[0-9A-Fa-f]{0,4}:){1,6}[0-9A-Fa-f]{0,4}(?:%\w+)?)(?![\w:.])"
)
_CONTEXT = ContextCue(
    r"\b(?:ip|ipv[46]|adresse ip|connexion|connecte|serveur|client|source|hote|host|log|acces|routeur|passerelle|dns)\b",
    60,
    20,
)


class IpRecognizer(Recognizer):
    entities = ("IP_ADDRESS",)
    priority = 45

    def find(self, text: str) -> list[Span]:
        out: list[Span] = []
        if "." in text:
            for m in near_digits(_V4, text, 2, 3, min_len=7):
                value = m.group(1)
                try:
                    ipaddress.IPv4Address(value)
                except ValueError:
                    continue
                context = _CONTEXT.around(text, m.start(), m.end())
                small = all(len(p) == 1 for p in value.split("."))
                score = SURE if context else (WEAK if small else VALID)
                out.append(Span("IP_ADDRESS", m.start(1), m.end(1), score))
        if "::" in text or text.count(":") >= 5:
            for m in _V6.finditer(text):
                value = m.group(1)
                if value.count(":") < 2 or not any(c.isalnum() for c in value):
                    continue
                try:
                    ipaddress.IPv6Address(value.split("%", 1)[0])
                except ValueError:
                    continue
                score = SURE if _CONTEXT.around(text, m.start(), m.end()) else VALID
                out.append(Span("IP_ADDRESS", m.start(1), m.end(1), score))
        return out
