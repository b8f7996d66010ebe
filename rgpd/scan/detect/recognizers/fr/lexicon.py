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


def is_first_name(token: str) -> bool:
    """``Jean-Pierre`` counts when every part is a first name."""
    names = first_names()
    parts = [p for p in key(token).replace("'", "-").split("-") if p]
    return bool(parts) and all(p in names for p in parts)


def is_common(token: str) -> bool:
    """``Saint-Malo`` counts as common: a hyphenated word led by a common word."""
    words = common_words()
    k = key(token)
    if k in words:
        return True
    head = k.split("-", 1)[0]
    return "-" in k and head in words
