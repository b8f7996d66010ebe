"""Charts as inline SVG, drawn by matplotlib's SVG backend.

Text stays text (``svg.fonttype = 'none'``) with a generic font family, so no
font file is embedded or fetched; the hash salt and the removed metadata make the
output identical from one run to the next (snapshot tests), and ids are prefixed
per chart so several charts can live in one HTML page.
"""

from __future__ import annotations

import io
import re
from typing import Any
from xml.sax.saxutils import escape

import matplotlib

matplotlib.use("svg")

from matplotlib import pyplot as plt
from matplotlib.figure import Figure

from rgpd.reports.context import Chart

_RC: dict[str, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "rgpd-reports",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#555555",
    "axes.titlesize": 10,
    "svg.image_inline": True,
}

#: Colour-blind-safe palette (Okabe-Ito), darkest first for contrast on white.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")


def _risk_map(chart: Chart, accent: str) -> Figure:
    """The CNIL risk map: likelihood across, severity up (levels 1-4), each feared event
    before (hollow) and after (filled) the planned measures, an arrow between the two.

    Series order: severity before, likelihood before, severity after, likelihood after.
    """
    from matplotlib.patches import Circle, Rectangle

    fig = plt.figure(figsize=(7.0, 4.2))
    ax = fig.add_axes((0.08, 0.12, 0.5, 0.84))  # the legend gets the right-hand side
    for x in range(1, 5):
        for y in range(1, 5):
            score = x + y
            colour = "#d9f0d3" if score <= 4 else "#fde7c4" if score <= 6 else "#f8d0d0"
            ax.add_patch(Rectangle((x - 0.5, y - 0.5), 1, 1, color=colour, zorder=0))
    sev_b, lik_b, sev_a, lik_a = (s.values for s in chart.series)
    offsets = (-0.18, 0.0, 0.18)
    for i, name in enumerate(chart.categories):
        colour = PALETTE[i % len(PALETTE)]
        dx = offsets[i % len(offsets)]
        before = (lik_b[i] + dx, sev_b[i] + dx) if lik_b[i] and sev_b[i] else None
        after = (lik_a[i] + dx, sev_a[i] + dx) if lik_a[i] and sev_a[i] else None
        # circles as patches, not markers: markers are drawn with <use>, which some SVG
        # renderers (WeasyPrint's, for the PDF) leave out
        if before:
            ax.add_patch(Circle(before, 0.14, facecolor="white", edgecolor=colour, lw=2, zorder=3))
            ax.annotate(str(i + 1), before, ha="center", va="center", fontsize=7, zorder=4)
        if after:
            ax.add_patch(Circle(after, 0.14, color=colour, zorder=3))
            ax.annotate(
                str(i + 1), after, ha="center", va="center", fontsize=7, color="white", zorder=4
            )
        ax.plot([], [], marker="o", color=colour, linestyle="none", label=f"{i + 1}. {name}")
        if before and after and before != after:
            ax.annotate(
                "",
                xy=after,
                xytext=before,
                zorder=2,
                arrowprops={"arrowstyle": "->", "color": colour, "lw": 1.2},
            )
    ticks = [1, 2, 3, 4]
    ax.set_xlim(0.5, 4.5)
    ax.set_ylim(0.5, 4.5)
    ax.set_aspect("equal")
    ax.set_xticks(ticks, labels=[str(t) for t in ticks])
    ax.set_yticks(ticks, labels=[str(t) for t in ticks])
    ax.set_xlabel(chart.unit.split("|")[0] if "|" in chart.unit else "")
    ax.set_ylabel(chart.unit.split("|")[1] if "|" in chart.unit else "")
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return fig


