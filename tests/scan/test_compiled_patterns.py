"""The compiled-pattern cache of a scan's warm-up (``rgpd.cache.compiled_patterns``, issue 11):
a pattern read back is the very pattern ``re`` compiles; anything wrong with the file only
means compiling as usual."""

from __future__ import annotations

import re
import re._compiler as compiler
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from rgpd import cache
from tests.scan.sealed_damage import DAMAGES, damaged

PATTERNS = [
    (r"(?P<year>\d{4})-(?P<month>\d\d)", 0),
    (r"[àâäéèêëîïôöùûüç]+(?:-[a-z]+)*", re.IGNORECASE),
    (r"^\s*(?:m\.|mme|mlle)\s+(\w+)$", re.MULTILINE | re.IGNORECASE),
    (r"(?x) a  b # comment", 0),
    (rb"\x00[\x01-\x7f]{2,}", 0),
    (r"(?i)caf[ée]", re.ASCII),
]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    yield tmp_path / "rgpd" / "patterns-test.bin"
    assert compiler.compile.__module__ == "re._compiler"  # every block restored it


def _fresh(p: str | bytes, flags: int) -> re.Pattern:  # type: ignore[type-arg]
    return compiler.compile(p, flags)  # type: ignore[no-any-return]


def _compile_all() -> list[re.Pattern]:  # type: ignore[type-arg]
    re.purge()  # re's own per-process cache would answer without compiling
    return [re.compile(p, f) for p, f in PATTERNS]


def _same(a: re.Pattern, b: re.Pattern) -> bool:  # type: ignore[type-arg]
    return (
        a == b  # pattern, flags and compiled code
        and a.groups == b.groups
        and dict(a.groupindex) == dict(b.groupindex)
        and a.flags == b.flags
    )


def test_patterns_read_back_are_those_re_compiles(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with cache.compiled_patterns("test"):
        first = _compile_all()
    assert home.is_file()
    parsed: list[object] = []
    real_parse = re._parser.parse  # type: ignore[attr-defined]

    def parse(*args: object, **kwargs: object) -> object:
        parsed.append(args[0])
        return real_parse(*args, **kwargs)

    monkeypatch.setattr(re._parser, "parse", parse)  # type: ignore[attr-defined]
    with cache.compiled_patterns("test"):
        second = _compile_all()
    assert parsed == []  # all from the file
    for (p, f), a, b in zip(PATTERNS, first, second, strict=True):
        assert _same(a, _fresh(p, f)) and _same(b, _fresh(p, f))
    assert second[0].match("2026-12").groupdict() == {"year": "2026", "month": "12"}
    assert second[5].match("CAFE") and second[5].match("Café") and not second[5].match("CAFÉ")


def test_new_patterns_are_added_and_debug_ones_left_alone(home: Path) -> None:
    with cache.compiled_patterns("test"):
        _compile_all()
    size = len(cache._read_patterns(home, cache._patterns_key()))
    with cache.compiled_patterns("test"):
        re.purge()
        re.compile(r"nouveau\s+motif")
    table = cache._read_patterns(home, cache._patterns_key())
    assert len(table) == size + 1 and (r"nouveau\s+motif", 0) in table
    assert not any(f & (re.DEBUG | re.LOCALE) for _, f in table)


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_or_foreign_file_is_compiled_again_and_rewritten(home: Path, damage: str) -> None:
    with cache.compiled_patterns("test"):
        _compile_all()
    data = home.read_bytes()
    data = damaged(data, damage, cache._PATTERNS_FORMAT)
    home.write_bytes(data)
    assert cache._read_patterns(home, cache._patterns_key()) == {}
    with cache.compiled_patterns("test"):
        got = _compile_all()
    assert all(_same(g, _fresh(p, f)) for g, (p, f) in zip(got, PATTERNS, strict=True))
    assert home.read_bytes() != data
    assert len(cache._read_patterns(home, cache._patterns_key())) == len(PATTERNS)


def test_the_compiler_is_restored_when_the_block_fails(home: Path) -> None:
    real = compiler.compile
    with pytest.raises(RuntimeError, match="warm-up failed"), cache.compiled_patterns("test"):
        re.purge()
        re.compile(r"avant\s+l'erreur")
        raise RuntimeError("warm-up failed")
    assert compiler.compile is real
    assert compiler._sre.__name__ == "_sre"  # type: ignore[attr-defined]
    assert (r"avant\s+l'erreur", 0) in cache._read_patterns(home, cache._patterns_key())


def test_other_threads_patterns_never_reach_the_file(home: Path) -> None:
    """Only the thread that opened the block is cached: another thread's pattern may come
    from a scanned text."""
    with cache.compiled_patterns("test"):
        re.purge()
        re.compile(r"du\s+bloc")
        t = threading.Thread(target=lambda: re.compile(r"Lucie\s+Ravenel"))
        t.start()
        t.join()
        with cache.compiled_patterns("test"):  # nested: left to the outer block
            re.compile(r"imbriqué")
    table = cache._read_patterns(home, cache._patterns_key())
    assert set(table) == {(r"du\s+bloc", 0), ("imbriqué", 0)}


def test_an_unwritable_cache_is_no_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    with cache.compiled_patterns("test"):
        got = _compile_all()
    assert all(_same(g, _fresh(p, f)) for g, (p, f) in zip(got, PATTERNS, strict=True))


def test_the_warm_up_keeps_its_patterns_and_each_is_the_one_re_compiles(tmp_path: Path) -> None:
    """The real warm-up (spaCy's tokenizer, the recognizers, the readers' libraries)."""
    import subprocess
    import sys

    from tests.clihelp import ROOT

    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": str(tmp_path)}
    code = "import rgpd.scan.files as F\nF._warm('standard', None)\n"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env=env)
    table = cache._read_patterns(tmp_path / "rgpd" / "patterns-warm.bin", cache._patterns_key())
    assert len(table) > 200  # spaCy's tokenizer, rgpd's recognizers, the readers
    for (p, f), args in table.items():
        assert _same(compiler._sre.compile(*args), _fresh(p, f)), p  # type: ignore[attr-defined]
