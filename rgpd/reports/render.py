"""Rendering edge: report contexts → self-contained HTML, PDF (WeasyPrint), CSV, XLSX.

HTML comes from Jinja2 templates with autoescaping; an organisation overrides any
template (``report.css``, ``cover.html``, a part) by putting a file of the same
name in its own folder, searched first through a ``ChoiceLoader``. Tables are
great-tables HTML with inline styles, charts are inline SVG; the page loads
nothing from anywhere (no font, script, stylesheet or image URL), so it opens
offline inside a closed network and prints as it shows.
"""

from __future__ import annotations

import base64
import csv
import io
import mimetypes
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from rgpd.errors import InvalidInput
from rgpd.i18n import N_, _, format_date, format_number, format_percent
from rgpd.reports.context import Cell, Chart, Report, Table

TEMPLATES_DIR = Path(__file__).parent / "templates"


# ------------------------------------------------------------------------------ cells


def cell_text(v: Cell) -> str:
    """How a cell reads in the active language (dates and numbers through Babel)."""
    if v is None:
        return "—"
    if isinstance(v, bool):
        return _("yes") if v else _("no")
    if isinstance(v, datetime):
        return format_date(v, "short")
    if isinstance(v, date):
        return format_date(v, "medium")
    if isinstance(v, int | float):
        return format_number(v)
    return str(v)


def _numeric(rows: tuple[tuple[Cell, ...], ...], i: int) -> bool:
    vals = [r[i] for r in rows if r[i] is not None]
    return bool(vals) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals)


_ID_SAFE = re.compile(r"[^A-Za-z0-9_-]+")


def dom_id(*parts: str) -> str:
    return "-".join(_ID_SAFE.sub("_", p) for p in parts if p)


def table_html(
    t: Table, prefix: str = "", accent: str = "#1f4e79", *, inline_css: bool = True
) -> Markup:
    """A great-tables table with row headers (``<th scope="row">``).

    Inline styles for the HTML file (it survives copy-paste and e-mail clients); for
    the PDF, great-tables' classes styled once by ``report.css``, which WeasyPrint
    cascades several times faster than one style block or attribute set per table.
    """
    if not t.rows:
        return Markup('<p class="empty">{}</p>').format(t.empty_text or _("Nothing to show."))
    import polars as pl
    from great_tables import GT

    tid = dom_id("t", prefix, t.key)
    cols = [f"c{i}" for i in range(len(t.columns))]
    frame = pl.DataFrame(
        {c: [cell_text(r[i]) for r in t.rows] for i, c in enumerate(cols)},
        schema={c: pl.String for c in cols},
    )
    gt = GT(frame, rowname_col=cols[0], id=tid)
    gt = gt.tab_stubhead(label=t.columns[0] or " ")
    if len(cols) > 1:
        labels: dict[str, Any] = {c: t.columns[i] for i, c in enumerate(cols) if i}
        gt = gt.cols_label(labels)
    numeric = [c for i, c in enumerate(cols) if i and _numeric(t.rows, i)]
    if numeric:
        gt = gt.cols_align(align="right", columns=numeric)
    gt = gt.tab_options(
        table_font_size="10pt",
        table_width="100%",
        table_font_names=["DejaVu Sans", "Arial", "Helvetica", "sans-serif"],
        column_labels_background_color=accent,
        column_labels_font_weight="bold",
        data_row_padding="3px",
        table_border_top_color=accent,
        table_border_bottom_color=accent,
        stub_border_style="none",
    )
    html = gt.as_raw_html(inline_css=inline_css)
    if not inline_css:
        html = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    # ids derived from labels (the stub head) may hold spaces: keep them valid
    html = re.sub(
        rf'id="{re.escape(tid)}-([^"]*)"',
        lambda m: f'id="{tid}-{_ID_SAFE.sub("_", m.group(1))}"',
        html,
    )
    note = Markup('<p class="note">{}</p>').format(t.note) if t.note else Markup("")
    return Markup(html) + note


def chart_html(
    chart: Chart, prefix: str = "", accent: str = "#1f4e79", *, as_image: bool = False
) -> Markup:
    """Inline SVG with its text alternative and the data as a table (the fallback).

    ``as_image`` (PDF): the same SVG as a ``data:`` image, which WeasyPrint draws
    without cascading the page's CSS over every path.
    """
    from rgpd.reports.charts import chart_svg

    cid = dom_id("c", prefix, chart.key)
    if chart.empty:
        return Markup('<p class="empty">{}</p>').format(
            _("No data for the chart “{title}”.", title=chart.title)
        )
    raw = chart_svg(chart, accent=accent, dom_id=cid)
    if as_image:
        b64 = base64.b64encode(raw.encode("utf-8")).decode("ascii")
        svg = Markup(
            '<img class="chart-img" alt="{alt}" src="data:image/svg+xml;base64,{b64}">'
        ).format(alt=f"{chart.title}. {chart.summary}", b64=b64)
    else:
        svg = Markup(raw)
    data = _simple_table(chart.table, caption=chart.title)
    return Markup(
        '<figure class="chart" id="{id}">{svg}<figcaption>{summary}</figcaption>'
        '<details class="chart-data"><summary>{label}</summary>{data}</details></figure>'
    ).format(id=cid, svg=svg, summary=chart.summary, label=_("Chart data"), data=data)


