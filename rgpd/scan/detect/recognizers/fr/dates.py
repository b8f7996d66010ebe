"""Date shapes written in French documents, parsed to real calendar dates."""

from __future__ import annotations

import re
from datetime import date

MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "fevrier": 2, "février": 2, "fevr": 2, "févr": 2, "fev": 2,
    "fév": 2, "mars": 3, "avril": 4, "avr": 4, "mai": 5, "juin": 6, "juillet": 7, "juil": 7,
    "aout": 8, "août": 8, "septembre": 9, "sept": 9, "sep": 9, "octobre": 10, "oct": 10,
    "novembre": 11, "nov": 11, "decembre": 12, "décembre": 12, "dec": 12, "déc": 12,
}  # fmt: skip
_MONTH_ALT = "|".join(sorted(MONTHS, key=len, reverse=True))

DATE = re.compile(
    r"(?<![\w/.\-])(?:"
    r"(?P<d>0?[1-9]|[12]\d|3[01])\s?(?P<s>[/.\-])\s?(?P<m>0?[1-9]|1[0-2])\s?(?P=s)\s?(?P<y>(?:19|20)\d\d|\d\d)"
    rf"|(?P<d2>1er|0?[1-9]|[12]\d|3[01])\s+(?P<m2>{_MONTH_ALT})\.?\s+(?P<y2>(?:19|20)\d\d)"
    r"|(?P<y3>(?:19|20)\d\d)-(?P<m3>0[1-9]|1[0-2])-(?P<d3>0[1-9]|[12]\d|3[01])"
    r")(?![\w/]|[.\-]\d)",
    re.IGNORECASE,
)

#: Where :data:`DATE` can start: a digit that no word character, slash, dot or hyphen
#: precedes, and after at most three more digits, a separator ("12/", "2020-", "3 .")
#: or a word ("3 mai", "1er mars"); the digit groups of a phone number are none.
DATE_STARTS = re.compile(
    r"[0-9](?<![\w/.\-][0-9])(?=[0-9]{0,3}(?:\s?[/.\-]|\s+[^\W\d_]|er\s))", re.IGNORECASE
)


def parse_date(m: re.Match[str], today_year: int = 2100) -> date | None:
    """The calendar date a :data:`DATE` match denotes, or None if it does not exist."""
    try:
        if m.group("d"):
            day, month, year = int(m.group("d")), int(m.group("m")), int(m.group("y"))
        elif m.group("d2"):
            d2 = m.group("d2").lower()
            day = 1 if d2 == "1er" else int(d2)
            month = MONTHS[m.group("m2").lower()]
            year = int(m.group("y2"))
        else:
            day, month, year = int(m.group("d3")), int(m.group("m3")), int(m.group("y3"))
        if year < 100:
            year += 1900 if year > 30 else 2000
        if not 1900 <= year <= today_year:
            return None
        return date(year, month, day)
    except (ValueError, KeyError):
        return None


def parse_date_text(value: str) -> date | None:
    m = DATE.fullmatch(value.strip())
    return parse_date(m) if m else None
