"""`rgpd report ...`: the DPO's reports, as self-contained HTML, PDF, CSV or XLSX files."""

from __future__ import annotations

from pathlib import Path

import click

from rgpd.commands._common import Ctx, console, emit_json, pass_ctx
from rgpd.i18n import _
from rgpd.reports.context import ReportKind

_HELP = {
    ReportKind.REGISTER: (
        "The register in the CNIL's layout, one sheet per activity, plus the public register.",
        "rgpd --org mairie report register --format xlsx",
    ),
    ReportKind.SCAN: (
        "Where personal data was found: by location and department, special categories, NIR, "
        "errors, changes since the previous scan, reconciliation with the register.",
        "rgpd report scan --org mairie --format pdf",
    ),
    ReportKind.REQUESTS: (
        "Citizens' requests: counts, response times, share on time, open and overdue requests, "
        "refusals and their grounds.",
        "rgpd report requests --org mairie --year 2026",
    ),
    ReportKind.BREACHES: (
        "Breaches with their 72-hour clocks (Art. 33) and decisions (Art. 34).",
        "rgpd report breaches --org mairie",
    ),
    ReportKind.COMPLIANCE: (
        "The compliance scorecard, every point explained, and the ten actions to take first.",
        "rgpd report compliance --all-orgs",
    ),
    ReportKind.ANNUAL: (
        "The DPO's annual report: all of the above with the year's monthly trends.",
        "rgpd report annual --org mairie --year 2026 --format pdf",
    ),
}


def _make(kind: ReportKind) -> click.Command:
    summary, example = _HELP[kind]

    @click.command(kind.value, help=f"{summary}\n\n\b\nExample:\n  {example}")
    @click.option("--org", "org", metavar="SLUG", help="Organisation (default: the global --org).")
    @click.option("--all-orgs", is_flag=True, help="Consolidated view of every organisation.")
    @click.option(
        "--format",
        "fmt",
        type=click.Choice(["html", "pdf", "csv", "xlsx", "ods"]),
        default="html",
        show_default=True,
        help="ods: the register only.",
    )
    @click.option(
        "--out",
        "out",
        type=click.Path(file_okay=False, path_type=Path),
        help="Output folder (default: ./reports).",
    )
    @click.option("--year", type=int, help="Calendar year covered (annual: the current year).")
    @click.option(
        "--lang",
        "lang",
        type=click.Choice(["fr", "en"]),
        help="Language of the report (default: the global --lang, French).",
    )
    @click.option(
        "--templates",
        type=click.Path(file_okay=False, path_type=Path),
        help="Folder of templates overriding the built-in ones.",
    )
    @click.option(
        "--json",
        "as_json",
        is_flag=True,
        help="Print the key figures and the compliance score as JSON; no file written.",
    )
    @pass_ctx
    def cmd(
        c: Ctx,
        org: str | None,
        all_orgs: bool,
        fmt: str,
        out: Path | None,
        year: int | None,
        lang: str | None,
        templates: Path | None,
        as_json: bool,
    ) -> int:
        from rgpd.reports.service import generate, summary

        if org and all_orgs:
            raise click.UsageError(_("use either --org or --all-orgs, not both"))
        if as_json:
            emit_json(
                summary(
                    c.ws,
                    kind,
                    org=None if all_orgs else c.org_slug(org),
                    all_orgs=all_orgs,
                    year=year,
                    lang=lang or c.lang,
                )
            )
            return 0
        written = generate(
            c.ws,
            kind,
            org=None if all_orgs else c.org_slug(org),
            all_orgs=all_orgs,
            fmt=fmt,
            out_dir=out,
            year=year,
            lang=lang or c.lang,
            templates=templates,
        )
        console.print(str(written.path), markup=False, highlight=False, soft_wrap=True)
        return 0

    return cmd


@click.group("report")
def report_grp() -> None:
    """DPO reports: register, data map, requests, breaches, compliance, annual report.

    Files go to ./reports/ (one per report and date) and the path is printed.

    \b
    Example:
      rgpd --org mairie report annual
    """


for _kind in ReportKind:
    report_grp.add_command(_make(_kind))


def register(cli: click.Group) -> None:
    cli.add_command(report_grp)
