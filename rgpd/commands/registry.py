"""org, registry and breach commands (issue: the processing-activities register)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import yaml
from rich.text import Text

from rgpd import labels
from rgpd.commands._common import (
    Column,
    Ctx,
    as_text,
    console,
    emit_json,
    ok,
    pass_ctx,
    table,
    warn,
    when,
    wide_option,
)
from rgpd.errors import InvalidInput, RgpdError, UsageError
from rgpd.i18n import _, _n
from rgpd.registry import service
from rgpd.registry.model import (
    Activity,
    Breach,
    DataCategoryUse,
    LegalBasis,
    Notification,
    Organisation,
    OrgKind,
    Register,
    Retention,
    SubjectCategory,
)
from rgpd.taxonomy import CATEGORIES


def _read_yaml(path: str) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(path, exc.strerror or str(exc)) from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else path
        raise InvalidInput(
            where, _("invalid YAML: {problem}", problem=getattr(exc, "problem", exc))
        ) from exc


# ---------------------------------------------------------------- org
@click.group("org")
def org_grp() -> None:
    """Organisations served by this install (commune, CCAS, EPCI...).

    \b
    Example:
      rgpd org add mairie --name "Ville de Saint-Exemple" --kind commune --siren 213000000
    """


@org_grp.command("add")
@click.argument("slug")
@click.option("--name", required=True)
@click.option(
    "--kind", type=click.Choice([k.value for k in OrgKind]), default="commune", show_default=True
)
@click.option("--siren")
@click.option("--dpo-name")
@click.option("--dpo-email")
@click.option("--dpo-phone")
@click.option("--cnil-dpo-number", help="DPO designation number given by the CNIL.")
@click.option("--logo", help="Logo file (PNG/SVG) shown on citizens' forms.")
@click.option("--color", "color_primary", help="Main colour for forms, #RRGGBB.")
@click.option("--alsace-moselle", is_flag=True, help="Local law holidays (Good Friday, 26 Dec).")
@pass_ctx
def org_add(c: Ctx, slug: str, **fields: Any) -> int:
    """Add an organisation.

    \b
    Example:
      rgpd org add ccas --name "CCAS de Saint-Exemple" --kind ccas --dpo-email dpo@example.org
    """
    data = {k: v for k, v in fields.items() if v not in (None, False)}
    org = service.validate(Organisation, {"slug": slug, **data}, "organisation")
    service.add_org(c.ws, org)
    ok(_("organisation {slug} added", slug=slug))
    return 0


@org_grp.command("edit")
@click.argument("slug")
@click.option("--set", "pairs", multiple=True, metavar="FIELD=VALUE", help="Field to change.")
@pass_ctx
def org_edit(c: Ctx, slug: str, pairs: tuple[str, ...]) -> int:
    """Change fields of an organisation.

    \b
    Example:
      rgpd org edit mairie --set dpo_email=dpo@example.org --set color_primary=#005f73
    """
    changes = {}
    for p in pairs:
        if "=" not in p:
            raise InvalidInput("--set", _("expected FIELD=VALUE, got {value!r}", value=p))
        k, v = p.split("=", 1)
        changes[k.strip()] = yaml.safe_load(v) if v else None
    service.update_org(c.ws, slug, changes)
    ok(_("organisation {slug} updated", slug=slug))
    return 0


@org_grp.command("list")
@click.option("--json", "as_json", is_flag=True)
@wide_option
@pass_ctx
def org_list(c: Ctx, as_json: bool) -> int:
    """List organisations.

    \b
    Example:
      rgpd org list --json
    """
    orgs = service.list_orgs(c.ws)
    if as_json:
        emit_json([o.model_dump(mode="json", exclude_none=True) for o in orgs])
    else:
        table(
            None,
            [_("slug"), _("name"), _("kind"), Column("SIREN", wide=True), _("DPO")],
            [[o.slug, o.name, o.kind.value, o.siren, o.dpo_email] for o in orgs],
        )
    return 0


@org_grp.command("show")
@click.argument("slug", required=False)
@pass_ctx
def org_show(c: Ctx, slug: str | None) -> int:
    """Show one organisation (YAML).

    \b
    Example:
      rgpd org show mairie
    """
    o = service.get_org(c.ws, c.org_slug(slug))
    click.echo(
        yaml.safe_dump(
            o.model_dump(mode="json", exclude_none=True), allow_unicode=True, sort_keys=False
        )
    )
    return 0


# ---------------------------------------------------------------- registry
@click.group("registry", short_help="The register of processing activities, Art. 30 GDPR.")
def registry_grp() -> None:
    """The register of processing activities (Art. 30 GDPR).

    \b
    Example:
      rgpd --org mairie registry import registre.yaml
    """


def _listed(value: Any, sep: str) -> str | None:
    """A draft's value as it was typed at its prompt (the default shown on resume)."""
    if value is None or value == []:
        return None
    if isinstance(value, list):
        return sep.join(str(v) for v in value)
    return str(value)


