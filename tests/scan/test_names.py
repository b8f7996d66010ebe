"""PERSON as court decisions and newspapers write names (issue 10): one test per rule.

The sentences are written for these tests; the rules are the cheap cues of
``recognizers/fr/person.py`` (no NER here, so the tests stay fast).
"""

from __future__ import annotations

import pytest

from rgpd.scan.detect import Detector
from rgpd.scan.detect.detector import _in_prose
from rgpd.scan.detect.engine import confirm_persons
from rgpd.scan.detect.recognizers.fr.lexicon import (
    _spacy_hash,
    is_common,
    is_first_name,
    is_word_form,
)
from rgpd.scan.detect.recognizers.fr.person import (
    WINDOW_ONLY,
    PersonRecognizer,
    clean_ner_person,
)
from rgpd.scan.detect.types import Span


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


def test_a_lone_word_listed_between_two_names_is_a_name() -> None:
    names = _names("Le bureau réunit Hélène Varin, Kerbrat, Lozac'h et Julien Marsac.")
    assert {"Hélène Varin", "Kerbrat", "Lozac'h", "Julien Marsac"} <= names
    names = _names("Ont signé Hélène Varin, Ferrandou ou Julien Marsac.")
    assert "Ferrandou" in names
    # a country, a common word or a word form between two names is no name
    assert "Bolivie" not in _names("Hélène Varin, Bolivie et Julien Marsac.")
    assert "Mairie" not in _names("Hélène Varin, Mairie, et Julien Marsac.")
    # a sentence between two names is no list
    assert "Kerbrat" not in _names("Hélène Varin est venue. Kerbrat aussi, dit Julien Marsac.")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Le courrier de Kevin McAllister est arrivé.", "Kevin McAllister"),
        ("Une note signée Fiona MacKinnon hier.", "Fiona MacKinnon"),
        ("Réunion avec Anthony DiMarco lundi.", "Anthony DiMarco"),
        ("Le dossier de Mme DuPrat est complet.", "DuPrat"),
        ("Rendez-vous pris par Marie LeBlanc ce matin.", "Marie LeBlanc"),
    ],
)
def test_a_capital_inside_a_name_after_mc_mac_le_di(text: str, name: str) -> None:
    assert name in _names(text)


def test_brands_in_camel_case_are_no_names() -> None:
    assert _names("Ouvrez le fichier PowerPoint puis la vidéo YouTube.") == set()


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


def test_a_surname_with_its_first_names_in_brackets() -> None:
    text = (
        "Comparaissait ensuite Bardonnet (Jean-Luc), sans profession, puis Vernhes (Marie Odile)."
    )
    assert {"Bardonnet", "Jean-Luc", "Vernhes", "Marie Odile"} <= _names(text)


def test_a_place_with_its_department_in_brackets_is_no_name() -> None:
    assert _names("L'accident a eu lieu à Quimperlé (Finistère) dans la nuit.") == set()


def test_a_civility_misread_by_ocr_still_marks_a_name() -> None:
    # a superscript "Me" or "Mme" comes out of OCR as "M*", "M»" or 'M "'
    assert "Trélivan" in _names("Il fallait s'adresser à M* Trélivan, notaire.")
    assert "Kerbiriou" in _names('Après la plaidoirie de M "Kerbiriou, la cour se retira.')


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Le chauffeur Pélissard a perdu le contrôle du car.", "Pélissard"),
        ("Il a trompé sa sœur Ombeline sur la vente.", "Ombeline"),
        ("Le cultivateur Brossollet a retrouvé ses bêtes.", "Brossollet"),
    ],
)
def test_a_trade_or_a_relative_before_a_name_marks_it(text: str, name: str) -> None:
    assert name in _names(text)


def test_a_nationality_after_an_article_is_no_name() -> None:
    assert _names("Il s'était battu avec le fils d'un Espagnol du quartier.") == set()


