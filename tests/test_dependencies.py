"""Every third-party package the product imports is declared; demo generators stay out.

Walks the imports of every runtime module under ``rgpd/`` (``rgpd/demo`` is the
demo extra, not the product) and checks each top-level third-party name against
the distributions ``pyproject.toml`` declares: the main dependencies, and the
runtime extras (legacy formats, Oracle, SQL Server, OCR) for the imports that
are guarded. ``itsdangerous`` was imported without being declared; Faker was a
runtime dependency only because the demo generators shipped in ``rgpd/scan``.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "rgpd"
#: Extras that are not the product's runtime.
NOT_RUNTIME_EXTRAS = {"dev", "demo"}


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(req: str) -> str:
    return _canon(re.split(r"[\s<>=!~;\[]", req, maxsplit=1)[0])


def _declared() -> tuple[set[str], set[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    main = {_requirement_name(r) for r in project["dependencies"]}
    extras = {
        _requirement_name(r)
        for name, reqs in project.get("optional-dependencies", {}).items()
        if name not in NOT_RUNTIME_EXTRAS
        for r in reqs
    }
    return main, extras


def _runtime_modules() -> list[Path]:
    return [p for p in PKG.rglob("*.py") if "demo" not in p.relative_to(PKG).parts[:1]]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


def _third_party(names: set[str]) -> set[str]:
    return {
        n for n in names if n not in sys.stdlib_module_names and n not in {"rgpd", "__future__"}
    }


def test_every_imported_package_is_declared() -> None:
    main, extras = _declared()
    dists = packages_distributions()
    undeclared: dict[str, list[str]] = {}
    for path in _runtime_modules():
        for mod in _third_party(_imports(path)):
            names = {_canon(d) for d in dists.get(mod, [mod])}
            if not names & (main | extras):
                undeclared.setdefault(mod, []).append(str(path.relative_to(ROOT)))
    assert undeclared == {}, f"imported but not declared in pyproject.toml: {undeclared}"


def test_demo_generators_are_not_in_the_product() -> None:
    main, _extras = _declared()
    assert "faker" not in main  # the demo extra brings it
    for path in _runtime_modules():
        imports = _imports(path)
        assert "faker" not in imports, path
        text = path.read_text(encoding="utf-8")
        assert "rgpd.demo" not in text or path.name == "__init__.py", path


def test_the_walk_sees_real_imports() -> None:
    # a test that could not fail would prove nothing: the walk must find known imports
    found = set().union(*(_imports(p) for p in _runtime_modules()))
    assert {"sqlalchemy", "click", "itsdangerous", "presidio_analyzer"} <= found
