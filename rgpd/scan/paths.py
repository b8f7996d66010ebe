"""Paths of a share: what lies inside the declared locations, and file names safe to show.

:func:`resolve_inside` is the one guard every reader of a citizen's files goes
through (access packages, erasure, redaction): a path is read only if its
resolved form (symlinks followed) lies inside one of the declared roots, so a
symlink in a share to ``/etc`` or to another install's key file is never read.

:func:`mask_path` masks the identifiers a file name can carry (a NIR, an e-mail,
a phone number, an IBAN...) with the detector's cheap pattern recognizers, not
spaCy: names of people stay, because a DPO cannot find the file otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from rgpd.errors import InvalidInput
from rgpd.i18n import _

#: Identifiers masked in file names shown in findings, reports and logs.
PATH_ENTITIES = (
    "EMAIL_ADDRESS",
    "FR_NIR",
    "PHONE_NUMBER",
    "IBAN_CODE",
    "CREDIT_CARD",
    "FR_TAX_ID",
    "FR_ID_CARD",
    "FR_PASSPORT",
)
#: Below this score a pattern hit in a file name is left alone (dates, invoice numbers).
PATH_MASK_THRESHOLD = 0.5


def real_roots(roots: Iterable[str | os.PathLike[str]]) -> list[str]:
    """Each root resolved (symlinks followed), as the prefix :func:`is_inside` compares."""
    return [os.path.realpath(os.fspath(r)) for r in roots]


def is_inside(real_path: str, real_root_list: Sequence[str]) -> bool:
    """Whether an already resolved path is one of ``real_root_list`` or lies below one."""
    for root in real_root_list:
        if real_path == root or real_path.startswith(root.rstrip(os.sep) + os.sep):
            return True
    return False


def resolve_inside(path: str | os.PathLike[str], roots: Iterable[str | os.PathLike[str]]) -> Path:
    """``path`` resolved, or :class:`InvalidInput` when it resolves outside every root.

    Call it right before opening a file found in a share: the check is on the
    resolved path, so a symlink (or a ``..``) pointing out of the share fails
    even when the link itself sits inside it. ``archive!member`` checks the archive.
    """
    real = os.path.realpath(os.fspath(path).split("!", 1)[0])  # "zip!member": the archive
    allowed = real_roots(roots)
    if not allowed or not is_inside(real, allowed):
        raise InvalidInput(
            mask_path(os.fspath(path)),
            _("resolves outside the declared locations (symbolic link?): not read"),
        )
    return Path(real)


def scan_roots(ws: Any, org: str) -> list[str]:
    """The folders the organisation's file scans were run on: where its files may be read."""
    from sqlalchemy import select

    from rgpd.storage.scan_tables import ScanSourceRow

    oid = ws.org_id(org)
    with ws.db.session() as s:
        rows = s.execute(
            select(ScanSourceRow.root)
            .where(ScanSourceRow.org_id == oid, ScanSourceRow.kind == "file")
            .distinct()
        ).scalars()
        return sorted({r for r in rows if r})


def relative_target(target: str, real_root_list: Sequence[str]) -> str:
    """A symlink target as shown in a scan error: relative to the root, else masked."""
    for root in real_root_list:
        if is_inside(target, [root]):
            return os.path.relpath(target, root)
    return mask_path(target)


@lru_cache(maxsize=1)
def _recognizers() -> list[Any]:
    from rgpd.scan.detect.registry import recognizers_for

    return recognizers_for(PATH_ENTITIES)


def mask_path(path: str) -> str:
    """``path`` with the identifiers found in each of its parts masked (``rgpd.masking.mask``)."""
    parts = path.split("/")
    return "/".join(_mask_part(p) for p in parts)


def _mask_part(path: str) -> str:
    from rgpd.masking import mask

    if not any(c.isdigit() or c == "@" for c in path):
        return path  # every identifier masked here has digits or an @
    spans: list[Any] = []
    for rec in _recognizers():
        spans.extend(
            s
            for s in rec.find(path.replace("_", " "))  # "_" glues words in file names
            if s.entity_type in PATH_ENTITIES and s.score >= PATH_MASK_THRESHOLD
        )
    if not spans:
        return path
    out, pos = [], 0
    for s in sorted(spans, key=lambda s: (s.start, -s.end)):
        if s.start < pos:
            continue
        out.append(path[pos : s.start])
        out.append(mask(s.entity_type, path[s.start : s.end]))
        pos = s.end
    out.append(path[pos:])
    return "".join(out)
