"""Scanning a file share: walk, skip what is unchanged, extract → detect → aggregate, store.

The flow, and why it is shaped this way:

* The **walk** runs in the parent (``os.scandir``, an explicit stack): it never
  follows a directory symlink back into one of its ancestors, and it records
  permission errors, symlink loops and names that are not valid text as scan
  errors instead of stopping.
* **Incremental**: a file whose size and mtime (nanoseconds, kept in the
  source's ``meta`` because MariaDB's FLOAT cannot hold an mtime exactly) match
  the stored state is not read at all. When only the mtime moved (a copy, a
  ``touch``) the worker hashes the file first and stops there if the content
  hash is the stored one. Sources in error are retried on every run, so an
  unreadable file stays visible until it is fixed.
* **Work units** (a file, a batch of members of a large zip, or a group of small
  files) go to the executor; the worker (:func:`run_work`, module level so it
  pickles) extracts, detects and aggregates per (source, entity type): count, best
  score, masked samples, locations and blind-index tokens. The worker computes the
  HMAC tokens itself from the index key, so **no raw value crosses back to the
  parent** — except with ``keep_evidence``, where the few raw samples come back
  to be sealed with AES-GCM before storage. Small files are grouped (GROUP_FILES)
  because per-unit costs (scheduling, pickling, a Dask task) dwarf their reading.
* **Batched transactions**: source state, findings, blind-index rows, errors and the
  run's counts and heartbeat of up to COMMIT_UNITS files commit together, each
  file's findings with its source row. A scan killed with ``kill -9`` therefore
  leaves a ``running`` run and a consistent database; the next run marks that run
  ``interrupted`` and skips what was committed as unchanged. Findings are replaced
  per source, never added to, so nothing is counted twice.
* Files that disappeared are marked ``gone`` and their findings and index rows
  deleted (the data is no longer there to report, give access to or erase).
"""

from __future__ import annotations

import errno
import fnmatch
import hashlib
import json
import operator
import os
import stat
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from sqlalchemy import CursorResult, Table, bindparam, delete, insert, select, text, update
from sqlalchemy.orm import Session

from rgpd.crypto import KeyRing
from rgpd.errors import InvalidInput, SourceError
from rgpd.i18n import _
from rgpd.scan import runs
from rgpd.scan.findings import (
    FindingBrief,
    FindingRecord,
    iter_finding_briefs,
    iter_findings,
    uri_hash,
)
from rgpd.scan.paths import is_inside, real_roots, relative_target
from rgpd.storage.db import gc_paused, utcnow
from rgpd.storage.scan_tables import (
    FindingRow,
    FindingValueRow,
    ScanErrorRow,
    ScanSourceRow,
    ScanSourceSeenRow,
    finding_evidence_context,
)
from rgpd.workspace import Workspace

if TYPE_CHECKING:
    from rgpd.scan.executor import Executor

DEPTHS = ("quick", "standard", "deep")
#: Samples of masked evidence kept per (source, entity type).
MAX_EVIDENCE = 3
#: Locations kept per (source, entity type); ``count`` still counts them all.
MAX_LOCATIONS = 20
#: A zip above this size is split into member batches (one work unit each), so a
#: big archive neither hits the per-unit timeout nor holds one worker for hours.
ARCHIVE_SPLIT_BYTES = 64 * 1024 * 1024
#: Compressed bytes / members per archive batch.
ARCHIVE_BATCH_BYTES = 32 * 1024 * 1024
ARCHIVE_BATCH_MEMBERS = 500
#: Reasons that mean "not readable by design", not "broken": a share holds
#: thousands of photos and binaries, and counting them as errors would make
#: every run exit 3. They are counted as skipped and named in the summary
#: (install the 'ocr' or 'legacy' extra, then rescan with --full).
SKIP_REASONS = frozenset({"unknown_format", "missing_extra"})
#: Extracted characters handed to the detector at once (its NER work is batched).
DETECT_BATCH_CHARS = 200_000
#: Seconds between heartbeats while walking (units heartbeat when they commit).
HEARTBEAT_EVERY = 15.0
#: Results are committed by batches: at most this many units, or this many seconds, per
#: transaction (a kill loses at most one uncommitted batch, which the next run reads again).
COMMIT_UNITS = 64
COMMIT_SECONDS = 1.0
#: The walk beats (run heartbeat, progress) every this many files, unchanged ones included.
WALK_BEAT_FILES = 1000
#: Unchanged sources stamped per transaction on a rescan (see ``_Store.mark_unchanged``).
UNCHANGED_PER_COMMIT = 18_000
#: Per-unit time limit handed to the executor.
UNIT_TIMEOUT = 300.0
#: Small files travel to the workers by groups, one work unit holding up to GROUP_FILES
#: files and GROUP_BYTES bytes: what a unit costs besides its reading (scheduling,
#: pickling, a Dask task: 1 to 60 ms) is then paid once per group, not once per file.
#: Files above GROUP_FILE_MAX run alone. A group that fails as a whole (timeout, crashed
#: worker, memory cap) is split and its files run again one by one, so one hostile file
#: costs only its own result.
GROUP_FILES = 32
GROUP_BYTES = 4 * 1024 * 1024
GROUP_FILE_MAX = 1024 * 1024


# --------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class WorkUnit:
    """One thing a worker reads: a file, or a batch of members of a large zip."""

    uid: int
    path: str
    size: int
    mtime_ns: int
    #: The stored content hash, when size matches but the mtime moved: if the
    #: file still hashes to it, the worker stops there (content unchanged).
    expected_hash: str | None = None
    #: Archive member batch: names of the members to read (None: the whole file).
    members: tuple[str, ...] | None = None
    batch: int = 0
    batches: int = 1


@dataclass(frozen=True, slots=True)
class UnitGroup:
    """Several small files read one after the other by one worker (see GROUP_FILES)."""

    units: tuple[WorkUnit, ...]


@dataclass(frozen=True)
class WorkerConfig:
    depth: str
    index_key: bytes = field(repr=False)
    keep_evidence: bool = False
    #: Remote workers (Dask): the public key of the coordinator's run key pair. The
    #: worker then gets no ``index_key``: it seals normalised values (and kept raw
    #: samples) to this key, and the coordinator computes the tokens itself.
    seal_to: bytes | None = None


@dataclass
class EntityFindings:
    """What a worker found for one (source, entity type); no raw value unless ``raw``."""

    source: str
    entity_type: str
    count: int = 0
    score: float = 0.0
    special_category: bool = False
    evidence: list[str] = field(default_factory=list)
    locations: list[dict[str, Any]] = field(default_factory=list)
    tokens: dict[str, int] = field(default_factory=dict)
    #: Raw samples, filled only with ``keep_evidence`` and sealed by the parent.
    raw: list[str] = field(default_factory=list, repr=False)


@dataclass(frozen=True)
class UnitError:
    source: str
    reason: str
    message: str


@dataclass
class UnitResult:
    unit: WorkUnit
    content_hash: str | None = None
    #: The content hash matched ``expected_hash``: nothing was extracted.
    unchanged: bool = False
    #: The unit as a whole could not be read (its error is in ``errors``).
    failed: bool = False
    findings: list[EntityFindings] = field(default_factory=list)
    errors: list[UnitError] = field(default_factory=list)
    #: Files or members not read because nothing can read them here (see SKIP_REASONS).
    skipped: list[UnitError] = field(default_factory=list)
    chars: int = 0
    #: Remote workers: the normalised values and kept raw samples of every finding,
    #: sealed to the coordinator in one payload (``tokens`` and ``raw`` stay empty
    #: until it opens them: :func:`open_sealed`).
    sealed: bytes = field(default=b"", repr=False)


@dataclass
class GroupResult:
    """The results of a :class:`UnitGroup`, one per file, in the group's order."""

    results: list[UnitResult]
    #: As ``UnitResult.sealed``, for the findings of the whole group.
    sealed: bytes = field(default=b"", repr=False)


