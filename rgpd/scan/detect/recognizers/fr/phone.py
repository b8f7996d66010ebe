"""PHONE_NUMBER: French numbers (national, +33, 0033), overseas regions, and
international numbers, all validated with ``phonenumbers``.

Overseas regions dial their own national forms ("0692 12 34 56" in La
Réunion): a number invalid for metropolitan France is tried against the
overseas regions before being dropped.

Ten digits in a row are a valid French number more often than they are a
phone: commit ids ("merge 0696232390 jx/…"), order and contract numbers.
So a number written without any separator is reported only next to a phone
word or as the value of a form field ("Portable : 0612345678"); a table
column headed "Téléphone" is read by the tabular recognizer instead. A run
of counting two-digit groups ("01 02 03 04 05", a hex dump) is never a phone.

Written the way people write them:
- 08 numbers in their national form "0 801 23 45 67"; group separators of
  any Unicode space (U+00A0, U+202F…), dots or hyphens;
- foreign numbers in international form ("+30 21 0 1234567", "+44 (20) 7123 4567"),
  and, next to a phone word, with France's international prefix "00"
  ("Tél. : 00 44 20 7946 0123": zero-padded references look the same);
- next to a phone word only (they look like dates, codes and amounts):
  the short national forms of New Caledonia, French Polynesia, Wallis and
  Futuna and Saint-Pierre-et-Miquelon ("20.12.34", "40 41 23 45", "043 01 23"),
  and foreign national forms ("020 7946 0958"); North America's bracketed
  form "(415) 555-0132" is unmistakable and needs no phone word;
- a French-looking number the numbering plan does not list ("+33 7 23 …",
  "04 05 …": typos, test data, numbers not yet opened) when a strong cue
  stands right before it ("Tél. :", "portable", or a verb of calling:
  "joindre au", "contacter le", "appelez au numéro"): what the document
  says it is counts more than the plan;
- compact digits after such a verb ("contacter 13812345678") when some
  country writes its numbers exactly so (its national form, trunk prefix
  included): compact digits alone parse somewhere in the world too often.
"""

from __future__ import annotations

import re
from itertools import pairwise

import phonenumbers

from rgpd.masking import parse_phone
from rgpd.scan.detect.recognizers.base import (
    SEP,
    SPACES,
    SURE,
    VALID,
    WEAK,
    ContextCue,
    Recognizer,
    near_digits,
    per_text,
    whole_value,
)
from rgpd.scan.detect.text import fold
from rgpd.scan.detect.types import Span

