"""The recognizers' shortcuts find exactly what the full patterns find.

Each speed-up skips work where a cheaper test proves the full pattern cannot
match: a scan for the places a pattern can start (``finditer_at``), explicit
IGNORECASE classes (``nocase``), a cue window tested for its words first, a
text without digits skipped by the digit recognizers, values parsed once per
text. These tests hold each shortcut to the slow path it replaces.
"""

from __future__ import annotations

import random
import re
import string
import sys

import pytest
from faker import Faker

from rgpd.masking import parse_phone
from rgpd.scan.detect import Detector
from rgpd.scan.detect.engine import recognizers_for
from rgpd.scan.detect.recognizers.base import (
    clear_text_caches,
    digit_groups,
    fast_scan_form,
    finditer_at,
    luhn_ok,
    nocase,
)
from rgpd.scan.detect.recognizers.fr import date_of_birth, phone, residence, siren
from rgpd.scan.detect.recognizers.fr.dates import DATE, DATE_STARTS
from rgpd.scan.detect.text import fold_window
from rgpd.scan.detect.types import Depth


def _same(pattern: re.Pattern[str], starts: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    full = [m.span() for m in pattern.finditer(text)]
    assert [m.span() for m in finditer_at(pattern, text, starts)] == full
    return full


# ------------------------------------------------------------------ nocase


def test_nocase_is_what_ignorecase_matches() -> None:
    letters = "abcdefghijklmnopqrstuvwxyzé"
    anyone = re.compile(f"(?i:[{letters}])")
    # every character IGNORECASE matches for some letter, found once over all of Unicode
    cased = [chr(c) for c in range(0x110000) if anyone.fullmatch(chr(c))]
    for letter in letters:
        want = {ch for ch in cased if re.fullmatch(f"(?i:{letter})", ch)}
        got = {ch for ch in cased if re.fullmatch(f"[{nocase(letter)}]", ch)}
        assert got == want, letter
    assert "\u0131" in nocase("i") and "\u017f" in nocase("s") and "\u212a" in nocase("k")


# ------------------------------------------------------------------ finditer_at


def test_finditer_at_resumes_after_each_match() -> None:
    pattern = re.compile(r"ab+")
    starts = re.compile(r"a")
    assert _same(pattern, starts, "xabbb abab a b aab") == [(1, 5), (6, 8), (8, 10), (16, 18)]


def test_finditer_at_needs_every_start() -> None:
    # a scan that misses a start misses the match: the equality above is no tautology
    pattern = re.compile(r"[ab]c")
    assert [m.span() for m in finditer_at(pattern, "ac bc", re.compile("a"))] == [(0, 2)]


RESIDENCE_CUES = [
    "habite à",
    "habitait au",
    "habitant en",
    "demeurant à",
    "demeure à",
    "domiciliée à",
    "domicilié(e) à",
    "réside à",
    "résidant à",
    "residait en",
    "vit à",
    "vivent à",
    "vivait au",
    "vivant aux",
    "vivre à",
    "habiter à",
    "résider à",
    "demeurer à",
    "installée à",
    "installer à",
    "lives in",
    "lived at",
    "living in",
    "resides in",
    "resident in",
    "née à",
    "né(e) à",
    "nés à",
    "née le 3 mars 1961 à",
    "né en 1950 à",
    "born in",
    "originaire de",
    "originaire du village de",
    "natif de",
    "native de",
    "originaires d'",
    "habite actuellement à",
    "vit depuis 2012 à",
    "demeurant à la commune de",
]


@pytest.mark.parametrize("cue", RESIDENCE_CUES)
def test_residence_scan_finds_every_cue(cue: str) -> None:
    for text in (
        f"Mme Rose Garnier {cue} Quimperlé, dit le rapport.",
        f"{cue} Saint-Malo",
        f"({cue} Morlaix)",
        f"Le témoin, {cue.upper()} VANNES",
        f"x{cue} Brest; -{cue} Brest; _{cue} Brest",
        f"{cue.replace('i', 'ı')} Brest et {cue.replace('i', 'İ')} Brest",
    ):
        _same(residence.CUE_PLACE, residence._STARTS, text)
    assert _same(residence.CUE_PLACE, residence._STARTS, f"Elle {cue} Lorient.")


def test_vat_scan_finds_starts_inside_another_start() -> None:
    # "55 1" opens like a VAT number and so does "11 9" inside it: a scan that
    # consumed more than one character would hide the second one
    text = "Tél. : +55 11 98456 5666, n° TVA FR 40 303 265 045, fr40303265045"
    found = _same(siren._VAT, siren._VAT_STARTS, text)
    assert len(found) == 3


def test_date_scan() -> None:
    text = (
        "Le 03/04/2021, 1er mars 2019, 2020-12-31; 12.05.87 et 7 juillet 1990 "
        "mais pas 1/2/3/2020 ni a12/03/2020 ni 2021-13-01; né le 31 déc. 1999, "
        "1ER MARS 2019, 3 /04/ 2021, 06 12 34 56 78"
    )
    assert len(_same(DATE, DATE_STARTS, text)) == 8


# ------------------------------------------------------------------ context cues


def test_fast_scan_form_rewrites_only_what_it_can() -> None:
    assert fast_scan_form(r"\b(?:fax|tel)\b") == r"(?:f(?<=\bf)ax|t(?<=\bt)el)\b"
    assert fast_scan_form(r"(?:\bgsm|mobile)") == r"(?:g(?<=\bg)sm|mobile)"
    assert fast_scan_form(r"(?:(?:a|b)c|d)") is None  # an alternative opens with a group
    assert fast_scan_form(r"\b(?:s?ms|x)") is None  # an optional first letter
    assert fast_scan_form(r"\bfax") is None


def _cue_windows() -> list[str]:
    words = ["tel", "tél", "fax", "ip", "iban", "siren", "nir", "carte", "cni", "passeport",
             "telephone", "mobile", "adresse ip", "n° d'entreprise", "numero d'identification"]  # fmt: skip
    fake = Faker("fr_FR")
    Faker.seed(9)
    out = []
    for i in range(300):
        w = words[i % len(words)]
        out += [
            f"{fake.sentence()} {w} : ",
            f"{fake.last_name()}{w} {fake.word()}",  # glued to a word: no boundary
            f"{w}{fake.word()} {w.upper()} {fake.word()}",
            f"_{w}-{w}.{w}",
        ]
    return [fold_window(w) for w in out]


def test_every_context_cue_finds_the_same_with_its_fast_form() -> None:
    import rgpd.scan.detect.detector  # noqa: F401  (its cue too)

    recognizers_for(None, Depth.DEEP)  # every recognizer module loaded, with its cues
    # the modules' own cues (found by name: a test elsewhere may reload a module)
    cues = [
        value
        for name, module in list(sys.modules.items())
        if name.startswith("rgpd.scan.detect")
        for value in vars(module).values()
        if type(value).__name__ == "ContextCue"
    ]
    assert len(cues) >= 10
    windows = _cue_windows()
    fast = 0
    for cue in cues:
        fast += fast_scan_form(cue.regex.pattern) is not None
        for w in windows:
            a, b = cue.regex.search(w), cue._search(w)  # what ``around`` runs
            assert (a and a.span()) == (b and b.span()), (cue.regex.pattern, w)
    assert fast >= 10


# ------------------------------------------------------------------ date of birth cue


@pytest.mark.parametrize(
    "before",
    [
        "Jean Morel, né le ",
        "née à Brest le ",
        "Née le\u00a0",
        "né(e) le ",
        "nés en ",
        "née (Martin) le ",
        "Date de naissance : ",
        "NAISSANCE ",
        "DDN: ",
        "date of birth ",
        "born on ",
        "naiss. ",
        "née, ",
        "né le\n",
    ],
)
def test_dob_window_test_never_drops_a_cue(before: str) -> None:
    text = before + "12/03/1985"
    window = date_of_birth.before(text, len(before), 70)
    assert date_of_birth._CUE.search(window)
    assert date_of_birth._may_cue(window)


def test_dob_window_test_rejects_windows_without_cue_words() -> None:
    window = date_of_birth.before("Réunion du conseil municipal du ", 32, 70)
    assert not date_of_birth._may_cue(window)
    assert not date_of_birth._CUE.search(window)


# ------------------------------------------------------------------ needs_digit


def _digit_free_texts() -> list[str]:
    fake = Faker("fr_FR")
    Faker.seed(5)
    texts = []
    for _ in range(40):
        text = (
            f"{fake.name()}, né le {fake.date_of_birth().strftime('%d/%m/%Y')} à {fake.city()}, "
            f"demeurant {fake.address()}. Tél. : {fake.phone_number()}, IBAN {fake.iban()}, "
            f"SIRET {fake.siret()}, carte {fake.credit_card_number()}, "
            f"immatriculation {fake.license_plate()}, courriel {fake.email()}."
        )
        texts.append(re.sub(r"\d", "", text))
        texts.append(re.sub(r"\d", "O", text))
    return texts


def test_digit_recognizers_find_nothing_without_digits() -> None:
    recognizers = [r for r in recognizers_for(None, Depth.STANDARD) if r.needs_digit]
    assert len(recognizers) >= 10
    for text in _digit_free_texts():
        for rec in recognizers:
            assert rec.find(text) == [], (rec.name, text)


def test_detector_skips_digit_recognizers_only_without_digits() -> None:
    text = "Contact : 06 12 34 56 78, SIREN 732 829 320."
    found = {d.entity_type for d in Detector(depth="quick").detect(text)}
    assert {"PHONE_NUMBER", "FR_SIREN"} <= found


# ------------------------------------------------------------------ per-text caches


def test_phone_number_is_parse_phone() -> None:
    for raw in (
        "06 12 34 56 78",
        "06\u202f12\u202f34\u202f56\u202f78",
        "+33 1 23 45 67 89",
        "0692 12 34 56",
        "01 02",
    ):
        assert phone.phone_number(raw) == parse_phone(raw)
        clear_text_caches()


def test_french_form_shortcut_is_parse_phone() -> None:
    """The numbers built without ``phonenumbers.parse`` are the ones it returns:
    every three-digit prefix (valid and invalid ones), every written form."""
    rng = random.Random(7)
    heads = ("0", "+33 ", "+33", "+33 (0)", "+33(0)", "+33 (0) ")
    for prefix in range(100, 1000):
        digits = f"{prefix}{rng.randrange(10**6):06d}"
        pairs = [digits[0]] + [digits[i : i + 2] for i in range(1, 9, 2)]
        sep = rng.choice(("", " ", ".", "-", "\u202f", "\u00a0"))
        raw = rng.choice(heads) + pairs[0] + "".join(rng.choice((sep, "")) + p for p in pairs[1:])
        assert phone.phone_number(raw) == parse_phone(raw), raw
        clear_text_caches()


def test_iban_shortcut_is_stdnum() -> None:
    """Every country of stdnum's registry (and an unknown one), well-formed BBANs, one
    character short or long: the per-country check answers as ``stdnum.iban.is_valid``."""
    from stdnum import iban as stdnum_iban

    from rgpd.scan.detect.recognizers.fr import iban

    rng = random.Random(5)
    registry = stdnum_iban._ibandb.info  # the registry, read through stdnum's own lookup
    pools = {
        "n": string.digits,
        "a": string.ascii_uppercase,
        "c": string.digits + string.ascii_uppercase,
    }
    countries = [a + b for a in string.ascii_uppercase for b in string.ascii_uppercase]
    structures = {c: registry(c)[0][1].get("bban", "10!n") for c in countries}
    for _ in range(4000):
        country = rng.choice(countries)
        body = "".join(
            "".join(rng.choice(pools[kind]) for _ in range(int(size)))
            for size, kind in re.findall(r"(\d+)!([nac])", structures[country])
        )
        body = rng.choice((body, body[:-1], body + rng.choice(string.digits)))
        compact = country + stdnum_iban.mod_97_10.calc_check_digits(body + country) + body
        if iban._mod97_ok(compact)[len(compact)]:
            assert iban._valid(compact) == stdnum_iban.is_valid(compact), compact


def test_vat_luhn_shortcut_is_stdnum() -> None:
    """Keys of digits and of letters (and "FR" itself), SIRENs passing Luhn or not, Monaco's
    "000": the shortcut answers as ``stdnum.fr.tva.is_valid``, valid numbers included."""
    from stdnum.fr import tva

    rng = random.Random(11)
    keys = string.digits + "ABCDEFGHJKLMNPQRSTUVWXYZ"
    valid = 0
    for i in range(6000):
        digits = ("000" if i % 7 == 0 else "") + "".join(
            rng.choice(string.digits) for _ in range(9)
        )
        digits = digits[:9]
        key = rng.choice(("", "FR", f"{int(digits + '12') % 97:02d}"))
        key = key or rng.choice(keys) + rng.choice(keys)
        expected = tva.is_valid(key + digits)
        valid += expected
        assert siren._vat_valid(key, digits) == expected, key + digits
    assert valid > 50


def test_digit_groups_same_answers_across_callers_and_texts() -> None:
    text = "SIRET : 120 027 016 00563 75014 Paris ; SIREN 732 829 320 ; 4012 8888 8888 1881"
    sirens = list(digit_groups(text, (9,), luhn_ok, 2, 4))
    cards = list(digit_groups(text, (16, 15, 14), luhn_ok, 2, 4))  # same runs, read again
    clear_text_caches()
    assert list(digit_groups(text, (9,), luhn_ok, 2, 4)) == sirens
    assert ("120027016" in [d for _s, _e, d in sirens]) and (
        "732829320" in [d for _s, _e, d in sirens]
    )
    assert [d for _s, _e, d in cards][-1] == "4012888888881881"
    other = "SIREN 552 100 554"
    assert [d for _s, _e, d in digit_groups(other, (9,), luhn_ok, 2, 4)] == ["552100554"]
    clear_text_caches()


# ------------------------------------------------------------------ name and special-category rules


def _prose() -> list[str]:
    """Sentences with lists of names, families, plural functions and special-category terms."""
    fake = Faker("fr_FR")
    Faker.seed(21)
    heads = ["MM.", "MM", "Mmes", "Mlles", "Messieurs", "Mesdames", "les époux", "Les consorts",
             "les juges", "les sœurs", "les soeurs", "des ministres", "les deux avocates",
             "aux adjoints", "leurs témoins", "nos infirmières", "ses frères", "CES FILS",
             "la famille", "sa famille", "d'une famille", "l’famille", "famille", "AMM.", "xles époux",
             "_Mmes", "é les juges", "les\u00a0juges", "Mme", "sida", "si", "mal de dos", "mal-de",
             "maladie", "diabète", "syndicat", "parti", "juif", "enceinte", "casier judiciaire"]  # fmt: skip
    out = []
    for i in range(400):
        h = heads[i % len(heads)]
        sep = ["  ", " ", "\u00a0", ", ", " et "][i % 5]
        out.append(
            f"{fake.sentence()} {h}{sep}{fake.last_name()}, {fake.first_name()} {fake.last_name()} "
            f"et {fake.last_name().upper()} {fake.sentence()}"
        )
    return out


def test_plural_civility_scan_is_the_word_boundary_pattern() -> None:
    from rgpd.scan.detect.recognizers.fr import person

    plain = re.compile(person._PLURAL.pattern.replace("M(?<!\\wM)(?:M", "(?:\\bMM")
                       .replace("|mes", "|\\bMmes").replace("|lles", "|\\bMlles")
                       .replace("|essieurs", "|\\bMessieurs").replace("|esdames", "|\\bMesdames")
                       .replace("[Ll](?<!\\w[Ll])es", "\\b[Ll]es"))  # fmt: skip
    assert "(?<!" not in plain.pattern
    hits = 0
    for text in _prose():
        want = [m.span() for m in plain.finditer(text)]
        assert [m.span() for m in person._PLURAL.finditer(text)] == want, text
        hits += bool(want)
    assert hits > 50


def test_plural_function_hint_holds_in_every_match() -> None:
    from rgpd.scan.detect.recognizers.fr import person

    hits = 0
    for text in _prose():
        if person._PLURAL_HEAD.search(text) is not None:
            hits += 1
            assert person._PLURAL_HEAD_HINT.search(text) is not None, text
    assert hits > 50


def test_family_cue_is_the_plain_search() -> None:
    from rgpd.scan.detect.recognizers.fr import person
    from rgpd.scan.detect.text import before

    seen = 0
    for text in _prose():
        for m in re.finditer(r"[A-Z]", text):
            want = person._FAMILY_BEFORE.search(before(text, m.start(), 20)) is not None
            assert person._family_before(text, m.start()) is want
            seen += want
    assert seen > 5


def test_per_word_caches_answer_as_the_functions() -> None:
    from rgpd.scan.detect.recognizers.fr import lexicon, person

    cached = [lexicon.key, lexicon.is_first_name, lexicon.is_french_first_name, lexicon.is_common,
              lexicon.is_word_form, lexicon.is_territory, person._names_a_function]  # fmt: skip
    words = {w for text in _prose() for w in text.split()} | {
        "Jean-Pierre",
        "Saint-Malo",
        "l'avocate",
    }
    for fn in cached:
        for w in sorted(words):
            assert fn(w) == fn.__wrapped__(w), (fn.__name__, w)  # type: ignore[attr-defined]


def test_special_terms_prefix_shortcut_never_drops_a_match() -> None:
    from rgpd.scan.detect.recognizers.special.recognizer import (
        _WORD,
        SpecialCategoryRecognizer,
    )
    from rgpd.scan.detect.text import fold

    rec = SpecialCategoryRecognizer()
    # the shortcut's premise: a prefix is its own fold (every letter of a pattern folds to it)
    assert all(fold(t.prefix) == t.prefix for ts in rec._index.values() for t in ts)
    skipped = 0
    for text in _prose():
        lower = text.lower()
        for w in _WORD.finditer(lower):
            s, word = w.start(), w.group()
            for t in rec._candidates(word):
                if len(t.prefix) > len(word) and fold(lower[s : s + len(t.prefix)]) != t.prefix:
                    skipped += 1
                    assert t.pattern.match(lower, s) is None, (t.source, text)
    assert skipped > 50
