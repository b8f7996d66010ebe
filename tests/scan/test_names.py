"""PERSON as court decisions and newspapers write names (issue 10): one test per rule.

The sentences are written for these tests; the rules are the cheap cues of
``recognizers/fr/person.py`` (no NER here, so the tests stay fast).
"""

from __future__ import annotations

import pytest

from rgpd.scan.detect import Detector
from rgpd.scan.detect.recognizers.fr.lexicon import is_common, is_first_name
from rgpd.scan.detect.recognizers.fr.person import PersonRecognizer


def _names(text: str) -> set[str]:
    found = PersonRecognizer().analyze(text)
    return {text[s.start : s.end] for s in found.sure}


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("L'audience était présidée par le juge Castagnet.", "Castagnet"),
        ("La présidente Vauquelin a levé la séance.", "Vauquelin"),
        ("Le greffier Tassin a donné lecture du jugement.", "Tassin"),
        ("Selon le procureur Barthélémy, les faits sont établis.", "Barthélémy"),
        ("L'avocat Roussillon a plaidé la relaxe.", "Roussillon"),
        ("Me Ferrandou représentait la partie civile.", "Ferrandou"),
        ("Le docteur Quénardel a signé le certificat.", "Quénardel"),
        ("L'inspecteur de police Malaurie a entendu les témoins.", "Malaurie"),
        ("Le brigadier Kerhervé était de service.", "Kerhervé"),
        ("Le maire Delpuech a inauguré la salle.", "Delpuech"),
        ("L'adjointe Fromentin présentera le budget.", "Fromentin"),
        ("La conseillère Bellocq a voté contre.", "Bellocq"),
        ("La directrice Sauvageot a répondu au courrier.", "Sauvageot"),
        ("Lord Ashcombe a quitté la Chambre.", "Ashcombe"),
        ("M. le syndic Garrigou a convoqué l'assemblée.", "Garrigou"),
        ("Mme la directrice Lemercier a signé la convention.", "Lemercier"),
        ("Le juge d'instruction Carbonnel a ordonné une expertise.", "Carbonnel"),
    ],
)
def test_a_function_before_a_name_marks_it(text: str, name: str) -> None:
    assert name in _names(text)


def test_a_function_followed_by_a_place_is_not_a_name() -> None:
    assert _names("Le maire de Quimperlé a ouvert la séance.") == set()
    assert _names("Le conseiller de Montbrison a voté.") == set()


def test_every_name_of_a_list_after_a_plural_civility() -> None:
    names = _names("Étaient entendus MM. Largeteau, Poumarède et Vignaud.")
    assert {"Largeteau", "Poumarède", "Vignaud"} <= names
    assert "Tessandier" in _names("Les époux Tessandier ont fait appel.")
    assert {"Bourrel", "Cazaux"} <= _names("Mmes Bourrel et Cazaux se sont désistées.")


def test_a_name_after_an_elided_article() -> None:
    assert "Amandine Sorel" in _names("Le dossier d'Amandine Sorel a été transmis.")
    assert "Rabier" in _names("Il a croisé l'agent Rabier devant la gare.")


def test_a_civility_inside_a_run_of_capitalised_words_starts_a_new_name() -> None:
    names = _names("Séance à Montauban M. Lestrade présidait.")
    assert "Lestrade" in names
    assert not any("Montauban" in n for n in names)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Le rapport de P. H. Castelnau a été lu.", "P. H. Castelnau"),
        ("Signé : Th. Vercoutre, secrétaire.", "Th. Vercoutre"),
        ("M. et Mme R. ont porté plainte.", "R."),
        ("Mme D. a été entendue comme témoin.", "D."),
    ],
)
def test_initials(text: str, name: str) -> None:
    assert name in _names(text)


def test_a_two_letter_abbreviation_of_a_place_is_no_initial() -> None:
    assert _names("Le marché de St. Brieuc ouvre à huit heures.") == set()


def test_a_heading_in_capitals_is_not_a_name() -> None:
    assert _names("II. LES FAITS DE LA CAUSE\nLe requérant expose ses griefs.") == set()
    assert _names("INONDATIONS EN BRETAGNE Quimper, 3 mars.") == set()


@pytest.mark.parametrize(
    "text",
    [
        "Le courrier de Harrington Solicitors est arrivé.",
        "Le contrat de Fabre Frères SARL a été résilié.",
        "Jennifer Walsh Department a répondu.",
        "IT Manager : poste vacant.",
        "Protected AAC audio file",
        "My US account",
    ],
)
def test_organisations_and_english_labels_are_not_names(text: str) -> None:
    assert _names(text) == set()


def test_first_names_of_many_countries() -> None:
    for name in ("Stephen", "Donald", "Anders", "Siobhan", "Mehmet"):
        assert is_first_name(name), name
    assert not is_first_name("France") and is_common("France")
    assert "Anders Lindqvist" in _names("Le rapport d'Anders Lindqvist est paru.")


def test_later_bare_mentions_of_a_name_found_once() -> None:
    text = (
        "Le navigateur Corentin Le Goff est arrivé hier. "
        "Le Goff avait quitté Brest en mai. La famille GOFF n'est pas concernée."
    )
    dets = Detector(depth="quick").detect(text)
    values = [d.value for d in dets if d.entity_type == "PERSON"]
    assert "Corentin Le Goff" in values
    assert values.count("Goff") + values.count("Le Goff") >= 1
    lone = "Le bureau Vasseur. Vasseur Immobilier."  # no full name first: nothing to repeat
    assert not [d for d in Detector(depth="quick").detect(lone) if d.entity_type == "PERSON"]
