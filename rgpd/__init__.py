"""rgpd — GDPR compliance and data governance for French local authorities.

The curated public API: open a workspace, then call the wings' functions with it.

    >>> import rgpd
    >>> ws = rgpd.open_workspace()                          # doctest: +SKIP
    >>> rgpd.registry.list_activities(ws, "mairie")         # doctest: +SKIP

Everything here returns result objects and raises :mod:`rgpd.errors`
exceptions; nothing prints or exits (that is the CLI's job).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # what the names below resolve to, for type checkers and IDEs
    from rgpd import errors
    from rgpd.config import Settings, load_settings
    from rgpd.crypto import KeyRing
    from rgpd.registry import service as registry
    from rgpd.registry.model import (
        Activity,
        Breach,
        LegalBasis,
        Organisation,
        Processor,
        Register,
    )
    from rgpd.workspace import Workspace, init_workspace, open_workspace

#: Public name -> (module, attribute; "" for the module itself). Imported on first use
#: (PEP 562): ``import rgpd`` is paid by every command, and importing all of this up
#: front (SQLAlchemy, pydantic models, the registry service) cost 0.5-1 s at each start,
#: most of it for names a scan never touches. ``tests/test_public_api.py`` checks that
#: every name resolves to the same object as a direct import.
_LAZY: dict[str, tuple[str, str]] = {
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


def _resolve(name: str) -> Any:
    module, attr = _LAZY[name]
    mod = importlib.import_module(module)
    return getattr(mod, attr) if attr else mod


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = _resolve(name)
        if name != "registry":
            globals()[name] = value
        return value
    raise AttributeError(f"module 'rgpd' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


class _Rgpd(types.ModuleType):
    """``rgpd.registry`` is the registry *service*, while ``rgpd/registry/`` is also a
    package: importing any ``rgpd.registry.*`` module makes Python bind the package to
    ``rgpd.registry``, which would hide the service. The attribute always answers the
    service; what the import system stores there is kept aside."""

    @property
    def registry(self) -> Any:
        return _resolve("registry")

    @registry.setter
    def registry(self, value: Any) -> None:
        self.__dict__["_registry_package"] = value


sys.modules[__name__].__class__ = _Rgpd

__all__ = [
    "Activity",
    "Breach",
    "KeyRing",
    "LegalBasis",
    "Organisation",
    "Processor",
    "Register",
    "Settings",
    "Workspace",
    "__version__",
    "errors",
    "init_workspace",
    "load_settings",
    "open_workspace",
    "registry",
]