def _split(text: str, sep: str) -> list[str]:
    return [x.strip() for x in text.split(sep) if x.strip()]


def _ask(
    c: Ctx,
    org: str,
    draft: dict[str, Any],
    field: str,
    text: str,
    parse: Any = str,
    *,
    shown: str | None = None,
    default: str | None = None,
    optional: bool = False,
) -> Any:
    """Ask for one field until the register accepts it; the answer goes into ``draft`` at once.

    Each answer is checked by :func:`rgpd.registry.service.check_activity_field` (the
    model's own validation, and uniqueness for the reference) and asked again with
    the reason when refused (issue 12). ``draft`` is filled as answers come, so what
    was typed survives an interruption.
    """
    previous = shown if shown is not None else _listed(draft.get(field), ", ")
    while True:
        raw = click.prompt(
            text,
            default=previous or default or ("" if optional else None),
            show_default=bool(previous or default),
        ).strip()
        if not raw and optional:
            draft.pop(field, None)
            return None
        value, problems = service.check_activity_field(c.ws, org, field, parse(raw))
        if not problems:
            draft[field] = value
            return value
        for p in problems:
            warn(f"{p.field}: {p.problem}")


def _as_date(text: str) -> str:
    """« 31/12/2027 » or « 2027-12-31 »: French dates as the CNIL template has them."""
    from rgpd.registry.io.labels import parse_date

    d = parse_date(text)
    return d.isoformat() if d else text  # the model says what is wrong with the rest


def _prompt_activity(c: Ctx, org: str, draft: dict[str, Any]) -> None:
    """The prompts of ``registry add``, filling ``draft`` (a resumed draft gives the defaults)."""
    from rgpd.taxonomy import ART9_CATEGORIES

    _ask(c, org, draft, "ref", _("Reference (lowercase, e.g. cantine)"))
    _ask(c, org, draft, "name", _("Name"))
    _ask(
        c,
        org,
        draft,
        "purposes",
        _("Purposes (separated by ';')"),
        lambda t: _split(t, ";"),
        shown=_listed(draft.get("purposes"), "; "),
    )
    basis = _ask(
        c,
        org,
        draft,
        "legal_basis",
        _(
            "Legal basis, Art. 6(1): a consent, b contract, c legal obligation, d vital interests, "
            "e public task, f legitimate interests"
        ),
    )
    if basis in ("c", "e"):
        _ask(
            c,
            org,
            draft,
            "legal_basis_text",
            _("Text grounding it (e.g. CGCT art. L2121-29)"),
            optional=True,
        )
    _ask(
        c,
        org,
        draft,
        "data_subjects",
        _(
            "Data subjects ({choices}), separated by ','",
            choices=", ".join(s.value for s in SubjectCategory),
        ),
        lambda t: _split(t, ","),
        default="usagers",
    )
    kept = {u["category"]: u for u in draft.get("data_categories", []) if isinstance(u, dict)}
    cats = _ask(
        c,
        org,
        draft,
        "data_categories",
        _("Data categories ({choices}), separated by ','", choices=", ".join(CATEGORIES)),
        lambda t: [kept.get(k, {"category": k}) for k in _split(t, ",")],
        shown=_listed([u.get("category") for u in kept.values()], ","),
        default="etat_civil,coordonnees",
    )
    for i, use in enumerate(list(cats)):
        before = (use.get("retention") or {}).get("active")
        while True:
            dur = click.prompt(
                _("Retention of {cat} (active period, e.g. 5y)", cat=use["category"]),
                default=before or "",
                show_default=bool(before),
            ).strip()
            uses = [dict(u) for u in draft["data_categories"]]
            uses[i].pop("retention", None)
            if dur:
                uses[i]["retention"] = {"active": dur}
            value, problems = service.check_activity_field(c.ws, org, "data_categories", uses)
            if not problems:
                draft["data_categories"] = value
                break
            for p in problems:
                warn(f"{p.field}: {p.problem}")
    special = sorted({u["category"] for u in draft["data_categories"]} & ART9_CATEGORIES)
    if special:
        # Art. 9(1) forbids these categories unless one condition of Art. 9(2) applies.
        _ask(
            c,
            org,
            draft,
            "art9_condition",
            _(
                "Special categories ({categories}): condition of Art. 9(2): a explicit consent, "
                "b employment and social protection law, c vital interests, d non-profit body, "
                "e made public by the person, f legal claims, g substantial public interest, "
                "h health or social care, i public health, j archiving, research, statistics",
                categories=", ".join(special),
            ),
            str.lower,
        )
        _ask(c, org, draft, "art9_details", _("Details of the Art. 9(2) condition"), optional=True)
    else:
        draft.pop("art9_condition", None)
    _ask(
        c,
        org,
        draft,
        "review_date",
        _("Next review date (DD/MM/YYYY or YYYY-MM-DD, empty for none)"),
        _as_date,
        optional=True,
    )


