"""The user's cache directory: what rgpd keeps between runs only to start faster.

Nothing in it is data of an organisation or a person, and nothing in it is ever needed:
each entry is keyed by what it was built from, checked when read, and built again when
missing, stale, damaged or unwritable (a read-only home): the French message catalog
(``rgpd.i18n``), the word lists of the name recognizers
(``rgpd/scan/detect/recognizers/fr/lexicon.py``) and the compiled regular expressions of
a scan's warm-up (:func:`compiled_patterns`).
"""

from __future__ import annotations

import hashlib
import marshal
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/rgpd`` (``~/.cache/rgpd``): never the user's working directory."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "rgpd"


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a renamed temporary file; an error is no error.

    A reader never sees half a file, and a cache that cannot be written (read-only home,
    full disk) only means the entry is built again next time.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        pass


def read_sealed(path: Path, header: bytes, key: bytes) -> bytes | None:
    """The payload of a cache file written by :func:`write_sealed` with this ``header``
    and ``key``, or None when it is missing, unreadable, of another layout or key, or
    damaged (its SHA-256 trailer does not match): the caller then builds it again."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    head = len(header) + len(key)
    if len(data) < head + 32 or not data.startswith(header):
        return None
    body, digest = data[:-32], data[-32:]
    if data[len(header) : head] != key or hashlib.sha256(body).digest() != digest:
        return None
    return body[head:]


def write_sealed(path: Path, header: bytes, key: bytes, payload: bytes) -> None:
    """``header``, ``key``, ``payload`` and a SHA-256 of the three, written atomically
    (:func:`write_atomic`: an unwritable cache is no error)."""
    data = header + key + payload
    write_atomic(path, data + hashlib.sha256(data).digest())


#: Bumped whenever the compiled-pattern file's layout changes.
_PATTERNS_FORMAT = b"rgpd-patterns/1\n"
#: Patterns kept at most: beyond, only those of the last run are written.
_PATTERNS_MAX = 4096
_PATTERNS_LOCK = threading.RLock()
_patterns_active = False


def _patterns_key() -> bytes:
    """What compiled code depends on: this Python's build and its regex engine's version
    (the code format), and Unicode's version (case folding of ``IGNORECASE`` classes)."""
    import _sre
    import unicodedata

    parts = [
        _PATTERNS_FORMAT,
        sys.version.encode(),
        sys.implementation.cache_tag.encode(),
        f"{_sre.MAGIC}:{_sre.CODESIZE}:{sys.byteorder}:{marshal.version}".encode(),
        unicodedata.unidata_version.encode(),
    ]
    return hashlib.sha256(b"\0".join(parts)).digest()


class _Recorder:
    """Stands for the ``_sre`` module inside ``re._compiler``: keeps the arguments of the
    last ``_sre.compile`` call (the compiled code), forwards everything."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.last: tuple[Any, ...] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def compile(self, *args: Any) -> Any:
        self.last = args
        return self.real.compile(*args)


def _plain(value: Any) -> Any:
    """``value`` with ``int`` subclasses (the compiler's named opcodes) as plain ints, which
    ``marshal`` can write and ``_sre.compile`` reads the same."""
    if isinstance(value, bool) or value is None or isinstance(value, str | bytes):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value  # marshal refuses what it cannot hold: nothing is then written


@contextmanager
def compiled_patterns(name: str) -> Iterator[None]:
    """While the block runs, regular expressions compile from their code kept in the cache.

    ``re`` keeps compiled patterns per process only, and a scan's warm-up compiles ~450
    (spaCy's tokenizer, the recognizers, the readers' libraries): ~0.15 s of CPU parsing
    and optimising the same patterns at every start (issue 11). The engine's compiled
    code (what ``re._compiler`` hands to ``_sre.compile``) is kept in
    ``patterns-<name>.bin``, keyed by the exact pattern and flags, for this Python build
    only; a pattern found there is built by ``_sre.compile`` from the same arguments, so
    it is the same pattern object (``==`` compares the code too). A new pattern compiles
    as usual and is added when the block ends.

    Only for blocks that compile the code's own patterns (imports, models, recognizers,
    an invented text): a pattern made from a scanned text or an organisation's data
    must never be written to disk. Patterns compiled meanwhile by other threads are
    neither read from nor written to the cache; nor are ``DEBUG`` and ``LOCALE`` ones.
    """
    global _patterns_active
    import re._compiler as compiler

    with _PATTERNS_LOCK:
        nested = _patterns_active
        _patterns_active = True
    if nested:  # inside another block (or beside one, in another thread): left to it
        yield
        return
    owner = threading.get_ident()
    path = cache_dir() / f"patterns-{name}.bin"
    key = _patterns_key()
    table = _read_patterns(path, key)
    known = len(table)
    used: set[tuple[str | bytes, int]] = set()
    real_compile = compiler.compile
    real_sre = compiler._sre  # type: ignore[attr-defined]
    recorder = _Recorder(real_sre)
    skip = re.DEBUG | re.LOCALE

    def compile(p: Any, flags: int = 0) -> Any:
        if (
            type(p) not in (str, bytes)
            or not isinstance(flags, int)
            or flags & skip
            or threading.get_ident() != owner
        ):
            return real_compile(p, flags)
        k = (p, int(flags))
        args = table.get(k)
        if args is not None:
            try:
                pattern = real_sre.compile(*args)
            except Exception:  # whatever went wrong, the usual way still works
                pass
            else:
                used.add(k)
                return pattern
        with _PATTERNS_LOCK:
            recorder.last = None
            compiler._sre = recorder  # type: ignore[attr-defined]
            try:
                out = real_compile(p, flags)
            finally:
                compiler._sre = real_sre  # type: ignore[attr-defined]
            args = recorder.last
        if args is not None and type(args[0]) is type(p) and args[0] == p:
            plain = _plain(args)
            try:  # kept only if it gives this very pattern again (flags and code compared)
                same = real_sre.compile(*plain) == out
            except Exception:  # a record that does not compile is not kept
                same = False
            if same:
                table[k] = plain
                used.add(k)
        return out

    compiler.compile = compile
    try:
        yield
    finally:
        compiler.compile = real_compile
        with _PATTERNS_LOCK:
            _patterns_active = False
        if len(table) > known:
            if len(table) > _PATTERNS_MAX:
                table = {k: table[k] for k in used}
            _write_patterns(path, key, table)


def _read_patterns(path: Path, key: bytes) -> dict[tuple[str | bytes, int], tuple[Any, ...]]:
    """The kept patterns if the file is whole and was written by this Python; else none."""
    payload = read_sealed(path, _PATTERNS_FORMAT, key)
    if payload is None:
        return {}
    try:
        entries = marshal.loads(payload)
        return {(p, flags): tuple(args) for p, flags, args in entries}
    except (ValueError, TypeError, EOFError):
        return {}


def _write_patterns(
    path: Path, key: bytes, table: dict[tuple[str | bytes, int], tuple[Any, ...]]
) -> None:
    try:
        body = marshal.dumps([(p, flags, args) for (p, flags), args in table.items()])
    except ValueError:  # an argument marshal cannot hold: keep nothing rather than fail
        return
    write_sealed(path, _PATTERNS_FORMAT, key, body)
