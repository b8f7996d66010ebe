"""URL (an online identifier, Art. 4(1)) and foreign phone numbers named by their country."""

from __future__ import annotations

import pytest

from rgpd.masking import mask, normalise
from rgpd.scan.detect import Detector
from rgpd.scan.detect.recognizers.fr.phone import PhoneRecognizer
from rgpd.scan.detect.recognizers.fr.url import UrlRecognizer


def _urls(text: str) -> list[str]:
    return [text[s.start : s.end] for s in UrlRecognizer().find(text)]


@pytest.mark.parametrize(
    ("text", "url"),
    [
        (
            "Profil : https://social.example.org/u/gaelle.rivoal",
            "https://social.example.org/u/gaelle.rivoal",
        ),
        ("Son site (www.gaelle-rivoal.example.fr) est fermé.", "www.gaelle-rivoal.example.fr"),
        (
            "Le lien http://example.com/r?id=4417&t=x9. a expiré",
            "http://example.com/r?id=4417&t=x9",
        ),
        ("Écrire via « ftp://depot.example.net/in/ ».", "ftp://depot.example.net/in/"),
        ("Voir le blog gaelle-rivoal.fr pour la suite.", "gaelle-rivoal.fr"),
        ("Portail : https://example.museum/", "https://example.museum/"),
        # typographic quotes, as word processors write them, and an ellipsis end the address
        ("Voir “https://example.org/u/gaelle”.", "https://example.org/u/gaelle"),
        ("Le lien ‘https://example.org/a?b=1’ est mort.", "https://example.org/a?b=1"),
        ("Adresse „https://example.de/impressum“ ici", "https://example.de/impressum"),
        ("Site ‹gaelle-rivoal.fr/cv› fermé", "gaelle-rivoal.fr/cv"),
        ("“gaelle-rivoal.fr/contact”", "gaelle-rivoal.fr/contact"),
        ("voir https://example.org/liste…", "https://example.org/liste"),
        ('"https://example.org/"', "https://example.org/"),
    ],
)
def test_addresses_of_sites(text: str, url: str) -> None:
    assert _urls(text) == [url]


@pytest.mark.parametrize(
    "text",
    [
        "Ouvrir rapport.pdf puis lancer script.py (version 2.4.1).",
        "Le serveur http://intranet ne répond pas ; www.mairie non plus.",
        "Montant 1.250 euros, article 3.2.fr",
    ],
)
def test_file_names_hosts_without_a_top_level_label_and_numbers_are_no_urls(text: str) -> None:
    assert _urls(text) == []


def test_the_domain_of_an_email_is_the_emails() -> None:
    text = "Contact : gaelle.rivoal@example.fr, site example.org."
    found = [(d.entity_type, d.value) for d in Detector("quick").detect(text)]
    assert ("EMAIL_ADDRESS", "gaelle.rivoal@example.fr") in found
    assert ("URL", "example.org") in found
    assert not any(t == "URL" and "@" in v for t, v in found)


def test_a_url_is_masked_to_its_kind() -> None:
    masked = mask("URL", "https://www.gaelle-rivoal.example.fr/cv/2024")
    assert masked.startswith("https://") and masked.endswith(".fr/***")
    assert "rivoal" not in masked and "cv" not in masked
    assert normalise("URL", "HTTPS://Example.ORG/") == "https://example.org"


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Numéro aux États-Unis : (212) 555-0147", "(212) 555-0147"),
        ("Belgique : 02 512 34 56", "02 512 34 56"),
        ("UK contact 020 7946 0958", "020 7946 0958"),
        ("Sa ligne en Chine, 13912345678, est coupée.", "13912345678"),
    ],
)
def test_a_foreign_national_number_after_its_country(text: str, number: str) -> None:
    found = [text[s.start : s.end] for s in PhoneRecognizer().find(text) if s.score >= 0.5]
    assert number in found


def test_a_country_code_that_is_also_a_word_is_no_cue() -> None:
    text = "RELEVÉ DE 212-555-0147 pièces"
    assert not [s for s in PhoneRecognizer().find(text) if s.score >= 0.5]
