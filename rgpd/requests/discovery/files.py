"""File search: the scans' blind index, and the optional targeted rescan for names."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    select,
)

from rgpd.errors import RgpdError
from rgpd.i18n import _
from rgpd.masking import normalise
from rgpd.registry.model import Activity
from rgpd.requests.discovery.result import FileMatch, MatchStatus
from rgpd.requests.discovery.values import chunks, match_id
from rgpd.requests.person import (
    CONF_NAME_DOB_FILE,
    CONF_NAME_ONLY,
    CONF_STRONG,
    STRONG_ENTITIES,
    Person,
    fold,
    name_pattern,
)
from rgpd.storage.scan_tables import ScanSourceRow
from rgpd.taxonomy import Entity
from rgpd.workspace import Workspace

#: Files re-read by a targeted rescan.
MAX_RESCAN_FILES = 2000


def file_probes(person: Person) -> list[tuple[str, str, str]]:
    """(entity, key, normalised value) the blind index can be asked about."""
    out: list[tuple[str, str, str]] = []
    for p in person.probes:
        if p.entity and p.entity in STRONG_ENTITIES:
            norm = normalise(p.entity, p.value)
            if norm:
                out.append((p.entity, p.key, norm))
    return out


def location_covers(pattern: str, uri: str, root: str | None) -> bool:
    """Does a declared file location (a register pattern) cover this file?

    The one call site of the requests wing for this legal question (discovery,
    rescan and the erasure plan all ask here), so that it can follow the
    register's single answer (issue 16: ``registry/locations.py``). An archive
    member (``archive.zip!member``) is covered by its archive.
    """
    from rgpd.registry.locations import path_covered

    return path_covered(pattern, uri.split("!", 1)[0], root)


def location_activities(activities: Sequence[Activity], uri: str, root: str | None) -> list[str]:
    """The activities whose declared file locations cover ``uri``."""
    return sorted(
        {
            a.ref
            for a in activities
            for loc in a.data_locations
            if loc.kind == "files" and loc.path and location_covers(loc.path, uri, root)
        }
    )


def search_files(
    ws: Workspace,
    org: str,
    person: Person,
    activities: Sequence[Activity],
) -> list[FileMatch]:
    """Files whose blind index holds one of the person's identifiers (no file is read)."""
    from rgpd.scan.findings import lookup_tokens

    found: dict[str, dict[str, Any]] = {}

    def note(uri: str, kind: str, entity: str, n: int, reason: str) -> None:
        d = found.setdefault(
            uri, {"kind": kind, "entities": set(), "occ": 0, "reasons": [], "strong": False}
        )
        d["entities"].add(entity)
        d["occ"] += n
        if reason not in d["reasons"]:
            d["reasons"].append(reason)

    for entity, key, norm in file_probes(person):
        for m in lookup_tokens(ws, org, entity, [ws.keys.blind_index(entity, norm)]):
            if m.kind in ("file", "member"):
                note(m.uri, m.kind, entity, m.occurrences, _("{key} (blind index)", key=key))
                found[m.uri]["strong"] = True
    if person.has_name:
        tok = ws.keys.blind_index(
            Entity.PERSON, normalise(Entity.PERSON, f"{person.first_name} {person.last_name}")
        )
        for m in lookup_tokens(ws, org, Entity.PERSON, [tok]):
            if m.kind in ("file", "member"):
                note(m.uri, m.kind, Entity.PERSON, m.occurrences, _("name (blind index)"))
        if person.birth_date:
            dtok = ws.keys.blind_index(
                Entity.DATE_OF_BIRTH,
                normalise(Entity.DATE_OF_BIRTH, person.birth_date.isoformat()),
            )
            for m in lookup_tokens(ws, org, Entity.DATE_OF_BIRTH, [dtok]):
                if m.uri in found:
                    note(m.uri, m.kind, Entity.DATE_OF_BIRTH, m.occurrences, _("date of birth"))
    roots = _roots(ws, org, list(found))
    out = []
    for uri, d in sorted(found.items()):
        out.append(_file_match(uri, d, activities, roots.get(uri)))
    return out


