"""A DPIA (Art. 35) as the CNIL's PIA method lays it out: plain, validated values, no I/O.

The four parts of the method, in the order of the CNIL's guides and of its PIA
tool: **context** (overview; data, processes and supports), **fundamental
principles** (proportionality and necessity; measures protecting the data
subjects' rights), **risks** (the planned measures, then illegitimate access,
unwanted modification and disappearance of data, each with its impacts,
threats, risk sources, severity and likelihood), and **validation** (the DPO's
opinion, the data subjects' opinion or why it was not sought, the controller's
decision). Each question carries the PIA tool's question id (``111``…``346``,
see ``QUESTIONS``) so that an export of the tool comes in and goes back out
without loss (:mod:`rgpd.registry.dpia.pia_json`).

Severity and likelihood use the CNIL's four levels (1 negligible, 2 limited,
3 significant, 4 maximum). A risk's level is taken *before* the planned measures
(the tool's gauges 325/326, 335/336, 345/346) and *after* them (the residual
level the evaluator records on the risk, the tool's evaluation gauges).

Texts may be HTML, as the PIA tool writes them; the renderer sanitises them.
"""

from __future__ import annotations

import datetime as _dt
from enum import IntEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from rgpd.i18n import N_, _
from rgpd.registry.model import SLUG_RE


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Level(IntEnum):
    """The CNIL's scale for severity and likelihood (PIA guides, "Méthode")."""

    NEGLIGIBLE = 1
    LIMITED = 2
    SIGNIFICANT = 3
    MAXIMUM = 4


LEVEL_LABELS: dict[int, str] = {
    Level.NEGLIGIBLE: N_("Negligible"),
    Level.LIMITED: N_("Limited"),
    Level.SIGNIFICANT: N_("Significant"),
    Level.MAXIMUM: N_("Maximum"),
}


def level_label(level: int | None) -> str:
    return _(LEVEL_LABELS[level]) if level in LEVEL_LABELS else _("not assessed")


class EvaluationStatus(IntEnum):
    """How the evaluator judged an answer, a measure or a risk.

    The PIA tool's values (LINCnil/pia, src/app/models/evaluation.model.ts:
    0 pending, 1 toBeFixed, 2 improvable, 3 acceptable).
    """

    PENDING = 0
    TO_CORRECT = 1
    IMPROVABLE = 2
    ACCEPTABLE = 3


EVALUATION_LABELS: dict[int, str] = {
    EvaluationStatus.PENDING: N_("Not evaluated"),
    EvaluationStatus.TO_CORRECT: N_("To be corrected"),
    EvaluationStatus.IMPROVABLE: N_("Improvable"),
    EvaluationStatus.ACCEPTABLE: N_("Acceptable"),
}


class PiaStatus(IntEnum):
    """Where the DPIA stands; 2 and 3 are the controller's validation.

    The PIA tool's values (LINCnil/pia, src/app/models/pia.model.ts: 0 doing, 1 refused,
    2 simple_validation, 3 signed_validation, 4 archived).
    """

    IN_PROGRESS = 0
    REFUSED = 1
    VALIDATED = 2  # simple validation
    SIGNED = 3  # signed validation
    ARCHIVED = 4


PIA_STATUS_LABELS: dict[int, str] = {
    PiaStatus.IN_PROGRESS: N_("In progress"),
    PiaStatus.REFUSED: N_("Refused by the controller"),
    PiaStatus.VALIDATED: N_("Validated by the controller"),
    PiaStatus.SIGNED: N_("Validated and signed by the controller"),
    PiaStatus.ARCHIVED: N_("Archived"),
}


def label_of(labels: dict[int, str], value: int | None) -> str:
    return _(labels[value]) if value in labels else str(value if value is not None else "—")


