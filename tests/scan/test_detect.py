"""The Detector: depths, batching, chunking, offsets, entity filters, offline operation."""

from __future__ import annotations

import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.fr import nir

from rgpd.errors import InvalidInput
from rgpd.scan.detect import Detection, Detector, build_analyzer, load_spacy
from rgpd.scan.detect.detector import _windows
from rgpd.scan.detect.text import chunks
from rgpd.scan.detect.types import Span
from rgpd.taxonomy import SPECIAL_ENTITIES

NIR = "2850575123456" + nir.calc_check_digits("2850575123456")
LETTER = f"""MAIRIE DE PLOUZANÉ
1 place de la Mairie, 29280 Plouzané — Tél. : 02 98 31 95 30

Madame Jeanne DUPONT
12 bis, rue des Lilas
29200 BREST

Objet : votre demande d'aide (dossier suivi par M. Jean-Pierre MARTIN)

Madame,
Vous êtes née le 12/03/1985 et votre numéro de sécurité sociale est {NIR}.
Le versement sera fait sur l'IBAN FR76 3000 6000 0112 3456 7890 189.
Vous nous avez indiqué être atteinte de diabète et être syndiquée à la CGT.
Le Conseil Municipal, réuni rue de la Paix, a confié le dossier à la Directrice Générale des Services.
Pour toute question : ccas@mairie.example.org ou Mme veuve LEFEBVRE au 06 12 34 56 78.

Le Maire,
Yannick KERGOAT
"""


@pytest.fixture(scope="module")
def standard() -> Detector:
    return Detector()


