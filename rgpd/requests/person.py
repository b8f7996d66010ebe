"""The person a request is about: identifiers (probes), their spellings, and where they appear in a text.

Shared by discovery (searching), redaction and erasure (text spans): it sits below
all three so none of them imports another for it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rgpd.masking import normalise
from rgpd.registry.model import (
    Activity,
)
from rgpd.requests import service
from rgpd.requests.intake import Submission
from rgpd.taxonomy import Entity

CONF_STRONG = 0.99


CONF_PHONE = 0.9


CONF_NAME_DOB_ROW = 0.85


CONF_NAME_DOB_FILE = 0.7


CONF_NAME_ONLY = 0.4


#: Entities of identifiers strong enough to act on (one person, one value).
STRONG_ENTITIES = frozenset(
    {
        Entity.EMAIL_ADDRESS,
        Entity.FR_NIR,
        Entity.IBAN_CODE,
        Entity.PHONE_NUMBER,
        Entity.FR_TAX_ID,
        Entity.FR_ID_CARD,
        Entity.FR_PASSPORT,
        Entity.FR_LICENSE_PLATE,
        Entity.CREDIT_CARD,
    }
)


#: Identifier keys people type for the same things (forms, CLI ``--id``).
KEY_ENTITIES: dict[str, str] = {
    "email": Entity.EMAIL_ADDRESS,
    "courriel": Entity.EMAIL_ADDRESS,
    "phone": Entity.PHONE_NUMBER,
    "telephone": Entity.PHONE_NUMBER,
    "nir": Entity.FR_NIR,
    "iban": Entity.IBAN_CODE,
}


NAME_KEYS = frozenset({"nom_date_naissance", "name_dob", "nom", "name"})


@dataclass(frozen=True, slots=True)
class Probe:
    """One identifier to search with; ``value`` lives in memory only."""

    key: str
    entity: str | None  # None: an internal number, searched only where the register says
    value: str = field(repr=False)

    @property
    def confidence(self) -> float:
        return CONF_PHONE if self.entity == Entity.PHONE_NUMBER else CONF_STRONG


@dataclass(frozen=True, slots=True)
class Person:
    """What identifies the person concerned (not the requester acting for them)."""

    probes: tuple[Probe, ...]
    first_name: str = field(default="", repr=False)
    last_name: str = field(default="", repr=False)
    birth_date: date | None = field(default=None, repr=False)
    address: str = field(default="", repr=False)

    @property
    def name_words(self) -> frozenset[str]:
        return frozenset(normalise(Entity.PERSON, f"{self.first_name} {self.last_name}").split())

    @property
    def has_name(self) -> bool:
        return bool(self.first_name.strip() and self.last_name.strip())


def person_from_submission(sub: Submission, activities: Sequence[Activity]) -> Person:
    """The probes of a request: its e-mail and phone, and each identifier the register knows."""
    declared = {pi.key: pi for a in activities for pi in a.person_identifiers}
    probes: list[Probe] = []
    seen: set[tuple[str, str | None, str]] = set()

    def add(key: str, entity: str | None, value: str) -> None:
        value = value.strip()
        if not value:
            return
        norm = normalise(entity, value) if entity else service.normalise_identifier(value)
        if (key if entity is None else "", entity, norm) in seen:
            return
        seen.add((key if entity is None else "", entity, norm))
        probes.append(Probe(key, entity, value))

    if sub.email:
        add("email", Entity.EMAIL_ADDRESS, sub.email)
    if sub.phone:
        add("telephone", Entity.PHONE_NUMBER, sub.phone)
    for key, value in sorted(sub.identifiers.items()):
        if key in NAME_KEYS:
            continue
        pi = declared.get(key)
        entity = (pi.entity if pi else None) or KEY_ENTITIES.get(key)
        add(key, entity, value)
    return Person(
        tuple(probes),
        first_name=sub.first_name,
        last_name=sub.last_name,
        birth_date=sub.birth_date,
        address=sub.address,
    )


def only_digits(value: str) -> str:
    return "".join(c for c in value if c.isdigit())


def text_variants(probe: Probe) -> list[str]:
    """The spellings ``probe`` is commonly written or stored under, as text.

    One list for both uses: equality tests on text columns (discovery) and the
    spans a redaction looks for in a document.
    """
    v = probe.value.strip()
    ent = probe.entity
    texts: list[str]
    if ent == Entity.EMAIL_ADDRESS:
        texts = [v, v.lower(), normalise(ent, v)]
    elif ent == Entity.PHONE_NUMBER:
        texts = phone_variants(v)
    elif ent == Entity.FR_NIR:
        compact = normalise(ent, v)
        texts = [v, compact]
        if len(compact) == 15:
            c = compact
            texts += [
                f"{c[0]} {c[1:3]} {c[3:5]} {c[5:7]} {c[7:10]} {c[10:13]} {c[13:]}",
                f"{c[:13]} {c[13:]}",
            ]
    elif ent == Entity.IBAN_CODE:
        compact = normalise(ent, v)
        texts = [v, compact, " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))]
    elif ent == Entity.DATE_OF_BIRTH:
        iso = normalise(ent, v)
        texts = [v, iso]
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", iso):
            texts.append(f"{iso[8:10]}/{iso[5:7]}/{iso[:4]}")
    elif ent is not None:
        texts = [v, normalise(ent, v)]
    else:
        texts = [v, v.upper(), v.lower(), service.normalise_identifier(v)]
    return list(dict.fromkeys(t for t in texts if t))


def national_phone(value: str) -> tuple[str, int]:
    """(national digits with the trunk 0, country code): "+33 6 12 34 56 78" → ("0612345678", 33).

    Valid numbers go through phonenumbers (so "0639 ..." is La Réunion's +262);
    numbers it rejects are read the French way, so that two spellings of the
    same digits still meet.
    """
    import phonenumbers

    from rgpd.masking import parse_phone

    num = parse_phone(value)
    if num is not None:
        return "0" + phonenumbers.national_significant_number(num), int(num.country_code or 33)
    raw = value.strip().replace("(0)", "")
    digits = only_digits(raw)
    if raw.startswith("00"):
        digits = digits[2:]
    if (raw.startswith("+") or raw.startswith("00")) and digits.startswith("33"):
        return "0" + digits[2:], 33
    if raw.startswith("+") or raw.startswith("00"):
        return digits, 0
    return digits, 33


def phone_variants(value: str) -> list[str]:
    """The ways a phone number is commonly stored: "06 12 34 56 78", "0612345678", "+33 6 ..."."""
    e164 = normalise(Entity.PHONE_NUMBER, value)
    out = [value.strip(), e164]
    national, cc = national_phone(value)
    if len(national) == 10 and national.startswith("0"):
        pairs = [national[i : i + 2] for i in range(0, 10, 2)]
        rest = national[1:]
        tail = " ".join(rest[i : i + 2] for i in range(1, 9, 2))
        out += [national, " ".join(pairs), ".".join(pairs), "-".join(pairs)]
        # "0700000000" is French to a person and Monegasque to phonenumbers: both prefixes
        for code in dict.fromkeys([33, cc] if cc else [33]):
            out += [
                f"+{code}{rest}",
                f"+{code} {rest[0]} {tail}",
                f"+{code} (0){rest[0]} {tail}",
                f"00{code}{rest}",
                f"00{code} {rest[0]} {tail}",
            ]
    return list(dict.fromkeys(v for v in out if v))


def fold(text: str) -> str:
    t = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in t if not unicodedata.combining(c))


def name_pattern(person: Person) -> re.Pattern[str] | None:
    first = [w for w in re.split(r"[\s\-'’]+", fold(person.first_name)) if w]
    last = [w for w in re.split(r"[\s\-'’]+", fold(person.last_name)) if w]
    if not first or not last:
        return None
    f = r"[\s\-'’]+".join(map(re.escape, first))
    la = r"[\s\-'’]+".join(map(re.escape, last))
    sep = r"[\s,;.:\t]{1,6}(?:\w+[\s,;.:\t]{1,6})?"  # a middle name, a comma, a cell boundary
    return re.compile(rf"\b(?:{f}{sep}{la}|{la}{sep}{f})\b")


# --------------------------------------------------------------------------- text spans


REDACTED = "[effacé]"


def fold_keep_length(text: str) -> str:
    """Case- and accent-folded text of the same length (offsets stay valid)."""
    out = []
    for c in text:
        d = unicodedata.normalize("NFKD", c)
        base = d[0] if d else c
        low = base.lower()
        out.append(low if len(low) == 1 else base)
    return "".join(out)


def person_spans(text: str, person: Person, *, detector: Any = None) -> list[tuple[int, int]]:
    """Where the person's own identifiers and name appear in ``text`` (for redaction)."""
    spans: list[tuple[int, int]] = []
    folded = fold_keep_length(text)
    for p in person.probes:
        for v in text_forms(p):
            for m in re.finditer(re.escape(fold_keep_length(v)), folded):
                spans.append((m.start(), m.end()))
    pat = name_pattern(person)
    if pat is not None:
        spans += [(m.start(), m.end()) for m in pat.finditer(folded)]
    if detector is not None:
        for d in detector.detect(text):
            if is_persons(d.entity_type, d.value, person):
                spans.append((d.start, d.end))
    return merge_spans(spans)


def text_forms(p: Probe) -> list[str]:
    """The probe's spellings worth looking for in a text, longest first."""
    forms = [v for v in text_variants(p) if len(v) >= 4]
    return sorted(set(forms), key=len, reverse=True)


def is_persons(entity: str, value: str, person: Person) -> bool:
    """Is a detected value the person's own (kept in their copy, erased from files)?"""
    if entity == Entity.PERSON:
        words = frozenset(normalise(Entity.PERSON, value).split())
        return bool(words) and words <= person.name_words
    if entity == Entity.DATE_OF_BIRTH:
        return bool(person.birth_date) and normalise(entity, value) == (
            person.birth_date.isoformat() if person.birth_date else ""
        )
    if entity == Entity.LOCATION and person.address:
        return normalise(entity, value) in normalise(entity, person.address)
    norm = normalise(entity, value)
    return any(p.entity == entity and normalise(entity, p.value) == norm for p in person.probes)


def merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def replace_spans(text: str, spans: Sequence[tuple[int, int]], marker: str = REDACTED) -> str:
    """``text`` with each (merged) span replaced by ``marker``."""
    parts, last = [], 0
    for s, e in merge_spans(spans):
        parts.append(text[last:s])
        parts.append(marker)
        last = e
    parts.append(text[last:])
    return "".join(parts)
