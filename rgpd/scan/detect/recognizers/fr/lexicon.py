"""Word lists the name cues rely on, loaded once per process from ``data/``."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from array import array
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from collections.abc import Set as AbstractSet
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from rgpd.cache import cache_dir, read_sealed, write_sealed
from rgpd.scan.detect.text import strip_accents

#: Entries kept of each per-word answer below (an LRU cache): a word of a text is asked
#: about several times, by several rules, and the same words come back text after text.
#: Bounded, like ``person.info``'s table, so that a long scan's memory stays flat
#: (about 2 MB a cache when full); the words stay in memory only, never on disk.
WORD_CACHE = 1 << 14


def _words(filename: str) -> frozenset[str]:
    raw = resources.files("rgpd.scan.detect.recognizers.fr").joinpath("data").joinpath(filename)
    out: set[str] = set()
    for line in raw.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        out.update(key(w) for w in line.split())
    return frozenset(out)


@lru_cache(maxsize=WORD_CACHE)
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
    left out (too many are words or initials). Built by :func:`_build_world_first_names`,
    kept in the user's cache (:func:`_name_lists`).
    """
    return _name_lists()[0]


def _build_world_first_names() -> frozenset[str]:
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


@lru_cache(maxsize=WORD_CACHE)
def is_first_name(token: str) -> bool:
    """``Jean-Pierre`` counts when every part is a first name."""
    parts = [p for p in key(token).replace("'", "-").split("-") if p]
    return bool(parts) and all(_is_name_part(p) for p in parts)


@lru_cache(maxsize=WORD_CACHE)
def is_french_first_name(token: str) -> bool:
    """Like :func:`is_first_name`, from the hand-written French list only."""
    parts = [p for p in key(token).replace("'", "-").split("-") if p]
    return bool(parts) and all(p in first_names() for p in parts)


@lru_cache(maxsize=WORD_CACHE)
def is_common(token: str) -> bool:
    """``Saint-Malo`` counts as common: a hyphenated word led by a common word."""
    words = common_words()
    k = key(token)
    if k in words:
        return True
    head = k.split("-", 1)[0]
    return "-" in k and head in words


_M64 = 0xC6A4A7935BD1E995
_MASK = (1 << 64) - 1


def _spacy_hash(word: str) -> int:
    """spaCy's string hash (MurmurHash64A of the UTF-8 bytes, seed 1), without importing spaCy."""
    data = word.encode("utf-8")
    n = len(data)
    h = (1 ^ (n * _M64)) & _MASK
    end = n - n % 8
    for i in range(0, end, 8):
        k = (int.from_bytes(data[i : i + 8], "little") * _M64) & _MASK
        k = ((k ^ (k >> 47)) * _M64) & _MASK
        h = ((h ^ k) * _M64) & _MASK
    if end < n:
        h = ((h ^ int.from_bytes(data[end:], "little")) * _M64) & _MASK
    h = ((h ^ (h >> 47)) * _M64) & _MASK
    return h ^ (h >> 47)


#: Bumped whenever the cache file's layout or the tables read from the model change.
_CACHE_FORMAT = b"rgpd-word-forms/1\n"


def _cache_key(lookups: Path) -> bytes:
    """What the cached set depends on: the model's file (path, size, mtime) and rgpd's version."""
    from importlib.metadata import PackageNotFoundError, version

    try:  # the installed distribution's version (the detection core imports no rgpd top level)
        rgpd_version = version("rgpd")
    except PackageNotFoundError:
        rgpd_version = "0"
    st = lookups.stat()
    meta = lookups.parents[2] / "meta.json"
    model = meta.read_bytes() if meta.is_file() else b""
    parts = [_CACHE_FORMAT, str(lookups).encode(), f"{st.st_size}:{st.st_mtime_ns}".encode()]
    parts += [hashlib.sha256(model).digest(), rgpd_version.encode()]
    return hashlib.sha256(b"\0".join(parts)).digest()


_T = TypeVar("_T", int, str)


class _SortedSet(AbstractSet[_T]):
    """A set held as the sorted sequence it was read as: membership by bisection.

    The word-form cache stores its 217,000 hashes and 127,000 words sorted; turning them
    into ``frozenset`` objects cost ~40 ms of every scan's start, to answer a few hundred
    questions per scan (:func:`is_word_form` keeps its answers). Bisection answers the
    same, in a microsecond each, and ``array('Q')`` holds the hashes in 1.7 MB instead of
    ~14 MB of ints and hash table.
    """

    __slots__ = ("_items",)

    def __init__(self, items: Sequence[_T]) -> None:
        self._items: Sequence[_T] = items  # sorted, without duplicates

    def __contains__(self, value: object) -> bool:
        items = self._items
        try:
            i = bisect_left(items, value)  # type: ignore[call-overload]
        except TypeError:  # not comparable with the items (another type): not in the set
            return False
        return i < len(items) and items[i] == value

    def __iter__(self) -> Iterator[_T]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


