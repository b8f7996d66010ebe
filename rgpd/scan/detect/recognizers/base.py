"""The contract every rgpd recognizer follows.

A recognizer is a pure function of the text: ``find(text) -> list[Span]``. It
needs no spaCy document, so the quick and standard depths call it directly on
whole texts (no per-call Presidio overhead), while the deep depth registers
the same object in a Presidio ``AnalyzerEngine`` through
:class:`rgpd.scan.detect.engine.PresidioAdapter`. Context words are handled
inside ``find`` (folded windows) rather than by Presidio's lemma enhancer, so
all depths score a hit the same way.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import Any, TypeVar, cast

from rgpd.scan.detect.text import after, before
from rgpd.scan.detect.types import Span

#: Score of a hit whose checksum holds and whose context confirms it.
SURE = 0.95
#: Score of a checksum-valid hit without context.
VALID = 0.85
#: Score of a well-formed hit that still needs context to be reported.
WEAK = 0.4


class Recognizer(ABC):
    """One entity type (or a family of them), found without an NLP pipeline."""

    #: Entity types this recognizer can emit.
    entities: tuple[str, ...] = ()
    #: Lower numbers win when two different types claim overlapping text.
    priority: int = 50
    #: Needs spaCy NER spans to do its job fully (``find_with_ner``).
    uses_ner: bool = False
    #: Every hit holds a decimal digit (``\d``): the detector skips a text without one.
    #: Two texts in three of running prose have none; a table of names, none at all.
    needs_digit: bool = False

    @property
    def name(self) -> str:
        return type(self).__name__

    @abstractmethod
    def find(self, text: str) -> list[Span]:
        """Every hit in ``text`` with its score; thresholds are applied later."""


class ContextCue:
    """Folded-window context words, compiled once.

    ``pattern`` is matched against the lower-cased, accent-free text just
    before (and optionally after) a candidate; it is written without accents.
    """

    def __init__(self, pattern: str, width_before: int = 60, width_after: int = 0) -> None:
        self.regex = re.compile(pattern)
        self.width_before = width_before
        self.width_after = width_after
        fast = fast_scan_form(pattern)
        self._search = self.regex.search if fast is None else re.compile(fast).search

    def around(self, text: str, start: int, end: int) -> bool:
        search = self._search
        if search(before(text, start, self.width_before)):
            return True
        return bool(self.width_after and search(after(text, end, self.width_after)))


def split_top(term: str) -> list[str]:
    """Top-level alternatives of a pattern ("juif|juive" → ["juif", "juive"])."""
    out, depth, cur, i = [], 0, [], 0
    while i < len(term):
        ch = term[i]
        if ch == "\\":
            cur.append(term[i : i + 2])
            i += 2
            continue
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "|" and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    out.append("".join(cur))
    return out


def fast_scan_form(pattern: str) -> str | None:
    """``pattern`` rewritten so that the engine can skip fast to its matches, if it can be.

    Cue patterns read ``\\b(?:tel|fax|portable|...)`` or ``(?:\\bgsm\\b|mobile|...)``:
    a word boundary first, and the engine tries every position of the window.
    With each alternative opening with its literal first letter, and the
    boundary checked after it (``f(?<=\\bf)ax``), the alternation's first
    characters are a set the engine jumps to: same matches, same positions.
    ``None`` when an alternative does not open with a plain letter or digit.
    """
    bounded = pattern.startswith("\\b(?:")
    if not (bounded or pattern.startswith("(?:")):
        return None
    open_at = 2 if bounded else 0
    depth, i = 0, open_at
    while i < len(pattern):  # the group's closing parenthesis
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":  # a class: its brackets and parentheses are literal
            i = pattern.index("]", i + 2) + 1
            continue
        depth += ch == "("
        depth -= ch == ")"
        i += 1
        if depth == 0:
            break
    else:
        return None
    body, tail = pattern[open_at + 3 : i - 1], pattern[i:]
    alts = []
    for alt in split_top(body):
        b = bounded
        if alt.startswith("\\b"):
            b, alt = True, alt[2:]
        if len(alt) < 2 or not (alt[0].isascii() and alt[0].isalnum()) or alt[1] in "?*+{":
            return None
        alts.append(f"{alt[0]}(?<=\\b{alt[0]}){alt[1:]}" if b else alt)
    return f"(?:{'|'.join(alts)}){tail}"


#: Every space a word processor or a typesetter puts between digit groups: the
#: no-break space (U+00A0), the narrow no-break space Word and LibreOffice insert
#: before French punctuation and between thousands (U+202F), the thin, figure,
#: punctuation and hair spaces (U+2007-U+200A) and the other Unicode spaces. All
#: recognizers write their group separators with these (inside a character class).
SPACES = " \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
#: One group separator between digits: a space of any kind, a dot or a hyphen.
SEP = f"[{SPACES}.\\-]"
_SEP_RE = re.compile(SEP)
#: A text that holds nothing but the value: a database cell, a form field.
_ALONE = re.compile(r"[\s\"'«»()\[\]]*")
_ALONE_END = re.compile(r"[\s\"'«»()\[\].,;:!?]*")


def strip_separators(value: str) -> str:
    """``value`` without its group separators (any space, dot or hyphen)."""
    return _SEP_RE.sub("", value)


def whole_value(text: str, start: int, end: int) -> bool:
    """The text is nothing but this value (quotes, brackets and a final dot aside).

    A database cell or a form field holding one checksum-valid identifier says
    what it is by standing alone: the column verdict then weighs how many of a
    column's values agree. In prose the same digits need a cue.
    """
    return (
        _ALONE.fullmatch(text, 0, start) is not None and _ALONE_END.fullmatch(text, end) is not None
    )


#: A run of digit groups, each separated from the next by one separator.
#: (ASCII digits: full-width ones, "１２０", are not how identifiers are written.)
_GROUPS = re.compile(f"[0-9](?<![\\w.,/\\-][0-9])[0-9]*(?:{SEP}[0-9]+)*")
_GROUP = re.compile(r"[0-9]+")


# Digits are rare in prose: most identifiers are searched only in short windows
# around runs of digits, found once per text. Regular expressions that start
# with a look-behind cannot use the engine's fast scan, so this is what keeps
# a dozen recognizers cheap on long texts.
_RUN = re.compile(f"\\d[\\d{SPACES}.,:/\\-()+]*")


@lru_cache(maxsize=2)
def digit_runs(text: str) -> tuple[tuple[int, int], ...]:
    """``(start, end)`` of every run of digits and number punctuation."""
    return tuple(m.span() for m in _RUN.finditer(text))


#: Caches of what several recognizers compute on one text (see :func:`per_text`).
_TEXT_CACHES: list[Any] = [digit_runs]
_F = TypeVar("_F", bound=Callable[..., Any])


def per_text(maxsize: int) -> Callable[[_F], _F]:
    """An ``lru_cache`` that :func:`clear_text_caches` empties after each text.

    For pure functions that more than one recognizer calls on the same value of
    one text (a phone number read by the phone and the table recognizers): the
    work is done once, and nothing of the text outlives its turn.
    """

    def wrap(fn: _F) -> _F:
        cached = lru_cache(maxsize=maxsize)(fn)
        _TEXT_CACHES.append(cached)
        return cast(_F, cached)

    return wrap


def clear_text_caches() -> None:
    """Forget what :func:`digit_runs` and the :func:`per_text` caches hold (after each text)."""
    for cache in _TEXT_CACHES:
        cache.cache_clear()


def digit_groups(
    text: str,
    sizes: tuple[int, ...],
    valid: Callable[[str], bool],
    before: int = 2,
    after: int = 2,
) -> Iterator[tuple[int, int, str]]:
    """``(start, end, digits)`` of every valid run of whole digit groups holding ``sizes`` digits.

    "SIRET : 120 027 016 00563 75014 Paris" or "120 027 016 422 260 208": a
    number is often followed (or preceded) by another one, separated only by a
    space, and written in any grouping ("513 133 637 000 35", "752-932-715").
    Each run of digit groups is cut at group boundaries into candidates of the
    wanted sizes, all with one kind of separator (a mixed run, "4012-8888 4012",
    is two numbers); the first candidate ``valid`` accepts (leftmost, then in the
    order of ``sizes``) is kept and the search resumes after it.

    The SIREN, SIRET and card recognizers read the same runs of a text: the
    runs and their groups are found once per text (:func:`per_text` caches).
    """
    smallest = min(sizes)
    n_text = len(text)
    for start, run_end in _group_runs(text, before, after, smallest):
        if run_end - start < smallest:
            continue  # too short to hold the smallest size (most runs: years, amounts)
        if run_end < n_text and (text[run_end].isalpha() or text[run_end] == "_"):
            continue  # "12345678901234abc": part of a word
        groups, prefix, index, same, all_digits = _split_run(text, start, run_end)
        n = len(groups)
        if n == 1:
            s, e = groups[0]
            if e - s in sizes and valid(text[s:e]):
                yield s, e, text[s:e]
            continue
        if prefix[-1] < smallest:
            continue
        i = 0
        while i < n:
            nxt = i + 1
            for size in sizes:
                stop = index.get(prefix[i] + size)  # one past the last group of the cut
                if stop is None or stop - 1 > same[i]:
                    continue
                digits = all_digits[prefix[i] : prefix[stop]]
                if valid(digits):
                    yield groups[i][0], groups[stop - 1][1], digits
                    nxt = stop
                    break
            i = nxt


def _group_runs(
    text: str, before: int, after: int, min_len: int
) -> tuple[tuple[int, int], ...] | Iterator[tuple[int, int]]:
    """``(start, end)`` of the runs of digit groups :func:`digit_groups` reads."""
    if len(text) < 4096:  # near_digits reads a short text whole, whatever min_len
        return _all_group_runs(text)
    return (m.span() for m in near_digits(_GROUPS, text, before, after, min_len=min_len))


@per_text(maxsize=2)
def _all_group_runs(text: str) -> tuple[tuple[int, int], ...]:
    return tuple(m.span() for m in _GROUPS.finditer(text))


@per_text(maxsize=4096)
def _split_run(
    text: str, start: int, end: int
) -> tuple[tuple[tuple[int, int], ...], tuple[int, ...], dict[int, int], tuple[int, ...], str]:
    """The groups of a run, and what :func:`digit_groups` cuts it with.

    ``prefix[k]``: digits in ``groups[:k]``; ``index``: ``prefix`` inverted;
    ``same[i]``: the last group reachable from group ``i`` with one kind of separator;
    the run's digits, all groups joined (a cut's digits are a slice of them).
    """
    groups = tuple(g.span() for g in _GROUP.finditer(text, start, end))
    all_digits = "".join(text[a:b] for a, b in groups)
    n = len(groups)
    prefix = [0]
    for s, e in groups:
        prefix.append(prefix[-1] + e - s)
    index = {v: k for k, v in enumerate(prefix)}
    kinds = []
    for k in range(1, n):
        between = text[groups[k - 1][1] : groups[k][0]]
        kinds.append(" " if between.isspace() else between)
    same = [n - 1] * n
    for i in range(n - 2, -1, -1):
        same[i] = same[i + 1] if i + 1 < n - 1 and kinds[i] == kinds[i + 1] else i + 1
    return groups, tuple(prefix), index, tuple(same), all_digits


#: What stands between two numbers of one list, on one line: spaces, a comma,
#: a semicolon, a slash or "et"/"ou"/"and"/"or" ("120027016 et 422260208").
_LIST_GAP = re.compile(rf"[{SPACES}\t]*(?:[,;/&][{SPACES}\t]*)?(?:(?:et|ou|and|or)[{SPACES}\t]+)?")
#: A currency or a unit after a number: the list is one of amounts.
_AMOUNT_AFTER = re.compile(
    rf"[{SPACES}]*(?:[€$£%]|(?i:k€|m€|eur|euros?|ht|ttc|francs?|chf|usd|kg|km|m2|m²|ha)\b)"
)


def support_lists(text: str, hits: list[Span]) -> list[Span]:
    """Checksum-valid numbers written one after the other vouch for each other.

    A bare 9-digit run passes Luhn one time in ten, so alone in prose it needs
    a cue; two in a row that both pass ("120027016 et 422260208", "120 027 016
    422 260 208") happen by chance one time in a hundred, the same odds as a
    SIRET's SIREN | NIC split, which is reported. A list with a valid member
    ("4012888888881881 4012-8888-8888-1881", a grouped card) lends it to the
    bare ones beside it. So a ``WEAK`` hit in a list of hits of one type (only
    spaces, a comma, a slash, "et"/"ou" between, on one line) is raised to
    ``VALID``, unless a currency or a unit follows a member: a list of amounts.
    """
    if len(hits) < 2:
        return hits
    ordered = sorted(hits, key=lambda h: (h.start, h.end))
    chains: list[list[Span]] = [[ordered[0]]]
    for hit in ordered[1:]:
        last = chains[-1][-1]
        if last.end < hit.start and _LIST_GAP.fullmatch(text, last.end, hit.start):
            chains[-1].append(hit)
        else:
            chains.append([hit])
    out: list[Span] = []
    for chain in chains:
        if len(chain) < 2 or any(_AMOUNT_AFTER.match(text, h.end) for h in chain):
            out.extend(chain)
            continue
        out.extend(
            Span(h.entity_type, h.start, h.end, VALID) if h.score < VALID else h for h in chain
        )
    return out


_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def luhn_ok(digits: str) -> bool:
    """The Luhn check of an ASCII digit string (what ``stdnum.luhn.is_valid`` computes).

    Called on every candidate cut of every digit run, so it is kept to one loop.
    """
    total = 0
    odd = False
    for c in reversed(digits):
        d = ord(c) - 48
        total += _DOUBLED[d] if odd else d
        odd = not odd
    return total % 10 == 0


def digits_only(value: str) -> str:
    return "".join(c for c in value if c.isdigit())


def spans(entity: str, hits: Iterable[tuple[int, int, float]]) -> list[Span]:
    return [Span(entity, s, e, sc) for s, e, sc in hits]


def near_digits(
    pattern: re.Pattern[str],
    text: str,
    before: int = 3,
    after: int = 3,
    min_len: int = 1,
    starts: re.Pattern[str] | None = None,
) -> Iterator[re.Match[str]]:
    """``pattern.finditer`` restricted to windows around digit runs of ``min_len`` chars or more.

    Look-behinds still see the whole text; ``after`` must leave room for look-aheads.
    ``starts``: where ``pattern`` can start (see :func:`finditer_at`), for the
    passes over the whole text.
    """
    n = len(text)
    whole = pattern.finditer(text) if starts is None else finditer_at(pattern, text, starts)
    if n < 4096:  # a short text: one pass is cheaper
        yield from whole
        return
    runs = digit_runs(text)
    if len(runs) * 200 > n:  # a digit-dense text (a table, a log): likewise
        yield from whole
        return
    windows: list[list[int]] = []
    covered = 0
    for s, e in runs:
        if e - s < min_len:
            continue
        ws, we = max(0, s - before), min(n, e + after)
        if windows and ws <= windows[-1][1]:
            covered += max(0, we - windows[-1][1])
            windows[-1][1] = max(windows[-1][1], we)
        else:
            covered += we - ws
            windows.append([ws, we])
    if covered * 3 > n:
        yield from whole
        return
    seen: set[tuple[int, int]] = set()
    for lo, hi in windows:
        yield from _scan(pattern, text, lo, hi, seen)


def _scan(
    pattern: re.Pattern[str], text: str, lo: int, hi: int, seen: set[tuple[int, int]]
) -> Iterator[re.Match[str]]:
    for m in pattern.finditer(text, lo, hi):
        if m.span() not in seen:
            seen.add(m.span())
            yield m


#: What Python's ``re`` also matches, under IGNORECASE, for a lower-case letter beyond
#: its upper case: the dotted and dotless I, the long s, the Kelvin sign.
_NOCASE_EXTRA = {"i": "\u0130\u0131", "k": "\u212a", "s": "\u017f"}


def nocase(letters: str) -> str:
    """Body of a character class matching what ``(?i:[letters])`` matches.

    ``letters`` are lower-case letters. A pattern under IGNORECASE cannot use
    the engine's fast scan to its first character; a prefilter written with
    these explicit classes can, and still finds every place the pattern can
    start at (see :func:`finditer_at`).
    """
    out: list[str] = []
    for c in letters:
        for ch in (c, c.upper(), *_NOCASE_EXTRA.get(c, "")):
            if ch not in out:
                out.append(ch)
    return "".join(re.escape(ch) for ch in out)


def finditer_at(
    pattern: re.Pattern[str], text: str, starts: re.Pattern[str]
) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)``, trying ``pattern`` only where ``starts`` finds a match.

    A pattern that opens with a look-behind or under IGNORECASE is tried by the
    engine at every position of the text; a cheap ``starts`` pattern that the
    engine can skip fast to, and that matches (without overlapping itself) at
    every position where ``pattern`` can start, finds the same matches (same
    positions, same ends, the search resuming after each one) for far less.
    ``starts`` should consume one character only (look-aheads for the rest):
    a longer match would hide a start inside it. ``pattern`` must never match
    the empty string.
    """
    pos = 0
    for c in starts.finditer(text):
        p = c.start()
        if p < pos:
            continue
        m = pattern.match(text, p)
        if m is not None:
            yield m
            pos = m.end()
