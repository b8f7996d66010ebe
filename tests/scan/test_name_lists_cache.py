"""The name-list cache (world first names, territories) is only an optimisation (issue 11):
the same sets as built from ``nam_dict.txt`` and Babel, rebuilt when stale or damaged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rgpd.scan.detect.recognizers.fr import lexicon
from tests.scan.sealed_damage import DAMAGES, damaged


def _clear() -> None:
    for f in (lexicon._name_lists, lexicon.world_first_names, lexicon.territories):
        f.cache_clear()


@pytest.fixture
def cache_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    _clear()
    yield tmp_path / "rgpd" / "name-lists.bin"
    _clear()


def _built() -> tuple[frozenset[str], frozenset[str]]:
    return lexicon._build_world_first_names(), lexicon._build_territories()


def _load() -> tuple[frozenset[str], frozenset[str]]:
    _clear()
    return lexicon.world_first_names(), lexicon.territories()


def test_the_sources_are_installed() -> None:
    # gender-guesser and Babel are dependencies: empty lists would make every test
    # below compare two empty sets.
    world, places = _built()
    assert {"stephen", "anders"} <= world
    assert "france" not in world  # a common word of our list stays one
    assert {"nouvelle-zelande", "cote d'ivoire", "new zealand"} <= places


def test_cache_written_then_read_gives_the_same_sets(cache_file: Path) -> None:
    expected = _built()
    assert _load() == expected
    assert cache_file.is_file()
    assert _load() == expected  # from the file this time
    assert lexicon.is_first_name("Anders") and lexicon.is_territory("Nouvelle-Zélande")


def test_the_cache_is_read_not_built_again(
    cache_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _load()

    def no_build() -> frozenset[str]:
        raise AssertionError("built again")

    monkeypatch.setattr(lexicon, "_build_world_first_names", no_build)
    monkeypatch.setattr(lexicon, "_build_territories", no_build)
    assert _load() == expected


@pytest.mark.parametrize("damage", DAMAGES)
def test_damaged_or_stale_cache_is_rebuilt(cache_file: Path, damage: str) -> None:
    expected = _built()
    _load()
    data = cache_file.read_bytes()
    data = damaged(data, damage, lexicon._NAMES_FORMAT)
    cache_file.write_bytes(data)
    assert _load() == expected
    assert cache_file.read_bytes() != data  # written again, whole


def test_a_changed_source_changes_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    before = lexicon._names_key()
    monkeypatch.setattr(
        lexicon, "_NAME_SOURCES", (*lexicon._NAME_SOURCES[:-1], ("babel", "locale-data/de.dat"))
    )
    assert lexicon._names_key() != before


def test_unwritable_cache_dir_builds_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    try:
        assert _load() == _built()
    finally:
        _clear()
