"""Detection core: French identifiers, names, addresses and Art. 9/10 categories in text.

Public API::

    from rgpd.scan.detect import Detector, Detection, Depth

    detector = Detector(depth="standard", entities=None, languages=("fr",))
    detector.detect(text) -> list[Detection]
    detector.detect_many(texts) -> list[list[Detection]]

``Detection.value`` is held in memory only: mask it (:func:`rgpd.masking.mask`)
or index it (:func:`rgpd.masking.normalise` + HMAC) before it goes anywhere.
"""

from rgpd.scan.detect.detector import DEFAULT_THRESHOLD, Detector
from rgpd.scan.detect.engine import ALL_ENTITIES, build_analyzer, load_spacy, recognizers_for
from rgpd.scan.detect.types import Depth, Detection

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
