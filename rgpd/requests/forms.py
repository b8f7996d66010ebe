"""Citizens' request forms generated from the register: static HTML (fr/en) and printable PDF.

Why static pages: a commune publishes them on its own site or behind its reverse
proxy with no application to maintain; only the submission goes to the intake
server (``rgpd serve``, see ``docs/intake-api.md``). The same templates render
the server's dynamic steps (the form again with its errors, the confirmation
page) so the citizen sees one consistent, accessible form.

What the register decides:

* which rights are offered, and for which services: a service (activity) is listed
  under a right unless :mod:`rgpd.requests.rights` says the right does not apply
  given its legal basis (Art. 17(3)(b), 20(3), 21(1) GDPR);
* which identifiers are asked: only those the listed services declare
  (``person_identifiers``), so nobody is asked for a NIR the commune never uses
  (data minimisation, Art. 5(1)(c) GDPR);
* the look: the organisation's name, logo and colours, never the State's DSFR,
  whose licence reserves it to State websites.

Accessibility follows RGAA 4.1 (binding on local authorities, loi n° 2005-102
art. 47): every field labelled (11.1), required fields announced before
submission and formats given with an example (11.10), errors naming the field
with ``aria-invalid``/``aria-describedby`` and a summary of links (11.10),
``autocomplete`` on personal fields (11.13), a confirmation step before a
request with legal effect is sent (11.12), status and error messages announced
(7.5), page language (8.3), skip link (12.7), visible focus (10.7) and contrast
(3.2) computed from the organisation's colours. No JavaScript, no external
resource: the pages work offline, under a strict CSP and on a phone.
"""

from __future__ import annotations

import base64
import binascii
import re
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from rgpd.errors import InvalidInput
from rgpd.i18n import LANGUAGES
from rgpd.i18n import gettext as _main_gettext
from rgpd.registry.model import Activity, Organisation, PersonIdentifier, Role
from rgpd.requests.model import RequesterRole, RequestType
from rgpd.requests.rights import Applicability, assess_right

TEMPLATE_DIR = Path(__file__).parent / "templates" / "forms"

#: The rights a citizen can exercise through the forms, in the order of the GDPR, then
#: directives after death (loi n° 78-17 art. 85). CADA requests are routed, not filed here.
FORM_RIGHTS: tuple[RequestType, ...] = (
    RequestType.ACCESS,
    RequestType.RECTIFICATION,
    RequestType.ERASURE,
    RequestType.RESTRICTION,
    RequestType.PORTABILITY,
    RequestType.OBJECTION,
    RequestType.POST_MORTEM,
)

#: Page name of each right per language (``/fr/acces.html``, ``/en/access.html``).
SLUGS: dict[str, dict[RequestType, str]] = {
    "fr": {
        RequestType.ACCESS: "acces",
        RequestType.RECTIFICATION: "rectification",
        RequestType.ERASURE: "effacement",
        RequestType.RESTRICTION: "limitation",
        RequestType.PORTABILITY: "portabilite",
        RequestType.OBJECTION: "opposition",
        RequestType.POST_MORTEM: "directives-apres-deces",
    },
    "en": {
        RequestType.ACCESS: "access",
        RequestType.RECTIFICATION: "rectification",
        RequestType.ERASURE: "erasure",
        RequestType.RESTRICTION: "restriction",
        RequestType.PORTABILITY: "portability",
        RequestType.OBJECTION: "objection",
        RequestType.POST_MORTEM: "death-directives",
    },
}

#: Value of the ``right`` field per right (docs/intake-api.md, section 3).
RIGHT_VALUES: dict[RequestType, str] = {
    RequestType.ACCESS: "access",
    RequestType.RECTIFICATION: "rectification",
    RequestType.ERASURE: "erasure",
    RequestType.RESTRICTION: "restriction",
    RequestType.PORTABILITY: "portability",
    RequestType.OBJECTION: "objection",
    RequestType.POST_MORTEM: "death_directives",
}

#: Value of the ``requester_role`` field (docs/intake-api.md): who asks, for whom.
ROLE_VALUES: dict[str, RequesterRole] = {
    "self": RequesterRole.SELF,
    "parent": RequesterRole.PARENT,
    "guardian": RequesterRole.GUARDIAN,
    "lawyer": RequesterRole.LAWYER,
    "other": RequesterRole.MANDATARY,
}

#: Rights where ``details`` is required: what to correct (Art. 16), the particular
#: situation the objection rests on (Art. 21(1)).
DETAILS_REQUIRED = frozenset({RequestType.RECTIFICATION, RequestType.OBJECTION})

#: Placeholder the intake server replaces with a fresh CSRF token when it serves a page.
CSRF_PLACEHOLDER = "__RGPD_CSRF_TOKEN__"

#: Rights offered for an activity: everything but a clear "does not apply". An
#: undetermined basis is offered: the DPO decides, the form must not refuse in advance.
_OFFERED = frozenset({Applicability.APPLIES, Applicability.PARTLY, Applicability.UNDETERMINED})

