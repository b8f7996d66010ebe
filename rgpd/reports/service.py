"""The one call the CLI makes: load, build, render and write one report file.

Split so programs can stop at any step: :func:`build` returns the typed
:class:`~rgpd.reports.context.Report`, :func:`render` its bytes for a format,
:func:`generate` writes ``<stem>-<org>-<date>.<ext>`` under the reports folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rgpd.errors import ConfigError, InvalidInput
from rgpd.i18n import _, get_language, use_language
from rgpd.reports.context import FILE_STEMS, Report, ReportKind, build_report, key_figures
from rgpd.reports.loaders import load_org, load_orgs, org_slugs
from rgpd.workspace import Workspace

if TYPE_CHECKING:
    from rgpd.actions.service import SyncResult

FORMATS = ("html", "pdf", "csv", "xlsx", "ods")
ALL_ORGS_SLUG = "toutes-organisations"


@dataclass(frozen=True)
class Written:
    path: Path
    report: Report


def _kind(kind: ReportKind | str) -> ReportKind:
    try:
        return ReportKind(kind)
    except ValueError:
        raise InvalidInput("report", _("unknown report {kind}", kind=str(kind))) from None


def build(
    ws: Workspace,
    kind: ReportKind | str,
    *,
    org: str | None = None,
    all_orgs: bool = False,
    year: int | None = None,
    today: date | None = None,
    now: datetime | None = None,
) -> Report:
    """Read the organisation(s) and build the report's contexts (current language)."""
    k = _kind(kind)
    slugs = org_slugs(ws) if all_orgs else [ws.org_slug(org)]
    if year is not None and not 1900 < year < 3000:
        raise InvalidInput("--year", _("expected a year such as 2026"))
    datas = load_orgs(ws, slugs)
    return build_report(
        k,
        datas,
        today=today or ws.today(),
        now=now or ws.now(),
        year=year,
        consolidated=all_orgs,
        lang=get_language(),
    )


def templates_dir(ws: Workspace, explicit: Path | None = None) -> Path | None:
    """``--templates DIR``, else ``[reports] templates`` in rgpd.toml, else none."""
    if explicit is not None:
        return explicit
    section = ws.settings.raw.get("reports", {})
    if not isinstance(section, dict):
        raise ConfigError(_("[reports] in rgpd.toml must be a table"))
    value = section.get("templates")
    return ws.settings.path(str(value)) if value else None


def render(
    ws: Workspace, report: Report, fmt: str, *, templates: Path | None = None
) -> str | bytes:
    """The file content of ``report`` in ``fmt`` (text for html/csv, bytes otherwise)."""
    from rgpd.reports import render as r

    if fmt not in FORMATS:
        raise InvalidInput("--format", _("unknown format {fmt}", fmt=fmt))
    single_register = report.kind == ReportKind.REGISTER and not report.consolidated
    if fmt in ("html", "pdf"):
        html = r.render_html(
            report,
            templates_dir=templates_dir(ws, templates),
            logo_base=ws.settings.base_dir,
            for_pdf=fmt == "pdf",
        )
        return html if fmt == "html" else r.render_pdf(html)
    if fmt == "ods" and not single_register:
        raise InvalidInput(
            "--format", _("ods is available for the register of one organisation only")
        )
    if single_register and fmt in ("csv", "ods"):
        # The CNIL layout, one row per activity: it re-imports with `rgpd registry import`.
        from rgpd.registry import service as registry
        from rgpd.registry.io import export_csv, export_ods

        register = registry.export_register(ws, report.sections[0].org.slug)
        return export_csv(register) if fmt == "csv" else export_ods(register)
    if fmt == "csv":
        return r.render_csv(report)
    return r.render_xlsx(report)