class Trace(_Model):
    """What the PIA tool keeps about one of its records, kept so an export goes back unchanged.

    ``extra``: any key of the tool's record that rgpd does not model (newer tool
    versions add some); written back as it came. ``keys``: which keys the record
    had (a key the tool left out stays out, one it wrote as ``null`` stays ``null``).
    """

    id: int | None = None
    created_at: str | None = None
    updated_at: str | None = None
    keys: list[str] | None = None  # the record's keys, in the tool's order
    extra: dict[str, Any] = Field(default_factory=dict)


class Evaluation(_Model):
    """The evaluator's judgement (the PIA tool's evaluation of an item, question or measure)."""

    status: EvaluationStatus = EvaluationStatus.PENDING
    comment: str | None = None  # evaluation_comment
    action_plan: str | None = None  # action_plan_comment: the corrective measure planned
    implementation_date: str | None = None  # estimated_implementation_date
    person_in_charge: str | None = None
    global_status: int = 0  # 0 no evaluation, 1 evaluation started, 2 evaluation completed
    trace: Trace | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, v: object) -> object:
        return 0 if v is None else v


class Answer(_Model):
    """One question's answer; section 2 questions are evaluated one by one."""

    text: str = ""
    evaluation: Evaluation | None = None


class Overview(_Model):
    """1.1 Overview: the processing, its responsibilities, the standards that apply."""

    processing: Answer = Field(default_factory=Answer)  # 111
    responsibilities: Answer = Field(default_factory=Answer)  # 112
    standards: Answer = Field(default_factory=Answer)  # 113
    evaluation: Evaluation | None = None  # "1.1"


class DataProcesses(_Model):
    """1.2 Data, processes and supporting assets."""

    data: Answer = Field(default_factory=Answer)  # 121: data, recipients, retention
    lifecycle: Answer = Field(default_factory=Answer)  # 122: processes (life cycle)
    supports: Answer = Field(default_factory=Answer)  # 123: supporting assets
    evaluation: Evaluation | None = None  # "1.2"


class Context(_Model):
    overview: Overview = Field(default_factory=Overview)
    data: DataProcesses = Field(default_factory=DataProcesses)


class Proportionality(_Model):
    """2.1 Proportionality and necessity (Art. 5(1), Art. 6)."""

    purposes: Answer = Field(default_factory=Answer)  # 211: specified, explicit, legitimate
    legal_basis: Answer = Field(default_factory=Answer)  # 212: lawfulness
    minimisation: Answer = Field(default_factory=Answer)  # 213: adequate, relevant, limited
    accuracy: Answer = Field(default_factory=Answer)  # 214: accurate, kept up to date
    retention: Answer = Field(default_factory=Answer)  # 215: storage limitation


class RightsProtection(_Model):
    """2.2 Measures protecting the data subjects' rights (Arts. 12-22, 28, 44-49)."""

    information: Answer = Field(default_factory=Answer)  # 221: Arts. 12-14
    consent: Answer = Field(default_factory=Answer)  # 222: Art. 7
    access_portability: Answer = Field(default_factory=Answer)  # 223: Arts. 15, 20
    rectification_erasure: Answer = Field(default_factory=Answer)  # 224: Arts. 16, 17
    restriction_objection: Answer = Field(default_factory=Answer)  # 225: Arts. 18, 21
    processors: Answer = Field(default_factory=Answer)  # 226: Art. 28
    transfers: Answer = Field(default_factory=Answer)  # 227: Chapter V


class Principles(_Model):
    proportionality: Proportionality = Field(default_factory=Proportionality)
    rights: RightsProtection = Field(default_factory=RightsProtection)


class Measure(_Model):
    """An existing or planned measure (3.1); risks name the measures that treat them."""

    id: int
    title: str
    content: str = ""
    placeholder: str | None = None  # the PIA tool's knowledge-base slug
    evaluation: Evaluation | None = None  # "3.1.<id>"
    trace: Trace | None = None


