"""Art. 9(1) and Art. 10 findings from the French lexicons, flagged special category.

Speed matters here: nine lexicons of a hundred terms each, tried at every
position, cost more than all identifier recognizers together. So each term
is indexed by the first letters of its literal prefix; the text's words are
walked once, and a term's full pattern is tried only where a word starts
with its prefix. Patterns run on the lower-cased text with accent-tolerant
letter classes ("diabete" also matches "diabète"), so nothing is folded.

A weak term needs a cue of its category (or its own cue) within a short
window, the cue starting a word ("il" in "until" is no cue); a term inside an
excluded phrase of its category ("assurance maladie") is dropped; a term used
as a form label ("Allergies / PAI : néant") is not a finding. An acronym
counts only in capitals and as a whole word; a term inside a code token (a
path, an identifier, a URL: "src/pcf/pcf.c", "catmull_rom", "Promise.race")
says nothing about a person.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from rgpd.scan.detect.recognizers.base import Recognizer, split_top
from rgpd.scan.detect.recognizers.special.lexicons import LEXICONS, Lexicon
from rgpd.scan.detect.text import fold, fold_chars, fold_class
from rgpd.scan.detect.types import Span

STRONG_SCORE = 0.85
WEAK_SCORE = 0.6
_WINDOW = 60
_ACCENTS = {
    "a": "[aàâä]",
    "e": "[eéèêë]",
    "i": "[iîï]",
    "o": "[oôö]",
    "u": "[uùûü]",
    "c": "[cç]",
    "y": "[yÿ]",
}
_META = set("\\()[]{}.?*+|^$")
#: words that are also common surnames or place names: only the lower-case adjective counts
_PROPER_TOO = frozenset(
    {"gay", "gays", "trans", "rom", "roms", "race", "metis", "juif", "sourd", "aveugle"}
)
_WORD = re.compile(r"[^\W\d_]+")
_WORD_CHAR = re.compile(r"\w")
#: A run of characters around a term that holds no sentence punctuation or bracket.
_TOKEN_CHARS = "\"'<>()[]{},;|`"
#: Marks of code: identifier joints, URLs, assignments, a dot between letters ("pcf.c").
_CODE = re.compile(r"[_@=\\]|://|[^\W\d_]\.\w|\w\.[^\W\d_]")


def accentize(term: str) -> str:
    """Let each vowel (and c) of the literal parts match its accented forms."""
    out, i, in_class = [], 0, False
    while i < len(term):
        ch = term[i]
        if ch == "\\":
            out.append(term[i : i + 2])
            i += 2
            continue
        if ch == "[":
            in_class = True
        elif ch == "]":
            in_class = False
        out.append(ch if in_class else _ACCENTS.get(ch, ch))
        i += 1
    return "".join(out)


def literal_prefix(term: str) -> str:
    """Leading literal letters of a pattern (a quantified last letter excluded)."""
    body = term[2:] if term.startswith("\\b") else term
    out: list[str] = []
    for ch in body:
        if ch in _META:
            if ch in "?*{" and out:
                out.pop()
            break
        out.append(ch)
    return "".join(out)


@dataclass(frozen=True)
class _Term:
    """One alternative of a lexicon term; its patterns are compiled on first use.

    Compiling the ~560 terms' patterns took ~0.15 s at every start, yet a
    term's pattern is only tried where a word of the text opens with its
    prefix: most of them are never needed in a run.
    """

    entity: str
    kind: str  # "strong", "weak", "exclude"
    prefix: str
    source: str
    #: the term opens with ``\\b``: the character before it must not be a word character
    bounded: bool = False
    #: an acronym: the original (not lower-cased) text must match this, capitals included
    exact_source: str | None = None
    #: a weak term's own context (``None``: its category's)
    cue: re.Pattern[str] | None = None

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(self.source)

    @cached_property
    def exact(self) -> re.Pattern[str] | None:
        return None if self.exact_source is None else re.compile(self.exact_source)


def _lower_literals(term: str) -> str:
    """``term`` lower-cased, escapes (``\\W``, ``\\D``...) left as they are."""
    out, i = [], 0
    while i < len(term):
        if term[i] == "\\":
            out.append(term[i : i + 2])
            i += 2
            continue
        out.append(term[i].lower())
        i += 1
    return "".join(out)


def _cue(pattern: str) -> re.Pattern[str]:
    """A context pattern whose words must start a word of the folded window."""
    return re.compile(rf"\b(?:{pattern})")


def _terms(lexicons: Iterable[Lexicon]) -> list[_Term]:
    out: list[_Term] = []
    for lex in lexicons:
        cues = {term: _cue(ctx) for term, ctx in lex.cues}
        unknown = set(cues) - set(lex.weak)
        if unknown:
            raise ValueError(f"cues for terms that are not weak: {sorted(unknown)!r}")
        for kind, terms in (("strong", lex.strong), ("weak", lex.weak), ("exclude", lex.exclude)):
            for term in terms:
                for alt in split_top(term):
                    bounded = alt.startswith("\\b")
                    body = alt[2:] if bounded else alt
                    exact = None
                    if _lower_literals(body) != body:  # capitals: an acronym
                        exact = body + r"(?![^\W_])"
                        alt, body = _lower_literals(alt), _lower_literals(body)
                    prefix = literal_prefix(alt)
                    if len(prefix) < 2:
                        raise ValueError(f"lexicon term without a literal prefix: {alt!r}")
                    pattern = accentize(body) + r"(?![^\W_])"
                    out.append(
                        _Term(lex.entity, kind, prefix, pattern, bounded, exact, cues.get(term))
                    )
    return out


class SpecialCategoryRecognizer(Recognizer):
    """The nine Art. 9/10 lexicons, matched in one walk over the words of a text."""

    priority = 90
    #: The default lexicons' entities (an instance built on others has theirs).
    entities: tuple[str, ...] = tuple(lex.entity for lex in LEXICONS)

    def __init__(self, lexicons: Iterable[Lexicon] = LEXICONS) -> None:
        lexicons = tuple(lexicons)
        self.entities = tuple(lex.entity for lex in lexicons)
        self._context = {lex.entity: _cue(lex.context) for lex in lexicons if lex.context}
        self._index: dict[str, list[_Term]] = defaultdict(list)
        terms = _terms(lexicons)
        for t in terms:
            self._index[_key(t.prefix)].append(t)
        prefixes = [t.prefix for t in terms]
        self._starts = _start_scan(prefixes, latin1=True)
        self._prefixes = prefixes
        wide = sorted({c for p in prefixes for ch in p[:_SCAN_DEPTH] for c in _dropped(ch)})
        self._wide = re.compile(f"[{''.join(re.escape(c) for c in wide)}]") if wide else None
        self._wide_table = {ord(c): fold(c) for c in wide}
        self._cand_cache: dict[str, tuple[_Term, ...]] = {}

    def _candidates(self, word: str) -> tuple[_Term, ...]:
        """The terms whose prefix agrees with ``word`` (as it stands in the lower-cased text).

        A pure function of the word, kept per word: the same words open most
        texts' term candidates, and the prefix tests cost more than the lookup.
        """
        found = self._cand_cache.get(word)
        if found is None:
            if len(self._cand_cache) > 200_000:
                self._cand_cache.clear()
            folded = fold(word)
            cands = self._index.get(folded[:3])
            two = self._index.get(folded[:2]) if len(folded) > 2 else None
            if two:
                cands = (cands or []) + two
            found = self._cand_cache[word] = tuple(
                t for t in cands or () if folded.startswith(t.prefix) or t.prefix.startswith(folded)
            )
        return found

    def _scan_text(self, lower: str) -> str:
        """The text the word-start scan reads: letters beyond U+00FF folded to their letter.

        A character class holding letters beyond U+00FF ("ā", "ě", "ș") costs
        the regular-expression compiler a 65,536-entry table each: a scan with
        them took ~0.13 s to compile, the Latin-1 one ~0.013 s. So the scan
        knows Latin-1 letters only, and a text holding one of the others
        ("Ştefan", "Łódź", "l’asthme") is read with each of them turned into
        the letter it folds to (one character for one: the offsets hold):
        the scan then stops where the full one would.
        """
        if self._wide is None or self._wide.search(lower) is None:
            return lower
        return lower.translate(self._wide_table)

    def find(self, text: str) -> list[Span]:
        lower = text.lower()
        if len(lower) != len(text):  # a few characters lower-case to two
            lower = fold(text)
        hits: list[tuple[_Term, int, int]] = []
        excluded: dict[str, list[tuple[int, int]]] = defaultdict(list)
        # only the words that open with some term's literal prefix are looked at
        scan, scanned = self._starts, self._scan_text(lower)
        starts = [m.start() + 1 for m in scan.finditer(scanned)]
        if scan.match("\n" + scanned[:_SCAN_DEPTH]):  # a word at the very start
            starts.insert(0, 0)
        for s in starts:
            w = _WORD.match(lower, s)
            if w is None:
                continue
            word = w.group()
            for t in self._candidates(word):
                if len(t.prefix) > len(word) and fold(lower[s : s + len(t.prefix)]) != t.prefix:
                    # the prefix goes on past the word ("si" for "sida", "mal" for "mal de
                    # dos") and the text does not: the pattern, whose letters each fold to
                    # the prefix's, cannot match. Most such candidates end here, before
                    # their pattern is compiled (a cold run's costliest step in this loop).
                    continue
                m = t.pattern.match(lower, s)
                if m is None:
                    continue
                if t.bounded and s and _WORD_CHAR.match(text, s - 1):
                    continue  # "md5cmp", "catmull_rom"
                if t.exact is not None and not t.exact.match(text, s):
                    continue  # an acronym in lower case: "cmp", "pch"
                if t.kind == "exclude":
                    excluded[t.entity].append((s, m.end()))
                else:
                    hits.append((t, s, m.end()))
        out: list[Span] = []
        last: dict[str, int] = {}  # index in ``out`` of each category's latest span
        for t, s, e in sorted(hits, key=lambda h: (h[1], -h[2], h[0].kind)):
            if any(xs <= s and e <= xe for xs, xe in excluded.get(t.entity, ())):
                continue
            if _in_label(text, s, e) or _in_code(text, s, e):
                continue
            if text[s].isupper() and lower[s:e] in _PROPER_TOO:
                continue  # "Gay", "Roms": a surname or a town, not the adjective
            if t.kind == "weak":
                ctx = t.cue or self._context.get(t.entity)
                window = fold(text[max(0, s - _WINDOW) : s] + " " + text[e : e + _WINDOW])
                if ctx is None or not ctx.search(window):
                    continue
            score = STRONG_SCORE if t.kind == "strong" else WEAK_SCORE
            i = last.get(t.entity)
            if i is not None and s < out[i].end:  # overlapping terms of one category: one span
                prev = out[i]
                out[i] = Span(t.entity, prev.start, max(prev.end, e), max(prev.score, score))
                continue
            last[t.entity] = len(out)
            out.append(Span(t.entity, s, e, score))
        return out


#: Characters of a term's prefix the word-start scan checks (more: a longer pattern, no faster)
_SCAN_DEPTH = 6


def _start_scan(prefixes: Iterable[str], latin1: bool = False) -> re.Pattern[str]:
    """The character before each word where some term may match.

    A term's pattern opens with its literal prefix (vowels accent-tolerant), so
    it can only match where the text, folded, starts with that prefix: a
    trie-shaped look-ahead over the prefixes (each character folding-tolerant)
    lets the regular-expression engine skip the other words at C speed,
    instead of looking each one up in Python. A word start is a letter after
    a non-letter, so the engine only stops at non-letters.
    """
    trie: dict[str, Any] = {}
    for p in prefixes:
        node = trie
        for c in p[:_SCAN_DEPTH]:
            node = node.setdefault(c, {})
        node[""] = {}  # a prefix ends here
    # one class of every first character ahead of the trie: most stops (digits,
    # punctuation, a space before a space) fail on it, without trying each branch
    first = "".join(_char_class(c, latin1) for c in sorted(trie))
    return re.compile(rf"[\W\d_](?=[{first}])(?={_trie_pattern(trie, latin1)})")


def _dropped(ch: str) -> list[str]:
    """The characters the Latin-1 scan leaves out of ``ch``'s class (those beyond U+00FF)."""
    return [c for c in fold_chars(ch) if c != ch and ord(c) > 0xFF]


