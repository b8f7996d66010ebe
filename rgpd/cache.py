"""The user's cache directory: what rgpd keeps between runs only to start faster.

Nothing in it is data of an organisation or a person, and nothing in it is ever needed:
each entry is keyed by what it was built from, checked when read, and built again when
missing, stale, damaged or unwritable (a read-only home): the French message catalog
(``rgpd.i18n``) and the word-form set of the name recognizers
(``rgpd/scan/detect/recognizers/fr/lexicon.py``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


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
