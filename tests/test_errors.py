"""Error texts from third-party code lose anything that could be a person's data.

Parser and driver messages quote what they choked on; they are stored as scan errors
and printed, and personal data is never stored in clear (brief: masked evidence only).
"""

from __future__ import annotations

import pytest
from faker import Faker
from hypothesis import given
from hypothesis import strategies as st

from rgpd.errors import DETAIL_MAX, safe_detail, safe_text

fake = Faker("fr_FR")
Faker.seed(3)
NIR = fake.ssn()
EMAIL = fake.email(domain="example.org")
SPACED_NIR = f"{NIR[0]} {NIR[1:3]} {NIR[3:5]} {NIR[5:7]} {NIR[7:10]} {NIR[10:13]} {NIR[13:]}"
PHONE = "06 12 34 56 78"
NAME = "Hélène Dupré"


@pytest.mark.parametrize(
    ("message", "secret"),
    [
        (f"Unexpected type '/{EMAIL}{NIR}'", EMAIL),
        (f"Unexpected type '/{EMAIL}{NIR}'", NIR),
        (f'invalid input syntax for type integer: "{NAME}"', "Dupr"),
        (f"bad value {SPACED_NIR} in row", SPACED_NIR[2:8]),
        (f"bad value {NIR} in row", NIR),
        (f"contact {EMAIL} unknown", EMAIL),
        (f"phone {PHONE} rejected", "12 34"),
        (f"starting with b'{NAME}'", "Hél"),
        (f"birth date 12/05/1985 refused for {NAME}", "1985"),
        (f"birth date 12/05/1985 refused for {NAME}", "Hélène"),
        (f"« {NAME} » not allowed", "Dupré"),
    ],
)
def test_content_is_cut(message: str, secret: str) -> None:
    assert secret not in safe_text(message)
    assert secret not in safe_detail(ValueError(message))


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (OSError("File is not a zip file"), "OSError: File is not a zip file"),
        (
            ValueError("mismatched tag: line 1, column 59"),
            "ValueError: mismatched tag: line 1, column 59",
        ),
        (KeyError(EMAIL), "KeyError"),
        (ValueError(""), "ValueError"),
    ],
)
def test_diagnostics_that_are_not_content_are_kept(exc: BaseException, expected: str) -> None:
    assert safe_detail(exc) == expected


@given(st.text())
def test_bounded_single_line(text: str) -> None:
    out = safe_text(text)
    assert len(out) <= DETAIL_MAX
    assert "\n" not in out and "\r" not in out
    assert out == out.strip()


@given(st.text(alphabet="0123456789 ./-", min_size=4))
def test_no_run_of_four_digits_survives(text: str) -> None:
    out = safe_text(f"x {text} y")
    digits = 0
    for ch in out:
        digits = digits + 1 if ch.isdigit() else (digits if ch in " ./-" else 0)
        assert digits < 4, out
