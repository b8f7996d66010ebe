"""The face of rgpd: click groups that parse, call one rgpd function, and render.

Exit codes (README "Exit codes"): 0 ok; 1 findings, lint errors or a broken audit
chain; 2 usage or input error; 3 completed with failed units; 4 storage/crypto
failure. Only this module (``main``) turns exceptions into exit codes.
"""

from __future__ import annotations

import gc
import sys
from typing import NoReturn

# Start-up builds objects that live as long as the process (click's commands, SQLAlchemy's
# tables, rich, the catalog), and none of them is garbage: the cycle collector, run every
# few hundred allocations, would walk them again and again while they are built. Paused
# while this module's imports run, then restored as it was (issue 11: the fixed cost of a
# scan). ``_load`` does the same for the command modules, and the scan for its warm-up.
_collecting = gc.isenabled()
gc.disable()
try:
    import click

    from rgpd import __version__
    from rgpd.commands._common import Ctx, err_console, fit_console
    from rgpd.commands._i18n import LocalisedGroup, install_click_translations
    from rgpd.errors import RgpdError, ValidationFailed
    from rgpd.i18n import _, set_language
finally:
    if _collecting:
        gc.enable()

install_click_translations()


#: Top-level command → the modules of rgpd/commands/ that define it and its subcommands
#: (``scan db`` hangs on ``scan`` from dbscan; ``requests`` takes subcommands from fulfil).
#: They are imported when the command is looked up, not at start: ``rgpd scan files``
#: imports no report, form or DPIA code, and nothing imports Presidio or spaCy until a
#: scan needs a model. ``tests/test_cli_lazy.py`` checks this map against what each
#: module registers, and that every module of rgpd/commands/ is in it: a new command
#: module needs only its entry here.
_LAZY: dict[str, tuple[str, ...]] = {
    "init": ("admin",),
    "keys": ("admin",),
    "audit": ("admin",),
    "org": ("registry",),
    "registry": ("registry",),
    "breach": ("registry",),
    "scan": ("scan", "dbscan"),
    "findings": ("scan",),
    "reconcile": ("scan", "dbscan"),
    "schedule": ("scan", "dbscan"),
    "requests": ("requests", "fulfil"),
    "serve": ("requests", "fulfil"),
    "report": ("reports",),
    "forms": ("forms",),
    "dpia": ("dpia",),
    "actions": ("actions",),
    "software": ("software",),
    "maturity": ("maturity",),
}
_loaded: set[str] = set()


def _load(modules: tuple[str, ...]) -> None:
    """Import and register the command ``modules``, the cycle collector paused meanwhile
    (long-lived objects only, as for this module's imports above)."""
    from rgpd.storage.db import gc_paused  # imported with the workspace already

    with gc_paused():
        _import_commands(modules)


