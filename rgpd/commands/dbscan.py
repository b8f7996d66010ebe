"""Database scans, scheduled profiles and reconciliation (issue 4).

Adds ``scan db`` and ``scan run`` to the ``rgpd scan`` group, and the top-level
``reconcile`` and ``schedule`` commands.

Exit codes: ``scan db`` 0 clean / 1 findings at or above ``--fail-on`` / 3 the
database (or a table) could not be read; ``scan run`` 0 clean / 1 new findings
or contradictions with the register / 2 another run holds the profile's lock /
3 a source failed; ``reconcile`` 0 none / 1 contradictions remain.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rgpd import labels
from rgpd.commands._common import (
    Column,
    Ctx,
    console,
    emit_json,
    emit_jsonl,
    pass_ctx,
    table,
    warn,
    wide_option,
)
from rgpd.commands.scan import choice_option, depth_option, fail_on_option
from rgpd.i18n import _, format_percent

if TYPE_CHECKING:
    from rgpd.scan.database import ColumnFinding


def _split(values: tuple[str, ...]) -> list[str]:
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


@click.command("db")
@click.argument("connection")
@click.option(
    "--sample-size",
    type=click.IntRange(1, 1_000_000),
    default=1000,
    show_default=True,
    help="Rows sampled per table.",
)
@click.option(
    "--tables",
    multiple=True,
    metavar="GLOB",
    help="Only these tables (name or schema.name, globs, comma-separated or repeated).",
)
@click.option("--exclude-tables", multiple=True, metavar="GLOB", help="Skip these tables.")
@click.option("--schema", metavar="NAME", help="Only this schema (default: every user schema).")
@click.option(
    "--views",
    is_flag=True,
    help="Scan views too (always done when the role can read no table, only views).",
)
@click.option("--full", is_flag=True, help="Rescan tables whose structure and size did not change.")
@depth_option("Detector depth for sampled values.")
@choice_option(
    "--format",
    "fmt",
    choices=["table", "jsonl"],
    default="table",
    help="jsonl: one object per (column, entity type).",
)
@fail_on_option()
@wide_option
@pass_ctx
def scan_db_cmd(
    c: Ctx,
    connection: str,
    sample_size: int,
    tables: tuple[str, ...],
    exclude_tables: tuple[str, ...],
    schema: str | None,
    views: bool,
    full: bool,
    depth: str,
    fmt: str,
    fail_on: str,
) -> int:
    """Find personal data in a database named in rgpd.toml ([connections.NAME]) or
    given by its URL (postgresql://user@host/db; the password comes from
    $RGPD_DB_PASSWORD or a prompt, never from the command line).

    Samples each table read-only, judges each column from its name and the share of
    sampled values the detectors recognise, and stores the findings with the file
    findings. Unchanged tables are skipped unless --full.

    \b
    Example:
      rgpd --org mairie scan db portail_famille --exclude-tables "tmp_*" --fail-on high
      RGPD_DB_PASSWORD=... rgpd --org mairie scan db postgresql://lecteur@sig.local/sig
    """
    from rgpd.scan.database import PASSWORD_ENV, connection_for_url, is_url, scan_database

    target: Any = connection
    if is_url(connection):
        target = connection_for_url(connection)  # InvalidInput (exit 2) for a password in it
        if target.password_env is None and sys.stdin.isatty():
            from sqlalchemy.engine import make_url

            pw = click.prompt(
                _(
                    "Password for {user} (or set {var})",
                    user=make_url(connection).username or "-",
                    var=PASSWORD_ENV,
                ),
                hide_input=True,
                default="",
                show_default=False,
            )
            if pw:
                target.url = (
                    make_url(connection).set(password=pw).render_as_string(hide_password=False)
                )
    res = scan_database(
        c.ws,
        c.org_slug(),
        target,
        sample_size=sample_size,
        tables=_split(tables) or None,
        exclude_tables=_split(exclude_tables) or None,
        schema=schema,
        views=views,
        full=full,
        depth=depth,
    )
    findings = res.findings
    if fmt == "jsonl":
        for f in findings:
            emit_jsonl({**f.public(), "severity": f.severity.value})
        sys.stdout.flush()
    else:
        k = res.counts
        console.print(
            _(
                "Scan #{run} of {conn} ({uri}) {status}: {tables} tables, {scanned} sampled, "
                "{unchanged} unchanged, {rows} rows sampled; {n} column findings, {errors} errors.",
                run=res.run_id,
                conn=connection,
                uri=res.uri,
                status=labels.scan_status(res.status),
                tables=k["tables"],
                scanned=k["scanned"],
                unchanged=k["unchanged"],
                rows=k["rows_sampled"],
                n=len(findings),
                errors=k["errors"],
            ),
            markup=False,
        )
        if k.get("views_skipped"):
            console.print(
                _(
                    "{n} views not scanned (add --views to scan them).",
                    n=k["views_skipped"],
                ),
                markup=False,
            )
        if findings:
            table(
                None,
                [
                    _("Table"),
                    _("Column"),
                    _("Entity"),
                    _("Share"),
                    Column(_("Confidence"), wide=True),
                    Column(_("Basis"), wide=True),
                    Column(_("Evidence"), wide=True),
                ],
                [
                    [
                        f"{f.schema}.{f.table}" if f.schema else f.table,
                        f.column,
                        labels.entity(f.entity_type, f.special_category),
                        f"{f.ratio:.0%}",
                        f"{f.confidence:.2f}",
                        f.basis,
                        labels.password_storage(f.password_storage.storage)
                        if f.password_storage
                        else ", ".join(f.evidence),
                    ]
                    for f in findings
                ],
            )
        _print_password_storage(findings)
    if res.errors:
        table(
            _("Errors"),
            [_("Source"), _("Reason"), _("Message")],
            [[e.source, labels.error_reason(e.reason), e.message] for e in res.errors],
        )
    from rgpd.scan.findings import at_or_above
    from rgpd.scan.outcome import command_exit_code

    return command_exit_code(bool(at_or_above(findings, fail_on)), res.errors)


def _print_password_storage(findings: Sequence[ColumnFinding]) -> None:
    """One line per password column: how its sampled values are kept (Art. 32(1)(a)).

    Always shown, not only with ``--wide``: a password in clear is the first thing a DPO
    must act on. Shares only: the values were looked at for their shape and dropped.
    """
    from rgpd.scan.columns import PasswordStorage

    for f in findings:
        st = f.password_storage
        if st is None:
            continue
        share = st.shares.get(st.storage.value, 0.0)
        where = f"{f.schema}.{f.table}" if f.schema else f.table
        line = _(
            "{table}.{column}: {storage}, {share} of {sampled} sampled values.",
            table=where,
            column=f.column,
            storage=labels.password_storage(st.storage),
            share=format_percent(share),
            sampled=st.sampled,
        )
        if st.storage in (PasswordStorage.CLEAR, PasswordStorage.WEAK_HASH):
            line += " " + _(
                "Keep passwords only transformed by a slow, salted function (bcrypt, "
                "argon2, scrypt, PBKDF2): Art. 32(1)(a) GDPR, CNIL deliberation 2022-100."
            )
            console.print(line, style="bold red", markup=False)
        else:
            console.print(line, markup=False)


@click.command("run")
@click.argument("profile")
@click.option("--no-notify", is_flag=True, help="Do not send the e-mail summary.")
@choice_option(
    "--log",
    "log_fmt",
    choices=["json", "none"],
    default="json",
    help="Logs on stderr: JSON lines (no personal data), or none.",
)
@choice_option(
    "--format", "fmt", choices=["text", "json"], default="text", help="Summary on stdout."
)
@pass_ctx
def scan_run_cmd(c: Ctx, profile: str, no_notify: bool, log_fmt: str, fmt: str) -> int:
    """Run a scan profile of rgpd.toml: its folders, its databases, then reconcile.

    Safe from cron: a lock stops overlapping runs of the same profile (exit 2) and
    a stale lock is recovered. Exit 0 clean, 1 new findings or contradictions with
    the register, 3 a source failed (errors win over findings).

    \b
    Example:
      rgpd scan run nightly
    """
    from rgpd.scan.profiles import configure_json_logging, run_profile

    if log_fmt == "json":
        configure_json_logging()
    res = run_profile(c.ws, profile, notify=not no_notify)
    if fmt == "json":
        emit_json(
            {
                "profile": res.profile,
                "org": res.org,
                "run_id": res.run_id,
                "status": res.status,
                "exit_code": res.exit_code,
                "sources": [
                    {
                        "kind": s.kind,
                        "name": s.name,
                        "run_id": s.run_id,
                        "status": s.status,
                        "counts": s.counts,
                    }
                    for s in res.sources
                ],
                "new_findings": [
                    {
                        "source": f.source,
                        "entity_type": f.entity_type,
                        "special_category": f.special_category,
                        "ratio": f.ratio,
                    }
                    for f in res.new_findings
                ],
                "findings": res.findings_total,
                "contradictions": [it.public() for it in res.contradictions],
                "new_contradictions": len(res.new_contradictions),
                "errors": [
                    {"source": e.source, "reason": e.reason, "message": e.message}
                    for e in res.errors
                ],
                "notified": res.notified,
                "notify_error": res.notify_error,
            }
        )
        return res.exit_code
    console.print(
        _(
            "Profile {profile} ({org}), run #{run} {status}: {new} new findings ({total} in all), "
            "{contra} contradictions with the register ({cnew} new), {errors} errors.",
            profile=res.profile,
            org=res.org,
            run=res.run_id,
            status=labels.scan_status(res.status),
            new=len(res.new_findings),
            total=res.findings_total,
            contra=len(res.contradictions),
            cnew=len(res.new_contradictions),
            errors=len(res.errors),
        ),
        markup=False,
    )
    for s in res.sources:
        console.print(f"  {s.kind} {s.name}: {labels.scan_status(s.status)}", markup=False)
    if res.failed_sources:
        warn(
            _(
                "sources not read: {names}",
                names=", ".join(f"{s.kind} {s.name}" for s in res.failed_sources),
            )
        )
    if res.errors:
        table(
            _("Errors"),
            [_("Source"), _("Reason"), _("Message")],
            [[e.source, labels.error_reason(e.reason), e.message] for e in res.errors[:50]],
        )
    if res.notified:
        console.print(_("Summary sent to {to}", to=", ".join(res.notified)), markup=False)
    if res.notify_error:
        warn(_("summary not sent: {error}", error=res.notify_error))
    return res.exit_code


@click.command("reconcile")
@click.option(
    "--recent-days",
    type=click.IntRange(1, 3650),
    default=31,
    show_default=True,
    help="A declared location not scanned for this many days is reported.",
)
@choice_option("--format", "fmt", choices=["table", "jsonl"], default="table")
@click.option("--no-store", is_flag=True, help="Do not keep this batch for the reports.")
@choice_option("--by", "by", choices=["rule", "activity"], default="rule")
@click.option("--details", is_flag=True, help="Every result, one line each, instead of counts.")
@wide_option
@pass_ctx
def reconcile_cmd(
    c: Ctx, recent_days: int, fmt: str, no_store: bool, by: str, details: bool
) -> int:
    """Hold the findings against the register: undeclared processing, Art. 9 data where none is
    declared, NIR without décret 2019-341 authorisation, retention overruns, locations not
    scanned, categories never seen. Exit 1 when any contradiction remains.

    \b
    Example:
      rgpd --org mairie reconcile --by activity
      rgpd --org mairie reconcile --details --format jsonl
    """
    from rgpd.scan.reconcile import group_items, run_reconcile

    rep = run_reconcile(c.ws, c.org_slug(), recent_days=recent_days, store=not no_store)
    if fmt == "jsonl":
        for it in rep.items:
            emit_jsonl(it.public())
        sys.stdout.flush()
    elif rep.items and not details:
        _show_groups(group_items(rep.items, by=by, new=rep.new), by)
    elif rep.items:
        new = {it.key for it in rep.new}
        table(
            None,
            [
                _("Severity"),
                _("Rule"),
                Column(_("Article"), wide=True),
                _("Activity"),
                Column(_("Location"), wide=True),  # the message names it too
                _("Message"),
            ],
            [
                [
                    labels.severity(it.severity) + (" *" if it.key in new else ""),
                    labels.reconcile_rule(it.rule),
                    it.article,
                    it.activity_ref or "—",
                    it.location,
                    it.message,
                ]
                for it in rep.items
            ],
        )
        console.print(
            _(
                "{n} contradictions ({new} new, marked *; {resolved} resolved since the "
                "last reconciliation).",
                n=len(rep.items),
                new=len(rep.new),
                resolved=rep.resolved,
            ),
            markup=False,
        )
    else:
        console.print(_("The findings agree with the register."), markup=False)
    if rep.items and fmt != "jsonl" and not details:
        console.print(_("Every result: rgpd reconcile --details"), markup=False)
    return 1 if rep.items else 0


#: Activities (or rules) named on one summary line; the count is always complete.
_LISTED = 4


def _show_groups(groups: list[Any], by: str) -> None:
    """One line per rule (or activity) with its count: the summary cron mails and a DPO read."""

    def listed(names: tuple[str, ...]) -> str:
        more = len(names) - _LISTED
        return ", ".join(names[:_LISTED]) + (" " + _("(+{n})", n=more) if more > 0 else "")

    table(
        None,
        [
            _("Severity"),
            _("Rule") if by == "rule" else _("Activity"),
            _("Count"),
            _("New"),
            Column(_("Article"), wide=True),
            _("Activities") if by == "rule" else _("Rules"),
        ],
        [
            [
                labels.severity(g.severity),
                (labels.reconcile_rule(g.key) if by == "rule" else g.key) or "—",
                g.count,
                g.new or "",
                "; ".join(g.articles),
                listed(
                    g.others if by == "rule" else tuple(labels.reconcile_rule(o) for o in g.others)
                )
                or "—",
            ]
            for g in groups
        ],
    )


def _rgpd_bin() -> str:
    """The ``rgpd`` next to this Python (the venv's), else the one on PATH."""
    here = Path(sys.executable).parent / "rgpd"
    if here.exists():
        return str(here)
    return shutil.which("rgpd") or str(here)


@click.command("schedule")
@click.argument("profile", required=False)
@click.option("--systemd", "kind", flag_value="systemd", help="Print a systemd service and timer.")
@click.option("--cron", "kind", flag_value="cron", help="Print a crontab line.")
@click.option(
    "--dask-worker",
    "kind",
    flag_value="dask",
    help="Print systemd units for a Dask scheduler and its workers (no PROFILE).",
)
@click.option(
    "--actions-remind",
    is_flag=True,
    help="Schedule the weekly `actions remind` of --org instead of a scan profile (no PROFILE).",
)
@click.option(
    "--day",
    default="mon",
    show_default=True,
    metavar="DAY",
    help="--actions-remind: the day of the week (mon…sun).",
)
@click.option("--scheduler", metavar="ADDRESS", help="Dask: tcp://HOST:8786 (--dask-worker).")
@click.option("--share", metavar="PATH", help="Dask: the workers' read-only mount of the share.")
@click.option(
    "--nworkers",
    type=click.IntRange(1, 256),
    default=2,
    show_default=True,
    help="Dask: worker processes per VM (one per core).",
)
@click.option("--tls-ca", metavar="FILE", help="Dask TLS: CA certificate.")
@click.option("--tls-cert", metavar="FILE", help="Dask TLS: this host's certificate.")
@click.option("--tls-key", metavar="FILE", help="Dask TLS: this host's private key.")
@click.option(
    "--at",
    "at",
    default=None,
    metavar="HH:MM",
    help="Time of the run (default 02:30 for a scan, 08:00 for --actions-remind).",
)
@click.option("--user", metavar="NAME", help="System user of the service (systemd).")
@click.option(
    "--env-file",
    metavar="PATH",
    help="Environment file holding secrets (default /etc/rgpd/rgpd-scan-PROFILE.env).",
)
@pass_ctx
def schedule_cmd(
    c: Ctx,
    profile: str | None,
    kind: str | None,
    actions_remind: bool,
    day: str,
    scheduler: str | None,
    share: str | None,
    nworkers: int,
    tls_ca: str | None,
    tls_cert: str | None,
    tls_key: str | None,
    at: str | None,
    user: str | None,
    env_file: str | None,
) -> int:
    """Print a ready-to-install schedule for a scan profile (nothing is installed).

    Secrets (a password in the database URL, connection passwords) are never printed:
    they go to an environment file the unit or crontab line reads. With
    --actions-remind, the weekly reminder of the action plan's owners instead.

    \b
    Example:
      rgpd schedule nightly --systemd --at 01:15 --user rgpd
      rgpd --org mairie schedule --actions-remind --cron --day mon --at 08:00
    """
    from rgpd.errors import ConfigError
    from rgpd.scan.schedule import ScheduleSpec, render_cron, render_systemd

    if kind is None:
        raise click.UsageError(_("choose --systemd, --cron or --dask-worker"))
    if kind == "dask":
        from rgpd.scan.schedule import DaskUnitsSpec, render_dask_units

        if not scheduler:
            raise click.UsageError(_("--dask-worker needs --scheduler tcp://HOST:8786"))
        if any((tls_ca, tls_cert, tls_key)) and not all((tls_ca, tls_cert, tls_key)):
            raise click.UsageError(_("Dask TLS needs the CA, the certificate and the key"))
        dask_bin = str(Path(_rgpd_bin()).parent / "dask")
        spec_d = DaskUnitsSpec(
            scheduler=scheduler,
            dask_bin=dask_bin,
            workdir=str(c.settings.base_dir),
            user=user,
            share=share,
            nworkers=nworkers,
            tls_ca=tls_ca,
            tls_cert=tls_cert,
            tls_key=tls_key,
        )
        click.echo(render_dask_units(spec_d), nl=False)
        return 0
    if actions_remind:
        return _schedule_actions_remind(
            c, kind, day=day, at=at or "08:00", user=user, env_file=env_file
        )
    if not profile:
        raise click.UsageError(_("name the scan profile to schedule"))
    settings = c.settings
    prof = _profile_or_error(settings, profile)
    secret_env: list[str] = []
    for name in prof.connections:
        conn = settings.connections.get(name)
        if conn is None:
            raise ConfigError(_("profile {p} uses unknown connection {c}", p=profile, c=name))
        if conn.password_env:
            secret_env.append(conn.password_env)
    if settings.smtp.password_env:
        secret_env.append(settings.smtp.password_env)
    config_file = c.config or (
        str(settings.base_dir / "rgpd.toml") if (settings.base_dir / "rgpd.toml").exists() else None
    )
    spec = ScheduleSpec(
        profile=profile,
        workdir=str(settings.base_dir),
        rgpd_bin=_rgpd_bin(),
        database_url=c.db_url or os.environ.get("RGPD_DATABASE_URL") or settings.database_url,
        config_file=config_file,
        at=at or "02:30",
        user=user,
        secret_env=tuple(dict.fromkeys(secret_env)),
        env_file=env_file,
    )
    click.echo(render_systemd(spec) if kind == "systemd" else render_cron(spec), nl=False)
    return 0


def _schedule_actions_remind(
    c: Ctx, kind: str, *, day: str, at: str, user: str | None, env_file: str | None
) -> int:
    """``schedule --actions-remind``: the weekly reminder of the action plan (issue 14)."""
    from rgpd.scan.schedule import actions_remind_spec, render_cron, render_systemd

    if kind == "dask":
        raise click.UsageError(_("--actions-remind takes --systemd or --cron"))
    settings = c.settings
    config_file = c.config or (
        str(settings.base_dir / "rgpd.toml") if (settings.base_dir / "rgpd.toml").exists() else None
    )
    spec = actions_remind_spec(
        c.org_slug(),
        workdir=str(settings.base_dir),
        rgpd_bin=_rgpd_bin(),
        database_url=c.db_url or os.environ.get("RGPD_DATABASE_URL") or settings.database_url,
        config_file=config_file,
        at=at,
        weekday=day,
        user=user,
        secret_env=(settings.smtp.password_env,) if settings.smtp.password_env else (),
        env_file=env_file,
    )
    click.echo(render_systemd(spec) if kind == "systemd" else render_cron(spec), nl=False)
    return 0


def _profile_or_error(settings: Any, name: str) -> Any:
    from rgpd.errors import ConfigError

    try:
        return settings.profiles[name]
    except KeyError:
        known = ", ".join(sorted(settings.profiles)) or "-"
        raise ConfigError(
            _(
                "unknown scan profile {name!r}; define [profiles.{name}] in "
                "rgpd.toml (known: {known})",
                name=name,
                known=known,
            )
        ) from None


def register(cli: click.Group) -> None:
    from rgpd.commands.scan import scan_group

    scan_group.add_command(scan_db_cmd)
    scan_group.add_command(scan_run_cmd)
    cli.add_command(reconcile_cmd)
    cli.add_command(schedule_cmd)


__all__ = ["register"]
