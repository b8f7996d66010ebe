"""The shape of the house: which rgpd modules import which, and no circles.

The graph is read from the source with :mod:`ast` (nothing is imported), and
counts every import, also those inside functions: a lazy import hides a circle
from Python's loader, not from the reader. Imports under ``if TYPE_CHECKING:``
are left out (they never run).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

import rgpd

ROOT = Path(rgpd.__file__).parent


@functools.cache
def _parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text("utf-8"))


def _module_names() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _runtime_imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement except those under ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for s in node.orelse for n in _runtime_imports_of(s))
            continue
        yield from _runtime_imports_of(node)


def _runtime_imports_of(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
    else:
        yield from _runtime_imports(node)


def import_graph() -> dict[str, set[str]]:
    """rgpd module → the rgpd modules it imports (``from pkg import mod`` counts as ``pkg.mod``)."""
    modules = _module_names()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        is_pkg = path.name == "__init__.py"
        for node in _runtime_imports(_parsed(path)):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                base = node.module or ""
                if node.level:
                    pkg = name.split(".") if is_pkg else name.split(".")[:-1]
                    pkg = pkg[: len(pkg) - (node.level - 1)]
                    base = ".".join([*pkg, base] if base else pkg)
                targets = [
                    f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                    for a in node.names
                ]
            for t in targets:
                while t and t not in modules:  # ``import rgpd.x.y`` of a name inside a module
                    t = t.rpartition(".")[0]
                if t and t != name:
                    graph[name].add(t)
    return graph


def _wing(module: str) -> str:
    """``rgpd.requests.erasure.plan`` → ``rgpd.requests``; ``rgpd.errors`` → itself."""
    return ".".join(module.split(".")[:2])


def private_reach_ins() -> list[str]:
    """``importer: target._name`` for every private name taken from another wing.

    Counts ``from target import _name`` and ``alias._name`` where ``alias`` is an
    imported rgpd module (``_``, ``_n`` and ``_p`` themselves, gettext, are public by convention).
    """
    modules = _module_names()
    out: list[str] = []
    for name, path in sorted(modules.items()):
        aliases: dict[str, str] = {}
        for node in ast.walk(_parsed(path)):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    full = f"{node.module}.{a.name}"
                    if full in modules:
                        aliases[a.asname or a.name] = full
                    elif (
                        node.module in modules
                        and a.name.startswith("_")
                        and not a.name.startswith("__")
                        and a.name not in ("_", "_n", "_p")  # gettext conventions
                        and _wing(node.module) != _wing(name)
                    ):
                        out.append(f"{name}: {node.module}.{a.name}")
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name in modules and a.asname:
                        aliases[a.asname] = a.name
        for node in ast.walk(_parsed(path)):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and _wing(aliases[node.value.id]) != _wing(name)
            ):
                out.append(f"{name}: {aliases[node.value.id]}.{node.attr}")
    return sorted(set(out))


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


# No circle is expected: issue 16 broke keys <-> storage tables (storage/sealed.py),
# erasure <-> redact (requests/person.py) and scan/database <-> scan/profiles (scan/liveness.py).
EXPECTED: list[set[str]] = []


def test_the_graph_sees_lazy_and_package_imports() -> None:
    g = import_graph()
    assert "rgpd.requests.service" in g["rgpd.requests.discovery.run"]
    assert "rgpd.requests.discovery.run" in g["rgpd.requests.discovery"]  # a package's __init__
    assert "rgpd.scan.extract" in g["rgpd.requests.redact"]  # imported inside a function
    assert "rgpd.errors" in g["rgpd.cli"]


def test_cycles_finds_a_circle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_circle_involves_requests() -> None:
    found = [c for c in cycles(import_graph()) if any(m.startswith("rgpd.requests") for m in c)]
    assert found == []


def test_no_import_circle() -> None:
    found = cycles(import_graph())
    assert [c for c in found if set(c) not in EXPECTED] == []


def test_no_module_takes_a_private_name_from_another_wing() -> None:
    """A need shared by two wings lives below both, under a public name (issue 16)."""
    assert private_reach_ins() == []


# ------------------------------------------------------------------ which wing may import which

#: Modules below every wing (README "Wings and what each may import").
CORE = {
    f"rgpd.{m}"
    for m in (
        "config",
        "deadlines",
        "masking",
        "taxonomy",
        "i18n",
        "errors",
        "crypto",
        "labels",
        "workspace",
        "keys",
        "audit",
        "cache",
    )
}
STORAGE = "rgpd.storage"
#: wing -> the wings it may import (besides itself); ``rgpd``, ``rgpd.cli`` and
#: ``rgpd.commands`` sit on top and may import anything. Arrows point down only.
ALLOWED: dict[str, set[str]] = {
    **{m: CORE | {STORAGE} for m in CORE},
    STORAGE: CORE,
    "rgpd.registry": CORE | {STORAGE},
    "rgpd.scan": CORE | {STORAGE, "rgpd.registry"},
    "rgpd.requests": CORE | {STORAGE, "rgpd.registry", "rgpd.scan"},
    "rgpd.reports": CORE | {STORAGE, "rgpd.registry", "rgpd.scan", "rgpd.requests", "rgpd.actions"},
    "rgpd.actions": CORE | {STORAGE, "rgpd.registry", "rgpd.requests"},
    "rgpd.demo": {"rgpd.scan", "rgpd.taxonomy", STORAGE},  # never imported by the product
}
TOP = {"rgpd", "rgpd.cli", "rgpd.commands"}
#: Arrows against the table that are known and named, each with its reason; a new one fails.
KNOWN_UPWARD: set[tuple[str, str]] = set()


def wing_violations(graph: dict[str, set[str]]) -> list[str]:
    """``importer -> imported`` for every arrow the wing table does not allow."""
    out = []
    for name, targets in sorted(graph.items()):
        wing = _wing(name)
        if wing in TOP:
            continue
        allowed = ALLOWED.get(wing)
        for t in sorted(targets):
            tw = _wing(t)
            if tw == wing or (allowed is not None and tw in allowed):
                continue
            if (name, t) not in KNOWN_UPWARD:
                out.append(f"{name} -> {t}")
    return out


def test_every_wing_is_in_the_table() -> None:
    wings = {_wing(m) for m in import_graph()}
    assert wings - TOP - set(ALLOWED) == set()


def test_wing_violations_sees_an_upward_arrow() -> None:
    # the arrow issue 16's audit found: the DPIA service reaching into the requests wing
    assert wing_violations({"rgpd.registry.dpia.service": {"rgpd.requests.rights"}}) == [
        "rgpd.registry.dpia.service -> rgpd.requests.rights"
    ]
    assert wing_violations({"rgpd.requests.rights": {"rgpd.registry.rights"}}) == []


def test_arrows_point_down_only() -> None:
    assert wing_violations(import_graph()) == []


def test_known_upward_arrows_still_exist() -> None:
    # an exception that is no longer needed is taken off the list
    g = import_graph()
    assert {(a, b) for a, b in KNOWN_UPWARD if b in g.get(a, set())} == KNOWN_UPWARD