# Identifier keys the standard identity fields already cover (no duplicate id_<key> field).
_STANDARD_KEYS: dict[str, str] = {
    "email": "email",
    "courriel": "email",
    "mail": "email",
    "phone": "phone",
    "telephone": "phone",
    "tel": "phone",
    "mobile": "phone",
    "birth_date": "birth_date",
    "date_naissance": "birth_date",
    "dob": "birth_date",
    "name_dob": "birth_date",  # name + date of birth: names are always asked
    "name": "",
    "nom": "",
    "full_name": "",
}

#: RGAA 11.13 / WCAG 1.3.5: purposes of the standard personal fields.
AUTOCOMPLETE: dict[str, str] = {
    "first_name": "given-name",
    "last_name": "family-name",
    "email": "email",
    "phone": "tel",
    "birth_date": "bday",
    "requester_name": "name",
    "requester_email": "email",
}

#: Roles offered per right: after death, "other" is an heir or a person the deceased named.
_ROLES_LIVING = ("self", "parent", "guardian", "lawyer", "other")
_ROLES_AFTER_DEATH = ("self", "other")


# --------------------------------------------------------------------------- colours


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", hex_colour):
        raise InvalidInput("color", f"expected #RRGGBB, got {hex_colour!r}")
    return (int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16))


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2.x relative luminance of an sRGB colour."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(hex_colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio, 1 to 21 (RGAA 3.2 asks 4.5:1 for text, 3:1 for UI parts)."""
    la, lb = relative_luminance(a), relative_luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


def _mix(a: str, b: str, t: float) -> str:
    ra, rb = _rgb(a), _rgb(b)
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(ra, rb, strict=True))


WHITE = "#ffffff"
DARK = "#161616"
MIN_TEXT = 4.5  # RGAA 3.2 / WCAG 1.4.3, normal text


def readable_text_on(background: str) -> str:
    """White text if it reaches 4.5:1 on ``background``, else dark text (one of them always does)."""
    return WHITE if contrast_ratio(WHITE, background) >= MIN_TEXT else DARK


def darken_until(colour: str, backgrounds: Sequence[str], ratio: float = MIN_TEXT) -> str:
    """The organisation's colour, darkened just enough to read on every background."""
    for step in range(21):
        c = _mix(colour, "#000000", step / 20)
        if all(contrast_ratio(c, bg) >= ratio for bg in backgrounds):
            return c
    return "#000000"


@dataclass(frozen=True, slots=True)
class Palette:
    """Colours derived from the organisation's, each pair checked for contrast."""

    primary: str  # header background: the organisation's colour as given
    on_primary: str  # text on the header
    accent: str  # links, buttons, focus ring, borders: readable on white and on the band
    on_accent: str  # button text
    band: str  # soft background (the organisation's secondary colour when readable)
    text: str = DARK
    error: str = "#b00020"


def palette(primary: str, secondary: str = "#f2f2f2") -> Palette:
    """Derive an accessible palette from any pair of organisation colours.

    The secondary colour is used as a background only if body text keeps 7:1 on it
    (so links and errors keep 4.5:1 after darkening); otherwise a neutral light grey.
    """
    band = secondary if contrast_ratio(DARK, secondary) >= 7 else "#f4f4f4"
    accent = darken_until(primary, (WHITE, band))
    error = darken_until("#d0021b", (WHITE, band))
    return Palette(
        primary=primary.lower(),
        on_primary=readable_text_on(primary),
        accent=accent,
        on_accent=readable_text_on(accent),
        band=band.lower(),
        error=error,
    )


# --------------------------------------------------------------------------- translations


@cache
def _fallback_catalog(lang: str) -> dict[str, str]:
    """The forms' own French texts, until the lead merges them into ``rgpd/locale``."""
    po = TEMPLATE_DIR / f"{lang}.po"
    if not po.exists():
        return {}
    from babel.messages.pofile import read_po

    with po.open("rb") as fh:
        cat = read_po(fh, locale=lang)
    out: dict[str, str] = {}
    for msg in cat:
        if msg.id and msg.string and not msg.fuzzy:
            key = msg.id if isinstance(msg.id, str) else msg.id[0]
            val = msg.string if isinstance(msg.string, str) else msg.string[0]
            out[key] = val
    return out


def translate(message: str, lang: str, **params: object) -> str:
    """``rgpd.i18n`` first, then the forms' catalog; ``{name}`` placeholders filled."""
    text = _main_gettext(message, lang)
    if text == message:
        text = _fallback_catalog(lang).get(message, message)
    return text.format(**params) if params else text


# --------------------------------------------------------------------------- what a form asks


@dataclass(frozen=True, slots=True)
class ServiceChoice:
    """One register activity a citizen can tick."""

    ref: str
    name: str
    applicability: Applicability


@dataclass(frozen=True, slots=True)
class ServiceGroup:
    department: str  # "" when the register names none
    services: tuple[ServiceChoice, ...]


