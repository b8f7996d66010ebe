"""Citizens' request forms generated from the register: static HTML (fr/en) and printable PDF.

Why static pages: a commune publishes them on its own site or behind its reverse
proxy with no application to maintain; only the submission goes to the intake
server (``rgpd serve``, see ``docs/intake-api.md``). The server renders the
correction page with :func:`render_form` (values and errors) and its own
confirmation step (RGAA 11.12) with this stylesheet, so the citizen sees one
consistent, accessible form. ``docs/forms.md`` is the user-facing summary.

What the register decides:

* which rights are offered, and for which services: a service (activity) is listed
  under a right unless :mod:`rgpd.requests.rights` says the right does not apply
  given its legal basis (Art. 17(3)(b), 20(3), 21(1) GDPR);
* how services are shown: the name citizens know them by (``public_label``), one
  line saying what they are (``public_description``), grouped by life event or
  service (``public_group``), with "I don't know / all of them" first (issue 12);
* which identifiers are asked: only those the *chosen* services declare
  (``person_identifiers``, :meth:`FormSpec.select`), so nobody is asked for a NIR the
  commune never uses (data minimisation, Art. 5(1)(c) GDPR). Without JavaScript the
  citizen chooses the services, then the server asks for what they need (two steps);
  with it, ``assets/form.js`` reveals the same fields on the same page. A NIR or an IP
  address is asked only when a chosen service both declares it and holds the matching
  data category, never as a required field, with a sentence saying why;
* the look: the organisation's name, logo and colours, never the State's DSFR,
  whose licence reserves it to State websites.

Accessibility follows RGAA 4.1 (binding on local authorities, loi n° 2005-102
art. 47): every field labelled (11.1), required fields announced before
submission and formats given with an example (11.10), errors naming the field
with ``aria-invalid``/``aria-describedby`` and a summary of links (11.10),
``autocomplete`` on personal fields (11.13), a confirmation step before a
request with legal effect is sent (11.12), status and error messages announced
(7.5), page language (8.3), skip link (12.7), visible focus (10.7) and contrast
(3.2) computed from the organisation's colours. (Loi n° 2005-102 art. 47 I 1°,
as amended by loi n° 2023-171: online services of every public-law legal person;
checked on the article's consolidated text.) JavaScript is an enhancement
only (one same-origin file, no inline script); no external resource: the pages work
offline, under a strict CSP and on a phone.
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
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from rgpd.errors import InvalidInput
from rgpd.i18n import LANGUAGES, N_, _
from rgpd.i18n import gettext as _main_gettext
from rgpd.registry.model import Activity, Organisation, PersonIdentifier, Role
from rgpd.requests.model import RequesterRole, RequestType
from rgpd.requests.rights import Applicability, assess_right
from rgpd.taxonomy import Entity, categories_for_entity

if TYPE_CHECKING:
    from rgpd.workspace import Workspace

TEMPLATE_DIR = Path(__file__).parent / "templates" / "forms"

#: Value of the "I don't know / all of them" choice in the ``activities`` field: the
#: request covers every service offered for that right. Not a valid reference (SLUG_RE).
ALL_SERVICES = "*"

#: Longest purpose shown as a service's description when the register gives none.
_DESCRIPTION_MAX = 160

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
    "heir": RequesterRole.HEIR,
    "designated": RequesterRole.DESIGNATED_PERSON,
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
    "nom_date_naissance": "birth_date",
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

#: Identifiers asked only when a chosen service holds the matching data category (data
#: minimisation, Art. 5(1)(c)): the NIR, whose use décret n° 2019-341 restricts, and the
#: IP address. Recognised by the detector entity declared, or by the usual keys.
SENSITIVE_ENTITIES: frozenset[str] = frozenset({Entity.FR_NIR, Entity.IP_ADDRESS})
_SENSITIVE_KEYS: dict[str, str] = {
    "nir": Entity.FR_NIR,
    "numero_securite_sociale": Entity.FR_NIR,
    "numero_secu": Entity.FR_NIR,
    "securite_sociale": Entity.FR_NIR,
    "ssn": Entity.FR_NIR,
    "ip": Entity.IP_ADDRESS,
    "adresse_ip": Entity.IP_ADDRESS,
    "ip_address": Entity.IP_ADDRESS,
}

#: Roles offered per right: after death, "other" is an heir or a person the deceased named.
_ROLES_LIVING = ("self", "parent", "guardian", "lawyer", "other")
_ROLES_AFTER_DEATH = ("self", "heir", "designated")


# --------------------------------------------------------------------------- colours


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", hex_colour):
        raise InvalidInput("color", _("expected #RRGGBB, got {value}", value=repr(hex_colour)))
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
BLACK = "#000000"
DARK = "#161616"
MUTED = "#4a4a4a"
MIN_TEXT = 4.5  # RGAA 3.2 / WCAG 1.4.3, normal text


def readable_text_on(background: str) -> str:
    """White text if it reaches 4.5:1 on ``background``, else black.

    One of them always does: the worse of the two still has at least 4.58:1.
    """
    return WHITE if contrast_ratio(WHITE, background) >= MIN_TEXT else BLACK


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
    muted: str = MUTED  # hints
    error: str = "#b00020"


def palette(primary: str, secondary: str = "#f2f2f2") -> Palette:
    """Derive an accessible palette from any pair of organisation colours.

    The secondary colour is used as a background only if hints (the lightest text)
    keep 4.5:1 on it; otherwise a neutral light grey. Links, buttons and errors are
    the organisation's colours darkened until they read on white and on that band.
    """
    band = secondary if contrast_ratio(MUTED, secondary) >= MIN_TEXT else "#f4f4f4"
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


def translate(message: str, lang: str, **params: object) -> str:
    """``message`` in ``lang`` from the project catalog, ``{name}`` placeholders filled.

    The pages are rendered for one language at a time, whatever the process language.
    """
    text = _main_gettext(message, lang)
    return text.format(**params) if params else text


# --------------------------------------------------------------------------- what a form asks


@dataclass(frozen=True, slots=True)
class ServiceChoice:
    """One register activity a citizen can tick, under the name citizens know it by."""

    ref: str
    name: str  # public_label, else the register's name
    applicability: Applicability
    description: str = ""  # public_description, else a short first purpose


@dataclass(frozen=True, slots=True)
class ServiceGroup:
    title: str  # public_group (or the department when the register sets no group); "" none
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
    sensitive: str | None = None  # Entity.FR_NIR / IP_ADDRESS: never required, reason shown

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels.get("fr") or self.key.replace("_", " ")


@dataclass(frozen=True, slots=True)
class AskedField:
    """A field the chosen services need: ``phone``, ``birth_date`` or ``id_<key>``."""

    name: str
    required: bool
    services: tuple[str, ...]  # the chosen services that use it (empty: asked for "all")
    sensitive: str | None = None


@dataclass(frozen=True, slots=True)
class Selection:
    """What a citizen's choice of services asks for (:meth:`FormSpec.select`).

    First name, last name and e-mail are always asked; everything else only when a
    chosen service uses it (Art. 5(1)(c)). "I don't know / all of them" covers every
    service offered but asks no service's own reference (the person may not know
    which they have); it does ask phone and date of birth, optional, when a service
    uses them, since they help find a person whose services are unknown.
    """

    chosen: tuple[str, ...]  # services ticked one by one (offered ones only)
    all_services: bool  # "I don't know / all of them" ticked
    services: tuple[str, ...]  # what the request covers
    fields: tuple[AskedField, ...]

    @property
    def names(self) -> frozenset[str]:
        return frozenset(f.name for f in self.fields)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    def get(self, name: str) -> AskedField | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True, slots=True)
class FormSpec:
    """Everything one right's form asks, derived from the register (pure, no I/O).

    The intake server validates against the same spec: a required identifier is
    required when one of ``required_by`` is ticked.
    """

    right: RequestType
    groups: tuple[ServiceGroup, ...]
    identifiers: tuple[IdentifierField, ...]  # the id_<key> fields
    roles: tuple[str, ...]  # requester_role values offered (ROLE_VALUES keys)
    # services that declare phone / birth date, and those that require them when ticked
    phone_used_by: tuple[str, ...] = ()
    birth_date_used_by: tuple[str, ...] = ()
    phone_required_by: tuple[str, ...] = ()
    birth_date_required_by: tuple[str, ...] = ()
    # (service, identifier key) of a NIR / IP identifier declared without the matching
    # data category: not asked (Art. 5(1)(c)); the build warns the DPO
    unbacked: tuple[tuple[str, str], ...] = ()

    @property
    def ask_phone(self) -> bool:
        """Some listed service uses the phone (the page may ask it)."""
        return bool(self.phone_used_by)

    @property
    def ask_birth_date(self) -> bool:
        return bool(self.birth_date_used_by)

    @property
    def phone_required(self) -> bool:
        """Required whatever is ticked: every listed service requires it."""
        refs = set(self.service_refs)
        return bool(refs) and set(self.phone_required_by) == refs

    @property
    def birth_date_required(self) -> bool:
        refs = set(self.service_refs)
        return bool(refs) and set(self.birth_date_required_by) == refs

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
        """Field names (``id_<key>``, ``phone``, ``birth_date``) required once ``selected`` are ticked."""
        return self.select(selected).required

    def select(self, selected: Iterable[str]) -> Selection:
        """The fields the services ``selected`` need (``ALL_SERVICES`` for "I don't know").

        One function for the three places that decide it: the server's second step,
        the data the script reveals by, and the intake's validation. References the
        form does not offer are ignored here (the intake reports them).
        """
        raw = list(dict.fromkeys(str(s) for s in selected))
        offered = self.service_refs
        chosen = tuple(r for r in raw if r in offered)
        all_services = ALL_SERVICES in raw
        picked = set(chosen)

        def users(refs: Iterable[str]) -> tuple[str, ...]:
            return tuple(r for r in refs if r in picked)

        fields: list[AskedField] = []
        for name, used_by, required_by in (
            ("phone", self.phone_used_by, self.phone_required_by),
            ("birth_date", self.birth_date_used_by, self.birth_date_required_by),
        ):
            if users(used_by) or (all_services and used_by):
                fields.append(AskedField(name, bool(users(required_by)), users(used_by)))
        for f in self.identifiers:
            if users(f.used_by):  # a service's own reference: only for a service chosen
                fields.append(
                    AskedField(f.name, bool(users(f.required_by)), users(f.used_by), f.sensitive)
                )
        services = offered if all_services else chosen
        return Selection(chosen, all_services, services, tuple(fields))


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
        r for r in FORM_RIGHTS if any(assess_right(r, a).applicability in _OFFERED for a in acts)
    )


def _identifier_name(key: str) -> str:
    return f"id_{key}"


def _identifier_autocomplete(p: PersonIdentifier) -> str:
    std = _STANDARD_KEYS.get(p.key)
    return AUTOCOMPLETE.get(std, "off") if std else "off"


def sensitive_entity(p: PersonIdentifier) -> str | None:
    """``FR_NIR`` or ``IP_ADDRESS`` when the identifier is one, from its entity or key."""
    if p.entity in SENSITIVE_ENTITIES:
        return p.entity
    return _SENSITIVE_KEYS.get(p.key.casefold())


def holds_sensitive(activity: Activity, entity: str) -> bool:
    """The activity declares the data category under which ``entity`` is held
    (``nir`` for the NIR, ``connexion`` for IP addresses, from the shared taxonomy)."""
    return bool(activity.category_keys() & set(categories_for_entity(entity)))


def public_name(activity: Activity) -> str:
    """The name citizens know the service by: ``public_label``, else the register's name."""
    return (activity.public_label or "").strip() or activity.name