def _simple_table(t: Table, caption: str) -> Markup:
    head = Markup("").join(Markup('<th scope="col">{}</th>').format(c) for c in t.columns)
    body = Markup("").join(
        Markup("<tr>")
        + Markup('<th scope="row">{}</th>').format(cell_text(r[0]))
        + Markup("").join(Markup("<td>{}</td>").format(cell_text(v)) for v in r[1:])
        + Markup("</tr>")
        for r in t.rows
    )
    return Markup(
        '<table class="plain"><caption>{}</caption><thead><tr>{}</tr></thead><tbody>{}</tbody></table>'
    ).format(caption, head, body)


# ------------------------------------------------------------------------------ answers

#: What an answer written in the CNIL PIA tool may keep: its rich-text editor's
#: structure, no attribute (no link, style, event handler or image: the page stays
#: self-contained and inert).
_SAFE_TAGS = frozenset(
    [
        "p",
        "br",
        "div",
        "span",
        "ul",
        "ol",
        "li",
        "strong",
        "b",
        "em",
        "i",
        "u",
        "s",
        "sub",
        "sup",
        "blockquote",
        "pre",
        "code",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    ]
)
_DROP_WITH_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "template"})


def safe_html(text: str | None) -> Markup:
    """An answer's HTML with only :data:`_SAFE_TAGS` kept, without attributes.

    Text without any tag is plain text: its line breaks are kept as ``<br>``.
    """
    from html.parser import HTMLParser

    if not text:
        return Markup("")
    if not re.search(r"<[a-zA-Z/!]", text):
        return Markup("<br>").join(Markup.escape(line) for line in text.splitlines())

    class _Clean(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.out: list[str] = []
            self.open: list[str] = []
            self.skip = 0

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag in _DROP_WITH_CONTENT:
                self.skip += 1
            elif not self.skip and tag in _SAFE_TAGS:
                if tag == "br":
                    self.out.append("<br>")
                else:
                    self.out.append(f"<{tag}>")
                    self.open.append(tag)

        def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if not self.skip and tag == "br":
                self.out.append("<br>")

        def handle_endtag(self, tag: str) -> None:
            if tag in _DROP_WITH_CONTENT:
                self.skip = max(0, self.skip - 1)
            elif not self.skip and tag in self.open:
                while self.open:
                    t = self.open.pop()
                    self.out.append(f"</{t}>")
                    if t == tag:
                        break

        def handle_data(self, data: str) -> None:
            if not self.skip:
                self.out.append(str(Markup.escape(data)))

    p = _Clean()
    p.feed(text)
    p.close()
    return Markup("".join(p.out) + "".join(f"</{t}>" for t in reversed(p.open)))


# ------------------------------------------------------------------------------ logo


def logo_data_uri(logo: str | None, base: Path | None = None) -> str | None:
    """The organisation's logo inlined as a ``data:`` URI (never a link to a file)."""
    if not logo:
        return None
    if logo.startswith("data:"):
        return logo
    p = Path(logo).expanduser()
    if not p.is_absolute() and base is not None:
        p = base / p
    try:
        raw = p.read_bytes()
    except OSError:
        return None
    mime = mimetypes.guess_type(p.name)[0] or "application/octet-stream"
    if not mime.startswith("image/"):
        return None
    return f"data:{mime};base64,{base64.b64encode(raw).decode('ascii')}"


# ------------------------------------------------------------------------------ html


@dataclass(frozen=True)
class TocEntry:
    id: str
    title: str
    level: int


_PART_TITLES = {
    "trends": N_("The year month by month"),
    "compliance": N_("Compliance score and actions"),
    "actions": N_("Action plan"),
    "maturity": N_("Maturity index (declared)"),
    "register": N_("Record of processing activities"),
    "scan": N_("Where personal data lives"),
    "requests": N_("Data subject requests"),
    "breaches": N_("Personal data breaches"),
}


def part_title(part: str) -> str:
    return _(_PART_TITLES[part])


def toc(report: Report) -> list[TocEntry]:
    out: list[TocEntry] = []
    if report.totals is not None:
        out.append(TocEntry("totals", _("All organisations"), 1))
    for s in report.sections:
        if report.consolidated:
            out.append(TocEntry(dom_id("org", s.org.slug), s.org.name, 1))
        for part in report.parts:
            if getattr(s, part) is None:
                continue
            out.append(
                TocEntry(
                    dom_id(s.org.slug, part), part_title(part), 2 if report.consolidated else 1
                )
            )
    return out


def make_env(templates_dir: Path | None = None, *, for_pdf: bool = False) -> Environment:
    """Jinja2 environment: the organisation's folder first, then the built-in templates."""
    loaders: list[Any] = []
    if templates_dir is not None:
        if not templates_dir.is_dir():
            raise InvalidInput("--templates", _("no such folder: {path}", path=str(templates_dir)))
        loaders.append(FileSystemLoader(str(templates_dir)))
    loaders.append(FileSystemLoader(str(TEMPLATES_DIR)))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        _=_,
        table=partial(table_html, inline_css=not for_pdf),
        chart=partial(chart_html, as_image=for_pdf),
        dom_id=dom_id,
        part_title=part_title,
        cell=cell_text,
    )
    env.filters.update(
        fdate=lambda d, fmt="long": format_date(d, fmt),
        fnum=lambda n: "—" if n is None else format_number(n),
        fpct=lambda x: "—" if x is None else format_percent(x),
    )
    return env


