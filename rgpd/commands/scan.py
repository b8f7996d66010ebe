"""scan and findings commands (issue 3: discovery on shared drives).

``scan_group`` is the ``rgpd scan`` group; other modules add their own
subcommands to it (``scan db``, ``scan run``) by importing it from here.

Exit codes of ``rgpd scan files``: 0 nothing at or above ``--fail-on``; 1
findings at or above it (this wins over 3, so a gate is never hidden by a
locked file); 2 usage or configuration error; 3 the scan completed but some
files could not be read (listed in the summary).
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import click
from click.decorators import FC

from rgpd import labels
from rgpd.commands._common import (
    Column,
    Ctx,
    console,
    emit_jsonl,
    err_console,
    pass_ctx,
    table,
    warn,
    wide_option,
)
from rgpd.i18n import _, _n
from rgpd.scan.findings import (
    FindingGroup,
    FindingRecord,
    FindingsTally,
    Severity,
    group_findings,
    iter_finding_briefs,
    iter_findings,
    list_findings,
    show_source,
    stored_uri,
)
from rgpd.scan.paths import mask_path

DEPTH_CHOICES = ["quick", "standard", "deep"]
SEVERITY_CHOICES = [s.value for s in Severity]
#: Errors listed in the summary before "and N more".
MAX_ERRORS_SHOWN = 20


def choice_option(
    *decls: str, choices: Sequence[str], default: str, help: str | None = None
) -> Callable[[FC], FC]:
    """A closed-choice option showing its default, the shape every scan option takes."""
    return click.option(
        *decls, type=click.Choice(list(choices)), default=default, show_default=True, help=help
    )


def depth_option(help: str) -> Callable[[FC], FC]:
    """``--depth``: the same detector depths for files, databases and profiles."""
    return choice_option("--depth", choices=DEPTH_CHOICES, default="standard", help=help)


def fail_on_option() -> Callable[[FC], FC]:
    """``--fail-on``: the CI gate shared by ``scan files`` and ``scan db``."""
    return choice_option(
        "--fail-on",
        choices=SEVERITY_CHOICES,
        default="none",
        help="Exit 1 when a finding has this severity or more.",
    )


@click.group("scan")
def scan_group() -> None:
    """Find personal data in file shares (and, with other subcommands, databases).

    \b
    Example:
      rgpd --org mairie scan files /mnt/partage --exclude "**/.git/**" --fail-on high
    """


# ------------------------------------------------------------------ progress


class _Bar:
    """A rich progress bar with files/s and MB/s, drawn only on a terminal."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[count]}"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        )
        self.task = self.progress.add_task(_("walking"), total=None, rate="", count="")
        self.started = time.monotonic()

    def __enter__(self) -> _Bar:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def __call__(self, p: Any) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = _(
            "{files:.1f} files/s · {mb:.1f} MB/s",
            files=p.files_done / elapsed,
            mb=p.bytes_done / elapsed / 1e6,
        )
        desc = _("walking") if p.phase == "walk" else _("scanning")
        self.progress.update(
            self.task,
            description=desc,
            total=p.files_total or None,
            completed=p.files_done,
            rate=rate,
            count=f"{p.files_done}/{p.files_total}" if p.phase != "walk" else "",
        )


# ------------------------------------------------------------------ scan files