@dataclass(frozen=True)
class ScanProgress:
    """Handed to the ``progress`` callback: the CLI draws its bar from it."""

    phase: str  # walk | scan | done
    files_total: int
    files_done: int
    bytes_total: int
    bytes_done: int
    errors: int


@dataclass
class ScanResult:
    run_id: int
    status: str
    counts: dict[str, int]
    errors: list[UnitError]
    interrupted_runs: list[int] = field(default_factory=list)
    #: Files and members not read by design (unknown format, optional extra missing).
    skipped: list[UnitError] = field(default_factory=list)
    #: Streams the findings from the database (see :meth:`iter_findings`).
    listing: Callable[[], Iterator[FindingRecord]] | None = field(
        default=None, repr=False, compare=False
    )
    _findings: list[FindingRecord] | None = field(default=None, repr=False, compare=False)
    #: Streams the findings as briefs (see :meth:`iter_briefs`).
    briefing: Callable[[], Iterator[FindingBrief]] | None = field(
        default=None, repr=False, compare=False
    )

    @property
    def findings(self) -> list[FindingRecord]:
        """Current findings of every source under the scanned paths (this run's and the
        unchanged files' from earlier runs): what ``--fail-on`` judges.

        Read from the database on first use, then kept. A share of millions of files has
        millions of findings: :meth:`iter_findings` reads them by batches instead.
        """
        if self._findings is None:
            self._findings = list(self.iter_findings())
        return self._findings

    def iter_findings(self) -> Iterator[FindingRecord]:
        """The findings one by one, sorted by source, without holding them all."""
        if self._findings is not None:
            yield from self._findings
        elif self.listing is not None:
            yield from self.listing()

    def iter_briefs(self) -> Iterator[FindingBrief]:
        """The same findings as :class:`~rgpd.scan.findings.FindingBrief`: what a summary
        counts, without the evidence and locations it does not show (faster to read)."""
        if self.briefing is not None and self._findings is None:
            yield from self.briefing()
            return
        for f in self.iter_findings():
            yield FindingBrief(
                f.source, f.root, f.entity_type, f.count, f.special_category, f.severity
            )


def _new_counts() -> dict[str, int]:
    return {
        "files": 0,  # regular files met by the walk
        "units": 0,  # work units run by the executor
        "scanned": 0,  # files (or archive batches) actually extracted
        "unchanged": 0,  # files skipped or found identical by hash
        "bytes": 0,  # bytes of the files scanned
        "chars": 0,  # characters of text extracted
        "findings": 0,  # (source, entity type) rows written
        "errors": 0,  # scan errors recorded
        "gone": 0,  # sources marked gone
        "skipped": 0,  # files or members of a format nothing here can read
    }


# --------------------------------------------------------------------- walk


class FileEntry(NamedTuple):
    """A regular file met by :func:`walk` (a tuple: a frozen dataclass's ``__init__`` was
    a tenth of the rescan of an unchanged 10,000-file tree)."""

    path: str
    size: int
    mtime_ns: int