def _char_class(ch: str, latin1: bool) -> str:
    """Body of the class of characters folding to ``ch``; ``latin1``: without :func:`_dropped`."""
    if not latin1:
        return fold_class(ch)
    return "".join(re.escape(c) for c in fold_chars(ch) if c == ch or ord(c) <= 0xFF)


def _trie_pattern(node: dict[str, Any], latin1: bool = False) -> str:
    if "" in node:
        return ""  # a shorter prefix already lets the word through
    alts = [
        f"[{_char_class(c, latin1)}]{_trie_pattern(child, latin1)}"
        for c, child in sorted(node.items())
    ]
    return alts[0] if len(alts) == 1 else f"(?:{'|'.join(alts)})"


def _key(prefix: str) -> str:
    """Index key: the first three letters of the prefix's first word (or all of a shorter word)."""
    return re.split(r"[^a-z]", prefix, maxsplit=1)[0][:3]


def _in_code(text: str, start: int, end: int) -> bool:
    """The term sits in a path, an identifier or a URL ("src/pcf/pcf.c", "midx-race-fix")."""
    ts = start
    while (
        ts > 0
        and start - ts < 200
        and not text[ts - 1].isspace()
        and text[ts - 1] not in _TOKEN_CHARS
    ):
        ts -= 1
    te = end
    while (
        te < len(text)
        and te - end < 200
        and not text[te].isspace()
        and text[te] not in _TOKEN_CHARS
    ):
        te += 1
    if ts == start and te == end:
        return False
    outside = text[ts:start] + " " + text[end:te].rstrip(".:!?")
    token = text[ts:te].rstrip(".:!?")
    return bool(_CODE.search(token) or token.count("/") >= 2 or outside.count("-") >= 2)


def _in_label(text: str, start: int, end: int) -> bool:
    """The term is part of a form label ("Allergies / PAI : néant"), before the line's colon."""
    ls = text.rfind("\n", 0, start) + 1
    colon = text.find(":", end, end + 30)
    if colon < 0 or colon - ls > 45:
        return False
    between = text[end:colon]
    return "\n" not in between and ":" not in text[ls:start] and "." not in between