def _free_draft_path(ref: Any) -> Path:
    stem = f"registry-draft-{ref}" if isinstance(ref, str) and ref else "registry-draft"
    path, n = Path(f"{stem}.yaml"), 2
    while path.exists():
        path, n = Path(f"{stem}-{n}.yaml"), n + 1
    return path


def _offer_draft(draft: dict[str, Any]) -> None:
    """Never discard what was typed: offer to keep it as a YAML draft to resume from.

    When the question itself cannot be answered (a second Ctrl-C, input closed),
    the draft is kept anyway: a file too many is cheaper than the lost answers.
    """
    path = _free_draft_path(draft.get("ref"))
    try:
        keep = click.confirm(_("Save what you typed to {path}?", path=path), default=True)
    except (click.Abort, KeyboardInterrupt, EOFError):
        keep = True
    if not keep:
        return
    path.write_text(yaml.safe_dump(draft, allow_unicode=True, sort_keys=False), encoding="utf-8")
    warn(
        _(
            "draft saved to {path}; resume with: rgpd registry add --from-draft {path}",
            path=path,
        )
    )


@registry_grp.command("add")
@click.option(
    "--file", "file", type=click.Path(dir_okay=False), help="YAML file with one activity."
)
@click.option(
    "--from-draft",
    "from_draft",
    type=click.Path(dir_okay=False, exists=True),
    help="Resume the prompts from a draft saved by an interrupted `registry add`.",
)
@pass_ctx
def registry_add(c: Ctx, file: str | None, from_draft: str | None) -> int:
    """Add an activity, interactively or from a YAML file.

    Each answer is checked at its prompt and asked again when refused; if the
    prompts are interrupted (Ctrl-C) or the activity is refused at the end, what
    was typed can be saved as a draft and resumed with --from-draft.

    \b
    Examples:
      rgpd --org mairie registry add                 # prompts with choices
      rgpd --org mairie registry add --file cantine.yaml
      rgpd --org mairie registry add --from-draft registry-draft-cantine.yaml
    """
    org = c.org_slug()
    if file:
        act = service.validate(Activity, _read_yaml(file), file)
        service.add_activity(c.ws, org, act)
        ok(_("activity {ref} added (version 1)", ref=act.ref))
        return 0
    draft: dict[str, Any] = {}
    if from_draft:
        loaded = _read_yaml(from_draft)
        if not isinstance(loaded, dict):
            raise InvalidInput(from_draft, _("a draft is a YAML mapping of an activity's fields"))
        draft.update(loaded)
    try:
        _prompt_activity(c, org, draft)
        act = service.validate(Activity, draft, from_draft or "activity")
        service.add_activity(c.ws, org, act)
    except (click.Abort, KeyboardInterrupt, RgpdError):
        if draft:
            _offer_draft(draft)
        raise
    ok(_("activity {ref} added (version 1)", ref=act.ref))
    return 0