def test_a_heading_in_capitals_beside_a_word_waits_for_ner() -> None:
    # no cue settles "CHRONIQUE Maritime": below the threshold until NER reads it
    found = PersonRecognizer().analyze("CHRONIQUE Maritime des ports de l'Ouest.")
    assert not found.sure
    assert all(a.score < 0.5 for a in found.ambiguous)


def test_a_run_in_capitals_needs_a_french_first_name() -> None:
    assert _names("LA GRÊLE SUR LES VIGNES du Beaujolais.") == set()
    assert "MARTIN Jeanne" in _names("Inscrits : MARTIN Jeanne, 12 ans.")
    assert "JEANNE MARTIN" in _names("Signé : JEANNE MARTIN, secrétaire.")


def test_a_lone_word_after_a_preposition_of_place_is_no_candidate() -> None:
    text = "Les troupes sont entrées dans Vormbach au matin."
    found = PersonRecognizer().analyze(text)
    assert not any(text[a.start : a.end] == "Vormbach" for a in found.ambiguous + found.sure)
    # the same word after a verb stays a candidate for NER
    text = "Les troupes ont salué Vormbach au matin."
    found = PersonRecognizer().analyze(text)
    assert any(text[a.start : a.end] == "Vormbach" for a in found.ambiguous)


def test_a_lone_word_opening_a_clause_before_a_verb_goes_to_ner() -> None:
    text = "Le match fut serré. Ravanelli a marqué deux buts en fin de partie."
    found = PersonRecognizer().analyze(text)
    assert any(text[a.start : a.end] == "Ravanelli" for a in found.ambiguous)
    # the same word opening a clause with no verb after it is left alone
    text = "Le match fut serré. Ravanelli, dimanche."
    other = PersonRecognizer().analyze(text)
    assert not any(text[a.start : a.end] == "Ravanelli" for a in other.ambiguous)


@pytest.mark.parametrize(
    "word", ["Tisanes", "Chantons", "Décorée", "Tomber", "Lentement", "Rejoindrai"]
)
def test_french_word_forms_are_known(word: str) -> None:
    assert is_word_form(word)


@pytest.mark.parametrize("word", ["Martine", "Pascal", "Garrigou", "Kervella", "Fontaine", "La"])
def test_first_names_surnames_and_particles_are_no_word_forms(word: str) -> None:
    assert not is_word_form(word)


def test_a_french_word_opening_a_run_of_capitals_is_a_product_or_a_title() -> None:
    assert _names("Elle ne jurait que par « Chantons la Marguerite », sa chanson.") == set()
    assert _names("Il soignait sa toux avec les Tisanes Marguerite.") == set()
    # a nationality before a first name and a surname: the name stays
    assert "Ingrid Ekholm" in _names("Devant elle, la Suédoise Ingrid Ekholm a gagné.")


def test_ner_names_opening_with_a_french_word() -> None:
    text = "Il ne jurait que par les Pastilles Bergeron depuis des années."
    s = text.index("Pastilles")
    assert clean_ner_person(text, s, s + len("Pastilles Bergeron")) is None
    # opening a sentence, the capital is the sentence's: the rest is kept
    text = "Affaire Garrigou : le procès s'ouvre lundi."
    assert clean_ner_person(text, 0, len("Affaire Garrigou")) == (8, 16)


def test_words_set_aside_still_open_an_ner_window() -> None:
    text = "Il ne jurait que par les Pastilles Bergeron depuis des années."
    found = PersonRecognizer().analyze(text)
    assert [a.score for a in found.ambiguous] == [WINDOW_ONLY]
    # the window's own words are never reported, confirmed or not
    ner = [Span("PERSON", found.ambiguous[0].start, found.ambiguous[0].end, 0.7)]
    assert confirm_persons(found.ambiguous, []) == []
    assert confirm_persons(found.ambiguous, ner) == ner


def test_every_name_after_a_plural_function() -> None:
    names = _names("La mission des ministres Bourlier et Kervella s'annonce délicate.")
    assert {"Bourlier", "Kervella"} <= names
    names = _names("Les deux avocates Pécresse, Lambertin et Oudard ont plaidé.")
    assert {"Pécresse", "Lambertin", "Oudard"} <= names
    assert {"DURAND", "MOREL"} <= _names("Les agents DURAND et MOREL étaient présents.")