def public_description(activity: Activity) -> str:
    """One line saying what the service is: ``public_description``, else the first
    purpose when it is short enough to read as one line, else nothing."""
    text = (activity.public_description or "").strip()
    if text:
        return text
    first = next((p.strip() for p in activity.purposes if p.strip()), "")
    return first if len(first) <= _DESCRIPTION_MAX else ""


def _group_titles(activities: Sequence[Activity]) -> dict[str, str]:
    """Group of each activity: ``public_group``; when no activity has one, the
    department (the register's only grouping); else "" (shown as "Other services")."""
    if any((a.public_group or "").strip() for a in activities):
        return {a.ref: (a.public_group or "").strip() for a in activities}
    return {a.ref: (a.department or "").strip() for a in activities}


def form_spec(right: RequestType, activities: Sequence[Activity]) -> FormSpec:
    """The services offered for ``right`` and the identifiers they declare."""
    acts = citizen_activities(activities)
    offered: list[tuple[Activity, Applicability]] = []
    for a in acts:
        app = assess_right(right, a).applicability
        if app in _OFFERED:
            offered.append((a, app))
    titles = _group_titles([a for a, _app in offered])
    by_group: dict[str, list[ServiceChoice]] = {}
    for a, app in offered:
        by_group.setdefault(titles[a.ref], []).append(
            ServiceChoice(a.ref, public_name(a), app, public_description(a))
        )
    groups = tuple(
        ServiceGroup(d, tuple(sorted(s, key=lambda c: c.name.casefold())))
        for d, s in sorted(by_group.items(), key=lambda kv: (kv[0] == "", kv[0].casefold()))
    )
    std_used: dict[str, list[str]] = {"phone": [], "birth_date": []}
    std_required: dict[str, list[str]] = {"phone": [], "birth_date": []}
    fields: dict[str, dict[str, Any]] = {}
    unbacked: list[tuple[str, str]] = []
    for a, _app in offered:
        for p in a.person_identifiers:
            entity = sensitive_entity(p)
            if entity is not None and not holds_sensitive(a, entity):
                unbacked.append((a.ref, p.key))  # declared, but no data category holds it
                continue
            std = _STANDARD_KEYS.get(p.key)
            if std is not None:
                if std in std_used:
                    std_used[std].append(a.ref)
                    if p.required:
                        std_required[std].append(a.ref)
                continue
            f = fields.setdefault(
                p.key,
                {
                    "labels": {},
                    "example": None,
                    "required_by": [],
                    "used_by": [],
                    "p": p,
                    "sensitive": entity,
                },
            )
            if p.label_fr and "fr" not in f["labels"]:
                f["labels"]["fr"] = p.label_fr
            if p.label_en and "en" not in f["labels"]:
                f["labels"]["en"] = p.label_en
            f["example"] = f["example"] or p.example
            f["used_by"].append(a.ref)
            # a NIR or an IP address is never a condition of exercising a right: asking
            # it must not hinder the request (Art. 12(2)); identity is checked only on
            # reasonable doubt (Art. 12(6))
            if p.required and f["sensitive"] is None:
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
            sensitive=f["sensitive"],
        )
        for k, f in fields.items()
    )
    roles = _ROLES_AFTER_DEATH if right is RequestType.POST_MORTEM else _ROLES_LIVING
    return FormSpec(
        right,
        groups,
        identifiers,
        roles=roles,
        phone_used_by=tuple(dict.fromkeys(std_used["phone"])),
        birth_date_used_by=tuple(dict.fromkeys(std_used["birth_date"])),
        phone_required_by=tuple(dict.fromkeys(std_required["phone"])),
        birth_date_required_by=tuple(dict.fromkeys(std_required["birth_date"])),
        unbacked=tuple(unbacked),
    )


