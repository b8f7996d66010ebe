"""Data protection impact assessments (Art. 35) following the CNIL's PIA method.

Pure parts: :mod:`.model` (the DPIA), :mod:`.prefill` (a DPIA started from the
register), :mod:`.review` (Art. 35(11) review), :mod:`.pia_json` (the CNIL PIA
tool's JSON). The storage edge is :mod:`.service`.
"""

from rgpd.registry.dpia.model import (
    Evaluation,
    EvaluationStatus,
    ImpactAssessment,
    Level,
    Measure,
    PiaStatus,
    Risk,
)

__all__ = [
    "Evaluation",
    "EvaluationStatus",
    "ImpactAssessment",
    "Level",
    "Measure",
    "PiaStatus",
    "Risk",
]
