"""IBAN_CODE: ISO 13616, mod-97 checked with python-stdnum (country formats too).

French IBANs have 27 characters, usually grouped by four. The candidate run
is greedy (it may swallow the next word, "... 189 BIC"), so the longest
prefix that validates is kept.
"""

from __future__ import annotations

import re
from functools import lru_cache

from stdnum import iban as _iban

from rgpd.scan.detect.recognizers.base import (
    SPACES,
    SURE,
    VALID,
    ContextCue,
    Recognizer,
    near_digits,
)
from rgpd.scan.detect.types import Span

# a group may be cut by a line break, as PDF text extraction leaves it ("… 8417\n124.")
_CANDIDATE = re.compile(
    rf"([A-Z](?<!\w[A-Z])[A-Z]\d{{2}}(?:(?:[{SPACES}\-]|\r?\n)?[A-Z0-9]){{11,32}})"
)
_CONTEXT = ContextCue(r"\b(?:iban|rib|bancaire|banque|compte|virement|prelevement|sepa)\b", 60)


def _offsets(raw: str) -> list[int]:
    """Index in ``raw`` just after each alphanumeric character."""
    return [i + 1 for i, c in enumerate(raw) if c.isalnum()]


def _mod97_ok(compact: str) -> list[bool]:
    """``ok[n]``: the ISO 7064 mod 97-10 check holds for ``compact[:n]`` (n >= 5).

    ``stdnum`` validates one candidate length at a time, from scratch; this is
    the same checksum (the first four characters moved to the end, letters as
    10-35), computed for every prefix in one pass, so that the full
    validation runs only on lengths whose checksum holds.
    """
    head = "".join(str(int(c, 36)) for c in compact[:4])
    tail_mod, tail_shift = int(head) % 97, pow(10, len(head), 97)
    ok = [False] * (len(compact) + 1)
    acc = 0
    for n in range(4, len(compact)):
        digits = str(int(compact[n], 36))
        acc = (acc * 10 ** len(digits) + int(digits)) % 97
        ok[n + 1] = (acc * tail_shift + tail_mod) % 97 == 1
    return ok


@lru_cache(maxsize=1024)
def _country_rule(country: str) -> tuple[re.Pattern[str] | None, bool]:
    """What ``stdnum.iban.validate`` checks an IBAN of ``country`` with, beyond the mod 97:
    the pattern of its BBAN (``None``: no such IBAN country), and whether a national
    check of its own follows (Belgium, Spain, Montenegro, Norway).

    Both depend on the two letters alone (the registry's entries are country codes),
    yet stdnum looks the country up and rebuilds the pattern on every call.
    """
    props = _iban._ibandb.info(country)[0][1]
    pattern = _iban._struct_to_re(props.get("bban", "")) if props else None
    return pattern, _iban._get_cc_module(country) is not None


def _valid(compact: str) -> bool:
    """``stdnum.iban.is_valid(compact)``, for a candidate whose mod 97 check holds.

    stdnum would check the mod 97 again (:func:`_mod97_ok` computed it, the same
    sum) and look its country up afresh: most of this recognizer's time. An
    uppercase ASCII candidate (what stdnum's ``compact`` leaves as it is) needs
    only its country's BBAN pattern; any other, or a country with a national
    check, goes through stdnum whole.
    """
    if not compact.isascii() or not compact.isupper():
        return _iban.is_valid(compact)
    pattern, national = _country_rule(compact[:2])
    if national:
        return _iban.is_valid(compact)
    return pattern is not None and pattern.match(compact[4:]) is not None


class IbanRecognizer(Recognizer):
    entities = ("IBAN_CODE",)
    priority = 5
    needs_digit = True

    def find(self, text: str) -> list[Span]:
        out: list[Span] = []
        for m in near_digits(_CANDIDATE, text, 4, 40, min_len=2):
            raw = m.group(1)
            ends = _offsets(raw)
            compact = "".join(c for c in raw if c.isalnum())
            checksum_ok = _mod97_ok(compact)
            for length in range(len(compact), 14, -1):
                # a valid IBAN never stops in the middle of a following word
                cut = ends[length - 1]
                if cut < len(raw) and raw[cut].isalnum():
                    continue
                if checksum_ok[length] and _valid(compact[:length]):
                    start = m.start(1)
                    end = start + cut
                    if end < len(text) and text[end].isalnum():
                        continue
                    score = SURE if _CONTEXT.around(text, start, end) else VALID
                    out.append(Span("IBAN_CODE", start, end, score))
                    break
        return out
