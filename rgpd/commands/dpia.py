"""dpia commands: DPIAs (Art. 35) that travel to and from the CNIL's PIA tool."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import yaml

from rgpd.commands._common import Ctx, console, emit_json, ok, pass_ctx, table, warn
from rgpd.errors import InvalidInput
from rgpd.i18n import _
from rgpd.registry.dpia import service
from rgpd.registry.dpia.model import (
    RISK_KINDS,
    RISK_TITLES,
    level_label,
    status_label,
)


def _read(path: str, kind: str) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(path, exc.strerror or str(exc)) from exc
    try:
        return json.loads(text) if kind == "json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{path}:{exc.lineno}:{exc.colno}", _("invalid JSON: {problem}", problem=exc.msg)
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else path
        raise InvalidInput(
            where, _("invalid YAML: {problem}", problem=getattr(exc, "problem", exc))
        ) from exc


@click.group("dpia", short_help="Data protection impact assessments, Art. 35 GDPR.")
def dpia_grp() -> None:
    """Data protection impact assessments (Art. 35 GDPR), CNIL PIA method.

    \b
    Example:
      rgpd --org mairie dpia start videoprotection
    """


@dpia_grp.command("start")
@click.argument("activity")
@click.option("--ref", help="Reference of the DPIA (default: the activity's).")
@pass_ctx
def dpia_start(c: Ctx, activity: str, ref: str | None) -> int:
    """Open a DPIA for an activity, pre-filled from the register and the scans.

    \b
    Example:
      rgpd --org mairie dpia start videoprotection
    """
    rec = service.start(c.ws, c.org_slug(), activity, ref=ref)
    ok(
        _(
            "DPIA {ref} started from activity {activity} (version 1)",
            ref=rec.dpia.ref,
            activity=activity,
        )
    )
    console.print(
        _(
            "Next: `rgpd dpia fill {ref}` for risks and opinions, `rgpd dpia render {ref}`.",
            ref=rec.dpia.ref,
        )
    )
    return 0


def _level(prompt: str, current: int | None) -> int | None:
    value = click.prompt(
        prompt,
        type=click.IntRange(0, 4),
        default=int(current or 0),
        show_default=True,
    )
    return int(value) or None


def _prompt_changes(current: Any) -> dict[str, Any]:
    """Ask for what the register cannot say: risk levels, opinions, the decision."""
    changes: dict[str, Any] = {"risks": {}, "validation": {}}
    console.print(_("Levels: 1 negligible, 2 limited, 3 significant, 4 maximum (0: not assessed)."))
    for kind in RISK_KINDS:
        r = current.risk(kind)
        console.print(f"— {_(RISK_TITLES[kind])}")
        changes["risks"][kind] = {
            "severity": _level(_("Severity before the planned measures"), r.severity),
            "likelihood": _level(_("Likelihood before the planned measures"), r.likelihood),
            "residual_severity": _level(
                _("Severity after the planned measures"), r.residual_severity
            ),
            "residual_likelihood": _level(
                _("Likelihood after the planned measures"), r.residual_likelihood
            ),
        }
    v = current.validation
    val = changes["validation"]
    val["dpo_opinion"] = (
        click.prompt(_("DPO's opinion (Art. 35(2))"), default=v.dpo_opinion or "") or None
    )
    val["dpo_status"] = int(
        click.confirm(
            _("Does the DPO find the processing may go ahead?"), default=v.dpo_status != 0
        )
    )
    searched = click.confirm(
        _("Was the data subjects' opinion sought (Art. 35(9))?"), default=bool(v.people_searched)
    )
    val["people_searched"] = searched
    if searched:
        val["people_opinion"] = (
            click.prompt(_("Their opinion"), default=v.people_opinion or "") or None
        )
    else:
        val["people_not_sought_reason"] = (
            click.prompt(_("Why it was not sought"), default=v.people_not_sought_reason or "")
            or None
        )
    val["decision"] = click.prompt(
        _("Controller's decision: 0 in progress, 1 refused, 2 validated, 3 validated and signed"),
        type=click.IntRange(0, 4),
        default=int(v.decision),
    )
    return changes


@dpia_grp.command("fill")
@click.argument("ref")
@click.option(
    "--from", "file", type=click.Path(dir_okay=False), help="YAML file with the parts to set."
)
@pass_ctx
def dpia_fill(c: Ctx, ref: str, file: str | None) -> int:
    """Fill a DPIA from a YAML file (any part of it), or answer the prompts.

    \b
    Examples:
      rgpd --org mairie dpia fill videoprotection --from risques.yaml
      rgpd --org mairie dpia fill videoprotection      # prompts: risk levels, opinions
    """
    org = c.org_slug()
    changes = _read(file, "yaml") if file else _prompt_changes(service.get(c.ws, org, ref).dpia)
    kind, rec = service.fill(c.ws, org, ref, changes, source=file or ref)
    ok(_("DPIA {ref}: {kind} (version {v})", ref=ref, kind=kind, v=rec.version))
    return 0


@dpia_grp.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def dpia_list(c: Ctx, as_json: bool) -> int:
    """List the DPIAs, with the Art. 35(11) review flag.

    \b
    Example:
      rgpd --org mairie dpia list
    """
    recs = service.list_dpias(c.ws, c.org_slug())
    if as_json:
        emit_json(
            [
                {
                    "ref": r.dpia.ref,
                    "name": r.dpia.name,
                    "activity": r.dpia.activity_ref,
                    "status": int(r.dpia.validation.decision),
                    "assessed_on": r.dpia.assessed_on,
                    "version": r.version,
                    "review": r.review.flag,
                    "review_reasons": list(r.review.reasons),
                }
                for r in recs
            ]
        )
        return 0
    table(
        _("{n} DPIAs", n=len(recs)),
        [
            _("ref"),
            _("name"),
            _("activity"),
            _("decision"),
            _("assessed on"),
            _("version"),
            _("review"),
        ],
        [
            [
                r.dpia.ref,
                r.dpia.name,
                r.dpia.activity_ref or "—",
                status_label(r.dpia.validation.decision),
                r.dpia.assessed_on,
                r.version,
                r.review.flag,
            ]
            for r in recs
        ],
    )
    for r in recs:
        for reason in r.review.reasons:
            warn(f"{r.dpia.ref}: {reason}")
    return 0


@dpia_grp.command("show")
@click.argument("ref")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["summary", "yaml", "json"]),
    default="summary",
    show_default=True,
)
@pass_ctx
def dpia_show(c: Ctx, ref: str, fmt: str) -> int:
    """Show a DPIA: its risks and decision, or the whole of it in YAML/JSON.

    \b
    Example:
      rgpd --org mairie dpia show videoprotection --format yaml
    """
    rec = service.get(c.ws, c.org_slug(), ref)
    d = rec.dpia
    if fmt != "summary":
        data = d.model_dump(mode="json", exclude_none=True, exclude={"pia", "answer_traces"})
        data["_version"], data["_review"] = rec.version, rec.review.flag
        if fmt == "json":
            emit_json(data)
        else:
            click.echo(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
        return 0
    console.print(f"{d.name} ({d.ref}) — {status_label(d.validation.decision)}", style="bold")
    table(
        _("Risks"),
        [
            _("risk"),
            _("severity"),
            _("likelihood"),
            _("residual severity"),
            _("residual likelihood"),
        ],
        [
            [
                _(RISK_TITLES[k]),
                level_label(d.risk(k).severity),
                level_label(d.risk(k).likelihood),
                level_label(d.risk(k).residual_severity),
                level_label(d.risk(k).residual_likelihood),
            ]
            for k in RISK_KINDS
        ],
    )
    console.print(
        _(
            "{n} measures; version {v}; review: {flag}",
            n=len(d.measures),
            v=rec.version,
            flag=rec.review.flag,
        )
    )
    for reason in rec.review.reasons:
        warn(reason)
    return 0


@dpia_grp.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--ref", help="Reference to give the DPIA (default: from its name).")
@click.option("--activity", help="Register activity the DPIA assesses.")
@pass_ctx
def dpia_import(c: Ctx, file: str, ref: str | None, activity: str | None) -> int:
    """Import a DPIA exported by the CNIL PIA tool (JSON), without loss.

    \b
    Example:
      rgpd --org mairie dpia import pia-videoprotection.json --activity videoprotection
    """
    doc = _read(file, "json")
    kind, rec = service.import_pia(
        c.ws, c.org_slug(), doc, ref=ref, activity_ref=activity, source=file
    )
    ok(_("DPIA {ref}: {kind} (version {v})", ref=rec.dpia.ref, kind=kind, v=rec.version))
    return 0


@dpia_grp.command("export")
@click.argument("ref")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["pia-json", "yaml"]),
    default="pia-json",
    show_default=True,
)
@click.option("--out", type=click.Path(dir_okay=False), help="File to write (default: stdout).")
@pass_ctx
def dpia_export(c: Ctx, ref: str, fmt: str, out: str | None) -> int:
    """Export a DPIA for the CNIL PIA tool (JSON it imports) or as YAML.

    \b
    Example:
      rgpd --org mairie dpia export videoprotection --out pia-videoprotection.json
    """
    org = c.org_slug()
    if fmt == "pia-json":
        text = json.dumps(service.export_pia(c.ws, org, ref), ensure_ascii=False, indent=2)
    else:
        d = service.get(c.ws, org, ref).dpia
        text = yaml.safe_dump(
            d.model_dump(mode="json", exclude_none=True), allow_unicode=True, sort_keys=False
        )
    if out:
        Path(out).write_text(text + "\n", encoding="utf-8")
        ok(_("written: {path}", path=out))
    else:
        click.echo(text)
    return 0


@dpia_grp.command("render")
@click.argument("ref")
@click.option("--pdf", "as_pdf", is_flag=True, help="PDF instead of HTML.")
@click.option("--out-dir", type=click.Path(file_okay=False), help="Folder (default: ./reports).")
@pass_ctx
def dpia_render(c: Ctx, ref: str, as_pdf: bool, out_dir: str | None) -> int:
    """Write the DPIA in the CNIL layout, with its risk map, as HTML or PDF.

    \b
    Example:
      rgpd --org mairie --lang en dpia render videoprotection --pdf
    """
    from rgpd.reports.service import generate_dpia

    path = generate_dpia(
        c.ws,
        c.org_slug(),
        ref,
        fmt="pdf" if as_pdf else "html",
        out_dir=Path(out_dir) if out_dir else None,
        lang=c.lang,
    )
    ok(_("written: {path}", path=str(path)))
    return 0


def register(cli: click.Group) -> None:
    cli.add_command(dpia_grp)
