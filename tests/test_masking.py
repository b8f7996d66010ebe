"""Masked evidence reveals almost nothing; normalisation makes blind-index lookups meet."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import iban as std_iban
from stdnum.fr import nir

from rgpd.masking import mask, normalise, parse_phone
from rgpd.taxonomy import Entity

NIR = "1850575123456" + nir.calc_check_digits("1850575123456")

MASKS = [
    ("EMAIL_ADDRESS", "jeanne.dupont@example.net", "j***@example.net"),
    ("FR_NIR", "1 85 05 75 123 456 " + NIR[13:], f"1 85 ** ** *** *** {NIR[13:]}"),
    ("FR_NIR", NIR, f"1 85 ** ** *** *** {NIR[13:]}"),
    ("IBAN_CODE", "FR76 3000 6000 0112 3456 7890 189", "FR76 **** **** **** **** **** 189"),
    ("PERSON", "Jeanne DUPONT", "J*** D***"),
    ("PERSON", "Jean-Pierre MARTIN", "J*** P*** M***"),
    ("PHONE_NUMBER", "06 12 34 56 78", "06 ** ** ** 78"),
    ("CREDIT_CARD", "4970 1012 3456 7895", "**** **** **** 7895"),
    ("DATE_OF_BIRTH", "12/03/1985", "**/**/19**"),
    ("IP_ADDRESS", "192.0.2.45", "192.*.*.*"),
    ("LOCATION", "12 rue des Lilas 29200 Brest", "** r*** d*** L*** 29*** B***"),
]


@pytest.mark.parametrize(("entity", "value", "expected"), MASKS)
def test_mask_examples(entity: str, value: str, expected: str) -> None:
    assert mask(entity, value) == expected


def _revealed(masked: str) -> int:
    return sum(c.isalnum() for c in masked)


digits = st.text(alphabet=string.digits, min_size=1)
name_word = st.text(alphabet=string.ascii_letters + "éèçÉ", min_size=2, max_size=12)


@settings(max_examples=200)
@given(st.lists(name_word, min_size=1, max_size=4))
def test_person_mask_shows_initials_only(words: list[str]) -> None:
    masked = mask("PERSON", " ".join(words))
    assert _revealed(masked) == len(words)


@settings(max_examples=200)
@given(
    st.text(alphabet=string.ascii_lowercase + "._-", min_size=1, max_size=30).filter(
        lambda s: s[0].isalpha()
    )
)
def test_email_mask_hides_the_local_part(local: str) -> None:
    masked = mask("EMAIL_ADDRESS", f"{local}@example.org")
    assert masked == f"{local[0]}***@example.org"


@settings(max_examples=200)
@given(
    st.sampled_from(
        ["FR_NIR", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "FR_SIRET", "FR_TAX_ID"]
    ),
    digits,
)
def test_identifier_masks_reveal_few_characters(entity: str, value: str) -> None:
    masked = mask(entity, value)
    assert _revealed(masked) <= max(7, len(value) // 3)
    if len(value) >= 8:
        assert value not in masked


@settings(max_examples=300)
@given(st.sampled_from([e.value for e in Entity] + ["UNKNOWN"]), st.text(max_size=60))
def test_normalise_is_idempotent(entity: str, value: str) -> None:
    once = normalise(entity, value)
    assert normalise(entity, once) == once


@pytest.mark.parametrize(
    "value",
    ["0:0", "00", "0 0", "+", "(0)", "+0012", "0033612345678", "+33 (0)6 12 34 56 78", "12:00"],
)
def test_phone_normalisation_is_idempotent_where_a_prefix_hides(value: str) -> None:
    # "0:0" used to give "00", then "00" read as the international prefix gave "+"
    once = normalise("PHONE_NUMBER", value)
    assert normalise("PHONE_NUMBER", once) == once


def test_the_international_prefix_is_read_on_the_digits() -> None:
    e164 = normalise("PHONE_NUMBER", "+33 6 12 34 56 78")
    assert normalise("PHONE_NUMBER", "00 33 6 12 34 56 78") == e164
    assert normalise("PHONE_NUMBER", "0 0 33 6 12 34 56 78") == e164


@settings(max_examples=300)
@given(st.text(alphabet="0123456789+()-. :", max_size=24))
def test_phone_normalise_is_idempotent_on_phone_like_text(value: str) -> None:
    once = normalise("PHONE_NUMBER", value)
    assert normalise("PHONE_NUMBER", once) == once


@settings(max_examples=200)
@given(st.sampled_from([e.value for e in Entity]), st.text(max_size=60))
def test_mask_never_returns_the_value(entity: str, value: str) -> None:
    alnum = [c for c in value if c.isalnum()]
    if len(alnum) >= 6 and len(set(alnum)) > 2:
        assert mask(entity, value) != value


@pytest.mark.parametrize(
    ("entity", "value"),
    [
        ("CREDENTIAL", "$2b$12$abcdefghijklmnopqrstuv"),
        ("CREDENTIAL", "soleil"),
        ("GENDER", "F"),
        ("FINANCIAL_SITUATION", "2 150,40"),
    ],
)
def test_what_no_mask_hides_shows_nothing(entity: str, value: str) -> None:
    # a secret's first letter helps a guess, "F" masked by initial is "F", an amount's
    # digit count is its order of magnitude: the mask says only that something is there
    assert mask(entity, value) == "***"


SAME = [
    ("EMAIL_ADDRESS", "Jeanne.Dupont@Example.NET", "mailto:jeanne.dupont@example.net"),
    ("FR_NIR", "1 85 05 75 123 456 " + NIR[13:], NIR),
    ("FR_NIR", "2 85 05 2a 123 456 00", "285052A12345600"),
    ("PHONE_NUMBER", "06 12 34 56 78", "+33 6 12 34 56 78"),
    ("PHONE_NUMBER", "0033 (0)6.12.34.56.78", "0612345678"),
    ("PHONE_NUMBER", "0692 12 34 56", "+262 692 12 34 56"),
    ("IBAN_CODE", "fr76 3000 6000 0112 3456 7890 189", "FR7630006000011234567890189"),
    ("PERSON", "DUPONT Jeanne", "Mme Jeanne Dupont"),
    ("PERSON", "Jean-Pierre MARTIN", "martin jean pierre"),
    ("PERSON", "Hélène Lefèbvre", "HELENE LEFEBVRE"),
    ("DATE_OF_BIRTH", "12/03/1985", "12 mars 1985"),
    ("DATE_OF_BIRTH", "1985-03-12", "12.03.1985"),
    ("IP_ADDRESS", "2001:DB8:0:0::1", "2001:db8::1"),
    ("FR_SIRET", "732 829 320 00074", "73282932000074"),
    ("LOCATION", "12 av. Jean Jaurès", "12 AVENUE JEAN JAURES"),
]


@pytest.mark.parametrize(("entity", "a", "b"), SAME)
def test_normalise_joins_spellings(entity: str, a: str, b: str) -> None:
    assert normalise(entity, a) == normalise(entity, b)


def test_normalise_keeps_different_values_apart() -> None:
    assert normalise("PERSON", "Jeanne Dupont") != normalise("PERSON", "Jeanne Durand")
    assert normalise("PHONE_NUMBER", "06 12 34 56 78") != normalise(
        "PHONE_NUMBER", "06 12 34 56 79"
    )
    assert normalise("IBAN_CODE", "FR7630006000011234567890189") == "FR7630006000011234567890189"
    assert std_iban.is_valid(normalise("IBAN_CODE", "FR76 3000 6000 0112 3456 7890 189"))
    assert normalise("PHONE_NUMBER", "06 12 34 56 78") == "+33612345678"


@pytest.mark.parametrize("space", ["\u00a0", "\u202f", "\u2009", "\u2007", "\u3000"])
def test_parse_phone_reads_every_unicode_space(space: str) -> None:
    # word processors put narrow no-break or thin spaces between the pairs;
    # phonenumbers reads some of them only
    written = space.join(["06", "12", "34", "56", "78"])
    assert parse_phone(written) == parse_phone("06 12 34 56 78") is not None
    assert parse_phone(space.join(["06", "12", "34", "56", "78", "9"])) is None