# --------------------------------------------------------------------------- texts

#: Plain-language summary of each right (English msgids, French in the catalog).
RIGHT_SUMMARIES: dict[RequestType, str] = {
    RequestType.ACCESS: N_(
        "Find out whether we hold data about you and get a copy, with what we use them for, "
        "who receives them and how long we keep them."
    ),
    RequestType.RECTIFICATION: N_(
        "Have inaccurate data about you corrected, or incomplete data completed."
    ),
    RequestType.ERASURE: N_(
        "Ask us to delete your data. This right does not apply while we must keep the data "
        "for a legal obligation or a public service mission."
    ),
    RequestType.RESTRICTION: N_(
        "Ask us to freeze the use of your data for a while, for example while we check "
        "that they are accurate."
    ),
    RequestType.PORTABILITY: N_(
        "Get back the data you gave us in a machine-readable file, for services based on your "
        "consent or on a contract."
    ),
    RequestType.OBJECTION: N_(
        "Object, for reasons relating to your particular situation, to a service using your data."
    ),
    RequestType.POST_MORTEM: N_(
        "Say what should happen to your data after your death or, as an heir, "
        "exercise the rights of a deceased person."
    ),
}

#: Label and hint of the ``details`` field per right.
DETAILS_TEXT: dict[RequestType, tuple[str, str]] = {
    RequestType.ACCESS: (
        N_("Anything that helps us find your data"),
        N_("Optional. For example the period concerned or a file number."),
    ),
    RequestType.RECTIFICATION: (
        N_("What is inaccurate and what it should be"),
        N_("For example: my address is wrong, it should be 3 rue des Lilas."),
    ),
    RequestType.ERASURE: (
        N_("Which data and why you want them deleted"),
        N_("Optional. For example: I no longer use this service."),
    ),
    RequestType.RESTRICTION: (
        N_("Which data and why you ask for the restriction"),
        N_("Optional. For example: I contest the accuracy of my data."),
    ),
    RequestType.PORTABILITY: (
        N_("Which data you want to get back"),
        N_("Optional. Leave empty to receive all the data you gave us."),
    ),
    RequestType.OBJECTION: (
        N_("Your particular situation"),
        N_("Explain why you object: the law asks for reasons relating to your situation."),
    ),
    RequestType.POST_MORTEM: (
        N_("Your directives, or what you ask as an heir"),
        N_("Optional. For example: delete my data after my death."),
    ),
}

