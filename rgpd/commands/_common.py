"""Shared plumbing of the command modules: the context object and output helpers.

Commands parse, make one call into the rgpd API, and render; nothing here decides.
"""

from __future__ import annotations

import json
import re
import sys
import textwrap
import unicodedata
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

import click
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from rgpd.config import Settings, load_settings
from rgpd.i18n import _
from rgpd.workspace import Workspace, open_workspace


@dataclass
class Ctx:
    db_url: str | None = None
    org: str | None = None
    lang: str | None = None
    actor: str | None = None
    config: str | None = None
    _ws: Workspace | None = field(default=None, repr=False)
    _settings: Settings | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # One invocation, one --wide: the root group makes a Ctx before the command's
        # options are parsed, so a program running many commands does not inherit it.
        global _wide
        _wide = False

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from pathlib import Path

            self._settings = load_settings(
                config_file=Path(self.config) if self.config else None,
                overrides={"database_url": self.db_url, "org": self.org},
            )
        return self._settings

    @property
    def ws(self) -> Workspace:
        if self._ws is None:
            self._ws = open_workspace(self.settings, actor=self.actor)
        return self._ws

    def org_slug(self, explicit: str | None = None) -> str:
        from rgpd.errors import ConfigError

        slug = explicit or self.org or self.settings.org
        if not slug:
            raise ConfigError(_("no organisation selected: use --org SLUG or set RGPD_ORG"))
        return slug


pass_ctx = click.make_pass_decorator(Ctx, ensure=True)


def _width() -> int | None:
    """Wider tables when piped (cron mail, logs): rich would otherwise wrap at 80 columns."""
    import os

    if sys.stdout.isatty() or os.environ.get("COLUMNS"):
        return None
    return 140


#: Characters that change how a line reads without being seen: bidi embeddings and
#: overrides (U+202A-U+202E, U+2066-U+2069), zero-width spaces and joiners, other
#: format (Cf) and control (Cc) characters. A file named "facture\u202etxt.exe"
#: must not show as "factureexe.txt".
def _invisible(ch: str) -> bool:
    return ch not in "\n\t" and unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs", "Zl", "Zp")


def visible(text: str) -> str:
    """``text`` with every invisible or direction-changing character shown as ``<U+XXXX>``."""
    if all(ch.isprintable() or ch in "\n\t" for ch in text) and not any(
        _invisible(ch) for ch in text
    ):
        return text
    return "".join(f"<U+{ord(ch):04X}>" if _invisible(ch) else ch for ch in text)


def as_text(value: Any, style: str = "") -> Text:
    """A value from a citizen, a file name or a database, as Rich text: never markup."""
    return Text(visible("" if value is None else str(value)), style=style)


class SafeConsole(Console):
    """A console on which a string is text, never markup (issue 13: console markup injection).

    Everything printed here may hold a citizen's name, a file name or a database
    value; ``[/red]`` in a first name used to crash ``requests show`` and
    ``[link=…]`` to hide a link in the DPO's terminal. So a ``str`` is printed as
    plain text with invisible characters made visible. Styling goes through
    ``style=`` or :class:`rich.text.Text` (``as_text``); ``markup=True`` is for
    templates whose interpolated values were passed through ``escape``.
    """

    def print(self, *objects: Any, markup: bool | None = None, **kwargs: Any) -> None:  # type: ignore[override]
        if not markup:
            objects = tuple(as_text(self._wrapped(o)) if isinstance(o, str) else o for o in objects)
        super().print(*objects, markup=bool(markup), **kwargs)

    def _wrapped(self, text: str) -> str:
        """A sentence folded at the output's width on spaces only (issue 12: 80 columns).

        Rich would cut a path or an e-mail address in two at the margin; a word longer
        than the line stays whole on a line of its own.
        """
        width = self.width
        if all(len(line) <= width for line in text.splitlines()):
            return text
        return "\n".join(
            textwrap.fill(line, width, break_long_words=False, break_on_hyphens=False) or line
            for line in text.splitlines()
        )


console = SafeConsole(highlight=False, soft_wrap=True, width=_width(), emoji=False)


def fit_console() -> None:
    """Re-read the output's width at each command, not once at import.

    A program (or a test run) that imports rgpd once and runs many commands would
    otherwise keep whatever ``COLUMNS`` said at import time.
    """
    global _wide
    console._width = _width()  # None: rich measures the terminal (and COLUMNS) itself
    _wide = False


err_console = SafeConsole(stderr=True, highlight=False, soft_wrap=True, emoji=False)


@dataclass(frozen=True)
class Column:
    """A table column; a ``wide`` one is shown only with ``--wide``.

    Listing commands show the few columns a DPO reads at an 80-column terminal
    (issue 12); ``--wide`` adds the rest, ``--json``/``--format jsonl`` has everything.
    """

    header: str
    wide: bool = False


#: ``--wide`` given to the running command (set by :func:`wide_option`, reset by
#: :func:`fit_console` at each command, like the console's width).
_wide = False