_S = f"{SEP}?"
_PHONE = re.compile(
    # the first character ("+", "0" or "(") is matched before the look-behinds, so that
    # the engine skips fast to it; each branch then checks which one it was; a number
    # right after another digit group ("06 01 04 03 06 05") is the tail of a longer run
    rf"([+0(](?<![\w+/.\-][+0(])(?<!\d,[+0(])(?<!\d[ .\-{SPACES}][+0(])(?:"
    rf"(?:(?<=\+)|(?<=0)0){_S}33{_S}(?:\(0\){_S})?[1-9](?:{_S}\d\d){{4}}"
    rf"|(?:(?<=\+)|(?<=0)0){_S}(?:262|269|590|594|596|508|681|687|689){_S}\d{{2,3}}(?:{_S}\d\d){{2,3}}"
    rf"|(?:(?<=\()0|(?<=0))[1-9]\)?(?:{_S}\d\d){{4}}"
    rf"|(?<=0){SEP}[1-9]\d\d(?:{_S}\d\d){{3}}"  # "0 801 23 45 67"
    rf"|(?:(?<=\+)|(?<=0)0){_S}[1-9]\d{{0,2}}{_S}(?:\(0\){_S})?\(?\d{{1,4}}\)?(?:{_S}\d{{1,8}}){{1,4}}"
    rf"))(?![\w]|[{SPACES}.,\-/]?\d)"
)
#: Country codes of France and of its overseas departments and collectivities.
_FRENCH_CODES = frozenset((33, 262, 269, 590, 594, 596, 508, 681, 687, 689))
#: Phone words, matched in the folded text before the number (and a little after it).
PHONE_WORDS = (
    r"(?:\bt[eé]l\b|\btel\.|telephon\w*|\bphone|portable|mobile|\bfixe\b|\bfax\b|joindre|joignable|"
    r"appele[rz]?|rappel\w*|contact|\bgsm\b|standard|\bport\b|\bsms\b|\btel\s*:|\bnumber\b)"
)
_CONTEXT = ContextCue(PHONE_WORDS, 50, 20)
#: A phone word right before the number, nothing else between: "Tél. : ", "portable ",
#: or a verb of calling: "joindre au ", "contacter le ", "appelez au numéro ".
_STRONG = ContextCue(
    r"(?:\bt[eé]l\b\.?|telephone|portable|mobile|\bgsm\b|\bfax\b|\bport\.?"
    r"|(?:\bjoindre|\bjoignable|\bjoignez|\bcontacte[rz]?|\b(?:re)?appele[rz]|\b(?:re)?appelle"
    r"|\brappele[rz]|\brappelle)(?: au| le| sur le)?(?: (?:numero|no|n))?)"
    r"\s*(?:[:.]\s*)?(?:\+?\s*)?$",
    30,
)
#: Digits and parentheses groups with one separator between them: a national number abroad.
_LOCAL = re.compile(
    # not the tail of a longer run of groups ("NIR : 1 89 02 2A 896 232 06")
    rf"([(0-9](?<![\w+/.,:\-(][(0-9])(?<![\w+/.,:\-][(][0-9])(?<![0-9]{SEP}[(0-9])(?<![0-9][A-Z]{SEP}[(0-9])"
    rf"[(]?[0-9]+[)]?(?:{_S}[(]?[0-9]+[)]?){{0,4}})"
    rf"(?![\w:/]|{SEP}?[0-9])"
)
#: Where a national number not valid in France is tried, once a phone word stands next to it:
#: the short plans of France's Pacific and North Atlantic collectivities, then the countries
#: French administrations correspond with most.
COLLECTIVITIES = ("NC", "PF", "WF", "PM")
LOCAL_REGIONS = (
    *COLLECTIVITIES, "BE", "CH", "LU", "DE", "ES", "IT", "PT", "GB", "IE", "NL", "MA", "DZ", "TN", "SN", "CI",
    "US", "CA", "BR", "IL", "IN", "JP", "CN",
)  # fmt: skip
#: North America's written form: "(415) 555-0132", "(415)555-0132"
_NANP = re.compile(rf"\([2-9]\d\d\)[{SPACES}]?[2-9]\d\d-\d{{4}}")
_DATE_SHAPE = re.compile(r"^\d\d?[./\-]\d\d?[./\-](?:19|20)\d\d$")
_DIGITS = re.compile(r"[0-9]+")
_YEAR = re.compile(r"^(?:19|20)[0-9]{2}\b")
_SHORT_DATE = re.compile(r"^(\d\d)([./\-])(\d\d)\2\d\d$")


# A country named right before a number (its code in capitals, or its name in
# French or English), and the numbering plan it stands for.
# (codes that are also words in capitals, "DE", "ES", "IT", "MA", "CA", "IN", "BE", are left out)
_COUNTRY_CODES = re.compile(r"\b(US|USA|UK|CN|CH|PT|NL|IE|LU|DZ|TN|SN|JP|BR)\b")
_COUNTRY_NAMES = {
    "etats-unis": "US", "united states": "US", "canada": "CA", "royaume-uni": "GB",
    "united kingdom": "GB", "angleterre": "GB", "england": "GB", "chine": "CN", "china": "CN",
    "belgique": "BE", "belgium": "BE", "suisse": "CH", "switzerland": "CH", "allemagne": "DE",
    "germany": "DE", "espagne": "ES", "spain": "ES", "italie": "IT", "italy": "IT",
    "portugal": "PT", "pays-bas": "NL", "netherlands": "NL", "irlande": "IE", "ireland": "IE",
    "luxembourg": "LU", "maroc": "MA", "morocco": "MA", "algerie": "DZ", "algeria": "DZ",
    "tunisie": "TN", "tunisia": "TN", "senegal": "SN", "japon": "JP", "japan": "JP",
    "inde": "IN", "india": "IN", "bresil": "BR", "brazil": "BR",
}  # fmt: skip
_CODE_REGION = {"USA": "US", "UK": "GB"}
_COUNTRY_NAME = re.compile(
    r"\b(" + "|".join(sorted(_COUNTRY_NAMES, key=len, reverse=True)) + r")\b"
)
#: at most a few words between the country and the number ("My CN number is", "Belgique : ")
_COUNTRY_GAP = re.compile(r"^[^\w\n]*(?:\w+[^\w\n]+){0,3}$")


