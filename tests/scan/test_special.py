"""Art. 9/10 on real prose (issue 10): tied to a person at standard depth; health care; alcohol."""

from __future__ import annotations

import pytest

from rgpd.scan.detect import Detector


@pytest.fixture(scope="module")
def standard() -> Detector:
    return Detector(depth="standard")


def _special(det: Detector, text: str) -> list[tuple[str, str]]:
    return [(d.entity_type, d.value) for d in det.detect(text) if d.special_category]


@pytest.mark.parametrize(
    "text",
    [
        "Les militants de la CGT ont défilé devant la préfecture.",
        "Le club a été condamné à une amende par la fédération.",
        "Une centaine de manifestants catholiques se sont rassemblés place Bellecour.",
        "Le parti socialiste tiendra son congrès à Dijon.",
    ],
)
def test_a_group_or_an_organisation_is_no_special_data_at_standard(
    standard: Detector, text: str
) -> None:
    assert _special(standard, text) == []


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("M. Fabre est adhérent de la CGT depuis 2010.", "TRADE_UNION"),
        ("Je suis diabétique depuis l'enfance.", "HEALTH"),
        ("Solange Perrin a été condamnée pour escroquerie.", "CRIMINAL_OFFENCE"),
        ("Vous nous avez dit être de confession musulmane.", "RELIGION"),
        ("L'intéressée a été hospitalisée le 3 mars.", "HEALTH"),
    ],
)
def test_tied_to_a_person_it_is_reported(standard: Detector, text: str, category: str) -> None:
    assert category in [c for c, _v in _special(standard, text)]


def test_a_form_field_of_a_document_naming_someone_is_tied() -> None:
    text = "Nom : BERTHOU\nPrénom : Lise\nRégime alimentaire : repas sans porc\n"
    assert "RELIGION" in [c for c, _v in _special(Detector(depth="standard"), text)]


def test_quick_keeps_every_lexicon_hit(standard: Detector) -> None:
    text = "Les militants de la CGT ont défilé devant la préfecture."
    assert _special(Detector(depth="quick"), text) == [("TRADE_UNION", "CGT")]


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("M. Caradec doit subir une opération du genou.", "opération du genou"),
        ("Mme Hervé est hospitalisée à Rennes.", "hospitalisée"),
        ("M. Joly a eu une intervention chirurgicale lundi.", "intervention chirurgicale"),
        ("Mme Salaün est en arrêt maladie jusqu'au 15 juin.", "arrêt maladie"),
        ("M. Riou suit un traitement contre l'asthme.", "traitement contre l'asthme"),
    ],
)
def test_medical_procedures_and_care_are_health(standard: Detector, text: str, term: str) -> None:
    assert any(c == "HEALTH" and term in v for c, v in _special(standard, text))


def test_an_alcohol_level_at_the_wheel_is_an_offence_not_health(standard: Detector) -> None:
    text = "M. Lagadec conduisait avec un taux d'alcoolémie de 0,9 g/l."
    found = _special(standard, text)
    assert ("CRIMINAL_OFFENCE", "taux d'alcoolémie") in found
    assert not [c for c, _v in found if c == "HEALTH"]


@pytest.mark.parametrize(
    "text",
    [
        # a plural after a collective determiner, a person named in the same sentence
        "Selon M. Garnier, une quarantaine de syndiqués bloquaient l'entrée du dépôt.",
        "Il a rencontré des centaines de musulmans à la sortie de la mosquée.",
        # a body's name, not a person's belief
        "Elle a écrit un livre sur la Ligue musulmane du Bengale.",
        "Il a assisté au congrès du Front populaire, dit Mme Rivoal.",
    ],
)
def test_a_group_or_a_body_beside_a_person_is_still_no_special_data(
    standard: Detector, text: str
) -> None:
    assert _special(standard, text) == []


def test_one_person_of_the_group_is_reported(standard: Detector) -> None:
    assert ("TRADE_UNION", "syndiqué") in _special(
        standard, "M. Garnier, syndiqué depuis vingt ans, bloquait l'entrée."
    )


def test_to_condemn_an_act_is_no_conviction(standard: Detector) -> None:
    assert _special(standard, "Le maire Yves Caradec a condamné l'agression de la gardienne.") == []
    assert _special(standard, "Le ministre condamne fermement ces violences, dit-il.") == []
    got = _special(standard, "Il a été condamné le 4 juin à huit mois de prison.")
    assert "CRIMINAL_OFFENCE" in [c for c, _v in got]


def test_to_hide_is_not_kosher(standard: Detector) -> None:
    assert _special(standard, "Il n'a pas su cacher sa colère devant M. Lebrun.") == []
    got = _special(standard, "M. Lebrun demande un repas cacher pour la sortie.")
    assert ("RELIGION", "repas cacher") in got


def test_a_civility_after_the_term_is_in_its_sentence(standard: Detector) -> None:
    # "M." ends no sentence: the person named after it ties the term
    got = _special(standard, "Le tribunal condamne M. Caradec à une amende.")
    assert "CRIMINAL_OFFENCE" in [c for c, _v in got]


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Mme Rivoal, élue du groupe Parti socialiste, a voté contre.", "POLITICAL_OPINION"),
        ("Le requérant, appartenant aux gens du voyage, conteste le refus.", "ETHNIC_ORIGIN"),
    ],
)
def test_a_persons_own_membership_of_a_group_is_reported(
    standard: Detector, text: str, category: str
) -> None:
    assert category in [c for c, _v in _special(standard, text)]


def test_a_date_before_a_plural_term_is_no_head_count(standard: Detector) -> None:
    text = "Nom : ROUX\tAgent\t06/10/2004\theures de délégation : 10 h/mois"
    assert "TRADE_UNION" in [c for c, _v in _special(standard, text)]


def test_latin1_start_scan_finds_what_the_full_scan_finds() -> None:
    """The cheap scan (no letters beyond U+00FF) and the full one agree, such letters or not."""
    from rgpd.scan.detect.recognizers.special.recognizer import (
        SpecialCategoryRecognizer,
        _start_scan,
    )

    cheap = SpecialCategoryRecognizer()
    full = SpecialCategoryRecognizer()
    full._starts = _start_scan(full._prefixes, latin1=False)
    full._wide = None  # always the full scan
    texts = [
        "L'agent est diabétique et suivi en psychiatrie depuis 2019.",
        "Dossier de M. Dvořák : séropositif, traitement en cours.",
        "Ūne note, puis ăsthme sévère et condamnation pénale ancienne.",
        "Il est adhérent du syndicat; sa religion n'est pas indiquée.",
        "Antécédents : l’asthme, d’où l’arrêt ; Ştefan Łukasz, ĐIABÈTE, șéropositive.",
    ]
    for text in texts:
        assert cheap.find(text) == full.find(text)
    # texts above had such letters: the cheap scan read them folded
    assert sum(cheap._scan_text(t.lower()) != t.lower() for t in texts) >= 3
