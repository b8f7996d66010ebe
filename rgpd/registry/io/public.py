"""The public register: what a local authority can publish as open data.

Built by allow-list, never by removing fields from the full record, so that a
field added to the model later cannot leak by default. Published per activity:
name, purposes, legal basis and its grounding text, categories of people and of
data, categories of recipients, retention, and where to exercise one's rights.
Never published: software, security measures, data locations, person
identifiers, internal references, departments, notes, processor names (shown
only as "processors"), transfers' details, DPIA files, the estimated number of
people, paper processing, consent proofs and the DPO's opinion. Draft activities are left
out unless asked for: only validated entries are the authority's position.

Labels follow the active language (French by default), from the taxonomy's own
``label_fr`` / ``label_en`` so the output does not depend on a compiled catalog.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from rgpd import labels
from rgpd.i18n import get_language
from rgpd.registry.model import (
    Activity,
    FinalDisposition,
    LegalBasis,
    Organisation,
    RecipientKind,
    Register,
    Retention,
    Status,
    SubjectCategory,
)
from rgpd.taxonomy import CATEGORIES

__all__ = ["PUBLIC_FIELDS", "export_public_csv", "export_public_json", "public_register"]

#: Keys of each published activity, in order (also the CSV header).
PUBLIC_FIELDS = (
    "organisation",
    "name",
    "purposes",
    "legal_basis",
    "legal_basis_text",
    "data_subjects",
    "data_categories",
    "recipients",
    "retention",
    "collection_methods",
    "information",
    "rights_contact",
)

_BASIS = {
    LegalBasis.CONSENT: ("consentement (art. 6.1.a RGPD)", "consent (Art. 6(1)(a) GDPR)"),
    LegalBasis.CONTRACT: (
        "exécution d'un contrat (art. 6.1.b RGPD)",
        "contract (Art. 6(1)(b) GDPR)",
    ),
    LegalBasis.LEGAL_OBLIGATION: (
        "obligation légale (art. 6.1.c RGPD)",
        "legal obligation (Art. 6(1)(c) GDPR)",
    ),
    LegalBasis.VITAL_INTERESTS: (
        "sauvegarde des intérêts vitaux (art. 6.1.d RGPD)",
        "vital interests (Art. 6(1)(d) GDPR)",
    ),
    LegalBasis.PUBLIC_TASK: (
        "mission d'intérêt public (art. 6.1.e RGPD)",
        "public task (Art. 6(1)(e) GDPR)",
    ),
    LegalBasis.LEGITIMATE_INTERESTS: (
        "intérêts légitimes (art. 6.1.f RGPD)",
        "legitimate interests (Art. 6(1)(f) GDPR)",
    ),
}

_SUBJECTS = {
    SubjectCategory.USAGERS: ("usagers", "service users"),
    SubjectCategory.ADMINISTRES: ("administrés", "residents"),
    SubjectCategory.AGENTS: ("agents", "staff"),
    SubjectCategory.ELUS: ("élus", "elected officials"),
    SubjectCategory.MINEURS: ("mineurs", "minors"),
    SubjectCategory.PARENTS: ("parents et représentants légaux", "parents and legal guardians"),
    SubjectCategory.DEMANDEURS_AIDE_SOCIALE: ("demandeurs d'aide sociale", "social-aid applicants"),
    SubjectCategory.ELECTEURS: ("électeurs", "voters"),
    SubjectCategory.CANDIDATS: ("candidats", "job applicants"),
    SubjectCategory.CONTACTS_ENTREPRISES: (
        "contacts des entreprises et associations",
        "business and association contacts",
    ),
    SubjectCategory.VISITEURS: ("visiteurs", "visitors"),
    SubjectCategory.DEFUNTS: ("défunts", "deceased persons"),
    SubjectCategory.AUTRES: ("autres personnes", "other people"),
}

_FINAL = {
    FinalDisposition.DESTRUCTION: ("puis destruction", "then destroyed"),
    FinalDisposition.VERSEMENT: (
        "puis versement aux archives (conservation définitive)",
        "then transferred to the archives (kept permanently)",
    ),
    FinalDisposition.TRI: (
        "puis tri par le service d'archives",
        "then sorted by the archives service",
    ),
}


_PROCESSORS = ("prestataires sous-traitants", "processors (service providers)")
_NO_RETENTION = ("durée à préciser", "to be specified")
_ACTIVE = ("en base active", "active")
_INTERMEDIATE = ("en archivage intermédiaire", "intermediate archive")


def _fr() -> bool:
    return get_language() == "fr"


def _pick(pair: tuple[str, str]) -> str:
    return pair[0] if _fr() else pair[1]


def _duration(value: str) -> str:
    return labels.duration_code(value)


def _retention_text(r: Retention | None) -> str:
    if r is None:
        return _pick(_NO_RETENTION)
    text = f"{_duration(r.active)} {_pick(_ACTIVE)}"
    if r.intermediate:
        text += f" + {_duration(r.intermediate)} {_pick(_INTERMEDIATE)}"
    text += f", {_pick(_FINAL[r.final])}"
    if r.trigger:
        text += f" ({r.trigger})"
    return text


_COLLECTION = {
    "formulaire_web": ("formulaire en ligne", "online form"),
    "formulaire_papier": ("formulaire papier", "paper form"),
    "contrat": ("contrat", "contract"),
    "liste_recue": ("liste transmise par un tiers", "list received from a third party"),
    "document_interne": ("document interne", "internal document"),
    "entretien_oral": ("entretien", "interview"),
    "autre": ("autre", "other"),
}


def _information(a: Activity) -> str:
    """Where and how people are informed (Art. 13/14): the notice's location is public."""
    info = a.information
    if info is None:
        return ""
    return " — ".join(x for x in (info.where, info.how) if x)