@registry_grp.command("edit")
@click.argument("ref")
@click.option(
    "--file", "file", type=click.Path(dir_okay=False), help="YAML file with the whole activity."
)
@click.option(
    "--set", "pairs", multiple=True, metavar="FIELD=VALUE", help="Field to change (YAML value)."
)
@pass_ctx
def registry_edit(c: Ctx, ref: str, file: str | None, pairs: tuple[str, ...]) -> int:
    """Change an activity; a new version is kept in its history.

    \b
    Examples:
      rgpd --org mairie registry edit cantine --set status=valide --set review_date=2027-06-30
      rgpd --org mairie registry edit cantine --file cantine.yaml
    """
    org = c.org_slug()
    current = service.get_activity(c.ws, org, ref).activity.model_dump(
        mode="json", exclude_none=True
    )
    if file:
        data = _read_yaml(file)
    elif pairs:
        data = dict(current)
        for p in pairs:
            if "=" not in p:
                raise InvalidInput("--set", _("expected FIELD=VALUE, got {value!r}", value=p))
            k, v = p.split("=", 1)
            _set_path(data, k.strip(), yaml.safe_load(v) if v else None)
    else:
        edited = click.edit(
            yaml.safe_dump(current, allow_unicode=True, sort_keys=False), extension=".yaml"
        )
        if edited is None:
            warn(_("no change"))
            return 0
        data = yaml.safe_load(edited)
    if isinstance(data, dict) and data.get("ref", ref) != ref:
        raise InvalidInput("ref", _("cannot change the reference of an activity"))
    act = service.validate(Activity, {**data, "ref": ref}, file or ref)
    kind, rec = service.save_activity(c.ws, org, act)
    ok(_("activity {ref}: {kind} (version {v})", ref=ref, kind=kind, v=rec.version))
    return 0


