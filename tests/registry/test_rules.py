"""Register lint rules and the DPIA verdict: one positive and one negative case per rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rgpd.registry.model import (
    Activity,
    ContractClause,
    DataCategoryUse,
    DpiaCriterion,
    LegalBasis,
    Organisation,
    OrgKind,
    Party,
    Processor,
    Recipient,
    RecipientKind,
    Register,
    Retention,
    Role,
    Safeguard,
    Security,
    SubjectCategory,
    Transfer,
)
from rgpd.registry.rules import (
    CNIL_DPIA_EXEMPTED,
    CNIL_DPIA_REQUIRED,
    NIR_CATEGORIES,
    Severity,
    dpia_verdict,
    has_errors,
    lint,
    lint_register,
)
from rgpd.taxonomy import ART9_CATEGORIES, CATEGORIES

TODAY = date(2026, 6, 1)
ORG = Organisation(
    slug="ville",
    name="Ville de Test",
    kind=OrgKind.COMMUNE,
    address="1 place de la Mairie, 99000 Test",
    dpo_name="DPO mutualisé",
    dpo_email="dpo@example.org",
)
PROCESSORS = [
    Processor(
        ref="editeur",
        name="Éditeur SAS",
        contract_date=date(2022, 1, 1),
        contract_clauses=list(ContractClause),
        hosting_country="FR",
    ),
    Processor(ref="sans-contrat", name="Sans Contrat SAS"),
]


def _use(category: str) -> DataCategoryUse:
    return DataCategoryUse(category=category, retention=Retention(active="5y"))


def clean(**update: Any) -> Activity:
    """An activity with no finding at all; each case below breaks exactly one thing."""
    base = Activity(
        ref="cantine",
        name="Restauration scolaire",
        purposes=["Inscription et facturation"],
        legal_basis=LegalBasis.PUBLIC_TASK,
        legal_basis_text="Code de l'éducation, art. L131-13",
        data_subjects=[SubjectCategory.PARENTS],
        data_categories=[_use("etat_civil"), _use("coordonnees")],
        recipients=[
            Recipient(name="Éditeur SAS", kind=RecipientKind.PROCESSOR, processor="editeur")
        ],
        security=Security(access_control=["Comptes nominatifs"]),
        review_date=date(2027, 1, 1),
    )
    # validate, so dict values become models exactly as they would from YAML
    return Activity.model_validate({**base.model_dump(), **update})


def codes(activity: Activity, org: Organisation | None = ORG) -> list[str]:
    return [i.code for i in lint(activity, org=org, processors=PROCESSORS, today=TODAY)]


def test_clean_activity_has_no_finding() -> None:
    assert lint(clean(), org=ORG, processors=PROCESSORS, today=TODAY) == []


# (case id, how to break the clean activity, org, expected code, severity, field)
Case = tuple[str, Callable[[], Activity], Organisation | None, str, Severity, str]
POSITIVE: list[Case] = [
    (
        "no legal basis",
        lambda: clean(legal_basis=None),
        ORG,
        "legal_basis_missing",
        Severity.ERROR,
        "legal_basis",
    ),
    (
        "6(1)(f) by a commune",
        lambda: clean(legal_basis="f"),
        ORG,
        "legitimate_interests_public_authority",
        Severity.ERROR,
        "legal_basis",
    ),
    (
        "6(1)(f) without organisation",
        lambda: clean(legal_basis="f"),
        None,
        "legitimate_interests_public_authority",
        Severity.ERROR,
        "legal_basis",
    ),
    (
        "public task without text",
        lambda: clean(legal_basis_text=None),
        ORG,
        "legal_basis_text_missing",
        Severity.WARNING,
        "legal_basis_text",
    ),
    (
        "legal obligation, blank text",
        lambda: clean(legal_basis="c", legal_basis_text="  "),
        ORG,
        "legal_basis_text_missing",
        Severity.WARNING,
        "legal_basis_text",
    ),
    (
        "health without Art. 9 condition",
        lambda: clean(data_categories=[_use("etat_civil"), _use("sante")]),
        ORG,
        "art9_condition_missing",
        Severity.ERROR,
        "art9_condition",
    ),
    (
        "offences without the Art. 10 flag",
        lambda: clean(data_categories=[_use("infractions")], art10_basis="CSI L511-1"),
        ORG,
        "art10_flag_missing",
        Severity.ERROR,
        "art10",
    ),
    (
        "Art. 10 flag without basis",
        lambda: clean(art10=True),
        ORG,
        "art10_basis_missing",
        Severity.ERROR,
        "art10_basis",
    ),
    (
        "category without retention",
        lambda: clean(
            data_categories=[_use("etat_civil"), DataCategoryUse(category="coordonnees")]
        ),
        ORG,
        "retention_missing",
        Severity.ERROR,
        "data_categories[1].retention",
    ),
    (
        "transfer without safeguard",
        lambda: clean(transfers=[Transfer(country="US", recipient="Cloud Inc.")]),
        ORG,
        "transfer_without_safeguard",
        Severity.ERROR,
        "transfers[0].safeguard",
    ),
    (
        "recipient abroad, no transfer recorded",
        lambda: clean(
            recipients=[Recipient(name="Partenaire", kind=RecipientKind.EXTERNAL, country="US")]
        ),
        ORG,
        "transfer_undeclared",
        Severity.WARNING,
        "recipients[0].country",
    ),
    (
        "DPIA required (CNIL list) but not done",
        lambda: clean(dpia={"cnil_required_list": "accompagnement_social"}),
        ORG,
        "dpia_missing",
        Severity.ERROR,
        "dpia.done",
    ),
    (
        "DPIA required (two criteria) but not done",
        lambda: clean(dpia={"criteria": ["surveillance_systematique", "grande_echelle"]}),
        ORG,
        "dpia_missing",
        Severity.ERROR,
        "dpia.done",
    ),
    (
        "unknown CNIL list entry",
        lambda: clean(dpia={"cnil_exempted_list": "pas-une-entree"}),
        ORG,
        "dpia_unknown_cnil_entry",
        Severity.WARNING,
        "dpia",
    ),
    (
        "processor without contract",
        lambda: clean(
            recipients=[Recipient(name="X", kind=RecipientKind.PROCESSOR, processor="sans-contrat")]
        ),
        ORG,
        "processor_without_contract",
        Severity.ERROR,
        "recipients[0].processor",
    ),
    (
        "unknown processor",
        lambda: clean(
            recipients=[Recipient(name="X", kind=RecipientKind.PROCESSOR, processor="inconnu")]
        ),
        ORG,
        "processor_unknown",
        Severity.ERROR,
        "recipients[0].processor",
    ),
    (
        "processor not linked",
        lambda: clean(recipients=[Recipient(name="X", kind=RecipientKind.PROCESSOR)]),
        ORG,
        "processor_unlinked",
        Severity.WARNING,
        "recipients[0].processor",
    ),
    (
        "NIR category without authorisation",
        lambda: clean(data_categories=[_use("etat_civil"), _use("nir")]),
        ORG,
        "nir_not_authorised",
        Severity.ERROR,
        "nir_authorisation",
    ),
    (
        "NIR as person identifier without authorisation",
        lambda: clean(person_identifiers=[{"key": "nir", "entity": "FR_NIR"}]),
        ORG,
        "nir_not_authorised",
        Severity.ERROR,
        "nir_authorisation",
    ),
    (
        "NIR with an unknown décret domain",
        lambda: clean(data_categories=[_use("nir")], nir_authorisation="fidelite"),
        ORG,
        "nir_category_unknown",
        Severity.WARNING,
        "nir_authorisation",
    ),
    (
        "review date passed",
        lambda: clean(review_date=date(2026, 5, 31)),
        ORG,
        "review_overdue",
        Severity.WARNING,
        "review_date",
    ),
    (
        "no review date",
        lambda: clean(review_date=None),
        ORG,
        "review_date_missing",
        Severity.INFO,
        "review_date",
    ),
    ("no purpose", lambda: clean(purposes=[]), ORG, "purposes_missing", Severity.ERROR, "purposes"),
    (
        "no data subjects",
        lambda: clean(data_subjects=[]),
        ORG,
        "data_subjects_missing",
        Severity.ERROR,
        "data_subjects",
    ),
    (
        "no data categories",
        lambda: clean(data_categories=[]),
        ORG,
        "data_categories_missing",
        Severity.ERROR,
        "data_categories",
    ),
    (
        "no security measure",
        lambda: clean(security=Security()),
        ORG,
        "security_missing",
        Severity.WARNING,
        "security",
    ),
    (
        "no controller at all",
        lambda: clean(),
        None,
        "controller_missing",
        Severity.ERROR,
        "controller",
    ),
    (
        "controller without contact",
        lambda: clean(controller=Party(name="Ville")),
        ORG,
        "controller_contact_missing",
        Severity.WARNING,
        "controller",
    ),
    (
        "organisation without address",
        lambda: clean(),
        ORG.model_copy(update={"address": None}),
        "controller_contact_missing",
        Severity.WARNING,
        "controller",
    ),
    (
        "public authority without DPO",
        lambda: clean(),
        ORG.model_copy(update={"dpo_name": None, "dpo_email": None}),
        "dpo_missing",
        Severity.WARNING,
        "dpo",
    ),
    (
        "processor-side activity without controllers served",
        lambda: clean(role=Role.PROCESSOR),
        ORG,
        "controllers_served_missing",
        Severity.ERROR,
        "controllers_served",
    ),
]


@pytest.mark.parametrize(
    ("case", "make", "org", "code", "severity", "field"), POSITIVE, ids=[c[0] for c in POSITIVE]
)
def test_rule_fires(
    case: str,
    make: Callable[[], Activity],
    org: Organisation | None,
    code: str,
    severity: Severity,
    field: str,
) -> None:
    issues = lint(make(), org=org, processors=PROCESSORS, today=TODAY)
    matching = [i for i in issues if i.code == code]
    assert matching, f"{case}: expected {code}, got {[i.code for i in issues]}"
    issue = matching[0]
    assert issue.severity == severity
    assert issue.field == field
    assert issue.activity_ref == "cantine"
    # Every finding cites the law, in its own field and in the message the DPO reads.
    assert issue.article
    assert any(w in issue.message for w in ("Art.", "décret", "loi n°"))


# The same rules must stay silent where the law is satisfied.
NEGATIVE: list[tuple[str, Callable[[], Activity], Organisation | None, str]] = [
    (
        "6(1)(f) by a private body",
        lambda: clean(legal_basis="f"),
        ORG.model_copy(update={"kind": OrgKind.AUTRE}),
        "legitimate_interests_public_authority",
    ),
    (
        "consent needs no grounding text",
        lambda: clean(legal_basis="a", legal_basis_text=None),
        ORG,
        "legal_basis_text_missing",
    ),
    (
        "health with an Art. 9(2)(h) condition",
        lambda: clean(data_categories=[_use("sante")], art9_condition="h"),
        ORG,
        "art9_condition_missing",
    ),
    (
        "NIR is not an Art. 9 category",
        lambda: clean(data_categories=[_use("nir")], nir_authorisation="travail_emploi"),
        ORG,
        "art9_condition_missing",
    ),
    (
        "offences with flag and basis",
        lambda: clean(data_categories=[_use("infractions")], art10=True, art10_basis="CSI L511-1"),
        ORG,
        "art10_basis_missing",
    ),
    (
        "transfer under standard clauses",
        lambda: clean(
            transfers=[Transfer(country="US", recipient="Cloud", safeguard=Safeguard.SCC)]
        ),
        ORG,
        "transfer_without_safeguard",
    ),
    (
        "recipient abroad with the transfer recorded",
        lambda: clean(
            recipients=[Recipient(name="P", kind=RecipientKind.EXTERNAL, country="us")],
            transfers=[Transfer(country="US", recipient="P", safeguard=Safeguard.ADEQUACY)],
        ),
        ORG,
        "transfer_undeclared",
    ),
    (
        "recipient in the EEA",
        lambda: clean(recipients=[Recipient(name="P", kind=RecipientKind.EXTERNAL, country="DE")]),
        ORG,
        "transfer_undeclared",
    ),
    (
        "DPIA required and done",
        lambda: clean(dpia={"cnil_required_list": "accompagnement_social", "done": True}),
        ORG,
        "dpia_missing",
    ),
    (
        "one criterion only",
        lambda: clean(dpia={"criteria": ["grande_echelle"]}),
        ORG,
        "dpia_missing",
    ),
    (
        "NIR under the employment domain",
        lambda: clean(data_categories=[_use("nir")], nir_authorisation="travail_emploi"),
        ORG,
        "nir_not_authorised",
    ),
    ("review date is today", lambda: clean(review_date=TODAY), ORG, "review_overdue"),
    (
        "controller given with contact",
        lambda: clean(controller=Party(name="CCAS", email="ccas@example.org")),
        None,
        "controller_missing",
    ),
    (
        "DPO named on the activity",
        lambda: clean(dpo=Party(name="DPO", email="dpo@example.net")),
        ORG.model_copy(update={"dpo_name": None, "dpo_email": None}),
        "dpo_missing",
    ),
    (
        "processor side with controllers served",
        lambda: clean(
            role=Role.PROCESSOR,
            controllers_served=[Party(name="Commune voisine")],
            legal_basis=None,
        ),
        ORG,
        "legal_basis_missing",
    ),
]


@pytest.mark.parametrize(("case", "make", "org", "code"), NEGATIVE, ids=[c[0] for c in NEGATIVE])
def test_rule_silent(
    case: str, make: Callable[[], Activity], org: Organisation | None, code: str
) -> None:
    assert code not in codes(make(), org), case


def test_errors_come_first_and_has_errors() -> None:
    issues = lint(
        clean(review_date=None, purposes=[], security=Security()),
        org=ORG,
        processors=PROCESSORS,
        today=TODAY,
    )
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    ranks = [order[i.severity] for i in issues]
    assert ranks == sorted(ranks)
    assert has_errors(issues)
    assert not has_errors(i for i in issues if i.severity != Severity.ERROR)


def test_lint_register_adds_processor_level_findings() -> None:
    partial = Processor(
        ref="p",
        name="Partiel SAS",
        contract_date=date(2023, 1, 1),
        contract_clauses=[ContractClause.INSTRUCTIONS],
        hosting_country="US",
    )
    reg = Register(
        organisation=ORG,
        activities=[clean(), clean(ref="autre", legal_basis=None)],
        processors=[*PROCESSORS, partial],
    )
    issues = lint_register(reg, TODAY)
    by_code = {i.code: i for i in issues}
    assert by_code["legal_basis_missing"].activity_ref == "autre"
    clauses = by_code["processor_clauses_incomplete"]
    assert clauses.field == "processors[2].contract_clauses"
    assert clauses.activity_ref is None
    assert "b, c, d, e, f, g, h" in clauses.message
    assert by_code["processor_hosting_outside_eea"].field == "processors[2].hosting_country"
    # a processor with all eight clauses and EU hosting raises nothing
    assert not [i for i in issues if i.field.startswith("processors[0]")]


# -- DPIA verdict ----------------------------------------------------------------------------


def test_two_declared_criteria_require_a_dpia() -> None:
    v = dpia_verdict(clean(dpia={"criteria": ["surveillance_systematique", "grande_echelle"]}))
    assert v.required
    assert v.criteria == (DpiaCriterion.MONITORING, DpiaCriterion.LARGE_SCALE)
    assert v.inferred == ()


def test_criteria_are_inferred_and_reported() -> None:
    a = clean(
        data_subjects=[SubjectCategory.MINEURS], data_categories=[_use("sante")], art9_condition="h"
    )
    v = dpia_verdict(a)
    assert v.required
    assert set(v.inferred) == {DpiaCriterion.SENSITIVE, DpiaCriterion.VULNERABLE}
    assert "donnees_sensibles" in v.reasons[0] and "personnes_vulnerables" in v.reasons[0]


@pytest.mark.parametrize(
    ("update", "inferred"),
    [
        ({"data_subjects": [SubjectCategory.DEMANDEURS_AIDE_SOCIALE]}, {DpiaCriterion.VULNERABLE}),
        ({"art10": True}, {DpiaCriterion.SENSITIVE}),
        ({"automated_decision": True}, {DpiaCriterion.AUTOMATED_DECISION}),
        ({"profiling": True}, {DpiaCriterion.EVALUATION}),
        ({"data_subjects": [SubjectCategory.AGENTS]}, set()),
        ({"data_categories": [_use("nir")]}, set()),
    ],
)
def test_inference_table(update: dict[str, Any], inferred: set[DpiaCriterion]) -> None:
    assert set(dpia_verdict(clean(**update)).inferred) == inferred


def test_cnil_required_list_wins_without_criteria() -> None:
    v = dpia_verdict(clean(dpia={"cnil_required_list": "logements_sociaux"}))
    assert v.required
    assert v.cnil_required is CNIL_DPIA_REQUIRED["logements_sociaux"]
    assert "2018-327" in v.reasons[-1]


def test_cnil_exemption_beats_the_rule_of_two() -> None:
    a = clean(
        data_subjects=[SubjectCategory.MINEURS],
        data_categories=[_use("sante")],
        art9_condition="a",
        dpia={"cnil_exempted_list": "affaires_scolaires_periscolaires"},
    )
    v = dpia_verdict(a)
    assert not v.required
    assert len(v.criteria) == 2
    assert "2019-118" in v.reasons[-1]


@pytest.mark.parametrize(
    ("entry", "update"),
    [
        (
            "rh_moins_250",
            {"profiling": True, "data_categories": [_use("sante")], "art9_condition": "b"},
        ),
        (
            "association_membres",
            {
                "data_categories": [_use("convictions")],
                "art9_condition": "d",
                "data_subjects": [SubjectCategory.MINEURS],
            },
        ),
    ],
)
def test_exemption_conditions_void_the_exemption(entry: str, update: dict[str, Any]) -> None:
    v = dpia_verdict(clean(dpia={"cnil_exempted_list": entry}, **update))
    assert v.required
    assert any("does not apply" in r for r in v.reasons)


def test_unknown_required_entry_is_conservative() -> None:
    v = dpia_verdict(clean(dpia={"cnil_required_list": "nouvelle-entree"}))
    assert v.required
    assert v.unknown_entries == ("nouvelle-entree",)


@settings(max_examples=60, deadline=None)
@given(
    criteria=st.sets(st.sampled_from(list(DpiaCriterion))),
    subjects=st.sets(st.sampled_from(list(SubjectCategory)), min_size=1),
    cats=st.sets(st.sampled_from(sorted(CATEGORIES)), min_size=1),
    automated=st.booleans(),
    profiling=st.booleans(),
)
def test_rule_of_two_without_cnil_lists(
    criteria: set[DpiaCriterion],
    subjects: set[SubjectCategory],
    cats: set[str],
    automated: bool,
    profiling: bool,
) -> None:
    a = clean(
        dpia={"criteria": sorted(criteria)},
        data_subjects=sorted(subjects),
        data_categories=[_use(c) for c in sorted(cats)],
        automated_decision=automated,
        profiling=profiling,
        art9_condition="h" if cats & ART9_CATEGORIES else None,
    )
    v = dpia_verdict(a)
    assert set(v.criteria) == criteria | set(v.inferred)
    assert not (set(v.inferred) & criteria)
    assert v.required == (len(v.criteria) >= 2)
    # the lint agrees with the verdict
    assert ("dpia_missing" in codes(a)) == v.required


def test_encoded_legal_lists_have_expected_shape() -> None:
    assert len(CNIL_DPIA_REQUIRED) == 14  # délibération 2018-327 lists 14 types
    assert all(e.deliberation.endswith("2018-327") for e in CNIL_DPIA_REQUIRED.values())
    assert all(e.deliberation.endswith("2019-118") for e in CNIL_DPIA_EXEMPTED.values())
    assert not set(CNIL_DPIA_REQUIRED) & set(CNIL_DPIA_EXEMPTED)
    assert "travail_emploi" in NIR_CATEGORIES
    assert all("2019-341" in c.article for c in NIR_CATEGORIES.values())
