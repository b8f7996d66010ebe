"""Sample registers shipped with rgpd (``make demo``): a commune and its CCAS.

The CCAS is a separate public body, hence a separate controller with its own
register; the two files are meant to be imported into two organisations.
"""

from __future__ import annotations

from importlib import resources

#: Sample name → organisation slug used in the file.
SAMPLES = {"commune": "saint-exemple", "ccas": "ccas-saint-exemple"}


def sample_text(name: str) -> str:
    """The YAML text of a sample (``commune`` or ``ccas``)."""
    if name not in SAMPLES:
        raise KeyError(name)
    return resources.files(__package__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