def _file_match(
    uri: str, d: Mapping[str, Any], activities: Sequence[Activity], root: str | None
) -> FileMatch:
    ents = sorted(d["entities"])
    if d["strong"]:
        status, conf = MatchStatus.CONFIRMED, CONF_STRONG
    elif Entity.DATE_OF_BIRTH in ents:
        status, conf = MatchStatus.TO_CONFIRM, CONF_NAME_DOB_FILE
    else:
        status, conf = MatchStatus.TO_CONFIRM, CONF_NAME_ONLY
    return FileMatch(
        id=match_id("f", uri),
        uri=uri,
        kind=str(d["kind"]),
        activities=location_activities(activities, uri, root),
        status=status,
        confidence=conf,
        reasons=list(d["reasons"]),
        entities=ents,
        occurrences=int(d["occ"]),
        root=root,
    )


def _roots(ws: Workspace, org: str, uris: Sequence[str]) -> dict[str, str | None]:
    from rgpd.scan.findings import uri_hash

    if not uris:
        return {}
    oid = ws.org_id(org)
    out: dict[str, str | None] = {}
    with ws.db.session() as s:
        for part in chunks([uri_hash(u) for u in uris]):
            for uri, root in s.execute(
                select(ScanSourceRow.uri, ScanSourceRow.root).where(
                    ScanSourceRow.org_id == oid, ScanSourceRow.uri_hash.in_(part)
                )
            ).all():
                out[uri] = root
    return out


_DATE_RE = re.compile(
    r"\b(\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{2,4}|\d{4}-\d{2}-\d{2}|"
    r"(?:1er|\d{1,2})\s+[a-z]+\.?\s+\d{4})\b"
)


def rescan_names(
    ws: Workspace,
    org: str,
    person: Person,
    activities: Sequence[Activity],
    known: set[str],
    notes: list[str],
    *,
    limit: int = MAX_RESCAN_FILES,
) -> tuple[list[FileMatch], int]:
    """Re-read the files the scans know under the declared locations, looking for the name.

    Names are indexed only where the detector recognised them; this finds the
    others. A name alone never confirms anything: every hit is ``to_confirm``.
    """
    from rgpd.scan.extract import extract
    from rgpd.scan.paths import resolve_inside

    pattern = name_pattern(person)
    patterns = [
        loc.path for a in activities for loc in a.data_locations if loc.kind == "files" and loc.path
    ]
    if pattern is None or not patterns:
        return [], 0
    oid = ws.org_id(org)
    with ws.db.session() as s:
        rows = s.execute(
            select(ScanSourceRow.uri, ScanSourceRow.root).where(
                ScanSourceRow.org_id == oid,
                ScanSourceRow.kind == "file",
                ScanSourceRow.status != "gone",
            )
        ).all()
    candidates = [
        (uri, root)
        for uri, root in rows
        if uri not in known and any(location_covers(p, uri, root) for p in patterns)
    ]
    if len(candidates) > limit:
        notes.append(
            _("targeted rescan limited to {n} of {total} files", n=limit, total=len(candidates))
        )
        candidates = candidates[:limit]
    dob_iso = person.birth_date.isoformat() if person.birth_date else None
    out: list[FileMatch] = []
    for uri, root in sorted(candidates):
        hits: dict[str, dict[str, Any]] = {}
        try:
            resolve_inside(uri, [root] if root else [])  # issue 13: never out of the share
            for chunk in extract(uri, on_error=lambda _src, _err: None):
                text = fold(chunk.text)
                if not pattern.search(text):
                    continue
                src = chunk.source or uri
                d = hits.setdefault(src, {"dob": False, "n": 0})
                d["n"] += len(pattern.findall(text))
                if dob_iso and any(
                    normalise(Entity.DATE_OF_BIRTH, m.group(1)) == dob_iso
                    for m in _DATE_RE.finditer(text)
                ):
                    d["dob"] = True
        except (RgpdError, OSError) as exc:
            notes.append(
                _("rescan: {uri} could not be read ({why})", uri=uri, why=type(exc).__name__)
            )
            continue
        for src, d in hits.items():
            reasons = [_("name (targeted rescan)")]
            ents = [Entity.PERSON.value]
            if d["dob"]:
                reasons.append(_("date of birth"))
                ents.append(Entity.DATE_OF_BIRTH.value)
            out.append(
                FileMatch(
                    id=match_id("f", src),
                    uri=src,
                    kind="member" if "!" in src else "file",
                    activities=location_activities(activities, src, root),
                    status=MatchStatus.TO_CONFIRM,
                    confidence=CONF_NAME_DOB_FILE if d["dob"] else CONF_NAME_ONLY,
                    reasons=reasons,
                    entities=sorted(ents),
                    occurrences=int(d["n"]),
                    root=root,
                )
            )
    return out, len(candidates)
