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


def _figure(chart: Chart, accent: str) -> Figure:
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