def _set_path(d: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    for p in parts[:-1]:
        d = d.setdefault(p, {})
    if value is None:
        d.pop(parts[-1], None)
    else:
        d[parts[-1]] = value


@registry_grp.command("show")
@click.argument("ref")
@click.option(
    "--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True
)
@pass_ctx
def registry_show(c: Ctx, ref: str, fmt: str) -> int:
    """Show one activity with every Art. 30 field and its DPIA verdict.

    \b
    Example:
      rgpd --org mairie registry show videoprotection
    """
    rec = service.get_activity(c.ws, c.org_slug(), ref)
    data = rec.activity.model_dump(mode="json", exclude_none=True)
    from rgpd.registry.rules import dpia_verdict

    v = dpia_verdict(rec.activity)
    data["_dpia_required"] = v.required
    data["_version"] = rec.version
    if fmt == "json":
        emit_json(data)
    else:
        click.echo(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return 0


@registry_grp.command("list")
@click.option("--status", type=click.Choice(["brouillon", "valide"]))
@click.option("--basis", type=click.Choice([b.value for b in LegalBasis]))
@click.option("--search")
@click.option("--json", "as_json", is_flag=True)
@wide_option
@pass_ctx
def registry_list(
    c: Ctx, status: str | None, basis: str | None, search: str | None, as_json: bool
) -> int:
    """List the activities of the organisation.

    \b
    Example:
      rgpd --org mairie registry list --basis e
    """
    recs = service.list_activities(
        c.ws, c.org_slug(), status=status, legal_basis=basis, search=search
    )
    if as_json:
        emit_json(
            [
                {
                    "ref": r.activity.ref,
                    "name": r.activity.name,
                    "version": r.version,
                    "status": r.activity.status.value,
                    "legal_basis": r.activity.legal_basis.value if r.activity.legal_basis else None,
                }
                for r in recs
            ]
        )
        return 0
    table(
        _n("{n} activity", "{n} activities", len(recs)),
        [
            _("ref"),
            _("name"),
            _("basis"),
            _("status"),
            Column(_("version"), wide=True),
            _("review"),
        ],
        [
            [
                r.activity.ref,
                r.activity.name,
                f"6(1)({r.activity.legal_basis.value})" if r.activity.legal_basis else "—",
                r.activity.status.value,
                r.version,
                r.activity.review_date,
            ]
            for r in recs
        ],
    )
    return 0


@registry_grp.command("delete")
@click.argument("ref")
@click.confirmation_option(prompt=_("Delete this activity? Its history is kept."))
@pass_ctx
def registry_delete(c: Ctx, ref: str) -> int:
    """Remove an activity from the register (history kept).

    \b
    Example:
      rgpd --org mairie registry delete ancienne-activite --yes
    """
    service.delete_activity(c.ws, c.org_slug(), ref)
    ok(_("activity {ref} deleted", ref=ref))
    return 0


@registry_grp.command("history")
@click.argument("ref")
@click.option(
    "--diff",
    "diff_versions",
    nargs=2,
    type=int,
    metavar="V1 V2",
    help="Show what changed between two versions.",
)
@wide_option
@pass_ctx
def registry_history(c: Ctx, ref: str, diff_versions: tuple[int, int] | None) -> int:
    """Every version of an activity, who changed it and when; or a diff between two.

    \b
    Examples:
      rgpd --org mairie registry history cantine
      rgpd --org mairie registry history cantine --diff 1 3
    """
    from rgpd.registry.diff import diff

    versions = service.history(c.ws, c.org_slug(), ref)
    if diff_versions:
        by = {v.version: v for v in versions}
        a, b = diff_versions
        if a not in by or b not in by:
            raise InvalidInput("--diff", _("versions available: {vs}", vs=", ".join(map(str, by))))
        changes = diff(
            by[a].activity.model_dump(mode="json", exclude_none=True),
            by[b].activity.model_dump(mode="json", exclude_none=True),
        )
        if not changes:
            console.print(_("no difference"))
        for ch in changes:
            if ch.old is not None:
                console.print(f"- {ch.path}: {ch.old}", style="red")
            if ch.new is not None:
                console.print(f"+ {ch.path}: {ch.new}", style="green")
        return 0
    table(
        _("history of {ref}", ref=ref),
        [_("version"), _("change"), _("who"), _("when (UTC)"), Column(_("digest"), wide=True)],
        [[v.version, v.change, v.actor, v.at, v.digest[:12]] for v in versions],
    )
    return 0


@registry_grp.command("lint")
@click.option("--json", "as_json", is_flag=True)
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Reference date (default: today).")
@pass_ctx
def registry_lint(c: Ctx, as_json: bool, today: datetime | None) -> int:
    """Check the register against the GDPR; exit 1 when errors remain.

    \b
    Example:
      rgpd --org mairie registry lint
    """
    from rgpd.registry.dpia import service as dpias
    from rgpd.registry.rules import lint_register

    reg = service.export_register(c.ws, c.org_slug())
    issues = lint_register(
        reg,
        today=(today.date() if today else c.ws.today()),
        dpias=dpias.lint_states(c.ws, c.org_slug()),
    )
    errors = [i for i in issues if str(getattr(i.severity, "value", i.severity)) == "error"]
    if as_json:
        emit_json([_issue_dict(i) for i in issues])
    else:
        sev_style = {"error": "red", "warning": "yellow", "info": "cyan"}
        for i in issues:
            sev = str(getattr(i.severity, "value", i.severity))
            console.print(
                Text.assemble(
                    (f"{labels.severity(sev):11}", sev_style.get(sev, "white")),
                    " ",
                    as_text(i.activity_ref or "-", "bold"),
                    " ",
                    as_text(i.message),
                    " ",
                    as_text(f"({i.article}; {labels.lint_rule(i.code)})", "dim"),
                )
            )
        console.print(
            _(
                "{errors}, {remarks} on {activities}",
                errors=_n("{n} error", "{n} errors", len(errors)),
                remarks=_n("{n} other remark", "{n} other remarks", len(issues) - len(errors)),
                activities=_n("{n} activity", "{n} activities", len(reg.activities)),
            )
        )
    return 1 if errors else 0


def _issue_dict(i: Any) -> dict[str, Any]:
    from dataclasses import asdict, is_dataclass

    d = asdict(i) if is_dataclass(i) and not isinstance(i, type) else dict(i.__dict__)
    return {k: (getattr(v, "value", v)) for k, v in d.items()}


@registry_grp.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--format", "fmt", type=click.Choice(["auto", "yaml", "csv", "xlsx", "ods"]), default="auto"
)
@click.option(
    "--prune", is_flag=True, help="Delete activities absent from the file (register-as-code)."
)
@click.option(
    "--dry-run", is_flag=True, help="Show what would be created or updated; write nothing."
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def registry_import(c: Ctx, path: str, fmt: str, prune: bool, dry_run: bool, as_json: bool) -> int:
    """Import a register: YAML, the CNIL template (list + fiches), a Madis export, or the flat layout.

    Spreadsheets are recognised by their content, not by sheet names. Every cell
    that cannot be mapped is listed (sheet, cell, value); nothing is dropped
    silently. An activity that cannot be built (no name, duplicate reference)
    stops the import and nothing is written.

    \b
    Examples:
      rgpd --org mairie registry import registre.yaml --prune
      rgpd --org mairie registry import registre-cnil.ods --dry-run
      rgpd --org mairie registry import export-madis.csv
    """
    from rgpd.registry import io as rio

    org = c.org_slug()
    real_fmt = rio.format_from_path(Path(path)) if fmt == "auto" else fmt
    outcome = rio.parse_register_report(Path(path).read_bytes(), real_fmt, source=path)
    reg = outcome.register
    if real_fmt in ("csv", "xlsx", "ods"):
        # spreadsheets carry no data locations nor identifiers: keep the ones we hold
        reg = rio.merge_table_import(service.export_register(c.ws, org), reg)
    if as_json:
        plan = service.preview_import(c.ws, org, reg, prune=prune) if dry_run else None
        res = None if dry_run else service.import_register(c.ws, org, reg, prune=prune)
        emit_json(
            {
                "format": outcome.format,
                "dry_run": dry_run,
                "plan": plan,
                "result": None if res is None else res.__dict__,
                "notes": [n.__dict__ for n in outcome.notes],
            }
        )
        return 0
    for note in outcome.notes:
        warn(str(note))
    if outcome.notes:
        warn(_("{n} cells not imported as such: see above", n=len(outcome.notes)))
    if dry_run:
        plan = service.preview_import(c.ws, org, reg, prune=prune)
        labels = {
            "created": _("would be created"),
            "updated": _("would be updated"),
            "unchanged": _("unchanged"),
            "deleted": _("would be deleted"),
        }
        rows = [[ref, labels[kind]] for kind in labels for ref in plan[kind]]
        rows += [[ref, _("processor: would be created or updated")] for ref in plan["processors"]]
        rows += [[ref, _("software: would be created or updated")] for ref in plan["software"]]
        table(_("Dry run: nothing written"), [_("Reference"), _("Effect")], rows)
        return 0
    res = service.import_register(c.ws, org, reg, prune=prune)
    ok(
        _(
            "{c} created, {u} updated, {n} unchanged, {d} deleted",
            c=res.created,
            u=res.updated,
            n=res.unchanged,
            d=res.deleted,
        )
    )
    return 0


@registry_grp.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(
        ["yaml", "csv", "xlsx", "ods", "cnil-ods", "cnil-xlsx", "public-csv", "public-json"]
    ),
    default="yaml",
    show_default=True,
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    help="Output file (default: standard output for text formats, ./reports/ for spreadsheets).",
)
@pass_ctx
def registry_export(c: Ctx, fmt: str, out: str | None) -> int:
    """Export the register: YAML, the CNIL layout, or the public register for open data.

    \b
    Examples:
      rgpd --org mairie registry export > registre.yaml
      rgpd --org mairie registry export --format xlsx --out registre.xlsx
      rgpd --org mairie registry export --format cnil-ods --out registre-cnil.ods
      rgpd --org mairie registry export --format public-json
    """
    from rgpd.registry import io as rio

    org = c.org_slug()
    reg = service.export_register(c.ws, org)
    data = rio.write_register(reg, fmt)
    if out is None and isinstance(data, str):
        click.echo(data, nl=False)
        return 0
    ext = {"public-csv": "csv", "public-json": "json", "cnil-ods": "ods", "cnil-xlsx": "xlsx"}.get(
        fmt, fmt
    )
    path = Path(out) if out else c.ws.reports_dir() / f"registre-{org}-{c.ws.today()}.{ext}"
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    ok(_("written {path}", path=path))
    return 0


@registry_grp.command("processor")
@click.option(
    "--file", "file", type=click.Path(dir_okay=False), help="YAML file with one processor."
)
@click.option("--list", "do_list", is_flag=True, help="List processors.")
@wide_option
@pass_ctx
def registry_processor(c: Ctx, file: str | None, do_list: bool) -> int:
    """Add/update a processor (Art. 28) from YAML, or list them.

    \b
    Examples:
      rgpd --org mairie registry processor --file editeur.yaml
      rgpd --org mairie registry processor --list
    """
    from rgpd.registry.model import Processor

    org = c.org_slug()
    if file:
        p = service.validate(Processor, _read_yaml(file), file)
        kind = service.save_processor(c.ws, org, p)
        ok(_("processor {ref}: {kind}", ref=p.ref, kind=kind))
    if do_list or not file:
        table(
            None,
            [_("ref"), _("name"), _("contract"), Column(_("hosting"), wide=True), "SecNumCloud"],
            [
                [
                    p.ref,
                    p.name,
                    p.contract_date or "—",
                    f"{p.hosting_provider or ''} {p.hosting_country or ''}",
                    "✓" if p.secnumcloud else "",
                ]
                for p in service.list_processors(c.ws, org)
            ],
        )
    return 0


# ---------------------------------------------------------------- breaches
@click.group("breach", short_help="The breach register and its 72-hour clock, Art. 33.")
def breach_grp() -> None:
    """The breach register (Art. 33(5)) and its 72-hour clock (Art. 33(1)).

    \b
    Example:
      rgpd --org mairie breach list
    """


def _parse_dt(c: Ctx, value: str, field: str) -> datetime:
    try:
        d = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            field, _("expected a date-time like 2026-11-20T14:30, got {v!r}", v=value)
        ) from None
    return c.ws.local(d).astimezone(UTC)  # without zone: the organisation's local time


