"""``rgpd forms``: the citizens' request forms, generated from the register (issue 5)."""

from __future__ import annotations

from pathlib import Path

import click

from rgpd.commands._common import Ctx, console, emit_json, ok, pass_ctx, warn
from rgpd.i18n import _


@click.group("forms")
def forms_grp() -> None:
    """Citizens' request forms (Arts. 15-21 GDPR, loi n° 78-17 art. 85).

    \b
    Example:
      rgpd --org mairie forms build --out site/ --pdf
    """


@forms_grp.command("build")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Output directory; pages go to OUT/<org>/ (served by `rgpd serve --forms OUT`).",
)
@click.option(
    "--lang",
    "langs",
    multiple=True,
    type=click.Choice(["fr", "en"]),
    help="Languages to build (repeatable; default: fr and en).",
)
@click.option(
    "--action-base",
    default="",
    metavar="PREFIX",
    help="Prefix of the forms' action when `rgpd serve` sits under a sub-path of the reverse "
    "proxy (e.g. /rgpd); the pages must be served by `rgpd serve` for their CSRF token.",
)
@click.option(
    "--pdf", is_flag=True, help="Also write a printable PDF of each form (paper, counter)."
)
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
@pass_ctx
def forms_build(
    c: Ctx, out_dir: str, langs: tuple[str, ...], action_base: str, pdf: bool, as_json: bool
) -> int:
    """Build the static, accessible request forms of an organisation from its register.

    \b
    Example:
      rgpd --org mairie forms build --out site/ --pdf
      rgpd serve --forms site/        # then open http://127.0.0.1:8080/o/mairie/
    """
    from rgpd.requests.forms import build_forms

    slug = c.org_slug()
    res = build_forms(
        c.ws, slug, Path(out_dir), langs=langs or ("fr", "en"), action_base=action_base, pdf=pdf
    )
    if as_json:
        emit_json(
            {
                "org": slug,
                "dir": str(res.out_dir),
                "rights": [r.value for r in res.rights],
                "pages": [str(p) for p in res.pages],
                "pdfs": [str(p) for p in res.pdfs],
                "warnings": res.warnings,
            }
        )
    else:
        for w in res.warnings:
            warn(w)
        ok(
            _(
                "{n} pages and {m} PDF written to {dir}",
                n=len(res.pages),
                m=len(res.pdfs),
                dir=res.out_dir,
            )
        )
        console.print(_("Entry page: {path}", path=res.out_dir / "index.html"), markup=False)
    return 0


def register(cli: click.Group) -> None:
    cli.add_command(forms_grp)
