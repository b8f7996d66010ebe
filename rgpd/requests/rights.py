"""Which procedure answers which right (``rgpd requests fulfil``).

Which rights apply to which activity is register knowledge and has one home,
:mod:`rgpd.registry.rights` (re-exported here for the requests wing's callers).
"""

from __future__ import annotations

from enum import StrEnum

from rgpd.registry.rights import (
    Applicability,
    RightAssessment,
    RightsAnswer,
    assess_request,
    assess_right,
    automated_means,
    rights_matrix,
)
from rgpd.requests.model import RequestType

__all__ = [
    "PROCEDURES",
    "Applicability",
    "Procedure",
    "RightAssessment",
    "RightsAnswer",
    "assess_request",
    "assess_right",
    "automated_means",
    "procedure_for",
    "rights_matrix",
]


# --------------------------------------------------------------------------- procedures


class Procedure(StrEnum):
    """How a request is answered from the person's data (``rgpd requests fulfil``)."""

    ACCESS = "access"  # the access package (Art. 15; Art. 20 adds the portable files)
    ERASURE = "erasure"  # the erasure plan (Art. 17)
    RECTIFICATION = "rectification"  # the corrected cells (Art. 16)
    RESTRICTION = "restriction"  # rows marked or restriction recorded (Art. 18)
    LETTER = "letter"  # no data to act on: answered by letter only


#: Which procedure answers which right. An objection (Art. 21) that is upheld
#: means the processing stops for the person: the data are erased under
#: Art. 17(1)(c), through the same plan, with the same refusals (Art. 17(3)).
PROCEDURES: dict[RequestType, Procedure] = {
    RequestType.ACCESS: Procedure.ACCESS,
    RequestType.PORTABILITY: Procedure.ACCESS,
    RequestType.ERASURE: Procedure.ERASURE,
    RequestType.OBJECTION: Procedure.ERASURE,
    RequestType.RECTIFICATION: Procedure.RECTIFICATION,
    RequestType.RESTRICTION: Procedure.RESTRICTION,
    RequestType.POST_MORTEM: Procedure.LETTER,
    RequestType.CADA: Procedure.LETTER,
}


def procedure_for(right: RequestType) -> Procedure:
    """The procedure that answers ``right`` (a right not listed is answered by letter)."""
    return PROCEDURES.get(right, Procedure.LETTER)