@breach_grp.command("add")
@click.option("--file", "file", type=click.Path(dir_okay=False), help="YAML file with the breach.")
@click.option("--ref")
@click.option("--title")
@click.option("--discovered", help="When the organisation became aware (starts the 72 h clock).")
@click.option("--occurred")
@click.option(
    "--nature", multiple=True, type=click.Choice(["confidentialite", "integrite", "disponibilite"])
)
@click.option("--description")
@click.option("--people", type=int, help="Approximate number of people concerned.")
@pass_ctx
def breach_add(
    c: Ctx,
    file: str | None,
    ref: str | None,
    title: str | None,
    discovered: str | None,
    occurred: str | None,
    nature: tuple[str, ...],
    description: str | None,
    people: int | None,
) -> int:
    """Record a breach, whether it will be notified or not (Art. 33(5)).

    \b
    Examples:
      rgpd --org mairie breach add --ref 2026-03 --title "Courriel envoyé au mauvais destinataire" \\
           --discovered 2026-11-20T09:15 --nature confidentialite --people 1
      rgpd --org mairie breach add --file violation.yaml
    """
    org = c.org_slug()
    if file:
        data = _read_yaml(file)
    else:
        if not (ref and title and discovered):
            raise UsageError(_("--ref, --title and --discovered are required without --file"))
        data = {
            "ref": ref,
            "title": title,
            "discovered_at": _parse_dt(c, discovered, "--discovered"),
            "nature": list(nature),
        }
        if occurred:
            data["occurred_at"] = _parse_dt(c, occurred, "--occurred")
        if description:
            data["description"] = description
        if people is not None:
            data["people_count"] = people
    b = service.validate(Breach, data, file or "breach", timezone=c.ws.settings.timezone)
    service.save_breach(c.ws, org, b)
    _print_clock(c, b)
    return 0