def _printable(name: str) -> str:
    """A name with undecodable bytes shown as escapes, safe to store and print."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _decodable(name: str) -> bool:
    if name.isascii():  # most names; a surrogate escape is never ASCII
        return True
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _excluded(rel: str, is_dir: bool, patterns: Sequence[str]) -> bool:
    """``--exclude`` globs, matched on the path relative to the scanned root.

    ``*`` crosses ``/`` (so ``**/.git/**`` and ``*/.git/*`` both work, at any
    depth, top level included); a pattern without ``/`` also matches the bare
    name (``*.tmp``, ``~$*``).
    """
    if not patterns:
        return False
    name = rel.rsplit("/", 1)[-1]
    candidates = [rel, "/" + rel]
    if is_dir:
        candidates += [rel + "/", "/" + rel + "/"]
    for pat in patterns:
        if "/" not in pat and fnmatch.fnmatchcase(name, pat):
            return True
        if any(fnmatch.fnmatchcase(c, pat) for c in candidates):
            return True
    return False


def _rel(path: str, root: str) -> str:
    return os.path.relpath(path, root).replace(os.sep, "/")


def walk(
    roots: Sequence[str],
    exclude: Sequence[str] = (),
    on_error: Callable[[UnitError], None] | None = None,
    follow_symlinks: bool = False,
) -> Iterator[FileEntry]:
    """Regular files under ``roots`` (absolute paths), with walk problems reported.

    A symlink whose target lies outside every root is not followed (reported as
    ``symlink_outside`` with its target) unless ``follow_symlinks``: a link in a
    share to ``/etc`` or to a key file must not be read. Directory symlinks inside
    are followed, but one leading back to an ancestor is a loop (reported); a
    directory reached twice through different links is read once. Fifos, sockets
    and devices are skipped: reading them can block forever.
    """
    inside = real_roots(roots)

    def report(path: str, reason: str, message: str) -> None:
        if on_error is not None:
            on_error(UnitError(_printable(path), reason, message))

    visited: set[tuple[int, int]] = set()
    for root in roots:
        try:
            st = os.stat(root)
        except OSError as exc:
            report(root, _os_reason(exc), _os_message(exc))
            continue
        if stat.S_ISREG(st.st_mode):
            yield FileEntry(root, st.st_size, st.st_mtime_ns)
            continue
        if not stat.S_ISDIR(st.st_mode):
            continue
        prefix = root if root.endswith("/") else root + "/"
        top = (st.st_dev, st.st_ino)
        if top in visited:
            continue
        visited.add(top)
        stack: list[tuple[str, frozenset[tuple[int, int]]]] = [(root, frozenset({top}))]
        while stack:
            d, ancestors = stack.pop()
            try:
                it = os.scandir(d)
            except OSError as exc:
                report(d, _os_reason(exc), _os_message(exc))
                continue
            subdirs: list[tuple[str, frozenset[tuple[int, int]]]] = []
            entries: list[os.DirEntry[str]] = []
            with it:
                try:
                    entries.extend(it)
                except OSError as exc:  # a listing failing half-way (network shares):
                    report(d, _os_reason(exc), _os_message(exc))  # keep what was read
            for entry in sorted(entries, key=_NAME):
                # The common case (an ASCII name, no symlink, no --exclude, a regular
                # file) takes the fewest steps: this loop runs once per file of the
                # share, and on the rescan of an unchanged tree it is most of the
                # Python time after the stat itself (issue 11).
                path = entry.path
                if not _decodable(entry.name):  # ASCII first, inside
                    report(
                        path,
                        "undecodable_name",
                        _("file name is not valid text in the file system encoding"),
                    )
                    continue
                if not follow_symlinks and entry.is_symlink() and _leaves(path, inside, report):
                    continue
                try:
                    est = entry.stat()  # follows symlinks (the default)
                except OSError as exc:
                    if exc.errno == errno.ELOOP:
                        report(path, "symlink_loop", _("symbolic link loop"))
                    elif exc.errno == errno.ENOENT and entry.is_symlink():
                        pass  # dangling link: nothing to read
                    else:
                        report(path, _os_reason(exc), _os_message(exc))
                    continue
                mode = est.st_mode
                if mode & _IFMT == _IFREG:
                    if exclude and _excluded(_rel_in(path, prefix, root), False, exclude):
                        continue
                    yield FileEntry(path, est.st_size, est.st_mtime_ns)
                elif mode & _IFMT == _IFDIR:
                    if exclude and _excluded(_rel_in(path, prefix, root), True, exclude):
                        continue
                    key = (est.st_dev, est.st_ino)
                    if key in ancestors:
                        report(
                            path,
                            "symlink_loop",
                            _("symbolic link to one of its parent folders (loop)"),
                        )
                        continue
                    if key in visited:
                        continue
                    visited.add(key)
                    subdirs.append((path, ancestors | {key}))
            stack.extend(reversed(subdirs))


_NAME = operator.attrgetter("name")
_IFMT, _IFREG, _IFDIR = stat.S_IFMT(0o177777), stat.S_IFREG, stat.S_IFDIR


def _rel_in(path: str, prefix: str, root: str) -> str:
    """``path`` relative to its scanned root, for ``--exclude``: ``walk`` joins the root
    with names, so cutting the root off is relpath's answer for a tenth of its cost."""
    return path[len(prefix) :] if path.startswith(prefix) else _rel(path, root)


def _leaves(path: str, inside: Sequence[str], report: Callable[[str, str, str], None]) -> bool:
    """Whether the symlink ``path`` leads out of the scanned roots (then reported)."""
    target = os.path.realpath(path)
    if is_inside(target, inside):
        return False
    report(
        path,
        "symlink_outside",
        _(
            "symbolic link to {target}, outside the scanned folders: not followed "
            "(--follow-symlinks to follow it)",
            target=relative_target(target, inside),
        ),
    )
    return True


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission_denied"
    if exc.errno == errno.ELOOP:
        return "symlink_loop"
    if isinstance(exc, FileNotFoundError):
        return "not_found"
    return "io_error"


def _os_message(exc: OSError) -> str:
    return exc.strerror or exc.__class__.__name__


# --------------------------------------------------------------------- worker side

_DETECTORS: dict[str, Any] = {}


def _detector(depth: str) -> Any:
    """One detector per worker process and depth: loading models is the costly part."""
    det = _DETECTORS.get(depth)
    if det is None:
        from rgpd.scan.detect import Detector

        det = _DETECTORS[depth] = Detector(depth=depth)
    return det


def _index_ring(key: bytes) -> KeyRing:
    """A key ring holding only the index key: the worker can compute tokens, not open seals."""
    return KeyRing(keys={}, active="", index_key=key, signing_key=b"")


_O_NOATIME = getattr(os, "O_NOATIME", 0)


def _hash_file(path: str) -> str:
    """Content hash, read like the extractor reads: no atime change, never blocking on a fifo."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags | _O_NOATIME)
    except PermissionError:
        if not _O_NOATIME:
            raise
        fd = os.open(path, flags)  # O_NOATIME needs ownership of the file
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, _("not a regular file (directory, pipe or device)"))
        os.set_blocking(fd, True)
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _source_error_of(exc: OSError) -> UnitError:
    return UnitError("", _os_reason(exc), _os_message(exc))


class Aggregator:
    """Folds detections into per (source, entity type) findings, in the worker.

    Raw values stop here: they become a masked sample, a location and an HMAC
    token; only with ``keep_raw`` are the few sampled raw values kept (sealed
    later by the parent).
    """

    def __init__(self, index: KeyRing | None, keep_raw: bool = False) -> None:
        """``index`` None (remote workers): ``tokens`` hold normalised values, which
        :func:`seal_results` seals before the result leaves the worker."""
        from rgpd.masking import mask, normalise

        self._mask = mask
        self._normalise = normalise
        self.index = index
        self.keep_raw = keep_raw
        self.items: dict[tuple[str, str], EntityFindings] = {}

    def add(
        self, source: str, detections: Iterable[Any], locate: Callable[[int], dict[str, Any]]
    ) -> None:
        for d in detections:
            key = (source, d.entity_type)
            agg = self.items.get(key)
            if agg is None:
                agg = self.items[key] = EntityFindings(source, d.entity_type)
            agg.count += 1
            agg.score = max(agg.score, float(d.score))
            agg.special_category = agg.special_category or bool(d.special_category)
            if len(agg.locations) < MAX_LOCATIONS:
                loc = dict(locate(d.start))
                loc["length"] = d.end - d.start
                agg.locations.append(loc)
            if len(agg.evidence) < MAX_EVIDENCE:
                masked = self._mask(d.entity_type, d.value)
                if masked not in agg.evidence:
                    agg.evidence.append(masked)
                    if self.keep_raw:
                        agg.raw.append(d.value)
            if not d.special_category:
                # Art. 9 lexicon words ("diabète") identify nobody: no index for them.
                norm = self._normalise(d.entity_type, d.value)
                if norm:
                    # remote: the normalised value itself, sealed by seal_results()
                    tok = (
                        norm if self.index is None else self.index.blind_index(d.entity_type, norm)
                    )
                    agg.tokens[tok] = agg.tokens.get(tok, 0) + 1

    def results(self) -> list[EntityFindings]:
        return list(self.items.values())


def _findings_of(result: UnitResult | GroupResult) -> list[EntityFindings]:
    if isinstance(result, GroupResult):
        return [f for r in result.results for f in r.findings]
    return result.findings


def seal_results(result: UnitResult | GroupResult, public_key: bytes) -> None:
    """Remote worker: seal the normalised values (and kept raw samples) of every finding
    of ``result`` to the coordinator, in ONE payload per work unit.

    One seal per unit, not per finding: an X25519 exchange costs ~0.2 ms to seal and
    ~0.1 ms to open, and a file has several findings (a group, dozens).
    """
    from rgpd.crypto import seal_to

    findings = _findings_of(result)
    if not findings:
        return
    body = json.dumps([[f.tokens, f.raw] for f in findings], ensure_ascii=False)
    result.sealed = seal_to(public_key, body.encode("utf-8"))
    for f in findings:
        f.tokens, f.raw = {}, []


def open_sealed(result: UnitResult | GroupResult, box: Any, index: KeyRing) -> None:
    """Coordinator side of a remote unit: open its sealed payload, compute the tokens
    with the blind-index key that never left this process."""
    if not result.sealed:
        return
    body = json.loads(box.open(result.sealed).decode("utf-8"))
    findings = _findings_of(result)
    if len(body) != len(findings):
        raise ValueError("sealed payload does not match the unit's findings")
    for agg, (norms, raw) in zip(findings, body, strict=True):
        agg.tokens = {}
        for norm, n in norms.items():
            tok = index.blind_index(agg.entity_type, norm)
            agg.tokens[tok] = agg.tokens.get(tok, 0) + int(n)
        agg.raw = list(raw)
    result.sealed = b""


def run_unit(unit: WorkUnit, config: WorkerConfig) -> UnitResult:
    """The worker's job for one unit: hash, extract, detect, aggregate (and seal, for a
    remote worker). Module-level so the process pool can pickle it."""
    result = _read_unit(unit, config)
    if config.seal_to is not None:
        seal_results(result, config.seal_to)
    return result


def _read_unit(
    unit: WorkUnit, config: WorkerConfig, group: _GroupDetection | None = None
) -> UnitResult:
    """Hash, extract, detect, aggregate one unit. Never raises for a bad file: the
    problem comes back in ``errors`` and the scan goes on.

    ``group``: the file is one of a group's; its text is detected with the others'
    (:class:`_GroupDetection`), and its findings are filled in then."""
    from rgpd.scan.extract import ExtractLimits

    result = UnitResult(unit=unit)
    limit = ExtractLimits().max_file_size
    if unit.members is None and unit.size > limit:
        # Refused before hashing: hashing a 40 GB disk image would take the timeout.
        result.failed = True
        result.errors.append(
            UnitError(
                unit.path,
                "too_large",
                _(
                    "file too large to read: {size} bytes (limit {limit})",
                    size=unit.size,
                    limit=limit,
                ),
            )
        )
        return result
    if unit.batch == 0:
        try:
            result.content_hash = _hash_file(unit.path)
        except OSError as exc:
            err = _source_error_of(exc)
            result.failed = True
            result.errors.append(UnitError(unit.path, err.reason, err.message))
            return result
        if unit.expected_hash is not None and result.content_hash == unit.expected_hash:
            result.unchanged = True
            return result

    def on_error(source: str, err: SourceError) -> None:
        bucket = result.skipped if err.reason in SKIP_REASONS else result.errors
        bucket.append(UnitError(source, err.reason, str(err)))

    agg = Aggregator(
        None if config.seal_to is not None else _index_ring(config.index_key),
        keep_raw=config.keep_evidence,
    )
    detector = _detector(config.depth)
    batch: list[Any] = []
    size = 0

    def flush() -> None:
        nonlocal size
        if group is not None:
            group.defer(result, [(c.source or unit.path, c) for c in batch])
        else:
            found = detector.detect_many([c.text for c in batch])
            for chunk, dets in zip(batch, found, strict=True):
                agg.add(chunk.source or unit.path, dets, chunk.locate)
        batch.clear()
        size = 0

    try:
        for chunk in _extract(unit, on_error):
            result.chars += len(chunk.text)
            batch.append(chunk)
            size += len(chunk.text)
            if size >= DETECT_BATCH_CHARS or len(batch) >= 32:
                flush()
        flush()
    except SourceError as exc:
        if exc.reason in SKIP_REASONS:
            result.skipped.append(UnitError(unit.path, exc.reason, str(exc)))
        else:
            result.failed = True
            result.errors.append(UnitError(unit.path, exc.reason, str(exc)))
    except OSError as exc:
        err = _source_error_of(exc)
        result.failed = True
        result.errors.append(UnitError(unit.path, err.reason, err.message))
    except MemoryError:
        result.failed = True
        result.errors.append(UnitError(unit.path, "memory", _("out of memory while reading")))
    except Exception as exc:
        # A parser bug must not stop the scan. No message: it may quote the content.
        result.failed = True
        result.errors.append(
            UnitError(
                unit.path,
                "error",
                _("unexpected {error} while reading", error=type(exc).__name__),
            )
        )
    if group is None:
        result.findings = agg.results()
    return result


class _GroupDetection:
    """The texts of a group's files, detected together rather than file by file.

    NER has a fixed cost per call (≈ 1 ms of thinc's layers, whatever the batch): file
    by file, 300 files of real news prose took 4 ms of CPU each, 1.9 ms when detected 32
    files at a time. Each file is still read on its own (its errors are its own); only
    the detection is shared, in batches of DETECT_BATCH_CHARS, and the texts waiting for
    it never exceed twice that (a group's small files can still extract to much text).
    Should a shared batch fail, each of its files is detected again alone, so the
    failure stays with the file that caused it.
    """

    def __init__(self, config: WorkerConfig) -> None:
        self.config = config
        self.aggs: dict[int, Aggregator] = {}
        self.pending: list[tuple[UnitResult, str, Any]] = []
        self.chars = 0

    def defer(self, result: UnitResult, chunks: list[tuple[str, Any]]) -> None:
        if id(result) not in self.aggs:
            self.aggs[id(result)] = Aggregator(
                None if self.config.seal_to is not None else _index_ring(self.config.index_key),
                keep_raw=self.config.keep_evidence,
            )
        self.pending.extend((result, src, c) for src, c in chunks)
        self.chars += sum(len(c.text) for _src, c in chunks)
        if self.chars >= 2 * DETECT_BATCH_CHARS:
            self.detect()

    def detect(self) -> None:
        """Detect what is waiting, into each file's aggregator."""
        detector = _detector(self.config.depth)
        for part in _detection_batches(self.pending):
            try:
                found = detector.detect_many([c.text for _r, _src, c in part])
            except Exception:  # redo file by file, to blame the right one
                by_file: dict[int, list[tuple[UnitResult, str, Any]]] = {}
                for item in part:
                    by_file.setdefault(id(item[0]), []).append(item)
                for items in by_file.values():
                    self._alone(items, detector)
                continue
            for (r, src, c), dets in zip(part, found, strict=True):
                self.aggs[id(r)].add(src, dets, c.locate)
        self.pending, self.chars = [], 0

    def _alone(self, items: list[tuple[UnitResult, str, Any]], detector: Any) -> None:
        r = items[0][0]
        try:
            found = detector.detect_many([c.text for _r, _src, c in items])
        except MemoryError:
            r.failed = True
            r.errors.append(UnitError(r.unit.path, "memory", _("out of memory while reading")))
            return
        except Exception as exc:  # as _read_unit: no message, it may quote the content
            r.failed = True
            r.errors.append(
                UnitError(
                    r.unit.path,
                    "error",
                    _("unexpected {error} while reading", error=type(exc).__name__),
                )
            )
            return
        for (_r, src, c), dets in zip(items, found, strict=True):
            self.aggs[id(r)].add(src, dets, c.locate)

    def run(self, results: list[UnitResult]) -> None:
        """Detect the rest and fill in ``findings`` of every result (none without text)."""
        self.detect()
        for r in results:
            agg = self.aggs.get(id(r))
            r.findings = agg.results() if agg is not None else []


def _detection_batches(items: list[tuple[Any, str, Any]]) -> Iterator[list[Any]]:
    """Runs of items holding up to DETECT_BATCH_CHARS characters (and 256 texts)."""
    part: list[Any] = []
    size = 0
    for item in items:
        part.append(item)
        size += len(item[2].text)
        if size >= DETECT_BATCH_CHARS or len(part) >= 256:
            yield part
            part, size = [], 0
    if part:
        yield part


def run_work(work: WorkUnit | UnitGroup, config: WorkerConfig) -> UnitResult | GroupResult:
    """What the executor runs: one unit, or each file of a group in turn.

    ``run_unit`` never raises for a bad file, so a group fails as a whole only when
    its worker is stopped (timeout, crash, memory cap); the parent then splits it.
    """
    out: UnitResult | GroupResult
    if isinstance(work, UnitGroup):
        group = _GroupDetection(config)
        results = [_read_unit(u, config, group) for u in work.units]
        group.run(results)
        out = GroupResult(results)
    else:
        out = _read_unit(work, config)
    if config.seal_to is not None:
        seal_results(out, config.seal_to)
    return out


def group_units(
    units: Iterable[WorkUnit],
    max_files: int = GROUP_FILES,
    max_bytes: int = GROUP_BYTES,
    file_max: int = GROUP_FILE_MAX,
) -> Iterator[WorkUnit | UnitGroup]:
    """Small whole files gathered into groups (by count and bytes); others as they are.

    Archive member batches and files above ``file_max`` stay alone: they are the
    units whose time limit matters. A lone small file is not wrapped in a group.
    """
    pending: list[WorkUnit] = []
    size = 0

    def flush() -> Iterator[WorkUnit | UnitGroup]:
        nonlocal size
        if len(pending) == 1:
            yield pending[0]
        elif pending:
            yield UnitGroup(tuple(pending))
        pending.clear()
        size = 0

    for u in units:
        if u.members is not None or u.size > file_max:
            yield u
            continue
        if pending and (len(pending) >= max_files or size + u.size > max_bytes):
            yield from flush()
        pending.append(u)
        size += u.size
    yield from flush()


def _extract(unit: WorkUnit, on_error: Callable[[str, SourceError], None]) -> Iterator[Any]:
    """Chunks of one unit, from the extraction wing (``rgpd.scan.extract``)."""
    from rgpd.scan.extract import extract

    if unit.members is None:
        yield from extract(unit.path, on_error=on_error)
    else:
        yield from _extract_members(unit.path, unit.members, on_error)


def _extract_members(
    path: str, members: Sequence[str], on_error: Callable[[str, SourceError], None]
) -> Iterator[Any]:
    """Only some members of a large zip: one batch of a split archive.

    The zip-bomb checks of ``open_zip`` run on the whole central directory first;
    the member list is narrowed only afterwards.
    """
    from rgpd.scan.extract import ExtractLimits, archive
    from rgpd.scan.extract.base import Blob, Ctx
    from rgpd.scan.extract.core import extract_blob

    with open(path, "rb") as fh:
        head = fh.read(8192)

        def reopen() -> Any:
            fh.seek(0)
            return fh

        blob = Blob(
            name=path, head=head, size=os.fstat(fh.fileno()).st_size, opener=reopen, path=path
        )
        ctx = Ctx(limits=ExtractLimits(), source=path, on_error=on_error)
        zf, ctx = archive.open_zip(blob, ctx, "zip")
        with zf:
            wanted = set(members)
            zf.filelist = [i for i in zf.filelist if i.filename in wanted]
            yield from archive.iter_zip_members(zf, ctx, extract_blob)


# --------------------------------------------------------------------- parent side


@dataclass
class _Known:
    """Stored state of one source, loaded once per run."""

    id: int
    uri: str
    kind: str
    size: int | None
    mtime_ns: int | None
    content_hash: str | None
    status: str
    errors: int


@dataclass
class _ArchiveProgress:
    remaining: int
    members: set[str] = field(default_factory=set)
    errors: int = 0
    failed: bool = False
    content_hash: str | None = None


def _host() -> str:
    return runs.host_name()


def _recover_runs(s: Session, ws: Workspace, org: str, oid: int) -> list[int]:
    """Mark dead ``running`` file scans as ``interrupted`` (kill -9, power cut, OOM killer)."""
    from rgpd.scan.liveness import recover_stale_runs  # the one liveness rule (issue 16)

    return recover_stale_runs(s, ws, org, oid, "files", details=lambda run: {"counts": run.counts})


def _load_known(s: Session, oid: int, roots: Sequence[str]) -> dict[str, _Known]:
    """Stored state of the sources under ``roots``: what a rescan compares each file with.

    Core columns, not ORM ones (the ORM's row loading was half of this on a 10,000-file
    rescan), and one ``startswith`` over the roots' prefixes per row. The two keys a
    rescan needs from ``meta`` are read by the database (``json_extract``, ``->>``)
    rather than the whole document decoded in Python: 40 % of this on a 10,000-file
    rescan (issue 11).
    """
    src = _SOURCES.c
    mtime, errors = src.meta["mtime_ns"], src.meta["errors"]
    if s.get_bind().dialect.name == "postgresql":
        # PostgreSQL's CAST(... AS INTEGER) is 32 bits (nanoseconds overflow it) and
        # fails on text that is not a number: the text, converted here
        read = (mtime.as_string(), errors.as_string())
    else:  # SQLite's and MariaDB's integer casts are 64 bits and never fail
        read = (mtime.as_integer(), errors.as_integer())
    q = select(src.id, src.uri, src.kind, src.size, src.content_hash, src.status, *read).where(
        src.org_id == oid, src.kind.in_(("file", "member"))
    )
    exact = frozenset(roots)
    prefixes = tuple(r.rstrip("/") + "/" for r in roots)
    out: dict[str, _Known] = {}
    with gc_paused():
        for sid, uri, kind, size, chash, status, mtime_ns, errors in s.execute(q).all():
            # a path under a root (a member's URI starts with its archive's path), or
            # a root that is itself a file (or one of its members)
            if not uri.startswith(prefixes) and uri.split("!", 1)[0] not in exact:
                continue
            out[uri] = _Known(
                sid,
                uri,
                kind,
                size,
                mtime_ns if mtime_ns.__class__ is int else _json_int(mtime_ns),
                chash,
                status,
                errors if errors.__class__ is int else (_json_int(errors) or 0),
            )
    return out


def _json_int(value: Any) -> int | None:
    """A JSON number as the database hands it back: an ``int`` from SQLite's and MariaDB's
    integer casts, text from PostgreSQL's ``->>``. Anything else (missing key, an old
    float) is ``None``: the file is then read again rather than wrongly skipped."""
    if value is None or isinstance(value, int):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _plan_archive(entry: FileEntry, uid: int, expected: str | None) -> list[WorkUnit] | None:
    """Member batches for a large zip, or None to read it as one unit."""
    if entry.size < ARCHIVE_SPLIT_BYTES or not entry.path.lower().endswith(".zip"):
        return None
    try:
        with zipfile.ZipFile(entry.path) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None  # the worker reads it whole and reports what is wrong
    batches: list[list[str]] = [[]]
    size = 0
    for info in infos:
        if batches[-1] and (
            size + info.compress_size > ARCHIVE_BATCH_BYTES
            or len(batches[-1]) >= ARCHIVE_BATCH_MEMBERS
        ):
            batches.append([])
            size = 0
        batches[-1].append(info.filename)
        size += info.compress_size
    if len(batches) < 2:
        return None
    return [
        WorkUnit(
            uid, entry.path, entry.size, entry.mtime_ns, expected, tuple(names), i, len(batches)
        )
        for i, names in enumerate(batches)
    ]


_SOURCES = cast(Table, ScanSourceRow.__table__)
_FINDINGS = cast(Table, FindingRow.__table__)
_VALUES = cast(Table, FindingValueRow.__table__)
_SEEN = cast(Table, ScanSourceSeenRow.__table__)
_ERRORS = cast(Table, ScanErrorRow.__table__)
# Statements built once: with a commit per unit, building and coercing SQL per
# call would cost more than detecting a small file.
_FIND_SOURCE = select(_SOURCES.c.id).where(
    _SOURCES.c.org_id == bindparam("b_org"), _SOURCES.c.uri_hash == bindparam("b_hash")
)
_UPDATE_SOURCE = update(_SOURCES).where(_SOURCES.c.id == bindparam("b_id"))
_FIRST_RUNS = select(_FINDINGS.c.entity_type, _FINDINGS.c.first_run_id).where(
    _FINDINGS.c.source_id == bindparam("b_id")
)
_DELETE_FINDINGS = delete(_FINDINGS).where(_FINDINGS.c.source_id == bindparam("b_id"))
_DELETE_VALUES = delete(_VALUES).where(_VALUES.c.source_id == bindparam("b_id"))


class _Store:
    """The parent's writes: one transaction per batch of units, run counts kept current."""

    def __init__(
        self,
        ws: Workspace,
        org: str,
        oid: int,
        run_id: int,
        roots: Sequence[str],
        keep_evidence: bool,
    ) -> None:
        self.ws = ws
        self.org = org
        self.oid = oid
        self.run_id = run_id
        self.roots = roots
        self.keep_evidence = keep_evidence
        self.counts = _new_counts()
        self.errors: list[UnitError] = []
        self.skipped: list[UnitError] = []
        self.last_beat = time.monotonic()
        #: Stored member sources of each archive, to find the members it lost.
        self.members_of: dict[str, list[str]] = {}
        # Per batch (commit_units): uris known not to be stored yet, and the finding and
        # value rows waiting for the batch's single insert of each.
        self._absent: set[str] = set()
        self._pending_rows: list[dict[str, Any]] = []
        self._pending_values: list[dict[str, Any]] = []
        self._pending_ids: set[int] = set()

    def index_members(self, known: dict[str, _Known]) -> None:
        for uri, k in known.items():
            if k.kind == "member":
                self.members_of.setdefault(uri.split("!", 1)[0], []).append(uri)

    def root_of(self, path: str) -> str | None:
        for r in self.roots:
            if path == r or path.startswith(r.rstrip("/") + "/"):
                return r
        return None

    def _touch_run(self, s: Session) -> None:
        runs.heartbeat(s, self.run_id, self.counts)
        self.last_beat = time.monotonic()

    def heartbeat(self, force: bool = False) -> None:
        if force or time.monotonic() - self.last_beat > HEARTBEAT_EVERY:
            with self.ws.db.session() as s:
                self._touch_run(s)

    def _add_errors(self, s: Session, errors: Sequence[UnitError]) -> None:
        if not errors:
            return
        now = utcnow()
        s.execute(
            insert(_ERRORS),
            [
                {
                    "run_id": self.run_id,
                    "org_id": self.oid,
                    "source": e.source,
                    "reason": e.reason[:40],
                    "message": e.message[:2000],
                    "at": now,
                }
                for e in errors
            ],
        )
        self.errors.extend(errors)
        self.counts["errors"] += len(errors)

    def record_errors(self, errors: Sequence[UnitError]) -> None:
        if not errors:
            return
        with self.ws.db.session() as s:
            self._add_errors(s, errors)
            self._touch_run(s)

    def _source_id(
        self, s: Session, uri: str, kind: str, known: dict[str, _Known], values: dict[str, Any]
    ) -> tuple[int, bool]:
        """Id of the source row for ``uri`` (created if needed) and whether it existed."""
        k = known.get(uri)
        sid: int | None
        if k is not None:
            sid = k.id
        elif uri in self._absent:
            sid = None  # looked up for the whole batch in one query (_prefetch)
        else:
            sid = s.execute(_FIND_SOURCE, {"b_org": self.oid, "b_hash": uri_hash(uri)}).scalar()
        if sid is not None:
            s.execute(_UPDATE_SOURCE, {"b_id": sid, **values})
            return int(sid), True
        row = {
            "org_id": self.oid,
            "kind": kind,
            "uri": uri,
            "uri_hash": uri_hash(uri),
            "root": self.root_of(uri.split("!", 1)[0]),
            "size": None,
            "mtime": None,
            "content_hash": None,
            "fingerprint": None,
            "modified_at": None,
            "last_scanned_at": None,
            "meta": {},
            **values,
        }
        result = cast(CursorResult[Any], s.execute(insert(_SOURCES), row))
        new_id = result.inserted_primary_key
        assert new_id is not None
        sid = int(new_id[0])
        # Known from now on (settled, i.e. dropped from ``known``, once committed): a
        # second write of this source in the batch updates it instead of looking it up.
        self._absent.discard(uri)
        known[uri] = _Known(sid, uri, kind, None, None, None, str(row["status"]), 0)
        return sid, False

    def _prefetch(self, s: Session, uris: Iterable[str], known: dict[str, _Known]) -> None:
        """Ids of the batch's sources that ``known`` lacks, in one query instead of one each."""
        wanted = {uri_hash(u): u for u in uris if u not in known}
        self._absent = set(wanted.values())
        hashes = list(wanted)
        for i in range(0, len(hashes), 500):
            part = hashes[i : i + 500]
            for h in s.execute(
                select(_SOURCES.c.uri_hash).where(
                    _SOURCES.c.org_id == self.oid, _SOURCES.c.uri_hash.in_(part)
                )
            ).scalars():
                self._absent.discard(wanted[h])  # stored but not loaded: _source_id looks it up

    def _clear(self, s: Session, source_id: int) -> dict[str, int]:
        """Drop a source's findings; returns their first run per entity type (kept across rescans)."""
        if source_id in self._pending_ids:
            self._flush_rows(s)  # the same source twice in a batch: its rows must exist first
        first = {
            et: fr for et, fr in s.execute(_FIRST_RUNS, {"b_id": source_id}).all() if fr is not None
        }
        if first:
            s.execute(_DELETE_VALUES, {"b_id": source_id})
            s.execute(_DELETE_FINDINGS, {"b_id": source_id})
        return first

    def _write_findings(
        self, s: Session, source_id: int, items: Sequence[EntityFindings], first_run: dict[str, int]
    ) -> None:
        if not items:
            return
        now = utcnow()
        rows: list[dict[str, Any]] = []
        values: list[dict[str, Any]] = []
        for f in items:
            sealed = None
            if self.keep_evidence and f.raw:
                sealed = self.ws.keys.seal(
                    json.dumps(f.raw, ensure_ascii=False),
                    finding_evidence_context(source_id, f.entity_type),
                )
            rows.append(
                {
                    "source_id": source_id,
                    "org_id": self.oid,
                    "entity_type": f.entity_type,
                    "count": f.count,
                    "score": f.score,
                    "special_category": f.special_category,
                    "ratio": None,
                    "evidence": f.evidence,
                    "locations": f.locations,
                    "sealed_evidence": sealed,
                    "first_run_id": first_run.get(f.entity_type, self.run_id),
                    "last_run_id": self.run_id,
                    "created_at": now,
                }
            )
            values.extend(
                {
                    "source_id": source_id,
                    "org_id": self.oid,
                    "entity_type": f.entity_type,
                    "token": tok,
                    "count": n,
                }
                for tok, n in f.tokens.items()
            )
        # Inserted for the whole batch at once (_flush_rows), in the same transaction.
        self._pending_rows.extend(rows)
        self._pending_values.extend(values)
        self._pending_ids.add(source_id)
        self.counts["findings"] += len(rows)

    def _flush_rows(self, s: Session) -> None:
        if self._pending_rows:
            s.execute(insert(_FINDINGS), self._pending_rows)
        if self._pending_values:
            s.execute(insert(_VALUES), self._pending_values)
        self._pending_rows, self._pending_values = [], []
        self._pending_ids = set()

    def commit_unit(
        self, res: UnitResult, known: dict[str, _Known], archive: _ArchiveProgress | None
    ) -> None:
        """Everything one unit produced, in one transaction."""
        self.commit_units([(res, archive)], known)

    def commit_units(
        self,
        batch: Sequence[tuple[UnitResult, _ArchiveProgress | None]],
        known: dict[str, _Known],
    ) -> None:
        """Everything a batch of units produced, in ONE transaction.

        Why it stays safe under kill -9: a unit's findings and its source row (size,
        mtime, hash: what makes the next run skip it) are written together; a batch
        is committed whole or not at all, so a killed run leaves each unit either
        recorded or to be read again, never half recorded, never counted twice.
        Batching only spares the per-unit commit (~9 ms on SQLite) that capped the
        parent at ~115 files/s (docs/performance-notes).
        """
        if not batch:
            return
        settled: list[str] = []
        with self.ws.db.session() as s:
            self._prefetch(
                s, {u for res, _a in batch for u in (res.unit.path, *_sources(res))}, known
            )
            try:
                for res, archive in batch:
                    settled += self._apply_unit(s, res, known, archive)
                self._flush_rows(s)
            finally:
                self._pending_rows, self._pending_values, self._pending_ids = [], [], set()
                self._absent = set()
            self._touch_run(s)
        for uri in settled:  # only once the transaction is committed
            known.pop(uri, None)

    def _apply_unit(
        self,
        s: Session,
        res: UnitResult,
        known: dict[str, _Known],
        archive: _ArchiveProgress | None,
    ) -> list[str]:
        unit = res.unit
        now = utcnow()
        by_source: dict[str, list[EntityFindings]] = {}
        for f in res.findings:
            by_source.setdefault(f.source, []).append(f)
        whole_errors = [e for e in res.errors if e.source == unit.path]
        self.skipped.extend(res.skipped)
        self.counts["skipped"] += len(res.skipped)
        if archive is not None:
            archive.remaining -= 1
            archive.members.update(u for u in by_source if u != unit.path)
            archive.errors += len(res.errors)
            archive.failed = archive.failed or res.failed
            if res.content_hash:
                archive.content_hash = res.content_hash
        file_done = archive is None or archive.remaining == 0
        self.counts["units"] += 1
        whole_skipped = any(e.source == unit.path for e in res.skipped)
        if res.unchanged:
            self.counts["unchanged"] += 1
        elif whole_skipped:
            pass  # counted in "skipped"
        elif not res.failed or archive is not None:
            self.counts["scanned"] += 1
            self.counts["bytes"] += unit.size // unit.batches
            self.counts["chars"] += res.chars
        settled: list[str] = []
        self._add_errors(s, res.errors)
        file_values = (
            self._file_values(res, known, archive, whole_errors, now) if file_done else None
        )
        # Sources this unit rewrites: the file itself (whole-file units) and
        # every member it reported. A failed whole-file unit keeps its old
        # findings: the file may just be locked, and under-reporting is worse.
        if not res.unchanged and not (res.failed and archive is None):
            targets = dict(by_source)
            if archive is None:
                targets.setdefault(unit.path, [])
            for uri, items in targets.items():
                is_file = uri == unit.path
                values: dict[str, Any] = {
                    "status": "present",
                    "last_run_id": self.run_id,
                    "last_scanned_at": now,
                }
                if not is_file:
                    values["meta"] = {"container": unit.path}
                elif file_values is not None:
                    values.update(file_values)  # one write of the file's row, not two
                    file_values = None
                sid, existed = self._source_id(
                    s, uri, "file" if is_file else "member", known, values
                )
                first = self._clear(s, sid) if existed else {}
                self._write_findings(s, sid, items, first)
                settled.append(uri)
            if file_done:
                # Members the container no longer holds (or that no longer hold data).
                seen = archive.members if archive is not None else set(by_source)
                for uri in self.members_of.get(unit.path, ()):
                    old = known.get(uri)
                    if old is not None and uri not in seen and old.status != "gone":
                        self._gone(s, old.id)
                        settled.append(uri)
        if file_values is not None:
            self._source_id(s, unit.path, "file", known, file_values)
        if file_done:
            settled.append(unit.path)
        return settled

    def _file_values(
        self,
        res: UnitResult,
        known: dict[str, _Known],
        archive: _ArchiveProgress | None,
        whole_errors: Sequence[UnitError],
        now: datetime,
    ) -> dict[str, Any]:
        """The file's source row once all of it is read: what makes the next run skip it."""
        unit = res.unit
        failed = res.failed if archive is None else archive.failed
        chash = res.content_hash if archive is None else archive.content_hash
        k = known.get(unit.path)
        meta: dict[str, Any] = {
            "mtime_ns": unit.mtime_ns,
            "errors": len(res.errors) if archive is None else archive.errors,
        }
        if failed and whole_errors:
            meta["error"] = whole_errors[-1].reason
        skipped = [e.reason for e in res.skipped if e.source == unit.path]
        if skipped:
            meta["skipped"] = skipped[0]
        values: dict[str, Any] = {
            "size": unit.size,
            "mtime": unit.mtime_ns / 1e9,
            "modified_at": datetime.fromtimestamp(unit.mtime_ns / 1e9, UTC).replace(
                tzinfo=None, microsecond=0
            ),
            "content_hash": chash or (k.content_hash if k is not None else None),
            "status": "error" if failed else "present",
            "last_run_id": self.run_id,
            "meta": meta,
        }
        if not res.unchanged:
            values["last_scanned_at"] = now
        return values

    def _gone(self, s: Session, source_id: int) -> None:
        s.execute(_DELETE_VALUES, {"b_id": source_id})
        s.execute(_DELETE_FINDINGS, {"b_id": source_id})
        s.execute(_UPDATE_SOURCE, {"b_id": source_id, "status": "gone", "last_run_id": self.run_id})
        self.counts["gone"] += 1

    def mark_unchanged(self, ids: Sequence[int]) -> None:
        """Unchanged sources were seen by this run: stamp them in a few bulk statements.

        The stamp goes to the narrow ``scan_source_seen`` (see ``ScanSourceSeenRow``):
        an update of the sources' existing stamps, then an insert of the ones met
        unchanged for the first time (only when the update missed some). Statements of
        900 ids, one transaction per :data:`UNCHANGED_PER_COMMIT` ids: a commit per
        statement was a sixth of the rescan of an unchanged 10,000-file tree, and a
        bounded transaction keeps the write lock short for the intake server sharing a
        SQLite file. The ids are written into the statement as numbers (they are the
        database's own integer keys, passed through ``int``): as 900 bound values,
        SQLAlchemy's handling of the expanding ``IN`` cost as much as the update itself.
        """
        seen, sources = _SEEN.name, _SOURCES.name
        for lo in range(0, len(ids), UNCHANGED_PER_COMMIT):
            with self.ws.db.session() as s:
                for i in range(lo, min(len(ids), lo + UNCHANGED_PER_COMMIT), 900):
                    batch = ids[i : min(i + 900, lo + UNCHANGED_PER_COMMIT)]
                    listed = ",".join(str(int(sid)) for sid in batch)
                    done = s.execute(
                        text(f"UPDATE {seen} SET run_id = :run WHERE source_id IN ({listed})"),
                        {"run": self.run_id},
                    )
                    if cast(CursorResult[Any], done).rowcount != len(batch):
                        s.execute(
                            text(
                                f"INSERT INTO {seen} (source_id, run_id) "
                                f"SELECT id, :run FROM {sources} WHERE id IN ({listed}) "
                                f"AND NOT EXISTS (SELECT 1 FROM {seen} "
                                f"WHERE {seen}.source_id = {sources}.id)"
                            ),
                            {"run": self.run_id},
                        )
                self._touch_run(s)

    def mark_gone(self, leftovers: Iterable[_Known]) -> None:
        """Sources not met by this run that no longer exist on disk."""
        batch: list[int] = []
        for k in leftovers:
            if k.status == "gone":
                continue
            if os.path.lexists(k.uri.split("!", 1)[0]):
                # A file excluded now or under a folder we could not list, or a
                # member of an archive left unchanged: not gone.
                continue
            batch.append(k.id)
        for i in range(0, len(batch), 500):
            with self.ws.db.session() as s:
                for sid in batch[i : i + 500]:
                    self._gone(s, sid)
                self._touch_run(s)


def _sources(res: UnitResult) -> set[str]:
    return {f.source for f in res.findings}


def _validate(paths: Sequence[str | os.PathLike[str]], depth: str, workers: int) -> list[str]:
    if depth not in DEPTHS:
        raise InvalidInput("depth", _("must be one of {choices}", choices=", ".join(DEPTHS)))
    if workers < 1:
        raise InvalidInput("workers", _("must be at least 1"))
    if not paths:
        raise InvalidInput("paths", _("give at least one folder or file to scan"))
    roots: list[str] = []
    for p in paths:
        ap = os.path.abspath(os.fspath(p))
        if not os.path.exists(ap):
            raise InvalidInput(str(p), _("no such file or folder"))
        if ap not in roots:
            roots.append(ap)
    return roots


def scan_files(
    ws: Workspace,
    org: str,
    paths: Sequence[str | os.PathLike[str]],
    *,
    exclude: Sequence[str] = (),
    depth: str = "standard",
    workers: int = 2,
    full: bool = False,
    keep_evidence: bool = False,
    progress: Callable[[ScanProgress], None] | None = None,
    executor: Executor | None = None,
    follow_symlinks: bool = False,
) -> ScanResult:
    """Scan files and folders for personal data; see the module docstring for the flow.

    ``executor`` replaces the local process pool (tests pass an inline one; a
    later issue a distributed one): any :class:`rgpd.scan.executor.Executor`.
    The caller owns it; without one, a ``LocalPoolExecutor`` of ``workers``
    processes is started and closed here. ``progress`` is called from this
    thread after the walk and after each unit.
    """
    roots = _validate(paths, depth, workers)
    oid = ws.org_id(org)
    settings = {
        "paths": roots,
        "exclude": list(exclude),
        "depth": depth,
        "workers": workers,
        "full": full,
        "keep_evidence": keep_evidence,
        "follow_symlinks": follow_symlinks,
        **runs.owner(),
    }
    with ws.db.session() as s:
        interrupted = _recover_runs(s, ws, org, oid)
        run_id = runs.start_run(
            s,
            ws,
            org,
            oid,
            "files",
            settings=settings,
            counts=_new_counts(),
            details={
                "depth": depth,
                "paths": len(roots),
                "full": full,
                "keep_evidence": keep_evidence,
                "resumes": interrupted,
            },
        ).id
        known = _load_known(s, oid, roots)
    store = _Store(ws, org, oid, run_id, roots, keep_evidence)
    store.index_members(known)
    status = "failed"
    try:
        _run(
            ws,
            store,
            known,
            roots,
            exclude,
            depth,
            workers,
            full,
            keep_evidence,
            progress,
            executor,
            follow_symlinks,
        )
        status = "completed"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        with ws.db.session() as s:
            row = runs.finish_run(s, ws, org, run_id, status, store.counts)
            assert row is not None
    return ScanResult(
        run_id,
        status,
        dict(store.counts),
        list(store.errors),
        interrupted,
        list(store.skipped),
        listing=partial(iter_findings, ws, org, roots=roots),
        briefing=partial(iter_finding_briefs, ws, org, roots=roots),
    )


def _run(
    ws: Workspace,
    store: _Store,
    known: dict[str, _Known],
    roots: Sequence[str],
    exclude: Sequence[str],
    depth: str,
    workers: int,
    full: bool,
    keep_evidence: bool,
    progress: Callable[[ScanProgress], None] | None,
    executor: Executor | None,
    follow_symlinks: bool = False,
) -> None:
    walk_errors: list[UnitError] = []
    units: list[WorkUnit] = []
    unchanged: list[int] = []
    bytes_total = 0
    uid = 0

    def tell(phase: str, done: int, bytes_done: int) -> None:
        if progress is not None:
            progress(
                ScanProgress(
                    phase,
                    len(units),
                    done,
                    bytes_total,
                    bytes_done,
                    len(walk_errors) + store.counts["errors"],
                )
            )

    counts = store.counts
    files = 0
    for entry in walk(roots, exclude, walk_errors.append, follow_symlinks):
        files += 1
        if files % WALK_BEAT_FILES == 0:
            # Every 1,000 files, changed or not: the walk of a large unchanged share
            # on a slow mount can outlast RUN_STALE_AFTER, and a run silent that long
            # is taken for dead by the next scan (rgpd.scan.liveness).
            counts["files"], counts["unchanged"] = files, len(unchanged)
            store.heartbeat()
            tell("walk", 0, 0)
        path, size, mtime_ns = entry
        k = known.get(path)
        expected: str | None = None
        if k is not None and not full and k.status != "error" and not k.errors:
            if k.size == size and k.mtime_ns == mtime_ns:
                unchanged.append(k.id)
                del known[path]
                continue
            if k.size == size and k.content_hash:
                expected = k.content_hash
        planned = (None if expected else _plan_archive(entry, uid, None)) or [
            WorkUnit(uid, path, size, mtime_ns, expected)
        ]
        units.extend(planned)
        uid += 1
        bytes_total += size
    counts["files"], counts["unchanged"] = files, len(unchanged)  # nothing else counts yet
    store.record_errors(walk_errors)
    store.mark_unchanged(unchanged)
    tell("scan", 0, 0)

    archives: dict[int, _ArchiveProgress] = {}
    for u in units:
        if u.batches > 1 and u.uid not in archives:
            archives[u.uid] = _ArchiveProgress(remaining=u.batches)
    config = WorkerConfig(depth=depth, index_key=ws.keys.index_key, keep_evidence=keep_evidence)
    done = 0
    bytes_done = 0
    if units:
        ex = (
            executor
            if executor is not None
            else _default_executor(workers, depth, {os.path.splitext(u.path)[1] for u in units})
        )
        # A remote executor swaps the blind-index key for a sealing key (see WorkerConfig)
        # and hands back sealed payloads that are opened here, on the coordinator.
        remote = getattr(ex, "remote_config", None)
        box = None
        if remote is not None:
            config, box = remote(config)
        batch: list[tuple[UnitResult, _ArchiveProgress | None]] = []
        flushed = time.monotonic()
        #: Files of groups that failed as a whole, run again one by one at the end.
        split: list[WorkUnit] = []

        def results_of(work: WorkUnit | UnitGroup, outcome: Any) -> list[UnitResult]:
            if box is not None and isinstance(outcome, UnitResult | GroupResult):
                open_sealed(outcome, box, ws.keys)
            if isinstance(work, UnitGroup):
                if isinstance(outcome, GroupResult):
                    return outcome.results
                split.extend(work.units)  # one hostile file must not fail its neighbours
                return []
            return [outcome if isinstance(outcome, UnitResult) else _failure(work, outcome)]

        def consume(works: Iterable[WorkUnit | UnitGroup]) -> None:
            nonlocal batch, flushed, done, bytes_done
            for work, outcome in ex.map_units(partial(run_work, config=config), works):
                for res in results_of(work, outcome):
                    unit = res.unit
                    batch.append((res, archives.get(unit.uid)))
                    done += 1
                    bytes_done += unit.size // unit.batches
                if len(batch) >= COMMIT_UNITS or time.monotonic() - flushed >= COMMIT_SECONDS:
                    store.commit_units(batch, known)
                    batch, flushed = [], time.monotonic()
                tell("scan", done, bytes_done)

        try:
            consume(group_units(units))
            if split:
                consume(list(split))
            store.commit_units(batch, known)
            batch = []
        except BaseException:
            if executor is None and hasattr(ex, "stop"):
                ex.stop()  # kill workers now rather than wait for their units
            raise
        if executor is None:
            ex.close()
    # Files met by this walk are settled; what is left was not met.
    for u in units:
        known.pop(u.path, None)
    store.mark_gone(known.values())
    tell("done", done, bytes_done)


def _failure(unit: WorkUnit, exc: BaseException) -> UnitResult:
    """An executor-level failure (timeout, memory cap, crashed worker) as a unit result."""
    reason = getattr(exc, "reason", None) or "error"
    message = (
        str(exc)
        if isinstance(exc, SourceError)
        else _("worker failed: {error}", error=type(exc).__name__)
    )
    return UnitResult(unit=unit, failed=True, errors=[UnitError(unit.path, reason, message)])


def _default_executor(
    workers: int, depth: str = "quick", suffixes: Iterable[str] | None = None
) -> Any:
    """The local pool; at standard and deep depth the model is loaded here first.

    ``suffixes``: those of the files to read, so that only their readers are imported
    before the fork (a share without Outlook files does not pay extract_msg's 0.16 s).

    Loading spaCy's French model costs ~5 s of CPU (most of it compiling the French
    tokenizer's exception regexes). Loaded once in this process before the pool forks,
    every worker (and every worker recycled after ``max_tasks``) shares it,
    copy-on-write, instead of each loading its own copy.
    """
    import multiprocessing

    from rgpd.scan.executor import LocalPoolExecutor

    if depth != "quick" and multiprocessing.get_start_method() == "fork":
        import gc

        # The warm-up builds only objects that live as long as the process (the model,
        # the recognizers' tables, the readers' modules): the cycle collector, paused
        # meanwhile, would find no garbage in them (0.05-0.1 s of start-up). Restored
        # (as it was, also on errors) before the pool forks: workers collect as usual.
        with gc_paused():
            _warm(depth, suffixes)
            # Objects loaded so far live as long as the process: out of the collector's
            # sight, a worker's collections no longer touch (and so copy) the shared pages.
            gc.freeze()
    return LocalPoolExecutor(workers=workers, timeout=UNIT_TIMEOUT)


def _warm(depth: str, suffixes: Iterable[str] | None = None) -> None:
    """Load what a worker needs at ``depth`` (the detector and its spaCy model), and the
    readers of files with these ``suffixes`` (None: every reader)."""
    from rgpd.cache import compiled_patterns

    # Every pattern compiled here is the code's own (the text below is invented).
    with compiled_patterns("warm"):
        from rgpd.scan.detect.engine import load_spacy, model_for
        from rgpd.scan.extract import preload

        det = _detector(depth)
        load_spacy(model_for(det.languages[0]))
        # deep: builds the Presidio analyser too. The text's values (invented) take the
        # recognizers' lazy paths (phone metadata, CLDR dates), which each worker would
        # otherwise load again on its first files.
        det.detect(_WARM_TEXT)
        preload(suffixes)


_WARM_TEXT = (
    "Courrier du 4 mai 2021 à Mme Lucie Ravenel, née le 02/11/1957 à Pau, "
    "tél. 05 59 00 00 00 ou +33 6 00 00 00 00, lucie.ravenel@example.org."
)
