"""LOCATION beyond postal addresses: places of residence and birth after a cue (issue 10)."""

from __future__ import annotations

import pytest

from rgpd.scan.detect import Detector
from rgpd.scan.detect.recognizers.fr.residence import ResidenceRecognizer
from rgpd.scan.detect.recognizers.fr.tabular import TabularRecognizer


def _places(text: str) -> list[str]:
    return [text[s.start : s.end] for s in ResidenceRecognizer().find(text)]


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("M. Aubertin, demeurant à Villeurbanne, a été entendu.", "Villeurbanne"),
        ("La requérante, domiciliée à Saint-Brieuc, conteste la décision.", "Saint-Brieuc"),
        ("Il habite à Carpentras depuis dix ans.", "Carpentras"),
        ("Elle réside au Havre avec ses enfants.", "Havre"),
        ("Mon frère vit à La Ciotat.", "La Ciotat"),
        ("Né le 3 février 1962 à Montluçon, il exerçait comme boulanger.", "Montluçon"),
        ("Julie Marchetti, née à Ajaccio, a témoigné.", "Ajaccio"),
        ("né(e) le 12/05/1990 à Châteauroux (36)", "Châteauroux (36)"),
        ("Il est originaire de Tulle.", "Tulle"),
        ("Le témoin, né en 1948 à Charleville-Mézières, est retraité.", "Charleville-Mézières"),
        ("Il vit désormais à New York.", "New York"),
        ("Sa mère est originaire du village de Plouguerneau.", "Plouguerneau"),
        ("Originaire de la commune de Lamballe, elle y a grandi.", "Lamballe"),
    ],
)
def test_a_place_after_a_residence_or_birth_cue(text: str, place: str) -> None:
    assert _places(text) == [place]


@pytest.mark.parametrize(
    "text",
    [
        "La réunion publique aura lieu à Vierzon le 4 mars.",
        "Le train pour Limoges part à 8 h.",
        "Le festival de Lorient attire des visiteurs de toute l'Europe.",
        "Né le 2 avril à 10 heures, l'enfant pèse 3 kg.",
    ],
)
def test_no_place_without_a_cue(text: str) -> None:
    assert _places(text) == []


def test_the_place_stops_before_a_name() -> None:
    # a civil-status record runs the place of birth into the child's name
    text = "est né à Fougères Mathis LEBRETON, de sexe masculin"
    assert _places(text) == ["Fougères"]
    dets = Detector(depth="quick").detect(text)
    assert ("PERSON", "Mathis LEBRETON") in [(d.entity_type, d.value) for d in dets]


def test_a_town_column_beside_person_columns() -> None:
    table = "Nom;Prénom;Commune;Pays\nGUIHARD;Solène;Redon;France\nPERRAUD;Jules;Vitré;France\n"
    found = [(s.entity_type, table[s.start : s.end]) for s in TabularRecognizer().find(table)]
    assert ("LOCATION", "Redon") in found and ("LOCATION", "Vitré") in found
    assert ("LOCATION", "France") in found


def test_a_town_column_without_person_columns_is_no_personal_data() -> None:
    table = "Commune;Habitants;Superficie\nRedon;9000;15\nVitré;18000;37\n"
    assert TabularRecognizer().find(table) == []


def test_place_of_birth_column() -> None:
    table = "Nom\tLieu de naissance\tDate de naissance\nCOLLET\tMorlaix\t02/03/1971\n"
    found = [(s.entity_type, table[s.start : s.end]) for s in TabularRecognizer().find(table)]
    assert ("LOCATION", "Morlaix") in found and ("DATE_OF_BIRTH", "02/03/1971") in found
