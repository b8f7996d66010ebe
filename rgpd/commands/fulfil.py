"""requests discover / fulfil / review (issue 6: finding a person's data, answering the request)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from rgpd import labels
from rgpd.commands._common import (
    Column,
    Ctx,
    console,
    emit_json,
    ok,
    pass_ctx,
    table,
    warn,
    wide_option,
)
from rgpd.commands.requests import requests_grp
from rgpd.errors import InvalidInput
from rgpd.i18n import _, _n
from rgpd.requests import answer, discovery, erasure, fulfil


def _show_discovery(res: discovery.DiscoveryResult) -> None:
    table(
        _("Where the data of {ref} are", ref=res.reference),
        [
            _("Activity"),
            _("Location"),
            _("Matches"),
            _("Status"),
            Column(_("Confidence"), wide=True),
            Column(_("Why"), wide=True),
            _("Ids"),
        ],
        [
            [
                g.activity or _("(no activity)"),
                g.location,
                g.matches,
                ", ".join(
                    text
                    for n, text in (
                        (g.confirmed, _n("{n} confirmed", "{n} confirmed", g.confirmed)),
                        (g.to_confirm, _n("{n} to confirm", "{n} to confirm", g.to_confirm)),
                        (g.rejected, _n("{n} rejected", "{n} rejected", g.rejected)),
                    )
                    if n
                ),
                f"{g.confidence:.2f}",
                "; ".join(g.reasons),
                " ".join(g.ids[:4]) + (" …" if len(g.ids) > 4 else ""),
            ]
            for g in res.groups()
        ],
    )
    for n in res.notes:
        warn(n)
    for e in res.errors:
        warn(_("error: {e}", e=e))
    s = res.summary()
    if s["to_confirm"]:
        warn(
            _n(
                "{n} match to confirm (a name alone): never acted on until you confirm it "
                "with --confirm ID (or --reject ID)",
                "{n} matches to confirm (a name alone): never acted on until you confirm them "
                "with --confirm ID (or --reject ID)",
                s["to_confirm"],
            )
        )


@requests_grp.command("discover")
@click.argument("ref")
@click.option(
    "--rescan", is_flag=True, help="Also re-read the declared file locations for the name."
)
@click.option("--confirm", "confirm", multiple=True, metavar="ID", help="Confirm a match (repeat).")
@click.option("--reject", "reject", multiple=True, metavar="ID", help="Reject a match (repeat).")
@click.option("--json", "as_json", is_flag=True)
@wide_option
@pass_ctx
def discover_cmd(
    c: Ctx,
    ref: str,
    rescan: bool,
    confirm: tuple[str, ...],
    reject: tuple[str, ...],
    as_json: bool,
) -> int:
    """Find the person's data: rows of the declared databases, files of the share.

    With --confirm/--reject, record your verdict on matches of the last discovery
    instead of searching again.

    \b
    Example:
      rgpd --org mairie requests discover R-2026-7KQ4-M9XA --rescan
      rgpd --org mairie requests discover R-2026-7KQ4-M9XA --confirm f3a9c01b2de
    """
    org = c.org_slug()
    if confirm or reject:
        res = discovery.decide(c.ws, org, ref, confirm=confirm, reject=reject)
    else:
        res = discovery.discover(c.ws, org, ref, rescan=rescan)
    if as_json:
        emit_json(
            {
                "reference": res.reference,
                "summary": res.summary(),
                "groups": [asdict(g) for g in res.groups()],
                "notes": res.notes,
                "errors": res.errors,
            }
        )
    else:
        _show_discovery(res)
    return 3 if res.errors else 0


def _parse_sets(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInput("--set", _("expected TABLE.COLUMN=VALUE, got {v!r}", v=item))
        out[key.strip()] = value
    return out


def _show_plan(plan: erasure.ErasurePlan) -> None:
    table(
        _("Erasure plan of {ref}", ref=plan.reference),
        [_("Location"), _("Id"), _("Action"), Column(_("Columns"), wide=True), _("Kept because")],
        [
            [
                f"{r.connection}:{r.table}",
                r.match,
                labels.erasure_action(r.action),
                ", ".join(f"{k}→{v}" for k, v in r.columns.items()),
                f"{r.refusal.article}: {r.refusal.reason}" if r.refusal else (r.note or ""),
            ]
            for r in plan.rows
        ]
        + [
            [
                f.uri,
                f.match,
                labels.file_action(f.action),
                "",
                f"{f.refusal.article}: {f.refusal.reason}" if f.refusal else (f.note or ""),
            ]
            for f in plan.files
        ],
    )
    if plan.to_confirm:
        warn(
            _n(
                "{n} match to confirm is left out",
                "{n} matches to confirm are left out",
                len(plan.to_confirm),
            )
        )
    _show_recipients(plan.recipients)


def _show_recipients(recipients: list[erasure.RecipientToInform]) -> None:
    if recipients:
        table(
            _("Recipients to inform (Art. 19)"),
            [_("Activity"), _("Recipient"), _("Kind")],
            [[r.activity, r.name, r.kind] for r in recipients],
        )


def _show_outcome(out: erasure.Outcome) -> None:
    rows: list[list[Any]] = []
    for s in out.sources:
        if not s.tables:
            rows.append([s.connection, "", s.status, "", "", s.error or ""])
        for t in s.tables:
            rows.append(
                [
                    s.connection,
                    t.table,
                    s.status,
                    f"{t.total_before} → {t.total_after}",
                    f"{t.person_before} → {t.person_after}",
                    _(
                        "{d}, {u}",
                        d=_n("{n} row deleted", "{n} rows deleted", t.deleted),
                        u=_n("{n} row updated", "{n} rows updated", t.updated),
                    ),
                ]
            )
    table(
        _("{kind} of {ref}", kind=out.kind, ref=out.reference),
        [
            _("Source"),
            _("Table"),
            _("Status"),
            Column(_("Rows"), wide=True),
            _("Person's rows"),
            _("Changes"),
        ],
        rows,
    )
    if out.files_deleted or out.files_redacted:
        ok(
            _(
                "{d}, {r}",
                d=_n("{n} file deleted", "{n} files deleted", out.files_deleted),
                r=_n("{n} file redacted", "{n} files redacted", out.files_redacted),
            )
        )
    if out.files_pending:
        warn(
            _n(
                "{n} file not changed: confirm with --files",
                "{n} files not changed: confirm with --files",
                out.files_pending,
            )
        )
    if out.manual:
        warn(
            _n(
                "{n} item to handle by hand (see the plan)",
                "{n} items to handle by hand (see the plan)",
                len(out.manual),
            )
        )
    if out.recorded:
        ok(
            _n(
                "{n} item restricted by record (no column to mark)",
                "{n} items restricted by record (no column to mark)",
                out.recorded,
            )
        )
    _show_recipients(out.recipients)
    if out.letter:
        ok(_("closing letter drafted: {p}", p=out.letter))


@requests_grp.command("fulfil")
@click.argument("ref")
@click.option("--execute", is_flag=True, help="Apply the erasure, rectification or restriction.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder for the package and letters (default: the reports directory).",
)
@click.option("--files", "do_files", is_flag=True, help="Also delete or redact the files.")
@click.option("--yes", is_flag=True, help="Do not ask before changing files.")
@click.option("--set", "sets", multiple=True, metavar="TABLE.COLUMN=VALUE", help="Rectification.")
@click.option(
    "--deliver",
    type=click.Choice(["zip", "link"]),
    default=None,
    help="Release the reviewed access package as an encrypted zip or a one-time link.",
)
@click.option("--base-url", default=None, help="Public URL of `rgpd serve` for --deliver link.")
@click.option(
    "--depth",
    type=click.Choice(["quick", "standard", "deep"]),
    default="standard",
    show_default=True,
    help="How hard to look for third parties to redact in file extracts.",
)
@click.option("--no-pdf", is_flag=True, help="HTML report only.")
@click.option("--json", "as_json", is_flag=True)
@wide_option
@pass_ctx
def fulfil_cmd(
    c: Ctx,
    ref: str,
    execute: bool,
    out_dir: str | None,
    do_files: bool,
    yes: bool,
    sets: tuple[str, ...],
    deliver: str | None,
    base_url: str | None,
    depth: str,
    no_pdf: bool,
    as_json: bool,
) -> int:
    """Answer a request from its discovery: access package, or erasure / rectification /
    restriction plan (applied with --execute).

    \b
    Example:
      rgpd --org mairie requests fulfil R-2026-7KQ4-M9XA            # build, then review
      rgpd --org mairie requests fulfil R-2026-7KQ4-M9XA --deliver zip
      rgpd --org mairie requests fulfil R-2026-ERAS-0001 --execute --files
      rgpd --org mairie requests fulfil R-2026-RECT-0001 --set familles.telephone="06 12 34 56 78" --execute
    """
    ws = c.ws

    def confirm_files(n: int) -> bool:
        return yes or click.confirm(
            _n(
                "Delete or redact {n} file of the share?",
                "Delete or redact {n} files of the share?",
                n,
            ),
            default=False,
        )

    try:
        got = answer.answer(
            ws, c.org_slug(), ref, execute=execute, files=do_files, confirm_files=confirm_files,
            corrections=_parse_sets(sets), deliver=deliver, base_url=base_url, depth=depth,
            pdf=not no_pdf, out_dir=Path(out_dir) if out_dir else None,
        )  # fmt: skip
    except erasure.ExecutionFailed as exc:
        if as_json:
            emit_json(exc.outcome.public())
        else:
            _show_outcome(exc.outcome)
            warn(str(exc))
        return 3
    if got.delivery is not None:
        return _show_delivery(got.delivery, as_json)
    if got.package is not None:
        return _show_package(got.package, ref, as_json)
    if got.outcome is None:  # a plan: nothing changed yet
        if got.plan is not None:
            if as_json:
                emit_json(
                    {
                        "summary": got.plan.summary(),
                        "recipients": [asdict(r) for r in got.plan.recipients],
                    }
                )
                return 0
            _show_plan(got.plan)
        elif got.restriction is not None:
            ok(
                _(
                    "{m} will be marked, {r} restricted by record",
                    m=_n("{n} row", "{n} rows", len(got.restriction.marked)),
                    r=_n("{n} item", "{n} items", len(got.restriction.recorded)),
                )
            )
        else:
            table(
                _("Rectification plan of {ref}", ref=got.reference),
                [_("Location"), _("Id"), _("Column")],
                [[f"{p.connection}:{p.table}", p.match, p.column] for p in got.corrections],
            )
        console.print(_("Nothing changed yet: run again with --execute."))
        return 0
    if as_json:
        emit_json(got.outcome.public())
    else:
        _show_outcome(got.outcome)
    return 0


def _show_delivery(d: fulfil.Delivery, as_json: bool) -> int:
    if as_json:
        emit_json(
            {
                "archive": str(d.archive),
                "sha256": d.sha256,
                "password": d.password,
                "link": d.link,
                "expires_at": d.expires_at,
            }
        )
        return 0
    ok(_("encrypted archive (AES-256): {p}", p=d.archive))
    if d.link:
        ok(_("one-time link (until {t}): {l}", t=d.expires_at, l=d.link))
    console.print(
        _(
            "Password, shown once — give it by another channel than the archive: {pw}",
            pw=d.password,
        ),
        markup=False,
    )
    return 0


def _show_package(res: fulfil.PackageResult, ref: str, as_json: bool) -> int:
    if as_json:
        emit_json(
            {
                "directory": str(res.directory),
                "tables": res.tables,
                "rows": res.rows,
                "files": res.extracts,
                "redactions": res.redactions,
                "excluded_to_confirm": res.excluded,
                "errors": res.errors,
            }
        )
    else:
        ok(
            _(
                "package built in {d}: {r} from {t}, {f}, {x}",
                d=res.directory,
                r=_n("{n} row", "{n} rows", res.rows),
                t=_n("{n} table", "{n} tables", res.tables),
                f=_n("{n} file extract", "{n} file extracts", res.extracts),
                x=_n("{n} redaction", "{n} redactions", res.redactions),
            )
        )
        if res.excluded:
            warn(
                _n(
                    "{n} match to confirm was left out",
                    "{n} matches to confirm were left out",
                    res.excluded,
                )
            )
        for e in res.errors:
            warn(e)
        console.print(_("Next: rgpd requests review {ref} --approve", ref=ref))
    return 3 if res.errors else 0


@requests_grp.command("review")
@click.argument("ref")
@click.option("--approve", is_flag=True, help="Record that the package was checked.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def review_cmd(c: Ctx, ref: str, approve: bool, as_json: bool) -> int:
    """Check the access package before release: contents, redactions, edits since the build.

    \b
    Example:
      rgpd --org mairie requests review R-2026-7KQ4-M9XA
      rgpd --org mairie requests review R-2026-7KQ4-M9XA --approve
    """
    rv = fulfil.review(c.ws, c.org_slug(), ref, approve=approve)
    if as_json:
        emit_json(asdict(rv))
        return 0
    s = rv.summary
    table(
        _("Access package of {ref}", ref=rv.reference),
        [_("Item"), _("Value")],
        [
            [_("State"), rv.state],
            [_("Folder"), rv.directory or ""],
            [_("Tables"), s.get("tables", 0)],
            [_("Rows"), s.get("rows", 0)],
            [_("File extracts"), s.get("files", 0)],
            [_("Redactions (values, lines)"), s.get("redactions", 0)],
            [_("Left out, to confirm"), s.get("excluded_to_confirm", 0)],
            [_("Portability (Art. 20)"), ", ".join(s.get("portability", [])) or "-"],
            [_("Reviewed by"), f"{rv.reviewed_by or ''} {rv.reviewed_at or ''}".strip()],
        ],
    )
    for p in rv.changed_files:
        warn(_("edited since the build: {p}", p=p))
    for p in rv.missing_files:
        warn(_("missing: {p}", p=p))
    if not approve and rv.state == "built":
        console.print(
            _(
                "Open the folder, check every extract, then: rgpd requests review {ref} --approve",
                ref=ref,
            )
        )
    return 0


def register(cli: click.Group) -> None:
    """The subcommands hang on the ``requests`` group (registered by rgpd.commands.requests)."""
    if cli.get_command(None, "requests") is None:  # type: ignore[arg-type]
        cli.add_command(requests_grp)