class Risk(_Model):
    """One feared event (3.2, 3.3, 3.4), before and after the planned measures."""

    impacts: list[str] = Field(default_factory=list)  # x21: potential impacts on the people
    threats: list[str] = Field(default_factory=list)  # x22
    sources: list[str] = Field(default_factory=list)  # x23: risk sources
    measures: list[str] = Field(default_factory=list)  # x24: titles of the measures
    severity: Level | None = None  # x25 gauge, before the planned measures
    severity_text: str = ""  # x25: why
    likelihood: Level | None = None  # x26 gauge
    likelihood_text: str = ""  # x26: why
    residual_severity: Level | None = None  # after the planned measures (evaluation gauge x)
    residual_likelihood: Level | None = None  # (evaluation gauge y)
    evaluation: Evaluation | None = None  # "3.2" / "3.3" / "3.4"

    @field_validator(
        "severity", "likelihood", "residual_severity", "residual_likelihood", mode="before"
    )
    @classmethod
    def _level(cls, v: object) -> object:
        return None if v in (0, None, "") else v

    @model_validator(mode="after")
    def _residual_is_evaluated(self) -> Risk:
        """A residual level is the evaluator's: it lives in an evaluation (one canonical form)."""
        if self.evaluation is None and (self.residual_severity or self.residual_likelihood):
            self.__dict__["evaluation"] = Evaluation()
        return self


class Risks(_Model):
    access: Risk = Field(default_factory=Risk)  # 3.2 illegitimate access to data
    modification: Risk = Field(default_factory=Risk)  # 3.3 unwanted modification of data
    disappearance: Risk = Field(default_factory=Risk)  # 3.4 disappearance of data


RISK_KINDS: tuple[str, ...] = ("access", "modification", "disappearance")
RISK_TITLES: dict[str, str] = {
    "access": N_("Illegitimate access to data"),
    "modification": N_("Unwanted modification of data"),
    "disappearance": N_("Disappearance of data"),
}


class Validation(_Model):
    """4. Validation: the DPO (Art. 35(2)), the data subjects (Art. 35(9)), the controller."""

    dpo_names: str | None = None
    dpo_status: int | None = None  # 1: OK, the processing may go ahead; 0: NOK
    dpo_opinion: str | None = None
    people_names: str | None = None
    people_searched: bool | None = None  # was the data subjects' opinion sought?
    people_not_sought_reason: str | None = None  # why not (Art. 35(9): "where appropriate")
    people_status: int | None = None  # 1: favourable; 0: not
    people_opinion: str | None = None
    decision: PiaStatus = PiaStatus.IN_PROGRESS  # the controller's decision
    rejection_reason: str | None = None
    applied_adjustments: str | None = None


class Comment(_Model):
    """A reviewer's comment on a question (or on a measure when ``for_measure``)."""

    reference: int
    text: str
    for_measure: bool = False
    trace: Trace | None = None


class ImpactAssessment(_Model):
    """One DPIA: the CNIL method's four parts, who wrote, evaluated and validated it."""

    ref: str
    name: str
    activity_ref: str | None = None  # the register activity it assesses
    author: str | None = None
    evaluator: str | None = None
    validator: str | None = None
    category: str | None = None
    assessed_on: _dt.date | None = None  # when it was carried out or last reviewed
    context: Context = Field(default_factory=Context)
    principles: Principles = Field(default_factory=Principles)
    measures: list[Measure] = Field(default_factory=list)
    risks: Risks = Field(default_factory=Risks)
    validation: Validation = Field(default_factory=Validation)
    comments: list[Comment] = Field(default_factory=list)
    # The PIA tool's own bookkeeping, kept for a lossless round trip.
    pia: Trace | None = None
    answer_traces: dict[int, Trace] = Field(default_factory=dict)

    @field_validator("ref")
    @classmethod
    def _ref(cls, v: str) -> str:
        if not SLUG_RE.match(v):
            raise ValueError(_("reference in lowercase letters, digits, '_' or '-'"))
        return v

    @field_validator("measures")
    @classmethod
    def _unique_ids(cls, v: list[Measure]) -> list[Measure]:
        ids = [m.id for m in v]
        if len(ids) != len(set(ids)):
            raise ValueError(_("two measures share an id"))
        return v

    def risk(self, kind: str) -> Risk:
        risk: Risk = getattr(self.risks, kind)
        return risk

    def next_measure_id(self) -> int:
        return max((m.id for m in self.measures), default=0) + 1