def _figure(chart: Chart, accent: str) -> Figure:
    if chart.kind == "riskmap":
        return _risk_map(chart, accent)
    n = len(chart.categories)
    if chart.kind == "hbar":
        fig = plt.figure(figsize=(7.0, max(1.6, 0.32 * n + 0.8)))
    else:
        fig = plt.figure(figsize=(7.0, 2.8))
    ax = fig.add_subplot(1, 1, 1)
    colours = (accent, *PALETTE[1:])
    if chart.kind == "hbar":
        values = chart.series[0].values
        pos = list(range(n))[::-1]
        bars = ax.barh(pos, values, color=colours[0], height=0.6)
        ax.set_yticks(pos, labels=list(chart.categories))
        ax.bar_label(bars, labels=[_num(v) for v in values], padding=3, fontsize=8)
        ax.spines["left"].set_visible(False)
        ax.tick_params(axis="y", length=0)
        ax.set_xlim(0, (max(values) if values else 1) * 1.18 or 1)
    elif chart.kind == "bar":
        k = len(chart.series)
        width = 0.8 / max(k, 1)
        for j, s in enumerate(chart.series):
            xs = [i + (j - (k - 1) / 2) * width for i in range(n)]
            ax.bar(xs, s.values, width=width, label=s.name, color=colours[j % len(colours)])
        ax.set_xticks(list(range(n)), labels=_wrapped(chart.categories))
        ax.legend(frameon=False, fontsize=8, ncols=min(k, 3), loc="upper left")
    else:
        for j, s in enumerate(chart.series):
            ax.plot(
                list(range(n)),
                s.values,
                marker="o",
                markersize=3,
                label=s.name,
                color=colours[j % len(colours)],
            )
        ax.set_xticks(list(range(n)), labels=list(chart.categories))
        ax.legend(frameon=False, fontsize=8, ncols=min(len(chart.series), 3), loc="upper left")
    if chart.kind != "hbar":
        from matplotlib.ticker import MaxNLocator

        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        top = max((v for s in chart.series for v in s.values), default=0)
        if chart.y_max:
            # a fixed scale (a score out of 10): room above it for the legend
            ax.set_ylim(0, chart.y_max * 1.25)
            ax.set_yticks([t for t in ax.get_yticks() if 0 <= t <= chart.y_max])
        else:
            ax.set_ylim(0, max(1.0, top * 1.25))
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
    fig.tight_layout()
    return fig


def _wrapped(categories: tuple[str, ...]) -> list[str]:
    """Long category names on two lines, so neighbours do not overlap (« Droits des personnes »)."""
    import textwrap

    return [textwrap.fill(c, 14, break_long_words=False) if len(c) > 14 else c for c in categories]


def _num(v: float) -> str:
    from rgpd.i18n import format_number

    return format_number(int(v) if float(v).is_integer() else v)


_DROP = [
    re.compile(r"<\?xml[^>]*\?>\s*"),
    re.compile(r"<!DOCTYPE[^>]*>\s*"),
    re.compile(r"<metadata>.*?</metadata>\s*", re.S),
]


def chart_svg(chart: Chart, *, accent: str = PALETTE[0], dom_id: str | None = None) -> str:
    """The chart as an ``<svg role="img">`` element with a ``<title>`` and ``<desc>``."""
    prefix = dom_id or chart.key
    with plt.rc_context(_RC):  # type: ignore[arg-type]
        fig = _figure(chart, accent)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
        plt.close(fig)
    svg = buf.getvalue()
    for pat in _DROP:
        svg = pat.sub("", svg)
    # Unique ids per chart: several charts share one HTML document.
    svg = re.sub(r'id="([^"]+)"', rf'id="{prefix}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", svg)
    svg = re.sub(r'xlink:href="#([^"]+)"', rf'xlink:href="#{prefix}-\1"', svg)
    svg = re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', svg)
    title_id, desc_id = f"{prefix}-title", f"{prefix}-desc"
    svg = re.sub(
        r"<svg ",
        f'<svg role="img" aria-labelledby="{title_id} {desc_id}" ',
        svg,
        count=1,
    )
    svg = re.sub(
        r"(<svg[^>]*>)",
        rf'\1<title id="{title_id}">{escape(chart.title)}</title>'
        rf'<desc id="{desc_id}">{escape(chart.summary)}</desc>',
        svg,
        count=1,
    )
    # fixed pixel size -> scales with the page
    svg = re.sub(r'(<svg[^>]*?) width="[^"]+" height="[^"]+"', r'\1 width="100%"', svg, count=1)
    return svg.strip()