def test_a_plural_function_before_a_body_or_inside_a_title_opens_no_list() -> None:
    assert _names("Les députés LR et UDI ont voté contre.") == set()
    assert _names("On jouait la scène des Soldats Vérange au théâtre.") == set()


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Kerbrat, 27 ans, a signé au club lundi.", "Kerbrat"),
        ("On a retrouvé Jeanne Lestrade (82 ans) chez elle.", "Jeanne Lestrade"),
        ("Le suspect, Garrigue, âgé de 40 ans, a avoué.", "Garrigue"),
    ],
)
def test_an_age_in_apposition_marks_a_name(text: str, name: str) -> None:
    assert name in _names(text)


def test_a_lapse_of_years_after_a_place_is_no_age() -> None:
    assert _names("Vierzon, 20 ans après, a bien changé.") == set()


def test_a_first_name_opening_a_clause_before_a_verb_goes_to_ner() -> None:
    text = "« Ludovic m'a demandé la clé de la maison », dit-elle."
    found = PersonRecognizer().analyze(text)
    assert any(text[a.start : a.end] == "Ludovic" for a in found.ambiguous)


def test_a_headline_sentence_after_a_colon_is_running_text() -> None:
    text = "Espagne : démission du conseiller de Garmendia à la sécurité intérieure"
    assert _in_prose(text, text.index("Garmendia"))
    # a short field value after its label is not
    text = "Référent : Garmendia"
    assert not _in_prose(text, text.index("Garmendia"))


@pytest.mark.parametrize("word", ["a", "gilets", "décorées", "anticonstitutionnellement", "œuvre"])
def test_the_word_form_hash_is_spacys(word: str) -> None:
    # the lemmatizer tables are keyed by spaCy's hash; ours must be the same function
    from spacy.strings import hash_string  # type: ignore[attr-defined]

    assert _spacy_hash(word) == hash_string(word)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Kerhervé, fils d'un marin, a repris le bateau.", "Kerhervé"),
        ("Elle a écrit à Vasseur, fille du notaire.", "Vasseur"),
        ("Larchevêque, épouse Tanguy, demeurant à Morlaix.", "Larchevêque"),
        ("Acte concernant Poulmarc'h, veuve Le Bihan.", "Poulmarc'h"),
    ],
)
def test_a_kinship_in_apposition_marks_a_name(text: str, name: str) -> None:
    assert name in _names(text)


def test_a_place_with_a_figurative_kinship_stays_a_place() -> None:
    assert _names("Brest, ville de marins, accueille la fête.") == set()
    assert _names("Paris, fille de la Seine, brille.") == set()


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("En l'affaire Trémaudan c. Belgique, la Cour a statué.", "Trémaudan"),
        ("AFFAIRE KERVRAN ET AUTRES c. ITALIE", "KERVRAN"),
        ("(voir Lequintrec c/ Portugal, § 31)", "Lequintrec"),
        ("Requête présentée par R.V. contre la Grèce", "R.V."),
        ("VALDIVIESO contre l'ESPAGNE", "VALDIVIESO"),
        ("voir R., S. et T. c. Irlande [GC]", "R., S. et T."),
    ],
)
def test_the_party_a_case_is_named_after(text: str, name: str) -> None:
    # "<applicant> c. <State>": how European and French courts name a case
    assert name in _names(text)


@pytest.mark.parametrize(
    "text",
    [
        "AFFAIRE SYNDICAT DES PÊCHEURS c. FRANCE",  # common words: a body, not a person
        "Le recours Hongrie c. Slovaquie a été rejeté.",  # a State against a State
        "Le derby Rennes contre Nantes est complet.",  # "contre" alone, no State after it
        "Les Bleus contre la Belgique, samedi soir.",  # a team after a determiner
    ],
)
def test_a_case_caption_without_a_person(text: str) -> None:
    assert _names(text) == set()