@dataclass(frozen=True, slots=True)
class IdentifierField:
    """An identifier some listed services declare, asked as ``id_<key>`` (or a standard field)."""

    key: str
    name: str  # form field name
    labels: Mapping[str, str]  # lang -> label
    example: str | None
    required_by: tuple[str, ...]  # refs of the listed services that require it
    used_by: tuple[str, ...]  # refs of the listed services that declare it
    required: bool  # required whatever the services ticked (all listed services require it)
    autocomplete: str  # "off" for identifiers browsers must not remember (NIR, numbers)

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels.get("fr") or self.key.replace("_", " ")


@dataclass(frozen=True, slots=True)
class FormSpec:
    """Everything one right's form asks, derived from the register (pure, no I/O).

    The intake server validates against the same spec: a required identifier is
    required when one of ``required_by`` is ticked.
    """

    right: RequestType
    groups: tuple[ServiceGroup, ...]
    identifiers: tuple[IdentifierField, ...]  # the id_<key> fields
    ask_phone: bool
    ask_birth_date: bool
    roles: tuple[str, ...]  # requester_role values offered (ROLE_VALUES keys)

    @property
    def details_required(self) -> bool:
        return self.right in DETAILS_REQUIRED

    @property
    def service_names(self) -> dict[str, str]:
        return {s.ref: s.name for g in self.groups for s in g.services}

    @property
    def service_refs(self) -> tuple[str, ...]:
        return tuple(s.ref for g in self.groups for s in g.services)

    def required_identifiers(self, selected: Iterable[str]) -> tuple[str, ...]:
        """Field names required once ``selected`` services are ticked."""
        chosen = set(selected)
        out: list[str] = []
        for f in self.identifiers:
            if chosen.intersection(f.required_by):
                out.append(f.name)
        return tuple(out)


def citizen_activities(activities: Iterable[Activity]) -> list[Activity]:
    """Activities for which the organisation answers citizens: those it controls.

    As a processor (Art. 30(2)) the organisation passes requests on to the
    controller (Art. 28(3)(e)); those activities are not listed.
    """
    return [a for a in activities if a.role is Role.CONTROLLER]


def offered_rights(activities: Sequence[Activity]) -> tuple[RequestType, ...]:
    """Rights that may apply to at least one activity, in legal order."""
    acts = citizen_activities(activities)
    return tuple(
        r
        for r in FORM_RIGHTS
        if any(assess_right(r, a).applicability in _OFFERED for a in acts)
    )


def _identifier_name(key: str) -> str:
    return f"id_{key}"


def _identifier_autocomplete(p: PersonIdentifier) -> str:
    std = _STANDARD_KEYS.get(p.key)
    return AUTOCOMPLETE.get(std, "off") if std else "off"


def form_spec(right: RequestType, activities: Sequence[Activity]) -> FormSpec:
    """The services offered for ``right`` and the identifiers they declare."""
    acts = citizen_activities(activities)
    offered: list[tuple[Activity, Applicability]] = []
    for a in acts:
        app = assess_right(right, a).applicability
        if app in _OFFERED:
            offered.append((a, app))
    by_dept: dict[str, list[ServiceChoice]] = {}
    for a, app in offered:
        by_dept.setdefault((a.department or "").strip(), []).append(
            ServiceChoice(a.ref, a.name, app)
        )
    groups = tuple(
        ServiceGroup(d, tuple(sorted(s, key=lambda c: c.name.casefold())))
        for d, s in sorted(by_dept.items(), key=lambda kv: (kv[0] == "", kv[0].casefold()))
    )
    ask_phone = ask_birth = False
    fields: dict[str, dict[str, Any]] = {}
    for a, _app in offered:
        for p in a.person_identifiers:
            std = _STANDARD_KEYS.get(p.key)
            if std is not None:
                ask_phone |= std == "phone"
                ask_birth |= std == "birth_date"
                continue
            f = fields.setdefault(
                p.key,
                {"labels": {}, "example": None, "required_by": [], "used_by": [], "p": p},
            )
            if p.label_fr and "fr" not in f["labels"]:
                f["labels"]["fr"] = p.label_fr
            if p.label_en and "en" not in f["labels"]:
                f["labels"]["en"] = p.label_en
            f["example"] = f["example"] or p.example
            f["used_by"].append(a.ref)
            if p.required:
                f["required_by"].append(a.ref)
    all_refs = {a.ref for a, _ in offered}
    identifiers = tuple(
        IdentifierField(
            key=k,
            name=_identifier_name(k),
            labels=dict(f["labels"]),
            example=f["example"],
            required_by=tuple(f["required_by"]),
            used_by=tuple(f["used_by"]),
            required=bool(all_refs) and set(f["required_by"]) == all_refs,
            autocomplete=_identifier_autocomplete(f["p"]),
        )
        for k, f in fields.items()
    )
    roles = _ROLES_AFTER_DEATH if right is RequestType.POST_MORTEM else _ROLES_LIVING
    return FormSpec(right, groups, identifiers, ask_phone, ask_birth, roles)


