"""The maturity index: a short yearly self-assessment, in the style of Madis's « indice de maturité ».

What it is, and what it is not: the compliance score (:mod:`rgpd.registry.compliance`)
is *measured* from what rgpd holds (the register, scans, requests, breaches); the
maturity index is *declared* by the organisation, answering the questions below
once a year. Reports must always say which is which: a high declared index next
to a low measured score is itself a finding for the DPO.

The questionnaire is data: each question has a stable key (answers are stored by
key, so rewording a question keeps past answers comparable), its domain, its
texts in French and English and the article it relates to. Each answer is a level
from 0 to 3 (:data:`LEVELS`). Scoring follows Madis (``Calculator/Maturity.php``
read at svs-step/madis): a domain scores the mean of its answers brought to a
scale of 10, the index is the mean of the domain scores. Pure: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from rgpd.i18n import N_, _, _n, get_language

__all__ = [
    "DOMAIN_LABELS",
    "LEVELS",
    "MAX_LEVEL",
    "QUESTIONS",
    "DomainScore",
    "MaturityAnswers",
    "MaturityDomain",
    "MaturityResult",
    "Question",
    "questions_by_key",
    "score",
]


class MaturityDomain(StrEnum):
    GOVERNANCE = "gouvernance"
    REGISTER = "registre"
    RIGHTS = "droits"
    SECURITY = "securite"
    SUBCONTRACTING = "sous_traitance"
    TRAINING = "formation"
    AWARENESS = "sensibilisation"


DOMAIN_LABELS: dict[MaturityDomain, str] = {
    MaturityDomain.GOVERNANCE: N_("Governance"),
    MaturityDomain.REGISTER: N_("Register"),
    MaturityDomain.RIGHTS: N_("People's rights"),
    MaturityDomain.SECURITY: N_("Security"),
    MaturityDomain.SUBCONTRACTING: N_("Processors"),
    MaturityDomain.TRAINING: N_("Training"),
    MaturityDomain.AWARENESS: N_("Awareness"),
}

MAX_LEVEL = 3
#: The answer scale, the same for every question (0 = nothing, 3 = done and reviewed).
LEVELS: tuple[str, ...] = (
    N_("Not in place"),
    N_("Started, informal"),
    N_("In place, partly documented"),
    N_("In place, documented and reviewed"),
)


@dataclass(frozen=True)
class Question:
    key: str
    domain: MaturityDomain
    text_fr: str
    text_en: str
    article: str

    @property
    def text(self) -> str:
        """The question in the current language."""
        return self.text_fr if get_language() == "fr" else self.text_en


def _q(key: str, domain: MaturityDomain, fr: str, en: str, article: str) -> Question:
    return Question(f"{domain.value}.{key}", domain, fr, en, article)


_G, _R, _D, _S, _P, _F, _A = (
    MaturityDomain.GOVERNANCE,
    MaturityDomain.REGISTER,
    MaturityDomain.RIGHTS,
    MaturityDomain.SECURITY,
    MaturityDomain.SUBCONTRACTING,
    MaturityDomain.TRAINING,
    MaturityDomain.AWARENESS,
)

QUESTIONS: tuple[Question, ...] = (
    _q(
        "dpo",
        _G,
        "Un délégué à la protection des données est désigné, déclaré à la CNIL et dispose "
        "du temps et des moyens de sa mission.",
        "A data protection officer is designated, declared to the CNIL and has the time "
        "and means for the task.",
        "Art. 37-39",
    ),
    _q(
        "policy",
        _G,
        "Une politique de protection des données est adoptée et connue des services.",
        "A data protection policy is adopted and known to the departments.",
        "Art. 24(2)",
    ),
    _q(
        "steering",
        _G,
        "Le DPO rend compte au moins une fois par an à l'autorité (bilan, plan d'action).",
        "The DPO reports to the executive at least once a year (annual report, action plan).",
        "Art. 38(3)",
    ),
    _q(
        "complete",
        _R,
        "Le registre couvre toutes les activités de traitement des services.",
        "The register covers every processing activity of the departments.",
        "Art. 30(1)",
    ),
    _q(
        "reviewed",
        _R,
        "Le registre est revu au moins une fois par an et à chaque nouveau traitement.",
        "The register is reviewed at least yearly and for every new processing.",
        "Art. 24(1), Art. 30",
    ),
    _q(
        "retention",
        _R,
        "Les durées de conservation sont fixées et les purges ou versements sont faits.",
        "Retention periods are set and deletions or transfers to archives are carried out.",
        "Art. 5(1)(e)",
    ),
    _q(
        "information",
        _D,
        "Les personnes sont informées à chaque collecte (mentions sur les formulaires, affichage).",
        "People are informed at every collection (notices on forms, posters).",
        "Art. 13-14",
    ),
    _q(
        "procedure",
        _D,
        "Une procédure traite les demandes d'exercice des droits dans le délai d'un mois.",
        "A procedure answers requests to exercise rights within one month.",
        "Art. 12(3)",
    ),
    _q(
        "agents",
        _D,
        "Les agents d'accueil savent reconnaître une demande et la transmettre au DPO.",
        "Front-desk staff recognise a request and pass it to the DPO.",
        "Art. 12(2)",
    ),
    _q(
        "access",
        _S,
        "Les accès sont nominatifs, limités au besoin et revus au départ des agents.",
        "Access is personal, limited to need and reviewed when staff leave.",
        "Art. 32(1)(b)",
    ),
    _q(
        "backup",
        _S,
        "Les sauvegardes sont faites, chiffrées, gardées hors site et leur restauration testée.",
        "Backups are made, encrypted, kept off site and their restoration is tested.",
        "Art. 32(1)(c)",
    ),
    _q(
        "breaches",
        _S,
        "Une procédure permet de traiter une violation et de la notifier en 72 heures.",
        "A procedure handles a breach and notifies it within 72 hours.",
        "Art. 33-34",
    ),
    _q(
        "contracts",
        _P,
        "Les contrats avec les sous-traitants comportent les clauses de l'article 28.",
        "Contracts with processors contain the Art. 28 clauses.",
        "Art. 28(3)",
    ),
    _q(
        "inventory",
        _P,
        "Les logiciels, hébergements et supports sont recensés avec leur sous-traitant.",
        "Software, hosting and supports are listed with their processor.",
        "Art. 28(1), Art. 30(1)(g)",
    ),
    _q(
        "transfers",
        _P,
        "Les transferts hors Union européenne sont identifiés et encadrés.",
        "Transfers outside the European Union are identified and covered by safeguards.",
        "Art. 44-46",
    ),
    _q(
        "dpo_training",
        _F,
        "Le DPO et ses relais suivent une formation au moins une fois par an.",
        "The DPO and the department contacts are trained at least once a year.",
        "Art. 38(2), Art. 39(1)(b)",
    ),
    _q(
        "staff_training",
        _F,
        "Les agents qui traitent des données sensibles ont été formés.",
        "Staff handling sensitive data have been trained.",
        "Art. 39(1)(b)",
    ),
    _q(
        "newcomers",
        _F,
        "Chaque nouvel agent reçoit une formation ou un livret sur la protection des données.",
        "Every newcomer gets training or a handbook on data protection.",
        "Art. 39(1)(b)",
    ),
    _q(
        "charter",
        _A,
        "Une charte informatique est signée par les agents et les élus.",
        "An IT charter is signed by staff and elected members.",
        "Art. 32(4)",
    ),
    _q(
        "campaigns",
        _A,
        "Des actions de sensibilisation ont lieu dans l'année (hameçonnage, bureau propre).",
        "Awareness actions take place during the year (phishing, clean desk).",
        "Art. 39(1)(b)",
    ),
    _q(
        "elected",
        _A,
        "Les élus sont sensibilisés à leurs responsabilités de responsable de traitement.",
        "Elected members are made aware of their responsibilities as controller.",
        "Art. 24(1)",
    ),
)


def questions_by_key() -> dict[str, Question]:
    return {q.key: q for q in QUESTIONS}


class MaturityAnswers(BaseModel):
    """One year's answers (the YAML of ``rgpd maturity answer --from``).

    Every question is answered: an index over a fixed questionnaire is what makes
    one year comparable with the next.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    year: int = Field(ge=2000, le=2100)
    answered_on: date | None = None
    answers: dict[str, int]
    comments: dict[str, str] = Field(default_factory=dict)

    @field_validator("answers")
    @classmethod
    def _levels(cls, v: dict[str, int]) -> dict[str, int]:
        known = questions_by_key()
        unknown = sorted(k for k in v if k not in known)
        if unknown:
            raise ValueError(
                _n(
                    "unknown question: {keys}",
                    "unknown questions: {keys}",
                    len(unknown),
                    keys=", ".join(unknown),
                )
            )
        bad = sorted(k for k, lvl in v.items() if not 0 <= lvl <= MAX_LEVEL)
        if bad:
            raise ValueError(
                _("answers are levels from 0 to {max}: {keys}", max=MAX_LEVEL, keys=", ".join(bad))
            )
        missing = [q.key for q in QUESTIONS if q.key not in v]
        if missing:
            raise ValueError(
                _n(
                    "unanswered question: {keys}",
                    "unanswered questions: {keys}",
                    len(missing),
                    keys=", ".join(missing),
                )
            )
        return {q.key: v[q.key] for q in QUESTIONS}  # questionnaire order: one canonical form

    @model_validator(mode="after")
    def _comments(self) -> MaturityAnswers:
        unknown = sorted(k for k in self.comments if k not in self.answers)
        if unknown:
            raise ValueError(_("comment on an unknown question: {keys}", keys=", ".join(unknown)))
        if self.answered_on is not None and self.answered_on.year < self.year:
            raise ValueError(_("'answered_on' is before the year it assesses"))
        return self