def _category_label(key: str) -> str:
    c = CATEGORIES[key]
    return c.label_fr if _fr() else c.label_en


def _rights_contact(activity: Activity, org: Organisation | None) -> str:
    if activity.dpo and (activity.dpo.email or activity.dpo.address):
        return activity.dpo.email or activity.dpo.address or ""
    if org is not None:
        return org.dpo_email or org.address or ""
    return ""


def _public_activity(a: Activity, org: Organisation | None) -> dict[str, Any]:
    recipients: list[str] = []
    for r in a.recipients:
        label = _pick(_PROCESSORS) if r.kind == RecipientKind.PROCESSOR else r.name
        if label not in recipients:
            recipients.append(label)
    return {
        "organisation": (a.controller.name if a.controller else (org.name if org else "")),
        "name": a.name,
        "purposes": list(a.purposes),
        "legal_basis": _pick(_BASIS[a.legal_basis]) if a.legal_basis else "",
        "legal_basis_text": a.legal_basis_text or "",
        "data_subjects": [_pick(_SUBJECTS[s]) for s in a.data_subjects],
        "data_categories": list(
            dict.fromkeys(_category_label(u.category) for u in a.data_categories)
        ),
        "recipients": recipients,
        "retention": [
            f"{_category_label(u.category)} : "
            + (
                u.retention_text
                if u.retention is None and u.retention_text
                else _retention_text(u.retention)
            )
            for u in a.data_categories
        ],
        "collection_methods": [_pick(_COLLECTION[m.value]) for m in a.collection_methods],
        "information": _information(a),
        "rights_contact": _rights_contact(a, org),
    }


def public_register(register: Register, *, include_drafts: bool = False) -> list[dict[str, Any]]:
    """The published entries, as plain data (pure: the exporters below only serialise it)."""
    return [
        _public_activity(a, register.organisation)
        for a in register.activities
        if (include_drafts or a.status == Status.VALIDATED) and a.active
    ]


def export_public_json(register: Register, *, include_drafts: bool = False) -> str:
    org = register.organisation
    doc = {
        "organisation": org.name if org else "",
        "siren": org.siren if org and org.siren else "",
        "activities": public_register(register, include_drafts=include_drafts),
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def export_public_csv(register: Register, *, include_drafts: bool = False) -> str:
    """One row per activity; lists joined with « ; » (no line breaks: open-data friendly)."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(PUBLIC_FIELDS)
    for entry in public_register(register, include_drafts=include_drafts):
        row = []
        for key in PUBLIC_FIELDS:
            v = entry[key]
            text = " ; ".join(v) if isinstance(v, list) else str(v)
            text = " ".join(text.split())  # no line breaks in open data
            row.append("'" + text if text.startswith(("=", "+", "-", "@")) else text)
        w.writerow(row)
    return "\ufeff" + buf.getvalue()
