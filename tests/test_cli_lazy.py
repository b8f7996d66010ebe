"""The root group imports a command's module when the command is used (issue 11)."""

from __future__ import annotations

import importlib
from pathlib import Path

import click

from rgpd.cli import _LAZY, cli

from .clihelp import fresh_python_json

ROOT = Path(__file__).resolve().parents[1]


def test_the_lazy_map_names_exactly_what_each_module_registers() -> None:
    modules = sorted({m for mods in _LAZY.values() for m in mods})
    registered: dict[str, set[str]] = {}
    for name in modules:
        grp = click.Group("probe")
        if name == "dbscan":  # hangs its subcommands on the scan group
            importlib.import_module("rgpd.commands.scan").register(grp)
        before = set(grp.commands)
        importlib.import_module(f"rgpd.commands.{name}").register(grp)
        registered[name] = set(grp.commands) - before
    for name, commands in registered.items():
        for command in commands:
            assert name in _LAZY.get(command, ()), f"{command} (from {name}) missing in _LAZY"
    for command, mods in _LAZY.items():
        assert any(command in registered[m] for m in mods), f"nothing registers {command}"


def test_every_command_module_is_in_the_lazy_map() -> None:
    """The map is the only list of command modules: one left out would never load."""
    import pkgutil

    import rgpd.commands

    modules = {m.name for m in pkgutil.iter_modules(rgpd.commands.__path__)}
    listed = {m for mods in _LAZY.values() for m in mods}
    assert {m for m in modules if not m.startswith("_")} == listed


def test_the_root_lists_every_command_and_loads_it_on_use() -> None:
    ctx = click.Context(cli)
    assert set(_LAZY) <= set(cli.list_commands(ctx))
    scan = cli.get_command(ctx, "scan")
    assert isinstance(scan, click.Group)
    assert {"files", "db"} <= set(scan.list_commands(ctx))  # db comes from dbscan


def _modules_after(args: list[str]) -> dict[str, object]:
    code = (
        "import json, sys\n"
        "from rgpd.cli import main\n"
        f"rc = main({args!r})\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules}"
        " & {'spacy', 'presidio_analyzer', 'distributed', 'thinc'})\n"
        "cmds = sorted(m for m in sys.modules if m.startswith('rgpd.commands.'))\n"
        "print(json.dumps({'rc': rc, 'heavy': heavy, 'cmds': cmds}))\n"
    )
    return fresh_python_json(code)


def test_help_imports_no_model_library() -> None:
    seen = _modules_after(["--help"])
    assert seen["rc"] == 0
    assert seen["heavy"] == []


def test_a_scan_command_imports_only_its_own_modules() -> None:
    seen = _modules_after(["scan", "files", "--help"])
    assert seen["heavy"] == []
    cmds = set(seen["cmds"])  # type: ignore[call-overload]
    assert {"rgpd.commands.scan", "rgpd.commands.dbscan"} <= cmds
    assert not {"rgpd.commands.reports", "rgpd.commands.dpia", "rgpd.commands.forms"} & cmds