@dataclass(frozen=True)
class DomainScore:
    domain: MaturityDomain
    score: float  # 0 to 10
    answers: tuple[tuple[str, int], ...]  # (question key, level)

    @property
    def label(self) -> str:
        return _(DOMAIN_LABELS[self.domain])


@dataclass(frozen=True)
class MaturityResult:
    """One answer set scored: per domain and overall, on a scale of 10."""

    year: int
    version: int
    answered_on: date | None
    index: float  # 0 to 10, one decimal
    domains: tuple[DomainScore, ...]
    comments: tuple[tuple[str, str], ...] = ()  # (question key, comment)

    def domain(self, d: MaturityDomain) -> DomainScore:
        return next(x for x in self.domains if x.domain == d)


def score(answers: MaturityAnswers, *, version: int = 1) -> MaturityResult:
    """Domain score = mean level / 3 x 10; index = mean of the domain scores (Madis's scale)."""
    domains = []
    for d in MaturityDomain:
        got = tuple((q.key, answers.answers[q.key]) for q in QUESTIONS if q.domain == d)
        mean = sum(lvl for _k, lvl in got) / len(got)
        domains.append(DomainScore(d, round(mean / MAX_LEVEL * 10, 1), got))
    index = round(sum(x.score for x in domains) / len(domains), 1)
    return MaturityResult(
        answers.year,
        version,
        answers.answered_on,
        index,
        tuple(domains),
        tuple((k, answers.comments[k]) for k in answers.answers if k in answers.comments),
    )