def _import_commands(modules: tuple[str, ...]) -> None:
    import importlib

    for name in modules:
        if name in _loaded:
            continue
        _loaded.add(name)
        try:
            mod = importlib.import_module(f"rgpd.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"rgpd.commands.{name}":
                continue
            raise
        mod.register(cli)


class _LazyRoot(LocalisedGroup):
    """The root group: lists every command, imports a command's module on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(_LAZY))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in _LAZY:
            _load(_LAZY[cmd_name])
        return super().get_command(ctx, cmd_name)

    def load_all(self) -> None:
        """Import every command module (for walking the whole tree)."""
        for modules in _LAZY.values():
            _load(modules)


@click.group(
    cls=_LazyRoot,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="\b\nExample:\n  rgpd --org mairie registry list",
)
@click.version_option(__version__, prog_name="rgpd")
@click.option(
    "--db",
    "db_url",
    envvar="RGPD_DATABASE_URL",
    metavar="URL",
    help="Database URL (default: sqlite:///rgpd.db in the working directory).",
)
@click.option("--org", envvar="RGPD_ORG", metavar="SLUG", help="Organisation to work on.")
@click.option(
    "--lang",
    envvar="RGPD_LANG",
    type=click.Choice(["fr", "en"]),
    default="fr",
    show_default=True,
    help="Language of messages and documents.",
)
@click.option(
    "--actor",
    envvar="RGPD_ACTOR",
    metavar="NAME",
    help="Who is acting, for the audit log (default: the OS user).",
)
@click.option("--config", envvar="RGPD_CONFIG", metavar="FILE", help="Path to rgpd.toml.")
@click.pass_context
def cli(
    ctx: click.Context,
    db_url: str | None,
    org: str | None,
    lang: str,
    actor: str | None,
    config: str | None,
) -> None:
    """rgpd — GDPR register, discovery, citizens' requests and DPO reports for local authorities.

    \b
    Example:
      rgpd init && rgpd org add mairie --name "Ville de Saint-Exemple"
    """
    set_language(lang)
    ctx.obj = Ctx(db_url=db_url, org=org, lang=lang, actor=actor, config=config)


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: the only place exceptions become exit codes."""
    from rgpd.i18n import get_language

    lang_before = get_language()
    try:
        return _main(argv)
    finally:
        set_language(lang_before)  # embedding programs and tests keep their language


def _early_language(argv: list[str] | None) -> str | None:
    """``--lang`` / ``RGPD_LANG`` before click parses: ``--help`` is eager and is written
    during parsing, before the root callback sets the language."""
    import os

    args = list(sys.argv[1:] if argv is None else argv)
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--lang="):
            return arg.partition("=")[2]
    return os.environ.get("RGPD_LANG")


def _main(argv: list[str] | None) -> int:
    fit_console()
    set_language(_early_language(argv) or "fr")  # the --lang default
    try:
        rv = cli.main(args=argv, prog_name="rgpd", standalone_mode=False)
    except click.exceptions.Abort:
        err_console.print(_("Aborted."))
        return 2
    except click.ClickException as exc:
        exc.show()
        return 2
    except ValidationFailed as exc:
        err_console.print(f"{_('Error')} {exc.source or ''}".rstrip(), style="red")
        for p in exc.problems:
            err_console.print(f"  • {p.field}: {p.problem}", markup=False)
        err_console.print(_("Nothing was written."))
        return exc.exit_code
    except RgpdError as exc:
        err_console.print(f"{_('Error')}: ", style="red", end="")
        err_console.print(str(exc), markup=False)
        return exc.exit_code
    except KeyboardInterrupt:
        err_console.print(_("Interrupted."))
        return 130
    if isinstance(rv, int):
        return rv
    return 0


def entry() -> None:
    """The ``rgpd`` console script (and ``python -m rgpd.cli``)."""
    _leave(main())


def _leave(code: int) -> NoReturn:
    """End the process with ``code``, without tearing the interpreter down when that is safe.

    After a scan the process holds the spaCy model, the recognizers' tables and about a
    million other objects; a normal exit frees them one by one: 57 ms of the fixed cost
    of a scan, ~100 ms after a rescan or a listing (issue 11), for memory the system takes
    back anyway. What a normal
    exit does that others can see is done here first: the atexit handlers run (logging
    flushed and closed, ``weakref.finalize`` clean-ups such as temporary directories,
    multiprocessing's and pebble's), the database pools are closed (SQLite checkpoints
    its WAL on the last close, as at a normal exit), stdout and stderr are flushed. The
    normal exit is kept whenever it could behave differently: another non-daemon thread
    still running (Python would wait for it), a profiler or tracer installed (coverage,
    cProfile write their results after the program returns), a stream that cannot be
    flushed (Python reports it and exits 120).
    """
    import os
    import threading

    if (
        sys.getprofile() is not None
        or sys.gettrace() is not None
        or any(
            t is not threading.main_thread() and not t.daemon and t.is_alive()
            for t in threading.enumerate()
        )
    ):
        sys.exit(code)
    import atexit

    from rgpd.storage.db import dispose_engines

    atexit._run_exitfuncs()  # and cleared: the fallback below does not run them twice
    dispose_engines()
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        sys.exit(code)  # as Python would: a message, exit status 120
    os._exit(code & 0xFF)


if __name__ == "__main__":
    entry()