def _country_before(text: str, start: int) -> str | None:
    """The region of a country named within a few words before ``start``, if any."""
    raw = text[max(0, start - 40) : start]
    best: tuple[int, str] | None = None
    for m in _COUNTRY_CODES.finditer(raw):
        best = (m.end(), _CODE_REGION.get(m.group(1), m.group(1)))
    folded = fold(raw).lower()
    for m in _COUNTRY_NAME.finditer(folded):
        if best is None or m.end() > best[0]:
            best = (m.end(), _COUNTRY_NAMES[m.group(1)])
    if best is None or not _COUNTRY_GAP.match(raw[best[0] :]):
        return None
    return best[1]


def _real_date(raw: str) -> bool:
    """ "20.12.34": a day and a month, as well as a phone number in New Caledonia."""
    m = _SHORT_DATE.match(raw)
    return bool(m and 1 <= int(m.group(1)) <= 31 and 1 <= int(m.group(3)) <= 12)


#: The number is a form field's value: "Label : … 0612345678" ending its line.
_FIELD_BEFORE = re.compile(r"(?:^|\n)[^\n:]{1,60}\s:\s[^\n:]{0,60}$")
_FIELD_AFTER = re.compile(r"[ \t.;,]*(?:\r?\n|$)")


def counting(digits: str, grouped: bool = False) -> bool:
    """Two-digit groups that count up or down by one ("01 02 03 04 05"), or, written
    without separators (``grouped`` false), digits that do ("0123456789")."""
    for step in (2,) if grouped else (1, 2):
        vals = [int(digits[i : i + step]) for i in range(0, len(digits) - step + 1, step)]
        diffs = {b - a for a, b in pairwise(vals)}
        if len(vals) >= 4 and diffs in ({1}, {-1}):
            return True
    return False


_UNICODE_SPACES = re.compile(f"[{SPACES}]")


def _plain(raw: str) -> str:
    """Unicode spaces as plain ones: ``phonenumbers`` does not read U+202F as a separator."""
    return _UNICODE_SPACES.sub(" ", raw)


#: A French number as it is written most ("06 12 34 56 78", "06.12.34.56.78",
#: "+33 6 12 34 56 78", "+33 (0)6 12 34 56 78"): its nine national digits are group 1.
_FRENCH_FORM = re.compile(r"(?:0|\+33 ?(?:\(0\))?)([1-9](?:[ .\-]?[0-9]{2}){4})")
_NOT_DIGIT = re.compile(r"[^0-9]")


@per_text(maxsize=256)
def phone_number(raw: str) -> phonenumbers.PhoneNumber | None:
    """:func:`rgpd.masking.parse_phone` of ``raw``, once per text.

    The table recognizer reads the numbers of a phone column the phone
    recognizer has just parsed; parsing is most of what both spend on them.
    The cache's key is the number with plain spaces: ``parse_phone`` turns
    every space into one anyway.

    Most numbers are French ones written in :data:`_FRENCH_FORM`: for those,
    ``phonenumbers.parse`` (three quarters of the cost: normalising, finding the
    country code, stripping the trunk "0") would return the number built here,
    country code 33 and the nine digits (``tests/scan`` checks it over every
    prefix). Only validation is left; an invalid one ("0692…", La Réunion's)
    goes through ``parse_phone``, which tries the overseas regions next.
    """
    plain = _plain(raw)
    m = _FRENCH_FORM.fullmatch(plain)
    if m is not None:
        national = int(_NOT_DIGIT.sub("", m.group(1)))
        num = phonenumbers.PhoneNumber(country_code=33, national_number=national)
        if phonenumbers.is_valid_number(num):
            return num
    return parse_phone(plain)


def _local_valid(raw: str, regions: tuple[str, ...]) -> bool:
    """``raw`` is a valid national number in one of ``regions``."""
    for region in regions:
        try:
            num = phonenumbers.parse(_plain(raw), region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(num):
            return True
    return False


def _national_form(digits: str, regions: tuple[str, ...]) -> bool:
    """``digits`` is a valid number of one of ``regions`` written as that country writes it.

    Compact digits parse in many plans once the parser drops or adds a trunk
    prefix: "59020123" is Belgium's 059 02 01 23. Only a number whose national
    form has exactly these digits ("13812345678" in China, "4155550132" in the
    United States) is one a person would write.
    """
    for region in regions:
        try:
            num = phonenumbers.parse(digits, region)
        except phonenumbers.NumberParseException:
            continue
        if not phonenumbers.is_valid_number(num):
            continue
        national = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.NATIONAL)
        if "".join(c for c in national if c.isdigit()) == digits:
            return True
    return False


