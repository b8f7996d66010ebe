"""When a DPIA must be reviewed (Art. 35(11)). Pure: dates and activities in, a flag out.

Art. 35(11) asks the controller to review the assessment "at least when there is
a change of the risk represented by processing operations". rgpd flags a DPIA
for review when the activity's purposes, data categories or recipients changed
after it was carried out (what changes the risk to people), and when it is older
than three years: the CNIL recommends re-assessing a DPIA at least every three
years (CNIL, « Analyse d'impact relative à la protection des données », FAQ).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

from rgpd.deadlines import add_months
from rgpd.i18n import _
from rgpd.registry.model import Activity

#: Three years, in months (CNIL recommendation, see the module docstring).
REVIEW_AFTER_MONTHS = 36
#: The activity fields whose change changes the risk (Art. 35(11)).
MATERIAL_FIELDS: tuple[str, ...] = ("purposes", "data_categories", "recipients")


@dataclass(frozen=True)
class Review:
    due: bool
    reasons: tuple[str, ...] = ()

    @property
    def flag(self) -> str:
        return "review" if self.due else "ok"


def material_changes(
    versions: Sequence[tuple[date, Activity]],
) -> list[tuple[date, tuple[str, ...]]]:
    """Each day a version changed purposes, data categories or recipients, and which of them.

    ``versions``: the activity's versions, oldest first (the first one is the baseline).
    """
    out: list[tuple[date, tuple[str, ...]]] = []
    for (_d0, before), (day, after) in pairwise(versions):
        changed = tuple(
            f
            for f in MATERIAL_FIELDS
            if [
                x.model_dump(mode="json") if hasattr(x, "model_dump") else x
                for x in getattr(before, f)
            ]
            != [
                x.model_dump(mode="json") if hasattr(x, "model_dump") else x
                for x in getattr(after, f)
            ]
        )
        if changed:
            out.append((day, changed))
    return out


def review_status(
    assessed_on: date, changes: Sequence[tuple[date, tuple[str, ...]]], today: date
) -> Review:
    """Is the DPIA carried out on ``assessed_on`` due for review on ``today``? (Art. 35(11))."""
    reasons: list[str] = []
    if add_months(assessed_on, REVIEW_AFTER_MONTHS) <= today:
        reasons.append(
            _(
                "The DPIA dates from {date}, more than three years ago: review it (Art. 35(11)).",
                date=assessed_on.isoformat(),
            )
        )
    for day, fields in changes:
        if day > assessed_on:
            reasons.append(
                _(
                    "The activity's {fields} changed on {date}, after the DPIA: review it "
                    "(Art. 35(11)).",
                    fields=", ".join(fields),
                    date=day.isoformat(),
                )
            )
    return Review(bool(reasons), tuple(reasons))
