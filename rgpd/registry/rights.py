"""Which rights apply to which processing activity, with the article and a proposed answer.

The legal basis recorded in the register (Art. 6(1)) decides most of it:

* access (Art. 15) and rectification (Art. 16) apply whatever the basis;
* restriction (Art. 18) applies whenever one of the situations of 18(1)(a)-(d) arises;
* portability (Art. 20) only for consent (6(1)(a) or 9(2)(a)) or contract (6(1)(b)) *and*
  processing carried out by automated means (20(1)); never for a public task (20(3));
* objection (Art. 21(1)) only for 6(1)(e) or (f) processing, and the controller may
  show compelling legitimate grounds; consent is withdrawn instead (Art. 7(3));
* erasure (Art. 17) does not apply while the data are needed for a legal obligation or
  a public task (17(3)(b)), and is limited for public-health purposes (17(3)(c)),
  archiving in the public interest (17(3)(d)) and legal claims (17(3)(e));
* directives after death (loi n° 78-17, art. 85) concern every activity;
* a request for administrative documents falls under the CRPA (art. L311-1), not here.

The answer is a proposal for the DPO, never an automatic decision.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from rgpd.i18n import N_, _
from rgpd.registry.model import Activity, Art9Condition, FinalDisposition, LegalBasis


class Regime(StrEnum):
    """Which body of law governs a request; a request under the wrong one is routed."""

    GDPR = "rgpd"  # Regulation (EU) 2016/679, Arts. 15-21
    LIL = "loi_informatique_libertes"  # loi n° 78-17 du 6 janvier 1978
    CRPA = "crpa"  # Code des relations entre le public et l'administration (CADA)


class RequestType(StrEnum):
    ACCESS = "acces"
    RECTIFICATION = "rectification"
    ERASURE = "effacement"
    RESTRICTION = "limitation"
    PORTABILITY = "portabilite"
    OBJECTION = "opposition"
    POST_MORTEM = "directives_post_mortem"
    CADA = "document_administratif"

    @property
    def article(self) -> str:
        return _ARTICLES[self]

    @property
    def regime(self) -> Regime:
        if self is RequestType.POST_MORTEM:
            return Regime.LIL
        if self is RequestType.CADA:
            return Regime.CRPA
        return Regime.GDPR

    @property
    def label(self) -> str:
        """English msgid; translate with ``_()`` at display time."""
        return _LABELS[self]


_ARTICLES: dict[RequestType, str] = {
    RequestType.ACCESS: N_("Art. 15 GDPR"),
    RequestType.RECTIFICATION: N_("Art. 16 GDPR"),
    RequestType.ERASURE: N_("Art. 17 GDPR"),
    RequestType.RESTRICTION: N_("Art. 18 GDPR"),
    RequestType.PORTABILITY: N_("Art. 20 GDPR"),
    RequestType.OBJECTION: N_("Art. 21 GDPR"),
    RequestType.POST_MORTEM: N_("loi n° 78-17, art. 85"),
    RequestType.CADA: N_("CRPA, art. L311-1"),
}

_LABELS: dict[RequestType, str] = {
    RequestType.ACCESS: N_("Right of access"),
    RequestType.RECTIFICATION: N_("Right to rectification"),
    RequestType.ERASURE: N_("Right to erasure"),
    RequestType.RESTRICTION: N_("Right to restriction of processing"),
    RequestType.PORTABILITY: N_("Right to data portability"),
    RequestType.OBJECTION: N_("Right to object"),
    RequestType.POST_MORTEM: N_("Directives on data after death"),
    RequestType.CADA: N_("Access to administrative documents"),
}

#: Rights that are GDPR data-subject rights (Arts. 15 to 22), i.e. on the Art. 12(3) clock.
GDPR_RIGHTS: frozenset[RequestType] = frozenset(t for t in RequestType if t.regime is Regime.GDPR)


class Applicability(StrEnum):
    APPLIES = "applies"
    PARTLY = "partly"
    DOES_NOT_APPLY = "does_not_apply"
    UNDETERMINED = "undetermined"  # the register lacks what decides it (legal basis)


@dataclass(frozen=True, slots=True)
class RightAssessment:
    activity: str  # activity ref
    right: RequestType
    applicability: Applicability
    articles: tuple[str, ...]
    reasons: tuple[str, ...]
    proposed_text: str


@dataclass(frozen=True, slots=True)
class RightsAnswer:
    """The per-activity assessments of one request and what they add up to."""

    right: RequestType
    applicability: Applicability
    assessments: tuple[RightAssessment, ...]

    @property
    def proposed_text(self) -> str:
        return "\n\n".join(a.proposed_text for a in self.assessments)


_PUBLIC = (LegalBasis.LEGAL_OBLIGATION, LegalBasis.PUBLIC_TASK)
_ARCHIVED = (FinalDisposition.VERSEMENT, FinalDisposition.TRI)


def automated_means(activity: Activity) -> bool | None:
    """Art. 20(1)(b) "carried out by automated means": known from software or data locations.

    ``None`` when the register says nothing (a paper-only activity is possible).
    """
    if activity.software or activity.data_locations:
        return True
    return None


def _basis_text(activity: Activity) -> str:
    return f" ({activity.legal_basis_text})" if activity.legal_basis_text else ""


def _undetermined(activity: Activity, right: RequestType) -> RightAssessment:
    return RightAssessment(
        activity.ref,
        right,
        Applicability.UNDETERMINED,
        (right.article, "Art. 6(1) GDPR"),
        (
            _(
                "The register does not state the legal basis of this activity (Art. 30(1), Art. 6(1) GDPR)."
            ),
        ),
        _(
            'We are examining whether your request concerning "{activity}" can be granted; '
            "we will answer within the legal time limit (Art. 12(3) GDPR).",
            activity=activity.name,
        ),
    )


def _access(activity: Activity) -> RightAssessment:
    return RightAssessment(
        activity.ref,
        RequestType.ACCESS,
        Applicability.APPLIES,
        ("Art. 15 GDPR", "Art. 15(4) GDPR"),
        (
            _(
                "The right of access applies whatever the legal basis (Art. 15 GDPR); the copy must "
                "not adversely affect the rights of others: redact third parties (Art. 15(4))."
            ),
        ),
        _(
            "You will find enclosed a copy of the personal data concerning you processed for "
            '"{activity}", with the information listed in Art. 15(1) GDPR (purposes, categories '
            "of data, recipients, retention period, your rights and the source of the data).",
            activity=activity.name,
        ),
    )


def _rectification(activity: Activity) -> RightAssessment:
    return RightAssessment(
        activity.ref,
        RequestType.RECTIFICATION,
        Applicability.APPLIES,
        ("Art. 16 GDPR", "Art. 19 GDPR"),
        (
            _(
                "The right to rectification applies whatever the legal basis (Art. 16 GDPR); "
                "recipients are informed of the rectification (Art. 19)."
            ),
        ),
        _(
            'The inaccurate data concerning you in "{activity}" have been rectified and the '
            "recipients of those data have been informed (Arts. 16 and 19 GDPR).",
            activity=activity.name,
        ),
    )


def _restriction(activity: Activity) -> RightAssessment:
    return RightAssessment(
        activity.ref,
        RequestType.RESTRICTION,
        Applicability.APPLIES,
        ("Art. 18(1) GDPR", "Art. 19 GDPR"),
        (
            _(
                "Restriction applies in the situations of Art. 18(1)(a)-(d): accuracy contested, "
                "unlawful processing, data needed by the person for legal claims, objection pending."
            ),
        ),
        _(
            'The processing of your data in "{activity}" is restricted while your request is '
            "examined: the data are kept but no longer used (Art. 18 GDPR). You will be informed "
            "before the restriction is lifted (Art. 18(3)).",
            activity=activity.name,
        ),
    )


def _portability(activity: Activity) -> RightAssessment:
    basis = activity.legal_basis
    r = RequestType.PORTABILITY
    if basis is LegalBasis.PUBLIC_TASK:
        return RightAssessment(
            activity.ref,
            r,
            Applicability.DOES_NOT_APPLY,
            ("Art. 20(3) GDPR",),
            (
                _(
                    "Processing for a task in the public interest or in the exercise of official "
                    "authority{text}: portability does not apply (Art. 20(3) GDPR).",
                    text=_basis_text(activity),
                ),
            ),
            _(
                'The right to data portability does not apply to "{activity}": this processing is '
                "necessary for a task carried out in the public interest or in the exercise of "
                "official authority vested in us (Art. 20(3) GDPR). You may still obtain a copy of "
                "your data under your right of access (Art. 15 GDPR).",
                activity=activity.name,
            ),
        )
    by_consent = basis is LegalBasis.CONSENT or activity.art9_condition is Art9Condition.A
    if not (by_consent or basis is LegalBasis.CONTRACT):
        return RightAssessment(
            activity.ref,
            r,
            Applicability.DOES_NOT_APPLY,
            ("Art. 20(1)(a) GDPR",),
            (
                _(
                    "Portability only covers processing based on consent or a contract "
                    "(Art. 20(1)(a) GDPR); this activity relies on Art. 6(1)({basis}).",
                    basis=basis.value if basis else "?",
                ),
            ),
            _(
                'The right to data portability does not apply to "{activity}": it only covers '
                "processing based on your consent or on a contract (Art. 20(1)(a) GDPR). You may "
                "still obtain a copy of your data under your right of access (Art. 15 GDPR).",
                activity=activity.name,
            ),
        )
    if automated_means(activity) is None:
        return RightAssessment(
            activity.ref,
            r,
            Applicability.PARTLY,
            ("Art. 20(1)(b) GDPR",),
            (
                _(
                    "Consent or contract, but the register does not show the processing is carried out "
                    "by automated means (Art. 20(1)(b) GDPR): paper records are not covered."
                ),
            ),
            _(
                'The personal data you provided to us for "{activity}" and held in electronic form '
                "are enclosed in a structured, commonly used and machine-readable format "
                "(Art. 20 GDPR); paper records are not covered by this right.",
                activity=activity.name,
            ),
        )
    return RightAssessment(
        activity.ref,
        r,
        Applicability.APPLIES,
        ("Art. 20(1) GDPR",),
        (
            _(
                "Based on consent or a contract and carried out by automated means (Art. 20(1) GDPR): "
                "the data the person provided are given in a structured, machine-readable format."
            ),
        ),
        _(
            'The personal data you provided to us for "{activity}" are enclosed in a structured, '
            "commonly used and machine-readable format (Art. 20 GDPR). On request we can transmit them "
            "directly to another controller where technically feasible (Art. 20(2)).",
            activity=activity.name,
        ),
    )


def _objection(activity: Activity) -> RightAssessment:
    basis = activity.legal_basis
    r = RequestType.OBJECTION
    if basis in (LegalBasis.PUBLIC_TASK, LegalBasis.LEGITIMATE_INTERESTS):
        reasons = [
            _(
                "Processing based on Art. 6(1)({basis}){text}: the person may object on grounds "
                "relating to their particular situation; the controller must stop unless it "
                "demonstrates compelling legitimate grounds (Art. 21(1) GDPR).",
                basis=basis.value,
                text=_basis_text(activity),
            )
        ]
        if basis is LegalBasis.PUBLIC_TASK:
            reasons.append(
                _(
                    "Check whether the text grounding the activity restricts the right "
                    "to object (Art. 23 GDPR)."
                )
            )
        return RightAssessment(
            activity.ref,
            r,
            Applicability.APPLIES,
            ("Art. 21(1) GDPR",),
            tuple(reasons),
            _(
                'Your objection to the processing of your data in "{activity}" has been examined '
                "in the light of your particular situation (Art. 21(1) GDPR). [Either: the processing "
                "of your data has been stopped. Or: we have compelling legitimate grounds to continue, "
                "namely: ...]",
                activity=activity.name,
            ),
        )
    if basis is LegalBasis.CONSENT:
        return RightAssessment(
            activity.ref,
            r,
            Applicability.DOES_NOT_APPLY,
            ("Art. 21(1) GDPR", "Art. 7(3) GDPR"),
            (
                _(
                    "Based on consent: the right to object does not apply, but consent can be withdrawn "
                    "at any time (Art. 7(3) GDPR), which leads to erasure (Art. 17(1)(b))."
                ),
            ),
            _(
                'Your data are processed in "{activity}" with your consent: we treat your request as '
                "a withdrawal of consent (Art. 7(3) GDPR). The processing of your data has stopped and "
                "the data will be erased (Art. 17(1)(b)).",
                activity=activity.name,
            ),
        )
    return RightAssessment(
        activity.ref,
        r,
        Applicability.DOES_NOT_APPLY,
        ("Art. 21(1) GDPR",),
        (
            _(
                "The right to object applies only to processing based on Art. 6(1)(e) or (f) "
                "(Art. 21(1) GDPR); this activity relies on Art. 6(1)({basis}).",
                basis=basis.value if basis else "?",
            ),
        ),
        _(
            'The right to object does not apply to "{activity}": this processing is not based on a '
            "task in the public interest or on legitimate interests, but on Art. 6(1)({basis}) GDPR "
            "(Art. 21(1) GDPR).",
            activity=activity.name,
            basis=basis.value if basis else "?",
        ),
    )


def _erasure(activity: Activity) -> RightAssessment:
    basis = activity.legal_basis
    r = RequestType.ERASURE
    articles = ["Art. 17 GDPR"]
    limits: list[str] = []
    archived = [
        d.category
        for d in activity.data_categories
        if d.retention is not None and d.retention.final in _ARCHIVED
    ]
    if archived:
        articles.append("Art. 17(3)(d) GDPR")
        limits.append(
            _(
                "Data kept for archiving in the public interest ({categories}): erasure does "
                "not apply to what is transferred to the archives (Art. 17(3)(d) GDPR; "
                "Code du patrimoine).",
                categories=", ".join(archived),
            )
        )
    if activity.art9_condition in (Art9Condition.H, Art9Condition.I):
        articles.append("Art. 17(3)(c) GDPR")
        limits.append(
            _(
                "Health data processed under Art. 9(2)(h) or (i): erasure is limited for "
                "reasons of public interest in public health (Art. 17(3)(c) GDPR)."
            )
        )
    legal_claims = _(
        "Data needed for the establishment, exercise or defence of legal claims are "
        "kept (Art. 17(3)(e) GDPR)."
    )
    if basis in _PUBLIC:
        articles.insert(1, "Art. 17(3)(b) GDPR")
        which = (
            _("a legal obligation")
            if basis is LegalBasis.LEGAL_OBLIGATION
            else _(
                "a task carried out in the public interest or in the exercise of official authority"
            )
        )
        return RightAssessment(
            activity.ref,
            r,
            Applicability.DOES_NOT_APPLY,
            tuple(articles),
            (
                _(
                    "Processing necessary for {which}{text}: erasure does not apply while the data are "
                    "needed for it (Art. 17(3)(b) GDPR). Data kept beyond the retention period or "
                    "processed unlawfully must still be erased (Art. 17(1)(a) and (d)).",
                    which=which,
                    text=_basis_text(activity),
                ),
                *limits,
                legal_claims,
            ),
            _(
                'We cannot erase your data from "{activity}": their processing is necessary for '
                "{which} (Art. 17(3)(b) GDPR). They will be erased at the end of the retention period "
                "set for this processing.",
                activity=activity.name,
                which=which,
            ),
        )
    grounds = {
        LegalBasis.CONSENT: _("consent withdrawn (Art. 17(1)(b))"),
        LegalBasis.CONTRACT: _("data no longer necessary for the contract (Art. 17(1)(a))"),
        LegalBasis.VITAL_INTERESTS: _("data no longer necessary (Art. 17(1)(a))"),
        LegalBasis.LEGITIMATE_INTERESTS: _(
            "objection without overriding legitimate grounds (Art. 17(1)(c))"
        ),
    }
    reasons = (
        _(
            "Erasure applies when one of the grounds of Art. 17(1) GDPR is met, here typically: "
            "{ground}.",
            ground=grounds[basis],
        )
        if basis is not None
        else "",
        *limits,
        legal_claims,
    )
    return RightAssessment(
        activity.ref,
        r,
        Applicability.PARTLY if limits else Applicability.APPLIES,
        tuple(articles),
        tuple(x for x in reasons if x),
        (
            _(
                'Your data have been erased from "{activity}", except those we must keep for archiving '
                "in the public interest or public health (Art. 17(3) GDPR). The recipients of your data "
                "have been informed (Art. 19).",
                activity=activity.name,
            )
            if limits
            else _(
                'Your data have been erased from "{activity}" (Art. 17 GDPR) and the recipients of '
                "your data have been informed (Art. 19).",
                activity=activity.name,
            )
        ),
    )


def _post_mortem(activity: Activity) -> RightAssessment:
    return RightAssessment(
        activity.ref,
        RequestType.POST_MORTEM,
        Applicability.APPLIES,
        ("loi n° 78-17, art. 85",),
        (
            _(
                "Directives on the retention, erasure and communication of data after death apply to "
                "every processing (loi n° 78-17, art. 85); heirs must prove their quality."
            ),
        ),
        _(
            'We have recorded the directives concerning the data processed in "{activity}" and will '
            "apply them after death (loi n° 78-17 du 6 janvier 1978, art. 85).",
            activity=activity.name,
        ),
    )


def _cada(activity: Activity) -> RightAssessment:
    return RightAssessment(
        activity.ref,
        RequestType.CADA,
        Applicability.DOES_NOT_APPLY,
        ("CRPA, art. L311-1",),
        (
            _(
                "A request for administrative documents is not a GDPR right: it is handled under the "
                "Code des relations entre le public et l'administration (art. L311-1)."
            ),
        ),
        _(
            "Your request concerns access to administrative documents: it is handled under articles "
            "L311-1 and following of the Code des relations entre le public et l'administration, "
            "and has been passed to the person in charge of access to administrative documents."
        ),
    )


_RULES = {
    RequestType.ACCESS: _access,
    RequestType.RECTIFICATION: _rectification,
    RequestType.RESTRICTION: _restriction,
    RequestType.PORTABILITY: _portability,
    RequestType.OBJECTION: _objection,
    RequestType.ERASURE: _erasure,
    RequestType.POST_MORTEM: _post_mortem,
    RequestType.CADA: _cada,
}

#: Rights whose answer depends on the legal basis.
_BASIS_DEPENDENT = frozenset({RequestType.PORTABILITY, RequestType.OBJECTION, RequestType.ERASURE})


def assess_right(right: RequestType, activity: Activity) -> RightAssessment:
    if right in _BASIS_DEPENDENT and activity.legal_basis is None:
        return _undetermined(activity, right)
    return _RULES[right](activity)


def assess_request(right: RequestType, activities: Iterable[Activity]) -> RightsAnswer:
    """One assessment per activity; the overall answer is 'partly' when they differ."""
    items = tuple(assess_right(right, a) for a in activities)
    kinds = {a.applicability for a in items}
    if not kinds:
        overall = Applicability.UNDETERMINED
    elif len(kinds) == 1:
        overall = kinds.pop()
    elif Applicability.UNDETERMINED in kinds:
        overall = Applicability.UNDETERMINED
    else:
        overall = Applicability.PARTLY
    return RightsAnswer(right, overall, items)


def rights_matrix(activity: Activity) -> dict[RequestType, Applicability]:
    """Applicability of every right for one activity (forms list only what may apply)."""
    return {t: assess_right(t, activity).applicability for t in RequestType}