@scan_group.command("files")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--exclude",
    multiple=True,
    metavar="GLOB",
    help="Skip paths matching GLOB (relative to each PATH; repeatable).",
)
@depth_option("quick: patterns and checksums; standard: + targeted NER; deep: NER everywhere.")
@click.option(
    "--workers", type=click.IntRange(1, 64), default=2, show_default=True, help="Worker processes."
)
@click.option("--full", is_flag=True, help="Rescan every file, even unchanged ones.")
@click.option(
    "--keep-evidence", is_flag=True, help="Also store raw samples, AES-GCM encrypted, for the DPO."
)
@click.option(
    "--follow-symlinks",
    is_flag=True,
    help="Also follow symbolic links leading outside the scanned folders (not followed by default).",
)
@choice_option(
    "--format",
    "fmt",
    choices=["table", "jsonl"],
    default="table",
    help="jsonl: one object per (file, entity type), see docs/jsonl-format.md.",
)
@fail_on_option()
@click.option(
    "--executor",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="local: a pool of --workers processes; dask: the workers of a Dask cluster.",
)
@click.option("--scheduler", metavar="ADDRESS", help="Dask scheduler (tcp://HOST:8786).")
@click.option(
    "--path-map",
    multiple=True,
    metavar="HERE=THERE",
    help="The share's path here and on the Dask workers (/mnt/partage=/srv/partage).",
)
@click.option("--tls-ca", metavar="FILE", help="Dask TLS: CA certificate.")
@click.option("--tls-cert", metavar="FILE", help="Dask TLS: this client's certificate.")
@click.option("--tls-key", metavar="FILE", help="Dask TLS: this client's private key.")
@wide_option
@pass_ctx
def scan_files_cmd(
    c: Ctx,
    paths: tuple[str, ...],
    exclude: tuple[str, ...],
    depth: str,
    workers: int,
    full: bool,
    keep_evidence: bool,
    follow_symlinks: bool,
    fmt: str,
    fail_on: str,
    executor: str,
    scheduler: str | None,
    path_map: tuple[str, ...],
    tls_ca: str | None,
    tls_cert: str | None,
    tls_key: str | None,
) -> int:
    """Scan folders and files for personal data and store the findings.

    A second run reads only files that changed; files that disappeared are
    marked gone. Exit codes: 0 clean, 1 findings at or above --fail-on,
    2 usage error, 3 some files could not be read.

    \b
    Example:
      rgpd --org mairie scan files /mnt/partage --exclude "*.tmp" --format jsonl --fail-on high
    """
    from rgpd.scan.files import scan_files

    ws = c.ws
    org = c.org_slug()
    ex = None
    if executor != "local":
        from rgpd.scan.distributed import open_executor

        # Connected before the run starts: an unreachable scheduler writes nothing (exit 2).
        ex = open_executor(
            executor,
            scheduler,
            path_map=path_map,
            tls_ca=tls_ca,
            tls_cert=tls_cert,
            tls_key=tls_key,
        )
    kwargs: dict[str, Any] = dict(
        exclude=exclude,
        depth=depth,
        workers=workers,
        full=full,
        keep_evidence=keep_evidence,
        follow_symlinks=follow_symlinks,
        executor=ex,
    )
    try:
        if sys.stdout.isatty() and err_console.is_terminal:
            with _Bar() as bar:
                res = scan_files(ws, org, paths, progress=bar, **kwargs)
        else:
            res = scan_files(ws, org, paths, **kwargs)
    finally:
        if ex is not None:
            ex.close()
    # One pass over the findings, streamed from the database: a share of millions of
    # files has millions of them, which a list would have to hold (issue 11).
    tally = FindingsTally(fail_on)
    if fmt == "jsonl":
        for f in res.iter_findings():
            emit_jsonl(f.public())
            tally.add(f)
    else:  # the summary shows no evidence: briefs, not whole records, are read
        for b in res.iter_briefs():
            tally.add(b)
    _summary(res, tally, to_stderr=fmt == "jsonl")
    if fmt != "jsonl":
        _by_entity(tally.groups.result())
    from rgpd.scan.outcome import command_exit_code

    if tally.tripped:
        (err_console if fmt == "jsonl" else console).print(
            _n(
                "{n} finding at or above {level} severity",
                "{n} findings at or above {level} severity",
                tally.tripped,
                level=labels.severity(fail_on),
            )
        )
    return command_exit_code(bool(tally.tripped), res.errors)


