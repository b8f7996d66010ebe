"""Shared plumbing of the command modules: the context object and output helpers.

Commands parse, make one call into the rgpd API, and render; nothing here decides.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import click
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
            objects = tuple(as_text(o) if isinstance(o, str) else o for o in objects)
        super().print(*objects, markup=bool(markup), **kwargs)


console = SafeConsole(highlight=False, soft_wrap=True, width=_width(), emoji=False)


def fit_console() -> None:
    """Re-read the output's width at each command, not once at import.

    A program (or a test run) that imports rgpd once and runs many commands would
    otherwise keep whatever ``COLUMNS`` said at import time.
    """
    console._width = _width()  # None: rich measures the terminal (and COLUMNS) itself


err_console = SafeConsole(stderr=True, highlight=False, soft_wrap=True, emoji=False)


def table(title: str | None, columns: list[str], rows: list[list[Any]]) -> None:
    """Rows of values rendered as text: a cell never becomes markup."""
    t = Table(title=as_text(title) if title else None, show_lines=False, header_style="bold")
    for c in columns:
        t.add_column(as_text(c), overflow="fold")
    for r in rows:
        t.add_row(*[as_text("" if v is None else v) for v in r])
    console.print(t)


def emit_json(obj: Any) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def emit_jsonl(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def when(d: Any) -> str:
    """A date-time as a French DPO reads it: Paris local time, to the minute."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    if isinstance(d, datetime):
        if d.tzinfo is not None:
            d = d.astimezone(ZoneInfo("Europe/Paris"))
        return d.strftime("%Y-%m-%d %H:%M")
    return "—" if d is None else str(d)


def ok(msg: str) -> None:
    console.print(Text.assemble(("✓", "green"), " ", as_text(msg)))


def warn(msg: str) -> None:
    err_console.print(Text.assemble(("!", "yellow"), " ", as_text(msg)))
