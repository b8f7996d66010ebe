"""Does a declared location cover this file / this table.column? The one answer.

Art. 30(1) asks the register to say where each activity's data lives; the
reconcile rules (undeclared data, special categories, NIR, retention), the
findings filter (``findings list --path``), every report and the requests
(discovery, erasure) ask the same question of the same ``data_locations``, so they
all call this module and give the DPO the same answer. Pure: strings in, booleans
out, no file system access (a pattern is never expanded on disk).

Rules for a ``files`` location (``DataLocation.path``), tested as one table in
``tests/registry/test_locations.py``:

* **Separators.** ``\\`` is read as ``/`` (``C:\\Partage\\RH`` = ``C:/Partage/RH``,
  ``\\\\srv\\partage`` = ``//srv/partage``); repeated ``/`` collapse (except the
  two of a UNC start); a leading ``./`` and trailing ``/`` are dropped, so
  ``partage/rh/`` = ``partage/rh``.
* **Globs.** ``**`` crosses folders (``a/**`` = everything below ``a``, ``**/x``
  = ``x`` at any depth, ``a/**/x`` = ``a/x``, ``a/b/x``...); ``*`` and ``?`` stay
  inside one folder name; ``[abc]``/``[!abc]`` as in fnmatch. ``partage/*/paie.xlsx``
  therefore covers ``partage/rh/paie.xlsx`` but not ``partage/rh/2024/paie.xlsx``.
* **Plain paths.** A path without wildcard is a folder or a file: it covers
  itself and everything below it (``/srv/partage/CCAS`` covers
  ``/srv/partage/CCAS/a.pdf``, not ``/srv/partage/CCAS-archives/a.pdf``).
* **Absolute vs relative.** A pattern starting with ``/``, ``//`` or a drive
  letter (``C:/``) matches absolute paths only. A relative pattern is matched
  against the path *relative to the scanned root* it was found under, or that
  same path prefixed with the root folder's own name (a register written from
  the share's parent: ``partage/enfance/**`` with root ``/srv/partage``). A
  relative pattern never matches a path found outside any known root.
* **Case.** POSIX file systems are case-sensitive (``RH`` and ``rh`` may be two
  folders), so matching is exact, except when the pattern, the path or the root
  is Windows-style (a drive letter, a UNC start or a backslash): Windows and SMB
  shares ignore case, so the comparison does too.
* **Archive members** (``a.zip!inner/b.csv``) are covered by what covers the
  archive itself.

Rules for a ``database`` location: the connection name must be equal (it is a
name from ``rgpd.toml``, exact); ``table`` (``table`` or ``schema.table``, globs
allowed, ``*`` does not cross the ``.``) is compared case-insensitively, as SQL
identifiers mostly are; no ``table`` covers the whole connection; ``columns``,
when listed, restrict a column to those names (case-insensitive); a table
(rather than one of its columns) is covered when its table matches.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: pydantic and the register's model cost 0.09 s to import
    from rgpd.registry.model import Activity, DataLocation

_GLOB_CHARS = frozenset("*?[")
_DRIVE = re.compile(r"^[A-Za-z]:(?:/|$)")
#: What separates a glob's literal parts (``**/`` may match nothing, "/" included).
_WILDCARDS = re.compile(r"\*\*/?|\*|\?|\[!?[^\]]*\]")


# ----------------------------------------------------------------------- strings


def is_glob(p: str) -> bool:
    """A pattern with a wildcard (``[2019]`` counts: write a folder so named without it)."""
    return bool(_GLOB_CHARS & set(p))


def is_windows(p: str | None) -> bool:
    """A Windows-style path: drive letter, UNC start or backslash (matched case-insensitively)."""
    if not p:
        return False
    return "\\" in p or bool(_DRIVE.match(p))


def normalise(p: str) -> str:
    """``/`` separators, no repeated ``/`` (but a UNC ``//``), no ``./`` start, no trailing ``/``."""
    p = p.replace("\\", "/")
    unc = p.startswith("//")
    p = re.sub(r"/{2,}", "/", p)
    while p.startswith("./"):
        p = p[2:]
    p = p.rstrip("/")
    if unc:
        p = "/" + p
    return p or "/"


def is_absolute(p: str) -> bool:
    p = p.replace("\\", "/")
    return p.startswith("/") or bool(_DRIVE.match(p))


@cache
def glob_regex(pattern: str, fold: bool = False, sep: str = "/") -> re.Pattern[str]:
    """``**`` crosses ``sep``, ``*`` and ``?`` stay within one name, ``[...]`` as in fnmatch."""
    not_sep = f"[^{re.escape(sep)}]"
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                i += 2
                if i < n and pattern[i] == sep:
                    out.append(f"(?:.*{re.escape(sep)})?")
                    i += 1
                else:
                    out.append(".*")
                continue
            out.append(f"{not_sep}*")
        elif c == "?":
            out.append(not_sep)
        elif c == "[":
            j = pattern.find("]", i + 2 if pattern.startswith("[!", i) else i + 1)
            if j == -1:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : j].replace("\\", "\\\\")
                # as fnmatch does: "[", "&", "~", "|" inside a set are literal (no nested
                # set or set operation in a future Python; no FutureWarning today)
                body = re.sub(r"([\[&~|])", r"\\\1", body)
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = j
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z", re.IGNORECASE if fold else 0)