def _french_shape(digits: str) -> bool:
    """Ten digits "0X…" or "33" + nine, X not 0: a French number by its shape alone."""
    if digits.startswith("0033"):
        digits = digits[2:]
    if digits.startswith("33") and len(digits) == 11:
        return digits[2] != "0"
    return len(digits) == 10 and digits[0] == "0" and digits[1] != "0"


def _is_field_value(text: str, start: int, end: int) -> bool:
    return bool(
        _FIELD_BEFORE.search(text, max(0, start - 130), start) and _FIELD_AFTER.match(text, end)
    )


class PhoneRecognizer(Recognizer):
    entities = ("PHONE_NUMBER",)
    priority = 40
    needs_digit = True

    def find(self, text: str) -> list[Span]:
        out: list[Span] = []
        for m in near_digits(_PHONE, text, 3, 4, min_len=8):
            raw = m.group(1)
            digits = "".join(c for c in raw if c.isdigit())
            if counting(digits, digits != raw):
                continue
            s, e = m.start(1), m.end(1)
            num = phone_number(raw)
            if num is None:
                # not in the numbering plan; a strong cue still says it is a phone
                if _french_shape(digits) and _STRONG.around(text, s, e):
                    out.append(Span("PHONE_NUMBER", s, e, 0.75))
                continue
            if _CONTEXT.around(text, s, e):
                score = SURE
            elif digits == raw and not _is_field_value(text, s, e):
                score = WEAK  # bare digits: below the threshold without a cue
            elif digits.startswith("00") and num.country_code not in _FRENCH_CODES:
                # "00 44 20 7946 0123": France's international prefix before a foreign
                # number; zero-padded references start the same way, so a phone word is needed
                score = WEAK
            else:
                score = VALID
            out.append(Span("PHONE_NUMBER", s, e, score))
        taken = sorted((s.start, s.end) for s in out)  # disjoint: ends sorted too
        t = 0
        for m in near_digits(_LOCAL, text, 3, 4, min_len=6):
            s, e = m.start(1), m.end(1)
            while t < len(taken) and taken[t][1] <= s:
                t += 1
            if t < len(taken) and taken[t][0] < e:
                continue  # read above already
            raw = m.group(1)
            region = _country_before(text, s) if 8 <= len(raw) <= 16 else None
            if region is not None and _local_valid(raw, (region,)):
                # "US: 415-555-0132", "numéro en Chine : 13812345678": the country
                # named right before says which plan to read it with
                out.append(Span("PHONE_NUMBER", s, e, SURE))
                continue
            if raw.isdigit():
                # compact digits are valid somewhere in the world too often; a verb of
                # calling right before ("contacter 13812345678") says it is a number to
                # dial, if it is one some country writes that way (its national form)
                if (
                    9 <= len(raw) <= 15
                    and _STRONG.around(text, s, e)
                    and _national_form(raw, LOCAL_REGIONS)
                ):
                    out.append(Span("PHONE_NUMBER", s, e, VALID))
                continue
            digits = "".join(c for c in raw if c.isdigit())
            if not 6 <= len(digits) <= 13 or raw.count("(") != raw.count(")"):
                continue
            if raw.count(".") >= 3 or _DATE_SHAPE.match(raw) or counting(digits, digits != raw):
                continue
            groups = [len(g) for g in _DIGITS.findall(raw)]
            collectivity = all(n == 2 for n in groups[1:]) and groups[0] in (2, 3)
            foreign = (
                len(digits) >= 9 and len(groups) <= 4 and min(groups) >= 2 and not _YEAR.match(raw)
            )
            if not (collectivity or foreign):
                continue
            if _CONTEXT.around(text, s, e):
                if _local_valid(raw, LOCAL_REGIONS if foreign else COLLECTIVITIES):
                    out.append(Span("PHONE_NUMBER", s, e, SURE))
            elif _NANP.fullmatch(raw) and _local_valid(raw, ("US", "CA")):
                # "(415) 555-0132": the bracketed area code and the hyphenated
                # 3-4 groups are North America's written form, never an amount or a date
                out.append(Span("PHONE_NUMBER", s, e, VALID))
            elif (
                collectivity
                and whole_value(text, s, e)
                and not _real_date(raw)
                and _local_valid(raw, COLLECTIVITIES)
            ):
                # a database cell: France's own short plans only, never a date
                out.append(Span("PHONE_NUMBER", s, e, VALID))
        return out
