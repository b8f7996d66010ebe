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
(3.2) computed from the organisation's colours. (Loi n° 2005-102 art. 47 I 1°,
as amended by loi n° 2023-171: online services of every public-law legal person;
checked on the article's consolidated text.) No JavaScript, no external
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
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from rgpd.errors import InvalidInput
from rgpd.i18n import LANGUAGES, N_, _
from rgpd.i18n import gettext as _main_gettext
from rgpd.registry.model import Activity, Organisation, PersonIdentifier, Role
from rgpd.requests.model import RequesterRole, RequestType
from rgpd.requests.rights import Applicability, assess_right

if TYPE_CHECKING:
    from rgpd.workspace import Workspace

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
    # services whose declared identifier makes phone / birth date required when ticked
    phone_required_by: tuple[str, ...] = ()
    birth_date_required_by: tuple[str, ...] = ()

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
        chosen = set(selected)
        out = [f.name for f in self.identifiers if chosen.intersection(f.required_by)]
        if chosen.intersection(self.phone_required_by):
            out.append("phone")
        if chosen.intersection(self.birth_date_required_by):
            out.append("birth_date")
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
        r for r in FORM_RIGHTS if any(assess_right(r, a).applicability in _OFFERED for a in acts)
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
    std_used: dict[str, list[str]] = {"phone": [], "birth_date": []}
    std_required: dict[str, list[str]] = {"phone": [], "birth_date": []}
    fields: dict[str, dict[str, Any]] = {}
    for a, _app in offered:
        for p in a.person_identifiers:
            std = _STANDARD_KEYS.get(p.key)
            if std is not None:
                if std in std_used:
                    std_used[std].append(a.ref)
                    if p.required:
                        std_required[std].append(a.ref)
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
    return FormSpec(
        right,
        groups,
        identifiers,
        ask_phone=bool(std_used["phone"]),
        ask_birth_date=bool(std_used["birth_date"]),
        roles=roles,
        phone_required_by=tuple(dict.fromkeys(std_required["phone"])),
        birth_date_required_by=tuple(dict.fromkeys(std_required["birth_date"])),
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


def render_form(
    org: Organisation,
    spec: FormSpec,
    page: PageContext,
    *,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
) -> str:
    """One right's form; with ``values`` and ``errors`` it is the correction page.

    ``errors`` maps a field name (``email``, ``activities``, ``id_numero_famille``)
    to its message: the page then opens on a summary of links to each field and
    marks each one ``aria-invalid`` with ``aria-describedby="err-<field>"``
    (docs/intake-api.md, RGAA 11.10). Values are escaped by autoescape.
    """
    names = spec.service_names
    labels, anchors = field_labels(spec, page.lang, values or {})
    return _render(
        "form.html.j2",
        org,
        page.lang,
        page=page,
        spec=spec,
        values=_normalise_values(values or {}),
        errors=dict(errors or {}),
        labels=labels,
        anchors=anchors,
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
    refs = spec.service_refs
    if refs:
        anchors["activities"] = f"f-activities-{refs[0]}"
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
    return _render("print.html.j2", org, lang, spec=spec, logo=logo_uri, css=Markup(css))


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