def test_judges_listed_without_commas_are_one_name_each() -> None:
    # a run longer than one chain match, initials opening each name
    text = (
        "siégeant en présence de MM. P.K. LAUTREC, Président A. VOISENET J.M. QUERN "
        "H.R. DALBOSC F. TERRIAN L. MOUSQUET Mme G.T. BRÉHAND Sir Neville ASHWORTH"
    )
    names = _names(text)
    for name in (
        "A. VOISENET",
        "J.M. QUERN",
        "H.R. DALBOSC",
        "F. TERRIAN",
        "L. MOUSQUET",
        "G.T. BRÉHAND",
        "Neville ASHWORTH",
    ):
        assert name in names, name
    assert not any(n.endswith(("J.M.", "F.")) for n in names)


def test_an_initial_after_a_first_name_is_a_middle_initial() -> None:
    names = _names("Composition : Radomir M. Kolarov, Anselm B. Tréguier, juges")
    assert {"Radomir M. Kolarov", "Anselm B. Tréguier"} <= names
    # after a plural civility, two names run together stay two names
    assert {"J.-L. Vasseur", "B. Kerlidou"} <= _names("MM. J.-L. Vasseur B. Kerlidou, juges")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Statuant sur le pourvoi formé par :\n- Z... Gaëtan,\ncontre l'arrêt", "Z... Gaëtan"),
        ("la partie civile, M. W… a déclaré", "W…"),
        ("et M. R... T... ont demandé au tribunal", "R... T..."),
        ("Sur le rapport de Mme le conseiller K..., les observations", "K..."),
        ("Le témoin Noémie V... a confirmé.", "Noémie V..."),
    ],
)
def test_a_name_a_court_anonymised(text: str, name: str) -> None:
    assert name in _names(text)


def test_initials_with_dots_and_no_cue_are_no_name() -> None:
    # "A..." alone may be a word cut short
    assert _names("Voir la liste A... et la suite du tableau.") == set()


def test_first_names_listed_before_a_full_name() -> None:
    names = _names("Les requérants, Lorcan, Siobhan, Tadhg et Aoife Brannigan, résident à Cork.")
    assert {"Lorcan", "Siobhan", "Tadhg", "Aoife Brannigan"} <= names
    assert "Ewan" in _names("ont saisi la Cour : Ewan et Morag Drummond (« les requérants »).")
    # towns listed before a name stay towns
    assert _names("Il a vécu à Vannes, Lorient et Jeanne Quéré l'a suivi.") == {"Jeanne Quéré"}


def test_every_child_listed_after_their_children() -> None:
    names = _names("Les époux Marek et leurs enfants Ondine, Maël et Soline ont saisi la Cour.")
    assert {"Ondine", "Maël", "Soline"} <= names


def test_two_unknown_words_between_names_of_a_comma_list() -> None:
    text = "composée de : Ingrid Solvang,   Tavik Orbeliani,   Pieter Aalbersen, juges"
    assert "Tavik Orbeliani" in _names(text)
    # outside a list the same words still wait for NER
    assert "Tavik Orbeliani" not in _names("Le navire Tavik Orbeliani est à quai.")


def test_the_schwa_of_azerbaijani_names() -> None:
    # in its IPA form and in the Cyrillic form some court records use
    for name in ("Rəşad Quliyev", "Lәman Əliyeva"):
        assert name in _names(f"Mme {name} a été entendue.")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("dont une ressortissante de cet État, L.K. (« la requérante »), a saisi", "L.K."),
        ("Elle épousa en 1980 T., né en 1942 à Lille.", "T."),
        ("après l'audition de son fiancé R.V. le lendemain", "R.V."),
    ],
)
def test_bare_initials_with_a_person_cue(text: str, name: str) -> None:
    assert name in _names(text)


def test_bare_initials_without_a_cue_stay_out() -> None:
    assert _names("Voir le point B. ci-dessus et l'annexe C.D. jointe.") == set()
    assert _names("IV. (« le requérant ») : numéro de paragraphe") == set()


