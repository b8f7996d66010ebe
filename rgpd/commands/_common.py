"""Shared plumbing of the command modules: the context object and output helpers.

Commands parse, make one call into the rgpd API, and render; nothing here decides.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any

import click
from rich.console import Console
from rich.table import Table

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


console = Console(highlight=False, soft_wrap=True, width=_width())
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def table(title: str | None, columns: list[str], rows: list[list[Any]]) -> None:
    t = Table(title=title, show_lines=False, header_style="bold")
    for c in columns:
        t.add_column(c, overflow="fold")
    for r in rows:
        t.add_row(*["" if v is None else str(v) for v in r])
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
    console.print(f"[green]✓[/green] {msg}")


def warn(msg: str) -> None:
    err_console.print(f"[yellow]![/yellow] {msg}")
