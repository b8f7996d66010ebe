"""Storage edge of the maturity index: one answer set per organisation and year, versioned.

Answering a year again adds a version instead of overwriting: the index shown to
the council in March stays on record if the DPO corrects it in June (Art. 5(2)).
Reads take the latest version of each year.
"""

from __future__ import annotations

from sqlalchemy import func, select

from rgpd import audit
from rgpd.errors import NotFound
from rgpd.i18n import _
from rgpd.registry.maturity import MaturityAnswers, MaturityResult, score
from rgpd.storage.lookups import org_row
from rgpd.storage.software_tables import MaturitySurveyRow
from rgpd.workspace import Workspace

__all__ = ["get_maturity", "maturity_history", "save_maturity"]


def save_maturity(ws: Workspace, org: str, answers: MaturityAnswers) -> MaturityResult:
    """Store one year's answers as a new version (``answered_on`` defaults to today)."""
    if answers.answered_on is None:
        answers = answers.model_copy(update={"answered_on": ws.today()})
    assert answers.answered_on is not None
    data = answers.model_dump(mode="json", exclude_defaults=True)
    with ws.db.session() as s:
        o = org_row(s, org)
        last = s.execute(
            select(func.max(MaturitySurveyRow.version)).where(
                MaturitySurveyRow.org_id == o.id, MaturitySurveyRow.year == answers.year
            )
        ).scalar()
        version = (last or 0) + 1
        s.add(
            MaturitySurveyRow(
                org_id=o.id,
                year=answers.year,
                version=version,
                answered_on=answers.answered_on,
                actor=audit.current_actor(ws.actor),
                data=data,
            )
        )
        audit.append(
            s,
            action="created" if version == 1 else "updated",
            entity="maturity",
            entity_ref=f"{o.slug}/{answers.year}",
            actor=ws.actor,
            org=o.slug,
            after=data,
            details={"version": version},
        )
    return score(answers, version=version)


def maturity_history(ws: Workspace, org: str) -> list[MaturityResult]:
    """The latest version of every year answered, oldest year first (the trend)."""
    with ws.db.session() as s:
        o = org_row(s, org)
        rows = s.execute(
            select(MaturitySurveyRow)
            .where(MaturitySurveyRow.org_id == o.id)
            .order_by(MaturitySurveyRow.year, MaturitySurveyRow.version)
        ).scalars()
        latest = {r.year: r for r in rows}
        return [
            score(MaturityAnswers.model_validate(r.data), version=r.version)
            for _y, r in sorted(latest.items())
        ]


def get_maturity(ws: Workspace, org: str, year: int | None = None) -> MaturityResult:
    """One year's latest answers (the latest year answered without ``year``)."""
    history = maturity_history(ws, org)
    if year is not None:
        history = [r for r in history if r.year == year]
    if not history:
        if year is None:
            raise NotFound(_("no maturity questionnaire answered yet: rgpd maturity answer"))
        raise NotFound(_("no maturity questionnaire answered for {year}", year=year))
    return history[-1]