def _read_cache(path: Path, key: bytes) -> tuple[AbstractSet[int], AbstractSet[str]] | None:
    """The cached set if the file is whole and was built for ``key``; ``None`` otherwise.

    Layout: format line, key (32 bytes), number of hashes (8 bytes), the hashes
    (little-endian uint64), the words (UTF-8, one a line), then a SHA-256 of all
    that precedes it: a truncated, corrupt or stale file is simply rebuilt.
    """
    body = read_sealed(path, _CACHE_FORMAT, key)
    if body is None or len(body) < 8:
        return None
    n = int.from_bytes(body[:8], "little")
    start = 8
    end = start + 8 * n
    if end > len(body):
        return None
    hashes = array("Q")
    hashes.frombytes(body[start:end])
    if sys.byteorder != "little":
        hashes.byteswap()
    try:
        text = body[end:].decode("utf-8")
    except UnicodeDecodeError:
        return None
    # Both written sorted (_write_cache), which the digest vouches for: no set to build.
    words = text.split("\n")
    if words[0] == "":  # no words at all, or the empty string (sorted first): not a word
        del words[0]
    return _SortedSet(hashes), _SortedSet(words)


def _write_cache(path: Path, key: bytes, hashes: AbstractSet[int], words: AbstractSet[str]) -> None:
    """Write the set atomically, sorted (:func:`_read_cache` relies on it); an unwritable
    cache is no error (built again next time)."""
    arr = array("Q", sorted(hashes))
    if sys.byteorder != "little":
        arr.byteswap()
    payload = b"".join(
        [len(arr).to_bytes(8, "little"), arr.tobytes(), "\n".join(sorted(words)).encode("utf-8")]
    )
    write_sealed(path, _CACHE_FORMAT, key, payload)


def _model_lookups() -> Path | None:
    """The model's lemmatizer tables, found without importing the model's package."""
    spec = importlib.util.find_spec("fr_core_news_md")
    roots = list(spec.submodule_search_locations or []) if spec is not None else []
    paths = sorted(p for r in roots for p in Path(r).glob("*/lemmatizer/lookups/lookups.bin"))
    return paths[0] if paths else None


@cache
def _word_forms() -> tuple[AbstractSet[int], AbstractSet[str]]:
    """The word-form set, from the user's cache when built before for this model and rgpd.

    Reading the model's tables takes ~0.3 s at every start; the cached hashes
    load in a few milliseconds. The cache is keyed by the model file and rgpd's
    version, checked by a digest, and only ever an optimisation: the set is
    the same whether it was read from the cache or from the model.
    """
    lookups = _model_lookups()
    if lookups is None:  # no model: the hand-written lists still work
        return frozenset(), frozenset()
    try:
        key = _cache_key(lookups)
    except OSError:
        return _read_word_forms(lookups)
    path = cache_dir() / "word-forms.bin"
    cached = _read_cache(path, key)
    if cached is not None:
        return cached
    built = _read_word_forms(lookups)
    _write_cache(path, key, *built)
    return built


def _read_word_forms(lookups: Path) -> tuple[frozenset[int], frozenset[str]]:
    """French word forms, from the installed spaCy model's lemmatizer tables.

    ``lemma_lookup`` holds about 217,000 inflected forms (plurals, feminines,
    conjugated verbs: ``pilules``, ``cueillons``, ``décoré``), keyed by
    spaCy's string hash (only the hashes are kept); the verb exceptions and
    the verb and adverb lemmas add ``tomber``, ``suivrai``. Noun and adjective
    lemmas are left out: that list also holds many surnames (``Fontaine``,
    ``Bernard``, ``Petit``). The file is found without importing the model's
    package and streamed, so the quick depth stays free of spaCy.
    """
    from srsly import msgpack

    wanted = {_spacy_hash("verb"), _spacy_hash("adv")}
    hashes: set[int] = set()
    words: set[str] = set()
    with lookups.open("rb") as f:
        unpacker = msgpack.Unpacker(f, raw=False)
        for _ in range(unpacker.read_map_header()):
            table = unpacker.unpack()
            if table == "lemma_lookup":
                for _ in range(unpacker.read_map_header()):
                    hashes.add(int(unpacker.unpack()))
                    unpacker.skip()
            elif table in ("lemma_index", "lemma_exc"):
                for _ in range(unpacker.read_map_header()):
                    if int(unpacker.unpack()) in wanted:
                        forms: Any = unpacker.unpack()  # a list (index) or a dict (exceptions)
                        words.update(forms)
                    else:
                        unpacker.skip()
            else:
                unpacker.skip()
    return frozenset(hashes), frozenset(words)


def preload_word_forms() -> None:
    """Load the word forms now (once per process; ~0.3 s without the cache) rather than on a first text."""
    _word_forms()


@lru_cache(maxsize=WORD_CACHE)
def is_word_form(token: str) -> bool:
    """A French inflected form, verb or adverb (``Pilules``, ``Décoré``, ``Tomber``, ``Gilets``).

    Such a word alone, or opening a run of capitalised words, is no surname:
    a product, a title, a headline or a capitalised common word. A first name
    never counts (``Martine``, ``Pascal``).
    """
    low = token.lower().replace("’", "'").strip(".,;:")
    if len(low) < 3 or is_first_name(token):
        return False
    hashes, words = _word_forms()
    return low in words or _spacy_hash(low) in hashes