def static_base(pattern: str) -> str:
    """The folder part of a pattern before its first wildcard."""
    parts = normalise(pattern).split("/")
    kept: list[str] = []
    for p in parts:
        if is_glob(p):
            break
        kept.append(p)
    return "/".join(kept) or ("/" if is_absolute(pattern) else "")


def candidates(path: str, root: str | None, absolute: bool) -> list[str]:
    """The forms of ``path`` an ``absolute`` or relative pattern is held against."""
    full = normalise(path)
    if absolute:
        return [full] if is_absolute(full) else []
    if not root:
        return []
    r = normalise(root)
    fold = is_windows(path) or is_windows(root)
    f, rr = (full.lower(), r.lower()) if fold else (full, r)
    root_name = r.rsplit("/", 1)[-1]
    if f.startswith(rr.rstrip("/") + "/"):
        rel = full[len(r.rstrip("/")) + 1 :]
        return [rel, f"{root_name}/{rel}"] if root_name else [rel]
    if f == rr:
        return [root_name] if root_name else []
    return []


def from_share(path: str, roots: Iterable[str | None]) -> str:
    """``path`` as the DPO names it: from the scanned share's own folder, not the server's.

    ``/srv/partage/RH/paie.xlsx`` scanned under ``/srv/partage`` is
    ``partage/RH/paie.xlsx``, the form a relative register pattern is matched against
    (:func:`candidates`); the deepest root wins, an archive member keeps its
    ``!inner`` part, a path under no known root is returned unchanged. Reports show
    this form (issue 12): the mount point says nothing to a reader and tells an
    outsider how the server is laid out.
    """
    container, bang, member = path.partition("!")
    best: tuple[int, str] | None = None
    for root in roots:
        if not root:
            continue
        forms = candidates(container, root, absolute=False)
        if forms and (best is None or len(root) > best[0]):
            best = (len(root), forms[-1])
    return path if best is None else best[1] + bang + member


def share_folder(path: str, root: str | None) -> str:
    """The first folder of ``path`` under its share (``partage/RH``), where findings are grouped.

    A file at the top of the share counts for the share itself; a path under no root
    for its own folder.
    """
    container = path.split("!", 1)[0]
    shown = from_share(container, [root])
    if shown == container:
        return container.rsplit("/", 1)[0] if "/" in container else container
    parts = shown.split("/")
    return "/".join(parts[:2]) if len(parts) > 2 else parts[0]


def path_covered(pattern: str, path: str, root: str | None = None) -> bool:
    """Does the files location ``pattern`` cover ``path`` (found under the scanned ``root``)?"""
    pat = normalise(pattern)
    fold = is_windows(pattern) or is_windows(path) or is_windows(root)
    container = path.split("!", 1)[0]
    for cand in candidates(container, root, is_absolute(pattern)):
        if is_glob(pat):
            if glob_regex(pat, fold).match(cand):
                return True
        else:
            p, c = (pat.lower(), cand.lower()) if fold else (pat, cand)
            if c == p or c.startswith(p.rstrip("/") + "/"):
                return True
    return False


def root_covers(pattern: str, root: str) -> bool:
    """Did scanning the folder ``root`` look at (part of) the files location ``pattern``?

    Without I/O only the pattern's fixed folder part can be compared: an absolute
    one with the root (one inside the other), a relative one with the root's own
    name; a relative pattern without folder part (``**/*.ods``) is under every root.
    """
    fold = is_windows(pattern) or is_windows(root)
    base = static_base(pattern)
    r = normalise(root)
    if fold:
        base, r = base.lower(), r.lower()
    if is_absolute(pattern):
        b, rt = base.rstrip("/"), r.rstrip("/")
        return base == r or base.startswith(rt + "/") or r.startswith(b + "/")
    root_name = r.rsplit("/", 1)[-1]
    return not base or base == root_name or base.startswith(root_name + "/")


