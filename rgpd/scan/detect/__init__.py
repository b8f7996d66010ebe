"""Detection core: French identifiers, names, addresses and Art. 9/10 categories in text.

Public API::

    from rgpd.scan.detect import Detector, Detection, Depth

    detector = Detector(depth="standard", entities=None, languages=("fr",))
    detector.detect(text) -> list[Detection]
    detector.detect_many(texts) -> list[list[Detection]]

``Detection.value`` is held in memory only: mask it (:func:`rgpd.masking.mask`)
or index it (:func:`rgpd.masking.normalise` + HMAC) before it goes anywhere.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rgpd.scan.detect.detector import DEFAULT_THRESHOLD, Detector
    from rgpd.scan.detect.engine import build_analyzer, load_spacy
    from rgpd.scan.detect.registry import ALL_ENTITIES, recognizers_for
    from rgpd.scan.detect.types import Depth, Detection

#: Where each public name lives. Imported on first use: importing one recognizer
#: module (a path mask, a rescan) must not load the detector and every lexicon.
_HOME = {
    "ALL_ENTITIES": "rgpd.scan.detect.registry",
    "DEFAULT_THRESHOLD": "rgpd.scan.detect.detector",
    "Depth": "rgpd.scan.detect.types",
    "Detection": "rgpd.scan.detect.types",
    "Detector": "rgpd.scan.detect.detector",
    "build_analyzer": "rgpd.scan.detect.engine",
    "load_spacy": "rgpd.scan.detect.engine",
    "recognizers_for": "rgpd.scan.detect.registry",
}

__all__ = [
    "ALL_ENTITIES",
    "DEFAULT_THRESHOLD",
    "Depth",
    "Detection",
    "Detector",
    "build_analyzer",
    "load_spacy",
    "recognizers_for",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value