@cache
def territories() -> frozenset[str]:
    """Names of countries and world regions in French and English, from Babel's CLDR data.

    NER tags "Nouvelle-Zélande" or "Côte d'Ivoire" as a person often enough on
    news text; a territory name is never a person's name on its own. CLDR is
    maintained by the Unicode consortium and ships with Babel (already a
    dependency for the catalogs), read offline. Built by :func:`_build_territories`,
    kept in the user's cache (:func:`_name_lists`).
    """
    return _name_lists()[1]


def _build_territories() -> frozenset[str]:
    from babel import Locale

    out: set[str] = set()
    for lang in ("fr", "en"):
        out.update(key(name) for name in Locale(lang).territories.values())
    return frozenset(out)


#: Bumped whenever the name-list cache file's layout changes.
_NAMES_FORMAT = b"rgpd-name-lists/1\n"
#: Sources whose file metadata (path, size, mtime) key the name lists, found without
#: importing their packages: ``nam_dict.txt`` and Babel's locale data.
_NAME_SOURCES = (
    ("gender_guesser", "data/nam_dict.txt"),
    ("babel", "locale-data/root.dat"),
    ("babel", "locale-data/fr.dat"),
    ("babel", "locale-data/en.dat"),
)


def _names_key() -> bytes:
    """What the name lists depend on: the code that builds them (this module and the
    accent folding of ``text.py``, read as bytes), our common-word list, Unicode's
    version, and the installed ``nam_dict.txt`` and CLDR files (path, size, mtime)."""
    import unicodedata

    from rgpd.scan.detect import text

    parts = [_NAMES_FORMAT, unicodedata.unidata_version.encode()]
    parts += [Path(__file__).read_bytes(), Path(text.__file__ or "").read_bytes()]
    common = resources.files("rgpd.scan.detect.recognizers.fr").joinpath("data")
    parts.append(common.joinpath("mots_communs.txt").read_bytes())
    for package, name in _NAME_SOURCES:
        spec = importlib.util.find_spec(package)
        roots = list(spec.submodule_search_locations or []) if spec is not None else []
        found = [Path(r) / name for r in roots if (Path(r) / name).is_file()]
        if found:
            st = found[0].stat()
            parts.append(f"{found[0]}:{st.st_size}:{st.st_mtime_ns}".encode())
        else:
            parts.append(f"{package}:{name}:absent".encode())
    return hashlib.sha256(b"\0".join(parts)).digest()


@cache
def _name_lists() -> tuple[frozenset[str], frozenset[str]]:
    """(world first names, territory names), from the user's cache when built before.

    Building them costs ~0.1 s of every scan's start: 40,000 names of ``nam_dict.txt``
    put through :func:`key`, and Babel's French, English and root locale data
    unpickled for 600 territory names. Read back from the cache, a few milliseconds.
    Keyed by what they are built from (:func:`_names_key`), checked by a digest, and only
    ever an optimisation: the sets are the same from the cache or built.
    """
    try:
        names_key = _names_key()
    except OSError:  # a source not readable as a file: build, do not cache
        return _build_world_first_names(), _build_territories()
    path = cache_dir() / "name-lists.bin"
    cached = _read_names(path, names_key)
    if cached is not None:
        return cached
    built = _build_world_first_names(), _build_territories()
    _write_names(path, names_key, built)
    return built


def _read_names(path: Path, names_key: bytes) -> tuple[frozenset[str], frozenset[str]] | None:
    """The cached lists if the file is whole and was built for ``names_key``; ``None`` otherwise.

    Layout: format line, key (32 bytes), the lists (UTF-8, one word a line, the two
    lists parted by a NUL), then a SHA-256 of all that precedes it.
    """
    body = read_sealed(path, _NAMES_FORMAT, names_key)
    if body is None:
        return None
    try:
        lists = body.decode("utf-8").split("\0")
    except UnicodeDecodeError:
        return None
    if len(lists) != 2:
        return None
    world, places = (frozenset(words.split("\n")) - {""} for words in lists)
    return world, places


def _write_names(
    path: Path, names_key: bytes, lists: tuple[frozenset[str], frozenset[str]]
) -> None:
    """Write the lists atomically; a word the layout cannot hold (or an unwritable cache)
    only means they are built again next time."""
    if any("\n" in w or "\0" in w or not w for words in lists for w in words):
        return
    text = "\0".join("\n".join(sorted(words)) for words in lists)
    write_sealed(path, _NAMES_FORMAT, names_key, text.encode("utf-8"))


@lru_cache(maxsize=WORD_CACHE)
def is_territory(words: str) -> bool:
    """The words name a country or region ("Nouvelle-Zélande"), not a first name alone ("Maurice")."""
    k = key(" ".join(words.split()))
    return k in territories() and not (" " not in k and is_first_name(words))