def render_html(
    report: Report,
    *,
    templates_dir: Path | None = None,
    logo_base: Path | None = None,
    for_pdf: bool = False,
) -> str:
    """The whole report as one self-contained HTML document (``for_pdf``: the variant
    WeasyPrint prints; same content)."""
    env = make_env(templates_dir, for_pdf=for_pdf)
    first = report.sections[0].org if report.sections else None
    accent = first.color_primary if first and not report.consolidated else "#1f4e79"
    logo = logo_data_uri(first.logo, logo_base) if first and not report.consolidated else None
    tpl = env.get_template("report.html")
    html = tpl.render(
        report=report,
        toc=toc(report),
        accent=accent,
        logo=logo,
        lang=report.lang,
        orgs_label=(
            _("{n} organisations", n=len(report.sections))
            if report.consolidated
            else (first.name if first else "")
        ),
    )
    return html


def render_dpia_html(
    ctx: Any,
    *,
    templates_dir: Path | None = None,
    logo_base: Path | None = None,
    for_pdf: bool = False,
) -> str:
    """One DPIA (:class:`~rgpd.reports.context.dpia.DpiaContext`) in the CNIL layout."""
    env = make_env(templates_dir, for_pdf=for_pdf)
    env.globals["answer"] = safe_html
    return env.get_template("dpia.html").render(
        d=ctx,
        accent=ctx.org.color_primary,
        logo=logo_data_uri(ctx.org.logo, logo_base),
        lang=ctx.lang,
    )


def render_pdf(html: str) -> bytes:
    """Print the HTML with WeasyPrint: page headers, page numbers and TOC page refs come
    from the print stylesheet (``@page`` margin boxes, ``target-counter``)."""
    from weasyprint import HTML

    out: bytes = HTML(string=html, base_url=None).write_pdf()
    return out


# ------------------------------------------------------------------------------ tables


def _plain(v: Cell) -> str | int | float:
    if v is None:
        return ""
    if isinstance(v, bool):
        return _("yes") if v else _("no")
    if isinstance(v, datetime):
        return v.isoformat(sep=" ", timespec="minutes")
    if isinstance(v, date):
        return v.isoformat()
    return v


def _safe(v: str | int | float) -> str | int | float:
    # CSV/XLSX injection: a cell starting with = + - @ is data, not a formula.
    if isinstance(v, str) and v.startswith(("=", "+", "-", "@")):
        return "'" + v
    return v


def render_csv(report: Report) -> str:
    """Every table one after the other (title row, header, rows, blank line); « ; » and a
    BOM, which is what a French spreadsheet expects."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    for t in report.tables():
        w.writerow([t.title])
        w.writerow(t.columns)
        for r in t.rows:
            w.writerow([_safe(_plain(v)) for v in r])
        if t.note:
            w.writerow([t.note])
        w.writerow([])
    return "\ufeff" + buf.getvalue()


def render_xlsx(report: Report) -> bytes:
    """One sheet per table (one per activity for the register)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    used: set[str] = set()
    for t in report.tables():
        name = re.sub(r"[\[\]:*?/\\]", " ", t.title)[:28].strip() or t.key[:28]
        base, n = name, 2
        while name.lower() in used:
            name = f"{base[:25]}…{n}"
            n += 1
        used.add(name.lower())
        ws = wb.create_sheet(name)
        ws.append([t.title])
        ws["A1"].font = Font(bold=True, size=12)
        ws.append(list(t.columns))
        for c in ws[2]:
            c.font = Font(bold=True)
        for r in t.rows:
            ws.append([_safe(_plain(v)) for v in r])
        if t.note:
            ws.append([t.note])
        for col in ws.columns:
            width = max((len(str(c.value or "")) for c in col[1:]), default=10)
            ws.column_dimensions[col[0].column_letter].width = min(60, max(10, width + 2))
            for c in col[2:]:
                c.alignment = Alignment(wrap_text=True, vertical="top")
    if not wb.sheetnames:
        wb.create_sheet(_("Report"))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