# ---------------------------------------------------------------------------- question map

#: The PIA tool's question ids (pia_architecture.json) → where the answer lives here.
#: Text questions: (part, item, field). Risk questions: ("risks", kind, field).
QUESTIONS: dict[int, tuple[str, str, str]] = {
    111: ("context", "overview", "processing"),
    112: ("context", "overview", "responsibilities"),
    113: ("context", "overview", "standards"),
    121: ("context", "data", "data"),
    122: ("context", "data", "lifecycle"),
    123: ("context", "data", "supports"),
    211: ("principles", "proportionality", "purposes"),
    212: ("principles", "proportionality", "legal_basis"),
    213: ("principles", "proportionality", "minimisation"),
    214: ("principles", "proportionality", "accuracy"),
    215: ("principles", "proportionality", "retention"),
    221: ("principles", "rights", "information"),
    222: ("principles", "rights", "consent"),
    223: ("principles", "rights", "access_portability"),
    224: ("principles", "rights", "rectification_erasure"),
    225: ("principles", "rights", "restriction_objection"),
    226: ("principles", "rights", "processors"),
    227: ("principles", "rights", "transfers"),
}
RISK_ITEMS: dict[str, int] = {"access": 2, "modification": 3, "disappearance": 4}
#: x21..x26 of a risk item → the Risk field (list, or gauge with its text).
RISK_QUESTIONS: dict[int, str] = {
    1: "impacts",
    2: "threats",
    3: "sources",
    4: "measures",
    5: "severity",
    6: "likelihood",
}

QUESTION_TITLES: dict[int, str] = {
    111: N_("What is the processing under consideration?"),
    112: N_("What are the responsibilities linked to the processing?"),
    113: N_("Are there standards applicable to the processing?"),
    121: N_("What are the data processed?"),
    122: N_("How does the life cycle of data and processes work?"),
    123: N_("What are the data supporting assets?"),
    211: N_("Are the processing purposes specified, explicit and legitimate?"),
    212: N_("What are the legal basis making the processing lawful?"),
    213: N_("Are the data collected adequate, relevant and limited?"),
    214: N_("Are the data accurate and kept up to date?"),
    215: N_("What are the storage durations of the data?"),
    221: N_("How are the data subjects informed about the processing?"),
    222: N_("If applicable, how is the consent of data subjects obtained?"),
    223: N_("How can data subjects exercise their rights of access and to data portability?"),
    224: N_("How can data subjects exercise their rights to rectification and erasure?"),
    225: N_("How can data subjects exercise their rights to restriction and to object?"),
    226: N_("Are the obligations of the processors clearly identified and governed by a contract?"),
    227: N_("In the case of data transfer outside the EU, are the data adequately protected?"),
}

ITEM_TITLES: dict[str, str] = {
    "overview": N_("Overview"),
    "data": N_("Data, processes and supporting assets"),
    "proportionality": N_("Proportionality and necessity"),
    "rights": N_("Controls to protect the personal rights of data subjects"),
    "measures": N_("Planned or existing measures"),
}


def answer_at(dpia: ImpactAssessment, question: int) -> Answer:
    """The answer to a text question (111-227) of ``dpia``."""
    part, item, fld = QUESTIONS[question]
    answer: Answer = getattr(getattr(getattr(dpia, part), item), fld)
    return answer


def text_questions() -> list[int]:
    return sorted(QUESTIONS)


def risk_question(kind: str, n: int) -> int:
    """``risk_question("access", 5)`` → 325 (the PIA tool's id)."""
    return 300 + RISK_ITEMS[kind] * 10 + n


def evaluation_label(status: int | None) -> str:
    return label_of(EVALUATION_LABELS, status)


def status_label(status: int | None) -> str:
    return label_of(PIA_STATUS_LABELS, status)