def _by_type(dets: list[Detection]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for d in dets:
        out.setdefault(d.entity_type, []).append(d.value)
    return out


@pytest.mark.parametrize("depth", ["quick", "standard", "deep"])
def test_letter_at_every_depth(depth: str) -> None:
    dets = Detector(depth=depth).detect(LETTER)
    found = _by_type(dets)
    for name in ("Jeanne DUPONT", "Jean-Pierre MARTIN", "LEFEBVRE", "Yannick KERGOAT"):
        assert name in found["PERSON"]
    assert not any(
        w in v for v in found["PERSON"] for w in ("Conseil", "Paix", "Directrice", "Maire")
    )
    assert found["FR_NIR"] == [NIR]
    assert found["IBAN_CODE"] == ["FR76 3000 6000 0112 3456 7890 189"]
    assert found["DATE_OF_BIRTH"] == ["12/03/1985"]
    assert found["EMAIL_ADDRESS"] == ["ccas@mairie.example.org"]
    assert sorted(found["PHONE_NUMBER"]) == ["02 98 31 95 30", "06 12 34 56 78"]
    assert "12 bis, rue des Lilas\n29200 BREST" in found["LOCATION"]
    assert found["HEALTH"] == ["diabète"] and "CGT" in found["TRADE_UNION"]
    for d in dets:
        assert LETTER[d.start : d.end] == d.value
        assert d.special_category == (d.entity_type in SPECIAL_ENTITIES)
        assert 0.0 < d.score <= 1.0
    assert dets == sorted(dets, key=lambda d: (d.start, d.end, d.entity_type))


def test_values_stay_out_of_repr(standard: Detector) -> None:
    det = standard.detect("Écrire à jeanne.dupont@example.net")[0]
    assert "jeanne" not in repr(det) and det.value == "jeanne.dupont@example.net"


def test_standard_asks_ner_only_about_unsettled_names(standard: Detector) -> None:
    text = "Le dossier a été déposé hier par Kyano Sanders auprès du service."
    assert [d.value for d in standard.detect(text)] == ["Kyano Sanders"]
    assert Detector("quick").detect(text) == []


def test_detect_many_matches_detect(standard: Detector) -> None:
    texts = [LETTER, "", "rien à signaler", "Tél. 06 12 34 56 78, Kyano Sanders", LETTER[:200]]
    assert standard.detect_many(texts) == [standard.detect(t) for t in texts]


def test_entity_filter() -> None:
    dets = Detector(entities=["EMAIL_ADDRESS", "HEALTH"]).detect(LETTER)
    assert {d.entity_type for d in dets} == {"EMAIL_ADDRESS", "HEALTH"}


def test_long_text_is_chunked_with_exact_offsets() -> None:
    para = "Le service a traité la demande sans difficulté particulière. " * 40
    text = (
        f"{para}\n\nSigné : Zoltan Kovacsik.\n\n{para}\n\nContact : Wilhelmina Oosterhuis, {NIR}.\n"
    )
    det = Detector(depth="deep", max_chunk_chars=1500)
    dets = det.detect(text)
    persons = [d for d in dets if d.entity_type == "PERSON"]
    assert [d.value for d in persons] == ["Zoltan Kovacsik", "Wilhelmina Oosterhuis"]
    assert all(text[d.start : d.end] == d.value for d in dets)
    assert [d.value for d in dets if d.entity_type == "FR_NIR"] == [NIR]


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab \n\n.é"), max_size=400), st.integers(1, 60))
def test_chunks_cover_text_within_limit(text: str, size: int) -> None:
    pieces = list(chunks(text, size))
    assert "".join(p for _, p in pieces) == text
    assert all(0 < len(p) <= size for _, p in pieces)
    assert all(text[off : off + len(p)] == p for off, p in pieces)


def test_bad_depth_is_refused() -> None:
    with pytest.raises(InvalidInput):
        Detector(depth="thorough")


def test_ner_pipeline_is_trimmed() -> None:
    assert load_spacy().pipe_names == ["ner"]
    assert load_spacy() is load_spacy()


def test_presidio_engine_has_french_recognizers() -> None:
    analyzer = build_analyzer(languages=("fr",), full=False)
    card = "497010123456789" + luhn.calc_check_digit("497010123456789")
    results = analyzer.analyze(f"Carte bancaire {card}, NIR {NIR}, DUPONT Jeanne", language="fr")
    kinds = {r.entity_type for r in results}
    assert {"CREDIT_CARD", "FR_NIR", "PERSON"} <= kinds


def test_no_network_at_run_time(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kw: object) -> None:
        raise AssertionError("network access during detection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    text = (
        "Écrire à jeanne.dupont@example.net ou voir www.exemple.fr ; Kyano Sanders, 06 12 34 56 78."
    )
    for depth in ("quick", "standard", "deep"):
        assert any(d.entity_type == "EMAIL_ADDRESS" for d in Detector(depth=depth).detect(text))
    analyzer = build_analyzer(languages=("fr", "en"), full=False)
    for lang in ("fr", "en"):
        assert any(r.entity_type == "EMAIL_ADDRESS" for r in analyzer.analyze(text, language=lang))


def _span(text: str, word: str) -> Span:
    start = text.index(word)
    return Span("PERSON", start, start + len(word), 0.35)


def test_ner_windows_keep_six_words_each_side_on_the_candidate_line() -> None:
    text = (
        "un deux trois quatre cinq six sept huit Kerbrat neuf dix onze douze treize quatorze quinze"
    )
    [(lo, hi)] = _windows(text, [_span(text, "Kerbrat")])
    assert (
        text[lo:hi] == "trois quatre cinq six sept huit Kerbrat neuf dix onze douze treize quatorze"
    )
    # the line ends the window; an elision stays glued to its word
    text = "Titre\nVu par l'agent d'Ollivier hier.\nSuite"
    [(lo, hi)] = _windows(text, [_span(text, "Ollivier")])
    assert text[lo:hi] == "Vu par l'agent d'Ollivier hier."


def test_ner_windows_merge_and_stop_inside_a_giant_word() -> None:
    text = "Lu par Kerbrat et Le Bihan ce matin."
    assert _windows(text, [_span(text, "Kerbrat"), _span(text, "Bihan")]) == [(0, len(text))]
    blob = "x" * 300
    text = f"{blob} Kerbrat {blob}"
    [(lo, hi)] = _windows(text, [_span(text, "Kerbrat")])
    assert text[lo:hi] == "Kerbrat"  # no half of a 300-character word
