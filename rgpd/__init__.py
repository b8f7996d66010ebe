"""rgpd — GDPR compliance and data governance for French local authorities.

The curated public API: open a workspace, then call the wings' functions with it.

    >>> import rgpd
    >>> ws = rgpd.open_workspace()                          # doctest: +SKIP
    >>> rgpd.registry.list_activities(ws, "mairie")         # doctest: +SKIP

Everything here returns result objects and raises :mod:`rgpd.errors`
exceptions; nothing prints or exits (that is the CLI's job).
"""

from __future__ import annotations

__version__ = "0.1.0"

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