def test_a_court_named_in_its_own_language_is_no_person() -> None:
    # NER reads the bracketed word as a name; after a court or a body it is that body's name
    text = "L'arrêt fut confirmé par la cour régionale (Oberlandesgericht) de Graz."
    s = text.index("Oberlandesgericht")
    assert clean_ner_person(text, s, s + len("Oberlandesgericht")) is None
    text = "Il a revu son fils (Sebastian) le lendemain."
    s = text.index("Sebastian")
    assert clean_ner_person(text, s, s + len("Sebastian")) == (s, s + len("Sebastian"))


def test_english_courts_are_no_names() -> None:
    assert _names("La Royal Courts of Justice publie un dépliant.") == set()


def test_a_lettered_heading_is_no_initial_and_surname() -> None:
    assert _names("B. Circonstances de la détention\nLe requérant fut transféré.") == set()
    assert _names("Rapport\nC. Mesures provisoires") == set()
    # an initial and a first name or a surname, even opening a line, stay a name
    assert "R. Kerboul" in _names("R. Kerboul, greffier")
    assert "T. Pauline" in _names("T. Pauline a signé.")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("(voir Kerlaouen c. Pologne [GC], no 30210/96, § 152)", "Kerlaouen"),
        ("voir Garvanel, précité, § 54, et Tréhorel, précitée, § 45", "Garvanel"),
        ("voir Garvanel, précité, § 54, et Tréhorel, précitée, § 45", "Tréhorel"),
    ],
)
def test_a_case_cited_by_its_applicants_name(text: str, name: str) -> None:
    assert name in _names(text)


def test_a_body_or_a_place_cited_again_is_no_name() -> None:
    assert (
        _names("la Convention, précitée, et le jugement du tribunal de Quimper, précité") == set()
    )


def test_an_author_cited_with_bracketed_initials() -> None:
    names = _names("Voir Kerjean (Y.) et Van Hoorebeke (J.-Fr.), « La preuve », 2011.")
    assert {"Kerjean (Y.)", "Van Hoorebeke (J.-Fr.)"} <= names
    # a common word before bracketed letters is a reference, not an author
    assert _names("voir l'Annexe (B.) du règlement") == set()


def test_a_case_named_after_a_party() -> None:
    assert "Kerhuel" in _names("Dans l'arrêt Kerhuel, la Cour a rappelé ce principe.")
    assert "Pellouard" in _names("L’affaire Pellouard lui fournit l’occasion de préciser.")
    # a State or a French word after "affaire" is no party
    assert _names("L'affaire Belgique a été jugée ; l'affaire Secrète attendra.") == set()


def test_a_label_alone_on_its_line_names_the_next_line() -> None:
    assert "Kervella" in _names("Demandeur :\nKervella\nDéfendeur :\nFrance")
    assert {"MORVAN", "Gwenola"} <= _names("Nom :\nMORVAN\nPrénom :\nGwenola")
    assert _names("Objet :\nDemande de subvention") == set()


def test_a_family_named_after_its_surname() -> None:
    assert "Tanguy" in _names("La famille Tanguy fut réveillée par les policiers.")
    assert "Le Bihan" in _names("Il vivait chez sa famille Le Bihan à Brest.")
    # after an indefinite article the capitalised word is an origin more often
    assert _names("Une famille Kurde a été relogée.") == set()


def test_an_initial_m_after_a_civility_is_no_second_civility() -> None:
    names = _names("composée de Mme M. Traonouez et de M. M. Quélennec, juges")
    assert {"M. Traonouez", "M. Quélennec"} <= names


def test_a_first_name_before_an_anonymised_surname_after_a_civility() -> None:
    assert "Kéwan X..." in _names("M. Kéwan X... né le 3 mai 1980")


def test_two_particles_inside_a_name() -> None:
    assert "Saskia Marleen van der Poel" in _names(
        "Mme Saskia Marleen van der Poel (« la requérante »)"
    )