def _print_clock(c: Ctx, b: Breach) -> None:
    clk = b.clock(c.ws.now())
    ok(_("breach {ref} recorded", ref=b.ref))
    console.print(
        _(
            "Notify the CNIL by {due} (Art. 33(1): 72 hours after awareness).",
            due=clk.deadline.isoformat(timespec="minutes"),
        )
    )


@breach_grp.command("list")
@click.option("--json", "as_json", is_flag=True)
@wide_option
@pass_ctx
def breach_list(c: Ctx, as_json: bool) -> int:
    """Breaches with their 72-hour clock; overdue ones flagged.

    \b
    Example:
      rgpd --org mairie breach list
    """
    rows, out = [], []
    now = c.ws.now()
    for b in service.list_breaches(c.ws, c.org_slug()):
        clk = b.clock(now)
        state = b.status_label(now)
        out.append(
            {
                "ref": b.ref,
                "title": b.title,
                "discovered_at": b.discovered_at,
                "deadline": clk.deadline,
                "notified_at": b.first_notified_at,
                "status": b.status(now).value,
                "state": state,
            }
        )
        rows.append(
            [
                b.ref,
                b.title,
                when(b.discovered_at, c.ws.timezone),
                when(clk.deadline, c.ws.timezone),
                when(b.first_notified_at, c.ws.timezone),
                state,
            ]
        )
    if as_json:
        emit_json(out)
    else:
        table(
            None,
            [
                _("ref"),
                _("title"),
                Column(_("discovered"), wide=True),
                _("72 h deadline"),
                _("notified"),
                _("state"),
            ],
            rows,
        )
    return 0