_ROLE_LABELS: dict[str, str] = {
    "self": N_("I am the person concerned"),
    "parent": N_("I hold parental authority over the person concerned (a minor)"),
    "guardian": N_("I am the legal guardian of the person concerned"),
    "lawyer": N_("I am the lawyer of the person concerned"),
    "other": N_("I hold a written mandate from the person concerned"),
}
_ROLE_LABELS_AFTER_DEATH: dict[str, str] = {
    "self": N_("I give directives about my own data"),
    "heir": N_("I am an heir of the deceased person"),
    "designated": N_("I am named in the deceased person's directives"),
}


def role_label(right: RequestType, role: str, lang: str) -> str:
    labels = _ROLE_LABELS_AFTER_DEATH if right is RequestType.POST_MORTEM else _ROLE_LABELS
    return translate(labels[role], lang)


# --------------------------------------------------------------------------- rendering


@dataclass(frozen=True, slots=True)
class PageContext:
    """Where a page lives, so its links work from disk as well as from ``rgpd serve``."""

    lang: str
    assets: str  # URL prefix of the assets directory ("../assets" for /fr/... pages)
    home: str  # URL of the language's entry page
    other_lang: str | None  # the other language's code
    other_lang_href: str | None  # the same page in the other language
    action: str  # where the form posts: /o/<org>/submit
    pdf_href: str | None = None
    logo: str | None = None  # URL of the logo file


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=jinja2.select_autoescape(["html", "j2", "xml"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _template_globals(org: Organisation, lang: str) -> dict[str, Any]:
    def t(message: str, **params: object) -> str:
        if not params:
            return translate(message, lang)
        # Markup.format escapes the parameters (names from the register), not the msgid
        return Markup.escape(translate(message, lang)).format(**params)

    return {
        "_": t,
        "lang": lang,
        "org": org,
        "RequestType": RequestType,
        "Applicability": Applicability,
        "SLUGS": SLUGS,
        "RIGHT_VALUES": RIGHT_VALUES,
        "AUTOCOMPLETE": AUTOCOMPLETE,
        "CSRF_PLACEHOLDER": CSRF_PLACEHOLDER,
        "summary": lambda r: translate(RIGHT_SUMMARIES[r], lang),
        "details_text": lambda r: tuple(translate(x, lang) for x in DETAILS_TEXT[r]),
        "right_label": lambda r: translate(r.label, lang),
        "article": lambda r: translate(r.article, lang),
        "role_label": lambda r, role: role_label(r, role, lang),
        "lang_name": lambda code: {"fr": "Français", "en": "English"}[code],
        "translate_in": lambda code, message: translate(message, code),
    }


def _render(name: str, org: Organisation, lang: str, **ctx: Any) -> str:
    return _env().get_template(name).render(**_template_globals(org, lang), **ctx)


def render_css(org: Organisation) -> str:
    """The organisation's stylesheet: its colours, made readable (RGAA 3.2)."""
    return _render("style.css.j2", org, "fr", pal=palette(org.color_primary, org.color_secondary))


def render_index(org: Organisation, rights: Sequence[RequestType], page: PageContext) -> str:
    return _render("index.html.j2", org, page.lang, page=page, rights=rights)


#: Steps of a form: ``start`` chooses the services (the static page; with JavaScript it
#: also holds every field, revealed as services are ticked); ``details`` asks what the
#: chosen services need (the server's second step, and its correction page).
STAGES = ("start", "details")

#: Values the form's own machinery posts; never carried from one step to the next.
_MACHINERY = frozenset({"csrf_token", "right", "lang", "activities", "step", "edit", "confirm"})

#: Why a NIR or an IP address is asked (data minimisation and identity, Arts. 5(1)(c), 12(6)):
#: naming the chosen services on the second step, in general words on the first page,
#: where the script reveals the field for any service that uses it.
_SENSITIVE_WHY_ANY: dict[str, str] = {
    Entity.FR_NIR: N_(
        "Asked only because a service you chose files your data under this number. "
        "Optional: it helps us find your data, it is not used to check your identity; we ask "
        "for more only if we have a reasonable doubt about who you are (Arts. 5(1)(c) and "
        "12(6) GDPR)."
    ),
    Entity.IP_ADDRESS: N_(
        "Asked only because a service you chose keeps connection logs. Optional: give it only "
        "if you want us to search those logs (data minimisation, Art. 5(1)(c) GDPR)."
    ),
}
_SENSITIVE_WHY: dict[str, str] = {
    Entity.FR_NIR: N_(
        "Asked only because you chose {services}, which files your data under this number. "
        "Optional: it helps us find your data, it is not used to check your identity; we ask "
        "for more only if we have a reasonable doubt about who you are (Arts. 5(1)(c) and "
        "12(6) GDPR)."
    ),
    Entity.IP_ADDRESS: N_(
        "Asked only because you chose {services}, which keeps connection logs. Optional: give "
        "it only if you want us to search those logs (data minimisation, Art. 5(1)(c) GDPR)."
    ),
}


@dataclass(frozen=True, slots=True)
class FieldView:
    """One optional-by-service field as a page shows it (phone, birth date, references)."""

    name: str
    label: str
    hint: str
    required: bool
    type: str = "text"
    autocomplete: str = "off"
    maxlength: int | None = 100
    # with JavaScript on the first page: revealed when one of ``used_by`` is ticked (or
    # "I don't know" for ``with_all``), required when one of ``required_by`` is
    used_by: tuple[str, ...] = ()
    required_by: tuple[str, ...] = ()
    with_all: bool = False

    def data(self) -> dict[str, str]:
        """The ``data-*`` attributes ``assets/form.js`` reads."""
        out = {"data-used-by": " ".join(self.used_by)}
        if self.required_by:
            out["data-required-by"] = " ".join(self.required_by)
        if self.with_all:
            out["data-with-all"] = "1"
        return out


def field_views(
    spec: FormSpec, lang: str, selection: Selection | None
) -> tuple[list[FieldView], list[FieldView]]:
    """Phone and birth date, then the services' references, as asked on a page.

    ``selection`` None is the first page with JavaScript: every field any service
    uses, each with the services that reveal it. Otherwise only what the chosen
    services need, each hint naming the services it is asked for.
    """
    names = spec.service_names

    def services(refs: Iterable[str]) -> str:
        return ", ".join(names.get(r, r) for r in refs)

    def hint(
        users: Sequence[str], required: bool, example: str | None, sensitive: str | None
    ) -> str:
        """Why it is asked (for which services), whether optional, then its format."""
        parts: list[str] = []
        if sensitive is not None and selection is None:
            parts.append(translate(_SENSITIVE_WHY_ANY[sensitive], lang))
        elif sensitive is not None:
            parts.append(translate(_SENSITIVE_WHY[sensitive], lang, services=services(users)))
        elif users and selection is not None:
            parts.append(translate("Asked for: {services}.", lang, services=services(users)))
        if not required and sensitive is None and selection is not None:
            parts.append(translate("Optional.", lang))
        if example:
            parts.append(example)
        return " ".join(parts)

    # on the first page a field is marked required only when every listed service needs
    # it; the script then marks it as the ticked services say
    standard = {
        "phone": (
            spec.phone_required,
            translate("Telephone number", lang),
            "tel",
            30,
            translate("For example: 06 12 34 56 78 or +33 6 12 34 56 78", lang),
            spec.phone_used_by,
            spec.phone_required_by,
        ),
        "birth_date": (
            spec.birth_date_required,
            translate("Date of birth", lang),
            "date",
            None,
            translate("Day, month and year, for example 14/07/1985.", lang),
            spec.birth_date_used_by,
            spec.birth_date_required_by,
        ),
    }
    identity: list[FieldView] = []
    references: list[FieldView] = []
    for name, (always, label, kind, maxlength, example, used_by, required_by) in standard.items():
        asked = selection.get(name) if selection is not None else None
        if selection is not None and asked is None:
            continue
        if selection is None and not used_by:
            continue
        users = asked.services if asked is not None else used_by
        required = asked.required if asked is not None else always
        identity.append(
            FieldView(
                name,
                label,
                hint(users, required, example, None),
                required,
                kind,
                AUTOCOMPLETE[name],
                maxlength,
                used_by,
                required_by,
                with_all=True,
            )
        )
    for f in spec.identifiers:
        asked = selection.get(f.name) if selection is not None else None
        if selection is not None and asked is None:
            continue
        users = asked.services if asked is not None else f.used_by
        required = asked.required if asked is not None else f.required
        references.append(
            FieldView(
                f.name,
                f.label(lang),
                hint(
                    users,
                    required,
                    translate("For example: {example}", lang, example=f.example)
                    if f.example
                    else None,
                    f.sensitive,
                ),
                required,
                autocomplete=f.autocomplete,
                used_by=f.used_by,
                required_by=f.required_by,
            )
        )
    return identity, references


def carried_values(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What the person typed on the second step, kept in hidden fields while they change
    the services (without JavaScript nothing else remembers it; no session)."""
    out: list[tuple[str, str]] = []
    for k, v in _normalise_values(values).items():
        if k in _MACHINERY or not isinstance(v, str) or not v:
            continue
        out.append((k, v))
    return out


def render_form(
    org: Organisation,
    spec: FormSpec,
    page: PageContext,
    *,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    stage: str = "start",
) -> str:
    """One right's form, at one of its two :data:`STAGES`.

    Without ``values`` it is the static first page: the services, then (for
    JavaScript, hidden and disabled until revealed) every field. With ``values``
    it is the server's page: the first step again (services to change, what was
    typed kept in hidden fields) or the second step (the fields the chosen
    services need, :meth:`FormSpec.select`). ``errors`` maps a field name
    (``email``, ``activities``, ``id_numero_famille``) to its message: the page
    then opens on a summary of links to each field and marks each one
    ``aria-invalid`` with ``aria-describedby="err-<field>"`` (docs/intake-api.md,
    RGAA 11.10). Values are escaped by autoescape.
    """
    if stage not in STAGES:
        raise InvalidInput("stage", _("unknown form step {value}", value=repr(stage)))
    vals = _normalise_values(values or {})
    progressive = values is None and stage == "start"
    selection = spec.select(vals.get("activities", [])) if stage == "details" else None
    identity, references = field_views(spec, page.lang, selection)
    labels, anchors = field_labels(spec, page.lang, vals)
    names = spec.service_names
    return _render(
        "form.html.j2",
        org,
        page.lang,
        page=page,
        spec=spec,
        stage=stage,
        progressive=progressive,
        selection=selection,
        identity=identity,
        references=references,
        carried=carried_values(vals) if stage == "start" and values is not None else [],
        values=vals,
        errors=dict(errors or {}),
        labels=labels,
        anchors=anchors,
        ALL_SERVICES=ALL_SERVICES,
        service_list=lambda refs: ", ".join(names.get(r, r) for r in refs),
    )


def field_labels(
    spec: FormSpec, lang: str, values: Mapping[str, Any] | None = None
) -> tuple[dict[str, str], dict[str, str]]:
    """Label and element id of every field, so an error summary can name and link it."""
    details = translate(DETAILS_TEXT[spec.right][0], lang)
    labels = {
        "activities": translate("Services concerned", lang),
        "requester_role": translate("Who is making the request?", lang),
        "requester_name": translate("Your first and last name", lang),
        "requester_email": translate("Your e-mail address", lang),
        "first_name": translate("First name", lang),
        "last_name": translate("Last name", lang),
        "email": translate("E-mail address", lang),
        "phone": translate("Telephone number", lang),
        "birth_date": translate("Date of birth", lang),
        "details": details,
    }
    labels.update({f.name: f.label(lang) for f in spec.identifiers})
    anchors = {name: f"f-{name}" for name in labels}
    anchors["activities"] = "f-activities-all"  # the first choice: "I don't know"
    role = str((values or {}).get("requester_role") or "self")
    anchors["requester_role"] = f"f-requester_role-{role if role in spec.roles else spec.roles[0]}"
    return labels, anchors


def _normalise_values(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in values.items():
        if k == "activities":
            out[k] = [v] if isinstance(v, str) else [str(x) for x in v]
        elif isinstance(v, list | tuple):
            out[k] = str(v[0]) if v else ""
        else:
            out[k] = "" if v is None else str(v)
    return out


def render_print(org: Organisation, spec: FormSpec, lang: str, *, logo_uri: str | None) -> str:
    """The paper version of a form, for the counter or the post (HTML for WeasyPrint)."""
    css = _render("print.css.j2", org, lang, pal=palette(org.color_primary, org.color_secondary))
    names = spec.service_names
    return _render(
        "print.html.j2",
        org,
        lang,
        spec=spec,
        logo=logo_uri,
        css=Markup(css),
        service_list=lambda refs: ", ".join(names.get(r, r) for r in refs),
    )


# --------------------------------------------------------------------------- building


@dataclass
class BuildResult:
    """What ``build_forms`` wrote, for the CLI and for tests."""

    out_dir: Path  # DIR/<org>
    rights: tuple[RequestType, ...]
    langs: tuple[str, ...]
    pages: list[Path] = field(default_factory=list)  # HTML files
    pdfs: list[Path] = field(default_factory=list)
    assets: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def page_path(lang: str, right: RequestType | None = None) -> str:
    """Path of a page relative to the organisation's directory (``fr/acces.html``)."""
    return f"{lang}/{SLUGS[lang][right]}.html" if right else f"{lang}/index.html"


_DATA_URI = re.compile(r"^data:image/(png|jpeg|gif|svg\+xml|webp);base64,(.*)$", re.S)
_EXT = {"png": "png", "jpeg": "jpg", "gif": "gif", "svg+xml": "svg", "webp": "webp"}
_MIME = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "gif": "image/gif",
    "svg": "image/svg+xml",
    "webp": "image/webp",
}


def _logo_bytes(logo: str | None, base_dir: Path | None) -> tuple[bytes, str] | str | None:
    """The logo's bytes and extension, ``None`` if there is none, or a warning text."""
    logo = (logo or "").strip()
    if not logo:
        return None
    m = _DATA_URI.match(logo)
    if m:
        try:
            return base64.b64decode(m.group(2), validate=True), _EXT[m.group(1)]
        except (binascii.Error, ValueError):
            return "the logo's data: URI is not valid base64: no logo on the forms"
    if re.match(r"^[a-z][a-z0-9+.-]*://", logo, re.I):
        return "a remote logo would be an external resource: give a file (no logo on the forms)"
    p = Path(logo).expanduser()
    if not p.is_absolute() and base_dir is not None and not p.exists():
        p = base_dir / p
    ext = {"jpeg": "jpg"}.get(p.suffix.lower().lstrip("."), p.suffix.lower().lstrip("."))
    if ext not in _MIME:
        return f"unsupported logo type {p.suffix!r} (PNG, JPEG, GIF, SVG, WebP): no logo"
    try:
        return p.read_bytes(), ext
    except OSError as exc:
        return f"cannot read the logo {p.name}: {exc.strerror or exc}: no logo on the forms"


def build_site(
    org: Organisation,
    activities: Sequence[Activity],
    out_dir: Path,
    *,
    langs: Sequence[str] = ("fr", "en"),
    action_base: str = "",
    pdf: bool = False,
    base_dir: Path | None = None,
) -> BuildResult:
    """Write one organisation's forms under ``out_dir/<org>/`` (docs/intake-api.md §1)."""
    langs = tuple(dict.fromkeys(langs))
    if not langs:
        raise InvalidInput("langs", _("at least one language is needed"))
    for lang in langs:
        if lang not in LANGUAGES:
            raise InvalidInput(
                "langs",
                _(
                    "unsupported language {lang} ({known})",
                    lang=repr(lang),
                    known=", ".join(LANGUAGES),
                ),
            )
    rights = offered_rights(activities)
    site = out_dir / org.slug
    result = BuildResult(out_dir=site, rights=rights, langs=langs)
    if not rights:
        result.warnings.append(
            "the register lists no activity this organisation controls: only the entry page was built"
        )
    site.mkdir(parents=True, exist_ok=True)
    assets = site / "assets"
    assets.mkdir(exist_ok=True)
    css_path = assets / "style.css"
    css_path.write_text(render_css(org), encoding="utf-8")
    result.assets.append(css_path)
    js_path = assets / "form.js"
    shutil.copyfile(TEMPLATE_DIR / "form.js", js_path)
    result.assets.append(js_path)

    logo_name: str | None = None
    logo_uri: str | None = None
    lb = _logo_bytes(org.logo, base_dir)
    if isinstance(lb, str):
        result.warnings.append(lb)
    elif lb is not None:
        data, ext = lb
        logo_name = f"logo.{ext}"
        (assets / logo_name).write_bytes(data)
        result.assets.append(assets / logo_name)
        logo_uri = f"data:{_MIME[ext]};base64,{base64.b64encode(data).decode('ascii')}"

    action = f"{action_base.rstrip('/')}/o/{org.slug}/submit"
    specs = {r: form_spec(r, activities) for r in rights}
    unbacked = sorted({pair for spec in specs.values() for pair in spec.unbacked})
    for ref, key in unbacked:
        result.warnings.append(
            _(
                "activity {ref}: the identifier {key} is a NIR or an IP address but no data "
                "category of the activity holds it; the forms do not ask it (Art. 5(1)(c) GDPR)",
                ref=ref,
                key=key,
            )
        )
    for lang in langs:
        other = next((x for x in langs if x != lang), None)
        lang_dir = site / lang
        if lang_dir.exists():
            shutil.rmtree(lang_dir)  # a right no longer offered leaves no stale page
        lang_dir.mkdir()

        def ctx(right: RequestType | None, pdf_href: str | None = None) -> PageContext:
            return PageContext(
                lang=lang,  # noqa: B023 — used within the iteration only
                assets="../assets",
                home="index.html",
                other_lang=other,  # noqa: B023
                other_lang_href=f"../{page_path(other, right)}" if other else None,  # noqa: B023
                action=action,
                pdf_href=pdf_href,
                logo=f"../assets/{logo_name}" if logo_name else None,
            )

        index = lang_dir / "index.html"
        index.write_text(render_index(org, rights, ctx(None)), encoding="utf-8")
        result.pages.append(index)
        for r in rights:
            pdf_name = f"{SLUGS[lang][r]}.pdf" if pdf else None
            path = site / page_path(lang, r)
            path.write_text(render_form(org, specs[r], ctx(r, pdf_name)), encoding="utf-8")
            result.pages.append(path)
            if pdf_name:
                pdf_path = lang_dir / pdf_name
                _write_pdf(render_print(org, specs[r], lang, logo_uri=logo_uri), pdf_path)
                result.pdfs.append(pdf_path)
    root = site / "index.html"
    root.write_text(
        _render(
            "root.html.j2",
            org,
            langs[0],
            langs=langs,
            logo=f"assets/{logo_name}" if logo_name else None,
        ),
        encoding="utf-8",
    )
    result.pages.insert(0, root)
    return result


def _write_pdf(html: str, path: Path) -> None:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    # only the embedded logo (a data: URI) is read: a printed form fetches nothing
    HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf(str(path))


def build_forms(
    ws: Workspace,
    org: str,
    out_dir: Path | str,
    *,
    langs: Sequence[str] = ("fr", "en"),
    action_base: str = "",
    pdf: bool = False,
) -> BuildResult:
    """Generate the static forms of organisation ``org`` from its register, under ``out_dir/<org>/``."""
    from rgpd.registry import service

    organisation = service.get_org(ws, org)
    activities = [r.activity for r in service.list_activities(ws, org)]
    return build_site(
        organisation,
        activities,
        Path(out_dir),
        langs=langs,
        action_base=action_base,
        pdf=pdf,
        base_dir=ws.settings.base_dir,
    )
