"""A DPIA started from the register: what the register and the scans already say.

Pure: :func:`prefill` takes the activity and the facts gathered at the edge
(:class:`DpiaFacts`: the organisation, the processors register, which rights
apply, what discovery found at the activity's declared locations) and returns a
draft :class:`~rgpd.registry.dpia.model.ImpactAssessment` whose answers quote
the register (purposes, legal basis, data categories and retention, recipients,
processors, transfers, security measures). Severity, likelihood and the
opinions stay empty: they are judgements (Art. 35(7)(c)), not facts.

Answers are small HTML fragments, as the CNIL PIA tool writes them; every value
from the register is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from html import escape

from rgpd.i18n import N_, _, _n, get_language
from rgpd.registry.dpia.model import ImpactAssessment, Measure
from rgpd.registry.locations import describe
from rgpd.registry.model import (
    Activity,
    Organisation,
    Processor,
    RecipientKind,
    Safeguard,
)
from rgpd.registry.rules import dpia_verdict
from rgpd.taxonomy import CATEGORIES, categories_for_entity


@dataclass(frozen=True)
class RightNote:
    """Whether one right applies to the activity, as ``rgpd.registry.rights`` decides it."""

    right: str  # "access", "portability"... (RequestType values)
    label: str  # the right in words, with its article
    applicability: str  # applies | partly | does_not_apply | undetermined
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class FoundData:
    """What discovery found at one declared location: counts only, never a value."""

    location: str  # the declared location (path, or connection.table)
    entity: str  # entity type (FR_NIR, EMAIL_ADDRESS...)
    sources: int  # files or columns holding it
    occurrences: int
    special: bool = False  # Art. 9 / Art. 10


@dataclass(frozen=True)
class DpiaFacts:
    org: Organisation | None = None
    processors: Sequence[Processor] = ()
    rights: Sequence[RightNote] = ()
    found: Sequence[FoundData] = ()
    author: str | None = None
    today: date | None = None
    extra: dict[str, str] = field(default_factory=dict)


_APPLICABILITY = {
    "applies": N_("applies"),
    "partly": N_("applies in part"),
    "does_not_apply": N_("does not apply"),
    "undetermined": N_("cannot be determined from the register"),
}

#: The security families of the register (Art. 32) → measure titles, and which feared
#: events each family mainly treats (CNIL PIA guide "Knowledge bases").
_FAMILIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "access_control": (N_("Logical access control"), ("access", "modification")),
    "traceability": (N_("Traceability (logging)"), ("access", "modification")),
    "software_protection": (
        N_("Protection against malware and software vulnerabilities"),
        ("access", "modification", "disappearance"),
    ),
    "backup": (N_("Backups"), ("modification", "disappearance")),
    "encryption": (N_("Encryption"), ("access",)),
    "processor_control": (
        N_("Control of processors"),
        ("access", "modification", "disappearance"),
    ),
    "other": (N_("Other measures"), ("access", "modification", "disappearance")),
}


def _ul(items: Iterable[str]) -> str:
    """An HTML list of already-escaped items ('' when there is none)."""
    lines = [f"<li>{i}</li>" for i in items if i]
    return f"<ul>{''.join(lines)}</ul>" if lines else ""


def _para(text: str) -> str:
    return f"<p>{text}</p>" if text else ""


def _e(value: object) -> str:
    return escape(str(value)) if value is not None else ""


def _label(key: str) -> str:
    c = CATEGORIES.get(key)
    if c is None:
        return key
    return c.label_fr if get_language() == "fr" else c.label_en


def _basis(activity: Activity) -> str:
    if activity.legal_basis is None:
        return _("No legal basis recorded in the register (Art. 6(1)).")
    text = _("Art. 6(1)({point})", point=activity.legal_basis.value)
    if activity.legal_basis_text:
        text += f" — {activity.legal_basis_text}"
    return text


def _processor_lines(activity: Activity, processors: Sequence[Processor]) -> list[str]:
    by_ref = {p.ref: p for p in processors}
    out = []
    for r in activity.recipients:
        if r.kind != RecipientKind.PROCESSOR:
            continue
        p = by_ref.get(r.processor or "")
        if p is None:
            out.append(
                _e(r.name) + " — " + _e(_("not linked to the processors register (Art. 28(3))"))
            )
            continue
        bits = [
            _("contract of {date}", date=p.contract_date.isoformat())
            if p.contract_date
            else _("no contract recorded (Art. 28(3))"),
        ]
        if p.contract_clauses:
            bits.append(
                _(
                    "clauses Art. 28(3)({clauses})",
                    clauses=", ".join(sorted(c.value for c in p.contract_clauses)),
                )
            )
        if p.hosting_country:
            bits.append(_("hosting: {country}", country=p.hosting_country))
        out.append(f"<strong>{_e(p.name)}</strong> — {_e('; '.join(bits))}")
    return out


def _right_lines(rights: Sequence[RightNote], wanted: Iterable[str]) -> str:
    keep = set(wanted)
    lines = [
        f"<strong>{_e(r.label)}</strong> : {_e(_(_APPLICABILITY.get(r.applicability, r.applicability)))}"
        + (f" — {_e(' '.join(r.reasons))}" if r.reasons else "")
        for r in rights
        if r.right in keep
    ]
    return _ul(lines)


def _found_lines(found: Sequence[FoundData]) -> list[str]:
    return [
        _(
            "{location}: {entity} in {sources}, {count}{special}",
            location=_e(f.location),
            entity=_e(f.entity),
            sources=_n("{n} source", "{n} sources", f.sources),
            count=_n("{n} occurrence", "{n} occurrences", f.occurrences),
            special=" (Art. 9/10)" if f.special else "",
        )
        for f in found
    ]


def prefill(activity: Activity, facts: DpiaFacts, *, ref: str | None = None) -> ImpactAssessment:
    """A draft DPIA for ``activity``, every section the register can fill already filled."""
    a = activity
    org = facts.org
    verdict = dpia_verdict(a)
    d = ImpactAssessment(
        ref=ref or a.ref,
        name=a.name,
        activity_ref=a.ref,
        author=facts.author,
        assessed_on=facts.today,
    )
    ctx = d.context
    # 1.1 Overview
    ctx.overview.processing.text = (
        _para(_e(_("Processing: {name}.", name=a.name)))
        + _ul(_e(p) for p in a.purposes)
        + _para(_e(_("Department: {dept}.", dept=a.department)) if a.department else "")
        + _para(_e(_("Why a DPIA (Art. 35):")) + " " + _e(" ".join(verdict.reasons)))
    )
    controller = a.controller.name if a.controller else (org.name if org else None)
    dpo = a.dpo.name if a.dpo else (org.dpo_name if org else None)
    resp = [
        _e(_("Controller: {name}", name=controller)) if controller else "",
        *(_e(_("Joint controller: {name}", name=j.name)) for j in a.joint_controllers),
        _e(_("Data protection officer: {name}", name=dpo)) if dpo else "",
        *(_e(_("Processor: ")) + line for line in _processor_lines(a, facts.processors)),
    ]
    ctx.overview.responsibilities.text = _ul(resp)
    standards = [
        _e(_("Legal basis: {basis}", basis=_basis(a))),
        _e(
            _(
                "Art. 9(2) condition: ({c}) {details}",
                c=a.art9_condition.value,
                details=a.art9_details or "",
            )
        )
        if a.art9_condition
        else "",
        _e(_("Art. 10: {basis}", basis=a.art10_basis or "")) if a.art10 else "",
        _e(
            _(
                "CNIL list of processing requiring a DPIA: {entry}",
                entry=verdict.cnil_required.label_fr,
            )
        )
        if verdict.cnil_required
        else "",
        _e(_("Authorisation to use the NIR: {claim}", claim=a.nir_authorisation))
        if a.nir_authorisation
        else "",
    ]
    ctx.overview.standards.text = _ul(standards)
    # 1.2 Data, processes and supports
    cats = [
        f"<strong>{_e(_label(u.category))}</strong>"
        + (" (Art. 9/10)" if u.sensitive else "")
        + (f" — {_e(u.description)}" if u.description else "")
        + (
            " — "
            + _e(_("retention: {r}", r=u.retention.text() if u.retention else u.retention_text))
            if (u.retention or u.retention_text)
            else ""
        )
        for u in a.data_categories
    ]
    subjects = ", ".join(s.value for s in a.data_subjects)
    recipients = ", ".join(r.name + (f" ({r.country})" if r.country else "") for r in a.recipients)
    ctx.data.data.text = (
        _ul(cats)
        + _para(_e(_("Data subjects: {s}", s=subjects)) if subjects else "")
        + _para(_e(_("Recipients: {r}", r=recipients)) if recipients else "")
    )
    life = [
        _e(_("Sources: {s}", s=", ".join(a.sources))) if a.sources else "",
        _e(
            _(
                "Collection: {m}",
                m=", ".join(
                    [m.value for m in a.collection_methods]
                    + ([a.collection_details] if a.collection_details else [])
                ),
            )
        )
        if a.collection_methods or a.collection_details
        else "",
    ]
    ctx.data.lifecycle.text = _ul(life)
    locations = [_e(describe(loc)) for loc in a.data_locations]
    supports = [
        *(_e(_("Software: {s}", s=s)) for s in a.software),
        *(_e(_("Declared location: {loc}", loc=loc)) for loc in locations),
        _e(_("Paper files")) if a.paper_processing else "",
    ]
    found = _found_lines(facts.found)
    ctx.data.supports.text = _ul(supports) + (
        _para(_e(_("Discovery found at these locations:"))) + _ul(found) if found else ""
    )
    # 2.1 Proportionality and necessity
    prop = d.principles.proportionality
    prop.purposes.text = _ul(_e(p) for p in a.purposes)
    prop.legal_basis.text = _para(_e(_basis(a)))
    declared = a.category_keys()
    undeclared = sorted(
        {f.entity for f in facts.found if not set(categories_for_entity(f.entity)) & declared}
    )
    prop.minimisation.text = _ul(f"{_e(_label(u.category))}" for u in a.data_categories) + (
        _para(
            _e(
                _(
                    "Discovery found data the register does not declare for this activity: "
                    "{entities}. Is it necessary (Art. 5(1)(c))?",
                    entities=", ".join(undeclared),
                )
            )
        )
        if undeclared
        else ""
    )
    prop.retention.text = _ul(
        f"{_e(_label(u.category))} : "
        + _e(
            u.retention.text() + (f" ({u.retention.final.value})" if u.retention else "")
            if u.retention
            else (u.retention_text or _("no retention recorded (Art. 5(1)(e))"))
        )
        for u in a.data_categories
    )
    # 2.2 Rights
    rights = d.principles.rights
    if a.information is not None:
        rights.information.text = _ul([_e(a.information.where or ""), _e(a.information.how or "")])
    if a.consent is not None:
        rights.consent.text = _ul([_e(a.consent.form or ""), _e(a.consent.proof or "")])
    elif a.legal_basis is not None and a.legal_basis.value != "a":
        rights.consent.text = _para(_e(_("Not based on consent: {basis}.", basis=_basis(a))))
    rights.access_portability.text = _right_lines(facts.rights, ("access", "portability"))
    rights.rectification_erasure.text = _right_lines(facts.rights, ("rectification", "erasure"))
    rights.restriction_objection.text = _right_lines(facts.rights, ("restriction", "objection"))
    rights.processors.text = _ul(_processor_lines(a, facts.processors))
    if a.transfers:
        rights.transfers.text = _ul(
            _e(f"{t.country} — {t.recipient} — ")
            + _e(_("safeguard: {s}", s=t.safeguard.value))
            + (
                _e(" — " + _("none: not allowed (Art. 44)"))
                if t.safeguard == Safeguard.NONE
                else ""
            )
            for t in a.transfers
        )
    else:
        rights.transfers.text = _para(_e(_("No transfer outside the EU recorded in the register.")))
    # 3.1 Measures from the register's security families (Art. 32)
    measures: list[Measure] = []
    security = a.security.model_dump()
    for family, (title, _kinds) in _FAMILIES.items():
        items = security.get(family) or []
        if items:
            measures.append(
                Measure(id=len(measures) + 1, title=_(title), content=_ul(_e(i) for i in items))
            )
    d.measures = measures
    for kind in ("access", "modification", "disappearance"):
        d.risk(kind).measures = [
            m.title
            for m in measures
            for family, (title, kinds) in _FAMILIES.items()
            if m.title == _(title) and kind in kinds
        ]
    # 4. Validation: who will give their opinion
    d.validation.dpo_names = a.dpo.name if a.dpo else (org.dpo_name if org else None)
    d.validation.people_names = subjects or None
    return d
