"""IP_ADDRESS: IPv4 and IPv6 (validated by ``ipaddress``), with connection-log cues.

Section numbers ("1.2.3.4") look like IPv4: addresses whose octets are all
single digits need a cue ("adresse IP", "connexion", "serveur"...).

An IPv6 address with an embedded IPv4 part ("::ffff:192.0.2.1",
"64:ff9b::198.51.100.1") is one address, reported (and masked) whole; the
IPv4 tail is not reported on its own. An address may end a sentence
("… est 2001:db8::1."), and a network prefix ("/24", "/64") belongs to it.
The unspecified addresses ("::", "0.0.0.0") name no machine: never reported.
"""

from __future__ import annotations

import ipaddress
import re

from rgpd.scan.detect.recognizers.base import SURE, VALID, WEAK, ContextCue, Recognizer, near_digits
from rgpd.scan.detect.types import Span

_V4 = re.compile(
    r"(\d(?<![\w.\-]\d)\d{0,2}\.(?:\d{1,3}\.){2}\d{1,3})(?:/(\d{1,2}))?(?![\w\-]|\.\d)"
)
# the first character (a hex digit or ":") comes before the look-behind, so that the
# engine skips fast to candidates; the first group then resumes after it
_V6 = re.compile(
    r"([0-9A-Fa-f:](?<![\w:.][0-9A-Fa-f:])(?:(?<=:)|(?<=[0-9A-Fa-f])[0-9A-Fa-f]{0,3}:)"
    r"(?:[0-9A-Fa-f]{0,4}:){1,6}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4})(?:%\w+)?)"
    # a network prefix; a dot after the address ends the sentence, unless a word follows
    r"(?:/(\d{1,3}))?(?![\w:]|\.\w)"
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
        if "::" in text or text.count(":") >= 5:
            for m in _V6.finditer(text):
                value = m.group(1)
                if value.count(":") < 2 or not any(c.isalnum() for c in value):
                    continue
                try:
                    ip = ipaddress.IPv6Address(value.split("%", 1)[0])
                except ValueError:
                    continue
                if ip.is_unspecified:
                    continue
                end = _with_prefix(m, 128)
                score = SURE if _CONTEXT.around(text, m.start(), end) else VALID
                out.append(Span("IP_ADDRESS", m.start(1), end, score))
        v6 = [(s.start, s.end) for s in out]
        if "." in text:
            for m in near_digits(_V4, text, 2, 6, min_len=7):
                value = m.group(1)
                if any(s <= m.start(1) < e for s, e in v6):
                    continue  # the IPv4 tail of an IPv6 address
                try:
                    ip4 = ipaddress.IPv4Address(value)
                except ValueError:
                    continue
                if ip4.is_unspecified:
                    continue
                end = _with_prefix(m, 32)
                context = _CONTEXT.around(text, m.start(), end)
                small = all(len(p) == 1 for p in value.split("."))
                score = SURE if context else (WEAK if small else VALID)
                out.append(Span("IP_ADDRESS", m.start(1), end, score))
        return out


def _with_prefix(m: re.Match[str], bits: int) -> int:
    """End of the address, with its "/prefix" when the prefix length is possible."""
    if m.group(2) is not None and int(m.group(2)) <= bits:
        return m.end(2)
    return m.end(1)
