"""URL: web addresses, an "online identifier" of Art. 4(1) when they point at someone.

A profile page ("https://exemple.org/u/jeanne.dupont"), a personal site
("jeanne-dupont.fr") or a link carrying a token or an e-mail in its query
string identifies a person, and the data map must show where such links are
stored. A URL is reported at a low severity, like an IP address: most name a
service, not a person, and the DPO judges from the masked evidence.

What counts:

* an address with a scheme (``http://``, ``https://``, ``ftp://``) or
  starting with ``www.``, whose host ends in an alphabetic top-level label
  ("http://intranet" and "www.mairie" have none: not reported);
* a bare domain ("mairie-exemple.fr", "exemple.co.uk") only when its
  top-level label is a common one (generic or a country code of Europe and
  beyond): "rapport.pdf", "script.py" or "v1.2" are file names and numbers.

Quotes (straight, French or typographic: « », “ ”, ‘ ’, ‹ ›), brackets, an
ellipsis and a final full stop are not part of the address. An
address inside an e-mail ("@exemple.fr") is the e-mail's, never a URL.
Offline: no public suffix list is downloaded (Presidio's URL recognizer
calls tldextract, which may).
"""

from __future__ import annotations

import re

from rgpd.scan.detect.recognizers.base import SURE, Recognizer, nocase
from rgpd.scan.detect.types import Span

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
# typographic quotes (what word processors put around an address) and an ellipsis
# end the address: real URLs percent-encode them
_PATH = r"(?:[/?#][^\s<>\"'«»“”„‘’‚‹›`…(){}\[\]]*)?"
_SCHEMED = re.compile(
    rf"(?<![\w@.\-/])(?:(?:https?|ftp)://(?:{_LABEL}\.)*{_LABEL}\.[A-Za-z]{{2,24}}"
    rf"|www\.(?:{_LABEL}\.)+[A-Za-z]{{2,24}})(?::\d{{1,5}})?{_PATH}",
    re.IGNORECASE,
)
# the top-level labels a bare domain may end with (generic ones and country codes
# common in French documents); a file extension is none of them
_BARE_TLDS = (
    "com|org|net|info|biz|eu|fr|be|ch|lu|mc|ca|de|es|it|pt|nl|uk|ie|at|dk|se|no|fi|pl|cz|gr|"
    "ro|hu|il|ma|tn|dz|sn|ci|re|gp|mq|nc|pf|us|jp|cn|ru|br|ar|mx|au|nz|in|za|tv|io|app|dev|"
    "gouv|edu|gov|int|asso|bzh|paris|corsica|alsace|eus"
)
_BARE = re.compile(
    rf"(?<![\w@.\-/:])(?:{_LABEL}\.)+(?:{_BARE_TLDS})(?![\w@\-]|\.[A-Za-z0-9]){_PATH}",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?)]}»\"'“”‘’›`…"
# where a bare domain may end: the engine skips fast to a dot, then the domain is
# matched from the start of its host (found by walking back over host characters)
# (a class of the labels' first letters first: a full stop before a space fails at once)
_TLD_FIRST = nocase("".join(sorted({tld[0] for tld in _BARE_TLDS.split("|")})))
_BARE_END = re.compile(
    rf"\.(?=[{_TLD_FIRST}])(?:{_BARE_TLDS})(?![\w@\-]|\.[A-Za-z0-9])", re.IGNORECASE
)
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")


class UrlRecognizer(Recognizer):
    entities = ("URL",)
    priority = 50

    def find(self, text: str) -> list[Span]:
        if "." not in text:
            return []
        out: list[Span] = []
        taken: list[tuple[int, int]] = []
        for rx in (_SCHEMED, _BARE):
            if rx is _SCHEMED and "://" not in text and "www." not in text.lower():
                continue
            for m in _bare_matches(text) if rx is _BARE else rx.finditer(text):
                start, end = m.start(), m.end()
                while end > start and text[end - 1] in _TRAILING:
                    end -= 1
                if any(a < end and start < b for a, b in taken):
                    continue
                if rx is _BARE and not _bare_ok(text[start:end]):
                    continue
                taken.append((start, end))
                out.append(Span("URL", start, end, SURE))
        return out


def _bare_matches(text: str) -> list[re.Match[str]]:
    """Matches of the bare-domain pattern, tried only where a known top-level label ends."""
    out: list[re.Match[str]] = []
    last = -1
    for e in _BARE_END.finditer(text):
        i = e.start()
        while i > 0 and text[i - 1] in _HOST_CHARS:
            i -= 1
        if i <= last:
            continue
        m = _BARE.match(text, i)
        if m is not None:
            out.append(m)
            last = m.end()
    return out


def _bare_ok(value: str) -> bool:
    """A bare domain: two labels at least, and not a number ("1.fr" is no site)."""
    host = value.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    labels = host.split(".")
    return len(labels) >= 2 and not labels[0].isdigit() and any(c.isalpha() for c in labels[0])