@breach_grp.command("show")
@click.argument("ref")
@pass_ctx
def breach_show(c: Ctx, ref: str) -> int:
    """Show one breach and its clock.

    \b
    Example:
      rgpd --org mairie breach show 2026-03
    """
    b = service.get_breach(c.ws, c.org_slug(), ref)
    click.echo(
        yaml.safe_dump(
            b.model_dump(mode="json", exclude_none=True), allow_unicode=True, sort_keys=False
        )
    )
    now = c.ws.now()
    clk = b.clock(now)
    console.print(
        _(
            "72-hour deadline: {d} — {state}",
            d=clk.deadline.isoformat(timespec="minutes"),
            state=b.status_label(now),
        )
    )
    return 0


@breach_grp.command("notify")
@click.argument("ref")
@click.option("--at", "at", help="When the notification was sent (default: now).")
@click.option(
    "--phase",
    type=click.Choice(["initiale", "complementaire"]),
    default="initiale",
    show_default=True,
)
@click.option("--reference", help="CNIL notification number.")
@click.option("--delay-reason", help="Reasons for a notification after 72 hours (Art. 33(1)).")
@pass_ctx
def breach_notify(
    c: Ctx, ref: str, at: str | None, phase: str, reference: str | None, delay_reason: str | None
) -> int:
    """Record a notification to the CNIL; phases allowed (Art. 33(4)).

    \b
    Example:
      rgpd --org mairie breach notify 2026-03 --at 2026-11-21T10:00 --reference CNIL-123
    """
    when = _parse_dt(c, at, "--at") if at else c.ws.now()
    n = Notification(phase=phase, at=when, reference=reference)  # type: ignore[arg-type]
    b = service.notify_breach(c.ws, c.org_slug(), ref, n)
    if delay_reason:
        b = service.validate(
            Breach,
            {**b.model_dump(mode="json", exclude_none=True), "delay_reason": delay_reason},
            ref,
        )
        service.save_breach(c.ws, c.org_slug(), b)
    clk = b.clock(c.ws.now())
    ok(_("notification recorded ({phase})", phase=phase))
    if clk.late and not b.delay_reason:
        warn(
            _(
                "Notified after 72 hours: record the reasons for the delay (Art. 33(1)) with --delay-reason."
            )
        )
    return 0


def register(cli: click.Group) -> None:
    cli.add_command(org_grp)
    cli.add_command(registry_grp)
    cli.add_command(breach_grp)


__all__ = ["DataCategoryUse", "Register", "Retention", "register"]
