"""software commands: the software and supports register (Madis's « logiciels et supports »)."""

from __future__ import annotations

from typing import Any

import click
import yaml

from rgpd import labels
from rgpd.commands._common import Ctx, emit_json, ok, pass_ctx, table
from rgpd.errors import InvalidInput
from rgpd.i18n import _
from rgpd.registry import service, software_service
from rgpd.registry.model import Hosting, Software, SoftwareKind, SupportMedium


@click.group("software", short_help="Software and supports register (hosting, processors, links).")
def software_grp() -> None:
    """Software and supports: applications, paper archives, USB drives, servers...

    Each entry says who edits it, where it is hosted and which activities and
    processors it serves; `rgpd registry lint` checks the links and the transfers
    outside the EEA they imply (Art. 28, Art. 30, Art. 44).

    \b
    Example:
      rgpd --org mairie software add etat-civil-app --name "Logiciel état civil" \\
          --editor "Éditeur Exemple" --hosting saas --country FR --activity etat-civil
    """


@software_grp.command("add")
@click.argument("ref")
@click.option("--name", required=True)
@click.option(
    "--kind",
    type=click.Choice([k.value for k in SoftwareKind]),
    default=SoftwareKind.SOFTWARE.value,
    show_default=True,
)
@click.option(
    "--medium", type=click.Choice([m.value for m in SupportMedium]), help="For a support."
)
@click.option("--editor", help="Editor or vendor.")
@click.option("--version", "version_", help="Version in use.")
@click.option("--hosting", type=click.Choice([h.value for h in Hosting]))
@click.option("--country", help="Country where the data is hosted or stored (ISO code).")
@click.option("--location", help="Site, room or datacentre.")
@click.option("--manager", help="Person or department in charge.")
@click.option("--activity", "activities", multiple=True, help="Activity it serves (repeatable).")
@click.option("--processor", "processors", multiple=True, help="Processor linked (repeatable).")
@click.option("--security", multiple=True, help="Security note (repeatable).")
@click.option("--notes")
@pass_ctx
def software_add(c: Ctx, ref: str, version_: str | None, **fields: Any) -> int:
    """Add a software or a support.

    \b
    Examples:
      rgpd --org mairie software add parapheur --name "Parapheur" --hosting sous_traitant \\
          --processor hebergeur --activity deliberations
      rgpd --org mairie software add archives-rh --name "Archives RH" --kind support \\
          --medium archive_papier --location "Mairie, sous-sol"
    """
    data = {k: list(v) if isinstance(v, tuple) else v for k, v in fields.items()}
    data = {k: v for k, v in data.items() if v not in (None, [], "")}
    if version_:
        data["version"] = version_
    sw = service.validate(Software, {"ref": ref, **data}, "software")
    software_service.add_software(c.ws, c.org_slug(), sw)
    ok(_("software {ref} added", ref=ref))
    return 0


@software_grp.command("edit")
@click.argument("ref")
@click.option("--set", "pairs", multiple=True, metavar="FIELD=VALUE", help="Field to change.")
@pass_ctx
def software_edit(c: Ctx, ref: str, pairs: tuple[str, ...]) -> int:
    """Change fields of a software or support (values read as YAML).

    \b
    Example:
      rgpd --org mairie software edit parapheur --set version=5.2 --set country=FR
    """
    changes: dict[str, Any] = {}
    for p in pairs:
        if "=" not in p:
            raise InvalidInput("--set", _("expected FIELD=VALUE, got {value!r}", value=p))
        k, v = p.split("=", 1)
        changes[k.strip()] = yaml.safe_load(v) if v else None
    software_service.update_software(c.ws, c.org_slug(), ref, changes)
    ok(_("software {ref} updated", ref=ref))
    return 0


@software_grp.command("list")
@click.option("--kind", type=click.Choice([k.value for k in SoftwareKind]))
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def software_list(c: Ctx, kind: str | None, as_json: bool) -> int:
    """List the software and supports.

    \b
    Example:
      rgpd --org mairie software list --kind support
    """
    items = software_service.list_software(
        c.ws, c.org_slug(), kind=SoftwareKind(kind) if kind else None
    )
    if as_json:
        emit_json([sw.model_dump(mode="json", exclude_none=True) for sw in items])
        return 0
    table(
        _("{n} software and supports", n=len(items)),
        [_("ref"), _("name"), _("kind"), _("editor"), _("hosting"), _("country"), _("activities")],
        [
            [
                sw.ref,
                sw.name,
                labels.support_medium(sw.medium) if sw.medium else labels.software_kind(sw.kind),
                sw.editor,
                labels.hosting(sw.hosting) if sw.hosting else "",
                sw.country,
                ", ".join(sw.activities),
            ]
            for sw in items
        ],
    )
    return 0


@software_grp.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def software_show(c: Ctx, ref: str, as_json: bool) -> int:
    """Show one software or support with its links.

    \b
    Example:
      rgpd --org mairie software show parapheur
    """
    data = software_service.get_software(c.ws, c.org_slug(), ref).model_dump(
        mode="json", exclude_none=True, exclude_defaults=True
    )
    if as_json:
        emit_json(data)
    else:
        click.echo(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return 0


@software_grp.command("link")
@click.argument("ref")
@click.option("--activity", "activities", multiple=True, help="Activity reference (repeatable).")
@click.option("--processor", "processors", multiple=True, help="Processor reference (repeatable).")
@click.option("--unlink", is_flag=True, help="Remove these links instead of adding them.")
@pass_ctx
def software_link(
    c: Ctx, ref: str, activities: tuple[str, ...], processors: tuple[str, ...], unlink: bool
) -> int:
    """Link a software or support to activities and processors (or --unlink).

    \b
    Example:
      rgpd --org mairie software link parapheur --activity deliberations --processor hebergeur
    """
    if not activities and not processors:
        raise InvalidInput("--activity", _("name at least one --activity or --processor"))
    sw = software_service.link_software(
        c.ws, c.org_slug(), ref, activities=activities, processors=processors, unlink=unlink
    )
    ok(
        _(
            "{ref}: activities {acts}; processors {procs}",
            ref=ref,
            acts=", ".join(sw.activities) or "—",
            procs=", ".join(sw.processors) or "—",
        )
    )
    return 0


@software_grp.command("remove")
@click.argument("ref")
@pass_ctx
def software_remove(c: Ctx, ref: str) -> int:
    """Remove a software or support (the audit log keeps what it was).

    \b
    Example:
      rgpd --org mairie software remove vieux-serveur
    """
    software_service.delete_software(c.ws, c.org_slug(), ref)
    ok(_("software {ref} removed", ref=ref))
    return 0


def register(cli: click.Group) -> None:
    cli.add_command(software_grp)