def _summary(res: Any, tally: FindingsTally, *, to_stderr: bool) -> None:
    out = err_console if to_stderr else console
    k = res.counts
    sources = tally.sources
    out.print(
        _(
            "Scan #{run} {status}: {files} files, {scanned} read, {unchanged} unchanged, "
            "{skipped} skipped, {gone} gone, {errors} errors; {findings} findings in {sources} "
            "sources.",
            run=res.run_id,
            status=labels.scan_status(res.status),
            files=k["files"],
            scanned=k["scanned"],
            unchanged=k["unchanged"],
            skipped=k.get("skipped", 0),
            gone=k["gone"],
            errors=k["errors"],
            findings=tally.findings,
            sources=sources,
        ),
        markup=False,
    )
    if res.interrupted_runs:
        out.print(
            _n(
                "Resumed after an interrupted run: {runs}",
                "Resumed after interrupted runs: {runs}",
                len(res.interrupted_runs),
                runs=", ".join(f"#{r}" for r in res.interrupted_runs),
            ),
            markup=False,
        )
    if res.skipped:
        by_reason: dict[str, list[Any]] = defaultdict(list)
        for e in res.skipped:
            by_reason[e.reason].append(e)
        for reason, items in sorted(by_reason.items()):
            # The first message says what to install (missing_extra) or what the format was.
            out.print(
                _(
                    "{n} not read ({reason}), e.g. {source}: {detail}",
                    n=len(items),
                    reason=labels.error_reason(reason),
                    source=mask_path(items[0].source),
                    detail=items[0].message,
                ),
                markup=False,
            )
    if res.errors:
        shown = res.errors[:MAX_ERRORS_SHOWN]
        if to_stderr:
            for e in shown:
                out.print(
                    f"  ! {mask_path(e.source)} [{labels.error_reason(e.reason)}] {e.message}",
                    markup=False,
                )
        else:
            table(
                _("Unreadable"),
                [_("Source"), _("Reason"), _("Message")],
                [[mask_path(e.source), labels.error_reason(e.reason), e.message] for e in shown],
            )
        if len(res.errors) > len(shown):
            out.print(_("…and {n} more", n=len(res.errors) - len(shown)), markup=False)


#: Folders (or entity types) named on one summary line; the counts are always complete.
_LISTED = 3


def _by_entity(groups: list[FindingGroup], by: str = "entity") -> None:
    """The findings counted by entity type (or folder): a few lines, not one per file."""
    if not groups:
        return

    def listed(names: tuple[str, ...]) -> str:
        more = len(names) - _LISTED
        shown = [mask_path(n) for n in names[:_LISTED]] if by == "entity" else names[:_LISTED]
        return ", ".join(shown) + (" " + _("(+{n})", n=more) if more > 0 else "")

    table(
        _("Findings by entity type") if by == "entity" else _("Findings by folder"),
        [
            _("Entity") if by == "entity" else _("Folder"),
            _("Severity"),
            _("Sources"),
            _("Occurrences"),
            Column(_("Folders") if by == "entity" else _("Entities"), wide=True),
        ],
        [
            [
                labels.entity(g.key, g.special) if by == "entity" else mask_path(g.key),
                labels.severity(g.severity),
                g.sources,
                g.occurrences,
                listed(g.others),
            ]
            for g in groups
        ],
    )
    console.print(_("Details: rgpd findings list --details [--entity TYPE] [--path GLOB]"))


# ------------------------------------------------------------------ findings


@click.group("findings")
def findings_group() -> None:
    """Stored findings: what was found where (masked evidence only).

    \b
    Example:
      rgpd --org mairie findings list --entity FR_NIR --path "/mnt/partage/RH/*"
    """


@findings_group.command("list")
@click.option("--entity", metavar="TYPE", help="Only this entity type (FR_NIR, EMAIL_ADDRESS...).")
@click.option("--special", is_flag=True, help="Only Art. 9 / Art. 10 special categories.")
@click.option("--path", "path_glob", metavar="GLOB", help="Glob on the source path, or a folder.")
@choice_option("--format", "fmt", choices=["table", "jsonl"], default="table")
@choice_option("--by", "by", choices=["entity", "folder"], default="entity")
@click.option("--details", is_flag=True, help="One line per (source, entity type).")
@wide_option
@pass_ctx
def findings_list(
    c: Ctx,
    entity: str | None,
    special: bool,
    path_glob: str | None,
    fmt: str,
    by: str,
    details: bool,
) -> int:
    """Current findings counted by entity type or folder; --details for one line per
    (source, entity type).

    \b
    Example:
      rgpd --org mairie findings list --by folder
      rgpd --org mairie findings list --special --details
      rgpd --org mairie findings list --special --format jsonl
    """
    # Streamed unless a line per finding is asked for: a departmental share's store
    # holds millions of findings (issue 11), which the summary only counts.
    query = (c.ws, c.org_slug(), entity.upper() if entity else None, True if special else None)
    if fmt == "jsonl":
        for f in iter_findings(*query, path_glob):
            emit_jsonl(f.public())
        return 0
    if not details:
        groups = group_findings(iter_finding_briefs(*query, path_glob), by=by)
        if not groups:
            warn(_("no findings"))
            return 0
        _by_entity(groups, by)
        return 0
    rows = list_findings(*query, path_glob)
    if not rows:
        warn(_("no findings"))
        return 0
    table(
        None,
        [
            _("Source"),
            _("Entity"),
            _("Severity"),
            _("Count"),
            Column(_("Score"), wide=True),
            Column(_("Evidence"), wide=True),
        ],
        [
            [
                mask_path(f.source),  # identifiers in file names masked; `findings show` in clear
                labels.entity(f.entity_type, f.special_category),
                labels.severity(f.severity),
                f.count,
                f"{f.score:.2f}",
                _evidence(f),
            ]
            for f in rows
        ],
    )
    return 0