def generate(
    ws: Workspace,
    kind: ReportKind | str,
    *,
    org: str | None = None,
    all_orgs: bool = False,
    fmt: str = "html",
    out_dir: Path | None = None,
    year: int | None = None,
    lang: str | None = None,
    templates: Path | None = None,
    today: date | None = None,
    now: datetime | None = None,
) -> Written:
    """Build, render and write one report; returns the path written."""
    with use_language(lang or get_language()):
        today = today or ws.today()
        report = build(ws, kind, org=org, all_orgs=all_orgs, year=year, today=today, now=now)
        content = render(ws, report, fmt, templates=templates)
    folder = out_dir or ws.reports_dir()
    folder.mkdir(parents=True, exist_ok=True)
    slug = ALL_ORGS_SLUG if all_orgs else report.sections[0].org.slug
    path = folder / f"{FILE_STEMS[report.kind]}-{slug}-{today.isoformat()}.{fmt}"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return Written(path, report)


def summary(
    ws: Workspace,
    kind: ReportKind | str,
    *,
    org: str | None = None,
    all_orgs: bool = False,
    year: int | None = None,
    lang: str | None = None,
    today: date | None = None,
    now: datetime | None = None,
) -> dict[str, object]:
    """``rgpd report KIND --json``: the key figures and, where shown, the compliance score.

    The score is :func:`rgpd.registry.compliance.compliance_score`'s, the same as
    in every rendered report of the same day.
    """
    with use_language(lang or get_language()):
        report = build(ws, kind, org=org, all_orgs=all_orgs, year=year, today=today, now=now)
        return {
            "report": report.kind.value,
            "generated_on": report.generated_on.isoformat(),
            "organisations": [
                {
                    "org": s.org.slug,
                    "figures": key_figures(s),
                    "compliance": s.compliance.result.public() if s.compliance else None,
                }
                for s in report.sections
            ],
        }


def build_dpia_context(ws: Workspace, org: str, ref: str, *, today: date | None = None) -> Any:
    """The DPIA ``ref`` of ``org`` as a document context (current language)."""
    from rgpd.registry import service as registry
    from rgpd.registry.dpia import service as dpias
    from rgpd.reports.context.dpia import build_dpia

    rec = dpias.get(ws, org, ref)
    return build_dpia(
        rec.dpia,
        registry.get_org(ws, org),
        today=today or ws.today(),
        lang=get_language(),
        review=rec.review.reasons,
    )


def generate_dpia(
    ws: Workspace,
    org: str,
    ref: str,
    *,
    fmt: str = "html",
    out_dir: Path | None = None,
    lang: str | None = None,
    templates: Path | None = None,
    today: date | None = None,
) -> Path:
    """Write one DPIA in the CNIL layout (HTML or PDF) as ``aipd-<ref>-<org>-<date>.<ext>``."""
    from rgpd.reports import render as r

    if fmt not in ("html", "pdf"):
        raise InvalidInput("--format", _("unknown format {fmt}", fmt=fmt))
    with use_language(lang or get_language()):
        today = today or ws.today()
        ctx = build_dpia_context(ws, org, ref, today=today)
        html = r.render_dpia_html(
            ctx,
            templates_dir=templates_dir(ws, templates),
            logo_base=ws.settings.base_dir,
            for_pdf=fmt == "pdf",
        )
        content: str | bytes = html if fmt == "html" else r.render_pdf(html)
    folder = out_dir or ws.reports_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"aipd-{ref}-{org}-{today.isoformat()}.{fmt}"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def plan_actions(
    ws: Workspace,
    org: str,
    *,
    include_all: bool = False,
    close_resolved: bool = False,
    today: date | None = None,
    now: datetime | None = None,
) -> SyncResult:
    """``rgpd actions from-report``: the compliance report's score, planned as actions.

    The score is built here, from the same loader and the same
    :func:`~rgpd.reports.context.score_of` as ``rgpd report compliance``, so the plan and
    the report agree; the action plan itself is kept by :mod:`rgpd.actions.service`.
    """
    from rgpd.actions.service import sync_from_report
    from rgpd.reports.context import score_of

    today = today or ws.today()
    now = now or ws.now()
    result = score_of(load_org(ws, org), today, now)
    return sync_from_report(
        ws,
        org,
        result,
        include_all=include_all,
        close_resolved=close_resolved,
        today=today,
        now=now,
    )