def table_covered(declared: str | None, schema: str | None, table: str | None) -> bool:
    """A declared ``table`` / ``schema.table`` (globs allowed) against a found table."""
    if not declared:
        return True
    if table is None:
        return False
    want = declared.strip().lower()
    names = [table.lower()] + ([f"{schema}.{table}".lower()] if schema else [])
    if is_glob(want):
        rx = glob_regex(want, True, ".")
        return any(rx.match(n) for n in names)
    return want in names


def describe(loc: DataLocation) -> str:
    """A declared location as the DPO reads it: the path, or ``connection[:table]``."""
    if loc.kind == "files":
        return str(loc.path)
    return f"{loc.connection}:{loc.table}" if loc.table else f"{loc.connection}"


# ------------------------------------------------------------------------ places


@dataclass(frozen=True)
class Place:
    """Where something was found: a file (path under a scanned root) or a table/column."""

    kind: str  # "files" | "database"
    path: str | None = None
    root: str | None = None  # files: the scanned root
    connection: str | None = None  # database: the connection name from rgpd.toml
    schema: str | None = None
    table: str | None = None
    column: str | None = None

    @classmethod
    def file(cls, path: str, root: str | None = None) -> Place:
        return cls("files", path=path, root=root)

    @classmethod
    def column_of(
        cls, connection: str | None, schema: str | None, table: str | None, column: str | None
    ) -> Place:
        return cls("database", connection=connection, schema=schema, table=table, column=column)

    @classmethod
    def from_source(cls, uri: str, root: str | None, kind: str | None = None) -> Place:
        """A stored source: ``dialect://host/db#[schema.]table[.column]`` (root = connection).

        The part after ``#`` is ambiguous with dots; a ``column`` source ends with its
        column, a ``table`` source does not (:func:`rgpd.scan.database.column_uri`).
        """
        if "#" not in uri:
            return cls.file(uri, root)
        parts = uri.split("#", 1)[1].split(".")
        column = parts.pop() if kind != "table" and len(parts) > 1 else None
        schema = parts[0] if len(parts) > 1 else None
        table = ".".join(parts[1:]) if len(parts) > 1 else parts[0]
        return cls.column_of(root, schema, table, column)


def covers(loc: DataLocation, place: Place) -> bool:
    """Does the declared location ``loc`` cover ``place``? (The module's rules.)"""
    if loc.kind == "files":
        return (
            place.kind == "files"
            and place.path is not None
            and loc.path is not None
            and path_covered(loc.path, place.path, place.root)
        )
    if place.kind != "database" or place.connection != loc.connection:
        return False
    if not table_covered(loc.table, place.schema, place.table):
        return False
    if loc.columns and place.column:
        return place.column.lower() in {c.lower() for c in loc.columns}
    return True


@dataclass(frozen=True)
class LocationMatch:
    activity: Activity
    location: DataLocation


def covering(activities: Iterable[Activity], place: Place) -> list[LocationMatch]:
    """Every (activity, location) of the register covering ``place``, in register order."""
    return [
        LocationMatch(a, loc) for a in activities for loc in a.data_locations if covers(loc, place)
    ]


# ------------------------------------------------------------------------- index


