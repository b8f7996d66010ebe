"""What a scan's start imports and loads (issue 11: the fixed cost of ``rgpd scan files``).

Each check runs in a fresh interpreter: whether a module is imported depends on what
the process imported before.
"""

from __future__ import annotations

import pytest

from tests.clihelp import fresh_python_json


def test_loading_the_model_imports_no_spacy_command_line() -> None:
    seen = fresh_python_json(
        "import json, sys\n"
        "from rgpd.scan.detect.engine import load_spacy\n"
        "nlp = load_spacy()\n"
        "ents = [e.text for e in nlp('Mme Lucie Ravenel habite à Pau.').ents]\n"
        "cli = sorted(m for m in sys.modules if m.startswith(('spacy.cli', 'typer', 'weasel')))\n"
        "import spacy\n"
        "shortcut = spacy.info.__module__\n"
        "import spacy.cli\n"  # the real package still loads on demand
        "print(json.dumps({'cli': cli, 'ents': ents, 'shortcut': shortcut,\n"
        "                  'real': spacy.cli.info.__module__}))\n"
    )
    assert seen["cli"] == []
    assert "Pau" in seen["ents"]  # type: ignore[operator]
    assert seen["shortcut"] == "rgpd.scan.detect.engine"
    assert seen["real"] == "spacy.cli.info"


def test_spacy_imported_before_rgpd_is_left_as_it_is() -> None:
    seen = fresh_python_json(
        "import json, sys, spacy\n"
        "from rgpd.scan.detect.engine import import_spacy\n"
        "print(json.dumps({'same': import_spacy() is spacy,\n"
        "                  'cli': 'spacy.cli' in sys.modules}))\n"
    )
    assert seen == {"same": True, "cli": True}


def test_listing_findings_does_not_import_the_register_model() -> None:
    """Coverage rules read paths and globs: the register's pydantic model is not needed."""
    seen = fresh_python_json(
        "import json, sys\n"
        "import rgpd.scan.findings, rgpd.registry.locations\n"
        "print(json.dumps({'model': 'rgpd.registry.model' in sys.modules}))\n"
    )
    assert seen == {"model": False}


@pytest.mark.parametrize(
    ("suffixes", "loaded", "not_loaded"),
    [
        ([".txt", ".docx"], ["charset_normalizer"], ["extract_msg", "pypdf"]),
        ([".PDF", ".csv"], ["pypdf", "rgpd.scan.extract.pdf"], ["extract_msg"]),
        ([".msg"], ["extract_msg", "rgpd.scan.extract.mail"], ["pypdf"]),
        ([".zip", ".txt"], ["extract_msg", "pypdf"], []),  # a zip's members may be anything
        (None, ["extract_msg", "pypdf", "charset_normalizer"], []),
    ],
)
def test_the_pool_preloads_the_readers_its_files_need(
    suffixes: list[str] | None, loaded: list[str], not_loaded: list[str]
) -> None:
    """Before the fork, only the readers of the share's formats are imported (issue 11)."""
    got = fresh_python_json(
        "import json, sys\n"
        "from rgpd.scan.extract import preload\n"
        f"preload({suffixes!r})\n"
        "print(json.dumps({'modules': sorted(sys.modules)}))\n"
    )
    modules = set(got["modules"])  # type: ignore[arg-type]
    assert set(loaded) <= modules
    assert not set(not_loaded) & modules


def test_importing_the_cli_leaves_the_cycle_collector_as_it_found_it() -> None:
    """The collector is paused while the CLI's modules import (issue 11), never left off."""
    seen = fresh_python_json(
        "import gc, json\n"
        "import rgpd.cli\n"
        "after_import = gc.isenabled()\n"
        "rgpd.cli._load(('scan', 'dbscan'))\n"
        "after_load = gc.isenabled()\n"
        "print(json.dumps({'import': after_import, 'load': after_load}))\n"
    )
    assert seen == {"import": True, "load": True}
    # An embedding program that turned it off keeps it off.
    seen = fresh_python_json(
        "import gc, json\n"
        "gc.disable()\n"
        "import rgpd.cli\n"
        "rgpd.cli._load(('scan',))\n"
        "print(json.dumps({'on': gc.isenabled()}))\n"
    )
    assert seen == {"on": False}


def test_a_failing_command_import_restarts_the_cycle_collector(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gc
    import importlib

    import rgpd.cli

    paused: list[bool] = []

    def broken(name: str) -> object:
        paused.append(not gc.isenabled())
        raise RuntimeError("broken module")

    monkeypatch.setattr(importlib, "import_module", broken)
    monkeypatch.setattr(rgpd.cli, "_loaded", set())
    assert gc.isenabled()
    with pytest.raises(RuntimeError, match="broken module"):
        rgpd.cli._load(("no_such_commands",))
    assert paused == [True]
    assert gc.isenabled()


def test_the_warm_up_runs_without_the_cycle_collector_and_the_workers_have_it() -> None:
    """Paused during ``_warm``, on again after it (also when it fails), and in the workers."""
    seen = fresh_python_json(
        "import gc, json, sys\n"
        "import rgpd.scan.files as F\n"
        "during = []\n"
        "F._warm = lambda depth, suffixes=None: during.append(gc.isenabled())\n"
        "def collecting(unit):\n"
        "    return gc.isenabled()\n"
        "ex = F._default_executor(1, 'standard', ['.txt'])\n"
        "after = gc.isenabled()\n"
        "workers = [out for _, out in ex.map_units(collecting, [1, 2])]\n"
        "ex.close()\n"
        "def broken(depth, suffixes=None):\n"
        "    raise RuntimeError('no model')\n"
        "F._warm = broken\n"
        "try:\n"
        "    F._default_executor(1, 'standard', ['.txt'])\n"
        "    failed = None\n"
        "except RuntimeError as exc:\n"
        "    failed = str(exc)\n"
        "print(json.dumps({'during': during, 'after': after, 'workers': workers,\n"
        "                  'failed': failed, 'after_failure': gc.isenabled()}))\n"
    )
    assert seen == {
        "during": [False],
        "after": True,
        "workers": [True, True],
        "failed": "no model",
        "after_failure": True,
    }
