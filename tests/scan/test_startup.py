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
