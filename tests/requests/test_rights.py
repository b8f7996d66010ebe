"""Which rights apply to an activity, from its legal basis (Arts. 15-21 GDPR)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rgpd.i18n import use_language
from rgpd.registry.model import (
    Activity,
    Art9Condition,
    DataCategoryUse,
    DataLocation,
    FinalDisposition,
    LegalBasis,
    Retention,
)
from rgpd.requests.model import RequestType
from rgpd.requests.rights import (
    Applicability,
    assess_request,
    assess_right,
    automated_means,
    rights_matrix,
)

AP, NO, PART, UND = (
    Applicability.APPLIES,
    Applicability.DOES_NOT_APPLY,
    Applicability.PARTLY,
    Applicability.UNDETERMINED,
)
RT = RequestType
LB = LegalBasis


def activity(
    basis: LegalBasis | None,
    *,
    software: bool = True,
    archived: bool = False,
    art9: Art9Condition | None = None,
    ref: str = "act",
) -> Activity:
    retention = Retention(
        active="5y", final=FinalDisposition.VERSEMENT if archived else FinalDisposition.DESTRUCTION
    )
    return Activity(
        ref=ref,
        name=f"Activité {ref}",
        legal_basis=basis,
        legal_basis_text="CGCT art. L2121-1" if basis is LB.PUBLIC_TASK else None,
        software=["Logiciel métier"] if software else [],
        art9_condition=art9,
        data_categories=[DataCategoryUse(category="etat_civil", retention=retention)],
    )


# (right, basis, software?, archived?, expected, article expected among the citations)
MATRIX = [
    (RT.ACCESS, LB.PUBLIC_TASK, True, False, AP, "Art. 15 GDPR"),
    (RT.ACCESS, LB.CONSENT, False, False, AP, "Art. 15 GDPR"),
    (RT.RECTIFICATION, LB.LEGAL_OBLIGATION, True, False, AP, "Art. 16 GDPR"),
    (RT.RESTRICTION, LB.PUBLIC_TASK, True, False, AP, "Art. 18(1) GDPR"),
    (RT.PORTABILITY, LB.CONSENT, True, False, AP, "Art. 20(1) GDPR"),
    (RT.PORTABILITY, LB.CONTRACT, True, False, AP, "Art. 20(1) GDPR"),
    (RT.PORTABILITY, LB.CONTRACT, False, False, PART, "Art. 20(1)(b) GDPR"),
    (RT.PORTABILITY, LB.PUBLIC_TASK, True, False, NO, "Art. 20(3) GDPR"),
    (RT.PORTABILITY, LB.LEGAL_OBLIGATION, True, False, NO, "Art. 20(1)(a) GDPR"),
    (RT.PORTABILITY, LB.LEGITIMATE_INTERESTS, True, False, NO, "Art. 20(1)(a) GDPR"),
    (RT.PORTABILITY, LB.VITAL_INTERESTS, True, False, NO, "Art. 20(1)(a) GDPR"),
    (RT.OBJECTION, LB.PUBLIC_TASK, True, False, AP, "Art. 21(1) GDPR"),
    (RT.OBJECTION, LB.LEGITIMATE_INTERESTS, True, False, AP, "Art. 21(1) GDPR"),
    (RT.OBJECTION, LB.CONSENT, True, False, NO, "Art. 7(3) GDPR"),
    (RT.OBJECTION, LB.CONTRACT, True, False, NO, "Art. 21(1) GDPR"),
    (RT.OBJECTION, LB.LEGAL_OBLIGATION, True, False, NO, "Art. 21(1) GDPR"),
    (RT.ERASURE, LB.PUBLIC_TASK, True, False, NO, "Art. 17(3)(b) GDPR"),
    (RT.ERASURE, LB.LEGAL_OBLIGATION, True, False, NO, "Art. 17(3)(b) GDPR"),
    (RT.ERASURE, LB.CONSENT, True, False, AP, "Art. 17 GDPR"),
    (RT.ERASURE, LB.CONTRACT, True, True, PART, "Art. 17(3)(d) GDPR"),
    (RT.ERASURE, LB.PUBLIC_TASK, True, True, NO, "Art. 17(3)(d) GDPR"),
    (RT.POST_MORTEM, LB.PUBLIC_TASK, True, False, AP, "loi n° 78-17, art. 85"),
    (RT.CADA, LB.PUBLIC_TASK, True, False, NO, "CRPA, art. L311-1"),
]


@pytest.mark.parametrize(("right", "basis", "software", "archived", "expected", "article"), MATRIX)
def test_rights_matrix(
    right: RequestType,
    basis: LegalBasis,
    software: bool,
    archived: bool,
    expected: Applicability,
    article: str,
) -> None:
    result = assess_right(right, activity(basis, software=software, archived=archived))
    assert result.applicability is expected
    assert article in result.articles
    assert result.reasons and result.proposed_text
    assert result.activity == "act" and result.right is right


@given(st.sampled_from(LegalBasis), st.booleans(), st.booleans())
def test_access_and_rectification_always_apply(
    basis: LegalBasis, software: bool, archived: bool
) -> None:
    a = activity(basis, software=software, archived=archived)
    assert assess_right(RT.ACCESS, a).applicability is AP
    assert assess_right(RT.RECTIFICATION, a).applicability is AP


@given(st.booleans(), st.booleans(), st.sampled_from([None, *Art9Condition]))
def test_never_portability_for_public_task(
    software: bool, archived: bool, art9: Art9Condition | None
) -> None:
    # Art. 20(3) wins even over explicit consent under Art. 9(2)(a)
    a = activity(LB.PUBLIC_TASK, software=software, archived=archived, art9=art9)
    assert assess_right(RT.PORTABILITY, a).applicability is NO


def test_portability_for_explicit_consent_under_article_9() -> None:
    a = activity(LB.VITAL_INTERESTS, art9=Art9Condition.A)
    assert assess_right(RT.PORTABILITY, a).applicability is AP


def test_public_health_limits_erasure() -> None:
    result = assess_right(RT.ERASURE, activity(LB.CONTRACT, art9=Art9Condition.H))
    assert result.applicability is PART
    assert "Art. 17(3)(c) GDPR" in result.articles


def test_erasure_always_mentions_legal_claims() -> None:
    for basis in LegalBasis:
        result = assess_right(RT.ERASURE, activity(basis))
        assert any("17(3)(e)" in r for r in result.reasons), basis


@pytest.mark.parametrize("right", [RT.PORTABILITY, RT.OBJECTION, RT.ERASURE])
def test_missing_legal_basis_is_undetermined(right: RequestType) -> None:
    result = assess_right(right, activity(None))
    assert result.applicability is UND
    assert "Art. 6(1) GDPR" in result.articles


def test_basis_independent_rights_need_no_basis() -> None:
    assert assess_right(RT.ACCESS, activity(None)).applicability is AP


def test_automated_means_from_software_or_locations() -> None:
    assert automated_means(activity(LB.CONSENT)) is True
    assert automated_means(activity(LB.CONSENT, software=False)) is None
    located = activity(LB.CONSENT, software=False).model_copy(
        update={"data_locations": [DataLocation(kind="files", path="/srv/partage/*.xlsx")]}
    )
    assert automated_means(located) is True


def test_assess_request_over_several_activities() -> None:
    canteen = activity(LB.CONTRACT, ref="cantine")
    civil = activity(LB.PUBLIC_TASK, ref="etat-civil")
    mixed = assess_request(RT.PORTABILITY, [canteen, civil])
    assert mixed.applicability is PART
    assert [a.activity for a in mixed.assessments] == ["cantine", "etat-civil"]
    assert (
        "Activité cantine" in mixed.proposed_text and "Activité etat-civil" in mixed.proposed_text
    )
    assert assess_request(RT.PORTABILITY, [civil]).applicability is NO
    assert assess_request(RT.ACCESS, [canteen, civil]).applicability is AP
    assert assess_request(RT.ACCESS, []).applicability is UND
    assert assess_request(RT.ERASURE, [canteen, activity(None, ref="x")]).applicability is UND


def test_rights_matrix_covers_every_type() -> None:
    matrix = rights_matrix(activity(LB.PUBLIC_TASK))
    assert set(matrix) == set(RequestType)
    assert matrix[RT.PORTABILITY] is NO and matrix[RT.OBJECTION] is AP and matrix[RT.ERASURE] is NO


def test_proposed_text_goes_through_translation(monkeypatch: pytest.MonkeyPatch) -> None:
    from rgpd import i18n

    msgid = (
        'The right to data portability does not apply to "{activity}": this processing is '
        "necessary for a task carried out in the public interest or in the exercise of "
        "official authority vested in us (Art. 20(3) GDPR). You may still obtain a copy of "
        "your data under your right of access (Art. 15 GDPR)."
    )
    french = "Le droit à la portabilité ne s'applique pas à « {activity} » (art. 20(3) RGPD)."
    monkeypatch.setattr(i18n, "_catalog", lambda lang: {msgid: french} if lang == "fr" else {})
    with use_language("fr"):
        text = assess_right(RT.PORTABILITY, activity(LB.PUBLIC_TASK)).proposed_text
    assert (
        text == "Le droit à la portabilité ne s'applique pas à « Activité act » (art. 20(3) RGPD)."
    )
