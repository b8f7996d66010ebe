"""Small text helpers shared by the recognizers: folding, context windows, chunks."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import cache

# Characters that start a new clause: a capital right after one of them says
# nothing about a proper noun.
_SENTENCE_END = frozenset(".!?:;\n\r\t•·*-–—»«\"'(|[")


def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x41, 0x5B):
        table[code] = chr(code + 32)
    for code in range(0xC0, 0x250):
        ch = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        low = (base or ch).lower()
        if len(low) == 1 and low != ch:
            table[code] = low
    table[ord("’")] = "'"
    table[0xA0] = " "
    return table


_FOLD = _fold_table()


def fold(text: str) -> str:
    """Lower-case and strip accents, one character for one (offsets still line up).

    Cue and lexicon matching run on folded text so that "ne le", "né le" and
    "NÉ LE" are one cue; ``str.translate`` keeps it at C speed on whole texts.
    Ligatures (œ, æ) are kept as they are: write them as ``(?:oe|œ)``.
    """
    return text.translate(_FOLD)


@cache
def fold_chars(ch: str) -> tuple[str, ...]:
    """Every character that :func:`fold` turns into ``ch`` (``ch`` included), sorted."""
    return tuple(sorted({ch} | {chr(code) for code, to in _FOLD.items() if to == ch}))


@cache
def fold_class(ch: str) -> str:
    """The body of a character class matching every character that :func:`fold` turns into ``ch``."""
    return "".join(re.escape(c) for c in fold_chars(ch))


def strip_accents(text: str) -> str:
    """Accent-free form of ``text`` (length may change, unlike :func:`fold`)."""
    if text.isascii():  # nothing to decompose (most words): skip the two normalisations
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def fold_window(window: str) -> str:
    """Fast fold of a short cue window: lower case, ASCII only (the length may change).

    Cue windows are only searched, never indexed into, so the cheap C path
    (NFKD then ASCII) beats the length-keeping :func:`fold`.
    """
    low = window.lower()
    if low.isascii():
        return low
    low = low.replace("’", "'").replace("œ", "oe").replace("æ", "ae")
    return unicodedata.normalize("NFKD", low).encode("ascii", "ignore").decode("ascii")


def before(text: str, start: int, width: int) -> str:
    """Folded window of ``width`` characters ending at ``start``."""
    return fold_window(text[max(0, start - width) : start])


def after(text: str, end: int, width: int) -> str:
    return fold_window(text[end : end + width])


def line_before(text: str, start: int, width: int = 80) -> str:
    """Folded text from the start of the line (at most ``width`` chars) to ``start``."""
    lo = max(0, start - width)
    nl = text.rfind("\n", lo, start)
    return fold(text[(nl + 1 if nl >= 0 else lo) : start])


def is_clause_start(text: str, start: int) -> bool:
    """True when the word at ``start`` begins a sentence, a line or a cell."""
    i = start - 1
    while i >= 0 and text[i] in " \u00a0":
        i -= 1
    return i < 0 or text[i] in _SENTENCE_END or text[i] in ",;\t"


_PARA = re.compile(r"\n\s*\n")
_SPACE = re.compile(r"\s")


def chunks(text: str, max_chars: int) -> Iterator[tuple[int, str]]:
    """Cut ``text`` into pieces of at most ``max_chars``, yielding ``(offset, piece)``.

    spaCy refuses texts over ``nlp.max_length`` and its memory grows with the
    text, so long documents are cut on paragraph breaks, then lines, then
    spaces; a piece is cut mid-word only when it has no whitespace at all.
    """
    if max_chars <= 0:
        raise ValueError("max_chars must be positive")
    n = len(text)
    pos = 0
    while pos < n:
        end = min(n, pos + max_chars)
        if end < n:
            cut = _best_cut(text, pos, end)
            end = cut if cut > pos else end
        yield pos, text[pos:end]
        pos = end


def _best_cut(text: str, lo: int, hi: int) -> int:
    floor = lo + (hi - lo) // 2
    best = -1
    for m in _PARA.finditer(text, floor, hi):
        best = m.end()
    if best > lo:
        return best
    nl = text.rfind("\n", floor, hi)
    if nl > lo:
        return nl + 1
    i = hi - 1
    while i > lo and not text[i].isspace():
        i -= 1
    return i + 1 if i > lo else hi


# lower-case determiners: what follows them is a common noun used as a name (a
# title, a product, a team, "les Verts"), a person's name far less often
_DETERMINERS = frozenset(
    [
        "le",
        "la",
        "les",
        "du",
        "des",
        "au",
        "aux",
        "un",
        "une",
        "ce",
        "cet",
        "cette",
        "ces",
        "son",
        "sa",
        "ses",
        "leur",
        "leurs",
    ]
)


def after_determiner(text: str, start: int) -> bool:
    """The word at ``start`` follows a lower-case determiner ("la Dépêche", "l'Équipe", "des Bleus").

    French writes a person's name without an article; a capitalised word after
    one is a noun made proper (a newspaper, a title, a nickname, a product).
    "d'" is no determiner here: "d'Edmond Morel" is a name.
    """
    i = start - 1
    if i >= 1 and text[i] in "'’":
        return text[i - 1] == "l" and (i < 2 or not text[i - 2].isalnum())
    j = i
    while j >= 0 and text[j] in " \u00a0":
        j -= 1
    if j == i or j < 0:
        return False
    k = j
    while k >= 0 and text[k].isalpha():
        k -= 1
    return text[k + 1 : j + 1] in _DETERMINERS and (k < 0 or not text[k].isalnum())


#: Longest quoted run read as the title of a work (an album, a series, a book).
TITLE_MAX = 60
_CLOSE_QUOTES = "»”"
#: Lower-case words a title may hold without reading as a sentence.
_TITLE_GLUE = frozenset(
    {"de", "du", "des", "d", "la", "le", "les", "l", "et", "en", "sur", "sous", "pour"}
    | {"au", "aux", "un", "une", "of", "the", "and", "in", "on", "an", "to"}
)
_LOWER_WORD = re.compile(r"(?<![\w'’])[^\W\d_A-Z]\w*", re.UNICODE)


def quoted_title(text: str, start: int, end: int) -> bool:
    """The span ``start:end`` lies inside a short quoted run opening on a capital.

    Newspapers and encyclopaedias quote the titles of works ("Anna Karénine",
    « Le Prince de Bel-Air »): a character's or a namesake's name there is a title,
    not a reference to a person. A quoted run that starts with a lower-case word,
    or holds more than one lower-case word besides articles and prepositions
    (« François Dupont a perçu sept chèques »), is a quotation, not a title.
    """
    ls = text.rfind("\n", 0, start) + 1
    le = text.find("\n", end)
    le = len(text) if le < 0 else le
    head, tail = text[ls:start], text[end:le]
    straight = head.count('"') % 2 == 1
    if straight:
        o = head.rfind('"')
        c = tail.find('"')
    else:
        o = max(head.rfind("«"), head.rfind("“"))  # the opening quotes
        if o < 0 or any(q in head[o:] for q in _CLOSE_QUOTES):
            return False
        c = min((i for i in (tail.find(q) for q in _CLOSE_QUOTES) if i >= 0), default=-1)
    if o < 0 or c < 0:
        return False
    inner = (head[o + 1 :] + text[start:end] + tail[:c]).strip()
    if not (0 < len(inner) <= TITLE_MAX and inner[0].isupper()):
        return False
    words = [w for w in _LOWER_WORD.findall(inner) if w.islower() and w not in _TITLE_GLUE]
    return len(words) <= 1
