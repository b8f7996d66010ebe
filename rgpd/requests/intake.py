"""What a citizen may submit, and the checks it must pass: pure, shared by server and CLI.

The field names are the contract with the generated forms (``docs/intake-api.md``).
Every problem is reported against the form field that causes it, all at once, so
the correction page can mark each field (RGAA 11.10) and the person fixes
everything in one pass. Nothing here stores or sends anything.

Hostile text is *accepted* when it is a plausible value (a name may contain "<"):
it is stored sealed and escaped on output. What is refused is what no honest
form produces: control characters, oversized values, unknown choices.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from rgpd.errors import FieldProblem, ValidationFailed
from rgpd.i18n import get_language
from rgpd.i18n import gettext as _main_gettext
from rgpd.registry.model import Activity
from rgpd.requests.model import Channel, RequesterRole, RequestType

if TYPE_CHECKING:
    from rgpd.requests.forms import FormSpec, IdentifierField, Selection


def tr(message: str, lang: str | None = None, **params: object) -> str:
    """``message`` from the project catalog in ``lang`` (a request's language, not the
    process's when given); ``{name}`` placeholders filled."""
    text = _main_gettext(message, lang or get_language())
    return text.format(**params) if params else text


def _(message: str, **params: object) -> str:
    return tr(message, None, **params)


#: Form value -> request type (English tokens in the forms, French values in storage).
RIGHTS: dict[str, RequestType] = {
    "access": RequestType.ACCESS,
    "rectification": RequestType.RECTIFICATION,
    "erasure": RequestType.ERASURE,
    "restriction": RequestType.RESTRICTION,
    "portability": RequestType.PORTABILITY,
    "objection": RequestType.OBJECTION,
    "death_directives": RequestType.POST_MORTEM,
}
RIGHT_NAMES: dict[RequestType, str] = {v: k for k, v in RIGHTS.items()}

ROLES: dict[str, RequesterRole] = {
    "self": RequesterRole.SELF,
    "parent": RequesterRole.PARENT,
    "guardian": RequesterRole.GUARDIAN,
    "lawyer": RequesterRole.LAWYER,
    "other": RequesterRole.MANDATARY,
    "heir": RequesterRole.HEIR,
    "designated": RequesterRole.DESIGNATED_PERSON,
}

CHANNELS: dict[str, Channel] = {
    "web": Channel.WEB,
    "counter": Channel.COUNTER,
    "mail": Channel.MAIL,
    "email": Channel.EMAIL,
    "phone": Channel.PHONE,
}

#: Rights whose request cannot be acted on without a free-text explanation:
#: what to correct (Art. 16), the grounds of the particular situation (Art. 21(1)).
DETAILS_REQUIRED = frozenset({RequestType.RECTIFICATION, RequestType.OBJECTION})

MAX_NAME = 100
MAX_EMAIL = 254  # RFC 5321 path limit
MAX_IDENTIFIER = 100
MAX_DETAILS = 5000
MAX_ACTIVITIES = 50

_EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class Submission:
    """A validated request as the citizen (or an agent at the counter) gave it."""

    right: RequestType
    activities: tuple[str, ...]
    first_name: str
    last_name: str
    email: str
    phone: str = ""
    birth_date: date | None = None
    identifiers: dict[str, str] = field(default_factory=dict)
    requester_role: RequesterRole = RequesterRole.SELF
    requester_name: str = ""
    requester_email: str = ""
    details: str = ""
    lang: str = "fr"
    address: str = ""  # postal address, for counter and paper requests

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def contact_email(self) -> str:
        """Where letters go: the requester when someone acts for the person."""
        return self.requester_email or self.email

    def to_payload(self) -> dict[str, Any]:
        """The JSON document sealed at rest (everything personal)."""
        return {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.email,
            "phone": self.phone,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "identifiers": dict(self.identifiers),
            "requester_name": self.requester_name,
            "requester_email": self.requester_email,
            "details": self.details,
            "address": self.address,
        }

    @classmethod
    def from_payload(
        cls,
        payload: Mapping[str, Any],
        *,
        right: RequestType,
        activities: Iterable[str],
        requester_role: RequesterRole,
        lang: str,
    ) -> Submission:
        bd = payload.get("birth_date")
        return cls(
            right=right,
            activities=tuple(activities),
            first_name=str(payload.get("first_name", "")),
            last_name=str(payload.get("last_name", "")),
            email=str(payload.get("email", "")),
            phone=str(payload.get("phone", "")),
            birth_date=date.fromisoformat(bd) if bd else None,
            identifiers={str(k): str(v) for k, v in dict(payload.get("identifiers", {})).items()},
            requester_role=requester_role,
            requester_name=str(payload.get("requester_name", "")),
            requester_email=str(payload.get("requester_email", "")),
            details=str(payload.get("details", "")),
            lang=lang,
            address=str(payload.get("address", "")),
        )

    def form_values(self) -> dict[str, list[str]]:
        """Back to form fields (confirmation step, correction page)."""
        out: dict[str, list[str]] = {
            "right": [RIGHT_NAMES[self.right]],
            "activities": list(self.activities),
            "first_name": [self.first_name],
            "last_name": [self.last_name],
            "email": [self.email],
            "phone": [self.phone],
            "birth_date": [self.birth_date.isoformat() if self.birth_date else ""],
            "requester_role": [_role_name(self.requester_role)],
            "requester_name": [self.requester_name],
            "requester_email": [self.requester_email],
            "details": [self.details],
            "lang": [self.lang],
        }
        for k, v in self.identifiers.items():
            out[f"id_{k}"] = [v]
        return out


def _role_name(role: RequesterRole) -> str:
    return next((k for k, v in ROLES.items() if v is role), "other")


# --------------------------------------------------------------------------- checks


#: Bidi embeddings, overrides, isolates and marks: they reorder what a DPO reads (issue 13).
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def _has_control(text: str, *, multiline: bool) -> bool:
    """Control characters, bidi controls anywhere, and any format character (zero-width
    space, joiners, BOM: Cf) in a one-line field such as a name."""
    allowed = "\n\r\t" if multiline else ""
    bad = ("Cc", "Cs") if multiline else ("Cc", "Cs", "Cf")
    return any((unicodedata.category(c) in bad and c not in allowed) or c in _BIDI for c in text)


def is_email(value: str) -> bool:
    return len(value) <= MAX_EMAIL and bool(_EMAIL_RE.match(value))


def _one(form: Mapping[str, Sequence[str]], name: str) -> str:
    values = form.get(name) or []
    return unicodedata.normalize("NFC", str(values[0])).strip() if values else ""


def _text(
    form: Mapping[str, Sequence[str]],
    name: str,
    problems: list[FieldProblem],
    *,
    label: str,
    required: bool,
    max_len: int,
    multiline: bool = False,
) -> str:
    value = _one(form, name)
    if len(form.get(name) or []) > 1:
        problems.append(FieldProblem(name, _("{label}: give one value only.", label=label)))
    elif _has_control(value, multiline=multiline):
        problems.append(
            FieldProblem(name, _("{label} contains invisible control characters.", label=label))
        )
    elif required and not value:
        problems.append(FieldProblem(name, _("{label} is required.", label=label)))
    elif len(value) > max_len:
        problems.append(
            FieldProblem(
                name,
                _(
                    "{label} is too long: {n} characters, at most {max}.",
                    label=label,
                    n=len(value),
                    max=max_len,
                ),
            )
        )
    return value


def _email(
    form: Mapping[str, Sequence[str]],
    name: str,
    problems: list[FieldProblem],
    *,
    label: str,
    required: bool,
) -> str:
    before = len(problems)
    value = _text(form, name, problems, label=label, required=required, max_len=MAX_EMAIL)
    if len(problems) == before and value and not is_email(value):
        problems.append(
            FieldProblem(
                name,
                _(
                    "{label} is not a valid e-mail address. Expected format: name@example.org",
                    label=label,
                ),
            )
        )
    return value


def _phone(
    form: Mapping[str, Sequence[str]],
    problems: list[FieldProblem],
    label: str,
    *,
    required: bool = False,
) -> str:
    before = len(problems)
    value = _text(form, "phone", problems, label=label, required=required, max_len=30)
    if len(problems) == before and value:
        import phonenumbers

        try:
            num = phonenumbers.parse(value, "FR")
            ok = phonenumbers.is_possible_number(num)
        except phonenumbers.NumberParseException:
            ok = False
        if not ok:
            problems.append(
                FieldProblem(
                    "phone",
                    _(
                        "{label} is not a valid phone number. Expected format: "
                        "06 12 34 56 78 or +33 6 12 34 56 78",
                        label=label,
                    ),
                )
            )
        else:
            value = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    return value


def _birth_date(
    form: Mapping[str, Sequence[str]],
    problems: list[FieldProblem],
    today: date,
    label: str,
    *,
    required: bool = False,
) -> date | None:
    before = len(problems)
    value = _text(form, "birth_date", problems, label=label, required=required, max_len=10)
    if len(problems) != before or not value:
        return None
    fmt = _("{label}: expected format YYYY-MM-DD, for example 1984-03-25.", label=label)
    if not _DATE_RE.match(value):
        problems.append(FieldProblem("birth_date", fmt))
        return None
    try:
        d = date.fromisoformat(value)
    except ValueError:
        problems.append(
            FieldProblem("birth_date", _("{label}: this date does not exist.", label=label))
        )
        return None
    if d > today:
        problems.append(
            FieldProblem("birth_date", _("{label} cannot be in the future.", label=label))
        )
        return None
    if d.year < 1900:
        problems.append(FieldProblem("birth_date", _("{label} must be after 1900.", label=label)))
        return None
    return d


@dataclass(frozen=True, slots=True)
class Choice:
    """The first step of a form, checked: the right and the services it covers."""

    right: RequestType
    spec: FormSpec
    selection: Selection

    @property
    def fields(self) -> list[dict[str, Any]]:
        """The second step's fields for a JSON client: name, required, services."""
        always: list[dict[str, Any]] = [
            {"name": n, "required": True, "services": []}
            for n in ("first_name", "last_name", "email")
        ]
        return always + [
            {"name": f.name, "required": f.required, "services": list(f.services)}
            for f in self.selection.fields
        ]


def _choose(
    form: Mapping[str, Sequence[str]],
    activities: Sequence[Activity],
    problems: list[FieldProblem],
    *,
    offered_only: bool,
) -> tuple[RequestType | None, FormSpec | None, list[str], bool]:
    """The right and the services chosen: (right, spec, services ticked, "all" ticked).

    ``ALL_SERVICES`` ("I don't know / all of them") covers every service offered
    (every service the organisation controls for an agent, ``offered_only=False``).
    """
    right_raw = _one(form, "right")
    right = RIGHTS.get(right_raw)
    if not right_raw:
        problems.append(FieldProblem("right", _("Choose the right you wish to exercise.")))
    elif right is None or len(form.get("right") or []) > 1:
        problems.append(
            FieldProblem(
                "right", _("This right is not one of those proposed: choose from the list.")
            )
        )
        right = None

    from rgpd.requests.forms import ALL_SERVICES, citizen_activities, form_spec

    spec = form_spec(right, activities) if right is not None else None
    offered = (
        set(spec.service_refs)
        if spec is not None and offered_only
        else {a.ref for a in citizen_activities(activities)}
    )
    chosen_raw = [str(v).strip() for v in (form.get("activities") or []) if str(v).strip()]
    all_services = ALL_SERVICES in chosen_raw
    chosen = [c for c in dict.fromkeys(chosen_raw) if c != ALL_SERVICES]
    if not chosen and not all_services:
        problems.append(
            FieldProblem("activities", _("Choose at least one service concerned by your request."))
        )
    elif len(chosen) > MAX_ACTIVITIES or any(c not in offered for c in chosen):
        problems.append(
            FieldProblem(
                "activities",
                _(
                    "One of the services chosen is not offered for this request by this "
                    "organisation: choose from the list."
                ),
            )
        )
        chosen = [c for c in chosen if c in offered][:MAX_ACTIVITIES]
    if all_services and not offered:
        problems.append(
            FieldProblem("activities", _("No service is offered for this request here."))
        )
    return right, spec, chosen, all_services


def validate_choice(form: Mapping[str, Sequence[str]], activities: Sequence[Activity]) -> Choice:
    """Check a form's first step (right and services) and say what the second asks.

    A form without JavaScript posts its services first (``step=services``); the
    server answers with the fields those services need (:meth:`FormSpec.select`).
    """
    problems: list[FieldProblem] = []
    right, spec, chosen, all_services = _choose(form, activities, problems, offered_only=True)
    if problems:
        raise ValidationFailed(problems, source=_("form"))
    assert right is not None and spec is not None
    from rgpd.requests.forms import ALL_SERVICES

    selection = spec.select([*chosen, *([ALL_SERVICES] if all_services else [])])
    return Choice(right, spec, selection)


def validate(
    form: Mapping[str, Sequence[str]],
    activities: Sequence[Activity],
    *,
    today: date,
    require_email: bool = True,
    offered_only: bool = True,
) -> Submission:
    """Check a submission against the organisation's register; raise every problem at once.

    ``activities`` are the organisation's register; ``form`` maps each field name
    to its list of values (a web form may repeat a field). With ``offered_only``
    (the web) a service must be one the form offers for that right; an agent
    recording a paper request (``offered_only=False``) may name any service the
    organisation controls, since the person may ask for what the law then refuses.
    """
    problems: list[FieldProblem] = []
    lang = _one(form, "lang") if _one(form, "lang") in ("fr", "en") else "fr"
    right, spec, chosen, all_services = _choose(
        form, activities, problems, offered_only=offered_only
    )
    from rgpd.requests.forms import citizen_activities

    if all_services:  # "I don't know / all of them": every service it may concern
        everything = (
            spec.service_refs
            if spec is not None and offered_only
            else tuple(a.ref for a in citizen_activities(activities))
        )
        covered = list(dict.fromkeys([*chosen, *everything]))
    else:
        covered = chosen
    selection = _selection(activities, offered_only, spec, chosen, all_services)

    labels = _labels(spec, lang, form)
    first = _text(
        form, "first_name", problems, label=labels["first_name"], required=True, max_len=MAX_NAME
    )
    last = _text(
        form, "last_name", problems, label=labels["last_name"], required=True, max_len=MAX_NAME
    )
    email = _email(form, "email", problems, label=labels["email"], required=require_email)
    # data minimisation (Art. 5(1)(c)): phone, birth date and references only when a
    # chosen service uses them (FormSpec.select); anything else posted is not kept.
    # An agent recording a paper request may note a phone or birth date in any case.
    phone_asked = selection.get("phone") if selection is not None else None
    birth_asked = selection.get("birth_date") if selection is not None else None
    phone = (
        _phone(form, problems, labels["phone"], required=bool(phone_asked and phone_asked.required))
        if phone_asked is not None or (spec is not None and not offered_only)
        else ""
    )
    birth = (
        _birth_date(
            form,
            problems,
            today,
            labels["birth_date"],
            required=bool(birth_asked and birth_asked.required),
        )
        if birth_asked is not None or (spec is not None and not offered_only)
        else None
    )

    identifiers: dict[str, str] = {}
    for f in _identifiers_for(right, activities, offered_only, spec):
        asked = selection.get(f.name) if selection is not None else None
        if asked is None:
            continue
        value = _text(
            form,
            f.name,
            problems,
            label=f.label(lang),
            required=asked.required,
            max_len=MAX_IDENTIFIER,
        )
        if value:
            identifiers[f.key] = value

    role_raw = _one(form, "requester_role") or "self"
    role = ROLES.get(role_raw)
    if right is RequestType.POST_MORTEM and role is RequesterRole.MANDATARY:
        role = RequesterRole.HEIR  # the form's "other" after death: heir or named person
    if role is None:
        problems.append(
            FieldProblem(
                "requester_role",
                _("This choice is not one of those proposed: choose from the list."),
            )
        )
        role = RequesterRole.MANDATARY
    acting_for = role is not RequesterRole.SELF
    req_name = _text(
        form,
        "requester_name",
        problems,
        label=labels["requester_name"],
        required=acting_for,
        max_len=2 * MAX_NAME + 1,
    )
    req_email = _email(
        form,
        "requester_email",
        problems,
        label=labels["requester_email"],
        required=acting_for and require_email,
    )
    if not acting_for:
        req_name, req_email = "", ""

    details = _text(
        form,
        "details",
        problems,
        label=labels["details"],
        required=right in DETAILS_REQUIRED,
        max_len=MAX_DETAILS,
        multiline=True,
    )
    address = _text(
        form,
        "address",
        problems,
        label=_("Postal address"),
        required=False,
        max_len=500,
        multiline=True,
    )

    if problems:
        raise ValidationFailed(problems, source=_("form"))
    assert right is not None
    return Submission(
        right=right,
        activities=tuple(covered),
        first_name=first,
        last_name=last,
        email=email,
        phone=phone,
        birth_date=birth,
        identifiers=identifiers,
        requester_role=role,
        requester_name=req_name,
        requester_email=req_email,
        details=details,
        lang=lang,
        address=address,
    )


def _selection(
    activities: Sequence[Activity],
    offered_only: bool,
    spec: FormSpec | None,
    chosen: Sequence[str],
    all_services: bool,
) -> Selection | None:
    """What the chosen services need: the form's selection, or for an agent the
    access form's (every service the organisation controls), None without a right."""
    if spec is None:
        return None
    from rgpd.requests.forms import ALL_SERVICES, form_spec

    base = spec if offered_only else form_spec(RequestType.ACCESS, activities)
    return base.select([*chosen, *([ALL_SERVICES] if all_services else [])])


def _identifiers_for(
    right: RequestType | None,
    activities: Sequence[Activity],
    offered_only: bool,
    spec: FormSpec | None,
) -> list[IdentifierField]:
    """The identifier fields to check: those of the form, or of every activity for an agent."""
    if spec is None:
        return []
    if offered_only:
        return list(spec.identifiers)
    from rgpd.requests.forms import form_spec

    # a right that does not apply still identifies the person: ask as for access
    return list(form_spec(RequestType.ACCESS, activities).identifiers)


def _labels(spec: FormSpec | None, lang: str, form: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Field labels as the form shows them, so a message names the field the person sees."""
    labels = {
        "first_name": _("First name"),
        "last_name": _("Last name"),
        "email": _("E-mail address"),
        "phone": _("Telephone number"),
        "birth_date": _("Date of birth"),
        "requester_name": _("Your first and last name"),
        "requester_email": _("Your e-mail address"),
        "details": _("Details of your request"),
    }
    if spec is not None:
        from rgpd.requests.forms import field_labels

        shown = field_labels(spec, lang, {k: (v[0] if v else "") for k, v in form.items()})[0]
        labels.update({k: v for k, v in shown.items() if k in labels and v})
    return labels


def problems_by_field(exc: ValidationFailed) -> dict[str, str]:
    """First message per field, in form order, for the correction page and the JSON answer."""
    out: dict[str, str] = {}
    for p in exc.problems:
        out.setdefault(p.field, p.problem)
    return out