def _set_wide(_ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    global _wide
    _wide = bool(value)
    return value


def wide_option(f: Any) -> Any:
    """``--wide``: every column instead of the ones that fit 80 columns."""
    return click.option(
        "--wide",
        is_flag=True,
        expose_value=False,
        callback=_set_wide,
        help="Show every column (the default fits an 80-column terminal).",
    )(f)


#: A token that must never be cut: a date, a time, a number, a score
#: ("2026-12-02", "14:30", "0.85", "6(1)(e)" is not one: it may be shortened).
_WHOLE = re.compile(r"^[\d][\d\-:/.,+%T]*$")
_TOKEN = re.compile(r"\S+")
#: Below this a shortened word is no longer recognisable.
_MIN_WORD = 10


def _is_path(token: str) -> bool:
    return "/" in token.strip("/") or "\\" in token


def _shorten(token: str, width: int) -> str:
    """``token`` cut to ``width`` cells with an ellipsis; a path keeps its end (the file name)."""
    if cell_len(token) <= width:
        return token
    if _is_path(token):
        tail = token
        while cell_len(tail) > width - 1:
            tail = tail[1:]
        return "…" + tail
    head = token
    while cell_len(head) > width - 1:
        head = head[:-1]
    return head + "…"


def fit_columns(headers: list[str], rows: list[list[str]], budget: int) -> list[int]:
    """Column widths within ``budget`` cells that never cut a word.

    Each column is at least as wide as its longest word, so wrapping happens on
    spaces only (issue 12: ``videoprotecti/on``, ``2026-12-0/2``). When the words
    do not fit, the longest ones are shortened (down to ``_MIN_WORD`` cells, with
    an ellipsis) but dates and numbers never are. What is left is shared so that
    short columns fit on one line first (water filling).
    """
    n = len(headers)
    cols = [[h, *(r[i] for r in rows)] for i, h in enumerate(headers)]
    need, floor, full = [], [], []
    for cells in cols:
        words = [w for c in cells for w in _TOKEN.findall(c)] or [""]
        # a path shortened to its end still names its file: it gives way first
        longest = max(min(cell_len(w), _MIN_WORD) if _is_path(w) else cell_len(w) for w in words)
        whole = max((cell_len(w) for w in words if _WHOLE.match(w)), default=1)
        need.append(max(longest, 1))
        floor.append(max(whole, min(longest, _MIN_WORD), 1))
        full.append(max(cell_len(line) for c in cells for line in (c.splitlines() or [""])))
    widths = list(need)
    excess = sum(widths) - budget
    while excess > 0:
        i = max(range(n), key=lambda k: widths[k] - floor[k])
        if widths[i] <= floor[i]:
            # Too many columns for the width even with words shortened: dates and numbers
            # too get an ellipsis (down to 3 cells) rather than be split by the renderer.
            i = max(range(n), key=lambda k: widths[k])
            if widths[i] <= 3:
                break
        widths[i] -= 1
        excess -= 1
    extra = budget - sum(widths)
    for k, i in enumerate(sorted(range(n), key=lambda j: full[j] - widths[j])):
        give = min(max(full[i] - widths[i], 0), max(extra, 0) // (n - k))
        widths[i] += give
        extra -= give
    return widths


def table(
    title: str | None,
    columns: list[str | Column],
    rows: list[list[Any]],
    *,
    wide: bool | None = None,
) -> None:
    """Rows of values rendered as text (a cell never becomes markup), fitted to the terminal.

    The one table of the CLI: columns marked ``Column(..., wide=True)`` only with
    ``--wide``; widths from :func:`fit_columns` so no word is ever split across
    lines; a word too long for its column is shortened with an ellipsis.
    """
    show_all = _wide if wide is None else wide
    keep = [i for i, c in enumerate(columns) if show_all or not (isinstance(c, Column) and c.wide)]
    headers = [
        visible(c.header if isinstance(c, Column) else str(c)) for c in (columns[i] for i in keep)
    ]
    cells = [[visible("" if r[i] is None else str(r[i])) for i in keep] for r in rows]
    budget = console.width - (3 * len(keep) + 1)  # borders and one space of padding each side
    widths = fit_columns(headers, cells, budget)

    def cut(text: str, width: int) -> Text:
        return Text(_TOKEN.sub(lambda m: _shorten(m.group(0), width), text))

    t = Table(title=as_text(title) if title else None, show_lines=False, header_style="bold")
    for h, w in zip(headers, widths, strict=True):
        t.add_column(cut(h, w), width=w, overflow="fold")
    for r in cells:
        t.add_row(*[cut(v, w) for v, w in zip(r, widths, strict=True)])
    console.print(t)


def emit_json(obj: Any) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def emit_jsonl(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def when(d: Any, tz: tzinfo) -> str:
    """A date-time as the DPO reads it: the organisation's local time (``ws.timezone``), to the minute."""
    from datetime import datetime

    if isinstance(d, datetime):
        if d.tzinfo is not None:
            d = d.astimezone(tz)
        return d.strftime("%Y-%m-%d %H:%M")
    return "—" if d is None else str(d)


def ok(msg: str) -> None:
    console.print(Text.assemble(("✓", "green"), " ", as_text(msg)))


def warn(msg: str) -> None:
    err_console.print(Text.assemble(("!", "yellow"), " ", as_text(msg)))