@findings_group.command("show")
@click.argument("uri")
@choice_option("--format", "fmt", choices=["table", "json"], default="table")
@wide_option
@pass_ctx
def findings_show(c: Ctx, uri: str, fmt: str) -> int:
    """Show one scanned source: state, findings with locations, recent errors.

    \b
    Example:
      rgpd --org mairie findings show "/mnt/partage/RH/paie.xlsx"
    """
    from rgpd.commands._common import emit_json

    d = show_source(c.ws, c.org_slug(), stored_uri(uri))
    if fmt == "json":
        emit_json(
            {
                "source": d.uri,
                "kind": d.kind,
                "status": d.status,
                "size": d.size,
                "modified_at": d.modified_at,
                "content_hash": d.content_hash,
                "last_scanned_at": d.last_scanned_at,
                "last_run_id": d.last_run_id,
                "findings": [f.public() for f in d.findings],
                "errors": [
                    {"reason": e.reason, "message": e.message, "run_id": e.run_id, "at": e.at}
                    for e in d.errors
                ],
            }
        )
        return 0
    console.print(d.uri, style="bold")
    console.print(
        _(
            "{kind}, {status}, {size} bytes, modified {modified}, last scanned {scanned} (run #{run})",
            kind=d.kind,
            status=labels.scan_status(d.status),
            size=d.size if d.size is not None else "?",
            modified=d.modified_at or "?",
            scanned=d.last_scanned_at or "?",
            run=d.last_run_id or "?",
        ),
        markup=False,
    )
    if d.findings:
        table(
            None,
            [
                _("Entity"),
                _("Severity"),
                _("Count"),
                Column(_("Score"), wide=True),
                _("Evidence"),
                _("Where"),
            ],
            [
                [
                    labels.entity(f.entity_type),
                    labels.severity(f.severity),
                    f.count,
                    f"{f.score:.2f}",
                    _evidence(f),
                    "; ".join(_where(loc) for loc in f.locations[:5]),
                ]
                for f in d.findings
            ],
        )
    else:
        console.print(_("no findings"))
    if d.errors:
        table(
            _("Errors"),
            [_("Run"), _("Reason"), _("Message")],
            [[e.run_id, labels.error_reason(e.reason), e.message] for e in d.errors],
        )
    return 0


#: Where in a source, most telling first; keys not listed follow in name order.
WHERE_KEYS = (
    "table",
    "column",
    "part",
    "page",
    "sheet",
    "cell",
    "slide",
    "paragraph",
    "line",
    "element",
    "message",
    "path",
    "offset",
)


#: Location keys that say something else than where (shown in the evidence column).
_NOT_WHERE = frozenset({"password_storage"})


def _evidence(f: FindingRecord) -> str:
    """Masked evidence; for a password column, how its passwords are kept (Art. 32(1)(a))."""
    storage = f.password_storage
    return labels.password_storage(storage) if storage else ", ".join(f.evidence)


def _where(loc: dict[str, Any]) -> str:
    keys = [k for k in WHERE_KEYS if k in loc] + sorted(
        k for k in loc if k not in WHERE_KEYS and k not in _NOT_WHERE
    )
    return " ".join(f"{k}={loc[k]}" for k in keys)


def register(cli: click.Group) -> None:
    cli.add_command(scan_group)
    cli.add_command(findings_group)