class LocationIndex:
    """:func:`covering` made fast for many places: the first declared location wins.

    Same answers as :func:`covers` (tested on the same table); the usual
    ``folder/**``, ``folder/*`` and plain ``folder`` forms are looked up by folder
    (a dictionary probe per path prefix), other globs are matched one by one, so
    tens of thousands of sources against hundreds of activities stay fast.
    """

    def __init__(self, activities: Sequence[Activity]) -> None:
        self._matches: list[LocationMatch] = []
        self._db: dict[str | None, list[int]] = defaultdict(list)
        # (absolute, components) -> [(index, form, windows pattern)]; form: "tree" (a plain
        # folder or file: itself and below), "below" (folder/**), "children" (folder/*)
        self._exact: dict[tuple[bool, tuple[str, ...]], list[tuple[int, str, bool]]] = defaultdict(
            list
        )
        self._folded: dict[tuple[bool, tuple[str, ...]], list[tuple[int, str, bool]]] = defaultdict(
            list
        )
        self._lengths: set[int] = set()
        # other patterns, matched one by one: (index, absolute, literal part every match
        # contains, regex, regex ignoring case)
        self._others: list[
            tuple[int, bool, str, re.Pattern[str] | None, re.Pattern[str] | None]
        ] = []
        self._cache: dict[tuple[str, str | None, str | None], LocationMatch | None] = {}
        for a in activities:
            for loc in a.data_locations:
                idx = len(self._matches)
                self._matches.append(LocationMatch(a, loc))
                if loc.kind == "database":
                    self._db[loc.connection].append(idx)
                elif loc.path:
                    self._add_path(idx, loc.path)

    def _add_path(self, idx: int, raw: str) -> None:
        pat = normalise(raw)
        head, _sep, last = pat.rpartition("/")
        if last in ("**", "*") and head and not is_glob(head):
            comps, form = head, "below" if last == "**" else "children"
        elif not is_glob(pat) and pat != "/":
            comps, form = pat, "tree"
        else:
            if is_glob(pat):
                win = is_windows(raw)
                literal = max(_WILDCARDS.split(pat), key=len)
                self._others.append(
                    (
                        idx,
                        is_absolute(raw),
                        literal,
                        None if win else glob_regex(pat),
                        glob_regex(pat, True),
                    )
                )
            else:  # "/": every absolute path
                self._others.append((idx, True, "", None, None))
            return
        key = (is_absolute(raw), tuple(comps.split("/")))
        win = is_windows(raw)
        if not win:
            self._exact[key].append((idx, form, win))
        self._folded[(key[0], tuple(c.lower() for c in key[1]))].append((idx, form, win))
        self._lengths.add(len(key[1]))

    def _probe(self, cand: str, absolute: bool, fold_all: bool) -> int | None:
        comps = cand.split("/")
        lower = [c.lower() for c in comps]
        best: int | None = None
        for length in self._lengths:
            if length > len(comps):
                continue
            hits: list[tuple[int, str, bool]] = []
            if fold_all:
                hits += self._folded.get((absolute, tuple(lower[:length])), [])
            else:
                hits += self._exact.get((absolute, tuple(comps[:length])), [])
                hits += [
                    h
                    for h in self._folded.get((absolute, tuple(lower[:length])), [])
                    if h[2]  # a Windows-style pattern matches ignoring case
                ]
            for idx, form, _win in hits:
                if (
                    form == "tree"
                    or (form == "below" and length < len(comps))
                    or (form == "children" and length == len(comps) - 1)
                ):
                    best = idx if best is None else min(best, idx)
        return best

    def _pattern(self, idx: int) -> str:
        return self._matches[idx].location.path or ""

    def match(self, uri: str, root: str | None, kind: str | None = None) -> LocationMatch | None:
        """The first declared location covering the source ``uri`` (found under ``root``)."""
        key = (uri, root, kind)
        if key in self._cache:
            return self._cache[key]
        place = Place.from_source(uri, root, kind)
        best: int | None = None
        if place.kind == "database":
            best = next(
                (i for i in self._db.get(root, []) if covers(self._matches[i].location, place)),
                None,
            )
        else:
            path = uri.split("!", 1)[0]
            fold_all = is_windows(path) or is_windows(root)
            full = normalise(path)
            best = self._probe(full, True, fold_all) if is_absolute(full) else None
            if root:
                for cand in candidates(path, root, absolute=False):
                    hit = self._probe(cand, False, fold_all)
                    if hit is not None and (best is None or hit < best):
                        best = hit
            forms = {
                True: candidates(path, root, absolute=True),
                False: candidates(path, root, absolute=False),
            }
            lowered = {k: [c.lower() for c in v] for k, v in forms.items()}
            for idx, absolute, literal, exact, folded in self._others:
                if best is not None and idx > best:
                    break
                rx = folded if fold_all or exact is None else exact
                cands = forms[absolute]
                # a quick "cannot match": the pattern's longest literal part is missing
                if rx is folded:
                    if not any(literal.lower() in c for c in lowered[absolute]):
                        continue
                elif not any(literal in c for c in cands):
                    continue
                if (rx is None and cands) or (rx is not None and any(rx.match(c) for c in cands)):
                    best = idx
                    break
        found = self._matches[best] if best is not None else None
        self._cache[key] = found
        return found
