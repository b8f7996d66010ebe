"""Shared builders for the intake, service, server, CLI and letter tests (synthetic data only)."""

from __future__ import annotations

from datetime import date

from faker import Faker

from rgpd.registry import service as registry
from rgpd.registry.model import Activity, LegalBasis, Organisation, PersonIdentifier
from rgpd.workspace import Workspace

fake = Faker("fr_FR")
Faker.seed(1234)

ORG = "mairie"
OTHER_ORG = "ccas"


def activities() -> list[Activity]:
    return [
        Activity(
            ref="cantine",
            name="Restauration scolaire",
            legal_basis=LegalBasis.PUBLIC_TASK,
            person_identifiers=[
                PersonIdentifier(
                    key="numero_famille",
                    label_fr="Numéro de famille",
                    label_en="Family number",
                    required=True,
                    example="F-12345",
                ),
                PersonIdentifier(key="birth_date", label_fr="Date de naissance"),
                PersonIdentifier(key="phone", label_fr="Téléphone"),
            ],
        ),
        Activity(
            ref="newsletter",
            name="Lettre d'information",
            legal_basis=LegalBasis.CONSENT,
            person_identifiers=[PersonIdentifier(key="email", label_fr="Courriel")],
        ),
        Activity(
            ref="mediatheque",
            name="Médiathèque",
            legal_basis=LegalBasis.PUBLIC_TASK,
            person_identifiers=[
                PersonIdentifier(
                    key="carte_lecteur", label_fr="Numéro de carte", label_en="Card number"
                )
            ],
        ),
    ]


def setup_org(
    ws: Workspace, slug: str = ORG, *, alsace_moselle: bool = False, name: str = "Ville d'Exemple"
) -> Organisation:
    org = Organisation(
        slug=slug,
        name=name,
        dpo_name="Délégué Exemple",
        dpo_email=f"dpo@{slug}.example.org",
        address="1 place de la Mairie, 99999 Exemple",
        alsace_moselle=alsace_moselle,
    )
    registry.add_org(ws, org)
    for a in activities():
        registry.add_activity(ws, slug, a)
    return org


def form(**over: object) -> dict[str, list[str]]:
    """A valid web form for the right of access to the canteen's data."""
    base: dict[str, list[str]] = {
        "right": ["access"],
        "activities": ["cantine"],
        "first_name": [fake.first_name()],
        "last_name": [fake.last_name()],
        "email": [f"{fake.user_name()}@example.org"],
        "phone": [""],
        "birth_date": ["1984-03-25"],
        "id_numero_famille": ["F-12345"],
        "requester_role": ["self"],
        "details": [""],
        "lang": ["fr"],
    }
    for k, v in over.items():
        if v is None:
            base.pop(k, None)
        else:
            base[k] = [str(x) for x in v] if isinstance(v, list | tuple) else [str(v)]
    return base


TODAY = date(2026, 3, 5)
