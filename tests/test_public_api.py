"""``import rgpd`` is lazy (PEP 562, issue 11); every public name still resolves."""

from __future__ import annotations

import importlib
import subprocess
import sys

import rgpd

_DIRECT = {
    "errors": ("rgpd.errors", ""),
    "Settings": ("rgpd.config", "Settings"),
    "load_settings": ("rgpd.config", "load_settings"),
    "KeyRing": ("rgpd.crypto", "KeyRing"),
    "registry": ("rgpd.registry.service", ""),
    "Activity": ("rgpd.registry.model", "Activity"),
    "Breach": ("rgpd.registry.model", "Breach"),
    "LegalBasis": ("rgpd.registry.model", "LegalBasis"),
    "Organisation": ("rgpd.registry.model", "Organisation"),
    "Processor": ("rgpd.registry.model", "Processor"),
    "Register": ("rgpd.registry.model", "Register"),
    "Workspace": ("rgpd.workspace", "Workspace"),
    "init_workspace": ("rgpd.workspace", "init_workspace"),
    "open_workspace": ("rgpd.workspace", "open_workspace"),
}


def test_every_public_name_resolves_to_what_a_direct_import_gives() -> None:
    assert set(rgpd.__all__) == set(_DIRECT) | {"__version__"}
    for name, (module, attr) in _DIRECT.items():
        mod = importlib.import_module(module)
        assert getattr(rgpd, name) is (getattr(mod, attr) if attr else mod), name
    assert isinstance(rgpd.__version__, str)
    assert set(rgpd.__all__) <= set(dir(rgpd))


def test_from_import_and_unknown_names() -> None:
    from rgpd import Workspace, open_workspace, registry

    assert registry.list_activities is rgpd.registry.list_activities
    assert Workspace.__name__ == "Workspace" and callable(open_workspace)
    try:
        rgpd.no_such_name  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("an unknown name must raise AttributeError")


def test_registry_stays_the_service_after_its_package_is_imported() -> None:
    """Importing ``rgpd.registry.model`` binds the package to ``rgpd.registry``."""
    code = (
        "import rgpd, rgpd.registry.model, rgpd.registry.rules\n"
        "print(rgpd.registry.__name__, callable(rgpd.registry.list_activities))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["rgpd.registry.service", "True"]


def test_import_rgpd_alone_imports_no_database_stack() -> None:
    code = (
        "import sys, rgpd\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'pydantic'}))\n"
        "print(sorted(m for m in sys.modules if m.startswith('rgpd.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    heavy, mods = out.stdout.splitlines()
    assert heavy == "[]"
    assert mods == "[]"
