"""The DPIA document's context (Art. 35): the CNIL layout, section by section. Pure.

One document per DPIA, not a per-organisation report: context (overview; data,
processes and supports), fundamental principles, risks (measures, then the three
feared events) with the risk map, validation. Answers keep their HTML; the
renderer sanitises it (:func:`rgpd.reports.render.safe_html`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rgpd.i18n import N_, _
from rgpd.registry.dpia.model import (
    ITEM_TITLES,
    QUESTION_TITLES,
    QUESTIONS,
    RISK_KINDS,
    RISK_TITLES,
    Evaluation,
    ImpactAssessment,
    answer_at,
    evaluation_label,
    level_label,
    status_label,
)
from rgpd.registry.model import Organisation
from rgpd.reports.context.common import Chart, OrgHeader, Series, org_header


@dataclass(frozen=True)
class EvaluationView:
    status: str
    tone: str  # good | warn | bad | none
    comment: str | None
    action_plan: str | None


@dataclass(frozen=True)
class QuestionView:
    title: str
    html: str
    evaluation: EvaluationView | None = None


@dataclass(frozen=True)
class ItemView:
    key: str
    title: str
    questions: tuple[QuestionView, ...]
    evaluation: EvaluationView | None = None


@dataclass(frozen=True)
class MeasureView:
    title: str
    html: str
    evaluation: EvaluationView | None


@dataclass(frozen=True)
class RiskView:
    key: str
    title: str
    impacts: tuple[str, ...]
    threats: tuple[str, ...]
    sources: tuple[str, ...]
    measures: tuple[str, ...]
    severity: str
    severity_html: str
    likelihood: str
    likelihood_html: str
    residual_severity: str
    residual_likelihood: str
    evaluation: EvaluationView | None


@dataclass(frozen=True)
class ValidationView:
    dpo_names: str | None
    dpo_opinion: str | None
    dpo_status: str
    people_names: str | None
    people_searched: bool | None
    people_opinion: str | None
    people_status: str
    people_not_sought_reason: str | None
    decision: str
    rejection_reason: str | None
    applied_adjustments: str | None


@dataclass(frozen=True)
class DpiaContext:
    title: str
    org: OrgHeader
    ref: str
    name: str
    activity_ref: str | None
    author: str | None
    evaluator: str | None
    validator: str | None
    assessed_on: date | None
    generated_on: date
    lang: str
    review: tuple[str, ...]
    context: tuple[ItemView, ...]
    principles: tuple[ItemView, ...]
    measures: tuple[MeasureView, ...]
    risks: tuple[RiskView, ...]
    risk_map: Chart
    validation: ValidationView
    comments: tuple[tuple[str, str], ...]


_TONES = {0: "none", 1: "bad", 2: "warn", 3: "good"}
_OPINION = {1: N_("favourable"), 0: N_("unfavourable")}


def _eval(ev: Evaluation | None) -> EvaluationView | None:
    if ev is None:
        return None
    return EvaluationView(
        evaluation_label(ev.status), _TONES.get(int(ev.status), "none"), ev.comment, ev.action_plan
    )


def _questions(
    d: ImpactAssessment, part: str, item: str, per_question: bool
) -> tuple[QuestionView, ...]:
    return tuple(
        QuestionView(
            _(QUESTION_TITLES[q]),
            answer_at(d, q).text,
            _eval(answer_at(d, q).evaluation) if per_question else None,
        )
        for q in sorted(QUESTIONS)
        if QUESTIONS[q][:2] == (part, item)
    )


def risk_map(d: ImpactAssessment) -> Chart:
    """Severity × likelihood of each feared event, before and after the planned measures."""
    titles = tuple(_(RISK_TITLES[k]) for k in RISK_KINDS)

    def values(attr: str) -> tuple[float, ...]:
        return tuple(float(getattr(d.risk(k), attr) or 0) for k in RISK_KINDS)

    series = (
        Series(_("Severity before"), values("severity")),
        Series(_("Likelihood before"), values("likelihood")),
        Series(_("Severity after"), values("residual_severity")),
        Series(_("Likelihood after"), values("residual_likelihood")),
    )
    parts = []
    for k, t in zip(RISK_KINDS, titles, strict=True):
        r = d.risk(k)
        parts.append(
            _(
                "{risk}: severity {s}, likelihood {l} before the planned measures; "
                "{rs} and {rl} after.",
                risk=t,
                s=level_label(r.severity),
                l=level_label(r.likelihood),
                rs=level_label(r.residual_severity),
                rl=level_label(r.residual_likelihood),
            )
        )
    return Chart(
        key="risk-map",
        title=_("Risk map"),
        kind="riskmap",
        categories=titles,
        series=series,
        summary=" ".join(parts),
        # axis labels (likelihood across, severity up), carried in ``unit``
        unit=f"{_('Likelihood (1-4)')}|{_('Severity (1-4)')}",
    )


def build_dpia(
    d: ImpactAssessment,
    org: Organisation,
    *,
    today: date,
    lang: str,
    review: tuple[str, ...] = (),
) -> DpiaContext:
    v = d.validation
    return DpiaContext(
        title=_("Data protection impact assessment"),
        org=org_header(org),
        ref=d.ref,
        name=d.name,
        activity_ref=d.activity_ref,
        author=d.author,
        evaluator=d.evaluator,
        validator=d.validator,
        assessed_on=d.assessed_on,
        generated_on=today,
        lang=lang,
        review=review,
        context=(
            ItemView(
                "overview",
                _(ITEM_TITLES["overview"]),
                _questions(d, "context", "overview", False),
                _eval(d.context.overview.evaluation),
            ),
            ItemView(
                "data",
                _(ITEM_TITLES["data"]),
                _questions(d, "context", "data", False),
                _eval(d.context.data.evaluation),
            ),
        ),
        principles=(
            ItemView(
                "proportionality",
                _(ITEM_TITLES["proportionality"]),
                _questions(d, "principles", "proportionality", True),
            ),
            ItemView(
                "rights", _(ITEM_TITLES["rights"]), _questions(d, "principles", "rights", True)
            ),
        ),
        measures=tuple(MeasureView(m.title, m.content, _eval(m.evaluation)) for m in d.measures),
        risks=tuple(
            RiskView(
                key=k,
                title=_(RISK_TITLES[k]),
                impacts=tuple(d.risk(k).impacts),
                threats=tuple(d.risk(k).threats),
                sources=tuple(d.risk(k).sources),
                measures=tuple(d.risk(k).measures),
                severity=level_label(d.risk(k).severity),
                severity_html=d.risk(k).severity_text,
                likelihood=level_label(d.risk(k).likelihood),
                likelihood_html=d.risk(k).likelihood_text,
                residual_severity=level_label(d.risk(k).residual_severity),
                residual_likelihood=level_label(d.risk(k).residual_likelihood),
                evaluation=_eval(d.risk(k).evaluation),
            )
            for k in RISK_KINDS
        ),
        risk_map=risk_map(d),
        validation=ValidationView(
            dpo_names=v.dpo_names,
            dpo_opinion=v.dpo_opinion,
            dpo_status=_(_OPINION[v.dpo_status]) if v.dpo_status in _OPINION else _("not given"),
            people_names=v.people_names,
            people_searched=v.people_searched,
            people_opinion=v.people_opinion,
            people_status=_(_OPINION[v.people_status])
            if v.people_status in _OPINION
            else _("not given"),
            people_not_sought_reason=v.people_not_sought_reason,
            decision=status_label(v.decision),
            rejection_reason=v.rejection_reason,
            applied_adjustments=v.applied_adjustments,
        ),
        comments=tuple((str(c.reference), c.text) for c in d.comments),
    )
